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
use warden_wire::ApiError;

use crate::authz::request_facts;
use crate::mapping::{api_error, resource_for};
use crate::AppState;

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
}

/// The outcome of one request, before it becomes HTTP.
struct Outcome {
    service: Service,
    result: Result<String, ApiError>,
}

pub async fn handle(State(app): State<Arc<AppState>>, req: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let source_ip = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = req.into_parts();
    let body: Bytes = match to_bytes(Body::new(body), MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let err = ApiError::new(
                "RequestEntityTooLarge",
                format!("Request body must not exceed {MAX_BODY_BYTES} bytes."),
            );
            return render(Service::Iam, Err(err), &request_id);
        }
    };
    let action = action_name(&parts, &body);
    // Writes wait for a disk sync (and passwords for Argon2): keep them off
    // the async workers. Reads take microseconds and run inline.
    let outcome = if action.as_deref().is_some_and(runs_inline) && !spends_mfa_code(&parts, &body) {
        process(&app, &parts, &body, &request_id, source_ip)
    } else {
        let (app2, rid) = (app.clone(), request_id.clone());
        match tokio::task::spawn_blocking(move || process(&app2, &parts, &body, &rid, source_ip))
            .await
        {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error = %e, request_id, "request task failed");
                Outcome {
                    service: Service::Iam,
                    result: Err(ApiError::new(
                        "ServiceFailure",
                        "An internal error occurred.",
                    )),
                }
            }
        }
    };
    let status = outcome.result.as_ref().map_or_else(|e| e.status, |_| 200);
    tracing::info!(
        request_id,
        action = action.as_deref().unwrap_or("-"),
        status,
        "request"
    );
    render(outcome.service, outcome.result, &request_id)
}

/// Operations that never wait for a disk sync or a password hash. STS
/// credential calls only seal a token (role last-use is recorded in memory).
fn runs_inline(action: &str) -> bool {
    ["Get", "List", "Simulate", "Describe", "AssumeRole"]
        .iter()
        .any(|p| action.starts_with(p))
}

/// An STS call with an MFA `TokenCode` records the spent code on disk, so it
/// leaves the async workers like any other write.
fn spends_mfa_code(parts: &Parts, body: &[u8]) -> bool {
    const PARAM: &[u8] = b"TokenCode=";
    let has = |bytes: &[u8]| bytes.windows(PARAM.len()).any(|w| w == PARAM);
    has(body) || parts.uri.query().is_some_and(|q| has(q.as_bytes()))
}

/// The JSON 1.1 operation named by `X-Amz-Target`, for Organizations.
fn json_operation(parts: &Parts) -> Option<&str> {
    let target = parts.headers.get("x-amz-target")?.to_str().ok()?;
    let prefix = warden_wire::generated::organizations::TARGET_PREFIX;
    target.strip_prefix(prefix)?.strip_prefix('.')
}

/// The operation name, for routing and logging only (not trusted).
fn action_name(parts: &Parts, body: &[u8]) -> Option<String> {
    if let Some(op) = json_operation(parts) {
        return Some(op.to_string());
    }
    let from = |bytes: &[u8]| QueryParams::parse(bytes).ok()?.action().map(str::to_string);
    from(parts.uri.query().unwrap_or("").as_bytes()).or_else(|| from(body))
}

