//! Maintenance of a tenant's stored data: delete requests, compaction and retention.
//!
//! Delete requests ([`LogStore::delete`]) are kept by `deletes`, one file per tenant. A pending
//! request hides its entries from reads at once (the per-stream read path leaves out entries in
//! its range, in the head and in segments alike); compaction removes them from the segment files:
//! a chunk wholly inside a request is dropped, a chunk partly inside one is re-encoded without the
//! deleted entries, split where a deleted range falls between two kept entries, so no new chunk
//! spans a request it was cleaned of. A request is done once no segment holds a chunk it affects
//! and no head stream it selects holds data in its range; entries pushed after that are kept, as
//! Loki keeps entries that arrive after a delete was processed.
//!
//! Compaction ([`LogStore::compact`]) merges the segments of one tenant and partition (UTC day)
//! when there are two or more, or when a pending delete affects one. Its output is named
//! `<day>-<seq>_<from>.seg` and stands for every segment of its tenant and partition numbered in
//! `from..seq`: its inputs and whatever they stood for. Planning holds the flush lock, so then
//! every listed segment of the partition numbered below `seq` is an input. The output is written
//! durably before the inputs leave the segment list and the disk, and on open a segment that
//! another stands for is deleted, so a crash at any point neither loses nor duplicates an entry.
//!
//! Retention ([`LogStore::apply_retention`]) deletes whole segments whose newest entry is older
//! than the tenant's `retention_period`, and drops head chunks likewise.
//!
//! Compaction and retention hold `LogStore::maintenance`, so neither removes a segment the other
//! reads.
#![deny(clippy::indexing_slicing)]

mod deletes;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::slice;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use model::Labels;
use model::logs::LogEntry;

use crate::chunk::{ChunkOptions, HeadChunk};
use crate::db::{LogStore, Segment, Tenant, open_segment, tenant_dir_name};
use crate::error::{Error, Result};
use crate::segment::{
    ChunkAction, ChunkInput, ChunkRef, DeleteRequest, MergeOutcome, Partition, SegmentFile,
    SegmentReader, StreamInput, merge, write_segment,
};

pub use deletes::DeleteRecord;
pub(crate) use deletes::{hidden_ranges, load_deletes, pending_requests};
use deletes::{is_hidden, selects};

/// Suffix of a compaction's intermediate file (merged, before chunks are re-encoded); such a
/// file is never read as a segment and is removed on open.
pub(crate) const STAGING_SUFFIX: &str = ".merged";

/// What one [`LogStore::compact`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactionReport {
    /// Segments read (and deleted once their replacement was written).
    pub segments_in: usize,
    /// Segments written.
    pub segments_out: usize,
    /// Chunks left out because a delete request covers them wholly.
    pub chunks_dropped: u64,
    /// Chunks re-encoded without the entries delete requests remove.
    pub chunks_rewritten: u64,
    /// Entries removed by delete requests.
    pub entries_deleted: u64,
    /// Delete requests marked done.
    pub deletes_done: usize,
}

/// What one [`LogStore::apply_retention`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Segment files deleted.
    pub segments_removed: usize,
    /// Their size in bytes.
    pub bytes_removed: u64,
    /// Head chunks (cut or open) dropped.
    pub head_chunks_dropped: u64,
}

/// What a segment's file name says: `<day>-<seq>.seg` from a flush, `<day>-<seq>_<from>.seg`
/// from a compaction, standing for the segments of its tenant and partition numbered
/// `from..seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentName {
    /// The segment's number (unique in the store, increasing in the order they were planned).
    pub seq: u64,
    /// For a compacted segment, the first number it stands for.
    pub replaces_from: Option<u64>,
}

impl SegmentName {
    /// Parses a file name; `None` when it is not one this store gives.
    pub fn parse(file_name: &str) -> Option<Self> {
        let stem = file_name.strip_suffix(".seg")?;
        let (main, replaces_from) = match stem.split_once('_') {
            Some((main, from)) => (main, Some(from.parse().ok()?)),
            None => (stem, None),
        };
        let (day, seq) = main.rsplit_once('-')?;
        day.parse::<i64>().ok()?;
        Some(Self {
            seq: seq.parse().ok()?,
            replaces_from,
        })
    }

