//! Synthesized log lines modelled on the loghub samples: the input of `capacity logs`.
//!
//! `../shared/data/logs/loghub/<System>/` holds, for 16 systems, 2,000 raw lines
//! (`<System>_2k.log`), the same lines parsed into header fields, content and event template
//! (`<System>_2k.log_structured.csv`), and the templates (`<System>_2k.log_templates.csv`).
//! To reach any volume without repeating the same bytes, lines are made anew from them:
//!
//! - loading (`corpus`): each row's content is aligned with its template into parameter values
//!   (`template`); the raw line is cut at the field values into a shape, the text around them
//!   (`shape`); the time columns' layouts are recognized (`timefmt`); the gaps between the
//!   sample's timestamps give the pace;
//! - synthesis (`synth`, `line`): runs of sample rows, so templates come with their sample
//!   frequency and in their bursts; parameters resampled from the values seen at their position
//!   and sometimes perturbed (`perturb`); header fields and shape taken from a row of the same
//!   template; timestamps written from a clock that only moves forward; every system has its
//!   own seeded stream;
//! - volume (`volume`): a byte total split across systems by sample size, collected in memory
//!   ([`generate`]) or written to `<system>.log` files ([`dump`]).
//!
//! ```no_run
//! use std::path::Path;
//! use benches::loghub::{self, Synthesizer};
//!
//! let dir = Path::new("../shared/data/logs/loghub");
//! let mut synth = Synthesizer::new(dir, 42)?;
//! let line = synth.next_line("HDFS")?;
//! assert!(!line.is_empty());
//! for stream in loghub::generate(dir, 42, 1 << 20)? {
//!     for (timestamp_ns, line) in stream.lines.iter() {
//!         let _ = (timestamp_ns, line);
//!     }
//! }
//! # Ok::<(), loghub::LoghubError>(())
//! ```

mod corpus;
mod csv;
mod error;
mod line;
mod perturb;
mod shape;
mod synth;
mod template;
mod timefmt;
mod volume;

pub use csv::CsvProblem;
pub use error::{LoghubError, Result};
pub use line::EPOCH_NS;
pub use synth::{Synthesizer, SystemId};
pub use volume::{BudgetedLines, DumpedFile, LineBatch, SystemLines, dump, generate};

#[cfg(test)]
#[path = "loghub_tests.rs"]
mod tests;
