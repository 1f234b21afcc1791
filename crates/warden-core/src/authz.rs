//! The authorizer: builds each request's context from the authenticated
//! caller and decides it with `warden-policy` against the caller's compiled
//! policies, read from the in-memory model (no database round trip).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use warden_policy::{
    evaluate, ContextValue, DecisionKind, EvalOptions, NamedPolicy, Policy, PolicySet, Principal,
    RequestContext,
};

use crate::auth::{Caller, PrincipalKind, SessionKind};
use crate::error::{CoreError, Result};
use crate::model::Epoch;
use crate::policies::compiled_managed;
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

/// STS operations that session credentials from GetSessionToken may call
/// (STS API reference, GetSessionToken).
const STS_ALLOWED_FOR_SESSIONS: &[&str] = &["sts:GetCallerIdentity", "sts:AssumeRole"];

/// The limits AWS puts on GetSessionToken and GetFederationToken
/// credentials, which hold whatever the policies say.
fn check_session_limits(caller: &Caller, action: &str) -> Result<()> {
    // Federated users "cannot call IAM API operations" and no STS operation
    // but GetCallerIdentity (GetFederationToken API reference).
    if caller
        .session
        .as_ref()
        .is_some_and(|s| s.kind == SessionKind::Federation)
        && (action.starts_with("iam:")
            || (action.starts_with("sts:") && action != "sts:GetCallerIdentity"))
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

fn session_policy(text: &str) -> Option<Arc<Policy>> {
    let mut cache = SESSION_POLICIES.lock();
    if let Some(p) = cache.get(text) {
        return Some(Arc::clone(p));
    }
    let compiled = Arc::new(Policy::parse(text).ok()?);
    if cache.len() >= SESSION_POLICY_CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(text.to_string(), Arc::clone(&compiled));
    Some(compiled)
}

/// The principal-derived context keys AWS fills in.
fn principal_keys(s: &State, caller: &Caller, ctx: &mut RequestContext, now: Epoch) {
    ctx.insert("aws:userid", caller.user_id.as_str());
    ctx.insert("aws:PrincipalAccount", caller.account.as_str());
    if let Some(org) = crate::orgs::organization_of(s, &caller.account) {
        ctx.insert("aws:PrincipalOrgID", org.id.as_str());
    }
    if let PrincipalKind::User { name_lower } = &caller.kind {
        if let Some(u) = s.user(&caller.account, name_lower) {
            ctx.insert("aws:username", u.name.as_str());
            for t in &u.tags {
                ctx.insert(&format!("aws:PrincipalTag/{}", t.key), t.value.as_str());
            }
        }
    }
    if let PrincipalKind::AssumedRole {
        role_name_lower, ..
    } = &caller.kind
    {
        if let Some(r) = s.role(&caller.account, role_name_lower) {
            for t in &r.tags {
                ctx.insert(&format!("aws:PrincipalTag/{}", t.key), t.value.as_str());
            }
        }
    }
    // The MFA and token keys exist only for temporary credentials.
    if let Some(session) = &caller.session {
        // Session tags override the principal's own tags of the same key.
        for (k, v) in &session.session_tags {
            ctx.insert(&format!("aws:PrincipalTag/{k}"), v.as_str());
        }
        if let Some(si) = &session.source_identity {
            ctx.insert("aws:SourceIdentity", si.as_str());
        }
        ctx.insert(
            "aws:MultiFactorAuthPresent",
            if session.mfa_authenticated {
                "true"
            } else {
                "false"
            },
        );
        if let Some(t) = session.mfa_auth_time {
            ctx.insert("aws:MultiFactorAuthAge", (now - t).max(0).to_string());
        }
        ctx.insert("aws:TokenIssueTime", rfc3339(session.issued));
    }
    ctx.insert("aws:CurrentTime", rfc3339(now));
    ctx.insert("aws:EpochTime", now.to_string());
}

fn rfc3339(epoch: Epoch) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
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
        let s = self.read();
        let mut principal = Principal::parse(&caller.arn)
            .map_err(|e| CoreError::Internal(format!("caller ARN {}: {e}", caller.arn)))?;
        if let PrincipalKind::AssumedRole { role_arn, .. } = &caller.kind {
            principal = principal.with_role_arn(role_arn);
        }
        let mut ctx = RequestContext::new(principal, action, resource)
            .map_err(|e| CoreError::Internal(format!("request context: {e}")))?;
        principal_keys(&s, caller, &mut ctx, facts.now);
        // AWS managed policies (account "aws") belong to no other account:
        // reading them is a same-account request.
        if resource.split(':').nth(4) == Some("aws") {
            ctx.set_resource_account(&caller.account);
        }
        let resource_account = resource
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty() && *a != "aws");
        if let Some(org) = resource_account.and_then(|a| crate::orgs::organization_of(&s, a)) {
            ctx.insert("aws:ResourceOrgID", org.id.as_str());
        }
        for (k, v) in &facts.keys {
            ctx.insert(k, v.clone());
        }
        let (identity, boundary) = caller_policies(&s, caller)?;
        drop(s);
        let session = caller
            .session
            .as_ref()
            .and_then(|s| s.session_policy.as_deref())
            .and_then(session_policy)
            .map(|p| NamedPolicy::new("session policy", p));
        let set = PolicySet {
            identity: &identity,
            boundary: boundary.as_ref(),
            session: session.as_slice(),
            resource: resource_policy,
            ..PolicySet::default()
        };
        // A standalone account: no SCPs apply, and its root user may do
        // everything nothing explicitly denies.
        let opts = EvalOptions {
            principal_account_is_management: true,
            require_resource_policy_allow: require_resource_allow,
            ..EvalOptions::default()
        };
        let decision = evaluate(&ctx, &set, &opts);
        if decision.kind == DecisionKind::Allow {
            return Ok(());
        }
        let message = decision.access_denied_message(&ctx).unwrap_or_else(|| {
            format!(
                "User: {} is not authorized to perform: {action} on resource: {resource}",
                caller.arn
            )
        });
        Err(CoreError::AccessDenied(message))
    }
}
