//! CloudTrail's `LookupEvents` (AWS JSON 1.1) over the audit trail: one
//! lookup attribute at most, a time range, newest first, pages of 1 to 50.
//! An account sees its own records; the management account of an
//! organization also sees its members'. Authorized as
//! `cloudtrail:LookupEvents` through the action table.

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

use axum::http::request::Parts;
use serde_json::{json, Value};
use warden_core::auth::Caller;

use super::{AuditTrail, Entry, Fields, Keys};

/// `X-Amz-Target`'s prefix for CloudTrail.
pub(crate) const TARGET_PREFIX: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101";

/// The CloudTrail operation a request names, if it is one.
pub(crate) fn target(parts: &Parts) -> Option<&str> {
    let target = parts.headers.get("x-amz-target")?.to_str().ok()?;
    target.strip_prefix(TARGET_PREFIX)?.strip_prefix('.')
}

/// A CloudTrail error: its `__type`, message and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LookupError {
    pub code: &'static str,
    pub message: String,
    pub status: u16,
}

fn invalid(code: &'static str, message: impl Into<String>) -> LookupError {
    LookupError {
        code,
        message: message.into(),
        status: 400,
    }
}

const KEYS: &[&str] = &[
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
];

/// A parsed, validated request.
#[derive(Debug, PartialEq)]
struct Query {
    attribute: Option<(String, String)>,
    start: Option<f64>,
    end: Option<f64>,
    insight: bool,
    max: usize,
    next: Option<String>,
}

/// Error texts: AWS's are not recorded in moto's tests or LocalStack's
/// snapshots (neither validates LookupEvents), so these are short factual
/// texts under AWS's codes (botocore cloudtrail-2013-11-01 error shapes).
fn parse(body: &[u8]) -> Result<Query, LookupError> {
    let v: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|_| {
            invalid(
                "SerializationException",
                "Start of structure or map found where not expected.",
            )
        })?
    };
    let attributes = match v.get("LookupAttributes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(invalid(
                "SerializationException",
                "LookupAttributes must be a list.",
            ))
        }
    };
    if attributes.len() > 1 {
        return Err(invalid(
            "InvalidLookupAttributesException",
            "You can specify at most one lookup attribute.",
        ));
    }
    let attribute = match attributes.first() {
        None => None,
        Some(a) => {
            let key = a.get("AttributeKey").and_then(Value::as_str).unwrap_or("");
            let value = a
                .get("AttributeValue")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !KEYS.contains(&key) {
                return Err(invalid(
                    "InvalidLookupAttributesException",
                    format!(
                        "{key} is not a valid lookup attribute key. Valid keys: {}.",
                        KEYS.join(", ")
                    ),
                ));
            }
            if value.is_empty() || value.chars().count() > 2000 {
                return Err(invalid(
                    "InvalidLookupAttributesException",
                    "The lookup attribute value must be 1 to 2000 characters long.",
                ));
            }
            if key == "ReadOnly" && value != "true" && value != "false" {
                return Err(invalid(
                    "InvalidLookupAttributesException",
                    "The ReadOnly lookup attribute value must be true or false.",
                ));
            }
            Some((key.to_string(), value.to_string()))
        }
    };
    let time = |name: &str| -> Result<Option<f64>, LookupError> {
        match v.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(t) => t.as_f64().map(Some).ok_or_else(|| {
                invalid(
                    "SerializationException",
                    format!("{name} must be a timestamp in epoch seconds."),
                )
            }),
        }
    };
    let (start, end) = (time("StartTime")?, time("EndTime")?);
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(invalid(
                "InvalidTimeRangeException",
                "The start time must not be after the end time.",
            ));
        }
    }
    let insight = match v.get("EventCategory").and_then(Value::as_str) {
        None => false,
        Some("insight") => true,
        Some(other) => {
            return Err(invalid(
                "InvalidEventCategoryException",
                format!("{other} is not a valid event category. Valid value: insight."),
            ))
        }
    };
    let max = match v.get("MaxResults") {
        None | Some(Value::Null) => 50,
        Some(n) => match n.as_i64() {
            Some(n @ 1..=50) => usize::try_from(n).unwrap_or(50),
            _ => {
                return Err(invalid(
                    "InvalidMaxResultsException",
                    "MaxResults must be between 1 and 50.",
                ))
            }
        },
    };
    let next = v
        .get("NextToken")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Query {
        attribute,
        start,
        end,
        insight,
        max,
        next,
    })
}

