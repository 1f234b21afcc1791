//! Who is calling: access-key lookup, temporary-credential opening, and the
//! authorization rule in force until policies arrive (root may do anything;
//! an IAM user may use STS and the self-service calls of AWS's
//! `IAMUserChangePassword` managed policy).

use crate::crypto::{Secret, SessionClaims};
use crate::error::{CoreError, Result};
use crate::model::{Epoch, KeyStatus};
use crate::Warden;

/// What kind of principal signed the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    Root,
    /// An IAM user, by its lower-cased name.
    User {
        name_lower: String,
    },
}

/// Facts about temporary credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub issued: Epoch,
    pub expires: Epoch,
    pub mfa_authenticated: bool,
    pub mfa_auth_time: Option<Epoch>,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub kind: PrincipalKind,
    /// `arn:aws:iam::ACCT:root` or the user's ARN.
    pub arn: String,
    /// `aws:userid`: the account id for root, the unique id for users.
    pub user_id: String,
    pub access_key_id: String,
    /// Set for temporary credentials (GetSessionToken).
    pub session: Option<SessionInfo>,
}

impl Caller {
    pub fn root(account: &str, access_key_id: &str) -> Self {
        Self {
            account: account.to_string(),
            kind: PrincipalKind::Root,
            arn: format!("arn:aws:iam::{account}:root"),
            user_id: account.to_string(),
            access_key_id: access_key_id.to_string(),
            session: None,
        }
    }

    pub fn is_root(&self) -> bool {
        self.kind == PrincipalKind::Root
    }
}

impl Warden {
    /// Looks up the secret for `key_id` and the caller it stands for. For
    /// temporary keys the sealed `session_token` carries both; it must open
    /// under our key and name the same key id.
    pub fn credentials_for(
        &self,
        key_id: &str,
        session_token: Option<&str>,
        now: Epoch,
    ) -> Result<(Secret, Caller)> {
        match session_token {
            None => self.long_term_credentials(key_id),
            Some(token) => self.session_credentials(key_id, token, now),
        }
    }

    fn long_term_credentials(&self, key_id: &str) -> Result<(Secret, Caller)> {
        let state = self.read();
        let key = state
            .access_keys
            .get(key_id)
            .filter(|k| k.status == KeyStatus::Active)
            .ok_or(CoreError::InvalidClientTokenId)?;
        let caller = match &key.user {
            None => Caller::root(&key.account, key_id),
            Some(lower) => {
                let user = state
                    .user(&key.account, lower)
                    .ok_or(CoreError::InvalidClientTokenId)?;
                Caller {
                    account: key.account.clone(),
                    kind: PrincipalKind::User {
                        name_lower: lower.clone(),
                    },
                    arn: user.arn(),
                    user_id: user.id.clone(),
                    access_key_id: key_id.to_string(),
                    session: None,
                }
            }
        };
        Ok((key.secret.clone(), caller))
    }

    fn session_credentials(
        &self,
        key_id: &str,
        token: &str,
        now: Epoch,
    ) -> Result<(Secret, Caller)> {
        let claims: SessionClaims = self
            .session_key()
            .open_session(token)
            .map_err(|_| CoreError::InvalidClientTokenId)?;
        if claims.access_key_id != key_id {
            return Err(CoreError::InvalidClientTokenId);
        }
        if now >= claims.expires_at {
            return Err(CoreError::ExpiredToken);
        }
        let state = self.read();
        // The principal must still exist: deleting a user ends its sessions.
        let kind = match &claims.user_name_lower {
            None => PrincipalKind::Root,
            Some(lower) => {
                state
                    .user(&claims.account, lower)
                    .filter(|u| u.id == claims.principal_id)
                    .ok_or(CoreError::InvalidClientTokenId)?;
                PrincipalKind::User {
                    name_lower: lower.clone(),
                }
            }
        };
        let caller = Caller {
            account: claims.account.clone(),
            kind,
            arn: claims.principal_arn.clone(),
            user_id: claims.principal_id.clone(),
            access_key_id: key_id.to_string(),
            session: Some(SessionInfo {
                issued: claims.issued_at,
                expires: claims.expires_at,
                mfa_authenticated: claims.mfa_authenticated,
                mfa_auth_time: claims.mfa_auth_time,
            }),
        };
        Ok((claims.secret_access_key.clone(), caller))
    }
}

