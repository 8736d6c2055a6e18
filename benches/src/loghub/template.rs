//! Event templates: literal text with `<*>` where a parameter goes.

/// The placeholder loghub's templates use for a parameter.
pub(crate) const PLACEHOLDER: &str = "<*>";

/// A template split at its placeholders.
///
/// Invariant: `pieces` is never empty; a template with `n` parameters has `n + 1` pieces (some
/// possibly empty), parameter `i` sitting between piece `i` and piece `i + 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pieces: Vec<String>,
}

impl Template {
    /// Splits `text` at every `<*>`.
    pub(crate) fn parse(text: &str) -> Template {
        Template {
            pieces: text.split(PLACEHOLDER).map(str::to_owned).collect(),
        }
    }

    /// The literal pieces, one more than there are parameters.
    pub(crate) fn pieces(&self) -> &[String] {
        &self.pieces
    }

    /// Number of `<*>` parameters.
    pub(crate) fn param_count(&self) -> usize {
        self.pieces.len().saturating_sub(1)
    }

    /// The parameter values that make `content` from this template, or `None` when it does not
    /// fit.
    ///
    /// The first piece must be a prefix and the last a suffix of `content`; each middle piece is
    /// matched at its leftmost occurrence after the previous one. Leftmost matching ends every
    /// piece as early as possible, so it finds an alignment whenever one exists; where several
    /// exist, parameters before the last are the shortest possible.
    pub(crate) fn align<'a>(&self, content: &'a str) -> Option<Vec<&'a str>> {
        let (first, rest) = self.pieces.split_first()?;
        let mut remaining = content.strip_prefix(first.as_str())?;
        let Some((last, middle)) = rest.split_last() else {
            return remaining.is_empty().then(Vec::new);
        };
        let mut params = Vec::with_capacity(rest.len());
        for piece in middle {
            let at = remaining.find(piece.as_str())?;
            params.push(remaining.get(..at)?);
            remaining = remaining.get(at + piece.len()..)?;
        }
        params.push(remaining.strip_suffix(last.as_str())?);
        Some(params)
    }

    /// Whether `line` contains the pieces in order, as any line made from this template does.
    #[cfg(test)]
    pub(crate) fn occurs_in(&self, line: &str) -> bool {
        let mut remaining = line;
        for piece in &self.pieces {
            match remaining.find(piece.as_str()) {
                Some(at) => remaining = remaining.get(at + piece.len()..).unwrap_or_default(),
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_parameters_in_order() {
        let t = Template::parse("Invalid user <*> from <*>");
        assert_eq!(t.param_count(), 2);
        assert_eq!(
            t.align("Invalid user admin from 1.2.3.4"),
            Some(vec!["admin", "1.2.3.4"])
        );
        assert_eq!(t.align("Invalid user  from "), Some(vec!["", ""]));
        assert_eq!(t.align("Valid user admin from 1.2.3.4"), None);
        assert_eq!(t.align("Invalid user admin to 1.2.3.4"), None);
    }

    #[test]
    fn placeholders_at_the_edges_and_adjacent() {
        let t = Template::parse("<*>:<*> open through proxy <*>");
        assert_eq!(
            t.align("a.b:80 open through proxy c:1"),
            Some(vec!["a.b", "80", "c:1"])
        );
        let t = Template::parse("IOThunderboltSwitch<<*>>(<*>)");
        assert_eq!(t.pieces(), ["IOThunderboltSwitch<", ">(", ")"]);
        assert_eq!(
            t.align("IOThunderboltSwitch<0>(0x0)"),
            Some(vec!["0", "0x0"])
        );
        let t = Template::parse("<*><*>x");
        assert_eq!(t.align("abx"), Some(vec!["", "ab"]));
    }

    #[test]
    fn without_placeholders_only_the_exact_text_aligns() {
        let t = Template::parse("session closed");
        assert_eq!(t.param_count(), 0);
        assert_eq!(t.align("session closed"), Some(vec![]));
        assert_eq!(t.align("session closed!"), None);
    }

    #[test]
    fn leftmost_matching_leaves_room_for_the_suffix() {
        // The middle piece " to " occurs twice; the suffix must still be found.
        let t = Template::parse("<*> to <*> to end");
        assert_eq!(t.align("a to b to end"), Some(vec!["a", "b"]));
        assert_eq!(t.align("a to end"), None);
        let t = Template::parse("x<*>x");
        assert_eq!(t.align("x"), None);
        assert_eq!(t.align("xx"), Some(vec![""]));
    }

    #[test]
    fn occurs_in_finds_pieces_in_order() {
        let t = Template::parse("user <*> from <*>");
        assert!(t.occurs_in("Dec 10 sshd[1]: Invalid user bob from 1.2.3.4"));
        assert!(!t.occurs_in("from 1.2.3.4 user bob"));
    }
}
