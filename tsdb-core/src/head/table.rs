//! The reference → series table: a two-level array indexed directly by the series reference.
//!
//! Head references are dense counters below 2^32 (see `Head::insert`), so a lookup is two array
//! indexings and one slot lock, all on the slot's own cache line: the appender's fast path
//! (`append_ref`) does one lookup per sample, and a hash map behind striped locks costs several
//! cache misses there. Pages of 2^16 slots are allocated on first use; references are never
//! reused, so a removed series leaves an empty slot.

use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use super::series::MemSeries;

const PAGE_BITS: u32 = 16;
const PAGE_SLOTS: usize = 1 << PAGE_BITS;
const PAGES: usize = 1 << (32 - PAGE_BITS);

type Slot = Mutex<Option<Arc<MemSeries>>>;

/// Series by reference.
pub(crate) struct SeriesTable {
    pages: Box<[OnceLock<Box<[Slot]>>]>,
}

impl SeriesTable {
    /// An empty table (reserves the page directory, about 1.5 MiB).
    pub fn new() -> Self {
        Self {
            pages: (0..PAGES).map(|_| OnceLock::new()).collect(),
        }
    }

    fn slot(&self, r: u64) -> Option<&Slot> {
        let r = u32::try_from(r).ok()?;
        let page = self.pages.get((r >> PAGE_BITS) as usize)?.get()?;
        page.get(r as usize & (PAGE_SLOTS - 1))
    }

    /// The series with reference `r`.
    pub fn get(&self, r: u64) -> Option<Arc<MemSeries>> {
        self.slot(r)?.lock().clone()
    }

    /// Stores `series` under its reference, which must be below 2^32 (the head checks).
    pub fn insert(&self, series: Arc<MemSeries>) {
        let Ok(r) = u32::try_from(series.series_ref) else {
            return;
        };
        let Some(page) = self.pages.get((r >> PAGE_BITS) as usize) else {
            return;
        };
        let page = page.get_or_init(|| (0..PAGE_SLOTS).map(|_| Mutex::new(None)).collect());
        if let Some(slot) = page.get(r as usize & (PAGE_SLOTS - 1)) {
            *slot.lock() = Some(series);
        }
    }

    /// Empties the slot of reference `r`.
    pub fn remove(&self, r: u64) {
        if let Some(slot) = self.slot(r) {
            *slot.lock() = None;
        }
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
            t.insert(Arc::new(MemSeries::new(r, Labels::empty())));
            assert_eq!(t.get(r).map(|s| s.series_ref), Some(r));
        }
        assert!(t.get(2).is_none());
        assert!(t.get(1 << 32).is_none());
        t.remove(65_536);
        assert!(t.get(65_536).is_none());
        assert!(t.get(65_535).is_some());
    }
}
