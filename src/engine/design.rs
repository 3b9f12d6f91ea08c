//! Product design (methods section 9, F54–F56): every product of a space,
//! on one case, on the same scenarios; which meet the constraints, which
//! are not dominated, and which one to recommend.
//!
//! * **Common random numbers.** Each path's scenario is drawn once and its
//!   household flows (enterprise with and without the investment, capital,
//!   asset value, sales through deducting buyers) are kept; every candidate
//!   then runs its own loan through the household's cash account
//!   ([`crate::engine::credit`]) on exactly those paths, so differences
//!   between candidates are the products', not noise. Candidates run in
//!   parallel, each over the paths in order, so the result does not depend
//!   on the thread count.
//! * **Case-specific terms.** The `harvest` calendar falls due in the
//!   case's own high-sales months (calendar months with at least 1.25/12 of
//!   the with-investment sales; `harvest-weighted` weights them by those
//!   sales); the asset life is the cost-weighted useful life of the items
//!   the loan finances.
//! * **Objectives (F54):** the household's CE gain (CRRA certainty
//!   equivalent of consumption capacity with the investment and loan minus
//!   without), the lender's RAROC, the annual PD.
//! * **Constraints (F55):** annual PD ≤ max, P10 of the annual DSCR (over
//!   every path and loan year, F11's DSCR_t) ≥ min, RAROC ≥ hurdle, tenor ≤ asset life, P(W < subsistence) with ≤
//!   without + ε. A failing candidate's *binding* constraint is the one it
//!   violates most, by normalised margin (violation over the constraint's
//!   own scale).
//! * **Frontier (F56):** the feasible candidates no other feasible one
//!   beats on all three objectives (RAROC and PD compared to 4 decimals, so
//!   a solved rate's 1e-6 differences do not make spurious trade-offs).
//! * **Knee:** each objective scaled to [0, 1] over the frontier (1 =
//!   best); the knee is the frontier product nearest the ideal point
//!   (1, 1, 1) — Zeleny's compromise solution, the 3-objective counterpart
//!   of "farthest from the line between the extremes".

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use rust_decimal::Decimal;

use super::appraisal::case_schedule;
use super::appraisal::monthly_rate;
use super::cashflow::{CaseFlows, CaseModel};
use super::credit::{
    annual_dscrs, evaluate_path_with, evaluate_without, lender_economics, quantile, summarise,
    CreditSummary, Extras, HouseholdPath, LoanPlan, Tails, WithoutOutcome,
};
use super::instruments::{buyer_deducts, settle, variant_for};
use super::pricing::{cost_plus, solve_rate, CostPlus};
use super::simulate::{HouseholdBuffers, Prepared};
use crate::domain::case::Case;
use crate::domain::instrument::{Instrument, Kind};
use crate::domain::product::{Amortisation, CollateralKind, Frequency, GraceInterest, Product};
use crate::domain::space::{Calendar, Constraints, Rates, Space};
use crate::math::money::from_f64;
use crate::{Error, ErrorKind, Result};

/// Share of a year's sales (× 1/12) a calendar month needs to count as a
/// harvest month: 1.25 × the average month.
const HARVEST_SHARE: f64 = 1.25 / 12.0;

/// Most bytes of stored household paths one run may hold.
const MAX_PATH_BYTES: usize = 1 << 30;

/// What the search reads from the case besides its scenarios.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    /// Calendar months (1–12) of the with-investment sales peaks; empty
    /// when sales are spread evenly (no harvest calendar applies).
    pub harvest_months: Vec<u32>,
    /// Their shares of those months' sales, summing to 1 (4 decimals).
    pub harvest_weights: Vec<Decimal>,
    /// Cost-weighted useful life of the items financed, in months.
    pub asset_life_months: u32,
    /// The case's horizon in months: a loan must mature within it.
    pub horizon_months: u32,
    /// First month in which the investment raises sales.
    pub first_gain_month: Option<usize>,
    /// The case's currency, given to the candidates.
    pub currency: String,
    /// The household's subsistence per month: the scale on which a CE
    /// gain short of its floor is measured.
    pub subsistence_per_month: f64,
}

/// Reads [`CaseFacts`] from a case and its base flows.
pub fn case_facts(case: &Case, base: &CaseFlows) -> CaseFacts {
    let mut by_month = [0.0f64; 12];
    for t in 0..base.len() {
        by_month[base.calendar_month(t) - 1] += base.revenue_with[t].max(0.0);
    }
    let total: f64 = by_month.iter().sum();
    let harvest: Vec<(u32, f64)> = (0..12)
        .filter(|&m| total > 0.0 && by_month[m] / total >= HARVEST_SHARE)
        .map(|m| (m as u32 + 1, by_month[m]))
        .collect();
    let peak: f64 = harvest.iter().map(|(_, x)| x).sum();
    let financed: Vec<(f64, f64)> = case
        .investments
        .iter()
        .filter(|i| i.month == 0)
        .map(|i| (i.cost.base().max(0.0), i.life_years))
        .collect();
    let cost: f64 = financed.iter().map(|(c, _)| c).sum();
    let life_years = if cost > 0.0 {
        financed.iter().map(|(c, l)| c * l).sum::<f64>() / cost
    } else {
        f64::from(case.horizon_years)
    };
    CaseFacts {
        harvest_weights: harvest
            .iter()
            .map(|(_, x)| from_f64(x / peak).unwrap_or_default().round_dp(4))
            .collect(),
        harvest_months: harvest.iter().map(|(m, _)| *m).collect(),
        asset_life_months: (life_years * 12.0).floor() as u32,
        horizon_months: case.horizon_months(),
        first_gain_month: base.first_gain_month(),
        currency: case.currency.clone(),
        subsistence_per_month: case.household.subsistence_per_month,
    }
}

/// The terms of one candidate, as the search varied them.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    /// Tenor in months.
    pub tenor_months: u32,
    /// Grace in months (tenor − 1 for a bullet).
    pub grace_months: u32,
    /// Capitalised or paid grace interest.
    pub grace_interest: GraceInterest,
    /// Repayment calendar.
    pub calendar: Calendar,
    /// Amortisation rule.
    pub amortisation: Amortisation,
    /// Balloon share, for balloon loans.
    pub balloon_share: Option<Decimal>,
    /// Annual rate; `None` when it is solved.
    pub annual_rate: Option<Decimal>,
    /// Upfront fee share.
    pub upfront_fee_pct: Decimal,
    /// Down payment share.
    pub down_payment_pct: Decimal,
    /// Collateral.
    pub collateral: CollateralKind,
    /// The donor instrument tied to the loan (its id), if any.
    pub instrument: Option<String>,
}

/// One product of the space, applied to a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Short id built from the terms.
    pub id: String,
    /// The terms.
    pub terms: Terms,
    /// The product (its rate is the base rate until solved).
    pub product: Product,
}

