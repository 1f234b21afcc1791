//! A reader for `warden policy evaluate` request lines that does not parse the embedded policies.
//!
//! Request lines are mostly policy text (kilobytes) that the batch evaluator only needs as cache keys; with
//! serde_json's `RawValue`, validating that text was 85% of the batch's time. Here policies are only *delimited*
//! (strings, brackets); a policy seen for the first time is fully parsed by [`crate::Policy::parse`], which
//! reports malformed JSON.
//!
//! The format is documented in `docs/policy-evaluate.md` and `docs/policy-evaluate-request.schema.json`; keep
//! both in step with [`FIELDS`] and the shapes below (`tests/e2e/test_policy_evaluate_schema.py` checks them
//! against this reader). A malformed request is a [`BadRequest`] that names the field, the expected shape and
//! what was found.

use std::borrow::Cow;
use std::fmt;

use crate::context::ContextValue;

/// Where a policy sits in a request. The batch evaluator remembers the text last seen at each slot: when a line
/// repeats it, the policy is recognised by one prefix comparison instead of being scanned and hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    Identity(usize),
    Resource,
    Boundary,
    Session,
    Scp(usize, usize),
    Rcp(usize, usize),
}

/// The text last seen at a slot, if any.
pub(crate) type Hints<'h> = &'h dyn Fn(Slot) -> Option<&'h str>;

/// One request, borrowing from the line.
#[derive(Debug, Default)]
pub(crate) struct RawRequest<'a> {
    pub principal: Cow<'a, str>,
    pub action: Cow<'a, str>,
    pub resource: Cow<'a, str>,
    pub resource_account: Option<Cow<'a, str>>,
    pub context: Vec<(Cow<'a, str>, ContextValue)>,
    pub identity: Vec<&'a str>,
    pub resource_policy: Option<&'a str>,
    pub boundary: Option<&'a str>,
    pub session: Option<&'a str>,
    pub scps: Vec<Vec<&'a str>>,
    pub rcps: Vec<Vec<&'a str>>,
    pub principal_account_is_management: bool,
    pub resource_account_is_management: bool,
    pub require_resource_policy_allow: bool,
}

/// The request's fields, in the order the documentation lists them.
const FIELDS: &[&str] = &[
    "principal",
    "action",
    "resource",
    "resourceAccount",
    "context",
    "identityPolicies",
    "resourcePolicy",
    "permissionsBoundary",
    "sessionPolicy",
    "serviceControlPolicies",
    "resourceControlPolicies",
    "principalAccountIsManagement",
    "resourceAccountIsManagement",
    "requireResourcePolicyAllow",
];

/// The fields a request must have.
const REQUIRED: [&str; 3] = ["principal", "action", "resource"];

/// The shapes named in error messages.
const POLICY: &str = "a policy (a JSON object, or a string holding one)";
const POLICY_OR_NULL: &str = "a policy (a JSON object, or a string holding one) or null";
const POLICY_LEVELS: &str =
    "an array of levels (organization root first), each an array of policies";
const CONTEXT: &str = "an object of key to string, number, boolean or array of those";
const CONTEXT_VALUE: &str = "a string, number, boolean or an array of those";
/// The principal forms [`crate::Principal::parse`] accepts.
pub(crate) const PRINCIPAL_FORMS: &str = "an IAM user, role or root ARN, an assumed-role or federated-user \
     session ARN, a 12-digit account ID, a service principal such as ec2.amazonaws.com, a SAML or OIDC provider \
     ARN, a web-identity provider such as accounts.google.com, or anonymous";

/// Why a request is malformed: the field it concerns (a request path such as `identityPolicies[1]`, or none for
/// the request's own syntax), what was expected and found, and the byte offset in the request text where that
/// is known. Displayed as `field "context": expected ..., found a number at byte 57`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRequest {
    field: String,
    detail: String,
    at: Option<usize>,
}

impl BadRequest {
    /// A problem at byte `at` of the request text.
    fn at(at: usize, detail: impl Into<String>) -> BadRequest {
        BadRequest {
            field: String::new(),
            detail: detail.into(),
            at: Some(at),
        }
    }

    /// A problem with a field's value as a whole (an unrecognised principal, a policy that does not compile).
    pub(crate) fn field(field: impl Into<String>, detail: impl Into<String>) -> BadRequest {
        BadRequest {
            field: field.into(),
            detail: detail.into(),
            at: None,
        }
    }

