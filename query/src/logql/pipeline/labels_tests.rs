//! The label builder against Loki's `labels_test.go` expectations.

use super::*;

fn stream() -> Labels {
    Labels::from_pairs([("already", "in"), ("app", "a")]).unwrap()
}

fn pairs(labels: &Labels) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

fn expect(labels: &Labels, want: &[(&str, &str)]) {
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(pairs(labels), want);
}

#[test]
fn unchanged_entries_return_the_stream_labels() {
    let mut b = EntryLabels::new(&stream());
    b.reset();
    assert!(b.is_unchanged());
    assert_eq!(b.labels(), &stream());
    assert_eq!(b.get("app"), Some("a"));
    assert_eq!(b.get("nope"), None);
}

#[test]
fn parsed_wins_over_metadata_which_wins_over_stream() {
    let mut b = EntryLabels::new(&stream());
    b.set(Category::Metadata, "x", "meta");
    b.set(Category::Parsed, "x", "parsed");
    assert_eq!(b.get_with_category("x"), Some(("parsed", Category::Parsed)));
    // Metadata cannot replace a parsed label.
    b.set(Category::Metadata, "x", "meta2");
    assert_eq!(b.get("x"), Some("parsed"));
    // A parsed label replaces a stream label's value.
    b.set(Category::Parsed, "app", "b");
    expect(
        b.labels(),
        &[("already", "in"), ("app", "b"), ("x", "parsed")],
    );
}

#[test]
fn metadata_named_like_a_stream_label_is_suffixed() {
    let mut b = EntryLabels::new(&stream());
    b.add_metadata(&[
        ("app".to_owned(), "m".to_owned()),
        ("trace.id".to_owned(), "t".to_owned()),
    ]);
    expect(
        b.labels(),
        &[
            ("already", "in"),
            ("app", "a"),
            ("app_extracted", "m"),
            ("trace_id", "t"),
        ],
    );
    assert!(b.base_has("app"));
    assert!(!b.base_has("trace_id"));
}

#[test]
fn error_labels_from_metadata_become_the_error() {
    // Loki's TestLabelsBuilder_LabelsErrorFromAdd.
    let mut b = EntryLabels::new(&stream());
    b.add_metadata(&[
        ("__error__".to_owned(), "test error".to_owned()),
        ("__error_details__".to_owned(), "test details".to_owned()),
    ]);
    assert_eq!(b.error(), "test error");
    expect(
        b.labels(),
        &[
            ("__error__", "test error"),
            ("__error_details__", "test details"),
            ("already", "in"),
            ("app", "a"),
        ],
    );
}

#[test]
fn deleted_labels_are_gone_until_set_again() {
    let mut b = EntryLabels::new(&stream());
    b.set(Category::Parsed, "x", "1");
    b.delete("app");
    b.delete("x");
    assert_eq!(b.get("app"), None);
    assert_eq!(b.get("x"), None);
    expect(b.labels(), &[("already", "in")]);
    b.set(Category::Parsed, "app", "back");
    expect(b.labels(), &[("already", "in"), ("app", "back")]);
}

#[test]
fn reset_forgets_the_previous_entry() {
    let mut b = EntryLabels::new(&stream());
    b.set(Category::Parsed, "x", "1");
    b.delete("app");
    b.fail("E", "d");
    b.begin_parser_stage();
    assert!(b.parsed_has("x"));
    b.reset();
    assert!(b.is_unchanged());
    assert!(!b.parsed_has("x"));
    assert_eq!(b.labels(), &stream());
}

#[test]
fn empty_values_are_present_while_processing_and_absent_after() {
    let mut b = EntryLabels::new(&stream());
    b.set(Category::Parsed, "empty", "");
    assert_eq!(b.get("empty"), Some(""));
    expect(b.labels(), &[("already", "in"), ("app", "a")]);
}

#[test]
fn label_sets_are_cached_and_rebuilt_when_they_differ() {
    let mut b = EntryLabels::new(&stream());
    b.set(Category::Parsed, "x", "1");
    let first = b.labels().clone();
    b.reset();
    b.set(Category::Parsed, "x", "2");
    let second = b.labels().clone();
    b.reset();
    b.set(Category::Parsed, "x", "1");
    assert_eq!(b.labels(), &first);
    assert_ne!(first, second);
    assert_eq!(b.built.len(), 2);
}

#[test]
fn filtered_label_sets() {
    let mut b = EntryLabels::new(&stream());
    b.set(Category::Parsed, "x", "1");
    expect(
        b.labels_where(|n| n != "app"),
        &[("already", "in"), ("x", "1")],
    );
    b.reset();
    expect(b.labels_where(|n| n == "app"), &[("app", "a")]);
}

#[test]
fn metadata_names_are_normalized_as_prometheus_otlp_does() {
    let norm = |s: &str| {
        let mut out = String::new();
        normalize_label_name(s, &mut out);
        out
    };
    assert_eq!(norm("trace_id"), "trace_id");
    assert_eq!(norm("k8s.pod.name"), "k8s_pod_name");
    assert_eq!(norm("0abc"), "key_0abc");
    assert_eq!(norm("_abc"), "key_abc");
    assert_eq!(norm("__abc"), "__abc");
    assert_eq!(norm("é-x"), "__x");
    assert_eq!(norm(""), "");
}

#[test]
fn parsed_has_answers_for_earlier_parser_stages_only() {
    let mut b = EntryLabels::new(&stream());
    b.begin_parser_stage();
    b.set_parsed("x", "1");
    assert!(!b.parsed_has("x"));
    b.begin_parser_stage();
    assert!(b.parsed_has("x"));
    b.set_parsed("y", "2");
    assert!(!b.parsed_has("y"));
    b.reset();
    assert!(!b.parsed_has("x"));
}
