//! STS handlers.

use warden_wire::generated::sts::*;
use warden_wire::{ApiError, ErrorCode};

use warden_core::sts::{AssumeRoleInput, TemporaryCredentials};

use crate::edge::RequestCtx;
use crate::mapping::{ts, HandlerError, R};
use crate::AppState;

pub struct Sts<'a> {
    pub app: &'a AppState,
}

/// SerialNumber and TokenCode come together or not at all.
fn mfa_pair(serial: Option<String>, code: Option<String>) -> R<Option<(String, String)>> {
    match (serial, code) {
        (Some(s), Some(c)) => Ok(Some((s, c))),
        (None, None) => Ok(None),
        _ => Err(ApiError::new(
            ErrorCode::ValidationError,
            "SerialNumber and TokenCode must be given together.",
        )
        .into()),
    }
}

pub(crate) fn credentials_out(c: TemporaryCredentials) -> Credentials {
    Credentials {
        access_key_id: c.access_key_id,
        secret_access_key: String::from_utf8_lossy(c.secret_access_key.expose()).into_owned(),
        session_token: c.session_token,
        expiration: ts(c.expiration),
    }
}

pub(crate) fn policy_arns(list: Option<Vec<PolicyDescriptorType>>) -> Vec<String> {
    list.unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.arn)
        .collect()
}

pub(crate) fn sts_tags(tags: Option<Vec<Tag>>) -> Vec<(String, String)> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect()
}

