//! S3's `aws-chunked` request bodies, decoded as they stream: every chunk signature verified in a
//! chain from the seed (the request's own signature), the trailer signature, and the trailing
//! checksum. The decoder holds at most one chunk (bounded by [`MAX_CHUNK_BYTES`]) and releases a
//! chunk's bytes only once its signature has verified.
//!
//! Framing (AWS, sigv4-streaming and sigv4-streaming-trailers):
//! ```text
//! <hex-size>;chunk-signature=<64 hex>\r\n<bytes>\r\n ... 0;chunk-signature=<64 hex>\r\n
//! [<trailer>:<value>\r\n ... x-amz-trailer-signature:<64 hex>\r\n]\r\n
//! ```
//! and, unsigned (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`), `<hex-size>\r\n<bytes>\r\n ... 0\r\n<trailer>\r\n\r\n`.

use subtle::ConstantTimeEq;

use super::checksum::{Checksum, ChecksumAlgorithm};
use super::{canonical, key_cache, parse, ParsedAuth};

/// The largest chunk accepted (and so held): SDKs send 64 KiB (Go) to 1 MiB (botocore).
pub const MAX_CHUNK_BYTES: usize = 16 << 20;
/// S3's smallest size for a chunk that is not the last non-empty one.
pub const MIN_CHUNK_BYTES: usize = 8192;
const MAX_LINE: usize = 4096;
const EMPTY_SHA256: &[u8] = b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The `x-amz-content-sha256` values of aws-chunked bodies this decoder reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamingMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    SignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    UnsignedTrailer,
}

impl StreamingMode {
    /// The mode named by an `x-amz-content-sha256` value, if it is a streaming one warden reads.
    pub fn from_content_sha256(value: &str) -> Option<StreamingMode> {
        match value {
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => Some(StreamingMode::Signed),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => Some(StreamingMode::SignedTrailer),
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Some(StreamingMode::UnsignedTrailer),
            _ => None,
        }
    }

    fn signed(self) -> bool {
        self != StreamingMode::UnsignedTrailer
    }

    fn has_trailer(self) -> bool {
        self != StreamingMode::Signed
    }
}

/// Why an aws-chunked body was refused; each maps to S3's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// A chunk or trailer signature does not verify (403 `SignatureDoesNotMatch`).
    SignatureDoesNotMatch,
    /// A chunk other than the last non-empty one is under 8 KiB (400 `InvalidChunkSizeError`).
    InvalidChunkSize {
        /// 1-based number of the offending chunk.
        chunk: u64,
        /// Its size.
        bad_size: usize,
    },
    /// The body ended early, or its decoded length is not `x-amz-decoded-content-length`
    /// (400 `IncompleteBody`).
    IncompleteBody,
    /// Framing that is not aws-chunked (400 `InvalidRequest`, our wording).
    Malformed(&'static str),
    /// The trailing checksum does not decode (400 `InvalidRequest`).
    InvalidChecksumValue(ChecksumAlgorithm),
    /// The trailing checksum does not match the body (400 `BadDigest`).
    BadDigest(ChecksumAlgorithm),
}

impl ChunkError {
    /// S3's error code.
    pub fn code(&self) -> &'static str {
        match self {
            ChunkError::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            ChunkError::InvalidChunkSize { .. } => "InvalidChunkSizeError",
            ChunkError::IncompleteBody => "IncompleteBody",
            ChunkError::Malformed(_) | ChunkError::InvalidChecksumValue(_) => "InvalidRequest",
            ChunkError::BadDigest(_) => "BadDigest",
        }
    }

    /// S3's message (recorded texts; `Malformed`'s are ours).
    pub fn message(&self) -> String {
        match self {
            ChunkError::SignatureDoesNotMatch => {
                super::SIGNATURE_DOES_NOT_MATCH_MESSAGE.to_string()
            }
            ChunkError::InvalidChunkSize { .. } => {
                "Only the last chunk is allowed to have a size less than 8192 bytes".to_string()
            }
            ChunkError::IncompleteBody => "The request body terminated unexpectedly".to_string(),
            ChunkError::Malformed(m) => (*m).to_string(),
            ChunkError::InvalidChecksumValue(a) => format!(
                "Value for x-amz-checksum-{} trailing header is invalid.",
                a.name().to_ascii_lowercase()
            ),
            ChunkError::BadDigest(a) => format!(
                "The {} you specified did not match the calculated checksum.",
                a.name()
            ),
        }
    }

    /// The HTTP status.
    pub fn http_status(&self) -> u16 {
        match self {
            ChunkError::SignatureDoesNotMatch => 403,
            _ => 400,
        }
    }
}

