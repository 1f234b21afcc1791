//! The PostgreSQL store: the same records as the SQLite store, in a table of
//! a database server, for deployments that keep state there (backups,
//! replicas and operations the team already runs).
//!
//! One connection, owned by a dedicated thread. The synchronous `postgres`
//! client drives its own async runtime and must not be called from inside
//! another one; warden's server runs on tokio, so every call is handed to
//! this thread and its reply awaited, which works from any caller. Writes
//! are serialized by the core's single writer anyway, so one connection is
//! all a store needs.
//!
//! Durability: a batch is one transaction, and PostgreSQL answers a commit
//! only once its WAL record is flushed (`synchronous_commit` on, the
//! server's default), so `apply` returning `Ok` means the batch is durable.
//!
//! Several warden processes may share the database ([`SharedStore`]): every
//! batch is also appended to `warden_log` under the next sequence number,
//! in the same transaction, while the writer holds the lock of the one row
//! of `warden_log_head`. That lock serializes writers across processes; the
//! log lets every process apply the batches of the others, woken by a
//! `NOTIFY` on the committing transaction and by a periodic poll. Old
//! entries are deleted ([`DEFAULT_LOG_RETENTION`]); a process further
//! behind than that reloads every record (docs/scale-out.md).

use std::sync::mpsc;

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls, Statement};

use crate::{Catchup, LogEntry, LogWrite, Mutation, Record, SharedStore, Store, StoreError};

/// Schema migrations, applied in order at start. Index + 1 is the version.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE warden_records (
        kind    TEXT NOT NULL,
        account TEXT NOT NULL,
        key     TEXT NOT NULL,
        value   TEXT NOT NULL,
        PRIMARY KEY (kind, account, key)
    );",
    // The change log: one row per mutation of a committed batch (a delete
    // has no value), and its head: the last sequence number, the last one
    // compacted away, and the id of the master key the records are sealed
    // with. Records already stored are the snapshot at sequence 0.
    "CREATE TABLE warden_log (
        seq     BIGINT NOT NULL,
        idx     INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        account TEXT NOT NULL,
        key     TEXT NOT NULL,
        value   TEXT,
        PRIMARY KEY (seq, idx)
    );
    CREATE TABLE warden_log_head (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        seq           BIGINT NOT NULL,
        compacted     BIGINT NOT NULL,
        master_key_id TEXT
    );
    INSERT INTO warden_log_head (id, seq, compacted) VALUES (1, 0, 0);",
];

/// Log entries kept behind the head. A process further behind (stopped, or
/// cut off from the database that long) reloads every record instead.
pub const DEFAULT_LOG_RETENTION: u64 = 10_000;

/// Compaction runs on every this many-th batch, so it costs one delete per
/// this many writes rather than one per write.
const COMPACT_EVERY: u64 = 100;

/// A write holds the head's lock, which stops every node's writes: a node
/// that freezes inside one (stopped, or cut off while its connection stays
/// open) loses its session after 10 s idle, and a writer waits at most 10 s
/// for the lock before its write fails (ServiceFailure) rather than hangs.
const SESSION_LIMITS: &str =
    "SET idle_in_transaction_session_timeout = '10s'; SET lock_timeout = '10s'";

/// The channel the committing transaction notifies.
const CHANNEL: &str = "warden_log";

/// Serializes migrations of warden instances starting at once against the
/// same database (an arbitrary constant: "warden" in ASCII).
const MIGRATION_LOCK: i64 = 0x77_61_72_64_65_6e;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Records in PostgreSQL. See the module documentation.
pub struct PostgresStore {
    jobs: mpsc::Sender<Job>,
    /// For the follower's connection of its own.
    config: postgres::Config,
}

