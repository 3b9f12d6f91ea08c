//! Probability distributions for model inputs, used through their quantile
//! functions so one uniform draw — independent or from a Gaussian copula —
//! gives one value (methods F47–F51).
//!
//! Every distribution here has a cheap `quantile`: closed forms where they
//! exist, and for PERT tables of the Beta quantile, built once per shape
//! and interpolated linearly: one by probability, and one by normal score
//! for PERTs drawn as normal scores, so that these need no Φ.

use std::sync::{Arc, OnceLock};

use crate::math::stats::norm_inv;

/// A univariate distribution of a model input.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Always the same value.
    Fixed(f64),
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Normal with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (≥ 0).
        sd: f64,
    },
    /// Lognormal that preserves the mean (F48): ln X ~ N(ln mean − σ²/2, σ²).
    LogNormal {
        /// Mean of X (> 0).
        mean: f64,
        /// Standard deviation of ln X.
        sigma: f64,
    },
    /// Triangular on `[min, max]` with the given mode.
    Triangular {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// PERT (F47): a Beta(α₁, α₂) scaled to `[min, max]`.
    Pert(Pert),
    /// Observed values, each equally likely; quantiles interpolate linearly
    /// between the order statistics (a continuous empirical distribution).
    Empirical(Vec<f64>),
    /// Values with probabilities; quantiles are steps.
    Discrete {
        /// The values, sorted ascending.
        values: Vec<f64>,
        /// Cumulative probabilities, the last one 1.
        cumulative: Vec<f64>,
    },
}

/// A PERT distribution with its quantile tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Pert {
    /// Lower bound.
    pub min: f64,
    /// Most likely value.
    pub mode: f64,
    /// Upper bound.
    pub max: f64,
    /// The Beta(α₁, α₂) quantiles on [0, 1]: the shape alone, so a PERT
    /// scaled to each row of a book shares its template's tables.
    tables: Arc<Tables>,
}

/// Cells of each PERT quantile table. Linear interpolation is exact to
/// ~1e-6 of the range inside the table by probability; only its two end
/// cells (1/2048 of the probability each) see the steeper u^(1/α) shape of
/// the Beta tails, which moves the mean by far less than one part in a
/// million of the range. The table by normal score, evenly spaced in z, is
/// within 1e-5 of the range everywhere.
const PERT_GRID: usize = 2048;

/// The normal scores the table by score spans, ±SCORE_SPAN: past ±7.03,
/// Φ is within 1e-12 of 0 or 1 and clamped there, as
/// [`Dist::from_normal_score`] clamps it.
const SCORE_SPAN: f64 = 7.5;

/// The Beta quantiles of one PERT shape.
#[derive(Debug)]
struct Tables {
    /// (α₁, α₂), or `None` for a PERT of zero width.
    shape: Option<(f64, f64)>,
    /// At probabilities u = k / PERT_GRID.
    by_probability: Box<[f64]>,
    /// Of Φ(z) at normal scores z = −SCORE_SPAN + 2·SCORE_SPAN·k /
    /// PERT_GRID, so a score needs no Φ: built when first used (in a book,
    /// or when the PERT is in a copula).
    by_score: OnceLock<Box<[f64]>>,
}

impl PartialEq for Tables {
    /// The tables by score follow from the shape, built or not.
    fn eq(&self, other: &Tables) -> bool {
        self.shape == other.shape && self.by_probability == other.by_probability
    }
}

impl Tables {
    fn new(shape: Option<(f64, f64)>) -> Tables {
        Tables {
            shape,
            by_probability: Self::grid(shape, |k| k as f64 / PERT_GRID as f64),
            by_score: OnceLock::new(),
        }
    }

    /// The Beta quantiles at the probabilities `u(k)`, k = 0..=PERT_GRID.
    fn grid(shape: Option<(f64, f64)>, u: impl Fn(usize) -> f64) -> Box<[f64]> {
        (0..=PERT_GRID)
            .map(|k| shape.map_or(0.0, |(a1, a2)| beta_inv(u(k), a1, a2)))
            .collect()
    }

    fn by_score(&self) -> &[f64] {
        self.by_score.get_or_init(|| {
            let step = 2.0 * SCORE_SPAN / PERT_GRID as f64;
            Self::grid(self.shape, |k| clamped_cdf(k as f64 * step - SCORE_SPAN))
        })
    }
}

