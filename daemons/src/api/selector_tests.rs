use proptest::prelude::*;

use super::*;

/// The matchers as `name op "value"` text, for compact assertions.
fn show(text: &str) -> Result<Vec<String>, String> {
    parse_selector(text).map(|ms| {
        ms.iter()
            .map(|m| format!("{}{}{:?}", m.name(), m.kind(), m.value()))
            .collect()
    })
}

#[test]
fn metric_names_and_matchers() {
    assert_eq!(show("up"), Ok(vec![r#"__name__="up""#.to_owned()]));
    assert_eq!(
        show(r#"  node:cpu:rate5m { job = "node" , mode!~'idle|iowait', } "#),
        Ok(vec![
            r#"__name__="node:cpu:rate5m""#.to_owned(),
            r#"job="node""#.to_owned(),
            r#"mode!~"idle|iowait""#.to_owned(),
        ])
    );
    assert_eq!(
        show(r#"{__name__=~"up|down",a!="",b=~`x\d`}"#),
        Ok(vec![
            r#"__name__=~"up|down""#.to_owned(),
            r#"a!="""#.to_owned(),
            r#"b=~"x\\d""#.to_owned(),
        ])
    );
    // Keywords are ordinary names here, as in Prometheus's metric-selector grammar.
    assert_eq!(show("sum"), Ok(vec![r#"__name__="sum""#.to_owned()]));
}

#[test]
fn quoted_names_of_prometheus_3() {
    assert_eq!(
        show(r#"{"my.metric", "label.name"="v"}"#),
        Ok(vec![
            r#"__name__="my.metric""#.to_owned(),
            r#"label.name="v""#.to_owned(),
        ])
    );
}

#[test]
fn go_string_escapes() {
    let value = |text: &str| {
        parse_selector(text).map(|ms| ms.get(1).map(|m| m.value().to_owned()).unwrap_or_default())
    };
    assert_eq!(
        value(r#"x{a="\x41\101\u00e9\U0001F600\n\t\"\\"}"#),
        Ok("AAé😀\n\t\"\\".to_owned())
    );
    assert_eq!(value(r#"x{a='it\'s'}"#), Ok("it's".to_owned()));
    assert_eq!(value("x{a=`raw\\n`}"), Ok("raw\\n".to_owned()));
    assert!(value(r#"x{a="\'"}"#).is_err());
    assert!(value(r#"x{a='\"'}"#).is_err());
    assert!(value(r#"x{a="\xff"}"#).is_err(), "invalid UTF-8");
    assert!(value(r#"x{a="\400"}"#).is_err(), "octal above 255");
    assert!(value(r#"x{a="\uD800"}"#).is_err(), "surrogate");
    assert!(value(r#"x{a="\q"}"#).is_err());
}

#[test]
fn errors_name_the_position() {
    assert_eq!(
        show(""),
        Err("1:1: parse error: unexpected end of input".into())
    );
    assert_eq!(
        show("up{"),
        Err("1:4: parse error: unexpected end of input inside braces".into())
    );
    assert_eq!(
        show(r#"up{job="a""#),
        Err("1:11: parse error: unexpected end of input inside braces".into())
    );
    assert_eq!(
        show(r#"up{job="a}"#),
        Err("1:8: parse error: unterminated quoted string".into())
    );
    assert!(show("up{job}").is_err_and(|e| e.starts_with("1:7: parse error: expected a label")));
    assert!(show("up{job=a}").is_err_and(|e| e.contains("quoted label value")));
    assert!(show("up[5m]").is_err_and(|e| e.starts_with("1:3: parse error: unexpected character")));
    assert!(show("rate(up[5m])").is_err());
    assert!(show(r#"up{job=~"("}"#).is_err_and(|e| e.contains("invalid regex")));
    assert_eq!(
        show(r#"up{__name__="down"}"#),
        Err(r#"1:19: parse error: metric name must not be set twice: "up" or "down""#.into())
    );
}

#[test]
fn a_selector_needs_a_non_empty_matcher() {
    for text in ["{}", r#"{a=""}"#, r#"{a=~".*"}"#, r#"{a!~".+"}"#] {
        assert_eq!(
            show(text),
            Err("parse error: vector selector must contain at least one non-empty matcher".into()),
            "{text}"
        );
    }
    assert!(show(r#"{a=~".+"}"#).is_ok());
}

proptest! {
    /// No input makes the parser panic.
    #[test]
    fn arbitrary_text_never_panics(text in "[a-z_:{}=!~\"'`,\\\\ x0-9.+*|()\\n#-]{0,40}") {
        let _ = parse_selector(&text);
    }

    /// Any value written as a Go double-quoted literal reads back unchanged.
    #[test]
    fn quoted_values_round_trip(value in "\\PC{1,20}") {
        let literal = serde_json::Value::String(value.clone()).to_string();
        let parsed = parse_selector(&format!("m{{l={literal}}}"));
        let second = parsed.map(|ms| ms.get(1).map(|m| m.value().to_owned()));
        prop_assert_eq!(second, Ok(Some(value)));
    }
}