impl StsApi for Sts<'_> {
    type Ctx = RequestCtx;
    type Error = HandlerError;

    fn get_caller_identity(
        &self,
        ctx: &RequestCtx,
        _input: GetCallerIdentityRequest,
    ) -> R<GetCallerIdentityResponse> {
        Ok(GetCallerIdentityResponse {
            user_id: Some(ctx.caller.user_id.clone()),
            account: Some(ctx.caller.account.clone()),
            arn: Some(ctx.caller.arn.clone()),
        })
    }

    fn get_session_token(
        &self,
        ctx: &RequestCtx,
        input: GetSessionTokenRequest,
    ) -> R<GetSessionTokenResponse> {
        let mfa = mfa_pair(input.serial_number, input.token_code)?;
        let mfa = mfa.as_ref().map(|(s, c)| (s.as_str(), c.as_str()));
        let creds = self
            .app
            .sts(ctx)
            .get_session_token(input.duration_seconds, mfa)?;
        Ok(GetSessionTokenResponse {
            credentials: Some(Credentials {
                access_key_id: creds.access_key_id,
                secret_access_key: String::from_utf8_lossy(creds.secret_access_key.expose())
                    .into_owned(),
                session_token: creds.session_token,
                expiration: ts(creds.expiration),
            }),
            ..GetSessionTokenResponse::default()
        })
    }

    fn assume_role_with_web_identity(
        &self,
        ctx: &RequestCtx,
        input: AssumeRoleWithWebIdentityRequest,
    ) -> R<AssumeRoleWithWebIdentityResponse> {
        crate::web_identity::assume_role_with_web_identity(self.app, ctx, input)
    }

    fn assume_role_with_saml(
        &self,
        ctx: &RequestCtx,
        input: AssumeRoleWithSAMLRequest,
    ) -> R<AssumeRoleWithSAMLResponse> {
        crate::saml_federation::assume_role_with_saml(self.app, ctx, input)
    }

    fn get_web_identity_token(
        &self,
        ctx: &RequestCtx,
        input: GetWebIdentityTokenRequest,
    ) -> R<GetWebIdentityTokenResponse> {
        crate::outbound::token(self.app, ctx, input)
    }

    fn assume_role(&self, ctx: &RequestCtx, input: AssumeRoleRequest) -> R<AssumeRoleResponse> {
        let mfa = mfa_pair(input.serial_number, input.token_code)?;
        let out = self.app.sts(ctx).assume_role(AssumeRoleInput {
            role_arn: input.role_arn,
            session_name: input.role_session_name,
            duration: input.duration_seconds,
            external_id: input.external_id,
            policy: input.policy,
            policy_arns: policy_arns(input.policy_arns),
            tags: sts_tags(input.tags),
            transitive_tag_keys: input.transitive_tag_keys.unwrap_or_default(),
            source_identity: input.source_identity,
            mfa,
            region: ctx.region.clone(),
            facts: ctx.facts.clone(),
            checks: ctx.checks.clone(),
        })?;
        Ok(AssumeRoleResponse {
            credentials: Some(credentials_out(out.credentials)),
            assumed_role_user: Some(AssumedRoleUser {
                assumed_role_id: out.assumed_role_id,
                arn: out.arn,
            }),
            packed_policy_size: out.packed_policy_size,
            source_identity: out.source_identity,
            ..AssumeRoleResponse::default()
        })
    }

    fn get_federation_token(
        &self,
        ctx: &RequestCtx,
        input: GetFederationTokenRequest,
    ) -> R<GetFederationTokenResponse> {
        let out = self.app.sts(ctx).get_federation_token(
            &input.name,
            input.duration_seconds,
            input.policy.as_deref(),
            &policy_arns(input.policy_arns),
            sts_tags(input.tags),
        )?;
        Ok(GetFederationTokenResponse {
            credentials: Some(credentials_out(out.credentials)),
            federated_user: Some(FederatedUser {
                federated_user_id: out.federated_user_id,
                arn: out.arn,
            }),
            packed_policy_size: Some(out.packed_policy_size),
            ..GetFederationTokenResponse::default()
        })
    }

    fn assume_root(&self, ctx: &RequestCtx, input: AssumeRootRequest) -> R<AssumeRootResponse> {
        let Some(task) = input.task_policy_arn.arn else {
            return Err(ApiError::new(
                ErrorCode::ValidationError,
                "TaskPolicyArn must name an AWS managed policy for root tasks.",
            )
            .into());
        };
        let out = self.app.sts(ctx).assume_root(
            &input.target_principal,
            &task,
            input.duration_seconds,
        )?;
        Ok(AssumeRootResponse {
            credentials: Some(credentials_out(out.credentials)),
            source_identity: out.source_identity,
            ..AssumeRootResponse::default()
        })
    }

    fn decode_authorization_message(
        &self,
        ctx: &RequestCtx,
        input: DecodeAuthorizationMessageRequest,
    ) -> R<DecodeAuthorizationMessageResponse> {
        let decoded = self
            .app
            .sts(ctx)
            .decode_authorization_message(&input.encoded_message)?;
        Ok(DecodeAuthorizationMessageResponse {
            decoded_message: Some(decoded),
        })
    }

    fn get_scoped_credentials(
        &self,
        ctx: &RequestCtx,
        input: GetScopedCredentialsRequest,
    ) -> R<GetScopedCredentialsResponse> {
        // MinimumSessionTokenSize pads AWS's tokens to a size; warden's tokens are not padded (they are
        // accepted at any size up to warden's maximum), and ScopedSessionDescription is for the audit
        // trail: both are read by the model's rules and otherwise unused.
        let out = self
            .app
            .sts(ctx)
            .get_scoped_credentials(input.policy.as_deref(), input.duration_seconds)?;
        Ok(GetScopedCredentialsResponse {
            credentials: Some(credentials_out(out.credentials)),
            session_info: Some(ScopedSession {
                scoped_session_id: out.scoped_session_id,
                arn: out.arn,
            }),
            session_token_utilization: Some(out.session_token_utilization),
            session_token_size: Some(out.session_token_size),
            scoped_policies_count: Some(out.scoped_policies_count),
            source_identity: out.source_identity,
        })
    }

    fn get_access_key_info(
        &self,
        ctx: &RequestCtx,
        input: GetAccessKeyInfoRequest,
    ) -> R<GetAccessKeyInfoResponse> {
        let account = match self.app.sts(ctx).access_key_account(&input.access_key_id) {
            // Dev mode: a key id that names no account (a suite's dummy
            // key) is one of the keys that act in the default account.
            Err(warden_core::CoreError::InvalidParameterValue(_)) if self.app.dev.is_some() => {
                self.app.warden.config().default_account.clone()
            }
            found => found?,
        };
        Ok(GetAccessKeyInfoResponse {
            account: Some(account),
        })
    }
}
