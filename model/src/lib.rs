//! Types every crate of the workspace shares.
//!
//! * [`Labels`]: the sorted, validated label set that names a series.
//! * [`Matcher`]: one label matcher (`=`, `!=`, `=~`, `!~`) with fully anchored RE2-syntax regexes.
//! * [`Sample`]: a millisecond timestamp and a float value; the staleness marker ([`STALE_NAN`]) is
//!   an ordinary value here and is kept bit-exact by every crate.
//! * The storage traits ([`Queryable`], [`SeriesQuerier`], [`Series`], [`SampleIterator`]) that the query
//!   engine reads through and the storage engines implement.
//! * The log types and the log-reading trait ([`LogEntry`], [`Direction`], [`LineFilterChain`],
//!   [`LogSelect`], [`LogQuerier`], [`LogIterator`], [`VecLogQuerier`]) that the LogQL engine
//!   reads through and the log engine implements.
//!
//! ```
//! use model::{Labels, Matcher, MatchType};
//!
//! let series = Labels::from_pairs([("__name__", "up"), ("job", "node")]).unwrap();
//! let m = Matcher::new(MatchType::Regex, "job", "no.*").unwrap();
//! assert!(m.matches(series.get("job").unwrap_or("")));
//! ```
#![forbid(unsafe_code)]

pub mod civil;
mod error;
pub mod exposition;
mod labels;
pub mod logs;
mod matcher;
pub mod relabel;
pub mod remote_write;
mod sample;
mod storage;

pub use error::{LabelError, StorageError};
pub use labels::{
    Label, Labels, LabelsBuilder, METRIC_NAME, is_valid_label_name, is_valid_metric_name,
};
pub use logs::{
    ChunkScanStats, CompiledLineFilter, Direction, IndexStats, LineFilterChain, LineFilterError,
    LineFilterOp, LineFilterStage, LogEntry, LogIterator, LogQuerier, LogSelect, ScanStats,
    VecLogQuerier, Volume, VolumeAggregation, VolumeKey, VolumeRequest,
};
pub use matcher::{MatchType, Matcher};
pub use sample::{STALE_NAN, STALE_NAN_BITS, Sample, is_stale_nan};
pub use storage::{
    Queryable, SampleIterator, Series, SeriesQuerier, SeriesSet, VecQueryable, VecSampleIterator,
};
