//! The authorizer: builds each request's context from the authenticated
//! caller and decides it with `warden-policy` against the caller's compiled
//! policies, read from the in-memory model (no database round trip).
//!
//! This module is also the authorization room, which holds everything
//! between a signed request and its decision: [`auth`] (who is calling),
//! [`actions`] (the generated action table: what each operation is
//! authorized as), [`access`] (a request's checks, from that table), the
//! authorizer itself (here) and [`simulate`] (the policy simulator, the
//! same evaluation asked "what if").

pub mod access;
pub mod actions;
pub mod auth;
pub mod external;
pub mod messages;
pub mod simulate;
pub mod stored_policies;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use warden_policy::{
    evaluate, ContextValue, Decision, DecisionKind, EvalOptions, NamedPolicy, Policy, PolicySet,
    Principal, RequestContext,
};

use crate::authz::auth::{Caller, PrincipalKind, SessionKind};
use crate::error::{CoreError, Result};
use crate::iam::policies::compiled_managed;
use crate::model::Epoch;
use crate::state::State;
use crate::Warden;

/// Context keys the edge derives from the request itself.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// `(key, value)` pairs: `aws:SourceIp`, `aws:UserAgent`,
    /// `aws:RequestedRegion`, `aws:SecureTransport`, `aws:RequestTag/*`,
    /// `aws:TagKeys`, `iam:PolicyARN`, `iam:PermissionsBoundary`,
    /// `aws:ResourceTag/*`, ...
    pub keys: Vec<(String, ContextValue)>,
    /// The request time.
    pub now: Epoch,
}

/// One request for the engine: who asks (nobody, for an anonymous request), to do what, on which
/// resource of which account, with which keys and resource policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ask<'a> {
    /// The authenticated caller; `None` for an anonymous request or a principal outside IAM.
    pub caller: Option<&'a Caller>,
    /// Without a caller: the principal outside IAM that asks (a federated identity provider
    /// assuming a role); `None` with no caller is the anonymous principal.
    pub outside_principal: Option<&'a Principal>,
    /// The action, `service:Action`.
    pub action: &'a str,
    /// The resource ARN (or `*`).
    pub resource: &'a str,
    /// The account owning the resource when its ARN does not say (S3); `None` reads the ARN.
    pub resource_account: Option<&'a str>,
    /// Keys of the request.
    pub facts: &'a RequestFacts,
    /// Keys of this one check.
    pub check_keys: &'a [(String, ContextValue)],
    /// The resource's policy, if it has one.
    pub resource_policy: Option<&'a NamedPolicy>,
    /// Whether the resource policy must allow even in the same account.
    pub require_resource_allow: bool,
}

/// STS operations that session credentials from GetSessionToken may call
/// (STS API reference, GetSessionToken), and GetScopedCredentials, whose
/// reference names GetSessionToken credentials as the way to scope down an
/// IAM user's ("first call GetSessionToken ... and then call
/// GetScopedCredentials with those credentials").
const STS_ALLOWED_FOR_SESSIONS: &[&str] = &[
    "sts:GetCallerIdentity",
    "sts:AssumeRole",
    "sts:GetScopedCredentials",
];

/// STS operations a GetFederationToken session may call: GetCallerIdentity
/// (GetFederationToken API reference) and GetScopedCredentials, whose
/// reference names "a federated session" among its callers.
const STS_ALLOWED_FOR_FEDERATED_USERS: &[&str] =
    &["sts:GetCallerIdentity", "sts:GetScopedCredentials"];

/// The limits AWS puts on GetSessionToken and GetFederationToken
/// credentials, which hold whatever the policies say.
pub(crate) fn check_session_limits(caller: &Caller, action: &str) -> Result<()> {
    // Federated users "cannot call IAM API operations" and no STS operation
    // but GetCallerIdentity (GetFederationToken API reference).
    if caller
        .session
        .as_ref()
        .is_some_and(|s| s.kind == SessionKind::Federation)
        && (action.starts_with("iam:")
            || (action.starts_with("sts:") && !STS_ALLOWED_FOR_FEDERATED_USERS.contains(&action)))
    {
        return Err(CoreError::AccessDenied(format!(
            "User: {} is not authorized to perform: {action} with federated user credentials",
            caller.arn
        )));
    }
    let Some(session) = caller
        .session
        .as_ref()
        .filter(|s| s.kind == SessionKind::SessionToken)
    else {
        return Ok(());
    };
    if action.starts_with("iam:") && !session.mfa_authenticated {
        // AWS refuses IAM calls made with GetSessionToken credentials
        // obtained without MFA, and reports the token as invalid.
        return Err(CoreError::InvalidClientTokenId);
    }
    if action.starts_with("sts:") && !STS_ALLOWED_FOR_SESSIONS.contains(&action) {
        let op = action.trim_start_matches("sts:");
        return Err(CoreError::AccessDenied(format!(
            "Cannot call {op} with session credentials"
        )));
    }
    Ok(())
}

