//! A user's service-specific credentials (CodeCommit Git and Amazon
//! Keyspaces user names and passwords).

use warden_core::iam::service_credentials::ServiceCredentialView;
use warden_core::model::KeyStatus;
use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;
use warden_wire::{ApiError, ErrorCode};

use super::named_or_caller;
use crate::edge::RequestCtx;
use crate::mapping::{ts, R};
use crate::AppState;

/// The full credential, with the password when the domain hands one (Create and Reset).
fn credential_out(v: &ServiceCredentialView) -> ServiceSpecificCredential {
    let c = &v.credential;
    ServiceSpecificCredential {
        create_date: ts(c.created),
        expiration_date: None,
        service_name: c.service.clone(),
        service_user_name: Some(c.service_user_name.clone()),
        service_password: v
            .password
            .as_ref()
            .and_then(|p| p.expose_str())
            .map(str::to_string),
        service_credential_alias: None,
        service_credential_secret: None,
        service_specific_credential_id: c.id.clone(),
        user_name: v.user_name.clone(),
        status: StatusType::from(c.status.as_str().to_string()),
    }
}

pub(super) fn status_of(s: &StatusType) -> R<KeyStatus> {
    match s.as_str() {
        "Active" => Ok(KeyStatus::Active),
        "Inactive" => Ok(KeyStatus::Inactive),
        // `Expired` is in the model's statusType but is no status one sets on
        // a password credential: refused with the text AWS recorded for a
        // status outside the set (LocalStack's AWS snapshot,
        // test_invalid_update_parameters).
        _ => Err(ApiError::new(
            ErrorCode::ValidationError,
            "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set",
        )
        .into()),
    }
}

pub(super) fn create_service_specific_credential(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateServiceSpecificCredentialRequest,
) -> R<CreateServiceSpecificCredentialResponse> {
    let v = app
        .iam(ctx)
        .create_service_specific_credential(&input.user_name, &input.service_name)?;
    Ok(CreateServiceSpecificCredentialResponse {
        service_specific_credential: Some(credential_out(&v)),
    })
}

pub(super) fn list_service_specific_credentials(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListServiceSpecificCredentialsRequest,
) -> R<ListServiceSpecificCredentialsResponse> {
    // AllUsers would list every user's credentials while the action table
    // authorizes the call on one user's ARN: refused until it is
    // authorized on what it reveals.
    if input.all_users == Some(true) {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            "AllUsers is not supported; name the user whose credentials to list.",
        )
        .into());
    }
    // No paginator in botocore's model, so no generated page traits: the
    // request still carries Marker and MaxItems, answered as any List's.
    let query = PageQuery {
        marker: input.marker,
        max_items: input.max_items,
    };
    let user = named_or_caller(ctx, input.user_name)?;
    let page = app.iam(ctx).list_service_specific_credentials(
        &user,
        input.service_name.as_deref(),
        query,
    )?;
    let is_truncated = page.is_truncated();
    let items = page
        .items
        .iter()
        .map(|v| ServiceSpecificCredentialMetadata {
            user_name: v.user_name.clone(),
            status: StatusType::from(v.credential.status.as_str().to_string()),
            service_user_name: Some(v.credential.service_user_name.clone()),
            service_credential_alias: None,
            create_date: ts(v.credential.created),
            expiration_date: None,
            service_specific_credential_id: v.credential.id.clone(),
            service_name: v.credential.service.clone(),
        });
    Ok(ListServiceSpecificCredentialsResponse {
        service_specific_credentials: Some(items.collect()),
        marker: page.marker.clone(),
        is_truncated: Some(is_truncated),
    })
}

pub(super) fn reset_service_specific_credential(
    app: &AppState,
    ctx: &RequestCtx,
    input: ResetServiceSpecificCredentialRequest,
) -> R<ResetServiceSpecificCredentialResponse> {
    let user = named_or_caller(ctx, input.user_name)?;
    let v = app
        .iam(ctx)
        .reset_service_specific_credential(&user, &input.service_specific_credential_id)?;
    Ok(ResetServiceSpecificCredentialResponse {
        service_specific_credential: Some(credential_out(&v)),
    })
}

pub(super) fn update_service_specific_credential(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateServiceSpecificCredentialRequest,
) -> R<()> {
    let user = named_or_caller(ctx, input.user_name)?;
    app.iam(ctx).update_service_specific_credential(
        &user,
        &input.service_specific_credential_id,
        status_of(&input.status)?,
    )?;
    Ok(())
}

pub(super) fn delete_service_specific_credential(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteServiceSpecificCredentialRequest,
) -> R<()> {
    let user = named_or_caller(ctx, input.user_name)?;
    app.iam(ctx)
        .delete_service_specific_credential(&user, &input.service_specific_credential_id)?;
    Ok(())
}
