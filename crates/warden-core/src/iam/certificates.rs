//! Server certificates (an account's TLS certificates and their private
//! keys, for services that terminate HTTPS): UploadServerCertificate,
//! GetServerCertificate, ListServerCertificates, UpdateServerCertificate,
//! DeleteServerCertificate and their tags; and users' X.509 signing
//! certificates: UploadSigningCertificate, ListSigningCertificates,
//! UpdateSigningCertificate, DeleteSigningCertificate.
//!
//! A server certificate's private key is kept only sealed under the master
//! key (AAD = the certificate's id), as access-key secrets are; no operation
//! answers it and nothing in warden opens it.
//!
//! Recorded AWS answers: the server certificate NoSuchEntity text
//! (LocalStack's AWS-validated `resource_providers/test_iam.snapshot.json`,
//! `test_server_certificate`; moto's test_iam_server_certificates.py); the
//! signing certificate quota and NoSuchEntity texts (moto's AWS-verified
//! test_iam_signing_certificates.py). Parse and chain texts: see
//! [`crate::iam::x509`].

use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::users::{check_new_tags, find_user, merge_tags, remove_tags};
use crate::iam::x509;
use crate::iam::Iam;
use crate::model::{now_epoch, Epoch, KeyStatus, Tag};
use crate::page::{paginate, Page, PageQuery};
use crate::state::{name_key, Change, Kind, State};

/// AWS's default "Server certificates per account" quota (IAM quotas).
pub const SERVER_CERTIFICATES_PER_ACCOUNT: usize = 20;

/// AWS's "Signing certificates per user" quota.
pub const SIGNING_CERTIFICATES_PER_USER: usize = 2;

/// A server certificate, stored under `(account, lower-cased name)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertificate {
    /// `ASCA` + 17 upper-case base32 characters; kept across renames.
    pub id: String,
    /// The owning account.
    pub account: String,
    /// The name as uploaded or last renamed.
    pub name: String,
    /// `/` or `/.../`.
    pub path: String,
    /// The certificate as uploaded.
    pub body: String,
    /// The chain as uploaded, if any.
    pub chain: Option<String>,
    /// The private key sealed under the master key (AAD = the id). The only
    /// form in which it is kept.
    pub sealed_private_key: String,
    /// The certificate's notAfter.
    pub expiration: Epoch,
    /// When it was uploaded.
    pub uploaded: Epoch,
    /// Its tags.
    pub tags: Vec<Tag>,
}

impl ServerCertificate {
    /// `arn:aws:iam::ACCOUNT:server-certificate/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:server-certificate{}{}",
            self.account, self.path, self.name
        )
    }
}

/// A signing certificate of a user or of the account's root user, stored
/// under `(account, certificate id)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningCertificate {
    /// 32 upper-case base32 characters.
    pub id: String,
    /// The owning account.
    pub account: String,
    /// The owner's unique id (`AIDA...`), so a renamed user keeps them;
    /// `None` for the root user.
    pub user_id: Option<String>,
    /// The certificate as uploaded.
    pub body: String,
    /// The DER certificate, base64: what makes two uploads the same one.
    pub der: String,
    /// Active or Inactive.
    pub status: KeyStatus,
    /// When it was uploaded.
    pub uploaded: Epoch,
}

/// A signing certificate as an operation answers it.
#[derive(Debug, Clone)]
pub struct SigningCertificateView {
    /// The stored certificate.
    pub certificate: SigningCertificate,
    /// The owner's name as created; the account id for the root user (our
    /// choice: no recorded answer shows what AWS names there).
    pub user_name: String,
}

/// UploadServerCertificate's input.
#[derive(Debug, Clone)]
pub struct NewServerCertificate {
    /// Unique per account in any case.
    pub name: String,
    /// Defaults to `/`.
    pub path: Option<String>,
    /// One PEM certificate.
    pub body: String,
    /// The certificate's PEM private key; sealed, never kept in the clear.
    pub private_key: crypto::Secret,
    /// PEM certificates, the issuer of the certificate first.
    pub chain: Option<String>,
    /// At most 50, no key twice in any case.
    pub tags: Vec<Tag>,
}

