//! Time value of money, with numpy-financial's names and sign convention.
//!
//! Money in is positive, money out negative. `values[0]` is at t = 0 and is
//! not discounted, exactly like `numpy_financial.npv` (and unlike Excel's
//! `NPV()`, which discounts its first argument). Dated functions (`xnpv`,
//! `xirr`) count time as actual/365 days from the earliest date, like Excel
//! and pyxirr.
//!
//! Where numpy-financial answers NaN, these functions say why: an IRR comes
//! back as an [`IrrResult`] with a status (`unique`, `multiple`, `none`),
//! every root found on (−99 %, 1000 %] and a reason; the other solvers
//! return `Option`. Nothing here panics or returns NaN for finite input
//! (except `npv`/`xnpv` at a rate ≤ −1, where discounting is undefined).

use std::fmt;

use chrono::NaiveDate;

use super::roots::{all_roots, brent, newton_bracketed};

/// When payments fall within each period (numpy-financial's `when`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum When {
    /// At the end of each period (`when='end'`, an ordinary annuity).
    #[default]
    End,
    /// At the beginning of each period (`when='begin'`, an annuity due).
    Begin,
}

impl When {
    fn factor(self) -> f64 {
        match self {
            When::End => 0.0,
            When::Begin => 1.0,
        }
    }
}

/// Lowest rate searched for an IRR (excluded): −99 % per period.
pub const IRR_MIN: f64 = -0.99;
/// Highest rate searched for an IRR (included): 1000 % per period.
pub const IRR_MAX: f64 = 10.0;
/// Grid points of the all-roots scan, evenly spaced in log(1 + r).
const GRID_POINTS: usize = 1200;
/// |NPV| relative to the sum of |discounted flows| under which a local
/// minimum of |NPV| counts as a tangent (double) root.
const TANGENT_REL_TOL: f64 = 1e-10;

/// Whether an internal rate of return exists and is unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IrrStatus {
    /// Exactly one root on (−99 %, 1000 %].
    Unique,
    /// Several roots: the IRR is not a usable criterion; rank by NPV or MIRR.
    Multiple,
    /// No root on (−99 %, 1000 %]; the reason says why.
    None,
}

impl fmt::Display for IrrStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IrrStatus::Unique => "unique",
            IrrStatus::Multiple => "multiple",
            IrrStatus::None => "none",
        })
    }
}

/// The outcome of an IRR search: status, every root found (sorted) and,
/// when there is not exactly one root, why.
#[derive(Debug, Clone, PartialEq)]
pub struct IrrResult {
    /// Unique, multiple or none.
    pub status: IrrStatus,
    /// Every root on (−99 %, 1000 %], ascending. Per period for [`irr`],
    /// annual for [`xirr`].
    pub roots: Vec<f64>,
    /// Why the status is not `unique`, or a note on how a unique root was
    /// found among several sign changes.
    pub reason: Option<&'static str>,
}

impl IrrResult {
    /// The IRR when it exists and is unique.
    #[must_use]
    pub fn unique(&self) -> Option<f64> {
        match self.status {
            IrrStatus::Unique => self.roots.first().copied(),
            _ => None,
        }
    }

    fn none(reason: &'static str) -> Self {
        IrrResult {
            status: IrrStatus::None,
            roots: Vec::new(),
            reason: Some(reason),
        }
    }

    fn from_roots(roots: Vec<f64>, sign_changes: usize) -> Self {
        match roots.len() {
            0 => IrrResult::none(
                "the cash flows change sign, but no IRR lies in (-99%, 1000%]",
            ),
            1 => IrrResult {
                status: IrrStatus::Unique,
                roots,
                reason: (sign_changes > 1).then_some(
                    "the cash flows change sign more than once, but only one IRR lies in (-99%, 1000%]",
                ),
            },
            _ => IrrResult {
                status: IrrStatus::Multiple,
                roots,
                reason: Some("several rates set NPV to zero; rank by NPV or MIRR instead"),
            },
        }
    }
}

/// Net present value at `rate` per period; `values[0]` is at t = 0 and is
/// not discounted (numpy-financial's `npv`). `rate` must be > −1.
#[must_use]
pub fn npv(rate: f64, values: &[f64]) -> f64 {
    // Σ v_t·x^t by Horner's rule, in four chains side by side.
    let [v] = sums_by_time(1.0 / (1.0 + rate), values, |v, _| [v]);
    v
}

/// NPV times a positive factor, chosen so nothing overflows for long
/// horizons: `Σ v_t (1+r)^-t` when r ≥ 0, `Σ v_t (1+r)^(T-t)` when r < 0.
/// Same sign and same roots as the NPV on r > −1.
#[inline]
fn scaled_npv(rate: f64, values: &[f64]) -> f64 {
    let [v] = scaled_sums(rate, values, |v, _| [v]);
    v
}

/// [`scaled_npv`] and the same sum of |v_t|, the scale its error is
/// measured against, in one pass.
fn scaled_npv_and_scale(rate: f64, values: &[f64]) -> (f64, f64) {
    let [v, scale] = scaled_sums(rate, values, |v, _| [v, v.abs()]);
    (v, scale)
}

/// [`scaled_npv`] and its derivative in r, in one pass, for Newton's
/// method. With F = Σ v_t·w^p and S = Σ p·v_t·w^p: dF/dr = −w·S when
/// w = 1/(1+r), and S/w when w = 1 + r.
fn scaled_npv_and_slope(rate: f64, values: &[f64]) -> (f64, f64) {
    let [v, s] = scaled_sums(rate, values, |v, p| [v, p * v]);
    if rate >= 0.0 {
        (v, -s / (1.0 + rate))
    } else {
        (v, s / (1.0 + rate))
    }
}

/// `Σ term(v_t, p)·w^p` for each of the K parts of `term`, with the
/// weights of [`scaled_npv`]: w = 1/(1+r) and p = t when r ≥ 0, w = 1 + r
/// and p = T − t when r < 0, so w ≤ 1.
///
/// Root finders evaluate this dozens of times per IRR. One Horner chain is
/// bound by the latency of its multiply-add (each step waits for the last),
/// so the polynomial is split by the residue of its power mod 4 into four
/// chains in w⁴ that run side by side and are joined at the end. The K
/// sums share the pass; each is the same operations in the same order as
/// it would be alone.
#[inline]
fn scaled_sums<const K: usize>(
    rate: f64,
    values: &[f64],
    term: impl Fn(f64, f64) -> [f64; K],
) -> [f64; K] {
    if rate >= 0.0 {
        sums_by_time(1.0 / (1.0 + rate), values, term)
    } else {
        sums_by_time_left(1.0 + rate, values, term)
    }
}

/// `Σ term(v_t, t)·w^t` for each of the K parts of `term`, in four chains.
#[inline]
pub(crate) fn sums_by_time<const K: usize>(
    w: f64,
    values: &[f64],
    term: impl Fn(f64, f64) -> [f64; K],
) -> [f64; K] {
    // From the highest power down: each chunk holds t ascending, so its
    // lane i carries powers ≡ (t mod 4) of the lowest full chunk.
    let chunks = values.rchunks_exact(4);
    let head = chunks.remainder();
    let first = values.len().saturating_sub(4) as f64;
    let acc = four_chains(chunks, w, first, 1.0, &term);
    // Lane i holds powers head.len() + i + 4k.
    let mut p = [0.0; K];
    for (k, p) in p.iter_mut().enumerate() {
        *p = ((acc[3][k] * w + acc[2][k]) * w + acc[1][k]) * w + acc[0][k];
    }
    for (t, &v) in head.iter().enumerate().rev() {
        horner_step(&mut p, w, term(v, t as f64));
    }
    p
}

/// `Σ term(v_t, T − t)·w^(T−t)` for each of the K parts of `term`, in four
/// chains.
#[inline]
fn sums_by_time_left<const K: usize>(
    w: f64,
    values: &[f64],
    term: impl Fn(f64, f64) -> [f64; K],
) -> [f64; K] {
    // t ascending is the power T − t descending.
    let chunks = values.chunks_exact(4);
    let tail = chunks.remainder();
    let first = values.len().saturating_sub(1) as f64;
    let acc = four_chains(chunks, w, first, -1.0, &term);
    // Lane i holds powers tail.len() + 3 − i + 4k.
    let mut p = [0.0; K];
    for (k, p) in p.iter_mut().enumerate() {
        *p = ((acc[0][k] * w + acc[1][k]) * w + acc[2][k]) * w + acc[3][k];
    }
    for (i, &v) in tail.iter().enumerate() {
        horner_step(&mut p, w, term(v, (tail.len() - 1 - i) as f64));
    }
    p
}

/// One step of Horner's rule for each of K sums.
#[inline]
fn horner_step<const K: usize>(p: &mut [f64; K], w: f64, t: [f64; K]) {
    for (p, t) in p.iter_mut().zip(t) {
        *p = *p * w + t;
    }
}

