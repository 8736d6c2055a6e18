//! Relabeling tests. The `prometheus_*` cases use the inputs and expected outputs of
//! Prometheus's `model/relabel/relabel_test.go` (v2.42 and later), written anew here.

use proptest::prelude::*;

use super::*;
use crate::{LabelError, Labels};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

fn rule(spec: RelabelSpec) -> RelabelConfig {
    RelabelConfig::new(spec).unwrap()
}

fn replace(sources: &[&str], regex: &str, target: &str, replacement: &str) -> RelabelConfig {
    rule(RelabelSpec {
        source_labels: Some(sources.iter().map(|s| s.to_string()).collect()),
        regex: Some(regex.into()),
        target_label: target.into(),
        replacement: replacement.into(),
        ..RelabelSpec::default()
    })
}

fn filter(action: Action, sources: &[&str], regex: &str) -> RelabelConfig {
    rule(RelabelSpec {
        source_labels: Some(sources.iter().map(|s| s.to_string()).collect()),
        regex: Some(regex.into()),
        action,
        ..RelabelSpec::default()
    })
}

fn by_name(action: Action, regex: &str) -> RelabelConfig {
    rule(RelabelSpec {
        regex: Some(regex.into()),
        action,
        ..RelabelSpec::default()
    })
}

fn to_target(action: Action, sources: &[&str], target: &str) -> RelabelConfig {
    rule(RelabelSpec {
        source_labels: Some(sources.iter().map(|s| s.to_string()).collect()),
        target_label: target.into(),
        action,
        ..RelabelSpec::default()
    })
}

fn hashmod(source: &str, target: &str, modulus: u64) -> RelabelConfig {
    rule(RelabelSpec {
        source_labels: Some(vec![source.into()]),
        target_label: target.into(),
        modulus,
        action: Action::HashMod,
        ..RelabelSpec::default()
    })
}

fn label_map(regex: &str, replacement: &str) -> RelabelConfig {
    rule(RelabelSpec {
        regex: Some(regex.into()),
        replacement: replacement.into(),
        action: Action::LabelMap,
        ..RelabelSpec::default()
    })
}

const ABC: &[(&str, &str)] = &[("a", "foo"), ("b", "bar"), ("c", "baz")];

#[test]
fn prometheus_replace_cases() {
    let out = process(
        &labels(ABC),
        &[replace(&["a"], "f(.*)", "d", "ch${1}-ch${1}")],
    );
    let expected = labels(&[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "choo-choo")]);
    assert_eq!(out, Some(expected));

    let rules = [
        replace(&["a", "b"], "f(.*);(.*)r", "a", "b${1}${2}m"),
        replace(&["c", "a"], "(b).*b(.*)ba(.*)", "d", "$1$2$2$3"),
    ];
    let expected = labels(&[("a", "boobam"), ("b", "bar"), ("c", "baz"), ("d", "boooom")]);
    assert_eq!(process(&labels(ABC), &rules), Some(expected));

    let out = process(
        &labels(&[("a", "abc")]),
        &[replace(&["a"], ".*(b).*", "d", "$1")],
    );
    assert_eq!(out, Some(labels(&[("a", "abc"), ("d", "b")])));

    // No match, no replacement.
    let out = process(
        &labels(&[("a", "boo")]),
        &[replace(&["a"], "f", "b", "bar")],
    );
    assert_eq!(out, Some(labels(&[("a", "boo")])));
}

#[test]
fn prometheus_templated_targets() {
    let input = labels(&[("a", "some-name-value")]);
    let re = "some-([^-]+)-([^,]+)";
    let out = process(&input, &[replace(&["a"], re, "${1}", "${2}")]);
    assert_eq!(
        out,
        Some(labels(&[("a", "some-name-value"), ("name", "value")]))
    );
    // A replacement that expands to nothing sets nothing.
    let out = process(&input, &[replace(&["a"], re, "${1}", "${3}")]);
    assert_eq!(out, Some(input.clone()));
    // Targets that expand to invalid names are skipped.
    let input = labels(&[("a", "some-name-0")]);
    let rules = [
        replace(&["a"], re, "${3}", "${1}"),
        replace(&["a"], "some-([^-]+)(-[^,]+)", "${3}", "${1}"),
    ];
    assert_eq!(process(&input, &rules), Some(input.clone()));
}

