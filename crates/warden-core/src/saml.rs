//! Verifying a SAML 2.0 `Response` for AssumeRoleWithSAML: its XML
//! signature against the provider's metadata certificates, and the
//! assertion's conditions, subject and attributes.
//!
//! The cryptography of XML-DSig (reference resolution, the enveloped and
//! exclusive-c14n transforms, digests, SignedInfo canonicalization and the
//! RSA check) is `bergshamra`'s (RustCrypto provider), run on the one tree
//! `uppsala` parsed; docs/security-choices.md says why this library. Around
//! it warden keeps a strict structural pre-filter, which is what defeats
//! signature wrapping, and reads every value from that same tree:
//!
//! - the document is parsed with DTDs refused (no entities, no XXE);
//! - every ID (any attribute the library resolves references by) is unique
//!   in the document, and there is exactly one assertion, plain
//!   (`Assertion`) or encrypted (`EncryptedAssertion`), a direct child of
//!   the `Response`;
//! - every signature is a direct child of the element it signs (the
//!   `Response` or the `Assertion`), one at most on each, with exactly one
//!   `Reference` whose `URI` is `#` + that element's `ID`, exclusive c14n
//!   1.0 without comments, only the enveloped-signature and exclusive-c14n
//!   transforms, and RSA PKCS#1 v1.5 over SHA-1/SHA-2; the library's own
//!   anti-wrapping rule is looser (it accepts a reference to the document
//!   element from a signature anywhere), so this one is checked first;
//! - every signature present must be reported valid by the library, with
//!   its one reference resolved to the signature's parent element and its
//!   digest computed locally, and at least one must exist;
//! - keys come only from the provider's metadata (the library's
//!   trusted-keys-only mode: `KeyInfo` is never a source of keys);
//! - NameID and attribute values are read across all their text nodes,
//!   as canonicalization sees them, so a comment cannot cut a value short.
//!
//! SHA-1 is accepted because AWS accepts SHA-1 signed responses from older
//! IdPs.
//!
//! An `EncryptedAssertion` is decrypted by `bergshamra`'s XML-Enc with the
//! provider's private keys (`decrypt_assertion`): the Response's
//! signature, which covers the ciphertext, is checked first on the document
//! as received; the decrypted `Assertion` then goes through the same checks
//! as a plain one, on the tree parsed from the decrypted document, and is
//! the one read.

use std::collections::{BTreeMap, HashSet};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bergshamra_dsig::{DsigContext, VerifyResult};
use bergshamra_enc::EncContext;
use bergshamra_keys::KeysManager;
use uppsala::{Document, NodeId, NodeKind};

use crate::model::Epoch;

/// The SAML 2.0 assertion namespace.
pub const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// The SAML 2.0 protocol namespace.
pub const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const XENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
const XENC11_NS: &str = "http://www.w3.org/2009/xmlenc11#";
const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// The signature methods accepted: what SAML IdPs use with the RSA keys
/// that provider metadata is required to hold.
const SIGNATURE_METHODS: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
];
/// The digest methods accepted, of the same families.
const DIGEST_METHODS: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#sha1",
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
/// Content encryption accepted for an `EncryptedAssertion`: AES-CBC and
/// AES-GCM, 128 and 256 bits, what IdPs offer and what AWS names ("AES-GCM
/// or AES-CBC", CreateSAMLProvider's `AddPrivateKey`).
const CONTENT_CIPHERS: &[&str] = &[
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "http://www.w3.org/2009/xmlenc11#aes256-gcm",
];
/// RSA-OAEP key transport, in its XML-Enc 1.0 (MGF1 with SHA-1) and 1.1
/// (MGF named) forms. RSA PKCS#1 v1.5 (`xmlenc#rsa-1_5`) is refused before
/// the library sees it: its decryption is a Bleichenbacher oracle.
const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
const RSA_OAEP_11: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
/// The OAEP digests accepted (absent means SHA-1).
const OAEP_DIGESTS: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#sha1",
    "http://www.w3.org/2001/04/xmlenc#sha256",
];
/// The OAEP mask generation functions accepted (absent means MGF1-SHA-1).
const OAEP_MGFS: &[&str] = &[
    "http://www.w3.org/2009/xmlenc11#mgf1sha1",
    "http://www.w3.org/2009/xmlenc11#mgf1sha256",
];
const ENCRYPTED_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
const ENCRYPTED_KEY_TYPE: &str = "http://www.w3.org/2001/04/xmlenc#EncryptedKey";

/// The attributes `bergshamra` resolves a same-document `#id` reference by
/// (matched by local name, whatever the namespace; `xml:id` included).
/// Every value of these must be unique so a reference names one element.
const ID_ATTRIBUTES: &[&str] = &["ID", "Id", "id", "AssertionID"];

/// Clock skew tolerated on every time check, in seconds (ours: AWS does
/// not document one).
pub const LEEWAY: Epoch = 180;

/// Why a response is refused: the two answers AssumeRoleWithSAML gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// `InvalidIdentityToken`: malformed, unsigned, badly signed, of another
    /// issuer or audience.
    Invalid(String),
    /// `ExpiredTokenException`: outside its validity window.
    Expired(String),
    /// `IDPRejectedClaim`: the IdP itself says authentication failed.
    Rejected(String),
}

fn invalid(text: &str) -> Rejection {
    Rejection::Invalid(text.to_string())
}

/// What a verified response says, read only from the signed assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The assertion's `ID` (replay is refused by it).
    pub id: String,
    /// The assertion's `Issuer`.
    pub issuer: String,
    /// The NameID value.
    pub subject: String,
    /// The NameID `Format`, if any.
    pub subject_format: Option<String>,
    /// The bearer confirmation's `Recipient` (`saml:aud`).
    pub recipient: String,
    /// The earliest `NotOnOrAfter` of the conditions and the confirmation.
    pub not_on_or_after: Epoch,
    /// `AuthnStatement@SessionNotOnOrAfter`, which caps the session.
    pub session_not_on_or_after: Option<Epoch>,
    /// Attributes by `Name`, each with its values in order.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// What the service provider accepts: audiences and recipients.
#[derive(Debug, Clone)]
pub struct Expectations<'a> {
    /// The provider's entity id: the assertion's `Issuer`.
    pub issuer: &'a str,
    /// DER certificates of the provider's signing keys.
    pub certificates: &'a [Vec<u8>],
    /// Accepted `Audience` values.
    pub audiences: &'a [&'a str],
    /// Accepted `Recipient` (and `Destination`) values.
    pub recipients: &'a [&'a str],
    /// The time to check against.
    pub now: Epoch,
    /// The provider's PEM private keys (at most two, for rotation) that
    /// decrypt an `EncryptedAssertion`.
    pub decryption_keys: &'a [&'a str],
    /// `AssertionEncryptionMode` `Required`: a plain `Assertion` is refused.
    pub encryption_required: bool,
}

/// The ACS URLs AWS names as recipients, and its SP entity id as audience
/// (IAM's "Configure SAML assertions for the authentication response").
pub const AWS_RECIPIENTS: &[&str] = &[
    "https://signin.aws.amazon.com/saml",
    "https://signin.aws.amazon.com/static/saml",
];
/// The audiences AWS accepts: its SP entity id and its ACS URL.
pub const AWS_AUDIENCES: &[&str] = &[
    "urn:amazon:webservices",
    "https://signin.aws.amazon.com/saml",
];

