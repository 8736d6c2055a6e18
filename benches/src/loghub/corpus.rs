//! Loading one loghub system into what the synthesizer samples from: its rows aligned to their
//! templates, the shapes of its raw lines, the layouts of its time columns and its pace.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::csv::{CsvError, Record, Table};
use super::error::{LoghubError, Result};
use super::perturb::Variability;
use super::shape::{self, ShapeTable};
use super::template::Template;
use super::timefmt::{self, Layout, NANOS_PER_SEC, PartialTime};

/// Gap between lines of a system whose sample shows no time passing (or has no time columns).
const DEFAULT_GAP_NS: i64 = NANOS_PER_SEC / 1000;

/// One system's sample, ready to synthesize from.
///
/// Invariants: `rows` is not empty; every row's `template` indexes `templates`, its `header` has
/// one value per entry of `fields`, and a shaped row's shape (in `shapes`) has
/// `fields.len() + 2` separators; every template lists at least one row.
#[derive(Debug, Clone)]
pub(crate) struct SystemModel {
    pub(crate) name: String,
    /// Size of the raw `<System>_2k.log`, the weight of the system in a volume split.
    pub(crate) sample_bytes: u64,
    pub(crate) fields: Vec<HeaderField>,
    pub(crate) shapes: Vec<Vec<String>>,
    pub(crate) templates: Vec<TemplateModel>,
    pub(crate) rows: Vec<SampleRow>,
    pub(crate) clock: ClockModel,
}

/// A header column (any column but `LineId`, `Content`, `EventId` and `EventTemplate`).
#[derive(Debug, Clone)]
pub(crate) struct HeaderField {
    /// How to write the synthesized clock into it; `None` for a column whose values are
    /// resampled.
    pub(crate) time: Option<TimeColumn>,
    /// For a resampled column, the share of distinct values among the rows and which parts of
    /// them vary, as for a template parameter (an id column such as HPC's `LogId` is always
    /// fresh, a level never).
    pub(crate) values: ValueStats,
}

/// How the values seen at one place (a template parameter, a header column) vary: what
/// perturbation needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct ValueStats {
    /// Distinct values over values: the chance that a synthesized value is perturbed rather
    /// than reused.
    pub(crate) fresh: f64,
    /// Which parts of the values vary.
    pub(crate) variability: Variability,
}

impl ValueStats {
    fn learn<'a>(values: impl Iterator<Item = &'a str> + Clone) -> ValueStats {
        let distinct: HashSet<&str> = values.clone().collect();
        let fresh = distinct.len() as f64 / values.clone().count().max(1) as f64;
        ValueStats {
            fresh,
            variability: Variability::learn(values),
        }
    }
}

/// A column that holds (part of) the timestamp.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeColumn {
    pub(crate) layout: &'static Layout,
    /// Unix seconds minus the civil time of the same row (the zone offset, e.g. BGL's `-0700`),
    /// as seen on the first row; 0 for other layouts.
    pub(crate) unix_offset_s: i64,
}

/// One structured row of the sample.
#[derive(Debug, Clone)]
pub(crate) struct SampleRow {
    pub(crate) template: usize,
    /// Value of every header field, time fields included (as in the sample).
    pub(crate) header: Vec<String>,
    /// Rows with the same values in the header fields that are not time fields share this id.
    pub(crate) header_key: usize,
    pub(crate) layout: RowLayout,
    pub(crate) content: RowContent,
    /// The instant of the row's time columns (0 without time columns).
    pub(crate) instant_ns: i64,
}

/// How a row's raw line is laid out.
#[derive(Debug, Clone)]
pub(crate) enum RowLayout {
    /// Index into [`SystemModel::shapes`].
    Shape(usize),
    /// The field values do not occur in order in the raw line; it is kept as it is.
    Raw(String),
}

/// A row's content.
#[derive(Debug, Clone)]
pub(crate) enum RowContent {
    /// The values of the template's parameters, in order.
    Params(Vec<String>),
    /// The content does not align with its template; it is kept as it is.
    Literal(String),
}

