//! One pagination rule for every List call: items come sorted by a key, the
//! marker is an opaque encoding of the last key returned, and MaxItems caps a
//! page (1..=1000, default 100), as IAM documents.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{CoreError, Result};

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

/// Pages `items` (already sorted by `key`) after `marker`.
pub fn paginate<T>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> String,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<Page<T>> {
    let max = match max_items {
        None => 100,
        Some(n) if (1..=1000).contains(&n) => n as usize,
        Some(n) => {
            return Err(CoreError::ValidationError(format!(
                "1 validation error detected: Value '{n}' at 'maxItems' failed to satisfy constraint: Member must have value {}",
                if n < 1 { "greater than or equal to 1" } else { "less than or equal to 1000" }
            )))
        }
    };
    let after = marker.map(decode_marker).transpose()?;
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
            let page = paginate(items.clone(), |s| s.clone(), marker.as_deref(), Some(7)).unwrap();
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
            None,
            Some(2),
        )
        .unwrap();
        assert!(!page.is_truncated());
    }

    #[test]
    fn garbage_marker_and_bad_max_items_are_rejected() {
        let items = vec!["a".to_string()];
        assert!(matches!(
            paginate(items.clone(), |s| s.clone(), Some("!!!"), None),
            Err(CoreError::ValidationError(_))
        ));
        assert!(paginate(items.clone(), |s| s.clone(), None, Some(0)).is_err());
        assert!(paginate(items, |s| s.clone(), None, Some(1001)).is_err());
    }
}
