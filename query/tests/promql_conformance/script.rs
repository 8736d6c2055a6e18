//! The test-script language of Prometheus's `promqltest` (format notes in the NOTICE next to the
//! scripts): `load`, `load_with_nhcb`, `clear`, `eval instant|range` with their `expect` lines
//! and expected results, and the legacy `eval_fail|eval_warn|eval_info|eval_ordered` forms.

use std::fmt;

use model::Labels;
use regex::Regex;

use crate::lexing::{NotationError, NotationResult, parse_duration, parse_go_number, unquote};
use crate::notation::{SeqValue, parse_metric, parse_start_offsets, parse_values};

/// A script that could not be read: the file, the 1-based line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// The script's file name.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ScriptError {}

/// One parsed script.
#[derive(Debug)]
pub struct Script {
    /// The commands in file order.
    pub commands: Vec<Command>,
}

/// One command of a script.
#[derive(Debug)]
pub enum Command {
    /// `load` / `load_with_nhcb`: add series to the store.
    Load(Load),
    /// `clear`: empty the store.
    Clear,
    /// `eval ...`: run a query and check its result.
    Eval(Box<Eval>),
}

/// A `load <interval>` block.
#[derive(Debug)]
pub struct Load {
    /// Line of the `load` command.
    pub line: usize,
    /// Time between consecutive values, ms; the k-th value is at `k * interval_ms`.
    pub interval_ms: i64,
    /// `load_with_nhcb`: classic histograms are also converted to native histograms.
    pub with_nhcb: bool,
    /// The series, in file order; a second line with the same labels replaced the first.
    pub series: Vec<LoadSeries>,
}

/// One series line of a `load` block.
#[derive(Debug)]
pub struct LoadSeries {
    /// The line it was written on.
    pub line: usize,
    /// Its labels.
    pub labels: Labels,
    /// Its values, one per interval step.
    pub values: Vec<SeqValue>,
    /// Per position, the start timestamp minus the sample timestamp (ms), from an `@st` line
    /// for this series or the block's standalone `@st` line; `None` when there is none.
    pub start_offsets: Option<Vec<Option<i64>>>,
}

/// A time grid: `start_ms`, `start_ms + step_ms`, ... up to `end_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// First step, ms.
    pub start_ms: i64,
    /// Last step (inclusive), ms.
    pub end_ms: i64,
    /// Distance between steps, ms.
    pub step_ms: i64,
}

/// How an eval runs its query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalKind {
    /// `eval instant at <t>`.
    Instant {
        /// The `at` time, ms.
        at_ms: i64,
    },
    /// `eval range from <t0> to <t1> step <s>`.
    Range(Grid),
}

/// One `eval` command.
#[derive(Debug)]
pub struct Eval {
    /// Line of the `eval` command (1-based).
    pub line: usize,
    /// The PromQL query.
    pub query: String,
    /// Instant or range.
    pub kind: EvalKind,
    /// What the query must produce.
    pub expect: Expectation,
}

impl Eval {
    /// The time an instant eval runs at: the end of its `expect range vector` grid when it has
    /// one (as upstream's runner does), else its `at` time. `None` for range evals.
    pub fn instant_time(&self) -> Option<i64> {
        match self.kind {
            EvalKind::Instant { at_ms } => {
                Some(self.expect.range_vector.map_or(at_ms, |g| g.end_ms))
            }
            EvalKind::Range(_) => None,
        }
    }
}

/// A text an error or annotation must match.
#[derive(Debug, Clone)]
pub enum TextMatch {
    /// Anything.
    Any,
    /// Exactly this text (`msg:`).
    Exact(String),
    /// A regex found anywhere in the text (`regex:`, unanchored as Go's `MatchString`).
    Pattern(Regex),
}

impl TextMatch {
    /// True when `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            TextMatch::Any => true,
            TextMatch::Exact(expected) => expected == text,
            TextMatch::Pattern(re) => re.is_match(text),
        }
    }
}

impl fmt::Display for TextMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextMatch::Any => f.write_str("anything"),
            TextMatch::Exact(text) => write!(f, "message {text:?}"),
            TextMatch::Pattern(re) => write!(f, "pattern {:?}", re.as_str()),
        }
    }
}

