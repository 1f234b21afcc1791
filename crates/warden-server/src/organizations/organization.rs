//! The organization itself: create and describe it, its root, and the policy types enabled in the root.

use super::*;

pub(super) fn create_organization(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateOrganizationRequest,
) -> R<CreateOrganizationResponse> {
    let org = app.warden.create_organization(
        &ctx.caller.account,
        input.feature_set.as_ref().map(|f| f.as_str()),
    )?;
    Ok(CreateOrganizationResponse {
        organization: Some(org_out(&org)),
    })
}

pub(super) fn describe_organization(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<DescribeOrganizationResponse> {
    let org = app.warden.describe_organization(&ctx.caller.account)?;
    Ok(DescribeOrganizationResponse {
        organization: Some(org_out(&org)),
    })
}

pub(super) fn list_roots(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListRootsRequest,
) -> R<ListRootsResponse> {
    let org = app.warden.list_roots(&ctx.caller.account)?;
    paged(vec![root_out(&org)], &input, Clone::clone)
}

pub(super) fn enable_policy_type(
    app: &AppState,
    ctx: &RequestCtx,
    input: EnablePolicyTypeRequest,
) -> R<EnablePolicyTypeResponse> {
    let org = app.warden.enable_policy_type(
        &ctx.caller.account,
        &input.root_id,
        input.policy_type.as_str(),
    )?;
    Ok(EnablePolicyTypeResponse {
        root: Some(root_out(&org)),
    })
}

pub(super) fn disable_policy_type(
    app: &AppState,
    ctx: &RequestCtx,
    input: DisablePolicyTypeRequest,
) -> R<DisablePolicyTypeResponse> {
    let org = app.warden.disable_policy_type(
        &ctx.caller.account,
        &input.root_id,
        input.policy_type.as_str(),
    )?;
    Ok(DisablePolicyTypeResponse {
        root: Some(root_out(&org)),
    })
}
