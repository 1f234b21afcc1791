//! Organizations policies (SCPs, RCPs and the management types): create, describe, update, delete,
//! list, attach and detach, and the effective management policies.

use super::*;

pub(super) fn create_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreatePolicyRequest,
) -> R<CreatePolicyResponse> {
    let tags = tags_of(input.tags);
    let policy = app.orgs(ctx).create_org_policy(
        &input.name,
        &input.description,
        input.type_.as_str(),
        &input.content,
        tags,
    )?;
    Ok(CreatePolicyResponse {
        policy: Some(policy_out(&policy)),
    })
}

pub(super) fn describe_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: DescribePolicyRequest,
) -> R<DescribePolicyResponse> {
    let policy = app.orgs(ctx).describe_org_policy(&input.policy_id)?;
    Ok(DescribePolicyResponse {
        policy: Some(policy_out(&policy)),
    })
}

pub(super) fn update_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdatePolicyRequest,
) -> R<UpdatePolicyResponse> {
    let policy = app.orgs(ctx).update_org_policy(
        &input.policy_id,
        input.name.as_deref(),
        input.description.as_deref(),
        input.content.as_deref(),
    )?;
    Ok(UpdatePolicyResponse {
        policy: Some(policy_out(&policy)),
    })
}

pub(super) fn delete_policy(app: &AppState, ctx: &RequestCtx, input: DeletePolicyRequest) -> R<()> {
    app.orgs(ctx).delete_org_policy(&input.policy_id)?;
    Ok(())
}

pub(super) fn list_policies(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListPoliciesRequest,
) -> R<ListPoliciesResponse> {
    let policies = app.orgs(ctx).list_org_policies(input.filter.as_str())?;
    paged(policies, &input, summary_out)
}

pub(super) fn attach_policy(app: &AppState, ctx: &RequestCtx, input: AttachPolicyRequest) -> R<()> {
    app.orgs(ctx)
        .attach_org_policy(&input.policy_id, &input.target_id)?;
    Ok(())
}

pub(super) fn detach_policy(app: &AppState, ctx: &RequestCtx, input: DetachPolicyRequest) -> R<()> {
    app.orgs(ctx)
        .detach_org_policy(&input.policy_id, &input.target_id)?;
    Ok(())
}

pub(super) fn list_policies_for_target(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListPoliciesForTargetRequest,
) -> R<ListPoliciesForTargetResponse> {
    let policies = app
        .orgs(ctx)
        .org_policies_for_target(&input.target_id, input.filter.as_str())?;
    paged(policies, &input, summary_out)
}

pub(super) fn list_targets_for_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListTargetsForPolicyRequest,
) -> R<ListTargetsForPolicyResponse> {
    let targets = app.orgs(ctx).org_targets_for_policy(&input.policy_id)?;
    paged(targets, &input, target_out)
}

pub(super) fn describe_effective_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: DescribeEffectivePolicyRequest,
) -> R<DescribeEffectivePolicyResponse> {
    let p = app
        .orgs(ctx)
        .describe_effective_policy(input.policy_type.as_str(), input.target_id.as_deref())?;
    Ok(DescribeEffectivePolicyResponse {
        effective_policy: Some(EffectivePolicy {
            policy_content: Some(p.content),
            last_updated_timestamp: Some(ts(p.last_updated)),
            target_id: Some(p.target),
            policy_type: Some(EffectivePolicyType::from(p.policy_type.to_string())),
        }),
    })
}

pub(super) fn list_accounts_with_invalid_effective_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListAccountsWithInvalidEffectivePolicyRequest,
) -> R<ListAccountsWithInvalidEffectivePolicyResponse> {
    let (org, accounts) = app
        .orgs(ctx)
        .accounts_with_invalid_effective_policy(input.policy_type.as_str())?;
    Ok(page_with(
        Some(input.policy_type.clone()),
        page_by_position(accounts, 6, PageQuery::of(&input))?,
        |m| account_out(&org, m),
    ))
}

pub(super) fn list_effective_policy_validation_errors(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListEffectivePolicyValidationErrorsRequest,
) -> R<ListEffectivePolicyValidationErrorsResponse> {
    let report = app
        .orgs(ctx)
        .effective_policy_validation_errors(&input.account_id, input.policy_type.as_str())?;
    let rest = (
        Some(report.account.clone()),
        Some(input.policy_type.clone()),
        Some(report.path.clone()),
        Some(ts(report.evaluated)),
    );
    Ok(page_with(
        rest,
        page_by_position(report.errors, 6, PageQuery::of(&input))?,
        |message| EffectivePolicyValidationError {
            error_message: Some(message.clone()),
            ..Default::default()
        },
    ))
}
