//! Line filters (LogQL's `|=`, `!=`, `|~`, `!~`, each with `or` alternatives, chained with AND)
//! compiled once and run inside a block scan, on lines still in the decompressed payload.
//!
//! A substring stage searches the block's whole lines region (every line followed by a `\n`) at
//! once with a prebuilt `memchr::memmem::Finder` and maps each hit back to its line: after a
//! hit the search resumes at the start of the next line, and a hit that runs into the
//! terminating `\n` of its line is not a match for that line (the line holds no later match
//! either, since any would run past its end too). Only a needle holding `\n` can span lines; a
//! line that itself contains `\n` is one line to the search, like any other. Later
//! stages only test the lines the earlier ones kept. Regex stages test each line on its own:
//! LogQL's `|~` is an unanchored search, and `^`, `$` or `\b` need the line's real boundaries.

use std::ops::Range;

use memchr::memmem::Finder;
use regex::bytes::Regex;

use crate::chunk::{DecodedBlock, EntryRef};
use crate::error::{Error, Result};

/// What one filter stage tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// `|=`: the line contains one of the strings.
    Contains,
    /// `!=`: the line contains none of the strings.
    NotContains,
    /// `|~`: one of the regexes matches somewhere in the line.
    Matches,
    /// `!~`: none of the regexes matches anywhere in the line.
    NotMatches,
}

/// Which way a scan returns entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Oldest first.
    #[default]
    Forward,
    /// Newest first.
    Backward,
}

/// A compiled chain of line filter stages; a line passes when it passes every stage. The
/// default filter (no stage) passes every line.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    /// Substring stages first (cheapest and searched over whole regions), then regex stages.
    stages: Vec<Stage>,
}

#[derive(Debug, Clone)]
struct Stage {
    /// The stage passes lines for which `test` is false.
    negated: bool,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    /// True for every line (an empty alternative is contained in every line).
    Always,
    /// True when any of the needles occurs.
    Substrings(Vec<Finder<'static>>),
    /// True when any of the regexes matches somewhere. (Alternatives are not joined into one
    /// regex: inline flags and `(?x)` comments of one would leak into the next.)
    Regexes(Vec<Regex>),
}

impl LineFilter {
    /// Compiles stages given as (operator, alternatives). A regex made only of literal
    /// characters is searched as a substring. An alternative list that is empty is an
    /// [`Error::InvalidOption`]; a regex that does not compile is [`Error::InvalidRegex`].
    pub fn compile<S: AsRef<str>>(stages: &[(FilterOp, &[S])]) -> Result<LineFilter> {
        let mut compiled = Vec::with_capacity(stages.len());
        for (op, alternatives) in stages {
            if alternatives.is_empty() {
                let reason = "a line filter stage needs at least one string".to_owned();
                return Err(Error::InvalidOption {
                    name: "line filter",
                    reason,
                });
            }
            let patterns: Vec<&str> = alternatives.iter().map(AsRef::as_ref).collect();
            let (negated, test) = match op {
                FilterOp::Contains => (false, substrings(&patterns)),
                FilterOp::NotContains => (true, substrings(&patterns)),
                FilterOp::Matches => (false, regex(&patterns)?),
                FilterOp::NotMatches => (true, regex(&patterns)?),
            };
            compiled.push(Stage { negated, test });
        }
        compiled.sort_by_key(|s| matches!(s.test, Test::Regexes(_)));
        Ok(LineFilter { stages: compiled })
    }

    /// True when `line` passes every stage.
    pub fn matches(&self, line: &[u8]) -> bool {
        self.stages.iter().all(|s| s.matches(line))
    }

    /// Indices (ascending) of the entries in `range` whose lines pass. Lines are tested where
    /// they are in the block; nothing is copied.
    pub fn matching_entries(&self, block: &DecodedBlock, range: Range<usize>) -> Vec<u32> {
        let range = range.start.min(block.len())..range.end.min(block.len());
        let mut selected: Option<Vec<u32>> = None;
        for stage in &self.stages {
            let kept = match selected {
                None => stage.select(block, range.clone()),
                Some(mut kept) => {
                    kept.retain(|&i| block.line(i as usize).is_some_and(|l| stage.matches(l)));
                    kept
                }
            };
            if kept.is_empty() {
                return kept;
            }
            selected = Some(kept);
        }
        selected.unwrap_or_else(|| range.map(|i| i as u32).collect())
    }