/// Verifies the base64 `SAMLAssertion` of AssumeRoleWithSAML.
pub fn verify_base64(encoded: &str, expect: &Expectations<'_>) -> Result<Assertion, Rejection> {
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = STANDARD
        .decode(compact)
        .map_err(|_| invalid("Invalid base64 SAMLResponse (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlInvalidSamlResponseException)"))?;
    let xml = String::from_utf8(bytes).map_err(|_| invalid("Invalid SAML response: not UTF-8"))?;
    verify_response(&xml, expect)
}

/// Whether `node` is the element `ns`:`name`.
fn is(doc: &Document<'_>, node: NodeId, ns: &str, name: &str) -> bool {
    doc.element(node)
        .is_some_and(|e| e.name.matches(Some(ns), name))
}

fn children_named<'d>(
    doc: &'d Document<'_>,
    node: NodeId,
    ns: &'d str,
    name: &'d str,
) -> impl Iterator<Item = NodeId> + 'd {
    doc.children_iter(node)
        .filter(move |n| is(doc, *n, ns, name))
}

fn child(doc: &Document<'_>, node: NodeId, ns: &str, name: &str) -> Option<NodeId> {
    children_named(doc, node, ns, name).next()
}

fn only_child(doc: &Document<'_>, node: NodeId, ns: &str, name: &str) -> Result<NodeId, Rejection> {
    let mut it = children_named(doc, node, ns, name);
    match (it.next(), it.next()) {
        (Some(n), None) => Ok(n),
        _ => Err(Rejection::Invalid(format!(
            "Invalid SAML response: expected exactly one {name}"
        ))),
    }
}

/// An unqualified attribute of an element (a prefixed `x:ID` is another
/// attribute, never this one).
fn attribute<'d>(doc: &'d Document<'_>, node: NodeId, name: &str) -> Option<&'d str> {
    doc.element(node)?
        .attributes
        .iter()
        .find(|a| a.name.namespace_uri.is_none() && a.name.local_name == name)
        .map(|a| a.value.as_ref())
}

/// All the text of an element, as canonicalization sees it (comments and
/// processing instructions dropped, every text and CDATA node joined).
fn text_of(doc: &Document<'_>, node: NodeId) -> String {
    doc.text_content_deep(node)
}

fn time(value: &str) -> Result<Epoch, Rejection> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| invalid("Invalid SAML response: a time is not an xs:dateTime"))
}

fn elements<'d>(doc: &'d Document<'_>) -> impl Iterator<Item = NodeId> + 'd {
    doc.descendants(doc.root())
        .into_iter()
        .filter(|n| matches!(doc.node_kind(*n), Some(NodeKind::Element(_))))
}

/// Parses a response, DTDs refused (no entities, no XXE), and finds its
/// `Response` element.
fn parse_response(xml: &str) -> Result<(Document<'_>, NodeId), Rejection> {
    let doc = uppsala::Parser::new()
        .with_forbid_dtd(true)
        .parse(xml)
        .map_err(|_| invalid("Invalid SAML response: not well-formed XML"))?;
    let response = doc
        .document_element()
        .filter(|r| is(&doc, *r, SAMLP_NS, "Response"))
        .filter(|r| attribute(&doc, *r, "Version") == Some("2.0"))
        .ok_or_else(|| invalid("Invalid SAML response: the root is not a SAML 2.0 Response"))?;
    Ok((doc, response))
}

/// Every ID once: a reference must name exactly one element.
fn check_unique_ids(doc: &Document<'_>) -> Result<(), Rejection> {
    let mut ids = HashSet::new();
    for n in elements(doc) {
        let Some(element) = doc.element(n) else {
            continue;
        };
        for a in element
            .attributes
            .iter()
            .filter(|a| ID_ATTRIBUTES.contains(&a.name.local_name.as_ref()))
        {
            if !ids.insert(a.value.as_ref()) {
                return Err(invalid("Invalid SAML response: duplicate ID"));
            }
        }
    }
    Ok(())
}

/// The one assertion of a response, plain or encrypted.
enum Found {
    Plain(NodeId),
    Encrypted(NodeId),
}

/// The one `Assertion` or `EncryptedAssertion` of the whole document (one
/// of either kind in all, so a plain one beside an encrypted one is
/// refused), a direct child of `response`.
fn the_assertion(doc: &Document<'_>, response: NodeId) -> Result<Found, Rejection> {
    let found: Vec<Found> = elements(doc)
        .filter_map(|n| {
            if is(doc, n, SAML_NS, "Assertion") {
                Some(Found::Plain(n))
            } else if is(doc, n, SAML_NS, "EncryptedAssertion") {
                Some(Found::Encrypted(n))
            } else {
                None
            }
        })
        .collect();
    let [one] = <[Found; 1]>::try_from(found)
        .map_err(|_| invalid("Invalid SAML response: expected exactly one Assertion"))?;
    let (Found::Plain(node) | Found::Encrypted(node)) = one;
    if doc.parent(node) != Some(response) {
        return Err(invalid(
            "Invalid SAML response: the Assertion is not the Response's child",
        ));
    }
    Ok(one)
}

/// Verifies a SAML `Response` document.
pub fn verify_response(xml: &str, expect: &Expectations<'_>) -> Result<Assertion, Rejection> {
    let (doc, response) = parse_response(xml)?;
    check_unique_ids(&doc)?;
    let found = the_assertion(&doc, response)?;
    let status = only_child(&doc, response, SAMLP_NS, "Status")?;
    let code = only_child(&doc, status, SAMLP_NS, "StatusCode")?;
    if attribute(&doc, code, "Value") != Some(SUCCESS) {
        // Our text: the IdP's own status, not a fault of the response.
        return Err(Rejection::Rejected(
            "The identity provider reported that authentication failed".to_string(),
        ));
    }
    if let Some(dest) = attribute(&doc, response, "Destination") {
        if !expect.recipients.contains(&dest) {
            return Err(invalid(
                "Invalid SAML response: Destination is not this service",
            ));
        }
    }

    match found {
        Found::Plain(assertion) => {
            if expect.encryption_required {
                // Our text: AWS publishes none for this case.
                return Err(invalid("The SAML provider requires encrypted assertions"));
            }
            verify_signatures(
                xml,
                &doc,
                &[response, assertion],
                Signed::Required,
                expect.certificates,
            )?;
            read_assertion(&doc, assertion, expect)
        }
        Found::Encrypted(encrypted) => {
            check_encryption_shape(&doc, encrypted)?;
            // The Response's signature covers the ciphertext: it is checked
            // on the document as received, before anything is decrypted.
            let response_signed = verify_signatures(
                xml,
                &doc,
                &[response],
                Signed::Optional,
                expect.certificates,
            )?;
            let decrypted = decrypt_assertion(xml, &doc, response, expect.decryption_keys)?;
            verify_decrypted(&decrypted, response_signed, expect).map_err(|reason| {
                tracing::debug!(?reason, "decrypted SAML assertion refused");
                undecryptable()
            })
        }
    }
}

/// The one text for every failure from decryption to the decrypted
/// assertion's signature (ours: AWS publishes none), so the answer is no
/// padding or format oracle on the ciphertext.
fn undecryptable() -> Rejection {
    invalid("Invalid SAML response: the encrypted assertion could not be decrypted")
}

impl Rejection {
    /// Whether this is the refusal of an encrypted assertion that a private
    /// key was tried on (the caller counts these: each is an RSA decryption
    /// an attacker can time).
    pub fn is_undecryptable(&self) -> bool {
        *self == undecryptable()
    }
}

