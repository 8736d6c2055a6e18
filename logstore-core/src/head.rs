//! The in-memory part of the log store: per tenant its streams, per stream the open head chunk
//! and the chunks already cut but not yet flushed to a segment.
//!
//! Lock order: a tenant's stream map, then one stream's state. No lock is held across I/O except
//! a stream's own state while its chunk is compressed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use model::Labels;
use parking_lot::{Mutex, RwLock};

use crate::chunk::{AppendOutcome, ChunkOptions, CutReason, DecodedBlock, HeadChunk, SealedBlock};
use crate::error::Result;

/// A chunk cut from a stream's head, waiting to be flushed into a segment.
#[derive(Debug, Clone)]
pub(crate) struct FinishedChunk {
    /// The chunk's bytes (`docs/format/log-chunks.md`), shared with readers.
    pub bytes: Arc<[u8]>,
    /// Oldest and newest entry time (ns).
    pub mint: i64,
    pub maxt: i64,
    pub entries: u64,
    /// Uncompressed bytes of its blocks' payloads.
    pub uncompressed: u64,
    /// Bytes of its entries as Loki counts them: lines plus structured metadata names and values.
    pub entry_bytes: u64,
}

/// The mutable part of a stream.
#[derive(Debug, Default)]
pub(crate) struct StreamState {
    /// The chunk being appended to; created on the first entry after a cut.
    pub open: Option<HeadChunk>,
    /// Cut chunks, oldest cut first.
    pub finished: Vec<FinishedChunk>,
    /// Newest entry time the stream has accepted, for the ordering window.
    pub newest: Option<i64>,
    /// Entry bytes (lines and metadata) stored in `open`.
    pub open_bytes: u64,
}

/// One stream of a tenant.
#[derive(Debug)]
pub(crate) struct Stream {
    pub labels: Labels,
    pub state: Mutex<StreamState>,
}

/// What a read of a stream's unflushed data takes away: copies made under the stream lock, so
/// decompression and filtering run after it is released.
#[derive(Debug, Default)]
pub(crate) struct StreamSnapshot {
    pub finished: Vec<FinishedChunk>,
    pub sealed: Vec<SealedBlock>,
    pub open: Option<DecodedBlock>,
}

impl StreamState {
    /// Stores an entry the caller accepted (limits and ordering window checked). Cuts the open
    /// chunk first when it is full, so a chunk never grows far past its target size.
    pub fn append(
        &mut self,
        opts: &ChunkOptions,
        ts: i64,
        line: &[u8],
        metadata: &[(&str, &str)],
        now: Instant,
    ) -> Result<AppendOutcome> {
        if self
            .open
            .as_ref()
            .is_some_and(|h| h.should_cut(opts, now) == Some(CutReason::Full))
        {
            self.cut()?;
        }
        let head = match &mut self.open {
            Some(h) => h,
            None => self.open.insert(HeadChunk::new(opts, now)?),
        };
        let in_order = head.bounds().is_none_or(|(_, newest)| ts >= newest);
        let outcome = if in_order {
            head.append(ts, line, metadata, now)?
        } else {
            head.insert_out_of_order(ts, line, metadata, now)?
        };
        if outcome == AppendOutcome::Stored {
            let md: usize = metadata.iter().map(|(n, v)| n.len() + v.len()).sum();
            self.open_bytes += (line.len() + md) as u64;
        }
        self.newest = Some(self.newest.map_or(ts, |n| n.max(ts)));
        Ok(outcome)
    }

    /// Cuts the open chunk when `opts` say it is due at `now` (or always when `force`); returns
    /// whether a chunk was cut.
    pub fn cut_if_due(&mut self, opts: &ChunkOptions, now: Instant, force: bool) -> Result<bool> {
        let due = self
            .open
            .as_ref()
            .is_some_and(|h| !h.is_empty() && (force || h.should_cut(opts, now).is_some()));
        if due {
            self.cut()?;
        }
        Ok(due)
    }

    /// Finishes the open chunk into a [`FinishedChunk`]. On failure the open chunk stays as it
    /// was, so nothing is lost.
    fn cut(&mut self) -> Result<()> {
        let Some(head) = self.open.as_mut() else {
            return Ok(());
        };
        let Some((mint, maxt)) = head.bounds() else {
            self.open = None;
            return Ok(());
        };
        let bytes = head.finish()?;
        self.finished.push(FinishedChunk {
            bytes: bytes.into(),
            mint,
            maxt,
            entries: head.entries(),
            uncompressed: head.uncompressed_bytes(),
            entry_bytes: self.open_bytes,
        });
        self.open = None;
        self.open_bytes = 0;
        Ok(())
    }

    /// Copies what overlaps `[mint, maxt]` (ns, inclusive).
    pub fn snapshot(&self, mint: i64, maxt: i64) -> Result<StreamSnapshot> {
        let finished = self
            .finished
            .iter()
            .filter(|c| c.maxt >= mint && c.mint <= maxt)
            .cloned()
            .collect();
        let Some(head) = &self.open else {
            return Ok(StreamSnapshot {
                finished,
                ..StreamSnapshot::default()
            });
        };
        let sealed = head
            .sealed_blocks()
            .iter()
            .filter(|b| b.header().overlaps(mint, maxt))
            .cloned()
            .collect();
        let open = head
            .open_block()?
            .filter(|b| b.timestamps().iter().any(|&t| t >= mint && t <= maxt));
        Ok(StreamSnapshot {
            finished,
            sealed,
            open,
        })
    }

