//! Session-token cost: sealing (GetSessionToken) and opening (every request
//! signed with temporary credentials). Target: opening ≤ 2 µs.
//!
//! Run: `CARGO_TARGET_DIR=/work/targets/sigv4 cargo bench -p warden-core --bench session_token`
//!
//! `component/*` splits the uncached open into its parts. `json_baseline/*` encodes the same claims with serde_json, to show why the
//! token uses a binary encoding.

use aes_gcm_siv::aead::{Aead, KeyInit, Nonce, Payload};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde::{Deserialize, Serialize};
use warden_core::crypto::{encode_claims, MasterKey, Secret, SessionClaims, SessionPrincipalKind};

fn claims() -> SessionClaims {
    SessionClaims {
        access_key_id: "ASIAJEXAMPLEXEG2JICE".into(),
        secret_access_key: Secret::from("9drTJvcXLB89EXAMPLELB8923FB892xMFIEXAMPL"),
        account: "123456789012".into(),
        principal_kind: SessionPrincipalKind::User,
        principal_arn: "arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob".into(),
        principal_id: "AIDAJQABLZS4A3QDU576Q".into(),
        user_name_lower: Some("bob".into()),
        user_id: None,
        role_arn: None,
        role_session_name: None,
        issued_at: 1_700_000_000,
        expires_at: 1_700_043_200,
        mfa_authenticated: true,
        mfa_auth_time: Some(1_700_000_000),
        source_identity: None,
        session_policy: None,
        session_tags: vec![("Project".into(), "Unicorn".into())],
        transitive_tag_keys: vec![],
        scope_policies: vec![],
        federated_provider: None,
        federated_keys: vec![],
    }
}

/// The same claims as a serde struct, for the JSON comparison only.
#[derive(Serialize, Deserialize)]
struct JsonClaims {
    access_key_id: String,
    secret_access_key: String,
    account: String,
    principal_kind: u8,
    principal_arn: String,
    principal_id: String,
    user_name_lower: Option<String>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    issued_at: i64,
    expires_at: i64,
    mfa_authenticated: bool,
    mfa_auth_time: Option<i64>,
    source_identity: Option<String>,
    session_policy: Option<String>,
    session_tags: Vec<(String, String)>,
    transitive_tag_keys: Vec<String>,
}

fn bench(c: &mut Criterion) {
    let key = MasterKey::generate().derive_session_key();
    let cl = claims();
    let token = key.seal_session(&cl).unwrap_or_default();
    assert!(key.open_session(&token).is_ok());
    eprintln!("token length: {} chars", token.len());

    // The common path: a client reusing its token (cache hit).
    c.bench_function("session_token/open", |b| {
        b.iter(|| key.open_session(black_box(&token)))
    });
    // First use of a token: base64 + AEAD + decode.
    c.bench_function("session_token/open_uncached", |b| {
        b.iter(|| key.open_uncached(black_box(&token)))
    });
    c.bench_function("session_token/open_invalid", |b| {
        let mut bad = token.clone().into_bytes();
        bad[40] = if bad[40] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap_or_default();
        b.iter(|| key.open_session(black_box(&bad)))
    });
    // Components of `open`, to see where the time goes.
    c.bench_function("component/base64_decode", |b| {
        use base64::Engine;
        b.iter(|| {
            base64::engine::general_purpose::STANDARD
                .decode(black_box(&token))
                .map(|v| v.len())
        })
    });
    bench_aead_open(
        c,
        "component/aes256gcmsiv_open_215B",
        &aes_gcm_siv::Aes256GcmSiv::new(&[7u8; 32].into()),
        &aes_gcm_siv::Nonce::from([9u8; 12]),
    );
    // The previous token cipher (version 1 tokens), for comparison.
    bench_aead_open(
        c,
        "component/xchacha20poly1305_open_215B",
        &chacha20poly1305::XChaCha20Poly1305::new(&[7u8; 32].into()),
        &chacha20poly1305::XNonce::from([9u8; 24]),
    );
    c.bench_function("session_token/seal", |b| {
        b.iter(|| key.seal_session(black_box(&cl)))
    });
    c.bench_function("claims_binary/encode", |b| {
        b.iter(|| encode_claims(black_box(&cl)))
    });

    let j = JsonClaims {
        access_key_id: cl.access_key_id.clone(),
        secret_access_key: cl
            .secret_access_key
            .expose_str()
            .unwrap_or_default()
            .to_owned(),
        account: cl.account.clone(),
        principal_kind: 1,
        principal_arn: cl.principal_arn.clone(),
        principal_id: cl.principal_id.clone(),
        user_name_lower: cl.user_name_lower.clone(),
        role_arn: None,
        role_session_name: None,
        issued_at: cl.issued_at,
        expires_at: cl.expires_at,
        mfa_authenticated: true,
        mfa_auth_time: cl.mfa_auth_time,
        source_identity: None,
        session_policy: None,
        session_tags: cl.session_tags.clone(),
        transitive_tag_keys: vec![],
    };
    let json = serde_json::to_vec(&j).unwrap_or_default();
    eprintln!(
        "plaintext: binary {} bytes, json {} bytes",
        encode_claims(&cl).map(|v| v.len()).unwrap_or(0),
        json.len()
    );
    c.bench_function("json_baseline/decode", |b| {
        b.iter(|| serde_json::from_slice::<JsonClaims>(black_box(&json)).is_ok())
    });
    c.bench_function("json_baseline/encode", |b| {
        b.iter(|| serde_json::to_vec(black_box(&j)).map(|v| v.len()))
    });
}

/// Opening a 215-byte plaintext (a typical token's claims) with `cipher`.
fn bench_aead_open<C: Aead>(c: &mut Criterion, name: &str, cipher: &C, nonce: &Nonce<C>) {
    let aad: &[u8] = b"hdr01";
    let ct = cipher
        .encrypt(
            nonce,
            Payload {
                msg: &[1u8; 215],
                aad,
            },
        )
        .unwrap_or_default();
    c.bench_function(name, |b| {
        b.iter(|| {
            cipher
                .decrypt(
                    nonce,
                    Payload {
                        msg: black_box(&ct),
                        aad,
                    },
                )
                .map(|v| v.len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
