//! A product space: the loan products a design search may offer, as a base
//! product and the terms that vary around it, plus the constraints a
//! product must meet (methods section 9, F54–F56). Read from a TOML file in
//! `data/spaces/`.
//!
//! The space is data; [`crate::engine::design`] enumerates it against a
//! case (harvest months and asset life come from the case) and evaluates
//! every candidate on common random numbers.
//!
//! ```toml
//! id = "upgrading"
//! name = "Long-term upgrading loans"
//! instruments_dir = "../instruments"  # for vary.instrument, relative to this file
//! [base]                     # a complete product (products/*.toml keys)
//! id = "base"
//! name = "base"
//! annual_rate = 0.24
//! rate_basis = "declining"
//! tenor_months = 24
//! frequency = "monthly"
//! amortisation = "annuity"
//! [vary]                     # lists, or { from, to, step } for months
//! tenor_months = { from = 12, to = 120, step = 12 }
//! grace_months = [0, 6, 12, 24, 36]
//! frequency = ["monthly", "quarterly", "harvest", "bullet"]
//! annual_rate = "solve"      # or a list of rates
//! instrument = ["none", "matching-grant-30"]  # donor instruments tied to the loan
//! [constraints]
//! pd_annual_max = 0.03
//! ce_gain_min = 0.0          # the household must not be worse off
//! relax = ["dscr_p10_min"]   # waived, in order, when nothing meets them all
//! ```
//!
//! Every value is checked the way a product file is: each list element is
//! put into the base product and validated, so an out-of-range element is
//! reported at `vary.tenor_months[3]` with the product rule it breaks.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::domain::product::{Amortisation, CollateralKind, GraceInterest, Product};
use crate::ensure;
use crate::math::money::de_decimal;
use crate::{Error, Result};

/// Most candidates one space may enumerate to (before a case removes the
/// combinations that do not apply). Methods F56 expects 10³–10⁴; a larger
/// space needs a smarter search, which terrace does not do.
pub const MAX_CANDIDATES: usize = 50_000;

/// A list of month counts, or an arithmetic range of them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Months {
    /// Explicit values.
    List(Vec<u32>),
    /// `from`, `from + step`, … up to and including `to`.
    Range {
        /// First value.
        from: u32,
        /// Last value (included when on the step).
        to: u32,
        /// Increment, ≥ 1.
        step: u32,
    },
}

impl Months {
    /// The values, in order.
    #[must_use]
    pub fn values(&self) -> Vec<u32> {
        match self {
            Months::List(v) => v.clone(),
            Months::Range { from, to, step } => {
                if *step == 0 || from > to {
                    return Vec::new();
                }
                (*from..=*to).step_by(*step as usize).collect()
            }
        }
    }
}

/// When instalments fall due, as the search varies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Calendar {
    /// Every month.
    Monthly,
    /// Every 3 months.
    Quarterly,
    /// Every 6 months.
    Semiannual,
    /// Every 12 months.
    Annual,
    /// In the case's own harvest (high-sales) months, weighted by its sales
    /// when amortisation is `harvest-weighted` (methods F15).
    Harvest,
    /// One payment of principal and capitalised interest at maturity.
    Bullet,
}

impl Calendar {
    /// The name used in files and ids.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Calendar::Monthly => "monthly",
            Calendar::Quarterly => "quarterly",
            Calendar::Semiannual => "semiannual",
            Calendar::Annual => "annual",
            Calendar::Harvest => "harvest",
            Calendar::Bullet => "bullet",
        }
    }
}

/// The annual rate: a list to enumerate, or solved per candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum Rates {
    /// Each rate is a candidate dimension.
    List(Vec<Decimal>),
    /// Each candidate is priced at the lowest rate at which the lender's
    /// RAROC reaches its hurdle (methods F20).
    Solve,
}

impl<'de> Deserialize<'de> for Rates {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            List(Vec<Exact>),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "solve" => Ok(Rates::Solve),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "expected a list of rates such as [0.18, 0.24] or \"solve\", found \"{w}\""
            ))),
            Raw::List(v) => Ok(Rates::List(v.into_iter().map(|e| e.0).collect())),
        }
    }
}

