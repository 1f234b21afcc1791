//! The warden domain: accounts, principals, credentials and sessions.
//!
//! [`Warden`] owns the in-memory model. Reads take a short read lock on it and
//! never touch the database. Every write goes through [`Warden::write`]: it
//! computes the changes against the current model, makes them durable in the
//! store, and only then applies them to memory, so a reply never reports a
//! change that a crash could lose, and readers never wait for a disk sync.
//!
//! # Layout
//!
//! The modules sit in rooms by concern (the crate README has the full map):
//!
//! * [`iam`]: one account's identities, policies and credentials (account,
//!   users, groups, roles, policies, managed policies, keys, passwords, MFA,
//!   the authorization-details walk). Uses no other room.
//! * [`orgs`]: AWS Organizations, which reaches across accounts (the
//!   organization itself, OUs, SCPs and RCPs, tags, resource ARNs).
//! * [`authz`]: from a signed request to its decision: who is calling
//!   ([`authz::auth`]), the generated action table ([`authz::actions`]), a
//!   request's checks ([`authz::access`]), the authorizer, and the policy
//!   simulator ([`authz::simulate`]).
//! * [`sts`]: issuing temporary credentials.
//! * At the top: [`state`] (the model and [`Change`]), [`model`] (records),
//!   [`page`] (pagination), [`error`], and [`crypto`] (the `warden-crypto`
//!   crate, re-exported).
//!
//! Every module is also re-exported at the crate root under its historical
//! name (`warden_core::users`, `warden_core::access`, ...). Those are the
//! crate's stable paths for other crates: they keep compiling whatever room
//! a module moves to. Code inside the crate uses the real paths.

#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "tests fail loudly on a broken fixture"
    )
)]

pub mod authz;
pub mod error;
pub mod failures;
pub mod federation;
pub mod iam;
pub mod metrics;
pub mod model;
pub mod orgs;
pub mod outbound;
pub mod page;
pub mod saml;
pub mod saml_federation;
pub mod state;
pub mod sts;

// What the S3 gateway keeps: bucket owners and bucket policies.
pub mod s3;

// The crate's stable paths. Other crates (warden-server, warden, the
// benches) name modules as `warden_core::users`, `warden_core::access`,
// `warden_core::org_policies`, ...: these re-exports keep those paths
// working wherever the module lives, so moving a module between rooms
// never breaks a caller. Inside this crate, use the real paths.
pub use authz::{access, actions, auth, simulate};
pub use iam::{
    account, authorization_details, groups, keys, managed_policies, mfa, passwords, policies,
    roles, users,
};
pub use orgs::{org_arns, org_policies, org_tags, org_units};
/// The crypto primitives live in the `warden-crypto` crate, which depends
/// on nothing here; this keeps `warden_core::crypto::...` working.
pub use warden_crypto as crypto;

use std::sync::Arc;

use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use warden_store::Store;

pub use error::{CoreError, Result};
pub use iam::Iam;
pub use orgs::Orgs;
pub use state::{Change, State};
pub use sts::Sts;

use crypto::{MasterKey, SessionKey};

/// Settings that shape the domain.
#[derive(Debug, Clone)]
pub struct Config {
    /// The account created on first start, and the one dev mode acts as.
    pub default_account: String,
    /// Argon2id cost; tests lower it.
    pub password_hashing: crypto::PasswordHashing,
    /// Managed policies one user, group or role may attach (AWS: 10 by
    /// default, up to 20 on request).
    pub attached_policies_quota: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            default_account: "123456789012".to_string(),
            password_hashing: crypto::PasswordHashing::default(),
            attached_policies_quota: iam::policies::DEFAULT_ATTACHED_POLICIES_QUOTA,
        }
    }
}

