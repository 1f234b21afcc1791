//! The S3 gateway (`warden serve --s3-backend URL`): S3 requests on warden's own listener are
//! authenticated with warden's credentials, decided by the one engine entry
//! ([`warden_core::Warden::decide_for_service`]) with the bucket's owner account and policy, and
//! either refused with S3's AccessDenied or forwarded, re-signed with the backend's credentials, to
//! any S3-compatible store. Bodies stream both ways. `docs/s3-gateway.md` says what is enforced.

mod body;
mod errors;
mod ops;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{request::Parts, HeaderMap, HeaderName, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use time::OffsetDateTime;
use warden_core::auth::Caller;
use warden_core::authz::external::ServiceCheck;
use warden_core::authz::RequestFacts;
use warden_core::CoreError;
use warden_policy::{ContextValue, DecisionKind};
use warden_wire::sigv4::{self, chunked, HttpRequestParts};

use crate::AppState;
use body::{Check, CheckedBody, Failure};
use errors::S3Error;
use ops::{Address, Need, Plan, Query};

/// Where and how the gateway reaches its backend store.
#[derive(Clone)]
pub struct S3Backend {
    /// `http://host:port` (path-style requests are sent to it).
    pub url: String,
    /// The region the backend signs for.
    pub region: String,
    /// The backend's access key id.
    pub access_key_id: String,
    /// The backend's secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Backend {
    // The backend secret is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Backend")
            .field("url", &self.url)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The running gateway: its backend and the pooled client that reaches it.
pub struct S3Gateway {
    backend: S3Backend,
    /// `host[:port]` of the backend, the `Host` it is signed for.
    authority: String,
    scheme: String,
    client: Client<HttpConnector, CheckedBody>,
}

impl std::fmt::Debug for S3Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Gateway")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl S3Gateway {
    /// A gateway in front of `backend`; `Err` says why its URL is unusable.
    pub fn new(backend: S3Backend) -> Result<S3Gateway, String> {
        let uri: Uri = backend
            .url
            .parse()
            .map_err(|e| format!("--s3-backend {}: {e}", backend.url))?;
        let scheme = uri.scheme_str().unwrap_or("");
        if scheme != "http" {
            return Err(format!(
                "--s3-backend {}: only http:// backends are supported",
                backend.url
            ));
        }
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .ok_or_else(|| format!("--s3-backend {}: no host", backend.url))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(S3Gateway {
            scheme: scheme.to_string(),
            authority,
            backend,
            client,
        })
    }
}

/// Whether a request is S3's: signed for `s3` (header or presigned), SigV2-signed, or unsigned and
/// not an IAM, STS or Organizations call (which are POSTs to `/`, or GETs naming an `Action`).
pub(crate) fn is_s3_request(parts: &Parts) -> bool {
    is_s3(&parts.method, &parts.uri, &parts.headers)
}

/// [`is_s3_request`] on a request's method, URI and headers.
pub(crate) fn is_s3(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    if let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        if auth.starts_with("AWS ") {
            return true;
        }
        return credential_service(auth) == Some("s3");
    }
    let query = uri.query().unwrap_or("");
    if sigv2_query(query) {
        return true;
    }
    if let Some(service) = presigned_service(query) {
        return service == "s3";
    }
    if headers.contains_key("x-amz-target") {
        return false;
    }
    let path = uri.path();
    if path != "/" && !path.is_empty() {
        return true;
    }
    *method != Method::POST && !query.split('&').any(|p| p.starts_with("Action="))
}

/// A SigV2 presigned URL (`AWSAccessKeyId` and `Signature` in the query).
fn sigv2_query(query: &str) -> bool {
    let names = || {
        query
            .split('&')
            .map(|p| p.split_once('=').map_or(p, |(n, _)| n))
    };
    names().any(|n| n == "AWSAccessKeyId") && names().any(|n| n == "Signature")
}

/// The service a presigned URL's `X-Amz-Credential` is scoped to.
fn presigned_service(query: &str) -> Option<String> {
    for piece in query.split('&') {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        if name.eq_ignore_ascii_case("X-Amz-Credential") {
            let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            return Some(value.split('/').nth(3).unwrap_or("").to_string());
        }
    }
    None
}

/// The service a SigV4 request is signed for: its `Authorization` header's
/// credential scope, or its presigned URL's.
/// Borrowed from the header, so checking every request allocates nothing.
pub(crate) fn signing_service(parts: &Parts) -> Option<std::borrow::Cow<'_, str>> {
    match parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        Some(auth) => credential_service(auth).map(std::borrow::Cow::Borrowed),
        None => presigned_service(parts.uri.query().unwrap_or("")).map(std::borrow::Cow::Owned),
    }
}

fn credential_service(auth: &str) -> Option<&str> {
    let cred = auth.split("Credential=").nth(1)?;
    let cred = cred.split([',', ' ']).next()?;
    cred.split('/').nth(3)
}

