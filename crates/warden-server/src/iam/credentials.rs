//! A user's credentials: access keys (and their last use), login profiles and
//! passwords, and the account's password policy.

use warden_core::auth::PrincipalKind;
use warden_core::keys::KeyOwner;
use warden_core::model::{KeyStatus, PasswordPolicy};
use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;
use warden_wire::{ApiError, ErrorCode};

use super::named_or_caller;
use crate::edge::RequestCtx;
use crate::mapping::{page_out, ts, R};
use crate::AppState;

/// The key owner an access-key call targets: the named user, or the
/// caller itself when `UserName` is absent (root's own keys for root).
fn key_owner<'n>(ctx: &'n RequestCtx, user_name: &'n Option<String>) -> R<KeyOwner<'n>> {
    match (user_name, &ctx.caller.kind) {
        (Some(n), _) => Ok(KeyOwner::User(n)),
        (None, PrincipalKind::User { name_lower }) => Ok(KeyOwner::User(name_lower)),
        (None, PrincipalKind::Root) => Ok(KeyOwner::Root),
        (None, _) => Err(ApiError::new(
            ErrorCode::ValidationError,
            "Must specify userName when calling with non-User credentials",
        )
        .into()),
    }
}

pub(super) fn create_access_key(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateAccessKeyRequest,
) -> R<CreateAccessKeyResponse> {
    let owner = key_owner(ctx, &input.user_name)?;
    let new = app.iam(ctx).create_access_key(owner)?;
    Ok(CreateAccessKeyResponse {
        access_key: AccessKey {
            user_name: new.user_name.unwrap_or_default(),
            access_key_id: new.key.id.clone(),
            status: StatusType::from(new.key.status.as_str().to_string()),
            secret_access_key: String::from_utf8_lossy(new.key.secret.expose()).into_owned(),
            create_date: Some(ts(new.key.created)),
        },
    })
}

pub(super) fn list_access_keys(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListAccessKeysRequest,
) -> R<ListAccessKeysResponse> {
    let owner = key_owner(ctx, &input.user_name)?;
    let page = app
        .iam(ctx)
        .list_access_keys(owner, PageQuery::of(&input))?;
    let user_name = match owner {
        KeyOwner::Root => None,
        KeyOwner::User(n) => Some(app.iam(ctx).get_user(n)?.name),
    };
    Ok(page_out(page, |k| AccessKeyMetadata {
        user_name: user_name.clone(),
        access_key_id: Some(k.id.clone()),
        status: Some(StatusType::from(k.status.as_str().to_string())),
        create_date: Some(ts(k.created)),
    }))
}

pub(super) fn update_access_key(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateAccessKeyRequest,
) -> R<()> {
    let owner = key_owner(ctx, &input.user_name)?;
    let status = if input.status == StatusType::ACTIVE {
        KeyStatus::Active
    } else {
        KeyStatus::Inactive
    };
    app.iam(ctx)
        .update_access_key(owner, &input.access_key_id, status)?;
    Ok(())
}

pub(super) fn delete_access_key(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteAccessKeyRequest,
) -> R<()> {
    let owner = key_owner(ctx, &input.user_name)?;
    app.iam(ctx)
        .delete_access_key(owner, &input.access_key_id)?;
    Ok(())
}

pub(super) fn get_access_key_last_used(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetAccessKeyLastUsedRequest,
) -> R<GetAccessKeyLastUsedResponse> {
    // AWS answers AccessDenied, not NoSuchEntity, for a key that does
    // not exist or belongs to another account (recorded against AWS).
    let denied = || {
        ApiError::access_denied(format!(
            "User: {} is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key {}",
            ctx.caller.arn, input.access_key_id
        ))
    };
    // The domain refuses both (NoSuchEntity), which AWS answers as above.
    let (user_name, used) = app
        .iam(ctx)
        .access_key_last_used(&input.access_key_id)
        .map_err(|_| denied())?;
    let last = match used {
        Some(u) => AccessKeyLastUsed {
            last_used_date: Some(ts(u.date)),
            service_name: u.service,
            region: u.region,
        },
        // AWS reports "N/A" for a key never used.
        None => AccessKeyLastUsed {
            last_used_date: None,
            service_name: "N/A".to_string(),
            region: "N/A".to_string(),
        },
    };
    Ok(GetAccessKeyLastUsedResponse {
        user_name,
        access_key_last_used: Some(last),
    })
}

