//! [`Decimal`]: an exact decimal number kept as its digits, for Zoho's `currency`, `decimal` and
//! `percent` values. No arithmetic lives here: convert to the decimal crate of your choice
//! (`rust_decimal::Decimal::from_str(d.as_str())`, `bigdecimal`, ...) for that.
//!
//! Zoho sends money as JSON numbers. Decoding one through `f64` keeps about 15 significant
//! digits: `9007199254740993` comes back as `9007199254740992`, and `12345678901234.567` as
//! `12345678901234.566`. A `Decimal` is read from the number's own text (serde_json's
//! [`RawValue`]), so every digit survives, and it is written back
//! as the same JSON number text.
//!
//! ```
//! use zohocrm_core::Decimal;
//!
//! let d: Decimal = serde_json::from_str("12345678901234567.891").unwrap();
//! assert_eq!(d.as_str(), "12345678901234567.891");
//! assert_eq!(serde_json::to_string(&d).unwrap(), "12345678901234567.891");
//! assert_eq!("1.50".parse::<Decimal>().unwrap(), "1.5".parse::<Decimal>().unwrap());
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::record::short;

/// Digits a [`Decimal`] may hold (integer and fraction together, after an exponent is applied):
/// far above any Zoho field, and a bound on what hostile input can allocate.
pub const MAX_DIGITS: usize = 1000;

/// Why a text is not a [`Decimal`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not a decimal number (`-12.50`, `3`, `1e3`).
    #[error("not a decimal number: {0:?}")]
    Syntax(String),
    /// More than [`MAX_DIGITS`] digits once written without an exponent.
    #[error("decimal number longer than {MAX_DIGITS} digits")]
    TooLong,
}

/// An exact decimal number: the digits as sent, with no rounding.
///
/// The text is kept in plain notation (`-?digits[.digits]`); a trailing zero of the fraction is
/// kept (`"1.50"` stays `"1.50"`, so a value is written back exactly as read). Equality, ordering
/// and hashing compare numeric values: `1.50 == 1.5`, `-0 == 0`.
#[derive(Clone)]
pub struct Decimal {
    text: String,
}

impl Decimal {
    /// Parses a decimal number: JSON number syntax, plus a leading `+` and leading zeros;
    /// surrounding whitespace is ignored. An exponent (`1.5e3`) is applied.
    pub fn parse(text: &str) -> Result<Decimal, DecimalError> {
        let syntax = || DecimalError::Syntax(short(text));
        let s = text.trim();
        let (negative, s) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || (mantissa.ends_with('.')) {
            return Err(syntax());
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(e) => {
                let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
                if unsigned.is_empty() || !digits(unsigned) {
                    return Err(syntax());
                }
                // Any exponent past the digit cap is refused below; parse saturates.
                e.parse::<i64>().unwrap_or(if e.starts_with('-') {
                    i64::MIN
                } else {
                    i64::MAX
                })
            }
        };
        let int = int.trim_start_matches('0');
        let (int, frac) = if exponent == 0 {
            (int.to_owned(), frac.to_owned())
        } else {
            shift(int, frac, exponent)?
        };
        if int.len() + frac.len() > MAX_DIGITS {
            return Err(DecimalError::TooLong);
        }
        let mut out = String::with_capacity(int.len() + frac.len() + 3);
        if negative {
            out.push('-');
        }
        if int.is_empty() {
            out.push('0');
        } else {
            out.push_str(&int);
        }
        if !frac.is_empty() {
            out.push('.');
            out.push_str(&frac);
        }
        Ok(Decimal { text: out })
    }

    /// The number as text, e.g. `"-1234.50"` (valid JSON number syntax).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The number as text.
    pub fn into_string(self) -> String {
        self.text
    }

    /// Whether the number is below zero.
    pub fn is_negative(&self) -> bool {
        self.text.starts_with('-') && !self.is_zero()
    }

    /// Whether the number is zero (`0`, `-0.00`, ...).
    pub fn is_zero(&self) -> bool {
        self.text.bytes().all(|b| matches!(b, b'0' | b'-' | b'.'))
    }

    /// Digits after the decimal point, as written (`"1.50"` has 2).
    pub fn scale(&self) -> usize {
        self.text.split_once('.').map_or(0, |(_, f)| f.len())
    }

