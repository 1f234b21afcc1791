//! Web identity federation: AssumeRoleWithWebIdentity, a role session for
//! the bearer of a JWT that an IAM OIDC provider of the role's account
//! issued.
//!
//! The call is unsigned (AWS's `authtype: none`): the token is the only
//! credential. The steps, in the order AWS reports their errors
//! (shared/reference/federation.md §2.4): the token's form and algorithm
//! ([`jwt`]), its issuer's provider in the role's account, its audience,
//! the issuer's keys ([`keys`], fetched with no lock held) and the
//! signature, its times, then the role's trust policy evaluated for the
//! provider as `Federated` principal with the provider's condition keys,
//! and the session itself through [`Sts::role_session`], the one place role
//! sessions are made.

pub mod jwt;
pub mod keys;

use serde_json::{Map, Value};
use warden_policy::{ContextValue, DecisionKind, NamedPolicy, Principal};

use crate::authz::{Ask, RequestFacts};
use crate::crypto::SessionClaims;
use crate::error::{CoreError, Result};
use crate::iam::oidc_providers::{find_by_issuer, OidcProvider};
use crate::model::now_epoch;
use crate::sts::{
    check_reserved_tag_keys, check_unique_tag_keys, checked_packed_size, parse_role_arn,
    role_and_trust, role_session_seconds, AssumedRole, Sts,
};
use jwt::JwtError;
use keys::KeyCache;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (AWS does
/// not document its own; federation reference §2.4 step 6).
pub const LEEWAY: i64 = 60;

/// The claim carrying session tags (IAM User Guide, "Passing session tags
/// using AssumeRoleWithWebIdentity").
const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";

/// The claim listing the roles the token may assume.
const ROLES_CLAIM: &str = "https://aws.amazon.com/roles";

/// The claim carrying a source identity (same guide, "sts:SourceIdentity").
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

/// What AssumeRoleWithWebIdentity asks for.
#[derive(Debug, Clone, Default)]
pub struct WebIdentityInput {
    /// `RoleArn`.
    pub role_arn: String,
    /// `RoleSessionName`.
    pub session_name: String,
    /// `WebIdentityToken`.
    pub token: String,
    /// `DurationSeconds`.
    pub duration: Option<i32>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `PolicyArns`.
    pub policy_arns: Vec<String>,
    /// The request's region, for role last-used data.
    pub region: String,
    /// The request's global keys (source IP, time, ...).
    pub facts: RequestFacts,
}

/// AssumeRoleWithWebIdentity's result.
#[derive(Debug, Clone)]
pub struct WebIdentitySession {
    /// The role session, as AssumeRole answers it.
    pub session: AssumedRole,
    /// The token's `sub`.
    pub subject: String,
    /// The client id the token was issued to.
    pub audience: String,
    /// The provider's ARN.
    pub provider: String,
}

fn invalid(text: &str) -> CoreError {
    CoreError::InvalidIdentityToken(text.to_string())
}

/// Our text for a token that is not a signed JWT we accept; AWS's is not
/// recorded anywhere we found.
fn jwt_error(e: JwtError) -> CoreError {
    match e {
        JwtError::Malformed => invalid("The web identity token is not a well-formed JWT."),
        JwtError::Algorithm(alg) => CoreError::InvalidIdentityToken(format!(
            "The web identity token's signing algorithm '{alg}' is not accepted; use RS256, RS384, RS512, PS256, PS384, PS512, ES256 or ES384."
        )),
        // AWS's text when no key of the issuer verifies the token (federation reference §2.4).
        JwtError::NoKey => invalid(
            "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        ),
        JwtError::BadSignature => invalid("The web identity token's signature is not valid."),
    }
}

/// A numeric date claim: a JSON integer (a float with no fraction also
/// passes), `None` when absent, an error for anything else.
fn date_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| {
                CoreError::InvalidIdentityToken(format!(
                    "The web identity token's {name} claim is not a number."
                ))
            }),
    }
}