/// Horner's rule in w⁴ over chunks of four, one chain per position in the
/// chunk and part of `term`, from the first chunk (highest powers) to the
/// last. Lane i of the first chunk has power `first + i·lane_step`; each
/// chunk's powers are four below the last's.
#[inline]
fn four_chains<'a, const K: usize>(
    chunks: impl Iterator<Item = &'a [f64]>,
    w: f64,
    first: f64,
    lane_step: f64,
    term: &impl Fn(f64, f64) -> [f64; K],
) -> [[f64; K]; 4] {
    let w4 = (w * w) * (w * w);
    let mut acc = [[0.0f64; K]; 4];
    let mut base = first;
    for c in chunks {
        for (i, (a, &v)) in acc.iter_mut().zip(c).enumerate() {
            let t = term(v, base + i as f64 * lane_step);
            for (a, t) in a.iter_mut().zip(t) {
                *a = *a * w4 + t;
            }
        }
        base -= 4.0;
    }
    acc
}

/// Sign changes in a sequence, zeros skipped (Descartes' rule of signs).
fn sign_changes(values: impl IntoIterator<Item = f64>) -> usize {
    let mut count = SignChanges::default();
    for v in values {
        count.push(v);
    }
    count.changes
}

/// Internal rate of return per period: every rate r in (−99 %, 1000 %] with
/// `npv(r, values) = 0`.
///
/// Cash flows that never change sign have no IRR. By Descartes' rule of
/// signs, flows that change sign once have exactly one root on r > −1; it
/// is bracketed and solved by Newton's method kept in the bracket (the
/// fast path). Flows that change sign more than once are cut into pieces
/// by root bounds, and what stays ambiguous is scanned on a grid in
/// log(1+r); every sign change and tangent root is refined. NPV is
/// evaluated scaled, so horizons of hundreds of periods neither overflow
/// nor underflow.
///
/// ```
/// use terrace::math::tvm::{irr, IrrStatus};
/// let r = irr(&[-100.0, 60.0, 60.0]);
/// assert!((r.unique().unwrap() - 0.130662386).abs() < 1e-9);
/// let m = irr(&[-1600.0, 10000.0, -10000.0]);
/// assert_eq!(m.status, IrrStatus::Multiple);
/// ```
#[must_use]
pub fn irr(values: &[f64]) -> IrrResult {
    if values.iter().any(|v| !v.is_finite()) {
        return IrrResult::none("a cash flow is not a finite number");
    }
    // Leading and trailing zeros change neither the roots on r > −1 nor the
    // sign count, but they would make the scaled NPV underflow.
    let Some(first) = values.iter().position(|&v| v != 0.0) else {
        return IrrResult::none("all cash flows are zero");
    };
    let last = values.iter().rposition(|&v| v != 0.0).unwrap_or(first);
    let changes = sign_changes(values[first..=last].iter().copied());
    if changes == 0 {
        return IrrResult::none("cash flows never change sign");
    }
    // Dividing by the largest magnitude keeps huge amounts from overflowing.
    let big = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let owned: Vec<f64>;
    let flows: &[f64] = if !(1e-100..=1e100).contains(&big) {
        owned = values[first..=last].iter().map(|v| v / big).collect();
        &owned
    } else {
        &values[first..=last]
    };
    if changes >= 2 {
        if let Some(roots) = isolate_roots(flows) {
            return IrrResult::from_roots(roots, changes);
        }
    }
    solve(
        |r| scaled_npv(r, flows),
        |r| scaled_npv_and_scale(r, flows),
        |a, b, fa, fb| newton_on_npv(flows, a, b, fa, fb),
        changes,
        flows[flows.len() - 1],
    )
}

/// The one root of the flows' NPV in a bracket (r_a, r_b) with the NPV's
/// scaled values there, by Newton's method with the slope from the same
/// pass. It starts from the rate in the bracket closest to 0: most IRRs are
/// a few percent per period, and from r = 0 the first step is the ratio of
/// the flows' sum to their time-weighted sum.
fn newton_on_npv(flows: &[f64], a: f64, b: f64, fa: f64, fb: f64) -> Option<f64> {
    let start = 0.0f64.clamp(a.min(b), a.max(b));
    newton_bracketed(
        |r| scaled_npv_and_slope(r, flows),
        a,
        b,
        fa,
        fb,
        start,
        1e-13,
    )
}

/// Root bounds at a pivot rate r₀, from the flows discounted at r₀ (times a
/// positive constant): Descartes' rule applied to the power series
/// Σ S_t x^t of their prefix sums bounds the roots with r > r₀ by the sign
/// changes of the prefix sums (Norstrom's criterion, generalised), and the
/// suffix sums bound the roots with r < r₀ the same way.
#[derive(Debug, Clone, Copy)]
struct Pivot {
    u: f64,
    /// The scaled NPV at r₀ (its sign is the NPV's).
    value: f64,
    /// At most this many roots with r > r₀.
    above: usize,
    /// At most this many roots with r < r₀.
    below: usize,
}

/// Pivot bounds at u = log(1 + r₀).
///
/// The discount weights (1+r₀)^-t span hundreds of orders of magnitude
/// over a long horizon (0.01^239 at −99 % over 240 months, 11^-300 at
/// 1000 %), so summing discounted terms directly underflows and loses the
/// sign changes among the small ones. Each prefix sum is instead carried
/// times (1+r₀)^k, by the recursion R_k = (1+r₀)·R_(k−1) + v_k, and each
/// suffix sum times (1+r₀)^-k from the end; these have the prefix and
/// suffix sums' signs, and [`recurrence_sign_changes`] keeps them in range.
///
/// Where no discounted term can leave the normal range (`reach`, from
/// [`discount_reach`]), the discounted flows are summed directly instead,
/// both ways in one loop: four short independent chains rather than two
/// long ones, the same signs.
fn pivot(flows: &[f64], u: f64, reach: f64) -> Pivot {
    let r = u.exp_m1();
    let (above, below) = if flows.len() as f64 * u.abs() <= reach {
        discounted_sum_sign_changes(flows, 1.0 / (1.0 + r))
    } else {
        (
            recurrence_sign_changes(flows.iter(), 1.0 + r),
            recurrence_sign_changes(flows.iter().rev(), 1.0 / (1.0 + r)),
        )
    };
    Pivot {
        u,
        value: scaled_npv(r, flows),
        above,
        below,
    }
}

/// The largest n·|log(1+r)| at which every nonzero flow discounted by
/// (1+r)^−t for t < n, and every sum of n of them, stays well inside the
/// normal range of f64 (0 when none is safe).
fn discount_reach(flows: &[f64]) -> f64 {
    const LIMIT: f64 = 1e280;
    let (lo, hi) = flows
        .iter()
        .filter(|v| **v != 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v.abs()), hi.max(v.abs()))
        });
    if hi == 0.0 {
        return 0.0;
    }
    let n = flows.len().max(1) as f64;
    (LIMIT / (n * hi)).ln().min((lo * LIMIT).ln()).max(0.0)
}

/// Sign changes (zeros skipped) of the prefix sums Σ_{j≤k} v_j·x^j and of
/// the suffix sums Σ_{j≥k} v_j·x^j, for x = 1/(1+r) with every term in
/// range (see [`discount_reach`]).
fn discounted_sum_sign_changes(flows: &[f64], x: f64) -> (usize, usize) {
    let n = flows.len();
    if n == 0 {
        return (0, 0);
    }
    let (mut prefix, mut suffix) = (SignChanges::default(), SignChanges::default());
    let (mut p, mut q) = (1.0, x.powi(n as i32 - 1));
    let (mut sum_p, mut sum_q) = (0.0, 0.0);
    let up = 1.0 / x;
    for (&a, &b) in flows.iter().zip(flows.iter().rev()) {
        sum_p += a * p;
        sum_q += b * q;
        p *= x;
        q *= up;
        prefix.push(sum_p);
        suffix.push(sum_q);
    }
    (prefix.changes, suffix.changes)
}

/// A running count of sign changes, zeros skipped.
#[derive(Default)]
struct SignChanges {
    last: f64,
    changes: usize,
}

impl SignChanges {
    #[inline]
    fn push(&mut self, v: f64) {
        if v != 0.0 {
            if self.last != 0.0 && v.is_sign_negative() != self.last.is_sign_negative() {
                self.changes += 1;
            }
            self.last = v;
        }
    }
}

/// Sign changes (zeros skipped) of the sequence a_k = m·a_(k−1) + v_k,
/// a_(−1) = 0, for m > 0.
///
/// a_k is held as `acc / unit`, where `unit` is a power of two rescaled
/// whenever |acc| leaves [2^−512, 2^512], so it neither overflows when m > 1
/// nor underflows when m < 1, however long the sequence. What is dropped is
/// below 2^−512 of what is kept, far under the rounding of the sum itself.
fn recurrence_sign_changes<'a>(values: impl Iterator<Item = &'a f64>, m: f64) -> usize {
    const BIG: f64 = 1.340_780_792_994_259_7e154; // 2^512
    const SMALL: f64 = 1.0 / BIG;
    let (mut acc, mut unit) = (0.0f64, 1.0f64);
    let mut count = SignChanges::default();
    for &v in values {
        acc = acc * m + v * unit;
        if !acc.is_finite() {
            // v·unit overflowed, so the carried sum is negligible beside v.
            acc = v;
            unit = 1.0;
        }
        let a = acc.abs();
        if a > BIG {
            acc *= SMALL;
            unit *= SMALL;
        } else if a < SMALL && acc != 0.0 {
            acc *= BIG;
            unit *= BIG;
            if unit.is_infinite() {
                // Below 2^−1024 of the flows' scale: nothing left to carry.
                acc = 0.0;
                unit = 1.0;
            }
        }
        count.push(acc);
    }
    count.changes
}

