//! The LogQL syntax tree, shaped for evaluation.
//!
//! A query is a log query ([`LogExpr`]: a stream selector and its pipeline, an ordered list of
//! [`Stage`]s) or a metric query ([`SampleExpr`]). The parser builds trees in a normal form, so
//! two queries that Loki prints alike parse to equal trees:
//!
//! * a negated line filter has one alternative (`!= "a" or "b"` is `!= "a" != "b"`);
//! * a binary operation never has two number literals as operands (they are folded, as Loki
//!   does: `1 + 1` is `2`), and a set operation (`and`, `or`, `unless`) has none;
//! * `by ()` on a vector aggregation is no grouping, `ignoring ()` is no matching clause, and
//!   `group_left ()` is `group_left`;
//! * an offset of zero is no offset;
//! * a `keep` or `drop` that ends with a bare label name is never followed by a `!=` or `!~`
//!   line filter (the text `| keep a != "x"` reads as the matcher `a!="x"`).
//!
//! Durations are signed nanoseconds. Strings are the values after unescaping.

use model::Matcher;

/// A parsed LogQL query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A log query: returns log lines.
    Log(LogExpr),
    /// A metric query: returns samples.
    Sample(SampleExpr),
}

/// A stream selector and the pipeline its lines go through.
#[derive(Debug, Clone, PartialEq)]
pub struct LogExpr {
    /// The stream selector's matchers, in query order. Validated queries have at least one
    /// that does not match the empty string.
    pub matchers: Vec<Matcher>,
    /// The pipeline, in query order.
    pub stages: Vec<Stage>,
}

/// One pipeline stage.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// `|= "a"`, `!~ "b"`, `|> "<_> c"`, `|= ip("10.0.0.0/8")` ...
    LineFilter(LineFilter),
    /// `| json` (no extractions: every field) or `| json a="b.c",d`.
    Json(Vec<LabelExtraction>),
    /// `| logfmt [--strict] [--keep-empty] [extractions]`.
    Logfmt(LogfmtParser),
    /// `| regexp "(?P<name>...)"`: the regex (validated: it compiles and has a named group).
    Regexp(String),
    /// `| pattern "<name> ..."`: the pattern (validated, see [`super::parse_pattern`]).
    Pattern(String),
    /// `| unpack`
    Unpack,
    /// `| decolorize`
    Decolorize,
    /// `| level="error"`, `| status >= 500 or duration > 1s` ...
    LabelFilter(LabelFilter),
    /// `| line_format "{{.msg}}"`: the Go template, unparsed.
    LineFormat(String),
    /// `| label_format dst=src,x="{{.y}}"`.
    LabelFormat(Vec<LabelFormat>),
    /// `| keep a, b="c"`: the labels kept.
    Keep(Vec<LabelSelector>),
    /// `| drop a, b="c"`: the labels dropped.
    Drop(Vec<LabelSelector>),
}

/// A line filter: the line passes when it matches any alternative (for the positive kinds) or
/// none (negated kinds, which the parser gives a single alternative).
#[derive(Debug, Clone, PartialEq)]
pub struct LineFilter {
    /// The operator.
    pub kind: LineFilterKind,
    /// The alternatives (`|= "a" or "b"`); at least one.
    pub alternatives: Vec<LineFilterArg>,
}

/// A line filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineFilterKind {
    /// `|=`: contains the text.
    Contains,
    /// `!=`: does not contain the text.
    NotContains,
    /// `|~`: matches the regex somewhere.
    Regex,
    /// `!~`: does not match the regex anywhere.
    NotRegex,
    /// `|>`: matches the pattern.
    Pattern,
    /// `!>`: does not match the pattern.
    NotPattern,
}

impl LineFilterKind {
    /// True for `!=`, `!~` and `!>`.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            LineFilterKind::NotContains | LineFilterKind::NotRegex | LineFilterKind::NotPattern
        )
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            LineFilterKind::Contains => "|=",
            LineFilterKind::NotContains => "!=",
            LineFilterKind::Regex => "|~",
            LineFilterKind::NotRegex => "!~",
            LineFilterKind::Pattern => "|>",
            LineFilterKind::NotPattern => "!>",
        }
    }
}

/// What a line filter alternative tests.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LineFilterArg {
    /// A string: the text, regex or pattern, per the filter's kind.
    Text(String),
    /// `ip("...")`: an IP address, CIDR or range, searched for in the line (not validated here;
    /// Loki checks it when the pipeline is built).
    Ip(String),
}

/// The `logfmt` parser stage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogfmtParser {
    /// `--strict`: stop at the first malformed pair.
    pub strict: bool,
    /// `--keep-empty`: keep `key=` pairs as empty labels.
    pub keep_empty: bool,
    /// The labels to extract; empty for every key.
    pub extractions: Vec<LabelExtraction>,
}

