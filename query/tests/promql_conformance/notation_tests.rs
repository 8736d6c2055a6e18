use super::*;

fn floats(text: &str) -> Vec<f64> {
    parse_values(text)
        .unwrap()
        .into_iter()
        .map(|v| match v {
            SeqValue::Float(f) => f,
            other => panic!("expected a float, got {other:?}"),
        })
        .collect()
}

#[test]
fn sequences_expand_like_upstream() {
    assert_eq!(floats("1 2.5 -3"), vec![1.0, 2.5, -3.0]);
    assert_eq!(floats("1x3"), vec![1.0; 4], "vxN is N+1 values");
    assert_eq!(floats("0+10x3"), vec![0.0, 10.0, 20.0, 30.0]);
    assert_eq!(floats("10-2.5x2"), vec![10.0, 7.5, 5.0]);
    assert_eq!(floats("-1+1x2"), vec![-1.0, 0.0, 1.0]);
    assert_eq!(
        floats("1e3 .5 1.78264E+50 2e-1x1"),
        vec![1e3, 0.5, 1.78264e50, 0.2, 0.2]
    );
    assert_eq!(
        floats("Inf -Inf +Inf inf"),
        vec![
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::INFINITY
        ]
    );
    assert!(floats("NaN nan").iter().all(|v| v.is_nan()));
    // Ramps accumulate: the fourth value is 0.1 + 0.1 + 0.1, not 3 * 0.1.
    assert_eq!(
        floats("0+0.1x3")[3].to_bits(),
        (0.1f64 + 0.1 + 0.1).to_bits()
    );
    assert_eq!(
        floats("  \t1   2 "),
        vec![1.0, 2.0],
        "any whitespace separates items"
    );
}

#[test]
fn blanks_and_stale_markers() {
    let values = parse_values("1 _ _x2 stale 2").unwrap();
    assert_eq!(
        values,
        vec![
            SeqValue::Float(1.0),
            SeqValue::Omitted,
            SeqValue::Omitted,
            SeqValue::Omitted,
            SeqValue::Float(model::STALE_NAN),
            SeqValue::Float(2.0),
        ],
        "_xN is N blanks"
    );
    assert_ne!(
        SeqValue::Float(model::STALE_NAN),
        SeqValue::Float(f64::NAN),
        "bits differ"
    );
    assert_eq!(values[4].to_string(), "stale");
}

#[test]
fn histogram_literals_are_recognised_and_expanded() {
    let values = parse_values("{{schema:0 sum:5 count:4 z_bucket_w:0.001 buckets:[1 2] n_buckets:[ -1 ] counter_reset_hint:gauge}}x2 3").unwrap();
    assert_eq!(values.len(), 4);
    assert!(
        values[..3]
            .iter()
            .all(|v| matches!(v, SeqValue::Histogram(_)))
    );
    assert_eq!(values[3], SeqValue::Float(3.0));
    let ramp = parse_values("{{sum:1 count:1}}+{{sum:2}}x4 {{}} _").unwrap();
    assert_eq!(ramp.len(), 7);
    assert!(
        matches!(&ramp[0], SeqValue::Histogram(t) if t.starts_with("{{sum:1") && t.ends_with("x4"))
    );
    for bad in [
        "{{bogus:1}}",
        "{{sum:1",
        "{{sum:x}}",
        "{{counter_reset_hint:maybe}}",
        "{{sum:1}}+{{sum:2}}",
        "{{buckets:[1 2}}",
    ] {
        assert!(parse_values(bad).is_err(), "{bad} must be refused");
    }
}

#[test]
fn malformed_sequences_are_errors() {
    for bad in [
        "Infx3",
        "1x",
        "1+2",
        "foo",
        "1,2",
        "1x99999999999",
        "stalex1",
        "--1",
        "1 2a",
        ".",
    ] {
        assert!(parse_values(bad).is_err(), "{bad:?} must be refused");
    }
    assert!(
        parse_values("1000000x1000000")
            .unwrap_err()
            .0
            .contains("longer"),
        "bounded"
    );
}

fn pairs(labels: &Labels) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn metrics_parse_in_every_selector_form() {
    let (labels, rest) = parse_metric("foo 1 2").unwrap();
    assert_eq!(pairs(&labels), owned(&[("__name__", "foo")]));
    assert_eq!(rest, " 1 2");
    let (labels, rest) = parse_metric(r#"foo:bar{a="b", c='d',} 1"#).unwrap();
    assert_eq!(
        pairs(&labels),
        owned(&[("__name__", "foo:bar"), ("a", "b"), ("c", "d")])
    );
    assert_eq!(rest, " 1");
    let (labels, _) = parse_metric(r#"{__name__="x", job="j"}"#).unwrap();
    assert_eq!(pairs(&labels), owned(&[("__name__", "x"), ("job", "j")]));
    let (labels, _) = parse_metric(r#"{"metric.name", "my.label"="v\"w\n"}"#).unwrap();
    assert_eq!(
        pairs(&labels),
        owned(&[("__name__", "metric.name"), ("my.label", "v\"w\n")])
    );
    let (labels, rest) = parse_metric(r#"{version="{count:20, sum:10}"} 2"#).unwrap();
    assert_eq!(pairs(&labels), owned(&[("version", "{count:20, sum:10}")]));
    assert_eq!(rest, " 2");
    let (labels, _) = parse_metric("name{} 1").unwrap();
    assert_eq!(pairs(&labels), owned(&[("__name__", "name")]));
    let (labels, _) = parse_metric("{}").unwrap();
    assert!(labels.is_empty());
    let (labels, _) = parse_metric(r#"{a=""}"#).unwrap();
    assert!(
        labels.is_empty(),
        "an empty value means the label is absent"
    );
}

#[test]
fn malformed_metrics_are_errors() {
    for bad in [
        r#"{a="1", a="2"}"#,
        r#"{a=~"b"}"#,
        r#"{a="b""#,
        "123",
        r#"{a}"#,
        r#"{a="b" c="d"}"#,
        r#"{1a="b"}"#,
        "",
    ] {
        assert!(parse_metric(bad).is_err(), "{bad:?} must be refused");
    }
}

#[test]
fn start_offsets_expand() {
    let offsets = parse_start_offsets("_ _ -30s-1mx2 -1m +1s").unwrap();
    assert_eq!(
        offsets,
        vec![
            None,
            None,
            Some(-30_000),
            Some(-90_000),
            Some(-150_000),
            Some(-60_000),
            Some(1_000)
        ]
    );
    assert_eq!(parse_start_offsets("-0msx2").unwrap(), vec![Some(0); 3]);
    assert_eq!(
        parse_start_offsets("-59999msx1").unwrap(),
        vec![Some(-59_999); 2]
    );
    assert_eq!(
        parse_start_offsets("_x2 1m *x1 _ *").unwrap(),
        vec![
            None,
            None,
            Some(60_000),
            Some(60_000),
            Some(60_000),
            None,
            Some(60_000)
        ]
    );
    assert_eq!(
        parse_start_offsets("1ms+1msx2").unwrap(),
        vec![Some(1), Some(2), Some(3)]
    );
    for bad in ["_x0", "1m+1m", "1m30s", "x", "1mx", "abc", "*+1mx2"] {
        assert!(parse_start_offsets(bad).is_err(), "{bad:?} must be refused");
    }
}
