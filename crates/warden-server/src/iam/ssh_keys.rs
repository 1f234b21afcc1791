//! A user's SSH public keys (for CodeCommit).

use warden_core::iam::ssh_keys::{SshKeyEncoding, SshKeyView};
use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;

use super::named_or_caller;
use crate::edge::RequestCtx;
use crate::mapping::{page_out, ts, R};
use crate::AppState;

fn key_out(v: &SshKeyView) -> SSHPublicKey {
    SSHPublicKey {
        user_name: v.user_name.clone(),
        ssh_public_key_id: v.key.id.clone(),
        fingerprint: v.key.fingerprint.clone(),
        ssh_public_key_body: v.key.body.clone(),
        status: StatusType::from(v.key.status.clone()),
        upload_date: Some(ts(v.key.uploaded)),
    }
}

pub(super) fn upload_ssh_public_key(
    app: &AppState,
    ctx: &RequestCtx,
    input: UploadSSHPublicKeyRequest,
) -> R<UploadSSHPublicKeyResponse> {
    let key = app
        .iam(ctx)
        .upload_ssh_public_key(&input.user_name, &input.ssh_public_key_body)?;
    Ok(UploadSSHPublicKeyResponse {
        ssh_public_key: Some(key_out(&key)),
    })
}

pub(super) fn get_ssh_public_key(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetSSHPublicKeyRequest,
) -> R<GetSSHPublicKeyResponse> {
    // The decoder has already refused any other value.
    let encoding = if input.encoding == EncodingType::PEM {
        SshKeyEncoding::Pem
    } else {
        SshKeyEncoding::Ssh
    };
    let key = app
        .iam(ctx)
        .ssh_public_key(&input.user_name, &input.ssh_public_key_id, encoding)?;
    Ok(GetSSHPublicKeyResponse {
        ssh_public_key: Some(key_out(&key)),
    })
}

pub(super) fn list_ssh_public_keys(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListSSHPublicKeysRequest,
) -> R<ListSSHPublicKeysResponse> {
    let query = PageQuery::of(&input);
    let user = named_or_caller(ctx, input.user_name)?;
    let page = app.iam(ctx).list_ssh_public_keys(&user, query)?;
    Ok(page_out(page, |v| SSHPublicKeyMetadata {
        user_name: v.user_name.clone(),
        ssh_public_key_id: v.key.id.clone(),
        status: StatusType::from(v.key.status.clone()),
        upload_date: ts(v.key.uploaded),
    }))
}

pub(super) fn update_ssh_public_key(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateSSHPublicKeyRequest,
) -> R<()> {
    app.iam(ctx).update_ssh_public_key(
        &input.user_name,
        &input.ssh_public_key_id,
        input.status.as_str(),
    )?;
    Ok(())
}

pub(super) fn delete_ssh_public_key(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteSSHPublicKeyRequest,
) -> R<()> {
    app.iam(ctx)
        .delete_ssh_public_key(&input.user_name, &input.ssh_public_key_id)?;
    Ok(())
}
