//! The `warden` command: `serve` runs the IAM/STS endpoint; `policy` checks
//! and evaluates policy documents offline.

mod policy_cmd;

/// mimalloc instead of glibc's malloc: a request allocates a few hundred small blocks, and
/// with glibc that was about a sixth of the CPU of an S3 gateway GET; mimalloc cut the CPU per
/// request by about a tenth (docs/benchmarks.md). Transparent huge pages are off (`no_thp`):
/// with them its arenas doubled the idle RSS. Its C is built by `cc`, as ring's is; no system
/// library is linked.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "warden", version, about = "Self-hosted AWS IAM and STS")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the IAM and STS endpoint.
    Serve(Box<ServeArgs>),
    /// Validate or evaluate IAM policy documents offline.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4600", env = "WARDEN_LISTEN")]
    listen: SocketAddr,
    /// Where the SQLite database, master key and root credentials live.
    #[arg(long, default_value = "./warden-data", env = "WARDEN_DATA_DIR")]
    data_dir: PathBuf,
    /// The 12-digit id of the default account.
    #[arg(long, default_value = "123456789012", env = "WARDEN_ACCOUNT_ID")]
    account_id: String,
    /// Ephemeral state and moto-compatible test shortcuts. Never for production.
    #[arg(long)]
    dev: bool,
    /// Keep records in PostgreSQL (`postgres://user:password@host/db`)
    /// instead of the SQLite file in --data-dir.
    #[arg(long, env = "WARDEN_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Also serve S3 on the same listener, enforcing IAM in front of this S3-compatible store
    /// (`http[s]://host:port`, path-style; https verified against the system CA bundle and
    /// SSL_CERT_FILE). Its credentials come from
    /// WARDEN_S3_BACKEND_ACCESS_KEY_ID and WARDEN_S3_BACKEND_SECRET_ACCESS_KEY.
    #[arg(long, env = "WARDEN_S3_BACKEND")]
    s3_backend: Option<String>,
    /// The region the S3 backend signs for.
    #[arg(long, default_value = "us-east-1", env = "WARDEN_S3_BACKEND_REGION")]
    s3_backend_region: String,
    /// The region the S3 gateway serves: clients sign for it (a credential scoped to another
    /// region is refused with S3's AuthorizationHeaderMalformed).
    #[arg(long, default_value = "us-east-1", env = "WARDEN_S3_REGION")]
    s3_region: String,
    /// The URL outside services reach warden at (an https URL behind a TLS proxy): the base of the
    /// issuers of outbound web identity federation (`URL/outbound/ID`). Default: http:// and the
    /// listen address.
    #[arg(long, env = "WARDEN_PUBLIC_URL")]
    public_url: Option<String>,
    /// The audit trail: a CloudTrail-format record of every IAM, STS and Organizations call,
    /// served by `aws cloudtrail lookup-events` (docs/audit.md).
    #[arg(long, default_value = "on", env = "WARDEN_AUDIT_TRAIL", value_parser = ["on", "off"])]
    audit_trail: String,
    /// The audit journal's directory (default: DATA_DIR/audit; in --dev, memory only).
    #[arg(long, env = "WARDEN_AUDIT_DIR")]
    audit_dir: Option<PathBuf>,
    /// Sync the audit journal at least this often while records are pending (the crash window).
    #[arg(long, default_value_t = 200, env = "WARDEN_AUDIT_SYNC_MS")]
    audit_sync_ms: u64,
    /// ... or as soon as this many records are pending.
    #[arg(long, default_value_t = 512, env = "WARDEN_AUDIT_SYNC_RECORDS")]
    audit_sync_records: usize,
    /// Start a new audit journal file past this size.
    #[arg(long, default_value_t = 64, env = "WARDEN_AUDIT_ROTATE_MB")]
    audit_rotate_mb: u64,
    /// ... or past this age.
    #[arg(long, default_value_t = 24, env = "WARDEN_AUDIT_ROTATE_HOURS")]
    audit_rotate_hours: u64,
    /// Delete audit journal files (and forget records) older than this.
    #[arg(long, default_value_t = 90, env = "WARDEN_AUDIT_RETENTION_DAYS")]
    audit_retention_days: u64,
    /// LookupEvents serves at most this many of the newest records (all stay in the journal).
    #[arg(long, default_value_t = 100_000, env = "WARDEN_AUDIT_MEMORY_RECORDS")]
    audit_memory_records: usize,
    /// Also write the trail as CloudTrail log files (AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
    /// ..., gzip JSON) under this directory, for SIEM ingestion. Off unless given.
    #[arg(long, env = "WARDEN_AUDIT_EXPORT_DIR")]
    audit_export_dir: Option<PathBuf>,
    /// How often CloudTrail log files are written (seconds).
    #[arg(long, default_value_t = 300, env = "WARDEN_AUDIT_EXPORT_SECS")]
    audit_export_secs: u64,
    /// Serve Prometheus metrics at http://ADDR/metrics, on this listener only
    /// (off unless given; never on --listen).
    #[arg(long, env = "WARDEN_METRICS_LISTEN", value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
}

