//! The in-memory model every request reads, and the one function that changes
//! it. Start-up replays stored records through the same [`State::apply`] that
//! live writes use, so there is one code path for both.

use std::collections::{BTreeMap, HashMap};

use serde::{de::DeserializeOwned, Serialize};
use warden_store::{Mutation, Record};

use crate::authz::stored_policies::StoredResourcePolicy;
use crate::crypto::MasterKey;
use crate::error::{CoreError, Result};
use crate::iam::access_reports::{AccessJob, AccessRecord};
use crate::iam::certificates::{ServerCertificate, SigningCertificate};
use crate::iam::oidc_providers::OidcProvider;
use crate::iam::policies::{compile_inline, compile_versions};
use crate::iam::reports::CredentialReport;
use crate::iam::saml_providers::SamlProvider;
use crate::iam::service_credentials::ServiceCredential;
use crate::iam::service_linked_roles::DeletionTask;
use crate::iam::ssh_keys::SshPublicKey;
use crate::model::{
    AccessKey, Account, Group, InstanceProfile, KeyLastUsed, ManagedPolicy, MfaDevice, Role, User,
};
use crate::orgs::org_records::{self, OrgPositions};
use crate::orgs::Organization;
use crate::outbound::OutboundFederation;
use crate::s3::S3Bucket;
use crate::saml_federation::SpentAssertion;

/// `(account, lower-cased name)`: names are unique case-insensitively but keep
/// their case, and per-account ranges come out sorted.
pub type NameKey = (String, String);

/// The [`NameKey`] of `name` in `account`: the name lower-cased, as IAM names are unique regardless
/// of case.
pub fn name_key(account: &str, name: &str) -> NameKey {
    (account.to_string(), name.to_lowercase())
}

/// The entries of one account in a map keyed by `(account, key)`, in key
/// order: a range scan, not a filter over every account.
fn in_account<'a, V>(
    map: &'a BTreeMap<(String, String), V>,
    account: &'a str,
) -> impl Iterator<Item = &'a V> + 'a {
    map.range((account.to_string(), String::new())..)
        .take_while(move |((a, _), _)| a == account)
        .map(|(_, v)| v)
}

