//! The authorization API (`docs/authorization-api.md`): services that accept
//! SigV4-signed requests hand warden their client's request material and
//! the checks they need, and warden answers who signed and whether each
//! check is allowed, with the same evaluation as its own API.
//!
//! AWS JSON 1.1 on warden's listener: `POST /`, `X-Amz-Target:
//! WardenAuthorization.<Operation>`, signed by the calling service with the
//! credential scope's service `warden`. The calling service is authorized by
//! the action table's `warden` rows (never here by hand). A client's bad
//! signature is a verdict (HTTP 200, `Authenticated: false` with the error the
//! service should return), never an error of the call.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;
use warden_core::auth::Caller;
use warden_core::authz::external::{PrincipalFacts, ServiceCheck, ServiceDecision};
use warden_core::authz::messages::DeniedRequest;
use warden_core::authz::RequestFacts;
use warden_core::{access, actions, CoreError};
use warden_policy::{ContextValue, DecisionKind};
use warden_wire::sigv4::{self, HttpRequestParts, SigV4Error};
use warden_wire::{ApiError, ErrorCode, Service};

use crate::audit::record::{Params, Source};
use crate::authz::request_facts;
use crate::edge::{Finish, Trace};
use crate::mapping::api_error_in;
use crate::AppState;

/// The `X-Amz-Target` prefix of the API's operations.
pub const TARGET_PREFIX: &str = "WardenAuthorization";

/// The credential scope's service the calling service signs for.
const SCOPE_SERVICE: &str = "warden";

/// Most checks one Authorize call may carry (our limit: one client request rarely needs more than a
/// few; a copy needs two).
const MAX_CHECKS: usize = 100;

/// Most headers of a client request (our limit, to bound the work one call can ask for).
const MAX_HEADERS: usize = 200;

/// The API's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Authorize,
    PutResourcePolicy,
    GetResourcePolicy,
    DeleteResourcePolicy,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Authorize => "Authorize",
            Operation::PutResourcePolicy => "PutResourcePolicy",
            Operation::GetResourcePolicy => "GetResourcePolicy",
            Operation::DeleteResourcePolicy => "DeleteResourcePolicy",
        }
    }

    fn from_name(name: &str) -> Option<Operation> {
        [
            Operation::Authorize,
            Operation::PutResourcePolicy,
            Operation::GetResourcePolicy,
            Operation::DeleteResourcePolicy,
        ]
        .into_iter()
        .find(|op| op.name() == name)
    }

    /// Whether the call runs on the async workers: only writes wait for the disk.
    fn runs_inline(self) -> bool {
        matches!(self, Operation::Authorize | Operation::GetResourcePolicy)
    }
}

/// The operation name of a request to this API, if its target names one (known or not).
pub(crate) fn target(parts: &Parts) -> Option<String> {
    let target = parts.headers.get("x-amz-target")?.to_str().ok()?;
    target
        .strip_prefix(TARGET_PREFIX)?
        .strip_prefix('.')
        .map(str::to_string)
}

/// Answers one call of the API (the edge has read the body).
pub(crate) async fn handle(
    app: Arc<AppState>,
    parts: Parts,
    body: axum::body::Bytes,
    name: String,
    request_id: String,
    source_ip: Option<IpAddr>,
) -> Response {
    let started = std::time::Instant::now();
    let Some(op) = Operation::from_name(&name) else {
        return render(
            Err(ApiError::new(
                ErrorCode::UnknownOperationException,
                format!("The operation {name} is not known."),
            )),
            &request_id,
        );
    };
    let result = if op.runs_inline() {
        serve(&app, &parts, &body, op, &request_id, source_ip, started)
    } else {
        let (app2, rid) = (app.clone(), request_id.clone());
        tokio::task::spawn_blocking(move || {
            serve(&app2, &parts, &body, op, &rid, source_ip, started)
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "authorization API task failed");
            Err(ApiError::new(
                ErrorCode::ServiceFailure,
                "An internal error occurred.",
            ))
        })
    };
    app.warden.metrics().record_request(
        warden_core::actions::spec_of(warden_core::actions::Service::Warden, op.name()),
        warden_core::actions::Service::Warden,
        result.as_ref().err().map(|e| e.code),
        started.elapsed(),
    );
    render(result, &request_id)
}

