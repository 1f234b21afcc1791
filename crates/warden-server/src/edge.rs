//! The request pipeline for the AWS endpoint: read the body (1 MiB at most),
//! decode the Query parameters, authenticate the SigV4 signature, pick the
//! service, authorize, dispatch to the generated service trait, and render
//! the reply or AWS's error envelope.

use std::sync::Arc;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use warden_core::auth::Caller;
use warden_core::CoreError;
use warden_wire::error::Service;
use warden_wire::query::QueryParams;
use warden_wire::sigv4::{self, HttpRequestParts, SigV4Error};
use warden_wire::{ApiError, ErrorCode};

use std::collections::BTreeMap;

use warden_core::actions;

use crate::audit::lookup::LookupError;
use crate::audit::record::{self, Params, Source};
use crate::authz::request_facts;
use crate::mapping::{api_error, api_error_in};
use crate::AppState;
use serde_json::Value;

/// AWS refuses Query bodies over 1 MiB; so do we, before reading further.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What a handler knows about the request besides its typed input.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub caller: Caller,
    pub region: String,
    /// Context keys from the request, for operations that decide
    /// themselves (AssumeRole).
    pub facts: warden_core::authz::RequestFacts,
    /// The request's checks from the action table; AssumeRole decides them
    /// with the role's trust policy.
    pub checks: Vec<warden_core::access::Check>,
}

/// The operation a request names, resolved once: authorization, dispatch
/// and the inline-or-blocking choice all key on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Iam(warden_wire::generated::iam::Operation),
    Sts(warden_wire::generated::sts::Operation),
    Organizations(warden_wire::generated::organizations::Operation),
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Iam(op) => op.name(),
            Op::Sts(op) => op.name(),
            Op::Organizations(op) => op.name(),
        }
    }

    /// The operation's row of the action table.
    fn spec(self) -> Option<&'static actions::ActionSpec> {
        let service = match self {
            Op::Iam(_) => "iam",
            Op::Sts(_) => "sts",
            Op::Organizations(_) => "organizations",
        };
        actions::spec(service, self.name())
    }

    /// The operation `name` of `service`, refused as AWS refuses an unknown
    /// action (or an API version the service does not speak).
    fn resolve(service: Service, name: &str, version: Option<&str>) -> Result<Op, ApiError> {
        use warden_wire::generated::{iam, organizations, sts};
        let found = match service {
            Service::Iam => iam::Operation::from_name(name)
                .filter(|_| version.unwrap_or(iam::API_VERSION) == iam::API_VERSION)
                .map(Op::Iam),
            Service::Sts => sts::Operation::from_name(name)
                .filter(|_| version.unwrap_or(sts::API_VERSION) == sts::API_VERSION)
                .map(Op::Sts),
            Service::Organizations => {
                return organizations::Operation::from_name(name)
                    .map(Op::Organizations)
                    .ok_or_else(|| {
                        ApiError::new(
                            ErrorCode::UnknownOperationException,
                            format!("The operation {name} is not known."),
                        )
                    })
            }
        };
        found
            .ok_or_else(|| ApiError::invalid_action(name, version.unwrap_or(service.api_version())))
    }
}

/// A request's parameters and the operation they name, read once. Query
/// requests carry them in the form body (POST) or the query string (GET);
/// JSON 1.1 requests (Organizations) name the operation in `X-Amz-Target`.
struct Decoded {
    /// The operation's name; which service it belongs to is settled after
    /// authentication, from the signing scope.
    name: String,
    params: QueryParams,
    /// Organizations: the body, flattened to Query-style names for the
    /// action table (`PolicyId`, `Tags.member.1.Key`, ...).
    json: Option<BTreeMap<String, String>>,
}

impl Decoded {
    fn read(parts: &Parts, body: &[u8]) -> Result<Decoded, ApiError> {
        if let Some(op) = json_operation(parts) {
            let value: serde_json::Value = if body.is_empty() {
                serde_json::Value::Object(serde_json::Map::new())
            } else {
                serde_json::from_slice(body).map_err(|_| {
                    ApiError::new(
                        ErrorCode::SerializationException,
                        "Start of structure or map found where not expected.",
                    )
                })?
            };
            let mut flat = BTreeMap::new();
            flatten_json("", &value, &mut flat);
            return Ok(Decoded {
                name: op.to_string(),
                params: QueryParams::default(),
                json: Some(flat),
            });
        }
        let query = QueryParams::parse(parts.uri.query().unwrap_or("").as_bytes())?;
        let params = if parts.method == axum::http::Method::POST && !body.is_empty() {
            let form = QueryParams::parse(body)?;
            // Both are signed, but only one can name the operation: a
            // different Action in the query string would let routing and
            // dispatch disagree, so it is refused.
            if query.action().is_some_and(|q| Some(q) != form.action()) {
                return Err(ApiError::new(
                    ErrorCode::InvalidParameterCombination,
                    "The request names conflicting operations in its query string and its body.",
                ));
            }
            form
        } else {
            query
        };
        let name = params
            .action()
            .ok_or_else(ApiError::missing_action)?
            .to_string();
        Ok(Decoded {
            name,
            params,
            json: None,
        })
    }