/// The whole in-memory model: every stored entity of every account, with policies compiled, and the
/// generation counters the authorizer's caches check.
#[derive(Debug, Default, Clone)]
pub struct State {
    /// Accounts by their 12-digit id.
    pub accounts: BTreeMap<String, Account>,
    /// IAM users by `(account, lower-cased name)`.
    pub users: BTreeMap<NameKey, User>,
    /// IAM groups by `(account, lower-cased name)`.
    pub groups: BTreeMap<NameKey, Group>,
    /// Access keys (long-term, of users and root) by key id, which is unique across accounts.
    pub access_keys: HashMap<String, AccessKey>,
    /// `(account, serial)`.
    pub mfa_devices: BTreeMap<(String, String), MfaDevice>,
    /// Where each access key was last used, by key id; flushed from memory in the background.
    pub key_last_used: HashMap<String, KeyLastUsed>,
    /// Customer managed policies by `(account, lower-cased name)`.
    pub policies: BTreeMap<NameKey, ManagedPolicy>,
    /// IAM roles by `(account, lower-cased name)`.
    pub roles: BTreeMap<NameKey, Role>,
    /// Instance profiles by `(account, lower-cased name)`.
    pub instance_profiles: BTreeMap<NameKey, InstanceProfile>,
    /// Users' SSH public keys by `(account, key id)`.
    pub ssh_public_keys: BTreeMap<(String, String), SshPublicKey>,
    /// Users' service-specific credentials by `(account, credential id)`.
    pub service_credentials: BTreeMap<(String, String), ServiceCredential>,
    /// Server certificates by `(account, lower-cased name)`.
    pub server_certificates: BTreeMap<NameKey, ServerCertificate>,
    /// Signing certificates of users and root by `(account, certificate id)`.
    pub signing_certificates: BTreeMap<(String, String), SigningCertificate>,
    /// Service-linked role deletion tasks by `(account, task id)`.
    pub slr_deletion_tasks: BTreeMap<(String, String), DeletionTask>,
    /// Credential reports by account.
    pub credential_reports: BTreeMap<String, CredentialReport>,
    /// Recorded service use by `(account, "principal id\taction")`.
    pub access_records: BTreeMap<(String, String), AccessRecord>,
    /// Access-report jobs by `(account, job id)`.
    pub access_jobs: BTreeMap<(String, String), AccessJob>,
    /// OpenID Connect providers by `(account, url without scheme)`.
    pub oidc_providers: BTreeMap<(String, String), OidcProvider>,
    /// IAM SAML identity providers by `(account, lower-cased name)`.
    pub saml_providers: BTreeMap<NameKey, SamlProvider>,
    /// Organizations by id.
    pub organizations: BTreeMap<String, Organization>,
    /// Resource policies services keep in warden, by `(storing account, resource ARN)`.
    pub resource_policies: BTreeMap<(String, String), StoredResourcePolicy>,
    /// Where each stored organization's list elements sit in the store, by
    /// organization id; none for an organization still stored whole (see
    /// [`org_records`]).
    pub org_positions: HashMap<String, OrgPositions>,
    /// S3 buckets the gateway knows, by their globally unique name.
    pub s3_buckets: BTreeMap<String, S3Bucket>,
    /// SAML assertions already exchanged, by their key (issuer and ID hashed), across accounts.
    pub spent_assertions: HashMap<String, SpentAssertion>,
    /// Outbound web identity federation (issuer and signing keys) by account id.
    pub outbound_federations: BTreeMap<String, OutboundFederation>,
    /// Counts applied change sets.
    pub generation: u64,
    /// The generation at which each account last changed in a way the
    /// authorizer's per-principal view depends on (users, groups, roles,
    /// policies, the account itself). Keyed per account so that writes in
    /// one account leave the other accounts' cached views valid.
    pub account_changed: HashMap<String, u64>,
    /// The generation at which any organization last changed (membership,
    /// OUs, SCPs and RCPs reach across accounts), or the model was reset.
    pub everything_changed: u64,
}

/// What a change can alter of the authorizer's per-principal views.
#[derive(Debug)]
pub enum AuthzScope<'a> {
    /// Credentials, MFA devices, last-used data, instance profiles: never
    /// part of a principal's policies or context keys.
    Unaffected,
    /// The principals of one account.
    Account(&'a str),
    /// Any account's principals.
    Everything,
}

/// How a kind of entity is stored and what it means to the authorizer:
/// its record key, and what to do after reading it back (compile its
/// policies, open its sealed secrets).
trait Entity: Serialize + DeserializeOwned {
    /// `(account, key)` of its record; the in-memory map is keyed the same
    /// way (see [`Table`]).
    fn store_key(&self) -> (String, String);

    /// Rebuilds what is not stored (compiled policies, opened secrets).
    fn loaded(&mut self, _master: &MasterKey) -> Result<()> {
        Ok(())
    }
}

/// An in-memory map of one kind of entity, addressed by the record key.
trait Table<V> {
    fn put(&mut self, account: String, key: String, value: V);
    fn take(&mut self, account: String, key: String);
}

/// Maps keyed per account: `(account, lower-cased name)` or `(account, serial)`.
impl<V> Table<V> for BTreeMap<(String, String), V> {
    fn put(&mut self, account: String, key: String, value: V) {
        self.insert((account, key), value);
    }
    fn take(&mut self, account: String, key: String) {
        self.remove(&(account, key));
    }
}

/// Maps keyed by a globally unique id (account id, access key id, organization id).
impl<V> Table<V> for BTreeMap<String, V> {
    fn put(&mut self, _account: String, key: String, value: V) {
        self.insert(key, value);
    }
    fn take(&mut self, _account: String, key: String) {
        self.remove(&key);
    }
}