    /// Puts `segment` (a field name or an index such as `[2]`) in front of the field path: errors are built
    /// where they are found and named on the way out, so the path costs nothing unless there is an error.
    fn inside(mut self, segment: &str) -> BadRequest {
        self.field.insert_str(0, segment);
        self
    }

    /// Puts `what` in front of the detail (`key "aws:SourceIp": `).
    fn about(mut self, what: &str) -> BadRequest {
        self.detail.insert_str(0, what);
        self
    }
}

impl fmt::Display for BadRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.field.is_empty() {
            write!(f, "field {:?}: ", self.field)?;
        }
        f.write_str(&self.detail)?;
        if let Some(at) = self.at {
            write!(f, " at byte {at}")?;
        }
        Ok(())
    }
}

type R<T> = Result<T, BadRequest>;

/// Parses a request object.
pub(crate) fn parse_request<'a>(text: &'a str, hints: Hints<'_>) -> R<RawRequest<'a>> {
    let mut s = Scanner { text, pos: 0 };
    let mut r = RawRequest::default();
    let mut seen = [false; FIELDS.len()];
    s.ws();
    if !s.eat(b'{') {
        return Err(s.expected("a request object"));
    }
    s.ws();
    if !s.eat(b'}') {
        loop {
            s.ws();
            let key_at = s.pos;
            if s.peek() != Some(b'"') {
                return Err(s.expected(if seen.contains(&true) {
                    "a field name (a string)"
                } else {
                    "a field name (a string) or '}'"
                }));
            }
            let key = s.string()?;
            let Some(f) = FIELDS.iter().position(|f| *f == key) else {
                return Err(BadRequest {
                    field: String::new(),
                    detail: format!(
                        "unknown field {key:?} (expected one of {})",
                        FIELDS.join(", ")
                    ),
                    at: None,
                });
            };
            let name = FIELDS[f];
            if std::mem::replace(&mut seen[f], true) {
                return Err(BadRequest::at(key_at, format!("duplicate field {name:?}")));
            }
            s.ws();
            if !s.eat(b':') {
                return Err(s.expected("':' after the field name").inside(name));
            }
            s.ws();
            s.field(name, &mut r, hints).map_err(|e| e.inside(name))?;
            s.ws();
            if s.eat(b'}') {
                break;
            }
            if !s.eat(b',') {
                return Err(s.expected("',' or '}' after the value").inside(name));
            }
        }
    }
    s.ws();
    if s.pos != text.len() {
        return Err(s.expected("nothing after the request object"));
    }
    if let Some(missing) = REQUIRED.iter().find(|name| {
        FIELDS
            .iter()
            .position(|f| f == *name)
            .is_some_and(|i| !seen[i])
    }) {
        return Err(BadRequest {
            field: String::new(),
            detail: format!("missing field {missing:?}"),
            at: None,
        });
    }
    Ok(r)
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// Reads the value of field `name` into `r`. Errors name the place inside the field (`[1][0]`); the caller
    /// adds the field's name.
    fn field(&mut self, name: &str, r: &mut RawRequest<'a>, hints: Hints<'_>) -> R<()> {
        match name {
            "principal" => r.principal = self.string()?,
            "action" => r.action = self.string()?,
            "resource" => r.resource = self.string()?,
            "resourceAccount" => {
                r.resource_account = self.nullable("a string or null", Scanner::string)?;
            }
            "context" => r.context = self.context()?,
            "identityPolicies" => {
                r.identity = self.policies("an array of policies", Slot::Identity, hints)?;
            }
            "resourcePolicy" => r.resource_policy = self.optional_policy(Slot::Resource, hints)?,
            "permissionsBoundary" => r.boundary = self.optional_policy(Slot::Boundary, hints)?,
            "sessionPolicy" => r.session = self.optional_policy(Slot::Session, hints)?,
            "serviceControlPolicies" => r.scps = self.levels(Slot::Scp, hints)?,
            "resourceControlPolicies" => r.rcps = self.levels(Slot::Rcp, hints)?,
            "principalAccountIsManagement" => r.principal_account_is_management = self.boolean()?,
            "resourceAccountIsManagement" => r.resource_account_is_management = self.boolean()?,
            _ => r.require_resource_policy_allow = self.boolean()?,
        }
        Ok(())
    }

    /// `expected WHAT, found THING at byte N`, at the current position.
    fn expected(&self, what: &str) -> BadRequest {
        BadRequest::at(self.pos, format!("expected {what}, found {}", self.found()))
    }

    /// What the value at the current position is, for error messages.
    fn found(&self) -> String {
        let rest = self.text.get(self.pos..).unwrap_or("");
        match rest.chars().next() {
            None => "the end of the request".to_string(),
            Some('"') => "a string".to_string(),
            Some('{') => "an object".to_string(),
            Some('[') => "an array".to_string(),
            Some('-' | '0'..='9') => "a number".to_string(),
            _ if rest.starts_with("true") || rest.starts_with("false") => "a boolean".to_string(),
            _ if rest.starts_with("null") => "null".to_string(),
            Some(c) => format!("{c:?}"),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn literal(&mut self, word: &str) -> bool {
        let hit = self
            .text
            .get(self.pos..)
            .is_some_and(|t| t.starts_with(word));
        if hit {
            self.pos += word.len();
        }
        hit
    }

    /// Moves past a string whose opening quote is at `pos`; returns whether it had escapes.
    fn skip_string(&mut self) -> R<bool> {
        let start = self.pos;
        if !self.eat(b'"') {
            return Err(self.expected("a string"));
        }
        let mut escaped = false;
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(escaped);
                }
                b'\\' => {
                    escaped = true;
                    self.pos += 2;
                }
                0..=0x1f => {
                    return Err(BadRequest::at(
                        self.pos,
                        format!(
                            "control character U+{b:04X} in a string (write it as an escape such as \\n)"
                        ),
                    ))
                }
                _ => self.pos += 1,
            }
        }
        Err(BadRequest::at(start, "unterminated string"))
    }

    /// A JSON string, borrowed when it has no escapes.
    fn string(&mut self) -> R<Cow<'a, str>> {
        let start = self.pos;
        let escaped = self.skip_string()?;
        let raw = self
            .text
            .get(start..self.pos)
            .ok_or_else(|| BadRequest::at(start, "unterminated string"))?;
        if escaped {
            serde_json::from_str::<String>(raw)
                .map(Cow::Owned)
                .map_err(|e| {
                    // The raw string is one line (control characters were refused), so the column is the
                    // offset of the bad escape within it.
                    BadRequest::at(
                        start + e.column().saturating_sub(1),
                        "invalid escape sequence in a string",
                    )
                })
        } else {
            Ok(Cow::Borrowed(&raw[1..raw.len() - 1]))
        }
    }

    fn boolean(&mut self) -> R<bool> {
        if self.literal("true") {
            Ok(true)
        } else if self.literal("false") {
            Ok(false)
        } else {
            Err(self.expected("true or false"))
        }
    }

    /// `null`, or what `f` reads; `what` names both for the error when it is neither.
    fn nullable<T>(&mut self, what: &str, f: impl FnOnce(&mut Self) -> R<T>) -> R<Option<T>> {
        if self.literal("null") {
            return Ok(None);
        }
        let start = self.pos;
        f(self).map(Some).map_err(|e| {
            // A value of the wrong type is reported with the nullable shape; an error inside a value of the
            // right type (a bad escape) as it is.
            if e.at == Some(start) && e.detail.starts_with("expected") {
                self.expected(what)
            } else {
                e
            }
        })
    }

    /// `[item, ...]`; `what` names the whole array's shape. `item` gets each element's index.
    fn array<T>(
        &mut self,
        what: &str,
        mut item: impl FnMut(&mut Self, usize) -> R<T>,
    ) -> R<Vec<T>> {
        if !self.eat(b'[') {
            return Err(self.expected(what));
        }
        let mut out = Vec::new();
        self.ws();
        if self.eat(b']') {
            return Ok(out);
        }
        loop {
            self.ws();
            out.push(item(self, out.len())?);
            self.ws();
            if self.eat(b']') {
                return Ok(out);
            }
            if !self.eat(b',') {
                return Err(self.expected("',' or ']' in the array"));
            }
        }
    }

    /// An array of policies, each at the slot `slot(index)`.
    fn policies(
        &mut self,
        what: &str,
        slot: impl Fn(usize) -> Slot,
        hints: Hints<'_>,
    ) -> R<Vec<&'a str>> {
        self.array(what, |s, i| {
            s.policy(POLICY, hints(slot(i)))
                .map_err(|e| e.inside(&format!("[{i}]")))
        })
    }

    /// SCP or RCP levels: an array of arrays of policies.
    fn levels(&mut self, slot: fn(usize, usize) -> Slot, hints: Hints<'_>) -> R<Vec<Vec<&'a str>>> {
        self.array(POLICY_LEVELS, |s, l| {
            s.policies("an array of policies (one level)", |i| slot(l, i), hints)
                .map_err(|e| e.inside(&format!("[{l}]")))
        })
    }

    /// A policy or `null`.
    fn optional_policy(&mut self, slot: Slot, hints: Hints<'_>) -> R<Option<&'a str>> {
        if self.literal("null") {
            Ok(None)
        } else {
            self.policy(POLICY_OR_NULL, hints(slot)).map(Some)
        }
    }

    /// A policy: an object or a string holding one, returned as its exact source text. Only delimited here.
    /// When the text at this point starts with `hint` (a complete value delimited before), the value is `hint`:
    /// delimiting is deterministic and stops at the end of the first complete value.
    fn policy(&mut self, what: &str, hint: Option<&str>) -> R<&'a str> {
        let start = self.pos;
        if let Some(h) = hint.filter(|h| !h.is_empty()) {
            if let Some(span) = self.text.get(start..start + h.len()).filter(|t| *t == h) {
                self.pos += h.len();
                return Ok(span);
            }
        }
        match self.peek() {
            Some(b'"') => {
                self.skip_string()?;
            }
            Some(b'{') => {
                let mut depth = 0usize;
                loop {
                    match self.peek() {
                        Some(b'"') => {
                            self.skip_string()?;
                            continue;
                        }
                        Some(b'{' | b'[') => depth += 1,
                        Some(b'}' | b']') => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                break;
                            }
                        }
                        Some(_) => {}
                        None => return Err(BadRequest::at(start, "unterminated policy object")),
                    }
                    self.pos += 1;
                }
            }
            _ => return Err(self.expected(what)),
        }
        self.text
            .get(start..self.pos)
            .ok_or_else(|| BadRequest::at(start, "unterminated policy"))
    }

    /// `{"key": "value" | number | boolean | [those...], ...}`
    fn context(&mut self) -> R<Vec<(Cow<'a, str>, ContextValue)>> {
        if !self.eat(b'{') {
            return Err(self.expected(CONTEXT));
        }
        let mut out = Vec::new();
        self.ws();
        if self.eat(b'}') {
            return Ok(out);
        }
        loop {
            self.ws();
            let key_at = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.expected(if out.is_empty() {
                    "a context key (a string) or '}'"
                } else {
                    "a context key (a string)"
                }));
            }
            let key = self.string()?;
            // Key names are case-insensitive, so `aws:SourceIp` twice in any case is ambiguous.
            if out
                .iter()
                .any(|(k, _): &(Cow<'_, str>, _)| k.eq_ignore_ascii_case(&key))
            {
                return Err(BadRequest::at(
                    key_at,
                    format!("duplicate key {key:?} (context keys are case-insensitive)"),
                ));
            }
            self.ws();
            if !self.eat(b':') {
                return Err(self.expected("':' after the key").about(&key_label(&key)));
            }
            self.ws();
            let value = if self.peek() == Some(b'[') {
                self.array(CONTEXT_VALUE, |s, _| {
                    s.scalar("a string, number or boolean in the array")
                })
                .map(ContextValue::Many)
            } else {
                self.scalar(CONTEXT_VALUE)
                    .map(|v| ContextValue::One(v.into()))
            }
            .map_err(|e| e.about(&key_label(&key)))?;
            self.ws();
            let done = self.eat(b'}');
            if !done && !self.eat(b',') {
                return Err(self
                    .expected("',' or '}' after the value")
                    .about(&key_label(&key)));
            }
            out.push((key, value));
            if done {
                return Ok(out);
            }
        }
    }

    /// A context value: string, number or boolean, as text (a number as written, a boolean as `true` or
    /// `false`). `what` names the expected shape for the error.
    fn scalar(&mut self, what: &str) -> R<String> {
        match self.peek() {
            Some(b'"') => self.string().map(Cow::into_owned),
            Some(b't' | b'f') => self
                .boolean()
                .map_err(|_| self.expected(what))
                .map(|b| b.to_string()),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                }
                let n = self.text.get(start..self.pos).unwrap_or("");
                serde_json::from_str::<serde_json::Number>(n)
                    .map(|_| n.to_string())
                    .map_err(|_| BadRequest::at(start, format!("invalid number {n:?}")))
            }
            _ => Err(self.expected(what)),
        }
    }
}