/// The domain: the in-memory model, the store behind it and the keys.
///
/// `Warden` itself keeps a small surface: opening, [`read`](Self::read),
/// [`write`](Self::write), keys and config, the last-use bookkeeping of
/// keys, roles and service access, dev-mode [`reset`](Self::reset), the request path's
/// [`credentials_for`](Self::credentials_for),
/// [`authorize`](Self::authorize) and
/// [`authorize_checks`](Self::authorize_checks) (in [`authz`]: they serve
/// every service and are keyed by a key id or a caller, not scoped to an
/// account), and one accessor per room. The operations are methods of the
/// room handles the accessors give, each scoped to whom the operation acts
/// for:
///
/// * [`iam`](Self::iam) → [`Iam`]: one account's IAM (users, groups, roles
///   and instance profiles, policies, access keys, passwords, MFA, the
///   account, authorization details, the policy simulator); by far the
///   largest share;
/// * [`orgs`](Self::orgs) → [`Orgs`]: the organization as the calling
///   account sees it (its accounts, OUs, SCPs and RCPs, tags);
/// * [`sts`](Self::sts) → [`Sts`]: the STS operations of one caller.
///
/// A handle's methods are `impl Iam<'_>` (`Orgs`, `Sts`) blocks in the
/// module of their area, so a method is found by its room rather than in
/// this file.
#[derive(Debug)]
pub struct Warden {
    config: Config,
    state: RwLock<State>,
    /// Serializes writers: one change set is computed, stored and applied at
    /// a time, so checks and effects never interleave. It guards the
    /// position in the shared store's log the model is at (0 for a store
    /// of this process alone), so catching up never races a write.
    writer: Mutex<u64>,
    store: Arc<dyn Store>,
    master: MasterKey,
    session_key: SessionKey,
    last_used: iam::keys::LastUsedRecorder,
    role_last_used: Mutex<std::collections::HashMap<(String, String), (model::Epoch, String)>>,
    /// What each user and role attempted, not yet flushed (see
    /// [`iam::access_reports`]).
    access_used: iam::access_reports::AccessRecorder,
    /// Each principal's identity policies and boundary, resolved for the
    /// current model generation (see [`authz`]).
    resolved_policies: authz::ResolvedCache,
    /// Counters and histograms for `/metrics`.
    metrics: metrics::Metrics,
}

impl Warden {
    /// Loads every record from `store` and builds the model.
    pub fn open(store: Arc<dyn Store>, master: MasterKey, config: Config) -> Result<Self> {
        let (applied, records) = match store.shared() {
            Some(shared) => shared.snapshot()?,
            None => (0, store.load_all()?),
        };
        let state = State::from_records(&records, &master)?;
        let session_key = master.derive_session_key();
        Ok(Self {
            config,
            state: RwLock::new(state),
            writer: Mutex::new(applied),
            store,
            master,
            session_key,
            last_used: iam::keys::LastUsedRecorder::default(),
            role_last_used: Mutex::new(std::collections::HashMap::new()),
            access_used: iam::access_reports::AccessRecorder::default(),
            resolved_policies: authz::ResolvedCache::default(),
            metrics: metrics::Metrics::default(),
        })
    }

    /// A warden on an in-memory store with `account` created and fast
    /// (insecure) password hashing: for benchmarks and unit tests only.
    #[doc(hidden)]
    pub fn in_memory_for_tests(account: &str) -> Result<Self> {
        let store = Arc::new(warden_store::SqliteStore::open_in_memory()?);
        let config = Config {
            default_account: account.to_string(),
            password_hashing: crypto::PasswordHashing::fast_insecure(),
            ..Config::default()
        };
        let w = Self::open(store, crypto::MasterKey::generate(), config)?;
        iam::account::ensure_account(&w, account)?;
        Ok(w)
    }

    /// The settings the domain was opened with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The key that seals secret access keys and TOTP seeds at rest.
    pub fn master_key(&self) -> &MasterKey {
        &self.master
    }

    /// The key (derived from the master key) that seals and opens STS session tokens.
    pub fn session_key(&self) -> &SessionKey {
        &self.session_key
    }

    /// The process's metrics (`/metrics`).
    pub fn metrics(&self) -> &metrics::Metrics {
        &self.metrics
    }

