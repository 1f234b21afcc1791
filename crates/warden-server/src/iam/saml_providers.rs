//! IAM SAML identity providers and their tags.

use warden_core::iam::saml_providers::{NewSamlProvider, SamlProvider, SamlProviderUpdate};
use warden_wire::generated::iam::*;

use super::tag_page;
use crate::edge::RequestCtx;
use crate::mapping::{tags_in, tags_out, ts, R};
use crate::AppState;

fn mode_in(mode: Option<AssertionEncryptionModeType>) -> Option<String> {
    mode.map(|m| m.as_str().to_string())
}

pub(super) fn create_saml_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateSAMLProviderRequest,
) -> R<CreateSAMLProviderResponse> {
    let provider = app.iam(ctx).create_saml_provider(NewSamlProvider {
        name: input.name,
        metadata: input.saml_metadata_document,
        tags: tags_in(input.tags),
        encryption_mode: mode_in(input.assertion_encryption_mode),
        private_key: input.add_private_key,
    })?;
    Ok(CreateSAMLProviderResponse {
        saml_provider_arn: Some(provider.arn()),
        // AWS answers the tags only when some were given.
        tags: (!provider.tags.is_empty()).then(|| tags_out(&provider.tags)),
    })
}

pub(super) fn get_saml_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetSAMLProviderRequest,
) -> R<GetSAMLProviderResponse> {
    let p = app.iam(ctx).saml_provider(&input.saml_provider_arn)?;
    Ok(GetSAMLProviderResponse {
        saml_provider_uuid: Some(p.uuid.clone()),
        saml_metadata_document: Some(p.metadata.clone()),
        create_date: Some(ts(p.created)),
        valid_until: Some(ts(p.idp.valid_until)),
        tags: Some(tags_out(&p.tags)),
        assertion_encryption_mode: p
            .encryption_mode
            .clone()
            .map(AssertionEncryptionModeType::from),
        private_key_list: (!p.private_keys.is_empty()).then(|| {
            p.private_keys
                .iter()
                .map(|k| SAMLPrivateKey {
                    key_id: Some(k.id.clone()),
                    timestamp: Some(ts(k.added)),
                })
                .collect()
        }),
        ..GetSAMLProviderResponse::default()
    })
}

fn list_entry(p: &SamlProvider) -> SAMLProviderListEntry {
    SAMLProviderListEntry {
        arn: Some(p.arn()),
        valid_until: Some(ts(p.idp.valid_until)),
        create_date: Some(ts(p.created)),
        is_trusted_identity_propagation_enabled: None,
    }
}

pub(super) fn list_saml_providers(
    app: &AppState,
    ctx: &RequestCtx,
    _input: ListSAMLProvidersRequest,
) -> R<ListSAMLProvidersResponse> {
    let providers = app.iam(ctx).list_saml_providers();
    Ok(ListSAMLProvidersResponse {
        saml_provider_list: Some(providers.iter().map(list_entry).collect()),
    })
}

pub(super) fn update_saml_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateSAMLProviderRequest,
) -> R<UpdateSAMLProviderResponse> {
    let provider = app.iam(ctx).update_saml_provider(
        &input.saml_provider_arn,
        SamlProviderUpdate {
            metadata: input.saml_metadata_document,
            encryption_mode: mode_in(input.assertion_encryption_mode),
            add_private_key: input.add_private_key,
            remove_private_key: input.remove_private_key,
        },
    )?;
    Ok(UpdateSAMLProviderResponse {
        saml_provider_arn: Some(provider.arn()),
    })
}

pub(super) fn delete_saml_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteSAMLProviderRequest,
) -> R<()> {
    app.iam(ctx)
        .delete_saml_provider(&input.saml_provider_arn)?;
    Ok(())
}

pub(super) fn tag_saml_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: TagSAMLProviderRequest,
) -> R<()> {
    app.iam(ctx)
        .tag_saml_provider(&input.saml_provider_arn, &tags_in(Some(input.tags)), &[])?;
    Ok(())
}

pub(super) fn untag_saml_provider(
    app: &AppState,
    ctx: &RequestCtx,
    input: UntagSAMLProviderRequest,
) -> R<()> {
    app.iam(ctx)
        .tag_saml_provider(&input.saml_provider_arn, &[], &input.tag_keys)?;
    Ok(())
}

pub(super) fn list_saml_provider_tags(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListSAMLProviderTagsRequest,
) -> R<ListSAMLProviderTagsResponse> {
    let p = app.iam(ctx).saml_provider(&input.saml_provider_arn)?;
    tag_page(&p.tags, &input)
}
