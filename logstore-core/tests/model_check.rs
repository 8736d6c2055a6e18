//! Model test: random push / flush / compact / delete / reopen sequences against an in-memory
//! reference, compared through the `LogQuerier` API after every step.
//!
//! The reference keeps, per tenant and stream, the entries reads must return in the order they
//! were stored, by the store's documented rules: an entry with the timestamp and line of one
//! already visible in its stream is stored once; a delete request hides its entries at once, and
//! entries pushed into its range while it is pending; a request is done once compaction leaves
//! no stored data it affects, and entries pushed after that are kept. `VecLogQuerier` over those
//! entries answers the same requests with the `LogQuerier` contract's ordering, so every select
//! (both directions, with and without a limit and a line filter, over the whole range and parts
//! of it) must equal its answer. The metadata calls may answer at chunk granularity, so they are
//! checked between the exact answer and the streams whose stored entries could overlap the range.
//!
//! The contract orders equal timestamps of one stream as they were stored; the store does not
//! yet (see the ignored tests at the end), so the tests that run compare such ties as sets
//! ([`Ties::AnyOrder`]) and the ignored ones exactly ([`Ties::Stored`]).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use logstore_core::{LogStore, Options, PushStream, StreamLabels};
use model::logs::{
    Direction, LineFilterChain, LineFilterOp, LogEntry, LogQuerier, LogSelect, VecLogQuerier,
    matches_all,
};
use model::{Labels, MatchType, Matcher};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const SEC: i64 = 1_000_000_000;
/// 2023-11-14 00:00 UTC: segments are partitioned by UTC day, so timestamps straddle two.
const MIDNIGHT: i64 = 1_699_920_000 * SEC;
/// Every timestamp is `BASE + 0..SPAN` ns: few enough for duplicates, equal timestamps and
/// out-of-order entries to be common, all far inside the ordering window.
const BASE: i64 = MIDNIGHT - 8;
const SPAN: i64 = 16;
/// The "now" of every push: after every timestamp, so no age limit applies.
const NOW: i64 = BASE + SPAN;

const TENANTS: [&str; 2] = ["fake", "other"];

/// The label space: stream `i` of a push is `STREAMS[i]`.
const STREAMS: [&[(&str, &str)]; 4] = [
    &[("app", "a")],
    &[("app", "b")],
    &[("env", "prod"), ("app", "a")],
    &[("app", "c"), ("env", "dev")],
];

/// The stream selectors reads use.
fn query_selectors() -> Vec<Vec<Matcher>> {
    vec![
        vec![Matcher::new(MatchType::Regex, "app", ".+").unwrap()],
        vec![Matcher::equal("app", "a")],
        vec![
            Matcher::new(MatchType::Regex, "app", "a|c").unwrap(),
            Matcher::new(MatchType::NotEqual, "env", "prod").unwrap(),
        ],
    ]
}

/// The stream selectors delete requests use (each has a matcher that refuses the empty string).
fn delete_selectors() -> Vec<Vec<Matcher>> {
    vec![
        vec![Matcher::equal("app", "a")],
        vec![Matcher::equal("env", "dev")],
        vec![Matcher::new(MatchType::Regex, "app", "b|c").unwrap()],
        vec![Matcher::equal("app", "a"), Matcher::equal("env", "prod")],
    ]
}

/// The read ranges `[start, end)`: everything, a part across midnight, and midnight alone.
const RANGES: [(i64, i64); 3] = [
    (BASE - 1, BASE + SPAN + 1),
    (BASE + 5, BASE + 11),
    (MIDNIGHT, MIDNIGHT + 1),
];

