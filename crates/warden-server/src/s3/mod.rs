//! The S3 gateway (`warden serve --s3-backend URL`): S3 requests on warden's own listener are
//! authenticated with warden's credentials, decided by the one engine entry
//! ([`warden_core::Warden::decide_for_service`]) with the bucket's owner account and policy, and
//! either refused with S3's AccessDenied or forwarded, re-signed with the backend's credentials, to
//! any S3-compatible store. Bodies stream both ways. `docs/s3-gateway.md` says what is enforced.

pub(crate) mod auth;
mod body;
pub(crate) mod errors;
mod ops;
mod trail;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{request::Parts, HeaderMap, HeaderName, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use time::OffsetDateTime;
use warden_core::authz::external::ServiceCheck;
use warden_core::authz::RequestFacts;
use warden_core::metrics::S3Outcome;
use warden_core::CoreError;
use warden_policy::{ContextValue, DecisionKind};
use warden_wire::sigv4::{self, chunked, HttpRequestParts};

use crate::AppState;
use auth::S3Client;
use body::{Check, CheckedBody, Failure};
use errors::S3Error;
use ops::{Address, Need, Plan, Query};

/// Where and how the gateway reaches its backend store.
#[derive(Clone)]
pub struct S3Backend {
    /// `http[s]://host:port` (path-style requests are sent to it).
    pub url: String,
    /// The region the backend signs for.
    pub region: String,
    /// The region the gateway serves (`--s3-region`): a client credential scoped to another is
    /// refused, as S3 refuses one scoped to a region other than the bucket's.
    pub client_region: String,
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
            .field("client_region", &self.client_region)
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
    client: Client<HttpsConnector<HttpConnector>, CheckedBody>,
    /// The backend's signing keys (one per day): every forwarded request is signed, and deriving
    /// the key costs four HMACs.
    signing_keys: sigv4::SigningKeyCache,
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
        if scheme != "http" && scheme != "https" {
            return Err(format!(
                "--s3-backend {}: only http:// and https:// backends are supported",
                backend.url
            ));
        }
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .ok_or_else(|| format!("--s3-backend {}: no host", backend.url))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        // The TLS layer below takes https:// URIs; plain http:// ones pass through it.
        connector.enforce_http(false);
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(backend_tls_config()?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new()).build(tls);
        Ok(S3Gateway {
            scheme: scheme.to_string(),
            authority,
            backend,
            client,
            signing_keys: sigv4::SigningKeyCache::new(4),
        })
    }
}

