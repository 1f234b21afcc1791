//! Outbound web identity federation: IAM EnableOutboundWebIdentityFederation,
//! DisableOutboundWebIdentityFederation, GetOutboundWebIdentityFederationInfo
//! and STS GetWebIdentityToken. An account that enables it gets an issuer of
//! its own (`BASE/outbound/ID`, see `docs/federation.md`) and two signing
//! keys, RSA-2048 for RS256 and P-384 for ES384, sealed at rest under the
//! master key; warden publishes the issuer's discovery document and JWKS so
//! an outside service can verify the tokens.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::Digest;

use crate::authz::auth::PrincipalKind;
use crate::crypto::MasterKey;
use crate::error::{CoreError, Result};
use crate::iam::Iam;
use crate::model::{now_epoch, Epoch};
use crate::state::{Change, State};
use crate::sts::Sts;

/// The path under the public base URL where account issuers live.
pub const ISSUER_PATH: &str = "/outbound/";

/// "If not specified, the default duration is 300 seconds" (GetWebIdentityToken reference).
pub const DEFAULT_TOKEN_SECONDS: i64 = 300;

/// An account's outbound federation: whether tokens are issued, its issuer
/// id, and its signing keys (sealed in the record, opened in memory).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboundFederation {
    /// The account.
    pub account: String,
    /// Whether GetWebIdentityToken issues tokens. A disabled account keeps its
    /// issuer and keys: "This operation does not affect tokens that were
    /// issued before the feature was disabled" (DisableOutboundWebIdentityFederation).
    pub enabled: bool,
    /// The random id naming the account's issuer (`BASE/outbound/ID`).
    pub issuer_id: String,
    /// The P-384 key's PKCS#8, sealed under the master key.
    pub sealed_ec_key: String,
    /// The RSA key's PKCS#8, sealed under the master key.
    pub sealed_rsa_key: String,
    /// When it was first enabled.
    pub created: Epoch,
    /// The opened keys; rebuilt at load, never stored.
    #[serde(skip)]
    pub keys: Option<Arc<SigningKeys>>,
}

/// An issuer's opened signing keys and their key ids.
#[derive(Debug)]
pub struct SigningKeys {
    ec: EcdsaKeyPair,
    ec_kid: String,
    rsa: RsaKeyPair,
    rsa_kid: String,
}

fn sealing_context(account: &str, which: &str) -> Vec<u8> {
    format!("outbound-federation:{account}:{which}").into_bytes()
}

fn key_error(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(format!("outbound federation key: {e}"))
}

/// A key id: base64url of the first 16 bytes of SHA-256 over the public key.
fn kid_of(public: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(&sha2::Sha256::digest(public)[..16])
}

