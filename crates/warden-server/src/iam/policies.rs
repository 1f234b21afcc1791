//! Policies: managed policies and their versions and tags, the inline policies
//! and attachments of users, groups and roles, and permissions boundaries.

use warden_core::page::PageQuery;
use warden_core::policies::{Holder, NewPolicy, PolicyFilter, PolicyView};
use warden_wire::generated::iam::*;
use warden_wire::page::{PageItems, PageRequest};

use super::{tag_page, version_out};
use crate::edge::RequestCtx;
use crate::mapping::{page_out, tags_in, tags_out, ts, whole, R};
use crate::AppState;

/// The inline-policy and attachment handlers are the same for users, groups
/// and roles but for their wire types: one macro writes each holder's seven functions.
macro_rules! policy_holder_handlers {
    (
        $holder:ident, $name:ident,
        $put:ident($put_req:ident),
        $get:ident($get_req:ident) -> $get_resp:ident,
        $list:ident($list_req:ident) -> $list_resp:ident,
        $delete:ident($delete_req:ident),
        $attach:ident($attach_req:ident),
        $detach:ident($detach_req:ident),
        $list_attached:ident($list_attached_req:ident) -> $list_attached_resp:ident
    ) => {
        pub(super) fn $put(app: &AppState, ctx: &RequestCtx, input: $put_req) -> R<()> {
            app.iam(ctx).put_inline_policy(
                Holder::$holder(&input.$name),
                &input.policy_name,
                &input.policy_document,
            )?;
            Ok(())
        }

        pub(super) fn $get(app: &AppState, ctx: &RequestCtx, input: $get_req) -> R<$get_resp> {
            let (entity, policy_document) = app
                .iam(ctx)
                .get_inline_policy(Holder::$holder(&input.$name), &input.policy_name)?;
            Ok($get_resp {
                $name: entity,
                policy_name: input.policy_name,
                policy_document,
            })
        }

        pub(super) fn $list(app: &AppState, ctx: &RequestCtx, input: $list_req) -> R<$list_resp> {
            let page = app
                .iam(ctx)
                .list_inline_policies(Holder::$holder(&input.$name), PageQuery::of(&input))?;
            Ok(page_out(page, Clone::clone))
        }

        pub(super) fn $delete(app: &AppState, ctx: &RequestCtx, input: $delete_req) -> R<()> {
            app.iam(ctx)
                .delete_inline_policy(Holder::$holder(&input.$name), &input.policy_name)?;
            Ok(())
        }

        pub(super) fn $attach(app: &AppState, ctx: &RequestCtx, input: $attach_req) -> R<()> {
            app.iam(ctx)
                .attach_policy(Holder::$holder(&input.$name), &input.policy_arn)?;
            Ok(())
        }

        pub(super) fn $detach(app: &AppState, ctx: &RequestCtx, input: $detach_req) -> R<()> {
            app.iam(ctx)
                .detach_policy(Holder::$holder(&input.$name), &input.policy_arn)?;
            Ok(())
        }

        pub(super) fn $list_attached(
            app: &AppState,
            ctx: &RequestCtx,
            input: $list_attached_req,
        ) -> R<$list_attached_resp> {
            attached(
                app,
                ctx,
                Holder::$holder(&input.$name),
                input.path_prefix.as_deref(),
                &input,
            )
        }
    };
}

fn policy_out(p: &PolicyView) -> Policy {
    Policy {
        policy_name: Some(p.name.clone()),
        policy_id: Some(p.id.clone()),
        arn: Some(p.arn.clone()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version.clone()),
        attachment_count: Some(p.attachment_count),
        permissions_boundary_usage_count: Some(p.boundary_usage_count),
        is_attachable: Some(true),
        description: p.description.clone(),
        create_date: Some(ts(p.created)),
        update_date: Some(ts(p.updated)),
        tags: (!p.tags.is_empty()).then(|| tags_out(&p.tags)),
    }
}

/// One page of attached policies as the wire shows them.
fn attached<Resp: PageItems<Item = AttachedPolicy, Rest = ()>>(
    app: &AppState,
    ctx: &RequestCtx,
    h: Holder<'_>,
    path_prefix: Option<&str>,
    input: &impl PageRequest,
) -> R<Resp> {
    let page = app
        .iam(ctx)
        .list_attached_policies(h, path_prefix, PageQuery::of(input))?;
    Ok(page_out(page, |(name, arn)| AttachedPolicy {
        policy_name: Some(name.clone()),
        policy_arn: Some(arn.clone()),
    }))
}

