//! What can go wrong while loading the loghub samples or synthesizing from them.

use std::path::PathBuf;

use super::csv::CsvProblem;

/// Result alias for the loghub synthesizer.
pub type Result<T, E = LoghubError> = std::result::Result<T, E>;

/// An error of the loghub synthesizer; each names the file (and line) it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoghubError {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A CSV file is not well-formed RFC 4180.
    #[error("{}:{line}: {problem}", path.display())]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line the problem is on.
        line: usize,
        /// What is wrong.
        problem: CsvProblem,
    },
    /// A CSV file lacks a column every loghub sample has.
    #[error("{}: no `{column}` column", path.display())]
    MissingColumn {
        /// The CSV file.
        path: PathBuf,
        /// The missing column.
        column: &'static str,
    },
    /// A structured row names an event the templates file does not list.
    #[error("{}:{line}: event `{event_id}` is not in the templates file", path.display())]
    UnknownEvent {
        /// The structured CSV file.
        path: PathBuf,
        /// 1-based line of the row.
        line: usize,
        /// The event id of the row.
        event_id: String,
    },
    /// A structured row's template text differs from the templates file's text for its event.
    #[error("{}:{line}: template of event `{event_id}` differs from the templates file", path.display())]
    TemplateMismatch {
        /// The structured CSV file.
        path: PathBuf,
        /// 1-based line of the row.
        line: usize,
        /// The event id of the row.
        event_id: String,
    },
    /// The raw log and the structured CSV do not have the same number of lines.
    #[error("{}: {raw_lines} raw lines but {rows} structured rows", path.display())]
    LineCountMismatch {
        /// The raw `.log` file.
        path: PathBuf,
        /// Lines in the raw file.
        raw_lines: usize,
        /// Rows in the structured CSV.
        rows: usize,
    },
    /// A time column (Date, Time, Timestamp, Month, Day) holds values no supported layout parses.
    #[error("{}:{line}: column `{column}`: `{value}` is in no supported time layout", path.display())]
    UnsupportedTimeFormat {
        /// The structured CSV file.
        path: PathBuf,
        /// 1-based line of the value.
        line: usize,
        /// The column.
        column: String,
        /// The value no layout parses.
        value: String,
    },
    /// A structured CSV has a header but no rows.
    #[error("{}: no rows", path.display())]
    EmptySample {
        /// The structured CSV file.
        path: PathBuf,
    },
    /// The input directory holds no `<System>/<System>_2k.log` sample.
    #[error("{}: no loghub system directory (`<System>/<System>_2k.log`)", dir.display())]
    NoSystems {
        /// The input directory.
        dir: PathBuf,
    },
    /// A system name or id that this synthesizer did not load.
    #[error("unknown loghub system `{0}`")]
    UnknownSystem(String),
}
