//! Console passwords, stored as Argon2id PHC strings.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::CryptoError;

/// Argon2id cost parameters.
///
/// The default is OWASP's recommended minimum for Argon2id (19 MiB, 2
/// iterations, 1 lane): about 20-40 ms per hash on one core, which bounds
/// password guessing without making ChangePassword slow. Tests use
/// [`PasswordHashing::fast_insecure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHashing {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordHashing {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordHashing {
    /// The cheapest parameters Argon2 accepts. For tests only: hashes made
    /// with them still verify in production, but are weak.
    pub fn fast_insecure() -> Self {
        Self {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }
}

/// Hashes `password` with Argon2id and a fresh random salt; returns the PHC
/// string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`), which carries its
/// own parameters so they can change later without breaking old hashes.
pub fn hash_password(password: &str, cfg: &PasswordHashing) -> Result<String, CryptoError> {
    let params = Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None)
        .map_err(|e| CryptoError::PasswordHash(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::generate(&mut OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CryptoError::PasswordHash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`. The parameters come from
/// the string; the final comparison is constant-time (password-hash's
/// `Output` equality). A malformed PHC string is simply a mismatch.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // Only Argon2id hashes are ours; refuse anything else outright.
    if parsed.algorithm != argon2::ARGON2ID_IDENT {
        return false;
    }
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let cfg = PasswordHashing::fast_insecure();
        let h = hash_password("Corr3ct horse!", &cfg);
        assert!(h.is_ok());
        let h = h.unwrap_or_default();
        assert!(h.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{h}");
        assert!(verify_password("Corr3ct horse!", &h));
        assert!(!verify_password("Corr3ct horse", &h));
        assert!(!verify_password("", &h));
        assert!(!verify_password("Corr3ct horse!", "not a phc string"));
        // Same password, different salt.
        assert_ne!(Some(h), hash_password("Corr3ct horse!", &cfg).ok());
        assert!(!h_contains_password());
    }

    fn h_contains_password() -> bool {
        hash_password("plaintext-pw", &PasswordHashing::fast_insecure())
            .map(|h| h.contains("plaintext-pw"))
            .unwrap_or(true)
    }

    #[test]
    fn default_params_are_accepted() {
        let d = PasswordHashing::default();
        assert!(Params::new(d.memory_kib, d.iterations, d.parallelism, None).is_ok());
    }
}
