//! The persisted entities. Each one is stored as one JSON record under
//! `(kind, account, key)`; secrets inside are sealed before they are stored.

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::crypto::Secret;

/// Seconds since the Unix epoch. Kept as a plain integer so records stay
/// readable and the edge decides the wire format.
pub type Epoch = i64;

pub fn now_epoch() -> Epoch {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PasswordPolicy {
    pub minimum_password_length: Option<i32>,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    pub max_password_age: Option<i32>,
    pub password_reuse_prevention: Option<i32>,
    pub hard_expiry: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub created: Epoch,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub password_policy: Option<PasswordPolicy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    /// Argon2id PHC string; never the password.
    pub password_hash: String,
    pub created: Epoch,
    pub password_reset_required: bool,
    /// Hashes of earlier passwords, newest first, for the password policy's
    /// PasswordReusePrevention (at most 24 are kept, AWS's maximum).
    #[serde(default)]
    pub previous_hashes: Vec<String>,
}

/// A policy compiled when it was stored or loaded; never persisted. Equality
/// ignores it: the document text is the identity of a policy.
#[derive(Debug, Clone, Default)]
pub struct Compiled(pub Option<Arc<warden_policy::Policy>>);

impl PartialEq for Compiled {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Compiled {}

/// An inline policy embedded in a user, group or role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    /// The document as the client sent it (decoded).
    pub document: String,
    #[serde(skip)]
    pub compiled: Compiled,
}

/// One version of a customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub id: String,
    pub document: String,
    pub created: Epoch,
    #[serde(skip)]
    pub compiled: Compiled,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub account: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: Epoch,
    pub updated: Epoch,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Newest first.
    pub versions: Vec<PolicyVersion>,
    pub default_version: String,
    /// The number the next version gets (`v{n}`); never reused.
    pub next_version: u32,
}

impl ManagedPolicy {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy{}{}",
            self.account, self.path, self.name
        )
    }

    pub fn default(&self) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.id == self.default_version)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub account: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: Epoch,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    /// Lower-cased names of the groups the user belongs to, in join order.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub login_profile: Option<LoginProfile>,
    #[serde(default)]
    pub password_last_used: Option<Epoch>,
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    /// ARNs of attached managed policies, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
}

impl User {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            self.account, self.path, self.name
        )
    }
}

/// An IAM role. The trust policy keeps the unique ids of the IAM users and
/// roles it names at save time (`trust_pins`), as AWS does, so a principal
/// deleted and re-created under the same name no longer matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub account: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: Epoch,
    #[serde(default)]
    pub description: Option<String>,
    pub max_session_duration: i32,
    pub trust_document: String,
    /// `(principal ARN, unique id)` for every IAM user or role the trust
    /// policy named when it was saved.
    #[serde(default)]
    pub trust_pins: Vec<(String, String)>,
    #[serde(skip)]
    pub trust_compiled: Compiled,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// When and where the role was last assumed.
    #[serde(default)]
    pub last_used: Option<(Epoch, String)>,
}

impl Role {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }
}

/// An instance profile: a container for at most one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub account: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: Epoch,
    /// Lower-cased name of the role it holds.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl InstanceProfile {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:instance-profile{}{}",
            self.account, self.path, self.name
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub account: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: Epoch,
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_policies: Vec<String>,
}

impl Group {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:group{}{}",
            self.account, self.path, self.name
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
        }
    }
}

/// A long-term access key. `user` is the lower-cased user name, or `None`
/// for the account's root user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub account: String,
    pub user: Option<String>,
    pub status: KeyStatus,
    pub created: Epoch,
    /// The secret sealed under the master key (AAD = key id). This is what
    /// is stored.
    pub sealed_secret: String,
    /// The plaintext secret, needed in memory to verify SigV4. Never stored.
    #[serde(skip)]
    pub secret: Secret,
}

/// Where and when an access key was last used. Kept apart from the key record
/// so the request path can record use without a disk write per request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLastUsed {
    pub key_id: String,
    pub account: String,
    pub date: Epoch,
    pub service: String,
    pub region: String,
}

/// A virtual MFA device. `user` is the lower-cased name of the user it is
/// enabled for (or `None` while unassigned).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaDevice {
    pub account: String,
    pub serial: String,
    pub name: String,
    pub path: String,
    pub created: Epoch,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub enable_date: Option<Epoch>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The TOTP seed sealed under the master key (AAD = serial).
    pub sealed_seed: String,
    #[serde(skip)]
    pub seed: Secret,
    /// The last TOTP time step accepted, so a code is never accepted twice.
    #[serde(default)]
    pub last_step: u64,
}
