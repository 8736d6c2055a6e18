//! Reading head series: a consistent snapshot of a series' chunks and loose samples in a time
//! range, taken under the series lock so appends can continue right after.

use model::{Labels, Sample};

use super::Head;
use super::series::MmappedChunk;
use crate::error::Result;
use crate::querier::series::{ChunkData, TimedChunk};

/// The head's part of a selected series.
pub(crate) struct HeadSeriesChunks {
    pub labels: Labels,
    pub chunks: Vec<TimedChunk<'static>>,
    pub ooo: Vec<Sample>,
}

impl Head {
    /// The chunks and out-of-order samples of series `r` that overlap `[mint, maxt]`, or `None`
    /// when the head no longer has the series. The open chunk is copied (it keeps changing); full
    /// chunks are referenced in the head chunk files, read after the series lock is released.
    pub fn series_chunks(&self, r: u64, mint: i64, maxt: i64) -> Result<Option<HeadSeriesChunks>> {
        let snapshot = self.with_series(r, |series| {
            let st = &series.state;
            let mmapped: Vec<MmappedChunk> = st
                .mmapped
                .iter()
                .filter(|c| c.maxt >= mint && c.mint <= maxt)
                .collect();
            let open = st
                .open
                .as_ref()
                .filter(|o| o.overlaps(mint, maxt))
                .map(|o| (o.mint(), o.maxt(), o.chunk.bytes().to_vec()));
            let ooo: Vec<Sample> = st
                .ooo
                .as_slice()
                .iter()
                .filter(|s| s.t >= mint && s.t <= maxt)
                .copied()
                .collect();
            (series.labels.clone(), mmapped, open, ooo)
        });
        let Some((labels, mmapped, open, ooo)) = snapshot else {
            return Ok(None);
        };
        let mut chunks = Vec::with_capacity(mmapped.len() + 1);
        for c in mmapped {
            let bytes = self.chunk_files.chunk(c.chunk_ref)?;
            chunks.push(TimedChunk {
                mint: c.mint,
                maxt: c.maxt,
                data: ChunkData::Head(bytes),
            });
        }
        if let Some((mint, maxt, bytes)) = open {
            chunks.push(TimedChunk {
                mint,
                maxt,
                data: ChunkData::Owned(bytes),
            });
        }
        Ok(Some(HeadSeriesChunks {
            labels,
            chunks,
            ooo,
        }))
    }

    /// The labels of series `r` when it has any sample in `[mint, maxt]`, judged by chunk
    /// bounds; `None` otherwise or when the head no longer has it.
    pub fn labels_if_overlaps(&self, r: u64, mint: i64, maxt: i64) -> Option<Labels> {
        self.with_series(r, |series| {
            let st = &series.state;
            let overlaps = st.mmapped.iter().any(|c| c.maxt >= mint && c.mint <= maxt)
                || st.open.as_ref().is_some_and(|o| o.overlaps(mint, maxt))
                || st.ooo.as_slice().iter().any(|s| s.t >= mint && s.t <= maxt);
            overlaps.then(|| series.labels.clone())
        })
        .flatten()
    }
}
