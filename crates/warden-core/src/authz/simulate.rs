//! The policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy.
//! It runs the same engine as live authorization, on the principal's stored
//! policies and/or policies passed in, and reports each decision with the
//! statements that made it.

use std::sync::Arc;

use warden_policy::{
    evaluate, ContextValue, DecisionKind, EvalOptions, NamedPolicy, Policy, PolicySet, PolicyType,
    Principal, RequestContext,
};

use crate::error::{CoreError, Result};
use crate::iam::policies::{aws_policy, compile_document, compiled_managed};
use crate::iam::Iam;
use crate::state::State;

/// A policy taking part in a simulation, with the id and type AWS reports
/// in `MatchedStatements` (`user`, `group`, `role`, `aws-managed`,
/// `IAM Policy` for a customer managed one, `resource`, `none`).
#[derive(Debug, Clone)]
pub struct SimPolicy {
    /// SourcePolicyId: the inline policy's name, the managed policy's name, or `PolicyInputList.N`
    /// for a passed-in one.
    pub id: String,
    /// SourcePolicyType: `user`, `group`, `role`, `aws-managed`, `IAM Policy`, `resource` or
    /// `none`.
    pub source_type: &'static str,
    /// The compiled policy the engine evaluates.
    pub policy: Arc<Policy>,
    /// The document text, for statement end positions.
    pub text: String,
}

/// A position in a policy document, as AWS reports it (1-based line and
/// column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// One matched statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimStatement {
    /// The id of the policy holding the statement (see [`SimPolicy::id`]).
    pub source_policy_id: String,
    /// That policy's type (see [`SimPolicy::source_type`]).
    pub source_policy_type: &'static str,
    /// Where the statement begins.
    pub start: Position,
    /// Where it ends, when the document text lets it be found.
    pub end: Option<Position>,
}

/// One (action, resource) result.
#[derive(Debug, Clone)]
pub struct SimResult {
    /// The action simulated, as given.
    pub action: String,
    /// The resource simulated, as given (`*` when the request named none).
    pub resource: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: &'static str,
    /// The statements that decided the result (the denying ones for an explicit deny).
    pub matched: Vec<SimStatement>,
    /// Whether the boundary allows the action; `None` without a boundary.
    pub allowed_by_boundary: Option<bool>,
    /// Whether the organization's SCPs allow the action; `None` outside an
    /// organization.
    pub allowed_by_organizations: Option<bool>,
    /// Context keys the policies' conditions use that the request did not
    /// give, lower-cased as AWS reports them.
    pub missing_context: Vec<String>,
}

/// What to simulate.
#[derive(Debug, Clone, Default)]
pub struct SimRequest {
    /// The principal the request is made as (`CallerArn`, or the simulated
    /// user itself).
    pub caller_arn: String,
    /// The actions to simulate (ActionNames), each decided on every resource.
    pub actions: Vec<String>,
    /// `*` when none are given.
    pub resources: Vec<String>,
    /// ContextEntries: the condition keys and values the request supplies.
    pub context: Vec<(String, ContextValue)>,
    /// ResourcePolicy: a resource-based policy document to evaluate with the identity policies.
    pub resource_policy: Option<String>,
    /// ResourceOwner: an account or ARN whose account becomes the resource's account.
    pub resource_owner: Option<String>,
}

/// Compiles the documents of a `PolicyInputList`-style parameter.
pub fn input_policies(list: &[String], param: &str, ty: PolicyType) -> Result<Vec<SimPolicy>> {
    list.iter()
        .enumerate()
        .map(|(i, doc)| {
            let compiled = compile_document(doc, ty)?;
            let policy = compiled
                .0
                .ok_or_else(|| CoreError::Internal("compiled policy missing".to_string()))?;
            Ok(SimPolicy {
                id: format!("{param}.{}", i + 1),
                source_type: "none",
                policy,
                text: doc.clone(),
            })
        })
        .collect()
}

