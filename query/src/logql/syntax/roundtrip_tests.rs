//! Printing and parsing again is the identity: on generated trees (proptest, weighted to the
//! corners of the printer and the lexer), on the inputs saved under
//! `fuzz/regressions/logql_parser/`, and on damaged copies of the golden queries.

use model::{MatchType, Matcher};
use proptest::prelude::*;

use super::*;

/// The check the `logql_parser` fuzz target makes (`fuzz/fuzz_targets/logql_parser.rs` makes
/// the same one through the public API): any input parses or fails without panicking, and a
/// query that parses prints to text that parses to the same tree and prints the same. (A
/// canonical form longer than Loki's input limit cannot be read back, by either engine.)
fn check_round_trip(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expr) = parse(text) else {
        return;
    };
    let printed = expr.to_string();
    if printed.len() >= 5120 {
        return;
    }
    let reparsed = parse(&printed)
        .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which fails: {e}"));
    // Debug text, so that NaN literals compare equal.
    assert_eq!(
        format!("{reparsed:?}"),
        format!("{expr:?}"),
        "{text:?} printed as {printed:?}"
    );
    assert_eq!(reparsed.to_string(), printed, "{text:?}");
}

#[test]
fn fuzz_regressions_replay() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/logql_parser");
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir)
        .expect("regression corpus")
        .flatten()
    {
        let bytes = std::fs::read(entry.path()).expect("readable input");
        let outcome = std::panic::catch_unwind(|| check_round_trip(&bytes));
        assert!(
            outcome.is_ok(),
            "{} fails the check",
            entry.path().display()
        );
        inputs += 1;
    }
    assert!(inputs > 0, "no inputs in {}", dir.display());
}

#[test]
fn queries_at_the_nesting_limit_round_trip() {
    let shapes: [fn(usize) -> String; 6] = [
        |n| format!(r#"{{a="b"}} | {}"#, vec!["x=1"; n].join(", ")),
        |n| format!(r#"{{a="b"}} | {}"#, vec!["x=1"; n].join(" or ")),
        |n| vec!["vector(1)"; n].join(" + "),
        |n| format!("{}vector(1){}", "vector(1) + (".repeat(n), ")".repeat(n)),
        |n| format!("{}vector(1){}", "sum(".repeat(n), ")".repeat(n)),
        |n| {
            let filter = format!("{}x=1{}", "(y=1, ".repeat(n), ")".repeat(n));
            format!(r#"sum(count_over_time({{a="b"}} | {filter} [1m]))"#)
        },
    ];
    for shape in shapes {
        let accepted: Vec<usize> = (1..300).filter(|&n| parse(&shape(n)).is_ok()).collect();
        assert!(accepted.len() > 100, "{}", shape(1));
        for n in accepted {
            check_round_trip(shape(n).as_bytes());
        }
    }
}

/// Queries to damage: every construct, so that cuts and swaps land in every rule.
const SEEDS: &[&str] = &[
    r#"sum by (a) (rate({app="x", env=~"p.*"} |= "a" or "b" != `c` |~ "d" | json e="f", g | logfmt --strict h | regexp "(?P<i>.)" | pattern "<j> k" | unpack | decolorize | l > 1.5 and m < 5m or n >= 10KB, o=ip("1.2.3.4") | line_format "{{.p}}" | label_format q=r,s="t" | keep u, v="w" | drop x [5m] offset -1h)) > bool on (y) group_left (z) vector(1)"#,
    r#"quantile_over_time(0.9, ({a="b"} | unwrap duration(c) | __error__="")[1m]) without (d) / ignoring (e) group_right 2 ^ -3 % label_replace(topk(5, count_over_time({a="b"}[1d])), "f", "$1", "g", "(.*)")"#,
];

#[test]
fn damaged_queries_never_panic_and_what_parses_round_trips() {
    for seed in SEEDS {
        check_round_trip(seed.as_bytes());
        let chars: Vec<char> = seed.chars().collect();
        for i in 0..chars.len() {
            let cut: String = chars.iter().take(i).collect();
            check_round_trip(cut.as_bytes());
            let dropped: String = chars
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, c)| c)
                .collect();
            check_round_trip(dropped.as_bytes());
            for insert in ['(', ')', '"', '`', '|', ',', '-', '[', '#', '0'] {
                let mut damaged = chars.clone();
                damaged.insert(i, insert);
                let damaged: String = damaged.into_iter().collect();
                check_round_trip(damaged.as_bytes());
            }
        }
    }
}

// Generated trees. They are in the parser's normal form (see `ast`'s docs) and small enough
// to print within Loki's input limit.

const KEYWORDS: &[&str] = &[
    "by",
    "without",
    "bool",
    "offset",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "or",
    "and",
    "unless",
    "json",
    "regexp",
    "logfmt",
    "unpack",
    "pattern",
    "label_format",
    "line_format",
    "decolorize",
    "drop",
    "keep",
    "variants",
    "of",
    "unwrap",
];

fn label_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "a", "app", "level", "__error__", "status_code", "rate", "count", "ip", "bytes",
            "duration", "sum", "vector", "label_replace", "x1", "_",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z_][a-zA-Z0-9_]{0,6}".prop_filter("not a keyword", |s| {
            !KEYWORDS.contains(&s.to_lowercase().as_str())
        }),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9 .*]{0,6}",
        2 => prop::collection::vec(any::<char>(), 0..6).prop_map(String::from_iter),
        1 => prop::sample::select(vec![
            "", "\"", "\\", "\n\t\r", "\u{0}\u{7}\u{7f}", "é🙂", "\u{a0}\u{200b}\u{feff}",
            "{{.a}}", "`", "#", "]",
        ])
        .prop_map(str::to_owned),
    ]
}