/// Halvings of log(1+r) after which a piece that may still hold two or more
/// roots is left to the scan. The bounds count roots on either side of a
/// pivot, not within a piece, so near a root of flows that swing with the
/// seasons a whole stretch of rates can stay ambiguous however finely it
/// is cut; bisecting it to the scan's resolution would cost more pivots
/// than the scan has points.
const ISOLATE_DEPTH: u32 = 7;
/// The ambiguous stretches are scanned this many times more finely than
/// [`GRID_POINTS`] spreads over the whole range.
const ISOLATE_SCAN_REFINE: usize = 4;

/// Every root on (−99 %, 1000 %] for flows with several sign changes, by
/// bisecting log(1+r) until each piece holds at most one root by the
/// [`Pivot`] bounds (solved by [`newton_on_npv`]) or none; the pieces that
/// stay ambiguous after [`ISOLATE_DEPTH`] halvings are joined into
/// stretches and scanned, more finely than the full scan would. `None`
/// only when the solver fails on a bracket, so the caller scans the
/// whole range.
fn isolate_roots(flows: &[f64]) -> Option<Vec<f64>> {
    let (u_lo, u_hi) = ((1.0 + IRR_MIN).ln(), (1.0 + IRR_MAX).ln());
    let reach = discount_reach(flows);
    // The first cut is at r = 0 rather than mid-range: there the bounds are
    // the sign changes of the plain cumulative sums (Norström's criterion),
    // which for an investment that pays back once already isolate its one
    // positive root, and show that none lies below zero. The ends' own
    // bounds (two long passes each) are then not needed, only their NPVs:
    // an end whose piece is settled by r = 0 gets no bound of its own
    // (`usize::MAX`, always valid, never the minimum).
    let zero = pivot(flows, 0.0, reach);
    let end = |u: f64, bounds_needed: bool| {
        if bounds_needed {
            pivot(flows, u, reach)
        } else {
            Pivot {
                u,
                value: scaled_npv(u.exp_m1(), flows),
                above: usize::MAX,
                below: usize::MAX,
            }
        }
    };
    // Flows that sum to zero have a root at r = 0 itself, which leaves no
    // sign there to bracket a neighbouring root by: those are cut mid-range.
    let split = zero.value != 0.0;
    let lo = end(u_lo, !split || zero.below >= 2);
    let hi = end(u_hi, !split || zero.above >= 2);
    let mut roots = Vec::new();
    if hi.value == 0.0 {
        roots.push(IRR_MAX);
    }
    // Ambiguous stretches (u_a, u_b], in ascending order: the stack visits
    // the left half of a piece first.
    let mut ambiguous: Vec<(f64, f64)> = Vec::new();
    let mut stack = if split {
        vec![(zero, hi, 0u32), (lo, zero, 0u32)]
    } else {
        vec![(lo, hi, 0u32)]
    };
    while let Some((a, b, depth)) = stack.pop() {
        let bound = a.above.min(b.below);
        if bound == 0 {
            continue;
        }
        if bound == 1 && (a.value == 0.0 || b.value == 0.0) {
            // A cut that lands exactly on a root leaves no sign to bracket
            // a neighbouring one by: scan the piece (before, such a
            // neighbour was lost).
            match ambiguous.last_mut() {
                Some(last) if last.1 == a.u => last.1 = b.u,
                _ => ambiguous.push((a.u, b.u)),
            }
            continue;
        }
        if bound == 1 {
            // At most one root, so a root is simple and shows as a sign change.
            if a.value.signum() != b.value.signum() {
                roots.push(newton_on_npv(
                    flows,
                    a.u.exp_m1(),
                    b.u.exp_m1(),
                    a.value,
                    b.value,
                )?);
            }
            continue;
        }
        if depth >= ISOLATE_DEPTH {
            match ambiguous.last_mut() {
                Some(last) if last.1 == a.u => last.1 = b.u,
                _ => ambiguous.push((a.u, b.u)),
            }
            continue;
        }
        let m = pivot(flows, 0.5 * (a.u + b.u), reach);
        if m.value == 0.0 {
            roots.push(m.u.exp_m1());
        }
        stack.push((m, b, depth + 1));
        stack.push((a, m, depth + 1));
    }
    let step = (u_hi - u_lo) / ((GRID_POINTS - 1) * ISOLATE_SCAN_REFINE) as f64;
    for (ua, ub) in ambiguous {
        // Scan two steps beyond each end, so a tangent root at an end is a
        // local minimum inside the scan; keep only the roots of (ua, ub].
        let n = ((ub - ua) / step).ceil() as usize + 5;
        let found = all_roots(
            |r| scaled_npv_and_scale(r, flows),
            |u: f64| u.exp_m1(),
            ua - 2.0 * step,
            ub + 2.0 * step,
            n,
            TANGENT_REL_TOL,
            usize::MAX,
        );
        let (ra, rb) = (ua.exp_m1(), ub.exp_m1());
        roots.extend(found.into_iter().filter(|&r| r > ra && r <= rb));
    }
    roots.retain(|&r| r > IRR_MIN && r <= IRR_MAX);
    roots.sort_by(f64::total_cmp);
    roots.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * (1.0 + b.abs()));
    Some(roots)
}

/// Roots of a function that has the sign of an NPV on (−1, ∞): the fast
/// path for one sign change, the full scan otherwise. `last_flow` is the
/// latest nonzero flow, whose sign the NPV takes as r → −1. `one_root`
/// solves a bracket (a, b, f(a), f(b)) known to hold the only root.
fn solve(
    f: impl Fn(f64) -> f64,
    f_and_scale: impl Fn(f64) -> (f64, f64),
    one_root: impl Fn(f64, f64, f64, f64) -> Option<f64>,
    changes: usize,
    last_flow: f64,
) -> IrrResult {
    if changes == 1 {
        let (flo, fhi) = (f(IRR_MIN), f(IRR_MAX));
        if fhi == 0.0 {
            return IrrResult::from_roots(vec![IRR_MAX], 1);
        }
        if flo == 0.0 || flo.signum() == fhi.signum() {
            // The one root on r > −1 lies outside the range: it is above
            // the range when NPV at 1000 % still has its sign near r = −1.
            return if flo != 0.0 && fhi.signum() == last_flow.signum() {
                IrrResult::none(
                    "the only IRR is above 1000% per period, outside the searched range",
                )
            } else {
                IrrResult::none(
                    "the only IRR is at or below -99% per period, outside the searched range",
                )
            };
        }
        return match one_root(IRR_MIN, IRR_MAX, flo, fhi) {
            Some(r) => IrrResult::from_roots(vec![r], 1),
            None => IrrResult::none("the root solver did not converge"),
        };
    }
    let roots = all_roots(
        f_and_scale,
        |u: f64| u.exp_m1(),
        (1.0 + IRR_MIN).ln(),
        (1.0 + IRR_MAX).ln(),
        GRID_POINTS,
        TANGENT_REL_TOL,
        changes,
    );
    let roots = roots
        .into_iter()
        .filter(|&r| r > IRR_MIN && r <= IRR_MAX)
        .collect();
    IrrResult::from_roots(roots, changes)
}

/// Modified internal rate of return per period (numpy-financial's
/// formula): `MIRR = (PV₀⁺/|PV₀⁻|)^(1/(n−1))·(1 + reinvest_rate) − 1`,
/// where PV₀⁺ discounts the positive flows at `reinvest_rate`, PV₀⁻ the
/// negative flows at `finance_rate`, and n = `values.len()`. This is
/// methods.md F4 with T = n − 1.
/// `None` when there is no positive or no negative flow, a rate is ≤ −1,
/// or the result is not finite.
#[must_use]
pub fn mirr(values: &[f64], finance_rate: f64, reinvest_rate: f64) -> Option<f64> {
    if finance_rate <= -1.0
        || reinvest_rate <= -1.0
        || !finance_rate.is_finite()
        || !reinvest_rate.is_finite()
    {
        return None;
    }
    let has_pos = values.iter().any(|&v| v > 0.0);
    let has_neg = values.iter().any(|&v| v < 0.0);
    if !(has_pos && has_neg) || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let periods = (values.len() - 1) as f64;
    let (ln_r, ln_f) = (reinvest_rate.ln_1p(), finance_rate.ln_1p());
    let ln_pos = ln_present_value(values, 1.0, reinvest_rate, ln_r);
    let ln_neg = ln_present_value(values, -1.0, finance_rate, ln_f);
    // (FV of the inflows at the reinvestment rate / PV of the outflows at
    // the finance rate)^(1/periods) − 1, in logs: the FV is PV·(1+rr)^periods.
    let m = ((ln_pos - ln_neg) / periods + ln_r).exp_m1();
    m.is_finite().then_some(m)
}

