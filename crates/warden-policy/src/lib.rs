#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(
    test,
    expect(clippy::unwrap_used, reason = "a test that panics has failed")
)]

mod catalogue_findings;
mod condition;
mod context;
mod document;
mod error;
mod eval;
mod json;
mod pattern;
mod policy;
mod request;
mod validate;

pub mod cli;

pub use condition::{BaseOp, Family, Operator, SetQualifier};
pub use context::{ContextValue, Principal, PrincipalKind, RequestContext};
pub use document::{
    Condition, Effect, ListElement, PolicyDocument, PrincipalElement, PrincipalKey, PrincipalValue,
    Spanned, Statement, Version,
};
pub use error::{Location, PolicyError, RequestError};
pub use eval::{
    evaluate, Decision, DecisionKind, EvalOptions, NamedPolicy, PolicySet, StatementRef,
    MAX_MATCHED,
};
pub use policy::{NamedAs, Policy};
pub use validate::{validate, Finding, Severity, ValidationReport};

use std::fmt;

/// The kinds of policy, each with its own element rules and quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// Identity-based policy of a user, group or role: an inline policy (Put*Policy), or any identity policy
    /// when the place it is saved does not matter.
    Identity,
    /// A customer managed policy as CreatePolicy and CreatePolicyVersion save it: an identity-based policy
    /// that must also use `"Version": "2012-10-17"`.
    Managed,
    /// Resource-based policy of another service (S3 bucket, SQS queue, KMS key, ...).
    Resource,
    /// Role trust policy (`AssumeRolePolicyDocument`).
    Trust,
    /// Permissions boundary.
    Boundary,
    /// Session policy passed to AssumeRole* or GetFederationToken.
    Session,
    /// Service control policy.
    Scp,
    /// Resource control policy.
    Rcp,
}

impl PolicyType {
    /// Every type.
    pub const ALL: [PolicyType; 8] = [
        PolicyType::Identity,
        PolicyType::Managed,
        PolicyType::Resource,
        PolicyType::Trust,
        PolicyType::Boundary,
        PolicyType::Session,
        PolicyType::Scp,
        PolicyType::Rcp,
    ];

    /// The CLI spelling: `identity`, `managed`, `resource`, `trust`, `boundary`, `session`, `scp`, `rcp`.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Managed => "managed",
            PolicyType::Resource => "resource",
            PolicyType::Trust => "trust",
            PolicyType::Boundary => "boundary",
            PolicyType::Session => "session",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
        }
    }

    /// Parses the CLI spelling (case-insensitive).
    pub fn parse(s: &str) -> Option<PolicyType> {
        PolicyType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// The name AWS's AccessDenied messages use: `identity-based policy`, `service control policy`, ...
    pub fn description(self) -> &'static str {
        match self {
            PolicyType::Identity | PolicyType::Managed => "identity-based policy",
            PolicyType::Resource | PolicyType::Trust => "resource-based policy",
            PolicyType::Boundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::Scp => "service control policy",
            PolicyType::Rcp => "resource control policy",
        }
    }

    /// [`PolicyType::description`] with its article: `an identity-based policy`, `a session policy`.
    pub fn with_article(self) -> String {
        let d = self.description();
        let article = if d.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {d}")
    }

    /// The size quota in characters (reference §1.9): managed policies 6,144; trust policies 2,048 (the
    /// default; AWS lets it be raised to 4,096); session policies 2,048; SCPs and RCPs 5,120; resource policies
    /// have service-specific limits, 20,480 here (S3's).
    pub fn size_quota(self) -> usize {
        match self {
            PolicyType::Identity | PolicyType::Managed | PolicyType::Boundary => 6_144,
            PolicyType::Trust | PolicyType::Session => 2_048,
            PolicyType::Scp | PolicyType::Rcp => 5_120,
            PolicyType::Resource => 20_480,
        }
    }

    /// Whether IAM itself (or STS, for session policies) checks this type when it is saved, with IAM's
    /// rules and messages; the others are checked by Organizations or by the service owning the resource.
    pub fn is_iam(self) -> bool {
        matches!(
            self,
            PolicyType::Identity
                | PolicyType::Managed
                | PolicyType::Boundary
                | PolicyType::Trust
                | PolicyType::Session
        )
    }

    /// Whether whitespace counts toward [`PolicyType::size_quota`]: yes for SCPs and RCPs, no for IAM.
    pub fn quota_counts_whitespace(self) -> bool {
        matches!(self, PolicyType::Scp | PolicyType::Rcp)
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn shared_types_are_send_sync() {
        assert_send_sync::<super::Policy>();
        assert_send_sync::<super::NamedPolicy>();
        assert_send_sync::<super::RequestContext>();
        assert_send_sync::<super::Decision>();
    }
}
