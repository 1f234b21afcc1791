//! Start-up: open the store, load the model, make sure the default account
//! and its root credentials exist, and start listening.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use warden_core::crypto::MasterKey;
use warden_core::{account, Config, Warden};
use warden_store::{PostgresStore, SqliteStore, Store};
use warden_wire::sigv4::SigningKeyCache;

use crate::{dev::DevMode, router, AppState};

/// How [`start`] runs a server: what `warden serve` builds from its flags
/// and environment.
#[derive(Clone)]
pub struct ServeOptions {
    /// Address to bind (`--listen`, `WARDEN_LISTEN`); port 0 picks a free
    /// one, reported in [`Started::addr`].
    pub listen: SocketAddr,
    /// Directory of the SQLite store, master key, lock and first root
    /// credentials; unused in dev mode.
    pub data_dir: PathBuf,
    /// The 12-digit default account, created on first start; any other text
    /// is [`StartupError::AccountId`].
    pub account_id: String,
    /// Dev mode: in-memory state under a throwaway key, no data-dir lock, and
    /// the moto reset endpoints.
    pub dev: bool,
    /// Root credentials to install (from `WARDEN_ROOT_ACCESS_KEY_ID` and
    /// `WARDEN_ROOT_SECRET_ACCESS_KEY`).
    pub root_key: Option<(String, String)>,
    /// A PostgreSQL URL (`WARDEN_DATABASE_URL`): records go there instead
    /// of the SQLite file in `data_dir` (which still holds the master key
    /// file and the first root credentials).
    pub database_url: Option<String>,
    /// The S3 gateway's backend (`--s3-backend`); `None` leaves the gateway off.
    pub s3_backend: Option<crate::S3Backend>,
    /// The URL outside verifiers reach warden at (`--public-url`, `WARDEN_PUBLIC_URL`); `None`
    /// is `http://` and the bound address.
    pub public_url: Option<String>,
    /// The audit trail (`--audit-*`); `None` turns it off. Its `dir` defaults
    /// to `DATA_DIR/audit` (none in dev mode: memory only).
    pub audit: Option<crate::audit::AuditOptions>,
    /// Where to serve Prometheus `/metrics` (`--metrics-listen`); `None`
    /// serves no metrics at all. Never the AWS listener.
    pub metrics_listen: Option<SocketAddr>,
}

impl std::fmt::Debug for ServeOptions {
    // The root secret and the database URL (which may hold a password)
    // are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("account_id", &self.account_id)
            .field("dev", &self.dev)
            .field("root_key", &self.root_key.as_ref().map(|(id, _)| id))
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("s3_backend", &self.s3_backend)
            .field("public_url", &self.public_url)
            .field("audit", &self.audit)
            .field("metrics_listen", &self.metrics_listen)
            .finish()
    }
}

