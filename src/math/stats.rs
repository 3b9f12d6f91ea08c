//! Statistics that the credit-risk, household-welfare and simulation layers
//! share: the normal distribution, the Vasicek/Basel one-factor formulas
//! (methods F27, F28, F30), utility certainty equivalents (F31, F32),
//! quantiles, a streaming mean/variance, and the rank and goodness-of-fit
//! statistics the simulation tests use.
//!
//! Functions return `f64` and signal a point outside their domain with NaN
//! (documented on each); callers validate user input before calling.
//!
//! # Basel risk weights
//!
//! [`basel_retail_k`] and [`basel_corporate_k`] return the capital
//! requirement `K` per unit of EAD. terrace reports risk weights as
//! `12.5·K`, as the BCBS (2005) explanatory note does, **without** the 1.06
//! scaling factor that the 2006 framework applies to credit-risk RWA (with
//! it, other retail at PD 1%, LGD 45% goes from 45.77% to 48.52%).

use statrs::function::erf::{erfc, erfc_inv};
use std::f64::consts::{PI, SQRT_2};

/// The standard normal CDF Φ(x).
#[must_use]
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / SQRT_2)
}

/// The standard normal quantile Φ⁻¹(p) for `p` in (0, 1); `-inf` at 0,
/// `+inf` at 1, NaN outside [0, 1].
#[must_use]
pub fn norm_inv(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        f64::NAN
    } else if p == 0.0 {
        f64::NEG_INFINITY
    } else if p == 1.0 {
        f64::INFINITY
    } else {
        -SQRT_2 * erfc_inv(2.0 * p)
    }
}

