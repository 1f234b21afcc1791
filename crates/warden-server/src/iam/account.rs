//! The account as a whole: aliases, the summary, and the authorization details
//! of everything in it.

use warden_core::authorization_details::{AttachedName, DetailFilter, DetailItem};
use warden_core::model;
use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;

use super::{instance_profile_out, role_out, user_out, version_out};
use crate::edge::RequestCtx;
use crate::mapping::{page_into, page_out, ts, R};
use crate::AppState;

pub(super) fn get_account_authorization_details(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetAccountAuthorizationDetailsRequest,
) -> R<GetAccountAuthorizationDetailsResponse> {
    let paging = PageQuery::of(&input);
    // The domain's filter is text: the wire values, already checked on decode.
    let filter: Vec<String> = input
        .filter
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.as_str().to_string())
        .collect();
    let page = app
        .iam(ctx)
        .authorization_details(DetailFilter(&filter), paging)?;
    let details = |list: &[model::InlinePolicy]| -> Option<Vec<PolicyDetail>> {
        Some(
            list.iter()
                .map(|p| PolicyDetail {
                    policy_name: Some(p.name.clone()),
                    policy_document: Some(p.document.clone()),
                })
                .collect(),
        )
    };
    let attached = |list: Vec<AttachedName>| -> Option<Vec<AttachedPolicy>> {
        Some(
            list.into_iter()
                .map(|a| AttachedPolicy {
                    policy_name: a.name,
                    policy_arn: Some(a.arn),
                })
                .collect(),
        )
    };
    Ok(page_into(page, |items| {
        let (mut users, mut groups, mut roles, mut policies) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for item in items {
            match item {
                DetailItem::User {
                    user: u,
                    groups,
                    attached: a,
                } => {
                    let base = user_out(&u);
                    users.push(UserDetail {
                        path: base.path,
                        user_name: base.user_name,
                        user_id: Some(base.user_id),
                        arn: Some(base.arn),
                        create_date: Some(base.create_date),
                        user_policy_list: details(&u.inline_policies),
                        group_list: Some(groups),
                        attached_managed_policies: attached(a),
                        permissions_boundary: base.permissions_boundary,
                        tags: base.tags,
                    });
                }
                DetailItem::Group {
                    group: g,
                    attached: a,
                } => groups.push(GroupDetail {
                    path: Some(g.path.clone()),
                    group_name: Some(g.name.clone()),
                    group_id: Some(g.id.clone()),
                    arn: Some(g.arn()),
                    create_date: Some(ts(g.created)),
                    group_policy_list: details(&g.inline_policies),
                    attached_managed_policies: attached(a),
                }),
                DetailItem::Role {
                    role: r,
                    trust_document,
                    instance_profiles,
                    attached: a,
                } => {
                    let base = role_out(&r);
                    roles.push(RoleDetail {
                        path: Some(base.path),
                        role_name: Some(base.role_name),
                        role_id: Some(base.role_id),
                        arn: Some(base.arn),
                        create_date: Some(base.create_date),
                        assume_role_policy_document: Some(trust_document),
                        instance_profile_list: Some(
                            instance_profiles
                                .iter()
                                .map(|p| instance_profile_out(p, Some(&r)))
                                .collect(),
                        ),
                        role_policy_list: details(&r.inline_policies),
                        attached_managed_policies: attached(a),
                        permissions_boundary: base.permissions_boundary,
                        tags: base.tags,
                        role_last_used: base.role_last_used,
                    });
                }
                DetailItem::Policy {
                    policy: v,
                    versions,
                } => policies.push(ManagedPolicyDetail {
                    policy_name: Some(v.name),
                    policy_id: Some(v.id),
                    arn: Some(v.arn),
                    path: Some(v.path),
                    default_version_id: Some(v.default_version),
                    attachment_count: Some(v.attachment_count),
                    permissions_boundary_usage_count: Some(v.boundary_usage_count),
                    is_attachable: Some(true),
                    description: v.description,
                    create_date: Some(ts(v.created)),
                    update_date: Some(ts(v.updated)),
                    policy_version_list: Some(
                        versions.iter().map(|x| version_out(x, true)).collect(),
                    ),
                }),
            }
        }
        GetAccountAuthorizationDetailsResponse {
            user_detail_list: Some(users),
            group_detail_list: Some(groups),
            role_detail_list: Some(roles),
            policies: Some(policies),
            ..Default::default()
        }
    }))
}

pub(super) fn create_account_alias(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateAccountAliasRequest,
) -> R<()> {
    app.iam(ctx).create_account_alias(&input.account_alias)?;
    Ok(())
}

pub(super) fn delete_account_alias(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteAccountAliasRequest,
) -> R<()> {
    app.iam(ctx).delete_account_alias(&input.account_alias)?;
    Ok(())
}

pub(super) fn list_account_aliases(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListAccountAliasesRequest,
) -> R<ListAccountAliasesResponse> {
    let aliases = app.iam(ctx).account_aliases()?;
    let page = warden_core::page::paginate(aliases, Clone::clone, PageQuery::of(&input))?;
    Ok(page_out(page, Clone::clone))
}

pub(super) fn get_account_summary(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<GetAccountSummaryResponse> {
    let summary = app.iam(ctx).account_summary()?;
    Ok(GetAccountSummaryResponse {
        summary_map: Some(
            summary
                .into_iter()
                .map(|(k, v)| (SummaryKeyType::from(k.to_string()), v))
                .collect(),
        ),
    })
}

pub(super) fn set_security_token_service_preferences(
    app: &AppState,
    ctx: &RequestCtx,
    input: SetSecurityTokenServicePreferencesRequest,
) -> R<()> {
    // The wire decoder has already refused anything but v1Token and v2Token.
    let v2 = input.global_endpoint_token_version == GlobalEndpointTokenVersion::V2_TOKEN;
    app.iam(ctx).set_global_endpoint_token_version(v2)?;
    Ok(())
}
