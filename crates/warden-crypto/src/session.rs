//! Self-contained session tokens: the claims of temporary credentials,
//! sealed with AES-256-GCM-SIV under a key derived from the master key.
//!
//! The token carries the temporary secret access key, so the server verifies
//! SigV4 for `ASIA...` keys without a database lookup. Opening a token costs
//! about a microsecond (see `benches/session_token.rs`).
//!
//! Why AES-256-GCM-SIV: it is nonce-misuse resistant, so random 96-bit
//! nonces stay safe however many tokens one key seals (a repeated nonce
//! reveals only that two plaintexts were equal), and with AES-NI and
//! carry-less multiply its per-message setup is a fraction of
//! XChaCha20-Poly1305's, which dominated for tokens this small (2.9 µs vs
//! under 1 µs to open one here). Version 1 tokens (XChaCha20-Poly1305) no
//! longer open; sessions are short-lived.
//!
//! Wire form: standard base64 (AWS tokens look the same) of
//! `version (1) ‖ key id (4) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`, where the
//! first five bytes are also the AEAD's associated data. The plaintext is a
//! compact length-prefixed binary encoding of [`SessionClaims`]
//! ([`encode_claims`]), four to five times faster to decode than JSON.

use aes_gcm_siv::aead::{Aead, KeyInit, Payload};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use zeroize::Zeroize;

use super::master::hmac32;
use super::{random_bytes, Secret};

/// Token format version; bump on any change of the layout or the claims encoding.
const TOKEN_VERSION: u8 = 3;
/// Tokens longer than this are refused before decoding (AWS caps session
/// tokens far below; this bounds the work a junk header can cause).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
const HEADER_LEN: usize = 1 + 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of ours: bad base64, wrong key or version, tampered, or
    /// truncated. The server answers `InvalidClientTokenId`.
    #[error("The security token included in the request is invalid.")]
    Invalid,
    /// Authentic but past `expires_at`. The server answers `ExpiredToken`.
    #[error("The security token included in the request is expired")]
    Expired,
    /// The claims are too large to encode (a field over 4 GiB).
    #[error("session claims too large to encode")]
    TooLarge,
}

/// What kind of principal the session belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SessionPrincipalKind {
    /// The account's root user (GetSessionToken).
    #[default]
    Root,
    /// An IAM user (GetSessionToken).
    User,
    /// An assumed role (AssumeRole*).
    AssumedRole,
    /// A federated user (GetFederationToken).
    FederatedUser,
    /// A member account's root user in a privileged-task session (AssumeRoot): its task policy travels as
    /// the session policy and only denies.
    RootTask,
}

impl SessionPrincipalKind {
    fn to_byte(self) -> u8 {
        match self {
            Self::Root => 0,
            Self::User => 1,
            Self::AssumedRole => 2,
            Self::FederatedUser => 3,
            Self::RootTask => 4,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0 => Self::Root,
            1 => Self::User,
            2 => Self::AssumedRole,
            3 => Self::FederatedUser,
            4 => Self::RootTask,
            _ => return None,
        })
    }
}

