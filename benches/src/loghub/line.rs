//! Making the lines of one system from its sample.
//!
//! Each line is made of:
//! 1. a sample row: the row after the previous one with probability [`RUN_PROBABILITY`], so
//!    lines come in runs in the sample's order, keeping its bursts of one event and the values
//!    they share (much of what makes logs compress); otherwise a row drawn uniformly, which
//!    starts a new run. Row `n - 1` is followed by row 0, so every row, and each template with
//!    its frequency in the sample, is equally likely in the long run;
//! 2. a header donor: the row itself, or with probability [`MIX_PROBABILITY`] another row of the
//!    same template with a shape. Its header values and shape (the separators of its raw line)
//!    are taken together, since they go together (a `[pid]` only where there is a pid, padding
//!    that fits the level). Header values are then perturbed like parameters (step 4), which
//!    changes only id-like columns (HPC's `LogId`, pids);
//! 3. the time columns, written from the stream's clock. It starts at the sample's first
//!    timestamp and advances, inside a run, by the sample's gap between the two rows, otherwise
//!    by a gap drawn from the sample's gaps; it never goes back. Gaps longer than
//!    [`MAX_GAP_NS`] are redrawn below it, in whole units of the sample's clock resolution (a
//!    log that shows seconds does not get nanosecond gaps);
//! 4. the content: each parameter value, with probability [`MIX_PROBABILITY`], replaced by the
//!    value at the same position of another row of the template, then, with the probability
//!    that the position holds a new value in the sample, perturbed (see `perturb`).
//!
//! Choices of steps 2 and 4 are remembered for the rest of the run (the donor per header, the
//! replacement per value), and all values of a run are perturbed with one [`Shift`]: a value
//! seen again in the run (the same host in a burst of failed logins, one block id in several
//! HDFS events) comes out the same each time, and counters still count, as in a real burst.
//! Rows whose content does not align with its template are written as they are, and so are raw
//! lines without a shape.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::corpus::{RowContent, RowLayout, SampleRow, SystemModel, TemplateModel, ValueStats};
use super::perturb::{self, Shift};
use super::timefmt::NANOS_PER_SEC;

/// Timestamp of every system's first line for the engine: 2024-01-01T00:00:00Z in nanoseconds.
/// Fixed, so that runs are reproducible; the lines themselves show the sample's own dates.
pub const EPOCH_NS: i64 = 1_704_067_200 * NANOS_PER_SEC;

/// Chance that a parameter, or the header, is taken from another row of the same template,
/// making combinations the sample does not have.
const MIX_PROBABILITY: f64 = 0.15;

/// Chance that a line continues the run of sample rows of the line before (mean run: 20 lines).
const RUN_PROBABILITY: f64 = 0.95;

/// Largest gap between two synthesized lines. The 2k samples are thinned out of much longer
/// logs, so some have hours between lines; a busy stream rarely idles longer than this, and the
/// cap keeps a 1 GiB stream within months rather than centuries. A longer gap is replaced by a
/// uniform one below the cap, so the pace stays irregular.
const MAX_GAP_NS: i64 = 60 * NANOS_PER_SEC;

/// What [`Stream::write_line`] made, besides the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineInfo {
    pub(crate) timestamp_ns: i64,
    /// Index of the sample row the line was made from.
    pub(crate) row: usize,
    /// Index of the template in the system's model.
    pub(crate) template: usize,
}

/// The state of one system's stream of lines.
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    rng: StdRng,
    /// Time from the stream's first line to its latest.
    elapsed_ns: i64,
    /// The sample row of the previous line.
    previous_row: Option<usize>,
    run: RunMemory,
}

/// The choices made in the current run of rows.
#[derive(Debug, Clone, Default)]
struct RunMemory {
    /// (template, header key) → the row whose header and shape replace that header (`None`:
    /// kept).
    donors: HashMap<(usize, usize), Option<usize>>,
    /// (template, position) → value → the row whose value at that position replaces it
    /// (`None`: kept).
    mixes: HashMap<(usize, usize), HashMap<String, Option<usize>>>,
    /// Value → its perturbed form (`None`: kept as it is), whatever its position.
    fresh: HashMap<String, Option<Vec<u8>>>,
    /// How values are perturbed in this run.
    shift: Shift,
}

impl RunMemory {
    /// Forgets the previous run's choices; `shift` perturbs the new one's values.
    fn restart(&mut self, shift: Shift) {
        self.donors.clear();
        self.mixes.clear();
        self.fresh.clear();
        self.shift = shift;
    }
}

/// A uniformly drawn element of `items`.
fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        return None;
    }
    items.get(rng.random_range(0..items.len()))
}

impl Stream {
    pub(crate) fn new(seed: u64) -> Stream {
        Stream {
            rng: StdRng::seed_from_u64(seed),
            elapsed_ns: 0,
            previous_row: None,
            run: RunMemory::default(),
        }
    }

