//! Go's template builtins (`and or not len index print printf println html js urlquery` and
//! the comparisons `eq ne lt le gt ge`, with Go 1.22 semantics), plus Loki's `__line__` and
//! `__timestamp__` and sprig's `default` and `fromJson`.

use std::cmp::Ordering;

use super::escape::{html_escape, js_escape, query_escape};
use super::funcs::{Env, FuncError, take_str};
use super::gotime::GoTime;
use super::printf::sprintf;
use super::value::{Value, from_json, go_sprint, go_sprintln, is_empty, is_true, label_count};

/// Builtin functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    /// `and` (short-circuit; the executor evaluates it lazily).
    And,
    /// `or` (short-circuit; the executor evaluates it lazily).
    Or,
    /// `not`.
    Not,
    /// `len`.
    Len,
    /// `index`.
    Index,
    /// `print`.
    Print,
    /// `printf`.
    Printf,
    /// `println`.
    Println,
    /// `html`.
    Html,
    /// `js`.
    Js,
    /// `urlquery`.
    UrlQuery,
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `__line__`: the log line.
    Line,
    /// `__timestamp__`: the entry's time.
    Timestamp,
    /// sprig `fromJson`.
    FromJson,
    /// sprig `default`.
    Default,
}

impl Builtin {
    /// Runs the builtin.
    pub(crate) fn call<'a>(
        self,
        args: &mut [Value<'a>],
        env: &Env<'_, 'a>,
    ) -> Result<Value<'a>, FuncError> {
        let ctx = env.ctx;
        Ok(match self {
            Self::And | Self::Or => {
                let want = self == Self::Or;
                let chosen = args.iter().position(|v| is_true(v, ctx) == want);
                let index = chosen.unwrap_or(args.len().saturating_sub(1));
                args.get_mut(index)
                    .map_or(Value::Nil, |v| std::mem::replace(v, Value::Nil))
            }
            Self::Not => Value::Bool(!args.first().is_some_and(|v| is_true(v, ctx))),
            Self::Len => Value::Int(length(args.first().unwrap_or(&Value::Nil), env)?),
            Self::Index => index(args, env)?,
            Self::Print => Value::Str(go_sprint(args, ctx).into()),
            Self::Println => Value::Str(go_sprintln(args, ctx).into()),
            Self::Printf => {
                let (format, rest) = args
                    .split_first()
                    .ok_or_else(|| FuncError::failed("missing format"))?;
                let format = format.as_str().unwrap_or("");
                Value::Str(sprintf(format, rest, ctx, env.max_bytes)?.into())
            }
            Self::Html => Value::Str(html_escape(&escaper_input(args, env)).into()),
            Self::Js => Value::Str(js_escape(&escaper_input(args, env)).into()),
            Self::UrlQuery => Value::Str(query_escape(&escaper_input(args, env)).into()),
            Self::Eq => Value::Bool(equal_any(args)?),
            Self::Ne => Value::Bool(!equal(pair(args)?.0, pair(args)?.1)?),
            Self::Lt => Value::Bool(less(pair(args)?.0, pair(args)?.1)?),
            Self::Le => Value::Bool(less_or_equal(pair(args)?)?),
            Self::Gt => Value::Bool(!less_or_equal(pair(args)?)?),
            Self::Ge => Value::Bool(!less(pair(args)?.0, pair(args)?.1)?),
            Self::Line => Value::Str(ctx.line()),
            Self::Timestamp => Value::Time(GoTime::from_unix_nanos(ctx.timestamp_ns())),
            Self::FromJson => {
                let text = take_str(args, 0)?;
                serde_json::from_str(&text).map_or(Value::Nil, from_json)
            }
            Self::Default => {
                let given = args.get_mut(1).map(|v| std::mem::replace(v, Value::Nil));
                match given {
                    Some(given) if !is_empty(&given, ctx) => given,
                    _ => args
                        .first_mut()
                        .map_or(Value::Nil, |v| std::mem::replace(v, Value::Nil)),
                }
            }
        })
    }
}

/// Go's `evalArgs` for the escapers: a lone string as is, anything else through `Sprint`.
fn escaper_input(args: &[Value<'_>], env: &Env<'_, '_>) -> String {
    match args {
        [Value::Str(s)] => s.to_string(),
        _ => go_sprint(args, env.ctx),
    }
}

fn length(item: &Value<'_>, env: &Env<'_, '_>) -> Result<i64, FuncError> {
    let len = match item {
        Value::Str(s) => s.len(),
        Value::List(items) => items.len(),
        Value::Map(map) => map.len(),
        Value::Labels => label_count(env.ctx),
        Value::Nil => return Err(FuncError::failed("len of nil pointer")),
        other => {
            return Err(FuncError::failed(format!(
                "len of type {}",
                other.type_name()
            )));
        }
    };
    Ok(i64::try_from(len).unwrap_or(i64::MAX))
}

/// Go's `index item i j ...`.
fn index<'a>(args: &mut [Value<'a>], env: &Env<'_, 'a>) -> Result<Value<'a>, FuncError> {
    let Some((item, indexes)) = args.split_first_mut() else {
        return Err(FuncError::failed("missing item to index"));
    };
    let mut current = std::mem::replace(item, Value::Nil);
    for key in indexes.iter() {
        current = index_one(current, key, env)?;
    }
    Ok(current)
}