/// Everything a session token asserts. Times are Unix seconds.
///
/// Extending: add the field here, then to [`encode_claims`] and
/// `decode_claims` (the encoder destructures the struct exhaustively, so a
/// new field is a compile error until it is encoded), and bump
/// `TOKEN_VERSION`. Deliberately no `serde` derive: the struct holds the
/// temporary secret and must not be serialized anywhere but into a sealed
/// token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionClaims {
    /// The temporary access key id (`ASIA...`).
    pub access_key_id: String,
    /// The temporary secret access key.
    pub secret_access_key: Secret,
    /// The 12-digit account id.
    pub account: String,
    /// Kind of the principal.
    pub principal_kind: SessionPrincipalKind,
    /// ARN of the principal (`arn:aws:iam::ACCT:user/x`, `...:assumed-role/R/S`).
    pub principal_arn: String,
    /// `aws:userid` (unique id, `AROA...:session`, or the account id for root).
    pub principal_id: String,
    /// Lower-cased IAM user name for user sessions.
    pub user_name_lower: Option<String>,
    /// Unique id (`AIDA...`) of the IAM user a federation session was issued
    /// to: its `principal_id` is `account:name`, so without this the session
    /// would bind to the user's name and outlive the user's deletion once a
    /// user of the same name is created.
    pub user_id: Option<String>,
    /// Role ARN for assumed-role sessions.
    pub role_arn: Option<String>,
    /// Role session name for assumed-role sessions.
    pub role_session_name: Option<String>,
    /// When the credentials were issued.
    pub issued_at: i64,
    /// When they expire.
    pub expires_at: i64,
    /// Whether MFA was presented when the session was created.
    pub mfa_authenticated: bool,
    /// When MFA was presented (`aws:MultiFactorAuthAge` counts from here).
    pub mfa_auth_time: Option<i64>,
    /// `sts:SourceIdentity`.
    pub source_identity: Option<String>,
    /// An inline session policy (JSON text).
    pub session_policy: Option<String>,
    /// Session tags, in the order given.
    pub session_tags: Vec<(String, String)>,
    /// Keys of session tags that pass to chained sessions.
    pub transitive_tag_keys: Vec<String>,
    /// Scope-down policies (JSON texts) added by GetScopedCredentials, oldest first: every one must allow.
    /// Encoded last and read as empty when absent, so tokens sealed before the field existed still open.
    pub scope_policies: Vec<String>,
    /// The IAM OIDC provider ARN of an AssumeRoleWithWebIdentity session (`aws:FederatedProvider`);
    /// the session ends when the provider is deleted.
    pub federated_provider: Option<String>,
    /// The identity provider's condition keys that AWS keeps in the session's later requests
    /// (`HOST/PATH:sub`, `:aud`, `:amr`; `saml:sub`, `saml:sub_type`, `saml:namequalifier`), each with
    /// its values. Encoded after `federated_provider` and only with it; absent in older tokens.
    pub federated_keys: Vec<(String, Vec<String>)>,
}

impl SessionClaims {
    /// Whether the session has expired at `now` (expiry is exclusive).
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn bytes(&mut self, b: &[u8]) -> Result<(), TokenError> {
        let len = u32::try_from(b.len()).map_err(|_| TokenError::TooLarge)?;
        self.varint(u64::from(len));
        self.0.extend_from_slice(b);
        Ok(())
    }
    fn str(&mut self, s: &str) -> Result<(), TokenError> {
        self.bytes(s.as_bytes())
    }
    fn opt_str(&mut self, s: &Option<String>) -> Result<(), TokenError> {
        match s {
            None => {
                self.0.push(0);
                Ok(())
            }
            Some(s) => {
                self.0.push(1);
                self.str(s)
            }
        }
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn opt_i64(&mut self, v: Option<i64>) {
        match v {
            None => self.0.push(0),
            Some(v) => {
                self.0.push(1);
                self.i64(v);
            }
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        let end = self.pos.checked_add(len)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }
    fn string(&mut self) -> Option<String> {
        std::str::from_utf8(self.bytes()?).ok().map(str::to_owned)
    }
    fn opt_string(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.string()?)),
            _ => None,
        }
    }
    fn i64(&mut self) -> Option<i64> {
        let end = self.pos.checked_add(8)?;
        let b: [u8; 8] = self.buf.get(self.pos..end)?.try_into().ok()?;
        self.pos = end;
        Some(i64::from_le_bytes(b))
    }
    fn opt_i64(&mut self) -> Option<Option<i64>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.i64()?)),
            _ => None,
        }
    }
    fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

