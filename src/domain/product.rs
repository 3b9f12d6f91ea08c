//! A loan product as data: the contract terms a lender offers, read from a
//! flat TOML file in `products/`. What a product obliges a borrower to pay,
//! period by period, is computed by [`crate::domain::schedule`].
//!
//! Money shares and rates are exact [`Decimal`]s, read through
//! [`de_decimal`] so `0.24` in a file is exactly 0.24. Every struct rejects
//! unknown keys, so a misspelled term is an error, never a silent default.
//! [`Product::validate`] checks ranges and consistency and names the key
//! path of the first problem (`collateral.recovery_haircut`).

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::domain::lender::Lender;
use crate::ensure;
use crate::math::money::{de_decimal, de_opt_decimal, Rounder, Rounding};
use crate::{Error, Result};

/// The longest tenor accepted: 30 years, the longest horizon terrace models.
pub const MAX_TENOR_MONTHS: u32 = 360;

/// How interest is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateBasis {
    /// On the outstanding (declining) balance, for the time it is outstanding.
    Declining,
    /// On the original principal for the whole tenor, whatever is repaid
    /// (methods F22); its APR is roughly 1.8–2× the flat rate.
    Flat,
}

/// What happens to interest falling due during the grace period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GraceInterest {
    /// Added to the balance at each due date inside the grace period
    /// (methods F13: B_G = P(1+i)^G).
    #[default]
    Capitalised,
    /// Paid at each due date inside the grace period (interest-only grace).
    Paid,
}

/// When instalments fall due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Frequency {
    /// Every month.
    Monthly,
    /// Every 3 months.
    Quarterly,
    /// Every 6 months.
    Semiannual,
    /// Every 12 months.
    Annual,
    /// In the calendar months listed in `harvest_months` (methods F15).
    Harvest,
}

impl Frequency {
    /// Months between due dates; `None` for harvest (irregular) calendars.
    #[must_use]
    pub fn months(self) -> Option<u32> {
        match self {
            Frequency::Monthly => Some(1),
            Frequency::Quarterly => Some(3),
            Frequency::Semiannual => Some(6),
            Frequency::Annual => Some(12),
            Frequency::Harvest => None,
        }
    }
}

/// How principal is repaid after the grace period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Amortisation {
    /// Level instalments (methods F12).
    Annuity,
    /// Equal principal parts plus interest on the balance (methods F12).
    EqualPrincipal,
    /// Level instalments on the amortising part; `balloon_share` of the
    /// principal due with the last instalment (methods F14).
    Balloon,
    /// Interest only, all principal at maturity.
    Bullet,
    /// Instalments proportional to `harvest_weights`, one weight per harvest
    /// month, with the annuity's present-value condition (methods F15).
    HarvestWeighted,
}

/// What secures the loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CollateralKind {
    /// The asset the loan finances (equipment, a truck, a lease).
    FinancedAsset,
    /// Joint liability of a borrower group.
    GroupGuarantee,
    /// Unsecured.
    #[default]
    None,
}

/// Collateral terms, used by the risk engines for loss given default.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collateral {
    /// What secures the loan.
    #[serde(default)]
    pub kind: CollateralKind,
    /// Share of the asset's value lost when it is repossessed and resold
    /// (transport, discount, legal costs), in [0, 1]; required for
    /// `financed-asset`, not allowed otherwise.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub recovery_haircut: Option<Decimal>,
    /// Months from default to recovery, at most 120.
    #[serde(default)]
    pub recovery_delay_months: u32,
}

