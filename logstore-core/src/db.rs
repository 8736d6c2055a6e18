//! The log store: the public facade that ties limits, the WAL, stream heads, segment files and
//! reads together.
//!
//! Write path: [`LogStore::push`] validates streams and entries against the tenant's limits,
//! logs the accepted entries to the WAL (one record per push), then appends them to their
//! streams' head chunks. [`LogStore::flush`] cuts the chunks that are due (or all), writes them
//! into one segment file per tenant and day, and then rewrites the WAL down to a checkpoint of
//! what is still only in memory. Opening replays the checkpoint and the WAL after it.
//!
//! Compaction, retention and delete requests live in `compact`.
//!
//! Directory layout: `wal/` (storage-io's segmented WAL), `segments/<tenant>/<day>-<seq>.seg`
//! (`<day>-<seq>_<from>.seg` from a compaction) and `deletes/<tenant>.del`.
//!
//! Lock order: `maintenance`, `deletes_writer`, `flushing`, `flush_gate` (pushes share it, a
//! flush's checkpoint takes it alone), the tenant map, a tenant's stream map, one stream;
//! segments and delete lists are independent.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use memmap2::Mmap;
use model::Labels;
use model::logs::LogEntry;
use parking_lot::{Mutex, RwLock};
use storage_io::wal::{RecordOutcome, SyncPolicy, Wal, WalOptions};

use crate::chunk::ChunkOptions;
use crate::compact::{DeleteRecord, STAGING_SUFFIX, SegmentName, drop_replaced, load_deletes};
use crate::error::{Error, Result};
use crate::head::{FinishedChunk, Stream, TenantHead};
use crate::limits::{EntryAdmission, Limits, Rejection, TenantLimits, TokenBucket};
use crate::segment::{ChunkInput, Partition, SegmentReader, StreamInput, write_segment};
use crate::stream::{parse_stream, validate_stream};
use crate::wal::record::{self, Record};

/// One day in nanoseconds: segments are partitioned by UTC day.
const DAY_NS: i64 = 86_400 * 1_000_000_000;

/// When the WAL is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalSync {
    /// Before every push returns: an acknowledged push survives a power loss.
    EveryPush,
    /// At most this long after a push (the default, 1 s); a process crash loses nothing, a power
    /// loss at most this window.
    Interval(Duration),
    /// Only on flush and close.
    Never,
}

/// Settings of a [`LogStore`].
#[derive(Debug, Clone)]
pub struct Options {
    /// How head chunks are built and cut.
    pub chunk: ChunkOptions,
    /// Per-tenant limits.
    pub limits: TenantLimits,
    /// WAL fsync policy. Default `Interval(1 s)`.
    pub wal_sync: WalSync,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            chunk: ChunkOptions::default(),
            limits: TenantLimits::default(),
            wal_sync: WalSync::Interval(Duration::from_secs(1)),
        }
    }
}

/// The labels of a pushed stream, as the push APIs carry them.
#[derive(Debug, Clone)]
pub enum StreamLabels {
    /// Name/value pairs (the JSON push API's `stream` object), in the order given.
    Pairs(Vec<(String, String)>),
    /// A selector string such as `{app="api", env="prod"}` (protobuf and legacy JSON pushes).
    Selector(String),
}

/// One stream of a push.
#[derive(Debug, Clone)]
pub struct PushStream {
    /// Its labels.
    pub labels: StreamLabels,
    /// Its entries, in any order.
    pub entries: Vec<LogEntry>,
}

/// What a push stored and what it refused.
#[derive(Debug, Default)]
pub struct PushOutcome {
    /// Entries stored (duplicates of stored entries count as stored: Loki acknowledges them).
    pub accepted_entries: u64,
    /// Bytes (lines and structured metadata) of the stored entries.
    pub accepted_bytes: u64,
    /// Entries refused, each with why; the other entries of the push were stored.
    pub rejected: Vec<Rejection>,
    /// Entries whose lines were truncated to `max_line_size`.
    pub truncated: u64,
}

/// An open segment file.
pub(crate) struct Segment {
    pub reader: SegmentReader<Mmap>,
    /// What its file name says; `None` for a name this store did not give (never compacted).
    pub name: Option<SegmentName>,
}