impl std::fmt::Debug for PostgresStore {
    // The connection settings hold a password: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

/// The connection, reopened after the server closed it.
struct Connection {
    config: postgres::Config,
    live: Option<Live>,
    retention: u64,
}

/// An open connection and the statements prepared on it (prepared once:
/// a statement sent as text costs a second round trip on every call).
struct Live {
    client: Client,
    statements: std::collections::HashMap<&'static str, Statement>,
}

const UPSERT: &str =
    "INSERT INTO warden_records (kind, account, key, value) VALUES ($1, $2, $3, $4)
     ON CONFLICT (kind, account, key) DO UPDATE SET value = EXCLUDED.value";
const DELETE: &str = "DELETE FROM warden_records WHERE kind = $1 AND account = $2 AND key = $3";
const LOCK_HEAD: &str = "SELECT seq, compacted FROM warden_log_head WHERE id = 1 FOR UPDATE";
/// The log rows of a batch, the head and the notification, in one round
/// trip. Channels are per database, not per schema: the payload names the
/// schema, so deployments in other schemas are not woken for nothing.
const APPEND: &str = "WITH log AS (
        INSERT INTO warden_log (seq, idx, kind, account, key, value)
        SELECT $1, m.idx - 1, m.kind, m.account, m.key, m.value
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
             WITH ORDINALITY AS m(kind, account, key, value, idx)
     ), head AS (
        UPDATE warden_log_head SET seq = $1 WHERE id = 1
     )
     SELECT pg_notify('warden_log', current_schema() || '/' || $1::text)";

impl Live {
    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// The statement for `sql`, prepared on first use.
    fn statement(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }
}

impl Connection {
    fn live(&mut self) -> Result<&mut Live, postgres::Error> {
        let live = match self.live.take() {
            Some(l) if !l.is_closed() => l,
            _ => {
                let mut client = self.config.connect(NoTls)?;
                client.batch_execute(SESSION_LIMITS)?;
                Live {
                    client,
                    statements: std::collections::HashMap::new(),
                }
            }
        };
        Ok(self.live.insert(live))
    }

    /// Runs `f`; when it failed because the connection was lost, once more
    /// on a new connection. Only for work that is safe to repeat: reads,
    /// migrations, clearing, and opening a write before its batch is sent.
    /// A batch's commit is never repeated: one whose fate is unknown may
    /// have appended its log entry already (see [`LogWrite::commit`]).
    fn run<T>(
        &mut self,
        mut f: impl FnMut(&mut Live) -> Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        match f(self.live()?) {
            Err(e) if connection_lost(&e, self.live.as_ref()) => {
                self.live = None;
                f(self.live()?)
            }
            other => other,
        }
    }
}