impl<V> Table<V> for HashMap<String, V> {
    fn put(&mut self, _account: String, key: String, value: V) {
        self.insert(key, value);
    }
    fn take(&mut self, _account: String, key: String) {
        self.remove(&key);
    }
}

/// Every kind of stored entity, declared once: its `Change` variant and
/// type, the `State` map holding it, its record kind, and what changing it
/// invalidates of the authorizer's cached views. Adding a kind is one line
/// here and an [`Entity`] impl.
macro_rules! entity_kinds {
    ($( $variant:ident($ty:ty) => $field:ident, $record:literal, $scope:ident; )*) => {
        /// A kind of stored entity.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Kind {
            $(
                #[doc = concat!("[`", stringify!($ty), "`] entities, stored as `", $record, "` records.")]
                $variant,
            )*
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &'static [Kind] = &[$( Kind::$variant ),*];

            /// The record kind in the store.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Kind::$variant => $record, )*
                }
            }

            fn from_record(kind: &str) -> Option<Kind> {
                match kind {
                    $( $record => Some(Kind::$variant), )*
                    _ => None,
                }
            }

            /// Which principals' views a change to an entity of this kind in
            /// `account` can alter.
            fn scope(self, account: &str) -> AuthzScope<'_> {
                match self {
                    $( Kind::$variant => entity_kinds!(@scope $scope, account), )*
                }
            }
        }

        /// One entity to store or remove.
        #[derive(Debug, Clone)]
        pub enum Change {
            $(
                #[doc = concat!("Stores a [`", stringify!($ty), "`], creating it or replacing the one under the same key.")]
                $variant($ty),
            )*
            /// Removes the entity of a kind stored under `(account, key)`.
            Delete(Kind, NameKey),
        }

        impl Change {
            /// The kind and record key this change writes or removes.
            fn target(&self) -> (Kind, (String, String)) {
                match self {
                    $( Change::$variant(e) => (Kind::$variant, e.store_key()), )*
                    Change::Delete(kind, key) => (*kind, key.clone()),
                }
            }

            /// The store mutation of this change as one whole record. An
            /// organization is stored as parts instead: see
            /// [`State::mutations`].
            fn entity_mutation(&self) -> Result<Mutation> {
                let (kind, (account, key)) = self.target();
                let value = match self {
                    $( Change::$variant(e) => serde_json::to_string(e).map(versioned), )*
                    Change::Delete(..) => {
                        return Ok(Mutation::Delete {
                            kind: kind.as_str().to_string(),
                            account,
                            key,
                        })
                    }
                }
                .map_err(|e| CoreError::Internal(e.to_string()))?;
                Ok(Mutation::Put(Record {
                    kind: kind.as_str().to_string(),
                    account,
                    key,
                    value,
                }))
            }
        }

        impl State {
            /// Applies one change to memory. Infallible: every check happened
            /// before the change was made.
            fn apply(&mut self, change: Change) {
                let (_, (account, key)) = change.target();
                match change {
                    $( Change::$variant(e) => Table::put(&mut self.$field, account, key, e), )*
                    Change::Delete(kind, _) => match kind {
                        $( Kind::$variant => Table::<$ty>::take(&mut self.$field, account, key), )*
                    },
                }
            }

            /// The change a stored record stands for, its entity rebuilt.
            fn change_of(r: &Record, master: &MasterKey) -> Result<Change> {
                match Kind::from_record(&r.kind) {
                    $( Some(Kind::$variant) => {
                        let mut e: $ty = parse(r)?;
                        e.loaded(master)?;
                        Ok(Change::$variant(e))
                    } )*
                    None => Err(CoreError::Internal(format!("unknown record kind {}", r.kind))),
                }
            }
        }
    };
    (@scope Unaffected, $account:ident) => { AuthzScope::Unaffected };
    (@scope Account, $account:ident) => { AuthzScope::Account($account) };
    (@scope Everything, $account:ident) => { AuthzScope::Everything };
}

