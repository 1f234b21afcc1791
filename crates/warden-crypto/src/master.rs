//! The master key: seals secrets at rest and roots every derived key.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use super::{random_bytes, CryptoError, Secret, SessionKey};

/// Env var holding the master key itself, base64 of 32 bytes.
pub const MASTER_KEY_ENV: &str = "WARDEN_MASTER_KEY";
/// Env var holding the path of a file with the master key (base64).
pub const MASTER_KEY_FILE_ENV: &str = "WARDEN_MASTER_KEY_FILE";

/// Version tag of sealed values. A new format or algorithm gets a new tag,
/// so old values stay readable during a migration.
const SEAL_VERSION: &str = "wdn1";

/// HMAC-SHA256 under a 32-byte key.
pub(crate) fn hmac32(key: &[u8], data: &[u8]) -> [u8; 32] {
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        // HMAC accepts keys of any length: unreachable.
        Err(_) => [0u8; 32],
    }
}

/// The 32-byte master key.
///
/// * [`MasterKey::seal`] / [`MasterKey::open`] encrypt small secrets (access
///   key secrets with AAD = key id, TOTP seeds with AAD = serial) with
///   XChaCha20-Poly1305 under a random 192-bit nonce. The sealed text is
///   `wdn1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`; the version and
///   key id are bound into the AAD, and the key id (8 hex digits derived from
///   the key) says which master key sealed it, so rotation can come later.
/// * [`MasterKey::derive_subkey`] derives independent keys per purpose
///   (HMAC-SHA256 of the key over a label, as HKDF-Expand with one block),
///   so the master key itself never encrypts anything but at-rest secrets.
pub struct MasterKey {
    key: [u8; 32],
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl Clone for MasterKey {
    fn clone(&self) -> Self {
        Self::from_bytes(self.key)
    }
}

impl std::fmt::Debug for MasterKey {
    // The key id is public (it is written next to every sealed value).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(key: [u8; 32]) -> Self {
        let id = hex8(&hmac32(&key, b"warden/v1/key-id"));
        let cipher = XChaCha20Poly1305::new((&key).into());
        Self { key, id, cipher }
    }

    /// A fresh random key (dev mode, tests, first start).
    pub fn generate() -> Self {
        let mut raw = random_bytes(32);
        let mut key = [0u8; 32];
        key.copy_from_slice(&raw);
        raw.zeroize();
        Self::from_bytes(key)
    }