#[test]
fn prometheus_real_life_sd_tags() {
    let input = labels(&[("__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar")]);
    let rules = [
        replace(
            &["__meta_sd_tags"],
            "(?:.+,|^)path:(/[^,]+).*",
            "__metrics_path__",
            "${1}",
        ),
        replace(&["__meta_sd_tags"], "(?:.+,|^)job:([^,]+).*", "job", "${1}"),
        replace(
            &["__meta_sd_tags"],
            "(?:.+,|^)label:([^=]+)=([^,]+).*",
            "${1}",
            "${2}",
        ),
    ];
    let expected = labels(&[
        ("__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"),
        ("__metrics_path__", "/secret"),
        ("job", "some-job"),
        ("foo", "bar"),
    ]);
    assert_eq!(process(&input, &rules), Some(expected));
}

#[test]
fn prometheus_keep_and_drop() {
    let foo = labels(&[("a", "foo")]);
    let drop_o = filter(Action::Drop, &["a"], ".*o.*");
    assert_eq!(
        process(
            &foo,
            &[drop_o.clone(), replace(&["a"], "f(.*)", "d", "ch$1-ch$1")]
        ),
        None
    );
    assert_eq!(
        process(&labels(&[("a", "foo"), ("b", "bar")]), &[drop_o]),
        None
    );
    let no_match = filter(Action::Drop, &["a"], "no-match");
    assert_eq!(process(&foo, &[no_match]), Some(foo.clone()));
    // Anchored: `f|o` matches neither all of "foo" nor any of it.
    assert_eq!(
        process(&foo, &[filter(Action::Drop, &["a"], "f|o")]),
        Some(foo.clone())
    );
    assert_eq!(
        process(&foo, &[filter(Action::Keep, &["a"], "no-match")]),
        None
    );
    assert_eq!(
        process(&foo, &[filter(Action::Keep, &["a"], "f.*")]),
        Some(foo.clone())
    );
}

#[test]
fn prometheus_hashmod() {
    // Expected values computed independently:
    // python3 -c "import hashlib; print(int.from_bytes(hashlib.md5(b'baz').digest()[8:], 'big') % 1000)"
    // gives 976; for b'foo\nbar' it gives 734 (Prometheus's test expects the same).
    let out = process(&labels(ABC), &[hashmod("c", "d", 1000)]);
    let expected = labels(&[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "976")]);
    assert_eq!(out, Some(expected));
    let out = process(&labels(&[("a", "foo\nbar")]), &[hashmod("a", "b", 1000)]);
    assert_eq!(out, Some(labels(&[("a", "foo\nbar"), ("b", "734")])));
}

#[test]
fn hashmod_more_values_from_python() {
    // Each (input, modulus, expected) from
    // int.from_bytes(hashlib.md5(input).digest()[8:], 'big') % modulus.
    let cases: [(&str, u64, &str); 4] = [
        ("10.0.0.1:9100", 3, "2"),
        ("node-1", 16, "14"),
        ("a;b", u64::MAX, "2420134994223480074"),
        // An absent source label hashes the empty string: md5("") tail % 7.
        ("", 7, "1"),
    ];
    for (value, modulus, expected) in cases {
        let input = labels(&[("x", value)]);
        let out = process(&input, &[hashmod("x", "shard", modulus)]).unwrap();
        assert_eq!(out.get("shard"), Some(expected), "{value:?} % {modulus}");
    }
    // Two sources join with the separator before hashing.
    let rule = rule(RelabelSpec {
        source_labels: Some(vec!["p".into(), "q".into()]),
        target_label: "shard".into(),
        modulus: u64::MAX,
        action: Action::HashMod,
        ..RelabelSpec::default()
    });
    let out = process(&labels(&[("p", "a"), ("q", "b")]), &[rule]).unwrap();
    assert_eq!(out.get("shard"), Some("2420134994223480074"));
}

