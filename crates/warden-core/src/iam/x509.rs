//! The PEM certificates and private keys UploadServerCertificate and
//! UploadSigningCertificate take, read as far as IAM reads them: the
//! certificate's validity, names and public key, and whether a private key
//! is the certificate's.
//!
//! Certificates are parsed with `x509-parser`; private keys (PKCS#1
//! `RSA PRIVATE KEY`, PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`) with its
//! DER reader. Nothing here verifies a signature.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use x509_parser::der_parser::der::{parse_der, DerObject};
use x509_parser::public_key::PublicKey;

use crate::error::{CoreError, Result};

/// AWS's answer to a body that is not one PEM certificate, recorded in
/// public write-ups of `aws iam upload-server-certificate` (e.g.
/// sparanoid.com's "Amazon S3 × CloudFront" notes, which also met it for a
/// private key that was not PEM).
pub(crate) const UNPARSABLE: &str =
    "Unable to parse certificate. Please ensure the certificate is in PEM format.";

pub(crate) fn unparsable() -> CoreError {
    CoreError::MalformedCertificate(UNPARSABLE.to_string())
}

/// AWS's chain refusal, recorded with its index in go-acme/lego#304 and
/// mprahl/ansible-role-lets-encrypt-route-53#52 ("... is: -1") and in
/// sparanoid.com's notes ("... is: 1" for a chain that began with the
/// server certificate itself, so the index counts chain certificates from 1).
pub(crate) fn bad_chain(index: usize) -> CoreError {
    CoreError::MalformedCertificate(format!(
        "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: {index}"
    ))
}

/// The curves IAM takes for EC server certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

/// A certificate's public key, as far as key matching needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertKey {
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The SEC1 point as the certificate carries it.
    Ec { curve: Curve, point: Vec<u8> },
    /// Another algorithm, or an EC key on another curve.
    Other,
}

/// What IAM keeps of a parsed certificate.
#[derive(Debug, Clone)]
pub(crate) struct Certificate {
    /// The DER encoding: the identity of the certificate (duplicates).
    pub der: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    /// The raw DER of the subject and issuer names (chain order).
    pub subject: Vec<u8>,
    pub issuer: Vec<u8>,
    pub key: CertKey,
}

/// The PEM blocks of `text` as `(label, DER)`, in order; `None` unless the
/// text is nothing but PEM blocks and whitespace (AWS refuses a chain file
/// with text around its certificates, aws/aws-cli#715), or a block carries
/// RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`: an encrypted key).
fn pem_blocks(text: &str) -> Option<Vec<(String, Vec<u8>)>> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    while let Some(line) = lines.next() {
        let label = line.strip_prefix("-----BEGIN ")?.strip_suffix("-----")?;
        let end = format!("-----END {label}-----");
        let mut b64 = String::new();
        loop {
            let l = lines.next()?;
            if l == end {
                break;
            }
            if l.contains(':') {
                return None;
            }
            b64.push_str(l);
        }
        blocks.push((label.to_string(), STANDARD.decode(b64).ok()?));
    }
    Some(blocks)
}

/// The certificates of a PEM text, each `None` where its block does not
/// hold an X.509 certificate; `None` for text that is not PEM at all.
fn certificates(text: &str) -> Option<Vec<Option<Certificate>>> {
    let blocks = pem_blocks(text)?;
    Some(
        blocks
            .into_iter()
            .map(|(label, der)| (label == "CERTIFICATE").then(|| from_der(der)).flatten())
            .collect(),
    )
}

