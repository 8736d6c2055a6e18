//! `$1`, `${1}` and `$name` templates, expanded exactly as Go's `regexp.Expand` does (Prometheus
//! relies on its rules, which differ from the `regex` crate's `Captures::expand`).
//!
//! Go's rules: `$$` is a literal `$`; a reference is `$` followed by the longest run of letters,
//! digits and `_`, or that run in braces; a name made only of ASCII digits, without a leading
//! zero and below 10^8, is a group number, anything else a group name; a reference to a group
//! that does not exist or did not take part in the match expands to nothing; a `$` that starts
//! no valid reference is copied as is.

use regex::Captures;

/// Appends `template` to `out` with every reference replaced by its group from `caps`.
pub(crate) fn expand_into(out: &mut String, template: &str, caps: &Captures<'_>) {
    let mut rest = template;
    while let Some(dollar) = rest.find('$') {
        let (literal, after) = rest.split_at(dollar);
        out.push_str(literal);
        let after = &after[1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        match parse_reference(after) {
            Some((name, tail)) => {
                let group = match group_number(name) {
                    Some(n) => caps.get(n),
                    None => caps.name(name),
                };
                if let Some(m) = group {
                    out.push_str(m.as_str());
                }
                rest = tail;
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// Splits `s` (the text after a `$`) into a reference name and the rest, or `None` when no valid
/// reference starts there.
fn parse_reference(s: &str) -> Option<(&str, &str)> {
    let (braced, body) = match s.strip_prefix('{') {
        Some(body) => (true, body),
        None => (false, s),
    };
    let end = body
        .char_indices()
        .find(|&(_, c)| !(c.is_alphabetic() || c.is_numeric() || c == '_'))
        .map_or(body.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let (name, tail) = body.split_at(end);
    if braced {
        let tail = tail.strip_prefix('}')?;
        return Some((name, tail));
    }
    Some((name, tail))
}

/// The group number a reference names, by Go's rule: ASCII digits only, no leading zero, and
/// never more than 9 digits' worth (Go stops at 10^8 and then treats it as a name).
fn group_number(name: &str) -> Option<usize> {
    if name.len() > 1 && name.starts_with('0') {
        return None;
    }
    let mut num: usize = 0;
    for b in name.bytes() {
        if !b.is_ascii_digit() || num >= 100_000_000 {
            return None;
        }
        num = num * 10 + usize::from(b - b'0');
    }
    Some(num)
}

/// Prometheus's `relabelTarget` check, `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`: a
/// non-empty run of ASCII word characters and `$name`/`${name}` references that does not start
/// with a digit.
pub(crate) fn is_label_name_template(s: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = s.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_digit() => return false,
        None => return false,
        Some(_) => {}
    }
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if word(b) {
            i += 1;
            continue;
        }
        if b != b'$' {
            return false;
        }
        i += 1;
        let braced = bytes.get(i) == Some(&b'{');
        if braced {
            i += 1;
        }
        let start = i;
        while bytes.get(i).is_some_and(|&c| word(c)) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if braced {
            if bytes.get(i) != Some(&b'}') {
                return false;
            }
            i += 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn expand(re: &str, input: &str, template: &str) -> String {
        let re = Regex::new(re).unwrap();
        let caps = re.captures(input).unwrap();
        let mut out = String::new();
        expand_into(&mut out, template, &caps);
        out
    }

    #[test]
    fn references_follow_go_rules() {
        let re = r"^(?:(?P<host>[a-z]+):(\d+))$";
        assert_eq!(expand(re, "web:80", "$1-$2"), "web-80");
        assert_eq!(expand(re, "web:80", "${1}x"), "webx");
        // `$1x` names group "1x", which does not exist.
        assert_eq!(expand(re, "web:80", "$1x"), "");
        assert_eq!(expand(re, "web:80", "$host/${2}"), "web/80");
        assert_eq!(expand(re, "web:80", "$$1"), "$1");
        assert_eq!(expand(re, "web:80", "cost: $"), "cost: $");
        assert_eq!(expand(re, "web:80", "${1"), "${1");
        assert_eq!(expand(re, "web:80", "${}"), "${}");
        assert_eq!(expand(re, "web:80", "$-1"), "$-1");
        // Leading zeros make a name, not a number.
        assert_eq!(expand(re, "web:80", "$01"), "");
        assert_eq!(expand(re, "web:80", "$0"), "web:80");
        assert_eq!(expand(re, "web:80", "$9"), "");
        assert_eq!(expand(re, "web:80", "$1234567890"), "");
        assert_eq!(expand(re, "web:80", "$nope"), "");
    }

    #[test]
    fn unmatched_optional_group_expands_to_nothing() {
        assert_eq!(expand(r"^(?:(a)|(b))$", "b", "[$1][$2]"), "[][b]");
    }

    #[test]
    fn target_templates_as_prometheus_checks_them() {
        // Prometheus's TestTargetLabelValidity cases.
        let cases = [
            ("-label", false),
            ("label", true),
            ("label${1}", true),
            ("${1}label", true),
            ("${1}", true),
            ("${", false),
            ("$", false),
            ("${}", false),
            ("foo${", false),
            ("$1", true),
            ("asd$2asd", true),
            ("-foo${1}bar-", false),
            ("_${1}_", true),
            ("foo${bar}foo", true),
            ("0${3}", false),
            ("", false),
            ("${1}2", true),
            ("a$b$c", true),
            ("a${b", false),
        ];
        for (s, valid) in cases {
            assert_eq!(is_label_name_template(s), valid, "{s:?}");
        }
    }
}
