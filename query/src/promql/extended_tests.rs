//! Tests for the extended-range-selector pre-pass, and for the engine end to end over a small
//! in-memory store (expected values worked out from upstream's definitions).

use model::{Labels, Sample, VecQueryable};
use promql_parser::parser;

use super::*;
use crate::promql::{Engine, EngineOptions, QueryValue};

const MARK_ANCHORED: &str = r#"__promql_range_modifier__="anchored""#;
const MARK_SMOOTHED: &str = r#"__promql_range_modifier__="smoothed""#;

/// The marked text of `query`.
fn marked(query: &str) -> String {
    match mark_modifiers(query) {
        Ok(m) => m.text.into_owned(),
        Err(e) => panic!("{query}: {e}"),
    }
}

/// The error message of marking `query`.
fn misuse(query: &str) -> String {
    match mark_modifiers(query) {
        Ok(m) => panic!("{query} was accepted as {}", m.text),
        Err(e) => e.to_string(),
    }
}

#[test]
fn keywords_become_marks_on_their_selectors() {
    let cases = [
        (
            "increase(x[1m] anchored)",
            format!("increase(x{{{MARK_ANCHORED}}}[1m] )"),
        ),
        (
            r#"rate(x{job="a"}[5m] smoothed)"#,
            format!(r#"rate(x{{job="a",{MARK_SMOOTHED}}}[5m] )"#),
        ),
        ("x{} smoothed", format!("x{{{MARK_SMOOTHED}}} ")),
        (
            r#"x{a="b",} SMOOTHED"#,
            format!(r#"x{{a="b",{MARK_SMOOTHED}}} "#),
        ),
        (
            "x offset -100 smoothed + 0",
            format!("x{{{MARK_SMOOTHED}}} offset -100  + 0"),
        ),
        ("x @ 100 smoothed", format!("x{{{MARK_SMOOTHED}}} @ 100 ")),
        (
            "x @ start() anchored",
            format!("x{{{MARK_ANCHORED}}} @ start() "),
        ),
        (
            "x[5m] offset 1m anchored",
            format!("x{{{MARK_ANCHORED}}}[5m] offset 1m "),
        ),
        (
            "x[5m] anchored offset 1m",
            format!("x{{{MARK_ANCHORED}}}[5m]  offset 1m"),
        ),
        (
            "x[1m] anchored anchored",
            format!("x{{{MARK_ANCHORED}}}[1m]  "),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(marked(query), expected, "{query}");
    }
}

#[test]
fn queries_without_modifiers_are_untouched() {
    for query in [
        "rate(x[5m])",
        r#"x{a="anchored"} # smoothed"#,
        "sum by (job) (x) and on (instance) y",
        "`smoothed` + 'anchored'",
        "x[5m:1m] offset 1e-3",
    ] {
        let m = mark_modifiers(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        assert!(matches!(m.text, Cow::Borrowed(_)), "{query} was rewritten");
        assert_eq!(m.text, query);
    }
    // A modifier keyword where no selector ends is left for the parser to reject.
    assert_eq!(marked("anchored + x"), "anchored + x");
    assert_eq!(marked("sum by (smoothed) (x)"), "sum by (smoothed) (x)");
}

#[test]
fn misuse_gives_upstreams_errors() {
    assert_eq!(
        misuse("rate(x[5m:1m] anchored)"),
        "parse error: anchored modifier is not supported for subqueries"
    );
    assert_eq!(
        misuse("max_over_time(x[5m:] smoothed)"),
        "parse error: smoothed modifier is not supported for subqueries"
    );
    assert_eq!(
        misuse("rate(x[5m]) anchored"),
        "parse error: anchored modifier not implemented"
    );
    assert_eq!(
        misuse("(x) smoothed"),
        "parse error: smoothed modifier not implemented"
    );
    assert_eq!(
        misuse("1 anchored"),
        "parse error: anchored modifier not implemented"
    );
    assert_eq!(
        misuse("x[1m] anchored smoothed"),
        "parse error: anchored and smoothed modifiers cannot be used together"
    );
    assert_eq!(
        misuse("x smoothed offset 5m anchored"),
        "parse error: anchored and smoothed modifiers cannot be used together"
    );
    assert!(misuse(r#"x{__promql_range_modifier__="anchored"}"#).contains("is reserved"));
    assert!(misuse(r#"{"__promql_range_modifier__"!="x"}"#).contains("is reserved"));
    // As a label value it is only a string.
    assert!(mark_modifiers(r#"x{a="__promql_range_modifier__"}"#).is_ok());
}

#[test]
fn positions_map_back_to_the_query() {
    let query = "x anchored + y[1m] smoothed + )";
    let m = mark_modifiers(query).unwrap_or_else(|e| panic!("{e}"));
    for needle in ["+ y", "+ )", ")"] {
        let (in_query, in_marked) = (query.find(needle), m.text.find(needle));
        let mapped = in_marked.map(|p| m.query_position(p));
        assert_eq!(mapped, in_query, "{needle}");
    }
    // Inside a mark: where it was inserted.
    let inside = m.text.find("__promql").map(|p| m.query_position(p + 3));
    assert_eq!(inside, Some(1));
}

#[test]
fn marked_selectors_parse_and_report_their_modifier() {
    let parsed = parser::parse(&marked("increase(x[1m] anchored) + y smoothed"));
    let Ok(Expr::Binary(b)) = parsed else {
        panic!("not a binary expression: {parsed:?}");
    };
    let Expr::Call(call) = b.lhs.as_ref() else {
        panic!("not a call: {:?}", b.lhs);
    };
    let modifiers: Vec<_> = [call.args.args[0].as_ref(), b.rhs.as_ref()]
        .into_iter()
        .map(|e| match e {
            Expr::MatrixSelector(ms) => modifier_of(&ms.vs),
            Expr::VectorSelector(vs) => modifier_of(vs),
            other => panic!("not a selector: {other:?}"),
        })
        .collect();
    assert_eq!(
        modifiers,
        [
            Some(SelectorModifier::Anchored),
            Some(SelectorModifier::Smoothed)
        ]
    );
    assert_eq!(without_marks(&b.to_string()), "increase(x[1m]) + y");
}

#[test]
fn marked_selectors_still_need_a_non_empty_matcher() {
    for query in ["{} smoothed", r#"{a=~".*"}[5m] anchored"#] {
        let expr = parser::parse(&marked(query)).unwrap_or_else(|e| panic!("{query}: {e}"));
        assert!(check_marked_selectors(&expr).is_err(), "{query}");
    }
    let expr = parser::parse(&marked(r#"{a="b"} smoothed"#)).unwrap_or_else(|e| panic!("{e}"));
    assert!(check_marked_selectors(&expr).is_ok());
}

#[test]
fn only_marked_queries_widen_the_load_range() {
    let plain = parser::parse("rate(x[5m])").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(load_range(&plain, 100, 200, 10), (100, 200));
    let expr = parser::parse(&marked("sum(rate(x[5m:1m])) + y smoothed"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(load_range(&expr, 100, 200, 10), (90, 210));
}

const M: i64 = 60_000;

/// `x` with 1 at 6m, 5 at 10m and 9 at 14m.
fn store() -> VecQueryable {
    let labels = Labels::from_pairs([("__name__", "x")]).unwrap_or_default();
    let samples = [
        Sample::new(6 * M, 1.0),
        Sample::new(10 * M, 5.0),
        Sample::new(14 * M, 9.0),
    ];
    let mut store = VecQueryable::new();
    store.add_samples(&labels, samples);
    store
}

/// The values of an instant query's vector.
fn instant(query: &str, t: i64) -> Result<Vec<f64>, String> {
    let engine = Engine::new(EngineOptions::default());
    match engine
        .instant(&store(), query, t)
        .map_err(|e| e.to_string())?
        .value
    {
        QueryValue::Vector(v) => Ok(v.iter().map(|s| s.v).collect()),
        other => Err(format!("not a vector: {other:?}")),
    }
}

#[test]
fn the_engine_reads_the_samples_around_a_window() {
    // The anchor (6m) lies before the window (9m, 10m] and a plain read would miss it.
    assert_eq!(instant("increase(x[1m] anchored)", 10 * M), Ok(vec![4.0]));
    assert_eq!(instant("increase(x[1m])", 10 * M), Ok(vec![]));
    // Smoothed edges: 2 at 7m, 7 at 12m.
    assert_eq!(instant("delta(x[5m] smoothed)", 12 * M), Ok(vec![5.0]));
    // The next sample (10m) lies after the evaluation time.
    assert_eq!(instant("x smoothed", 8 * M), Ok(vec![3.0]));
    assert_eq!(instant("x", 8 * M), Ok(vec![1.0]));
    assert_eq!(instant("x anchored", 8 * M), Ok(vec![1.0]));
    assert_eq!(instant("changes(x[1m] anchored)", 10 * M), Ok(vec![1.0]));
}

#[test]
fn a_smoothed_selector_interpolates_at_every_step() {
    let engine = Engine::new(EngineOptions::default());
    let result = engine.range(&store(), "x smoothed", 6 * M, 16 * M, 2 * M);
    let Ok(QueryValue::Matrix(series)) = result.map(|r| r.value) else {
        panic!("no matrix");
    };
    let points: Vec<(i64, f64)> = series
        .iter()
        .flat_map(|s| s.samples.iter().map(|p| (p.t / M, p.v)))
        .collect();
    assert_eq!(
        points,
        [
            (6, 1.0),
            (8, 3.0),
            (10, 5.0),
            (12, 7.0),
            (14, 9.0),
            (16, 9.0)
        ]
    );
}

#[test]
fn an_anchored_range_vector_has_points_on_its_edges() {
    let engine = Engine::new(EngineOptions::default());
    let result = engine.instant(&store(), "x[3m] anchored", 12 * M);
    let Ok(QueryValue::Matrix(series)) = result.map(|r| r.value) else {
        panic!("no matrix");
    };
    let points: Vec<(i64, f64)> = series
        .iter()
        .flat_map(|s| s.samples.iter().map(|p| (p.t / M, p.v)))
        .collect();
    assert_eq!(points, [(9, 1.0), (10, 5.0), (12, 5.0)]);
}

#[test]
fn functions_outside_upstreams_lists_are_refused() {
    assert_eq!(
        instant("deriv(x[3m] smoothed)", M),
        Err(
            "smoothed modifier can only be used with: delta, increase, rate - not with deriv"
                .into()
        )
    );
    assert_eq!(
        instant("predict_linear(x[3m] anchored, 4)", M),
        Err(
            "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with predict_linear"
                .into()
        )
    );
    assert_eq!(instant("resets(nothing[3m] anchored)", M), Ok(vec![]));
    assert_eq!(
        instant("absent(nothing smoothed)", M).map(|v| v.len()),
        Ok(1),
        "absent() still answers for a smoothed selector"
    );
}
