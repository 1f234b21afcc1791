#![allow(clippy::unwrap_used, reason = "a test that panics has failed")]
//! S3 signatures: the canonical URI as sent, presigned URLs with `UNSIGNED-PAYLOAD`, and aws-chunked
//! bodies, against AWS's published examples (S3 API reference, sigv4-streaming.html and
//! sigv4-streaming-trailers.html; the values are those of `/work/shared/reference/s3-authorization.md`
//! §1.5, which match aws-c-auth's `tests/test_chunked_signing.c`).

use time::OffsetDateTime;
use warden_wire::sigv4::checksum::ChecksumAlgorithm;
use warden_wire::sigv4::chunked::{AwsChunkedDecoder, ChunkChain, ChunkError, StreamingMode};
use warden_wire::sigv4::{
    chunk_chain, derive_signing_key, parse_auth, parse_auth_untimed, presign_query,
    sign_authorization_with_payload_hash, verify_with_payload_hash, HttpRequestParts, SigV4Error,
    SigningKeyCache,
};

const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SCOPE: &str = "20130524/us-east-1/s3/aws4_request";

fn seed_chain(seed_hex: &str) -> ChunkChain {
    let key = derive_signing_key(SECRET, "20130524", "us-east-1", "s3");
    let mut seed = [0u8; 32];
    hex::decode_to_slice(seed_hex, &mut seed).unwrap();
    ChunkChain::from_seed(key, "20130524T000000Z", SCOPE, seed)
}

#[test]
fn aws_signing_key_example() {
    let key = derive_signing_key(SECRET, "20130524", "us-east-1", "s3");
    assert_eq!(
        hex::encode(key),
        "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"
    );
}

/// The seed request of AWS's chunked example verifies with the S3 canonical URI.
#[test]
fn aws_chunked_seed_signature_verifies() {
    let auth_header = format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/{SCOPE}, SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class, Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    );
    let headers: Vec<(&str, &[u8])> = vec![
        ("host", b"s3.amazonaws.com"),
        ("x-amz-date", b"20130524T000000Z"),
        ("x-amz-storage-class", b"REDUCED_REDUNDANCY"),
        ("authorization", auth_header.as_bytes()),
        (
            "x-amz-content-sha256",
            b"STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        ),
        ("content-encoding", b"aws-chunked"),
        ("x-amz-decoded-content-length", b"66560"),
        ("content-length", b"66824"),
    ];
    let req = HttpRequestParts {
        method: "PUT",
        raw_path: "/examplebucket/chunkObject.txt",
        raw_query: "",
        headers: &headers,
        body: b"",
    };
    let now = OffsetDateTime::from_unix_timestamp(1_369_353_600).unwrap();
    let auth = parse_auth(&req, now).unwrap();
    let cache = SigningKeyCache::default();
    verify_with_payload_hash(
        &req,
        &auth,
        SECRET,
        &cache,
        now,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    )
    .unwrap();

    // The whole example body decodes with the chain seeded by this request.
    let body = aws_example_body(&mut seed_chain(
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    ));
    assert_eq!(body.len(), 66824);
    let mut dec = AwsChunkedDecoder::new(
        StreamingMode::Signed,
        Some(chunk_chain(&auth, SECRET, &cache)),
        None,
        Some(66560),
    )
    .unwrap();
    let mut out = Vec::new();
    // Fed in odd pieces, as a network delivers it.
    for piece in body.chunks(777) {
        dec.push(piece, &mut out).unwrap();
    }
    dec.finish().unwrap();
    assert_eq!(out, vec![b'a'; 66560]);
}

fn aws_example_body(chain: &mut ChunkChain) -> Vec<u8> {
    let mut body = Vec::new();
    for size in [65536usize, 1024, 0] {
        let data = vec![b'a'; size];
        let sig = chain.sign_chunk(&data);
        body.extend_from_slice(
            format!("{size:x};chunk-signature={}\r\n", hex::encode(sig)).as_bytes(),
        );
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\r\n");
    }
    body
}