/// A template and the rows made from it.
#[derive(Debug, Clone)]
pub(crate) struct TemplateModel {
    pub(crate) event_id: String,
    pub(crate) template: Template,
    /// Every row of this template.
    pub(crate) rows: Vec<usize>,
    /// Rows with a shape: the donors of header values and layout.
    pub(crate) shaped_rows: Vec<usize>,
    /// Rows whose content aligned: the donors of parameter values.
    pub(crate) aligned_rows: Vec<usize>,
    /// Per parameter, how its values vary among the aligned rows. An id that never repeats is
    /// always fresh; an enumeration (a state, a log level) almost never.
    pub(crate) params: Vec<ValueStats>,
}

/// Where the synthesized clock starts and how it advances.
#[derive(Debug, Clone)]
pub(crate) struct ClockModel {
    /// Instant of the sample's first row: the first synthesized line shows it.
    pub(crate) base_ns: i64,
    /// Gaps between consecutive lines of the sample in time order, never negative; never empty.
    pub(crate) gaps_ns: Vec<i64>,
    /// Per row, the gap to the next row in file order, or `None` where the sample goes back in
    /// time and at the last row: the pace inside a run of rows.
    pub(crate) steps_ns: Vec<Option<i64>>,
    /// The coarsest of 1 s, 1 ms, 1 µs and 1 ns that divides every gap: the resolution of the
    /// sample's clock, which a gap the synthesizer draws itself keeps.
    pub(crate) resolution_ns: i64,
}

/// Loads every `<System>/` of `dir` that holds a `<System>_2k.log`, in name order.
pub(crate) fn load_dir(dir: &Path) -> Result<Vec<SystemModel>> {
    let io = |source| LoghubError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if entry.path().join(format!("{name}_2k.log")).is_file() {
            names.push(name);
        }
    }
    names.sort();
    if names.is_empty() {
        return Err(LoghubError::NoSystems {
            dir: dir.to_owned(),
        });
    }
    names
        .iter()
        .map(|name| load_system(&dir.join(name), name))
        .collect()
}

/// The three files of a system's sample.
struct SampleFiles {
    raw: PathBuf,
    structured: PathBuf,
    templates: PathBuf,
}

/// Where the columns every structured CSV has are.
struct Columns {
    content: usize,
    event_id: usize,
    event_template: usize,
    /// The header columns, in file order.
    header: Vec<usize>,
}

/// Loads the system `name` from its directory `dir`.
fn load_system(dir: &Path, name: &str) -> Result<SystemModel> {
    let files = SampleFiles {
        raw: dir.join(format!("{name}_2k.log")),
        structured: dir.join(format!("{name}_2k.log_structured.csv")),
        templates: dir.join(format!("{name}_2k.log_templates.csv")),
    };
    let raw_text = read(&files.raw)?;
    let table = read_table(&files.structured)?;
    if table.rows.is_empty() {
        return Err(LoghubError::EmptySample {
            path: files.structured,
        });
    }
    let columns = Columns::locate(&table, &files.structured)?;
    let mut templates = load_templates(&files.templates)?;
    let raw_lines: Vec<&str> = raw_lines(&raw_text);
    if raw_lines.len() != table.rows.len() {
        let (raw_lines, rows) = (raw_lines.len(), table.rows.len());
        return Err(LoghubError::LineCountMismatch {
            path: files.raw,
            raw_lines,
            rows,
        });
    }
    let mut fields = header_fields(&table, &columns, &files.structured)?;
    let sample = Sample {
        table: &table,
        columns: &columns,
        raw_lines: &raw_lines,
        path: &files.structured,
    };
    let (rows, shapes) = build_rows(&sample, &mut fields, &templates)?;
    set_unix_offsets(&mut fields, &table, &columns);
    let clock = clock_model(&rows);
    let rows = group_by_template(rows, &mut templates);
    for (index, field) in fields.iter_mut().enumerate() {
        if field.time.is_none() {
            field.values = ValueStats::learn(rows.iter().map(|r| cell(&r.header, index)));
        }
    }
    let sample_bytes = raw_text.len() as u64;
    let name = name.to_owned();
    Ok(SystemModel {
        name,
        sample_bytes,
        fields,
        shapes,
        templates,
        rows,
        clock,
    })
}

