//! Reading head series: a consistent snapshot of a series' chunks and loose samples in a time
//! range, taken under the series lock so appends can continue right after.

use model::{Labels, Sample};

use super::Head;
use super::series::MemSeries;
use crate::error::Result;
use crate::querier::series::{ChunkData, TimedChunk};

/// The head's part of a selected series.
pub(crate) struct HeadSeriesChunks {
    pub labels: Labels,
    pub chunks: Vec<TimedChunk<'static>>,
    pub ooo: Vec<Sample>,
}

impl Head {
    /// The chunks and out-of-order samples of `series` that overlap `[mint, maxt]`. The open
    /// chunk is copied (it keeps changing); full chunks are referenced in the head chunk files.
    pub fn series_chunks(
        &self,
        series: &MemSeries,
        mint: i64,
        maxt: i64,
    ) -> Result<HeadSeriesChunks> {
        let st = series.state.lock();
        let mut chunks = Vec::new();
        let mut mmapped = Vec::new();
        for c in st
            .mmapped
            .iter()
            .filter(|c| c.maxt >= mint && c.mint <= maxt)
        {
            mmapped.push(*c);
        }
        let open = st
            .open
            .as_ref()
            .filter(|o| o.maxt >= mint && o.mint <= maxt)
            .map(|o| (o.mint, o.maxt, o.chunk.bytes().to_vec()));
        let ooo: Vec<Sample> = st
            .ooo
            .iter()
            .filter(|s| s.t >= mint && s.t <= maxt)
            .copied()
            .collect();
        drop(st);
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
        Ok(HeadSeriesChunks {
            labels: series.labels.clone(),
            chunks,
            ooo,
        })
    }

    /// True when the series has any sample in `[mint, maxt]`, judged by chunk bounds.
    pub fn series_overlaps(&self, series: &MemSeries, mint: i64, maxt: i64) -> bool {
        let st = series.state.lock();
        st.mmapped.iter().any(|c| c.maxt >= mint && c.mint <= maxt)
            || st
                .open
                .as_ref()
                .is_some_and(|o| o.maxt >= mint && o.mint <= maxt)
            || st.ooo.iter().any(|s| s.t >= mint && s.t <= maxt)
    }
}