#[derive(Deserialize)]
struct Exact(#[serde(deserialize_with = "de_decimal")] Decimal);

fn de_decimals<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Vec<Decimal>>, D::Error> {
    Ok(Some(
        Vec::<Exact>::deserialize(d)?
            .into_iter()
            .map(|e| e.0)
            .collect(),
    ))
}

/// The terms the search varies; an absent key keeps the base product's term.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vary {
    /// Tenors in months.
    #[serde(default)]
    pub tenor_months: Option<Months>,
    /// Grace periods in months (ignored by `bullet`).
    #[serde(default)]
    pub grace_months: Option<Months>,
    /// Whether grace interest is capitalised or paid.
    #[serde(default)]
    pub grace_interest: Option<Vec<GraceInterest>>,
    /// Repayment calendars.
    #[serde(default)]
    pub frequency: Option<Vec<Calendar>>,
    /// Amortisation rules; `harvest-weighted` applies to the harvest
    /// calendar only.
    #[serde(default)]
    pub amortisation: Option<Vec<Amortisation>>,
    /// Balloon shares, used with `balloon` amortisation.
    #[serde(default, deserialize_with = "de_decimals")]
    pub balloon_share: Option<Vec<Decimal>>,
    /// Annual rates, or `"solve"`.
    #[serde(default)]
    pub annual_rate: Option<Rates>,
    /// Upfront fees as a share of principal.
    #[serde(default, deserialize_with = "de_decimals")]
    pub upfront_fee_pct: Option<Vec<Decimal>>,
    /// Down payments as a share of the amount to finance.
    #[serde(default, deserialize_with = "de_decimals")]
    pub down_payment_pct: Option<Vec<Decimal>>,
    /// What secures the loan.
    #[serde(default)]
    pub collateral: Option<Vec<CollateralKind>>,
    /// Resale haircut when the collateral is the financed asset; default
    /// the base product's.
    #[serde(default, deserialize_with = "crate::math::money::de_opt_decimal")]
    pub financed_asset_haircut: Option<Decimal>,
    /// Donor instruments tied to the loan: `"none"` or the id of an
    /// instrument file in [`Space::instruments_dir`] (methods section 7).
    #[serde(default)]
    pub instrument: Option<Vec<String>>,
}

/// What a product must meet to be offered (methods F55).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Constraints {
    /// Highest annual PD (F55: default 3%, range 1–5%, assumption).
    pub pd_annual_max: f64,
    /// Lowest 10th percentile of the annual DSCR over every simulated path
    /// and loan year (F11's DSCR_t; F55: 1.0).
    pub dscr_p10_min: f64,
    /// Lowest lender RAROC; default the base product's lender hurdle (F20:
    /// 15%).
    pub raroc_min: Option<f64>,
    /// Largest rise in the probability that consumption capacity falls
    /// below subsistence, with the loan against without the investment
    /// (F55's ε; default 0: no rise).
    pub subsistence_rise_max: f64,
    /// Lowest household CE gain per month with the investment and loan
    /// against without either (F54): default 0, the household must not be
    /// worse off. Not in F55's list, but the product a lender wants is one
    /// under which the household is better off (the issue's words).
    pub ce_gain_min: f64,
    /// Constraints the lender waives, one at a time and in this order,
    /// when no candidate meets them all (keys of this table; the asset
    /// life cannot be waived). Empty by default: nothing is waived and an
    /// infeasible search is an error.
    pub relax: Vec<String>,
}

/// The constraint keys [`Constraints::relax`] may name.
pub const RELAXABLE: [&str; 5] = [
    "pd_annual_max",
    "dscr_p10_min",
    "raroc_min",
    "subsistence_rise_max",
    "ce_gain_min",
];

impl Default for Constraints {
    fn default() -> Self {
        Constraints {
            pd_annual_max: 0.03,
            dscr_p10_min: 1.0,
            raroc_min: None,
            subsistence_rise_max: 0.0,
            ce_gain_min: 0.0,
            relax: Vec::new(),
        }
    }
}

/// A product space file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Space {
    /// Short identifier.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// The product every candidate starts from.
    pub base: Product,
    /// The terms that vary.
    #[serde(default)]
    pub vary: Vary,
    /// The constraints.
    #[serde(default)]
    pub constraints: Constraints,
    /// Where the instruments of `vary.instrument` are, relative to the
    /// space file.
    #[serde(default)]
    pub instruments_dir: Option<String>,
}