impl Pert {
    /// A PERT on `[min, max]` with `mode`; requires `min ≤ mode ≤ max`.
    pub fn new(min: f64, mode: f64, max: f64) -> Pert {
        let shape = (max > min).then(|| pert_shape(min, mode, max));
        Pert {
            min,
            mode,
            max,
            tables: Arc::new(Tables::new(shape)),
        }
    }

    /// The shape parameters (α₁, α₂) of F47.
    pub fn shape(&self) -> (f64, f64) {
        pert_shape(self.min, self.mode, self.max)
    }

    /// The same PERT with `min`, `mode` and `max` multiplied by `k > 0`.
    /// The shape, and so the tables of Beta quantiles on [0, 1], are
    /// unchanged and shared: sizing a template to a row of a book copies
    /// nothing (a rebuild would cost thousands of incomplete-beta
    /// evaluations, a copy 16 KB per PERT per row).
    #[must_use]
    pub fn scaled(&self, k: f64) -> Pert {
        Pert {
            min: self.min * k,
            mode: self.mode * k,
            max: self.max * k,
            tables: Arc::clone(&self.tables),
        }
    }

    /// The value at probability `u`.
    #[inline]
    fn quantile(&self, u: f64) -> f64 {
        self.interpolate(&self.tables.by_probability, u * PERT_GRID as f64)
    }

    /// The value of normal score `z`, `quantile(Φ(z))` with Φ clamped as
    /// in [`Dist::from_normal_score`], given [`Tables::by_score`].
    #[inline]
    fn of_score(&self, by_score: &[f64], z: f64) -> f64 {
        let cells_per_unit = PERT_GRID as f64 / (2.0 * SCORE_SPAN);
        self.interpolate(by_score, (z + SCORE_SPAN) * cells_per_unit)
    }

    /// The value at position `x` in cells along `table`, clamped to it.
    #[inline]
    fn interpolate(&self, table: &[f64], x: f64) -> f64 {
        let x = x.clamp(0.0, PERT_GRID as f64);
        let k = (x as usize).min(PERT_GRID - 1);
        let w = x - k as f64;
        let beta = table[k] + w * (table[k + 1] - table[k]);
        self.min + (self.max - self.min) * beta
    }
}

/// Φ(z), kept 1e-12 inside (0, 1) where quantile functions are finite.
#[inline]
fn clamped_cdf(z: f64) -> f64 {
    crate::math::stats::norm_cdf(z).clamp(1e-12, 1.0 - 1e-12)
}

fn pert_shape(min: f64, mode: f64, max: f64) -> (f64, f64) {
    if max > min {
        (
            1.0 + 4.0 * (mode - min) / (max - min),
            1.0 + 4.0 * (max - mode) / (max - min),
        )
    } else {
        (3.0, 3.0)
    }
}

