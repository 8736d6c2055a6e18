//! Line shapes: the text a raw log line puts around its fields.
//!
//! For fields `f0 … fn` (the header fields in column order, then the content) a shape holds
//! `n + 2` separators, the line being `s0 f0 s1 f1 … fn s(n+1)`. A shape is derived per sample
//! row by locating each field value in the raw line in order, so whatever a system writes
//! between them (`[`, `]: `, padding to a column, a trailing space) is kept as seen; rows with
//! the same separators share one shape.

use std::collections::HashMap;

/// The separators around `fields` in `raw`, or `None` when the values do not occur in order.
///
/// Header values are matched at their leftmost occurrence after the previous field; the content,
/// the last field, at its rightmost occurrence, since it runs to the end of the line but for
/// trailing text. An empty value sits where the previous field ended.
pub(crate) fn derive(raw: &str, fields: &[&str]) -> Option<Vec<String>> {
    let mut separators = Vec::with_capacity(fields.len() + 1);
    let mut cursor = 0;
    let last = fields.len().checked_sub(1)?;
    for (i, value) in fields.iter().enumerate() {
        let rest = raw.get(cursor..)?;
        let at = if i == last {
            rest.rfind(value)?
        } else {
            rest.find(value)?
        };
        separators.push(rest.get(..at)?.to_owned());
        cursor += at + value.len();
    }
    separators.push(raw.get(cursor..)?.to_owned());
    Some(separators)
}

/// Moves syslog's day padding out of the separators: where a one-digit day of month (field
/// `field`) follows a separator ending in two spaces (`Jul  1`), one space is the day's padding.
/// Returns whether any row had it, in which case the day column is to be written space-padded.
pub(crate) fn absorb_day_padding(
    separators: &mut [Option<Vec<String>>],
    field: usize,
    values: &[&str],
) -> bool {
    let mut padded = false;
    for (row, value) in separators.iter_mut().zip(values) {
        let Some(before) = row.as_mut().and_then(|seps| seps.get_mut(field)) else {
            continue;
        };
        if value.len() == 1 && before.ends_with("  ") {
            before.pop();
            padded = true;
        }
    }
    padded
}

/// Distinct shapes, each stored once.
#[derive(Debug, Default)]
pub(crate) struct ShapeTable {
    shapes: Vec<Vec<String>>,
    ids: HashMap<Vec<String>, usize>,
}

impl ShapeTable {
    /// The id of `separators`, adding it if new.
    pub(crate) fn intern(&mut self, separators: Vec<String>) -> usize {
        if let Some(&id) = self.ids.get(&separators) {
            return id;
        }
        let id = self.shapes.len();
        self.shapes.push(separators.clone());
        self.ids.insert(separators, id);
        id
    }

    /// The shapes, indexed by id.
    pub(crate) fn into_shapes(self) -> Vec<Vec<String>> {
        self.shapes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebuild(separators: &[String], fields: &[&str]) -> String {
        let mut line = String::new();
        for (sep, field) in separators.iter().zip(fields) {
            line.push_str(sep);
            line.push_str(field);
        }
        line.push_str(separators.last().unwrap());
        line
    }

    #[test]
    fn separators_rebuild_the_line() {
        let raw = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown ";
        let fields = [
            "Jun",
            "14",
            "15:16:01",
            "combo",
            "sshd(pam_unix)",
            "19939",
            "check pass; user unknown",
        ];
        let seps = derive(raw, &fields).unwrap();
        assert_eq!(seps, ["", " ", " ", " ", " ", "[", "]: ", " "]);
        assert_eq!(rebuild(&seps, &fields), raw);
    }

    #[test]
    fn empty_fields_and_content_found_from_the_right() {
        // Mac's empty Address column; content "0" also occurs earlier in the line.
        let raw = "Jul  1 09:00:55 host kernel[0]: 0";
        let fields = ["Jul", "1", "09:00:55", "host", "kernel", "0", "", "0"];
        let seps = derive(raw, &fields).unwrap();
        assert_eq!(seps, ["", "  ", " ", " ", " ", "[", "", "]: ", ""]);
        assert_eq!(rebuild(&seps, &fields), raw);
    }

    #[test]
    fn fields_out_of_order_do_not_derive() {
        assert_eq!(derive("b a", &["a", "b"]), None);
        assert_eq!(derive("a b", &["a", "c"]), None);
        assert_eq!(derive("a", &[]), None);
    }

    #[test]
    fn day_padding_is_taken_from_one_digit_days_only() {
        let mut rows = vec![
            Some(vec!["".to_owned(), "  ".to_owned()]),
            Some(vec!["".to_owned(), " ".to_owned()]),
            None,
            Some(vec!["".to_owned(), "  ".to_owned()]),
        ];
        assert!(absorb_day_padding(&mut rows, 1, &["1", "14", "2", "15"]));
        let seps: Vec<Option<&str>> = rows
            .iter()
            .map(|r| r.as_ref().map(|s| s[1].as_str()))
            .collect();
        assert_eq!(seps, [Some(" "), Some(" "), None, Some("  ")]);
        let mut unpadded = vec![Some(vec!["".to_owned(), " ".to_owned()])];
        assert!(!absorb_day_padding(&mut unpadded, 1, &["9"]));
    }

    #[test]
    fn shapes_are_interned() {
        let mut table = ShapeTable::default();
        let a = table.intern(vec![" ".into(), "".into()]);
        let b = table.intern(vec!["[".into(), "]".into()]);
        assert_eq!(table.intern(vec![" ".into(), "".into()]), a);
        assert_ne!(a, b);
        assert_eq!(table.into_shapes().len(), 2);
    }
}
