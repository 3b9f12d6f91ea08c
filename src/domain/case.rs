//! A case: one enterprise's upgrading decision as data.
//!
//! A case holds the enterprise's activities (what it produces and sells,
//! month by month, *without* and *with* the investment), the investment
//! items, the market channels, and the household around the enterprise.
//! Quantities here are model estimates (`f64`); the amount to finance is
//! money and is kept exact.
//!
//! Case files are TOML (`data/cases/*.toml`); every table rejects unknown
//! keys. See `data/cases/README.md` for the annotated format.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::param::Param;
use super::schedule::YearMonth;
use super::{MAX_AMOUNT, MAX_MAGNITUDE};
use crate::{ensure, Error, Result};

/// The brief's types of upgrading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Upgrading {
    /// Doing the same thing more efficiently (irrigation, better equipment).
    Process,
    /// A better or higher-value product (grafted variety, certification).
    Product,
    /// Taking on new functions in the chain (transport, processing, brokering).
    Functional,
    /// Selling into a new market channel.
    Channel,
    /// Moving into a different chain.
    Intersectoral,
}

impl Upgrading {
    /// Every type, in the brief's order.
    pub const ALL: [Upgrading; 5] = [
        Upgrading::Process,
        Upgrading::Product,
        Upgrading::Functional,
        Upgrading::Channel,
        Upgrading::Intersectoral,
    ];

    /// The name used in files: `process`, `product`, `functional`,
    /// `channel`, `intersectoral`.
    pub fn as_str(self) -> &'static str {
        match self {
            Upgrading::Process => "process",
            Upgrading::Product => "product",
            Upgrading::Functional => "functional",
            Upgrading::Channel => "channel",
            Upgrading::Intersectoral => "intersectoral",
        }
    }

    /// The type named `name` (ASCII case ignored, surrounding space trimmed).
    pub fn from_name(name: &str) -> Option<Upgrading> {
        let name = name.trim();
        Upgrading::ALL
            .into_iter()
            .find(|u| u.as_str().eq_ignore_ascii_case(name))
    }
}

/// One MSE's situation and investment decision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Short identifier, e.g. `kenya-avocado`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Country, for reports.
    pub country: String,
    /// Value chain, e.g. `avocado`; used to group portfolios.
    pub value_chain: String,
    /// The kinds of upgrading this investment is.
    pub upgrading: Vec<Upgrading>,
    /// ISO currency code of every amount in the file.
    pub currency: String,
    /// Units of `currency` per US dollar. Needed only where cases in
    /// different currencies are added up (a portfolio's book losses,
    /// segments and donor totals are reported in US$).
    #[serde(default)]
    pub units_per_usd: Option<f64>,
    /// Investment (period 0) month, `YYYY-MM`.
    pub start: String,
    /// Appraisal horizon in years (1–30).
    pub horizon_years: u32,
    /// The household's annual discount rate (opportunity cost of money,
    /// real), used for project and household NPVs.
    pub discount_rate: f64,
    /// The household around the enterprise.
    pub household: Household,
    /// Capital items bought for the upgrade.
    #[serde(default, rename = "investment")]
    pub investments: Vec<InvestmentItem>,
    /// What the enterprise produces and sells.
    #[serde(rename = "activity")]
    pub activities: Vec<Activity>,
    /// How the investment is financed.
    #[serde(default)]
    pub financing: Financing,
    /// Weather shocks and correlations between random inputs.
    #[serde(default)]
    pub risk: Risk,
}

/// Risks that span inputs: drought and rank correlations.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    /// Drought as a two-state Markov chain over years (F50).
    #[serde(default)]
    pub drought: Option<Drought>,
    /// Rank correlations between named random inputs (F51).
    #[serde(default)]
    pub correlation: Option<Correlation>,
}

/// A two-state (normal/dry) Markov chain over years with a yield loss in
/// dry years (F50).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drought {
    /// Long-run share of dry years π_D (default 0.2, one year in five).
    #[serde(default = "default_dry_share")]
    pub stationary_share: f64,
    /// Probability that a dry year follows a dry year, p_DD (default 0.35).
    #[serde(default = "default_p_dd")]
    pub p_dry_to_dry: f64,
    /// Share of output lost in a dry year, ℓ (default PERT(0.3, 0.5, 0.8)).
    #[serde(default = "default_loss")]
    pub yield_loss: Param,
}

fn default_dry_share() -> f64 {
    0.2
}

