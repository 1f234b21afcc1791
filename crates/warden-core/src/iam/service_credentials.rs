//! Service-specific credentials of IAM users (a user name and password for
//! one service: CodeCommit's HTTPS Git, Amazon Keyspaces):
//! CreateServiceSpecificCredential, ListServiceSpecificCredentials,
//! ResetServiceSpecificCredential, UpdateServiceSpecificCredential,
//! DeleteServiceSpecificCredential.
//!
//! The password is shown once, by Create and Reset, and stored only sealed
//! under the master key (AAD = the credential id), as access-key secrets
//! are. Warden serves neither CodeCommit nor Keyspaces, so nothing ever
//! opens it: it authenticates no warden call (the credential id is no
//! access key id, and the password is no key's secret).
//!
//! Recorded AWS answers (LocalStack's AWS-validated snapshot
//! `tests/aws/services/iam/test_iam.snapshot.json`,
//! `TestIAMServiceSpecificCredentials`, recorded 06-03-2025): the
//! `<user>-at-<account>` service user name, NoSuchEntity for an unsupported
//! service ("No such service X is supported for Service Specific
//! Credentials") and an unknown id ("No such credential X exists"), the user
//! checked before the service, DeleteUser's DeleteConflict.

use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::keys::access_key_id_for;
use crate::iam::users::find_user;
use crate::iam::Iam;
use crate::model::{now_epoch, Epoch, KeyStatus};
use crate::page::{paginate, Page, PageQuery};
use crate::state::{Change, Kind, State};

/// The services AWS answers password credentials for. Bedrock's and
/// CloudWatch Logs' API keys (an alias and a secret, with an expiry) are a
/// different shape that warden does not model yet; they are refused as AWS
/// refuses a service it does not support.
pub const SUPPORTED_SERVICES: &[&str] = &["codecommit.amazonaws.com", "cassandra.amazonaws.com"];

/// "You can have a maximum of two sets of service-specific credentials for
/// each supported service per user" (CreateServiceSpecificCredential).
pub const CREDENTIALS_PER_USER_PER_SERVICE: usize = 2;

/// A user's credential for one service, stored under `(account, id)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCredential {
    /// `ACCA` + 17 upper-case base32 characters.
    pub id: String,
    /// The owning account.
    pub account: String,
    /// The owner's unique id (`AIDA...`), so a renamed user keeps them.
    pub user_id: String,
    /// The service, e.g. `codecommit.amazonaws.com`.
    pub service: String,
    /// `<user name>-at-<account>`, fixed when created (the name the
    /// service's clients log in with).
    pub service_user_name: String,
    /// Active or Inactive.
    pub status: KeyStatus,
    /// When it was created.
    pub created: Epoch,
    /// The password sealed under the master key (AAD = the id). The only
    /// form in which it is kept.
    pub sealed_password: String,
}

/// A credential as an operation answers it.
#[derive(Debug, Clone)]
pub struct ServiceCredentialView {
    /// The stored credential.
    pub credential: ServiceCredential,
    /// The owning user's name as created.
    pub user_name: String,
    /// The password in the clear: only from Create and Reset.
    pub password: Option<crypto::Secret>,
}

/// Whether the user (by unique id) holds any service credential: DeleteUser's conflict.
pub(crate) fn user_has_service_credentials(s: &State, account: &str, user_id: &str) -> bool {
    credentials_of(s, account).any(|c| c.user_id == user_id)
}

fn credentials_of<'a>(
    s: &'a State,
    account: &'a str,
) -> impl Iterator<Item = &'a ServiceCredential> + 'a {
    s.service_credentials
        .range((account.to_string(), String::new())..)
        .take_while(move |((a, _), _)| a == account)
        .map(|(_, c)| c)
}

fn check_service(service: &str) -> Result<()> {
    if SUPPORTED_SERVICES.contains(&service) {
        Ok(())
    } else {
        Err(CoreError::NoSuchEntity(format!(
            "No such service {service} is supported for Service Specific Credentials"
        )))
    }
}

