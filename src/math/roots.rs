//! Root finding for one real function of one variable: Brent's method on a
//! bracket, and a scan that finds every root of a function on an interval
//! (sign changes and tangent, "double", roots). The time-value-of-money
//! solvers (IRR, XIRR, RATE) are built on these two.

/// What a bracket's ends settle before any step: `Some(Some(end))` when an
/// end is a root, `Some(None)` when the values are not finite or have the
/// same sign, `None` when there is a root to search for inside.
fn settled(a: f64, b: f64, fa: f64, fb: f64) -> Option<Option<f64>> {
    if !(fa.is_finite() && fb.is_finite()) {
        Some(None)
    } else if fa == 0.0 {
        Some(Some(a))
    } else if fb == 0.0 {
        Some(Some(b))
    } else if fa.signum() == fb.signum() {
        Some(None)
    } else {
        None
    }
}

/// Brent's method: a root of `f` in `[a, b]`, given `f(a)` and `f(b)` of
/// opposite signs (or one of them zero). Converges to `xtol` plus a few
/// ulps of the root. Returns `None` when the bracket is not valid or a
/// value is not finite.
pub fn brent(f: impl Fn(f64) -> f64, a: f64, b: f64, fa: f64, fb: f64, xtol: f64) -> Option<f64> {
    if let Some(settled) = settled(a, b, fa, fb) {
        return settled;
    }
    // Brent (1973): inverse quadratic interpolation or secant when it stays
    // well inside the bracket, bisection otherwise; the bracket is (b, c).
    let (mut a, mut b, mut fa, mut fb) = (a, b, fa, fb);
    let (mut c, mut fc) = (b, fb);
    let (mut d, mut e) = (b - a, b - a);
    for _ in 0..200 {
        if fb.signum() == fc.signum() {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * xtol;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return Some(b);
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * xm * s;
                q = 1.0 - s;
            } else {
                let qa = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * xm * qa * (qa - r) - (b - a) * (r - 1.0));
                q = (qa - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            let min1 = 3.0 * xm * q - (tol1 * q).abs();
            let min2 = (e * q).abs();
            if 2.0 * p < min1.min(min2) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b);
        if !fb.is_finite() {
            return None;
        }
    }
    Some(b)
}

/// Newton's method kept inside a bracket: a root of `f` in `[a, b]`, given
/// `f(a)` and `f(b)` of opposite signs (or one of them zero), from `start`
/// in `[a, b]`. `fdf` gives the value and the derivative. A step that would
/// leave the bracket, or that is not at most half the step before last,
/// bisects instead, so it converges wherever Brent's method does; near a
/// simple root it converges quadratically, in a few evaluations where
/// Brent's method from a wide bracket needs a dozen or more. Converges to
/// `xtol` plus a few ulps of the root. Returns `None` when the bracket is
/// not valid or a value is not finite.
pub fn newton_bracketed(
    fdf: impl Fn(f64) -> (f64, f64),
    a: f64,
    b: f64,
    fa: f64,
    fb: f64,
    start: f64,
    xtol: f64,
) -> Option<f64> {
    if let Some(settled) = settled(a, b, fa, fb) {
        return settled;
    }
    // `neg` and `pos` are the bracket's ends where f < 0 and f > 0.
    let (mut neg, mut pos) = if fa < 0.0 { (a, b) } else { (b, a) };
    let mut x = if start >= a.min(b) && start <= a.max(b) {
        start
    } else {
        0.5 * (a + b)
    };
    let (mut step, mut step_before) = ((b - a).abs(), (b - a).abs());
    for _ in 0..200 {
        let (fx, dfx) = fdf(x);
        if !fx.is_finite() {
            return None;
        }
        if fx == 0.0 {
            return Some(x);
        }
        if fx < 0.0 {
            neg = x;
        } else {
            pos = x;
        }
        let (lo, hi) = (neg.min(pos), neg.max(pos));
        let newton = x - fx / dfx;
        let next = if newton > lo && newton < hi && 2.0 * (newton - x).abs() <= step_before {
            newton
        } else {
            0.5 * (lo + hi)
        };
        step_before = step;
        step = (next - x).abs();
        let tol = 2.0 * f64::EPSILON * next.abs() + 0.5 * xtol;
        if step <= tol || hi - lo <= 2.0 * tol {
            return Some(next);
        }
        x = next;
    }
    Some(x)
}

