//! The labels of one entry as the stages see and change them: Loki's `LabelsBuilder`
//! (`pkg/logql/log/labels.go`, v3).
//!
//! An entry starts with its stream's labels (the base). Stages add labels in three categories,
//! which decide who wins when two set the same name: parsed labels (parsers, `label_format`)
//! over structured metadata over stream labels. Structured metadata whose name is also a
//! stream label's is added as `<name>_extracted`, as Loki does. Deleting a label (`drop`,
//! `keep`, a rename's source) hides it from the base and removes it from every category; a
//! later `set` brings it back. `__error__` and `__error_details__` are kept apart and appended
//! to the result when set.
//!
//! Hot path: buffers are reused across entries (clearing keeps their strings' capacity), and
//! an entry nothing changed shares the stream's [`Labels`] without building anything. A
//! changed entry's label set is looked up in a per-stream cache by hash, so the label sets
//! that recur (the common case) are built once.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use model::Labels;

use super::parsers::ParsedLabelSink;

/// The label that carries a stage's error (Loki's `logqlmodel.ErrorLabel`).
pub(crate) const ERROR_LABEL: &str = "__error__";
/// The label that carries the error's description.
pub(crate) const ERROR_DETAILS_LABEL: &str = "__error_details__";
/// Appended to an added label's name when the stream already has a label of that name.
pub(crate) const DUPLICATE_SUFFIX: &str = "_extracted";

/// Most distinct changed label sets kept per stream; past this, new sets are built per entry
/// (a stream whose entries differ by a high-cardinality label, such as a trace id in
/// structured metadata, would otherwise fill memory with sets seen once).
const MAX_CACHED_SETS: usize = 256;

/// Who set a label, which decides which value wins (parsed over metadata over stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    /// A stream label's new value (a rename of a stream label).
    Stream = 0,
    /// Structured metadata of the entry.
    Metadata = 1,
    /// Set by a parser or a `label_format` template.
    Parsed = 2,
}

/// A list of (name, value) pairs whose slots, and their strings' capacity, are reused.
#[derive(Debug, Default)]
pub(crate) struct PairList {
    slots: Vec<(String, String)>,
    len: usize,
}

impl PairList {
    /// Empties the list, keeping its slots.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// The pairs, in insertion order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        self.slots.get(..self.len).unwrap_or_default()
    }

    /// Appends a pair without looking for an earlier one of the same name.
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        match self.slots.get_mut(self.len) {
            Some((n, v)) => {
                n.clear();
                n.push_str(name);
                v.clear();
                v.push_str(value);
            }
            None => self.slots.push((name.to_owned(), value.to_owned())),
        }
        self.len += 1;
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.pairs().iter().position(|(n, _)| n == name)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Replaces `name`'s value, or appends the pair.
    fn set(&mut self, name: &str, value: &str) {
        match self.position(name).and_then(|i| self.slots.get_mut(i)) {
            Some(slot) => {
                slot.1.clear();
                slot.1.push_str(value);
            }
            None => self.push(name, value),
        }
    }

    fn remove(&mut self, name: &str) {
        if let Some(i) = self.position(name) {
            if let Some(tail) = self.slots.get_mut(i..self.len) {
                tail.rotate_left(1);
            }
            self.len -= 1;
        }
    }
}

/// A list of names whose slots are reused, like [`PairList`].
#[derive(Debug, Default)]
struct NameList {
    slots: Vec<String>,
    len: usize,
}

impl NameList {
    fn clear(&mut self) {
        self.len = 0;
    }

    fn names(&self) -> &[String] {
        self.slots.get(..self.len).unwrap_or_default()
    }

    fn contains(&self, name: &str) -> bool {
        self.names().iter().any(|n| n == name)
    }

    fn push(&mut self, name: &str) {
        match self.slots.get_mut(self.len) {
            Some(slot) => {
                slot.clear();
                slot.push_str(name);
            }
            None => self.slots.push(name.to_owned()),
        }
        self.len += 1;
    }
}

/// Where one label of the current set comes from.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// The `i`-th stream label.
    Stream(usize),
    /// The `i`-th pair added in a category.
    Added(Category, usize),
    /// `__error__`.
    Error,
    /// `__error_details__`.
    ErrorDetails,
}

