//! Credit risk from simulated cash flow: the household's monthly cash
//! account under one scenario, the loan's default in it, what the lender
//! gets back, and the aggregation of many scenarios into PD, LGD, EL,
//! RAROC and the household's welfare (methods F20, F23–F26, F31).
//!
//! This generalises the deterministic financing view
//! ([`crate::engine::appraisal::financing_view`]), where cash may go
//! negative, to a path on which the household cannot borrow: it pays what
//! it can, falls into arrears, and the loan defaults. It is the "pure path
//! evaluator" of the Monte Carlo design; the sampler and the streaming
//! accumulator live elsewhere, and [`summarise`] aggregates outcomes in
//! path order so results do not depend on the thread count.
//!
//! # Semantics
//!
//! * **Loan plan.** A schedule is converted to `f64` once
//!   ([`LoanPlan::from_schedule`]): the instalment due each month, the
//!   scheduled balance after each month's payment, the net disbursement,
//!   the compulsory savings held, and the lender's outlay (principal less
//!   the upfront fees and insurance it keeps). Compulsory savings are cash
//!   collateral: neither lender funding nor income. They are returned to
//!   the household at maturity, or set off against the claim at default.
//! * **Cash account (F23).** `cash_0 = buffer + inflows_0`;
//!   `cash_t = cash_{t−1}(1 + r_s) + inflows_t` for t ≥ 1. Inflows are
//!   enterprise operating cash + other income + capital flows + loan flows
//!   (net disbursement at 0, savings returned at maturity, a surplus from
//!   selling a repossessed asset). Subsistence is taken first; if cash
//!   then falls below 0 the household is *below subsistence* that month:
//!   the shortfall is consumption not made, and cash is set to 0, never
//!   carried negative. Then `paid_t = min(due_t + arrears_{t−1}, cash)`
//!   and `arrears_t = arrears_{t−1} + due_t − paid_t`, paid oldest first.
//!   **Deduction at source.** Sales through buyers that deduct repayment
//!   (`deducting_revenue`) pay `min(due_t + arrears_{t−1},
//!   deducting_revenue_t)` to the lender *before* subsistence (unless the
//!   loan defaults that month); the rest of the month runs as above on
//!   what is left.
//!   **Handover.** Once the loan is repaid, or has defaulted with its
//!   recovery settled, nothing above changes the household's path again:
//!   the account stops and the rest of the path (whether cash ever falls
//!   short of subsistence, the NPV sums) is read from [`Tails`], summed once
//!   per path for every loan on it. Same results as running to the end.
//! * **Default (F24).** Months are 30 days. An amount due in month d and
//!   still unpaid when month t's payment is made is 30·(t − d) days past
//!   due; the loan defaults in the first month t in which that exceeds
//!   `default_days_past_due`, before the month's payment (an instalment
//!   paid 120 days late was more than 90 days past due: with the 90-day
//!   rule three missed instalments may still cure in the fourth month,
//!   four may not). It also defaults, after the month's payment, when
//!   arrears exceed θ × the scheduled balance before that month's payment
//!   ("unlikely to pay"); this rule applies up to maturity only, because
//!   the scheduled balance is zero afterwards and arrears then age under
//!   the days-past-due rule. A path that ends with arrears still unpaid
//!   defaults in its last month (the model cannot see them cured). No
//!   default once the loan is fully paid; no instalment after default.
//!   Arrears carry no penalty interest. Contractually permitted
//!   postponements (F17) are not modelled yet.
//! * **Exposure (F26).** At default τ: EAD = scheduled balance after τ's
//!   scheduled payment + arrears (which then include τ's instalment if it
//!   was not paid; together the scheduled balance before τ's payment plus
//!   unpaid interest) + interest accrued since the last schedule date at
//!   the contract's monthly rate, less the compulsory savings still held,
//!   which the lender sets off at τ (a lender inflow at τ). For flat-rate
//!   loans the accrual uses annual rate / 12 on the scheduled balance, an
//!   approximation.
//! * **Recovery.** `financed-asset`: the asset's value at τ × (1 − haircut)
//!   × (1 − recovery cost share), at most the EAD (the household gets any
//!   surplus), received at τ + delay; from τ + delay (τ + 1 when there is
//!   no delay: month τ's flows have happened) the household's flows
//!   revert to the *without* path (it no longer owns the items: enterprise
//!   cash without the investment, no further capital flows).
//!   `group-guarantee`: the lender recovers `group_recovery_share` × EAD
//!   at τ + delay from the group; `none`: `unsecured_recovery_share` × EAD
//!   from collection. Either way the household bears the whole EAD at
//!   τ + delay (no earlier than τ + 1): the group it owes under joint
//!   liability, or collectors and lost assets. What the lender does not
//!   get is deadweight (collection costs, the group's loss). So default is
//!   no windfall for the household: it owes what repaying would have cost,
//!   less only the time value of arrears (which carry no penalty interest),
//!   and more when its cash cannot cover the claim and consumption is cut.
//!   `recovery_pv` is discounted to τ at the contract's monthly rate.
//! * **Lender flows.** −lender_outlay at 0, then payments, savings set
//!   off and recoveries as inflows. `promised_pv` = PV at the contract monthly rate (annual
//!   rate / 12) of the scheduled instalments; `received_pv` = PV of the
//!   inflows. The lender IRR is the root of the flows (annualised
//!   (1 + i)^12 − 1): the unique one, or if several, the one closest to the
//!   contract's monthly rate; none if no root exists.
//! * **DSCR (F11).** Per loan year (months 12y+1..=12y+12): Σ(enterprise
//!   with the investment + other income − subsistence) / Σ instalments due,
//!   on the scheduled dues and the with-investment income whatever
//!   happens later on the path; the minimum over years with dues, which
//!   can be negative, or +∞ if nothing is ever due.
//! * **Household NPV (F9).** NPV at the household's monthly discount rate
//!   of the with-path household flows (enterprise, capital and loan flows,
//!   after default effects) minus the without path's enterprise flows.
//!   Other income and subsistence are on both paths and cancel.
//! * **Consumption capacity W (F31).** (buffer + NPV of every household
//!   inflow: enterprise, other income, capital, loan flows) spread as a
//!   level monthly annuity over the path's months 0..=T. The same without
//!   the investment and the loan ([`evaluate_without`]).

use std::collections::VecDeque;

use crate::domain::lender::Lender;
use crate::domain::product::{CollateralKind, Product};
use crate::domain::schedule::Schedule;
use crate::math::money::to_f64;
use crate::math::stats::{basel_retail_k, crra_certainty_equivalent, quantiles, Welford};
use crate::math::tvm;

/// Days in a month for days-past-due (30-day months).
const DAYS_PER_MONTH: u32 = 30;

/// Capital floor per unit of EAD: the Basel II standardised approach's 75%
/// risk weight for regulatory retail (para. 69) times the 8% minimum ratio.
pub const STANDARDISED_RETAIL_CHARGE: f64 = 0.08 * 0.75;

/// Basel II retail PD floor, 0.03% (para 331): economic capital is never
/// computed at PD = 0, where it would vanish and RAROC would be infinite.
pub const PD_FLOOR: f64 = 0.0003;

/// LGD used for economic capital when no path defaults: the F-IRB senior
/// unsecured 45% (methods F26).
pub const FALLBACK_LGD: f64 = 0.45;

/// A loan as the risk engine sees it: built once per product from the
/// exact schedule, then read by every path.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanPlan {
    /// Product id.
    pub id: String,
    /// Amount lent.
    pub principal: f64,
    /// What the client receives at month 0: principal − fees − savings held.
    pub net_disbursement: f64,
    /// Principal − upfront fees and insurance the lender keeps; the lender's
    /// flow at month 0 is −lender_outlay.
    pub lender_outlay: f64,
    /// Instalment due by month 0..=maturity (0 where none).
    pub due: Vec<f64>,
    /// Scheduled principal balance at the end of each month 0..=maturity,
    /// after that month's scheduled payment.
    pub balance: Vec<f64>,
    /// Compulsory savings held from the disbursement, returned at maturity
    /// (set off against the claim at default).
    pub savings_held: f64,
    /// Contract annual rate / 12: discounts promised and received flows and
    /// accrues interest at default.
    pub monthly_rate: f64,
    /// What secures the loan.
    pub collateral: CollateralKind,
    /// Share of a repossessed asset's value lost in resale.
    pub recovery_haircut: f64,
    /// Months from default to recovery.
    pub recovery_delay_months: u32,
    /// The lender's annualised IRR when every instalment is paid when due:
    /// what most paths earn, solved once instead of once per path.
    pub on_schedule_irr: Option<f64>,
}

impl LoanPlan {
    /// The lender's flows when every instalment is paid when due.
    fn on_schedule_flows(&self) -> Vec<f64> {
        let mut flows = self.due.clone();
        if let Some(f) = flows.first_mut() {
            *f -= self.lender_outlay;
        }
        flows
    }

    /// No loan: nothing lent, nothing due. The household pays for the
    /// investment from its own cash.
    #[must_use]
    pub fn none() -> LoanPlan {
        LoanPlan {
            id: "none".to_string(),
            principal: 0.0,
            net_disbursement: 0.0,
            lender_outlay: 0.0,
            due: vec![0.0],
            balance: vec![0.0],
            savings_held: 0.0,
            monthly_rate: 0.0,
            collateral: CollateralKind::None,
            recovery_haircut: 0.0,
            recovery_delay_months: 0,
            on_schedule_irr: None,
        }
    }

    /// Sets [`LoanPlan::on_schedule_irr`] from the other fields.
    #[must_use]
    pub fn with_on_schedule_irr(mut self) -> LoanPlan {
        self.on_schedule_irr = lender_irr_monthly(&self.on_schedule_flows(), self.monthly_rate)
            .map(|m| (1.0 + m).powi(12) - 1.0);
        self
    }

    /// The plan of `schedule`, which `product` produced.
    #[must_use]
    pub fn from_schedule(product: &Product, schedule: &Schedule) -> LoanPlan {
        let s = &schedule.summary;
        let maturity = s.maturity_month as usize;
        let principal = to_f64(s.principal);
        let mut due = vec![0.0; maturity + 1];
        let mut closing: Vec<Option<f64>> = vec![None; maturity + 1];
        closing[0] = Some(principal);
        for row in schedule.rows.iter().skip(1) {
            let t = row.period as usize;
            due[t] += to_f64(row.payment);
            closing[t] = Some(to_f64(row.closing_balance));
        }
        let mut balance = Vec::with_capacity(maturity + 1);
        let mut last = principal;
        for c in closing {
            last = c.unwrap_or(last);
            balance.push(last);
        }
        LoanPlan {
            id: product.id.clone(),
            principal,
            net_disbursement: to_f64(s.net_disbursement),
            lender_outlay: principal - to_f64(s.total_fees),
            due,
            balance,
            savings_held: to_f64(s.compulsory_savings),
            monthly_rate: to_f64(product.annual_rate) / 12.0,
            collateral: product.collateral.kind,
            recovery_haircut: product.collateral.recovery_haircut.map_or(0.0, to_f64),
            recovery_delay_months: product.collateral.recovery_delay_months,
            on_schedule_irr: None,
        }
        .with_on_schedule_irr()
    }