/// What "Allow users to change their own password" in the account password
/// policy grants every IAM user: the document of AWS's
/// `IAMUserChangePassword` managed policy.
static CHANGE_OWN_PASSWORD: LazyLock<Option<Arc<Policy>>> = LazyLock::new(|| {
    Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},
            {"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}"#,
    )
    .ok()
    .map(Arc::new)
});

/// A principal's identity policies and boundary, as resolved at one
/// generation of the model.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    generation: u64,
    identity: Vec<NamedPolicy>,
    boundary: Option<NamedPolicy>,
    /// Context keys that come from the model: `aws:username`,
    /// `aws:PrincipalTag/*` of the user or role, `aws:PrincipalOrgID`.
    principal_keys: Vec<(Arc<str>, ContextValue)>,
    /// The parsed ARN of an IAM user or root (a role session's differs per session).
    principal: Option<Principal>,
    /// The SCP levels of the principal's account (organization root first),
    /// or `None` where SCPs do not apply.
    scp_levels: Option<Vec<Vec<NamedPolicy>>>,
    /// The organization ID and path of the principal's own account, reused
    /// as `aws:ResourceOrgID`/`aws:ResourceOrgPaths` for same-account
    /// resources (most requests) instead of walking the organizations.
    account_org: Option<(Arc<str>, Arc<str>)>,
}

/// Resolved policies per principal. Resolving walks the user's groups and
/// looks up every attached policy, which costs several times the decision
/// itself; an entry is reused only while nothing it depends on has changed
/// since the generation it was resolved at ([`State::is_current`]: no write
/// to the principal's account, no organization change), so a policy change
/// is seen by the very next request, and writes elsewhere (other accounts,
/// access keys, last-used data) do not force re-resolving.
#[derive(Debug, Default)]
pub(crate) struct ResolvedCache(parking_lot::Mutex<HashMap<String, Arc<Resolved>>>);

/// Bounds the cache; past it, the cache starts over.
const RESOLVED_CACHE_LIMIT: usize = 16_384;

impl ResolvedCache {
    fn get(&self, s: &State, caller: &Caller) -> Result<Arc<Resolved>> {
        let key = match &caller.kind {
            PrincipalKind::Root => format!("{}\0root", caller.account),
            PrincipalKind::AssumedRole {
                role_name_lower, ..
            } => format!("{}\0role\0{role_name_lower}", caller.account),
            PrincipalKind::User { name_lower } => {
                format!("{}\0user\0{name_lower}", caller.account)
            }
            // The IAM user's policies, but not its name or tags as keys.
            PrincipalKind::FederatedUser { user_name_lower } => {
                format!("{}\0federated\0{user_name_lower}", caller.account)
            }
        };
        if let Some(r) = self.0.lock().get(&key) {
            if s.is_current(&caller.account, r.generation) {
                return Ok(Arc::clone(r));
            }
        }
        let (identity, boundary) = caller_policies(s, caller)?;
        let account_org = org_facts(s, &caller.account);
        let resolved = Arc::new(Resolved {
            generation: s.generation,
            identity,
            boundary,
            principal_keys: model_keys(s, caller, account_org.as_ref()),
            principal: match caller.kind {
                PrincipalKind::User { .. } | PrincipalKind::Root => {
                    Principal::parse(&caller.arn).ok()
                }
                _ => None,
            },
            scp_levels: scp_levels(s, caller),
            account_org,
        });
        let mut cache = self.0.lock();
        if cache.len() >= RESOLVED_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&resolved));
        Ok(resolved)
    }
}

/// The SCPs that limit `caller`: those of its account, except for
/// service-linked roles, which SCPs do not affect.
fn scp_levels(s: &State, caller: &Caller) -> Option<Vec<Vec<NamedPolicy>>> {
    if let PrincipalKind::AssumedRole {
        role_name_lower, ..
    } = &caller.kind
    {
        let service_linked = s
            .role(&caller.account, role_name_lower)
            .is_some_and(|r| r.path.starts_with("/aws-service-role/"));
        if service_linked {
            return None;
        }
    }
    crate::orgs::org_policies::scp_levels(s, &caller.account)
}