/// A loan product: contract terms, pure data. Amounts are per unit of
/// principal (shares), so one product serves any loan size and currency.
/// Not `Eq`: the lender's parameters are model numbers (`f64`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Short identifier, e.g. `upgrading-60m-grace`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// ISO 4217 code; informational (amounts are currency-neutral).
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Decimal places of the currency's minor unit (2 for cents, 0 for
    /// whole units), at most 6.
    #[serde(default = "default_minor_unit")]
    pub minor_unit: u32,
    /// Rounding strategy for every amount.
    #[serde(default)]
    pub rounding: Rounding,
    /// Nominal annual rate (flat or declining per `rate_basis`), in [0, 2].
    #[serde(deserialize_with = "de_decimal")]
    pub annual_rate: Decimal,
    /// Declining-balance or flat interest.
    pub rate_basis: RateBasis,
    /// Months from disbursement to the last possible due date, 1..=360.
    pub tenor_months: u32,
    /// Months without principal repayment, fewer than `tenor_months`.
    #[serde(default)]
    pub grace_months: u32,
    /// Interest during grace: capitalised or paid.
    #[serde(default)]
    pub grace_interest: GraceInterest,
    /// When instalments fall due.
    pub frequency: Frequency,
    /// Calendar months (1–12) of the harvest due dates; required iff
    /// `frequency = "harvest"`.
    #[serde(default)]
    pub harvest_months: Vec<u32>,
    /// How principal is repaid.
    pub amortisation: Amortisation,
    /// Share of principal due with the last instalment, in (0, 1); required
    /// iff `amortisation = "balloon"`.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub balloon_share: Option<Decimal>,
    /// One positive weight per harvest month; required iff
    /// `amortisation = "harvest-weighted"`. Only ratios matter.
    #[serde(default, deserialize_with = "de_decimal_vec")]
    pub harvest_weights: Vec<Decimal>,
    /// Upfront fee as a share of principal, deducted at disbursement, [0, 1).
    #[serde(default, deserialize_with = "de_decimal")]
    pub upfront_fee_pct: Decimal,
    /// Fixed upfront fee in currency units, deducted at disbursement, ≥ 0.
    #[serde(default, deserialize_with = "de_decimal")]
    pub fixed_fee: Decimal,
    /// Credit-life insurance premium per year as a share of principal,
    /// charged upfront for the whole term (principal × rate × term years), as
    /// many MFIs do; [0, 1).
    #[serde(default, deserialize_with = "de_decimal")]
    pub insurance_pct_per_year: Decimal,
    /// Compulsory savings as a share of principal: held from the
    /// disbursement, returned at maturity without interest; [0, 1).
    #[serde(default, deserialize_with = "de_decimal")]
    pub compulsory_savings_pct: Decimal,
    /// Share of the asset cost the borrower pays (used by the appraisal,
    /// not by the schedule); [0, 1).
    #[serde(default, deserialize_with = "de_decimal")]
    pub down_payment_pct: Decimal,
    /// Collateral terms; unsecured if absent.
    #[serde(default)]
    pub collateral: Collateral,
    /// The lender's costs, hurdle, default and recovery rules (an optional
    /// `[lender]` table); documented defaults if absent.
    #[serde(default)]
    pub lender: Lender,
}

fn default_currency() -> String {
    "USD".to_string()
}

fn default_minor_unit() -> u32 {
    2
}

