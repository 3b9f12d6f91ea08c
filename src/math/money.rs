//! Exact money: parsing from text without passing through `f64`, named
//! rounding strategies, and the one place where contract amounts become
//! model numbers.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::compact;
use crate::{Error, Result};

/// How contract amounts are rounded to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rounding {
    /// Half to even ("banker's rounding"): 0.125 → 0.12, 0.135 → 0.14.
    #[default]
    HalfEven,
    /// Half away from zero ("commercial rounding"): 0.125 → 0.13.
    HalfUp,
    /// Toward zero (truncate).
    Down,
    /// Away from zero.
    Up,
}

impl Rounding {
    /// The `rust_decimal` strategy this names.
    pub fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
            Rounding::Up => RoundingStrategy::AwayFromZero,
        }
    }
}

/// A currency's minor unit (decimal places) and rounding strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounder {
    /// Decimal places of the minor unit: 2 for cents, 0 for whole shillings.
    pub decimals: u32,
    /// The named strategy.
    pub rounding: Rounding,
}

impl Rounder {
    /// Rounds `x` to the minor unit.
    #[must_use]
    pub fn round(&self, x: Decimal) -> Decimal {
        // In integer arithmetic: `round_dp_with_strategy` works digit group
        // by digit group on the 96-bit mantissa and was a schedule's largest
        // cost. The usual case, an interest or fee product a few decimals
        // finer than the minor unit, fits in i64; the rest (a level
        // instalment's 28 digits) in i128.
        if x.scale() <= self.decimals {
            return x;
        }
        let k = x.scale() - self.decimals;
        // |q| ≤ |m| < 2^96 and decimals ≤ 28.
        Decimal::from_i128_with_scale(self.drop_digits(x.mantissa(), k), self.decimals)
    }

    /// `m` with its last `k` digits (1 ≤ k ≤ 28) rounded off by the
    /// strategy: m·10^−k rounded to an integer.
    fn drop_digits(&self, m: i128, k: u32) -> i128 {
        if k <= 18 && m.unsigned_abs() < 1 << 63 {
            // i64 division is several times cheaper than i128's (a call).
            let (m, unit) = (m as i64, 10i64.pow(k));
            let (q, r) = (m / unit, (m % unit).unsigned_abs());
            return i128::from(if self.away(q % 2 != 0, r.into(), unit as u128) {
                q + m.signum()
            } else {
                q
            });
        }
        let unit = 10i128.pow(k); // k ≤ 28: below 2^94
        let (q, r) = (m / unit, (m % unit).unsigned_abs());
        if self.away(q % 2 != 0, r, unit as u128) {
            q + m.signum()
        } else {
            q
        }
    }

    /// `x` counted in minor units (1000.5 at 2 decimals is 100050), or
    /// `None` when `x` has digits finer than the minor unit. A schedule's
    /// period loop adds and subtracts these integers, which is exact and
    /// several times cheaper than `Decimal`'s arithmetic.
    #[must_use]
    pub fn minor_units(&self, x: Decimal) -> Option<i128> {
        let x = if x.scale() > self.decimals {
            x.normalize()
        } else {
            x
        };
        let k = self.decimals.checked_sub(x.scale())?;
        x.mantissa().checked_mul(10i128.checked_pow(k)?)
    }

    /// The amount of `minor` minor units, at the minor unit's scale;
    /// `None` when it does not fit in a `Decimal` (96 bits).
    #[must_use]
    pub fn amount(&self, minor: i128) -> Option<Decimal> {
        Decimal::try_from_i128_with_scale(minor, self.decimals).ok()
    }

    /// `round(amount × rate)` in minor units, for an amount of `minor`
    /// minor units: the same value as rounding `Decimal`'s product, which
    /// is exact when its mantissa fits in 96 bits (taken here in integers)
    /// and is otherwise `Decimal`'s own, rounded as [`Rounder::round`]
    /// does. `None` on overflow.
    #[must_use]
    pub fn round_product(&self, minor: i128, rate: Decimal) -> Option<i128> {
        let scale = self.decimals + rate.scale();
        match minor.checked_mul(rate.mantissa()) {
            Some(p) if scale <= 28 && p.unsigned_abs() < 1 << 96 => Some(if rate.scale() == 0 {
                p
            } else {
                self.drop_digits(p, rate.scale())
            }),
            _ => {
                let product = self.amount(minor)?.checked_mul(rate)?;
                self.minor_units(self.round(product))
            }
        }
    }