    /// A consistent view of the model for reads.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read()
    }

    /// The one write path. `plan` inspects the model and returns the changes
    /// to make plus the reply; nothing is visible until the store has them.
    ///
    /// On a store shared by several processes the write holds the log
    /// head's lock from before `plan` to the commit, and the model is first
    /// brought up to the head: `plan` sees every batch any process
    /// committed, so its checks (uniqueness, quotas, spent codes) hold
    /// across processes.
    pub fn write<T>(&self, plan: impl FnOnce(&State) -> Result<(Vec<Change>, T)>) -> Result<T> {
        let mut applied = self.writer.lock();
        let log_write = match self.store.shared() {
            Some(shared) => {
                let (unseen, log_write) = shared.begin_write(*applied)?;
                self.catch_up_with(&mut applied, unseen)?;
                Some(log_write)
            }
            None => None,
        };
        let before = self.state.read();
        // Without changes the log write is dropped: rolled back, unlocked.
        let (changes, out) = plan(&before)?;
        if changes.is_empty() {
            return Ok(out);
        }
        // An organization's mutations are its difference from the model the
        // plan saw; the writer lock keeps that model as it is until the
        // changes are applied below.
        let batch = before.mutations(&changes)?;
        drop(before);
        let commit_started = std::time::Instant::now();
        match log_write {
            // An error leaves the commit's fate unknown: memory is left as
            // it is, and the log brings the batch if it landed.
            Some(log_write) => *applied = log_write.commit(batch)?,
            None => self.store.apply(&batch)?,
        }
        self.metrics.record_store_commit(commit_started.elapsed());
        self.state.write().apply_all(changes);
        Ok(out)
    }

    /// Applies what other processes sharing the store committed since the
    /// model's position (nothing for a store of this process alone). The
    /// follower calls it on each notification (`notified`: the newest
    /// position announced, which spares the database a question when the
    /// model is already there) and on each poll.
    pub fn catch_up(&self, notified: Option<u64>) -> Result<()> {
        let Some(shared) = self.store.shared() else {
            return Ok(());
        };
        let mut applied = self.writer.lock();
        if notified.is_some_and(|seq| seq <= *applied) {
            return Ok(());
        }
        let unseen = shared.changes_since(*applied)?;
        self.catch_up_with(&mut applied, unseen)
    }

    /// The log position the model is at (0 for a store of this process
    /// alone).
    pub fn log_position(&self) -> u64 {
        *self.writer.lock()
    }

    /// Brings the model from `applied` to the head, under the writer lock.
    fn catch_up_with(&self, applied: &mut u64, unseen: warden_store::Catchup) -> Result<()> {
        match unseen {
            warden_store::Catchup::Entries(entries) => {
                if entries.is_empty() {
                    return Ok(());
                }
                let mut state = self.state.write();
                for entry in entries {
                    state.apply_logged(&entry.mutations, &self.master)?;
                    *applied = entry.seq;
                }
            }
            warden_store::Catchup::Snapshot { seq, records } => {
                let mut fresh = State::from_records(&records, &self.master)?;
                let mut state = self.state.write();
                // Every cached view is stale.
                fresh.generation = state.generation + 1;
                fresh.everything_changed = fresh.generation;
                *state = fresh;
                *applied = seq;
            }
        }
        Ok(())
    }

    /// One account's IAM: the handle of every IAM operation, acting in
    /// `account` (the caller's, for a request).
    pub fn iam<'a>(&'a self, account: &'a str) -> Iam<'a> {
        Iam {
            warden: self,
            account,
        }
    }

    /// Organizations as `account` (the caller's) sees it: the handle of
    /// every Organizations operation.
    pub fn orgs<'a>(&'a self, account: &'a str) -> Orgs<'a> {
        Orgs {
            warden: self,
            account,
            request: None,
        }
    }

    /// STS for `caller`: the handle of every STS operation.
    pub fn sts<'a>(&'a self, caller: &'a authz::auth::Caller) -> Sts<'a> {
        Sts {
            warden: self,
            caller,
        }
    }

    /// Notes that a role was assumed; memory only, flushed with key use.
    pub(crate) fn record_role_use(
        &self,
        account: &str,
        role: &str,
        when: model::Epoch,
        region: &str,
    ) {
        self.role_last_used.lock().insert(
            (account.to_string(), role.to_lowercase()),
            (when, region.to_string()),
        );
    }

    /// A role's last use not yet flushed to the store.
    pub(crate) fn pending_role_use(
        &self,
        account: &str,
        role: &str,
    ) -> Option<(model::Epoch, String)> {
        self.role_last_used
            .lock()
            .get(&(account.to_string(), role.to_lowercase()))
            .cloned()
    }

    /// Persists pending role last-use records.
    pub fn flush_role_use(&self) -> Result<()> {
        let pending: Vec<_> = self.role_last_used.lock().drain().collect();
        if pending.is_empty() {
            return Ok(());
        }
        self.write(|s| {
            let changes = pending
                .into_iter()
                .filter_map(|((account, role), used)| {
                    let stored = s.role(&account, &role)?;
                    // A later use another node recorded is kept.
                    if stored
                        .last_used
                        .as_ref()
                        .is_some_and(|(at, _)| *at > used.0)
                    {
                        return None;
                    }
                    let mut r = stored.clone();
                    r.last_used = Some(used);
                    Some(Change::Role(r))
                })
                .collect();
            Ok((changes, ()))
        })
    }

    /// Wipes every entity (dev-mode reset) and recreates the default account.
    pub fn reset(&self) -> Result<()> {
        {
            let _writer = self.writer.lock();
            self.store.clear()?;
            let mut state = self.state.write();
            let generation = state.generation + 1;
            *state = State::default();
            state.generation = generation;
            // Every cached view is stale, not only those of accounts that
            // happen to be recreated below.
            state.everything_changed = generation;
            // Uses noted before the reset belong to principals now gone.
            self.access_used.clear();
        }
        iam::account::ensure_account(self, &self.config.default_account.clone())?;
        Ok(())
    }
}

