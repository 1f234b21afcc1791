//! AssumeRoleWithSAML: the provider named by `PrincipalArn`, the response
//! verified against its metadata ([`crate::saml`]), the assertion used once,
//! the `Role` attribute's pair naming this role and provider, the session's
//! name, tags and source identity from the attributes, then the role's trust
//! policy evaluated for the provider as `Federated` principal with the
//! `saml:` condition keys, and a role session like AssumeRole's.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha1::Digest;
use warden_policy::{ContextValue, DecisionKind, NamedPolicy, Principal};

use crate::authz::{Ask, RequestFacts};
use crate::crypto::SessionClaims;
use crate::error::{CoreError, Result};
use crate::failures::{monotonic_secs, FailureLimiter, FailurePolicy};
use crate::iam::saml_providers::{provider_by_arn, SamlProvider};
use crate::model::{now_epoch, Epoch};
use crate::saml::{self, Assertion, Expectations, Rejection};
use crate::state::{Change, Kind, State};
use crate::sts::{
    check_reserved_tag_keys, check_unique_tag_keys, checked_packed_size, parse_role_arn,
    role_and_trust, role_session_seconds, AssumedRole, Sts,
};

const ATTR: &str = "https://aws.amazon.com/SAML/Attributes/";
const NAME_ID_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";

/// AssumeRoleWithSAML's input.
#[derive(Debug, Clone, Default)]
pub struct SamlInput {
    /// `RoleArn`.
    pub role_arn: String,
    /// `PrincipalArn`: the IAM SAML provider.
    pub principal_arn: String,
    /// `SAMLAssertion`: the base64 Response.
    pub saml_assertion: String,
    /// `DurationSeconds`.
    pub duration: Option<i32>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `PolicyArns`.
    pub policy_arns: Vec<String>,
    /// The region the request reached.
    pub region: String,
    /// The request's global condition keys.
    pub facts: RequestFacts,
}

/// A SAML session and what AWS answers about the assertion.
#[derive(Debug, Clone)]
pub struct SamlSession {
    /// The role session.
    pub session: AssumedRole,
    /// The NameID value.
    pub subject: String,
    /// The NameID format, AWS's prefix stripped.
    pub subject_type: String,
    /// The assertion's issuer.
    pub issuer: String,
    /// The confirmation's recipient (`saml:aud`).
    pub audience: String,
    /// base64 SHA-1 of issuer, account id and `/provider name`.
    pub name_qualifier: String,
}

/// An assertion already exchanged, kept until it could no longer be
/// accepted: an assertion is used once (SAML profiles 4.1.4.5). Stored through
/// the one write path, so a restart or another node sharing the database
/// refuses it too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpentAssertion {
    /// The account of the provider it was exchanged through (the record's account).
    pub account: String,
    /// [`spent_key`] of its issuer and ID.
    pub key: String,
    /// When it stops being valid (its NotOnOrAfter); refused until then plus the leeway.
    pub until: Epoch,
}

impl SpentAssertion {
    /// Whether it can still be presented at `now`, and so must be refused.
    pub fn still_valid(&self, now: Epoch) -> bool {
        self.until + saml::LEEWAY > now
    }
}