/// Vasicek limiting default-rate quantile (F27):
/// `DR_α = Φ[(Φ⁻¹(PD) + √ρ·Φ⁻¹(α)) / √(1−ρ)]`, for `pd` in (0, 1),
/// `rho` in [0, 1) and `alpha` in (0, 1). NaN outside those ranges.
#[must_use]
pub fn vasicek_quantile(pd: f64, rho: f64, alpha: f64) -> f64 {
    if !(pd > 0.0 && pd < 1.0 && (0.0..1.0).contains(&rho) && alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    norm_cdf((norm_inv(pd) + rho.sqrt() * norm_inv(alpha)) / (1.0 - rho).sqrt())
}

/// Vasicek limiting default-rate distribution (F27):
/// `P(DR ≤ x) = Φ[(√(1−ρ)·Φ⁻¹(x) − Φ⁻¹(PD)) / √ρ]`, for `pd` in (0, 1) and
/// `rho` in [0, 1). At `rho = 0` the default rate is `pd` for certain, so
/// the CDF is a step at `pd`. `x` below 0 gives 0, above 1 gives 1; NaN for
/// parameters outside their ranges.
#[must_use]
pub fn vasicek_cdf(x: f64, pd: f64, rho: f64) -> f64 {
    if x.is_nan() || !(pd > 0.0 && pd < 1.0 && (0.0..1.0).contains(&rho)) {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    if rho == 0.0 {
        return if x < pd { 0.0 } else { 1.0 };
    }
    norm_cdf(((1.0 - rho).sqrt() * norm_inv(x) - norm_inv(pd)) / rho.sqrt())
}

/// The Basel exponential weight `(1 − e^{−k·PD}) / (1 − e^{−k})`.
fn basel_weight(pd: f64, k: f64) -> f64 {
    (-(-k * pd).exp_m1()) / (-(-k).exp_m1())
}

/// Basel "other retail" asset correlation (F28):
/// `R = 0.03·w + 0.16·(1 − w)`, `w = (1 − e^{−35·PD}) / (1 − e^{−35})`.
#[must_use]
pub fn basel_retail_correlation(pd: f64) -> f64 {
    let w = basel_weight(pd, 35.0);
    0.03 * w + 0.16 * (1.0 - w)
}

/// `LGD·Φ[(Φ⁻¹(PD) + √R·Φ⁻¹(0.999)) / √(1−R)] − PD·LGD`.
fn irb_unexpected_loss(pd: f64, lgd: f64, r: f64) -> f64 {
    lgd * vasicek_quantile(pd, r, 0.999) - pd * lgd
}

/// Basel "other retail" IRB capital requirement `K` per unit of EAD (F28),
/// with no maturity adjustment; the risk weight is `12.5·K` (no 1.06
/// scaling, see the module docs). `pd` in (0, 1); NaN otherwise.
#[must_use]
pub fn basel_retail_k(pd: f64, lgd: f64) -> f64 {
    irb_unexpected_loss(pd, lgd, basel_retail_correlation(pd))
}

/// Basel corporate IRB capital requirement `K` per unit of EAD, with the
/// maturity adjustment `(1 + (M − 2.5)·b) / (1 − 1.5·b)`,
/// `b = (0.11852 − 0.05478·ln PD)²` and
/// `R = 0.12·w + 0.24·(1 − w)`, `w = (1 − e^{−50·PD}) / (1 − e^{−50})`
/// (BCBS 2005 explanatory note). No firm-size adjustment and no 1.06
/// scaling. Used to cross-check the retail formula (methods test 4).
#[must_use]
pub fn basel_corporate_k(pd: f64, lgd: f64, maturity_years: f64) -> f64 {
    let w = basel_weight(pd, 50.0);
    let r = 0.12 * w + 0.24 * (1.0 - w);
    let b = (0.11852 - 0.05478 * pd.ln()).powi(2);
    irb_unexpected_loss(pd, lgd, r) * (1.0 + (maturity_years - 2.5) * b) / (1.0 - 1.5 * b)
}

/// The bivariate standard normal CDF `Φ₂(x, y; ρ) = P(X ≤ x, Y ≤ y)` with
/// correlation `rho` in [−1, 1] (NaN outside). Genz's (2004) refinement of
/// Drezner & Wesolowsky (1990): Gauss–Legendre quadrature with 6, 12 or 20
/// points by |ρ|, and an asymptotic expansion for |ρ| ≥ 0.925. Absolute
/// error is near machine precision.
#[must_use]
pub fn bivariate_normal_cdf(x: f64, y: f64, rho: f64) -> f64 {
    if x.is_nan() || y.is_nan() || rho.is_nan() || !(-1.0..=1.0).contains(&rho) {
        return f64::NAN;
    }
    bivariate_normal_upper(-x, -y, rho)
}

/// `P(X > h, Y > k)` for standard normals with correlation `r`
/// (Genz's `BVNU`).
fn bivariate_normal_upper(h: f64, k: f64, r: f64) -> f64 {
    if h == f64::INFINITY || k == f64::INFINITY {
        return 0.0;
    }
    if h == f64::NEG_INFINITY {
        return if k == f64::NEG_INFINITY {
            1.0
        } else {
            norm_cdf(-k)
        };
    }
    if k == f64::NEG_INFINITY {
        return norm_cdf(-h);
    }
    if r == 0.0 {
        return norm_cdf(-h) * norm_cdf(-k);
    }
    // Gauss–Legendre nodes and weights on [−1, 1] (positive half).
    const W6: [f64; 3] = [
        0.171_324_492_379_170_5,
        0.360_761_573_048_138_4,
        0.467_913_934_572_690_4,
    ];
    const X6: [f64; 3] = [
        0.932_469_514_203_152_2,
        0.661_209_386_466_264_7,
        0.238_619_186_083_197,
    ];
    const W12: [f64; 6] = [
        0.047_175_336_386_511_77,
        0.106_939_325_995_318_3,
        0.160_078_328_543_346_4,
        0.203_167_426_723_065_9,
        0.233_492_536_538_354_7,
        0.249_147_045_813_402_9,
    ];
    const X12: [f64; 6] = [
        0.981_560_634_246_719_1,
        0.904_117_256_370_475,
        0.769_902_674_194_305,
        0.587_317_954_286_617_1,
        0.367_831_498_998_180_2,
        0.125_233_408_511_469_2,
    ];
    const W20: [f64; 10] = [
        0.017_614_007_139_152_12,
        0.040_601_429_800_386_94,
        0.062_672_048_334_109_06,
        0.083_276_741_576_704_75,
        0.101_930_119_817_240_4,
        0.118_194_531_961_518_4,
        0.131_688_638_449_176_6,
        0.142_096_109_318_382_1,
        0.149_172_986_472_603_7,
        0.152_753_387_130_725_9,
    ];
    const X20: [f64; 10] = [
        0.993_128_599_185_094_9,
        0.963_971_927_277_913_8,
        0.912_234_428_251_325_9,
        0.839_116_971_822_218_8,
        0.746_331_906_460_150_8,
        0.636_053_680_726_515,
        0.510_867_001_950_827_1,
        0.373_706_088_715_419_6,
        0.227_785_851_141_645_1,
        0.076_526_521_133_497_33,
    ];
    let (w, xg): (&[f64], &[f64]) = if r.abs() < 0.3 {
        (&W6, &X6)
    } else if r.abs() < 0.75 {
        (&W12, &X12)
    } else {
        (&W20, &X20)
    };
    // Nodes mapped to (0, 2): 1 − x and 1 + x, each with weight w.
    let nodes = || {
        w.iter()
            .zip(xg)
            .flat_map(|(&wi, &xi)| [(wi, 1.0 - xi), (wi, 1.0 + xi)])
    };
    let tp = 2.0 * PI;
    let mut hk = h * k;
    if r.abs() < 0.925 {
        // Plackett's identity integrated in θ = asin(r′) over [0, asin r].
        let hs = (h * h + k * k) / 2.0;
        let asr = r.asin() / 2.0;
        let sum: f64 = nodes()
            .map(|(wi, xi)| {
                let sn = (asr * xi).sin();
                wi * ((sn * hk - hs) / (1.0 - sn * sn)).exp()
            })
            .sum();
        return (sum * asr / tp + norm_cdf(-h) * norm_cdf(-k)).clamp(0.0, 1.0);
    }
    let mut k = k;
    if r < 0.0 {
        k = -k;
        hk = -hk;
    }
    let mut bvn = 0.0;
    if r.abs() < 1.0 {
        let as_ = (1.0 - r) * (1.0 + r);
        let mut a = as_.sqrt();
        let bs = (h - k) * (h - k);
        let c = (4.0 - hk) / 8.0;
        let d = (12.0 - hk) / 80.0;
        let asr = -(bs / as_ + hk) / 2.0;
        if asr > -100.0 {
            bvn = a * asr.exp() * (1.0 - c * (bs - as_) * (1.0 - d * bs) / 3.0 + c * d * as_ * as_);
        }
        if hk > -100.0 {
            let b = bs.sqrt();
            let sp = tp.sqrt() * norm_cdf(-b / a);
            bvn -= (-hk / 2.0).exp() * sp * b * (1.0 - c * bs * (1.0 - d * bs) / 3.0);
        }
        a /= 2.0;
        let sum: f64 = nodes()
            .filter_map(|(wi, xi)| {
                let xs = (a * xi) * (a * xi);
                let asr = -(bs / xs + hk) / 2.0;
                (asr > -100.0).then(|| {
                    let sp = 1.0 + c * xs * (1.0 + 5.0 * d * xs);
                    let rs = (1.0 - xs).sqrt();
                    let ep = (-(hk / 2.0) * xs / ((1.0 + rs) * (1.0 + rs))).exp() / rs;
                    wi * asr.exp() * (sp - ep)
                })
            })
            .sum();
        bvn = (a * sum - bvn) / tp;
    }
    if r > 0.0 {
        bvn += norm_cdf(-h.max(k));
    } else if h >= k {
        bvn = -bvn;
    } else {
        let l = if h < 0.0 {
            norm_cdf(k) - norm_cdf(h)
        } else {
            norm_cdf(-h) - norm_cdf(-k)
        };
        bvn = l - bvn;
    }
    bvn.clamp(0.0, 1.0)
}

/// The asset correlation ρ that gives a default rate with variance
/// `var_dr` in the Vasicek model (F30):
/// `Φ₂(Φ⁻¹(PD), Φ⁻¹(PD); ρ) − PD² = var_dr`, solved for ρ in [0, 1].
///
/// `None` when `pd` is not in (0, 1), or `var_dr` is not in
/// `[0, PD·(1 − PD)]` (the variance at ρ = 0 and ρ = 1).
#[must_use]
pub fn implied_default_correlation(pd: f64, var_dr: f64) -> Option<f64> {
    if !(pd > 0.0 && pd < 1.0) || !(0.0..=pd * (1.0 - pd)).contains(&var_dr) {
        return None;
    }
    let k = norm_inv(pd);
    let f = |rho: f64| bivariate_normal_cdf(k, k, rho) - pd * pd - var_dr;
    crate::math::roots::brent(f, 0.0, 1.0, f(0.0), f(1.0), 1e-13)
}

/// CRRA utility (F31): `c^{1−γ} / (1−γ)`, and `ln c` at γ = 1. `c > 0`.
#[must_use]
pub fn crra_utility(c: f64, gamma: f64) -> f64 {
    if gamma == 1.0 {
        c.ln()
    } else {
        c.powf(1.0 - gamma) / (1.0 - gamma)
    }
}

/// The inverse of [`crra_utility`]: `((1−γ)·u)^{1/(1−γ)}`, and `e^u` at
/// γ = 1.
#[must_use]
pub fn crra_inverse(u: f64, gamma: f64) -> f64 {
    if gamma == 1.0 {
        u.exp()
    } else {
        ((1.0 - gamma) * u).powf(1.0 / (1.0 - gamma))
    }
}

/// `ln Σ exp(t_i)`, shifted by the maximum so nothing overflows.
fn log_sum_exp(terms: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = terms.clone().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + terms.map(|t| (t - max).exp()).sum::<f64>().ln()
}

/// The CRRA certainty equivalent (F31) of equally likely outcomes:
/// `U⁻¹(mean U(max(v, floor)))`.
///
/// Each value is floored at `floor` (must be > 0; the caller flags how many
/// were floored). Because CRRA is homogeneous, the values are divided by
/// their mean `m` first and the expectation is taken in the log domain
/// (`CE = m·exp(ln mean e^{(1−γ)·ln(v/m)} / (1−γ))`), so large wealth or a
/// large γ neither overflows nor loses precision, and equal values give
/// exactly their common value. NaN for empty input or `floor ≤ 0`.
#[must_use]
pub fn crra_certainty_equivalent(values: &[f64], gamma: f64, floor: f64) -> f64 {
    if values.is_empty() || floor.is_nan() || floor <= 0.0 {
        return f64::NAN;
    }
    let n = values.len() as f64;
    let floored = || values.iter().map(move |&v| v.max(floor));
    let m = floored().sum::<f64>() / n;
    let logs = floored().map(move |v| (v / m).ln());
    let log_ce = if gamma == 1.0 {
        logs.sum::<f64>() / n
    } else {
        let e = 1.0 - gamma;
        (log_sum_exp(logs.map(move |l| e * l)) - n.ln()) / e
    };
    m * log_ce.exp()
}

/// The CARA certainty equivalent (F32) of equally likely outcomes:
/// `−ln(mean e^{−a·v}) / a`, computed about the mean with log-sum-exp so
/// it neither overflows nor underflows; the mean itself at `a = 0`. For
/// normal outcomes it is `μ − a·σ²/2`. NaN for empty input.
#[must_use]
pub fn cara_certainty_equivalent(values: &[f64], a: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let n = values.len() as f64;
    let m = values.iter().sum::<f64>() / n;
    if a == 0.0 {
        return m;
    }
    let lse = log_sum_exp(values.iter().map(|&v| -a * (v - m)));
    m - (lse - n.ln()) / a
}

/// The `p`-quantile of sorted (ascending) data by linear interpolation
/// between order statistics, as numpy's default (`method="linear"`,
/// Hyndman & Fan type 7): `h = (n−1)·p`, `x[⌊h⌋] + (h−⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])`.
/// NaN for empty data or `p` outside [0, 1].
#[must_use]
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = (h.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let frac = h - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    if frac == 0.0 {
        a
    } else {
        a + frac * (b - a)
    }
}

/// Sorts `values` ascending (by `f64::total_cmp`) and returns the
/// [`quantile_sorted`] of each `p` in `ps`. The input is assumed free of
/// NaN (with `total_cmp`, NaN would sort to the ends and corrupt the tails).
pub fn quantiles(values: &mut [f64], ps: &[f64]) -> Vec<f64> {
    values.sort_unstable_by(f64::total_cmp);
    ps.iter().map(|&p| quantile_sorted(values, p)).collect()
}

/// Streaming mean and variance (Welford 1962), numerically stable in one
/// pass. Aggregation is sequential, so results do not depend on thread
/// scheduling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// An empty accumulator.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one observation.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Number of observations.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The mean; NaN when empty.
    #[must_use]
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.mean
        }
    }

    /// The sample variance (divisor n − 1); NaN with fewer than two
    /// observations.
    #[must_use]
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }

    /// The sample standard deviation; NaN with fewer than two observations.
    #[must_use]
    pub fn sd(&self) -> f64 {
        self.variance().sqrt()
    }
}