/// ln Σ_t max(sign·v_t, 0)·(1 + rate)^-t, where `ln_1r` is ln(1 + rate).
///
/// Horner's rule over the flows scaled by their largest is exact enough and
/// cheap while no discount factor leaves f64's normal range; beyond that (a
/// series of thousands of periods) the terms are summed in logs, so a flow
/// far out still counts instead of underflowing to 0.
fn ln_present_value(values: &[f64], sign: f64, rate: f64, ln_1r: f64) -> f64 {
    let amounts = values.iter().map(|&v| (sign * v).max(0.0));
    let big = amounts.clone().fold(0.0f64, f64::max);
    let periods = (values.len() - 1) as f64;
    if periods * ln_1r.abs() < 600.0 {
        let x = 1.0 / (1.0 + rate);
        let sum = amounts.rev().fold(0.0, |acc, a| acc * x + a / big);
        sum.ln() + big.ln()
    } else {
        ln_sum_exp(amounts.enumerate().map(|(t, a)| a.ln() - t as f64 * ln_1r))
    }
}

/// ln Σ e^(l_i), one term at a time, without overflow or underflow
/// (terms of −∞, amounts of 0, are skipped; −∞ when every term is).
pub(crate) fn ln_sum_exp(logs: impl Iterator<Item = f64>) -> f64 {
    // The sum is held as e^top·rest with top the largest term so far.
    let (mut top, mut rest) = (f64::NEG_INFINITY, 0.0);
    for l in logs.filter(|l| *l > f64::NEG_INFINITY) {
        if l <= top {
            rest += (l - top).exp();
        } else {
            rest = rest * (top - l).exp() + 1.0;
            top = l;
        }
    }
    top + rest.ln()
}

/// Years from `from` to `to`, actual/365.
fn years(from: NaiveDate, to: NaiveDate) -> f64 {
    (to - from).num_days() as f64 / 365.0
}

/// Net present value of dated flows at an annual `rate`, discounted to the
/// earliest date with actual/365 year fractions (Excel's and pyxirr's
/// `XNPV`). `rate` must be > −1. The flows need not be sorted.
#[must_use]
pub fn xnpv(rate: f64, flows: &[(NaiveDate, f64)]) -> f64 {
    let Some(start) = flows.iter().map(|f| f.0).min() else {
        return 0.0;
    };
    let ln1r = (1.0 + rate).ln();
    flows
        .iter()
        .map(|&(d, a)| a * (-ln1r * years(start, d)).exp())
        .sum()
}

/// Annual internal rate of return of dated flows (Excel's `XIRR`): every
/// annual rate in (−99 %, 1000 %] with `xnpv = 0`. Flows on the same date
/// are added; the same sign rule and solvers as [`irr`] apply (Descartes'
/// rule holds for sums of exponentials).
#[must_use]
pub fn xirr(flows: &[(NaiveDate, f64)]) -> IrrResult {
    if flows.iter().any(|f| !f.1.is_finite()) {
        return IrrResult::none("a cash flow is not a finite number");
    }
    let mut sorted: Vec<(NaiveDate, f64)> = flows.to_vec();
    sorted.sort_by_key(|f| f.0);
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(sorted.len());
    let Some(start) = sorted.first().map(|f| f.0) else {
        return IrrResult::none("all cash flows are zero");
    };
    let big = sorted.iter().fold(0.0f64, |m, f| m.max(f.1.abs()));
    for (d, a) in sorted {
        let t = years(start, d);
        match merged.last_mut() {
            Some(last) if last.0 == t => last.1 += a / big,
            _ => merged.push((t, a / big)),
        }
    }
    merged.retain(|f| f.1 != 0.0);
    if merged.is_empty() {
        return IrrResult::none("all cash flows are zero");
    }
    let changes = sign_changes(merged.iter().map(|f| f.1));
    if changes == 0 {
        return IrrResult::none("cash flows never change sign");
    }
    let (t0, tn) = (merged[0].0, merged[merged.len() - 1].0);
    // Scaled like `scaled_npv`: exponents are never positive.
    let eval = |r: f64| -> (f64, f64) {
        let l = (1.0 + r).ln();
        merged.iter().fold((0.0, 0.0), |(s, abs), &(t, a)| {
            let w = if r >= 0.0 {
                (-l * (t - t0)).exp()
            } else {
                (l * (tn - t)).exp()
            };
            (s + a * w, abs + a.abs() * w)
        })
    };
    let one_root = |a, b, fa, fb| brent(|r| eval(r).0, a, b, fa, fb, 1e-13);
    solve(
        |r| eval(r).0,
        eval,
        one_root,
        changes,
        merged[merged.len() - 1].1,
    )
}

/// The constant payment per period that repays `pv` (and leaves `fv`) over
/// `nper` periods at `rate` per period (numpy-financial's `pmt`).
/// `None` when undefined (`nper` = 0, `rate` ≤ −1) or not finite.
///
/// ```
/// use terrace::math::tvm::{pmt, When};
/// // methods.md test 1: 1000 at 1 % a month over 12 months.
/// assert!((pmt(0.01, 12.0, 1000.0, 0.0, When::End).unwrap() + 88.8488).abs() < 1e-4);
/// ```
#[must_use]
pub fn pmt(rate: f64, nper: f64, pv: f64, fv: f64, when: When) -> Option<f64> {
    if rate <= -1.0 {
        return None;
    }
    let temp = (1.0 + rate).powf(nper);
    let fact = annuity_factor(rate, nper, temp, when);
    finite(-(fv + pv * temp) / fact)
}

