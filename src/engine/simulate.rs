//! Monte Carlo: many scenarios of a case, each product's loan run through
//! the household's cash account on every one (methods sections 4–5).
//!
//! The three parts are kept apart: [`Inputs::sample`](super::scenario::Inputs::sample)
//! draws a scenario, [`evaluate_scenario`] is a pure function from a
//! scenario to per-path outcomes, and [`summarise`](super::credit::summarise)
//! folds outcomes into statistics. Paths run in parallel in fixed-size
//! chunks; outcomes are kept in path order and folded sequentially, so the
//! result is bit-identical for any number of threads.

use rayon::prelude::*;

use super::appraisal::case_schedule;
use super::cashflow::{CaseFlows, CaseModel};
use super::credit::{
    annual_dscrs, evaluate_path_promised, evaluate_without, summarise, CreditSummary, Extras,
    HouseholdPath, LoanPlan, PathOutcome, Tails, WithoutOutcome,
};
use super::scenario::{Scenario, Slot};
use crate::domain::case::Case;
use crate::domain::lender::Lender;
use crate::domain::product::Product;
use crate::domain::schedule::Schedule;
use crate::Result;

/// Most paths one run accepts: outcomes are kept per path (≈ 100 bytes per
/// path and product) so that quantiles are exact.
pub const MAX_PATHS: usize = 1_000_000;

/// Paths evaluated between progress reports and folded as one chunk.
const CHUNK: usize = 1024;

/// A simulation request.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Number of paths.
    pub paths: usize,
    /// Seed of the random streams.
    pub seed: u64,
    /// Inputs pinned at a cumulative probability (sensitivity analysis).
    pub pins: Vec<(Slot, f64)>,
    /// Another with-path channel mix for one activity (channel analysis):
    /// the activity's index and its shares in channel order.
    pub mix: Option<(usize, Vec<f64>)>,
}

/// One product's simulated results.
#[derive(Debug, Clone)]
pub struct ProductRun {
    /// Product id.
    pub id: String,
    /// Credit and welfare statistics.
    pub summary: CreditSummary,
}

/// The result of a simulation.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Paths run.
    pub paths: usize,
    /// Seed used.
    pub seed: u64,
    /// One entry per product, in the order given.
    pub products: Vec<ProductRun>,
}

/// Everything a path evaluation needs that does not change between paths.
pub struct Prepared {
    /// The compiled case.
    pub model: CaseModel,
    /// One loan plan per product; private so that `promised` always
    /// matches it.
    loans: Vec<LoanPlan>,
    /// Each loan's promised PV, the same on every path.
    promised: Vec<f64>,
    other_income: f64,
    subsistence: f64,
    buffer: f64,
    discount_monthly: f64,
    gamma: f64,
    lenders: Vec<Lender>,
}

impl Prepared {
    /// Compiles the case and schedules every product's loan on it.
    pub fn new(case: &Case, products: &[Product]) -> Result<Prepared> {
        let loans = products
            .iter()
            .map(|p| Ok(LoanPlan::from_schedule(p, &case_schedule(case, p)?)))
            .collect::<Result<Vec<_>>>()?;
        Self::with_loans(
            case,
            loans,
            products.iter().map(|p| p.lender.clone()).collect(),
        )
    }

    /// The household with the investment and no loan (it pays from its own
    /// cash): one entry with id `none`.
    pub fn without_loan(case: &Case) -> Result<Prepared> {
        Self::with_loans(case, vec![LoanPlan::none()], vec![Lender::default()])
    }

    /// As [`Prepared::new`], from a case already compiled and each
    /// product's schedule already made on it, in product order.
    pub fn from_parts(
        case: &Case,
        model: CaseModel,
        products: &[Product],
        schedules: &[Schedule],
    ) -> Prepared {
        let loans = products
            .iter()
            .zip(schedules)
            .map(|(p, s)| LoanPlan::from_schedule(p, s))
            .collect();
        let lenders = products.iter().map(|p| p.lender.clone()).collect();
        Self::assemble(case, model, loans, lenders)
    }

    fn with_loans(case: &Case, loans: Vec<LoanPlan>, lenders: Vec<Lender>) -> Result<Prepared> {
        Ok(Self::assemble(
            case,
            CaseModel::compile(case)?,
            loans,
            lenders,
        ))
    }

