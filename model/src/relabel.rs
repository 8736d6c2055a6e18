//! Prometheus's relabeling: rewriting a label set with an ordered list of rules
//! (`relabel_configs`, `metric_relabel_configs`, `write_relabel_configs`, `alert_relabel_configs`).
//!
//! Ported from Prometheus 2.42 (`model/relabel/relabel.go`, the same code in 3.x with legacy
//! label-name validation). A [`RelabelSpec`] holds the fields as written; [`RelabelConfig::new`]
//! compiles the regex (anchored, `^(?:regex)$`) and validates exactly as Prometheus's
//! `UnmarshalYAML` and `Validate` do, with the same error texts ([`RelabelError`]).
//! [`process`] applies the rules in order and answers `None` when a rule drops the label set.
//!
//! Regexes use RE2 syntax as the `regex` crate implements it. One difference from Go remains:
//! the crate's `\d`, `\w`, `\s` and `\b` are Unicode-aware where Go's are ASCII-only, so they can
//! match more on non-ASCII input.
//!
//! ```
//! use model::Labels;
//! use model::relabel::{self, Action, RelabelConfig, RelabelSpec};
//!
//! let rules = [
//!     RelabelConfig::new(RelabelSpec {
//!         source_labels: Some(vec!["__address__".into()]),
//!         target_label: "__param_target".into(),
//!         ..RelabelSpec::default()
//!     })
//!     .unwrap(),
//!     RelabelConfig::new(RelabelSpec {
//!         source_labels: Some(vec!["job".into()]),
//!         regex: Some("test.*".into()),
//!         action: Action::Drop,
//!         ..RelabelSpec::default()
//!     })
//!     .unwrap(),
//! ];
//! let target = Labels::from_pairs([("__address__", "example.org"), ("job", "blackbox")]).unwrap();
//! let out = relabel::process(&target, &rules).unwrap();
//! assert_eq!(out.get("__param_target"), Some("example.org"));
//!
//! let test = Labels::from_pairs([("__address__", "x"), ("job", "testing")]).unwrap();
//! assert_eq!(relabel::process(&test, &rules), None);
//! ```

mod config;
mod error;
mod expand;
mod process;

pub use config::{Action, RelabelConfig, RelabelSpec};
pub use error::RelabelError;
pub use process::{process, process_checked};

#[cfg(test)]
#[path = "relabel/tests.rs"]
mod tests;
