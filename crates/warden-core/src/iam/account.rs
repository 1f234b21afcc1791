//! Accounts: creation with a root user, root credentials, aliases, the
//! password policy and the account summary.

use std::collections::BTreeMap;

use crate::crypto::{self, Secret};
use crate::error::{CoreError, Result};
use crate::iam::Iam;
use crate::model::{now_epoch, AccessKey, Account, KeyStatus, PasswordPolicy};
use crate::state::Change;
use crate::Warden;

/// Creates the account (and so its root user) if it does not exist yet.
/// Returns true when it was created.
pub fn ensure_account(w: &Warden, account: &str) -> Result<bool> {
    w.write(|s| {
        if s.accounts.contains_key(account) {
            return Ok((vec![], false));
        }
        let acct = Account {
            id: account.to_string(),
            created: now_epoch(),
            alias: None,
            password_policy: None,
            root_access: None,
        };
        Ok((vec![Change::Account(acct)], true))
    })
}

impl Iam<'_> {
    /// Gives the root user of the account the long-term key `key_id`/`secret`.
    /// Idempotent for the same pair; a different secret for an existing id is
    /// refused rather than silently replaced.
    pub fn install_root_key(&self, key_id: &str, secret: &str) -> Result<()> {
        let account = self.account;
        if !crypto::is_valid_access_key_id(key_id) || secret.len() < 16 {
            return Err(CoreError::InvalidInput(
                "root access key id must be 16-128 characters of [A-Z0-9] and the secret at least 16 characters"
                    .to_string(),
            ));
        }
        self.warden.write(|s| {
            if let Some(existing) = s.access_keys.get(key_id) {
                if existing.user.is_none()
                    && existing.account == account
                    && existing.secret.expose() == secret.as_bytes()
                {
                    return Ok((vec![], ()));
                }
                return Err(CoreError::EntityAlreadyExists(format!(
                    "Access key {key_id} already exists with other settings."
                )));
            }
            let key = AccessKey {
                id: key_id.to_string(),
                account: account.to_string(),
                user: None,
                status: KeyStatus::Active,
                created: now_epoch(),
                sealed_secret: self
                    .warden
                    .master_key()
                    .seal(secret.as_bytes(), key_id.as_bytes()),
                secret: Secret::from(secret.as_bytes().to_vec()),
            };
            Ok((vec![Change::AccessKey(key)], ()))
        })
    }

    /// Whether any long-term key exists for the root user of the account.
    pub fn root_has_keys(&self) -> bool {
        !self.warden.read().keys_of(self.account, None).is_empty()
    }

    fn account_record(&self) -> Result<Account> {
        let account = self.account;
        self.warden
            .read()
            .accounts
            .get(account)
            .cloned()
            .ok_or_else(|| CoreError::Internal(format!("account {account} is missing")))
    }

    fn update_account(&self, f: impl FnOnce(&mut Account) -> Result<()>) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let mut acct = s
                .accounts
                .get(account)
                .cloned()
                .ok_or_else(|| CoreError::Internal(format!("account {account} is missing")))?;
            f(&mut acct)?;
            Ok((vec![Change::Account(acct)], ()))
        })
    }

    /// CreateAccountAlias: sets the account's one alias; EntityAlreadyExists if another account
    /// holds it.
    pub fn create_account_alias(&self, alias: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            // Aliases are unique across every account, as on AWS.
            if s.accounts
                .values()
                .any(|a| a.alias.as_deref() == Some(alias) && a.id != account)
            {
                return Err(CoreError::EntityAlreadyExists(format!(
                    "The account alias {alias} already exists."
                )));
            }
            let mut acct = s
                .accounts
                .get(account)
                .cloned()
                .ok_or_else(|| CoreError::Internal(format!("account {account} is missing")))?;
            acct.alias = Some(alias.to_string());
            Ok((vec![Change::Account(acct)], ()))
        })
    }

    /// DeleteAccountAlias: removes `alias`; NoSuchEntity unless it is the account's alias.
    pub fn delete_account_alias(&self, alias: &str) -> Result<()> {
        self.update_account(|a| {
            if a.alias.as_deref() != Some(alias) {
                return Err(CoreError::NoSuchEntity(format!(
                    "The account alias {alias} cannot be found."
                )));
            }
            a.alias = None;
            Ok(())
        })
    }

    /// ListAccountAliases: the account's alias, if set (AWS allows at most one).
    pub fn account_aliases(&self) -> Result<Vec<String>> {
        Ok(self.account_record()?.alias.into_iter().collect())
    }

    /// GetAccountPasswordPolicy; NoSuchEntity when the account has none (AWS then applies its
    /// default).
    pub fn password_policy(&self) -> Result<PasswordPolicy> {
        self.account_record()?.password_policy.ok_or_else(|| {
            CoreError::NoSuchEntity(format!(
                "The Password Policy with domain name {} cannot be found.",
                self.account
            ))
        })
    }

    /// UpdateAccountPasswordPolicy: replaces the whole policy; the minimum length must be 6 to 128.
    pub fn update_password_policy(&self, policy: PasswordPolicy) -> Result<()> {
        if let Some(n) = policy.minimum_password_length {
            if !(6..=128).contains(&n) {
                return Err(CoreError::ValidationError(format!(
                    "1 validation error detected: Value '{n}' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value {}",
                    if n < 6 { "greater than or equal to 6" } else { "less than or equal to 128" }
                )));
            }
        }
        self.update_account(|a| {
            a.password_policy = Some(policy);
            Ok(())
        })
    }

    /// DeleteAccountPasswordPolicy; NoSuchEntity when there is none.
    pub fn delete_password_policy(&self) -> Result<()> {
        self.update_account(|a| {
            if a.password_policy.take().is_none() {
                return Err(CoreError::NoSuchEntity(
                    "The account policy with name PasswordPolicy cannot be found.".to_string(),
                ));
            }
            Ok(())
        })
    }

    /// GetAccountSummary's map: usage counts and the quotas warden enforces.
    pub fn account_summary(&self) -> BTreeMap<&'static str, i32> {
        let account = self.account;
        let s = self.warden.read();
        let users = s.users_of(account).count() as i32;
        let groups = s.groups_of(account).count() as i32;
        let mfa_in_use = s.mfa_of(account).filter(|m| m.user.is_some()).count() as i32;
        let mfa = s.mfa_of(account).count() as i32;
        let root_keys = s.keys_of(account, None).len() as i32;
        let policies = s.policies_of(account).count() as i32;
        let versions: i32 = s
            .policies_of(account)
            .map(|p| p.versions.len() as i32)
            .sum();
        let attach_quota = self.warden.config().attached_policies_quota as i32;
        let mut m = BTreeMap::new();
        m.insert("Users", users);
        m.insert("UsersQuota", 5000);
        m.insert("Groups", groups);
        m.insert("GroupsQuota", 300);
        m.insert("GroupsPerUserQuota", 10);
        m.insert("AccessKeysPerUserQuota", 2);
        m.insert("AccountAccessKeysPresent", i32::from(root_keys > 0));
        m.insert("AccountMFAEnabled", 0);
        m.insert("MFADevices", mfa);
        m.insert("MFADevicesInUse", mfa_in_use);
        m.insert("SigningCertificatesPerUserQuota", 2);
        m.insert("ServerCertificates", 0);
        m.insert("ServerCertificatesQuota", 20);
        m.insert("Policies", policies);
        m.insert("PoliciesQuota", 1500);
        m.insert("PolicySizeQuota", 6144);
        m.insert("PolicyVersionsInUse", versions);
        m.insert("PolicyVersionsInUseQuota", 10000);
        m.insert("VersionsPerPolicyQuota", 5);
        m.insert("UserPolicySizeQuota", 2048);
        m.insert("GroupPolicySizeQuota", 5120);
        m.insert("AttachedPoliciesPerUserQuota", attach_quota);
        m.insert("AttachedPoliciesPerGroupQuota", attach_quota);
        m.insert("AttachedPoliciesPerRoleQuota", attach_quota);
        m.insert("Roles", s.roles_of(account).count() as i32);
        m.insert("RolesQuota", 1000);
        m.insert("RolePolicySizeQuota", 10240);
        m.insert(
            "InstanceProfiles",
            s.instance_profiles_of(account).count() as i32,
        );
        m.insert("InstanceProfilesQuota", 1000);
        m.insert("Providers", 0);
        m.insert("GlobalEndpointTokenVersion", 1);
        m
    }
}
