//! The journal thread: renders the records requests hand it, appends them
//! as JSON lines to `trail-*.jsonl` files (0600, in a 0700 directory),
//! indexes them, syncs in batches, rotates by size and age, deletes files
//! past the retention, and exports CloudTrail log files. Requests never
//! wait for it unless its queue is full.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use parking_lot::RwLock;

use super::{AuditOptions, Entry, Fields, Index, Keys, Message};

const PREFIX: &str = "trail-";
const SUFFIX: &str = ".jsonl";
/// How often files past the retention are looked for.
const RETENTION_TICK: Duration = Duration::from_secs(600);
/// How often the journal thread takes the records queued since its last look.
const POLL: Duration = Duration::from_millis(10);

/// The journal files of `dir`, oldest first (their names sort by time).
fn journal_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The key of a journal file, from its name: the digits of its start time
/// and number (`trail-20260302T091542Z-0003.jsonl` → 202603020915420003).
/// Keys sort as the names do.
fn file_key(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let digits: String = name
        .strip_prefix(PREFIX)?
        .strip_suffix(SUFFIX)?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if digits.len() == 18 {
        digits.parse().ok()
    } else {
        None
    }
}

/// Indexes the newest records of the journal files in `dir`: at most `cap`,
/// none older than `oldest`. Files are read newest first, and reading stops
/// once the cap is reached, so a start reads about `cap` records whatever
/// the retention holds. A line a crash tore is skipped.
pub(crate) fn load(
    dir: &Path,
    keys: &Keys,
    index: &mut Index,
    cap: usize,
    oldest: i64,
) -> std::io::Result<()> {
    let mut newest_first: Vec<Vec<Entry>> = Vec::new();
    let mut count = 0;
    for path in journal_files(dir)?.into_iter().rev() {
        if count >= cap {
            break;
        }
        let Some(key) = file_key(&path) else {
            continue;
        };
        let mut entries = Vec::new();
        let mut reader = BufReader::new(File::open(&path)?);
        let mut line = Vec::new();
        let mut offset = 0u64;
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line)?;
            if read == 0 {
                break;
            }
            let at = offset;
            offset += read as u64;
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let Ok(text) = std::str::from_utf8(text) else {
                continue;
            };
            let (Some(fields), Ok(len)) = (Fields::parse(text), u32::try_from(text.len())) else {
                continue;
            };
            if fields.time >= oldest {
                entries.push(keys.entry(
                    &fields,
                    (u128::from(key) << 64) | u128::from(at),
                    len,
                    None,
                ));
            }
        }
        count += entries.len();
        index.files.insert(key, path);
        newest_first.push(entries);
    }
    for entries in newest_first.into_iter().rev() {
        index.entries.extend(entries);
    }
    drop(index.evict(cap, oldest));
    Ok(())
}

fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// `20260302T091542Z`, or with `minutes_only` `20260302T0915Z`.
fn compact_time(t: time::OffsetDateTime, minutes_only: bool) -> String {
    let base = format!(
        "{:04}{:02}{:02}T{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    );
    if minutes_only {
        base + "Z"
    } else {
        format!("{base}{:02}Z", t.second())
    }
}

struct Current {
    writer: BufWriter<File>,
    /// The file's key ([`file_key`]).
    key: u64,
    bytes: u64,
    opened: Instant,
}

/// A record waiting for the next export: its account, region and text.
struct Exportable {
    account: String,
    region: String,
    json: String,
}

/// The journal thread's state.
pub(crate) struct Worker {
    options: AuditOptions,
    keys: Keys,
    index: Arc<RwLock<Index>>,
    current: Option<Current>,
    /// Records written but not yet synced, and since when.
    unsynced: usize,
    unsynced_since: Option<Instant>,
    export_pending: Vec<Exportable>,
    last_export: Instant,
    last_retention: Instant,
}

/// At most this many rendered records wait before they are indexed, so the
/// index's lock is taken once per batch, never per record.
const INDEX_BATCH: usize = 4096;

impl Worker {
    pub(crate) fn new(
        options: AuditOptions,
        keys: Keys,
        index: Arc<RwLock<Index>>,
    ) -> std::io::Result<Worker> {
        let mut worker = Worker {
            options,
            keys,
            index,
            current: None,
            unsynced: 0,
            unsynced_since: None,
            export_pending: Vec::new(),
            last_export: Instant::now(),
            last_retention: Instant::now(),
        };
        // A fresh file per start: never append after a line a crash tore.
        worker.open_file()?;
        worker.apply_retention();
        Ok(worker)
    }

    fn open_file(&mut self) -> std::io::Result<()> {
        let Some(dir) = &self.options.dir else {
            return Ok(());
        };
        let stamp = compact_time(time::OffsetDateTime::now_utc(), false);
        for n in 0..10_000 {
            let path = dir.join(format!("{PREFIX}{stamp}-{n:04}{SUFFIX}"));
            match create_private(&path) {
                Ok(file) => {
                    // The new name must survive a crash with the records in it.
                    File::open(dir)?.sync_all()?;
                    let key = file_key(&path)
                        .ok_or_else(|| std::io::Error::other("unexpected journal file name"))?;
                    self.index.write().files.insert(key, path);
                    self.current = Some(Current {
                        writer: BufWriter::with_capacity(256 << 10, file),
                        key,
                        bytes: 0,
                        opened: Instant::now(),
                    });
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free journal file name"))
    }

    /// Drains the queue every [`POLL`] (or when LookupEvents unparks it),
    /// never woken per record: a wake-up per request would cost every
    /// request a context switch.
    pub(crate) fn run(mut self, rx: Receiver<Message>) {
        loop {
            std::thread::park_timeout(self.next_wait());
            let mut batch = Vec::new();
            let mut settled = Vec::new();
            let closed = loop {
                match rx.try_recv() {
                    Ok(Message::Record(pending)) => {
                        batch.push(self.take(&pending));
                        if self.unsynced >= self.options.sync_batch {
                            self.sync();
                        }
                        if batch.len() >= INDEX_BATCH {
                            self.publish(std::mem::take(&mut batch));
                        }
                    }
                    Ok(Message::Settle(answer)) => settled.push(answer),
                    Err(TryRecvError::Empty) => break false,
                    Err(TryRecvError::Disconnected) => break true,
                }
            };
            if !settled.is_empty() {
                self.flush();
            }
            self.publish(batch);
            for answer in settled {
                let _ = answer.send(());
            }
            if closed {
                self.sync();
                self.export();
                return;
            }
            self.housekeeping();
        }
    }

    fn next_wait(&self) -> Duration {
        let mut wait = POLL;
        if let Some(since) = self.unsynced_since {
            wait = wait.min(self.options.sync_interval.saturating_sub(since.elapsed()));
        }
        wait.max(Duration::from_millis(1))
    }

    /// Renders a record, appends it to the journal and returns its index
    /// entry (kept in memory when there is no journal or it cannot be
    /// written).
    fn take(&mut self, pending: &super::record::Pending) -> Entry {
        let (json, fields) = pending.render();
        let located = self.write(&json);
        let exported = self.options.export_dir.is_some().then(|| Exportable {
            account: fields.recipient.clone(),
            region: fields.region.clone(),
            json: String::new(),
        });
        let (entry, json) = match located {
            Some((pos, len)) => (self.keys.entry(&fields, pos, len, None), json),
            None => {
                let text = json.clone().into_boxed_str();
                (self.keys.entry(&fields, 0, 0, Some(text)), json)
            }
        };
        if let Some(mut exported) = exported {
            exported.json = json;
            self.export_pending.push(exported);
        }
        entry
    }

    /// Appends `json` as a line; its position and length, or `None` when it
    /// is not in a journal file. After a failed write the file's tail may be
    /// torn and its offsets are no longer known, so the record goes to a new
    /// file; if that fails too, records stay in memory from then on (after
    /// every journaled one, so the index stays in order).
    fn write(&mut self, json: &str) -> Option<(u128, u32)> {
        match self.append(json) {
            Ok(located) => located,
            Err(e) => {
                tracing::error!(error = %e, "cannot write the audit journal; starting a new file");
                self.current = None;
                if let Err(e) = self.open_file() {
                    tracing::error!(error = %e, "cannot start a new audit journal file; records are kept in memory only");
                    return None;
                }
                self.append(json).unwrap_or_else(|e| {
                    tracing::error!(error = %e, "cannot write the audit journal; records are kept in memory only");
                    self.current = None;
                    None
                })
            }
        }
    }

    fn append(&mut self, json: &str) -> std::io::Result<Option<(u128, u32)>> {
        let Some(current) = self.current.as_mut() else {
            return Ok(None);
        };
        let len = u32::try_from(json.len()).map_err(std::io::Error::other)?;
        current.writer.write_all(json.as_bytes())?;
        current.writer.write_all(b"\n")?;
        let pos = (u128::from(current.key) << 64) | u128::from(current.bytes);
        current.bytes += u64::from(len) + 1;
        self.unsynced += 1;
        self.unsynced_since.get_or_insert_with(Instant::now);
        Ok(Some((pos, len)))
    }

    /// Makes the written records readable by LookupEvents (not durable).
    fn flush(&mut self) {
        if let Some(current) = self.current.as_mut() {
            if let Err(e) = current.writer.flush() {
                tracing::error!(error = %e, "cannot write the audit journal");
            }
        }
    }

    /// Indexes a batch and lets records past the cap or the retention go.
    fn publish(&mut self, batch: Vec<Entry>) {
        let oldest =
            time::OffsetDateTime::now_utc().unix_timestamp() - super::retention_secs(&self.options);
        let evicted = {
            let mut index = self.index.write();
            for entry in batch {
                index.push(entry);
            }
            index.evict(self.options.memory_records, oldest)
        };
        drop(evicted);
    }

    fn sync(&mut self) {
        if self.unsynced == 0 {
            return;
        }
        if let Some(current) = self.current.as_mut() {
            let synced = current
                .writer
                .flush()
                .and_then(|()| current.writer.get_ref().sync_data());
            if let Err(e) = synced {
                tracing::error!(error = %e, "cannot sync the audit journal");
                return;
            }
        }
        self.unsynced = 0;
        self.unsynced_since = None;
    }

    fn housekeeping(&mut self) {
        if self.unsynced >= self.options.sync_batch
            || self
                .unsynced_since
                .is_some_and(|s| s.elapsed() >= self.options.sync_interval)
        {
            self.sync();
        }
        let rotate = self.current.as_ref().is_some_and(|c| {
            c.bytes >= self.options.rotate_bytes
                || (c.bytes > 0 && c.opened.elapsed() >= self.options.rotate_interval)
        });
        if rotate {
            self.sync();
            if let Err(e) = self.open_file() {
                tracing::error!(error = %e, "cannot start a new audit journal file");
            }
        }
        if !self.export_pending.is_empty()
            && self.last_export.elapsed() >= self.options.export_interval
        {
            self.export();
        }
        if self.last_retention.elapsed() >= RETENTION_TICK {
            self.apply_retention();
        }
    }

    /// Deletes journal files last written before the retention.
    fn apply_retention(&mut self) {
        self.last_retention = Instant::now();
        let Some(dir) = &self.options.dir else {
            return;
        };
        let Some(cutoff) = SystemTime::now().checked_sub(self.options.retention) else {
            return;
        };
        let Ok(files) = journal_files(dir) else {
            return;
        };
        // The newest file is the one being written.
        for path in files.iter().take(files.len().saturating_sub(1)) {
            let old = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .is_ok_and(|m| m < cutoff);
            if old {
                if let Err(e) = std::fs::remove_file(path) {
                    tracing::warn!(error = %e, path = %path.display(), "cannot delete an old audit journal file");
                }
            }
        }
    }

    /// Writes the pending records as CloudTrail log files, one per account
    /// and region.
    fn export(&mut self) {
        self.last_export = Instant::now();
        let Some(root) = self.options.export_dir.clone() else {
            return;
        };
        let mut groups: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for r in &self.export_pending {
            groups
                .entry((&r.account, &r.region))
                .or_default()
                .push(&r.json);
        }
        let now = time::OffsetDateTime::now_utc();
        for ((account, region), records) in groups {
            if let Err(e) = write_log_file(&root, account, region, now, &records) {
                tracing::error!(error = %e, "cannot export audit records");
                return; // kept for the next attempt
            }
        }
        self.export_pending.clear();
    }
}

/// Region names as they may appear in a path: the SigV4 scope is the
/// client's text, so anything else is exported under `invalid-region`.
fn path_safe(region: &str) -> &str {
    let ok = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        region
    } else {
        "invalid-region"
    }
}

/// `AWSLogs/ACCT/CloudTrail/REGION/YYYY/MM/DD/ACCT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz`,
/// gzip of `{"Records":[...]}`, written under a temporary name, synced,
/// then renamed, so a collector never reads half a file.
pub(crate) fn write_log_file(
    root: &Path,
    account: &str,
    region: &str,
    now: time::OffsetDateTime,
    records: &[&str],
) -> std::io::Result<PathBuf> {
    let region = path_safe(region);
    let account = if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        account
    } else {
        "000000000000"
    };
    let dir = root
        .join("AWSLogs")
        .join(account)
        .join("CloudTrail")
        .join(region)
        .join(format!("{:04}", now.year()))
        .join(format!("{:02}", u8::from(now.month())))
        .join(format!("{:02}", now.day()));
    std::fs::create_dir_all(&dir)?;
    let unique: String = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
    let name = format!(
        "{account}_CloudTrail_{region}_{}_{unique}.json.gz",
        compact_time(now, true)
    );
    let tmp = dir.join(format!(".{name}.tmp"));
    let file = create_private(&tmp)?;
    let mut gz =
        flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default());
    gz.write_all(b"{\"Records\":[")?;
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            gz.write_all(b",")?;
        }
        gz.write_all(r.as_bytes())?;
    }
    gz.write_all(b"]}")?;
    let file = gz
        .finish()?
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    file.sync_all()?;
    let path = dir.join(&name);
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exported_file_is_gzip_json_with_cloudtrails_name() {
        let root = tempfile::tempdir().unwrap();
        let now = time::OffsetDateTime::from_unix_timestamp(1_772_442_942).unwrap();
        let path = write_log_file(
            root.path(),
            "111122223333",
            "us-east-1",
            now,
            &[r#"{"eventName":"A"}"#, r#"{"eventName":"B"}"#],
        )
        .unwrap();
        let rel = path
            .strip_prefix(root.path())
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            rel.starts_with("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/111122223333_CloudTrail_us-east-1_20260302T0915Z_"),
            "{rel}"
        );
        assert!(rel.ends_with(".json.gz"));
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(File::open(&path).unwrap()),
            &mut text,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Records"][1]["eventName"], "B");
    }

    #[test]
    fn a_region_from_the_client_cannot_climb_out_of_the_export_dir() {
        assert_eq!(path_safe("../../etc"), "invalid-region");
        assert_eq!(path_safe("eu-west-1"), "eu-west-1");
        assert_eq!(path_safe(""), "invalid-region");
    }
}