/// STS operations that session credentials from GetSessionToken may call
/// (STS API reference, GetSessionToken).
const STS_ALLOWED_FOR_SESSIONS: &[&str] = &["GetCallerIdentity", "AssumeRole"];

/// Decides whether `caller` may run `service:operation` on `resource`.
///
/// This is the rule of the identity issue; the policy engine replaces the
/// user branch when policies are stored. The session-credential limits are
/// AWS's and stay.
pub fn authorize(caller: &Caller, service: &str, operation: &str, resource: &str) -> Result<()> {
    if let Some(session) = &caller.session {
        if service == "iam" && !session.mfa_authenticated {
            // AWS refuses IAM calls made with GetSessionToken credentials
            // obtained without MFA, and reports the token as invalid.
            return Err(CoreError::InvalidClientTokenId);
        }
        if service == "sts" && !STS_ALLOWED_FOR_SESSIONS.contains(&operation) {
            return Err(CoreError::AccessDenied(format!(
                "Cannot call {operation} with session credentials"
            )));
        }
    }
    if caller.is_root() || service == "sts" {
        return Ok(());
    }
    // IAMUserChangePassword: iam:ChangePassword on the user's own ARN and
    // iam:GetAccountPasswordPolicy on *.
    let self_service = match operation {
        "ChangePassword" => resource == caller.arn,
        "GetAccountPasswordPolicy" => true,
        _ => false,
    };
    if self_service {
        return Ok(());
    }
    Err(CoreError::AccessDenied(format!(
        "User: {} is not authorized to perform: {service}:{operation} on resource: {resource} because no identity-based policy allows the {service}:{operation} action",
        caller.arn
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Caller {
        Caller {
            account: "123456789012".into(),
            kind: PrincipalKind::User {
                name_lower: "alice".into(),
            },
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            user_id: "AIDAEXAMPLEEXAMPLE1".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            session: None,
        }
    }

    #[test]
    fn root_may_call_iam_and_users_only_self_service() {
        let root = Caller::root("123456789012", "AKIAROOT");
        assert!(authorize(
            &root,
            "iam",
            "CreateUser",
            "arn:aws:iam::123456789012:user/bob"
        )
        .is_ok());
        let alice = user();
        let err = authorize(
            &alice,
            "iam",
            "CreateUser",
            "arn:aws:iam::123456789012:user/bob",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/bob because no identity-based policy allows the iam:CreateUser action"
        );
        assert!(authorize(&alice, "iam", "ChangePassword", &alice.arn).is_ok());
        assert!(authorize(
            &alice,
            "iam",
            "ChangePassword",
            "arn:aws:iam::123456789012:user/bob"
        )
        .is_err());
        assert!(authorize(&alice, "sts", "GetCallerIdentity", "*").is_ok());
    }

    #[test]
    fn session_credentials_are_limited_as_aws_documents() {
        let mut alice = user();
        alice.session = Some(SessionInfo {
            issued: 0,
            expires: 10,
            mfa_authenticated: false,
            mfa_auth_time: None,
        });
        assert!(matches!(
            authorize(&alice, "iam", "ChangePassword", &alice.arn.clone()),
            Err(CoreError::InvalidClientTokenId)
        ));
        assert!(matches!(
            authorize(&alice, "sts", "GetSessionToken", "*"),
            Err(CoreError::AccessDenied(m)) if m == "Cannot call GetSessionToken with session credentials"
        ));
        assert!(authorize(&alice, "sts", "GetCallerIdentity", "*").is_ok());
        if let Some(s) = alice.session.as_mut() {
            s.mfa_authenticated = true;
        }
        assert!(authorize(&alice, "iam", "ChangePassword", &alice.arn.clone()).is_ok());
    }
}
