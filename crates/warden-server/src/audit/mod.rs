//! The audit trail: one CloudTrail-format record per API call (successes,
//! denials and authentication failures). A request hands its facts to the
//! journal thread over a bounded channel and goes on; the thread renders
//! the record, appends it to a local journal of JSON lines (synced in
//! batches) and indexes it for LookupEvents. The index is compact: per
//! record its time, hashes of the values LookupEvents filters on, and where
//! its text is in the journal, which LookupEvents reads back. Optionally the
//! thread also exports CloudTrail log files. See `docs/audit.md` for the
//! crash window, rotation, retention and the memory model.

pub(crate) mod journal;
pub(crate) mod lookup;
pub mod record;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::io::{Read, Seek, SeekFrom};
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

/// How many records may wait for the journal thread. Past it a request
/// waits for room (it is never dropped), which bounds both the memory and
/// the records a crash can lose beyond the sync interval.
const QUEUE_RECORDS: usize = 65_536;

/// How long LookupEvents waits for the journal thread to index what was
/// recorded before it, before it answers from what is indexed.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(5);

/// The file key of records held in memory only (no journal, after the
/// trail closed, or once the journal cannot be written): they sort after
/// every journal file.
const MEMORY_FILE: u64 = u64::MAX;

/// What LookupEvents reports of a record, read from its JSON text (or
/// gathered while rendering it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fields {
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
}

impl Fields {
    /// The fields of a record's JSON text; `None` for a line that is not a
    /// record (one a crash tore).
    pub(crate) fn parse(json: &str) -> Option<Fields> {
        let rec: Value = serde_json::from_str(json).ok()?;
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let time = text(&rec, "eventTime").and_then(|t| {
            time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok()
        })?;
        let identity = rec.get("userIdentity").unwrap_or(&Value::Null);
        let params = rec.get("requestParameters").unwrap_or(&Value::Null);
        let resources = record::resources_of(
            |member| params.get(member).and_then(Value::as_str),
            rec.get("responseElements").unwrap_or(&Value::Null),
        );
        Some(Fields {
            time: time.unix_timestamp(),
            event_id: text(&rec, "eventID")?,
            event_name: text(&rec, "eventName")?,
            event_source: text(&rec, "eventSource")?,
            read_only: rec
                .get("readOnly")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            username: record::username_of(identity),
            access_key_id: text(identity, "accessKeyId").filter(|k| !k.is_empty()),
            recipient: text(&rec, "recipientAccountId")?,
            region: text(&rec, "awsRegion").unwrap_or_else(|| "us-east-1".into()),
            resources,
        })
    }
}

/// One record in the index: where its text is, its time, and keyed hashes
/// of the values LookupEvents filters on (about 120 bytes, where the text
/// and owned fields took 1.5-2.5 KB). A hash match is confirmed against the
/// text read back before it is answered, so a collision costs a read, never
/// a wrong answer.
#[derive(Debug)]
pub(crate) struct Entry {
    /// `file key << 64 | byte offset`: records sort by it, and page tokens
    /// carry it, so a token outlives a restart.
    pub pos: u128,
    pub len: u32,
    pub time: i64,
    pub read_only: bool,
    pub event_id: u64,
    pub event_name: u64,
    pub event_source: u64,
    pub username: u64,
    pub access_key_id: u64,
    pub recipient: u64,
    /// `(ResourceType, ResourceName)` hashes.
    pub resources: Box<[(u64, u64)]>,
    /// The text, when it is in no journal file.
    memory: Option<Box<str>>,
}

/// The keyed hash of the values LookupEvents filters on. Not SipHash: a
/// multiply-rotate over 8-byte words under a per-process random key, a
/// fraction of SipHash's cost for these short strings. Its collisions only
/// cost LookupEvents a read, since every match is confirmed on the text.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    key: u64,
}

/// splitmix64's finalizer: every input bit reaches every output bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Keys {
    pub(crate) fn new() -> Keys {
        Keys {
            key: RandomState::new().hash_one(0u8),
        }
    }

    /// The hash of `value` (`None`: absent, distinct from every text).
    pub(crate) fn of(&self, value: Option<&str>) -> u64 {
        const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
        let Some(text) = value else {
            return mix(self.key ^ MULTIPLIER);
        };
        // The length first, so texts that differ only by trailing zero bytes differ.
        let mut h = mix(self.key ^ text.len() as u64);
        for chunk in text.as_bytes().chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            h = (h ^ u64::from_le_bytes(word))
                .wrapping_mul(MULTIPLIER)
                .rotate_left(29);
        }
        mix(h)
    }

    /// The index entry of a record whose text is at `pos` (or, with
    /// `memory`, held in memory).
    pub(crate) fn entry(&self, f: &Fields, pos: u128, len: u32, memory: Option<Box<str>>) -> Entry {
        Entry {
            pos,
            len,
            time: f.time,
            read_only: f.read_only,
            event_id: self.of(Some(&f.event_id)),
            event_name: self.of(Some(&f.event_name)),
            event_source: self.of(Some(&f.event_source)),
            username: self.of(f.username.as_deref()),
            access_key_id: self.of(f.access_key_id.as_deref()),
            recipient: self.of(Some(&f.recipient)),
            resources: f
                .resources
                .iter()
                .map(|(kind, name)| (self.of(Some(kind)), self.of(Some(name))))
                .collect(),
            memory,
        }
    }
}

