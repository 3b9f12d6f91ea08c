//! Channel mixes (methods section 6; the brief's guideline 7): the same
//! case and the same scenarios, with the upgraded activity's output split
//! differently across its market channels, under each loan product.
//!
//! Every mix is evaluated on the same scenarios (common random numbers):
//! each path is drawn once and every mix and product is run on it, so the
//! differences between rows are the mix's, not noise. The statistics are
//! those of `simulate` (a one-channel mix reproduces it to rounding). A mix is *efficient*
//! when no other mix under the same product has a higher certainty
//! equivalent and a lower PD; it is on the *mean–variance frontier* when no
//! other has a higher mean income and a lower standard deviation.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use rayon::prelude::*;

use super::cashflow::CaseFlows;
use super::credit::{annual_pd, ce_floor, quantile, Extras};
use super::simulate::{HouseholdBuffers, Prepared};
use crate::math::stats::{crra_certainty_equivalent, Welford};
use crate::{Error, Result};

/// Most mixes one run evaluates.
pub const MAX_MIXES: usize = 20_000;

/// Every mix of `channels` shares that are multiples of `step` and sum to
/// one. `step` is exact decimal text so that `0.1` gives exactly 11 values
/// per channel; it must divide 1.
pub fn grid(channels: usize, step: &str) -> Result<Vec<Vec<f64>>> {
    let bad = |found: String| {
        Error::usage(format!(
            "--step: expected a share that divides 1, such as 0.1, 0.05 or 0.25, found {found}"
        ))
    };
    let d: Decimal =
        crate::math::money::parse_decimal("--step", step).map_err(|_| bad(format!("`{step}`")))?;
    if d <= Decimal::ZERO || d > Decimal::ONE {
        return Err(bad(step.to_string()));
    }
    let k = Decimal::ONE / d;
    if k.fract() != Decimal::ZERO {
        // Shown to enough places that a near miss (1/0.33333 = 3.00003)
        // does not read as a whole number.
        return Err(bad(format!(
            "{step} (1/{step} = {} is not a whole number)",
            k.round_dp(10).normalize()
        )));
    }
    let k = k.to_usize().ok_or_else(|| bad(step.to_string()))?;
    let count = binomial(k + channels - 1, channels - 1);
    if channels == 0 || count > MAX_MIXES as u128 {
        return Err(Error::usage(format!(
            "--step: {step} over {channels} channels gives {count} mixes; at most {MAX_MIXES} (use a larger step or --mixes FILE)"
        )));
    }
    let mut out = Vec::with_capacity(count as usize);
    let mut parts = vec![0usize; channels];
    compositions(k, 0, &mut parts, &mut |p| {
        out.push(p.iter().map(|&x| x as f64 / k as f64).collect())
    });
    Ok(out)
}

fn binomial(n: usize, r: usize) -> u128 {
    (0..r).fold(1u128, |acc, i| acc * (n - i) as u128 / (i + 1) as u128)
}

/// Calls `f` with every way of writing `left` as an ordered sum over the
/// remaining parts, the first channel taking the most first.
fn compositions(left: usize, i: usize, parts: &mut [usize], f: &mut dyn FnMut(&[usize])) {
    if i + 1 == parts.len() {
        parts[i] = left;
        f(parts);
        return;
    }
    for x in (0..=left).rev() {
        parts[i] = x;
        compositions(left - x, i + 1, parts, f);
    }
}

/// One (mix, product) result.
#[derive(Debug, Clone, PartialEq)]
pub struct MixRow {
    /// Shares in the activity's channel order.
    pub mix: Vec<f64>,
    /// Product id (`none` without a loan).
    pub product: String,
    /// Mean across paths of the household's net income per year (12 × W,
    /// the annuity of its discounted cash, F31).
    pub income_mean: f64,
    /// Standard deviation of that income across paths.
    pub income_sd: f64,
    /// CRRA certainty equivalent of that income (per year).
    pub ce: f64,
    /// Roy's safety-first probability P(W < subsistence) (F33).
    pub p_below_subsistence: f64,
    /// Annual PD of the loan (`None` without a loan).
    pub pd_annual: Option<f64>,
    /// Expected loss of the loan.
    pub expected_loss: Option<f64>,
    /// 10th percentile of the lowest annual DSCR.
    pub dscr_p10: Option<f64>,
    /// No other mix under this product has higher CE and lower PD.
    pub efficient: bool,
    /// No other mix under this product has higher mean income and lower sd.
    pub frontier: bool,
    /// The mix with the highest CE whose PD is within the ceiling.
    pub best: bool,
}