/// The router's entry: S3 requests go to the gateway when it runs, everything else to the AWS
/// API edge.
pub(crate) async fn dispatch(State(app): State<Arc<AppState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    match app.s3.clone() {
        Some(gw) if is_s3_request(&parts) => {
            handle(app, gw, Request::from_parts(parts, body)).await
        }
        _ => crate::edge::handle(State(app), Request::from_parts(parts, body)).await,
    }
}

/// Who is asking: an authenticated caller or nobody.
struct Who {
    caller: Option<Caller>,
    auth_type: &'static str,
    /// The client's payload line (`x-amz-content-sha256`, or `UNSIGNED-PAYLOAD` when presigned).
    payload: String,
    /// The seed of an aws-chunked body's signature chain.
    chain: Option<chunked::ChunkChain>,
    /// When the request was signed (`s3:signatureAge`).
    signed_at: Option<OffsetDateTime>,
}

async fn handle(app: Arc<AppState>, gw: Arc<S3Gateway>, req: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    let source_ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let head = req.method() == Method::HEAD;
    let (parts, body) = req.into_parts();
    let result = serve(&app, &gw, parts, body, source_ip, &request_id).await;
    match result {
        Ok(resp) => resp,
        Err(e) => {
            tracing::info!(
                request_id,
                code = e.code,
                status = e.status,
                "s3 request refused"
            );
            e.render(&request_id, head)
        }
    }
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The path's bucket and key (path-style): the key is percent-decoded once and kept as S3 keeps it.
fn address(path: &str) -> Result<Address, S3Error> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    if rest.is_empty() {
        return Ok(Address {
            bucket: None,
            key: None,
        });
    }
    let (bucket_raw, key_raw) = match rest.split_once('/') {
        Some((b, k)) => (b, Some(k)),
        None => (rest, None),
    };
    let invalid_uri = || S3Error::new(400, "InvalidURI", "Couldn't parse the specified URI.");
    let bucket = percent_encoding::percent_decode_str(bucket_raw)
        .decode_utf8()
        .map_err(|_| invalid_uri())?
        .into_owned();
    // S3's naming rules: 3-63 of lower-case letters, digits, dots and hyphens. Anything else
    // (an encoded slash, `..`) is not a bucket.
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !bucket.starts_with(['.', '-'])
        && !bucket.ends_with(['.', '-'])
        && !bucket.contains("..");
    if !valid {
        return Err(S3Error::new(
            400,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        )
        .with("BucketName", bucket));
    }
    let key = match key_raw {
        None | Some("") => None,
        Some(k) => Some(
            percent_encoding::percent_decode_str(k)
                .decode_utf8()
                .map_err(|_| invalid_uri())?
                .into_owned(),
        ),
    };
    Ok(Address {
        bucket: Some(bucket),
        key,
    })
}

/// The query's decoded pairs without the presigned-URL parameters.
fn query_of(raw: &str) -> Query {
    query_of_all(raw)
        .into_iter()
        .filter(|(n, _)| !is_presign_param(n))
        .collect()
}

fn is_presign_param(name: &str) -> bool {
    // `get` rather than indexing: a name may hold multi-byte characters.
    name.get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
        && name.get(6..).is_some_and(|rest| {
            matches!(
                rest.to_ascii_lowercase().as_str(),
                "algorithm"
                    | "credential"
                    | "date"
                    | "expires"
                    | "signedheaders"
                    | "signature"
                    | "security-token"
            )
        })
}