fn from_der(der: Vec<u8>) -> Option<Certificate> {
    let (rest, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let spki = cert.public_key();
    let key = match spki.parsed() {
        Ok(PublicKey::RSA(k)) => CertKey::Rsa {
            n: strip_zeros(k.modulus),
            e: strip_zeros(k.exponent),
        },
        Ok(PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .clone()
                .and_then(|p| x509_parser::der_parser::oid::Oid::try_from(p).ok())
                .map(|oid| oid.to_id_string());
            match curve.as_deref() {
                Some(P256_OID) => CertKey::Ec {
                    curve: Curve::P256,
                    point: point.data().to_vec(),
                },
                Some(P384_OID) => CertKey::Ec {
                    curve: Curve::P384,
                    point: point.data().to_vec(),
                },
                _ => CertKey::Other,
            }
        }
        _ => CertKey::Other,
    };
    let parsed = Certificate {
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        subject: cert.subject().as_raw().to_vec(),
        issuer: cert.issuer().as_raw().to_vec(),
        key,
        der: Vec::new(),
    };
    Some(Certificate { der, ..parsed })
}

const P256_OID: &str = "1.2.840.10045.3.1.7";
const P384_OID: &str = "1.3.132.0.34";
const RSA_OID: &str = "1.2.840.113549.1.1.1";
const EC_OID: &str = "1.2.840.10045.2.1";

/// One PEM certificate, valid at `now`: the body of either upload.
/// MalformedCertificate otherwise (AWS's text for what does not parse;
/// ours for a certificate outside its validity, which AWS also refuses as
/// MalformedCertificate, aws/aws-sdk-go#2586, with a text no one recorded).
pub(crate) fn parse_body(text: &str, now: i64) -> Result<Certificate> {
    let cert = match certificates(text).as_deref() {
        Some([Some(cert)]) => cert.clone(),
        _ => return Err(unparsable()),
    };
    if now < cert.not_before {
        return Err(CoreError::MalformedCertificate(
            "The certificate is not yet valid.".to_string(),
        ));
    }
    if now >= cert.not_after {
        return Err(CoreError::MalformedCertificate(
            "The certificate has expired.".to_string(),
        ));
    }
    Ok(cert)
}

/// Checks a server certificate's chain. AWS builds the path from the
/// certificate through the chain, each certificate signed by the next, and
/// names the first that breaks it. Warden checks that every chain member is
/// a PEM certificate and that each one's subject is its predecessor's issuer
/// (the certificate's, then each chain member's); it verifies no
/// signature and knows no trust store, so AWS's `-1` (a path that reaches
/// no trusted root) never arises here.
pub(crate) fn check_chain(body: &Certificate, chain: &str) -> Result<()> {
    let certs = certificates(chain).ok_or_else(|| bad_chain(1))?;
    if certs.is_empty() {
        return Err(bad_chain(1));
    }
    let mut issuer = body.issuer.clone();
    let mut subject = body.subject.clone();
    for (i, cert) in certs.iter().enumerate() {
        let index = i + 1;
        let cert = cert.as_ref().ok_or_else(|| bad_chain(index))?;
        // A self-signed predecessor is a root: nothing may follow it.
        if issuer == subject || cert.subject != issuer {
            return Err(bad_chain(index));
        }
        issuer = cert.issuer.clone();
        subject = cert.subject.clone();
    }
    Ok(())
}

/// The public part of an uploaded private key.
#[derive(Debug, PartialEq, Eq)]
enum KeyPublic {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// The private scalar, to be multiplied out on the certificate's curve.
    Ec {
        scalar: Vec<u8>,
    },
}

/// Checks that `private_key` is one unencrypted PEM private key (PKCS#1,
/// PKCS#8 or SEC1) and that it is the certificate's: MalformedCertificate
/// with AWS's parse text for what is not one, KeyPairMismatch for the key
/// of another certificate. RSA keys are matched by modulus and exponent (the
/// private numbers are not checked against each other); EC keys by the
/// public point of their private scalar on the certificate's curve.
/// Certificates of other algorithms or curves are refused as
/// MalformedCertificate (our text: IAM takes RSA and P-256/P-384 keys).
pub(crate) fn check_private_key(cert: &Certificate, private_key: &str) -> Result<()> {
    let key = match pem_blocks(private_key).as_deref() {
        Some([(label, der)]) => parse_private_key(label, der).ok_or_else(unparsable)?,
        _ => return Err(unparsable()),
    };
    let matches = match (&cert.key, &key) {
        (CertKey::Rsa { n, e }, KeyPublic::Rsa { n: kn, e: ke }) => {
            let bits = bit_length(n);
            if !(1024..=4096).contains(&bits) {
                return Err(unsupported_key());
            }
            n == kn && e == ke
        }
        (CertKey::Ec { curve, point }, KeyPublic::Ec { scalar }) => {
            ec_matches(*curve, scalar, point)
        }
        (CertKey::Other, _) => return Err(unsupported_key()),
        _ => false,
    };
    if matches {
        Ok(())
    } else {
        // Our text: no recorded AWS answer quotes it.
        Err(CoreError::KeyPairMismatch(
            "The private key does not match the public key of the certificate.".to_string(),
        ))
    }
}

/// Whether `text` is one PEM RSA private key (PKCS#1 or PKCS#8): what
/// CreateSAMLProvider and UpdateSAMLProvider take as `AddPrivateKey`.
pub(crate) fn is_rsa_private_key(text: &str) -> bool {
    matches!(
        pem_blocks(text).as_deref(),
        Some([(label, der)]) if matches!(parse_private_key(label, der), Some(KeyPublic::Rsa { .. }))
    )
}

fn unsupported_key() -> CoreError {
    // Our text.
    CoreError::MalformedCertificate(
        "The certificate's public key must be RSA (1024 to 4096 bits) or EC on P-256 or P-384."
            .to_string(),
    )
}

fn ec_matches(curve: Curve, scalar: &[u8], point: &[u8]) -> bool {
    match curve {
        Curve::P256 => {
            let (Ok(sk), Ok(pk)) = (
                p256::SecretKey::from_slice(scalar),
                p256::PublicKey::from_sec1_bytes(point),
            ) else {
                return false;
            };
            sk.public_key() == pk
        }
        Curve::P384 => {
            let (Ok(sk), Ok(pk)) = (
                p384::SecretKey::from_slice(scalar),
                p384::PublicKey::from_sec1_bytes(point),
            ) else {
                return false;
            };
            sk.public_key() == pk
        }
    }
}

/// The sequence's members, if `der` is exactly one DER SEQUENCE.
fn sequence(der: &[u8]) -> Option<Vec<DerObject<'_>>> {
    let (rest, obj) = parse_der(der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    obj.as_sequence().ok().cloned()
}

fn parse_private_key(label: &str, der: &[u8]) -> Option<KeyPublic> {
    match label {
        "RSA PRIVATE KEY" => pkcs1(der),
        "EC PRIVATE KEY" => sec1(der),
        "PRIVATE KEY" => pkcs8(der),
        _ => None,
    }
}

/// RSAPrivateKey (RFC 8017): version, n, e, d, p, q, dp, dq, qinv. A key
/// whose primes do not multiply to its modulus is no key (so a modulus
/// copied from the certificate onto other numbers does not pass as its key).
fn pkcs1(der: &[u8]) -> Option<KeyPublic> {
    let items = sequence(der)?;
    if items.len() < 9 {
        return None;
    }
    let int = |i: usize| items[i].as_slice().ok().map(strip_zeros);
    let (n, e, p, q) = (int(1)?, int(2)?, int(4)?, int(5)?);
    if n.is_empty() || e.is_empty() || strip_zeros(&multiply(&p, &q)) != n {
        return None;
    }
    Some(KeyPublic::Rsa { n, e })
}

/// The product of two big-endian unsigned numbers (schoolbook; a few
/// thousand byte products for a 4096-bit key).
fn multiply(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u32; a.len() + b.len()];
    for (i, &x) in a.iter().enumerate().rev() {
        let mut carry = 0u32;
        for (j, &y) in b.iter().enumerate().rev() {
            let at = i + j + 1;
            let t = out[at] + u32::from(x) * u32::from(y) + carry;
            out[at] = t & 0xff;
            carry = t >> 8;
        }
        out[i] += carry;
    }
    out.into_iter().map(|d| d as u8).collect()
}

