//! Compaction of segments: several segments of one tenant and partition become one, streams
//! with equal labels merged, each chunk kept, dropped or flagged for rewriting by the caller's
//! decision (retention and delete requests).
//!
//! A delete request (matchers and an inclusive time range) drops a chunk of a matching stream
//! that lies wholly inside its range. A chunk that only partly overlaps the range cannot be
//! dropped without losing entries outside it: it is copied unchanged and listed in
//! [`MergeOutcome::needs_rewrite`] with its reference in the new segment, so the caller can
//! re-encode it without the deleted entries and replace it (for example by merging the new
//! segment with one holding the rewritten chunk, dropping the original by its reference).
//! Until then queries still see the deleted entries of such chunks.
#![deny(clippy::indexing_slicing)]

use std::path::Path;

use model::{Labels, Matcher};

use super::format::{ChunkRef, IndexStats, invalid_input};
use super::reader::SegmentReader;
use super::writer::{ChunkInput, SegmentFile, SegmentWriter, write_file};
use crate::error::Result;

/// What a merge does with one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChunkAction {
    /// Copy it.
    Keep,
    /// Copy it and report it in [`MergeOutcome::needs_rewrite`]: some of its entries are to
    /// be removed, which takes re-encoding it.
    Rewrite,
    /// Leave it out.
    Drop,
}

/// A request to delete the entries of the streams `matchers` select with
/// `mint <= ts <= maxt` (ns, inclusive), as Loki's delete API takes it.
#[derive(Debug, Clone)]
pub struct DeleteRequest {
    /// Which streams (all must match; an absent label matches as `""`).
    pub matchers: Vec<Matcher>,
    /// First nanosecond deleted.
    pub mint: i64,
    /// Last nanosecond deleted.
    pub maxt: i64,
}

impl DeleteRequest {
    /// What this request does to `chunk` of stream `labels`: nothing when the stream does
    /// not match or the chunk is outside the range, drop when the chunk is wholly inside,
    /// rewrite when it overlaps the range partly.
    pub fn action(&self, labels: &Labels, chunk: &ChunkRef) -> ChunkAction {
        let selected = self
            .matchers
            .iter()
            .all(|m| m.matches(labels.get(m.name()).unwrap_or("")));
        if !selected || !chunk.overlaps(self.mint, self.maxt) {
            ChunkAction::Keep
        } else if self.mint <= chunk.mint && chunk.maxt <= self.maxt {
            ChunkAction::Drop
        } else {
            ChunkAction::Rewrite
        }
    }

    /// The strongest action any of `requests` takes on `chunk` (drop over rewrite over keep).
    pub fn action_of_all(
        requests: &[DeleteRequest],
        labels: &Labels,
        chunk: &ChunkRef,
    ) -> ChunkAction {
        requests
            .iter()
            .map(|r| r.action(labels, chunk))
            .max()
            .unwrap_or(ChunkAction::Keep)
    }
}

/// A chunk a merge copied that needs re-encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewriteCandidate {
    /// Its stream.
    pub labels: Labels,
    /// Where it is in the new segment.
    pub chunk: ChunkRef,
}

/// What a merge wrote and left out.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The new segment.
    pub segment: SegmentFile,
    /// Chunks, entries and bytes left out ([`ChunkAction::Drop`]); `streams` counts streams
    /// none of whose chunks were kept.
    pub dropped: IndexStats,
    /// Chunks copied that the caller should re-encode, in the order written.
    pub needs_rewrite: Vec<RewriteCandidate>,
}

/// Writes `<dir>/<name>` holding every stream and chunk of `inputs` (all of one tenant and
/// partition), as `write_segment` does, asking `decide` about each chunk (with its reference
/// in its input segment). Every input's chunks section is checked against its checksum first,
/// so damage is never copied into a file with fresh checksums.
pub fn merge<B: AsRef<[u8]>>(
    inputs: &[SegmentReader<B>],
    dir: &Path,
    name: &str,
    mut decide: impl FnMut(&Labels, &ChunkRef) -> ChunkAction,
) -> Result<MergeOutcome> {
    let Some(first) = inputs.first() else {
        return Err(invalid_input("merge inputs", "no segments to merge"));
    };
    for input in inputs {
        if input.tenant() != first.tenant() || input.partition() != first.partition() {
            let reason = format!(
                "{} is tenant {:?} partition {:?}, {} is {:?} {:?}",
                input.path().display(),
                input.tenant(),
                input.partition(),
                first.path().display(),
                first.tenant(),
                first.partition()
            );
            return Err(invalid_input("merge inputs", reason));
        }
        input.verify_chunks()?;
    }
    let (segment, (dropped, needs_rewrite)) =
        write_file(dir, name, first.tenant(), first.partition(), |w| {
            copy_streams(inputs, w, &mut decide)
        })?;
    Ok(MergeOutcome {
        segment,
        dropped,
        needs_rewrite,
    })
}

/// Walks the inputs' streams in label order (each input's ids are in label order), writing
/// the chunks of each distinct label set sorted by `mint`.
fn copy_streams<B: AsRef<[u8]>, W: std::io::Write>(
    inputs: &[SegmentReader<B>],
    w: &mut SegmentWriter<W>,
    decide: &mut impl FnMut(&Labels, &ChunkRef) -> ChunkAction,
) -> Result<(IndexStats, Vec<RewriteCandidate>)> {
    let mut cursors: Vec<(u32, Option<Labels>)> = inputs.iter().map(|r| (0, r.labels(0))).collect();
    let mut dropped = IndexStats::default();
    let mut rewrite = Vec::new();
    while let Some(labels) = cursors
        .iter()
        .filter_map(|(_, l)| l.as_ref())
        .min()
        .cloned()
    {
        let mut chunks: Vec<(&SegmentReader<B>, &ChunkRef)> = Vec::new();
        for ((id, head), input) in cursors.iter_mut().zip(inputs) {
            if head.as_ref() == Some(&labels) {
                chunks.extend(input.stream_refs(*id).iter().map(|r| (input, r)));
                *id += 1;
                *head = input.labels(*id);
            }
        }
        chunks.sort_by_key(|(_, r)| (r.mint, r.maxt));
        let mut kept = false;
        for (input, r) in chunks {
            let action = decide(&labels, r);
            if action == ChunkAction::Drop {
                dropped.add_chunk(r);
                continue;
            }
            let input_chunk = ChunkInput::from_ref(input.chunk_bytes(r)?, r);
            let written = w.add_chunk(&labels, &input_chunk)?;
            kept = true;
            if action == ChunkAction::Rewrite {
                rewrite.push(RewriteCandidate {
                    labels: labels.clone(),
                    chunk: written,
                });
            }
        }
        if !kept {
            dropped.streams += 1;
        }
    }
    Ok((dropped, rewrite))
}
