//! Cryptographic primitives of warden.
//!
//! A crate of its own because it needs nothing of the domain: no model, no
//! store, no error type but its own. `warden-core` re-exports it as
//! `warden_core::crypto`, the path the rest of the workspace uses.
//!
//! # API
//!
//! * [`Secret`]: secret bytes; `Debug`/`Display` print `Secret(***)`, zeroized on
//!   drop, constant-time `==`, `expose() -> &[u8]`, `expose_str() -> Option<&str>`,
//!   `From<Vec<u8> | String | &str | &[u8]>`. No serde on purpose.
//! * [`MasterKey`]: `generate()`, `from_bytes([u8; 32])`, `from_base64(&str)`,
//!   `from_env_or_file(&Path)` (`WARDEN_MASTER_KEY` → `WARDEN_MASTER_KEY_FILE` →
//!   the given path, created 0600 if absent), `from_sources(..)` (same, env passed in),
//!   `seal(plaintext, aad) -> String`, `open(&str, aad) -> Result<Secret, CryptoError>`,
//!   `id()`, `derive_subkey(label) -> [u8; 32]`, `derive_session_key() -> SessionKey`.
//! * [`SessionKey`]: `seal_session(&SessionClaims) -> Result<String, TokenError>`,
//!   `open_session(&str) -> Result<Arc<SessionClaims>, TokenError>` (tamper → `Invalid`),
//!   `open_session_at(&str, now) -> ...` (also `Expired`), `open_uncached(&str)`.
//!   Opened tokens are cached by exact text (bounded, [`OPENED_TOKEN_CACHE_CAPACITY`]):
//!   ~0.2 µs per reuse instead of ~2.6 µs. [`SessionClaims`] is the typed claim set
//!   ([`SessionClaims::is_expired`]); [`encode_claims`] is its binary encoding.
//! * Passwords: [`hash_password`]`(&str, &PasswordHashing) -> Result<String, CryptoError>`
//!   (Argon2id PHC), [`verify_password`]`(&str, phc) -> bool`; [`PasswordHashing`]
//!   (`default()` = 19 MiB/t=2/p=1, `fast_insecure()` for tests).
//! * TOTP (RFC 6238, SHA-1, 30 s, 6 digits): [`totp_at`]`(seed, unix) -> u32`,
//!   [`verify_code`]`(seed, &str, now, window) -> bool`, [`verify_code_step`] (→ step),
//!   [`verify_two_consecutive`]`(seed, c1, c2, now) -> Option<u64>` (step of `c2`),
//!   [`base32_encode`] / [`base32_decode`], [`format_code`].
//! * Identifiers: [`random_id`]`(prefix)` (prefix + 17 of `A-Z2-7`),
//!   [`new_access_key_id`]`(temporary)` (`AKIA`/`ASIA` + 16), [`new_secret_access_key`]
//!   (40 of `A-Za-z0-9/+`), [`new_totp_seed`] (40 bytes), [`random_bytes`],
//!   [`is_valid_access_key_id`]. All from the OS CSPRNG.
//!
//! Key separation: the master key seals secrets at rest; every other use
//! takes a sub-key derived with a distinct label (HMAC-SHA256, as one block of
//! HKDF-Expand), so no key serves two purposes.

#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "tests fail loudly on a broken fixture"
    )
)]

mod ids;
mod master;
mod password;
mod secret;
mod session;
mod totp;

use std::path::PathBuf;

pub use ids::{
    is_valid_access_key_id, new_access_key_id, new_secret_access_key, new_totp_seed, random_bytes,
    random_id,
};
pub use master::{MasterKey, MASTER_KEY_ENV, MASTER_KEY_FILE_ENV};
pub use password::{hash_password, verify_password, PasswordHashing};
pub use secret::Secret;
pub use session::{
    encode_claims, SessionClaims, SessionKey, SessionPrincipalKind, TokenError, MAX_TOKEN_LEN,
    OPENED_TOKEN_CACHE_CAPACITY,
};
pub use totp::{
    base32_decode, base32_encode, format_code, totp_at, totp_for_step, totp_step, verify_code,
    verify_code_step, verify_two_consecutive, TOTP_DIGITS, TOTP_STEP_SECS,
    TWO_CODES_LOOKAHEAD_STEPS, TWO_CODES_LOOKBACK_STEPS,
};

/// Constant-time equality of two byte strings (the length is not hidden).
///
/// Hand-rolled rather than `subtle` to keep warden-core's dependencies as
/// they are: OR-accumulating the XOR of every byte pair does the same work
/// whatever the contents, and `black_box` keeps the optimizer from turning
/// the loop into an early exit.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= std::hint::black_box(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

/// Errors of the master key, sealing and password hashing. Messages never
/// contain key material.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key file could not be read or written.
    #[error("master key file {path}: {source}")]
    MasterKeyIo {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key text is not base64 of 32 bytes.
    #[error("master key: {0}")]
    MasterKeyFormat(String),
    /// Our own key file is readable by group or others.
    #[error("master key file {} has mode {mode:o}: it must not be accessible to group or others (chmod 600 it)", path.display())]
    MasterKeyPermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Not a sealed value of ours.
    #[error("sealed value is malformed")]
    SealedMalformed,
    /// Sealed under another master key.
    #[error("sealed value was sealed with master key {sealed_with}, the current key is {current}")]
    SealedWrongKey {
        /// Key id in the sealed value.
        sealed_with: String,
        /// Key id of the current key.
        current: String,
    },
    /// Authentication failed: tampered, or opened with the wrong AAD.
    #[error("sealed value failed authentication")]
    SealedDecrypt,
    /// Argon2 refused the parameters or the input.
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
}