/// `(1 + r·when)·((1+r)^n − 1)/r`, or `n` at r = 0.
fn annuity_factor(rate: f64, nper: f64, temp: f64, when: When) -> f64 {
    if rate == 0.0 {
        nper
    } else {
        (1.0 + rate * when.factor()) * (temp - 1.0) / rate
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Future value after `nper` periods of `pv` and payments `pmt` at `rate`
/// (numpy-financial's `fv`). `None` when `rate` ≤ −1 or not finite.
#[must_use]
pub fn fv(rate: f64, nper: f64, pmt: f64, pv: f64, when: When) -> Option<f64> {
    if rate <= -1.0 {
        return None;
    }
    let temp = (1.0 + rate).powf(nper);
    finite(-(pv * temp + pmt * annuity_factor(rate, nper, temp, when)))
}

/// Present value of `nper` payments `pmt` and a final `fv` at `rate`
/// (numpy-financial's `pv`). `None` when `rate` ≤ −1 or not finite.
#[must_use]
pub fn pv(rate: f64, nper: f64, pmt: f64, fv: f64, when: When) -> Option<f64> {
    if rate <= -1.0 {
        return None;
    }
    let temp = (1.0 + rate).powf(nper);
    finite(-(fv + pmt * annuity_factor(rate, nper, temp, when)) / temp)
}

/// Number of periods for payments `pmt` to take `pv` to `fv` at `rate`
/// (numpy-financial's `nper`). At `rate` = 0 this is `−(fv + pv)/pmt`
/// (numpy-financial 1.0 returns `(−fv + pv)/pmt` for a scalar zero rate, a
/// known slip). `None` when there is no solution.
#[must_use]
pub fn nper(rate: f64, pmt: f64, pv: f64, fv: f64, when: When) -> Option<f64> {
    if rate <= -1.0 {
        return None;
    }
    if rate == 0.0 {
        return finite(-(fv + pv) / pmt);
    }
    let z = pmt * (1.0 + rate * when.factor()) / rate;
    let ratio = (-fv + z) / (pv + z);
    if ratio <= 0.0 {
        return None;
    }
    finite(ratio.ln() / (1.0 + rate).ln())
}

/// Interest part of the payment in period `per` (1-based, like
/// numpy-financial's `ipmt`). `None` unless 1 ≤ `per` ≤ `nper` and the
/// result is finite.
#[must_use]
pub fn ipmt(rate: f64, per: f64, nper: f64, pv: f64, fv: f64, when: When) -> Option<f64> {
    if !(per >= 1.0 && per <= nper) {
        return None;
    }
    let total = pmt(rate, nper, pv, fv, when)?;
    // Balance after per − 1 periods, times the rate.
    let balance = self::fv(rate, per - 1.0, total, pv, when)?;
    let interest = balance * rate;
    match when {
        When::End => finite(interest),
        When::Begin if per == 1.0 => Some(0.0),
        When::Begin => finite(interest / (1.0 + rate)),
    }
}

/// Principal part of the payment in period `per` (1-based): `pmt − ipmt`
/// (numpy-financial's `ppmt`).
#[must_use]
pub fn ppmt(rate: f64, per: f64, nper: f64, pv: f64, fv: f64, when: When) -> Option<f64> {
    finite(pmt(rate, nper, pv, fv, when)? - ipmt(rate, per, nper, pv, fv, when)?)
}

/// The rate per period at which `nper` payments `pmt` take `pv` to `fv`
/// (numpy-financial's `rate`). numpy-financial runs Newton from 0.1 and
/// returns NaN when it fails; this brackets every solution on
/// (−99 %, 1000 %] and returns the one closest to 0.1, or `None` when there
/// is none.
#[must_use]
pub fn rate(nper: f64, pmt: f64, pv: f64, fv: f64, when: When) -> Option<f64> {
    if !(nper > 0.0 && nper.is_finite() && pmt.is_finite() && pv.is_finite() && fv.is_finite()) {
        return None;
    }
    let w = when.factor();
    let big = pmt.abs().max(pv.abs()).max(fv.abs());
    if big == 0.0 {
        return None;
    }
    let (pmt, pv, fv) = (pmt / big, pv / big, fv / big);
    // fv + pv·(1+r)^n + pmt·(1+r·w)·((1+r)^n − 1)/r, divided by (1+r)^n
    // when r > 0 so nothing overflows; the sum of |terms| is the scale.
    let f = |r: f64| -> (f64, f64) {
        let terms = if r > 0.0 {
            let d = (1.0 + r).powf(-nper);
            [fv * d, pv, pmt * (1.0 + r * w) * (1.0 - d) / r]
        } else {
            let temp = (1.0 + r).powf(nper);
            let a = if r == 0.0 { nper } else { (temp - 1.0) / r };
            [fv, pv * temp, pmt * (1.0 + r * w) * a]
        };
        (terms.iter().sum(), terms.iter().map(|t| t.abs()).sum())
    };
    let roots = all_roots(
        f,
        |u: f64| u.exp_m1(),
        (1.0 + IRR_MIN).ln(),
        (1.0 + IRR_MAX).ln(),
        GRID_POINTS,
        TANGENT_REL_TOL,
        usize::MAX,
    );
    roots
        .into_iter()
        .filter(|&r| r > IRR_MIN && r <= IRR_MAX)
        .min_by(|a, b| (a - 0.1).abs().total_cmp(&(b - 0.1).abs()))
}

/// Payback period: the smallest t at which the cumulative sum of `values`,
/// having been negative, reaches zero, interpolated linearly within the
/// period where it crosses (methods.md F5). `Some(0.0)` when the cumulative
/// sum is never negative; `None` when it never recovers.
#[must_use]
pub fn payback(values: &[f64]) -> Option<f64> {
    payback_at(values.iter().enumerate().map(|(t, &v)| (t as f64, v)))
}

/// [`payback`] on flows discounted at `rate` per period.
#[must_use]
pub fn discounted_payback(rate: f64, values: &[f64]) -> Option<f64> {
    if rate <= -1.0 || !rate.is_finite() {
        return None;
    }
    let x = 1.0 / (1.0 + rate);
    let mut df = 1.0;
    payback_at(values.iter().enumerate().map(|(t, &v)| {
        let d = v * df;
        df *= x;
        (t as f64, d)
    }))
}

/// Payback over (time, amount) pairs in time order: the first time the
/// cumulative sum, having been negative, reaches zero, interpolated between
/// the previous time and the time of the flow that crosses.
pub fn payback_at(flows: impl IntoIterator<Item = (f64, f64)>) -> Option<f64> {
    let mut cum = 0.0;
    let mut prev_t = 0.0;
    let mut was_negative = false;
    for (t, v) in flows {
        if !v.is_finite() {
            return None;
        }
        let next = cum + v;
        if was_negative && next >= 0.0 {
            // cum < 0 ≤ next, so v > 0 and the fraction is in (0, 1].
            let frac = (-cum / v).clamp(0.0, 1.0);
            return finite(prev_t + frac * (t - prev_t));
        }
        if next < 0.0 {
            was_negative = true;
        }
        cum = next;
        prev_t = t;
    }
    if was_negative {
        None
    } else {
        Some(0.0)
    }
}

/// Benefit–cost ratio at `rate` per period: PV of the positive flows over
/// PV of the absolute negative flows (methods.md F5). `None` when there is
/// no cost, `rate` ≤ −1 or the result is not finite.
#[must_use]
pub fn benefit_cost_ratio(rate: f64, values: &[f64]) -> Option<f64> {
    if rate <= -1.0 || !rate.is_finite() || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let big = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if big == 0.0 {
        return None;
    }
    let x = 1.0 / (1.0 + rate);
    let (mut b, mut c) = (0.0, 0.0);
    for &v in values.iter().rev() {
        let v = v / big;
        b = b * x + v.max(0.0);
        c = c * x - v.min(0.0);
    }
    if c == 0.0 {
        return None;
    }
    finite(b / c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// |NPV| at `r` relative to Σ|v_t|(1+r)^-t, evaluated scaled.
    fn relative_residual(r: f64, values: &[f64]) -> f64 {
        let (v, s) = scaled_npv_and_scale(r, values);
        v.abs() / s.max(f64::MIN_POSITIVE)
    }

    #[test]
    fn pmt_methods_test_1() {
        // methods.md test 1: PMT(1 %, 12, 1000) = −88.8488;
        // numpy_financial.pmt(0.01, 12, 1000) = -88.84878867834168.
        let p = pmt(0.01, 12.0, 1000.0, 0.0, When::End).unwrap();
        assert!(close(p, -88.84878867834168, 1e-12));
        assert!((p + 88.8488).abs() < 5e-5);
    }

    #[test]
    fn numpy_financial_doc_examples() {
        // numpy-financial 1.0.0 docstring examples, values printed by
        // numpy_financial itself (pip install numpy-financial==1.0.0).
        let r = 0.05 / 12.0;
        assert!(close(
            fv(r, 120.0, -100.0, -100.0, When::End).unwrap(),
            15692.928894335748,
            1e-12
        ));
        assert!(close(
            fv(r, 120.0, -100.0, -100.0, When::Begin).unwrap(),
            15757.629844104778,
            1e-12
        ));
        assert!(close(
            pv(r, 120.0, -100.0, 15692.93, When::End).unwrap(),
            -100.00067131625819,
            1e-10
        ));
        assert!(close(
            pv(r, 120.0, -100.0, 15692.93, When::Begin).unwrap(),
            -60.71677534615883,
            1e-10
        ));
        let r = 0.075 / 12.0;
        assert!(close(
            pmt(r, 180.0, 200000.0, 0.0, When::End).unwrap(),
            -1854.0247200054619,
            1e-12
        ));
        assert!(close(
            pmt(r, 180.0, 200000.0, 0.0, When::Begin).unwrap(),
            -1842.5090385147448,
            1e-12
        ));
        assert!(close(
            pmt(0.05 / 12.0, 60.0, 1000.0, 500.0, When::End).unwrap(),
            -26.223517132683153,
            1e-12
        ));
        let r = 0.07 / 12.0;
        assert!(close(
            nper(r, -150.0, 8000.0, 0.0, When::End).unwrap(),
            64.07334877,
            1e-9
        ));
        assert!(close(
            nper(r, -150.0, 8000.0, 0.0, When::Begin).unwrap(),
            63.62363537,
            1e-9
        ));
        // Zero rate: the algebraic answer −(fv + pv)/pmt = 53.33; numpy-financial
        // 1.0.0's scalar branch returns −53.33 (sign slip), so 53.33 is checked
        // against the formula in its own docstring: fv + pv + pmt·nper = 0.
        assert!(close(
            nper(0.0, -150.0, 8000.0, 0.0, When::End).unwrap(),
            8000.0 / 150.0,
            1e-15
        ));
        assert!(close(
            rate(10.0, 0.0, -3500.0, 10000.0, When::End).unwrap(),
            0.11069085371426901,
            1e-9
        ));
        assert!(close(
            rate(60.0, -200.0, 10000.0, 0.0, When::End).unwrap(),
            0.006183413162128821,
            1e-9
        ));
        assert!(close(
            rate(60.0, -200.0, 10000.0, 0.0, When::Begin).unwrap(),
            0.006407985778706601,
            1e-9
        ));
        assert!(close(
            npv(0.08, &[-40000.0, 5000.0, 8000.0, 12000.0, 30000.0]),
            3065.2226681795255,
            1e-12
        ));
    }

    #[test]
    fn ipmt_ppmt_amortisation_table() {
        // numpy-financial ipmt docstring: 2500 at 8.24 %/12 over 12 months;
        // numpy_financial.ipmt / ppmt for per = 1..12.
        let ip = [
            -17.16666667,
            -15.78933746,
            -14.40255059,
            -13.00624111,
            -11.60034365,
            -10.18479236,
            -8.75952094,
            -7.32446267,
            -5.87955032,
            -4.42471625,
            -2.95989231,
            -1.48500992,
        ];
        let pp = [
            -200.58192368678277,
            -201.95925289609866,
            -203.34603976598518,
            -204.7423492390449,
            -206.1482467038197,
            -207.56379799785256,
            -208.98906941077112,
            -210.42412768739175,
            -211.86904003084513,
            -213.3238741057236,
            -214.78869804124955,
            -216.2635804344661,
        ];
        let r = 0.0824 / 12.0;
        for per in 1..=12 {
            let i = ipmt(r, per as f64, 12.0, 2500.0, 0.0, When::End).unwrap();
            let p = ppmt(r, per as f64, 12.0, 2500.0, 0.0, When::End).unwrap();
            assert!((i - ip[per - 1]).abs() < 1e-8, "ipmt {per}: {i}");
            assert!(close(p, pp[per - 1], 1e-12), "ppmt {per}: {p}");
        }
        // when='begin': numpy_financial.ipmt(.., per, 12, 2500, when='begin').
        assert_eq!(ipmt(r, 1.0, 12.0, 2500.0, 0.0, When::Begin), Some(0.0));
        assert!((ipmt(r, 2.0, 12.0, 2500.0, 0.0, When::Begin).unwrap() + 15.68165675).abs() < 1e-8);
        assert!((ipmt(r, 12.0, 12.0, 2500.0, 0.0, When::Begin).unwrap() + 1.47488239).abs() < 1e-8);
        assert!(close(
            ppmt(r, 1.0, 12.0, 2500.0, 0.0, When::Begin).unwrap(),
            -216.2635804344661,
            1e-12
        ));
        assert!(close(
            ppmt(r, 12.0, 12.0, 2500.0, 0.0, When::Begin).unwrap(),
            -214.78869804124952,
            1e-12
        ));
        assert_eq!(ipmt(r, 0.0, 12.0, 2500.0, 0.0, When::End), None);
        assert_eq!(ipmt(r, 13.0, 12.0, 2500.0, 0.0, When::End), None);
    }

    #[test]
    fn irr_methods_test_3() {
        // methods.md test 3: [−100, 60, 60] → 13.0662 %;
        // numpy_financial.irr gives 0.1306623862918075.
        let r = irr(&[-100.0, 60.0, 60.0]);
        assert_eq!(r.status, IrrStatus::Unique);
        assert!(close(r.unique().unwrap(), 0.1306623862918075, 1e-12));
        // numpy-financial irr docstring examples.
        let cases: [(&[f64], f64); 2] = [
            (&[-100.0, 39.0, 59.0, 55.0, 20.0], 0.28094842115996066),
            (&[-100.0, 0.0, 0.0, 74.0], -0.0954958303489728),
        ];
        for (v, want) in cases {
            let got = irr(v);
            assert_eq!(got.status, IrrStatus::Unique, "{v:?}: {got:?}");
            assert!(close(got.unique().unwrap(), want, 1e-10), "{v:?}: {got:?}");
        }
    }

    #[test]
    fn irr_reports_every_root_where_numpy_financial_returns_one() {
        // numpy-financial's docstring example [−5, 10.5, 1, −8, 1] returns
        // 0.08859833852775534; numpy.roots on the same polynomial in
        // x = 1/(1+r) shows two more real roots with r > −1:
        // −0.8702012474847411 and 0.7095595276861841.
        let r = irr(&[-5.0, 10.5, 1.0, -8.0, 1.0]);
        assert_eq!(r.status, IrrStatus::Multiple);
        let want = [-0.8702012474847411, 0.08859833852775534, 0.7095595276861841];
        assert_eq!(r.roots.len(), 3);
        for (g, w) in r.roots.iter().zip(want) {
            assert!(close(*g, w, 1e-10), "{r:?}");
        }
    }

    #[test]
    fn irr_reports_both_roots_of_the_classic_pump_example() {
        // methods.md test 3: [−1600, 10000, −10000] must return 25 % and
        // 400 % (numpy_financial.irr finds 0.25, pyxirr.irr finds 4.0).
        let v = [-1600.0, 10000.0, -10000.0];
        let r = irr(&v);
        assert_eq!(r.status, IrrStatus::Multiple);
        assert_eq!(r.unique(), None);
        assert_eq!(r.roots.len(), 2);
        assert!(close(r.roots[0], 0.25, 1e-12));
        assert!(close(r.roots[1], 4.0, 1e-12));
        assert_eq!(r.status.to_string(), "multiple");
        for &root in &r.roots {
            assert!(npv(root, &v).abs() < 1e-8);
        }
    }

    #[test]
    fn irr_finds_three_roots() {
        // Coefficients of (x − 1/1.1)(x − 1/1.3)(x − 1/2) in x = 1/(1+r),
        // from numpy.poly: roots at r = 10 %, 30 %, 100 %.
        let v = [
            -0.34965034965034963,
            1.5384615384615383,
            -2.1783216783216783,
            1.0,
        ];
        let r = irr(&v);
        assert_eq!(r.status, IrrStatus::Multiple);
        assert_eq!(r.roots.len(), 3, "{r:?}");
        for (got, want) in r.roots.iter().zip([0.1, 0.3, 1.0]) {
            assert!(close(*got, want, 1e-9), "{r:?}");
        }
    }

    #[test]
    fn a_root_exactly_at_zero_is_reported_once_beside_the_others() {
        // −100 + 150x + 50x² − 100x³ = (x − 1)(−100x² − 50x + 100) in
        // x = 1/(1+r): roots at r = 0 and at x = (√17 − 1)/4, r = 4/(√17 − 1) − 1.
        let r = irr(&[-100.0, 150.0, 50.0, -100.0]);
        let other = 4.0 / (17.0_f64.sqrt() - 1.0) - 1.0;
        assert_eq!(r.roots.len(), 2, "{r:?}");
        assert!(r.roots[0].abs() < 1e-12, "{r:?}");
        assert!(close(r.roots[1], other, 1e-9), "{r:?}");
        // A double root at zero: −100(1 − x)².
        let r = irr(&[-100.0, 200.0, -100.0]);
        assert_eq!(r.roots.len(), 1, "{r:?}");
        assert!(r.roots[0].abs() < 1e-6, "{r:?}");
    }

    #[test]
    fn irr_finds_a_tangent_root() {
        // (1 − x)² with x = 1/(1+r): NPV touches zero at r = 0 only.
        let r = irr(&[1.0, -2.0, 1.0]);
        assert_eq!(r.status, IrrStatus::Unique, "{r:?}");
        assert!(r.roots[0].abs() < 1e-4, "{r:?}");
        assert!(r.reason.is_some());
        // Regression: a tangent root at the edge of a bisection piece was
        // missed when the dense fallback scanned only that piece.
        // (1 − 1.2x)²: double root at r = 20 %; times (1 − 2x): simple root
        // at r = 100 %.
        let r = irr(&[1.0, -2.4, 1.44]);
        assert_eq!(r.status, IrrStatus::Unique, "{r:?}");
        assert!((r.roots[0] - 0.2).abs() < 1e-4, "{r:?}");
        let r = irr(&[1.0, -4.4, 6.24, -2.88]);
        assert_eq!(r.status, IrrStatus::Multiple, "{r:?}");
        assert!(
            (r.roots[0] - 0.2).abs() < 1e-4 && (r.roots[1] - 1.0).abs() < 1e-9,
            "{r:?}"
        );
    }

    #[test]
    fn irr_explains_why_there_is_none() {
        assert_eq!(irr(&[]).reason, Some("all cash flows are zero"));
        assert_eq!(irr(&[0.0, 0.0]).reason, Some("all cash flows are zero"));
        assert_eq!(irr(&[100.0]).reason, Some("cash flows never change sign"));
        let r = irr(&[-100.0, -5.0, 0.0]);
        assert_eq!(r.status, IrrStatus::None);
        assert_eq!(r.reason, Some("cash flows never change sign"));
        assert_eq!(r.status.to_string(), "none");
        // One sign change, the root far above 1000 %: −1 + 1e6 at t = 1.
        let r = irr(&[-1.0, 1e6]);
        assert_eq!(r.status, IrrStatus::None);
        assert!(r.reason.unwrap().contains("above 1000%"));
        // Root at −99.9 %: −1000 then 1.
        let r = irr(&[-1000.0, 1.0]);
        assert!(r.reason.unwrap().contains("below -99%"), "{r:?}");
        // Two sign changes, NPV < 0 everywhere: −1, 1, −1.
        let r = irr(&[-1.0, 1.0, -1.0]);
        assert_eq!(r.status, IrrStatus::None);
        assert!(r.reason.unwrap().contains("no IRR lies"));
    }

    #[test]
    fn irr_over_360_periods_neither_overflows_nor_underflows() {
        // numpy_financial.irr = 0.008604281802637503, pyxirr.irr =
        // 0.008604281802642885 for −100000, 359 × 900, 5000.
        let mut v = vec![-100000.0];
        v.extend(std::iter::repeat_n(900.0, 359));
        v.push(5000.0);
        let r = irr(&v);
        assert!(close(r.unique().unwrap(), 0.0086042818026, 1e-9), "{r:?}");
        assert!(close(npv(0.005, &v), 50793.224858060974, 1e-11));
        // numpy_financial.mirr(v, 0.005, 0.004) = 0.005521925814325979.
        assert!(close(
            mirr(&v, 0.005, 0.004).unwrap(),
            0.005521925814325979,
            1e-10
        ));
        // Same with 2000 leading and trailing zeros.
        let mut w = vec![0.0; 2000];
        w.extend(&v);
        w.extend(vec![0.0; 2000]);
        assert!(close(irr(&w).unique().unwrap(), 0.0086042818026, 1e-9));
    }

    /// Flows whose NPV is (x − x₁)…(x − x_k)·(1 + x + … + x^(n−1)) in
    /// x = 1/(1 + r), with x_i = 1/(1 + r_i): the IRRs are the chosen r_i by
    /// construction (the second factor has no positive real root).
    fn flows_with_roots(rates: &[f64], n: usize) -> Vec<f64> {
        let mut poly = vec![1.0];
        for &r in rates {
            let xi = 1.0 / (1.0 + r);
            // Multiply by (x − x_i); coefficient t is the flow at time t.
            let mut next = vec![0.0; poly.len() + 1];
            for (t, &c) in poly.iter().enumerate() {
                next[t] -= xi * c;
                next[t + 1] += c;
            }
            poly = next;
        }
        let mut v = vec![0.0; poly.len() + n - 1];
        for (t, &c) in poly.iter().enumerate() {
            for w in &mut v[t..t + n] {
                *w += c;
            }
        }
        v
    }

    #[test]
    fn irr_finds_every_chosen_root_over_long_monthly_horizons() {
        // Regression (issue 5): over 240 monthly periods the root bounds at
        // −99 % underflowed (0.01^239), so isolation gave up and every such
        // loan paid for the full scan. The roots come from the construction.
        for (rates, n) in [
            (&[0.005, 0.02, 0.08][..], 240),
            (&[-0.3, 0.01, 0.015, 2.5][..], 360),
            (&[-0.95, 0.004, 0.03, 0.3, 9.0][..], 480),
        ] {
            let v = flows_with_roots(rates, n);
            assert!(sign_changes(v.iter().copied()) >= 2);
            let fast = isolate_roots(&v).expect("bounds hold over long horizons");
            let r = irr(&v);
            assert_eq!(r.status, IrrStatus::Multiple, "{r:?}");
            assert_eq!(r.roots, fast);
            assert_eq!(r.roots.len(), rates.len(), "{rates:?}: {r:?}");
            for (got, want) in r.roots.iter().zip(rates) {
                assert!(close(*got, *want, 1e-9), "{rates:?}: {r:?}");
            }
        }
    }

    #[test]
    fn recurrence_sign_changes_survives_extreme_weights() {
        // At −99 % (m = 0.01) the carried part shrinks a hundredfold a step,
        // yet each flow of 1, −2, 2, −2, … still flips the sign.
        let v: Vec<f64> = (0..1000)
            .map(|t| match t {
                0 => 1.0,
                t if t % 2 == 0 => 2.0,
                _ => -2.0,
            })
            .collect();
        assert_eq!(recurrence_sign_changes(v.iter(), 0.01), 999);
        // −1 carried across 998 zeros halving each step is −2^−998 ≈
        // −3.7e−301, far below where a directly discounted term underflows
        // relative to the first; a last flow of 1e−300 still flips it,
        // 1e−301 does not.
        let mut w = vec![0.0; 1000];
        w[0] = -1.0;
        w[999] = 1e-300;
        assert_eq!(recurrence_sign_changes(w.iter(), 0.5), 1);
        w[999] = 1e-301;
        assert_eq!(recurrence_sign_changes(w.iter(), 0.5), 0);
        // −1e−300 doubled 999 times is −5.3575…: a last flow of 6 flips it,
        // 5 does not.
        w[0] = -1e-300;
        w[999] = 6.0;
        assert_eq!(recurrence_sign_changes(w.iter(), 2.0), 1);
        w[999] = 5.0;
        assert_eq!(recurrence_sign_changes(w.iter(), 2.0), 0);
    }

    #[test]
    fn mirr_of_long_series_and_extreme_amounts() {
        // −1 now and 5 after N periods: the inflow's FV is 5 whatever the
        // reinvestment rate and the outflow's PV is 1, so MIRR = 5^(1/N) − 1.
        // Discounting 5 over 10,000 periods at 10 % underflowed to 0 (MIRR
        // −1) from about 7,500 periods on.
        for n in [10, 1_000, 7_000, 8_000, 100_000] {
            let mut v = vec![0.0; n + 1];
            v[0] = -1.0;
            v[n] = 5.0;
            for (f, r) in [(0.1, 0.1), (0.05, 0.2), (-0.5, -0.5)] {
                let want = 5f64.powf(1.0 / n as f64) - 1.0;
                let got = mirr(&v, f, r).unwrap();
                assert!(
                    close(got, want, 1e-12),
                    "n {n}, rates {f} {r}: {got} vs {want}"
                );
            }
        }
        // Inflows 1e-600 of the outflow (each ±1e±300): over 1,000 periods
        // that is a ratio of (1e-600)^(1/1000), not 0.
        let mut v = vec![0.0; 1001];
        v[0] = -1e300;
        v[1000] = 1e-300;
        let want = (-600.0 * 10f64.ln() / 1000.0).exp_m1();
        assert!(close(mirr(&v, 0.1, 0.1).unwrap(), want, 1e-12));
    }

    #[test]
    fn ln_sum_exp_is_the_log_of_the_sum() {
        let got = ln_sum_exp([0.0, 1.0, -2.0, f64::NEG_INFINITY].into_iter());
        let want = (1.0 + 1f64.exp() + (-2f64).exp()).ln();
        assert!(close(got, want, 1e-15));
        assert!(close(
            ln_sum_exp([1000.0, 1000.0].into_iter()),
            1000.0 + 2f64.ln(),
            1e-15
        ));
        assert_eq!(ln_sum_exp(std::iter::empty()), f64::NEG_INFINITY);
    }

    #[test]
    fn mirr_published_examples() {
        // Excel MIRR doc (methods.md test 3): 12.609 %;
        // numpy_financial.mirr gives 0.1260941303659051.
        let v = [-120000.0, 39000.0, 30000.0, 21000.0, 37000.0, 46000.0];
        assert!(close(
            mirr(&v, 0.10, 0.12).unwrap(),
            0.1260941303659051,
            1e-12
        ));
        // MathWorks `mirr` doc: mirr([-100000 20000 -10000 30000 38000 50000],
        // 0.09, 0.12) = 0.0832 (8.32 %); numpy_financial.mirr gives
        // 0.08318460939409666 (methods.md's 8.318 %).
        let v = [-100000.0, 20000.0, -10000.0, 30000.0, 38000.0, 50000.0];
        assert!(close(
            mirr(&v, 0.09, 0.12).unwrap(),
            0.08318460939409666,
            1e-12
        ));
        assert_eq!(mirr(&[100.0, 5.0], 0.1, 0.1), None);
        assert_eq!(mirr(&[-100.0, -5.0], 0.1, 0.1), None);
        assert_eq!(mirr(&[-100.0, 50.0], -1.0, 0.1), None);
    }

    #[test]
    fn excel_xirr_xnpv_example() {
        // Microsoft XIRR and XNPV docs: XIRR = 0.373362535, XNPV at 9 % =
        // 2086.65; pyxirr gives 0.3733625335095556 and 2086.6476020315363.
        let flows = [
            (date(2008, 1, 1), -10000.0),
            (date(2008, 3, 1), 2750.0),
            (date(2008, 10, 30), 4250.0),
            (date(2009, 2, 15), 3250.0),
            (date(2009, 4, 1), 2750.0),
        ];
        let r = xirr(&flows);
        assert!(
            close(r.unique().unwrap(), 0.3733625335095556, 1e-10),
            "{r:?}"
        );
        assert!(close(xnpv(0.09, &flows), 2086.6476020315363, 1e-12));
        // Order does not matter; same-date flows are added.
        let mut shuffled = flows.to_vec();
        shuffled.reverse();
        shuffled.push((date(2008, 3, 1), 0.0));
        assert!(close(
            xirr(&shuffled).unique().unwrap(),
            0.3733625335095556,
            1e-10
        ));
        assert_eq!(xirr(&[]).status, IrrStatus::None);
    }

    #[test]
    fn payback_is_interpolated() {
        // Cumulative −100, −40, +20: crosses during period 2, 40/60 of the way.
        assert!(close(
            payback(&[-100.0, 60.0, 60.0]).unwrap(),
            1.0 + 40.0 / 60.0,
            1e-15
        ));
        assert_eq!(payback(&[-100.0, 50.0, 50.0]), Some(2.0));
        assert_eq!(payback(&[-100.0, 10.0]), None);
        assert_eq!(payback(&[10.0, 10.0]), Some(0.0));
        assert_eq!(payback(&[]), Some(0.0));
        // Discounted at 10 %: −100, 54.545…, 49.586…; crosses in period 2.
        let d = discounted_payback(0.1, &[-100.0, 60.0, 60.0]).unwrap();
        let want = 1.0 + (100.0 - 60.0 / 1.1) / (60.0 / 1.21);
        assert!(close(d, want, 1e-14));
        assert_eq!(discounted_payback(0.5, &[-100.0, 60.0, 60.0]), None);
    }

    #[test]
    fn benefit_cost_ratio_is_pv_benefits_over_pv_costs() {
        // PV benefits 60/1.1 + 60/1.21 = 104.1322…; PV costs 100.
        let b = benefit_cost_ratio(0.1, &[-100.0, 60.0, 60.0]).unwrap();
        assert!(close(b, 1.041322314049587, 1e-14));
        assert_eq!(benefit_cost_ratio(0.1, &[1.0, 2.0]), None);
    }

    fn flows(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(
            prop_oneof![
                Just(0.0),
                -1e6..1e6f64,
                -1.0..1.0f64,
                prop::num::f64::NORMAL.prop_map(|x| x.clamp(-1e300, 1e300)),
            ],
            0..max_len,
        )
    }

    /// `fast` holds the roots a 20,000-point scan of (−99 %, 1000 %]
    /// finds in `v`, each to 1e-8.
    fn agrees_with_the_dense_scan(v: &[f64], fast: &[f64]) -> Result<(), TestCaseError> {
        let slow = all_roots(
            |r| scaled_npv_and_scale(r, v),
            |u: f64| u.exp_m1(),
            (1.0 + IRR_MIN).ln(),
            (1.0 + IRR_MAX).ln(),
            20_000,
            TANGENT_REL_TOL,
            usize::MAX,
        );
        let slow: Vec<f64> = slow
            .into_iter()
            .filter(|&r| r > IRR_MIN && r <= IRR_MAX)
            .collect();
        prop_assert_eq!(fast.len(), slow.len(), "{:?} vs {:?}", fast, slow);
        for (a, b) in fast.iter().zip(&slow) {
            prop_assert!(close(*a, *b, 1e-8), "{:?} vs {:?}", fast, slow);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn the_slope_is_the_derivative_of_the_scaled_npv(
            v in prop::collection::vec(-1e3..1e3f64, 0..30),
            rate in -0.95..4.0f64,
        ) {
            // Term by term from the power rule: d/dr Σ v_t (1+r)^-t and
            // d/dr Σ v_t (1+r)^(T-t).
            let n = v.len() as i32;
            let (want, scale) = v.iter().enumerate().fold((0.0, 0.0), |(d, s), (t, &f)| {
                let p = if rate >= 0.0 { -(t as i32) } else { n - 1 - t as i32 };
                let term = f64::from(p) * f * (1.0 + rate).powi(p - 1);
                (d + term, s + term.abs())
            });
            let (value, slope) = scaled_npv_and_slope(rate, &v);
            prop_assert!((value - scaled_npv(rate, &v)).abs() == 0.0);
            prop_assert!((slope - want).abs() <= 1e-12 * scale.max(1e-300), "{slope} vs {want}");
        }

        #[test]
        fn the_four_chain_sum_is_the_scaled_horner_npv(
            v in prop::collection::vec(-1e3..1e3f64, 0..30),
            rate in -0.95..4.0f64,
        ) {
            // One Horner chain over the whole sequence, the reference.
            let (want, scale) = if rate >= 0.0 {
                let x = 1.0 / (1.0 + rate);
                v.iter().rev().fold((0.0, 0.0), |(a, s), &f| (a * x + f, s * x + f.abs()))
            } else {
                let y = 1.0 + rate;
                v.iter().fold((0.0, 0.0), |(a, s), &f| (a * y + f, s * y + f.abs()))
            };
            let (got, got_scale) = scaled_npv_and_scale(rate, &v);
            prop_assert!((got - want).abs() <= 1e-13 * scale.max(1e-300), "{got} vs {want}");
            prop_assert!((got_scale - scale).abs() <= 1e-13 * scale.max(1e-300));
        }

        #[test]
        fn discounted_sums_change_sign_as_the_rescaled_recurrences_do(
            v in prop::collection::vec(prop_oneof![Just(0.0), -1e3..1e3f64], 1..300),
            u in -2.0..2.0f64,
        ) {
            prop_assume!(v.len() as f64 * u.abs() <= discount_reach(&v));
            let r = u.exp_m1();
            let want = (
                recurrence_sign_changes(v.iter(), 1.0 + r),
                recurrence_sign_changes(v.iter().rev(), 1.0 / (1.0 + r)),
            );
            prop_assert_eq!(discounted_sum_sign_changes(&v, 1.0 / (1.0 + r)), want);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn bisection_by_root_bounds_agrees_with_the_dense_scan(
            v in prop::collection::vec(-1e3..1e3f64, 3..80),
        ) {
            prop_assume!(sign_changes(v.iter().copied()) >= 2);
            if let Some(fast) = isolate_roots(&v) {
                agrees_with_the_dense_scan(&v, &fast)?;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn long_monthly_flows_are_isolated_and_agree_with_the_dense_scan(
            outlay in 1e3..1e5f64,
            months in prop::collection::vec(-300.0..1000.0f64, 240..480),
        ) {
            // An outlay, then monthly net flows that turn negative now and
            // then: many sign changes over 20 to 40 years.
            let mut v = vec![-outlay];
            v.extend(months);
            prop_assume!(sign_changes(v.iter().copied()) >= 2);
            let fast = isolate_roots(&v);
            prop_assert!(fast.is_some(), "isolation gave up on {} periods", v.len());
            let fast = fast.unwrap();
            agrees_with_the_dense_scan(&v, &fast)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn npv_is_zero_at_every_reported_root(v in flows(40)) {
            let r = irr(&v);
            let big = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let scaled: Vec<f64> = v.iter().map(|x| x / big.max(f64::MIN_POSITIVE)).collect();
            for &root in &r.roots {
                prop_assert!(root > IRR_MIN && root <= IRR_MAX);
                prop_assert!(relative_residual(root, &scaled) < 1e-7, "{root} {r:?}");
            }
            prop_assert_eq!(r.status == IrrStatus::Multiple, r.roots.len() > 1);
            prop_assert_eq!(r.status == IrrStatus::Unique, r.roots.len() == 1);
        }

        #[test]
        fn one_sign_change_in_range_gives_a_unique_root(
            outlay in 1.0..1e6f64,
            n in 1usize..360,
            target in -0.5..5.0f64, // (1+r)^-360 stays finite for the test set-up
            noise in prop::collection::vec(0.0..1.0f64, 360),
        ) {
            // Positive inflows scaled so the IRR is `target`: one sign change.
            let mut v = vec![-outlay];
            v.extend(noise.iter().take(n).map(|x| x + 0.01));
            let pv_in = npv(target, &v) + outlay;
            for x in v.iter_mut().skip(1) {
                *x *= outlay / pv_in;
            }
            let r = irr(&v);
            prop_assert_eq!(r.status, IrrStatus::Unique, "{:?}", r);
            prop_assert!(close(r.unique().unwrap(), target, 1e-7), "{:?} vs {}", r, target);
        }

        #[test]
        fn pmt_pv_fv_are_consistent(
            rate in -0.5..1.0f64,
            nper in 1u32..480,
            pv0 in -1e6..1e6f64,
            fv0 in -1e6..1e6f64,
            begin in any::<bool>(),
        ) {
            let when = if begin { When::Begin } else { When::End };
            let n = f64::from(nper);
            let p = pmt(rate, n, pv0, fv0, when).unwrap();
            let scale = 1.0 + pv0.abs() + fv0.abs();
            // fv of (pv0, p) is fv0, and pv of (p, fv0) is pv0.
            if let Some(f) = fv(rate, n, p, pv0, when) {
                let tol = 1e-7 * scale * (1.0 + rate).powf(n).max(1.0);
                prop_assert!((f - fv0).abs() <= tol, "fv {} vs {}", f, fv0);
            }
            if let Some(back) = pv(rate, n, p, fv0, when) {
                prop_assert!((back - pv0).abs() <= 1e-7 * scale * (1.0 + rate).powf(-n).max(1.0));
            }
        }

        #[test]
        fn nothing_panics_or_returns_nan(v in flows(50), r in -2.0..20.0f64, f in -2.0..2.0f64) {
            let res = irr(&v);
            prop_assert!(res.roots.iter().all(|x| x.is_finite()));
            for x in [mirr(&v, f, r), payback(&v), discounted_payback(r, &v), benefit_cost_ratio(r, &v)]
                .into_iter()
                .flatten()
            {
                prop_assert!(!x.is_nan());
            }
            let n = v.len() as f64;
            let a = v.first().copied().unwrap_or(0.0);
            let b = v.last().copied().unwrap_or(0.0);
            for x in [
                pmt(r, n, a, b, When::End),
                fv(r, n, a, b, When::Begin),
                pv(r, n, a, b, When::End),
                nper(r, a, b, 0.0, When::End),
                ipmt(r, 1.0, n, a, b, When::Begin),
                ppmt(r, n, n, a, b, When::End),
                rate(n, a, b, 0.0, When::End),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert!(!x.is_nan());
            }
            let base = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
            let dated: Vec<(NaiveDate, f64)> = v
                .iter()
                .enumerate()
                .map(|(i, &a)| (base + chrono::Days::new((i as u64 * 37) % 900), a))
                .collect();
            prop_assert!(xirr(&dated).roots.iter().all(|x| x.is_finite()));
        }
    }
}
#[cfg(test)]
mod scratch {
    use super::*;
    #[test]
    fn count_evals() {
        for (n, rate, fee) in [
            (12usize, 0.03f64, 0.02f64),
            (60, 0.02, 0.02),
            (84, 0.015, 0.01),
        ] {
            let p = 1000.0;
            let pay = p * rate / (1.0 - (1.0 + rate).powi(-(n as i32)));
            let mut v = vec![-pay; n + 1];
            v[0] = p * (1.0 - fee);
            let c = std::cell::Cell::new(0);
            let r = newton_bracketed(
                |r| {
                    c.set(c.get() + 1);
                    scaled_npv_and_slope(r, &v)
                },
                IRR_MIN,
                IRR_MAX,
                scaled_npv(IRR_MIN, &v),
                scaled_npv(IRR_MAX, &v),
                0.0,
                1e-13,
            );
            let c2 = std::cell::Cell::new(0);
            let r2 = brent(
                |r| {
                    c2.set(c2.get() + 1);
                    scaled_npv(r, &v)
                },
                IRR_MIN,
                IRR_MAX,
                scaled_npv(IRR_MIN, &v),
                scaled_npv(IRR_MAX, &v),
                1e-13,
            );
            let t0 = std::time::Instant::now();
            let mut acc = 0.0;
            for k in 0..100000 {
                let mut w = v.clone();
                w[0] += k as f64 * 1e-9;
                acc += irr(&w).roots[0];
            }
            println!("irr {:?} per call {acc}", t0.elapsed() / 100000);
            println!(
                "n {n} newton {:?} evals {} brent {:?} evals {}",
                r,
                c.get(),
                r2,
                c2.get()
            );
        }
    }
}