    /// The entries of `block` with `mint <= ts <= maxt` whose lines pass, in `direction`.
    pub fn scan<'b>(
        &self,
        block: &'b DecodedBlock,
        mint: i64,
        maxt: i64,
        direction: Direction,
    ) -> BlockScan<'b> {
        let indices = self.matching_entries(block, block.index_range(mint, maxt));
        BlockScan {
            block,
            indices: indices.into_iter(),
            direction,
        }
    }
}

impl Stage {
    fn matches(&self, line: &[u8]) -> bool {
        let found = match &self.test {
            Test::Always => true,
            Test::Substrings(finders) => finders.iter().any(|f| f.find(line).is_some()),
            Test::Regexes(res) => res.iter().any(|re| re.is_match(line)),
        };
        found != self.negated
    }

    /// Indices of the lines in `range` that pass this stage.
    fn select(&self, block: &DecodedBlock, range: Range<usize>) -> Vec<u32> {
        let Test::Substrings(finders) = &self.test else {
            return range
                .filter(|&i| block.line(i).is_some_and(|l| self.matches(l)))
                .map(|i| i as u32)
                .collect();
        };
        let mut hits = Vec::new();
        for finder in finders {
            region_hits(block, finder, range.clone(), &mut hits);
        }
        if finders.len() > 1 {
            hits.sort_unstable();
            hits.dedup();
        }
        if self.negated {
            complement(&hits, range)
        } else {
            hits
        }
    }
}

/// Appends (ascending) the indices of the lines in `range` that contain `finder`'s needle,
/// searching the block's lines region once.
fn region_hits(
    block: &DecodedBlock,
    finder: &Finder<'_>,
    range: Range<usize>,
    hits: &mut Vec<u32>,
) {
    let offsets = block.line_offsets();
    let region = block.lines_region();
    let (Some(&start), Some(&end)) = (offsets.get(range.start), offsets.get(range.end)) else {
        return;
    };
    let (mut pos, end) = (start as usize, end as usize);
    let needle_len = finder.needle().len();
    while let Some(found) = region.get(pos..end).and_then(|window| finder.find(window)) {
        let at = pos + found;
        let line = block.line_at(at);
        let Some(span) = block.line_span(line) else {
            return;
        };
        if at + needle_len <= span.end {
            hits.push(line as u32);
        }
        // Searching on from the next line: one hit per line is enough, and a hit that ran into
        // the line's terminator (only a needle holding `\n` can) means the rest of the line
        // holds none.
        pos = span.end + 1;
    }
}

/// The indices of `range` not in `sorted` (ascending, all inside `range`).
fn complement(sorted: &[u32], range: Range<usize>) -> Vec<u32> {
    let mut out = Vec::with_capacity(range.len().saturating_sub(sorted.len()));
    let mut skip = sorted.iter().peekable();
    for i in range.map(|i| i as u32) {
        if skip.next_if_eq(&&i).is_none() {
            out.push(i);
        }
    }
    out
}

fn substrings(patterns: &[&str]) -> Test {
    if patterns.iter().any(|p| p.is_empty()) {
        return Test::Always;
    }
    Test::Substrings(
        patterns
            .iter()
            .map(|p| Finder::new(p).into_owned())
            .collect(),
    )
}