#[test]
fn prometheus_labelmap() {
    let input = labels(&[("a", "foo"), ("b1", "bar"), ("b2", "baz")]);
    let out = process(&input, &[label_map("(b.*)", "bar_${1}")]);
    let expected = labels(&[
        ("a", "foo"),
        ("b1", "bar"),
        ("b2", "baz"),
        ("bar_b1", "bar"),
        ("bar_b2", "baz"),
    ]);
    assert_eq!(out, Some(expected));

    let input = labels(&[
        ("a", "foo"),
        ("__meta_my_bar", "aaa"),
        ("__meta_my_baz", "bbb"),
        ("__meta_other", "ccc"),
    ]);
    let out = process(&input, &[label_map("__meta_(my.*)", "${1}")]).unwrap();
    assert_eq!(out.get("my_bar"), Some("aaa"));
    assert_eq!(out.get("my_baz"), Some("bbb"));
    assert_eq!(out.get("other"), None);
    assert_eq!(out.len(), 6);
}

#[test]
fn labelmap_collisions_resolve_in_prometheus_order() {
    // Both `a_x` and `b_x` map to `x`; Prometheus visits labels in name order, last write wins.
    let input = labels(&[("a_x", "1"), ("b_x", "2")]);
    let out = process(&input, &[label_map("[ab]_(x)", "$1")]).unwrap();
    assert_eq!(out.get("x"), Some("2"));
}

#[test]
fn labelmap_to_an_invalid_name_is_an_error() {
    let input = labels(&[("a_1", "v")]);
    let rules = [label_map("a_(.*)", "$1")];
    assert_eq!(
        process_checked(&input, &rules),
        Err(LabelError::InvalidName("1".into()))
    );
    assert_eq!(process(&input, &rules), None);
}

#[test]
fn replacing_the_metric_name_with_an_invalid_one_is_an_error() {
    let input = labels(&[("__name__", "up"), ("a", "x-y")]);
    let rules = [replace(&["a"], "(.*)", "__name__", "$1")];
    assert_eq!(
        process_checked(&input, &rules),
        Err(LabelError::InvalidMetricName("x-y".into()))
    );
}

#[test]
fn prometheus_issue_12283_drop_then_recreate() {
    let input = labels(&[
        ("__meta_kubernetes_pod_container_port_name", "foo"),
        ("__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"),
    ]);
    let rules = [
        by_name(
            Action::LabelDrop,
            "^__meta_kubernetes_pod_container_port_name$",
        ),
        replace(
            &["__meta_kubernetes_pod_annotation_XXX_metrics_port"],
            "(.+)",
            "__meta_kubernetes_pod_container_port_name",
            "metrics",
        ),
        filter(
            Action::Keep,
            &["__meta_kubernetes_pod_container_port_name"],
            "^metrics$",
        ),
    ];
    let expected = labels(&[
        ("__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"),
        ("__meta_kubernetes_pod_container_port_name", "metrics"),
    ]);
    assert_eq!(process(&input, &rules), Some(expected));
}

#[test]
fn prometheus_labelkeep_labeldrop() {
    let input = labels(&[("a", "foo"), ("b1", "bar"), ("b2", "baz")]);
    let out = process(&input, &[by_name(Action::LabelKeep, "(b.*)")]);
    assert_eq!(out, Some(labels(&[("b1", "bar"), ("b2", "baz")])));
    let out = process(&input, &[by_name(Action::LabelDrop, "(b.*)")]);
    assert_eq!(out, Some(labels(&[("a", "foo")])));
}

