//! A suite that checks any [`LogQuerier`] against the trait's contract, so the in-memory
//! querier and the log engine are held to the same rules.
//!
//! Load [`fixture`] into the store under test (each stream's entries pushed in the order given,
//! which is not time order), then call [`check`]; it panics with a message naming the rule that
//! broke. Metadata checks use only ranges that either contain a stream's whole time span or miss
//! it entirely, so chunk-granular answers (which the contract allows) are exact here.

use super::{
    Direction, LineFilterChain, LineFilterOp, LogEntry, LogQuerier, LogSelect, Volume,
    VolumeAggregation, VolumeKey, VolumeRequest,
};
use crate::{Labels, MatchType, Matcher, StorageError};

/// The tenant most checks read.
pub const TENANT: &str = "tenant-a";
/// A second tenant, whose data the first must never see.
pub const OTHER_TENANT: &str = "tenant-b";

fn labels(pairs: &[(&str, &str)]) -> Labels {
    match Labels::from_pairs(pairs.iter().copied()) {
        Ok(l) => l,
        Err(e) => panic!("fixture labels {pairs:?}: {e}"),
    }
}

fn ok<T>(result: Result<T, StorageError>, what: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{what}: unexpected error: {e}"),
    }
}

fn m(kind: MatchType, name: &str, value: &str) -> Matcher {
    match Matcher::new(kind, name, value) {
        Ok(m) => m,
        Err(e) => panic!("fixture matcher: {e}"),
    }
}

/// `(tenant, stream, entries in push order)`. Streams of [`TENANT`] (`app` values `api`, `db`,
/// `web` have entries in `[0, 100)`; `old` only at 1000) and one stream of [`OTHER_TENANT`].
pub fn fixture() -> Vec<(String, Labels, Vec<LogEntry>)> {
    let e = LogEntry::new;
    vec![
        (
            TENANT.into(),
            labels(&[("app", "api"), ("env", "prod")]),
            vec![
                e(10, "GET /a 200"),
                e(20, "GET /b 500 error"),
                e(20, "retry error"),
                e(40, "ok").with_metadata("trace_id", "abc"),
                e(35, "late arrival"),
            ],
        ),
        (
            TENANT.into(),
            labels(&[("app", "web"), ("env", "dev")]),
            vec![e(20, "error: boom"), e(30, "render"), e(50, "ERROR upper")],
        ),
        (
            TENANT.into(),
            labels(&[("app", "db"), ("env", "prod"), ("region", "eu")]),
            vec![e(5, "slow query"), e(60, "error connection")],
        ),
        (
            TENANT.into(),
            labels(&[("app", "old"), ("env", "prod")]),
            vec![e(1000, "error long ago")],
        ),
        (
            OTHER_TENANT.into(),
            labels(&[("app", "api"), ("env", "prod")]),
            vec![e(15, "other tenant error")],
        ),
    ]
}

/// Runs every check against `querier`, which must hold exactly [`fixture`].
pub fn check(querier: &dyn LogQuerier) {
    check_order_and_direction(querier);
    check_range_bounds(querier);
    check_limit(querier);
    check_filters(querier);
    check_matchers_and_tenants(querier);
    check_filter_errors(querier);
    check_label_queries(querier);
    check_series(querier);
    check_index_stats(querier);
    check_volume(querier);
}

/// `(app, ts, line)` of each entry a select yields, in order; checks the scan statistics.
fn run(q: &dyn LogQuerier, req: &LogSelect) -> Vec<(String, i64, String)> {
    let mut it = ok(q.select(req), "select");
    let mut out = Vec::new();
    for item in &mut it {
        let (stream, entry) = ok(item, "select item");
        let app = stream.get("app").unwrap_or_default().to_owned();
        out.push((
            app,
            entry.ts,
            String::from_utf8_lossy(&entry.line).into_owned(),
        ));
    }
    let stats = it.stats();
    let yielded = out.len() as u64;
    assert!(
        stats.post_filter_lines >= yielded && stats.total_lines() >= stats.post_filter_lines,
        "stats {stats:?} must cover the {yielded} entries yielded for {req:?}"
    );
    out
}