const REGEXES: &[&str] = &[".+", "a|b", "(?i)x.*", "[0-9]+", "foo\\w*", ".*", ""];

fn matcher() -> impl Strategy<Value = Matcher> {
    (
        prop::sample::select(vec![
            MatchType::Equal,
            MatchType::NotEqual,
            MatchType::Regex,
            MatchType::NotRegex,
        ]),
        label_name(),
        text(),
        prop::sample::select(REGEXES),
    )
        .prop_map(|(kind, name, value, regex)| {
            let value = match kind {
                MatchType::Equal | MatchType::NotEqual => value,
                _ => regex.to_owned(),
            };
            Matcher::new(kind, name, value).expect("pool regexes compile")
        })
}

fn selective_matcher() -> impl Strategy<Value = Matcher> {
    (label_name(), "[a-z]{1,4}").prop_map(|(name, value)| Matcher::equal(name, value))
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1000i32..1000).prop_map(f64::from),
        -1e7f64..1e7,
        prop::sample::select(vec![0.0, -0.0, 0.5, 1e-5, 123456.7, 1e6, 2.5e15, 1e-7]),
    ]
}

fn extraction() -> impl Strategy<Value = LabelExtraction> {
    (label_name(), text()).prop_map(|(label, expression)| LabelExtraction { label, expression })
}

fn label_filter() -> impl Strategy<Value = LabelFilter> {
    let cmp = prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Lt,
        CmpOp::Le,
    ]);
    let leaf = prop_oneof![
        matcher().prop_map(LabelFilter::Matcher),
        (label_name(), cmp.clone(), finite()).prop_map(|(name, op, value)| LabelFilter::Number {
            name,
            op,
            value
        }),
        (
            label_name(),
            cmp.clone(),
            prop_oneof![any::<i64>(), -10_000_000_000i64..10_000_000_000]
        )
            .prop_map(|(name, op, value_ns)| LabelFilter::Duration { name, op, value_ns }),
        (
            label_name(),
            cmp,
            // Loki reads sizes through a float64: parsed sizes are whole numbers it holds.
            prop_oneof![
                any::<u64>().prop_map(|n| ((n >> 1) as f64) as u64),
                0u64..100_000,
                Just(10_000),
                Just(1 << 20)
            ]
        )
            .prop_map(|(name, op, value)| LabelFilter::Bytes { name, op, value }),
        (
            label_name(),
            any::<bool>(),
            prop::sample::select(vec!["1.2.3.4", "10.0.0.0/8", "::1"])
        )
            .prop_map(|(name, negated, pattern)| LabelFilter::Ip {
                name,
                negated,
                pattern: pattern.to_owned()
            }),
    ];
    leaf.prop_recursive(3, 8, 2, |inner| {
        (any::<bool>(), inner.clone(), inner).prop_map(|(and, l, r)| {
            if and {
                LabelFilter::And(Box::new(l), Box::new(r))
            } else {
                LabelFilter::Or(Box::new(l), Box::new(r))
            }
        })
    })
}

fn line_filter() -> impl Strategy<Value = LineFilter> {
    let kind = prop::sample::select(vec![
        LineFilterKind::Contains,
        LineFilterKind::NotContains,
        LineFilterKind::Regex,
        LineFilterKind::NotRegex,
        LineFilterKind::Pattern,
        LineFilterKind::NotPattern,
    ]);
    let arg = prop_oneof![
        3 => text().prop_map(LineFilterArg::Text),
        1 => Just(LineFilterArg::Ip("192.168.0.0/16".into())),
    ];
    (kind, prop::collection::vec(arg, 1..4)).prop_map(|(kind, mut alternatives)| {
        if kind.is_negated() {
            alternatives.truncate(1);
        }
        LineFilter { kind, alternatives }
    })
}