/// What an eval expects of one kind of annotation (warnings or infos).
#[derive(Debug, Clone, Default)]
pub struct AnnotationRule {
    /// At least one is required (legacy `eval_warn` / `eval_info`).
    pub required: bool,
    /// `expect warn|info [msg:|regex:]`: each must match one annotation, and every annotation
    /// must match one of them. Empty: annotations are not checked (unless `forbidden`).
    pub expected: Vec<TextMatch>,
    /// `expect no_warn|no_info`: none allowed.
    pub forbidden: bool,
}

/// The expected value of an eval.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectedResult {
    /// Series with their values (none: the result must be empty).
    Series(Vec<ExpectedSeries>),
    /// A bare number: the result is a scalar.
    Scalar(f64),
}

/// One expected output series.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedSeries {
    /// Its labels.
    pub labels: Labels,
    /// Its values: one for an instant vector, one per grid step for a matrix.
    pub values: Vec<SeqValue>,
}

/// Everything an eval checks.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// `Some` when the query must fail; every listed match must hold for the error message
    /// (empty: any error).
    pub fail: Option<Vec<TextMatch>>,
    /// `expect ordered` / `eval_ordered`: the vector's order matters.
    pub ordered: bool,
    /// Rules for warnings.
    pub warnings: AnnotationRule,
    /// Rules for infos.
    pub infos: AnnotationRule,
    /// `expect range vector from .. to .. step ..`: the instant query returns a matrix whose
    /// values sit on this grid.
    pub range_vector: Option<Grid>,
    /// `expect string "..."`: the query returns this string.
    pub string: Option<String>,
    /// The expected series or scalar.
    pub result: ExpectedResult,
}

impl Expectation {
    fn new() -> Self {
        Expectation {
            fail: None,
            ordered: false,
            warnings: AnnotationRule::default(),
            infos: AnnotationRule::default(),
            range_vector: None,
            string: None,
            result: ExpectedResult::Series(Vec::new()),
        }
    }
}

/// Reads a whole script. `file` names it in errors.
pub fn parse_script(file: &str, text: &str) -> Result<Script, ScriptError> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| {
            let l = l.trim();
            if l.starts_with('#') { "" } else { l }
        })
        .collect();
    let error_at = |index: usize| {
        move |e: NotationError| ScriptError {
            file: file.to_owned(),
            line: index + 1,
            message: e.0,
        }
    };
    let mut commands = Vec::new();
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        if line.is_empty() {
            i += 1;
            continue;
        }
        // `clear` is one line; `load` and `eval` own the lines up to the next blank one.
        let block = block_after(&lines, i);
        let word = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let (command, consumed) = if word == "clear" {
            (Command::Clear, 1)
        } else if word.starts_with("load") {
            let load = parse_load(line, i, block).map_err(|(at, e)| error_at(at)(e))?;
            (Command::Load(load), 1 + block.len())
        } else if word.starts_with("eval") {
            let eval = parse_eval(line, i, block).map_err(|(at, e)| error_at(at)(e))?;
            (Command::Eval(Box::new(eval)), 1 + block.len())
        } else {
            return Err(error_at(i)(NotationError::new(format!(
                "invalid command {line:?}"
            ))));
        };
        commands.push(command);
        i += consumed;
    }
    Ok(Script { commands })
}

/// The lines after `index` up to the next blank line.
fn block_after<'l, 'a>(lines: &'l [&'a str], index: usize) -> &'l [&'a str] {
    let rest = lines.get(index + 1..).unwrap_or(&[]);
    let len = rest.iter().position(|l| l.is_empty()).unwrap_or(rest.len());
    rest.get(..len).unwrap_or(&[])
}

/// An error with the 0-based index of the line it is on.
type LineError = (usize, NotationError);

/// Attaches line index `at` to an error.
fn at(index: usize) -> impl Fn(NotationError) -> LineError {
    move |e| (index, e)
}