fn authenticate(app: &AppState, parts: &Parts, now: OffsetDateTime) -> Result<Who, S3Error> {
    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect();
    let http = HttpRequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: b"",
    };
    let sigv2 = header_str(&parts.headers, "authorization").is_some_and(|a| a.starts_with("AWS "))
        || sigv2_query(parts.uri.query().unwrap_or(""));
    {
        if sigv2 {
            return Err(S3Error::new(
                400,
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            ));
        }
    }
    presigned_params(parts.uri.query().unwrap_or(""))?;
    let auth = match sigv4::parse_auth(&http, now) {
        Err(sigv4::SigV4Error::MissingAuthenticationToken) => {
            let payload = header_str(&parts.headers, "x-amz-content-sha256")
                .unwrap_or("UNSIGNED-PAYLOAD")
                .to_string();
            if !valid_payload_line(&payload) {
                return Err(invalid_payload_line(payload));
            }
            return Ok(Who {
                caller: None,
                auth_type: "",
                payload,
                chain: None,
                signed_at: None,
            });
        }
        Err(e) => return Err(errors::from_sigv4(&e)),
        Ok(a) => a,
    };
    let presigned = auth.kind == sigv4::AuthKind::Presigned;
    let payload = if presigned {
        "UNSIGNED-PAYLOAD".to_string()
    } else {
        header_str(&parts.headers, "x-amz-content-sha256")
            .ok_or_else(|| {
                S3Error::new(
                    400,
                    "InvalidRequest",
                    "Missing required header for this request: x-amz-content-sha256",
                )
            })?
            .to_string()
    };
    if !presigned && !valid_payload_line(&payload) {
        return Err(invalid_payload_line(payload));
    }
    // Every x-amz-* header sent must be signed (S3, recorded for presigned URLs).
    let unsigned: Vec<String> = parts
        .headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("x-amz-") && !(presigned && *k == "x-amz-content-sha256"))
        .filter(|k| !auth.signed_headers.iter().any(|s| s == k))
        .map(str::to_string)
        .collect();
    if !unsigned.is_empty() {
        return Err(S3Error::new(
            403,
            "AccessDenied",
            "There were headers present in the request which were not signed",
        )
        .with("HeadersNotSigned", unsigned.join(", ")));
    }
    let (secret, caller) = app
        .warden
        .credentials_for(
            &auth.access_key_id,
            auth.security_token.as_deref(),
            now.unix_timestamp(),
        )
        .map_err(|e| match e {
            CoreError::ExpiredToken => {
                S3Error::new(400, "ExpiredToken", "The provided token has expired.")
            }
            CoreError::InvalidClientTokenId if auth.security_token.is_some() => S3Error::new(
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
        })?;
    sigv4::verify_with_payload_hash(
        &http,
        &auth,
        secret.expose(),
        &app.signing_keys,
        now,
        &payload,
    )
    .map_err(|e| errors::from_sigv4(&e))?;
    let chain = chunked::StreamingMode::from_content_sha256(&payload)
        .map(|_| sigv4::chunk_chain(&auth, secret.expose(), &app.signing_keys));
    Ok(Who {
        caller: Some(caller),
        auth_type: if presigned {
            "REST-QUERY-STRING"
        } else {
            "REST-HEADER"
        },
        payload,
        chain,
        signed_at: Some(auth.request_time),
    })
}

/// S3's own checks of a presigned URL's parameters, with its texts (reference §1.7: "must be less
/// than a week" and "requires the X-Amz-Algorithm, ..." pasted from or recorded on S3).
fn presigned_params(query: &str) -> Result<(), S3Error> {
    let params: Vec<(String, String)> = query_of_all(query);
    let get = |n: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
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

/// Every decoded query pair, the presigned ones included.
fn query_of_all(raw: &str) -> Query {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(n), dec(v))
        })
        .collect()
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