/// What a mix's statistics need from one path under one loan.
#[derive(Debug, Clone, Copy)]
struct Record {
    defaulted: bool,
    /// Promised less received present value (the path's loss).
    loss: f64,
    /// Consumption capacity W per month.
    w: f64,
    min_dscr: f64,
}

/// Paths evaluated between progress reports.
const CHUNK: usize = 256;

/// Most bytes of per-path records one run may hold.
const MAX_RECORD_BYTES: usize = 2 << 30;

/// Evaluates `mixes` of activity `activity` under every loan of `prep`.
/// Each path's scenario is drawn once and the flows of everything but the
/// mixed path are built once; each mix then adds its own path and runs the
/// household's cash account. `progress` receives the number of paths done.
pub fn evaluate(
    prep: &Prepared,
    activity: usize,
    mixes: &[Vec<f64>],
    paths: usize,
    seed: u64,
    pd_max: f64,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<MixRow>> {
    let n_loans = prep.loans().len();
    let cells = mixes.len() * n_loans;
    let bytes = cells * paths * std::mem::size_of::<Record>();
    if bytes > MAX_RECORD_BYTES {
        return Err(Error::usage(format!(
            "{} mixes × {n_loans} product(s) × {paths} paths needs {} MB; at most {} MB: use fewer --paths, a larger --step or fewer products",
            mixes.len(),
            bytes >> 20,
            MAX_RECORD_BYTES >> 20
        )));
    }
    let mut records: Vec<Vec<Record>> = (0..cells).map(|_| Vec::with_capacity(paths)).collect();
    let mut done = 0;
    while done < paths {
        let end = (done + CHUNK).min(paths);
        let chunk: Vec<Vec<Record>> = (done..end)
            .into_par_iter()
            .map_init(
                || {
                    (
                        prep.model.inputs.empty(),
                        CaseFlows::default(),
                        CaseFlows::default(),
                        HouseholdBuffers::default(),
                    )
                },
                |(scenario, base, flows, buffers), path| {
                    prep.model.inputs.sample(seed, path as u64, &[], scenario);
                    prep.model.fill_except(scenario, Some(activity), base);
                    let mut out = Vec::with_capacity(cells);
                    for mix in mixes {
                        flows.copy_from(base);
                        prep.model.add_with_path(scenario, activity, mix, flows);
                        let h = prep.household(flows, buffers);
                        out.extend(
                            prep.evaluate_loans(&h, Extras::NO_LENDER_IRR)
                                .into_iter()
                                .map(|o| Record {
                                    defaulted: o.defaulted,
                                    loss: o.promised_pv - o.received_pv,
                                    w: o.consumption_capacity,
                                    min_dscr: o.min_annual_dscr,
                                }),
                        );
                    }
                    out
                },
            )
            .collect();
        for per_path in chunk {
            for (cell, r) in per_path.into_iter().enumerate() {
                records[cell].push(r);
            }
        }
        done = end;
        progress(done);
    }

    let no_loan = n_loans == 1 && prep.loans()[0].principal == 0.0;
    let subsistence = prep.subsistence();
    let mut rows = Vec::with_capacity(cells);
    for (i, mix) in mixes.iter().enumerate() {
        for (j, loan) in prep.loans().iter().enumerate() {
            let rec = &records[i * n_loans + j];
            let n = rec.len().max(1) as f64;
            let w: Vec<f64> = rec.iter().map(|r| r.w).collect();
            let mut stats = Welford::new();
            for x in &w {
                stats.push(*x);
            }
            let pd = rec.iter().filter(|r| r.defaulted).count() as f64 / n;
            let on_loan = |x: f64| (!no_loan).then_some(x);
            rows.push(MixRow {
                mix: mix.clone(),
                product: loan.id.clone(),
                income_mean: 12.0 * stats.mean(),
                income_sd: 12.0 * if stats.count() > 1 { stats.sd() } else { 0.0 },
                ce: 12.0 * crra_certainty_equivalent(&w, prep.gamma(), ce_floor(subsistence)),
                p_below_subsistence: rec.iter().filter(|r| r.w < subsistence).count() as f64 / n,
                pd_annual: on_loan(annual_pd(pd, loan.maturity() as f64 / 12.0)),
                expected_loss: on_loan(rec.iter().map(|r| r.loss).sum::<f64>() / n),
                dscr_p10: quantile(rec.iter().map(|r| r.min_dscr).collect(), 0.10)
                    .filter(|d| d.is_finite() && !no_loan),
                efficient: false,
                frontier: false,
                best: false,
            });
        }
    }
    mark(&mut rows, pd_max);
    Ok(rows)
}

/// Marks efficient, frontier and best rows within each product.
fn mark(rows: &mut [MixRow], pd_max: f64) {
    let products: std::collections::BTreeSet<String> =
        rows.iter().map(|r| r.product.clone()).collect();
    for product in products {
        let idx: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].product == product)
            .collect();
        let pd = |r: &MixRow| r.pd_annual.unwrap_or(0.0);
        for &i in &idx {
            let r = &rows[i];
            let dominated = idx.iter().any(|&j| {
                let o = &rows[j];
                j != i && o.ce >= r.ce && pd(o) <= pd(r) && (o.ce > r.ce || pd(o) < pd(r))
            });
            let off_frontier = idx.iter().any(|&j| {
                let o = &rows[j];
                j != i
                    && o.income_mean >= r.income_mean
                    && o.income_sd <= r.income_sd
                    && (o.income_mean > r.income_mean || o.income_sd < r.income_sd)
            });
            rows[i].efficient = !dominated;
            rows[i].frontier = !off_frontier;
        }
        let best = idx
            .iter()
            .copied()
            .filter(|&i| pd(&rows[i]) <= pd_max)
            .max_by(|&a, &b| rows[a].ce.total_cmp(&rows[b].ce).then(b.cmp(&a)));
        if let Some(b) = best {
            rows[b].best = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_are_exact_and_complete() {
        let g = grid(3, "0.05").unwrap();
        // C(20 + 2, 2) = 231 mixes of three channels on a 0.05 grid.
        assert_eq!(g.len(), 231);
        for m in &g {
            assert!((m.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(m.iter().all(|&x| (0.0..=1.0).contains(&x)));
        }
        assert_eq!(grid(2, "0.1").unwrap().len(), 11);
        assert_eq!(grid(1, "0.25").unwrap(), vec![vec![1.0]]);
        for bad in ["0.3", "0", "-0.1", "1.5", "abc", "0.07"] {
            let e = grid(3, bad).unwrap_err().to_string();
            assert!(e.contains("--step"), "{bad}: {e}");
        }
        assert!(grid(6, "0.01").is_err(), "too many mixes");
    }

    fn row(ce: f64, pd: f64, mean: f64, sd: f64) -> MixRow {
        MixRow {
            mix: vec![],
            product: "p".into(),
            income_mean: mean,
            income_sd: sd,
            ce,
            p_below_subsistence: 0.0,
            pd_annual: Some(pd),
            expected_loss: None,
            dscr_p10: None,
            efficient: false,
            frontier: false,
            best: false,
        }
    }

    #[test]
    fn marks_the_non_dominated_mixes() {
        let mut rows = vec![
            row(10.0, 0.05, 100.0, 20.0),
            row(9.0, 0.01, 95.0, 10.0),
            row(8.0, 0.02, 90.0, 15.0),
            row(11.0, 0.2, 110.0, 40.0),
        ];
        mark(&mut rows, 0.03);
        assert_eq!(
            rows.iter().map(|r| r.efficient).collect::<Vec<_>>(),
            [true, true, false, true]
        );
        assert_eq!(
            rows.iter().map(|r| r.frontier).collect::<Vec<_>>(),
            [true, true, false, true]
        );
        // Highest CE with PD ≤ 3%: the second.
        assert_eq!(
            rows.iter().map(|r| r.best).collect::<Vec<_>>(),
            [false, true, false, false]
        );
    }
}