entity_kinds! {
    Account(Account) => accounts, "account", Account;
    User(User) => users, "user", Account;
    Group(Group) => groups, "group", Account;
    AccessKey(AccessKey) => access_keys, "access_key", Unaffected;
    Mfa(MfaDevice) => mfa_devices, "mfa_device", Unaffected;
    KeyLastUsed(KeyLastUsed) => key_last_used, "key_last_used", Unaffected;
    Policy(ManagedPolicy) => policies, "managed_policy", Account;
    Role(Role) => roles, "role", Account;
    S3Bucket(S3Bucket) => s3_buckets, "s3_bucket", Unaffected;
    InstanceProfile(InstanceProfile) => instance_profiles, "instance_profile", Unaffected;
    SshPublicKey(SshPublicKey) => ssh_public_keys, "ssh_public_key", Unaffected;
    ServiceCredential(ServiceCredential) => service_credentials, "service_credential", Unaffected;
    ServerCertificate(ServerCertificate) => server_certificates, "server_certificate", Unaffected;
    SigningCertificate(SigningCertificate) => signing_certificates, "signing_certificate", Unaffected;
    SlrDeletionTask(DeletionTask) => slr_deletion_tasks, "slr_deletion_task", Unaffected;
    CredentialReport(CredentialReport) => credential_reports, "credential_report", Unaffected;
    AccessRecord(AccessRecord) => access_records, "access_record", Unaffected;
    AccessJob(AccessJob) => access_jobs, "access_job", Unaffected;
    OidcProvider(OidcProvider) => oidc_providers, "oidc_provider", Unaffected;
    // Membership, OUs, SCPs and RCPs reach across accounts.
    Organization(Organization) => organizations, "organization", Everything;
    ResourcePolicy(StoredResourcePolicy) => resource_policies, "resource_policy", Unaffected;
    SamlProvider(SamlProvider) => saml_providers, "saml_provider", Unaffected;
    SpentAssertion(SpentAssertion) => spent_assertions, "spent_saml_assertion", Unaffected;
    OutboundFederation(OutboundFederation) => outbound_federations, "outbound_federation", Unaffected;
}

impl Entity for Account {
    fn store_key(&self) -> (String, String) {
        (self.id.clone(), self.id.clone())
    }
}

impl Entity for User {
    fn store_key(&self) -> (String, String) {
        name_key(&self.account, &self.name)
    }
    fn loaded(&mut self, _: &MasterKey) -> Result<()> {
        compile_inline(&mut self.inline_policies);
        Ok(())
    }
}

impl Entity for Group {
    fn store_key(&self) -> (String, String) {
        name_key(&self.account, &self.name)
    }
    fn loaded(&mut self, _: &MasterKey) -> Result<()> {
        compile_inline(&mut self.inline_policies);
        Ok(())
    }
}

impl Entity for S3Bucket {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.name.clone())
    }
}

impl Entity for AccessKey {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.id.clone())
    }
    fn loaded(&mut self, master: &MasterKey) -> Result<()> {
        self.secret = master
            .open(&self.sealed_secret, self.id.as_bytes())
            .map_err(|e| CoreError::Internal(format!("access key {}: {e}", self.id)))?;
        Ok(())
    }
}

impl Entity for MfaDevice {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.serial.clone())
    }
    fn loaded(&mut self, master: &MasterKey) -> Result<()> {
        self.seed = master
            .open(&self.sealed_seed, self.serial.as_bytes())
            .map_err(|e| CoreError::Internal(format!("mfa device {}: {e}", self.serial)))?;
        Ok(())
    }
}

impl Entity for KeyLastUsed {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.key_id.clone())
    }
}

impl Entity for ManagedPolicy {
    fn store_key(&self) -> (String, String) {
        name_key(&self.account, &self.name)
    }
    fn loaded(&mut self, _: &MasterKey) -> Result<()> {
        compile_versions(self);
        Ok(())
    }
}