/// One tenant's data.
pub(crate) struct Tenant {
    pub head: TenantHead,
    /// The tenant's ingestion rate limiter.
    limiter: Mutex<Option<TokenBucket>>,
    /// Per-stream rate limiters.
    stream_limiters: Mutex<HashMap<Labels, TokenBucket>>,
    pub segments: RwLock<Vec<Arc<Segment>>>,
    /// The tenant's delete requests, pending and done, in id order; each change is on disk
    /// (`deletes/<tenant>.del`) before it is made here.
    pub deletes: RwLock<Vec<DeleteRecord>>,
}

impl Tenant {
    pub(crate) fn new() -> Self {
        Self {
            head: TenantHead::default(),
            limiter: Mutex::new(None),
            stream_limiters: Mutex::default(),
            segments: RwLock::default(),
            deletes: RwLock::default(),
        }
    }
}

/// An embeddable, label-indexed log store.
///
/// ```
/// use logstore_core::{LogStore, Options, PushStream, StreamLabels};
/// use model::logs::LogEntry;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let store = LogStore::open(dir.path(), Options::default())?;
/// let now = logstore_core::now_ns();
/// let pushed = store.push("fake", vec![PushStream {
///     labels: StreamLabels::Selector(r#"{app="api"}"#.into()),
///     entries: vec![LogEntry::new(now, "GET /health 200")],
/// }])?;
/// assert_eq!(pushed.accepted_entries, 1);
/// store.close()?;
/// # Ok(())
/// # }
/// ```
pub struct LogStore {
    pub(crate) dir: PathBuf,
    pub(crate) opts: Options,
    wal: Wal,
    pub(crate) tenants: RwLock<HashMap<String, Arc<Tenant>>>,
    /// Pushes hold it shared from their WAL write to their head update, so a checkpoint (which
    /// takes it exclusively) sees every logged push applied.
    flush_gate: RwLock<()>,
    /// Serializes flushes (and the head changes of retention); held while compaction numbers
    /// its outputs, so no flushed segment is numbered but not yet listed then.
    pub(crate) flushing: Mutex<()>,
    /// Serializes compaction and retention, so neither removes a segment the other reads.
    pub(crate) maintenance: Mutex<()>,
    /// Serializes rewrites of the delete request files.
    pub(crate) deletes_writer: Mutex<()>,
    /// The number the next segment file gets.
    pub(crate) next_segment_seq: AtomicU64,
}

/// Nanoseconds since the Unix epoch now (0 if the clock is before 1970).
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

