//! The decision: every policy type, in AWS's order (`reference_policies_evaluation-logic_policy-eval-denyallow`).

use std::sync::Arc;

use crate::context::{PrincipalKind, RequestContext};
use crate::document::Effect;
use crate::policy::{NamedAs, Policy, PrincipalMode};
use crate::PolicyType;

/// A compiled policy with the name (or ARN) the caller knows it by.
#[derive(Debug, Clone)]
pub struct NamedPolicy {
    /// Policy name or ARN, reported in explanations.
    pub name: Arc<str>,
    /// The compiled policy.
    pub policy: Arc<Policy>,
}

impl NamedPolicy {
    /// Wraps a policy.
    pub fn new(name: impl Into<Arc<str>>, policy: impl Into<Arc<Policy>>) -> NamedPolicy {
        NamedPolicy {
            name: name.into(),
            policy: policy.into(),
        }
    }
}

/// Every policy that bears on one request. All fields borrow, so building one allocates nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// The principal's identity-based policies (inline, managed and group policies alike).
    pub identity: &'a [NamedPolicy],
    /// The resource-based policy (bucket policy, role trust policy, key policy, ...).
    pub resource: Option<&'a NamedPolicy>,
    /// The principal's permissions boundary.
    pub boundary: Option<&'a NamedPolicy>,
    /// The session policies of a role or federated-user session (the inline policy and the managed policy ARNs
    /// passed to AssumeRole* / GetFederationToken): the session may do what the identity policies allow and *some*
    /// session policy allows. Empty means no session policy was passed.
    pub session: &'a [NamedPolicy],
    /// Scope-down policies added by GetScopedCredentials, one per layer, oldest first: *every* one must allow,
    /// whatever else would (a resource policy naming the session included), so scoped credentials never reach
    /// beyond what each layer grants. Their statements are reported as session-policy statements at level
    /// `1 + layer` (level 0 is the session policy of the session itself).
    pub scope_down: &'a [NamedPolicy],
    /// SCPs attached at each level of the principal's account path, organization root first.
    pub scp_levels: &'a [Vec<NamedPolicy>],
    /// Custom RCPs at each level of the resource's account path, root first. `RCPFullAWSAccess` is implied.
    pub rcp_levels: &'a [Vec<NamedPolicy>],
}

/// Facts about the request that the policies alone do not tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvalOptions {
    /// The principal's account is an organization's management account, or a standalone account: SCPs do not
    /// apply, and its root user is allowed everything nothing denies.
    pub principal_account_is_management: bool,
    /// The resource's account is the management account: RCPs do not apply.
    pub resource_account_is_management: bool,
    /// The resource policy must allow explicitly even in the same account. Role trust policies
    /// (`sts:AssumeRole*`, `sts:TagSession`, `sts:SetSourceIdentity` on a role ARN) and KMS key policies (`kms:*`
    /// on a key ARN) need it anyway, told from the request; this forces it for anything else.
    pub require_resource_policy_allow: bool,
    /// Do not require the trust or key policy that the request alone would call for, as AWS's policy simulator
    /// does: its verdict for `sts:AssumeRole*` comes from the identity policies only (aws/aws-cli#10314, verified
    /// across 11 cases). For SimulatePrincipalPolicy / SimulateCustomPolicy, never for real requests.
    pub trust_and_key_policies_optional: bool,
}

/// The three outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionKind {
    /// Allowed.
    Allow,
    /// A Deny statement applied.
    ExplicitDeny,
    /// Nothing allowed (or some layer that must allow did not).
    ImplicitDeny,
}

impl DecisionKind {
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Allow => "Allow",
            DecisionKind::ExplicitDeny => "ExplicitDeny",
            DecisionKind::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// A statement that took part in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatementRef {
    /// Which slot of the [`PolicySet`] the policy came from.
    pub policy_type: PolicyType,
    /// SCP/RCP level (0 = organization root); 0 for other types.
    pub level: u16,
    /// Index of the policy within its slot (or level); 0 for single-policy slots.
    pub policy: u16,
    /// Index of the statement within the policy.
    pub statement: u32,
    /// The statement's effect.
    pub effect: Effect,
}

