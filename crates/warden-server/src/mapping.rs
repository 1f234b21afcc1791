//! Conversions between the domain and the wire that every handler shares:
//! domain errors to AWS errors (the one place), timestamps and tags.

use time::OffsetDateTime;
use warden_core::auth::{Caller, PrincipalKind};
use warden_core::model::{Epoch, Tag};
use warden_core::CoreError;
use warden_wire::{ApiError, ErrorCode};

/// Domain error → AWS error. The status comes from the wire's code table.
pub fn api_error(e: CoreError) -> ApiError {
    if e.is_server_fault() {
        tracing::error!(error = %e, "server fault");
    }
    let reason = e.reason();
    let out = ApiError::new(e.aws_code(), e.client_message());
    match reason {
        Some(r) => out.with_reason(r),
        None => out,
    }
}

/// The error every handler returns: an AWS error, built from a domain error
/// (through [`api_error`], so server faults are logged once, here) or given
/// directly. It exists so handlers write `?` on domain calls; the generated
/// dispatch turns it back into the [`ApiError`] it carries.
#[derive(Debug)]
pub struct HandlerError(pub ApiError);

impl From<CoreError> for HandlerError {
    fn from(e: CoreError) -> Self {
        Self(api_error(e))
    }
}

impl From<ApiError> for HandlerError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<HandlerError> for ApiError {
    fn from(e: HandlerError) -> Self {
        e.0
    }
}

/// What every handler returns.
pub type R<T> = Result<T, HandlerError>;

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
pub fn target_user(caller: &Caller, user_name: Option<String>) -> R<String> {
    match (user_name, &caller.kind) {
        (Some(n), _) => Ok(n),
        (None, PrincipalKind::User { name_lower }) => Ok(name_lower.clone()),
        (None, _) => Err(ApiError::new(
            ErrorCode::ValidationError,
            "Must specify userName when calling with non-User credentials",
        )
        .into()),
    }
}

/// IAM's ValidationError texts repeat the offending value only for entity
/// names (`Value 'x' at 'userName'`); for other members (tags, version ids,
/// numbers) they say `Value at 'member'` (recorded AWS answers). STS always
/// repeats the value, so this applies to IAM only.
pub fn iam_validation_text(mut e: ApiError) -> ApiError {
    if e.code != ErrorCode::ValidationError || !e.message.contains("Value '") {
        return e;
    }
    let mut out = String::with_capacity(e.message.len());
    let mut rest = e.message.as_str();
    while let Some(start) = rest.find("Value '") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "Value '".len()..];
        // The value ends at the first `' at '` that is followed by a member
        // path and `' failed`.
        let Some(mid) = after.find("' at '") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let path_and_tail = &after[mid + "' at '".len()..];
        let member = path_and_tail.split('\'').next().unwrap_or_default();
        let last = member.rsplit('.').next().unwrap_or(member);
        // Evidence so far: names and maxSessionDuration keep their value.
        if last.ends_with("Name") || last == "maxSessionDuration" {
            out.push_str(&rest[start..start + "Value '".len() + mid + "' at '".len()]);
        } else {
            out.push_str("Value at '");
        }
        rest = path_and_tail;
    }
    out.push_str(rest);
    e.message = out;
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_validation_text_keeps_names_and_hides_other_values() {
        let e = ApiError::new(
            ErrorCode::ValidationError,
            "2 validation errors detected: Value 'bad name' at 'userName' failed to satisfy constraint: A; \
             Value 'kkk' at 'tags.1.member.key' failed to satisfy constraint: B",
        );
        assert_eq!(
            iam_validation_text(e).message,
            "2 validation errors detected: Value 'bad name' at 'userName' failed to satisfy constraint: A; \
             Value at 'tags.1.member.key' failed to satisfy constraint: B"
        );
        let other = ApiError::new(ErrorCode::NoSuchEntity, "Value 'x' at 'y'");
        assert_eq!(iam_validation_text(other).message, "Value 'x' at 'y'");
    }
}
