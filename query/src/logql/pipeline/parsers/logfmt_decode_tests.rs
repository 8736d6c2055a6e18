use super::*;

/// One decoder step: `Ok((key, value))` for a pair, `Err(error so far)` when none came.
type Step = Result<(String, Option<String>), Option<String>>;

/// Every step of the decoder over `line`.
fn steps(line: &[u8]) -> Vec<Step> {
    let mut decoder = Decoder::new(line);
    let mut out = Vec::new();
    while !decoder.at_end() {
        let before = decoder.pos;
        match decoder.next_pair() {
            Some(pair) => out.push(Ok((
                String::from_utf8_lossy(pair.key).into_owned(),
                pair.value.map(|v| String::from_utf8_lossy(&v).into_owned()),
            ))),
            None => out.push(Err(decoder.error().map(ToString::to_string))),
        }
        assert!(decoder.pos > before, "the decoder must move forward");
    }
    out
}

fn pair(k: &str, v: Option<&str>) -> Step {
    Ok((k.to_owned(), v.map(str::to_owned)))
}

fn error(text: &str) -> Step {
    Err(Some(text.to_owned()))
}

#[test]
fn pairs_in_all_their_forms() {
    assert_eq!(
        steps(br#"at=info  key  empty= quoted="a b" blank="" last=x"#),
        vec![
            pair("at", Some("info")),
            pair("key", None),
            pair("empty", None),
            pair("quoted", Some("a b")),
            pair("blank", None),
            pair("last", Some("x")),
        ]
    );
    assert_eq!(steps(b"  \t\x01 "), vec![Err(None)]);
    assert_eq!(steps(b""), vec![]);
    assert_eq!(
        steps(b"a=\"x\"b=c"),
        vec![pair("a", Some("x")), pair("b", Some("c"))]
    );
    assert_eq!(
        steps("ключ=значение".as_bytes()),
        vec![pair("ключ", Some("значение"))]
    );
}

#[test]
fn quoted_values_are_unquoted() {
    assert_eq!(
        steps(br#"a="foo\nbar\tbaz" b="ba\\r" c="q\"q" d="\u00e9\ud83d\ude00" e="it\'s""#),
        vec![
            pair("a", Some("foo\nbar\tbaz")),
            pair("b", Some(r"ba\r")),
            pair("c", Some("q\"q")),
            pair("d", Some("é😀")),
            pair("e", Some("it's")),
        ]
    );
    assert_eq!(steps(b"a=\"foo\nbar\""), vec![pair("a", Some("foo\nbar"))]);
    assert_eq!(
        steps(br#"a="\ud800x\u12""#),
        vec![error(
            "logfmt syntax error at pos 16 : invalid quoted value"
        )]
    );
    assert_eq!(
        steps(br#"a="\ud800\n""#),
        vec![pair("a", Some("\u{FFFD}\n"))]
    );
    assert_eq!(steps(b"a=\"\\n\xff\""), vec![pair("a", Some("\n\u{FFFD}"))]);
}

#[test]
fn malformed_pairs_report_lokis_positions() {
    assert_eq!(
        steps(b"foobar====wqe=sdad1r"),
        vec![error("logfmt syntax error at pos 8 : unexpected '='")]
    );
    assert_eq!(
        steps(br#"foo="foo bar" =notkey bar=10ms"#),
        vec![
            pair("foo", Some("foo bar")),
            error("logfmt syntax error at pos 15 : unexpected '='"),
            pair("bar", Some("10ms")),
        ]
    );
    assert_eq!(
        steps(br#"foo="foo bar" bu"zz=10ms"#),
        vec![
            pair("foo", Some("foo bar")),
            error("logfmt syntax error at pos 17 : unexpected '\"'"),
        ]
    );
    assert_eq!(
        steps(br#"bar=bu=zz foo="foo bar""#),
        vec![
            error("logfmt syntax error at pos 7 : unexpected '='"),
            pair("foo", Some("foo bar")),
        ]
    );
    assert_eq!(
        steps("foo=\"foo bar\" b\u{FFFD}r=10ms".as_bytes()),
        vec![
            pair("foo", Some("foo bar")),
            error("logfmt syntax error at pos 20 : invalid key"),
        ]
    );
    assert_eq!(
        steps(br#"level="unterminated"#),
        vec![error(
            "logfmt syntax error at pos 20 : unterminated quoted value"
        )]
    );
    assert_eq!(
        steps(b"k\xff a=1"),
        vec![
            error("logfmt syntax error at pos 3 : invalid key"),
            pair("a", Some("1")),
        ]
    );
    assert_eq!(
        steps(b"k\xff"),
        vec![error("logfmt syntax error at pos 3 : invalid key")]
    );
}
