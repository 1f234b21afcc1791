//! Accounts: creation with a root user, root credentials, aliases, the
//! password policy and the account summary.

use std::collections::BTreeMap;

use crate::crypto::{self, Secret};
use crate::error::{CoreError, Result};
use crate::iam::Iam;
use crate::model::{now_epoch, AccessKey, Account, KeyStatus, PasswordPolicy};
use crate::state::{Change, State};
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
            v2_global_endpoint_tokens: false,
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

    /// SetSecurityTokenServicePreferences: which token version the global STS endpoint issues
    /// (`v2`: `v2Token`, else `v1Token`), shown by GetAccountSummary.
    pub fn set_global_endpoint_token_version(&self, v2: bool) -> Result<()> {
        self.update_account(|a| {
            a.v2_global_endpoint_tokens = v2;
            Ok(())
        })
    }

    /// GetAccountSummary's map: the 34 keys AWS returns (LocalStack's snapshot recorded against
    /// AWS, test_iam_account_summary.snapshot.json, 17-02-2026), usage counted in the account,
    /// quotas at AWS's defaults or as warden enforces them.
    pub fn account_summary(&self) -> Result<BTreeMap<&'static str, i32>> {
        let account = self.account;
        let record = self.account_record()?;
        let s = self.warden.read();
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let users = count(s.users_of(account).count());
        let groups = count(s.groups_of(account).count());
        let roles = count(s.roles_of(account).count());
        let mfa = count(s.mfa_of(account).count());
        let mfa_in_use = count(s.mfa_of(account).filter(|m| m.user.is_some()).count());
        let root_keys = s.keys_of(account, None).len();
        let policies = count(s.policies_of(account).count());
        // As moto's test_get_account_summary counts it: one per managed policy attachment (a
        // policy attached to a user, a group and a role is 3), AWS's managed policies included.
        // AWS's recorded delta (one new policy attached to one role: +1) agrees.
        let versions_in_use = count(
            s.users_of(account)
                .map(|u| u.attached_policies.len())
                .chain(s.groups_of(account).map(|g| g.attached_policies.len()))
                .chain(s.roles_of(account).map(|r| r.attached_policies.len()))
                .sum(),
        );
        let attach_quota = count(self.warden.config().attached_policies_quota);
        let mut m = BTreeMap::new();
        m.insert("Users", users);
        m.insert("UsersQuota", 5000);
        m.insert("Groups", groups);
        m.insert("GroupsQuota", 300);
        m.insert("GroupsPerUserQuota", 10);
        m.insert("AccessKeysPerUserQuota", 2);
        m.insert("AccountAccessKeysPresent", i32::from(root_keys > 0));
        // The root user can hold neither an MFA device nor a console password in warden.
        m.insert("AccountMFAEnabled", 0);
        m.insert("AccountPasswordPresent", 0);
        m.insert("MFADevices", mfa);
        m.insert("MFADevicesInUse", mfa_in_use);
        m.insert("Policies", policies);
        m.insert("PoliciesQuota", 1500);
        m.insert("PolicySizeQuota", 6144);
        m.insert("PolicyVersionsInUse", versions_in_use);
        m.insert("PolicyVersionsInUseQuota", 10000);
        m.insert("VersionsPerPolicyQuota", 5);
        m.insert("UserPolicySizeQuota", 2048);
        m.insert("GroupPolicySizeQuota", 5120);
        m.insert("RolePolicySizeQuota", 10240);
        m.insert(
            "AssumeRolePolicySizeQuota",
            count(crate::iam::roles::TRUST_POLICY_QUOTA),
        );
        m.insert("AttachedPoliciesPerUserQuota", attach_quota);
        m.insert("AttachedPoliciesPerGroupQuota", attach_quota);
        m.insert("AttachedPoliciesPerRoleQuota", attach_quota);
        m.insert("Roles", roles);
        m.insert("RolesQuota", 1000);
        m.insert(
            "InstanceProfiles",
            count(s.instance_profiles_of(account).count()),
        );
        m.insert("InstanceProfilesQuota", 1000);
        // OIDC providers are counted once they are served.
        m.insert(
            "Providers",
            count(crate::iam::saml_providers::provider_count(&s, account)),
        );
        m.insert(
            "GlobalEndpointTokenVersion",
            if record.v2_global_endpoint_tokens {
                2
            } else {
                1
            },
        );
        m.extend(certificate_summary(&s, account));
        Ok(m)
    }
}

/// GetAccountSummary's certificate entries, with AWS's default quotas: the account's server
/// certificates, and whether its root user holds a signing certificate.
fn certificate_summary(s: &State, account: &str) -> [(&'static str, i32); 4] {
    use crate::iam::certificates::{
        server_of, SERVER_CERTIFICATES_PER_ACCOUNT, SIGNING_CERTIFICATES_PER_USER,
    };
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let root_signing = s
        .signing_certificates
        .range((account.to_string(), String::new())..)
        .take_while(|((a, _), _)| a == account)
        .any(|(_, c)| c.user_id.is_none());
    [
        ("ServerCertificates", count(server_of(s, account).count())),
        (
            "ServerCertificatesQuota",
            count(SERVER_CERTIFICATES_PER_ACCOUNT),
        ),
        (
            "SigningCertificatesPerUserQuota",
            count(SIGNING_CERTIFICATES_PER_USER),
        ),
        ("AccountSigningCertificatesPresent", i32::from(root_signing)),
    ]
}
