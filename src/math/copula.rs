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
/// entry.
fn validate(a: &[Vec<f64>]) -> Result<()> {
    let n = a.len();
    for (i, row) in a.iter().enumerate() {
        crate::ensure!(
            row.len() == n,
            format!("correlation.matrix[{i}]"),
            format!("a row of {n} entries (the matrix must be square)"),
            format!("{} entries", row.len()),
        );
    }
    for i in 0..n {
        for j in 0..n {
            let v = a[i][j];
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
                for k in 0..n {
                    let (xp, xq) = (m[p][k], m[q][k]);
                    m[p][k] = c * xp - s * xq;
                    m[q][k] = s * xp + c * xq;
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