fn managed_sim(s: &State, account: &str, arn: &str) -> Option<SimPolicy> {
    let policy = compiled_managed(s, account, arn)?;
    let aws = aws_policy(arn);
    let text = match aws {
        Some(p) => p.default_document(),
        None => {
            let name = arn.rsplit('/').next()?;
            let p = s.policies.get(&crate::state::name_key(account, name))?;
            p.default()?.document.clone()
        }
    };
    Some(SimPolicy {
        id: arn.rsplit('/').next().unwrap_or(arn).to_string(),
        // A customer managed policy is reported as `IAM Policy`, a value outside the model's enum,
        // as AWS's recorded answer shows (LocalStack's test_iam.snapshot.json,
        // test_simulate_principle_policy).
        source_type: if aws.is_some() {
            "aws-managed"
        } else {
            "IAM Policy"
        },
        policy,
        text,
    })
}

/// The stored identity policies and boundary of the user or group `arn`.
fn principal_policies(
    s: &State,
    account: &str,
    arn: &str,
) -> Result<(Vec<SimPolicy>, Option<SimPolicy>)> {
    let not_found = || {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let kind = arn
            .split(':')
            .nth(5)
            .and_then(|r| r.split('/').next())
            .unwrap_or("entity");
        CoreError::NoSuchEntity(format!("The {kind} with name {name} cannot be found."))
    };
    let kind = arn.split(':').nth(5).unwrap_or_default();
    let entity = ["user/", "group/", "role/"]
        .iter()
        .any(|k| kind.starts_with(k));
    if !arn.starts_with("arn:aws:iam::") || !entity {
        return Err(CoreError::InvalidInput(format!(
            "Invalid Entity Arn: {arn} does not clearly define entity type and name."
        )));
    }
    let rest = arn
        .strip_prefix(&format!("arn:aws:iam::{account}:"))
        .ok_or_else(not_found)?;
    let name = rest.rsplit('/').next().unwrap_or(rest);
    let inline =
        |owner_type: &'static str, list: &[crate::model::InlinePolicy]| -> Vec<SimPolicy> {
            list.iter()
                .filter_map(|p| {
                    Some(SimPolicy {
                        id: p.name.clone(),
                        source_type: owner_type,
                        policy: p.compiled.0.clone()?,
                        text: p.document.clone(),
                    })
                })
                .collect()
        };
    if rest.starts_with("user/") {
        let u = s
            .user(account, name)
            .filter(|u| u.arn() == arn)
            .ok_or_else(not_found)?;
        let mut out = inline("user", &u.inline_policies);
        let mut managed: Vec<&String> = u.attached_policies.iter().collect();
        for g in u.groups.iter().filter_map(|g| s.group(account, g)) {
            out.extend(inline("group", &g.inline_policies));
            managed.extend(g.attached_policies.iter());
        }
        managed.sort();
        managed.dedup();
        out.extend(
            managed
                .into_iter()
                .filter_map(|a| managed_sim(s, account, a)),
        );
        let boundary = u
            .permissions_boundary
            .as_deref()
            .and_then(|b| managed_sim(s, account, b));
        return Ok((out, boundary));
    }
    if rest.starts_with("role/") {
        let r = s
            .role(account, name)
            .filter(|r| r.arn() == arn)
            .ok_or_else(not_found)?;
        let mut out = inline("role", &r.inline_policies);
        out.extend(
            r.attached_policies
                .iter()
                .filter_map(|a| managed_sim(s, account, a)),
        );
        let boundary = r
            .permissions_boundary
            .as_deref()
            .and_then(|b| managed_sim(s, account, b));
        return Ok((out, boundary));
    }
    if rest.starts_with("group/") {
        let g = s
            .group(account, name)
            .filter(|g| g.arn() == arn)
            .ok_or_else(not_found)?;
        let mut out = inline("group", &g.inline_policies);
        out.extend(
            g.attached_policies
                .iter()
                .filter_map(|a| managed_sim(s, account, a)),
        );
        return Ok((out, None));
    }
    Err(not_found())
}

/// The position of the `}` closing the object that opens at `offset`.
fn closing_brace(text: &str, offset: usize) -> Option<Position> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let (mut line, mut column) = (1u32, 1u32);
    for (i, c) in text.char_indices() {
        if i >= offset {
            match (in_string, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (true, false, '"') => in_string = false,
                (false, _, '"') => in_string = true,
                (false, _, '{') => depth += 1,
                (false, _, '}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(Position { line, column });
                    }
                }
                _ => {}
            }
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    None
}