#[cfg(test)]
mod shared_store_tests {
    //! `Warden::write` and `Warden::catch_up` on a shared store, against a
    //! log kept in memory (the PostgreSQL one is tested in warden-store and
    //! end to end in tests/e2e/test_scale_out.py).

    use std::collections::BTreeMap;

    use warden_store::{Catchup, LogEntry, LogWrite, Mutation, Record, SharedStore, StoreError};

    use super::*;
    use crate::iam::users::NewUser;

    #[derive(Debug, Default)]
    struct Log {
        records: BTreeMap<(String, String, String), String>,
        entries: Vec<LogEntry>,
        compacted: u64,
    }

    impl Log {
        fn since(&self, applied: u64) -> Catchup {
            if applied < self.compacted {
                return Catchup::Snapshot {
                    seq: self.entries.len() as u64,
                    records: self.all(),
                };
            }
            Catchup::Entries(
                self.entries
                    .iter()
                    .filter(|e| e.seq > applied)
                    .cloned()
                    .collect(),
            )
        }

        fn all(&self) -> Vec<Record> {
            self.records
                .iter()
                .map(|((kind, account, key), value)| Record {
                    kind: kind.clone(),
                    account: account.clone(),
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect()
        }
    }

    #[derive(Debug, Default, Clone)]
    struct Shared(Arc<Mutex<Log>>);

    struct Write(Arc<Mutex<Log>>);

    impl LogWrite for Write {
        fn commit(self: Box<Self>, batch: Vec<Mutation>) -> std::result::Result<u64, StoreError> {
            let mut log = self.0.lock();
            for m in &batch {
                match m {
                    Mutation::Put(r) => {
                        log.records.insert(
                            (r.kind.clone(), r.account.clone(), r.key.clone()),
                            r.value.clone(),
                        );
                    }
                    Mutation::Delete { kind, account, key } => {
                        log.records
                            .remove(&(kind.clone(), account.clone(), key.clone()));
                    }
                }
            }
            let seq = log.entries.len() as u64 + 1;
            log.entries.push(LogEntry {
                seq,
                mutations: batch,
            });
            Ok(seq)
        }
    }

    impl Store for Shared {
        fn load_all(&self) -> std::result::Result<Vec<Record>, StoreError> {
            Ok(self.0.lock().all())
        }
        fn apply(&self, batch: &[Mutation]) -> std::result::Result<(), StoreError> {
            Box::new(Write(self.0.clone())).commit(batch.to_vec())?;
            Ok(())
        }
        fn clear(&self) -> std::result::Result<(), StoreError> {
            Ok(())
        }
        fn shared(&self) -> Option<&dyn SharedStore> {
            Some(self)
        }
    }

    impl SharedStore for Shared {
        fn snapshot(&self) -> std::result::Result<(u64, Vec<Record>), StoreError> {
            let log = self.0.lock();
            Ok((log.entries.len() as u64, log.all()))
        }
        fn changes_since(&self, applied: u64) -> std::result::Result<Catchup, StoreError> {
            Ok(self.0.lock().since(applied))
        }
        fn begin_write(
            &self,
            applied: u64,
        ) -> std::result::Result<(Catchup, Box<dyn LogWrite>), StoreError> {
            Ok((
                self.0.lock().since(applied),
                Box::new(Write(self.0.clone())),
            ))
        }
        fn check_master_key(&self, _: &str, _: bool) -> std::result::Result<(), StoreError> {
            Ok(())
        }
        fn follow(
            &self,
            _: std::time::Duration,
            _: Box<dyn Fn(Option<u64>) + Send>,
        ) -> std::result::Result<(), StoreError> {
            Ok(())
        }
    }

    const ACCOUNT: &str = "123456789012";

    fn node(shared: &Shared, master: &MasterKey) -> Warden {
        let config = Config {
            default_account: ACCOUNT.to_string(),
            password_hashing: crypto::PasswordHashing::fast_insecure(),
            ..Config::default()
        };
        let w = Warden::open(Arc::new(shared.clone()), master.clone(), config).unwrap();
        iam::account::ensure_account(&w, ACCOUNT).unwrap();
        w
    }

    fn user(name: &str) -> NewUser {
        NewUser {
            name: name.into(),
            ..NewUser::default()
        }
    }

    #[test]
    fn a_write_plans_against_what_other_nodes_committed() {
        let (shared, master) = (Shared::default(), MasterKey::generate());
        let (one, two) = (node(&shared, &master), node(&shared, &master));
        let alice = one.iam(ACCOUNT).create_user(user("alice")).unwrap();
        // Node two has not caught up, yet its write sees alice.
        assert!(two.read().user(ACCOUNT, "alice").is_none());
        assert!(matches!(
            two.iam(ACCOUNT).create_user(user("ALICE")),
            Err(CoreError::EntityAlreadyExists(_))
        ));
        assert_eq!(two.read().user(ACCOUNT, "alice").unwrap().id, alice.id);
        assert_eq!(two.log_position(), one.log_position());
    }

    #[test]
    fn an_older_use_flushed_later_by_another_node_does_not_replace_a_newer_one() {
        let (shared, master) = (Shared::default(), MasterKey::generate());
        let (one, two) = (node(&shared, &master), node(&shared, &master));
        let key = one
            .iam(ACCOUNT)
            .create_access_key(iam::keys::KeyOwner::Root)
            .unwrap()
            .key
            .id;
        one.record_key_use(&key, ACCOUNT, "iam", "us-east-1", 100);
        two.record_key_use(&key, ACCOUNT, "sts", "eu-west-1", 200);
        // The newer use is flushed first, the older one after it.
        two.flush_key_use().unwrap();
        one.flush_key_use().unwrap();
        for w in [&one, &two] {
            w.catch_up(None).unwrap();
            let used = w.read().key_last_used.get(&key).cloned().unwrap();
            assert_eq!((used.date, used.region.as_str()), (200, "eu-west-1"));
        }
        let stored = shared
            .0
            .lock()
            .records
            .keys()
            .filter(|k| k.0 == "key_last_used")
            .count();
        assert_eq!(stored, 1);
    }

    #[test]
    fn catching_up_applies_the_tail_or_reloads_behind_the_compacted_log() {
        let (shared, master) = (Shared::default(), MasterKey::generate());
        let (one, two) = (node(&shared, &master), node(&shared, &master));
        one.iam(ACCOUNT).create_user(user("bob")).unwrap();
        two.catch_up(None).unwrap();
        assert!(two.read().user(ACCOUNT, "bob").is_some());
        // A notification of a position already applied costs nothing.
        let generation = two.read().generation;
        two.catch_up(Some(two.log_position())).unwrap();
        assert_eq!(two.read().generation, generation);
        // Entries two has not seen are compacted away: it reloads, and
        // every cached view is stale.
        one.iam(ACCOUNT).create_user(user("carol")).unwrap();
        one.iam(ACCOUNT).delete_user("bob").unwrap();
        shared.0.lock().compacted = one.log_position();
        two.catch_up(None).unwrap();
        let state = two.read();
        assert!(state.user(ACCOUNT, "carol").is_some());
        assert!(state.user(ACCOUNT, "bob").is_none());
        assert!(state.generation > generation);
        assert_eq!(state.everything_changed, state.generation);
        drop(state);
        assert_eq!(two.log_position(), one.log_position());
    }
}