impl LogStore {
    /// Opens (or creates) the store in `dir`: loads its segments and replays its WAL.
    pub fn open(dir: &Path, opts: Options) -> Result<Self> {
        opts.chunk.validate()?;
        opts.limits.validate()?;
        let segments_dir = dir.join("segments");
        std::fs::create_dir_all(&segments_dir)
            .map_err(|e| Error::io("create", &segments_dir, e))?;
        let wal_opts = WalOptions {
            sync: match opts.wal_sync {
                WalSync::EveryPush => SyncPolicy::Always,
                WalSync::Interval(d) => SyncPolicy::Interval(d),
                WalSync::Never => SyncPolicy::Never,
            },
            record_tags: Some(&[record::TAG_PUSH, record::TAG_HEAD]),
            ..WalOptions::default()
        };
        let (mut tenants, max_seq) = load_segments(&segments_dir)?;
        load_deletes(&dir.join("deletes"), &mut tenants)?;
        let tenants = RwLock::new(tenants);
        let (wal, report) = Wal::open_and_replay(&dir.join("wal"), wal_opts, |rec: &[u8]| {
            replay_record(&tenants, &opts.chunk, rec)
        })?;
        if let Some(c) = &report.corruption {
            tracing::warn!(
                ?c,
                "log WAL: cut a damaged tail back to the last whole record"
            );
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            opts,
            wal,
            tenants,
            flush_gate: RwLock::new(()),
            flushing: Mutex::new(()),
            maintenance: Mutex::new(()),
            deletes_writer: Mutex::new(()),
            next_segment_seq: AtomicU64::new(max_seq + 1),
        })
    }

    /// The tenant, created when missing.
    pub(crate) fn tenant(&self, name: &str) -> Arc<Tenant> {
        tenant_of(&self.tenants, name)
    }

    /// The tenant, if it has any data.
    pub(crate) fn existing_tenant(&self, name: &str) -> Option<Arc<Tenant>> {
        self.tenants.read().get(name).cloned()
    }

    /// Stores the valid entries of `streams` for `tenant`, at the current time.
    pub fn push(&self, tenant: &str, streams: Vec<PushStream>) -> Result<PushOutcome> {
        self.push_at(tenant, streams, now_ns())
    }

    /// Like [`push`](Self::push), with "now" given (ns since the epoch): rate limits and the
    /// age limits are judged at that time.
    pub fn push_at(&self, tenant: &str, streams: Vec<PushStream>, now: i64) -> Result<PushOutcome> {
        let limits = self.opts.limits.for_tenant(tenant).clone();
        let mut out = PushOutcome::default();
        let mut valid: Vec<(Labels, Vec<LogEntry>)> = Vec::with_capacity(streams.len());
        for s in streams {
            let labels = match s.labels {
                StreamLabels::Pairs(pairs) => validate_stream(pairs, &limits),
                StreamLabels::Selector(text) => parse_stream(&text, &limits),
            };
            match labels {
                Ok(l) => valid.push((l, s.entries)),
                Err(r) => out.rejected.push(r),
            }
        }
        let t = self.tenant(tenant);
        let lines: usize = valid.iter().map(|(_, e)| e.len()).sum();
        let bytes: u64 = valid
            .iter()
            .flat_map(|(_, e)| e.iter())
            .map(|e| e.size() as u64)
            .sum();
        if lines > 0 {
            let mut limiter = t.limiter.lock();
            let bucket = limiter.get_or_insert_with(|| limits.tenant_rate_limiter());
            bucket.set_limit(
                now,
                limits.ingestion_rate_bytes(),
                limits.ingestion_burst_bytes(),
            );
            if let Err(r) = bucket.admit_push(now, tenant, lines, bytes) {
                out.rejected.push(r);
                return Ok(out);
            }
        }
        let accepted = self.admit_entries(tenant, &t, &limits, valid, now, &mut out);
        if accepted.is_empty() {
            return Ok(out);
        }
        let mut buf = Vec::new();
        record::begin_push(&mut buf, tenant, accepted.len());
        for (stream, entries) in &accepted {
            record::put_push_stream(&mut buf, &stream.labels, record::entry_fields(entries));
        }
        let _gate = self.flush_gate.read();
        self.wal.log(&[&buf])?;
        let now_instant = Instant::now();
        for (stream, entries) in &accepted {
            let mut st = stream.state.lock();
            for e in entries {
                let md = metadata_refs(&e.metadata);
                st.append(&self.opts.chunk, e.ts, &e.line, &md, now_instant)?;
                out.accepted_entries += 1;
                out.accepted_bytes += e.size() as u64;
            }
        }
        Ok(out)
    }

    /// Applies the per-entry limits; returns the entries to store, by stream.
    fn admit_entries(
        &self,
        tenant: &str,
        t: &Tenant,
        limits: &Limits,
        valid: Vec<(Labels, Vec<LogEntry>)>,
        now: i64,
        out: &mut PushOutcome,
    ) -> Vec<(Arc<Stream>, Vec<LogEntry>)> {
        let max_streams = limits.max_streams_per_user.map_or(0, |n| n.get());
        // Loki's unordered writes accept entries up to half the max chunk age behind the
        // stream's newest entry.
        let window = i64::try_from(self.opts.chunk.max_age.as_nanos() / 2).unwrap_or(i64::MAX);
        let mut accepted: Vec<(Arc<Stream>, Vec<LogEntry>)> = Vec::with_capacity(valid.len());
        for (labels, entries) in valid {
            // Entry checks that need no stream first, so a stream whose entries are all refused
            // is not created (and does not count against the stream limit).
            let mut checked = Vec::with_capacity(entries.len());
            for mut e in entries {
                match limits.validate_entry(now, &labels, &mut e) {
                    Ok(EntryAdmission::Truncated { .. }) => {
                        out.truncated += 1;
                        checked.push(e);
                    }
                    Ok(EntryAdmission::Unchanged) => checked.push(e),
                    Err(r) => out.rejected.push(r),
                }
            }
            if checked.is_empty() {
                continue;
            }
            let stream = match t.head.get_or_create(&labels, max_streams) {
                Ok(s) => s,
                Err(active) => {
                    if let Err(r) = limits.admit_new_stream(tenant, &labels, active) {
                        out.rejected.push(r);
                    }
                    continue;
                }
            };
            // The same stream may come more than once in a push: its entries accepted earlier
            // in this push count for the ordering window too.
            let earlier = accepted.iter_mut().find(|(s, _)| Arc::ptr_eq(s, &stream));
            let mut newest = stream.state.lock().newest;
            if let Some((_, prev)) = &earlier {
                newest = prev.iter().map(|e| e.ts).chain(newest).max();
            }
            let mut limiter = t.stream_limiters.lock();
            let bucket = limiter
                .entry(labels.clone())
                .or_insert_with(|| limits.stream_rate_limiter());
            let mut keep = Vec::with_capacity(checked.len());
            for e in checked {
                if let Some(r) = ordering_refusal(&labels, limits, newest, window, e.ts) {
                    out.rejected.push(r);
                    continue;
                }
                if let Err(r) = bucket.admit_stream_entry(now, &labels, e.size() as u64) {
                    out.rejected.push(r);
                    continue;
                }
                newest = Some(newest.map_or(e.ts, |n| n.max(e.ts)));
                keep.push(e);
            }
            drop(limiter);
            match earlier {
                Some((_, prev)) => prev.extend(keep),
                None if !keep.is_empty() => accepted.push((stream, keep)),
                None => {}
            }
        }
        accepted
    }

    /// Cuts the chunks that are due (every non-empty chunk when `all`), writes them into
    /// segment files, and shrinks the WAL to a checkpoint of what is still only in memory.
    pub fn flush(&self, all: bool) -> Result<()> {
        let _one = self.flushing.lock();
        let now = Instant::now();
        let tenants: Vec<(String, Arc<Tenant>)> = self
            .tenants
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (name, t) in &tenants {
            let mut by_stream: Vec<(Arc<Stream>, Vec<FinishedChunk>)> = Vec::new();
            for s in t.head.streams() {
                let mut st = s.state.lock();
                st.cut_if_due(&self.opts.chunk, now, all)?;
                if !st.finished.is_empty() {
                    by_stream.push((s.clone(), st.finished.clone()));
                }
            }
            self.write_segments(name, t, &by_stream)?;
            // Flushed chunks leave the head only after their segment is readable.
            for (s, flushed) in &by_stream {
                let mut st = s.state.lock();
                st.finished
                    .retain(|c| !flushed.iter().any(|f| Arc::ptr_eq(&f.bytes, &c.bytes)));
            }
            t.head.remove_empty();
        }
        self.checkpoint()
    }

    /// Writes one segment per UTC day of chunk start for `tenant` and opens them.
    fn write_segments(
        &self,
        tenant: &str,
        t: &Tenant,
        chunks: &[(Arc<Stream>, Vec<FinishedChunk>)],
    ) -> Result<()> {
        let mut by_day: HashMap<i64, Vec<StreamInput<'_>>> = HashMap::new();
        for (s, list) in chunks {
            for c in list {
                let day = c.mint.div_euclid(DAY_NS) * DAY_NS;
                let inputs = by_day.entry(day).or_default();
                let input = ChunkInput {
                    bytes: &c.bytes,
                    mint: c.mint,
                    maxt: c.maxt,
                    entries: c.entries,
                    uncompressed_bytes: c.uncompressed,
                    entry_bytes: c.entry_bytes,
                };
                match inputs.iter_mut().find(|i| i.labels == s.labels) {
                    Some(i) => i.chunks.push(input),
                    None => inputs.push(StreamInput {
                        labels: s.labels.clone(),
                        chunks: vec![input],
                    }),
                }
            }
        }
        let dir = self.dir.join("segments").join(tenant_dir_name(tenant));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        for (day, streams) in by_day {
            let seq = self.next_segment_seq.fetch_add(1, Ordering::Relaxed);
            let name = SegmentName {
                seq,
                replaces_from: None,
            }
            .file_name(day);
            let partition = Partition {
                mint: day,
                maxt: day + DAY_NS - 1,
            };
            let file = write_segment(&dir, &name, tenant, partition, &streams)?;
            let segment = open_segment(&file.path)?;
            t.segments.write().push(Arc::new(segment));
        }
        Ok(())
    }

    /// Rewrites the WAL down to the streams' in-memory state. The caller holds `flushing`.
    pub(crate) fn checkpoint(&self) -> Result<()> {
        let (up_to, heads) = {
            let _all = self.flush_gate.write();
            let next = self.wal.next_segment()?;
            (next.saturating_sub(1), self.encode_heads()?)
        };
        let mut heads = Some(heads);
        storage_io::wal::write_checkpoint(
            self.wal.dir(),
            up_to,
            self.wal.options().record_tags,
            |_old: &[u8], out| {
                // Every old record is replaced by the heads' state, which reflects them all
                // (pushes were held off while it was taken). If there is no old record, the
                // state holds nothing logged before `up_to` either.
                if let Some(h) = heads.take() {
                    for rec in &h {
                        out.append(rec)?;
                    }
                }
                Ok::<_, Error>(RecordOutcome::Used)
            },
        )?;
        self.wal.truncate_before(up_to + 1)?;
        Ok(())
    }

    /// One head record per stream holding unflushed data.
    fn encode_heads(&self) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for (name, t) in self.tenants.read().iter() {
            for s in t.head.streams() {
                let st = s.state.lock();
                if st.is_empty() {
                    continue;
                }
                let mut chunks: Vec<(Arc<[u8]>, u64)> = st
                    .finished
                    .iter()
                    .map(|c| (c.bytes.clone(), c.entry_bytes))
                    .collect();
                let mut open_entries = Vec::new();
                if let Some(h) = &st.open {
                    if let Some(b) = h.open_block()? {
                        for e in b.entries() {
                            open_entries.push(e.to_log_entry());
                        }
                    }
                    if !h.sealed_blocks().is_empty() {
                        // The open chunk's sealed part carries its bytes minus the open block's,
                        // which the open entries carry themselves.
                        let open_block: u64 = open_entries.iter().map(|e| e.size() as u64).sum();
                        let sealed_bytes = st.open_bytes.saturating_sub(open_block);
                        chunks.push((
                            crate::chunk::encode_chunk(h.sealed_blocks()).into(),
                            sealed_bytes,
                        ));
                    }
                }
                let refs: Vec<(&[u8], u64)> = chunks.iter().map(|(c, n)| (&**c, *n)).collect();
                let mut buf = Vec::new();
                record::encode_head(
                    &mut buf,
                    name,
                    &s.labels,
                    &refs,
                    record::entry_fields(&open_entries),
                );
                out.push(buf);
            }
        }
        Ok(out)
    }

    /// Makes every push so far durable.
    pub fn sync(&self) -> Result<()> {
        Ok(self.wal.sync()?)
    }

    /// Syncs and closes the WAL; data still in memory is replayed at the next open.
    pub fn close(self) -> Result<()> {
        Ok(self.wal.close()?)
    }
}

