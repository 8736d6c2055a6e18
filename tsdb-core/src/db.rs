//! The database: opens the blocks, rebuilds the head from the head chunk files and the WAL, hands
//! out appenders and queriers, and runs head compaction, block compaction, retention and
//! deletion.
//!
//! Directory layout (Prometheus's): `<dir>/<ULID>/` blocks, `<dir>/wal/` (our WAL format),
//! `<dir>/chunks_head/` (head chunk files).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use model::{Labels, Matcher};
use parking_lot::{Mutex, RwLock};

use crate::block::meta::BlockMeta;
use crate::block::reader::Block;
use crate::block::tombstones::Interval;
use crate::block::writer::remove_tmp_dirs;
use crate::compact;
use crate::error::{Error, Result};
use crate::head::series::{range_end, range_start};
use crate::head::{Head, HeadAppender, HeadOptions, SeriesRef, replay_into};
use crate::options::{Options, WalSync};
use crate::postings::postings_for_matchers;
use crate::querier::Querier;
use crate::wal::{self, Record, RefTombstone, SyncPolicy, Wal, WalOptions, WalPosition, WalTail};

/// An open time-series database.
///
/// Thread-safe: share it (e.g. in an `Arc`) and give each thread its own [`Appender`]. With
/// [`Options::compact_on_commit`], a background thread writes due head ranges as blocks, merges
/// blocks and applies retention, woken by commits; appends never wait for it.
pub struct Db {
    shared: Arc<Shared>,
    /// The background compaction thread, when `compact_on_commit` is on.
    compactor: Option<Compactor>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("dir", &self.dir())
            .field("head_series", &self.head_series())
            .finish_non_exhaustive()
    }
}