/// Whose signing certificates an operation acts on.
#[derive(Debug, Clone, Copy)]
pub enum CertificateOwner<'a> {
    /// The IAM user of that name.
    User(&'a str),
    /// The account's root user (a root caller that names no user).
    Root,
}

/// Whether the user (by unique id) holds any signing certificate: DeleteUser's conflict.
pub(crate) fn user_has_signing_certificates(s: &State, account: &str, user_id: &str) -> bool {
    signing_of(s, account).any(|c| c.user_id.as_deref() == Some(user_id))
}

fn signing_of<'a>(s: &'a State, account: &'a str) -> impl Iterator<Item = &'a SigningCertificate> {
    s.signing_certificates
        .range((account.to_string(), String::new())..)
        .take_while(move |((a, _), _)| a == account)
        .map(|(_, c)| c)
}

pub(crate) fn server_of<'a>(
    s: &'a State,
    account: &'a str,
) -> impl Iterator<Item = &'a ServerCertificate> {
    s.server_certificates
        .range((account.to_string(), String::new())..)
        .take_while(move |((a, _), _)| a == account)
        .map(|(_, c)| c)
}

fn no_such_server_certificate(name: &str) -> CoreError {
    CoreError::NoSuchEntity(format!(
        "The Server Certificate with name {name} cannot be found."
    ))
}

fn server_certificate_exists(name: &str) -> CoreError {
    // Our text, worded as the recorded NoSuchEntity one.
    CoreError::EntityAlreadyExists(format!(
        "The Server Certificate with name {name} already exists."
    ))
}

fn find_server<'a>(s: &'a State, account: &str, name: &str) -> Result<&'a ServerCertificate> {
    s.server_certificates
        .get(&name_key(account, name))
        .ok_or_else(|| no_such_server_certificate(name))
}

/// `(owner's unique id, owner's name)`; NoSuchEntity for an unknown user.
fn owner_of(
    s: &State,
    account: &str,
    owner: CertificateOwner<'_>,
) -> Result<(Option<String>, String)> {
    match owner {
        CertificateOwner::User(name) => {
            let user = find_user(s, account, name)?;
            Ok((Some(user.id.clone()), user.name.clone()))
        }
        CertificateOwner::Root => Ok((None, account.to_string())),
    }
}

fn find_signing<'a>(
    s: &'a State,
    account: &str,
    user_id: Option<&str>,
    id: &str,
) -> Result<&'a SigningCertificate> {
    s.signing_certificates
        .get(&(account.to_string(), id.to_string()))
        .filter(|c| c.user_id.as_deref() == user_id)
        .ok_or_else(|| {
            CoreError::NoSuchEntity(format!("The Certificate with id {id} cannot be found."))
        })
}

/// 32 upper-case base32 characters: the length of real signing certificate
/// ids (the API reference's example `TA7SMP42TDN5Z26OBPJE7EXAMPLE` keeps 21
/// base32 characters of one and masks the rest).
fn new_signing_id() -> String {
    let mut id = crypto::random_id("");
    id.push_str(&crypto::random_id(""));
    id.truncate(32);
    id
}

