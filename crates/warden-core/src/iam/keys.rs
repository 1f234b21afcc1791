//! Long-term access keys of users and of the root user.

use parking_lot::Mutex;
use std::collections::HashMap;

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::users::find_user;
use crate::iam::Iam;
use crate::model::{now_epoch, AccessKey, Epoch, KeyLastUsed, KeyStatus};
use crate::page::{paginate, Page, PageQuery};
use crate::state::{Change, Kind, State};
use crate::Warden;

/// A new access key id (`AKIA`/`ASIA` + 16) that carries its account, as
/// AWS's do: 40 bits of account number, then 40 random bits, in base32.
/// GetAccessKeyInfo can then answer for any key, even a temporary one that
/// warden keeps no record of.
pub fn access_key_id_for(account: &str, temporary: bool) -> String {
    let number: u64 = account.parse().unwrap_or(0);
    let mut bytes = number.to_be_bytes()[3..].to_vec();
    bytes.extend(crypto::random_bytes(5));
    let prefix = if temporary { "ASIA" } else { "AKIA" };
    format!("{prefix}{}", crypto::base32_encode(&bytes))
}

/// The account encoded in a key id made by [`access_key_id_for`].
pub fn account_of_key_id(key_id: &str) -> Option<String> {
    let body = key_id
        .strip_prefix("AKIA")
        .or_else(|| key_id.strip_prefix("ASIA"))?;
    if body.len() != 16 {
        return None;
    }
    let bytes = crypto::base32_decode(body)?;
    let mut number = [0u8; 8];
    number[3..].copy_from_slice(bytes.get(..5)?);
    let number = u64::from_be_bytes(number);
    (number <= 999_999_999_999).then(|| format!("{number:012}"))
}

/// AWS's "access keys per user" quota.
pub const KEYS_PER_USER: usize = 2;

/// Whose keys: a user by name, or the account's root user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOwner<'a> {
    /// The account's root user (no user name on the request: the caller is root).
    Root,
    /// An IAM user, by name in any case.
    User(&'a str),
}

/// Resolves the owner to the lower-cased user name the keys carry.
fn owner_lower(s: &State, account: &str, owner: KeyOwner<'_>) -> Result<Option<String>> {
    match owner {
        KeyOwner::Root => Ok(None),
        KeyOwner::User(name) => Ok(Some(find_user(s, account, name)?.name.to_lowercase())),
    }
}

fn find_key<'a>(
    s: &'a State,
    account: &str,
    owner: &Option<String>,
    key_id: &str,
) -> Result<&'a AccessKey> {
    s.access_keys
        .get(key_id)
        .filter(|k| k.account == account && &k.user == owner)
        .ok_or_else(|| {
            CoreError::NoSuchEntity(format!("The Access Key with id {key_id} cannot be found."))
        })
}

/// A fresh key pair: the only time the secret leaves warden.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    /// The key, its secret in the clear.
    pub key: AccessKey,
    /// The owning user's name as created; `None` for a root key.
    pub user_name: Option<String>,
}

/// Where keys were last used, recorded on the request path without a disk
/// write per request and flushed to the store in the background.
#[derive(Debug, Default)]
pub struct LastUsedRecorder {
    pending: Mutex<HashMap<String, KeyLastUsed>>,
}

