//! `line_format` and `label_format` (Loki's `pkg/logql/log/fmt.go`, v3).
//!
//! Templates see the entry's labels (stream, structured metadata and parsed, plus `__error__`
//! and `__error_details__` when set), `__line__` and `__timestamp__`.
//!
//! * `line_format` replaces the line with the rendering. When rendering fails the entry keeps
//!   its line and gets `__error__="TemplateFormatErr"` with the error as `__error_details__`.
//! * `label_format` runs its items in order. A rename `dst=src` moves `src`'s value to `dst`
//!   (in `src`'s category) and deletes `src`; it does nothing when `src` is absent. A template
//!   item sets its label (as a parsed label) to the rendering; all template items of one stage
//!   see the labels as they were when the first of them ran, not each other's results. A
//!   render error sets `TemplateFormatErr` and leaves that label as it was. A label may be the
//!   target of one item only, and `__error__` of none; both are checked when the pipeline is
//!   built.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashSet;

use super::PipelineError;
use super::labels::{Category, ERROR_DETAILS_LABEL, ERROR_LABEL, EntryLabels, PairList};
use crate::logql::syntax::LabelFormat;
use crate::logql::template::{Template, TemplateContext};

/// The error Loki sets when a template fails to render.
pub(crate) const TEMPLATE_ERROR: &str = "TemplateFormatErr";

/// A compiled `line_format`.
#[derive(Debug)]
pub(crate) struct LineFormatStage {
    template: Template,
}

impl LineFormatStage {
    /// Compiles the template (Loki names it `line`).
    pub(crate) fn new(source: &str) -> Result<Self, PipelineError> {
        let template = Template::parse_named("line", source).map_err(|e| PipelineError {
            message: format!("invalid line template: {e}"),
        })?;
        Ok(Self { template })
    }

    /// Renders the new line into `out` (cleared first); on error sets the entry's error and
    /// returns false: the line stays as it was.
    pub(crate) fn render(
        &self,
        labels: &mut EntryLabels,
        line: &[u8],
        ts: i64,
        out: &mut String,
    ) -> bool {
        out.clear();
        let rendered = {
            let context = EntryContext::new(LabelView::Live(labels), line, ts);
            self.template.render(&context, out)
        };
        match rendered {
            Ok(()) => true,
            Err(e) => {
                labels.fail(TEMPLATE_ERROR, &e.to_string());
                false
            }
        }
    }
}

/// One compiled `label_format` item.
#[derive(Debug)]
enum FormatItem {
    Rename { target: String, source: String },
    Template { target: String, template: Template },
}

/// A compiled `label_format`.
#[derive(Debug)]
pub(crate) struct LabelFormatStage {
    items: Vec<FormatItem>,
    /// Whether items after the first template item exist, so that templates must read a
    /// snapshot of the labels rather than the live set.
    needs_snapshot: bool,
}

impl LabelFormatStage {
    /// Compiles the items (templates are named `label`, as Loki names them).
    pub(crate) fn new(formats: &[LabelFormat]) -> Result<Self, PipelineError> {
        let mut seen = HashSet::new();
        let mut items = Vec::with_capacity(formats.len());
        for format in formats {
            let target = match format {
                LabelFormat::Rename { target, .. } | LabelFormat::Template { target, .. } => target,
            };
            if target == ERROR_LABEL {
                return Err(PipelineError {
                    message: format!("{ERROR_LABEL} cannot be formatted"),
                });
            }
            if !seen.insert(target.as_str()) {
                return Err(PipelineError {
                    message: format!(
                        "multiple label name '{target}' not allowed in a single format operation"
                    ),
                });
            }
            items.push(match format {
                LabelFormat::Rename { target, source } => FormatItem::Rename {
                    target: target.clone(),
                    source: source.clone(),
                },
                LabelFormat::Template { target, template } => FormatItem::Template {
                    target: target.clone(),
                    template: Template::parse_named("label", template).map_err(|e| {
                        PipelineError {
                            message: format!("invalid template for label '{target}': {e}"),
                        }
                    })?,
                },
            });
        }
        let first_template = items
            .iter()
            .position(|i| matches!(i, FormatItem::Template { .. }));
        let needs_snapshot = first_template.is_some_and(|first| first + 1 < items.len());
        Ok(Self {
            items,
            needs_snapshot,
        })
    }

