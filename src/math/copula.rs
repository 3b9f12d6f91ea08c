//! The Gaussian copula (methods F51): correlated standard normals from a
//! matrix of target rank correlations, so each stochastic input keeps its
//! own marginal (`X_j = F_j⁻¹(Φ(Z_j))`) while the inputs move together.
//!
//! Users state rank (Spearman) correlations, as @RISK does by default. A
//! hand-written matrix is often not positive semi-definite; it is repaired
//! by eigenvalue clipping and the repair returned so the caller can report
//! how far the matrix moved. The small dense linear algebra this needs
//! (Cholesky, Jacobi eigen-decomposition) lives here: matrices are at most
//! a few dozen inputs wide.

use crate::{Error, Result};
use std::f64::consts::PI;

/// Smallest eigenvalue a repaired normal-score matrix is clipped to, before
/// rescaling to unit diagonal; multiplied by 10 on each further attempt if
/// the Cholesky factorisation still fails.
const EIGEN_FLOOR: f64 = 1e-8;

/// Largest asymmetry `|a_ij − a_ji|` accepted in an input matrix.
const SYMMETRY_TOL: f64 = 1e-9;

/// Largest `|a_ii − 1|` accepted on the diagonal.
const DIAGONAL_TOL: f64 = 1e-12;

/// The normal-score (Pearson) correlation of a Gaussian copula with rank
/// (Spearman) correlation `rho_s`: `2·sin(π·ρ_S/6)`.
#[must_use]
pub fn rank_to_normal_correlation(rho_s: f64) -> f64 {
    2.0 * (PI * rho_s / 6.0).sin()
}

/// The rank correlation of a Gaussian copula with normal-score correlation
/// `r`: `(6/π)·asin(r/2)`, the inverse of [`rank_to_normal_correlation`].
fn normal_to_rank_correlation(r: f64) -> f64 {
    6.0 / PI * (r / 2.0).asin()
}

/// How much a non-positive-semi-definite correlation matrix was changed to
/// make it usable.
#[derive(Debug, Clone, PartialEq)]
pub struct Repair {
    /// The smallest eigenvalue of the normal-score correlation matrix
    /// before repair (≤ 0 when it was not positive definite).
    pub min_eigenvalue_before: f64,
    /// The largest change of any entry, in the user's terms: the target
    /// rank correlation versus the rank correlation the repaired matrix
    /// gives.
    pub max_abs_change: f64,
    /// The Frobenius norm of the same change, over the whole matrix.
    pub frobenius_change: f64,
}

/// A Gaussian copula: the lower Cholesky factor `L` of a normal-score
/// correlation matrix, so `L·ε` has that correlation for i.i.d. standard
/// normals `ε`.
#[derive(Debug, Clone, PartialEq)]
pub struct Copula {
    lower: Vec<Vec<f64>>,
}

impl Copula {
    /// `rank_corr`: a symmetric matrix of target *rank* (Spearman)
    /// correlations with unit diagonal.
    ///
    /// Converts to normal-score correlations with
    /// [`rank_to_normal_correlation`]. If that matrix is not positive
    /// definite it is repaired: eigenvalues are clipped to a small positive
    /// floor, the matrix rebuilt and rescaled to unit diagonal (repeated
    /// with a larger floor if needed), and the [`Repair`] returned so the
    /// caller can report it; `None` means the matrix was used as given.
    /// An empty matrix gives a copula of dimension 0.
    ///
    /// # Errors
    ///
    /// [`Error::invalid`] on the field `correlation.matrix[i]` for a row of
    /// the wrong length, and on `correlation.matrix[i][j]` for an entry
    /// that is NaN, outside [−1, 1], off the unit diagonal, or differs from
    /// its mirror entry by more than 1e-9.
    pub fn new(rank_corr: &[Vec<f64>]) -> Result<(Copula, Option<Repair>)> {
        validate(rank_corr)?;
        let n = rank_corr.len();
        let normal: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| {
                        if i == j {
                            1.0
                        } else {
                            let s = (rank_corr[i][j] + rank_corr[j][i]) / 2.0;
                            rank_to_normal_correlation(s)
                        }
                    })
                    .collect()
            })
            .collect();
        if let Some(lower) = cholesky(&normal) {
            return Ok((Copula { lower }, None));
        }
        let (eigenvalues, _) = symmetric_eigen(&normal);
        let min_eigenvalue_before = eigenvalues.iter().copied().fold(f64::INFINITY, f64::min);
        let mut floor = EIGEN_FLOOR;
        let (repaired, lower) = loop {
            let candidate = clip_eigenvalues(&normal, floor);
            if let Some(lower) = cholesky(&candidate) {
                break (candidate, lower);
            }
            floor *= 10.0;
            if floor > 1e-2 {
                // Unreachable for a finite symmetric input: clipping to a
                // floor this large always leaves a positive definite matrix.
                return Err(Error::invalid(
                    "correlation.matrix",
                    "a matrix that can be repaired to positive definite",
                    "one that cannot",
                ));
            }
        };
        let (mut max_abs_change, mut sum_sq) = (0.0_f64, 0.0);
        for i in 0..n {
            for j in 0..n {
                let change = (normal_to_rank_correlation(repaired[i][j]) - rank_corr[i][j]).abs();
                max_abs_change = max_abs_change.max(change);
                sum_sq += change * change;
            }
        }
        let repair = Repair {
            min_eigenvalue_before,
            max_abs_change,
            frobenius_change: sum_sq.sqrt(),
        };
        Ok((Copula { lower }, Some(repair)))
    }

    /// The number of correlated inputs.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.lower.len()
    }

    /// In place: i.i.d. standard normals in, correlated standard normals
    /// out (`z ← L·z`).
    ///
    /// # Panics
    ///
    /// If `z.len()` differs from [`Copula::dim`].
    pub fn correlate(&self, z: &mut [f64]) {
        assert_eq!(z.len(), self.dim(), "copula: wrong number of normals");
        // Bottom row first: row i reads z[..=i], which rows below i have
        // not yet overwritten.
        for i in (0..z.len()).rev() {
            z[i] = self.lower[i][..=i]
                .iter()
                .zip(&z[..=i])
                .map(|(l, x)| l * x)
                .sum();
        }
    }
}

