//! Fuzz target: `logstore_core::testing::fuzz_log_wal_record` must never panic on any input read
//! as a log store WAL record, and what decodes must round-trip. Crashes found go into
//! `fuzz/regressions/log_wal_record/`, which `cargo test` replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    logstore_core::testing::fuzz_log_wal_record(data);
});
