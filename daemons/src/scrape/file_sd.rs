//! File-based service discovery (`file_sd_configs`), as Prometheus's `discovery/file`.
//!
//! Each pattern (a `*` allowed in the last path element) names JSON (`.json`) or YAML files
//! holding a list of `{targets: [...], labels: {...}}` groups; every group gets
//! `__meta_filepath`. A file that cannot be read or parsed keeps the groups it had last time
//! (the error is logged), as Prometheus does; a file that disappears takes its groups with it.
//! [`FileSdState::poll`] re-reads files whose modification time or size changed, and every file
//! when the refresh interval has passed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use model::Labels;
use serde::Deserialize;

use super::target::TargetGroup;
use crate::config::FileSdConfig;

/// Longest time between two checks of the files' modification times.
pub(crate) const MAX_POLL_PERIOD: Duration = Duration::from_secs(2);

/// Why a file-SD file could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileSdError {
    /// Reading the file failed.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The content is not a list of target groups.
    #[error("parsing {path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

/// One target group as written in a file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    #[serde(default)]
    targets: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

/// Modification time and size: a change of either means the file is read again.
type Stamp = (Option<SystemTime>, u64);

/// The files of one job's `file_sd_configs` and the groups last read from each.
#[derive(Debug)]
pub(crate) struct FileSdState {
    configs: Vec<FileSdConfig>,
    /// Groups by file, from its last successful read.
    groups: BTreeMap<PathBuf, Vec<TargetGroup>>,
    /// Stamp of each file when it was last read.
    stamps: BTreeMap<PathBuf, Stamp>,
    last_full_read: Option<std::time::Instant>,
}

impl FileSdState {
    /// Nothing read yet; call [`poll`](Self::poll).
    pub(crate) fn new(configs: Vec<FileSdConfig>) -> Self {
        FileSdState {
            configs,
            groups: BTreeMap::new(),
            stamps: BTreeMap::new(),
            last_full_read: None,
        }
    }

    /// How often to call [`poll`](Self::poll): the shortest refresh interval, at most
    /// [`MAX_POLL_PERIOD`].
    pub(crate) fn poll_period(&self) -> Duration {
        self.configs
            .iter()
            .map(|c| c.refresh_interval)
            .filter(|d| !d.is_zero())
            .min()
            .unwrap_or(MAX_POLL_PERIOD)
            .min(MAX_POLL_PERIOD)
    }

    fn refresh_interval(&self) -> Duration {
        self.configs
            .iter()
            .map(|c| c.refresh_interval)
            .min()
            .unwrap_or(crate::config::DEFAULT_FILE_SD_REFRESH)
    }

    /// Re-reads new and changed files (every file once the refresh interval has passed) and
    /// forgets vanished ones. True when the groups changed.
    pub(crate) fn poll(&mut self) -> bool {
        let now = std::time::Instant::now();
        let full = self
            .last_full_read
            .is_none_or(|at| now.duration_since(at) >= self.refresh_interval());
        if full {
            self.last_full_read = Some(now);
        }
        let files = self.matching_files();
        let before = self.groups.clone();
        self.groups.retain(|path, _| files.contains(path));
        self.stamps.retain(|path, _| files.contains(path));
        for path in &files {
            let stamp = stamp_of(path);
            if !full && self.stamps.get(path) == Some(&stamp) {
                continue;
            }
            self.stamps.insert(path.clone(), stamp);
            match read_file(path) {
                Ok(groups) => {
                    self.groups.insert(path.clone(), groups);
                }
                Err(e) => {
                    tracing::error!(error = %e, "file service discovery: keeping the last targets read")
                }
            }
        }
        self.groups != before
    }

    /// Every group of every file, in file order.
    pub(crate) fn groups(&self) -> Vec<TargetGroup> {
        self.groups.values().flatten().cloned().collect()
    }

    /// The files the patterns match now, sorted, each once.
    fn matching_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self
            .configs
            .iter()
            .flat_map(|c| c.files.iter())
            .flat_map(|pattern| match expand(pattern) {
                Ok(files) => files,
                Err(e) => {
                    tracing::error!(pattern = %pattern.display(), error = %e, "file service discovery: listing files failed");
                    Vec::new()
                }
            })
            .collect();
        files.sort();
        files.dedup();
        files
    }
}

fn stamp_of(path: &Path) -> Stamp {
    match std::fs::metadata(path) {
        Ok(m) => (m.modified().ok(), m.len()),
        Err(_) => (None, 0),
    }
}

