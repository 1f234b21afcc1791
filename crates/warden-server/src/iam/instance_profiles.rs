//! Instance profiles, the role each carries, and their tags.

use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;

use super::{instance_profile_out, tag_page};
use crate::edge::RequestCtx;
use crate::mapping::{page_out, tags_in, tags_out, R};
use crate::AppState;

pub(super) fn create_instance_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateInstanceProfileRequest,
) -> R<CreateInstanceProfileResponse> {
    let p = app.iam(ctx).create_instance_profile(
        &input.instance_profile_name,
        input.path.as_deref(),
        tags_in(input.tags),
    )?;
    Ok(CreateInstanceProfileResponse {
        instance_profile: instance_profile_out(&p, None),
    })
}

pub(super) fn get_instance_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetInstanceProfileRequest,
) -> R<GetInstanceProfileResponse> {
    let (p, role) = app
        .iam(ctx)
        .get_instance_profile(&input.instance_profile_name)?;
    // GetInstanceProfile keeps an empty Tags list, as issue 15 reports of AWS and as AWS's recorded
    // GetPolicy and GetServerCertificate answers do for the other entities tagged since 2021
    // (LocalStack's resource_providers/test_iam.snapshot.json); no recording of this call itself.
    Ok(GetInstanceProfileResponse {
        instance_profile: InstanceProfile {
            tags: Some(tags_out(&p.tags)),
            ..instance_profile_out(&p, role.as_ref())
        },
    })
}

pub(super) fn list_instance_profiles(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListInstanceProfilesRequest,
) -> R<ListInstanceProfilesResponse> {
    let page = app.iam(ctx).list_instance_profiles(
        input.path_prefix.as_deref(),
        None,
        PageQuery::of(&input),
    )?;
    // "this operation does not return tags" (IAM API reference, ListInstanceProfiles).
    Ok(page_out(page, |(p, r)| InstanceProfile {
        tags: None,
        ..instance_profile_out(p, r.as_ref())
    }))
}

pub(super) fn list_instance_profiles_for_role(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListInstanceProfilesForRoleRequest,
) -> R<ListInstanceProfilesForRoleResponse> {
    let page =
        app.iam(ctx)
            .list_instance_profiles(None, Some(&input.role_name), PageQuery::of(&input))?;
    Ok(page_out(page, |(p, r)| instance_profile_out(p, r.as_ref())))
}

pub(super) fn delete_instance_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteInstanceProfileRequest,
) -> R<()> {
    app.iam(ctx)
        .delete_instance_profile(&input.instance_profile_name)?;
    Ok(())
}

pub(super) fn add_role_to_instance_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: AddRoleToInstanceProfileRequest,
) -> R<()> {
    app.iam(ctx)
        .add_role_to_instance_profile(&input.instance_profile_name, &input.role_name)?;
    Ok(())
}

pub(super) fn remove_role_from_instance_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: RemoveRoleFromInstanceProfileRequest,
) -> R<()> {
    app.iam(ctx)
        .remove_role_from_instance_profile(&input.instance_profile_name, &input.role_name)?;
    Ok(())
}

pub(super) fn tag_instance_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: TagInstanceProfileRequest,
) -> R<()> {
    app.iam(ctx).tag_instance_profile(
        &input.instance_profile_name,
        &tags_in(Some(input.tags)),
        &[],
    )?;
    Ok(())
}

pub(super) fn untag_instance_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: UntagInstanceProfileRequest,
) -> R<()> {
    app.iam(ctx)
        .tag_instance_profile(&input.instance_profile_name, &[], &input.tag_keys)?;
    Ok(())
}

pub(super) fn list_instance_profile_tags(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListInstanceProfileTagsRequest,
) -> R<ListInstanceProfileTagsResponse> {
    let (p, _) = app
        .iam(ctx)
        .get_instance_profile(&input.instance_profile_name)?;
    tag_page(&p.tags, &input)
}
