#![allow(clippy::unwrap_used, reason = "a test that panics has failed")]
//! Presigned auth parameters are read from the same decoded query pairs the
//! signature covers (issue 12, item 9): an encoded parameter name cannot hide
//! `X-Amz-Expires` from the expiry check while the signature still holds, and
//! an auth parameter given twice, in any encoding, is refused.

use time::{Duration, OffsetDateTime};
use warden_wire::sigv4::{
    parse_auth, presign_query, verify, HttpRequestParts, SigV4Error, SigningKeyCache,
};
use warden_wire::ErrorCode;

const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const HOST: [(&str, &[u8]); 1] = [("Host", b"sts.amazonaws.com")];

fn signed_at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn base() -> HttpRequestParts<'static> {
    HttpRequestParts {
        method: "GET",
        raw_path: "/",
        raw_query: "Action=GetCallerIdentity&Version=2011-06-15",
        headers: &HOST,
        body: b"",
    }
}

/// A presigned GetCallerIdentity query valid for 60 seconds.
fn presigned() -> String {
    presign_query(
        &base(),
        "AKIAEXAMPLE",
        SECRET,
        "us-east-1",
        "sts",
        signed_at(),
        60,
        None,
    )
}

fn check(query: &str, now: OffsetDateTime) -> Result<(), SigV4Error> {
    let req = HttpRequestParts {
        raw_query: query,
        ..base()
    };
    let auth = parse_auth(&req, now)?;
    verify(&req, &auth, SECRET, &SigningKeyCache::default(), now)
}

#[test]
fn encoded_expires_name_is_still_the_expiry() {
    let q = presigned();
    assert!(q.contains("X-Amz-Expires=60"));
    let late = signed_at() + Duration::seconds(120);
    // Control: within its 60 seconds the URL works, after them it does not.
    assert_eq!(check(&q, signed_at() + Duration::seconds(60)), Ok(()));
    assert_eq!(check(&q, late), Err(SigV4Error::RequestExpired));
    // One letter encoded (or the dashes): the same parameter, the same expiry.
    for encoded in ["X-Amz-%45xpires", "X%2DAmz%2DExpires", "%58-Amz-Expires"] {
        let q2 = q.replace("X-Amz-Expires", encoded);
        assert_eq!(
            check(&q2, late),
            Err(SigV4Error::RequestExpired),
            "{encoded}"
        );
        // ... and it still verifies while fresh: decoding is consistent.
        assert_eq!(check(&q2, signed_at()), Ok(()), "{encoded}");
    }
}

#[test]
fn duplicated_auth_parameters_are_refused() {
    let q = presigned();
    for (extra, name) in [
        ("X-Amz-Expires=604800", "X-Amz-Expires"),
        ("X-Amz-%45xpires=604800", "X-Amz-Expires"),
        ("x-amz-expires=604800", "X-Amz-Expires"),
        ("X-Amz-Date=20991231T000000Z", "X-Amz-Date"),
        (
            "X-Amz-Credential=AKIAOTHER%2F20231114%2Fus-east-1%2Fsts%2Faws4_request",
            "X-Amz-Credential",
        ),
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm"),
        ("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders"),
        ("X-Amz-Signature=00", "X-Amz-Signature"),
    ] {
        let q2 = format!("{q}&{extra}");
        let e = check(&q2, signed_at()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::IncompleteSignature, "{extra}");
        assert_eq!(e.http_status(), 400, "{extra}");
        assert!(e.message().contains(name), "{extra}: {e:?}");
    }
    let tok = presign_query(
        &base(),
        "ASIAEXAMPLE",
        SECRET,
        "us-east-1",
        "sts",
        signed_at(),
        60,
        Some("tok"),
    );
    let e = check(&format!("{tok}&X-Amz-Security-Token=other"), signed_at()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::IncompleteSignature);
    // Control: the untouched query verifies.
    assert_eq!(check(&tok, signed_at()), Ok(()));
}

#[test]
fn other_letter_case_alone_is_an_ordinary_signed_parameter() {
    // `x-amz-expires` is not the auth parameter: changing the name breaks the
    // signature, so it cannot be used to drop the expiry either.
    let q = presigned().replace("X-Amz-Expires", "x-amz-expires");
    assert_eq!(
        check(&q, signed_at()),
        Err(SigV4Error::SignatureDoesNotMatch)
    );
}
