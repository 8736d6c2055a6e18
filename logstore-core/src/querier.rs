//! Reads of a [`LogStore`] through `model::logs::LogQuerier`: streams picked by matchers from the
//! heads and from every segment's label index, their blocks merged in time order with the line
//! filter pushed into the scan.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use model::logs::{
    Direction as ModelDirection, IndexStats, LineFilterChain, LineFilterOp, LogIterator,
    LogQuerier, LogSelect, ScanStats, Volume, VolumeAggregation, VolumeKey, VolumeRequest,
    matches_all,
};
use model::{Labels, LabelsBuilder, Matcher, StorageError};

use crate::db::{LogStore, Segment, Tenant};
use crate::error::Result;
use crate::filter::{Direction, FilterOp, LineFilter};
use crate::head::StreamSnapshot;
use crate::merge::{BlockSource, ChunkSource, MemoryChunk, MergedEntries, StreamCursor};
use crate::segment::ChunkRef;

/// A chunk inside a segment file.
struct SegmentChunk {
    segment: Arc<Segment>,
    chunk: ChunkRef,
}

impl ChunkSource for SegmentChunk {
    fn chunk_bytes(&self) -> Result<&[u8]> {
        self.segment.reader.chunk_bytes(&self.chunk)
    }
    fn is_flushed(&self) -> bool {
        true
    }
}

/// What one selected stream has in a range, before any block is decoded.
#[derive(Default)]
struct Found {
    blocks: Vec<BlockSource>,
    stats: IndexStats,
}

fn wrap(e: crate::Error) -> StorageError {
    StorageError::wrap("log store", e)
}

/// Compiles the engine's filter description into the scan's filter.
fn compile(chain: &LineFilterChain) -> Result<LineFilter> {
    let stages: Vec<(FilterOp, Vec<&str>)> = chain
        .stages
        .iter()
        .map(|s| {
            let op = match s.op {
                LineFilterOp::Contains => FilterOp::Contains,
                LineFilterOp::NotContains => FilterOp::NotContains,
                LineFilterOp::Matches => FilterOp::Matches,
                LineFilterOp::NotMatches => FilterOp::NotMatches,
            };
            (op, s.patterns.iter().map(String::as_str).collect())
        })
        .collect();
    let borrowed: Vec<(FilterOp, &[&str])> =
        stages.iter().map(|(op, p)| (*op, p.as_slice())).collect();
    LineFilter::compile(&borrowed)
}

impl LogStore {
    /// Every stream of `tenant` the matchers select with data in `[mint, maxt]` (inclusive),
    /// with its blocks there. `with_blocks` false gathers only statistics.
    fn find(
        &self,
        tenant: &Tenant,
        matchers: &[Matcher],
        (mint, maxt): (i64, i64),
        with_blocks: bool,
    ) -> Result<BTreeMap<Labels, Found>> {
        let mut found: BTreeMap<Labels, Found> = BTreeMap::new();
        if matchers.is_empty() || mint > maxt {
            return Ok(found);
        }
        // Flushed data first, then the head's: blocks that start at the same time are loaded in
        // this order, which is the order their entries were stored in.
        let segments: Vec<Arc<Segment>> = tenant.segments.read().clone();
        for seg in segments {
            let r = &seg.reader;
            if r.bounds().is_none_or(|(lo, hi)| hi < mint || lo > maxt) {
                continue;
            }
            for id in r.streams_matching(matchers)? {
                let Some(labels) = r.labels(id) else {
                    continue;
                };
                let mut f = Found::default();
                let chunks: Vec<ChunkRef> = r.chunks(id, mint, maxt).copied().collect();
                for c in chunks {
                    f.stats.chunks += 1;
                    f.stats.entries += c.entries;
                    f.stats.bytes += c.entry_bytes;
                    if with_blocks {
                        let source: Arc<dyn ChunkSource> = Arc::new(SegmentChunk {
                            segment: seg.clone(),
                            chunk: c,
                        });
                        f.blocks
                            .extend(BlockSource::from_chunk(source, mint, maxt)?);
                    }
                }
                if f.stats.chunks > 0 {
                    merge_found(&mut found, labels, f);
                }
            }
        }
        for s in tenant.head.streams() {
            if !matches_all(&s.labels, matchers) {
                continue;
            }
            let st = s.state.lock();
            let mut f = Found {
                blocks: Vec::new(),
                stats: st.stats(mint, maxt),
            };
            // Label and stats calls stop here: the blocks are copied only for reads.
            let snap = if with_blocks {
                st.snapshot(mint, maxt)?
            } else {
                StreamSnapshot::default()
            };
            drop(st);
            for c in snap.finished {
                let source: Arc<dyn ChunkSource> = Arc::new(MemoryChunk(c.bytes));
                f.blocks
                    .extend(BlockSource::from_chunk(source, mint, maxt)?);
            }
            f.blocks
                .extend(snap.sealed.into_iter().map(BlockSource::Sealed));
            f.blocks
                .extend(snap.open.and_then(BlockSource::from_decoded));
            if f.stats.chunks > 0 {
                merge_found(&mut found, s.labels.clone(), f);
            }
        }
        for f in found.values_mut() {
            f.stats.streams = 1;
        }
        Ok(found)
    }

    fn found_in(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        matchers: &[Matcher],
    ) -> std::result::Result<BTreeMap<Labels, Found>, StorageError> {
        let Some(t) = self.existing_tenant(tenant) else {
            return Ok(BTreeMap::new());
        };
        if start >= end {
            return Ok(BTreeMap::new());
        }
        self.find(&t, matchers, (start, end - 1), false)
            .map_err(wrap)
    }
}