impl Entity for Role {
    fn store_key(&self) -> (String, String) {
        name_key(&self.account, &self.name)
    }
    fn loaded(&mut self, _: &MasterKey) -> Result<()> {
        compile_inline(&mut self.inline_policies);
        crate::iam::roles::compile_trust(self);
        Ok(())
    }
}

impl Entity for InstanceProfile {
    fn store_key(&self) -> (String, String) {
        name_key(&self.account, &self.name)
    }
}

impl Entity for SshPublicKey {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.id.clone())
    }
}

impl Entity for CredentialReport {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.account.clone())
    }
}

impl Entity for AccessRecord {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.key())
    }
}

impl Entity for AccessJob {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.id.clone())
    }
}

impl Entity for ServiceCredential {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.id.clone())
    }
}

impl Entity for ServerCertificate {
    fn store_key(&self) -> (String, String) {
        name_key(&self.account, &self.name)
    }
}

impl Entity for SigningCertificate {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.id.clone())
    }
}

impl Entity for DeletionTask {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.id.clone())
    }
}

impl Entity for OidcProvider {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.url.clone())
    }
}

impl Entity for SamlProvider {
    fn store_key(&self) -> (String, String) {
        name_key(&self.account, &self.name)
    }
}

impl Entity for OutboundFederation {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.account.clone())
    }
    fn loaded(&mut self, master: &MasterKey) -> Result<()> {
        self.open_keys(master)
    }
}

impl Entity for SpentAssertion {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.key.clone())
    }
}

impl Entity for Organization {
    fn store_key(&self) -> (String, String) {
        (self.management_account.clone(), self.id.clone())
    }
    fn loaded(&mut self, _: &MasterKey) -> Result<()> {
        self.policies
            .iter_mut()
            .for_each(crate::orgs::org_policies::compile);
        Ok(())
    }
}

impl Entity for StoredResourcePolicy {
    fn store_key(&self) -> (String, String) {
        (self.account.clone(), self.resource_arn.clone())
    }
}

impl Change {
    /// Which principals' authorization views this change can alter.
    pub fn authz_scope(&self) -> AuthzScope<'_> {
        let account = match self {
            Change::Account(a) => &a.id,
            Change::User(u) => &u.account,
            Change::Group(g) => &g.account,
            Change::AccessKey(k) => &k.account,
            Change::Mfa(m) => &m.account,
            Change::KeyLastUsed(l) => &l.account,
            Change::Policy(p) => &p.account,
            Change::Role(r) => &r.account,
            Change::S3Bucket(b) => &b.account,
            Change::InstanceProfile(p) => &p.account,
            Change::SshPublicKey(k) => &k.account,
            Change::ServiceCredential(c) => &c.account,
            Change::ServerCertificate(c) => &c.account,
            Change::SigningCertificate(c) => &c.account,
            Change::SlrDeletionTask(t) => &t.account,
            Change::CredentialReport(r) => &r.account,
            Change::AccessRecord(r) => &r.account,
            Change::AccessJob(j) => &j.account,
            Change::OidcProvider(p) => &p.account,
            Change::Organization(o) => &o.management_account,
            Change::ResourcePolicy(p) => &p.account,
            Change::SamlProvider(p) => &p.account,
            Change::SpentAssertion(a) => &a.account,
            Change::OutboundFederation(f) => &f.account,
            Change::Delete(_, (account, _)) => account,
        };
        let kind = match self {
            Change::Delete(kind, _) => *kind,
            other => other.target().0,
        };
        kind.scope(account)
    }
}

/// The layout of stored records. A record says which layout wrote it as its
/// first member, `{"format":N,...}`; records from before the member existed
/// are format 0, whose layout format 1 keeps. Format 2 stores an
/// organization as parts ([`org_records`]). A change of layout bumps this
/// and teaches [`migrate`] the step from the one before.
pub const RECORD_FORMAT: u32 = 2;