fn kebab(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['-', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect::<String>()
        .trim_start_matches('-')
        .to_string()
}

/// A term's file name (`equal-principal`, `group-guarantee`).
pub fn term_name(x: impl std::fmt::Debug) -> String {
    kebab(&format!("{x:?}"))
}

fn pct(d: Decimal) -> String {
    (d * Decimal::ONE_HUNDRED).normalize().to_string()
}

impl Terms {
    /// A short id: `t60-g12c-monthly-annuity-r24-f2-d10-group-guarantee`
    /// (rate, fee and down payment in percent; `rsolve` when solved).
    #[must_use]
    pub fn id(&self) -> String {
        let grace = match self.grace_interest {
            GraceInterest::Capitalised => "c",
            GraceInterest::Paid => "p",
        };
        let mut id = format!("t{}", self.tenor_months);
        if self.calendar != Calendar::Bullet {
            id.push_str(&format!("-g{}{}", self.grace_months, grace));
        }
        id.push_str(&format!("-{}", self.calendar.as_str()));
        if self.calendar != Calendar::Bullet {
            id.push_str(&format!("-{}", term_name(self.amortisation)));
        }
        if let Some(b) = self.balloon_share {
            id.push_str(&pct(b));
        }
        match self.annual_rate {
            Some(r) => id.push_str(&format!("-r{}", pct(r))),
            None => id.push_str("-rsolve"),
        }
        id.push_str(&format!(
            "-f{}-d{}-{}",
            pct(self.upfront_fee_pct),
            pct(self.down_payment_pct),
            term_name(self.collateral)
        ));
        if let Some(i) = &self.instrument {
            id.push_str(&format!("+{i}"));
        }
        id
    }

    /// The terms in words.
    #[must_use]
    pub fn describe(&self, facts: &CaseFacts) -> String {
        let grace = |s: &str| {
            if self.grace_months == 0 {
                String::new()
            } else {
                format!(", {}-month grace ({s} interest)", self.grace_months)
            }
        };
        let calendar = match self.calendar {
            Calendar::Bullet => "one payment at maturity".to_string(),
            Calendar::Harvest => format!(
                "{} instalments in harvest months {:?}",
                term_name(self.amortisation),
                facts.harvest_months
            ),
            c => format!(
                "{} {} instalments",
                c.as_str(),
                term_name(self.amortisation)
            ),
        };
        let interest = match self.grace_interest {
            GraceInterest::Capitalised => "capitalised",
            GraceInterest::Paid => "paid",
        };
        format!(
            "{} months{}, {}{}, {}% upfront fee, {}% down payment, collateral {}",
            self.tenor_months,
            if self.calendar == Calendar::Bullet {
                String::new()
            } else {
                grace(interest)
            },
            calendar,
            self.balloon_share
                .map(|b| format!(" ({}% balloon)", pct(b)))
                .unwrap_or_default(),
            pct(self.upfront_fee_pct),
            pct(self.down_payment_pct),
            term_name(self.collateral)
        ) + &self
            .instrument
            .as_ref()
            .map(|i| format!(", with donor instrument {i}"))
            .unwrap_or_default()
    }
}

/// The candidates of `space` on a case, and how many combinations were
/// left out as not applicable (a grace as long as the tenor, a grace
/// interest rule without grace, a harvest calendar on a case without
/// harvest peaks or without a harvest after the grace, a balloon share on
/// a non-balloon loan, a loan maturing past the case's horizon). Tenors
/// longer than the asset life stay in: they fail that constraint. The
/// instrument ids of `vary.instrument` (other than `"none"`) are checked
/// against `instruments`.
pub fn enumerate(
    space: &Space,
    case: &Case,
    facts: &CaseFacts,
    instruments: &[Instrument],
) -> Result<(Vec<Candidate>, usize)> {
    let b = &space.base;
    let v = &space.vary;
    let tenors = v
        .tenor_months
        .as_ref()
        .map_or(vec![b.tenor_months], |m| m.values());
    let graces = v
        .grace_months
        .as_ref()
        .map_or(vec![b.grace_months], |m| m.values());
    let grace_rules = v.grace_interest.clone().unwrap_or(vec![b.grace_interest]);
    let calendars = v.frequency.clone().unwrap_or(vec![match b.frequency {
        Frequency::Monthly => Calendar::Monthly,
        Frequency::Quarterly => Calendar::Quarterly,
        Frequency::Semiannual => Calendar::Semiannual,
        Frequency::Annual => Calendar::Annual,
        Frequency::Harvest => Calendar::Harvest,
    }]);
    let amortisations = v.amortisation.clone().unwrap_or(vec![b.amortisation]);
    let balloons: Vec<Option<Decimal>> = match &v.balloon_share {
        Some(s) => s.iter().copied().map(Some).collect(),
        None => vec![b.balloon_share],
    };
    let rates: Vec<Option<Decimal>> = match &v.annual_rate {
        Some(Rates::List(r)) => r.iter().copied().map(Some).collect(),
        Some(Rates::Solve) => vec![None],
        None => vec![Some(b.annual_rate)],
    };
    let fees = v.upfront_fee_pct.clone().unwrap_or(vec![b.upfront_fee_pct]);
    let downs = v
        .down_payment_pct
        .clone()
        .unwrap_or(vec![b.down_payment_pct]);
    let collaterals = v.collateral.clone().unwrap_or(vec![b.collateral.kind]);
    let haircut = v.financed_asset_haircut.or(b.collateral.recovery_haircut);
    let ties = instrument_ties(space, instruments)?;

    let mut out = Vec::new();
    let mut skipped = 0usize;
    // An odometer over the dimensions, the last turning fastest: the same
    // order as nested loops from tenor (outermost) to collateral.
    let lens = [
        tenors.len(),
        calendars.len(),
        graces.len(),
        grace_rules.len(),
        amortisations.len(),
        balloons.len(),
        rates.len(),
        fees.len(),
        downs.len(),
        collaterals.len(),
        ties.len(),
    ];
    let mut at = [0usize; 11];
    'all: loop {
        let [t, c, g, gr, a, bs, r, f, d, k, i] = at;
        let (tenor, calendar, grace, rule, amort, balloon) = (
            tenors[t],
            calendars[c],
            graces[g],
            grace_rules[gr],
            amortisations[a],
            balloons[bs],
        );
        let bullet = calendar == Calendar::Bullet;
        let is_balloon = amort == Amortisation::Balloon;
        let applies = if bullet {
            // One product per tenor: grace and amortisation do not apply.
            g == 0 && gr == 0 && a == 0 && bs == 0
        } else {
            grace < tenor
                && (grace > 0 || gr == 0)
                && (is_balloon || bs == 0)
                && (!is_balloon || balloon.is_some())
                && (amort != Amortisation::HarvestWeighted || calendar == Calendar::Harvest)
                && (calendar != Calendar::Harvest || !facts.harvest_months.is_empty())
        };
        let terms = applies.then(|| Terms {
            tenor_months: tenor,
            grace_months: if bullet { tenor - 1 } else { grace },
            grace_interest: if bullet {
                GraceInterest::Capitalised
            } else {
                rule
            },
            calendar,
            amortisation: if bullet { Amortisation::Annuity } else { amort },
            balloon_share: if is_balloon && !bullet { balloon } else { None },
            annual_rate: rates[r],
            upfront_fee_pct: fees[f],
            down_payment_pct: downs[d],
            collateral: collaterals[k],
            instrument: ties[i].clone(),
        });
        match terms.and_then(|x| Some((product_of(b, &x, facts, haircut)?, x))) {
            Some((p, terms)) if case_schedule(case, &p).is_ok() => out.push(Candidate {
                id: p.id.clone(),
                terms,
                product: p,
            }),
            _ => skipped += 1,
        }
        let mut i = lens.len();
        loop {
            if i == 0 {
                break 'all;
            }
            i -= 1;
            at[i] += 1;
            if at[i] < lens[i] {
                break;
            }
            at[i] = 0;
        }
    }
    if out.is_empty() {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!(
                "the space has no candidate product for case `{}`: all {skipped} combinations are not applicable (grace not shorter than the tenor, a harvest calendar on a case without harvest peaks, or a loan maturing after the case's {}-month horizon)",
                case.id, facts.horizon_months
            ),
        )
        .with_field("vary"));
    }
    Ok((out, skipped))
}