/// Golden-section search for the minimum of `g` on `[a, b]`; returns the
/// abscissa and value of the smallest point seen.
fn golden_min(g: impl Fn(f64) -> f64, mut a: f64, mut b: f64, iters: usize) -> (f64, f64) {
    const INV_PHI: f64 = 0.618_033_988_749_894_8;
    let mut x1 = b - INV_PHI * (b - a);
    let mut x2 = a + INV_PHI * (b - a);
    let (mut g1, mut g2) = (g(x1), g(x2));
    for _ in 0..iters {
        if g1 <= g2 {
            b = x2;
            x2 = x1;
            g2 = g1;
            x1 = b - INV_PHI * (b - a);
            g1 = g(x1);
        } else {
            a = x1;
            x1 = x2;
            g1 = g2;
            x2 = a + INV_PHI * (b - a);
            g2 = g(x2);
        }
        if b - a <= 1e-14 * (1.0 + a.abs()) {
            break;
        }
    }
    if g1 <= g2 {
        (x1, g1)
    } else {
        (x2, g2)
    }
}

/// Every root of `f` on `(lo, hi]`, found on a grid of `n` points of the
/// variable `u` where `x = to_x(u)`.
///
/// `f` returns the function value and a scale (a sum of absolute terms
/// with the same weights) so that a tangent root, where `f` touches zero
/// without changing sign, is recognised when `|f| <= rel_tol * scale` at a
/// local minimum of `|f|`. Adjacent grid points with opposite signs are
/// refined with [`brent`]. A local minimum of `|f|` without a sign change is
/// refined by golden-section search: it is either a tangent root, two close
/// roots (then both are refined), or no root. The scan stops early once
/// `max_roots` roots are known (Descartes' bound). Roots come back sorted,
/// without duplicates.
pub fn all_roots(
    f: impl Fn(f64) -> (f64, f64),
    to_x: impl Fn(f64) -> f64,
    u_lo: f64,
    u_hi: f64,
    n: usize,
    rel_tol: f64,
    max_roots: usize,
) -> Vec<f64> {
    let xtol = 1e-13;
    let fx = |x: f64| f(x).0;
    let step = (u_hi - u_lo) / (n - 1) as f64;
    let u_at = |i: usize| {
        if i + 1 == n {
            u_hi
        } else {
            u_lo + step * i as f64
        }
    };
    let mut roots: Vec<f64> = Vec::new();
    // A sliding window of three grid points: (x, f, scale).
    let mut prev2: Option<(f64, f64, f64)> = None;
    let mut prev: Option<(f64, f64, f64)> = None;
    for i in 0..n {
        if roots.len() >= max_roots {
            break;
        }
        let x = to_x(u_at(i));
        let (v, s) = f(x);
        if !v.is_finite() {
            prev2 = None;
            prev = None;
            continue;
        }
        if v == 0.0 && i > 0 {
            roots.push(x);
        }
        if let Some((xp, vp, _)) = prev {
            if vp != 0.0 && v != 0.0 && vp.signum() != v.signum() {
                if let Some(r) = brent(fx, xp, x, vp, v, xtol) {
                    roots.push(r);
                }
            }
        }
        if let (Some((x0, v0, _)), Some((_, v1, _))) = (prev2, prev) {
            let same_sign = v0.signum() == v1.signum() && v1.signum() == v.signum() && v1 != 0.0;
            if same_sign && v1.abs() <= v0.abs() && v1.abs() <= v.abs() {
                tangent_or_pair(&f, (x0, v0), (x, v), rel_tol, xtol, &mut roots);
            }
        }
        prev2 = prev;
        prev = Some((x, v, s));
    }
    roots.sort_by(f64::total_cmp);
    roots.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * (1.0 + b.abs()));
    roots
}