/// How many matched statements a [`Decision`] keeps; enough for 1 deny or every layer's allow.
pub const MAX_MATCHED: usize = 16;

const EMPTY_REF: StatementRef = StatementRef {
    policy_type: PolicyType::Identity,
    level: 0,
    policy: 0,
    statement: 0,
    effect: Effect::Allow,
};

/// The outcome of [`evaluate`]. `Copy`, fixed size: producing it allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Allow, explicit deny or implicit deny.
    pub kind: DecisionKind,
    /// The policy type that decided: the one with the deny, or the layer that did not allow, or (for Allow) the
    /// one that granted. `None` for the root user's allow.
    pub decided_by: Option<PolicyType>,
    matched: [StatementRef; MAX_MATCHED],
    len: u8,
    exempt: bool,
}

impl Decision {
    fn new() -> Decision {
        Decision {
            kind: DecisionKind::ImplicitDeny,
            decided_by: None,
            matched: [EMPTY_REF; MAX_MATCHED],
            len: 0,
            exempt: false,
        }
    }

    fn push(&mut self, r: StatementRef) {
        if let Some(slot) = self.matched.get_mut(usize::from(self.len)) {
            *slot = r;
            self.len += 1;
        }
    }

    fn end(mut self, kind: DecisionKind, by: Option<PolicyType>) -> Decision {
        self.kind = kind;
        self.decided_by = by;
        self
    }

    /// The statements that decided: the applying Deny, or the Allow of each layer that granted.
    pub fn matched(&self) -> &[StatementRef] {
        &self.matched[..usize::from(self.len)]
    }

    /// Why the request was allowed without looking at any policy, when it was: `sts:GetCallerIdentity`.
    pub fn exemption(&self) -> Option<&'static str> {
        self.exempt.then_some(
            "sts:GetCallerIdentity needs no permission: AWS answers it for every authenticated caller, \
             even when a policy denies it (STS API reference, GetCallerIdentity)",
        )
    }

    /// True for Allow.
    pub fn is_allowed(&self) -> bool {
        self.kind == DecisionKind::Allow
    }

    /// The tail of AWS's AccessDenied message, e.g. `because no identity-based policy allows the s3:GetObject
    /// action` or `with an explicit deny in a service control policy`. `None` when allowed.
    pub fn denial_reason(&self, action: &str) -> Option<String> {
        let by = self.decided_by?;
        match self.kind {
            DecisionKind::Allow => None,
            DecisionKind::ExplicitDeny => {
                Some(format!("with an explicit deny in {}", by.with_article()))
            }
            DecisionKind::ImplicitDeny => Some(format!(
                "because no {} allows the {action} action",
                by.description()
            )),
        }
    }

    /// The whole AccessDenied message: `User: ARN is not authorized to perform: ACTION on resource: RESOURCE
    /// because ...`. For `sts:AssumeRole*` AWS gives no reason, and neither do we.
    pub fn access_denied_message(&self, ctx: &RequestContext) -> Option<String> {
        if self.is_allowed() {
            return None;
        }
        let mut m = format!(
            "User: {} is not authorized to perform: {} on resource: {}",
            ctx.principal().arn(),
            ctx.action(),
            ctx.resource()
        );
        let assume = ctx.action_lower().starts_with("sts:assumerole");
        if let (false, Some(reason)) = (assume, self.denial_reason(ctx.action())) {
            m.push(' ');
            m.push_str(&reason);
        }
        Some(m)
    }
}

