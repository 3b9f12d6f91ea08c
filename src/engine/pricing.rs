//! Loan pricing (methods F18–F20): the rate a lender must charge to cover
//! its costs and its risk, three ways.
//!
//! * **CGAP sustainable rate (F18)**, portfolio-level:
//!   R = (AE + LL + CF + K − II)/(1 − LL).
//! * **Cost-plus (F19)**, per loan: r = CoF + OpEx/avg balance + EL rate +
//!   (h − r_f)·EC/avg balance + margin, less the upfront fees the lender
//!   keeps (spread over the tenor), because the RAROC of
//!   [`crate::engine::credit::summarise`] counts them as income. At a fixed
//!   EL and EC this is exactly the rate at which RAROC equals the hurdle.
//! * **RAROC = hurdle (F20)**, solved: EL, EC and the average balance move
//!   with the rate (a dearer loan defaults more), so the rate is searched
//!   with the credit engine re-run on the same scenarios at each trial rate
//!   ([`solve_rate`]). Cost-plus is one fixed-point step of this search.

use rust_decimal::Decimal;

use super::credit::{economic_capital, CreditSummary, LoanPlan};
use crate::domain::lender::Lender;
use crate::math::money::{from_f64, to_f64};
use crate::math::roots::brent;

/// CGAP's sustainable interest rate (methods F18, Rosenberg 2002 [S7]):
/// `R = (AE + LL + CF + K − II)/(1 − LL)`, every term a fraction of the
/// average portfolio: administrative expense, loan loss, cost of funds,
/// desired capitalisation, investment income.
#[must_use]
pub fn cgap_rate(ae: f64, ll: f64, cf: f64, k: f64, ii: f64) -> f64 {
    (ae + ll + cf + k - ii) / (1.0 - ll)
}

/// A loan's price, built up from its costs (annual fractions of the average
/// scheduled balance unless named otherwise).
#[derive(Debug, Clone, PartialEq)]
pub struct CostPlus {
    /// Cost of funds.
    pub cost_of_funds: f64,
    /// Operating cost.
    pub operating_cost: f64,
    /// Operating cost per loan over its life, in currency.
    pub operating_cost_per_loan: f64,
    /// Expected loss per year.
    pub expected_loss: f64,
    /// Capital charge (h − r_f)·EC/avg balance.
    pub capital_charge: f64,
    /// Upfront fees kept by the lender, per year (a credit).
    pub fees: f64,
    /// Economic capital in currency (F20, F28).
    pub economic_capital: f64,
    /// Break-even rate: the sum of the costs less the fees (F19, margin 0).
    pub rate: f64,
    /// CGAP's sustainable rate on the same terms (F18): AE = operating
    /// cost, LL = expected loss, CF = cost of funds, K = h·EC/avg balance
    /// (the hurdle return on the capital held), II = r_f·EC/avg balance
    /// (what that capital earns invested).
    pub cgap_rate: f64,
}

/// The cost-plus break-even rate of a loan, given its simulated summary.
#[must_use]
pub fn cost_plus(
    loan: &LoanPlan,
    summary: &CreditSummary,
    lender: &Lender,
    hurdle: f64,
) -> CostPlus {
    let years = (loan.maturity() as f64 / 12.0).max(1.0 / 12.0);
    let avg = loan.average_balance().max(f64::MIN_POSITIVE);
    let ec = economic_capital(summary.pd_annual, summary.lgd, loan.principal);
    let el = summary.expected_loss / years / avg;
    let fees = (loan.principal - loan.lender_outlay) / years / avg;
    let capital_charge = (hurdle - lender.risk_free) * ec / avg;
    CostPlus {
        cost_of_funds: lender.cost_of_funds,
        operating_cost: lender.operating_cost_rate,
        operating_cost_per_loan: lender.operating_cost_rate * avg * years,
        expected_loss: el,
        capital_charge,
        fees,
        economic_capital: ec,
        rate: lender.cost_of_funds + lender.operating_cost_rate + el + capital_charge - fees,
        cgap_rate: cgap_rate(
            lender.operating_cost_rate,
            el,
            lender.cost_of_funds,
            hurdle * ec / avg,
            lender.risk_free * ec / avg,
        ),
    }
}

/// Rates tried, in order, before the root is polished: from free to 100%
/// a year (Mexican microcredit APRs near 80% are the high end in
/// `case-data.md`, C33).
const RATE_GRID: [f64; 14] = [
    0.0, 0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0,
];

