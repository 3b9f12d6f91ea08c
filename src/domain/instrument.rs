//! Donor instruments as data: what a donor adds to a loan so that a lender
//! makes it, or makes it on better terms (methods section 7, F40–F45).
//! An instrument file is TOML in `data/instruments/`; its `kind` says which
//! of six instruments it is and which parameters it takes. How an
//! instrument changes a loan and what it costs the donor is valued in
//! [`crate::engine::instruments`].
//!
//! Parameters are model numbers (shares and annual rates as fractions), so
//! they are `f64`. A file names only the parameters of its kind: a key of
//! another kind is refused with the list of the allowed ones, so a
//! `coverage` left in a first-loss file cannot silently do nothing.
//!
//! ```
//! use terrace::domain::instrument::{Instrument, Kind};
//! let i: Instrument = toml::from_str(
//!     "id = \"dca-50\"\nname = \"DCA 50%\"\nkind = \"guarantee\"\ncoverage = 0.5\n\
//!      origination_fee = 0.01\nutilisation_fee = 0.005",
//! ).unwrap();
//! i.validate().unwrap();
//! assert_eq!(i.kind, Kind::Guarantee);
//! ```

use serde::Deserialize;

use crate::ensure;
use crate::{Error, Result};

/// Which instrument a file describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Pari-passu partial credit guarantee: the donor pays `coverage` of
    /// each net loss; the lender pays fees (F40).
    Guarantee,
    /// First-loss tranche of `first_loss_share` × the exposure: the donor
    /// pays min(L, FL), the lender max(L − FL, 0) (F42).
    FirstLoss,
    /// The client pays `rate_reduction` less; the donor pays the lender the
    /// difference on the outstanding balance (F43). A reduction beyond the
    /// product's rate makes the loan interest-free: the client's rate is
    /// floored at 0, and the donor pays the whole rate.
    InterestSubsidy,
    /// The donor pays `grant_share` of the amount financed at month 0; the
    /// loan shrinks by as much (F43).
    MatchingGrant,
    /// The lender owns the asset: at default it repossesses without a court
    /// process (lower haircut, cost and delay).
    Leasing,
    /// The buyer deducts instalments from its payments for the household's
    /// sales before paying it, lowering PD and the lender's cost.
    BuyerRepayment,
}

impl Kind {
    /// The name used in files and output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Guarantee => "guarantee",
            Kind::FirstLoss => "first_loss",
            Kind::InterestSubsidy => "interest_subsidy",
            Kind::MatchingGrant => "matching_grant",
            Kind::Leasing => "leasing",
            Kind::BuyerRepayment => "buyer_repayment",
        }
    }

    /// The parameters this kind takes, all required.
    #[must_use]
    pub fn parameters(self) -> &'static [&'static str] {
        match self {
            Kind::Guarantee => &["coverage", "origination_fee", "utilisation_fee"],
            Kind::FirstLoss => &["first_loss_share"],
            Kind::InterestSubsidy => &["rate_reduction"],
            Kind::MatchingGrant => &["grant_share"],
            Kind::Leasing => &[
                "recovery_haircut",
                "recovery_delay_months",
                "recovery_cost_share",
                "donor_cost_share",
            ],
            Kind::BuyerRepayment => &["sales_share", "opex_reduction", "donor_cost_share"],
        }
    }
}

