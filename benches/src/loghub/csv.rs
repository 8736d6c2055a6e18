//! A small RFC 4180 reader for the loghub CSV files.
//!
//! Fields are separated by `,`, records by CRLF, LF or a bare CR. A field that starts with `"`
//! is quoted: it may hold `,`, line breaks and `""` (one `"`), and must be followed by a
//! separator or the end of the record. A `"` inside an unquoted field is an error, as RFC 4180
//! forbids it. Blank lines between records are skipped, a leading UTF-8 BOM is ignored.
#![deny(clippy::indexing_slicing)]

use std::iter::Peekable;
use std::str::Chars;

/// What is wrong with a CSV file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvProblem {
    /// A quoted field is still open at the end of the file.
    #[error("the quoted field opened on line {opened} is never closed")]
    UnterminatedQuote {
        /// 1-based line of the opening quote.
        opened: usize,
    },
    /// A `"` inside a field that did not start with one.
    #[error("`\"` inside an unquoted field")]
    QuoteInUnquotedField,
    /// Something other than a separator right after a closing quote.
    #[error("`{found}` after a closing quote, where `,` or a line end belongs")]
    TextAfterQuote {
        /// The character found.
        found: char,
    },
    /// A record whose field count differs from the header's.
    #[error("{found} fields where the header has {expected}")]
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in this record.
        found: usize,
    },
    /// The file holds no header record.
    #[error("no header record")]
    NoHeader,
}

/// A problem and the 1-based line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvError {
    pub(crate) line: usize,
    pub(crate) problem: CsvProblem,
}

/// One record and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) line: usize,
    pub(crate) fields: Vec<String>,
}

/// A header and the records under it, each as wide as the header.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<Record>,
}

impl Table {
    /// Parses `text`: the first record is the header.
    pub(crate) fn parse(text: &str) -> Result<Table, CsvError> {
        let mut records = read_records(text)?.into_iter();
        let Some(header) = records.next() else {
            return Err(CsvError {
                line: 1,
                problem: CsvProblem::NoHeader,
            });
        };
        let expected = header.fields.len();
        let rows: Vec<Record> = records.collect();
        if let Some(bad) = rows.iter().find(|r| r.fields.len() != expected) {
            let problem = CsvProblem::FieldCount {
                expected,
                found: bad.fields.len(),
            };
            return Err(CsvError {
                line: bad.line,
                problem,
            });
        }
        Ok(Table {
            header: header.fields,
            rows,
        })
    }

    /// Index of the column named `name`.
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// Reads every record of `text`.
pub(crate) fn read_records(text: &str) -> Result<Vec<Record>, CsvError> {
    let mut reader = Reader {
        chars: text
            .strip_prefix('\u{feff}')
            .unwrap_or(text)
            .chars()
            .peekable(),
        line: 1,
    };
    let mut records = Vec::new();
    while let Some(record) = reader.record()? {
        records.push(record);
    }
    Ok(records)
}

struct Reader<'a> {
    chars: Peekable<Chars<'a>>,
    /// 1-based line of the next character.
    line: usize,
}

