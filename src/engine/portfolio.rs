//! A loan book: every loan's deterministic appraisal and Monte Carlo credit
//! metrics, on scenarios that share regional weather and value-chain price
//! shocks (methods F29), and the book's loss distribution (F27–F30).
//!
//! Loans are independent given the shared shocks, so they are evaluated in
//! parallel, one loan at a time over all its paths, and folded into the
//! book's per-path losses in file order: results do not depend on the
//! thread count. Each loan draws its own idiosyncratic stream, keyed by the
//! seed and its row index; the shocks of a region or value chain on path
//! `s` are keyed by the seed, the region or chain name and `s`, so every
//! loan in a region sees the same dry years on the same path.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::appraisal::{appraise_detailed, case_schedule, Detail, LoanFlows};
use super::cashflow::{CaseFlows, CaseModel};
use super::credit::{evaluate_without, summarise, Extras, PathOutcome, WithoutOutcome};
use super::scenario::Common;
use super::simulate::{HouseholdBuffers, Prepared};
use crate::domain::case::Case;
use crate::domain::product::Product;
use crate::math::money::to_f64;
use crate::math::stats::{implied_default_correlation, quantiles};
use crate::Result;

/// How a book is simulated.
#[derive(Debug, Clone, Copy)]
pub struct BookConfig {
    /// Paths per loan.
    pub paths: usize,
    /// Seed.
    pub seed: u64,
    /// Loading ρ_r of yields and droughts on the region's weather factor.
    pub rho_region: f64,
    /// Loading ρ_c of prices on the value chain's price factor.
    pub rho_chain: f64,
    /// Annual PD ceiling for a loan to count as viable (F55).
    pub pd_max: f64,
}

/// One loan under one product.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanResult {
    /// Product id.
    pub product: String,
    /// Amount lent.
    pub exposure: f64,
    /// Project NPV (incremental, deterministic).
    pub project_npv: f64,
    /// Project IRR when unique.
    pub project_irr: Option<f64>,
    /// Deterministic verdict on the financing view.
    pub verdict: String,
    /// Lowest annual DSCR on the base scenario.
    pub min_annual_dscr: Option<f64>,
    /// The Monte Carlo metrics; `None` when the book is run with no paths
    /// (deterministic metrics only).
    pub credit: Option<LoanCredit>,
}

/// A loan's Monte Carlo credit and welfare metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanCredit {
    /// Annual PD from the simulation.
    pub pd_annual: f64,
    /// Expected loss (PV of promised less received).
    pub expected_loss: f64,
    /// CRRA certainty-equivalent gain for the household (per month).
    pub ce_gain: f64,
    /// PD within the ceiling and the household better off (CE gain > 0).
    pub viable: bool,
    /// Loss on each path: EAD × LGD on paths where the loan defaults.
    pub losses: Vec<f64>,
}

/// The seed of the loan in row `index` of a book run with `seed`: loans draw
/// independent idiosyncratic streams. `simulate` with this seed on the
/// loan's case reproduces the loan's results when no shock is shared.
pub fn loan_seed(seed: u64, index: u64) -> u64 {
    mix(seed ^ mix(index))
}

/// A 64-bit mix (SplitMix64) to derive independent seeds.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A stable 64-bit key for a name (FNV-1a), so seeds do not depend on
/// Rust's randomised hasher.
fn key(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The shared shock of `name` (a region or a value chain) on `path`, for
/// the first `out.len()` years: a loan with a shorter horizon sees the same
/// years as a longer one, and draws no more than it reads.
pub(crate) fn shock(seed: u64, kind: u64, name: &str, path: usize, out: &mut [f64]) {
    let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ mix(kind ^ key(name))));
    rng.set_stream(path as u64);
    for x in out.iter_mut() {
        *x = StandardNormal.sample(&mut rng);
    }
}