/// The files `pattern` names: itself when it has no `*` (and exists), else the directory's
/// entries whose name matches the last element.
fn expand(pattern: &Path) -> std::io::Result<Vec<PathBuf>> {
    let name = pattern
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains('*') {
        return Ok(if pattern.is_file() {
            vec![pattern.to_owned()]
        } else {
            Vec::new()
        });
    }
    let dir = match pattern.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if star_match(&name, &file_name) && entry.path().is_file() {
            out.push(entry.path());
        }
    }
    Ok(out)
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
pub(crate) fn star_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return name.is_empty();
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = rest.get(i + part.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Reads one file's target groups; JSON by a `.json` extension, YAML otherwise.
pub(crate) fn read_file(path: &Path) -> Result<Vec<TargetGroup>, FileSdError> {
    let text = std::fs::read_to_string(path).map_err(|source| FileSdError::Read {
        path: path.to_owned(),
        source,
    })?;
    let parse_err = |reason: String| FileSdError::Parse {
        path: path.to_owned(),
        reason,
    };
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let raw: Option<Vec<Option<RawGroup>>> = if is_json {
        serde_json::from_str(&text).map_err(|e| parse_err(e.to_string()))?
    } else {
        serde_yaml_ng::from_str(&text).map_err(|e| parse_err(e.to_string()))?
    };
    let filepath = path.display().to_string();
    let mut groups = Vec::new();
    for raw in raw.unwrap_or_default() {
        let Some(raw) = raw else {
            return Err(parse_err("nil target group item found".into()));
        };
        let mut labels = raw.labels.unwrap_or_default();
        if let Some(bad) = labels.keys().find(|n| !model::is_valid_label_name(n)) {
            return Err(parse_err(format!("{bad:?} is not a valid label name")));
        }
        labels.insert("__meta_filepath".into(), filepath.clone());
        let labels = Labels::from_pairs(labels).map_err(|e| parse_err(e.to_string()))?;
        groups.push(TargetGroup::from_addresses(
            &raw.targets.unwrap_or_default(),
            labels,
        ));
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_like_a_glob_in_one_element() {
        assert!(star_match("*.json", "a.json"));
        assert!(star_match("nodes-*.yml", "nodes-1.yml"));
        assert!(star_match("a*b*c", "abc"));
        assert!(star_match("a*b*c", "axxbyyc"));
        assert!(!star_match("a*b*c", "axxbyy"));
        assert!(!star_match("*.json", "a.yml"));
        assert!(star_match("exact.yml", "exact.yml"));
        assert!(!star_match("ab*ba", "aba"));
    }

    #[test]
    fn reads_json_and_yaml_groups_with_the_filepath_label() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let json = dir.path().join("a.json");
        std::fs::write(
            &json,
            r#"[{"targets": ["h1:1", "h2:2"], "labels": {"env": "prod"}}]"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let yaml = dir.path().join("b.yml");
        std::fs::write(&yaml, "- targets: ['h3:3']\n").unwrap_or_else(|e| panic!("{e}"));
        let groups = read_file(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].targets.len(), 2);
        assert_eq!(groups[0].labels.get("env"), Some("prod"));
        assert_eq!(
            groups[0].labels.get("__meta_filepath"),
            Some(json.display().to_string().as_str())
        );
        let groups = read_file(&yaml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(groups[0].targets[0].get("__address__"), Some("h3:3"));
    }

    #[test]
    fn bad_files_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let bad_label = dir.path().join("c.yml");
        std::fs::write(&bad_label, "- targets: [x]\n  labels: {'0bad': v}\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let err = read_file(&bad_label).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("\"0bad\" is not a valid label name")));
        let null_item = dir.path().join("d.yml");
        std::fs::write(&null_item, "- ~\n").unwrap_or_else(|e| panic!("{e}"));
        let err = read_file(&null_item).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("nil target group item found")));
        let missing = read_file(&dir.path().join("none.json"));
        assert!(matches!(missing, Err(FileSdError::Read { .. })));
    }

    #[test]
    fn poll_sees_new_changed_and_vanished_files_and_keeps_groups_of_broken_ones() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut state = FileSdState::new(vec![FileSdConfig {
            files: vec![dir.path().join("*.yml")],
            refresh_interval: Duration::from_secs(3600),
        }]);
        assert!(!state.poll());
        let a = dir.path().join("a.yml");
        std::fs::write(&a, "- targets: ['h1:1']\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(state.poll());
        assert_eq!(state.groups().len(), 1);
        assert!(
            !state.poll(),
            "unchanged files are not re-read into a change"
        );
        std::fs::write(&a, "- targets: ['h1:1', 'h2:2']\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(state.poll());
        assert_eq!(state.groups()[0].targets.len(), 2);
        std::fs::write(&a, "- targets: [unclosed\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(!state.poll(), "a broken file keeps its last groups");
        assert_eq!(state.groups()[0].targets.len(), 2);
        std::fs::remove_file(&a).unwrap_or_else(|e| panic!("{e}"));
        assert!(state.poll());
        assert!(state.groups().is_empty());
    }
}