    /// Parses the base64 text form (what the key file and `WARDEN_MASTER_KEY` hold).
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let mut raw = STANDARD
            .decode(text.trim())
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim()))
            .map_err(|_| CryptoError::MasterKeyFormat("not base64".to_owned()))?;
        if raw.len() != 32 {
            let n = raw.len();
            raw.zeroize();
            return Err(CryptoError::MasterKeyFormat(format!(
                "expected 32 bytes, got {n}"
            )));
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(&raw);
        raw.zeroize();
        Ok(Self::from_bytes(key))
    }

    /// The base64 text form, for writing the key file. Handle with care.
    pub fn to_base64(&self) -> Secret {
        Secret::from(STANDARD.encode(self.key))
    }

    /// The key id: 8 hex digits derived from the key, safe to show.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Loads the key, in this order:
    /// 1. `WARDEN_MASTER_KEY` (base64),
    /// 2. the file named by `WARDEN_MASTER_KEY_FILE`,
    /// 3. `default_path` (normally `DATA_DIR/master.key`), created with mode
    ///    0600 and a fresh key if absent.
    ///
    /// See [`MasterKey::from_sources`] for the permission rules.
    pub fn from_env_or_file(default_path: &Path) -> Result<Self, CryptoError> {
        let env_key = std::env::var(MASTER_KEY_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty());
        let env_file = std::env::var_os(MASTER_KEY_FILE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Self::from_sources(env_key.as_deref(), env_file.as_deref(), default_path)
    }

    /// [`MasterKey::from_env_or_file`] with the env values passed in (tests
    /// use this instead of mutating the process environment).
    ///
    /// Permissions: the default file is ours, so if group or others may read
    /// it (mode & 0o077) loading fails, as ssh does for private keys: the
    /// operator must `chmod 600` it. A file named by `WARDEN_MASTER_KEY_FILE`
    /// belongs to the operator's secret store (e.g. a read-only container
    /// secret mount), so loose modes there only log a warning.
    pub fn from_sources(
        env_key: Option<&str>,
        env_file: Option<&Path>,
        default_path: &Path,
    ) -> Result<Self, CryptoError> {
        if let Some(text) = env_key {
            tracing::info!(source = MASTER_KEY_ENV, "master key loaded");
            return Self::from_base64(text);
        }
        if let Some(path) = env_file {
            let key = Self::read_file(path, false)?;
            tracing::info!(source = MASTER_KEY_FILE_ENV, path = %path.display(), key_id = key.id(), "master key loaded");
            return Ok(key);
        }
        match Self::read_file(default_path, true) {
            Ok(key) => {
                tracing::info!(path = %default_path.display(), key_id = key.id(), "master key loaded");
                Ok(key)
            }
            Err(CryptoError::MasterKeyIo { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Self::create_file(default_path)
            }
            Err(e) => Err(e),
        }
    }

    fn read_file(path: &Path, strict: bool) -> Result<Self, CryptoError> {
        let io = |source| CryptoError::MasterKeyIo {
            path: path.to_owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        check_mode(path, &meta, strict)?;
        let mut text = std::fs::read_to_string(path).map_err(io)?;
        let key = Self::from_base64(&text).map_err(|e| match e {
            CryptoError::MasterKeyFormat(m) => {
                CryptoError::MasterKeyFormat(format!("{}: {m}", path.display()))
            }
            other => other,
        });
        text.zeroize();
        key
    }

    /// Writes a fresh key to `path` with mode 0600, durably: every sealed
    /// secret depends on it, so it is fsynced (file and directory) before use.
    fn create_file(path: &Path) -> Result<Self, CryptoError> {
        let io = |source| CryptoError::MasterKeyIo {
            path: path.to_owned(),
            source,
        };
        let key = Self::generate();
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = match opts.open(path) {
            Ok(f) => f,
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Self::read_file(path, true)
            }
            Err(e) => return Err(io(e)),
        };
        let mut text = key.to_base64();
        let written = f
            .write_all(text.expose())
            .and_then(|()| f.write_all(b"\n"))
            .and_then(|()| f.sync_all());
        drop(std::mem::take(&mut text));
        written.map_err(io)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io)?;
        }
        tracing::info!(path = %path.display(), key_id = key.id(), "master key created");
        Ok(key)
    }

    /// A 32-byte key for one purpose, independent of every other label's.
    pub fn derive_subkey(&self, label: &str) -> [u8; 32] {
        let mut info = Vec::with_capacity(label.len() + 10);
        info.extend_from_slice(b"warden/v1/");
        info.extend_from_slice(label.as_bytes());
        hmac32(&self.key, &info)
    }

    /// The key that seals session tokens.
    pub fn derive_session_key(&self) -> SessionKey {
        let mut k = self.derive_subkey("session-token");
        let sk = SessionKey::new(&k);
        k.zeroize();
        sk
    }

    fn full_aad(&self, aad: &[u8]) -> Vec<u8> {
        let mut full = Vec::with_capacity(SEAL_VERSION.len() + 10 + aad.len());
        full.extend_from_slice(SEAL_VERSION.as_bytes());
        full.push(b':');
        full.extend_from_slice(self.id.as_bytes());
        full.push(b':');
        full.extend_from_slice(aad);
        full
    }

    /// Encrypts `plaintext`, bound to `aad` (e.g. the access key id): the
    /// sealed text only opens with the same AAD, so a sealed secret cannot be
    /// moved to another key's row.
    ///
    /// Encryption only fails for inputs over 256 GiB; in that impossible case
    /// the result is an empty string, which [`MasterKey::open`] refuses: the
    /// failure stays closed instead of panicking.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> String {
        let nonce_bytes = random_bytes(24);
        let nonce = XNonce::from_slice(&nonce_bytes);
        let full_aad = self.full_aad(aad);
        let Ok(ct) = self.cipher.encrypt(
            nonce,
            Payload {
                msg: plaintext,
                aad: &full_aad,
            },
        ) else {
            return String::new();
        };
        let mut blob = Vec::with_capacity(24 + ct.len());
        blob.extend_from_slice(&nonce_bytes);
        blob.extend_from_slice(&ct);
        format!(
            "{SEAL_VERSION}:{}:{}",
            self.id,
            URL_SAFE_NO_PAD.encode(&blob)
        )
    }

    /// Decrypts a value made by [`MasterKey::seal`] with the same `aad`.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Secret, CryptoError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some(version), Some(kid), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CryptoError::SealedMalformed);
        };
        if version != SEAL_VERSION {
            return Err(CryptoError::SealedMalformed);
        }
        if kid != self.id {
            return Err(CryptoError::SealedWrongKey {
                sealed_with: kid.to_owned(),
                current: self.id.clone(),
            });
        }
        let blob = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| CryptoError::SealedMalformed)?;
        if blob.len() < 24 + 16 {
            return Err(CryptoError::SealedMalformed);
        }
        let (nonce, ct) = blob.split_at(24);
        let full_aad = self.full_aad(aad);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: &full_aad,
                },
            )
            .map(Secret::new)
            .map_err(|_| CryptoError::SealedDecrypt)
    }
}