#[derive(Debug, Clone)]
enum Op {
    /// One push to `TENANTS[tenant]`: per stream (an index into `STREAMS`, possibly repeated),
    /// its entries as (ns after `BASE`, line).
    Push {
        tenant: usize,
        streams: Vec<(usize, Vec<(i64, String)>)>,
    },
    Flush {
        all: bool,
    },
    Compact,
    /// A delete request of `TENANTS[tenant]` with `delete_selectors()[selector]` for
    /// `[BASE + from, BASE + from + len)`.
    Delete {
        tenant: usize,
        selector: usize,
        from: i64,
        len: i64,
    },
    /// Close and open again.
    Reopen,
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        12 => "[abe]{1,2}",
        3 => "[abe]{3}",
    ]
}

fn push() -> impl Strategy<Value = Op> {
    let entries = proptest::collection::vec((0..SPAN, line()), 1..=5);
    let streams = proptest::collection::vec((0..STREAMS.len(), entries), 1..=3);
    let tenant = prop_oneof![4 => Just(0usize), 1 => Just(1usize)];
    (tenant, streams).prop_map(|(tenant, streams)| Op::Push { tenant, streams })
}

fn op() -> impl Strategy<Value = Op> {
    let delete = (
        0..TENANTS.len(),
        0..delete_selectors().len(),
        0..SPAN,
        1..6i64,
    )
        .prop_map(|(tenant, selector, from, len)| Op::Delete {
            tenant,
            selector,
            from,
            len,
        });
    prop_oneof![
        12 => push(),
        2 => Just(Op::Flush { all: false }),
        3 => Just(Op::Flush { all: true }),
        2 => Just(Op::Compact),
        1 => delete,
        2 => Just(Op::Reopen),
    ]
}

fn stream_labels(i: usize) -> Labels {
    Labels::from_pairs(STREAMS[i].iter().copied()).unwrap()
}

/// A pending delete request as the reference keeps it.
#[derive(Debug, Clone)]
struct PendingDelete {
    id: u64,
    matchers: Vec<Matcher>,
    start: i64,
    end: i64,
}

impl PendingDelete {
    fn hides(&self, labels: &Labels, ts: i64) -> bool {
        self.start <= ts && ts < self.end && matches_all(labels, &self.matchers)
    }
}

/// Oldest and newest timestamp, inclusive.
type Span = (i64, i64);

fn widen(span: &mut Option<Span>, ts: i64) {
    *span = Some(span.map_or((ts, ts), |(lo, hi)| (lo.min(ts), hi.max(ts))));
}

fn overlaps((lo, hi): Span, start: i64, end: i64) -> bool {
    lo < end && hi >= start
}

/// What a stream ever accepted: no chunk of it reaches outside `span`, and it never held more
/// than `entries` entries of `bytes` bytes.
#[derive(Debug, Default)]
struct Accepted {
    span: Option<Span>,
    entries: u64,
    bytes: u64,
}

/// What one tenant of the store must hold.
#[derive(Debug, Default)]
struct TenantModel {
    /// Per stream, the entries reads return (ts, line), in the order they were stored.
    visible: BTreeMap<Labels, Vec<(i64, String)>>,
    /// Per stream, every entry ever accepted.
    accepted: BTreeMap<Labels, Accepted>,
    /// Per stream, the span of the entries accepted since the last `flush(true)`: the head
    /// holds nothing outside it.
    head: BTreeMap<Labels, Option<Span>>,
    /// Delete requests not done, in id order.
    pending: Vec<PendingDelete>,
}

impl TenantModel {
    fn push(&mut self, labels: &Labels, ts: i64, line: &str) {
        let accepted = self.accepted.entry(labels.clone()).or_default();
        widen(&mut accepted.span, ts);
        accepted.entries += 1;
        accepted.bytes += line.len() as u64;
        widen(self.head.entry(labels.clone()).or_default(), ts);
        if self.pending.iter().any(|d| d.hides(labels, ts)) {
            return;
        }
        let entries = self.visible.entry(labels.clone()).or_default();
        if !entries.iter().any(|(t, l)| *t == ts && l == line) {
            entries.push((ts, line.to_owned()));
        }
    }