fn valid_payload_line(p: &str) -> bool {
    matches!(
        p,
        "UNSIGNED-PAYLOAD"
            | "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
            | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
            | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    ) || (p.len() == 64 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The request's global keys (`aws:SourceIp`, `aws:SecureTransport`, ...) and S3's request-wide
/// ones (`s3:authType`, `s3:signatureversion`, `s3:x-amz-content-sha256`).
fn facts(parts: &Parts, who: &Who, source_ip: Option<IpAddr>, now: OffsetDateTime) -> RequestFacts {
    let mut keys: Vec<(String, ContextValue)> = Vec::new();
    let mut one = |k: &str, v: &str| keys.push((k.to_string(), ContextValue::from(v)));
    if let Some(ip) = source_ip {
        one("aws:SourceIp", &ip.to_string());
    }
    if let Some(agent) = header_str(&parts.headers, "user-agent") {
        one("aws:UserAgent", agent);
    }
    // warden serves plain HTTP (a TLS proxy in front does not change what warden saw).
    one("aws:SecureTransport", "false");
    if who.caller.is_some() {
        one("s3:authType", who.auth_type);
        one("s3:signatureversion", "AWS4-HMAC-SHA256");
    }
    if let Some(at) = who.signed_at {
        // Milliseconds since the request was signed (S3: "the time in milliseconds that a
        // signature is valid in an authenticated request").
        let age = (now - at).whole_milliseconds().max(0);
        one("s3:signatureAge", &age.to_string());
    }
    one("s3:x-amz-content-sha256", &who.payload);
    RequestFacts {
        keys,
        now: now.unix_timestamp(),
    }
}

/// A bucket's owner and policy as the engine needs them; a bucket the gateway never saw created
/// belongs to warden's default account.
fn bucket_context(app: &AppState, bucket: &str) -> (String, Option<String>, bool) {
    match app.warden.buckets().get(bucket) {
        Some(b) => (b.account, b.policy, true),
        None => (app.warden.config().default_account.clone(), None, false),
    }
}

fn decide(app: &AppState, who: &Who, need: &Need, facts: &RequestFacts) -> Result<bool, S3Error> {
    let (account, policy) = match &need.bucket {
        Some(b) => {
            let (account, policy, _) = bucket_context(app, b);
            (Some(account), policy)
        }
        None => (None, None),
    };
    // A CreateBucket is decided in the creator's account: the bucket does not exist yet.
    let account = if need.action == "s3:CreateBucket" {
        who.caller.as_ref().map(|c| c.account.clone()).or(account)
    } else {
        account
    };
    let check = ServiceCheck {
        action: need.action.to_string(),
        resource: need.resource.clone(),
        resource_account: account,
        keys: need.keys.clone(),
        resource_policy: if need.action == "s3:CreateBucket" {
            None
        } else {
            policy
        },
    };
    let decision = app
        .warden
        .decide_for_service(who.caller.as_ref(), &check, facts)
        .map_err(|e| {
            tracing::warn!(error = %e, action = need.action, "s3 decision failed");
            S3Error::access_denied()
        })?;
    Ok(decision.kind == DecisionKind::Allow)
}

async fn serve(
    app: &Arc<AppState>,
    gw: &S3Gateway,
    parts: Parts,
    body: Body,
    source_ip: Option<IpAddr>,
    request_id: &str,
) -> Result<Response, S3Error> {
    let now = OffsetDateTime::now_utc();
    let addr = address(parts.uri.path())?;
    let query = query_of(parts.uri.query().unwrap_or(""));
    let who = authenticate(app, &parts, now)?;
    let facts = facts(&parts, &who, source_ip, now);
    let headers = parts.headers.clone();
    let header = move |n: &str| header_str(&headers, n).map(str::to_string);
    let plan: Plan =
        ops::plan(parts.method.as_str(), &addr, &query, &header).map_err(|e| match e {
            ops::PlanError::NotImplemented => S3Error::not_implemented(),
            // Our wording: S3 routes such a request by its own precedence.
            ops::PlanError::Ambiguous => S3Error::new(
                400,
                "InvalidRequest",
                "The request names more than one sub-resource.",
            ),
        })?;
    tracing::debug!(request_id, operation = plan.operation, "s3 request");

    // DeleteObjects names its keys in its body (at most 1000, a small body): each key is decided
    // on its own (s3:DeleteObject, or s3:DeleteObjectVersion with a VersionId); denied keys are
    // left out of the forwarded body and reported per key in the 200 DeleteResult, as S3 does.
    let mut body = Some(body);
    let mut small_body: Option<Bytes> = None;
    let mut denied_keys: Vec<String> = Vec::new();
    let mut rewritten = false;
    if plan.operation == "DeleteObjects" {
        let bytes = to_bytes(body.take().unwrap_or_default(), 2 << 20)
            .await
            .map_err(|_| malformed_xml())?;
        let bucket = addr.bucket.clone().unwrap_or_default();
        let objects = xml_elements(&bytes, "Object");
        if objects.is_empty() {
            return Err(malformed_xml());
        }
        let mut allowed: Vec<&str> = Vec::new();
        for element in &objects {
            let key = xml_values(element.as_bytes(), "Key")
                .pop()
                .ok_or_else(malformed_xml)?;
            let versioned = element.contains("<VersionId>");
            let need = Need {
                action: if versioned {
                    "s3:DeleteObjectVersion"
                } else {
                    "s3:DeleteObject"
                },
                resource: ops::object_arn(&bucket, &key),
                bucket: Some(bucket.clone()),
                keys: vec![],
            };
            if decide(app, &who, &need, &facts)? {
                allowed.push(element);
            } else {
                denied_keys.push(key);
            }
        }
        if denied_keys.is_empty() {
            small_body = Some(bytes);
        } else if allowed.is_empty() {
            return Ok(delete_result(&denied_keys, request_id));
        } else {
            let quiet = xml_elements(&bytes, "Quiet").pop().unwrap_or_default();
            let rebuilt = format!(
                "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{quiet}{}</Delete>",
                allowed.concat()
            );
            small_body = Some(Bytes::from(rebuilt));
            rewritten = true;
        }
    }

    if let Some(bucket) = &addr.bucket {
        if plan.operation == "CreateBucket" {
            // The owner is whoever created the bucket first: warden's record, or, for a bucket
            // already in the backend that warden never saw created, warden's default account.
            let owner = match app.warden.buckets().get(bucket) {
                Some(b) => Some(b.account),
                None if backend_has_bucket(gw, bucket).await? => {
                    Some(app.warden.config().default_account.clone())
                }
                None => None,
            };
            if let Some(owner) = owner {
                if who.caller.as_ref().map(|c| &c.account) != Some(&owner) {
                    return Err(S3Error::new(
                        409,
                        "BucketAlreadyExists",
                        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                    )
                    .with("BucketName", bucket.clone()));
                }
            }
        }
    }

    // `x-amz-expected-bucket-owner` is checked against warden's owners (the backend has other
    // account ids), and never forwarded. Texts recorded by LocalStack against AWS (reference §5.6).
    if let (Some(expected), Some(bucket)) = (
        header_str(&parts.headers, "x-amz-expected-bucket-owner"),
        &addr.bucket,
    ) {
        if expected.len() != 12 || !expected.bytes().all(|b| b.is_ascii_digit()) {
            return Err(S3Error::new(
                400,
                "InvalidBucketOwnerAWSAccountID",
                format!(
                    "The value of the expected bucket owner parameter must be an AWS Account ID... [{expected}]"
                ),
            ));
        }
        if plan.operation != "CreateBucket" && bucket_context(app, bucket).0 != expected {
            return Err(S3Error::access_denied());
        }
    }
    for need in &plan.needs {
        if !decide(app, &who, need, &facts)? {
            return Err(S3Error::access_denied());
        }
    }

    if let (Some(bucket), true) = (
        &addr.bucket,
        plan.operation.ends_with("BucketPolicy") && addr.key.is_none(),
    ) {
        let body = match small_body.take() {
            Some(b) => b,
            None => to_bytes(body.take().unwrap_or_default(), 64 << 10)
                .await
                .map_err(|_| {
                    S3Error::new(
                        400,
                        "MalformedPolicy",
                        "Policies must be valid JSON and the first byte must be '{'",
                    )
                })?,
        };
        return bucket_policy(app, &who, plan.operation, bucket, &body, request_id);
    }

    let resp = forward(
        gw,
        &parts,
        &addr,
        &who,
        body.take().unwrap_or_default(),
        small_body,
        rewritten,
    )
    .await?;
    after_forward(app, &who, &plan, &addr, &facts, resp, &denied_keys).await
}

/// Whether the backend holds `bucket` (HeadBucket with the backend's credentials).
async fn backend_has_bucket(gw: &S3Gateway, bucket: &str) -> Result<bool, S3Error> {
    let path = format!("/{bucket}");
    let amz_date = sigv4::format_amz_date(OffsetDateTime::now_utc());
    let payload = sigv4::sha256_hex(b"");
    let headers: Vec<(&str, &[u8])> = vec![
        ("host", gw.authority.as_bytes()),
        ("x-amz-content-sha256", payload.as_bytes()),
        ("x-amz-date", amz_date.as_bytes()),
    ];
    let req = HttpRequestParts {
        method: "HEAD",
        raw_path: &path,
        raw_query: "",
        headers: &headers,
        body: b"",
    };
    let authorization = sigv4::sign_authorization_with_payload_hash(
        &req,
        &["host", "x-amz-content-sha256", "x-amz-date"],
        &gw.backend.access_key_id,
        gw.backend.secret_access_key.as_bytes(),
        &gw.backend.region,
        "s3",
        OffsetDateTime::now_utc(),
        payload.as_bytes(),
    );
    let req = hyper::Request::builder()
        .method(Method::HEAD)
        .uri(format!("{}://{}{}", gw.scheme, gw.authority, path))
        .header("host", &gw.authority)
        .header("x-amz-date", &amz_date)
        .header("x-amz-content-sha256", &payload)
        .header("authorization", authorization)
        .body(CheckedBody::new(
            Body::empty(),
            Check::None,
            Failure::default(),
            Some(0),
        ))
        .map_err(|_| S3Error::internal())?;
    let resp = gw.client.request(req).await.map_err(|e| {
        tracing::warn!(error = %e, "s3 backend unreachable");
        S3Error::new(
            503,
            "ServiceUnavailable",
            "Please reduce your request rate.",
        )
    })?;
    Ok(resp.status() != axum::http::StatusCode::NOT_FOUND)
}

fn malformed_xml() -> S3Error {
    S3Error::new(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// Every `<name>...</name>` element of a small XML body, whole.
fn xml_elements(body: &[u8], name: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(i) = rest.find(&open) {
        let after = &rest[i..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j + close.len()].to_string());
        rest = &after[j + close.len()..];
    }
    out
}

fn denied_errors(keys: &[String]) -> String {
    keys.iter()
        .map(|k| {
            format!(
                "<Error><Key>{}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                errors::escape(k)
            )
        })
        .collect()
}

/// A DeleteResult of denied keys only (nothing was forwarded).
fn delete_result(denied: &[String], request_id: &str) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{}</DeleteResult>",
        denied_errors(denied)
    );
    let mut resp = Response::new(Body::from(xml));
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert("x-amz-request-id", v);
    }
    resp
}

