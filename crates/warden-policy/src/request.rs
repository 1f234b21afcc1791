//! A reader for `warden policy evaluate` request lines that does not parse the embedded policies.
//!
//! Request lines are mostly policy text (kilobytes) that the batch evaluator only needs as cache keys; with
//! serde_json's `RawValue`, validating that text was 85% of the batch's time. Here policies are only *delimited*
//! (strings, brackets); a policy seen for the first time is fully parsed by [`crate::Policy::parse`], which
//! reports malformed JSON.

use std::borrow::Cow;

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
    pub principal: Option<Cow<'a, str>>,
    pub action: Option<Cow<'a, str>>,
    pub resource: Option<Cow<'a, str>>,
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

/// Parses a request object. Errors are messages for the `{"error": ...}` line.
pub(crate) fn parse_request<'a>(text: &'a str, hints: Hints<'_>) -> Result<RawRequest<'a>, String> {
    let mut s = Scanner { text, pos: 0 };
    let mut r = RawRequest::default();
    let mut seen = [false; FIELDS.len()];
    s.ws();
    s.expect(b'{')?;
    s.ws();
    if !s.eat(b'}') {
        loop {
            s.ws();
            let key = s.string()?;
            let Some(f) = FIELDS.iter().position(|f| *f == key) else {
                return Err(format!("unknown field {key:?}"));
            };
            if std::mem::replace(&mut seen[f], true) {
                return Err(format!("duplicate field {key:?}"));
            }
            s.ws();
            s.expect(b':')?;
            s.ws();
            match FIELDS[f] {
                "principal" => r.principal = Some(s.string()?),
                "action" => r.action = Some(s.string()?),
                "resource" => r.resource = Some(s.string()?),
                "resourceAccount" => r.resource_account = s.nullable(Scanner::string)?,
                "context" => r.context = s.context()?,
                "identityPolicies" => {
                    r.identity = s.array(|s, i| s.policy(hints(Slot::Identity(i))))?;
                }
                "resourcePolicy" => {
                    r.resource_policy = s.nullable(|s| s.policy(hints(Slot::Resource)))?;
                }
                "permissionsBoundary" => {
                    r.boundary = s.nullable(|s| s.policy(hints(Slot::Boundary)))?;
                }
                "sessionPolicy" => r.session = s.nullable(|s| s.policy(hints(Slot::Session)))?,
                "serviceControlPolicies" => {
                    r.scps = s.array(|s, l| s.array(|s, i| s.policy(hints(Slot::Scp(l, i)))))?;
                }
                "resourceControlPolicies" => {
                    r.rcps = s.array(|s, l| s.array(|s, i| s.policy(hints(Slot::Rcp(l, i)))))?;
                }
                "principalAccountIsManagement" => {
                    r.principal_account_is_management = s.boolean()?
                }
                "resourceAccountIsManagement" => r.resource_account_is_management = s.boolean()?,
                _ => r.require_resource_policy_allow = s.boolean()?,
            }
            s.ws();
            if s.eat(b'}') {
                break;
            }
            s.expect(b',')?;
        }
    }
    s.ws();
    if s.pos != text.len() {
        return Err(s.err("unexpected text after the request object"));
    }
    Ok(r)
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn err(&self, what: &str) -> String {
        format!("invalid request at byte {}: {what}", self.pos)
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

    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.err(&format!("expected '{}'", char::from(b))))
        }
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
    fn skip_string(&mut self) -> Result<bool, String> {
        self.expect(b'"')?;
        let mut escaped = false;
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            self.pos += 1;
            match b {
                b'"' => return Ok(escaped),
                b'\\' => {
                    escaped = true;
                    self.pos += 1;
                }
                0..=0x1f => return Err(self.err("control character in string")),
                _ => {}
            }
        }
        Err(self.err("unterminated string"))
    }

    /// A JSON string, borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, String> {
        let start = self.pos;
        let escaped = self.skip_string()?;
        let raw = self
            .text
            .get(start..self.pos)
            .ok_or_else(|| self.err("bad string"))?;
        if escaped {
            serde_json::from_str::<String>(raw)
                .map(Cow::Owned)
                .map_err(|e| self.err(&e.to_string()))
        } else {
            Ok(Cow::Borrowed(&raw[1..raw.len() - 1]))
        }
    }

    fn boolean(&mut self) -> Result<bool, String> {
        if self.literal("true") {
            Ok(true)
        } else if self.literal("false") {
            Ok(false)
        } else {
            Err(self.err("expected true or false"))
        }
    }

    fn nullable<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        if self.literal("null") {
            Ok(None)
        } else {
            f(self).map(Some)
        }
    }

    fn array<T>(
        &mut self,
        mut item: impl FnMut(&mut Self, usize) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        self.expect(b'[')?;
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
            self.expect(b',')?;
        }
    }

    /// A policy: an object or a string holding one, returned as its exact source text. Only delimited here.
    /// When the text at this point starts with `hint` (a complete value delimited before), the value is `hint`:
    /// delimiting is deterministic and stops at the end of the first complete value.
    fn policy(&mut self, hint: Option<&str>) -> Result<&'a str, String> {
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
                        None => return Err(self.err("unterminated policy object")),
                    }
                    self.pos += 1;
                }
            }
            _ => return Err(self.err("a policy must be a JSON object or a string holding one")),
        }
        self.text
            .get(start..self.pos)
            .ok_or_else(|| self.err("bad policy"))
    }

    /// `{"key": "value" | number | boolean | [those...], ...}`
    fn context(&mut self) -> Result<Vec<(Cow<'a, str>, ContextValue)>, String> {
        self.expect(b'{')?;
        let mut out = Vec::new();
        self.ws();
        if self.eat(b'}') {
            return Ok(out);
        }
        loop {
            self.ws();
            let key = self.string()?;
            // Key names are case-insensitive, so `aws:SourceIp` twice in any case is ambiguous.
            if out
                .iter()
                .any(|(k, _): &(Cow<'_, str>, _)| k.eq_ignore_ascii_case(&key))
            {
                return Err(self.err(&format!("duplicate context key {key:?}")));
            }
            self.ws();
            self.expect(b':')?;
            self.ws();
            let value = if self.peek() == Some(b'[') {
                ContextValue::Many(self.array(|s, _| s.scalar())?)
            } else {
                ContextValue::One(self.scalar()?.into())
            };
            out.push((key, value));
            self.ws();
            if self.eat(b'}') {
                return Ok(out);
            }
            self.expect(b',')?;
        }
    }

    /// A context value: string, number or boolean, as text.
    fn scalar(&mut self) -> Result<String, String> {
        match self.peek() {
            Some(b'"') => self.string().map(Cow::into_owned),
            Some(b't' | b'f') => self.boolean().map(|b| b.to_string()),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                }
                let n = self.text.get(start..self.pos).unwrap_or("");
                serde_json::from_str::<serde_json::Number>(n)
                    .map(|_| n.to_string())
                    .map_err(|_| self.err("invalid number"))
            }
            _ => {
                Err(self.err("context values must be strings, numbers, booleans or arrays of them"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_taken_only_when_they_match() {
        let line = r#"{"identityPolicies":[{"a":"}"},{"b":1}],"principal":"x"}"#;
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
            r#" {"principal":"p\u0041","action":"s3:GetObject","resource":"*","context":{"a":"x","b":[1,true,"y"]},
            "identityPolicies":[{"Statement":[{"Action":"}]\""}]}, "{\"a\":1}"],"resourcePolicy":null,
            "serviceControlPolicies":[[{}],[]],"requireResourcePolicyAllow":true} "#,
            &|_| None,
        )
        .unwrap();
        assert_eq!(r.principal.as_deref(), Some("pA"));
        assert_eq!(
            r.identity,
            vec![r#"{"Statement":[{"Action":"}]\""}]}"#, r#""{\"a\":1}""#]
        );
        assert_eq!(
            r.context[1].1,
            ContextValue::Many(vec!["1".into(), "true".into(), "y".into()])
        );
        assert_eq!(r.scps.len(), 2);
        assert!(r.resource_policy.is_none());
        assert!(r.require_resource_policy_allow);
    }

    #[test]
    fn rejects_bad_requests() {
        for bad in [
            "",
            "[]",
            r#"{"principal":"a","principal":"b"}"#,
            r#"{"nope":1}"#,
            r#"{"principal":"a"} x"#,
            r#"{"identityPolicies":[{"a":"b"]}"#,
            r#"{"identityPolicies":[7]}"#,
            r#"{"context":{"a":{}}}"#,
            r#"{"context":{"a":01x}}"#,
            r#"{"context":{"aws:SourceIp":"1.2.3.4","AWS:sourceip":"1.2.3.5"}}"#,
            "{\"principal\":\"a\u{1}\"}",
            r#"{"principal":"\u12"}"#,
        ] {
            assert!(parse_request(bad, &|_| None).is_err(), "{bad}");
        }
    }
}
