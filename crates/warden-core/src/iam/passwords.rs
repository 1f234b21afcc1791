//! Console passwords: login profiles, ChangePassword, and the account
//! password policy that every password set must satisfy.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use parking_lot::{Condvar, Mutex};

use crate::crypto::PasswordHashing;
use crate::error::{CoreError, Result};
use crate::iam::users::update_user_with;
use crate::iam::Iam;
use crate::model::{now_epoch, LoginProfile, PasswordPolicy};
use crate::state::State;

/// AWS's default password policy, which applies while the account sets none ("Set an account
/// password policy for IAM users", IAM User Guide): at least 8 characters, at least three of
/// upper case, lower case, numbers and symbols, and not the account's name or email address.
const DEFAULT_MIN_LENGTH: usize = 8;
/// How many of the four character kinds the default policy asks for.
const DEFAULT_KINDS: usize = 3;

/// The non-alphanumeric characters IAM's password policies count as symbols.
fn is_symbol(c: char) -> bool {
    "!@#$%^&*()_+-=[]{}|'".contains(c)
}

/// The four character kinds in the order AWS lists what is missing, each with AWS's phrase.
fn kinds(password: &str) -> [(bool, &'static str); 4] {
    let has = |f: fn(&char) -> bool| password.chars().any(|c| f(&c));
    [
        (
            has(char::is_ascii_uppercase),
            "Password should have at least one uppercase letter",
        ),
        (
            has(char::is_ascii_lowercase),
            "Password should have at least one lowercase letter",
        ),
        (
            has(char::is_ascii_digit),
            "Password should have at least one number",
        ),
        (
            has(|c| is_symbol(*c)),
            "Password should have at least one symbol",
        ),
    ]
}

/// Checks `password` against the account policy, or AWS's default policy when there is none;
/// `account_names` are the account's name and email address where warden knows them (an
/// Organizations member's), which the default policy refuses as passwords.
pub fn check_password(
    policy: Option<&PasswordPolicy>,
    password: &str,
    account_names: &[&str],
) -> Result<()> {
    let Some(p) = policy else {
        return check_default(password, account_names);
    };
    let min = p
        .minimum_password_length
        .map_or(DEFAULT_MIN_LENGTH, |n| usize::try_from(n).unwrap_or(0));
    let mut unmet = Vec::new();
    let short = format!("Password should have a minimum length of {min}");
    if password.chars().count() < min {
        unmet.push(short.as_str());
    }
    let [upper, lower, number, symbol] = kinds(password);
    let wanted = [
        (p.require_uppercase_characters, upper),
        (p.require_lowercase_characters, lower),
        (p.require_numbers, number),
        (p.require_symbols, symbol),
    ];
    unmet.extend(
        wanted
            .iter()
            .filter(|(required, (has, _))| *required && !has)
            .map(|(_, (_, text))| *text),
    );
    if unmet.is_empty() {
        Ok(())
    } else {
        // One unmet rule is AWS's phrase alone; several are joined as the default policy's
        // answer lists them, length first (our choice: no recording with several unmet).
        Err(CoreError::PasswordPolicyViolation(unmet.join(", ")))
    }
}

fn check_default(password: &str, account_names: &[&str]) -> Result<()> {
    if password.chars().count() < DEFAULT_MIN_LENGTH {
        // AWS's text ("Password should have a minimum length of 8" without a policy, "... of 32"
        // with one: real CLI outputs quoted in public write-ups).
        return Err(CoreError::PasswordPolicyViolation(format!(
            "Password should have a minimum length of {DEFAULT_MIN_LENGTH}"
        )));
    }
    let missing: Vec<&str> = kinds(password)
        .iter()
        .filter(|(has, _)| !has)
        .map(|(_, text)| *text)
        .collect();
    let needed = DEFAULT_KINDS.saturating_sub(4 - missing.len());
    if needed > 0 {
        // AWS's text, as a real CLI output quoted in a public script records it: "Password
        // should meet 1 more of the following requirements: Password should have at least one
        // uppercase letter, Password should have at least one symbol".
        return Err(CoreError::PasswordPolicyViolation(format!(
            "Password should meet {needed} more of the following requirements: {}",
            missing.join(", ")
        )));
    }
    if account_names
        .iter()
        .any(|n| !n.is_empty() && n.eq_ignore_ascii_case(password))
    {
        // No recording of AWS's answer was found: the text is ours.
        return Err(CoreError::PasswordPolicyViolation(
            "Password should not be the account name or email address".to_string(),
        ));
    }
    Ok(())
}

/// Argon2 work admitted at once, each with a reusable memory area.
///
/// Argon2id is memory-hard on purpose: 19 MiB per hash with the default
/// parameters. Unbounded, every concurrent ChangePassword (a wrong old
/// password costs the same as a right one) ran on its own blocking thread
/// with a fresh 19 MiB allocation, and glibc kept those freed areas in its
/// per-thread arenas: six clients drove the server past 1.5 GB that never
/// came back. Here at most one hash per core runs at a time (more would
/// only share the cores), and each runs in one of at most that many memory
/// areas that are allocated once and reused, so the peak stays at
/// cores x m_cost and nothing is freed for malloc to hold on to. Callers
/// beyond the bound wait their turn (they run on blocking threads).
struct ArgonSlots {
    max: usize,
    state: Mutex<SlotState>,
    freed: Condvar,
}

#[derive(Default)]
struct SlotState {
    /// Memory areas not in use.
    idle: Vec<Vec<Block>>,
    /// Areas handed out now.
    busy: usize,
}

/// One admitted Argon2 computation; gives its memory back when dropped.
struct Slot<'a> {
    slots: &'a ArgonSlots,
    blocks: Vec<Block>,
}

