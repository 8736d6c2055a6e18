//! Which line filters of a pipeline the log store can run inside its scan.
//!
//! A line filter only drops lines, and every other stage before the first parser or line
//! rewrite (label filters, `label_format`, `keep`, `drop`) leaves the line as it was, so the
//! line filters in that prefix can run first, in the store, without changing the result. The
//! prefix ends at the first parser (`json`, `logfmt`, `regexp`, `pattern`, `unpack`) or stage
//! that rewrites the line (`line_format`, `decolorize`). Of those filters, the ones
//! [`model::LineFilterChain`] can express move into the scan: `|=`, `!=`, `|~`, `!~` with
//! string arguments. Pattern filters (`|>`, `!>`) and `ip(...)` filters stay in the pipeline.

use model::{LineFilterChain, LineFilterOp, LineFilterStage};

use super::ast::{LineFilter, LineFilterArg, LineFilterKind, LogExpr, Stage};

impl LogExpr {
    /// The line filters the store can run inside its scan (see the module docs); the empty
    /// chain when there are none.
    ///
    /// ```
    /// use query::logql::syntax::{parse, Expr};
    ///
    /// let Ok(Expr::Log(log)) = parse(r#"{app="api"} |= "error" != "debug" | json |= "x""#) else {
    ///     panic!()
    /// };
    /// assert_eq!(log.pushdown_filters().to_string(), r#"|= "error" != "debug""#);
    /// assert_eq!(log.residual_stages().len(), 2);
    /// ```
    pub fn pushdown_filters(&self) -> LineFilterChain {
        LineFilterChain {
            stages: self.split().filter_map(|(_, pushed)| pushed).collect(),
        }
    }

    /// The stages the engine must still run once [`LogExpr::pushdown_filters`] runs in the
    /// store: every stage but the pushed filters, in order.
    pub fn residual_stages(&self) -> Vec<&Stage> {
        self.split()
            .filter(|(_, pushed)| pushed.is_none())
            .map(|(stage, _)| stage)
            .collect()
    }

    /// Each stage with its store form when it is pushed down.
    fn split(&self) -> impl Iterator<Item = (&Stage, Option<LineFilterStage>)> {
        let mut in_prefix = true;
        self.stages.iter().map(move |stage| {
            in_prefix &= !ends_pushdown_prefix(stage);
            let pushed = match stage {
                Stage::LineFilter(filter) if in_prefix => store_filter(filter),
                _ => None,
            };
            (stage, pushed)
        })
    }
}

/// True for the stages after which a line filter no longer sees the line as stored.
fn ends_pushdown_prefix(stage: &Stage) -> bool {
    match stage {
        Stage::Json(_)
        | Stage::Logfmt(_)
        | Stage::Regexp(_)
        | Stage::Pattern(_)
        | Stage::Unpack
        | Stage::LineFormat(_)
        | Stage::Decolorize => true,
        Stage::LineFilter(_)
        | Stage::LabelFilter(_)
        | Stage::LabelFormat(_)
        | Stage::Keep(_)
        | Stage::Drop(_) => false,
    }
}

/// The store's form of a filter, when it has one.
fn store_filter(filter: &LineFilter) -> Option<LineFilterStage> {
    let op = match filter.kind {
        LineFilterKind::Contains => LineFilterOp::Contains,
        LineFilterKind::NotContains => LineFilterOp::NotContains,
        LineFilterKind::Regex => LineFilterOp::Matches,
        LineFilterKind::NotRegex => LineFilterOp::NotMatches,
        LineFilterKind::Pattern | LineFilterKind::NotPattern => return None,
    };
    let patterns = filter
        .alternatives
        .iter()
        .map(|arg| match arg {
            LineFilterArg::Text(text) => Some(text.clone()),
            LineFilterArg::Ip(_) => None,
        })
        .collect::<Option<Vec<String>>>()?;
    Some(LineFilterStage { op, patterns })
}

#[cfg(test)]
mod tests {
    use model::LineFilterOp::{Contains, Matches, NotContains, NotMatches};

    use super::super::{Expr, parse};
    use super::*;

    fn log(query: &str) -> LogExpr {
        match parse(query) {
            Ok(Expr::Log(log)) => log,
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn filters_before_the_first_parser_are_pushed() {
        let q = log(r#"{a="b"} |= "x" or "y" != "z" |~ "r.*" !~ "s" | json |= "after""#);
        let chain = q.pushdown_filters();
        assert_eq!(
            chain,
            LineFilterChain::new()
                .then(Contains, ["x", "y"])
                .then(NotContains, ["z"])
                .then(Matches, ["r.*"])
                .then(NotMatches, ["s"])
        );
        let rest: Vec<String> = q.residual_stages().iter().map(|s| s.to_string()).collect();
        assert_eq!(rest, [r#"| json"#, r#"|= "after""#]);
    }

    #[test]
    fn label_stages_do_not_end_the_prefix_but_rewrites_do() {
        let q = log(
            r#"{a="b"} | level="error" |= "x" | label_format c=d | drop e |= "y" | line_format "{{.z}}" |= "z""#,
        );
        assert_eq!(
            q.pushdown_filters(),
            LineFilterChain::new()
                .then(Contains, ["x"])
                .then(Contains, ["y"])
        );
        assert_eq!(q.residual_stages().len(), 5);
        let q = log(r#"{a="b"} | decolorize |= "x""#);
        assert!(q.pushdown_filters().is_empty());
        let q = log(r#"{a="b"} | unpack |= "x""#);
        assert!(q.pushdown_filters().is_empty());
    }

    #[test]
    fn pattern_and_ip_filters_stay_in_the_pipeline() {
        let q = log(r#"{a="b"} |> "<_> x" |= ip("10.0.0.0/8") |= "a" or ip("::1") |= "kept""#);
        assert_eq!(
            q.pushdown_filters(),
            LineFilterChain::new().then(Contains, ["kept"])
        );
        let rest: Vec<String> = q.residual_stages().iter().map(|s| s.to_string()).collect();
        assert_eq!(
            rest,
            [
                r#"|> "<_> x""#,
                r#"|= ip("10.0.0.0/8")"#,
                r#"|= "a" or ip("::1")"#
            ]
        );
    }

    #[test]
    fn no_filters_means_an_empty_chain_and_every_stage_left() {
        let q = log(r#"{a="b"}"#);
        assert!(q.pushdown_filters().is_empty());
        assert!(q.residual_stages().is_empty());
        let q = log(r#"{a="b"} | logfmt | x > 1"#);
        assert!(q.pushdown_filters().is_empty());
        assert_eq!(q.residual_stages().len(), 2);
    }

    #[test]
    fn pushed_chain_filters_like_the_pipeline_would() {
        let q = log(r#"{a="b"} |= "error" or "warn" != "debug" |~ "code=\\d+""#);
        let filter = q.pushdown_filters().compile().unwrap();
        assert!(filter.matches(b"warn code=42"));
        assert!(!filter.matches(b"warn debug code=42"));
        assert!(!filter.matches(b"info code=42"));
        assert!(!filter.matches(b"error code=x"));
    }
}
