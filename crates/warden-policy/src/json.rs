//! A small JSON reader that keeps source positions and rejects duplicate keys.
//!
//! serde_json silently keeps the last of two duplicate keys (engineering anchors §2.2), which is a real
//! security problem for `Condition` blocks, and it drops positions. Policies are tiny, so a hand-written
//! recursive-descent reader is cheap and gives us both.

use crate::error::{Location, PolicyError};

/// Nesting deeper than this is rejected instead of risking stack exhaustion on hostile input.
/// A policy needs 5 levels; a policy embedded in a string adds no depth because it is parsed anew.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number's source text: condition values compare numbers by their string form.
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<Member>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Json,
    pub loc: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    pub key: String,
    pub key_loc: Location,
    pub value: Node,
}

impl Json {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Parses one JSON value that must fill the whole text (surrounding whitespace allowed).
pub(crate) fn parse(text: &str) -> Result<Node, PolicyError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        col: 1,
    };
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.err("unexpected characters after the JSON value"));
    }
    Ok(node)
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    col: u32,
}

impl Parser<'_> {
    fn loc(&self) -> Location {
        Location {
            line: self.line,
            column: self.col,
            offset: u32::try_from(self.pos).unwrap_or(u32::MAX),
        }
    }

    fn err(&self, detail: &str) -> PolicyError {
        PolicyError::InvalidJson {
            detail: detail.to_string(),
            location: self.loc(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// Advances over one whole UTF-8 character so columns count characters, not bytes.
    fn bump(&mut self) {
        let Some(ch) = self.text.get(self.pos..).and_then(|s| s.chars().next()) else {
            self.pos = self.src.len();
            return;
        };
        self.pos += ch.len_utf8();
        if ch == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.bump();
        }
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<(), PolicyError> {
        if self.peek() == Some(b) {
            self.bump();
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, PolicyError> {
        if depth > MAX_DEPTH {
            return Err(self.err("JSON nested too deeply"));
        }
        let loc = self.loc();
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Json::String(self.string()?),
            Some(b't') => self.keyword("true", Json::Bool(true))?,
            Some(b'f') => self.keyword("false", Json::Bool(false))?,
            Some(b'n') => self.keyword("null", Json::Null)?,
            Some(b'-' | b'0'..=b'9') => Json::Number(self.number()?),
            Some(_) => return Err(self.err("expected a JSON value")),
            None => return Err(self.err("unexpected end of input")),
        };
        Ok(Node { value, loc })
    }

    fn keyword(&mut self, word: &str, value: Json) -> Result<Json, PolicyError> {
        if self.src[self.pos..].starts_with(word.as_bytes()) {
            for _ in 0..word.len() {
                self.bump();
            }
            Ok(value)
        } else {
            Err(self.err("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<String, PolicyError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek() {
            Some(b'0') => self.bump(),
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.bump();
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.bump();
            if let Some(b'+' | b'-') = self.peek() {
                self.bump();
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number"));
            }
            self.digits();
        }
        Ok(self.text[start..self.pos].to_string())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.bump();
        }
    }

    fn string(&mut self) -> Result<String, PolicyError> {
        self.expect(b'"', "expected a string")?;
        let mut out = String::new();
        loop {
            let start = self.pos;
            // Copy runs of plain characters in one go.
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.bump();
            }
            out.push_str(&self.text[start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.bump();
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.bump();
                    let esc = self.peek();
                    self.bump();
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode_escape()?),
                        _ => return Err(self.err("invalid escape in string")),
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
                None => return Err(self.err("unterminated string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, PolicyError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("invalid \\u escape")),
            };
            self.bump();
            v = v * 16 + u32::from(d);
        }
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, PolicyError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.src[self.pos..].starts_with(b"\\u") {
                return Err(self.err("unpaired surrogate in \\u escape"));
            }
            self.bump();
            self.bump();
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.err("invalid \\u escape"))
    }

    fn array(&mut self, depth: usize) -> Result<Json, PolicyError> {
        self.bump();
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, PolicyError> {
        self.bump();
        let mut members: Vec<Member> = Vec::new();
        // Keys seen, for objects too big for a linear duplicate check (hostile input must not be quadratic).
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            let key_loc = self.loc();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = self.string()?;
            // The same key twice is refused here; keys that differ only in case are judged by the document
            // reader, which knows where they stand (element names: refused; condition keys: both apply).
            let duplicate = if members.len() < 16 {
                members.iter().any(|m| m.key == key)
            } else {
                if seen.is_empty() {
                    seen.extend(members.iter().map(|m| m.key.clone()));
                }
                !seen.insert(key.clone())
            };
            if duplicate {
                return Err(PolicyError::DuplicateKey {
                    key,
                    location: key_loc,
                });
            }
            self.skip_ws();
            self.expect(b':', "expected ':'")?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_loc,
                value,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b'}') => {
                    self.bump();
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }
}

/// Writes `s` as a JSON string literal.
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_values() {
        let n = parse("{\n  \"a\": [1, \"x\\u00e9\", true, null]\n}").unwrap();
        let Json::Object(m) = n.value else { panic!() };
        assert_eq!(m[0].key_loc.line, 2);
        assert_eq!(m[0].key_loc.column, 3);
        let Json::Array(items) = &m[0].value.value else {
            panic!()
        };
        assert_eq!(items[1].value, Json::String("xé".into()));
        assert_eq!(items[0].value, Json::Number("1".into()));
    }

    #[test]
    fn duplicate_keys_rejected() {
        assert!(matches!(
            parse(r#"{"Effect":1,"Effect":2}"#),
            Err(PolicyError::DuplicateKey { .. })
        ));
        // Case variants are left to the document reader.
        assert!(parse(r#"{"Effect":1,"effect":2}"#).is_ok());
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":1")).collect();
        let ok = format!("{{{}}}", many.join(","));
        assert!(parse(&ok).is_ok());
        let dup = format!("{{{},\"k7\":2}}", many.join(","));
        assert!(matches!(parse(&dup), Err(PolicyError::DuplicateKey { .. })));
    }

    #[test]
    fn rejects_bad_json() {
        for src in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "\"\\x\"",
            "\"\\ud800\"",
            "nul",
            "{} x",
        ] {
            assert!(parse(src).is_err(), "{src}");
        }
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_err());
    }
}
