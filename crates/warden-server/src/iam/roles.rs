//! IAM roles, their trust policies and tags, and service-linked roles.

use warden_core::page::PageQuery;
use warden_core::roles::NewRole;
use warden_wire::generated::iam::*;

use super::{role_out, tag_page};
use crate::edge::RequestCtx;
use crate::mapping::{page_out, tags_in, R};
use crate::AppState;

pub(super) fn create_role(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateRoleRequest,
) -> R<CreateRoleResponse> {
    let role = app.iam(ctx).create_role(NewRole {
        name: input.role_name,
        path: input.path,
        trust_document: input.assume_role_policy_document,
        description: input.description,
        max_session_duration: input.max_session_duration,
        permissions_boundary: input.permissions_boundary,
        tags: tags_in(input.tags),
    })?;
    // CreateRole answers without MaxSessionDuration and RoleLastUsed, which GetRole carries (LocalStack's
    // AWS-recorded snapshots: create_role_result vs get_role_result in test_iam.snapshot.json).
    let mut out = role_out(&role);
    out.role_last_used = None;
    out.max_session_duration = None;
    Ok(CreateRoleResponse { role: out })
}

pub(super) fn get_role(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetRoleRequest,
) -> R<GetRoleResponse> {
    let role = app.iam(ctx).get_role(&input.role_name)?;
    Ok(GetRoleResponse {
        role: role_out(&role),
    })
}

pub(super) fn list_roles(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListRolesRequest,
) -> R<ListRolesResponse> {
    let page = app
        .iam(ctx)
        .list_roles(input.path_prefix.as_deref(), PageQuery::of(&input))?;
    // ListRoles leaves out tags, boundary and last use, as AWS does.
    Ok(page_out(page, |r| {
        let mut out = role_out(r);
        out.tags = None;
        out.permissions_boundary = None;
        out.role_last_used = None;
        out
    }))
}

pub(super) fn update_role(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateRoleRequest,
) -> R<UpdateRoleResponse> {
    app.iam(ctx).update_role(
        &input.role_name,
        input.description,
        input.max_session_duration,
    )?;
    Ok(UpdateRoleResponse {})
}

pub(super) fn update_role_description(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateRoleDescriptionRequest,
) -> R<UpdateRoleDescriptionResponse> {
    let role = app
        .iam(ctx)
        .update_role(&input.role_name, Some(input.description), None)?;
    Ok(UpdateRoleDescriptionResponse {
        role: Some(role_out(&role)),
    })
}

pub(super) fn update_assume_role_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateAssumeRolePolicyRequest,
) -> R<()> {
    app.iam(ctx)
        .update_assume_role_policy(&input.role_name, &input.policy_document)?;
    Ok(())
}

pub(super) fn delete_role(app: &AppState, ctx: &RequestCtx, input: DeleteRoleRequest) -> R<()> {
    app.iam(ctx).delete_role(&input.role_name)?;
    Ok(())
}

pub(super) fn tag_role(app: &AppState, ctx: &RequestCtx, input: TagRoleRequest) -> R<()> {
    app.iam(ctx)
        .tag_role(&input.role_name, &tags_in(Some(input.tags)))?;
    Ok(())
}

pub(super) fn untag_role(app: &AppState, ctx: &RequestCtx, input: UntagRoleRequest) -> R<()> {
    app.iam(ctx).untag_role(&input.role_name, &input.tag_keys)?;
    Ok(())
}

pub(super) fn list_role_tags(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListRoleTagsRequest,
) -> R<ListRoleTagsResponse> {
    let role = app.iam(ctx).get_role(&input.role_name)?;
    tag_page(&role.tags, &input)
}

pub(super) fn create_service_linked_role(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateServiceLinkedRoleRequest,
) -> R<CreateServiceLinkedRoleResponse> {
    let role = app.iam(ctx).create_service_linked_role(
        &input.aws_service_name,
        input.description,
        input.custom_suffix.as_deref(),
    )?;
    Ok(CreateServiceLinkedRoleResponse {
        role: Some(role_out(&role)),
    })
}

pub(super) fn delete_service_linked_role(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteServiceLinkedRoleRequest,
) -> R<DeleteServiceLinkedRoleResponse> {
    let task = app.iam(ctx).delete_service_linked_role(&input.role_name)?;
    Ok(DeleteServiceLinkedRoleResponse {
        deletion_task_id: task.id,
    })
}

pub(super) fn get_service_linked_role_deletion_status(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetServiceLinkedRoleDeletionStatusRequest,
) -> R<GetServiceLinkedRoleDeletionStatusResponse> {
    app.iam(ctx)
        .service_linked_role_deletion_task(&input.deletion_task_id)?;
    // Deletion is immediate, so every task this account was given has succeeded.
    Ok(GetServiceLinkedRoleDeletionStatusResponse {
        status: DeletionTaskStatusType::SUCCEEDED,
        reason: None,
    })
}