/// The labels of the entry being processed, for one stream. Call [`EntryLabels::reset`]
/// before each entry.
#[derive(Debug)]
pub(crate) struct EntryLabels {
    stream: Labels,
    /// The stream's labels as owned pairs, in name order, for slot lookups.
    stream_pairs: Vec<(String, String)>,
    added: [PairList; 3],
    deleted: NameList,
    /// Names set as parsed labels during this entry (Loki's `ParserLabelHints().Extracted`),
    /// in the order first set.
    extracted: NameList,
    /// How many of `extracted` were set before the running parser stage began.
    extracted_before_stage: usize,
    error: String,
    error_details: String,
    /// Scratch: the current label set, unsorted then sorted.
    current: Vec<Slot>,
    /// Scratch for sanitized metadata names.
    name_buf: String,
    /// Changed label sets seen for this stream, by hash of the sorted pairs.
    built: HashMap<u64, Labels>,
    /// The set returned by the last [`EntryLabels::labels`] call on a changed entry.
    last: Labels,
}

impl EntryLabels {
    /// The labels of an entry of `stream`, before any stage ran.
    pub(crate) fn new(stream: &Labels) -> Self {
        Self {
            stream: stream.clone(),
            stream_pairs: stream
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            added: Default::default(),
            deleted: NameList::default(),
            extracted: NameList::default(),
            extracted_before_stage: 0,
            error: String::new(),
            error_details: String::new(),
            current: Vec::new(),
            name_buf: String::new(),
            built: HashMap::new(),
            last: Labels::empty(),
        }
    }

    /// Forgets what the previous entry's stages did.
    pub(crate) fn reset(&mut self) {
        for list in &mut self.added {
            list.clear();
        }
        self.deleted.clear();
        self.extracted.clear();
        self.extracted_before_stage = 0;
        self.error.clear();
        self.error_details.clear();
    }

    /// Adds the entry's structured metadata: names sanitized as Loki does, a name the stream
    /// already has suffixed with `_extracted`, `__error__` and `__error_details__` taken as
    /// the error.
    pub(crate) fn add_metadata(&mut self, metadata: &[(String, String)]) {
        let mut name = std::mem::take(&mut self.name_buf);
        for (raw_name, value) in metadata {
            name.clear();
            normalize_label_name(raw_name, &mut name);
            if name.is_empty() {
                // No label can have an empty name.
                continue;
            }
            if self.stream_has(&name) {
                name.push_str(DUPLICATE_SUFFIX);
            }
            match name.as_str() {
                ERROR_LABEL => self.set_error(value),
                ERROR_DETAILS_LABEL => self.set_error_details(value),
                _ => self.set(Category::Metadata, &name, value),
            }
        }
        self.name_buf = name;
    }

    /// Marks the start of a parser stage: from now on [`ParsedLabelSink::parsed_has`] answers
    /// for the labels set before it, not for those the stage sets itself.
    pub(crate) fn begin_parser_stage(&mut self) {
        self.extracted_before_stage = self.extracted.len;
    }

    /// True when the stream has a label `name` (Loki's `BaseHas`).
    pub(crate) fn stream_has(&self, name: &str) -> bool {
        self.stream_pairs
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .is_ok()
    }