/// The text of every `<name>` element of a small XML body (DeleteObjects' keys), unescaped.
fn xml_values(body: &[u8], name: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let Some(j) = rest.find(&close) else { break };
        out.push(
            rest[..j]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &rest[j + close.len()..];
    }
    out
}

/// Get/Put/DeleteBucketPolicy, answered by warden: the policy lives with the bucket's owner record.
fn bucket_policy(
    app: &AppState,
    who: &Who,
    operation: &str,
    bucket: &str,
    body: &[u8],
    request_id: &str,
) -> Result<Response, S3Error> {
    let Some(record) = app.warden.buckets().get(bucket) else {
        return Err(S3Error::no_such_bucket(bucket));
    };
    // Callers outside the owner account get 405 even when allowed (S3 User Guide, bucket policy
    // operations "must be performed by the bucket owner's account").
    if who.caller.as_ref().map(|c| &c.account) != Some(&record.account) {
        return Err(S3Error::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ));
    }
    let ok = |status: u16, body: Body| {
        let mut resp = Response::new(body);
        *resp.status_mut() =
            axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
        if let Ok(v) = HeaderValue::from_str(request_id) {
            resp.headers_mut().insert("x-amz-request-id", v);
        }
        resp
    };
    match operation {
        "GetBucketPolicy" => match record.policy {
            Some(p) => Ok(ok(200, Body::from(p))),
            None => Err(S3Error::new(
                404,
                "NoSuchBucketPolicy",
                "The bucket policy does not exist",
            )
            .with("BucketName", bucket)),
        },
        "PutBucketPolicy" => {
            let text = std::str::from_utf8(body).map_err(|_| {
                S3Error::new(
                    400,
                    "MalformedPolicy",
                    "Policies must be valid JSON and the first byte must be '{'",
                )
            })?;
            app.warden
                .buckets()
                .put_policy(bucket, text)
                .map_err(|e| match e {
                    CoreError::MalformedPolicyDocument(m) => {
                        S3Error::new(400, "MalformedPolicy", m)
                    }
                    _ => S3Error::internal(),
                })?;
            Ok(ok(204, Body::empty()))
        }
        _ => {
            app.warden
                .buckets()
                .delete_policy(bucket)
                .map_err(|_| S3Error::internal())?;
            Ok(ok(204, Body::empty()))
        }
    }
}

