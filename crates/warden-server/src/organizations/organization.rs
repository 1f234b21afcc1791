//! The organization itself: create, describe and delete it, its root, and the policy types enabled
//! in the root.

use super::*;

pub(super) fn create_organization(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateOrganizationRequest,
) -> R<CreateOrganizationResponse> {
    let org = app
        .orgs(ctx)
        .create_organization(input.feature_set.as_ref().map(|f| f.as_str()))?;
    Ok(CreateOrganizationResponse {
        organization: Some(org_out(&org)),
    })
}

pub(super) fn describe_organization(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<DescribeOrganizationResponse> {
    let org = app.orgs(ctx).describe_organization()?;
    Ok(DescribeOrganizationResponse {
        organization: Some(org_out(&org)),
    })
}

pub(super) fn delete_organization(app: &AppState, ctx: &RequestCtx) -> R<()> {
    app.orgs(ctx).delete_organization()?;
    Ok(())
}

pub(super) fn list_roots(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListRootsRequest,
) -> R<ListRootsResponse> {
    let org = app.orgs(ctx).list_roots()?;
    paged(vec![root_out(&org)], &input, Clone::clone)
}

pub(super) fn enable_policy_type(
    app: &AppState,
    ctx: &RequestCtx,
    input: EnablePolicyTypeRequest,
) -> R<EnablePolicyTypeResponse> {
    let org = app
        .orgs(ctx)
        .enable_policy_type(&input.root_id, input.policy_type.as_str())?;
    Ok(EnablePolicyTypeResponse {
        root: Some(root_out(&org)),
    })
}

pub(super) fn disable_policy_type(
    app: &AppState,
    ctx: &RequestCtx,
    input: DisablePolicyTypeRequest,
) -> R<DisablePolicyTypeResponse> {
    let org = app
        .orgs(ctx)
        .disable_policy_type(&input.root_id, input.policy_type.as_str())?;
    Ok(DisablePolicyTypeResponse {
        root: Some(root_out(&org)),
    })
}