/// The background compaction thread and the channel that wakes it.
struct Compactor {
    /// A full channel means a wake-up is already pending; dropping it stops the thread.
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Compactor {
    fn start(shared: Arc<Shared>) -> Result<Self> {
        let (tx, rx) = sync_channel::<()>(1);
        let dir = shared.dir.clone();
        let thread = std::thread::Builder::new()
            .name("tsdb-compactor".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    if let Err(e) = shared.compact() {
                        tracing::error!(error = %e, "compaction failed; it is retried after the next commit");
                    }
                }
            })
            .map_err(|e| Error::io("spawn compactor thread for", dir, e))?;
        Ok(Self {
            wake: Some(tx),
            thread: Some(thread),
        })
    }

    fn wake(&self) {
        if let Some(tx) = &self.wake {
            // Full: a wake-up is pending already, which covers this commit too.
            let _ = tx.try_send(());
        }
    }

    /// Stops the thread after the compaction in progress, if any.
    fn stop(&mut self) {
        self.wake = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Compactor {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Everything the database and its compaction thread share.
struct Shared {
    dir: PathBuf,
    opts: Options,
    head: Arc<Head>,
    wal: Wal,
    /// Blocks sorted by min time. Replaced as a whole (copy on write) by compaction and retention.
    blocks: RwLock<Vec<Arc<Block>>>,
    /// Serialises compaction, retention and deletion: each rewrites the block list.
    maintenance: Mutex<()>,
}

/// What [`Db::open`] found and repaired.
#[derive(Debug, Default, Clone)]
pub struct OpenReport {
    /// Blocks loaded.
    pub blocks: usize,
    /// Samples replayed from the WAL into the head.
    pub wal_samples_replayed: u64,
    /// Samples in the WAL whose series was never defined (dropped).
    pub wal_unknown_refs: u64,
    /// Human-readable notes on repairs (a torn WAL tail cut back, leftovers removed).
    pub repairs: Vec<String>,
}

impl Db {
    /// Opens the database in `dir`, creating it if needed. Blocks are validated as they load (a
    /// damaged block is an error naming its path); a torn or corrupt WAL tail is cut back to the
    /// last whole record, with a warning.
    pub fn open(dir: impl AsRef<Path>, opts: Options) -> Result<Self> {
        Self::open_with_report(dir, opts).map(|(db, _)| db)
    }

    /// Like [`open`](Self::open), also returning what was replayed and repaired.
    pub fn open_with_report(dir: impl AsRef<Path>, opts: Options) -> Result<(Self, OpenReport)> {
        let (shared, report) = Shared::open(dir.as_ref(), opts)?;
        let shared = Arc::new(shared);
        let compactor = match shared.opts.compact_on_commit {
            true => Some(Compactor::start(shared.clone())?),
            false => None,
        };
        Ok((Self { shared, compactor }, report))
    }

    /// The directory the database lives in.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The options it was opened with.
    pub fn options(&self) -> &Options {
        &self.shared.opts
    }

    /// A new appender. Appenders are cheap; take one per batch (e.g. per scrape).
    pub fn appender(&self) -> Appender<'_> {
        Appender {
            inner: HeadAppender::new(&self.shared.head, Some(&self.shared.wal)),
            db: self,
        }
    }

    /// A querier over samples with `mint <= t <= maxt` (ms, inclusive).
    pub fn querier(&self, mint: i64, maxt: i64) -> Querier {
        self.shared.querier(mint, maxt)
    }

    /// Metadata of the persisted blocks, oldest first.
    pub fn blocks(&self) -> Vec<BlockMeta> {
        self.shared
            .blocks
            .read()
            .iter()
            .map(|b| b.meta.clone())
            .collect()
    }

    /// Number of series in the head.
    pub fn head_series(&self) -> u64 {
        self.shared.head.num_series()
    }

    /// Oldest and newest sample time in the head, if it holds any.
    pub fn head_time_range(&self) -> Option<(i64, i64)> {
        Some((self.shared.head.min_time()?, self.shared.head.max_time()?))
    }

    /// Bytes on disk: blocks, WAL and head chunk files.
    pub fn size_bytes(&self) -> u64 {
        self.shared.size_bytes()
    }

    /// Runs pending maintenance now, on this thread: writes head ranges that are due as blocks
    /// (while the head spans more than 1.5 block ranges), merges blocks as the leveled compactor
    /// plans, then applies retention.
    pub fn compact(&self) -> Result<()> {
        self.shared.compact()
    }

    /// Writes everything in the head as blocks (one per aligned block range) and empties it;
    /// for shutdown of short-lived writers, imports and benchmarks.
    pub fn flush(&self) -> Result<()> {
        self.shared.flush()
    }

    /// Deletes the samples in `[mint, maxt]` of every series matching `matchers`. Deletions are
    /// recorded as tombstones (blocks) and WAL records (head), hidden from queries at once, and
    /// applied to the data when the affected blocks are compacted.
    pub fn delete(&self, mint: i64, maxt: i64, matchers: &[Matcher]) -> Result<()> {
        self.shared.delete(mint, maxt, matchers)
    }

    /// A reader that follows this database's WAL from `from` (a position an earlier tailer
    /// reported), or from the current end with `None`; see [`WalTail`]. It reads the files
    /// directly, so it neither blocks appends nor keeps segments from being truncated.
    pub fn wal_tail(&self, from: Option<WalPosition>) -> Result<WalTail> {
        WalTail::open(self.shared.wal.dir(), from)
    }

    /// Fsyncs the WAL now. With [`WalSync::Interval`], commits fsync only when the interval has
    /// passed since the last fsync; a process that may go idle calls this from a timer so the
    /// last commits before the pause are durable too.
    pub fn sync(&self) -> Result<()> {
        self.shared.wal.sync()
    }

    /// Stops background compaction, then flushes and fsyncs the WAL and head chunk files. The
    /// head is not written to blocks: it is rebuilt from them on the next open (call
    /// [`flush`](Self::flush) first to persist it).
    pub fn close(mut self) -> Result<()> {
        if let Some(mut c) = self.compactor.take() {
            c.stop();
        }
        self.shared.head.chunk_files.sync()?;
        self.shared.wal.close()
    }

    fn after_commit(&self) {
        if let Some(c) = &self.compactor
            && self.shared.head_range_due().is_some()
        {
            c.wake();
        }
    }
}

impl Shared {
    fn open(dir: &Path, opts: Options) -> Result<(Self, OpenReport)> {
        opts.validate()?;
        let dir = dir.to_owned();
        fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        let mut report = OpenReport::default();
        for p in remove_tmp_dirs(&dir)? {
            report
                .repairs
                .push(format!("removed unfinished block {}", p.display()));
        }
        let blocks = load_blocks(&dir, &mut report)?;
        report.blocks = blocks.len();
        let min_valid = blocks
            .iter()
            .map(|b| b.maxt_exclusive())
            .max()
            .unwrap_or(i64::MIN);
        let head_opts = HeadOptions {
            chunk_range: opts.block_range_ms,
            ooo_window: opts.out_of_order_window_ms,
        };
        let head = Arc::new(Head::open(&dir.join("chunks_head"), head_opts, min_valid)?);
        let mut replay = replay_into(&head)?;
        let wal_opts = WalOptions {
            segment_size: opts.wal_segment_size,
            sync: sync_policy(opts.wal_sync),
        };
        let (wal, repair) = Wal::open_and_replay(&dir.join("wal"), wal_opts, |rec| match rec {
            Record::Series(s) => replay.series(s),
            Record::Samples(s) => replay.samples(s),
            Record::Tombstones(t) => {
                replay.tombstones(t);
                Ok(())
            }
        })?;
        report.wal_samples_replayed = replay.samples;
        report.wal_unknown_refs = replay.unknown_refs;
        drop(replay);
        if let Some(c) = &repair.corruption {
            report.repairs.push(format!(
                "WAL segment {:08} cut back to offset {}: {} (deleted later segments: {:?})",
                c.segment, c.offset, c.reason, repair.deleted_segments
            ));
        }
        for f in &repair.removed_files {
            report
                .repairs
                .push(format!("removed leftover {}", f.display()));
        }
        let db = Self {
            dir,
            opts,
            head,
            wal,
            blocks: RwLock::new(blocks),
            maintenance: Mutex::new(()),
        };
        Ok((db, report))
    }

    fn querier(&self, mint: i64, maxt: i64) -> Querier {
        let reading = self.head.readers.register(mint, maxt);
        let blocks = self.blocks.read().clone();
        Querier::new(Some(self.head.clone()), Some(reading), blocks, mint, maxt)
    }

    fn size_bytes(&self) -> u64 {
        let blocks: u64 = self.blocks.read().iter().map(|b| b.size_bytes()).sum();
        blocks + self.wal.size_bytes() + self.head.chunk_files.size_bytes()
    }

    fn compact(&self) -> Result<()> {
        let _guard = self.maintenance.lock();
        let mut persisted_up_to = None;
        while let Some((lo, hi)) = self.head_range_due() {
            self.persist_head_range(lo, hi)?;
            persisted_up_to = Some(hi);
        }
        if let Some(mint) = persisted_up_to {
            self.checkpoint_wal(mint)?;
        }
        self.compact_blocks()?;
        self.apply_retention()
    }

    fn flush(&self) -> Result<()> {
        let _guard = self.maintenance.lock();
        let mut persisted_up_to = None;
        while let (Some(lo), Some(hi)) = (self.head.min_time(), self.head.max_time()) {
            let start = range_start(lo, self.opts.block_range_ms);
            let end = range_end(start, self.opts.block_range_ms);
            self.persist_head_range(start, end)?;
            persisted_up_to = Some(end);
            if hi < end {
                break;
            }
        }
        match persisted_up_to {
            Some(mint) => self.checkpoint_wal(mint),
            None => Ok(()),
        }
    }

    /// The oldest aligned range of the head to persist, when the head spans more than 1.5 ranges.
    fn head_range_due(&self) -> Option<(i64, i64)> {
        let (lo, hi) = (self.head.min_time()?, self.head.max_time()?);
        let range = self.opts.block_range_ms;
        if hi - lo <= range / 2 * 3 {
            return None;
        }
        let start = range_start(lo, range);
        Some((start, range_end(start, range)))
    }

    /// Writes the head's `[mint, maxt_excl)` as a block, then drops that range from the head. The
    /// caller checkpoints the WAL once after persisting one or more ranges: a checkpoint reads
    /// the whole WAL, so doing it per range would make flushing a long head quadratic.
    fn persist_head_range(&self, mint: i64, maxt_excl: i64) -> Result<()> {
        if let Some(meta) = compact::write_head_block(&self.head, &self.dir, mint, maxt_excl)? {
            let block = Arc::new(Block::open(&self.dir.join(meta.ulid.to_string()))?);
            let mut blocks = self.blocks.read().clone();
            blocks.push(block);
            blocks.sort_by_key(|b| (b.mint(), b.maxt_exclusive()));
            *self.blocks.write() = blocks;
        }
        // Queriers opened before the block joined the list do not see it: let them finish.
        if !self
            .head
            .readers
            .wait_for_older_readers(mint, maxt_excl - 1)
        {
            tracing::warn!(
                mint,
                maxt = maxt_excl,
                "truncating the head while older queriers still read it"
            );
        }
        self.head.truncate(maxt_excl)?;
        Ok(())
    }

    /// Checkpoints every finished WAL segment, keeping only what the head still holds, and
    /// deletes the segments the checkpoint covers.
    fn checkpoint_wal(&self, mint: i64) -> Result<()> {
        let next = self.wal.next_segment()?;
        let Some(last) = next.checked_sub(1) else {
            return Ok(());
        };
        let head = &self.head;
        wal::checkpoint(self.wal.dir(), last, |r| head.has_series(r), mint)?;
        self.wal.truncate_before(last + 1)
    }

    fn compact_blocks(&self) -> Result<()> {
        let ranges = self.opts.compaction_ranges();
        loop {
            let blocks = self.blocks.read().clone();
            let metas: Vec<&BlockMeta> = blocks.iter().map(|b| &b.meta).collect();
            let picked = compact::plan(&metas, &ranges).or_else(|| with_tombstones(&blocks));
            let Some(picked) = picked else { return Ok(()) };
            let group: Vec<Arc<Block>> = picked
                .iter()
                .filter_map(|&i| blocks.get(i).cloned())
                .collect();
            let merged = compact::merge_blocks(&group, &self.dir)?;
            let mut next: Vec<Arc<Block>> = blocks
                .iter()
                .filter(|b| !group.iter().any(|g| Arc::ptr_eq(b, g)))
                .cloned()
                .collect();
            if let Some(meta) = merged {
                next.push(Arc::new(Block::open(
                    &self.dir.join(meta.ulid.to_string()),
                )?));
            }
            next.sort_by_key(|b| (b.mint(), b.maxt_exclusive()));
            *self.blocks.write() = next;
            for b in group {
                remove_block_dir(&b.dir)?;
            }
        }
    }

    /// Deletes blocks beyond the retention time (relative to the newest block) and, oldest first,
    /// blocks past the size limit.
    fn apply_retention(&self) -> Result<()> {
        let blocks = self.blocks.read().clone();
        let newest = blocks.iter().map(|b| b.maxt_exclusive()).max();
        let mut keep: Vec<Arc<Block>> = blocks
            .iter()
            .filter(|b| match (self.opts.retention_ms, newest) {
                (Some(r), Some(n)) => n - b.maxt_exclusive() <= r,
                _ => true,
            })
            .cloned()
            .collect();
        if let Some(limit) = self.opts.retention_size_bytes {
            let fixed = self.wal.size_bytes() + self.head.chunk_files.size_bytes();
            let mut total: u64 = fixed + keep.iter().map(|b| b.size_bytes()).sum::<u64>();
            while total > limit && !keep.is_empty() {
                let oldest = keep.remove(0);
                total = total.saturating_sub(oldest.size_bytes());
            }
        }
        if keep.len() == blocks.len() {
            return Ok(());
        }
        *self.blocks.write() = keep.clone();
        for b in blocks
            .iter()
            .filter(|b| !keep.iter().any(|k| Arc::ptr_eq(b, k)))
        {
            tracing::info!(block = %b.dir.display(), "deleting block beyond retention");
            remove_block_dir(&b.dir)?;
        }
        Ok(())
    }

    fn delete(&self, mint: i64, maxt: i64, matchers: &[Matcher]) -> Result<()> {
        let _guard = self.maintenance.lock();
        let iv = Interval { mint, maxt };
        for block in self.blocks.read().iter().filter(|b| b.overlaps(mint, maxt)) {
            let refs = postings_for_matchers(&**block, matchers)?;
            if refs.is_empty() {
                continue;
            }
            let mut stones = block.tombstones.read().clone();
            for r in &refs {
                stones.add(u64::from(r), iv);
            }
            stones.write(&block.dir)?;
            *block.tombstones.write() = stones;
        }
        let refs = postings_for_matchers(&*self.head, matchers)?;
        let stones: Vec<RefTombstone> = refs
            .iter()
            .map(|r| RefTombstone {
                series_ref: u64::from(r),
                mint,
                maxt,
            })
            .collect();
        if !stones.is_empty() {
            let mut buf = Vec::new();
            wal::encode_tombstones(&stones, &mut buf);
            self.wal.log(&[&buf])?;
            for s in &stones {
                self.head.add_deleted(s.series_ref, iv);
            }
        }
        Ok(())
    }
}

/// Blocks with tombstones are rewritten one at a time so deletions reach the disk.
fn with_tombstones(blocks: &[Arc<Block>]) -> Option<Vec<usize>> {
    blocks
        .iter()
        .position(|b| !b.tombstones.read().is_empty())
        .map(|i| vec![i])
}

fn sync_policy(s: WalSync) -> SyncPolicy {
    match s {
        WalSync::EveryCommit => SyncPolicy::Always,
        WalSync::Interval(d) => SyncPolicy::Interval(d),
        WalSync::Never => SyncPolicy::Never,
    }
}

fn remove_block_dir(dir: &Path) -> Result<()> {
    fs::remove_dir_all(dir).map_err(|e| Error::io("remove block", dir, e))
}

/// Opens every block directory in `dir`. Blocks that a finished compaction replaced (listed as
/// parents of another block) are deleted: the crash came between writing the new block and
/// removing its parents.
fn load_blocks(dir: &Path, report: &mut OpenReport) -> Result<Vec<Arc<Block>>> {
    let mut blocks = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| Error::io("read dir", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read dir", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if ulid::Ulid::from_string(name).is_err() || !entry.path().is_dir() {
            continue;
        }
        blocks.push(Arc::new(Block::open(&entry.path())?));
    }
    let replaced: Vec<ulid::Ulid> = blocks
        .iter()
        .flat_map(|b| b.meta.compaction.parents.iter().map(|p| p.ulid))
        .collect();
    let (stale, live): (Vec<_>, Vec<_>) = blocks
        .into_iter()
        .partition(|b| replaced.contains(&b.meta.ulid));
    for b in stale {
        report.repairs.push(format!(
            "removed block {} replaced by a finished compaction",
            b.dir.display()
        ));
        remove_block_dir(&b.dir)?;
    }
    let mut live = live;
    live.sort_by_key(|b| (b.mint(), b.maxt_exclusive()));
    Ok(live)
}