    /// PV at month 0 of the scheduled instalments at the contract's
    /// monthly rate: what every path was promised.
    #[must_use]
    pub fn promised_pv(&self) -> f64 {
        tvm::npv(self.monthly_rate, &self.due)
    }

    /// Month of the last due date.
    #[must_use]
    pub fn maturity(&self) -> usize {
        self.due.len().saturating_sub(1)
    }

    fn due_at(&self, t: usize) -> f64 {
        self.due.get(t).copied().unwrap_or(0.0)
    }

    /// Scheduled balance at the end of month `t` (0 after maturity).
    fn balance_at(&self, t: usize) -> f64 {
        self.balance.get(t).copied().unwrap_or(0.0)
    }

    /// Scheduled balance before month `t`'s payment.
    fn balance_before(&self, t: usize) -> f64 {
        if t == 0 {
            self.principal
        } else {
            self.balance_at(t - 1)
        }
    }

    /// Months since the last schedule date (a due date or a capitalisation)
    /// at or before `t`, for the interest accrued at default.
    fn months_accrued(&self, t: usize) -> usize {
        let last = (1..=t.min(self.maturity()))
            .rev()
            .find(|&m| self.due[m] > 0.0 || self.balance[m] != self.balance[m - 1])
            .unwrap_or(0);
        t - last
    }

    /// Mean scheduled balance over the months the loan is outstanding.
    #[must_use]
    pub fn average_balance(&self) -> f64 {
        let m = self.maturity();
        if m == 0 {
            return 0.0;
        }
        self.balance[..m].iter().sum::<f64>() / m as f64
    }
}

/// One scenario's monthly flows for a household, months 0..=T.
#[derive(Debug, Clone, Copy)]
pub struct HouseholdPath<'a> {
    /// Enterprise operating net cash with the investment.
    pub enterprise_with: &'a [f64],
    /// Enterprise operating net cash without it.
    pub enterprise_without: &'a [f64],
    /// Investment outlays (−), replacements, salvage and residual values
    /// (+), on the with path.
    pub capital: &'a [f64],
    /// Resale value of the financed items each month (for recovery).
    pub asset_value: &'a [f64],
    /// The part of `enterprise_with`'s sales paid through buyers that
    /// deduct the loan's instalments at source (empty: none).
    pub deducting_revenue: &'a [f64],
    /// Other income per month.
    pub other_income: f64,
    /// Subsistence consumption per month; paid before any instalment.
    pub subsistence: f64,
    /// Cash at month 0 before anything else.
    pub buffer: f64,
    /// Monthly return on cash held (≥ 0).
    pub savings_rate: f64,
    /// The household's discount rate per month.
    pub discount_monthly: f64,
    /// The path after a loan is done with ([`Tails::of`] this path), shared
    /// by every loan on it; `None` runs each account to the path's end.
    pub tails: Option<&'a Tails>,
}

impl HouseholdPath<'_> {
    /// Months on the path, 0..=T, so T + 1.
    fn months(&self) -> usize {
        self.enterprise_with.len().max(1)
    }
}

/// A household path from each month on, once a loan is done with it.
///
/// After the loan is repaid, or has defaulted and its recovery is settled,
/// the lender no longer touches the household: from then on the cash
/// account runs on the path's own flows (with the investment, or without
/// it once a repossession has taken the items). What is left of the path
/// is then the same for every loan on it but for the cash it starts with,
/// so it is summed once per path, backwards, and each loan's account stops
/// at the month it is done: a 12-month loan on a 20-year path runs 13
/// months, not 241. Vectors hold months `0..=T + 1` (zero past the end).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tails {
    /// `need[r][u]`: the least cash at the end of month u − 1 with which the
    /// household covers subsistence in every month from u on, on regime r
    /// (0: with the investment; 1: reverted to the path without it).
    need: [Vec<f64>; 2],
    /// `npv[r][u]`: Σ_{t≥u} v_t·x^(t−u) at the household's monthly rate of
    /// the household's flows on regime r, other income excluded
    /// (enterprise with the investment plus capital flows; enterprise
    /// without it).
    npv: [Vec<f64>; 2],
    /// The same sum of the with-investment flows less the without path's
    /// enterprise flows (F9's increment; 0 on the reverted regime).
    incremental: Vec<f64>,
}

impl Tails {
    /// The tails of `h` (whose own `tails` is ignored).
    #[must_use]
    pub fn of(h: &HouseholdPath) -> Tails {
        let mut t = Tails::default();
        t.fill(h);
        t
    }

    /// Fills `self` with the tails of `h`, reusing its buffers.
    pub fn fill(&mut self, h: &HouseholdPath) {
        // Cash earns nothing on most paths: that case runs without the
        // multiply by 1 on the need's chain.
        if h.savings_rate == 0.0 {
            self.fill_at::<false>(h);
        } else {
            self.fill_at::<true>(h);
        }
    }

    fn fill_at<const EARNS: bool>(&mut self, h: &HouseholdPath) {
        let n = h.months();
        let x = 1.0 / (1.0 + h.discount_monthly);
        let shrink = 1.0 / (1.0 + h.savings_rate);
        let all = self.need.iter_mut().chain(&mut self.npv);
        for v in all.chain(std::iter::once(&mut self.incremental)) {
            v.clear();
            v.resize(n + 1, 0.0);
        }
        let [need_with, need_without] = &mut self.need;
        let [npv_with, npv_without] = &mut self.npv;
        let spent = h.subsistence - h.other_income;
        // Five recurrences run backwards side by side. Each carries only
        // what it must, the month's own deficit being computed off the
        // chain, so a month waits on one add and one multiply or max.
        for u in (0..n).rev() {
            let with = at(h.enterprise_with, u) + at(h.capital, u);
            let without = at(h.enterprise_without, u);
            // Month u's cash is c·(1 + r_s) + inflow − subsistence (no
            // interest in month 0), and must cover need[u + 1] ≥ 0.
            let need = |next: f64, inflow: f64| {
                let short = next + (spent - inflow);
                let short = if EARNS && u > 0 {
                    short * shrink
                } else {
                    short
                };
                // max(short, 0) that is one instruction (NaN gives 0 too).
                if short > 0.0 {
                    short
                } else {
                    0.0
                }
            };
            need_with[u] = need(need_with[u + 1], with);
            need_without[u] = need(need_without[u + 1], without);
            npv_with[u] = npv_with[u + 1] * x + with;
            npv_without[u] = npv_without[u + 1] * x + without;
            self.incremental[u] = self.incremental[u + 1] * x + (with - without);
        }
    }

    fn regime(reverted: bool) -> usize {
        usize::from(reverted)
    }

    /// Whether cash `c` at the end of month u − 1 falls short of
    /// subsistence in some month from u on.
    fn falls_short(&self, reverted: bool, u: usize, cash: f64) -> bool {
        cash < at(&self.need[Self::regime(reverted)], u)
    }

    /// The household's NPV sums from month u on, discounted to u: (all its
    /// flows, the increment over the without path).
    fn npvs(&self, reverted: bool, u: usize) -> (f64, f64) {
        let all = at(&self.npv[Self::regime(reverted)], u);
        (
            all,
            if reverted {
                0.0
            } else {
                at(&self.incremental, u)
            },
        )
    }
}

/// Where an account that stopped early hands over to the path's [`Tails`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Handover {
    /// First month not run.
    month: usize,
    /// Whether the household had reverted to the path without the items.
    reverted: bool,
}

/// What happens to a loan and a household on one path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOutcome {
    /// Whether the loan defaulted.
    pub defaulted: bool,
    /// Month of default.
    pub default_month: Option<u32>,
    /// Exposure at default, net of savings set off (0 if no default).
    pub ead: f64,
    /// Recoveries discounted to the default month at the contract rate.
    pub recovery_pv: f64,
    /// PV at month 0 of the scheduled instalments (contract monthly rate).
    pub promised_pv: f64,
    /// PV at month 0 of payments, savings set off and recoveries.
    pub received_pv: f64,
    /// The lender's annualised IRR (see the module notes on several roots).
    pub lender_irr: Option<f64>,
    /// Lowest annual DSCR over loan years with dues; +∞ if none, NaN if
    /// not asked for ([`Extras`]).
    pub min_annual_dscr: f64,
    /// Whether cash after subsistence fell below zero in some month.
    pub below_subsistence: bool,
    /// Incremental household NPV after financing (F9).
    pub household_npv: f64,
    /// Consumption capacity W per month (F31).
    pub consumption_capacity: f64,
    /// Months ending with arrears outstanding.
    pub months_in_arrears: u32,
}

impl PathOutcome {
    /// The loss L = EAD − PV(recoveries) at the default month; 0 on a path
    /// without default (F29's per-path loss, as the book and the donor
    /// instruments count it).
    #[must_use]
    pub fn loss(&self) -> f64 {
        if self.defaulted {
            self.ead - self.recovery_pv
        } else {
            0.0
        }
    }
}

/// The household on the same path without the investment and the loan.
#[derive(Debug, Clone, PartialEq)]
pub struct WithoutOutcome {
    /// Whether cash after subsistence fell below zero in some month.
    pub below_subsistence: bool,
    /// Consumption capacity W per month (F31).
    pub consumption_capacity: f64,
    /// NPV of the household's inflows without (enterprise + other income).
    pub npv: f64,
}

fn at(v: &[f64], t: usize) -> f64 {
    v.get(t).copied().unwrap_or(0.0)
}

fn add_at(v: &mut Vec<f64>, t: usize, x: f64) {
    if v.len() <= t {
        v.resize(t + 1, 0.0);
    }
    v[t] += x;
}

/// Present value of a level 1 per month over months 0..n−1 at rate `r`.
fn annuity_due_factor(r: f64, n: usize) -> f64 {
    if r.abs() < 1e-12 {
        return n as f64;
    }
    let v = 1.0 / (1.0 + r);
    (1.0 - v.powi(n as i32)) / (1.0 - v)
}

/// Default and exposure on a path, once it happens.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Defaulted {
    month: usize,
    ead: f64,
    /// Savings set off at default; read by the conservation tests.
    #[cfg_attr(not(test), allow(dead_code))]
    set_off: f64,
    recovery: f64,
    recovery_month: usize,
}