/// Lists each template's rows and learns its parameters; drops the templates the templates
/// file lists but no row uses (they cannot be drawn), renumbering the rows' template indices.
fn group_by_template(
    mut rows: Vec<SampleRow>,
    templates: &mut Vec<TemplateModel>,
) -> Vec<SampleRow> {
    for (index, row) in rows.iter().enumerate() {
        let Some(template) = templates.get_mut(row.template) else {
            continue;
        };
        template.rows.push(index);
        if matches!(row.layout, RowLayout::Shape(_)) {
            template.shaped_rows.push(index);
        }
        if matches!(row.content, RowContent::Params(_)) {
            template.aligned_rows.push(index);
        }
    }
    templates.retain(|t| !t.rows.is_empty());
    for (new_index, template) in templates.iter_mut().enumerate() {
        for &row in &template.rows {
            if let Some(row) = rows.get_mut(row) {
                row.template = new_index;
            }
        }
    }
    for template in templates.iter_mut() {
        template.params = parameter_stats(template, &rows);
    }
    rows
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|source| LoghubError::Io {
        path: path.to_owned(),
        source,
    })
}

fn read_table(path: &Path) -> Result<Table> {
    Table::parse(&read(path)?).map_err(|CsvError { line, problem }| LoghubError::Csv {
        path: path.to_owned(),
        line,
        problem,
    })
}

/// The lines of a raw log without their line ends (CRLF or LF); a final line end ends the
/// last line rather than starting an empty one.
fn raw_lines(text: &str) -> Vec<&str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

impl Columns {
    fn locate(table: &Table, path: &Path) -> Result<Columns> {
        let find = |column: &'static str| {
            table
                .column(column)
                .ok_or_else(|| LoghubError::MissingColumn {
                    path: path.to_owned(),
                    column,
                })
        };
        let (content, event_id, event_template) =
            (find("Content")?, find("EventId")?, find("EventTemplate")?);
        let line_id = table.column("LineId");
        let header = (0..table.header.len())
            .filter(|&c| c != content && c != event_id && c != event_template)
            .filter(|&c| Some(c) != line_id)
            .collect();
        Ok(Columns {
            content,
            event_id,
            event_template,
            header,
        })
    }
}

/// The templates file as one model per event, in file order.
fn load_templates(path: &Path) -> Result<Vec<TemplateModel>> {
    let table = read_table(path)?;
    let missing = |column| LoghubError::MissingColumn {
        path: path.to_owned(),
        column,
    };
    let id_column = table.column("EventId").ok_or_else(|| missing("EventId"))?;
    let text_column = table
        .column("EventTemplate")
        .ok_or_else(|| missing("EventTemplate"))?;
    let cell = |fields: &[String], c: usize| fields.get(c).cloned().unwrap_or_default();
    Ok(table
        .rows
        .iter()
        .map(|record| TemplateModel {
            event_id: cell(&record.fields, id_column),
            template: Template::parse(&cell(&record.fields, text_column)),
            rows: Vec::new(),
            shaped_rows: Vec::new(),
            aligned_rows: Vec::new(),
            params: Vec::new(),
        })
        .collect())
}

/// The header fields, with the layout of each time column inferred from its values.
fn header_fields(table: &Table, columns: &Columns, path: &Path) -> Result<Vec<HeaderField>> {
    let mut fields = Vec::with_capacity(columns.header.len());
    for &column in &columns.header {
        let name = table.header.get(column).cloned().unwrap_or_default();
        let time = match timefmt::layouts_for_column(&name) {
            None => None,
            Some(layouts) => {
                let values: Vec<&str> =
                    table.rows.iter().map(|r| cell(&r.fields, column)).collect();
                let layout = timefmt::infer(layouts, &values).map_err(|failed| {
                    LoghubError::UnsupportedTimeFormat {
                        path: path.to_owned(),
                        line: table.rows.get(failed).map_or(0, |r| r.line),
                        column: name.clone(),
                        value: values.get(failed).copied().unwrap_or_default().to_owned(),
                    }
                })?;
                Some(TimeColumn {
                    layout,
                    unix_offset_s: 0,
                })
            }
        };
        fields.push(HeaderField {
            time,
            values: ValueStats::default(),
        });
    }
    Ok(fields)
}

