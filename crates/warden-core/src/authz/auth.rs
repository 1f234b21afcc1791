//! Who is calling: access-key lookup and temporary-credential opening. What
//! the caller may do is [`crate::authz`]'s business.

use std::sync::Arc;

use crate::crypto::{Secret, SessionClaims, SessionPrincipalKind};
use crate::error::{CoreError, Result};
use crate::model::{Epoch, KeyStatus};
use crate::Warden;

/// What kind of principal signed the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account's root user (long-term root key, or its GetSessionToken session).
    Root,
    /// An IAM user, by its lower-cased name.
    User {
        /// As stored on the user's keys; the user's name as created is in the model.
        name_lower: String,
    },
    /// A session of a role (AssumeRole).
    AssumedRole {
        /// The role's name, lower-cased: the key of the role in the model.
        role_name_lower: String,
        /// `arn:aws:iam::ACCT:role{path}{name}`, the role's own ARN (not the session's).
        role_arn: String,
        /// RoleSessionName as given to AssumeRole.
        session_name: String,
    },
    /// A GetFederationToken session of an IAM user.
    FederatedUser {
        /// The federating user's name, lower-cased.
        user_name_lower: String,
    },
}

/// Where temporary credentials came from: GetSessionToken credentials carry
/// AWS's extra limits; role and federation sessions do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// GetSessionToken credentials of a user or the root user.
    SessionToken,
    /// AssumeRole credentials.
    AssumedRole,
    /// GetFederationToken credentials.
    Federation,
    /// AssumeRoot credentials: a member account's root user, limited by a task policy.
    RootTask,
}

/// Facts about temporary credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Which STS call issued the credentials.
    pub kind: SessionKind,
    /// When they were issued (`aws:TokenIssueTime`).
    pub issued: Epoch,
    /// When they stop working; later requests get ExpiredToken.
    pub expires: Epoch,
    /// Whether an MFA code was given when they were issued (`aws:MultiFactorAuthPresent`).
    pub mfa_authenticated: bool,
    /// When that MFA code was accepted (`aws:MultiFactorAuthAge` counts from it).
    pub mfa_auth_time: Option<Epoch>,
    /// SourceIdentity set by AssumeRole (`aws:SourceIdentity`), carried through role chaining.
    pub source_identity: Option<String>,
    /// The session policy (inline and managed, merged), if any.
    pub session_policy: Option<String>,
    /// Session tags (`aws:PrincipalTag/...` for the session), in the order given.
    pub session_tags: Vec<(String, String)>,
    /// Session tag keys that pass on to a session chained from this one.
    pub transitive_tag_keys: Vec<String>,
    /// The sealed claims the credentials were opened from: GetScopedCredentials reissues them with one more
    /// scope-down layer, and the authorizer reads the layers (`scope_policies`) from here.
    pub claims: Arc<SessionClaims>,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The 12-digit account the principal belongs to.
    pub account: String,
    /// What kind of principal signed, with what identifies it in the model.
    pub kind: PrincipalKind,
    /// `arn:aws:iam::ACCT:root` or the user's ARN.
    pub arn: String,
    /// `aws:userid`: the account id for root, the unique id for users.
    pub user_id: String,
    /// The access key id the request was signed with (`AKIA...` or `ASIA...`).
    pub access_key_id: String,
    /// Set for temporary credentials (GetSessionToken).
    pub session: Option<SessionInfo>,
    /// Dev mode's stand-in for a key warden never issued (the default
    /// account's root user, unverified): unlike any verified root, it may
    /// assume roles, as test suites written for moto expect
    /// (`docs/security-choices.md`, "Dev mode"). Never set by
    /// [`Warden::credentials_for`].
    pub dev_stand_in: bool,
}

impl Caller {
    /// The caller for the root user's long-term key `access_key_id` of `account`.
    pub fn root(account: &str, access_key_id: &str) -> Self {
        Self {
            account: account.to_string(),
            kind: PrincipalKind::Root,
            arn: format!("arn:aws:iam::{account}:root"),
            user_id: account.to_string(),
            access_key_id: access_key_id.to_string(),
            session: None,
            dev_stand_in: false,
        }
    }