    /// The file name for a segment of partition starting at `day` (ns).
    pub fn file_name(&self, day: i64) -> String {
        let seq = self.seq;
        match self.replaces_from {
            None => format!("{day:020}-{seq:010}.seg"),
            Some(from) => format!("{day:020}-{seq:010}_{from:010}.seg"),
        }
    }

    /// The first number this segment stands for.
    fn first(&self) -> u64 {
        self.replaces_from.unwrap_or(self.seq)
    }

    /// True when this segment stands for the one named `other` (if of the same partition).
    fn stands_for(&self, other: &SegmentName) -> bool {
        self.replaces_from
            .is_some_and(|from| from <= other.seq && other.seq < self.seq)
    }
}

/// Removes from `segments` (one tenant's, as found on disk) and deletes every segment that
/// another stands for: inputs left behind by a compaction that crashed before deleting them.
pub(crate) fn drop_replaced(segments: &mut Vec<Arc<Segment>>) -> Result<()> {
    let all = std::mem::take(segments);
    let replaced = |s: &Segment| {
        all.iter().any(|c| {
            let same_partition = c.reader.tenant() == s.reader.tenant()
                && c.reader.partition() == s.reader.partition();
            matches!((c.name, s.name), (Some(cn), Some(sn)) if same_partition && cn.stands_for(&sn))
        })
    };
    let (gone, kept): (Vec<_>, Vec<_>) = all.iter().cloned().partition(|s| replaced(s));
    drop(all);
    *segments = kept;
    for s in gone {
        let path = s.reader.path().to_path_buf();
        tracing::warn!(path = %path.display(), "log segment replaced by a compaction: removed");
        drop(s);
        std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
    }
    Ok(())
}

/// What delete requests do to the chunks of a segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Impact {
    /// Some chunk is to be dropped or re-encoded.
    affected: bool,
    /// Some chunk is to be re-encoded.
    rewrite: bool,
}

/// What `requests` do to the chunks of `segment`, each chunk taking the strongest action of
/// any request (as [`DeleteRequest::action_of_all`] does); from the index alone.
fn delete_impact<B: AsRef<[u8]>>(
    segment: &SegmentReader<B>,
    requests: &[DeleteRequest],
) -> Result<Impact> {
    let mut actions: HashMap<u64, ChunkAction> = HashMap::new();
    for rq in requests {
        if segment
            .bounds()
            .is_none_or(|(lo, hi)| hi < rq.mint || lo > rq.maxt)
        {
            continue;
        }
        for id in segment.streams_matching(&rq.matchers)? {
            let Some(labels) = segment.labels(id) else {
                continue;
            };
            for c in segment.chunks(id, rq.mint, rq.maxt) {
                let action = actions.entry(c.offset).or_insert(ChunkAction::Keep);
                *action = (*action).max(rq.action(&labels, c));
            }
        }
    }
    Ok(Impact {
        affected: actions.values().any(|a| *a != ChunkAction::Keep),
        rewrite: actions.values().any(|a| *a == ChunkAction::Rewrite),
    })
}

/// True when a head stream `request` selects holds data that may lie in its range.
fn head_holds(tenant: &Tenant, request: &DeleteRequest) -> bool {
    let overlaps = |lo: i64, hi: i64| hi >= request.mint && lo <= request.maxt;
    tenant.head.streams().iter().any(|s| {
        if !selects(request, &s.labels) {
            return false;
        }
        let st = s.state.lock();
        st.finished.iter().any(|c| overlaps(c.mint, c.maxt))
            || st
                .open
                .as_ref()
                .and_then(HeadChunk::bounds)
                .is_some_and(|(lo, hi)| overlaps(lo, hi))
    })
}

/// Segments of one partition to compact into one, and the number the output gets.
struct Plan {
    partition: Partition,
    inputs: Vec<Arc<Segment>>,
    seq: u64,
    /// Some chunk is partly inside a delete request and must be re-encoded.
    rewrite: bool,
}