/// Headers never forwarded: the client's authentication, hop-by-hop headers, and what the gateway
/// rewrites (RFC 9110 §7.6.1; reference §8.7).
const DROP_HEADERS: &[&str] = &[
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
    "content-length",
    "x-amz-decoded-content-length",
    "x-amz-trailer",
    "x-amz-expected-bucket-owner",
    "x-amz-source-expected-bucket-owner",
    "x-amz-request-payer",
];

fn encode_path(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

async fn forward(
    gw: &S3Gateway,
    parts: &Parts,
    addr: &Address,
    who: &Who,
    body: Body,
    small_body: Option<Bytes>,
    rewritten: bool,
) -> Result<hyper::Response<hyper::body::Incoming>, S3Error> {
    // The path is rebuilt from the bucket and key the decision was about, never copied.
    let mut path = String::from("/");
    if let Some(b) = &addr.bucket {
        path.push_str(b);
        if let Some(k) = &addr.key {
            path.push('/');
            encode_path(&mut path, k);
        }
    }
    // The client's own parameters as it sent them (the backend decodes them as the plan did),
    // without the presigned-URL ones.
    let query: String = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p.split_once('=').map_or(*p, |(n, _)| n);
            !is_presign_param(&percent_encoding::percent_decode_str(name).decode_utf8_lossy())
        })
        .collect::<Vec<_>>()
        .join("&");

    let mut out_headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
    let streaming = chunked::StreamingMode::from_content_sha256(&who.payload);
    for (name, value) in &parts.headers {
        let n = name.as_str();
        if DROP_HEADERS.contains(&n) {
            continue;
        }
        if n == "content-encoding" {
            // Drop the aws-chunked coding the gateway removes; keep any other (gzip).
            let rest: Vec<&str> = value
                .to_str()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
                .collect();
            if !rest.is_empty() {
                if let Ok(v) = HeaderValue::from_str(&rest.join(",")) {
                    out_headers.push((name.clone(), v));
                }
            }
            continue;
        }
        // A trailing checksum is verified here and cannot be forwarded as a header.
        if streaming.is_some() && n == "x-amz-sdk-checksum-algorithm" {
            continue;
        }
        // A rewritten body gets a checksum of its own (below).
        if rewritten
            && (n == "content-md5"
                || n.starts_with("x-amz-checksum-")
                || n == "x-amz-sdk-checksum-algorithm")
        {
            continue;
        }
        out_headers.push((name.clone(), value.clone()));
    }

    let failure: Failure = Failure::default();
    let (check, length, backend_payload) = match (streaming, small_body) {
        (_, Some(bytes)) => {
            let len = bytes.len() as u64;
            (Check::None, Some(len), (bytes, true))
        }
        (Some(mode), None) => {
            let decoded_len = header_str(&parts.headers, "x-amz-decoded-content-length")
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| {
                    S3Error::new(
                        411,
                        "MissingContentLength",
                        "You must provide the Content-Length HTTP header.",
                    )
                })?;
            let trailer = header_str(&parts.headers, "x-amz-trailer")
                .and_then(sigv4::checksum::ChecksumAlgorithm::from_header);
            let dec = chunked::AwsChunkedDecoder::new(
                mode,
                who.chain.clone(),
                trailer,
                Some(decoded_len),
            )
            .map_err(body::chunk_error)?;
            (
                Check::Chunked(Box::new(dec)),
                Some(decoded_len),
                (Bytes::new(), false),
            )
        }
        (None, None) => {
            let len = header_str(&parts.headers, "content-length").and_then(|v| v.parse().ok());
            let check = if who.payload.len() == 64 {
                let mut expected = [0u8; 32];
                hex::decode_to_slice(&who.payload, &mut expected)
                    .map_err(|_| S3Error::internal())?;
                Check::Sha256 {
                    hasher: sha2::Sha256::default(),
                    expected,
                }
            } else {
                Check::None
            };
            (check, len, (Bytes::new(), false))
        }
    };
    let (small, is_small) = backend_payload;
    let body = if is_small {
        CheckedBody::new(
            Body::from(small.clone()),
            Check::None,
            failure.clone(),
            length,
        )
    } else {
        CheckedBody::new(body, check, failure.clone(), length)
    };
    // A client's signed SHA-256 is passed on (the backend checks it too); anything streamed or
    // decoded goes as UNSIGNED-PAYLOAD to a local backend.
    let payload_line: String = if is_small {
        sigv4::sha256_hex(&small)
    } else if who.payload.len() == 64 {
        who.payload.to_ascii_lowercase()
    } else {
        "UNSIGNED-PAYLOAD".to_string()
    };

    let amz_date = sigv4::format_amz_date(OffsetDateTime::now_utc());
    let raw_query = query.clone();
    let sign_headers: Vec<(&str, &[u8])> = vec![
        ("host", gw.authority.as_bytes()),
        ("x-amz-content-sha256", payload_line.as_bytes()),
        ("x-amz-date", amz_date.as_bytes()),
    ];
    let to_sign = HttpRequestParts {
        method: parts.method.as_str(),
        raw_path: &path,
        raw_query: &raw_query,
        headers: &sign_headers,
        body: b"",
    };
    let authorization = sigv4::sign_authorization_with_payload_hash(
        &to_sign,
        &["host", "x-amz-content-sha256", "x-amz-date"],
        &gw.backend.access_key_id,
        gw.backend.secret_access_key.as_bytes(),
        &gw.backend.region,
        "s3",
        OffsetDateTime::now_utc(),
        payload_line.as_bytes(),
    );
    let uri = if query.is_empty() {
        format!("{}://{}{}", gw.scheme, gw.authority, path)
    } else {
        format!("{}://{}{}?{}", gw.scheme, gw.authority, path, query)
    };
    let mut builder = hyper::Request::builder()
        .method(parts.method.clone())
        .uri(uri);
    if let Some(h) = builder.headers_mut() {
        for (n, v) in out_headers {
            h.append(n, v);
        }
        let mut set = |n: &'static str, v: &str| {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(n, v);
            }
        };
        set("host", &gw.authority);
        set("x-amz-date", &amz_date);
        set("x-amz-content-sha256", &payload_line);
        set("authorization", &authorization);
        if let Some(n) = length {
            set("content-length", &n.to_string());
        }
        if rewritten {
            let mut crc = sigv4::checksum::Checksum::new(sigv4::checksum::ChecksumAlgorithm::Crc32);
            crc.update(&small);
            set("x-amz-checksum-crc32", &crc.base64());
            set("x-amz-sdk-checksum-algorithm", "CRC32");
        }
    }
    let req = builder.body(body).map_err(|_| S3Error::internal())?;
    match gw.client.request(req).await {
        Ok(resp) => {
            if let Some(e) = failure.lock().take() {
                return Err(e);
            }
            Ok(resp)
        }
        Err(e) => {
            if let Some(reason) = failure.lock().take() {
                return Err(reason);
            }
            tracing::warn!(error = %e, "s3 backend unreachable");
            Err(S3Error::new(
                503,
                "ServiceUnavailable",
                "Please reduce your request rate.",
            ))
        }
    }
}

