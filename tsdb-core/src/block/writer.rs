//! Writing a block: chunks, index, tombstones and `meta.json` go into `<ulid>.tmp-for-creation`,
//! are fsynced, and the directory is renamed to `<ulid>`; a crash leaves either no block or a
//! whole one (leftover `.tmp-for-creation` directories are removed on open).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use model::Labels;
use ulid::Ulid;

use super::meta::{BlockMeta, BlockStats, Compaction};
use super::tombstones::Tombstones;
use crate::chunk::ENCODING_XOR;
use crate::chunk_files::BlockChunkWriter;
use crate::error::{Error, Result};
use crate::index::{ChunkMeta, IndexWriter};
use crate::querier::series::TimedChunk;

/// Suffix of a block directory being written.
pub(crate) const TMP_SUFFIX: &str = ".tmp-for-creation";

/// What a new block is made from, besides its series.
pub(crate) struct BlockPlan {
    /// Inclusive start of the block's range.
    pub mint: i64,
    /// Exclusive end of the block's range, as Prometheus's `maxTime`.
    pub maxt: i64,
    /// Compaction level (1 for blocks cut from the head or imported).
    pub level: u32,
    /// Blocks this one replaces (empty for level 1).
    pub parents: Vec<BlockMeta>,
}

/// Writes a block into `parent` from `series` (sorted by labels, unique) and their chunks, which
/// `chunks_of` fills for series `i`. Series left without chunks are skipped. Returns `None`, and
/// leaves nothing behind, when no series has a chunk.
pub(crate) fn write_block<'c>(
    parent: &Path,
    plan: BlockPlan,
    series: &[Labels],
    mut chunks_of: impl FnMut(usize, &mut Vec<TimedChunk<'c>>) -> Result<()>,
) -> Result<Option<BlockMeta>> {
    let ulid = Ulid::new();
    let tmp = parent.join(format!("{ulid}{TMP_SUFFIX}"));
    let result = write_into(&tmp, ulid, plan, series, &mut chunks_of);
    match result {
        Ok(Some(meta)) => {
            let dest = parent.join(ulid.to_string());
            fs::rename(&tmp, &dest).map_err(|e| Error::io("rename", &tmp, e))?;
            sync_dir(parent)?;
            Ok(Some(meta))
        }
        other => {
            let _ = fs::remove_dir_all(&tmp);
            other
        }
    }
}

fn write_into<'c>(
    dir: &Path,
    ulid: Ulid,
    plan: BlockPlan,
    series: &[Labels],
    chunks_of: &mut dyn FnMut(usize, &mut Vec<TimedChunk<'c>>) -> Result<()>,
) -> Result<Option<BlockMeta>> {
    fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let mut chunk_writer = BlockChunkWriter::new(&dir.join("chunks"))?;
    let mut index = IndexWriter::create(&dir.join("index"))?;
    // Hash first, then sort the few distinct ones: far fewer string comparisons than a tree.
    let distinct: HashSet<&str> = series
        .iter()
        .flat_map(|l| l.iter().flat_map(|(n, v)| [n, v]))
        .collect();
    let mut symbols: Vec<&str> = distinct.into_iter().collect();
    symbols.sort_unstable();
    index.add_symbols(symbols.iter().copied())?;

    let mut stats = BlockStats::default();
    let mut chunks = Vec::new();
    let mut metas = Vec::new();
    for (i, labels) in series.iter().enumerate() {
        chunks.clear();
        chunks_of(i, &mut chunks)?;
        if chunks.is_empty() {
            continue;
        }
        metas.clear();
        for c in &chunks {
            let chunk_ref = chunk_writer.write_chunk(ENCODING_XOR, &c.data)?;
            metas.push(ChunkMeta {
                mint: c.mint,
                maxt: c.maxt,
                chunk_ref,
            });
            stats.num_samples += u64::from(chunk_sample_count(&c.data));
        }
        stats.num_chunks += chunks.len() as u64;
        stats.num_series += 1;
        index.add_series(labels, &metas)?;
    }
    if stats.num_series == 0 {
        return Ok(None);
    }
    chunk_writer.finish()?;
    index.finish()?;
    Tombstones::default().write(dir)?;
    let meta = BlockMeta::new(
        ulid,
        plan.mint,
        plan.maxt,
        stats,
        Compaction::new(ulid, plan.level, &plan.parents),
    );
    meta.write(dir)?;
    sync_dir(dir)?;
    Ok(Some(meta))
}

/// The sample count in an XOR chunk's 2-byte header.
pub(crate) fn chunk_sample_count(data: &[u8]) -> u16 {
    match data {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    }
}

/// Fsyncs a directory so renames and new files in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    let f = fs::File::open(dir).map_err(|e| Error::io("open", dir, e))?;
    f.sync_all().map_err(|e| Error::io("fsync", dir, e))
}

/// Removes leftovers of interrupted block writes and compactions in `dir`.
pub(crate) fn remove_tmp_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(Error::io("read dir", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read dir", dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(TMP_SUFFIX) {
            fs::remove_dir_all(&path).map_err(|e| Error::io("remove", &path, e))?;
            removed.push(path);
        }
    }
    Ok(removed)
}