/// Checks shape, range, unit diagonal and symmetry, naming the first bad
/// entry (`correlation.matrix[i][j]`).
pub fn validate(a: &[Vec<f64>]) -> Result<()> {
    let n = a.len();
    for (i, row) in a.iter().enumerate() {
        crate::ensure!(
            row.len() == n,
            format!("correlation.matrix[{i}]"),
            format!("a row of {n} entries (the matrix must be square)"),
            format!("{} entries", row.len()),
        );
    }
    for (i, row) in a.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let field = || format!("correlation.matrix[{i}][{j}]");
            crate::ensure!(
                (-1.0..=1.0).contains(&v),
                field(),
                "a correlation in [-1, 1]",
                v
            );
            if i == j {
                crate::ensure!(
                    (v - 1.0).abs() <= DIAGONAL_TOL,
                    field(),
                    "1 on the diagonal",
                    v
                );
            } else if j > i {
                let mirror = a[j][i];
                crate::ensure!(
                    mirror.is_nan() || (v - mirror).abs() <= SYMMETRY_TOL,
                    field(),
                    format!("a symmetric matrix (equal to entry [{j}][{i}] = {mirror})"),
                    v
                );
            }
        }
    }
    Ok(())
}

/// `V·max(Λ, floor)·Vᵀ`, symmetrised and rescaled to unit diagonal. The
/// rescaling `D^{-1/2}·A·D^{-1/2}` is a congruence, so the result stays
/// positive definite.
fn clip_eigenvalues(a: &[Vec<f64>], floor: f64) -> Vec<Vec<f64>> {
    let n = a.len();
    let (values, vectors) = symmetric_eigen(a);
    let clipped: Vec<f64> = values.iter().map(|&l| l.max(floor)).collect();
    let mut b = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..n)
                .map(|k| vectors[i][k] * clipped[k] * vectors[j][k])
                .sum();
            b[i][j] = s;
            b[j][i] = s;
        }
    }
    let d: Vec<f64> = (0..n).map(|i| b[i][i].sqrt()).collect();
    for i in 0..n {
        for j in 0..n {
            b[i][j] = if i == j { 1.0 } else { b[i][j] / (d[i] * d[j]) };
        }
    }
    b
}

/// The lower Cholesky factor `L` with `L·Lᵀ = a`, for a symmetric positive
/// definite `a` (only the lower triangle is read). `None` if `a` is not
/// square, or a pivot is not strictly positive (not positive definite,
/// within rounding) or not finite.
#[must_use]
pub fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    if a.iter().any(|row| row.len() != n) {
        return None;
    }
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let pivot = a[i][i] - dot;
                if !(pivot.is_finite() && pivot > 0.0) {
                    return None;
                }
                l[i][i] = pivot.sqrt();
            } else {
                l[i][j] = (a[i][j] - dot) / l[j][j];
            }
        }
    }
    Some(l)
}