impl Iam<'_> {
    /// CreateAccessKey: a new active key and secret; LimitExceeded past [`KEYS_PER_USER`] keys.
    pub fn create_access_key(&self, owner: KeyOwner<'_>) -> Result<NewAccessKey> {
        let account = self.account;
        self.warden.write(|s| {
            let lower = owner_lower(s, account, owner)?;
            if s.keys_of(account, lower.as_deref()).len() >= KEYS_PER_USER {
                return Err(CoreError::LimitExceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}"
                )));
            }
            let id = access_key_id_for(account, false);
            let secret = crypto::new_secret_access_key();
            let key = AccessKey {
                sealed_secret: self
                    .warden
                    .master_key()
                    .seal(secret.expose(), id.as_bytes()),
                secret,
                id,
                account: account.to_string(),
                user: lower,
                status: KeyStatus::Active,
                created: now_epoch(),
            };
            let user_name = match owner {
                KeyOwner::Root => None,
                KeyOwner::User(n) => Some(find_user(s, account, n)?.name.clone()),
            };
            Ok((
                vec![Change::AccessKey(key.clone())],
                NewAccessKey { key, user_name },
            ))
        })
    }

    /// ListAccessKeys: the owner's keys (never their secrets), oldest first.
    pub fn list_access_keys(
        &self,
        owner: KeyOwner<'_>,
        query: PageQuery,
    ) -> Result<Page<AccessKey>> {
        let account = self.account;
        let s = self.warden.read();
        let lower = owner_lower(&s, account, owner)?;
        let keys: Vec<AccessKey> = s
            .keys_of(account, lower.as_deref())
            .into_iter()
            .cloned()
            .collect();
        paginate(keys, |k| format!("{:020}{}", k.created, k.id), query)
    }

    /// UpdateAccessKey: sets the key Active or Inactive; NoSuchEntity unless the owner holds it.
    pub fn update_access_key(
        &self,
        owner: KeyOwner<'_>,
        key_id: &str,
        status: KeyStatus,
    ) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let lower = owner_lower(s, account, owner)?;
            let mut key = find_key(s, account, &lower, key_id)?.clone();
            key.status = status;
            Ok((vec![Change::AccessKey(key)], ()))
        })
    }

    /// DeleteAccessKey, with its last-used record; NoSuchEntity unless the owner holds it.
    pub fn delete_access_key(&self, owner: KeyOwner<'_>, key_id: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let lower = owner_lower(s, account, owner)?;
            find_key(s, account, &lower, key_id)?;
            Ok((
                // Its last-used record goes with it.
                vec![
                    Change::Delete(Kind::AccessKey, (account.to_string(), key_id.to_string())),
                    Change::Delete(Kind::KeyLastUsed, (account.to_string(), key_id.to_string())),
                ],
                (),
            ))
        })
    }

    /// GetAccessKeyLastUsed: the owner's name (None for root) and the last
    /// use of a key of this account; NoSuchEntity for a key of no account
    /// or of another one.
    pub fn access_key_last_used(
        &self,
        key_id: &str,
    ) -> Result<(Option<String>, Option<KeyLastUsed>)> {
        let pending = self.warden.last_used.pending.lock().get(key_id).cloned();
        let s = self.warden.read();
        let key = s
            .access_keys
            .get(key_id)
            .filter(|k| k.account == self.account)
            .ok_or_else(|| {
                CoreError::NoSuchEntity(format!("The Access Key with id {key_id} cannot be found."))
            })?;
        let user = match &key.user {
            None => None,
            Some(lower) => s.user(&key.account, lower).map(|u| u.name.clone()),
        };
        let used = pending.or_else(|| s.key_last_used.get(key_id).cloned());
        Ok((user, used))
    }
}

// Key-use bookkeeping stays on the domain, beside role use
// (`Warden::record_role_use`): the request path records the use of
// whatever key signed, in any account.
impl Warden {
    /// Notes a successful use of a long-term key. Cheap: memory only.
    pub fn record_key_use(
        &self,
        key_id: &str,
        account: &str,
        service: &str,
        region: &str,
        now: Epoch,
    ) {
        self.last_used.pending.lock().insert(
            key_id.to_string(),
            KeyLastUsed {
                key_id: key_id.to_string(),
                account: account.to_string(),
                date: now,
                service: service.to_string(),
                region: region.to_string(),
            },
        );
    }

    /// Persists pending last-used records. Runs periodically and at shutdown.
    pub fn flush_key_use(&self) -> Result<()> {
        let pending: Vec<KeyLastUsed> = self
            .last_used
            .pending
            .lock()
            .drain()
            .map(|(_, v)| v)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        self.write(|s| {
            // A key deleted meanwhile has nothing left to record.
            let changes = pending
                .into_iter()
                .filter(|l| s.access_keys.contains_key(&l.key_id))
                .map(Change::KeyLastUsed)
                .collect();
            Ok((changes, ()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_carry_their_account() {
        for account in ["123456789012", "000000000001", "999999999999"] {
            for temporary in [false, true] {
                let id = access_key_id_for(account, temporary);
                assert_eq!(id.len(), 20);
                assert!(id.starts_with(if temporary { "ASIA" } else { "AKIA" }));
                assert_eq!(account_of_key_id(&id).as_deref(), Some(account));
            }
        }
        // Two keys of one account differ.
        assert_ne!(
            access_key_id_for("123456789012", false),
            access_key_id_for("123456789012", false)
        );
        // Foreign or malformed ids decode to nothing.
        assert_eq!(account_of_key_id("AKIAWARDENROOT000001"), None);
        assert_eq!(account_of_key_id("ABIAAAAAAAAAAAAAAAAA"), None);
        assert_eq!(account_of_key_id("AKIA"), None);
    }
}
