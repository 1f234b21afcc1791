//! Verifying a SAML 2.0 `Response` for AssumeRoleWithSAML: its XML
//! signature against the provider's metadata certificates, and the
//! assertion's conditions, subject and attributes.
//!
//! Why hand-written, on `roxmltree`: no maintained pure-Rust XML-DSig crate
//! exists (`samael` binds libxmlsec1 through C, `xmlsec` likewise), and a C
//! XML stack is what the project keeps out. The part written here is kept
//! to the least XML-DSig that SAML IdPs use, and is strict about shape,
//! which is what defeats signature wrapping:
//!
//! - the document is parsed with DTDs refused (no entities, no XXE);
//! - every `ID` in the document is unique, there is exactly one
//!   `Assertion`, a direct child of the `Response`, and no
//!   `EncryptedAssertion` (not supported yet);
//! - a signature counts only as a direct child of the element it signs
//!   (the `Response` or the `Assertion`), with exactly one `Reference` whose
//!   `URI` is `#` + that element's `ID`, and only the enveloped-signature
//!   and exclusive-c14n transforms; so the element whose digest was checked
//!   is the element every value is then read from;
//! - every such signature present must verify, and at least one must be;
//! - keys come only from the provider's metadata; `KeyInfo` is ignored;
//! - NameID and attribute values are read across all their text nodes,
//!   as canonicalization sees them, so a comment cannot cut a value short.
//!
//! Algorithms: RSA PKCS#1 v1.5 with SHA-256, SHA-384, SHA-512 and SHA-1
//! (AWS accepts SHA-1 signed responses from older IdPs, so warden does
//! too); digests of the same family; exclusive XML canonicalization 1.0
//! without comments (with an `InclusiveNamespaces` prefix list).

use std::collections::{BTreeMap, HashSet};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use roxmltree::{Document, Node, NodeId, ParsingOptions};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::{BigUint, RsaPublicKey};
use sha2::Digest;

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

fn is(node: Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| is(*n, ns, name))
}

fn only_child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Result<Node<'a, 'i>, Rejection> {
    let mut it = node.children().filter(|n| is(*n, ns, name));
    match (it.next(), it.next()) {
        (Some(n), None) => Ok(n),
        _ => Err(Rejection::Invalid(format!(
            "Invalid SAML response: expected exactly one {name}"
        ))),
    }
}

/// All the text of an element, as canonicalization sees it (comments and
/// processing instructions dropped, every text node joined).
pub fn text_of(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

fn time(value: &str) -> Result<Epoch, Rejection> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| invalid("Invalid SAML response: a time is not an xs:dateTime"))
}