impl SigningKeys {
    fn from_pkcs8(ec_pkcs8: &[u8], rsa_pkcs8: &[u8]) -> Result<Self> {
        let rng = SystemRandom::new();
        let ec =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, ec_pkcs8, &rng)
                .map_err(key_error)?;
        let rsa = RsaKeyPair::from_pkcs8(rsa_pkcs8).map_err(key_error)?;
        Ok(Self {
            ec_kid: kid_of(ec.public_key().as_ref()),
            rsa_kid: kid_of(rsa.public_key().as_ref()),
            ec,
            rsa,
        })
    }

    /// The JWKS document: both public keys, for signature use.
    pub fn jwks(&self) -> Value {
        let point = self.ec.public_key().as_ref();
        // An uncompressed P-384 point: 0x04, then x and y of 48 bytes each.
        let (x, y) = point
            .get(1..)
            .unwrap_or_default()
            .split_at(48.min(point.len().saturating_sub(1)));
        let public = signature::RsaPublicKeyComponents::<Vec<u8>>::from(self.rsa.public());
        json!({"keys": [
            {
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.rsa_kid,
                "n": URL_SAFE_NO_PAD.encode(&public.n),
                "e": URL_SAFE_NO_PAD.encode(&public.e),
            },
            {
                "kty": "EC", "use": "sig", "alg": "ES384", "crv": "P-384", "kid": self.ec_kid,
                "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
            },
        ]})
    }

    /// A compact JWS of `claims` signed with the algorithm's key.
    fn sign(&self, alg: SigningAlgorithm, claims: &Value) -> Result<String> {
        let kid = match alg {
            SigningAlgorithm::Rs256 => &self.rsa_kid,
            SigningAlgorithm::Es384 => &self.ec_kid,
        };
        let header = json!({"alg": alg.as_str(), "typ": "JWT", "kid": kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = SystemRandom::new();
        let signature = match alg {
            SigningAlgorithm::Rs256 => {
                let mut out = vec![0u8; self.rsa.public().modulus_len()];
                self.rsa
                    .sign(
                        &signature::RSA_PKCS1_SHA256,
                        &rng,
                        input.as_bytes(),
                        &mut out,
                    )
                    .map_err(key_error)?;
                out
            }
            SigningAlgorithm::Es384 => self
                .ec
                .sign(&rng, input.as_bytes())
                .map_err(key_error)?
                .as_ref()
                .to_vec(),
        };
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// Adapts ring's system RNG to the `rand_core` traits the RSA key
/// generator takes.
struct SystemRng(SystemRandom);

impl rsa::rand_core::RngCore for SystemRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // The system RNG failing is unrecoverable; a key from a partial fill would be weak.
        if self.0.fill(dest).is_err() {
            std::process::abort();
        }
    }
    fn try_fill_bytes(
        &mut self,
        dest: &mut [u8],
    ) -> std::result::Result<(), rsa::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rsa::rand_core::CryptoRng for SystemRng {}

/// New key pairs as PKCS#8 documents: (P-384, RSA-2048).
fn generate_keys() -> Result<(Vec<u8>, Vec<u8>)> {
    use rsa::pkcs8::EncodePrivateKey;
    let rng = SystemRandom::new();
    let ec = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
        .map_err(key_error)?
        .as_ref()
        .to_vec();
    let rsa = rsa::RsaPrivateKey::new(&mut SystemRng(rng), 2048)
        .map_err(key_error)?
        .to_pkcs8_der()
        .map_err(key_error)?
        .as_bytes()
        .to_vec();
    Ok((ec, rsa))
}

impl OutboundFederation {
    /// Opens the sealed keys (at load and after a write).
    pub fn open_keys(&mut self, master: &MasterKey) -> Result<()> {
        let ec = master
            .open(&self.sealed_ec_key, &sealing_context(&self.account, "ec"))
            .map_err(key_error)?;
        let rsa = master
            .open(&self.sealed_rsa_key, &sealing_context(&self.account, "rsa"))
            .map_err(key_error)?;
        self.keys = Some(Arc::new(SigningKeys::from_pkcs8(
            ec.expose(),
            rsa.expose(),
        )?));
        Ok(())
    }

    /// The issuer URL under `base` (the public base URL, no trailing slash).
    pub fn issuer(&self, base: &str) -> String {
        format!("{base}{ISSUER_PATH}{}", self.issuer_id)
    }
}

/// The account whose issuer has `issuer_id`, if any.
pub fn by_issuer_id<'a>(s: &'a State, issuer_id: &str) -> Option<&'a OutboundFederation> {
    s.outbound_federations
        .values()
        .find(|f| f.issuer_id == issuer_id)
}

/// The discovery document of an issuer.
pub fn discovery(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES384"],
    })
}

/// The two algorithms GetWebIdentityToken signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// RSA PKCS#1 v1.5 with SHA-256.
    Rs256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
}

