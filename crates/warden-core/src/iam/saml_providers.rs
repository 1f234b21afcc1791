//! IAM SAML identity providers: CreateSAMLProvider, GetSAMLProvider,
//! UpdateSAMLProvider, ListSAMLProviders, DeleteSAMLProvider and their tags.
//!
//! The metadata document is parsed when it is given (roxmltree, which
//! refuses a DTD and so any entity, the XXE door) and what
//! AssumeRoleWithSAML needs is kept beside it: the IdP's entity id (the
//! `Issuer` its responses must carry), its signing certificates and its
//! `validUntil`. The document itself is stored and answered as given.
//!
//! Private keys for encrypted assertions (`AddPrivateKey`) are stored sealed
//! under the master key and only their ids and times are ever answered, as
//! GetSAMLProvider's `PrivateKeyList` does.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::users::{check_new_tags, merge_tags, remove_tags};
use crate::iam::{x509, Iam};
use crate::model::{now_epoch, Epoch, Tag};
use crate::state::{name_key, Change, Kind, State};

/// "SAML providers in an AWS account: 100" (IAM quotas).
pub const SAML_PROVIDERS_PER_ACCOUNT: usize = 100;

/// "Keys per SAML provider: 10" (IAM quotas): signing certificates in the metadata.
pub const SIGNING_KEYS_PER_PROVIDER: usize = 10;

/// "You can have up to two private keys at once" (UpdateSAMLProvider's
/// `AddPrivateKey`, and `PrivateKeyList`'s two members).
pub const PRIVATE_KEYS_PER_PROVIDER: usize = 2;

/// When the metadata names no `validUntil`: a century after creation, which
/// is what AWS answers for such documents (a far-future default; our choice
/// of exactly 100 years).
const DEFAULT_VALIDITY: Epoch = 100 * 365 * 24 * 3600;

const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// An IAM SAML provider, stored under `(account, lower-cased name)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlProvider {
    /// The owning account.
    pub account: String,
    /// Its name, as created (the last part of its ARN).
    pub name: String,
    /// `SAMLProviderUUID`: upper-case alphanumerics, 22–64 of them (the model's pattern).
    pub uuid: String,
    /// The metadata document, as given.
    pub metadata: String,
    /// What the metadata says: the IdP's entity id and signing certificates.
    pub idp: IdpMetadata,
    /// `Required` or `Allowed`; `None` when never set (plaintext assertions only).
    pub encryption_mode: Option<String>,
    /// Keys to decrypt assertions with, at most [`PRIVATE_KEYS_PER_PROVIDER`].
    pub private_keys: Vec<SamlPrivateKey>,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// When it was created.
    pub created: Epoch,
}

/// What AssumeRoleWithSAML needs of a metadata document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpMetadata {
    /// The `entityID`: responses must name it as their `Issuer`.
    pub entity_id: String,
    /// DER X.509 certificates of the IdP's signing keys, base64 (standard).
    pub signing_certificates: Vec<String>,
    /// The document's `validUntil`, or a century after it was given.
    pub valid_until: Epoch,
}

/// A private key for encrypted assertions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlPrivateKey {
    /// `KeyId`: upper-case alphanumerics (the model's `[A-Z0-9]+`, 22–64).
    pub id: String,
    /// The PEM key, sealed under the master key with the id as associated data.
    pub sealed: String,
    /// When it was added.
    pub added: Epoch,
}

/// CreateSAMLProvider's input.
#[derive(Debug, Clone, Default)]
pub struct NewSamlProvider {
    /// `Name`.
    pub name: String,
    /// `SAMLMetadataDocument`.
    pub metadata: String,
    /// `Tags`.
    pub tags: Vec<Tag>,
    /// `AssertionEncryptionMode` (the decoder has checked its value).
    pub encryption_mode: Option<String>,
    /// `AddPrivateKey`.
    pub private_key: Option<String>,
}

