//! Conversions between the domain and the wire that every handler shares:
//! domain errors to AWS errors (the one place), timestamps and tags.

use time::OffsetDateTime;
use warden_core::auth::{Caller, PrincipalKind};
use warden_core::model::{Epoch, Tag};
use warden_core::page::{Page, PageQuery};
use warden_core::CoreError;
use warden_wire::page::{PageItems, PageResponse};
use warden_wire::{ApiError, ErrorCode, Service};

/// Domain error → AWS error, as the Query services (IAM, STS) name it. The
/// status comes with the code.
pub fn api_error(e: CoreError) -> ApiError {
    api_error_in(Service::Iam, e)
}

/// Domain error → AWS error, as `service` names it. The domain's refusal
/// (`CoreError::AccessDenied`, from the authorizer, which serves every
/// service) is `AccessDenied` in the Query services and
/// `AccessDeniedException` in Organizations, a JSON service: the protocol's
/// name for it is picked here, where the error is made, and only the edge
/// knows the protocol.
pub fn api_error_in(service: Service, e: CoreError) -> ApiError {
    if e.is_server_fault() {
        tracing::error!(error = %e, "server fault");
    }
    let code = match (service, &e) {
        (Service::Organizations, CoreError::AccessDenied(_)) => ErrorCode::AccessDeniedException,
        _ => e.aws_code(),
    };
    let reason = e.reason();
    let out = ApiError::new(code, e.client_message());
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

/// A domain page as a paged response. With [`page_with`] and [`page_into`]
/// this is where a page's marker reaches the wire: the generated
/// `PageResponse` impl puts it in the operation's output token (and sets
/// IAM's `IsTruncated` from it), so handlers never touch either.
pub fn page_out<Resp, T>(page: Page<T>, f: impl FnMut(&T) -> Resp::Item) -> Resp
where
    Resp: PageItems<Rest = ()>,
{
    page_with((), page, f)
}

/// [`page_out`] for a response with members besides the page (GetGroup's
/// `Group`), given as `rest`.
pub fn page_with<Resp: PageItems, T>(
    rest: Resp::Rest,
    page: Page<T>,
    f: impl FnMut(&T) -> Resp::Item,
) -> Resp {
    Resp::page(rest, page.items.iter().map(f).collect(), page.marker)
}

/// [`page_out`] for a response whose items are split over several lists:
/// `build` fills them from the page's items.
pub fn page_into<Resp: PageResponse, T>(page: Page<T>, build: impl FnOnce(Vec<T>) -> Resp) -> Resp {
    let mut out = build(page.items);
    out.set_next(page.marker);
    out
}

/// A paginated response answered whole: never truncated, no marker.
pub fn whole<Resp: PageResponse>(mut out: Resp) -> Resp {
    out.set_next(None);
    out
}

/// Pages a list the handler holds in a fixed order (tags, simulation
/// results, Organizations listings): the marker is the item's position,
/// zero-padded to `width` digits so markers sort as positions do.
pub fn page_by_position<T>(
    items: impl IntoIterator<Item = T>,
    width: usize,
    query: PageQuery,
) -> R<Page<T>> {
    let page = warden_core::page::paginate(
        items.into_iter().enumerate(),
        |(i, _)| format!("{i:0width$}"),
        query,
    )?;
    Ok(Page {
        items: page.items.into_iter().map(|(_, t)| t).collect(),
        marker: page.marker,
    })
}