/// Checks each element of a list by putting it into the base product.
/// A value listed twice would make every candidate with it twice: refused.
fn once<T: PartialEq + fmt::Debug>(dim: &str, values: &[T]) -> Result<()> {
    for (i, v) in values.iter().enumerate() {
        ensure!(
            !values[..i].contains(v),
            format!("vary.{dim}[{i}]"),
            "each value once",
            format!("{v:?} again")
        );
    }
    Ok(())
}

fn each<T: Copy + PartialEq + fmt::Debug>(
    base: &Product,
    dim: &str,
    values: &[T],
    set: impl Fn(&mut Product, T),
) -> Result<()> {
    ensure!(
        !values.is_empty(),
        format!("vary.{dim}"),
        "at least one value (leave the key out to keep the base product's term)",
        "an empty list"
    );
    once(dim, values)?;
    for (i, &v) in values.iter().enumerate() {
        let mut p = base.clone();
        set(&mut p, v);
        p.validate().map_err(|e| {
            let field = e.location().field.clone().unwrap_or_default();
            let message = e.message().to_string();
            let at = format!("vary.{dim}[{i}]");
            if field == dim {
                Error::new(crate::ErrorKind::Invalid, message).with_field(at)
            } else {
                Error::new(
                    crate::ErrorKind::Invalid,
                    format!("with the base product this value breaks `{field}`: {message}"),
                )
                .with_field(at)
            }
        })?;
    }
    Ok(())
}

impl Space {
    /// The RAROC floor: the constraint if set, else the base lender's hurdle.
    #[must_use]
    pub fn raroc_min(&self) -> f64 {
        self.constraints
            .raroc_min
            .unwrap_or(self.base.lender.hurdle)
    }

