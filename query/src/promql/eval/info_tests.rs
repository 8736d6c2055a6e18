use model::{
    Labels, Matcher, STALE_NAN, Sample, Series, SeriesQuerier, SeriesSet, StorageError,
    VecSampleIterator,
};
use promql_parser::parser::{self, Expr};

use super::{Reference, SELECTOR_MARKER, info_time_bounds, mark_label_selectors, reference_of};
use crate::promql::eval::{Evaluator, Grid, NAME_LABELS, Value};
use crate::promql::{EngineOptions, QueryError};

/// Series held in memory; every select sees all their samples.
struct Store(Vec<(Labels, Vec<Sample>)>);

struct StoredSeries {
    labels: Labels,
    samples: Vec<Sample>,
}

impl Series for StoredSeries {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn samples(&self) -> Box<dyn model::SampleIterator + '_> {
        Box::new(VecSampleIterator::new(self.samples.clone()))
    }
}

impl SeriesQuerier for Store {
    fn select(&self, matchers: &[Matcher]) -> Result<SeriesSet<'_>, StorageError> {
        let mut hits: Vec<&(Labels, Vec<Sample>)> = self
            .0
            .iter()
            .filter(|(l, _)| {
                matchers
                    .iter()
                    .all(|m| m.matches(l.get(m.name()).unwrap_or("")))
            })
            .collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0));
        let set: Vec<Result<Box<dyn Series + '_>, StorageError>> = hits
            .into_iter()
            .map(|(labels, samples)| {
                Ok(Box::new(StoredSeries {
                    labels: labels.clone(),
                    samples: samples.clone(),
                }) as Box<dyn Series>)
            })
            .collect();
        Ok(Box::new(set.into_iter()))
    }

    fn label_names(&self, _: &[Matcher]) -> Result<Vec<String>, StorageError> {
        Ok(Vec::new())
    }

    fn label_values(&self, _: &str, _: &[Matcher]) -> Result<Vec<String>, StorageError> {
        Ok(Vec::new())
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap_or_default()
}

/// A series with a sample every minute from 0 (`None`: no sample).
fn minutely(pairs: &[(&str, &str)], values: &[Option<f64>]) -> (Labels, Vec<Sample>) {
    let samples = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| Sample::new(i as i64 * 60_000, v)))
        .collect();
    (labels(pairs), samples)
}

/// Output series as (labels, points).
type Evaluated = Vec<(String, Vec<Option<f64>>)>;

