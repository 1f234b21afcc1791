//! STS: GetSessionToken, AssumeRole, GetFederationToken and
//! GetAccessKeyInfo, methods of the [`Sts`] handle. Every kind of temporary
//! credential is issued by one function, `Sts::issue`; the caller's
//! identity itself is [`crate::authz::auth::Caller`].

use std::collections::HashSet;

use warden_policy::PolicyType;

use crate::authz::auth::{Caller, PrincipalKind, SessionKind};
use crate::authz::RequestFacts;
use crate::crypto::{self, Secret, SessionClaims, SessionPrincipalKind};
use crate::error::{CoreError, Result};
use crate::iam::policies::compile_document;
use crate::metrics::SessionIssuer;
use crate::model::{now_epoch, Epoch};
use crate::Warden;

/// Temporary credentials as returned to the client.
#[derive(Debug, Clone)]
pub struct TemporaryCredentials {
    /// A fresh `ASIA...` key id encoding the account; no record of it is kept.
    pub access_key_id: String,
    /// The temporary secret; it also travels sealed inside the session token.
    pub secret_access_key: Secret,
    /// The sealed, self-contained session token the client sends with each request.
    pub session_token: String,
    /// When the credentials expire.
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

/// STS for one caller: the handle every STS operation is a method of, given
/// by [`Warden::sts`].
///
/// STS is scoped by its caller, not by an account: every operation issues
/// credentials derived from who is calling (GetSessionToken for the caller
/// itself, GetFederationToken for its user, AssumeRole for a role that may
/// be in another account, checked against the caller), and reads the
/// caller's session, MFA and policies. Like [`crate::iam::Iam`] it reaches
/// the model through `self.warden`, with no `Deref`.
#[derive(Debug, Clone, Copy)]
pub struct Sts<'a> {
    /// The domain the operations read and write.
    pub(crate) warden: &'a Warden,
    /// Who is calling: every credential issued derives from it.
    pub(crate) caller: &'a Caller,
}

