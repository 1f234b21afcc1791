//! The request side: who calls, what they do, on which resource, with which context keys.

use std::sync::Arc;

use crate::error::RequestError;
use crate::pattern::{arn_segments, Resolve};

/// What an IAM or STS principal ARN names. One parser serves requests, policy `Principal` elements and
/// validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrincipalArn<'a> {
    Root,
    /// `user/path/name`: the name is the last path segment.
    User {
        name: &'a str,
    },
    /// `role/path/name`.
    Role {
        name: &'a str,
    },
    /// `sts ... assumed-role/role/session`.
    Session {
        role: &'a str,
        session: &'a str,
    },
    /// `sts ... federated-user/name`.
    FederatedUser {
        name: &'a str,
    },
    /// A SAML or OIDC provider.
    Provider,
}

/// Parses `arn:partition:service:region:account:resource` as a principal ARN: `(partition, account, what)`.
pub(crate) fn parse_principal_arn(s: &str) -> Option<(&str, &str, PrincipalArn<'_>)> {
    let mut f = arn_segments(s);
    let (arn, partition, service) = (f.next()?, f.next()?, f.next()?);
    let (_region, account, resource) = (f.next()?, f.next()?, f.next()?);
    if arn != "arn" || account.is_empty() {
        return None;
    }
    let named = match (service, resource.split_once('/')) {
        ("iam", None) if resource == "root" => PrincipalArn::Root,
        ("iam", Some(("user", rest))) => PrincipalArn::User {
            name: last_segment(rest)?,
        },
        ("iam", Some(("role", rest))) => PrincipalArn::Role {
            name: last_segment(rest)?,
        },
        ("iam", Some(("saml-provider" | "oidc-provider", rest))) if !rest.is_empty() => {
            PrincipalArn::Provider
        }
        ("sts", Some(("assumed-role", rest))) => {
            let (role, session) = rest.split_once('/')?;
            if role.is_empty() || session.is_empty() {
                return None;
            }
            PrincipalArn::Session { role, session }
        }
        ("sts", Some(("federated-user", name))) if !name.is_empty() => {
            PrincipalArn::FederatedUser { name }
        }
        _ => return None,
    };
    Some((partition, account, named))
}

/// The name after the path: `division/alice` gives `alice`.
fn last_segment(path_and_name: &str) -> Option<&str> {
    path_and_name.rsplit('/').next().filter(|n| !n.is_empty())
}

/// What kind of caller a [`Principal`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// No credentials at all.
    Anonymous,
    /// The root user of an account (`arn:aws:iam::ACCT:root`).
    Root,
    /// An IAM user.
    User,
    /// A role named directly by its ARN: treated as a session of it whose session name is unknown.
    Role,
    /// A role session (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`).
    AssumedRole,
    /// A GetFederationToken session (`arn:aws:sts::ACCT:federated-user/NAME`).
    FederatedUser,
    /// An AWS service principal such as `ec2.amazonaws.com`.
    Service,
    /// A SAML or OIDC identity provider calling AssumeRoleWithSAML / AssumeRoleWithWebIdentity.
    Federated,
}

/// The caller of a request. Build it once per credential; it is cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    kind: PrincipalKind,
    /// The caller's ARN (or service / provider name).
    arn: Arc<str>,
    account: Arc<str>,
    /// User name, role name, federated-user name, service or provider name.
    name: Arc<str>,
    /// `aws:PrincipalArn`: the role ARN for a role session, the caller's ARN otherwise.
    principal_arn: Arc<str>,
}

/// Identity providers that appear as bare names in `Federated` principals.
const WEB_IDENTITY_PROVIDERS: &[&str] = &[
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    "graph.facebook.com",
    "www.amazon.com",
];

impl Principal {
    /// The anonymous caller.
    pub fn anonymous() -> Principal {
        Principal {
            kind: PrincipalKind::Anonymous,
            arn: "anonymous".into(),
            account: "".into(),
            name: "".into(),
            principal_arn: "".into(),
        }
    }

