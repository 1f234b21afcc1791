//! The in-memory model every request reads, and the one function that changes
//! it. Start-up replays stored records through the same [`State::apply`] that
//! live writes use, so there is one code path for both.

use std::collections::{BTreeMap, HashMap};

use serde::{de::DeserializeOwned, Serialize};
use warden_store::{Mutation, Record};

use crate::crypto::MasterKey;
use crate::error::{CoreError, Result};
use crate::model::{
    AccessKey, Account, Group, InstanceProfile, KeyLastUsed, ManagedPolicy, MfaDevice, Role, User,
};
use crate::orgs::Organization;
use crate::policies::{compile_inline, compile_versions};

/// `(account, lower-cased name)`: names are unique case-insensitively but keep
/// their case, and per-account ranges come out sorted.
pub type NameKey = (String, String);

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

#[derive(Debug, Default, Clone)]
pub struct State {
    pub accounts: BTreeMap<String, Account>,
    pub users: BTreeMap<NameKey, User>,
    pub groups: BTreeMap<NameKey, Group>,
    pub access_keys: HashMap<String, AccessKey>,
    /// `(account, serial)`.
    pub mfa_devices: BTreeMap<(String, String), MfaDevice>,
    pub key_last_used: HashMap<String, KeyLastUsed>,
    /// Customer managed policies by `(account, lower-cased name)`.
    pub policies: BTreeMap<NameKey, ManagedPolicy>,
    pub roles: BTreeMap<NameKey, Role>,
    pub instance_profiles: BTreeMap<NameKey, InstanceProfile>,
    /// Organizations by id.
    pub organizations: BTreeMap<String, Organization>,
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

/// One entity to store or remove.
#[derive(Debug, Clone)]
pub enum Change {
    Account(Account),
    User(User),
    DeleteUser(NameKey),
    Group(Group),
    DeleteGroup(NameKey),
    AccessKey(AccessKey),
    DeleteAccessKey { account: String, id: String },
    Mfa(MfaDevice),
    DeleteMfa { account: String, serial: String },
    KeyLastUsed(KeyLastUsed),
    Policy(ManagedPolicy),
    DeletePolicy(NameKey),
    Role(Role),
    DeleteRole(NameKey),
    InstanceProfile(InstanceProfile),
    DeleteInstanceProfile(NameKey),
    Organization(Organization),
}

const ACCOUNT: &str = "account";
const USER: &str = "user";
const GROUP: &str = "group";
const ACCESS_KEY: &str = "access_key";
const MFA: &str = "mfa_device";
const KEY_LAST_USED: &str = "key_last_used";
const POLICY: &str = "managed_policy";
const ROLE: &str = "role";
const INSTANCE_PROFILE: &str = "instance_profile";
const ORGANIZATION: &str = "organization";

fn put<T: Serialize>(kind: &str, account: &str, key: &str, value: &T) -> Result<Mutation> {
    let value = serde_json::to_string(value).map_err(|e| CoreError::Internal(e.to_string()))?;
    Ok(Mutation::Put(Record {
        kind: kind.to_string(),
        account: account.to_string(),
        key: key.to_string(),
        value,
    }))
}

fn delete(kind: &str, account: &str, key: &str) -> Mutation {
    Mutation::Delete {
        kind: kind.to_string(),
        account: account.to_string(),
        key: key.to_string(),
    }
}

impl Change {
    /// Which principals' authorization views this change can alter.
    pub fn authz_scope(&self) -> AuthzScope<'_> {
        match self {
            Self::AccessKey(_)
            | Self::DeleteAccessKey { .. }
            | Self::Mfa(_)
            | Self::DeleteMfa { .. }
            | Self::KeyLastUsed(_)
            | Self::InstanceProfile(_)
            | Self::DeleteInstanceProfile(_) => AuthzScope::Unaffected,
            Self::Account(a) => AuthzScope::Account(&a.id),
            Self::User(u) => AuthzScope::Account(&u.account),
            Self::Group(g) => AuthzScope::Account(&g.account),
            Self::Policy(p) => AuthzScope::Account(&p.account),
            Self::Role(r) => AuthzScope::Account(&r.account),
            Self::DeleteUser((account, _))
            | Self::DeleteGroup((account, _))
            | Self::DeletePolicy((account, _))
            | Self::DeleteRole((account, _)) => AuthzScope::Account(account),
            Self::Organization(_) => AuthzScope::Everything,
        }
    }

    /// The store mutation for this change.
    pub fn to_mutation(&self) -> Result<Mutation> {
        Ok(match self {
            Self::Account(a) => put(ACCOUNT, &a.id, &a.id, a)?,
            Self::User(u) => put(USER, &u.account, &u.name.to_lowercase(), u)?,
            Self::DeleteUser((acct, name)) => delete(USER, acct, name),
            Self::Group(g) => put(GROUP, &g.account, &g.name.to_lowercase(), g)?,
            Self::DeleteGroup((acct, name)) => delete(GROUP, acct, name),
            Self::AccessKey(k) => put(ACCESS_KEY, &k.account, &k.id, k)?,
            Self::DeleteAccessKey { account, id } => delete(ACCESS_KEY, account, id),
            Self::Mfa(m) => put(MFA, &m.account, &m.serial, m)?,
            Self::DeleteMfa { account, serial } => delete(MFA, account, serial),
            Self::KeyLastUsed(l) => put(KEY_LAST_USED, &l.account, &l.key_id, l)?,
            Self::Policy(p) => put(POLICY, &p.account, &p.name.to_lowercase(), p)?,
            Self::DeletePolicy((acct, name)) => delete(POLICY, acct, name),
            Self::Role(r) => put(ROLE, &r.account, &r.name.to_lowercase(), r)?,
            Self::DeleteRole((acct, name)) => delete(ROLE, acct, name),
            Self::InstanceProfile(p) => {
                put(INSTANCE_PROFILE, &p.account, &p.name.to_lowercase(), p)?
            }
            Self::DeleteInstanceProfile((acct, name)) => delete(INSTANCE_PROFILE, acct, name),
            Self::Organization(o) => put(ORGANIZATION, &o.management_account, &o.id, o)?,
        })
    }
}