/// The chain of chunk signatures: each chunk's string to sign names the previous signature.
#[derive(Clone)]
pub struct ChunkChain {
    key: [u8; 32],
    amz_date: [u8; 16],
    scope: String,
    previous: [u8; 32],
}

impl std::fmt::Debug for ChunkChain {
    // The signing key is a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkChain")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl ChunkChain {
    /// The chain of a request whose seed signature verified with `signing_key`.
    pub fn for_request(auth: &ParsedAuth, signing_key: [u8; 32]) -> ChunkChain {
        ChunkChain {
            key: signing_key,
            amz_date: parse::amz_date_bytes(auth.request_time),
            scope: super::scope_string(&auth.scope),
            previous: auth.signature,
        }
    }

    /// Client side: a chain from a known seed signature.
    pub fn from_seed(
        signing_key: [u8; 32],
        amz_date: &str,
        scope: &str,
        seed: [u8; 32],
    ) -> ChunkChain {
        let mut d = [0u8; 16];
        let n = amz_date.len().min(16);
        d[..n].copy_from_slice(&amz_date.as_bytes()[..n]);
        ChunkChain {
            key: signing_key,
            amz_date: d,
            scope: scope.to_string(),
            previous: seed,
        }
    }

    fn string_to_sign(&self, kind: &[u8], lines: &[&[u8]]) -> Vec<u8> {
        let mut sts = Vec::with_capacity(256);
        sts.extend_from_slice(kind);
        sts.push(b'\n');
        sts.extend_from_slice(&self.amz_date);
        sts.push(b'\n');
        sts.extend_from_slice(self.scope.as_bytes());
        sts.push(b'\n');
        sts.extend_from_slice(hex::encode(self.previous).as_bytes());
        for l in lines {
            sts.push(b'\n');
            sts.extend_from_slice(l);
        }
        sts
    }

    /// The signature of the next chunk, `data`; the chain moves on to it.
    pub fn sign_chunk(&mut self, data: &[u8]) -> [u8; 32] {
        let hash = canonical::sha256_hex(data);
        let sts = self.string_to_sign(b"AWS4-HMAC-SHA256-PAYLOAD", &[EMPTY_SHA256, &hash]);
        self.previous = key_cache::hmac_sha256(&self.key, &sts);
        self.previous
    }

    /// The signature of the trailer whose canonical form (`name:value\n`, sorted) is `canonical`.
    pub fn sign_trailer(&mut self, canonical: &[u8]) -> [u8; 32] {
        let hash = canonical::sha256_hex(canonical);
        let sts = self.string_to_sign(b"AWS4-HMAC-SHA256-TRAILER", &[&hash]);
        self.previous = key_cache::hmac_sha256(&self.key, &sts);
        self.previous
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Data { size: usize, signature: [u8; 32] },
    Trailer,
    Done,
}

/// An incremental aws-chunked decoder. Feed it the body as it arrives with [`push`](Self::push);
/// call [`finish`](Self::finish) at the end of the body.
#[derive(Debug)]
pub struct AwsChunkedDecoder {
    mode: StreamingMode,
    chain: Option<ChunkChain>,
    trailer: Option<ChecksumAlgorithm>,
    checksum: Option<Checksum>,
    state: State,
    buf: Vec<u8>,
    decoded: u64,
    expected: Option<u64>,
    chunks: u64,
    last_size: Option<usize>,
    trailer_lines: Vec<(String, String)>,
    max_chunk: usize,
}

impl AwsChunkedDecoder {
    /// A decoder for `mode`. `chain` is required for the signed modes; `trailer` is the checksum
    /// named by `x-amz-trailer`; `decoded_length` is `x-amz-decoded-content-length`.
    pub fn new(
        mode: StreamingMode,
        chain: Option<ChunkChain>,
        trailer: Option<ChecksumAlgorithm>,
        decoded_length: Option<u64>,
    ) -> Result<AwsChunkedDecoder, ChunkError> {
        if mode.signed() && chain.is_none() {
            return Err(ChunkError::Malformed(
                "A signed aws-chunked body needs a signed request.",
            ));
        }
        Ok(AwsChunkedDecoder {
            mode,
            chain,
            trailer,
            checksum: trailer.map(Checksum::new),
            state: State::Header,
            buf: Vec::new(),
            decoded: 0,
            expected: decoded_length,
            chunks: 0,
            last_size: None,
            trailer_lines: Vec::new(),
            max_chunk: MAX_CHUNK_BYTES,
        })
    }

