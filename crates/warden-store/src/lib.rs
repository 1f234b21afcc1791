//! Persistence for warden, behind the [`Store`] trait.
//!
//! warden keeps its authoritative model in memory (authentication and
//! authorization never touch the database) and persists every change as a
//! small typed record. A store therefore only needs two things: hand back every
//! record at start-up, and apply a batch of puts and deletes atomically and
//! durably. That keeps the trait tiny, so PostgreSQL can follow SQLite without
//! touching the domain: [`PostgresStore`] keeps the same records in a
//! PostgreSQL table.
//!
//! Records are keyed by `(kind, account, key)`: the account is part of the key
//! from day one because warden serves many accounts.

#![warn(missing_docs)]
#![cfg_attr(
    test,
    expect(clippy::unwrap_used, reason = "a test that panics has failed")
)]

use std::path::Path;

use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension};

mod pg_store;
pub use crate::pg_store::{PostgresStore, DEFAULT_LOG_RETENTION};

/// One persisted entity: a JSON document under a typed key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The entity kind, e.g. `user`, `group`, `access_key`.
    pub kind: String,
    /// The 12-digit account id the entity belongs to (empty for global rows).
    pub account: String,
    /// The entity key within its kind and account.
    pub key: String,
    /// The entity as JSON. Secrets inside it are already sealed by the caller.
    pub value: String,
}

/// One change in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// Insert or replace a record.
    Put(Record),
    /// Remove a record if present.
    Delete {
        /// The entity kind, as in [`Record::kind`].
        kind: String,
        /// The owning account, as in [`Record::account`].
        account: String,
        /// The entity key, as in [`Record::key`].
        key: String,
    },
}

/// Errors from a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused an operation (open, migration, query or commit).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The PostgreSQL server or client refused an operation.
    #[error("PostgreSQL error: {0}")]
    Postgres(#[from] postgres::Error),
    /// The thread that owns the PostgreSQL connection could not be started.
    #[error("could not start the PostgreSQL connection thread: {0}")]
    Thread(std::io::Error),
    /// The thread that owns the PostgreSQL connection has exited, so no call
    /// can be answered any more.
    #[error("the PostgreSQL connection thread has stopped")]
    ConnectionThreadGone,
    /// The data directory could not be created or made owner-only.
    #[error("could not create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The database's records are sealed under another master key than
    /// this node's: every node of one database must use the same key.
    #[error(
        "this node's master key (id {ours}) is not the one the database's records are sealed with \
         (id {theirs}): every warden on one database must use the same master key \
         (WARDEN_MASTER_KEY or WARDEN_MASTER_KEY_FILE)"
    )]
    MasterKeyMismatch {
        /// This node's key id.
        ours: String,
        /// The key id recorded in the database.
        theirs: String,
    },
    /// The database was written by a newer warden: refused rather than
    /// misread.
    #[error("the database schema version {found} is newer than this warden understands ({known})")]
    SchemaTooNew {
        /// The schema version recorded in the database.
        found: i64,
        /// The newest schema version this build knows.
        known: i64,
    },
}

/// Durable storage of records.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Every record, for rebuilding the in-memory model at start-up.
    fn load_all(&self) -> Result<Vec<Record>, StoreError>;
    /// Applies the batch atomically. When this returns `Ok`, the batch is on
    /// disk (for durable stores): callers answer success only afterwards.
    fn apply(&self, batch: &[Mutation]) -> Result<(), StoreError>;
    /// Removes every record (dev-mode reset).
    fn clear(&self) -> Result<(), StoreError>;
    /// The store as one shared by several warden processes, when it is one
    /// (see [`SharedStore`]); `None` for a store only this process writes.
    fn shared(&self) -> Option<&dyn SharedStore> {
        None
    }
}

/// One committed batch of the change log, at its place in the global order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The batch's position in the log: 1, 2, 3, ... with no gaps.
    pub seq: u64,
    /// The batch, as it was applied to the records.
    pub mutations: Vec<Mutation>,
}

/// What a node must apply to catch up with the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Catchup {
    /// The entries after the node's position, oldest first (none when it is
    /// current).
    Entries(Vec<LogEntry>),
    /// The node is behind the compacted part of the log: every record, as of
    /// log position `seq`, to rebuild the model from.
    Snapshot {
        /// The log position the records are at.
        seq: u64,
        /// Every record.
        records: Vec<Record>,
    },
}

