//! Compact JWS (JWT) parsing and signature checks for web identity tokens.
//!
//! Only asymmetric algorithms are accepted: RS256/384/512, PS256/384/512,
//! ES256 and ES384, each only with a key of its own family (an RSA key for
//! RS*/PS*, a P-256 or P-384 key for ES256/ES384). `none` and every HMAC
//! algorithm are refused whatever the key, so a public key can never be
//! used as an HMAC secret. Keys come only from the issuer's JWKS: the
//! token's `jku`, `x5u`, `jwk` and `x5c` headers are ignored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value};

/// Why a token was refused (mapped to STS errors by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url segments of JSON objects.
    Malformed,
    /// `alg` is missing, `none`, HMAC or otherwise not accepted.
    Algorithm(String),
    /// No key of the JWKS fits the token (kid and family).
    NoKey,
    /// The signature does not verify.
    BadSignature,
}

/// The accepted algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256/384/512.
    Rs256,
    /// See [`Alg::Rs256`].
    Rs384,
    /// See [`Alg::Rs256`].
    Rs512,
    /// RSASSA-PSS with SHA-256/384/512.
    Ps256,
    /// See [`Alg::Ps256`].
    Ps384,
    /// See [`Alg::Ps256`].
    Ps512,
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// ECDSA P-384 with SHA-384.
    Es384,
}

impl Alg {
    fn parse(name: &str) -> Result<Alg, JwtError> {
        Ok(match name {
            "RS256" => Alg::Rs256,
            "RS384" => Alg::Rs384,
            "RS512" => Alg::Rs512,
            "PS256" => Alg::Ps256,
            "PS384" => Alg::Ps384,
            "PS512" => Alg::Ps512,
            "ES256" => Alg::Es256,
            "ES384" => Alg::Es384,
            other => return Err(JwtError::Algorithm(other.to_string())),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
            Alg::Ps256 => "PS256",
            Alg::Ps384 => "PS384",
            Alg::Ps512 => "PS512",
            Alg::Es256 => "ES256",
            Alg::Es384 => "ES384",
        }
    }
}

/// A public key of the issuer's JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    /// `kid`, if the issuer gave one.
    pub kid: Option<String>,
    /// `alg`, if the issuer pinned one.
    pub alg: Option<String>,
    /// The key material.
    pub key: KeyMaterial,
}

/// What a JWK holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// RSA modulus and exponent, big-endian.
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// An EC point, uncompressed SEC1 (`04 || x || y`), on P-256 or P-384.
    Ec {
        /// `true` for P-384, `false` for P-256.
        p384: bool,
        /// The uncompressed point.
        point: Vec<u8>,
    },
}

/// The usable signing keys of a JWK Set document; keys of other types,
/// curves or uses are skipped, and at most 100 RSA and 100 EC keys are kept
/// (AWS's documented JWKS limits).
pub fn parse_jwks(doc: &Value) -> Vec<Jwk> {
    let mut out = Vec::new();
    let (mut rsa, mut ec) = (0, 0);
    for k in doc
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = |name: &str| k.get(name).and_then(Value::as_str);
        if s("use").is_some_and(|u| u != "sig") {
            continue;
        }
        let b64 = |name: &str| s(name).and_then(|v| URL_SAFE_NO_PAD.decode(v).ok());
        let key = match s("kty") {
            Some("RSA") if rsa < 100 => match (b64("n"), b64("e")) {
                (Some(n), Some(e)) if !n.is_empty() && !e.is_empty() => {
                    rsa += 1;
                    KeyMaterial::Rsa { n, e }
                }
                _ => continue,
            },
            Some("EC") if ec < 100 => {
                let (p384, len) = match s("crv") {
                    Some("P-256") => (false, 32),
                    Some("P-384") => (true, 48),
                    _ => continue,
                };
                match (b64("x"), b64("y")) {
                    (Some(x), Some(y)) if x.len() == len && y.len() == len => {
                        ec += 1;
                        let mut point = vec![4u8];
                        point.extend(x);
                        point.extend(y);
                        KeyMaterial::Ec { p384, point }
                    }
                    _ => continue,
                }
            }
            _ => continue,
        };
        out.push(Jwk {
            kid: s("kid").map(str::to_string),
            alg: s("alg").map(str::to_string),
            key,
        });
    }
    out
}

