//! [`VecLogQuerier`]: the log-reading trait over entries held in memory.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Direction, IndexStats, LogEntry, LogIterator, LogQuerier, LogSelect, ScanStats, Volume,
    VolumeAggregation, VolumeKey, VolumeRequest, matches_all,
};
use crate::{Labels, Matcher, StorageError};

/// A [`LogQuerier`] over entries held in memory, for tests of the query engine and small
/// adapters.
///
/// Each stream counts as one head chunk holding all its entries, so its figures are exact:
/// `index_stats` and `volume` count only entries in the range, and a select scans every entry of
/// the selected streams in the range when it starts (its [`LogIterator::stats`] are final from
/// the first item on).
#[derive(Debug, Clone, Default)]
pub struct VecLogQuerier {
    /// tenant → stream → entries in the order they were pushed (any timestamp order).
    tenants: BTreeMap<String, BTreeMap<Labels, Vec<LogEntry>>>,
}

impl VecLogQuerier {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `entry` at the end of `stream` of `tenant`; entries need not come in time order.
    pub fn push(&mut self, tenant: &str, stream: &Labels, entry: LogEntry) {
        self.stream_mut(tenant, stream).push(entry);
    }

    /// Stores `entries`, in order, at the end of `stream` of `tenant`.
    pub fn push_all(
        &mut self,
        tenant: &str,
        stream: &Labels,
        entries: impl IntoIterator<Item = LogEntry>,
    ) {
        self.stream_mut(tenant, stream).extend(entries);
    }

    fn stream_mut(&mut self, tenant: &str, stream: &Labels) -> &mut Vec<LogEntry> {
        self.tenants
            .entry(tenant.to_owned())
            .or_default()
            .entry(stream.clone())
            .or_default()
    }

    /// The tenant's streams, in label order, that pass every matcher (all when `matchers` is
    /// empty) and have an entry in `[start, end)`.
    fn streams<'s, 'm>(
        &'s self,
        tenant: &str,
        start: i64,
        end: i64,
        matchers: &'m [Matcher],
    ) -> impl Iterator<Item = (&'s Labels, &'s [LogEntry])> + use<'s, 'm> {
        self.tenants
            .get(tenant)
            .into_iter()
            .flatten()
            .filter(move |(labels, entries)| {
                matches_all(labels, matchers) && entries.iter().any(|e| in_range(e.ts, start, end))
            })
            .map(|(labels, entries)| (labels, entries.as_slice()))
    }
}

fn in_range(ts: i64, start: i64, end: i64) -> bool {
    start <= ts && ts < end
}

/// Sum of [`LogEntry::size`] over the entries in `[start, end)`.
fn bytes_in_range(entries: &[LogEntry], start: i64, end: i64) -> u64 {
    entries
        .iter()
        .filter(|e| in_range(e.ts, start, end))
        .map(|e| e.size() as u64)
        .sum()
}

