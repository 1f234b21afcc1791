//! SigV4 verification (server side) for the Query (IAM, STS) and JSON 1.1
//! (Organizations) protocols.
//!
//! # API
//!
//! Verification has two phases so the server can look the key up in between:
//!
//! ```text
//! let req = HttpRequestParts { method, raw_path, raw_query, headers: &[(name, value_bytes)], body };
//! let auth = parse_auth(&req, now)?;            // no secret needed
//! // server: look up auth.access_key_id (unknown/inactive → SigV4Error::InvalidClientTokenId),
//! //         open auth.security_token for ASIA keys, check auth.scope via auth.check_scope(..)
//! verify(&req, &auth, secret, &cache, now)?;    // recompute + constant-time compare
//! ```
//!
//! * [`parse_auth`]`(&HttpRequestParts, now) -> Result<ParsedAuth, SigV4Error>` reads the
//!   `Authorization` header **or** the presigned query (`X-Amz-Algorithm`, `X-Amz-Credential`,
//!   `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`,
//!   `X-Amz-Security-Token`), by their percent-decoded names, from the same decoded pairs the
//!   canonical query is built from; one given twice, in any encoding or case, is
//!   `IncompleteSignature` (400). It checks, in this order: some auth present
//!   (else `MissingAuthenticationToken`); not both kinds at once; every component present and
//!   well-formed (`IncompleteSignature`, 400: credential `AKID/YYYYMMDD/region/service/aws4_request`,
//!   ISO-8601 basic date, `X-Amz-Expires` in 1..=604800); the scope date equals the date of
//!   `X-Amz-Date` (or `Date`) (`SignatureDoesNotMatch`); presigned expiry (`RequestExpired`); clock
//!   skew ±15 minutes (`SignatureDoesNotMatch` "Signature expired: ..."); `host` signed
//!   (`SignatureDoesNotMatch`).
//! * [`ParsedAuth`] exposes `access_key_id`, `scope` (date, region, service), `signed_headers`,
//!   `security_token`, `request_time`, `expires_secs`, `kind`; and
//!   [`ParsedAuth::check_scope`]`(Some(region) | None, service)` for the region/service check.
//! * [`verify`]`(&req, &auth, secret, &SigningKeyCache, now) -> Result<(), SigV4Error>` re-checks
//!   the time window, rebuilds the canonical request (payload hash = SHA-256 of the body; an
//!   `x-amz-content-sha256` header must equal it), derives or fetches the signing key from the
//!   [`SigningKeyCache`] and compares the signatures in constant time (`subtle`).
//! * [`SigV4Error`] gives `code()`, `message()`, `http_status()` (`api_error()` for the wire error).
//! * [`sign_authorization`] and [`presign_query`] are the client side, for tests, benches and
//!   the load generator.
//!
//! Header values are passed as bytes in arrival order; repeated headers are
//! listed once per value. With `http::HeaderMap`:
//! `map.iter().map(|(k, v)| (k.as_str(), v.as_bytes())).collect::<Vec<_>>()`.
//!
//! Canonicalization follows AWS: for every service but S3 the path is normalized
//! and its (already percent-encoded) wire form encoded once more; for S3 (the
//! credential scope's service decides, [`UriRule::for_service`]) the path is
//! signed exactly as sent. Query
//! parameters are decoded, re-encoded and sorted, header values trimmed with
//! inner runs of spaces folded, repeated headers joined with commas. Tested
//! against AWS's SigV4 test suite in `tests/sigv4_suite.rs`.

mod canonical;
pub mod checksum;
pub mod chunked;
mod error;
mod key_cache;
mod parse;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

pub use canonical::UriRule;
pub use error::{SigV4Error, SIGNATURE_DOES_NOT_MATCH_MESSAGE};
pub use key_cache::{derive_signing_key, SigningKeyCache, DEFAULT_SIGNING_KEY_CACHE_CAPACITY};
pub use parse::{
    format_amz_date, is_presign_param, parse_amz_date, parse_auth, parse_auth_untimed, AuthKind,
    CredentialScope, ParsedAuth, ALGORITHM, MAX_CLOCK_SKEW, MAX_PRESIGNED_EXPIRES_SECS,
};

/// The parts of an HTTP request SigV4 covers, borrowed from the server's request.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequestParts<'a> {
    /// Upper-case method, e.g. `POST`.
    pub method: &'a str,
    /// The path exactly as received (still percent-encoded), without the query.
    pub raw_path: &'a str,
    /// The query string exactly as received, without the `?` (empty if none).
    pub raw_query: &'a str,
    /// Every header in arrival order, one entry per value.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The full body.
    pub body: &'a [u8],
}

/// The string to sign's scope line, `date/region/service/aws4_request`.
fn scope_string(scope: &CredentialScope) -> String {
    let mut v = Vec::with_capacity(64);
    scope_into(&mut v, scope);
    String::from_utf8_lossy(&v).into_owned()
}

