//! Fuzz target: the PromQL engine (parse and evaluation, instant and range, over a small
//! fixture with tight limits) must answer every input with a result or an error, never a panic,
//! stack overflow or hang. Crashes found go into `fuzz/regressions/promql_query/`, which
//! `cargo test -p query` replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    query::promql::fuzz_query(data);
});
