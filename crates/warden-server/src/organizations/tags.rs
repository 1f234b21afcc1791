//! Tags on the root, OUs, accounts and customer policies.

use super::*;

pub(super) fn tag_resource(app: &AppState, ctx: &RequestCtx, input: TagResourceRequest) -> R<()> {
    app.orgs(ctx)
        .tag_org_resource(&input.resource_id, tags_of(Some(input.tags)))?;
    Ok(())
}

pub(super) fn untag_resource(
    app: &AppState,
    ctx: &RequestCtx,
    input: UntagResourceRequest,
) -> R<()> {
    app.orgs(ctx)
        .untag_org_resource(&input.resource_id, &input.tag_keys)?;
    Ok(())
}

pub(super) fn list_tags_for_resource(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListTagsForResourceRequest,
) -> R<ListTagsForResourceResponse> {
    let tags = app.orgs(ctx).org_resource_tags(&input.resource_id)?;
    paged(tags, &input, |t| Tag {
        key: t.key.clone(),
        value: t.value.clone(),
    })
}