impl LogStore {
    /// Compacts every tenant: per partition, merges the segments into one when there are two or
    /// more or when a pending delete request affects one, applying the pending delete requests;
    /// then marks the requests that no stored data is left for as done.
    pub fn compact(&self) -> Result<CompactionReport> {
        let _serial = self.maintenance.lock();
        let mut report = CompactionReport::default();
        for (name, t) in self.tenant_list() {
            let requests = pending_requests(&t);
            for plan in self.plan(&t, &requests)? {
                let done = self.compact_partition(&name, &t, &plan, &requests)?;
                report.segments_in += done.segments_in;
                report.segments_out += done.segments_out;
                report.chunks_dropped += done.chunks_dropped;
                report.chunks_rewritten += done.chunks_rewritten;
                report.entries_deleted += done.entries_deleted;
            }
            report.deletes_done += self.finish_deletes(&name, &t)?;
        }
        Ok(report)
    }

    /// Deletes, per tenant with a `retention_period`, the segments whose newest entry is older
    /// than `now - retention_period` (`now` in ns since the epoch) and the head chunks likewise.
    pub fn apply_retention(&self, now: i64) -> Result<RetentionReport> {
        let _serial = self.maintenance.lock();
        let mut report = RetentionReport::default();
        let mut cutoffs = Vec::new();
        for (name, t) in self.tenant_list() {
            let Some(period) = self.opts.limits.for_tenant(&name).retention_period else {
                continue;
            };
            let period = i64::try_from(period.as_nanos()).unwrap_or(i64::MAX);
            let cutoff = now.saturating_sub(period);
            let expired: Vec<Arc<Segment>> = {
                let mut list = t.segments.write();
                let (old, kept) = list
                    .drain(..)
                    .partition(|s| s.reader.bounds().is_none_or(|(_, maxt)| maxt < cutoff));
                *list = kept;
                old
            };
            for s in &expired {
                let path = s.reader.path();
                report.bytes_removed += std::fs::metadata(path).map_or(0, |m| m.len());
                std::fs::remove_file(path).map_err(|e| Error::io("remove", path, e))?;
                report.segments_removed += 1;
            }
            if !expired.is_empty() {
                sync_dir(&self.tenant_segments_dir(&name))?;
            }
            cutoffs.push((t, cutoff));
        }
        // Under the flush lock, so no flush writes a chunk dropped here into a segment.
        let _flush = self.flushing.lock();
        for (t, cutoff) in &cutoffs {
            report.head_chunks_dropped += drop_expired_head(t, *cutoff);
        }
        if report.head_chunks_dropped > 0 {
            self.checkpoint()?;
        }
        Ok(report)
    }

    fn tenant_list(&self) -> Vec<(String, Arc<Tenant>)> {
        let mut list: Vec<_> = self
            .tenants
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list
    }

    fn tenant_segments_dir(&self, tenant: &str) -> PathBuf {
        self.dir.join("segments").join(tenant_dir_name(tenant))
    }

    /// The partitions of `t` to compact, each numbered for its output.
    fn plan(&self, t: &Tenant, requests: &[DeleteRequest]) -> Result<Vec<Plan>> {
        // Under the flush lock no flushed segment is numbered but not yet listed, so every
        // segment of a partition numbered below its output's number is listed here.
        let _flush = self.flushing.lock();
        let mut groups: BTreeMap<(i64, i64), Vec<Arc<Segment>>> = BTreeMap::new();
        for s in t.segments.read().iter().filter(|s| s.name.is_some()) {
            let p = s.reader.partition();
            groups.entry((p.mint, p.maxt)).or_default().push(s.clone());
        }
        let mut plans = Vec::new();
        for ((mint, maxt), inputs) in groups {
            let mut impact = Impact::default();
            for s in &inputs {
                let i = delete_impact(&s.reader, requests)?;
                impact.affected |= i.affected;
                impact.rewrite |= i.rewrite;
            }
            if inputs.len() >= 2 || impact.affected {
                plans.push(Plan {
                    partition: Partition { mint, maxt },
                    inputs,
                    seq: self.next_segment_seq.fetch_add(1, Ordering::Relaxed),
                    rewrite: impact.rewrite,
                });
            }
        }
        Ok(plans)
    }

