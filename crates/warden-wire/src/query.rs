//! The AWS Query protocol's request side: form/query-string parameters and
//! their decoding into the generated request types.
//!
//! Decoding follows botocore's Query serializer: lists are
//! `Name.member.N` (1-based, contiguous; an empty list is sent as `Name=`),
//! maps `Name.entry.N.key` / `Name.entry.N.value`, nested structures
//! `Parent.Child`. Every present value is checked against its shape's
//! constraints while decoding, so one pass yields either the typed request or
//! AWS's `ValidationError` listing every violation.

use std::collections::BTreeMap;
use std::ops::Bound;

use base64::Engine as _;
use time::OffsetDateTime;

use crate::error::{ApiError, Service};
use crate::rules::{IntRules, LenRules, StrRules, Violations};

/// The decoded parameters of a Query request, by exact name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams {
    // Sorted so that "does any parameter start with `Prefix.`" is a range
    // lookup; structures and lists are detected that way.
    params: BTreeMap<String, String>,
}

/// Why a form body or query string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A name or value is not valid UTF-8 once percent-decoded.
    #[error("the query string is not valid UTF-8 after percent-decoding")]
    InvalidUtf8,
}

impl From<ParseError> for ApiError {
    fn from(e: ParseError) -> Self {
        ApiError::malformed_query_string(e.to_string())
    }
}

impl QueryParams {
    /// Parses an `application/x-www-form-urlencoded` body or a raw query
    /// string (`a=1&b=2`, `+` for space, percent escapes). A name without
    /// `=` has the empty value. When a name repeats, the first value wins.
    pub fn parse(bytes: &[u8]) -> Result<QueryParams, ApiError> {
        Self::parse_inner(bytes).map_err(ApiError::from)
    }

    fn parse_inner(bytes: &[u8]) -> Result<QueryParams, ParseError> {
        let mut params = BTreeMap::new();
        for pair in bytes.split(|b| *b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let name = decode_component(name)?;
            if name.is_empty() {
                continue;
            }
            let value = decode_component(value)?;
            params.entry(name).or_insert(value);
        }
        Ok(QueryParams { params })
    }

    /// Builds parameters from name/value pairs (tests, presigned URLs).
    pub fn from_pairs<I, K, V>(pairs: I) -> QueryParams
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut params = BTreeMap::new();
        for (k, v) in pairs {
            params.entry(k.into()).or_insert_with(|| v.into());
        }
        QueryParams { params }
    }

    /// The value of the parameter named exactly `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The `Action` parameter.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// The `Version` parameter.
    pub fn version(&self) -> Option<&str> {
        self.get("Version")
    }

    /// All parameters, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// Removes a parameter (e.g. SigV4's presign parameters) and returns it.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.params.remove(name)
    }

    /// Whether some parameter is named `prefix.` followed by anything.
    fn has_children(&self, prefix: &str) -> bool {
        let start = format!("{prefix}.");
        self.params
            .range::<str, _>((Bound::Included(start.as_str()), Bound::Unbounded))
            .next()
            .is_some_and(|(k, _)| k.starts_with(&start))
    }

    /// Decodes a whole request of type `T` from these parameters, or the
    /// `ValidationError` listing every violated constraint.
    pub fn decode<T: QueryDecode>(&self) -> Result<T, ApiError> {
        let mut d = QueryDecoder::new(self, T::SERVICE);
        let value = T::decode_query(&mut d, &Member::root());
        match (value, d.violations.into_error()) {
            (_, Some(err)) => Err(err),
            (Some(v), None) => Ok(v),
            // A structure only fails to build after recording a violation;
            // this arm is unreachable in practice but must not panic.
            (None, None) => Err(ApiError::validation("The request could not be decoded.")),
        }
    }
}

/// Percent-decodes one form component (`+` is a space).
fn decode_component(raw: &[u8]) -> Result<String, ParseError> {
    let plus_decoded: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_decoded).collect();
    String::from_utf8(bytes).map_err(|_| ParseError::InvalidUtf8)
}

/// Where a member lives: its Query parameter name (`Tags.member.1.Key`)
/// and its path in AWS's validation messages (`tags.1.member.key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The parameter name, or the prefix of the parameter names of a
    /// structure, list or map. Empty for the request itself.
    pub key: String,
    /// The lowerCamel path used in validation messages.
    pub path: String,
}

impl Member {
    /// The request structure itself.
    pub fn root() -> Member {
        Member {
            key: String::new(),
            path: String::new(),
        }
    }