impl LogQuerier for VecLogQuerier {
    fn select(&self, request: &LogSelect) -> Result<Box<dyn LogIterator + '_>, StorageError> {
        let filter = request
            .filter
            .compile()
            .map_err(|e| StorageError::wrap("line filter", e))?;
        let (start, end) = (request.start, request.end);
        let mut stats = ScanStats::default();
        // Sort key (ts, stream rank in label order, arrival index) gives the forward order.
        let mut rows: Vec<(i64, usize, usize, &Labels, &LogEntry)> = Vec::new();
        if !request.matchers.is_empty() {
            let streams = self.streams(&request.tenant, start, end, &request.matchers);
            for (rank, (labels, entries)) in streams.enumerate() {
                stats.head.chunks += 1;
                for (arrival, entry) in entries.iter().enumerate() {
                    if !in_range(entry.ts, start, end) {
                        continue;
                    }
                    stats.head.lines += 1;
                    stats.head.bytes += entry.line.len() as u64;
                    stats.head.structured_metadata_bytes += entry.metadata_size() as u64;
                    if filter.matches(&entry.line) {
                        stats.post_filter_lines += 1;
                        rows.push((entry.ts, rank, arrival, labels, entry));
                    }
                }
            }
        }
        rows.sort_unstable_by_key(|&(ts, rank, arrival, _, _)| (ts, rank, arrival));
        if request.direction == Direction::Backward {
            rows.reverse();
        }
        if let Some(limit) = request.limit {
            rows.truncate(limit);
        }
        let rows: Vec<_> = rows.into_iter().map(|(_, _, _, l, e)| (l, e)).collect();
        Ok(Box::new(VecLogIterator {
            rows: rows.into_iter(),
            stats,
        }))
    }

    fn label_names(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        matchers: &[Matcher],
    ) -> Result<Vec<String>, StorageError> {
        let mut names = BTreeSet::new();
        for (labels, _) in self.streams(tenant, start, end, matchers) {
            names.extend(labels.iter().map(|(n, _)| n));
        }
        Ok(names.into_iter().map(str::to_owned).collect())
    }

    fn label_values(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        name: &str,
        matchers: &[Matcher],
    ) -> Result<Vec<String>, StorageError> {
        let values: BTreeSet<&str> = self
            .streams(tenant, start, end, matchers)
            .filter_map(|(labels, _)| labels.get(name))
            .collect();
        Ok(values.into_iter().map(str::to_owned).collect())
    }

    fn series(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        groups: &[Vec<Matcher>],
    ) -> Result<Vec<Labels>, StorageError> {
        let mut selected = BTreeSet::new();
        for group in groups.iter().filter(|g| !g.is_empty()) {
            selected.extend(self.streams(tenant, start, end, group).map(|(l, _)| l));
        }
        Ok(selected.into_iter().cloned().collect())
    }

    fn index_stats(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        matchers: &[Matcher],
    ) -> Result<IndexStats, StorageError> {
        let mut stats = IndexStats::default();
        if matchers.is_empty() {
            return Ok(stats);
        }
        for (_, entries) in self.streams(tenant, start, end, matchers) {
            stats.streams += 1;
            stats.chunks += 1;
            let in_range = entries.iter().filter(|e| in_range(e.ts, start, end));
            stats.entries += in_range.count() as u64;
            stats.bytes += bytes_in_range(entries, start, end);
        }
        Ok(stats)
    }

    fn volume(&self, request: &VolumeRequest) -> Result<Vec<Volume>, StorageError> {
        if request.matchers.is_empty() {
            return Ok(Vec::new());
        }
        let names = request.grouping_labels();
        let mut groups: BTreeMap<VolumeKey, u64> = BTreeMap::new();
        let (start, end) = (request.start, request.end);
        for (labels, entries) in self.streams(&request.tenant, start, end, &request.matchers) {
            let bytes = bytes_in_range(entries, start, end);
            match request.aggregate_by {
                VolumeAggregation::Series => {
                    *groups
                        .entry(VolumeKey::Series(labels.keep_only(&names)))
                        .or_default() += bytes;
                }
                VolumeAggregation::Labels => {
                    for name in names.iter().filter(|n| labels.get(n).is_some()) {
                        *groups
                            .entry(VolumeKey::Label((*name).to_owned()))
                            .or_default() += bytes;
                    }
                }
            }
        }
        let mut volumes: Vec<Volume> = groups
            .into_iter()
            .filter(|&(_, bytes)| bytes > 0)
            .map(|(key, bytes)| Volume { key, bytes })
            .collect();
        // Stable sort: the map's key order breaks ties.
        volumes.sort_by_key(|v| std::cmp::Reverse(v.bytes));
        if let Some(limit) = request.limit {
            volumes.truncate(limit);
        }
        Ok(volumes)
    }
}

/// The entries of a [`VecLogQuerier`] select, already in order.
struct VecLogIterator<'a> {
    rows: std::vec::IntoIter<(&'a Labels, &'a LogEntry)>,
    stats: ScanStats,
}