impl SigningAlgorithm {
    /// "Valid values are RS256 ... and ES384" (GetWebIdentityToken reference).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "RS256" => Ok(Self::Rs256),
            "ES384" => Ok(Self::Es384),
            // Our wording: no AWS answer to this 2025 operation is recorded.
            other => Err(CoreError::ValidationError(format!(
                "SigningAlgorithm {other} is not supported: use RS256 or ES384."
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es384 => "ES384",
        }
    }
}

/// What GetWebIdentityToken asks for.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `Audience`: one to ten.
    pub audience: Vec<String>,
    /// `DurationSeconds` (60 to 3600; the decoder checks the range).
    pub duration: Option<i64>,
    /// `SigningAlgorithm`.
    pub algorithm: SigningAlgorithm,
    /// `Tags`: custom claims.
    pub tags: Vec<(String, String)>,
    /// `SubjectMode`, when given.
    pub subject_mode: Option<String>,
    /// `Scope`, when given.
    pub scope: Option<String>,
    /// The region the request reached (`source_region`).
    pub region: String,
    /// The public base URL the issuer lives under.
    pub public_base: String,
}

/// A signed token and when it expires.
#[derive(Debug, Clone)]
pub struct WebIdentityToken {
    /// The compact JWS.
    pub token: String,
    /// Its `exp`.
    pub expires: Epoch,
}

/// "the requested token payload size exceeds the maximum allowed size": AWS
/// states no figure; warden allows 16 KiB of claims.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024;

impl Iam<'_> {
    /// EnableOutboundWebIdentityFederation: the issuer URL under `public_base`.
    /// The first enabling makes the issuer and its keys; enabling again after a
    /// disable keeps them.
    pub fn enable_outbound_federation(&self, public_base: &str) -> Result<String> {
        let account = self.account;
        let existing = self
            .warden
            .read()
            .outbound_federations
            .get(account)
            .cloned();
        let mut f = match existing {
            // Our wording of the model's FeatureEnabledException.
            Some(f) if f.enabled => {
                return Err(CoreError::FeatureEnabled(
                    "Outbound web identity federation is already enabled for this account."
                        .to_string(),
                ))
            }
            Some(f) => f,
            None => {
                // Key generation runs before the write lock is taken.
                let (ec, rsa) = generate_keys()?;
                let master = self.warden.master_key();
                let mut id = [0u8; 16];
                SystemRandom::new().fill(&mut id).map_err(key_error)?;
                OutboundFederation {
                    account: account.to_string(),
                    enabled: false,
                    issuer_id: id.iter().map(|b| format!("{b:02x}")).collect(),
                    sealed_ec_key: master.seal(&ec, &sealing_context(account, "ec")),
                    sealed_rsa_key: master.seal(&rsa, &sealing_context(account, "rsa")),
                    created: now_epoch(),
                    keys: None,
                }
            }
        };
        f.enabled = true;
        f.open_keys(self.warden.master_key())?;
        let issuer = f.issuer(public_base);
        self.warden.write(|s| {
            if s.outbound_federations
                .get(account)
                .is_some_and(|f| f.enabled)
            {
                return Err(CoreError::FeatureEnabled(
                    "Outbound web identity federation is already enabled for this account."
                        .to_string(),
                ));
            }
            // Another enable between the read and this write made the issuer first: keep it.
            let f = match s.outbound_federations.get(account) {
                Some(stored) if stored.issuer_id != f.issuer_id => OutboundFederation {
                    enabled: true,
                    ..stored.clone()
                },
                _ => f,
            };
            Ok((vec![Change::OutboundFederation(f)], ()))
        })?;
        let s = self.warden.read();
        Ok(s.outbound_federations
            .get(account)
            .map_or(issuer, |f| f.issuer(public_base)))
    }

    /// DisableOutboundWebIdentityFederation.
    pub fn disable_outbound_federation(&self) -> Result<()> {
        let account = self.account;
        self.warden
            .write(|s| match s.outbound_federations.get(account) {
                Some(f) if f.enabled => Ok((
                    vec![Change::OutboundFederation(OutboundFederation {
                        enabled: false,
                        ..f.clone()
                    })],
                    (),
                )),
                _ => Err(disabled_feature()),
            })
    }

    /// GetOutboundWebIdentityFederationInfo: the issuer URL, and whether it is enabled.
    pub fn outbound_federation_info(&self, public_base: &str) -> Result<(String, bool)> {
        let s = self.warden.read();
        match s.outbound_federations.get(self.account) {
            Some(f) if f.enabled => Ok((f.issuer(public_base), true)),
            _ => Err(disabled_feature()),
        }
    }
}

