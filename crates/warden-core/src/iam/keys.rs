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

// AWS's access key id layout. AWS documents only the prefix (`AKIA` a
// long-term key, `ASIA` a temporary one). The rest is public research, not
// AWS documentation:
// - Aidan Steele, "AWS Access Key ID formats" (2020,
//   https://awsteele.com/blog/2020/09/26/aws-access-key-format.html): the 16
//   characters after the prefix are RFC 4648 base32 (A-Z, 2-7), and
//   GetAccessKeyInfo answers `609629065308` for `ASIAY34FZKBOKMUTVV7A`;
// - Tal Be'ery, "A short note on AWS KEY ID" (2020,
//   https://medium.com/@TalBeerySec/a-short-note-on-aws-key-id-f88cc4317489):
//   the 16 characters decode to 10 bytes (80 bits); the account is the first
//   6 bytes masked with `0x7fffffffff80`, shifted right by 7;
// - Pallavi Sivakumaran, WithSecure Labs, "A bitwise analysis of AWS access
//   key identifiers" (https://labs.withsecure.com/publications/a-bitwise-analysis-of-aws-access-key-identifiers.html):
//   bit 20 of the id (the first after the prefix) is the generation, 1 new
//   and 0 old; bits 21-60 are the account in new-generation ids only (old ones,
//   such as the docs' `AKIAIOSFODNN7EXAMPLE`, carry no account one can read).
// So, of the 80 bits after the prefix: bit 0 is 1, bits 1-40 are the account
// number, bits 41-79 are (for warden) random.

/// Bits after the prefix: 16 base32 characters of 5 bits.
const KEY_BODY_BITS: u32 = 80;
/// Where the account's 40 bits end, counted from the low end of the body.
const ACCOUNT_SHIFT: u32 = 39;
const ACCOUNT_MASK: u128 = (1 << 40) - 1;
const NEW_GENERATION: u128 = 1 << (KEY_BODY_BITS - 1);
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new access key id (`AKIA`/`ASIA` + 16) in AWS's layout, carrying its
/// account as AWS's new-generation ids do, so GetAccessKeyInfo answers for
/// any key, even a temporary one that warden keeps no record of.
pub fn access_key_id_for(account: &str, temporary: bool) -> String {
    let number = u128::from(account.parse::<u64>().unwrap_or(0)) & ACCOUNT_MASK;
    let mut random = [0u8; 16];
    random[11..].copy_from_slice(&crypto::random_bytes(5));
    let random = u128::from_be_bytes(random) & ((1 << ACCOUNT_SHIFT) - 1);
    let body = NEW_GENERATION | (number << ACCOUNT_SHIFT) | random;
    let prefix = if temporary { "ASIA" } else { "AKIA" };
    let mut id = String::with_capacity(20);
    id.push_str(prefix);
    for i in (0..KEY_BODY_BITS / 5).rev() {
        id.push(char::from(BASE32[((body >> (i * 5)) & 31) as usize]));
    }
    id
}

/// The 80 bits after an `AKIA`/`ASIA` prefix, if the id has AWS's shape
/// (20 characters, the rest upper-case base32).
fn key_body(key_id: &str) -> Option<u128> {
    let body = key_id
        .strip_prefix("AKIA")
        .or_else(|| key_id.strip_prefix("ASIA"))?;
    if body.len() != (KEY_BODY_BITS / 5) as usize {
        return None;
    }
    body.bytes().try_fold(0u128, |acc, c| {
        let v = BASE32.iter().position(|&b| b == c)?;
        Some((acc << 5) | v as u128)
    })
}

/// The account an access key id in AWS's layout names, for any such id,
/// warden's or AWS's own: `None` for an id of another shape and for an
/// old-generation id, which carries no readable account.
pub fn account_of_key_id(key_id: &str) -> Option<String> {
    let body = key_body(key_id)?;
    if body & NEW_GENERATION == 0 {
        return None;
    }
    let number = (body >> ACCOUNT_SHIFT) & ACCOUNT_MASK;
    (number <= 999_999_999_999).then(|| format!("{number:012}"))
}

