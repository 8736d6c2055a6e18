//! The reference → series table: a two-level array indexed directly by the series reference,
//! and the owner of every head series.
//!
//! Head references are dense counters below 2^32 (see `Head::insert`), so a lookup is three array
//! indexings and one slot lock. The slot lock *is* the series lock: a series lives boxed inside
//! its slot, so the appender's fast path costs one lock/unlock per sample at append and one at
//! commit, with no reference counting (an `Arc` per series would add an atomic increment and
//! decrement per sample, and a lock of its own). The lock is a [`SpinMutex`], whose release is a
//! plain store (see `spinlock.rs`). Pages are allocated on first use;
//! references are never reused, so a removed series leaves an empty slot.

use std::sync::OnceLock;

use super::series::MemSeries;
use crate::spinlock::SpinMutex;

/// Slots per page; pages are allocated on first use.
const PAGE_BITS: u32 = 12;
const PAGE_SLOTS: usize = 1 << PAGE_BITS;
/// Pages per directory; directories are allocated on first use too.
const DIR_BITS: u32 = 10;
const DIR_PAGES: usize = 1 << DIR_BITS;
/// Directories: together they cover every reference below 2^32.
const DIRS: usize = 1 << (32 - PAGE_BITS - DIR_BITS);

type Slot = SpinMutex<Option<Box<MemSeries>>>;
type Page = Box<[Slot]>;
type Directory = Box<[OnceLock<Page>]>;

/// Series by reference. Three levels keep the fixed cost small (24 KiB, then 24 KiB per 4M
/// references and 64 KiB per 4096 used), which matters for small heads, at the price of one more
/// dependent load per lookup than two levels.
pub(crate) struct SeriesTable {
    dirs: Box<[OnceLock<Directory>]>,
}

impl SeriesTable {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            dirs: (0..DIRS).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Splits a reference into directory, page and slot indexes.
    fn split(r: u64) -> Option<(usize, usize, usize)> {
        let r = u32::try_from(r).ok()? as usize;
        Some((
            r >> (PAGE_BITS + DIR_BITS),
            (r >> PAGE_BITS) & (DIR_PAGES - 1),
            r & (PAGE_SLOTS - 1),
        ))
    }

    fn slot(&self, r: u64) -> Option<&Slot> {
        let (d, p, s) = Self::split(r)?;
        self.dirs.get(d)?.get()?.get(p)?.get()?.get(s)
    }

    fn slot_or_create(&self, r: u64) -> Option<&Slot> {
        let (d, p, s) = Self::split(r)?;
        let dir = self
            .dirs
            .get(d)?
            .get_or_init(|| (0..DIR_PAGES).map(|_| OnceLock::new()).collect());
        let page = dir
            .get(p)?
            .get_or_init(|| (0..PAGE_SLOTS).map(|_| SpinMutex::new(None)).collect());
        page.get(s)
    }

    /// Runs `f` on the series with reference `r` under its lock; `None` when there is none.
    /// `f` must not take any head lock: the slot lock comes last in the head's lock order.
    pub fn with<R>(&self, r: u64, f: impl FnOnce(&mut MemSeries) -> R) -> Option<R> {
        let mut slot = self.slot(r)?.lock();
        slot.as_deref_mut().map(f)
    }

    /// Stores `series` under its reference, which must be below 2^32 (the head checks).
    pub fn insert(&self, series: MemSeries) {
        if let Some(slot) = self.slot_or_create(series.series_ref) {
            *slot.lock() = Some(Box::new(series));
        }
    }

    /// Takes the series with reference `r` out of the table when `keep` says no, deciding under
    /// the series lock so no appender can start using it in between.
    pub fn remove_unless(
        &self,
        r: u64,
        keep: impl FnOnce(&mut MemSeries) -> bool,
    ) -> Option<Box<MemSeries>> {
        let mut slot = self.slot(r)?.lock();
        let series = slot.as_deref_mut()?;
        if keep(series) { None } else { slot.take() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Labels;

    #[test]
    fn insert_get_remove_across_pages() {
        let t = SeriesTable::new();
        for r in [0u64, 1, 65_535, 65_536, 3 << 20, u64::from(u32::MAX)] {
            t.insert(MemSeries::new(r, Labels::empty()));
            assert_eq!(t.with(r, |s| s.series_ref), Some(r));
        }
        assert!(t.with(2, |_| ()).is_none());
        assert!(t.with(1 << 32, |_| ()).is_none());
        assert!(t.remove_unless(65_536, |_| true).is_none());
        assert!(t.with(65_536, |_| ()).is_some());
        assert!(t.remove_unless(65_536, |_| false).is_some());
        assert!(t.with(65_536, |_| ()).is_none());
        assert!(t.with(65_535, |_| ()).is_some());
    }
}