    /// The value of label `name` now; `None` when absent. An empty value is present.
    /// `__error__` is not a label here: see [`EntryLabels::error`].
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        if let Some(value) = self.added.iter().find_map(|list| list.get(name)) {
            return Some(value);
        }
        if self.deleted.contains(name) {
            return None;
        }
        self.stream_value(name)
    }

    /// The value of label `name` and who set it.
    pub(crate) fn get_with_category(&self, name: &str) -> Option<(&str, Category)> {
        for (list, category) in self.added.iter().zip(CATEGORIES) {
            if let Some(value) = list.get(name) {
                return Some((value, category));
            }
        }
        if self.deleted.contains(name) {
            return None;
        }
        self.stream_value(name).map(|v| (v, Category::Stream))
    }

    fn stream_value(&self, name: &str) -> Option<&str> {
        self.stream_pairs
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .and_then(|i| self.stream_pairs.get(i))
            .map(|(_, v)| v.as_str())
    }

    /// Sets `name` to `value` in `category`, unless a category that wins already has it
    /// (parsed over metadata over stream); setting a name removes it from the categories it
    /// wins over.
    pub(crate) fn set(&mut self, category: Category, name: &str, value: &str) {
        let [stream, metadata, parsed] = &mut self.added;
        match category {
            Category::Parsed => {
                metadata.remove(name);
                stream.remove(name);
            }
            Category::Metadata => {
                stream.remove(name);
                if parsed.contains(name) {
                    return;
                }
            }
            Category::Stream => {
                if metadata.contains(name) || parsed.contains(name) {
                    return;
                }
            }
        }
        self.added[category as usize].set(name, value);
        if category == Category::Parsed && !self.extracted.contains(name) {
            self.extracted.push(name);
        }
    }

    /// Deletes label `name` from every category and hides the stream's.
    pub(crate) fn delete(&mut self, name: &str) {
        for list in &mut self.added {
            list.remove(name);
        }
        if !self.deleted.contains(name) {
            self.deleted.push(name);
        }
    }

    /// The error (`__error__`), empty when none.
    pub(crate) fn error(&self) -> &str {
        &self.error
    }

    /// True when a stage set an error.
    pub(crate) fn has_error(&self) -> bool {
        !self.error.is_empty()
    }

    /// Sets the error.
    pub(crate) fn set_error(&mut self, error: &str) {
        self.error.clear();
        self.error.push_str(error);
    }

    /// The error's details (`__error_details__`), empty when none.
    pub(crate) fn error_details(&self) -> &str {
        &self.error_details
    }

    /// Sets the error's details.
    pub(crate) fn set_error_details(&mut self, details: &str) {
        self.error_details.clear();
        self.error_details.push_str(details);
    }

    /// Sets the error and its details.
    pub(crate) fn fail(&mut self, error: &str, details: &str) {
        self.set_error(error);
        self.set_error_details(details);
    }

    /// Removes the error (`drop __error__`).
    pub(crate) fn clear_error(&mut self) {
        self.error.clear();
    }

    /// Removes the error's details.
    pub(crate) fn clear_error_details(&mut self) {
        self.error_details.clear();
    }

    /// True when no stage changed the labels: the result is the stream's labels.
    pub(crate) fn is_unchanged(&self) -> bool {
        self.deleted.len == 0 && self.added.iter().all(|l| l.len == 0) && !self.has_error()
    }

    /// Calls `f` with each current label, `__error__` and `__error_details__` included when
    /// set, in no particular order (Loki's `UnsortedLabels`).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&str, &str)) {
        self.visit_slots(|slot| {
            let (n, v) = self.resolve(slot);
            f(n, v);
        });
    }

    fn resolve(&self, slot: Slot) -> (&str, &str) {
        let pair = match slot {
            Slot::Stream(i) => self.stream_pairs.get(i),
            Slot::Added(category, i) => self.added[category as usize].pairs().get(i),
            Slot::Error => return (ERROR_LABEL, &self.error),
            Slot::ErrorDetails => return (ERROR_DETAILS_LABEL, &self.error_details),
        };
        pair.map_or(("", ""), |(n, v)| (n.as_str(), v.as_str()))
    }

    /// The slots of the current label set, unsorted.
    fn collect_slots(&self, out: &mut Vec<Slot>) {
        out.clear();
        self.visit_slots(|slot| out.push(slot));
    }

    /// Calls `visit` with the slot of each current label, unsorted.
    fn visit_slots(&self, mut visit: impl FnMut(Slot)) {
        let [stream, metadata, parsed] = &self.added;
        for (i, (name, _)) in self.stream_pairs.iter().enumerate() {
            if self.deleted.contains(name) || metadata.contains(name) || parsed.contains(name) {
                continue;
            }
            match stream.position(name) {
                Some(j) => visit(Slot::Added(Category::Stream, j)),
                None => visit(Slot::Stream(i)),
            }
        }
        // Renamed stream labels under a name the stream does not have.
        for (j, (name, _)) in stream.pairs().iter().enumerate() {
            if !self.stream_has(name) {
                visit(Slot::Added(Category::Stream, j));
            }
        }
        for (j, (name, _)) in metadata.pairs().iter().enumerate() {
            if !parsed.contains(name) {
                visit(Slot::Added(Category::Metadata, j));
            }
        }
        (0..parsed.len).for_each(|j| visit(Slot::Added(Category::Parsed, j)));
        if !self.error.is_empty() {
            visit(Slot::Error);
        }
        if !self.error_details.is_empty() {
            visit(Slot::ErrorDetails);
        }
    }

    /// The entry's final labels: the stream's when nothing changed, else the current set
    /// (labels with empty values are absent from a [`Labels`]).
    pub(crate) fn labels(&mut self) -> &Labels {
        if self.is_unchanged() {
            return &self.stream;
        }
        self.build(|_| true)
    }

    /// The entry's final labels whose names pass `keep`.
    pub(crate) fn labels_where(&mut self, keep: impl Fn(&str) -> bool) -> &Labels {
        self.build(keep)
    }

    /// Builds (or finds in the cache) the current labels whose names pass `keep`.
    fn build(&mut self, keep: impl Fn(&str) -> bool) -> &Labels {
        let mut slots = std::mem::take(&mut self.current);
        self.collect_slots(&mut slots);
        slots.retain(|&s| {
            let (name, value) = self.resolve(s);
            !value.is_empty() && keep(name)
        });
        slots.sort_unstable_by(|&a, &b| self.resolve(a).0.cmp(self.resolve(b).0));
        // Names are unique by construction; this keeps `from_sorted` from ever failing.
        slots.dedup_by(|a, b| self.resolve(*a).0 == self.resolve(*b).0);
        let hash = self.hash_slots(&slots);
        let cached = self
            .built
            .get(&hash)
            .filter(|labels| labels.iter().eq(slots.iter().map(|&s| self.resolve(s))));
        self.last = match cached {
            Some(labels) => labels.clone(),
            None => {
                let pairs = slots.iter().map(|&s| self.resolve(s));
                let labels = Labels::from_sorted(pairs).unwrap_or_else(|_| Labels::empty());
                if self.built.len() < MAX_CACHED_SETS {
                    self.built.insert(hash, labels.clone());
                }
                labels
            }
        };
        self.current = slots;
        &self.last
    }

    fn hash_slots(&self, slots: &[Slot]) -> u64 {
        let mut hasher = FIXED_HASH.build_hasher();
        for &slot in slots {
            let (n, v) = self.resolve(slot);
            hasher.write(n.as_bytes());
            hasher.write_u8(0xff);
            hasher.write(v.as_bytes());
            hasher.write_u8(0xff);
        }
        hasher.finish()
    }
}

