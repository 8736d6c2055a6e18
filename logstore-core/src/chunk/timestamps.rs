//! The timestamp section of a log block payload: its writer's running size accounting
//! ([`GapStats`]), its encoder and its decoder. Layout: `docs/format/log-chunks.md`.
//!
//! Entries are sorted, so a block's timestamps are its mint (in the block header) followed by
//! `n - 1` unsigned gaps. They are written in one of two forms:
//!
//! ```text
//! table:  t uvarint (1..=MAX_GAP_TABLE) | t distinct gaps ascending (uvarint) | n - 1 × index
//! plain:  0 u8 | unit uvarint (>= 1, divides every gap) | n - 1 × gap / unit (uvarint)
//! ```
//!
//! Log clocks tick in a few recurring steps (whole seconds, a nanosecond to keep order), so a
//! table with a one-byte index per entry is often smaller than the gaps and compresses better;
//! otherwise a clock that ticks in milliseconds or microseconds makes the unit worth dividing
//! by. The writer picks the smaller form.
//!
//! The decoder reads untrusted bytes: a table longer than the gaps or than [`MAX_GAP_TABLE`],
//! not strictly ascending, an index outside it, a unit of 0 or a timestamp past `i64::MAX` is
//! an [`Error::Corruption`](crate::error::Error::Corruption).
#![deny(clippy::indexing_slicing)]

use super::block::{ByteReader, put_uvarint, uvarint_len};
use crate::error::Result;

/// Most distinct gaps a block's gap table may hold, so that an index into it is one byte.
pub(crate) const MAX_GAP_TABLE: usize = 127;

/// What the timestamp section of an open block takes in either form, kept up to date entry by
/// entry.
///
/// Invariants: `count` is the number of gaps (entries - 1); `unit` divides every gap (0 while
/// every gap is 0) and `unit_size` is their size in it; unless `overflowed`, `table` holds each
/// distinct gap, ascending, with how often it occurs, and `table_size` their uvarint sizes.
/// `overflowed` stays set once more than [`MAX_GAP_TABLE`] distinct gaps were seen.
#[derive(Debug, Default)]
pub(crate) struct GapStats {
    count: usize,
    unit: u64,
    unit_size: usize,
    table: Vec<(u64, u32)>,
    table_size: usize,
    overflowed: bool,
}

impl GapStats {
    /// Accounts for timestamp `ts` about to go between its sorted neighbours `before` and
    /// `after` (when there are): the gaps to them come in, the gap between them goes. True
    /// when the unit shrank: then [`GapStats::recount`] must run once the entry is in (at most
    /// 64 times per block, since each new unit divides the old one).
    pub(crate) fn insert(&mut self, before: Option<i64>, ts: i64, after: Option<i64>) -> bool {
        let split = before.zip(after).map(|(b, a)| gap(b, a));
        let added = [before.map(|b| gap(b, ts)), after.map(|a| gap(ts, a))];
        if let Some(g) = split {
            self.count -= 1;
            self.untable(g);
        }
        for g in added.into_iter().flatten() {
            self.count += 1;
            self.tabulate(g);
        }
        let unit = added.into_iter().flatten().fold(self.unit, gcd);
        if unit != self.unit {
            self.unit = unit;
            return true;
        }
        let added_size: usize = added.into_iter().flatten().map(|g| gap_len(g, unit)).sum();
        self.unit_size = self.unit_size + added_size - split.map_or(0, |g| gap_len(g, unit));
        false
    }

    /// Recounts the plain form's size over the block's sorted timestamps.
    pub(crate) fn recount(&mut self, timestamps: impl Iterator<Item = i64> + Clone) {
        let unit = self.unit;
        self.unit_size = gaps(timestamps).map(|g| gap_len(g, unit)).sum();
    }

    /// Counts one more `gap`; the table is dropped for good once it would exceed its maximum.
    fn tabulate(&mut self, gap: u64) {
        if self.overflowed {
            return;
        }
        match self.table.binary_search_by_key(&gap, |&(g, _)| g) {
            Ok(i) => self.table.get_mut(i).into_iter().for_each(|(_, n)| *n += 1),
            Err(_) if self.table.len() == MAX_GAP_TABLE => {
                self.overflowed = true;
                self.table = Vec::new();
            }
            Err(i) => {
                self.table.insert(i, (gap, 1));
                self.table_size += uvarint_len(gap);
            }
        }
    }

    /// Counts one `gap` less (it was counted before).
    fn untable(&mut self, gap: u64) {
        let Ok(i) = self.table.binary_search_by_key(&gap, |&(g, _)| g) else {
            return;
        };
        if let Some((_, n)) = self.table.get_mut(i) {
            *n -= 1;
            if *n == 0 {
                self.table.remove(i);
                self.table_size -= uvarint_len(gap);
            }
        }
    }