fn disabled_feature() -> CoreError {
    // Our wording of the model's FeatureDisabledException.
    CoreError::FeatureDisabled(
        "Outbound web identity federation is not enabled for this account.".to_string(),
    )
}

impl Sts<'_> {
    /// GetWebIdentityToken: a JWT for the caller, signed by its account's issuer.
    pub fn web_identity_token(&self, req: TokenRequest) -> Result<WebIdentityToken> {
        let caller = self.caller;
        let now = now_epoch();
        // Only AWSIdentity: OriginIdentity needs a trusted identity propagation context, which
        // warden never puts in a session (docs/federation.md); Scope is only for OriginIdentity.
        match req.subject_mode.as_deref() {
            None | Some("AWSIdentity") => {}
            Some(_) => {
                return Err(CoreError::ValidationError(
                    "SubjectMode OriginIdentity needs a trusted identity propagation context, which this session does not have.".to_string(),
                ))
            }
        }
        if req.scope.is_some() {
            return Err(CoreError::ValidationError(
                "Scope can be specified only when SubjectMode is OriginIdentity.".to_string(),
            ));
        }
        let seconds = req.duration.unwrap_or(DEFAULT_TOKEN_SECONDS);
        let expires = now + seconds;
        if let Some(session) = &caller.session {
            if expires > session.expires {
                // Our wording of the model's SessionDurationEscalationException.
                return Err(CoreError::SessionDurationEscalation(
                    "The requested token duration would extend beyond the expiration of the calling session.".to_string(),
                ));
            }
        }
        let s = self.warden.read();
        let Some((f, keys)) = s
            .outbound_federations
            .get(&caller.account)
            .filter(|f| f.enabled)
            .and_then(|f| f.keys.clone().map(|k| (f, k)))
        else {
            return Err(CoreError::OutboundFederationDisabled(
                "Outbound web identity federation is not enabled for this account.".to_string(),
            ));
        };
        let issuer = f.issuer(&req.public_base);
        let principal = match &caller.kind {
            // "For a role session, this is the ARN of the role" (GetWebIdentityToken reference).
            PrincipalKind::AssumedRole { role_arn, .. } => role_arn.clone(),
            _ => caller.arn.clone(),
        };
        let mut aws = Map::new();
        aws.insert("aws_account".into(), caller.account.clone().into());
        aws.insert("source_region".into(), req.region.clone().into());
        aws.insert("principal_id".into(), principal.clone().into());
        if let Some(org) = crate::orgs::organization_of(&s, &caller.account) {
            aws.insert("org_id".into(), org.id.clone().into());
        }
        let principal_tags = principal_tags(&s, caller);
        drop(s);
        if !principal_tags.is_empty() {
            aws.insert("principal_tags".into(), to_object(&principal_tags));
        }
        if !req.tags.is_empty() {
            aws.insert("request_tags".into(), to_object(&req.tags));
        }
        let mut jti = [0u8; 16];
        SystemRandom::new().fill(&mut jti).map_err(key_error)?;
        let audience = match req.audience.as_slice() {
            [one] => Value::from(one.as_str()),
            many => Value::from(many.to_vec()),
        };
        let claims = json!({
            "iss": issuer,
            "aud": audience,
            "sub": principal,
            "iat": now,
            "exp": expires,
            "jti": URL_SAFE_NO_PAD.encode(jti),
            "https://sts.amazonaws.com/": aws,
        });
        if claims.to_string().len() > MAX_PAYLOAD_BYTES {
            return Err(CoreError::JwtPayloadTooLarge(format!(
                "The token's claims exceed {MAX_PAYLOAD_BYTES} bytes; pass fewer or shorter tags."
            )));
        }
        Ok(WebIdentityToken {
            token: keys.sign(req.algorithm, &claims)?,
            expires,
        })
    }
}