/// `exp` (required), `nbf` and `iat` against `now`, each with [`LEEWAY`].
pub fn check_times(claims: &Map<String, Value>, now: i64) -> Result<()> {
    let exp = date_claim(claims, "exp")?
        .ok_or_else(|| invalid("The web identity token has no exp claim."))?;
    if now >= exp + LEEWAY {
        // AWS's text (ExpiredTokenException), federation reference §2.4 step 6.
        return Err(CoreError::ExpiredIdentityToken(format!(
            "Token expired: current date/time {now} must be before the expiration date/time {exp}"
        )));
    }
    if date_claim(claims, "nbf")?.is_some_and(|nbf| nbf > now + LEEWAY) {
        return Err(invalid("The web identity token is not valid yet (nbf)."));
    }
    if date_claim(claims, "iat")?.is_some_and(|iat| iat > now + LEEWAY) {
        return Err(invalid(
            "The web identity token was issued in the future (iat).",
        ));
    }
    Ok(())
}

/// The audience the token was issued to, if the provider lists it: `azp`
/// when the provider lists it, else the first listed value of `aud` (a
/// string or an array).
pub fn matched_audience(claims: &Map<String, Value>, provider: &OidcProvider) -> Result<String> {
    let listed = |v: &str| provider.client_ids.iter().any(|c| c == v);
    if let Some(azp) = claims.get("azp").and_then(Value::as_str) {
        if listed(azp) {
            return Ok(azp.to_string());
        }
    }
    let auds: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    auds.into_iter()
        .find(|a| listed(a))
        .map(str::to_string)
        // AWS's text (federation reference §2.4 step 3).
        .ok_or_else(|| invalid("Incorrect token audience"))
}

/// Session tags and transitive keys from the tags claim:
/// `{"principal_tags": {"K": ["V"]}, "transitive_tag_keys": ["K"]}`.
/// Session tags in order, and the transitive keys.
type ClaimTags = (Vec<(String, String)>, Vec<String>);

fn claim_tags(claims: &Map<String, Value>) -> Result<ClaimTags> {
    let Some(t) = claims.get(TAGS_CLAIM) else {
        return Ok((vec![], vec![]));
    };
    let bad = || invalid("The web identity token's session tags claim is malformed.");
    let mut tags = Vec::new();
    if let Some(p) = t.get("principal_tags") {
        for (k, v) in p.as_object().ok_or_else(bad)? {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Array(a) if a.len() == 1 => a[0].as_str().ok_or_else(bad)?.to_string(),
                _ => return Err(bad()),
            };
            tags.push((k.clone(), value));
        }
    }
    let mut transitive = Vec::new();
    if let Some(keys) = t.get("transitive_tag_keys") {
        for k in keys.as_array().ok_or_else(bad)? {
            let k = k.as_str().ok_or_else(bad)?;
            if !tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
                return Err(CoreError::InvalidParameterValue(
                    "The specified transitive tag key must be included in the requested tags."
                        .to_string(),
                ));
            }
            transitive.push(k.to_string());
        }
    }
    Ok((tags, transitive))
}

fn string_list(v: Option<&Value>) -> Option<Vec<String>> {
    match v? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    }
}