fn default_p_dd() -> f64 {
    0.35
}

fn default_loss() -> Param {
    Param {
        name: None,
        dist: crate::math::dist::Dist::Pert(crate::math::dist::Pert::new(0.3, 0.5, 0.8)),
    }
}

impl Drought {
    /// Probability that a dry year follows a normal one: p_WD = π_D(1 − p_DD)/(1 − π_D).
    pub fn p_wet_to_dry(&self) -> f64 {
        self.stationary_share * (1.0 - self.p_dry_to_dry) / (1.0 - self.stationary_share)
    }
}

/// Target rank (Spearman) correlations between named inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correlation {
    /// Names of inputs (their `name` keys), in matrix order.
    pub names: Vec<String>,
    /// Symmetric matrix with unit diagonal, one row per name.
    pub matrix: Vec<Vec<f64>>,
}

/// The household: where cash is held, consumption happens and default is felt.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Household {
    /// Net income per month from everything but the case's activities
    /// (wages, remittances, other crops), after their own costs.
    pub other_income_per_month: f64,
    /// Family living: the subsistence consumption paid before any instalment.
    pub subsistence_per_month: f64,
    /// Liquid savings at period 0.
    pub cash_buffer: f64,
    /// Coefficient of relative risk aversion γ (Anderson–Dillon: 0.5 hardly,
    /// 1 somewhat, 2 rather, 3 very, 4 extremely risk averse).
    #[serde(default = "default_risk_aversion")]
    pub risk_aversion: f64,
}

fn default_risk_aversion() -> f64 {
    2.0
}

/// A capital item: bought at `month`, replaced at the end of its life while
/// the horizon lasts, worth its straight-line remaining value at the end.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvestmentItem {
    /// What it is.
    pub name: String,
    /// Purchase cost (may be a distribution: cost overruns).
    pub cost: Param,
    /// Month of purchase (0 = with the loan).
    #[serde(default)]
    pub month: u32,
    /// Useful life in years.
    pub life_years: f64,
    /// Value at the end of its life, as a share of cost.
    #[serde(default)]
    pub salvage_share: f64,
    /// Upkeep per year while in use.
    #[serde(default)]
    pub maintenance_per_year: f64,
    /// Whether it is bought again at the end of its life (F7).
    #[serde(default = "yes")]
    pub replace: bool,
}

fn yes() -> bool {
    true
}

/// How the investment is paid for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Financing {
    /// Amount to finance before the product's down payment; default: the
    /// cost of the items bought in month 0. Exact money.
    #[serde(default, deserialize_with = "crate::math::money::de_opt_decimal")]
    pub amount: Option<Decimal>,
    /// Decimals of the currency's minor unit for the loan (default 2).
    #[serde(default)]
    pub minor_unit: Option<u32>,
}

/// Something produced and sold, with its calendar and its channels.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// Name, e.g. `avocado`.
    pub name: String,
    /// Unit of output, e.g. `kg`.
    pub unit: String,
    /// Share of a year's output sold in each calendar month (keys "1".."12";
    /// shares sum to 1).
    pub harvest_calendar: BTreeMap<String, f64>,
    /// Share of a year's operating cost spent in each calendar month;
    /// default: evenly over the year.
    #[serde(default)]
    pub cost_calendar: Option<BTreeMap<String, f64>>,
    /// The path without the investment; absent when the activity exists
    /// only with it (a new function or product).
    #[serde(default)]
    pub without: Option<Path>,
    /// The path with the investment; absent when the investment ends the
    /// activity.
    #[serde(default)]
    pub with: Option<Path>,
    /// Where the output can be sold.
    #[serde(rename = "channel")]
    pub channels: Vec<Channel>,
    /// A certification that the with path adopts.
    #[serde(default)]
    pub certification: Option<Certification>,
}

/// One path (without or with) of an activity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Path {
    /// Output per year at full capacity, in the activity's unit; a
    /// distribution is drawn afresh each year.
    pub output_per_year: Param,
    /// Operating cost per unit of output.
    #[serde(default)]
    pub unit_cost: Param,
    /// Operating cost per year that does not scale with output.
    #[serde(default)]
    pub fixed_cost_per_year: Param,
    /// Share of full output reached in each project year (index 0 = the
    /// first twelve months); the last value holds after. Default `[1]`.
    #[serde(default, deserialize_with = "non_empty_ramp")]
    pub ramp: Vec<f64>,
    /// Compound real change of output per year (negative: decline).
    #[serde(default)]
    pub trend_per_year: f64,
    /// Share of output sent to each channel, by channel name; sums to 1.
    pub mix: BTreeMap<String, f64>,
    /// Share of a drought's yield loss that hits this path (1 = all of it;
    /// irrigation lowers it). Default 1.
    #[serde(default = "one")]
    pub drought_exposure: f64,
}

