//! Invalid queries with the error Loki reports: position and message (the cases marked "Loki"
//! come from Loki's `parser_test.go` and `ast_test.go`).

use super::{ParseError, parse};

/// (query, line, column, message); line and column 0 for errors without a position.
const ERRORS: &[(&str, usize, usize, &str)] = &[
    // Loki.
    (
        r#"unk({ foo = "bar" }[5m])"#,
        1,
        1,
        "syntax error: unexpected IDENTIFIER",
    ),
    (
        r#"rate({ foo = "bar" }[5minutes])"#,
        0,
        21,
        r#"unknown unit "minutes" in duration "5minutes""#,
    ),
    (
        r#"label_replace(rate({ foo = "bar" }[5m]),"")"#,
        1,
        43,
        "syntax error: unexpected ), expecting ,",
    ),
    (
        r#"rate({ foo = "bar" }[5)"#,
        0,
        21,
        "missing closing ']' in duration",
    ),
    (
        r#"min({ foo = "bar" }[5m])"#,
        0,
        20,
        "syntax error: unexpected RANGE",
    ),
    (
        r#"{ foo = "bar" }|logfmt|addr>=ip("1.2.3.4")"#,
        1,
        30,
        "syntax error: unexpected ip, expecting BYTES or NUMBER or DURATION",
    ),
    (
        r#"{ foo = "bar" }|logfmt|addr<ip("1.2.3.4")"#,
        1,
        29,
        "syntax error: unexpected ip, expecting BYTES or NUMBER or DURATION",
    ),
    (
        r#"sum(3 ,count_over_time({ foo = "bar" }[5h]))"#,
        0,
        0,
        "unsupported parameter for operation sum(3,",
    ),
    (
        r#"topk(count_over_time({ foo = "bar" }[5h]))"#,
        0,
        0,
        "parameter required for operation topk",
    ),
    (
        r#"bottomk(he,count_over_time({ foo = "bar" }[5h]))"#,
        1,
        9,
        "syntax error: unexpected IDENTIFIER",
    ),
    (
        r#"bottomk(1.2,count_over_time({ foo = "bar" }[5h]))"#,
        0,
        0,
        "invalid parameter bottomk(1.2,",
    ),
    (
        r#"topk(0, sum(rate({region="us-east1"}[5m])) by (name))"#,
        0,
        0,
        "invalid parameter (must be greater than 0) topk(0",
    ),
    (
        r#"stddev({ foo = "bar" })"#,
        1,
        23,
        "syntax error: unexpected )",
    ),
    (
        r#"sum_over_time({app="foo"} |= "bar" | json | latency >= 250ms or ( status_code < 500 and status_code > 200) | line_format "blip{{ .foo }}blop {{.status_code}}" | label_format foo=bar,status_code="buzz{{.bar}}"[5m])"#,
        0,
        0,
        "invalid aggregation sum_over_time without unwrap",
    ),
    (
        r#"count_over_time({app="foo"} |= "foo" | json | unwrap foo [5m])"#,
        0,
        0,
        "invalid aggregation count_over_time with unwrap",
    ),
    (
        r#"absent_over_time({ foo = "bar" }[5h]) by (foo)"#,
        0,
        0,
        "grouping not allowed for absent_over_time aggregation",
    ),
    (
        r#"{foo="bar"} + {foo="bar"}"#,
        0,
        0,
        "unexpected type for left leg of binary operation (+): *syntax.MatchersExpr",
    ),
    (
        r#"sum(count_over_time({foo="bar"}[5m])) by (foo) - {foo="bar"}"#,
        0,
        0,
        "unexpected type for right leg of binary operation (-): *syntax.MatchersExpr",
    ),
    (
        r#"{foo="bar"} |= "x" / 2"#,
        0,
        0,
        "unexpected type for left leg of binary operation (/): *syntax.PipelineExpr",
    ),
    (
        r#"sum(count_over_time({foo="bar"}[5m])) by (foo) or 1"#,
        0,
        0,
        "unexpected literal for right leg of logical/set binary operation (or): 1.000000",
    ),
    (
        r#"1 unless sum(count_over_time({foo="bar"}[5m])) by (foo)"#,
        0,
        0,
        "unexpected literal for left leg of logical/set binary operation (unless): 1.000000",
    ),
    (
        r#"sum(count_over_time({foo="bar"}[5m])) by (foo) + 1 or 1"#,
        0,
        0,
        "unexpected literal for right leg of logical/set binary operation (or): 1.000000",
    ),
    (
        r#"bool 1 > 1 > bool 1"#,
        1,
        1,
        "syntax error: unexpected bool",
    ),
    (
        r#"sum_over_time({namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms| unwrap latency [5m]) by (foo)"#,
        0,
        0,
        "grouping not allowed for sum_over_time aggregation",
    ),
    (
        r#"sum_over_time(50,{namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms| unwrap latency [5m])"#,
        0,
        0,
        "parameter 50 not supported for operation sum_over_time",
    ),
    (
        r#"quantile_over_time({namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms| unwrap latency [5m])"#,
        0,
        0,
        "parameter required for operation quantile_over_time",
    ),
    (
        r#"quantile_over_time(foo,{namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms| unwrap latency [5m])"#,
        1,
        20,
        "syntax error: unexpected IDENTIFIER, expecting NUMBER or { or (",
    ),
    (
        r#"#{app="foo"} | json"#,
        1,
        20,
        "syntax error: unexpected $end",
    ),
    (
        r#"{foo!="bar"}"#,
        0,
        0,
        "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will",
    ),
    (
        r#"count_over_time({app=~".*"}[5m])"#,
        0,
        0,
        "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will",
    ),
    (
        r#"1 + count_over_time({app=~".+"}[5m]) + count_over_time({app=~".*"}[5m]) + 1"#,
        0,
        0,
        "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will",
    ),
    (
        r#"{foo!~"bar|baz"}"#,
        0,
        0,
        "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will",
    ),
    (
        r#"sort(sum by(a) (rate( ( {job="mysql"} |="error" !="timeout" ) [10s] ) )) by (app)"#,
        0,
        0,
        "sort and sort_desc doesn't allow grouping by ",
    ),
    // Syntax errors, with goyacc's token names.
    ("", 0, 0, "syntax error: unexpected $end"),
    ("   ", 1, 4, "syntax error: unexpected $end"),
    (
        r#"{app="api"} |= 42"#,
        1,
        16,
        "syntax error: unexpected NUMBER, expecting STRING or ip",
    ),
    (
        r#"{a="b"} | unwrap x"#,
        1,
        11,
        "syntax error: unexpected unwrap",
    ),
    (r#"{a="b"}[5m]"#, 0, 8, "syntax error: unexpected RANGE"),
    (
        r#"{a="b"} |= "x" or vector(1)"#,
        1,
        19,
        "syntax error: unexpected VECTOR, expecting STRING or ip",
    ),
    (
        r#"{a}"#,
        1,
        3,
        "syntax error: unexpected }, expecting = or =~ or !~ or !=",
    ),
    (
        r#"{a="b" c="d"}"#,
        1,
        8,
        "syntax error: unexpected IDENTIFIER, expecting } or ,",
    ),
    (
        r#"{a="b",}"#,
        1,
        8,
        "syntax error: unexpected }, expecting IDENTIFIER",
    ),
    (
        r#"{by="x"}"#,
        1,
        2,
        "syntax error: unexpected by, expecting IDENTIFIER or }",
    ),
    (
        r#"{a="b"} | json | x > "y""#,
        1,
        22,
        "syntax error: unexpected STRING, expecting BYTES or NUMBER or DURATION",
    ),
    (
        r#"{a="b"} | json | x =~ 5"#,
        1,
        23,
        "syntax error: unexpected NUMBER, expecting STRING",
    ),
    (
        r#"{a="b"} | json | x == "y""#,
        1,
        23,
        "syntax error: unexpected STRING, expecting BYTES or NUMBER or DURATION",
    ),
    (
        r#"{a="b"} | regexp"#,
        1,
        17,
        "syntax error: unexpected $end, expecting STRING",
    ),
    (
        r#"{a="b"} | json a="b", "c""#,
        1,
        23,
        "syntax error: unexpected STRING, expecting IDENTIFIER",
    ),
    (
        r#"{a="b"} | label_format a=5"#,
        1,
        26,
        "syntax error: unexpected NUMBER, expecting IDENTIFIER or STRING",
    ),
    (
        r#"{a="b"} | drop a=5"#,
        1,
        18,
        "syntax error: unexpected NUMBER, expecting STRING",
    ),
    (r#"rate({a="b"})"#, 1, 13, "syntax error: unexpected )"),
    (
        r#"rate({a="b"}[1m] offset)"#,
        1,
        24,
        "syntax error: unexpected ), expecting DURATION",
    ),
    (
        r#"rate({a="b"} | unwrap 5 [1m])"#,
        1,
        23,
        "syntax error: unexpected NUMBER, expecting IDENTIFIER or BYTES_CONV or DURATION_CONV or DURATION_SECONDS_CONV",
    ),
    (
        r#"rate({a="b"}[1m] | json | unwrap x | json)"#,
        1,
        38,
        "syntax error: unexpected json",
    ),
    (
        r#"rate(({a="b"})[1m] | json)"#,
        1,
        20,
        "syntax error: unexpected |",
    ),
    (
        r#"sum by (a) (rate({a="b"}[1m])) by (b)"#,
        1,
        32,
        "syntax error: unexpected by",
    ),
    (
        r#"sum(rate({a="b"}[1m])) by (a,)"#,
        1,
        30,
        "syntax error: unexpected ), expecting IDENTIFIER",
    ),
    (
        r#"vector(-1)"#,
        1,
        8,
        "syntax error: unexpected -, expecting NUMBER",
    ),
    (
        r#"rate({a="b"}[1m]) + on rate({a="b"}[1m])"#,
        1,
        24,
        "syntax error: unexpected RATE, expecting (",
    ),
    (
        r#"-rate({a="b"}[1m])"#,
        1,
        2,
        "syntax error: unexpected RATE, expecting NUMBER",
    ),
    (
        r#"rate({a="b"}[1m]) +"#,
        1,
        20,
        "syntax error: unexpected $end",
    ),
    // A syntax error wins over a check Loki makes while building the tree.
    (
        r#"sum(3, rate({a="b"}[1m])) +"#,
        1,
        28,
        "syntax error: unexpected $end",
    ),
    // The lexer's errors, where the parser reaches them.
    (
        r#"{a="b"} | json | y = "open"#,
        1,
        22,
        "literal not terminated",
    ),
    (r#"{a="\q"}"#, 1, 4, "invalid char escape"),
    (
        r#"{a="b"} |= "x" [5y1"#,
        0,
        16,
        "missing closing ']' in duration",
    ),
    // Checks on what the grammar matched.
    (
        r#"{a="b"} | regexp "foo""#,
        0,
        0,
        "invalid regexp parser: at least one named capture must be supplied",
    ),
    (
        r#"{a="b"} | pattern "foo""#,
        0,
        0,
        "invalid pattern parser: at least one capture is required",
    ),
    (
        r#"{a="b"} | pattern "<x><y>""#,
        0,
        0,
        "invalid pattern parser: found consecutive capture: invalid expression",
    ),
    (
        r#"vector(1e999)"#,
        0,
        0,
        r#"unable to parse vectorExpr as a float: strconv.ParseFloat: parsing "1e999": value out of range"#,
    ),
    (
        r#"1e999 + 1"#,
        0,
        0,
        r#"unable to parse literal as a float: strconv.ParseFloat: parsing "1e999": value out of range"#,
    ),
    (
        r#"quantile_over_time(0x1, {a="b"} | unwrap x [1m])"#,
        0,
        0,
        r#"invalid parameter for operation quantile_over_time: strconv.ParseFloat: parsing "0x1": invalid syntax"#,
    ),
    // Not supported by this engine.
    (
        r#"approx_topk(2, rate({a="b"}[1m]))"#,
        1,
        1,
        "approx_topk is not supported",
    ),
    (
        r#"variants(count_over_time({a="b"}[1m])) of ({a="b"}[1m])"#,
        1,
        1,
        "variants is not supported",
    ),
];

#[test]
fn invalid_queries_fail_with_lokis_position_and_message() {
    for (query, line, column, message) in ERRORS {
        let err = parse(query).expect_err(query);
        assert_eq!(
            err,
            ParseError {
                line: *line,
                column: *column,
                message: (*message).to_owned()
            },
            "{query}"
        );
    }
}

#[test]
fn bad_regexes_are_errors_without_a_position() {
    for query in [
        r#"{a=~"("}"#,
        r#"{a="b"} | x!~"[""#,
        r#"{a="b"} | drop x=~"(""#,
    ] {
        let err = parse(query).expect_err(query);
        assert_eq!((err.line, err.column), (0, 0), "{query}");
        assert!(
            err.message.starts_with("error parsing regexp: "),
            "{query}: {err}"
        );
    }
    let err = parse(r#"label_replace(rate({a="b"}[1m]),"a","b","c","(")"#).unwrap_err();
    assert!(
        err.message
            .starts_with("invalid regex in label_replace: error parsing regexp: "),
        "{err}"
    );
}

#[test]
fn input_is_bounded_in_size_and_nesting() {
    let long = format!(r#"{{a="{}"}}"#, "x".repeat(5200));
    assert_eq!(
        parse(&long).unwrap_err().to_string(),
        "parse error : input size too long (5206 > 5120)"
    );
    let deep = format!("{}1{}", "(".repeat(2000), ")".repeat(2000));
    let err = parse(&deep).unwrap_err();
    assert!(
        err.message.contains("nested deeper than"),
        "{}",
        err.message
    );
    let deep_filter = format!(r#"{{a="b"}} | {}x=1{}"#, "(".repeat(2000), ")".repeat(2000));
    assert!(parse(&deep_filter).is_err());
    let deep_range = format!(
        r#"rate({}{{a="b"}}[1m]{})"#,
        "(".repeat(2000),
        ")".repeat(2000)
    );
    assert!(parse(&deep_range).is_err());
    // Flat chains parse with loops, but their canonical form nests one level per operator:
    // they are refused past the depth the parser reads back.
    let chain = vec!["x=1"; 200].join(", ");
    assert!(parse(&format!(r#"{{a="b"}} | {chain}"#)).is_ok());
    let chain = vec!["x=1"; 1000].join(", ");
    let err = parse(&format!(r#"{{a="b"}} | {chain}"#)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parse error : syntax error: expression nested deeper than 256 levels"
    );
    let chain = vec![r#"vector(1)"#; 200].join(" + ");
    assert!(parse(&chain).is_ok());
    let chain = vec![r#"vector(1)"#; 400].join(" + ");
    assert!(parse(&chain).is_err());
    let chain = vec!["2"; 60].join(" ^ ");
    assert!(parse(&chain).is_ok());
}