/// A store that several warden processes share (PostgreSQL). Each batch is
/// also appended to a change log with a global sequence; writers are
/// serialized by the log head's lock and plan against the model caught up to
/// it, and every node follows the log to apply the others' batches.
pub trait SharedStore: Send + Sync {
    /// Every record and the log position they are at, read consistently.
    fn snapshot(&self) -> Result<(u64, Vec<Record>), StoreError>;
    /// What a node at log position `applied` must apply to be current.
    fn changes_since(&self, applied: u64) -> Result<Catchup, StoreError>;
    /// Opens a write: takes the log head's lock (held until the returned
    /// write commits or is dropped) and hands back what a node at `applied`
    /// has not seen yet.
    fn begin_write(&self, applied: u64) -> Result<(Catchup, Box<dyn LogWrite>), StoreError>;
    /// Checks `key_id` against the id of the master key the database's
    /// secrets are sealed with ([`StoreError::MasterKeyMismatch`] when they
    /// differ); when none is recorded yet and `record` is set, records it.
    fn check_master_key(&self, key_id: &str, record: bool) -> Result<(), StoreError>;
    /// Calls `wake` whenever another node may have appended to the log (on a
    /// notification, with the newest position announced, and with `None`
    /// at least every `poll` and after a reconnection, so a lost
    /// notification misses nothing), from a thread of its own, for as long
    /// as the process runs.
    fn follow(
        &self,
        poll: std::time::Duration,
        wake: Box<dyn Fn(Option<u64>) + Send>,
    ) -> Result<(), StoreError>;
}

/// A write holding the log head's lock. Dropping it without committing
/// rolls it back and releases the lock.
pub trait LogWrite: Send {
    /// Applies `batch` to the records, appends it to the log and commits;
    /// answers the batch's log position once it is durable. An error leaves
    /// it unknown whether the commit landed: the caller must not apply the
    /// batch itself, the log will bring it if it did.
    fn commit(self: Box<Self>, batch: Vec<Mutation>) -> Result<u64, StoreError>;
}

/// Schema migrations, applied in order at start. Index + 1 is the version.
const MIGRATIONS: &[&str] = &["CREATE TABLE records (
        kind    TEXT NOT NULL,
        account TEXT NOT NULL,
        key     TEXT NOT NULL,
        value   TEXT NOT NULL,
        PRIMARY KEY (kind, account, key)
    ) WITHOUT ROWID;"];

/// The embedded SQLite store: one file, WAL mode, `synchronous=FULL` so a
/// committed transaction survives a crash or power loss.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

/// Creates `dir` (and missing parents) if needed and makes it owner-only
/// (0700), tightening a directory that already exists: the database in it
/// holds password hashes and sealed secrets.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    // The mode above is filtered by the umask and skipped for a directory
    // that exists, so set it outright.
    set_mode(dir, 0o700)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Makes `path` owner-only (0600) if it exists.
fn tighten_if_present(path: &Path) -> std::io::Result<()> {
    match set_mode(path, 0o600) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// `warden.db` plus `suffix` (`-wal`, `-shm`), as SQLite names them.
fn sibling(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

impl SqliteStore {
    /// Opens (creating if needed) `DIR/warden.db` and runs pending migrations.
    /// The directory is made 0700 (see [`create_private_dir`]).
    pub fn open_dir(dir: &Path) -> Result<Self, StoreError> {
        create_private_dir(dir).map_err(|source| StoreError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
        Self::open_file(&dir.join("warden.db"))
    }

    /// Opens a database file directly; the file and its `-wal` and `-shm`
    /// companions are made owner-only (0600).
    ///
    /// Why explicit modes rather than a process umask of 077: the umask is
    /// process-wide state that other code may change, whereas SQLite gives
    /// the `-wal` and `-shm` files it creates the mode of the database file
    /// itself (and fchmods them past the umask), so a 0600 database is
    /// enough for every new file, whatever the umask. The chmods after
    /// opening catch companions left by a crash of an older warden.
    pub fn open_file(path: &Path) -> Result<Self, StoreError> {
        let private = |source| StoreError::DataDir {
            path: path.display().to_string(),
            source,
        };
        let mut create = std::fs::OpenOptions::new();
        create.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            create.mode(0o600);
        }
        drop(create.open(path).map_err(private)?);
        set_mode(path, 0o600).map_err(private)?;
        let store = Self::init(Connection::open(path)?)?;
        for suffix in ["-wal", "-shm", "-journal"] {
            tighten_if_present(&sibling(path, suffix)).map_err(private)?;
        }
        Ok(store)
    }

    /// A private in-memory database (tests, dev mode).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        // WAL lets the single writer commit without blocking readers; FULL
        // syncs the WAL on every commit, which is what "durable before the
        // reply" needs.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")?;
    let current: i64 = tx
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known,
        });
    }
    for sql in MIGRATIONS.iter().skip(current as usize) {
        tx.execute_batch(sql)?;
    }
    tx.execute("DELETE FROM schema_version", [])?;
    tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [known])?;
    tx.commit()?;
    Ok(())
}