/// A market channel (F35–F37).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Name used in mixes.
    pub name: String,
    /// Price per unit the buyer pays at its reference point; a distribution
    /// is drawn afresh each year.
    pub price: Param,
    /// Optional log mean-reverting price process (F49) around `price`.
    #[serde(default)]
    pub price_process: Option<PriceProcess>,
    /// Share of that price that reaches the producer after intermediaries
    /// (premium pass-through β). Default 1.
    #[serde(default = "one")]
    pub pass_through: f64,
    /// Transport cost per unit of output and km.
    #[serde(default)]
    pub transport_cost_per_unit_km: f64,
    /// Distance to the buyer in km.
    #[serde(default)]
    pub distance_km: f64,
    /// Other per-unit charges (commission, packing, levies).
    #[serde(default)]
    pub fee_per_unit: f64,
    /// Days from sale to payment.
    #[serde(default)]
    pub payment_delay_days: f64,
    /// Probability that the buyer does not pay (π).
    #[serde(default)]
    pub nonpayment_probability: f64,
    /// Share of output meeting this channel's grade (g); the rest is
    /// rejected and sold through `rejects_to`. Default 1. A distribution
    /// models lots rejected in bad years.
    #[serde(default = "one_param")]
    pub grade_share: Param,
    /// Channel that takes rejected output and output beyond the volume
    /// cap; required when `grade_share` < 1 or `volume_cap_per_year` is set.
    #[serde(default)]
    pub rejects_to: Option<String>,
    /// Most units a year the buyer takes (a contract or quota volume);
    /// output beyond it goes to `rejects_to`.
    #[serde(default)]
    pub volume_cap_per_year: Option<f64>,
    /// A fixed price per unit the buyer guarantees (a contract, F39): it
    /// replaces `price` (and any `price_process`) for this channel.
    #[serde(default)]
    pub contract_price: Option<f64>,
    /// The channel whose price is the spot alternative to the contract.
    #[serde(default)]
    pub spot_channel: Option<String>,
    /// κ_f per unit (F39): penalty plus lost embedded services. The farmer
    /// side-sells the contracted volume to `spot_channel` in a year when the
    /// spot net price exceeds the contract's by more than κ_f. Absent: the
    /// farmer never side-sells.
    #[serde(default)]
    pub side_selling_penalty: Option<f64>,
    /// κ_b per unit (F39): the buyer reneges, and the contracted volume goes
    /// to `spot_channel`, in a year when the contract's net price exceeds
    /// the spot net price by more than κ_b. Absent: the buyer never reneges.
    #[serde(default)]
    pub buyer_renege_margin: Option<f64>,
    /// Share of the operating cost of the volume sold to this channel that
    /// the buyer advances in kind in the cost months and deducts, with
    /// interest, from its payments at sale. Default 0.
    #[serde(default)]
    pub input_advance_share: f64,
    /// Annual interest the buyer charges on input advances. Default 0.
    #[serde(default)]
    pub input_advance_rate: f64,
    /// Whether the buyer deducts the household's loan instalments (due and
    /// arrears) from its payments before the money reaches the household.
    #[serde(default)]
    pub deducts_repayment: bool,
}

/// A written `ramp` has at least one share: `[]` would silently mean full
/// output from the start, which leaving `ramp` out already says.
fn non_empty_ramp<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<f64>, D::Error> {
    let ramp = Vec::<f64>::deserialize(d)?;
    if ramp.is_empty() {
        return Err(serde::de::Error::custom(
            "expected at least one share of full output, found []; leave `ramp` out for full output from the start",
        ));
    }
    Ok(ramp)
}

fn one() -> f64 {
    1.0
}

fn one_param() -> Param {
    Param::fixed(1.0)
}