fn parse<T: DeserializeOwned>(r: &Record) -> Result<T> {
    serde_json::from_str(&r.value).map_err(|e| {
        CoreError::Internal(format!(
            "corrupt {} record {}/{}: {e}",
            r.kind, r.account, r.key
        ))
    })
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
            self.apply(change);
        }
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

    /// Applies one change to memory. Infallible: every check happened before
    /// the change was made.
    fn apply(&mut self, change: Change) {
        match change {
            Change::Account(a) => {
                self.accounts.insert(a.id.clone(), a);
            }
            Change::User(u) => {
                self.users.insert(name_key(&u.account, &u.name), u);
            }
            Change::DeleteUser(k) => {
                self.users.remove(&k);
            }
            Change::Group(g) => {
                self.groups.insert(name_key(&g.account, &g.name), g);
            }
            Change::DeleteGroup(k) => {
                self.groups.remove(&k);
            }
            Change::AccessKey(k) => {
                self.access_keys.insert(k.id.clone(), k);
            }
            Change::DeleteAccessKey { id, .. } => {
                self.access_keys.remove(&id);
                self.key_last_used.remove(&id);
            }
            Change::Mfa(m) => {
                self.mfa_devices
                    .insert((m.account.clone(), m.serial.clone()), m);
            }
            Change::DeleteMfa { account, serial } => {
                self.mfa_devices.remove(&(account, serial));
            }
            Change::KeyLastUsed(l) => {
                self.key_last_used.insert(l.key_id.clone(), l);
            }
            Change::Policy(p) => {
                self.policies.insert(name_key(&p.account, &p.name), p);
            }
            Change::DeletePolicy(k) => {
                self.policies.remove(&k);
            }
            Change::Role(r) => {
                self.roles.insert(name_key(&r.account, &r.name), r);
            }
            Change::DeleteRole(k) => {
                self.roles.remove(&k);
            }
            Change::InstanceProfile(p) => {
                self.instance_profiles
                    .insert(name_key(&p.account, &p.name), p);
            }
            Change::DeleteInstanceProfile(k) => {
                self.instance_profiles.remove(&k);
            }
            Change::Organization(o) => {
                self.organizations.insert(o.id.clone(), o);
            }
        }
    }

    /// Rebuilds the model from stored records, opening sealed secrets.
    pub fn from_records(records: &[Record], master: &MasterKey) -> Result<Self> {
        let mut state = Self::default();
        for r in records {
            let change = match r.kind.as_str() {
                ACCOUNT => Change::Account(parse(r)?),
                USER => {
                    let mut u: User = parse(r)?;
                    compile_inline(&mut u.inline_policies);
                    Change::User(u)
                }
                GROUP => {
                    let mut g: Group = parse(r)?;
                    compile_inline(&mut g.inline_policies);
                    Change::Group(g)
                }
                ROLE => {
                    let mut r: Role = parse(r)?;
                    compile_inline(&mut r.inline_policies);
                    crate::roles::compile_trust(&mut r);
                    Change::Role(r)
                }
                INSTANCE_PROFILE => Change::InstanceProfile(parse(r)?),
                ORGANIZATION => {
                    let mut o: Organization = parse(r)?;
                    o.policies.iter_mut().for_each(crate::org_policies::compile);
                    Change::Organization(o)
                }
                POLICY => {
                    let mut p: ManagedPolicy = parse(r)?;
                    compile_versions(&mut p);
                    Change::Policy(p)
                }
                ACCESS_KEY => {
                    let mut k: AccessKey = parse(r)?;
                    k.secret = master
                        .open(&k.sealed_secret, k.id.as_bytes())
                        .map_err(|e| CoreError::Internal(format!("access key {}: {e}", k.id)))?;
                    Change::AccessKey(k)
                }
                MFA => {
                    let mut m: MfaDevice = parse(r)?;
                    m.seed = master
                        .open(&m.sealed_seed, m.serial.as_bytes())
                        .map_err(|e| {
                            CoreError::Internal(format!("mfa device {}: {e}", m.serial))
                        })?;
                    Change::Mfa(m)
                }
                KEY_LAST_USED => Change::KeyLastUsed(parse(r)?),
                other => {
                    return Err(CoreError::Internal(format!("unknown record kind {other}")));
                }
            };
            state.apply(change);
        }
        Ok(state)
    }

    pub fn user(&self, account: &str, name: &str) -> Option<&User> {
        self.users.get(&name_key(account, name))
    }

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
