//! Go's `strconv.FormatFloat` for the `e`, `f` and `g` formats, shortest or with a
//! precision. Digits come from Rust's exact float formatting (shortest round-trip, or
//! correctly rounded to a precision, ties to even like Go); the layout rules are Go's
//! (`%e` with at least two exponent digits, `%g` switching to `%e` at exponent < -4 or
//! >= precision, 6 for the shortest form, so `fmt.Print(3e6)` prints `3e+06`).

/// Decimal digits of a finite float's magnitude: `0.d1d2d3... × 10^dp`.
struct Digits {
    /// ASCII digits without trailing zeros; empty for zero.
    digits: Vec<u8>,
    /// Position of the decimal point relative to the digits.
    dp: i32,
}

impl Digits {
    fn nd(&self) -> i32 {
        i32::try_from(self.digits.len()).unwrap_or(i32::MAX)
    }

    fn at(&self, index: i32) -> Option<u8> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.digits.get(i).copied())
    }
}

/// Parses Rust's `{:e}` output of a non-negative finite value.
fn digits_from_scientific(text: &str) -> Digits {
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return Digits { digits, dp: 0 };
    }
    Digits {
        digits,
        dp: exponent + 1,
    }
}

fn shortest(magnitude: f64) -> Digits {
    digits_from_scientific(&format!("{magnitude:e}"))
}

fn rounded(magnitude: f64, significant: usize) -> Digits {
    let after_point = significant.saturating_sub(1);
    digits_from_scientific(&format!("{magnitude:.after_point$e}"))
}

/// A formatted float split into its sign and its unsigned text, so `fmt` flags can place
/// signs and padding.
pub(crate) struct Formatted {
    /// The value is negative (including `-0`).
    pub(crate) negative: bool,
    /// Text without sign: digits, or `Inf` / `NaN`.
    pub(crate) body: String,
}

/// Go's `strconv.FormatFloat(f, verb, prec, 64)` with the sign split off; `prec` `None`
/// means `-1` (shortest representation that round-trips). `verb` is one of `e E f F g G`.
pub(crate) fn format(f: f64, verb: u8, prec: Option<usize>) -> Formatted {
    let negative = f.is_sign_negative() && !f.is_nan();
    let mut body = String::new();
    if f.is_nan() {
        body.push_str("NaN");
    } else if f.is_infinite() {
        body.push_str("Inf");
    } else {
        format_finite(&mut body, f.abs(), verb, prec);
    }
    Formatted { negative, body }
}

/// `strconv.FormatFloat` with the sign attached (`+Inf`, `-Inf`, `NaN`).
pub(crate) fn format_signed(out: &mut String, f: f64, verb: u8, prec: Option<usize>) {
    let formatted = format(f, verb, prec);
    if formatted.negative {
        out.push('-');
    } else if f.is_infinite() {
        out.push('+');
    }
    out.push_str(&formatted.body);
}

/// Go's `%v` of a `float64`: `strconv.FormatFloat(f, 'g', -1, 64)`.
pub(crate) fn write_go_float(out: &mut String, f: f64) {
    format_signed(out, f, b'g', None);
}

fn format_finite(out: &mut String, magnitude: f64, verb: u8, prec: Option<usize>) {
    match (verb, prec) {
        (b'f' | b'F', Some(p)) => out.push_str(&format!("{magnitude:.p$}")),
        (b'f' | b'F', None) => {
            let d = shortest(magnitude);
            let p = (d.nd() - d.dp).max(0);
            fmt_f(out, &d, p);
        }
        (b'e' | b'E', Some(p)) => fmt_e(
            out,
            &rounded(magnitude, p + 1),
            i32::try_from(p).unwrap_or(i32::MAX),
            verb,
        ),
        (b'e' | b'E', None) => {
            let d = shortest(magnitude);
            let p = (d.nd() - 1).max(0);
            fmt_e(out, &d, p, verb);
        }
        (_, Some(p)) => {
            let p = p.max(1);
            let d = rounded(magnitude, p);
            fmt_g(out, &d, i32::try_from(p).unwrap_or(i32::MAX), false, verb);
        }
        (_, None) => {
            let d = shortest(magnitude);
            let p = d.nd();
            fmt_g(out, &d, p, true, verb);
        }
    }
}

fn fmt_g(out: &mut String, d: &Digits, prec: i32, shortest: bool, verb: u8) {
    let mut eprec = prec;
    if eprec > d.nd() && d.nd() >= d.dp {
        eprec = d.nd();
    }
    if shortest {
        eprec = 6;
    }
    let exp = d.dp - 1;
    let e_verb = if verb == b'G' { b'E' } else { b'e' };
    if exp < -4 || exp >= eprec {
        let p = prec.min(d.nd());
        fmt_e(out, d, (p - 1).max(0), e_verb);
        return;
    }
    let p = if prec > d.dp { d.nd() } else { prec };
    fmt_f(out, d, (p - d.dp).max(0));
}

/// `d.ddddde±dd`.
fn fmt_e(out: &mut String, d: &Digits, prec: i32, verb: u8) {
    out.push(char::from(d.at(0).unwrap_or(b'0')));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(char::from(d.at(i).unwrap_or(b'0')));
        }
    }
    out.push(char::from(verb));
    let exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let exp = exp.unsigned_abs();
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

/// `ddd.ddd`.
fn fmt_f(out: &mut String, d: &Digits, prec: i32) {
    if d.dp > 0 {
        for i in 0..d.dp {
            out.push(char::from(d.at(i).unwrap_or(b'0')));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(char::from(d.at(d.dp + i - 1).unwrap_or(b'0')));
        }
    }
}
