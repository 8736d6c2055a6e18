//! The function table: every name a Loki template may call, with its Go signature, and the
//! dispatch to the implementations.
//!
//! The set is exactly what Loki (v3.x, `pkg/logql/log/fmt.go`) registers: Go's template
//! builtins, Loki's own functions, and the sprig functions it imports. Any other name is a
//! parse error (`function "x" not defined`), as in Loki; the builtins `call` and `slice` are a
//! parse error naming them as unsupported.

use std::borrow::Cow;

use super::TemplateContext;
use super::ast::PreparedRegex;
use super::builtins::Builtin;
use super::gotime::GoTime;
use super::numeric::MathFunc;
use super::strings::StrFunc;
use super::timefuncs::TimeFunc;
use super::value::Value;

/// Parameter types, as far as Go's argument checks distinguish them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `interface{}`: anything.
    Any,
    /// `string`.
    Str,
    /// `int` / `int64`.
    Int,
    /// `float64`.
    Float,
    /// `time.Time`.
    Time,
}

impl Kind {
    /// Go's spelling of the type.
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Self::Any => "interface {}",
            Self::Str => "string",
            Self::Int => "int",
            Self::Float => "float64",
            Self::Time => "time.Time",
        }
    }
}

/// Implementations, grouped by module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    /// Go builtins and Loki's line/timestamp accessors.
    Builtin(Builtin),
    /// String functions.
    Str(StrFunc),
    /// Numeric functions.
    Math(MathFunc),
    /// Date and time functions.
    Time(TimeFunc),
}

/// A callable name and its signature.
#[derive(Debug)]
pub(crate) struct FuncInfo {
    /// Name as written in templates.
    pub(crate) name: &'static str,
    /// Implementation.
    pub(crate) func: Func,
    /// Types of the fixed parameters.
    pub(crate) fixed: &'static [Kind],
    /// Type of the variadic tail, if any.
    pub(crate) variadic: Option<Kind>,
}

impl FuncInfo {
    /// Type of the `index`-th argument.
    pub(crate) fn param(&self, index: usize) -> Kind {
        self.fixed
            .get(index)
            .copied()
            .or(self.variadic)
            .unwrap_or(Kind::Any)
    }

    /// Whether this function takes a regex as its first argument.
    pub(crate) fn takes_regex(&self) -> bool {
        matches!(
            self.func,
            Func::Str(StrFunc::Count | StrFunc::RegexReplaceAll | StrFunc::RegexReplaceAllLiteral)
        )
    }
}

/// Result of looking a name up.
pub(crate) enum Lookup {
    /// A known function.
    Found(&'static FuncInfo),
    /// A Go builtin this implementation does not provide.
    Unsupported,
    /// Not a function.
    Unknown,
}

/// Finds a function by name.
pub(crate) fn lookup(name: &str) -> Lookup {
    if let Some(info) = FUNCS.iter().find(|info| info.name == name) {
        return Lookup::Found(info);
    }
    if matches!(name, "call" | "slice") {
        return Lookup::Unsupported;
    }
    Lookup::Unknown
}

/// Why a call failed.
#[derive(Debug)]
pub(crate) enum FuncError {
    /// The function returned an error (Go: `error calling NAME: MESSAGE`).
    Failed(String),
    /// The result would exceed the size limit.
    TooLarge,
}

impl FuncError {
    /// A failure with a message.
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }
}

/// What a call may read besides its arguments.
pub(crate) struct Env<'e, 'a> {
    /// The entry being rendered.
    pub(crate) ctx: &'a dyn TemplateContext,
    /// Largest string a function may build.
    pub(crate) max_bytes: usize,
    /// The regex compiled at parse time for this call, if its pattern is a literal.
    pub(crate) regex: Option<&'e PreparedRegex>,
}

impl Env<'_, '_> {
    /// Fails when a result of `size` bytes would exceed the limit.
    pub(crate) fn check_size(&self, size: usize) -> Result<(), FuncError> {
        if size > self.max_bytes {
            return Err(FuncError::TooLarge);
        }
        Ok(())
    }
}

/// Calls `info` with arguments already converted to its parameter types.
pub(crate) fn call<'a>(
    info: &FuncInfo,
    args: &mut [Value<'a>],
    env: &Env<'_, 'a>,
) -> Result<Value<'a>, FuncError> {
    match info.func {
        Func::Builtin(f) => f.call(args, env),
        Func::Str(f) => f.call(args, env),
        Func::Math(f) => f.call(args),
        Func::Time(f) => f.call(args, env),
    }
}