/// Decimal places of a solved rate (0.0001 percentage points).
pub const RATE_DECIMALS: u32 = 6;

/// A rate as the contract carries it: rounded to [`RATE_DECIMALS`].
#[must_use]
pub fn contract_rate(r: f64) -> Decimal {
    from_f64(r.max(0.0))
        .unwrap_or_default()
        .round_dp(RATE_DECIMALS)
}

/// The lowest rate in [0, 1] at which `raroc(rate)` reaches `hurdle`
/// (methods F20). `raroc` runs the credit engine at a trial rate (on the
/// same scenarios every time) and returns `None` when the loan cannot be
/// scheduled at that rate. When no rate up to 100% reaches the hurdle the
/// error carries the grid rate with the highest RAROC (the lender's best
/// offer), if any rate could be evaluated.
///
/// The grid [`RATE_GRID`] is scanned upwards for the first rate that
/// reaches the hurdle; Brent's method then polishes the crossing between
/// it and the previous grid rate. RAROC is not monotone in the rate (a
/// dearer loan defaults more), hence the scan for the *lowest* crossing.
pub fn solve_rate(
    raroc: impl Fn(Decimal) -> Option<f64>,
    hurdle: f64,
) -> Result<Decimal, Option<Decimal>> {
    let gap = |r: f64| raroc(contract_rate(r)).map_or(f64::NAN, |x| x - hurdle);
    let mut prev: Option<(f64, f64)> = None;
    let mut best: Option<(f64, f64)> = None;
    for &r in &RATE_GRID {
        let g = gap(r);
        if g.is_finite() && g >= 0.0 {
            return Ok(match prev {
                None => contract_rate(r),
                Some((a, ga)) => {
                    let root = brent(gap, a, r, ga, g, 1e-7).unwrap_or(r);
                    // Brent's estimate may sit a hair below the crossing
                    // (the contract rate is rounded to 1e-6): step up to
                    // the first contract rate that reaches the hurdle.
                    let step = 10f64.powi(-(RATE_DECIMALS as i32));
                    (0..=20)
                        .map(|k| to_f64(contract_rate(root)) + k as f64 * step)
                        .find(|&x| x <= r && gap(x) >= -1e-9)
                        .map_or_else(|| contract_rate(r), contract_rate)
                }
            });
        }
        prev = g.is_finite().then_some((r, g));
        if g.is_finite() && best.is_none_or(|(_, b)| g > b) {
            best = Some((r, g));
        }
    }
    Err(best.map(|(r, _)| contract_rate(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgap_example_gives_39_80_percent() {
        // Methods test 9 (Rosenberg 2002 [S7]): AE 25%, LL 2%, CF 8%, K 5%,
        // II 1% → (0.25 + 0.02 + 0.08 + 0.05 − 0.01)/(1 − 0.02) = 0.39/0.98.
        let r = cgap_rate(0.25, 0.02, 0.08, 0.05, 0.01);
        assert!((r - 0.3980).abs() < 5e-5, "{r}");
        assert!((r - 0.39 / 0.98).abs() < 1e-15);
    }

    #[test]
    fn solves_a_linear_raroc_exactly() {
        // RAROC = (r − 0.2)/0.06 + 0.05: reaches 0.15 at r = 0.206.
        let r = solve_rate(
            |r| Some((crate::math::money::to_f64(r) - 0.2) / 0.06 + 0.05),
            0.15,
        )
        .unwrap();
        // Pricing at the solved rate returns RAROC = hurdle (methods test 9).
        assert!(((crate::math::money::to_f64(r) - 0.2) / 0.06 + 0.05 - 0.15).abs() < 1e-6);
        assert_eq!(r, Decimal::new(206_000, 6));
    }

    #[test]
    fn takes_the_lowest_crossing_and_reports_none_when_out_of_reach() {
        // Rises then falls: the hurdle is crossed at 0.1 and again later.
        let hump = |r: Decimal| {
            let r = crate::math::money::to_f64(r);
            Some(0.15 - (r - 0.3).powi(2) * 10.0 + 0.4)
        };
        let r = crate::math::money::to_f64(solve_rate(hump, 0.15).unwrap());
        assert!((r - (0.3 - 0.2f64)).abs() < 1e-5, "{r}");
        assert_eq!(solve_rate(|_| Some(0.0), 0.15), Err(Some(Decimal::ZERO)));
        assert_eq!(solve_rate(|_| None, 0.15), Err(None));
    }
}
