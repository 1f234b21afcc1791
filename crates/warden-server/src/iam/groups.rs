//! IAM groups and their membership.

use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;

use super::{group_out, user_out};
use crate::edge::RequestCtx;
use crate::mapping::{page_out, page_with, R};
use crate::AppState;

pub(super) fn create_group(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateGroupRequest,
) -> R<CreateGroupResponse> {
    let g = app
        .iam(ctx)
        .create_group(&input.group_name, input.path.as_deref())?;
    Ok(CreateGroupResponse {
        group: group_out(&g),
    })
}

pub(super) fn get_group(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetGroupRequest,
) -> R<GetGroupResponse> {
    let (g, page) = app
        .iam(ctx)
        .get_group(&input.group_name, PageQuery::of(&input))?;
    Ok(page_with(group_out(&g), page, user_out))
}

pub(super) fn list_groups(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListGroupsRequest,
) -> R<ListGroupsResponse> {
    let page = app
        .iam(ctx)
        .list_groups(input.path_prefix.as_deref(), PageQuery::of(&input))?;
    Ok(page_out(page, group_out))
}

pub(super) fn list_groups_for_user(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListGroupsForUserRequest,
) -> R<ListGroupsForUserResponse> {
    let page = app
        .iam(ctx)
        .list_groups_for_user(&input.user_name, PageQuery::of(&input))?;
    Ok(page_out(page, group_out))
}

pub(super) fn update_group(app: &AppState, ctx: &RequestCtx, input: UpdateGroupRequest) -> R<()> {
    app.iam(ctx).update_group(
        &input.group_name,
        input.new_group_name.as_deref(),
        input.new_path.as_deref(),
    )?;
    Ok(())
}

pub(super) fn delete_group(app: &AppState, ctx: &RequestCtx, input: DeleteGroupRequest) -> R<()> {
    app.iam(ctx).delete_group(&input.group_name)?;
    Ok(())
}

pub(super) fn add_user_to_group(
    app: &AppState,
    ctx: &RequestCtx,
    input: AddUserToGroupRequest,
) -> R<()> {
    app.iam(ctx)
        .add_user_to_group(&input.group_name, &input.user_name)?;
    Ok(())
}

pub(super) fn remove_user_from_group(
    app: &AppState,
    ctx: &RequestCtx,
    input: RemoveUserFromGroupRequest,
) -> R<()> {
    app.iam(ctx)
        .remove_user_from_group(&input.group_name, &input.user_name)?;
    Ok(())
}
