//! Fuzz target: the LogQL pipeline (every parser stage, filters, formatters, unwrap
//! conversions) must pass or drop every line, never panic, overflow the stack or hang. Crashes
//! found go into `fuzz/regressions/logql_pipeline/`, which `cargo test -p query` replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    query::logql::fuzz_pipeline(data);
});
