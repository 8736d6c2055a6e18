//! Runs Prometheus's own PromQL test scripts (`../shared/conformance/promql/*.test`, format in
//! the NOTICE there) through [`query::promql::Engine`] and prints per-file and total counts of
//! passed, failed and skipped evals.
//!
//! `passing.txt` next to this file lists every eval known to pass (`file:line`); the test fails
//! when one of them no longer passes. Evals that pass without being listed only get a note.
//!
//! ```text
//! # see the counts
//! cargo test -p query --test promql_conformance -- --nocapture
//! # rewrite passing.txt from this run
//! PROMQL_CONFORMANCE_UPDATE=1 cargo test -p query --test promql_conformance
//! # only files whose name contains one of these; print every failure (default: 5 per file)
//! PROMQL_CONFORMANCE_FILES=functions,literals PROMQL_CONFORMANCE_SHOW=all cargo test ...
//! ```

mod baseline;
mod check;
mod lexing;
mod notation;
mod report;
mod script;
mod selectors;
mod storage;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Duration;

use model::Sample;
use query::promql::{Engine, EngineOptions, QueryResult, QueryValue};

use crate::check::Mismatch;
use crate::notation::SeqValue;
use crate::script::{Command, Eval, EvalKind, ExpectedResult, ScriptError, parse_script};
use crate::storage::MemoryStore;

/// Why an eval is not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SkipKind {
    /// The series it selects, or its expected result, hold native histograms.
    NativeHistograms,
    /// The series it selects carry start timestamps (`@st` lines).
    StartTimestamps,
}

/// One kind of skip and why it exists.
struct SkipRule {
    /// The skip.
    kind: SkipKind,
    /// Its short name in the report.
    label: &'static str,
    /// Why evals are skipped for it.
    reason: &'static str,
}

/// Every kind of skip. Each is decided per eval, from the series the query can select (found
/// lexically, see `selectors.rs`) and from its expected result.
const SKIP_RULES: [SkipRule; 2] = [
    SkipRule {
        kind: SkipKind::NativeHistograms,
        label: "native histograms",
        reason: "the eval selects series holding native histograms ({{...}} values, or series \
                 `load_with_nhcb` builds from classic histograms) or expects one; the engine \
                 reads and returns float samples only (issue 4 allows this skip)",
    },
    SkipRule {
        kind: SkipKind::StartTimestamps,
        label: "start timestamps",
        reason: "the eval selects series with `@st` start timestamps, which model::Sample cannot \
                 carry, so the store cannot hand them to the engine",
    },
];

/// Failures printed per file unless `PROMQL_CONFORMANCE_SHOW` says otherwise.
const DEFAULT_SHOWN_FAILURES: usize = 5;

/// The engine settings the scripts assume (NOTICE: "Engine settings the expectations assume").
fn engine() -> Engine {
    Engine::new(EngineOptions {
        lookback_delta_ms: 5 * 60 * 1000,
        max_samples: 10_000,
        timeout: Duration::from_secs(100),
        default_subquery_step_ms: 60 * 1000,
    })
}

/// What the environment asks of this run.
struct Settings {
    /// `PROMQL_CONFORMANCE_UPDATE=1`: rewrite `passing.txt` instead of checking it.
    update: bool,
    /// `PROMQL_CONFORMANCE_FILES`: run only files whose name contains one of these.
    filter: Vec<String>,
    /// `PROMQL_CONFORMANCE_SHOW`: failures printed per file (`None`: all).
    shown_failures: Option<usize>,
}

/// Reads the settings from the environment.
fn settings() -> Settings {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    Settings {
        update: var("PROMQL_CONFORMANCE_UPDATE").is_some_and(|v| v != "0"),
        filter: var("PROMQL_CONFORMANCE_FILES")
            .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
            .unwrap_or_default(),
        shown_failures: match var("PROMQL_CONFORMANCE_SHOW").as_deref() {
            Some("all") => None,
            Some(n) => Some(n.parse().unwrap_or(DEFAULT_SHOWN_FAILURES)),
            None => Some(DEFAULT_SHOWN_FAILURES),
        },
    }
}

/// How one eval went.
#[derive(Debug)]
enum EvalOutcome {
    /// Not run, by this rule.
    Skipped(SkipKind),
    /// Run; the result differed from the expectation.
    Failed(Mismatch),
    /// Passed; for instant evals that qualify, whether the range re-check agreed.
    Passed {
        range_check: Option<Result<(), Mismatch>>,
    },
}

