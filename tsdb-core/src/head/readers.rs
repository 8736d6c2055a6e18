//! Tracking of queriers that read the head, so head truncation does not pull data from under a
//! querier that was opened before the data's block existed.
//!
//! A querier registers with the epoch current at its creation. Persisting a head range adds the
//! block to the block list, then starts a new epoch, then waits until no querier of an older
//! epoch overlaps the range (those queriers do not see the new block), and only then truncates
//! the head. Queriers of the new epoch see the block, so they may lose the head's copy. Like
//! Prometheus's pending-readers wait, a querier held for a long time delays truncation; after
//! [`MAX_WAIT`] the truncation goes ahead with a warning rather than blocking forever (e.g. when
//! the thread holding the querier is the one compacting).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// Longest a truncation waits for old queriers.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Default)]
struct State {
    epoch: u64,
    next_id: u64,
    /// Registered queriers: id → (epoch, mint, maxt).
    readers: HashMap<u64, (u64, i64, i64)>,
}

/// The registry of head readers.
#[derive(Default)]
pub(crate) struct ReaderGate {
    state: Mutex<State>,
    gone: Condvar,
}

/// A querier's registration; dropping it unregisters.
pub(crate) struct ReaderGuard {
    gate: Arc<ReaderGate>,
    id: u64,
}

impl Drop for ReaderGuard {
    fn drop(&mut self) {
        self.gate.state.lock().readers.remove(&self.id);
        self.gate.gone.notify_all();
    }
}

impl ReaderGate {
    /// Registers a reader of `[mint, maxt]` in the current epoch.
    pub fn register(self: &Arc<Self>, mint: i64, maxt: i64) -> ReaderGuard {
        let mut st = self.state.lock();
        let id = st.next_id;
        st.next_id += 1;
        let epoch = st.epoch;
        st.readers.insert(id, (epoch, mint, maxt));
        ReaderGuard {
            gate: self.clone(),
            id,
        }
    }

    /// Starts a new epoch and waits (at most [`MAX_WAIT`]) until no reader of an earlier epoch
    /// overlaps `[mint, maxt]`. Returns false when it gave up waiting.
    pub fn wait_for_older_readers(&self, mint: i64, maxt: i64) -> bool {
        let deadline = Instant::now() + MAX_WAIT;
        let mut st = self.state.lock();
        st.epoch += 1;
        let epoch = st.epoch;
        loop {
            let blocking = st
                .readers
                .values()
                .any(|&(e, lo, hi)| e < epoch && lo <= maxt && mint <= hi);
            if !blocking {
                return true;
            }
            if self.gone.wait_until(&mut st, deadline).timed_out() {
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_only_for_older_overlapping_readers() {
        let gate = Arc::new(ReaderGate::default());
        let old = gate.register(0, 100);
        let g2 = gate.clone();
        let waiter = std::thread::spawn(move || g2.wait_for_older_readers(50, 60));
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !waiter.is_finished(),
            "must wait for the older overlapping reader"
        );
        drop(old);
        assert!(waiter.join().unwrap());
        // A reader that does not overlap the range does not block.
        let _apart = gate.register(200, 300);
        assert!(gate.wait_for_older_readers(50, 60));
    }
}