/// Runs one call and ends it where every request ends ([`crate::edge::finish`]): its log line
/// and its audit record.
fn serve(
    app: &AppState,
    parts: &Parts,
    body: &[u8],
    op: Operation,
    request_id: &str,
    source_ip: Option<IpAddr>,
    started: std::time::Instant,
) -> Result<String, ApiError> {
    let mut trace = Trace::default();
    let result = call(app, parts, body, op, source_ip, &mut trace).map(|v| v.to_string());
    // Parsed again for the record only when there is a trail to keep it.
    let recorded = app.audit.as_ref().and_then(|_| recorded_parameters(body));
    crate::edge::finish(
        app,
        Finish {
            parts,
            request_id,
            source_ip,
            started,
            trace: &mut trace,
            source: Source::Warden,
            event_name: op.name(),
            params: recorded.as_deref().map(Params::Json),
            result: result
                .as_ref()
                .map(String::as_str)
                .map_err(|e| (e.code.as_str(), e.message.as_str(), e.status())),
        },
    );
    result
}

/// The top-level members of a call its audit record keeps: a strict allow-list, because the body
/// carries the end client's request material (its `Authorization` header, its session token), which
/// must never be written. Context keys (`Keys`) and inline policies are left out too.
const RECORDED_MEMBERS: &[&str] = &["SigningService", "SigningRegion", "ResourceArn", "Policy"];

/// The members of each of `Checks` the record keeps.
const RECORDED_CHECK_MEMBERS: &[&str] =
    &["Action", "Resource", "ResourceAccount", "ResourcePolicyArn"];

/// The allow-listed text members of a call's body, as JSON for the record (`None`: not a JSON
/// object).
fn recorded_parameters(body: &[u8]) -> Option<Vec<u8>> {
    let Ok(Value::Object(sent)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let texts = |from: &serde_json::Map<String, Value>, allowed: &[&str]| {
        allowed
            .iter()
            .filter_map(|name| {
                from.get(*name)
                    .filter(|v| v.is_string())
                    .map(|v| (name.to_string(), v.clone()))
            })
            .collect::<serde_json::Map<String, Value>>()
    };
    let mut kept = texts(&sent, RECORDED_MEMBERS);
    if let Some(Value::Array(checks)) = sent.get("Checks") {
        let checks = checks
            .iter()
            .filter_map(Value::as_object)
            .map(|check| Value::Object(texts(check, RECORDED_CHECK_MEMBERS)))
            .collect();
        kept.insert("Checks".to_string(), Value::Array(checks));
    }
    serde_json::to_vec(&Value::Object(kept)).ok()
}

fn render(result: Result<String, ApiError>, request_id: &str) -> Response {
    let (status, body) = match result {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            String::from_utf8_lossy(&e.to_json()).into_owned(),
        ),
    };
    crate::edge::answer(status, "application/x-amz-json-1.1", body, request_id)
}

/// A domain error of the call as this JSON API names it (`AccessDeniedException` for a refusal).
fn call_error(e: CoreError) -> ApiError {
    api_error_in(Service::Organizations, e)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.is_empty() { b"{}" } else { body };
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::SerializationException,
            format!("The request body is not valid for this operation: {e}"),
        )
    })
}