fn scope_into(out: &mut Vec<u8>, scope: &CredentialScope) {
    out.extend_from_slice(scope.date.as_bytes());
    out.push(b'/');
    out.extend_from_slice(scope.region.as_bytes());
    out.push(b'/');
    out.extend_from_slice(scope.service.as_bytes());
    out.extend_from_slice(b"/aws4_request");
}

/// Computes the signature of `req` for the given auth data and signing key.
fn compute_signature(
    req: &HttpRequestParts<'_>,
    signed_headers: &[String],
    query_skip: Option<&str>,
    payload_hash_hex: &[u8],
    amz_date: &[u8],
    scope: &CredentialScope,
    signing_key: &[u8; 32],
) -> [u8; 32] {
    let mut creq = Vec::with_capacity(
        256 + req.raw_path.len() + req.raw_query.len() + 64 * signed_headers.len(),
    );
    canonical::canonical_request_into(
        &mut creq,
        req,
        signed_headers,
        query_skip,
        payload_hash_hex,
        UriRule::for_service(&scope.service),
    );
    let creq_hash = canonical::sha256_hex(&creq);
    let mut sts = Vec::with_capacity(200);
    sts.extend_from_slice(ALGORITHM.as_bytes());
    sts.push(b'\n');
    sts.extend_from_slice(amz_date);
    sts.push(b'\n');
    scope_into(&mut sts, scope);
    sts.push(b'\n');
    sts.extend_from_slice(&creq_hash);
    key_cache::hmac_sha256(signing_key, &sts)
}

/// The payload hash to sign: SHA-256 of the body. A client-sent
/// `x-amz-content-sha256` must agree with it, so the body is always
/// authenticated (`UNSIGNED-PAYLOAD` is an S3 feature and is refused here).
fn payload_hash(req: &HttpRequestParts<'_>) -> Result<[u8; 64], SigV4Error> {
    let computed = canonical::sha256_hex(req.body);
    if let Some((_, v)) = req
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
    {
        if !v.trim_ascii().eq_ignore_ascii_case(&computed) {
            return Err(SigV4Error::SignatureDoesNotMatch);
        }
    }
    Ok(computed)
}

/// Verifies the signature of a request parsed by [`parse_auth`] with the
/// caller's secret access key. See the module docs.
pub fn verify(
    req: &HttpRequestParts<'_>,
    auth: &ParsedAuth,
    secret: &[u8],
    cache: &SigningKeyCache,
    now: OffsetDateTime,
) -> Result<(), SigV4Error> {
    parse::check_times(auth, now)?;
    let payload = payload_hash(req)?;
    check_signature(req, auth, secret, cache, &payload)
}

/// Verifies a request whose body warden does not hold (a service asking the authorization API, the
/// S3 gateway streaming a body): the canonical request's payload line is `payload_hash` as given (hex
/// SHA-256, or S3's `UNSIGNED-PAYLOAD` and `STREAMING-...` markers), `req.body` is ignored, and a
/// signed `x-amz-content-sha256` header must say the same. Whoever calls this must check that the
/// body it forwards hashes to `payload_hash` (or is streamed and checked chunk by chunk).
pub fn verify_with_payload_hash(
    req: &HttpRequestParts<'_>,
    auth: &ParsedAuth,
    secret: &[u8],
    cache: &SigningKeyCache,
    now: OffsetDateTime,
    payload_hash: &str,
) -> Result<(), SigV4Error> {
    parse::check_times(auth, now)?;
    if let Some((_, v)) = req
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
    {
        if v.trim_ascii() != payload_hash.as_bytes() {
            return Err(SigV4Error::SignatureDoesNotMatch);
        }
    }
    check_signature(req, auth, secret, cache, payload_hash.as_bytes())
}

/// The signature check both verifiers end with, once the times and the payload hash are settled.
fn check_signature(
    req: &HttpRequestParts<'_>,
    auth: &ParsedAuth,
    secret: &[u8],
    cache: &SigningKeyCache,
    payload_hash_hex: &[u8],
) -> Result<(), SigV4Error> {
    let key = cache.signing_key(
        &auth.access_key_id,
        &auth.scope.date,
        &auth.scope.region,
        &auth.scope.service,
        secret,
    );
    let query_skip = match auth.kind {
        AuthKind::Header => None,
        AuthKind::Presigned => Some("X-Amz-Signature"),
    };
    let expected = compute_signature(
        req,
        &auth.signed_headers,
        query_skip,
        payload_hash_hex,
        &parse::amz_date_bytes(auth.request_time),
        &auth.scope,
        &key,
    );
    if bool::from(expected.ct_eq(&auth.signature)) {
        Ok(())
    } else {
        Err(SigV4Error::SignatureDoesNotMatch)
    }
}