impl Sts<'_> {
    /// Seals `claims` (with a fresh key pair) into temporary credentials.
    fn issue(
        &self,
        issuer: SessionIssuer,
        mut claims: SessionClaims,
    ) -> Result<TemporaryCredentials> {
        claims.access_key_id = crate::iam::keys::access_key_id_for(&claims.account, true);
        claims.secret_access_key = crypto::new_secret_access_key();
        let session_token = self
            .warden
            .session_key()
            .seal_session(&claims)
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        self.warden.metrics().record_session(issuer);
        Ok(TemporaryCredentials {
            access_key_id: claims.access_key_id,
            secret_access_key: claims.secret_access_key,
            session_token,
            expiration: claims.expires_at,
        })
    }

    /// GetSessionToken for a user or the root user: refused with session credentials; with `mfa`
    /// (serial, code) the session counts as MFA-authenticated.
    pub fn get_session_token(
        &self,
        duration: Option<i32>,
        mfa: Option<(&str, &str)>,
    ) -> Result<TemporaryCredentials> {
        let caller = self.caller;
        if caller.session.is_some() {
            return Err(CoreError::AccessDenied(
                "Cannot call GetSessionToken with session credentials".to_string(),
            ));
        }
        let seconds = session_duration(caller, duration)?;
        let (kind, user_lower) = match &caller.kind {
            PrincipalKind::User { name_lower } => {
                (SessionPrincipalKind::User, Some(name_lower.clone()))
            }
            _ => (SessionPrincipalKind::Root, None),
        };
        let mfa_time = match mfa {
            None => None,
            Some((serial, code)) => Some(self.warden.iam(&caller.account).check_mfa_code(
                user_lower.as_deref(),
                serial,
                code,
            )?),
        };
        let now = now_epoch();
        self.issue(
            SessionIssuer::GetSessionToken,
            SessionClaims {
                account: caller.account.clone(),
                principal_kind: kind,
                principal_arn: caller.arn.clone(),
                principal_id: caller.user_id.clone(),
                user_name_lower: user_lower,
                issued_at: now,
                expires_at: now + seconds,
                mfa_authenticated: mfa_time.is_some(),
                mfa_auth_time: mfa_time,
                ..SessionClaims::default()
            },
        )
    }

    /// AssumeRole: the trust policy must allow the caller (and, as AWS's
    /// evaluation logic says, the caller's own policies too unless the trust
    /// policy names the caller itself, or the caller is in another account).
    ///
    /// The steps, in the order AWS reports their errors: who may assume at
    /// all, the session's tags and source identity, its policy, the MFA
    /// code, the role and its trust policy, the duration, the table's checks
    /// decided with the trust policy, and the credentials.
    pub fn assume_role(&self, req: AssumeRoleInput) -> Result<AssumedRole> {
        let caller = self.caller;
        let role_arn = req.role_arn.as_str();
        let (role_account, role_name) = parse_role_arn(role_arn)?;
        let denied = || {
            CoreError::AccessDenied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller.arn
            ))
        };
        if matches!(caller.kind, PrincipalKind::FederatedUser { .. }) {
            return Err(denied());
        }
        // Dev mode's stand-in for an unknown key is root but may assume
        // roles (moto's suites do); a verified root never may.
        if caller.is_root() && !caller.dev_stand_in {
            return Err(CoreError::AccessDenied(
                "Roles may not be assumed by root accounts.".to_string(),
            ));
        }
        check_unique_tag_keys(&req.tags)?;
        check_reserved_tag_keys(&req.tags, &req.transitive_tag_keys)?;
        let chained = matches!(caller.kind, PrincipalKind::AssumedRole { .. });
        let parent = caller.session.as_ref();
        let (tags, transitive) = inherited_and_requested_tags(parent, &req)?;
        let source_identity = chained_source_identity(caller, parent, &req)?;
        let session_policy = self.merged_session_policy(req.policy.as_deref(), &req.policy_arns)?;
        let packed = checked_packed_size(session_policy.as_deref(), &tags)?;
        let mfa_time = match &req.mfa {
            Some((serial, code)) => {
                let user = match &caller.kind {
                    PrincipalKind::User { name_lower } => Some(name_lower.as_str()),
                    _ => None,
                };
                Some(
                    self.warden
                        .iam(&caller.account)
                        .check_mfa_code(user, serial, code)?,
                )
            }
            None => parent
                .filter(|p| p.mfa_authenticated)
                .and_then(|p| p.mfa_auth_time),
        };
        let (role, trust) = role_and_trust(&self.warden.read(), role_account, role_name, role_arn);
        let (Some(role), Some(trust)) = (role, trust) else {
            return Err(denied());
        };
        let seconds = role_session_seconds(&role, chained, req.duration)?;
        self.authorize_assume_role(&req, trust)?;

        let mut session = self.role_session(
            SessionIssuer::AssumeRole,
            &role,
            &req.session_name,
            seconds,
            SessionClaims {
                mfa_authenticated: mfa_time.is_some(),
                mfa_auth_time: mfa_time,
                source_identity,
                session_policy,
                session_tags: tags,
                transitive_tag_keys: transitive,
                ..SessionClaims::default()
            },
            &req.region,
        )?;
        session.packed_policy_size =
            (req.policy.is_some() || !req.policy_arns.is_empty() || !req.tags.is_empty())
                .then_some(packed);
        Ok(session)
    }

    /// Issues a session of `role` named `session_name` lasting `seconds`,
    /// with what `extra` says about it (MFA, source identity, session
    /// policy and tags, federation): the one place AssumeRole and
    /// AssumeRoleWithWebIdentity make role sessions.
    pub(crate) fn role_session(
        &self,
        issuer: SessionIssuer,
        role: &crate::model::Role,
        session_name: &str,
        seconds: i64,
        extra: SessionClaims,
        region: &str,
    ) -> Result<AssumedRole> {
        let now = now_epoch();
        let session_arn = format!(
            "arn:aws:sts::{}:assumed-role/{}/{session_name}",
            role.account, role.name
        );
        let assumed_role_id = format!("{}:{session_name}", role.id);
        let source_identity = extra.source_identity.clone();
        let credentials = self.issue(
            issuer,
            SessionClaims {
                account: role.account.clone(),
                principal_kind: SessionPrincipalKind::AssumedRole,
                principal_arn: session_arn.clone(),
                principal_id: assumed_role_id.clone(),
                role_arn: Some(role.arn()),
                role_session_name: Some(session_name.to_string()),
                issued_at: now,
                expires_at: now + seconds,
                ..extra
            },
        )?;
        self.warden
            .record_role_use(&role.account, &role.name, now, region);
        Ok(AssumedRole {
            credentials,
            assumed_role_id,
            arn: session_arn,
            packed_policy_size: None,
            source_identity,
        })
    }

    /// Decides the request's checks from the action table (sts:AssumeRole
    /// on the role, and sts:TagSession / sts:SetSourceIdentity when the
    /// request passes tags or a source identity, each with the request's
    /// sts:* and tag keys) with the trust policy as the resource policy,
    /// which must allow each of them too.
    fn authorize_assume_role(
        &self,
        req: &AssumeRoleInput,
        trust: std::sync::Arc<warden_policy::Policy>,
    ) -> Result<()> {
        let caller = self.caller;
        let role_arn = req.role_arn.as_str();
        let denied = |action: &str| {
            CoreError::AccessDenied(format!(
                "User: {} is not authorized to perform: {action} on resource: {role_arn}",
                caller.arn
            ))
        };
        // Fail closed: a caller that brought no AssumeRole check is refused,
        // never let through unchecked.
        if !req.checks.iter().any(|c| c.action == "sts:AssumeRole") {
            return Err(denied("sts:AssumeRole"));
        }
        let mut facts = req.facts.clone();
        if req.mfa.is_some() {
            // The MFA presented with this call counts for its own decision.
            facts
                .keys
                .push(("aws:MultiFactorAuthPresent".to_string(), "true".into()));
            facts
                .keys
                .push(("aws:MultiFactorAuthAge".to_string(), "0".into()));
        }
        let trust = warden_policy::NamedPolicy::new(format!("{role_arn} trust policy"), trust);
        for check in &req.checks {
            self.warden
                .decide_with(
                    caller,
                    check.action,
                    role_arn,
                    &facts,
                    &check.keys,
                    Some(&trust),
                    true,
                )
                .map_err(|e| match e {
                    CoreError::AccessDenied(_) => denied(check.action),
                    other => other,
                })?;
        }
        Ok(())
    }

    /// GetFederationToken: a federated-user session of the calling IAM user;
    /// it can do nothing its session policy does not allow.
    pub fn get_federation_token(
        &self,
        name: &str,
        duration: Option<i32>,
        policy: Option<&str>,
        policy_arns: &[String],
        tags: Vec<(String, String)>,
    ) -> Result<FederatedUser> {
        let caller = self.caller;
        if caller.session.is_some() {
            return Err(CoreError::AccessDenied(
                "Cannot call GetFederationToken with session credentials".to_string(),
            ));
        }
        check_unique_tag_keys(&tags)?;
        check_reserved_tag_keys(&tags, &[])?;
        let seconds = session_duration(caller, duration)?;
        let user_lower = match &caller.kind {
            PrincipalKind::User { name_lower } => Some(name_lower.clone()),
            _ => None,
        };
        // The federated user's principal tags are the IAM user's tags plus
        // the passed session tags, a passed tag overriding a user tag of the
        // same key in any case (IAM User Guide, "Pass session tags in AWS
        // STS": "the session's principal tags include the user's tags and
        // the passed session tags"; "New session tags override existing
        // assumed role or federated user tags with the same tag key,
        // regardless of case"). They are taken now, into the sealed claims:
        // the request path reads a federated session's tags from there.
        let user_tags: Vec<(String, String)> = match &user_lower {
            Some(lower) => self
                .warden
                .read()
                .user(&caller.account, lower)
                .map(|u| {
                    u.tags
                        .iter()
                        .map(|t| (t.key.clone(), t.value.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let session_policy = self.merged_session_policy(policy, policy_arns)?;
        let packed = checked_packed_size(session_policy.as_deref(), &tags)?;
        let now = now_epoch();
        let arn = format!("arn:aws:sts::{}:federated-user/{name}", caller.account);
        let id = format!("{}:{name}", caller.account);
        let credentials = self.issue(
            SessionIssuer::GetFederationToken,
            SessionClaims {
                account: caller.account.clone(),
                principal_kind: SessionPrincipalKind::FederatedUser,
                principal_arn: arn.clone(),
                principal_id: id.clone(),
                user_name_lower: user_lower,
                // Binds the session to this user, not to its name.
                user_id: matches!(caller.kind, PrincipalKind::User { .. })
                    .then(|| caller.user_id.clone()),
                issued_at: now,
                expires_at: now + seconds,
                session_policy,
                session_tags: merge_principal_tags(user_tags, tags),
                ..SessionClaims::default()
            },
        )?;
        Ok(FederatedUser {
            credentials,
            federated_user_id: id,
            arn,
            packed_policy_size: packed,
        })
    }

    /// GetScopedCredentials: new credentials for the caller's own session, with one more scope-down layer
    /// (`policy`) and/or a shorter life (`duration`). The identity is unchanged (same ARN, user id, session
    /// name, tags, source identity and MFA facts); every layer must allow a request (`warden_policy`'s
    /// `PolicySet::scope_down`), so the result never has more permissions than the calling session.
    ///
    /// The model already bounds `duration` (1 to 129,600), the policy's length and the description's.
    /// AWS documents the rules but not its texts for them; the texts here are ours.
    pub fn get_scoped_credentials(
        &self,
        policy: Option<&str>,
        duration: Option<i32>,
    ) -> Result<ScopedCredentials> {
        let Some(session) = self.caller.session.as_ref() else {
            return Err(CoreError::InvalidSubjectCredentials(
                "GetScopedCredentials must be called with temporary security credentials; \
                 call GetSessionToken first to scope down long-term credentials."
                    .to_string(),
            ));
        };
        if policy.is_none() && duration.is_none() {
            return Err(CoreError::ValidationError(
                "A request must provide at least one of Policy or DurationSeconds.".to_string(),
            ));
        }
        let mut claims = (*session.claims).clone();
        if let Some(doc) = policy {
            if claims.scope_policies.len() >= MAX_SCOPE_DOWN_LAYERS {
                return Err(CoreError::AccessDenied(format!(
                    "The session already has {MAX_SCOPE_DOWN_LAYERS} scope-down policies, \
                     the most GetScopedCredentials allows."
                )));
            }
            compile_document(doc, PolicyType::Session)?;
            // Stored without its whitespace: the token carries every layer.
            let compact = serde_json::from_str::<serde_json::Value>(doc)
                .map(|v| v.to_string())
                .map_err(|_| {
                    CoreError::MalformedPolicyDocument("Syntax errors in policy.".to_string())
                })?;
            claims.scope_policies.push(compact);
        }
        let now = now_epoch();
        if let Some(d) = duration {
            let remaining = session.expires - now;
            if i64::from(d) > remaining {
                return Err(CoreError::InsufficientSessionLifetime(format!(
                    "The requested DurationSeconds ({d}) exceeds the remaining lifetime of the \
                     calling session ({remaining} seconds)."
                )));
            }
            claims.expires_at = now + i64::from(d);
        }
        claims.issued_at = now;
        let layers = claims.scope_policies.len();
        let credentials = self.issue(SessionIssuer::GetScopedCredentials, claims)?;
        let size = credentials.session_token.len();
        if size > crate::crypto::MAX_TOKEN_LEN {
            return Err(CoreError::PackedPolicyTooLarge(
                "The scope-down policies make the session token larger than STS allows; \
                 use smaller policies."
                    .to_string(),
            ));
        }
        Ok(ScopedCredentials {
            credentials,
            scoped_session_id: self.caller.user_id.clone(),
            arn: self.caller.arn.clone(),
            scoped_policies_count: i32::try_from(layers).unwrap_or(i32::MAX),
            source_identity: session.source_identity.clone(),
            session_token_size: i32::try_from(size).unwrap_or(i32::MAX),
            session_token_utilization: i32::try_from(size * 100 / crate::crypto::MAX_TOKEN_LEN)
                .unwrap_or(100),
        })
    }

    /// AssumeRoot: a privileged-task session of a member account's root user, for a principal of the
    /// organization's management account or of IAM's delegated administrator, once `RootSessions` is
    /// enabled (IAM's
    /// EnableOrganizationsRootSessions). The task policy, one of AWS's `root-task` managed policies,
    /// limits the session: it only denies, so the session may do what the policy does not deny
    /// (see `authz`, `SessionKind::RootTask`). SCPs of the member's account still apply.
    ///
    /// The table has already authorized `sts:AssumeRoot` on `arn:aws:iam::TARGET:root` with
    /// `sts:TaskPolicyArn`. AWS documents who may call and what must be enabled, but records no texts
    /// for the refusals; the texts are ours.
    pub fn assume_root(
        &self,
        target_principal: &str,
        task_policy_arn: &str,
        duration: Option<i32>,
    ) -> Result<AssumedRoot> {
        let caller = self.caller;
        if caller.is_root() {
            return Err(CoreError::AccessDenied(
                "AssumeRoot cannot be called with root user credentials.".to_string(),
            ));
        }
        let target = root_target_account(target_principal).ok_or_else(|| {
            CoreError::ValidationError(format!(
                "TargetPrincipal {target_principal} is not an account ID or a root user ARN."
            ))
        })?;
        let task = task_policy_arn
            .starts_with(ROOT_TASK_POLICY_PREFIX)
            .then(|| crate::iam::managed_policies::aws_managed_policy(task_policy_arn))
            .flatten()
            .ok_or_else(|| {
                CoreError::ValidationError(format!(
                    "TaskPolicyArn {task_policy_arn} is not an AWS managed policy for root tasks                      ({ROOT_TASK_POLICY_PREFIX}...)."
                ))
            })?;
        {
            let s = self.warden.read();
            let not_enabled = || {
                CoreError::AccessDenied(format!(
                    "User: {} is not authorized to perform: sts:AssumeRoot: centralized root \
                     sessions are not enabled for its organization",
                    caller.arn
                ))
            };
            let org = crate::orgs::organization_of(&s, &caller.account).ok_or_else(not_enabled)?;
            let manages = org.management_account == caller.account
                || crate::iam::root_access::is_iam_delegated_admin(org, &caller.account);
            if !manages
                || !crate::iam::root_access::enabled_features(&s, org)
                    .iter()
                    .any(|f| f == crate::iam::root_access::ROOT_SESSIONS)
            {
                return Err(not_enabled());
            }
            if target == org.management_account || !org.members.iter().any(|m| m.account == target)
            {
                return Err(CoreError::AccessDenied(format!(
                    "User: {} is not authorized to perform: sts:AssumeRoot on resource: \
                     arn:aws:iam::{target}:root: the account is not a member account of the \
                     organization",
                    caller.arn
                )));
            }
        }
        let seconds = i64::from(duration.unwrap_or(ROOT_SESSION_SECONDS));
        let now = now_epoch();
        let source_identity = caller
            .session
            .as_ref()
            .and_then(|s| s.source_identity.clone());
        let credentials = self.issue(
            SessionIssuer::AssumeRoot,
            SessionClaims {
                account: target.to_string(),
                principal_kind: SessionPrincipalKind::RootTask,
                principal_arn: format!("arn:aws:iam::{target}:root"),
                principal_id: target.to_string(),
                issued_at: now,
                expires_at: now + seconds,
                source_identity: source_identity.clone(),
                session_policy: Some(task.default_document()),
                ..SessionClaims::default()
            },
        )?;
        Ok(AssumedRoot {
            credentials,
            source_identity,
        })
    }

    /// The session policies of a request as one document: the inline policy
    /// and the documents of the managed policy ARNs, statements joined.
    /// AWS caps their combined plain text at 2,048 characters.
    pub(crate) fn merged_session_policy(
        &self,
        inline: Option<&str>,
        arns: &[String],
    ) -> Result<Option<String>> {
        if inline.is_none() && arns.is_empty() {
            return Ok(None);
        }
        let mut texts: Vec<String> = Vec::new();
        if let Some(doc) = inline {
            // Older STS models bounded `Policy` at 2,048 characters and AWS
            // still validates it as a member constraint (whitespace counts),
            // before the packed-size check on all session policies.
            if doc.chars().count() > 2_048 {
                // STS repeats the offending value in its validation texts.
                return Err(CoreError::ValidationError(format!(
                    "1 validation error detected: Value '{doc}' at 'policy' failed to satisfy \
                     constraint: Member must have length less than or equal to 2048"
                )));
            }
            compile_document(doc, PolicyType::Session)?;
            texts.push(doc.to_string());
        }
        for arn in arns {
            let view = self.get_policy_version_default(arn)?;
            texts.push(view);
        }
        let plain: usize = texts
            .iter()
            .map(|t| t.chars().filter(|c| !c.is_whitespace()).count())
            .sum();
        if plain > 2_048 {
            return Err(CoreError::PackedPolicyTooLarge(
                "The combined session policies exceed 2048 characters.".to_string(),
            ));
        }
        let mut statements = Vec::new();
        for t in &texts {
            let v: serde_json::Value = serde_json::from_str(t).map_err(|_| {
                CoreError::MalformedPolicyDocument("Syntax errors in policy.".to_string())
            })?;
            match v.get("Statement") {
                Some(serde_json::Value::Array(a)) => statements.extend(a.iter().cloned()),
                Some(one) => statements.push(one.clone()),
                None => {}
            }
        }
        let merged = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
        Ok(Some(merged.to_string()))
    }

    /// The default version's document of a managed policy (customer or AWS)
    /// the caller's account sees.
    fn get_policy_version_default(&self, arn: &str) -> Result<String> {
        let iam = self.warden.iam(&self.caller.account);
        let view = iam.get_policy(arn)?;
        Ok(iam.get_policy_version(arn, &view.default_version)?.document)
    }

    /// GetAccessKeyInfo: the account that owns a key. A key warden holds is
    /// looked up (keys issued before warden used AWS's layout included);
    /// any other id in AWS's layout, warden's temporary keys and real AWS
    /// keys alike, names its account itself (`iam::keys`). An old-generation
    /// or malformed id warden does not hold names none.
    pub fn access_key_account(&self, key_id: &str) -> Result<String> {
        if let Some(k) = self.warden.read().access_keys.get(key_id) {
            return Ok(k.account.clone());
        }
        if let Some(account) = crate::iam::keys::account_of_key_id(key_id) {
            return Ok(account);
        }
        Err(CoreError::InvalidParameterValue(format!(
            "The access key ID {key_id} is not valid or does not belong to a known account."
        )))
    }
}

/// A role session's default length (AWS: one hour).
const DEFAULT_ROLE_SESSION: i32 = 3_600;

/// Inputs of AssumeRole.
/// The account and name of the role an AssumeRole `RoleArn` names.
pub(crate) fn parse_role_arn(role_arn: &str) -> Result<(&str, &str)> {
    let invalid_arn = || CoreError::ValidationError(format!("{role_arn} is invalid"));
    let rest = role_arn
        .strip_prefix("arn:aws:iam::")
        .ok_or_else(invalid_arn)?;
    let (role_account, resource) = rest.split_once(':').ok_or_else(invalid_arn)?;
    let role_name = resource
        .strip_prefix("role/")
        .and_then(|r| r.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .ok_or_else(invalid_arn)?;
    Ok((role_account, role_name))
}

/// A session's tags, `(key, value)` in order.
type SessionTags = Vec<(String, String)>;

/// The new session's tags and transitive keys: the calling session's
/// transitive tags pass on (a request may not set one of them again), then
/// the requested tags; every requested transitive key must be a requested
/// tag.
fn inherited_and_requested_tags(
    parent: Option<&crate::authz::auth::SessionInfo>,
    req: &AssumeRoleInput,
) -> Result<(SessionTags, Vec<String>)> {
    let mut tags: SessionTags = Vec::new();
    let mut transitive: Vec<String> = Vec::new();
    if let Some(p) = parent.filter(|p| p.kind == SessionKind::AssumedRole) {
        for key in &p.transitive_tag_keys {
            if let Some(tag) = p
                .session_tags
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
            {
                if req.tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                    return Err(CoreError::InvalidParameterValue(
                        "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."
                            .to_string(),
                    ));
                }
                tags.push(tag.clone());
                transitive.push(key.clone());
            }
        }
    }
    tags.extend(req.tags.iter().cloned());
    for key in &req.transitive_tag_keys {
        if !req.tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(CoreError::InvalidParameterValue(
                "The specified transitive tag key must be included in the requested tags."
                    .to_string(),
            ));
        }
        transitive.push(key.clone());
    }
    Ok((tags, transitive))
}

/// The new session's source identity: a chained session keeps its
/// parent's, which the request may repeat but not change.
fn chained_source_identity(
    caller: &Caller,
    parent: Option<&crate::authz::auth::SessionInfo>,
    req: &AssumeRoleInput,
) -> Result<Option<String>> {
    match (parent.and_then(|p| p.source_identity.clone()), &req.source_identity) {
        (Some(old), Some(new)) if &old != new => Err(CoreError::AccessDenied(format!(
            "User: {} is not authorized to perform: sts:SetSourceIdentity on resource: {}: the source identity of a chained session cannot change",
            caller.arn, req.role_arn
        ))),
        (Some(old), _) => Ok(Some(old)),
        (None, new) => Ok(new.clone()),
    }
}

/// How long a role session lasts: the request's `DurationSeconds` within
/// the role's `MaxSessionDuration` (one hour for role chaining), else the
/// default capped the same way.
pub(crate) fn role_session_seconds(
    role: &crate::model::Role,
    chained: bool,
    requested: Option<i32>,
) -> Result<i64> {
    let max = if chained {
        3_600
    } else {
        role.max_session_duration
    };
    match requested {
        None => Ok(i64::from(DEFAULT_ROLE_SESSION.min(max))),
        Some(d) if d < 900 => Err(CoreError::ValidationError(format!(
            "1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        ))),
        Some(d) if chained && d > 3_600 => Err(CoreError::ValidationError(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".to_string(),
        )),
        Some(d) if d > role.max_session_duration => Err(CoreError::ValidationError(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".to_string(),
        )),
        Some(d) => Ok(i64::from(d)),
    }
}

/// AssumeRole's request, as the server decoded it.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    /// RoleArn of the role to assume, possibly in another account.
    pub role_arn: String,
    /// RoleSessionName; it ends the session's ARN and `aws:userid`.
    pub session_name: String,
    /// DurationSeconds; one hour when absent, at most the role's MaxSessionDuration (one hour when
    /// role chaining).
    pub duration: Option<i32>,
    /// ExternalId as given; trust policies see it as `sts:ExternalId` through `checks`.
    pub external_id: Option<String>,
    /// An inline session policy document.
    pub policy: Option<String>,
    /// ARNs of managed policies to use as session policies.
    pub policy_arns: Vec<String>,
    /// Session tags `(key, value)`; keys unique in any case.
    pub tags: Vec<(String, String)>,
    /// Session tag keys that pass on to sessions chained from this one.
    pub transitive_tag_keys: Vec<String>,
    /// SourceIdentity; cannot change once set in a chain of sessions.
    pub source_identity: Option<String>,
    /// `(SerialNumber, TokenCode)` when the caller gives an MFA code.
    pub mfa: Option<(String, String)>,
    /// The region the request was signed for, recorded as the role's last-used region.
    pub region: String,
    /// Context keys from the request (source IP, user agent, ...).
    pub facts: RequestFacts,
    /// What the request must be allowed, from the action table
    /// ([`crate::authz::access::checks`]): decided here with the trust policy.
    pub checks: Vec<crate::authz::access::Check>,
}

/// AssumeRole's result.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    /// The session's temporary credentials.
    pub credentials: TemporaryCredentials,
    /// `ROLE_ID:SESSION_NAME`, the session's `aws:userid`.
    pub assumed_role_id: String,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE_NAME/SESSION_NAME`.
    pub arn: String,
    /// Reported only when session policies or tags were passed, as AWS does.
    pub packed_policy_size: Option<i32>,
    /// The session's SourceIdentity, set now or inherited from the calling session.
    pub source_identity: Option<String>,
}

/// The path of AWS's task policies for AssumeRoot (`IAMAuditRootUserCredentials`,
/// `IAMCreateRootUserPassword`, `IAMDeleteRootUserCredentials`, `S3UnlockBucketPolicy`,
/// `SQSUnlockQueuePolicy`).
pub const ROOT_TASK_POLICY_PREFIX: &str = "arn:aws:iam::aws:policy/root-task/";

/// AssumeRoot's default and longest session (STS API reference: 900 seconds).
const ROOT_SESSION_SECONDS: i32 = 900;

/// The account a TargetPrincipal names: a 12-digit account id, or the root
/// user's ARN `arn:aws:iam::ACCOUNT:root`. Authorization reads it through
/// this function too, so the resource authorized is the account acted on.
pub fn root_target_account(target: &str) -> Option<&str> {
    let account = target
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.strip_suffix(":root"))
        .unwrap_or(target);
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// AssumeRoot's result.
#[derive(Debug, Clone)]
pub struct AssumedRoot {
    /// The privileged session's credentials.
    pub credentials: TemporaryCredentials,
    /// The caller's source identity, if its session has one.
    pub source_identity: Option<String>,
}

/// How many scope-down layers a session may carry (STS API reference, GetScopedCredentials,
/// `ScopedPoliciesCount`: "A maximum of 3 scope down policy layers are allowed per session").
pub const MAX_SCOPE_DOWN_LAYERS: usize = 3;

/// GetScopedCredentials' result.
#[derive(Debug, Clone)]
pub struct ScopedCredentials {
    /// The scoped session's temporary credentials.
    pub credentials: TemporaryCredentials,
    /// The caller's `aws:userid`: the identity is preserved.
    pub scoped_session_id: String,
    /// The caller's ARN.
    pub arn: String,
    /// Scope-down layers on the new session.
    pub scoped_policies_count: i32,
    /// The calling session's source identity, unchanged.
    pub source_identity: Option<String>,
    /// The session token's size in bytes.
    pub session_token_size: i32,
    /// The token's size as a percentage of the largest token warden accepts.
    pub session_token_utilization: i32,
}

/// GetFederationToken's result.
#[derive(Debug, Clone)]
pub struct FederatedUser {
    /// The session's temporary credentials.
    pub credentials: TemporaryCredentials,
    /// `ACCOUNT:NAME`, the session's `aws:userid`.
    pub federated_user_id: String,
    /// `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    pub arn: String,
    /// How much of the packed-policy allowance the session policy and tags use, in percent.
    pub packed_policy_size: i32,
}

pub(crate) fn check_unique_tag_keys(tags: &[(String, String)]) -> Result<()> {
    let mut seen = HashSet::new();
    if tags.iter().all(|(k, _)| seen.insert(k.to_lowercase())) {
        Ok(())
    } else {
        Err(CoreError::InvalidParameterValue(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.".to_string(),
        ))
    }
}

/// Session tag keys (and transitive tag keys) may not use the `aws:` prefix
/// in any case: the IAM User Guide's tag rules ("Rules for tagging in IAM
/// and AWS STS") reserve it for AWS, and session tags must follow them
/// ("Session tags must follow the rules for naming tags in IAM and AWS
/// STS"). Otherwise a caller could pass e.g. `aws:PrincipalTag`-looking
/// keys. AWS's exact answer is not recorded; see docs/security-choices.md.
pub(crate) fn check_reserved_tag_keys(
    tags: &[(String, String)],
    transitive: &[String],
) -> Result<()> {
    let reserved = |k: &str| k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"));
    if tags.iter().any(|(k, _)| reserved(k)) || transitive.iter().any(|k| reserved(k)) {
        return Err(CoreError::InvalidParameterValue(
            "Tag keys starting with 'aws:' (case insensitive) are reserved for AWS use."
                .to_string(),
        ));
    }
    Ok(())
}

/// The IAM user's tags with the passed session tags laid over them: a
/// session tag replaces a user tag whose key equals it ignoring case.
fn merge_principal_tags(
    user_tags: Vec<(String, String)>,
    session_tags: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = user_tags
        .into_iter()
        .filter(|(k, _)| !session_tags.iter().any(|(s, _)| s.eq_ignore_ascii_case(k)))
        .collect();
    out.extend(session_tags);
    out
}

/// The role `account`/`name` (parsed from `arn`) if its ARN is `arn` as written, with its
/// effective trust policy; `None` for a missing role or a trust policy that no longer compiles.
pub(crate) fn role_and_trust(
    s: &crate::State,
    account: &str,
    name: &str,
    arn: &str,
) -> (
    Option<crate::model::Role>,
    Option<std::sync::Arc<warden_policy::Policy>>,
) {
    let role = s.role(account, name).filter(|r| r.arn() == arn).cloned();
    let trust = role
        .as_ref()
        .and_then(|r| crate::iam::roles::effective_trust(s, r));
    (role, trust)
}

/// AWS's `PackedPolicySize`: how much of the packed space the session
/// policies and tags take, in percent. AWS's packing format is not
/// published; this counts their plain text against 2,048 characters and
/// tags against 50 of the largest tags, which keeps the same limits.
pub(crate) fn packed_size_percent(policy: Option<&str>, tags: &[(String, String)]) -> i32 {
    let policy_chars = policy.map_or(0, |p| p.chars().filter(|c| !c.is_whitespace()).count());
    let tag_chars: usize = tags.iter().map(|(k, v)| k.len() + v.len()).sum();
    let policy_part = policy_chars * 100 / 2_048;
    let tag_part = tag_chars * 100 / (50 * (128 + 256));
    (policy_part + tag_part) as i32
}

/// [`packed_size_percent`], refused with AWS's PackedPolicyTooLarge past 100 %: the one check of
/// every call that issues a session with session policies or tags.
pub(crate) fn checked_packed_size(policy: Option<&str>, tags: &[(String, String)]) -> Result<i32> {
    let packed = packed_size_percent(policy, tags);
    if packed > 100 {
        return Err(CoreError::PackedPolicyTooLarge(format!(
            "Packed policy consumes {packed}% of allotted space, please use smaller policy."
        )));
    }
    Ok(packed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    /// AssumeRole of `role_arn` by `caller`, with the checks the edge would make.
    fn assume(w: &Warden, caller: &Caller, role_arn: &str) -> Result<AssumedRole> {
        let spec = crate::actions::spec("sts", "AssumeRole").expect("AssumeRole has a row");
        let params = |name: &str| (name == "RoleArn").then(|| role_arn.to_string());
        let checks = crate::access::checks(&w.read(), caller, spec, &params);
        w.sts(caller).assume_role(AssumeRoleInput {
            role_arn: role_arn.to_string(),
            session_name: "s1".to_string(),
            region: "us-east-1".to_string(),
            facts: RequestFacts {
                keys: Vec::new(),
                now: now_epoch(),
            },
            checks,
            ..AssumeRoleInput::default()
        })
    }

    #[test]
    fn only_the_dev_mode_stand_in_of_root_may_assume_roles() {
        const ACCT: &str = "123456789012";
        let w = Warden::in_memory_for_tests(ACCT).unwrap();
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        let role = w
            .iam(ACCT)
            .create_role(crate::roles::NewRole {
                name: "r".to_string(),
                trust_document: trust,
                ..crate::roles::NewRole::default()
            })
            .unwrap();
        let root = Caller::root(ACCT, "AKIAROOT");
        assert!(matches!(
            assume(&w, &root, &role.arn()),
            Err(CoreError::AccessDenied(m)) if m == "Roles may not be assumed by root accounts."
        ));
        let stand_in = Caller::dev_stand_in(ACCT, "testing");
        assert!(stand_in.is_root());
        let assumed = assume(&w, &stand_in, &role.arn()).unwrap();
        assert_eq!(
            assumed.arn,
            format!("arn:aws:sts::{ACCT}:assumed-role/r/s1")
        );
        // The trust policy still decides: a role trusting only a service is not the stand-in's.
        let service_only = w
            .iam(ACCT)
            .create_role(crate::roles::NewRole {
                name: "svc".to_string(),
                trust_document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.to_string(),
                ..crate::roles::NewRole::default()
            })
            .unwrap();
        assert!(matches!(
            assume(&w, &stand_in, &service_only.arn()),
            Err(CoreError::AccessDenied(_))
        ));
    }

    #[test]
    fn session_tags_override_user_tags_ignoring_case() {
        let merged = merge_principal_tags(
            vec![t("Team", "red"), t("Quarantined", "yes")],
            vec![t("team", "blue"), t("Project", "x")],
        );
        assert_eq!(
            merged,
            vec![
                t("Quarantined", "yes"),
                t("team", "blue"),
                t("Project", "x")
            ]
        );
    }

    #[test]
    fn reserved_prefix_refused_in_tags_and_transitive_keys() {
        for key in ["aws:PrincipalTag", "AWS:x", "Aws:"] {
            assert!(matches!(
                check_reserved_tag_keys(&[t(key, "v")], &[]),
                Err(CoreError::InvalidParameterValue(_))
            ));
            assert!(matches!(
                check_reserved_tag_keys(&[], &[key.to_string()]),
                Err(CoreError::InvalidParameterValue(_))
            ));
        }
        assert!(
            check_reserved_tag_keys(&[t("awsome", "v"), t("team:aws", "v")], &["x".into()]).is_ok()
        );
    }
}