impl PolicySet<'_> {
    /// The named policy a [`StatementRef`] points into.
    pub fn policy(&self, r: &StatementRef) -> Option<&NamedPolicy> {
        let (l, p) = (usize::from(r.level), usize::from(r.policy));
        match r.policy_type {
            PolicyType::Identity | PolicyType::Managed => self.identity.get(p),
            PolicyType::Resource | PolicyType::Trust => self.resource,
            PolicyType::Boundary => self.boundary,
            PolicyType::Session if l == 0 => self.session.get(p),
            PolicyType::Session => self.scope_down.get(l - 1),
            PolicyType::Scp => self.scp_levels.get(l)?.get(p),
            PolicyType::Rcp => self.rcp_levels.get(l)?.get(p),
        }
    }

    /// The `Sid` of the statement a [`StatementRef`] points at.
    pub fn sid(&self, r: &StatementRef) -> Option<&str> {
        self.policy(r)?.policy.sid(r.statement as usize)
    }
}

fn sref(
    ty: PolicyType,
    level: usize,
    policy: usize,
    statement: u32,
    effect: Effect,
) -> StatementRef {
    StatementRef {
        policy_type: ty,
        level: u16::try_from(level).unwrap_or(u16::MAX),
        policy: u16::try_from(policy).unwrap_or(u16::MAX),
        statement,
        effect,
    }
}

/// Searches one slot of policies: returns the first that has an applying statement of `effect`.
fn first_in(
    policies: &[NamedPolicy],
    ty: PolicyType,
    level: usize,
    effect: Effect,
    ctx: &RequestContext,
    mode: PrincipalMode,
) -> Option<StatementRef> {
    policies.iter().enumerate().find_map(|(i, np)| {
        np.policy
            .find(effect, ctx, mode)
            .map(|(s, _)| sref(ty, level, i, s, effect))
    })
}

/// The first deny statement of the scope-down layers that applies, if any.
fn scope_down_deny(set: &PolicySet<'_>, ctx: &RequestContext) -> Option<StatementRef> {
    set.scope_down.iter().enumerate().find_map(|(layer, np)| {
        np.policy
            .find(Effect::Deny, ctx, PrincipalMode::Ignore)
            .map(|(s, _)| sref(PolicyType::Session, layer + 1, 0, s, Effect::Deny))
    })
}

/// Whether every scope-down layer has an allow statement that applies (true with no layers).
fn scope_down_allows(set: &PolicySet<'_>, ctx: &RequestContext) -> bool {
    set.scope_down.iter().all(|np| {
        np.policy
            .find(Effect::Allow, ctx, PrincipalMode::Ignore)
            .is_some()
    })
}

fn single(
    np: Option<&NamedPolicy>,
    ty: PolicyType,
    effect: Effect,
    ctx: &RequestContext,
    mode: PrincipalMode,
) -> Option<StatementRef> {
    first_in(
        np.map(std::slice::from_ref).unwrap_or(&[]),
        ty,
        0,
        effect,
        ctx,
        mode,
    )
}

/// Decides `ctx` against `set`. Never allocates, never panics.
///
/// Order: explicit denies in every applicable policy; RCP levels (full access implied, so only their denies
/// matter); SCP levels (each must allow); scope-down layers (each must allow); the resource-based policy with
/// the same-account rules; identity policies; the permissions boundary; session policies.
pub fn evaluate(ctx: &RequestContext, set: &PolicySet<'_>, opts: &EvalOptions) -> Decision {
    let d = decide(ctx, set, opts);
    // STS API reference, GetCallerIdentity: "No permissions are required to perform this operation. If an
    // administrator attaches a policy to your identity that explicitly denies access to the
    // sts:GetCallerIdentity action, you can still perform this operation." Checked after the policies so
    // that the common path pays nothing for it.
    if d.kind != DecisionKind::Allow
        && ctx.action_lower() == "sts:getcalleridentity"
        && ctx.principal().kind() != PrincipalKind::Anonymous
    {
        let mut exempt = Decision::new();
        exempt.exempt = true;
        return exempt.end(DecisionKind::Allow, None);
    }
    d
}