    /// Applies the items to the entry's labels. `scratch` holds the rendering and, when
    /// needed, the labels' snapshot; it is reused across entries.
    pub(crate) fn process(
        &self,
        labels: &mut EntryLabels,
        line: &[u8],
        ts: i64,
        scratch: &mut FormatScratch,
    ) {
        let mut snapshot_taken = false;
        for item in &self.items {
            match item {
                FormatItem::Rename { target, source } => {
                    if let Some((value, category)) = labels.get_with_category(source) {
                        scratch.value.clear();
                        scratch.value.push_str(value);
                        labels.set(category, target, &scratch.value);
                        labels.delete(source);
                    }
                }
                FormatItem::Template { target, template } => {
                    if self.needs_snapshot && !snapshot_taken {
                        scratch.snapshot.clear();
                        labels.for_each(|n, v| scratch.snapshot.push(n, v));
                        snapshot_taken = true;
                    }
                    scratch.value.clear();
                    let view = if self.needs_snapshot {
                        LabelView::Snapshot(scratch.snapshot.pairs())
                    } else {
                        LabelView::Live(labels)
                    };
                    let rendered = {
                        let context = EntryContext::new(view, line, ts);
                        template.render(&context, &mut scratch.value)
                    };
                    match rendered {
                        Ok(()) => labels.set(Category::Parsed, target, &scratch.value),
                        Err(e) => labels.fail(TEMPLATE_ERROR, &e.to_string()),
                    }
                }
            }
        }
    }
}

/// Buffers `label_format` reuses across entries.
#[derive(Debug, Default)]
pub(crate) struct FormatScratch {
    value: String,
    snapshot: PairList,
}

/// The labels a template reads.
enum LabelView<'a> {
    /// The entry's current labels.
    Live(&'a EntryLabels),
    /// A copy taken earlier in the stage.
    Snapshot(&'a [(String, String)]),
}

/// What a template sees of one entry.
struct EntryContext<'a> {
    labels: LabelView<'a>,
    line: &'a [u8],
    ts: i64,
    /// The live labels listed, built the first time a template walks them.
    walk: OnceCell<Vec<(String, String)>>,
}

impl<'a> EntryContext<'a> {
    fn new(labels: LabelView<'a>, line: &'a [u8], ts: i64) -> Self {
        Self {
            labels,
            line,
            ts,
            walk: OnceCell::new(),
        }
    }
}

impl TemplateContext for EntryContext<'_> {
    fn label(&self, name: &str) -> Option<&str> {
        match &self.labels {
            LabelView::Live(labels) => match name {
                ERROR_LABEL => Some(labels.error()).filter(|e| !e.is_empty()),
                ERROR_DETAILS_LABEL => Some(labels.error_details()).filter(|e| !e.is_empty()),
                _ => labels.get(name),
            },
            LabelView::Snapshot(pairs) => pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str()),
        }
    }

    fn label_at(&self, index: usize) -> Option<(&str, &str)> {
        let pairs: &[(String, String)] = match &self.labels {
            LabelView::Live(labels) => self.walk.get_or_init(|| {
                let mut pairs = Vec::new();
                labels.for_each(|n, v| pairs.push((n.to_owned(), v.to_owned())));
                pairs
            }),
            LabelView::Snapshot(pairs) => pairs,
        };
        pairs.get(index).map(|(n, v)| (n.as_str(), v.as_str()))
    }

    fn line(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.line)
    }

    fn timestamp_ns(&self) -> i64 {
        self.ts
    }
}