impl Reader<'_> {
    /// The next non-blank record, or `None` at the end of the input.
    fn record(&mut self) -> Result<Option<Record>, CsvError> {
        loop {
            match self.chars.peek() {
                None => return Ok(None),
                Some('\n' | '\r') => self.line_break(),
                Some(_) => break,
            }
        }
        let line = self.line;
        let mut fields = Vec::new();
        loop {
            let field = if self.chars.peek() == Some(&'"') {
                self.quoted()?
            } else {
                self.unquoted()?
            };
            fields.push(field);
            match self.chars.peek() {
                Some(',') => {
                    self.chars.next();
                }
                Some('\n' | '\r') => {
                    self.line_break();
                    return Ok(Some(Record { line, fields }));
                }
                None => return Ok(Some(Record { line, fields })),
                Some(&found) => return Err(self.error(CsvProblem::TextAfterQuote { found })),
            }
        }
    }

    /// Consumes one line break: CRLF, LF or a bare CR.
    fn line_break(&mut self) {
        if self.chars.next() == Some('\r') && self.chars.peek() == Some(&'\n') {
            self.chars.next();
        }
        self.line += 1;
    }

    /// A field up to the next separator; stops before it.
    fn unquoted(&mut self) -> Result<String, CsvError> {
        let mut field = String::new();
        while let Some(&c) = self.chars.peek() {
            match c {
                ',' | '\n' | '\r' => break,
                '"' => return Err(self.error(CsvProblem::QuoteInUnquotedField)),
                _ => {
                    field.push(c);
                    self.chars.next();
                }
            }
        }
        Ok(field)
    }

    /// A quoted field, the next character being its opening quote; stops after the closing one.
    fn quoted(&mut self) -> Result<String, CsvError> {
        let opened = self.line;
        self.chars.next();
        let mut field = String::new();
        loop {
            match self.chars.next() {
                None => return Err(self.error(CsvProblem::UnterminatedQuote { opened })),
                Some('"') if self.chars.peek() == Some(&'"') => {
                    self.chars.next();
                    field.push('"');
                }
                Some('"') => return Ok(field),
                Some(c) => {
                    // A CRLF inside quotes counts as one line: only LF and a bare CR advance.
                    if c == '\n' || (c == '\r' && self.chars.peek() != Some(&'\n')) {
                        self.line += 1;
                    }
                    field.push(c);
                }
            }
        }
    }

    fn error(&self, problem: CsvProblem) -> CsvError {
        CsvError {
            line: self.line,
            problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        read_records(text)
            .unwrap()
            .into_iter()
            .map(|r| r.fields)
            .collect()
    }

    /// Writes records the way a conforming writer would: a field is quoted when it holds a
    /// separator, a quote or a line break, or when it is the only field and empty (a blank
    /// line would otherwise read as no record).
    fn write(records: &[Vec<String>]) -> String {
        let mut out = String::new();
        for record in records {
            for (i, field) in record.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let alone_and_empty = record.len() == 1 && field.is_empty();
                if alone_and_empty || field.contains([',', '"', '\r', '\n']) {
                    out.push('"');
                    out.push_str(&field.replace('"', "\"\""));
                    out.push('"');
                } else {
                    out.push_str(field);
                }
            }
            out.push_str("\r\n");
        }
        out
    }

    fn field_strategy() -> impl Strategy<Value = String> {
        // Weighted to the characters that need quoting.
        let ch = prop_oneof![
            3 => Just(','), 3 => Just('"'), 2 => Just('\r'), 2 => Just('\n'),
            1 => Just('é'), 6 => proptest::char::range('a', 'z'),
        ];
        proptest::collection::vec(ch, 0..8).prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn written_records_read_back(
            records in proptest::collection::vec(proptest::collection::vec(field_strategy(), 1..5), 0..6),
        ) {
            prop_assert_eq!(fields(&write(&records)), records);
        }
    }

    #[test]
    fn plain_and_quoted_fields() {
        let got = fields("a,b,c\r\n1,\"x, \"\"y\"\"\",\n");
        assert_eq!(got, vec![vec!["a", "b", "c"], vec!["1", "x, \"y\"", ""]]);
    }

    #[test]
    fn quoted_line_breaks_and_record_lines() {
        let records = read_records("h1,h2\n\"two\nlines\",z\r\n\r\nlast,\"\"").unwrap();
        let lines: Vec<usize> = records.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 2, 5]);
        let fields: Vec<&Vec<String>> = records.iter().map(|r| &r.fields).collect();
        assert_eq!(
            fields,
            [
                &vec!["h1", "h2"],
                &vec!["two\nlines", "z"],
                &vec!["last", ""]
            ]
        );
    }

    #[test]
    fn bom_bare_cr_and_missing_final_newline() {
        assert_eq!(fields("\u{feff}a\rb"), vec![vec!["a"], vec!["b"]]);
        assert_eq!(fields(""), Vec::<Vec<String>>::new());
        assert_eq!(fields(",\n"), vec![vec!["", ""]]);
    }

    #[test]
    fn malformed_input_names_the_line() {
        let err = read_records("a\n\"open\nstill").unwrap_err();
        assert_eq!(
            err,
            CsvError {
                line: 3,
                problem: CsvProblem::UnterminatedQuote { opened: 2 }
            }
        );
        let err = read_records("a\nb\"c").unwrap_err();
        assert_eq!(
            err,
            CsvError {
                line: 2,
                problem: CsvProblem::QuoteInUnquotedField
            }
        );
        let err = read_records("\"a\"b").unwrap_err();
        assert_eq!(err.problem, CsvProblem::TextAfterQuote { found: 'b' });
    }

    #[test]
    fn table_checks_width() {
        let table = Table::parse("x,y\n1,2\n").unwrap();
        assert_eq!(table.column("y"), Some(1));
        assert_eq!(table.column("z"), None);
        let err = Table::parse("x,y\n1,2\n3\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(
            err.problem,
            CsvProblem::FieldCount {
                expected: 2,
                found: 1
            }
        );
        assert_eq!(
            Table::parse("\n\n").unwrap_err().problem,
            CsvProblem::NoHeader
        );
    }
}