/// Verifies a SAML `Response` document.
pub fn verify_response(xml: &str, expect: &Expectations<'_>) -> Result<Assertion, Rejection> {
    let doc = Document::parse_with_options(
        xml,
        ParsingOptions {
            allow_dtd: false,
            ..ParsingOptions::default()
        },
    )
    .map_err(|_| invalid("Invalid SAML response: not well-formed XML"))?;
    let response = doc.root_element();
    if !is(response, SAMLP_NS, "Response") || response.attribute("Version") != Some("2.0") {
        return Err(invalid(
            "Invalid SAML response: the root is not a SAML 2.0 Response",
        ));
    }
    // Every ID once: a reference must name exactly one element.
    let mut ids = HashSet::new();
    for n in doc.descendants().filter(Node::is_element) {
        for a in n
            .attributes()
            .filter(|a| a.name() == "ID" && a.namespace().is_none())
        {
            if !ids.insert(a.value()) {
                return Err(invalid("Invalid SAML response: duplicate ID"));
            }
        }
    }
    if doc
        .descendants()
        .any(|n| is(n, SAML_NS, "EncryptedAssertion"))
    {
        return Err(invalid(
            "Encrypted assertions are not supported by this provider",
        ));
    }
    let assertions: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| is(*n, SAML_NS, "Assertion"))
        .collect();
    let [assertion] = assertions[..] else {
        return Err(invalid(
            "Invalid SAML response: expected exactly one Assertion",
        ));
    };
    if assertion.parent() != Some(response) {
        return Err(invalid(
            "Invalid SAML response: the Assertion is not the Response's child",
        ));
    }
    let status = only_child(response, SAMLP_NS, "Status")?;
    let code = only_child(status, SAMLP_NS, "StatusCode")?;
    if code.attribute("Value") != Some(SUCCESS) {
        // Our text: the IdP's own status, not a fault of the response.
        return Err(Rejection::Rejected(
            "The identity provider reported that authentication failed".to_string(),
        ));
    }

    // The signatures: each present must verify, one at least must exist.
    let mut signed = false;
    for target in [response, assertion] {
        let mut sigs = target.children().filter(|n| is(*n, DS_NS, "Signature"));
        if let Some(sig) = sigs.next() {
            if sigs.next().is_some() {
                return Err(invalid(
                    "Invalid SAML response: more than one signature on an element",
                ));
            }
            verify_enveloped(xml, sig, target, expect.certificates)?;
            signed = true;
        }
    }
    if !signed {
        return Err(invalid(
            "Response signature invalid: the response is not signed",
        ));
    }

    if let Some(dest) = response.attribute("Destination") {
        if !expect.recipients.contains(&dest) {
            return Err(invalid(
                "Invalid SAML response: Destination is not this service",
            ));
        }
    }
    let issuer = text_of(only_child(assertion, SAML_NS, "Issuer")?);
    if issuer.trim() != expect.issuer {
        return Err(invalid(
            "Issuer not present in specified provider (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlInvalidSamlResponseException)",
        ));
    }
    let id = assertion
        .attribute("ID")
        .ok_or_else(|| invalid("Invalid SAML response: the Assertion has no ID"))?;
    let now = expect.now;

    let subject = only_child(assertion, SAML_NS, "Subject")?;
    let name_id = only_child(subject, SAML_NS, "NameID")?;
    let mut bearers = subject
        .children()
        .filter(|n| is(*n, SAML_NS, "SubjectConfirmation"))
        .filter(|n| n.attribute("Method") == Some(BEARER));
    let (Some(bearer), None) = (bearers.next(), bearers.next()) else {
        return Err(invalid(
            "Invalid SAML response: expected exactly one bearer SubjectConfirmation",
        ));
    };
    let data = only_child(bearer, SAML_NS, "SubjectConfirmationData")?;
    let recipient = data
        .attribute("Recipient")
        .filter(|r| expect.recipients.contains(r))
        .ok_or_else(|| invalid("Invalid SAML response: the Recipient is not this service"))?;
    let confirm_until =
        time(data.attribute("NotOnOrAfter").ok_or_else(|| {
            invalid("Invalid SAML response: the confirmation has no NotOnOrAfter")
        })?)?;
    if let Some(nb) = data.attribute("NotBefore") {
        if time(nb)? > now + LEEWAY {
            return Err(Rejection::Expired("Assertion is not yet valid".to_string()));
        }
    }

    let conditions = only_child(assertion, SAML_NS, "Conditions")?;
    let mut until = confirm_until;
    if let Some(v) = conditions.attribute("NotOnOrAfter") {
        until = until.min(time(v)?);
    }
    if let Some(v) = conditions.attribute("NotBefore") {
        if time(v)? > now + LEEWAY {
            return Err(Rejection::Expired("Assertion is not yet valid".to_string()));
        }
    }
    if now >= until + LEEWAY {
        return Err(Rejection::Expired("Assertion has expired".to_string()));
    }
    // Every AudienceRestriction must name us (SAML core 2.5.1.4), and there must be one.
    let restrictions: Vec<Node<'_, '_>> = conditions
        .children()
        .filter(|n| is(*n, SAML_NS, "AudienceRestriction"))
        .collect();
    let names_us = |r: &Node<'_, '_>| {
        r.children()
            .filter(|n| is(*n, SAML_NS, "Audience"))
            .any(|a| expect.audiences.contains(&text_of(a).trim()))
    };
    if restrictions.is_empty() || !restrictions.iter().all(names_us) {
        return Err(invalid("Response does not contain the required audience"));
    }

    let session_not_on_or_after = match child(assertion, SAML_NS, "AuthnStatement")
        .and_then(|a| a.attribute("SessionNotOnOrAfter"))
    {
        Some(v) => Some(time(v)?),
        None => None,
    };
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in assertion
        .children()
        .filter(|n| is(*n, SAML_NS, "AttributeStatement"))
    {
        for attr in statement
            .children()
            .filter(|n| is(*n, SAML_NS, "Attribute"))
        {
            let Some(name) = attr.attribute("Name") else {
                continue;
            };
            let values = attr
                .children()
                .filter(|n| is(*n, SAML_NS, "AttributeValue"))
                .map(|v| text_of(v).trim().to_string());
            attributes
                .entry(name.to_string())
                .or_default()
                .extend(values);
        }
    }
    Ok(Assertion {
        id: id.to_string(),
        issuer: issuer.trim().to_string(),
        subject: text_of(name_id).trim().to_string(),
        subject_format: name_id.attribute("Format").map(str::to_string),
        recipient: recipient.to_string(),
        not_on_or_after: until,
        session_not_on_or_after,
        attributes,
    })
}