impl Store for SqliteStore {
    fn load_all(&self) -> Result<Vec<Record>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare("SELECT kind, account, key, value FROM records ORDER BY kind, account, key")?;
        let rows = stmt.query_map([], |r| {
            Ok(Record {
                kind: r.get(0)?,
                account: r.get(1)?,
                key: r.get(2)?,
                value: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn apply(&self, batch: &[Mutation]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.lock();
        let tx = conn.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO records (kind, account, key, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, account, key) DO UPDATE SET value = excluded.value",
            )?;
            let mut del = tx.prepare_cached(
                "DELETE FROM records WHERE kind = ?1 AND account = ?2 AND key = ?3",
            )?;
            for m in batch {
                match m {
                    Mutation::Put(r) => {
                        put.execute(params![r.kind, r.account, r.key, r.value])?;
                    }
                    Mutation::Delete { kind, account, key } => {
                        del.execute(params![kind, account, key])?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.conn.lock().execute("DELETE FROM records", [])?;
        Ok(())
    }
}

/// Checks every store must pass, run by each store's tests.
#[cfg(test)]
pub(crate) mod conformance {
    use super::*;

    pub(crate) fn rec(kind: &str, key: &str, value: &str) -> Record {
        Record {
            kind: kind.into(),
            account: "123456789012".into(),
            key: key.into(),
            value: value.into(),
        }
    }

    /// Two batches: puts, then an overwrite and a delete.
    pub(crate) fn write_two_batches(s: &dyn Store) {
        s.apply(&[
            Mutation::Put(rec("user", "alice", "{\"a\":1}")),
            Mutation::Put(rec("user", "bob", "{\"b\":1}")),
        ])
        .unwrap();
        s.apply(&[
            Mutation::Put(rec("user", "alice", "{\"a\":2}")),
            Mutation::Delete {
                kind: "user".into(),
                account: "123456789012".into(),
                key: "bob".into(),
            },
        ])
        .unwrap();
    }

    /// What [`write_two_batches`] leaves, as seen by a store opened anew.
    pub(crate) fn assert_two_batches_applied(s: &dyn Store) {
        assert_eq!(
            s.load_all().unwrap(),
            vec![rec("user", "alice", "{\"a\":2}")]
        );
    }

    /// `sabotage` makes inserting the key `bad` fail: a batch with it must
    /// leave nothing of itself behind, and what was there stays.
    pub(crate) fn assert_failed_batch_is_atomic(s: &dyn Store, sabotage: impl FnOnce()) {
        s.apply(&[Mutation::Put(rec("user", "keep", "1"))]).unwrap();
        sabotage();
        let err = s.apply(&[
            Mutation::Put(rec("user", "good", "1")),
            Mutation::Put(rec("user", "bad", "1")),
        ]);
        assert!(err.is_err());
        let keys: Vec<_> = s.load_all().unwrap().into_iter().map(|r| r.key).collect();
        assert_eq!(keys, vec!["keep"]);
    }
}

#[cfg(test)]
mod tests {
    use super::conformance::*;
    use super::*;

    #[test]
    fn batch_round_trips_through_reopen() {
        let dir = tempfile::tempdir().unwrap();
        write_two_batches(&SqliteStore::open_dir(dir.path()).unwrap());
        assert_two_batches_applied(&SqliteStore::open_dir(dir.path()).unwrap());
    }

    #[test]
    fn failed_batch_leaves_nothing_behind() {
        let s = SqliteStore::open_in_memory().unwrap();
        assert_failed_batch_is_atomic(&s, || {
            s.conn
                .lock()
                .execute_batch("CREATE TRIGGER no_bad BEFORE INSERT ON records WHEN NEW.key = 'bad' BEGIN SELECT RAISE(ABORT, 'no'); END;")
                .unwrap();
        });
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warden.db");
        drop(SqliteStore::open_file(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute("UPDATE schema_version SET version = 99", [])
            .unwrap();
        drop(conn);
        assert!(matches!(
            SqliteStore::open_file(&path),
            Err(StoreError::SchemaTooNew { found: 99, .. })
        ));
    }

    #[cfg(unix)]
    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn data_dir_and_database_files_are_owner_only() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        let s = SqliteStore::open_dir(&dir).unwrap();
        s.apply(&[Mutation::Put(rec("user", "alice", "{}"))])
            .unwrap();
        assert_eq!(mode_of(&dir), 0o700);
        // The connection is open, so the WAL and shared-memory files exist.
        for name in ["warden.db", "warden.db-wal", "warden.db-shm"] {
            assert_eq!(mode_of(&dir.join(name)), 0o600, "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn loose_modes_left_by_an_older_version_are_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let loose =
            |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        drop(SqliteStore::open_dir(dir.path()).unwrap());
        let wal = dir.path().join("warden.db-wal");
        std::fs::write(&wal, b"").unwrap();
        loose(dir.path(), 0o755);
        loose(&dir.path().join("warden.db"), 0o644);
        loose(&wal, 0o644);
        let _s = SqliteStore::open_dir(dir.path()).unwrap();
        assert_eq!(mode_of(dir.path()), 0o700);
        assert_eq!(mode_of(&dir.path().join("warden.db")), 0o600);
        assert_eq!(mode_of(&wal), 0o600);
    }

    #[test]
    fn wal_and_full_sync_are_on() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open_dir(dir.path()).unwrap();
        let conn = s.conn.lock();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2);
    }
}