fn select(tenant: &str, matchers: Vec<Matcher>, start: i64, end: i64) -> LogSelect {
    LogSelect::new(tenant, matchers, start, end)
}

fn all_apps() -> Vec<Matcher> {
    vec![m(MatchType::Regex, "app", ".+")]
}

fn expect(rows: &[(&str, i64, &str)]) -> Vec<(String, i64, String)> {
    rows.iter()
        .map(|&(a, t, l)| (a.to_owned(), t, l.to_owned()))
        .collect()
}

/// Every entry of [`TENANT`] in `[0, 100)`, forward.
fn forward_all() -> Vec<(String, i64, String)> {
    expect(&[
        ("db", 5, "slow query"),
        ("api", 10, "GET /a 200"),
        ("api", 20, "GET /b 500 error"),
        ("api", 20, "retry error"),
        ("web", 20, "error: boom"),
        ("web", 30, "render"),
        ("api", 35, "late arrival"),
        ("api", 40, "ok"),
        ("web", 50, "ERROR upper"),
        ("db", 60, "error connection"),
    ])
}

fn check_order_and_direction(q: &dyn LogQuerier) {
    let mut req = select(TENANT, all_apps(), 0, 100);
    assert_eq!(
        run(q, &req),
        forward_all(),
        "forward: by time, ties by stream labels then push order"
    );
    req.direction = Direction::Backward;
    let mut backward = forward_all();
    backward.reverse();
    assert_eq!(run(q, &req), backward, "backward is the reverse of forward");

    let req = select(TENANT, vec![Matcher::equal("app", "api")], 40, 41);
    let mut it = ok(q.select(&req), "select");
    let first = it.next().map(|r| ok(r, "select item"));
    let Some((stream, entry)) = first else {
        panic!("the entry at 40 is missing");
    };
    assert_eq!(stream, labels(&[("app", "api"), ("env", "prod")]));
    assert_eq!(
        entry,
        LogEntry::new(40, "ok").with_metadata("trace_id", "abc"),
        "structured metadata comes back with its entry"
    );
    assert!(it.next().is_none());
}

fn check_range_bounds(q: &dyn LogQuerier) {
    let want = expect(&[
        ("api", 20, "GET /b 500 error"),
        ("api", 20, "retry error"),
        ("web", 20, "error: boom"),
        ("web", 30, "render"),
        ("api", 35, "late arrival"),
        ("api", 40, "ok"),
    ]);
    assert_eq!(
        run(q, &select(TENANT, all_apps(), 20, 50)),
        want,
        "start inclusive, end exclusive"
    );
    assert!(
        run(q, &select(TENANT, all_apps(), 50, 20)).is_empty(),
        "inverted range"
    );
    assert!(
        run(q, &select(TENANT, all_apps(), 20, 20)).is_empty(),
        "empty range"
    );
    let old = run(q, &select(TENANT, all_apps(), 100, i64::MAX));
    assert_eq!(old, expect(&[("old", 1000, "error long ago")]));
}

fn check_limit(q: &dyn LogQuerier) {
    let mut req = select(TENANT, all_apps(), 0, 100);
    req.limit = Some(3);
    assert_eq!(
        run(q, &req),
        forward_all()[..3],
        "forward limit keeps the oldest"
    );
    req.direction = Direction::Backward;
    req.limit = Some(2);
    let want = expect(&[("db", 60, "error connection"), ("web", 50, "ERROR upper")]);
    assert_eq!(run(q, &req), want, "backward limit keeps the newest");
    req.limit = Some(0);
    assert!(run(q, &req).is_empty(), "limit 0");
    req.limit = Some(1000);
    assert_eq!(
        run(q, &req).len(),
        forward_all().len(),
        "limit above the count"
    );
}

