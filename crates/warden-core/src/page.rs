//! One pagination rule for every List call: items come sorted by a key, the
//! marker is an opaque encoding of the last key returned, and MaxItems caps a
//! page (1..=1000, default 100), as IAM documents. A List call asks for a
//! page with one [`PageQuery`] and answers one [`Page`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use warden_wire::page::PageRequest;

use crate::error::{CoreError, Result};

/// The page a List call asks for: the marker of the previous page and the
/// page size, as the request gave them. [`paginate`] checks them, so their
/// error texts are the one rule's.
///
/// Named apart from `warden_wire::page::PageRequest`, the generated
/// requests' pagination trait it is made from ([`PageQuery::of`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageQuery {
    /// The marker a previous page returned (IAM's `Marker`, Organizations'
    /// `NextToken`); `None` for the first page.
    pub marker: Option<String>,
    /// The page size asked for (`MaxItems`, `MaxResults`); `None` for the
    /// default of 100.
    pub max_items: Option<i32>,
}

impl PageQuery {
    /// The page `request` asks for, through the generated pagination trait
    /// (which names the operation's marker and page-size members).
    pub fn of(request: &impl PageRequest) -> Self {
        Self {
            marker: request.marker().map(str::to_string),
            max_items: request.limit(),
        }
    }

    /// The first `max_items` items, for the domain's own listings.
    pub fn first(max_items: i32) -> Self {
        Self {
            marker: None,
            max_items: Some(max_items),
        }
    }
}

/// One page of a List call's results, as IAM's paged responses carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page, in the listing's order.
    pub items: Vec<T>,
    /// Set when more items follow; pass it back as `Marker`.
    pub marker: Option<String>,
}

impl<T> Page<T> {
    /// IAM's `IsTruncated`: whether more items follow this page.
    pub fn is_truncated(&self) -> bool {
        self.marker.is_some()
    }
}

const MARKER_PREFIX: &str = "w1:";

fn decode_marker(marker: &str) -> Result<String> {
    let bad = || CoreError::ValidationError("Invalid Marker.".to_string());
    let bytes = URL_SAFE_NO_PAD.decode(marker).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix(MARKER_PREFIX)
        .map(str::to_string)
        .ok_or_else(bad)
}

fn encode_marker(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{MARKER_PREFIX}{key}"))
}

/// Pages `items` (already sorted by `key`) after the query's marker.
pub fn paginate<T>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> String,
    query: PageQuery,
) -> Result<Page<T>> {
    let max = match query.max_items {
        None => 100,
        Some(n) if (1..=1000).contains(&n) => n as usize,
        Some(n) => {
            return Err(CoreError::ValidationError(format!(
                "1 validation error detected: Value '{n}' at 'maxItems' failed to satisfy constraint: Member must have value {}",
                if n < 1 { "greater than or equal to 1" } else { "less than or equal to 1000" }
            )))
        }
    };
    let after = query.marker.as_deref().map(decode_marker).transpose()?;
    let mut out = Vec::new();
    let mut iter = items
        .into_iter()
        .filter(|item| after.as_deref().is_none_or(|a| key(item).as_str() > a));
    for item in iter.by_ref() {
        out.push(item);
        if out.len() == max {
            break;
        }
    }
    let more = iter.next().is_some();
    let marker = match (more, out.last()) {
        (true, Some(last)) => Some(encode_marker(&key(last))),
        _ => None,
    };
    Ok(Page { items: out, marker })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_every_item_exactly_once() {
        let items: Vec<String> = (0..25).map(|i| format!("u{i:02}")).collect();
        let mut seen = Vec::new();
        let mut marker = None;
        loop {
            let query = PageQuery {
                marker: marker.clone(),
                max_items: Some(7),
            };
            let page = paginate(items.clone(), |s| s.clone(), query).unwrap();
            assert!(page.items.len() <= 7);
            seen.extend(page.items.clone());
            match page.marker {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn exact_fit_is_not_truncated() {
        let page = paginate(
            vec!["a".to_string(), "b".to_string()],
            |s| s.clone(),
            PageQuery::first(2),
        )
        .unwrap();
        assert!(!page.is_truncated());
    }

    #[test]
    fn garbage_marker_and_bad_max_items_are_rejected() {
        let items = vec!["a".to_string()];
        let garbage = PageQuery {
            marker: Some("!!!".to_string()),
            max_items: None,
        };
        assert!(matches!(
            paginate(items.clone(), |s| s.clone(), garbage),
            Err(CoreError::ValidationError(m)) if m == "Invalid Marker."
        ));
        let text = |n| match paginate(items.clone(), |s| s.clone(), PageQuery::first(n)) {
            Err(CoreError::ValidationError(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            text(0),
            "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        assert_eq!(
            text(1001),
            "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"
        );
    }

    #[test]
    fn a_query_is_what_the_request_asks_for_in_its_own_members() {
        use warden_wire::generated::{iam, organizations};
        let users = iam::ListUsersRequest {
            marker: Some("m".to_string()),
            max_items: Some(5),
            ..Default::default()
        };
        assert_eq!(
            PageQuery::of(&users),
            PageQuery {
                marker: Some("m".to_string()),
                max_items: Some(5)
            }
        );
        let accounts = organizations::ListAccountsRequest {
            next_token: Some("t".to_string()),
            max_results: Some(3),
        };
        assert_eq!(
            PageQuery::of(&accounts),
            PageQuery {
                marker: Some("t".to_string()),
                max_items: Some(3)
            }
        );
        assert_eq!(
            PageQuery::of(&iam::ListUsersRequest::default()),
            PageQuery::default()
        );
    }
}
