//! The audit trail: one CloudTrail-format record per API call (successes,
//! denials and authentication failures), kept in memory for LookupEvents and
//! written to a local journal of JSON lines by a background thread that
//! syncs in batches; optionally exported as CloudTrail log files. See
//! `docs/audit.md` for the crash window, rotation and retention.

pub(crate) mod journal;
pub(crate) mod lookup;
pub mod record;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use serde_json::Value;

/// How the trail keeps its records (`warden serve --audit-*`).
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// The journal's directory; `None` keeps records in memory only (dev mode).
    pub dir: Option<PathBuf>,
    /// The journal is synced at least this often while records are pending.
    pub sync_interval: Duration,
    /// ... or as soon as this many records are pending.
    pub sync_batch: usize,
    /// A journal file is closed and a new one started past this size.
    pub rotate_bytes: u64,
    /// ... or past this age.
    pub rotate_interval: Duration,
    /// Journal files and records older than this are deleted.
    pub retention: Duration,
    /// At most this many records are held for LookupEvents (the oldest go first).
    pub memory_records: usize,
    /// Where CloudTrail log files go (`AWSLogs/...`); `None`: no export.
    pub export_dir: Option<PathBuf>,
    /// How often pending records are exported.
    pub export_interval: Duration,
}

impl Default for AuditOptions {
    fn default() -> Self {
        Self {
            dir: None,
            sync_interval: Duration::from_millis(200),
            sync_batch: 512,
            rotate_bytes: 64 << 20,
            rotate_interval: Duration::from_secs(24 * 3600),
            retention: Duration::from_secs(90 * 24 * 3600),
            memory_records: 100_000,
            export_dir: None,
            export_interval: Duration::from_secs(300),
        }
    }
}

/// One record as LookupEvents filters it, with its JSON text.
#[derive(Debug)]
pub(crate) struct Stored {
    /// Order of recording: newer records have larger numbers.
    pub seq: u64,
    pub time: i64,
    pub event_id: String,
    pub event_name: String,
    pub event_source: String,
    pub read_only: bool,
    pub username: Option<String>,
    pub access_key_id: Option<String>,
    pub recipient: String,
    pub region: String,
    /// `(ResourceType, ResourceName)` pairs.
    pub resources: Vec<(String, String)>,
    /// The record, serialized once.
    pub json: String,
}

impl Stored {
    fn from_record(seq: u64, rec: &Value, json: String) -> Option<Stored> {
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let time = text(rec, "eventTime").and_then(|t| {
            time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok()
        })?;
        let identity = rec.get("userIdentity").unwrap_or(&Value::Null);
        let username = record::username_of(identity);
        let resources = record::resources_of(
            rec.get("requestParameters").unwrap_or(&Value::Null),
            rec.get("responseElements").unwrap_or(&Value::Null),
        );
        Some(Stored {
            seq,
            time: time.unix_timestamp(),
            event_id: text(rec, "eventID")?,
            event_name: text(rec, "eventName")?,
            event_source: text(rec, "eventSource")?,
            read_only: rec
                .get("readOnly")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            username,
            access_key_id: text(identity, "accessKeyId").filter(|k| !k.is_empty()),
            recipient: text(rec, "recipientAccountId")?,
            region: text(rec, "awsRegion").unwrap_or_else(|| "us-east-1".into()),
            resources,
            json,
        })
    }
}

/// The records LookupEvents sees, oldest first.
#[derive(Debug, Default)]
struct Index {
    records: VecDeque<Arc<Stored>>,
    next_seq: u64,
}

/// The running trail, shared by every request.
#[derive(Debug)]
pub struct AuditTrail {
    options: AuditOptions,
    index: RwLock<Index>,
    /// To the journal thread; `None` once closed (or with no journal).
    sender: RwLock<Option<mpsc::Sender<Arc<Stored>>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl AuditTrail {
    /// Opens the trail: loads the journal's records still within retention
    /// and starts the journal thread on a new file.
    pub fn open(options: AuditOptions) -> std::io::Result<Arc<AuditTrail>> {
        let mut index = Index::default();
        if let Some(dir) = &options.dir {
            warden_store::create_private_dir(dir)?;
            let oldest = time::OffsetDateTime::now_utc().unix_timestamp()
                - i64::try_from(options.retention.as_secs()).unwrap_or(i64::MAX);
            for line in journal::read_all(dir)? {
                let Ok(rec) = serde_json::from_str::<Value>(&line) else {
                    continue; // a line torn by a crash
                };
                if let Some(stored) = Stored::from_record(index.next_seq, &rec, line) {
                    if stored.time >= oldest {
                        index.next_seq += 1;
                        index.records.push_back(Arc::new(stored));
                    }
                }
            }
            while index.records.len() > options.memory_records {
                index.records.pop_front();
            }
        }
        let needs_thread = options.dir.is_some() || options.export_dir.is_some();
        let (sender, writer) = if needs_thread {
            let (tx, rx) = mpsc::channel();
            let worker = journal::Worker::new(options.clone())?;
            let handle = std::thread::Builder::new()
                .name("warden-audit".into())
                .spawn(move || worker.run(rx))?;
            (Some(tx), Some(handle))
        } else {
            (None, None)
        };
        Ok(Arc::new(AuditTrail {
            options,
            index: RwLock::new(index),
            sender: RwLock::new(sender),
            writer: Mutex::new(writer),
        }))
    }

    /// Records one event (from [`record::render`]): visible to LookupEvents at
    /// once, on disk within the sync interval. Records past the retention or
    /// the memory cap leave the index here.
    pub(crate) fn record(&self, mut stored: Stored) {
        let oldest =
            stored.time - i64::try_from(self.options.retention.as_secs()).unwrap_or(i64::MAX);
        // Evicted records are freed after the lock is released.
        let mut evicted = Vec::new();
        let stored = {
            let mut index = self.index.write();
            stored.seq = index.next_seq;
            index.next_seq += 1;
            let stored = Arc::new(stored);
            index.records.push_back(stored.clone());
            while index.records.len() > self.options.memory_records
                || index.records.front().is_some_and(|r| r.time < oldest)
            {
                evicted.extend(index.records.pop_front());
            }
            stored
        };
        drop(evicted);
        if let Some(tx) = self.sender.read().as_ref() {
            if tx.send(stored).is_err() {
                tracing::error!("the audit journal thread has stopped; record kept in memory only");
            }
        }
    }

    /// The records, newest first, that `pick` keeps, starting below `before`
    /// (a `seq`), at most `limit`; plus whether more remain.
    pub(crate) fn newest_first(
        &self,
        before: Option<u64>,
        limit: usize,
        pick: impl Fn(&Stored) -> bool,
    ) -> (Vec<Arc<Stored>>, bool) {
        let index = self.index.read();
        let mut out = Vec::new();
        for r in index.records.iter().rev() {
            if before.is_some_and(|b| r.seq >= b) || !pick(r) {
                continue;
            }
            if out.len() == limit {
                return (out, true);
            }
            out.push(r.clone());
        }
        (out, false)
    }

    /// Stops the journal thread after it has written, synced and exported
    /// everything recorded so far. Later records stay in memory only.
    pub fn close(&self) {
        drop(self.sender.write().take());
        if let Some(handle) = self.writer.lock().take() {
            if handle.join().is_err() {
                tracing::error!("the audit journal thread panicked");
            }
        }
    }
}