    fn param(&self, name: &str) -> Option<String> {
        match &self.json {
            Some(flat) => flat.get(name).cloned(),
            None => self.params.get(name).map(str::to_string),
        }
    }

    /// Whether the request may run on the async workers: reads never wait
    /// for a disk sync or a password hash. The answer comes from the action
    /// table's access level of the very operation that will be dispatched.
    /// STS credential calls only seal a token, unless they carry an MFA
    /// code, which is spent on disk.
    fn runs_inline(&self) -> bool {
        let row = if self.json.is_some() {
            actions::spec("organizations", &self.name)
        } else {
            actions::spec("iam", &self.name).or_else(|| actions::spec("sts", &self.name))
        };
        let Some(row) = row else {
            return false;
        };
        match row.service {
            // AssumeRoleWithWebIdentity may fetch the issuer's keys over the network.
            actions::Service::Sts => {
                self.param("TokenCode").is_none() && self.name != "AssumeRoleWithWebIdentity"
            }
            _ => matches!(
                row.access_level,
                actions::AccessLevel::List | actions::AccessLevel::Read
            ),
        }
    }
}

/// Flattens a JSON request body into the Query protocol's member names:
/// `{"A":{"B":1}}` → `A.B`, lists → `A.member.N` (1-based).
fn flatten_json(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    match value {
        serde_json::Value::Object(map) => {
            // No model member has a `.` in its name, and the typed decoder
            // ignores such a key; read here, `{"Tags.member.1.Key": ..}`
            // would pose as a real tag to the authorizer alone.
            for (k, v) in map.iter().filter(|(k, _)| !k.contains('.')) {
                flatten_json(&join(k), v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten_json(&join(&format!("member.{}", i + 1)), v, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        serde_json::Value::Null => {}
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

pub async fn handle(State(app): State<Arc<AppState>>, req: Request) -> Response {
    let started = std::time::Instant::now();
    let request_id = crate::ids::fresh_uuid().to_string();
    let source_ip = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = req.into_parts();
    let body: Bytes = match to_bytes(Body::new(body), MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            let timed_out =
                std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                    e.source()
                })
                .any(|e| e.is::<crate::limits::BodyTimeout>());
            let err = if timed_out {
                ApiError::new(
                    ErrorCode::RequestTimeout,
                    "The request body was not received within the time allowed.",
                )
            } else {
                ApiError::new(
                    ErrorCode::RequestEntityTooLarge,
                    format!("Request body must not exceed {MAX_BODY_BYTES} bytes."),
                )
            };
            count(&app, Service::Iam, None, Some(err.code), started);
            return render(Service::Iam, Err(err), &request_id);
        }
    };
    // The authorization API has its own operations and answers (authzapi.rs).
    if let Some(op) = crate::authzapi::target(&parts) {
        return crate::authzapi::handle(app, parts, body, op, request_id, source_ip).await;
    }
    // CloudTrail's LookupEvents serves the audit trail (audit/lookup.rs).
    if let Some(op) = crate::audit::lookup::target(&parts) {
        let op = op.to_string();
        return cloudtrail(&app, &parts, &body, &op, &request_id, source_ip, started);
    }
    if let Some(service) = crate::served::unserved_service(&app, &parts) {
        app.warden.metrics().record_unserved();
        tracing::info!(request_id, "request for a service warden does not serve");
        return crate::served::refusal(&app, &parts, &service, &request_id);
    }
    let decoded = match Decoded::read(&parts, &body) {
        Ok(d) => d,
        Err(e) => {
            let service = if json_operation(&parts).is_some() {
                Service::Organizations
            } else {
                Service::Iam
            };
            count(&app, service, None, Some(e.code), started);
            return render(service, Err(e), &request_id);
        }
    };
    let outcome = if decoded.runs_inline() {
        process(
            &app,
            &parts,
            &body,
            &decoded,
            &request_id,
            source_ip,
            started,
        )
    } else {
        let (app2, rid) = (app.clone(), request_id.clone());
        let name = decoded.name.clone();
        match tokio::task::spawn_blocking(move || {
            process(&app2, &parts, &body, &decoded, &rid, source_ip, started)
        })
        .await
        {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error = %e, request_id, action = name, "request task failed");
                count(
                    &app,
                    Service::Iam,
                    None,
                    Some(ErrorCode::ServiceFailure),
                    started,
                );
                Outcome {
                    service: Service::Iam,
                    result: Err(ApiError::new(
                        ErrorCode::ServiceFailure,
                        "An internal error occurred.",
                    )),
                }
            }
        }
    };
    render(outcome.service, outcome.result, &request_id)
}

/// Counts an answered request in the metrics, under its operation's row of
/// the action table (or its service's, when refused before the operation
/// was known).
fn count(
    app: &AppState,
    service: Service,
    action: Option<Op>,
    error: Option<ErrorCode>,
    started: std::time::Instant,
) {
    let service = match service {
        Service::Iam => actions::Service::Iam,
        Service::Sts => actions::Service::Sts,
        Service::Organizations => actions::Service::Organizations,
    };
    app.warden.metrics().record_request(
        action.and_then(Op::spec),
        service,
        error,
        started.elapsed(),
    );
}

/// A request's headers as SigV4 reads them: (name, raw value), one entry per
/// value, in arrival order, borrowed from `parts`.
pub(crate) fn header_pairs(parts: &Parts) -> Vec<(&str, &[u8])> {
    parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect()
}

/// What SigV4 verifies of a request received here: its method, its path and
/// query exactly as sent, `headers` (from [`header_pairs`]) and `body`.
pub(crate) fn signed_parts<'a>(
    parts: &'a Parts,
    headers: &'a [(&'a str, &'a [u8])],
    body: &'a [u8],
) -> HttpRequestParts<'a> {
    HttpRequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers,
        body,
    }
}

