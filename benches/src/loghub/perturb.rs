//! New parameter values made from observed ones: a number changed within its digit count, or a
//! hex id re-randomized with the same length; everything else kept.
//!
//! A value is cut into runs of ASCII letters and digits; the bytes between them (punctuation,
//! spaces, non-ASCII text) are copied unchanged, so the result is valid UTF-8 whenever the input
//! is. The parts that can change are
//! - a run of decimal digits, two or more: its trailing third (at most 18 digits, never the
//!   first digit) is shifted by an offset modulo its power of ten, so magnitude and digit count
//!   stay (`1893` → `18xx`, `27164404` → `27164xxx`; a port stays a port);
//! - a hexadecimal run with at least one digit and one letter (`9f4ef63`, `a692162415ae`), or
//!   `0x` and hex digits: every hex digit shifted by a non-zero amount, letter case kept;
//! - inside any other run, digit runs of three or more (`KB2506014`), as decimals.
//!
//! Words, `u0`, `amd64` and single digits (mostly enumerations) never change. One part changes,
//! among those that vary at this position in the sample ([`Variability`]): values that hold
//! several numbers (`task_1445144423722_0020_m_000062`, a package name with a fixed key token)
//! mostly differ from the last one in one of them, and changing all, or a part that never
//! varies, would make them far less compressible than real ones.
//!
//! Which part and by how much are fixed by a [`Shift`], one per run of lines: within a run the
//! same value always becomes the same new value, and values that counted up in the sample still
//! count up, as they would in a real burst.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Which changeable parts vary among the values seen at one template position.
///
/// Values are grouped by how many changeable parts they have; within a group, part `i` varies
/// if the group shows more than one text for it. A group seen once tells nothing, so all its
/// parts count as varying, as do those of a value with a part count never seen.
#[derive(Debug, Clone, Default)]
pub(crate) struct Variability {
    /// Part count → per part, whether it varies; `None` when the group was seen once.
    by_part_count: HashMap<usize, Option<Vec<bool>>>,
}

/// How many values of one part count were seen, and per part the texts it had.
type PartTexts<'a> = (usize, Vec<HashSet<&'a [u8]>>);

impl Variability {
    /// Learns from the values seen at a position.
    pub(crate) fn learn<'a>(values: impl IntoIterator<Item = &'a str>) -> Variability {
        let mut groups: HashMap<usize, PartTexts<'a>> = HashMap::new();
        for value in values {
            let bytes = value.as_bytes();
            let parts = changeable_parts(bytes);
            let (seen, texts) = groups
                .entry(parts.len())
                .or_insert_with(|| (0, vec![HashSet::new(); parts.len()]));
            *seen += 1;
            for (texts, part) in texts.iter_mut().zip(&parts) {
                texts.insert(bytes.get(part.range.clone()).unwrap_or_default());
            }
        }
        let by_part_count = groups
            .into_iter()
            .map(|(count, (seen, texts))| {
                let varies = (seen > 1).then(|| texts.iter().map(|t| t.len() > 1).collect());
                (count, varies)
            })
            .collect();
        Variability { by_part_count }
    }

    /// Whether part `index` of a value with `count` parts may change.
    fn varies(&self, count: usize, index: usize) -> bool {
        match self.by_part_count.get(&count) {
            Some(Some(varies)) => varies.get(index).copied().unwrap_or(true),
            _ => true,
        }
    }
}

/// The changes made during one run of lines, fixed by a random key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Shift {
    key: u64,
}

impl Shift {
    pub(crate) fn new(key: u64) -> Shift {
        Shift { key }
    }

