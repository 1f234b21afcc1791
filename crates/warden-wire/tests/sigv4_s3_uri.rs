#![expect(clippy::unwrap_used, reason = "a test that panics has failed")]
//! S3's canonical URI: requests signed for the service `s3` are verified with the path as sent
//! (no normalization, no second encoding), every other service with the generic rule.
//!
//! Vectors: the "GET Object" and presigned-URL examples of AWS's S3 API reference
//! (`sig-v4-header-based-auth.html`, `sigv4-query-string-auth.html`: key `AKIAIOSFODNN7EXAMPLE`,
//! secret `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, 2013-05-24), and a request botocore's
//! `S3SigV4Auth` signed for a key whose path has an empty segment, a `..` and an encoded slash.

use time::OffsetDateTime;
use warden_wire::sigv4::{
    parse_auth_untimed, presign_query, sign_authorization, verify_with_payload_hash,
    HttpRequestParts, SigV4Error, SigningKeyCache,
};

const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The payload hash a presigned URL signs: S3's are made before the body is known and sign
/// `UNSIGNED-PAYLOAD` (S3 API reference, "Authenticating Requests: Using Query Parameters");
/// other services' sign the (empty) body's hash.
fn presigned_payload(service: &str) -> &'static str {
    if service == "s3" {
        "UNSIGNED-PAYLOAD"
    } else {
        EMPTY_SHA256
    }
}

fn check(
    path: &str,
    query: &str,
    headers: &[(&str, &[u8])],
    payload_hash: &str,
    now: OffsetDateTime,
) -> Result<(), SigV4Error> {
    let req = HttpRequestParts {
        method: "GET",
        raw_path: path,
        raw_query: query,
        headers,
        body: b"",
    };
    let auth = parse_auth_untimed(&req)?;
    verify_with_payload_hash(
        &req,
        &auth,
        SECRET,
        &SigningKeyCache::default(),
        now,
        payload_hash,
    )
}

fn may_24_2013() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_369_353_600).unwrap()
}

#[test]
fn aws_s3_get_object_example_verifies() {
    let authz =
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
        SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
        Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    let headers: [(&str, &[u8]); 5] = [
        ("Host", b"examplebucket.s3.amazonaws.com"),
        ("Range", b"bytes=0-9"),
        ("x-amz-content-sha256", EMPTY_SHA256.as_bytes()),
        ("x-amz-date", b"20130524T000000Z"),
        ("Authorization", authz.as_bytes()),
    ];
    assert_eq!(
        check("/test.txt", "", &headers, EMPTY_SHA256, may_24_2013()),
        Ok(())
    );
    // Another object is another signature.
    assert_eq!(
        check("/test2.txt", "", &headers, EMPTY_SHA256, may_24_2013()),
        Err(SigV4Error::SignatureDoesNotMatch)
    );
}

#[test]
fn aws_s3_presigned_url_example_verifies() {
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
        &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
        &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    let headers: [(&str, &[u8]); 1] = [("Host", b"examplebucket.s3.amazonaws.com")];
    assert_eq!(
        check(
            "/test.txt",
            query,
            &headers,
            "UNSIGNED-PAYLOAD",
            may_24_2013()
        ),
        Ok(())
    );
}

#[test]
fn botocore_s3_signature_over_an_unnormalized_path_verifies() {
    // botocore 1.x `S3SigV4Auth` on GET https://examplebucket.s3.amazonaws.com/a//x/../y%2Fz at
    // 2026-12-06T11:14:30Z. The generic rule would sign `/a/y%252Fz` and refuse it.
    let authz =
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261206/us-east-1/s3/aws4_request, \
        SignedHeaders=host;x-amz-content-sha256;x-amz-date, \
        Signature=05c785d366101abc2f4adee3bcd4a7033ec80b88fc71844cfd342180489c28ef";
    let headers: [(&str, &[u8]); 4] = [
        ("host", b"examplebucket.s3.amazonaws.com"),
        ("x-amz-date", b"20261206T111430Z"),
        ("x-amz-content-sha256", EMPTY_SHA256.as_bytes()),
        ("authorization", authz.as_bytes()),
    ];
    let at = OffsetDateTime::from_unix_timestamp(1_796_555_670).unwrap();
    assert_eq!(
        check("/a//x/../y%2Fz", "", &headers, EMPTY_SHA256, at),
        Ok(())
    );
    // The normalized path is a different object, and a different signature.
    assert_eq!(
        check("/a/y%2Fz", "", &headers, EMPTY_SHA256, at),
        Err(SigV4Error::SignatureDoesNotMatch)
    );
}

#[test]
fn the_client_signers_follow_the_scope_service() {
    // Signed for s3, `/b/./k` and `/b/k` are different requests; signed for another service they
    // canonicalize alike, so the same signature verifies both.
    let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    for (service, same) in [("s3", false), ("execute-api", true)] {
        let base: [(&str, &[u8]); 2] = [("host", b"h"), ("x-amz-date", b"20231114T221320Z")];
        let req = HttpRequestParts {
            method: "GET",
            raw_path: "/b/./k",
            raw_query: "",
            headers: &base,
            body: b"",
        };
        let authz = sign_authorization(
            &req,
            &["host", "x-amz-date"],
            "AKIAIOSFODNN7EXAMPLE",
            SECRET,
            "us-east-1",
            service,
            at,
        );
        let headers: [(&str, &[u8]); 3] = [
            ("host", b"h"),
            ("x-amz-date", b"20231114T221320Z"),
            ("authorization", authz.as_bytes()),
        ];
        assert_eq!(
            check("/b/./k", "", &headers, EMPTY_SHA256, at),
            Ok(()),
            "{service}"
        );
        assert_eq!(
            check("/b/k", "", &headers, EMPTY_SHA256, at).is_ok(),
            same,
            "{service}"
        );
        let query = presign_query(
            &req,
            "AKIAIOSFODNN7EXAMPLE",
            SECRET,
            "us-east-1",
            service,
            at,
            60,
            None,
        );
        let host: [(&str, &[u8]); 1] = [("host", b"h")];
        assert_eq!(
            check("/b/./k", &query, &host, presigned_payload(service), at),
            Ok(())
        );
    }
}

#[test]
fn an_s3_presigned_url_lives_its_whole_expiry_and_others_only_the_skew_window() {
    let signed = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let an_hour_later = signed + time::Duration::hours(1);
    for (service, expected) in [
        ("s3", Ok(())),
        (
            "execute-api",
            Err(SigV4Error::SignatureExpired(String::new())),
        ),
    ] {
        let host: [(&str, &[u8]); 1] = [("host", b"h")];
        let req = HttpRequestParts {
            method: "GET",
            raw_path: "/b/k",
            raw_query: "",
            headers: &host,
            body: b"",
        };
        let query = presign_query(
            &req,
            "AKIAIOSFODNN7EXAMPLE",
            SECRET,
            "us-east-1",
            service,
            signed,
            7200,
            None,
        );
        let payload = presigned_payload(service);
        let got = check("/b/k", &query, &host, payload, an_hour_later);
        match expected {
            Ok(()) => assert_eq!(got, Ok(()), "{service}"),
            Err(_) => assert!(
                matches!(got, Err(SigV4Error::SignatureExpired(_))),
                "{service}: {got:?}"
            ),
        }
        // Past its expiry, expired for every service.
        let late = signed + time::Duration::seconds(7201);
        assert_eq!(
            check("/b/k", &query, &host, payload, late),
            Err(SigV4Error::RequestExpired)
        );
    }
}