/// Appraises and simulates one loan (row `index` of the book) under each
/// product.
pub fn evaluate_loan(
    case: &Case,
    products: &[Product],
    index: u64,
    region: &str,
    chain: &str,
    cfg: &BookConfig,
) -> Result<Vec<LoanResult>> {
    // The case is compiled and each schedule made once, for both the
    // appraisal and the simulation.
    let schedules = products
        .iter()
        .map(|p| case_schedule(case, p))
        .collect::<Result<Vec<_>>>()?;
    let model = CaseModel::compile(case)?;
    let loan_flows: Vec<LoanFlows> = products
        .iter()
        .zip(&schedules)
        .map(|(p, s)| LoanFlows::from_schedule(&p.id, s))
        .collect();
    let appraisal = appraise_detailed(case, &model.base_flows(), &loan_flows, Detail::Summary);
    let deterministic = |credit: Option<LoanCredit>, k: usize| {
        let (p, view) = (&products[k], &appraisal.products[k]);
        LoanResult {
            product: p.id.clone(),
            exposure: to_f64(view.principal),
            project_npv: appraisal.project.npv,
            project_irr: appraisal.project.irr,
            verdict: view.verdict.to_string(),
            min_annual_dscr: view.min_annual_dscr,
            credit,
        }
    };
    if cfg.paths == 0 {
        return Ok((0..products.len())
            .map(|k| deterministic(None, k))
            .collect());
    }
    let prep = Prepared::from_parts(case, model, products, &schedules);
    let seed = loan_seed(cfg.seed, index);
    let shared = cfg.rho_region > 0.0 || cfg.rho_chain > 0.0;
    let mut scenario = prep.model.inputs.empty();
    let mut flows = CaseFlows::default();
    let mut buffers = HouseholdBuffers::default();
    let years = prep.model.inputs.years();
    let (mut weather, mut market) = (vec![0.0; years], vec![0.0; years]);
    let mut outcomes: Vec<Vec<PathOutcome>> = vec![Vec::with_capacity(cfg.paths); products.len()];
    let mut without_outcomes: Vec<WithoutOutcome> = Vec::with_capacity(cfg.paths);
    for path in 0..cfg.paths {
        if shared {
            shock(cfg.seed, 1, region, path, &mut weather);
            shock(cfg.seed, 2, chain, path, &mut market);
        }
        let common = Common::new(&weather, &market, cfg.rho_region, cfg.rho_chain);
        prep.model.inputs.sample_shared(
            seed,
            path as u64,
            &[],
            shared.then_some(&common),
            &mut scenario,
        );
        prep.model.fill(&scenario, &mut flows);
        let h = prep.household(&flows, &mut buffers);
        // The book reports neither the lender's IRR nor DSCRs by path
        // (`simulate` does, for its summary).
        let per_product = prep.evaluate_loans(&h, Extras::NONE);
        let wo = evaluate_without(&h);
        without_outcomes.push(wo);
        for (k, o) in per_product.into_iter().enumerate() {
            outcomes[k].push(o);
        }
    }
    let results = prep
        .loans()
        .iter()
        .zip(&outcomes)
        .enumerate()
        .map(|(k, (loan, outs))| {
            let s = summarise(
                outs,
                &without_outcomes,
                loan,
                &products[k].lender,
                case.household.risk_aversion,
                case.household.subsistence_per_month,
                loan.maturity() as f64 / 12.0,
            );
            let credit = LoanCredit {
                pd_annual: s.pd_annual,
                expected_loss: s.expected_loss,
                ce_gain: s.ce_gain,
                viable: s.pd_annual <= cfg.pd_max && s.ce_gain > 0.0,
                losses: outs.iter().map(PathOutcome::loss).collect(),
            };
            deterministic(Some(credit), k)
        })
        .collect();
    Ok(results)
}

/// The book's loss distribution for one product, folded loan by loan.
#[derive(Debug, Clone, PartialEq)]
pub struct BookLosses {
    /// Product id.
    pub product: String,
    /// Loans in the book under this product.
    pub loans: usize,
    /// Total exposure.
    pub exposure: f64,
    /// Loss on each path.
    pub loss: Vec<f64>,
    /// Defaults on each path.
    pub defaults: Vec<u32>,
}

impl BookLosses {
    /// An empty book of `paths` paths.
    pub fn new(product: &str, paths: usize) -> BookLosses {
        BookLosses {
            product: product.to_string(),
            loans: 0,
            exposure: 0.0,
            loss: vec![0.0; paths],
            defaults: vec![0; paths],
        }
    }

    /// Adds a loan whose amounts are converted to the book's currency by
    /// multiplying by `rate` (1 / units per US$ for a book in US$; 1 for a
    /// book in the loans' own currency).
    pub fn add(&mut self, r: &LoanResult, rate: f64) {
        self.loans += 1;
        self.exposure += r.exposure * rate;
        let Some(credit) = &r.credit else { return };
        for (s, l) in credit.losses.iter().enumerate() {
            self.loss[s] += l * rate;
            if *l > 0.0 {
                self.defaults[s] += 1;
            }
        }
    }

    /// Expected loss, VaR and expected shortfall at 99% and 99.9%, the mean
    /// default rate and the implied default correlation (F29, F30).
    pub fn summary(&self) -> BookSummary {
        let n = self.loss.len().max(1) as f64;
        let mut sorted = self.loss.clone();
        let q = quantiles(&mut sorted, &[0.99, 0.999]);
        let es = |var: f64| {
            let tail: Vec<f64> = sorted.iter().copied().filter(|l| *l >= var).collect();
            if tail.is_empty() {
                var
            } else {
                tail.iter().sum::<f64>() / tail.len() as f64
            }
        };
        let loans = self.loans.max(1) as f64;
        let rates: Vec<f64> = self
            .defaults
            .iter()
            .map(|d| f64::from(*d) / loans)
            .collect();
        let pd = rates.iter().sum::<f64>() / n;
        let var_dr = rates.iter().map(|r| (r - pd).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        BookSummary {
            product: self.product.clone(),
            loans: self.loans,
            exposure: self.exposure,
            expected_loss: self.loss.iter().sum::<f64>() / n,
            var_99: q.first().copied().unwrap_or(0.0),
            var_999: q.get(1).copied().unwrap_or(0.0),
            es_99: es(q.first().copied().unwrap_or(0.0)),
            es_999: es(q.get(1).copied().unwrap_or(0.0)),
            default_rate: pd,
            implied_default_correlation: if pd > 0.0 && pd < 1.0 && self.loans > 1 {
                // The finite book adds binomial variance PD(1−PD)/N; F30 is
                // about the systematic part.
                implied_default_correlation(pd, (var_dr - pd * (1.0 - pd) / loans).max(0.0))
            } else {
                None
            },
        }
    }
}

/// The book's risk for one product.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BookSummary {
    /// Product id.
    pub product: String,
    /// Loans.
    pub loans: usize,
    /// Total exposure.
    pub exposure: f64,
    /// Mean loss over paths.
    pub expected_loss: f64,
    /// 99% loss quantile.
    pub var_99: f64,
    /// 99.9% loss quantile.
    pub var_999: f64,
    /// Mean loss at or beyond the 99% quantile.
    pub es_99: f64,
    /// Mean loss at or beyond the 99.9% quantile.
    pub es_999: f64,
    /// Mean share of loans defaulting on a path (lifetime).
    pub default_rate: f64,
    /// Default correlation implied by the spread of default rates (F30).
    pub implied_default_correlation: Option<f64>,
}