pub(super) fn create_login_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateLoginProfileRequest,
) -> R<CreateLoginProfileResponse> {
    let user = named_or_caller(ctx, input.user_name)?;
    let password = input.password.ok_or_else(|| {
        ApiError::new(
            ErrorCode::ValidationError,
            "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null",
        )
    })?;
    let (name, profile) = app.iam(ctx).create_login_profile(
        &user,
        &password,
        input.password_reset_required.unwrap_or(false),
    )?;
    Ok(CreateLoginProfileResponse {
        login_profile: LoginProfile {
            user_name: name,
            create_date: ts(profile.created),
            password_reset_required: Some(profile.password_reset_required),
            max_signin_session_duration: None,
        },
    })
}

pub(super) fn get_login_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetLoginProfileRequest,
) -> R<GetLoginProfileResponse> {
    let user = named_or_caller(ctx, input.user_name)?;
    let (name, profile) = app.iam(ctx).get_login_profile(&user)?;
    Ok(GetLoginProfileResponse {
        login_profile: LoginProfile {
            user_name: name,
            create_date: ts(profile.created),
            password_reset_required: Some(profile.password_reset_required),
            max_signin_session_duration: None,
        },
    })
}

pub(super) fn update_login_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateLoginProfileRequest,
) -> R<()> {
    app.iam(ctx).update_login_profile(
        &input.user_name,
        input.password.as_deref(),
        input.password_reset_required,
    )?;
    Ok(())
}

pub(super) fn delete_login_profile(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteLoginProfileRequest,
) -> R<()> {
    let user = named_or_caller(ctx, input.user_name)?;
    app.iam(ctx).delete_login_profile(&user)?;
    Ok(())
}

pub(super) fn change_password(
    app: &AppState,
    ctx: &RequestCtx,
    input: ChangePasswordRequest,
) -> R<()> {
    let PrincipalKind::User { name_lower } = &ctx.caller.kind else {
        return Err(ApiError::new(
            ErrorCode::InvalidUserType,
            "Only IAM users can change their own password.",
        )
        .into());
    };
    app.iam(ctx)
        .change_password(name_lower, &input.old_password, &input.new_password)?;
    Ok(())
}

pub(super) fn get_account_password_policy(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<GetAccountPasswordPolicyResponse> {
    let p = app.iam(ctx).password_policy()?;
    Ok(GetAccountPasswordPolicyResponse {
        password_policy: warden_wire::generated::iam::PasswordPolicy {
            minimum_password_length: p.minimum_password_length,
            require_symbols: Some(p.require_symbols),
            require_numbers: Some(p.require_numbers),
            require_uppercase_characters: Some(p.require_uppercase_characters),
            require_lowercase_characters: Some(p.require_lowercase_characters),
            allow_users_to_change_password: Some(p.allow_users_to_change_password),
            expire_passwords: Some(p.max_password_age.is_some_and(|d| d > 0)),
            max_password_age: p.max_password_age,
            password_reuse_prevention: p.password_reuse_prevention,
            hard_expiry: p.hard_expiry,
        },
    })
}

pub(super) fn update_account_password_policy(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateAccountPasswordPolicyRequest,
) -> R<()> {
    let policy = PasswordPolicy {
        minimum_password_length: Some(input.minimum_password_length.unwrap_or(6)),
        require_symbols: input.require_symbols.unwrap_or(false),
        require_numbers: input.require_numbers.unwrap_or(false),
        require_uppercase_characters: input.require_uppercase_characters.unwrap_or(false),
        require_lowercase_characters: input.require_lowercase_characters.unwrap_or(false),
        allow_users_to_change_password: input.allow_users_to_change_password.unwrap_or(false),
        max_password_age: input.max_password_age,
        password_reuse_prevention: input.password_reuse_prevention,
        hard_expiry: input.hard_expiry,
    };
    app.iam(ctx).update_password_policy(policy)?;
    Ok(())
}

pub(super) fn delete_account_password_policy(app: &AppState, ctx: &RequestCtx) -> R<()> {
    app.iam(ctx).delete_password_policy()?;
    Ok(())
}