#[test]
fn prometheus_case_actions() {
    let input = labels(&[("foo", "bAr123Foo")]);
    let rules = [
        to_target(Action::Uppercase, &["foo"], "foo_uppercase"),
        to_target(Action::Lowercase, &["foo"], "foo_lowercase"),
    ];
    let expected = labels(&[
        ("foo", "bAr123Foo"),
        ("foo_lowercase", "bar123foo"),
        ("foo_uppercase", "BAR123FOO"),
    ]);
    assert_eq!(process(&input, &rules), Some(expected));
}

#[test]
fn case_actions_map_characters_one_to_one_as_go() {
    let input = labels(&[("v", "Straße ÄÖ")]);
    let out = process(&input, &[to_target(Action::Uppercase, &["v"], "u")]).unwrap();
    // Go's strings.ToUpper keeps ß (its upper case, "SS", is two characters).
    assert_eq!(out.get("u"), Some("STRAßE ÄÖ"));
    let out = process(&input, &[to_target(Action::Lowercase, &["v"], "l")]).unwrap();
    assert_eq!(out.get("l"), Some("straße äö"));
}

#[test]
fn prometheus_keepequal_dropequal() {
    let input = labels(&[
        ("__tmp_port", "1234"),
        ("__port1", "1234"),
        ("__port2", "5678"),
    ]);
    let keep1 = to_target(Action::KeepEqual, &["__tmp_port"], "__port1");
    assert_eq!(process(&input, &[keep1]), Some(input.clone()));
    let drop1 = to_target(Action::DropEqual, &["__tmp_port"], "__port1");
    assert_eq!(process(&input, &[drop1]), None);
    let drop2 = to_target(Action::DropEqual, &["__tmp_port"], "__port2");
    assert_eq!(process(&input, &[drop2]), Some(input.clone()));
    let keep2 = to_target(Action::KeepEqual, &["__tmp_port"], "__port2");
    assert_eq!(process(&input, &[keep2]), None);
}

#[test]
fn blackbox_rewrite_as_prometheus_docs_write_it() {
    let target = labels(&[("__address__", "https://example.org"), ("job", "blackbox")]);
    let rules = [
        to_target(Action::Replace, &["__address__"], "__param_target"),
        to_target(Action::Replace, &["__param_target"], "instance"),
        rule(RelabelSpec {
            target_label: "__address__".into(),
            replacement: "127.0.0.1:9115".into(),
            ..RelabelSpec::default()
        }),
    ];
    let expected = labels(&[
        ("__address__", "127.0.0.1:9115"),
        ("__param_target", "https://example.org"),
        ("instance", "https://example.org"),
        ("job", "blackbox"),
    ]);
    assert_eq!(process(&target, &rules), Some(expected));
}

#[test]
fn empty_replacement_deletes_and_unchanged_input_is_shared() {
    let input = labels(&[("a", "x"), ("b", "y")]);
    let delete_b = rule(RelabelSpec {
        target_label: "b".into(),
        replacement: String::new(),
        ..RelabelSpec::default()
    });
    assert_eq!(process(&input, &[delete_b]), Some(labels(&[("a", "x")])));
    let keep_all = filter(Action::Keep, &["a"], "x");
    assert_eq!(process(&input, &[keep_all]), Some(input.clone()));
    assert_eq!(process(&input, &[]), Some(input));
}

fn validation_error(spec: RelabelSpec) -> String {
    RelabelConfig::new(spec).unwrap_err().to_string()
}