fn regex(patterns: &[&str]) -> Result<Test> {
    if patterns.iter().all(|p| regex::escape(p) == *p) {
        return Ok(substrings(patterns));
    }
    let compiled = patterns
        .iter()
        .map(|p| {
            Regex::new(p).map_err(|source| Error::InvalidRegex {
                pattern: (*p).to_owned(),
                source,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Test::Regexes(compiled))
}

/// The entries of one block that passed a filter, in the scan's direction.
#[derive(Debug, Clone)]
pub struct BlockScan<'b> {
    block: &'b DecodedBlock,
    indices: std::vec::IntoIter<u32>,
    direction: Direction,
}

impl<'b> Iterator for BlockScan<'b> {
    type Item = EntryRef<'b>;

    fn next(&mut self) -> Option<EntryRef<'b>> {
        let i = match self.direction {
            Direction::Forward => self.indices.next()?,
            Direction::Backward => self.indices.next_back()?,
        };
        self.block.entry(i as usize)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.indices.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::chunk::BlockBuilder;

    fn block(lines: &[&[u8]]) -> DecodedBlock {
        let mut b = BlockBuilder::new();
        for (ts, line) in lines.iter().enumerate() {
            b.push(ts as i64, line, &[]);
        }
        b.seal(1).unwrap().unwrap().decode().unwrap()
    }

    fn compile(stages: &[(FilterOp, &[&str])]) -> LineFilter {
        LineFilter::compile(stages).unwrap()
    }

    fn lines_of(scan: BlockScan<'_>) -> Vec<&[u8]> {
        scan.map(|e| e.line).collect()
    }

    /// The filter's meaning, one line at a time, from independent primitives.
    fn reference(stages: &[(FilterOp, Vec<String>)], line: &[u8]) -> bool {
        let contains =
            |p: &String| p.is_empty() || line.windows(p.len()).any(|w| w == p.as_bytes());
        let matches = |p: &String| regex::bytes::Regex::new(p).unwrap().is_match(line);
        stages.iter().all(|(op, alts)| match op {
            FilterOp::Contains => alts.iter().any(contains),
            FilterOp::NotContains => !alts.iter().any(contains),
            FilterOp::Matches => alts.iter().any(matches),
            FilterOp::NotMatches => !alts.iter().any(matches),
        })
    }

    fn stage() -> impl Strategy<Value = (FilterOp, Vec<String>)> {
        let op = prop_oneof![
            3 => Just(FilterOp::Contains),
            2 => Just(FilterOp::NotContains),
            1 => Just(FilterOp::Matches),
            1 => Just(FilterOp::NotMatches),
        ];
        let pattern = prop_oneof![
            8 => "[ab\n]{0,3}",
            1 => Just("^a".to_owned()),
            1 => Just("b$".to_owned()),
            1 => Just("a.?b".to_owned()),
        ];
        (op, vec(pattern, 1..3))
    }

    proptest! {
        #[test]
        fn scan_agrees_with_testing_each_line(
            lines in vec("[ab\n]{0,6}".prop_map(String::into_bytes), 1..40),
            stages in vec(stage(), 0..4),
            from in 0usize..40,
            to in 0usize..40,
        ) {
            let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
            let d = block(&refs);
            let spec: Vec<(FilterOp, Vec<&str>)> = stages
                .iter()
                .map(|(op, alts)| (*op, alts.iter().map(String::as_str).collect()))
                .collect();
            let spec: Vec<(FilterOp, &[&str])> = spec.iter().map(|(op, a)| (*op, a.as_slice())).collect();
            let f = LineFilter::compile(&spec).unwrap();
            let (mint, maxt) = (from as i64, to as i64);
            let want: Vec<&[u8]> = refs
                .iter()
                .enumerate()
                .filter(|&(ts, l)| (mint..=maxt).contains(&(ts as i64)) && reference(&stages, l))
                .map(|(_, l)| *l)
                .collect();
            prop_assert_eq!(lines_of(f.scan(&d, mint, maxt, Direction::Forward)), want.clone());
            let mut backward = lines_of(f.scan(&d, mint, maxt, Direction::Backward));
            backward.reverse();
            prop_assert_eq!(backward, want);
            for l in &refs {
                prop_assert_eq!(f.matches(l), reference(&stages, l));
            }
        }
    }

    #[test]
    fn a_hit_across_a_line_boundary_is_no_match() {
        let d = block(&[b"ab", b"aba", b"", b"xab", b"a", b"ba"]);
        let f = compile(&[(FilterOp::Contains, &["aba"])]);
        assert_eq!(lines_of(f.scan(&d, 0, 9, Direction::Forward)), [b"aba"]);
        let f = compile(&[(FilterOp::NotContains, &["ab"])]);
        assert_eq!(
            lines_of(f.scan(&d, 0, 9, Direction::Forward)),
            [&b""[..], b"a", b"ba"]
        );
    }

    #[test]
    fn a_needle_with_a_newline_matches_inside_a_line_only() {
        // "b\na" occurs across the boundary of lines 0 and 1 (not a match), inside line 2 (a
        // multi-line line), and across lines 2 and 3 once more.
        let d = block(&[b"xab", b"ay", b"zb\nab", b"a\n", b"\n", b"b\na"]);
        let f = compile(&[(FilterOp::Contains, &["b\na"])]);
        assert_eq!(
            lines_of(f.scan(&d, 0, 9, Direction::Forward)),
            [&b"zb\nab"[..], b"b\na"]
        );
        // A needle of newlines only: lines 2 to 5 hold one each, none holds two in a row.
        let f = compile(&[(FilterOp::Contains, &["\n"])]);
        assert_eq!(
            lines_of(f.scan(&d, 0, 9, Direction::Forward)),
            [&b"zb\nab"[..], b"a\n", b"\n", b"b\na"]
        );
        let f = compile(&[(FilterOp::Contains, &["\n\n"])]);
        assert!(lines_of(f.scan(&d, 0, 9, Direction::Forward)).is_empty());
        let not = compile(&[(FilterOp::NotContains, &["b\na"])]);
        assert_eq!(lines_of(not.scan(&d, 0, 9, Direction::Forward)).len(), 4);
        // Line 3 holds "a\n"; line 5's "a" runs into its terminator.
        let f = compile(&[(FilterOp::Contains, &["a\n"])]);
        assert_eq!(
            lines_of(f.scan(&d, 1, 9, Direction::Forward)),
            [&b"a\n"[..]]
        );
        // A hit running into a terminator resumes at the next line, which still matches.
        let d = block(&[b"xa", b"a\nb", b"ya"]);
        assert_eq!(
            lines_of(f.scan(&d, 0, 9, Direction::Forward)),
            [&b"a\nb"[..]]
        );
    }

    #[test]
    fn alternatives_chains_and_special_patterns() {
        let d = block(&[b"GET /a 200", b"POST /b 500", b"GET /c 404", b"debug tick"]);
        let all = |f: &LineFilter| lines_of(f.scan(&d, i64::MIN, i64::MAX, Direction::Backward));
        let f = compile(&[(FilterOp::Contains, &["500", "404"])]);
        assert_eq!(all(&f), [&b"GET /c 404"[..], b"POST /b 500"]);
        let f = compile(&[
            (FilterOp::Contains, &["GET"]),
            (FilterOp::NotMatches, &["4\\d\\d"]),
        ]);
        assert_eq!(all(&f), [b"GET /a 200"]);
        let f = compile(&[(FilterOp::NotContains, &["GET", "POST"])]);
        assert_eq!(all(&f), [b"debug tick"]);
        let f = compile(&[
            (FilterOp::Matches, &["^(GET|POST)"]),
            (FilterOp::Matches, &["(?i)post"]),
        ]);
        assert_eq!(all(&f), [b"POST /b 500"]);
        assert_eq!(all(&compile(&[(FilterOp::Contains, &[""])])).len(), 4);
        assert_eq!(all(&compile(&[(FilterOp::NotContains, &[""])])).len(), 0);
        assert_eq!(all(&LineFilter::default()).len(), 4);
        // A literal regex is searched as a substring; one with metacharacters is not.
        let literal = compile(&[(FilterOp::Matches, &["tick"])]);
        assert!(matches!(literal.stages[0].test, Test::Substrings(_)));
        let dotted = compile(&[(FilterOp::Matches, &["/a."])]);
        assert!(matches!(dotted.stages[0].test, Test::Regexes(_)));
        assert_eq!(all(&dotted), [b"GET /a 200"]);
    }

    #[test]
    fn bad_filters_are_errors() {
        let err = LineFilter::compile(&[(FilterOp::Matches, &["(unclosed"])]).unwrap_err();
        assert!(matches!(err, Error::InvalidRegex { ref pattern, .. } if pattern == "(unclosed"));
        let none: &[&str] = &[];
        let err = LineFilter::compile(&[(FilterOp::Contains, none)]).unwrap_err();
        assert!(matches!(err, Error::InvalidOption { .. }));
    }
}