    /// The value as an `i64` when it is a whole number in range (`"12.00"` is 12).
    pub fn to_i64(&self) -> Option<i64> {
        let (int, frac) = self.parts();
        if !frac.bytes().all(|b| b == b'0') {
            return None;
        }
        let magnitude: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let value = if self.text.starts_with('-') {
            -magnitude
        } else {
            magnitude
        };
        i64::try_from(value).ok()
    }

    /// The nearest `f64`. Lossy beyond about 15 significant digits: meant for display and
    /// statistics, never for money that is written back.
    pub fn to_f64(&self) -> f64 {
        self.text.parse().unwrap_or(f64::NAN)
    }

    /// The exact value of a finite `f64` written in its shortest form (`0.1` is `"0.1"`);
    /// `None` for NaN and infinities.
    pub fn from_f64(value: f64) -> Option<Decimal> {
        if !value.is_finite() {
            return None;
        }
        // `Display` for f64 prints the shortest text that reads back as the same f64, without
        // an exponent.
        Decimal::parse(&value.to_string()).ok()
    }

    /// Integer digits without leading zeros (empty for zero) and fraction digits without
    /// trailing zeros: the canonical form that comparisons use.
    fn parts(&self) -> (&str, &str) {
        let unsigned = self.text.strip_prefix('-').unwrap_or(&self.text);
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        (int.trim_start_matches('0'), frac.trim_end_matches('0'))
    }

    /// -1, 0 or 1.
    fn sign(&self) -> i8 {
        if self.is_zero() {
            0
        } else if self.text.starts_with('-') {
            -1
        } else {
            1
        }
    }
}

/// Moves the decimal point of `int.frac` by `exponent` places; the digit cap is checked first.
fn shift(int: &str, frac: &str, exponent: i64) -> Result<(String, String), DecimalError> {
    let digits = int.len() + frac.len();
    // Padding zeros needed: past the fraction (positive exponent) or before the integer part.
    let pad = if exponent > 0 {
        exponent.saturating_sub(frac.len() as i64).max(0)
    } else {
        exponent
            .saturating_neg()
            .saturating_sub(int.len() as i64)
            .max(0)
    };
    if pad > MAX_DIGITS as i64 || digits + pad as usize > MAX_DIGITS {
        return Err(DecimalError::TooLong);
    }
    let all: String = format!("{int}{frac}");
    // Position of the point within `all`, possibly outside it.
    let point = int.len() as i64 + exponent;
    if point <= 0 {
        let zeros = "0".repeat(point.unsigned_abs() as usize);
        Ok((String::new(), format!("{zeros}{all}")))
    } else if point as usize >= all.len() {
        let zeros = "0".repeat(point as usize - all.len());
        Ok((
            format!("{all}{zeros}").trim_start_matches('0').to_owned(),
            String::new(),
        ))
    } else {
        let (i, f) = all.split_at(point as usize);
        Ok((i.trim_start_matches('0').to_owned(), f.to_owned()))
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::parse(s)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.text)
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Consistent with `Eq`: the canonical digits and the sign of non-zero values.
        let (int, frac) = self.parts();
        self.sign().hash(state);
        int.hash(state);
        frac.hash(state);
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.sign(), other.sign());
        if a != b {
            return a.cmp(&b);
        }
        let (ai, af) = self.parts();
        let (bi, bf) = other.parts();
        let magnitude = ai
            .len()
            .cmp(&bi.len())
            .then_with(|| ai.cmp(bi))
            .then_with(|| af.cmp(bf));
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Decimal {
            fn from(value: $t) -> Self {
                Decimal { text: value.to_string() }
            }
        }
    )*};
}
from_integer!(i8, i16, i32, i64, i128, u8, u16, u32, u64, u128, isize, usize);

impl Default for Decimal {
    fn default() -> Self {
        Decimal::from(0u8)
    }
}

impl Serialize for Decimal {
    /// A JSON number with exactly these digits (through serde_json's raw values; serde_json's
    /// own `to_value` reads it back as its `Number`, which may round).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let raw: &RawValue = serde_json::from_str(&self.text).map_err(S::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    /// From a JSON number's text or a string holding a number, exactly. This reads serde_json's
    /// raw value, so the deserialiser must be serde_json's (a JSON text, a `serde_json::Value`,
    /// a [`Record`](crate::Record)); other formats fail with an error rather than round.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Decimal::parse_json(raw.get()).map_err(D::Error::custom)
    }
}