/// A page token binds the position to the parameters and the caller's
/// account it was issued for (`seq.hash`).
fn binding(q: &Query, account: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    q.attribute.hash(&mut h);
    q.start.map(f64::to_bits).hash(&mut h);
    q.end.map(f64::to_bits).hash(&mut h);
    account.hash(&mut h);
    h.finish()
}

/// Whether a record's text matches the attribute (confirming [`picks`]).
fn matches(r: &Fields, attribute: &Option<(String, String)>) -> bool {
    let Some((key, value)) = attribute else {
        return true;
    };
    match key.as_str() {
        "EventId" => r.event_id == *value,
        "EventName" => r.event_name == *value,
        "ReadOnly" => (r.read_only && value == "true") || (!r.read_only && value == "false"),
        "Username" => r.username.as_deref() == Some(value.as_str()),
        "ResourceType" => r.resources.iter().any(|(t, _)| t == value),
        "ResourceName" => r.resources.iter().any(|(_, n)| n == value),
        "EventSource" => r.event_source == *value,
        "AccessKeyId" => r.access_key_id.as_deref() == Some(value.as_str()),
        _ => false,
    }
}

/// Whether an index entry may match the attribute, by the values' hashes.
fn picks(e: &Entry, attribute: &Option<(String, String)>, keys: &Keys) -> bool {
    let Some((key, value)) = attribute else {
        return true;
    };
    let h = keys.of(Some(value));
    match key.as_str() {
        "EventId" => e.event_id == h,
        "EventName" => e.event_name == h,
        "ReadOnly" => e.read_only == (value == "true"),
        "Username" => e.username == h,
        "ResourceType" => e.resources.iter().any(|(t, _)| *t == h),
        "ResourceName" => e.resources.iter().any(|(_, n)| *n == h),
        "EventSource" => e.event_source == h,
        "AccessKeyId" => e.access_key_id == h,
        _ => false,
    }
}

/// The accounts whose records `caller` sees: its own, and when it manages
/// an organization, its members'.
fn visible_accounts(app: &crate::AppState, caller: &Caller) -> BTreeSet<String> {
    let mut accounts = BTreeSet::from([caller.account.clone()]);
    let state = app.warden.read();
    for org in state.organizations.values() {
        if org.management_account == caller.account {
            accounts.extend(org.members.iter().map(|m| m.account.clone()));
        }
    }
    accounts
}