/// A log Ornstein–Uhlenbeck price process (F49), stepped yearly: ln p
/// reverts to ln p̄ with the given half-life; the multiplier on the price
/// has mean 1 in the stationary state.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceProcess {
    /// Years for a deviation to halve (κ = ln 2 / half-life). Default 1.5 [S29].
    #[serde(default = "default_half_life")]
    pub half_life_years: f64,
    /// Annual volatility of ln p (default 0.25, range 0.15–0.35; F48).
    #[serde(default = "default_sigma")]
    pub sigma: f64,
}

fn default_half_life() -> f64 {
    1.5
}

fn default_sigma() -> f64 {
    0.25
}

/// A certification (organic, Fairtrade, GlobalGAP): audits cost money, a
/// conversion period lowers yields, then certified channels pay a premium.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    /// Name of the standard.
    pub name: String,
    /// Audit and fee cost per year, from month 0.
    pub audit_cost_per_year: f64,
    /// Months from adoption until output may be sold as certified.
    #[serde(default)]
    pub conversion_months: u32,
    /// Yield loss during conversion, as a share of with-path output.
    #[serde(default)]
    pub conversion_yield_dip: f64,
    /// Premium per unit paid after conversion on sales through `channels`.
    #[serde(default)]
    pub premium_per_unit: Param,
    /// Channels that pay the premium.
    #[serde(default)]
    pub channels: Vec<String>,
}

impl Case {
    /// Checks every value a case needs to be appraised; errors name the key
    /// path (`activity[0].channel[1].grade_share`).
    pub fn validate(&self) -> Result<()> {
        super::check_id(&self.id)?;
        parse_year_month(&self.start)?;
        if let Some(fx) = self.units_per_usd {
            ensure!(
                fx.is_finite() && fx > 0.0,
                "units_per_usd",
                "a positive exchange rate (units of the currency per US$)",
                fx
            );
        }
        ensure!(
            (1..=30).contains(&self.horizon_years),
            "horizon_years",
            "1 to 30 years",
            self.horizon_years
        );
        ensure!(
            self.discount_rate.is_finite() && (0.0..=1.0).contains(&self.discount_rate),
            "discount_rate",
            "an annual rate in [0, 1]",
            self.discount_rate
        );
        self.household
            .validate()
            .map_err(|e| e.with_field("household"))?;
        for (i, item) in self.investments.iter().enumerate() {
            item.validate(self.horizon_months())
                .map_err(|e| e.with_field(format!("investment[{i}]")))?;
        }
        ensure!(
            !self.activities.is_empty(),
            "activity",
            "at least one [[activity]]",
            "none"
        );
        for (i, a) in self.activities.iter().enumerate() {
            // Results name activities (`channels --activity`, reports).
            ensure!(
                !self.activities[..i].iter().any(|b| b.name == a.name),
                format!("activity[{i}].name"),
                "a name not used by another activity",
                format!("`{}` again", a.name)
            );
            a.validate()
                .map_err(|e| e.with_field(format!("activity[{i}]")))?;
        }
        if let Some(amount) = self.financing.amount {
            ensure!(
                amount > Decimal::ZERO && amount <= MAX_AMOUNT,
                "financing.amount",
                "an amount in (0, 1e15]",
                amount
            );
        }
        self.validate_risk().map_err(|e| e.with_field("risk"))?;
        if let Some(mu) = self.financing.minor_unit {
            ensure!(mu <= 6, "financing.minor_unit", "0 to 6 decimals", mu);
        }
        Ok(())
    }