/// Refines a local minimum of `|f|` between `x0` and `x2` (no sign change
/// on the grid): a tangent root, two roots, or nothing.
fn tangent_or_pair(
    f: &impl Fn(f64) -> (f64, f64),
    (x0, v0): (f64, f64),
    (x2, v2): (f64, f64),
    rel_tol: f64,
    xtol: f64,
    roots: &mut Vec<f64>,
) {
    let sign = v0.signum();
    let (xm, gm) = golden_min(|x| sign * f(x).0, x0, x2, 100);
    if !gm.is_finite() {
        return;
    }
    let fx = |x: f64| f(x).0;
    if gm < 0.0 {
        // Two sign changes inside one grid cell: two simple roots.
        let vm = sign * gm;
        if let Some(r) = brent(fx, x0, xm, v0, vm, xtol) {
            roots.push(r);
        }
        if let Some(r) = brent(fx, xm, x2, vm, v2, xtol) {
            roots.push(r);
        }
    } else {
        let scale = f(xm).1.max(f64::MIN_POSITIVE);
        if gm <= rel_tol * scale {
            roots.push(xm);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_finds_sqrt2() {
        let r = brent(|x| x * x - 2.0, 0.0, 2.0, -2.0, 2.0, 1e-14).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-13);
    }

    #[test]
    fn brent_refuses_a_bad_bracket() {
        assert!(brent(|x| x * x + 1.0, -1.0, 1.0, 2.0, 2.0, 1e-12).is_none());
    }

    #[test]
    fn newton_finds_wallis_root() {
        // Wallis's cubic x³ − 2x − 5, root 2.0945514815423265 (Newton's own
        // example; the digits are those of any reference table).
        let f = |x: f64| (x * x * x - 2.0 * x - 5.0, 3.0 * x * x - 2.0);
        let r = newton_bracketed(f, 2.0, 3.0, -1.0, 16.0, 2.0, 1e-14).unwrap();
        assert!((r - 2.094_551_481_542_326_5).abs() < 1e-14, "{r}");
    }

    #[test]
    fn newton_falls_back_to_bisection_where_newton_alone_diverges() {
        // Newton's method on atan from |x| > 1.39 overshoots further every
        // step, and on the cube root it doubles the distance each step.
        let atan = |x: f64| (x.atan(), 1.0 / (1.0 + x * x));
        let r = newton_bracketed(atan, -1.0, 10.0, (-1f64).atan(), 10f64.atan(), 9.0, 1e-14);
        assert!(r.unwrap().abs() < 1e-13, "{r:?}");
        let cbrt = |x: f64| (x.cbrt(), 1.0 / (3.0 * x.cbrt().powi(2)));
        let r = newton_bracketed(cbrt, -1.0, 3.0, -1.0, 3f64.cbrt(), 0.5, 1e-14);
        assert!(r.unwrap().abs() < 1e-13, "{r:?}");
    }

    #[test]
    fn newton_refuses_a_bad_bracket_and_takes_a_root_at_an_end() {
        let f = |x: f64| (x * x + 1.0, 2.0 * x);
        assert!(newton_bracketed(f, -1.0, 1.0, 2.0, 2.0, 0.0, 1e-12).is_none());
        let g = |x: f64| (x - 1.0, 1.0);
        assert_eq!(
            newton_bracketed(g, 1.0, 2.0, 0.0, 1.0, 1.5, 1e-12),
            Some(1.0)
        );
        let nan = |_: f64| (f64::NAN, 1.0);
        assert!(newton_bracketed(nan, 0.0, 1.0, -1.0, 1.0, 0.5, 1e-12).is_none());
    }

    #[test]
    fn all_roots_finds_simple_and_double_roots() {
        // (x-1)^2 (x-3): a double root at 1, a simple root at 3.
        let f = |x: f64| ((x - 1.0).powi(2) * (x - 3.0), x.abs().powi(3) + 10.0);
        let roots = all_roots(f, |u| u, -2.0, 5.0, 1000, 1e-10, 3);
        assert_eq!(roots.len(), 2, "{roots:?}");
        assert!((roots[0] - 1.0).abs() < 1e-5);
        assert!((roots[1] - 3.0).abs() < 1e-12);
    }
}