    /// Appends the next line of `model` to `out`.
    pub(crate) fn write_line(&mut self, model: &SystemModel, out: &mut Vec<u8>) -> LineInfo {
        let first = self.previous_row.is_none();
        let (row_index, gap) = self.next_row(model);
        if !first {
            // Strictly increasing timestamps: a zero gap still moves the engine's clock by 1 ns.
            self.elapsed_ns = self.elapsed_ns.saturating_add(gap.max(1));
        }
        let timestamp_ns = EPOCH_NS + self.elapsed_ns;
        let instant_ns = model.clock.base_ns + self.elapsed_ns;
        let info = |template| LineInfo {
            timestamp_ns,
            row: row_index,
            template,
        };
        let Some(row) = model.rows.get(row_index) else {
            return info(0);
        };
        let Some(template) = model.templates.get(row.template) else {
            return info(row.template);
        };
        let donor = self.header_donor(model, row_index, row);
        match (donor, &row.layout) {
            (Some((donor, separators)), _) => {
                let mut separators = separators.iter().map(|s| s.as_bytes());
                for (field, value) in model.fields.iter().zip(&donor.header) {
                    out.extend_from_slice(separators.next().unwrap_or_default());
                    match field.time {
                        Some(time) => time.layout.render(instant_ns, time.unix_offset_s, out),
                        None => self.write_fresh(value, Some(&field.values), out),
                    }
                }
                out.extend_from_slice(separators.next().unwrap_or_default());
                self.write_content(model, row, template, out);
                out.extend_from_slice(separators.next().unwrap_or_default());
            }
            // No row of the template has a shape, so this row has none either: its raw line.
            (None, RowLayout::Raw(raw)) => out.extend_from_slice(raw.as_bytes()),
            (None, RowLayout::Shape(_)) => self.write_content(model, row, template, out),
        }
        info(row.template)
    }

    /// The next sample row and the gap between the previous line and its line (steps 1 and 3).
    fn next_row(&mut self, model: &SystemModel) -> (usize, i64) {
        let rows = model.rows.len().max(1);
        let continued = self
            .previous_row
            .filter(|_| self.rng.random::<f64>() < RUN_PROBABILITY);
        let (row, step) = match continued {
            Some(previous) => (
                (previous + 1) % rows,
                model.clock.steps_ns.get(previous).copied().flatten(),
            ),
            None => {
                self.run.restart(Shift::new(self.rng.random()));
                (self.rng.random_range(0..rows), None)
            }
        };
        let gap = step
            .or_else(|| pick(&mut self.rng, &model.clock.gaps_ns).copied())
            .unwrap_or(0);
        let gap = if gap > MAX_GAP_NS {
            let unit = model.clock.resolution_ns.max(1);
            self.rng.random_range(0..=MAX_GAP_NS / unit) * unit
        } else {
            gap
        };
        self.previous_row = Some(row);
        (row, gap)
    }

    /// The row whose header and shape the line takes, with the shape (step 2); `None` when no
    /// row of the template has a shape.
    fn header_donor<'m>(
        &mut self,
        model: &'m SystemModel,
        row_index: usize,
        row: &'m SampleRow,
    ) -> Option<(&'m SampleRow, &'m Vec<String>)> {
        let template = model.templates.get(row.template)?;
        let own_shape = matches!(row.layout, RowLayout::Shape(_));
        let rng = &mut self.rng;
        let choice = *self
            .run
            .donors
            .entry((row.template, row.header_key))
            .or_insert_with(|| {
                let mix = !own_shape || rng.random::<f64>() < MIX_PROBABILITY;
                if mix {
                    pick(rng, &template.shaped_rows).copied()
                } else {
                    None
                }
            });
        let donor_index = match choice {
            Some(donor) => donor,
            None if own_shape => row_index,
            // The run chose to keep this header, but this row has no shape.
            None => *pick(rng, &template.shaped_rows)?,
        };
        let donor = model.rows.get(donor_index)?;
        match donor.layout {
            RowLayout::Shape(id) => Some((donor, model.shapes.get(id)?)),
            RowLayout::Raw(_) => None,
        }
    }

    /// The content of `row` (step 4).
    fn write_content(
        &mut self,
        model: &SystemModel,
        row: &SampleRow,
        template: &TemplateModel,
        out: &mut Vec<u8>,
    ) {
        let params = match &row.content {
            RowContent::Literal(text) => return out.extend_from_slice(text.as_bytes()),
            RowContent::Params(params) => params,
        };
        let mut pieces = template.template.pieces().iter();
        out.extend_from_slice(pieces.next().map_or(b"", |p| p.as_bytes()));
        for (position, piece) in pieces.enumerate() {
            let own = params.get(position).map_or("", String::as_str);
            let value = self.mixed_value(model, row.template, template, position, own);
            self.write_fresh(value, template.params.get(position), out);
            out.extend_from_slice(piece.as_bytes());
        }
    }

    /// `own`, or the value another row of the template has at `position`, as the run decided.
    fn mixed_value<'m>(
        &mut self,
        model: &'m SystemModel,
        template_index: usize,
        template: &'m TemplateModel,
        position: usize,
        own: &'m str,
    ) -> &'m str {
        let mixes = self
            .run
            .mixes
            .entry((template_index, position))
            .or_default();
        let choice = match mixes.get(own) {
            Some(choice) => *choice,
            None => {
                let mix = self.rng.random::<f64>() < MIX_PROBABILITY;
                let choice = if mix {
                    pick(&mut self.rng, &template.aligned_rows).copied()
                } else {
                    None
                };
                mixes.insert(own.to_owned(), choice);
                choice
            }
        };
        match choice.and_then(|r| model.rows.get(r)).map(|r| &r.content) {
            Some(RowContent::Params(other)) => other.get(position).map_or(own, String::as_str),
            _ => own,
        }
    }

    /// Writes `value`, perturbed or not as the run decided.
    fn write_fresh(&mut self, value: &str, stats: Option<&ValueStats>, out: &mut Vec<u8>) {
        if let Some(decided) = self.run.fresh.get(value) {
            out.extend_from_slice(decided.as_deref().unwrap_or(value.as_bytes()));
            return;
        }
        let decided = match stats {
            Some(stats) if self.rng.random::<f64>() < stats.fresh => {
                let mut changed = Vec::with_capacity(value.len());
                perturb::write_perturbed(value, &stats.variability, self.run.shift, &mut changed);
                Some(changed)
            }
            _ => None,
        };
        out.extend_from_slice(decided.as_deref().unwrap_or(value.as_bytes()));
        self.run.fresh.insert(value.to_owned(), decided);
    }
}
