//! Input constraints from the service models (required, length, range,
//! pattern, enum) and the AWS-style `ValidationError` they produce.
//!
//! The generated code holds one `static` rule set per constrained shape and
//! one lazily compiled regex per distinct pattern; decoding feeds every
//! present value through [`Violations`], which collects the messages in the
//! order AWS reports them and renders
//! `N validation error(s) detected: ...; ...`.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::{ApiError, Service};

/// A model pattern: the Java source AWS quotes in its messages, and the
/// regex it was translated to at generation time (anchored, `\uXXXX` as
/// `\x{XXXX}`, `\w`/`\d` restricted to ASCII as in Java).
#[derive(Debug)]
pub struct PatternRule {
    /// The pattern exactly as the model (and AWS's message) spells it.
    pub java: &'static str,
    /// The compiled translation; `None` when the pattern uses a construct the
    /// `regex` crate lacks (look-around), in which case it is not enforced.
    pub regex: &'static LazyLock<Option<Regex>>,
    /// A substring the value must not contain: the half of a Java
    /// look-ahead (`-(?!-)`) that the `regex` crate cannot express.
    pub forbid: Option<&'static str>,
}

impl PatternRule {
    /// Whether `value` matches the whole pattern. An uncompilable pattern
    /// accepts everything: refusing valid input would be worse than letting
    /// a handler see an odd value.
    pub fn matches(&self, value: &str) -> bool {
        if self.forbid.is_some_and(|f| value.contains(f)) {
            return false;
        }
        match LazyLock::force(self.regex) {
            Some(re) => re.is_match(value),
            None => true,
        }
    }

    /// Whether the translated pattern compiled (tested for every pattern).
    pub fn compiles(&self) -> bool {
        LazyLock::force(self.regex).is_some()
    }
}

/// Compiles a translated model pattern. Used by the generated `LazyLock`s.
pub fn compile_pattern(translated: &str) -> Option<Regex> {
    Regex::new(translated).ok()
}

/// Constraints of a string shape.
#[derive(Debug)]
pub struct StrRules {
    /// Minimum length in characters.
    pub min: Option<u64>,
    /// Maximum length in characters.
    pub max: Option<u64>,
    /// Pattern the whole value must match.
    pub pattern: Option<PatternRule>,
    /// Allowed values (empty: any).
    pub enum_values: &'static [&'static str],
    /// Sensitive shapes (passwords, secrets) are never echoed in messages.
    pub sensitive: bool,
}

impl StrRules {
    /// A string shape without constraints.
    pub const NONE: StrRules = StrRules {
        min: None,
        max: None,
        pattern: None,
        enum_values: &[],
        sensitive: false,
    };
}

/// Constraints of an integer or long shape.
#[derive(Debug)]
pub struct IntRules {
    /// Minimum value, inclusive.
    pub min: Option<i64>,
    /// Maximum value, inclusive.
    pub max: Option<i64>,
}

impl IntRules {
    /// A numeric shape without constraints.
    pub const NONE: IntRules = IntRules {
        min: None,
        max: None,
    };
}

/// Constraints on the number of elements of a list or map shape (and the
/// length of a blob).
#[derive(Debug)]
pub struct LenRules {
    /// Minimum number of elements.
    pub min: Option<u64>,
    /// Maximum number of elements.
    pub max: Option<u64>,
}

impl LenRules {
    /// A collection without constraints.
    pub const NONE: LenRules = LenRules {
        min: None,
        max: None,
    };
}

/// Which constraint a violation broke. Query services only print the
/// message; Organizations reports the kind as its `InvalidInputException`
/// reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// A required member is absent.
    Missing,
    /// A value does not match its pattern.
    Pattern,
    /// Shorter (or fewer elements) than allowed.
    MinLength,
    /// Longer (or more elements) than allowed.
    MaxLength,
    /// A number below its minimum.
    MinValue,
    /// A number above its maximum.
    MaxValue,
    /// A value outside its enum.
    Enum,
    /// A value that could not be read as its type at all.
    Unparseable,
}

/// Collected constraint violations of one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations {
    messages: Vec<String>,
    kinds: Vec<(ViolationKind, String)>,
    /// A message IAM words on its own, replacing the generic list.
    special: Option<String>,
    /// IAM's wording: the offending value is repeated only for some members.
    iam_wording: bool,
}

/// IAM's path pattern. IAM reports a path that breaks it with a message of
/// its own rather than the generic constraint text.
const IAM_PATH_PATTERN: &str = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)";

impl Violations {
    /// No violations yet; messages repeat every offending value (STS's and
    /// Organizations' wording).
    pub fn new() -> Self {
        Self::default()
    }

    /// No violations yet; messages worded as `service` words them. IAM
    /// repeats the offending value only for entity names (`Value 'x' at
    /// 'userName'`) and `maxSessionDuration`, and says `Value at 'member'`
    /// for every other member (tags, version ids, numbers), as recorded AWS
    /// answers do; STS always repeats it.
    pub fn for_service(service: Service) -> Self {
        Self {
            iam_wording: service == Service::Iam,
            ..Self::default()
        }
    }