/// Authenticates the calling service, authorizes it from the action table and runs the operation.
fn call(
    app: &AppState,
    parts: &Parts,
    body: &[u8],
    op: Operation,
    source_ip: Option<IpAddr>,
    trace: &mut Trace,
) -> Result<Value, ApiError> {
    let headers = crate::edge::header_pairs(parts);
    let http = crate::edge::signed_parts(parts, &headers, body);
    let now = OffsetDateTime::now_utc();
    let who = crate::edge::authenticate(app, &http, now, trace)?;
    // The trace keeps the calling service for the audit record, whatever the outcome.
    let service: &Caller = trace.caller.insert(who.caller);
    if let Some(service) = who.scope_service.as_deref().filter(|s| *s != SCOPE_SERVICE) {
        // AWS's wording for a request signed for another service (edge.rs).
        return Err(SigV4Error::ScopeMismatch(format!(
            "Credential should be scoped to correct service: '{SCOPE_SERVICE}', not '{service}'. "
        ))
        .api_error());
    }
    let facts = request_facts(&who.region, parts, source_ip, now.unix_timestamp());
    match op {
        Operation::Authorize => {
            let input: AuthorizeInput = parse(body)?;
            input.validate()?;
            for check in &input.checks {
                let mut params = vec![
                    ("Action", check.action.clone()),
                    ("Resource", check.resource.clone()),
                ];
                if let Some(a) = &check.resource_account {
                    params.push(("ResourceAccount", a.clone()));
                }
                authorize_service(app, service, op, &params, &facts)?;
            }
            authorize(app, service, &input, now)
        }
        Operation::PutResourcePolicy => {
            let input: PutPolicyInput = parse(body)?;
            authorize_service(
                app,
                service,
                op,
                &[
                    ("ResourceArn", input.resource_arn.clone()),
                    ("Policy", input.policy.clone()),
                ],
                &facts,
            )?;
            app.warden
                .iam(&service.account)
                .put_resource_policy(&input.resource_arn, &input.policy)
                .map_err(call_error)?;
            Ok(json!({}))
        }
        Operation::GetResourcePolicy => {
            let input: PolicyArnInput = parse(body)?;
            authorize_service(
                app,
                service,
                op,
                &[("ResourceArn", input.resource_arn.clone())],
                &facts,
            )?;
            let stored = app
                .warden
                .iam(&service.account)
                .resource_policy(&input.resource_arn)
                .map_err(call_error)?;
            Ok(json!({
                "ResourceArn": stored.resource_arn,
                "Policy": stored.document,
                "LastUpdated": stored.updated,
            }))
        }
        Operation::DeleteResourcePolicy => {
            let input: PolicyArnInput = parse(body)?;
            authorize_service(
                app,
                service,
                op,
                &[("ResourceArn", input.resource_arn.clone())],
                &facts,
            )?;
            app.warden
                .iam(&service.account)
                .delete_resource_policy(&input.resource_arn)
                .map_err(call_error)?;
            Ok(json!({}))
        }
    }
}