/// The stored key of an assertion: hex SHA-256 of issuer, a NUL and ID, so
/// that a key's length is fixed whatever the IdP writes, and an ID is
/// per-issuer ("issuer\0id" cannot be forged from another pair: neither
/// holds a NUL, which XML forbids).
pub fn spent_key(issuer: &str, id: &str) -> String {
    let digest = sha2::Sha256::new()
        .chain_update(issuer.as_bytes())
        .chain_update([0u8])
        .chain_update(id.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// How many spent assertions may be held before a write also removes the
/// expired ones: a sweep every so many writes keeps the sweep's cost per
/// assertion small.
const SWEEP_EVERY: usize = 256;

/// The changes that record `(issuer, id)` as spent until `until`, with the
/// expired ones removed now and then; `None` when it is spent already.
fn spend(
    s: &State,
    account: &str,
    issuer: &str,
    id: &str,
    until: Epoch,
    now: Epoch,
) -> Option<Vec<Change>> {
    let key = spent_key(issuer, id);
    if s.spent_assertions
        .get(&key)
        .is_some_and(|a| a.still_valid(now))
    {
        return None;
    }
    let mut changes = Vec::new();
    if s.spent_assertions.len() % SWEEP_EVERY == SWEEP_EVERY - 1 {
        changes.extend(
            s.spent_assertions
                .values()
                .filter(|a| !a.still_valid(now) && a.key != key)
                .map(|a| Change::Delete(Kind::SpentAssertion, (a.account.clone(), a.key.clone()))),
        );
    }
    changes.push(Change::SpentAssertion(SpentAssertion {
        account: account.to_string(),
        key,
        until,
    }));
    Some(changes)
}

fn invalid(text: impl Into<String>) -> CoreError {
    CoreError::InvalidIdentityToken(text.into())
}

fn rejection(r: Rejection) -> CoreError {
    match r {
        Rejection::Invalid(t) => CoreError::InvalidIdentityToken(t),
        Rejection::Expired(t) => CoreError::ExpiredIdentityToken(t),
        Rejection::Rejected(t) => CoreError::IdpRejectedClaim(t),
    }
}

/// `[a-zA-Z_0-9+=,.@-]{2,64}`: RoleSessionName and SourceIdentity.
fn session_name_ok(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// `saml:namequalifier`: base64 SHA-1 of issuer + account + "/" + provider
/// name (IAM's "Configuring SAML assertions" page).
pub fn name_qualifier(issuer: &str, account: &str, provider_name: &str) -> String {
    STANDARD.encode(sha1::Sha1::digest(
        format!("{issuer}{account}/{provider_name}").as_bytes(),
    ))
}

fn single<'a>(a: &'a Assertion, name: &str) -> Option<&'a str> {
    a.attributes
        .get(&format!("{ATTR}{name}"))
        .and_then(|v| v.first())
        .map(String::as_str)
}

/// Failed decryptions of encrypted assertions a provider's keys may take.
/// Each is an RSA private-key operation on a ciphertext anyone can send, and
/// the RSA code is not constant-time (RUSTSEC-2023-0071, the Marvin attack,
/// which needs very many timed queries): after 100 failures within a minute
/// the provider's keys are not tried for a minute, doubling up to 15 minutes
/// while failures go on. The price: a flood of garbage blocks the provider's
/// encrypted assertions for as long (plain ones still work under `Allowed`).
pub const DECRYPTION_POLICY: FailurePolicy = FailurePolicy {
    max_failures: 100,
    window: 60,
    lockout: 60,
    max_lockout: 900,
};

/// The decryption limiter of this process, keyed by provider ARN.
fn decryption_limiter() -> &'static parking_lot::Mutex<FailureLimiter> {
    static LIMITER: std::sync::OnceLock<parking_lot::Mutex<FailureLimiter>> =
        std::sync::OnceLock::new();
    LIMITER.get_or_init(|| parking_lot::Mutex::new(FailureLimiter::new(DECRYPTION_POLICY)))
}

