//! The persisted entities. Each one is stored as one JSON record under
//! `(kind, account, key)`; secrets inside are sealed before they are stored.

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::crypto::Secret;

/// Seconds since the Unix epoch. Kept as a plain integer so records stay
/// readable and the edge decides the wire format.
pub type Epoch = i64;

/// The current time as an [`Epoch`].
pub fn now_epoch() -> Epoch {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A tag on an IAM entity or Organizations resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Key comparison depends on the entity: case-insensitive for users and roles, case-sensitive
    /// for managed policies.
    pub key: String,
    /// The tag's value; may be empty.
    pub value: String,
}

/// An account's password policy (UpdateAccountPasswordPolicy); absent until one is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PasswordPolicy {
    /// MinimumPasswordLength, 6 to 128; AWS's default of 8 applies when `None`.
    pub minimum_password_length: Option<i32>,
    /// RequireSymbols: at least one of AWS's symbols, ``!@#$%^&*()_+-=[]{}|'``.
    pub require_symbols: bool,
    /// RequireNumbers: at least one digit.
    pub require_numbers: bool,
    /// RequireUppercaseCharacters: at least one upper-case letter.
    pub require_uppercase_characters: bool,
    /// RequireLowercaseCharacters: at least one lower-case letter.
    pub require_lowercase_characters: bool,
    /// AllowUsersToChangePassword: whether users may call ChangePassword on their own password.
    pub allow_users_to_change_password: bool,
    /// MaxPasswordAge in days; stored and reported, not enforced (warden has no console sign-in).
    pub max_password_age: Option<i32>,
    /// PasswordReusePrevention: how many previous passwords a new one may not repeat (1 to 24).
    pub password_reuse_prevention: Option<i32>,
    /// HardExpiry; stored and reported, not enforced (warden has no console sign-in).
    pub hard_expiry: Option<bool>,
}

/// An AWS account known to warden: created on first start or by CreateAccount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The 12-digit account id.
    pub id: String,
    /// When the account was created in warden.
    pub created: Epoch,
    /// The account alias, unique across all accounts (AWS allows one per account).
    #[serde(default)]
    pub alias: Option<String>,
    /// The password policy, if one is set.
    #[serde(default)]
    pub password_policy: Option<PasswordPolicy>,
    /// Centralized root access features enabled by this management account (IAM's
    /// EnableOrganizationsRoot*), for the organization they were enabled in.
    #[serde(default)]
    pub root_access: Option<RootAccess>,
    /// SetSecurityTokenServicePreferences: the global STS endpoint issues version 2 tokens
    /// (`v2Token`) rather than AWS's default version 1 (`v1Token`). Stored and reported by
    /// GetAccountSummary's GlobalEndpointTokenVersion; warden's tokens are valid everywhere.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub v2_global_endpoint_tokens: bool,
}

/// Centralized root access features of an organization, kept by its management account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootAccess {
    /// The organization they were enabled for: after it is deleted and another created, they are gone.
    pub organization_id: String,
    /// `RootCredentialsManagement` and/or `RootSessions`, in that order.
    pub features: Vec<String>,
}

/// A user's console password (CreateLoginProfile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    /// Argon2id PHC string; never the password.
    pub password_hash: String,
    /// When the login profile was created.
    pub created: Epoch,
    /// PasswordResetRequired: the user must set a new password at next sign-in.
    pub password_reset_required: bool,
    /// Hashes of earlier passwords, newest first, for the password policy's
    /// PasswordReusePrevention (at most 24 are kept, AWS's maximum).
    #[serde(default)]
    pub previous_hashes: Vec<String>,
    /// When the password was last changed (the credential report's
    /// password_last_changed); `None` until it first changes, so `created`.
    #[serde(default)]
    pub password_changed: Option<Epoch>,
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
    /// Unique within its user, group or role (case-sensitive).
    pub name: String,
    /// The document as the client sent it (decoded).
    pub document: String,
    /// The document compiled for the authorizer; rebuilt at load, not stored.
    #[serde(skip)]
    pub compiled: Compiled,
}

/// One version of a customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub id: String,
    /// The policy document as given.
    pub document: String,
    /// When the version was created.
    pub created: Epoch,
    /// The document compiled for the authorizer; rebuilt at load, not stored.
    #[serde(skip)]
    pub compiled: Compiled,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    /// The owning account.
    pub account: String,
    /// As created; unique per account regardless of case.
    pub name: String,
    /// `/` unless set at creation.
    pub path: String,
    /// The `ANPA...` policy id.
    pub id: String,
    /// When the policy was created.
    pub created: Epoch,
    /// When a version was added or the default version changed.
    pub updated: Epoch,
    /// The description given at creation; it cannot change later.
    #[serde(default)]
    pub description: Option<String>,
    /// Tags; keys compare case-sensitively on managed policies.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Newest first.
    pub versions: Vec<PolicyVersion>,
    /// The id (`v1`, ...) of the version in force.
    pub default_version: String,
    /// The number the next version gets (`v{n}`); never reused.
    pub next_version: u32,
}

