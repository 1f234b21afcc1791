//! STS handlers.

use warden_wire::generated::sts::*;
use warden_wire::ApiError;

use crate::edge::RequestCtx;
use crate::mapping::{api_error, ts};
use crate::AppState;

pub struct Sts<'a> {
    pub app: &'a AppState,
}

type R<T> = Result<T, ApiError>;

impl StsApi for Sts<'_> {
    type Ctx = RequestCtx;

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
        let mfa = match (&input.serial_number, &input.token_code) {
            (Some(s), Some(c)) => Some((s.as_str(), c.as_str())),
            (None, None) => None,
            _ => {
                return Err(ApiError::new(
                    "ValidationError",
                    "SerialNumber and TokenCode must be given together.",
                ))
            }
        };
        let creds = self
            .app
            .warden
            .get_session_token(&ctx.caller, input.duration_seconds, mfa)
            .map_err(api_error)?;
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

    fn get_access_key_info(
        &self,
        _ctx: &RequestCtx,
        input: GetAccessKeyInfoRequest,
    ) -> R<GetAccessKeyInfoResponse> {
        let account = self
            .app
            .warden
            .access_key_account(&input.access_key_id)
            .map_err(api_error)?;
        Ok(GetAccessKeyInfoResponse {
            account: Some(account),
        })
    }
}
