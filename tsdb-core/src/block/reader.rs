//! An open, immutable block: its meta, index, chunk files and tombstones, all read through
//! memory maps.

use std::path::{Path, PathBuf};

use model::Labels;
use parking_lot::RwLock;
use roaring::RoaringBitmap;

use super::meta::BlockMeta;
use super::tombstones::{Interval, Tombstones};
use crate::chunk_files::BlockChunkReader;
use crate::error::{Error, Result};
use crate::index::{ChunkMeta, IndexReader};
use crate::postings::PostingsIndex;

/// A block on disk.
pub(crate) struct Block {
    pub dir: PathBuf,
    pub meta: BlockMeta,
    pub index: IndexReader,
    pub chunks: BlockChunkReader,
    /// Deletions not yet applied by compaction; replaced when a deletion adds intervals.
    pub tombstones: RwLock<Tombstones>,
}

impl Block {
    /// Opens the block in `dir`; any damage is an error naming the file.
    pub fn open(dir: &Path) -> Result<Self> {
        let meta = BlockMeta::read(dir)?;
        let index = IndexReader::open(&dir.join("index"))?;
        let chunks = BlockChunkReader::open(&dir.join("chunks"))?;
        let tombstones = Tombstones::read(&dir.join("tombstones"))?;
        Ok(Self {
            dir: dir.to_owned(),
            meta,
            index,
            chunks,
            tombstones: RwLock::new(tombstones),
        })
    }

    /// Inclusive minimum time.
    pub fn mint(&self) -> i64 {
        self.meta.min_time
    }

    /// Exclusive maximum time, as Prometheus defines a block's `maxTime`.
    pub fn maxt_exclusive(&self) -> i64 {
        self.meta.max_time
    }

    /// True when the block may hold samples in `[mint, maxt]` (inclusive).
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.meta.overlaps_closed(mint, maxt)
    }

    /// Labels and chunk metas of series `r`.
    pub fn series(&self, r: u64, chunks: &mut Vec<ChunkMeta>) -> Result<Labels> {
        self.index.series(r, chunks)
    }

    /// The bytes of a chunk.
    pub fn chunk(&self, chunk_ref: u64) -> Result<&[u8]> {
        let (encoding, data) = self.chunks.chunk(chunk_ref)?;
        if encoding != crate::chunk::ENCODING_XOR {
            return Err(Error::corruption(
                self.dir.join("chunks"),
                chunk_ref & 0xffff_ffff,
                format!("chunk encoding {encoding} is not supported (only XOR float chunks are)"),
            ));
        }
        Ok(data)
    }

    /// Deleted intervals of series `r`, sorted.
    pub fn deleted(&self, r: u64) -> Vec<Interval> {
        self.tombstones.read().get(r).to_vec()
    }

    /// Total bytes on disk.
    pub fn size_bytes(&self) -> u64 {
        let tomb = std::fs::metadata(self.dir.join("tombstones"))
            .map(|m| m.len())
            .unwrap_or(0);
        let meta = std::fs::metadata(self.dir.join("meta.json"))
            .map(|m| m.len())
            .unwrap_or(0);
        self.index.size() + self.chunks.size() + tomb + meta
    }
}

fn to_bitmap(path: &Path, refs: impl Iterator<Item = u64>) -> Result<RoaringBitmap> {
    let mut out = RoaringBitmap::new();
    for r in refs {
        let r = u32::try_from(r).map_err(|_| {
            Error::corruption(path, 0, format!("series reference {r} exceeds 2^32"))
        })?;
        out.insert(r);
    }
    Ok(out)
}

impl PostingsIndex for Block {
    fn all_postings(&self) -> Result<RoaringBitmap> {
        to_bitmap(&self.dir, self.index.all_postings()?)
    }

    fn postings(&self, name: &str, value: &str) -> Result<RoaringBitmap> {
        to_bitmap(&self.dir, self.index.postings(name, value)?)
    }

    fn postings_matching(&self, name: &str, pred: &dyn Fn(&str) -> bool) -> Result<RoaringBitmap> {
        let mut out = RoaringBitmap::new();
        for p in self.index.postings_for_values(name, |v| pred(v))? {
            out |= to_bitmap(&self.dir, p)?;
        }
        Ok(out)
    }
}