impl Sts<'_> {
    /// AssumeRoleWithSAML (see the module's steps).
    pub fn assume_role_with_saml(&self, req: SamlInput) -> Result<SamlSession> {
        let (role_account, _) = parse_role_arn(&req.role_arn)?;
        let provider: SamlProvider = provider_by_arn(&self.warden.read(), &req.principal_arn)
            .cloned()
            // Our text: the console's for this case ("Specified provider doesn't exist").
            .ok_or_else(|| invalid("Specified provider doesn't exist"))?;
        let now = now_epoch();
        let certificates: Vec<Vec<u8>> = provider
            .idp
            .signing_certificates
            .iter()
            .filter_map(|c| STANDARD.decode(c).ok())
            .collect();
        // Opened per request, held only for it; a key that does not open
        // (another master key) is skipped and logged by its id, never its content.
        let master = self.warden.master_key();
        let private_keys: Vec<_> = provider
            .private_keys
            .iter()
            .filter_map(|k| {
                master
                    .open(&k.sealed, k.id.as_bytes())
                    .inspect_err(|_| tracing::warn!(key_id = %k.id, "a SAML provider private key does not open"))
                    .ok()
            })
            .collect();
        let mut decryption_keys: Vec<&str> =
            private_keys.iter().filter_map(|k| k.expose_str()).collect();
        // Failed decryptions lock the provider's keys for a while (see
        // DECRYPTION_POLICY): answered as undecryptable, no RSA operation run.
        let mono = monotonic_secs();
        // The stored ARN, not the caller's spelling: another letter case is
        // the same provider and must not get counts of its own.
        let provider_arn = provider.arn();
        let provider_key = [provider_arn.as_str()];
        if !decryption_keys.is_empty() && decryption_limiter().lock().locked(&provider_key, mono) {
            decryption_keys.clear();
        }
        let verified = saml::verify_base64(
            &req.saml_assertion,
            &Expectations {
                issuer: &provider.idp.entity_id,
                certificates: &certificates,
                audiences: saml::AWS_AUDIENCES,
                recipients: saml::AWS_RECIPIENTS,
                now,
                decryption_keys: &decryption_keys,
                encryption_required: provider.encryption_mode.as_deref() == Some("Required"),
            },
        );
        if let Err(r) = &verified {
            if r.is_undecryptable() && !decryption_keys.is_empty() {
                decryption_limiter().lock().fail(&provider_key, mono);
            }
        }
        let assertion = verified.map_err(rejection)?;
        if provider.idp.valid_until <= now {
            return Err(invalid("The provider's metadata has expired"));
        }

        // The Role attribute must pair this role with this provider, in either order.
        let pairs = assertion
            .attributes
            .get(&format!("{ATTR}Role"))
            .cloned()
            .unwrap_or_default();
        let named = pairs.iter().any(|pair| {
            let parts: Vec<&str> = pair.split(',').map(str::trim).collect();
            matches!(parts[..], [a, b] if (a == req.role_arn && b == req.principal_arn)
                || (b == req.role_arn && a == req.principal_arn))
        });
        // AWS's text (federation reference §4.3 step 14).
        let denied = || {
            CoreError::AccessDenied("Not authorized to perform sts:AssumeRoleWithSAML".to_string())
        };
        if !named {
            return Err(denied());
        }
        let session_name = single(&assertion, "RoleSessionName")
            .ok_or_else(|| invalid("RoleSessionName is required in AuthnResponse"))?
            .to_string();
        if !session_name_ok(&session_name) {
            return Err(invalid(
                "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
            ));
        }
        let source_identity = single(&assertion, "SourceIdentity").map(str::to_string);
        if let Some(si) = &source_identity {
            if !session_name_ok(si) || si.to_ascii_lowercase().starts_with("aws:") {
                return Err(invalid(
                    "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"",
                ));
            }
        }
        let tags: Vec<(String, String)> = assertion
            .attributes
            .iter()
            .filter_map(|(name, values)| {
                let key = name.strip_prefix(ATTR)?.strip_prefix("PrincipalTag:")?;
                Some((key.to_string(), values.first().cloned().unwrap_or_default()))
            })
            .collect();
        let transitive = assertion
            .attributes
            .get(&format!("{ATTR}TransitiveTagKeys"))
            .cloned()
            .unwrap_or_default();
        check_unique_tag_keys(&tags)?;
        check_reserved_tag_keys(&tags, &transitive)?;
        let session_policy = self.merged_session_policy(req.policy.as_deref(), &req.policy_arns)?;
        let packed = checked_packed_size(session_policy.as_deref(), &tags)?;

        let (role, trust) = match parse_role_arn(&req.role_arn) {
            Ok((account, name)) => {
                role_and_trust(&self.warden.read(), account, name, &req.role_arn)
            }
            Err(_) => (None, None),
        };
        let (Some(role), Some(trust)) = (role, trust) else {
            return Err(denied());
        };
        let mut seconds = role_session_seconds(&role, false, req.duration)?;
        if let Some(cap) = assertion.session_not_on_or_after {
            seconds = seconds.min((cap - now).max(0));
            if seconds < 900 {
                return Err(CoreError::ExpiredIdentityToken(
                    "The session allowed by the assertion is shorter than 900 seconds".to_string(),
                ));
            }
        }

        let subject_format = assertion
            .subject_format
            .clone()
            .unwrap_or_else(|| "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified".to_string());
        let subject_type = subject_format
            .strip_prefix(NAME_ID_PREFIX)
            .unwrap_or(&subject_format)
            .to_string();
        let qualifier = name_qualifier(&assertion.issuer, role_account, &provider.name);
        let mut keys: Vec<(String, ContextValue)> = vec![
            ("saml:aud".into(), assertion.recipient.as_str().into()),
            ("saml:iss".into(), assertion.issuer.as_str().into()),
            ("saml:sub".into(), assertion.subject.as_str().into()),
            ("saml:sub_type".into(), subject_type.as_str().into()),
            ("saml:namequalifier".into(), qualifier.as_str().into()),
            (
                "saml:doc".into(),
                format!("{}/{}", provider.account, provider.name)
                    .as_str()
                    .into(),
            ),
            (
                "aws:FederatedProvider".into(),
                provider.arn().as_str().into(),
            ),
            ("sts:RoleSessionName".into(), session_name.as_str().into()),
        ];
        for (name, key) in SAML_ATTRIBUTE_KEYS {
            if let Some(values) = assertion.attributes.get(*name) {
                keys.push((format!("saml:{key}"), ContextValue::from(values.clone())));
            }
        }
        if let Some(si) = &source_identity {
            keys.push(("sts:SourceIdentity".into(), si.as_str().into()));
        }
        for (k, v) in &tags {
            keys.push((format!("aws:RequestTag/{k}"), v.as_str().into()));
        }
        if !tags.is_empty() {
            let names: Vec<String> = tags.iter().map(|(k, _)| k.clone()).collect();
            keys.push(("aws:TagKeys".into(), ContextValue::from(names)));
        }
        if !transitive.is_empty() {
            keys.push((
                "sts:TransitiveTagKeys".into(),
                ContextValue::from(transitive.clone()),
            ));
        }
        for t in &role.tags {
            keys.push((
                format!("aws:ResourceTag/{}", t.key),
                t.value.as_str().into(),
            ));
            keys.push((
                format!("iam:ResourceTag/{}", t.key),
                t.value.as_str().into(),
            ));
        }

        // The trust policy decides, for the provider as principal, each
        // action the call needs.
        let principal = Principal::parse(&provider.arn()).map_err(|_| denied())?;
        let trust = NamedPolicy::new(format!("{} trust policy", req.role_arn), trust);
        let mut actions = vec!["sts:AssumeRoleWithSAML"];
        if !tags.is_empty() {
            actions.push("sts:TagSession");
        }
        if source_identity.is_some() {
            actions.push("sts:SetSourceIdentity");
        }
        // Each decided by the one engine entry, as the role's account sees a request from outside
        // IAM: the trust policy must allow, and the RCPs of the role's account bind.
        for action in actions {
            let allowed = self.warden.decide_ask(
                &Ask {
                    caller: None,
                    outside_principal: Some(&principal),
                    action,
                    resource: &req.role_arn,
                    resource_account: None,
                    facts: &req.facts,
                    check_keys: &keys,
                    resource_policy: Some(&trust),
                    require_resource_allow: true,
                },
                |d, _, _| d.kind == DecisionKind::Allow,
            );
            if !allowed.unwrap_or(false) {
                return Err(denied());
            }
        }
        // Used once, and only once it has been accepted: spent on disk before the session is answered.
        self.warden.write(|s| {
            let changes = spend(
                s,
                &provider.account,
                &assertion.issuer,
                &assertion.id,
                assertion.not_on_or_after,
                now,
            )
            .ok_or_else(|| invalid("The SAML assertion has already been used"))?;
            Ok((changes, ()))
        })?;

        let mut session = self.role_session(
            crate::metrics::SessionIssuer::AssumeRoleWithSaml,
            &role,
            &session_name,
            seconds,
            SessionClaims {
                source_identity,
                session_policy,
                session_tags: tags.clone(),
                transitive_tag_keys: transitive,
                federated_provider: Some(provider.arn()),
                // "Only saml:namequalifier, saml:sub and saml:sub_type remain available in later
                // requests made with the session" (federation reference §4.4, from the IAM User
                // Guide's SAML condition keys).
                federated_keys: vec![
                    ("saml:namequalifier".into(), vec![qualifier.clone()]),
                    ("saml:sub".into(), vec![assertion.subject.clone()]),
                    ("saml:sub_type".into(), vec![subject_type.clone()]),
                ],
                ..SessionClaims::default()
            },
            &req.region,
        )?;
        session.packed_policy_size =
            (req.policy.is_some() || !req.policy_arns.is_empty() || !tags.is_empty())
                .then_some(packed);
        Ok(SamlSession {
            session,
            subject: assertion.subject,
            subject_type,
            issuer: assertion.issuer,
            audience: assertion.recipient,
            name_qualifier: qualifier,
        })
    }
}