/// Takes the string argument at `index` out of `args`.
pub(crate) fn take_str<'a>(
    args: &mut [Value<'a>],
    index: usize,
) -> Result<Cow<'a, str>, FuncError> {
    match args
        .get_mut(index)
        .map(|v| std::mem::replace(v, Value::Nil))
    {
        Some(Value::Str(s)) => Ok(s),
        other => Err(internal(index, "string", other)),
    }
}

/// The string argument at `index`, borrowed.
pub(crate) fn str_arg<'v>(args: &'v [Value<'_>], index: usize) -> Result<&'v str, FuncError> {
    match args.get(index) {
        Some(Value::Str(s)) => Ok(s),
        other => Err(internal(index, "string", other.cloned())),
    }
}

/// The integer argument at `index`.
pub(crate) fn int_arg(args: &[Value<'_>], index: usize) -> Result<i64, FuncError> {
    match args.get(index) {
        Some(Value::Int(i)) => Ok(*i),
        other => Err(internal(index, "int", other.cloned())),
    }
}

/// The float argument at `index`.
pub(crate) fn float_arg(args: &[Value<'_>], index: usize) -> Result<f64, FuncError> {
    match args.get(index) {
        Some(Value::Float(f)) => Ok(*f),
        Some(Value::Int(i)) => Ok(*i as f64),
        other => Err(internal(index, "float64", other.cloned())),
    }
}

/// The time argument at `index`.
pub(crate) fn time_arg(args: &[Value<'_>], index: usize) -> Result<GoTime, FuncError> {
    match args.get(index) {
        Some(Value::Time(t)) => Ok(*t),
        other => Err(internal(index, "time.Time", other.cloned())),
    }
}

/// Argument conversion is done by the executor; reaching this means a signature in the table
/// disagrees with its implementation.
fn internal(index: usize, expected: &str, got: Option<Value<'_>>) -> FuncError {
    let got = got.map_or("nothing", |v| v.type_name());
    FuncError::failed(format!(
        "internal error: argument {index} should be {expected}, got {got}"
    ))
}

use Kind::{Any, Float, Int, Str, Time};

const fn entry(
    name: &'static str,
    func: Func,
    fixed: &'static [Kind],
    variadic: Option<Kind>,
) -> FuncInfo {
    FuncInfo {
        name,
        func,
        fixed,
        variadic,
    }
}

const fn builtin(
    name: &'static str,
    f: Builtin,
    fixed: &'static [Kind],
    variadic: Option<Kind>,
) -> FuncInfo {
    entry(name, Func::Builtin(f), fixed, variadic)
}

const fn string(name: &'static str, f: StrFunc, fixed: &'static [Kind]) -> FuncInfo {
    entry(name, Func::Str(f), fixed, None)
}

const fn math(
    name: &'static str,
    f: MathFunc,
    fixed: &'static [Kind],
    variadic: Option<Kind>,
) -> FuncInfo {
    entry(name, Func::Math(f), fixed, variadic)
}

const fn time(name: &'static str, f: TimeFunc, fixed: &'static [Kind]) -> FuncInfo {
    entry(name, Func::Time(f), fixed, None)
}

/// Every function, with Go's signatures (sprig v3 and Loki v3 `fmt.go`).
static FUNCS: &[FuncInfo] = &[
    // Go text/template builtins.
    builtin("and", Builtin::And, &[Any], Some(Any)),
    builtin("or", Builtin::Or, &[Any], Some(Any)),
    builtin("not", Builtin::Not, &[Any], None),
    builtin("len", Builtin::Len, &[Any], None),
    builtin("index", Builtin::Index, &[Any], Some(Any)),
    builtin("print", Builtin::Print, &[], Some(Any)),
    builtin("printf", Builtin::Printf, &[Str], Some(Any)),
    builtin("println", Builtin::Println, &[], Some(Any)),
    builtin("html", Builtin::Html, &[], Some(Any)),
    builtin("js", Builtin::Js, &[], Some(Any)),
    builtin("urlquery", Builtin::UrlQuery, &[], Some(Any)),
    builtin("eq", Builtin::Eq, &[Any], Some(Any)),
    builtin("ne", Builtin::Ne, &[Any, Any], None),
    builtin("lt", Builtin::Lt, &[Any, Any], None),
    builtin("le", Builtin::Le, &[Any, Any], None),
    builtin("gt", Builtin::Gt, &[Any, Any], None),
    builtin("ge", Builtin::Ge, &[Any, Any], None),
    // Loki.
    builtin("__line__", Builtin::Line, &[], None),
    builtin("__timestamp__", Builtin::Timestamp, &[], None),
    string("ToLower", StrFunc::Lower, &[Str]),
    string("ToUpper", StrFunc::Upper, &[Str]),
    string("Replace", StrFunc::GoReplace, &[Str, Str, Str, Int]),
    string("Trim", StrFunc::GoTrim, &[Str, Str]),
    string("TrimLeft", StrFunc::GoTrimLeft, &[Str, Str]),
    string("TrimRight", StrFunc::GoTrimRight, &[Str, Str]),
    string("TrimPrefix", StrFunc::GoTrimPrefix, &[Str, Str]),
    string("TrimSuffix", StrFunc::GoTrimSuffix, &[Str, Str]),
    string("TrimSpace", StrFunc::TrimSpace, &[Str]),
    string(
        "regexReplaceAll",
        StrFunc::RegexReplaceAll,
        &[Str, Str, Str],
    ),
    string(
        "regexReplaceAllLiteral",
        StrFunc::RegexReplaceAllLiteral,
        &[Str, Str, Str],
    ),
    string("count", StrFunc::Count, &[Str, Str]),
    string("urldecode", StrFunc::UrlDecode, &[Str]),
    string("urlencode", StrFunc::UrlEncode, &[Str]),
    math("bytes", MathFunc::Bytes, &[Str], None),
    math("duration", MathFunc::Duration, &[Str], None),
    math("duration_seconds", MathFunc::Duration, &[Str], None),
    time("unixEpochMillis", TimeFunc::UnixEpochMillis, &[Time]),
    time("unixEpochNanos", TimeFunc::UnixEpochNanos, &[Time]),
    time("toDateInZone", TimeFunc::ToDateInZone, &[Str, Str, Str]),
    time("unixToTime", TimeFunc::UnixToTime, &[Str]),
    string("alignLeft", StrFunc::AlignLeft, &[Int, Str]),
    string("alignRight", StrFunc::AlignRight, &[Int, Str]),
    // Sprig.
    string("b64enc", StrFunc::B64Enc, &[Str]),
    string("b64dec", StrFunc::B64Dec, &[Str]),
    string("lower", StrFunc::Lower, &[Str]),
    string("upper", StrFunc::Upper, &[Str]),
    string("title", StrFunc::Title, &[Str]),
    string("trunc", StrFunc::Trunc, &[Int, Str]),
    string("substr", StrFunc::Substr, &[Int, Int, Str]),
    string("contains", StrFunc::Contains, &[Str, Str]),
    string("hasPrefix", StrFunc::HasPrefix, &[Str, Str]),
    string("hasSuffix", StrFunc::HasSuffix, &[Str, Str]),
    string("indent", StrFunc::Indent, &[Int, Str]),
    string("nindent", StrFunc::Nindent, &[Int, Str]),
    string("replace", StrFunc::Replace, &[Str, Str, Str]),
    string("repeat", StrFunc::Repeat, &[Int, Str]),
    string("trim", StrFunc::TrimSpace, &[Str]),
    string("trimAll", StrFunc::TrimAll, &[Str, Str]),
    string("trimSuffix", StrFunc::TrimSuffix, &[Str, Str]),
    string("trimPrefix", StrFunc::TrimPrefix, &[Str, Str]),
    math("int", MathFunc::Int, &[Any], None),
    math("float64", MathFunc::Float64, &[Any], None),
    math("add", MathFunc::Add, &[], Some(Any)),
    math("sub", MathFunc::Sub, &[Any, Any], None),
    math("mul", MathFunc::Mul, &[Any], Some(Any)),
    math("div", MathFunc::Div, &[Any, Any], None),
    math("mod", MathFunc::Mod, &[Any, Any], None),
    math("addf", MathFunc::Addf, &[], Some(Any)),
    math("subf", MathFunc::Subf, &[Any], Some(Any)),
    math("mulf", MathFunc::Mulf, &[Any], Some(Any)),
    math("divf", MathFunc::Divf, &[Any], Some(Any)),
    math("max", MathFunc::Max, &[Any], Some(Any)),
    math("min", MathFunc::Min, &[Any], Some(Any)),
    math("maxf", MathFunc::Maxf, &[Any], Some(Any)),
    math("minf", MathFunc::Minf, &[Any], Some(Any)),
    math("ceil", MathFunc::Ceil, &[Any], None),
    math("floor", MathFunc::Floor, &[Any], None),
    math("round", MathFunc::Round, &[Any, Int], Some(Float)),
    builtin("fromJson", Builtin::FromJson, &[Str], None),
    time("date", TimeFunc::Date, &[Str, Any]),
    time("toDate", TimeFunc::ToDate, &[Str, Str]),
    time("now", TimeFunc::Now, &[]),
    time("unixEpoch", TimeFunc::UnixEpoch, &[Time]),
    builtin("default", Builtin::Default, &[Any], Some(Any)),
];
