//! The head: the in-memory part of the database that takes appends.
//!
//! Series are found two ways: by reference through a directly indexed table (`table`), for the
//! appender's fast path, and by label hash (`series_by_hash`, striped locks so appenders on
//! different series rarely contend) to find or create a series from its labels. Postings (label
//! pair → series) live in one `RwLock<MemPostings>`, written only when series come and go.
//!
//! Lock order, to stay deadlock-free: hash stripe → table slot (which is also the series lock) →
//! postings.

mod append;
pub(crate) mod chunk_list;
pub(crate) mod postings;
mod read;
mod readers;
mod replay;
pub(crate) mod series;
mod table;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

use model::Labels;
use parking_lot::RwLock;
use roaring::RoaringBitmap;

pub(crate) use append::HeadAppender;
pub use append::SeriesRef;
pub(crate) use replay::replay_into;

use crate::block::tombstones::{Interval, Tombstones};
use crate::chunk_files::HeadChunkFiles;
use crate::error::{Error, Result};
use crate::postings::PostingsIndex;
use chunk_list::ChunkList;
use postings::MemPostings;
use series::{MemSeries, MmappedChunk, OpenChunk};
use table::SeriesTable;

pub(crate) use readers::{ReaderGate, ReaderGuard};

/// Label-hash stripes. Only lookups by labels (new series, appends without a reference) take
/// them; more stripes cost memory (an empty map each) for little less contention.
const STRIPES: usize = 1 << 10;
const STRIPE_MASK: u64 = (STRIPES as u64) - 1;

/// References of the series sharing one label hash: almost always exactly one, kept inline to
/// save a heap allocation per series. Labels are compared through the series table.
enum HashBucket {
    One(u32),
    /// Boxed slice, not `Vec`: keeps every bucket at 16 bytes; collisions are rare enough that
    /// reallocating on each change costs nothing.
    Many(Box<[u32]>),
}

impl HashBucket {
    fn refs(&self) -> &[u32] {
        match self {
            HashBucket::One(r) => std::slice::from_ref(r),
            HashBucket::Many(v) => v,
        }
    }

    fn push(&mut self, r: u32) {
        match self {
            HashBucket::One(first) => *self = HashBucket::Many(Box::new([*first, r])),
            HashBucket::Many(v) => *v = v.iter().copied().chain([r]).collect(),
        }
    }

    /// Removes `r`; true when the bucket is now empty.
    fn remove(&mut self, r: u32) -> bool {
        match self {
            HashBucket::One(first) => *first == r,
            HashBucket::Many(v) => {
                *v = v.iter().copied().filter(|x| *x != r).collect();
                v.is_empty()
            }
        }
    }
}

/// Hashes keys that are already well spread (series references, xxh3 label hashes) with one
/// multiply instead of SipHash, which would dominate a lookup on the append path.
#[derive(Clone, Copy, Default)]
pub(crate) struct BuildU64Hasher;

impl std::hash::BuildHasher for BuildU64Hasher {
    type Hasher = U64Hasher;
    fn build_hasher(&self) -> U64Hasher {
        U64Hasher(0)
    }
}

/// See [`BuildU64Hasher`]; only `write_u64` is fast, other writes fold bytes in.
#[derive(Default)]
pub(crate) struct U64Hasher(u64);

