//! Turning the head into blocks, and merging blocks into longer ones.
//!
//! Chunks are copied byte for byte whenever a series' chunks are disjoint and untouched by
//! deletions; otherwise the series' samples in range are merged (later source wins on equal
//! timestamps), deleted samples dropped, and re-encoded into chunks of at most 120 samples.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use model::{Labels, Sample};

use crate::block::meta::BlockMeta;
use crate::block::reader::Block;
use crate::block::writer::{BlockPlan, write_block};
use crate::chunk::XorChunk;
use crate::error::{Error, Result};
use crate::head::Head;
use crate::head::series::SAMPLES_PER_CHUNK;
use crate::index::ChunkMeta;
use crate::querier::series::{ChunkData, SeriesChunks, TimedChunk};

/// Writes the head's samples in `[mint, maxt_excl)` as a level-1 block in `parent`.
pub(crate) fn write_head_block(
    head: &Head,
    parent: &Path,
    mint: i64,
    maxt_excl: i64,
) -> Result<Option<BlockMeta>> {
    let maxt = maxt_excl - 1;
    let mut series: Vec<(Labels, u64)> = head
        .all_refs()
        .iter()
        .map(u64::from)
        .filter_map(|r| Some((head.labels_if_overlaps(r, mint, maxt)?, r)))
        .collect();
    series.sort_by(|a, b| a.0.cmp(&b.0));
    let labels: Vec<Labels> = series.iter().map(|s| s.0.clone()).collect();
    let plan = BlockPlan {
        mint,
        maxt: maxt_excl,
        level: 1,
        parents: Vec::new(),
    };
    write_block(parent, plan, &labels, |i, out| {
        let Some(&(_, r)) = series.get(i) else {
            return Ok(());
        };
        // Compaction runs alone with truncation, so the series is still there.
        let Some(h) = head.series_chunks(r, mint, maxt)? else {
            return Ok(());
        };
        let sc = SeriesChunks {
            labels: h.labels,
            chunks: h.chunks,
            loose: h.ooo,
            deleted: head.deleted(r),
            mint,
            maxt,
        };
        emit_chunks(sc, out)
    })
}

/// Merges `blocks` (sorted by time) into one block in `parent` whose level is one more than the
/// highest among them. Deleted samples are dropped.
pub(crate) fn merge_blocks(blocks: &[Arc<Block>], parent: &Path) -> Result<Option<BlockMeta>> {
    let mint = blocks
        .iter()
        .map(|b| b.mint())
        .min()
        .ok_or_else(|| no_blocks(parent))?;
    let maxt_excl = blocks
        .iter()
        .map(|b| b.maxt_exclusive())
        .max()
        .ok_or_else(|| no_blocks(parent))?;
    // Labels → (block index, series ref) for every block holding the series.
    let mut all: BTreeMap<Labels, Vec<(usize, u64)>> = BTreeMap::new();
    let mut scratch = Vec::new();
    for (bi, b) in blocks.iter().enumerate() {
        for r in b.index.all_postings()? {
            let labels = b.series(r, &mut scratch)?;
            all.entry(labels).or_default().push((bi, r));
        }
    }
    let (labels, sources): (Vec<Labels>, Vec<Vec<(usize, u64)>>) = all.into_iter().unzip();
    let level = blocks
        .iter()
        .map(|b| b.meta.compaction.level)
        .max()
        .unwrap_or(1)
        + 1;
    let parents = blocks.iter().map(|b| b.meta.clone()).collect();
    let plan = BlockPlan {
        mint,
        maxt: maxt_excl,
        level,
        parents,
    };
    write_block(parent, plan, &labels, |i, out| {
        let (Some(l), Some(srcs)) = (labels.get(i), sources.get(i)) else {
            return Ok(());
        };
        let mut sc = SeriesChunks {
            labels: l.clone(),
            chunks: Vec::new(),
            loose: Vec::new(),
            deleted: Vec::new(),
            mint,
            maxt: maxt_excl - 1,
        };
        let mut metas: Vec<ChunkMeta> = Vec::new();
        for &(bi, r) in srcs {
            let Some(b) = blocks.get(bi) else { continue };
            b.series(r, &mut metas)?;
            sc.add_block_chunks(b, &metas, r)?;
        }
        emit_chunks(sc, out)
    })
}

fn no_blocks(parent: &Path) -> Error {
    Error::InvalidOption {
        name: "compaction",
        reason: format!("no blocks to merge in {}", parent.display()),
    }
}