impl Iterator for VecLogIterator<'_> {
    type Item = Result<(Labels, LogEntry), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows
            .next()
            .map(|(labels, entry)| Ok((labels.clone(), entry.clone())))
    }
}

impl LogIterator for VecLogIterator<'_> {
    fn stats(&self) -> ScanStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{LineFilterChain, LineFilterOp};
    use crate::{MatchType, Matcher};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied()).unwrap()
    }

    fn select_all(q: &VecLogQuerier, req: &LogSelect) -> Vec<(Labels, LogEntry)> {
        q.select(req).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn passes_the_conformance_suite() {
        let mut q = VecLogQuerier::new();
        for (tenant, stream, entries) in crate::logs::conformance::fixture() {
            q.push_all(&tenant, &stream, entries);
        }
        crate::logs::conformance::check(&q);
    }

    #[test]
    fn unordered_pushes_come_out_in_time_order() {
        let mut q = VecLogQuerier::new();
        let s = labels(&[("job", "a")]);
        for (arrival, ts) in [30, 10, 20, 10].into_iter().enumerate() {
            q.push("t", &s, LogEntry::new(ts, arrival.to_string()));
        }
        let req = LogSelect::new("t", vec![Matcher::equal("job", "a")], 0, 100);
        let got: Vec<(i64, Vec<u8>)> = select_all(&q, &req)
            .into_iter()
            .map(|(_, e)| (e.ts, e.line))
            .collect();
        let want = [(10, "1"), (10, "3"), (20, "2"), (30, "0")];
        let want: Vec<(i64, Vec<u8>)> = want.iter().map(|&(t, l)| (t, l.into())).collect();
        assert_eq!(got, want, "equal timestamps keep arrival order");
    }

    #[test]
    fn stats_count_entries_in_range_of_selected_streams() {
        let mut q = VecLogQuerier::new();
        let a = labels(&[("job", "a")]);
        let b = labels(&[("job", "b")]);
        q.push(
            "t",
            &a,
            LogEntry::new(1, "error x").with_metadata("k", "vv"),
        );
        q.push("t", &a, LogEntry::new(2, "fine"));
        q.push("t", &a, LogEntry::new(9, "error out of range"));
        q.push("t", &b, LogEntry::new(1, "error other stream"));
        let mut req = LogSelect::new("t", vec![Matcher::equal("job", "a")], 0, 5);
        req.filter = LineFilterChain::new().then(LineFilterOp::Contains, ["error"]);
        let it = q.select(&req).unwrap();
        let stats = it.stats();
        assert_eq!(stats.head.chunks, 1);
        assert_eq!(stats.head.lines, 2);
        assert_eq!(stats.head.bytes, 11);
        assert_eq!(stats.head.structured_metadata_bytes, 3);
        assert_eq!(stats.post_filter_lines, 1);
        assert_eq!(stats.store, Default::default());
        assert_eq!(it.count(), 1);
    }

    #[test]
    fn metadata_queries_count_only_entries_in_range() {
        let mut q = VecLogQuerier::new();
        let a = labels(&[("job", "a"), ("team", "x")]);
        q.push("t", &a, LogEntry::new(1, "1234"));
        q.push("t", &a, LogEntry::new(50, "123456"));
        let m = vec![Matcher::new(MatchType::Regex, "job", ".+").unwrap()];
        let stats = q.index_stats("t", 0, 10, &m).unwrap();
        assert_eq!(
            stats,
            IndexStats {
                streams: 1,
                chunks: 1,
                entries: 1,
                bytes: 4
            }
        );
        let req = VolumeRequest {
            tenant: "t".into(),
            matchers: m,
            start: 40,
            end: 60,
            target_labels: Vec::new(),
            aggregate_by: VolumeAggregation::Series,
            limit: None,
        };
        let v = q.volume(&req).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].bytes, 6);
        assert_eq!(v[0].key, VolumeKey::Series(labels(&[("job", "a")])));
    }
}
