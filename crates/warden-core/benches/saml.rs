//! SAML response verification in process (no HTTP, no session): parse,
//! warden's structural checks, bergshamra's XML-DSig check (exclusive c14n
//! of the signed element and of SignedInfo, SHA-256 digest, RSA-2048),
//! conditions and attributes; on the xmlsec1-signed fixtures, the
//! signature on the assertion or on both.
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