    /// A pseudo-random word for `salt`, through SplitMix64's finalizer.
    fn word(self, salt: u64) -> u64 {
        let mut z = self.key ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Salts that keep the words for different uses apart.
const PART_SALT: u64 = 1 << 40;
const DECIMAL_SALT: u64 = 2 << 40;
const HEX_SALT: u64 = 3 << 40;

/// Appends a perturbed copy of `value` to `out`: one of the parts that vary, if any, shifted.
pub(crate) fn write_perturbed(
    value: &str,
    variability: &Variability,
    shift: Shift,
    out: &mut Vec<u8>,
) {
    let bytes = value.as_bytes();
    let parts = changeable_parts(bytes);
    let varying: Vec<&Part> = (0..parts.len())
        .filter(|&i| variability.varies(parts.len(), i))
        .filter_map(|i| parts.get(i))
        .collect();
    let count = varying.len() as u64;
    let chosen = shift
        .word(PART_SALT ^ count)
        .checked_rem(count)
        .unwrap_or(0);
    let Some(part) = varying.get(usize::try_from(chosen).unwrap_or(0)) else {
        out.extend_from_slice(bytes);
        return;
    };
    out.extend_from_slice(bytes.get(..part.range.start).unwrap_or_default());
    part.change.write(
        bytes.get(part.range.clone()).unwrap_or_default(),
        shift,
        out,
    );
    out.extend_from_slice(bytes.get(part.range.end..).unwrap_or_default());
}

/// A part of a value that may change, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    range: Range<usize>,
    change: Change,
}

/// The changeable parts of `bytes`, in order.
fn changeable_parts(bytes: &[u8]) -> Vec<Part> {
    let mut parts = Vec::new();
    for run in runs_where(bytes, u8::is_ascii_alphanumeric) {
        let text = bytes.get(run.clone()).unwrap_or_default();
        if let Some(change) = change_of(text) {
            parts.push(Part { range: run, change });
            continue;
        }
        for digits in runs_where(text, u8::is_ascii_digit) {
            if digits.len() >= 3 {
                let range = run.start + digits.start..run.start + digits.end;
                parts.push(Part {
                    range,
                    change: Change::Decimal,
                });
            }
        }
    }
    parts
}

/// Byte ranges of the maximal runs of bytes that satisfy `class`.
fn runs_where(bytes: &[u8], class: fn(&u8) -> bool) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, b) in bytes.iter().enumerate() {
        match (class(b), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push(s..bytes.len());
    }
    runs
}

/// How a part changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Decimal,
    Hex,
    /// `0x` then hex digits: the digits after the prefix.
    PrefixedHex,
}

/// How a whole alphanumeric run may change, if it may.
fn change_of(run: &[u8]) -> Option<Change> {
    let prefixed = run.strip_prefix(b"0x").or_else(|| run.strip_prefix(b"0X"));
    if prefixed.is_some_and(|d| !d.is_empty() && d.iter().all(u8::is_ascii_hexdigit)) {
        Some(Change::PrefixedHex)
    } else if run.iter().all(u8::is_ascii_digit) {
        (run.len() >= 2).then_some(Change::Decimal)
    } else if run.iter().all(u8::is_ascii_hexdigit) && run.iter().any(u8::is_ascii_digit) {
        // All hex digits and not all decimal: at least one letter a–f.
        Some(Change::Hex)
    } else {
        None
    }
}

impl Change {
    fn write(self, part: &[u8], shift: Shift, out: &mut Vec<u8>) {
        match self {
            Change::Decimal => write_decimal(part, shift, out),
            Change::Hex => write_hex(part, shift, out),
            Change::PrefixedHex => {
                out.extend_from_slice(part.get(..2).unwrap_or_default());
                write_hex(part.get(2..).unwrap_or_default(), shift, out);
            }
        }
    }
}

