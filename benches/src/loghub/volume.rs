//! Synthesizing a given volume: splitting it across systems, collecting lines in memory, and
//! writing them to files.
//!
//! Volume counts each line plus one byte for its line end: the size of the dumped files. A
//! system's lines stop at the line that brings its total closest to its budget, so each system is
//! within half a line of its budget.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::error::{LoghubError, Result};
use super::synth::{Synthesizer, SystemId};

/// Lines of one system with their timestamps, stored back to back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineBatch {
    /// The lines' bytes, without line ends.
    text: Vec<u8>,
    /// End offset of each line in `text`.
    ends: Vec<usize>,
    timestamps_ns: Vec<i64>,
}

impl LineBatch {
    /// Number of lines.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no lines.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Line `index` (without its line end) and its timestamp in nanoseconds.
    pub fn get(&self, index: usize) -> Option<(i64, &[u8])> {
        let start = if index == 0 {
            0
        } else {
            *self.ends.get(index - 1)?
        };
        let end = *self.ends.get(index)?;
        Some((*self.timestamps_ns.get(index)?, self.text.get(start..end)?))
    }

    /// The lines in order, each with its timestamp in nanoseconds.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &[u8])> + '_ {
        (0..self.len()).filter_map(|index| self.get(index))
    }

    /// The timestamps, strictly increasing.
    pub fn timestamps_ns(&self) -> &[i64] {
        &self.timestamps_ns
    }

    /// Bytes of the lines, without line ends.
    pub fn text_bytes(&self) -> u64 {
        self.text.len() as u64
    }

    /// Bytes of the lines with one line end each: the size of the dumped file.
    pub fn volume_bytes(&self) -> u64 {
        (self.text.len() + self.ends.len()) as u64
    }
}

/// The lines synthesized for one system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLines {
    /// The system's name (the loghub directory name, e.g. `HDFS`).
    pub system: String,
    /// Its lines.
    pub lines: LineBatch,
}

/// A file written by [`dump`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedFile {
    /// The system's name.
    pub system: String,
    /// `<out_dir>/<system>.log`.
    pub path: PathBuf,
    /// Lines written.
    pub lines: u64,
    /// Bytes written, line ends included.
    pub bytes: u64,
}

/// The lines of one system up to a byte budget; see [`Synthesizer::budgeted`].
#[derive(Debug)]
pub struct BudgetedLines<'a> {
    synth: &'a mut Synthesizer,
    id: SystemId,
    budget: u64,
    used: u64,
    done: bool,
}

impl BudgetedLines<'_> {
    /// Appends the next line (without its line end) to `out` and returns its timestamp in
    /// nanoseconds; `None` once the budget is spent.
    pub fn next_into(&mut self, out: &mut Vec<u8>) -> Option<i64> {
        if self.done {
            return None;
        }
        let start = out.len();
        let info = self.synth.write_line(self.id, out);
        let cost = (out.len() - start) as u64 + 1;
        match info {
            Some(info) if admits(self.used, self.budget, cost) => {
                self.used += cost;
                Some(info.timestamp_ns)
            }
            _ => {
                out.truncate(start);
                self.done = true;
                None
            }
        }
    }

    /// Bytes handed out so far, line ends included.
    pub fn used_bytes(&self) -> u64 {
        self.used
    }
}

/// Whether a line of `cost` bytes leaves the total closer to `budget` than stopping before it.
fn admits(used: u64, budget: u64, cost: u64) -> bool {
    let after = used.saturating_add(cost);
    used < budget && (after <= budget || after - budget < budget - used)
}

impl Synthesizer {
    /// `total_bytes` split across the systems in proportion to their sample sizes (largest
    /// remainders get the leftover bytes), in name order. The budgets add up to `total_bytes`.
    pub fn byte_budgets(&self, total_bytes: u64) -> Vec<(SystemId, u64)> {
        let weights: Vec<(SystemId, u128)> = self
            .systems()
            .map(|(id, _)| (id, u128::from(self.sample_bytes(id).unwrap_or(0))))
            .collect();
        let sum: u128 = weights.iter().map(|(_, w)| w).sum();
        if sum == 0 {
            return weights.into_iter().map(|(id, _)| (id, 0)).collect();
        }
        let total = u128::from(total_bytes);
        let mut budgets: Vec<(SystemId, u64, u128)> = weights
            .iter()
            .map(|&(id, w)| {
                (
                    id,
                    u64::try_from(total * w / sum).unwrap_or(u64::MAX),
                    total * w % sum,
                )
            })
            .collect();
        let assigned: u64 = budgets.iter().map(|b| b.1).sum();
        let mut by_remainder: Vec<usize> = (0..budgets.len()).collect();
        by_remainder.sort_by(|&a, &b| budgets[b].2.cmp(&budgets[a].2).then(a.cmp(&b)));
        let leftover = usize::try_from(total_bytes - assigned).unwrap_or(usize::MAX);
        for &index in by_remainder.iter().take(leftover) {
            budgets[index].1 += 1;
        }
        budgets
            .into_iter()
            .map(|(id, budget, _)| (id, budget))
            .collect()
    }

