//! Sensitivity: which inputs move the results, and how far an input must
//! move before the investment stops paying or the loan stops being covered.
//!
//! The tornado (F52) pins one random input at its 10th and then its 90th
//! percentile while every other input is drawn as usual, on the same
//! scenarios (the same seed), and reports the effect on the household's
//! NPV, the annual PD and the lender's return. Switching values (F53) are
//! deterministic: the input is scaled on the base scenario until the
//! project NPV reaches zero, or the lowest annual DSCR reaches one.

use super::appraisal::{financing_view, project_view, LoanFlows};
use super::cashflow::CaseFlows;
use super::simulate::{simulate, Config, Prepared};
use crate::math::roots::brent;

/// One bar of the tornado.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoRow {
    /// The input's key path.
    pub input: String,
    /// Its 10th percentile.
    pub low: f64,
    /// Its 90th percentile.
    pub high: f64,
    /// Mean household NPV with the input at P10.
    pub npv_low: f64,
    /// Mean household NPV with the input at P90.
    pub npv_high: f64,
    /// Annual PD with the input at P10.
    pub pd_low: f64,
    /// Annual PD with the input at P90.
    pub pd_high: f64,
    /// Mean lender IRR with the input at P10.
    pub lender_irr_low: Option<f64>,
    /// Mean lender IRR with the input at P90.
    pub lender_irr_high: Option<f64>,
}

impl TornadoRow {
    /// The swing in household NPV, by which bars are sorted.
    pub fn swing(&self) -> f64 {
        (self.npv_high - self.npv_low).abs()
    }
}

/// The change in one input at which a result crosses its threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct SwitchingRow {
    /// The input's key path.
    pub input: String,
    /// Its base value (mean).
    pub base: f64,
    /// Percentage change from base at which the project NPV is zero.
    pub npv_zero_pct: Option<f64>,
    /// Percentage change from base at which the lowest annual DSCR is 1.
    pub dscr_one_pct: Option<f64>,
}

/// The tornado for product `k` of `prep`, sorted by household-NPV swing.
pub fn tornado(prep: &Prepared, k: usize, paths: usize, seed: u64) -> Vec<TornadoRow> {
    let inputs = &prep.model.inputs;
    let mut rows: Vec<TornadoRow> = (0..inputs.len())
        .filter(|&s| inputs.param(s).is_random())
        .map(|slot| {
            let run = |u: f64| {
                let cfg = Config {
                    paths,
                    seed,
                    pins: vec![(slot, u)],
                    ..Config::default()
                };
                simulate(prep, &cfg, &|_| {})
                    .products
                    .swap_remove(k)
                    .summary
            };
            let (lo, hi) = (run(0.1), run(0.9));
            let dist = &inputs.param(slot).dist;
            TornadoRow {
                input: inputs.label(slot).to_string(),
                low: dist.quantile(0.1),
                high: dist.quantile(0.9),
                npv_low: lo.household_npv_mean,
                npv_high: hi.household_npv_mean,
                pd_low: lo.pd_annual,
                pd_high: hi.pd_annual,
                lender_irr_low: lo.lender_irr_mean,
                lender_irr_high: hi.lender_irr_mean,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.swing()
            .total_cmp(&a.swing())
            .then_with(|| a.input.cmp(&b.input))
    });
    rows
}

/// Switching values of every input with a non-zero base, for `loan` on the
/// case's base scenario at an annual `discount_rate`.
pub fn switching_values(
    prep: &Prepared,
    loan: &LoanFlows,
    discount_rate: f64,
    buffer: f64,
) -> Vec<SwitchingRow> {
    let inputs = &prep.model.inputs;
    let base = inputs.base();
    (0..inputs.len())
        .filter(|&s| inputs.param(s).base() != 0.0)
        .map(|slot| {
            let flows_at = |k: f64| {
                let mut s = base.clone();
                s.scale(slot, k);
                let mut f = CaseFlows::default();
                prep.model.fill(&s, &mut f);
                f
            };
            let npv = |k: f64| project_view(&flows_at(k), discount_rate).npv;
            let dscr = |k: f64| {
                financing_view(&flows_at(k), loan, discount_rate, buffer)
                    .min_annual_dscr
                    .map_or(f64::NAN, |d| d - 1.0)
            };
            SwitchingRow {
                input: inputs.label(slot).to_string(),
                base: inputs.param(slot).base(),
                npv_zero_pct: switch_point(npv),
                dscr_one_pct: switch_point(dscr),
            }
        })
        .collect()
}

/// The scale factor nearest 1 at which `f` changes sign, searched on
/// [0, 10], as a percentage change from the base (k = 1).
fn switch_point(f: impl Fn(f64) -> f64) -> Option<f64> {
    let f1 = f(1.0);
    if !f1.is_finite() {
        return None;
    }
    // Step outward from the base on both sides; the first sign change wins.
    let downs = (1..=20).map(|i| 1.0 - 0.05 * i as f64);
    let ups = (1..=36).map(|i| 1.0 + 0.25 * i as f64);
    let mut best: Option<f64> = None;
    for side in [downs.collect::<Vec<_>>(), ups.collect::<Vec<_>>()] {
        let (mut a, mut fa) = (1.0, f1);
        for b in side {
            let fb = f(b);
            if !fb.is_finite() {
                break;
            }
            if fa.signum() != fb.signum() || fb == 0.0 {
                if let Some(k) = brent(&f, a, b, fa, fb, 1e-9) {
                    if best.is_none_or(|x| (k - 1.0).abs() < (x - 1.0).abs()) {
                        best = Some(k);
                    }
                }
                break;
            }
            (a, fa) = (b, fb);
        }
    }
    best.map(|k| (k - 1.0) * 100.0)
}
