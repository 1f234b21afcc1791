//! The policy simulator and the context keys a policy uses.

use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;

use crate::edge::RequestCtx;
use crate::mapping::{page_by_position, page_out, R};
use crate::AppState;

/// ContextEntries as policy context values: list types stay lists, so set
/// operators see every value; scalar types take the one value.
fn context_entries(
    entries: Option<Vec<ContextEntry>>,
) -> Vec<(String, warden_policy::ContextValue)> {
    entries
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| {
            let key = e.context_key_name?;
            let values = e.context_key_values.unwrap_or_default();
            let is_list = e
                .context_key_type
                .as_ref()
                .is_some_and(|t| t.as_str().ends_with("List"));
            let value = if is_list || values.len() != 1 {
                warden_policy::ContextValue::from(values)
            } else {
                warden_policy::ContextValue::from(values.into_iter().next().unwrap_or_default())
            };
            Some((key, value))
        })
        .collect()
}

fn simulation_out(
    results: Vec<warden_core::simulate::SimResult>,
    paging: PageQuery,
) -> R<SimulatePolicyResponse> {
    let page = page_by_position(results, 6, paging)?;
    Ok(page_out(page, |r| {
        let matched: Vec<Statement> = r
            .matched
            .iter()
            .map(|m| Statement {
                source_policy_id: Some(m.source_policy_id.clone()),
                source_policy_type: Some(PolicySourceType::from(m.source_policy_type.to_string())),
                start_position: Some(Position {
                    line: Some(m.start.line as i32),
                    column: Some(m.start.column as i32),
                }),
                end_position: m.end.map(|e| Position {
                    line: Some(e.line as i32),
                    column: Some(e.column as i32),
                }),
            })
            .collect();
        let decision = PolicyEvaluationDecisionType::from(r.decision.to_string());
        // A named resource gets its own ResourceSpecificResults entry (carrying the missing
        // context keys; the top-level list is for `*` only) and an empty EvalDecisionDetails, as
        // AWS's recorded answer shows (LocalStack's test_iam.snapshot.json,
        // test_simulate_principle_policy; the API reference's MissingContextValues text).
        let named = r.resource != "*";
        let per_resource = named.then(|| {
            vec![ResourceSpecificResult {
                eval_resource_name: r.resource.clone(),
                eval_resource_decision: decision.clone(),
                matched_statements: Some(matched.clone()),
                missing_context_values: Some(r.missing_context.clone()),
                eval_decision_details: None,
                permissions_boundary_decision_detail: None,
            }]
        });
        EvaluationResult {
            eval_action_name: r.action.clone(),
            eval_resource_name: Some(r.resource.clone()),
            eval_decision: decision,
            matched_statements: Some(matched),
            missing_context_values: Some(if named {
                Vec::new()
            } else {
                r.missing_context.clone()
            }),
            organizations_decision_detail: r.allowed_by_organizations.map(|a| {
                OrganizationsDecisionDetail {
                    allowed_by_organizations: Some(a),
                }
            }),
            permissions_boundary_decision_detail: r.allowed_by_boundary.map(|a| {
                PermissionsBoundaryDecisionDetail {
                    allowed_by_permissions_boundary: Some(a),
                }
            }),
            eval_decision_details: named.then(Default::default),
            resource_specific_results: per_resource,
        }
    }))
}

pub(super) fn simulate_principal_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: SimulatePrincipalPolicyRequest,
) -> R<SimulatePolicyResponse> {
    let paging = PageQuery::of(&input);
    use warden_core::simulate::{input_policies, SimRequest};
    use warden_policy::PolicyType;
    let extra = input_policies(
        &input.policy_input_list.unwrap_or_default(),
        "PolicyInputList",
        PolicyType::Identity,
    )?;
    let boundary = input_policies(
        &input
            .permissions_boundary_policy_input_list
            .unwrap_or_default(),
        "PermissionsBoundaryPolicyInputList",
        PolicyType::Boundary,
    )?
    .into_iter()
    .next();
    let req = SimRequest {
        caller_arn: input.caller_arn.unwrap_or_default(),
        actions: input.action_names,
        resources: input.resource_arns.unwrap_or_default(),
        context: context_entries(input.context_entries),
        resource_policy: input.resource_policy,
        resource_owner: input.resource_owner,
    };
    let results =
        app.iam(ctx)
            .simulate_principal(&input.policy_source_arn, extra, boundary, req)?;
    simulation_out(results, paging)
}

pub(super) fn simulate_custom_policy(
    _app: &AppState,
    ctx: &RequestCtx,
    input: SimulateCustomPolicyRequest,
) -> R<SimulatePolicyResponse> {
    let paging = PageQuery::of(&input);
    use warden_core::simulate::{input_policies, run, OrgLimits, SimRequest};
    use warden_policy::PolicyType;
    let identity = input_policies(
        &input.policy_input_list,
        "PolicyInputList",
        PolicyType::Identity,
    )?;
    let boundary = input_policies(
        &input
            .permissions_boundary_policy_input_list
            .unwrap_or_default(),
        "PermissionsBoundaryPolicyInputList",
        PolicyType::Boundary,
    )?
    .into_iter()
    .next();
    let req = SimRequest {
        // Only the input policies count: the simulated caller is an IAM
        // user with exactly those, even when root asks.
        caller_arn: input
            .caller_arn
            .unwrap_or_else(|| format!("arn:aws:iam::{}:user/SimulatedUser", ctx.caller.account)),
        actions: input.action_names,
        resources: input.resource_arns.unwrap_or_default(),
        context: context_entries(input.context_entries),
        resource_policy: input.resource_policy,
        resource_owner: input.resource_owner,
    };
    let results = run(&identity, boundary.as_ref(), &OrgLimits::default(), &req)?;
    simulation_out(results, paging)
}

pub(super) fn get_context_keys_for_custom_policy(
    _app: &AppState,
    _ctx: &RequestCtx,
    input: GetContextKeysForCustomPolicyRequest,
) -> R<GetContextKeysForPolicyResponse> {
    let policies = warden_core::simulate::input_policies(
        &input.policy_input_list,
        "PolicyInputList",
        warden_policy::PolicyType::Identity,
    )?;
    Ok(GetContextKeysForPolicyResponse {
        context_key_names: Some(warden_core::simulate::context_keys(
            policies.iter().map(|p| p.policy.as_ref()),
        )),
    })
}

pub(super) fn get_context_keys_for_principal_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetContextKeysForPrincipalPolicyRequest,
) -> R<GetContextKeysForPolicyResponse> {
    let extra = warden_core::simulate::input_policies(
        &input.policy_input_list.unwrap_or_default(),
        "PolicyInputList",
        warden_policy::PolicyType::Identity,
    )?;
    let keys = app
        .iam(ctx)
        .principal_context_keys(&input.policy_source_arn, &extra)?;
    Ok(GetContextKeysForPolicyResponse {
        context_key_names: Some(keys),
    })
}
