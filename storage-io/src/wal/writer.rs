//! The WAL writer: appends framed record batches to the active segment, cuts segments, fsyncs
//! per [`SyncPolicy`] and deletes segments a checkpoint has covered.
//!
//! A [`Wal`] only comes out of [`Wal::open`]/[`Wal::open_and_replay`] (in `replay.rs`), which repair
//! any damaged tail first, and it always writes into a fresh segment, so nothing is ever appended
//! after bytes that were not verified. After any failed write, fsync or segment creation the
//! writer is poisoned: what reached the disk is unknown, so every later call returns
//! [`Error::Poisoned`] and the database must be reopened (which repairs the tail).
//!
//! Concurrent committers share fsyncs (group commit): a batch is written under the state lock,
//! then its committer waits on the sync lock and skips its own fsync when another one already
//! covered its sequence number.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::segment::{
    FRAME_HEADER_LEN, append_frame, check_record, checkpoint_name, file_len, list_dir,
    segment_name, sync_dir,
};
use crate::error::{Error, Result};

/// Default maximum segment size: 128 MiB.
pub const DEFAULT_SEGMENT_SIZE: u64 = 128 << 20;
/// Smallest accepted maximum segment size in bytes (tests use tiny segments).
pub const MIN_SEGMENT_SIZE: u64 = 64;
/// The framing buffer is kept between batches unless a huge batch grew it beyond this.
const MAX_KEPT_SCRATCH: usize = 16 << 20;

/// When the writer fsyncs the active segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPolicy {
    /// Before every `log` call returns: a committed batch survives a power loss.
    Always,
    /// During a `log` call when at least this long passed since the last fsync, and whenever
    /// [`Wal::sync`] is called (by a background loop). A crash loses at most that window.
    Interval(Duration),
    /// Only on [`Wal::sync`] and [`Wal::close`] (which then also fsync the segments sealed
    /// since the last sync); the OS decides otherwise. For tests and bulk imports.
    Never,
}

/// Writer options; checked by [`WalOptions::validate`] when the WAL is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalOptions {
    /// Maximum segment size in bytes (default [`DEFAULT_SEGMENT_SIZE`], 128 MiB; at least
    /// [`MIN_SEGMENT_SIZE`]). A batch larger than this gets a segment of its own that exceeds
    /// it, since frames never span segments.
    pub segment_size: u64,
    /// Fsync policy (default [`SyncPolicy::Always`]).
    pub sync: SyncPolicy,
    /// The first bytes (record tags) a record may start with; default `None`, any. With a set,
    /// [`Wal::log`] refuses other records, and replay treats a frame whose payload starts with
    /// another byte as damage (`undecodable record: unknown record tag N`) before the callback
    /// sees it, so the WAL never holds a record its owner's decoder cannot name.
    pub record_tags: Option<&'static [u8]>,
}

impl Default for WalOptions {
    fn default() -> Self {
        Self {
            segment_size: DEFAULT_SEGMENT_SIZE,
            sync: SyncPolicy::Always,
            record_tags: None,
        }
    }
}

impl WalOptions {
    /// Refuses options that cannot work, with [`Error::InvalidOption`] naming the option.
    pub fn validate(&self) -> Result<()> {
        if self.segment_size < MIN_SEGMENT_SIZE {
            return Err(Error::InvalidOption {
                name: "wal segment_size",
                reason: format!(
                    "{} bytes is below the minimum {MIN_SEGMENT_SIZE}",
                    self.segment_size
                ),
            });
        }
        if self.sync == SyncPolicy::Interval(Duration::ZERO) {
            return Err(Error::InvalidOption {
                name: "wal sync interval",
                reason: "must be positive; use SyncPolicy::Always to sync every batch".to_owned(),
            });
        }
        if self.record_tags.is_some_and(<[u8]>::is_empty) {
            return Err(Error::InvalidOption {
                name: "wal record_tags",
                reason: "an empty set refuses every record; use None to accept any tag".to_owned(),
            });
        }
        Ok(())
    }
}

/// Where a test makes the next I/O operation of that kind fail (see `Wal::fail_next`). Exported
/// only with the `testing` feature; not part of the supported API. Without it no failure can be
/// armed, and the checks compile to nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// The next batch write.
    Write,
    /// The next fsync of the active segment.
    Sync,
    /// The next segment creation.
    Create,
}