    /// Checks the base product, every varied value and the constraints;
    /// the error names the key path (`vary.grace_months[2]`).
    pub fn validate(&self) -> Result<()> {
        super::check_id(&self.id)?;
        ensure!(
            !self.name.trim().is_empty(),
            "name",
            "a non-empty name",
            "\"\""
        );
        self.base.validate().map_err(|e| e.with_field("base"))?;
        let b = &self.base;
        let v = &self.vary;
        // Tenor and grace are checked with a long tenor / no grace so that
        // the pair (which the enumeration filters) does not fail each alone.
        let mut open = b.clone();
        open.grace_months = 0;
        if let Some(m) = &v.tenor_months {
            if let Months::Range { from, to, step } = m {
                ensure!(*step >= 1, "vary.tenor_months.step", "a step ≥ 1", step);
                ensure!(
                    from <= to,
                    "vary.tenor_months.to",
                    format!("a last value ≥ from ({from})"),
                    to
                );
            }
            each(&open, "tenor_months", &m.values(), |p, x| {
                p.tenor_months = x
            })?;
        }
        let mut long = b.clone();
        long.tenor_months = crate::domain::product::MAX_TENOR_MONTHS;
        if let Some(m) = &v.grace_months {
            if let Months::Range { from, to, step } = m {
                ensure!(*step >= 1, "vary.grace_months.step", "a step ≥ 1", step);
                ensure!(
                    from <= to,
                    "vary.grace_months.to",
                    format!("a last value ≥ from ({from})"),
                    to
                );
            }
            each(&long, "grace_months", &m.values(), |p, x| {
                p.grace_months = x
            })?;
        }
        if let Some(g) = &v.grace_interest {
            each(b, "grace_interest", g, |p, x| p.grace_interest = x)?;
        }
        if let Some(f) = &v.frequency {
            ensure!(
                !f.is_empty(),
                "vary.frequency",
                "at least one calendar",
                "an empty list"
            );
            once("frequency", f)?;
        }
        if let Some(a) = &v.amortisation {
            ensure!(
                !a.is_empty(),
                "vary.amortisation",
                "at least one amortisation rule",
                "an empty list"
            );
            once("amortisation", a)?;
        }
        if let Some(s) = &v.balloon_share {
            let mut balloon = b.clone();
            balloon.amortisation = Amortisation::Balloon;
            balloon.balloon_share = Some(Decimal::new(5, 1));
            balloon.frequency = crate::domain::product::Frequency::Monthly;
            balloon.harvest_months.clear();
            balloon.harvest_weights.clear();
            each(&balloon, "balloon_share", s, |p, x| {
                p.balloon_share = Some(x)
            })?;
        }
        let balloon_listed = v
            .amortisation
            .as_ref()
            .is_some_and(|a| a.contains(&Amortisation::Balloon));
        ensure!(
            !balloon_listed || v.balloon_share.is_some() || b.balloon_share.is_some(),
            "vary.balloon_share",
            "balloon shares when amortisation lists \"balloon\"",
            "none"
        );
        if let Some(Rates::List(r)) = &v.annual_rate {
            each(b, "annual_rate", r, |p, x| p.annual_rate = x)?;
        }
        if let Some(f) = &v.upfront_fee_pct {
            each(b, "upfront_fee_pct", f, |p, x| p.upfront_fee_pct = x)?;
        }
        if let Some(d) = &v.down_payment_pct {
            each(b, "down_payment_pct", d, |p, x| p.down_payment_pct = x)?;
        }
        if let Some(h) = v.financed_asset_haircut {
            ensure!(
                h >= Decimal::ZERO && h <= Decimal::ONE,
                "vary.financed_asset_haircut",
                "a share in [0, 1]",
                h
            );
        }
        if let Some(c) = &v.collateral {
            ensure!(
                !c.is_empty(),
                "vary.collateral",
                "at least one kind",
                "an empty list"
            );
            once("collateral", c)?;
            let asset = c.contains(&CollateralKind::FinancedAsset);
            ensure!(
                !asset
                    || v.financed_asset_haircut.is_some()
                    || b.collateral.recovery_haircut.is_some(),
                "vary.financed_asset_haircut",
                "a resale haircut in [0, 1] when collateral lists \"financed-asset\"",
                "none"
            );
        }
        if let Some(list) = &v.instrument {
            ensure!(
                !list.is_empty(),
                "vary.instrument",
                "at least one instrument id or \"none\"",
                "an empty list"
            );
            for (i, id) in list.iter().enumerate() {
                let field = format!("vary.instrument[{i}]");
                ensure!(
                    !id.trim().is_empty(),
                    field,
                    "an instrument id or \"none\"",
                    "\"\""
                );
                ensure!(
                    !list[..i].contains(id),
                    field,
                    "each instrument once",
                    format!("\"{id}\" a second time")
                );
            }
            ensure!(
                list.iter().all(|x| x == "none") || self.instruments_dir.is_some(),
                "instruments_dir",
                "the folder of the instrument files vary.instrument names (relative to this file)",
                "none"
            );
        }
        self.validate_constraints()?;
        let count = self.size();
        ensure!(
            count <= MAX_CANDIDATES as u128,
            "vary",
            format!("at most {MAX_CANDIDATES} combinations (methods F56: enumerate 10³–10⁴; use fewer values)"),
            count
        );
        Ok(())
    }

    /// Checks the constraints alone (after a command-line override).
    pub fn validate_constraints(&self) -> Result<()> {
        let c = &self.constraints;
        ensure!(
            c.pd_annual_max > 0.0 && c.pd_annual_max <= 1.0,
            "constraints.pd_annual_max",
            "an annual PD in (0, 1] (methods F55: 0.03, range 0.01-0.05)",
            c.pd_annual_max
        );
        ensure!(
            (0.0..=10.0).contains(&c.dscr_p10_min),
            "constraints.dscr_p10_min",
            "a coverage ratio in [0, 10] (methods F55: 1.0)",
            c.dscr_p10_min
        );
        if let Some(r) = c.raroc_min {
            ensure!(
                (-1.0..=2.0).contains(&r),
                "constraints.raroc_min",
                "an annual RAROC in [-1, 2] (methods F20: hurdle 0.15, range 0.10-0.25)",
                r
            );
        }
        ensure!(
            (0.0..=1.0).contains(&c.subsistence_rise_max),
            "constraints.subsistence_rise_max",
            "a probability in [0, 1] (methods F55's ε; 0 = no rise)",
            c.subsistence_rise_max
        );
        ensure!(
            c.ce_gain_min.is_finite(),
            "constraints.ce_gain_min",
            "a CE gain per month in the case's currency (0: the household is not worse off)",
            c.ce_gain_min
        );
        for (i, key) in c.relax.iter().enumerate() {
            let field = format!("constraints.relax[{i}]");
            ensure!(
                RELAXABLE.contains(&key.as_str()),
                field,
                format!("one of {}", RELAXABLE.join(", ")),
                format!("\"{key}\"")
            );
            ensure!(
                !c.relax[..i].contains(key),
                field,
                "each constraint once",
                format!("\"{key}\" a second time")
            );
        }
        Ok(())
    }