fn cell(fields: &[String], column: usize) -> &str {
    fields.get(column).map_or("", String::as_str)
}

/// The structured CSV of a sample with the raw lines it describes.
struct Sample<'a> {
    table: &'a Table,
    columns: &'a Columns,
    raw_lines: &'a [&'a str],
    /// The structured CSV, for errors.
    path: &'a Path,
}

/// Every row: its template, header values, content split into parameters, and the shape of its
/// raw line (after moving syslog's day padding into the day column, whose layout then becomes
/// space-padded). Returns the rows and the distinct shapes.
fn build_rows(
    sample: &Sample<'_>,
    fields: &mut [HeaderField],
    templates: &[TemplateModel],
) -> Result<(Vec<SampleRow>, Vec<Vec<String>>)> {
    let by_event: HashMap<&str, usize> = templates
        .iter()
        .enumerate()
        .map(|(i, t)| (t.event_id.as_str(), i))
        .collect();
    let mut rows = Vec::with_capacity(sample.table.rows.len());
    let mut separators = Vec::with_capacity(sample.table.rows.len());
    for (record, raw) in sample.table.rows.iter().zip(sample.raw_lines) {
        let event_id = cell(&record.fields, sample.columns.event_id);
        let found = by_event
            .get(event_id)
            .and_then(|&i| Some((i, templates.get(i)?)));
        let event = || (sample.path.to_owned(), record.line, event_id.to_owned());
        let Some((template_index, template)) = found else {
            let (path, line, event_id) = event();
            return Err(LoghubError::UnknownEvent {
                path,
                line,
                event_id,
            });
        };
        let own_text = cell(&record.fields, sample.columns.event_template);
        if Template::parse(own_text) != template.template {
            let (path, line, event_id) = event();
            return Err(LoghubError::TemplateMismatch {
                path,
                line,
                event_id,
            });
        }
        let (row, seps) = build_row(
            record,
            raw,
            sample.columns,
            fields,
            template_index,
            template,
        );
        rows.push(row);
        separators.push(seps);
    }
    pad_days(fields, &rows, &mut separators);
    set_header_keys(fields, &mut rows);
    let mut shapes = ShapeTable::default();
    for (row, seps) in rows.iter_mut().zip(separators) {
        if let Some(seps) = seps {
            row.layout = RowLayout::Shape(shapes.intern(seps));
        }
    }
    Ok((rows, shapes.into_shapes()))
}

/// One row (its layout still the raw line) and the separators of its raw line, if they derive.
fn build_row(
    record: &Record,
    raw: &str,
    columns: &Columns,
    fields: &[HeaderField],
    template_index: usize,
    template: &TemplateModel,
) -> (SampleRow, Option<Vec<String>>) {
    let header: Vec<String> = columns
        .header
        .iter()
        .map(|&c| cell(&record.fields, c).to_owned())
        .collect();
    // Surrounding blanks (HealthApp's content often starts with one) belong to the separators.
    let content = cell(&record.fields, columns.content).trim();
    let mut values: Vec<&str> = header.iter().map(String::as_str).collect();
    values.push(content);
    let separators = shape::derive(raw, &values);
    let content = match template.template.align(content) {
        Some(params) => RowContent::Params(params.into_iter().map(str::to_owned).collect()),
        None => RowContent::Literal(content.to_owned()),
    };
    let row = SampleRow {
        template: template_index,
        instant_ns: row_instant(fields, &header),
        header,
        header_key: 0,
        layout: RowLayout::Raw(raw.to_owned()),
        content,
    };
    (row, separators)
}

/// Numbers the distinct combinations of non-time header values.
fn set_header_keys(fields: &[HeaderField], rows: &mut [SampleRow]) {
    let mut keys: HashMap<Vec<String>, usize> = HashMap::new();
    for row in rows {
        let plain: Vec<String> = fields
            .iter()
            .zip(&row.header)
            .filter(|(field, _)| field.time.is_none())
            .map(|(_, value)| value.clone())
            .collect();
        let next = keys.len();
        row.header_key = *keys.entry(plain).or_insert(next);
    }
}

