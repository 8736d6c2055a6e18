//! Executor tests: conditions, pipelines, variables, range, execution errors and limits.

use super::super::test_support::{check, entry, exec_error, parse_error, render_with};
use super::super::{LimitKind, RenderLimits, Template, TemplateError};

#[test]
fn logical_functions_and_conditions() {
    check(
        r#"{{ if and (contains "he" "hello") (contains "llo" "hello") }} yes {{end}}"#,
        &[],
        " yes ",
    );
    check(
        r#"{{ if or (contains "he" "hello") (contains "x" "hello") }} yes {{end}}"#,
        &[],
        " yes ",
    );
    let timeout = r#"{{ if contains "ErrTimeout" .err }} timeout {{else if contains "he" "hello"}} yes {{else}} no {{end}}"#;
    check(timeout, &[("err", "ErrTimeout")], " timeout ");
    check(timeout, &[("err", "x")], " yes ");
    check(
        r#"{{ if eq "ErrTimeout" .err }} timeout {{end}}"#,
        &[("err", "ErrTimeout")],
        " timeout ",
    );
    check(r#"{{ if eq "hello" "hello" }} yes {{end}}"#, &[], " yes ");
    check(
        r#"{{ if eq .x "a" "b" "c" }}in{{else}}out{{end}}"#,
        &[("x", "c")],
        "in",
    );
    check(
        r#"{{ if hasSuffix "Timeout" .err }} timeout {{end}}"#,
        &[("err", "ErrTimeout")],
        " timeout ",
    );
    check(
        "{{ and 1 0 2 }}|{{ or 0 \"\" 3 }}|{{ or 0 \"\" }}|{{ not .x }}|{{ not .missing }}",
        &[("x", "1")],
        "0|3||false|true",
    );
    check("{{ and .missing (div 1 0) }}", &[], "");
    check("{{ or 1 (div 1 0) }}", &[], "1");
    check(
        "{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }} {{ ne .a \"x\" }}",
        &[("a", "x")],
        "true true true false false",
    );
}

#[test]
fn control_structures() {
    check(
        "{{ if .level }}{{ .level }}{{ else if .severity }}{{ .severity }}{{ else }}none{{ end }}",
        &[("severity", "warn")],
        "warn",
    );
    check(
        "{{ with .x }}[{{ . }}]{{ else with .y }}({{ . }}){{ else }}-{{ end }}",
        &[("y", "b")],
        "(b)",
    );
    check("{{ with .x }}[{{ . }}]{{ end }}", &[("x", "a")], "[a]");
    let err = exec_error(
        r#"{{ if eq .status 200 }}ok{{ end }}"#,
        &[("status", "200")],
    );
    assert!(
        err.ends_with("error calling eq: incompatible types for comparison"),
        "{err}"
    );
    let err = exec_error("{{ lt true false }}", &[]);
    assert!(err.ends_with("invalid type for comparison"), "{err}");
}

#[test]
fn nested_pipelines_and_parentheses() {
    let ab = [("a", "x"), ("b", "y")];
    check(r#"{{ (printf "%s-%s" .a .b) | upper }}"#, &ab, "X-Y");
    check(r#"{{ .a | printf "%s!" | upper | repeat 2 }}"#, &ab, "X!X!");
    check(
        r#"{{ printf "%s" (upper (printf "%s%s" .a (lower (upper .b)))) }}"#,
        &ab,
        "XY",
    );
    check(
        "{{ add (add 1 (add 2 3)) (mul 2 (sub 10 (div 9 3))) }}",
        &[],
        "20",
    );
    check(
        r#"{{ (fromJson .j).a.b }}"#,
        &[("j", r#"{"a":{"b":"deep"}}"#)],
        "deep",
    );
}

#[test]
fn variables_and_range() {
    check(
        "{{ $x := .a }}{{ $x }}-{{ $x = \"b\" }}{{ $x }}",
        &[("a", "a")],
        "a-b",
    );
    check(
        "{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}",
        &[("z", "1"), ("a", "2")],
        "a=2;z=1;",
    );
    check(
        "{{ range . }}{{ . }},{{ end }}",
        &[("b", "2"), ("a", "1")],
        "1,2,",
    );
    check("{{ range 3 }}{{ . }}{{ end }}", &[], "012");
    check(
        "{{ range $i := 5 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ $i }}{{ end }}",
        &[],
        "02",
    );
    check(
        r#"{{ range fromJson "[]" }}x{{ else }}empty{{ end }}"#,
        &[],
        "empty",
    );
    check(
        r#"{{ range fromJson "bad" }}x{{ else }}empty{{ end }}"#,
        &[],
        "empty",
    );
    assert!(
        exec_error("{{ range .missing }}x{{ end }}", &[]).ends_with("range can't iterate over ")
    );
    check(
        "{{ range $x := . }}{{ $.a }}{{ end }}",
        &[("a", "A"), ("b", "B")],
        "AA",
    );
}

#[test]
fn range_over_json() {
    let queries = r#"[{"query":"up"},{"query":"rate(x[5m])"}]"#;
    check(
        r#"{{ range $q := fromJson .queries }} {{ $q.query }} {{ end }}"#,
        &[("queries", queries)],
        " up  rate(x[5m]) ",
    );
    check(
        r#"{{ range $i, $q := fromJson .queries }}{{ $i }}:{{ .query }} {{ end }}"#,
        &[("queries", queries)],
        "0:up 1:rate(x[5m]) ",
    );
    check(r#"{{fromJson "{\"foo\": 55}"}}"#, &[], "map[foo:55]");
    check(
        r#"{{ fromJson "[1, \"a\", null, true, 1e21]" }}"#,
        &[],
        "[1 a <nil> true 1e+21]",
    );
    check(r#"{{ fromJson "not json" }}"#, &[], "<no value>");
    check(r#"{{ (fromJson "{}").missing }}"#, &[], "<no value>");
}

#[test]
fn variable_scoping_and_maps() {
    check("{{ if $x := .a }}{{ $x }}{{ end }}", &[("a", "v")], "v");
    check("{{ . }}", &[("b", "2"), ("a", "1")], "map[a:1 b:2]");
    check(
        "{{ len . }} {{ len .a }} {{ index . \"a\" }} {{ index .a 0 }}",
        &[("a", "xyz")],
        "1 3 xyz 120",
    );
    assert!(
        parse_error("{{ $y }}")
            .to_string()
            .contains(r#"undefined variable "$y""#)
    );
    assert!(
        parse_error("{{ if true }}{{ $z := 1 }}{{ end }}{{ $z }}")
            .to_string()
            .contains("undefined variable")
    );
    assert!(
        parse_error("{{ break }}")
            .to_string()
            .contains("{{break}} outside {{range}}")
    );
    assert!(
        exec_error("{{ range $i, $e := 3 }}{{ end }}", &[])
            .contains("can't use 3 to iterate over more than one variable")
    );
    assert!(exec_error("{{ range true }}{{ end }}", &[]).contains("range can't iterate over true"));
}

#[test]
fn execution_errors_have_positions() {
    let err = render_with("line", "x\n  {{ trunc \"5\" .a }}", &entry(&[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"template: line:2:11: executing "line" at <"5">: expected integer; found "5""#
    );
    assert!(
        exec_error("{{ .a | trunc 2 | unixEpoch }}", &[("a", "x")])
            .contains("wrong type for value; expected time.Time; got string")
    );
    assert!(
        exec_error("{{ .a.b }}", &[("a", "x")]).contains("can't evaluate field b in type string")
    );
    assert!(exec_error("{{ 1 2 }}", &[]).contains("can't give argument to non-function 1"));
    assert!(exec_error("{{ nil }}", &[]).contains("nil is not a command"));
    assert!(exec_error("{{ upper nil }}", &[]).contains("cannot assign nil to string"));
    assert!(
        exec_error("{{ add }}{{ printf }}", &[])
            .contains("wrong number of args for printf: want at least 1 got 0")
    );
    let long = exec_error(
        "{{ upper (fromJson \"{}\").aVeryLongFieldNameIndeed }}",
        &[],
    );
    assert!(long.contains("at <(fromJson \"{}\").aVer...>"), "{long}");
}

#[test]
fn limits_bound_hostile_templates() {
    let limits = RenderLimits {
        max_output_bytes: 1000,
        max_steps: 10_000,
    };
    let run = |source: &str| {
        let template = Template::parse(source).unwrap().with_limits(limits);
        let mut out = String::new();
        template.render(&entry(&[]), &mut out).map(|()| out)
    };
    assert_eq!(run(r#"{{ repeat 10 "x" }}"#).unwrap().len(), 10);
    for source in [
        r#"{{ repeat 1001 "x" }}"#,
        r#"{{ repeat 1000000 (repeat 1000000 "xx") }}"#,
        r#"{{ repeat 9223372036854775807 "xy" }}"#,
        r#"{{ indent 2000 "x" }}"#,
        r#"{{ alignLeft 5000 "x" }}"#,
        r#"{{ printf "%999999d" 1 }}"#,
        r#"{{ replace "" (repeat 900 "y") (repeat 900 "x") }}"#,
        r#"{{ regexReplaceAll "" (repeat 900 "x") "ab" }}"#,
        r#"{{ range 600 }}xx{{ end }}"#,
    ] {
        let err = run(source).unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::Limit {
                    limit: LimitKind::OutputBytes(1000),
                    ..
                }
            ),
            "{source}: {err}"
        );
    }
    let err = run("{{ range 1000000000 }}{{ end }}").unwrap_err();
    assert!(
        matches!(
            err,
            TemplateError::Limit {
                limit: LimitKind::Steps(10_000),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        run(r#"{{ repeat -1 "x" }}"#)
            .unwrap_err()
            .to_string()
            .contains("negative Repeat count")
    );
}