/// An entity's JSON object with the format member first, so reading it back
/// costs a prefix check, not a second parse.
pub(crate) fn versioned(json: String) -> String {
    match json.strip_prefix('{') {
        Some("}") => format!("{{\"format\":{RECORD_FORMAT}}}"),
        Some(rest) => format!("{{\"format\":{RECORD_FORMAT},{rest}"),
        None => json,
    }
}

/// The format a stored value was written in (0: before formats existed).
fn format_of(value: &str) -> Option<u32> {
    let Some(rest) = value.strip_prefix("{\"format\":") else {
        return Some(0);
    };
    let digits: &str = &rest[..rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len())];
    digits.parse().ok()
}

/// Brings a stored value of `format` to the current layout; a value from a
/// newer warden is refused rather than misread.
///
/// - 0 to 1 only added the member, which entities ignore.
/// - 1 to 2 split an organization into parts. An `organization` record of
///   format 0 or 1 holds the whole organization, and one record cannot
///   become several here, so its text stays as it is: the organization
///   loader reads it whole by its format ([`record_format`]), and its first
///   write stores the parts and replaces it with the core record, in one
///   transaction. Every other kind kept its layout.
fn migrate<'v>(r: &'v Record, format: u32) -> Result<std::borrow::Cow<'v, str>> {
    match format {
        0..=RECORD_FORMAT => Ok(std::borrow::Cow::Borrowed(&r.value)),
        newer => Err(CoreError::Internal(format!(
            "{} record {}/{} has format {newer}, newer than this warden's {RECORD_FORMAT}: run a newer warden",
            r.kind, r.account, r.key
        ))),
    }
}

/// The error of a record that cannot be read.
pub(crate) fn corrupt(r: &Record, e: &dyn std::fmt::Display) -> CoreError {
    CoreError::Internal(format!(
        "corrupt {} record {}/{}: {e}",
        r.kind, r.account, r.key
    ))
}

/// The format a stored record was written in.
pub(crate) fn record_format(r: &Record) -> Result<u32> {
    format_of(&r.value).ok_or_else(|| corrupt(r, &"unreadable format member"))
}

/// A stored record's entity, brought to the current layout first.
pub(crate) fn parse<T: DeserializeOwned>(r: &Record) -> Result<T> {
    let value = migrate(r, record_format(r)?)?;
    serde_json::from_str(&value).map_err(|e| corrupt(r, &e))
}

impl State {
    /// Applies a change set to memory as generation `self.generation + 1`,
    /// noting which accounts' authorization views it invalidates.
    pub fn apply_all(&mut self, changes: Vec<Change>) {
        self.generation += 1;
        let generation = self.generation;
        for change in changes {
            match change.authz_scope() {
                AuthzScope::Unaffected => {}
                AuthzScope::Account(account) => {
                    self.account_changed.insert(account.to_string(), generation);
                }
                AuthzScope::Everything => self.everything_changed = generation,
            }
            match &change {
                Change::Organization(org) => {
                    let positions =
                        org_records::assign_positions(self.org_positions.get(&org.id), org);
                    self.org_positions.insert(org.id.clone(), positions);
                }
                Change::Delete(Kind::Organization, (_, id)) => {
                    self.org_positions.remove(id);
                }
                _ => {}
            }
            self.apply(change);
        }
    }