impl ArgonSlots {
    fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            state: Mutex::new(SlotState::default()),
            freed: Condvar::new(),
        }
    }

    fn take(&self) -> Slot<'_> {
        let mut state = self.state.lock();
        while state.busy >= self.max {
            self.freed.wait(&mut state);
        }
        state.busy += 1;
        let blocks = state.idle.pop().unwrap_or_default();
        Slot {
            slots: self,
            blocks,
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut state = self.slots.state.lock();
        state.idle.push(std::mem::take(&mut self.blocks));
        state.busy -= 1;
        self.slots.freed.notify_one();
    }
}

static ARGON_SLOTS: LazyLock<ArgonSlots> = LazyLock::new(|| {
    ArgonSlots::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
});

/// Argon2id over `password` in the slot's memory (grown once to the
/// parameters' size, then reused).
fn argon2id_in(
    slot: &mut Slot<'_>,
    params: &Params,
    version: Version,
    password: &[u8],
    salt: argon2::password_hash::Salt<'_>,
) -> std::result::Result<Output, argon2::password_hash::Error> {
    let argon = Argon2::new(Algorithm::Argon2id, version, params.clone());
    let need = params.block_count();
    if slot.blocks.len() < need {
        slot.blocks.resize(need, Block::default());
    }
    let mut salt_buf = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buf)?;
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let blocks = &mut slot.blocks[..need];
    Output::init_with(len, |out| {
        Ok(argon.hash_password_into_with_memory(password, salt, out, &mut *blocks)?)
    })
}

