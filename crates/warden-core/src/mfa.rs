//! Virtual MFA devices (TOTP, RFC 6238).

use crate::crypto::{self, Secret};
use crate::error::{CoreError, Result};
use crate::model::{now_epoch, Epoch, MfaDevice, Tag};
use crate::page::{paginate, Page};
use crate::state::{Change, State};
use crate::users::{check_new_tags, find_user};
use crate::Warden;

/// A device as first created: the seed leaves warden only here.
#[derive(Debug, Clone)]
pub struct NewVirtualMfa {
    pub device: MfaDevice,
    pub base32_seed: String,
    pub qr_png: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignment {
    Assigned,
    Unassigned,
    Any,
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

impl Warden {
    pub fn create_virtual_mfa_device(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<NewVirtualMfa> {
        check_new_tags(&tags)?;
        let path = path.unwrap_or("/");
        let serial = format!("arn:aws:iam::{account}:mfa{path}{name}");
        let seed = crypto::new_totp_seed();
        let base32_seed = crypto::base32_encode(seed.expose());
        let alias = self
            .read()
            .accounts
            .get(account)
            .and_then(|a| a.alias.clone())
            .unwrap_or_else(|| account.to_string());
        let qr = qr_png(&format!(
            "otpauth://totp/{name}@{alias}?secret={base32_seed}"
        ))?;
        self.write(|s| {
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
                sealed_seed: self.master_key().seal(seed.expose(), serial.as_bytes()),
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

    pub fn enable_mfa_device(
        &self,
        account: &str,
        user: &str,
        serial: &str,
        code1: &str,
        code2: &str,
    ) -> Result<()> {
        self.write(|s| {
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

    pub fn resync_mfa_device(
        &self,
        account: &str,
        user: &str,
        serial: &str,
        code1: &str,
        code2: &str,
    ) -> Result<()> {
        self.write(|s| {
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

    pub fn deactivate_mfa_device(&self, account: &str, user: &str, serial: &str) -> Result<()> {
        self.write(|s| {
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

    pub fn delete_virtual_mfa_device(&self, account: &str, serial: &str) -> Result<()> {
        self.write(|s| {
            let dev = find_device(s, account, serial)?;
            if dev.user.is_some() {
                return Err(CoreError::DeleteConflict(
                    "MFA VirtualDevice in use. Must deactivate first.".to_string(),
                ));
            }
            Ok((
                vec![Change::DeleteMfa {
                    account: account.to_string(),
                    serial: serial.to_string(),
                }],
                (),
            ))
        })
    }

    /// MFA devices enabled for a user.
    pub fn list_mfa_devices(
        &self,
        account: &str,
        user: &str,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> Result<(String, Page<MfaDevice>)> {
        let s = self.read();
        let u = find_user(&s, account, user)?;
        let lower = u.name.to_lowercase();
        let page = paginate(
            s.mfa_of(account)
                .filter(|m| m.user.as_deref() == Some(lower.as_str()))
                .cloned(),
            |m| m.serial.clone(),
            marker,
            max_items,
        )?;
        Ok((u.name.clone(), page))
    }

    pub fn list_virtual_mfa_devices(
        &self,
        account: &str,
        assignment: Assignment,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> Result<Page<(MfaDevice, Option<crate::model::User>)>> {
        let s = self.read();
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
        paginate(items, |(m, _)| m.serial.clone(), marker, max_items)
    }

    /// Checks an MFA code for `user`'s device `serial` (GetSessionToken,
    /// AssumeRole) and spends it: a code, or any older one, is accepted once
    /// (the device keeps the last accepted time step, durably, so a replay
    /// fails also after a restart). Returns the time the code was accepted.
    pub fn check_mfa_code(
        &self,
        account: &str,
        user: Option<&str>,
        serial: &str,
        code: &str,
    ) -> Result<Epoch> {
        let now = now_epoch();
        self.write(|s| {
            let mut dev = s
                .mfa_devices
                .get(&(account.to_string(), serial.to_string()))
                .filter(|d| d.user.is_some() && d.user.as_deref() == user.map(str::to_lowercase).as_deref())
                .ok_or_else(|| {
                    CoreError::AccessDenied("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.".to_string())
                })?
                .clone();
            match crypto::verify_code_step(dev.seed.expose(), code, now, 1) {
                Some(step) if step > dev.last_step => {
                    dev.last_step = step;
                    Ok((vec![Change::Mfa(dev)], now))
                }
                _ => Err(CoreError::AccessDenied(
                    "MultiFactorAuthentication failed with invalid MFA one time pass code.".to_string(),
                )),
            }
        })
    }
}