/// Eigenvalues (ascending) and eigenvectors (the matching columns of the
/// returned matrix, orthonormal) of a symmetric matrix, by the cyclic
/// Jacobi method: plane rotations until the off-diagonal part vanishes to
/// rounding. Accurate to a few ulps of the largest eigenvalue; O(n³) per
/// sweep, fine for the small matrices used here. Only the symmetric part
/// `(a + aᵀ)/2` is used.
///
/// # Panics
///
/// If `a` is not square.
#[must_use]
pub fn symmetric_eigen(a: &[Vec<f64>]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = a.len();
    assert!(
        a.iter().all(|row| row.len() == n),
        "symmetric_eigen: matrix is not square"
    );
    let mut m: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| (a[i][j] + a[j][i]) / 2.0).collect())
        .collect();
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    let scale: f64 = m.iter().flatten().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i][j] * m[i][j])
            .sum::<f64>()
            .sqrt();
        if off <= f64::EPSILON * 1e-2 * scale || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p][q];
                if apq == 0.0 {
                    continue;
                }
                // Rotation J (J_pp = J_qq = c, J_pq = s, J_qp = −s) chosen so
                // that (Jᵀ·M·J)_pq = 0, taking the smaller angle.
                let theta = (m[q][q] - m[p][p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + theta.hypot(1.0));
                let c = 1.0 / t.hypot(1.0);
                let s = t * c;
                for row in m.iter_mut().chain(v.iter_mut()) {
                    let (xp, xq) = (row[p], row[q]);
                    row[p] = c * xp - s * xq;
                    row[q] = s * xp + c * xq;
                }
                let (upper, lower) = m.split_at_mut(q);
                for (xp, xq) in upper[p].iter_mut().zip(lower[0].iter_mut()) {
                    let (a, b) = (*xp, *xq);
                    *xp = c * a - s * b;
                    *xq = s * a + c * b;
                }
                m[p][q] = 0.0;
                m[q][p] = 0.0;
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[i][i].total_cmp(&m[j][j]));
    let values = order.iter().map(|&k| m[k][k]).collect();
    let vectors = (0..n)
        .map(|i| order.iter().map(|&k| v[i][k]).collect())
        .collect();
    (values, vectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::stats::{ks_statistic, norm_cdf, norm_inv, spearman};
    use crate::ErrorKind;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b} (tol {tol})");
    }

    fn mul_transpose(l: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let n = l.len();
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| (0..n).map(|k| l[i][k] * l[j][k]).sum())
                    .collect()
            })
            .collect()
    }

    fn assert_matrix_close(a: &[Vec<f64>], b: &[Vec<f64>], tol: f64) {
        for (ra, rb) in a.iter().zip(b) {
            for (x, y) in ra.iter().zip(rb) {
                close(*x, *y, tol);
            }
        }
    }

    /// SplitMix64 (Steele, Lea & Flood 2014) and Box–Muller: a tiny
    /// deterministic normal source for tests only.
    struct Normals {
        state: u64,
        spare: Option<f64>,
    }

    impl Normals {
        fn new(seed: u64) -> Self {
            Normals {
                state: seed,
                spare: None,
            }
        }

        fn next_u64(&mut self) -> u64 {
            self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform on (0, 1): 53 random bits, offset by half a step.
        fn uniform(&mut self) -> f64 {
            ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        fn normal(&mut self) -> f64 {
            if let Some(z) = self.spare.take() {
                return z;
            }
            let r = (-2.0 * self.uniform().ln()).sqrt();
            let t = 2.0 * PI * self.uniform();
            self.spare = Some(r * t.sin());
            r * t.cos()
        }
    }

    /// The worked example on Wikipedia's "Cholesky decomposition" page.
    #[test]
    fn cholesky_known_answer_and_reconstruction() {
        let a = vec![
            vec![4.0, 12.0, -16.0],
            vec![12.0, 37.0, -43.0],
            vec![-16.0, -43.0, 98.0],
        ];
        let l = cholesky(&a).unwrap();
        let want = [[2.0, 0.0, 0.0], [6.0, 1.0, 0.0], [-8.0, 5.0, 3.0]];
        for (row, w) in l.iter().zip(want) {
            for (x, y) in row.iter().zip(w) {
                close(*x, y, 1e-14);
            }
        }
        assert_matrix_close(&mul_transpose(&l), &a, 1e-12);
        assert!(cholesky(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
        assert!(cholesky(&[vec![1.0, 1.0], vec![1.0, 1.0]]).is_none());
        assert!(cholesky(&[vec![1.0, 0.0]]).is_none());
        assert_eq!(cholesky(&[]), Some(vec![]));
    }

    #[test]
    fn symmetric_eigen_known_answer_and_reconstruction() {
        let (values, vectors) = symmetric_eigen(&[vec![2.0, 1.0], vec![1.0, 2.0]]);
        close(values[0], 1.0, 1e-15);
        close(values[1], 3.0, 1e-15);
        close(vectors[0][1].abs(), 0.5_f64.sqrt(), 1e-15);

        // A 7×7 symmetric matrix with spread-out entries, indefinite.
        let n = 7;
        let a: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| {
                        let (p, q) = (i.min(j) as f64, i.max(j) as f64);
                        (1.3 * p + 0.7 * q + p * q).sin() * 3.0
                    })
                    .collect()
            })
            .collect();
        let (values, v) = symmetric_eigen(&a);
        assert!(values.windows(2).all(|w| w[0] <= w[1]));
        // A = V·Λ·Vᵀ and VᵀV = I.
        let rebuilt: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| (0..n).map(|k| v[i][k] * values[k] * v[j][k]).sum())
                    .collect()
            })
            .collect();
        assert_matrix_close(&rebuilt, &a, 1e-12);
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..n).map(|k| v[k][i] * v[k][j]).sum();
                close(dot, f64::from(u8::from(i == j)), 1e-13);
            }
        }
        // The trace is the sum of eigenvalues.
        let trace: f64 = (0..n).map(|i| a[i][i]).sum();
        close(values.iter().sum::<f64>(), trace, 1e-12);
    }

    #[test]
    fn rank_to_normal_correlation_fixed_points() {
        assert_eq!(rank_to_normal_correlation(0.0), 0.0);
        close(rank_to_normal_correlation(1.0), 1.0, 1e-15);
        close(rank_to_normal_correlation(-1.0), -1.0, 1e-15);
        // 2·sin(π/12) = (√6 − √2)/2.
        close(
            rank_to_normal_correlation(0.5),
            (6f64.sqrt() - 2f64.sqrt()) / 2.0,
            1e-15,
        );
        for &r in &[-0.9, -0.3, 0.2, 0.7] {
            close(
                normal_to_rank_correlation(rank_to_normal_correlation(r)),
                r,
                1e-15,
            );
        }
    }

    #[test]
    fn positive_definite_input_is_used_untouched() {
        let target = vec![
            vec![1.0, 0.5, -0.3],
            vec![0.5, 1.0, 0.2],
            vec![-0.3, 0.2, 1.0],
        ];
        let (copula, repair) = Copula::new(&target).unwrap();
        assert!(repair.is_none());
        assert_eq!(copula.dim(), 3);
        let normal = mul_transpose(&copula.lower);
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j {
                    1.0
                } else {
                    rank_to_normal_correlation(target[i][j])
                };
                close(normal[i][j], want, 1e-15);
            }
        }
        let (empty, repair) = Copula::new(&[]).unwrap();
        assert!(repair.is_none());
        assert_eq!(empty.dim(), 0);
    }

    #[test]
    fn non_psd_matrix_is_repaired_and_reported() {
        let target = vec![
            vec![1.0, 0.9, 0.9],
            vec![0.9, 1.0, -0.9],
            vec![0.9, -0.9, 1.0],
        ];
        let (copula, repair) = Copula::new(&target).unwrap();
        let repair = repair.expect("a non-PSD matrix must be repaired");
        assert!(repair.min_eigenvalue_before < 0.0);
        let normal = mul_transpose(&copula.lower);
        let (values, _) = symmetric_eigen(&normal);
        assert!(values[0] > 0.0, "repaired eigenvalues {values:?}");
        let (mut max_change, mut sum_sq) = (0.0_f64, 0.0);
        for i in 0..3 {
            close(normal[i][i], 1.0, 1e-12);
            for j in 0..3 {
                close(normal[i][j], normal[j][i], 1e-15);
                let change = (normal_to_rank_correlation(normal[i][j]) - target[i][j]).abs();
                max_change = max_change.max(change);
                sum_sq += change * change;
            }
        }
        close(repair.max_abs_change, max_change, 1e-12);
        close(repair.frobenius_change, sum_sq.sqrt(), 1e-12);
        // Clipping moves the matrix materially but keeps the signs.
        assert!(repair.max_abs_change > 0.1 && repair.max_abs_change < 0.9);
        assert!(normal[0][1] > 0.0 && normal[0][2] > 0.0 && normal[1][2] < 0.0);
    }

    #[test]
    fn perfect_rank_correlation_gives_a_usable_copula() {
        // PSD but (to rounding) singular: either accepted as is or nudged by
        // a tiny repair; either way both outputs move together.
        let target = vec![vec![1.0, 1.0], vec![1.0, 1.0]];
        let (copula, repair) = Copula::new(&target).unwrap();
        if let Some(repair) = repair {
            assert!(repair.max_abs_change < 1e-4, "{repair:?}");
        }
        let mut z = [0.7, -0.4];
        copula.correlate(&mut z);
        close(z[0], z[1], 1e-3);
    }

    fn field_of(matrix: &[Vec<f64>]) -> String {
        let err = Copula::new(matrix).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid);
        err.location().field.clone().unwrap()
    }

    #[test]
    fn invalid_matrices_name_the_entry() {
        assert_eq!(
            field_of(&[vec![1.0, 0.2], vec![0.2]]),
            "correlation.matrix[1]"
        );
        assert_eq!(
            field_of(&[vec![1.0, 0.2, 0.1], vec![0.2, 1.0, 0.3]]),
            "correlation.matrix[0]"
        );
        assert_eq!(
            field_of(&[vec![1.0, 0.2], vec![0.25, 1.0]]),
            "correlation.matrix[0][1]"
        );
        assert_eq!(
            field_of(&[vec![1.0, 1.2], vec![1.2, 1.0]]),
            "correlation.matrix[0][1]"
        );
        assert_eq!(
            field_of(&[vec![1.0, 0.2], vec![0.2, 0.9]]),
            "correlation.matrix[1][1]"
        );
        assert_eq!(
            field_of(&[vec![1.0, 0.2], vec![f64::NAN, 1.0]]),
            "correlation.matrix[1][0]"
        );
        let err = Copula::new(&[vec![1.0, 0.2], vec![0.25, 1.0]]).unwrap_err();
        assert!(err.to_string().contains("symmetric"), "{err}");
        // Asymmetry within 1e-9 is accepted.
        assert!(Copula::new(&[vec![1.0, 0.2], vec![0.2 + 1e-10, 1.0]]).is_ok());
    }

    /// Methods test 8, copula part: 20,000 draws reproduce the target rank
    /// correlations within sampling error, and the marginals (uniform,
    /// lognormal, exponential, via their quantile functions) pass a
    /// one-sample KS test at 1% (D < 1.63/√n).
    #[test]
    fn copula_reproduces_rank_correlations_and_keeps_marginals() {
        let target = vec![
            vec![1.0, 0.6, -0.4],
            vec![0.6, 1.0, -0.1],
            vec![-0.4, -0.1, 1.0],
        ];
        let (copula, repair) = Copula::new(&target).unwrap();
        assert!(repair.is_none());
        let n = 20_000;
        let (mu, sigma) = (6.0, 0.25);
        let mut cols: Vec<Vec<f64>> = (0..3).map(|_| Vec::with_capacity(n)).collect();
        let mut rng = Normals::new(20_240_611);
        let mut z = [0.0; 3];
        for _ in 0..n {
            z.iter_mut().for_each(|x| *x = rng.normal());
            copula.correlate(&mut z);
            let u: Vec<f64> = z.iter().map(|&x| norm_cdf(x)).collect();
            cols[0].push(u[0]);
            cols[1].push((mu + sigma * norm_inv(u[1])).exp());
            cols[2].push(-(1.0 - u[2]).ln() / 0.5);
        }
        // Standard error of Spearman's ρ is about (1 − ρ²)/√n ≤ 0.0071.
        for i in 0..3 {
            for j in i + 1..3 {
                let got = spearman(&cols[i], &cols[j]);
                close(got, target[i][j], 0.025);
            }
        }
        let critical = 1.63 / (n as f64).sqrt();
        let d = [
            ks_statistic(&mut cols[0].clone(), |x| x.clamp(0.0, 1.0)),
            ks_statistic(&mut cols[1].clone(), |x| norm_cdf((x.ln() - mu) / sigma)),
            ks_statistic(&mut cols[2].clone(), |x| 1.0 - (-0.5 * x).exp()),
        ];
        for d in d {
            assert!(d < critical, "KS D = {d}, 1% critical value {critical}");
        }
    }

    #[test]
    fn correlate_applies_the_lower_factor() {
        let target = vec![vec![1.0, 0.5], vec![0.5, 1.0]];
        let (copula, _) = Copula::new(&target).unwrap();
        let r = rank_to_normal_correlation(0.5);
        let mut z = [0.3, -1.2];
        copula.correlate(&mut z);
        close(z[0], 0.3, 1e-15);
        close(z[1], r * 0.3 + (1.0 - r * r).sqrt() * -1.2, 1e-15);
    }
}