/// Beta quantile: Newton's method on the regularised incomplete beta
/// function, kept inside a bracket that every evaluation narrows, with a
/// bisection step whenever Newton's would leave it. A table of 2,049 cells
/// is built per PERT input when a case is read, so each cell takes a few
/// evaluations rather than the fifty a pure bisection to 1e-15 needs.
fn beta_inv(u: f64, a: f64, b: f64) -> f64 {
    use statrs::function::beta::{beta_reg, ln_beta};
    if u <= 0.0 {
        return 0.0;
    }
    if u >= 1.0 {
        return 1.0;
    }
    let ln_b = ln_beta(a, b);
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    let mut x = a / (a + b);
    for _ in 0..200 {
        let f = beta_reg(a, b, x) - u;
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let pdf = ((a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p() - ln_b).exp();
        let newton = x - f / pdf;
        let next = if pdf.is_finite() && pdf > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() < 1e-15 || hi - lo < 1e-15 {
            return next;
        }
        x = next;
    }
    x
}

impl Dist {
    /// The value at cumulative probability `u` in (0, 1).
    pub fn quantile(&self, u: f64) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { min, max } => min + u * (max - min),
            Dist::Normal { mean, sd } => mean + sd * norm_inv(u),
            Dist::LogNormal { mean, sigma } => {
                (mean.ln() - 0.5 * sigma * sigma + sigma * norm_inv(u)).exp()
            }
            Dist::Triangular { min, mode, max } => {
                let (a, c, b) = (*min, *mode, *max);
                if b <= a {
                    return a;
                }
                let fc = (c - a) / (b - a);
                if u < fc {
                    a + (u * (b - a) * (c - a)).sqrt()
                } else {
                    b - ((1.0 - u) * (b - a) * (b - c)).sqrt()
                }
            }
            Dist::Pert(p) => p.quantile(u),
            Dist::Empirical(sorted) => {
                let h = u * (sorted.len() - 1) as f64;
                let k = (h.floor() as usize).min(sorted.len() - 1);
                let next = sorted[(k + 1).min(sorted.len() - 1)];
                sorted[k] + (h - k as f64) * (next - sorted[k])
            }
            Dist::Discrete { values, cumulative } => {
                let k = cumulative
                    .iter()
                    .position(|&c| u <= c)
                    .unwrap_or(values.len() - 1);
                values[k]
            }
        }
    }

    /// [`Dist::quantile`] of each cumulative probability in `row`, in
    /// place: the kind is matched once for the row, and a PERT's table
    /// look-ups run in one loop.
    pub fn quantiles(&self, row: &mut [f64]) {
        match self {
            Dist::Pert(p) => row.iter_mut().for_each(|u| *u = p.quantile(*u)),
            d => row.iter_mut().for_each(|u| *u = d.quantile(*u)),
        }
    }

    /// [`Dist::from_normal_score`] of each normal score in `row`, in place,
    /// the kind matched once for the row.
    pub fn from_normal_scores(&self, row: &mut [f64]) {
        match self {
            Dist::Pert(p) => {
                let by_score = p.tables.by_score();
                row.iter_mut().for_each(|z| *z = p.of_score(by_score, *z));
            }
            d => row.iter_mut().for_each(|z| *z = d.from_normal_score(*z)),
        }
    }

    /// The value for a standard normal score `z`: `quantile(Φ(z))`, with
    /// the normal and lognormal computed directly from `z` (no Φ and Φ⁻¹
    /// round trip), which is both faster and exact in the tails.
    #[inline]
    pub fn from_normal_score(&self, z: f64) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Normal { mean, sd } => mean + sd * z,
            Dist::LogNormal { mean, sigma } => (mean.ln() - 0.5 * sigma * sigma + sigma * z).exp(),
            Dist::Pert(p) => p.of_score(p.tables.by_score(), z),
            d => d.quantile(clamped_cdf(z)),
        }
    }

    /// The distribution of `k·X` for a factor `k ≥ 0`: the shape is kept and
    /// every location and spread parameter is multiplied (the lognormal's
    /// mean, whose σ of ln X is scale-free). `k = 0` gives `Fixed(0)`. Used
    /// to size a case template to one enterprise (`domain::portfolio`).
    /// Callers pass a finite `k ≥ 0`; anything else gives `Fixed(NaN)`,
    /// which case validation refuses.
    #[must_use]
    pub fn scaled(&self, k: f64) -> Dist {
        if !(k.is_finite() && k >= 0.0) {
            return Dist::Fixed(f64::NAN);
        }
        if k == 0.0 {
            return Dist::Fixed(0.0);
        }
        match self {
            Dist::Fixed(v) => Dist::Fixed(v * k),
            Dist::Uniform { min, max } => Dist::Uniform {
                min: min * k,
                max: max * k,
            },
            Dist::Normal { mean, sd } => Dist::Normal {
                mean: mean * k,
                sd: sd * k,
            },
            Dist::LogNormal { mean, sigma } => Dist::LogNormal {
                mean: mean * k,
                sigma: *sigma,
            },
            Dist::Triangular { min, mode, max } => Dist::Triangular {
                min: min * k,
                mode: mode * k,
                max: max * k,
            },
            Dist::Pert(p) => Dist::Pert(p.scaled(k)),
            Dist::Empirical(v) => Dist::Empirical(v.iter().map(|x| x * k).collect()),
            Dist::Discrete { values, cumulative } => Dist::Discrete {
                values: values.iter().map(|x| x * k).collect(),
                cumulative: cumulative.clone(),
            },
        }
    }

    /// The mean: the value a deterministic appraisal uses.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { min, max } => 0.5 * (min + max),
            Dist::Normal { mean, .. } | Dist::LogNormal { mean, .. } => *mean,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Pert(p) => (p.min + 4.0 * p.mode + p.max) / 6.0,
            Dist::Empirical(v) => v.iter().sum::<f64>() / v.len() as f64,
            Dist::Discrete { values, cumulative } => {
                let mut prev = 0.0;
                values
                    .iter()
                    .zip(cumulative)
                    .map(|(v, c)| {
                        let p = c - prev;
                        prev = *c;
                        v * p
                    })
                    .sum()
            }
        }
    }

    /// Whether draws can differ from the mean.
    pub fn is_random(&self) -> bool {
        match self {
            Dist::Fixed(_) => false,
            Dist::Uniform { min, max } => max > min,
            Dist::Normal { sd, .. } => *sd > 0.0,
            Dist::LogNormal { sigma, .. } => *sigma > 0.0,
            Dist::Triangular { min, max, .. } => max > min,
            Dist::Pert(p) => p.max > p.min,
            Dist::Empirical(v) => v.iter().any(|x| *x != v[0]),
            Dist::Discrete { values, .. } => values.iter().any(|x| *x != values[0]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        // Midpoint rule on u: a deterministic, stratified sample.
        (0..n)
            .map(|i| d.quantile((i as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn beta_quantiles_match_scipy() {
        // scipy.stats.beta.ppf(u, a, b), scipy 1.17.1.
        for (u, a, b, expected) in [
            (0.3, 2.2, 4.7, 0.212_607_088_618_625_54),
            (0.001, 1.2, 4.8, 0.000_701_046_781_617_267_6),
            (0.999, 5.0, 1.0, 0.999_799_919_951_966_4),
            (0.5, 3.0, 3.0, 0.5),
        ] {
            let x = beta_inv(u, a, b);
            assert!((x - expected).abs() < 1e-12, "Beta({a}, {b}) at {u}: {x}");
        }
    }

    #[test]
    fn pert_moments_match_methods_test_8() {
        // methods.md test 8: PERT(80, 100, 150) has mean 105 and α = (2.1429, 3.8571).
        let d = Dist::Pert(Pert::new(80.0, 100.0, 150.0));
        assert!((d.mean() - 105.0).abs() < 1e-12);
        if let Dist::Pert(p) = &d {
            let (a1, a2) = p.shape();
            assert!((a1 - 2.1429).abs() < 1e-4 && (a2 - 3.8571).abs() < 1e-4);
        }
        assert!((sample_mean(&d, 200_000) - 105.0).abs() < 1e-3);
        // Beta(α1, α2) variance scaled: α1α2/((α1+α2)²(α1+α2+1)) × 70².
        let (a1, a2): (f64, f64) = (15.0 / 7.0, 27.0 / 7.0);
        let var = a1 * a2 / ((a1 + a2).powi(2) * (a1 + a2 + 1.0)) * 70.0 * 70.0;
        let n = 200_000;
        let m2 = (0..n)
            .map(|i| (d.quantile((i as f64 + 0.5) / n as f64) - 105.0).powi(2))
            .sum::<f64>()
            / n as f64;
        assert!((m2 - var).abs() / var < 1e-3, "{m2} vs {var}");
    }

    #[test]
    fn lognormal_preserves_the_mean() {
        // F48: E[p] = p̄ for ln p ~ N(ln p̄ − σ²/2, σ²).
        let d = Dist::LogNormal {
            mean: 60.0,
            sigma: 0.25,
        };
        assert!((sample_mean(&d, 400_000) - 60.0).abs() < 1e-3);
        // Median is p̄·e^{−σ²/2}.
        assert!((d.quantile(0.5) - 60.0 * (-0.03125f64).exp()).abs() < 1e-9);
    }

    #[test]
    fn normal_scores_map_like_quantiles_of_their_probability() {
        // PERT has its own table by score, checked against the exact Beta
        // quantile below.
        let dists = [
            Dist::Normal { mean: 3.0, sd: 2.0 },
            Dist::LogNormal {
                mean: 60.0,
                sigma: 0.25,
            },
            Dist::Uniform { min: 1.0, max: 2.0 },
        ];
        for d in &dists {
            for z in [-2.5, -1.0, 0.0, 0.7, 2.0] {
                let u = crate::math::stats::norm_cdf(z);
                assert!(
                    (d.from_normal_score(z) - d.quantile(u)).abs() < 1e-6 * d.mean().abs().max(1.0),
                    "{d:?} {z}"
                );
            }
        }
    }

    #[test]
    fn the_pert_table_by_score_is_the_beta_quantile_of_phi() {
        // Against Newton on statrs' incomplete beta at Φ(z) itself, from
        // the middle out past the clamp at 1e-12, for shapes from a
        // symmetric one to modes at either end (α = 1 and 5): within 1e-5
        // of the range everywhere (the table by probability, after Φ, was
        // off by up to 12 % of it in its end cells, past |z| = 3.3).
        for (min, mode, max) in [
            (80.0, 100.0, 150.0),
            (0.0, 0.0, 1.0),
            (0.0, 1.0, 1.0),
            (-3.0, 0.0, 3.0),
        ] {
            let p = Pert::new(min, mode, max);
            let d = Dist::Pert(p.clone());
            let (a1, a2) = p.shape();
            let mut worst: f64 = 0.0;
            let mut row: Vec<f64> = (0..=16_000).map(|i| -8.0 + i as f64 * 0.001).collect();
            let exact: Vec<f64> = row
                .iter()
                .map(|&z| min + (max - min) * beta_inv(clamped_cdf(z), a1, a2))
                .collect();
            for (&z, &x) in row.iter().zip(&exact) {
                worst = worst.max((d.from_normal_score(z) - x).abs() / (max - min));
            }
            // A row at once gives the same values.
            d.from_normal_scores(&mut row);
            for (&v, &x) in row.iter().zip(&exact) {
                worst = worst.max((v - x).abs() / (max - min));
            }
            assert!(worst < 1e-5, "PERT({min}, {mode}, {max}): {worst}");
        }
    }

    #[test]
    fn scaling_multiplies_every_quantile_and_the_mean() {
        let dists = [
            Dist::Fixed(3.0),
            Dist::Uniform { min: 1.0, max: 2.0 },
            Dist::Normal { mean: 3.0, sd: 2.0 },
            Dist::LogNormal {
                mean: 60.0,
                sigma: 0.25,
            },
            Dist::Triangular {
                min: 0.0,
                mode: 1.0,
                max: 4.0,
            },
            Dist::Pert(Pert::new(80.0, 100.0, 150.0)),
            Dist::Empirical(vec![1.0, 2.0, 4.0]),
            Dist::Discrete {
                values: vec![0.0, 10.0],
                cumulative: vec![0.3, 1.0],
            },
        ];
        for d in &dists {
            let s = d.scaled(2.5);
            assert!((s.mean() - 2.5 * d.mean()).abs() < 1e-12 * d.mean().abs().max(1.0));
            for u in [0.01, 0.3, 0.5, 0.9] {
                let (a, b) = (s.quantile(u), 2.5 * d.quantile(u));
                assert!(
                    (a - b).abs() < 1e-9 * b.abs().max(1.0),
                    "{d:?} at {u}: {a} vs {b}"
                );
            }
            assert_eq!(s.is_random(), d.is_random());
            assert_eq!(d.scaled(0.0), Dist::Fixed(0.0));
        }
        // The rescaled PERT table equals a rebuilt one.
        let built = Dist::Pert(Pert::new(200.0, 250.0, 375.0));
        let scaled = Dist::Pert(Pert::new(80.0, 100.0, 150.0)).scaled(2.5);
        for u in [0.001, 0.2, 0.77, 0.999] {
            assert!((built.quantile(u) - scaled.quantile(u)).abs() < 1e-9);
        }
    }

    #[test]
    fn closed_form_quantiles() {
        let t = Dist::Triangular {
            min: 0.0,
            mode: 1.0,
            max: 4.0,
        };
        // CDF at the mode is (c−a)/(b−a) = 0.25.
        assert!((t.quantile(0.25) - 1.0).abs() < 1e-12);
        assert!((t.mean() - 5.0 / 3.0).abs() < 1e-12);
        let u = Dist::Uniform { min: 2.0, max: 4.0 };
        assert_eq!(u.quantile(0.25), 2.5);
        let n = Dist::Normal {
            mean: 1000.0,
            sd: 400.0,
        };
        // methods.md test 7: W ~ N(1000, 400²) gives P(W < 500) = 10.565%.
        assert!((n.quantile(0.10565) - 500.0).abs() < 0.1);
        let e = Dist::Empirical(vec![1.0, 2.0, 4.0]);
        assert_eq!(e.quantile(0.75), 3.0);
        let d = Dist::Discrete {
            values: vec![0.0, 10.0],
            cumulative: vec![0.3, 1.0],
        };
        assert_eq!(d.quantile(0.29), 0.0);
        assert_eq!(d.quantile(0.31), 10.0);
        assert!((d.mean() - 7.0).abs() < 1e-12);
        assert!(!Dist::Fixed(3.0).is_random());
    }
}