fn hex8(b: &[u8; 32]) -> String {
    b[..4].iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(unix)]
fn check_mode(path: &Path, meta: &std::fs::Metadata, strict: bool) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        if strict {
            return Err(CryptoError::MasterKeyPermissions {
                path: path.to_owned(),
                mode,
            });
        }
        tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "master key file is readable by group or others");
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_: &Path, _: &std::fs::Metadata, _: bool) -> Result<(), CryptoError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_aad_binding() {
        let k = MasterKey::generate();
        let sealed = k.seal(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"AKIAEXAMPLE");
        assert!(sealed.starts_with(&format!("wdn1:{}:", k.id())));
        assert!(!sealed.contains("wJalr"));
        let opened = k.open(&sealed, b"AKIAEXAMPLE");
        assert_eq!(
            opened.ok().as_ref().map(Secret::expose),
            Some(&b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"[..])
        );
        // Random nonces: the same input seals differently.
        assert_ne!(
            sealed,
            k.seal(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"AKIAEXAMPLE")
        );
        // Other AAD, other key, tampering: refused.
        assert!(matches!(
            k.open(&sealed, b"AKIAOTHER"),
            Err(CryptoError::SealedDecrypt)
        ));
        assert!(matches!(
            MasterKey::generate().open(&sealed, b"AKIAEXAMPLE"),
            Err(CryptoError::SealedWrongKey { .. })
        ));
        let bytes = sealed.as_bytes();
        for i in 0..bytes.len() {
            let mut t = bytes.to_vec();
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(t).unwrap_or_default();
            assert!(k.open(&t, b"AKIAEXAMPLE").is_err(), "byte {i}");
        }
        assert!(k.open("", b"x").is_err());
        assert!(k.open("wdn1:00000000", b"x").is_err());
        assert!(k.open(&format!("wdn1:{}:", k.id()), b"x").is_err());
    }

    #[test]
    fn key_text_form_and_debug() {
        let k = MasterKey::generate();
        let text = k.to_base64();
        let k2 = MasterKey::from_base64(text.expose_str().unwrap_or_default());
        assert_eq!(k2.as_ref().map(MasterKey::id).ok(), Some(k.id()));
        let dbg = format!("{k:?}");
        assert!(!dbg.contains(text.expose_str().unwrap_or("?")), "{dbg}");
        assert!(dbg.contains(k.id()));
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("!!!").is_err());
        // Sub-keys differ per label and from each other key's.
        assert_ne!(k.derive_subkey("a"), k.derive_subkey("b"));
        assert_ne!(
            k.derive_subkey("a"),
            MasterKey::generate().derive_subkey("a")
        );
    }

    #[cfg(unix)]
    #[test]
    fn key_file_created_0600_and_reloaded() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir();
        let Ok(dir) = dir else { return };
        let path = dir.path().join("master.key");
        let k1 = MasterKey::from_sources(None, None, &path);
        assert!(k1.is_ok(), "{k1:?}");
        let mode = std::fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o777)
            .ok();
        assert_eq!(mode, Some(0o600));
        let k2 = MasterKey::from_sources(None, None, &path);
        assert_eq!(
            k1.as_ref().map(MasterKey::id).ok(),
            k2.as_ref().map(MasterKey::id).ok()
        );

        // Loosened permissions on our own file: refused.
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
        assert!(matches!(
            MasterKey::from_sources(None, None, &path),
            Err(CryptoError::MasterKeyPermissions { mode: 0o644, .. })
        ));
        // Same file named by WARDEN_MASTER_KEY_FILE: accepted with a warning.
        let other = dir.path().join("unused.key");
        let k3 = MasterKey::from_sources(None, Some(&path), &other);
        assert_eq!(
            k3.as_ref().map(MasterKey::id).ok(),
            k2.as_ref().map(MasterKey::id).ok()
        );
        assert!(!other.exists());

        // The env key wins over both files.
        let env = MasterKey::generate();
        let k4 = MasterKey::from_sources(env.to_base64().expose_str(), Some(&path), &other);
        assert_eq!(k4.as_ref().map(MasterKey::id).ok(), Some(env.id()));
        assert!(MasterKey::from_sources(Some("bad"), None, &other).is_err());

        // A missing explicit file is an error, not a silent new key.
        assert!(MasterKey::from_sources(None, Some(&dir.path().join("nope")), &other).is_err());
    }
}
