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

#[derive(Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub account_id: String,
    pub dev: bool,
    /// Root credentials to install (from `WARDEN_ROOT_ACCESS_KEY_ID` and
    /// `WARDEN_ROOT_SECRET_ACCESS_KEY`).
    pub root_key: Option<(String, String)>,
    /// A PostgreSQL URL (`WARDEN_DATABASE_URL`): records go there instead
    /// of the SQLite file in `data_dir` (which still holds the master key
    /// file and the first root credentials).
    pub database_url: Option<String>,
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
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("store: {0}")]
    Store(#[from] warden_store::StoreError),
    #[error("{0}")]
    Core(#[from] warden_core::CoreError),
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid account id {0}: it must be 12 digits")]
    AccountId(String),
    #[error("--dev keeps its state in memory under a throwaway master key; it cannot take --database-url")]
    DevWithDatabase,
}

/// A running server.
#[derive(Debug)]
pub struct Started {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

fn master_key(opts: &ServeOptions) -> Result<MasterKey, StartupError> {
    if opts.dev {
        // Dev state is ephemeral, so is its key.
        return Ok(MasterKey::generate());
    }
    // The SQLite store makes the data dir; with PostgreSQL nothing else
    // would, and the key file and first root credentials still live here.
    std::fs::create_dir_all(&opts.data_dir).map_err(|source| StartupError::Write {
        path: opts.data_dir.clone(),
        source,
    })?;
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

fn profile_text(account: &str, key_id: &str, secret: &str, endpoint: &str) -> String {
    format!(
        "# warden root credentials for account {account}. Keep this file secret.\n\
         # Paste into ~/.aws/config, then: aws --profile warden iam list-users\n\
         [profile warden]\n\
         aws_access_key_id = {key_id}\n\
         aws_secret_access_key = {secret}\n\
         region = us-east-1\n\
         endpoint_url = {endpoint}\n"
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
        warden.install_root_key(account, id, secret)?;
        return Ok(());
    }
    if opts.dev || warden.root_has_keys(account) {
        return Ok(());
    }
    let key = warden.create_access_key(account, warden_core::keys::KeyOwner::Root)?;
    let secret = String::from_utf8_lossy(key.key.secret.expose()).into_owned();
    let text = profile_text(account, &key.key.id, &secret, &format!("http://{addr}"));
    let path = opts.data_dir.join("root-credentials");
    write_private(&path, &text)?;
    // Printed once, on the terminal of whoever started warden; never logged.
    println!(
        "warden: created root credentials in {}\n\n{text}",
        path.display()
    );
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
    let warden = Arc::new(tokio::task::block_in_place(|| {
        Warden::open(store, master, config)
    })?);
    account::ensure_account(&warden, &opts.account_id)?;

    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|source| StartupError::Listen {
            addr: opts.listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartupError::Listen {
            addr: opts.listen,
            source,
        })?;
    bootstrap_root(&warden, &opts, addr)?;

    let state = Arc::new(AppState {
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
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    tracing::info!(%addr, dev = opts.dev, account = %opts.account_id, "warden is ready");
    Ok(Started {
        addr,
        state,
        server,
    })
}

/// Access-key last-use is kept in memory on the request path and persisted
/// every few seconds, so a request never waits for a disk sync to record it.
fn spawn_last_used_flusher(warden: Arc<Warden>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            let w = warden.clone();
            match tokio::task::spawn_blocking(move || w.flush_key_use().and(w.flush_role_use()))
                .await
            {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "could not persist access key last-used"),
                Err(e) => tracing::warn!(error = %e, "last-used flusher task failed"),
            }
        }
    });
}