/// The cash account run month by month: everything [`evaluate_path`]
/// reports is read from it.
#[derive(Debug, Clone, PartialEq)]
struct Account {
    /// Cash at the end of the last month on the path.
    final_cash: f64,
    /// Σ inflows that entered the cash account (enterprise, other income,
    /// capital, loan flows to the household).
    inflows: f64,
    /// Σ interest earned on cash.
    interest: f64,
    /// Σ subsistence actually consumed.
    consumed: f64,
    /// Σ instalments and arrears paid.
    paid_total: f64,
    below_subsistence: bool,
    months_in_arrears: u32,
    default: Option<Defaulted>,
    /// The household's flows with the investment and the loan, after
    /// default effects, other income excluded; may run past T when a
    /// recovery surplus comes after the path ends.
    household: Vec<f64>,
    /// The lender's flows.
    lender: Vec<f64>,
    /// Set when the account stopped once the loan was done with, the rest
    /// of the path being read from its [`Tails`]; the running totals above
    /// then cover the months run.
    handover: Option<Handover>,
}

fn run_account(h: &HouseholdPath, loan: &LoanPlan, lender: &Lender) -> Account {
    run_account_as::<true>(h, loan, lender)
}

/// [`run_account`], taking [`run_paid_months`]' short way through the
/// months it covers if `SHORT` (the tests compare the two ways).
fn run_account_as<const SHORT: bool>(
    h: &HouseholdPath,
    loan: &LoanPlan,
    lender: &Lender,
) -> Account {
    let months = h.months();
    let maturity = loan.maturity();
    let last = (months - 1).max(maturity);
    let tol = 1e-9 * loan.principal.abs().max(1.0);
    let dpd_limit = lender.default_days_past_due;

    // Loan-related inflows to the household scheduled for later months
    // (a surplus from the sale of a repossessed asset).
    // (0.0 + x, as adding to a zeroed vector gave: −0.0 becomes 0.0.)
    let mut pending = vec![0.0 + loan.net_disbursement];

    let mut acc = Account {
        final_cash: 0.0,
        inflows: 0.0,
        interest: 0.0,
        consumed: 0.0,
        paid_total: 0.0,
        below_subsistence: false,
        months_in_arrears: 0,
        default: None,
        // The flow vectors grow with the months run (`add_at`): most
        // accounts hand over to the tails long before the path's last month.
        household: Vec::with_capacity(last + 1),
        lender: Vec::with_capacity(last + 1),
        handover: None,
    };
    acc.lender.push(-loan.lender_outlay);
    let mut cash = h.buffer;
    // The last month a default scheduled a flow for.
    let mut last_pending = 0;
    let mut arrears = 0.0;
    let mut unpaid: VecDeque<(usize, f64)> = VecDeque::new();
    let mut savings = loan.savings_held;
    let mut settled = false;
    let mut reverts_from: Option<usize> = None;

    let mut t = 0;
    while t <= last {
        // Most months of most paths are paid in full and on time: they take
        // the short way, which does the same arithmetic in the same order.
        let performing = SHORT
            && acc.default.is_none()
            && !settled
            && arrears == 0.0
            && reverts_from.is_none()
            && t >= pending.len();
        if performing && t < maturity.min(months) {
            let paid_to =
                run_paid_months(h, loan, t..maturity.min(months), tol, &mut cash, &mut acc);
            if paid_to > t {
                t = paid_to;
                continue;
            }
        }
        let reverted = reverts_from.is_some_and(|r| t >= r);
        let (enterprise, capital) = if reverted {
            (at(h.enterprise_without, t), 0.0)
        } else {
            (at(h.enterprise_with, t), at(h.capital, t))
        };
        let mut loan_in = at(&pending, t);
        let due = if acc.default.is_none() && !settled {
            loan.due_at(t)
        } else {
            0.0
        };
        // Days past due at this month's payment date, before it is made.
        let late = acc.default.is_none()
            && unpaid
                .front()
                .is_some_and(|&(d, _)| DAYS_PER_MONTH * (t - d) as u32 > dpd_limit);
        if t == maturity && acc.default.is_none() && !late {
            loan_in += savings;
            savings = 0.0;
        }
        let other = if t < months { h.other_income } else { 0.0 };
        let inflow = enterprise + other + capital + loan_in;
        let mut paid = 0.0;
        let mut at_source = 0.0;
        let active = acc.default.is_none() && !settled;
        if active {
            if due > 0.0 {
                unpaid.push_back((t, due));
            }
            arrears += due;
            // A buyer that deducts repayment pays the lender first, out of
            // what it owes the household, before subsistence.
            if !(late || reverted) {
                at_source = arrears.min(at(h.deducting_revenue, t).max(0.0));
            }
            if at_source > 0.0 {
                paid += at_source;
                arrears -= at_source;
                pay_oldest_first(&mut unpaid, at_source, tol);
                if arrears <= tol {
                    arrears = 0.0;
                    unpaid.clear();
                }
            }
        }
        let spent = if t < months { h.subsistence } else { 0.0 };
        acc.consumed += spent;
        acc.inflows += inflow;
        cash = earn(cash, t, h.savings_rate, &mut acc.interest) + net_of(inflow, at_source, spent);
        // A shortfall — subsistence not covered, or a recovery charge the
        // cash cannot meet — is consumption not made.
        if cash < 0.0 {
            acc.below_subsistence = true;
            acc.consumed += cash;
            cash = 0.0;
        }

        let mut defaults_now = false;
        if active {
            if late {
                defaults_now = true;
            } else {
                let from_cash = arrears.min(cash);
                paid += from_cash;
                cash -= from_cash;
                arrears -= from_cash;
                pay_oldest_first(&mut unpaid, from_cash, tol);
                if arrears <= tol {
                    arrears = 0.0;
                    unpaid.clear();
                }
                defaults_now = (t <= maturity
                    && arrears > lender.unlikely_to_pay_share * loan.balance_before(t))
                    || (t == last && arrears > 0.0);
                if t >= maturity && arrears == 0.0 {
                    settled = true;
                }
            }
            if arrears > 0.0 {
                acc.months_in_arrears += 1;
            }
        }
        acc.paid_total += paid;
        add_at(&mut acc.lender, t, paid);
        add_at(&mut acc.household, t, enterprise + capital + loan_in - paid);

        if defaults_now {
            let gross = loan.balance_at(t)
                + arrears
                + loan.balance_at(t) * loan.monthly_rate * loan.months_accrued(t) as f64;
            let set_off = savings.min(gross);
            add_at(&mut acc.lender, t, set_off);
            // Savings beyond the claim are the household's: returned now.
            let refund = savings - set_off;
            cash += refund;
            acc.inflows += refund;
            add_at(&mut acc.household, t, refund);
            savings = 0.0;
            let ead = gross - set_off;
            let recovery_month = t + loan.recovery_delay_months as usize;
            let recovery = match loan.collateral {
                CollateralKind::FinancedAsset => {
                    let value = at(h.asset_value, t)
                        * (1.0 - loan.recovery_haircut)
                        * (1.0 - lender.recovery_cost_share);
                    let recovery = value.max(0.0).min(ead);
                    let surplus = value.max(0.0) - recovery;
                    if recovery_month == t {
                        cash += surplus;
                        acc.inflows += surplus;
                        add_at(&mut acc.household, t, surplus);
                    } else {
                        add_at(&mut pending, recovery_month, surplus);
                        last_pending = recovery_month;
                    }
                    // This month's flows are already in: with no delay the
                    // household loses the items from the next month.
                    reverts_from = Some(recovery_month.max(t + 1));
                    recovery
                }
                CollateralKind::GroupGuarantee | CollateralKind::None => {
                    let share = if loan.collateral == CollateralKind::GroupGuarantee {
                        lender.group_recovery_share
                    } else {
                        lender.unsecured_recovery_share
                    };
                    // The debt does not vanish: under joint liability the
                    // group pays and the borrower owes it the whole claim;
                    // without collateral, collectors, relatives and lost
                    // assets take it. The household bears the full EAD when
                    // the lender recovers (the month after default at the
                    // earliest, this month's account being closed); the
                    // lender sees only its recovery share, the rest being
                    // collection cost and the group's loss. Default is
                    // never a windfall for the household.
                    add_at(&mut pending, recovery_month.max(t + 1), -ead);
                    last_pending = recovery_month.max(t + 1);
                    share * ead
                }
            };
            add_at(&mut acc.lender, recovery_month, recovery);
            acc.default = Some(Defaulted {
                month: t,
                ead,
                set_off,
                recovery,
                recovery_month,
            });
        }
        // Done with: repaid, or defaulted with every flow of the default
        // in and the household on its final regime.
        let done = (settled || acc.default.is_some())
            && t >= last_pending
            && reverts_from.is_none_or(|r| r <= t + 1);
        if let (Some(tails), true) = (h.tails, done) {
            let reverted = reverts_from.is_some();
            acc.below_subsistence |= tails.falls_short(reverted, t + 1, cash);
            acc.handover = Some(Handover {
                month: t + 1,
                reverted,
            });
            break;
        }
        t += 1;
    }
    // A surplus that arrives after the path's last month is in the NPV,
    // not in the cash account.
    for (t, &x) in pending.iter().enumerate().skip(last + 1) {
        add_at(&mut acc.household, t, x);
    }
    acc.final_cash = cash;
    acc
}

/// Cash after month `t`'s interest on it: none in month 0, and none at a
/// rate of 0, whose 0 × cash would add nothing.
#[inline]
fn earn(cash: f64, t: usize, rate: f64, interest: &mut f64) -> f64 {
    if t > 0 && rate != 0.0 {
        let earned = cash * rate;
        *interest += earned;
        cash + earned
    } else {
        cash
    }
}

/// A month's inflow less what a buyer paid the lender at source and what
/// subsistence took. It is worked out apart from the cash it is added to,
/// so that a month's cash waits on one add, not three.
#[inline]
fn net_of(inflow: f64, at_source: f64, spent: f64) -> f64 {
    inflow - at_source - spent
}

/// Runs `months` of [`run_account`] for a loan performing with nothing in
/// arrears and no flow of its own but its dues (within the path, before
/// maturity), with the general loop's arithmetic in the same order, for as
/// long as each month ends paid in full. Returns the first month not run,
/// which the general loop then takes up.
fn run_paid_months(
    h: &HouseholdPath,
    loan: &LoanPlan,
    months: std::ops::Range<usize>,
    tol: f64,
    cash: &mut f64,
    acc: &mut Account,
) -> usize {
    for t in months.clone() {
        let (enterprise, capital, loan_in) = (at(h.enterprise_with, t), at(h.capital, t), 0.0);
        let inflow = enterprise + h.other_income + capital + loan_in;
        let mut arrears = 0.0 + loan.due[t];
        let at_source = arrears.min(at(h.deducting_revenue, t).max(0.0));
        let mut paid = 0.0;
        if at_source > 0.0 {
            paid += at_source;
            arrears -= at_source;
            if arrears <= tol {
                arrears = 0.0;
            }
        }
        let mut interest = acc.interest;
        let room = earn(*cash, t, h.savings_rate, &mut interest)
            + net_of(inflow, at_source, h.subsistence);
        // The usual month first: its cash waits on two adds.
        let (left, from_cash, short) = if room >= arrears {
            (room - arrears, arrears, false)
        } else {
            let (room, short) = if room < 0.0 {
                (0.0, true)
            } else {
                (room, false)
            };
            let from_cash = arrears.min(room);
            if arrears - from_cash > tol {
                return t;
            }
            (room - from_cash, from_cash, short)
        };
        paid += from_cash;
        acc.interest = interest;
        acc.inflows += inflow;
        acc.consumed += h.subsistence;
        if short {
            acc.below_subsistence = true;
            acc.consumed += room;
        }
        acc.paid_total += paid;
        *cash = left;
        add_at(&mut acc.lender, t, paid);
        add_at(&mut acc.household, t, enterprise + capital + loan_in - paid);
    }
    months.end
}

