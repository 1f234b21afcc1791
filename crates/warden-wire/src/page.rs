//! Pagination on the wire, generated from botocore's `paginators-1.json`:
//! which request member is the marker and which the page size, which
//! response member takes the next marker (IAM `Marker` with `IsTruncated`,
//! Organizations `NextToken`) and which the items. Handlers go through these
//! traits instead of naming those members, so every List call pages alike.
//! Markers stay opaque here: the domain encodes and decodes them.

/// A paginated operation's request.
pub trait PageRequest {
    /// The marker from the previous page (botocore's `input_token`).
    fn marker(&self) -> Option<&str>;
    /// The requested page size (botocore's `limit_key`); `None` where the
    /// operation has none.
    fn limit(&self) -> Option<i32>;
}

/// A paginated operation's response.
pub trait PageResponse {
    /// Sets the next marker (botocore's `output_token`), and IAM's
    /// `IsTruncated` from it, so the two always agree.
    fn set_next(&mut self, next: Option<String>);
}

/// A paginated response whose items are one list member (all but IAM's
/// `GetAccountAuthorizationDetails` and `ListEntitiesForPolicy`).
pub trait PageItems: PageResponse + Sized {
    /// One item of the result list.
    type Item;
    /// The response's other members (`()` for most; `Group` for `GetGroup`).
    type Rest;
    /// The response carrying `items`, followed by `next` when it is set.
    fn page(rest: Self::Rest, items: Vec<Self::Item>, next: Option<String>) -> Self;
}
