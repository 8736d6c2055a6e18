//! Expanding `rule_files` patterns as Go's `filepath.Glob` does: `*` (any run of characters
//! other than `/`), `?` (one such character), `[a-z]` and `[^a-z]` classes, `\` escapes.
//! A pattern without wildcards names a file that must exist to be listed; directories that
//! cannot be read contribute nothing, as in Go.

use std::io;
use std::path::{Path, PathBuf};

/// Every file the patterns match, sorted and deduplicated.
pub(crate) fn expand(patterns: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for pattern in patterns {
        out.extend(glob(pattern)?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

fn glob(pattern: &Path) -> io::Result<Vec<PathBuf>> {
    let Some(text) = pattern.to_str() else {
        return Ok(if pattern.exists() {
            vec![pattern.to_owned()]
        } else {
            Vec::new()
        });
    };
    if !has_wildcard(text) {
        return Ok(if pattern.symlink_metadata().is_ok() {
            vec![pattern.to_owned()]
        } else {
            Vec::new()
        });
    }
    let (dir, file_pattern) = match text.rsplit_once('/') {
        Some(("", file)) => (PathBuf::from("/"), file),
        Some((dir, file)) => (PathBuf::from(dir), file),
        None => (PathBuf::from("."), text),
    };
    // Validate the last element once, so a malformed class is an error, not "no match".
    matches(file_pattern, "")
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{text:?}: {e}")))?;
    let dirs = match dir.to_str() {
        Some(d) if has_wildcard(d) => glob(&dir)?,
        _ => vec![dir],
    };
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| matches(file_pattern, name).unwrap_or(false))
            .collect();
        names.sort();
        let joined = |name: String| {
            if text.contains('/') {
                dir.join(name)
            } else {
                PathBuf::from(name)
            }
        };
        out.extend(names.into_iter().map(joined));
    }
    Ok(out)
}

/// Go's `filepath.Match` on one path element.
fn matches(pattern: &str, name: &str) -> Result<bool, &'static str> {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    match_from(&pattern, &name)
}

fn match_from(pattern: &[char], name: &[char]) -> Result<bool, &'static str> {
    let Some((&first, rest)) = pattern.split_first() else {
        return Ok(name.is_empty());
    };
    if first == '*' {
        // Try every split point; `*` never spans a separator.
        for skip in 0..=name.len() {
            if name.get(..skip).is_some_and(|s| s.contains(&'/')) {
                break;
            }
            if match_from(rest, name.get(skip..).unwrap_or(&[]))? {
                return Ok(true);
            }
        }
        // Still check the rest of the pattern is well formed when nothing matched.
        match_from(rest, &[]).map(|_| false)
    } else {
        let (matched, rest) = match_one(pattern, name.first().copied())?;
        if !matched {
            // Go reports a malformed pattern even when the name already failed to match.
            check_syntax(rest)?;
            return Ok(false);
        }
        match_from(rest, name.get(1..).unwrap_or(&[]))
    }
}

fn check_syntax(pattern: &[char]) -> Result<(), &'static str> {
    let mut rest = pattern;
    while let Some(&c) = rest.first() {
        if c == '*' {
            rest = rest.get(1..).unwrap_or(&[]);
            continue;
        }
        rest = match_one(rest, None)?.1;
    }
    Ok(())
}

/// Matches the single-character element at the start of `pattern` (a literal, `?`, an escape or
/// a class) against `c`; returns whether it matched and the rest of the pattern.
fn match_one(pattern: &[char], c: Option<char>) -> Result<(bool, &[char]), &'static str> {
    const BAD: &str = "syntax error in pattern";
    let rest = pattern.get(1..).unwrap_or(&[]);
    match pattern.first() {
        Some('?') => Ok((c.is_some_and(|c| c != '/'), rest)),
        Some('\\') => {
            let (&lit, rest) = rest.split_first().ok_or(BAD)?;
            Ok((c == Some(lit), rest))
        }
        Some('[') => {
            let (negated, mut rest) = match rest.split_first() {
                Some(('^', r)) => (true, r),
                _ => (false, rest),
            };
            let mut found = false;
            let mut first = true;
            loop {
                match rest.first() {
                    Some(']') if !first => break,
                    None => return Err(BAD),
                    _ => {}
                }
                first = false;
                let (lo, r) = class_char(rest)?;
                let (hi, r) = match r.split_first() {
                    Some(('-', r)) => class_char(r)?,
                    _ => (lo, r),
                };
                if lo > hi {
                    return Err(BAD);
                }
                found |= c.is_some_and(|c| lo <= c && c <= hi);
                rest = r;
            }
            let rest = rest.get(1..).unwrap_or(&[]);
            Ok((c.is_some_and(|c| c != '/' && found != negated), rest))
        }
        Some(&lit) => Ok((c == Some(lit), rest)),
        None => Err(BAD),
    }
}

fn class_char(pattern: &[char]) -> Result<(char, &[char]), &'static str> {
    const BAD: &str = "syntax error in pattern";
    match pattern.split_first() {
        Some(('\\', rest)) => rest.split_first().map(|(&c, r)| (c, r)).ok_or(BAD),
        Some(('-' | ']', _)) | None => Err(BAD),
        Some((&c, rest)) => Ok((c, rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match_rules() {
        let m = |p: &str, n: &str| matches(p, n).unwrap();
        assert!(m("*.yml", "alerts.yml"));
        assert!(m("*.yml", ".hidden.yml"));
        assert!(!m("*.yml", "alerts.yaml"));
        assert!(m("rules-?.yml", "rules-a.yml"));
        assert!(!m("rules-?.yml", "rules-ab.yml"));
        assert!(m("[a-c]*.yml", "b.yml"));
        assert!(!m("[^a-c]*.yml", "b.yml"));
        assert!(m("[^a-c]*.yml", "d.yml"));
        assert!(m("\\*.yml", "*.yml"));
        assert!(!m("\\*.yml", "a.yml"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(matches("[a-", "a").is_err());
        assert!(matches("x[", "y").is_err());
    }

    #[test]
    fn expands_in_directories_sorted() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.yml", "a.yml", "c.txt", "d.yaml"] {
            std::fs::write(dir.path().join(name), "groups: []\n").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/x.yml"), "").unwrap();
        let patterns = vec![
            dir.path().join("*.yml"),
            dir.path().join("d.yaml"),
            dir.path().join("missing.yml"),
            dir.path().join("s?b/*.yml"),
            dir.path().join("a.yml"),
        ];
        let got = expand(&patterns).unwrap();
        let want: Vec<PathBuf> = ["a.yml", "b.yml", "d.yaml", "sub/x.yml"]
            .iter()
            .map(|n| dir.path().join(n))
            .collect();
        assert_eq!(got, want);
    }
}