impl Decimal {
    /// From the JSON text of a number, or of a string holding one (Zoho sends both).
    pub fn parse_json(raw: &str) -> Result<Decimal, DecimalError> {
        let raw = raw.trim();
        if raw.starts_with('"') {
            let text: String =
                serde_json::from_str(raw).map_err(|_| DecimalError::Syntax(short(raw)))?;
            Decimal::parse(&text)
        } else {
            Decimal::parse(raw)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn keeps_every_digit_where_f64_does_not() {
        for text in [
            "9007199254740993",
            "12345678901234.567",
            "0.30000000000000000001",
            "-98765432109876543210.123456789",
            "1234.50",
        ] {
            let dec: Decimal = serde_json::from_str(text).unwrap();
            assert_eq!(dec.as_str(), text);
            assert_eq!(serde_json::to_string(&dec).unwrap(), text);
        }
        // What f64 would have done to the first one.
        assert_eq!(
            serde_json::from_str::<f64>("9007199254740993").unwrap(),
            9007199254740992.0
        );
        // A string holding a number, and a serde_json Value (which holds an f64 or an integer).
        let s: Decimal = serde_json::from_str("\" 42.10 \"").unwrap();
        assert_eq!(s.as_str(), "42.10");
        let v: Decimal = serde_json::from_value(serde_json::json!(7)).unwrap();
        assert_eq!(v.as_str(), "7");
    }

    #[test]
    fn syntax_and_exponents() {
        assert_eq!(d("+007.5").as_str(), "7.5");
        assert_eq!(d("-0").as_str(), "-0");
        assert_eq!(d("1.5e3").as_str(), "1500");
        assert_eq!(d("1.5E+1").as_str(), "15");
        assert_eq!(d("12.5e-3").as_str(), "0.0125");
        assert_eq!(d("125e-1").as_str(), "12.5");
        assert_eq!(d("0e5").as_str(), "0");
        assert_eq!(d("-2.50e1").as_str(), "-25.0");
        for bad in [
            "", "-", ".5", "5.", "1..2", "1,5", "abc", "1e", "1e+", "0x10", "1 2", "NaN", "inf",
            "--1",
        ] {
            assert!(Decimal::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Decimal::parse("1e999999999999"), Err(DecimalError::TooLong));
        assert_eq!(
            Decimal::parse("1e-999999999999"),
            Err(DecimalError::TooLong)
        );
        assert_eq!(
            Decimal::parse(&"9".repeat(MAX_DIGITS + 1)),
            Err(DecimalError::TooLong)
        );
        assert!(serde_json::from_str::<Decimal>("true").is_err());
        assert!(serde_json::from_str::<Decimal>("\"12a\"").is_err());
    }

    #[test]
    fn numeric_equality_order_and_hash() {
        use std::collections::HashSet;
        assert_eq!(d("1.50"), d("1.5"));
        assert_eq!(d("-0.0"), d("0"));
        assert!(d("-2") < d("-1.5"));
        assert!(d("-1.5") < d("0"));
        assert!(d("0.001") < d("0.01"));
        assert!(d("99") < d("100"));
        assert!(d("100.01") > d("100.001"));
        let set: HashSet<Decimal> = [d("1.50"), d("1.5"), d("-0"), d("0.000")].into();
        assert_eq!(set.len(), 2);
        assert!(d("-0.00").is_zero() && !d("-0.00").is_negative());
        assert!(d("-0.01").is_negative());
        assert_eq!(d("1.50").scale(), 2);
    }

    #[test]
    fn conversions() {
        assert_eq!(d("12.00").to_i64(), Some(12));
        assert_eq!(d("-12").to_i64(), Some(-12));
        assert_eq!(d("12.5").to_i64(), None);
        assert_eq!(d("99999999999999999999").to_i64(), None);
        assert_eq!(Decimal::from(-5i32).as_str(), "-5");
        assert_eq!(Decimal::from_f64(0.1).unwrap().as_str(), "0.1");
        assert_eq!(
            Decimal::from_f64(1e21).unwrap().as_str(),
            "1000000000000000000000"
        );
        assert!(Decimal::from_f64(f64::NAN).is_none());
        assert_eq!(d("2.5").to_f64(), 2.5);
        assert_eq!(Decimal::default().as_str(), "0");
    }
}