/// UpdateSAMLProvider's input, beside the ARN.
#[derive(Debug, Clone, Default)]
pub struct SamlProviderUpdate {
    /// `SAMLMetadataDocument`.
    pub metadata: Option<String>,
    /// `AssertionEncryptionMode`.
    pub encryption_mode: Option<String>,
    /// `AddPrivateKey`.
    pub add_private_key: Option<String>,
    /// `RemovePrivateKey` (a key id).
    pub remove_private_key: Option<String>,
}

impl SamlProvider {
    /// `arn:aws:iam::ACCOUNT:saml-provider/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:saml-provider/{}", self.account, self.name)
    }
}

/// AWS's answer to an unknown provider ARN, recorded by the
/// cloud-custodian/altimeter scanners' fixtures of GetSAMLProvider
/// ("Manifest not found for arn ...").
fn no_such_provider(arn: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("Manifest not found for arn {arn}"))
}

/// The text AWS answers for a document it cannot read ("Could not parse
/// metadata", as the aws CLI and console report it; IAM's SAML
/// troubleshooting page lists the causes).
fn unparsable_metadata() -> CoreError {
    CoreError::InvalidInput("Could not parse metadata".to_string())
}

/// The provider `arn` names in `account`; NoSuchEntity for any ARN that
/// does not name one of its providers (another account's, a malformed one).
fn find_provider<'a>(s: &'a State, account: &str, arn: &str) -> Result<&'a SamlProvider> {
    let name = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.strip_prefix(account))
        .and_then(|rest| rest.strip_prefix(":saml-provider/"))
        .ok_or_else(|| no_such_provider(arn))?;
    s.saml_providers
        .get(&name_key(account, name))
        .filter(|p| p.name == name)
        .ok_or_else(|| no_such_provider(arn))
}

/// The provider an ARN names, wherever its account is: AssumeRoleWithSAML's
/// look-up (the `PrincipalArn` names the role's account's provider).
pub fn provider_by_arn<'a>(s: &'a State, arn: &str) -> Option<&'a SamlProvider> {
    let account = arn.strip_prefix("arn:aws:iam::")?.split(':').next()?;
    find_provider(s, account, arn).ok()
}

/// A trust policy's `Federated` principal that names a SAML provider of an
/// account warden serves must name one that exists, as AWS checks
/// ("Invalid principal in policy", MalformedPolicyDocument, the text AWS
/// answers for any principal it cannot resolve). Other federated principals
/// (OIDC providers, `cognito-identity.amazonaws.com`, ...) pass here.
pub(crate) fn check_trusted_provider(s: &State, principal: &str) -> Result<()> {
    let Some(account) = principal
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(":saml-provider/"))
        .map(|(account, _)| account)
    else {
        return Ok(());
    };
    if s.accounts.contains_key(account) && provider_by_arn(s, principal).is_none() {
        return Err(CoreError::MalformedPolicyDocument(format!(
            "Invalid principal in policy: \"Federated\":\"{principal}\""
        )));
    }
    Ok(())
}

fn providers_of<'a>(s: &'a State, account: &'a str) -> impl Iterator<Item = &'a SamlProvider> + 'a {
    s.saml_providers
        .range((account.to_string(), String::new())..)
        .take_while(move |((a, _), _)| a == account)
        .map(|(_, p)| p)
}

/// The number of SAML providers of `account` (GetAccountSummary's `Providers`).
pub fn provider_count(s: &State, account: &str) -> usize {
    providers_of(s, account).count()
}