    /// The number of combinations of the varied terms, before a case
    /// removes those that do not apply.
    #[must_use]
    pub fn size(&self) -> u128 {
        let v = &self.vary;
        let n = |k: Option<usize>| k.unwrap_or(1).max(1) as u128;
        n(v.tenor_months.as_ref().map(|m| m.values().len()))
            * n(v.grace_months.as_ref().map(|m| m.values().len()))
            * n(v.grace_interest.as_ref().map(Vec::len))
            * n(v.frequency.as_ref().map(Vec::len))
            * n(v.amortisation.as_ref().map(Vec::len))
            * n(v.balloon_share.as_ref().map(Vec::len))
            * n(match &v.annual_rate {
                Some(Rates::List(r)) => Some(r.len()),
                _ => None,
            })
            * n(v.upfront_fee_pct.as_ref().map(Vec::len))
            * n(v.down_payment_pct.as_ref().map(Vec::len))
            * n(v.collateral.as_ref().map(Vec::len))
            * n(v.instrument.as_ref().map(Vec::len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
id = "s"
name = "space"
[base]
id = "b"
name = "base"
annual_rate = 0.24
rate_basis = "declining"
tenor_months = 24
frequency = "monthly"
amortisation = "annuity"
"#;

    fn space(vary: &str) -> Space {
        toml::from_str(&format!("{BASE}[vary]\n{vary}")).unwrap()
    }

    fn field(s: &Space) -> String {
        s.validate()
            .unwrap_err()
            .location()
            .field
            .clone()
            .unwrap_or_default()
    }

    #[test]
    fn ranges_and_lists_enumerate() {
        let s = space("tenor_months = { from = 12, to = 60, step = 12 }\ngrace_months = [0, 6]\nannual_rate = \"solve\"\n");
        s.validate().unwrap();
        assert_eq!(
            s.vary.tenor_months.as_ref().unwrap().values(),
            [12, 24, 36, 48, 60]
        );
        assert_eq!(s.vary.annual_rate, Some(Rates::Solve));
        assert_eq!(s.size(), 10);
        assert_eq!(s.raroc_min(), 0.15);
    }

    #[test]
    fn out_of_range_values_name_their_element() {
        assert_eq!(
            field(&space("tenor_months = [12, 400]")),
            "vary.tenor_months[1]"
        );
        assert_eq!(
            field(&space("grace_months = [0, 360]")),
            "vary.grace_months[1]"
        );
        assert_eq!(
            field(&space("annual_rate = [0.2, 24]")),
            "vary.annual_rate[1]"
        );
        assert_eq!(
            field(&space("down_payment_pct = [1.5]")),
            "vary.down_payment_pct[0]"
        );
        assert_eq!(field(&space("tenor_months = []")), "vary.tenor_months");
        assert_eq!(
            field(&space("tenor_months = { from = 60, to = 12, step = 12 }")),
            "vary.tenor_months.to"
        );
        assert_eq!(
            field(&space("amortisation = [\"balloon\"]")),
            "vary.balloon_share"
        );
        assert_eq!(
            field(&space("collateral = [\"financed-asset\"]")),
            "vary.financed_asset_haircut"
        );
        let mut s = space("");
        s.constraints.pd_annual_max = 0.0;
        assert_eq!(field(&s), "constraints.pd_annual_max");
        s.constraints.pd_annual_max = 0.03;
        s.constraints.raroc_min = Some(5.0);
        assert_eq!(field(&s), "constraints.raroc_min");
    }

    #[test]
    fn a_rate_word_other_than_solve_is_refused() {
        let e = toml::from_str::<Space>(&format!("{BASE}[vary]\nannual_rate = \"solved\"\n"))
            .unwrap_err();
        assert!(e.message().contains("\"solve\""), "{e}");
    }
}
