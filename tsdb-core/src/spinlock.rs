//! A mutex whose unlock is a plain release store, for the head's per-series locks.
//!
//! Every appended sample locks its series twice (classify at append, encode at commit), so the
//! lock is on the hottest path of ingest. A futex-style mutex (parking_lot's, std's) releases
//! with an atomic read-modify-write, because it must learn whether a waiter sleeps; that
//! locked instruction costs as much as the acquire. Series locks are held for tens of
//! nanoseconds and are almost never contended (each series belongs to one scrape or one remote
//! write stream at a time), so waiters here spin briefly and then yield instead of sleeping, and
//! the release needs no read-modify-write.

use std::sync::atomic::{AtomicBool, Ordering};

/// The raw lock behind [`SpinMutex`].
pub(crate) struct RawSpinLock {
    locked: AtomicBool,
}

/// Spins before yielding the CPU to the holder.
const SPINS_BEFORE_YIELD: u32 = 64;

#[expect(
    unsafe_code,
    reason = "lock_api::RawMutex is an unsafe trait: implementors promise mutual exclusion"
)]
// SAFETY: `try_lock` succeeds only for the caller whose compare-exchange moved `locked` from false
// to true (Acquire), and `unlock`, which lock_api calls only for the current holder, is the only
// place that sets it back to false (Release). So at most one guard exists at a time, and the
// holder's writes happen-before the next holder's reads.
unsafe impl lock_api::RawMutex for RawSpinLock {
    #[allow(
        clippy::declare_interior_mutable_const,
        reason = "the trait's initializer"
    )]
    const INIT: Self = Self {
        locked: AtomicBool::new(false),
    };
    type GuardMarker = lock_api::GuardSend;

    fn lock(&self) {
        let mut spins = 0;
        while !self.try_lock() {
            // Wait with plain loads until it looks free, so waiting does not bounce the line.
            while self.locked.load(Ordering::Relaxed) {
                if spins < SPINS_BEFORE_YIELD {
                    spins += 1;
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
        }
    }

    fn try_lock(&self) -> bool {
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[expect(unsafe_code, reason = "the trait declares unlock unsafe")]
    unsafe fn unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }

    fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }
}

/// A mutex built on [`RawSpinLock`].
pub(crate) type SpinMutex<T> = lock_api::Mutex<RawSpinLock, T>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn excludes_concurrent_holders() {
        let counter = Arc::new(SpinMutex::new(0u64));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let counter = counter.clone();
                std::thread::spawn(move || {
                    for _ in 0..50_000 {
                        // A non-atomic read-modify-write: lost updates would show a lower sum.
                        let mut g = counter.lock();
                        let v = *g;
                        *g = v + 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*counter.lock(), 200_000);
        assert!(counter.try_lock().is_some());
    }
}