    fn validate_risk(&self) -> Result<()> {
        if let Some(d) = &self.risk.drought {
            ensure!(
                d.stationary_share > 0.0 && d.stationary_share < 1.0,
                "drought.stationary_share",
                "a share of dry years in (0, 1)",
                d.stationary_share
            );
            share("drought.p_dry_to_dry", d.p_dry_to_dry)?;
            ensure!(
                d.p_dry_to_dry < 1.0 && d.p_wet_to_dry() <= 1.0,
                "drought.p_dry_to_dry",
                format!(
                    "a persistence consistent with {} dry years (p_WD = π_D(1 − p_DD)/(1 − π_D) ≤ 1)",
                    d.stationary_share
                ),
                d.p_dry_to_dry
            );
            param_share("drought.yield_loss", &d.yield_loss)?;
        }
        // Named inputs with their place in `params()`, whose key paths are
        // formatted only for an error.
        let mut named: Vec<(usize, &Param)> = Vec::new();
        let mut k = 0;
        self.for_each_param(|_, p| {
            if p.name.is_some() {
                named.push((k, p));
            }
            k += 1;
        });
        for (i, &(at, p)) in named.iter().enumerate() {
            let name = p.name.as_deref().unwrap_or_default();
            if let Some(&(other, _)) = named[..i]
                .iter()
                .find(|(_, q)| q.name.as_deref() == Some(name))
            {
                let paths = self.params();
                return Err(Error::invalid(
                    format!("{}.name", paths[at].0),
                    format!("a name not already used by `{}`", paths[other].0),
                    format!("`{name}`"),
                ));
            }
        }
        if let Some(c) = &self.risk.correlation {
            for (i, n) in c.names.iter().enumerate() {
                let p = named
                    .iter()
                    .find(|(_, p)| p.name.as_deref() == Some(n.as_str()));
                let names: Vec<&str> = named
                    .iter()
                    .filter_map(|(_, p)| p.name.as_deref())
                    .collect();
                ensure!(
                    p.is_some(),
                    format!("correlation.names[{i}]"),
                    format!(
                        "the name of a random input ({})",
                        if names.is_empty() {
                            "none is named".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                    format!("`{n}`")
                );
                ensure!(
                    p.is_some_and(|(_, p)| p.is_random()),
                    format!("correlation.names[{i}]"),
                    "an input with a distribution (a fixed number cannot be correlated)",
                    format!("`{n}`, which is fixed")
                );
                ensure!(
                    !c.names[..i].contains(n),
                    format!("correlation.names[{i}]"),
                    "each name once",
                    format!("`{n}` again")
                );
            }
            let k = c.names.len();
            ensure!(
                c.matrix.len() == k,
                "correlation.matrix",
                format!("{k} rows, one per name"),
                format!("{} rows", c.matrix.len())
            );
            // Square, in range, unit diagonal, symmetric: the copula's own
            // check, run here so the error has the file's line.
            crate::math::copula::validate(&c.matrix)?;
        }
        Ok(())
    }

    /// Every model input of the case with its key path, in file order:
    /// what sensitivity analysis varies and correlations refer to.
    pub fn params(&self) -> Vec<(String, &Param)> {
        let mut out = Vec::new();
        self.for_each_param(|label, p| out.push((label(), p)));
        out
    }

    /// Every model input in file order, as [`Case::params`] lists them,
    /// without formatting their key paths unless `f` asks for one: a book
    /// sizes and validates a case per row and needs a path only to report
    /// an error.
    pub fn for_each_param<'a>(&'a self, mut f: impl FnMut(&dyn Fn() -> String, &'a Param)) {
        for (i, item) in self.investments.iter().enumerate() {
            f(&|| format!("investment[{i}].cost"), &item.cost);
        }
        for a in &self.activities {
            for (label, path) in [("without", &a.without), ("with", &a.with)] {
                if let Some(p) = path {
                    let name = &a.name;
                    f(
                        &|| format!("{name}.{label}.output_per_year"),
                        &p.output_per_year,
                    );
                    f(&|| format!("{name}.{label}.unit_cost"), &p.unit_cost);
                    f(
                        &|| format!("{name}.{label}.fixed_cost_per_year"),
                        &p.fixed_cost_per_year,
                    );
                }
            }
            for c in &a.channels {
                f(&|| format!("{}.{}.price", a.name, c.name), &c.price);
                f(
                    &|| format!("{}.{}.grade_share", a.name, c.name),
                    &c.grade_share,
                );
            }
            if let Some(cert) = &a.certification {
                f(
                    &|| format!("{}.certification.premium_per_unit", a.name),
                    &cert.premium_per_unit,
                );
            }
        }
        if let Some(d) = &self.risk.drought {
            f(&|| "risk.drought.yield_loss".to_string(), &d.yield_loss);
        }
    }

    /// The horizon in months.
    pub fn horizon_months(&self) -> u32 {
        self.horizon_years * 12
    }

    /// The upgraded activity whose channel mix can change: the activity
    /// with a with path and the most channels (at least two), the first
    /// such on a tie. `None` when no activity sells through two channels.
    pub fn upgraded_activity(&self) -> Option<usize> {
        (0..self.activities.len())
            .filter(|&i| {
                self.activities[i].with.is_some() && self.activities[i].channels.len() >= 2
            })
            .min_by_key(|&i| (std::cmp::Reverse(self.activities[i].channels.len()), i))
    }
}

impl Household {
    fn validate(&self) -> Result<()> {
        non_negative("other_income_per_month", self.other_income_per_month)?;
        non_negative("subsistence_per_month", self.subsistence_per_month)?;
        non_negative("cash_buffer", self.cash_buffer)?;
        ensure!(
            self.risk_aversion.is_finite() && (0.0..=10.0).contains(&self.risk_aversion),
            "risk_aversion",
            "a CRRA coefficient in [0, 10]",
            self.risk_aversion
        );
        Ok(())
    }
}

impl InvestmentItem {
    fn validate(&self, horizon_months: u32) -> Result<()> {
        param_positive("cost", &self.cost)?;
        // A life is held month by month (its straight-line values): a
        // century is longer than any item lasts, and bounds that.
        ensure!(
            self.life_years.is_finite() && self.life_years > 0.0 && self.life_years <= 100.0,
            "life_years",
            "a life in years in (0, 100]",
            self.life_years
        );
        share("salvage_share", self.salvage_share)?;
        non_negative("maintenance_per_year", self.maintenance_per_year)?;
        ensure!(
            self.month < horizon_months,
            "month",
            format!("a month before the horizon ({horizon_months})"),
            self.month
        );
        Ok(())
    }
}

impl Activity {
    fn validate(&self) -> Result<()> {
        calendar("harvest_calendar", &self.harvest_calendar)?;
        if let Some(c) = &self.cost_calendar {
            calendar("cost_calendar", c)?;
        }
        ensure!(
            self.without.is_some() || self.with.is_some(),
            "with",
            "a [with] or [without] path (or both)",
            "neither"
        );
        ensure!(
            !self.channels.is_empty(),
            "channel",
            "at least one [[activity.channel]]",
            "none"
        );
        let names: Vec<&str> = self.channels.iter().map(|c| c.name.as_str()).collect();
        for (i, c) in self.channels.iter().enumerate() {
            ensure!(
                !names[..i].contains(&c.name.as_str()),
                format!("channel[{i}].name"),
                "a name not used by another channel",
                format!("`{}` again", c.name)
            );
            c.validate(&names)
                .map_err(|e| e.with_field(format!("channel[{i}]")))?;
        }
        for i in 0..self.channels.len() {
            self.validate_rejects_chain(i)
                .map_err(|e| e.with_field(format!("channel[{i}]")))?;
        }
        for (label, path) in [("without", &self.without), ("with", &self.with)] {
            if let Some(p) = path {
                p.validate(&names).map_err(|e| e.with_field(label))?;
            }
        }
        if let Some(cert) = &self.certification {
            non_negative(
                "certification.audit_cost_per_year",
                cert.audit_cost_per_year,
            )?;
            share(
                "certification.conversion_yield_dip",
                cert.conversion_yield_dip,
            )?;
            param_non_negative("certification.premium_per_unit", &cert.premium_per_unit)?;
            for ch in &cert.channels {
                known_channel("certification.channels", ch, &names)?;
            }
        }
        Ok(())
    }

    /// Following `rejects_to` from channel `i` must not cycle and must end
    /// at a channel with no grade limit and no volume cap, so that rejected
    /// and overflow output always has somewhere to go.
    fn validate_rejects_chain(&self, i: usize) -> Result<()> {
        if self.channels[i].rejects_to.is_none() {
            return Ok(());
        }
        let mut seen = vec![i];
        let mut at = i;
        while let Some(to) = &self.channels[at].rejects_to {
            let Some(next) = self.channels.iter().position(|c| &c.name == to) else {
                return Ok(()); // reported by the channel's own validation
            };
            let chain = || {
                seen.iter()
                    .chain(std::iter::once(&next))
                    .map(|&k| format!("`{}`", self.channels[k].name))
                    .collect::<Vec<_>>()
                    .join(" → ")
            };
            ensure!(
                !seen.contains(&next),
                "rejects_to",
                "a rejects_to chain without cycles",
                format!("the cycle {}", chain())
            );
            seen.push(next);
            at = next;
        }
        let end = &self.channels[at];
        ensure!(
            !end.is_limited(),
            "rejects_to",
            "a rejects_to chain ending at a channel with no grade limit (grade_share fixed at 1) and no volume_cap_per_year",
            format!(
                "a chain ending at `{}`, which {}",
                end.name,
                if end.volume_cap_per_year.is_some() {
                    "has a volume cap"
                } else {
                    "has a grade limit"
                }
            )
        );
        Ok(())
    }

    /// The channel called `name`.
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }
}

impl Path {
    fn validate(&self, channels: &[&str]) -> Result<()> {
        param_non_negative("output_per_year", &self.output_per_year)?;
        param_non_negative("unit_cost", &self.unit_cost)?;
        param_non_negative("fixed_cost_per_year", &self.fixed_cost_per_year)?;
        share("drought_exposure", self.drought_exposure)?;
        for (i, r) in self.ramp.iter().enumerate() {
            share(format_args!("ramp[{i}]"), *r)?;
        }
        ensure!(
            self.trend_per_year.is_finite()
                && self.trend_per_year > -1.0
                && self.trend_per_year < 1.0,
            "trend_per_year",
            "a yearly change in (-1, 1)",
            self.trend_per_year
        );
        let mut total = 0.0;
        for (name, s) in &self.mix {
            known_channel("mix", name, channels)?;
            share(format_args!("mix.{name}"), *s)?;
            total += s;
        }
        ensure!(
            (total - 1.0).abs() < 1e-9,
            "mix",
            "channel shares that sum to 1",
            format!("a sum of {total}")
        );
        Ok(())
    }