#[test]
fn aws_chunk_signatures() {
    let mut chain = seed_chain("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    let sigs: Vec<String> = [65536usize, 1024, 0]
        .iter()
        .map(|n| hex::encode(chain.sign_chunk(&vec![b'a'; *n])))
        .collect();
    assert_eq!(
        sigs,
        [
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
        ]
    );
}

#[test]
fn aws_trailer_example_decodes_and_verifies() {
    let mut chain = seed_chain("106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e");
    let mut body = aws_example_body(&mut chain);
    // aws_example_body wrote the final chunk's CRLF; a trailer replaces it.
    body.truncate(body.len() - 2);
    let sig = chain.sign_trailer(b"x-amz-checksum-crc32c:sOO8/Q==\n");
    assert_eq!(
        hex::encode(sig),
        "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
    );
    body.extend_from_slice(b"x-amz-checksum-crc32c:sOO8/Q==\r\n");
    body.extend_from_slice(
        format!("x-amz-trailer-signature:{}\r\n\r\n", hex::encode(sig)).as_bytes(),
    );

    let decode = |body: &[u8]| {
        let mut dec = AwsChunkedDecoder::new(
            StreamingMode::SignedTrailer,
            Some(seed_chain(
                "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
            )),
            Some(ChecksumAlgorithm::Crc32c),
            Some(66560),
        )
        .unwrap();
        let mut out = Vec::new();
        dec.push(body, &mut out)?;
        dec.finish().map(|()| out)
    };
    assert_eq!(decode(&body).unwrap().len(), 66560);
    // A tampered trailer value breaks the trailer signature.
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("sOO8/Q==", "AAAAAA==");
    assert_eq!(
        decode(tampered.as_bytes()),
        Err(ChunkError::SignatureDoesNotMatch)
    );
}

#[test]
fn aws_c_auth_multi_trailer_vector() {
    let mut chain = seed_chain("b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
    let sig = chain.sign_trailer(b"first:1st\nsecond:2nd\nthird:3rd\n");
    assert_eq!(
        hex::encode(sig),
        "df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c"
    );
}

#[test]
fn a_tampered_chunk_is_refused_before_its_bytes_are_released() {
    let mut chain = seed_chain("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    let mut body = aws_example_body(&mut chain);
    // Flip one data byte of the second chunk.
    let at = body.len() - 200;
    body[at] = b'b';
    let mut dec = AwsChunkedDecoder::new(
        StreamingMode::Signed,
        Some(seed_chain(
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        )),
        None,
        Some(66560),
    )
    .unwrap();
    let mut out = Vec::new();
    assert_eq!(
        dec.push(&body, &mut out),
        Err(ChunkError::SignatureDoesNotMatch)
    );
    // The first chunk verified and was released; none of the forged one was.
    assert_eq!(out.len(), 65536);
}

#[test]
fn small_chunks_before_the_last_are_refused() {
    let mut chain = seed_chain("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    let mut body = Vec::new();
    for size in [100usize, 100, 0] {
        let data = vec![b'a'; size];
        let sig = chain.sign_chunk(&data);
        body.extend_from_slice(
            format!("{size:x};chunk-signature={}\r\n", hex::encode(sig)).as_bytes(),
        );
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\r\n");
    }
    let mut dec = AwsChunkedDecoder::new(
        StreamingMode::Signed,
        Some(seed_chain(
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        )),
        None,
        None,
    )
    .unwrap();
    assert_eq!(
        dec.push(&body, &mut Vec::new()),
        Err(ChunkError::InvalidChunkSize {
            chunk: 1,
            bad_size: 100
        })
    );
}

fn unsigned_body(data: &[u8], trailer: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for piece in data.chunks(10000) {
        body.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        body.extend_from_slice(piece);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("0\r\n{trailer}\r\n\r\n").as_bytes());
    body
}

fn decode_unsigned(body: &[u8], len: Option<u64>) -> Result<Vec<u8>, ChunkError> {
    let mut dec = AwsChunkedDecoder::new(
        StreamingMode::UnsignedTrailer,
        None,
        Some(ChecksumAlgorithm::Crc32),
        len,
    )
    .unwrap();
    let mut out = Vec::new();
    for piece in body.chunks(4096) {
        dec.push(piece, &mut out)?;
    }
    dec.finish().map(|()| out)
}

#[test]
fn unsigned_trailer_bodies_check_their_checksum() {
    // botocore's framing: `<hex>\r\n<bytes>\r\n ... 0\r\nx-amz-checksum-crc32:<b64>\r\n\r\n`.
    let data = vec![b'z'; 25000];
    let mut c = warden_wire::sigv4::checksum::Checksum::new(ChecksumAlgorithm::Crc32);
    c.update(&data);
    let good = unsigned_body(&data, &format!("x-amz-checksum-crc32:{}", c.base64()));
    assert_eq!(decode_unsigned(&good, Some(25000)).unwrap(), data);
    let bad = unsigned_body(&data, "x-amz-checksum-crc32:AAAAAA==");
    assert_eq!(
        decode_unsigned(&bad, Some(25000)),
        Err(ChunkError::BadDigest(ChecksumAlgorithm::Crc32))
    );
    let garbled = unsigned_body(&data, "x-amz-checksum-crc32:!!");
    assert_eq!(
        decode_unsigned(&garbled, Some(25000)),
        Err(ChunkError::InvalidChecksumValue(ChecksumAlgorithm::Crc32))
    );
    // The announced decoded length must be the real one.
    assert_eq!(
        decode_unsigned(&good, Some(24999)),
        Err(ChunkError::IncompleteBody)
    );
    // A body cut short never finishes.
    assert_eq!(
        decode_unsigned(&good[..good.len() - 10], Some(25000)),
        Err(ChunkError::IncompleteBody)
    );
}

#[test]
fn garbage_never_panics() {
    for input in [
        &b"zz\r\n"[..],
        b"ffffffffff\r\n",
        b"\r\n\r\n",
        b"5\r\nabc",
        b"5\r\nabcdeXY",
        b"0\r\nnocolon\r\n\r\n",
    ] {
        let mut dec =
            AwsChunkedDecoder::new(StreamingMode::UnsignedTrailer, None, None, None).unwrap();
        let r = dec.push(input, &mut Vec::new()).and_then(|()| dec.finish());
        assert!(r.is_err(), "{input:?}");
    }
}

/// S3 keys with `..`, `//` and encoded slashes verify as sent, under both the raw and the
/// re-encoded canonical URI.
#[test]
fn s3_paths_verify_as_sent() {
    let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    for path in [
        "/b/a/../x",
        "/b//x",
        "/b/a%2Fb",
        "/b/x/.",
        "/b/a%20b",
        "/b/%E6%97%A5",
    ] {
        let headers_unsigned: Vec<(&str, &[u8])> = vec![
            ("host", b"localhost"),
            ("x-amz-date", b"20231114T221320Z"),
            ("x-amz-content-sha256", b"UNSIGNED-PAYLOAD"),
        ];
        let req = HttpRequestParts {
            method: "GET",
            raw_path: path,
            raw_query: "",
            headers: &headers_unsigned,
            body: b"",
        };
        let authz = sign_authorization_with_payload_hash(
            &req,
            &["host", "x-amz-date", "x-amz-content-sha256"],
            AKID,
            SECRET,
            "us-east-1",
            "s3",
            now,
            b"UNSIGNED-PAYLOAD",
            // The cached key is the key: the server below verifies with its own derivation.
            Some(&warden_wire::sigv4::SigningKeyCache::default()),
        );
        let mut headers = headers_unsigned.clone();
        headers.push(("authorization", authz.as_bytes()));
        let req = HttpRequestParts {
            headers: &headers,
            ..req
        };
        let auth = parse_auth(&req, now).unwrap();
        verify_with_payload_hash(
            &req,
            &auth,
            SECRET,
            &SigningKeyCache::default(),
            now,
            "UNSIGNED-PAYLOAD",
        )
        .unwrap_or_else(|e| panic!("{path}: {e:?}"));
        // Another path under the same signature fails.
        let other = HttpRequestParts {
            raw_path: "/b/x",
            ..req
        };
        assert_eq!(
            verify_with_payload_hash(
                &other,
                &auth,
                SECRET,
                &SigningKeyCache::default(),
                now,
                "UNSIGNED-PAYLOAD"
            ),
            Err(SigV4Error::SignatureDoesNotMatch),
            "{path}"
        );
    }
}

#[test]
fn s3_presigned_urls_sign_unsigned_payload() {
    let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let headers: Vec<(&str, &[u8])> = vec![("host", b"localhost:9000")];
    let base = HttpRequestParts {
        method: "GET",
        raw_path: "/bucket/some//key",
        raw_query: "",
        headers: &headers,
        body: b"",
    };
    let query = presign_query(&base, AKID, SECRET, "us-east-1", "s3", now, 60, None);
    let req = HttpRequestParts {
        raw_query: &query,
        ..base
    };
    let auth = parse_auth_untimed(&req).unwrap();
    let cache = SigningKeyCache::default();
    verify_with_payload_hash(&req, &auth, SECRET, &cache, now, "UNSIGNED-PAYLOAD").unwrap();
    // After the expiry it is refused.
    let later = now + time::Duration::seconds(61);
    assert!(
        verify_with_payload_hash(&req, &auth, SECRET, &cache, later, "UNSIGNED-PAYLOAD").is_err()
    );
}

/// Any split of the body decodes the same (the network chooses the pieces).
#[test]
fn every_split_decodes_the_same() {
    let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let body = aws_example_body(&mut seed_chain(seed));
    for step in [1usize, 2, 3, 7, 64, 1000, 8191, 65537] {
        let mut dec = AwsChunkedDecoder::new(
            StreamingMode::Signed,
            Some(seed_chain(seed)),
            None,
            Some(66560),
        )
        .unwrap();
        let mut out = Vec::new();
        for piece in body.chunks(step) {
            dec.push(piece, &mut out).unwrap();
        }
        dec.finish().unwrap();
        assert_eq!(out.len(), 66560, "step {step}");
    }
}

/// Arbitrary input (a cheap deterministic fuzz) is refused or decoded, never a panic, and never
/// yields more bytes than it was given.
#[test]
fn arbitrary_bytes_never_panic() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"0123456789abcdefABCDEF;=\r\n:chunk-signature x-amz-checksum-crc32";
    for _ in 0..3000 {
        let len = (next() % 200) as usize;
        let input: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        for mode in [
            StreamingMode::UnsignedTrailer,
            StreamingMode::Signed,
            StreamingMode::SignedTrailer,
        ] {
            let chain =
                seed_chain("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
            let mut dec =
                AwsChunkedDecoder::new(mode, Some(chain), Some(ChecksumAlgorithm::Crc32), None)
                    .unwrap()
                    .with_max_chunk(1 << 16);
            let mut out = Vec::new();
            let _ = dec.push(&input, &mut out).and_then(|()| dec.finish());
            assert!(out.len() <= input.len());
        }
    }
}