/// The instruments a space ties to its loans: `None` for `"none"`, else
/// the id, checked against the loaded `instruments`. A first-loss tranche
/// covers a book, not one loan, so it cannot be tied to a product.
fn instrument_ties(space: &Space, instruments: &[Instrument]) -> Result<Vec<Option<String>>> {
    let Some(list) = &space.vary.instrument else {
        return Ok(vec![None]);
    };
    list.iter()
        .enumerate()
        .map(|(i, id)| {
            if id == "none" {
                return Ok(None);
            }
            let field = format!("vary.instrument[{i}]");
            let Some(ins) = instruments.iter().find(|x| &x.id == id) else {
                let known: Vec<&str> = instruments.iter().map(|x| x.id.as_str()).collect();
                return Err(Error::invalid(
                    field,
                    format!(
                        "\"none\" or the id of an instrument file ({})",
                        if known.is_empty() {
                            "none found".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                    format!("\"{id}\""),
                ));
            };
            if ins.kind == Kind::FirstLoss {
                return Err(Error::invalid(
                    field,
                    "an instrument that acts on one loan (a first-loss tranche covers a book: compare it with `terrace compare --portfolio`)",
                    format!("\"{id}\" (first_loss)"),
                ));
            }
            Ok(Some(id.clone()))
        })
        .collect()
}

/// The product of `terms` on the base product; `None` if it does not
/// validate (a combination the space cannot check alone).
fn product_of(
    base: &Product,
    terms: &Terms,
    facts: &CaseFacts,
    haircut: Option<Decimal>,
) -> Option<Product> {
    let mut p = base.clone();
    p.currency.clone_from(&facts.currency);
    p.id = terms.id();
    p.name = terms.describe(facts);
    p.tenor_months = terms.tenor_months;
    p.grace_months = terms.grace_months;
    p.grace_interest = terms.grace_interest;
    p.frequency = match terms.calendar {
        Calendar::Monthly | Calendar::Bullet => Frequency::Monthly,
        Calendar::Quarterly => Frequency::Quarterly,
        Calendar::Semiannual => Frequency::Semiannual,
        Calendar::Annual => Frequency::Annual,
        Calendar::Harvest => Frequency::Harvest,
    };
    p.harvest_months = if terms.calendar == Calendar::Harvest {
        facts.harvest_months.clone()
    } else {
        Vec::new()
    };
    p.amortisation = terms.amortisation;
    p.balloon_share = terms.balloon_share;
    p.harvest_weights = if terms.amortisation == Amortisation::HarvestWeighted {
        facts.harvest_weights.clone()
    } else {
        Vec::new()
    };
    if let Some(r) = terms.annual_rate {
        p.annual_rate = r;
    }
    p.upfront_fee_pct = terms.upfront_fee_pct;
    p.down_payment_pct = terms.down_payment_pct;
    p.collateral.kind = terms.collateral;
    p.collateral.recovery_haircut = match terms.collateral {
        CollateralKind::FinancedAsset => haircut,
        _ => None,
    };
    p.validate().ok().map(|()| p)
}

/// One path's household flows, kept so every candidate runs on it.
#[derive(Debug, Clone)]
struct StoredPath {
    with: Vec<f64>,
    without: Vec<f64>,
    capital: Vec<f64>,
    asset_value: Vec<f64>,
    deducting: Vec<f64>,
    /// Sales with the investment, for a buyer that deducts instalments.
    revenue: Vec<f64>,
    /// The path after a loan is done with; buyer deductions end with the
    /// loan, so every candidate shares them.
    tails: Tails,
}

/// The scenarios of a case, drawn once: every candidate is evaluated on
/// them (common random numbers).
pub struct Scenarios {
    paths: Vec<StoredPath>,
    without: Vec<WithoutOutcome>,
    other_income: f64,
    subsistence: f64,
    buffer: f64,
    discount_monthly: f64,
    gamma: f64,
    /// The case's deterministic base flows.
    pub base: CaseFlows,
}

impl Scenarios {
    /// Draws `paths` scenarios of `case` with `seed` (path i uses the
    /// stream (seed, i), as in `simulate`).
    pub fn draw(case: &Case, paths: usize, seed: u64) -> Result<Scenarios> {
        let prep = Prepared::without_loan(case)?;
        let months = case.horizon_months() as usize + 1;
        // Six monthly series and the five of the tails.
        let bytes = paths * months * 11 * std::mem::size_of::<f64>();
        if bytes > MAX_PATH_BYTES {
            return Err(Error::usage(format!(
                "--paths: {paths} paths × {months} months needs {} MB of stored scenarios; at most {} MB: use fewer --paths",
                bytes >> 20,
                MAX_PATH_BYTES >> 20
            )));
        }
        let drawn: Vec<(StoredPath, WithoutOutcome)> = (0..paths)
            .into_par_iter()
            .map_init(
                || {
                    (
                        prep.model.inputs.empty(),
                        CaseFlows::default(),
                        HouseholdBuffers::default(),
                    )
                },
                |(scenario, flows, buffers), path| {
                    prep.model.inputs.sample(seed, path as u64, &[], scenario);
                    prep.model.fill(scenario, flows);
                    let h = prep.household(flows, buffers);
                    let wo = evaluate_without(&h);
                    (
                        StoredPath {
                            with: h.enterprise_with.to_vec(),
                            without: h.enterprise_without.to_vec(),
                            capital: h.capital.to_vec(),
                            asset_value: h.asset_value.to_vec(),
                            deducting: h.deducting_revenue.to_vec(),
                            revenue: flows.revenue_with.clone(),
                            tails: h.tails.cloned().unwrap_or_default(),
                        },
                        wo,
                    )
                },
            )
            .collect();
        let model = CaseModel::compile(case)?;
        let base = model.base_flows();
        let mut buffers = HouseholdBuffers::default();
        let h = prep.household(&base, &mut buffers);
        let (other_income, subsistence, buffer, discount_monthly) =
            (h.other_income, h.subsistence, h.buffer, h.discount_monthly);
        let (paths, without): (Vec<_>, Vec<_>) = drawn.into_iter().unzip();
        Ok(Scenarios {
            paths,
            without,
            other_income,
            subsistence,
            buffer,
            discount_monthly,
            gamma: prep.gamma(),
            base,
        })
    }

    /// Number of paths.
    #[must_use]
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether no path was drawn.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Runs `product`'s loan on every path, in path order, and summarises
    /// it as `simulate` does; also returns the 10th percentile of the
    /// annual DSCR over every (path, loan year) (methods F11, F55).
    pub fn evaluate(
        &self,
        case: &Case,
        product: &Product,
    ) -> Result<(LoanPlan, CreditSummary, Option<f64>)> {
        let e = self.evaluate_with(case, product, None)?;
        Ok((e.loan, e.summary, e.dscr_p10))
    }

    /// [`Scenarios::evaluate`] with a donor instrument tied to the loan:
    /// the loan the instrument runs (a smaller one beside a grant, a
    /// cheaper one under a subsidy, …) goes through the same paths, and the
    /// instrument is settled on them as `compare` settles it
    /// ([`crate::engine::instruments`]).
    pub fn evaluate_with(
        &self,
        case: &Case,
        product: &Product,
        instrument: Option<&Instrument>,
    ) -> Result<Evaluation> {
        let base = LoanPlan::from_schedule(product, &case_schedule(case, product)?);
        let variant = match instrument {
            Some(ins) => variant_for(case, product, &base, ins)?,
            None => None,
        };
        let (loan, lender, sales_share) = match variant {
            Some(v) => (v.loan, v.lender, v.sales_share),
            None => (base, product.lender.clone(), None),
        };
        let mut dscrs = Vec::new();
        let mut deduct = Vec::new();
        let outcomes: Vec<_> = self
            .paths
            .iter()
            .map(|p| {
                let deducting = match sales_share {
                    Some(share) => {
                        buyer_deducts(share, &p.deducting, &p.revenue, &mut deduct);
                        &deduct[..]
                    }
                    None => &p.deducting[..],
                };
                let h = HouseholdPath {
                    enterprise_with: &p.with,
                    enterprise_without: &p.without,
                    capital: &p.capital,
                    asset_value: &p.asset_value,
                    deducting_revenue: deducting,
                    other_income: self.other_income,
                    subsistence: self.subsistence,
                    buffer: self.buffer,
                    savings_rate: 0.0,
                    discount_monthly: self.discount_monthly,
                    tails: Some(&p.tails),
                };
                dscrs.extend(annual_dscrs(&h, &loan).map(|(_, d)| d));
                evaluate_path_with(&h, &loan, &lender, Extras::NO_LENDER_IRR)
            })
            .collect();
        let years = loan.maturity() as f64 / 12.0;
        let summary = summarise(
            &outcomes,
            &self.without,
            &loan,
            &lender,
            self.gamma,
            self.subsistence,
            years,
        );
        let (mut raroc, mut donor_cost) = (summary.raroc, 0.0);
        if let Some(ins) = instrument {
            let e = lender_economics(
                &loan,
                &lender,
                summary.pd_annual,
                summary.lgd,
                summary.expected_loss,
                years,
            );
            let donor_monthly = monthly_rate(lender.risk_free);
            if let Some(s) = settle(ins, product, case, &loan, &outcomes, e, donor_monthly)? {
                raroc = s.economics.raroc();
                donor_cost = s.donor_cost;
            }
        }
        Ok(Evaluation {
            loan,
            summary,
            dscr_p10: quantile(dscrs, 0.10),
            raroc,
            donor_cost,
        })
    }
}

/// One product run on the scenarios, with its instrument if any.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The loan as run (an instrument's variant: smaller, cheaper, …).
    pub loan: LoanPlan,
    /// Its credit summary before the instrument is settled.
    pub summary: CreditSummary,
    /// 10th percentile of the annual DSCR over every (path, loan year).
    pub dscr_p10: Option<f64>,
    /// The lender's RAROC with the instrument settled (F20).
    pub raroc: Option<f64>,
    /// The donor's mean PV cost (F41); 0 without an instrument.
    pub donor_cost: f64,
}

/// A constraint of methods F55.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Constraint {
    /// Tenor ≤ the financed assets' useful life.
    AssetLife,
    /// Annual PD ≤ max.
    Pd,
    /// P10 of the lowest annual DSCR ≥ min.
    Dscr,
    /// RAROC ≥ hurdle.
    Raroc,
    /// P(W < subsistence) rises by at most ε.
    Subsistence,
    /// The household is better off: CE gain ≥ min (0).
    Gain,
}

