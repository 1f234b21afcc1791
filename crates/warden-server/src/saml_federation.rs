//! AssumeRoleWithSAML: served unsigned, as AWS serves it (the model's
//! `authtype: none`). A signature, if a client adds one, is ignored: the
//! signed SAML response is the credential, and the role's trust policy,
//! not a caller's policies, decides.

use warden_core::saml_federation::SamlInput;
use warden_wire::generated::sts::*;

use crate::edge::RequestCtx;
use crate::mapping::R;
use crate::AppState;

pub(crate) fn assume_role_with_saml(
    app: &AppState,
    ctx: &RequestCtx,
    input: AssumeRoleWithSAMLRequest,
) -> R<AssumeRoleWithSAMLResponse> {
    let out = app.sts(ctx).assume_role_with_saml(SamlInput {
        role_arn: input.role_arn,
        principal_arn: input.principal_arn,
        saml_assertion: input.saml_assertion,
        duration: input.duration_seconds,
        policy: input.policy,
        policy_arns: super::sts::policy_arns(input.policy_arns),
        region: ctx.region.clone(),
        facts: ctx.facts.clone(),
    })?;
    let s = out.session;
    Ok(AssumeRoleWithSAMLResponse {
        credentials: Some(super::sts::credentials_out(s.credentials)),
        assumed_role_user: Some(AssumedRoleUser {
            assumed_role_id: s.assumed_role_id,
            arn: s.arn,
        }),
        packed_policy_size: s.packed_policy_size,
        subject: Some(out.subject),
        subject_type: Some(out.subject_type),
        issuer: Some(out.issuer),
        audience: Some(out.audience),
        name_qualifier: Some(out.name_qualifier),
        source_identity: s.source_identity,
        ..AssumeRoleWithSAMLResponse::default()
    })
}