/// The one-sample Kolmogorov–Smirnov statistic
/// `D = sup |F_n(x) − F(x)|` of `sample` against the continuous CDF `cdf`.
/// Sorts `sample` in place (NaN-free input assumed). NaN when empty.
/// The 1% critical value for large n is about `1.63/√n`.
pub fn ks_statistic(sample: &mut [f64], cdf: impl Fn(f64) -> f64) -> f64 {
    if sample.is_empty() {
        return f64::NAN;
    }
    sample.sort_unstable_by(f64::total_cmp);
    let n = sample.len() as f64;
    sample.iter().enumerate().fold(0.0, |d, (i, &x)| {
        let f = cdf(x);
        d.max((i + 1) as f64 / n - f).max(f - i as f64 / n)
    })
}

/// 1-based ranks, ties given the average of the ranks they span.
fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i + 1;
        while j < idx.len() && x[idx[j]] == x[idx[i]] {
            j += 1;
        }
        // Positions i..j (0-based) share ranks i+1..=j, whose average is this.
        let avg = (i + j + 1) as f64 / 2.0;
        for &k in &idx[i..j] {
            ranks[k] = avg;
        }
        i = j;
    }
    ranks
}

/// Pearson correlation; NaN if either side is constant.
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// Spearman's rank correlation: the Pearson correlation of the ranks, ties
/// given average ranks (as `scipy.stats.spearmanr`). NaN with fewer than
/// two pairs or a constant side.
///
/// # Panics
///
/// If `x` and `y` differ in length.
#[must_use]
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "spearman: x and y differ in length");
    if x.len() < 2 {
        return f64::NAN;
    }
    pearson(&average_ranks(x), &average_ranks(y))
}

/// Two-asset minimum-variance weight on asset 1 (F38):
/// `w₁* = (σ₂² − ρσ₁σ₂) / (σ₁² + σ₂² − 2ρσ₁σ₂)`. Unconstrained: it can fall
/// outside [0, 1]; NaN when both assets are the same risk (zero
/// denominator).
#[must_use]
pub fn min_variance_weight(s1: f64, s2: f64, rho: f64) -> f64 {
    let den = s1 * s1 + s2 * s2 - 2.0 * rho * s1 * s2;
    if den == 0.0 {
        return f64::NAN;
    }
    (s2 * s2 - rho * s1 * s2) / den
}

/// Standard deviation of a two-asset portfolio with weight `w1` on asset 1
/// and `1 − w1` on asset 2: `√(w₁²σ₁² + w₂²σ₂² + 2w₁w₂ρσ₁σ₂)`.
#[must_use]
pub fn portfolio_sd(w1: f64, s1: f64, s2: f64, rho: f64) -> f64 {
    let w2 = 1.0 - w1;
    let var = w1 * w1 * s1 * s1 + w2 * w2 * s2 * s2 + 2.0 * w1 * w2 * rho * s1 * s2;
    var.max(0.0).sqrt()
}
