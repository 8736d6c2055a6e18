//! `label_replace(v, dst, replacement, src, regex)`: for each sample whose `src` label value
//! (empty when absent) matches the fully anchored regex, `dst` is set to the replacement with
//! `$1`/`${name}` expanded (removed when the expansion is empty); other samples are unchanged.

use regex::Regex;

use super::error::QueryError;
use super::{Sample, StepVectors};
use crate::logql::syntax::LabelReplace;

/// Relabels every step of `input`.
pub(crate) fn eval(lr: &LabelReplace, input: StepVectors) -> Result<StepVectors, QueryError> {
    let re = Regex::new(&format!("^(?:{})$", lr.regex))
        .map_err(|e| QueryError::Execution(format!("invalid regex in label_replace: {e}")))?;
    input
        .into_iter()
        .map(|step| {
            step.into_iter()
                .map(|sample| relabel(lr, &re, sample))
                .collect()
        })
        .collect()
}

fn relabel(lr: &LabelReplace, re: &Regex, sample: Sample) -> Result<Sample, QueryError> {
    let source = sample.labels.get(&lr.source).unwrap_or("");
    let Some(captures) = re.captures(source) else {
        return Ok(sample);
    };
    let mut value = String::new();
    captures.expand(&lr.replacement, &mut value);
    let mut builder = sample.labels.to_builder();
    builder.set(&lr.destination, &value);
    let labels = builder
        .build()
        .map_err(|e| QueryError::labels("label_replace", e))?;
    Ok(Sample::new(labels, sample.value))
}

#[cfg(test)]
mod tests {
    use model::Labels;

    use super::*;

    fn lr(destination: &str, replacement: &str, source: &str, regex: &str) -> LabelReplace {
        LabelReplace {
            inner: Box::new(crate::logql::syntax::SampleExpr::Vector(0.0)),
            destination: destination.into(),
            replacement: replacement.into(),
            source: source.into(),
            regex: regex.into(),
        }
    }

    fn sample(pairs: &[(&str, &str)]) -> Sample {
        Sample::new(Labels::from_pairs(pairs.iter().copied()).unwrap(), 1.0)
    }

    #[test]
    fn expands_groups_into_the_destination() {
        let out = eval(
            &lr("short", "$1-${rest}", "host", "(\\w+)\\.(?P<rest>.*)"),
            vec![vec![sample(&[("host", "web.example.org")])]],
        )
        .unwrap();
        assert_eq!(
            out[0][0].labels,
            Labels::from_pairs([("host", "web.example.org"), ("short", "web-example.org")])
                .unwrap()
        );
    }

    #[test]
    fn no_match_leaves_the_sample_and_empty_expansion_removes_the_label() {
        let input = vec![vec![
            sample(&[("a", "xyz"), ("b", "keep")]),
            sample(&[("a", "abc"), ("b", "gone")]),
        ]];
        let out = eval(&lr("b", "$2", "a", "a(b)c"), input).unwrap();
        assert_eq!(out[0][0], sample(&[("a", "xyz"), ("b", "keep")]));
        assert_eq!(out[0][1], sample(&[("a", "abc")]));
    }

    #[test]
    fn the_regex_is_anchored_and_an_absent_source_reads_empty() {
        let out = eval(
            &lr("d", "set", "missing", ".*"),
            vec![vec![sample(&[("a", "1")])]],
        )
        .unwrap();
        assert_eq!(out[0][0], sample(&[("a", "1"), ("d", "set")]));
        let out = eval(&lr("d", "x", "a", "b"), vec![vec![sample(&[("a", "abc")])]]).unwrap();
        assert_eq!(
            out[0][0],
            sample(&[("a", "abc")]),
            "partial matches do not count"
        );
    }
}