/// Parses a metadata document: one `md:EntityDescriptor` with an
/// `entityID` and an `md:IDPSSODescriptor` whose signing `KeyDescriptor`s
/// (those with `use="signing"` or no `use`) carry X.509 certificates.
pub fn parse_metadata(text: &str, now: Epoch) -> Result<IdpMetadata> {
    let doc = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .map_err(|_| unparsable_metadata())?;
    let root = doc.root_element();
    if !is(root, MD_NS, "EntityDescriptor") {
        return Err(unparsable_metadata());
    }
    let entity_id = root
        .attribute("entityID")
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(unparsable_metadata)?;
    let idp = root
        .children()
        .find(|n| is(*n, MD_NS, "IDPSSODescriptor"))
        .ok_or_else(unparsable_metadata)?;
    let mut signing_certificates = Vec::new();
    for key in idp.children().filter(|n| is(*n, MD_NS, "KeyDescriptor")) {
        if key.attribute("use").is_some_and(|u| u != "signing") {
            continue;
        }
        let certs = key
            .descendants()
            .filter(|n| is(*n, DS_NS, "X509Certificate"));
        for cert in certs {
            let b64: String = cert
                .text()
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let der = STANDARD.decode(&b64).map_err(|_| unparsable_metadata())?;
            check_signing_certificate(&der)?;
            let canonical = STANDARD.encode(&der);
            if !signing_certificates.contains(&canonical) {
                signing_certificates.push(canonical);
            }
        }
    }
    if signing_certificates.is_empty() {
        return Err(unparsable_metadata());
    }
    if signing_certificates.len() > SIGNING_KEYS_PER_PROVIDER {
        // Our text, in the form of AWS's recorded quota texts.
        return Err(CoreError::LimitExceeded(format!(
            "Cannot exceed quota for KeysPerSAMLProvider: {SIGNING_KEYS_PER_PROVIDER}"
        )));
    }
    let valid_until = match root.attribute("validUntil") {
        Some(t) => time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .map_err(|_| unparsable_metadata())?
            .unix_timestamp(),
        None => now + DEFAULT_VALIDITY,
    };
    Ok(IdpMetadata {
        entity_id: entity_id.to_string(),
        signing_certificates,
        valid_until,
    })
}

fn is(node: roxmltree::Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

/// A signing certificate must be one DER X.509 certificate with an RSA key
/// of at least 1024 bits (IAM's SAML troubleshooting page: "RSA keys ...
/// at least 1024 bits"); its validity period is not checked, as AWS uses
/// the key and not the certificate's dates.
fn check_signing_certificate(der: &[u8]) -> Result<()> {
    let (rest, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|_| unparsable_metadata())?;
    if !rest.is_empty() {
        return Err(unparsable_metadata());
    }
    match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(k)) if k.key_size() >= 1024 => Ok(()),
        _ => Err(unparsable_metadata()),
    }
}

fn check_private_key(pem: &str) -> Result<()> {
    if x509::is_rsa_private_key(pem) {
        Ok(())
    } else {
        // Our text: AWS's is not recorded.
        Err(CoreError::InvalidInput(
            "The private key is not a valid PEM RSA private key.".to_string(),
        ))
    }
}

/// `[A-Z0-9]`, `len` of them: the model's pattern for provider UUIDs and key ids.
fn upper_id(len: usize) -> String {
    let mut id = String::new();
    while id.len() < len {
        id.push_str(&crypto::random_id(""));
    }
    id.truncate(len);
    id.to_uppercase()
}