/// A failed eval, for the report.
#[derive(Debug)]
struct Failure {
    /// Line of the eval.
    line: usize,
    /// Its query.
    query: String,
    /// The first difference.
    why: Mismatch,
}

/// The counts and details of one file.
#[derive(Debug, Default)]
struct FileReport {
    /// The script's file name.
    name: String,
    /// Evals run, failed or skipped.
    evals: usize,
    /// Lines of the evals that passed.
    passed_lines: Vec<usize>,
    /// The evals that failed.
    failures: Vec<Failure>,
    /// Lines of the skipped evals, with the rule that skipped each.
    skipped: Vec<(usize, SkipKind)>,
    /// Passing instant evals that were re-checked as range queries.
    range_checked: usize,
    /// Those whose range re-check disagreed (reported, not a failure).
    range_inconsistent: Vec<Failure>,
}

impl FileReport {
    /// Counts how `eval` went.
    fn record(&mut self, eval: &Eval, outcome: EvalOutcome) {
        self.evals += 1;
        let failure = |why| Failure {
            line: eval.line,
            query: eval.query.clone(),
            why,
        };
        match outcome {
            EvalOutcome::Skipped(kind) => self.skipped.push((eval.line, kind)),
            EvalOutcome::Failed(why) => self.failures.push(failure(why)),
            EvalOutcome::Passed { range_check } => {
                self.passed_lines.push(eval.line);
                if let Some(check) = range_check {
                    self.range_checked += 1;
                    if let Err(why) = check {
                        self.range_inconsistent.push(failure(why));
                    }
                }
            }
        }
    }

    /// How many evals were skipped for `kind`.
    fn skipped(&self, kind: SkipKind) -> usize {
        self.skipped.iter().filter(|(_, k)| *k == kind).count()
    }

    /// How many evals were skipped for a reason other than native histograms.
    fn skipped_other(&self) -> usize {
        self.skipped
            .iter()
            .filter(|(_, k)| *k != SkipKind::NativeHistograms)
            .count()
    }
}

/// Runs every command of one script against a fresh store.
fn run_file(engine: &Engine, name: &str, text: &str) -> Result<FileReport, ScriptError> {
    let script = parse_script(name, text)?;
    let mut store = MemoryStore::new();
    let mut report = FileReport {
        name: name.to_owned(),
        ..FileReport::default()
    };
    for command in &script.commands {
        match command {
            Command::Load(load) => store.apply_load(load),
            Command::Clear => store.clear(),
            Command::Eval(eval) => report.record(eval, run_eval(engine, &store, eval)),
        }
    }
    Ok(report)
}

/// Runs one eval, unless a skip rule applies.
fn run_eval(engine: &Engine, store: &MemoryStore, eval: &Eval) -> EvalOutcome {
    if let Some(kind) = skip_kind(store, eval) {
        return EvalOutcome::Skipped(kind);
    }
    let (outcome, time) = match (eval.kind, eval.instant_time()) {
        (EvalKind::Range(g), _) => (
            guarded(|| engine.range(store, &eval.query, g.start_ms, g.end_ms, g.step_ms)),
            None,
        ),
        (EvalKind::Instant { .. }, time) => {
            let t = time.unwrap_or(0);
            (guarded(|| engine.instant(store, &eval.query, t)), Some(t))
        }
    };
    if let Err(why) = check::check_outcome(eval, outcome.as_ref().map_err(String::as_str)) {
        return EvalOutcome::Failed(why);
    }
    let range_check = match (&outcome, time) {
        (Ok(result), Some(t)) => range_recheck(engine, store, eval, result, t),
        _ => None,
    };
    EvalOutcome::Passed { range_check }
}

/// Runs a query, turning an engine panic into an error so one bad query cannot stop the run.
fn guarded(
    query: impl FnOnce() -> Result<QueryResult, query::promql::QueryError>,
) -> Result<QueryResult, String> {
    match catch_unwind(AssertUnwindSafe(query)) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            Err(format!("the engine panicked: {message}"))
        }
    }
}