impl Constraint {
    /// Every constraint, in report order.
    pub const ALL: [Constraint; 6] = [
        Constraint::AssetLife,
        Constraint::Pd,
        Constraint::Dscr,
        Constraint::Raroc,
        Constraint::Subsistence,
        Constraint::Gain,
    ];

    /// The name used in output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Constraint::AssetLife => "tenor<=asset_life",
            Constraint::Pd => "pd_annual<=max",
            Constraint::Dscr => "dscr_p10>=min",
            Constraint::Raroc => "raroc>=hurdle",
            Constraint::Subsistence => "no_subsistence_rise",
            Constraint::Gain => "ce_gain>=min",
        }
    }

    /// The constraint a `constraints.relax` key names (the asset life has
    /// no key: it cannot be waived).
    #[must_use]
    pub fn from_key(key: &str) -> Option<Constraint> {
        match key {
            "pd_annual_max" => Some(Constraint::Pd),
            "dscr_p10_min" => Some(Constraint::Dscr),
            "raroc_min" => Some(Constraint::Raroc),
            "subsistence_rise_max" => Some(Constraint::Subsistence),
            "ce_gain_min" => Some(Constraint::Gain),
            _ => None,
        }
    }
}

/// A candidate's simulated results (absent when its tenor exceeds the
/// asset life: it fails that constraint before any simulation).
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// The rate it was evaluated at (solved or given).
    pub annual_rate: Decimal,
    /// Whether the rate was solved and reached the hurdle.
    pub rate_solved: Option<bool>,
    /// Household CE gain per month (F54).
    pub ce_gain: f64,
    /// Lender RAROC (F20).
    pub raroc: Option<f64>,
    /// Annual PD (F25).
    pub pd_annual: f64,
    /// 10th percentile of the annual DSCR over every (path, loan year):
    /// the constraint's statistic; +∞ when nothing is due.
    pub dscr_p10: f64,
    /// 10th percentile over paths of each path's lowest annual DSCR (what
    /// `simulate` reports as `dscr_p10`): stricter, shown for reference.
    pub dscr_min_p10: f64,
    /// P(W < subsistence) with the investment and loan (F33).
    pub p_below_subsistence: f64,
    /// P(W < subsistence) with the loan minus without the investment.
    pub subsistence_rise: f64,
    /// Expected loss (PV at month 0).
    pub expected_loss: f64,
    /// Amount lent.
    pub principal: f64,
    /// Mean household NPV after financing.
    pub household_npv_mean: f64,
    /// The donor's mean PV cost of the tied instrument (F41); 0 without one.
    pub donor_cost: f64,
}

/// One evaluated candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The candidate.
    pub candidate: Candidate,
    /// Its results.
    pub metrics: Option<Metrics>,
    /// Normalised violation of each failed constraint (> 0).
    pub violations: Vec<(Constraint, f64)>,
    /// Normalised slack of each met constraint (≥ 0).
    pub slacks: Vec<(Constraint, f64)>,
    /// On the non-dominated set.
    pub frontier: bool,
}

impl Row {
    /// Meets every constraint.
    #[must_use]
    pub fn feasible(&self) -> bool {
        self.violations.is_empty()
    }

    /// Meets every constraint except, possibly, the `waived` ones.
    #[must_use]
    pub fn meets(&self, waived: &[Constraint]) -> bool {
        self.metrics.is_some() && self.violations.iter().all(|(c, _)| waived.contains(c))
    }