/// ECPrivateKey (RFC 5915): version 1, the scalar, optional curve and point.
fn sec1(der: &[u8]) -> Option<KeyPublic> {
    let items = sequence(der)?;
    let scalar = items.get(1)?.as_slice().ok()?.to_vec();
    Some(KeyPublic::Ec { scalar })
}

/// PrivateKeyInfo (RFC 5208): version, algorithm, the key's own encoding.
fn pkcs8(der: &[u8]) -> Option<KeyPublic> {
    let items = sequence(der)?;
    let algorithm = items.get(1)?.as_sequence().ok()?;
    let oid = algorithm.first()?.as_oid().ok()?.to_id_string();
    let inner = items.get(2)?.as_slice().ok()?;
    match oid.as_str() {
        RSA_OID => pkcs1(inner),
        EC_OID => sec1(inner),
        _ => None,
    }
}

fn strip_zeros(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b[start..].to_vec()
}

fn bit_length(n: &[u8]) -> usize {
    match n.first() {
        None => 0,
        Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_refuse_text_around_blocks_and_encrypted_headers() {
        assert_eq!(
            pem_blocks("-----BEGIN X-----\nAAEC\n-----END X-----\n"),
            Some(vec![("X".to_string(), vec![0, 1, 2])])
        );
        assert_eq!(pem_blocks("  \n"), Some(vec![]));
        assert!(pem_blocks("subject=CN=x\n-----BEGIN X-----\nAAEC\n-----END X-----").is_none());
        assert!(pem_blocks("-----BEGIN X-----\nAAEC\n").is_none());
        assert!(pem_blocks(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAAEC\n-----END RSA PRIVATE KEY-----"
        )
        .is_none());
        assert!(pem_blocks("-----BEGIN X-----\n!!!\n-----END X-----").is_none());
    }

    #[test]
    fn bodies_that_are_not_one_certificate_are_unparsable() {
        let now = 1_700_000_000;
        for body in [
            "notacert",
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----",
            "",
        ] {
            let err = parse_body(body, now).unwrap_err();
            assert_eq!(err.aws_code(), warden_wire::ErrorCode::MalformedCertificate);
            assert_eq!(err.to_string(), UNPARSABLE);
        }
    }

    #[test]
    fn private_keys_of_unknown_forms_are_unparsable() {
        let cert = Certificate {
            der: vec![],
            not_before: 0,
            not_after: i64::MAX,
            subject: vec![],
            issuer: vec![],
            key: CertKey::Rsa {
                n: vec![0xc1; 256],
                e: vec![1, 0, 1],
            },
        };
        for key in [
            "privatekey",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAEC\n-----END ENCRYPTED PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----\nAAEC\n-----END RSA PRIVATE KEY-----",
        ] {
            let err = check_private_key(&cert, key).unwrap_err();
            assert_eq!(err.to_string(), UNPARSABLE);
        }
    }

    #[test]
    fn multiply_is_big_endian_schoolbook() {
        assert_eq!(
            strip_zeros(&multiply(&[0xff, 0xff], &[0xff])),
            vec![0xfe, 0xff, 0x01]
        );
        assert_eq!(
            strip_zeros(&multiply(&[0x01, 0x00], &[0x01, 0x00])),
            vec![1, 0, 0]
        );
        assert_eq!(strip_zeros(&multiply(&[], &[7])), Vec::<u8>::new());
    }

    #[test]
    fn the_chain_index_counts_chain_certificates_from_one() {
        assert!(bad_chain(1)
            .to_string()
            .ends_with("invalid certificate is: 1"));
    }
}