type Tenants = RwLock<HashMap<String, Arc<Tenant>>>;

fn tenant_of(tenants: &Tenants, name: &str) -> Arc<Tenant> {
    if let Some(t) = tenants.read().get(name) {
        return t.clone();
    }
    tenants
        .write()
        .entry(name.to_owned())
        .or_insert_with(|| Arc::new(Tenant::new()))
        .clone()
}

/// Applies one WAL record to the heads (no limits: they were applied when it was logged).
fn replay_record(tenants: &Tenants, chunk: &ChunkOptions, rec: &[u8]) -> Result<RecordOutcome> {
    let now = Instant::now();
    match record::decode(rec)? {
        Record::Push { tenant, streams } => {
            let t = tenant_of(tenants, &tenant);
            for s in streams {
                let stream = stream_for_replay(&t, &s.labels);
                let mut st = stream.state.lock();
                for e in &s.entries {
                    let md = metadata_refs(&e.metadata);
                    st.append(chunk, e.ts, &e.line, &md, now)?;
                }
            }
        }
        Record::Head {
            tenant,
            labels,
            chunks,
            open,
        } => {
            let t = tenant_of(tenants, &tenant);
            let stream = stream_for_replay(&t, &labels);
            let mut st = stream.state.lock();
            for (bytes, entry_bytes) in chunks {
                let input = ChunkInput::from_chunk(&bytes)?;
                st.newest = Some(st.newest.map_or(input.maxt, |n| n.max(input.maxt)));
                st.finished.push(FinishedChunk {
                    mint: input.mint,
                    maxt: input.maxt,
                    entries: input.entries,
                    uncompressed: input.uncompressed_bytes,
                    entry_bytes,
                    bytes: bytes.into(),
                });
            }
            for e in &open {
                let md = metadata_refs(&e.metadata);
                st.append(chunk, e.ts, &e.line, &md, now)?;
            }
        }
    }
    Ok(RecordOutcome::Used)
}