/// The skip that applies to `eval`, if any (see [`SKIP_RULES`]).
fn skip_kind(store: &MemoryStore, eval: &Eval) -> Option<SkipKind> {
    let expects_histogram = match &eval.expect.result {
        ExpectedResult::Series(series) => series
            .iter()
            .any(|s| s.values.iter().any(|v| matches!(v, SeqValue::Histogram(_)))),
        ExpectedResult::Scalar(_) => false,
    };
    if expects_histogram {
        return Some(SkipKind::NativeHistograms);
    }
    let selectors = selectors::selectors_in(&eval.query);
    let mut start_timestamps = false;
    for (labels, series) in store.iter() {
        if !selectors.iter().any(|s| s.may_select(labels)) {
            continue;
        }
        if series.has_histograms {
            return Some(SkipKind::NativeHistograms);
        }
        start_timestamps |= series.has_start_timestamps;
    }
    start_timestamps.then_some(SkipKind::StartTimestamps)
}

/// Upstream's extra check of a passing instant eval: the same query as a range query from
/// `t - 1m` to `t + 1m` step 1m must give the expected result at its middle step. Skipped
/// (`None`) where upstream skips it: expected failures, ordered results, string or range-vector
/// results, and queries using `start()`, `end()`, `range()` or `step()`.
fn range_recheck(
    engine: &Engine,
    store: &MemoryStore,
    eval: &Eval,
    instant: &QueryResult,
    t: i64,
) -> Option<Result<(), Mismatch>> {
    let expect = &eval.expect;
    let context_dependent = ["start()", "end()", "range()", "step()"]
        .iter()
        .any(|f| eval.query.contains(f));
    let shape_ok = matches!(instant.value, QueryValue::Vector(_) | QueryValue::Scalar(_));
    if expect.fail.is_some()
        || expect.ordered
        || expect.range_vector.is_some()
        || expect.string.is_some()
        || context_dependent
        || !shape_ok
    {
        return None;
    }
    let result = match guarded(|| engine.range(store, &eval.query, t - MINUTE, t + MINUTE, MINUTE))
    {
        Ok(result) => result,
        Err(e) => return Some(Err(format!("range mode failed: {e}"))),
    };
    let QueryValue::Matrix(matrix) = &result.value else {
        return Some(Err("range mode did not return a matrix".to_owned()));
    };
    let at_t = check::vector_at(matrix, t);
    let value = if matches!(instant.value, QueryValue::Scalar(_)) {
        match at_t.first() {
            Some(first) => QueryValue::Scalar(Sample::new(t, first.v)),
            None => return Some(Err(format!("range mode has no point at t={t}"))),
        }
    } else {
        QueryValue::Vector(at_t)
    };
    Some(
        check::check_sorted(matrix)
            .and_then(|()| check::check_value(eval, &value))
            .map_err(|why| format!("range mode: {why}")),
    )
}

/// Step and half-width of the range re-check, ms.
const MINUTE: i64 = 60_000;

/// The scripts' folder: `../shared/conformance/promql` from the workspace root.
fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/promql")
}

/// `passing.txt` next to this file.
fn baseline_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/promql_conformance/passing.txt")
}

/// The `*.test` files to run, sorted by name, with their text.
fn script_files(dir: &Path, filter: &[String]) -> std::io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let wanted = filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
        if name.ends_with(".test") && wanted {
            files.push((name, std::fs::read_to_string(&path)?));
        }
    }
    files.sort();
    Ok(files)
}

#[test]
fn promql_conformance() {
    let settings = settings();
    let dir = conformance_dir();
    let files = script_files(&dir, &settings.filter).unwrap_or_else(|e| {
        panic!(
            "cannot read the conformance scripts in {}: {e}",
            dir.display()
        )
    });
    assert!(
        !files.is_empty(),
        "no *.test files in {} (filter {:?})",
        dir.display(),
        settings.filter
    );
    let engine = engine();
    let reports: Vec<FileReport> = files
        .iter()
        .map(|(name, text)| {
            run_file(&engine, name, text).unwrap_or_else(|e| panic!("script error: {e}"))
        })
        .collect();
    report::print_counts(&dir, &reports);
    report::print_failures(&reports, settings.shown_failures);
    let path = baseline_path();
    let baseline =
        baseline::load(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let outcome = report::compare(&reports, &baseline);
    report::print_baseline(&path, &baseline, &outcome);
    if settings.update {
        let entries = report::updated_entries(&reports, &baseline);
        baseline::write(&path, &entries)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        println!("wrote {} ({} evals)", path.display(), entries.len());
        return;
    }
    assert!(
        outcome.regressions.is_empty(),
        "{} eval(s) listed in passing.txt no longer pass:\n  {}",
        outcome.regressions.len(),
        outcome.regressions.join("\n  ")
    );
}