    /// Writes the output of `plan`, puts it in place of its inputs and deletes them.
    fn compact_partition(
        &self,
        tenant: &str,
        t: &Tenant,
        plan: &Plan,
        requests: &[DeleteRequest],
    ) -> Result<CompactionReport> {
        let dir = self.tenant_segments_dir(tenant);
        let inputs = plan
            .inputs
            .iter()
            .map(|s| open_segment(s.reader.path()).map(|s| s.reader))
            .collect::<Result<Vec<_>>>()?;
        let from = plan.inputs.iter().filter_map(|s| s.name).map(|n| n.first());
        let name = SegmentName {
            seq: plan.seq,
            replaces_from: Some(from.min().unwrap_or(plan.seq)),
        }
        .file_name(plan.partition.mint);
        let decide =
            |labels: &Labels, c: &ChunkRef| DeleteRequest::action_of_all(requests, labels, c);
        let mut report = CompactionReport {
            segments_in: plan.inputs.len(),
            segments_out: 1,
            ..CompactionReport::default()
        };
        let file = if plan.rewrite {
            let merged = merge(&inputs, &dir, &format!("{name}{STAGING_SUFFIX}"), decide)?;
            let written = self.rewrite_chunks(&dir, &name, &merged, requests, &mut report);
            let staging = &merged.segment.path;
            let removed =
                std::fs::remove_file(staging).map_err(|e| Error::io("remove", staging, e));
            count_dropped(&mut report, &merged);
            let written = written?;
            removed?;
            written
        } else {
            let merged = merge(&inputs, &dir, &name, decide)?;
            count_dropped(&mut report, &merged);
            merged.segment
        };
        drop(inputs);
        let output = Arc::new(open_segment(&file.path)?);
        {
            let mut list = t.segments.write();
            list.retain(|s| !plan.inputs.iter().any(|i| Arc::ptr_eq(s, i)));
            list.push(output);
        }
        for s in &plan.inputs {
            let path = s.reader.path();
            std::fs::remove_file(path).map_err(|e| Error::io("remove", path, e))?;
        }
        sync_dir(&dir)?;
        Ok(report)
    }

    /// Writes `<dir>/<name>` from the merged segment, re-encoding the chunks it lists as
    /// needing it without the entries `requests` delete.
    fn rewrite_chunks(
        &self,
        dir: &Path,
        name: &str,
        merged: &MergeOutcome,
        requests: &[DeleteRequest],
        report: &mut CompactionReport,
    ) -> Result<SegmentFile> {
        let staged = open_segment(&merged.segment.path)?.reader;
        let to_rewrite: HashSet<u64> = merged
            .needs_rewrite
            .iter()
            .map(|c| c.chunk.offset)
            .collect();
        let mut kept: Vec<(Labels, ChunkRef)> = Vec::new();
        let mut rewritten: Vec<(Labels, Vec<u8>)> = Vec::new();
        for id in 0..staged.stream_count() {
            let Some(labels) = staged.labels(id) else {
                continue;
            };
            let hidden = hidden_ranges(requests, &labels);
            for c in staged.chunks(id, i64::MIN, i64::MAX) {
                if !to_rewrite.contains(&c.offset) {
                    kept.push((labels.clone(), *c));
                    continue;
                }
                let (pieces, removed) = rewrite_chunk(&staged, c, &hidden, &self.opts.chunk)?;
                report.chunks_rewritten += 1;
                report.entries_deleted += removed;
                rewritten.extend(pieces.into_iter().map(|p| (labels.clone(), p)));
            }
        }
        let mut streams = Vec::with_capacity(kept.len() + rewritten.len());
        for (labels, c) in &kept {
            let chunk = ChunkInput::from_ref(staged.chunk_bytes(c)?, c);
            streams.push(StreamInput {
                labels: labels.clone(),
                chunks: vec![chunk],
            });
        }
        for (labels, bytes) in &rewritten {
            streams.push(StreamInput {
                labels: labels.clone(),
                chunks: vec![ChunkInput::from_chunk(bytes)?],
            });
        }
        write_segment(dir, name, staged.tenant(), staged.partition(), &streams)
    }