    /// Dev mode's stand-in caller: the root user of `account`, marked so
    /// that it may assume roles. Only the dev-mode edge makes one, for a
    /// request signed with a key warden never issued (or not signed).
    pub fn dev_stand_in(account: &str, access_key_id: &str) -> Self {
        Self {
            dev_stand_in: true,
            ..Self::root(account, access_key_id)
        }
    }

    /// Whether the caller is the account's root user (sessions of root included).
    pub fn is_root(&self) -> bool {
        self.kind == PrincipalKind::Root
    }
}

/// A closed account's principals can no longer sign in (CloseAccount): checked
/// under the read lock the credential lookup already holds.
fn refuse_closed(state: &crate::state::State, account: &str) -> Result<()> {
    if crate::orgs::account_closure::is_closed(state, account) {
        return Err(CoreError::InvalidClientTokenId);
    }
    Ok(())
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
        refuse_closed(&state, &key.account)?;
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
                    dev_stand_in: false,
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
        let claims = self
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
        refuse_closed(&state, &claims.account)?;
        // The principal must still exist: deleting a user or role ends its
        // sessions.
        let gone = || CoreError::InvalidClientTokenId;
        let (kind, session_kind) = match claims.principal_kind {
            SessionPrincipalKind::Root => (PrincipalKind::Root, SessionKind::SessionToken),
            SessionPrincipalKind::RootTask => (PrincipalKind::Root, SessionKind::RootTask),
            SessionPrincipalKind::User => {
                let lower = claims.user_name_lower.clone().ok_or_else(gone)?;
                state
                    .user(&claims.account, &lower)
                    .filter(|u| u.id == claims.principal_id)
                    .ok_or_else(gone)?;
                (
                    PrincipalKind::User { name_lower: lower },
                    SessionKind::SessionToken,
                )
            }
            SessionPrincipalKind::AssumedRole => {
                let role_arn = claims.role_arn.clone().ok_or_else(gone)?;
                let name = role_arn.rsplit('/').next().unwrap_or_default();
                let role_id = claims.principal_id.split(':').next().unwrap_or_default();
                let role = state
                    .role(&claims.account, name)
                    .filter(|r| r.id == role_id)
                    .ok_or_else(gone)?;
                // A federated session ends with its identity provider (one
                // created again under the same name or URL is another).
                if let Some(provider) = claims.federated_provider.as_deref() {
                    let created = if provider.contains(":saml-provider/") {
                        crate::iam::saml_providers::provider_by_arn(&state, provider)
                            .map(|p| p.created)
                    } else {
                        crate::iam::oidc_providers::find_by_arn(&state, provider).map(|p| p.created)
                    };
                    created
                        .filter(|c| *c <= claims.issued_at)
                        .ok_or_else(gone)?;
                }
                (
                    PrincipalKind::AssumedRole {
                        role_name_lower: role.name.to_lowercase(),
                        role_arn: role.arn(),
                        session_name: claims.role_session_name.clone().unwrap_or_default(),
                    },
                    SessionKind::AssumedRole,
                )
            }
            SessionPrincipalKind::FederatedUser => {
                let lower = claims.user_name_lower.clone().ok_or_else(gone)?;
                // Bound to the user's unique id, not its name: a user created
                // later under the same name is another principal. Tokens
                // without the id (none are issued so) are refused.
                let user_id = claims.user_id.as_deref().ok_or_else(gone)?;
                state
                    .user(&claims.account, &lower)
                    .filter(|u| u.id == user_id)
                    .ok_or_else(gone)?;
                (
                    PrincipalKind::FederatedUser {
                        user_name_lower: lower,
                    },
                    SessionKind::Federation,
                )
            }
        };
        let caller = Caller {
            account: claims.account.clone(),
            kind,
            arn: claims.principal_arn.clone(),
            user_id: claims.principal_id.clone(),
            access_key_id: key_id.to_string(),
            session: Some(SessionInfo {
                kind: session_kind,
                issued: claims.issued_at,
                expires: claims.expires_at,
                mfa_authenticated: claims.mfa_authenticated,
                mfa_auth_time: claims.mfa_auth_time,
                source_identity: claims.source_identity.clone(),
                session_policy: claims.session_policy.clone(),
                session_tags: claims.session_tags.clone(),
                transitive_tag_keys: claims.transitive_tag_keys.clone(),
                claims: Arc::clone(&claims),
            }),
            dev_stand_in: false,
        };
        Ok((claims.secret_access_key.clone(), caller))
    }
}