fn de_decimal_vec<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<Decimal>, D::Error> {
    #[derive(Deserialize)]
    struct Exact(#[serde(deserialize_with = "de_decimal")] Decimal);
    Ok(Vec::<Exact>::deserialize(d)?
        .into_iter()
        .map(|e| e.0)
        .collect())
}

fn share_in_unit_interval(field: &str, x: Decimal) -> Result<()> {
    ensure!(
        x >= Decimal::ZERO && x < Decimal::ONE,
        field,
        "a share in [0, 1), e.g. 0.02 for 2%",
        x
    );
    Ok(())
}

impl Product {
    /// The rounding of every amount: the currency's minor unit and the
    /// named strategy.
    #[must_use]
    pub fn rounder(&self) -> Rounder {
        Rounder {
            decimals: self.minor_unit,
            rounding: self.rounding,
        }
    }

    /// The product with command-line overrides applied. Call
    /// [`Product::validate`] afterwards: an override may break a constraint
    /// (a grace longer than a shortened tenor).
    #[must_use]
    pub fn with_overrides(
        mut self,
        annual_rate: Option<Decimal>,
        tenor_months: Option<u32>,
        grace_months: Option<u32>,
    ) -> Self {
        if let Some(r) = annual_rate {
            self.annual_rate = r;
        }
        if let Some(t) = tenor_months {
            self.tenor_months = t;
        }
        if let Some(g) = grace_months {
            self.grace_months = g;
        }
        self
    }

    /// Checks ranges and consistency; the error names the key path.
    ///
    /// The rate range [0, 2] admits every real microfinance price (Mexican
    /// APRs near 80% are the high end in `case-data.md`, C33) and refuses a
    /// percentage typed as a number (`24` for 24%).
    pub fn validate(&self) -> Result<()> {
        super::check_id(&self.id)?;
        ensure!(
            !self.name.trim().is_empty(),
            "name",
            "a non-empty name",
            "\"\""
        );
        ensure!(
            self.currency.len() == 3 && self.currency.chars().all(|c| c.is_ascii_uppercase()),
            "currency",
            "an ISO 4217 code such as \"USD\" or \"KES\"",
            format!("\"{}\"", self.currency)
        );
        ensure!(
            self.minor_unit <= 6,
            "minor_unit",
            "at most 6 decimal places",
            self.minor_unit
        );
        ensure!(
            self.annual_rate >= Decimal::ZERO && self.annual_rate <= Decimal::TWO,
            "annual_rate",
            "an annual rate in [0, 2] as a fraction (0.24 for 24%)",
            self.annual_rate
        );
        ensure!(
            self.tenor_months >= 1 && self.tenor_months <= MAX_TENOR_MONTHS,
            "tenor_months",
            format!("between 1 and {MAX_TENOR_MONTHS} months"),
            self.tenor_months
        );
        ensure!(
            self.grace_months < self.tenor_months,
            "grace_months",
            format!(
                "fewer months than tenor_months ({}), leaving a due date for principal",
                self.tenor_months
            ),
            self.grace_months
        );
        self.validate_calendar()?;
        self.validate_amortisation()?;
        share_in_unit_interval("upfront_fee_pct", self.upfront_fee_pct)?;
        share_in_unit_interval("insurance_pct_per_year", self.insurance_pct_per_year)?;
        share_in_unit_interval("compulsory_savings_pct", self.compulsory_savings_pct)?;
        share_in_unit_interval("down_payment_pct", self.down_payment_pct)?;
        ensure!(
            self.fixed_fee >= Decimal::ZERO && self.fixed_fee <= super::MAX_AMOUNT,
            "fixed_fee",
            "a fee in [0, 1e15]",
            self.fixed_fee
        );
        // As a principal must be: a fee is charged in whole minor units.
        ensure!(
            self.fixed_fee.normalize().scale() <= self.minor_unit,
            "fixed_fee",
            format!("a fee in whole minor units ({} decimals)", self.minor_unit),
            self.fixed_fee
        );
        self.validate_collateral()?;
        self.lender.validate().map_err(|e| e.with_field("lender"))
    }

    fn validate_calendar(&self) -> Result<()> {
        let harvest = self.frequency == Frequency::Harvest;
        ensure!(
            harvest || self.harvest_months.is_empty(),
            "harvest_months",
            "no harvest_months unless frequency = \"harvest\"",
            format!("{:?}", self.harvest_months)
        );
        if !harvest {
            return Ok(());
        }
        ensure!(
            !self.harvest_months.is_empty(),
            "harvest_months",
            "at least one calendar month (1-12) when frequency = \"harvest\"",
            "none"
        );
        for (i, &m) in self.harvest_months.iter().enumerate() {
            let field = format!("harvest_months[{i}]");
            ensure!((1..=12).contains(&m), field, "a calendar month 1-12", m);
            ensure!(
                !self.harvest_months[..i].contains(&m),
                field,
                "each month listed once",
                format!("{m} twice")
            );
        }
        Ok(())
    }

    fn validate_amortisation(&self) -> Result<()> {
        let is_balloon = self.amortisation == Amortisation::Balloon;
        match (is_balloon, self.balloon_share) {
            (true, None) => {
                return Err(Error::invalid(
                    "balloon_share",
                    "a balloon_share in (0, 1) when amortisation = \"balloon\"",
                    "none",
                ))
            }
            (true, Some(b)) => ensure!(
                b > Decimal::ZERO && b < Decimal::ONE,
                "balloon_share",
                "a share in (0, 1)",
                b
            ),
            (false, Some(b)) => {
                return Err(Error::invalid(
                    "balloon_share",
                    "no balloon_share unless amortisation = \"balloon\"",
                    b,
                ))
            }
            (false, None) => {}
        }
        let weighted = self.amortisation == Amortisation::HarvestWeighted;
        ensure!(
            weighted || self.harvest_weights.is_empty(),
            "harvest_weights",
            "no harvest_weights unless amortisation = \"harvest-weighted\"",
            format!("{} weights", self.harvest_weights.len())
        );
        if weighted {
            ensure!(
                self.frequency == Frequency::Harvest,
                "amortisation",
                "frequency = \"harvest\" for harvest-weighted amortisation",
                "harvest-weighted"
            );
            ensure!(
                self.harvest_weights.len() == self.harvest_months.len(),
                "harvest_weights",
                format!(
                    "one weight per harvest month ({})",
                    self.harvest_months.len()
                ),
                format!("{} weights", self.harvest_weights.len())
            );
            for (i, &w) in self.harvest_weights.iter().enumerate() {
                ensure!(
                    w > Decimal::ZERO,
                    format!("harvest_weights[{i}]"),
                    "a weight > 0",
                    w
                );
            }
        }
        Ok(())
    }

    fn validate_collateral(&self) -> Result<()> {
        let c = &self.collateral;
        match (c.kind, c.recovery_haircut) {
            (CollateralKind::FinancedAsset, None) => {
                return Err(Error::invalid(
                    "collateral.recovery_haircut",
                    "a haircut in [0, 1] for kind = \"financed-asset\"",
                    "none",
                ))
            }
            (CollateralKind::FinancedAsset, Some(h)) => ensure!(
                h >= Decimal::ZERO && h <= Decimal::ONE,
                "collateral.recovery_haircut",
                "a share in [0, 1]",
                h
            ),
            (_, Some(h)) => {
                return Err(Error::invalid(
                    "collateral.recovery_haircut",
                    "no recovery_haircut unless kind = \"financed-asset\"",
                    h,
                ))
            }
            (_, None) => {}
        }
        ensure!(
            c.recovery_delay_months <= 120,
            "collateral.recovery_delay_months",
            "at most 120 months",
            c.recovery_delay_months
        );
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// A valid monthly annuity product for tests.
    pub(crate) fn base() -> Product {
        toml::from_str(
            r#"
            id = "t"
            name = "test"
            annual_rate = 0.12
            rate_basis = "declining"
            tenor_months = 12
            frequency = "monthly"
            amortisation = "annuity"
            "#,
        )
        .unwrap()
    }

    fn field_of(p: &Product) -> String {
        p.validate()
            .unwrap_err()
            .location()
            .field
            .clone()
            .unwrap_or_default()
    }

    #[test]
    fn defaults_are_sensible_and_valid() {
        let p = base();
        assert_eq!(p.currency, "USD");
        assert_eq!(p.minor_unit, 2);
        assert_eq!(p.rounding, Rounding::HalfEven);
        assert_eq!(p.grace_interest, GraceInterest::Capitalised);
        assert_eq!(p.collateral.kind, CollateralKind::None);
        assert_eq!(p.annual_rate, dec!(0.12));
        p.validate().unwrap();
    }

    #[test]
    fn unknown_keys_are_refused_with_the_allowed_ones() {
        let e = toml::from_str::<Product>("id = \"t\"\ntenor = 3\n").unwrap_err();
        assert!(e.message().contains("unknown field `tenor`"));
        assert!(e.message().contains("tenor_months"));
    }

    #[test]
    fn each_rule_names_its_key() {
        type Breaks = fn(&mut Product);
        let cases: Vec<(Breaks, &str)> = vec![
            (|p| p.grace_months = 12, "grace_months"),
            (|p| p.tenor_months = 0, "tenor_months"),
            (|p| p.tenor_months = 361, "tenor_months"),
            (|p| p.annual_rate = dec!(5), "annual_rate"),
            (|p| p.annual_rate = dec!(-0.1), "annual_rate"),
            (|p| p.minor_unit = 7, "minor_unit"),
            (|p| p.currency = "usd".into(), "currency"),
            (|p| p.upfront_fee_pct = dec!(1), "upfront_fee_pct"),
            (
                |p| p.compulsory_savings_pct = dec!(-0.1),
                "compulsory_savings_pct",
            ),
            (|p| p.fixed_fee = dec!(-1), "fixed_fee"),
            (|p| p.fixed_fee = dec!(1000000000000000.01), "fixed_fee"),
            (|p| p.fixed_fee = dec!(0.015), "fixed_fee"),
            (|p| p.amortisation = Amortisation::Balloon, "balloon_share"),
            (
                |p| {
                    p.amortisation = Amortisation::Balloon;
                    p.balloon_share = Some(dec!(1));
                },
                "balloon_share",
            ),
            (|p| p.balloon_share = Some(dec!(0.3)), "balloon_share"),
            (|p| p.frequency = Frequency::Harvest, "harvest_months"),
            (
                |p| {
                    p.frequency = Frequency::Harvest;
                    p.harvest_months = vec![7, 13];
                },
                "harvest_months[1]",
            ),
            (
                |p| {
                    p.frequency = Frequency::Harvest;
                    p.harvest_months = vec![7, 7];
                },
                "harvest_months[1]",
            ),
            (|p| p.harvest_months = vec![7], "harvest_months"),
            (
                |p| p.amortisation = Amortisation::HarvestWeighted,
                "amortisation",
            ),
            (
                |p| {
                    p.frequency = Frequency::Harvest;
                    p.harvest_months = vec![7, 12];
                    p.amortisation = Amortisation::HarvestWeighted;
                    p.harvest_weights = vec![dec!(1)];
                },
                "harvest_weights",
            ),
            (
                |p| {
                    p.frequency = Frequency::Harvest;
                    p.harvest_months = vec![7, 12];
                    p.amortisation = Amortisation::HarvestWeighted;
                    p.harvest_weights = vec![dec!(1), dec!(0)];
                },
                "harvest_weights[1]",
            ),
            (
                |p| p.collateral.kind = CollateralKind::FinancedAsset,
                "collateral.recovery_haircut",
            ),
            (
                |p| p.collateral.recovery_haircut = Some(dec!(0.4)),
                "collateral.recovery_haircut",
            ),
            (|p| p.lender.hurdle = -1.0, "lender.hurdle"),
            (
                |p| p.lender.unlikely_to_pay_share = 0.0,
                "lender.unlikely_to_pay_share",
            ),
        ];
        for (i, (breaks, field)) in cases.into_iter().enumerate() {
            let mut p = base();
            breaks(&mut p);
            assert_eq!(field_of(&p), field, "case {i}");
        }
    }

    #[test]
    fn a_lender_table_is_optional_and_checked() {
        assert_eq!(base().lender, Lender::default());
        let text = r#"
            id = "t"
            name = "test"
            annual_rate = 0.12
            rate_basis = "declining"
            tenor_months = 12
            frequency = "monthly"
            amortisation = "annuity"
            [lender]
            cost_of_funds = 0.1
            default_days_past_due = 180
            "#;
        let p: Product = toml::from_str(text).unwrap();
        assert_eq!(p.lender.cost_of_funds, 0.1);
        assert_eq!(p.lender.default_days_past_due, 180);
        assert_eq!(p.lender.hurdle, Lender::default().hurdle);
        p.validate().unwrap();
        let bad = text.replace("cost_of_funds", "cost_funds");
        let e = toml::from_str::<Product>(&bad).unwrap_err();
        assert!(e.message().contains("unknown field `cost_funds`"));
    }

    #[test]
    fn overrides_replace_terms() {
        let p = base().with_overrides(Some(dec!(0.3)), Some(24), Some(6));
        assert_eq!(
            (p.annual_rate, p.tenor_months, p.grace_months),
            (dec!(0.3), 24, 6)
        );
        let p = base().with_overrides(None, None, None);
        assert_eq!(p, base());
    }
}