/// Pays `amount` off the unpaid instalments, oldest first; an instalment
/// left with less than `tol` counts as paid.
fn pay_oldest_first(unpaid: &mut VecDeque<(usize, f64)>, mut amount: f64, tol: f64) {
    while let Some(front) = unpaid.front_mut() {
        if front.1 <= amount + tol {
            amount -= front.1;
            unpaid.pop_front();
        } else {
            front.1 -= amount;
            break;
        }
    }
}

/// The lowest annual DSCR over loan years with dues (F11); +∞ if none.
fn min_annual_dscr(h: &HouseholdPath, loan: &LoanPlan) -> f64 {
    annual_dscrs(h, loan)
        .map(|(_, d)| d)
        .fold(f64::INFINITY, f64::min)
}

/// The annual DSCR of each loan year with dues (F11), as (loan year from 1,
/// DSCR): a year's earnings before debt service over its instalments due.
/// An iterator, so the minimum in [`evaluate_path_with`] allocates nothing.
pub fn annual_dscrs<'a>(
    h: &'a HouseholdPath,
    loan: &'a LoanPlan,
) -> impl Iterator<Item = (usize, f64)> + 'a {
    let years = match loan.maturity() {
        0 => 0,
        m => (m - 1) / 12 + 1,
    };
    (0..years).filter_map(move |year| {
        let months = (year * 12 + 1)..=((year + 1) * 12);
        let due: f64 = months.clone().map(|t| loan.due_at(t)).sum();
        let earned: f64 = months
            .map(|t| at(h.enterprise_with, t) + h.other_income - h.subsistence)
            .sum();
        (due > 0.0).then(|| (year + 1, earned / due))
    })
}

/// The lender's IRR per month: the unique root, or the one closest to the
/// contract's monthly rate when there are several.
fn lender_irr_monthly(flows: &[f64], contract_monthly: f64) -> Option<f64> {
    let found = tvm::irr(flows);
    found.unique().or_else(|| {
        found.roots.iter().copied().min_by(|a, b| {
            (a - contract_monthly)
                .abs()
                .total_cmp(&(b - contract_monthly).abs())
        })
    })
}

/// The per-path metrics that only some analyses read, worked out only when
/// asked for: on a book of a hundred thousand loans and a thousand paths
/// each, what no output reads is worth not computing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extras {
    /// The lender's IRR on paths in arrears (a root search each; a path
    /// paid on schedule takes the plan's own IRR either way).
    pub lender_irr: bool,
    /// The lowest annual DSCR; NaN in the outcome when not asked for.
    pub min_annual_dscr: bool,
}

impl Extras {
    /// Every metric.
    pub const ALL: Extras = Extras {
        lender_irr: true,
        min_annual_dscr: true,
    };
    /// Everything but the lender's IRR in arrears (`design` and `channels` read
    /// the DSCR).
    pub const NO_LENDER_IRR: Extras = Extras {
        lender_irr: false,
        min_annual_dscr: true,
    };
    /// Neither: default, losses and the household's NPV and W only (the book
    /// and `compare`, which read no DSCR by path).
    pub const NONE: Extras = Extras {
        lender_irr: false,
        min_annual_dscr: false,
    };
}

/// Evaluates a loan on one household path (see the module notes).
#[must_use]
pub fn evaluate_path(h: &HouseholdPath, loan: &LoanPlan, lender: &Lender) -> PathOutcome {
    evaluate_path_with(h, loan, lender, Extras::ALL)
}

/// [`evaluate_path`], working out only the [`Extras`] asked for.
#[must_use]
pub fn evaluate_path_with(
    h: &HouseholdPath,
    loan: &LoanPlan,
    lender: &Lender,
    extras: Extras,
) -> PathOutcome {
    evaluate_path_promised(h, loan, loan.promised_pv(), lender, extras)
}

/// [`evaluate_path_with`] given the loan's [`LoanPlan::promised_pv`], which
/// callers running many paths of one loan compute once.
pub(crate) fn evaluate_path_promised(
    h: &HouseholdPath,
    loan: &LoanPlan,
    promised_pv: f64,
    lender: &Lender,
    extras: Extras,
) -> PathOutcome {
    let mut acc = run_account(h, loan, lender);
    let i = loan.monthly_rate;
    let r = h.discount_monthly;
    let x_household = 1.0 / (1.0 + r);
    // An account handed over to the tails ends its sums there, and adds
    // what the tails hold from then on, discounted from there.
    let (end, (tail_all, tail_incremental)) = match acc.handover {
        Some(hand) => (
            hand.month,
            h.tails
                .map_or((0.0, 0.0), |t| t.npvs(hand.reverted, hand.month)),
        ),
        None => (acc.household.len().max(acc.lender.len()), (0.0, 0.0)),
    };
    // Months the household had no flow of its own still count the path
    // without the investment in the increment.
    if acc.household.len() < end {
        acc.household.resize(end, 0.0);
    }
    let [household_all, household_incremental] =
        tvm::sums_by_time(x_household, &acc.household[..end], |v, t| {
            [v, v - at(h.enterprise_without, t as usize)]
        });
    let to_end = x_household.powi(end as i32);
    let household_all = household_all + to_end * tail_all;
    let household_incremental = household_incremental + to_end * tail_incremental;
    // The lender's flows are all in by the handover.
    let lender_npv = tvm::npv(i, &acc.lender[..acc.lender.len().min(end)]);
    let received_pv = lender_npv + loan.lender_outlay;
    let (ead, recovery_pv) = acc.default.map_or((0.0, 0.0), |d| {
        let delay = (d.recovery_month - d.month) as i32;
        (d.ead, d.recovery / (1.0 + i).powi(delay))
    });

    let household_npv = household_incremental;
    // Other income is level: its NPV is an annuity, no vector needed.
    let other = h.other_income * annuity_due_factor(r, h.months());
    let wealth = h.buffer + household_all + other;
    PathOutcome {
        defaulted: acc.default.is_some(),
        default_month: acc.default.map(|d| d.month as u32),
        ead,
        recovery_pv,
        promised_pv,
        received_pv,
        lender_irr: if acc.default.is_none() && acc.months_in_arrears == 0 {
            loan.on_schedule_irr
        } else if !extras.lender_irr {
            None
        } else {
            lender_irr_monthly(&acc.lender, i).map(|m| (1.0 + m).powi(12) - 1.0)
        },
        min_annual_dscr: if extras.min_annual_dscr {
            min_annual_dscr(h, loan)
        } else {
            f64::NAN
        },
        below_subsistence: acc.below_subsistence,
        household_npv,
        consumption_capacity: wealth / annuity_due_factor(r, h.months()),
        months_in_arrears: acc.months_in_arrears,
    }
}

/// The household on the same path without the investment and the loan:
/// the same cash account with the without-path enterprise, no capital
/// flows and no loan.
#[must_use]
pub fn evaluate_without(h: &HouseholdPath) -> WithoutOutcome {
    let owned;
    let tails = match h.tails {
        Some(t) => t,
        None => {
            owned = Tails::of(h);
            &owned
        }
    };
    // Without the investment the household is on the reverted regime from
    // month 0, with its buffer as the cash it starts with.
    let (enterprise, _) = tails.npvs(true, 0);
    let annuity = annuity_due_factor(h.discount_monthly, h.months());
    let npv = enterprise + h.other_income * annuity;
    WithoutOutcome {
        below_subsistence: tails.falls_short(true, 0, h.buffer),
        consumption_capacity: (h.buffer + npv) / annuity,
        npv,
    }
}

/// Credit metrics and household welfare over many paths.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditSummary {
    /// Share of paths that default over the loan's life (F25).
    pub pd_lifetime: f64,
    /// 1 − (1 − PD_life)^(1/tenor years) (F25).
    pub pd_annual: f64,
    /// Standard error of the lifetime PD, √(PD(1 − PD)/S).
    pub pd_se: f64,
    /// Mean exposure at default over defaulting paths.
    pub ead: Option<f64>,
    /// 1 − Σ recovery PV / Σ EAD over defaulting paths (exposure-weighted).
    pub lgd: Option<f64>,
    /// Mean over paths of promised PV − received PV (signed, at month 0).
    pub expected_loss: f64,
    /// Mean annual lender IRR over paths where it exists.
    pub lender_irr_mean: Option<f64>,
    /// 5th percentile of the annual lender IRR.
    pub lender_irr_p5: Option<f64>,
    /// Annual risk-adjusted return on economic capital (F20).
    pub raroc: Option<f64>,
    /// Mean household NPV after financing.
    pub household_npv_mean: f64,
    /// 5th percentile of household NPV.
    pub household_npv_p5: f64,
    /// Median household NPV.
    pub household_npv_p50: f64,
    /// 95th percentile of household NPV.
    pub household_npv_p95: f64,
    /// CRRA certainty equivalent of W with the investment and loan minus
    /// without (F31, F54).
    pub ce_gain: f64,
    /// CRRA certainty equivalent of W with the investment and loan (per
    /// month, F31).
    pub ce: f64,
    /// Mean of W with the investment and loan (per month).
    pub w_mean: f64,
    /// Standard deviation of W across paths.
    pub w_sd: f64,
    /// Roy's safety-first probability (F33): share of paths whose
    /// consumption capacity W falls below the subsistence line d, with
    /// the investment and loan.
    pub p_below_subsistence: f64,
    /// The same without the investment and loan.
    pub p_below_subsistence_without: f64,
    /// Share of paths with at least one month in which cash cannot cover
    /// subsistence (a liquidity shortfall), with the investment and loan.
    pub p_shortfall: f64,
    /// The same without the investment and loan.
    pub p_shortfall_without: f64,
    /// 10th percentile of the lowest annual DSCR; +∞ if nothing is due.
    pub dscr_p10: f64,
    /// Number of paths.
    pub paths: usize,
}

fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut w = Welford::new();
    for x in values {
        w.push(x);
    }
    (w.count() > 0).then(|| w.mean())
}