/// Parses `load[_with_nhcb] <interval>` (line `index`) and its series lines.
fn parse_load(header: &str, index: usize, block: &[&str]) -> Result<Load, LineError> {
    let mut words = header.split_whitespace();
    let with_nhcb = match words.next() {
        Some("load") => false,
        Some("load_with_nhcb") => true,
        _ => {
            let why = "invalid load command (load[_with_nhcb] <interval>)";
            return Err((index, NotationError::new(why)));
        }
    };
    let interval = words.collect::<Vec<_>>().join(" ");
    let interval_ms = parse_duration(&interval).map_err(at(index))?;
    let mut load = Load {
        line: index + 1,
        interval_ms,
        with_nhcb,
        series: Vec::new(),
    };
    let mut start_lines = StartLines::default();
    for (k, line) in block.iter().enumerate() {
        let li = index + 1 + k;
        let first_word = line.split_whitespace().next().unwrap_or("");
        if let Some(metric) = first_word.strip_suffix("@st") {
            let offsets = line.get(first_word.len()..).unwrap_or("");
            start_lines.read(li, metric, offsets)?;
            continue;
        }
        let (labels, rest) = parse_metric(line).map_err(at(li))?;
        let values = parse_values(rest).map_err(at(li))?;
        let start_offsets = start_lines.offsets_for(&labels, values.len())?;
        let series = LoadSeries {
            line: li + 1,
            labels,
            values,
            start_offsets,
        };
        // A second line with the same labels replaces the first, as upstream's map does.
        match load.series.iter_mut().find(|s| s.labels == series.labels) {
            Some(earlier) => *earlier = series,
            None => load.series.push(series),
        }
    }
    start_lines.finish()?;
    Ok(load)
}

/// An `@st` line waiting for its sample line: line index, labels and offsets.
type PendingStart = (usize, Labels, Vec<Option<i64>>);

/// The `@st` lines of a load block while its lines are read.
#[derive(Debug, Default)]
struct StartLines {
    /// The standalone `@st <offsets>` line: applies, cycled, to later series lines that have
    /// no `@st` line of their own.
    default: Option<Vec<Option<i64>>>,
    /// A `metric@st` line; the next line must be that metric's sample line.
    pending: Option<PendingStart>,
}

impl StartLines {
    /// Reads an `@st` line at index `li`; `metric` is the text before `@st`.
    fn read(&mut self, li: usize, metric: &str, offsets: &str) -> Result<(), LineError> {
        self.finish()?;
        let offsets = parse_start_offsets(offsets).map_err(at(li))?;
        if metric.is_empty() {
            self.default = Some(offsets);
            return Ok(());
        }
        let (labels, rest) = parse_metric(metric).map_err(at(li))?;
        if !rest.is_empty() {
            let why = format!("unexpected {rest:?} before @st");
            return Err((li, NotationError::new(why)));
        }
        self.pending = Some((li, labels, offsets));
        Ok(())
    }

    /// The start offsets of a sample line with `labels` and `count` values.
    fn offsets_for(
        &mut self,
        labels: &Labels,
        count: usize,
    ) -> Result<Option<Vec<Option<i64>>>, LineError> {
        if let Some((st_line, st_labels, offsets)) = self.pending.take() {
            if &st_labels != labels {
                let why = "@st metric does not match the following sample line metric";
                return Err((st_line, NotationError::new(why)));
            }
            if offsets.len() != count {
                let why = format!(
                    "@st line has {} values but sample line has {count}",
                    offsets.len()
                );
                return Err((st_line, NotationError::new(why)));
            }
            return Ok(Some(offsets));
        }
        Ok(self.default.as_ref().filter(|d| !d.is_empty()).map(|d| {
            (0..count)
                .map(|i| d.get(i % d.len()).copied().flatten())
                .collect()
        }))
    }

    /// Fails when an `@st` line is still waiting for its sample line.
    fn finish(&self) -> Result<(), LineError> {
        match &self.pending {
            Some((st_line, _, _)) => Err((
                *st_line,
                NotationError::new("@st line has no following sample line"),
            )),
            None => Ok(()),
        }
    }
}

/// Splits off the first whitespace-separated word.
fn next_word(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    if text.is_empty() {
        return None;
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    Some((text.get(..end)?, text.get(end..)?))
}

/// Reads `word` from `text` and returns the rest.
fn expect_word<'a>(text: &'a str, word: &str) -> NotationResult<&'a str> {
    match next_word(text) {
        Some((w, rest)) if w == word => Ok(rest),
        _ => Err(NotationError::new(format!(
            "expected {word:?} at {:?}",
            text.trim_start()
        ))),
    }
}