#[cfg(test)]
mod write_failure {
    use super::*;
    use crate::audit::record::Pending;

    fn pending() -> Pending {
        crate::audit::record::test_pending("a")
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_failed_write_moves_the_record_to_a_new_file_whose_offsets_are_right() {
        let dir = tempfile::tempdir().unwrap();
        let options = AuditOptions {
            dir: Some(dir.path().to_path_buf()),
            ..AuditOptions::default()
        };
        let keys = Keys::new();
        let index = Arc::new(RwLock::new(Index::default()));
        let mut worker = Worker::new(options, keys, index).unwrap();
        // Control: a write to the file the worker opened lands in it.
        let first = worker.take(&pending());
        assert!(first.memory.is_none());
        let first_file = (first.pos >> 64) as u64;
        // Every write to /dev/full fails (ENOSPC); unbuffered, it fails at once.
        if let Some(current) = worker.current.as_mut() {
            current.writer = BufWriter::with_capacity(0, File::create("/dev/full").unwrap());
        }
        let moved = worker.take(&pending());
        assert!(
            moved.memory.is_none(),
            "kept in memory instead of a new file"
        );
        let new_file = (moved.pos >> 64) as u64;
        assert!(new_file > first_file);
        assert_eq!(moved.pos as u64, 0, "the first line of the new file");
        worker.flush();
        let path = worker.index.read().files.get(&new_file).cloned().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(text.len(), moved.len as usize + 1);
        assert!(Fields::parse(text.trim_end()).is_some());
    }
}