/// The backend's answer, streamed back, after what the gateway records or hides: bucket owners on
/// CreateBucket/DeleteBucket, other accounts' buckets in ListBuckets, and a missing key to a caller
/// that may not list the bucket (403, not 404, as S3 answers).
async fn after_forward(
    app: &AppState,
    who: &Who,
    plan: &Plan,
    addr: &Address,
    facts: &RequestFacts,
    resp: hyper::Response<hyper::body::Incoming>,
    denied_keys: &[String],
) -> Result<Response, S3Error> {
    let status = resp.status();
    let (mut parts, body) = resp.into_parts();
    for h in [
        "connection",
        "keep-alive",
        "transfer-encoding",
        "server",
        "x-amz-id-2",
    ] {
        parts.headers.remove(h);
    }
    if let Some(bucket) = &addr.bucket {
        if status.is_success() && plan.operation == "CreateBucket" {
            if let Some(c) = &who.caller {
                app.warden
                    .buckets()
                    .created(bucket, &c.account)
                    .map_err(|_| S3Error::internal())?;
            }
        }
        if status.is_success() && plan.operation == "DeleteBucket" {
            app.warden
                .buckets()
                .deleted(bucket)
                .map_err(|_| S3Error::internal())?;
        }
        if status == axum::http::StatusCode::NOT_FOUND
            && addr.key.is_some()
            && matches!(plan.operation, "GetObject" | "HeadObject")
        {
            let list = Need {
                action: "s3:ListBucket",
                resource: ops::bucket_arn(bucket),
                bucket: Some(bucket.clone()),
                keys: vec![],
            };
            if !decide(app, who, &list, facts)? {
                return Err(S3Error::access_denied());
            }
        }
    }
    if !denied_keys.is_empty() && status.is_success() {
        let bytes = to_bytes(Body::new(body), 16 << 20)
            .await
            .map_err(|_| S3Error::internal())?;
        let text = String::from_utf8_lossy(&bytes);
        let merged = match text.rfind("</DeleteResult>") {
            Some(i) => format!("{}{}{}", &text[..i], denied_errors(denied_keys), &text[i..]),
            None => text.into_owned(),
        };
        parts.headers.remove("content-length");
        return Ok(Response::from_parts(parts, Body::from(merged)));
    }
    if plan.operation == "ListBuckets" && status.is_success() {
        let bytes = to_bytes(Body::new(body), 16 << 20)
            .await
            .map_err(|_| S3Error::internal())?;
        let account = who
            .caller
            .as_ref()
            .map(|c| c.account.clone())
            .unwrap_or_default();
        let filtered = filter_buckets(app, &bytes, &account);
        parts.headers.remove("content-length");
        return Ok(Response::from_parts(parts, Body::from(filtered)));
    }
    Ok(Response::from_parts(parts, Body::new(body)).into_response())
}