/// The binary encoding of the claims (the token's plaintext).
pub fn encode_claims(c: &SessionClaims) -> Result<Vec<u8>, TokenError> {
    // Exhaustive on purpose: a new field does not compile until encoded.
    let SessionClaims {
        access_key_id,
        secret_access_key,
        account,
        principal_kind,
        principal_arn,
        principal_id,
        user_name_lower,
        user_id,
        role_arn,
        role_session_name,
        issued_at,
        expires_at,
        mfa_authenticated,
        mfa_auth_time,
        source_identity,
        session_policy,
        session_tags,
        transitive_tag_keys,
        scope_policies,
        federated_provider,
        federated_keys,
    } = c;
    let mut w = Writer(Vec::with_capacity(
        160 + principal_arn.len() + session_policy.as_ref().map_or(0, String::len),
    ));
    w.str(access_key_id)?;
    w.bytes(secret_access_key.expose())?;
    w.str(account)?;
    w.0.push(principal_kind.to_byte());
    w.str(principal_arn)?;
    w.str(principal_id)?;
    w.opt_str(user_name_lower)?;
    w.opt_str(user_id)?;
    w.opt_str(role_arn)?;
    w.opt_str(role_session_name)?;
    w.i64(*issued_at);
    w.i64(*expires_at);
    w.0.push(u8::from(*mfa_authenticated));
    w.opt_i64(*mfa_auth_time);
    w.opt_str(source_identity)?;
    w.opt_str(session_policy)?;
    w.varint(session_tags.len() as u64);
    for (k, v) in session_tags {
        w.str(k)?;
        w.str(v)?;
    }
    w.varint(transitive_tag_keys.len() as u64);
    for k in transitive_tag_keys {
        w.str(k)?;
    }
    w.varint(scope_policies.len() as u64);
    for p in scope_policies {
        w.str(p)?;
    }
    // Written only when set, so other sessions' tokens keep their layout.
    if federated_provider.is_some() {
        w.opt_str(federated_provider)?;
        // Likewise only when there are keys: a count present is never zero.
        if !federated_keys.is_empty() {
            w.varint(federated_keys.len() as u64);
            for (key, values) in federated_keys {
                w.str(key)?;
                w.varint(values.len() as u64);
                for v in values {
                    w.str(v)?;
                }
            }
        }
    } else if !federated_keys.is_empty() {
        // Provider keys belong to a federated session; without its provider they could not be read back.
        return Err(TokenError::Invalid);
    }
    Ok(w.0)
}

fn decode_claims(buf: &[u8]) -> Option<SessionClaims> {
    let mut r = Reader { buf, pos: 0 };
    let access_key_id = r.string()?;
    let secret_access_key = Secret::from(r.bytes()?);
    let account = r.string()?;
    let principal_kind = SessionPrincipalKind::from_byte(r.u8()?)?;
    let principal_arn = r.string()?;
    let principal_id = r.string()?;
    let user_name_lower = r.opt_string()?;
    let user_id = r.opt_string()?;
    let role_arn = r.opt_string()?;
    let role_session_name = r.opt_string()?;
    let issued_at = r.i64()?;
    let expires_at = r.i64()?;
    let mfa_authenticated = r.bool()?;
    let mfa_auth_time = r.opt_i64()?;
    let source_identity = r.opt_string()?;
    let session_policy = r.opt_string()?;
    // Counts are bounded by the remaining bytes (each item needs at least
    // one), so a forged count cannot make us allocate much.
    let n = usize::try_from(r.varint()?).ok()?;
    if n > buf.len() - r.pos {
        return None;
    }
    let mut session_tags = Vec::with_capacity(n);
    for _ in 0..n {
        session_tags.push((r.string()?, r.string()?));
    }
    let n = usize::try_from(r.varint()?).ok()?;
    if n > buf.len() - r.pos {
        return None;
    }
    let mut transitive_tag_keys = Vec::with_capacity(n);
    for _ in 0..n {
        transitive_tag_keys.push(r.string()?);
    }
    // Absent in tokens sealed before GetScopedCredentials existed.
    let mut scope_policies = Vec::new();
    if r.pos < buf.len() {
        let n = usize::try_from(r.varint()?).ok()?;
        if n > buf.len() - r.pos {
            return None;
        }
        for _ in 0..n {
            scope_policies.push(r.string()?);
        }
    }
    // Absent unless the session is a web identity's; written only when set,
    // so a present field must say so (one canonical encoding per claims).
    let federated_provider = if r.pos < buf.len() {
        match r.opt_string()? {
            Some(p) => Some(p),
            None => return None,
        }
    } else {
        None
    };
    // Absent unless a federated session has provider keys (never a zero count).
    let mut federated_keys = Vec::new();
    if r.pos < buf.len() {
        let n = usize::try_from(r.varint()?).ok()?;
        if n == 0 || n > buf.len() - r.pos {
            return None;
        }
        for _ in 0..n {
            let key = r.string()?;
            let m = usize::try_from(r.varint()?).ok()?;
            if m > buf.len() - r.pos {
                return None;
            }
            let mut values = Vec::with_capacity(m);
            for _ in 0..m {
                values.push(r.string()?);
            }
            federated_keys.push((key, values));
        }
    }
    if r.pos != buf.len() {
        return None;
    }
    Some(SessionClaims {
        access_key_id,
        secret_access_key,
        account,
        principal_kind,
        principal_arn,
        principal_id,
        user_name_lower,
        user_id,
        role_arn,
        role_session_name,
        issued_at,
        expires_at,
        mfa_authenticated,
        mfa_auth_time,
        source_identity,
        session_policy,
        session_tags,
        transitive_tag_keys,
        scope_policies,
        federated_provider,
        federated_keys,
    })
}

