//! Values flowing through template pipelines, typed like the Go values Loki's templates see:
//! label values are `string`, sprig math returns `int64`/`float64`, time functions return
//! `time.Time`, `fromJson` returns `map[string]interface{}` / `[]interface{}`, and `.` at the
//! top is the label map (`map[string]string`).
//!
//! Strings borrow from the template or the context where they can ([`Cow`]), so a pipeline
//! that only moves label values around allocates nothing.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::TemplateContext;
use super::floatfmt::write_go_float;
use super::gotime::GoTime;

/// A template value.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    /// Go's untyped `nil` (a missing map entry, `fromJson` on bad input).
    Nil,
    /// `bool`.
    Bool(bool),
    /// Any Go integer type (`int`, `int64`).
    Int(i64),
    /// `float64`.
    Float(f64),
    /// `string`.
    Str(Cow<'a, str>),
    /// `time.Time`.
    Time(GoTime),
    /// `[]interface{}` from `fromJson`.
    List(Rc<[Value<'static>]>),
    /// `map[string]interface{}` from `fromJson` (sorted, as Go prints and ranges maps).
    Map(Rc<BTreeMap<String, Value<'static>>>),
    /// The entry's label map (`map[string]string`), read through the context.
    Labels,
}

impl Value<'_> {
    /// Go's name of the value's type, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Self::Nil => "<nil>",
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::Float(_) => "float64",
            Self::Str(_) => "string",
            Self::Time(_) => "time.Time",
            Self::List(_) => "[]interface {}",
            Self::Map(_) => "map[string]interface {}",
            Self::Labels => "map[string]string",
        }
    }

    /// The string, if the value is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The context's labels sorted by name (the order Go prints and ranges a map in).
pub(crate) fn sorted_labels(ctx: &dyn TemplateContext) -> Vec<(&str, &str)> {
    let mut labels: Vec<(&str, &str)> = (0..).map_while(|i| ctx.label_at(i)).collect();
    if !labels.is_sorted_by(|a, b| a.0 <= b.0) {
        labels.sort_by(|a, b| a.0.cmp(b.0));
    }
    labels
}

/// Number of labels in the context.
pub(crate) fn label_count(ctx: &dyn TemplateContext) -> usize {
    (0..).map_while(|i| ctx.label_at(i)).count()
}

/// Go's `template.isTrue`: false, 0, nil and empty strings and collections are false.
pub(crate) fn is_true(value: &Value<'_>, ctx: &dyn TemplateContext) -> bool {
    match value {
        Value::Nil => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Time(_) => true,
        Value::List(l) => !l.is_empty(),
        Value::Map(m) => !m.is_empty(),
        Value::Labels => ctx.label_at(0).is_some(),
    }
}

/// Sprig's `empty`, used by `default`: like `!isTrue` (structs such as times are never empty).
pub(crate) fn is_empty(value: &Value<'_>, ctx: &dyn TemplateContext) -> bool {
    !is_true(value, ctx)
}

/// Writes `value` as Go's `fmt.Print` would (`%v`). A nil prints `<nil>`.
pub(crate) fn write_go_value(out: &mut String, value: &Value<'_>, ctx: &dyn TemplateContext) {
    match value {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            use std::fmt::Write;
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_go_float(out, *f),
        Value::Str(s) => out.push_str(s),
        Value::Time(t) => t.write_string(out),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_go_value(out, item, ctx);
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push_str("map[");
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                write_go_value(out, item, ctx);
            }
            out.push(']');
        }
        Value::Labels => {
            out.push_str("map[");
            for (i, (name, value)) in sorted_labels(ctx).into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(name);
                out.push(':');
                out.push_str(value);
            }
            out.push(']');
        }
    }
}

/// Writes the value of an action the way `text/template` prints it: a nil prints
/// `<no value>`, anything else as `fmt.Print`.
pub(crate) fn write_action_value(out: &mut String, value: &Value<'_>, ctx: &dyn TemplateContext) {
    if let Value::Nil = value {
        out.push_str("<no value>");
    } else {
        write_go_value(out, value, ctx);
    }
}

/// Go's `fmt.Sprint(args...)`: a space between operands when neither is a string.
pub(crate) fn go_sprint(args: &[Value<'_>], ctx: &dyn TemplateContext) -> String {
    let mut out = String::new();
    let mut previous_is_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::Str(_));
        if i > 0 && !is_string && !previous_is_string {
            out.push(' ');
        }
        write_go_value(&mut out, arg, ctx);
        previous_is_string = is_string;
    }
    out
}

/// Go's `fmt.Sprintln(args...)`: spaces between all operands and a final newline.
pub(crate) fn go_sprintln(args: &[Value<'_>], ctx: &dyn TemplateContext) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_go_value(&mut out, arg, ctx);
    }
    out.push('\n');
    out
}

/// Converts a decoded JSON document the way Go's `json.Unmarshal` into `interface{}` does:
/// numbers become `float64`, objects maps, arrays slices, `null` nil.
pub(crate) fn from_json(json: serde_json::Value) -> Value<'static> {
    match json {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::Str(Cow::Owned(s)),
        serde_json::Value::Array(items) => Value::List(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(map) => Value::Map(Rc::new(
            map.into_iter().map(|(k, v)| (k, from_json(v))).collect(),
        )),
    }
}
