//! Importing exposition-format files (Prometheus text or OpenMetrics, with timestamps) into
//! blocks, like `promtool tsdb create-blocks-from openmetrics`.
//!
//! One pass over the input: each sample goes straight into its series' chunk, cut at 120 samples
//! or at a block boundary, so no chunk spans two blocks; at the end one block is written per
//! aligned block range that holds data. No WAL and no head are involved: the input file is the
//! durable copy until the blocks are renamed into place. Memory holds the compressed chunks
//! (about 1.3 bytes per sample on real data) and the series' labels.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use model::Labels;
use model::exposition::{Entry, Format, Parser};

use crate::block::meta::BlockMeta;
use crate::block::writer::{BlockPlan, write_block};
use crate::error::{Error, Result};
use crate::head::series::{SeriesState, range_end, range_start};
use crate::querier::series::{ChunkData, TimedChunk};

/// How to import.
#[derive(Debug, Clone)]
pub struct BackfillOptions {
    /// Range of each written block, in ms. Default 2 h, as promtool's.
    pub block_duration_ms: i64,
    /// Input format; `None` detects it (OpenMetrics when the input ends with `# EOF`).
    pub format: Option<Format>,
    /// Name of the input for error messages.
    pub source: PathBuf,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        Self {
            block_duration_ms: 2 * 3_600_000,
            format: None,
            source: PathBuf::from("<input>"),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct BackfillReport {
    /// Samples stored.
    pub samples: u64,
    /// Distinct series.
    pub series: u64,
    /// Samples skipped because they repeated the previous sample of their series exactly.
    pub duplicates: u64,
    /// The blocks written, oldest first.
    pub blocks: Vec<BlockMeta>,
}

/// One series being imported.
struct ImportSeries {
    labels: Labels,
    state: SeriesState,
    /// Finished chunks, in time order.
    done: Vec<TimedChunk<'static>>,
}

/// Imports `input` into new blocks in `out_dir` (created if missing). `progress` is called now
/// and then with the number of input bytes consumed. Every sample needs a timestamp; samples of a
/// series must come in increasing time order (as promtool requires).
pub fn backfill(
    input: &[u8],
    out_dir: &Path,
    opts: &BackfillOptions,
    mut progress: impl FnMut(usize),
) -> Result<BackfillReport> {
    if opts.block_duration_ms <= 0 {
        return Err(Error::InvalidOption {
            name: "block_duration_ms",
            reason: "must be positive".into(),
        });
    }
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io("create", out_dir, e))?;
    let format = opts.format.unwrap_or_else(|| Format::detect(input));
    let mut parser = Parser::new(input, format);
    let mut series: Vec<ImportSeries> = Vec::new();
    let mut by_text: HashMap<&[u8], usize> = HashMap::new();
    let mut by_labels: HashMap<Labels, usize> = HashMap::new();
    let mut report = BackfillReport::default();
    let range = opts.block_duration_ms;
    let parse_err = |line: u64, reason: String| Error::Parse {
        path: opts.source.clone(),
        line,
        reason,
    };
    let mut next_progress = 0usize;

    loop {
        let (value, t) = match parser.next() {
            None => break,
            Some(Err(e)) => return Err(parse_err(e.line(), e.kind().to_string())),
            Some(Ok(Entry::Sample {
                value,
                timestamp_ms,
                ..
            })) => match timestamp_ms {
                Some(t) => (value, t),
                None => return Err(parse_err(parser.line(), "sample has no timestamp".into())),
            },
            Some(Ok(_)) => continue,
        };
        let text = parser.series_bytes();
        let idx = match by_text.get(text) {
            Some(&i) => i,
            None => {
                let labels = parser
                    .series_labels()
                    .map_err(|e| parse_err(e.line(), e.kind().to_string()))?;
                let i = *by_labels.entry(labels.clone()).or_insert_with(|| {
                    series.push(ImportSeries {
                        labels,
                        state: SeriesState::default(),
                        done: Vec::new(),
                    });
                    series.len() - 1
                });
                by_text.insert(text, i);
                i
            }
        };
        let Some(s) = series.get_mut(idx) else {
            continue;
        };
        match s.state.last {
            Some(last) if t < last.t || (t == last.t && value.to_bits() != last.v.to_bits()) => {
                let what = if t == last.t {
                    "duplicate timestamp with a different value"
                } else {
                    "out of order sample"
                };
                return Err(parse_err(
                    parser.line(),
                    format!("{what} for series {} at {t}", s.labels),
                ));
            }
            Some(last) if t == last.t => {
                report.duplicates += 1;
                continue;
            }
            _ => {}
        }
        if let Some(cut) = s.state.append_in_order(t, value, range) {
            s.done.push(TimedChunk {
                mint: cut.mint(),
                maxt: cut.maxt(),
                data: ChunkData::Owned(cut.chunk.bytes().to_vec()),
            });
        }
        report.samples += 1;
        let consumed = input.len().saturating_sub(parser_remaining(&parser, input));
        if consumed >= next_progress {
            progress(consumed);
            next_progress = consumed + (4 << 20);
        }
    }
    progress(input.len());
    drop(by_text);
    report.series = series.len() as u64;
    report.blocks = write_blocks(series, out_dir, range)?;
    Ok(report)
}

/// Bytes of `input` the parser has not reached yet, estimated from the current line's series
/// text (which borrows the input).
fn parser_remaining(parser: &Parser<'_>, input: &[u8]) -> usize {
    let s = parser.series_bytes();
    let start = input.as_ptr() as usize;
    let at = (s.as_ptr() as usize).saturating_sub(start);
    input.len().saturating_sub(at)
}

/// Writes one block per aligned range.
fn write_blocks(series: Vec<ImportSeries>, out_dir: &Path, range: i64) -> Result<Vec<BlockMeta>> {
    // range start → (labels, chunks) of the series with data there.
    let mut per_block: BTreeMap<i64, Vec<(Labels, Vec<TimedChunk<'static>>)>> = BTreeMap::new();
    for mut s in series {
        if let Some(open) = s.state.open.take() {
            s.done.push(TimedChunk {
                mint: open.mint(),
                maxt: open.maxt(),
                data: ChunkData::Owned(open.chunk.bytes().to_vec()),
            });
        }
        let mut current: Option<(i64, Vec<TimedChunk<'static>>)> = None;
        for c in s.done {
            let start = range_start(c.mint, range);
            match &mut current {
                Some((st, chunks)) if *st == start => chunks.push(c),
                _ => {
                    if let Some((st, chunks)) = current.take() {
                        per_block
                            .entry(st)
                            .or_default()
                            .push((s.labels.clone(), chunks));
                    }
                    current = Some((start, vec![c]));
                }
            }
        }
        if let Some((st, chunks)) = current {
            per_block.entry(st).or_default().push((s.labels, chunks));
        }
    }
    let mut metas = Vec::new();
    for (start, mut entries) in per_block {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let labels: Vec<Labels> = entries.iter().map(|e| e.0.clone()).collect();
        let mut chunks: Vec<Option<Vec<TimedChunk<'static>>>> =
            entries.into_iter().map(|e| Some(e.1)).collect();
        let plan = BlockPlan {
            mint: start,
            maxt: range_end(start, range),
            level: 1,
            parents: Vec::new(),
        };
        let meta = write_block(out_dir, plan, &labels, |i, out| {
            if let Some(c) = chunks.get_mut(i).and_then(Option::take) {
                out.extend(c);
            }
            Ok(())
        })?;
        metas.extend(meta);
    }
    Ok(metas)
}