/// The caller's principal tags: the user's or role's, overridden by the session's.
fn principal_tags(s: &State, caller: &crate::authz::auth::Caller) -> Vec<(String, String)> {
    let stored = match &caller.kind {
        PrincipalKind::User { name_lower } => s.user(&caller.account, name_lower).map(|u| &u.tags),
        PrincipalKind::AssumedRole {
            role_name_lower, ..
        } => s.role(&caller.account, role_name_lower).map(|r| &r.tags),
        _ => None,
    };
    let mut tags: Vec<(String, String)> = stored
        .into_iter()
        .flatten()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    for (k, v) in caller.session.iter().flat_map(|s| &s.session_tags) {
        tags.retain(|(have, _)| !have.eq_ignore_ascii_case(k));
        tags.push((k.clone(), v.clone()));
    }
    tags
}

fn to_object(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Warden;

    #[test]
    fn the_stored_record_holds_the_keys_only_sealed() {
        let w = Warden::in_memory_for_tests("123456789012").unwrap();
        let issuer = w
            .iam("123456789012")
            .enable_outbound_federation("https://iam.example.com")
            .unwrap();
        assert!(issuer.starts_with("https://iam.example.com/outbound/"));
        let f = w.read().outbound_federations["123456789012"].clone();
        let stored = serde_json::to_value(&f).unwrap();
        let mut fields: Vec<&str> = stored
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "account",
                "created",
                "enabled",
                "issuer_id",
                "sealed_ec_key",
                "sealed_rsa_key"
            ]
        );
        // The sealed keys open only under their own account's context.
        let master = w.master_key();
        assert!(master
            .open(&f.sealed_ec_key, &sealing_context("123456789012", "ec"))
            .is_ok());
        assert!(master
            .open(&f.sealed_ec_key, &sealing_context("210987654321", "ec"))
            .is_err());
        assert!(master
            .open(&f.sealed_rsa_key, &sealing_context("123456789012", "ec"))
            .is_err());
        // Read back from its record, the keys open and publish the same JWKS.
        let mut reloaded: OutboundFederation = serde_json::from_value(stored).unwrap();
        assert!(reloaded.keys.is_none());
        reloaded.open_keys(master).unwrap();
        assert_eq!(reloaded.keys.unwrap().jwks(), f.keys.unwrap().jwks());
    }

    #[test]
    fn tokens_verify_with_the_published_keys_of_each_algorithm() {
        let (ec, rsa) = generate_keys().unwrap();
        let keys = SigningKeys::from_pkcs8(&ec, &rsa).unwrap();
        let jwks = keys.jwks();
        let claims = json!({"sub": "arn:aws:iam::123456789012:user/alice"});
        for (alg, verify, index) in [
            (SigningAlgorithm::Rs256, "rsa", 0),
            (SigningAlgorithm::Es384, "ec", 1),
        ] {
            let token = keys.sign(alg, &claims).unwrap();
            let parts: Vec<&str> = token.split('.').collect();
            let input = format!("{}.{}", parts[0], parts[1]);
            let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            let jwk = &jwks["keys"][index];
            let header: Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
            assert_eq!(header["kid"], jwk["kid"]);
            assert_eq!(header["alg"], alg.as_str());
            let ok = if verify == "rsa" {
                let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
                let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap();
                signature::RsaPublicKeyComponents { n: &n, e: &e }
                    .verify(
                        &signature::RSA_PKCS1_2048_8192_SHA256,
                        input.as_bytes(),
                        &sig,
                    )
                    .is_ok()
            } else {
                let mut point = vec![4u8];
                point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
                point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
                signature::UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, &point)
                    .verify(input.as_bytes(), &sig)
                    .is_ok()
            };
            assert!(ok, "{alg:?}");
        }
        assert!(SigningAlgorithm::parse("HS256").is_err());
    }
}
