//! Tests for the template engine against Loki: its formatter tests (pkg/logql/log/fmt_test.go,
//! v3.x), the examples of its "Template functions" documentation, and a property test that
//! text without actions renders to itself. Syntax and execution details are tested next to
//! the parser and the executor.

use proptest::prelude::*;

use super::test_support::{check, entry, exec_error, parse_error, render, render_with};
use super::*;

#[test]
fn loki_line_formatter_cases() {
    let blip = [("foo", "blip"), ("bar", "blop")];
    check(
        r#"{{.foo | count "abc" }}"#,
        &[("foo", "abc abc abc"), ("bar", "blop")],
        "3",
    );
    check(
        r#"{{.foo | count "a|b|c" }}"#,
        &[("foo", "abc abc abc"), ("bar", "blop")],
        "9",
    );
    check("foo{{.foo}}buzz{{  .bar  }}", &blip, "fooblipbuzzblop");
    check(
        r#"foo{{.foo}}buzz{{ Replace .bar "blop" "bar" -1 }}"#,
        &blip,
        "fooblipbuzzbar",
    );
    check(
        r#"foo{{.foo}}buzz{{ .bar | replace "blop" "bar" }}"#,
        &blip,
        "fooblipbuzzbar",
    );
    check("{{.foo | title }}", &blip, "Blip");
    check(
        "{{.foo | substr 1 3 }} {{ .bar  | trunc 1 }} {{ .bar  | trunc 3 }}",
        &blip,
        "li b blo",
    );
    check(
        r#"{{.foo | trim }} {{ .bar  | trimAll "op" }} {{ .bar  | trimPrefix "b" }} {{ .bar  | trimSuffix "p" }}"#,
        &[("foo", "  blip "), ("bar", "blop")],
        "blip bl lop blo",
    );
    check(
        "{{.foo | lower }} {{ .bar  | upper }}",
        &[("foo", "BLIp"), ("bar", "blop")],
        "blip BLOP",
    );
    check(r#"{{ "foo" | repeat 3 }}"#, &[], "foofoofoo");
    check(r#"{{ "foo\n bar" | indent 4 }}"#, &[], "    foo\n     bar");
    check(r#"{{ "foo" | nindent 2 }}"#, &[], "\n  foo");
}

#[test]
fn loki_predicate_and_regex_cases() {
    let blip = [("foo", "blip"), ("bar", "blop")];
    let blip_upper = [("foo", "BLIp"), ("bar", "blop")];
    check(
        r#"{{ if  .foo | contains "p"}}yes{{end}}-{{ if  .foo | contains "z"}}no{{end}}"#,
        &blip_upper,
        "yes-",
    );
    check(
        r#"{{ if  .foo | hasPrefix "BL" }}yes{{end}}-{{ if  .foo | hasPrefix "p"}}no{{end}}"#,
        &blip_upper,
        "yes-",
    );
    check(
        r#"{{ if  .foo | hasSuffix "Ip" }}yes{{end}}-{{ if  .foo | hasSuffix "pw"}}no{{end}}"#,
        &blip_upper,
        "yes-",
    );
    check(
        r#"{{ regexReplaceAll "(p)" .foo "t" }}"#,
        &blip_upper,
        "BLIt",
    );
    check(
        r#"{{ regexReplaceAllLiteral "(p)" .foo "${1}" }}"#,
        &blip_upper,
        "BLI${1}",
    );
    check(
        "foo {{.foo}}buzz{{  .bar  }}",
        &[("bar", "blop")],
        "foo buzzblop",
    );
    check(
        "foo {{.foo | ToUpper }} buzz{{  .bar  }}",
        &blip,
        "foo BLIP buzzblop",
    );
}

#[test]
fn loki_math_cases() {
    check(
        "{{ add .foo 1 | sub .bar | mul .baz | div .bazz}}",
        &[("foo", "1"), ("bar", "3"), ("baz", "10"), ("bazz", "20")],
        "2",
    );
    check(
        "{{ addf .foo 1.5 | subf .bar 1.5 | mulf .baz | divf .bazz }}",
        &[
            ("foo", "1.5"),
            ("bar", "5"),
            ("baz", "10.5"),
            ("bazz", "20.2"),
        ],
        "3.8476190476190477",
    );
    check(
        "{{ round (addf .foo 1.5 | subf .bar | mulf .baz | divf .bazz) 5 .2}}",
        &[
            ("foo", "1.5"),
            ("bar", "3.5"),
            ("baz", "10.5"),
            ("bazz", "20.4"),
        ],
        "3.88572",
    );
    let numbers = [("foo", "5"), ("bar", "10"), ("baz", "15")];
    check(
        "min is {{ min .foo .bar .baz }} and max is {{ max .foo .bar .baz }}",
        &numbers,
        "min is 5 and max is 15",
    );
    let floats = [("foo", "5.3"), ("bar", "10.5"), ("baz", "15.2")];
    check(
        "minf is {{ minf .foo .bar .baz }} and maxf is {{maxf .foo .bar .baz}}",
        &floats,
        "minf is 5.3 and maxf is 15.2",
    );
    check(
        "ceil is {{ ceil .foo }} and floor is {{floor .foo }}",
        &[("foo", "5.3")],
        "ceil is 6 and floor is 5",
    );
    check("mod is {{ mod .foo 3 }}", &[("foo", "20")], "mod is 2");
    check(
        r#"{{ "2.5" | float64 | int | add 10}}"#,
        &[("foo", "2.5")],
        "12",
    );
}

#[test]
fn loki_date_and_default_cases() {
    check(
        r#"{{ sub (unixEpoch (toDate "2006-01-02" "2021-11-02")) (unixEpoch (toDate "2006-01-02" "2021-11-01")) }}"#,
        &[],
        "86400",
    );
    check(
        r#"{{ date "2006-01-02" (toDate "2006-01-02" "2021-11-02") }}"#,
        &[],
        "2021-11-02",
    );
    check("{{ div (unixEpoch now) (unixEpoch now) }}", &[], "1");
    check(
        r#"{{.foo | default "-" }}{{.bar | default "-"}}{{.unknown | default "-"}}"#,
        &[("foo", "blip"), ("bar", "")],
        "blip--",
    );
    check("{{.foo}}", &[("foo", "bar")], "bar");
    check("{{.foo}}  ", &[("foo", "bar")], "bar  ");
    check("{{.missing}}", &[("foo", "bar")], "");
}

#[test]
fn loki_line_and_timestamp() {
    let mut e = entry(&[("bar", "2")]);
    e.line = "1".to_owned();
    e.ts = 1_656_353_124_120_000_000;
    let run = |source: &str| render_with("line", source, &e).unwrap();
    assert_eq!(run("{{ __line__ }} bar {{ .bar }}"), "1 bar 2");
    assert_eq!(
        run(r#"{{ __timestamp__ | date "2006-01-02" }} bar {{ .bar }}"#),
        "2022-06-27 bar 2"
    );
    assert_eq!(
        run("{{ __timestamp__ | unixEpoch }} bar {{ .bar }}"),
        "1656353124 bar 2"
    );
    assert_eq!(
        run("{{ __timestamp__ }}"),
        "2022-06-27 18:05:24.12 +0000 UTC"
    );
    assert_eq!(
        run(r#"{{ __timestamp__ | date "2006-01-02T15:04:05.00Z-07:00" }}"#),
        "2022-06-27T18:05:24.12Z+00:00"
    );
    assert_eq!(run("{{ __line__ | lower }}"), "1");
}

#[test]
fn loki_conversion_cases() {
    check("{{ .foo | bytes }}", &[("foo", "3 kB")], "3000");
    check("{{ .foo | bytes }}", &[("foo", "3MB")], "3e+06");
    check("{{ .foo | duration }}", &[("foo", "3ms")], "0.003");
    check("{{ .foo | duration_seconds }}", &[("foo", "3m10s")], "190");
    let stamp = [("foo", "2023-03-10T01:32:40.340485723Z")];
    let layout = r#""2006-01-02T15:04:05.999999999Z" "UTC""#;
    check(
        &format!("{{{{ .foo | toDateInZone {layout} | unixEpochMillis }}}}"),
        &stamp,
        "1678411960340",
    );
    check(
        &format!("{{{{ .foo | toDateInZone {layout} | unixEpochNanos }}}}"),
        &stamp,
        "1678411960340485723",
    );
    check(
        "{{ .foo | b64enc }}",
        &[("foo", "i'm a string, encode me!")],
        "aSdtIGEgc3RyaW5nLCBlbmNvZGUgbWUh",
    );
    check(
        "{{ .foo | b64dec }}",
        &[("foo", "aSdtIGEgc3RyaW5nLCBlbmNvZGUgbWUh")],
        "i'm a string, encode me!",
    );
    check("{{ alignLeft 4 .foo }}", &[("foo", "hello")], "hell");
    check("{{ alignRight 4 .foo }}", &[("foo", "hello")], "ello");
    let url = r#"/loki/api/v1/query?query=sum(count_over_time({stream_filter="some_stream",environment="prod", host=~"someec2.*"}"#;
    let encoded = "%2Floki%2Fapi%2Fv1%2Fquery%3Fquery%3Dsum%28count_over_time%28%7Bstream_filter%3D%22some_stream%22%2Cenvironment%3D%22prod%22%2C+host%3D~%22someec2.%2A%22%7D";
    check(
        "{{.foo | urlencode }} {{ urlencode .foo }}",
        &[("foo", url)],
        &format!("{encoded} {encoded}"),
    );
    check(
        "{{.foo | urldecode }} {{ urldecode .foo }}",
        &[("foo", encoded)],
        &format!("{url} {url}"),
    );
}

#[test]
fn loki_label_formatter_cases() {
    let run = |source: &str, labels: &[(&str, &str)]| {
        render_with("label", source, &entry(labels)).unwrap()
    };
    assert_eq!(
        run("{{.foo}} and {{.bar}}", &[("foo", "blip"), ("bar", "blop")]),
        "blip and blop"
    );
    assert_eq!(run("{{div .status 100 }}", &[("status", "200")]), "2");
    assert_eq!(
        run(
            r#"{{.foo | default "-" }} and {{.bar}}"#,
            &[("bar", "blop")]
        ),
        "- and blop"
    );
    assert_eq!(run("{{ __line__ }}", &[]), "test line");
    assert_eq!(
        run(r#"{{ __timestamp__ | date "2006-01-02" }}"#, &[]),
        "2022-08-26"
    );
    assert_eq!(run("{{ __timestamp__ | unixEpoch }}", &[]), "1661518453");
    assert_eq!(run(r#"{{ __line__ | count "test" }}"#, &[]), "1");
    assert_eq!(run(r#"{{ __line__ | count "notmatching.*" }}"#, &[]), "0");
    let unix = |value: &str| run("{{ .bar | unixToTime }}", &[("bar", value)]);
    assert_eq!(unix("19503"), "2023-05-26 00:00:00 +0000 UTC");
    assert_eq!(unix("1679577215"), "2023-03-23 13:13:35 +0000 UTC");
    assert_eq!(unix("1257894000000"), "2009-11-10 23:00:00 +0000 UTC");
    assert_eq!(
        unix("1673798889902000"),
        "2023-01-15 16:08:09.902 +0000 UTC"
    );
    assert_eq!(unix("1000000000000000000"), "2001-09-09 01:46:40 +0000 UTC");
}

#[test]
fn loki_execution_error_messages() {
    let blip = [("foo", "blip"), ("bar", "blop")];
    assert_eq!(
        exec_error(r#"{{.foo Replace "foo"}}"#, &blip),
        r#"template: line:1:2: executing "line" at <.foo>: foo is not a method but has arguments"#
    );
    assert_eq!(
        exec_error("{{.foo | now}}", &blip),
        r#"template: line:1:9: executing "line" at <now>: wrong number of args for now: want 0 got 1"#
    );
    let err = render_with("label", r#"{{replace "test" .foo}}"#, &entry(&blip)).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"template: label:1:2: executing "label" at <replace>: wrong number of args for replace: want 3 got 2"#
    );
    assert!(matches!(err, TemplateError::Execution { .. }));
    for (source, message) in [
        (
            r#"{{ regexReplaceAll "a|b|\\q" .foo "x" }}"#,
            "error calling regexReplaceAll: error parsing regexp",
        ),
        (
            r#"{{ regexReplaceAllLiteral "\\h" .foo "x" }}"#,
            "error calling regexReplaceAllLiteral: error parsing regexp",
        ),
        (
            r#"{{ count "a|b|\\K" .foo }}"#,
            "error calling count: error parsing regexp",
        ),
        ("{{ .foo | unixToTime }}", "unable to parse time 'blip'"),
        (
            "{{ div 1 0 }}",
            "error calling div: runtime error: integer divide by zero",
        ),
        (
            "{{ divf 1 0 }}",
            "error calling divf: decimal division by 0",
        ),
        ("{{ .foo | duration }}", r#"time: invalid duration "blip""#),
        ("{{ .foo | bytes }}", "strconv.ParseFloat"),
        ("{{ urldecode \"%zz\" }}", r#"invalid URL escape "%zz""#),
    ] {
        let err = exec_error(source, &blip);
        assert!(err.contains(message), "{source}: {err}");
    }
    assert!(exec_error("{{ unixToTime \"464\" }}", &[]).contains("unable to parse time '464'"));
}

#[test]
fn documented_math_examples() {
    check("{{ add 3 2 5 }}", &[], "10");
    check("{{ addf 3.5 2 5 }}", &[], "10.5");
    check("{{ ceil 123.001 }}", &[], "124");
    check("{{ div 10 2}}", &[], "5");
    check("{{ divf 10 2 4}}", &[], "1.25");
    check(r#"{{ "3.5" | float64 }}"#, &[], "3.5");
    check("{{ floor 123.9999 }}", &[], "123");
    check(r#"{{ "3" | int }}"#, &[], "3");
    check("{{ max 1 2 3 }}", &[], "3");
    check("{{ maxf 1 2.5 3 }}", &[], "3");
    check("{{ min 1 2 3 }}", &[], "1");
    check("{{ minf 1 2.5 3 }}", &[], "1");
    check("{{ mul 5 2 3}}", &[], "30");
    check("{{ mulf 5.5 2 2.5 }}", &[], "27.5");
    check("{{ mod 10 3}}", &[], "1");
    check("{{ round 123.555555 3 }}", &[], "123.556");
    check("{{ round 123.88571428571 5 .2 }}", &[], "123.88572");
    check("{{ round 123.88571428571 5 }}", &[], "123.88571");
    check("{{ sub 5 2 }}", &[], "3");
    check("{{ subf  5.5 2 1.5 }}", &[], "2");
    check("{{ addf 0.1 0.2 }}", &[], "0.3");
    check("{{ divf 1 3 }}", &[], "0.3333333333333333");
    check(
        r#"{{ add "0x10" "010" "1_000" "12.000" "12." "x" true }}"#,
        &[],
        "1037",
    );
    check(
        "{{ add 9223372036854775807 1 }}",
        &[],
        "-9223372036854775808",
    );
    check(r#"{{ "abc" | float64 }}"#, &[], "0");
}

#[test]
fn documented_string_examples() {
    check(
        r#"{{ .path | replace " " "_" | trunc 5 | upper }}"#,
        &[("path", "a b c d e f")],
        "A_B_C",
    );
    check(r#"{{ alignLeft 5 "hello world"}}"#, &[], "hello");
    check(r#"{{ alignLeft 5 "hi"}}"#, &[], "hi   ");
    check(r#"{{ alignRight 5 "hello world"}}"#, &[], "world");
    check(r#"{{ alignRight 5 "hi"}}"#, &[], "   hi");
    check(r#"{{ default "-" "" }}"#, &[], "-");
    check(r#"{{ default "-" "foo" }}"#, &[], "foo");
    check(r#"{{ lower  "HELLO"}}"#, &[], "hello");
    check(
        "{{ indent 4 .query }}",
        &[("query", "a\nb")],
        "    a\n    b",
    );
    check(
        "{{ nindent 4 .query }}",
        &[("query", "a\nb")],
        "\n    a\n    b",
    );
    check(r#"{{ repeat 3 "hello" }}"#, &[], "hellohellohello");
    check(
        r#"{{ printf "The IP address was %s" .remote_addr }}"#,
        &[("remote_addr", "129.168.1.1")],
        "The IP address was 129.168.1.1",
    );
    check(
        r#"{{ printf "%-40.40s" .request_uri}} {{printf "%-5.5s" .request_method}}"#,
        &[
            ("request_uri", "/id/609259548/hpr.html"),
            ("request_method", "GET"),
        ],
        "/id/609259548/hpr.html                   GET  ",
    );
}

#[test]
fn documented_string_examples_more() {
    check(
        r#"{{ .cluster | replace "-cluster" "" }}"#,
        &[("cluster", "prod-cluster")],
        "prod",
    );
    check(
        r#"{{ replace "hello" "world" "hello world" }}"#,
        &[],
        "world world",
    );
    check(r#"{{ substr 0 5 "hello world"}}"#, &[], "hello");
    check(r#"{{ substr 6 11 "hello world"}}"#, &[], "world");
    check(r#"{{ title "hello world"}}"#, &[], "Hello World");
    check(r#"{{ trim "   hello    " }}"#, &[], "hello");
    check(r#"{{ trimAll "$" "$5.00" }}"#, &[], "5.00");
    check(r#"{{ trimPrefix "-" "-hello" }}"#, &[], "hello");
    check(r#"{{ trimSuffix "-" "hello-" }}"#, &[], "hello");
    check(r#"{{ trunc 5 "hello world"}}"#, &[], "hello");
    check(r#"{{ trunc -5 "hello world"}}"#, &[], "world");
    check(r#"{{ upper  "hello"}}"#, &[], "HELLO");
    check(r#"{{ count "a|b" "abab" }}"#, &[], "4");
    check(r#"{{ count "o" "foo" }}"#, &[], "2");
    check(
        r#"{{ regexReplaceAll "(a*)bc" .some_label "${1}a" }}"#,
        &[("some_label", "aabcxbc")],
        "aaaxa",
    );
    check(
        r#"{{ regexReplaceAllLiteral "(ts=)" .timestamp "timestamp=" }}"#,
        &[("timestamp", "ts=1")],
        "timestamp=1",
    );
    check(
        r#"{{ ToUpper "This is a string" | ToLower }}"#,
        &[],
        "this is a string",
    );
    check(
        r#"{{ TrimSpace "  x " }}|{{ Trim "xxaxx" "x" }}|{{ TrimLeft "xxaxx" "x" }}|{{ TrimRight "xxaxx" "x" }}"#,
        &[],
        "x|a|axx|xxa",
    );
    check(
        r#"{{ TrimPrefix "prefix-x" "prefix-" }}|{{ TrimSuffix "x.log" ".log" }}"#,
        &[],
        "x|x",
    );
    check(r#"{{ Replace "aaaa" "a" "b" 2 }}"#, &[], "bbaa");
}

#[test]
fn rune_based_cutting_matches_loki() {
    let s = [("s", "Hello, 世界")];
    for (n, want) in [
        (-1, "界"),
        (1, "H"),
        (0, ""),
        (20, "Hello, 世界"),
        (-20, "Hello, 世界"),
    ] {
        check(&format!("{{{{ trunc {n} .s }}}}"), &s, want);
    }
    for (n, want) in [
        (-1, "Hello, 世界"),
        (0, ""),
        (1, "H"),
        (8, "Hello, 世"),
        (20, "Hello, 世界           "),
    ] {
        check(&format!("{{{{ alignLeft {n} .s }}}}"), &s, want);
    }
    for (n, want) in [
        (-1, "Hello, 世界"),
        (0, ""),
        (1, "界"),
        (2, "世界"),
        (20, "           Hello, 世界"),
    ] {
        check(&format!("{{{{ alignRight {n} .s }}}}"), &s, want);
    }
    for (start, end, want) in [
        (1, 8, "ello, 世"),
        (-10, 8, "Hello, 世"),
        (1, 10, "ello, 世界"),
        (-1, 10, "Hello, 世界"),
        (-1, 1, "H"),
        (-1, -1, ""),
        (20, -1, ""),
        (1, 1, ""),
        (5, 1, ""),
        (3, -1, "lo, 世界"),
    ] {
        check(&format!("{{{{ substr {start} {end} .s }}}}"), &s, want);
    }
}

#[test]
fn documented_date_examples() {
    check(
        r#"{{ toDate "2006-01-02" "2021-11-02" | unixEpoch }}"#,
        &[],
        "1635811200",
    );
    check(
        r#"{{ .foo | toDate "2006-01-02T15:04:05.999999999Z" | unixEpochNanos }}"#,
        &[("foo", "2021-11-02T10:00:00.5Z")],
        "1635847200500000000",
    );
    check(
        r#"{{ toDateInZone "2006-01-02" "UTC" "2021-11-02" | unixEpochMillis }}"#,
        &[],
        "1635811200000",
    );
    check(
        r#"{{ toDate "2006-01-02" "garbage" }}"#,
        &[],
        "0001-01-01 00:00:00 +0000 UTC",
    );
    check(
        r#"from="{{date "2006-01-02" (unixToTime .from)}}""#,
        &[("from", "1679577215")],
        r#"from="2023-03-23""#,
    );
    check(r#"{{ date "2006-01-02" 86400 }}"#, &[], "1970-01-02");
    let now = render(r#"{{ date "2006" now }}"#, &[]);
    assert!(now.len() == 4 && now.starts_with("20"), "{now}");
    check(
        r#"{{ toDate "2006-01-02 15:04:05 -0700" "2021-11-02 10:00:00 +0200" }}"#,
        &[],
        "2021-11-02 10:00:00 +0200 +0200",
    );
    check(
        r#"{{ toDate "2006-01-02 15:04:05 -0700" "2021-11-02 10:00:00 +0200" | unixEpoch }}"#,
        &[],
        "1635840000",
    );
    check(
        r#"{{ date "15:04" (toDate "2006-01-02 15:04:05 -0700" "2021-11-02 10:00:00 +0200") }}"#,
        &[],
        "08:00",
    );
    check(
        r#"{{ (toDate "2006-01-02" "2021-11-02").Year }} {{ __timestamp__.Unix }} {{ (__timestamp__).Format "15:04" }}"#,
        &[],
        "2021 1661518453 12:54",
    );
}

#[test]
fn unsupported_zone_is_reported() {
    let err = parse_error(r#"{{ toDateInZone "2006-01-02" "Europe/Paris" .x }}"#);
    assert!(matches!(err, TemplateError::Unsupported { .. }), "{err:?}");
    assert!(err.to_string().contains("Europe/Paris"), "{err}");
    let err = exec_error(
        r#"{{ toDateInZone "2006-01-02" .zone .x }}"#,
        &[("zone", "Asia/Tokyo"), ("x", "2021-01-01")],
    );
    assert!(
        err.contains("Asia/Tokyo") && err.contains("not supported"),
        "{err}"
    );
    check(
        r#"{{ toDateInZone "2006-01-02" .zone .x | unixEpoch }}"#,
        &[("zone", "Local"), ("x", "1970-01-02")],
        "86400",
    );
}

#[test]
fn builtin_printing_and_escapers() {
    check(r#"{{ print "a" 1 2 "b" 3.5 }}"#, &[], "a1 2b3.5");
    check(r#"{{ println "a" 1 }}"#, &[], "a 1\n");
    check(
        r#"{{ html "<a href='x'>&\"" }}"#,
        &[],
        "&lt;a href=&#39;x&#39;&gt;&amp;&#34;",
    );
    check(
        r#"{{ js "it's <b> \"x\" =\\" }}"#,
        &[],
        r#"it\'s \u003Cb\u003E \"x\" \u003D\\"#,
    );
    check(r#"{{ urlquery "a b&c" }}"#, &[], "a+b%26c");
    check("{{ .x | html }}", &[("x", "<>")], "&lt;&gt;");
}

#[test]
fn render_errors_leave_output_untouched() {
    let template = Template::parse("ok {{ div 1 0 }}").unwrap();
    let mut out = String::from("before|");
    assert!(template.render(&entry(&[]), &mut out).is_err());
    assert_eq!(out, "before|");
}

#[test]
fn field_names_and_single_field() {
    let names = |source: &str| {
        Template::parse(source)
            .unwrap()
            .field_names()
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(names("{{.foo}} and {{.bar}}"), ["foo", "bar"]);
    assert_eq!(
        names("{{ .foo | ToUpper | .buzz }} and {{.bar}}"),
        ["foo", "buzz", "bar"]
    );
    assert_eq!(
        names(r#"{{ regexReplaceAllLiteral "(p)" .foo "${1}" }}"#),
        ["foo"]
    );
    assert_eq!(
        names(
            r#"{{ if  .foo | hasSuffix "Ip" }} {{.bar}} {{end}}-{{ if  .foo | hasSuffix "pw"}}no{{end}}"#
        ),
        ["foo", "bar"]
    );
    assert_eq!(
        names(r#"{{with .foo}}{{printf "%q" .}} {{else}} {{ .buzz | lower }} {{end}}"#),
        ["foo", "buzz"]
    );
    assert_eq!(
        Template::parse("{{.message}}").unwrap().single_field(),
        Some("message")
    );
    assert_eq!(
        Template::parse("{{ .message }}").unwrap().single_field(),
        Some("message")
    );
    assert_eq!(
        Template::parse("{{.message}} ").unwrap().single_field(),
        None
    );
    assert_eq!(Template::parse("{{.a.b}}").unwrap().single_field(), None);
    assert_eq!(
        Template::parse("{{.a | upper}}").unwrap().single_field(),
        None
    );
}

#[test]
fn template_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
}

proptest! {
    #[test]
    fn text_without_actions_renders_to_itself(text in "(\\PC|[{}\\n\\t ]){0,64}") {
        let mut text = text;
        while text.contains("{{") {
            text = text.replace("{{", "{ {");
        }
        let template = Template::parse(&text).unwrap();
        let mut out = String::new();
        template.render(&entry(&[]), &mut out).unwrap();
        prop_assert_eq!(out, text);
    }

    #[test]
    fn label_values_round_trip_through_a_field(value in "\\PC{0,32}") {
        let e = entry(&[("v", value.as_str())]);
        prop_assert_eq!(render_with("line", "<{{ .v }}>", &e).unwrap(), format!("<{value}>"));
    }
}