impl std::hash::Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        // Fibonacci hashing: the multiply spreads low-entropy keys (dense counters) over the
        // high bits, which hashbrown uses for its control bytes.
        self.0 = (self.0 ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Settings of the head, derived from the database options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadOptions {
    /// Block range in ms; also the range no chunk may span.
    pub chunk_range: i64,
    /// Out-of-order window in ms; `None` when out-of-order appends are refused.
    pub ooo_window: Option<i64>,
}

/// The in-memory head.
pub(crate) struct Head {
    pub opts: HeadOptions,
    /// ref → series. Guards membership only; each series guards its own state.
    table: SeriesTable,
    /// label hash → series with that hash.
    series_by_hash: Box<[RwLock<HashMap<u64, HashBucket, BuildU64Hasher>>]>,
    /// label pair → series refs.
    postings: RwLock<MemPostings>,
    next_ref: AtomicU64,
    num_series: AtomicU64,
    /// Samples in the most recent commit, capped: new appenders reserve that much up front
    /// instead of growing their buffer by doubling (see `HeadAppender::new`).
    pub(crate) recent_batch_len: AtomicUsize,
    /// Oldest and newest sample time accepted into the head (`i64::MAX`/`i64::MIN` when empty).
    min_time: AtomicI64,
    max_time: AtomicI64,
    /// Samples older than this are out of bounds: their range was already persisted as a block.
    min_valid_time: AtomicI64,
    /// Where full chunks go.
    pub chunk_files: HeadChunkFiles,
    /// Queriers reading the head, which truncation waits for.
    pub readers: Arc<ReaderGate>,
    /// Deleted intervals per series, applied on read and when the head is written to a block.
    deleted: RwLock<Tombstones>,
}

impl Head {
    /// An empty head whose full chunks are written under `chunks_dir`.
    pub fn open(chunks_dir: &Path, opts: HeadOptions, min_valid_time: i64) -> Result<Self> {
        let chunk_files =
            HeadChunkFiles::open(chunks_dir, crate::chunk_files::DEFAULT_MAX_FILE_SIZE)?;
        Ok(Self {
            opts,
            table: SeriesTable::new(),
            series_by_hash: (0..STRIPES).map(|_| RwLock::default()).collect(),
            postings: RwLock::default(),
            next_ref: AtomicU64::new(1),
            num_series: AtomicU64::new(0),
            recent_batch_len: AtomicUsize::new(0),
            min_time: AtomicI64::new(i64::MAX),
            max_time: AtomicI64::new(i64::MIN),
            min_valid_time: AtomicI64::new(min_valid_time),
            chunk_files,
            readers: Arc::default(),
            deleted: RwLock::default(),
        })
    }

    /// Runs `f` on the series with reference `r` under its lock; `None` when the head has no
    /// such series. `f` must not take head locks.
    pub fn with_series<R>(&self, r: u64, f: impl FnOnce(&mut MemSeries) -> R) -> Option<R> {
        self.table.with(r, f)
    }

    /// True when the head has a series with reference `r`.
    pub fn has_series(&self, r: u64) -> bool {
        self.table.with(r, |_| ()).is_some()
    }

    /// The reference of the series with these labels, if the head has it.
    fn find(&self, labels: &Labels, hash: u64) -> Option<u64> {
        let stripe = self.series_by_hash[(hash & STRIPE_MASK) as usize].read();
        self.find_in(stripe.get(&hash)?, labels)
    }

    fn find_in(&self, bucket: &HashBucket, labels: &Labels) -> Option<u64> {
        bucket
            .refs()
            .iter()
            .map(|&r| u64::from(r))
            .find(|&r| self.table.with(r, |s| s.labels == *labels).unwrap_or(false))
    }

    /// The reference of the series with these labels, created (with a fresh reference) if
    /// missing. The bool is true when it was created.
    pub fn get_or_create(&self, labels: &Labels) -> Result<(u64, bool)> {
        let hash = labels.stable_hash();
        if let Some(r) = self.find(labels, hash) {
            return Ok((r, false));
        }
        let r = self.next_ref.fetch_add(1, Ordering::Relaxed);
        self.insert(r, labels.clone(), hash)
    }

    /// Inserts a series with a known reference (WAL replay), unless one with these labels exists;
    /// returns the reference of the series holding these labels.
    pub fn get_or_create_with_ref(&self, r: u64, labels: Labels) -> Result<(u64, bool)> {
        let hash = labels.stable_hash();
        if let Some(found) = self.find(&labels, hash) {
            return Ok((found, false));
        }
        self.next_ref.fetch_max(r + 1, Ordering::Relaxed);
        self.insert(r, labels, hash)
    }

    fn insert(&self, r: u64, labels: Labels, hash: u64) -> Result<(u64, bool)> {
        let r32 = u32::try_from(r).map_err(|_| Error::InvalidOption {
            name: "head series references",
            reason: "the head has created 2^32 series since it started; restart to compact them"
                .into(),
        })?;
        let mut by_hash = self.series_by_hash[(hash & STRIPE_MASK) as usize].write();
        // Another appender may have created it since our read-locked lookup.
        if let Some(found) = by_hash.get(&hash).and_then(|b| self.find_in(b, &labels)) {
            return Ok((found, false));
        }
        match by_hash.get_mut(&hash) {
            Some(bucket) => bucket.push(r32),
            None => {
                by_hash.insert(hash, HashBucket::One(r32));
            }
        }
        self.postings.write().add(r32, &labels);
        self.table.insert(MemSeries::new(r, labels));
        drop(by_hash);
        self.num_series.fetch_add(1, Ordering::Relaxed);
        Ok((r, true))
    }

    /// Number of series in the head.
    pub fn num_series(&self) -> u64 {
        self.num_series.load(Ordering::Relaxed)
    }

    /// Oldest sample time in the head, or `None` when it holds no sample.
    pub fn min_time(&self) -> Option<i64> {
        let t = self.min_time.load(Ordering::Acquire);
        (t != i64::MAX).then_some(t)
    }

    /// Newest sample time in the head, or `None` when it holds no sample.
    pub fn max_time(&self) -> Option<i64> {
        let t = self.max_time.load(Ordering::Acquire);
        (t != i64::MIN).then_some(t)
    }

    /// Oldest timestamp the head accepts.
    pub fn min_valid_time(&self) -> i64 {
        self.min_valid_time.load(Ordering::Acquire)
    }

    /// Widens the head's time range to include `[lo, hi]`. Called once per commit, not per
    /// sample: these atomics are shared by every appending thread, and a read-modify-write per
    /// sample would bounce their cache line between cores. The loads skip the write when the
    /// range already covers the batch, the common case.
    pub(crate) fn observe_range(&self, lo: i64, hi: i64) {
        if lo < self.min_time.load(Ordering::Acquire) {
            self.min_time.fetch_min(lo, Ordering::AcqRel);
        }
        if hi > self.max_time.load(Ordering::Acquire) {
            self.max_time.fetch_max(hi, Ordering::AcqRel);
        }
    }

    /// Stores a sample in `series` (whose lock the caller holds) when it is appendable:
    /// in order into the open chunk (writing a cut chunk to the chunk files), or among the
    /// out-of-order samples. True when it was stored; a duplicate or a refused sample is not.
    pub(crate) fn store_sample(
        &self,
        series: &mut MemSeries,
        t: i64,
        v: f64,
        ooo_min: Option<i64>,
    ) -> Result<bool> {
        let st = &mut series.state;
        match st.appendable(t, v, ooo_min) {
            Ok(series::Appendability::InOrder) => {
                if let Some(cut) = st.append_in_order(t, v, self.opts.chunk_range) {
                    self.persist_cut_chunk(series.series_ref, &mut st.mmapped, cut)?;
                }
            }
            Ok(series::Appendability::OutOfOrder) => st.insert_ooo(model::Sample::new(t, v)),
            Ok(series::Appendability::Duplicate) | Err(_) => return Ok(false),
        }
        Ok(true)
    }

    /// Writes a cut chunk to the head chunk files and records it on the series.
    pub(crate) fn persist_cut_chunk(
        &self,
        series_ref: u64,
        mmapped: &mut ChunkList,
        cut: OpenChunk,
    ) -> Result<()> {
        let (mint, maxt) = (cut.mint(), cut.maxt());
        let chunk_ref = self.chunk_files.write(
            series_ref,
            mint,
            maxt,
            crate::chunk::ENCODING_XOR,
            cut.chunk.bytes(),
        )?;
        mmapped.push(MmappedChunk {
            chunk_ref,
            mint,
            maxt,
        });
        Ok(())
    }

    /// Every series reference, ascending.
    pub fn all_refs(&self) -> RoaringBitmap {
        self.postings.read().all().clone()
    }

    /// Drops all data older than `mint` (chunks whose newest sample is older, out-of-order samples
    /// older), removes series left empty that no appender is using, and refuses samples older than
    /// `mint` from now on. Returns the references of the removed series.
    pub fn truncate(&self, mint: i64) -> Result<Vec<u64>> {
        self.min_valid_time.fetch_max(mint, Ordering::AcqRel);
        let mut removed = Vec::new();
        let mut new_min = i64::MAX;
        for r in self.all_refs() {
            // Decided and taken out under the series lock: an appender that looks the series up
            // afterwards finds it gone and goes back to the maps instead of writing to an orphan.
            let taken = self.table.remove_unless(u64::from(r), |series| {
                let st = &mut series.state;
                st.mmapped.retain_from(mint);
                if st.open.as_ref().is_some_and(|o| o.maxt() < mint) {
                    st.open = None;
                }
                st.ooo.retain_from(mint);
                if let Some(t) = st.min_time() {
                    new_min = new_min.min(t);
                }
                !st.is_empty() || st.pending > 0
            });
            if let Some(series) = taken {
                self.forget(r, &series.labels);
                removed.push(series.series_ref);
            }
        }
        {
            let mut deleted = self.deleted.write();
            deleted.truncate_before(mint);
            for r in &removed {
                deleted.remove_series(*r);
            }
        }
        self.min_time.store(new_min, Ordering::Release);
        if new_min == i64::MAX {
            self.max_time.store(i64::MIN, Ordering::Release);
        }
        self.chunk_files.truncate_before(mint)?;
        Ok(removed)
    }

    /// Drops a series already taken out of the table from the hash map and the postings.
    fn forget(&self, r: u32, labels: &Labels) {
        let hash = labels.stable_hash();
        let mut by_hash = self.series_by_hash[(hash & STRIPE_MASK) as usize].write();
        if by_hash.get_mut(&hash).is_some_and(|b| b.remove(r)) {
            by_hash.remove(&hash);
        }
        self.postings.write().remove(r, labels);
        drop(by_hash);
        self.num_series.fetch_sub(1, Ordering::Relaxed);
    }

    /// Marks `[iv.mint, iv.maxt]` of series `r` deleted.
    pub fn add_deleted(&self, r: u64, iv: Interval) {
        self.deleted.write().add(r, iv);
    }

    /// Deleted intervals of series `r`, sorted by start.
    pub fn deleted(&self, r: u64) -> Vec<Interval> {
        self.deleted.read().get(r).to_vec()
    }

    /// Label names of the given series, sorted and unique.
    pub fn label_names_of(&self, refs: &RoaringBitmap) -> Vec<String> {
        let postings = self.postings.read();
        let mut names: Vec<String> = postings
            .names()
            .filter(|n| postings.values(n).any(|(_, bm)| !bm.is_disjoint(refs)))
            .map(str::to_owned)
            .collect();
        names.sort_unstable();
        names
    }

    /// Values of label `name` among the given series, sorted and unique.
    pub fn label_values_of(&self, name: &str, refs: &RoaringBitmap) -> Vec<String> {
        let postings = self.postings.read();
        let mut values: Vec<String> = postings
            .values(name)
            .filter(|(_, bm)| !bm.is_disjoint(refs))
            .map(|(v, _)| v.to_owned())
            .collect();
        values.sort_unstable();
        values
    }
}

impl PostingsIndex for Head {
    fn all_postings(&self) -> Result<RoaringBitmap> {
        Ok(self.all_refs())
    }

    fn postings(&self, name: &str, value: &str) -> Result<RoaringBitmap> {
        Ok(self
            .postings
            .read()
            .get(name, value)
            .map(|l| l.to_bitmap())
            .unwrap_or_default())
    }

    fn postings_matching(&self, name: &str, pred: &dyn Fn(&str) -> bool) -> Result<RoaringBitmap> {
        let postings = self.postings.read();
        let mut out = RoaringBitmap::new();
        for (v, list) in postings.values(name) {
            if pred(v) {
                list.union_into(&mut out);
            }
        }
        Ok(out)
    }
}
