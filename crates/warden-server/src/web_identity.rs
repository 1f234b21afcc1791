//! AssumeRoleWithWebIdentity: served unsigned, as AWS serves it (the
//! model's `authtype: none`; boto3 and the SDKs' web identity credential
//! providers send it without a signature). A signature, if a client adds
//! one, is ignored: the token is the credential, and the role's trust
//! policy, not the caller's policies, decides.

use warden_core::auth::{Caller, PrincipalKind};
use warden_core::federation::{keys, WebIdentityInput};
use warden_wire::generated::sts::*;
use warden_wire::ApiError;

use crate::edge::RequestCtx;
use crate::mapping::R;
use crate::AppState;

/// Nobody: the request carries no AWS credential. Only the two unsigned
/// federation handlers (this one and `crate::saml_federation`) run with it,
/// and neither reads the caller.
fn unauthenticated() -> Caller {
    Caller {
        account: String::new(),
        kind: PrincipalKind::Root,
        arn: "anonymous".to_string(),
        user_id: String::new(),
        access_key_id: String::new(),
        session: None,
        dev_stand_in: false,
    }
}

/// Dispatches an unsigned federation call (AssumeRoleWithWebIdentity or
/// AssumeRoleWithSAML; the edge lets no other through) with the request's
/// global keys.
pub(crate) fn serve(
    app: &AppState,
    op: Operation,
    params: &warden_wire::query::QueryParams,
    facts: warden_core::authz::RequestFacts,
    request_id: &str,
) -> Result<String, ApiError> {
    let ctx = RequestCtx {
        caller: unauthenticated(),
        // An unsigned request names no region; STS's global endpoint's.
        region: "us-east-1".to_string(),
        facts,
        checks: Vec::new(),
    };
    dispatch_operation(&crate::sts::Sts { app }, &ctx, op, params, request_id)
}

pub(crate) fn assume_role_with_web_identity(
    app: &AppState,
    ctx: &RequestCtx,
    input: AssumeRoleWithWebIdentityRequest,
) -> R<AssumeRoleWithWebIdentityResponse> {
    if input.provider_id.is_some() {
        // OAuth 2.0 access tokens of Facebook and Login with Amazon need
        // those services; warden verifies OpenID Connect ID tokens only.
        return Err(ApiError::not_implemented("AssumeRoleWithWebIdentity with ProviderId").into());
    }
    let out = app.sts(ctx).assume_role_with_web_identity(
        keys::shared(),
        WebIdentityInput {
            role_arn: input.role_arn,
            session_name: input.role_session_name,
            token: input.web_identity_token,
            duration: input.duration_seconds,
            policy: input.policy,
            policy_arns: super::sts::policy_arns(input.policy_arns),
            region: ctx.region.clone(),
            facts: ctx.facts.clone(),
        },
    )?;
    let s = out.session;
    Ok(AssumeRoleWithWebIdentityResponse {
        credentials: Some(super::sts::credentials_out(s.credentials)),
        subject_from_web_identity_token: Some(out.subject),
        assumed_role_user: Some(AssumedRoleUser {
            assumed_role_id: s.assumed_role_id,
            arn: s.arn,
        }),
        packed_policy_size: s.packed_policy_size,
        provider: Some(out.provider),
        audience: Some(out.audience),
        source_identity: s.source_identity,
        ..AssumeRoleWithWebIdentityResponse::default()
    })
}
