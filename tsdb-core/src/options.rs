//! Database options: every field has a default and a unit, and `validate` runs at open.

use std::time::Duration;

use crate::error::{Error, Result};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// When the WAL is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalSync {
    /// After every commit: nothing acknowledged is lost on power failure; slowest.
    EveryCommit,
    /// At most this long after a commit (checked on the next commit and on close). A process
    /// crash loses nothing (the OS has the data); a power failure loses at most this window.
    Interval(Duration),
    /// Only when segments are finished and on close; a power failure can lose the open segment.
    Never,
}

/// How a database is opened.
#[derive(Debug, Clone)]
pub struct Options {
    /// Range of a head-cut block and of a chunk, in ms. Default 2 h (Prometheus's
    /// `--storage.tsdb.min-block-duration`).
    pub block_range_ms: i64,
    /// Blocks whose newest sample is older than this, relative to the newest block, are deleted.
    /// `None` keeps data forever. Default 15 d (Prometheus's `--storage.tsdb.retention.time`).
    pub retention_ms: Option<i64>,
    /// Largest total size in bytes of blocks, WAL and head chunk files before the oldest blocks are
    /// deleted. `None` means no limit (the default).
    pub retention_size_bytes: Option<u64>,
    /// Longest a compacted block may span, in ms. `None` (the default) means 10% of the retention
    /// time, at most 31 d, as Prometheus computes it.
    pub max_block_duration_ms: Option<i64>,
    /// Out-of-order samples up to this many ms older than the head's newest sample are accepted.
    /// `None` (the default) refuses them, like Prometheus's `out_of_order_time_window: 0`.
    pub out_of_order_window_ms: Option<i64>,
    /// WAL fsync policy. Default `Interval(1 s)`.
    pub wal_sync: WalSync,
    /// Largest WAL segment file in bytes. Default 128 MiB.
    pub wal_segment_size: u64,
    /// Whether a commit that leaves the head spanning 1.5 block ranges compacts the head into a
    /// block on the committing thread. Default true; a daemon that compacts from its own loop
    /// turns it off and calls [`Db::compact`](crate::Db::compact).
    pub compact_on_commit: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            block_range_ms: 2 * HOUR_MS,
            retention_ms: Some(15 * DAY_MS),
            retention_size_bytes: None,
            max_block_duration_ms: None,
            out_of_order_window_ms: None,
            wal_sync: WalSync::Interval(Duration::from_secs(1)),
            wal_segment_size: 128 << 20,
            compact_on_commit: true,
        }
    }
}

impl Options {
    /// Refuses option combinations that cannot work.
    pub fn validate(&self) -> Result<()> {
        if self.block_range_ms <= 0 {
            return Err(invalid("block_range_ms", "must be positive"));
        }
        if self.retention_ms.is_some_and(|r| r <= 0) {
            return Err(invalid(
                "retention_ms",
                "must be positive (use None for no limit)",
            ));
        }
        if self.retention_size_bytes == Some(0) {
            return Err(invalid(
                "retention_size_bytes",
                "must be positive (use None for no limit)",
            ));
        }
        if self
            .max_block_duration_ms
            .is_some_and(|m| m < self.block_range_ms)
        {
            return Err(invalid(
                "max_block_duration_ms",
                "must be at least block_range_ms",
            ));
        }
        if self.out_of_order_window_ms.is_some_and(|w| w < 0) {
            return Err(invalid("out_of_order_window_ms", "must not be negative"));
        }
        if self.wal_segment_size < 64 << 10 {
            return Err(invalid("wal_segment_size", "must be at least 64 KiB"));
        }
        Ok(())
    }

    /// The longest block compaction may produce.
    pub fn max_block_duration(&self) -> i64 {
        if let Some(m) = self.max_block_duration_ms {
            return m;
        }
        let by_retention = self.retention_ms.map_or(31 * DAY_MS, |r| r / 10);
        by_retention.clamp(self.block_range_ms, 31 * DAY_MS)
    }

    /// Compaction ranges: the block range times 3, 9, 27, … up to the maximum block duration.
    pub fn compaction_ranges(&self) -> Vec<i64> {
        let max = self.max_block_duration();
        let mut out = vec![self.block_range_ms];
        let mut r = self.block_range_ms;
        while let Some(next) = r.checked_mul(3) {
            if next > max || out.len() >= 10 {
                break;
            }
            out.push(next);
            r = next;
        }
        out
    }
}

fn invalid(name: &'static str, reason: &str) -> Error {
    Error::InvalidOption {
        name,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_prometheus() {
        let o = Options::default();
        assert!(o.validate().is_ok());
        assert_eq!(o.max_block_duration(), 36 * HOUR_MS);
        assert_eq!(
            o.compaction_ranges(),
            vec![2 * HOUR_MS, 6 * HOUR_MS, 18 * HOUR_MS]
        );
        let forever = Options {
            retention_ms: None,
            ..Options::default()
        };
        assert_eq!(forever.max_block_duration(), 31 * DAY_MS);
        assert!(
            Options {
                block_range_ms: 0,
                ..Options::default()
            }
            .validate()
            .is_err()
        );
    }
}