/// Annual PD from a lifetime PD over `tenor_years` (F25):
/// 1 − (1 − PD_life)^(1/years).
#[must_use]
pub fn annual_pd(pd_lifetime: f64, tenor_years: f64) -> f64 {
    if tenor_years > 0.0 {
        1.0 - (1.0 - pd_lifetime).powf(1.0 / tenor_years)
    } else {
        pd_lifetime
    }
}

/// The floor ε under consumption capacity before CRRA utility (F31): 1% of
/// subsistence per month, at least 1e-9.
#[must_use]
pub fn ce_floor(subsistence: f64) -> f64 {
    (0.01 * subsistence).max(1e-9)
}

/// The `p`-quantile of `values` (numpy's linear rule), `None` when empty.
pub fn quantile(mut values: Vec<f64>, p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    quantiles(&mut values, &[p]).first().copied()
}

/// Economic capital of a loan (F20, F28): Basel other-retail K at the
/// annual PD (floored at [`PD_FLOOR`]) and the LGD (or [`FALLBACK_LGD`]
/// when no path defaults) times the principal, floored at the standardised
/// charge [`STANDARDISED_RETAIL_CHARGE`].
#[must_use]
pub fn economic_capital(pd_annual: f64, lgd: Option<f64>, principal: f64) -> f64 {
    let capital_lgd = lgd.unwrap_or(FALLBACK_LGD).clamp(0.0, 1.0);
    // Basel's formula needs PD in (0, 1); a PD of 1 (every path defaults)
    // leaves almost no unexpected loss, so EC is tiny and RAROC hugely
    // negative, which is the right signal.
    let capital_pd = pd_annual.clamp(PD_FLOOR, 1.0 - 1e-9);
    basel_retail_k(capital_pd, capital_lgd).max(STANDARDISED_RETAIL_CHARGE) * principal
}

/// A loan's annual economics for the lender, the parts of RAROC (F20), so
/// that an instrument (a guarantee's fees and capital relief, a subsidy's
/// top-up) can change one part and recompute the ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LenderEconomics {
    /// Interest and fee income per year.
    pub income: f64,
    /// Cost of funds per year.
    pub funding_cost: f64,
    /// Operating cost per year.
    pub operating_cost: f64,
    /// Expected loss per year (PV of promised less received, over the tenor).
    pub expected_loss: f64,
    /// Economic capital.
    pub ec: f64,
    /// Annual risk-free rate earned on the capital.
    pub risk_free: f64,
    /// Mean scheduled balance while the loan is outstanding.
    pub average_balance: f64,
    /// Tenor in years used to annualise (at least a year's divisor of 1).
    pub years: f64,
}

impl LenderEconomics {
    /// Income − funding and operating costs − expected loss + risk-free return on capital, per year.
    #[must_use]
    pub fn net(&self) -> f64 {
        self.income - self.funding_cost - self.operating_cost - self.expected_loss
            + self.risk_free * self.ec
    }

    /// RAROC = [`LenderEconomics::net`] / EC; `None` when EC is not positive.
    #[must_use]
    pub fn raroc(&self) -> Option<f64> {
        (self.ec.is_finite() && self.ec > 0.0).then(|| self.net() / self.ec)
    }
}

/// The lender's economics of `loan` (see [`summarise`] for the formula).
#[must_use]
pub fn lender_economics(
    loan: &LoanPlan,
    lender: &Lender,
    pd_annual: f64,
    lgd: Option<f64>,
    expected_loss: f64,
    tenor_years: f64,
) -> LenderEconomics {
    let years = if tenor_years > 0.0 { tenor_years } else { 1.0 };
    let avg_balance = loan.average_balance();
    let fees = loan.principal - loan.lender_outlay;
    let ec = economic_capital(pd_annual, lgd, loan.principal);
    LenderEconomics {
        income: loan.monthly_rate * 12.0 * avg_balance + fees / years,
        funding_cost: lender.cost_of_funds * avg_balance,
        operating_cost: lender.operating_cost_rate * avg_balance,
        expected_loss: expected_loss / years,
        ec,
        risk_free: lender.risk_free,
        average_balance: avg_balance,
        years,
    }
}