pub(super) fn put_user_permissions_boundary(
    app: &AppState,
    ctx: &RequestCtx,
    input: PutUserPermissionsBoundaryRequest,
) -> R<()> {
    app.iam(ctx).check_boundary(&input.permissions_boundary)?;
    app.iam(ctx)
        .set_user_permissions_boundary(&input.user_name, Some(input.permissions_boundary))?;
    Ok(())
}

pub(super) fn delete_user_permissions_boundary(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteUserPermissionsBoundaryRequest,
) -> R<()> {
    app.iam(ctx)
        .set_user_permissions_boundary(&input.user_name, None)?;
    Ok(())
}

pub(super) fn create_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreatePolicyRequest,
) -> R<CreatePolicyResponse> {
    let p = app.iam(ctx).create_policy(NewPolicy {
        name: input.policy_name,
        path: input.path,
        document: input.policy_document,
        description: input.description,
        tags: tags_in(input.tags),
    })?;
    // CreatePolicy's answer leaves out the description (GetPolicy has it).
    let mut out = policy_out(&p);
    out.description = None;
    Ok(CreatePolicyResponse { policy: Some(out) })
}

pub(super) fn get_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetPolicyRequest,
) -> R<GetPolicyResponse> {
    let p = app.iam(ctx).get_policy(&input.policy_arn)?;
    // GetPolicy keeps an empty Tags list where CreatePolicy leaves it out (AWS's recorded answers:
    // LocalStack's resource_providers/test_iam.snapshot.json, test_managed_policy_with_empty_resource).
    let mut out = policy_out(&p);
    out.tags = Some(tags_out(&p.tags));
    Ok(GetPolicyResponse { policy: Some(out) })
}

pub(super) fn list_policies(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListPoliciesRequest,
) -> R<ListPoliciesResponse> {
    let page = app.iam(ctx).list_policies(
        &PolicyFilter {
            scope: input.scope.as_ref().map(|s| s.as_str()),
            only_attached: input.only_attached.unwrap_or(false),
            path_prefix: input.path_prefix.as_deref(),
            usage: input.policy_usage_filter.as_ref().map(|u| u.as_str()),
        },
        PageQuery::of(&input),
    )?;
    Ok(page_out(page, |p| {
        // ListPolicies leaves out descriptions and tags, as AWS does.
        let mut out = policy_out(p);
        out.description = None;
        out.tags = None;
        out
    }))
}

pub(super) fn delete_policy(app: &AppState, ctx: &RequestCtx, input: DeletePolicyRequest) -> R<()> {
    app.iam(ctx).delete_policy(&input.policy_arn)?;
    Ok(())
}

pub(super) fn create_policy_version(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreatePolicyVersionRequest,
) -> R<CreatePolicyVersionResponse> {
    let v = app.iam(ctx).create_policy_version(
        &input.policy_arn,
        &input.policy_document,
        input.set_as_default.unwrap_or(false),
    )?;
    Ok(CreatePolicyVersionResponse {
        policy_version: Some(version_out(&v, false)),
    })
}

pub(super) fn get_policy_version(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetPolicyVersionRequest,
) -> R<GetPolicyVersionResponse> {
    let v = app
        .iam(ctx)
        .get_policy_version(&input.policy_arn, &input.version_id)?;
    Ok(GetPolicyVersionResponse {
        policy_version: Some(version_out(&v, true)),
    })
}

pub(super) fn list_policy_versions(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListPolicyVersionsRequest,
) -> R<ListPolicyVersionsResponse> {
    let page = app
        .iam(ctx)
        .list_policy_versions(&input.policy_arn, PageQuery::of(&input))?;
    Ok(page_out(page, |v| version_out(v, false)))
}

pub(super) fn delete_policy_version(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeletePolicyVersionRequest,
) -> R<()> {
    app.iam(ctx)
        .delete_policy_version(&input.policy_arn, &input.version_id)?;
    Ok(())
}

pub(super) fn set_default_policy_version(
    app: &AppState,
    ctx: &RequestCtx,
    input: SetDefaultPolicyVersionRequest,
) -> R<()> {
    app.iam(ctx)
        .set_default_policy_version(&input.policy_arn, &input.version_id)?;
    Ok(())
}