    /// The store mutations of a change set planned against this model: one
    /// record per entity, except organizations, which write only the parts
    /// that changed (or, the first time, all of them). A set that changes
    /// one organization twice diffs the second change against the first.
    pub fn mutations(&self, changes: &[Change]) -> Result<Vec<Mutation>> {
        let mut written: HashMap<&str, (Option<&Organization>, Option<OrgPositions>)> =
            HashMap::new();
        let mut out = Vec::with_capacity(changes.len());
        for change in changes {
            match change {
                Change::Organization(org) => {
                    let (before, positions) = match written.get(org.id.as_str()) {
                        Some((o, p)) => (*o, p.as_ref()),
                        None => (
                            self.organizations.get(&org.id),
                            self.org_positions.get(&org.id),
                        ),
                    };
                    let (batch, positions) = org_records::mutations(before.zip(positions), org)?;
                    out.extend(batch);
                    written.insert(&org.id, (Some(org), Some(positions)));
                }
                Change::Delete(Kind::Organization, (_, id)) => {
                    let (before, positions) = match written.get(id.as_str()) {
                        Some((o, p)) => (*o, p.as_ref()),
                        None => (self.organizations.get(id), self.org_positions.get(id)),
                    };
                    match before {
                        Some(org) => out.extend(org_records::deletions(org, positions)),
                        None => out.push(change.entity_mutation()?),
                    }
                    written.insert(id, (None, None));
                }
                other => out.push(other.entity_mutation()?),
            }
        }
        Ok(out)
    }

    /// Applies a batch another process committed (an entry of the shared
    /// store's log) as one change set: each record becomes its change by the
    /// loader's code, and an organization touched by the batch is rebuilt
    /// by the loader from its records with the batch laid over them.
    pub fn apply_logged(&mut self, batch: &[Mutation], master: &MasterKey) -> Result<()> {
        let mut changes = Vec::with_capacity(batch.len());
        let mut orgs: BTreeMap<(String, String), Vec<&Mutation>> = BTreeMap::new();
        for m in batch {
            let (kind, account, key) = match m {
                Mutation::Put(r) => (&r.kind, &r.account, &r.key),
                Mutation::Delete { kind, account, key } => (kind, account, key),
            };
            if let Some(org) = org_records::organization_of(kind, key) {
                orgs.entry((account.clone(), org.to_string()))
                    .or_default()
                    .push(m);
                continue;
            }
            changes.push(match m {
                Mutation::Put(r) => Self::change_of(r, master)?,
                Mutation::Delete { .. } => Change::Delete(
                    Kind::from_record(kind).ok_or_else(|| {
                        CoreError::Internal(format!("unknown record kind {kind}"))
                    })?,
                    (account.clone(), key.clone()),
                ),
            });
        }
        let mut positions = Vec::new();
        for ((account, id), batch) in orgs {
            let rebuilt = org_records::reassemble(
                self.organizations.get(&id),
                self.org_positions.get(&id),
                &batch,
            )?;
            match rebuilt {
                Some((org, at)) => {
                    positions.push((id, at));
                    changes.push(Change::Organization(org));
                }
                None => changes.push(Change::Delete(Kind::Organization, (account, id))),
            }
        }
        self.apply_all(changes);
        // The positions the records hold, not fresh ones.
        for (id, at) in positions {
            match at {
                Some(at) => self.org_positions.insert(id, at),
                None => self.org_positions.remove(&id),
            };
        }
        Ok(())
    }

    /// Whether a view of `account`'s principals derived at `generation` is
    /// still current.
    pub fn is_current(&self, account: &str, generation: u64) -> bool {
        generation >= self.everything_changed
            && self
                .account_changed
                .get(account)
                .is_none_or(|changed| generation >= *changed)
    }

    /// Rebuilds the model from stored records, opening sealed secrets.
    pub fn from_records(records: &[Record], master: &MasterKey) -> Result<Self> {
        let mut state = Self::default();
        // Organization records arrive in key order, parts before or after
        // their organization: they are gathered and assembled at the end.
        let mut orgs = org_records::Loader::default();
        for r in records {
            if orgs.take(r)? {
                continue;
            }
            let change = Self::change_of(r, master)?;
            state.apply(change);
        }
        orgs.finish(&mut state)?;
        Ok(state)
    }

    /// The user `name` of `account`, matched case-insensitively as IAM does.
    pub fn user(&self, account: &str, name: &str) -> Option<&User> {
        self.users.get(&name_key(account, name))
    }

    /// The group `name` of `account`, matched case-insensitively as IAM does.
    pub fn group(&self, account: &str, name: &str) -> Option<&Group> {
        self.groups.get(&name_key(account, name))
    }