/// Evaluates `query` (its label selectors marked) over minutes `from..=to`; each series as
/// its labels (names marked for removal removed) and points.
fn run(store: &Store, query: &str, from: i64, to: i64) -> Result<Evaluated, QueryError> {
    let options = EngineOptions::default();
    let grid = Grid::new(from * 60_000, to * 60_000, 60_000);
    let marked = mark_label_selectors(query);
    let expr = parser::parse(&marked).map_err(|message| QueryError::Parse {
        position: None,
        message,
    })?;
    let cancel = crate::promql::CancelToken::default();
    let mut evaluator = Evaluator::new(store, &options, query, grid, false, &cancel);
    let Value::Vector(series) = evaluator.eval(&expr, grid)? else {
        return Err(QueryError::Execution("not a vector".into()));
    };
    let mut out: Evaluated = series
        .into_iter()
        .map(|s| {
            let l = if s.drop_name {
                s.labels.without(NAME_LABELS)
            } else {
                s.labels
            };
            (l.to_string(), s.points)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn basic_store() -> Store {
    Store(vec![
        minutely(
            &[("__name__", "metric"), ("instance", "a"), ("job", "1")],
            &[Some(0.0), Some(1.0), Some(2.0)],
        ),
        minutely(
            &[("__name__", "metric"), ("instance", "b"), ("job", "1")],
            &[Some(5.0), Some(6.0), Some(7.0)],
        ),
        minutely(
            &[
                ("__name__", "target_info"),
                ("instance", "a"),
                ("job", "1"),
                ("data", "info"),
            ],
            &[Some(1.0), Some(1.0), Some(STALE_NAN)],
        ),
        minutely(
            &[
                ("__name__", "build_info"),
                ("instance", "a"),
                ("job", "1"),
                ("version", "v1"),
            ],
            &[Some(1.0); 3],
        ),
    ])
}

#[test]
fn marks_only_the_label_selector_of_info_calls() {
    let marker = format!("{SELECTOR_MARKER}=\"1\"");
    for (query, want) in [
        (
            r#"info(m, {data=~".*"})"#,
            format!(r#"info(m, {{{marker}, data=~".*"}})"#),
        ),
        ("info(m,{ })", format!("info(m,{{{marker} }})")),
        (
            r#"sum by (job) (info (rate(x{a="info("}[5m]), {b=~".*"}))"#,
            format!(r#"sum by (job) (info (rate(x{{a="info("}}[5m]), {{{marker}, b=~".*"}}))"#),
        ),
        (
            r#"info(info(m, {a=~".*"}), {b=""})"#,
            format!(r#"info(info(m, {{{marker}, a=~".*"}}), {{{marker}, b=""}})"#),
        ),
    ] {
        assert_eq!(mark_label_selectors(query), want);
        assert!(parser::parse(&want).is_ok(), "{want} parses");
    }
    for unchanged in [
        "info(m)",
        r#"info(m, target_info{a="b"})"#,
        r#"label_replace(m, "d", "info(a, {x})", "s", ".*")"#,
        "m{info=\"x\"} # info(m, {a})",
        "sum(m) by (info)",
    ] {
        assert_eq!(mark_label_selectors(unchanged), unchanged);
    }
}

fn reference(query: &str) -> Option<Reference> {
    match parser::parse(query) {
        Ok(Expr::Call(c)) => c.args.args.first().map(|a| reference_of(a, 0, 600_000)),
        _ => None,
    }
}

#[test]
fn the_reference_follows_modifiers_only_when_every_vector_path_agrees() {
    for (query, want) in [
        ("info(m)", Reference::Step(0)),
        ("info(m offset 2m)", Reference::Step(120_000)),
        ("info(m @ 60)", Reference::Fixed(60_000)),
        ("info(rate(m[5m] offset 1m))", Reference::Step(60_000)),
        (
            "info(last_over_time(m[10m:1m] @ 420))",
            Reference::Fixed(420_000),
        ),
        (
            "info(last_over_time((m offset 1m)[10m:1m] @ 180))",
            Reference::Fixed(120_000),
        ),
        (
            "info(last_over_time(m[5m:1m] offset 6m))",
            Reference::Step(360_000),
        ),
        (
            "info(last_over_time((m @ 30)[5m:1m] offset 6m))",
            Reference::Fixed(30_000),
        ),
        (
            "info(m @ 180 offset 1m or n @ 120)",
            Reference::Fixed(120_000),
        ),
        ("info(m @ end())", Reference::Fixed(600_000)),
        ("info(scalar(n @ 120) * m)", Reference::Step(0)),
        ("info(m @ 120 * scalar(n))", Reference::Fixed(120_000)),
        ("info(m @ 120 or n @ 480)", Reference::Step(0)),
        ("info(m @ 120 or vector(1))", Reference::Step(0)),
        ("info(vector(1))", Reference::Step(0)),
        (
            "info(topk(scalar(n @ 5), m offset 1m))",
            Reference::Step(60_000),
        ),
    ] {
        assert_eq!(reference(query), Some(want), "{query}");
    }
}

#[test]
fn info_series_bounds_follow_the_reference() {
    let parsed = parser::parse("m offset 1m");
    let Ok(expr) = parsed else {
        panic!("{parsed:?}")
    };
    assert_eq!(
        info_time_bounds(&expr, 600_000, 900_000, 300_000, 0, 0),
        (240_000, 840_000)
    );
    let Ok(pinned) = parser::parse("m @ 60") else {
        panic!()
    };
    assert_eq!(
        info_time_bounds(&pinned, 600_000, 900_000, 300_000, 0, 0),
        (-240_000, 60_000)
    );
}

#[test]
fn enriches_with_data_labels_of_the_current_info_series() {
    let store = basic_store();
    let out = run(&store, "info(metric)", 0, 2).unwrap_or_default();
    assert_eq!(
        out,
        [
            (
                r#"{__name__="metric", data="info", instance="a", job="1"}"#.into(),
                vec![Some(0.0), Some(1.0), None]
            ),
            (
                r#"{__name__="metric", instance="a", job="1"}"#.into(),
                vec![None, None, Some(2.0)]
            ),
            (
                r#"{__name__="metric", instance="b", job="1"}"#.into(),
                vec![Some(5.0), Some(6.0), Some(7.0)]
            ),
        ]
    );
    let only_data = run(&store, r#"info(metric, {data=~".+"})"#, 0, 2).unwrap_or_default();
    assert_eq!(
        only_data,
        [(
            r#"{__name__="metric", data="info", instance="a", job="1"}"#.into(),
            vec![Some(0.0), Some(1.0), None]
        )]
    );
    let both = run(
        &store,
        r#"info(metric{instance="a"}, {__name__=~".+_info"})"#,
        0,
        1,
    )
    .unwrap_or_default();
    assert_eq!(
        both,
        [(
            r#"{__name__="metric", data="info", instance="a", job="1", version="v1"}"#.into(),
            vec![Some(0.0), Some(1.0)]
        )]
    );
    let negated = run(
        &store,
        r#"info(metric{instance="a"}, {__name__!="target_info"})"#,
        0,
        0,
    )
    .unwrap_or_default();
    assert_eq!(
        negated,
        [(
            r#"{__name__="metric", instance="a", job="1", version="v1"}"#.into(),
            vec![Some(0.0)]
        )]
    );
}

#[test]
fn info_series_themselves_pass_unchanged_and_keep_their_name_marking() {
    let store = basic_store();
    let out = run(&store, "info(-build_info, {__name__=~\".+_info\"})", 0, 0).unwrap_or_default();
    assert_eq!(
        out,
        [(
            r#"{instance="a", job="1", version="v1"}"#.into(),
            vec![Some(-1.0)]
        )]
    );
}

#[test]
fn at_pins_the_info_series_lookup() {
    let store = basic_store();
    let out = run(&store, r#"info(metric{instance="a"} @ 60)"#, 2, 3).unwrap_or_default();
    assert_eq!(
        out,
        [(
            r#"{__name__="metric", data="info", instance="a", job="1"}"#.into(),
            vec![Some(1.0), Some(1.0)]
        )]
    );
}

#[test]
fn conflicts_and_duplicates_are_errors() {
    let mut store = basic_store();
    store.0.push(minutely(
        &[
            ("__name__", "other_info"),
            ("instance", "a"),
            ("job", "1"),
            ("version", "v2"),
        ],
        &[Some(1.0)],
    ));
    let conflict = run(&store, r#"info(metric, {__name__=~".+_info"})"#, 0, 0);
    assert!(
        matches!(&conflict, Err(QueryError::Execution(m)) if m == "conflicting label: version"),
        "{conflict:?}"
    );
    store.0.push(minutely(
        &[
            ("__name__", "target_info"),
            ("instance", "a"),
            ("job", "1"),
            ("data", "other"),
        ],
        &[Some(1.0)],
    ));
    let duplicate = run(&store, "info(metric)", 0, 0);
    assert!(
        matches!(&duplicate, Err(QueryError::Execution(m)) if m.starts_with("found duplicate series for info metric")),
        "{duplicate:?}"
    );
    let not_labels = run(&store, "info(metric, target_info)", 0, 0);
    assert!(
        matches!(&not_labels, Err(QueryError::Parse { message, .. }) if message.ends_with("expected label selectors only, got vector selector instead")),
        "{not_labels:?}"
    );
}