/// The JSON 1.1 operation named by `X-Amz-Target`, for Organizations.
fn json_operation(parts: &Parts) -> Option<&str> {
    let target = parts.headers.get("x-amz-target")?.to_str().ok()?;
    let prefix = warden_wire::generated::organizations::TARGET_PREFIX;
    target.strip_prefix(prefix)?.strip_prefix('.')
}

fn render(service: Service, result: Result<String, ApiError>, request_id: &str) -> Response {
    let json = service == Service::Organizations;
    let (status, body) = match result {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            if json {
                String::from_utf8_lossy(&e.to_json()).into_owned()
            } else {
                e.to_xml(service, request_id)
            },
        ),
    };
    let content_type = if json {
        "application/x-amz-json-1.1"
    } else {
        "text/xml"
    };
    answer(status, content_type, body, request_id)
}

/// An AWS answer: `body` as `content_type`, with the request id AWS's
/// clients read from `x-amzn-requestid`.
pub(crate) fn answer(
    status: StatusCode,
    content_type: &'static str,
    body: String,
    request_id: &str,
) -> Response {
    let mut resp = (status, [("content-type", content_type)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp
}

fn sigv4_error(e: &SigV4Error) -> ApiError {
    e.api_error()
}

/// Picks the service: JSON 1.1 requests are Organizations; otherwise the
/// signing scope, then the `Host`, then whether STS has the operation.
fn pick_service(
    scope_service: Option<&str>,
    parts: &Parts,
    decoded: &Decoded,
) -> Result<Service, ApiError> {
    if decoded.json.is_some() {
        return Ok(Service::Organizations);
    }
    match scope_service {
        Some("iam") => return Ok(Service::Iam),
        Some("sts") => return Ok(Service::Sts),
        Some("organizations") => return Ok(Service::Organizations),
        Some(other) => {
            return Err(sigv4_error(&SigV4Error::ScopeMismatch(format!(
                "Credential should be scoped to correct service: 'iam' or 'sts', not '{other}'. "
            ))))
        }
        None => {}
    }
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if host.starts_with("sts.") {
        return Ok(Service::Sts);
    }
    if host.starts_with("iam.") {
        return Ok(Service::Iam);
    }
    if warden_wire::generated::sts::OPERATIONS.contains(&decoded.name.as_str()) {
        Ok(Service::Sts)
    } else {
        Ok(Service::Iam)
    }
}

/// The outcome of one request, before it becomes HTTP.
struct Outcome {
    service: Service,
    result: Result<String, ApiError>,
}

fn process(
    app: &AppState,
    parts: &Parts,
    body: &[u8],
    decoded: &Decoded,
    request_id: &str,
    source_ip: Option<std::net::IpAddr>,
    started: std::time::Instant,
) -> Outcome {
    let mut trace = Trace {
        service: if decoded.json.is_some() {
            Service::Organizations
        } else {
            Service::Iam
        },
        ..Trace::default()
    };
    let result = process_inner(app, parts, body, decoded, request_id, source_ip, &mut trace);
    let pairs: Vec<(&str, &str)>;
    let params = if decoded.json.is_some() {
        Some(Params::Json(body))
    } else {
        pairs = decoded
            .params
            .iter()
            .filter(|(k, _)| *k != "Action" && *k != "Version")
            .collect();
        Some(Params::Query(&pairs))
    };
    let source = match trace.service {
        Service::Iam => Source::Iam,
        Service::Sts => Source::Sts,
        Service::Organizations => Source::Organizations,
    };
    let name = match trace.action {
        Some(op) => op.name(),
        None => truncated_name(&decoded.name),
    };
    finish(
        app,
        Finish {
            parts,
            request_id,
            source_ip,
            started,
            trace: &mut trace,
            source,
            event_name: name,
            params,
            result: result
                .as_ref()
                .map(String::as_str)
                .map_err(|e| (e.code.as_str(), e.message.as_str(), e.status())),
        },
    );
    count(
        app,
        trace.service,
        trace.action,
        result.as_ref().err().map(|e| e.code),
        started,
    );
    Outcome {
        service: trace.service,
        result,
    }
}

/// What the edge learned of a request on its way, for its log line and its
/// audit record.
#[derive(Debug)]
pub(crate) struct Trace {
    service: Service,
    action: Option<Op>,
    /// The authenticated caller.
    pub(crate) caller: Option<Caller>,
    /// The signing region, once authenticated.
    region: Option<String>,
    /// Authentication failed: what was presented.
    refused: Option<AuthSeen>,
    /// AssumeRoleWithWebIdentity / AssumeRoleWithSAML: the token authenticates.
    federated: bool,
    /// An S3 request without any credentials (not a failed authentication).
    anonymous: bool,
    /// The account that owns the resource the call names (an S3 bucket's owner): the record's
    /// `resources` name it, and a record without a known caller goes to its trail unless the
    /// presented key names an account warden serves.
    resource_owner: Option<String>,
    /// `additionalEventData` members of the service's records (S3's `SignatureVersion`,
    /// `AuthenticationMethod`).
    details: &'static [(&'static str, &'static str)],
    /// A success's status when it is not 200 (an S3 backend's 204), for the log line.
    success_status: Option<u16>,
}

impl Default for Trace {
    fn default() -> Self {
        Trace {
            service: Service::Iam,
            action: None,
            caller: None,
            region: None,
            refused: None,
            federated: false,
            anonymous: false,
            resource_owner: None,
            details: &[],
            success_status: None,
        }
    }
}

impl Trace {
    /// An S3 gateway request's trace: its caller (or what a failed authentication presented,
    /// or nobody at all), the region it was addressed to, the bucket's owner, how it was signed,
    /// and the answer's status.
    pub(crate) fn for_s3(
        caller: Option<Caller>,
        refused: Option<AuthSeen>,
        region: String,
        resource_owner: Option<String>,
        details: &'static [(&'static str, &'static str)],
        status: u16,
    ) -> Trace {
        Trace {
            anonymous: caller.is_none() && refused.is_none(),
            caller,
            refused,
            region: Some(region),
            resource_owner,
            details,
            success_status: Some(status),
            ..Trace::default()
        }
    }
}

/// What a failed authentication saw: the access key presented and, when it
/// is one warden holds, its owner.
#[derive(Debug, Default)]
pub(crate) struct AuthSeen {
    key_id: Option<String>,
    owner: Option<Caller>,
}

impl AuthSeen {
    /// What a request whose authentication failed presented, read again from the request (an
    /// authenticator that does not note it as it goes: S3's). The owner is known when the key
    /// is one warden holds.
    pub(crate) fn presented(
        app: &AppState,
        http: &HttpRequestParts<'_>,
        now: OffsetDateTime,
    ) -> AuthSeen {
        let Ok(auth) = sigv4::parse_auth_untimed(http) else {
            return AuthSeen::default();
        };
        let owner = app
            .warden
            .credentials_for(
                &auth.access_key_id,
                auth.security_token.as_deref(),
                now.unix_timestamp(),
            )
            .ok()
            .map(|(_, caller)| caller);
        AuthSeen {
            key_id: Some(auth.access_key_id),
            owner,
        }
    }
}

/// A finished request, as [`finish`] logs and records it.
pub(crate) struct Finish<'a> {
    pub(crate) parts: &'a Parts,
    pub(crate) request_id: &'a str,
    pub(crate) source_ip: Option<std::net::IpAddr>,
    pub(crate) started: std::time::Instant,
    /// Its caller is handed to the audit record.
    pub(crate) trace: &'a mut Trace,
    pub(crate) source: Source,
    pub(crate) event_name: &'a str,
    pub(crate) params: Option<Params<'a>>,
    /// The answer, or the error's code, message and status.
    pub(crate) result: Result<&'a str, (&'a str, &'a str, u16)>,
}

/// The one place a request ends: its log line (operation, caller, error
/// code, latency; never a secret) and its audit record.
pub(crate) fn finish(app: &AppState, f: Finish<'_>) {
    // A failed authentication names the owner of the key it presented, marked unverified.
    let caller = match (
        &f.trace.caller,
        f.trace.refused.as_ref().and_then(|r| r.owner.as_ref()),
    ) {
        (Some(c), _) => std::borrow::Cow::Borrowed(c.arn.as_str()),
        (None, Some(owner)) => std::borrow::Cow::Owned(format!("unverified:{}", owner.arn)),
        (None, None) => std::borrow::Cow::Borrowed("-"),
    };
    let (status, error) = match f.result {
        Ok(_) => (f.trace.success_status.unwrap_or(200), "-"),
        Err((code, _, status)) => (status, code),
    };
    tracing::info!(
        request_id = f.request_id,
        service = f.source.host(),
        action = f.event_name,
        caller = &*caller,
        status,
        error,
        latency_us = u64::try_from(f.started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    let Some(trail) = &app.audit else {
        return;
    };
    // A key whose embedded account warden serves belongs to that account's
    // trail; any other unknown key to the default account's.
    let default_account = &app.warden.config().default_account;
    let key_account = f
        .trace
        .refused
        .as_ref()
        .and_then(|s| s.key_id.as_deref())
        .and_then(warden_core::keys::account_of_key_id)
        .filter(|a| app.warden.read().accounts.contains_key(a));
    let federated = f.trace.federated;
    let who = if let Some(c) = f.trace.caller.take() {
        record::PendingWho::Caller(c)
    } else if federated {
        record::PendingWho::Federated
    } else if f.trace.anonymous {
        record::PendingWho::Anonymous
    } else {
        let seen = f.trace.refused.take().unwrap_or_default();
        record::PendingWho::Unauthenticated {
            key_id: seen.key_id,
            owner: seen.owner,
        }
    };
    // IAM and Organizations are global: CloudTrail records them in us-east-1.
    let region: std::borrow::Cow<'static, str> = match (f.source, &f.trace.region) {
        (Source::Sts | Source::Cloudtrail | Source::Warden | Source::S3, Some(region)) => {
            region.clone().into()
        }
        _ => "us-east-1".into(),
    };
    let read_only = record::read_only(f.source, f.event_name);
    // Only what the record needs is copied: the journal thread renders it.
    let keeps_answer = federated || record::keeps_response(f.source, f.event_name, read_only);
    let params = f.params.map(|p| match p {
        Params::Query(pairs) => record::PendingParams::Query(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        Params::Json(body) => record::PendingParams::Json(body.to_vec()),
        Params::Verbatim(body) => record::PendingParams::Verbatim(body.to_vec()),
    });
    // Only a record without a known caller names this account.
    let resource_owner = f.trace.resource_owner.take();
    let fallback_account = match (&who, key_account, &resource_owner) {
        (record::PendingWho::Caller(_), ..) => String::new(),
        (_, Some(account), _) => account,
        (_, None, Some(owner)) => owner.clone(),
        (_, None, None) => default_account.clone(),
    };
    let mut pending = record::Pending {
        time: OffsetDateTime::now_utc(),
        request_id: f.request_id.to_string(),
        source_ip: f.source_ip,
        user_agent: f
            .parts
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        region,
        source: f.source,
        event_name: f.event_name.to_string(),
        read_only,
        who,
        params,
        result: match f.result {
            Ok(body) => Ok(keeps_answer.then(|| body.to_string())),
            Err((code, message, _)) => Err((code.to_string(), message.to_string())),
        },
        fallback_account,
        details: f.trace.details,
        shared_event_id: None,
        resource_owner,
    };
    let copy = pending.role_owners_copy();
    trail.record(pending);
    if let Some(copy) = copy {
        trail.record(copy);
    }
}

/// CloudTrail's JSON 1.1 requests: only LookupEvents is served.
fn cloudtrail(
    app: &AppState,
    parts: &Parts,
    body: &[u8],
    op: &str,
    request_id: &str,
    source_ip: Option<std::net::IpAddr>,
    started: std::time::Instant,
) -> Response {
    let mut trace = Trace::default();
    let result = cloudtrail_inner(app, parts, body, op, source_ip, &mut trace);
    let text = result.map(|v| v.to_string());
    finish(
        app,
        Finish {
            parts,
            request_id,
            source_ip,
            started,
            trace: &mut trace,
            source: Source::Cloudtrail,
            event_name: truncated_name(op),
            params: Some(Params::Json(body)),
            result: text
                .as_ref()
                .map(String::as_str)
                .map_err(|e| (e.code, e.message.as_str(), e.status)),
        },
    );
    let (status, body) = match text {
        Ok(text) => (StatusCode::OK, text),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            serde_json::json!({"__type": e.code, "message": e.message}).to_string(),
        ),
    };
    answer(status, "application/x-amz-json-1.1", body, request_id)
}

/// An operation name from the client, cut to a sane length for logs and records.
fn truncated_name(name: &str) -> &str {
    let mut end = name.len().min(128);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

fn cloudtrail_inner(
    app: &AppState,
    parts: &Parts,
    body: &[u8],
    op: &str,
    source_ip: Option<std::net::IpAddr>,
    trace: &mut Trace,
) -> Result<Value, LookupError> {
    let from_api = |e: ApiError| LookupError {
        code: e.code.as_str(),
        status: e.status(),
        message: e.message,
    };
    let headers = header_pairs(parts);
    let http = signed_parts(parts, &headers, body);
    let now = OffsetDateTime::now_utc();
    let who = authenticate(app, &http, now, trace).map_err(from_api)?;
    let caller = who.caller;
    let checked = (|| {
        if let Some(service) = who.scope_service.as_deref().filter(|s| *s != "cloudtrail") {
            return Err(from_api(
                SigV4Error::ScopeMismatch(format!(
                    "Credential should be scoped to correct service: 'cloudtrail', not '{service}'. "
                ))
                .api_error(),
            ));
        }
        if op != "LookupEvents" {
            return Err(LookupError {
                code: "UnknownOperationException",
                message: format!("The operation {op} is not supported by this endpoint."),
                status: 400,
            });
        }
        let Some(trail) = &app.audit else {
            return Err(LookupError {
                code: "OperationNotPermittedException",
                message: "The audit trail is turned off on this server (--audit-trail off).".into(),
                status: 400,
            });
        };
        let spec = actions::spec("cloudtrail", "LookupEvents").ok_or_else(|| LookupError {
            code: "InternalFailure",
            message: "An internal error occurred.".into(),
            status: 500,
        })?;
        let facts = request_facts(&who.region, parts, source_ip, now.unix_timestamp());
        let none = |_: &str| None;
        let checks = warden_core::access::checks(&app.warden.read(), &caller, spec, &none);
        app.warden
            .authorize_checks(&caller, &checks, &facts)
            // A JSON service's refusal, as Organizations answers it: AccessDeniedException.
            .map_err(|e| from_api(api_error_in(Service::Organizations, e)))?;
        off_the_worker(|| crate::audit::lookup::lookup_events(app, trail, &caller, body))
    })();
    trace.caller = Some(caller);
    checked
}

/// Runs `f`, which may wait (LookupEvents reads the journal files and waits up to 5 s for the
/// journal thread to catch up), without holding up the other requests queued on this tokio worker:
/// on the multi-threaded runtime the worker first hands them to another thread.
fn off_the_worker<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// An authenticated request: who, from which signing scope.
pub(crate) struct Authenticated {
    pub(crate) caller: Caller,
    pub(crate) region: String,
    pub(crate) scope_service: Option<String>,
    /// The long-term key that signed, for its last-used record.
    long_term_key: Option<String>,
}

/// Whether warden issued `key_id`: a key it holds, or one whose embedded
/// account (in AWS's layout, or the layout warden used before it) is an
/// account it serves (a deleted or expired key of ours). Only keys warden
/// never issued may act as the dev-mode caller.
fn issued_by_warden(app: &AppState, key_id: &str) -> bool {
    let s = app.warden.read();
    s.access_keys.contains_key(key_id)
        || [
            warden_core::keys::account_of_key_id(key_id),
            warden_core::keys::legacy_account_of_key_id(key_id),
        ]
        .into_iter()
        .flatten()
        .any(|a| s.accounts.contains_key(&a))
}

/// Dev mode's caller for a key warden never issued (`None`: unsigned).
fn dev_caller(
    app: &AppState,
    key_id: Option<&str>,
    region: &str,
    scope_service: Option<String>,
) -> Authenticated {
    Authenticated {
        caller: Caller::dev_stand_in(
            &app.warden.config().default_account,
            key_id.unwrap_or("dev-mode"),
        ),
        region: region.to_string(),
        scope_service,
        long_term_key: None,
    }
}

/// Authenticates a request, noting in `trace` what its log line and audit
/// record need: the signing region, or what a failed attempt presented.
pub(crate) fn authenticate(
    app: &AppState,
    http: &HttpRequestParts<'_>,
    now: OffsetDateTime,
    trace: &mut Trace,
) -> Result<Authenticated, ApiError> {
    let mut seen = AuthSeen::default();
    match authenticate_seen(app, http, now, &mut seen) {
        Ok(who) => {
            trace.region = Some(who.region.clone());
            Ok(who)
        }
        Err(e) => {
            trace.refused = Some(seen);
            Err(e)
        }
    }
}

/// [`authenticate`], noting in `seen` what a failed attempt presented.
fn authenticate_seen(
    app: &AppState,
    http: &HttpRequestParts<'_>,
    now: OffsetDateTime,
    seen: &mut AuthSeen,
) -> Result<Authenticated, ApiError> {
    let dev_allows = || app.dev.as_ref().is_some_and(|d| d.take_no_auth());
    // Dev mode decides the request time only once it knows who signed:
    // keys warden never issued skip it (test suites freeze their clocks),
    // and `sigv4::verify` times every request it verifies.
    let parsed = if app.dev.is_some() {
        sigv4::parse_auth_untimed(http)
    } else {
        sigv4::parse_auth(http, now)
    };
    let auth = match parsed {
        Err(SigV4Error::MissingAuthenticationToken) if dev_allows() => {
            return Ok(dev_caller(app, None, "us-east-1", None))
        }
        Err(e) => return Err(sigv4_error(&e)),
        Ok(auth) => auth,
    };
    // Only a failure keeps these; a success drops them.
    seen.key_id = Some(auth.access_key_id.clone());
    let found = app.warden.credentials_for(
        &auth.access_key_id,
        auth.security_token.as_deref(),
        now.unix_timestamp(),
    );
    match found {
        Ok((secret, caller)) => {
            if let Err(e) = sigv4::verify(http, &auth, secret.expose(), &app.signing_keys, now) {
                seen.owner = Some(caller);
                return Err(sigv4_error(&e));
            }
            let long_term_key = auth
                .security_token
                .is_none()
                .then(|| auth.access_key_id.clone());
            Ok(Authenticated {
                caller,
                region: auth.scope.region.clone(),
                scope_service: Some(auth.scope.service.clone()),
                long_term_key,
            })
        }
        // Dev mode: keys warden never issued act as the default root (one
        // that may assume roles), with no signature or time to check. A
        // key warden issued (deactivated, deleted, or a session key with a
        // tampered token) is refused exactly as in normal mode.
        Err(CoreError::InvalidClientTokenId)
            if app.dev.is_some() && !issued_by_warden(app, &auth.access_key_id) && dev_allows() =>
        {
            Ok(dev_caller(
                app,
                Some(&auth.access_key_id),
                &auth.scope.region,
                Some(auth.scope.service.clone()),
            ))
        }
        Err(e) => {
            // As in normal mode, a request out of its time window hears so
            // before it hears about its key.
            if app.dev.is_some() {
                sigv4::parse_auth(http, now).map_err(|e| sigv4_error(&e))?;
            }
            Err(api_error(e))
        }
    }
}

/// Runs one request; `trace` says what to render and record even when it
/// fails early.
fn process_inner(
    app: &AppState,
    parts: &Parts,
    body: &[u8],
    decoded: &Decoded,
    request_id: &str,
    source_ip: Option<std::net::IpAddr>,
    trace: &mut Trace,
) -> Result<String, ApiError> {
    let headers = header_pairs(parts);
    let http = signed_parts(parts, &headers, body);
    let now = OffsetDateTime::now_utc();
    // AssumeRoleWithWebIdentity and AssumeRoleWithSAML are served unsigned, a
    // signature ignored: the token (crate::web_identity) or the signed SAML
    // response (crate::saml_federation) is the credential.
    if matches!(
        decoded.name.as_str(),
        "AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML"
    ) && decoded.json.is_none()
    {
        trace.service = pick_service(None, parts, decoded)?;
        if trace.service == Service::Sts {
            let op = Op::resolve(trace.service, &decoded.name, decoded.params.version())?;
            trace.action = Some(op);
            trace.federated = true;
            if let Op::Sts(sts_op) = op {
                let facts = request_facts("us-east-1", parts, source_ip, now.unix_timestamp());
                return crate::web_identity::serve(app, sts_op, &decoded.params, facts, request_id);
            }
        }
    }
    let who = match authenticate(app, &http, now, trace) {
        Ok(who) => who,
        Err(e) => {
            trace.service = pick_service(None, parts, decoded)?;
            return Err(e);
        }
    };
    let Authenticated {
        caller,
        region,
        scope_service,
        long_term_key,
    } = who;
    // The trace holds the caller until the handler runs (and gets it back
    // after), so an early failure is recorded with who made it.
    let caller = &*trace.caller.insert(caller);
    let service = &mut trace.service;
    let action = &mut trace.action;
    *service = pick_service(scope_service.as_deref(), parts, decoded)?;
    let op = Op::resolve(*service, &decoded.name, decoded.params.version())?;
    *action = Some(op);

    let facts = request_facts(&region, parts, source_ip, now.unix_timestamp());
    // Every operation of the three models has a row (a table test).
    let spec = op
        .spec()
        .ok_or_else(|| ApiError::new(ErrorCode::ServiceFailure, "An internal error occurred."))?;
    let params = |name: &str| decoded.param(name);
    let checks = warden_core::access::checks(&app.warden.read(), caller, spec, &params);
    // Last-accessed information notes every authenticated attempt, allowed
    // or not ("includes all attempts to access an Amazon Web Services API,
    // not just the successful ones", the GenerateServiceLastAccessedDetails
    // reference). Memory only; see warden_core::iam::access_reports.
    app.warden.record_access(
        caller,
        checks.iter().map(|c| c.action),
        &region,
        now.unix_timestamp(),
    );
    // AssumeRole's checks are decided inside the domain, with the role's
    // trust policy as the resource policy; every other operation's here,
    // before it runs.
    if op != Op::Sts(warden_wire::generated::sts::Operation::AssumeRole) {
        app.warden
            .authorize_checks(caller, &checks, &facts)
            .map_err(|e| api_error_in(*service, e))?;
    }
    let Some(caller) = trace.caller.take() else {
        return Err(ApiError::new(
            ErrorCode::ServiceFailure,
            "An internal error occurred.",
        ));
    };
    let ctx = RequestCtx {
        caller,
        region,
        facts,
        checks,
    };
    let out = match op {
        Op::Iam(op) => warden_wire::generated::iam::dispatch_operation(
            &crate::iam::Iam { app },
            &ctx,
            op,
            &decoded.params,
            request_id,
        ),
        Op::Sts(op) => warden_wire::generated::sts::dispatch_operation(
            &crate::sts::Sts { app },
            &ctx,
            op,
            &decoded.params,
            request_id,
        ),
        Op::Organizations(op) => warden_wire::generated::organizations::dispatch_json_operation(
            &crate::organizations::Organizations { app },
            &ctx,
            op,
            body,
        )
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    };
    if out.is_ok() {
        if let Some(key) = long_term_key {
            let svc = scope_service.as_deref().unwrap_or("iam");
            app.warden.record_key_use(
                &key,
                &ctx.caller.account,
                svc,
                &ctx.region,
                now.unix_timestamp(),
            );
        }
    }
    trace.caller = Some(ctx.caller);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_lookup_leaves_its_workers_other_requests_running() {
        use std::sync::atomic::{AtomicBool, Ordering};
        // One worker: while the lookup waits, a request queued behind it runs only if the worker
        // handed its queue over.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let other_ran = Arc::new(AtomicBool::new(false));
        let ran = runtime.block_on(async {
            let flag = other_ran.clone();
            tokio::spawn(async move {
                let flag = flag.clone();
                tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
                off_the_worker(|| {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
                    while !other_ran.load(Ordering::SeqCst) && std::time::Instant::now() < deadline
                    {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    other_ran.load(Ordering::SeqCst)
                })
            })
            .await
            .unwrap()
        });
        assert!(ran);
        // Outside a multi-threaded runtime it simply runs.
        assert_eq!(off_the_worker(|| 7), 7);
    }

    fn flat(body: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        flatten_json("", &serde_json::from_str(body).unwrap(), &mut out);
        out
    }

    #[test]
    fn json_bodies_flatten_to_query_member_names() {
        let out = flat(
            r#"{"PolicyId":"p-1","Tags":[{"Key":"team","Value":"blue"}],"TagKeys":["a","b"],"N":3,"Gone":null}"#,
        );
        let want: BTreeMap<String, String> = [
            ("PolicyId", "p-1"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "blue"),
            ("TagKeys.member.1", "a"),
            ("TagKeys.member.2", "b"),
            ("N", "3"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(out, want);
    }

    #[test]
    fn a_dotted_json_key_cannot_pose_as_a_flattened_member() {
        // The handler sees the tag `admin`; the authorizer must too.
        let out = flat(
            r#"{"Tags":[{"Key":"admin","Value":"yes"}],"Tags.member.1.Key":"team","Tags.member.1.Value":"blue"}"#,
        );
        assert_eq!(
            out.get("Tags.member.1.Key").map(String::as_str),
            Some("admin")
        );
        assert_eq!(
            out.get("Tags.member.1.Value").map(String::as_str),
            Some("yes")
        );
    }
}