/// Why an entry at `ts` falls outside its stream's ordering window, if it does.
fn ordering_refusal(
    labels: &Labels,
    limits: &Limits,
    newest: Option<i64>,
    window: i64,
    ts: i64,
) -> Option<Rejection> {
    let n = newest?;
    if !limits.unordered_writes && ts < n {
        return Some(Rejection::OutOfOrder {
            stream: labels.clone(),
            ts,
            newest: n,
        });
    }
    let oldest = n.saturating_sub(window);
    (ts < oldest).then(|| Rejection::TooFarBehind {
        stream: labels.clone(),
        ts,
        oldest_acceptable: oldest,
    })
}

fn metadata_refs(md: &[(String, String)]) -> Vec<(&str, &str)> {
    md.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

/// The stream for replayed data, created without limits (they were applied at push time).
fn stream_for_replay(t: &Tenant, labels: &Labels) -> Arc<Stream> {
    match t.head.get_or_create(labels, 0) {
        Ok(s) => s,
        // Unreachable with no stream limit; keep going with a detached stream rather than panic.
        Err(_) => Arc::new(Stream {
            labels: labels.clone(),
            state: Mutex::default(),
        }),
    }
}

/// A file-system-safe directory name for a tenant: ASCII letters, digits, `-` and `_` kept,
/// every other byte as `%XX`.
pub(crate) fn tenant_dir_name(tenant: &str) -> String {
    let mut out = String::with_capacity(tenant.len());
    for b in tenant.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push('%');
    }
    out
}