/// The account in an id warden issued before it used AWS's layout (40 bits
/// of account number first, then 40 random bits). Only to recognise such a
/// key as warden's own after it is gone (dev mode must not take a deleted
/// key of ours for a stranger's); it names no account to anyone.
pub fn legacy_account_of_key_id(key_id: &str) -> Option<String> {
    let body = key_body(key_id)?;
    let number = body >> (KEY_BODY_BITS - 40);
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
        self.warden.write(|s| self.plan_new_key(s, owner))
    }

    /// A first access key for the root user, unless it has one: decided
    /// inside the write, so nodes starting at once on one shared database
    /// create one key between them, not one each.
    pub fn create_first_root_key(&self) -> Result<Option<NewAccessKey>> {
        self.warden.write(|s| {
            if !s.keys_of(self.account, None).is_empty() {
                return Ok((Vec::new(), None));
            }
            let (changes, key) = self.plan_new_key(s, KeyOwner::Root)?;
            Ok((changes, Some(key)))
        })
    }

    /// The change that creates a new key of `owner`, and the key.
    fn plan_new_key(&self, s: &State, owner: KeyOwner<'_>) -> Result<(Vec<Change>, NewAccessKey)> {
        let account = self.account;
        {
            let lower = owner_lower(s, account, owner)?;
            if s.keys_of(account, lower.as_deref()).len() >= KEYS_PER_USER {
                return Err(CoreError::LimitExceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}"
                )));
            }
            // 39 random bits per account: draw again on the rare clash, so a new key can never take over
            // the id (and so the map entry) of an existing one.
            let id = loop {
                let id = access_key_id_for(account, false);
                if !s.access_keys.contains_key(&id) {
                    break id;
                }
            };
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
        }
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
            // A key deleted meanwhile has nothing left to record; a later
            // use another node recorded is kept.
            let changes = pending
                .into_iter()
                .filter(|l| s.access_keys.contains_key(&l.key_id))
                .filter(|l| {
                    s.key_last_used
                        .get(&l.key_id)
                        .is_none_or(|stored| stored.date <= l.date)
                })
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
        for account in [
            "123456789012",
            "000000000001",
            "999999999999",
            "609629065308",
        ] {
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
    }

    #[test]
    fn key_ids_decode_as_aws_does() {
        // Aidan Steele's example, whose account GetAccessKeyInfo answered.
        assert_eq!(
            account_of_key_id("ASIAY34FZKBOKMUTVV7A").as_deref(),
            Some("609629065308")
        );
        // Only the first 8 characters after the prefix and the top bits of
        // the 9th carry the account: the same one whatever follows (Aidan
        // Steele: "I could completely change keyid[13:20]").
        assert_eq!(
            account_of_key_id("AKIAY34FZKBOKAAAAAAA").as_deref(),
            Some("609629065308")
        );
        // A key warden makes for that account reads as it.
        let ours = access_key_id_for("609629065308", true);
        assert_eq!(&ours[..12], "ASIAY34FZKBO");
        // Old-generation ids (first bit after the prefix 0), such as the AWS
        // docs' example, carry no readable account.
        assert_eq!(account_of_key_id("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(account_of_key_id("AKIAI44QH8DHBEXAMPLE"), None);
        // Not AWS's shape: other prefixes, lengths, letters outside base32.
        assert_eq!(account_of_key_id("AKIAWARDENROOT000001"), None);
        assert_eq!(account_of_key_id("ABIAY34FZKBOKMUTVV7A"), None);
        assert_eq!(account_of_key_id("asiay34fzkbokmutvv7a"), None);
        assert_eq!(account_of_key_id("ASIAY34FZKBOKMUTVV7"), None);
        assert_eq!(account_of_key_id("ASIAY34FZKBOKMUTVV7AA"), None);
        assert_eq!(account_of_key_id("AKIA"), None);
        assert_eq!(account_of_key_id("testing"), None);
        // 40 bits can hold more than 12 digits: not an account.
        assert_eq!(account_of_key_id("AKIA7777777777777777"), None);
    }

    #[test]
    fn legacy_key_ids_are_still_recognised_as_ours() {
        // The layout before issue 15: 40 bits of account, then 40 random bits.
        let mut bytes = 123_456_789_012u64.to_be_bytes()[3..].to_vec();
        bytes.extend([0x5a; 5]);
        let legacy = format!("AKIA{}", crypto::base32_encode(&bytes));
        assert_eq!(
            legacy_account_of_key_id(&legacy).as_deref(),
            Some("123456789012")
        );
        // A new-layout id reads differently under the legacy rule, so the
        // legacy rule is never asked what account a key names.
        let new = access_key_id_for("123456789012", false);
        assert_ne!(
            legacy_account_of_key_id(&new).as_deref(),
            Some("123456789012")
        );
    }
}