/// Answers an authorized LookupEvents for `caller`.
pub(crate) fn lookup_events(
    app: &crate::AppState,
    trail: &AuditTrail,
    caller: &Caller,
    body: &[u8],
) -> Result<Value, LookupError> {
    let q = parse(body)?;
    let bind = binding(&q, &caller.account);
    let before = match &q.next {
        None => None,
        Some(token) => {
            let parsed = token.split_once('.').and_then(|(pos, hash)| {
                Some((
                    u128::from_str_radix(pos, 16).ok()?,
                    u64::from_str_radix(hash, 16).ok()?,
                ))
            });
            match parsed {
                Some((pos, hash)) if hash == bind => Some(pos),
                _ => {
                    return Err(invalid(
                        "InvalidNextTokenException",
                        "Invalid NextToken: it must come from a call with the same parameters.",
                    ))
                }
            }
        }
    };
    if q.insight {
        // warden records no Insights events.
        return Ok(json!({ "Events": [] }));
    }
    let accounts = visible_accounts(app, caller);
    let keys = trail.keys();
    let account_keys: Vec<u64> = accounts.iter().map(|a| keys.of(Some(a))).collect();
    let in_range = |time: i64| {
        q.start.is_none_or(|s| time as f64 >= s.floor()) && q.end.is_none_or(|e| time as f64 <= e)
    };
    let (page, more) = trail.newest_first(
        before,
        q.max,
        |e| account_keys.contains(&e.recipient) && in_range(e.time) && picks(e, &q.attribute, keys),
        |f| accounts.contains(&f.recipient) && in_range(f.time) && matches(f, &q.attribute),
    );
    let events: Vec<Value> = page
        .iter()
        .map(|found| {
            let r = &found.fields;
            let mut e = serde_json::Map::new();
            e.insert("EventId".into(), r.event_id.clone().into());
            e.insert("EventName".into(), r.event_name.clone().into());
            e.insert(
                "ReadOnly".into(),
                if r.read_only { "true" } else { "false" }.into(),
            );
            if let Some(k) = &r.access_key_id {
                e.insert("AccessKeyId".into(), k.clone().into());
            }
            e.insert("EventTime".into(), r.time.into());
            e.insert("EventSource".into(), r.event_source.clone().into());
            if let Some(u) = &r.username {
                e.insert("Username".into(), u.clone().into());
            }
            e.insert(
                "Resources".into(),
                r.resources
                    .iter()
                    .map(|(t, n)| json!({"ResourceType": t, "ResourceName": n}))
                    .collect(),
            );
            e.insert("CloudTrailEvent".into(), found.json.clone().into());
            Value::Object(e)
        })
        .collect();
    let mut out = json!({ "Events": events });
    if more {
        if let Some(last) = page.last() {
            out["NextToken"] = format!("{:x}.{bind:x}", last.pos).into();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_one_attribute_is_refused() {
        let body = br#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"A"},{"AttributeKey":"EventName","AttributeValue":"B"}]}"#;
        assert_eq!(
            parse(body).unwrap_err().code,
            "InvalidLookupAttributesException"
        );
    }

    #[test]
    fn bad_keys_values_ranges_and_sizes_get_their_errors() {
        let cases: &[(&[u8], &str)] = &[
            (
                br#"{"LookupAttributes":[{"AttributeKey":"Colour","AttributeValue":"A"}]}"#,
                "InvalidLookupAttributesException",
            ),
            (
                br#"{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"yes"}]}"#,
                "InvalidLookupAttributesException",
            ),
            (
                br#"{"StartTime":20,"EndTime":10}"#,
                "InvalidTimeRangeException",
            ),
            (br#"{"MaxResults":51}"#, "InvalidMaxResultsException"),
            (br#"{"MaxResults":0}"#, "InvalidMaxResultsException"),
            (
                br#"{"EventCategory":"data"}"#,
                "InvalidEventCategoryException",
            ),
        ];
        for (body, code) in cases {
            assert_eq!(
                parse(body).unwrap_err().code,
                *code,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let ok = parse(br#"{"StartTime":10,"EndTime":10,"MaxResults":50}"#).unwrap();
        assert_eq!(ok.max, 50);
    }

    #[test]
    fn a_token_is_bound_to_its_parameters_and_account() {
        let a =
            parse(br#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"A"}]}"#)
                .unwrap();
        let b =
            parse(br#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"B"}]}"#)
                .unwrap();
        assert_ne!(binding(&a, "111122223333"), binding(&b, "111122223333"));
        assert_ne!(binding(&a, "111122223333"), binding(&a, "444455556666"));
        // MaxResults may change between pages, as AWS allows.
        let a50 = parse(br#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"A"}],"MaxResults":5}"#).unwrap();
        assert_eq!(binding(&a, "111122223333"), binding(&a50, "111122223333"));
    }
}