    /// A member of the structure at `self`: `name` as serialized on the wire,
    /// `path_name` as AWS names it in messages (lowerCamel).
    pub fn child(&self, name: &str, path_name: &str) -> Member {
        Member {
            key: join(&self.key, name),
            path: join(&self.path, path_name),
        }
    }

    /// The `index`-th (1-based) element of the list at `self`.
    fn list_element(&self, index: usize) -> Member {
        Member {
            key: format!("{}.member.{index}", self.key),
            path: format!("{}.{index}.member", self.path),
        }
    }

    /// The key or value of the `index`-th (1-based) entry of the map at `self`.
    fn map_part(&self, index: usize, part: &str) -> Member {
        Member {
            key: format!("{}.entry.{index}.{part}", self.key),
            path: format!("{}.{index}.{part}", self.path),
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A request structure decodable from Query parameters. Implemented by the
/// generated code for every input structure.
pub trait QueryDecode: Sized {
    /// The service whose request this is: validation messages are worded as
    /// it words them (IAM repeats fewer values than STS).
    const SERVICE: Service;

    /// Decodes the structure at `at`. Returns `None` only after recording at
    /// least one violation in `d` (a required member is missing or invalid).
    fn decode_query(d: &mut QueryDecoder<'_>, at: &Member) -> Option<Self>;
}

/// Operations without input decode from anything.
impl QueryDecode for () {
    // No members, so no message to word; any service will do.
    const SERVICE: Service = Service::Sts;

    fn decode_query(_d: &mut QueryDecoder<'_>, _at: &Member) -> Option<Self> {
        Some(())
    }
}

/// Decoding state: the parameters and the violations found so far.
#[derive(Debug)]
pub struct QueryDecoder<'a> {
    params: &'a QueryParams,
    violations: Violations,
}

impl<'a> QueryDecoder<'a> {
    /// A decoder over `params` with no violations, wording its messages as
    /// `service` does.
    pub fn new(params: &'a QueryParams, service: Service) -> Self {
        QueryDecoder {
            params,
            violations: Violations::for_service(service),
        }
    }

    /// The violations recorded so far.
    pub fn violations(&self) -> &Violations {
        &self.violations
    }

    /// Records a missing required member when `required`; always `None`.
    fn absent<T>(&mut self, at: &Member, required: bool) -> Option<T> {
        if required {
            self.violations.missing(&at.path);
        }
        None
    }

    fn scalar(&mut self, at: &Member, required: bool) -> Option<&'a str> {
        match self.params.get(&at.key) {
            Some(v) => Some(v),
            None => self.absent(at, required),
        }
    }

    /// Records that a present value could not be read as its type.
    fn unparseable(&mut self, at: &Member, raw: &str, expected: &str) {
        self.violations.unparseable(&at.path, raw, expected);
    }

    /// A string member.
    pub fn string(&mut self, at: &Member, required: bool, rules: &StrRules) -> Option<String> {
        let raw = self.scalar(at, required)?;
        self.violations.check_str(&at.path, raw, rules);
        Some(raw.to_string())
    }

    /// An `integer` member.
    pub fn int32(&mut self, at: &Member, required: bool, rules: &IntRules) -> Option<i32> {
        let raw = self.scalar(at, required)?;
        match raw.trim().parse::<i32>() {
            Ok(v) => {
                self.violations.check_int(&at.path, i64::from(v), rules);
                Some(v)
            }
            Err(_) => {
                self.unparseable(at, raw, "a valid integer");
                None
            }
        }
    }

    /// A `long` member.
    pub fn int64(&mut self, at: &Member, required: bool, rules: &IntRules) -> Option<i64> {
        let raw = self.scalar(at, required)?;
        match raw.trim().parse::<i64>() {
            Ok(v) => {
                self.violations.check_int(&at.path, v, rules);
                Some(v)
            }
            Err(_) => {
                self.unparseable(at, raw, "a valid long");
                None
            }
        }
    }

    /// A `double` member.
    pub fn double(&mut self, at: &Member, required: bool) -> Option<f64> {
        let raw = self.scalar(at, required)?;
        match raw.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.unparseable(at, raw, "a valid number");
                None
            }
        }
    }