/// The digest or signature hash an algorithm URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn of_digest(uri: &str) -> Option<Hash> {
        match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => Some(Hash::Sha1),
            "http://www.w3.org/2001/04/xmlenc#sha256" => Some(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Some(Hash::Sha384),
            "http://www.w3.org/2001/04/xmlenc#sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn of_signature(uri: &str) -> Option<Hash> {
        match uri {
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => Some(Hash::Sha1),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Some(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Some(Hash::Sha384),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    fn pkcs1(self) -> Pkcs1v15Sign {
        match self {
            Hash::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
            Hash::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
            Hash::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
            Hash::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
        }
    }
}

fn bad_signature() -> Rejection {
    invalid("Response signature invalid")
}

/// The `InclusiveNamespaces PrefixList` of an exclusive-c14n element.
fn prefix_list(method: Node<'_, '_>) -> Vec<String> {
    method
        .children()
        .find(|n| is(*n, EXC_C14N, "InclusiveNamespaces"))
        .and_then(|n| n.attribute("PrefixList"))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Checks an enveloped signature `sig`, a direct child of `target`, that
/// must sign exactly `target`.
fn verify_enveloped(
    xml: &str,
    sig: Node<'_, '_>,
    target: Node<'_, '_>,
    certificates: &[Vec<u8>],
) -> Result<(), Rejection> {
    let signed_info = only_child(sig, DS_NS, "SignedInfo")?;
    let c14n = only_child(signed_info, DS_NS, "CanonicalizationMethod")?;
    if c14n.attribute("Algorithm") != Some(EXC_C14N) {
        return Err(invalid(
            "Response signature invalid: unsupported canonicalization",
        ));
    }
    let method = only_child(signed_info, DS_NS, "SignatureMethod")?
        .attribute("Algorithm")
        .and_then(Hash::of_signature)
        .ok_or_else(|| invalid("Response signature invalid: unsupported signature method"))?;
    let reference = only_child(signed_info, DS_NS, "Reference")?;
    let target_id = target.attribute("ID").ok_or_else(bad_signature)?;
    if reference.attribute("URI") != Some(&format!("#{target_id}")) {
        return Err(invalid(
            "Response signature invalid: the reference is not the signed element",
        ));
    }
    let mut inclusive = Vec::new();
    if let Some(transforms) = child(reference, DS_NS, "Transforms") {
        let mut enveloped = false;
        for t in transforms.children().filter(Node::is_element) {
            match (is(t, DS_NS, "Transform"), t.attribute("Algorithm")) {
                (true, Some(ENVELOPED)) if !enveloped => enveloped = true,
                (true, Some(EXC_C14N)) => inclusive = prefix_list(t),
                _ => return Err(invalid("Response signature invalid: unsupported transform")),
            }
        }
        if !enveloped {
            return Err(invalid(
                "Response signature invalid: the signature is not enveloped",
            ));
        }
    } else {
        return Err(invalid(
            "Response signature invalid: the signature is not enveloped",
        ));
    }
    let digest_hash = only_child(reference, DS_NS, "DigestMethod")?
        .attribute("Algorithm")
        .and_then(Hash::of_digest)
        .ok_or_else(|| invalid("Response signature invalid: unsupported digest method"))?;
    let expected_digest = decode_b64(&text_of(only_child(reference, DS_NS, "DigestValue")?))?;
    let canonical = canonicalize(xml, target, Some(sig.id()), &inclusive);
    if digest_hash.digest(&canonical) != expected_digest {
        return Err(invalid(
            "Response signature invalid: the digest does not match",
        ));
    }
    let signature = decode_b64(&text_of(only_child(sig, DS_NS, "SignatureValue")?))?;
    let signed_bytes = canonicalize(xml, signed_info, None, &prefix_list(c14n));
    let hashed = method.digest(&signed_bytes);
    let verified = certificates
        .iter()
        .filter_map(|der| rsa_key(der))
        .any(|key| key.verify(method.pkcs1(), &hashed, &signature).is_ok());
    if verified {
        Ok(())
    } else {
        Err(bad_signature())
    }
}

fn decode_b64(text: &str) -> Result<Vec<u8>, Rejection> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact).map_err(|_| bad_signature())
}

/// The RSA public key of a DER certificate.
fn rsa_key(der: &[u8]) -> Option<RsaPublicKey> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    match cert.public_key().parsed().ok()? {
        x509_parser::public_key::PublicKey::RSA(k) => RsaPublicKey::new(
            BigUint::from_bytes_be(k.modulus),
            BigUint::from_bytes_be(k.exponent),
        )
        .ok(),
        _ => None,
    }
}