/// TLS to an `https://` backend: the CA bundles warden trusts (the system's and `SSL_CERT_FILE`),
/// certificates and host names verified by rustls.
#[expect(
    deprecated,
    reason = "rustls deprecates its ring provider for lacking post-quantum key exchange; aws-lc-rs would bring a C/CMake build and licenses the tree does not allow (as warden-core's OIDC fetches)"
)]
fn backend_tls_config() -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for pem in warden_core::federation::keys::trusted_ca_bundles() {
        for cert in CertificateDer::pem_slice_iter(&pem).flatten() {
            // A bundle's unusable entry is skipped, as OpenSSL skips it.
            let _ = roots.add(cert);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("--s3-backend TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
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
    if auth::sigv2_query(query) {
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

/// The service a presigned URL's `X-Amz-Credential` is scoped to.
fn presigned_service(query: &str) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    let value = query.split('&').find_map(|piece| {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        name.eq_ignore_ascii_case("X-Amz-Credential")
            .then_some(value)
    })?;
    Some(
        match percent_encoding::percent_decode_str(value).decode_utf8_lossy() {
            Cow::Borrowed(v) => Cow::Borrowed(v.split('/').nth(3).unwrap_or("")),
            Cow::Owned(v) => Cow::Owned(v.split('/').nth(3).unwrap_or("").to_string()),
        },
    )
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
        None => presigned_service(parts.uri.query().unwrap_or("")),
    }
}

fn credential_service(auth: &str) -> Option<&str> {
    let cred = auth.split("Credential=").nth(1)?;
    let cred = cred.split([',', ' ']).next()?;
    cred.split('/').nth(3)
}

/// Whether a request is S3's ([`is_s3_request`]), as the connection's service found it before
/// routing (a request extension), so the router need not parse the request again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct S3Route(pub bool);

/// The router's entry: S3 requests go to the gateway when it runs, everything else to the AWS
/// API edge.
pub(crate) async fn dispatch(State(app): State<Arc<AppState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let is_s3 = || match parts.extensions.get::<S3Route>() {
        Some(route) => route.0,
        None => is_s3_request(&parts),
    };
    match app.s3.clone() {
        Some(gw) if is_s3() => handle(app, gw, Request::from_parts(parts, body)).await,
        _ => crate::edge::handle(State(app), Request::from_parts(parts, body)).await,
    }
}

/// `/health`: warden's health check answers a plain GET or HEAD. A request carrying a signature
/// (an `Authorization` header, SigV4 or SigV2 query parameters) is a client's request, to S3 for a
/// bucket named `health` when the gateway runs, so it goes where every other request goes.
pub(crate) async fn health_or_dispatch(state: State<Arc<AppState>>, req: Request) -> Response {
    let query = req.uri().query().unwrap_or("");
    let signed = req.headers().contains_key("authorization")
        || query.split('&').any(|p| {
            let name = p.split_once('=').map_or(p, |(n, _)| n);
            name.eq_ignore_ascii_case("X-Amz-Credential")
                || name.eq_ignore_ascii_case("X-Amz-Signature")
                || name == "AWSAccessKeyId"
        });
    if !signed && matches!(*req.method(), Method::GET | Method::HEAD) {
        return "ok".into_response();
    }
    dispatch(state, req).await
}

async fn handle(app: Arc<AppState>, gw: Arc<S3Gateway>, req: Request) -> Response {
    let started = std::time::Instant::now();
    let request_id = crate::ids::fresh_uuid()
        .simple()
        .encode_upper(&mut uuid::Uuid::encode_buffer())
        .to_string();
    let source_ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let head = req.method() == Method::HEAD;
    let (parts, body) = req.into_parts();
    let mut noted = trail::Noted::default();
    let result = serve(&app, &gw, &parts, body, source_ip, &request_id, &mut noted).await;
    let operation = noted.operation;
    let metrics = app.warden.metrics();
    if noted.event.is_some() {
        // A management event: its log line and audit record are the edge's.
        let (result, backend_error) = match result {
            Ok(resp) => {
                let (resp, error) = trail::backend_error(resp, &request_id, head).await;
                (Ok(resp), error)
            }
            Err(e) => (Err(e), None),
        };
        let outcome = match &result {
            Ok(resp) => S3Outcome::Backend(resp.status().as_u16()),
            Err(e) => S3Outcome::Gateway(e.status, Some(e.code)),
        };
        metrics.record_s3_request(operation, outcome, started.elapsed());
        trail::finish(
            &app,
            &gw,
            trail::Finished {
                parts: &parts,
                request_id: &request_id,
                source_ip,
                started,
                result: &result,
                backend_error,
            },
            noted,
        );
        return result.unwrap_or_else(|e| e.render(&request_id, head));
    }
    match result {
        Ok(resp) => {
            // Time to the answer's head: a streamed body is not waited for.
            metrics.record_s3_request(
                operation,
                S3Outcome::Backend(resp.status().as_u16()),
                started.elapsed(),
            );
            resp
        }
        Err(e) => {
            tracing::info!(
                request_id,
                code = e.code,
                status = e.status,
                "s3 request refused"
            );
            metrics.record_s3_request(
                operation,
                S3Outcome::Gateway(e.status, Some(e.code)),
                started.elapsed(),
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
    auth::query_pairs(raw)
        .filter(|(n, _)| !sigv4::is_presign_param(n))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

/// The request authenticated by S3's one authenticator ([`auth::authenticate`], shared with the
/// authorization API), for the region the gateway serves. A management event's failure notes
/// what the request presented, for its audit record.
fn authenticate(
    app: &AppState,
    gw: &S3Gateway,
    parts: &Parts,
    now: OffsetDateTime,
    noted: &mut trail::Noted,
) -> Result<S3Client, S3Error> {
    let headers = crate::edge::header_pairs(parts);
    let http = crate::edge::signed_parts(parts, &headers, b"");
    let result = auth::authenticate(app, &http, Some(&gw.backend.client_region), None, now);
    if result.is_err() && noted.event.is_some() {
        noted.refused = Some(crate::edge::AuthSeen::presented(app, &http, now));
    }
    result
}

/// The request's global keys (`aws:SourceIp`, `aws:SecureTransport`, ...) and S3's request-wide
/// ones (`s3:authType`, `s3:signatureversion`, `s3:x-amz-content-sha256`).
fn facts(
    parts: &Parts,
    who: &S3Client,
    source_ip: Option<IpAddr>,
    now: OffsetDateTime,
) -> RequestFacts {
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
        one("s3:authType", who.auth_type());
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

/// Decides one need. For an action that reads `s3:ExistingObjectTag/<key>`, the object's tags are
/// fetched from the backend only when a policy taking part in the decision reads such a key: a
/// request no policy conditions on tags is decided without the round trip, and identically.
async fn decide(
    app: &AppState,
    gw: &S3Gateway,
    who: &S3Client,
    need: &Need,
    facts: &RequestFacts,
) -> Result<bool, S3Error> {
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
    let mut check = ServiceCheck {
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
    let tagged_object = match (&need.bucket, &need.object) {
        (Some(bucket), Some(object)) if ops::reads_existing_object_tags(need.action) => {
            Some((bucket, object))
        }
        _ => None,
    };
    let watch = tagged_object.map(|_| EXISTING_OBJECT_TAG);
    let (mut decision, mentioned) = decide_check(app, who, &check, facts, watch)?;
    if let (true, Some((bucket, object))) = (mentioned, tagged_object) {
        for (key, value) in object_tags(gw, bucket, object).await? {
            check.keys.push((
                format!("s3:ExistingObjectTag/{key}"),
                ContextValue::from(value),
            ));
        }
        decision = decide_check(app, who, &check, facts, None)?.0;
    }
    Ok(decision.kind == DecisionKind::Allow)
}

/// The condition key family of an object's stored tags, lower-case.
const EXISTING_OBJECT_TAG: &str = "s3:existingobjecttag/";

fn decide_check(
    app: &AppState,
    who: &S3Client,
    check: &ServiceCheck,
    facts: &RequestFacts,
    watch: Option<&str>,
) -> Result<(warden_core::authz::external::ServiceDecision, bool), S3Error> {
    app.warden
        .decide_for_service_watching(who.caller.as_ref(), check, facts, watch)
        .map_err(|e| {
            tracing::warn!(error = %e, action = check.action, "s3 decision failed");
            S3Error::access_denied()
        })
}

/// The tags stored on an object (GetObjectTagging with the backend's credentials); a missing
/// object or bucket has none. Any other answer fails the request: deciding without tags a policy
/// reads could allow what a tag denies.
async fn object_tags(
    gw: &S3Gateway,
    bucket: &str,
    object: &ops::ObjectRef,
) -> Result<Vec<(String, String)>, S3Error> {
    let mut path = format!("/{bucket}/");
    encode_path(&mut path, &object.key);
    let mut query = String::from("tagging=");
    if let Some(v) = &object.version_id {
        query.push_str("&versionId=");
        let mut enc = String::new();
        encode_path(&mut enc, v);
        query.push_str(&enc.replace('/', "%2F"));
    }
    let resp = backend_request(gw, Method::GET, &path, &query).await?;
    let status = resp.status();
    tracing::debug!(status = status.as_u16(), "s3 object tags fetched");
    if status == axum::http::StatusCode::NOT_FOUND {
        return Ok(Vec::new());
    }
    if !status.is_success() {
        tracing::warn!(
            status = status.as_u16(),
            "s3 backend refused GetObjectTagging"
        );
        return Err(backend_unavailable());
    }
    let bytes = to_bytes(Body::new(resp.into_body()), 1 << 20)
        .await
        .map_err(|_| backend_unavailable())?;
    Ok(xml_elements(&bytes, "Tag")
        .iter()
        .filter_map(|tag| {
            let key = xml_values(tag.as_bytes(), "Key").pop()?;
            let value = xml_values(tag.as_bytes(), "Value")
                .pop()
                .unwrap_or_default();
            Some((key, value))
        })
        .collect())
}

fn backend_unavailable() -> S3Error {
    S3Error::new(
        503,
        "ServiceUnavailable",
        "Please reduce your request rate.",
    )
}

async fn serve(
    app: &Arc<AppState>,
    gw: &S3Gateway,
    parts: &Parts,
    body: Body,
    source_ip: Option<IpAddr>,
    request_id: &str,
    noted: &mut trail::Noted,
) -> Result<Response, S3Error> {
    let now = OffsetDateTime::now_utc();
    let addr = address(parts.uri.path())?;
    let query = query_of(parts.uri.query().unwrap_or(""));
    let header = |n: &str| header_str(&parts.headers, n).map(str::to_string);
    // Planned before authenticating, so that a failed authentication of a management event is
    // recorded under its name; a request without a plan is refused after authentication, as before.
    let planned = ops::plan(parts.method.as_str(), &addr, &query, &header);
    if let Ok(plan) = &planned {
        noted.planned(app, plan, &addr, &query);
    }
    let who = authenticate(app, gw, parts, now, noted)?;
    noted.authenticated(&who);
    let facts = facts(parts, &who, source_ip, now);
    let mut plan: Plan = planned.map_err(|e| match e {
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
        let bytes = small_body_of(parts, body.take().unwrap_or_default(), 2 << 20, &who)
            .await?
            .ok_or_else(malformed_xml)?;
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
                object: None,
            };
            if decide(app, gw, &who, &need, &facts).await? {
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

    // CreateBucket's configuration names the bucket's region: `s3:LocationConstraint` (SAR:
    // CreateBucket's key). The body is small; it is read before the decision and forwarded as read.
    if plan.operation == "CreateBucket" {
        let bytes = small_body_of(parts, body.take().unwrap_or_default(), 64 << 10, &who)
            .await?
            .ok_or_else(malformed_xml)?;
        if let Some(region) = xml_values(&bytes, "LocationConstraint").pop() {
            noted.location = Some(region.trim().to_string());
            for need in &mut plan.needs {
                need.keys.push((
                    "s3:LocationConstraint".to_string(),
                    ContextValue::from(region.trim()),
                ));
            }
        }
        small_body = Some(bytes);
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
        if !decide(app, gw, &who, need, &facts).await? {
            return Err(S3Error::access_denied());
        }
    }

    if let (Some(bucket), true) = (
        &addr.bucket,
        plan.operation.ends_with("BucketPolicy") && addr.key.is_none(),
    ) {
        let body = match small_body.take() {
            Some(b) => b,
            None => small_body_of(parts, body.take().unwrap_or_default(), 64 << 10, &who)
                .await?
                .ok_or_else(|| {
                    S3Error::new(
                        400,
                        "MalformedPolicy",
                        "Policies must be valid JSON and the first byte must be '{'",
                    )
                })?,
        };
        if plan.operation == "PutBucketPolicy" {
            noted.policy = Some(body.clone());
        }
        return bucket_policy(app, &who, plan.operation, bucket, &body, request_id);
    }

    let resp = forward(
        gw,
        parts,
        &addr,
        &who,
        body.take().unwrap_or_default(),
        small_body,
        rewritten,
    )
    .await?;
    after_forward(app, gw, &who, &plan, &addr, &facts, resp, &denied_keys).await
}

/// Whether the backend holds `bucket` (HeadBucket with the backend's credentials).
async fn backend_has_bucket(gw: &S3Gateway, bucket: &str) -> Result<bool, S3Error> {
    let resp = backend_request(gw, Method::HEAD, &format!("/{bucket}"), "").await?;
    Ok(resp.status() != axum::http::StatusCode::NOT_FOUND)
}

/// What the gateway adds to a request for the backend: its signature with the backend's
/// credentials over `host`, `x-amz-content-sha256` (`payload_line`) and `x-amz-date`, and the
/// backend URI.
struct BackendSignature {
    amz_date: String,
    authorization: String,
    uri: String,
}

/// Signs a request for the backend (`path` and `query` already encoded). One clock reading
/// serves the `x-amz-date` header and the signature, so the two cannot straddle a second.
fn sign_for_backend(
    gw: &S3Gateway,
    method: &str,
    path: &str,
    query: &str,
    payload_line: &str,
) -> BackendSignature {
    let now = OffsetDateTime::now_utc();
    let amz_date = sigv4::format_amz_date(now);
    let headers: Vec<(&str, &[u8])> = vec![
        ("host", gw.authority.as_bytes()),
        ("x-amz-content-sha256", payload_line.as_bytes()),
        ("x-amz-date", amz_date.as_bytes()),
    ];
    let req = HttpRequestParts {
        method,
        raw_path: path,
        raw_query: query,
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
        now,
        payload_line.as_bytes(),
        Some(&gw.signing_keys),
    );
    let uri = if query.is_empty() {
        format!("{}://{}{}", gw.scheme, gw.authority, path)
    } else {
        format!("{}://{}{}?{}", gw.scheme, gw.authority, path, query)
    };
    BackendSignature {
        amz_date,
        authorization,
        uri,
    }
}

/// A bodiless request of the gateway's own to the backend (`path` and `query` already encoded),
/// signed with the backend's credentials.
async fn backend_request(
    gw: &S3Gateway,
    method: Method,
    path: &str,
    query: &str,
) -> Result<hyper::Response<hyper::body::Incoming>, S3Error> {
    let payload = sigv4::sha256_hex(b"");
    let signed = sign_for_backend(gw, method.as_str(), path, query, &payload);
    let req = hyper::Request::builder()
        .method(method)
        .uri(signed.uri)
        .header("host", &gw.authority)
        .header("x-amz-date", &signed.amz_date)
        .header("x-amz-content-sha256", &payload)
        .header("authorization", signed.authorization)
        .body(CheckedBody::new(
            Body::empty(),
            Check::None,
            Failure::default(),
            Some(0),
        ))
        .map_err(|_| S3Error::internal())?;
    gw.client.request(req).await.map_err(|e| {
        tracing::warn!(error = %e, "s3 backend unreachable");
        backend_unavailable()
    })
}

/// A small body read whole (DeleteObjects' keys, CreateBucket's configuration, a bucket policy),
/// held to what the client signed: its hex SHA-256, or an aws-chunked body's chunk signatures and
/// trailing checksum. `None` when it is longer than `limit` or cut short.
async fn small_body_of(
    parts: &Parts,
    body: Body,
    limit: usize,
    who: &S3Client,
) -> Result<Option<Bytes>, S3Error> {
    let Ok(bytes) = to_bytes(body, limit).await else {
        return Ok(None);
    };
    if let Some(mode) = chunked::StreamingMode::from_content_sha256(&who.payload) {
        let trailer = header_str(&parts.headers, "x-amz-trailer")
            .and_then(sigv4::checksum::ChecksumAlgorithm::from_header);
        let decoded_len = header_str(&parts.headers, "x-amz-decoded-content-length")
            .and_then(|v| v.parse::<u64>().ok());
        let mut decoder =
            chunked::AwsChunkedDecoder::new(mode, who.chain.clone(), trailer, decoded_len)
                .map_err(body::chunk_error)?;
        let mut out = Vec::with_capacity(bytes.len());
        decoder
            .push(&bytes, &mut out)
            .and_then(|()| decoder.finish())
            .map_err(body::chunk_error)?;
        return Ok(Some(Bytes::from(out)));
    }
    if who.payload.len() == 64 {
        let mut expected = [0u8; 32];
        hex::decode_to_slice(&who.payload, &mut expected).map_err(|_| S3Error::internal())?;
        let got: [u8; 32] =
            sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&bytes)).into();
        if got != expected {
            return Err(body::sha256_mismatch(&expected, &got));
        }
    }
    Ok(Some(bytes))
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
    who: &S3Client,
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
    who: &S3Client,
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
            !sigv4::is_presign_param(
                &percent_encoding::percent_decode_str(name).decode_utf8_lossy(),
            )
        })
        .collect::<Vec<_>>()
        .join("&");

    let mut out_headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
    let streaming = chunked::StreamingMode::from_content_sha256(&who.payload);
    // The trailing checksum an aws-chunked body declares: verified here, then passed on in a
    // trailer of the gateway's own (`body::Reframe`).
    let trailer = streaming
        .and(header_str(&parts.headers, "x-amz-trailer"))
        .and_then(sigv4::checksum::ChecksumAlgorithm::from_header);
    let mut codings: Vec<String> = Vec::new();
    if trailer.is_some() && small_body.is_none() {
        codings.push("aws-chunked".to_string());
    }
    for (name, value) in &parts.headers {
        let n = name.as_str();
        if DROP_HEADERS.contains(&n) {
            continue;
        }
        if n == "content-encoding" {
            // Drop the client's aws-chunked coding, which the gateway decodes; keep any other (gzip).
            codings.extend(
                value
                    .to_str()
                    .unwrap_or("")
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
                    .map(str::to_string),
            );
            continue;
        }
        // The gateway states the checksum algorithm of what it forwards itself.
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

    if !codings.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&codings.join(",")) {
            out_headers.push((HeaderName::from_static("content-encoding"), v));
        }
    }

    let failure: Failure = Failure::default();
    let mut reframe: Option<(u64, sigv4::checksum::ChecksumAlgorithm)> = None;
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
            let dec = chunked::AwsChunkedDecoder::new(
                mode,
                who.chain.clone(),
                trailer,
                Some(decoded_len),
            )
            .map_err(body::chunk_error)?;
            reframe = trailer.map(|a| (decoded_len, a));
            let length = match reframe {
                Some((n, a)) => body::Reframe::framed_len(n, a),
                None => decoded_len,
            };
            (
                Check::Chunked(Box::new(dec)),
                Some(length),
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
        let checked = CheckedBody::new(body, check, failure.clone(), length);
        match reframe {
            Some((n, _)) => checked.reframed(body::Reframe::new(n)),
            None => checked,
        }
    };
    // A client's signed SHA-256 is passed on (the backend checks it too); a re-framed body with
    // its trailer goes as STREAMING-UNSIGNED-PAYLOAD-TRAILER; anything else streamed or decoded as
    // UNSIGNED-PAYLOAD.
    let payload_line: String = if is_small {
        sigv4::sha256_hex(&small)
    } else if reframe.is_some() {
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER".to_string()
    } else if who.payload.len() == 64 {
        who.payload.to_ascii_lowercase()
    } else {
        "UNSIGNED-PAYLOAD".to_string()
    };

    let signed = sign_for_backend(gw, parts.method.as_str(), &path, &query, &payload_line);
    let mut builder = hyper::Request::builder()
        .method(parts.method.clone())
        .uri(signed.uri);
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
        set("x-amz-date", &signed.amz_date);
        set("x-amz-content-sha256", &payload_line);
        set("authorization", &signed.authorization);
        if let Some(n) = length {
            set("content-length", &n.to_string());
        }
        if let Some((decoded_len, algorithm)) = reframe {
            set("x-amz-decoded-content-length", &decoded_len.to_string());
            set("x-amz-trailer", &algorithm.header());
            set("x-amz-sdk-checksum-algorithm", algorithm.name());
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
            Err(backend_unavailable())
        }
    }
}

/// The backend's answer, streamed back, after what the gateway records or hides: bucket owners on
/// CreateBucket/DeleteBucket, other accounts' buckets in ListBuckets, and a missing key to a caller
/// that may not list the bucket (403, not 404, as S3 answers).
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the request's parts as serve holds them"
)]
async fn after_forward(
    app: &AppState,
    gw: &S3Gateway,
    who: &S3Client,
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
                object: None,
            };
            if !decide(app, gw, who, &list, facts).await? {
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
        assert!(sigv4::is_presign_param("X-Amz-Signature"));
        assert!(sigv4::is_presign_param("x-amz-security-token"));
        assert!(!sigv4::is_presign_param("x-amz-meta"));
        assert!(!sigv4::is_presign_param("x-am\u{e9}-Signature"));
        assert!(!sigv4::is_presign_param("\u{e9}\u{e9}\u{e9}\u{e9}"));
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
