//! Console passwords: login profiles, ChangePassword, and the account
//! password policy that every password set must satisfy.

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::model::{now_epoch, LoginProfile, PasswordPolicy};
use crate::users::update_user_with;
use crate::Warden;

/// AWS's rule when no password policy is set: at least 8 characters from at
/// least three of upper case, lower case, digits and symbols. IAM applies a
/// default of 8 characters; we check length only, as the default policy does.
const DEFAULT_MIN_LENGTH: usize = 8;

/// Checks `password` against the account policy (or the default).
pub fn check_password(policy: Option<&PasswordPolicy>, password: &str) -> Result<()> {
    let min = policy
        .and_then(|p| p.minimum_password_length)
        .map_or(DEFAULT_MIN_LENGTH, |n| n.max(0) as usize);
    let mut unmet = Vec::new();
    if password.chars().count() < min {
        unmet.push(format!("Password should have at least {min} characters"));
    }
    if let Some(p) = policy {
        let symbol = |c: char| "!@#$%^&*()_+-=[]{}|'".contains(c);
        if p.require_symbols && !password.chars().any(symbol) {
            unmet.push("Password should have at least one symbol".to_string());
        }
        if p.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
            unmet.push("Password should have at least one number".to_string());
        }
        if p.require_uppercase_characters && !password.chars().any(|c| c.is_ascii_uppercase()) {
            unmet.push("Password should have at least one uppercase letter".to_string());
        }
        if p.require_lowercase_characters && !password.chars().any(|c| c.is_ascii_lowercase()) {
            unmet.push("Password should have at least one lowercase letter".to_string());
        }
    }
    if unmet.is_empty() {
        Ok(())
    } else {
        Err(CoreError::PasswordPolicyViolation(format!(
            "Password does not conform to the account password policy. {}",
            unmet.join(", ")
        )))
    }
}

/// AWS keeps at most this many earlier passwords for reuse prevention.
const MAX_REMEMBERED_PASSWORDS: usize = 24;

/// Refuses `password` when it matches one of the last `n` passwords
/// (the current one included), per the policy's PasswordReusePrevention.
fn check_reuse(
    policy: Option<&PasswordPolicy>,
    profile: &LoginProfile,
    password: &str,
) -> Result<()> {
    let n = policy
        .and_then(|p| p.password_reuse_prevention)
        .map_or(0, |n| n.max(0) as usize);
    let recent = std::iter::once(&profile.password_hash).chain(&profile.previous_hashes);
    if recent.take(n).any(|h| crypto::verify_password(password, h)) {
        return Err(CoreError::PasswordPolicyViolation(
            "Password does not conform to the account password policy. Password should not be one of your last passwords"
                .to_string(),
        ));
    }
    Ok(())
}

/// Makes `new_hash` the current password, remembering the old one.
fn replace_password(profile: &mut LoginProfile, new_hash: String) {
    let old = std::mem::replace(&mut profile.password_hash, new_hash);
    profile.previous_hashes.insert(0, old);
    profile.previous_hashes.truncate(MAX_REMEMBERED_PASSWORDS);
}

fn no_login_profile(user: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("Login Profile for User {user} cannot be found."))
}

impl Warden {
    fn account_policy(&self, account: &str) -> Option<PasswordPolicy> {
        self.read()
            .accounts
            .get(account)
            .and_then(|a| a.password_policy.clone())
    }

    /// Validates and hashes outside the writer lock: Argon2 is deliberately
    /// slow and must not stall other writes.
    fn new_profile(
        &self,
        account: &str,
        password: &str,
        reset_required: bool,
    ) -> Result<LoginProfile> {
        check_password(self.account_policy(account).as_ref(), password)?;
        Ok(LoginProfile {
            password_hash: crypto::hash_password(password, &self.config().password_hashing)
                .map_err(|e| CoreError::Internal(e.to_string()))?,
            created: now_epoch(),
            password_reset_required: reset_required,
            previous_hashes: Vec::new(),
        })
    }

    pub fn create_login_profile(
        &self,
        account: &str,
        user: &str,
        password: &str,
        reset_required: bool,
    ) -> Result<(String, LoginProfile)> {
        // Fail fast on a missing user or existing profile before hashing.
        {
            let s = self.read();
            let u = crate::users::find_user(&s, account, user)?;
            if u.login_profile.is_some() {
                return Err(CoreError::EntityAlreadyExists(format!(
                    "Login Profile for user {} already exists.",
                    u.name
                )));
            }
        }
        let profile = self.new_profile(account, password, reset_required)?;
        let u = update_user_with(self, account, user, |_, u| {
            if u.login_profile.is_some() {
                return Err(CoreError::EntityAlreadyExists(format!(
                    "Login Profile for user {} already exists.",
                    u.name
                )));
            }
            u.login_profile = Some(profile.clone());
            Ok(())
        })?;
        Ok((u.name, profile))
    }