#[test]
fn prometheus_validation_messages() {
    let spec = |action: Action, target: &str| RelabelSpec {
        action,
        target_label: target.into(),
        ..RelabelSpec::default()
    };
    assert_eq!(
        validation_error(spec(Action::Replace, "")),
        "relabel configuration for replace action requires 'target_label' value"
    );
    assert_eq!(
        validation_error(spec(Action::Lowercase, "")),
        "relabel configuration for lowercase action requires 'target_label' value"
    );
    assert_eq!(
        validation_error(spec(Action::Lowercase, "${3}")),
        r#""${3}" is invalid 'target_label' for lowercase action"#
    );
    assert!(RelabelConfig::new(spec(Action::Replace, "${3}")).is_ok());
    assert_eq!(
        validation_error(spec(Action::Replace, "0${3}")),
        r#""0${3}" is invalid 'target_label' for replace action"#
    );
    assert_eq!(
        validation_error(spec(Action::Replace, "-${3}")),
        r#""-${3}" is invalid 'target_label' for replace action"#
    );
    assert_eq!(
        validation_error(spec(Action::Replace, "a-b")),
        r#""a-b" is invalid 'target_label' for replace action"#
    );
    assert_eq!(
        validation_error(spec(Action::HashMod, "shard")),
        "relabel configuration for hashmod requires non-zero modulus"
    );
    assert_eq!(
        validation_error(RelabelSpec {
            modulus: 2,
            ..spec(Action::HashMod, "${1}")
        }),
        r#""${1}" is invalid 'target_label' for hashmod action"#
    );
}

#[test]
fn fields_an_action_forbids() {
    assert_eq!(
        validation_error(RelabelSpec {
            replacement: "x".into(),
            action: Action::Uppercase,
            target_label: "t".into(),
            ..RelabelSpec::default()
        }),
        "'replacement' can not be set for uppercase action"
    );
    assert_eq!(
        validation_error(RelabelSpec {
            replacement: "a-$1".into(),
            action: Action::LabelMap,
            ..RelabelSpec::default()
        }),
        r#""a-$1" is invalid 'replacement' for labelmap action"#
    );
    // An explicit regex counts as set, even the default one.
    assert_eq!(
        validation_error(RelabelSpec {
            regex: Some("(.*)".into()),
            action: Action::KeepEqual,
            target_label: "t".into(),
            ..RelabelSpec::default()
        }),
        "keepequal action requires only 'source_labels' and `target_label`, and no other fields"
    );
    assert_eq!(
        validation_error(RelabelSpec {
            separator: ",".into(),
            action: Action::DropEqual,
            target_label: "t".into(),
            ..RelabelSpec::default()
        }),
        "dropequal action requires only 'source_labels' and `target_label`, and no other fields"
    );
}

#[test]
fn labeldrop_and_labelkeep_take_only_a_regex() {
    for extra in [
        RelabelSpec {
            source_labels: Some(Vec::new()),
            ..RelabelSpec::default()
        },
        RelabelSpec {
            target_label: "t".into(),
            ..RelabelSpec::default()
        },
        RelabelSpec {
            modulus: 3,
            ..RelabelSpec::default()
        },
    ] {
        let spec = RelabelSpec {
            action: Action::LabelDrop,
            ..extra
        };
        assert_eq!(
            validation_error(spec),
            "labeldrop action requires only 'regex', and no other fields"
        );
    }
    // Setting a field to its default value is not "setting" it, as in Prometheus.
    assert!(
        RelabelConfig::new(RelabelSpec {
            separator: ";".into(),
            replacement: "$1".into(),
            regex: Some("tmp_.*".into()),
            action: Action::LabelKeep,
            ..RelabelSpec::default()
        })
        .is_ok()
    );
}

#[test]
fn parse_errors() {
    assert_eq!(
        "KeepEqual".parse::<Action>().unwrap(),
        Action::KeepEqual,
        "actions are case-insensitive"
    );
    assert_eq!(
        "explode".parse::<Action>().unwrap_err().to_string(),
        r#"unknown relabel action "explode""#
    );
    assert_eq!(
        validation_error(RelabelSpec {
            source_labels: Some(vec!["ok".into(), "not-ok".into()]),
            target_label: "t".into(),
            ..RelabelSpec::default()
        }),
        r#""not-ok" is not a valid label name"#
    );
    let err = RelabelConfig::new(RelabelSpec {
        regex: Some("(".into()),
        target_label: "t".into(),
        ..RelabelSpec::default()
    })
    .unwrap_err();
    assert!(matches!(err, RelabelError::InvalidRegex { ref pattern, .. } if pattern == "("));
}

