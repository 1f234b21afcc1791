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
//!   in the document, there is exactly one `Assertion`, a direct child of
//!   the `Response`, and no `EncryptedAssertion` (not supported yet);
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

use std::collections::{BTreeMap, HashSet};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bergshamra_dsig::{DsigContext, VerifyResult};
use bergshamra_keys::KeysManager;
use uppsala::{Document, NodeId, NodeKind};

use crate::model::Epoch;

/// The SAML 2.0 assertion namespace.
pub const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// The SAML 2.0 protocol namespace.
pub const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
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

/// Verifies a SAML `Response` document.
pub fn verify_response(xml: &str, expect: &Expectations<'_>) -> Result<Assertion, Rejection> {
    let doc = uppsala::Parser::new()
        .with_forbid_dtd(true)
        .parse(xml)
        .map_err(|_| invalid("Invalid SAML response: not well-formed XML"))?;
    let response = doc
        .document_element()
        .filter(|r| is(&doc, *r, SAMLP_NS, "Response"))
        .filter(|r| attribute(&doc, *r, "Version") == Some("2.0"))
        .ok_or_else(|| invalid("Invalid SAML response: the root is not a SAML 2.0 Response"))?;
    // Every ID once: a reference must name exactly one element.
    let mut ids = HashSet::new();
    for n in elements(&doc) {
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
    if elements(&doc).any(|n| is(&doc, n, SAML_NS, "EncryptedAssertion")) {
        return Err(invalid(
            "Encrypted assertions are not supported by this provider",
        ));
    }
    let assertions: Vec<NodeId> = elements(&doc)
        .filter(|n| is(&doc, *n, SAML_NS, "Assertion"))
        .collect();
    let [assertion] = assertions[..] else {
        return Err(invalid(
            "Invalid SAML response: expected exactly one Assertion",
        ));
    };
    if doc.parent(assertion) != Some(response) {
        return Err(invalid(
            "Invalid SAML response: the Assertion is not the Response's child",
        ));
    }
    let status = only_child(&doc, response, SAMLP_NS, "Status")?;
    let code = only_child(&doc, status, SAMLP_NS, "StatusCode")?;
    if attribute(&doc, code, "Value") != Some(SUCCESS) {
        // Our text: the IdP's own status, not a fault of the response.
        return Err(Rejection::Rejected(
            "The identity provider reported that authentication failed".to_string(),
        ));
    }

    verify_signatures(xml, &doc, response, assertion, expect.certificates)?;
    read_assertion(&doc, response, assertion, expect)
}

/// The structural pre-filter on every signature, then the library's
/// verdict on each; `Ok` only when every signature is where it may be, is
/// valid, and signs exactly its parent (the `Response` or the `Assertion`).
fn verify_signatures(
    xml: &str,
    doc: &Document<'_>,
    response: NodeId,
    assertion: NodeId,
    certificates: &[Vec<u8>],
) -> Result<(), Rejection> {
    let signatures: Vec<NodeId> = elements(doc)
        .filter(|n| is(doc, *n, DS_NS, "Signature"))
        .collect();
    if signatures.is_empty() {
        return Err(invalid(
            "Response signature invalid: the response is not signed",
        ));
    }
    let mut signed = Vec::with_capacity(2);
    for &signature in &signatures {
        let target = doc
            .parent(signature)
            .filter(|p| *p == response || *p == assertion)
            .ok_or_else(|| {
                invalid("Response signature invalid: a signature is not on the Response or the Assertion")
            })?;
        if signed.contains(&target) {
            return Err(invalid(
                "Invalid SAML response: more than one signature on an element",
            ));
        }
        check_signature_shape(doc, signature, target)?;
        signed.push(target);
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
    Ok(())
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
    response: NodeId,
    assertion: NodeId,
    expect: &Expectations<'_>,
) -> Result<Assertion, Rejection> {
    if let Some(dest) = attribute(doc, response, "Destination") {
        if !expect.recipients.contains(&dest) {
            return Err(invalid(
                "Invalid SAML response: Destination is not this service",
            ));
        }
    }
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
            },
        )
    }

    fn check(xml: &str) -> Result<Assertion, Rejection> {
        check_at(xml, ISSUED + 60, AWS_AUDIENCES)
    }

    fn refused(xml: &str) -> String {
        match check(xml) {
            Err(Rejection::Invalid(t) | Rejection::Expired(t) | Rejection::Rejected(t)) => t,
            Ok(a) => panic!("accepted: {a:?}"),
        }
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
}