/// The records LookupEvents sees, oldest first, and the journal files
/// their text is in.
#[derive(Debug, Default)]
pub(crate) struct Index {
    entries: VecDeque<Entry>,
    /// File key → path.
    files: BTreeMap<u64, PathBuf>,
    /// The next in-memory record's offset.
    memory_count: u64,
}

impl Index {
    fn push(&mut self, mut entry: Entry) {
        if entry.memory.is_some() {
            entry.pos = (u128::from(MEMORY_FILE) << 64) | u128::from(self.memory_count);
            self.memory_count += 1;
        }
        self.entries.push_back(entry);
    }

    /// Takes out the records past the cap or older than `oldest` (to be
    /// freed after the lock is released), and forgets files no record is in.
    fn evict(&mut self, cap: usize, oldest: i64) -> Vec<Entry> {
        let mut evicted = Vec::new();
        while self.entries.len() > cap || self.entries.front().is_some_and(|e| e.time < oldest) {
            evicted.extend(self.entries.pop_front());
        }
        if let Some(front) = self.entries.front() {
            let first_file = (front.pos >> 64) as u64;
            if self
                .files
                .first_key_value()
                .is_some_and(|(k, _)| *k < first_file)
            {
                self.files = self.files.split_off(&first_file);
            }
        }
        evicted
    }
}

/// To the journal thread.
pub(crate) enum Message {
    Record(Box<record::Pending>),
    /// Answered once everything sent before it is indexed and readable.
    Settle(mpsc::SyncSender<()>),
}

/// A record LookupEvents answers: its position, fields and text.
#[derive(Debug)]
pub(crate) struct Found {
    pub pos: u128,
    pub fields: Fields,
    pub json: String,
}

/// The running trail, shared by every request.
#[derive(Debug)]
pub struct AuditTrail {
    options: AuditOptions,
    keys: Keys,
    index: Arc<RwLock<Index>>,
    /// To the journal thread; `None` once closed.
    sender: RwLock<Option<mpsc::SyncSender<Message>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    thread: std::thread::Thread,
}

impl AuditTrail {
    /// Opens the trail: indexes the journal's newest records (within the
    /// retention and the memory cap) and starts the journal thread on a new
    /// file.
    pub fn open(options: AuditOptions) -> std::io::Result<Arc<AuditTrail>> {
        let keys = Keys::new();
        let mut index = Index::default();
        if let Some(dir) = &options.dir {
            warden_store::create_private_dir(dir)?;
            let oldest =
                time::OffsetDateTime::now_utc().unix_timestamp() - retention_secs(&options);
            journal::load(dir, &keys, &mut index, options.memory_records, oldest)?;
        }
        let index = Arc::new(RwLock::new(index));
        let (tx, rx) = mpsc::sync_channel(QUEUE_RECORDS);
        let worker = journal::Worker::new(options.clone(), keys.clone(), index.clone())?;
        let handle = std::thread::Builder::new()
            .name("warden-audit".into())
            .spawn(move || worker.run(rx))?;
        Ok(Arc::new(AuditTrail {
            options,
            keys,
            thread: handle.thread().clone(),
            index,
            sender: RwLock::new(Some(tx)),
            writer: Mutex::new(Some(handle)),
        }))
    }

    /// Records one request: the journal thread renders, journals and indexes
    /// it (visible to LookupEvents at once, see [`Self::newest_first`]; on
    /// disk within the sync interval). Once the trail is closed, records are
    /// rendered here and kept in memory only.
    pub(crate) fn record(&self, pending: record::Pending) {
        let pending = match self.sender.read().as_ref() {
            Some(tx) => match tx.send(Message::Record(Box::new(pending))) {
                Ok(()) => return,
                Err(mpsc::SendError(Message::Record(pending))) => {
                    tracing::error!(
                        "the audit journal thread has stopped; record kept in memory only"
                    );
                    *pending
                }
                Err(mpsc::SendError(Message::Settle(_))) => return,
            },
            None => pending,
        };
        let (json, fields) = pending.render();
        let entry = self.keys.entry(&fields, 0, 0, Some(json.into_boxed_str()));
        let evicted = {
            let mut index = self.index.write();
            index.push(entry);
            index.evict(
                self.options.memory_records,
                fields.time - retention_secs(&self.options),
            )
        };
        drop(evicted);
    }