/// Shifts the trailing third of `digits` (at least one digit, at most 18, never the first) by a
/// non-zero offset modulo its power of ten.
fn write_decimal(digits: &[u8], shift: Shift, out: &mut Vec<u8>) {
    let changed = digits
        .len()
        .div_ceil(3)
        .min(18)
        .min(digits.len().saturating_sub(1));
    let kept = digits.len() - changed;
    let modulus = 10u64.pow(u32::try_from(changed).unwrap_or(0));
    let tail = digits.get(kept..).unwrap_or_default();
    let value = tail
        .iter()
        .fold(0u64, |v, d| v * 10 + u64::from(d.wrapping_sub(b'0')));
    let offset = 1 + shift.word(DECIMAL_SALT ^ changed as u64) % (modulus - 1).max(1);
    let shifted = (value + offset) % modulus;
    out.extend_from_slice(digits.get(..kept).unwrap_or_default());
    out.extend_from_slice(format!("{shifted:0changed$}").as_bytes());
}

/// Shifts every hex digit by a non-zero amount depending on its place; letter case is kept.
fn write_hex(digits: &[u8], shift: Shift, out: &mut Vec<u8>) {
    let alphabet = if digits.iter().any(u8::is_ascii_uppercase) {
        UPPER_HEX
    } else {
        LOWER_HEX
    };
    for (place, digit) in digits.iter().enumerate() {
        let value = char::from(*digit).to_digit(16).map_or(0, u64::from);
        let amount = 1 + shift.word(HEX_SALT ^ place as u64) % 15;
        let index = usize::try_from((value + amount) % 16).unwrap_or(0);
        out.push(alphabet.get(index).copied().unwrap_or(b'0'));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    fn perturb(value: &str, key: u64) -> String {
        let mut out = Vec::new();
        let unknown = Variability::default();
        write_perturbed(value, &unknown, Shift::new(key), &mut out);
        String::from_utf8(out).unwrap()
    }

    /// The character classes of a value: what perturbation must keep.
    fn classes(value: &str) -> String {
        value
            .chars()
            .map(|c| match c {
                '0'..='9' | 'a'..='f' | 'A'..='F' => 'h',
                c => c,
            })
            .collect()
    }

    /// The alphanumeric runs of `value` that differ in `got`.
    fn changed_runs(value: &str, got: &str) -> Vec<String> {
        runs_where(value.as_bytes(), u8::is_ascii_alphanumeric)
            .into_iter()
            .filter(|r| value[r.clone()] != got[r.clone()])
            .map(|r| value[r].to_owned())
            .collect()
    }

    #[test]
    fn one_number_changes_within_its_digit_count_and_leading_digits() {
        let value = "len: 1893 time: 0.2477829";
        let mut changed = HashSet::new();
        for key in 0..40 {
            let got = perturb(value, key);
            assert_eq!(got.len(), value.len());
            assert!(
                got.starts_with("len: 18") && got.contains(" time: 0.247"),
                "{got}"
            );
            let runs = changed_runs(value, &got);
            assert!(runs.len() <= 1, "{got}");
            changed.extend(runs);
        }
        assert_eq!(
            changed,
            HashSet::from(["1893".to_owned(), "2477829".to_owned()])
        );
    }

    #[test]
    fn hex_ids_are_redrawn_with_their_case() {
        let value = "req-38101a0b-2096-447d-96ea-a692162415ae @0x7FED806EB5D";
        let mut changed = HashSet::new();
        for key in 0..200 {
            let got = perturb(value, key);
            assert_eq!(classes(&got), classes(value));
            assert!(got.starts_with("req-") && got.contains(" @0x"), "{got}");
            let upper = got.rsplit("0x").next().unwrap();
            assert!(
                upper
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
                "{got}"
            );
            let runs = changed_runs(value, &got);
            assert!(runs.len() <= 1, "{got}");
            changed.extend(runs);
        }
        let all = [
            "38101a0b",
            "2096",
            "447d",
            "96ea",
            "a692162415ae",
            "0x7FED806EB5D",
        ];
        assert_eq!(changed, all.iter().map(|r| r.to_string()).collect());
    }

    #[test]
    fn words_single_digits_and_non_ascii_are_kept() {
        for value in [
            "u0 com.tencent.qt.qtl",
            "amd64 x86",
            "state 5",
            "größe=ä",
            "dead beef",
            "",
        ] {
            assert_eq!(perturb(value, 3), value);
        }
    }

    #[test]
    fn long_digit_runs_inside_words_change() {
        let mut changed = HashSet::new();
        for key in 0..40 {
            let got = perturb("KB2506014 t761", key);
            assert!(got.starts_with("KB250") && got.contains(" t7"), "{got}");
            let runs = changed_runs("KB2506014 t761", &got);
            assert!(runs.len() <= 1, "{got}");
            changed.extend(runs);
        }
        assert_eq!(
            changed,
            HashSet::from(["KB2506014".to_owned(), "t761".to_owned()])
        );
    }

    #[test]
    fn only_parts_that_vary_in_the_sample_change() {
        let seen = [
            "Package_for_KB2506014~31bf3856ad364e35~amd64~~6.1.1.0",
            "Package_for_KB3011780~31bf3856ad364e35~amd64~~6.1.1.5",
        ];
        let variability = Variability::learn(seen);
        for key in 0..20 {
            let mut out = Vec::new();
            write_perturbed(seen[0], &variability, Shift::new(key), &mut out);
            let got = String::from_utf8(out).unwrap();
            assert!(got.starts_with("Package_for_KB250"), "{got}");
            assert!(got.ends_with("~31bf3856ad364e35~amd64~~6.1.1.0"), "{got}");
        }
        // A value with a part count not seen: any part may change.
        assert!(variability.varies(1, 0));
        // A part count seen once: no evidence, any part may change.
        let once = Variability::learn(["a1b2c3d 123"]);
        assert!(once.varies(2, 0) && once.varies(2, 1));
        // Seen twice with the same text: fixed.
        let fixed = Variability::learn(["id 123", "id 123"]);
        assert!(!fixed.varies(1, 0));
        let mut out = Vec::new();
        write_perturbed("id 123", &fixed, Shift::new(1), &mut out);
        assert_eq!(out, b"id 123");
    }

    #[test]
    fn a_shift_changes_equal_values_alike_and_keeps_steps() {
        for key in 0..50 {
            let (a, b) = (perturb("count 6993", key), perturb("count 6994", key));
            assert_eq!(perturb("count 6993", key), a);
            let tail = |s: &str| s[s.len() - 2..].parse::<i64>().unwrap();
            assert_eq!((tail(&b) - tail(&a)).rem_euclid(100), 1, "{a} {b}");
            assert!(a.starts_with("count 69") && a != "count 6993", "{a}");
        }
        let outputs: HashSet<String> = (0..50)
            .map(|key| perturb("blk_38865049064139660", key))
            .collect();
        assert!(outputs.len() > 40, "keys give different values");
    }

    proptest! {
        #[test]
        fn shape_is_kept(
            value in proptest::string::string_regex("[0-9a-fA-Fx_ .:/-]{0,24}|[0-9]{1,20}").unwrap(),
            key: u64,
        ) {
            let got = perturb(&value, key);
            prop_assert_eq!(got.len(), value.len());
            // Separators stay where they were; at most one run changes; a decimal number stays
            // decimal with its leading half.
            let alnum_positions = |s: &str| s.bytes().map(|b| b.is_ascii_alphanumeric()).collect::<Vec<_>>();
            prop_assert_eq!(alnum_positions(&got), alnum_positions(&value));
            prop_assert!(changed_runs(&value, &got).len() <= 1);
            // A value with a changeable part always changes.
            prop_assert_eq!(got == value, changeable_parts(value.as_bytes()).is_empty());
            if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                prop_assert!(got.bytes().all(|b| b.is_ascii_digit()));
                let kept = value.len() - value.len().div_ceil(3).min(18).min(value.len() - 1);
                prop_assert_eq!(&got[..kept], &value[..kept]);
            }
        }
    }
}