/// The identity policies and boundary of a caller, as compiled policies.
fn caller_policies(s: &State, caller: &Caller) -> Result<(Vec<NamedPolicy>, Option<NamedPolicy>)> {
    let name_lower = match &caller.kind {
        PrincipalKind::Root => return Ok((Vec::new(), None)),
        PrincipalKind::AssumedRole {
            role_name_lower, ..
        } => return role_policies(s, &caller.account, role_name_lower),
        PrincipalKind::User { name_lower }
        | PrincipalKind::FederatedUser {
            user_name_lower: name_lower,
        } => name_lower,
    };
    let Some(user) = s.user(&caller.account, name_lower) else {
        return Ok((Vec::new(), None));
    };
    let account = &caller.account;
    let mut out = Vec::new();
    let mut push_inline = |owner: &str, p: &crate::model::InlinePolicy| {
        if let Some(c) = &p.compiled.0 {
            out.push(NamedPolicy::new(
                format!("{owner}/{}", p.name),
                Arc::clone(c),
            ));
        }
    };
    for p in &user.inline_policies {
        push_inline(&user.arn(), p);
    }
    let mut managed: Vec<&String> = user.attached_policies.iter().collect();
    for g in user.groups.iter().filter_map(|g| s.group(account, g)) {
        for p in &g.inline_policies {
            push_inline(&g.arn(), p);
        }
        managed.extend(g.attached_policies.iter());
    }
    managed.sort();
    managed.dedup();
    for arn in managed {
        if let Some(c) = compiled_managed(s, account, arn) {
            out.push(NamedPolicy::new(arn.as_str(), c));
        }
    }
    let users_may_change = s
        .accounts
        .get(account)
        .and_then(|a| a.password_policy.as_ref())
        .is_some_and(|p| p.allow_users_to_change_password);
    if let (true, Some(c)) = (users_may_change, CHANGE_OWN_PASSWORD.as_ref()) {
        out.push(NamedPolicy::new("account password policy", Arc::clone(c)));
    }
    // DeletePolicy refuses a policy in use as a boundary, so a boundary
    // always resolves; if it ever did not, the caller gets nothing.
    let boundary = match user.permissions_boundary.as_deref() {
        None => None,
        Some(arn) => match compiled_managed(s, account, arn) {
            Some(c) => Some(NamedPolicy::new(arn, c)),
            None => {
                return Err(CoreError::AccessDenied(format!(
                    "The permissions boundary {arn} of {} cannot be found.",
                    user.arn()
                )))
            }
        },
    };
    Ok((out, boundary))
}

/// A role's inline and attached policies and its boundary.
fn role_policies(
    s: &State,
    account: &str,
    role_lower: &str,
) -> Result<(Vec<NamedPolicy>, Option<NamedPolicy>)> {
    let Some(role) = s.role(account, role_lower) else {
        return Ok((Vec::new(), None));
    };
    let mut out: Vec<NamedPolicy> = role
        .inline_policies
        .iter()
        .filter_map(|p| {
            Some(NamedPolicy::new(
                format!("{}/{}", role.arn(), p.name),
                Arc::clone(p.compiled.0.as_ref()?),
            ))
        })
        .collect();
    out.extend(role.attached_policies.iter().filter_map(|arn| {
        Some(NamedPolicy::new(
            arn.as_str(),
            compiled_managed(s, account, arn)?,
        ))
    }));
    let boundary = match role.permissions_boundary.as_deref() {
        None => None,
        Some(arn) => Some(NamedPolicy::new(
            arn,
            compiled_managed(s, account, arn).ok_or_else(|| {
                CoreError::AccessDenied(format!(
                    "The permissions boundary {arn} of {} cannot be found.",
                    role.arn()
                ))
            })?,
        )),
    };
    Ok((out, boundary))
}

/// Compiled session policies, by their text: a session's policy travels in
/// its token and is compiled once, not per request.
static SESSION_POLICIES: LazyLock<parking_lot::Mutex<HashMap<String, Arc<Policy>>>> =
    LazyLock::new(|| parking_lot::Mutex::new(HashMap::new()));
const SESSION_POLICY_CACHE_LIMIT: usize = 4_096;

/// A session or scope-down policy from a token, compiled. A text that no longer compiles (it did when the
/// session was issued, or it would not have been sealed) fails closed: it becomes a policy that denies
/// everything, never a missing policy, which would widen the session.
fn session_policy(text: &str) -> Arc<Policy> {
    let mut cache = SESSION_POLICIES.lock();
    if let Some(p) = cache.get(text) {
        return Arc::clone(p);
    }
    let compiled = match Policy::parse(text) {
        Ok(p) => Arc::new(p),
        Err(_) => return Arc::clone(&DENY_EVERYTHING),
    };
    if cache.len() >= SESSION_POLICY_CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(text.to_string(), Arc::clone(&compiled));
    compiled
}

/// What an AssumeRoot session's root user may do before its task policy's denies.
#[expect(
    clippy::expect_used,
    reason = "a literal policy; the unit tests below force it"
)]
static ALLOW_EVERYTHING: LazyLock<Arc<Policy>> = LazyLock::new(|| {
    let text =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    Arc::new(Policy::parse(text).expect("a valid literal policy"))
});

