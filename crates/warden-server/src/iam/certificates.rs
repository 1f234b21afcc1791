//! Server certificates (and their tags) and users' signing certificates.

use warden_core::auth::PrincipalKind;
use warden_core::crypto::Secret;
use warden_core::iam::certificates::{
    CertificateOwner, NewServerCertificate, ServerCertificate as Stored, SigningCertificateView,
};
use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;

use super::service_credentials::status_of;
use super::tag_page;
use crate::edge::RequestCtx;
use crate::mapping::{page_out, tags_in, tags_out, target_user, ts, R};
use crate::AppState;

fn metadata_out(c: &Stored) -> ServerCertificateMetadata {
    ServerCertificateMetadata {
        path: c.path.clone(),
        server_certificate_name: c.name.clone(),
        server_certificate_id: c.id.clone(),
        arn: c.arn(),
        upload_date: Some(ts(c.uploaded)),
        expiration: Some(ts(c.expiration)),
    }
}

pub(super) fn upload_server_certificate(
    app: &AppState,
    ctx: &RequestCtx,
    input: UploadServerCertificateRequest,
) -> R<UploadServerCertificateResponse> {
    let c = app
        .iam(ctx)
        .upload_server_certificate(NewServerCertificate {
            name: input.server_certificate_name,
            path: input.path,
            body: input.certificate_body,
            private_key: Secret::new(input.private_key.into_bytes()),
            chain: input.certificate_chain,
            tags: tags_in(input.tags),
        })?;
    Ok(UploadServerCertificateResponse {
        server_certificate_metadata: Some(metadata_out(&c)),
        tags: (!c.tags.is_empty()).then(|| tags_out(&c.tags)),
    })
}

pub(super) fn get_server_certificate(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetServerCertificateRequest,
) -> R<GetServerCertificateResponse> {
    let c = app
        .iam(ctx)
        .server_certificate(&input.server_certificate_name)?;
    Ok(GetServerCertificateResponse {
        server_certificate: ServerCertificate {
            server_certificate_metadata: metadata_out(&c),
            certificate_body: c.body.clone(),
            certificate_chain: c.chain.clone(),
            // Always present, empty when untagged, as AWS answered in
            // LocalStack's AWS-validated test_server_certificate snapshot.
            tags: Some(tags_out(&c.tags)),
        },
    })
}

pub(super) fn list_server_certificates(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListServerCertificatesRequest,
) -> R<ListServerCertificatesResponse> {
    let query = PageQuery::of(&input);
    let page = app
        .iam(ctx)
        .list_server_certificates(input.path_prefix.as_deref(), query)?;
    Ok(page_out(page, metadata_out))
}

pub(super) fn update_server_certificate(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateServerCertificateRequest,
) -> R<()> {
    app.iam(ctx).update_server_certificate(
        &input.server_certificate_name,
        input.new_server_certificate_name.as_deref(),
        input.new_path.as_deref(),
    )?;
    Ok(())
}

pub(super) fn delete_server_certificate(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteServerCertificateRequest,
) -> R<()> {
    app.iam(ctx)
        .delete_server_certificate(&input.server_certificate_name)?;
    Ok(())
}

pub(super) fn tag_server_certificate(
    app: &AppState,
    ctx: &RequestCtx,
    input: TagServerCertificateRequest,
) -> R<()> {
    app.iam(ctx).tag_server_certificate(
        &input.server_certificate_name,
        &tags_in(Some(input.tags)),
        &[],
    )?;
    Ok(())
}

pub(super) fn untag_server_certificate(
    app: &AppState,
    ctx: &RequestCtx,
    input: UntagServerCertificateRequest,
) -> R<()> {
    app.iam(ctx)
        .tag_server_certificate(&input.server_certificate_name, &[], &input.tag_keys)?;
    Ok(())
}

pub(super) fn list_server_certificate_tags(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListServerCertificateTagsRequest,
) -> R<ListServerCertificateTagsResponse> {
    let c = app
        .iam(ctx)
        .server_certificate(&input.server_certificate_name)?;
    tag_page(&c.tags, &input)
}

/// Whose signing certificates: the named user; without a name, the calling
/// user, or the root user for root's own credentials (the API reference:
/// "you can use this operation to manage Amazon Web Services account root
/// user credentials"); any other caller must name a user.
fn owner(ctx: &RequestCtx, user_name: Option<String>) -> R<Option<String>> {
    match (&user_name, &ctx.caller.kind) {
        (None, PrincipalKind::Root) => Ok(None),
        _ => target_user(&ctx.caller, user_name).map(Some),
    }
}

fn as_owner(name: &Option<String>) -> CertificateOwner<'_> {
    match name {
        Some(n) => CertificateOwner::User(n),
        None => CertificateOwner::Root,
    }
}

fn signing_out(v: &SigningCertificateView) -> SigningCertificate {
    SigningCertificate {
        user_name: v.user_name.clone(),
        certificate_id: v.certificate.id.clone(),
        certificate_body: v.certificate.body.clone(),
        status: StatusType::from(v.certificate.status.as_str().to_string()),
        upload_date: Some(ts(v.certificate.uploaded)),
    }
}

pub(super) fn upload_signing_certificate(
    app: &AppState,
    ctx: &RequestCtx,
    input: UploadSigningCertificateRequest,
) -> R<UploadSigningCertificateResponse> {
    let who = owner(ctx, input.user_name)?;
    let v = app
        .iam(ctx)
        .upload_signing_certificate(as_owner(&who), &input.certificate_body)?;
    Ok(UploadSigningCertificateResponse {
        certificate: signing_out(&v),
    })
}

pub(super) fn list_signing_certificates(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListSigningCertificatesRequest,
) -> R<ListSigningCertificatesResponse> {
    let query = PageQuery::of(&input);
    let who = owner(ctx, input.user_name)?;
    let page = app
        .iam(ctx)
        .list_signing_certificates(as_owner(&who), query)?;
    Ok(page_out(page, signing_out))
}

pub(super) fn update_signing_certificate(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateSigningCertificateRequest,
) -> R<()> {
    let who = owner(ctx, input.user_name)?;
    app.iam(ctx).update_signing_certificate(
        as_owner(&who),
        &input.certificate_id,
        status_of(&input.status)?,
    )?;
    Ok(())
}

pub(super) fn delete_signing_certificate(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteSigningCertificateRequest,
) -> R<()> {
    let who = owner(ctx, input.user_name)?;
    app.iam(ctx)
        .delete_signing_certificate(as_owner(&who), &input.certificate_id)?;
    Ok(())
}