/// The chain of chunk signatures of a streaming S3 upload whose seed signature `auth` carries
/// (verify the request first).
pub fn chunk_chain(
    auth: &ParsedAuth,
    secret: &[u8],
    cache: &SigningKeyCache,
) -> chunked::ChunkChain {
    let key = cache.signing_key(
        &auth.access_key_id,
        &auth.scope.date,
        &auth.scope.region,
        &auth.scope.service,
        secret,
    );
    chunked::ChunkChain::for_request(auth, key)
}

/// Client side: the `Authorization` header value for `req`.
///
/// `req.headers` must already hold every header named in `signed_headers`
/// (at least `host` and `x-amz-date`); `signed_headers` are sorted and
/// lower-cased here. The payload hash is SHA-256 of `req.body`.
pub fn sign_authorization(
    req: &HttpRequestParts<'_>,
    signed_headers: &[&str],
    access_key_id: &str,
    secret: &[u8],
    region: &str,
    service: &str,
    time: OffsetDateTime,
) -> String {
    let payload = canonical::sha256_hex(req.body);
    sign_authorization_with_payload_hash(
        req,
        signed_headers,
        access_key_id,
        secret,
        region,
        service,
        time,
        &payload,
        None,
    )
}

/// Client side, as [`sign_authorization`], with the canonical request's payload line given
/// (`UNSIGNED-PAYLOAD`, a `STREAMING-...` marker or a hex SHA-256) instead of hashed from `req.body`:
/// the S3 gateway re-signs streamed requests for its backend with it. With a `cache`, the
/// signing key (four HMACs) is derived once per day, region and service, as on the verifying side.
#[expect(
    clippy::too_many_arguments,
    reason = "sign_authorization's arguments plus the payload line and the key cache"
)]
pub fn sign_authorization_with_payload_hash(
    req: &HttpRequestParts<'_>,
    signed_headers: &[&str],
    access_key_id: &str,
    secret: &[u8],
    region: &str,
    service: &str,
    time: OffsetDateTime,
    payload_hash: &[u8],
    cache: Option<&SigningKeyCache>,
) -> String {
    let mut names: Vec<String> = signed_headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    let amz_date = format_amz_date(time);
    let scope = CredentialScope {
        date: amz_date[..8].to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    };
    let key = match cache {
        Some(cache) => cache.signing_key(access_key_id, &scope.date, region, service, secret),
        None => derive_signing_key(secret, &scope.date, region, service),
    };
    let sig = compute_signature(
        req,
        &names,
        None,
        payload_hash,
        amz_date.as_bytes(),
        &scope,
        &key,
    );
    format!(
        "{ALGORITHM} Credential={access_key_id}/{}, SignedHeaders={}, Signature={}",
        scope_string(&scope),
        names.join(";"),
        hex::encode(sig)
    )
}

/// Client side: the query string of a presigned request (signing `host`
/// only). `req.raw_query` holds the request's own parameters; the result is
/// those parameters followed by the `X-Amz-*` ones, ready to use after `?`.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per input of a presigned URL, in the order SigV4 lists them"
)]
pub fn presign_query(
    req: &HttpRequestParts<'_>,
    access_key_id: &str,
    secret: &[u8],
    region: &str,
    service: &str,
    time: OffsetDateTime,
    expires_secs: u32,
    security_token: Option<&str>,
) -> String {
    let amz_date = format_amz_date(time);
    let scope = CredentialScope {
        date: amz_date[..8].to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    };
    let enc = |s: &str| {
        let mut v = Vec::new();
        canonical::uri_encode_into(&mut v, s.as_bytes());
        String::from_utf8_lossy(&v).into_owned()
    };
    let mut query = String::from(req.raw_query);
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&format!(
        "X-Amz-Algorithm={ALGORITHM}&X-Amz-Credential={}&X-Amz-Date={amz_date}&X-Amz-Expires={expires_secs}&X-Amz-SignedHeaders=host",
        enc(&format!("{access_key_id}/{}", scope_string(&scope)))
    ));
    if let Some(t) = security_token {
        query.push_str("&X-Amz-Security-Token=");
        query.push_str(&enc(t));
    }
    let key = derive_signing_key(secret, &scope.date, region, service);
    // S3 presigned URLs sign `UNSIGNED-PAYLOAD`: the body is not known when the URL is made.
    let hashed = canonical::sha256_hex(req.body);
    let payload: &[u8] = if service == "s3" {
        b"UNSIGNED-PAYLOAD"
    } else {
        &hashed
    };
    let with_query = HttpRequestParts {
        raw_query: &query,
        ..*req
    };
    let sig = compute_signature(
        &with_query,
        &["host".to_owned()],
        None,
        payload,
        amz_date.as_bytes(),
        &scope,
        &key,
    );
    query.push_str("&X-Amz-Signature=");
    query.push_str(&hex::encode(sig));
    query
}

/// SHA-256 of `data` as lower-case hex (for an `x-amz-content-sha256` header).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}