/// A donor instrument. Only the parameters of its [`Kind`] may be present.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Short id, used in output.
    pub id: String,
    /// What it is, in a few words.
    pub name: String,
    /// Which instrument.
    pub kind: Kind,
    /// Guarantee: share c of each net loss the donor pays, in [0, 1]
    /// (USAID DCA: at most 0.5 unless otherwise approved, F40).
    pub coverage: Option<f64>,
    /// Guarantee: one-off fee as a share of the principal placed under
    /// the guarantee's ceiling, paid by the lender at disbursement, in
    /// [0, 0.1] (F40: typically 0.5–1%).
    pub origination_fee: Option<f64>,
    /// Guarantee: annual fee on the guaranteed outstanding balance c·B_t,
    /// paid monthly while the loan performs, in [0, 0.1] (F40: 0.5–2%).
    pub utilisation_fee: Option<f64>,
    /// First loss: the tranche as a share of the covered exposure, in [0, 1].
    pub first_loss_share: Option<f64>,
    /// Interest subsidy: annual points off the client's rate, in (0, 1]; the
    /// client rate is floored at 0.
    pub rate_reduction: Option<f64>,
    /// Matching grant: share of the amount financed the donor pays, in
    /// [0, 0.9] (the household keeps a stake).
    pub grant_share: Option<f64>,
    /// Leasing: share of the asset's value lost at resale, in [0, 1].
    pub recovery_haircut: Option<f64>,
    /// Leasing: months from default to the sale of the repossessed asset,
    /// 0 to 60.
    pub recovery_delay_months: Option<u32>,
    /// Leasing: repossession and sale costs as a share of the value
    /// recovered, in [0, 1].
    pub recovery_cost_share: Option<f64>,
    /// Leasing, buyer repayment: the donor's cost per loan (technical
    /// assistance, set-up of the lessor's or buyer's systems) as a share of
    /// the principal, paid at disbursement, in [0, 1].
    pub donor_cost_share: Option<f64>,
    /// Buyer repayment: share of the household's with-investment sales paid
    /// through the buyer that deducts instalments, in [0, 1].
    pub sales_share: Option<f64>,
    /// Buyer repayment: share of the lender's operating cost saved because
    /// the buyer collects, in [0, 1].
    pub opex_reduction: Option<f64>,
}

fn share(field: &str, x: f64, lo: f64, hi: f64) -> Result<()> {
    ensure!(
        x.is_finite() && x >= lo && x <= hi,
        field,
        format!("a share in [{lo}, {hi}] as a fraction (0.5 for 50%)"),
        x
    );
    Ok(())
}