/// The segmented write-ahead log writer. Thread-safe: every method takes `&self`.
///
/// Obtained from [`Wal::open`] or [`Wal::open_and_replay`]; see the [module docs](crate::wal)
/// for the life cycle.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    opts: WalOptions,
    /// Guards the active segment, the segment table, the write sequence and `closed`; held for
    /// the duration of one batch write or segment cut, never across a group-commit fsync.
    state: Mutex<State>,
    /// Serializes fsyncs so concurrent committers wait for one instead of issuing many.
    sync_lock: Mutex<()>,
    /// Highest batch sequence number known to be on stable storage.
    synced_seq: AtomicU64,
    /// Reference point of `last_sync_nanos`.
    epoch: Instant,
    /// Nanoseconds after `epoch` of the last completed fsync (for [`SyncPolicy::Interval`]).
    last_sync_nanos: AtomicU64,
    /// The first failure; once set, never cleared.
    poison: OnceLock<String>,
}

/// Mutable writer state behind [`Wal::state`].
#[derive(Debug)]
struct State {
    /// The segment being appended to; shared with fsyncs running outside the lock.
    active: Arc<File>,
    active_index: u64,
    active_size: u64,
    /// Older segments still on disk: index → size in bytes.
    sealed: BTreeMap<u64, u64>,
    /// Total size of checkpoint files, refreshed when segments are truncated.
    checkpoint_bytes: u64,
    /// Sequence number of the last batch written (not necessarily synced).
    written_seq: u64,
    closed: bool,
    /// Segments sealed without an fsync (only under [`SyncPolicy::Never`]); the next `sync` or
    /// `close` fsyncs them.
    unsynced_sealed: Vec<u64>,
    /// Reused framing buffer.
    scratch: Vec<u8>,
    /// The failure a test armed with [`Wal::fail_next`].
    #[cfg(any(test, feature = "testing"))]
    failpoint: Option<FailPoint>,
}

impl State {
    /// Fails once if a test armed `at`; always succeeds outside tests.
    fn failpoint(&mut self, at: FailPoint) -> std::io::Result<()> {
        #[cfg(any(test, feature = "testing"))]
        if self.failpoint == Some(at) {
            self.failpoint = None;
            return Err(std::io::Error::other(format!("injected {at:?} failure")));
        }
        let _ = at;
        Ok(())
    }

    fn write_active(&mut self, frames: &[u8]) -> std::io::Result<()> {
        self.failpoint(FailPoint::Write)?;
        (&*self.active).write_all(frames)
    }

    fn sync_active(&mut self) -> std::io::Result<()> {
        self.failpoint(FailPoint::Sync)?;
        self.active.sync_data()
    }
}

/// Creates segment `index` in `dir`, failing if it exists, and makes its directory entry durable
/// unless the policy never syncs.
fn create_segment(dir: &Path, index: u64, sync: SyncPolicy) -> Result<File> {
    let path = dir.join(segment_name(index));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Error::io("create", &path, e))?;
    if sync != SyncPolicy::Never {
        sync_dir(dir)?;
    }
    Ok(file)
}

/// Sum of the sizes of the complete checkpoints in `dir`.
fn checkpoint_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for i in list_dir(dir)?.checkpoints {
        total += file_len(&dir.join(checkpoint_name(i)))?;
    }
    Ok(total)
}

