//! Reading across the head and every block that overlaps a time range.
//!
//! A [`Querier`] holds the blocks and head it reads (reference-counted, so compaction and retention
//! may replace or delete them meanwhile: a deleted block's memory map stays readable until the
//! querier is dropped). `select` resolves matchers per source, merges series with equal labels
//! across sources, and yields them sorted by labels.

pub(crate) mod series;

use std::sync::Arc;

use model::{Labels, Matcher, SeriesQuerier, SeriesSet, StorageError};

use crate::block::reader::Block;
use crate::error::Result;
use crate::head::{Head, ReaderGuard};
use crate::index::ChunkMeta;
use crate::postings::postings_for_matchers;
use series::SeriesChunks;

/// Reads series with samples in `[mint, maxt]` (inclusive, ms).
pub struct Querier {
    head: Option<Arc<Head>>,
    /// Keeps head truncation from removing data this querier may still read.
    _reading: Option<ReaderGuard>,
    blocks: Vec<Arc<Block>>,
    mint: i64,
    maxt: i64,
}

/// Where one source holds a selected series.
enum Source {
    Block {
        block: usize,
        chunks: Vec<ChunkMeta>,
        series_ref: u64,
    },
    /// A head series, by reference.
    Head(u64),
}

impl Querier {
    /// A querier over `head` and `blocks`. `reading` is the head reader registration, which the
    /// caller takes *before* reading the block list, so a head truncation either waits for this
    /// querier or happened after the block it needs joined the list.
    pub(crate) fn new(
        head: Option<Arc<Head>>,
        reading: Option<ReaderGuard>,
        blocks: Vec<Arc<Block>>,
        mint: i64,
        maxt: i64,
    ) -> Self {
        let blocks = blocks
            .into_iter()
            .filter(|b| b.overlaps(mint, maxt))
            .collect();
        let head = head.filter(|h| match (h.min_time(), h.max_time()) {
            (Some(lo), Some(hi)) => lo <= maxt && mint <= hi,
            _ => false,
        });
        Self {
            head,
            _reading: reading,
            blocks,
            mint,
            maxt,
        }
    }

    /// The inclusive time range this querier reads.
    pub fn range(&self) -> (i64, i64) {
        (self.mint, self.maxt)
    }

    /// The selected series of every source, sorted by labels, equal labels adjacent in source
    /// order (blocks by time, then the head).
    fn matching(&self, matchers: &[Matcher]) -> Result<Vec<(Labels, Source)>> {
        let mut found = Vec::new();
        for (bi, block) in self.blocks.iter().enumerate() {
            for r in postings_for_matchers(&**block, matchers)? {
                let r = u64::from(r);
                let mut chunks = Vec::new();
                let labels = block.series(r, &mut chunks)?;
                chunks.retain(|c| c.maxt >= self.mint && c.mint <= self.maxt);
                if !chunks.is_empty() {
                    found.push((
                        labels,
                        Source::Block {
                            block: bi,
                            chunks,
                            series_ref: r,
                        },
                    ));
                }
            }
        }
        if let Some(head) = &self.head {
            for r in postings_for_matchers(&**head, matchers)? {
                let r = u64::from(r);
                if let Some(labels) = head.labels_if_overlaps(r, self.mint, self.maxt) {
                    found.push((labels, Source::Head(r)));
                }
            }
        }
        // Stable: keeps source order among equal labels; block runs are already sorted.
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }

    fn load(&self, labels: Labels, sources: Vec<Source>) -> Result<SeriesChunks<'_>> {
        let mut out = SeriesChunks {
            labels,
            chunks: Vec::new(),
            loose: Vec::new(),
            deleted: Vec::new(),
            mint: self.mint,
            maxt: self.maxt,
        };
        for src in sources {
            match src {
                Source::Block {
                    block,
                    chunks,
                    series_ref,
                } => {
                    let Some(b) = self.blocks.get(block) else {
                        continue;
                    };
                    out.add_block_chunks(b, &chunks, series_ref)?;
                }
                Source::Head(r) => {
                    // A series truncated away since `select` has moved to a block this querier
                    // does not see; like Prometheus, the querier shows what it was opened on.
                    if let Some(head) = &self.head
                        && let Some(h) = head.series_chunks(r, self.mint, self.maxt)?
                    {
                        out.chunks.extend(h.chunks);
                        out.loose.extend(h.ooo);
                        out.add_deleted(head.deleted(r));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Labels of the series selected by `matchers` in every source, deduplicated.
    fn labels_of(&self, matchers: &[Matcher]) -> Result<Vec<Labels>> {
        let mut labels: Vec<Labels> = self
            .matching(matchers)?
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        labels.dedup();
        Ok(labels)
    }
}

impl SeriesQuerier for Querier {
    fn select(&self, matchers: &[Matcher]) -> std::result::Result<SeriesSet<'_>, StorageError> {
        let found = self
            .matching(matchers)
            .map_err(|e| StorageError::wrap("select", e))?;
        let mut groups: Vec<(Labels, Vec<Source>)> = Vec::new();
        for (labels, src) in found {
            match groups.last_mut() {
                Some((l, srcs)) if *l == labels => srcs.push(src),
                _ => groups.push((labels, vec![src])),
            }
        }
        Ok(Box::new(groups.into_iter().map(
            move |(labels, sources)| {
                self.load(labels, sources)
                    .map(|s| Box::new(s) as Box<dyn model::Series + '_>)
                    .map_err(|e| StorageError::wrap("load series", e))
            },
        )))
    }

    fn label_names(&self, matchers: &[Matcher]) -> std::result::Result<Vec<String>, StorageError> {
        let wrap = |e| StorageError::wrap("label names", e);
        let mut names: Vec<String> = Vec::new();
        if matchers.is_empty() {
            for b in &self.blocks {
                names.extend(b.index.label_names().map_err(wrap)?);
            }
            if let Some(head) = &self.head {
                names.extend(head.label_names_of(&head.all_refs()));
            }
        } else {
            for l in self.labels_of(matchers).map_err(wrap)? {
                names.extend(l.iter().map(|(n, _)| n.to_owned()));
            }
        }
        names.sort_unstable();
        names.dedup();
        Ok(names)
    }

    fn label_values(
        &self,
        name: &str,
        matchers: &[Matcher],
    ) -> std::result::Result<Vec<String>, StorageError> {
        let wrap = |e| StorageError::wrap("label values", e);
        let mut values: Vec<String> = Vec::new();
        if matchers.is_empty() {
            for b in &self.blocks {
                values.extend(b.index.label_values(name).map_err(wrap)?);
            }
            if let Some(head) = &self.head {
                values.extend(head.label_values_of(name, &head.all_refs()));
            }
        } else {
            for l in self.labels_of(matchers).map_err(wrap)? {
                values.extend(l.get(name).map(str::to_owned));
            }
        }
        values.sort_unstable();
        values.dedup();
        Ok(values)
    }
}