/// `label="expression"` in `json` or `logfmt` (`label` alone means `label="label"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabelExtraction {
    /// The label to set.
    pub label: String,
    /// Where its value comes from (a JSON path such as `a.b[0]`, or a logfmt key).
    pub expression: String,
}

/// One item of `label_format`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LabelFormat {
    /// `dst=src`: renames `src` to `dst`.
    Rename {
        /// The new name.
        target: String,
        /// The label renamed.
        source: String,
    },
    /// `dst="{{...}}"`: sets `dst` to a Go template's output.
    Template {
        /// The label set.
        target: String,
        /// The template, unparsed.
        template: String,
    },
}

/// A label named in `keep` or `drop`.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelSelector {
    /// The label, whatever its value.
    Name(String),
    /// The label when its value matches.
    Matcher(Matcher),
}

/// A label filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelFilter {
    /// A string comparison (`=`, `!=`, `=~`, `!~`); an absent label compares as "".
    Matcher(Matcher),
    /// A numeric comparison; the label's value is read as a float.
    Number {
        /// The label.
        name: String,
        /// The comparison.
        op: CmpOp,
        /// The number compared with.
        value: f64,
    },
    /// A duration comparison; the label's value is read as a Go duration.
    Duration {
        /// The label.
        name: String,
        /// The comparison.
        op: CmpOp,
        /// The duration compared with, nanoseconds.
        value_ns: i64,
    },
    /// A byte-size comparison; the label's value is read as a humanized size (`10KB`).
    Bytes {
        /// The label.
        name: String,
        /// The comparison.
        op: CmpOp,
        /// The size compared with (read through a float, as Loki does: a whole number an
        /// `f64` holds exactly).
        value: u64,
    },
    /// `name=ip("...")` or `name!=ip("...")`.
    Ip {
        /// The label.
        name: String,
        /// True for `!=`.
        negated: bool,
        /// The IP address, CIDR or range (not validated here).
        pattern: String,
    },
    /// Both (`and`, `,` or juxtaposition).
    And(Box<LabelFilter>, Box<LabelFilter>),
    /// Either (`or`).
    Or(Box<LabelFilter>, Box<LabelFilter>),
}

/// A comparison in a numeric, duration or byte-size label filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=` or `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl CmpOp {
    /// The operator as Loki prints it (`==` for equality).
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}

/// A metric query.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleExpr {
    /// `rate({...}[5m])`, `quantile_over_time(0.9, {...} | unwrap x [1m]) by (a)` ...
    RangeAggregation(RangeAggregation),
    /// `sum by (a) (...)`, `topk(5, ...)` ...
    VectorAggregation(VectorAggregation),
    /// `a + b`, `a > bool 1`, `a / on (x) group_left b` ...
    Binary(BinaryExpr),
    /// A number.
    Literal(f64),
    /// `vector(n)`: one series without labels, `n` at every step.
    Vector(f64),
    /// `label_replace(...)`.
    LabelReplace(LabelReplace),
}

/// A range aggregation over a log range.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeAggregation {
    /// The aggregation.
    pub op: RangeOp,
    /// The parameter (`quantile_over_time` only, where it is required).
    pub param: Option<f64>,
    /// The logs aggregated.
    pub range: LogRange,
    /// `by`/`without`, for the operations that take it ([`RangeOp::allows_grouping`]).
    pub grouping: Option<Grouping>,
}

/// A log query read over a sliding window, optionally unwrapped into sample values.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRange {
    /// The selector and pipeline.
    pub selector: LogExpr,
    /// `| unwrap label`, with its conversion and the label filters after it.
    pub unwrap: Option<Unwrap>,
    /// The window, nanoseconds (a whole number of milliseconds, at least 0).
    pub range_ns: i64,
    /// `offset`, nanoseconds; 0 for none.
    pub offset_ns: i64,
}

/// `| unwrap [conversion(]label[)]` and the label filters that follow it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unwrap {
    /// The label whose value becomes the sample value.
    pub label: String,
    /// How the value is read; `None` for a plain float.
    pub conversion: Option<UnwrapConversion>,
    /// Label filters applied after unwrapping (`| unwrap x | __error__=""`).
    pub post_filters: Vec<LabelFilter>,
}

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($text),*].len()] = [$($name::$variant),*];

            /// The name as written in LogQL.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }
    };
}

named_enum! {
    /// How `unwrap` reads a label's value.
    UnwrapConversion {
        /// `bytes(label)`: a humanized byte size.
        Bytes => "bytes",
        /// `duration(label)`: a Go duration, as seconds.
        Duration => "duration",
        /// `duration_seconds(label)`: the same as `duration`.
        DurationSeconds => "duration_seconds",
    }
}