    fn assemble(
        case: &Case,
        model: CaseModel,
        loans: Vec<LoanPlan>,
        lenders: Vec<Lender>,
    ) -> Prepared {
        Prepared {
            model,
            promised: loans.iter().map(LoanPlan::promised_pv).collect(),
            loans,
            other_income: case.household.other_income_per_month,
            subsistence: case.household.subsistence_per_month,
            buffer: case.household.cash_buffer,
            discount_monthly: super::appraisal::monthly_rate(case.discount_rate),
            gamma: case.household.risk_aversion,
            lenders,
        }
    }
}

/// Per-thread buffers, reused across paths.
struct Work {
    scenario: Scenario,
    flows: CaseFlows,
    household: HouseholdBuffers,
}

/// Buffers behind a [`HouseholdPath`], reused across paths: the
/// enterprise's net cash with and without the investment, and the path's
/// [`Tails`].
#[derive(Debug, Clone, Default)]
pub struct HouseholdBuffers {
    with: Vec<f64>,
    without: Vec<f64>,
    tails: Tails,
}

/// Evaluates one scenario: the household without the investment, and with
/// it under each loan.
pub fn evaluate_scenario(
    prep: &Prepared,
    flows: &CaseFlows,
    buffers: &mut HouseholdBuffers,
) -> (WithoutOutcome, Vec<PathOutcome>) {
    let h = prep.household(flows, buffers);
    let outcomes = prep.evaluate_loans(&h, Extras::ALL);
    (evaluate_without(&h), outcomes)
}

impl Prepared {
    /// The household's view of `flows`, built in `buffers`, its tails
    /// summed once for every loan evaluated on it.
    pub fn household<'a>(
        &self,
        flows: &'a CaseFlows,
        buffers: &'a mut HouseholdBuffers,
    ) -> HouseholdPath<'a> {
        let HouseholdBuffers {
            with,
            without,
            tails,
        } = buffers;
        with.clear();
        without.clear();
        with.extend((0..flows.len()).map(|t| flows.net_with(t)));
        without.extend((0..flows.len()).map(|t| flows.net_without(t)));
        let mut h = HouseholdPath {
            enterprise_with: with,
            enterprise_without: without,
            capital: &flows.capital,
            asset_value: &flows.asset_value,
            deducting_revenue: &flows.revenue_deducting,
            other_income: self.other_income,
            subsistence: self.subsistence,
            buffer: self.buffer,
            savings_rate: 0.0,
            discount_monthly: self.discount_monthly,
            tails: None,
        };
        tails.fill(&h);
        h.tails = Some(&*tails);
        h
    }

    /// One loan plan per product, in the order given.
    pub fn loans(&self) -> &[LoanPlan] {
        &self.loans
    }

    /// Each loan on one household path, with the [`Extras`] asked for.
    pub fn evaluate_loans(&self, h: &HouseholdPath, extras: Extras) -> Vec<PathOutcome> {
        self.loans
            .iter()
            .zip(&self.promised)
            .zip(&self.lenders)
            .map(|((loan, &promised), lender)| {
                evaluate_path_promised(h, loan, promised, lender, extras)
            })
            .collect()
    }

    /// The household's monthly subsistence.
    pub fn subsistence(&self) -> f64 {
        self.subsistence
    }

    /// The household's CRRA risk aversion.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }
}

/// Runs the simulation; `progress` is called with the number of paths done.
pub fn simulate(prep: &Prepared, cfg: &Config, progress: &(dyn Fn(usize) + Sync)) -> Simulation {
    let n_products = prep.loans().len();
    let mut without: Vec<WithoutOutcome> = Vec::with_capacity(cfg.paths);
    let mut outcomes: Vec<Vec<PathOutcome>> = (0..n_products)
        .map(|_| Vec::with_capacity(cfg.paths))
        .collect();
    for_each_path(
        prep,
        cfg,
        progress,
        |flows, buffers| evaluate_scenario(prep, flows, buffers),
        |(wo, per_product)| {
            without.push(wo);
            for (k, o) in per_product.into_iter().enumerate() {
                outcomes[k].push(o);
            }
        },
    );
    summarise_products(prep, cfg, &outcomes, &without)
}

/// Per-path detail a report draws: the distribution of household NPV with
/// and without the investment, and the annual DSCR by loan year.
#[derive(Debug, Clone, Default)]
pub struct PathDetail {
    /// NPV of the household's income without the investment (enterprise
    /// without + other income), one entry per path.
    pub npv_without: Vec<f64>,
    /// One entry per product, in the order given.
    pub products: Vec<ProductDetail>,
}