const CATEGORIES: [Category; 3] = [Category::Stream, Category::Metadata, Category::Parsed];

/// The hasher of the label-set cache (keys are verified on lookup, so any hash will do).
const FIXED_HASH: std::hash::BuildHasherDefault<std::hash::DefaultHasher> =
    std::hash::BuildHasherDefault::new();

/// Parsers write through this. `base_has` answers for the stream's labels only, as Loki's
/// `BaseHas` does: a parsed label named like a structured metadata one replaces it.
impl ParsedLabelSink for EntryLabels {
    fn base_has(&self, name: &str) -> bool {
        self.stream_has(name)
    }

    fn parsed_has(&self, name: &str) -> bool {
        let before = self.extracted.names();
        before
            .get(..self.extracted_before_stage)
            .unwrap_or(before)
            .iter()
            .any(|n| n == name)
    }

    fn set_parsed(&mut self, name: &str, value: &str) {
        self.set(Category::Parsed, name, value);
    }
}

/// Prometheus's OTLP `NormalizeLabel`, which Loki applies to structured metadata names:
/// characters other than letters and digits become `_`, a leading digit gets `key_` in front
/// and a single leading `_` gets `key`. Letters and digits are ASCII here (a label name must
/// be ASCII); Loki keeps other Unicode letters, which no valid label name has.
pub(crate) fn normalize_label_name(name: &str, out: &mut String) {
    let start = out.len();
    out.extend(
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
    );
    let normalized = out.get(start..).unwrap_or_default();
    let prefix = match normalized.as_bytes() {
        [first, ..] if first.is_ascii_digit() => "key_",
        [b'_', second, ..] if *second != b'_' => "key",
        [b'_'] => "key",
        _ => "",
    };
    out.insert_str(start, prefix);
}

#[cfg(test)]
#[path = "labels_tests.rs"]
mod tests;