named_enum! {
    /// A range aggregation.
    RangeOp {
        /// `count_over_time`
        CountOverTime => "count_over_time",
        /// `rate`
        Rate => "rate",
        /// `rate_counter`
        RateCounter => "rate_counter",
        /// `bytes_over_time`
        BytesOverTime => "bytes_over_time",
        /// `bytes_rate`
        BytesRate => "bytes_rate",
        /// `avg_over_time`
        AvgOverTime => "avg_over_time",
        /// `sum_over_time`
        SumOverTime => "sum_over_time",
        /// `min_over_time`
        MinOverTime => "min_over_time",
        /// `max_over_time`
        MaxOverTime => "max_over_time",
        /// `stdvar_over_time`
        StdvarOverTime => "stdvar_over_time",
        /// `stddev_over_time`
        StddevOverTime => "stddev_over_time",
        /// `quantile_over_time`
        QuantileOverTime => "quantile_over_time",
        /// `first_over_time`
        FirstOverTime => "first_over_time",
        /// `last_over_time`
        LastOverTime => "last_over_time",
        /// `absent_over_time`
        AbsentOverTime => "absent_over_time",
    }
}

impl RangeOp {
    /// Whether `by`/`without` may follow it (Loki's `RangeAggregationExpr.validate`).
    pub fn allows_grouping(self) -> bool {
        use RangeOp::*;
        matches!(
            self,
            AvgOverTime
                | StddevOverTime
                | StdvarOverTime
                | QuantileOverTime
                | MaxOverTime
                | MinOverTime
                | FirstOverTime
                | LastOverTime
        )
    }

    /// Whether it may aggregate an unwrapped range.
    pub fn allows_unwrap(self) -> bool {
        use RangeOp::*;
        !matches!(self, CountOverTime | BytesOverTime | BytesRate)
    }

    /// Whether it may aggregate a range that is not unwrapped (it counts lines or bytes).
    pub fn allows_lines(self) -> bool {
        use RangeOp::*;
        matches!(
            self,
            BytesOverTime | BytesRate | CountOverTime | Rate | AbsentOverTime
        )
    }
}

named_enum! {
    /// A vector aggregation.
    VectorOp {
        /// `sum`
        Sum => "sum",
        /// `avg`
        Avg => "avg",
        /// `count`
        Count => "count",
        /// `max`
        Max => "max",
        /// `min`
        Min => "min",
        /// `stddev`
        Stddev => "stddev",
        /// `stdvar`
        Stdvar => "stdvar",
        /// `bottomk`
        Bottomk => "bottomk",
        /// `topk`
        Topk => "topk",
        /// `sort`
        Sort => "sort",
        /// `sort_desc`
        SortDesc => "sort_desc",
    }
}

impl VectorOp {
    /// Whether it takes a parameter (`topk(k, ...)`, `bottomk(k, ...)`).
    pub fn takes_param(self) -> bool {
        matches!(self, VectorOp::Topk | VectorOp::Bottomk)
    }
}

/// A vector aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorAggregation {
    /// The aggregation.
    pub op: VectorOp,
    /// `k` of `topk`/`bottomk` (at least 1); `None` for the others.
    pub param: Option<i64>,
    /// `by`/`without`; `by ()` (no labels, not `without`) aggregates everything into one series.
    pub grouping: Grouping,
    /// What is aggregated.
    pub inner: Box<SampleExpr>,
}

/// `by (labels)` or `without (labels)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grouping {
    /// True for `without`.
    pub without: bool,
    /// The labels, in query order.
    pub labels: Vec<String>,
}

/// A binary operation between two metric queries or a metric query and a number.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryExpr {
    /// The operator.
    pub op: BinaryOp,
    /// `bool` after a comparison: return 0/1 instead of filtering.
    pub return_bool: bool,
    /// `on`/`ignoring` and `group_left`/`group_right`.
    pub matching: VectorMatching,
    /// The left operand.
    pub lhs: Box<SampleExpr>,
    /// The right operand.
    pub rhs: Box<SampleExpr>,
}

/// How the series of two operands are paired.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VectorMatching {
    /// The labels series match on.
    pub labels: MatchingLabels,
    /// One-to-one, or many-to-one / one-to-many with the labels copied from the "one" side.
    pub card: Cardinality,
}

/// `on (...)` or `ignoring (...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchingLabels {
    /// Match on exactly these labels.
    On(Vec<String>),
    /// Match on all labels but these; `Ignoring(vec![])` is the default (no clause).
    Ignoring(Vec<String>),
}