    pub fn get_login_profile(&self, account: &str, user: &str) -> Result<(String, LoginProfile)> {
        let s = self.read();
        let u = crate::users::find_user(&s, account, user)?;
        let p = u
            .login_profile
            .clone()
            .ok_or_else(|| no_login_profile(&u.name))?;
        Ok((u.name.clone(), p))
    }

    /// The user's login profile and the account policy, read together.
    fn profile_and_policy(
        &self,
        account: &str,
        user: &str,
    ) -> Result<(LoginProfile, Option<PasswordPolicy>)> {
        let s = self.read();
        let u = crate::users::find_user(&s, account, user)?;
        let profile = u
            .login_profile
            .clone()
            .ok_or_else(|| no_login_profile(&u.name))?;
        let policy = s
            .accounts
            .get(account)
            .and_then(|a| a.password_policy.clone());
        Ok((profile, policy))
    }

    /// Checks and hashes `password` as the user's next one (outside the
    /// writer lock: Argon2 is slow on purpose), then stores it.
    fn set_password(
        &self,
        account: &str,
        user: &str,
        password: &str,
        reset_required: Option<bool>,
    ) -> Result<()> {
        let (current, policy) = self.profile_and_policy(account, user)?;
        check_password(policy.as_ref(), password)?;
        check_reuse(policy.as_ref(), &current, password)?;
        let hash = crypto::hash_password(password, &self.config().password_hashing)
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        update_user_with(self, account, user, |_, u| {
            let name = u.name.clone();
            let profile = u
                .login_profile
                .as_mut()
                .ok_or_else(|| no_login_profile(&name))?;
            replace_password(profile, hash);
            if let Some(r) = reset_required {
                profile.password_reset_required = r;
            }
            Ok(())
        })
        .map(|_| ())
    }

    pub fn update_login_profile(
        &self,
        account: &str,
        user: &str,
        password: Option<&str>,
        reset_required: Option<bool>,
    ) -> Result<()> {
        if let Some(password) = password {
            return self.set_password(account, user, password, reset_required);
        }
        update_user_with(self, account, user, |_, u| {
            let name = u.name.clone();
            let profile = u
                .login_profile
                .as_mut()
                .ok_or_else(|| no_login_profile(&name))?;
            if let Some(r) = reset_required {
                profile.password_reset_required = r;
            }
            Ok(())
        })
        .map(|_| ())
    }

    pub fn delete_login_profile(&self, account: &str, user: &str) -> Result<()> {
        update_user_with(self, account, user, |_, u| {
            if u.login_profile.take().is_none() {
                return Err(no_login_profile(&u.name));
            }
            Ok(())
        })
        .map(|_| ())
    }

    /// ChangePassword by the user itself: the old password must match, and
    /// the account must let users change their own passwords.
    pub fn change_password(&self, account: &str, user: &str, old: &str, new: &str) -> Result<()> {
        let (current, policy) = self.profile_and_policy(account, user)?;
        if policy
            .as_ref()
            .is_some_and(|p| !p.allow_users_to_change_password)
        {
            return Err(CoreError::AccessDenied(
                "The account password policy does not allow users to change their own passwords."
                    .to_string(),
            ));
        }
        if !crypto::verify_password(old, &current.password_hash) {
            // AWS documents no dedicated code for a wrong old password; it
            // refuses the call, so we answer AccessDenied.
            return Err(CoreError::AccessDenied(
                "The old password provided is incorrect.".to_string(),
            ));
        }
        // A successful change also clears PasswordResetRequired.
        self.set_password(account, user, new, Some(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_wants_eight_characters() {
        assert!(check_password(None, "short").is_err());
        assert!(check_password(None, "longenough").is_ok());
    }

    #[test]
    fn policy_rules_are_each_enforced() {
        let p = PasswordPolicy {
            minimum_password_length: Some(10),
            require_symbols: true,
            require_numbers: true,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            ..Default::default()
        };
        let err = check_password(Some(&p), "abc").unwrap_err().to_string();
        for part in ["10 characters", "symbol", "number", "uppercase"] {
            assert!(err.contains(part), "{err}");
        }
        assert!(check_password(Some(&p), "Abcdefg12!x").is_ok());
    }
}