impl ServeArgs {
    fn audit(&self) -> Option<warden_server::audit::AuditOptions> {
        use std::time::Duration;
        (self.audit_trail == "on").then(|| warden_server::audit::AuditOptions {
            dir: self.audit_dir.clone(),
            sync_interval: Duration::from_millis(self.audit_sync_ms.max(1)),
            sync_batch: self.audit_sync_records.max(1),
            rotate_bytes: self.audit_rotate_mb.max(1) << 20,
            rotate_interval: Duration::from_secs(self.audit_rotate_hours.max(1) * 3600),
            retention: Duration::from_secs(self.audit_retention_days.max(1) * 24 * 3600),
            memory_records: self.audit_memory_records.max(1),
            export_dir: self.audit_export_dir.clone(),
            export_interval: Duration::from_secs(self.audit_export_secs.max(1)),
        })
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("WARDEN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("WARDEN_LOG_FORMAT").is_ok_and(|v| v == "json");
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn root_key_from_env() -> Result<Option<(String, String)>, String> {
    let id = std::env::var("WARDEN_ROOT_ACCESS_KEY_ID").ok();
    let secret = std::env::var("WARDEN_ROOT_SECRET_ACCESS_KEY").ok();
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Some((id, secret))),
        (None, None) => Ok(None),
        _ => Err(
            "set both WARDEN_ROOT_ACCESS_KEY_ID and WARDEN_ROOT_SECRET_ACCESS_KEY, or neither"
                .into(),
        ),
    }
}

async fn serve(args: Box<ServeArgs>) -> Result<(), String> {
    let opts = warden_server::ServeOptions {
        audit: args.audit(),
        listen: args.listen,
        data_dir: args.data_dir,
        account_id: args.account_id,
        dev: args.dev,
        root_key: root_key_from_env()?,
        database_url: args.database_url,
        public_url: args.public_url,
        metrics_listen: args.metrics_listen,
        s3_backend: match args.s3_backend {
            Some(url) => Some(warden_server::S3Backend {
                url,
                region: args.s3_backend_region,
                client_region: args.s3_region,
                access_key_id: std::env::var("WARDEN_S3_BACKEND_ACCESS_KEY_ID").map_err(|_| {
                    "--s3-backend needs WARDEN_S3_BACKEND_ACCESS_KEY_ID".to_string()
                })?,
                secret_access_key: std::env::var("WARDEN_S3_BACKEND_SECRET_ACCESS_KEY").map_err(
                    |_| "--s3-backend needs WARDEN_S3_BACKEND_SECRET_ACCESS_KEY".to_string(),
                )?,
            }),
            None => None,
        },
    };
    let started = warden_server::start(opts)
        .await
        .map_err(|e| e.to_string())?;
    let warden_server::Started {
        state,
        server,
        data_dir_lock,
        ..
    } = started;
    let warden = state.warden.clone();
    let audit = state.audit.clone();
    tokio::select! {
        res = server => {
            res.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
        }
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
        }
    }
    // Persist what only lived in memory (access-key last use), and write,
    // sync and export the audit records still pending.
    let flushed = tokio::task::spawn_blocking(move || {
        if let Some(audit) = audit {
            audit.close();
        }
        warden
            .flush_key_use()
            .and(warden.flush_role_use())
            .and(warden.flush_access())
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string());
    // Only now may another warden take the data dir.
    drop(data_dir_lock);
    flushed
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            init_logging();
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("warden: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(serve(args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("warden: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Policy(cmd) => policy_cmd::run(cmd),
    }
}
