//! What the runner prints, and the comparison of a run with `passing.txt`.

use std::collections::BTreeSet;
use std::path::Path;

use crate::baseline::{Baseline, entry_file};
use crate::{FileReport, SKIP_RULES, SkipKind};

/// Most entries a note lists by name.
const LISTED_ENTRIES: usize = 20;

/// Prints the per-file and total counts, the skips by rule and the range re-check count.
pub fn print_counts(dir: &Path, reports: &[FileReport]) {
    println!(
        "\nPromQL conformance: {} script(s) in {}",
        reports.len(),
        dir.display()
    );
    println!(
        "{:<28} {:>6} {:>7} {:>7} {:>8} {:>11} {:>14}",
        "file", "evals", "passed", "failed", "skip:nh", "skip:other", "range-consist."
    );
    let mut total = Totals::default();
    for r in reports {
        let row = Totals::of(r);
        print_row(&r.name, &row);
        total.add(&row);
    }
    print_row("total", &total);
    for rule in SKIP_RULES
        .iter()
        .filter(|r| r.kind != SkipKind::NativeHistograms)
    {
        let count: usize = reports.iter().map(|r| r.skipped(rule.kind)).sum();
        println!("skipped for {}: {count} ({})", rule.label, rule.reason);
    }
    println!(
        "instant evals also consistent as range queries: {} of {} re-checked \
         (reported, not enforced)",
        total.range_checked - total.range_inconsistent,
        total.range_checked
    );
}

/// The counts of one row.
#[derive(Debug, Default)]
struct Totals {
    evals: usize,
    passed: usize,
    failed: usize,
    skipped_nh: usize,
    skipped_other: usize,
    range_checked: usize,
    range_inconsistent: usize,
}

impl Totals {
    /// The counts of one file.
    fn of(r: &FileReport) -> Self {
        Totals {
            evals: r.evals,
            passed: r.passed_lines.len(),
            failed: r.failures.len(),
            skipped_nh: r.skipped(SkipKind::NativeHistograms),
            skipped_other: r.skipped_other(),
            range_checked: r.range_checked,
            range_inconsistent: r.range_inconsistent.len(),
        }
    }

    /// Adds another row's counts.
    fn add(&mut self, o: &Totals) {
        self.evals += o.evals;
        self.passed += o.passed;
        self.failed += o.failed;
        self.skipped_nh += o.skipped_nh;
        self.skipped_other += o.skipped_other;
        self.range_checked += o.range_checked;
        self.range_inconsistent += o.range_inconsistent;
    }
}

/// Prints one table row.
fn print_row(name: &str, t: &Totals) {
    let consistent = format!(
        "{}/{}",
        t.range_checked - t.range_inconsistent,
        t.range_checked
    );
    println!(
        "{name:<28} {:>6} {:>7} {:>7} {:>8} {:>11} {consistent:>14}",
        t.evals, t.passed, t.failed, t.skipped_nh, t.skipped_other
    );
}

/// Prints failures (`file:line: query` and the first difference), at most `shown` per file
/// (`None`: all), then the instant evals the range re-check disagreed with.
pub fn print_failures(reports: &[FileReport], shown: Option<usize>) {
    let limit = shown.unwrap_or(usize::MAX);
    let failed: usize = reports.iter().map(|r| r.failures.len()).sum();
    if failed > 0 {
        let scope = shown.map_or("all".to_owned(), |n| format!("first {n} per file"));
        println!("\nfailures ({scope}; PROMQL_CONFORMANCE_SHOW=all|N for more):");
    }
    for r in reports {
        for f in r.failures.iter().take(limit) {
            println!("{}:{}: {}\n    {}", r.name, f.line, f.query, f.why);
        }
        if r.failures.len() > limit {
            println!("{}: ... {} more", r.name, r.failures.len() - limit);
        }
    }
    for r in reports {
        for f in r.range_inconsistent.iter().take(limit) {
            println!("note: {}:{}: {}\n    {}", r.name, f.line, f.query, f.why);
        }
    }
}

/// A run compared with the baseline.
#[derive(Debug, Default)]
pub struct BaselineOutcome {
    /// Listed evals (of the files run) that did not pass, each with why.
    pub regressions: Vec<String>,
    /// Passing evals that are not listed.
    pub unlisted: Vec<String>,
}

/// `file:line` of every passing eval of `reports`.
fn passing_entries(reports: &[FileReport]) -> BTreeSet<String> {
    reports
        .iter()
        .flat_map(|r| {
            r.passed_lines
                .iter()
                .map(move |line| format!("{}:{line}", r.name))
        })
        .collect()
}

