//! Outbound web identity federation: the IAM switch, STS GetWebIdentityToken,
//! and each account issuer's discovery document and JWKS, served unsigned
//! under `/outbound/ID/.well-known/` for outside verifiers.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use warden_core::outbound::{self, SigningAlgorithm, TokenRequest};
use warden_wire::generated::iam::{
    EnableOutboundWebIdentityFederationResponse, GetOutboundWebIdentityFederationInfoResponse,
};
use warden_wire::generated::sts::{GetWebIdentityTokenRequest, GetWebIdentityTokenResponse};

use crate::edge::RequestCtx;
use crate::mapping::{ts, R};
use crate::AppState;

pub(crate) fn enable(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<EnableOutboundWebIdentityFederationResponse> {
    let issuer = app.iam(ctx).enable_outbound_federation(&app.public_url)?;
    Ok(EnableOutboundWebIdentityFederationResponse {
        issuer_identifier: Some(issuer),
    })
}

pub(crate) fn disable(app: &AppState, ctx: &RequestCtx) -> R<()> {
    app.iam(ctx).disable_outbound_federation()?;
    Ok(())
}

pub(crate) fn info(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<GetOutboundWebIdentityFederationInfoResponse> {
    let (issuer, enabled) = app.iam(ctx).outbound_federation_info(&app.public_url)?;
    Ok(GetOutboundWebIdentityFederationInfoResponse {
        issuer_identifier: Some(issuer),
        jwt_vending_enabled: Some(enabled),
    })
}

pub(crate) fn token(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetWebIdentityTokenRequest,
) -> R<GetWebIdentityTokenResponse> {
    let out = app.sts(ctx).web_identity_token(TokenRequest {
        audience: input.audience,
        duration: input.duration_seconds.map(i64::from),
        algorithm: SigningAlgorithm::parse(&input.signing_algorithm)?,
        tags: crate::sts::sts_tags(input.tags),
        subject_mode: input.subject_mode.map(|m| m.as_str().to_string()),
        scope: input.scope,
        region: ctx.region.clone(),
        public_base: app.public_url.clone(),
    })?;
    Ok(GetWebIdentityTokenResponse {
        web_identity_token: Some(out.token),
        expiration: Some(ts(out.expires)),
    })
}

/// A JSON document, or 404 for an issuer warden does not have.
fn json_or_not_found(doc: Option<serde_json::Value>) -> Response {
    match doc {
        Some(doc) => (
            [(header::CONTENT_TYPE, "application/json")],
            doc.to_string(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /outbound/ID/.well-known/openid-configuration`. A disabled account's
/// issuer is still served: tokens issued before stay verifiable.
pub(crate) async fn discovery(
    State(app): State<Arc<AppState>>,
    Path(issuer_id): Path<String>,
) -> Response {
    let s = app.warden.read();
    let doc = outbound::by_issuer_id(&s, &issuer_id)
        .map(|f| outbound::discovery(&f.issuer(&app.public_url)));
    json_or_not_found(doc)
}

/// `GET /outbound/ID/.well-known/jwks.json`.
pub(crate) async fn jwks(
    State(app): State<Arc<AppState>>,
    Path(issuer_id): Path<String>,
) -> Response {
    let s = app.warden.read();
    let doc = outbound::by_issuer_id(&s, &issuer_id)
        .and_then(|f| f.keys.as_ref())
        .map(|k| k.jwks());
    json_or_not_found(doc)
}