fn check_filters(q: &dyn LogQuerier) {
    let mut req = select(TENANT, all_apps(), 0, 100);
    req.filter = LineFilterChain::new()
        .then(LineFilterOp::Contains, ["error", "ERROR"])
        .then(LineFilterOp::NotContains, ["retry"]);
    let want = expect(&[
        ("api", 20, "GET /b 500 error"),
        ("web", 20, "error: boom"),
        ("web", 50, "ERROR upper"),
        ("db", 60, "error connection"),
    ]);
    assert_eq!(run(q, &req), want, "stages AND, alternatives OR");
    req.direction = Direction::Backward;
    req.limit = Some(3);
    let want = expect(&[
        ("db", 60, "error connection"),
        ("web", 50, "ERROR upper"),
        ("web", 20, "error: boom"),
    ]);
    assert_eq!(
        run(q, &req),
        want,
        "the limit counts lines after the filter"
    );

    let mut req = select(TENANT, all_apps(), 0, 100);
    req.filter = LineFilterChain::new().then(LineFilterOp::Matches, ["(?i)^error"]);
    let want = expect(&[
        ("web", 20, "error: boom"),
        ("web", 50, "ERROR upper"),
        ("db", 60, "error connection"),
    ]);
    assert_eq!(run(q, &req), want, "regex filter");
    let mut req = select(TENANT, vec![Matcher::equal("app", "api")], 0, 100);
    req.filter = LineFilterChain::new().then(LineFilterOp::NotMatches, ["^GET", "ok$"]);
    let want = expect(&[("api", 20, "retry error"), ("api", 35, "late arrival")]);
    assert_eq!(run(q, &req), want, "negated regex filter with alternatives");
}

fn check_matchers_and_tenants(q: &dyn LogQuerier) {
    let prod_not_api = vec![
        Matcher::equal("env", "prod"),
        m(MatchType::NotEqual, "app", "api"),
    ];
    let want = expect(&[("db", 5, "slow query"), ("db", 60, "error connection")]);
    assert_eq!(run(q, &select(TENANT, prod_not_api, 0, 100)), want);
    let no_region = vec![
        m(MatchType::Regex, "app", "a.*|w.*"),
        Matcher::equal("region", ""),
    ];
    let rows = run(q, &select(TENANT, no_region, 0, 100));
    assert_eq!(rows.len(), 8, "an absent label matches as the empty string");
    assert!(rows.iter().all(|(app, _, _)| app != "db"));
    assert!(
        run(q, &select(TENANT, Vec::new(), 0, 100)).is_empty(),
        "no matcher"
    );
    let want = expect(&[("api", 15, "other tenant error")]);
    assert_eq!(
        run(q, &select(OTHER_TENANT, all_apps(), 0, 100)),
        want,
        "tenants are apart"
    );
    assert!(run(q, &select("no-such-tenant", all_apps(), 0, 100)).is_empty());
}