/// Buffers samples for one commit. See [`Db::appender`].
pub struct Appender<'a> {
    inner: HeadAppender<'a>,
    db: &'a Db,
}

impl Appender<'_> {
    /// Adds a sample to the series named by `labels`, creating the series if needed; returns its
    /// reference for [`append_ref`](Self::append_ref). Out-of-order, duplicate-with-different-value
    /// and out-of-bounds samples are refused with errors naming the series.
    pub fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<SeriesRef> {
        self.inner.append(labels, t, v)
    }

    /// Adds a sample by series reference; [`Error::UnknownSeriesRef`] when the head no longer has
    /// the series (append by labels again).
    pub fn append_ref(&mut self, r: SeriesRef, t: i64, v: f64) -> Result<SeriesRef> {
        self.inner.append_ref(r, t, v)
    }

    /// Samples buffered.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Logs the samples to the WAL, then makes them visible to queries. With
    /// `compact_on_commit`, wakes the background compactor when a head range is due.
    pub fn commit(self) -> Result<()> {
        let db = self.db;
        self.inner.commit()?;
        db.after_commit();
        Ok(())
    }

    /// Discards the buffered samples.
    pub fn rollback(self) {
        self.inner.rollback();
    }
}

impl model::Queryable for Db {
    fn querier(
        &self,
        mint: i64,
        maxt: i64,
    ) -> std::result::Result<Box<dyn model::SeriesQuerier + '_>, model::StorageError> {
        Ok(Box::new(Db::querier(self, mint, maxt)))
    }
}