/// Exclusive XML canonicalization 1.0, without comments, of the subtree
/// at `top`, leaving out the subtree `omit` (the enveloped signature).
/// `inclusive` is the `InclusiveNamespaces` prefix list (`#default` for the
/// default namespace).
pub fn canonicalize(
    xml: &str,
    top: Node<'_, '_>,
    omit: Option<NodeId>,
    inclusive: &[String],
) -> Vec<u8> {
    let mut out = String::new();
    // The namespaces rendered by output ancestors: prefix ("" = default) to URI.
    let rendered: Vec<(String, String)> = Vec::new();
    element(xml, top, omit, inclusive, &rendered, &mut out);
    out.into_bytes()
}

/// An element's qualified name as written: roxmltree keeps the namespace
/// URI, not the prefix, so the prefix is read back from the source.
fn qname<'i>(xml: &'i str, node: Node<'_, '_>) -> &'i str {
    let start = node.range().start + 1;
    let rest = xml.get(start..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    &rest[..end]
}

fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map_or("", |(p, _)| p)
}

fn element(
    xml: &str,
    node: Node<'_, '_>,
    omit: Option<NodeId>,
    inclusive: &[String],
    rendered: &[(String, String)],
    out: &mut String,
) {
    let name = qname(xml, node);
    // Visibly utilized prefixes: the element's own and its prefixed attributes'.
    let mut used: Vec<String> = vec![prefix_of(name).to_string()];
    let attrs: Vec<(String, &str, Option<&str>, &str)> = node
        .attributes()
        .map(|a| {
            let q = xml.get(a.range_qname()).unwrap_or(a.name()).to_string();
            (q, a.name(), a.namespace(), a.value())
        })
        .collect();
    for (q, _, ns, _) in &attrs {
        if ns.is_some() {
            used.push(prefix_of(q).to_string());
        }
    }
    for p in inclusive {
        let p = if p == "#default" { "" } else { p.as_str() };
        if node
            .lookup_namespace_uri(Some(p).filter(|p| !p.is_empty()))
            .is_some()
        {
            used.push(p.to_string());
        }
    }
    used.sort();
    used.dedup();
    let current = |prefix: &str| -> Option<String> {
        rendered
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.clone())
    };
    let mut now_rendered = rendered.to_vec();
    let mut decls = String::new();
    for p in &used {
        let uri = if p.is_empty() {
            node.lookup_namespace_uri(None).unwrap_or("").to_string()
        } else {
            match node.lookup_namespace_uri(Some(p)) {
                Some(u) => u.to_string(),
                None => continue,
            }
        };
        let before = current(p);
        // The default namespace "" needs no declaration unless an output
        // ancestor declared another.
        let needed = if p.is_empty() {
            before.as_deref().unwrap_or("") != uri
        } else {
            before.as_deref() != Some(uri.as_str())
        };
        if needed {
            if p.is_empty() {
                decls.push_str(&format!(" xmlns=\"{}\"", escape_attr(&uri)));
            } else {
                decls.push_str(&format!(" xmlns:{p}=\"{}\"", escape_attr(&uri)));
            }
            now_rendered.push((p.clone(), uri));
        }
    }
    out.push('<');
    out.push_str(name);
    out.push_str(&decls);
    let mut sorted = attrs;
    // Unqualified attributes first, then by namespace URI and local name.
    sorted.sort_by(|a, b| (a.2.unwrap_or(""), a.1).cmp(&(b.2.unwrap_or(""), b.1)));
    for (q, _, _, v) in &sorted {
        out.push(' ');
        out.push_str(q);
        out.push_str("=\"");
        out.push_str(&escape_attr(v));
        out.push('"');
    }
    out.push('>');
    for c in node.children() {
        if Some(c.id()) == omit {
            continue;
        }
        if c.is_element() {
            element(xml, c, omit, inclusive, &now_rendered, out);
        } else if c.is_text() {
            out.push_str(&escape_text(c.text().unwrap_or("")));
        } else if let Some(pi) = c.pi() {
            out.push_str("<?");
            out.push_str(pi.target);
            if let Some(v) = pi.value {
                out.push(' ');
                out.push_str(v);
            }
            out.push_str("?>");
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape_text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\r' => o.push_str("&#xD;"),
            _ => o.push(c),
        }
    }
    o
}