/// Attribute names whose values reach the trust policy as `saml:` keys
/// (IAM's "Available keys for SAML-based federation"): the OID and URI
/// forms of the common directory attributes.
const SAML_ATTRIBUTE_KEYS: &[(&str, &str)] = &[
    ("urn:oid:2.5.4.3", "cn"),
    ("urn:oid:0.9.2342.19200300.100.1.3", "mail"),
    ("urn:oid:2.5.4.42", "givenName"),
    ("urn:oid:2.5.4.4", "surname"),
    ("urn:oid:0.9.2342.19200300.100.1.1", "uid"),
    ("urn:oid:2.5.4.45", "x500UniqueIdentifier"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "edupersonaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "edupersonprincipalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "edupersonentitlement"),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "name",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_qualifier_follows_the_documented_formula() {
        // The worked example of the federation reference (§4.2).
        assert_eq!(
            name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP"),
            "1uAJanUnBc2XeUkHURMht+xam2c="
        );
    }

    /// Applies `spend`'s changes as the write path would; false when refused.
    fn spend_in(s: &mut State, issuer: &str, id: &str, until: Epoch, now: Epoch) -> bool {
        match spend(s, "123456789012", issuer, id, until, now) {
            Some(changes) => {
                for c in changes {
                    match c {
                        Change::SpentAssertion(a) => {
                            s.spent_assertions.insert(a.key.clone(), a);
                        }
                        Change::Delete(_, (_, key)) => {
                            s.spent_assertions.remove(&key);
                        }
                        _ => unreachable!(),
                    }
                }
                true
            }
            None => false,
        }
    }

    #[test]
    fn an_assertion_id_is_accepted_once_until_it_expires() {
        let s = &mut State::default();
        assert!(spend_in(s, "iss-t", "id-1", 1_000, 900));
        assert!(!spend_in(s, "iss-t", "id-1", 1_000, 950));
        // Another issuer's id is another assertion.
        assert!(spend_in(s, "iss-u", "id-1", 1_000, 950));
        assert_ne!(spent_key("iss-t", "id-1"), spent_key("iss-t", "id-2"));
        assert_ne!(spent_key("a", "bc"), spent_key("ab", "c"));
        // Once expired (past the leeway), it could not be accepted anyway; the slot frees.
        assert!(spend_in(s, "iss-t", "id-1", 5_000, 1_000 + saml::LEEWAY));
    }

    #[test]
    fn expired_assertions_are_swept_now_and_then() {
        let s = &mut State::default();
        for i in 0..SWEEP_EVERY - 1 {
            assert!(spend_in(s, "iss", &format!("old-{i}"), 1_000, 900));
        }
        assert_eq!(s.spent_assertions.len(), SWEEP_EVERY - 1);
        // Later, every one of them has expired: the next write removes them and keeps its own.
        let later = 1_000 + saml::LEEWAY;
        assert!(spend_in(s, "iss", "new", later + 300, later));
        assert_eq!(s.spent_assertions.len(), 1);
        assert!(!spend_in(s, "iss", "new", later + 300, later + 1));
    }

    #[test]
    fn session_names_follow_the_pattern() {
        assert!(session_name_ok("alice@example.com"));
        assert!(!session_name_ok("a"));
        assert!(!session_name_ok("has space"));
        assert!(!session_name_ok(&"x".repeat(65)));
    }
}