    /// Parses the principal forms of the CLI contract: a user, role, assumed-role, federated-user or root ARN, a
    /// 12-digit account (its root), a service principal (`ec2.amazonaws.com`), an identity provider (a SAML/OIDC
    /// provider ARN or a well-known web-identity host), or `anonymous`.
    pub fn parse(s: &str) -> Result<Principal, RequestError> {
        let bad = || RequestError::BadPrincipal(s.to_string());
        if s == "anonymous" {
            return Ok(Principal::anonymous());
        }
        let mk = |kind, arn: &str, account: &str, name: &str, principal_arn: &str| Principal {
            kind,
            arn: arn.into(),
            account: account.into(),
            name: name.into(),
            principal_arn: principal_arn.into(),
        };
        if WEB_IDENTITY_PROVIDERS.contains(&s) {
            return Ok(mk(PrincipalKind::Federated, s, "", s, ""));
        }
        if !s.starts_with("arn:") {
            if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
                let arn = format!("arn:aws:iam::{s}:root");
                return Ok(mk(PrincipalKind::Root, &arn, s, "", &arn));
            }
            if s.contains('.') && !s.contains(':') && !s.contains('/') {
                return Ok(mk(PrincipalKind::Service, s, "", s, s));
            }
            return Err(bad());
        }
        let Some((partition, account, named)) = parse_principal_arn(s) else {
            return Err(bad());
        };
        Ok(match named {
            PrincipalArn::Root => mk(PrincipalKind::Root, s, account, "", s),
            PrincipalArn::User { name } => mk(PrincipalKind::User, s, account, name, s),
            PrincipalArn::Role { name } => mk(PrincipalKind::Role, s, account, name, s),
            PrincipalArn::Provider => mk(PrincipalKind::Federated, s, account, s, ""),
            PrincipalArn::Session { role, .. } => {
                let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
                mk(PrincipalKind::AssumedRole, s, account, role, &role_arn)
            }
            PrincipalArn::FederatedUser { name } => {
                mk(PrincipalKind::FederatedUser, s, account, name, s)
            }
        })
    }

    /// For a role session, records the role's full ARN (with its path) as `aws:PrincipalArn`; a session ARN
    /// has no path, so only the caller that knows the role can supply it.
    pub fn with_role_arn(mut self, role_arn: &str) -> Principal {
        if matches!(self.kind, PrincipalKind::AssumedRole | PrincipalKind::Role) {
            self.principal_arn = role_arn.into();
        }
        self
    }

    /// The kind of caller.
    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// The caller's ARN as given (for services and web-identity providers, their name).
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The caller's account, if it has one.
    pub fn account(&self) -> Option<&str> {
        (!self.account.is_empty()).then_some(&*self.account)
    }

    /// User, role, federated-user, service or provider name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Does this caller carry identity-based permissions (and so fall under SCPs and boundaries)?
    pub fn has_identity(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::Root
                | PrincipalKind::User
                | PrincipalKind::Role
                | PrincipalKind::AssumedRole
                | PrincipalKind::FederatedUser
        )
    }

    /// Values of the principal keys the caller did not set explicitly (reference §1.6 table).
    fn derived(&self, key: &str) -> Option<&str> {
        use PrincipalKind as K;
        match key {
            "aws:principalarn" if !self.principal_arn.is_empty() => Some(&self.principal_arn),
            "aws:principalaccount" => self.account(),
            "aws:principaltype" => Some(match self.kind {
                K::Anonymous => "Anonymous",
                K::Root => "Account",
                K::User => "User",
                K::Role | K::AssumedRole => "AssumedRole",
                K::FederatedUser => "FederatedUser",
                K::Service | K::Federated => return None,
            }),
            "aws:username" if self.kind == K::User => Some(&self.name),
            "aws:userid" if self.kind == K::Root => self.account(),
            "aws:principalisawsservice" => Some(if self.kind == K::Service {
                "true"
            } else {
                "false"
            }),
            "aws:principalservicename" if self.kind == K::Service => Some(&self.name),
            _ => None,
        }
    }
}

/// Maps a lower-cased service prefix to one of 64 bits (FNV-1a), for a Bloom-style "does this policy mention the
/// service at all" test that costs one AND.
pub(crate) fn service_bit(service: &str) -> u64 {
    let h = service.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    1 << (h % 64)
}

/// A context value: one string or a set of strings (multivalued keys such as `aws:TagKeys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// A single value. Shared, so that a value kept per principal (its tags,
    /// its organization) or per second (`aws:CurrentTime`) goes into each
    /// request's context without being copied.
    One(Arc<str>),
    /// A multivalued key's values (may be empty).
    Many(Vec<String>),
}

impl From<&str> for ContextValue {
    fn from(s: &str) -> Self {
        ContextValue::One(s.into())
    }
}

impl From<String> for ContextValue {
    fn from(s: String) -> Self {
        ContextValue::One(s.into())
    }
}

impl From<Arc<str>> for ContextValue {
    fn from(s: Arc<str>) -> Self {
        ContextValue::One(s)
    }
}

impl From<&Arc<str>> for ContextValue {
    fn from(s: &Arc<str>) -> Self {
        ContextValue::One(Arc::clone(s))
    }
}