/// How many opened tokens [`SessionKey`] remembers (about 0.5 KiB each).
pub const OPENED_TOKEN_CACHE_CAPACITY: usize = 2048;

/// Seals and opens session tokens. Derive it with
/// [`super::MasterKey::derive_session_key`]; never use the master key directly.
///
/// Opening is cached: a client reuses its session token for every request,
/// and even a fast AEAD costs several times a map lookup. The cache maps the
/// exact token text to its claims, so a hit returns precisely what decryption
/// returned; only tokens that opened successfully are cached, and the cache
/// is flushed whole when full. Expiry is never cached (callers check it on
/// every use). Clones share the cache.
#[derive(Clone)]
pub struct SessionKey {
    cipher: Aes256GcmSiv,
    header: [u8; HEADER_LEN],
    opened: Arc<RwLock<HashMap<Box<str>, CachedToken>>>,
}

/// A cache entry: the full token (compared on lookup) and its claims.
struct CachedToken {
    token: Box<str>,
    /// Shared: a hit hands out a reference, not a copy of every claim.
    claims: Arc<SessionClaims>,
}

/// The cache key: the token's last characters, which encode its tag (a
/// function of the random nonce and the claims, so unique per token). Hashing 32 characters instead of the whole token
/// keeps lookups cheap; the full text is still compared before a hit counts.
fn cache_key(token: &str) -> &str {
    let start = token.len().saturating_sub(32);
    token.get(start..).unwrap_or(token)
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKey")
            .field("key_id", &hex4(&self.header[1..]))
            .field("cached_tokens", &self.opened.read().len())
            .finish_non_exhaustive()
    }
}