    fn delete(&mut self, request: PendingDelete) {
        for (labels, entries) in &mut self.visible {
            entries.retain(|(ts, _)| !request.hides(labels, *ts));
        }
        self.pending.push(request);
    }

    /// True when no head data of a stream `request` selects can lie in its range, so a
    /// compaction must mark it done.
    fn must_finish(&self, request: &PendingDelete) -> bool {
        !self.head.iter().any(|(labels, span)| {
            matches_all(labels, &request.matchers)
                && span.is_some_and(|s| overlaps(s, request.start, request.end))
        })
    }

    /// The streams the metadata calls may report for `matchers` over `[start, end)`: the exact
    /// ones (a visible entry in the range) and the widest (stored entries that could overlap).
    fn stream_bounds(
        &self,
        matchers: &[Matcher],
        start: i64,
        end: i64,
    ) -> (BTreeSet<Labels>, BTreeSet<Labels>) {
        let exact = self
            .visible
            .iter()
            .filter(|(l, e)| {
                matches_all(l, matchers) && e.iter().any(|(t, _)| start <= *t && *t < end)
            })
            .map(|(l, _)| l.clone())
            .collect();
        let widest = self
            .accepted
            .iter()
            .filter(|(l, a)| {
                matches_all(l, matchers) && a.span.is_some_and(|s| overlaps(s, start, end))
            })
            .map(|(l, _)| l.clone())
            .collect();
        (exact, widest)
    }
}

/// The reference store: per tenant, what it must hold. Structured metadata is never pushed (the
/// store ignores it when it drops duplicates, so which copy's metadata a read returns is not
/// part of what this test pins down).
#[derive(Debug, Default)]
struct Reference {
    tenants: BTreeMap<String, TenantModel>,
}

impl Reference {
    fn tenant(&mut self, name: &str) -> &mut TenantModel {
        self.tenants.entry(name.to_owned()).or_default()
    }

    /// A `LogQuerier` over the visible entries, which orders them as the contract says.
    fn querier(&self) -> VecLogQuerier {
        let mut q = VecLogQuerier::new();
        for (tenant, model) in &self.tenants {
            for (labels, entries) in &model.visible {
                let entries = entries
                    .iter()
                    .map(|(ts, l)| LogEntry::new(*ts, l.as_bytes()));
                q.push_all(tenant, labels, entries);
            }
        }
        q
    }

    fn flushed_all(&mut self) {
        for model in self.tenants.values_mut() {
            model.head.clear();
        }
    }

    /// After a compaction: the requests with no head data left in their range must be done;
    /// the others may be (the head may hold less than the reference knows, e.g. after a reopen
    /// turned sealed blocks into a cut chunk that a later flush wrote out), so the store's
    /// answer is taken for them once checked to be a subset of the pending ones.
    fn compacted(&mut self, store: &LogStore) {
        for (tenant, model) in &mut self.tenants {
            let still: BTreeSet<u64> = store.pending_deletes(tenant).iter().map(|r| r.id).collect();
            for r in &model.pending {
                let wrong = still.contains(&r.id) && model.must_finish(r);
                assert!(!wrong, "{tenant}: {r:?} pending with no head data in range");
            }
            let known: BTreeSet<u64> = model.pending.iter().map(|r| r.id).collect();
            assert!(
                still.is_subset(&known),
                "{tenant}: pending {still:?}, known {known:?}"
            );
            model.pending.retain(|r| still.contains(&r.id));
        }
    }
}

/// A block size of a few entries, so chunks hold many sealed blocks and out-of-order entries
/// land beside blocks already sealed.
const SMALL_BLOCKS: usize = 48;

/// The block sizes a run uses: small mostly, sometimes the default (one block per chunk here).
fn block_size() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(SMALL_BLOCKS), 1 => Just(Options::default().chunk.block_size)]
}