impl Wal {
    /// Starts writing into the new segment `next_index`, after replay verified (and repaired)
    /// everything before it. `sealed` lists the segments already on disk with their sizes.
    pub(super) fn start(
        dir: &Path,
        opts: WalOptions,
        sealed: BTreeMap<u64, u64>,
        next_index: u64,
    ) -> Result<Self> {
        let active = create_segment(dir, next_index, opts.sync)?;
        let state = State {
            active: Arc::new(active),
            active_index: next_index,
            active_size: 0,
            sealed,
            checkpoint_bytes: checkpoint_bytes(dir)?,
            written_seq: 0,
            closed: false,
            unsynced_sealed: Vec::new(),
            scratch: Vec::new(),
            #[cfg(any(test, feature = "testing"))]
            failpoint: None,
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            opts,
            state: Mutex::new(state),
            sync_lock: Mutex::new(()),
            synced_seq: AtomicU64::new(0),
            epoch: Instant::now(),
            last_sync_nanos: AtomicU64::new(0),
            poison: OnceLock::new(),
        })
    }

    /// The WAL directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The options the WAL was opened with.
    pub fn options(&self) -> &WalOptions {
        &self.opts
    }

    /// Appends `records` (each one encoded record, e.g. the series then the samples of one
    /// commit) as one write into one segment, then fsyncs per policy. Returns once the batch is
    /// written (and, under [`SyncPolicy::Always`], durable). Records are replayed in this order.
    ///
    /// A record that is empty, longer than 4 GiB − 1 or (with [`WalOptions::record_tags`]) has an
    /// unknown tag is refused with [`Error::InvalidOption`] before anything is written; that
    /// does not poison the writer. A failed write or fsync does: it and every later call return
    /// an error, [`Error::Poisoned`] from the next call on.
    pub fn log(&self, records: &[&[u8]]) -> Result<()> {
        let seq = self.write_batch(records)?;
        let due = match self.opts.sync {
            SyncPolicy::Always => true,
            SyncPolicy::Never => false,
            SyncPolicy::Interval(d) => self.since_last_sync() >= d,
        };
        if due { self.sync_up_to(seq) } else { Ok(()) }
    }

    fn write_batch(&self, records: &[&[u8]]) -> Result<u64> {
        let mut st = self.state.lock();
        self.check_usable(&st)?;
        for r in records {
            check_record(r, self.opts.record_tags)?;
        }
        let mut frames = std::mem::take(&mut st.scratch);
        frames.clear();
        frames.reserve(records.iter().map(|r| r.len() + FRAME_HEADER_LEN).sum());
        for r in records {
            append_frame(&mut frames, r);
        }
        let written = self.write_frames(&mut st, &frames);
        if frames.capacity() <= MAX_KEPT_SCRATCH {
            st.scratch = frames;
        }
        written
    }

    fn write_frames(&self, st: &mut State, frames: &[u8]) -> Result<u64> {
        let len = frames.len() as u64;
        if st.active_size > 0 && st.active_size.saturating_add(len) > self.opts.segment_size {
            self.cut(st)?;
        }
        if let Err(e) = st.write_active(frames) {
            return Err(self.poison(Error::io("write", self.segment_path(st.active_index), e)));
        }
        st.active_size += len;
        st.written_seq += 1;
        Ok(st.written_seq)
    }

    /// Seals the active segment (fsyncing it unless the policy never syncs) and starts the next.
    fn cut(&self, st: &mut State) -> Result<()> {
        if self.opts.sync == SyncPolicy::Never {
            st.unsynced_sealed.push(st.active_index);
        } else {
            self.fsync_active(st)?;
        }
        let next = st.active_index + 1;
        let created = match st.failpoint(FailPoint::Create) {
            Ok(()) => create_segment(&self.dir, next, self.opts.sync),
            Err(e) => Err(Error::io("create", self.segment_path(next), e)),
        };
        let file = created.map_err(|e| self.poison(e))?;
        st.sealed.insert(st.active_index, st.active_size);
        st.active = Arc::new(file);
        st.active_index = next;
        st.active_size = 0;
        Ok(())
    }

    /// Fsyncs the active segment while holding the state lock, so every batch written so far is
    /// durable afterwards.
    fn fsync_active(&self, st: &mut State) -> Result<()> {
        if let Err(e) = st.sync_active() {
            return Err(self.poison(Error::io("fsync", self.segment_path(st.active_index), e)));
        }
        self.mark_synced(st.written_seq);
        Ok(())
    }

    /// Makes every batch up to `seq` durable, sharing the fsync with concurrent committers.
    fn sync_up_to(&self, seq: u64) -> Result<()> {
        let _one_fsync_at_a_time = self.sync_lock.lock();
        if self.synced_seq.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        let (target, file, index, sealed) = {
            let mut st = self.state.lock();
            self.check_usable(&st)?;
            if let Err(e) = st.failpoint(FailPoint::Sync) {
                return Err(self.poison(Error::io("fsync", self.segment_path(st.active_index), e)));
            }
            // Batches up to `target` are in `file`, in sealed segments fsynced when they were
            // cut, or in `sealed` (policy `Never`).
            let sealed = std::mem::take(&mut st.unsynced_sealed);
            (
                st.written_seq,
                Arc::clone(&st.active),
                st.active_index,
                sealed,
            )
        };
        self.sync_sealed(&sealed)?;
        if let Err(e) = file.sync_data() {
            return Err(self.poison(Error::io("fsync", self.segment_path(index), e)));
        }
        self.mark_synced(target);
        Ok(())
    }

    /// Fsyncs sealed segments (and the directory holding them) that were cut without an fsync.
    /// A segment deleted meanwhile by `truncate_before` needs nothing.
    fn sync_sealed(&self, sealed: &[u64]) -> Result<()> {
        for &i in sealed {
            let path = self.segment_path(i);
            match File::open(&path).and_then(|f| f.sync_data()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(self.poison(Error::io("fsync", path, e))),
            }
        }
        if !sealed.is_empty() {
            sync_dir(&self.dir).map_err(|e| self.poison(e))?;
        }
        Ok(())
    }

    fn mark_synced(&self, seq: u64) {
        self.synced_seq.fetch_max(seq, Ordering::AcqRel);
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_sync_nanos.fetch_max(now, Ordering::AcqRel);
    }

    fn since_last_sync(&self) -> Duration {
        let last = Duration::from_nanos(self.last_sync_nanos.load(Ordering::Acquire));
        self.epoch.elapsed().saturating_sub(last)
    }

    /// Fsyncs everything written so far (a no-op when nothing is pending). For the background
    /// loop of [`SyncPolicy::Interval`].
    pub fn sync(&self) -> Result<()> {
        let seq = {
            let st = self.state.lock();
            self.check_usable(&st)?;
            st.written_seq
        };
        self.sync_up_to(seq)
    }

    /// Seals the active segment and starts a new one; returns the new active segment's index.
    /// Call before checkpointing, so that every segment below the returned index is complete.
    pub fn next_segment(&self) -> Result<u64> {
        let mut st = self.state.lock();
        self.check_usable(&st)?;
        self.cut(&mut st)?;
        Ok(st.active_index)
    }

    /// Deletes segments with index `< segment` (never the active one), oldest first, so that a
    /// crash midway leaves a contiguous range. Precondition (enforced by the caller, which owns
    /// the checkpoint's content): a checkpoint covering `segment - 1` was written successfully
    /// with [`write_checkpoint`](crate::wal::write_checkpoint). Works on a poisoned writer, so
    /// that space can still be reclaimed; refused once closed.
    pub fn truncate_before(&self, segment: u64) -> Result<()> {
        let mut st = self.state.lock();
        if st.closed {
            return Err(Error::Closed);
        }
        let victims: Vec<u64> = st.sealed.range(..segment).map(|(&i, _)| i).collect();
        for i in &victims {
            let path = self.segment_path(*i);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("remove", path, e)),
            }
            st.sealed.remove(i);
        }
        if !victims.is_empty() {
            sync_dir(&self.dir)?;
        }
        st.checkpoint_bytes = checkpoint_bytes(&self.dir)?;
        Ok(())
    }

    /// Indexes of the first and the last segment on disk; the last is the active one.
    pub fn segment_range(&self) -> (u64, u64) {
        let st = self.state.lock();
        let first = st.sealed.keys().next().copied().unwrap_or(st.active_index);
        (first, st.active_index)
    }

    /// Bytes of all segments and checkpoints (checkpoint sizes as of the last truncation).
    pub fn size_bytes(&self) -> u64 {
        let st = self.state.lock();
        st.sealed.values().sum::<u64>() + st.active_size + st.checkpoint_bytes
    }

    /// Fsyncs the active segment and refuses further writes with [`Error::Closed`]. Closing
    /// twice is a no-op; closing a poisoned writer returns the poison.
    pub fn close(&self) -> Result<()> {
        let mut st = self.state.lock();
        if st.closed {
            return Ok(());
        }
        self.check_usable(&st)?;
        let sealed = std::mem::take(&mut st.unsynced_sealed);
        self.sync_sealed(&sealed)?;
        self.fsync_active(&mut st)?;
        st.closed = true;
        Ok(())
    }

    fn check_usable(&self, st: &State) -> Result<()> {
        if let Some(reason) = self.poison.get() {
            return Err(Error::Poisoned(reason.clone()));
        }
        if st.closed {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// Records `err` as the poison (unless an earlier failure already did) and returns it.
    fn poison(&self, err: Error) -> Error {
        if self.poison.set(err.to_string()).is_ok() {
            tracing::error!(dir = %self.dir.display(), error = %err, "WAL writer poisoned");
        }
        err
    }

    fn segment_path(&self, index: u64) -> PathBuf {
        self.dir.join(segment_name(index))
    }

    /// Arms a failure of the next operation of kind `at`. Only with the `testing` feature; not
    /// part of the supported API.
    #[cfg(any(test, feature = "testing"))]
    pub fn fail_next(&self, at: FailPoint) {
        self.state.lock().failpoint = Some(at);
    }
}
