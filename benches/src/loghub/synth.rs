//! The line synthesizer: one independent, seeded stream of lines per loghub system.
//!
//! How each line is made is described in `line`.

use std::path::Path;

use super::corpus::{self, SystemModel};
use super::error::{LoghubError, Result};
use super::line::{LineInfo, Stream};

/// A system of a [`Synthesizer`], in name order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SystemId(usize);

impl SystemId {
    /// Position of the system in name order.
    pub fn index(self) -> usize {
        self.0
    }
}

/// Seeded synthesizer of log lines for every loghub system found in a directory.
///
/// Each system has its own random stream, seeded from the seed and the system's name, and its
/// own clock, so the lines of one system do not depend on how many lines of others were made:
/// the same seed gives the same bytes in whatever order systems are asked for.
#[derive(Debug, Clone)]
pub struct Synthesizer {
    systems: Vec<SystemModel>,
    streams: Vec<Stream>,
}

impl Synthesizer {
    /// Loads every `<System>/` sample under `dir` (loghub's layout: `<System>_2k.log`,
    /// `<System>_2k.log_structured.csv`, `<System>_2k.log_templates.csv`).
    pub fn new(dir: &Path, seed: u64) -> Result<Synthesizer> {
        Ok(Synthesizer::from_models(corpus::load_dir(dir)?, seed))
    }

    pub(crate) fn from_models(systems: Vec<SystemModel>, seed: u64) -> Synthesizer {
        let streams = systems
            .iter()
            .map(|s| Stream::new(sub_seed(seed, &s.name)))
            .collect();
        Synthesizer { systems, streams }
    }

    /// The systems, in name order.
    pub fn systems(&self) -> impl ExactSizeIterator<Item = (SystemId, &str)> + '_ {
        self.systems
            .iter()
            .enumerate()
            .map(|(i, s)| (SystemId(i), s.name.as_str()))
    }

    /// The id of the system called `name`.
    pub fn system_id(&self, name: &str) -> Option<SystemId> {
        self.systems
            .iter()
            .position(|s| s.name == name)
            .map(SystemId)
    }

    /// The name of system `id`.
    pub fn system_name(&self, id: SystemId) -> Option<&str> {
        self.systems.get(id.0).map(|s| s.name.as_str())
    }

    /// Size in bytes of the system's raw 2k sample, its weight when a volume is split.
    pub fn sample_bytes(&self, id: SystemId) -> Option<u64> {
        self.systems.get(id.0).map(|s| s.sample_bytes)
    }

    /// The next line of the system called `system`, without a line end.
    pub fn next_line(&mut self, system: &str) -> Result<Vec<u8>> {
        let id = self
            .system_id(system)
            .ok_or_else(|| LoghubError::UnknownSystem(system.into()))?;
        let mut line = Vec::new();
        self.next_line_into(id, &mut line)?;
        Ok(line)
    }

    /// Appends the next line of system `id` (without a line end) to `out` and returns its
    /// timestamp in nanoseconds: [`EPOCH_NS`](super::EPOCH_NS) for the first line, then
    /// strictly increasing.
    pub fn next_line_into(&mut self, id: SystemId, out: &mut Vec<u8>) -> Result<i64> {
        self.write_line(id, out)
            .map(|info| info.timestamp_ns)
            .ok_or_else(|| LoghubError::UnknownSystem(format!("#{}", id.0)))
    }

    /// Appends the next line of system `id` to `out`; `None` if there is no such system.
    pub(crate) fn write_line(&mut self, id: SystemId, out: &mut Vec<u8>) -> Option<LineInfo> {
        let model = self.systems.get(id.0)?;
        Some(self.streams.get_mut(id.0)?.write_line(model, out))
    }

    /// The model of system `id`, for tests that check lines against the sample.
    #[cfg(test)]
    pub(crate) fn model(&self, id: SystemId) -> Option<&SystemModel> {
        self.systems.get(id.0)
    }
}

/// A per-system seed: the seed mixed with an FNV-1a hash of the name (a fixed function, unlike
/// std's hasher), through SplitMix64's finalizer so that nearby seeds give unrelated streams.
fn sub_seed(seed: u64, name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = seed.wrapping_add(hash).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_seeds_differ_by_seed_and_name() {
        assert_eq!(sub_seed(1, "HDFS"), sub_seed(1, "HDFS"));
        assert_ne!(sub_seed(1, "HDFS"), sub_seed(2, "HDFS"));
        assert_ne!(sub_seed(1, "HDFS"), sub_seed(1, "HPC"));
    }
}