/// ListBuckets lists the caller's account's buckets only.
fn filter_buckets(app: &AppState, xml: &[u8], account: &str) -> String {
    let text = String::from_utf8_lossy(xml);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_ref();
    while let Some(i) = rest.find("<Bucket>") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(j) = after.find("</Bucket>") else {
            out.push_str(after);
            rest = "";
            break;
        };
        let element = &after[..j + "</Bucket>".len()];
        let name = xml_values(element.as_bytes(), "Name")
            .pop()
            .unwrap_or_default();
        let (owner, _, _) = bucket_context(app, &name);
        if owner == account {
            out.push_str(element);
        }
        rest = &after[j + "</Bucket>".len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut b = axum::http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn s3_requests_are_told_from_the_aws_api() {
        let s3 = "AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";
        let iam = "AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00";
        assert!(is_s3_request(&parts("GET", "/", &[("authorization", s3)])));
        assert!(!is_s3_request(&parts(
            "POST",
            "/",
            &[("authorization", iam)]
        )));
        assert!(is_s3_request(&parts(
            "GET",
            "/b/k?X-Amz-Credential=AKIA%2F20240101%2Fus-east-1%2Fs3%2Faws4_request",
            &[]
        )));
        assert!(!is_s3_request(&parts(
            "GET",
            "/?Action=ListUsers&X-Amz-Credential=AKIA%2F20240101%2Fus-east-1%2Fiam%2Faws4_request",
            &[]
        )));
        // Unsigned: anything but a POST to `/` or a GET with an Action is S3's.
        assert!(is_s3_request(&parts("GET", "/bucket/key", &[])));
        assert!(!is_s3_request(&parts("POST", "/", &[])));
        assert!(!is_s3_request(&parts(
            "GET",
            "/?Action=GetCallerIdentity",
            &[]
        )));
        assert!(!is_s3_request(&parts(
            "POST",
            "/",
            &[("x-amz-target", "AWSOrganizationsV20161128.ListRoots")]
        )));
    }

    #[test]
    fn paths_address_one_bucket_and_a_key_decoded_once() {
        let a = address("/b-1/a/../x%2Fy%2520").unwrap();
        assert_eq!(a.bucket.as_deref(), Some("b-1"));
        assert_eq!(a.key.as_deref(), Some("a/../x/y%20"));
        assert_eq!(address("/bucket/").unwrap().key, None);
        assert_eq!(address("/").unwrap().bucket, None);
        // An encoded slash or dot segment cannot smuggle another bucket in.
        for bad in ["/..", "/a%2Fb/k", "/UPPER/k", "/ab/k", "/.hidden/k"] {
            assert_eq!(address(bad).unwrap_err().code, "InvalidBucketName", "{bad}");
        }
    }

    #[test]
    fn presign_parameter_names_are_matched_without_panicking() {
        assert!(is_presign_param("X-Amz-Signature"));
        assert!(is_presign_param("x-amz-security-token"));
        assert!(!is_presign_param("x-amz-meta"));
        assert!(!is_presign_param("x-am\u{e9}-Signature"));
        assert!(!is_presign_param("\u{e9}\u{e9}\u{e9}\u{e9}"));
        assert!(!valid_payload_line(&"z".repeat(64)));
        assert!(valid_payload_line(&"a".repeat(64)));
    }

    #[test]
    fn the_forwarded_key_is_the_authorized_key() {
        let mut p = String::new();
        encode_path(&mut p, "a/../x y+z/%");
        assert_eq!(p, "a/../x%20y%2Bz/%25");
    }

    #[test]
    fn delete_objects_keys_are_read_from_the_body() {
        let body = b"<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key><VersionId>1</VersionId></Object></Delete>";
        assert_eq!(xml_values(body, "Key"), ["a&b", "c"]);
    }
}
