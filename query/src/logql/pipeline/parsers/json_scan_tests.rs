use super::*;

fn members(line: &[u8]) -> Result<Vec<(String, Kind, String)>, JsonError> {
    let mut it = Members::open(line, 0, line.len())?;
    let mut out = Vec::new();
    while let Some(m) = it.next(line)? {
        out.push((
            String::from_utf8_lossy(&m.key).into_owned(),
            m.value.kind,
            String::from_utf8_lossy(m.value.text(line)).into_owned(),
        ));
    }
    Ok(out)
}

fn unescaped(raw: &str) -> Result<String, ()> {
    let mut out = Vec::new();
    unescape_into(raw.as_bytes(), &mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn strings_end_at_the_first_unescaped_quote() {
    let line = br#""a\"b" rest"#;
    assert_eq!(string_end(line, 1, line.len()), Some((6, true)));
    let line = br#""a\\" rest"#;
    assert_eq!(string_end(line, 1, line.len()), Some((5, true)));
    let line = br#""plain""#;
    assert_eq!(string_end(line, 1, line.len()), Some((7, false)));
    let line = br#""open\""#;
    assert_eq!(string_end(line, 1, line.len()), None);
}

#[test]
fn blocks_count_their_own_bracket_and_skip_strings() {
    let line = br#"{"a":"}","b":{"c":[1,{]}}}x"#;
    assert_eq!(
        block_end(line, 0, line.len(), b'{', b'}'),
        Some(line.len() - 1)
    );
    let line = b"[[[";
    assert_eq!(block_end(line, 0, line.len(), b'[', b']'), None);
    let line = br#"["]"]"#;
    assert_eq!(block_end(line, 0, line.len(), b'[', b']'), Some(5));
}

#[test]
fn values_are_classified_by_their_first_byte() {
    let kind = |s: &str| value_at(s.as_bytes(), 0, s.len()).map(|v| v.kind);
    assert_eq!(kind(" \"x\""), Ok(Kind::String));
    assert_eq!(kind("-x"), Ok(Kind::Number));
    assert_eq!(kind("12abc,"), Ok(Kind::Number));
    assert_eq!(kind("true"), Ok(Kind::Boolean));
    assert_eq!(kind("null}"), Ok(Kind::Null));
    assert_eq!(kind("[1]"), Ok(Kind::Array));
    assert_eq!(kind("{}"), Ok(Kind::Object));
    assert_eq!(kind("tru"), Err(JsonError::UnknownValueType));
    assert_eq!(kind("nul"), Err(JsonError::UnknownValueType));
    assert_eq!(kind(","), Err(JsonError::UnknownValueType));
    assert_eq!(kind("   "), Err(JsonError::MalformedJson));
    assert_eq!(kind("\"x"), Err(JsonError::MalformedString));
    assert_eq!(kind("[1"), Err(JsonError::MalformedArray));
    assert_eq!(kind("{"), Err(JsonError::MalformedObject));
    let line = br#""a\nb""#;
    let v = value_at(line, 0, line.len()).unwrap();
    assert_eq!(v.text(line), br"a\nb");
    assert_eq!(v.next, line.len());
}

#[test]
fn objects_are_read_member_by_member() {
    assert_eq!(
        members(br#" {"a" : 1, "b\u0041":"x" ,"c":{"d":[]}} trailing"#).unwrap(),
        vec![
            ("a".to_owned(), Kind::Number, "1".to_owned()),
            ("bA".to_owned(), Kind::String, "x".to_owned()),
            ("c".to_owned(), Kind::Object, r#"{"d":[]}"#.to_owned()),
        ]
    );
    assert_eq!(members(b"{}").unwrap(), vec![]);
    assert_eq!(members(b"{ \n}").unwrap(), vec![]);
}

#[test]
fn malformed_objects_fail_with_jsonparsers_errors() {
    let err = |s: &str| members(s.as_bytes()).unwrap_err();
    assert_eq!(err(""), JsonError::MalformedObject);
    assert_eq!(err("text"), JsonError::MalformedObject);
    assert_eq!(err("{"), JsonError::MalformedJson);
    assert_eq!(err("{n}"), JsonError::MalformedObject);
    assert_eq!(err(r#"{"a""#), JsonError::MalformedJson);
    assert_eq!(err(r#"{"a" 1}"#), JsonError::MalformedJson);
    assert_eq!(err(r#"{"a":}"#), JsonError::UnknownValueType);
    assert_eq!(err(r#"{"a":1"#), JsonError::MalformedArray);
    assert_eq!(err(r#"{"a":1,"#), JsonError::MalformedArray);
    assert_eq!(err(r#"{"a":1 "b":2}"#), JsonError::MalformedObject);
    assert_eq!(err(r#"{"a":1,}"#), JsonError::MalformedObject);
    assert_eq!(err(r#"{"a\x":1}"#), JsonError::MalformedStringEscape);
    assert_eq!(err(r#"{"a":"x}"#), JsonError::MalformedString);
    // jsonparser's comma bookkeeping lets white space between `,` and `}` through
    assert_eq!(members(br#"{"a":1, }"#).unwrap().len(), 1);
}

#[test]
fn array_elements_are_found_by_index() {
    let line = br#"[1, "two" ,{"x":[3]}, 4]"#;
    let text = |i| array_element(line, 0, line.len(), i).map(|v| v.text(line).to_vec());
    assert_eq!(text(0), Some(b"1".to_vec()));
    assert_eq!(text(1), Some(b"two".to_vec()));
    assert_eq!(text(2), Some(br#"{"x":[3]}"#.to_vec()));
    assert_eq!(text(3), Some(b"4".to_vec()));
    assert_eq!(text(4), None);
    assert_eq!(array_element(b"[]", 0, 2, 0), None);
    assert_eq!(array_element(b"[1 2]", 0, 5, 1), None);
}

#[test]
fn escapes_decode_as_jsonparser_decodes_them() {
    assert_eq!(unescaped(r#"a\"b\\c\/d"#), Ok("a\"b\\c/d".to_owned()));
    assert_eq!(unescaped(r"\b\f\n\r\t"), Ok("\u{8}\u{c}\n\r\t".to_owned()));
    assert_eq!(unescaped(r"\u00e9\u20AC"), Ok("é€".to_owned()));
    assert_eq!(unescaped(r"\ud83d\ude00"), Ok("😀".to_owned()));
    assert_eq!(unescaped(r"\x"), Err(()));
    assert_eq!(unescaped(r"\u12"), Err(()));
    assert_eq!(unescaped(r"\ud83d"), Err(()));
    assert_eq!(unescaped(r"\ud83d\u0041"), Err(()));
    assert_eq!(unescaped("trailing\\"), Err(()));
    // a low surrogate first combines into something that is no character
    assert_eq!(unescaped(r"\udc00\udfff"), Ok("\u{FFFD}".to_owned()));
    let mut buf = Vec::new();
    let raw = b"no escapes";
    assert_eq!(
        unescape(raw, &mut buf).map(<[u8]>::as_ptr),
        Ok(raw.as_ptr())
    );
}

#[test]
fn error_texts_are_jsonparsers() {
    assert_eq!(
        JsonError::MalformedObject.to_string(),
        "Value looks like object, but can't find closing '}' symbol"
    );
    assert_eq!(
        JsonError::MalformedString.to_string(),
        "Value is string, but can't find closing '\"' symbol"
    );
    assert_eq!(JsonError::MalformedJson.to_string(), "Malformed JSON error");
}