    /// Share of full output in project year `year` (0-based).
    pub fn ramp_at(&self, year: usize) -> f64 {
        match self.ramp.last() {
            None => 1.0,
            Some(last) => *self.ramp.get(year).unwrap_or(last),
        }
    }
}

impl Channel {
    fn validate(&self, channels: &[&str]) -> Result<()> {
        ensure!(
            !self.name.trim().is_empty(),
            "name",
            "a non-empty name",
            "an empty string"
        );
        param_non_negative("price", &self.price)?;
        if let Some(pp) = &self.price_process {
            ensure!(
                pp.half_life_years.is_finite() && pp.half_life_years > 0.0,
                "price_process.half_life_years",
                "a half-life > 0 years",
                pp.half_life_years
            );
            ensure!(
                pp.sigma.is_finite() && (0.0..=2.0).contains(&pp.sigma),
                "price_process.sigma",
                "an annual volatility in [0, 2]",
                pp.sigma
            );
        }
        share("pass_through", self.pass_through)?;
        non_negative(
            "transport_cost_per_unit_km",
            self.transport_cost_per_unit_km,
        )?;
        non_negative("distance_km", self.distance_km)?;
        non_negative("fee_per_unit", self.fee_per_unit)?;
        ensure!(
            self.payment_delay_days.is_finite() && (0.0..=365.0).contains(&self.payment_delay_days),
            "payment_delay_days",
            "0 to 365 days",
            self.payment_delay_days
        );
        share("nonpayment_probability", self.nonpayment_probability)?;
        param_share("grade_share", &self.grade_share)?;
        if let Some(cap) = self.volume_cap_per_year {
            positive("volume_cap_per_year", cap)?;
        }
        match &self.rejects_to {
            Some(to) => {
                known_channel("rejects_to", to, channels)?;
                ensure!(
                    to != &self.name,
                    "rejects_to",
                    "another channel",
                    format!("`{to}` itself")
                );
            }
            None => {
                ensure!(
                    self.grade_share.base() >= 1.0 && !self.grade_share.is_random(),
                    "rejects_to",
                    "the channel that takes rejects, since grade_share < 1",
                    "none"
                );
                ensure!(
                    self.volume_cap_per_year.is_none(),
                    "rejects_to",
                    "the channel that takes output beyond volume_cap_per_year",
                    "none"
                );
            }
        }
        if let Some(pc) = self.contract_price {
            non_negative("contract_price", pc)?;
        }
        if let Some(spot) = &self.spot_channel {
            ensure!(
                self.contract_price.is_some(),
                "spot_channel",
                "a contract_price on this channel (the spot alternative is to a contract)",
                "no contract_price"
            );
            known_channel("spot_channel", spot, channels)?;
            ensure!(
                spot != &self.name,
                "spot_channel",
                "another channel",
                format!("`{spot}` itself")
            );
        }
        for (field, kappa) in [
            ("side_selling_penalty", self.side_selling_penalty),
            ("buyer_renege_margin", self.buyer_renege_margin),
        ] {
            if let Some(k) = kappa {
                non_negative(field, k)?;
                ensure!(
                    self.spot_channel.is_some(),
                    field,
                    "a spot_channel to compare the contract with",
                    "no spot_channel"
                );
            }
        }
        share("input_advance_share", self.input_advance_share)?;
        ensure!(
            self.input_advance_rate.is_finite() && (0.0..=1.0).contains(&self.input_advance_rate),
            "input_advance_rate",
            "an annual rate in [0, 1]",
            self.input_advance_rate
        );
        Ok(())
    }

