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

use std::sync::mpsc;

use postgres::{Client, NoTls, Statement};

use crate::{Mutation, Record, Store, StoreError};

/// Schema migrations, applied in order at start. Index + 1 is the version.
const MIGRATIONS: &[&str] = &["CREATE TABLE warden_records (
        kind    TEXT NOT NULL,
        account TEXT NOT NULL,
        key     TEXT NOT NULL,
        value   TEXT NOT NULL,
        PRIMARY KEY (kind, account, key)
    );"];

/// Serializes migrations of warden instances starting at once against the
/// same database (an arbitrary constant: "warden" in ASCII).
const MIGRATION_LOCK: i64 = 0x77_61_72_64_65_6e;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Records in PostgreSQL. See the module documentation.
pub struct PostgresStore {
    jobs: mpsc::Sender<Job>,
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
}

/// An open connection and the statements prepared on it (prepared once:
/// a round trip saved on every write).
struct Live {
    client: Client,
    upsert: Option<Statement>,
    delete: Option<Statement>,
}

const UPSERT: &str =
    "INSERT INTO warden_records (kind, account, key, value) VALUES ($1, $2, $3, $4)
     ON CONFLICT (kind, account, key) DO UPDATE SET value = EXCLUDED.value";
const DELETE: &str = "DELETE FROM warden_records WHERE kind = $1 AND account = $2 AND key = $3";

impl Live {
    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// The statement in `slot`, prepared on first use.
fn prepared(
    client: &mut Client,
    slot: &mut Option<Statement>,
    sql: &str,
) -> Result<Statement, postgres::Error> {
    if let Some(s) = slot {
        return Ok(s.clone());
    }
    let s = client.prepare(sql)?;
    *slot = Some(s.clone());
    Ok(s)
}

impl Connection {
    fn live(&mut self) -> Result<&mut Live, postgres::Error> {
        let live = match self.live.take() {
            Some(l) if !l.is_closed() => l,
            _ => Live {
                client: self.config.connect(NoTls)?,
                upsert: None,
                delete: None,
            },
        };
        Ok(self.live.insert(live))
    }

    /// Runs `f`; when it failed because the connection was lost, once more
    /// on a new connection. Every statement warden sends is idempotent (an
    /// upsert or a delete, in one transaction), so repeating a batch whose
    /// commit may or may not have landed is safe.
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
        let config: postgres::Config = url.parse()?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("warden-postgres".into())
            .spawn(move || {
                let mut conn = Connection { config, live: None };
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(StoreError::Thread)?;
        let store = Self { jobs: tx };
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
        let rows = self.call(|c| {
            c.run(|live| {
                live.client.query(
                    "SELECT kind, account, key, value FROM warden_records
                     ORDER BY kind, account, key",
                    &[],
                )
            })
        })??;
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

    fn apply(&self, batch: &[Mutation]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let batch = batch.to_vec();
        self.call(move |c| c.run(|live| apply_batch(live, &batch)))??;
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.call(|c| c.run(|live| live.client.batch_execute("DELETE FROM warden_records")))??;
        Ok(())
    }
}

fn apply_batch(live: &mut Live, batch: &[Mutation]) -> Result<(), postgres::Error> {
    let put = prepared(&mut live.client, &mut live.upsert, UPSERT)?;
    let del = prepared(&mut live.client, &mut live.delete, DELETE)?;
    let mut tx = live.client.transaction()?;
    for m in batch {
        match m {
            Mutation::Put(r) => {
                tx.execute(&put, &[&r.kind, &r.account, &r.key, &r.value])?;
            }
            Mutation::Delete { kind, account, key } => {
                tx.execute(&del, &[kind, account, key])?;
            }
        }
    }
    tx.commit()
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
}