impl From<Vec<String>> for ContextValue {
    fn from(v: Vec<String>) -> Self {
        ContextValue::Many(v)
    }
}

/// A borrowed view of a key's values.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    One(&'a str),
    Many(&'a [String]),
}

/// Everything a decision looks at. Build it once per request (this allocates); evaluation then borrows it and
/// allocates nothing.
#[derive(Debug, Clone)]
pub struct RequestContext {
    principal: Principal,
    /// As given, for messages.
    action: Box<str>,
    /// Lower-cased, for case-insensitive action matching.
    action_lower: Box<str>,
    service_len: usize,
    /// [`service_bit`] of the service prefix, for the policies' quick service filter.
    service_bit: u64,
    resource: Box<str>,
    resource_account: Option<Box<str>>,
    /// Lower-cased key names in [`key_order`]. Well-known keys borrow a static name.
    keys: Vec<(KeyName, ContextValue)>,
}

/// A lower-cased context key name: a well-known name known at compile time,
/// one shared with a per-principal cache, or one made for this request.
#[derive(Debug, Clone)]
enum KeyName {
    Static(&'static str),
    Shared(Arc<str>),
    Owned(Box<str>),
}

impl std::ops::Deref for KeyName {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            KeyName::Static(s) => s,
            KeyName::Shared(s) => s,
            KeyName::Owned(s) => s,
        }
    }
}

/// The order of the context's keys: by length, then by bytes. Most keys
/// differ in length, so a lookup rarely compares bytes at all (comparing
/// names that share the `aws:` prefix was a quarter of an authorization).
fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl RequestContext {
    /// A request by `principal` to do `action` (`service:Action`) on `resource` (an ARN, or `*` for actions
    /// that have no resource type).
    pub fn new(
        principal: Principal,
        action: &str,
        resource: &str,
    ) -> Result<RequestContext, RequestError> {
        let Some(service_len) = action.find(':').filter(|i| *i > 0) else {
            return Err(RequestError::BadAction(action.to_string()));
        };
        let action_lower = action.to_ascii_lowercase().into_boxed_str();
        Ok(RequestContext {
            principal,
            action: action.into(),
            service_bit: service_bit(&action_lower[..service_len]),
            action_lower,
            service_len,
            resource: resource.into(),
            resource_account: None,
            // A typical request carries a dozen keys: no regrowth on the way.
            keys: Vec::with_capacity(16),
        })
    }

    /// Sets the account that owns the resource when its ARN has none (S3 buckets, for example).
    pub fn set_resource_account(&mut self, account: &str) {
        self.resource_account = Some(account.into());
    }

    /// Sets a context key (names are case-insensitive; a later value replaces an earlier one).
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) {
        self.insert_key(
            KeyName::Owned(key.to_ascii_lowercase().into_boxed_str()),
            value.into(),
        );
    }

    /// [`RequestContext::insert`] for a key name known at compile time: a
    /// lower-case name is kept without copying it (the per-request keys a
    /// server sets for every call).
    pub fn insert_static(&mut self, key: &'static str, value: impl Into<ContextValue>) {
        let key = if key.bytes().any(|b| b.is_ascii_uppercase()) {
            KeyName::Owned(key.to_ascii_lowercase().into_boxed_str())
        } else {
            KeyName::Static(key)
        };
        self.insert_key(key, value.into());
    }

    /// [`RequestContext::insert`] for a key name kept between requests (a
    /// principal's tag keys): a lower-case name is shared, not copied.
    pub fn insert_shared(&mut self, key: &Arc<str>, value: impl Into<ContextValue>) {
        let key = if key.bytes().any(|b| b.is_ascii_uppercase()) {
            KeyName::Owned(key.to_ascii_lowercase().into_boxed_str())
        } else {
            KeyName::Shared(Arc::clone(key))
        };
        self.insert_key(key, value.into());
    }

    fn insert_key(&mut self, k: KeyName, value: ContextValue) {
        match self.keys.binary_search_by(|(x, _)| key_order(x, &k)) {
            Ok(i) => self.keys[i].1 = value,
            Err(i) => self.keys.insert(i, (k, value)),
        }
    }

    /// The caller.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The action as given.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The lower-cased action.
    pub(crate) fn action_lower(&self) -> &str {
        &self.action_lower
    }

    /// The lower-cased service prefix of the action (`s3`).
    pub(crate) fn service(&self) -> &str {
        &self.action_lower[..self.service_len]
    }

    /// One bit standing for the action's service in a policy's service filter.
    pub(crate) fn service_bit(&self) -> u64 {
        self.service_bit
    }

    /// The resource.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The account owning the resource: explicit, else the ARN's account field, else unknown.
    pub fn resource_account(&self) -> Option<&str> {
        if let Some(a) = &self.resource_account {
            return Some(a);
        }
        arn_segments(&self.resource)
            .nth(4)
            .filter(|a| !a.is_empty() && self.resource.starts_with("arn:"))
    }

    /// Same account, or the resource's account is unknown (then the principal's account is assumed).
    pub fn is_same_account(&self) -> bool {
        match (self.resource_account(), self.principal.account()) {
            (Some(r), Some(p)) => r == p,
            (None, _) => true,
            (Some(_), None) => false,
        }
    }

    /// Looks up a lower-cased key: explicit keys first, then values derived from the principal.
    pub(crate) fn values(&self, key: &str) -> Option<Values<'_>> {
        match self.keys.binary_search_by(|(x, _)| key_order(x, key)) {
            Ok(i) => Some(match &self.keys[i].1 {
                ContextValue::One(s) => Values::One(s),
                ContextValue::Many(v) => Values::Many(v),
            }),
            Err(_) => self.principal.derived(key).map(Values::One),
        }
    }
}