fn escape_attr(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '"' => o.push_str("&quot;"),
            '\t' => o.push_str("&#x9;"),
            '\n' => o.push_str("&#xA;"),
            '\r' => o.push_str("&#xD;"),
            _ => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Responses signed by xmlsec1 (tests/e2e/saml_idp.py writes them), issued 2026-01-01T12:00:00Z
    /// for five minutes.
    const CERT: &str = include_str!("../tests/data/saml/idp_cert.b64");
    const SIGNED_ASSERTION: &str = include_str!("../tests/data/saml/signed_assertion.xml");
    const SIGNED_RESPONSE: &str = include_str!("../tests/data/saml/signed_both.xml");
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
    fn exclusive_c14n_renders_only_used_namespaces_in_order() {
        let xml = r#"<a:x xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u" a:y="2" z="1&#9;&lt;"><b:c   /><!-- gone --><d xmlns="urn:d">t&amp;&#13;</d></a:x>"#;
        let doc = Document::parse(xml).unwrap();
        let out = String::from_utf8(canonicalize(xml, doc.root_element(), None, &[])).unwrap();
        assert_eq!(
            out,
            r#"<a:x xmlns:a="urn:a" z="1&#x9;&lt;" a:y="2"><b:c xmlns:b="urn:b"></b:c><d xmlns="urn:d">t&amp;&#xD;</d></a:x>"#
        );
        // A prefix of the inclusive list is rendered where it is in scope, used or not.
        let out = String::from_utf8(canonicalize(
            xml,
            doc.root_element(),
            None,
            &["unused".into()],
        ))
        .unwrap();
        assert!(
            out.starts_with(r#"<a:x xmlns:a="urn:a" xmlns:unused="urn:u" z="#),
            "{out}"
        );
        // An element without namespace under a rendered default gets xmlns="".
        let xml = r#"<r xmlns="urn:r"><e xmlns=""/></r>"#;
        let doc = Document::parse(xml).unwrap();
        let out = String::from_utf8(canonicalize(xml, doc.root_element(), None, &[])).unwrap();
        assert_eq!(out, r#"<r xmlns="urn:r"><e xmlns=""></e></r>"#);
        // `xml:` attributes are ordinary attributes, sorted by their namespace
        // URI, and the `xml` prefix is never declared.
        let xml = r#"<r xmlns="urn:r"><v xml:lang="en" b="1">t</v></r>"#;
        let doc = Document::parse(xml).unwrap();
        let v = doc.root_element().first_element_child().unwrap();
        let out = String::from_utf8(canonicalize(xml, v, None, &[])).unwrap();
        assert_eq!(out, r#"<v xmlns="urn:r" b="1" xml:lang="en">t</v>"#);
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
    fn any_change_to_the_signed_content_breaks_the_digest() {
        let tampered = SIGNED_ASSERTION.replace("alice@example.com", "mallory@example.com");
        assert!(refused(&tampered).contains("digest"));
        let tampered = SIGNED_RESPONSE.replace("role/Dev", "role/Admin");
        assert!(refused(&tampered).contains("digest"));
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