fn label_selector() -> impl Strategy<Value = LabelSelector> {
    prop_oneof![
        label_name().prop_map(LabelSelector::Name),
        matcher().prop_map(LabelSelector::Matcher),
    ]
}

fn stage() -> impl Strategy<Value = Stage> {
    prop_oneof![
        4 => line_filter().prop_map(Stage::LineFilter),
        1 => prop::collection::vec(extraction(), 0..3).prop_map(Stage::Json),
        1 => (any::<bool>(), any::<bool>(), prop::collection::vec(extraction(), 0..3)).prop_map(
            |(strict, keep_empty, extractions)| Stage::Logfmt(LogfmtParser {
                strict,
                keep_empty,
                extractions
            })
        ),
        1 => prop::sample::select(vec!["(?P<a>\\w+)", "(?P<method>\\S+) (?P<path>.*)"])
            .prop_map(|r| Stage::Regexp(r.to_owned())),
        1 => prop::sample::select(vec!["<a> <_>", "<ip> - \"<b>\""])
            .prop_map(|p| Stage::Pattern(p.to_owned())),
        1 => Just(Stage::Unpack),
        1 => Just(Stage::Decolorize),
        3 => label_filter().prop_map(Stage::LabelFilter),
        1 => text().prop_map(Stage::LineFormat),
        1 => prop::collection::vec(
            (label_name(), prop_oneof![
                label_name().prop_map(Ok),
                text().prop_map(Err),
            ]),
            1..3
        )
        .prop_map(|items| Stage::LabelFormat(
            items
                .into_iter()
                .map(|(target, value)| match value {
                    Ok(source) => LabelFormat::Rename { target, source },
                    Err(template) => LabelFormat::Template { target, template },
                })
                .collect()
        )),
        1 => prop::collection::vec(label_selector(), 1..3).prop_map(Stage::Keep),
        1 => prop::collection::vec(label_selector(), 1..3).prop_map(Stage::Drop),
    ]
}

fn log_expr() -> impl Strategy<Value = LogExpr> {
    (
        selective_matcher(),
        prop::collection::vec(matcher(), 0..3),
        prop::collection::vec(stage(), 0..4),
    )
        .prop_map(|(first, rest, mut stages)| {
            let mut matchers = vec![first];
            matchers.extend(rest);
            avoid_unwritable_sequences(&mut stages);
            LogExpr { matchers, stages }
        })
}

/// `| keep a` followed by `!= "x"` reads as `| keep a!="x"`: no text gives a `keep`/`drop`
/// that ends with a bare name followed by a `!=` or `!~` line filter, so the parser never
/// builds that sequence and the generator turns such filters positive.
fn avoid_unwritable_sequences(stages: &mut [Stage]) {
    for i in 1..stages.len() {
        let ends_with_name = matches!(
            &stages[i - 1],
            Stage::Keep(labels) | Stage::Drop(labels)
                if matches!(labels.last(), Some(LabelSelector::Name(_)))
        );
        if let Stage::LineFilter(filter) = &mut stages[i]
            && ends_with_name
        {
            filter.kind = match filter.kind {
                LineFilterKind::NotContains => LineFilterKind::Contains,
                LineFilterKind::NotRegex => LineFilterKind::Regex,
                kind => kind,
            };
        }
    }
}

fn unwrap() -> impl Strategy<Value = Unwrap> {
    (
        label_name(),
        prop::option::of(prop::sample::select(UnwrapConversion::ALL.to_vec())),
        prop::collection::vec(label_filter(), 0..2),
    )
        .prop_map(|(label, conversion, post_filters)| Unwrap {
            label,
            conversion,
            post_filters,
        })
}

fn grouping() -> impl Strategy<Value = Grouping> {
    (any::<bool>(), prop::collection::vec(label_name(), 0..3))
        .prop_map(|(without, labels)| Grouping { without, labels })
}

fn range_aggregation() -> impl Strategy<Value = SampleExpr> {
    (
        prop::sample::select(RangeOp::ALL.to_vec()),
        0f64..1.0,
        log_expr(),
        unwrap(),
        any::<bool>(),
        0i64..1_000_000_000,
        prop_oneof![
            Just(0i64),
            any::<i64>(),
            (-100i64..100).prop_map(|m| m * 60_000_000_000)
        ],
        grouping(),
        any::<bool>(),
    )
        .prop_map(
            |(op, q, selector, unwrap, want_unwrap, range_ms, offset_ns, grouping, want_group)| {
                let unwrapped = if !op.allows_lines() {
                    true
                } else if !op.allows_unwrap() {
                    false
                } else {
                    want_unwrap
                };
                SampleExpr::RangeAggregation(RangeAggregation {
                    op,
                    param: (op == RangeOp::QuantileOverTime).then_some(q),
                    range: LogRange {
                        selector,
                        unwrap: unwrapped.then_some(unwrap),
                        range_ns: range_ms * 1_000_000,
                        offset_ns,
                    },
                    grouping: (want_group && op.allows_grouping()).then_some(grouping),
                })
            },
        )
}