impl Resolve for RequestContext {
    /// Policy variables take single-valued keys only.
    fn var(&self, key: &str) -> Option<&str> {
        match self.values(key)? {
            Values::One(s) => Some(s),
            Values::Many(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_forms() {
        use PrincipalKind as K;
        for (s, kind, acct, name) in [
            (
                "arn:aws:iam::111122223333:user/division/alice",
                K::User,
                "111122223333",
                "alice",
            ),
            (
                "arn:aws:iam::111122223333:role/path/r",
                K::Role,
                "111122223333",
                "r",
            ),
            (
                "arn:aws:sts::111122223333:assumed-role/r/s",
                K::AssumedRole,
                "111122223333",
                "r",
            ),
            (
                "arn:aws:sts::111122223333:federated-user/bob",
                K::FederatedUser,
                "111122223333",
                "bob",
            ),
            (
                "arn:aws:iam::111122223333:root",
                K::Root,
                "111122223333",
                "",
            ),
            ("111122223333", K::Root, "111122223333", ""),
            ("ec2.amazonaws.com", K::Service, "", "ec2.amazonaws.com"),
            (
                "accounts.google.com",
                K::Federated,
                "",
                "accounts.google.com",
            ),
            ("anonymous", K::Anonymous, "", ""),
        ] {
            let p = Principal::parse(s).unwrap();
            assert_eq!(
                (p.kind(), p.account().unwrap_or(""), p.name()),
                (kind, acct, name),
                "{s}"
            );
        }
        for s in [
            "",
            "bob",
            "arn:aws:iam::1:group/g",
            "arn:aws:sts::1:assumed-role/r",
            "arn:aws:iam:::user/x",
        ] {
            assert!(Principal::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn derived_keys() {
        let p = Principal::parse("arn:aws:sts::111122223333:assumed-role/r/s").unwrap();
        let mut c = RequestContext::new(p, "s3:GetObject", "arn:aws:s3:::b/k").unwrap();
        assert!(matches!(
            c.values("aws:principalarn"),
            Some(Values::One("arn:aws:iam::111122223333:role/r"))
        ));
        assert!(matches!(
            c.values("aws:principaltype"),
            Some(Values::One("AssumedRole"))
        ));
        assert!(c.values("aws:username").is_none());
        c.insert("AWS:PrincipalArn", "x");
        assert!(matches!(
            c.values("aws:principalarn"),
            Some(Values::One("x"))
        ));
        assert_eq!(c.service(), "s3");
        assert!(c.is_same_account());
        c.set_resource_account("444455556666");
        assert!(!c.is_same_account());
    }

    #[test]
    fn static_keys_share_the_case_insensitive_namespace() {
        let p = Principal::parse("arn:aws:iam::111122223333:user/u").unwrap();
        let mut c = RequestContext::new(p, "iam:GetUser", "*").unwrap();
        c.insert_static("aws:CurrentTime", "2026-01-01T00:00:00Z");
        assert!(matches!(
            c.values("aws:currenttime"),
            Some(Values::One("2026-01-01T00:00:00Z"))
        ));
        c.insert("AWS:currenttime", "later");
        c.insert_static("aws:epochtime", "1");
        c.insert("aws:EpochTime", "2");
        assert!(matches!(
            c.values("aws:currenttime"),
            Some(Values::One("later"))
        ));
        assert!(matches!(c.values("aws:epochtime"), Some(Values::One("2"))));
    }
}
