//! SAML response verification in process (no HTTP, no session): parse,
//! warden's structural checks, bergshamra's XML-DSig check (exclusive c14n
//! of the signed element and of SignedInfo, SHA-256 digest, RSA-2048),
//! conditions and attributes; on the xmlsec1-signed fixtures, the
//! signature on the assertion or on both; and the same assertion encrypted
//! (xmlsec1: AES-256-GCM or AES-256-CBC, RSA-OAEP to a 2048-bit key),
//! decrypted then verified, with the right key first or second.
//!
//! `cargo bench -p warden-core --bench saml`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly on a broken fixture"
)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use warden_core::saml::{self, Expectations};

const CERT: &str = include_str!("../tests/data/saml/idp_cert.b64");
const SIGNED_ASSERTION: &str = include_str!("../tests/data/saml/signed_assertion.xml");
const SIGNED_BOTH: &str = include_str!("../tests/data/saml/signed_both.xml");
const SP_KEY: &str = include_str!("../tests/data/saml/sp_key.pem");
const OTHER_KEY: &str = include_str!("../tests/data/saml/other_key.pem");
const ENCRYPTED_GCM: &str = include_str!("../tests/data/saml/encrypted_signed_assertion.xml");
const ENCRYPTED_CBC: &str = include_str!("../tests/data/saml/encrypted_cbc.xml");
/// One minute after the fixtures were issued.
const NOW: i64 = 1_767_268_860;

fn bench(c: &mut Criterion) {
    let certs = vec![STANDARD.decode(CERT.trim()).unwrap()];
    let expect = Expectations {
        issuer: "https://idp.example.com/saml",
        certificates: &certs,
        audiences: saml::AWS_AUDIENCES,
        recipients: saml::AWS_RECIPIENTS,
        now: NOW,
        decryption_keys: &[],
        encryption_required: false,
    };
    c.bench_function("saml_verify_signed_assertion", |b| {
        b.iter(|| saml::verify_response(SIGNED_ASSERTION, &expect).unwrap())
    });
    c.bench_function("saml_verify_signed_response_and_assertion", |b| {
        b.iter(|| saml::verify_response(SIGNED_BOTH, &expect).unwrap())
    });
    let one_key = [SP_KEY];
    let decrypting = Expectations {
        decryption_keys: &one_key,
        ..expect.clone()
    };
    c.bench_function("saml_decrypt_verify_gcm", |b| {
        b.iter(|| saml::verify_response(ENCRYPTED_GCM, &decrypting).unwrap())
    });
    c.bench_function("saml_decrypt_verify_cbc", |b| {
        b.iter(|| saml::verify_response(ENCRYPTED_CBC, &decrypting).unwrap())
    });
    // Rotation's worst case: the first key fails its RSA-OAEP unwrap.
    let right_key_second = [OTHER_KEY, SP_KEY];
    let rotating = Expectations {
        decryption_keys: &right_key_second,
        ..expect.clone()
    };
    c.bench_function("saml_decrypt_verify_gcm_right_key_second", |b| {
        b.iter(|| saml::verify_response(ENCRYPTED_GCM, &rotating).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