/// What an unreadable session policy stands for.
#[expect(
    clippy::expect_used,
    reason = "a literal policy; the unit tests below force it"
)]
static DENY_EVERYTHING: LazyLock<Arc<Policy>> = LazyLock::new(|| {
    let text =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    Arc::new(Policy::parse(text).expect("a valid literal policy"))
});

/// The services RCPs govern (Organizations User Guide, `orgs_manage_policies_rcps`, supported services:
/// S3, STS, KMS, SQS and Secrets Manager at launch; Cognito, CloudWatch Logs, DynamoDB, ECR and
/// OpenSearch Serverless since). IAM and Organizations are not among them.
const RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "cognito-identity",
    "cognito-idp",
    "logs",
    "dynamodb",
    "ecr",
    "aoss",
];

/// Whether RCPs govern `action` on `resource`: an action of a service they support, never on a
/// service-linked role.
fn rcps_cover(action: &str, resource: &str) -> bool {
    let service = action.split(':').next().unwrap_or_default();
    RCP_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(service))
        && !resource.contains(":role/aws-service-role/")
}

/// `aws:PrincipalOrgPaths` / `aws:ResourceOrgPaths` of an account: the
/// organization, root and OUs above it (`o-ID/r-ID/ou-ID/`).
fn org_path(org: &crate::orgs::Organization, account: &str) -> String {
    org.path_of(&org.parent_of_account(account))
}

/// The organization ID and OU path (`aws:*OrgID`, `aws:*OrgPaths`) of
/// `account`, if it is in an organization.
fn org_facts(s: &State, account: &str) -> Option<(Arc<str>, Arc<str>)> {
    crate::orgs::organization_of(s, account)
        .map(|org| (org.id.as_str().into(), org_path(org, account).into()))
}

/// The principal's context keys that the model holds.
/// Key names are lower-cased here, once per principal, not per request.
fn model_keys(
    s: &State,
    caller: &Caller,
    account_org: Option<&(Arc<str>, Arc<str>)>,
) -> Vec<(Arc<str>, ContextValue)> {
    let mut keys: Vec<(Arc<str>, ContextValue)> = Vec::new();
    if let Some((id, path)) = account_org {
        keys.push(("aws:principalorgid".into(), id.into()));
        keys.push(("aws:principalorgpaths".into(), path.into()));
    }
    let tags = match &caller.kind {
        PrincipalKind::User { name_lower } => s.user(&caller.account, name_lower).map(|u| {
            keys.push(("aws:username".into(), u.name.as_str().into()));
            &u.tags
        }),
        PrincipalKind::AssumedRole {
            role_name_lower, ..
        } => s.role(&caller.account, role_name_lower).map(|r| &r.tags),
        PrincipalKind::Root | PrincipalKind::FederatedUser { .. } => None,
    };
    for t in tags.into_iter().flatten() {
        let key = format!("aws:principaltag/{}", t.key.to_ascii_lowercase());
        keys.push((key.into(), t.value.as_str().into()));
    }
    keys
}

/// The principal-derived context keys AWS fills in.
fn principal_keys(caller: &Caller, resolved: &Resolved, ctx: &mut RequestContext, now: Epoch) {
    ctx.insert_static("aws:userid", caller.user_id.as_str());
    ctx.insert_static("aws:principalaccount", caller.account.as_str());
    for (k, v) in &resolved.principal_keys {
        ctx.insert_shared(k, v.clone());
    }
    // The MFA and token keys exist only for temporary credentials.
    if let Some(session) = &caller.session {
        // Session tags override the principal's own tags of the same key.
        for (k, v) in &session.session_tags {
            ctx.insert(&format!("aws:PrincipalTag/{k}"), v.as_str());
        }
        if let Some(si) = &session.source_identity {
            ctx.insert_static("aws:sourceidentity", si.as_str());
        }
        if let Some(p) = &session.claims.federated_provider {
            ctx.insert_static("aws:federatedprovider", p.as_str());
        }
        // The identity provider's keys kept in the session: `${HOST/PATH:sub}` or `${saml:sub}` in a
        // permission or resource policy. `amr` is multivalued, as in the trust policy.
        for (k, values) in &session.claims.federated_keys {
            match values.as_slice() {
                [one] if !k.ends_with(":amr") => ctx.insert(k, one.as_str()),
                _ => ctx.insert(k, ContextValue::from(values.clone())),
            }
        }
        ctx.insert_static(
            "aws:multifactorauthpresent",
            if session.mfa_authenticated {
                "true"
            } else {
                "false"
            },
        );
        if let Some(t) = session.mfa_auth_time {
            ctx.insert_static("aws:multifactorauthage", (now - t).max(0).to_string());
        }
        ctx.insert_static("aws:tokenissuetime", rfc3339(session.issued));
    }
    ctx.insert_static("aws:currenttime", rfc3339(now));
    ctx.insert_static("aws:epochtime", now.to_string());
}