/// Aggregates path outcomes, sequentially in path order.
///
/// * `gamma`: the household's CRRA risk aversion; W is floored at 1% of
///   `subsistence` per month (F31's ε; at least 1e-9) before utility.
/// * `tenor_years`: the loan's tenor in years, for PD_annual and to
///   annualise fees and EL in RAROC.
///
/// RAROC (F20), annual: [contract rate × average scheduled balance
/// (interest income as scheduled) + upfront fees / tenor − cost of funds ×
/// average balance − operating cost × average balance − EL / tenor +
/// risk-free × EC] / EC, with EC = Basel retail K(max(PD_annual, 0.03%),
/// LGD, or 45% if no path defaults) × principal (F28), floored at the
/// standardised charge for regulatory retail ([`STANDARDISED_RETAIL_CHARGE`]):
/// IRB capital vanishes as PD approaches 0 or 1 (no *unexpected* loss), and
/// a ratio over a vanishing denominator tells a lender nothing.
#[must_use]
pub fn summarise(
    outcomes: &[PathOutcome],
    without: &[WithoutOutcome],
    loan: &LoanPlan,
    lender: &Lender,
    gamma: f64,
    subsistence: f64,
    tenor_years: f64,
) -> CreditSummary {
    let s = outcomes.len();
    let n = s.max(1) as f64;
    let defaults: Vec<&PathOutcome> = outcomes.iter().filter(|o| o.defaulted).collect();
    let pd = defaults.len() as f64 / n;
    let pd_annual = annual_pd(pd, tenor_years);
    let total_ead: f64 = defaults.iter().map(|o| o.ead).sum();
    let total_recovery: f64 = defaults.iter().map(|o| o.recovery_pv).sum();
    let ead = (!defaults.is_empty()).then(|| total_ead / defaults.len() as f64);
    let lgd = (total_ead > 0.0).then(|| 1.0 - total_recovery / total_ead);
    let expected_loss = mean(outcomes.iter().map(|o| o.promised_pv - o.received_pv)).unwrap_or(0.0);

    let irrs: Vec<f64> = outcomes.iter().filter_map(|o| o.lender_irr).collect();
    let lender_irr_mean = mean(irrs.iter().copied());
    let lender_irr_p5 = quantile(irrs, 0.05);

    let raroc = lender_economics(loan, lender, pd_annual, lgd, expected_loss, tenor_years).raroc();

    let npvs: Vec<f64> = outcomes.iter().map(|o| o.household_npv).collect();
    let household_npv_mean = mean(npvs.iter().copied()).unwrap_or(0.0);
    let npv_q = if npvs.is_empty() {
        vec![0.0; 3]
    } else {
        let mut v = npvs;
        quantiles(&mut v, &[0.05, 0.5, 0.95])
    };

    let floor = ce_floor(subsistence);
    let w_with: Vec<f64> = outcomes.iter().map(|o| o.consumption_capacity).collect();
    let w_without: Vec<f64> = without.iter().map(|o| o.consumption_capacity).collect();
    let ce = if w_with.is_empty() {
        0.0
    } else {
        crra_certainty_equivalent(&w_with, gamma, floor)
    };
    let ce_gain = if w_with.is_empty() || w_without.is_empty() {
        0.0
    } else {
        ce - crra_certainty_equivalent(&w_without, gamma, floor)
    };
    let mut w_stats = Welford::new();
    for w in &w_with {
        w_stats.push(*w);
    }

    let share = |k: usize, of: usize| k as f64 / of.max(1) as f64;
    let dscr: Vec<f64> = outcomes
        .iter()
        .map(|o| o.min_annual_dscr)
        .filter(|d| d.is_finite())
        .collect();
    CreditSummary {
        pd_lifetime: pd,
        pd_annual,
        pd_se: (pd * (1.0 - pd) / n).sqrt(),
        ead,
        lgd,
        expected_loss,
        lender_irr_mean,
        lender_irr_p5,
        raroc,
        household_npv_mean,
        household_npv_p5: npv_q[0],
        household_npv_p50: npv_q[1],
        household_npv_p95: npv_q[2],
        ce_gain,
        ce,
        w_mean: w_stats.mean(),
        w_sd: if w_stats.count() > 1 {
            w_stats.sd()
        } else {
            0.0
        },
        p_below_subsistence: share(
            outcomes
                .iter()
                .filter(|o| o.consumption_capacity < subsistence)
                .count(),
            s,
        ),
        p_below_subsistence_without: share(
            without
                .iter()
                .filter(|o| o.consumption_capacity < subsistence)
                .count(),
            without.len(),
        ),
        p_shortfall: share(outcomes.iter().filter(|o| o.below_subsistence).count(), s),
        p_shortfall_without: share(
            without.iter().filter(|o| o.below_subsistence).count(),
            without.len(),
        ),
        dscr_p10: quantile(dscr, 0.10).unwrap_or(f64::INFINITY),
        paths: s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::product::tests::base;
    use crate::domain::schedule::{schedule, YearMonth};
    use crate::engine::appraisal::{self, financing_view, LoanFlows};
    use crate::engine::cashflow::CaseFlows;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    /// A zero-rate, fee-free loan with the given instalments (month 0
    /// first); the principal is their sum.
    fn plan(due: Vec<f64>, collateral: CollateralKind) -> LoanPlan {
        let principal: f64 = due.iter().sum();
        let mut balance = Vec::with_capacity(due.len());
        let mut b = principal;
        for d in &due {
            b -= d;
            balance.push(b);
        }
        LoanPlan {
            id: "plan".into(),
            principal,
            net_disbursement: principal,
            lender_outlay: principal,
            due,
            balance,
            savings_held: 0.0,
            monthly_rate: 0.0,
            collateral,
            recovery_haircut: 0.4,
            recovery_delay_months: 0,
            on_schedule_irr: None,
        }
        .with_on_schedule_irr()
    }

    /// n monthly instalments of `each`, starting in month 1.
    fn level(n: usize, each: f64) -> Vec<f64> {
        let mut d = vec![each; n + 1];
        d[0] = 0.0;
        d
    }

    /// The flows behind a [`HouseholdPath`].
    #[derive(Debug, Clone)]
    struct Flows {
        with: Vec<f64>,
        without: Vec<f64>,
        capital: Vec<f64>,
        asset: Vec<f64>,
        subsistence: f64,
        buffer: f64,
        savings_rate: f64,
    }

    impl Flows {
        /// Income `with` by month; the whole net disbursement is spent on
        /// the investment in month 0, so only income repays the loan.
        /// Month 0's income is set to 0.
        fn new(mut with: Vec<f64>, loan: &LoanPlan) -> Flows {
            let n = with.len();
            with[0] = 0.0;
            let mut capital = vec![0.0; n];
            capital[0] = -loan.net_disbursement;
            Flows {
                without: vec![0.0; n],
                asset: vec![loan.principal; n],
                with,
                capital,
                subsistence: 0.0,
                buffer: 0.0,
                savings_rate: 0.0,
            }
        }

        /// A household with income `with`, subsistence, buffer and
        /// savings rate, whose path without the investment earns
        /// `without_share` of `with`.
        fn household(
            with: Vec<f64>,
            loan: &LoanPlan,
            subsistence: f64,
            buffer: f64,
            savings_rate: f64,
            without_share: f64,
        ) -> Flows {
            let mut f = Flows::new(with, loan);
            f.subsistence = subsistence;
            f.buffer = buffer;
            f.savings_rate = savings_rate;
            f.without = f.with.iter().map(|x| x * without_share).collect();
            f
        }

        fn path(&self) -> HouseholdPath<'_> {
            HouseholdPath {
                enterprise_with: &self.with,
                enterprise_without: &self.without,
                capital: &self.capital,
                asset_value: &self.asset,
                deducting_revenue: &[],
                other_income: 0.0,
                subsistence: self.subsistence,
                buffer: self.buffer,
                savings_rate: self.savings_rate,
                discount_monthly: 0.01,
                tails: None,
            }
        }
    }

    /// Methods test 1's loan: 1000 at 1% a month over 12 months (PMT 88.8488).
    fn annuity_1000() -> (Product, LoanPlan) {
        let p = base();
        let s = schedule(&p, dec!(1000), YearMonth::new(2026, 1).unwrap()).unwrap();
        let plan = LoanPlan::from_schedule(&p, &s);
        (p, plan)
    }

    fn outcome(f: &Flows, loan: &LoanPlan) -> PathOutcome {
        evaluate_path(&f.path(), loan, &Lender::default())
    }

    #[test]
    fn the_plan_mirrors_the_schedule() {
        let (_, plan) = annuity_1000();
        assert_eq!(plan.maturity(), 12);
        assert_eq!(plan.due[0], 0.0);
        assert!((plan.due[1] - 88.85).abs() < 1e-9);
        assert_eq!(plan.balance[0], 1000.0);
        assert_eq!(plan.balance[12], 0.0);
        assert!((plan.monthly_rate - 0.01).abs() < 1e-15);
        assert!(
            (plan.average_balance() - plan.balance[..12].iter().sum::<f64>() / 12.0).abs() < 1e-9
        );
    }

    #[test]
    fn deduction_at_source_pays_instalments_before_subsistence() {
        // Every month from 1 the household sells 150 to a buyer and must
        // eat 150: without deduction subsistence takes the whole sale, no
        // instalment (88.85) is paid and the loan defaults once the first
        // one is more than 90 days past due, in month 5.
        let (_, loan) = annuity_1000();
        let mut f = Flows::new(vec![150.0; 25], &loan);
        f.subsistence = 150.0;
        // Month 0 has no sale: a buffer of 150 feeds the family.
        f.buffer = 150.0;
        let plain = outcome(&f, &loan);
        assert!(plain.defaulted);
        assert_eq!(plain.default_month, Some(5));
        assert!(plain.months_in_arrears > 0);
        // With the buyer deducting repayment, each instalment is paid out
        // of the sale first: no arrears, no default, and the household eats
        // 150 − 88.85 = 61.15 in months 1–12, below subsistence.
        let deducting = f.with.clone();
        let mut h = f.path();
        h.deducting_revenue = &deducting;
        let o = evaluate_path(&h, &loan, &Lender::default());
        assert!(!o.defaulted);
        assert_eq!(o.months_in_arrears, 0);
        assert!(o.below_subsistence);
        assert!((o.promised_pv - o.received_pv).abs() < 1e-9);
        let acc = run_account(&h, &loan, &Lender::default());
        let dues: f64 = loan.due.iter().sum();
        assert!((acc.paid_total - dues).abs() < 1e-9);
        // Consumed: 150 in month 0 (from the buffer), 150 − instalment in
        // months 1–12, 150 in months 13–24.
        let expected = 150.0 + (150.0 * 12.0 - dues) + 150.0 * 12.0;
        assert!((acc.consumed - expected).abs() < 1e-9, "{}", acc.consumed);
    }

    #[test]
    fn methods_test_6_coverage_above_one_never_defaults() {
        let (_, loan) = annuity_1000();
        let f = Flows::new(vec![150.0; 25], &loan);
        let o = outcome(&f, &loan);
        assert!(!o.defaulted);
        assert_eq!(o.months_in_arrears, 0);
        assert!(!o.below_subsistence);
        // Coverage 150 / PMT (88.8488, methods test 1).
        assert!((o.min_annual_dscr - 150.0 / 88.8488).abs() < 2e-3);
        // Paid as agreed at 1% a month: the lender earns (1.01)^12 − 1.
        assert!((o.lender_irr.unwrap() - (1.01f64.powi(12) - 1.0)).abs() < 1e-4);
        assert!((o.promised_pv - o.received_pv).abs() < 1e-9);
        let s = summarise(
            &[o],
            &[evaluate_without(&f.path())],
            &loan,
            &Lender::default(),
            2.0,
            0.0,
            1.0,
        );
        assert_eq!(s.pd_lifetime, 0.0);
        assert_eq!(s.pd_annual, 0.0);
        assert_eq!(s.lgd, None);
        assert_eq!(s.ead, None);
    }

    #[test]
    fn methods_test_6_income_below_debt_service_defaults() {
        let (_, loan) = annuity_1000();
        let f = Flows::new(vec![50.0; 25], &loan);
        let o = outcome(&f, &loan);
        assert!(o.defaulted);
        // Paying 50 a month against 88.85 due leaves arrears of 38.85·t
        // after month t's payment. The balance before month 7's payment is
        // PV(6 × 88.85 at 1%) = 514.93, half of it 257.47 < 271.95 = 7 ×
        // 38.85, while month 6 has 233.10 < 298.9: unlikely to pay in month
        // 7, before the oldest unpaid instalment (month 4's, from month 7
        // on) is 90 days past due in month 8.
        assert_eq!(o.default_month, Some(7));
        let s = summarise(
            &[o.clone(), o],
            &[],
            &loan,
            &Lender::default(),
            2.0,
            0.0,
            1.0,
        );
        assert_eq!(s.pd_lifetime, 1.0);
        assert_eq!(s.pd_annual, 1.0);
        assert_eq!(s.pd_se, 0.0);
    }

    /// Zero income in months 1..=k, then enough to clear the arrears, then
    /// the instalment.
    fn miss_then_cure(k: usize) -> (LoanPlan, Flows) {
        let loan = plan(level(12, 100.0), CollateralKind::None);
        let mut income = vec![100.0; 16];
        for x in &mut income[1..=k] {
            *x = 0.0;
        }
        income[k + 1] = 100.0 * (k + 1) as f64;
        let f = Flows::new(income, &loan);
        (loan, f)
    }

    #[test]
    fn three_missed_instalments_cure_within_90_days() {
        let (loan, f) = miss_then_cure(3);
        let o = outcome(&f, &loan);
        assert!(!o.defaulted);
        assert_eq!(o.months_in_arrears, 3);
        assert!((o.promised_pv - o.received_pv).abs() < 1e-9);
    }

    #[test]
    fn extras_not_asked_for_change_nothing_else() {
        // A path in arrears (so the lender's IRR needs a root search) that
        // cures, and one that defaults.
        for k in [3, 4] {
            let (loan, f) = miss_then_cure(k);
            let lender = Lender::default();
            let all = evaluate_path_with(&f.path(), &loan, &lender, Extras::ALL);
            let none = evaluate_path_with(&f.path(), &loan, &lender, Extras::NONE);
            assert!(all.lender_irr.is_some() && all.min_annual_dscr.is_finite());
            assert_eq!(none.lender_irr, None);
            assert!(none.min_annual_dscr.is_nan());
            let same = PathOutcome {
                lender_irr: all.lender_irr,
                min_annual_dscr: all.min_annual_dscr,
                ..none
            };
            assert_eq!(same, all);
        }
    }

    #[test]
    fn four_missed_instalments_default_in_the_fifth_month() {
        let (loan, f) = miss_then_cure(4);
        let o = outcome(&f, &loan);
        assert_eq!(o.default_month, Some(5));
        // Nothing was ever paid: the whole 1200 is exposed.
        assert!((o.ead - 1200.0).abs() < 1e-9);
        // Unsecured, no delay, no discount: 10% recovered.
        assert!((o.recovery_pv - 120.0).abs() < 1e-9);
        assert!((o.promised_pv - o.received_pv - 1080.0).abs() < 1e-9);
    }

    #[test]
    fn a_longer_grace_of_days_moves_the_default() {
        let (loan, f) = miss_then_cure(4);
        let lender = Lender {
            default_days_past_due: 180,
            ..Lender::default()
        };
        assert!(!evaluate_path(&f.path(), &loan, &lender).defaulted);
    }

    #[test]
    fn arrears_above_theta_times_balance_default_early() {
        // 1000 repaid as 600 then 400: missing the 600 leaves arrears above
        // half the balance (500) long before 90 days.
        let loan = plan(vec![0.0, 600.0, 400.0], CollateralKind::None);
        let mut f = Flows::new(vec![0.0, 0.0, 2000.0, 0.0, 0.0], &loan);
        let o = outcome(&f, &loan);
        assert_eq!(o.default_month, Some(1));
        assert!((o.ead - 1000.0).abs() < 1e-9);
        // Paying 100 of it keeps arrears at 500, not above: it cures.
        f.with[1] = 100.0;
        let o = outcome(&f, &loan);
        assert!(!o.defaulted);
        assert_eq!(o.months_in_arrears, 1);
    }

    #[test]
    fn no_default_once_repaid_and_unpaid_arrears_at_the_end_default() {
        let loan = plan(level(3, 100.0), CollateralKind::None);
        // Repaid on time, then nothing at all for a year.
        let mut income = vec![0.0; 16];
        income[1..=3].copy_from_slice(&[100.0; 3]);
        assert!(!outcome(&Flows::new(income, &loan), &loan).defaulted);
        // The path ends one month after 40 of the last instalment is left
        // unpaid (not above θ × 100, so no default at maturity).
        let o = outcome(
            &Flows::new(vec![0.0, 100.0, 100.0, 60.0, 0.0], &loan),
            &loan,
        );
        assert_eq!(o.default_month, Some(4));
        // Missing all of it is above θ × the balance before maturity.
        let o = outcome(&Flows::new(vec![0.0, 100.0, 100.0, 0.0, 0.0], &loan), &loan);
        assert_eq!(o.default_month, Some(3));
    }

    #[test]
    fn repossession_reverts_the_household_to_the_without_path() {
        let mut loan = plan(level(12, 100.0), CollateralKind::FinancedAsset);
        loan.recovery_delay_months = 2;
        let mut income = vec![300.0; 20];
        income[1..=4].copy_from_slice(&[0.0; 4]);
        let mut f = Flows::new(income, &loan);
        f.without = vec![50.0; 20];
        f.asset = vec![1000.0; 20];
        f.capital[15] = 400.0; // salvage the household no longer gets
        let lender = Lender::default();
        let acc = run_account(&f.path(), &loan, &lender);
        let d = acc.default.unwrap();
        assert_eq!(d.month, 5);
        assert_eq!(d.recovery_month, 7);
        // 1000 × (1 − 0.4) × (1 − 0.1), below the 1200 exposure.
        assert!((d.recovery - 540.0).abs() < 1e-9);
        assert!((acc.lender[7] - 540.0).abs() < 1e-9);
        assert_eq!(acc.household[5], 300.0);
        assert_eq!(acc.household[6], 300.0);
        for t in 7..20 {
            assert_eq!(acc.household[t], 50.0, "month {t}");
        }
        let o = evaluate_path(&f.path(), &loan, &lender);
        assert!((o.recovery_pv - 540.0).abs() < 1e-9);
        assert!((1.0 - o.recovery_pv / o.ead - 0.55).abs() < 1e-12);
    }

    #[test]
    fn a_resale_above_the_claim_returns_the_surplus() {
        let mut loan = plan(level(12, 100.0), CollateralKind::FinancedAsset);
        loan.recovery_haircut = 0.0;
        let mut f = Flows::new(vec![0.0; 10], &loan);
        f.asset = vec![5000.0; 10];
        let acc = run_account(&f.path(), &loan, &Lender::default());
        let d = acc.default.unwrap();
        assert!((d.recovery - d.ead).abs() < 1e-9);
        // 5000 × 0.9 − EAD comes back to the household at default (no delay).
        assert!((acc.household[d.month] - (4500.0 - d.ead)).abs() < 1e-9);
    }

    #[test]
    fn savings_are_returned_at_maturity_or_set_off_at_default() {
        let mut loan = plan(level(12, 100.0), CollateralKind::None);
        loan.savings_held = 120.0;
        loan.net_disbursement -= 120.0;
        let f = Flows::new(vec![100.0; 14], &loan);
        let acc = run_account(&f.path(), &loan, &Lender::default());
        assert!(acc.default.is_none());
        assert_eq!(acc.household[12], 120.0);
        let f = Flows::new(vec![0.0; 14], &loan);
        let acc = run_account(&f.path(), &loan, &Lender::default());
        let d = acc.default.unwrap();
        // Month 1's instalment is 120 days past due at month 5's payment
        // date (θ would not bite first: 100·t ≤ 0.5·(1200 − 100(t − 1))
        // for t ≤ 4).
        assert_eq!(d.month, 5);
        // Nothing paid; the savings are set off at once, 10% of the rest
        // recovered at once.
        assert!((d.ead - (1200.0 - 120.0)).abs() < 1e-9);
        assert!((acc.lender[5] - 120.0 - 108.0).abs() < 1e-9);
    }

    /// A homogeneous set: `k` of `n` paths earn nothing, the rest repay.
    fn homogeneous(k: usize, n: usize, kind: CollateralKind) -> (LoanPlan, Vec<PathOutcome>) {
        let loan = plan(level(12, 100.0), kind);
        let outcomes = (0..n)
            .map(|i| {
                let income = if i < k { 0.0 } else { 100.0 };
                outcome(&Flows::new(vec![income; 16], &loan), &loan)
            })
            .collect();
        (loan, outcomes)
    }

    #[test]
    fn methods_test_9_unsecured_lgd_and_el_identity() {
        let (loan, outcomes) = homogeneous(3, 10, CollateralKind::None);
        let lender = Lender::default();
        let s = summarise(&outcomes, &[], &loan, &lender, 2.0, 0.0, 1.0);
        assert_eq!(s.pd_lifetime, 0.3);
        assert!((s.pd_se - (0.3f64 * 0.7 / 10.0).sqrt()).abs() < 1e-15);
        assert!((s.lgd.unwrap() - (1.0 - lender.unsecured_recovery_share)).abs() < 1e-12);
        let el = s.pd_lifetime * s.lgd.unwrap() * s.ead.unwrap();
        assert!((s.expected_loss - el).abs() < 1e-9 * el);
        let (loan, outcomes) = homogeneous(3, 10, CollateralKind::GroupGuarantee);
        let s = summarise(&outcomes, &[], &loan, &lender, 2.0, 0.0, 1.0);
        assert!((s.lgd.unwrap() - (1.0 - lender.group_recovery_share)).abs() < 1e-12);
        // F25 annualisation over a two-year tenor.
        let s = summarise(&outcomes, &[], &loan, &lender, 2.0, 0.0, 2.0);
        assert!((s.pd_annual - (1.0 - 0.7f64.sqrt())).abs() < 1e-15);
    }

    /// methods.md test 7: W ~ N(1000, 400²) gives P(W < 500) = 10.565%;
    /// the safety-first probability is read from W against the subsistence
    /// line, separately from monthly liquidity shortfalls.
    #[test]
    fn safety_first_probability_reads_w_against_the_subsistence_line() {
        let (loan, mut outcomes) = homogeneous(0, 20_000, CollateralKind::None);
        let n = outcomes.len();
        let mut without = Vec::new();
        for (i, o) in outcomes.iter_mut().enumerate() {
            let w = 1000.0 + 400.0 * crate::math::stats::norm_inv((i as f64 + 0.5) / n as f64);
            o.consumption_capacity = w;
            o.below_subsistence = i % 4 == 0;
            without.push(WithoutOutcome {
                below_subsistence: false,
                consumption_capacity: w + 1000.0,
                npv: 0.0,
            });
        }
        let s = summarise(
            &outcomes,
            &without,
            &loan,
            &Lender::default(),
            2.0,
            500.0,
            1.0,
        );
        assert!(
            (s.p_below_subsistence - 0.10565).abs() < 1e-4,
            "{}",
            s.p_below_subsistence
        );
        // W + 1000 ~ N(2000, 400²): P(< 500) = 8.84e-5 (Python statistics.NormalDist(2000, 400).cdf(500)).
        assert!(
            (s.p_below_subsistence_without - 8.842e-5).abs() < 5e-5,
            "{}",
            s.p_below_subsistence_without
        );
        assert_eq!(s.p_shortfall, 0.25);
        assert_eq!(s.p_shortfall_without, 0.0);
    }

    /// Defaulting under a group guarantee does not leave the household
    /// better off than repaying: the whole claim is collected.
    #[test]
    fn default_is_never_a_windfall_for_the_household() {
        let loan = plan(level(12, 100.0), CollateralKind::GroupGuarantee);
        // Income pays the first four instalments, then stops; a windfall
        // arrives after the loan's term.
        let mut income = vec![100.0; 5];
        income.extend(vec![0.0; 8]);
        income.extend(vec![3000.0; 3]);
        let f = Flows::new(income, &loan);
        // A lender that calls the loan at the first missed instalment, so
        // the claim falls due no later than the instalments it replaces
        // (arrears carry no penalty interest, so a slow default would
        // defer payments for free).
        let lender = Lender {
            unlikely_to_pay_share: 0.01,
            ..Lender::default()
        };
        let o = evaluate_path(&f.path(), &loan, &lender);
        assert_eq!(o.default_month, Some(5));
        // The same household repaying on schedule, at the path's 1%/month.
        let repaid: Vec<f64> = (0..f.with.len())
            .map(|t| {
                f.with[t] + f.capital[t] - f.without[t]
                    + if t == 0 { loan.net_disbursement } else { 0.0 }
                    - loan.due_at(t)
            })
            .collect();
        let repaid_npv = tvm::npv(0.01, &repaid);
        assert!(
            o.household_npv < repaid_npv,
            "{} vs {}",
            o.household_npv,
            repaid_npv
        );
    }

    /// The cached on-schedule IRR is what solving a path paid on schedule gives.
    #[test]
    fn on_schedule_irr_matches_a_path_paid_when_due() {
        let mut loan = plan(level(12, 100.0), CollateralKind::None);
        loan.lender_outlay = 1150.0;
        let loan = loan.with_on_schedule_irr();
        let o = outcome(&Flows::new(vec![1000.0; 16], &loan), &loan);
        assert!(!o.defaulted && o.months_in_arrears == 0);
        let mut flows = vec![-1150.0];
        flows.extend([100.0; 12]);
        let m = tvm::irr(&flows).unique().unwrap();
        assert!((o.lender_irr.unwrap() - ((1.0 + m).powi(12) - 1.0)).abs() < 1e-12);
        assert!(loan.on_schedule_irr.unwrap() > 0.0);
    }

    #[test]
    fn raroc_follows_its_definition() {
        let (loan, outcomes) = homogeneous(1, 20, CollateralKind::None);
        let lender = Lender::default();
        let s = summarise(&outcomes, &[], &loan, &lender, 2.0, 0.0, 1.0);
        let avg = loan.average_balance();
        let ec = basel_retail_k(s.pd_annual, s.lgd.unwrap()).max(STANDARDISED_RETAIL_CHARGE)
            * loan.principal;
        let expected = (0.0 - 0.08 * avg - 0.12 * avg - s.expected_loss + 0.05 * ec) / ec;
        assert!((s.raroc.unwrap() - expected).abs() < 1e-12);
        // No default observed: EC at the PD floor and the 45% LGD.
        let (loan, outcomes) = homogeneous(0, 5, CollateralKind::None);
        let s = summarise(&outcomes, &[], &loan, &lender, 2.0, 0.0, 1.0);
        let ec =
            basel_retail_k(PD_FLOOR, FALLBACK_LGD).max(STANDARDISED_RETAIL_CHARGE) * loan.principal;
        let avg = loan.average_balance();
        let expected = (-0.2 * avg + 0.05 * ec) / ec;
        assert!((s.raroc.unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn falling_below_subsistence_is_flagged_without_negative_cash() {
        let loan = plan(level(3, 100.0), CollateralKind::None);
        let mut f = Flows::new(vec![100.0; 6], &loan);
        f.subsistence = 150.0;
        f.buffer = 100.0;
        let acc = run_account(&f.path(), &loan, &Lender::default());
        assert!(acc.below_subsistence);
        assert!(acc.final_cash >= 0.0);
        let w = evaluate_without(&f.path());
        assert!(w.below_subsistence);
        f.subsistence = 0.0;
        assert!(!evaluate_without(&f.path()).below_subsistence);
    }

    #[test]
    fn consumption_capacity_annuitises_wealth_and_ce_gain_compares_it() {
        let loan = plan(level(3, 100.0), CollateralKind::None);
        let mut f = Flows::new(vec![0.0; 24], &loan);
        f.without = vec![100.0; 24];
        let mut h = f.path();
        h.other_income = 20.0;
        // A level 120 a month is worth exactly 120 a month.
        let w = evaluate_without(&h);
        assert!((w.consumption_capacity - 120.0).abs() < 1e-9);
        // A buffer B adds B / ä over 24 months at 1%.
        h.buffer = 1000.0;
        let a = (1.0 - 1.01f64.powi(-24)) / (1.0 - 1.0 / 1.01);
        let w = evaluate_without(&h);
        assert!((w.consumption_capacity - (120.0 + 1000.0 / a)).abs() < 1e-9);
        // Certain outcomes: the CE gain is the difference of the levels.
        let with = PathOutcome {
            consumption_capacity: w.consumption_capacity + 30.0,
            ..evaluate_path(&h, &loan, &Lender::default())
        };
        let s = summarise(
            &[with.clone(), with],
            &[w.clone(), w],
            &loan,
            &Lender::default(),
            2.0,
            100.0,
            1.0,
        );
        assert!((s.ce_gain - 30.0).abs() < 1e-9);
    }

    /// The deterministic appraisal's flows of one path, for the
    /// independent financing view.
    fn case_flows(f: &Flows, other: f64, subsistence: f64) -> CaseFlows {
        let n = f.with.len();
        CaseFlows {
            start_month: 1,
            start_year: 2026,
            revenue_without: f.without.clone(),
            cost_without: vec![0.0; n],
            revenue_with: f.with.clone(),
            cost_with: vec![0.0; n],
            capital: f.capital.clone(),
            asset_value: vec![0.0; n],
            household_net: vec![other - subsistence; n],
            revenue_deducting: vec![0.0; n],
        }
    }

    #[test]
    fn household_npv_without_default_matches_the_financing_view() {
        for (rate, fee, savings) in [
            (dec!(0), dec!(0), dec!(0)),
            (dec!(0.24), dec!(0.02), dec!(0.1)),
        ] {
            let mut p = base();
            p.annual_rate = rate;
            p.upfront_fee_pct = fee;
            p.compulsory_savings_pct = savings;
            let s = schedule(&p, dec!(1000), YearMonth::new(2026, 1).unwrap()).unwrap();
            let loan = LoanPlan::from_schedule(&p, &s);
            let n = 30;
            let mut f = Flows::new(
                (0..n).map(|t| 120.0 + (t % 5) as f64 * 10.0).collect(),
                &loan,
            );
            f.capital[0] = -1100.0;
            f.capital[29] = 300.0;
            f.without = (0..n).map(|t| 30.0 + (t % 3) as f64).collect();
            f.buffer = 500.0;
            let annual = 0.12;
            let mut h = f.path();
            h.other_income = 40.0;
            h.subsistence = 40.0;
            h.discount_monthly = appraisal::monthly_rate(annual);
            let o = evaluate_path(&h, &loan, &Lender::default());
            assert!(!o.defaulted);
            let flows = LoanFlows {
                id: p.id.clone(),
                principal: s.summary.principal,
                client_flow: s.client_cash_flow().into_iter().map(to_f64).collect(),
                debt_service: loan.due.clone(),
                apr: s.summary.apr,
                eir: s.summary.eir,
            };
            let view = financing_view(&case_flows(&f, 40.0, 40.0), &flows, annual, 500.0);
            assert!(
                (o.household_npv - view.household_npv).abs()
                    < 1e-9 * view.household_npv.abs().max(1.0),
                "{} vs {}",
                o.household_npv,
                view.household_npv
            );
        }
    }

    fn random_loan() -> impl Strategy<Value = LoanPlan> {
        (
            prop::collection::vec(0.0..300.0f64, 1..24),
            0.0..0.03f64,
            0.0..200.0f64,
            prop_oneof![
                Just(CollateralKind::None),
                Just(CollateralKind::GroupGuarantee),
                Just(CollateralKind::FinancedAsset)
            ],
            0u32..4,
        )
            .prop_map(|(dues, rate, savings, kind, delay)| {
                let mut due = vec![0.0];
                due.extend(dues);
                let mut loan = plan(due, kind);
                loan.monthly_rate = rate;
                loan.savings_held = savings.min(loan.principal * 0.5);
                loan.net_disbursement = loan.principal - loan.savings_held;
                loan.recovery_delay_months = delay;
                loan
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// cash_T = buffer + Σ inflows + Σ interest − Σ consumed − Σ paid.
        #[test]
        fn the_cash_account_conserves_money(
            loan in random_loan(),
            with in prop::collection::vec(-100.0..400.0f64, 1..40),
            subsistence in 0.0..150.0f64,
            buffer in 0.0..1000.0f64,
            savings_rate in 0.0..0.01f64,
        ) {
            let f = Flows::household(with, &loan, subsistence, buffer, savings_rate, 0.5);
            let acc = run_account(&f.path(), &loan, &Lender::default());
            let expected = buffer + acc.inflows + acc.interest - acc.consumed - acc.paid_total;
            let scale = buffer + acc.inflows.abs() + acc.consumed.abs() + acc.paid_total + 1.0;
            prop_assert!((acc.final_cash - expected).abs() <= 1e-9 * scale);
            prop_assert!(acc.final_cash >= 0.0);
            // What the lender received is what was paid, set off and recovered.
            let received: f64 = acc.lender.iter().sum::<f64>() + loan.lender_outlay;
            let other = acc.default.map_or(0.0, |d| d.set_off + d.recovery);
            prop_assert!((received - acc.paid_total - other).abs() <= 1e-9 * scale);
            prop_assert!(acc.paid_total <= loan.due.iter().sum::<f64>() + 1e-9 * scale);
        }

        /// An account handed over to the path's tails once the loan is done
        /// with reports what the account run to the path's end reports.
        #[test]
        fn handing_over_to_the_tails_changes_no_outcome(
            loan in random_loan(),
            with in prop::collection::vec(-100.0..400.0f64, 1..90),
            without_share in -0.5..1.5f64,
            subsistence in 0.0..150.0f64,
            buffer in 0.0..1000.0f64,
            savings_rate in 0.0..0.01f64,
        ) {
            let f = Flows::household(with, &loan, subsistence, buffer, savings_rate, without_share);
            let full = f.path();
            let tails = Tails::of(&full);
            let handed = HouseholdPath { tails: Some(&tails), ..full };
            let lender = Lender::default();
            let (a, b) = (evaluate_path(&full, &loan, &lender), evaluate_path(&handed, &loan, &lender));
            let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * (1.0 + x.abs().max(y.abs()));
            prop_assert_eq!(a.defaulted, b.defaulted);
            prop_assert_eq!(a.default_month, b.default_month);
            prop_assert_eq!(a.months_in_arrears, b.months_in_arrears);
            prop_assert_eq!(a.below_subsistence, b.below_subsistence);
            prop_assert_eq!(a.lender_irr, b.lender_irr);
            for (x, y) in [
                (a.ead, b.ead),
                (a.recovery_pv, b.recovery_pv),
                (a.received_pv, b.received_pv),
                (a.household_npv, b.household_npv),
                (a.consumption_capacity, b.consumption_capacity),
            ] {
                prop_assert!(close(x, y), "{x} against {y}");
            }
        }

        /// Paid months taken the short way leave the account exactly as
        /// the general loop leaves it, to the bit.
        #[test]
        fn the_short_way_through_paid_months_changes_nothing(
            loan in random_loan(),
            with in prop::collection::vec(-100.0..400.0f64, 1..90),
            deducting_share in prop_oneof![Just(0.0), 0.0..1.0f64],
            other in 0.0..100.0f64,
            subsistence in 0.0..150.0f64,
            buffer in 0.0..1000.0f64,
            savings_rate in prop_oneof![Just(0.0), 0.0..0.01f64],
            handover in any::<bool>(),
        ) {
            let f = Flows::household(with, &loan, subsistence, buffer, savings_rate, 0.5);
            let deducting: Vec<f64> = f.with.iter().map(|x| x * deducting_share).collect();
            let full = HouseholdPath {
                deducting_revenue: &deducting,
                other_income: other,
                ..f.path()
            };
            let tails = Tails::of(&full);
            let h = HouseholdPath { tails: handover.then_some(&tails), ..full };
            let lender = Lender::default();
            let (short, long) = (
                run_account_as::<true>(&h, &loan, &lender),
                run_account_as::<false>(&h, &loan, &lender),
            );
            prop_assert_eq!(short, long);
        }

        /// The household without the investment, read from the tails, is
        /// the cash account run forward month by month.
        #[test]
        fn the_path_without_matches_its_cash_account(
            without in prop::collection::vec(-100.0..400.0f64, 1..90),
            other in 0.0..100.0f64,
            subsistence in 0.0..150.0f64,
            buffer in 0.0..1000.0f64,
            savings_rate in 0.0..0.01f64,
        ) {
            let mut f = Flows::new(without.clone(), &LoanPlan::none());
            f.without = without.clone();
            f.subsistence = subsistence;
            f.buffer = buffer;
            f.savings_rate = savings_rate;
            let h = HouseholdPath { other_income: other, ..f.path() };
            let (mut cash, mut below, mut npv, x) = (buffer, false, 0.0, 1.0_f64 / 1.01);
            let mut closest = f64::INFINITY;
            for (t, w) in without.iter().enumerate() {
                if t > 0 {
                    cash *= 1.0 + savings_rate;
                }
                cash += w + other - subsistence;
                below |= cash < 0.0;
                closest = closest.min(cash.abs());
                cash = cash.max(0.0);
                npv += (w + other) * x.powi(t as i32);
            }
            let wo = evaluate_without(&h);
            // Cash landing on 0 to rounding may go either way.
            if closest > 1e-6 {
                prop_assert_eq!(wo.below_subsistence, below);
            }
            prop_assert!((wo.npv - npv).abs() <= 1e-9 * (1.0 + npv.abs()));
        }

        /// Methods test 6: PD never rises with more income or a larger buffer.
        #[test]
        fn pd_is_non_increasing_in_income_and_buffer(
            loan in random_loan(),
            incomes in prop::collection::vec(prop::collection::vec(0.0..300.0f64, 30), 1..8),
            subsistence in 0.0..100.0f64,
        ) {
            let lender = Lender::default();
            let pd = |scale: f64, buffer: f64| {
                let outcomes: Vec<PathOutcome> = incomes
                    .iter()
                    .map(|inc| {
                        let mut f = Flows::new(inc.iter().map(|x| x * scale).collect(), &loan);
                        f.subsistence = subsistence;
                        f.buffer = buffer;
                        evaluate_path(&f.path(), &loan, &lender)
                    })
                    .collect();
                summarise(&outcomes, &[], &loan, &lender, 2.0, subsistence, 1.0).pd_lifetime
            };
            let scales = [0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 4.0];
            for w in scales.windows(2) {
                prop_assert!(pd(w[1], 0.0) <= pd(w[0], 0.0));
            }
            let buffers = [0.0, 50.0, 200.0, 1000.0, 10000.0];
            for w in buffers.windows(2) {
                prop_assert!(pd(1.0, w[1]) <= pd(1.0, w[0]));
            }
        }
    }
}