/// `key "aws:SourceIp": `, in front of an error about a context key.
fn key_label(key: &str) -> String {
    format!("key {key:?}: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match parse_request(text, &|_| None) {
            Ok(r) => panic!("accepted {text}: {r:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// A request with the three required fields, then `rest` (starting with a comma).
    fn with(rest: &str) -> String {
        format!(r#"{{"principal":"p","action":"a:b","resource":"*"{rest}}}"#)
    }

    #[test]
    fn hints_are_taken_only_when_they_match() {
        let line = r#"{"identityPolicies":[{"a":"}"},{"b":1}],"principal":"x","action":"a:b","resource":"*"}"#;
        let hint = |slot: Slot| match slot {
            Slot::Identity(0) => Some(r#"{"a":"}"}"#),
            Slot::Identity(1) => Some(r#"{"b":2}"#),
            _ => None,
        };
        let r = parse_request(line, &hint).unwrap();
        assert_eq!(r.identity, vec![r#"{"a":"}"}"#, r#"{"b":1}"#]);
    }

    #[test]
    fn reads_requests() {
        let r = parse_request(
            r#" {"principal":"p\u0041","action":"s3:GetObject","resource":"*","context":{"a":"x","b":[1,true,"y"],"c":-1.50e2},
            "identityPolicies":[{"Statement":[{"Action":"}]\""}]}, "{\"a\":1}"],"resourcePolicy":null,
            "serviceControlPolicies":[[{}],[]],"requireResourcePolicyAllow":true} "#,
            &|_| None,
        )
        .unwrap();
        assert_eq!(r.principal, "pA");
        assert_eq!(
            r.identity,
            vec![r#"{"Statement":[{"Action":"}]\""}]}"#, r#""{\"a\":1}""#]
        );
        assert_eq!(
            r.context[1].1,
            ContextValue::Many(vec!["1".into(), "true".into(), "y".into()])
        );
        // Numbers are kept as written.
        assert_eq!(r.context[2].1, ContextValue::One("-1.50e2".into()));
        assert_eq!(r.scps.len(), 2);
        assert!(r.resource_policy.is_none());
        assert!(r.require_resource_policy_allow);
    }

    #[test]
    fn a_request_that_is_not_an_object_says_so() {
        assert_eq!(
            err(""),
            "expected a request object, found the end of the request at byte 0"
        );
        assert_eq!(
            err(" [] "),
            "expected a request object, found an array at byte 1"
        );
        assert_eq!(
            err("not json"),
            "expected a request object, found 'n' at byte 0"
        );
    }

    #[test]
    fn unknown_fields_list_the_known_ones() {
        assert_eq!(
            err(r#"{"principal":"p","actoin":"s3:GetObject"}"#),
            "unknown field \"actoin\" (expected one of principal, action, resource, resourceAccount, context, \
             identityPolicies, resourcePolicy, permissionsBoundary, sessionPolicy, serviceControlPolicies, \
             resourceControlPolicies, principalAccountIsManagement, resourceAccountIsManagement, \
             requireResourcePolicyAllow)"
        );
        // Field names are case-sensitive.
        assert!(err(r#"{"Action":"s3:GetObject"}"#)
            .starts_with("unknown field \"Action\" (expected one of"));
    }

    #[test]
    fn missing_and_duplicate_fields_are_named() {
        assert_eq!(
            err(r#"{"principal":"p","resource":"*"}"#),
            "missing field \"action\""
        );
        assert_eq!(err("{}"), "missing field \"principal\"");
        assert_eq!(
            err(r#"{"principal":"a", "principal":"b"}"#),
            "duplicate field \"principal\" at byte 18"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_field_and_the_shape() {
        let cases = [
            (r#","context":5"#, "field \"context\": expected an object of key to string, number, boolean or array of those, found a number at byte 57"),
            (r#","context":{"k":{}}"#, "field \"context\": key \"k\": expected a string, number, boolean or an array of those, found an object at byte 62"),
            (r#","context":{"k":null}"#, "field \"context\": key \"k\": expected a string, number, boolean or an array of those, found null at byte 62"),
            (r#","context":{"k":["a",["b"]]}"#, "field \"context\": key \"k\": expected a string, number or boolean in the array, found an array at byte 67"),
            (r#","resourceAccount":1"#, "field \"resourceAccount\": expected a string or null, found a number at byte 65"),
            (r#","identityPolicies":{}"#, "field \"identityPolicies\": expected an array of policies, found an object at byte 66"),
            (r#","identityPolicies":[{},7]"#, "field \"identityPolicies[1]\": expected a policy (a JSON object, or a string holding one), found a number at byte 70"),
            (r#","resourcePolicy":[]"#, "field \"resourcePolicy\": expected a policy (a JSON object, or a string holding one) or null, found an array at byte 64"),
            (r#","sessionPolicy":true"#, "field \"sessionPolicy\": expected a policy (a JSON object, or a string holding one) or null, found a boolean at byte 63"),
            (r#","serviceControlPolicies":[{}]"#, "field \"serviceControlPolicies[0]\": expected an array of policies (one level), found an object at byte 73"),
            (r#","resourceControlPolicies":[[],[{},1]]"#, "field \"resourceControlPolicies[1][1]\": expected a policy (a JSON object, or a string holding one), found a number at byte 81"),
            (r#","serviceControlPolicies":null"#, "field \"serviceControlPolicies\": expected an array of levels (organization root first), each an array of policies, found null at byte 72"),
            (r#","requireResourcePolicyAllow":"yes""#, "field \"requireResourcePolicyAllow\": expected true or false, found a string at byte 76"),
            (r#","principalAccountIsManagement":null"#, "field \"principalAccountIsManagement\": expected true or false, found null at byte 78"),
        ];
        for (rest, want) in cases {
            assert_eq!(err(&with(rest)), want, "{rest}");
        }
        assert_eq!(
            err(r#"{"principal":["arn"]}"#),
            "field \"principal\": expected a string, found an array at byte 13"
        );
        assert_eq!(
            err(r#"{"action":null}"#),
            "field \"action\": expected a string, found null at byte 10"
        );
    }

    #[test]
    fn syntax_errors_name_the_field_they_are_in() {
        let cases = [
            (r#"{"principal" "p"}"#, "field \"principal\": expected ':' after the field name, found a string at byte 13"),
            (r#"{"principal":"p" "action":"a:b"}"#, "field \"principal\": expected ',' or '}' after the value, found a string at byte 17"),
            (r#"{"principal":"p",}"#, "expected a field name (a string), found '}' at byte 17"),
            (r#"{principal:"p"}"#, "expected a field name (a string) or '}', found 'p' at byte 1"),
            (r#"{"principal":"p"} x"#, "expected nothing after the request object, found 'x' at byte 18"),
            (r#"{"principal":"p"}{"#, "expected nothing after the request object, found an object at byte 17"),
            (r#"{"principal":"p"#, "field \"principal\": unterminated string at byte 13"),
            ("{\"principal\":\"a\u{1}\"}", "field \"principal\": control character U+0001 in a string (write it as an escape such as \\n) at byte 15"),
            (r#"{"principal":"\u12"}"#, "field \"principal\": invalid escape sequence in a string at byte 18"),
            (r#"{"identityPolicies":[{"a":["b"}"#, "field \"identityPolicies[0]\": unterminated policy object at byte 21"),
            (r#"{"identityPolicies":[{} {}]}"#, "field \"identityPolicies\": expected ',' or ']' in the array, found an object at byte 24"),
            (r#"{"context":{"a":1 "b":2}}"#, "field \"context\": key \"a\": expected ',' or '}' after the value, found a string at byte 18"),
            (r#"{"context":{"a" 1}}"#, "field \"context\": key \"a\": expected ':' after the key, found a number at byte 16"),
            (r#"{"context":{1:1}}"#, "field \"context\": expected a context key (a string) or '}', found a number at byte 12"),
            (r#"{"context":{"a":01x}}"#, "field \"context\": key \"a\": invalid number \"01\" at byte 16"),
            (r#"{"context":{"a":tru}}"#, "field \"context\": key \"a\": expected a string, number, boolean or an array of those, found 't' at byte 16"),
        ];
        for (text, want) in cases {
            assert_eq!(err(text), want, "{text}");
        }
    }

    #[test]
    fn context_keys_are_unique_in_any_case() {
        assert_eq!(
            err(r#"{"context":{"aws:SourceIp":"1.2.3.4","AWS:sourceip":"1.2.3.5"}}"#),
            "field \"context\": duplicate key \"AWS:sourceip\" (context keys are case-insensitive) at byte 37"
        );
    }
}