impl Iam<'_> {
    fn add_private_key(&self, provider: &mut SamlProvider, pem: &str) -> Result<()> {
        check_private_key(pem)?;
        if provider.private_keys.len() >= PRIVATE_KEYS_PER_PROVIDER {
            // Our text, in the form of AWS's recorded quota texts.
            return Err(CoreError::LimitExceeded(format!(
                "Cannot exceed quota for PrivateKeysPerSAMLProvider: {PRIVATE_KEYS_PER_PROVIDER}"
            )));
        }
        let id = upper_id(26);
        let sealed = self.warden.master_key().seal(pem.as_bytes(), id.as_bytes());
        provider.private_keys.push(SamlPrivateKey {
            id,
            sealed,
            added: now_epoch(),
        });
        Ok(())
    }

    /// CreateSAMLProvider: InvalidInput for a document that is not IdP
    /// metadata, bad tags or a bad private key; EntityAlreadyExists for a
    /// taken name; LimitExceeded past [`SAML_PROVIDERS_PER_ACCOUNT`].
    pub fn create_saml_provider(&self, req: NewSamlProvider) -> Result<SamlProvider> {
        let account = self.account;
        check_new_tags(&req.tags)?;
        let now = now_epoch();
        let idp = parse_metadata(&req.metadata, now)?;
        let mut provider = SamlProvider {
            account: account.to_string(),
            name: req.name.clone(),
            uuid: upper_id(26),
            metadata: req.metadata.clone(),
            idp,
            encryption_mode: req.encryption_mode.clone(),
            private_keys: Vec::new(),
            tags: req.tags.clone(),
            created: now,
        };
        if let Some(pem) = &req.private_key {
            self.add_private_key(&mut provider, pem)?;
        }
        self.warden.write(|s| {
            if s.saml_providers.contains_key(&name_key(account, &req.name)) {
                // Our text: AWS's is not recorded.
                return Err(CoreError::EntityAlreadyExists(format!(
                    "SAMLProvider with name {} already exists.",
                    req.name
                )));
            }
            if provider_count(s, account) >= SAML_PROVIDERS_PER_ACCOUNT {
                return Err(CoreError::LimitExceeded(format!(
                    "Cannot exceed quota for SAMLProvidersPerAccount: {SAML_PROVIDERS_PER_ACCOUNT}"
                )));
            }
            Ok((vec![Change::SamlProvider(provider.clone())], provider))
        })
    }

    /// GetSAMLProvider; NoSuchEntity for an ARN that names none of the account's providers.
    pub fn saml_provider(&self, arn: &str) -> Result<SamlProvider> {
        find_provider(&self.warden.read(), self.account, arn).cloned()
    }

    /// ListSAMLProviders: all of the account's, by name (the operation does not page).
    pub fn list_saml_providers(&self) -> Vec<SamlProvider> {
        providers_of(&self.warden.read(), self.account)
            .cloned()
            .collect()
    }

    /// UpdateSAMLProvider: a new document, encryption mode and/or key change.
    /// AWS asks for a key rotation in two calls ("add the new key, then
    /// remove the old one in a separate call"); a request that both adds
    /// and removes is refused, and removing an unknown key id is InvalidInput.
    pub fn update_saml_provider(
        &self,
        arn: &str,
        update: SamlProviderUpdate,
    ) -> Result<SamlProvider> {
        let account = self.account;
        if update.add_private_key.is_some() && update.remove_private_key.is_some() {
            // Our text: the UpdateSAMLProvider reference asks for separate calls.
            return Err(CoreError::InvalidInput(
                "You cannot add and remove a private key in the same request.".to_string(),
            ));
        }
        let idp = match &update.metadata {
            Some(doc) => Some(parse_metadata(doc, now_epoch())?),
            None => None,
        };
        self.warden.write(|s| {
            let mut provider = find_provider(s, account, arn)?.clone();
            if let (Some(doc), Some(idp)) = (&update.metadata, &idp) {
                provider.metadata.clone_from(doc);
                provider.idp = idp.clone();
            }
            if let Some(mode) = &update.encryption_mode {
                provider.encryption_mode = Some(mode.clone());
            }
            if let Some(pem) = &update.add_private_key {
                self.add_private_key(&mut provider, pem)?;
            }
            if let Some(id) = &update.remove_private_key {
                let before = provider.private_keys.len();
                provider.private_keys.retain(|k| &k.id != id);
                if provider.private_keys.len() == before {
                    // Our text.
                    return Err(CoreError::InvalidInput(format!(
                        "The private key with id {id} cannot be found."
                    )));
                }
            }
            if provider.encryption_mode.as_deref() == Some("Required")
                && provider.private_keys.is_empty()
            {
                // Our text: a provider that requires encrypted assertions
                // without a key to open them could never be used.
                return Err(CoreError::InvalidInput(
                    "AssertionEncryptionMode Required needs a private key.".to_string(),
                ));
            }
            Ok((vec![Change::SamlProvider(provider.clone())], provider))
        })
    }

    /// DeleteSAMLProvider; NoSuchEntity for an unknown ARN. Trust policies
    /// naming it stay as they are (later assumptions through it fail).
    pub fn delete_saml_provider(&self, arn: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let provider = find_provider(s, account, arn)?;
            Ok((
                vec![Change::Delete(
                    Kind::SamlProvider,
                    name_key(account, &provider.name),
                )],
                (),
            ))
        })
    }

    /// TagSAMLProvider (`tags`) and UntagSAMLProvider (`remove`).
    pub fn tag_saml_provider(&self, arn: &str, tags: &[Tag], remove: &[String]) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let mut provider = find_provider(s, account, arn)?.clone();
            merge_tags(&mut provider.tags, tags)?;
            remove_tags(&mut provider.tags, remove);
            Ok((vec![Change::SamlProvider(provider)], ()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed RSA-2048 certificate (`openssl req -x509 -newkey rsa:2048`).
    const CERT: &str = include_str!("../../tests/data/saml_idp_cert.b64");

    fn metadata(extra_root_attr: &str, key_descriptors: &str) -> String {
        format!(
            r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml" {extra_root_attr}>
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    {key_descriptors}
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#
        )
    }

    fn key(usage: &str) -> String {
        format!(
            "<md:KeyDescriptor {usage}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n{}\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
            CERT.trim()
        )
    }

    #[test]
    fn idp_metadata_yields_its_entity_id_signing_certificates_and_validity() {
        let doc = metadata(
            r#"validUntil="2031-01-02T03:04:05Z""#,
            &[key(r#"use="signing""#), key(r#"use="encryption""#), key("")].concat(),
        );
        let idp = parse_metadata(&doc, 0).unwrap();
        assert_eq!(idp.entity_id, "https://idp.example.com/saml");
        // The same certificate twice (signing and no `use`) is kept once.
        assert_eq!(idp.signing_certificates, vec![CERT.trim().to_string()]);
        assert_eq!(idp.valid_until, 1_925_089_445);
        assert_eq!(
            parse_metadata(&metadata("", &key("")), 10)
                .unwrap()
                .valid_until,
            10 + DEFAULT_VALIDITY
        );
    }

    #[test]
    fn documents_that_are_not_idp_metadata_are_refused() {
        let code = |doc: &str| parse_metadata(doc, 0).unwrap_err().to_string();
        let refused = "Could not parse metadata";
        assert!(code(&"a".repeat(1024)).contains(refused));
        // No signing key: only an encryption one.
        assert!(code(&metadata("", &key(r#"use="encryption""#))).contains(refused));
        // An SP's metadata, not an IdP's.
        let sp = metadata("", &key("")).replace("IDPSSODescriptor", "SPSSODescriptor");
        assert!(code(&sp).contains(refused));
        // A DTD (the door to XXE and entity expansion) is refused outright.
        let dtd = format!(
            "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}",
            metadata("", &key("")).replace("<?xml version=\"1.0\"?>", "")
        );
        assert!(code(&dtd).contains(refused));
        // A certificate that is not DER.
        let bad = metadata("", &key("")).replace(CERT.trim(), "bm90IGEgY2VydA==");
        assert!(code(&bad).contains(refused));
        assert!(code(&metadata(r#"validUntil="tomorrow""#, &key(""))).contains(refused));
        // The element must be in the metadata namespace.
        let wrong_ns = metadata("", &key("")).replace(MD_NS, "urn:example");
        assert!(code(&wrong_ns).contains(refused));
    }

    #[test]
    fn ids_follow_the_model_pattern() {
        let id = upper_id(26);
        assert_eq!(id.len(), 26);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    }
}