/// Maps and opens the segment file at `path`.
pub(crate) fn open_segment(path: &Path) -> Result<Segment> {
    let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let map = storage_io::mmap::map_file(&file, path)?;
    let reader = SegmentReader::open(map, path)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(SegmentName::parse);
    Ok(Segment { reader, name })
}

/// Opens every segment under `segments_dir`; returns the tenants and the highest sequence
/// number used. Leftover temporary files of an interrupted flush or compaction are removed, and
/// so are segments a compacted segment stands for (its inputs, when it crashed before deleting
/// them all).
fn load_segments(segments_dir: &Path) -> Result<(HashMap<String, Arc<Tenant>>, u64)> {
    let mut tenants: HashMap<String, Arc<Tenant>> = HashMap::new();
    let mut max_seq = 0;
    let dirs = std::fs::read_dir(segments_dir).map_err(|e| Error::io("read", segments_dir, e))?;
    for d in dirs {
        let d = d.map_err(|e| Error::io("read", segments_dir, e))?.path();
        if !d.is_dir() {
            continue;
        }
        let files = std::fs::read_dir(&d).map_err(|e| Error::io("read", &d, e))?;
        for f in files {
            let path = f.map_err(|e| Error::io("read", &d, e))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.ends_with(".tmp") || name.ends_with(STAGING_SUFFIX) {
                std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
                continue;
            }
            if !name.ends_with(".seg") {
                continue;
            }
            let segment = open_segment(&path)?;
            if let Some(n) = segment.name {
                max_seq = max_seq.max(n.seq);
            }
            let tenant = segment.reader.tenant().to_owned();
            tenants
                .entry(tenant)
                .or_insert_with(|| Arc::new(Tenant::new()))
                .segments
                .write()
                .push(Arc::new(segment));
        }
    }
    for t in tenants.values() {
        drop_replaced(&mut t.segments.write())?;
    }
    Ok((tenants, max_seq))
}
