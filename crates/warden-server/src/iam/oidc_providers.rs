//! OpenID Connect identity providers and their client ids, thumbprints and tags.

use warden_core::iam::oidc_providers::{self as domain, NewOidcProvider, OidcProviderUpdate};
use warden_wire::generated::iam::*;

use super::tag_page;
use crate::edge::RequestCtx;
use crate::mapping::{tags_in, tags_out, ts, R};
use crate::AppState;

pub(super) fn create_open_id_connect_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateOpenIDConnectProviderRequest,
) -> R<CreateOpenIDConnectProviderResponse> {
    let p = app.iam(ctx).create_oidc_provider(NewOidcProvider {
        url: input.url,
        client_ids: input.client_id_list.unwrap_or_default(),
        thumbprints: input.thumbprint_list.unwrap_or_default(),
        tags: tags_in(input.tags),
        context_provider: input.context_provider.map(context_provider_in),
        identity_center_instance_arn: input.identity_center_instance_arn,
    })?;
    Ok(CreateOpenIDConnectProviderResponse {
        open_id_connect_provider_arn: Some(p.arn()),
        tags: (!p.tags.is_empty()).then(|| tags_out(&p.tags)),
    })
}

pub(super) fn get_open_id_connect_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetOpenIDConnectProviderRequest,
) -> R<GetOpenIDConnectProviderResponse> {
    let p = app
        .iam(ctx)
        .oidc_provider(&input.open_id_connect_provider_arn)?;
    let mut tags = p.tags.clone();
    // AWS answers the tags sorted by key (federation reference §1.1).
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(GetOpenIDConnectProviderResponse {
        url: Some(p.url.clone()),
        client_id_list: Some(p.client_ids.clone()),
        thumbprint_list: Some(p.thumbprints.clone()),
        create_date: Some(ts(p.created)),
        tags: Some(tags_out(&tags)),
        context_provider: p.context_provider.as_ref().map(context_provider_out),
        identity_center_instance_arn: p.identity_center_instance_arn.clone(),
        // AWS resolves the instance's identity store; warden serves no IAM
        // Identity Center to resolve it from (docs/federation.md).
        identity_store_arn: None,
    })
}

fn context_provider_in(cp: ContextProvider) -> domain::ContextProvider {
    domain::ContextProvider {
        subject_source_key: cp.subject_source_key,
        subject_type_value: cp.subject_type_value,
        subject_type_source_key: cp.subject_type_source_key,
        key_definitions: cp
            .key_definition_list
            .unwrap_or_default()
            .into_iter()
            .map(|k| (k.source_key, k.target_key))
            .collect(),
    }
}

fn context_provider_out(cp: &domain::ContextProvider) -> ContextProvider {
    ContextProvider {
        subject_source_key: cp.subject_source_key.clone(),
        subject_type_value: cp.subject_type_value.clone(),
        subject_type_source_key: cp.subject_type_source_key.clone(),
        key_definition_list: Some(
            cp.key_definitions
                .iter()
                .map(|(source, target)| ContextProviderKeyDefinition {
                    source_key: source.clone(),
                    target_key: target.clone(),
                })
                .collect(),
        ),
    }
}

pub(super) fn update_open_id_connect_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateOpenIDConnectProviderRequest,
) -> R<()> {
    app.iam(ctx).update_oidc_provider(
        &input.open_id_connect_provider_arn,
        OidcProviderUpdate {
            context_provider: input.context_provider.map(context_provider_in),
            remove_context_provider: input.remove_context_provider.unwrap_or(false),
            identity_center_instance_arn: input.identity_center_instance_arn,
            remove_identity_center_instance: input.remove_identity_center_instance.unwrap_or(false),
        },
    )?;
    Ok(())
}

pub(super) fn list_open_id_connect_providers(
    app: &AppState,
    ctx: &RequestCtx,
    _input: ListOpenIDConnectProvidersRequest,
) -> R<ListOpenIDConnectProvidersResponse> {
    let list = app
        .iam(ctx)
        .list_oidc_providers()
        .iter()
        .map(|p| OpenIDConnectProviderListEntry {
            arn: Some(p.arn()),
            ..Default::default()
        })
        .collect();
    Ok(ListOpenIDConnectProvidersResponse {
        open_id_connect_provider_list: Some(list),
    })
}

pub(super) fn delete_open_id_connect_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteOpenIDConnectProviderRequest,
) -> R<()> {
    app.iam(ctx)
        .delete_oidc_provider(&input.open_id_connect_provider_arn)?;
    Ok(())
}

pub(super) fn update_open_id_connect_provider_thumbprint(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateOpenIDConnectProviderThumbprintRequest,
) -> R<()> {
    app.iam(ctx)
        .update_oidc_thumbprints(&input.open_id_connect_provider_arn, &input.thumbprint_list)?;
    Ok(())
}

pub(super) fn add_client_id_to_open_id_connect_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: AddClientIDToOpenIDConnectProviderRequest,
) -> R<()> {
    app.iam(ctx)
        .add_oidc_client_id(&input.open_id_connect_provider_arn, &input.client_id)?;
    Ok(())
}

pub(super) fn remove_client_id_from_open_id_connect_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: RemoveClientIDFromOpenIDConnectProviderRequest,
) -> R<()> {
    app.iam(ctx)
        .remove_oidc_client_id(&input.open_id_connect_provider_arn, &input.client_id)?;
    Ok(())
}

pub(super) fn tag_open_id_connect_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: TagOpenIDConnectProviderRequest,
) -> R<()> {
    app.iam(ctx).tag_oidc_provider(
        &input.open_id_connect_provider_arn,
        &tags_in(Some(input.tags)),
        &[],
    )?;
    Ok(())
}

pub(super) fn untag_open_id_connect_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: UntagOpenIDConnectProviderRequest,
) -> R<()> {
    app.iam(ctx)
        .tag_oidc_provider(&input.open_id_connect_provider_arn, &[], &input.tag_keys)?;
    Ok(())
}

pub(super) fn list_open_id_connect_provider_tags(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListOpenIDConnectProviderTagsRequest,
) -> R<ListOpenIDConnectProviderTagsResponse> {
    let p = app
        .iam(ctx)
        .oidc_provider(&input.open_id_connect_provider_arn)?;
    tag_page(&p.tags, &input)
}
