//! S3's authentication of a client request, in S3's words: the one authenticator the S3 gateway and
//! the authorization API (for `SigningService` `s3`) share. It reads the request's SigV4 (header or
//! presigned), checks what S3 checks before the secret is known (SigV2 refused, presigned
//! parameters, payload line, credential scope, unsigned `x-amz-*` headers), looks the credentials
//! up in warden's in-memory model and verifies the signature. Texts and codes:
//! `/work/shared/reference/s3-authorization.md` §1.1, §1.7, §1.8 and §7.

use time::OffsetDateTime;
use warden_core::auth::Caller;
use warden_core::CoreError;
use warden_wire::sigv4::{self, chunked, AuthKind, HttpRequestParts, ParsedAuth, SigV4Error};

use super::errors::S3Error;
use crate::AppState;

/// Who signed an S3 request, and what the signature binds.
pub(crate) struct S3Client {
    /// The authenticated caller; `None` for a request without any credentials (anonymous).
    pub caller: Option<Caller>,
    /// Header or presigned; `None` when anonymous.
    pub kind: Option<AuthKind>,
    /// The payload line the signature covers: the client's `x-amz-content-sha256` (header auth),
    /// `UNSIGNED-PAYLOAD` (presigned), or what the asking service says it is.
    pub payload: String,
    /// The seed of an aws-chunked body's signature chain.
    pub chain: Option<chunked::ChunkChain>,
    /// When the request was signed (`s3:signatureAge`).
    pub signed_at: Option<OffsetDateTime>,
    /// The credential scope's region.
    pub scope_region: Option<String>,
}

impl S3Client {
    /// `s3:authType`: `REST-HEADER` or `REST-QUERY-STRING` (empty when anonymous).
    pub fn auth_type(&self) -> &'static str {
        match self.kind {
            Some(AuthKind::Header) => "REST-HEADER",
            Some(AuthKind::Presigned) => "REST-QUERY-STRING",
            None => "",
        }
    }
}

/// Authenticates an S3 request as S3 does. `region` is the region this endpoint serves (a scope
/// naming another is refused; `None` accepts any). `payload_hash` is the payload line when the
/// asking service states it (the authorization API); the gateway passes `None` and the line is
/// read from the request (`x-amz-content-sha256`, or `UNSIGNED-PAYLOAD` when presigned).
pub(crate) fn authenticate(
    app: &AppState,
    http: &HttpRequestParts<'_>,
    region: Option<&str>,
    payload_hash: Option<&str>,
    now: OffsetDateTime,
) -> Result<S3Client, S3Error> {
    if uses_sigv2(http) {
        // S3's text for a refused SigV2 request (a pasted S3 body, reference §1.1).
        return Err(S3Error::new(
            400,
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        ));
    }
    presigned_params(http.raw_query)?;
    let content_sha256 = header(http, "x-amz-content-sha256");
    // S3 looks at the scope and the key before the clock (reference §1.8); the times are checked
    // with the signature.
    let auth = match sigv4::parse_auth_untimed(http) {
        Ok(auth) => auth,
        Err(SigV4Error::MissingAuthenticationToken) => {
            let payload = payload_hash
                .or(content_sha256)
                .unwrap_or("UNSIGNED-PAYLOAD")
                .to_string();
            if !valid_payload_line(&payload) {
                return Err(invalid_payload_line(payload));
            }
            return Ok(S3Client {
                caller: None,
                kind: None,
                payload,
                chain: None,
                signed_at: None,
                scope_region: None,
            });
        }
        Err(e) => return Err(from_sigv4(&e, attempted_kind(http))),
    };
    let presigned = auth.kind == AuthKind::Presigned;
    // S3 requires the header on header auth, whoever states the payload line.
    let payload = match (content_sha256, presigned) {
        (None, false) => {
            // versitygw's copy of S3's text (reference §1.8).
            return Err(S3Error::new(
                400,
                "InvalidRequest",
                "Missing required header for this request: x-amz-content-sha256",
            ));
        }
        (Some(line), false) => payload_hash.unwrap_or(line).to_string(),
        (_, true) => payload_hash.unwrap_or("UNSIGNED-PAYLOAD").to_string(),
    };
    if !presigned && !valid_payload_line(&payload) {
        return Err(invalid_payload_line(payload));
    }
    check_scope(&auth, region)?;
    unsigned_amz_headers(http, &auth)?;
    let (secret, caller) = app
        .warden
        .credentials_for(
            &auth.access_key_id,
            auth.security_token.as_deref(),
            now.unix_timestamp(),
        )
        .map_err(|e| credential_error(e, &auth))?;
    sigv4::verify_with_payload_hash(
        http,
        &auth,
        secret.expose(),
        &app.signing_keys,
        now,
        &payload,
    )
    .map_err(|e| from_sigv4(&e, auth.kind))?;
    let chain = chunked::StreamingMode::from_content_sha256(&payload)
        .map(|_| sigv4::chunk_chain(&auth, secret.expose(), &app.signing_keys));
    Ok(S3Client {
        caller: Some(caller),
        kind: Some(auth.kind),
        payload,
        chain,
        signed_at: Some(auth.request_time),
        scope_region: Some(auth.scope.region),
    })
}