impl Default for MatchingLabels {
    fn default() -> Self {
        MatchingLabels::Ignoring(Vec::new())
    }
}

/// The cardinality of a vector match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cardinality {
    /// One-to-one.
    #[default]
    OneToOne,
    /// `group_left (labels)`: many series of the left side per series of the right.
    ManyToOne(Vec<String>),
    /// `group_right (labels)`: many series of the right side per series of the left.
    OneToMany(Vec<String>),
}

named_enum! {
    /// A binary operator.
    BinaryOp {
        /// `or`
        Or => "or",
        /// `and`
        And => "and",
        /// `unless`
        Unless => "unless",
        /// `+`
        Add => "+",
        /// `-`
        Sub => "-",
        /// `*`
        Mul => "*",
        /// `/`
        Div => "/",
        /// `%`
        Mod => "%",
        /// `^`
        Pow => "^",
        /// `==`
        Eq => "==",
        /// `!=`
        Ne => "!=",
        /// `>`
        Gt => ">",
        /// `>=`
        Ge => ">=",
        /// `<`
        Lt => "<",
        /// `<=`
        Le => "<=",
    }
}

impl BinaryOp {
    /// Binding strength, higher binds tighter: `or` < `and unless` < comparisons < `+ -` <
    /// `* / %` < `^` (Loki's grammar).
    pub fn precedence(self) -> u8 {
        use BinaryOp::*;
        match self {
            Or => 1,
            And | Unless => 2,
            Eq | Ne | Gt | Ge | Lt | Le => 3,
            Add | Sub => 4,
            Mul | Div | Mod => 5,
            Pow => 6,
        }
    }

    /// True for `==`, `!=`, `>`, `>=`, `<`, `<=`.
    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }

    /// True for `and`, `or`, `unless`.
    pub fn is_set(self) -> bool {
        self.precedence() <= 2
    }

    /// `l op r` for the arithmetic and comparison operators as Loki computes it (`MergeBinOp`):
    /// division and modulo by zero give NaN, comparisons 1 or 0 (Go's `math.Mod` and Rust's
    /// `%` agree: the result has the dividend's sign). `None` for the set operators, which
    /// pair series rather than values.
    pub fn apply(self, l: f64, r: f64) -> Option<f64> {
        let truth = |holds: bool| Some(if holds { 1.0 } else { 0.0 });
        match self {
            BinaryOp::Add => Some(l + r),
            BinaryOp::Sub => Some(l - r),
            BinaryOp::Mul => Some(l * r),
            BinaryOp::Div => Some(if r == 0.0 { f64::NAN } else { l / r }),
            BinaryOp::Mod => Some(if r == 0.0 { f64::NAN } else { l % r }),
            BinaryOp::Pow => Some(l.powf(r)),
            BinaryOp::Eq => truth(l == r),
            BinaryOp::Ne => truth(l != r),
            BinaryOp::Gt => truth(l > r),
            BinaryOp::Ge => truth(l >= r),
            BinaryOp::Lt => truth(l < r),
            BinaryOp::Le => truth(l <= r),
            BinaryOp::And | BinaryOp::Or | BinaryOp::Unless => None,
        }
    }
}

/// `label_replace(inner, destination, replacement, source, regex)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelReplace {
    /// The query whose series are relabelled.
    pub inner: Box<SampleExpr>,
    /// The label written.
    pub destination: String,
    /// The replacement, with `$1`-style references to the regex's groups.
    pub replacement: String,
    /// The label read.
    pub source: String,
    /// The regex, anchored at both ends when applied (validated: it compiles).
    pub regex: String,
}

impl Expr {
    /// Every log query in the tree, in query order: the query itself for a log query, the
    /// selector of every range aggregation for a metric query.
    pub fn log_exprs(&self) -> Vec<&LogExpr> {
        match self {
            Expr::Log(log) => vec![log],
            Expr::Sample(sample) => sample.log_ranges().map(|r| &r.selector).collect(),
        }
    }
}

impl SampleExpr {
    /// Every log range in the tree, in query order.
    pub fn log_ranges(&self) -> impl Iterator<Item = &LogRange> {
        let mut ranges = Vec::new();
        let mut pending = vec![self];
        while let Some(expr) = pending.pop() {
            match expr {
                SampleExpr::RangeAggregation(agg) => ranges.push(&agg.range),
                SampleExpr::VectorAggregation(agg) => pending.push(&agg.inner),
                SampleExpr::LabelReplace(lr) => pending.push(&lr.inner),
                SampleExpr::Binary(bin) => {
                    pending.push(&bin.rhs);
                    pending.push(&bin.lhs);
                }
                SampleExpr::Literal(_) | SampleExpr::Vector(_) => {}
            }
        }
        ranges.into_iter()
    }
}