    /// Waits (a bounded time) until the journal thread has indexed every
    /// record sent before this call.
    fn settle(&self) {
        let (tx, rx) = mpsc::sync_channel(1);
        let sent = self
            .sender
            .read()
            .as_ref()
            .is_some_and(|s| s.send(Message::Settle(tx)).is_ok());
        if sent {
            self.thread.unpark();
            if rx.recv_timeout(SETTLE_TIMEOUT).is_err() {
                tracing::warn!("the audit journal thread is behind; LookupEvents answers from what it has indexed");
            }
        }
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The records, newest first, below `before` (a position), that `pick`
    /// keeps by their index entry and `confirm` by their text; at most
    /// `limit`, and whether more may remain. Every record recorded before
    /// the call is seen.
    pub(crate) fn newest_first(
        &self,
        before: Option<u128>,
        limit: usize,
        pick: impl Fn(&Entry) -> bool,
        confirm: impl Fn(&Fields) -> bool,
    ) -> (Vec<Found>, bool) {
        self.settle();
        let mut found = Vec::new();
        let mut cursor = before;
        let mut open_files: HashMap<u64, std::fs::File> = HashMap::new();
        loop {
            // Candidates by hash, taken under the read lock; their text is
            // read after it is released. One more than needed tells whether
            // more remain.
            let want = limit - found.len() + 1;
            let (candidates, exhausted) = {
                let index = self.index.read();
                let end = match cursor {
                    Some(b) => index.entries.partition_point(|e| e.pos < b),
                    None => index.entries.len(),
                };
                let mut candidates = Vec::new();
                for e in index.entries.range(..end).rev() {
                    if pick(e) {
                        let path = index.files.get(&((e.pos >> 64) as u64)).cloned();
                        candidates.push((e.pos, e.len, e.memory.clone(), path));
                        if candidates.len() == want {
                            break;
                        }
                    }
                }
                let exhausted = candidates.len() < want;
                (candidates, exhausted)
            };
            for (pos, len, memory, path) in candidates {
                if found.len() == limit {
                    return (found, true);
                }
                cursor = Some(pos);
                let json = match memory {
                    Some(text) => Some(String::from(text)),
                    None => path.and_then(|p| read_at(&mut open_files, &p, pos, len)),
                };
                let Some(json) = json else {
                    continue; // its file was deleted (retention, or by hand)
                };
                match Fields::parse(&json) {
                    Some(fields) if confirm(&fields) => found.push(Found { pos, fields, json }),
                    _ => {}
                }
            }
            if exhausted {
                return (found, false);
            }
        }
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

fn retention_secs(options: &AuditOptions) -> i64 {
    i64::try_from(options.retention.as_secs()).unwrap_or(i64::MAX)
}

/// The `len` bytes of a record's text at `pos` in the journal file `path`.
fn read_at(
    open_files: &mut HashMap<u64, std::fs::File>,
    path: &std::path::Path,
    pos: u128,
    len: u32,
) -> Option<String> {
    let key = (pos >> 64) as u64;
    let file = match open_files.entry(key) {
        std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
        std::collections::hash_map::Entry::Vacant(v) => v.insert(std::fs::File::open(path).ok()?),
    };
    file.seek(SeekFrom::Start(pos as u64)).ok()?;
    let mut bytes = vec![0; len as usize];
    file.read_exact(&mut bytes).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::record::Pending;
    use super::*;

    fn pending(user: &str) -> Pending {
        crate::audit::record::test_pending(user)
    }

    fn journaled(dir: &std::path::Path, cap: usize) -> AuditOptions {
        AuditOptions {
            dir: Some(dir.to_path_buf()),
            memory_records: cap,
            ..AuditOptions::default()
        }
    }

    /// The user names of the records `trail` holds, newest first, by pages
    /// of `page` (each page below the last one's position, as tokens do).
    fn names(trail: &AuditTrail, page: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut before = None;
        loop {
            let (found, more) = trail.newest_first(before, page, |_| true, |_| true);
            for f in &found {
                out.push(f.fields.resources[0].1.clone());
            }
            match (more, found.last()) {
                (true, Some(last)) => before = Some(last.pos),
                _ => return out,
            }
        }
    }

    #[test]
    fn journaled_records_are_read_back_from_their_file_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let trail = AuditTrail::open(journaled(dir.path(), 100)).unwrap();
        for user in ["a", "b", "c"] {
            trail.record(pending(user));
        }
        assert_eq!(names(&trail, 2), ["c", "b", "a"]);
        // The index holds positions, not text.
        assert!(trail
            .index
            .read()
            .entries
            .iter()
            .all(|e| e.memory.is_none()));
        let (first_page, _) = trail.newest_first(None, 2, |_| true, |_| true);
        trail.close();

        let again = AuditTrail::open(journaled(dir.path(), 100)).unwrap();
        again.record(pending("d"));
        assert_eq!(names(&again, 50), ["d", "c", "b", "a"]);
        // A position from before the restart still pages on.
        let before = first_page.last().map(|f| f.pos);
        let (rest, _) = again.newest_first(before, 50, |_| true, |_| true);
        let rest: Vec<_> = rest
            .iter()
            .map(|f| f.fields.resources[0].1.as_str())
            .collect();
        assert_eq!(rest, ["a"]);
        again.close();
    }

    #[test]
    fn a_start_reads_only_the_newest_records_up_to_the_cap_and_skips_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        for batch in [["a", "b"], ["c", "d"], ["e", "f"]] {
            let trail = AuditTrail::open(journaled(dir.path(), 100)).unwrap();
            for user in batch {
                trail.record(pending(user));
            }
            trail.close();
            // Distinct file names (their stamps have a second's precision).
            std::thread::sleep(Duration::from_millis(1100));
        }
        let files = journal_file_names(dir.path());
        let mut newest = std::fs::OpenOptions::new()
            .append(true)
            .open(&files[2])
            .unwrap();
        std::io::Write::write_all(&mut newest, b"{\"eventVersion\":\"1.09\",\"userIden").unwrap();
        // The oldest file becomes unreadable: a start that reads it fails.
        std::fs::remove_file(&files[0]).unwrap();
        std::fs::create_dir(&files[0]).unwrap();

        let trail = AuditTrail::open(journaled(dir.path(), 3)).unwrap();
        assert_eq!(names(&trail, 50), ["f", "e", "d"]);
        trail.close();
        // Control: with room for more, the start reads the oldest file too.
        assert!(AuditTrail::open(journaled(dir.path(), 100)).is_err());
        std::fs::remove_dir(&files[0]).unwrap();
        let trail = AuditTrail::open(journaled(dir.path(), 100)).unwrap();
        assert_eq!(names(&trail, 3), ["f", "e", "d", "c"]);
        trail.close();
    }

    fn journal_file_names(dir: &std::path::Path) -> Vec<PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn a_candidate_its_text_does_not_confirm_is_skipped_and_paging_goes_on() {
        let trail = AuditTrail::open(AuditOptions::default()).unwrap();
        for user in ["a", "b", "c", "d", "e"] {
            trail.record(pending(user));
        }
        let vowels = |f: &Fields| ["a", "e"].contains(&f.resources[0].1.as_str());
        let (page, more) = trail.newest_first(None, 1, |_| true, vowels);
        assert_eq!(page[0].fields.resources[0].1, "e");
        assert!(more);
        let (page, _) = trail.newest_first(Some(page[0].pos), 1, |_| true, vowels);
        assert_eq!(page[0].fields.resources[0].1, "a");
        // Control: confirming everything pages through every record.
        assert_eq!(names(&trail, 1), ["e", "d", "c", "b", "a"]);
        trail.close();
    }

    #[test]
    fn the_index_hash_tells_apart_absent_empty_and_near_texts() {
        let keys = Keys::new();
        let texts = [
            None,
            Some(""),
            Some("\0"),
            Some("a"),
            Some("b"),
            Some("GetUser"),
            Some("GetUsers"),
            Some("12345678"),
            Some("123456789"),
            Some("AKIAIOSFODNN7EXAMPLE"),
            Some("AKIAIOSFODNN7EXAMPLF"),
        ];
        let hashes: std::collections::BTreeSet<u64> = texts.iter().map(|t| keys.of(*t)).collect();
        assert_eq!(hashes.len(), texts.len());
        // The same text, the same hash; another process's key, another hash.
        assert_eq!(keys.of(Some("GetUser")), keys.of(Some("GetUser")));
        assert_ne!(keys.of(Some("GetUser")), Keys::new().of(Some("GetUser")));
    }

    #[test]
    fn the_cap_evicts_the_oldest_and_records_after_close_stay_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let trail = AuditTrail::open(journaled(dir.path(), 2)).unwrap();
        for user in ["a", "b", "c"] {
            trail.record(pending(user));
        }
        assert_eq!(names(&trail, 50), ["c", "b"]);
        trail.close();
        trail.record(pending("d"));
        assert_eq!(names(&trail, 50), ["d", "c"]);
    }
}