/// The store under test: its directory, the options it is opened with, and the open store.
struct Subject {
    dir: tempfile::TempDir,
    options: Options,
    store: Option<LogStore>,
}

impl Subject {
    /// A new, empty store whose blocks are sealed at `block_size` bytes.
    fn new(block_size: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut options = common::opts();
        options.chunk.block_size = block_size;
        let store = Some(LogStore::open(dir.path(), options.clone()).unwrap());
        Self {
            dir,
            options,
            store,
        }
    }

    fn store(&self) -> &LogStore {
        self.store.as_ref().unwrap()
    }

    fn reopen(&mut self) {
        self.store.take().unwrap().close().unwrap();
        let store = LogStore::open(self.dir.path(), self.options.clone()).unwrap();
        self.store = Some(store);
    }
}

fn apply_push(
    store: &LogStore,
    reference: &mut Reference,
    tenant: &str,
    streams: &[(usize, Vec<(i64, String)>)],
) {
    let batch: Vec<PushStream> = streams
        .iter()
        .map(|(s, entries)| PushStream {
            labels: StreamLabels::Pairs(
                STREAMS[*s]
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            entries: entries
                .iter()
                .map(|(dt, l)| LogEntry::new(BASE + dt, l.as_bytes()))
                .collect(),
        })
        .collect();
    let out = store.push_at(tenant, batch, NOW).unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    let total: usize = streams.iter().map(|(_, e)| e.len()).sum();
    assert_eq!(
        out.accepted_entries, total as u64,
        "duplicates count as stored"
    );
    let model = reference.tenant(tenant);
    for (s, entries) in streams {
        let labels = stream_labels(*s);
        for (dt, l) in entries {
            model.push(&labels, BASE + dt, l);
        }
    }
}

fn apply_delete(
    store: &LogStore,
    reference: &mut Reference,
    tenant: &str,
    matchers: Vec<Matcher>,
    start: i64,
    end: i64,
) {
    let id = store.delete(tenant, &matchers, start, end).unwrap();
    reference.tenant(tenant).delete(PendingDelete {
        id,
        matchers,
        start,
        end,
    });
}

/// Applies `op` to the store and to the reference.
fn apply(subject: &mut Subject, reference: &mut Reference, op: &Op) {
    let s = subject.store();
    match op {
        Op::Push { tenant, streams } => apply_push(s, reference, TENANTS[*tenant], streams),
        Op::Flush { all } => {
            s.flush(*all).unwrap();
            if *all {
                reference.flushed_all();
            }
        }
        Op::Compact => {
            s.compact().unwrap();
            reference.compacted(s);
        }
        Op::Delete {
            tenant,
            selector,
            from,
            len,
        } => {
            let matchers = delete_selectors()[*selector].clone();
            let start = BASE + from;
            apply_delete(s, reference, TENANTS[*tenant], matchers, start, start + len);
        }
        Op::Reopen => subject.reopen(),
    }
}

/// (direction, limit, filter) of the selects each check makes.
fn select_variants() -> Vec<(Direction, Option<usize>, LineFilterChain)> {
    let contains_e = LineFilterChain::new().then(LineFilterOp::Contains, ["e"]);
    let no_a = LineFilterChain::new().then(LineFilterOp::NotContains, ["a"]);
    vec![
        (Direction::Forward, None, LineFilterChain::new()),
        (Direction::Backward, None, LineFilterChain::new()),
        (Direction::Forward, Some(3), contains_e.clone()),
        (Direction::Backward, Some(4), LineFilterChain::new()),
        (Direction::Backward, None, no_a),
        (Direction::Forward, Some(1), LineFilterChain::new()),
        (Direction::Backward, Some(2), contains_e),
    ]
}

/// One entry a select returned: its stream, ns after `BASE`, and line.
type Row = (Labels, i64, String);

fn select(q: &dyn LogQuerier, req: &LogSelect) -> Vec<Row> {
    q.select(req)
        .unwrap()
        .map(|r| {
            let (labels, e) = r.unwrap();
            assert!(e.metadata.is_empty(), "no metadata was pushed: {e:?}");
            (labels, e.ts - BASE, String::from_utf8(e.line).unwrap())
        })
        .collect()
}

/// How strictly selects are compared with the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ties {
    /// Exactly, including the contract's order of equal timestamps within a stream (the order
    /// the entries were stored).
    Stored,
    /// Exactly, except that entries of one stream with equal timestamps may come in any order
    /// among themselves (and a limit that cuts through such a run may keep any of them).
    AnyOrder,
}