    /// Users of one account, sorted by lower-cased name.
    pub fn users_of<'a>(&'a self, account: &'a str) -> impl Iterator<Item = &'a User> + 'a {
        in_account(&self.users, account)
    }

    /// Groups of one account, sorted by lower-cased name.
    pub fn groups_of<'a>(&'a self, account: &'a str) -> impl Iterator<Item = &'a Group> + 'a {
        in_account(&self.groups, account)
    }

    /// MFA devices of one account, sorted by serial.
    pub fn mfa_of<'a>(&'a self, account: &'a str) -> impl Iterator<Item = &'a MfaDevice> + 'a {
        in_account(&self.mfa_devices, account)
    }

    /// The role `name` of `account`, matched case-insensitively as IAM does.
    pub fn role(&self, account: &str, name: &str) -> Option<&Role> {
        self.roles.get(&name_key(account, name))
    }

    /// Roles of one account, sorted by lower-cased name.
    pub fn roles_of<'a>(&'a self, account: &'a str) -> impl Iterator<Item = &'a Role> + 'a {
        in_account(&self.roles, account)
    }

    /// Instance profiles of one account, sorted by lower-cased name.
    pub fn instance_profiles_of<'a>(
        &'a self,
        account: &'a str,
    ) -> impl Iterator<Item = &'a InstanceProfile> + 'a {
        in_account(&self.instance_profiles, account)
    }

    /// Customer managed policies of one account, sorted by lower-cased name.
    pub fn policies_of<'a>(
        &'a self,
        account: &'a str,
    ) -> impl Iterator<Item = &'a ManagedPolicy> + 'a {
        in_account(&self.policies, account)
    }

    /// Access keys of a user (`None` = root), oldest first.
    pub fn keys_of(&self, account: &str, user_lower: Option<&str>) -> Vec<&AccessKey> {
        let mut keys: Vec<&AccessKey> = self
            .access_keys
            .values()
            .filter(|k| k.account == account && k.user.as_deref() == user_lower)
            .collect();
        keys.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        keys
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn record(value: &str) -> Record {
        Record {
            kind: "account".into(),
            account: "123456789012".into(),
            key: "123456789012".into(),
            value: value.into(),
        }
    }

    #[test]
    fn records_carry_their_format_first_and_older_ones_still_read() {
        let account: Account = serde_json::from_str(
            &Change::Account(Account {
                id: "123456789012".into(),
                created: 0,
                alias: None,
                password_policy: None,
                root_access: None,
                v2_global_endpoint_tokens: false,
            })
            .entity_mutation()
            .map(|m| match m {
                Mutation::Put(r) => {
                    assert!(r
                        .value
                        .starts_with(&format!("{{\"format\":{RECORD_FORMAT},")));
                    r.value
                }
                Mutation::Delete { .. } => panic!("a put"),
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(account.id, "123456789012");
        // Format 0: written before the member existed.
        let legacy = serde_json::to_string(&account).unwrap();
        assert_eq!(format_of(&legacy), Some(0));
        let read: Account = parse(&record(&legacy)).unwrap();
        assert_eq!(read.id, account.id);
        // Format 1, the layout before organizations were split, reads too.
        let format_1 = format!("{{\"format\":1,{}", &legacy[1..]);
        let read: Account = parse(&record(&format_1)).unwrap();
        assert_eq!(read.id, account.id);
        // A newer warden's record is refused, not misread.
        let newer = format!("{{\"format\":{},{}", RECORD_FORMAT + 1, &legacy[1..]);
        assert!(parse::<Account>(&record(&newer)).is_err());
        assert_eq!(
            versioned("{}".into()),
            format!("{{\"format\":{RECORD_FORMAT}}}")
        );
    }

    #[test]
    fn every_kind_round_trips_through_its_record_kind() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_record(kind.as_str()), Some(*kind));
        }
        assert_eq!(Kind::from_record("nonsense"), None);
    }
}