/// Formats `epoch` as RFC 3339. Requests of the same second share the text
/// (per thread), since `aws:CurrentTime` is formatted for every request.
fn rfc3339(epoch: Epoch) -> Arc<str> {
    thread_local! {
        static LAST: std::cell::RefCell<(Epoch, Arc<str>)> =
            std::cell::RefCell::new((Epoch::MIN, Arc::from("")));
    }
    LAST.with_borrow_mut(|(at, text)| {
        if *at != epoch {
            *text = time::OffsetDateTime::from_unix_timestamp(epoch)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default()
                .into();
            *at = epoch;
        }
        Arc::clone(text)
    })
}

impl Warden {
    /// Decides `caller` doing `action` (`iam:CreateUser`) on `resource`.
    /// `sts:GetCallerIdentity` and `sts:GetSessionToken` need no permission:
    /// "you cannot use policies to control authentication operations" (STS
    /// docs); GetSessionToken's own limits still apply.
    pub fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        facts: &RequestFacts,
    ) -> Result<()> {
        check_session_limits(caller, action)?;
        if matches!(action, "sts:GetCallerIdentity" | "sts:GetSessionToken") {
            return Ok(());
        }
        self.decide(caller, action, resource, facts, None, false)
    }

    /// Decides every check of a request ([`crate::authz::access::checks`]), in
    /// order; the first denial is the answer, naming its resource as AWS's
    /// AccessDenied text does.
    pub fn authorize_checks(
        &self,
        caller: &Caller,
        checks: &[crate::authz::access::Check],
        facts: &RequestFacts,
    ) -> Result<()> {
        for check in checks {
            check_session_limits(caller, check.action)?;
            if matches!(
                check.action,
                "sts:GetCallerIdentity" | "sts:GetSessionToken"
            ) {
                continue;
            }
            self.decide_with(
                caller,
                check.action,
                &check.resource,
                facts,
                &check.keys,
                None,
                false,
            )
            .map_err(|e| match e {
                CoreError::AccessDenied(m) if check.shown != check.resource => {
                    CoreError::AccessDenied(m.replacen(
                        &format!("on resource: {}", check.resource),
                        &format!("on resource: {}", check.shown),
                        1,
                    ))
                }
                other => other,
            })?;
        }
        Ok(())
    }

    /// Runs the engine for one request: the caller's identity policies,
    /// boundary and session policy, plus a resource policy when the
    /// resource has one (a role's trust policy for AssumeRole, which must
    /// allow explicitly).
    pub(crate) fn decide(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        facts: &RequestFacts,
        resource_policy: Option<&NamedPolicy>,
        require_resource_allow: bool,
    ) -> Result<()> {
        self.decide_with(
            caller,
            action,
            resource,
            facts,
            &[],
            resource_policy,
            require_resource_allow,
        )
    }

    /// As [`Warden::decide`], with condition keys of this one check besides
    /// the request's.
    #[expect(
        clippy::too_many_arguments,
        reason = "one private call site per caller; a struct would only rename them"
    )]
    pub(crate) fn decide_with(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        facts: &RequestFacts,
        check_keys: &[(String, ContextValue)],
        resource_policy: Option<&NamedPolicy>,
        require_resource_allow: bool,
    ) -> Result<()> {
        let ask = Ask {
            caller: Some(caller),
            outside_principal: None,
            action,
            resource,
            resource_account: None,
            facts,
            check_keys,
            resource_policy,
            require_resource_allow,
        };
        self.decide_ask(&ask, |decision, _, ctx| {
            if decision.kind == DecisionKind::Allow {
                return Ok(());
            }
            let message = decision.access_denied_message(ctx).unwrap_or_else(|| {
                format!(
                    "User: {} is not authorized to perform: {action} on resource: {resource}",
                    caller.arn
                )
            });
            Err(CoreError::AccessDenied(message))
        })?
    }

    /// Runs the engine for one [`Ask`] and hands the decision, with the
    /// policies and context it was made from, to `report`. The one place a
    /// request's policies and keys are gathered, for warden's own API and for
    /// the services that ask warden ([`crate::authz::external`]).
    pub(crate) fn decide_ask<T>(
        &self,
        ask: &Ask<'_>,
        report: impl FnOnce(&Decision, &PolicySet<'_>, &RequestContext) -> T,
    ) -> Result<T> {
        let Ask {
            caller,
            outside_principal,
            action,
            resource,
            resource_account,
            facts,
            check_keys,
            resource_policy,
            require_resource_allow,
        } = *ask;
        let s = self.read();
        let caller_account = caller.map(|c| c.account.as_str());
        // The resource's account: as the asking service names it (S3 ARNs carry none), else the
        // ARN's account field.
        let owner = resource_account.or_else(|| resource.split(':').nth(4));
        // A closed account's resources are out of reach from other accounts
        // too (CloseAccount), whatever their policies say.
        if owner.is_some_and(|a| {
            Some(a) != caller_account && crate::orgs::account_closure::is_closed(&s, a)
        }) {
            let who = caller.map_or("anonymous", |c| c.arn.as_str());
            return Err(CoreError::AccessDenied(format!(
                "User: {who} is not authorized to perform: {action} on resource: {resource}"
            )));
        }
        let resolved = caller
            .map(|c| self.resolved_policies.get(&s, c))
            .transpose()?;
        let cached = resolved
            .as_ref()
            .and_then(|r| r.principal.as_ref())
            .filter(|p| caller.is_some_and(|c| p.arn() == c.arn));
        let principal = match (caller, cached) {
            (None, _) => outside_principal
                .cloned()
                .unwrap_or_else(Principal::anonymous),
            (Some(_), Some(p)) => p.clone(),
            (Some(caller), None) => {
                let p = Principal::parse(&caller.arn)
                    .map_err(|e| CoreError::Internal(format!("caller ARN {}: {e}", caller.arn)))?;
                match &caller.kind {
                    PrincipalKind::AssumedRole { role_arn, .. } => p.with_role_arn(role_arn),
                    _ => p,
                }
            }
        };
        let mut ctx = RequestContext::new(principal, action, resource)
            .map_err(|e| CoreError::Internal(format!("request context: {e}")))?;
        let mut rcp_levels = None;
        match owner {
            // AWS managed policies (account "aws") belong to no other
            // account: reading them is a same-account request. So are
            // Organizations resources, though their ARNs carry the
            // management account: a member's call is decided by its own
            // policies, and then Organizations itself refuses what only
            // the management account may do, or its resource policy grants
            // (orgs/resource_policy.rs).
            Some("aws") if resource_account.is_none() => {
                if let Some(a) = caller_account {
                    ctx.set_resource_account(a);
                }
            }
            Some(_)
                if resource_account.is_none()
                    && resource.starts_with("arn:aws:organizations::") =>
            {
                if let Some(a) = caller_account {
                    ctx.set_resource_account(a);
                }
            }
            // AssumeRoot's resource is a member's root user, in another account, with no
            // resource policy: the member's trust is the organization's RootSessions feature,
            // which the operation checks. The caller's own policies decide, as AWS grants it
            // to management-account principals by identity policy alone.
            Some(_) if action == "sts:AssumeRoot" => {
                if let Some(a) = caller_account {
                    ctx.set_resource_account(a);
                }
            }
            Some(a) if !a.is_empty() => {
                if resource_account.is_some() {
                    ctx.set_resource_account(a);
                }
                let org = match (&resolved, caller_account) {
                    (Some(r), Some(c)) if c == a => r.account_org.clone(),
                    _ => org_facts(&s, a),
                };
                if let Some((id, path)) = org {
                    ctx.insert_static("aws:resourceorgid", id);
                    ctx.insert_static("aws:resourceorgpaths", path);
                    if rcps_cover(action, resource) {
                        rcp_levels = crate::orgs::org_policies::rcp_levels(&s, a);
                    }
                }
            }
            _ => {}
        }
        for (k, v) in facts.keys.iter().chain(check_keys) {
            ctx.insert(k, v.clone());
        }
        drop(s);
        if let (Some(caller), Some(r)) = (caller, &resolved) {
            principal_keys(caller, r, &mut ctx, facts.now);
        } else {
            ctx.insert_static("aws:currenttime", rfc3339(facts.now));
            ctx.insert_static("aws:epochtime", facts.now.to_string());
        }
        let session_info = caller.and_then(|c| c.session.as_ref());
        let own = session_info
            .and_then(|s| s.session_policy.as_deref())
            .map(|text| NamedPolicy::new("session policy", session_policy(text)));
        // AssumeRoot's task policies only deny (their allow is the root user's own): beside one, a
        // policy that allows everything meets the "some session policy allows" rule, and the task
        // policy's denies still apply.
        let root_task = session_info.is_some_and(|s| s.kind == SessionKind::RootTask);
        let (pair, one);
        let session: &[NamedPolicy] = match own {
            Some(task) if root_task => {
                pair = [
                    task,
                    NamedPolicy::new("root user", Arc::clone(&ALLOW_EVERYTHING)),
                ];
                &pair
            }
            Some(policy) => {
                one = [policy];
                &one
            }
            None => &[],
        };
        // GetScopedCredentials' layers; no allocation for the usual session without any.
        let scope_down: Vec<NamedPolicy> = session_info
            .map(|s| {
                s.claims
                    .scope_policies
                    .iter()
                    .map(|text| NamedPolicy::new("scope-down policy", session_policy(text)))
                    .collect()
            })
            .unwrap_or_default();
        let scp_levels = resolved.as_ref().and_then(|r| r.scp_levels.as_deref());
        let set = PolicySet {
            identity: resolved.as_ref().map_or(&[], |r| r.identity.as_slice()),
            boundary: resolved.as_ref().and_then(|r| r.boundary.as_ref()),
            session,
            scope_down: &scope_down,
            resource: resource_policy,
            scp_levels: scp_levels.unwrap_or_default(),
            rcp_levels: rcp_levels.as_deref().unwrap_or_default(),
        };
        // Without SCPs (a standalone or management account, or SCPs not
        // enabled) the root user may do everything nothing explicitly
        // denies; with them, SCPs limit every principal, root included.
        let opts = EvalOptions {
            principal_account_is_management: scp_levels.is_none(),
            resource_account_is_management: rcp_levels.is_none(),
            require_resource_policy_allow: require_resource_allow,
            trust_and_key_policies_optional: false,
        };
        let decision = evaluate(&ctx, &set, &opts);
        self.metrics().record_decision(decision.kind);
        Ok(report(&decision, &set, &ctx))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! The resolved-policy cache must never serve a stale decision: every
    //! change below is seen by the very next request.
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a test fails loudly on a broken fixture"
    )]

    use super::*;
    use crate::iam::keys::KeyOwner;
    use crate::iam::policies::{Holder, NewPolicy};
    use crate::iam::users::NewUser;
    use crate::model::{now_epoch, Tag};

    const ACCT: &str = "123456789012";
    const ME: &str = "arn:aws:iam::123456789012:user/dev";

    fn setup() -> (Warden, Caller) {
        let w = Warden::in_memory_for_tests(ACCT).unwrap();
        let caller = user_in(&w, ACCT, "dev");
        (w, caller)
    }

    #[test]
    fn an_unreadable_session_policy_denies_everything_rather_than_vanishing() {
        // A dropped session or scope-down policy would widen the session to its identity policies.
        let set_for = |p: Arc<Policy>| {
            let np = [NamedPolicy::new("session policy", p)];
            let identity = [NamedPolicy::new(
                "id",
                Arc::new(
                    Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
                        .unwrap(),
                ),
            )];
            let ctx = warden_policy::RequestContext::new(
                warden_policy::Principal::parse("arn:aws:sts::123456789012:assumed-role/r/s")
                    .unwrap(),
                "iam:GetUser",
                ME,
            )
            .unwrap();
            let set = PolicySet {
                identity: &identity,
                session: &np,
                ..PolicySet::default()
            };
            evaluate(&ctx, &set, &EvalOptions::default()).kind
        };
        assert_eq!(
            set_for(session_policy("not a policy")),
            DecisionKind::ExplicitDeny
        );
        let readable = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}"#;
        assert_eq!(
            set_for(session_policy(readable)),
            DecisionKind::Allow,
            "control"
        );
    }

    fn allowed(w: &Warden, c: &Caller) -> bool {
        let facts = RequestFacts {
            keys: Vec::new(),
            now: now_epoch(),
        };
        match w.authorize(c, "iam:GetUser", ME, &facts) {
            Ok(()) => true,
            Err(CoreError::AccessDenied(_)) => false,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }

    const GET_USER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#;
    const NOTHING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;

    #[test]
    fn every_change_is_seen_by_the_next_request() {
        let (w, me) = setup();
        assert!(!allowed(&w, &me));
        // A managed policy attached, its default version switched, detached.
        let arn = w
            .iam(ACCT)
            .create_policy(NewPolicy {
                name: "p".into(),
                document: GET_USER.into(),
                ..NewPolicy::default()
            })
            .unwrap()
            .arn;
        w.iam(ACCT)
            .attach_policy(Holder::User("dev"), &arn)
            .unwrap();
        assert!(allowed(&w, &me));
        w.iam(ACCT)
            .create_policy_version(&arn, NOTHING, true)
            .unwrap();
        assert!(!allowed(&w, &me));
        w.iam(ACCT).set_default_policy_version(&arn, "v1").unwrap();
        assert!(allowed(&w, &me));
        w.iam(ACCT)
            .detach_policy(Holder::User("dev"), &arn)
            .unwrap();
        assert!(!allowed(&w, &me));
        // Through a group: membership and the group's inline policy.
        w.iam(ACCT).create_group("g", None).unwrap();
        w.iam(ACCT)
            .put_inline_policy(Holder::Group("g"), "i", GET_USER)
            .unwrap();
        assert!(!allowed(&w, &me));
        w.iam(ACCT).add_user_to_group("g", "dev").unwrap();
        assert!(allowed(&w, &me));
        w.iam(ACCT).remove_user_from_group("g", "dev").unwrap();
        assert!(!allowed(&w, &me));
        // A principal tag that a condition reads.
        w.iam(ACCT).put_inline_policy(
            Holder::User("dev"),
            "abac",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}"#,
        )
        .unwrap();
        assert!(!allowed(&w, &me));
        w.iam(ACCT)
            .tag_user(
                "dev",
                &[Tag {
                    key: "team".into(),
                    value: "blue".into(),
                }],
            )
            .unwrap();
        assert!(allowed(&w, &me));
        w.iam(ACCT)
            .delete_inline_policy(Holder::User("dev"), "abac")
            .unwrap();
        assert!(!allowed(&w, &me));
    }

    /// The principal's resolved view as the authorizer would use it now.
    fn view(w: &Warden, c: &Caller) -> Arc<Resolved> {
        w.resolved_policies.get(&w.read(), c).unwrap()
    }

    /// A user with an access key in `account`, as an authenticated caller.
    pub(crate) fn user_in(w: &Warden, account: &str, name: &str) -> Caller {
        w.iam(account)
            .create_user(NewUser {
                name: name.into(),
                ..NewUser::default()
            })
            .unwrap();
        let key = w
            .iam(account)
            .create_access_key(KeyOwner::User(name))
            .unwrap()
            .key
            .id;
        w.credentials_for(&key, None, now_epoch()).unwrap().1
    }

    #[test]
    fn writes_elsewhere_keep_a_principals_view_and_its_own_account_renews_it() {
        let (w, me) = setup();
        let org = w.orgs(ACCT).create_organization(None).unwrap();
        let member = w
            .orgs(ACCT)
            .create_member_account("m", "m@example.com", None, Vec::new())
            .unwrap()
            .account;
        let before = view(&w, &me);
        assert!(
            Arc::ptr_eq(&before, &view(&w, &me)),
            "reused while nothing changed"
        );
        // Another account's users, and credentials of my own account, are
        // not part of my view.
        let other = user_in(&w, &member, "someone");
        w.iam(ACCT)
            .create_access_key(KeyOwner::User("dev"))
            .unwrap();
        assert!(Arc::ptr_eq(&before, &view(&w, &me)));
        let theirs = view(&w, &other);
        // A write in my account renews my view, not the other account's.
        w.iam(ACCT).create_group("g", None).unwrap();
        let after = view(&w, &me);
        assert!(!Arc::ptr_eq(&before, &after));
        assert!(Arc::ptr_eq(&theirs, &view(&w, &other)));
        // An organization change reaches across accounts: both renew.
        use crate::orgs::org_policies::SCP;
        w.orgs(ACCT)
            .enable_policy_type(&org.root_id(), SCP)
            .unwrap();
        assert!(!Arc::ptr_eq(&after, &view(&w, &me)));
        assert!(!Arc::ptr_eq(&theirs, &view(&w, &other)));
    }

    #[test]
    fn a_reset_drops_every_view_even_of_a_principal_recreated_under_its_name() {
        let (w, me) = setup();
        w.iam(ACCT)
            .put_inline_policy(Holder::User("dev"), "p", GET_USER)
            .unwrap();
        assert!(allowed(&w, &me), "cached with the policy");
        w.reset().unwrap();
        // Same account, same name, same cache key: a new user with no policy.
        let again = user_in(&w, ACCT, "dev");
        assert!(!allowed(&w, &again));
    }

    #[test]
    fn a_federated_user_does_not_inherit_the_users_name_key() {
        // aws:username exists for IAM users only; a GetFederationToken
        // session of the same user must not see it, even right after the
        // user's own request resolved its policies.
        let (w, me) = setup();
        w.iam(ACCT).put_inline_policy(
            Holder::User("dev"),
            "by-name",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"dev"}}}]}"#,
        )
        .unwrap();
        let facts = RequestFacts {
            keys: Vec::new(),
            now: now_epoch(),
        };
        let object = "arn:aws:s3:::bucket/key";
        w.authorize(&me, "s3:GetObject", object, &facts)
            .expect("the user itself is allowed");
        let fed = w
            .sts(&me).get_federation_token(
                "visitor",
                None,
                Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#),
                &[],
                Vec::new(),
            )
            .unwrap()
            .credentials;
        let (_, visitor) = w
            .credentials_for(&fed.access_key_id, Some(&fed.session_token), now_epoch())
            .unwrap();
        assert!(matches!(
            w.authorize(&visitor, "s3:GetObject", object, &facts),
            Err(CoreError::AccessDenied(_))
        ));
    }
}