fn index_one<'a>(
    item: Value<'a>,
    key: &Value<'_>,
    env: &Env<'_, 'a>,
) -> Result<Value<'a>, FuncError> {
    match (&item, key) {
        (Value::Map(map), Value::Str(k)) => Ok(map.get(k.as_ref()).cloned().unwrap_or(Value::Nil)),
        (Value::Labels, Value::Str(k)) => Ok(Value::Str(env.ctx.label(k).unwrap_or("").into())),
        (Value::Map(_) | Value::Labels, other) => Err(FuncError::failed(format!(
            "value has type {}; should be string",
            other.type_name()
        ))),
        (Value::List(items), Value::Int(i)) => {
            let element = usize::try_from(*i).ok().and_then(|i| items.get(i));
            element
                .cloned()
                .ok_or_else(|| FuncError::failed(format!("index out of range: {i}")))
        }
        (Value::Str(s), Value::Int(i)) => {
            let byte = usize::try_from(*i).ok().and_then(|i| s.as_bytes().get(i));
            byte.map(|b| Value::Int(i64::from(*b)))
                .ok_or_else(|| FuncError::failed(format!("index out of range: {i}")))
        }
        (Value::List(_) | Value::Str(_), other) => Err(FuncError::failed(format!(
            "cannot index slice/array with type {}",
            other.type_name()
        ))),
        (Value::Nil, _) => Err(FuncError::failed("index of untyped nil")),
        (other, _) => Err(FuncError::failed(format!(
            "can't index item of type {}",
            other.type_name()
        ))),
    }
}

fn pair<'v, 'a>(args: &'v [Value<'a>]) -> Result<(&'v Value<'a>, &'v Value<'a>), FuncError> {
    match args {
        [a, b] => Ok((a, b)),
        _ => Err(FuncError::failed("missing argument for comparison")),
    }
}

/// Go's comparison classes.
#[derive(PartialEq, Eq)]
enum BasicKind {
    Bool,
    Int,
    Float,
    String,
    Other,
}

fn basic_kind(value: &Value<'_>) -> BasicKind {
    match value {
        Value::Bool(_) => BasicKind::Bool,
        Value::Int(_) => BasicKind::Int,
        Value::Float(_) => BasicKind::Float,
        Value::Str(_) => BasicKind::String,
        _ => BasicKind::Other,
    }
}

const INCOMPATIBLE: &str = "incompatible types for comparison";
const INVALID_TYPE: &str = "invalid type for comparison";

/// `eq arg1 arg2 ...`: whether `arg1` equals any of the others.
fn equal_any(args: &[Value<'_>]) -> Result<bool, FuncError> {
    let Some((first, others)) = args.split_first() else {
        return Err(FuncError::failed("missing argument for comparison"));
    };
    if others.is_empty() {
        return Err(FuncError::failed("missing argument for comparison"));
    }
    for other in others {
        if equal(first, other)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn equal(a: &Value<'_>, b: &Value<'_>) -> Result<bool, FuncError> {
    Ok(match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Nil, _) | (_, Value::Nil) => false,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Time(x), Value::Time(y)) => x == y,
        _ if basic_kind(a) != basic_kind(b) || matches!(a, Value::Time(_)) => {
            return Err(FuncError::failed(INCOMPATIBLE));
        }
        _ => {
            let message = format!("non-comparable type {}", b.type_name());
            return Err(FuncError::failed(message));
        }
    })
}

fn less(a: &Value<'_>, b: &Value<'_>) -> Result<bool, FuncError> {
    let (ka, kb) = (basic_kind(a), basic_kind(b));
    if ka == BasicKind::Other || kb == BasicKind::Other {
        return Err(FuncError::failed(INVALID_TYPE));
    }
    if ka != kb {
        return Err(FuncError::failed(INCOMPATIBLE));
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y) == Some(Ordering::Less),
        (Value::Str(x), Value::Str(y)) => x < y,
        _ => return Err(FuncError::failed(INVALID_TYPE)),
    })
}

fn less_or_equal((a, b): (&Value<'_>, &Value<'_>)) -> Result<bool, FuncError> {
    Ok(less(a, b)? || equal(a, b)?)
}