pub(super) fn tag_policy(app: &AppState, ctx: &RequestCtx, input: TagPolicyRequest) -> R<()> {
    app.iam(ctx)
        .tag_policy(&input.policy_arn, &tags_in(Some(input.tags)))?;
    Ok(())
}

pub(super) fn untag_policy(app: &AppState, ctx: &RequestCtx, input: UntagPolicyRequest) -> R<()> {
    app.iam(ctx)
        .untag_policy(&input.policy_arn, &input.tag_keys)?;
    Ok(())
}

pub(super) fn list_policy_tags(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListPolicyTagsRequest,
) -> R<ListPolicyTagsResponse> {
    let p = app.iam(ctx).get_policy(&input.policy_arn)?;
    tag_page(&p.tags, &input)
}

pub(super) fn list_entities_for_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListEntitiesForPolicyRequest,
) -> R<ListEntitiesForPolicyResponse> {
    let entities = app.iam(ctx).list_entities_for_policy(
        &input.policy_arn,
        input.entity_filter.as_ref().map(|e| e.as_str()),
        input.path_prefix.as_deref(),
        input.policy_usage_filter.as_ref().map(|u| u.as_str()),
    )?;
    // Answered whole: the domain does not page this listing.
    Ok(whole(ListEntitiesForPolicyResponse {
        policy_groups: Some(
            entities
                .groups
                .into_iter()
                .map(|(n, id)| PolicyGroup {
                    group_name: Some(n),
                    group_id: Some(id),
                })
                .collect(),
        ),
        policy_users: Some(
            entities
                .users
                .into_iter()
                .map(|(n, id)| PolicyUser {
                    user_name: Some(n),
                    user_id: Some(id),
                })
                .collect(),
        ),
        policy_roles: Some(
            entities
                .roles
                .into_iter()
                .map(|(n, id)| PolicyRole {
                    role_name: Some(n),
                    role_id: Some(id),
                })
                .collect(),
        ),
        ..Default::default()
    }))
}

pub(super) fn put_role_permissions_boundary(
    app: &AppState,
    ctx: &RequestCtx,
    input: PutRolePermissionsBoundaryRequest,
) -> R<()> {
    app.iam(ctx)
        .set_role_permissions_boundary(&input.role_name, Some(input.permissions_boundary))?;
    Ok(())
}

pub(super) fn delete_role_permissions_boundary(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteRolePermissionsBoundaryRequest,
) -> R<()> {
    app.iam(ctx)
        .set_role_permissions_boundary(&input.role_name, None)?;
    Ok(())
}

policy_holder_handlers!(
    User, user_name,
    put_user_policy(PutUserPolicyRequest),
    get_user_policy(GetUserPolicyRequest) -> GetUserPolicyResponse,
    list_user_policies(ListUserPoliciesRequest) -> ListUserPoliciesResponse,
    delete_user_policy(DeleteUserPolicyRequest),
    attach_user_policy(AttachUserPolicyRequest),
    detach_user_policy(DetachUserPolicyRequest),
    list_attached_user_policies(ListAttachedUserPoliciesRequest) -> ListAttachedUserPoliciesResponse
);

policy_holder_handlers!(
    Group, group_name,
    put_group_policy(PutGroupPolicyRequest),
    get_group_policy(GetGroupPolicyRequest) -> GetGroupPolicyResponse,
    list_group_policies(ListGroupPoliciesRequest) -> ListGroupPoliciesResponse,
    delete_group_policy(DeleteGroupPolicyRequest),
    attach_group_policy(AttachGroupPolicyRequest),
    detach_group_policy(DetachGroupPolicyRequest),
    list_attached_group_policies(ListAttachedGroupPoliciesRequest) -> ListAttachedGroupPoliciesResponse
);

policy_holder_handlers!(
    Role, role_name,
    put_role_policy(PutRolePolicyRequest),
    get_role_policy(GetRolePolicyRequest) -> GetRolePolicyResponse,
    list_role_policies(ListRolePoliciesRequest) -> ListRolePoliciesResponse,
    delete_role_policy(DeleteRolePolicyRequest),
    attach_role_policy(AttachRolePolicyRequest),
    detach_role_policy(DetachRolePolicyRequest),
    list_attached_role_policies(ListAttachedRolePoliciesRequest) -> ListAttachedRolePoliciesResponse
);