    /// The table when the section is written with it, and the section's size in bytes: the
    /// form that takes fewer bytes (an index is one byte, a gap in the unit at least one).
    pub(crate) fn section(&self) -> (Option<&[(u64, u32)]>, usize) {
        let plain = 1 + uvarint_len(self.unit.max(1)) + self.unit_size;
        let tabled = 1 + self.table_size + self.count;
        if self.overflowed || self.table.is_empty() || tabled >= plain {
            (None, plain)
        } else {
            (Some(&self.table), tabled)
        }
    }

    /// The largest the section can be with this many gaps, whatever they are: no table, a
    /// unit and every gap at 10 bytes.
    pub(crate) fn max_section_len(&self) -> usize {
        1 + 10 + 10 * self.count
    }

    /// Writes the section for the block's sorted `timestamps`, whose gaps these stats counted,
    /// in the form [`GapStats::section`] chose.
    pub(crate) fn encode(&self, timestamps: impl Iterator<Item = i64> + Clone, out: &mut Vec<u8>) {
        if let (Some(table), _) = self.section() {
            put_uvarint(out, table.len() as u64);
            for &(gap, _) in table {
                put_uvarint(out, gap);
            }
            for gap in gaps(timestamps) {
                put_uvarint(out, table.partition_point(|&(g, _)| g < gap) as u64);
            }
        } else {
            let unit = self.unit.max(1);
            put_uvarint(out, 0);
            put_uvarint(out, unit);
            for gap in gaps(timestamps) {
                put_uvarint(out, gap / unit);
            }
        }
    }
}

/// The gaps between consecutive sorted timestamps.
fn gaps(timestamps: impl Iterator<Item = i64> + Clone) -> impl Iterator<Item = u64> {
    let next = timestamps.clone().skip(1);
    timestamps.zip(next).map(|(a, b)| gap(a, b))
}

/// The gap from timestamp `a` to a later `b`: exact as unsigned even across zero (wrapping).
fn gap(a: i64, b: i64) -> u64 {
    b.wrapping_sub(a) as u64
}

/// Greatest common divisor; `gcd(0, g) == g`, so 0 is the unit before any non-zero gap. Stops
/// at 1, where most blocks of nanosecond timestamps arrive after a few gaps.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 && a != 1 {
        (a, b) = (b, a % b);
    }
    a
}

/// Bytes a gap takes in `unit` (0: every gap so far is 0).
fn gap_len(gap: u64, unit: u64) -> usize {
    uvarint_len(gap.checked_div(unit).unwrap_or(0))
}

/// Reads the section of `n` entries whose first timestamp is `mint`. Timestamps never decrease
/// (gaps are unsigned); one past `i64::MAX` is an error.
pub(crate) fn parse(r: &mut ByteReader<'_>, n: usize, mint: i64) -> Result<Vec<i64>> {
    let table = parse_table(r, n)?;
    let unit_at = r.pos();
    let unit = if table.is_empty() { r.uvarint()? } else { 1 };
    if unit == 0 {
        return Err(r.error_at(unit_at, "timestamp unit 0".into()));
    }
    let mut timestamps = Vec::with_capacity(n);
    let mut prev = mint;
    timestamps.push(prev);
    for i in 1..n {
        let at = r.pos();
        let v = r.uvarint()?;
        let gap = match &table[..] {
            [] => v.checked_mul(unit),
            t => match usize::try_from(v).ok().and_then(|v| t.get(v)) {
                Some(&gap) => Some(gap),
                None => {
                    let reason = format!("gap index {v} of entry {i}, table of {}", t.len());
                    return Err(r.error_at(at, reason));
                }
            },
        };
        let Some(ts) = gap.and_then(|g| prev.checked_add_unsigned(g)) else {
            let reason = format!("timestamp of entry {i} past i64::MAX (after {prev})");
            return Err(r.error_at(at, reason));
        };
        timestamps.push(ts);
        prev = ts;
    }
    Ok(timestamps)
}

/// Reads the gap table: at most [`MAX_GAP_TABLE`] gaps, no more than there are gaps,
/// strictly ascending.
fn parse_table(r: &mut ByteReader<'_>, n: usize) -> Result<Vec<u64>> {
    let at = r.pos();
    let len = r.uvarint()?;
    let gaps = n.saturating_sub(1);
    if len > MAX_GAP_TABLE.min(gaps) as u64 {
        let reason = format!("gap table of {len} for {gaps} gaps (at most {MAX_GAP_TABLE})");
        return Err(r.error_at(at, reason));
    }
    let mut table: Vec<u64> = Vec::with_capacity(len as usize);
    for _ in 0..len {
        let at = r.pos();
        let gap = r.uvarint()?;
        if table.last().is_some_and(|&last| last >= gap) {
            return Err(r.error_at(at, format!("gap table not ascending at {gap}")));
        }
        table.push(gap);
    }
    Ok(table)
}
