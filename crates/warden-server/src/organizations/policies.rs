//! Organizations policies (SCPs and RCPs): create, describe, update, delete, list, attach and detach.

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