/// A token split and decoded, its signature not yet checked.
#[derive(Debug, Clone)]
pub struct Token {
    /// The header's `alg`, already one of the accepted ones.
    pub alg: Alg,
    /// The header's `kid`.
    pub kid: Option<String>,
    /// The payload's claims.
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

/// A JSON value read with every object's member names unique, at any depth. serde_json keeps the
/// last of two equal names, while other JWT libraries keep the first: a token whose header or claims
/// repeat a name (`{"sub":"a","sub":"b"}`) reads differently to warden and to another verifier of the
/// same token, so it is refused (RFC 7515 §5.2 lets a JWS parser reject duplicate names).
struct UniqueNames(Value);

impl<'de> serde::Deserialize<'de> for UniqueNames {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueNamesVisitor).map(UniqueNames)
    }
}

struct UniqueNamesVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueNamesVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value whose objects repeat no member name")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueNames(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let UniqueNames(value) = map.next_value()?;
            if out.insert(key, value).is_some() {
                return Err(serde::de::Error::custom("duplicate member name"));
            }
        }
        Ok(Value::Object(out))
    }
}

fn json_object(segment: &str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| JwtError::Malformed)?;
    match serde_json::from_slice::<UniqueNames>(&bytes) {
        Ok(UniqueNames(Value::Object(m))) => Ok(m),
        _ => Err(JwtError::Malformed),
    }
}

/// Splits and decodes a compact JWS; refuses anything but three segments
/// (a JWE has five) and any algorithm not accepted.
pub fn parse(token: &str) -> Result<Token, JwtError> {
    let mut parts = token.trim().split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header = json_object(h)?;
    let claims = json_object(p)?;
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some(a) => Alg::parse(a)?,
        None => return Err(JwtError::Algorithm(String::new())),
    };
    // A critical extension we do not understand must not be ignored (RFC 7515 §4.1.11).
    if header.contains_key("crit") {
        return Err(JwtError::Malformed);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| JwtError::Malformed)?;
    if signature.is_empty() {
        return Err(JwtError::BadSignature);
    }
    Ok(Token {
        alg,
        kid: header
            .get("kid")
            .and_then(Value::as_str)
            .map(str::to_string),
        claims,
        signing_input: format!("{h}.{p}"),
        signature,
    })
}

impl Token {
    /// Whether `key` may check this token: its family fits the algorithm,
    /// its pinned `alg` (if any) is the token's, and its `kid` is the
    /// token's (a token without `kid` may use any key).
    fn fits(&self, key: &Jwk) -> bool {
        let family = matches!(
            (&key.key, self.alg),
            (
                KeyMaterial::Rsa { .. },
                Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512
            ) | (KeyMaterial::Ec { p384: false, .. }, Alg::Es256)
                | (KeyMaterial::Ec { p384: true, .. }, Alg::Es384)
        );
        let alg_ok = key.alg.as_deref().is_none_or(|a| a == self.alg.name());
        let kid_ok = match (&self.kid, &key.kid) {
            (Some(want), Some(have)) => want == have,
            (Some(_), None) => false,
            (None, _) => true,
        };
        family && alg_ok && kid_ok
    }

    /// Whether some key of `keys` could check this token (kid and family).
    pub fn has_candidate(&self, keys: &[Jwk]) -> bool {
        keys.iter().any(|k| self.fits(k))
    }

    /// Checks the signature with the fitting keys of `keys`.
    pub fn verify(&self, keys: &[Jwk]) -> Result<(), JwtError> {
        let mut tried = false;
        for key in keys.iter().filter(|k| self.fits(k)) {
            tried = true;
            if verify_with(
                self.alg,
                &key.key,
                self.signing_input.as_bytes(),
                &self.signature,
            ) {
                return Ok(());
            }
        }
        Err(if tried {
            JwtError::BadSignature
        } else {
            JwtError::NoKey
        })
    }
}

