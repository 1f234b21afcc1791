//! AssumeRoleWithWebIdentity in process (no HTTP): one call with the
//! issuer's keys cached (JWT parse, signature check, claims, trust policy,
//! token sealing), RS256 and ES256; and what a key refetch costs warden
//! beyond the network (discovery document and JWKS parsed, served from
//! memory here).
//!
//! `cargo bench -p warden-core --bench web_identity`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly on a broken fixture"
)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use serde_json::{json, Value};
use warden_core::federation::keys::{Fetch, KeyCache};
use warden_core::federation::WebIdentityInput;
use warden_core::iam::oidc_providers::NewOidcProvider;
use warden_core::model::now_epoch;
use warden_core::roles::NewRole;
use warden_core::Warden;

const ACCOUNT: &str = "123456789012";
const ISS: &str = "https://idp.bench.example";

/// A test-only RSA key (PKCS#1 DER) made with
/// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -outform DER`.
const RSA_PKCS1: &[u8] = include_bytes!("../tests/data/web_identity_rsa2048.der");

fn b64(v: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

/// Serves the discovery document and the JWKS from memory.
struct Memory(Value);

impl Fetch for Memory {
    fn get_json(&self, url: &str) -> Result<Value, String> {
        if url.ends_with("/.well-known/openid-configuration") {
            Ok(json!({"issuer": ISS, "jwks_uri": format!("{ISS}/jwks")}))
        } else {
            Ok(self.0.clone())
        }
    }
}

struct Keys {
    rsa: RsaKeyPair,
    ec: EcdsaKeyPair,
    jwks: Value,
}

fn keys() -> Keys {
    let rng = SystemRandom::new();
    let rsa = RsaKeyPair::from_der(RSA_PKCS1).unwrap();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let ec =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let parts = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(rsa.public());
    let (n, e) = (parts.n, parts.e);
    let point = ec.public_key().as_ref().to_vec();
    // Ten keys, as issuers publish several during rotations.
    let mut list: Vec<Value> = (0..8)
        .map(|i| json!({"kty": "RSA", "kid": format!("old{i}"), "n": b64(&n), "e": b64(&e)}))
        .collect();
    list.push(json!({"kty": "RSA", "kid": "rsa", "use": "sig", "n": b64(&n), "e": b64(&e)}));
    list.push(json!({"kty": "EC", "crv": "P-256", "kid": "ec", "x": b64(&point[1..33]), "y": b64(&point[33..])}));
    Keys {
        rsa,
        ec,
        jwks: json!({"keys": list}),
    }
}

fn token(k: &Keys, alg: &str) -> String {
    let now = now_epoch();
    let header =
        json!({"alg": alg, "kid": if alg == "RS256" { "rsa" } else { "ec" }, "typ": "JWT"});
    let claims = json!({"iss": ISS, "aud": "sts.amazonaws.com", "sub": "repo:org/app:ref:refs/heads/main",
        "iat": now, "exp": now + 3600});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let rng = SystemRandom::new();
    let sig = if alg == "RS256" {
        let mut sig = vec![0; k.rsa.public().modulus_len()];
        k.rsa
            .sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut sig)
            .unwrap();
        sig
    } else {
        k.ec.sign(&rng, input.as_bytes()).unwrap().as_ref().to_vec()
    };
    format!("{input}.{}", b64(&sig))
}

fn setup() -> (Warden, String) {
    let w = Warden::in_memory_for_tests(ACCOUNT).unwrap();
    w.iam(ACCOUNT)
        .create_oidc_provider(NewOidcProvider {
            url: ISS.into(),
            client_ids: vec!["sts.amazonaws.com".into()],
            ..NewOidcProvider::default()
        })
        .unwrap();
    let host = ISS.trim_start_matches("https://");
    w.iam(ACCOUNT)
        .create_role(NewRole {
            name: "ci".into(),
            trust_document: format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{host}:aud":"sts.amazonaws.com"}},"StringLike":{{"{host}:sub":"repo:org/app:*"}}}}}}]}}"#
            ),
            ..NewRole::default()
        })
        .unwrap();
    (w, format!("arn:aws:iam::{ACCOUNT}:role/ci"))
}

fn bench(c: &mut Criterion) {
    let (w, role_arn) = setup();
    let k = keys();
    let cache = KeyCache::new(Box::new(Memory(k.jwks.clone())));
    let caller = warden_core::auth::Caller::root(ACCOUNT, "unused");
    let input = |token: String| WebIdentityInput {
        role_arn: role_arn.clone(),
        session_name: "bench".into(),
        token,
        region: "us-east-1".into(),
        ..WebIdentityInput::default()
    };
    for alg in ["RS256", "ES256"] {
        let t = token(&k, alg);
        w.sts(&caller)
            .assume_role_with_web_identity(&cache, input(t.clone()))
            .unwrap();
        c.bench_function(
            &format!("assume_role_with_web_identity_cached_{alg}"),
            |b| {
                b.iter(|| {
                    w.sts(&caller)
                        .assume_role_with_web_identity(&cache, input(t.clone()))
                        .unwrap()
                })
            },
        );
    }
    assert_eq!(cache.fetch_count(), 1, "the cached runs fetched once");
    let t = token(&k, "RS256");
    c.bench_function("assume_role_with_web_identity_refetch_RS256", |b| {
        b.iter(|| {
            // A cold cache: discovery and JWKS fetched (from memory) and parsed, then the call.
            let cold = KeyCache::new(Box::new(Memory(k.jwks.clone())));
            w.sts(&caller)
                .assume_role_with_web_identity(&cold, input(t.clone()))
                .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