    /// The constraint it violates most, by normalised margin.
    #[must_use]
    pub fn binding(&self) -> Option<Constraint> {
        self.violations
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(c, _)| *c)
    }

    /// The met constraint with the least normalised slack.
    #[must_use]
    pub fn tightest(&self) -> Option<(Constraint, f64)> {
        self.slacks
            .iter()
            .copied()
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
    }
}

/// The recommended product's price, three ways (F18–F20).
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    /// Cost-plus break-even rate and CGAP rate at the product's own PD and EL.
    pub cost_plus: CostPlus,
    /// The lowest rate at which RAROC reaches the hurdle (F20), if any.
    pub hurdle_rate: Option<Decimal>,
    /// RAROC re-run at that rate (equals the hurdle up to rounding).
    pub raroc_at_hurdle_rate: Option<f64>,
}

/// The result of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Every candidate, in enumeration order.
    pub rows: Vec<Row>,
    /// Combinations left out as not applicable.
    pub skipped: usize,
    /// The case facts used.
    pub facts: CaseFacts,
    /// The constraints applied (RAROC floor resolved).
    pub constraints: Constraints,
    /// The RAROC floor.
    pub raroc_min: f64,
    /// Index of the recommended product in `rows`.
    pub knee: Option<usize>,
    /// The constraints waived (from `constraints.relax`, in order) because
    /// no candidate met them all; empty when some candidate did.
    pub waived: Vec<Constraint>,
    /// Whether only products tied to a donor instrument met the
    /// constraints (so the frontier and the recommendation are among them).
    pub tied: bool,
    /// Why it is recommended, or why nothing is.
    pub reason: String,
    /// Its pricing.
    pub pricing: Option<Pricing>,
    /// Paths and seed.
    pub paths: usize,
    /// Seed.
    pub seed: u64,
}