fn verify_with(alg: Alg, key: &KeyMaterial, msg: &[u8], sig: &[u8]) -> bool {
    match key {
        KeyMaterial::Rsa { n, e } => {
            let params: &signature::RsaParameters = match alg {
                Alg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                Alg::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                Alg::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                Alg::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
                Alg::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
                Alg::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
                Alg::Es256 | Alg::Es384 => return false,
            };
            RsaPublicKeyComponents { n, e }
                .verify(params, msg, sig)
                .is_ok()
        }
        KeyMaterial::Ec { p384, point } => {
            let params: &'static dyn signature::VerificationAlgorithm = match (alg, p384) {
                (Alg::Es256, false) => &signature::ECDSA_P256_SHA256_FIXED,
                (Alg::Es384, true) => &signature::ECDSA_P384_SHA384_FIXED,
                _ => return false,
            };
            UnparsedPublicKey::new(params, point)
                .verify(msg, sig)
                .is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    use serde_json::json;

    #[test]
    fn repeated_member_names_are_refused_at_any_depth() {
        let seg = |t: &str| URL_SAFE_NO_PAD.encode(t);
        assert!(json_object(&seg(r#"{"sub":"a","iss":"b","n":{"x":[1,{"y":2}]}}"#)).is_ok());
        for bad in [
            r#"{"sub":"a","sub":"b"}"#,
            r#"{"alg":"RS256","kid":"k","alg":"none"}"#,
            r#"{"t":{"x":1,"x":2}}"#,
            r#"{"t":[{"x":1,"x":2}]}"#,
        ] {
            assert!(json_object(&seg(bad)).is_err(), "{bad}");
        }
    }

    fn b64(v: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(v)
    }

    struct Signer {
        pair: EcdsaKeyPair,
        jwk: Value,
    }

    fn signer(kid: &str) -> Signer {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let jwk = json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
            "x": b64(&point[1..33]), "y": b64(&point[33..])});
        Signer { pair, jwk }
    }

    fn sign(s: &Signer, header: Value, claims: Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = s.pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    }

    #[test]
    fn an_es256_token_verifies_with_its_key_and_not_with_another() {
        let a = signer("a");
        let b = signer("b");
        let keys = parse_jwks(&json!({"keys": [a.jwk.clone(), b.jwk.clone()]}));
        assert_eq!(keys.len(), 2);
        let t = parse(&sign(
            &a,
            json!({"alg": "ES256", "kid": "a"}),
            json!({"sub": "x"}),
        ))
        .unwrap();
        assert_eq!(t.claims["sub"], "x");
        assert_eq!(t.verify(&keys), Ok(()));
        // Claimed to be b's: b's key does not verify a's signature.
        let forged = parse(&sign(&a, json!({"alg": "ES256", "kid": "b"}), json!({}))).unwrap();
        assert_eq!(forged.verify(&keys), Err(JwtError::BadSignature));
        // An unknown kid has no key.
        let unknown = parse(&sign(&a, json!({"alg": "ES256", "kid": "zz"}), json!({}))).unwrap();
        assert!(!unknown.has_candidate(&keys));
        assert_eq!(unknown.verify(&keys), Err(JwtError::NoKey));
        // No kid: every key of the family is tried.
        let bare = parse(&sign(&a, json!({"alg": "ES256"}), json!({}))).unwrap();
        assert_eq!(bare.verify(&keys), Ok(()));
    }

    #[test]
    fn none_and_hmac_are_refused_whatever_the_key() {
        let a = signer("a");
        let claims = b64(br#"{"sub":"x"}"#);
        for alg in ["none", "HS256", "HS384", "HS512", "EdDSA", "ES512", ""] {
            let header = b64(json!({"alg": alg, "kid": "a"}).to_string().as_bytes());
            let token = format!("{header}.{claims}.{}", b64(b"sig"));
            assert!(
                matches!(parse(&token), Err(JwtError::Algorithm(_))),
                "{alg}"
            );
        }
        let header = b64(br#"{"alg":"none"}"#);
        assert!(parse(&format!("{header}.{claims}.")).is_err());
        let _ = a;
    }

    #[test]
    fn an_algorithm_of_another_family_finds_no_key() {
        let a = signer("a");
        let keys = parse_jwks(&json!({"keys": [a.jwk]}));
        // An RS256 header over an EC key: no RSA key exists, nothing is tried.
        let t = parse(&sign(&a, json!({"alg": "RS256", "kid": "a"}), json!({}))).unwrap();
        assert_eq!(t.verify(&keys), Err(JwtError::NoKey));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for t in [
            "",
            "a.b",
            "a.b.c.d",
            "a.b.c.d.e",
            "!!.!!.!!",
            "e30.e30.",
            "WzFd.e30.c2ln",
        ] {
            assert!(parse(t).is_err(), "{t}");
        }
    }

    #[test]
    fn jwks_skip_encryption_keys_and_unknown_curves() {
        let doc = json!({"keys": [
            {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"},
            {"kty": "oct", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"},
        ]});
        let keys = parse_jwks(&doc);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("r"));
    }
}