/// Decides the operation's row of the action table for the calling service: the one
/// authorization path of warden's own API.
fn authorize_service(
    app: &AppState,
    service: &Caller,
    op: Operation,
    params: &[(&str, String)],
    facts: &RequestFacts,
) -> Result<(), ApiError> {
    let spec = actions::spec(SCOPE_SERVICE, op.name())
        .ok_or_else(|| ApiError::new(ErrorCode::ServiceFailure, "An internal error occurred."))?;
    let lookup = |name: &str| {
        params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let checks = access::checks(&app.warden.read(), service, spec, &lookup);
    app.warden
        .authorize_checks(service, &checks, facts)
        .map_err(call_error)
}

// ---------------------------------------------------------------------------------------------
// Wire shapes (docs/authorization-api.schema.json). Unknown members are refused: a misspelled
// `ResourcePolicy` must not silently decide without the policy.

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct AuthorizeInput {
    request: ClientRequest,
    signing_service: String,
    #[serde(default)]
    signing_region: Option<String>,
    #[serde(default)]
    keys: Vec<KeyInput>,
    checks: Vec<CheckInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct ClientRequest {
    method: String,
    path: String,
    #[serde(default)]
    query: String,
    headers: Vec<HeaderInput>,
    payload_hash: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct HeaderInput {
    name: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct KeyInput {
    key: String,
    values: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct CheckInput {
    action: String,
    resource: String,
    #[serde(default)]
    resource_account: Option<String>,
    #[serde(default)]
    keys: Vec<KeyInput>,
    #[serde(default)]
    resource_policy: Option<String>,
    #[serde(default)]
    resource_policy_arn: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PutPolicyInput {
    resource_arn: String,
    policy: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PolicyArnInput {
    resource_arn: String,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

/// The payload hashes SigV4 signers use: hex SHA-256, or one of S3's markers
/// (`docs/authorization-api.md`; S3's list from its `x-amz-content-sha256` error text).
fn valid_payload_hash(hash: &str) -> bool {
    const MARKERS: &[&str] = &[
        "UNSIGNED-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
    ];
    MARKERS.contains(&hash)
        || (hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

impl AuthorizeInput {
    fn validate(&self) -> Result<(), ApiError> {
        if self.checks.is_empty() || self.checks.len() > MAX_CHECKS {
            return Err(invalid(format!(
                "Checks must hold 1 to {MAX_CHECKS} checks."
            )));
        }
        if self.request.headers.len() > MAX_HEADERS {
            return Err(invalid(format!(
                "Request.Headers must hold at most {MAX_HEADERS} headers."
            )));
        }
        if self.signing_service.is_empty() {
            return Err(invalid("SigningService must not be empty."));
        }
        let method = &self.request.method;
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(
                "Request.Method must be an upper-case HTTP method, e.g. GET.",
            ));
        }
        if !self.request.path.starts_with('/') {
            return Err(invalid(
                "Request.Path must be the request's path as received, starting with /.",
            ));
        }
        if !valid_payload_hash(&self.request.payload_hash) {
            return Err(invalid(
                "Request.PayloadHash must be a lower-case hex SHA-256, UNSIGNED-PAYLOAD or one of S3's STREAMING- markers.",
            ));
        }
        for check in &self.checks {
            let (service, action) = check.action.split_once(':').unwrap_or(("", ""));
            if service.is_empty() || action.is_empty() || check.action.contains('*') {
                return Err(invalid(format!(
                    "Action {} is not a service:Action name.",
                    check.action
                )));
            }
            if check.resource.is_empty() {
                return Err(invalid("Resource must not be empty."));
            }
            if check.resource_policy.is_some() && check.resource_policy_arn.is_some() {
                return Err(invalid(
                    "A check carries either ResourcePolicy or ResourcePolicyArn, not both.",
                ));
            }
        }
        Ok(())
    }
}

fn key_values(keys: &[KeyInput]) -> Vec<(String, ContextValue)> {
    keys.iter()
        .map(|k| {
            let value = match k.values.as_slice() {
                [one] => ContextValue::from(one.clone()),
                _ => ContextValue::from(k.values.clone()),
            };
            (k.key.clone(), value)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Authorize.

/// Why a client's request is not authenticated, as the service should answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AuthFailure {
    code: &'static str,
    message: String,
    status: u16,
}

fn failure(code: &'static str, message: impl Into<String>, status: u16) -> AuthFailure {
    AuthFailure {
        code,
        message: message.into(),
        status,
    }
}

/// A SigV4 failure as a Query API service (IAM, STS) answers it: the codes warden's own API answers.
fn sigv4_failure(e: &SigV4Error) -> AuthFailure {
    failure(e.code().as_str(), e.message(), e.http_status())
}

/// A failure of the key or token lookup, as a Query API service answers it.
fn credential_failure(e: CoreError) -> AuthFailure {
    let e = api_error_in(Service::Iam, e);
    let status = e.status();
    failure(e.code.as_str(), e.message, status)
}

/// Verifies the client's signature: `Ok(None)` for a request without any credentials (anonymous),
/// the caller and its credential scope's region for a valid one, the service's error otherwise.
fn authenticate_client(
    app: &AppState,
    http: &HttpRequestParts<'_>,
    signing_service: &str,
    signing_region: Option<&str>,
    payload_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<(Caller, String)>, AuthFailure> {
    if signing_service == "s3" {
        // S3's one authenticator, the gateway's.
        let client =
            crate::s3::auth::authenticate(app, http, signing_region, Some(payload_hash), now)
                .map_err(|e| AuthFailure {
                    code: e.code,
                    message: e.message,
                    status: e.status,
                })?;
        return Ok(client.caller.zip(client.scope_region));
    }
    let auth = match sigv4::parse_auth(http, now) {
        Ok(auth) => auth,
        // Signature Version 2 is not "no credentials": refused, never taken for anonymous. Our
        // wording: the Query API's code for an unusable signature.
        Err(SigV4Error::MissingAuthenticationToken) if crate::s3::auth::uses_sigv2(http) => {
            return Err(failure(
                "IncompleteSignature",
                "Signature Version 2 is not supported; sign with AWS4-HMAC-SHA256.",
                400,
            ));
        }
        Err(SigV4Error::MissingAuthenticationToken) => return Ok(None),
        Err(e) => return Err(sigv4_failure(&e)),
    };
    auth.check_scope(signing_region, signing_service)
        .map_err(|e| sigv4_failure(&e))?;
    let (secret, caller) = app
        .warden
        .credentials_for(
            &auth.access_key_id,
            auth.security_token.as_deref(),
            now.unix_timestamp(),
        )
        .map_err(credential_failure)?;
    sigv4::verify_with_payload_hash(
        http,
        &auth,
        secret.expose(),
        &app.signing_keys,
        now,
        payload_hash,
    )
    .map_err(|e| sigv4_failure(&e))?;
    Ok(Some((caller, auth.scope.region)))
}

fn principal_json(p: &PrincipalFacts) -> Value {
    let tags: Vec<Value> = p
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    let mut out = json!({
        "Type": p.kind,
        "Account": p.account,
        "Arn": p.arn,
        "UserId": p.user_id,
        "AccessKeyId": p.access_key_id,
        "Tags": tags,
    });
    if let (Some(s), Some(map)) = (&p.session, out.as_object_mut()) {
        let mut session = json!({
            "MfaAuthenticated": s.mfa_authenticated,
            "IssuedAt": s.issued,
            "Expiration": s.expires,
        });
        if let Some(m) = session.as_object_mut() {
            if let Some(t) = s.mfa_auth_time {
                m.insert("MfaAuthTime".into(), t.into());
            }
            if let Some(id) = &s.source_identity {
                m.insert("SourceIdentity".into(), id.clone().into());
            }
        }
        map.insert("Session".into(), session);
    }
    out
}

fn decision_json(
    check: &CheckInput,
    d: &ServiceDecision,
    policy_source: &str,
    encoded_message: Option<String>,
) -> Value {
    let statements: Vec<Value> = d
        .statements
        .iter()
        .map(|s| {
            let mut v = json!({
                "PolicyType": s.policy_type,
                "PolicyName": s.policy_name,
                "StatementIndex": s.statement_index,
                "Effect": s.effect,
            });
            if let (Some(sid), Some(m)) = (&s.sid, v.as_object_mut()) {
                m.insert("Sid".into(), sid.clone().into());
            }
            v
        })
        .collect();
    let mut v = json!({
        "Action": check.action,
        "Resource": check.resource,
        "Decision": d.kind.as_str(),
        "ResourcePolicySource": policy_source,
        "Statements": statements,
    });
    if let Some(m) = v.as_object_mut() {
        if let Some(by) = d.decided_by {
            m.insert("DecidedBy".into(), by.into());
        }
        if let Some(text) = &d.access_denied_message {
            m.insert("AccessDeniedMessage".into(), text.clone().into());
        }
        if let Some(encoded) = encoded_message {
            m.insert("EncodedMessage".into(), encoded.into());
        }
    }
    v
}

fn authorize(
    app: &AppState,
    service: &Caller,
    input: &AuthorizeInput,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    // Request-wide keys go into every decision: the same keys are forbidden as in a check.
    warden_core::authz::external::check_service_keys(&key_values(&input.keys))
        .map_err(call_error)?;
    let req = &input.request;
    let headers: Vec<(&str, &[u8])> = req
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_bytes()))
        .collect();
    let http = HttpRequestParts {
        method: &req.method,
        raw_path: &req.path,
        raw_query: &req.query,
        headers: &headers,
        body: b"",
    };
    let client = match authenticate_client(
        app,
        &http,
        &input.signing_service,
        input.signing_region.as_deref(),
        &req.payload_hash,
        now,
    ) {
        Ok(client) => client,
        Err(f) => {
            return Ok(json!({
                "Authenticated": false,
                "Error": {"Code": f.code, "Message": f.message, "HttpStatus": f.status},
                "Decision": "ImplicitDeny",
                "Results": [],
            }))
        }
    };
    let (client, scope_region) = client.unzip();
    let facts = client_facts(input, scope_region, now);
    let principal = match &client {
        Some(c) => principal_json(&app.warden.principal_facts(c)),
        None => json!({"Type": "Anonymous"}),
    };
    let stored = app.warden.iam(&service.account);
    let mut overall = DecisionKind::Allow;
    let mut results = Vec::with_capacity(input.checks.len());
    for check in &input.checks {
        let (policy, source) = match &check.resource_policy {
            Some(doc) => (Some(doc.clone()), "Request"),
            None => {
                let arn = check
                    .resource_policy_arn
                    .as_deref()
                    .unwrap_or(&check.resource);
                match stored.stored_resource_policy(arn) {
                    Some(p) => (Some(p.document), "Stored"),
                    None => (None, "None"),
                }
            }
        };
        let ask = ServiceCheck {
            action: check.action.clone(),
            resource: check.resource.clone(),
            resource_account: check.resource_account.clone(),
            keys: key_values(&check.keys),
            resource_policy: policy,
        };
        let decision = match app.warden.decide_for_service(client.as_ref(), &ask, &facts) {
            Ok(d) => d,
            // Refusals the engine gives before evaluating (a federated session's limits, a closed
            // account) are denials of this check, not errors of the call.
            Err(CoreError::AccessDenied(message)) => ServiceDecision {
                kind: DecisionKind::ImplicitDeny,
                decided_by: None,
                statements: Vec::new(),
                access_denied_message: Some(message),
            },
            Err(CoreError::InvalidClientTokenId) => ServiceDecision {
                kind: DecisionKind::ImplicitDeny,
                decided_by: None,
                statements: Vec::new(),
                access_denied_message: Some(
                    "The security token included in the request is invalid.".to_string(),
                ),
            },
            Err(e) => return Err(call_error(e)),
        };
        overall = match (overall, decision.kind) {
            (DecisionKind::ExplicitDeny, _) | (_, DecisionKind::ExplicitDeny) => {
                DecisionKind::ExplicitDeny
            }
            (DecisionKind::ImplicitDeny, _) | (_, DecisionKind::ImplicitDeny) => {
                DecisionKind::ImplicitDeny
            }
            _ => DecisionKind::Allow,
        };
        // A denial's details, for the principal's account to read through STS
        // DecodeAuthorizationMessage (as EC2's "encoded authorization failure message"). An
        // anonymous caller has no account to read it in.
        let encoded = match &client {
            Some(c) if decision.kind != DecisionKind::Allow => {
                Some(app.warden.encode_authorization_message(&DeniedRequest {
                    account: &c.account,
                    principal_id: &c.user_id,
                    principal_arn: &c.arn,
                    action: &check.action,
                    resource: &check.resource,
                    keys: &ask.keys,
                    decision: &decision,
                }))
            }
            _ => None,
        };
        results.push(decision_json(check, &decision, source, encoded));
    }
    Ok(json!({
        "Authenticated": true,
        "Principal": principal,
        "Decision": overall.as_str(),
        "Results": results,
    }))
}

/// The request-wide keys of the client's request: the region it was signed for, its user agent,
/// and the keys the service gives for the whole request (`aws:SourceIp`, `aws:SecureTransport`).
fn client_facts(
    input: &AuthorizeInput,
    scope_region: Option<String>,
    now: OffsetDateTime,
) -> RequestFacts {
    let mut keys: Vec<(String, ContextValue)> = Vec::new();
    let region = input.signing_region.clone().or(scope_region);
    if let Some(region) = region {
        keys.push(("aws:RequestedRegion".into(), ContextValue::from(region)));
    }
    if let Some(agent) = input
        .request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("user-agent"))
    {
        keys.push((
            "aws:UserAgent".into(),
            ContextValue::from(agent.value.clone()),
        ));
    }
    keys.extend(key_values(&input.keys));
    RequestFacts {
        keys,
        now: now.unix_timestamp(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_only_allow_listed_members_of_a_call() {
        let body = json!({
            "Request": {
                "Method": "GET",
                "Path": "/b/k",
                "Headers": [
                    {"Name": "Authorization", "Value": "AWS4-HMAC-SHA256 Signature=abc123"},
                    {"Name": "X-Amz-Security-Token", "Value": "the-session-token"}
                ],
                "PayloadHash": "UNSIGNED-PAYLOAD"
            },
            "SigningService": "s3",
            "Keys": [{"Key": "s3:x", "Values": ["context-value"]}],
            "Checks": [{
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/k",
                "ResourcePolicy": "{\"Statement\":[]}",
                "Keys": [{"Key": "s3:y", "Values": ["check-value"]}]
            }]
        });
        let kept = recorded_parameters(body.to_string().as_bytes()).unwrap();
        let kept: Value = serde_json::from_slice(&kept).unwrap();
        assert_eq!(
            kept,
            json!({
                "SigningService": "s3",
                "Checks": [{"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"}]
            })
        );
        // A policy call keeps its ARN and policy; a body that is no object keeps nothing.
        let put = json!({"ResourceArn": "arn:aws:s3:::b", "Policy": "{}"}).to_string();
        let kept: Value =
            serde_json::from_slice(&recorded_parameters(put.as_bytes()).unwrap()).unwrap();
        assert_eq!(
            kept,
            json!({"ResourceArn": "arn:aws:s3:::b", "Policy": "{}"})
        );
        assert_eq!(recorded_parameters(b"[1]"), None);
    }

    #[test]
    fn payload_hashes_are_hex_sha256_or_a_known_marker() {
        assert!(valid_payload_hash(&"a".repeat(64)));
        assert!(valid_payload_hash("UNSIGNED-PAYLOAD"));
        assert!(valid_payload_hash("STREAMING-UNSIGNED-PAYLOAD-TRAILER"));
        assert!(!valid_payload_hash(&"A".repeat(64)));
        assert!(!valid_payload_hash(&"a".repeat(63)));
        assert!(!valid_payload_hash("unsigned-payload"));
    }

    #[test]
    fn query_api_failures_use_the_query_api_codes() {
        let f = sigv4_failure(&SigV4Error::InvalidClientTokenId);
        assert_eq!((f.code, f.status), ("InvalidClientTokenId", 403));
        let f = credential_failure(CoreError::InvalidClientTokenId);
        assert_eq!((f.code, f.status), ("InvalidClientTokenId", 403));
    }
}
