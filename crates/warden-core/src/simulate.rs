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
use crate::policies::{aws_policies, compile_document, compiled_managed};
use crate::state::State;
use crate::Warden;

/// A policy taking part in a simulation, with the id and type AWS reports
/// in `MatchedStatements` (`user`, `group`, `role`, `aws-managed`,
/// `user-managed`, `resource`, `none`).
#[derive(Debug, Clone)]
pub struct SimPolicy {
    pub id: String,
    pub source_type: &'static str,
    pub policy: Arc<Policy>,
}

/// One matched statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimStatement {
    pub source_policy_id: String,
    pub source_policy_type: &'static str,
    pub line: u32,
    pub column: u32,
}

/// One (action, resource) result.
#[derive(Debug, Clone)]
pub struct SimResult {
    pub action: String,
    pub resource: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: &'static str,
    pub matched: Vec<SimStatement>,
    /// Whether the boundary allows the action; `None` without a boundary.
    pub allowed_by_boundary: Option<bool>,
}

/// What to simulate.
#[derive(Debug, Clone, Default)]
pub struct SimRequest {
    /// The principal the request is made as (`CallerArn`, or the simulated
    /// user itself).
    pub caller_arn: String,
    pub actions: Vec<String>,
    /// `*` when none are given.
    pub resources: Vec<String>,
    pub context: Vec<(String, ContextValue)>,
    pub resource_policy: Option<String>,
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
            })
        })
        .collect()
}

fn managed_sim(s: &State, account: &str, arn: &str) -> Option<SimPolicy> {
    let policy = compiled_managed(s, account, arn)?;
    let aws = aws_policies().iter().any(|p| p.arn == arn);
    Some(SimPolicy {
        id: arn.rsplit('/').next().unwrap_or(arn).to_string(),
        source_type: if aws { "aws-managed" } else { "user-managed" },
        policy,
    })
}

/// The stored identity policies and boundary of the user or group `arn`.
fn principal_policies(
    s: &State,
    account: &str,
    arn: &str,
) -> Result<(Vec<SimPolicy>, Option<SimPolicy>)> {
    let not_found = || CoreError::NoSuchEntity(format!("Entity {arn} does not exist."));
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

/// Runs every (action, resource) pair.
pub fn run(
    identity: &[SimPolicy],
    boundary: Option<&SimPolicy>,
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
    let set = PolicySet {
        identity: &identity_named,
        boundary: boundary_named.as_ref(),
        resource: resource_named.as_ref(),
        ..PolicySet::default()
    };
    let boundary_only = boundary_named.as_ref().map(std::slice::from_ref);
    let opts = EvalOptions {
        principal_account_is_management: true,
        ..EvalOptions::default()
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
                        PolicyType::Boundary => boundary?,
                        PolicyType::Resource => resource_policy.as_ref()?,
                        _ => identity.get(usize::from(r.policy))?,
                    };
                    let loc = source
                        .policy
                        .document()
                        .statements
                        .get(r.statement as usize)?
                        .loc;
                    Some(SimStatement {
                        source_policy_id: source.id.clone(),
                        source_policy_type: source.source_type,
                        line: loc.line,
                        column: loc.column,
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
            out.push(SimResult {
                action: action.clone(),
                resource: resource.clone(),
                decision: decision_name(decision.kind),
                matched,
                allowed_by_boundary,
            });
        }
    }
    Ok(out)
}

impl Warden {
    /// SimulatePrincipalPolicy: the principal's stored policies plus
    /// `extra`; `boundary_override` replaces its boundary when given.
    pub fn simulate_principal(
        &self,
        account: &str,
        source_arn: &str,
        extra: Vec<SimPolicy>,
        boundary_override: Option<SimPolicy>,
        mut req: SimRequest,
    ) -> Result<Vec<SimResult>> {
        let (mut identity, boundary) = principal_policies(&self.read(), account, source_arn)?;
        identity.extend(extra);
        let boundary = boundary_override.or(boundary);
        if req.caller_arn.is_empty() {
            req.caller_arn = source_arn.to_string();
        }
        run(&identity, boundary.as_ref(), &req)
    }
}
