//! Random identifiers and credentials, drawn from the OS CSPRNG.

use rand::rngs::OsRng;
use rand::RngCore;

use super::Secret;

/// AWS unique ids and access key ids use upper-case base32 (`A-Z2-7`), e.g.
/// `AIDAJQABLZS4A3QDU576Q`.
const BASE32_UPPER: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Secret access keys are 40 characters of `A-Za-z0-9/+`.
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";

/// `n` characters from a 32- or 64-symbol alphabet. The alphabet sizes are
/// powers of two, so masking a random byte is unbiased.
fn random_chars(alphabet: &[u8], n: usize) -> Vec<u8> {
    debug_assert!(alphabet.len().is_power_of_two() && alphabet.len() <= 256);
    let mask = alphabet.len() - 1;
    let mut raw = vec![0u8; n];
    OsRng.fill_bytes(&mut raw);
    raw.iter_mut()
        .for_each(|b| *b = alphabet[usize::from(*b) & mask]);
    raw
}

/// `prefix` + 17 upper-case base32 characters (`AIDA...`, `AGPA...`, `AROA...`).
pub fn random_id(prefix: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + 17);
    s.push_str(prefix);
    // The alphabet is ASCII, so every byte is a char.
    s.extend(random_chars(BASE32_UPPER, 17).into_iter().map(char::from));
    s
}

/// A new access key id: `AKIA` (long-term) or `ASIA` (temporary) + 16
/// base32 characters, 20 in all.
pub fn new_access_key_id(temporary: bool) -> String {
    let mut s = String::with_capacity(20);
    s.push_str(if temporary { "ASIA" } else { "AKIA" });
    s.extend(random_chars(BASE32_UPPER, 16).into_iter().map(char::from));
    s
}

/// A new 40-character secret access key.
pub fn new_secret_access_key() -> Secret {
    Secret::new(random_chars(SECRET_ALPHABET, 40))
}

/// A new virtual MFA seed: 40 random bytes, which base32-encode to the 64
/// characters of AWS's `Base32StringSeed`.
pub fn new_totp_seed() -> Secret {
    let mut seed = vec![0u8; 40];
    OsRng.fill_bytes(&mut seed);
    Secret::new(seed)
}

/// `len` random bytes from the OS CSPRNG.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    OsRng.fill_bytes(&mut v);
    v
}

/// Whether `s` can be an access key id we accept from configuration:
/// 16 to 128 characters of `A-Z0-9` (the AccessKeyId shape in IAM's model).
pub fn is_valid_access_key_id(s: &str) -> bool {
    (16..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = random_id("AIDA");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        assert!(id[4..].bytes().all(|b| BASE32_UPPER.contains(&b)));

        let ak = new_access_key_id(false);
        assert_eq!(ak.len(), 20);
        assert!(ak.starts_with("AKIA"));
        assert!(is_valid_access_key_id(&ak));
        let tk = new_access_key_id(true);
        assert!(tk.starts_with("ASIA"));
        assert_eq!(tk.len(), 20);

        let sk = new_secret_access_key();
        assert_eq!(sk.len(), 40);
        assert!(sk.expose().iter().all(|b| SECRET_ALPHABET.contains(b)));
        assert_ne!(sk, new_secret_access_key());

        assert_eq!(new_totp_seed().len(), 40);
        assert_ne!(random_id("X"), random_id("X"));
        assert!(!is_valid_access_key_id("akia0123456789abcdef"));
        assert!(!is_valid_access_key_id("AKIA"));
    }

    #[test]
    fn ids_use_the_whole_alphabet() {
        // 200 ids × 17 chars: every one of the 32 symbols shows up.
        let mut seen = [false; 256];
        for _ in 0..200 {
            for b in random_id("").bytes() {
                seen[usize::from(b)] = true;
            }
        }
        assert!(BASE32_UPPER.iter().all(|b| seen[usize::from(*b)]));
    }
}
