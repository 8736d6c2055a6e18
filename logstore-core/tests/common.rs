//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test file uses part of it")]

use logstore_core::{LogStore, Options, TenantLimits, WalSync};

/// Options for tests: no fsync, and no refusal of old entries (tests use fixed past times).
pub fn opts() -> Options {
    let mut o = Options {
        wal_sync: WalSync::Never,
        ..Options::default()
    };
    let mut limits = o.limits.defaults().clone();
    limits.reject_old_samples = false;
    o.limits = TenantLimits::new(limits);
    o
}

/// Opens a store in `dir` with [`opts`].
pub fn open(dir: &std::path::Path) -> LogStore {
    match LogStore::open(dir, opts()) {
        Ok(s) => s,
        Err(e) => panic!("open {}: {e}", dir.display()),
    }
}