impl Sts<'_> {
    /// AssumeRoleWithWebIdentity (see the module's steps). `keys` finds
    /// the issuer's signing keys; it is the process's [`keys::shared`]
    /// cache outside tests and benchmarks.
    pub fn assume_role_with_web_identity(
        &self,
        keys: &KeyCache,
        req: WebIdentityInput,
    ) -> Result<WebIdentitySession> {
        let (role_account, role_name) = parse_role_arn(&req.role_arn)?;
        let token = jwt::parse(&req.token).map_err(jwt_error)?;
        let iss = token
            .claims
            .get("iss")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("The web identity token has no iss claim."))?
            .to_string();
        let provider = find_by_issuer(&self.warden.read(), role_account, &iss)
            .cloned()
            // AWS's text (federation reference §1.2, observed).
            .ok_or_else(|| {
                CoreError::InvalidIdentityToken(format!(
                    "No OpenIDConnect provider found in your account for {iss}"
                ))
            })?;
        let audience = matched_audience(&token.claims, &provider)?;
        // The only network step; no lock is held here.
        let jwks = keys.keys_for(&iss, &token)?;
        token.verify(&jwks).map_err(jwt_error)?;
        let now = now_epoch();
        check_times(&token.claims, now)?;
        let subject = token
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .ok_or_else(|| invalid("The web identity token has no valid sub claim."))?
            .to_string();
        // An issuer may name the roles its token may assume (AWS, 2026; the
        // text is AWS's as quoted in the federation reference §2.4 step 8).
        if let Some(roles) = string_list(token.claims.get(ROLES_CLAIM)) {
            if !roles.iter().any(|r| r == &req.role_arn) {
                return Err(invalid(
                    "The target role ARN is not present in the roles claim of the identity token",
                ));
            }
        }
        let (tags, transitive) = claim_tags(&token.claims)?;
        check_unique_tag_keys(&tags)?;
        check_reserved_tag_keys(&tags, &transitive)?;
        let source_identity = token
            .claims
            .get(SOURCE_IDENTITY_CLAIM)
            .and_then(Value::as_str)
            .map(str::to_string);
        let session_policy = self.merged_session_policy(req.policy.as_deref(), &req.policy_arns)?;
        let packed = checked_packed_size(session_policy.as_deref(), &tags)?;
        let (role, trust) =
            role_and_trust(&self.warden.read(), role_account, role_name, &req.role_arn);
        // AWS's text (federation reference §2.4 step 9); a missing role reads the same.
        let denied = || {
            CoreError::AccessDenied(
                "Not authorized to perform sts:AssumeRoleWithWebIdentity".to_string(),
            )
        };
        let (Some(role), Some(trust)) = (role, trust) else {
            return Err(denied());
        };
        let seconds = role_session_seconds(&role, false, req.duration)?;

        // The trust policy decides, for the provider as principal, each
        // action the call needs: the assumption, and tagging or a source
        // identity when the token brings them.
        let principal = Principal::parse(&provider.arn()).map_err(|_| denied())?;
        let trust = NamedPolicy::new(format!("{} trust policy", req.role_arn), trust);
        let mut actions = vec!["sts:AssumeRoleWithWebIdentity"];
        if !tags.is_empty() {
            actions.push("sts:TagSession");
        }
        if source_identity.is_some() {
            actions.push("sts:SetSourceIdentity");
        }
        // Each decided by the one engine entry, as the role's account sees a request from outside IAM:
        // the trust policy must allow, and the RCPs of the role's account bind.
        let p = &provider.url;
        let mut keys: Vec<(String, ContextValue)> = Vec::new();
        let mut key = |k: String, v: ContextValue| keys.push((k, v));
        for t in &role.tags {
            key(
                format!("aws:ResourceTag/{}", t.key),
                t.value.as_str().into(),
            );
            key(
                format!("iam:ResourceTag/{}", t.key),
                t.value.as_str().into(),
            );
        }
        key(
            "sts:RoleSessionName".into(),
            req.session_name.as_str().into(),
        );
        key(
            "aws:FederatedProvider".into(),
            provider.arn().as_str().into(),
        );
        key(format!("{p}:aud"), audience.as_str().into());
        key(format!("{p}:sub"), subject.as_str().into());
        if let Some(azp) = token.claims.get("azp").and_then(Value::as_str) {
            key(format!("{p}:azp"), azp.into());
            if let Some(aud) = string_list(token.claims.get("aud")) {
                key(format!("{p}:oaud"), ContextValue::from(aud));
            }
        }
        let amr = string_list(token.claims.get("amr"));
        if let Some(amr) = &amr {
            key(format!("{p}:amr"), ContextValue::from(amr.clone()));
        }
        // The keys AWS keeps in the session's later requests (federation reference §2.6: `amr`,
        // `aud`, `sub`; the IAM User Guide's "Available keys for AWS web identity federation").
        let mut session_keys = vec![
            (format!("{p}:aud"), vec![audience.clone()]),
            (format!("{p}:sub"), vec![subject.clone()]),
        ];
        if let Some(amr) = amr {
            session_keys.push((format!("{p}:amr"), amr));
        }
        if let Some(si) = &source_identity {
            key("sts:SourceIdentity".into(), si.as_str().into());
        }
        if !tags.is_empty() {
            for (k, v) in &tags {
                key(format!("aws:RequestTag/{k}"), v.as_str().into());
            }
            let tag_keys: Vec<String> = tags.iter().map(|(k, _)| k.clone()).collect();
            key("aws:TagKeys".into(), ContextValue::from(tag_keys));
        }
        if !transitive.is_empty() {
            key(
                "sts:TransitiveTagKeys".into(),
                ContextValue::from(transitive.clone()),
            );
        }
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

        let provider_arn = provider.arn();
        let mut session = self.role_session(
            crate::metrics::SessionIssuer::AssumeRoleWithWebIdentity,
            &role,
            &req.session_name,
            seconds,
            SessionClaims {
                source_identity,
                session_policy,
                session_tags: tags.clone(),
                transitive_tag_keys: transitive,
                federated_provider: Some(provider_arn.clone()),
                federated_keys: session_keys,
                ..SessionClaims::default()
            },
            &req.region,
        )?;
        session.packed_policy_size =
            (req.policy.is_some() || !req.policy_arns.is_empty() || !tags.is_empty())
                .then_some(packed);
        Ok(WebIdentitySession {
            session,
            subject,
            audience,
            provider: provider_arn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn times_are_checked_with_the_leeway() {
        let now = 1_000_000;
        assert!(check_times(&claims(json!({"exp": now + 10})), now).is_ok());
        // Within the leeway after exp: still accepted; past it: AWS's ExpiredTokenException.
        assert!(check_times(&claims(json!({"exp": now - LEEWAY + 1})), now).is_ok());
        let e = check_times(&claims(json!({"exp": now - LEEWAY})), now).unwrap_err();
        assert_eq!(e.aws_code(), warden_wire::ErrorCode::ExpiredTokenException);
        assert_eq!(
            e.to_string(),
            format!(
                "Token expired: current date/time {now} must be before the expiration date/time {}",
                now - LEEWAY
            )
        );
        for bad in [
            json!({}),
            json!({"exp": "soon"}),
            json!({"exp": now + 10, "nbf": now + LEEWAY + 1}),
            json!({"exp": now + 10, "iat": now + LEEWAY + 1}),
        ] {
            let e = check_times(&claims(bad.clone()), now).unwrap_err();
            assert_eq!(
                e.aws_code(),
                warden_wire::ErrorCode::InvalidIdentityToken,
                "{bad}"
            );
        }
        assert!(check_times(
            &claims(json!({"exp": now + 10, "nbf": now + LEEWAY, "iat": now})),
            now
        )
        .is_ok());
    }

    fn provider(ids: &[&str]) -> OidcProvider {
        OidcProvider {
            account: "123456789012".into(),
            url: "idp.example.com".into(),
            client_ids: ids.iter().map(|s| s.to_string()).collect(),
            thumbprints: vec![],
            tags: vec![],
            created: 0,
            context_provider: None,
            identity_center_instance_arn: None,
        }
    }

    #[test]
    fn the_audience_is_azp_or_a_listed_aud() {
        let p = provider(&["app", "other"]);
        assert_eq!(
            matched_audience(&claims(json!({"aud": "app"})), &p).unwrap(),
            "app"
        );
        assert_eq!(
            matched_audience(&claims(json!({"aud": ["x", "other"]})), &p).unwrap(),
            "other"
        );
        assert_eq!(
            matched_audience(&claims(json!({"aud": "x", "azp": "app"})), &p).unwrap(),
            "app"
        );
        for bad in [
            json!({"aud": "x"}),
            json!({"aud": ["x", "y"]}),
            json!({}),
            json!({"aud": 5}),
        ] {
            let e = matched_audience(&claims(bad), &p).unwrap_err();
            assert_eq!(e.to_string(), "Incorrect token audience");
        }
        // A provider without client ids matches no token.
        assert!(matched_audience(&claims(json!({"aud": "app"})), &provider(&[])).is_err());
    }

    #[test]
    fn session_tags_come_from_the_tags_claim() {
        let c = claims(
            json!({TAGS_CLAIM: {"principal_tags": {"team": ["blue"], "env": "dev"}, "transitive_tag_keys": ["team"]}}),
        );
        let (tags, transitive) = claim_tags(&c).unwrap();
        assert!(
            tags.contains(&("team".into(), "blue".into()))
                && tags.contains(&("env".into(), "dev".into()))
        );
        assert_eq!(transitive, vec!["team".to_string()]);
        let bad = claims(json!({TAGS_CLAIM: {"principal_tags": {"team": ["a", "b"]}}}));
        assert!(claim_tags(&bad).is_err());
        let orphan =
            claims(json!({TAGS_CLAIM: {"principal_tags": {}, "transitive_tag_keys": ["x"]}}));
        assert!(claim_tags(&orphan).is_err());
    }
}