/// The decrypted document's checks: the same as a plain response's on the
/// tree parsed from it, the assertion now a child of the
/// `EncryptedAssertion` it replaced; its own signature is required unless
/// the Response's (already verified) covered the ciphertext.
fn verify_decrypted(
    xml: &str,
    response_signed: bool,
    expect: &Expectations<'_>,
) -> Result<Assertion, Rejection> {
    let (doc, response) = parse_response(xml)?;
    check_unique_ids(&doc)?;
    if elements(&doc).any(|n| is(&doc, n, XENC_NS, "EncryptedData")) {
        return Err(invalid("Invalid SAML response: nested encryption"));
    }
    let only = |name: &str| {
        let mut found = elements(&doc).filter(|n| is(&doc, *n, SAML_NS, name));
        match (found.next(), found.next()) {
            (Some(n), None) => Ok(n),
            _ => Err(invalid(
                "Invalid SAML response: expected exactly one Assertion",
            )),
        }
    };
    let encrypted = only("EncryptedAssertion")?;
    let assertion = only("Assertion")?;
    if doc.parent(encrypted) != Some(response) || doc.parent(assertion) != Some(encrypted) {
        return Err(invalid(
            "Invalid SAML response: the decrypted Assertion moved",
        ));
    }
    let signed = if response_signed {
        Signed::Optional
    } else {
        Signed::Required
    };
    verify_signatures(xml, &doc, &[assertion], signed, expect.certificates)?;
    read_assertion(&doc, assertion, expect)
}

/// Only what IdPs send reaches the XML-Enc library: one `EncryptedData`
/// in the document, the `EncryptedAssertion`'s child, of type Element,
/// AES-CBC or AES-GCM, its ciphertext inline; its key in an
/// `EncryptedKey` (inside its `KeyInfo`, or beside it in the
/// `EncryptedAssertion` and named by a `RetrievalMethod`) under RSA-OAEP;
/// no other key source (no derived or agreed keys, no key names).
fn check_encryption_shape(doc: &Document<'_>, encrypted: NodeId) -> Result<(), Rejection> {
    let refused = |what: &str| Rejection::Invalid(format!("Invalid SAML response: {what}"));
    let algorithm = |node: NodeId| attribute(doc, node, "Algorithm").unwrap_or("");
    let mut data = elements(doc).filter(|n| is(doc, *n, XENC_NS, "EncryptedData"));
    let (Some(data), None) = (data.next(), data.next()) else {
        return Err(refused("expected exactly one EncryptedData"));
    };
    let mut peer_keys = Vec::new();
    for c in doc
        .children_iter(encrypted)
        .filter(|c| doc.element(*c).is_some())
    {
        if is(doc, c, XENC_NS, "EncryptedKey") {
            peer_keys.push(c);
        } else if c != data {
            return Err(refused("unexpected content in the EncryptedAssertion"));
        }
    }
    if doc.parent(data) != Some(encrypted) {
        return Err(refused("the EncryptedData is not the EncryptedAssertion's"));
    }
    if !matches!(attribute(doc, data, "Type"), None | Some(ENCRYPTED_ELEMENT)) {
        return Err(refused("the EncryptedData is not an element"));
    }
    let method = only_child(doc, data, XENC_NS, "EncryptionMethod")?;
    if !CONTENT_CIPHERS.contains(&algorithm(method))
        || doc.children_iter(method).any(|c| doc.element(c).is_some())
    {
        return Err(refused("unsupported encryption method"));
    }
    check_inline_cipher(doc, data)?;
    let key_info = only_child(doc, data, DS_NS, "KeyInfo")?;
    let mut inline_keys = Vec::new();
    for c in doc
        .children_iter(key_info)
        .filter(|c| doc.element(*c).is_some())
    {
        if is(doc, c, XENC_NS, "EncryptedKey") {
            inline_keys.push(c);
        } else if is(doc, c, DS_NS, "RetrievalMethod")
            && attribute(doc, c, "Type") == Some(ENCRYPTED_KEY_TYPE)
            && doc.children_iter(c).all(|t| doc.element(t).is_none())
            && peer_keys.iter().any(|k| {
                attribute(doc, *k, "Id")
                    .is_some_and(|id| attribute(doc, c, "URI") == Some(&format!("#{id}")))
            })
        {
        } else {
            return Err(refused("unsupported key information"));
        }
    }
    if inline_keys.is_empty() && peer_keys.is_empty() {
        return Err(refused("no EncryptedKey"));
    }
    let all_keys: Vec<NodeId> = elements(doc)
        .filter(|n| is(doc, *n, XENC_NS, "EncryptedKey"))
        .collect();
    if all_keys.len() != inline_keys.len() + peer_keys.len() {
        return Err(refused("an EncryptedKey is out of place"));
    }
    for key in all_keys {
        let method = only_child(doc, key, XENC_NS, "EncryptionMethod")?;
        let transport = algorithm(method);
        if transport != RSA_OAEP_MGF1P && transport != RSA_OAEP_11 {
            return Err(refused("unsupported key transport"));
        }
        for p in doc
            .children_iter(method)
            .filter(|c| doc.element(*c).is_some())
        {
            let accepted = (is(doc, p, DS_NS, "DigestMethod")
                && OAEP_DIGESTS.contains(&algorithm(p)))
                || (transport == RSA_OAEP_11
                    && is(doc, p, XENC11_NS, "MGF")
                    && OAEP_MGFS.contains(&algorithm(p)));
            if !accepted {
                return Err(refused("unsupported key transport"));
            }
        }
        check_inline_cipher(doc, key)?;
    }
    Ok(())
}

/// The ciphertext is inline (`CipherValue`), never fetched (`CipherReference`).
fn check_inline_cipher(doc: &Document<'_>, encrypted: NodeId) -> Result<(), Rejection> {
    let cipher_data = only_child(doc, encrypted, XENC_NS, "CipherData")?;
    let mut parts = doc
        .children_iter(cipher_data)
        .filter(|c| doc.element(*c).is_some());
    match (parts.next(), parts.next()) {
        (Some(value), None) if is(doc, value, XENC_NS, "CipherValue") => Ok(()),
        _ => Err(invalid(
            "Invalid SAML response: the ciphertext is not inline",
        )),
    }
}

/// Decrypts the one `EncryptedData` (checked by [`check_encryption_shape`])
/// with each private key in turn: the whole document comes back with the
/// plaintext `Assertion` in its place, so the plaintext keeps the namespaces
/// it is in scope of. The Response's signature, already verified, is cut out
/// first: it no longer matches once the content changes, and only the
/// assertion's may be checked on the result.
fn decrypt_assertion(
    xml: &str,
    doc: &Document<'_>,
    response: NodeId,
    private_keys: &[&str],
) -> Result<String, Rejection> {
    let mut input = xml.to_string();
    if let Some(range) = child(doc, response, DS_NS, "Signature").and_then(|s| doc.node_range(s)) {
        input.replace_range(range, "");
    }
    if private_keys.is_empty() {
        tracing::debug!("encrypted SAML assertion but the provider has no private key");
        return Err(undecryptable());
    }
    for (index, pem) in private_keys.iter().enumerate() {
        // The key's own errors never name its material; logged by position.
        let key = match bergshamra_keys::loader::load_rsa_private_pem(pem.as_bytes()) {
            Ok(key) => key,
            Err(_) => {
                tracing::debug!(
                    index,
                    "a SAML provider private key is not a readable RSA key"
                );
                continue;
            }
        };
        let mut keys = KeysManager::new();
        keys.add_key(key);
        // No CipherReference (also refused by the shape check) and no
        // password-derived keys.
        let context = EncContext::new(keys)
            .with_disable_cipher_reference(true)
            .with_max_pbkdf2_iterations(0);
        match bergshamra_enc::decrypt::decrypt(&context, &input) {
            Ok(decrypted) => return Ok(decrypted),
            Err(e) => {
                tracing::debug!(index, error = %e, "SAML assertion not decrypted with this key")
            }
        }
    }
    Err(undecryptable())
}

