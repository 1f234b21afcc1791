//! The AWS JSON 1.1 protocol (Organizations): request decoding with model
//! constraints, response encoding, error bodies.
//!
//! Requests are `POST /` with `X-Amz-Target: Prefix.Operation` and a JSON
//! object body whose member names are the model's (PascalCase). Responses use
//! the same names; timestamps are epoch seconds as numbers and blobs base64
//! strings, which is what botocore's JSON parser expects.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::{ApiError, ErrorCode};
use crate::rules::{IntRules, LenRules, StrRules, ViolationKind, Violations};

/// A response structure that can be rendered as JSON.
pub trait JsonEncode {
    /// The JSON object of this value, members in model order.
    fn encode_json(&self) -> Value;
}

/// A request structure decodable from a JSON value.
pub trait JsonDecode: Sized {
    /// Decodes the structure at `at`. Returns `None` only after recording a
    /// violation or a type error in `d`.
    fn decode_json(d: &mut JsonDecoder, at: &JsonMember<'_>) -> Option<Self>;
}

/// A JSON value at a path, as seen by the decoder.
#[derive(Debug, Clone)]
pub struct JsonMember<'v> {
    /// The value, `None` when the member is absent or `null`.
    pub value: Option<&'v Value>,
    /// The lowerCamel path used in validation messages.
    pub path: String,
}

impl<'v> JsonMember<'v> {
    /// The member named `name` (on the wire) of the object at `self`.
    pub fn child(&self, name: &str, path_name: &str) -> JsonMember<'v> {
        let value = self
            .value
            .and_then(|v| v.get(name))
            .filter(|v| !v.is_null());
        let path = if self.path.is_empty() {
            path_name.to_string()
        } else {
            format!("{}.{path_name}", self.path)
        };
        JsonMember { value, path }
    }
}