impl Instrument {
    /// The parameters present in the file, by name.
    fn present(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut add = |name: &'static str, here: bool| {
            if here {
                v.push(name);
            }
        };
        add("coverage", self.coverage.is_some());
        add("origination_fee", self.origination_fee.is_some());
        add("utilisation_fee", self.utilisation_fee.is_some());
        add("first_loss_share", self.first_loss_share.is_some());
        add("rate_reduction", self.rate_reduction.is_some());
        add("grant_share", self.grant_share.is_some());
        add("recovery_haircut", self.recovery_haircut.is_some());
        add(
            "recovery_delay_months",
            self.recovery_delay_months.is_some(),
        );
        add("recovery_cost_share", self.recovery_cost_share.is_some());
        add("donor_cost_share", self.donor_cost_share.is_some());
        add("sales_share", self.sales_share.is_some());
        add("opex_reduction", self.opex_reduction.is_some());
        v
    }

    /// Checks that the file names exactly its kind's parameters, each in
    /// range; the error names the key.
    pub fn validate(&self) -> Result<()> {
        super::check_id(&self.id)?;
        // `none` is how `compare` and `design` name the loan without one.
        ensure!(
            self.id != "none",
            "id",
            "an id other than `none`, which stands for no instrument",
            "`none`"
        );
        ensure!(
            self.id.len() <= super::MAX_INSTRUMENT_ID,
            "id",
            "at most 64 characters (a design candidate's id ends with it)",
            format!("{} characters", self.id.len())
        );
        let allowed = self.kind.parameters();
        for name in self.present() {
            if !allowed.contains(&name) {
                return Err(Error::invalid(
                    name,
                    format!(
                        "only the parameters of kind `{}`: {}",
                        self.kind.as_str(),
                        allowed.join(", ")
                    ),
                    format!("`{name}`, a parameter of another kind"),
                ));
            }
        }
        let need = |x: Option<f64>, name: &str| {
            x.ok_or_else(|| {
                Error::invalid(
                    name,
                    format!("`{name}`, required for kind `{}`", self.kind.as_str()),
                    "nothing",
                )
            })
        };
        match self.kind {
            Kind::Guarantee => {
                share("coverage", need(self.coverage, "coverage")?, 0.0, 1.0)?;
                share(
                    "origination_fee",
                    need(self.origination_fee, "origination_fee")?,
                    0.0,
                    0.1,
                )?;
                share(
                    "utilisation_fee",
                    need(self.utilisation_fee, "utilisation_fee")?,
                    0.0,
                    0.1,
                )?;
            }
            Kind::FirstLoss => share(
                "first_loss_share",
                need(self.first_loss_share, "first_loss_share")?,
                0.0,
                1.0,
            )?,
            Kind::InterestSubsidy => {
                let r = need(self.rate_reduction, "rate_reduction")?;
                ensure!(
                    r.is_finite() && r > 0.0 && r <= 1.0,
                    "rate_reduction",
                    "annual points off the rate in (0, 1] as a fraction (0.05 for 5 points)",
                    r
                );
            }
            Kind::MatchingGrant => share(
                "grant_share",
                need(self.grant_share, "grant_share")?,
                0.0,
                0.9,
            )?,
            Kind::Leasing => {
                share(
                    "recovery_haircut",
                    need(self.recovery_haircut, "recovery_haircut")?,
                    0.0,
                    1.0,
                )?;
                let delay = self.recovery_delay_months.ok_or_else(|| {
                    Error::invalid(
                        "recovery_delay_months",
                        "`recovery_delay_months`, required for kind `leasing`",
                        "nothing",
                    )
                })?;
                ensure!(
                    delay <= 60,
                    "recovery_delay_months",
                    "0 to 60 months",
                    delay
                );
                share(
                    "recovery_cost_share",
                    need(self.recovery_cost_share, "recovery_cost_share")?,
                    0.0,
                    1.0,
                )?;
                share(
                    "donor_cost_share",
                    need(self.donor_cost_share, "donor_cost_share")?,
                    0.0,
                    1.0,
                )?;
            }
            Kind::BuyerRepayment => {
                share(
                    "sales_share",
                    need(self.sales_share, "sales_share")?,
                    0.0,
                    1.0,
                )?;
                share(
                    "opex_reduction",
                    need(self.opex_reduction, "opex_reduction")?,
                    0.0,
                    1.0,
                )?;
                share(
                    "donor_cost_share",
                    need(self.donor_cost_share, "donor_cost_share")?,
                    0.0,
                    1.0,
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Instrument {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_parameter_of_another_kind_is_refused_with_the_allowed_ones() {
        let i = parse("id = \"x\"\nname = \"x\"\nkind = \"first_loss\"\nfirst_loss_share = 0.1\ncoverage = 0.5");
        let e = i.validate().unwrap_err();
        assert_eq!(e.location().field.as_deref(), Some("coverage"));
        assert!(e.message().contains("first_loss_share"), "{e}");
    }

    #[test]
    fn coverage_outside_zero_one_is_refused() {
        let i = parse("id = \"x\"\nname = \"x\"\nkind = \"guarantee\"\ncoverage = 1.5\norigination_fee = 0.01\nutilisation_fee = 0.01");
        let e = i.validate().unwrap_err();
        assert_eq!(e.location().field.as_deref(), Some("coverage"));
        assert!(e.to_string().contains("found 1.5"), "{e}");
    }

    #[test]
    fn a_missing_parameter_is_named() {
        let i = parse("id = \"x\"\nname = \"x\"\nkind = \"matching_grant\"");
        let e = i.validate().unwrap_err();
        assert_eq!(e.location().field.as_deref(), Some("grant_share"));
    }

    #[test]
    fn negative_fees_are_refused() {
        let i = parse("id = \"x\"\nname = \"x\"\nkind = \"guarantee\"\ncoverage = 0.5\norigination_fee = -0.01\nutilisation_fee = 0.01");
        assert_eq!(
            i.validate().unwrap_err().location().field.as_deref(),
            Some("origination_fee")
        );
    }
}
