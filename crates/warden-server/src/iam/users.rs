//! IAM users: create, read, list, rename, delete and their tags.

use warden_core::auth::PrincipalKind;
use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;

use super::{tag_page, user_out};
use crate::edge::RequestCtx;
use crate::mapping::{page_out, tags_in, ts, R};
use crate::AppState;

pub(super) fn create_user(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateUserRequest,
) -> R<CreateUserResponse> {
    if let Some(boundary) = &input.permissions_boundary {
        app.iam(ctx).check_boundary(boundary)?;
    }
    let user = app.iam(ctx).create_user(warden_core::users::NewUser {
        name: input.user_name,
        path: input.path,
        tags: tags_in(input.tags),
        permissions_boundary: input.permissions_boundary,
    })?;
    Ok(CreateUserResponse {
        user: Some(user_out(&user)),
    })
}

pub(super) fn get_user(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetUserRequest,
) -> R<GetUserResponse> {
    let account = &ctx.caller.account;
    let user = match (input.user_name, &ctx.caller.kind) {
        // The root user has no user name or path; AWS answers with its ARN
        // and the account id as the user id.
        (None, PrincipalKind::Root) => {
            let created = app
                .warden
                .read()
                .accounts
                .get(account)
                .map_or(0, |a| a.created);
            User {
                path: None,
                user_name: None,
                user_id: account.clone(),
                arn: ctx.caller.arn.clone(),
                create_date: ts(created),
                password_last_used: None,
                permissions_boundary: None,
                tags: None,
            }
        }
        (name, _) => {
            let name = crate::mapping::target_user(&ctx.caller, name)?;
            user_out(&app.iam(ctx).get_user(&name)?)
        }
    };
    Ok(GetUserResponse { user })
}

pub(super) fn list_users(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListUsersRequest,
) -> R<ListUsersResponse> {
    let page = app
        .iam(ctx)
        .list_users(input.path_prefix.as_deref(), PageQuery::of(&input))?;
    // ListUsers leaves out tags and the boundary: "This operation does not return the following attributes,
    // even though they are an attribute of the returned object: PermissionsBoundary, Tags" (IAM API reference).
    Ok(page_out(page, |u| {
        let mut out = user_out(u);
        out.tags = None;
        out.permissions_boundary = None;
        out
    }))
}

pub(super) fn update_user(app: &AppState, ctx: &RequestCtx, input: UpdateUserRequest) -> R<()> {
    app.iam(ctx).update_user(
        &input.user_name,
        input.new_user_name.as_deref(),
        input.new_path.as_deref(),
    )?;
    Ok(())
}

pub(super) fn delete_user(app: &AppState, ctx: &RequestCtx, input: DeleteUserRequest) -> R<()> {
    app.iam(ctx).delete_user(&input.user_name)?;
    Ok(())
}

pub(super) fn tag_user(app: &AppState, ctx: &RequestCtx, input: TagUserRequest) -> R<()> {
    app.iam(ctx)
        .tag_user(&input.user_name, &tags_in(Some(input.tags)))?;
    Ok(())
}

pub(super) fn untag_user(app: &AppState, ctx: &RequestCtx, input: UntagUserRequest) -> R<()> {
    app.iam(ctx).untag_user(&input.user_name, &input.tag_keys)?;
    Ok(())
}

pub(super) fn list_user_tags(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListUserTagsRequest,
) -> R<ListUserTagsResponse> {
    let user = app.iam(ctx).get_user(&input.user_name)?;
    tag_page(&user.tags, &input)
}