/// The context keys a policy reads: condition keys, and policy variables in
/// resources and condition values (`${aws:username}`; `${*}`-style escapes
/// are not keys). Lower-cased, sorted, unique, as AWS reports them.
pub fn context_keys<'a>(policies: impl IntoIterator<Item = &'a Policy>) -> Vec<String> {
    fn variables(text: &str, out: &mut Vec<String>) {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let key = after[..end].split(',').next().unwrap_or_default().trim();
            if key.contains(':') {
                out.push(key.to_lowercase());
            }
            rest = &after[end + 1..];
        }
    }
    let mut keys = Vec::new();
    for st in policies
        .into_iter()
        .flat_map(|p| p.document().statements.iter())
    {
        for c in &st.conditions {
            keys.push(c.key.value.to_lowercase());
            c.values.iter().for_each(|v| variables(&v.value, &mut keys));
        }
        for r in st.resource.iter().flat_map(|r| r.values.iter()) {
            variables(&r.value, &mut keys);
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Context keys of the policies that the request's context lacks.
fn missing_context(
    identity: &[SimPolicy],
    boundary: Option<&SimPolicy>,
    given: &[(String, ContextValue)],
) -> Vec<String> {
    let policies = identity.iter().chain(boundary).map(|p| p.policy.as_ref());
    context_keys(policies)
        .into_iter()
        .filter(|k| !given.iter().any(|(g, _)| g.eq_ignore_ascii_case(k)))
        .collect()
}

fn decision_name(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Allow => "allowed",
        DecisionKind::ExplicitDeny => "explicitDeny",
        DecisionKind::ImplicitDeny => "implicitDeny",
    }
}

fn named(list: &[SimPolicy]) -> Vec<NamedPolicy> {
    list.iter()
        .map(|p| NamedPolicy::new(p.id.as_str(), Arc::clone(&p.policy)))
        .collect()
}

/// How the simulated principal's organization limits it.
#[derive(Debug, Clone, Default)]
pub struct OrgLimits {
    /// Whether the principal's account belongs to an organization (AWS
    /// reports `OrganizationsDecisionDetail` only then).
    pub in_organization: bool,
    /// The SCP levels that apply (root first); `None` for a management
    /// account or when SCPs are not enabled.
    pub scp_levels: Option<Vec<Vec<NamedPolicy>>>,
}

impl OrgLimits {
    /// The limits on principals of `account`.
    pub(crate) fn of(s: &State, account: &str) -> Self {
        OrgLimits {
            in_organization: crate::orgs::organization_of(s, account).is_some(),
            scp_levels: crate::orgs::org_policies::scp_levels(s, account),
        }
    }
}

/// Runs every (action, resource) pair.
pub fn run(
    identity: &[SimPolicy],
    boundary: Option<&SimPolicy>,
    org: &OrgLimits,
    req: &SimRequest,
) -> Result<Vec<SimResult>> {
    let resource_policy = req
        .resource_policy
        .as_deref()
        .map(|doc| input_policies(&[doc.to_string()], "ResourcePolicy", PolicyType::Resource))
        .transpose()?
        .and_then(|mut v| v.pop())
        .map(|mut p| {
            p.source_type = "resource";
            p
        });
    let principal = Principal::parse(&req.caller_arn).map_err(|e| {
        CoreError::InvalidInput(format!("Invalid CallerArn {}: {e}", req.caller_arn))
    })?;
    let identity_named = named(identity);
    let boundary_named = boundary.map(|b| NamedPolicy::new(b.id.as_str(), Arc::clone(&b.policy)));
    let resource_named = resource_policy
        .as_ref()
        .map(|r| NamedPolicy::new(r.id.as_str(), Arc::clone(&r.policy)));
    let scp_levels = org.scp_levels.as_deref().unwrap_or_default();
    let set = PolicySet {
        identity: &identity_named,
        boundary: boundary_named.as_ref(),
        resource: resource_named.as_ref(),
        scp_levels,
        ..PolicySet::default()
    };
    let boundary_only = boundary_named.as_ref().map(std::slice::from_ref);
    let opts = EvalOptions {
        principal_account_is_management: org.scp_levels.is_none(),
        // AWS's simulator decides sts:AssumeRole* from the identity policies (aws/aws-cli#10314).
        trust_and_key_policies_optional: true,
        ..EvalOptions::default()
    };
    // SCPs alone, under an identity policy that allows everything, tell
    // whether the organization allows a request.
    let allow_all: Vec<NamedPolicy> = crate::orgs::org_policies::allow_everything()
        .map(|p| NamedPolicy::new("allow-all", p))
        .into_iter()
        .collect();
    let scps_only = PolicySet {
        identity: &allow_all,
        scp_levels,
        ..PolicySet::default()
    };
    let star = ["*".to_string()];
    let resources: &[String] = if req.resources.is_empty() {
        &star
    } else {
        &req.resources
    };
    let mut out = Vec::new();
    for action in &req.actions {
        for resource in resources {
            let mut ctx = RequestContext::new(principal.clone(), action, resource)
                .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
            for (k, v) in &req.context {
                ctx.insert(k, v.clone());
            }
            if let Some(owner) = &req.resource_owner {
                if let Some(acct) = owner.split(':').nth(4).filter(|a| !a.is_empty()) {
                    ctx.set_resource_account(acct);
                }
            }
            let decision = evaluate(&ctx, &set, &opts);
            let matched = decision
                .matched()
                .iter()
                .filter_map(|r| {
                    let source = match r.policy_type {
                        // AWS reports the boundary in its own detail, not
                        // among the matched statements.
                        PolicyType::Boundary => return None,
                        // Nor SCPs: they have their own detail too.
                        PolicyType::Scp | PolicyType::Rcp => return None,
                        PolicyType::Resource => resource_policy.as_ref()?,
                        _ => identity.get(usize::from(r.policy))?,
                    };
                    let loc = source
                        .policy
                        .document()
                        .statements
                        .get(r.statement as usize)?
                        .loc;
                    // AWS counts a statement from just inside its opening
                    // brace to its closing brace.
                    Some(SimStatement {
                        source_policy_id: source.id.clone(),
                        source_policy_type: source.source_type,
                        start: Position {
                            line: loc.line,
                            column: loc.column + 1,
                        },
                        end: closing_brace(&source.text, loc.offset as usize).map(|p| Position {
                            line: p.line,
                            column: p.column + 1,
                        }),
                    })
                })
                .collect();
            let allowed_by_boundary = boundary_only.map(|b| {
                let only = PolicySet {
                    identity: b,
                    ..PolicySet::default()
                };
                evaluate(&ctx, &only, &opts).kind == DecisionKind::Allow
            });
            let allowed_by_organizations = org
                .in_organization
                .then(|| evaluate(&ctx, &scps_only, &opts).kind == DecisionKind::Allow);
            out.push(SimResult {
                action: action.clone(),
                resource: resource.clone(),
                decision: decision_name(decision.kind),
                matched,
                allowed_by_boundary,
                allowed_by_organizations,
                missing_context: missing_context(identity, boundary, &req.context),
            });
        }
    }
    Ok(out)
}

impl Iam<'_> {
    /// GetContextKeysForPrincipalPolicy: the keys of the principal's stored
    /// policies and of `extra`.
    pub fn principal_context_keys(
        &self,
        source_arn: &str,
        extra: &[SimPolicy],
    ) -> Result<Vec<String>> {
        let (identity, boundary) =
            principal_policies(&self.warden.read(), self.account, source_arn)?;
        let all = identity.iter().chain(boundary.as_ref()).chain(extra);
        Ok(context_keys(all.map(|p| p.policy.as_ref())))
    }

    /// SimulatePrincipalPolicy: the principal's stored policies plus
    /// `extra`; `boundary_override` replaces its boundary when given.
    pub fn simulate_principal(
        &self,
        source_arn: &str,
        extra: Vec<SimPolicy>,
        boundary_override: Option<SimPolicy>,
        mut req: SimRequest,
    ) -> Result<Vec<SimResult>> {
        let account = self.account;
        let (mut identity, boundary, org) = {
            let s = self.warden.read();
            let (identity, boundary) = principal_policies(&s, account, source_arn)?;
            (identity, boundary, OrgLimits::of(&s, account))
        };
        identity.extend(extra);
        let boundary = boundary_override.or(boundary);
        if req.caller_arn.is_empty() {
            // A group is not a principal: its policies are simulated for a
            // stand-in user of the same account.
            req.caller_arn = if source_arn.contains(":group/") {
                format!("arn:aws:iam::{account}:user/SimulatedGroupMember")
            } else {
                source_arn.to_string()
            };
        }
        run(&identity, boundary.as_ref(), &org, &req)
    }
}
