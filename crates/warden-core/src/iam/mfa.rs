//! Virtual MFA devices (TOTP, RFC 6238).

use crate::crypto::{self, Secret};
use crate::error::{CoreError, Result};
use crate::failures::{monotonic_secs, FailureLimiter, FailurePolicy};
use crate::iam::users::{check_new_tags, find_user, merge_tags, remove_tags};
use crate::iam::Iam;
use crate::model::{now_epoch, Epoch, MfaDevice, Tag};
use crate::page::{paginate, Page, PageQuery};
use crate::state::{Change, Kind, State};

/// Consecutive wrong MFA codes, per device and per caller, after which
/// further attempts are refused for a while (see [`MFA_POLICY`]).
pub const MFA_MAX_FAILURES: u32 = 5;
/// Failures older than this are forgotten (seconds).
pub const MFA_FAILURE_WINDOW: u64 = 300;
/// The first lock-out (seconds); each further lock-out without a success in
/// between doubles it, up to [`MFA_MAX_LOCKOUT`].
pub const MFA_LOCKOUT: u64 = 300;
/// The longest lock-out (seconds): doubling stops at one hour.
pub const MFA_MAX_LOCKOUT: u64 = 3_600;

/// The limit on guessing TOTP codes. A 6-digit code with a ±1 step window is
/// guessed with probability 3e-6 per try; answering every try lets a holder
/// of stolen long-term keys find one in minutes. After [`MFA_MAX_FAILURES`]
/// consecutive failures within [`MFA_FAILURE_WINDOW`] a key (a device, or a
/// caller) is locked: every attempt is refused as a wrong code, even a right
/// one, until the lock-out ends. A success clears the counts of its device
/// and caller.
pub const MFA_POLICY: FailurePolicy = FailurePolicy {
    max_failures: MFA_MAX_FAILURES,
    window: MFA_FAILURE_WINDOW,
    lockout: MFA_LOCKOUT,
    max_lockout: MFA_MAX_LOCKOUT,
};

/// The limiter of every warden in this process, keyed by the warden's
/// session key id: `Warden` (lib.rs) has no slot for it yet.
fn limiter() -> &'static parking_lot::Mutex<FailureLimiter> {
    static LIMITER: std::sync::OnceLock<parking_lot::Mutex<FailureLimiter>> =
        std::sync::OnceLock::new();
    LIMITER.get_or_init(|| parking_lot::Mutex::new(FailureLimiter::new(MFA_POLICY)))
}

/// A device as first created: the seed leaves warden only here.
#[derive(Debug, Clone)]
pub struct NewVirtualMfa {
    /// The device, not yet assigned to a user.
    pub device: MfaDevice,
    /// The TOTP seed in base32, as CreateVirtualMFADevice's `Base32StringSeed` returns it.
    pub base32_seed: String,
    /// A PNG of the `otpauth://totp/NAME@ALIAS?secret=...` URI, as `QRCodePNG` returns it.
    pub qr_png: Vec<u8>,
}

/// ListVirtualMFADevices' `AssignmentStatus` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignment {
    /// Devices enabled for a user.
    Assigned,
    /// Devices not enabled for any user.
    Unassigned,
    /// Every device (AWS's default).
    Any,
}

/// What GetMFADevice answers about a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaDeviceView {
    /// The serial number (the device's ARN).
    pub serial: String,
    /// The name of the user it is enabled for, as created; `None` while unassigned.
    pub user_name: Option<String>,
    /// When it was enabled; `None` while unassigned.
    pub enable_date: Option<Epoch>,
}

fn find_device<'a>(s: &'a State, account: &str, serial: &str) -> Result<&'a MfaDevice> {
    s.mfa_devices
        .get(&(account.to_string(), serial.to_string()))
        .ok_or_else(|| {
            CoreError::NoSuchEntity(format!(
                "MFA Device with serial number {serial} does not exist."
            ))
        })
}

fn bad_code() -> CoreError {
    CoreError::InvalidAuthenticationCode("Authentication code for device is not valid.".to_string())
}

/// Renders `text` as a QR code PNG (black modules on white, 4-module quiet
/// zone), as the `QRCodePNG` of CreateVirtualMFADevice.
fn qr_png(text: &str) -> Result<Vec<u8>> {
    let code =
        qrcode::QrCode::new(text.as_bytes()).map_err(|e| CoreError::Internal(e.to_string()))?;
    let width = code.width();
    let colors = code.to_colors();
    let scale = 4usize;
    let quiet = 4usize;
    let side = (width + 2 * quiet) * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            for dy in 0..scale {
                let row = (y * scale + dy) * side;
                for dx in 0..scale {
                    pixels[row + x * scale + dx] = 0;
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc
            .write_header()
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| CoreError::Internal(e.to_string()))?;
    }
    Ok(out)
}