impl ManagedPolicy {
    /// `arn:aws:iam::ACCOUNT:policy{path}{name}`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy{}{}",
            self.account, self.path, self.name
        )
    }

    /// The default version, the one the authorizer uses.
    pub fn default(&self) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.id == self.default_version)
    }
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The owning account.
    pub account: String,
    /// As created; unique per account regardless of case.
    pub name: String,
    /// `/` unless set; starts and ends with `/`.
    pub path: String,
    /// The unique id (`AIDA...`), the `aws:userid` of the user's requests.
    pub id: String,
    /// When the user was created.
    pub created: Epoch,
    /// Tags; keys compare case-insensitively.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// ARN of the managed policy used as the permissions boundary, if any.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    /// Lower-cased names of the groups the user belongs to, in join order.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The console password, if the user has one.
    #[serde(default)]
    pub login_profile: Option<LoginProfile>,
    /// When the password was last used to sign in; always `None`, as warden has no console sign-in.
    #[serde(default)]
    pub password_last_used: Option<Epoch>,
    /// Inline policies (PutUserPolicy), in the order first put.
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    /// ARNs of attached managed policies, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
}

impl User {
    /// `arn:aws:iam::ACCOUNT:user{path}{name}`.
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
    /// The owning account.
    pub account: String,
    /// As created; unique per account regardless of case.
    pub name: String,
    /// `/` unless set; `/aws-service-role/SERVICE/` for service-linked roles.
    pub path: String,
    /// The unique id (`AROA...`); session ARNs and `aws:userid` use it.
    pub id: String,
    /// When the role was created.
    pub created: Epoch,
    /// The description, if set (CreateRole, UpdateRole).
    #[serde(default)]
    pub description: Option<String>,
    /// The longest session AssumeRole may grant, 3600 to 43200 seconds.
    pub max_session_duration: i32,
    /// The trust policy as the client last saved it.
    pub trust_document: String,
    /// `(principal ARN, unique id)` for every IAM user or role the trust
    /// policy named when it was saved.
    #[serde(default)]
    pub trust_pins: Vec<(String, String)>,
    /// The trust policy compiled for AssumeRole; rebuilt at load, not stored.
    #[serde(skip)]
    pub trust_compiled: Compiled,
    /// ARN of the managed policy used as the permissions boundary, if any.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    /// Tags; keys compare case-insensitively.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Inline policies (PutRolePolicy), in the order first put.
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    /// ARNs of attached managed policies, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// When and where the role was last assumed.
    #[serde(default)]
    pub last_used: Option<(Epoch, String)>,
}

impl Role {
    /// `arn:aws:iam::ACCOUNT:role{path}{name}`.
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
    /// The owning account.
    pub account: String,
    /// As created; unique per account regardless of case.
    pub name: String,
    /// `/` unless set at creation.
    pub path: String,
    /// The unique id (`AIPA...`).
    pub id: String,
    /// When the profile was created.
    pub created: Epoch,
    /// Lower-cased name of the role it holds.
    #[serde(default)]
    pub role: Option<String>,
    /// Tags; keys compare case-insensitively.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl InstanceProfile {
    /// `arn:aws:iam::ACCOUNT:instance-profile{path}{name}`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:instance-profile{}{}",
            self.account, self.path, self.name
        )
    }
}

/// An IAM group. Its members are not stored here: each user lists its groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The owning account.
    pub account: String,
    /// As created; unique per account regardless of case.
    pub name: String,
    /// `/` unless set.
    pub path: String,
    /// The unique id (`AGPA...`).
    pub id: String,
    /// When the group was created.
    pub created: Epoch,
    /// Inline policies (PutGroupPolicy), in the order first put.
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    /// ARNs of attached managed policies, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
}

impl Group {
    /// `arn:aws:iam::ACCOUNT:group{path}{name}`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:group{}{}",
            self.account, self.path, self.name
        )
    }
}

/// Whether an access key may sign requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    /// The key signs requests.
    Active,
    /// The key is refused (InvalidClientTokenId) until made active again.
    Inactive,
}

impl KeyStatus {
    /// The API's spelling: `Active` or `Inactive`.
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
    /// The access key id (`AKIA...`), which also encodes the account.
    pub id: String,
    /// The owning account.
    pub account: String,
    /// The owner's lower-cased user name; `None` for a root key.
    pub user: Option<String>,
    /// Active or Inactive.
    pub status: KeyStatus,
    /// When the key was created.
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
    /// The access key id.
    pub key_id: String,
    /// The key's account.
    pub account: String,
    /// When the key last signed a request.
    pub date: Epoch,
    /// The service the request went to (`iam`, `sts`, ...).
    pub service: String,
    /// The region the request was signed for.
    pub region: String,
}

/// A virtual MFA device. `user` is the lower-cased name of the user it is
/// enabled for (or `None` while unassigned).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaDevice {
    /// The owning account.
    pub account: String,
    /// The serial number: `arn:aws:iam::ACCOUNT:mfa{path}{name}`.
    pub serial: String,
    /// The VirtualMFADeviceName given at creation.
    pub name: String,
    /// `/` unless set at creation.
    pub path: String,
    /// When the device was created.
    pub created: Epoch,
    /// The lower-cased name of the user it is enabled for; `None` while unassigned.
    #[serde(default)]
    pub user: Option<String>,
    /// When EnableMFADevice assigned it; `None` while unassigned.
    #[serde(default)]
    pub enable_date: Option<Epoch>,
    /// Tags; keys compare case-insensitively.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The TOTP seed sealed under the master key (AAD = serial).
    pub sealed_seed: String,
    /// The plaintext TOTP seed, needed in memory to check codes. Never stored.
    #[serde(skip)]
    pub seed: Secret,
    /// The last TOTP time step accepted, so a code is never accepted twice.
    #[serde(default)]
    pub last_step: u64,
}