impl Design {
    /// Failing candidates by binding constraint, most frequent first.
    #[must_use]
    pub fn binding_counts(&self) -> Vec<(Constraint, usize)> {
        let mut counts: Vec<(Constraint, usize)> = Constraint::ALL
            .iter()
            .map(|&c| {
                (
                    c,
                    self.rows.iter().filter(|r| r.binding() == Some(c)).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts
    }

    /// Number of candidates meeting every constraint not waived.
    #[must_use]
    pub fn qualifying(&self) -> usize {
        self.rows.iter().filter(|r| r.meets(&self.waived)).count()
    }

    /// Number of feasible candidates.
    #[must_use]
    pub fn feasible(&self) -> usize {
        self.rows.iter().filter(|r| r.feasible()).count()
    }

    /// The candidate closest to feasibility (smallest largest violation).
    #[must_use]
    pub fn closest(&self) -> Option<&Row> {
        // Candidates that were simulated first: one refused on its tenor
        // alone has no other result to compare.
        self.rows.iter().filter(|r| !r.feasible()).min_by(|a, b| {
            b.metrics.is_some().cmp(&a.metrics.is_some()).then_with(|| {
                let worst = |r: &Row| r.violations.iter().map(|v| v.1).fold(0.0, f64::max);
                worst(a).total_cmp(&worst(b))
            })
        })
    }
}

/// Constraints with their normalised margins.
type Margins = Vec<(Constraint, f64)>;

/// The normalised checks of methods F55 on one candidate.
fn check(
    terms: &Terms,
    m: Option<&Metrics>,
    c: &Constraints,
    raroc_min: f64,
    facts: &CaseFacts,
) -> (Margins, Margins) {
    let life = f64::from(facts.asset_life_months.max(1));
    // (constraint, margin / scale): positive = met with slack.
    let mut margins = vec![(
        Constraint::AssetLife,
        (life - f64::from(terms.tenor_months)) / life,
    )];
    if let Some(m) = m {
        margins.push((
            Constraint::Pd,
            (c.pd_annual_max - m.pd_annual) / c.pd_annual_max,
        ));
        let dscr = if m.dscr_p10.is_finite() {
            m.dscr_p10
        } else {
            f64::MAX
        };
        margins.push((
            Constraint::Dscr,
            ((dscr - c.dscr_p10_min) / c.dscr_p10_min.max(0.1)).min(1e6),
        ));
        margins.push((
            Constraint::Raroc,
            m.raroc
                .map_or(-1e6, |r| (r - raroc_min) / raroc_min.abs().max(0.01)),
        ));
        // With no path below subsistence there is nothing a product could
        // lower: the constraint holds with full slack, it does not bind.
        margins.push((
            Constraint::Subsistence,
            if m.p_below_subsistence == 0.0 {
                1.0
            } else {
                (c.subsistence_rise_max - m.subsistence_rise) / c.subsistence_rise_max.max(0.01)
            },
        ));
        // A shortfall in CE gain is measured against a tenth of a month's
        // subsistence, so the scale means the same in every currency.
        let scale = c
            .ce_gain_min
            .abs()
            .max(0.1 * facts.subsistence_per_month)
            .max(f64::MIN_POSITIVE);
        margins.push((
            Constraint::Gain,
            ((m.ce_gain - c.ce_gain_min) / scale).clamp(-1e6, 1e6),
        ));
    }
    let (met, failed): (Vec<_>, Vec<_>) = margins.into_iter().partition(|(_, x)| *x >= 0.0);
    (failed.into_iter().map(|(k, x)| (k, -x)).collect(), met)
}

/// Runs the search. `progress` receives the number of candidates done.
/// `instruments` holds the instruments `vary.instrument` may name.
///
/// Which candidates the frontier is drawn from: those meeting every
/// constraint; when none does, the constraints of `constraints.relax` are
/// waived one at a time, in order, until some candidate meets the rest.
/// Among the candidates that qualify, a product without a donor
/// instrument is preferred: instrument-tied products form the frontier
/// only when no untied one qualifies (a donor's money should go where it
/// is additional, methods section 7).
pub fn design(
    space: &Space,
    case: &Case,
    instruments: &[Instrument],
    paths: usize,
    seed: u64,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Design> {
    let scenarios = Scenarios::draw(case, paths, seed)?;
    let facts = case_facts(case, &scenarios.base);
    let (candidates, skipped) = enumerate(space, case, &facts, instruments)?;
    let instrument_of = |c: &Candidate| {
        c.terms
            .instrument
            .as_ref()
            .and_then(|id| instruments.iter().find(|x| &x.id == id))
    };
    let raroc_min = space.raroc_min();
    let done = AtomicUsize::new(0);
    let rows: Vec<Row> = candidates
        .into_par_iter()
        .map(|cand| {
            let metrics = (cand.terms.tenor_months <= facts.asset_life_months)
                .then(|| {
                    evaluate_candidate(&scenarios, case, &cand, instrument_of(&cand), raroc_min)
                })
                .transpose()?;
            let (violations, slacks) = check(
                &cand.terms,
                metrics.as_ref(),
                &space.constraints,
                raroc_min,
                &facts,
            );
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            Ok(Row {
                candidate: cand,
                metrics,
                violations,
                slacks,
                frontier: false,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut d = Design {
        rows,
        skipped,
        facts,
        constraints: space.constraints.clone(),
        raroc_min,
        knee: None,
        waived: Vec::new(),
        tied: false,
        reason: String::new(),
        pricing: None,
        paths,
        seed,
    };
    let relax: Vec<Constraint> = space
        .constraints
        .relax
        .iter()
        .filter_map(|k| Constraint::from_key(k))
        .collect();
    for level in 0..=relax.len() {
        let waived = &relax[..level];
        if !d.rows.iter().any(|r| r.meets(waived)) {
            continue;
        }
        let untied = |r: &Row| r.candidate.terms.instrument.is_none();
        let tied = !d.rows.iter().any(|r| r.meets(waived) && untied(r));
        mark_frontier(&mut d.rows, &|r: &Row| {
            r.meets(waived) && (tied || untied(r))
        });
        d.waived = waived.to_vec();
        d.tied = tied;
        break;
    }
    d.knee = knee(&d.rows);
    d.reason = reason(&d);
    if let Some(k) = d.knee {
        let row = &d.rows[k];
        let ins = instrument_of(&row.candidate);
        d.pricing = Some(price(&scenarios, case, row, ins, raroc_min)?);
    }
    Ok(d)
}

/// Evaluates one candidate, solving its rate when the space says so.
fn evaluate_candidate(
    s: &Scenarios,
    case: &Case,
    cand: &Candidate,
    instrument: Option<&Instrument>,
    raroc_min: f64,
) -> Result<Metrics> {
    let mut product = cand.product.clone();
    let mut rate_solved = None;
    if cand.terms.annual_rate.is_none() {
        let raroc_at = |r: Decimal| {
            let mut p = product.clone();
            p.annual_rate = r;
            s.evaluate_with(case, &p, instrument)
                .ok()
                .and_then(|e| e.raroc)
        };
        let (rate, ok) = match solve_rate(raroc_at, raroc_min) {
            Ok(r) => (r, true),
            Err(best) => (best.unwrap_or(product.annual_rate), false),
        };
        product.annual_rate = rate;
        rate_solved = Some(ok);
    }
    let e = s.evaluate_with(case, &product, instrument)?;
    let x = &e.summary;
    Ok(Metrics {
        annual_rate: product.annual_rate,
        rate_solved,
        ce_gain: x.ce_gain,
        raroc: e.raroc,
        pd_annual: x.pd_annual,
        dscr_p10: e.dscr_p10.unwrap_or(f64::INFINITY),
        dscr_min_p10: x.dscr_p10,
        p_below_subsistence: x.p_below_subsistence,
        subsistence_rise: x.p_below_subsistence - x.p_below_subsistence_without,
        expected_loss: x.expected_loss,
        principal: e.loan.principal,
        household_npv_mean: x.household_npv_mean,
        donor_cost: e.donor_cost,
    })
}

/// Objectives compared: CE gain (max), RAROC (max), PD (min), donor cost
/// (min, 0 without an instrument); RAROC and PD to 4 decimals.
type Objectives = (f64, f64, f64, f64);

fn objectives(m: &Metrics) -> Objectives {
    let r4 = |x: f64| (x * 1e4).round() / 1e4;
    (
        m.ce_gain,
        r4(m.raroc.unwrap_or(f64::NEG_INFINITY)),
        r4(m.pd_annual),
        m.donor_cost,
    )
}

fn dominates(a: Objectives, b: Objectives) -> bool {
    a.0 >= b.0
        && a.1 >= b.1
        && a.2 <= b.2
        && a.3 <= b.3
        && (a.0 > b.0 || a.1 > b.1 || a.2 < b.2 || a.3 < b.3)
}

/// Marks the `eligible` candidates no other eligible one dominates.
fn mark_frontier(rows: &mut [Row], eligible: &(dyn Fn(&Row) -> bool + Sync)) {
    let feasible: Vec<(usize, Objectives)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| eligible(r))
        .filter_map(|(i, r)| r.metrics.as_ref().map(|m| (i, objectives(m))))
        .collect();
    let flags: Vec<(usize, bool)> = feasible
        .par_iter()
        .map(|&(i, a)| (i, !feasible.iter().any(|&(_, b)| dominates(b, a))))
        .collect();
    for (i, f) in flags {
        rows[i].frontier = f;
    }
}

/// Objectives scaled to [0, 1] over the frontier, 1 = best.
fn scaled(rows: &[Row], i: usize, front: &[usize]) -> [f64; 4] {
    let o = |j: usize| {
        objectives(
            rows[j]
                .metrics
                .as_ref()
                .expect("frontier rows have metrics"),
        )
    };
    let range = |f: &dyn Fn(Objectives) -> f64| {
        let v: Vec<f64> = front.iter().map(|&j| f(o(j))).collect();
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    let s = |x: f64, (lo, hi): (f64, f64), up: bool| {
        if hi - lo <= 0.0 || !x.is_finite() {
            1.0
        } else if up {
            (x - lo) / (hi - lo)
        } else {
            (hi - x) / (hi - lo)
        }
    };
    let x = o(i);
    [
        s(x.0, range(&|t| t.0), true),
        s(x.1, range(&|t| t.1), true),
        s(x.2, range(&|t| t.2), false),
        s(x.3, range(&|t| t.3), false),
    ]
}

/// The frontier product nearest the ideal point in scaled objectives;
/// ties go to the higher CE gain, then to the earlier candidate.
fn knee(rows: &[Row]) -> Option<usize> {
    let front: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].frontier).collect();
    front
        .iter()
        .map(|&i| {
            let s = scaled(rows, i, &front);
            let dist = s.iter().map(|x| (1.0 - x).powi(2)).sum::<f64>().sqrt();
            (i, dist)
        })
        .min_by(|a, b| {
            let ce = |i: usize| rows[i].metrics.as_ref().map_or(0.0, |m| m.ce_gain);
            a.1.total_cmp(&b.1)
                .then(ce(b.0).total_cmp(&ce(a.0)))
                .then(a.0.cmp(&b.0))
        })
        .map(|(i, _)| i)
}

fn short(m: &Metrics) -> String {
    let donor = if m.donor_cost == 0.0 {
        String::new()
    } else {
        format!(", donor cost {:.0}", m.donor_cost)
    };
    format!(
        "CE gain {:.0}/month, RAROC {}, PD {:.2}%{donor}",
        m.ce_gain,
        m.raroc
            .map_or("-".to_string(), |r| format!("{:.1}%", 100.0 * r)),
        100.0 * m.pd_annual
    )
}

/// A candidate's value of the statistic constraint `c` bounds.
fn statistic(c: Constraint, m: &Metrics) -> f64 {
    match c {
        Constraint::Pd => m.pd_annual,
        Constraint::Dscr => m.dscr_p10,
        Constraint::Raroc => m.raroc.unwrap_or(f64::NEG_INFINITY),
        Constraint::Subsistence => m.subsistence_rise,
        Constraint::Gain => m.ce_gain,
        Constraint::AssetLife => f64::NAN,
    }
}

fn stat_words(c: Constraint, x: f64) -> String {
    match c {
        Constraint::Pd => format!("annual PD {:.2}%", 100.0 * x),
        Constraint::Dscr => format!("DSCR p10 {x:.2}"),
        Constraint::Raroc => format!("RAROC {:.1}%", 100.0 * x),
        Constraint::Subsistence => format!("a rise in P(W < subsistence) of {x:.4}"),
        Constraint::Gain => format!("a CE gain of {x:.0}/month"),
        Constraint::AssetLife => String::new(),
    }
}

/// The best value of `c`'s statistic over every simulated candidate.
fn best_reached(c: Constraint, d: &Design) -> String {
    let lower_is_better = matches!(c, Constraint::Pd | Constraint::Subsistence);
    let values = d
        .rows
        .iter()
        .filter_map(|r| r.metrics.as_ref())
        .map(|m| statistic(c, m));
    let best = if lower_is_better {
        values.fold(f64::INFINITY, f64::min)
    } else {
        values.fold(f64::NEG_INFINITY, f64::max)
    };
    stat_words(c, best)
}

fn reached(c: Constraint, m: &Metrics) -> String {
    format!("has {}", stat_words(c, statistic(c, m)))
}

fn constraint_words(c: Constraint, d: &Design) -> String {
    match c {
        Constraint::AssetLife => {
            format!("tenor ≤ asset life ({} months)", d.facts.asset_life_months)
        }
        Constraint::Pd => format!("annual PD ≤ {}%", 100.0 * d.constraints.pd_annual_max),
        Constraint::Dscr => format!("DSCR p10 ≥ {}", d.constraints.dscr_p10_min),
        Constraint::Raroc => format!("RAROC ≥ {}%", 100.0 * d.raroc_min),
        Constraint::Subsistence => format!(
            "P(W < subsistence) rises by ≤ {}",
            d.constraints.subsistence_rise_max
        ),
        Constraint::Gain => format!("household CE gain ≥ {}/month", d.constraints.ce_gain_min),
    }
}

/// Why the knee was chosen (what binds, what the frontier trades), or why
/// nothing can be.
fn reason(d: &Design) -> String {
    let counts = d.binding_counts();
    let failing: usize = counts.iter().map(|(_, n)| n).sum();
    let binds = counts
        .iter()
        .map(|(c, n)| format!("{} ({n})", constraint_words(*c, d)))
        .collect::<Vec<_>>()
        .join(", ");
    let most = counts.first().map_or("none".to_string(), |(c, n)| {
        format!(
            "{} binds most ({n} of {} candidates)",
            constraint_words(*c, d),
            d.rows.len()
        )
    });
    let Some(k) = d.knee else {
        let closest = d.closest().map_or(String::new(), |r| {
            format!(
                "; closest to feasible: {} ({}{})",
                r.candidate.id,
                r.violations
                    .iter()
                    .map(|(c, x)| format!("{} off by {:.2} of its scale", c.as_str(), x))
                    .collect::<Vec<_>>()
                    .join(", "),
                r.metrics
                    .as_ref()
                    .map_or(String::new(), |m| format!("; {}", short(m)))
            )
        });
        let waived = if d.constraints.relax.is_empty() {
            String::new()
        } else {
            format!(" (even waiving {} in turn)", d.constraints.relax.join(", "))
        };
        return format!(
            "nothing is feasible{waived}: {most}; binding constraints of the {failing} failing candidates: {binds}{closest}"
        );
    };
    let front: Vec<usize> = (0..d.rows.len()).filter(|&i| d.rows[i].frontier).collect();
    let m = |i: usize| {
        d.rows[i]
            .metrics
            .as_ref()
            .expect("frontier rows have metrics")
    };
    let best_by = |f: &dyn Fn(&Metrics) -> f64| {
        front
            .iter()
            .copied()
            .max_by(|&a, &b| f(m(a)).total_cmp(&f(m(b))).then(b.cmp(&a)))
            .expect("a knee implies a frontier")
    };
    let top_ce = best_by(&|x| x.ce_gain);
    let top_raroc = best_by(&|x| x.raroc.unwrap_or(f64::NEG_INFINITY));
    let low_pd = best_by(&|x| -x.pd_annual);
    let knee = &d.rows[k];
    let tight = knee.tightest().map_or(String::new(), |(c, s)| {
        format!(
            "; its tightest constraint is {} (slack {:.2} of its scale)",
            constraint_words(c, d),
            s
        )
    });
    let mut text = String::new();
    if !d.waived.is_empty() {
        let waived = d
            .waived
            .iter()
            .map(|&c| {
                format!(
                    "{} (the best any candidate reaches is {}; the recommended product {})",
                    constraint_words(c, d),
                    best_reached(c, d),
                    reached(c, m(k))
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        text.push_str(&format!(
            "No product meets every constraint ({most}). The space lets the lender waive, in order, {}: waived {waived}. ",
            d.constraints.relax.join(", ")
        ));
    }
    let qualifying = d.qualifying();
    let untied = d
        .rows
        .iter()
        .filter(|r| r.meets(&d.waived) && r.candidate.terms.instrument.is_none())
        .count();
    if d.tied {
        text.push_str(&format!(
            "No product without a donor instrument qualifies; with one, {} of {} do, and the recommendation is among them. ",
            qualifying,
            d.rows.len()
        ));
    }
    let pool = if d.tied { qualifying } else { untied };
    let needless = if !d.tied && qualifying > untied {
        format!(
            " without an instrument ({} more qualify only with one, which is not needed here)",
            qualifying - untied
        )
    } else {
        String::new()
    };
    text.push_str(&format!(
        "{} is the knee of {} non-dominated products out of {} {}{} of {}: {}{}. ",
        knee.candidate.id,
        front.len(),
        pool,
        if d.waived.is_empty() {
            "feasible"
        } else {
            "meeting the other constraints"
        },
        needless,
        d.rows.len(),
        short(m(k)),
        tight
    ));
    let extreme = |label: &str, i: usize| {
        if i == k {
            format!("it is itself the {label}")
        } else {
            format!("{label} {} ({})", d.rows[i].candidate.id, short(m(i)))
        }
    };
    text.push_str(&format!(
        "The frontier trades: {}; {}; {}. ",
        extreme("highest CE gain", top_ce),
        extreme("highest RAROC", top_raroc),
        extreme("lowest PD", low_pd)
    ));
    if m(k).ce_gain < 0.0 {
        // No constraint of F55 asks for a gain, but a lender should know
        // when the household would do better not to invest at all.
        let best = best_by(&|x| x.ce_gain);
        text.push_str(&format!(
            "Caution: the household's CE gain is negative here and on every product that qualifies (at best {:.0}/month): none makes it better off than not investing. ",
            m(best).ce_gain
        ));
    }
    if failing > 0 {
        text.push_str(&format!(
            "Failing candidates by binding constraint: {binds}."
        ));
    }
    text
}

/// Prices a product three ways on the same scenarios.
fn price(
    s: &Scenarios,
    case: &Case,
    row: &Row,
    instrument: Option<&Instrument>,
    hurdle: f64,
) -> Result<Pricing> {
    let mut product = row.candidate.product.clone();
    if let Some(m) = &row.metrics {
        product.annual_rate = m.annual_rate;
    }
    let e = s.evaluate_with(case, &product, instrument)?;
    let cp = cost_plus(&e.loan, &e.summary, &product.lender, hurdle);
    let raroc_at = |r: Decimal| {
        let mut p = product.clone();
        p.annual_rate = r;
        s.evaluate_with(case, &p, instrument)
            .ok()
            .and_then(|e| e.raroc)
    };
    let hurdle_rate = solve_rate(raroc_at, hurdle).ok();
    let raroc_at_hurdle_rate = hurdle_rate.and_then(raroc_at);
    Ok(Pricing {
        cost_plus: cp,
        hurdle_rate,
        raroc_at_hurdle_rate,
    })
}

/// The recommended product with its rate set (solved or given).
#[must_use]
pub fn recommended(d: &Design) -> Option<Product> {
    let row = &d.rows[d.knee?];
    let mut p = row.candidate.product.clone();
    if let Some(m) = &row.metrics {
        p.annual_rate = m.annual_rate;
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(ce: f64, raroc: f64, pd: f64) -> Metrics {
        Metrics {
            annual_rate: Decimal::ZERO,
            rate_solved: None,
            ce_gain: ce,
            raroc: Some(raroc),
            pd_annual: pd,
            dscr_p10: 2.0,
            dscr_min_p10: 2.0,
            p_below_subsistence: 0.0,
            subsistence_rise: 0.0,
            expected_loss: 0.0,
            principal: 1.0,
            household_npv_mean: 0.0,
            donor_cost: 0.0,
        }
    }

    #[test]
    fn dominance_needs_one_strict_improvement() {
        let a = (10.0, 0.2, 0.01, 0.0);
        assert!(dominates((11.0, 0.2, 0.01, 0.0), a));
        assert!(!dominates(a, a));
        assert!(!dominates((11.0, 0.1, 0.01, 0.0), a));
        assert!(dominates((10.0, 0.2, 0.005, 0.0), a));
        // A donor's money is a cost: the same loan for less of it dominates.
        assert!(dominates(a, (10.0, 0.2, 0.01, 5.0)));
        assert!(!dominates((11.0, 0.2, 0.01, 5.0), a));
    }

    #[test]
    fn kebab_names_match_the_file_names() {
        assert_eq!(term_name(Amortisation::EqualPrincipal), "equal-principal");
        assert_eq!(term_name(CollateralKind::GroupGuarantee), "group-guarantee");
        assert_eq!(term_name(GraceInterest::Capitalised), "capitalised");
    }

    #[test]
    fn the_knee_is_the_balanced_point() {
        let rows: Vec<Row> = [(10.0, 0.15, 0.03), (8.0, 0.30, 0.02), (1.0, 0.40, 0.0)]
            .iter()
            .enumerate()
            .map(|(i, &(ce, r, pd))| Row {
                candidate: Candidate {
                    id: format!("c{i}"),
                    terms: Terms {
                        tenor_months: 12,
                        grace_months: 0,
                        grace_interest: GraceInterest::Capitalised,
                        calendar: Calendar::Monthly,
                        amortisation: Amortisation::Annuity,
                        balloon_share: None,
                        annual_rate: None,
                        upfront_fee_pct: Decimal::ZERO,
                        down_payment_pct: Decimal::ZERO,
                        collateral: CollateralKind::None,
                        instrument: None,
                    },
                    product: crate::domain::product::tests::base(),
                },
                metrics: Some(metrics(ce, r, pd)),
                violations: vec![],
                slacks: vec![],
                frontier: false,
            })
            .collect();
        let mut rows = rows;
        mark_frontier(&mut rows, &Row::feasible);
        assert!(rows.iter().all(|r| r.frontier));
        // Scaled: c0 (1, 0, 0), c1 (7/9, 0.6, 1/3), c2 (0, 1, 1).
        assert_eq!(knee(&rows), Some(1));
    }

    fn terms(tenor: u32) -> Terms {
        Terms {
            tenor_months: tenor,
            grace_months: 0,
            grace_interest: GraceInterest::Capitalised,
            calendar: Calendar::Monthly,
            amortisation: Amortisation::Annuity,
            balloon_share: None,
            annual_rate: None,
            upfront_fee_pct: Decimal::ZERO,
            down_payment_pct: Decimal::ZERO,
            collateral: CollateralKind::None,
            instrument: None,
        }
    }

    fn facts() -> CaseFacts {
        CaseFacts {
            harvest_months: vec![],
            harvest_weights: vec![],
            asset_life_months: 60,
            horizon_months: 120,
            first_gain_month: Some(0),
            currency: "USD".into(),
            subsistence_per_month: 100.0,
        }
    }

    #[test]
    fn a_household_worse_off_fails_the_gain_floor_on_the_subsistence_scale() {
        // Subsistence 100/month: the scale is 10, so a CE gain of −5 misses
        // the floor of 0 by 0.5 of it.
        let c = Constraints::default();
        let (failed, _) = check(
            &terms(12),
            Some(&metrics(-5.0, 0.3, 0.0)),
            &c,
            0.15,
            &facts(),
        );
        assert_eq!(failed, vec![(Constraint::Gain, 0.5)]);
        let (failed, met) = check(
            &terms(12),
            Some(&metrics(5.0, 0.3, 0.0)),
            &c,
            0.15,
            &facts(),
        );
        assert!(failed.is_empty());
        assert!(met.contains(&(Constraint::Gain, 0.5)));
        assert_eq!(Constraint::from_key("ce_gain_min"), Some(Constraint::Gain));
    }

    proptest::proptest! {
        #[test]
        fn the_frontier_is_exactly_the_non_dominated_feasible_set(
            points in proptest::collection::vec(
                (0.0f64..100.0, -0.5f64..1.0, 0.0f64..0.1, proptest::bool::ANY),
                1..40,
            )
        ) {
            let mut rows: Vec<Row> = points
                .iter()
                .enumerate()
                .map(|(i, &(ce, r, pd, ok))| Row {
                    candidate: Candidate {
                        id: format!("c{i}"),
                        terms: terms(12),
                        product: crate::domain::product::tests::base(),
                    },
                    metrics: Some(metrics(ce, r, pd)),
                    violations: if ok { vec![] } else { vec![(Constraint::Pd, 1.0)] },
                    slacks: vec![],
                    frontier: false,
                })
                .collect();
            mark_frontier(&mut rows, &Row::feasible);
            let key = |r: &Row| objectives(r.metrics.as_ref().unwrap());
            for a in &rows {
                let beaten = rows.iter().any(|b| b.feasible() && dominates(key(b), key(a)));
                proptest::prop_assert_eq!(a.frontier, a.feasible() && !beaten);
            }
            let k = knee(&rows);
            proptest::prop_assert_eq!(k.is_some(), rows.iter().any(Row::feasible));
            if let Some(k) = k {
                proptest::prop_assert!(rows[k].frontier);
            }
        }

        #[test]
        fn a_higher_pd_ceiling_never_adds_a_violation(
            pd in 0.0f64..0.2,
            dscr in -2.0f64..3.0,
            raroc in -1.0f64..2.0,
            rise in -0.5f64..0.5,
            tenor in 1u32..120,
            lo in 0.001f64..0.1,
            extra in 0.0f64..0.1,
        ) {
            let mut m = metrics(1.0, raroc, pd);
            m.dscr_p10 = dscr;
            m.subsistence_rise = rise;
            m.p_below_subsistence = 0.5;
            let at = |ceiling: f64| {
                let c = Constraints { pd_annual_max: ceiling, ..Constraints::default() };
                let (failed, _) = check(&terms(tenor), Some(&m), &c, 0.15, &facts());
                failed.into_iter().map(|(k, _)| k).collect::<Vec<_>>()
            };
            let (strict, relaxed) = (at(lo), at(lo + extra));
            proptest::prop_assert!(relaxed.iter().all(|k| strict.contains(k)));
        }
    }
}
