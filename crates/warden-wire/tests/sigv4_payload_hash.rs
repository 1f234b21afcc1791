#![allow(clippy::unwrap_used, reason = "a test that panics has failed")]
//! `verify_with_payload_hash`: a request verified without its body, from the payload hash its
//! signer used (the authorization API and the S3 gateway hold no body, or stream it).

use time::OffsetDateTime;
use warden_wire::sigv4::{
    parse_auth, sha256_hex, sign_authorization, verify_with_payload_hash, HttpRequestParts,
    SigV4Error, SigningKeyCache,
};

const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
}

fn check(headers: &[(&str, &[u8])], body: &[u8], payload_hash: &str) -> Result<(), SigV4Error> {
    let req = HttpRequestParts {
        method: "PUT",
        raw_path: "/bucket/key",
        raw_query: "",
        headers,
        body,
    };
    let auth = parse_auth(&req, at())?;
    verify_with_payload_hash(
        &req,
        &auth,
        SECRET,
        &SigningKeyCache::default(),
        at(),
        payload_hash,
    )
}

#[test]
fn the_given_hash_stands_for_the_body() {
    let body = b"hello";
    let unsigned_headers: [(&str, &[u8]); 2] =
        [("host", b"s3.local"), ("x-amz-date", b"20231114T221320Z")];
    let req = HttpRequestParts {
        method: "PUT",
        raw_path: "/bucket/key",
        raw_query: "",
        headers: &unsigned_headers,
        body,
    };
    let authz = sign_authorization(
        &req,
        &["host", "x-amz-date"],
        "AKIAEXAMPLE",
        SECRET,
        "us-east-1",
        "s3",
        at(),
    );
    let headers: [(&str, &[u8]); 3] = [
        ("host", b"s3.local"),
        ("x-amz-date", b"20231114T221320Z"),
        ("authorization", authz.as_bytes()),
    ];
    let hash = sha256_hex(body);
    // Verified without the body, from the hash alone.
    assert_eq!(check(&headers, b"", &hash), Ok(()));
    // Another hash is another request.
    assert_eq!(
        check(&headers, b"", &sha256_hex(b"other")),
        Err(SigV4Error::SignatureDoesNotMatch)
    );
    assert_eq!(
        check(&headers, b"", "UNSIGNED-PAYLOAD"),
        Err(SigV4Error::SignatureDoesNotMatch)
    );
}

#[test]
fn a_content_sha256_header_must_name_the_given_hash() {
    let hash = sha256_hex(b"hello");
    let unsigned_headers: [(&str, &[u8]); 3] = [
        ("host", b"s3.local"),
        ("x-amz-date", b"20231114T221320Z"),
        ("x-amz-content-sha256", hash.as_bytes()),
    ];
    let req = HttpRequestParts {
        method: "PUT",
        raw_path: "/bucket/key",
        raw_query: "",
        headers: &unsigned_headers,
        body: b"hello",
    };
    let authz = sign_authorization(
        &req,
        &["host", "x-amz-date", "x-amz-content-sha256"],
        "AKIAEXAMPLE",
        SECRET,
        "us-east-1",
        "s3",
        at(),
    );
    let headers: [(&str, &[u8]); 4] = [
        ("host", b"s3.local"),
        ("x-amz-date", b"20231114T221320Z"),
        ("x-amz-content-sha256", hash.as_bytes()),
        ("authorization", authz.as_bytes()),
    ];
    assert_eq!(check(&headers, b"", &hash), Ok(()));
    // The service claims another hash than the signed header: refused before any signature math.
    assert_eq!(
        check(&headers, b"", &sha256_hex(b"x")),
        Err(SigV4Error::SignatureDoesNotMatch)
    );
}
