//! The lender behind a product: what its money costs, what running a loan
//! costs, what return it asks for, when it calls a loan defaulted and how
//! much it gets back. The risk engine ([`crate::engine::credit`]) reads
//! these numbers; a product file may carry them as an optional `[lender]`
//! table, and every field has a documented default.
//!
//! These are model numbers, not contract amounts, so they are `f64`.
//! Defaults marked "(est.)" are assumptions where no authoritative figure
//! was found (methods.md says so too); change them per lender.

use serde::Deserialize;

use crate::ensure;
use crate::Result;

/// A lender's costs, hurdle and default and recovery rules.
///
/// ```
/// use terrace::domain::lender::Lender;
/// let l: Lender = toml::from_str("hurdle = 0.2").unwrap();
/// assert_eq!(l.hurdle, 0.2);
/// assert_eq!(l.default_days_past_due, 90);
/// l.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lender {
    /// Annual cost of funds as a share of the average balance. Default
    /// 0.08: methods F18 (CGAP, [S7]) puts microlenders' cost of funds at
    /// 5–12% of the average portfolio (est. mid-range).
    pub cost_of_funds: f64,
    /// Annual operating (administrative) cost as a share of the average
    /// balance. Default 0.12: methods F18 puts administrative expense at
    /// 10–25% for small loans, falling with loan size; upgrading loans are
    /// larger than the typical microloan (est.).
    pub operating_cost_rate: f64,
    /// Annual risk-free rate earned on economic capital (methods F20).
    /// Default 0.05 (est.).
    pub risk_free: f64,
    /// Hurdle rate for RAROC (methods F20): 0.15, range 0.10–0.25
    /// (assumption, [S9]).
    pub hurdle: f64,
    /// Days past due after which a loan is in default (methods F24):
    /// 90, the Basel II definition ([S10], para 452); supervisors may allow
    /// up to 180 for retail exposures.
    pub default_days_past_due: u32,
    /// θ of methods F24: the loan is "unlikely to pay", hence in default,
    /// when arrears exceed θ × the scheduled balance outstanding. Default
    /// 0.5 (assumption).
    pub unlikely_to_pay_share: f64,
    /// Costs of collecting a recovery (repossession, legal, sale) as a
    /// share of the value recovered (methods F26: LGD nets recovery costs).
    /// Default 0.10 (est.).
    pub recovery_cost_share: f64,
    /// Share of the exposure at default a group guarantee recovers (joint
    /// liability). Default 0.5 (est.).
    pub group_recovery_share: f64,
    /// Share of the exposure at default recovered on an unsecured loan.
    /// Default 0.1 (est.), so unsecured LGD ≈ 90% before discounting, inside
    /// the 60–90% range methods F26 gives for unsecured microloans.
    pub unsecured_recovery_share: f64,
}

impl Default for Lender {
    fn default() -> Self {
        Lender {
            cost_of_funds: 0.08,
            operating_cost_rate: 0.12,
            risk_free: 0.05,
            hurdle: 0.15,
            default_days_past_due: 90,
            unlikely_to_pay_share: 0.5,
            recovery_cost_share: 0.10,
            group_recovery_share: 0.5,
            unsecured_recovery_share: 0.1,
        }
    }
}

fn share(field: &str, x: f64) -> Result<()> {
    ensure!(
        (0.0..=1.0).contains(&x),
        field,
        "a share in [0, 1], e.g. 0.1 for 10%",
        x
    );
    Ok(())
}

fn annual_rate(field: &str, x: f64) -> Result<()> {
    ensure!(
        (-0.5..=2.0).contains(&x),
        field,
        "an annual rate in [-0.5, 2] as a fraction (0.08 for 8%)",
        x
    );
    Ok(())
}

impl Lender {
    /// Checks ranges; the error names the field (a product prefixes it
    /// with `lender.`).
    pub fn validate(&self) -> Result<()> {
        annual_rate("cost_of_funds", self.cost_of_funds)?;
        annual_rate("risk_free", self.risk_free)?;
        ensure!(
            (0.0..=2.0).contains(&self.operating_cost_rate),
            "operating_cost_rate",
            "an annual cost in [0, 2] as a share of the average balance",
            self.operating_cost_rate
        );
        ensure!(
            (0.0..=2.0).contains(&self.hurdle),
            "hurdle",
            "an annual hurdle rate in [0, 2] (0.15 for 15%)",
            self.hurdle
        );
        ensure!(
            (30..=360).contains(&self.default_days_past_due),
            "default_days_past_due",
            "between 30 and 360 days (Basel: 90, up to 180 for retail)",
            self.default_days_past_due
        );
        ensure!(
            self.unlikely_to_pay_share > 0.0 && self.unlikely_to_pay_share <= 1.0,
            "unlikely_to_pay_share",
            "a share in (0, 1], e.g. 0.5",
            self.unlikely_to_pay_share
        );
        share("recovery_cost_share", self.recovery_cost_share)?;
        share("group_recovery_share", self.group_recovery_share)?;
        share("unsecured_recovery_share", self.unsecured_recovery_share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_is_the_documented_defaults() {
        let l: Lender = toml::from_str("").unwrap();
        assert_eq!(l, Lender::default());
        assert_eq!(l.cost_of_funds, 0.08);
        assert_eq!(l.unlikely_to_pay_share, 0.5);
        l.validate().unwrap();
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = toml::from_str::<Lender>("hurdel = 0.2").unwrap_err();
        assert!(e.message().contains("unknown field `hurdel`"));
        assert!(e.message().contains("hurdle"));
    }

    #[test]
    fn each_range_names_its_field() {
        type Breaks = fn(&mut Lender);
        let cases: Vec<(Breaks, &str)> = vec![
            (|l| l.cost_of_funds = 8.0, "cost_of_funds"),
            (|l| l.operating_cost_rate = -0.1, "operating_cost_rate"),
            (|l| l.risk_free = f64::NAN, "risk_free"),
            (|l| l.hurdle = 15.0, "hurdle"),
            (|l| l.default_days_past_due = 0, "default_days_past_due"),
            (|l| l.unlikely_to_pay_share = 0.0, "unlikely_to_pay_share"),
            (|l| l.recovery_cost_share = 1.5, "recovery_cost_share"),
            (|l| l.group_recovery_share = -0.5, "group_recovery_share"),
            (
                |l| l.unsecured_recovery_share = 2.0,
                "unsecured_recovery_share",
            ),
        ];
        for (i, (breaks, field)) in cases.into_iter().enumerate() {
            let mut l = Lender::default();
            breaks(&mut l);
            let e = l.validate().unwrap_err();
            assert_eq!(e.location().field.as_deref(), Some(field), "case {i}");
        }
    }
}
