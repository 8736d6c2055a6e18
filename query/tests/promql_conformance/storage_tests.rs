use super::*;
use crate::script::{Command, parse_script};
use model::{MatchType, Matcher};

/// A store built from the `load` commands of `script`.
fn store_of(script: &str) -> MemoryStore {
    let mut store = MemoryStore::new();
    for command in parse_script("t.test", script).unwrap().commands {
        match command {
            Command::Load(load) => store.apply_load(&load),
            Command::Clear => store.clear(),
            Command::Eval(_) => {}
        }
    }
    store
}

fn select(
    store: &MemoryStore,
    mint: i64,
    maxt: i64,
    matchers: &[Matcher],
) -> Vec<(String, Vec<Sample>)> {
    let querier = store.querier(mint, maxt).unwrap();
    let set = querier.select(matchers).unwrap();
    set.map(|s| {
        let s = s.unwrap();
        let mut it = s.samples();
        let mut samples = Vec::new();
        while let Some(sample) = it.next() {
            samples.push(sample);
        }
        assert!(it.error().is_none());
        (s.labels().to_string(), samples)
    })
    .collect()
}

const DATA: &str = "
load 1m
  m{job=\"b\"} 0 _ 2 stale 4
  m{job=\"a\"} 1+1x2
  other 7
";

#[test]
fn samples_land_on_the_interval_grid_with_stale_markers_bit_exact() {
    let store = store_of(DATA);
    let got = select(&store, 0, 10 * 60_000, &[Matcher::equal("__name__", "m")]);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, r#"{__name__="m", job="a"}"#, "label order");
    assert_eq!(
        got[0].1,
        vec![
            Sample::new(0, 1.0),
            Sample::new(60_000, 2.0),
            Sample::new(120_000, 3.0)
        ]
    );
    assert_eq!(
        got[1].1,
        vec![
            Sample::new(0, 0.0),
            Sample::new(120_000, 2.0),
            Sample::new(180_000, model::STALE_NAN),
            Sample::new(240_000, 4.0)
        ],
        "`_` leaves a gap; `stale` is the staleness marker"
    );
}

#[test]
fn the_querier_range_is_inclusive_and_drops_series_without_samples_in_it() {
    let store = store_of(DATA);
    let m = [Matcher::equal("__name__", "m")];
    let got = select(&store, 60_000, 120_000, &m);
    assert_eq!(
        got[0].1,
        vec![Sample::new(60_000, 2.0), Sample::new(120_000, 3.0)]
    );
    assert_eq!(got[1].1, vec![Sample::new(120_000, 2.0)]);
    let later = select(&store, 200_000, 300_000, &m);
    assert_eq!(later.len(), 1, "job=a has nothing after 2m");
    assert!(select(&store, 5, 4, &m).is_empty(), "an empty range");
    assert!(
        select(&store, 0, 1_000_000, &[]).is_empty(),
        "no matchers select nothing"
    );
}

#[test]
fn matchers_of_every_kind_apply() {
    let store = store_of(DATA);
    let regex = Matcher::new(MatchType::Regex, "job", "a|c").unwrap();
    assert_eq!(select(&store, 0, 1_000_000, &[regex]).len(), 1);
    let absent = Matcher::equal("job", "");
    let got = select(&store, 0, 1_000_000, &[absent]);
    assert_eq!(got.len(), 1, "job=\"\" selects the series without job");
    assert_eq!(got[0].0, r#"{__name__="other"}"#);
    let not = Matcher::new(MatchType::NotEqual, "job", "a").unwrap();
    assert_eq!(select(&store, 0, 1_000_000, &[not]).len(), 2);
}

#[test]
fn label_names_and_values_honour_matchers_and_range() {
    let store = store_of(DATA);
    let q = store.querier(0, 1_000_000).unwrap();
    assert_eq!(q.label_names(&[]).unwrap(), vec!["__name__", "job"]);
    assert_eq!(q.label_values("job", &[]).unwrap(), vec!["a", "b"]);
    let other = [Matcher::equal("__name__", "other")];
    assert_eq!(q.label_names(&other).unwrap(), vec!["__name__"]);
    assert!(q.label_values("job", &other).unwrap().is_empty());
    let late = store.querier(200_000, 300_000).unwrap();
    assert_eq!(late.label_values("job", &[]).unwrap(), vec!["b"]);
}

#[test]
fn later_loads_add_and_replace_and_clear_empties() {
    let store = store_of("load 1m\n  m 1 2\n\nload 30s\n  m _ 9 8\n");
    let got = select(&store, 0, 1_000_000, &[Matcher::equal("__name__", "m")]);
    assert_eq!(
        got[0].1,
        vec![
            Sample::new(0, 1.0),
            Sample::new(30_000, 9.0),
            Sample::new(60_000, 8.0)
        ]
    );
    let cleared = store_of("load 1m\n  m 1\n\nclear\n");
    assert_eq!(cleared.iter().count(), 0);
}

fn flags(store: &MemoryStore) -> Vec<(String, bool, bool)> {
    store
        .iter()
        .map(|(l, s)| (l.to_string(), s.has_histograms, s.has_start_timestamps))
        .collect()
}

#[test]
fn histograms_and_start_timestamps_are_flagged_not_served() {
    let store = store_of(
        "load 1m\n  h {{sum:1 count:1}}x1\n  mixed 1 {{count:2}}\n  s@st _ -1m\n  s 1 2\n  t@st -1m _\n  t _ 2\n",
    );
    assert_eq!(
        flags(&store),
        vec![
            (r#"{__name__="h"}"#.to_owned(), true, false),
            (r#"{__name__="mixed"}"#.to_owned(), true, false),
            (r#"{__name__="s"}"#.to_owned(), false, true),
            (r#"{__name__="t"}"#.to_owned(), false, false),
        ],
        "an offset on a blank position is no start timestamp"
    );
    let all = Matcher::new(MatchType::Regex, "__name__", ".+").unwrap();
    let names: Vec<String> = select(&store, 0, 1_000_000, &[all])
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    assert_eq!(
        names,
        vec![
            r#"{__name__="mixed"}"#,
            r#"{__name__="s"}"#,
            r#"{__name__="t"}"#
        ],
        "histogram-only series hold no floats"
    );
}

#[test]
fn load_with_nhcb_flags_the_converted_series() {
    let store = store_of(
        "load_with_nhcb 5m\n  x_bucket{le=\"0.1\", job=\"a\"} 1\n  x_bucket{le=\"+Inf\", job=\"a\"} 2\n  \
         x_count{job=\"a\"} 2\n  y_bucket{le=\"Hello\"} 1\n  z_total 3\n",
    );
    let histograms: Vec<String> = store
        .iter()
        .filter(|(_, s)| s.has_histograms)
        .map(|(l, _)| l.to_string())
        .collect();
    assert_eq!(
        histograms,
        vec![r#"{__name__="x", job="a"}"#],
        "a malformed le converts nothing"
    );
    assert_eq!(store.iter().count(), 6, "the classic series stay as floats");
}
