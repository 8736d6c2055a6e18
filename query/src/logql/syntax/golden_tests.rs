//! Valid queries with their canonical form, as Loki's `String()` methods print them (several
//! taken from Loki's own tests: `ast_test.go`, `parser_test.go`). Each case checks that the
//! query parses, prints as expected, and that the printed form parses to the same tree and
//! prints to itself.

use super::{Expr, parse};

/// (query, canonical form).
const GOLDEN: &[(&str, &str)] = &[
    // Stream selectors.
    (r#"{foo="bar"}"#, r#"{foo="bar"}"#),
    (
        r#"{ foo = "bar" , bar != "baz" }"#,
        r#"{foo="bar", bar!="baz"}"#,
    ),
    (r#"{foo=~"b.*", bar!~"x|y"}"#, r#"{foo=~"b.*", bar!~"x|y"}"#),
    (r#"{foo=~`bar\w+`}"#, r#"{foo=~"bar\\w+"}"#),
    (r#"{app="a\tb\"c\u00e9"}"#, r#"{app="a\tb\"cé"}"#),
    (
        r#"{rate="x", ip="y", count="z"}"#,
        r#"{rate="x", ip="y", count="z"}"#,
    ),
    (r##"{app="#"}"##, r##"{app="#"}"##),
    // Line filters.
    (
        r#"{foo="bar"} |= "baz" |~ "blip" != "flip" !~ "flap""#,
        r#"{foo="bar"} |= "baz" |~ "blip" != "flip" !~ "flap""#,
    ),
    (
        r#"{foo="bar"} |= "a" or "b" or "c""#,
        r#"{foo="bar"} |= "a" or "b" or "c""#,
    ),
    (
        r#"{foo="bar"} != "a" or "b""#,
        r#"{foo="bar"} != "a" != "b""#,
    ),
    (
        r#"{foo="bar"} !~ "a" or "b" or "c""#,
        r#"{foo="bar"} !~ "a" !~ "b" !~ "c""#,
    ),
    (
        r#"{foo="bar"} |~ "(?i)error" or "warn""#,
        r#"{foo="bar"} |~ "(?i)error" or "warn""#,
    ),
    (
        r#"{foo="bar"} |> "<_> error <_>" !> "debug <_>""#,
        r#"{foo="bar"} |> "<_> error <_>" !> "debug <_>""#,
    ),
    (
        r#"{foo="bar"} |= ip("192.168.0.1") != ip("10.0.0.0/8")"#,
        r#"{foo="bar"} |= ip("192.168.0.1") != ip("10.0.0.0/8")"#,
    ),
    (
        r#"{foo="bar"} |= "a" or ip("::1")"#,
        r#"{foo="bar"} |= "a" or ip("::1")"#,
    ),
    (r#"{foo="bar"}|="x""#, r#"{foo="bar"} |= "x""#),
    (r#"{foo="bar"} |= `raw"q\`"#, r#"{foo="bar"} |= "raw\"q\\""#),
    (r#"{foo="bar"} |= """#, r#"{foo="bar"} |= """#),
    // Parsers.
    (r#"{app="x"} | json"#, r#"{app="x"} | json"#),
    (
        r#"{app="x"} | json a="b.c", d, e="f[0]""#,
        r#"{app="x"} | json a="b.c",d="d",e="f[0]""#,
    ),
    (
        r#"{app="foo"} | json bob="top.sub[\"index\"]""#,
        r#"{app="foo"} | json bob="top.sub[\"index\"]""#,
    ),
    (r#"{app="x"} | logfmt"#, r#"{app="x"} | logfmt"#),
    (
        r#"{app="x"} | logfmt --keep-empty --strict"#,
        r#"{app="x"} | logfmt --strict --keep-empty"#,
    ),
    (
        r#"{app="x"} | logfmt --strict a, b="c""#,
        r#"{app="x"} | logfmt --strict a="a",b="c""#,
    ),
    (
        r#"{app="foo"} | logfmt code="response.code", IPAddress="host""#,
        r#"{app="foo"} | logfmt code="response.code",IPAddress="host""#,
    ),
    (
        r#"{app="x"} | regexp "(?P<method>\\w+) (?P<path>\\S+)""#,
        r#"{app="x"} | regexp "(?P<method>\\w+) (?P<path>\\S+)""#,
    ),
    (
        r#"{app="x"} | pattern "<ip> - - <_> \"<method> <uri>\"""#,
        r#"{app="x"} | pattern "<ip> - - <_> \"<method> <uri>\"""#,
    ),
    (r#"{app="x"} | unpack"#, r#"{app="x"} | unpack"#),
    (r#"{app="x"} | decolorize"#, r#"{app="x"} | decolorize"#),
    (
        r#"{app="x"} | JSON | Logfmt"#,
        r#"{app="x"} | json | logfmt"#,
    ),
    // Label filters.
    (
        r#"{app="x"} | logfmt | level="error""#,
        r#"{app="x"} | logfmt | level="error""#,
    ),
    (
        r#"{app="x"} | logfmt | level != "debug" | msg =~ "a.*" | msg !~ "b""#,
        r#"{app="x"} | logfmt | level!="debug" | msg=~"a.*" | msg!~"b""#,
    ),
    (
        r#"{ foo = "bar" }|logfmt|rate="a""#,
        r#"{foo="bar"} | logfmt | rate="a""#,
    ),
    (
        r#"{app="x"} | logfmt | status >= 500"#,
        r#"{app="x"} | logfmt | status>=500"#,
    ),
    (
        r#"{app="x"} | logfmt | status = 200"#,
        r#"{app="x"} | logfmt | status==200"#,
    ),
    (
        r#"{app="x"} | logfmt | status == 200.5"#,
        r#"{app="x"} | logfmt | status==200.5"#,
    ),
    (
        r#"{app="x"} | logfmt | status != -1"#,
        r#"{app="x"} | logfmt | status!=-1"#,
    ),
    (
        r#"{app="x"} | logfmt | n < 1e3"#,
        r#"{app="x"} | logfmt | n<1000"#,
    ),
    (
        r#"{app="x"} | logfmt | latency > 250ms"#,
        r#"{app="x"} | logfmt | latency>250ms"#,
    ),
    (
        r#"{app="x"} | logfmt | latency <= 1m"#,
        r#"{app="x"} | logfmt | latency<=1m0s"#,
    ),
    (
        r#"{app="x"} | logfmt | latency > 1h30m"#,
        r#"{app="x"} | logfmt | latency>1h30m0s"#,
    ),
    (
        r#"{app="x"} | logfmt | latency > -1.5s"#,
        r#"{app="x"} | logfmt | latency>-1.5s"#,
    ),
    (
        r#"{app="x"} | logfmt | size > 10KB"#,
        r#"{app="x"} | logfmt | size>10kB"#,
    ),
    (
        r#"{app="x"} | logfmt | size == 1GB"#,
        r#"{app="x"} | logfmt | size==1.0GB"#,
    ),
    (
        r#"{app="x"} | logfmt | size < 5MiB"#,
        r#"{app="x"} | logfmt | size<5242880B"#,
    ),
    (
        r#"{app="x"} | logfmt | size >= 2.5KiB"#,
        r#"{app="x"} | logfmt | size>=2560B"#,
    ),
    (
        r#"{app="x"} | logfmt | addr = ip("10.0.0.0/8")"#,
        r#"{app="x"} | logfmt | addr=ip("10.0.0.0/8")"#,
    ),
    (
        r#"{app="x"} | logfmt | addr != ip("::1")"#,
        r#"{app="x"} | logfmt | addr!=ip("::1")"#,
    ),
    (
        r#"{app="x"} | logfmt | a="1" and b="2""#,
        r#"{app="x"} | logfmt | ( a="1" , b="2" )"#,
    ),
    (
        r#"{app="x"} | logfmt | a="1", b="2""#,
        r#"{app="x"} | logfmt | ( a="1" , b="2" )"#,
    ),
    (
        r#"{app="x"} | logfmt | a="1" b="2""#,
        r#"{app="x"} | logfmt | ( a="1" , b="2" )"#,
    ),
    (
        r#"{app="x"} | logfmt | a="1" or b="2""#,
        r#"{app="x"} | logfmt | ( a="1" or b="2" )"#,
    ),
    (
        r#"{app="x"} | logfmt | a>1 or b>2 and c>3"#,
        r#"{app="x"} | logfmt | ( a>1 or ( b>2 , c>3 ) )"#,
    ),
    (
        r#"{app="x"} | logfmt | a>1 and b>2 or c>3"#,
        r#"{app="x"} | logfmt | ( ( a>1 , b>2 ) or c>3 )"#,
    ),
    (
        r#"{app="x"} | logfmt | a>1 or b>2, c>3 or d>4"#,
        r#"{app="x"} | logfmt | ( a>1 or ( b>2 , ( c>3 or d>4 ) ) )"#,
    ),
    (
        r#"{app="x"} | logfmt | (a>1 or b>2) and c>3"#,
        r#"{app="x"} | logfmt | ( ( a>1 or b>2 ) , c>3 )"#,
    ),
    (
        r#"{app="x"} | logfmt | ((a>1))"#,
        r#"{app="x"} | logfmt | a>1"#,
    ),
    (
        r#"{app="x"} | json | __error__ = """#,
        r#"{app="x"} | json | __error__="""#,
    ),
    (
        r#"{foo="bar"} |= "baz" |~ "blip" != "flip" !~ "flap" | regexp "(?P<foo>foo|bar)" | ( ( foo<5.01 , bar>20ms ) or foo="bar" ) | line_format "blip{{.boop}}bap" | label_format foo=bar,bar="blip{{.blop}}""#,
        r#"{foo="bar"} |= "baz" |~ "blip" != "flip" !~ "flap" | regexp "(?P<foo>foo|bar)" | ( ( foo<5.01 , bar>20ms ) or foo="bar" ) | line_format "blip{{.boop}}bap" | label_format foo=bar,bar="blip{{.blop}}""#,
    ),
    // Formatting, keep and drop.
    (
        r#"{app="x"} | line_format "{{.msg}} {{ .level | ToUpper }}""#,
        r#"{app="x"} | line_format "{{.msg}} {{ .level | ToUpper }}""#,
    ),
    (
        r#"{app="x"} | line_format `{{.a}}\n`"#,
        r#"{app="x"} | line_format "{{.a}}\\n""#,
    ),
    (
        r#"{app="x"} | label_format a=b, c="{{.d}}""#,
        r#"{app="x"} | label_format a=b,c="{{.d}}""#,
    ),
    (
        r#"{app="x"} | keep a, b="c", d!~"e.*""#,
        r#"{app="x"} | keep a,b="c",d!~"e.*""#,
    ),
    (
        r#"{app="x"} | drop __error__, __error_details__"#,
        r#"{app="x"} | drop __error__,__error_details__"#,
    ),
    // Comments and layout.
    (
        "{app=\"foo\"}\n\t# |= \"bar\"\n\t| json",
        r#"{app="foo"} | json"#,
    ),
    (r#"{app="foo"} # |= "bar" | json"#, r#"{app="foo"}"#),
    (r#"({app="foo"} |= "x")"#, r#"{app="foo"} |= "x""#),
    // Range aggregations.
    (
        r#"count_over_time({foo="bar"}[12h])"#,
        r#"count_over_time({foo="bar"}[12h])"#,
    ),
    (
        r#"rate({foo="bar"}[5m] |= "error")"#,
        r#"rate({foo="bar"} |= "error"[5m])"#,
    ),
    (
        r#"count_over_time(({foo="bar"} |= "baz")[5m])"#,
        r#"count_over_time({foo="bar"} |= "baz"[5m])"#,
    ),
    (
        r#"bytes_over_time({foo="bar"}[1m] offset 5m)"#,
        r#"bytes_over_time({foo="bar"}[1m] offset 5m0s)"#,
    ),
    (
        r#"bytes_rate({foo="bar"}[90s])"#,
        r#"bytes_rate({foo="bar"}[1m30s])"#,
    ),
    (r#"rate({foo="bar"}[7d])"#, r#"rate({foo="bar"}[1w])"#),
    (r#"rate({foo="bar"}[24h])"#, r#"rate({foo="bar"}[1d])"#),
    (
        r#"absent_over_time({foo="bar"}[10s] offset -1h)"#,
        r#"absent_over_time({foo="bar"}[10s] offset -1h0m0s)"#,
    ),
    (
        r#"sum_over_time({app="x"} | logfmt | unwrap latency [5m])"#,
        r#"sum_over_time({app="x"} | logfmt | unwrap latency[5m])"#,
    ),
    (
        r#"avg_over_time({app="x"} | unwrap duration(latency) | __error__="" [5m]) by (host)"#,
        r#"avg_over_time({app="x"} | unwrap duration(latency) | __error__=""[5m]) by (host)"#,
    ),
    (
        r#"max_over_time({app="x"} | json | unwrap bytes(size)[1m]) without (pod)"#,
        r#"max_over_time({app="x"} | json | unwrap bytes(size)[1m]) without (pod)"#,
    ),
    (
        r#"quantile_over_time(0.99, {app="x"} | unwrap duration_seconds(t) [5m]) by (a, b)"#,
        r#"quantile_over_time(0.99,{app="x"} | unwrap duration_seconds(t)[5m]) by (a,b)"#,
    ),
    (
        r#"quantile_over_time(.5, {app="x"} | unwrap v [1m])"#,
        r#"quantile_over_time(0.5,{app="x"} | unwrap v[1m])"#,
    ),
    (
        r#"first_over_time({app="x"}[5m] | logfmt | unwrap v)"#,
        r#"first_over_time({app="x"} | logfmt | unwrap v[5m])"#,
    ),
    (
        r#"last_over_time({app="x"}[5m] offset 1h | unwrap v | v > 1)"#,
        r#"last_over_time({app="x"} | unwrap v | v>1[5m] offset 1h0m0s)"#,
    ),
    (
        r#"rate_counter({app="x"} | unwrap v [5m])"#,
        r#"rate_counter({app="x"} | unwrap v[5m])"#,
    ),
    (
        r#"rate({app="x"} | unwrap rate [5m])"#,
        r#"rate({app="x"} | unwrap rate[5m])"#,
    ),
    (
        r#"stddev_over_time({app="x"} | unwrap v [5m]) by ()"#,
        r#"stddev_over_time({app="x"} | unwrap v[5m]) by ()"#,
    ),
    (
        r#"stdvar_over_time(({app="x"} | unwrap v)[5m] offset 30s)"#,
        r#"stdvar_over_time({app="x"} | unwrap v[5m] offset 30s)"#,
    ),
    (
        r#"min_over_time(({app="x"})[5m] | unwrap v)"#,
        r#"min_over_time({app="x"} | unwrap v[5m])"#,
    ),
    (
        r#"count_over_time((({app="x"})[5m]))"#,
        r#"count_over_time({app="x"}[5m])"#,
    ),
    (
        r#"COUNT_OVER_TIME({app="x"}[60s])"#,
        r#"count_over_time({app="x"}[1m])"#,
    ),
    // Vector aggregations.
    (
        r#"sum(count_over_time({foo="bar"}[5m]))"#,
        r#"sum(count_over_time({foo="bar"}[5m]))"#,
    ),
    (
        r#"sum by (a, b) (rate({foo="bar"}[5m]))"#,
        r#"sum by (a,b)(rate({foo="bar"}[5m]))"#,
    ),
    (
        r#"sum(rate({foo="bar"}[5m])) without (a)"#,
        r#"sum without (a)(rate({foo="bar"}[5m]))"#,
    ),
    (
        r#"avg(rate({foo="bar"}[5m])) by ()"#,
        r#"avg(rate({foo="bar"}[5m]))"#,
    ),
    (
        r#"max without () (rate({foo="bar"}[5m]))"#,
        r#"max without ()(rate({foo="bar"}[5m]))"#,
    ),
    (
        r#"topk(10,sum(rate({region="us-east1"}[5m])) by (name))"#,
        r#"topk(10,sum by (name)(rate({region="us-east1"}[5m])))"#,
    ),
    (
        r#"topk by (name)(10,sum(rate({region="us-east1"}[5m])))"#,
        r#"topk by (name)(10,sum(rate({region="us-east1"}[5m])))"#,
    ),
    (
        r#"bottomk(3, count_over_time({a="b"}[1m])) without (x)"#,
        r#"bottomk without (x)(3,count_over_time({a="b"}[1m]))"#,
    ),
    (
        r#"count(min(stddev(stdvar(rate({a="b"}[1m])))))"#,
        r#"count(min(stddev(stdvar(rate({a="b"}[1m])))))"#,
    ),
    (
        r#"sort(sum by (a) (rate({a="b"}[1m])))"#,
        r#"sort(sum by (a)(rate({a="b"}[1m])))"#,
    ),
    (
        r#"sort_desc(count_over_time({a="b"}[1m]))"#,
        r#"sort_desc(count_over_time({a="b"}[1m]))"#,
    ),
    (r#"sum(5)"#, r#"sum(5)"#),
    // Binary operations and literals.
    (
        r#"sum(rate({a="b"}[5m])) / sum(rate({c="d"}[5m]))"#,
        r#"(sum(rate({a="b"}[5m])) / sum(rate({c="d"}[5m])))"#,
    ),
    (
        r#"rate({a="b"}[1m]) + rate({a="b"}[1m]) * 2"#,
        r#"(rate({a="b"}[1m]) + (rate({a="b"}[1m]) * 2))"#,
    ),
    (
        r#"rate({a="b"}[1m]) - rate({a="c"}[1m]) - rate({a="d"}[1m])"#,
        r#"((rate({a="b"}[1m]) - rate({a="c"}[1m])) - rate({a="d"}[1m]))"#,
    ),
    (
        r#"2 ^ 3 ^ rate({a="b"}[1m])"#,
        r#"(2 ^ (3 ^ rate({a="b"}[1m])))"#,
    ),
    (
        r#"rate({a="b"}[1m]) > bool 1"#,
        r#"(rate({a="b"}[1m]) > bool 1)"#,
    ),
    (
        r#"rate({a="b"}[1m]) % 3 == 0.5"#,
        r#"((rate({a="b"}[1m]) % 3) == 0.5)"#,
    ),
    (
        r#"count_over_time({a="b"}[1m]) or vector(0)"#,
        r#"(count_over_time({a="b"}[1m]) or vector(0.000000))"#,
    ),
    (
        r#"rate({a="b"}[1m]) and rate({c="d"}[1m]) unless rate({e="f"}[1m])"#,
        r#"((rate({a="b"}[1m]) and rate({c="d"}[1m])) unless rate({e="f"}[1m]))"#,
    ),
    (
        r#"rate({a="b"}[1m]) or rate({c="d"}[1m]) and rate({e="f"}[1m])"#,
        r#"(rate({a="b"}[1m]) or (rate({c="d"}[1m]) and rate({e="f"}[1m])))"#,
    ),
    (
        r#"rate({a="b"}[1m]) + on (a, b) rate({c="d"}[1m])"#,
        r#"(rate({a="b"}[1m]) + on (a,b)  rate({c="d"}[1m]))"#,
    ),
    (
        r#"rate({a="b"}[1m]) + ignoring (a) group_left (b, c) rate({c="d"}[1m])"#,
        r#"(rate({a="b"}[1m]) + ignoring (a) group_left (b,c) rate({c="d"}[1m]))"#,
    ),
    (
        r#"sum by (app,machine) (count_over_time({app="foo"}[1m])) > bool on () group_right (app) sum by (app) (count_over_time({app="foo"}[1m]))"#,
        r#"(sum by (app,machine)(count_over_time({app="foo"}[1m])) > bool on () group_right (app) sum by (app)(count_over_time({app="foo"}[1m])))"#,
    ),
    (
        r#"rate({a="b"}[1m]) * on (a) group_left () rate({c="d"}[1m])"#,
        r#"(rate({a="b"}[1m]) * on (a) group_left rate({c="d"}[1m]))"#,
    ),
    (
        r#"rate({a="b"}[1m]) + ignoring () rate({c="d"}[1m])"#,
        r#"(rate({a="b"}[1m]) + rate({c="d"}[1m]))"#,
    ),
    (
        r#"rate({a="b"}[1m]) + ignoring () group_left rate({c="d"}[1m])"#,
        r#"(rate({a="b"}[1m]) + ignoring () group_left rate({c="d"}[1m]))"#,
    ),
    (r#"1 + 1 + 1"#, r#"3"#),
    (r#"1 > 1 > 1"#, r#"0"#),
    (r#"1 > 1 < 1"#, r#"1"#),
    (
        r#"1 > bool 1 > count_over_time({foo="bar"}[1m])"#,
        r#"(0 > count_over_time({foo="bar"}[1m]))"#,
    ),
    (r#"1.6"#, r#"1.6"#),
    (r#"10 / (5/2)"#, r#"4"#),
    (r#"-5"#, r#"-5"#),
    (r#"+5"#, r#"5"#),
    (r#"-2 ^ 2"#, r#"4"#),
    (r#"1000000"#, r#"1e+06"#),
    (r#"0.00001"#, r#"1e-05"#),
    (r#"1/0"#, r#"(0 / 0)"#),
    (r#"2 ^ 1024"#, r#"(2 ^ 1024)"#),
    (
        r#"(count_over_time({job="postgres"}[5m])/2) or vector(2)"#,
        r#"((count_over_time({job="postgres"}[5m]) / 2) or vector(2.000000))"#,
    ),
    (r#"rate({a="b"}[1m]) * -1"#, r#"(rate({a="b"}[1m]) * -1)"#),
    (
        r#"vector(1)+vector(1)"#,
        r#"(vector(1.000000) + vector(1.000000))"#,
    ),
    (r#"vector(0.1234567)"#, r#"vector(0.1234567)"#),
    (r#"vector(123)"#, r#"vector(123.000000)"#),
    // label_replace.
    (
        r#"label_replace(rate({a="b"}[1m]), "dst", "$1", "src", "(.*)")"#,
        r#"label_replace(rate({a="b"}[1m]),"dst","$1","src","(.*)")"#,
    ),
];

fn parse_ok(query: &str) -> Expr {
    parse(query).unwrap_or_else(|e| panic!("{query}\n  does not parse: {e}"))
}

#[test]
fn golden_queries_print_in_canonical_form() {
    assert!(GOLDEN.len() >= 80, "{} golden cases", GOLDEN.len());
    for (query, canonical) in GOLDEN {
        let expr = parse_ok(query);
        assert_eq!(expr.to_string(), *canonical, "printing {query}");
        let again = parse_ok(canonical);
        assert_eq!(
            format!("{again:?}"),
            format!("{expr:?}"),
            "reparsing {canonical}"
        );
        assert_eq!(
            again.to_string(),
            *canonical,
            "canonical form is a fixed point"
        );
    }
}

/// Loki's `Test_SampleExpr_String`: queries whose printed form parses to the same tree.
const LOKI_ROUND_TRIPS: &[&str] = &[
    r#"rate( ( {job="mysql"} |="error" !="timeout" ) [10s] )"#,
    r#"absent_over_time( ( {job="mysql"} |="error" !="timeout" ) [10s] )"#,
    r#"absent_over_time( ( {job="mysql"} |="error" !="timeout" ) [10s] offset 10d )"#,
    r#"vector(123)"#,
    r#"sort(sum by(a) (rate( ( {job="mysql"} |="error" !="timeout" ) [10s] ) ))"#,
    r#"sum without(a) ( rate ( ( {job="mysql"} |="error" !="timeout" ) [10s] ) )"#,
    r#"sum(count_over_time({job="mysql"} | json [5m] offset 10m))"#,
    r#"sum(count_over_time({job="mysql"} | pattern "<foo> bar <buzz>" | json [5m]))"#,
    r#"sum(count_over_time({job="mysql"} | unpack | json [5m]))"#,
    r#"sum(count_over_time({job="mysql"} | regexp "(?P<foo>foo|bar)" [5m] offset 10y))"#,
    r#"avg( rate( ( {job="nginx"} |= "GET" ) [10s] ) ) by (region)"#,
    r#"avg(min_over_time({job="nginx"} |= "GET" | unwrap foo[10s] offset 10m)) by (region)"#,
    r#"sum by (cluster) (count_over_time({job="mysql"}[5m])) / sum by (cluster) (count_over_time({job="postgres"}[5m])) "#,
    "\n\t\tsum by (cluster) (count_over_time({job=\"postgres\"}[5m])) /\n\t\tsum by (cluster) (count_over_time({job=\"postgres\"}[5m])) /\n\t\tsum by (cluster) (count_over_time({job=\"postgres\"}[5m]))\n\t\t",
    r#"stdvar_over_time({app="foo"} |= "bar" | json | latency >= 250ms or ( status_code < 500 and status_code > 200)
        | line_format "blip{{ .foo }}blop {{.status_code}}" | label_format foo=bar,status_code="buzz{{.bar}}" | unwrap foo [5m] offset 10m)"#,
    r#"sum_over_time({namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms|unwrap latency [5m])"#,
    r#"sum by (job) (
            sum_over_time({namespace="tns"} |= "level=error" | json | foo=5 and bar<25ms | unwrap bytes(latency)[5m])
        /
            count_over_time({namespace="tns"} | logfmt | label_format foo=bar[5m])
        )"#,
    r#"sum_over_time({namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms | unwrap latency | __error__!~".*" | foo >5[5m])"#,
    r#"label_replace(
            sum by (job) (
                sum_over_time(
                    {namespace="tns"} |= "level=error" | json | avg=5 and bar<25ms | unwrap duration(latency)  | __error__!~".*" [5m] offset 1h
                )
            /
                count_over_time({namespace="tns"} | logfmt | label_format foo=bar[5m] offset 1h)
            ),
            "foo",
            "$1",
            "service",
            "(.*):.*"
        )
        "#,
    r#"10 / (count_over_time({job="postgres"}[5m])/2)"#,
    r#"{app="foo"} | json response_status="response.status.code", first_param="request.params[0]""#,
    r#"(((
            sum by(typename,pool,commandname,colo)(sum_over_time({_namespace_="appspace", _schema_="appspace-1min", pool=~"r1testlvs", colo=~"slc|lvs|rno", env!~"(pre-production|sandbox)"} | logfmt | status!="0" | ( ( type=~"(?i)^(Error|Exception|Fatal|ERRPAGE|ValidationError)$" or typename=~"(?i)^(Error|Exception|Fatal|ERRPAGE|ValidationError)$" ) or status=~"(?i)^(Error|Exception|Fatal|ERRPAGE|ValidationError)$" ) | commandname=~"(?i).*|UNSET" | unwrap sumcount[5m])) / 60)
                or on ()
                ((sum by(typename,pool,commandname,colo)(sum_over_time({_namespace_="appspace", _schema_="appspace-15min", pool=~"r1testlvs", colo=~"slc|lvs|rno", env!~"(pre-production|sandbox)"} | logfmt | status!="0" | ( ( type=~"(?i)^(Error|Exception|Fatal|ERRPAGE|ValidationError)$" or typename=~"(?i)^(Error|Exception|Fatal|ERRPAGE|ValidationError)$" ) or status=~"(?i)^(Error|Exception|Fatal|ERRPAGE|ValidationError)$" ) | commandname=~"(?i).*|UNSET" | unwrap sumcount[5m])) / 15) / 60))
                or on ()
                ((sum by(typename,pool,commandname,colo) (sum_over_time({_namespace_="appspace", _schema_="appspace-1h", pool=~"r1testlvs", colo=~"slc|lvs|rno", env!~"(pre-production|sandbox)"} | logfmt | status!="0" | ( ( type=~"(?i)^(Error|Exception|Fatal|ERRPAGE|ValidationError)$" or typename=~"(?i)^(Error|Exception|Fatal|ERRPAGE|ValidationError)$" ) or status=~"(?i)^(Error|Exception|Fatal|ERRPAGE|ValidationError)$" ) | commandname=~"(?i).*|UNSET" | unwrap sumcount[5m])) / 60) / 60))"#,
];

#[test]
fn lokis_own_round_trip_queries_round_trip() {
    for query in LOKI_ROUND_TRIPS {
        let expr = parse_ok(query);
        let printed = expr.to_string();
        assert_eq!(parse_ok(&printed), expr, "{query}\n  printed as {printed}");
    }
}

#[test]
fn trees_have_the_expected_shape() {
    use super::{BinaryOp, LabelFilter, SampleExpr, Stage};
    let Expr::Log(log) = parse_ok(r#"{a="b"} | logfmt | x>1 or y>2 , z>3"#) else {
        panic!("a log query")
    };
    assert_eq!(log.stages.len(), 2);
    let Stage::LabelFilter(LabelFilter::Or(left, right)) = &log.stages[1] else {
        panic!("an or at the top: {:?}", log.stages[1])
    };
    assert!(matches!(**left, LabelFilter::Number { .. }));
    assert!(matches!(**right, LabelFilter::And(..)));

    let Expr::Sample(SampleExpr::Binary(bin)) = parse_ok(r#"rate({a="b"}[1m]) - 1 - 2 ^ 3 ^ 2"#)
    else {
        panic!("a binary operation")
    };
    assert_eq!(bin.op, BinaryOp::Sub);
    assert_eq!(
        *bin.rhs,
        SampleExpr::Literal(512.0),
        "2^(3^2), right-associative"
    );
    assert!(matches!(*bin.lhs, SampleExpr::Binary(_)));
}