impl Iam<'_> {
    /// The number of server certificates of the account (GetAccountSummary's
    /// `ServerCertificates`; its quotas are [`SERVER_CERTIFICATES_PER_ACCOUNT`]
    /// and [`SIGNING_CERTIFICATES_PER_USER`]).
    pub fn server_certificate_count(&self) -> usize {
        server_of(&self.warden.read(), self.account).count()
    }

    /// UploadServerCertificate: InvalidInput/LimitExceeded for bad tags,
    /// MalformedCertificate for a body, key or chain that does not parse (or
    /// a certificate outside its validity), KeyPairMismatch for another
    /// certificate's key, EntityAlreadyExists for a taken name,
    /// LimitExceeded past [`SERVER_CERTIFICATES_PER_ACCOUNT`].
    pub fn upload_server_certificate(
        &self,
        req: NewServerCertificate,
    ) -> Result<ServerCertificate> {
        let account = self.account;
        check_new_tags(&req.tags)?;
        let cert = x509::parse_body(&req.body, now_epoch())?;
        let key_text = req.private_key.expose_str().ok_or_else(x509::unparsable)?;
        x509::check_private_key(&cert, key_text)?;
        if let Some(chain) = &req.chain {
            x509::check_chain(&cert, chain)?;
        }
        self.warden.write(|s| {
            if s.server_certificates.contains_key(&name_key(account, &req.name)) {
                return Err(server_certificate_exists(&req.name));
            }
            if server_of(s, account).count() >= SERVER_CERTIFICATES_PER_ACCOUNT {
                // Our text, in the form of AWS's recorded quota texts.
                return Err(CoreError::LimitExceeded(format!(
                    "Cannot exceed quota for ServerCertificatesPerAccount: {SERVER_CERTIFICATES_PER_ACCOUNT}"
                )));
            }
            let id = loop {
                let id = crypto::random_id("ASCA");
                if !server_of(s, account).any(|c| c.id == id) {
                    break id;
                }
            };
            let sealed_private_key = self
                .warden
                .master_key()
                .seal(req.private_key.expose(), id.as_bytes());
            let stored = ServerCertificate {
                id,
                account: account.to_string(),
                name: req.name.clone(),
                path: req.path.clone().unwrap_or_else(|| "/".to_string()),
                body: req.body.clone(),
                chain: req.chain.clone(),
                sealed_private_key,
                expiration: cert.not_after,
                uploaded: now_epoch(),
                tags: req.tags.clone(),
            };
            Ok((vec![Change::ServerCertificate(stored.clone())], stored))
        })
    }

    /// GetServerCertificate (the private key stays sealed).
    pub fn server_certificate(&self, name: &str) -> Result<ServerCertificate> {
        find_server(&self.warden.read(), self.account, name).cloned()
    }

    /// ListServerCertificates: those whose path starts with `path_prefix`, by name.
    pub fn list_server_certificates(
        &self,
        path_prefix: Option<&str>,
        query: PageQuery,
    ) -> Result<Page<ServerCertificate>> {
        let s = self.warden.read();
        let prefix = path_prefix.unwrap_or("/");
        let items = server_of(&s, self.account)
            .filter(|c| c.path.starts_with(prefix))
            .cloned();
        paginate(items, |c| c.name.to_lowercase(), query)
    }

    /// UpdateServerCertificate: a new name and/or path; the id, tags and
    /// key stay. EntityAlreadyExists when the new name is another
    /// certificate's.
    pub fn update_server_certificate(
        &self,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let mut cert = find_server(s, account, name)?.clone();
            let old_key = name_key(account, &cert.name);
            let mut changes = Vec::new();
            if let Some(new_name) = new_name {
                let new_key = name_key(account, new_name);
                if new_key != old_key {
                    if s.server_certificates.contains_key(&new_key) {
                        return Err(server_certificate_exists(new_name));
                    }
                    changes.push(Change::Delete(Kind::ServerCertificate, old_key));
                }
                cert.name = new_name.to_string();
            }
            if let Some(path) = new_path {
                cert.path = path.to_string();
            }
            changes.push(Change::ServerCertificate(cert));
            Ok((changes, ()))
        })
    }

    /// DeleteServerCertificate.
    pub fn delete_server_certificate(&self, name: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let cert = find_server(s, account, name)?;
            Ok((
                vec![Change::Delete(
                    Kind::ServerCertificate,
                    name_key(account, &cert.name),
                )],
                (),
            ))
        })
    }

    /// TagServerCertificate (`tags`) and UntagServerCertificate (`remove`).
    pub fn tag_server_certificate(
        &self,
        name: &str,
        tags: &[Tag],
        remove: &[String],
    ) -> Result<()> {
        self.warden.write(|s| {
            let mut cert = find_server(s, self.account, name)?.clone();
            merge_tags(&mut cert.tags, tags)?;
            remove_tags(&mut cert.tags, remove);
            Ok((vec![Change::ServerCertificate(cert)], ()))
        })
    }

    /// UploadSigningCertificate: a new active certificate of `owner`;
    /// NoSuchEntity for an unknown user (checked first, as AWS does),
    /// MalformedCertificate for a body that is not one valid certificate,
    /// DuplicateCertificate for a certificate already held in the account,
    /// LimitExceeded past [`SIGNING_CERTIFICATES_PER_USER`].
    pub fn upload_signing_certificate(
        &self,
        owner: CertificateOwner<'_>,
        body: &str,
    ) -> Result<SigningCertificateView> {
        use base64::Engine;
        let account = self.account;
        // Parsed outside the write; its error waits for the user check.
        let parsed = x509::parse_body(body, now_epoch())
            .map(|c| base64::engine::general_purpose::STANDARD.encode(&c.der));
        self.warden.write(|s| {
            let (user_id, user_name) = owner_of(s, account, owner)?;
            let der = parsed?;
            if signing_of(s, account).any(|c| c.der == der) {
                // Our text, from the API reference's description of the error.
                return Err(CoreError::DuplicateCertificate(
                    "The request was rejected because the same certificate is associated with an IAM user in the account.".to_string(),
                ));
            }
            let held = signing_of(s, account)
                .filter(|c| c.user_id == user_id)
                .count();
            if held >= SIGNING_CERTIFICATES_PER_USER {
                return Err(CoreError::LimitExceeded(format!(
                    "Cannot exceed quota for CertificatesPerUser: {SIGNING_CERTIFICATES_PER_USER}"
                )));
            }
            let id = loop {
                let id = new_signing_id();
                if !s
                    .signing_certificates
                    .contains_key(&(account.to_string(), id.clone()))
                {
                    break id;
                }
            };
            let certificate = SigningCertificate {
                id,
                account: account.to_string(),
                user_id,
                body: body.to_string(),
                der,
                status: KeyStatus::Active,
                uploaded: now_epoch(),
            };
            let view = SigningCertificateView {
                certificate: certificate.clone(),
                user_name,
            };
            Ok((vec![Change::SigningCertificate(certificate)], view))
        })
    }

    /// ListSigningCertificates: the owner's certificates, by id.
    pub fn list_signing_certificates(
        &self,
        owner: CertificateOwner<'_>,
        query: PageQuery,
    ) -> Result<Page<SigningCertificateView>> {
        let s = self.warden.read();
        let (user_id, user_name) = owner_of(&s, self.account, owner)?;
        let items = signing_of(&s, self.account)
            .filter(|c| c.user_id == user_id)
            .map(|c| SigningCertificateView {
                certificate: c.clone(),
                user_name: user_name.clone(),
            });
        paginate(items, |v| v.certificate.id.clone(), query)
    }

    /// UpdateSigningCertificate: sets the status.
    pub fn update_signing_certificate(
        &self,
        owner: CertificateOwner<'_>,
        id: &str,
        status: KeyStatus,
    ) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let (user_id, _) = owner_of(s, account, owner)?;
            let mut cert = find_signing(s, account, user_id.as_deref(), id)?.clone();
            cert.status = status;
            Ok((vec![Change::SigningCertificate(cert)], ()))
        })
    }

    /// DeleteSigningCertificate.
    pub fn delete_signing_certificate(&self, owner: CertificateOwner<'_>, id: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let (user_id, _) = owner_of(s, account, owner)?;
            find_signing(s, account, user_id.as_deref(), id)?;
            Ok((
                vec![Change::Delete(
                    Kind::SigningCertificate,
                    (account.to_string(), id.to_string()),
                )],
                (),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_ids_are_32_base32_characters() {
        let id = new_signing_id();
        assert_eq!(id.len(), 32);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert_ne!(id, new_signing_id());
    }

    #[test]
    fn server_certificate_arns_carry_the_path() {
        let c = ServerCertificate {
            id: "ASCA".into(),
            account: "123456789012".into(),
            name: "web".into(),
            path: "/cloudfront/prod/".into(),
            body: String::new(),
            chain: None,
            sealed_private_key: String::new(),
            expiration: 0,
            uploaded: 0,
            tags: vec![],
        };
        assert_eq!(
            c.arn(),
            "arn:aws:iam::123456789012:server-certificate/cloudfront/prod/web"
        );
    }
}