fn header<'a>(http: &'a HttpRequestParts<'_>, name: &str) -> Option<&'a str> {
    http.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
}

/// Whether a request carries Signature Version 2 credentials (`AWSAccessKeyId` and `Signature` in
/// the query, or an `Authorization: AWS ...` header), which `parse_auth` does not read: refused,
/// never taken for anonymous.
pub(crate) fn uses_sigv2(http: &HttpRequestParts<'_>) -> bool {
    let header = http
        .headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("authorization") && v.starts_with(b"AWS "));
    header || sigv2_query(http.raw_query)
}

/// A SigV2 presigned URL (`AWSAccessKeyId` and `Signature` in the query).
pub(crate) fn sigv2_query(query: &str) -> bool {
    let (mut key_id, mut signature) = (false, false);
    for piece in query.split('&') {
        match piece.split_once('=').map_or(piece, |(n, _)| n) {
            "AWSAccessKeyId" => key_id = true,
            "Signature" => signature = true,
            _ => {}
        }
    }
    key_id && signature
}

/// The kind of auth a request attempts, for naming a parse failure: header unless only the query
/// carries SigV4.
fn attempted_kind(http: &HttpRequestParts<'_>) -> AuthKind {
    match header(http, "authorization") {
        None if http.raw_query.contains("X-Amz-") => AuthKind::Presigned,
        _ => AuthKind::Header,
    }
}

/// Every decoded query pair, borrowed where nothing was escaped.
pub(crate) fn query_pairs(
    raw: &str,
) -> impl Iterator<Item = (std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)> + '_ {
    raw.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (n, v) = p.split_once('=').unwrap_or((p, ""));
        let dec = |s| percent_encoding::percent_decode_str(s).decode_utf8_lossy();
        (dec(n), dec(v))
    })
}

