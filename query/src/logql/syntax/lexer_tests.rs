#![allow(clippy::indexing_slicing)] // Tests index the token lists they build.

use super::*;

fn kinds(input: &str) -> Vec<TokenKind> {
    tokenize(input).into_iter().map(|t| t.kind).collect()
}

fn kw(k: Keyword) -> TokenKind {
    TokenKind::Kw(k)
}

fn ident(s: &str) -> TokenKind {
    TokenKind::Ident(s.to_owned())
}

fn string(s: &str) -> TokenKind {
    TokenKind::Str(s.to_owned())
}

fn number(s: &str) -> TokenKind {
    TokenKind::Number(s.to_owned())
}

const MINUTE: i64 = 60_000_000_000;

#[test]
fn selector_and_line_filters() {
    assert_eq!(
        kinds(r#"{app="foo", env!~"p.*"} |= "a" != `b\` |~ "c" !~ "d" |> "e" !> "f""#),
        vec![
            kw(Keyword::LBrace),
            ident("app"),
            kw(Keyword::Eq),
            string("foo"),
            kw(Keyword::Comma),
            ident("env"),
            kw(Keyword::Nre),
            string("p.*"),
            kw(Keyword::RBrace),
            kw(Keyword::PipeExact),
            string("a"),
            kw(Keyword::Neq),
            string("b\\"),
            kw(Keyword::PipeMatch),
            string("c"),
            kw(Keyword::Nre),
            string("d"),
            kw(Keyword::PipePattern),
            string("e"),
            kw(Keyword::Npa),
            string("f"),
            TokenKind::Eof,
        ]
    );
}

#[test]
fn keywords_are_case_insensitive_and_function_words_need_a_call() {
    assert_eq!(
        kinds("SUM BY (x) (Rate({a=\"b\"}[5m]))"),
        vec![
            TokenKind::Func(Function::Vector(VectorOp::Sum)),
            kw(Keyword::By),
            kw(Keyword::LParen),
            ident("x"),
            kw(Keyword::RParen),
            kw(Keyword::LParen),
            TokenKind::Func(Function::Range(RangeOp::Rate)),
            kw(Keyword::LParen),
            kw(Keyword::LBrace),
            ident("a"),
            kw(Keyword::Eq),
            string("b"),
            kw(Keyword::RBrace),
            TokenKind::Range(5 * MINUTE),
            kw(Keyword::RParen),
            kw(Keyword::RParen),
            TokenKind::Eof,
        ]
    );
    assert_eq!(
        kinds("| rate=\"a\" | ip=\"b\" | bytes > 1"),
        vec![
            kw(Keyword::Pipe),
            ident("rate"),
            kw(Keyword::Eq),
            string("a"),
            kw(Keyword::Pipe),
            ident("ip"),
            kw(Keyword::Eq),
            string("b"),
            kw(Keyword::Pipe),
            ident("bytes"),
            kw(Keyword::Gt),
            number("1"),
            TokenKind::Eof,
        ]
    );
    assert_eq!(
        kinds("sum without\n (a)(x) count\tby(b) topk by x"),
        vec![
            TokenKind::Func(Function::Vector(VectorOp::Sum)),
            kw(Keyword::Without),
            kw(Keyword::LParen),
            ident("a"),
            kw(Keyword::RParen),
            kw(Keyword::LParen),
            ident("x"),
            kw(Keyword::RParen),
            TokenKind::Func(Function::Vector(VectorOp::Count)),
            kw(Keyword::By),
            kw(Keyword::LParen),
            ident("b"),
            kw(Keyword::RParen),
            ident("topk"),
            kw(Keyword::By),
            ident("x"),
            TokenKind::Eof,
        ]
    );
    assert_eq!(
        kinds("unwrap bytes(x) | JSON | Logfmt"),
        vec![
            kw(Keyword::Unwrap),
            TokenKind::Func(Function::Conversion(UnwrapConversion::Bytes)),
            kw(Keyword::LParen),
            ident("x"),
            kw(Keyword::RParen),
            kw(Keyword::Pipe),
            kw(Keyword::Json),
            kw(Keyword::Pipe),
            kw(Keyword::Logfmt),
            TokenKind::Eof,
        ]
    );
}

#[test]
fn numbers_durations_and_byte_sizes() {
    assert_eq!(
        kinds("1 1.5 .5 1e3 1_000 5m 1h30m 1.5h 250ms 1d 5µs 10KB 5MiB 2.5KiB 10M 0B"),
        vec![
            number("1"),
            number("1.5"),
            number(".5"),
            number("1e3"),
            number("1_000"),
            TokenKind::Duration(5 * MINUTE),
            TokenKind::Duration(90 * MINUTE),
            TokenKind::Duration(90 * MINUTE),
            TokenKind::Duration(250_000_000),
            TokenKind::Duration(24 * 60 * MINUTE),
            TokenKind::Duration(5_000),
            TokenKind::Bytes(10_000),
            TokenKind::Bytes(5 << 20),
            TokenKind::Bytes(2560),
            TokenKind::Bytes(10_000_000),
            TokenKind::Bytes(0),
            TokenKind::Eof,
        ]
    );
    // `5mb`: the duration `5m`, then the identifier `b` (Loki's lexer tries durations first).
    assert_eq!(
        kinds("5mb 10 KB"),
        vec![
            TokenKind::Duration(5 * MINUTE),
            ident("b"),
            number("10"),
            ident("KB"),
            TokenKind::Eof,
        ]
    );
}

#[test]
fn minus_is_a_flag_a_negative_duration_or_an_operator() {
    assert_eq!(
        kinds("--strict --keep-empty -5m - 5 -1 --x"),
        vec![
            TokenKind::Flag(ParserFlag::Strict),
            TokenKind::Flag(ParserFlag::KeepEmpty),
            TokenKind::Duration(-5 * MINUTE),
            kw(Keyword::Sub),
            number("5"),
            kw(Keyword::Sub),
            number("1"),
            kw(Keyword::Sub),
            kw(Keyword::Sub),
            ident("x"),
            TokenKind::Eof,
        ]
    );
}

#[test]
fn operators_two_characters_first() {
    assert_eq!(
        kinds("== != >= <= > < = =~ + - * / % ^ | ."),
        vec![
            kw(Keyword::CmpEq),
            kw(Keyword::Neq),
            kw(Keyword::Gte),
            kw(Keyword::Lte),
            kw(Keyword::Gt),
            kw(Keyword::Lt),
            kw(Keyword::Eq),
            kw(Keyword::Re),
            kw(Keyword::Add),
            kw(Keyword::Sub),
            kw(Keyword::Mul),
            kw(Keyword::Div),
            kw(Keyword::Mod),
            kw(Keyword::Pow),
            kw(Keyword::Pipe),
            kw(Keyword::Dot),
            TokenKind::Eof,
        ]
    );
    // Characters Loki's lexer does not know are identifiers of their own.
    assert_eq!(
        kinds("@ ! 'a'"),
        vec![ident("@"), ident("!"), ident("'a'"), TokenKind::Eof]
    );
}

#[test]
fn strings_unescape_like_go() {
    assert_eq!(
        kinds(r#""a\"b\\c\n\t\x41\101\u00e9\U0001F642" `raw\n`"#),
        vec![string("a\"b\\c\n\tAAé🙂"), string("raw\\n"), TokenKind::Eof]
    );
    assert_eq!(kinds(r#""\xc3\xa9""#), vec![string("é"), TokenKind::Eof]);
    assert_eq!(
        kinds(r#""\ud800""#),
        vec![string("\u{fffd}"), TokenKind::Eof]
    );
    assert_eq!(
        kinds("`multi\nline`"),
        vec![string("multi\nline"), TokenKind::Eof]
    );
}

#[test]
fn comments_are_skipped() {
    assert_eq!(
        kinds("{a=\"#\"} # |= \"x\"\n| json // rest\n/* block */ |"),
        vec![
            kw(Keyword::LBrace),
            ident("a"),
            kw(Keyword::Eq),
            string("#"),
            kw(Keyword::RBrace),
            kw(Keyword::Pipe),
            kw(Keyword::Json),
            kw(Keyword::Pipe),
            TokenKind::Eof,
        ]
    );
}

fn first_error(input: &str) -> (String, Pos) {
    let token = tokenize(input)
        .into_iter()
        .find(|t| matches!(t.kind, TokenKind::Error(_)))
        .unwrap_or_else(|| panic!("no error in {input:?}"));
    let TokenKind::Error(message) = token.kind else {
        unreachable!()
    };
    (message, token.pos)
}

#[test]
fn errors_carry_lokis_text_and_position() {
    let at = |line, column| Pos { line, column };
    assert_eq!(
        first_error(r#"{a="b"#),
        ("literal not terminated".into(), at(1, 4))
    );
    assert_eq!(
        first_error("{a=\"b\nc\"}"),
        ("literal not terminated".into(), at(1, 4))
    );
    assert_eq!(
        first_error(r#"{a="\q"}"#),
        ("invalid char escape".into(), at(1, 4))
    );
    assert_eq!(
        first_error(r#""\400""#),
        ("invalid syntax".into(), at(1, 1))
    );
    assert_eq!(
        first_error(r#""\xff""#),
        (
            "string literal is not valid UTF-8 once unescaped".into(),
            at(1, 1)
        )
    );
    assert_eq!(
        first_error("`abc"),
        ("literal not terminated".into(), at(1, 1))
    );
    assert_eq!(
        first_error("rate({a=\"b\"}[5minutes])"),
        (
            r#"unknown unit "minutes" in duration "5minutes""#.into(),
            at(0, 13)
        )
    );
    assert_eq!(
        first_error("x[5"),
        ("missing closing ']' in duration".into(), at(0, 2))
    );
    assert_eq!(
        first_error("1e"),
        ("exponent has no digits".into(), at(1, 1))
    );
    assert_eq!(
        first_error("1__0"),
        ("'_' must separate successive digits".into(), at(1, 1))
    );
    assert_eq!(
        first_error("  019"),
        ("invalid digit '9' in octal literal".into(), at(1, 3))
    );
    assert_eq!(
        first_error("a /* b"),
        ("comment not terminated".into(), at(1, 3))
    );
    assert_eq!(
        first_error("a\0"),
        ("invalid character NUL".into(), at(1, 2))
    );
    assert_eq!(
        first_error("'ab'"),
        ("invalid char literal".into(), at(1, 1))
    );
}

#[test]
fn positions_count_characters_and_lines_and_read_ahead_tokens_have_line_zero() {
    let tokens = tokenize("{é=\"x\"}\n  |= \"y\" [5m] 5s json");
    let positions: Vec<(usize, usize)> =
        tokens.iter().map(|t| (t.pos.line, t.pos.column)).collect();
    assert_eq!(
        positions,
        vec![
            (1, 1),
            (1, 2),
            (1, 3),
            (1, 4),
            (1, 7),
            (0, 3),
            (2, 6),
            (0, 10),
            (0, 15),
            (2, 18),
            (2, 22),
        ]
    );
    assert_eq!(tokenize("")[0].pos, Pos { line: 0, column: 0 });
    assert_eq!(tokenize("  ")[0].pos, Pos { line: 1, column: 3 });
    assert_eq!(tokenize("x\n")[1].pos, Pos { line: 2, column: 1 });
    assert_eq!(tokenize("\u{feff}x")[0].pos, Pos { line: 1, column: 2 });
}

#[test]
fn yacc_names_follow_loki() {
    assert_eq!(TokenKind::Eof.yacc_name(), "$end");
    assert_eq!(ident("x").yacc_name(), "IDENTIFIER");
    assert_eq!(kw(Keyword::PipeExact).yacc_name(), "|=");
    assert_eq!(kw(Keyword::By).yacc_name(), "by");
    assert_eq!(
        TokenKind::Func(Function::Range(RangeOp::CountOverTime)).yacc_name(),
        "COUNT_OVER_TIME"
    );
    assert_eq!(
        TokenKind::Func(Function::Conversion(UnwrapConversion::DurationSeconds)).yacc_name(),
        "DURATION_SECONDS_CONV"
    );
    assert_eq!(TokenKind::Func(Function::Ip).yacc_name(), "ip");
    assert_eq!(TokenKind::Range(1).yacc_name(), "RANGE");
}