/// Whether a signature must be present among those checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Signed {
    Required,
    Optional,
}

/// The structural pre-filter on every signature, then the library's
/// verdict on each; `Ok` only when every signature is a direct child of one
/// of `targets`, is valid, and signs exactly its parent. Answers whether
/// any signature was there.
fn verify_signatures(
    xml: &str,
    doc: &Document<'_>,
    targets: &[NodeId],
    signed: Signed,
    certificates: &[Vec<u8>],
) -> Result<bool, Rejection> {
    let signatures: Vec<NodeId> = elements(doc)
        .filter(|n| is(doc, *n, DS_NS, "Signature"))
        .collect();
    if signatures.is_empty() {
        return match signed {
            Signed::Required => Err(invalid(
                "Response signature invalid: the response is not signed",
            )),
            Signed::Optional => Ok(false),
        };
    }
    let mut signed_elements = Vec::with_capacity(2);
    for &signature in &signatures {
        let target = doc
            .parent(signature)
            .filter(|p| targets.contains(p))
            .ok_or_else(|| {
                invalid("Response signature invalid: a signature is not on the Response or the Assertion")
            })?;
        if signed_elements.contains(&target) {
            return Err(invalid(
                "Invalid SAML response: more than one signature on an element",
            ));
        }
        check_signature_shape(doc, signature, target)?;
        signed_elements.push(target);
    }

    let mut keys = KeysManager::new();
    for der in certificates {
        // Metadata holds RSA keys only (checked when it is stored); a
        // certificate the library cannot read simply offers no key.
        if let Ok(key) = bergshamra_keys::loader::load_x509_cert_der(der) {
            keys.add_key(key);
        }
    }
    // Trusted keys only, strict reference positions, every reference
    // digest computed locally; certificate dates are not checked (as AWS,
    // which uses the key).
    let context = DsigContext::new(keys);
    let results =
        bergshamra_dsig::verify::verify_all_document_with_source(&context, doc, Some(xml))
            .map_err(|e| {
                tracing::debug!(error = %e, "SAML signature refused by the XML-DSig library");
                bad_signature()
            })?;
    if results.len() != signatures.len() {
        return Err(bad_signature());
    }
    for result in results {
        match result {
            VerifyResult::Valid {
                signature_node,
                references,
                ..
            } => {
                let parent = doc.parent(signature_node);
                let [reference] = &references[..] else {
                    return Err(bad_signature());
                };
                if !signatures.contains(&signature_node)
                    || parent.is_none()
                    || reference.resolved_node != parent
                    || !reference.digest_verified
                {
                    return Err(bad_signature());
                }
            }
            VerifyResult::Invalid { reason } => {
                tracing::debug!(%reason, "SAML signature refused by the XML-DSig library");
                return Err(bad_signature());
            }
        }
    }
    Ok(true)
}

fn bad_signature() -> Rejection {
    invalid("Response signature invalid")
}

/// The shape warden accepts for an enveloped signature `signature`, a
/// direct child of `target` that must sign exactly `target`: nothing the
/// library would do beyond it is reached.
fn check_signature_shape(
    doc: &Document<'_>,
    signature: NodeId,
    target: NodeId,
) -> Result<(), Rejection> {
    let algorithm = |node: NodeId| attribute(doc, node, "Algorithm").unwrap_or("");
    let signed_info = only_child(doc, signature, DS_NS, "SignedInfo")?;
    if algorithm(only_child(
        doc,
        signed_info,
        DS_NS,
        "CanonicalizationMethod",
    )?) != EXC_C14N
    {
        return Err(invalid(
            "Response signature invalid: unsupported canonicalization",
        ));
    }
    if !SIGNATURE_METHODS.contains(&algorithm(only_child(
        doc,
        signed_info,
        DS_NS,
        "SignatureMethod",
    )?)) {
        return Err(invalid(
            "Response signature invalid: unsupported signature method",
        ));
    }
    let reference = only_child(doc, signed_info, DS_NS, "Reference")?;
    let target_id = attribute(doc, target, "ID").ok_or_else(bad_signature)?;
    if attribute(doc, reference, "URI") != Some(&format!("#{target_id}")) {
        return Err(invalid(
            "Response signature invalid: the reference is not the signed element",
        ));
    }
    let not_enveloped = || invalid("Response signature invalid: the signature is not enveloped");
    let transforms = child(doc, reference, DS_NS, "Transforms").ok_or_else(not_enveloped)?;
    let mut enveloped = false;
    for t in doc
        .children_iter(transforms)
        .filter(|t| doc.element(*t).is_some())
    {
        match (is(doc, t, DS_NS, "Transform"), algorithm(t)) {
            (true, ENVELOPED) if !enveloped => enveloped = true,
            (true, EXC_C14N) => {}
            _ => return Err(invalid("Response signature invalid: unsupported transform")),
        }
    }
    if !enveloped {
        return Err(not_enveloped());
    }
    if !DIGEST_METHODS.contains(&algorithm(only_child(
        doc,
        reference,
        DS_NS,
        "DigestMethod",
    )?)) {
        return Err(invalid(
            "Response signature invalid: unsupported digest method",
        ));
    }
    Ok(())
}

