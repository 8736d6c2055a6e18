//! Methods of `time.Time` reachable from templates as fields (`{{ __timestamp__.Unix }}`,
//! `{{ (now).Format "2006" }}`): the integer accessors, `UTC`/`Local`, `String` and `Format`.
//! `Month` and `Weekday`, whose Go results are named types, are not provided.

use std::borrow::Cow;

use super::gotime::GoTime;
use super::layout;
use super::value::Value;

/// Calls method `name` on `time` with `args` (already evaluated).
pub(crate) fn time_method<'a>(
    time: GoTime,
    name: &str,
    args: &[Value<'a>],
) -> Result<Value<'a>, String> {
    let want = |count: usize| {
        if args.len() == count {
            Ok(())
        } else {
            Err(format!(
                "wrong number of args for {name}: want {count} got {}",
                args.len()
            ))
        }
    };
    let civil = time.civil();
    let int = |v: i64| -> Result<Value<'a>, String> {
        want(0)?;
        Ok(Value::Int(v))
    };
    match name {
        "Unix" => int(time.unix()),
        "UnixMilli" => int(time.unix_milli()),
        "UnixMicro" => int(time.unix_micro()),
        "UnixNano" => int(time.unix_nano()),
        "Year" => int(civil.year),
        "YearDay" => int(i64::from(civil.year_day)),
        "Day" => int(i64::from(civil.day)),
        "Hour" => int(i64::from(civil.hour)),
        "Minute" => int(i64::from(civil.minute)),
        "Second" => int(i64::from(civil.second)),
        "Nanosecond" => int(i64::from(time.nanosecond())),
        "UTC" | "Local" => {
            want(0)?;
            Ok(Value::Time(time.to_utc()))
        }
        "String" => {
            want(0)?;
            let mut out = String::new();
            time.write_string(&mut out);
            Ok(Value::Str(Cow::Owned(out)))
        }
        "Format" => {
            want(1)?;
            let layout_text = args.first().and_then(Value::as_str).unwrap_or("");
            let mut out = String::new();
            layout::format(&mut out, layout_text, &time);
            Ok(Value::Str(Cow::Owned(out)))
        }
        _ => Err(format!("can't evaluate field {name} in type time.Time")),
    }
}