fn find_credential<'a>(
    s: &'a State,
    account: &str,
    user_id: &str,
    id: &str,
) -> Result<&'a ServiceCredential> {
    s.service_credentials
        .get(&(account.to_string(), id.to_string()))
        .filter(|c| c.user_id == user_id)
        .ok_or_else(|| CoreError::NoSuchEntity(format!("No such credential {id} exists")))
}

/// `ACCA` + 17 base32 characters, 21 in all (LocalStack's recorded ids and
/// its example `ACCAQAAAAAAAPBAFQJI5W`): the access-key layout's 16 (which
/// carry the account) and one more random one.
fn new_credential_id(account: &str) -> String {
    let key = access_key_id_for(account, false);
    let extra = crypto::random_id("");
    format!("ACCA{}{}", &key[4..], &extra[..1])
}

/// A new password: 59 characters of `A-Za-z0-9/+` and a final `=`, 60 in
/// all, the shape LocalStack gives AWS's (its snapshot masks the value).
fn new_password() -> crypto::Secret {
    let a = crypto::new_secret_access_key();
    let b = crypto::new_secret_access_key();
    let mut bytes = Vec::with_capacity(60);
    bytes.extend_from_slice(a.expose());
    bytes.extend_from_slice(&b.expose()[..19]);
    bytes.push(b'=');
    crypto::Secret::new(bytes)
}