/// Why [`start`] refused or failed to start; its text is what `warden serve`
/// prints before exiting.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The store (SQLite or PostgreSQL) could not be opened or read.
    #[error("store: {0}")]
    Store(#[from] warden_store::StoreError),
    /// Loading the domain state or creating the default account and its root
    /// key failed.
    #[error("{0}")]
    Core(#[from] warden_core::CoreError),
    /// The master key (`WARDEN_MASTER_KEY`, its file, or `DIR/master.key`)
    /// could not be loaded: unreadable, malformed, or readable by others.
    #[error("master key: {0}")]
    MasterKey(String),
    /// Binding the listen address, or reading back its bound address, failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for in [`ServeOptions::listen`].
        addr: SocketAddr,
        /// The OS error, e.g. the port is taken.
        source: std::io::Error,
    },
    /// Creating the data dir or writing a file in it (the root credentials)
    /// failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The directory or file being written.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// [`ServeOptions::account_id`] is not 12 ASCII digits; carries the
    /// given text.
    #[error("invalid account id {0}: it must be 12 digits")]
    AccountId(String),
    /// The `--s3-backend` URL is unusable.
    #[error("{0}")]
    S3Backend(String),
    /// Dev mode was asked to use PostgreSQL, whose records would outlive the
    /// throwaway master key that encrypts them.
    #[error("--dev keeps its state in memory under a throwaway master key; it cannot take --database-url")]
    DevWithDatabase,
    /// Another process holds the data dir's lock, so this one must not serve
    /// the same store.
    // Worded without "in use": that phrase means a busy port to scripts.
    #[error(
        "another warden process{holder} is already serving the data dir {dir} (it holds the lock \
         on {dir}/lock); stop it first, or give this one another --data-dir"
    )]
    DataDirLocked {
        /// The data dir, as displayed in the message.
        dir: String,
        /// ` (pid N)` when the holder wrote its pid into the lock file.
        holder: String,
    },
    /// The audit trail's journal could not be opened or read.
    #[error("audit trail {path}: {source}")]
    Audit {
        /// The journal's directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Opening or locking `DIR/lock` failed other than by another holder.
    #[error("cannot lock the data dir {path}: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The exclusive lock on the data dir, held for the life of the process:
/// two servers on one dir would each serve only their own writes and the
/// later one to start would overwrite the other's. The OS drops the lock
/// when the process ends, however it ends, so a crash leaves no stale lock.
#[derive(Debug)]
pub struct DataDirLock {
    _file: std::fs::File,
}

/// Makes the data dir (0700), then takes `DIR/lock` or refuses to start.
fn lock_data_dir(dir: &Path) -> Result<DataDirLock, StartupError> {
    use std::io::{Read, Seek};
    warden_store::create_private_dir(dir).map_err(|source| StartupError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let path = dir.join("lock");
    let err = |source| StartupError::Lock {
        path: path.clone(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(err)?;
    if !try_lock(&file).map_err(err)? {
        // The holder wrote its pid; it only helps the message.
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        let pid = pid.trim();
        let holder = if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
            format!(" (pid {pid})")
        } else {
            String::new()
        };
        return Err(StartupError::DataDirLocked {
            dir: dir.display().to_string(),
            holder,
        });
    }
    file.set_len(0).map_err(err)?;
    file.rewind().map_err(err)?;
    writeln!(file, "{}", std::process::id()).map_err(err)?;
    Ok(DataDirLock { _file: file })
}

/// flock(2), non-blocking: `Ok(false)` when another process holds it. Not
/// std's `File::try_lock`, which is newer than the crate's minimum Rust.
#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> std::io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &std::fs::File) -> std::io::Result<bool> {
    // warden is served from Unix hosts; elsewhere the dir is not locked.
    Ok(true)
}

/// A running server.
#[derive(Debug)]
pub struct Started {
    /// The bound address, with the real port when [`ServeOptions::listen`]
    /// asked for port 0.
    pub addr: SocketAddr,
    /// The state shared with every request; callers flush its `warden`
    /// before exiting.
    pub state: Arc<AppState>,
    /// The accept loop's task: it retries failed accepts and runs until the
    /// process ends, so `warden serve` selects it against a shutdown signal.
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Held until the process has flushed and is about to exit (`None` in
    /// dev mode, which has no data dir).
    pub data_dir_lock: Option<DataDirLock>,
    /// The bound address of the metrics listener, when one was asked for.
    pub metrics_addr: Option<SocketAddr>,
}

fn master_key(opts: &ServeOptions) -> Result<MasterKey, StartupError> {
    if opts.dev {
        // Dev state is ephemeral, so is its key.
        return Ok(MasterKey::generate());
    }
    // The data dir exists (0700): taking its lock made it.
    MasterKey::from_env_or_file(&opts.data_dir.join("master.key"))
        .map_err(|e| StartupError::MasterKey(e.to_string()))
}

/// Writes `text` to `path` readable by the owner only.
fn write_private(path: &Path, text: &str) -> Result<(), StartupError> {
    let err = |source| StartupError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(err)?;
    file.write_all(text.as_bytes()).map_err(err)?;
    file.sync_all().map_err(err)
}

/// The shared-config text of the first root credentials: a `warden`
/// profile whose `services` section sends only what warden serves to it
/// (iam, sts, organizations, and s3 with the gateway), so other services
/// used with the same profile still reach AWS.
fn profile_text(account: &str, key_id: &str, secret: &str, endpoint: &str, s3: bool) -> String {
    // awscli v1 presigns with SigV2 unless told; the gateway is path-style.
    let s3_profile_lines = if s3 {
        "s3 =\n    signature_version = s3v4\n    addressing_style = path\n"
    } else {
        ""
    };
    let mut services = vec!["iam", "sts", "organizations"];
    if s3 {
        services.push("s3");
    }
    let endpoints: String = services
        .iter()
        .map(|service| format!("{service} =\n    endpoint_url = {endpoint}\n"))
        .collect();
    format!(
        "# warden root credentials for account {account}. Keep this file secret.\n\
         # Append to ~/.aws/config, then: aws --profile warden iam list-users\n\
         [profile warden]\n\
         aws_access_key_id = {key_id}\n\
         aws_secret_access_key = {secret}\n\
         region = us-east-1\n\
         services = warden\n\
         {s3_profile_lines}\
         \n\
         [services warden]\n\
         {endpoints}"
    )
}

/// Gives the root user credentials: the configured ones, or on first start
/// fresh ones written to `DIR/root-credentials` and printed once.
fn bootstrap_root(
    warden: &Warden,
    opts: &ServeOptions,
    addr: SocketAddr,
) -> Result<(), StartupError> {
    let account = &opts.account_id;
    if let Some((id, secret)) = &opts.root_key {
        warden.iam(account).install_root_key(id, secret)?;
        return Ok(());
    }
    if opts.dev || warden.iam(account).root_has_keys() {
        return Ok(());
    }
    // Decided inside the write: nodes starting at once on one shared
    // database make one root key, and only its maker writes the file.
    let Some(key) = warden.iam(account).create_first_root_key()? else {
        return Ok(());
    };
    let secret = String::from_utf8_lossy(key.key.secret.expose()).into_owned();
    let text = profile_text(
        account,
        &key.key.id,
        &secret,
        &format!("http://{addr}"),
        opts.s3_backend.is_some(),
    );
    let path = opts.data_dir.join("root-credentials");
    write_private(&path, &text)?;
    // Printed once, to whoever started warden; never logged. Standard
    // output carries the profile alone, so `warden serve >> ~/.aws/config`
    // appends a valid config; what a person reads goes to standard error.
    eprintln!(
        "warden: created root credentials in {}; their profile follows on standard output",
        path.display()
    );
    print!("{text}");
    let _ = std::io::stdout().flush();
    Ok(())
}

/// Opens everything and starts serving in the background.
pub async fn start(opts: ServeOptions) -> Result<Started, StartupError> {
    if opts.account_id.len() != 12 || !opts.account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StartupError::AccountId(opts.account_id.clone()));
    }
    if opts.dev && opts.database_url.is_some() {
        return Err(StartupError::DevWithDatabase);
    }
    // Lock first, with PostgreSQL too: the dir still holds the master key
    // and the first root credentials.
    let data_dir_lock = if opts.dev {
        None
    } else {
        Some(lock_data_dir(&opts.data_dir)?)
    };
    let store: Arc<dyn Store> = match &opts.database_url {
        Some(url) => Arc::new(PostgresStore::connect(url)?),
        None if opts.dev => Arc::new(SqliteStore::open_in_memory()?),
        None => Arc::new(SqliteStore::open_dir(&opts.data_dir)?),
    };
    let master = master_key(&opts)?;
    let config = Config {
        default_account: opts.account_id.clone(),
        ..Config::default()
    };
    // Nodes sharing a database must share the master key: a node with
    // another one is refused before it reads a record it cannot open, and
    // the first to open the records records the key's id.
    if let Some(shared) = store.shared() {
        shared.check_master_key(master.id(), false)?;
    }
    let warden = Arc::new(tokio::task::block_in_place(|| {
        Warden::open(store.clone(), master, config)
    })?);
    if let Some(shared) = store.shared() {
        shared.check_master_key(warden.master_key().id(), true)?;
        let follower = warden.clone();
        shared.follow(
            LOG_POLL,
            Box::new(move |notified| {
                if let Err(e) = follower.catch_up(notified) {
                    tracing::warn!(error = %e, "could not catch up with the shared database's log");
                }
            }),
        )?;
    }
    account::ensure_account(&warden, &opts.account_id)?;

    let (listener, addr) = bind(opts.listen).await?;
    // Bound before anything is served, so a taken port fails the start.
    let metrics_listener = match opts.metrics_listen {
        Some(at) => Some(bind(at).await?),
        None => None,
    };
    bootstrap_root(&warden, &opts, addr)?;

    let s3 = match &opts.s3_backend {
        Some(b) => Some(Arc::new(
            crate::S3Gateway::new(crate::S3Backend {
                url: b.url.clone(),
                region: b.region.clone(),
                client_region: b.client_region.clone(),
                access_key_id: b.access_key_id.clone(),
                secret_access_key: b.secret_access_key.clone(),
            })
            .map_err(StartupError::S3Backend)?,
        )),
        None => None,
    };
    let public_url = opts.public_url.as_deref().map_or_else(
        || format!("http://{addr}"),
        |u| u.trim_end_matches('/').to_string(),
    );
    let audit = match &opts.audit {
        Some(audit) => {
            let mut audit = audit.clone();
            if audit.dir.is_none() && !opts.dev {
                audit.dir = Some(opts.data_dir.join("audit"));
            }
            let path = audit.dir.clone().unwrap_or_default();
            Some(
                crate::audit::AuditTrail::open(audit)
                    .map_err(|source| StartupError::Audit { path, source })?,
            )
        }
        None => None,
    };
    let state = Arc::new(AppState {
        public_url,
        s3,
        audit,
        warden: warden.clone(),
        signing_keys: SigningKeyCache::default(),
        dev: opts.dev.then(|| {
            DevMode::new(opts.root_key.as_ref().map(|(id, secret)| {
                (
                    id.clone(),
                    warden_core::crypto::Secret::from(secret.as_bytes().to_vec()),
                )
            }))
        }),
    });
    spawn_last_used_flusher(warden);
    let app = router(state.clone());
    let limits = crate::limits::Limits {
        s3_bodies_stream: state.s3.is_some(),
        ..crate::limits::Limits::default()
    };
    let server = tokio::spawn(crate::limits::serve(listener, app, limits));
    let metrics_addr = metrics_listener.map(|(listener, at)| {
        let app = crate::metrics::router(state.warden.clone());
        tokio::spawn(async move {
            if let Err(e) =
                crate::limits::serve(listener, app, crate::limits::Limits::default()).await
            {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
        at
    });
    let metrics = metrics_addr.map(|a| a.to_string());
    tracing::info!(
        %addr,
        metrics = metrics.as_deref().unwrap_or("off"),
        dev = opts.dev,
        account = %opts.account_id,
        "warden is ready"
    );
    Ok(Started {
        addr,
        state,
        server,
        data_dir_lock,
        metrics_addr,
    })
}

/// Binds `at`, with the real port when it asked for port 0.
async fn bind(at: SocketAddr) -> Result<(TcpListener, SocketAddr), StartupError> {
    let err = |source| StartupError::Listen { addr: at, source };
    let listener = TcpListener::bind(at).await.map_err(err)?;
    let bound = listener.local_addr().map_err(err)?;
    Ok((listener, bound))
}

/// Access-key last-use is kept in memory on the request path and persisted
/// every few seconds, so a request never waits for a disk sync to record it.
/// How often a node sharing a database reads the log when no notification
/// came: the bound on propagation when a notification is lost.
const LOG_POLL: Duration = Duration::from_secs(1);

fn spawn_last_used_flusher(warden: Arc<Warden>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            let w = warden.clone();
            match tokio::task::spawn_blocking(move || {
                w.flush_key_use()
                    .and(w.flush_role_use())
                    .and(w.flush_access())
            })
            .await
            {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "could not persist access key last-used"),
                Err(e) => tracing::warn!(error = %e, "last-used flusher task failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_second_lock_on_a_dir_is_refused_until_the_first_is_dropped() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        let first = lock_data_dir(&dir).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("lock")), 0o600);
        // flock conflicts between two opens even within one process.
        let err = lock_data_dir(&dir).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StartupError::DataDirLocked { .. }), "{text}");
        assert!(
            text.contains(&format!("(pid {})", std::process::id())),
            "{text}"
        );
        assert!(!text.contains("in use"), "{text}");
        drop(first);
        let _again = lock_data_dir(&dir).unwrap();
    }
}
