//! STS identity calls: GetSessionToken and GetAccessKeyInfo. The caller's
//! identity itself is [`crate::auth::Caller`].

use crate::auth::{Caller, PrincipalKind};
use crate::crypto::{self, Secret, SessionClaims};
use crate::error::{CoreError, Result};
use crate::model::{now_epoch, Epoch};
use crate::Warden;

/// Temporary credentials as returned to the client.
#[derive(Debug, Clone)]
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: String,
    pub expiration: Epoch,
}

/// GetSessionToken's duration bounds (STS API reference): IAM users 900 s to
/// 36 hours, default 12 hours; the root user 900 s to 1 hour, default 1 hour.
fn session_duration(caller: &Caller, requested: Option<i32>) -> Result<i64> {
    let (max, default) = if caller.is_root() {
        (3_600, 3_600)
    } else {
        (129_600, 43_200)
    };
    match requested {
        None => Ok(default),
        // "If the duration is longer than one hour, the session for AWS
        // account owners defaults to one hour."
        Some(d) if caller.is_root() && d > 3_600 => Ok(3_600),
        Some(d) if (900..=max).contains(&(d as i64)) => Ok(d as i64),
        Some(d) if d < 900 => Err(CoreError::ValidationError(format!(
            "1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        ))),
        Some(d) => Err(CoreError::ValidationError(format!(
            "1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {max}"
        ))),
    }
}

impl Warden {
    pub fn get_session_token(
        &self,
        caller: &Caller,
        duration: Option<i32>,
        mfa: Option<(&str, &str)>,
    ) -> Result<TemporaryCredentials> {
        if caller.session.is_some() {
            return Err(CoreError::AccessDenied(
                "Cannot call GetSessionToken with session credentials".to_string(),
            ));
        }
        let seconds = session_duration(caller, duration)?;
        let user_lower = match &caller.kind {
            PrincipalKind::Root => None,
            PrincipalKind::User { name_lower } => Some(name_lower.clone()),
        };
        let mfa_time = match mfa {
            None => None,
            Some((serial, code)) => {
                Some(self.check_mfa_code(&caller.account, user_lower.as_deref(), serial, code)?)
            }
        };
        let now = now_epoch();
        let access_key_id = crate::keys::access_key_id_for(&caller.account, true);
        let secret = crypto::new_secret_access_key();
        let claims = SessionClaims {
            access_key_id: access_key_id.clone(),
            secret_access_key: secret.clone(),
            account: caller.account.clone(),
            principal_arn: caller.arn.clone(),
            principal_id: caller.user_id.clone(),
            user_name_lower: user_lower,
            issued_at: now,
            expires_at: now + seconds,
            mfa_authenticated: mfa_time.is_some(),
            mfa_auth_time: mfa_time,
            ..SessionClaims::default()
        };
        let session_token = self
            .session_key()
            .seal_session(&claims)
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        Ok(TemporaryCredentials {
            access_key_id,
            secret_access_key: secret,
            session_token,
            expiration: now + seconds,
        })
    }

    /// GetAccessKeyInfo: the account that owns a key. Long-term keys are
    /// looked up; a temporary key is known only to its own caller.
    pub fn access_key_account(&self, key_id: &str) -> Result<String> {
        if let Some(k) = self.read().access_keys.get(key_id) {
            return Ok(k.account.clone());
        }
        if let Some(account) = crate::keys::account_of_key_id(key_id) {
            return Ok(account);
        }
        Err(CoreError::InvalidParameterValue(format!(
            "The access key ID {key_id} is not valid or does not belong to a known account."
        )))
    }
}
