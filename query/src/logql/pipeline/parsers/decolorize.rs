//! `| decolorize`: removes ANSI escape sequences (colors, cursor moves) from the line with
//! the regex Loki uses (`Decolorizer` in `pkg/logql/log/fmt.go`, from acarl005/stripansi),
//! here with ASCII classes spelled out where Go's `\d` is ASCII-only.
#![deny(clippy::indexing_slicing)]

use regex::bytes::Regex;

use super::{ParseOutcome, PipelineError};

/// Loki's `ansiPattern`: ESC or CSI (U+009B), then either an OSC-like sequence ended by BEL
/// or a CSI sequence ended by its final byte.
const ANSI_PATTERN: &str = concat!(
    r"[\x1B\x{9B}][\[\]()#;?]*",
    r"(?:(?:(?:[a-zA-Z0-9]*(?:;[a-zA-Z0-9]*)*)?\x07)",
    r"|(?:(?:[0-9]{1,4}(?:;[0-9]{0,4})*)?[0-9A-PRZcf-ntqry=><~]))",
);

/// The `decolorize` stage.
#[derive(Debug, Clone)]
pub(super) struct Decolorizer {
    ansi: Regex,
}

impl Decolorizer {
    /// Compiles the escape-sequence regex.
    pub(super) fn new() -> Result<Self, PipelineError> {
        let ansi = Regex::new(ANSI_PATTERN).map_err(|e| PipelineError {
            message: format!("decolorize: {e}"),
        })?;
        Ok(Self { ansi })
    }

    /// `line` without its escape sequences; unchanged when it has none.
    pub(super) fn parse(&self, line: &[u8]) -> ParseOutcome {
        match self.ansi.replace_all(line, &b""[..]) {
            std::borrow::Cow::Borrowed(_) => ParseOutcome::Unchanged,
            std::borrow::Cow::Owned(stripped) => ParseOutcome::NewLine(stripped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(line: &[u8]) -> Vec<u8> {
        match Decolorizer::new().unwrap().parse(line) {
            ParseOutcome::Unchanged => line.to_vec(),
            ParseOutcome::NewLine(new) => new,
            ParseOutcome::Failed { .. } => panic!("decolorize never fails"),
        }
    }

    #[test]
    fn escape_sequences_are_removed() {
        assert_eq!(
            strip(b"\x1b[31mERROR\x1b[0m something \x1b[1;32mhappened\x1b[0m"),
            b"ERROR something happened"
        );
        // Loki's test lines
        assert_eq!(
            strip(b"\x1b[0m\x1b[0;32m  app_1  | \x1b[0m\x1b[0m2024-01-11 INFO Started"),
            b"  app_1  | 2024-01-11 INFO Started"
        );
        assert_eq!(strip(b"\x1b]0;title\x07text"), b"text");
        assert_eq!(strip("\u{9b}31mred".as_bytes()), b"red");
        assert_eq!(strip(b"\x1b[2Kcleared"), b"cleared");
    }

    #[test]
    fn plain_lines_are_unchanged() {
        let decolorizer = Decolorizer::new().unwrap();
        assert_eq!(
            decolorizer.parse(b"plain [31m text"),
            ParseOutcome::Unchanged
        );
        assert_eq!(decolorizer.parse(b""), ParseOutcome::Unchanged);
        // a lone 0x9B byte is not U+009B
        assert_eq!(decolorizer.parse(b"\x9b31m"), ParseOutcome::Unchanged);
    }
}