fn check_filter_errors(q: &dyn LogQuerier) {
    let mut req = select(TENANT, all_apps(), 0, 100);
    req.filter = LineFilterChain::new().then(LineFilterOp::Matches, ["(unclosed"]);
    assert!(
        q.select(&req).is_err(),
        "a regex that does not compile is an error"
    );
    req.filter = LineFilterChain::new().then(LineFilterOp::Contains, Vec::<String>::new());
    assert!(
        q.select(&req).is_err(),
        "a stage without pattern is an error"
    );
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn check_label_queries(q: &dyn LogQuerier) {
    let names = ok(q.label_names(TENANT, 0, 100, &[]), "label_names");
    assert_eq!(names, strings(&["app", "env", "region"]));
    let dev = [Matcher::equal("env", "dev")];
    let names = ok(q.label_names(TENANT, 0, 100, &dev), "label_names");
    assert_eq!(
        names,
        strings(&["app", "env"]),
        "label names under matchers"
    );
    let names = ok(q.label_names(TENANT, 200, 300, &[]), "label_names");
    assert!(names.is_empty(), "no stream has data in the range");

    let values = ok(q.label_values(TENANT, 0, 100, "app", &[]), "label_values");
    assert_eq!(values, strings(&["api", "db", "web"]));
    let values = ok(q.label_values(TENANT, 0, 2000, "app", &[]), "label_values");
    assert_eq!(values, strings(&["api", "db", "old", "web"]));
    let prod = [Matcher::equal("env", "prod")];
    let values = ok(q.label_values(TENANT, 0, 100, "app", &prod), "label_values");
    assert_eq!(
        values,
        strings(&["api", "db"]),
        "label values under matchers"
    );
    let values = ok(
        q.label_values(OTHER_TENANT, 0, 100, "app", &[]),
        "label_values",
    );
    assert_eq!(values, strings(&["api"]));
    let values = ok(q.label_values(TENANT, 0, 100, "nope", &[]), "label_values");
    assert!(values.is_empty());
}

fn check_series(q: &dyn LogQuerier) {
    let groups = vec![
        vec![Matcher::equal("app", "web")],
        vec![Matcher::equal("env", "prod")],
        vec![Matcher::equal("region", "eu")],
    ];
    let series = ok(q.series(TENANT, 0, 100, &groups), "series");
    let want = vec![
        labels(&[("app", "api"), ("env", "prod")]),
        labels(&[("app", "db"), ("env", "prod"), ("region", "eu")]),
        labels(&[("app", "web"), ("env", "dev")]),
    ];
    assert_eq!(series, want, "union of the groups, sorted, unique");
    let series = ok(q.series(TENANT, 0, 100, &[Vec::new()]), "series");
    assert!(series.is_empty(), "an empty group selects nothing");
}

/// Sum of entry sizes of the fixture streams of [`TENANT`] with these `app` values.
fn fixture_bytes(apps: &[&str]) -> u64 {
    fixture()
        .iter()
        .filter(|(t, s, _)| t == TENANT && apps.contains(&s.get("app").unwrap_or_default()))
        .flat_map(|(_, _, entries)| entries.iter().map(|e| e.size() as u64))
        .sum()
}

fn check_index_stats(q: &dyn LogQuerier) {
    let prod = [Matcher::equal("env", "prod")];
    let stats = ok(q.index_stats(TENANT, 0, 100, &prod), "index_stats");
    assert_eq!(stats.streams, 2, "{stats:?}");
    assert_eq!(stats.entries, 7, "{stats:?}");
    assert_eq!(stats.bytes, fixture_bytes(&["api", "db"]), "{stats:?}");
    assert!(stats.chunks >= 2, "every stream has a chunk: {stats:?}");
    let none = ok(q.index_stats(TENANT, 0, 100, &[]), "index_stats");
    assert_eq!(none, Default::default(), "no matcher selects nothing");
}

fn check_volume(q: &dyn LogQuerier) {
    let mut req = VolumeRequest {
        tenant: TENANT.into(),
        matchers: vec![Matcher::equal("env", "prod")],
        start: 0,
        end: 100,
        target_labels: Vec::new(),
        aggregate_by: VolumeAggregation::Series,
        limit: None,
    };
    let (api, db) = (fixture_bytes(&["api"]), fixture_bytes(&["db"]));
    let series = |pairs: &[(&str, &str)], bytes| Volume {
        key: VolumeKey::Series(labels(pairs)),
        bytes,
    };
    let got = ok(q.volume(&req), "volume");
    assert_eq!(
        got,
        vec![series(&[("env", "prod")], api + db)],
        "grouped by matcher names"
    );
    req.target_labels = strings(&["app"]);
    let mut want = vec![series(&[("app", "api")], api), series(&[("app", "db")], db)];
    want.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.key.cmp(&b.key)));
    assert_eq!(ok(q.volume(&req), "volume"), want, "largest first");
    req.limit = Some(1);
    assert_eq!(
        ok(q.volume(&req), "volume"),
        want[..1],
        "limit keeps the largest"
    );
    req.limit = None;
    req.aggregate_by = VolumeAggregation::Labels;
    req.target_labels = strings(&["app", "region"]);
    let label = |name: &str, bytes| Volume {
        key: VolumeKey::Label(name.to_owned()),
        bytes,
    };
    let want = vec![label("app", api + db), label("region", db)];
    assert_eq!(
        ok(q.volume(&req), "volume"),
        want,
        "aggregated by label name"
    );
    req.matchers.clear();
    assert!(
        ok(q.volume(&req), "volume").is_empty(),
        "no matcher selects nothing"
    );
}