/// Pushes the chunks of one series to `out`: as they are when possible, re-encoded otherwise.
fn emit_chunks<'a>(sc: SeriesChunks<'a>, out: &mut Vec<TimedChunk<'a>>) -> Result<()> {
    let copyable = sc.loose.is_empty()
        && sc.deleted.is_empty()
        && sc.chunks.windows(2).all(|w| w[0].maxt < w[1].mint)
        && sc
            .chunks
            .iter()
            .all(|c| c.mint >= sc.mint && c.maxt <= sc.maxt);
    if copyable {
        out.extend(sc.chunks);
        return Ok(());
    }
    let samples = collect_samples(&sc)?;
    out.extend(encode_chunks(&samples));
    Ok(())
}

fn collect_samples(sc: &SeriesChunks<'_>) -> Result<Vec<Sample>> {
    let mut it = model::Series::samples(sc);
    let mut samples = Vec::new();
    while let Some(s) = it.next() {
        samples.push(s);
    }
    if let Some(e) = it.error() {
        return Err(Error::corruption(
            Path::new("<chunk>"),
            0,
            format!("while compacting series {}: {e}", sc.labels),
        ));
    }
    Ok(samples)
}

/// Encodes sorted samples into XOR chunks of at most 120 samples.
pub(crate) fn encode_chunks(samples: &[Sample]) -> Vec<TimedChunk<'static>> {
    samples
        .chunks(SAMPLES_PER_CHUNK)
        .filter_map(|part| {
            let (first, last) = (part.first()?, part.last()?);
            let mut c = XorChunk::new();
            for s in part {
                c.append(s.t, s.v);
            }
            Some(TimedChunk {
                mint: first.t,
                maxt: last.t,
                data: ChunkData::Owned(c.bytes().to_vec()),
            })
        })
        .collect()
}

/// Picks the blocks to merge next, as Prometheus's leveled compactor does: overlapping blocks
/// first; otherwise, leaving out the newest block, the first group of adjacent blocks inside one
/// aligned range (of `ranges[1..]`) that fills the range or lies wholly before the newest block.
/// Returns indexes into `metas` (sorted by min time).
pub(crate) fn plan(metas: &[&BlockMeta], ranges: &[i64]) -> Option<Vec<usize>> {
    if let Some(overlap) = overlapping(metas) {
        return Some(overlap);
    }
    let (_, candidates) = metas.split_last()?;
    let high = candidates.last()?.min_time;
    for &r in ranges.iter().skip(1) {
        let mut i = 0;
        while i < candidates.len() {
            let start = crate::head::series::range_start(candidates[i].min_time, r);
            let mut j = i;
            while j < candidates.len()
                && candidates[j].min_time >= start
                && candidates[j].max_time <= start + r
            {
                j += 1;
            }
            if j == i {
                i += 1;
                continue;
            }
            let group = &candidates[i..j];
            let (lo, hi) = (group[0].min_time, group[group.len() - 1].max_time);
            if group.len() > 1 && (hi - lo == r || hi <= high) {
                return Some((i..j).collect());
            }
            i = j;
        }
    }
    None
}

/// The first set of blocks whose time ranges overlap, if any.
fn overlapping(metas: &[&BlockMeta]) -> Option<Vec<usize>> {
    let mut group: Vec<usize> = Vec::new();
    let mut group_max = i64::MIN;
    for (i, m) in metas.iter().enumerate() {
        if !group.is_empty() && m.min_time < group_max {
            group.push(i);
            group_max = group_max.max(m.max_time);
            continue;
        }
        if group.len() > 1 {
            return Some(group);
        }
        group = vec![i];
        group_max = m.max_time;
    }
    (group.len() > 1).then_some(group)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ulid::Ulid;

    fn meta(min: i64, max: i64) -> BlockMeta {
        BlockMeta::new(
            Ulid::new(),
            min,
            max,
            Default::default(),
            Default::default(),
        )
    }

    #[test]
    fn plans_like_prometheus() {
        let h = 2;
        let ranges = [h, 3 * h, 9 * h];
        let m: Vec<BlockMeta> = (0..4).map(|i| meta(i * h, (i + 1) * h)).collect();
        let refs: Vec<&BlockMeta> = m.iter().collect();
        // Three 2h blocks fill a 6h range; the newest (4th) is left out of planning.
        assert_eq!(plan(&refs, &ranges), Some(vec![0, 1, 2]));
        // Two blocks: the newest is excluded, nothing else to do.
        assert_eq!(plan(&refs[..2], &ranges), None);
        let o = [meta(0, 4), meta(2, 6), meta(10, 12)];
        let orefs: Vec<&BlockMeta> = o.iter().collect();
        assert_eq!(plan(&orefs, &ranges), Some(vec![0, 1]));
    }

    #[test]
    fn encode_chunks_cuts_at_120() {
        let samples: Vec<Sample> = (0..250).map(|i| Sample::new(i, i as f64)).collect();
        let chunks = encode_chunks(&samples);
        let bounds: Vec<_> = chunks.iter().map(|c| (c.mint, c.maxt)).collect();
        assert_eq!(bounds, vec![(0, 119), (120, 239), (240, 249)]);
    }
}