    /// A `boolean` member: `true` or `false`, case-insensitively.
    pub fn boolean(&mut self, at: &Member, required: bool) -> Option<bool> {
        let raw = self.scalar(at, required)?;
        if raw.eq_ignore_ascii_case("true") {
            Some(true)
        } else if raw.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            self.unparseable(at, raw, "a valid boolean");
            None
        }
    }

    /// A `timestamp` member: ISO 8601 / RFC 3339 (what botocore sends for
    /// Query), or epoch seconds.
    pub fn timestamp(&mut self, at: &Member, required: bool) -> Option<OffsetDateTime> {
        let raw = self.scalar(at, required)?;
        match parse_timestamp(raw) {
            Some(t) => Some(t),
            None => {
                self.unparseable(at, raw, "a valid timestamp");
                None
            }
        }
    }

    /// A `blob` member, base64 on the wire.
    pub fn blob(&mut self, at: &Member, required: bool, rules: &LenRules) -> Option<Vec<u8>> {
        let raw = self.scalar(at, required)?;
        match base64::engine::general_purpose::STANDARD.decode(raw.trim()) {
            Ok(bytes) => {
                self.violations
                    .check_len(&at.path, None, bytes.len() as u64, rules);
                Some(bytes)
            }
            Err(_) => {
                self.unparseable(at, raw, "valid base64");
                None
            }
        }
    }

    /// A nested structure member: present when any `Key.` parameter is.
    pub fn structure<T: QueryDecode>(&mut self, at: &Member, required: bool) -> Option<T> {
        if !self.params.has_children(&at.key) {
            return self.absent(at, required);
        }
        T::decode_query(self, at)
    }

    /// A list member, `Key.member.N` from 1 up to the first gap. `Key=`
    /// (botocore's encoding of an empty list) is an empty list.
    pub fn list<T, F>(
        &mut self,
        at: &Member,
        required: bool,
        rules: &LenRules,
        mut element: F,
    ) -> Option<Vec<T>>
    where
        F: FnMut(&mut Self, &Member) -> Option<T>,
    {
        let explicit_empty = self.params.get(&at.key).is_some();
        let member_prefix = format!("{}.member", at.key);
        if !explicit_empty && !self.params.has_children(&member_prefix) {
            return self.absent(at, required);
        }
        let mut out = Vec::new();
        let mut index = 1;
        loop {
            let el = at.list_element(index);
            if self.params.get(&el.key).is_none() && !self.params.has_children(&el.key) {
                break;
            }
            if let Some(v) = element(self, &el) {
                out.push(v);
            }
            index += 1;
        }
        let shown = self.list_display(at, index - 1);
        self.violations
            .check_len(&at.path, shown.as_deref(), out.len() as u64, rules);
        Some(out)
    }

    /// How AWS prints a list value in a message: `[a, b]` (Java's
    /// `List.toString`) for lists of scalars; not printed otherwise.
    fn list_display(&self, at: &Member, count: usize) -> Option<String> {
        let mut items = Vec::with_capacity(count);
        for i in 1..=count {
            items.push(self.params.get(&at.list_element(i).key)?);
        }
        Some(format!("[{}]", items.join(", ")))
    }

    /// A map member, `Key.entry.N.key` / `Key.entry.N.value` from 1 up to
    /// the first gap.
    pub fn map<K, V, FK, FV>(
        &mut self,
        at: &Member,
        required: bool,
        rules: &LenRules,
        mut key: FK,
        mut value: FV,
    ) -> Option<BTreeMap<K, V>>
    where
        K: Ord,
        FK: FnMut(&mut Self, &Member) -> Option<K>,
        FV: FnMut(&mut Self, &Member) -> Option<V>,
    {
        let explicit_empty = self.params.get(&at.key).is_some();
        let entry_prefix = format!("{}.entry", at.key);
        if !explicit_empty && !self.params.has_children(&entry_prefix) {
            return self.absent(at, required);
        }
        let mut out = BTreeMap::new();
        let mut index = 1;
        loop {
            let entry = format!("{}.entry.{index}", at.key);
            if !self.params.has_children(&entry) {
                break;
            }
            let k = key(self, &at.map_part(index, "key"));
            let v = value(self, &at.map_part(index, "value"));
            if let (Some(k), Some(v)) = (k, v) {
                out.insert(k, v);
            }
            index += 1;
        }
        self.violations
            .check_len(&at.path, None, out.len() as u64, rules);
        Some(out)
    }
}

/// Parses an input timestamp: RFC 3339 (`2024-01-01T00:00:00Z`, fractional
/// seconds and offsets allowed) or integer/fractional epoch seconds.
pub fn parse_timestamp(raw: &str) -> Option<OffsetDateTime> {
    let raw = raw.trim();
    if let Ok(t) = OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339) {
        return Some(t);
    }
    if let Ok(secs) = raw.parse::<i64>() {
        return OffsetDateTime::from_unix_timestamp(secs).ok();
    }
    if let Ok(secs) = raw.parse::<f64>() {
        if secs.is_finite() {
            let nanos = (secs * 1e9) as i128;
            return OffsetDateTime::from_unix_timestamp_nanos(nanos).ok();
        }
    }
    None
}