/// Decoding state: violations and the first type error.
#[derive(Debug, Default)]
pub struct JsonDecoder {
    violations: Violations,
    type_error: Option<ApiError>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl JsonDecoder {
    /// A decoder with nothing recorded.
    pub fn new() -> Self {
        Self::default()
    }

    fn absent<T>(&mut self, at: &JsonMember<'_>, required: bool) -> Option<T> {
        if required {
            self.violations.missing(&at.path);
        }
        None
    }

    /// A value of the wrong JSON type: AWS's JSON services answer
    /// `SerializationException` for these before any validation.
    fn wrong_type<T>(&mut self, at: &JsonMember<'_>, v: &Value, expected: &str) -> Option<T> {
        if self.type_error.is_none() {
            self.type_error = Some(ApiError::new(
                ErrorCode::SerializationException,
                format!(
                    "Unexpected {} at '{}': expected {expected}",
                    type_name(v),
                    at.path
                ),
            ));
        }
        None
    }

    /// A string member.
    pub fn string(
        &mut self,
        at: &JsonMember<'_>,
        required: bool,
        rules: &StrRules,
    ) -> Option<String> {
        let Some(v) = at.value else {
            return self.absent(at, required);
        };
        match v.as_str() {
            Some(s) => {
                self.violations.check_str(&at.path, s, rules);
                Some(s.to_string())
            }
            None => self.wrong_type(at, v, "string"),
        }
    }

    fn integer(&mut self, at: &JsonMember<'_>, required: bool, rules: &IntRules) -> Option<i64> {
        let Some(v) = at.value else {
            return self.absent(at, required);
        };
        match v.as_i64() {
            Some(n) => {
                self.violations.check_int(&at.path, n, rules);
                Some(n)
            }
            None => self.wrong_type(at, v, "integer"),
        }
    }

    /// An `integer` member.
    pub fn int32(&mut self, at: &JsonMember<'_>, required: bool, rules: &IntRules) -> Option<i32> {
        let n = self.integer(at, required, rules)?;
        match i32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                let v = at.value.cloned().unwrap_or(Value::Null);
                self.wrong_type(at, &v, "32-bit integer")
            }
        }
    }

    /// A `long` member.
    pub fn int64(&mut self, at: &JsonMember<'_>, required: bool, rules: &IntRules) -> Option<i64> {
        self.integer(at, required, rules)
    }

    /// A `double` member.
    pub fn double(&mut self, at: &JsonMember<'_>, required: bool) -> Option<f64> {
        let Some(v) = at.value else {
            return self.absent(at, required);
        };
        match v.as_f64() {
            Some(n) => Some(n),
            None => self.wrong_type(at, v, "number"),
        }
    }

    /// A `boolean` member.
    pub fn boolean(&mut self, at: &JsonMember<'_>, required: bool) -> Option<bool> {
        let Some(v) = at.value else {
            return self.absent(at, required);
        };
        match v.as_bool() {
            Some(b) => Some(b),
            None => self.wrong_type(at, v, "boolean"),
        }
    }

    /// A `timestamp` member: epoch seconds (botocore's JSON default) or an
    /// ISO 8601 string.
    pub fn timestamp(&mut self, at: &JsonMember<'_>, required: bool) -> Option<OffsetDateTime> {
        let Some(v) = at.value else {
            return self.absent(at, required);
        };
        let parsed = match v {
            Value::Number(n) => n
                .as_f64()
                .and_then(|f| OffsetDateTime::from_unix_timestamp_nanos((f * 1e9) as i128).ok()),
            Value::String(s) => crate::query::parse_timestamp(s),
            _ => None,
        };
        match parsed {
            Some(t) => Some(t),
            None => self.wrong_type(at, v, "timestamp"),
        }
    }

    /// A `blob` member (base64 string).
    pub fn blob(
        &mut self,
        at: &JsonMember<'_>,
        required: bool,
        rules: &LenRules,
    ) -> Option<Vec<u8>> {
        let Some(v) = at.value else {
            return self.absent(at, required);
        };
        match v
            .as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        {
            Some(bytes) => {
                self.violations
                    .check_len(&at.path, None, bytes.len() as u64, rules);
                Some(bytes)
            }
            None => self.wrong_type(at, v, "base64 string"),
        }
    }

    /// A nested structure member.
    pub fn structure<T: JsonDecode>(&mut self, at: &JsonMember<'_>, required: bool) -> Option<T> {
        let Some(v) = at.value else {
            return self.absent(at, required);
        };
        if !v.is_object() {
            return self.wrong_type(at, v, "object");
        }
        T::decode_json(self, at)
    }

    /// A list member.
    pub fn list<T, F>(
        &mut self,
        at: &JsonMember<'_>,
        required: bool,
        rules: &LenRules,
        mut element: F,
    ) -> Option<Vec<T>>
    where
        F: FnMut(&mut Self, &JsonMember<'_>) -> Option<T>,
    {
        let Some(v) = at.value else {
            return self.absent(at, required);
        };
        let Some(items) = v.as_array() else {
            return self.wrong_type(at, v, "array");
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let el = JsonMember {
                value: Some(item).filter(|v| !v.is_null()),
                path: format!("{}.{}.member", at.path, i + 1),
            };
            if let Some(x) = element(self, &el) {
                out.push(x);
            }
        }
        self.violations
            .check_len(&at.path, None, items.len() as u64, rules);
        Some(out)
    }

    /// A map member (JSON object).
    pub fn map<K, V, FK, FV>(
        &mut self,
        at: &JsonMember<'_>,
        required: bool,
        rules: &LenRules,
        mut key: FK,
        mut value: FV,
    ) -> Option<BTreeMap<K, V>>
    where
        K: Ord,
        FK: FnMut(&mut Self, &JsonMember<'_>) -> Option<K>,
        FV: FnMut(&mut Self, &JsonMember<'_>) -> Option<V>,
    {
        let Some(v) = at.value else {
            return self.absent(at, required);
        };
        let Some(obj) = v.as_object() else {
            return self.wrong_type(at, v, "object");
        };
        let mut out = BTreeMap::new();
        for (k, item) in obj {
            let key_value = Value::String(k.clone());
            let km = JsonMember {
                value: Some(&key_value),
                path: format!("{}.key", at.path),
            };
            let vm = JsonMember {
                value: Some(item).filter(|v| !v.is_null()),
                path: format!("{}.{k}", at.path),
            };
            let (k, v) = (key(self, &km), value(self, &vm));
            if let (Some(k), Some(v)) = (k, v) {
                out.insert(k, v);
            }
        }
        self.violations
            .check_len(&at.path, None, obj.len() as u64, rules);
        Some(out)
    }
}

/// Decodes a JSON 1.1 request body into `T`. An empty body is `{}`.
pub fn decode_body<T: JsonDecode>(body: &[u8]) -> Result<T, ApiError> {
    let value = parse_body(body)?;
    let mut d = JsonDecoder::new();
    let root = JsonMember {
        value: Some(&value),
        path: String::new(),
    };
    let decoded = T::decode_json(&mut d, &root);
    if let Some(e) = d.type_error {
        return Err(e);
    }
    if let Some((kind, path)) = d.violations.first() {
        return Err(invalid_input(*kind, path));
    }
    decoded.ok_or_else(|| invalid_input(ViolationKind::Missing, ""))
}

/// Organizations does not answer constraint violations with a
/// `ValidationException` listing them, but with `InvalidInputException`,
/// a fixed message per reason and the reason itself (as recorded against
/// AWS: `You provided a value that does not match the required pattern.`).
/// Only the first violation is reported, as AWS does.
fn invalid_input(kind: ViolationKind, path: &str) -> ApiError {
    let in_list = path.contains(".member");
    let (reason, message) = match kind {
        _ if in_list => (
            "INVALID_LIST_MEMBER",
            "You provided a list to a parameter that contains at least one invalid value.",
        ),
        ViolationKind::Missing => (
            "INPUT_REQUIRED",
            "You must include a value for all required parameters.",
        ),
        ViolationKind::Pattern | ViolationKind::Unparseable => (
            "INVALID_PATTERN",
            "You provided a value that does not match the required pattern.",
        ),
        ViolationKind::MinLength => (
            "MIN_LENGTH_EXCEEDED",
            "You provided a string parameter that is shorter than allowed.",
        ),
        ViolationKind::MaxLength => (
            "MAX_LENGTH_EXCEEDED",
            "You provided a string parameter that is longer than allowed.",
        ),
        ViolationKind::MinValue => (
            "MIN_VALUE_EXCEEDED",
            "You provided a numeric parameter that has a smaller value than allowed.",
        ),
        ViolationKind::MaxValue => (
            "MAX_VALUE_EXCEEDED",
            "You provided a numeric parameter that has a larger value than allowed.",
        ),
        ViolationKind::Enum => ("INVALID_ENUM", "You specified an invalid value."),
    };
    ApiError::new(ErrorCode::InvalidInputException, message).with_reason(reason)
}

/// Checks that the body of an operation without input is empty or a JSON
/// object.
pub fn check_body(body: &[u8]) -> Result<(), ApiError> {
    parse_body(body).map(|_| ())
}

fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(ApiError::new(
            ErrorCode::SerializationException,
            "The request body must be a JSON object.",
        )),
        Err(_) => Err(ApiError::new(
            ErrorCode::SerializationException,
            "The request body is not valid JSON.",
        )),
    }
}

/// Renders a response body.
pub fn render<T: JsonEncode + ?Sized>(output: &T) -> Vec<u8> {
    output.encode_json().to_string().into_bytes()
}

/// A timestamp as epoch seconds: an integer when whole, else fractional.
pub fn timestamp_value(t: &OffsetDateTime) -> Value {
    let secs = t.unix_timestamp();
    let nanos = t.nanosecond();
    if nanos == 0 {
        Value::from(secs)
    } else {
        double_value(secs as f64 + f64::from(nanos) / 1e9)
    }
}

/// A blob as a base64 string.
pub fn blob_value(b: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(b))
}

/// A double; non-finite values (which JSON cannot carry) become `null`.
pub fn double_value(f: f64) -> Value {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}