    /// Marks done the pending requests of `t` that no stored data is left for; returns how
    /// many.
    fn finish_deletes(&self, tenant: &str, t: &Tenant) -> Result<usize> {
        let _writer = self.deletes_writer.lock();
        let mut records = t.deletes.read().clone();
        let mut finished = 0;
        for r in records.iter_mut().filter(|r| !r.done) {
            let request = r.request();
            // The head first: data leaves it only after its segment is listed, so whatever
            // the head held before this check is then seen in the segments.
            if head_holds(t, &request) {
                continue;
            }
            let segments = t.segments.read().clone();
            let mut clean = true;
            for s in &segments {
                if delete_impact(&s.reader, slice::from_ref(&request))?.affected {
                    clean = false;
                    break;
                }
            }
            if clean {
                r.done = true;
                finished += 1;
            }
        }
        if finished > 0 {
            self.write_deletes(tenant, &records)?;
            *t.deletes.write() = records;
        }
        Ok(finished)
    }
}

fn count_dropped(report: &mut CompactionReport, merged: &MergeOutcome) {
    report.chunks_dropped += merged.dropped.chunks;
    report.entries_deleted += merged.dropped.entries;
}

/// The entries of chunk `c` outside `hidden` (ns, inclusive), re-encoded in time order into
/// chunks split wherever a hidden range falls between two entries; with how many entries were
/// left out.
fn rewrite_chunk<B: AsRef<[u8]>>(
    segment: &SegmentReader<B>,
    c: &ChunkRef,
    hidden: &[(i64, i64)],
    opts: &ChunkOptions,
) -> Result<(Vec<Vec<u8>>, u64)> {
    let mut kept: Vec<LogEntry> = Vec::new();
    let mut removed = 0;
    for b in segment.read_chunk(c)?.blocks() {
        let block = b.decode()?;
        for e in block.entries() {
            if is_hidden(hidden, e.ts) {
                removed += 1;
                continue;
            }
            kept.push(e.to_log_entry());
        }
    }
    kept.sort_by_key(|e| e.ts);
    let now = Instant::now();
    let mut pieces = Vec::new();
    let mut open: Option<HeadChunk> = None;
    let mut previous: Option<i64> = None;
    for e in &kept {
        let split = previous.is_some_and(|p| hidden.iter().any(|&(lo, hi)| p < lo && hi < e.ts));
        if split && let Some(mut chunk) = open.take() {
            pieces.push(chunk.finish()?);
        }
        let chunk = match &mut open {
            Some(chunk) => chunk,
            None => open.insert(HeadChunk::new(opts, now)?),
        };
        let metadata: Vec<(&str, &str)> = e
            .metadata
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        chunk.append(e.ts, &e.line, &metadata, now)?;
        previous = Some(e.ts);
    }
    if let Some(mut chunk) = open {
        pieces.push(chunk.finish()?);
    }
    Ok((pieces, removed))
}

/// Drops the head chunks of `t` whose newest entry is older than `cutoff`; returns how many.
fn drop_expired_head(t: &Tenant, cutoff: i64) -> u64 {
    let mut dropped = 0;
    for s in t.head.streams() {
        let mut st = s.state.lock();
        let before = st.finished.len();
        st.finished.retain(|c| c.maxt >= cutoff);
        dropped += (before - st.finished.len()) as u64;
        let open_expired = st
            .open
            .as_ref()
            .and_then(HeadChunk::bounds)
            .is_some_and(|(_, maxt)| maxt < cutoff);
        if open_expired {
            st.open = None;
            st.open_bytes = 0;
            dropped += 1;
        }
    }
    t.head.remove_empty();
    dropped
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync", dir, e))
}

#[cfg(test)]
#[path = "compact_tests.rs"]
mod tests;
