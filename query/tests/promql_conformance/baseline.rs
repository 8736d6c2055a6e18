//! `passing.txt`: the evals known to pass, one `file:line` per line.
//!
//! The runner fails when a listed eval no longer passes, only notes evals that pass without
//! being listed, and rewrites the file when asked to.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

/// First line of the file.
const HEADER: &str = "# PromQL conformance evals that pass (file:line). Regenerate with\n\
# PROMQL_CONFORMANCE_UPDATE=1 cargo test -p query --test promql_conformance\n";

/// The evals a baseline lists.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// `file:line` entries.
    pub entries: BTreeSet<String>,
    /// False when the file does not exist (the baseline is then empty).
    pub present: bool,
}

/// Reads the baseline at `path`; a missing file is an empty baseline. Blank lines and `#`
/// comments are ignored.
pub fn load(path: &Path) -> io::Result<Baseline> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Baseline {
            entries: parse(&text),
            present: true,
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Baseline::default()),
        Err(e) => Err(e),
    }
}

/// The entries of a baseline file's text.
pub fn parse(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The text of a baseline with `entries`, sorted.
pub fn render(entries: &BTreeSet<String>) -> String {
    let mut text = HEADER.to_owned();
    for entry in entries {
        text.push_str(entry);
        text.push('\n');
    }
    text
}

/// Writes `entries` to `path`.
pub fn write(path: &Path, entries: &BTreeSet<String>) -> io::Result<()> {
    std::fs::write(path, render(entries))
}

/// The file an entry names (`functions.test` of `functions.test:12`).
pub fn entry_file(entry: &str) -> &str {
    entry.rsplit_once(':').map_or(entry, |(file, _)| file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_and_parse_round_trip() {
        let entries: BTreeSet<String> = ["b.test:3", "a.test:10"].map(String::from).into();
        let text = render(&entries);
        assert!(text.starts_with("# "));
        assert!(text.find("a.test:10") < text.find("b.test:3"), "sorted");
        assert_eq!(parse(&text), entries);
        assert_eq!(entry_file("a.test:10"), "a.test");
    }

    #[test]
    fn missing_file_is_an_empty_baseline() {
        let baseline = load(Path::new("/nonexistent/passing.txt")).unwrap();
        assert!(!baseline.present);
        assert!(baseline.entries.is_empty());
    }
}
