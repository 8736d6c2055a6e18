use super::*;

const SCRIPT: &str = r#"
# A comment line ends nothing on its own, but is blank.
load 5m
	http_requests{job="api", instance="0"}	0+10x2
	http_requests{job="api", instance="0"}	1 2
  @st -1s
	other	1 _ 3
	started@st	_ -1mx1
	started	5 6 7

clear
load_with_nhcb 1m
	h_bucket{le="1"} 1

eval instant at 10m sum by (job) (http_requests)
	expect no_warn
	expect info msg: PromQL info: something (1:1)
	{job="api"} 30

eval range from 0 to 10m step 5m http_requests
	expect warn regex: sort .* labels
	http_requests{job="api", instance="0"} 1 _ 3x0

eval instant at 1m some_metric[1m]
  expect range vector from 10s to 1m step 10s
  some_metric{env="a"} 2 3 4 5 6

eval_fail instant at 0 -{job="api"}
	expected_fail_message vector cannot contain metrics with the same labelset

eval instant at 50m 1 / 0
	+Inf

eval_ordered instant at 50m sort(x)
	x{a="1"} 1
	x{a="2"} 2

eval instant at 50m "Foo"
	expect string "Foo"
"#;

fn evals(script: &Script) -> Vec<&Eval> {
    script
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Eval(e) => Some(e.as_ref()),
            _ => None,
        })
        .collect()
}

#[test]
fn loads_keep_lines_replacements_and_start_offsets() {
    let script = parse_script("t.test", SCRIPT).unwrap();
    let Some(Command::Load(load)) = script.commands.first() else {
        panic!("load first")
    };
    assert_eq!(
        (load.line, load.interval_ms, load.with_nhcb),
        (3, 300_000, false)
    );
    assert_eq!(
        load.series.len(),
        3,
        "the second http_requests line replaced the first"
    );
    let first = &load.series[0];
    assert_eq!((first.line, first.values.len()), (5, 2));
    assert!(
        first.start_offsets.is_none(),
        "before the standalone @st line"
    );
    let other = &load.series[1];
    assert_eq!(
        other.start_offsets,
        Some(vec![Some(-1000); 3]),
        "the default @st cycles"
    );
    let started = &load.series[2];
    assert_eq!(started.labels.metric_name(), Some("started"));
    assert_eq!(
        started.start_offsets,
        Some(vec![None, Some(-60_000), Some(-60_000)])
    );
    assert!(matches!(script.commands[1], Command::Clear));
    assert!(
        matches!(&script.commands[2], Command::Load(l) if l.with_nhcb && l.interval_ms == 60_000)
    );
}

#[test]
fn evals_keep_lines_and_expectations() {
    let script = parse_script("t.test", SCRIPT).unwrap();
    let evals = evals(&script);
    assert_eq!(evals.len(), 7);
    let lines: Vec<usize> = evals.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![15, 20, 24, 28, 31, 34, 38]);

    let sum = evals[0];
    assert_eq!(sum.kind, EvalKind::Instant { at_ms: 600_000 });
    assert_eq!(sum.query, "sum by (job) (http_requests)");
    assert!(sum.expect.warnings.forbidden);
    assert!(
        matches!(&sum.expect.infos.expected[..], [TextMatch::Exact(m)] if m == "PromQL info: something (1:1)")
    );
    let ExpectedResult::Series(series) = &sum.expect.result else {
        panic!("series")
    };
    assert_eq!(series[0].values, vec![SeqValue::Float(30.0)]);

    let range = evals[1];
    assert_eq!(
        range.kind,
        EvalKind::Range(Grid {
            start_ms: 0,
            end_ms: 600_000,
            step_ms: 300_000
        })
    );
    assert!(range.expect.warnings.expected[0].matches(
        "sort is ineffective for range queries since results are always ordered by labels"
    ));
    assert_eq!(range.instant_time(), None);

    let matrix = evals[2];
    assert_eq!(
        matrix.expect.range_vector,
        Some(Grid {
            start_ms: 10_000,
            end_ms: 60_000,
            step_ms: 10_000
        })
    );
    assert_eq!(matrix.instant_time(), Some(60_000));

    let fail = evals[3];
    assert!(
        matches!(fail.expect.fail.as_deref(), Some([TextMatch::Exact(m)]) if m.starts_with("vector cannot"))
    );
    assert!(matches!(evals[4].expect.result, ExpectedResult::Scalar(v) if v == f64::INFINITY));
    assert!(evals[5].expect.ordered);
    assert_eq!(evals[6].expect.string.as_deref(), Some("Foo"));
}