    /// Whether a message about the member at `path` repeats its value.
    fn shows_value(&self, path: &str) -> bool {
        if !self.iam_wording {
            return true;
        }
        let last = path.rsplit('.').next().unwrap_or(path);
        last.ends_with("Name") || last == "maxSessionDuration"
    }

    /// Whether nothing was violated.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The individual messages (`Value 'x' at 'path' failed to ...`).
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// The kind and member path of the first violation.
    pub fn first(&self) -> Option<&(ViolationKind, String)> {
        self.kinds.first()
    }

    fn push(&mut self, kind: ViolationKind, shown: Option<&str>, path: &str, constraint: &str) {
        self.kinds.push((kind, path.to_string()));
        let msg = match shown.filter(|_| self.shows_value(path)) {
            Some(v) => {
                format!("Value '{v}' at '{path}' failed to satisfy constraint: Member must {constraint}")
            }
            None => {
                format!("Value at '{path}' failed to satisfy constraint: Member must {constraint}")
            }
        };
        self.messages.push(msg);
    }

    /// A value that could not be read as its type at all (`expected` is,
    /// e.g., `a valid integer`). AWS's exact text for this case is not
    /// documented; the message keeps the shape of its constraint messages so
    /// clients show something useful.
    pub fn unparseable(&mut self, path: &str, raw: &str, expected: &str) {
        self.push(
            ViolationKind::Unparseable,
            Some(raw),
            path,
            &format!("be {expected}"),
        );
    }

    /// A required member is absent.
    pub fn missing(&mut self, path: &str) {
        self.kinds.push((ViolationKind::Missing, path.to_string()));
        self.messages.push(format!(
            "Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// Checks a string against its shape's constraints. The order (pattern,
    /// then length, then enum) is the order AWS lists them in.
    pub fn check_str(&mut self, path: &str, value: &str, rules: &StrRules) {
        let shown = if rules.sensitive { None } else { Some(value) };
        if let Some(p) = &rules.pattern {
            if !p.matches(value) && p.java == IAM_PATH_PATTERN && self.special.is_none() {
                let member = path.rsplit('.').next().unwrap_or(path);
                self.special = Some(format!(
                    "The specified value for {member} is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."
                ));
            }
            if !p.matches(value) {
                self.push(
                    ViolationKind::Pattern,
                    shown,
                    path,
                    &format!("satisfy regular expression pattern: {}", p.java),
                );
            }
        }
        // AWS counts characters (code points), not bytes.
        let len = value.chars().count() as u64;
        self.check_len_inner(shown, path, len, rules.min, rules.max);
        if !rules.enum_values.is_empty() && !rules.enum_values.contains(&value) {
            // IAM names no set (AWS's recorded answer: LocalStack's test_iam.snapshot.json,
            // test_invalid_update_parameters); the other services list it.
            let constraint = if self.iam_wording {
                "satisfy enum value set".to_string()
            } else {
                format!("satisfy enum value set: [{}]", rules.enum_values.join(", "))
            };
            self.push(ViolationKind::Enum, shown, path, &constraint);
        }
    }

    /// Checks a number against its shape's range.
    pub fn check_int(&mut self, path: &str, value: i64, rules: &IntRules) {
        let shown = value.to_string();
        if let Some(min) = rules.min {
            if value < min {
                self.push(
                    ViolationKind::MinValue,
                    Some(&shown),
                    path,
                    &format!("have value greater than or equal to {min}"),
                );
            }
        }
        if let Some(max) = rules.max {
            if value > max {
                self.push(
                    ViolationKind::MaxValue,
                    Some(&shown),
                    path,
                    &format!("have value less than or equal to {max}"),
                );
            }
        }
    }

    /// Checks the element count of a list or map (or a blob's length);
    /// `shown` is the value as AWS would print it, if it prints it.
    pub fn check_len(&mut self, path: &str, shown: Option<&str>, len: u64, rules: &LenRules) {
        self.check_len_inner(shown, path, len, rules.min, rules.max);
    }

    fn check_len_inner(
        &mut self,
        shown: Option<&str>,
        path: &str,
        len: u64,
        min: Option<u64>,
        max: Option<u64>,
    ) {
        if let Some(min) = min {
            if len < min {
                self.push(
                    ViolationKind::MinLength,
                    shown,
                    path,
                    &format!("have length greater than or equal to {min}"),
                );
            }
        }
        if let Some(max) = max {
            if len > max {
                self.push(
                    ViolationKind::MaxLength,
                    shown,
                    path,
                    &format!("have length less than or equal to {max}"),
                );
            }
        }
    }

    /// The `ValidationError` for the collected violations, if any:
    /// `1 validation error detected: A` or `2 validation errors detected: A; B`.
    pub fn into_error(self) -> Option<ApiError> {
        if let Some(special) = self.special {
            return Some(ApiError::validation(special));
        }
        match self.messages.len() {
            0 => None,
            1 => Some(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.messages.join("; ")
            ))),
            n => Some(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.messages.join("; ")
            ))),
        }
    }
}

/// Lower-camel-cases a model member name for a violation path, as AWS does:
/// only the first character is lowered (`UserName` -> `userName`,
/// `SAMLMetadataDocument` -> `sAMLMetadataDocument`).
pub fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
