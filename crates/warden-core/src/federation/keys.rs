//! The issuers' signing keys: found through the issuer's discovery document
//! (`ISSUER/.well-known/openid-configuration` → `jwks_uri`), fetched over
//! HTTPS, cached per issuer.
//!
//! A token whose `kid` the cached set lacks triggers one refetch, at most
//! one per [`REFETCH_INTERVAL`] per issuer, so tokens with made-up `kid`s
//! cannot make warden hammer an issuer. Fetching happens with no lock held
//! (neither the model's nor this cache's); when an issuer cannot be reached,
//! keys fetched in the last [`STALE_FOR`] still serve.
//!
//! Outbound HTTPS trusts the system's CA bundle plus the PEM file named by
//! `SSL_CERT_FILE`, as curl and OpenSSL do; no redirect is followed; each
//! fetch has a 5-second connect and 10-second overall timeout and a 1 MiB
//! size cap.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::Value;

use super::jwt::{parse_jwks, Jwk, Token};
use crate::error::{CoreError, Result};

/// How long a fetched key set is used without asking again.
pub const KEYS_TTL: Duration = Duration::from_secs(3_600);

/// The shortest time between two fetches for one issuer.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(5);

/// How long keys serve past their TTL while the issuer cannot be reached.
pub const STALE_FOR: Duration = Duration::from_secs(86_400);

/// Largest discovery document or JWKS read.
const MAX_DOCUMENT: u64 = 1 << 20;

/// Fetches a JSON document over HTTPS.
pub trait Fetch: Send + Sync {
    /// The document at `url`, or why not.
    fn get_json(&self, url: &str) -> std::result::Result<Value, String>;
}

struct Entry {
    /// Empty until a fetch succeeded.
    keys: Arc<Vec<Jwk>>,
    /// When `keys` were fetched; `None` while no fetch has succeeded.
    fetched: Option<Instant>,
    last_attempt: Instant,
}

/// Key sets by issuer URL (`https://...` as in the token's `iss`).
pub struct KeyCache {
    fetcher: Box<dyn Fetch>,
    entries: Mutex<HashMap<String, Entry>>,
    fetches: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache").finish_non_exhaustive()
    }
}

/// "Couldn't retrieve verification key from your identity provider, please
/// reference AssumeRoleWithWebIdentity documentation for requirements": the
/// text AWS answers (federation reference §2.4, seen in public issue
/// threads; the double space is AWS's).
const NO_KEY: &str = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

impl KeyCache {
    /// A cache that fetches with `fetcher`.
    pub fn new(fetcher: Box<dyn Fetch>) -> KeyCache {
        KeyCache {
            fetcher,
            entries: Mutex::new(HashMap::new()),
            fetches: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How many fetches of key sets were made (for benchmarks and tests).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The keys to check `token` of `issuer` with: the cached set when it
    /// is fresh and has a key for the token; otherwise a new fetch if the
    /// rate limit allows one; otherwise what is cached.
    pub fn keys_for(&self, issuer: &str, token: &Token) -> Result<Arc<Vec<Jwk>>> {
        let now = Instant::now();
        let cached = {
            let entries = self.entries.lock();
            entries.get(issuer).map(|e| {
                (
                    Arc::clone(&e.keys),
                    e.fetched.map(|f| now.duration_since(f)),
                    now.duration_since(e.last_attempt),
                )
            })
        };
        if let Some((keys, age, since_attempt)) = &cached {
            let usable = age.is_some_and(|a| a < KEYS_TTL) && token.has_candidate(keys);
            if usable || *since_attempt < REFETCH_INTERVAL {
                // An issuer never reached is not asked again before the interval either.
                if age.is_none() {
                    return Err(CoreError::IdpCommunicationError(NO_KEY.to_string()));
                }
                return Ok(Arc::clone(keys));
            }
        }
        // Note the attempt first, so concurrent misses do not all fetch.
        self.entries
            .lock()
            .entry(issuer.to_string())
            .and_modify(|e| e.last_attempt = now)
            .or_insert_with(|| Entry {
                keys: Arc::new(Vec::new()),
                fetched: None,
                last_attempt: now,
            });
        match self.fetch(issuer) {
            Ok(keys) => {
                let keys = Arc::new(keys);
                self.entries.lock().insert(
                    issuer.to_string(),
                    Entry {
                        keys: Arc::clone(&keys),
                        fetched: Some(now),
                        last_attempt: now,
                    },
                );
                Ok(keys)
            }
            Err(why) => {
                tracing::warn!(
                    issuer,
                    why,
                    "web identity: fetching the issuer's keys failed"
                );
                match cached {
                    Some((keys, Some(age), _)) if age < KEYS_TTL + STALE_FOR => Ok(keys),
                    _ => Err(CoreError::IdpCommunicationError(NO_KEY.to_string())),
                }
            }
        }
    }

    /// Discovery, then the JWKS it names.
    fn fetch(&self, issuer: &str) -> std::result::Result<Vec<Jwk>, String> {
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery = self.fetcher.get_json(&discovery_url)?;
        // OpenID Connect Discovery §4.3: the document's issuer is the token's.
        if discovery.get("issuer").and_then(Value::as_str) != Some(issuer) {
            return Err(format!("{discovery_url} names another issuer"));
        }
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("https://"))
            .ok_or_else(|| format!("{discovery_url} has no https jwks_uri"))?;
        let keys = parse_jwks(&self.fetcher.get_json(jwks_uri)?);
        if keys.is_empty() {
            return Err(format!("{jwks_uri} holds no usable signing key"));
        }
        Ok(keys)
    }
}

/// The process's key cache, fetching over HTTPS.
pub fn shared() -> &'static KeyCache {
    static CACHE: OnceLock<KeyCache> = OnceLock::new();
    CACHE.get_or_init(|| KeyCache::new(Box::new(HttpsFetcher::new())))
}