    /// Whether a quotient (odd or not) with remainder `r` of `unit` (both
    /// magnitudes) moves away from zero under the strategy.
    fn away(&self, q_odd: bool, r: u128, unit: u128) -> bool {
        let twice = 2 * r; // < 2·10^28
        match self.rounding {
            Rounding::Down => false,
            Rounding::Up => r != 0,
            Rounding::HalfUp => twice >= unit,
            Rounding::HalfEven => twice > unit || (twice == unit && q_odd),
        }
    }
}

/// Converts a contract amount to a model number. With [`from_f64`], the
/// only place where money and model numbers meet.
#[must_use]
pub fn to_f64(x: Decimal) -> f64 {
    // Powers of ten that f64 holds exactly.
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    // Every amount a schedule holds: with the mantissa below 2^53 both it
    // and 10^scale are exact in f64, so one IEEE division gives the
    // correctly rounded value, without the 128-bit conversion
    // `Decimal::to_f64` makes (a hot spot of the book's million schedules).
    let (m, scale) = (x.mantissa(), x.scale() as usize);
    if m.unsigned_abs() < 1 << 53 && scale < POW10.len() {
        // Through i64 (exact here), whose conversion is one instruction;
        // i128's is a library call.
        return m as i64 as f64 / POW10[scale];
    }
    // Rarely reached (amounts of 2^53 minor units and more): Rust's text
    // parser rounds correctly, which `Decimal::to_f64` does not always.
    x.to_string().parse().unwrap_or(f64::NAN)
}

/// Converts a model number to an amount (unrounded; the caller rounds to
/// the minor unit with its product's strategy). `None` for non-finite input.
#[must_use]
pub fn from_f64(x: f64) -> Option<Decimal> {
    Decimal::from_f64_retain(x)
}

/// Parses an exact decimal from text: `1250.50`, `-3`, `1e3` are accepted;
/// digit separators (`1,250.50`, and `1_250.50`, which `Decimal::from_str`
/// would take), `NaN` and `inf` are not, as no `f64` column takes them
/// either. `field` names what is parsed.
pub fn parse_decimal(field: &str, text: &str) -> Result<Decimal> {
    let t = text.trim();
    let parsed = if t.contains('_') {
        None
    } else if t.contains(['e', 'E']) {
        Decimal::from_scientific(t).ok()
    } else {
        Decimal::from_str(t).ok()
    };
    parsed.ok_or_else(|| {
        // A number, but beyond what a Decimal holds: say that, not that it
        // is no number.
        let expected = match t.parse::<f64>() {
            Ok(v) if v.is_finite() && !t.contains('_') => beyond_decimal(v),
            _ => "a decimal number such as 1250.50",
        };
        Error::parse(field, expected, format!("`{text}`"))
    })
}

/// What a number `v` that no `Decimal` holds should have been: smaller
/// (a Decimal reaches about 7.9e28), or with fewer decimal places (28).
fn beyond_decimal(v: f64) -> &'static str {
    if v.abs() >= 1.0 {
        "a decimal number below 7.9e28 in magnitude"
    } else {
        "a decimal number with at most 28 decimal places"
    }
}

/// Parses a finite `f64` model number from text; rejects `NaN`, `inf` and
/// empty text with an error naming `field`.
pub fn parse_f64(field: &str, text: &str) -> Result<f64> {
    let t = text.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && !t.is_empty() => Ok(v),
        _ => Err(Error::parse(field, "a finite number", format!("`{text}`"))),
    }
}

/// Serde adapter for exact decimals in TOML and JSON: accepts a string
/// (`"1250.50"`, exact), an integer (exact) or a float. A float literal is
/// recovered from `f64` by its shortest round-trip representation, which is
/// the literal itself for any literal of at most 15 significant digits; a
/// float with more digits is refused, so no value silently changes.
pub fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor)
}

/// [`de_decimal`] for optional fields.
pub fn de_opt_decimal<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Decimal>, D::Error> {
    de_decimal(d).map(Some)
}

struct DecimalVisitor;

