//! `fmt.Sprintf` and `strconv.FormatFloat` outputs checked against Go's.

use std::borrow::Cow;

use super::*;
use crate::logql::template::floatfmt::write_go_float;

struct NoLabels;

impl TemplateContext for NoLabels {
    fn label(&self, _: &str) -> Option<&str> {
        None
    }
    fn label_at(&self, _: usize) -> Option<(&str, &str)> {
        None
    }
    fn line(&self) -> Cow<'_, str> {
        Cow::Borrowed("")
    }
    fn timestamp_ns(&self) -> i64 {
        0
    }
}

fn s(text: &str) -> Value<'_> {
    Value::Str(Cow::Borrowed(text))
}

#[track_caller]
fn check(format: &str, args: &[Value<'_>], want: &str) {
    let got = sprintf(format, args, &NoLabels, 1 << 20).unwrap();
    assert_eq!(got, want, "format {format:?}");
}

#[test]
fn integers() {
    let i = Value::Int;
    check(
        "%d|%5d|%-5d|%05d|%+d|% d",
        &[i(42), i(42), i(42), i(-42), i(5), i(5)],
        "42|   42|42   |-0042|+5| 5",
    );
    check(
        "%x %X %#x %x %o %#o %O %b %#b",
        &[
            i(255),
            i(255),
            i(255),
            i(-255),
            i(8),
            i(8),
            i(8),
            i(5),
            i(5),
        ],
        "ff FF 0xff -ff 10 010 0o10 101 0b101",
    );
    check(
        "%c %q %U %#U %c",
        &[i(65), i(65), i(65), i(65), i(0x4E16)],
        "A 'A' U+0041 U+0041 'A' 世",
    );
    check(
        "%.3d|%8.3d|%.0d|%5.0d|",
        &[i(7), i(7), i(0), i(0)],
        "007|     007||     |",
    );
    check(
        "%v %d",
        &[i(i64::MIN), i(i64::MAX)],
        "-9223372036854775808 9223372036854775807",
    );
}

#[test]
fn floats() {
    let f = Value::Float;
    check(
        "%f|%.2f|%8.3f|%-8.3f|%08.3f",
        &[f(1.23456), f(1.23456), f(1.23456), f(1.23456), f(-1.23456)],
        "1.234560|1.23|   1.235|1.235   |-001.235",
    );
    check(
        "%e|%E|%.2e|%g|%.3g|%G",
        &[
            f(1234.5678),
            f(1234.5678),
            f(0.0),
            f(1234.5678),
            f(1234.5678),
            f(1e-7),
        ],
        "1.234568e+03|1.234568E+03|0.00e+00|1234.5678|1.23e+03|1E-07",
    );
    check(
        "%v %v %v %v %v %v",
        &[
            f(0.000001),
            f(100000.0),
            f(1e6),
            f(1234567.0),
            f(1e21),
            f(-0.0),
        ],
        "1e-06 100000 1e+06 1.234567e+06 1e+21 -0",
    );
    check(
        "%.10g %g %v %v",
        &[f(1234567.0), f(0.1), f(123456789.0), f(0.30000000000000004)],
        "1234567 0.1 1.23456789e+08 0.30000000000000004",
    );
    check(
        "%+.1f %.0f %.0f %.0f %.1f",
        &[f(2.0), f(0.5), f(1.5), f(2.5), f(0.25)],
        "+2.0 0 2 2 0.2",
    );
    check(
        "%f|%v|%5.1f|%05.1f|%+f|%+v|% v",
        &[
            f(f64::INFINITY),
            f(f64::NAN),
            f(f64::NAN),
            f(f64::NEG_INFINITY),
            f(f64::NAN),
            f(f64::NAN),
            f(1.0),
        ],
        "+Inf|NaN|  NaN| -Inf|+NaN|NaN| 1",
    );
    check("%d", &[f(1.5)], "%!d(float64=1.5)");
    check(
        "%.3v|%10.4g|",
        &[f(1.23456), f(1.23456)],
        "1.23|     1.235|",
    );
}

#[test]
fn go_float_printing() {
    for (value, want) in [
        (3e6, "3e+06"),
        (3000.0, "3000"),
        (0.003, "0.003"),
        (190.0, "190"),
        (3.8476190476190477, "3.8476190476190477"),
        (1e-5, "1e-05"),
        (1.5e300, "1.5e+300"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (0.0, "0"),
        (-1.25, "-1.25"),
        (f64::NEG_INFINITY, "-Inf"),
    ] {
        let mut out = String::new();
        write_go_float(&mut out, value);
        assert_eq!(out, want, "{value:e}");
    }
}

#[test]
fn strings_and_others() {
    check(
        "%s|%5s|%-5s|%.1s|%.2s",
        &[s("hi"), s("hi"), s("hi"), s("héllo"), s("héllo")],
        "hi|   hi|hi   |h|hé",
    );
    check(
        "%q|%+q|%#q|%x|% x|%#x|%X",
        &[
            s("a\"b\n"),
            s("é"),
            s("raw"),
            s("hi"),
            s("hi"),
            s("hi"),
            s("hi"),
        ],
        "\"a\\\"b\\n\"|\"\\u00e9\"|`raw`|6869|68 69|0x6869|6869",
    );
    check(
        "%t %v %d",
        &[Value::Bool(true), Value::Bool(false), Value::Bool(true)],
        "true false %!d(bool=true)",
    );
    check(
        "%T %T %T %T %T",
        &[
            Value::Int(1),
            Value::Float(1.5),
            s("s"),
            Value::Bool(true),
            Value::Nil,
        ],
        "int float64 string bool <nil>",
    );
    check(
        "%v|%s|%d",
        &[Value::Nil, Value::Nil, s("abc")],
        "<nil>|%!s(<nil>)|%!d(string=abc)",
    );
    check("%z", &[Value::Int(1)], "%!z(int=1)");
    check("%5d", &[s("ab")], "%!d(string=   ab)");
}

#[test]
fn argument_errors_and_indexes() {
    check("%s %s", &[s("a")], "a %!s(MISSING)");
    check(
        "%s",
        &[s("a"), Value::Int(1), s("b")],
        "a%!(EXTRA int=1, string=b)",
    );
    check("100%% %d%%", &[Value::Int(5)], "100% 5%");
    check("abc%", &[], "abc%!(NOVERB)");
    check("%[2]s %[1]s", &[s("a"), s("b")], "b a");
    check("%[3]s", &[s("a")], "%!s(BADINDEX)");
    check("%[2]s", &[s("a"), s("b")], "b");
    check(
        "%*d|%-*d|%*d",
        &[
            Value::Int(5),
            Value::Int(42),
            Value::Int(5),
            Value::Int(42),
            Value::Int(-4),
            Value::Int(1),
        ],
        "   42|42   |1   ",
    );
    check("%*d", &[s("x"), Value::Int(42)], "%!(BADWIDTH)42");
    check("%.*f", &[Value::Int(2), Value::Float(1.23456)], "1.23");
}

#[test]
fn composites_and_limits() {
    let list: Value<'_> =
        Value::List(vec![Value::Float(1.0), s("a").clone_static(), Value::Nil].into());
    check(
        "%v|%s",
        &[list.clone(), list],
        "[1 a <nil>]|[%!s(float64=1) a <nil>]",
    );
    assert!(matches!(
        sprintf("%100d", &[Value::Int(1)], &NoLabels, 10),
        Err(FuncError::TooLarge)
    ));
    check("%1000001d", &[Value::Int(1)], "%!(NOVERB)%!(EXTRA int=1)");
}

trait CloneStatic {
    fn clone_static(&self) -> Value<'static>;
}

impl CloneStatic for Value<'_> {
    fn clone_static(&self) -> Value<'static> {
        match self {
            Value::Str(text) => Value::Str(Cow::Owned(text.to_string())),
            _ => Value::Nil,
        }
    }
}