/// `rows` with every run of one stream's entries at one timestamp sorted by line.
fn ties_sorted(rows: &[Row]) -> Vec<Row> {
    let mut out = rows.to_vec();
    for run in out.chunk_by_mut(|a, b| (&a.0, a.1) == (&b.0, b.1)) {
        run.sort_by(|a, b| a.2.cmp(&b.2));
    }
    out
}

/// `got` is what the reference returns for the same select without limit (`all`) cut to
/// `limit`, with ties within a stream compared as sets.
fn assert_same_up_to_ties(got: &[Row], all: &[Row], limit: Option<usize>, what: &str) {
    let n = limit.map_or(all.len(), |l| l.min(all.len()));
    assert_eq!(
        got.len(),
        n,
        "{what}: entry count\n got: {got:?}\nwant: {all:?}"
    );
    let Some(last) = got.last() else {
        return;
    };
    // Runs before the last one are complete; the last one may be cut by the limit.
    let key = (&last.0, last.1);
    let cut = got.iter().position(|r| (&r.0, r.1) == key).unwrap_or(n);
    let want = &all[..n];
    assert_eq!(
        ties_sorted(&got[..cut]),
        ties_sorted(&want[..cut]),
        "{what}\n got: {got:?}\nwant: {all:?}"
    );
    assert!(
        want[cut..].iter().all(|r| (&r.0, r.1) == key),
        "{what}: the last run starts elsewhere\n got: {got:?}\nwant: {all:?}"
    );
    let run: BTreeSet<&Row> = all.iter().filter(|r| (&r.0, r.1) == key).collect();
    let tail: BTreeSet<&Row> = got[cut..].iter().collect();
    assert!(
        tail.len() == n - cut && tail.is_subset(&run),
        "{what}: last run\n got: {got:?}\nwant: {all:?}"
    );
}

/// Every select of the check agrees with the reference's.
fn check_selects(store: &LogStore, expected: &VecLogQuerier, tenant: &str, ties: Ties, when: &str) {
    for matchers in query_selectors() {
        for (start, end) in RANGES[..2].iter().copied() {
            for (direction, limit, filter) in select_variants() {
                let mut req = LogSelect::new(tenant, matchers.clone(), start, end);
                req.direction = direction;
                req.limit = limit;
                req.filter = filter;
                let got = select(store, &req);
                let what = format!(
                    "{when}: {tenant} {matchers:?} [{}, {}) {direction:?} limit {limit:?} {}",
                    start - BASE,
                    end - BASE,
                    req.filter
                );
                if ties == Ties::Stored {
                    assert_eq!(got, select(expected, &req), "{what}");
                } else {
                    req.limit = None;
                    assert_same_up_to_ties(&got, &select(expected, &req), limit, &what);
                }
            }
        }
    }
}

/// `got` is sorted, unique, and between `exact` and `widest`.
fn assert_between<T: Ord + std::fmt::Debug>(
    got: &[T],
    exact: &BTreeSet<T>,
    widest: &BTreeSet<T>,
    what: &str,
) {
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "{what}: not sorted and unique: {got:?}"
    );
    let got: BTreeSet<&T> = got.iter().collect();
    assert!(
        exact.iter().all(|x| got.contains(x)),
        "{what}: {got:?} misses some of {exact:?}"
    );
    assert!(
        got.iter().all(|x| widest.contains(x)),
        "{what}: {got:?} has more than {widest:?}"
    );
}

