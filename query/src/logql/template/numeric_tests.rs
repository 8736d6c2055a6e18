//! Go/sprig conversions and `time.ParseDuration`.

use std::borrow::Cow;

use super::*;

#[test]
fn cast_conversions() {
    let s = |text: &'static str| Value::Str(Cow::Borrowed(text));
    for (value, want) in [
        (s("42"), 42),
        (s("-0x1F"), -31),
        (s("010"), 8),
        (s("08"), 0),
        (s("12.000"), 12),
        (s("12."), 0),
        (s("2.5"), 0),
        (s(""), 0),
    ] {
        assert_eq!(to_int64(&value), want, "{value:?}");
    }
    assert_eq!(to_int64(&Value::Float(2.9)), 2);
    assert_eq!(to_int64(&Value::Float(-2.9)), -2);
    assert_eq!(to_int64(&Value::Float(f64::NAN)), i64::MIN);
    assert_eq!(to_int64(&Value::Bool(true)), 1);
    assert_eq!(to_int64(&Value::Nil), 0);
    for (value, want) in [
        (s("2.5"), 2.5),
        (s("1e3"), 1000.0),
        (s("1_0.5"), 10.5),
        (s("x"), 0.0),
        (s("1e400"), 0.0),
        (s(".5"), 0.5),
    ] {
        assert_eq!(to_float64(&value), want, "{value:?}");
    }
    assert!(to_float64(&s("-Inf")).is_infinite());
    assert!(to_float64(&s("NaN")).is_nan());
}

#[test]
fn durations() {
    for (text, want) in [
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("-2s", -2.0),
        ("300ms", 0.3),
        ("1\u{b5}s", 1e-6),
        ("1us", 1e-6),
        (".5s", 0.5),
        ("0", 0.0),
        ("+1m1s", 61.0),
        ("2562047h47m16.854775807s", 9_223_372_036.0 + 0.854_775_807),
    ] {
        assert_eq!(duration_seconds(text), Ok(want), "{text}");
    }
    assert_eq!(
        duration_seconds(""),
        Err(r#"time: invalid duration """#.to_owned())
    );
    assert_eq!(
        duration_seconds("1"),
        Err(r#"time: missing unit in duration "1""#.to_owned())
    );
    assert_eq!(
        duration_seconds("1x"),
        Err(r#"time: unknown unit "x" in duration "1x""#.to_owned())
    );
    assert_eq!(
        duration_seconds("."),
        Err(r#"time: invalid duration ".""#.to_owned())
    );
    assert!(duration_seconds("2562048h").is_err());
}

#[test]
fn byte_sizes() {
    for (text, want) in [
        ("3 kB", 3000.0),
        ("3MB", 3e6),
        ("1KiB", 1024.0),
        ("1,024", 1024.0),
        ("5", 5.0),
        ("1.5 gb", 1.5e9),
        ("2 EiB", 2.0 * 1024f64.powi(6)),
    ] {
        assert_eq!(parse_bytes(text), Ok(want), "{text}");
    }
    assert_eq!(
        parse_bytes("3 XB"),
        Err("unhandled size name: xb".to_owned())
    );
    assert!(
        parse_bytes("kB")
            .unwrap_err()
            .starts_with("strconv.ParseFloat")
    );
    assert!(
        parse_bytes("100000 EB")
            .unwrap_err()
            .starts_with("too large")
    );
}

#[test]
fn decimal_math() {
    let f = Value::Float;
    let run = |func: MathFunc, args: &mut [Value<'_>]| match func.call(args) {
        Ok(Value::Float(v)) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(run(MathFunc::Addf, &mut [f(0.1), f(0.2)]), 0.3);
    assert_eq!(run(MathFunc::Subf, &mut [f(0.3), f(0.1)]), 0.2);
    assert_eq!(run(MathFunc::Mulf, &mut [f(1.1), f(1.1)]), 1.21);
    assert_eq!(
        run(MathFunc::Divf, &mut [f(2.0), f(3.0)]),
        0.6666666666666667
    );
    assert_eq!(
        run(MathFunc::Divf, &mut [f(1.0), f(3_000_000.0)]),
        3.333333333e-7
    );
    assert_eq!(
        run(MathFunc::Divf, &mut [f(-1.0), f(6.0)]),
        -0.1666666666666667
    );
    assert_eq!(run(MathFunc::Addf, &mut [f(1e300), f(1e-300)]), 1e300);
    assert_eq!(
        run(MathFunc::Mulf, &mut [f(1e200), f(1e200)]),
        f64::INFINITY
    );
    assert!(
        matches!(MathFunc::Addf.call(&mut [f(f64::NAN)]), Err(FuncError::Failed(m)) if m.contains("NaN"))
    );
    assert!(run(MathFunc::Maxf, &mut [f(1.0), f(f64::NAN)]).is_nan());
    assert!(run(MathFunc::Minf, &mut [f(0.0), f(-0.0)]).is_sign_negative());
}