impl LogStore {
    /// Like `found_in`, with every stream selected when `matchers` is empty (the label calls'
    /// contract).
    fn found_or_all(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        matchers: &[Matcher],
    ) -> std::result::Result<BTreeMap<Labels, Found>, StorageError> {
        if matchers.is_empty() {
            self.found_in(tenant, start, end, &everything()?)
        } else {
            self.found_in(tenant, start, end, matchers)
        }
    }
}

fn merge_found(found: &mut BTreeMap<Labels, Found>, labels: Labels, f: Found) {
    let entry = found.entry(labels).or_default();
    entry.blocks.extend(f.blocks);
    entry.stats.chunks += f.stats.chunks;
    entry.stats.entries += f.stats.entries;
    entry.stats.bytes += f.stats.bytes;
}

/// The iterator [`LogStore::select`] returns.
struct Select {
    merged: MergedEntries,
    done: bool,
}

impl Iterator for Select {
    type Item = std::result::Result<(Labels, model::logs::LogEntry), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.merged.next_entry() {
            Ok(Some(x)) => Some(Ok(x)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(wrap(e)))
            }
        }
    }
}

impl LogIterator for Select {
    fn stats(&self) -> ScanStats {
        self.merged.stats()
    }
}

/// A matcher group that selects every stream (`{__name__=~".*"}` would not: `__name__` is
/// absent from log streams, which matches ".*" too — so this works).
fn everything() -> std::result::Result<Vec<Matcher>, StorageError> {
    Matcher::new(model::MatchType::Regex, "__name__", ".*")
        .map(|m| vec![m])
        .map_err(|e| StorageError::wrap("matcher", e))
}

impl LogQuerier for LogStore {
    fn select(
        &self,
        request: &LogSelect,
    ) -> std::result::Result<Box<dyn LogIterator + '_>, StorageError> {
        let filter = Arc::new(compile(&request.filter).map_err(wrap)?);
        let direction = match request.direction {
            ModelDirection::Forward => Direction::Forward,
            ModelDirection::Backward => Direction::Backward,
        };
        let mut cursors = Vec::new();
        if let Some(t) = self.existing_tenant(&request.tenant)
            && request.start < request.end
        {
            let range = (request.start, request.end - 1);
            // Read before the data: a request that is done by the time the data is found has
            // been applied to every segment found.
            let deletes = crate::compact::pending_requests(&t);
            let found = self
                .find(&t, &request.matchers, range, true)
                .map_err(wrap)?;
            for (labels, f) in found {
                let hidden = crate::compact::hidden_ranges(&deletes, &labels);
                cursors.push(
                    StreamCursor::new(labels, f.blocks, range, direction, filter.clone())
                        .hiding(hidden),
                );
            }
        }
        Ok(Box::new(Select {
            merged: MergedEntries::new(cursors, direction, request.limit),
            done: false,
        }))
    }

    fn label_names(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        matchers: &[Matcher],
    ) -> std::result::Result<Vec<String>, StorageError> {
        let found = self.found_or_all(tenant, start, end, matchers)?;
        let names: BTreeSet<String> = found
            .keys()
            .flat_map(|l| l.iter().map(|(n, _)| n.to_owned()).collect::<Vec<_>>())
            .collect();
        Ok(names.into_iter().collect())
    }

    fn label_values(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        name: &str,
        matchers: &[Matcher],
    ) -> std::result::Result<Vec<String>, StorageError> {
        let found = self.found_or_all(tenant, start, end, matchers)?;
        let values: BTreeSet<String> = found
            .keys()
            .filter_map(|l| l.get(name).map(str::to_owned))
            .collect();
        Ok(values.into_iter().collect())
    }

    fn series(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        groups: &[Vec<Matcher>],
    ) -> std::result::Result<Vec<Labels>, StorageError> {
        let mut out = BTreeSet::new();
        for g in groups {
            out.extend(self.found_in(tenant, start, end, g)?.into_keys());
        }
        Ok(out.into_iter().collect())
    }

    fn index_stats(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        matchers: &[Matcher],
    ) -> std::result::Result<IndexStats, StorageError> {
        let found = self.found_in(tenant, start, end, matchers)?;
        let mut total = IndexStats::default();
        for f in found.values() {
            total.streams += 1;
            total.chunks += f.stats.chunks;
            total.entries += f.stats.entries;
            total.bytes += f.stats.bytes;
        }
        Ok(total)
    }

    fn volume(&self, request: &VolumeRequest) -> std::result::Result<Vec<Volume>, StorageError> {
        let found = self.found_in(
            &request.tenant,
            request.start,
            request.end,
            &request.matchers,
        )?;
        let names = request.grouping_labels();
        let mut groups: HashMap<VolumeKey, u64> = HashMap::new();
        for (labels, f) in &found {
            match request.aggregate_by {
                VolumeAggregation::Series => {
                    let mut b = LabelsBuilder::new();
                    for n in &names {
                        if let Some(v) = labels.get(n) {
                            b.push(n, v);
                        }
                    }
                    let key = b
                        .build()
                        .map_err(|e| StorageError::wrap("volume group", e))?;
                    *groups.entry(VolumeKey::Series(key)).or_default() += f.stats.bytes;
                }
                VolumeAggregation::Labels => {
                    for n in &names {
                        if labels.get(n).is_some() {
                            *groups.entry(VolumeKey::Label((*n).to_owned())).or_default() +=
                                f.stats.bytes;
                        }
                    }
                }
            }
        }
        let mut out: Vec<Volume> = groups
            .into_iter()
            .filter(|(_, bytes)| *bytes > 0)
            .map(|(key, bytes)| Volume { key, bytes })
            .collect();
        out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.key.cmp(&b.key)));
        if let Some(n) = request.limit {
            out.truncate(n);
        }
        Ok(out)
    }
}