/// Reads the verified assertion: its issuer, subject, conditions and
/// attributes, checked against `expect`.
fn read_assertion(
    doc: &Document<'_>,
    assertion: NodeId,
    expect: &Expectations<'_>,
) -> Result<Assertion, Rejection> {
    let issuer = text_of(doc, only_child(doc, assertion, SAML_NS, "Issuer")?);
    if issuer.trim() != expect.issuer {
        return Err(invalid(
            "Issuer not present in specified provider (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlInvalidSamlResponseException)",
        ));
    }
    let id = attribute(doc, assertion, "ID")
        .ok_or_else(|| invalid("Invalid SAML response: the Assertion has no ID"))?;
    let now = expect.now;

    let subject = only_child(doc, assertion, SAML_NS, "Subject")?;
    let name_id = only_child(doc, subject, SAML_NS, "NameID")?;
    let mut bearers = children_named(doc, subject, SAML_NS, "SubjectConfirmation")
        .filter(|n| attribute(doc, *n, "Method") == Some(BEARER));
    let (Some(bearer), None) = (bearers.next(), bearers.next()) else {
        return Err(invalid(
            "Invalid SAML response: expected exactly one bearer SubjectConfirmation",
        ));
    };
    let data = only_child(doc, bearer, SAML_NS, "SubjectConfirmationData")?;
    let recipient = attribute(doc, data, "Recipient")
        .filter(|r| expect.recipients.contains(r))
        .ok_or_else(|| invalid("Invalid SAML response: the Recipient is not this service"))?;
    let confirm_until =
        time(attribute(doc, data, "NotOnOrAfter").ok_or_else(|| {
            invalid("Invalid SAML response: the confirmation has no NotOnOrAfter")
        })?)?;
    if let Some(nb) = attribute(doc, data, "NotBefore") {
        if time(nb)? > now + LEEWAY {
            return Err(Rejection::Expired("Assertion is not yet valid".to_string()));
        }
    }

    let conditions = only_child(doc, assertion, SAML_NS, "Conditions")?;
    let mut until = confirm_until;
    if let Some(v) = attribute(doc, conditions, "NotOnOrAfter") {
        until = until.min(time(v)?);
    }
    if let Some(v) = attribute(doc, conditions, "NotBefore") {
        if time(v)? > now + LEEWAY {
            return Err(Rejection::Expired("Assertion is not yet valid".to_string()));
        }
    }
    if now >= until + LEEWAY {
        return Err(Rejection::Expired("Assertion has expired".to_string()));
    }
    // Every AudienceRestriction must name us (SAML core 2.5.1.4), and there must be one.
    let restrictions: Vec<NodeId> =
        children_named(doc, conditions, SAML_NS, "AudienceRestriction").collect();
    let names_us = |r: &NodeId| {
        children_named(doc, *r, SAML_NS, "Audience")
            .any(|a| expect.audiences.contains(&text_of(doc, a).trim()))
    };
    if restrictions.is_empty() || !restrictions.iter().all(names_us) {
        return Err(invalid("Response does not contain the required audience"));
    }

    let session_not_on_or_after = match child(doc, assertion, SAML_NS, "AuthnStatement")
        .and_then(|a| attribute(doc, a, "SessionNotOnOrAfter"))
    {
        Some(v) => Some(time(v)?),
        None => None,
    };
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in children_named(doc, assertion, SAML_NS, "AttributeStatement") {
        for attr in children_named(doc, statement, SAML_NS, "Attribute") {
            let Some(name) = attribute(doc, attr, "Name") else {
                continue;
            };
            let values = children_named(doc, attr, SAML_NS, "AttributeValue")
                .map(|v| text_of(doc, v).trim().to_string());
            attributes
                .entry(name.to_string())
                .or_default()
                .extend(values);
        }
    }
    Ok(Assertion {
        id: id.to_string(),
        issuer: issuer.trim().to_string(),
        subject: text_of(doc, name_id).trim().to_string(),
        subject_format: attribute(doc, name_id, "Format").map(str::to_string),
        recipient: recipient.to_string(),
        not_on_or_after: until,
        session_not_on_or_after,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Responses signed by xmlsec1 (tests/e2e/saml_idp.py writes them), issued 2026-01-01T12:00:00Z
    /// for five minutes.
    const CERT: &str = include_str!("../tests/data/saml/idp_cert.b64");
    const SIGNED_ASSERTION: &str = include_str!("../tests/data/saml/signed_assertion.xml");
    const SIGNED_RESPONSE: &str = include_str!("../tests/data/saml/signed_response.xml");
    const SIGNED_BOTH: &str = include_str!("../tests/data/saml/signed_both.xml");
    const SIGNED_COMMENT: &str = include_str!("../tests/data/saml/signed_comment.xml");
    const ISSUED: Epoch = 1_767_268_800;
    /// The same assertions encrypted by xmlsec1 for `SP_KEY`'s public key.
    const SP_KEY: &str = include_str!("../tests/data/saml/sp_key.pem");
    const OTHER_KEY: &str = include_str!("../tests/data/saml/other_key.pem");
    const ENCRYPTED_SIGNED_ASSERTION: &str =
        include_str!("../tests/data/saml/encrypted_signed_assertion.xml");
    const ENCRYPTED_SIGNED_RESPONSE: &str =
        include_str!("../tests/data/saml/encrypted_signed_response.xml");
    const ENCRYPTED_SIGNED_BOTH: &str =
        include_str!("../tests/data/saml/encrypted_signed_both.xml");
    const ENCRYPTED_CBC: &str = include_str!("../tests/data/saml/encrypted_cbc.xml");
    const ENCRYPTED_CBC128_OAEP11: &str =
        include_str!("../tests/data/saml/encrypted_cbc128_oaep11.xml");
    const ENCRYPTED_RSA15: &str = include_str!("../tests/data/saml/encrypted_rsa15.xml");
    const ENCRYPTED_UNSIGNED: &str = include_str!("../tests/data/saml/encrypted_unsigned.xml");

    fn check_with(xml: &str, keys: &[&str], required: bool) -> Result<Assertion, Rejection> {
        let certs = vec![STANDARD.decode(CERT.trim()).unwrap()];
        verify_response(
            xml,
            &Expectations {
                issuer: "https://idp.example.com/saml",
                certificates: &certs,
                audiences: AWS_AUDIENCES,
                recipients: AWS_RECIPIENTS,
                now: ISSUED + 60,
                decryption_keys: keys,
                encryption_required: required,
            },
        )
    }

    fn check_at(xml: &str, now: Epoch, audiences: &[&str]) -> Result<Assertion, Rejection> {
        let certs = vec![STANDARD.decode(CERT.trim()).unwrap()];
        verify_response(
            xml,
            &Expectations {
                issuer: "https://idp.example.com/saml",
                certificates: &certs,
                audiences,
                recipients: AWS_RECIPIENTS,
                now,
                decryption_keys: &[],
                encryption_required: false,
            },
        )
    }

    fn check(xml: &str) -> Result<Assertion, Rejection> {
        check_with(xml, &[SP_KEY], false)
    }

    fn refused(xml: &str) -> String {
        match check(xml) {
            Err(Rejection::Invalid(t) | Rejection::Expired(t) | Rejection::Rejected(t)) => t,
            Ok(a) => panic!("accepted: {a:?}"),
        }
    }

    fn assert_alice(a: &Assertion) {
        assert_eq!(a.issuer, "https://idp.example.com/saml");
        assert_eq!(a.subject, "7ca82df9-1bad-4c6b-9c1b-alice");
        assert_eq!(a.recipient, "https://signin.aws.amazon.com/saml");
        assert_eq!(a.not_on_or_after, ISSUED + 300);
        assert_eq!(
            a.attributes["https://aws.amazon.com/SAML/Attributes/Role"],
            vec!["arn:aws:iam::123456789012:role/Dev,arn:aws:iam::123456789012:saml-provider/Corp"]
        );
    }

    #[test]
    fn responses_signed_by_xmlsec1_verify_on_the_assertion_the_response_or_both() {
        for xml in [SIGNED_ASSERTION, SIGNED_RESPONSE, SIGNED_BOTH] {
            let a = check(xml).unwrap();
            assert_eq!(a.issuer, "https://idp.example.com/saml");
            assert_eq!(a.subject, "7ca82df9-1bad-4c6b-9c1b-alice");
            assert_eq!(a.recipient, "https://signin.aws.amazon.com/saml");
            assert_eq!(a.not_on_or_after, ISSUED + 300);
            assert_eq!(
                a.attributes["https://aws.amazon.com/SAML/Attributes/Role"],
                vec!["arn:aws:iam::123456789012:role/Dev,arn:aws:iam::123456789012:saml-provider/Corp"]
            );
        }
    }

    #[test]
    fn a_comment_in_the_name_id_does_not_cut_it_short() {
        assert_eq!(
            check(SIGNED_COMMENT).unwrap().subject,
            "user@evil.com.example.com"
        );
    }

    #[test]
    fn any_change_to_the_signed_content_breaks_the_signature() {
        // Controls: the untouched responses verify.
        check(SIGNED_ASSERTION).unwrap();
        check(SIGNED_RESPONSE).unwrap();
        let tampered = SIGNED_ASSERTION.replace("alice@example.com", "mallory@example.com");
        assert_eq!(check(&tampered).unwrap_err(), bad_signature());
        let tampered = SIGNED_RESPONSE.replace("role/Dev", "role/Admin");
        assert_eq!(check(&tampered).unwrap_err(), bad_signature());
        // The signature value itself, one character changed.
        let value_at = SIGNED_ASSERTION.find("<ds:SignatureValue>").unwrap() + 19;
        let mut tampered = SIGNED_ASSERTION.to_string();
        let flipped = if &tampered[value_at..=value_at] == "A" {
            "B"
        } else {
            "A"
        };
        tampered.replace_range(value_at..=value_at, flipped);
        assert_eq!(check(&tampered).unwrap_err(), bad_signature());
    }

    #[test]
    fn unsigned_responses_and_other_keys_are_refused() {
        let start = SIGNED_ASSERTION.find("<ds:Signature").unwrap();
        let end = SIGNED_ASSERTION.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let unsigned = format!("{}{}", &SIGNED_ASSERTION[..start], &SIGNED_ASSERTION[end..]);
        assert!(refused(&unsigned).contains("not signed"));
        let certs: Vec<Vec<u8>> = vec![];
        let none = verify_response(
            SIGNED_ASSERTION,
            &Expectations {
                issuer: "https://idp.example.com/saml",
                certificates: &certs,
                audiences: AWS_AUDIENCES,
                recipients: AWS_RECIPIENTS,
                now: ISSUED + 60,
                decryption_keys: &[],
                encryption_required: false,
            },
        );
        assert_eq!(none.unwrap_err(), bad_signature());
    }

    /// The evil assertion of the wrapping attacks: same shape, another role.
    fn evil_assertion(id: &str) -> String {
        let start = SIGNED_ASSERTION.find("<saml:Assertion").unwrap();
        let end = SIGNED_ASSERTION.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        let sig_start = SIGNED_ASSERTION.find("<ds:Signature").unwrap();
        let sig_end = SIGNED_ASSERTION.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let body = format!(
            "{}{}",
            &SIGNED_ASSERTION[start..sig_start],
            &SIGNED_ASSERTION[sig_end..end]
        );
        body.replace("_a_assertion", id)
            .replace("role/Dev", "role/Admin")
    }

    #[test]
    fn signature_wrapping_variants_are_refused() {
        let start = SIGNED_ASSERTION.find("<saml:Assertion").unwrap();
        let end = SIGNED_ASSERTION.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        let signed = &SIGNED_ASSERTION[start..end];
        // XSW: the evil assertion first, the signed one after it.
        let two = SIGNED_ASSERTION.replace(signed, &format!("{}{signed}", evil_assertion("_evil")));
        assert!(refused(&two).contains("exactly one Assertion"));
        // XSW: the signed assertion hidden in an extension, the evil one in its place.
        let hidden = SIGNED_ASSERTION.replace(
            signed,
            &format!(
                "<samlp:Extensions>{signed}</samlp:Extensions>{}",
                evil_assertion("_evil")
            ),
        );
        assert!(refused(&hidden).contains("exactly one Assertion"));
        // XSW: the evil assertion carrying the signed one's ID.
        let same_id = SIGNED_ASSERTION.replace(
            signed,
            &format!("{signed}{}", evil_assertion("_a_assertion")),
        );
        assert!(refused(&same_id).contains("duplicate ID"));
        // The library also resolves references by `Id`, `id` and `AssertionID`:
        // those count as IDs too, whatever their namespace.
        for attr in ["Id", "id", "AssertionID", "x:ID"] {
            let other = SIGNED_ASSERTION.replacen(
                "<samlp:Status>",
                &format!("<samlp:Status xmlns:x=\"urn:x\" {attr}=\"_a_assertion\">"),
                1,
            );
            assert!(refused(&other).contains("duplicate ID"), "{attr}");
        }
        // The response's signature moved onto an evil response that wraps the original.
        let sig_start = SIGNED_RESPONSE.find("<ds:Signature").unwrap();
        let sig_end = SIGNED_RESPONSE.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let sig = &SIGNED_RESPONSE[sig_start..sig_end];
        let evil = SIGNED_RESPONSE
            .replace(sig, "")
            .replace("role/Dev", "role/Admin")
            .replacen("ID=\"_r", "ID=\"_evil_r", 1);
        let wrapped = evil.replacen("<samlp:Status>", &format!("{sig}<samlp:Status>"), 1);
        assert!(refused(&wrapped).contains("reference is not the signed element"));
        // A signature whose reference names another element than its parent.
        let misdirected = SIGNED_ASSERTION.replace("URI=\"#_a_assertion\"", "URI=\"#_elsewhere\"");
        assert!(refused(&misdirected).contains("reference is not the signed element"));
    }

    /// The library's verdict alone, in its SAML mode (trusted keys only,
    /// strict reference positions), on the fixture certificate.
    fn library_says_valid(xml: &str) -> bool {
        let der = STANDARD.decode(CERT.trim()).unwrap();
        let mut keys = KeysManager::new();
        keys.add_key(bergshamra_keys::loader::load_x509_cert_der(&der).unwrap());
        let results = bergshamra_dsig::verify::verify_all(&DsigContext::new(keys), xml).unwrap();
        !results.is_empty() && results.iter().all(VerifyResult::is_valid)
    }

    #[test]
    fn a_signature_the_library_accepts_out_of_place_is_still_refused() {
        // Control: the response's signature where it belongs is valid for both.
        assert!(library_says_valid(SIGNED_RESPONSE));
        check(SIGNED_RESPONSE).unwrap();
        let sig_start = SIGNED_RESPONSE.find("<ds:Signature").unwrap();
        let sig_end = SIGNED_RESPONSE.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let sig = &SIGNED_RESPONSE[sig_start..sig_end];
        let without = SIGNED_RESPONSE.replace(sig, "");
        // The Response's signature moved into the Assertion: the enveloped
        // transform drops it wherever it sits, and the library lets a
        // reference name the document element from anywhere.
        let subject_at = without.find("<saml:Subject>").unwrap();
        let mut in_assertion = without.clone();
        in_assertion.insert_str(subject_at, sig);
        assert!(library_says_valid(&in_assertion));
        assert!(refused(&in_assertion).contains("reference is not the signed element"));
        // Deeper still, inside the Subject: not a child of what it signs.
        let name_id_at = without.find("<saml:NameID").unwrap();
        let mut in_subject = without.clone();
        in_subject.insert_str(name_id_at, sig);
        assert!(library_says_valid(&in_subject));
        assert!(refused(&in_subject).contains("not on the Response or the Assertion"));
    }

    #[test]
    fn a_dtd_is_refused_before_anything_is_read() {
        let xxe = SIGNED_ASSERTION.replacen(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
            1,
        );
        assert!(refused(&xxe).contains("not well-formed"));
    }

    #[test]
    fn time_and_audience_are_checked() {
        assert!(matches!(
            check_at(SIGNED_ASSERTION, ISSUED + 300 + LEEWAY, AWS_AUDIENCES),
            Err(Rejection::Expired(_))
        ));
        // Within the leeway on either side.
        check_at(SIGNED_ASSERTION, ISSUED + 299 + LEEWAY, AWS_AUDIENCES).unwrap();
        check_at(SIGNED_ASSERTION, ISSUED - 60 - LEEWAY, AWS_AUDIENCES).unwrap();
        assert!(matches!(
            check_at(SIGNED_ASSERTION, ISSUED - 61 - LEEWAY, AWS_AUDIENCES),
            Err(Rejection::Expired(_))
        ));
        assert_eq!(
            check_at(
                SIGNED_ASSERTION,
                ISSUED + 60,
                &["https://other.example.com"]
            )
            .unwrap_err(),
            invalid("Response does not contain the required audience")
        );
    }

    #[test]
    fn encrypted_assertions_decrypt_with_every_accepted_algorithm_and_verify() {
        // AES-256-GCM and OAEP (MGF1-SHA-1) signed on the assertion, on the
        // response (over the ciphertext), both (AES-128-GCM, OAEP 1.1 with
        // SHA-256 and MGF1-SHA-256), and AES-CBC 256 and 128.
        for (xml, id) in [
            (ENCRYPTED_SIGNED_ASSERTION, "_a_encrypted_signed_assertion"),
            (ENCRYPTED_SIGNED_RESPONSE, "_a_encrypted_signed_response"),
            (ENCRYPTED_SIGNED_BOTH, "_a_encrypted_signed_both"),
            (ENCRYPTED_CBC, "_a_encrypted_cbc"),
            (ENCRYPTED_CBC128_OAEP11, "_a_encrypted_cbc128_oaep11"),
        ] {
            assert!(!xml.contains("alice"), "the fixture is not encrypted");
            let a = check(xml).unwrap_or_else(|e| panic!("{id}: {e:?}"));
            assert_alice(&a);
            assert_eq!(a.id, id);
        }
    }

    #[test]
    fn either_of_two_keys_decrypts_and_a_wrong_or_missing_key_does_not() {
        assert_eq!(
            check_with(ENCRYPTED_SIGNED_ASSERTION, &[OTHER_KEY], false).unwrap_err(),
            undecryptable()
        );
        assert_eq!(
            check_with(ENCRYPTED_SIGNED_ASSERTION, &[], false).unwrap_err(),
            undecryptable()
        );
        // Rotation: the right key second, or first.
        check_with(ENCRYPTED_SIGNED_ASSERTION, &[OTHER_KEY, SP_KEY], false).unwrap();
        check_with(ENCRYPTED_SIGNED_ASSERTION, &[SP_KEY, OTHER_KEY], false).unwrap();
        // A key that is no key is skipped, not fatal.
        check_with(ENCRYPTED_SIGNED_ASSERTION, &["not a key", SP_KEY], false).unwrap();
    }

    #[test]
    fn mode_required_refuses_a_plain_assertion() {
        assert_eq!(
            check_with(SIGNED_ASSERTION, &[SP_KEY], true).unwrap_err(),
            invalid("The SAML provider requires encrypted assertions")
        );
        // Controls: Allowed takes it, Required takes the encrypted one.
        check_with(SIGNED_ASSERTION, &[SP_KEY], false).unwrap();
        check_with(ENCRYPTED_SIGNED_ASSERTION, &[SP_KEY], true).unwrap();
    }

    #[test]
    fn pkcs1_v1_5_key_transport_is_refused_before_decryption() {
        // Same shape as the accepted fixture but for the transport.
        assert!(refused(ENCRYPTED_RSA15).contains("unsupported key transport"));
        check(ENCRYPTED_SIGNED_ASSERTION).unwrap();
    }

    #[test]
    fn other_algorithms_and_key_sources_are_refused_before_decryption() {
        let xml = ENCRYPTED_SIGNED_ASSERTION;
        let content = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
        assert!(xml.contains(content));
        let other = xml.replace(content, "http://www.w3.org/2001/04/xmlenc#aes192-cbc");
        assert!(refused(&other).contains("unsupported encryption method"));
        let other = xml.replace(content, "http://www.w3.org/2001/04/xmlenc#tripledes-cbc");
        assert!(refused(&other).contains("unsupported encryption method"));
        // A ciphertext to fetch instead of an inline one.
        let value = last_element(xml, "xenc:CipherValue");
        let fetched = format!(
            "{}<xenc:CipherReference URI=\"#_r\"/>{}",
            &xml[..value.start],
            &xml[value.end..]
        );
        assert!(refused(&fetched).contains("not inline"));
        // A key by name (the library would look it up) instead of an EncryptedKey.
        let key_info = element(xml, "ds:KeyInfo");
        let named = format!(
            "{}<ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:KeyName>k</ds:KeyName></ds:KeyInfo>{}",
            &xml[..key_info.start],
            &xml[key_info.end..]
        );
        assert!(refused(&named).contains("unsupported key information"));
        // Control: untouched, it decrypts.
        check(xml).unwrap();
    }

    /// The bytes of the first element `name` (as written, prefix included) in `xml`, tags included.
    fn element(xml: &str, name: &str) -> std::ops::Range<usize> {
        let close = format!("</{name}>");
        xml.find(&format!("<{name}")).unwrap()..xml.find(&close).unwrap() + close.len()
    }

    /// [`element`] for the last one.
    fn last_element(xml: &str, name: &str) -> std::ops::Range<usize> {
        let close = format!("</{name}>");
        xml.rfind(&format!("<{name}")).unwrap()..xml.rfind(&close).unwrap() + close.len()
    }

    /// `xml` with its EncryptedKey moved beside the EncryptedData, named by a
    /// RetrievalMethod (the "peer" placement of OpenSAML-based IdPs).
    fn with_peer_key(xml: &str, uri: &str) -> String {
        let key_info = element(xml, "ds:KeyInfo");
        let key = xml[element(xml, "xenc:EncryptedKey")].replacen(
            "<xenc:EncryptedKey",
            "<xenc:EncryptedKey xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\" Id=\"_k1\"",
            1,
        );
        let retrieval = format!(
            "<ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:RetrievalMethod Type=\"http://www.w3.org/2001/04/xmlenc#EncryptedKey\" URI=\"{uri}\"/></ds:KeyInfo>"
        );
        let moved = format!(
            "{}{retrieval}{}",
            &xml[..key_info.start],
            &xml[key_info.end..]
        );
        moved.replace(
            "</xenc:EncryptedData></saml:EncryptedAssertion>",
            &format!("</xenc:EncryptedData>{key}</saml:EncryptedAssertion>"),
        )
    }

    #[test]
    fn a_peer_encrypted_key_named_by_a_retrieval_method_decrypts() {
        assert_alice(&check(&with_peer_key(ENCRYPTED_SIGNED_ASSERTION, "#_k1")).unwrap());
        // Naming something else than the peer key is refused.
        let elsewhere = with_peer_key(ENCRYPTED_SIGNED_ASSERTION, "#_other");
        assert!(refused(&elsewhere).contains("unsupported key information"));
    }

    #[test]
    fn the_decrypted_assertion_must_be_signed_unless_the_response_is() {
        assert_eq!(check(ENCRYPTED_UNSIGNED).unwrap_err(), undecryptable());
        // Controls: signed inside, or the response signed over the ciphertext.
        check(ENCRYPTED_SIGNED_ASSERTION).unwrap();
        check(ENCRYPTED_SIGNED_RESPONSE).unwrap();
    }

    /// The base64 text of the EncryptedData's own CipherValue (the last one).
    fn with_ciphertext_byte_flipped(xml: &str, from_end: usize) -> String {
        let start = xml.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
        let end = xml.rfind("</xenc:CipherValue>").unwrap();
        let compact: String = xml[start..end].split_whitespace().collect();
        let mut bytes = STANDARD.decode(compact).unwrap();
        let at = bytes.len() - from_end;
        bytes[at] ^= 1;
        format!("{}{}{}", &xml[..start], STANDARD.encode(bytes), &xml[end..])
    }

    #[test]
    fn a_changed_ciphertext_is_refused_with_one_text() {
        // GCM: the tag fails. CBC: the padding or the plaintext breaks, and
        // which one is not told (no padding oracle).
        for xml in [ENCRYPTED_SIGNED_ASSERTION, ENCRYPTED_CBC] {
            for from_end in [1, 17, 40] {
                let changed = with_ciphertext_byte_flipped(xml, from_end);
                assert_eq!(check(&changed).unwrap_err(), undecryptable());
            }
            check(xml).unwrap();
        }
        // Under a Response signature the change breaks that first.
        let changed = with_ciphertext_byte_flipped(ENCRYPTED_SIGNED_RESPONSE, 1);
        assert_eq!(check(&changed).unwrap_err(), bad_signature());
    }

    /// The plain signed assertion of the SIGNED_ASSERTION fixture.
    fn plain_signed_assertion() -> &'static str {
        let start = SIGNED_ASSERTION.find("<saml:Assertion").unwrap();
        let end = SIGNED_ASSERTION.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        &SIGNED_ASSERTION[start..end]
    }

    #[test]
    fn a_plain_assertion_beside_an_encrypted_one_is_refused() {
        for xml in [ENCRYPTED_SIGNED_ASSERTION, ENCRYPTED_SIGNED_RESPONSE] {
            // Before or after the EncryptedAssertion, or inside it.
            let before = xml.replacen(
                "<saml:EncryptedAssertion>",
                &format!("{}<saml:EncryptedAssertion>", plain_signed_assertion()),
                1,
            );
            assert!(refused(&before).contains("exactly one Assertion"));
            let after = xml.replacen(
                "</saml:EncryptedAssertion>",
                &format!("</saml:EncryptedAssertion>{}", plain_signed_assertion()),
                1,
            );
            assert!(refused(&after).contains("exactly one Assertion"));
            let inside = xml.replacen(
                "</saml:EncryptedAssertion>",
                &format!("{}</saml:EncryptedAssertion>", plain_signed_assertion()),
                1,
            );
            assert!(refused(&inside).contains("exactly one Assertion"));
            // Control: alone, each is accepted.
            check(xml).unwrap();
        }
        check(SIGNED_ASSERTION).unwrap();
        // Two encrypted assertions.
        let start = ENCRYPTED_SIGNED_ASSERTION
            .find("<saml:EncryptedAssertion>")
            .unwrap();
        let end = ENCRYPTED_SIGNED_ASSERTION
            .find("</saml:EncryptedAssertion>")
            .unwrap()
            + "</saml:EncryptedAssertion>".len();
        let one = &ENCRYPTED_SIGNED_ASSERTION[start..end];
        let two = ENCRYPTED_SIGNED_ASSERTION.replacen(one, &format!("{one}{one}"), 1);
        assert!(refused(&two).contains("exactly one Assertion"));
    }

    #[test]
    fn the_response_signature_is_not_moved_onto_an_assertion_encrypted_by_anyone() {
        // The SP's public key is public: anyone can encrypt an assertion to
        // it. An unsigned assertion of the attacker's, encrypted, in place of
        // the response-signed one, keeping the Response's signature: the
        // signature no longer matches.
        let start = ENCRYPTED_SIGNED_RESPONSE
            .find("<saml:EncryptedAssertion>")
            .unwrap();
        let end = ENCRYPTED_SIGNED_RESPONSE
            .find("</saml:EncryptedAssertion>")
            .unwrap()
            + "</saml:EncryptedAssertion>".len();
        let unsigned_start = ENCRYPTED_UNSIGNED
            .find("<saml:EncryptedAssertion>")
            .unwrap();
        let unsigned_end = ENCRYPTED_UNSIGNED
            .find("</saml:EncryptedAssertion>")
            .unwrap()
            + "</saml:EncryptedAssertion>".len();
        let swapped = format!(
            "{}{}{}",
            &ENCRYPTED_SIGNED_RESPONSE[..start],
            &ENCRYPTED_UNSIGNED[unsigned_start..unsigned_end],
            &ENCRYPTED_SIGNED_RESPONSE[end..]
        );
        assert_eq!(check(&swapped).unwrap_err(), bad_signature());
        check(ENCRYPTED_SIGNED_RESPONSE).unwrap();
    }

    /// `plaintext` encrypted to the SP's public key as an attacker can (the
    /// key is public), in place of the EncryptedData of an assertion-signed
    /// fixture (the Response unsigned).
    fn attacker_encrypted(plaintext: &str) -> String {
        const TEMPLATE: &str = r#"<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/><xenc:CipherData><xenc:CipherValue></xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue></xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>"#;
        let mut keys = KeysManager::new();
        keys.add_key(bergshamra_keys::loader::load_rsa_private_pem(SP_KEY.as_bytes()).unwrap());
        let data = bergshamra_enc::encrypt::encrypt(
            &EncContext::new(keys),
            TEMPLATE,
            plaintext.as_bytes(),
        )
        .unwrap();
        let xml = ENCRYPTED_SIGNED_ASSERTION;
        let encrypted = element(xml, "xenc:EncryptedData");
        format!("{}{data}{}", &xml[..encrypted.start], &xml[encrypted.end..])
    }

    #[test]
    fn a_plaintext_that_breaks_out_of_its_place_is_refused() {
        // Control: an IdP-signed assertion, encrypted by anyone, is as good
        // as the same assertion sent plain.
        assert_alice(&check(&attacker_encrypted(plain_signed_assertion())).unwrap());
        // The plaintext closes the EncryptedAssertion and puts the signed
        // assertion beside its own unsigned one, or hides the signed one in
        // a second EncryptedAssertion.
        let evil = evil_assertion("_evil");
        let escapes = [
            format!(
                "{evil}</saml:EncryptedAssertion>{}<saml:EncryptedAssertion>",
                plain_signed_assertion()
            ),
            format!(
                "{}</saml:EncryptedAssertion><saml:EncryptedAssertion>{evil}",
                plain_signed_assertion()
            ),
            format!("{}{evil}", plain_signed_assertion()),
        ];
        for plaintext in escapes {
            let xml = attacker_encrypted(&plaintext);
            assert_eq!(check(&xml).unwrap_err(), undecryptable());
            assert!(why_decrypted_is_refused(&xml).contains("exactly one"));
        }
        // The attacker's own assertion alone, unsigned, and with a DTD.
        let xml = attacker_encrypted(&evil);
        assert_eq!(check(&xml).unwrap_err(), undecryptable());
        assert!(why_decrypted_is_refused(&xml).contains("not signed"));
        let dtd = format!(
            "<!DOCTYPE r [<!ENTITY x \"y\">]>{}",
            plain_signed_assertion()
        );
        let xml = attacker_encrypted(&dtd);
        assert_eq!(check(&xml).unwrap_err(), undecryptable());
        assert!(why_decrypted_is_refused(&xml).contains("not well-formed"));
    }

    /// The reason behind the one text, as logged at debug level.
    fn why_decrypted_is_refused(xml: &str) -> String {
        let (doc, response) = parse_response(xml).unwrap();
        let decrypted = decrypt_assertion(xml, &doc, response, &[SP_KEY]).unwrap();
        let certs = vec![STANDARD.decode(CERT.trim()).unwrap()];
        let expect = Expectations {
            issuer: "https://idp.example.com/saml",
            certificates: &certs,
            audiences: AWS_AUDIENCES,
            recipients: AWS_RECIPIENTS,
            now: ISSUED + 60,
            decryption_keys: &[],
            encryption_required: false,
        };
        match verify_decrypted(&decrypted, false, &expect) {
            Err(Rejection::Invalid(t) | Rejection::Expired(t) | Rejection::Rejected(t)) => t,
            Ok(a) => panic!("accepted: {a:?}"),
        }
    }
}