/// Reads a duration word from `text` and returns it with the rest.
fn duration_word(text: &str) -> NotationResult<(i64, &str)> {
    let (word, rest) = next_word(text).ok_or_else(|| NotationError::new("missing time"))?;
    Ok((parse_duration(word)?, rest))
}

/// Reads `from <t0> to <t1> step <s>` and returns the grid and the rest of the text.
fn parse_grid(text: &str) -> NotationResult<(Grid, &str)> {
    let (start_ms, rest) = duration_word(expect_word(text, "from")?)?;
    let (end_ms, rest) = duration_word(expect_word(rest, "to")?)?;
    let (step_ms, rest) = duration_word(expect_word(rest, "step")?)?;
    if end_ms < start_ms {
        return Err(NotationError::new(
            "end timestamp is before start timestamp",
        ));
    }
    Ok((
        Grid {
            start_ms,
            end_ms,
            step_ms,
        },
        rest,
    ))
}

/// Parses an eval header: `eval[_fail|_warn|_info|_ordered] instant at <t> <query>` or
/// `eval[_fail|_warn|_info] range from <t0> to <t1> step <s> <query>`.
fn parse_eval_header(line: &str, expect: &mut Expectation) -> NotationResult<(EvalKind, String)> {
    let (word, rest) = next_word(line).ok_or_else(|| NotationError::new("empty eval"))?;
    let legacy = word.strip_prefix("eval").unwrap_or("");
    let (kind, rest) = match next_word(rest) {
        Some(("instant", rest)) => {
            let (at_ms, rest) = duration_word(expect_word(rest, "at")?)?;
            (EvalKind::Instant { at_ms }, rest)
        }
        Some(("range", rest)) if legacy != "_ordered" => {
            let (grid, rest) = parse_grid(rest)?;
            (EvalKind::Range(grid), rest)
        }
        _ => {
            return Err(NotationError::new(
                "invalid eval command: expected 'instant at <t>' or \
                 'range from <t0> to <t1> step <s>'",
            ));
        }
    };
    match legacy {
        "" => {}
        "_fail" => expect.fail = Some(Vec::new()),
        "_warn" => expect.warnings.required = true,
        "_info" => expect.infos.required = true,
        "_ordered" => expect.ordered = true,
        other => return Err(NotationError::new(format!("unknown eval form eval{other}"))),
    }
    let query = rest.trim();
    if query.is_empty() {
        return Err(NotationError::new("eval without a query"));
    }
    Ok((kind, query.to_owned()))
}

/// Parses an eval command (line `index`) and its expectation lines.
fn parse_eval(header: &str, index: usize, block: &[&str]) -> Result<Eval, LineError> {
    let mut expect = Expectation::new();
    let (kind, query) = parse_eval_header(header, &mut expect).map_err(at(index))?;
    let mut series: Vec<ExpectedSeries> = Vec::new();
    let mut last_line_allowed = false;
    for (k, line) in block.iter().enumerate() {
        let li = index + 1 + k;
        if last_line_allowed {
            return Err((
                li,
                NotationError::new("no line may follow a scalar or expected_fail_* line"),
            ));
        }
        match parse_eval_line(line, &kind, &mut expect).map_err(at(li))? {
            EvalLine::Directive => {}
            EvalLine::Final => last_line_allowed = true,
            EvalLine::Series(expected) => {
                match series.iter_mut().find(|s| s.labels == expected.labels) {
                    Some(earlier) => *earlier = expected,
                    None => series.push(expected),
                }
            }
        }
    }
    if matches!(expect.result, ExpectedResult::Series(_)) {
        expect.result = ExpectedResult::Series(series);
    }
    Ok(Eval {
        line: index + 1,
        query,
        kind,
        expect,
    })
}

/// What one line under an eval was.
enum EvalLine {
    /// An `expect ...` line, applied to the expectation.
    Directive,
    /// A scalar result or an `expected_fail_*` line: the block must end here.
    Final,
    /// An expected series.
    Series(ExpectedSeries),
}