    /// Chunks, entries and entry bytes of what overlaps `[mint, maxt]` (ns, inclusive), counted
    /// as [`snapshot`](Self::snapshot) would find them but without copying anything: cut chunks
    /// by their bounds, the open chunk once when a sealed block overlaps or an open-block entry
    /// lies in the range.
    pub fn stats(&self, mint: i64, maxt: i64) -> model::logs::IndexStats {
        let mut stats = model::logs::IndexStats::default();
        for c in self
            .finished
            .iter()
            .filter(|c| c.maxt >= mint && c.mint <= maxt)
        {
            stats.chunks += 1;
            stats.entries += c.entries;
            stats.bytes += c.entry_bytes;
        }
        let Some(head) = &self.open else {
            return stats;
        };
        let sealed = head
            .sealed_blocks()
            .iter()
            .filter(|b| b.header().overlaps(mint, maxt));
        let (mut any_sealed, mut entries) = (false, 0u64);
        for b in sealed {
            any_sealed = true;
            entries += u64::from(b.header().entries);
        }
        let open = head.open_block_len_if_overlapping(mint, maxt);
        if any_sealed || open.is_some() {
            stats.chunks += 1;
            stats.bytes += self.open_bytes;
            stats.entries += entries + open.unwrap_or(0) as u64;
        }
        stats
    }

    /// Oldest entry time held in memory, if any.
    pub fn min_time(&self) -> Option<i64> {
        let finished = self.finished.iter().map(|c| c.mint).min();
        let open = self.open.as_ref().and_then(|h| h.bounds()).map(|b| b.0);
        finished.into_iter().chain(open).min()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.finished.is_empty() && self.open.as_ref().is_none_or(HeadChunk::is_empty)
    }
}

/// The streams of one tenant.
#[derive(Debug, Default)]
pub(crate) struct TenantHead {
    streams: RwLock<HashMap<Labels, Arc<Stream>>>,
}

impl TenantHead {
    /// The stream with these labels, if it exists.
    pub fn get(&self, labels: &Labels) -> Option<Arc<Stream>> {
        self.streams.read().get(labels).cloned()
    }

    /// The stream with these labels, created when missing unless the tenant already has
    /// `max_streams` (0 = no limit); `Err(count)` then gives the current count.
    pub fn get_or_create(
        &self,
        labels: &Labels,
        max_streams: usize,
    ) -> std::result::Result<Arc<Stream>, usize> {
        if let Some(s) = self.get(labels) {
            return Ok(s);
        }
        let mut streams = self.streams.write();
        if let Some(s) = streams.get(labels) {
            return Ok(s.clone());
        }
        if max_streams > 0 && streams.len() >= max_streams {
            return Err(streams.len());
        }
        let s = Arc::new(Stream {
            labels: labels.clone(),
            state: Mutex::default(),
        });
        streams.insert(labels.clone(), s.clone());
        Ok(s)
    }

    /// Every stream, in no particular order.
    pub fn streams(&self) -> Vec<Arc<Stream>> {
        self.streams.read().values().cloned().collect()
    }

    /// Number of streams.
    pub fn len(&self) -> usize {
        self.streams.read().len()
    }

    /// Drops streams that hold nothing, so idle streams do not count against the tenant's limit
    /// forever.
    pub fn remove_empty(&self) {
        self.streams
            .write()
            .retain(|_, s| !s.state.lock().is_empty() || Arc::strong_count(s) > 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ChunkReader;

    fn opts() -> ChunkOptions {
        ChunkOptions {
            block_size: 64,
            target_size: 1 << 20,
            ..ChunkOptions::default()
        }
    }

    #[test]
    fn appends_cuts_and_snapshots() {
        let now = Instant::now();
        let mut st = StreamState::default();
        for ts in [10, 20, 15, 30] {
            let line = format!("line {ts}");
            assert_eq!(
                st.append(&opts(), ts, line.as_bytes(), &[], now).unwrap(),
                AppendOutcome::Stored
            );
        }
        assert_eq!(
            st.append(&opts(), 20, b"line 20", &[], now).unwrap(),
            AppendOutcome::Duplicate
        );
        assert_eq!(st.newest, Some(30));
        assert!(!st.cut_if_due(&opts(), now, false).unwrap());
        assert!(st.cut_if_due(&opts(), now, true).unwrap());
        assert!(st.open.is_none());
        let c = &st.finished[0];
        assert_eq!((c.mint, c.maxt, c.entries), (10, 30, 4));
        let reader = ChunkReader::new(&c.bytes).unwrap();
        let mut ts: Vec<i64> = Vec::new();
        for b in reader.blocks() {
            ts.extend(b.decode().unwrap().timestamps());
        }
        ts.sort_unstable();
        assert_eq!(ts, vec![10, 15, 20, 30]);
        st.append(&opts(), 40, b"line 40", &[], now).unwrap();
        let snap = st.snapshot(35, 50).unwrap();
        assert!(snap.finished.is_empty());
        assert_eq!(snap.open.map(|b| b.timestamps().to_vec()), Some(vec![40]));
        assert_eq!(st.snapshot(0, 12).unwrap().finished.len(), 1);
        assert_eq!(st.min_time(), Some(10));
    }

    #[test]
    fn stream_limit_is_enforced_per_tenant() {
        let t = TenantHead::default();
        let a = Labels::from_pairs([("app", "a")]).unwrap();
        let b = Labels::from_pairs([("app", "b")]).unwrap();
        t.get_or_create(&a, 1).unwrap();
        assert_eq!(t.get_or_create(&b, 1).unwrap_err(), 1);
        assert!(t.get_or_create(&a, 1).is_ok());
        assert!(t.get_or_create(&b, 0).is_ok());
        assert_eq!(t.len(), 2);
    }
}
