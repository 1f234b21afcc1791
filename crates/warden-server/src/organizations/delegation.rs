//! What the management account hands to others: trusted service access,
//! delegated administrators, the organization's resource policy, and
//! CloseAccount.

use warden_core::orgs::resource_policy::ResourcePolicyView;

use super::*;

pub(super) fn enable_aws_service_access(
    app: &AppState,
    ctx: &RequestCtx,
    input: EnableAWSServiceAccessRequest,
) -> R<()> {
    app.orgs(ctx)
        .enable_service_access(&input.service_principal)?;
    Ok(())
}

pub(super) fn disable_aws_service_access(
    app: &AppState,
    ctx: &RequestCtx,
    input: DisableAWSServiceAccessRequest,
) -> R<()> {
    app.orgs(ctx)
        .disable_service_access(&input.service_principal)?;
    Ok(())
}

pub(super) fn list_aws_service_access_for_organization(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListAWSServiceAccessForOrganizationRequest,
) -> R<ListAWSServiceAccessForOrganizationResponse> {
    let enabled = app.orgs(ctx).list_service_access()?;
    paged(enabled, &input, |a| EnabledServicePrincipal {
        service_principal: Some(a.service_principal.clone()),
        date_enabled: Some(ts(a.enabled)),
    })
}

pub(super) fn register_delegated_administrator(
    app: &AppState,
    ctx: &RequestCtx,
    input: RegisterDelegatedAdministratorRequest,
) -> R<()> {
    app.orgs(ctx)
        .register_delegated_admin(&input.account_id, &input.service_principal)?;
    Ok(())
}

pub(super) fn deregister_delegated_administrator(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeregisterDelegatedAdministratorRequest,
) -> R<()> {
    app.orgs(ctx)
        .deregister_delegated_admin(&input.account_id, &input.service_principal)?;
    Ok(())
}

pub(super) fn list_delegated_administrators(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListDelegatedAdministratorsRequest,
) -> R<ListDelegatedAdministratorsResponse> {
    let (org, admins) = app
        .orgs(ctx)
        .list_delegated_admins(input.service_principal.as_deref())?;
    paged(admins, &input, |v| {
        let a = account_out(&org, &v.member);
        DelegatedAdministrator {
            id: a.id,
            arn: a.arn,
            email: a.email,
            name: a.name,
            status: a.status,
            state: a.state,
            joined_method: a.joined_method,
            joined_timestamp: a.joined_timestamp,
            delegation_enabled_date: Some(ts(v.delegation_enabled)),
        }
    })
}

pub(super) fn list_delegated_services_for_account(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListDelegatedServicesForAccountRequest,
) -> R<ListDelegatedServicesForAccountResponse> {
    let services = app.orgs(ctx).list_delegated_services(&input.account_id)?;
    paged(services, &input, |d| DelegatedService {
        service_principal: Some(d.service_principal.clone()),
        delegation_enabled_date: Some(ts(d.enabled)),
    })
}

fn resource_policy_out(p: &ResourcePolicyView) -> ResourcePolicy {
    ResourcePolicy {
        resource_policy_summary: Some(ResourcePolicySummary {
            id: Some(p.id.clone()),
            arn: Some(p.arn.clone()),
        }),
        content: Some(p.content.clone()),
    }
}

pub(super) fn put_resource_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: PutResourcePolicyRequest,
) -> R<PutResourcePolicyResponse> {
    let p = app
        .orgs(ctx)
        .put_resource_policy(&input.content, tags_of(input.tags))?;
    Ok(PutResourcePolicyResponse {
        resource_policy: Some(resource_policy_out(&p)),
    })
}

pub(super) fn describe_resource_policy(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<DescribeResourcePolicyResponse> {
    let p = app.orgs(ctx).describe_resource_policy()?;
    Ok(DescribeResourcePolicyResponse {
        resource_policy: Some(resource_policy_out(&p)),
    })
}

pub(super) fn delete_resource_policy(app: &AppState, ctx: &RequestCtx) -> R<()> {
    app.orgs(ctx).delete_resource_policy()?;
    Ok(())
}

pub(super) fn close_account(app: &AppState, ctx: &RequestCtx, input: CloseAccountRequest) -> R<()> {
    app.orgs(ctx).close_member_account(&input.account_id)?;
    Ok(())
}