/// Fetches with ureq on rustls (ring), trusting the system bundle and
/// `SSL_CERT_FILE`.
pub struct HttpsFetcher {
    agent: ureq::Agent,
}

impl std::fmt::Debug for HttpsFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsFetcher").finish_non_exhaustive()
    }
}

/// Where Linux distributions keep the system CA bundle.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// The PEM text of the CA bundles warden trusts for its outbound HTTPS (OIDC discovery, an
/// `https://` S3 backend): the system bundle, plus `SSL_CERT_FILE` as curl and OpenSSL read it.
pub fn trusted_ca_bundles() -> Vec<Vec<u8>> {
    let mut files: Vec<String> = SYSTEM_BUNDLES
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
        .into_iter()
        .collect();
    if let Ok(extra) = std::env::var("SSL_CERT_FILE") {
        files.push(extra);
    }
    files
        .into_iter()
        .filter_map(|file| match std::fs::read(&file) {
            Ok(pem) => Some(pem),
            Err(_) => {
                tracing::warn!(file, "cannot read CA bundle");
                None
            }
        })
        .collect()
}

fn root_certs() -> Vec<ureq::tls::Certificate<'static>> {
    let mut out = Vec::new();
    for pem in trusted_ca_bundles() {
        for item in ureq::tls::parse_pem(&pem).flatten() {
            if let ureq::tls::PemItem::Certificate(c) = item {
                out.push(c);
            }
        }
    }
    out
}

impl HttpsFetcher {
    /// An agent with the trust roots read now.
    #[expect(
        deprecated,
        reason = "rustls deprecates its ring provider for lacking post-quantum key exchange; fetching public keys needs no secrecy against a future quantum adversary, and aws-lc-rs would bring a C/CMake build and licenses the tree does not allow"
    )]
    pub fn new() -> HttpsFetcher {
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .root_certs(ureq::tls::RootCerts::from(root_certs()))
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .https_only(true)
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .new_agent();
        HttpsFetcher { agent }
    }
}

impl Default for HttpsFetcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Fetch for HttpsFetcher {
    fn get_json(&self, url: &str) -> std::result::Result<Value, String> {
        let mut resp = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| format!("{url}: {e}"))?;
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_DOCUMENT)
            .read_to_string()
            .map_err(|e| format!("{url}: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("{url}: not JSON: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    const ISS: &str = "https://idp.example.com";

    /// Serves one RSA key `k1`, or fails while `down` is set; counts JWKS fetches.
    struct Fake {
        down: Arc<AtomicBool>,
        jwks: Arc<AtomicU64>,
    }

    impl Fetch for Fake {
        fn get_json(&self, url: &str) -> std::result::Result<Value, String> {
            if self.down.load(Ordering::SeqCst) {
                return Err("unreachable".into());
            }
            if url == format!("{ISS}/.well-known/openid-configuration") {
                return Ok(json!({"issuer": ISS, "jwks_uri": format!("{ISS}/jwks")}));
            }
            self.jwks.fetch_add(1, Ordering::SeqCst);
            Ok(json!({"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}))
        }
    }

    fn token(kid: &str) -> Token {
        let h = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            json!({"alg": "RS256", "kid": kid}).to_string(),
        );
        super::super::jwt::parse(&format!("{h}.e30.c2ln")).unwrap()
    }

    fn cache() -> (KeyCache, Arc<AtomicBool>, Arc<AtomicU64>) {
        let down = Arc::new(AtomicBool::new(false));
        let jwks = Arc::new(AtomicU64::new(0));
        let fake = Fake {
            down: Arc::clone(&down),
            jwks: Arc::clone(&jwks),
        };
        (KeyCache::new(Box::new(fake)), down, jwks)
    }

    #[test]
    fn keys_are_fetched_once_and_unknown_kids_refetch_at_most_once_per_interval() {
        let (c, _, jwks) = cache();
        for _ in 0..3 {
            assert_eq!(c.keys_for(ISS, &token("k1")).unwrap().len(), 1);
        }
        assert_eq!(jwks.load(Ordering::SeqCst), 1);
        // Unknown kids right after a fetch: the cached set answers, no new fetch.
        for _ in 0..5 {
            assert_eq!(c.keys_for(ISS, &token("zz")).unwrap().len(), 1);
        }
        assert_eq!(jwks.load(Ordering::SeqCst), 1);
        assert_eq!(c.fetch_count(), 1);
    }

    #[test]
    fn an_unreachable_issuer_is_an_idp_communication_error_asked_at_most_once_per_interval() {
        let (c, down, _) = cache();
        down.store(true, Ordering::SeqCst);
        for _ in 0..3 {
            let e = c.keys_for(ISS, &token("k1")).unwrap_err();
            assert_eq!(e.aws_code(), warden_wire::ErrorCode::IDPCommunicationError);
        }
        assert_eq!(c.fetch_count(), 1);
    }

    #[test]
    fn a_discovery_document_of_another_issuer_or_plain_http_keys_is_refused() {
        struct Odd(Value);
        impl Fetch for Odd {
            fn get_json(&self, _: &str) -> std::result::Result<Value, String> {
                Ok(self.0.clone())
            }
        }
        for doc in [
            json!({"issuer": "https://evil.example.com", "jwks_uri": "https://evil.example.com/jwks"}),
            json!({"issuer": ISS, "jwks_uri": "http://idp.example.com/jwks"}),
            json!({"issuer": ISS}),
        ] {
            let c = KeyCache::new(Box::new(Odd(doc)));
            assert!(c.keys_for(ISS, &token("k1")).is_err());
        }
    }
}