/// One product's per-path detail.
#[derive(Debug, Clone, Default)]
pub struct ProductDetail {
    /// NPV of the household's income with the investment and this loan,
    /// one entry per path: the without NPV plus the incremental NPV after
    /// financing (F9), so the two are on the same footing.
    pub npv_with: Vec<f64>,
    /// Annual DSCR by loan year: `dscr_by_year[y]` holds, for loan year
    /// y + 1, one value per path (years with nothing due are left empty).
    pub dscr_by_year: Vec<Vec<f64>>,
}

/// [`simulate`], also keeping the per-path detail that charts need. The
/// summary is the same as `simulate`'s for the same configuration: the
/// paths and their order are the same, only more is kept.
pub fn simulate_detailed(
    prep: &Prepared,
    cfg: &Config,
    progress: &(dyn Fn(usize) + Sync),
) -> (Simulation, PathDetail) {
    let n_products = prep.loans().len();
    let mut without: Vec<WithoutOutcome> = Vec::with_capacity(cfg.paths);
    let mut outcomes: Vec<Vec<PathOutcome>> = (0..n_products)
        .map(|_| Vec::with_capacity(cfg.paths))
        .collect();
    let mut detail = PathDetail {
        npv_without: Vec::with_capacity(cfg.paths),
        products: prep
            .loans
            .iter()
            .map(|loan| ProductDetail {
                npv_with: Vec::with_capacity(cfg.paths),
                dscr_by_year: vec![Vec::new(); loan.maturity().div_ceil(12)],
            })
            .collect(),
    };
    for_each_path(
        prep,
        cfg,
        progress,
        |flows, buffers| {
            let h = prep.household(flows, buffers);
            let outcomes = prep.evaluate_loans(&h, Extras::ALL);
            let dscrs: Vec<Vec<(usize, f64)>> = prep
                .loans
                .iter()
                .map(|loan| annual_dscrs(&h, loan).collect())
                .collect();
            (evaluate_without(&h), outcomes, dscrs)
        },
        |(wo, per_product, dscrs)| {
            detail.npv_without.push(wo.npv);
            for (k, (o, d)) in per_product.into_iter().zip(dscrs).enumerate() {
                let p = &mut detail.products[k];
                p.npv_with.push(wo.npv + o.household_npv);
                for (year, dscr) in d {
                    p.dscr_by_year[year - 1].push(dscr);
                }
                outcomes[k].push(o);
            }
            without.push(wo);
        },
    );
    (summarise_products(prep, cfg, &outcomes, &without), detail)
}

/// Runs `eval` on every path's flows in parallel chunks and hands the
/// results to `fold` one by one in path order, so what `fold` builds does
/// not depend on the thread count.
fn for_each_path<T: Send>(
    prep: &Prepared,
    cfg: &Config,
    progress: &(dyn Fn(usize) + Sync),
    eval: impl Fn(&CaseFlows, &mut HouseholdBuffers) -> T + Sync,
    mut fold: impl FnMut(T),
) {
    let mut done = 0;
    while done < cfg.paths {
        let end = (done + CHUNK).min(cfg.paths);
        let chunk: Vec<T> = (done..end)
            .into_par_iter()
            .map_init(
                || Work {
                    scenario: prep.model.inputs.empty(),
                    flows: CaseFlows::default(),
                    household: HouseholdBuffers::default(),
                },
                |w, path| {
                    prep.model
                        .inputs
                        .sample(cfg.seed, path as u64, &cfg.pins, &mut w.scenario);
                    let mix = cfg.mix.as_ref().map(|(a, m)| (*a, m.as_slice()));
                    prep.model.fill_with_mix(&w.scenario, mix, &mut w.flows);
                    eval(&w.flows, &mut w.household)
                },
            )
            .collect();
        chunk.into_iter().for_each(&mut fold);
        done = end;
        progress(done);
    }
}

fn summarise_products(
    prep: &Prepared,
    cfg: &Config,
    outcomes: &[Vec<PathOutcome>],
    without: &[WithoutOutcome],
) -> Simulation {
    let products = prep
        .loans
        .iter()
        .zip(&prep.lenders)
        .zip(outcomes)
        .map(|((loan, lender), outs)| ProductRun {
            id: loan.id.clone(),
            summary: summarise(
                outs,
                without,
                loan,
                lender,
                prep.gamma,
                prep.subsistence,
                loan.maturity() as f64 / 12.0,
            ),
        })
        .collect();
    Simulation {
        paths: cfg.paths,
        seed: cfg.seed,
        products,
    }
}