impl serde::de::Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number, e.g. 0.24 or \"1250.50\"")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Decimal, E> {
        parse_decimal("", v).map_err(|_| {
            E::custom(format!(
                "expected a decimal number such as \"1250.50\", found \"{v}\""
            ))
        })
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Decimal, E> {
        let shown = compact(v);
        if !v.is_finite() {
            return Err(E::custom(format!(
                "expected a finite decimal number, found {shown}"
            )));
        }
        let shortest = format!("{v:e}");
        let digits = shortest
            .split(['e', 'E'])
            .next()
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .count();
        if digits > 15 {
            return Err(E::custom(format!(
                "{shown} has more than 15 significant digits and cannot be read exactly; write it as a quoted string"
            )));
        }
        // Out of a Decimal's range: too large (about 7.9e28), or with
        // more than 28 decimal places.
        Decimal::from_scientific(&shortest)
            .map_err(|_| E::custom(format!("expected {}, found {shown}", beyond_decimal(v))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    /// Every rounding strategy.
    fn any_rounding() -> impl Strategy<Value = Rounding> {
        prop_oneof![
            Just(Rounding::HalfEven),
            Just(Rounding::HalfUp),
            Just(Rounding::Down),
            Just(Rounding::Up),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        /// `Rounder::round`, in integer arithmetic, gives what
        /// rust_decimal's `round_dp_with_strategy` gives: the same value,
        /// scale and sign, so the same text.
        #[test]
        fn round_matches_rust_decimal(
            m in prop_oneof![
                any::<i64>().prop_map(i128::from),
                (-100_000i64..100_000).prop_map(i128::from),
                any::<i128>().prop_map(|v| v >> 32), // up to 96 bits
            ],
            scale in 0u32..28,
            decimals in 0u32..5,
            rounding in any_rounding(),
            midpoint in any::<bool>(),
        ) {
            // Midpoints are rare among random mantissas: make half of them one.
            let k = scale.saturating_sub(decimals);
            let m = if midpoint && (1..=28).contains(&k) {
                let unit = 10i128.pow(k);
                (m / unit) * unit + unit / 2 * m.signum()
            } else {
                m
            };
            // Within the 96 bits a Decimal holds.
            let m = m.clamp(-(1 << 96) + 1, (1 << 96) - 1);
            let x = Decimal::from_i128_with_scale(m, scale);
            let r = Rounder { decimals, rounding };
            let want = x.round_dp_with_strategy(decimals, rounding.strategy());
            let got = r.round(x);
            prop_assert_eq!(got, want);
            prop_assert_eq!(got.scale(), want.scale());
            prop_assert_eq!(got.is_sign_negative(), want.is_sign_negative());
            prop_assert_eq!(got.to_string(), want.to_string());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        /// `round_product` on minor units gives what rust_decimal gives for
        /// the amount times the rate, rounded by `round_dp_with_strategy`:
        /// exact products in integers, and 28-digit rates (0.22 / 12) whose
        /// products rust_decimal must shorten.
        #[test]
        fn round_product_matches_rust_decimal(
            minor in prop_oneof![
                (-1_000_000_000i64..1_000_000_000).prop_map(i128::from),
                any::<i64>().prop_map(i128::from),
                any::<i128>().prop_map(|v| v >> 33), // up to 95 bits
            ],
            rate in prop_oneof![
                (0i64..100_000, 0u32..8).prop_map(|(m, s)| Decimal::new(m, s)),
                (1u32..37, 1u32..100).prop_map(|(months, pct)| {
                    Decimal::from(pct) / Decimal::from(100) * Decimal::from(months)
                        / Decimal::from(12)
                }),
            ],
            decimals in 0u32..5,
            rounding in any_rounding(),
        ) {
            let r = Rounder { decimals, rounding };
            let amount = Decimal::try_from_i128_with_scale(minor, decimals).unwrap();
            prop_assert_eq!(r.minor_units(amount), Some(minor));
            prop_assert_eq!(r.amount(minor), Some(amount));
            let want = amount
                .checked_mul(rate)
                .map(|x| x.round_dp_with_strategy(decimals, rounding.strategy()));
            let got = r.round_product(minor, rate);
            match want {
                // rust_decimal overflows; so may the minor units' amount.
                None => prop_assert!(got.is_none() || r.amount(got.unwrap()).is_none()),
                // Compared in minor units, which also hold the products too
                // large for a Decimal at the unit's scale.
                Some(w) => prop_assert_eq!(got, r.minor_units(w)),
            }
        }
    }

    #[test]
    fn minor_units_refuse_digits_finer_than_the_unit() {
        let cents = Rounder {
            decimals: 2,
            rounding: Rounding::HalfEven,
        };
        assert_eq!(cents.minor_units(dec!(1000.5)), Some(100_050));
        assert_eq!(cents.minor_units(dec!(1000.5000)), Some(100_050));
        assert_eq!(cents.minor_units(dec!(-3)), Some(-300));
        assert_eq!(cents.minor_units(dec!(0.125)), None);
    }

    proptest! {
        /// `to_f64` is the correctly rounded value: what Rust's decimal
        /// text parser (correctly rounded) makes of the amount's digits.
        #[test]
        fn to_f64_rounds_correctly(m in any::<i64>(), scale in 0u32..28) {
            let x = Decimal::new(m, scale);
            let expected: f64 = x.to_string().parse().unwrap();
            prop_assert_eq!(to_f64(x), expected);
        }
    }

    #[test]
    fn rounding_strategies_are_the_named_ones() {
        let half_even = Rounder {
            decimals: 2,
            rounding: Rounding::HalfEven,
        };
        let half_up = Rounder {
            decimals: 2,
            rounding: Rounding::HalfUp,
        };
        assert_eq!(half_even.round(dec!(0.125)), dec!(0.12));
        assert_eq!(half_even.round(dec!(0.135)), dec!(0.14));
        assert_eq!(half_up.round(dec!(0.125)), dec!(0.13));
        assert_eq!(
            Rounder {
                decimals: 0,
                rounding: Rounding::Down
            }
            .round(dec!(9.99)),
            dec!(9)
        );
        assert_eq!(
            Rounder {
                decimals: 0,
                rounding: Rounding::Up
            }
            .round(dec!(9.01)),
            dec!(10)
        );
    }

    #[test]
    fn parses_money_exactly_and_rejects_non_numbers() {
        assert_eq!(parse_decimal("x", "1250.50").unwrap(), dec!(1250.50));
        assert_eq!(parse_decimal("x", " 0.1 ").unwrap(), dec!(0.1));
        assert_eq!(parse_decimal("x", "1e3").unwrap(), dec!(1000));
        for bad in ["", "abc", "NaN", "inf", "1,250.50", "1_250.50", "1e400"] {
            assert!(parse_decimal("x", bad).is_err(), "{bad}");
        }
        assert!(parse_f64("x", "NaN").is_err());
        assert!(parse_f64("x", "inf").is_err());
        assert!(parse_f64("x", "").is_err());
        assert_eq!(parse_f64("x", "-1.5").unwrap(), -1.5);
    }

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "de_decimal")]
        v: Decimal,
    }

    #[test]
    fn toml_floats_strings_and_integers_read_exactly() {
        let t: T = toml::from_str("v = 0.1").unwrap();
        assert_eq!(t.v, dec!(0.1));
        let t: T = toml::from_str("v = 0.285").unwrap();
        assert_eq!(t.v, dec!(0.285));
        let t: T = toml::from_str("v = \"1250.50\"").unwrap();
        assert_eq!(t.v.to_string(), "1250.50");
        let t: T = toml::from_str("v = 65000").unwrap();
        assert_eq!(t.v, dec!(65000));
        assert!(toml::from_str::<T>("v = 0.12345678901234567").is_err());
        assert!(toml::from_str::<T>("v = nan").is_err());
    }

    #[test]
    fn text_beyond_a_decimals_range_is_called_too_large() {
        let e = parse_decimal("x", "123456789012345678901234567890.5").unwrap_err();
        assert!(e.message().contains("below 7.9e28"), "{e}");
        let e = parse_decimal("x", "1e300").unwrap_err();
        assert!(e.message().contains("below 7.9e28"), "{e}");
        let e = parse_decimal("x", "1e-300").unwrap_err();
        assert!(e.message().contains("at most 28 decimal places"), "{e}");
        let e = parse_decimal("x", "12a").unwrap_err();
        assert!(e.message().contains("such as 1250.50"), "{e}");
    }

    #[test]
    fn toml_floats_out_of_a_decimals_range_say_which_way() {
        let e = toml::from_str::<T>("v = 1e300").err().unwrap().to_string();
        assert!(e.contains("below 7.9e28 in magnitude, found 1e300"), "{e}");
        let e = toml::from_str::<T>("v = 1e-300").err().unwrap().to_string();
        assert!(e.contains("at most 28 decimal places, found 1e-300"), "{e}");
    }
}
