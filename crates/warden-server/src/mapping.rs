//! Conversions between the domain and the wire that every handler shares:
//! domain errors to AWS errors (the one place), timestamps, tags, and the
//! resource ARN each operation acts on.

use time::OffsetDateTime;
use warden_core::auth::{Caller, PrincipalKind};
use warden_core::model::{Epoch, Tag};
use warden_core::{CoreError, Warden};
use warden_wire::query::QueryParams;
use warden_wire::ApiError;

/// Domain error → AWS error. The status comes from the wire's code table.
pub fn api_error(e: CoreError) -> ApiError {
    if e.is_server_fault() {
        tracing::error!(error = %e, "server fault");
    }
    ApiError::new(e.aws_code(), e.client_message())
}

pub fn ts(epoch: Epoch) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(epoch).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub fn tags_in(tags: Option<Vec<warden_wire::generated::iam::Tag>>) -> Vec<Tag> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

pub fn tags_out(tags: &[Tag]) -> Vec<warden_wire::generated::iam::Tag> {
    tags.iter()
        .map(|t| warden_wire::generated::iam::Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

/// The user an operation targets: its `UserName`, or the caller when the
/// parameter is absent (IAM's rule for GetUser, access keys, MFA...).
pub fn target_user(caller: &Caller, user_name: Option<String>) -> Result<String, ApiError> {
    match (user_name, &caller.kind) {
        (Some(n), _) => Ok(n),
        (None, PrincipalKind::User { name_lower }) => Ok(name_lower.clone()),
        (None, PrincipalKind::Root) => Err(ApiError::new(
            "ValidationError",
            "Must specify userName when calling with non-User credentials",
        )),
    }
}

/// The resource ARN an operation acts on, for authorization and for
/// AccessDenied texts. Policies arrive with issue 4's full table; until then
/// this covers the entity parameters of the operations warden serves.
pub fn resource_for(
    warden: &Warden,
    caller: &Caller,
    service: &str,
    action: &str,
    params: &QueryParams,
) -> String {
    let account = &caller.account;
    if service == "sts" {
        return "*".to_string();
    }
    let user_arn = |name: &str| {
        warden
            .read()
            .user(account, name)
            .map(|u| u.arn())
            .unwrap_or_else(|| {
                let path = params.get("Path").unwrap_or("/");
                format!("arn:aws:iam::{account}:user{path}{name}")
            })
    };
    if let Some(user) = params.get("UserName") {
        return user_arn(user);
    }
    if let Some(group) = params.get("GroupName") {
        let path = params.get("Path").unwrap_or("/");
        return warden
            .read()
            .group(account, group)
            .map(|g| g.arn())
            .unwrap_or_else(|| format!("arn:aws:iam::{account}:group{path}{group}"));
    }
    if let Some(arn) = params.get("PolicyArn") {
        return arn.to_string();
    }
    if action == "CreatePolicy" {
        let path = params.get("Path").unwrap_or("/");
        let name = params.get("PolicyName").unwrap_or("");
        return format!("arn:aws:iam::{account}:policy{path}{name}");
    }
    if let Some(serial) = params.get("SerialNumber") {
        return serial.to_string();
    }
    if let Some(name) = params.get("VirtualMFADeviceName") {
        let path = params.get("Path").unwrap_or("/");
        return format!("arn:aws:iam::{account}:mfa{path}{name}");
    }
    let self_scoped = [
        "ChangePassword",
        "GetUser",
        "CreateAccessKey",
        "ListAccessKeys",
        "UpdateAccessKey",
        "DeleteAccessKey",
        "ListMFADevices",
        "GetLoginProfile",
    ];
    if self_scoped.contains(&action) {
        return caller.arn.clone();
    }
    match action {
        "ListUsers" => format!("arn:aws:iam::{account}:user/"),
        "ListGroups" => format!("arn:aws:iam::{account}:group/"),
        "ListVirtualMFADevices" => format!("arn:aws:iam::{account}:mfa/"),
        _ => "*".to_string(),
    }
}