#[test]
fn expect_lines_in_every_form() {
    let script = parse_script(
        "t.test",
        "eval instant at 1m x\n  expect fail regex: conflicting label\n  expect ordered\n\n\
         eval_warn range from 0 to 1m step 30s y\n  expect info\n\n\
         eval instant at 0 z\n  expect fail msg:vector cannot contain metrics\n",
    )
    .unwrap();
    let evals = evals(&script);
    assert!(matches!(
        evals[0].expect.fail.as_deref(),
        Some([TextMatch::Pattern(_)])
    ));
    assert!(evals[0].expect.ordered);
    assert!(evals[1].expect.warnings.required);
    assert!(matches!(
        evals[1].expect.infos.expected[..],
        [TextMatch::Any]
    ));
    assert!(
        matches!(evals[2].expect.fail.as_deref(), Some([TextMatch::Exact(m)]) if m == "vector cannot contain metrics")
    );
}

fn error_of(text: &str) -> ScriptError {
    parse_script("bad.test", text).unwrap_err()
}

#[test]
fn errors_name_file_and_line() {
    let cases: [(&str, usize, &str); 12] = [
        ("\n\nfrobnicate 1\n", 3, "invalid command"),
        ("load 5x\n  a 1\n", 1, "unknown unit"),
        ("load 5m\n  a 1\n  a{ 2\n", 3, "label name"),
        ("eval instant at 1m x\n  a 1 2\n", 2, "expect range vector"),
        (
            "eval instant at 1m x\n  expect info\n  expect no_info\n",
            3,
            "info and no_info",
        ),
        (
            "eval instant at 1m x\n  expect fail\n  expect fail\n",
            3,
            "only one",
        ),
        ("load 1m\n  a@st -1m\n", 2, "no following sample line"),
        ("load 1m\n  a@st -1m\n  b 1\n", 2, "does not match"),
        (
            "load 1m\n  a@st -1mx2\n  a 1\n",
            2,
            "3 values but sample line has 1",
        ),
        ("eval range from 1m to 0 step 1m x\n", 1, "before start"),
        ("eval instant at 1m x\n  1\n  2\n", 3, "may follow"),
        (
            "eval instant at 1m x\n  expect string Foo\n",
            2,
            "quoted string",
        ),
    ];
    for (text, line, fragment) in cases {
        let err = error_of(text);
        assert_eq!(
            (err.file.as_str(), err.line),
            ("bad.test", line),
            "{text:?}: {err}"
        );
        assert!(err.message.contains(fragment), "{text:?}: {err}");
        assert!(err.to_string().starts_with(&format!("bad.test:{line}: ")));
    }
}

/// Every upstream script parses, every eval's line is an `eval` line, and the counts match the
/// census in the scripts' NOTICE (2214 evals, 1885 instant, 329 range).
#[test]
fn every_conformance_script_parses() {
    let dir = crate::conformance_dir();
    let (mut instant, mut range) = (0, 0);
    for (name, text) in crate::script_files(&dir, &[]).unwrap() {
        let script = parse_script(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        let lines: Vec<&str> = text.lines().collect();
        for eval in evals(&script) {
            let line = lines[eval.line - 1].trim_start();
            assert!(line.starts_with("eval"), "{name}:{}: {line}", eval.line);
            match eval.kind {
                EvalKind::Instant { .. } => instant += 1,
                EvalKind::Range(_) => range += 1,
            }
        }
    }
    assert_eq!((instant, range), (1885, 329));
}