    /// Whether the channel limits what it takes (a grade share that may
    /// fall below 1, or a volume cap).
    pub fn is_limited(&self) -> bool {
        self.volume_cap_per_year.is_some()
            || self.grade_share.is_random()
            || self.grade_share.base() < 1.0
    }

    /// Net price per unit reaching the producer for a buyer price `price`
    /// (F35 without the delay, which the cash grid carries as a shift in time).
    pub fn net_price(&self, price: f64) -> f64 {
        (price * self.pass_through
            - self.transport_cost_per_unit_km * self.distance_km
            - self.fee_per_unit)
            * (1.0 - self.nonpayment_probability)
    }

    /// Payment delay in whole months (30-day months, rounded).
    pub fn delay_months(&self) -> u32 {
        (self.payment_delay_days / 30.0).round() as u32
    }
}

/// Parses a case's `start`, `YYYY-MM` as a schedule's start is read, into
/// (year, month 1–12); a case starts between 1900 and 2200.
pub fn parse_year_month(text: &str) -> Result<(i32, u32)> {
    let ym: YearMonth = text.parse()?;
    ensure!(
        (1900..=2200).contains(&ym.year()),
        "start",
        "a month YYYY-MM from 1900-01 to 2200-12",
        format!("`{text}`")
    );
    Ok((ym.year(), ym.month()))
}

/// Reads a month-of-year calendar into 12 shares (index 0 = January).
pub fn calendar_shares(map: &BTreeMap<String, f64>) -> [f64; 12] {
    let mut out = [0.0; 12];
    for (k, v) in map {
        if let Ok(m) = k.trim().parse::<usize>() {
            if (1..=12).contains(&m) {
                out[m - 1] += v;
            }
        }
    }
    out
}

fn calendar(field: &str, map: &BTreeMap<String, f64>) -> Result<()> {
    let mut total = 0.0;
    for (k, v) in map {
        let ok = k.trim().parse::<u32>().is_ok_and(|m| (1..=12).contains(&m));
        ensure!(
            ok,
            field,
            "calendar months 1 to 12 as keys",
            format!("`{k}`")
        );
        share(format_args!("{field}.{k}"), *v)?;
        total += v;
    }
    ensure!(
        (total - 1.0).abs() < 1e-9,
        field,
        "monthly shares that sum to 1",
        format!("a sum of {total}")
    );
    Ok(())
}

fn param_non_negative(field: &str, p: &Param) -> Result<()> {
    non_negative(field, p.base()).map_err(|e| {
        if p.is_random() {
            e.with_field("mean")
        } else {
            e
        }
    })
}

fn param_positive(field: &str, p: &Param) -> Result<()> {
    positive(field, p.base())
}

/// A share may be random; its mean must be a share, and draws outside
/// [0, 1] are clamped by the model.
fn param_share(field: &str, p: &Param) -> Result<()> {
    share(field, p.base())
}

// The checks take `impl Display` fields, formatted only on failure, so a
// caller can name a field with `format_args!` at no cost when it passes
// (a book validates every row).
// Amounts and quantities are bounded by `MAX_MAGNITUDE` so that every sum
// of them stays finite.
fn non_negative(field: impl fmt::Display, x: f64) -> Result<()> {
    ensure!(
        (0.0..=MAX_MAGNITUDE).contains(&x),
        field.to_string(),
        "a number in [0, 1e15]",
        x
    );
    Ok(())
}

fn positive(field: &str, x: f64) -> Result<()> {
    ensure!(
        x > 0.0 && x <= MAX_MAGNITUDE,
        field,
        "a number in (0, 1e15]",
        x
    );
    Ok(())
}

fn share(field: impl fmt::Display, x: f64) -> Result<()> {
    ensure!(
        x.is_finite() && (0.0..=1.0).contains(&x),
        field.to_string(),
        "a share in [0, 1]",
        x
    );
    Ok(())
}

fn known_channel(field: &str, name: &str, channels: &[&str]) -> Result<()> {
    ensure!(
        channels.contains(&name),
        field,
        format!("one of the activity's channels ({})", channels.join(", ")),
        format!("`{name}`")
    );
    Ok(())
}