#[test]
fn defaults_are_prometheus_defaults() {
    let r = rule(RelabelSpec {
        target_label: "t".into(),
        ..RelabelSpec::default()
    });
    assert_eq!(r.action(), Action::Replace);
    assert_eq!(r.separator(), ";");
    assert_eq!(r.regex_pattern(), "(.*)");
    assert_eq!(r.replacement(), "$1");
    assert!(r.source_labels().is_empty());
    // The regex is anchored and `.` does not cross newlines (no `s` flag, unlike matchers).
    assert!(r.regex().is_match("anything"));
    assert!(!r.regex().is_match("two\nlines"));
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(";".to_string()),
        Just("two\nlines".to_string()),
        "[a-z0-9:;/._-]{1,12}",
        "\\PC{0,8}",
    ]
}

fn label_set() -> impl Strategy<Value = Labels> {
    proptest::collection::btree_map("[a-z_][a-z0-9_]{0,6}", label_value(), 0..6)
        .prop_map(|m| Labels::from_pairs(m).unwrap())
}

proptest! {
    #[test]
    fn keep_of_any_keeps_everything(input in label_set(), extra in proptest::collection::vec("[a-z_]{1,4}", 0..3)) {
        let sources: Vec<String> = input.iter().map(|(n, _)| n.to_owned()).chain(extra).collect();
        let joined = sources.iter().map(|n| input.get(n).unwrap_or("")).collect::<Vec<_>>().join(";");
        let keep = rule(RelabelSpec {
            source_labels: Some(sources),
            regex: Some("(.*)".into()),
            action: Action::Keep,
            ..RelabelSpec::default()
        });
        let out = process(&input, &[keep]);
        // Without the `s` flag `.` stops at a newline, in Prometheus too: a joined value with a
        // newline is the one thing `(.*)` does not match.
        let expected = (!joined.contains('\n')).then_some(input);
        prop_assert_eq!(out, expected);
    }

    #[test]
    fn drop_is_the_negation_of_keep(input in label_set(), regex in "[a-z.*|]{0,5}") {
        let Ok(keep) = RelabelConfig::new(RelabelSpec {
            source_labels: Some(input.iter().map(|(n, _)| n.to_owned()).collect()),
            regex: Some(regex.clone()),
            action: Action::Keep,
            ..RelabelSpec::default()
        }) else {
            return Ok(());
        };
        let drop = RelabelConfig::new(RelabelSpec { action: Action::Drop, ..keep.spec().clone() }).unwrap();
        prop_assert_ne!(process(&input, &[keep]).is_some(), process(&input, &[drop]).is_some());
    }

    #[test]
    fn labeldrop_then_labelkeep_of_the_same_regex_leaves_nothing(input in label_set(), regex in "[a-z_.*]{1,4}") {
        let Ok(drop) = RelabelConfig::new(RelabelSpec { regex: Some(regex), action: Action::LabelDrop, ..RelabelSpec::default() }) else {
            return Ok(());
        };
        let keep = RelabelConfig::new(RelabelSpec { action: Action::LabelKeep, ..drop.spec().clone() }).unwrap();
        let out = process(&input, &[drop.clone(), keep]).unwrap();
        prop_assert!(out.is_empty());
        let dropped = process(&input, std::slice::from_ref(&drop)).unwrap();
        for (name, value) in input.iter() {
            let gone = drop.regex().is_match(name);
            prop_assert_eq!(dropped.get(name), if gone { None } else { Some(value) });
        }
    }
}