/// S3's own checks of a presigned URL's parameters, with its texts (reference §1.7: "must be less
/// than a week" and "requires the X-Amz-Algorithm, ..." pasted from or recorded on S3).
fn presigned_params(query: &str) -> Result<(), S3Error> {
    let params: Vec<_> = query_pairs(query).collect();
    let get = |n: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| &**v)
    };
    if get("X-Amz-Algorithm").is_none() && get("X-Amz-Credential").is_none() {
        return Ok(());
    }
    let err = |m: &str| S3Error::new(400, "AuthorizationQueryParametersError", m);
    let required = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
    ];
    if required.iter().any(|n| get(n).is_none()) {
        return Err(err(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
             X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    }
    match get("X-Amz-Expires").map(str::parse::<i64>) {
        Some(Ok(n)) if n > 604_800 => Err(err(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires \
             must be less than 604800 seconds",
        )),
        Some(Ok(n)) if n < 0 => Err(err("X-Amz-Expires must be non-negative")),
        Some(Err(_)) => Err(err("X-Amz-Expires should be a number")),
        _ => Ok(()),
    }
}

/// S3's answer to an `x-amz-content-sha256` it does not know (reference §1.3, pasted S3 body).
fn invalid_payload_line(payload: String) -> S3Error {
    S3Error::new(
        400,
        "InvalidArgument",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, \
         STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, \
         STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER \
         or a valid sha256 value.",
    )
    .with("ArgumentName", "x-amz-content-sha256")
    .with("ArgumentValue", payload)
}

/// The payload lines warden verifies: hex SHA-256, `UNSIGNED-PAYLOAD`, and the SigV4 streaming
/// forms (SigV4a's ECDSA ones are refused).
pub(crate) fn valid_payload_line(p: &str) -> bool {
    matches!(
        p,
        "UNSIGNED-PAYLOAD"
            | "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
            | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
            | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    ) || (p.len() == 64 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// S3's answers for a credential scoped to another service or region: `AuthorizationHeaderMalformed`
/// (header) or `AuthorizationQueryParametersError` (presigned), 400, with `<Region>`.
fn check_scope(auth: &ParsedAuth, region: Option<&str>) -> Result<(), S3Error> {
    let (code, lead) = match auth.kind {
        AuthKind::Header => (
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed;",
        ),
        AuthKind::Presigned => (
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter;",
        ),
    };
    if auth.scope.service != "s3" {
        // versitygw's wording (reference §1.8, unverified against AWS).
        return Err(S3Error::new(
            400,
            code,
            format!(
                "{lead} incorrect service \"{}\". This endpoint belongs to \"s3\".",
                auth.scope.service
            ),
        ));
    }
    if let Some(region) = region.filter(|r| *r != auth.scope.region) {
        // Recorded against AWS for the header form (LocalStack `TestS3::test_create_bucket_aws_global`,
        // whose provider raises it with `Region`; mountpoint-s3's pasted body; reference §1.8); the
        // presigned form after versitygw.
        return Err(S3Error::new(
            400,
            code,
            format!(
                "{lead} the region '{}' is wrong; expecting '{region}'",
                auth.scope.region
            ),
        )
        .with("Region", region));
    }
    Ok(())
}

/// S3 refuses a request carrying an `x-amz-*` header its signature does not cover, in both forms
/// (`x-amz-content-sha256` of a presigned request excepted): such a header would change the request
/// without the signer's consent. Recorded for presigned requests (LocalStack's
/// `TestS3PresignedUrl::test_put_object_with_md5_and_chunk_signature_bad_headers`, reference §1.7);
/// for header auth, S3's answer to a ListObjectsV2 signed without its `x-amz-acl` header as quoted
/// by `englacial/zagg` (issue #522: 403 AccessDenied with `<HeadersNotSigned>x-amz-acl`), and
/// versitygw's integration tests.
fn unsigned_amz_headers(http: &HttpRequestParts<'_>, auth: &ParsedAuth) -> Result<(), S3Error> {
    let presigned = auth.kind == AuthKind::Presigned;
    let mut unsigned: Vec<String> = Vec::new();
    for (name, _) in http.headers {
        let lower = name.to_ascii_lowercase();
        let exempt = presigned && lower == "x-amz-content-sha256";
        if lower.starts_with("x-amz-")
            && !exempt
            && !auth.signed_headers.contains(&lower)
            && !unsigned.contains(&lower)
        {
            unsigned.push(lower);
        }
    }
    if unsigned.is_empty() {
        return Ok(());
    }
    Err(S3Error::new(
        403,
        "AccessDenied",
        "There were headers present in the request which were not signed",
    )
    .with("HeadersNotSigned", unsigned.join(", ")))
}

/// A failure of the key or token lookup, in S3's words (real bodies quoted in reference §1.8).
fn credential_error(e: CoreError, auth: &ParsedAuth) -> S3Error {
    match e {
        CoreError::ExpiredToken => {
            S3Error::new(400, "ExpiredToken", "The provided token has expired.")
        }
        _ if auth.security_token.is_some() => S3Error::new(
            400,
            "InvalidToken",
            "The provided token is malformed or otherwise invalid.",
        ),
        _ => S3Error::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with("AWSAccessKeyId", auth.access_key_id.clone()),
    }
}

/// S3's answer to a SigV4 failure (S3 words these differently from IAM; texts from reference
/// §1.7/§1.8 and §7, recorded where it says so). A malformed signature is named after its kind.
pub(crate) fn from_sigv4(e: &SigV4Error, kind: AuthKind) -> S3Error {
    let malformed = match kind {
        AuthKind::Header => "AuthorizationHeaderMalformed",
        AuthKind::Presigned => "AuthorizationQueryParametersError",
    };
    match e {
        SigV4Error::SignatureDoesNotMatch => S3Error::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. \
             Check your key and signing method.",
        ),
        SigV4Error::RequestExpired => S3Error::new(403, "AccessDenied", "Request has expired"),
        SigV4Error::MissingAuthenticationToken => S3Error::access_denied(),
        SigV4Error::SignatureExpired(_) => S3Error::new(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .with("MaxAllowedSkewMilliseconds", "900000"),
        SigV4Error::IncompleteSignature(m) | SigV4Error::ScopeMismatch(m) => {
            S3Error::new(400, malformed, m.clone())
        }
        SigV4Error::InvalidClientTokenId => S3Error::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_failures_use_s3_codes() {
        let e = from_sigv4(&SigV4Error::InvalidClientTokenId, AuthKind::Header);
        assert_eq!((e.code, e.status), ("InvalidAccessKeyId", 403));
        let e = from_sigv4(&SigV4Error::RequestExpired, AuthKind::Presigned);
        assert_eq!(
            (e.code, e.message.as_str(), e.status),
            ("AccessDenied", "Request has expired", 403)
        );
        let e = from_sigv4(&SigV4Error::SignatureExpired("x".into()), AuthKind::Header);
        assert_eq!((e.code, e.status), ("RequestTimeTooSkewed", 403));
        let e = from_sigv4(
            &SigV4Error::IncompleteSignature("x".into()),
            AuthKind::Presigned,
        );
        assert_eq!(
            (e.code, e.status),
            ("AuthorizationQueryParametersError", 400)
        );
    }

    #[test]
    fn payload_lines_and_sigv2_queries() {
        assert!(!valid_payload_line(&"z".repeat(64)));
        assert!(valid_payload_line(&"a".repeat(64)));
        assert!(!valid_payload_line(
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
        ));
        assert!(sigv2_query("AWSAccessKeyId=a&Signature=b&Expires=1"));
        assert!(!sigv2_query("X-Amz-Signature=b"));
    }
}
