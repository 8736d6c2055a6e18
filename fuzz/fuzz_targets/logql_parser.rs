//! Fuzz target: the LogQL parser (`query::logql::syntax::parse`) must never panic or hang on
//! any input, and a query that parses must print (its canonical form) to text that parses to
//! the same tree and prints the same. The same check runs in `query`'s tests
//! (`syntax/roundtrip_tests.rs`), which replay every input saved under
//! `fuzz/regressions/logql_parser/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use query::logql::syntax::parse;

/// Loki's input limit: a canonical form longer than this cannot be read back.
const MAX_QUERY_BYTES: usize = 5120;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expr) = parse(text) else {
        return;
    };
    let printed = expr.to_string();
    if printed.len() >= MAX_QUERY_BYTES {
        return;
    }
    let reparsed = match parse(&printed) {
        Ok(reparsed) => reparsed,
        Err(e) => panic!("{text:?} printed as {printed:?}, which fails: {e}"),
    };
    // Debug text, so that NaN literals compare equal.
    assert_eq!(format!("{reparsed:?}"), format!("{expr:?}"), "{text:?}");
    assert_eq!(reparsed.to_string(), printed, "{text:?}");
});