/// Switches unpadded day columns to space padding where the raw lines pad them.
fn pad_days(
    fields: &mut [HeaderField],
    rows: &[SampleRow],
    separators: &mut [Option<Vec<String>>],
) {
    for (index, field) in fields.iter_mut().enumerate() {
        let Some(time) = field.time.as_mut() else {
            continue;
        };
        let Some(padded) = time.layout.space_padded() else {
            continue;
        };
        let values: Vec<&str> = rows.iter().map(|r| cell(&r.header, index)).collect();
        if shape::absorb_day_padding(separators, index, &values) {
            time.layout = padded;
        }
    }
}

/// The parts of a row's time columns, merged.
fn row_time(fields: &[HeaderField], header: &[String]) -> PartialTime {
    let mut time = PartialTime::default();
    for (field, value) in fields.iter().zip(header) {
        if let Some(part) = field.time.and_then(|t| t.layout.parse(value)) {
            time.merge(&part);
        }
    }
    time
}

fn row_instant(fields: &[HeaderField], header: &[String]) -> i64 {
    row_time(fields, header).instant_ns().unwrap_or(0)
}

/// Sets each Unix column's offset from the first row that also has civil time.
fn set_unix_offsets(fields: &mut [HeaderField], table: &Table, columns: &Columns) {
    let first_civil = table.rows.iter().find_map(|record| {
        let header: Vec<String> = columns
            .header
            .iter()
            .map(|&c| cell(&record.fields, c).to_owned())
            .collect();
        row_time(fields, &header)
            .civil_ns()
            .map(|civil| (header, civil))
    });
    let Some((header, civil_ns)) = first_civil else {
        return;
    };
    for (field, value) in fields.iter_mut().zip(&header) {
        let Some(time) = field.time.as_mut().filter(|t| t.layout.is_unix()) else {
            continue;
        };
        if let Some(unix_s) = time.layout.parse(value).and_then(|p| p.unix_s()) {
            time.unix_offset_s = unix_s - civil_ns.div_euclid(NANOS_PER_SEC);
        }
    }
}

fn clock_model(rows: &[SampleRow]) -> ClockModel {
    let base_ns = rows.first().map_or(0, |r| r.instant_ns);
    let mut instants: Vec<i64> = rows.iter().map(|r| r.instant_ns).collect();
    instants.sort_unstable();
    let mut gaps_ns: Vec<i64> = instants.windows(2).map(|w| w[1] - w[0]).collect();
    let still = gaps_ns.iter().all(|&g| g == 0);
    if still {
        gaps_ns = vec![DEFAULT_GAP_NS];
    }
    let steps_ns = rows
        .iter()
        .zip(rows.iter().skip(1).map(Some).chain([None]))
        .map(|(row, next)| {
            let step = next?.instant_ns - row.instant_ns;
            (step >= 0 && !still).then_some(step)
        })
        .collect();
    let resolution_ns = [NANOS_PER_SEC, 1_000_000, 1_000]
        .into_iter()
        .find(|unit| gaps_ns.iter().all(|g| g % unit == 0))
        .unwrap_or(1);
    ClockModel {
        base_ns,
        gaps_ns,
        steps_ns,
        resolution_ns,
    }
}

/// How the values of each parameter of `template` vary.
fn parameter_stats(template: &TemplateModel, rows: &[SampleRow]) -> Vec<ValueStats> {
    let params_of = |&row: &usize| match rows.get(row).map(|r| &r.content) {
        Some(RowContent::Params(params)) => Some(params),
        _ => None,
    };
    let aligned: Vec<&Vec<String>> = template.aligned_rows.iter().filter_map(params_of).collect();
    (0..template.template.param_count())
        .map(|position| {
            ValueStats::learn(
                aligned
                    .iter()
                    .filter_map(move |p| p.get(position))
                    .map(String::as_str),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_lines_drop_line_ends() {
        assert_eq!(raw_lines("a\r\nb\r\n"), ["a", "b"]);
        assert_eq!(raw_lines("a\nb"), ["a", "b"]);
        assert_eq!(raw_lines("a\n\nb\n"), ["a", "", "b"]);
    }
}