/// Compares the run with the baseline; entries of files not run are left alone.
pub fn compare(reports: &[FileReport], baseline: &Baseline) -> BaselineOutcome {
    let passing = passing_entries(reports);
    let regressions = baseline
        .entries
        .iter()
        .filter(|e| !passing.contains(*e))
        .filter_map(|e| {
            let report = reports.iter().find(|r| r.name == entry_file(e))?;
            Some(format!("{e}: {}", why_not_passing(report, e)))
        })
        .collect();
    let unlisted = passing
        .into_iter()
        .filter(|e| !baseline.entries.contains(e))
        .collect();
    BaselineOutcome {
        regressions,
        unlisted,
    }
}

/// Why baseline entry `entry` of `report`'s file did not pass.
fn why_not_passing(report: &FileReport, entry: &str) -> String {
    let line: Option<usize> = entry.rsplit_once(':').and_then(|(_, l)| l.parse().ok());
    if let Some(f) = report.failures.iter().find(|f| Some(f.line) == line) {
        return format!("{}\n    {}", f.query, f.why);
    }
    if let Some((_, kind)) = report.skipped.iter().find(|(l, _)| Some(*l) == line) {
        return format!("now skipped ({kind:?})");
    }
    "no eval starts on this line any more".to_owned()
}

/// Prints what the comparison with the baseline found.
pub fn print_baseline(path: &Path, baseline: &Baseline, outcome: &BaselineOutcome) {
    if !baseline.present {
        println!(
            "\nno baseline at {}: treated as empty, so nothing can regress; \
             create it with PROMQL_CONFORMANCE_UPDATE=1",
            path.display()
        );
    } else {
        println!(
            "\nbaseline {} lists {} evals",
            path.display(),
            baseline.entries.len()
        );
    }
    if !outcome.unlisted.is_empty() {
        let shown: Vec<&str> = outcome
            .unlisted
            .iter()
            .take(LISTED_ENTRIES)
            .map(String::as_str)
            .collect();
        let more = outcome.unlisted.len().saturating_sub(LISTED_ENTRIES);
        println!(
            "note: {} passing eval(s) not in the baseline \
             (refresh it with PROMQL_CONFORMANCE_UPDATE=1): {}{}",
            outcome.unlisted.len(),
            shown.join(" "),
            if more > 0 {
                format!(" ... and {more} more")
            } else {
                String::new()
            }
        );
    }
    for regression in &outcome.regressions {
        println!("REGRESSION {regression}");
    }
}

/// The baseline after an update: the passing evals of this run plus the entries of files this
/// run did not cover.
pub fn updated_entries(reports: &[FileReport], baseline: &Baseline) -> BTreeSet<String> {
    let run: BTreeSet<&str> = reports.iter().map(|r| r.name.as_str()).collect();
    let mut entries = passing_entries(reports);
    entries.extend(
        baseline
            .entries
            .iter()
            .filter(|e| !run.contains(entry_file(e)))
            .cloned(),
    );
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Failure;

    fn report() -> FileReport {
        FileReport {
            name: "a.test".to_owned(),
            evals: 5,
            passed_lines: vec![3, 11],
            failures: vec![Failure {
                line: 5,
                query: "rate(x[1m])".to_owned(),
                why: "query failed: boom".to_owned(),
            }],
            skipped: vec![(7, SkipKind::NativeHistograms)],
            range_checked: 0,
            range_inconsistent: Vec::new(),
        }
    }

    fn baseline(entries: &[&str]) -> Baseline {
        Baseline {
            entries: entries.iter().map(|e| (*e).to_owned()).collect(),
            present: true,
        }
    }

    #[test]
    fn listed_evals_that_do_not_pass_are_regressions() {
        let listed = baseline(&["a.test:3", "a.test:5", "a.test:7", "a.test:9", "b.test:1"]);
        let outcome = compare(&[report()], &listed);
        assert_eq!(
            outcome.regressions.len(),
            3,
            "b.test was not run: left alone"
        );
        assert!(outcome.regressions[0].starts_with("a.test:5: rate(x[1m])"));
        assert!(outcome.regressions[0].contains("boom"));
        assert!(outcome.regressions[1].starts_with("a.test:7: now skipped"));
        assert!(outcome.regressions[2].starts_with("a.test:9: no eval"));
        assert_eq!(outcome.unlisted, vec!["a.test:11".to_owned()]);
    }

    #[test]
    fn an_update_keeps_entries_of_files_not_run() {
        let listed = baseline(&["a.test:5", "b.test:1"]);
        let entries: Vec<String> = updated_entries(&[report()], &listed).into_iter().collect();
        assert_eq!(entries, vec!["a.test:11", "a.test:3", "b.test:1"]);
        let empty = compare(&[report()], &Baseline::default());
        assert!(
            empty.regressions.is_empty(),
            "a missing baseline cannot regress"
        );
    }
}
