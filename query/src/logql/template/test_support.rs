//! Helpers shared by the template tests: an in-memory entry and render shortcuts.

use std::borrow::Cow;

use super::{Template, TemplateContext, TemplateError};

/// An entry: labels in the given order, a line and a timestamp.
pub(crate) struct Entry {
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) line: String,
    pub(crate) ts: i64,
}

impl TemplateContext for Entry {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn label_at(&self, index: usize) -> Option<(&str, &str)> {
        self.labels
            .get(index)
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    fn line(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.line)
    }

    fn timestamp_ns(&self) -> i64 {
        self.ts
    }
}

pub(crate) fn entry(labels: &[(&str, &str)]) -> Entry {
    Entry {
        labels: labels
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        line: "test line".to_owned(),
        ts: 1_661_518_453_244_672_570,
    }
}

pub(crate) fn render_with(
    name: &str,
    source: &str,
    entry: &Entry,
) -> Result<String, TemplateError> {
    let template = Template::parse_named(name, source)?;
    let mut out = String::new();
    template.render(entry, &mut out)?;
    Ok(out)
}

#[track_caller]
pub(crate) fn render(source: &str, labels: &[(&str, &str)]) -> String {
    match render_with("line", source, &entry(labels)) {
        Ok(out) => out,
        Err(err) => panic!("{source}: {err}"),
    }
}

#[track_caller]
pub(crate) fn check(source: &str, labels: &[(&str, &str)], want: &str) {
    assert_eq!(render(source, labels), want, "template {source}");
}

#[track_caller]
pub(crate) fn exec_error(source: &str, labels: &[(&str, &str)]) -> String {
    match render_with("line", source, &entry(labels)) {
        Ok(out) => panic!("{source}: expected an error, rendered {out:?}"),
        Err(err) => err.to_string(),
    }
}

#[track_caller]
pub(crate) fn parse_error(source: &str) -> TemplateError {
    match Template::parse_named("line", source) {
        Ok(_) => panic!("{source}: expected a parse error"),
        Err(err) => err,
    }
}