impl Iam<'_> {
    /// CreateVirtualMFADevice: serial `arn:aws:iam::ACCOUNT:mfa{path}{name}`, a fresh sealed seed;
    /// EntityAlreadyExists if the serial is taken.
    pub fn create_virtual_mfa_device(
        &self,
        name: &str,
        path: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<NewVirtualMfa> {
        let account = self.account;
        check_new_tags(&tags)?;
        let path = path.unwrap_or("/");
        let serial = format!("arn:aws:iam::{account}:mfa{path}{name}");
        let seed = crypto::new_totp_seed();
        let base32_seed = crypto::base32_encode(seed.expose());
        let alias = self
            .warden
            .read()
            .accounts
            .get(account)
            .and_then(|a| a.alias.clone())
            .unwrap_or_else(|| account.to_string());
        let qr = qr_png(&format!(
            "otpauth://totp/{name}@{alias}?secret={base32_seed}"
        ))?;
        self.warden.write(|s| {
            if s.mfa_devices
                .contains_key(&(account.to_string(), serial.clone()))
            {
                return Err(CoreError::EntityAlreadyExists(
                    "MFA device already exists.".to_string(),
                ));
            }
            let device = MfaDevice {
                account: account.to_string(),
                serial: serial.clone(),
                name: name.to_string(),
                path: path.to_string(),
                created: now_epoch(),
                user: None,
                enable_date: None,
                tags: tags.clone(),
                sealed_seed: self
                    .warden
                    .master_key()
                    .seal(seed.expose(), serial.as_bytes()),
                seed: seed.clone(),
                last_step: 0,
            };
            Ok((
                vec![Change::Mfa(device.clone())],
                NewVirtualMfa {
                    device,
                    base32_seed: base32_seed.clone(),
                    qr_png: qr.clone(),
                },
            ))
        })
    }

    /// Checks two consecutive codes and returns the time step of the second.
    fn two_codes(seed: &Secret, code1: &str, code2: &str, last_step: u64) -> Result<u64> {
        let step = crypto::verify_two_consecutive(seed.expose(), code1, code2, now_epoch())
            .ok_or_else(bad_code)?;
        if step <= last_step {
            return Err(bad_code());
        }
        Ok(step)
    }

    /// EnableMFADevice: assigns an unassigned device to `user` after two consecutive valid codes
    /// newer than any accepted before.
    pub fn enable_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &str,
        code2: &str,
    ) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let u = find_user(s, account, user)?;
            let mut dev = find_device(s, account, serial)?.clone();
            if dev.user.is_some() {
                return Err(CoreError::EntityAlreadyExists(
                    "MFA Device is already in use.".to_string(),
                ));
            }
            dev.last_step = Self::two_codes(&dev.seed, code1, code2, dev.last_step)?;
            dev.user = Some(u.name.to_lowercase());
            dev.enable_date = Some(now_epoch());
            Ok((vec![Change::Mfa(dev)], ()))
        })
    }

    /// ResyncMFADevice: accepts two consecutive codes again for a device the user holds, resetting
    /// its last accepted step.
    pub fn resync_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &str,
        code2: &str,
    ) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let u = find_user(s, account, user)?;
            let mut dev = find_device(s, account, serial)?.clone();
            if dev.user.as_deref() != Some(u.name.to_lowercase().as_str()) {
                return Err(CoreError::NoSuchEntity(format!(
                    "MFA Device with serial number {serial} does not exist."
                )));
            }
            dev.last_step = Self::two_codes(&dev.seed, code1, code2, 0)?;
            Ok((vec![Change::Mfa(dev)], ()))
        })
    }

    /// DeactivateMFADevice: unassigns the device from the user, who must hold it; the device itself
    /// remains.
    pub fn deactivate_mfa_device(&self, user: &str, serial: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let u = find_user(s, account, user)?;
            let mut dev = find_device(s, account, serial)?.clone();
            if dev.user.as_deref() != Some(u.name.to_lowercase().as_str()) {
                return Err(CoreError::NoSuchEntity(format!(
                    "MFA Device with serial number {serial} does not exist."
                )));
            }
            dev.user = None;
            dev.enable_date = None;
            Ok((vec![Change::Mfa(dev)], ()))
        })
    }

    /// DeleteVirtualMFADevice; DeleteConflict while the device is still assigned.
    pub fn delete_virtual_mfa_device(&self, serial: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let dev = find_device(s, account, serial)?;
            if dev.user.is_some() {
                return Err(CoreError::DeleteConflict(
                    "MFA VirtualDevice in use. Must deactivate first.".to_string(),
                ));
            }
            Ok((
                vec![Change::Delete(
                    Kind::Mfa,
                    (account.to_string(), serial.to_string()),
                )],
                (),
            ))
        })
    }

    /// GetMFADevice: the device's serial number, the name of the user it is
    /// enabled for (as created) and when; NoSuchEntity for an unknown serial
    /// and, when `user` is given, for a device that user does not hold.
    pub fn mfa_device(&self, serial: &str, user: Option<&str>) -> Result<MfaDeviceView> {
        let s = self.warden.read();
        let dev = find_device(&s, self.account, serial)?;
        if let Some(name) = user {
            let u = find_user(&s, self.account, name)?;
            if dev.user.as_deref() != Some(u.name.to_lowercase().as_str()) {
                return Err(CoreError::NoSuchEntity(format!(
                    "MFA Device with serial number {serial} does not exist."
                )));
            }
        }
        let user_name = dev
            .user
            .as_deref()
            .and_then(|lower| s.user(self.account, lower))
            .map(|u| u.name.clone());
        Ok(MfaDeviceView {
            serial: dev.serial.clone(),
            user_name,
            enable_date: dev.enable_date,
        })
    }

    /// The tags of a virtual MFA device (ListMFADeviceTags).
    pub fn mfa_device_tags(&self, serial: &str) -> Result<Vec<Tag>> {
        let s = self.warden.read();
        Ok(find_device(&s, self.account, serial)?.tags.clone())
    }

    /// TagMFADevice (`tags`, merged by key in any case) and UntagMFADevice (`remove`, keys in any
    /// case) in one write; NoSuchEntity for an unknown serial.
    pub fn tag_mfa_device(&self, serial: &str, tags: &[Tag], remove: &[String]) -> Result<()> {
        self.warden.write(|s| {
            let mut dev = find_device(s, self.account, serial)?.clone();
            merge_tags(&mut dev.tags, tags)?;
            remove_tags(&mut dev.tags, remove);
            Ok((vec![Change::Mfa(dev)], ()))
        })
    }

    /// MFA devices enabled for a user.
    pub fn list_mfa_devices(
        &self,
        user: &str,
        query: PageQuery,
    ) -> Result<(String, Page<MfaDevice>)> {
        let account = self.account;
        let s = self.warden.read();
        let u = find_user(&s, account, user)?;
        let lower = u.name.to_lowercase();
        let page = paginate(
            s.mfa_of(account)
                .filter(|m| m.user.as_deref() == Some(lower.as_str()))
                .cloned(),
            |m| m.serial.clone(),
            query,
        )?;
        Ok((u.name.clone(), page))
    }

    /// ListVirtualMFADevices: the account's devices filtered by assignment, each with its user, in
    /// serial order.
    pub fn list_virtual_mfa_devices(
        &self,
        assignment: Assignment,
        query: PageQuery,
    ) -> Result<Page<(MfaDevice, Option<crate::model::User>)>> {
        let account = self.account;
        let s = self.warden.read();
        let items = s
            .mfa_of(account)
            .filter(|m| match assignment {
                Assignment::Any => true,
                Assignment::Assigned => m.user.is_some(),
                Assignment::Unassigned => m.user.is_none(),
            })
            .map(|m| {
                let user = m.user.as_deref().and_then(|u| s.user(account, u)).cloned();
                (m.clone(), user)
            });
        paginate(items, |(m, _)| m.serial.clone(), query)
    }

    /// Checks an MFA code for `user`'s device `serial` (GetSessionToken,
    /// AssumeRole) and spends it: a code, or any older one, is accepted once
    /// (the device keeps the last accepted time step, durably, so a replay
    /// fails also after a restart). Returns the time the code was accepted.
    pub fn check_mfa_code(&self, user: Option<&str>, serial: &str, code: &str) -> Result<Epoch> {
        let account = self.account;
        let now = now_epoch();
        let instance = self.warden.session_key().key_id();
        let user_lower = user.map(str::to_lowercase);
        let device_key = format!("{instance}/device/{account}/{serial}");
        let caller_key = format!(
            "{instance}/caller/{account}/{}",
            user_lower.as_deref().unwrap_or(":root")
        );
        let keys = [device_key.as_str(), caller_key.as_str()];
        let invalid_code = || {
            CoreError::AccessDenied(
                "MultiFactorAuthentication failed with invalid MFA one time pass code.".to_string(),
            )
        };
        // Runs under the writer lock, so checking, verifying and counting
        // are one step: parallel guesses cannot slip past the limit.
        self.warden.write(|s| {
            let mut dev = s
                .mfa_devices
                .get(&(account.to_string(), serial.to_string()))
                .filter(|d| d.user.is_some() && d.user == user_lower)
                .ok_or_else(|| {
                    CoreError::AccessDenied("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.".to_string())
                })?
                .clone();
            let mut limits = limiter().lock();
            let mono = monotonic_secs();
            if limits.locked(&keys, mono) {
                // Answered as a wrong code, whatever the code: a lock-out
                // must not tell a guesser which code was right.
                return Err(invalid_code());
            }
            match crypto::verify_code_step(dev.seed.expose(), code, now, 1) {
                Some(step) if step > dev.last_step => {
                    limits.succeed(&keys);
                    dev.last_step = step;
                    Ok((vec![Change::Mfa(dev)], now))
                }
                _ => {
                    limits.fail(&keys, mono);
                    Err(invalid_code())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Warden;

    #[test]
    fn limiter_locks_after_consecutive_failures_and_resets_on_success() {
        let mut l = FailureLimiter::new(MFA_POLICY);
        let keys = ["dev", "caller"];
        for i in 0..MFA_MAX_FAILURES - 1 {
            l.fail(&keys, 10 + u64::from(i));
            assert!(!l.locked(&keys, 10 + u64::from(i)));
        }
        l.fail(&keys, 20);
        assert!(l.locked(&keys, 20));
        // Another device of the same caller is locked too (per caller).
        assert!(l.locked(&["other-dev", "caller"], 21));
        assert!(!l.locked(&["other-dev", "other-caller"], 21));
        assert!(l.locked(&keys, 20 + MFA_LOCKOUT - 1));
        assert!(!l.locked(&keys, 20 + MFA_LOCKOUT));
        // The next lock-out is twice as long.
        let t = 20 + MFA_LOCKOUT;
        for _ in 0..MFA_MAX_FAILURES {
            l.fail(&keys, t);
        }
        assert!(l.locked(&keys, t + 2 * MFA_LOCKOUT - 1));
        assert!(!l.locked(&keys, t + 2 * MFA_LOCKOUT));
        // A success forgets everything: the first lock-out is short again.
        l.succeed(&keys);
        let t = t + 2 * MFA_LOCKOUT;
        for _ in 0..MFA_MAX_FAILURES - 1 {
            l.fail(&keys, t);
        }
        assert!(!l.locked(&keys, t));
        l.fail(&keys, t);
        assert!(!l.locked(&keys, t + MFA_LOCKOUT));
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let mut l = FailureLimiter::new(MFA_POLICY);
        for i in 0..20u64 {
            l.fail(&["d"], i * MFA_FAILURE_WINDOW);
            assert!(!l.locked(&["d"], i * MFA_FAILURE_WINDOW));
        }
    }

    #[test]
    fn lockouts_are_capped() {
        let mut l = FailureLimiter::new(MFA_POLICY);
        let mut t = 0;
        for _ in 0..40 {
            for _ in 0..MFA_MAX_FAILURES {
                l.fail(&["d"], t);
            }
            assert!(!l.locked(&["d"], t + MFA_MAX_LOCKOUT));
            t += MFA_MAX_LOCKOUT;
        }
    }

    #[test]
    fn wrong_codes_lock_the_device_even_for_the_right_code() {
        let w = Warden::in_memory_for_tests("123456789012").unwrap();
        let acct = "123456789012";
        w.iam(acct)
            .create_user(crate::iam::users::NewUser {
                name: "mfa-u".into(),
                ..Default::default()
            })
            .unwrap();
        let dev = w
            .iam(acct)
            .create_virtual_mfa_device("d1", None, Vec::new())
            .unwrap();
        let seed = dev.device.seed.clone();
        let serial = dev.device.serial.clone();
        let now = now_epoch();
        let code_at = |t: i64| crypto::format_code(crypto::totp_at(seed.expose(), t));
        w.iam(acct)
            .enable_mfa_device("mfa-u", &serial, &code_at(now - 60), &code_at(now - 30))
            .unwrap();
        let right = code_at(now);
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        for _ in 0..MFA_MAX_FAILURES {
            assert!(w
                .iam(acct)
                .check_mfa_code(Some("mfa-u"), &serial, wrong)
                .is_err());
        }
        let err = w
            .iam(acct)
            .check_mfa_code(Some("mfa-u"), &serial, &right)
            .unwrap_err();
        assert!(
            matches!(&err, CoreError::AccessDenied(m) if m == "MultiFactorAuthentication failed with invalid MFA one time pass code."),
            "{err:?}"
        );
    }
}