/// [`crate::crypto::hash_password`] within the bound above: the same PHC
/// string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).
fn hash_password_in(slots: &ArgonSlots, password: &str, cfg: &PasswordHashing) -> Result<String> {
    let fail = |e: &dyn std::fmt::Display| CoreError::Internal(format!("password hash: {e}"));
    let params =
        Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None).map_err(|e| fail(&e))?;
    let salt = SaltString::generate(&mut OsRng);
    let output = argon2id_in(
        &mut slots.take(),
        &params,
        Version::V0x13,
        password.as_bytes(),
        salt.as_salt(),
    )
    .map_err(|e| fail(&e))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| fail(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// [`crate::crypto::verify_password`] within the bound above. Only Argon2id
/// PHC strings match; the comparison is constant-time (`Output`'s `Eq`).
fn verify_password_in(slots: &ArgonSlots, password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    if parsed.algorithm != argon2::ARGON2ID_IDENT {
        return false;
    }
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let Ok(version) = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    argon2id_in(
        &mut slots.take(),
        &params,
        version,
        password.as_bytes(),
        salt,
    )
    .is_ok_and(|computed| computed == expected)
}

fn hash_password(password: &str, cfg: &PasswordHashing) -> Result<String> {
    hash_password_in(&ARGON_SLOTS, password, cfg)
}

fn verify_password(password: &str, phc: &str) -> bool {
    verify_password_in(&ARGON_SLOTS, password, phc)
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
    if recent.take(n).any(|h| verify_password(password, h)) {
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
    profile.password_changed = Some(crate::model::now_epoch());
}

fn no_login_profile(user: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("Login Profile for User {user} cannot be found."))
}

/// What a new password is checked against: the account's policy, if set, and the account's name
/// and email address as Organizations knows them (for AWS's default policy).
struct PasswordRules {
    policy: Option<PasswordPolicy>,
    account_names: Vec<String>,
}

impl PasswordRules {
    fn of(s: &State, account: &str) -> Self {
        let account_names = crate::orgs::organization_of(s, account)
            .and_then(|o| o.members.iter().find(|m| m.account == account))
            .map(|m| vec![m.name.clone(), m.email.clone()])
            .unwrap_or_default();
        Self {
            policy: s
                .accounts
                .get(account)
                .and_then(|a| a.password_policy.clone()),
            account_names,
        }
    }

    fn check(&self, password: &str) -> Result<()> {
        let names: Vec<&str> = self.account_names.iter().map(String::as_str).collect();
        check_password(self.policy.as_ref(), password, &names)
    }
}

impl Iam<'_> {
    /// Validates and hashes outside the writer lock: Argon2 is deliberately
    /// slow and must not stall other writes.
    fn new_profile(&self, password: &str, reset_required: bool) -> Result<LoginProfile> {
        PasswordRules::of(&self.warden.read(), self.account).check(password)?;
        Ok(LoginProfile {
            password_hash: hash_password(password, &self.warden.config().password_hashing)?,
            created: now_epoch(),
            password_reset_required: reset_required,
            previous_hashes: Vec::new(),
            password_changed: None,
        })
    }

    /// CreateLoginProfile: checks `password` against the account policy, stores its Argon2id hash;
    /// returns the user's name as created.
    pub fn create_login_profile(
        &self,
        user: &str,
        password: &str,
        reset_required: bool,
    ) -> Result<(String, LoginProfile)> {
        let account = self.account;
        // Fail fast on a missing user or existing profile before hashing.
        {
            let s = self.warden.read();
            let u = crate::iam::users::find_user(&s, account, user)?;
            if u.login_profile.is_some() {
                return Err(CoreError::EntityAlreadyExists(format!(
                    "Login Profile for user {} already exists.",
                    u.name
                )));
            }
        }
        let profile = self.new_profile(password, reset_required)?;
        let u = update_user_with(self.warden, account, user, |_, u| {
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

    /// GetLoginProfile: the user's name as created and the profile; NoSuchEntity if the user has
    /// none.
    pub fn get_login_profile(&self, user: &str) -> Result<(String, LoginProfile)> {
        let s = self.warden.read();
        let u = crate::iam::users::find_user(&s, self.account, user)?;
        let p = u
            .login_profile
            .clone()
            .ok_or_else(|| no_login_profile(&u.name))?;
        Ok((u.name.clone(), p))
    }

    /// The user's login profile and the account's password rules, read together.
    fn profile_and_rules(&self, user: &str) -> Result<(LoginProfile, PasswordRules)> {
        let account = self.account;
        let s = self.warden.read();
        let u = crate::iam::users::find_user(&s, account, user)?;
        let profile = u
            .login_profile
            .clone()
            .ok_or_else(|| no_login_profile(&u.name))?;
        Ok((profile, PasswordRules::of(&s, account)))
    }

    /// Checks and hashes `password` as the user's next one (outside the
    /// writer lock: Argon2 is slow on purpose), then stores it.
    fn set_password(&self, user: &str, password: &str, reset_required: Option<bool>) -> Result<()> {
        let (current, rules) = self.profile_and_rules(user)?;
        rules.check(password)?;
        check_reuse(rules.policy.as_ref(), &current, password)?;
        let hash = hash_password(password, &self.warden.config().password_hashing)?;
        update_user_with(self.warden, self.account, user, |_, u| {
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

    /// UpdateLoginProfile: a new password (policy and reuse checked) and/or the reset-required
    /// flag.
    pub fn update_login_profile(
        &self,
        user: &str,
        password: Option<&str>,
        reset_required: Option<bool>,
    ) -> Result<()> {
        if let Some(password) = password {
            return self.set_password(user, password, reset_required);
        }
        update_user_with(self.warden, self.account, user, |_, u| {
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

    /// DeleteLoginProfile; NoSuchEntity if the user has none.
    pub fn delete_login_profile(&self, user: &str) -> Result<()> {
        update_user_with(self.warden, self.account, user, |_, u| {
            if u.login_profile.take().is_none() {
                return Err(no_login_profile(&u.name));
            }
            Ok(())
        })
        .map(|_| ())
    }

    /// ChangePassword by the user itself: the old password must match, and
    /// the account must let users change their own passwords.
    pub fn change_password(&self, user: &str, old: &str, new: &str) -> Result<()> {
        let (current, rules) = self.profile_and_rules(user)?;
        if rules
            .policy
            .as_ref()
            .is_some_and(|p| !p.allow_users_to_change_password)
        {
            return Err(CoreError::AccessDenied(
                "The account password policy does not allow users to change their own passwords."
                    .to_string(),
            ));
        }
        if !verify_password(old, &current.password_hash) {
            // AWS documents no dedicated code for a wrong old password; it
            // refuses the call, so we answer AccessDenied.
            return Err(CoreError::AccessDenied(
                "The old password provided is incorrect.".to_string(),
            ));
        }
        // A successful change also clears PasswordResetRequired.
        self.set_password(user, new, Some(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_more_argon2_runs_at_once_than_the_bound() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let slots = ArgonSlots::new(2);
        let (inside, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..5 {
                        let _slot = slots.take();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
        // Two memory areas serve every caller.
        let state = slots.state.lock();
        assert_eq!((state.busy, state.idle.len()), (0, 2));
    }

    #[test]
    fn bounded_hashes_match_the_crypto_module_both_ways() {
        let slots = ArgonSlots::new(1);
        let small = PasswordHashing::fast_insecure();
        let larger = PasswordHashing {
            memory_kib: 256,
            iterations: 2,
            parallelism: 2,
        };
        // The second round reuses a memory area a larger hash has dirtied.
        for cfg in [small, larger, small] {
            let ours = hash_password_in(&slots, "Corr3ct horse!", &cfg).unwrap();
            let prefix = format!(
                "$argon2id$v=19$m={},t={},p={}$",
                cfg.memory_kib, cfg.iterations, cfg.parallelism
            );
            assert!(ours.starts_with(&prefix), "{ours}");
            assert!(crate::crypto::verify_password("Corr3ct horse!", &ours));
            assert!(!crate::crypto::verify_password("Corr3ct horse", &ours));
            let theirs = crate::crypto::hash_password("Corr3ct horse!", &cfg).unwrap();
            assert!(verify_password_in(&slots, "Corr3ct horse!", &theirs));
            assert!(!verify_password_in(&slots, "Corr3ct horse", &theirs));
            assert!(!verify_password_in(&slots, "", &theirs));
        }
        assert!(!verify_password_in(&slots, "x", "not a phc string"));
        let argon2i = theirs_with_algorithm("argon2i");
        assert!(!verify_password_in(&slots, "Corr3ct horse!", &argon2i));
    }

    fn theirs_with_algorithm(alg: &str) -> String {
        crate::crypto::hash_password("Corr3ct horse!", &PasswordHashing::fast_insecure())
            .unwrap()
            .replacen("argon2id", alg, 1)
    }

    fn violation(policy: Option<&PasswordPolicy>, password: &str, names: &[&str]) -> String {
        match check_password(policy, password, names) {
            Err(CoreError::PasswordPolicyViolation(m)) => m,
            other => panic!("{password}: {other:?}"),
        }
    }

    #[test]
    fn the_default_policy_is_aws_default() {
        assert_eq!(
            violation(None, "Sh0rt!", &[]),
            "Password should have a minimum length of 8"
        );
        // Two kinds of four: one more is needed, and AWS lists the missing ones.
        assert_eq!(
            violation(None, "lowercase123", &[]),
            "Password should meet 1 more of the following requirements: Password should have at least one uppercase letter, Password should have at least one symbol"
        );
        assert_eq!(
            violation(None, "longenough", &[]),
            "Password should meet 2 more of the following requirements: Password should have at least one uppercase letter, Password should have at least one number, Password should have at least one symbol"
        );
        for ok in ["Lowercase123", "lowercase12!", "LOWER-case-x", "UPPER123!"] {
            assert!(check_password(None, ok, &[]).is_ok(), "{ok}");
        }
        // Not the account's name or email, in any case.
        let names = ["Prod-Acct-1", "ops+prod@example.com"];
        for same in ["prod-acct-1", "Ops+Prod@example.com"] {
            assert_eq!(
                violation(None, same, &names),
                "Password should not be the account name or email address"
            );
        }
        assert!(check_password(None, "Prod-Acct-2", &names).is_ok());
        // A policy replaces the default: its rules only.
        let lenient = PasswordPolicy {
            minimum_password_length: Some(6),
            ..Default::default()
        };
        assert!(check_password(Some(&lenient), "simple", &names).is_ok());
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
        assert_eq!(
            violation(Some(&p), "abc", &[]),
            "Password should have a minimum length of 10, Password should have at least one uppercase letter, Password should have at least one number, Password should have at least one symbol"
        );
        assert_eq!(
            violation(Some(&p), "abcdefghijk1!", &[]),
            "Password should have at least one uppercase letter"
        );
        assert!(check_password(Some(&p), "Abcdefg12!x", &[]).is_ok());
    }
}
