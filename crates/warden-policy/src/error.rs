//! Errors. Every hard error maps to IAM's `MalformedPolicyDocument` through [`PolicyError::aws_message`].

use std::fmt;

use crate::PolicyType;

/// A place in the policy text. Lines and columns start at 1; columns count characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Location {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// 0-based byte offset.
    pub offset: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why a policy document was rejected. All variants are hard errors: IAM's `MalformedPolicyDocument`, or
/// `LimitExceeded` for [`PolicyError::TooLarge`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text is not JSON.
    #[error("invalid JSON at {location}: {detail}")]
    InvalidJson {
        /// What was wrong.
        detail: String,
        /// Where.
        location: Location,
    },
    /// A JSON object repeats a key (compared case-insensitively).
    #[error("duplicate key {key:?} at {location}")]
    DuplicateKey {
        /// The second occurrence of the key.
        key: String,
        /// Where the second occurrence starts.
        location: Location,
    },
    /// The document is JSON but breaks a rule of the policy grammar or of the policy type.
    #[error("{detail} (at {path}, {location})")]
    Invalid {
        /// Access-Analyzer-style code, e.g. `MISSING_ACTION`.
        code: &'static str,
        /// IAM's message for this error where it is known (see [`PolicyError::aws_message`]).
        aws_message: String,
        /// Our own explanation.
        detail: String,
        /// JSON path such as `Statement[1].Action`.
        path: String,
        /// Where.
        location: Location,
    },
    /// Over the size quota of the policy type.
    #[error("policy is {length} characters, over the {limit}-character quota for {policy_type} policies")]
    TooLarge {
        /// Counted length (without whitespace for IAM policies, with it for SCPs and RCPs).
        length: usize,
        /// The quota.
        limit: usize,
        /// The policy type whose quota applies.
        policy_type: PolicyType,
    },
    /// A character outside U+0009, U+000A, U+000D and U+0020–U+00FF.
    #[error("character {ch:?} at {location} is not allowed in a policy document")]
    InvalidCharacter {
        /// The character.
        ch: char,
        /// Where.
        location: Location,
    },
}

/// IAM's text for JSON syntax errors from CreatePolicy and friends.
pub const MSG_SYNTAX: &str = "Syntax errors in policy.";
/// IAM's text for what its older ("legacy") parser refuses: an Effect spelt in another case, a Date condition
/// value it cannot read, a resource ARN with empty fields (recorded CreatePolicy answers).
pub const MSG_LEGACY: &str = "The policy failed legacy parsing";
/// IAM's text for JSON syntax errors from CreateRole / UpdateAssumeRolePolicy.
pub const MSG_TRUST_JSON: &str = "This policy contains invalid Json";

impl PolicyError {
    /// The AWS error code to answer with: `LimitExceeded` for size quotas (as IAM does), else
    /// `MalformedPolicyDocument`.
    pub fn aws_error_code(&self) -> &'static str {
        match self {
            PolicyError::TooLarge { .. } => "LimitExceeded",
            _ => "MalformedPolicyDocument",
        }
    }

    /// The `Message` IAM puts in its error for this problem, for a policy of type `ty` (see
    /// [`PolicyError::aws_error_code`] for the code). Texts recorded against AWS are used where known (reference
    /// `aws-wire-facts.md`); otherwise the generic `Syntax errors in policy.`.
    pub fn aws_message(&self, ty: PolicyType) -> String {
        match self {
            PolicyError::InvalidJson { .. } | PolicyError::DuplicateKey { .. } => {
                if ty == PolicyType::Trust {
                    MSG_TRUST_JSON.to_string()
                } else {
                    MSG_SYNTAX.to_string()
                }
            }
            PolicyError::Invalid { aws_message, .. } => aws_message.clone(),
            // A role's trust policy counts against the ACLSizePerRole quota.
            PolicyError::TooLarge { limit, .. } if ty == PolicyType::Trust => {
                format!("Cannot exceed quota for ACLSizePerRole: {limit}")
            }
            PolicyError::TooLarge { limit, .. } => {
                format!("Cannot exceed quota for PolicySize: {limit}")
            }
            PolicyError::InvalidCharacter { .. } => MSG_SYNTAX.to_string(),
        }
    }

    /// The explanation without the location (findings carry the location separately).
    pub fn detail(&self) -> String {
        match self {
            PolicyError::InvalidJson { detail, .. } => format!("invalid JSON: {detail}"),
            PolicyError::DuplicateKey { key, .. } => format!("duplicate key {key:?}"),
            PolicyError::Invalid { detail, .. } => detail.clone(),
            PolicyError::TooLarge { .. } => self.to_string(),
            PolicyError::InvalidCharacter { ch, .. } => {
                format!("character {ch:?} is not allowed in a policy document")
            }
        }
    }

    /// The Access-Analyzer-style code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::InvalidJson { .. } => "JSON_SYNTAX_ERROR",
            PolicyError::DuplicateKey { .. } => "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
            PolicyError::Invalid { code, .. } => code,
            PolicyError::TooLarge { .. } => "POLICY_SIZE_EXCEEDS_QUOTA",
            PolicyError::InvalidCharacter { .. } => "INVALID_CHARACTER",
        }
    }

    /// Where the problem is, if known.
    pub fn location(&self) -> Location {
        match self {
            PolicyError::InvalidJson { location, .. }
            | PolicyError::DuplicateKey { location, .. }
            | PolicyError::Invalid { location, .. }
            | PolicyError::InvalidCharacter { location, .. } => *location,
            PolicyError::TooLarge { .. } => Location::default(),
        }
    }

    /// The JSON path of the problem (`$` for the whole document).
    pub fn path(&self) -> &str {
        match self {
            PolicyError::Invalid { path, .. } => path,
            _ => "",
        }
    }
}

/// A request (principal string) that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The principal is not an ARN form we know, a service principal, or `anonymous`.
    #[error("unrecognised principal {0:?}")]
    BadPrincipal(String),
    /// The action has no `service:` prefix.
    #[error("action {0:?} must look like service:Action")]
    BadAction(String),
}
