//! Parser tests: trim markers, comments, literals, and parse errors with Go's messages and
//! positions.

use super::super::TemplateError;
use super::super::test_support::{check, exec_error, parse_error};

#[test]
fn trim_markers_and_comments() {
    check("{{23 -}} < {{- 45}}", &[], "23<45");
    check("a  \n\t{{- .x -}}  \n b", &[("x", "X")], "aXb");
    check("a {{- 3}}", &[], "a3");
    check("a {{-3}}", &[], "a -3");
    check("a {{ 3 -}}\n\n b", &[], "a 3b");
    check("a {{/* a comment */}} b", &[], "a  b");
    check("a {{- /* a comment */ -}} b", &[], "ab");
    check("{{/* multi\nline */}}x", &[], "x");
    check("}} alone {", &[], "}} alone {");
    assert!(
        parse_error("a {{/* open")
            .to_string()
            .contains("unclosed comment")
    );
    assert!(
        parse_error("{{/* c */ .x}}")
            .to_string()
            .contains("comment ends before closing delimiter")
    );
}

#[test]
fn literals() {
    check(r#"{{ "a\tb\u00e9\x41\101" }}"#, &[], "a\tbéAA");
    check("{{ `raw \\n string` }}", &[], "raw \\n string");
    check(
        "{{ 'a' }} {{ '\\n' }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 017 }} {{ 1_000 }}",
        &[],
        "97 10 31 15 5 15 1000",
    );
    check(
        "{{ 1.5 }} {{ 1e3 }} {{ -2 }} {{ +3 }} {{ .5 }} {{ 1.0 }}",
        &[],
        "1.5 1000 -2 3 0.5 1",
    );
    check("{{ true }} {{ false }}", &[], "true false");
    check("{{ trunc 2.0 \"abc\" }}", &[], "ab");
    assert!(
        parse_error("{{ 1x }}")
            .to_string()
            .contains("bad number syntax")
    );
    assert!(
        parse_error("{{ 99999999999999999999 }}")
            .to_string()
            .contains("integer overflow")
    );
    assert!(
        parse_error(r#"{{ "abc }}"#)
            .to_string()
            .contains("unterminated quoted string")
    );
    assert!(
        parse_error(r#"{{ "a\qb" }}"#)
            .to_string()
            .contains("invalid syntax")
    );
    assert!(matches!(
        parse_error("{{ 1i }}"),
        TemplateError::Unsupported { .. }
    ));
    assert!(exec_error("{{ 18446744073709551615 }}", &[]).contains("overflows int"));
}

#[test]
fn parse_errors_have_positions() {
    let err = parse_error("abc {{ .x | frobnicate }}");
    assert_eq!(
        err.to_string(),
        r#"template: line:1:12: function "frobnicate" not defined"#
    );
    let TemplateError::UnknownFunction { position, function } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (
            position.offset,
            position.line,
            position.column,
            function.as_str()
        ),
        (12, 1, 12, "frobnicate")
    );
    let err = parse_error("line one\nline {{ two");
    assert_eq!(err.to_string(), "template: line:2:5: unclosed action");
    assert!(matches!(
        parse_error("{{ trimLeft \"x\" .a }}"),
        TemplateError::UnknownFunction { .. }
    ));
}

#[test]
fn parse_errors_follow_go() {
    assert!(
        parse_error("{{ end }}")
            .to_string()
            .contains("unexpected {{end}}")
    );
    assert!(
        parse_error("{{ else }}")
            .to_string()
            .contains("unexpected {{else}}")
    );
    assert!(
        parse_error("{{ if .x }}open")
            .to_string()
            .contains("unexpected EOF")
    );
    assert!(
        parse_error("{{ .x | \"lit\" }}")
            .to_string()
            .contains("non executable command in pipeline stage 2")
    );
    assert!(
        parse_error("{{ }}")
            .to_string()
            .contains("missing value for command")
    );
    assert!(
        parse_error("{{ ) }}")
            .to_string()
            .contains("unexpected right paren")
    );
    assert!(
        parse_error("{{ (.x }}")
            .to_string()
            .contains("unclosed left paren")
    );
    assert!(
        parse_error("{{ .x # }}")
            .to_string()
            .contains("unrecognized character in action")
    );
    assert!(
        parse_error("{{ \"s\".field }}")
            .to_string()
            .contains("unexpected . after term")
    );
    assert!(
        parse_error("{{ if }}{{ end }}")
            .to_string()
            .contains("missing value for if")
    );
}

#[test]
fn unsupported_features_are_named() {
    for source in [
        r#"{{ define "x" }}{{ end }}"#,
        r#"{{ template "x" }}"#,
        r#"{{ block "x" . }}{{ end }}"#,
        "{{ call .f }}",
        "{{ slice .a 1 }}",
    ] {
        assert!(
            matches!(parse_error(source), TemplateError::Unsupported { .. }),
            "{source}"
        );
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    check(&format!("{{{{ {deep} }}}}"), &[], "1");
    let too_deep = format!("{{{{ {}1{} }}}}", "(".repeat(101), ")".repeat(101));
    assert!(
        parse_error(&too_deep)
            .to_string()
            .contains("nesting too deep")
    );
    let ifs = format!(
        "{}x{}",
        "{{ if true }}".repeat(101),
        "{{ end }}".repeat(101)
    );
    assert!(parse_error(&ifs).to_string().contains("nesting too deep"));
}
