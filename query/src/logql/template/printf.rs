//! Go's `fmt.Sprintf` for template values: flags `# 0 + - space`, width and precision
//! (literal, `*` or `[n]` argument indexes), the verbs Go accepts per type, and Go's error
//! annotations (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA int=1)`, `%!(NOVERB)`,
//! `%!(BADWIDTH)`, `%!(BADPREC)`, `%!v(BADINDEX)`).
//!
//! Not reproduced: `#` on floats, and the `b`, `x`, `X` verbs on floats (they print as a bad
//! verb).

use super::TemplateContext;
use super::escape::{can_backquote, quote_rune, quote_with};
use super::floatfmt;
use super::funcs::FuncError;
use super::value::{Value, sorted_labels};

/// Go's limit on widths and precisions.
const MAX_WIDTH: usize = 1_000_000;

#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    sharp_v: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

struct Printer<'c> {
    out: String,
    ctx: &'c dyn TemplateContext,
    flags: Flags,
    /// Set when an explicit `[n]` index was used: extra arguments are then not reported.
    reordered: bool,
    /// Cleared by a malformed or out-of-range `[n]`.
    good_arg_num: bool,
}

/// `fmt.Sprintf(format, args...)`; fails when the result would exceed `max_bytes`.
pub(crate) fn sprintf(
    format: &str,
    args: &[Value<'_>],
    ctx: &dyn TemplateContext,
    max_bytes: usize,
) -> Result<String, FuncError> {
    let mut p = Printer {
        out: String::new(),
        ctx,
        flags: Flags::default(),
        reordered: false,
        good_arg_num: true,
    };
    let mut arg_num = 0;
    let mut i = 0;
    while i < format.len() {
        let literal_end = format
            .get(i..)
            .and_then(|r| r.find('%'))
            .map_or(format.len(), |at| i + at);
        p.out.push_str(format.get(i..literal_end).unwrap_or(""));
        if literal_end >= format.len() {
            break;
        }
        let Some((next_i, next_arg)) = p.directive(format, literal_end + 1, args, arg_num) else {
            p.out.push_str("%!(NOVERB)");
            break;
        };
        (i, arg_num) = (next_i, next_arg);
        check_size(&p.out, max_bytes)?;
    }
    if !p.reordered && arg_num < args.len() {
        p.flags = Flags::default();
        p.out.push_str("%!(EXTRA ");
        for (n, arg) in args.iter().skip(arg_num).enumerate() {
            if n > 0 {
                p.out.push_str(", ");
            }
            if let Value::Nil = arg {
                p.out.push_str("<nil>");
            } else {
                p.out.push_str(arg.type_name());
                p.out.push('=');
                p.print_arg(arg, 'v');
            }
        }
        p.out.push(')');
    }
    check_size(&p.out, max_bytes)?;
    Ok(p.out)
}

fn check_size(out: &str, max_bytes: usize) -> Result<(), FuncError> {
    if out.len() > max_bytes {
        return Err(FuncError::TooLarge);
    }
    Ok(())
}

/// Go's `parsenum`: digits at `start`, or `None` when there are none or too many.
fn parse_num(format: &str, start: usize) -> (Option<usize>, usize) {
    let digits = format
        .get(start..)
        .map_or(0, |r| r.bytes().take_while(u8::is_ascii_digit).count());
    if digits == 0 {
        return (None, start);
    }
    match format
        .get(start..start + digits)
        .and_then(|d| d.parse::<usize>().ok())
    {
        Some(n) if n <= MAX_WIDTH => (Some(n), start + digits),
        _ => (None, format.len()),
    }
}

impl Printer<'_> {
    /// Handles one `%` directive starting after the `%` at `i`. Returns the next position and
    /// argument number, or `None` when the format ends before a verb.
    fn directive(
        &mut self,
        format: &str,
        mut i: usize,
        args: &[Value<'_>],
        mut arg_num: usize,
    ) -> Option<(usize, usize)> {
        self.flags = Flags::default();
        self.good_arg_num = true;
        while let Some(c) = format.as_bytes().get(i) {
            match c {
                b'#' => self.flags.sharp = true,
                b'0' => self.flags.zero = !self.flags.minus,
                b'+' => self.flags.plus = true,
                b'-' => {
                    self.flags.minus = true;
                    self.flags.zero = false;
                }
                b' ' => self.flags.space = true,
                _ => break,
            }
            i += 1;
        }
        let mut after_index;
        (arg_num, i, after_index) = self.arg_number(arg_num, format, i, args.len());
        if format.as_bytes().get(i) == Some(&b'*') {
            i += 1;
            let (width, next) = int_from_arg(args, arg_num);
            arg_num = next;
            match width {
                Some(w) if w < 0 => {
                    self.flags.minus = true;
                    self.flags.zero = false;
                    self.flags.width = usize::try_from(w.unsigned_abs()).ok();
                }
                Some(w) => self.flags.width = usize::try_from(w.unsigned_abs()).ok(),
                None => self.out.push_str("%!(BADWIDTH)"),
            }
            after_index = false;
        } else {
            (self.flags.width, i) = parse_num(format, i);
            if after_index && self.flags.width.is_some() {
                self.good_arg_num = false;
            }
        }
        (i, arg_num, after_index) = self.precision(format, i, args, arg_num, after_index);
        if !after_index {
            (arg_num, i, _) = self.arg_number(arg_num, format, i, args.len());
        }
        let verb = format.get(i..)?.chars().next()?;
        i += verb.len_utf8();
        Some((i, self.apply_verb(verb, args, arg_num)))
    }

    fn precision(
        &mut self,
        format: &str,
        mut i: usize,
        args: &[Value<'_>],
        mut arg_num: usize,
        mut after_index: bool,
    ) -> (usize, usize, bool) {
        if !(i + 1 < format.len() && format.as_bytes().get(i) == Some(&b'.')) {
            return (i, arg_num, after_index);
        }
        i += 1;
        if after_index {
            self.good_arg_num = false;
        }
        (arg_num, i, after_index) = self.arg_number(arg_num, format, i, args.len());
        if format.as_bytes().get(i) == Some(&b'*') {
            i += 1;
            let (precision, next) = int_from_arg(args, arg_num);
            arg_num = next;
            match precision {
                Some(p) if p >= 0 => self.flags.precision = usize::try_from(p.unsigned_abs()).ok(),
                Some(_) => {}
                None => self.out.push_str("%!(BADPREC)"),
            }
            after_index = false;
        } else {
            let (precision, next) = parse_num(format, i);
            self.flags.precision = Some(precision.unwrap_or(0));
            i = next;
        }
        (i, arg_num, after_index)
    }

    /// Go's `argNumber`: an optional `[n]` (1-based) argument index.
    fn arg_number(
        &mut self,
        arg_num: usize,
        format: &str,
        i: usize,
        num_args: usize,
    ) -> (usize, usize, bool) {
        if format.as_bytes().get(i) != Some(&b'[') {
            return (arg_num, i, false);
        }
        self.reordered = true;
        let rest = format.get(i..).unwrap_or("");
        let Some(close) = rest.find(']').filter(|_| rest.len() >= 3) else {
            self.good_arg_num = false;
            return (arg_num, i + 1, false);
        };
        let index = rest
            .get(1..close)
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
        match index.and_then(|d| d.parse::<usize>().ok()) {
            Some(n) if n >= 1 && n - 1 < num_args => (n - 1, i + close + 1, true),
            Some(_) => {
                self.good_arg_num = false;
                (arg_num, i + close + 1, true)
            }
            None => {
                self.good_arg_num = false;
                (arg_num, i + close + 1, false)
            }
        }
    }

    fn apply_verb(&mut self, verb: char, args: &[Value<'_>], arg_num: usize) -> usize {
        if verb == '%' {
            self.out.push('%');
            return arg_num;
        }
        if !self.good_arg_num {
            self.out.push_str(&format!("%!{verb}(BADINDEX)"));
            return arg_num;
        }
        let Some(arg) = args.get(arg_num) else {
            self.out.push_str(&format!("%!{verb}(MISSING)"));
            return arg_num;
        };
        if verb == 'v' {
            self.flags.sharp_v = self.flags.sharp;
            self.flags.sharp = false;
            self.flags.plus = false;
        }
        self.print_arg(arg, verb);
        arg_num + 1
    }

    fn print_arg(&mut self, arg: &Value<'_>, verb: char) {
        match (arg, verb) {
            (_, 'T') => {
                let name = arg.type_name();
                self.fmt_s(name);
            }
            (Value::Nil, 'v') => self.pad("<nil>"),
            (Value::Nil, _) => self.out.push_str(&format!("%!{verb}(<nil>)")),
            (Value::Bool(b), 't' | 'v') => self.pad(if *b { "true" } else { "false" }),
            (Value::Int(i), _) => self.fmt_integer(*i, verb, arg),
            (Value::Float(f), _) => self.fmt_float(*f, verb, arg),
            (Value::Str(s), _) => self.fmt_string(s, verb, arg),
            (Value::Time(t), 'v' | 's' | 'x' | 'X' | 'q') => {
                let mut text = String::new();
                t.write_string(&mut text);
                self.fmt_string(&text, verb, arg);
            }
            (Value::List(_) | Value::Map(_) | Value::Labels, _) => self.print_composite(arg, verb),
            _ => self.bad_verb(verb, arg),
        }
    }

    fn print_composite(&mut self, arg: &Value<'_>, verb: char) {
        match arg {
            Value::List(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(' ');
                    }
                    self.print_element(item, verb);
                }
                self.out.push(']');
            }
            Value::Map(map) => {
                self.out.push_str("map[");
                for (i, (key, item)) in map.iter().enumerate() {
                    if i > 0 {
                        self.out.push(' ');
                    }
                    self.fmt_string(key, verb, &Value::Str(key.as_str().into()));
                    self.out.push(':');
                    self.print_element(item, verb);
                }
                self.out.push(']');
            }
            Value::Labels => {
                self.out.push_str("map[");
                for (i, (name, value)) in sorted_labels(self.ctx).into_iter().enumerate() {
                    if i > 0 {
                        self.out.push(' ');
                    }
                    self.fmt_string(name, verb, &Value::Str(name.into()));
                    self.out.push(':');
                    self.fmt_string(value, verb, &Value::Str(value.into()));
                }
                self.out.push(']');
            }
            _ => self.print_arg(arg, verb),
        }
    }

    /// An element of a composite: a nil element prints `<nil>` whatever the verb.
    fn print_element(&mut self, item: &Value<'_>, verb: char) {
        if let Value::Nil = item {
            self.out.push_str("<nil>");
        } else {
            self.print_arg(item, verb);
        }
    }

    /// Go's `badVerb`: `%!verb(type=value)`, the value printed with `%v` and the same flags.
    fn bad_verb(&mut self, verb: char, arg: &Value<'_>) {
        self.out.push_str("%!");
        self.out.push(verb);
        self.out.push('(');
        self.out.push_str(arg.type_name());
        self.out.push('=');
        self.print_arg(arg, 'v');
        self.out.push(')');
    }

    /// Go's `writePadding`: zeros only for left padding with the `0` flag.
    fn write_padding(&mut self, count: usize) {
        let pad = if self.flags.zero && !self.flags.minus {
            '0'
        } else {
            ' '
        };
        self.out.extend(std::iter::repeat_n(pad, count));
    }

    /// Go's `pad`: width counted in runes.
    fn pad(&mut self, text: &str) {
        let Some(width) = self.flags.width.filter(|w| *w > 0) else {
            self.out.push_str(text);
            return;
        };
        let missing = width.saturating_sub(text.chars().count());
        if self.flags.minus {
            self.out.push_str(text);
            self.write_padding(missing);
        } else {
            self.write_padding(missing);
            self.out.push_str(text);
        }
    }

    /// Pads with the `0` flag ignored (numbers handle zeros through the precision).
    fn pad_spaces(&mut self, text: &str) {
        let zero = std::mem::replace(&mut self.flags.zero, false);
        self.pad(text);
        self.flags.zero = zero;
    }

    fn fmt_s(&mut self, s: &str) {
        let truncated = match self.flags.precision {
            Some(p) => s
                .char_indices()
                .nth(p)
                .map_or(s, |(at, _)| s.get(..at).unwrap_or(s)),
            None => s,
        };
        self.pad(truncated);
    }

    fn fmt_string(&mut self, s: &str, verb: char, arg: &Value<'_>) {
        match verb {
            'v' if self.flags.sharp_v => self.fmt_q(s),
            'v' | 's' => self.fmt_s(s),
            'x' => self.fmt_sx(s, false),
            'X' => self.fmt_sx(s, true),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, arg),
        }
    }

    fn fmt_q(&mut self, s: &str) {
        let truncated = match self.flags.precision {
            Some(p) => s
                .char_indices()
                .nth(p)
                .map_or(s, |(at, _)| s.get(..at).unwrap_or(s)),
            None => s,
        };
        if self.flags.sharp && can_backquote(truncated) {
            self.pad(&format!("`{truncated}`"));
        } else {
            let quoted = quote_with(truncated, self.flags.plus);
            self.pad(&quoted);
        }
    }

    /// Go's `fmtSbx` for strings: hex of the bytes.
    fn fmt_sx(&mut self, s: &str, upper: bool) {
        let bytes = s.as_bytes();
        let length = self
            .flags
            .precision
            .map_or(bytes.len(), |p| p.min(bytes.len()));
        let prefix = if upper { "0X" } else { "0x" };
        let mut encoded = String::new();
        if self.flags.sharp {
            encoded.push_str(prefix);
        }
        for (i, byte) in bytes.iter().take(length).enumerate() {
            if self.flags.space && i > 0 {
                encoded.push(' ');
                if self.flags.sharp {
                    encoded.push_str(prefix);
                }
            }
            encoded.push_str(&if upper {
                format!("{byte:02X}")
            } else {
                format!("{byte:02x}")
            });
        }
        if length == 0 {
            encoded.clear();
        }
        self.pad(&encoded);
    }

    fn fmt_integer(&mut self, value: i64, verb: char, arg: &Value<'_>) {
        let unsigned = value as u64;
        match verb {
            'v' | 'd' => self.fmt_int_base(value, 10, false, verb),
            'b' => self.fmt_int_base(value, 2, false, verb),
            'o' | 'O' => self.fmt_int_base(value, 8, false, verb),
            'x' => self.fmt_int_base(value, 16, false, verb),
            'X' => self.fmt_int_base(value, 16, true, verb),
            'c' => {
                let c = u32::try_from(unsigned)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                self.pad_spaces(c.encode_utf8(&mut [0u8; 4]));
            }
            'q' => {
                let c = u32::try_from(unsigned)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                let quoted = quote_rune(c, self.flags.plus);
                self.pad_spaces(&quoted);
            }
            'U' => self.fmt_unicode(unsigned),
            _ => self.bad_verb(verb, arg),
        }
    }

    /// Go's `fmtInteger`.
    fn fmt_int_base(&mut self, value: i64, base: u32, upper: bool, verb: char) {
        let negative = value < 0;
        let magnitude = value.unsigned_abs();
        let mut digits = match base {
            2 => format!("{magnitude:b}"),
            8 => format!("{magnitude:o}"),
            16 if upper => format!("{magnitude:X}"),
            16 => format!("{magnitude:x}"),
            _ => magnitude.to_string(),
        };
        let mut min_digits = 0;
        if let Some(precision) = self.flags.precision {
            if precision == 0 && magnitude == 0 {
                let width = self.flags.width.unwrap_or(0);
                let zero = std::mem::replace(&mut self.flags.zero, false);
                self.write_padding(width);
                self.flags.zero = zero;
                return;
            }
            min_digits = precision;
        } else if self.flags.zero
            && !self.flags.minus
            && let Some(width) = self.flags.width
        {
            min_digits = width;
            if negative || self.flags.plus || self.flags.space {
                min_digits = min_digits.saturating_sub(1);
            }
        }
        if digits.len() < min_digits {
            digits.insert_str(0, &"0".repeat(min_digits - digits.len()));
        }
        let mut prefix = String::new();
        if self.flags.sharp {
            match base {
                2 => prefix.push_str("0b"),
                8 if !digits.starts_with('0') => prefix.push('0'),
                16 => prefix.push_str(if upper { "0X" } else { "0x" }),
                _ => {}
            }
        }
        if verb == 'O' {
            prefix.insert_str(0, "0o");
        }
        let sign = if negative {
            "-"
        } else if self.flags.plus {
            "+"
        } else if self.flags.space {
            " "
        } else {
            ""
        };
        self.pad_spaces(&format!("{sign}{prefix}{digits}"));
    }

    /// Go's `fmtUnicode`: `U+0041`, with `#` also the character.
    fn fmt_unicode(&mut self, value: u64) {
        let precision = self.flags.precision.filter(|p| *p > 4).unwrap_or(4);
        let mut text = format!("U+{value:0precision$X}");
        let printable = u32::try_from(value)
            .ok()
            .and_then(char::from_u32)
            .filter(|c| super::escape::is_print(*c));
        if self.flags.sharp
            && let Some(c) = printable
        {
            text.push_str(&format!(" '{c}'"));
        }
        self.pad_spaces(&text);
    }

    /// Go's `fmtFloat`.
    fn fmt_float(&mut self, value: f64, verb: char, arg: &Value<'_>) {
        let (strconv_verb, default_precision) = match verb {
            'v' => (b'g', None),
            'g' | 'G' => (verb as u8, None),
            'e' | 'E' | 'f' => (verb as u8, Some(6)),
            'F' => (b'f', Some(6)),
            _ => return self.bad_verb(verb, arg),
        };
        let precision = self.flags.precision.or(default_precision);
        let formatted = floatfmt::format(value, strconv_verb, precision);
        let mut sign = if formatted.negative { '-' } else { '+' };
        if self.flags.space && sign == '+' && !self.flags.plus {
            sign = ' ';
        }
        if value.is_nan() || value.is_infinite() {
            let drop_sign = value.is_nan() && !self.flags.space && !self.flags.plus;
            let text = if drop_sign {
                formatted.body
            } else {
                format!("{sign}{}", formatted.body)
            };
            self.pad_spaces(&text);
            return;
        }
        if !(self.flags.plus || sign != '+') {
            self.pad(&formatted.body);
            return;
        }
        let len = 1 + formatted.body.chars().count();
        match self.flags.width {
            Some(width) if self.flags.zero && !self.flags.minus && width > len => {
                self.out.push(sign);
                self.write_padding(width - len);
                self.out.push_str(&formatted.body);
            }
            _ => self.pad(&format!("{sign}{}", formatted.body)),
        }
    }
}

/// Go's `intFromArg`: the argument for a `*` width or precision, and the next argument index.
fn int_from_arg(args: &[Value<'_>], arg_num: usize) -> (Option<i64>, usize) {
    match args.get(arg_num) {
        Some(Value::Int(i)) if i.unsigned_abs() <= MAX_WIDTH as u64 => (Some(*i), arg_num + 1),
        Some(_) => (None, arg_num + 1),
        None => (None, arg_num),
    }
}

#[cfg(test)]
#[path = "printf_tests.rs"]
mod tests;