/// [`evaluate`] without the exemption of `sts:GetCallerIdentity`.
fn decide(ctx: &RequestContext, set: &PolicySet<'_>, opts: &EvalOptions) -> Decision {
    use DecisionKind::{Allow, ExplicitDeny, ImplicitDeny};
    use PolicyType as T;
    let mut d = Decision::new();
    let principal = ctx.principal();
    // Anonymous callers, services and identity providers have no identity policies, SCPs or boundaries.
    let identity_caller = principal.has_identity();
    let scps_apply = identity_caller && !opts.principal_account_is_management;
    let rcps_apply = !opts.resource_account_is_management;
    let has_boundary = identity_caller && set.boundary.is_some();
    let rbp_mode = PrincipalMode::Require {
        caller_has_boundary: has_boundary,
    };

    // 1. Explicit deny anywhere wins.
    let levels = |ls: &[Vec<NamedPolicy>], ty, mode| {
        ls.iter()
            .enumerate()
            .find_map(|(l, ps)| first_in(ps, ty, l, Effect::Deny, ctx, mode))
    };
    let deny = rcps_apply
        .then(|| levels(set.rcp_levels, T::Rcp, PrincipalMode::IfPresent))
        .flatten()
        .or_else(|| {
            scps_apply
                .then(|| levels(set.scp_levels, T::Scp, PrincipalMode::Ignore))
                .flatten()
        })
        .or_else(|| single(set.resource, T::Resource, Effect::Deny, ctx, rbp_mode))
        .or_else(|| {
            if !identity_caller {
                return None;
            }
            let ig = PrincipalMode::Ignore;
            first_in(set.identity, T::Identity, 0, Effect::Deny, ctx, ig)
                .or_else(|| single(set.boundary, T::Boundary, Effect::Deny, ctx, ig))
                .or_else(|| first_in(set.session, T::Session, 0, Effect::Deny, ctx, ig))
                .or_else(|| scope_down_deny(set, ctx))
        });
    if let Some(r) = deny {
        d.push(r);
        return d.end(ExplicitDeny, Some(r.policy_type));
    }

    // 2. RCPs: RCPFullAWSAccess sits at every level and custom RCPs may only deny, so every level allows.

    // 3. SCPs: every level from the root to the account must allow.
    if scps_apply {
        for (l, ps) in set.scp_levels.iter().enumerate() {
            match first_in(ps, T::Scp, l, Effect::Allow, ctx, PrincipalMode::Ignore) {
                Some(r) => d.push(r),
                None => return d.end(ImplicitDeny, Some(T::Scp)),
            }
        }
    }

    // 3b. Scope-down layers (GetScopedCredentials): each must allow, before anything could grant past them.
    // Their allows are not added to the matched statements, which stay within MAX_MATCHED for the usual layers.
    if identity_caller && !scope_down_allows(set, ctx) {
        return d.end(ImplicitDeny, Some(T::Session));
    }

    // 4. The resource-based policy.
    let rbp = set.resource.and_then(|np| {
        np.policy
            .find(Effect::Allow, ctx, rbp_mode)
            .map(|(s, named)| (sref(T::Resource, 0, 0, s, Effect::Allow), named))
    });
    if let Some((r, _)) = rbp {
        d.push(r);
    }
    if !identity_caller {
        return match rbp {
            Some(_) => d.end(Allow, Some(T::Resource)),
            None => d.end(ImplicitDeny, Some(T::Resource)),
        };
    }
    let same_account = ctx.is_same_account();
    if rbp.is_none()
        && (!same_account
            || opts.require_resource_policy_allow
            || (!opts.trust_and_key_policies_optional && resource_policy_must_allow(ctx)))
    {
        return d.end(ImplicitDeny, Some(T::Resource));
    }
    // How far a same-account resource-policy allow reaches (reference §1.7 table).
    let kind = principal.kind();
    let rbp_named = rbp.and_then(|(_, n)| n).filter(|_| same_account);
    let rbp_reach = match (rbp_named, kind) {
        // Naming the exact user, session or federated user: identity, boundary and session implicit denies
        // are all ignored. Open question 1: we follow the doc for session ARNs.
        (Some(NamedAs::Exact), _) => Reach::Final,
        // `"*"` reaches an IAM user as naming it would (a public bucket is readable by the account's users).
        (Some(NamedAs::Everyone), PrincipalKind::User) => Reach::Final,
        // Naming the role (or everyone) grants a session, but its boundary and session policy still limit.
        (Some(NamedAs::Role | NamedAs::Everyone), _) => Reach::IdentityOnly,
        // Naming the account only delegates to the account's own policies.
        (Some(NamedAs::Account) | None, _) => Reach::None,
    };
    if rbp_reach == Reach::Final {
        return d.end(Allow, Some(T::Resource));
    }

    // 5. Identity-based policies. The root user has every permission its policies could give.
    let is_root = kind == PrincipalKind::Root;
    let identity_allow = if is_root {
        None
    } else {
        first_in(
            set.identity,
            T::Identity,
            0,
            Effect::Allow,
            ctx,
            PrincipalMode::Ignore,
        )
    };
    if let Some(r) = identity_allow {
        d.push(r);
    }
    if !is_root && identity_allow.is_none() && rbp_reach == Reach::None {
        return d.end(ImplicitDeny, Some(T::Identity));
    }

    // 6. Permissions boundary.
    if let Some(b) = set.boundary {
        match single(
            Some(b),
            T::Boundary,
            Effect::Allow,
            ctx,
            PrincipalMode::Ignore,
        ) {
            Some(r) => d.push(r),
            None => return d.end(ImplicitDeny, Some(T::Boundary)),
        }
    }

    // 7. Session policies. A GetFederationToken session without one has no permissions.
    if !set.session.is_empty() {
        match first_in(
            set.session,
            T::Session,
            0,
            Effect::Allow,
            ctx,
            PrincipalMode::Ignore,
        ) {
            Some(r) => d.push(r),
            None => return d.end(ImplicitDeny, Some(T::Session)),
        }
    } else if kind == PrincipalKind::FederatedUser {
        return d.end(ImplicitDeny, Some(T::Session));
    }

    let by = if identity_allow.is_some() {
        Some(T::Identity)
    } else if is_root {
        None
    } else {
        Some(T::Resource)
    };
    d.end(Allow, by)
}

