//! Channel mixes (methods section 6; the brief's guideline 7): the same
//! case and the same scenarios, with the upgraded activity's output split
//! differently across its market channels, under each loan product.
//!
//! Every mix runs the full Monte Carlo with the with-path mix of one
//! activity replaced; because paths are keyed by (seed, path), every mix
//! and product sees the same scenarios (common random numbers), so the
//! differences between rows are the mix's, not noise. A mix is *efficient*
//! when no other mix under the same product has a higher certainty
//! equivalent and a lower PD; it is on the *mean–variance frontier* when no
//! other has a higher mean income and a lower standard deviation.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::simulate::{simulate, Config, Prepared};
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
        return Err(bad(format!(
            "{step} (1/{step} = {} is not a whole number)",
            k.round_dp(4)
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

/// Evaluates `mixes` of activity `activity` under every loan of `prep`.
/// `progress` receives the number of mixes done.
pub fn evaluate(
    prep: &Prepared,
    activity: usize,
    mixes: &[Vec<f64>],
    paths: usize,
    seed: u64,
    pd_max: f64,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<MixRow> {
    let no_loan = prep.loans.len() == 1 && prep.loans[0].principal == 0.0;
    let mut rows = Vec::with_capacity(mixes.len() * prep.loans.len());
    for (i, mix) in mixes.iter().enumerate() {
        let cfg = Config {
            paths,
            seed,
            mix: Some((activity, mix.clone())),
            ..Config::default()
        };
        for run in simulate(prep, &cfg, &|_| {}).products {
            let s = run.summary;
            let loan = |x: f64| (!no_loan).then_some(x);
            rows.push(MixRow {
                mix: mix.clone(),
                product: run.id,
                income_mean: 12.0 * s.w_mean,
                income_sd: 12.0 * s.w_sd,
                ce: 12.0 * s.ce,
                p_below_subsistence: s.p_below_subsistence,
                pd_annual: loan(s.pd_annual),
                expected_loss: loan(s.expected_loss),
                dscr_p10: loan(s.dscr_p10).filter(|d| d.is_finite()),
                efficient: false,
                frontier: false,
                best: false,
            });
        }
        progress(i + 1);
    }
    mark(&mut rows, pd_max);
    rows
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
