//! The decimal arithmetic sprig's `addf`, `subf`, `mulf` and `divf` use (shopspring/decimal):
//! operands are converted from `float64` through their shortest decimal representation, added,
//! subtracted and multiplied exactly, divided with 16 decimal places rounded half away from
//! zero, and the result converted back to the nearest `float64`. So `addf 0.1 0.2` is `0.3`,
//! not `0.30000000000000004`.
//!
//! Mantissas are `i128`; when an exact result would not fit (operands more than ~20 orders of
//! magnitude apart, long chains of products), the computation continues in `f64`, whose
//! result differs from the exact one by at most a rounding step.

/// Digits kept by `Div`.
const DIVISION_PRECISION: i32 = 16;

/// A number in the middle of a decimal computation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    /// `mantissa × 10^exponent`, exact.
    Exact { mantissa: i128, exponent: i32 },
    /// Fallen back to binary floating point.
    Approx(f64),
}

/// The operations of sprig's float functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `addf`.
    Add,
    /// `subf`.
    Sub,
    /// `mulf`.
    Mul,
    /// `divf`.
    Div,
}

impl Num {
    /// `decimal.NewFromFloat`: the shortest decimal that round-trips to `f`.
    pub(crate) fn from_f64(f: f64) -> Result<Self, String> {
        if !f.is_finite() {
            let shown = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(format!("Cannot create a Decimal from {shown}"));
        }
        if f == 0.0 {
            return Ok(Self::Exact {
                mantissa: 0,
                exponent: 0,
            });
        }
        let text = format!("{:e}", f.abs());
        let (digits, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let fraction_digits = digits.split_once('.').map_or(0, |(_, frac)| frac.len());
        let mantissa: i128 = digits
            .replace('.', "")
            .parse()
            .map_err(|_| format!("bad float {f}"))?;
        let exponent: i32 = exponent.parse().map_err(|_| format!("bad float {f}"))?;
        let exponent = exponent - i32::try_from(fraction_digits).unwrap_or(0);
        let mantissa = if f < 0.0 { -mantissa } else { mantissa };
        Ok(Self::Exact { mantissa, exponent }.normalized())
    }

    /// Nearest `f64` (`Decimal.Float64`).
    pub(crate) fn to_f64(self) -> f64 {
        match self {
            Self::Exact { mantissa, exponent } => {
                format!("{mantissa}e{exponent}").parse().unwrap_or(f64::NAN)
            }
            Self::Approx(f) => f,
        }
    }

    fn normalized(self) -> Self {
        let Self::Exact {
            mut mantissa,
            mut exponent,
        } = self
        else {
            return self;
        };
        if mantissa == 0 {
            return Self::Exact {
                mantissa: 0,
                exponent: 0,
            };
        }
        while mantissa % 10 == 0 && exponent < i32::MAX {
            mantissa /= 10;
            exponent += 1;
        }
        Self::Exact { mantissa, exponent }
    }

    /// `self op other`; division by zero is an error, as shopspring's panic is.
    pub(crate) fn apply(self, op: Op, other: Self) -> Result<Self, String> {
        if op == Op::Div && other.to_f64() == 0.0 {
            return Err("decimal division by 0".to_owned());
        }
        let exact = match (self, other) {
            (
                Self::Exact {
                    mantissa: m1,
                    exponent: e1,
                },
                Self::Exact {
                    mantissa: m2,
                    exponent: e2,
                },
            ) => exact_op(op, (m1, e1), (m2, e2)),
            _ => None,
        };
        Ok(exact.map_or_else(
            || Self::Approx(float_op(op, self.to_f64(), other.to_f64())),
            Self::normalized,
        ))
    }
}

fn float_op(op: Op, a: f64, b: f64) -> f64 {
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
    }
}

fn pow10(exponent: i32) -> Option<i128> {
    10i128.checked_pow(u32::try_from(exponent).ok()?)
}

fn exact_op(op: Op, (m1, e1): (i128, i32), (m2, e2): (i128, i32)) -> Option<Num> {
    match op {
        Op::Add | Op::Sub => {
            let m2 = if op == Op::Sub { m2.checked_neg()? } else { m2 };
            let exponent = e1.min(e2);
            let a = m1.checked_mul(pow10(e1.checked_sub(exponent)?)?)?;
            let b = m2.checked_mul(pow10(e2.checked_sub(exponent)?)?)?;
            Some(Num::Exact {
                mantissa: a.checked_add(b)?,
                exponent,
            })
        }
        Op::Mul => Some(Num::Exact {
            mantissa: m1.checked_mul(m2)?,
            exponent: e1.checked_add(e2)?,
        }),
        Op::Div => divide_round(m1, e1, m2, e2),
    }
}

/// `DivRound(d2, 16)`: the quotient rounded to 16 decimal places, half away from zero.
fn divide_round(m1: i128, e1: i32, m2: i128, e2: i32) -> Option<Num> {
    let shift = e1.checked_sub(e2)?.checked_add(DIVISION_PRECISION)?;
    let (numerator, denominator) = if shift >= 0 {
        (m1.checked_mul(pow10(shift)?)?, m2)
    } else {
        (m1, m2.checked_mul(pow10(shift.checked_neg()?)?)?)
    };
    let mut quotient = numerator.checked_div(denominator)?;
    let remainder = numerator.checked_rem(denominator)?.checked_abs()?;
    let half_or_more = remainder >= denominator.checked_abs()?.checked_sub(remainder)?;
    if half_or_more && remainder != 0 {
        let negative = (numerator < 0) != (denominator < 0);
        quotient = if negative {
            quotient.checked_sub(1)?
        } else {
            quotient.checked_add(1)?
        };
    }
    Some(Num::Exact {
        mantissa: quotient,
        exponent: -DIVISION_PRECISION,
    })
}