    /// Sets a smaller chunk bound (tests, fuzzing).
    pub fn with_max_chunk(mut self, max: usize) -> AwsChunkedDecoder {
        self.max_chunk = max;
        self
    }

    /// Decoded bytes so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Feeds `input`, appending the decoded bytes of every chunk that completed (and verified) to
    /// `out`. After an error the decoder is unusable.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkError> {
        self.buf.extend_from_slice(input);
        let mut pos = 0;
        let result = self.step_all(&mut pos, out);
        self.buf.drain(..pos);
        result
    }

    fn line_at(&self, pos: usize) -> Result<Option<(usize, usize)>, ChunkError> {
        let rest = &self.buf[pos..];
        match rest.windows(2).position(|w| w == b"\r\n") {
            Some(i) if i > MAX_LINE => {
                Err(ChunkError::Malformed("An aws-chunked line is too long."))
            }
            Some(i) => Ok(Some((pos + i, pos + i + 2))),
            None if rest.len() > MAX_LINE => {
                Err(ChunkError::Malformed("An aws-chunked line is too long."))
            }
            None => Ok(None),
        }
    }

    fn step_all(&mut self, pos: &mut usize, out: &mut Vec<u8>) -> Result<(), ChunkError> {
        loop {
            match self.state {
                State::Done => {
                    if self.buf.len() > *pos {
                        return Err(ChunkError::Malformed(
                            "Bytes follow the end of an aws-chunked body.",
                        ));
                    }
                    return Ok(());
                }
                State::Header => {
                    let Some((end, next)) = self.line_at(*pos)? else {
                        return Ok(());
                    };
                    let line = &self.buf[*pos..end];
                    let (size, signature) = self.parse_header(line)?;
                    *pos = next;
                    self.chunks += 1;
                    if self.mode.signed() {
                        if let Some(prev) = self.last_size {
                            if size > 0 && prev < MIN_CHUNK_BYTES {
                                return Err(ChunkError::InvalidChunkSize {
                                    chunk: self.chunks - 1,
                                    bad_size: prev,
                                });
                            }
                        }
                    }
                    self.last_size = Some(size);
                    if size == 0 {
                        self.verify_chunk(&[], &signature)?;
                        if let Some(expected) = self.expected {
                            if expected != self.decoded {
                                return Err(ChunkError::IncompleteBody);
                            }
                        }
                        // Trailer lines (if any), then the empty line that ends the body.
                        self.state = State::Trailer;
                    } else {
                        self.state = State::Data { size, signature };
                    }
                }
                State::Data { size, signature } => {
                    if self.buf.len() - *pos < size + 2 {
                        return Ok(());
                    }
                    let data_end = *pos + size;
                    if &self.buf[data_end..data_end + 2] != b"\r\n" {
                        return Err(ChunkError::Malformed(
                            "An aws-chunked chunk does not end with CRLF.",
                        ));
                    }
                    let data = &self.buf[*pos..data_end];
                    // Verify before releasing: a forged chunk never reaches the backend.
                    if let Some(chain) = self.chain.as_mut().filter(|_| self.mode.signed()) {
                        let expected = chain.sign_chunk(data);
                        if !bool::from(expected.ct_eq(&signature)) {
                            return Err(ChunkError::SignatureDoesNotMatch);
                        }
                    }
                    if let Some(c) = self.checksum.as_mut() {
                        c.update(data);
                    }
                    out.extend_from_slice(data);
                    self.decoded += size as u64;
                    if self.expected.is_some_and(|e| self.decoded > e) {
                        return Err(ChunkError::IncompleteBody);
                    }
                    *pos = data_end + 2;
                    self.state = State::Header;
                }
                State::Trailer => {
                    let Some((end, next)) = self.line_at(*pos)? else {
                        return Ok(());
                    };
                    let line = self.buf[*pos..end].to_vec();
                    *pos = next;
                    if line.is_empty() {
                        self.end_trailer()?;
                        self.state = State::Done;
                        continue;
                    }
                    if !self.mode.has_trailer() || self.trailer_lines.len() >= 16 {
                        return Err(ChunkError::Malformed("Unexpected aws-chunked trailer."));
                    }
                    let text = std::str::from_utf8(&line).map_err(|_| {
                        ChunkError::Malformed("An aws-chunked trailer is not text.")
                    })?;
                    let (name, value) = text.split_once(':').ok_or(ChunkError::Malformed(
                        "An aws-chunked trailer has no colon.",
                    ))?;
                    self.trailer_lines
                        .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
                }
            }
        }
    }