fn values_of(streams: &BTreeSet<Labels>, name: &str) -> BTreeSet<String> {
    streams
        .iter()
        .filter_map(|l| l.get(name).map(str::to_owned))
        .collect()
}

/// `series`, `label_values` and `label_names` lie between the exact and the widest answer.
fn check_metadata(store: &LogStore, model: &TenantModel, tenant: &str, when: &str) {
    let all = query_selectors().swap_remove(0);
    for (start, end) in RANGES {
        let at = format!("{when}: {tenant} [{}, {})", start - BASE, end - BASE);
        for groups in [vec![all.clone()], query_selectors()[1..].to_vec()] {
            let mut exact = BTreeSet::new();
            let mut widest = BTreeSet::new();
            for g in &groups {
                let (e, w) = model.stream_bounds(g, start, end);
                exact.extend(e);
                widest.extend(w);
            }
            let got = store.series(tenant, start, end, &groups).unwrap();
            assert_between(&got, &exact, &widest, &format!("{at} series {groups:?}"));
        }
        let (exact, widest) = model.stream_bounds(&all, start, end);
        let got = store.label_values(tenant, start, end, "app", &[]).unwrap();
        let (e, w) = (values_of(&exact, "app"), values_of(&widest, "app"));
        assert_between(&got, &e, &w, &format!("{at} label_values app"));
        let env_of_a = vec![Matcher::equal("app", "a")];
        let (exact_a, widest_a) = model.stream_bounds(&env_of_a, start, end);
        let got = store
            .label_values(tenant, start, end, "env", &env_of_a)
            .unwrap();
        let (e, w) = (values_of(&exact_a, "env"), values_of(&widest_a, "env"));
        assert_between(
            &got,
            &e,
            &w,
            &format!("{at} label_values env {{app=\"a\"}}"),
        );
        let names = |s: &BTreeSet<Labels>| -> BTreeSet<String> {
            s.iter()
                .flat_map(|l| l.iter().map(|(n, _)| n.to_owned()).collect::<Vec<_>>())
                .collect()
        };
        let got = store.label_names(tenant, start, end, &[]).unwrap();
        assert_between(
            &got,
            &names(&exact),
            &names(&widest),
            &format!("{at} label_names"),
        );
    }
}

/// `index_stats` counts at least the visible entries in the range and at most every entry
/// the streams it may count ever accepted.
fn check_index_stats(store: &LogStore, model: &TenantModel, tenant: &str, when: &str) {
    for matchers in query_selectors() {
        for (start, end) in RANGES {
            let got = store.index_stats(tenant, start, end, &matchers).unwrap();
            let (exact, widest) = model.stream_bounds(&matchers, start, end);
            let visible = exact
                .iter()
                .flat_map(|l| &model.visible[l])
                .filter(|(ts, _)| start <= *ts && *ts < end);
            let (min_entries, min_bytes) =
                visible.fold((0, 0), |(n, b), (_, l)| (n + 1, b + l.len() as u64));
            let ever = widest.iter().map(|l| &model.accepted[l]);
            let (max_entries, max_bytes) =
                ever.fold((0, 0), |(n, b), a| (n + a.entries, b + a.bytes));
            let what = format!(
                "{when}: {tenant} index_stats {matchers:?} [{}, {}): {got:?}",
                start - BASE,
                end - BASE
            );
            let streams = got.streams as usize;
            assert!((exact.len()..=widest.len()).contains(&streams), "{what}");
            assert!(got.chunks >= got.streams, "{what}");
            assert!((min_entries..=max_entries).contains(&got.entries), "{what}");
            assert!((min_bytes..=max_bytes).contains(&got.bytes), "{what}");
        }
    }
}