/// Whether the resource's own policy must allow even in the same account, told from the request alone:
/// a role's trust policy for `sts:AssumeRole*`, `sts:TagSession` and `sts:SetSourceIdentity` on a role ARN,
/// and a KMS key policy for `kms:*` on a key ARN (`reference_policies_evaluation-logic-cross-account`,
/// "IAM role trust policies and KMS key policies"; KMS developer guide, "Key policies").
#[inline(never)] // Kept out of `decide`; it returns at once for anything but STS and KMS actions.
fn resource_policy_must_allow(ctx: &RequestContext) -> bool {
    let action = ctx.action_lower();
    // Most requests are neither STS nor KMS: decide that before looking at the resource.
    let trust = action.starts_with("sts:assumerole")
        || action == "sts:tagsession"
        || action == "sts:setsourceidentity";
    let key = !trust && action.starts_with("kms:");
    if !trust && !key {
        return false;
    }
    let mut segs = crate::pattern::arn_segments(ctx.resource());
    let (service, part) = (segs.nth(2), segs.nth(2));
    if trust {
        service == Some("iam") && part.is_some_and(|p| p.starts_with("role/"))
    } else {
        service == Some("kms") && part.is_some_and(|p| p.starts_with("key/"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// The resource policy's allow is final.
    Final,
    /// It replaces the identity policies' allow; boundary and session policies still limit.
    IdentityOnly,
    /// It does not count by itself.
    None,
}