impl Iam<'_> {
    /// CreateServiceSpecificCredential: a new active credential and its
    /// password; NoSuchEntity for an unknown user, then for a service AWS
    /// does not support; LimitExceeded past two for the user and service.
    pub fn create_service_specific_credential(
        &self,
        user_name: &str,
        service: &str,
    ) -> Result<ServiceCredentialView> {
        let account = self.account;
        self.warden.write(|s| {
            let user = find_user(s, account, user_name)?;
            check_service(service)?;
            let held = credentials_of(s, account)
                .filter(|c| c.user_id == user.id && c.service == service)
                .count();
            if held >= CREDENTIALS_PER_USER_PER_SERVICE {
                return Err(CoreError::LimitExceeded(format!(
                    "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {CREDENTIALS_PER_USER_PER_SERVICE}"
                )));
            }
            let id = loop {
                let id = new_credential_id(account);
                if !s
                    .service_credentials
                    .contains_key(&(account.to_string(), id.clone()))
                {
                    break id;
                }
            };
            let password = new_password();
            let credential = ServiceCredential {
                sealed_password: self.warden.master_key().seal(password.expose(), id.as_bytes()),
                id,
                account: account.to_string(),
                user_id: user.id.clone(),
                service: service.to_string(),
                service_user_name: format!("{}-at-{account}", user.name),
                status: KeyStatus::Active,
                created: now_epoch(),
            };
            let view = ServiceCredentialView {
                credential: credential.clone(),
                user_name: user.name.clone(),
                password: Some(password),
            };
            Ok((vec![Change::ServiceCredential(credential)], view))
        })
    }

    /// ListServiceSpecificCredentials: the user's credentials (never their
    /// passwords), of one service if `service` is given, in id order.
    pub fn list_service_specific_credentials(
        &self,
        user_name: &str,
        service: Option<&str>,
        query: PageQuery,
    ) -> Result<Page<ServiceCredentialView>> {
        let s = self.warden.read();
        let user = find_user(&s, self.account, user_name)?;
        if let Some(service) = service {
            check_service(service)?;
        }
        let items = credentials_of(&s, self.account)
            .filter(|c| c.user_id == user.id && service.is_none_or(|w| c.service == w))
            .map(|c| ServiceCredentialView {
                credential: c.clone(),
                user_name: user.name.clone(),
                password: None,
            });
        paginate(items, |v| v.credential.id.clone(), query)
    }

    /// ResetServiceSpecificCredential: a new password (the old one stops
    /// being the credential's at once); the status is kept.
    pub fn reset_service_specific_credential(
        &self,
        user_name: &str,
        id: &str,
    ) -> Result<ServiceCredentialView> {
        let account = self.account;
        self.warden.write(|s| {
            let user = find_user(s, account, user_name)?;
            let mut credential = find_credential(s, account, &user.id, id)?.clone();
            let password = new_password();
            credential.sealed_password = self
                .warden
                .master_key()
                .seal(password.expose(), credential.id.as_bytes());
            let view = ServiceCredentialView {
                credential: credential.clone(),
                user_name: user.name.clone(),
                password: Some(password),
            };
            Ok((vec![Change::ServiceCredential(credential)], view))
        })
    }

    /// UpdateServiceSpecificCredential: sets the status.
    pub fn update_service_specific_credential(
        &self,
        user_name: &str,
        id: &str,
        status: KeyStatus,
    ) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let user = find_user(s, account, user_name)?;
            let mut credential = find_credential(s, account, &user.id, id)?.clone();
            credential.status = status;
            Ok((vec![Change::ServiceCredential(credential)], ()))
        })
    }

    /// DeleteServiceSpecificCredential.
    pub fn delete_service_specific_credential(&self, user_name: &str, id: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let user = find_user(s, account, user_name)?;
            find_credential(s, account, &user.id, id)?;
            Ok((
                vec![Change::Delete(
                    Kind::ServiceCredential,
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
    fn ids_are_acca_and_17_base32_characters_carrying_the_account() {
        let id = new_credential_id("123456789012");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("ACCA"));
        assert!(id[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        let as_key = format!("AKIA{}", &id[4..20]);
        assert_eq!(
            crate::iam::keys::account_of_key_id(&as_key).as_deref(),
            Some("123456789012")
        );
    }

    #[test]
    fn passwords_are_60_characters_ending_in_equals_and_differ() {
        let a = new_password();
        let b = new_password();
        let text = a.expose_str().unwrap();
        assert_eq!(text.len(), 60);
        assert!(text.ends_with('='));
        assert!(text[..59]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'/' || c == b'+'));
        assert_ne!(a.expose(), b.expose());
        assert_eq!(format!("{a:?}"), "Secret(***)");
    }

    #[test]
    fn the_password_is_kept_only_sealed_to_its_id_and_reset_replaces_it() {
        let w = crate::Warden::in_memory_for_tests("123456789012").unwrap();
        let iam = w.iam("123456789012");
        iam.create_user(crate::iam::users::NewUser {
            name: "alice".into(),
            ..Default::default()
        })
        .unwrap();
        let made = iam
            .create_service_specific_credential("ALICE", "codecommit.amazonaws.com")
            .unwrap();
        let shown = made.password.clone().unwrap();
        let stored = w
            .read()
            .service_credentials
            .get(&("123456789012".to_string(), made.credential.id.clone()))
            .cloned()
            .unwrap();
        assert_eq!(stored.service_user_name, "alice-at-123456789012");
        let stored_text = serde_json::to_string(&stored).unwrap();
        assert!(!stored_text.contains(shown.expose_str().unwrap()));
        let opened = w
            .master_key()
            .open(&stored.sealed_password, stored.id.as_bytes())
            .unwrap();
        assert_eq!(opened.expose(), shown.expose());
        // Sealed to its own id: under another id it does not open.
        assert!(w
            .master_key()
            .open(&stored.sealed_password, b"ACCAOTHERIDXXXXXXXXXX")
            .is_err());

        let reset = iam
            .reset_service_specific_credential("alice", &made.credential.id)
            .unwrap();
        let new = reset.password.unwrap();
        assert_ne!(new.expose(), shown.expose());
        let listed = iam
            .list_service_specific_credentials("alice", None, PageQuery::default())
            .unwrap();
        assert!(listed.items.iter().all(|v| v.password.is_none()));
        let stored = listed.items[0].credential.sealed_password.clone();
        let opened = w
            .master_key()
            .open(&stored, made.credential.id.as_bytes())
            .unwrap();
        assert_eq!(opened.expose(), new.expose());
    }

    #[test]
    fn only_codecommit_and_keyspaces_are_supported() {
        assert!(check_service("codecommit.amazonaws.com").is_ok());
        assert!(check_service("cassandra.amazonaws.com").is_ok());
        let err = check_service("lambda.amazonaws.com").unwrap_err();
        assert_eq!(
            err.to_string(),
            "No such service lambda.amazonaws.com is supported for Service Specific Credentials"
        );
    }
}
