//! Organizations policies (SCPs and RCPs): create, describe, update, delete, list, attach and detach.

use super::*;

pub(super) fn create_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreatePolicyRequest,
) -> R<CreatePolicyResponse> {
    let tags = tags_of(input.tags);
    let policy = app.warden.create_org_policy(
        &ctx.caller.account,
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
    let policy = app
        .warden
        .describe_org_policy(&ctx.caller.account, &input.policy_id)?;
    Ok(DescribePolicyResponse {
        policy: Some(policy_out(&policy)),
    })
}

pub(super) fn update_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdatePolicyRequest,
) -> R<UpdatePolicyResponse> {
    let policy = app.warden.update_org_policy(
        &ctx.caller.account,
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
    app.warden
        .delete_org_policy(&ctx.caller.account, &input.policy_id)?;
    Ok(())
}

pub(super) fn list_policies(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListPoliciesRequest,
) -> R<ListPoliciesResponse> {
    let policies = app
        .warden
        .list_org_policies(&ctx.caller.account, input.filter.as_str())?;
    paged(policies, &input, summary_out)
}

pub(super) fn attach_policy(app: &AppState, ctx: &RequestCtx, input: AttachPolicyRequest) -> R<()> {
    app.warden
        .attach_org_policy(&ctx.caller.account, &input.policy_id, &input.target_id)?;
    Ok(())
}

pub(super) fn detach_policy(app: &AppState, ctx: &RequestCtx, input: DetachPolicyRequest) -> R<()> {
    app.warden
        .detach_org_policy(&ctx.caller.account, &input.policy_id, &input.target_id)?;
    Ok(())
}

pub(super) fn list_policies_for_target(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListPoliciesForTargetRequest,
) -> R<ListPoliciesForTargetResponse> {
    let policies = app.warden.org_policies_for_target(
        &ctx.caller.account,
        &input.target_id,
        input.filter.as_str(),
    )?;
    paged(policies, &input, summary_out)
}

pub(super) fn list_targets_for_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListTargetsForPolicyRequest,
) -> R<ListTargetsForPolicyResponse> {
    let targets = app
        .warden
        .org_targets_for_policy(&ctx.caller.account, &input.policy_id)?;
    paged(targets, &input, target_out)
}