fn render(service: Service, result: Result<String, ApiError>, request_id: &str) -> Response {
    let json = service == Service::Organizations;
    let (status, body) = match result {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
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
    let mut resp = (status, [("content-type", content_type)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp
}

fn sigv4_error(e: &SigV4Error) -> ApiError {
    let (code, message, status) = e.aws_error();
    ApiError::with_status(code, message, status)
}

/// Picks IAM or STS: the signing scope first, then the `Host`, then the
/// action name.
fn pick_service(
    scope_service: Option<&str>,
    parts: &Parts,
    action: &str,
) -> Result<Service, ApiError> {
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
    if warden_wire::generated::sts::OPERATIONS.contains(&action) {
        Ok(Service::Sts)
    } else {
        Ok(Service::Iam)
    }
}

fn process(
    app: &AppState,
    parts: &Parts,
    body: &[u8],
    request_id: &str,
    source_ip: Option<std::net::IpAddr>,
) -> Outcome {
    let mut service = Service::Iam;
    let result = process_inner(app, parts, body, request_id, source_ip, &mut service);
    Outcome { service, result }
}

fn process_inner(
    app: &AppState,
    parts: &Parts,
    body: &[u8],
    request_id: &str,
    source_ip: Option<std::net::IpAddr>,
    service: &mut Service,
) -> Result<String, ApiError> {
    let raw_query = parts.uri.query().unwrap_or("");
    let json_op = json_operation(parts);
    if json_op.is_some() {
        *service = Service::Organizations;
    }
    let params = if json_op.is_some() {
        QueryParams::default()
    } else if parts.method == axum::http::Method::POST && !body.is_empty() {
        QueryParams::parse(body)?
    } else {
        QueryParams::parse(raw_query.as_bytes())?
    };
    let action = match json_op {
        Some(op) => op.to_string(),
        None => params
            .action()
            .ok_or_else(ApiError::missing_action)?
            .to_string(),
    };

    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect();
    let http = HttpRequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query,
        headers: &headers,
        body,
    };
    let now = OffsetDateTime::now_utc();
    let dev_root = || {
        let account = app.warden.config().default_account.clone();
        Caller::root(&account, "dev-mode")
    };
    let dev_allows = || app.dev.as_ref().is_some_and(|d| d.take_no_auth());

    let (caller, region, scope_service, long_term_key) = match sigv4::parse_auth(&http, now) {
        Err(SigV4Error::MissingAuthenticationToken) if dev_allows() => {
            (dev_root(), "us-east-1".to_string(), None, None)
        }
        Err(e) => {
            *service = pick_service(None, parts, &action)?;
            return Err(sigv4_error(&e));
        }
        Ok(auth) => {
            *service = pick_service(Some(&auth.scope.service), parts, &action)?;
            let found = app.warden.credentials_for(
                &auth.access_key_id,
                auth.security_token.as_deref(),
                now.unix_timestamp(),
            );
            match found {
                Ok((secret, caller)) => {
                    sigv4::verify(&http, &auth, secret.expose(), &app.signing_keys, now)
                        .map_err(|e| sigv4_error(&e))?;
                    let long_term = auth
                        .security_token
                        .is_none()
                        .then(|| auth.access_key_id.clone());
                    (
                        caller,
                        auth.scope.region.clone(),
                        Some(auth.scope.service.clone()),
                        long_term,
                    )
                }
                // Dev mode: keys warden never issued act as the default root.
                Err(CoreError::InvalidClientTokenId) if dev_allows() => (
                    dev_root(),
                    auth.scope.region.clone(),
                    Some(auth.scope.service.clone()),
                    None,
                ),
                Err(e) => return Err(api_error(e)),
            }
        }
    };
    if scope_service.is_none() {
        *service = pick_service(None, parts, &action)?;
    }

    if json_op.is_some() {
        *service = Service::Organizations;
    }
    let (prefix, operations) = match *service {
        Service::Iam => ("iam", warden_wire::generated::iam::OPERATIONS),
        Service::Organizations => (
            "organizations",
            warden_wire::generated::organizations::OPERATIONS,
        ),
        Service::Sts => ("sts", warden_wire::generated::sts::OPERATIONS),
    };
    if !operations.contains(&action.as_str()) {
        if *service == Service::Organizations {
            return Err(ApiError::new(
                "UnknownOperationException",
                format!("The operation {action} is not known."),
            ));
        }
        return Err(ApiError::invalid_action(&action, service.api_version()));
    }
    let facts = request_facts(
        &app.warden,
        &caller,
        &region,
        parts,
        &params,
        source_ip,
        now.unix_timestamp(),
    );
    // AssumeRole is decided inside the domain, with the role's trust policy
    // as its resource policy; everything else is decided here, before the
    // operation runs.
    if !(prefix == "sts" && action == "AssumeRole") {
        let (resource, shown) = resource_for(&app.warden, &caller, prefix, &action, &params);
        app.warden
            .authorize(&caller, &format!("{prefix}:{action}"), &resource, &facts)
            .map_err(|e| crate::mapping::denial_error(e, &resource, &shown))
            .map_err(|e| {
                // JSON-protocol services name the same refusal differently.
                if *service == Service::Organizations && e.code == "AccessDenied" {
                    ApiError::new("AccessDeniedException", e.message)
                } else {
                    e
                }
            })?;
    }
    let ctx = RequestCtx {
        caller,
        region,
        facts,
    };
    let out = match *service {
        Service::Iam => warden_wire::generated::iam::dispatch(
            &crate::iam::Iam { app },
            &ctx,
            &action,
            &params,
            request_id,
        )
        .map_err(crate::mapping::iam_validation_text),
        Service::Sts => warden_wire::generated::sts::dispatch(
            &crate::sts::Sts { app },
            &ctx,
            &action,
            &params,
            request_id,
        ),
        Service::Organizations => warden_wire::generated::organizations::dispatch_json(
            &crate::organizations::Organizations { app },
            &ctx,
            &action,
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
    out
}