fn vector_matching() -> impl Strategy<Value = VectorMatching> {
    (
        any::<bool>(),
        prop::collection::vec(label_name(), 0..3),
        0u8..3,
        prop::collection::vec(label_name(), 0..2),
    )
        .prop_map(|(on, labels, card, include)| VectorMatching {
            labels: if on {
                MatchingLabels::On(labels)
            } else {
                MatchingLabels::Ignoring(labels)
            },
            card: match card {
                0 => Cardinality::OneToOne,
                1 => Cardinality::ManyToOne(include),
                _ => Cardinality::OneToMany(include),
            },
        })
}

fn sample_expr() -> impl Strategy<Value = SampleExpr> {
    let leaf = prop_oneof![
        3 => range_aggregation(),
        1 => finite().prop_map(SampleExpr::Literal),
        1 => prop_oneof![0f64..1e6, Just(0.1234567), Just(1.0)].prop_map(SampleExpr::Vector),
    ];
    leaf.prop_recursive(3, 6, 2, |inner| {
        prop_oneof![
            (
                prop::sample::select(VectorOp::ALL.to_vec()),
                1i64..1000,
                grouping(),
                inner.clone()
            )
                .prop_map(|(op, k, mut grouping, inner)| {
                    if matches!(op, VectorOp::Sort | VectorOp::SortDesc) {
                        grouping.labels.clear();
                    }
                    SampleExpr::VectorAggregation(VectorAggregation {
                        op,
                        param: op.takes_param().then_some(k),
                        grouping,
                        inner: Box::new(inner),
                    })
                }),
            (
                prop::sample::select(BinaryOp::ALL.to_vec()),
                any::<bool>(),
                vector_matching(),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, return_bool, matching, lhs, rhs)| {
                    // The parser folds two literals and refuses a literal under a set operator.
                    let fix = |e: SampleExpr| match e {
                        SampleExpr::Literal(_) if op.is_set() => SampleExpr::Vector(1.0),
                        e => e,
                    };
                    let (lhs, mut rhs) = (fix(lhs), fix(rhs));
                    if let (SampleExpr::Literal(_), SampleExpr::Literal(_)) = (&lhs, &rhs) {
                        rhs = SampleExpr::Vector(2.0);
                    }
                    SampleExpr::Binary(BinaryExpr {
                        op,
                        return_bool,
                        matching,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    })
                }),
            (
                inner,
                text(),
                text(),
                label_name(),
                prop::sample::select(REGEXES)
            )
                .prop_map(|(inner, destination, replacement, source, regex)| {
                    SampleExpr::LabelReplace(LabelReplace {
                        inner: Box::new(inner),
                        destination,
                        replacement,
                        source,
                        regex: regex.to_owned(),
                    })
                }),
        ]
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    prop_oneof![
        log_expr().prop_map(Expr::Log),
        sample_expr().prop_map(Expr::Sample),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printing_then_parsing_is_the_identity(expr in expr()) {
        let printed = expr.to_string();
        prop_assume!(printed.len() < 5120);
        let parsed = parse(&printed);
        prop_assert!(parsed.is_ok(), "{printed}\n  fails: {:?}", parsed);
        let parsed = parsed.unwrap();
        prop_assert_eq!(&parsed, &expr, "{}", printed);
        prop_assert_eq!(parsed.to_string(), printed);
    }

    #[test]
    fn arbitrary_text_never_panics(text in prop_oneof![
        ".{0,40}",
        prop::collection::vec(
            prop::sample::select(vec![
                "{", "}", "(", ")", "[5m]", "[", "]", "a", "=", "\"x\"", "`y`", "|", "|=", "!=",
                "|~", "json", "logfmt", "--strict", "unwrap", "rate", "sum", "by", "without",
                " ", ",", "1", "-", "5m", "10KB", "or", "and", "bool", "on", "group_left",
                "offset", "ip", "(", "vector", "+", "^", "#", "\n", "label_replace", "topk",
            ]),
            0..30,
        )
        .prop_map(|parts| parts.concat()),
    ]) {
        check_round_trip(text.as_bytes());
    }
}
