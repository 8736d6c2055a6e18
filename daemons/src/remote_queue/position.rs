//! Where a queue resumes: the WAL position up to which every sample was delivered (or
//! definitively refused), tracked in memory while shards send in parallel and persisted as a
//! small file written atomically (temporary file, fsync, rename, directory fsync).
//!
//! File format, one line: `tsdbd-remote-write-position v1 <segment> <offset>`.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};

use tsdb_core::WalPosition;

use super::RemoteQueueError;

/// The first word of a position file.
const MAGIC: &str = "tsdbd-remote-write-position";
/// The format version this code writes and reads.
const VERSION: &str = "v1";

/// Reads the position saved in `path`; `Ok(None)` when there is no file.
pub(crate) fn load(path: &Path) -> Result<Option<WalPosition>, RemoteQueueError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(RemoteQueueError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    parse(&text)
        .map(Some)
        .ok_or_else(|| RemoteQueueError::BadState {
            path: path.to_owned(),
            reason: format!("expected `{MAGIC} {VERSION} <segment> <offset>`, found {text:?}"),
        })
}

fn parse(text: &str) -> Option<WalPosition> {
    let mut words = text.split_ascii_whitespace();
    let (Some(MAGIC), Some(VERSION)) = (words.next(), words.next()) else {
        return None;
    };
    let segment = words.next()?.parse().ok()?;
    let offset = words.next()?.parse().ok()?;
    words
        .next()
        .is_none()
        .then_some(WalPosition { segment, offset })
}

/// Writes `pos` to `path` atomically.
pub(crate) fn store(path: &Path, pos: WalPosition) -> Result<(), RemoteQueueError> {
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| RemoteQueueError::Io { path: p, source }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp = tmp_path(path);
    let line = format!("{MAGIC} {VERSION} {} {}\n", pos.segment, pos.offset);
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(line.as_bytes()).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Tracks which WAL records are fully delivered. The reader registers each record (with the
/// position after it and the number of samples it handed to shards) in log order; shards report
/// deliveries by sequence number; the delivered position is the position after the longest
/// fully delivered prefix of records.
#[derive(Debug)]
pub(crate) struct Progress {
    /// Sequence number of the first entry in `pending`.
    base: u64,
    /// Per registered record not yet delivered: the position after it and samples outstanding.
    pending: VecDeque<(WalPosition, usize)>,
    /// The position after the last record of the delivered prefix.
    delivered: Option<WalPosition>,
}

impl Progress {
    /// Nothing registered; `delivered` starts at `start` (where reading began).
    pub(crate) fn new(start: Option<WalPosition>) -> Self {
        Self {
            base: 0,
            pending: VecDeque::new(),
            delivered: start,
        }
    }

    /// Registers the next record; returns its sequence number for the shards.
    pub(crate) fn register(&mut self, after: WalPosition, samples: usize) -> u64 {
        let seq = self.base + self.pending.len() as u64;
        self.pending.push_back((after, samples));
        self.advance();
        seq
    }

    /// `n` samples of record `seq` were delivered or refused for good.
    pub(crate) fn done(&mut self, seq: u64, n: usize) {
        let Some(i) = seq.checked_sub(self.base) else {
            return;
        };
        if let Some(entry) = usize::try_from(i)
            .ok()
            .and_then(|i| self.pending.get_mut(i))
        {
            entry.1 = entry.1.saturating_sub(n);
        }
        self.advance();
    }

    fn advance(&mut self) {
        while let Some(&(after, 0)) = self.pending.front() {
            self.pending.pop_front();
            self.base += 1;
            self.delivered = Some(after);
        }
    }

    /// The position every sample before which was delivered.
    pub(crate) fn delivered(&self) -> Option<WalPosition> {
        self.delivered
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pos(segment: u64, offset: u64) -> WalPosition {
        WalPosition { segment, offset }
    }

    #[test]
    fn files_round_trip_and_bad_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/q.position");
        assert!(load(&path).unwrap().is_none());
        store(&path, pos(3, 4096)).unwrap();
        assert_eq!(load(&path).unwrap(), Some(pos(3, 4096)));
        store(&path, pos(4, 0)).unwrap();
        assert_eq!(load(&path).unwrap(), Some(pos(4, 0)));
        for bad in [
            "",
            "tsdbd-remote-write-position v2 1 2",
            "tsdbd-remote-write-position v1 1",
            "tsdbd-remote-write-position v1 1 2 3",
            "tsdbd-remote-write-position v1 -1 2",
        ] {
            std::fs::write(&path, bad).unwrap();
            let err = load(&path).unwrap_err();
            assert!(matches!(err, RemoteQueueError::BadState { .. }), "{bad:?}");
            assert!(err.to_string().contains("q.position"), "{err}");
        }
    }

    #[test]
    fn delivered_is_the_fully_delivered_prefix() {
        let mut p = Progress::new(Some(pos(0, 10)));
        let a = p.register(pos(0, 20), 2);
        let b = p.register(pos(0, 30), 1);
        assert_eq!(p.delivered(), Some(pos(0, 10)));
        p.done(b, 1);
        assert_eq!(p.delivered(), Some(pos(0, 10)), "b waits for a");
        p.done(a, 1);
        assert_eq!(p.delivered(), Some(pos(0, 10)));
        p.done(a, 1);
        assert_eq!(p.delivered(), Some(pos(0, 30)));
        // A record with nothing to send is delivered as soon as everything before it is.
        p.register(pos(1, 0), 0);
        assert_eq!(p.delivered(), Some(pos(1, 0)));
        // Reports for forgotten records are ignored.
        p.done(a, 5);
        assert_eq!(p.delivered(), Some(pos(1, 0)));
    }
}
