//! The credential report and last-accessed reports
//! (GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails,
//! GetServiceLastAccessedDetailsWithEntities,
//! ListPoliciesGrantingServiceAccess).

use warden_core::iam::access_reports::{OrgReportSort, PolicyRef, ServiceAccess};
use warden_core::iam::reports::{ReportState, STARTED_DESCRIPTION};
use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;

use crate::edge::RequestCtx;
use crate::mapping::{ts, R};
use crate::AppState;

pub(super) fn generate_credential_report(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<GenerateCredentialReportResponse> {
    Ok(match app.iam(ctx).generate_credential_report()? {
        ReportState::Started => GenerateCredentialReportResponse {
            state: Some(ReportStateType::STARTED),
            description: Some(STARTED_DESCRIPTION.to_string()),
        },
        // AWS's COMPLETE carries no Description (prowler-cloud/prowler#272).
        ReportState::Complete => GenerateCredentialReportResponse {
            state: Some(ReportStateType::COMPLETE),
            description: None,
        },
    })
}

pub(super) fn get_credential_report(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<GetCredentialReportResponse> {
    let r = app.iam(ctx).credential_report()?;
    Ok(GetCredentialReportResponse {
        content: Some(r.content.into_bytes()),
        report_format: Some(ReportFormatType::from("text/csv".to_string())),
        generated_time: Some(ts(r.generated)),
    })
}

pub(super) fn generate_service_last_accessed_details(
    app: &AppState,
    ctx: &RequestCtx,
    input: GenerateServiceLastAccessedDetailsRequest,
) -> R<GenerateServiceLastAccessedDetailsResponse> {
    let action_level = input
        .granularity
        .is_some_and(|g| g.as_str() == AccessAdvisorUsageGranularityType::ACTION_LEVEL.as_str());
    let id = app.iam(ctx).generate_service_last_accessed_details(
        &input.arn,
        action_level,
        &ctx.caller.arn,
    )?;
    Ok(GenerateServiceLastAccessedDetailsResponse { job_id: Some(id) })
}

fn service_out(s: ServiceAccess) -> ServiceLastAccessed {
    ServiceLastAccessed {
        service_name: s.service_name,
        service_namespace: s.namespace,
        last_authenticated: s.last.as_ref().map(|(t, _, _)| ts(*t)),
        last_authenticated_entity: s.last.as_ref().map(|(_, e, _)| e.clone()),
        last_authenticated_region: s.last.as_ref().map(|(_, _, r)| r.clone()),
        total_authenticated_entities: Some(s.total_entities),
        tracked_actions_last_accessed: s.tracked.map(|actions| {
            actions
                .into_iter()
                .map(|(name, last)| TrackedActionLastAccessed {
                    action_name: Some(name),
                    last_accessed_time: last.as_ref().map(|(t, _, _)| ts(*t)),
                    last_accessed_entity: last.as_ref().map(|(_, e, _)| e.clone()),
                    last_accessed_region: last.map(|(_, _, r)| r),
                })
                .collect()
        }),
    }
}

pub(super) fn get_service_last_accessed_details(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetServiceLastAccessedDetailsRequest,
) -> R<GetServiceLastAccessedDetailsResponse> {
    let query = PageQuery {
        marker: input.marker,
        max_items: input.max_items,
    };
    let (job, page) =
        app.iam(ctx)
            .service_last_accessed_details(&input.job_id, &ctx.caller.arn, query)?;
    Ok(GetServiceLastAccessedDetailsResponse {
        job_status: JobStatusType::COMPLETED,
        job_type: Some(if job.action_level {
            AccessAdvisorUsageGranularityType::ACTION_LEVEL
        } else {
            AccessAdvisorUsageGranularityType::SERVICE_LEVEL
        }),
        job_creation_date: ts(job.created),
        job_completion_date: ts(job.created),
        is_truncated: Some(page.is_truncated()),
        marker: page.marker,
        services_last_accessed: page.items.into_iter().map(service_out).collect(),
        error: None,
    })
}

pub(super) fn get_service_last_accessed_details_with_entities(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetServiceLastAccessedDetailsWithEntitiesRequest,
) -> R<GetServiceLastAccessedDetailsWithEntitiesResponse> {
    let query = PageQuery {
        marker: input.marker,
        max_items: input.max_items,
    };
    let (job, page) = app.iam(ctx).service_last_accessed_entities(
        &input.job_id,
        &ctx.caller.arn,
        &input.service_namespace,
        query,
    )?;
    Ok(GetServiceLastAccessedDetailsWithEntitiesResponse {
        job_status: JobStatusType::COMPLETED,
        job_creation_date: ts(job.created),
        job_completion_date: ts(job.created),
        is_truncated: Some(page.is_truncated()),
        marker: page.marker,
        entity_details_list: page
            .items
            .into_iter()
            .map(|e| EntityDetails {
                entity_info: EntityInfo {
                    arn: e.entity.arn,
                    name: e.entity.name,
                    type_: PolicyOwnerEntityType::from(e.entity.kind.to_string()),
                    id: e.entity.id,
                    path: Some(e.entity.path),
                },
                last_authenticated: e.last.map(ts),
            })
            .collect(),
        error: None,
    })
}

/// A policy as ListPoliciesGrantingServiceAccess names it: a managed one by
/// ARN, an inline one by its holder (the model: EntityType and EntityName
/// "are null for managed policies").
fn granting_out(p: PolicyRef) -> PolicyGrantingServiceAccess {
    let (entity_type, entity_name) = match p.holder {
        Some((kind, name)) => (
            Some(PolicyOwnerEntityType::from(kind.to_string())),
            Some(name),
        ),
        None => (None, None),
    };
    PolicyGrantingServiceAccess {
        policy_name: p.name,
        policy_type: if p.arn.is_some() {
            PolicyType::MANAGED
        } else {
            PolicyType::INLINE
        },
        policy_arn: p.arn,
        entity_type,
        entity_name,
    }
}

pub(super) fn list_policies_granting_service_access(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListPoliciesGrantingServiceAccessRequest,
) -> R<ListPoliciesGrantingServiceAccessResponse> {
    // At most 200 namespaces (the model's constraint, checked by the
    // decoder), so one page holds the whole answer.
    let entries = app
        .iam(ctx)
        .policies_granting_service_access(&input.arn, &input.service_namespaces)?;
    Ok(ListPoliciesGrantingServiceAccessResponse {
        policies_granting_service_access: entries
            .into_iter()
            .map(|e| ListPoliciesGrantingServiceAccessEntry {
                service_namespace: Some(e.namespace),
                policies: Some(e.policies.into_iter().map(granting_out).collect()),
            })
            .collect(),
        is_truncated: Some(false),
        marker: None,
    })
}

pub(super) fn generate_organizations_access_report(
    app: &AppState,
    ctx: &RequestCtx,
    input: GenerateOrganizationsAccessReportRequest,
) -> R<GenerateOrganizationsAccessReportResponse> {
    let id = app.iam(ctx).generate_organizations_access_report(
        &input.entity_path,
        input.organizations_policy_id.as_deref(),
        &ctx.caller.arn,
    )?;
    Ok(GenerateOrganizationsAccessReportResponse { job_id: Some(id) })
}

pub(super) fn get_organizations_access_report(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetOrganizationsAccessReportRequest,
) -> R<GetOrganizationsAccessReportResponse> {
    // The decoder admits only the model's four SortKey values.
    let sort = match input.sort_key.as_ref().map(SortKeyType::as_str) {
        Some("SERVICE_NAMESPACE_DESCENDING") => OrgReportSort::NamespaceDescending,
        Some("LAST_AUTHENTICATED_TIME_ASCENDING") => OrgReportSort::LastAuthenticatedAscending,
        Some("LAST_AUTHENTICATED_TIME_DESCENDING") => OrgReportSort::LastAuthenticatedDescending,
        _ => OrgReportSort::NamespaceAscending,
    };
    let query = PageQuery {
        marker: input.marker,
        max_items: input.max_items,
    };
    let r = app
        .iam(ctx)
        .organizations_access_report(&input.job_id, sort, query)?;
    Ok(GetOrganizationsAccessReportResponse {
        job_status: JobStatusType::COMPLETED,
        job_creation_date: ts(r.created),
        job_completion_date: Some(ts(r.created)),
        number_of_services_accessible: Some(r.accessible),
        number_of_services_not_accessed: Some(r.not_accessed),
        is_truncated: Some(r.page.is_truncated()),
        marker: r.page.marker,
        access_details: Some(
            r.page
                .items
                .into_iter()
                .map(|i| AccessDetail {
                    service_name: i.service_name,
                    service_namespace: i.namespace,
                    last_authenticated_time: i.last.as_ref().map(|(t, _, _)| ts(*t)),
                    region: i.last.as_ref().map(|(_, r, _)| r.clone()),
                    entity_path: i.last.map(|(_, _, p)| p),
                    total_authenticated_entities: Some(i.total_entities),
                })
                .collect(),
        ),
        error_details: None,
    })
}