/// The store agrees with the reference on every read, and on which delete requests are pending.
fn check(store: &LogStore, reference: &Reference, ties: Ties, when: &str) {
    let expected = reference.querier();
    let empty = TenantModel::default();
    for tenant in TENANTS {
        let model = reference.tenants.get(tenant).unwrap_or(&empty);
        check_selects(store, &expected, tenant, ties, when);
        check_metadata(store, model, tenant, when);
        check_index_stats(store, model, tenant, when);
        let pending: Vec<u64> = store.pending_deletes(tenant).iter().map(|r| r.id).collect();
        let want: Vec<u64> = model.pending.iter().map(|r| r.id).collect();
        assert_eq!(pending, want, "{when}: {tenant} pending delete requests");
    }
}

/// Runs `ops` on a new store with blocks of `block_size` bytes, checking it against the
/// reference after every one and after a last reopen.
fn run(ops: &[Op], ties: Ties, block_size: usize) {
    let mut subject = Subject::new(block_size);
    let mut reference = Reference::default();
    for (i, op) in ops.iter().enumerate() {
        apply(&mut subject, &mut reference, op);
        let when = format!("after op {i} {op:?}");
        check(subject.store(), &reference, ties, &when);
    }
    subject.reopen();
    check(subject.store(), &reference, ties, "after the final reopen");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn the_store_agrees_with_the_reference(
        ops in proptest::collection::vec(op(), 1..40),
        block_size in block_size(),
    ) {
        run(&ops, Ties::AnyOrder, block_size);
    }

    #[test]
    #[ignore = "store gap: compaction merges a stream's chunks by start time, so ties across them can lose push order"]
    fn the_store_agrees_with_the_reference_including_the_order_of_ties(
        ops in proptest::collection::vec(op(), 1..40),
        block_size in block_size(),
    ) {
        run(&ops, Ties::Stored, block_size);
    }
}

/// A few hundred operations drawn with a fixed seed, so the same long sequence runs every time.
#[test]
fn long_pinned_run() {
    let seed = *b"logstore-core model check seed 1";
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let ops = proptest::collection::vec(op(), 400)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    run(&ops, Ties::AnyOrder, SMALL_BLOCKS);
}

/// A push with entries given as (ns after `BASE`, line).
fn push_op(tenant: usize, streams: &[(usize, &[(i64, &str)])]) -> Op {
    Op::Push {
        tenant,
        streams: streams
            .iter()
            .map(|(s, e)| (*s, e.iter().map(|(t, l)| (*t, (*l).to_owned())).collect()))
            .collect(),
    }
}

/// Shrunk from a failure of the ties check: with 48-byte blocks the first push seals
/// [+1 "", +1 "eee", +14 ""] and leaves [+14 "e"] open; the second push's +0 lands in the open
/// block, which then starts before the sealed one, is loaded first, and its +14 "e" comes out
/// before the +14 "" stored earlier. The contract orders equal timestamps of a stream as stored.
#[test]
fn equal_timestamps_keep_their_stored_order_across_overlapping_blocks() {
    run(
        &[
            push_op(0, &[(3, &[(14, ""), (1, ""), (1, "eee"), (14, "e")])]),
            push_op(0, &[(3, &[(0, "")])]),
        ],
        Ties::Stored,
        SMALL_BLOCKS,
    );
}

/// Shrunk from a failure of the ties check: an entry flushed to a segment, then another at the
/// same timestamp pushed to the head. Reads list head blocks before segment blocks, and among
/// blocks that start together the one listed first is loaded first, so the newer entry comes
/// out first.
#[test]
fn an_entry_pushed_after_a_flush_comes_after_flushed_ones_at_its_timestamp() {
    run(
        &[
            push_op(0, &[(0, &[(6, "")])]),
            Op::Flush { all: true },
            push_op(0, &[(0, &[(6, "a")])]),
        ],
        Ties::Stored,
        SMALL_BLOCKS,
    );
}