    /// Lines of system `id` until `budget` bytes (line ends included) are as nearly reached as
    /// whole lines allow. The stream continues from where the system's previous lines ended;
    /// the line that would overshoot too far is made and dropped.
    pub fn budgeted(&mut self, id: SystemId, budget: u64) -> BudgetedLines<'_> {
        BudgetedLines {
            synth: self,
            id,
            budget,
            used: 0,
            done: false,
        }
    }

    /// About `total_bytes` of lines (line ends included), split as [`Synthesizer::byte_budgets`]
    /// says, one batch per system in name order.
    pub fn generate(&mut self, total_bytes: u64) -> Vec<SystemLines> {
        let mut out = Vec::new();
        for (id, budget) in self.byte_budgets(total_bytes) {
            let system = self.system_name(id).unwrap_or_default().to_owned();
            let mut batch = LineBatch::default();
            let mut lines = self.budgeted(id, budget);
            while let Some(ts) = lines.next_into(&mut batch.text) {
                batch.ends.push(batch.text.len());
                batch.timestamps_ns.push(ts);
            }
            out.push(SystemLines {
                system,
                lines: batch,
            });
        }
        out
    }

    /// Writes what [`Synthesizer::generate`] would return to `out_dir/<system>.log`, one line
    /// per `\n`, without holding it in memory.
    pub fn dump(&mut self, total_bytes: u64, out_dir: &Path) -> Result<Vec<DumpedFile>> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| LoghubError::Io { path, source }
        };
        fs::create_dir_all(out_dir).map_err(io(out_dir))?;
        let mut files = Vec::new();
        for (id, budget) in self.byte_budgets(total_bytes) {
            let system = self.system_name(id).unwrap_or_default().to_owned();
            let path = out_dir.join(format!("{system}.log"));
            let mut writer = BufWriter::new(File::create(&path).map_err(io(&path))?);
            let mut lines = self.budgeted(id, budget);
            let (mut count, mut buf) = (0, Vec::new());
            while lines.next_into(&mut buf).is_some() {
                buf.push(b'\n');
                count += 1;
                if buf.len() >= 1 << 16 {
                    writer.write_all(&buf).map_err(io(&path))?;
                    buf.clear();
                }
            }
            writer.write_all(&buf).map_err(io(&path))?;
            writer.flush().map_err(io(&path))?;
            let bytes = lines.used_bytes();
            files.push(DumpedFile {
                system,
                path,
                lines: count,
                bytes,
            });
        }
        Ok(files)
    }
}

/// Loads the samples under `dir` and synthesizes about `total_bytes` with `seed`; see
/// [`Synthesizer::generate`].
pub fn generate(dir: &Path, seed: u64, total_bytes: u64) -> Result<Vec<SystemLines>> {
    Ok(Synthesizer::new(dir, seed)?.generate(total_bytes))
}

/// Loads the samples under `dir` and writes about `total_bytes` synthesized with `seed` to
/// `out_dir/<system>.log`; the bytes are those [`generate`] returns for the same arguments.
pub fn dump(dir: &Path, seed: u64, total_bytes: u64, out_dir: &Path) -> Result<Vec<DumpedFile>> {
    Synthesizer::new(dir, seed)?.dump(total_bytes, out_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_stops_closest_to_the_budget() {
        assert!(admits(0, 100, 40));
        assert!(admits(80, 100, 20), "exactly reaches");
        assert!(admits(80, 100, 39), "19 over beats 20 under");
        assert!(!admits(80, 100, 40), "a tie stops");
        assert!(!admits(100, 100, 1));
        assert!(!admits(0, 0, 1));
        assert!(admits(0, 10, 19));
    }

    #[test]
    fn batch_accessors_agree() {
        let batch = LineBatch {
            text: b"abcde".to_vec(),
            ends: vec![2, 2, 5],
            timestamps_ns: vec![1, 2, 3],
        };
        assert_eq!(batch.len(), 3);
        assert_eq!(batch.get(1), Some((2, &b""[..])));
        assert_eq!(batch.get(3), None);
        let all: Vec<(i64, &[u8])> = batch.iter().collect();
        assert_eq!(all, [(1, &b"ab"[..]), (2, &b""[..]), (3, &b"cde"[..])]);
        assert_eq!((batch.text_bytes(), batch.volume_bytes()), (5, 8));
    }
}
