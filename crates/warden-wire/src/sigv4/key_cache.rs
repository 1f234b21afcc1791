//! A bounded, thread-safe cache of derived SigV4 signing keys.

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use parking_lot::RwLock;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Default number of cached signing keys before the cache is flushed.
pub const DEFAULT_SIGNING_KEY_CACHE_CAPACITY: usize = 8192;

/// Caches `kSigning` per (access key id, date, region, service, secret).
///
/// Deriving a signing key costs four HMACs; with the cache a request costs one
/// SHA-256 of the lookup tuple instead. The map key is a SHA-256 over all five
/// fields, length-prefixed, *including the secret*: a rotated or wrong secret
/// gives another key, so a stale signing key can never verify a request, and
/// the secret itself is never stored here. When the cache reaches its capacity
/// it is flushed whole: signing keys only live for one UTC day anyway, and a
/// flush is O(1) amortized with no eviction bookkeeping on the hot path.
pub struct SigningKeyCache {
    map: RwLock<HashMap<[u8; 32], [u8; 32]>>,
    capacity: usize,
}

impl std::fmt::Debug for SigningKeyCache {
    // Never print the keys: they are secret-derived.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new(DEFAULT_SIGNING_KEY_CACHE_CAPACITY)
    }
}

impl SigningKeyCache {
    /// A cache holding at most `capacity` keys (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::with_capacity(capacity.clamp(1, 1024))),
            capacity: capacity.max(1),
        }
    }

    /// Number of cached keys.
    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached key (e.g. after a key is deleted or deactivated,
    /// though a changed secret already misses the cache by construction).
    pub fn clear(&self) {
        self.map.write().clear();
    }

    /// The signing key for this scope and secret, derived on a miss.
    pub fn signing_key(
        &self,
        access_key_id: &str,
        date: &str,
        region: &str,
        service: &str,
        secret: &[u8],
    ) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [
            access_key_id.as_bytes(),
            date.as_bytes(),
            region.as_bytes(),
            service.as_bytes(),
            secret,
        ] {
            // Length prefixes keep ("ab","c") and ("a","bc") apart.
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        let id: [u8; 32] = h.finalize().into();
        if let Some(k) = self.map.read().get(&id) {
            return *k;
        }
        let key = derive_signing_key(secret, date, region, service);
        let mut map = self.map.write();
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(id, key);
        key
    }
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so new_from_slice cannot fail; the
    // fallback keeps the code free of unwrap.
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0u8; 32],
    }
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn derive_signing_key(secret: &[u8], date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k = Vec::with_capacity(secret.len() + 4);
    k.extend_from_slice(b"AWS4");
    k.extend_from_slice(secret);
    let k_date = hmac_sha256(&k, date.as_bytes());
    // Best effort: do not leave the secret-prefixed buffer in freed memory.
    k.iter_mut().for_each(|b| *b = 0);
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_documented_key() {
        // AWS documentation example (sigv4 "Examples of how to derive a signing key").
        let k = derive_signing_key(
            b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(k),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn cache_is_bounded_and_secret_sensitive() {
        let c = SigningKeyCache::new(2);
        let a = c.signing_key("AK", "20150830", "us-east-1", "iam", b"s1");
        let b = c.signing_key("AK", "20150830", "us-east-1", "iam", b"s2");
        assert_ne!(a, b);
        assert_eq!(c.len(), 2);
        let _ = c.signing_key("AK", "20150831", "us-east-1", "iam", b"s1");
        assert!(c.len() <= 2);
        assert_eq!(
            a,
            c.signing_key("AK", "20150830", "us-east-1", "iam", b"s1")
        );
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("s1"));
    }
}