    fn parse_header(&self, line: &[u8]) -> Result<(usize, [u8; 32]), ChunkError> {
        let text = std::str::from_utf8(line)
            .map_err(|_| ChunkError::Malformed("An aws-chunked chunk header is not text."))?;
        let (size_hex, ext) = match text.split_once(';') {
            Some((s, e)) => (s, Some(e)),
            None => (text, None),
        };
        if size_hex.is_empty() || size_hex.len() > 8 {
            return Err(ChunkError::Malformed(
                "An aws-chunked chunk size is not hexadecimal.",
            ));
        }
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| ChunkError::Malformed("An aws-chunked chunk size is not hexadecimal."))?;
        if size > self.max_chunk {
            return Err(ChunkError::Malformed("An aws-chunked chunk is too large."));
        }
        let mut signature = [0u8; 32];
        if self.mode.signed() {
            let sig = ext
                .and_then(|e| e.strip_prefix("chunk-signature="))
                .ok_or(ChunkError::SignatureDoesNotMatch)?;
            hex::decode_to_slice(sig, &mut signature)
                .map_err(|_| ChunkError::SignatureDoesNotMatch)?;
        }
        Ok((size, signature))
    }

    fn verify_chunk(&mut self, data: &[u8], signature: &[u8; 32]) -> Result<(), ChunkError> {
        if let Some(chain) = self.chain.as_mut().filter(|_| self.mode.signed()) {
            let expected = chain.sign_chunk(data);
            if !bool::from(expected.ct_eq(signature)) {
                return Err(ChunkError::SignatureDoesNotMatch);
            }
        }
        Ok(())
    }

    fn end_trailer(&mut self) -> Result<(), ChunkError> {
        if !self.mode.has_trailer() {
            return Ok(());
        }
        let mut sig = None;
        let mut rest: Vec<(String, String)> = Vec::new();
        for (n, v) in self.trailer_lines.drain(..) {
            if n == "x-amz-trailer-signature" {
                sig = Some(v);
            } else {
                rest.push((n, v));
            }
        }
        if self.mode == StreamingMode::SignedTrailer {
            let sig = sig.ok_or(ChunkError::SignatureDoesNotMatch)?;
            let mut given = [0u8; 32];
            hex::decode_to_slice(&sig, &mut given)
                .map_err(|_| ChunkError::SignatureDoesNotMatch)?;
            let mut sorted = rest.clone();
            sorted.sort();
            let mut canon = Vec::new();
            for (n, v) in &sorted {
                canon.extend_from_slice(n.as_bytes());
                canon.push(b':');
                canon.extend_from_slice(v.as_bytes());
                canon.push(b'\n');
            }
            let chain = self
                .chain
                .as_mut()
                .ok_or(ChunkError::SignatureDoesNotMatch)?;
            let expected = chain.sign_trailer(&canon);
            if !bool::from(expected.ct_eq(&given)) {
                return Err(ChunkError::SignatureDoesNotMatch);
            }
        } else if sig.is_some() {
            return Err(ChunkError::Malformed(
                "An unsigned aws-chunked trailer carries a signature.",
            ));
        }
        if let (Some(algorithm), Some(checksum)) = (self.trailer, self.checksum.as_ref()) {
            let header = algorithm.header();
            let value = rest
                .iter()
                .find(|(n, _)| *n == header)
                .map(|(_, v)| v.as_str())
                .ok_or(ChunkError::IncompleteBody)?;
            use base64::Engine;
            let expected_len = base64::engine::general_purpose::STANDARD
                .decode(value)
                .map_err(|_| ChunkError::InvalidChecksumValue(algorithm))?
                .len();
            if expected_len != algorithm.digest_len() {
                return Err(ChunkError::InvalidChecksumValue(algorithm));
            }
            if checksum.base64() != value {
                return Err(ChunkError::BadDigest(algorithm));
            }
        }
        Ok(())
    }

    /// The trailing checksum, once the body ended with it verified: its algorithm and base64 value.
    pub fn verified_checksum(&self) -> Option<(ChecksumAlgorithm, String)> {
        if self.state != State::Done {
            return None;
        }
        Some((self.trailer?, self.checksum.as_ref()?.base64()))
    }

    /// Ends the body: an error unless the final chunk, trailer and checksum were all read and verified.
    pub fn finish(&self) -> Result<(), ChunkError> {
        if self.state == State::Done {
            Ok(())
        } else {
            Err(ChunkError::IncompleteBody)
        }
    }
}