/// Parses one line under an eval.
fn parse_eval_line(
    line: &str,
    kind: &EvalKind,
    expect: &mut Expectation,
) -> NotationResult<EvalLine> {
    if let Some(fail) = expect.fail.as_mut().filter(|f| f.is_empty()) {
        if let Some(message) = line.strip_prefix("expected_fail_message") {
            fail.push(TextMatch::Exact(message.trim().to_owned()));
            return Ok(EvalLine::Final);
        }
        if let Some(pattern) = line.strip_prefix("expected_fail_regexp") {
            fail.push(TextMatch::Pattern(compile(pattern.trim())?));
            return Ok(EvalLine::Final);
        }
    }
    if let Some(rest) = line.strip_prefix("expect range vector") {
        let (grid, tail) = parse_grid(rest)?;
        if !tail.trim().is_empty() {
            return Err(NotationError::new(format!(
                "unexpected {tail:?} after the range vector grid"
            )));
        }
        expect.range_vector = Some(grid);
        return Ok(EvalLine::Directive);
    }
    if let Some(rest) = line.strip_prefix("expect string") {
        expect.string = Some(unquote(rest.trim_start()).map_err(|e| {
            NotationError::new(format!("expect string needs a quoted string literal: {e}"))
        })?);
        return Ok(EvalLine::Directive);
    }
    if line.split(' ').next() == Some("expect") {
        parse_expect(line, expect)?;
        return Ok(EvalLine::Directive);
    }
    if let Some(value) = parse_go_number(line) {
        expect.result = ExpectedResult::Scalar(value);
        return Ok(EvalLine::Final);
    }
    let (labels, rest) = parse_metric(line)?;
    let values = parse_values(rest)?;
    if values.is_empty() {
        return Err(NotationError::new("expected series without a value"));
    }
    if values.len() > 1 && matches!(kind, EvalKind::Instant { .. }) && expect.range_vector.is_none()
    {
        return Err(NotationError::new(
            "several values for an instant eval need an 'expect range vector' line",
        ));
    }
    Ok(EvalLine::Series(ExpectedSeries { labels, values }))
}

/// Parses `expect <ordered|fail|warn|no_warn|info|no_info> [msg: <text> | regex: <re>]`.
fn parse_expect(line: &str, expect: &mut Expectation) -> NotationResult<()> {
    let rest = expect_word(line, "expect")?;
    let (kind, rest) =
        next_word(rest).ok_or_else(|| NotationError::new("expect without a type"))?;
    let rest = rest.trim();
    let text_match = if rest.is_empty() {
        TextMatch::Any
    } else if let Some(message) = rest.strip_prefix("msg:") {
        TextMatch::Exact(message.trim().to_owned())
    } else if let Some(pattern) = rest.strip_prefix("regex:") {
        TextMatch::Pattern(compile(pattern.trim())?)
    } else {
        return Err(NotationError::new(format!(
            "invalid expect line, must be `expect <type> [msg|regex]: <string>`: {line:?}"
        )));
    };
    match kind {
        "ordered" => expect.ordered = true,
        // A non-empty list can only come from an earlier `expect fail`: `expected_fail_*`
        // lines end the block.
        "fail" => match expect.fail.as_mut() {
            Some(list) if !list.is_empty() => {
                return Err(NotationError::new("only one 'expect fail' line is allowed"));
            }
            Some(list) => list.push(text_match),
            None => expect.fail = Some(vec![text_match]),
        },
        "warn" => expect.warnings.expected.push(text_match),
        "no_warn" => expect.warnings.forbidden = true,
        "info" => expect.infos.expected.push(text_match),
        "no_info" => expect.infos.forbidden = true,
        other => return Err(NotationError::new(format!("invalid expect type {other:?}"))),
    }
    if !expect.warnings.expected.is_empty() && expect.warnings.forbidden {
        return Err(NotationError::new(
            "warn and no_warn cannot be used together",
        ));
    }
    if !expect.infos.expected.is_empty() && expect.infos.forbidden {
        return Err(NotationError::new(
            "info and no_info cannot be used together",
        ));
    }
    Ok(())
}

/// Compiles a regex of an expectation.
fn compile(pattern: &str) -> NotationResult<Regex> {
    Regex::new(pattern).map_err(|e| NotationError::new(format!("invalid regex {pattern:?}: {e}")))
}

#[cfg(test)]
#[path = "script_tests.rs"]
mod tests;