fn hex4(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl SessionKey {
    /// A short id of this key (not secret: it is in every token's header).
    /// Tells apart wardens sharing one process, e.g. in tests.
    pub fn key_id(&self) -> u32 {
        u32::from_le_bytes([
            self.header[1],
            self.header[2],
            self.header[3],
            self.header[4],
        ])
    }

    /// A session key from 32 key bytes.
    pub fn new(key: &[u8; 32]) -> Self {
        let id = hmac32(key, b"warden/v1/session-key-id");
        let mut header = [0u8; HEADER_LEN];
        header[0] = TOKEN_VERSION;
        header[1..].copy_from_slice(&id[..4]);
        Self {
            cipher: Aes256GcmSiv::new(key.into()),
            header,
            opened: Arc::new(RwLock::new(HashMap::new())),
        }
    }

    /// Seals `claims` into a token string.
    pub fn seal_session(&self, claims: &SessionClaims) -> Result<String, TokenError> {
        let mut plain = encode_claims(claims)?;
        let nonce = random_bytes(NONCE_LEN);
        let ct = self.cipher.encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plain,
                aad: &self.header,
            },
        );
        // The plaintext holds the temporary secret.
        plain.zeroize();
        let ct = ct.map_err(|_| TokenError::TooLarge)?;
        let mut blob = Vec::with_capacity(HEADER_LEN + NONCE_LEN + ct.len());
        blob.extend_from_slice(&self.header);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ct);
        Ok(STANDARD.encode(&blob))
    }

    /// Opens a token. Anything not sealed by this key, or altered in any
    /// way, is [`TokenError::Invalid`]. Expiry is not checked here (see
    /// [`SessionKey::open_session_at`]).
    pub fn open_session(&self, token: &str) -> Result<Arc<SessionClaims>, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Invalid);
        }
        if let Some(hit) = self.opened.read().get(cache_key(token)) {
            if *hit.token == *token {
                return Ok(Arc::clone(&hit.claims));
            }
        }
        let claims = Arc::new(self.open_uncached(token)?);
        let mut cache = self.opened.write();
        if cache.len() >= OPENED_TOKEN_CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(
            cache_key(token).into(),
            CachedToken {
                token: token.into(),
                claims: Arc::clone(&claims),
            },
        );
        Ok(claims)
    }

    /// Opens a token without the cache (benchmarks, tests).
    pub fn open_uncached(&self, token: &str) -> Result<SessionClaims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Invalid);
        }
        let blob = STANDARD
            .decode(token.trim())
            .map_err(|_| TokenError::Invalid)?;
        if blob.len() < HEADER_LEN + NONCE_LEN + TAG_LEN || blob[..HEADER_LEN] != self.header {
            return Err(TokenError::Invalid);
        }
        let (nonce, ct) = blob[HEADER_LEN..].split_at(NONCE_LEN);
        let mut plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: &self.header,
                },
            )
            .map_err(|_| TokenError::Invalid)?;
        let claims = decode_claims(&plain);
        plain.zeroize();
        claims.ok_or(TokenError::Invalid)
    }

    /// Opens a token and refuses it once `now >= expires_at`.
    pub fn open_session_at(&self, token: &str, now: i64) -> Result<Arc<SessionClaims>, TokenError> {
        let claims = self.open_session(token)?;
        if claims.is_expired(now) {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MasterKey;

    pub(crate) fn sample() -> SessionClaims {
        SessionClaims {
            access_key_id: "ASIAJEXAMPLEXEG2JICEA".into(),
            secret_access_key: Secret::from("9drTJvcXLB89EXAMPLELB8923FB892xMFI"),
            account: "123456789012".into(),
            principal_kind: SessionPrincipalKind::User,
            principal_arn: "arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob".into(),
            principal_id: "AIDAJQABLZS4A3QDU576Q".into(),
            user_name_lower: Some("bob".into()),
            user_id: Some("AIDAJQABLZS4A3QDU576Q".into()),
            role_arn: None,
            role_session_name: None,
            issued_at: 1_700_000_000,
            expires_at: 1_700_043_200,
            mfa_authenticated: true,
            mfa_auth_time: Some(1_700_000_000),
            source_identity: Some("bob@example.com".into()),
            session_policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
            session_tags: vec![
                ("Project".into(), "Unicorn".into()),
                ("Cost".into(), "42".into()),
            ],
            transitive_tag_keys: vec!["Project".into()],
            scope_policies: vec![
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#.into(),
            ],
            federated_provider: None,
            federated_keys: vec![],
        }
    }

    #[test]
    fn federated_keys_round_trip_after_the_provider_and_older_tokens_still_decode() {
        let provider_only = SessionClaims {
            federated_provider: Some("arn:aws:iam::123456789012:saml-provider/Corp".into()),
            ..sample()
        };
        let with_keys = SessionClaims {
            federated_keys: vec![
                ("saml:sub".into(), vec!["alice".into()]),
                (
                    "idp.example.com:amr".into(),
                    vec!["pwd".into(), "mfa".into()],
                ),
                ("empty".into(), vec![]),
            ],
            ..provider_only.clone()
        };
        let a = encode_claims(&provider_only).unwrap();
        let b = encode_claims(&with_keys).unwrap();
        // A token sealed before the field existed is the prefix, and still opens.
        assert!(b.starts_with(&a) && b.len() > a.len());
        assert_eq!(decode_claims(&a), Some(provider_only));
        assert_eq!(decode_claims(&b), Some(with_keys.clone()));
        // A zero count is not the canonical encoding; a truncated list is refused.
        let mut zero = a.clone();
        zero.push(0);
        assert_eq!(decode_claims(&zero), None);
        assert_eq!(decode_claims(&b[..b.len() - 1]), None);
        // Keys without a provider cannot be encoded.
        let orphan = SessionClaims {
            federated_provider: None,
            ..with_keys
        };
        assert_eq!(encode_claims(&orphan), Err(TokenError::Invalid));
    }

    #[test]
    fn a_federated_provider_round_trips_and_its_absence_keeps_the_old_layout() {
        let plain = sample();
        let federated = SessionClaims {
            federated_provider: Some(
                "arn:aws:iam::123456789012:oidc-provider/idp.example.com".into(),
            ),
            ..sample()
        };
        let a = encode_claims(&plain).unwrap();
        let b = encode_claims(&federated).unwrap();
        assert!(b.starts_with(&a) && b.len() > a.len());
        assert_eq!(decode_claims(&a), Some(plain));
        assert_eq!(decode_claims(&b), Some(federated));
        // A trailing byte that is not an option tag is refused.
        let mut bad = a.clone();
        bad.push(7);
        assert_eq!(decode_claims(&bad), None);
    }

    #[test]
    fn claims_encoded_before_scope_policies_existed_still_decode() {
        // A token's plaintext from before the field: everything up to the transitive tag keys.
        let old = SessionClaims {
            scope_policies: Vec::new(),
            ..sample()
        };
        let mut plain = encode_claims(&old).unwrap();
        assert_eq!(plain.pop(), Some(0), "the empty list is one zero count");
        assert_eq!(decode_claims(&plain), Some(old));
        // A forged count past the end is refused, not allocated.
        let mut forged = encode_claims(&sample()).unwrap();
        let len = forged.len();
        forged.truncate(len - 3);
        assert_eq!(decode_claims(&forged), None);
    }

    #[test]
    fn round_trip() {
        let k = MasterKey::generate().derive_session_key();
        let c = sample();
        let t = k.seal_session(&c);
        assert!(t.is_ok());
        let t = t.unwrap_or_default();
        assert_eq!(k.open_session(&t), Ok(Arc::new(c.clone())));
        assert_eq!(
            k.open_session_at(&t, c.expires_at - 1),
            Ok(Arc::new(c.clone()))
        );
        // Defaults round-trip too (all options empty).
        let d = SessionClaims::default();
        assert_eq!(
            k.seal_session(&d).and_then(|t| k.open_session(&t)),
            Ok(Arc::new(d))
        );
        // Each seal uses a new nonce.
        assert_ne!(Ok(t), k.seal_session(&c));
    }

    #[test]
    fn cache_hits_only_exact_tokens() {
        let k = MasterKey::generate().derive_session_key();
        let c = sample();
        let t = k.seal_session(&c).unwrap_or_default();
        assert_eq!(k.open_session(&t), Ok(Arc::new(c.clone())));
        // Cached now; a clone of the key shares the cache and still agrees.
        assert_eq!(k.clone().open_session(&t), Ok(Arc::new(c.clone())));
        // Same cache key (last 32 chars), different token: not a hit.
        let mut forged = t.clone().into_bytes();
        forged[10] = if forged[10] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap_or_default();
        assert_eq!(cache_key(&forged), cache_key(&t));
        assert_eq!(k.open_session(&forged), Err(TokenError::Invalid));
        // Expiry is still checked on a cache hit.
        assert_eq!(
            k.open_session_at(&t, c.expires_at),
            Err(TokenError::Expired)
        );
        // Bounded.
        for _ in 0..OPENED_TOKEN_CACHE_CAPACITY + 5 {
            let t = k.seal_session(&c).unwrap_or_default();
            assert!(k.open_session(&t).is_ok());
        }
        assert!(k.opened.read().len() <= OPENED_TOKEN_CACHE_CAPACITY);
    }

    #[test]
    fn expired() {
        let k = MasterKey::generate().derive_session_key();
        let c = sample();
        let t = k.seal_session(&c).unwrap_or_default();
        assert_eq!(
            k.open_session_at(&t, c.expires_at),
            Err(TokenError::Expired)
        );
        assert_eq!(
            k.open_session_at(&t, c.expires_at + 1),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tamper_any_byte_is_invalid() {
        let k = MasterKey::generate().derive_session_key();
        let t = k.seal_session(&sample()).unwrap_or_default();
        let blob = STANDARD.decode(&t).unwrap_or_default();
        assert!(!blob.is_empty());
        for i in 0..blob.len() {
            for flip in [0x01u8, 0x80] {
                let mut b = blob.clone();
                b[i] ^= flip;
                assert_eq!(
                    k.open_session(&STANDARD.encode(&b)),
                    Err(TokenError::Invalid),
                    "byte {i}"
                );
            }
        }
        // Truncations and extensions.
        for n in 0..blob.len() {
            assert_eq!(
                k.open_session(&STANDARD.encode(&blob[..n])),
                Err(TokenError::Invalid)
            );
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert_eq!(
            k.open_session(&STANDARD.encode(&longer)),
            Err(TokenError::Invalid)
        );
        // Text-level damage.
        assert_eq!(k.open_session("not base64!"), Err(TokenError::Invalid));
        assert_eq!(k.open_session(""), Err(TokenError::Invalid));
        assert_eq!(
            k.open_session(&"A".repeat(MAX_TOKEN_LEN + 4)),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn wrong_key_is_invalid() {
        let m = MasterKey::generate();
        let t = m
            .derive_session_key()
            .seal_session(&sample())
            .unwrap_or_default();
        assert_eq!(
            MasterKey::generate().derive_session_key().open_session(&t),
            Err(TokenError::Invalid)
        );
        // Same master key, same session key (deterministic derivation).
        assert!(m.derive_session_key().open_session(&t).is_ok());
        // A session key equal to another purpose's key would be key reuse:
        // the session key must not open values sealed by the master key.
        let sealed = m.seal(b"x", b"y");
        assert_eq!(
            m.derive_session_key().open_session(&sealed),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn debug_never_prints_secrets() {
        let k = MasterKey::generate().derive_session_key();
        let c = sample();
        let dbg = format!("{c:?} {k:?}");
        assert!(!dbg.contains("9drTJvcXLB89EXAMPLELB8923FB892xMFI"), "{dbg}");
        assert!(dbg.contains("Secret(***)"));
        let t = k.seal_session(&c).unwrap_or_default();
        // The token does not carry the secret in clear.
        let blob = STANDARD.decode(&t).unwrap_or_default();
        assert!(!blob.windows(10).any(|w| w == b"9drTJvcXLB"));
        assert!(!blob.windows(12).any(|w| w == b"123456789012"));
    }

    #[test]
    fn decoder_rejects_garbage_plaintext() {
        let good = encode_claims(&sample()).unwrap_or_default();
        assert!(decode_claims(&good).is_some());
        // Every prefix is refused but one: the claims without their (trailing) scope policies, as tokens
        // sealed before that field existed carry them.
        let without_scope = SessionClaims {
            scope_policies: Vec::new(),
            ..sample()
        };
        let old_len = encode_claims(&without_scope).unwrap_or_default().len() - 1;
        for n in 0..good.len() {
            let decoded = decode_claims(&good[..n]);
            if n == old_len {
                assert_eq!(decoded.as_ref(), Some(&without_scope), "prefix {n}");
            } else {
                assert!(decoded.is_none(), "prefix {n}");
            }
        }
        let mut extra = good.clone();
        extra.push(0);
        assert!(decode_claims(&extra).is_none());
        // A huge tag count with no bytes behind it.
        let mut c = SessionClaims::default();
        c.transitive_tag_keys.clear();
        let mut enc = encode_claims(&c).unwrap_or_default();
        enc.truncate(enc.len() - 2);
        enc.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
        assert!(decode_claims(&enc).is_none());
    }
}