/// Whether `e` means the connection is gone (so a new one may succeed), not
/// that the statement failed. The client may learn that its connection
/// closed only after handing back the server's last error, so the error
/// itself is looked at too: a FATAL one ends the session, and class 57P is
/// the server shutting down or terminating the backend.
fn connection_lost(e: &postgres::Error, live: Option<&Live>) -> bool {
    e.is_closed()
        || live.is_some_and(Live::is_closed)
        || e.as_db_error()
            .is_some_and(|d| d.severity() == "FATAL" || d.code().code().starts_with("57P"))
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`,
    /// with the libpq options the `postgres` crate takes, e.g.
    /// `options=-csearch_path%3Dwarden` for a schema of its own) and runs
    /// pending migrations.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_retention(url, DEFAULT_LOG_RETENTION)
    }

    /// [`PostgresStore::connect`], keeping `retention` log entries behind the
    /// head (at least one).
    pub fn connect_with_retention(url: &str, retention: u64) -> Result<Self, StoreError> {
        let config: postgres::Config = url.parse()?;
        let (tx, rx) = mpsc::channel::<Job>();
        let thread_config = config.clone();
        std::thread::Builder::new()
            .name("warden-postgres".into())
            .spawn(move || {
                let mut conn = Connection {
                    config: thread_config,
                    live: None,
                    retention: retention.max(1),
                };
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(StoreError::Thread)?;
        let store = Self { jobs: tx, config };
        if let Some(found) = store.call(|c| c.run(|live| migrate(&mut live.client)))?? {
            return Err(StoreError::SchemaTooNew {
                found,
                known: MIGRATIONS.len() as i64,
            });
        }
        Ok(store)
    }

    /// Runs `job` on the connection thread and waits for its answer.
    fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Connection) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn| {
            let _ = reply_tx.send(job(conn));
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::ConnectionThreadGone)?;
        reply_rx
            .recv()
            .map_err(|_| StoreError::ConnectionThreadGone)
    }
}

/// Runs pending migrations; answers the schema version found when it is
/// newer than this warden knows (and then changes nothing).
fn migrate(client: &mut Client) -> Result<Option<i64>, postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS warden_schema_version (version BIGINT NOT NULL)")?;
    let current: i64 = tx
        .query_opt("SELECT version FROM warden_schema_version", &[])?
        .map(|r| r.get(0))
        .unwrap_or(0);
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Ok(Some(current));
    }
    for sql in MIGRATIONS.iter().skip(current as usize) {
        tx.batch_execute(sql)?;
    }
    tx.execute("DELETE FROM warden_schema_version", &[])?;
    tx.execute(
        "INSERT INTO warden_schema_version (version) VALUES ($1)",
        &[&known],
    )?;
    tx.commit()?;
    Ok(None)
}

impl Store for PostgresStore {
    fn load_all(&self) -> Result<Vec<Record>, StoreError> {
        Ok(self.snapshot()?.1)
    }

    /// A batch written outside a caught-up write (nothing in warden does:
    /// its writes go through [`SharedStore::begin_write`]) still takes the
    /// head's lock and goes into the log, so other processes see it.
    fn apply(&self, batch: &[Mutation]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (_, write) = self.begin_write(u64::MAX)?;
        write.commit(batch.to_vec())?;
        Ok(())
    }

    /// Empties the records and the log, and moves the compacted mark past
    /// the head, so every other process reloads (an empty model).
    fn clear(&self) -> Result<(), StoreError> {
        self.call(|c| {
            c.run(|live| {
                let mut tx = live.client.transaction()?;
                tx.batch_execute(
                    "SELECT seq FROM warden_log_head WHERE id = 1 FOR UPDATE;
                     DELETE FROM warden_records;
                     DELETE FROM warden_log;
                     UPDATE warden_log_head SET seq = seq + 1, compacted = seq + 1 WHERE id = 1;",
                )?;
                tx.commit()
            })
        })??;
        Ok(())
    }

    fn shared(&self) -> Option<&dyn SharedStore> {
        Some(self)
    }
}

/// The head row: the last sequence number and the last one compacted away.
fn head(client: &mut impl postgres::GenericClient) -> Result<(u64, u64), postgres::Error> {
    let row = client.query_one(
        "SELECT seq, compacted FROM warden_log_head WHERE id = 1",
        &[],
    )?;
    Ok((seq_of(row.get(0)), seq_of(row.get(1))))
}

/// Runs `read` in one read-only repeatable-read transaction: everything it
/// reads is of one snapshot.
fn in_one_snapshot<T>(
    live: &mut Live,
    read: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T, postgres::Error>,
) -> Result<T, postgres::Error> {
    let mut tx = live
        .client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let out = read(&mut tx)?;
    tx.commit()?;
    Ok(out)
}

/// The head row, locked until the transaction ends.
fn locked_head(live: &mut Live) -> Result<(u64, u64), postgres::Error> {
    let lock = live.statement(LOCK_HEAD)?;
    let row = live.client.query_one(&lock, &[])?;
    Ok((seq_of(row.get(0)), seq_of(row.get(1))))
}

/// Sequence numbers are positive in the database (`BIGINT`).
fn seq_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn db_seq(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn all_records(client: &mut impl postgres::GenericClient) -> Result<Vec<Record>, postgres::Error> {
    let rows = client.query(
        "SELECT kind, account, key, value FROM warden_records ORDER BY kind, account, key",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| Record {
            kind: r.get(0),
            account: r.get(1),
            key: r.get(2),
            value: r.get(3),
        })
        .collect())
}

/// What a process at `applied` needs, read in the caller's transaction. A
/// position past the head (the database was restored from an older backup,
/// or cleared) or behind the compacted mark takes the snapshot.
fn catchup(
    client: &mut impl postgres::GenericClient,
    applied: u64,
    (seq, compacted): (u64, u64),
) -> Result<Catchup, postgres::Error> {
    if applied == seq {
        return Ok(Catchup::Entries(Vec::new()));
    }
    if applied < compacted || applied > seq {
        return Ok(Catchup::Snapshot {
            seq,
            records: all_records(client)?,
        });
    }
    let rows = client.query(
        "SELECT seq, kind, account, key, value FROM warden_log WHERE seq > $1 ORDER BY seq, idx",
        &[&db_seq(applied)],
    )?;
    let mut entries: Vec<LogEntry> = Vec::new();
    for row in &rows {
        let seq = seq_of(row.get(0));
        let (kind, account, key): (String, String, String) = (row.get(1), row.get(2), row.get(3));
        let mutation = match row.get::<_, Option<String>>(4) {
            Some(value) => Mutation::Put(Record {
                kind,
                account,
                key,
                value,
            }),
            None => Mutation::Delete { kind, account, key },
        };
        match entries.last_mut() {
            Some(e) if e.seq == seq => e.mutations.push(mutation),
            _ => entries.push(LogEntry {
                seq,
                mutations: vec![mutation],
            }),
        }
    }
    Ok(Catchup::Entries(entries))
}

/// Within the open transaction that holds the head's lock at `head`:
/// applies `batch` to the records, appends it to the log as entry
/// `head + 1`, compacts now and then, and notifies the followers. Answers
/// the new sequence number; the caller commits.
fn append(
    live: &mut Live,
    batch: &[Mutation],
    head: u64,
    retention: u64,
) -> Result<u64, postgres::Error> {
    let put = live.statement(UPSERT)?;
    let del = live.statement(DELETE)?;
    let append = live.statement(APPEND)?;
    let client = &mut live.client;
    let seq = head + 1;
    let (mut kinds, mut accounts, mut keys, mut values) = (
        Vec::with_capacity(batch.len()),
        Vec::with_capacity(batch.len()),
        Vec::with_capacity(batch.len()),
        Vec::with_capacity(batch.len()),
    );
    for m in batch {
        match m {
            Mutation::Put(r) => {
                client.execute(&put, &[&r.kind, &r.account, &r.key, &r.value])?;
                kinds.push(r.kind.as_str());
                accounts.push(r.account.as_str());
                keys.push(r.key.as_str());
                values.push(Some(r.value.as_str()));
            }
            Mutation::Delete { kind, account, key } => {
                client.execute(&del, &[kind, account, key])?;
                kinds.push(kind.as_str());
                accounts.push(account.as_str());
                keys.push(key.as_str());
                values.push(None);
            }
        }
    }
    client.execute(&append, &[&db_seq(seq), &kinds, &accounts, &keys, &values])?;
    if seq.is_multiple_of(COMPACT_EVERY) && seq > retention {
        let compacted = db_seq(seq - retention);
        client.execute("DELETE FROM warden_log WHERE seq <= $1", &[&compacted])?;
        client.execute(
            "UPDATE warden_log_head SET compacted = $1 WHERE id = 1",
            &[&compacted],
        )?;
    }
    Ok(seq)
}

/// The write a [`PostgresStore::begin_write`] opened: its transaction lives
/// on the connection thread, which waits for the batch (or for this to be
/// dropped, which rolls it back).
struct PgLogWrite {
    batch: mpsc::SyncSender<Vec<Mutation>>,
    done: mpsc::Receiver<Result<u64, StoreError>>,
}

impl LogWrite for PgLogWrite {
    fn commit(self: Box<Self>, batch: Vec<Mutation>) -> Result<u64, StoreError> {
        self.batch
            .send(batch)
            .map_err(|_| StoreError::ConnectionThreadGone)?;
        self.done
            .recv()
            .map_err(|_| StoreError::ConnectionThreadGone)?
    }
}

/// Rolls back the raw transaction a write opened; the connection is dropped
/// when even that fails, so the next call starts on a clean one.
fn roll_back(conn: &mut Connection) {
    if let Some(live) = conn.live.as_mut() {
        if live.client.batch_execute("ROLLBACK").is_err() {
            conn.live = None;
        }
    }
}

impl SharedStore for PostgresStore {
    fn snapshot(&self) -> Result<(u64, Vec<Record>), StoreError> {
        Ok(self.call(|c| {
            c.run(|live| {
                in_one_snapshot(live, |tx| {
                    let (seq, _) = head(tx)?;
                    Ok((seq, all_records(tx)?))
                })
            })
        })??)
    }

    fn changes_since(&self, applied: u64) -> Result<Catchup, StoreError> {
        Ok(self.call(move |c| {
            c.run(|live| {
                // One snapshot for the head and what follows it.
                in_one_snapshot(live, |tx| {
                    let at = head(tx)?;
                    catchup(tx, applied, at)
                })
            })
        })??)
    }

    fn begin_write(&self, applied: u64) -> Result<(Catchup, Box<dyn LogWrite>), StoreError> {
        let (opened_tx, opened_rx) = mpsc::sync_channel(1);
        let (batch_tx, batch_rx) = mpsc::sync_channel::<Vec<Mutation>>(1);
        let (done_tx, done_rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn| {
            // Nothing is written before the batch arrives, so a connection
            // found dead here is replaced and the opening repeated.
            let opened = conn.run(|live| {
                live.client.batch_execute("BEGIN")?;
                let result = locked_head(live).and_then(|at| {
                    let seen = if applied == u64::MAX {
                        Catchup::Entries(Vec::new())
                    } else {
                        catchup(&mut live.client, applied, at)?
                    };
                    Ok((at.0, seen))
                });
                if result.is_err() {
                    let _ = live.client.batch_execute("ROLLBACK");
                }
                result
            });
            let (head_seq, seen) = match opened {
                Ok(v) => v,
                Err(e) => {
                    let _ = opened_tx.send(Err(StoreError::from(e)));
                    return;
                }
            };
            if opened_tx.send(Ok(seen)).is_err() {
                roll_back(conn);
                return;
            }
            let Ok(batch) = batch_rx.recv() else {
                // Dropped without committing: the plan wrote nothing.
                roll_back(conn);
                return;
            };
            let retention = conn.retention;
            let committed = match conn.live.as_mut() {
                Some(live) => append(live, &batch, head_seq, retention)
                    .and_then(|seq| live.client.batch_execute("COMMIT").map(|()| seq)),
                None => {
                    let _ = done_tx.send(Err(StoreError::ConnectionThreadGone));
                    return;
                }
            };
            if committed.is_err() {
                roll_back(conn);
            }
            let _ = done_tx.send(committed.map_err(StoreError::from));
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::ConnectionThreadGone)?;
        let seen = opened_rx
            .recv()
            .map_err(|_| StoreError::ConnectionThreadGone)??;
        Ok((
            seen,
            Box::new(PgLogWrite {
                batch: batch_tx,
                done: done_rx,
            }),
        ))
    }

    fn check_master_key(&self, key_id: &str, record: bool) -> Result<(), StoreError> {
        let ours = key_id.to_string();
        let recorded = self.call(move |c| {
            c.run(|live| {
                let mut tx = live.client.transaction()?;
                let row = tx.query_one(
                    "SELECT master_key_id FROM warden_log_head WHERE id = 1 FOR UPDATE",
                    &[],
                )?;
                let recorded: Option<String> = row.get(0);
                if recorded.is_none() && record {
                    tx.execute(
                        "UPDATE warden_log_head SET master_key_id = $1 WHERE id = 1",
                        &[&ours],
                    )?;
                }
                tx.commit()?;
                Ok(recorded)
            })
        })??;
        match recorded {
            Some(theirs) if theirs != key_id => Err(StoreError::MasterKeyMismatch {
                ours: key_id.to_string(),
                theirs,
            }),
            _ => Ok(()),
        }
    }

    fn follow(
        &self,
        poll: std::time::Duration,
        wake: Box<dyn Fn(Option<u64>) + Send>,
    ) -> Result<(), StoreError> {
        let config = self.config.clone();
        std::thread::Builder::new()
            .name("warden-log-follower".into())
            .spawn(move || follow(&config, poll, wake.as_ref()))
            .map_err(StoreError::Thread)?;
        Ok(())
    }
}

/// The follower's loop: a connection of its own that listens on the log's
/// channel; every notification, every `poll` without one, and every
/// reconnection (notifications sent while it was away are lost) wakes the
/// catch-up, which reads the log itself.
fn follow(config: &postgres::Config, poll: std::time::Duration, wake: &dyn Fn(Option<u64>)) {
    let mut listener: Option<(Client, String)> = None;
    loop {
        let mut notified = None;
        match listener.as_mut().filter(|(c, _)| !c.is_closed()) {
            Some((client, schema)) => {
                // Several commits may have notified: one catch-up takes them
                // all, so the pending ones are drained first.
                let mut notifications = client.notifications();
                let mut newest = |n: postgres::Notification| {
                    let seq = n
                        .payload()
                        .strip_prefix(schema.as_str())
                        .and_then(|rest| rest.strip_prefix('/'))
                        .and_then(|seq| seq.parse::<u64>().ok());
                    notified = seq.max(notified);
                };
                let mut lost = false;
                match notifications.timeout_iter(poll).next() {
                    Ok(Some(n)) => newest(n),
                    Ok(None) => {}
                    Err(_) => lost = true,
                }
                loop {
                    match notifications.iter().next() {
                        Ok(Some(n)) => newest(n),
                        Ok(None) => break,
                        Err(_) => {
                            lost = true;
                            break;
                        }
                    }
                }
                drop(notifications);
                if lost {
                    listener = None;
                    notified = None;
                }
            }
            None => {
                listener = config
                    .connect(NoTls)
                    .and_then(|mut c| {
                        c.batch_execute(&format!("LISTEN {CHANNEL}"))?;
                        let schema: String = c.query_one("SELECT current_schema()", &[])?.get(0);
                        Ok((c, schema))
                    })
                    .ok();
                if listener.is_none() {
                    std::thread::sleep(poll);
                }
            }
        }
        wake(notified);
    }
}

#[cfg(test)]
mod tests {
    //! Against the PostgreSQL server of the machine (`WARDEN_TEST_POSTGRES`,
    //! default `postgres://postgres@127.0.0.1:5432/test`), each test in a
    //! schema of its own. Without a server they are skipped with a note,
    //! unless `WARDEN_REQUIRE_POSTGRES` is set (CI sets it).

    use super::*;
    use crate::conformance::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn base_url() -> String {
        std::env::var("WARDEN_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
    }

    /// A schema dropped at the end of the test.
    struct Schema {
        name: String,
        admin: Client,
    }

    impl Schema {
        fn new() -> Option<Schema> {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let admin = match Client::connect(&base_url(), NoTls) {
                Ok(c) => c,
                Err(e) if std::env::var_os("WARDEN_REQUIRE_POSTGRES").is_none() => {
                    eprintln!("skipped: no PostgreSQL at {}: {e}", base_url());
                    return None;
                }
                Err(e) => panic!(
                    "WARDEN_REQUIRE_POSTGRES is set and {} fails: {e}",
                    base_url()
                ),
            };
            let name = format!(
                "warden_test_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            let mut s = Schema { name, admin };
            s.admin
                .batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}",
                    s.name
                ))
                .unwrap();
            Some(s)
        }

        /// The store's URL: this schema, and an application name to find
        /// its connection by.
        fn url(&self) -> String {
            let sep = if base_url().contains('?') { '&' } else { '?' };
            let name = &self.name;
            format!(
                "{}{sep}options=-csearch_path%3D{name}&application_name={name}",
                base_url()
            )
        }

        fn exec(&mut self, sql: &str) {
            let sql = sql.replace("SCHEMA", &self.name);
            self.admin.batch_execute(&sql).unwrap();
        }
    }

    impl Drop for Schema {
        fn drop(&mut self) {
            let _ = self
                .admin
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }

    #[test]
    fn batches_round_trip_through_a_new_connection() {
        let Some(schema) = Schema::new() else { return };
        write_two_batches(&PostgresStore::connect(&schema.url()).unwrap());
        let s = PostgresStore::connect(&schema.url()).unwrap();
        assert_two_batches_applied(&s);
        s.clear().unwrap();
        assert_eq!(s.load_all().unwrap(), Vec::new());
    }

    #[test]
    fn a_failed_batch_leaves_nothing_behind() {
        let Some(mut schema) = Schema::new() else {
            return;
        };
        let s = PostgresStore::connect(&schema.url()).unwrap();
        assert_failed_batch_is_atomic(&s, || {
            schema.exec(
                "CREATE FUNCTION SCHEMA.no_bad() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN IF NEW.key = 'bad' THEN RAISE EXCEPTION 'no'; END IF; RETURN NEW; END $$;
                 CREATE TRIGGER no_bad BEFORE INSERT ON SCHEMA.warden_records
                 FOR EACH ROW EXECUTE FUNCTION SCHEMA.no_bad();",
            );
        });
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let Some(mut schema) = Schema::new() else {
            return;
        };
        drop(PostgresStore::connect(&schema.url()).unwrap());
        schema.exec("UPDATE SCHEMA.warden_schema_version SET version = 99");
        assert!(matches!(
            PostgresStore::connect(&schema.url()),
            Err(StoreError::SchemaTooNew { found: 99, .. })
        ));
    }

    #[test]
    fn a_connection_the_server_closed_is_reopened() {
        let Some(mut schema) = Schema::new() else {
            return;
        };
        let s = PostgresStore::connect(&schema.url()).unwrap();
        s.apply(&[Mutation::Put(rec("user", "before", "1"))])
            .unwrap();
        let terminated = schema
            .admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = $1",
                &[&schema.name],
            )
            .unwrap();
        assert_eq!(terminated.len(), 1, "the store's one connection");
        assert!(terminated[0].get::<_, bool>(0));
        s.apply(&[Mutation::Put(rec("user", "after", "1"))])
            .unwrap();
        let keys: Vec<_> = s.load_all().unwrap().into_iter().map(|r| r.key).collect();
        assert_eq!(keys, vec!["after", "before"]);
    }

    #[test]
    fn a_bad_url_or_an_absent_server_is_an_error_not_a_panic() {
        assert!(matches!(
            PostgresStore::connect("postgres://nobody@127.0.0.1:1/none?connect_timeout=2"),
            Err(StoreError::Postgres(_))
        ));
        assert!(matches!(
            PostgresStore::connect("not a url at all ::"),
            Err(StoreError::Postgres(_))
        ));
    }

    fn put(key: &str, value: &str) -> Mutation {
        Mutation::Put(rec("user", key, value))
    }

    fn entries(c: Catchup) -> Vec<(u64, Vec<Mutation>)> {
        match c {
            Catchup::Entries(e) => e.into_iter().map(|e| (e.seq, e.mutations)).collect(),
            Catchup::Snapshot { .. } => panic!("entries expected, got a snapshot"),
        }
    }

    #[test]
    fn a_batch_committed_by_one_store_reaches_another_through_the_log() {
        let Some(schema) = Schema::new() else { return };
        let a = PostgresStore::connect(&schema.url()).unwrap();
        let b = PostgresStore::connect(&schema.url()).unwrap();
        let (seen, write) = a.begin_write(0).unwrap();
        assert_eq!(seen, Catchup::Entries(Vec::new()));
        let delete = Mutation::Delete {
            kind: "user".into(),
            account: "123456789012".into(),
            key: "gone".into(),
        };
        assert_eq!(
            write
                .commit(vec![put("alice", "1"), delete.clone()])
                .unwrap(),
            1
        );
        assert_eq!(
            entries(b.changes_since(0).unwrap()),
            vec![(1, vec![put("alice", "1"), delete])]
        );
        assert_eq!(entries(b.changes_since(1).unwrap()), vec![]);
        // A writer at position 0 is handed the entry it has not seen, under
        // the lock, before it plans; its own batch is the next one.
        let (seen, write) = b.begin_write(0).unwrap();
        assert_eq!(entries(seen).len(), 1);
        assert_eq!(write.commit(vec![put("bob", "1")]).unwrap(), 2);
        assert_eq!(
            a.snapshot().unwrap(),
            (2, vec![rec("user", "alice", "1"), rec("user", "bob", "1")])
        );
    }

    #[test]
    fn the_head_lock_serializes_writers_of_different_stores() {
        let Some(schema) = Schema::new() else { return };
        let a = PostgresStore::connect(&schema.url()).unwrap();
        let b = std::sync::Arc::new(PostgresStore::connect(&schema.url()).unwrap());
        let (_, held) = a.begin_write(0).unwrap();
        let waiter = {
            let b = b.clone();
            std::thread::spawn(move || {
                let started = std::time::Instant::now();
                let (seen, write) = b.begin_write(0).unwrap();
                let waited = started.elapsed();
                write.commit(vec![put("second", "1")]).unwrap();
                (waited, entries(seen))
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(held.commit(vec![put("first", "1")]).unwrap(), 1);
        let (waited, seen) = waiter.join().unwrap();
        assert!(
            waited >= std::time::Duration::from_millis(250),
            "{waited:?}"
        );
        // It opened after the first commit, so it saw it.
        assert_eq!(seen, vec![(1, vec![put("first", "1")])]);
        assert_eq!(a.snapshot().unwrap().0, 2);
    }

    #[test]
    fn a_write_dropped_without_committing_leaves_nothing_and_frees_the_lock() {
        let Some(schema) = Schema::new() else { return };
        let a = PostgresStore::connect(&schema.url()).unwrap();
        let (_, write) = a.begin_write(0).unwrap();
        drop(write);
        let (_, write) = a.begin_write(0).unwrap();
        assert_eq!(write.commit(vec![put("x", "1")]).unwrap(), 1);
        assert_eq!(entries(a.changes_since(0).unwrap()).len(), 1);
    }

    #[test]
    fn compaction_sends_a_store_behind_it_to_the_snapshot() {
        let Some(schema) = Schema::new() else { return };
        let a = PostgresStore::connect_with_retention(&schema.url(), 3).unwrap();
        for i in 0..COMPACT_EVERY {
            let (_, write) = a.begin_write(u64::MAX).unwrap();
            write.commit(vec![put(&format!("u{i:03}"), "1")]).unwrap();
        }
        let head = COMPACT_EVERY;
        let kept = entries(a.changes_since(head - 3).unwrap());
        assert_eq!(
            kept.iter().map(|e| e.0).collect::<Vec<_>>(),
            vec![head - 2, head - 1, head]
        );
        match a.changes_since(head - 4).unwrap() {
            Catchup::Snapshot { seq, records } => {
                assert_eq!(seq, head);
                assert_eq!(records.len(), COMPACT_EVERY as usize);
            }
            other => panic!("a snapshot expected, got {other:?}"),
        }
        // A position past the head (a database restored from an older
        // backup) reloads too.
        assert!(matches!(
            a.changes_since(head + 5).unwrap(),
            Catchup::Snapshot { .. }
        ));
        // Clearing empties the log and sends every store to the snapshot.
        a.clear().unwrap();
        assert_eq!(
            a.changes_since(head).unwrap(),
            Catchup::Snapshot {
                seq: head + 1,
                records: vec![]
            }
        );
    }

    #[test]
    fn a_database_of_schema_1_upgrades_and_its_records_are_the_snapshot_at_0() {
        let Some(mut schema) = Schema::new() else {
            return;
        };
        schema.exec(&format!(
            "{}; CREATE TABLE SCHEMA.warden_schema_version (version BIGINT NOT NULL);
             INSERT INTO SCHEMA.warden_schema_version VALUES (1);
             INSERT INTO SCHEMA.warden_records VALUES ('user', '123456789012', 'old', '1');",
            MIGRATIONS[0]
                .replace("warden_records", "SCHEMA.warden_records")
                .trim_end_matches(';')
        ));
        let s = PostgresStore::connect(&schema.url()).unwrap();
        assert_eq!(s.snapshot().unwrap(), (0, vec![rec("user", "old", "1")]));
        let (_, write) = s.begin_write(0).unwrap();
        assert_eq!(write.commit(vec![put("new", "1")]).unwrap(), 1);
    }

    #[test]
    fn the_master_key_id_is_recorded_once_and_checked() {
        let Some(schema) = Schema::new() else { return };
        let s = PostgresStore::connect(&schema.url()).unwrap();
        // Checking alone records nothing.
        s.check_master_key("aaaa0000", false).unwrap();
        s.check_master_key("bbbb1111", true).unwrap();
        s.check_master_key("bbbb1111", false).unwrap();
        match s.check_master_key("aaaa0000", true) {
            Err(StoreError::MasterKeyMismatch { ours, theirs }) => {
                assert_eq!((ours.as_str(), theirs.as_str()), ("aaaa0000", "bbbb1111"));
            }
            other => panic!("a mismatch expected, got {other:?}"),
        }
    }

    #[test]
    fn the_follower_wakes_on_another_stores_commit_with_its_position() {
        let Some(schema) = Schema::new() else { return };
        let a = PostgresStore::connect(&schema.url()).unwrap();
        let (tx, rx) = mpsc::channel();
        a.follow(
            std::time::Duration::from_secs(30),
            Box::new(move |notified| {
                let _ = tx.send(notified);
            }),
        )
        .unwrap();
        // The first wake follows its connection (a notification may have
        // been missed before it listened).
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap(),
            None
        );
        let b = PostgresStore::connect(&schema.url()).unwrap();
        let (_, write) = b.begin_write(0).unwrap();
        write.commit(vec![put("x", "1")]).unwrap();
        // Woken by the notification, long before the 30 s poll (other
        // tests' schemas notify too: their wakes carry no position).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let notified = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if let Some(seq) = rx.recv_timeout(left).unwrap() {
                break seq;
            }
        };
        assert_eq!(notified, 1);
    }
}
