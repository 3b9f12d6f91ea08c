//! Deterministic appraisal of a case: the project view (incremental flows,
//! Gittinger/ADB style) and, for each loan product, the financing view —
//! the household's cash month by month after debt service.
//!
//! Rates: the case's discount rate is annual; flows are monthly, so
//! discounting uses r_m = (1+r)^(1/12) − 1 and monthly IRR/MIRR are
//! reported as annual equivalents (1+i_m)^12 − 1.

use rust_decimal::Decimal;
use serde::Serialize;

use super::cashflow::CaseFlows;
use crate::domain::case::{parse_year_month, Case};
use crate::domain::product::Product;
use crate::domain::schedule::{schedule, Schedule, YearMonth};
use crate::math::{money, tvm};
use crate::{Error, Result};

/// The lender's usual minimum debt service coverage (F11: agricultural
/// lenders commonly require 1.25; FINPACK bands 1.10–1.50).
pub const DSCR_THRESHOLD: f64 = 1.25;

/// The project view: incremental with-minus-without flows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectView {
    /// NPV of ΔNB at the case's discount rate.
    pub npv: f64,
    /// The annual IRR when unique.
    pub irr: Option<f64>,
    /// `unique`, `multiple` or `none`.
    pub irr_status: String,
    /// Every annual IRR root found in (−0.99, 10] (monthly roots annualised).
    pub irr_roots: Vec<f64>,
    /// Annual MIRR, financing and reinvesting at the discount rate.
    pub mirr: Option<f64>,
    /// PV of incremental gross benefits over PV of incremental gross costs.
    pub bcr: Option<f64>,
    /// Months until cumulative ΔNB turns non-negative (interpolated).
    pub payback_months: Option<f64>,
}

/// A loan as the appraisal sees it: client cash flows and amounts due, by month.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanFlows {
    /// Product id.
    pub id: String,
    /// Amount lent.
    pub principal: Decimal,
    /// Client cash flow by month from 0: net disbursement +, instalments −,
    /// savings returned +.
    pub client_flow: Vec<f64>,
    /// Instalment due by month (positive; 0 where nothing is due).
    pub debt_service: Vec<f64>,
    /// Annual percentage rate (F21).
    pub apr: f64,
    /// Effective interest rate (F21).
    pub eir: f64,
}

/// A case appraised: its project view and one financing view per product.
#[derive(Debug, Clone, PartialEq)]
pub struct Appraisal {
    /// Case id.
    pub case_id: String,
    /// Case name.
    pub case_name: String,
    /// Currency of every amount.
    pub currency: String,
    /// The case's annual discount rate.
    pub discount_rate: f64,
    /// Incremental project view.
    pub project: ProjectView,
    /// One financing view per product, in the order given.
    pub products: Vec<FinancingView>,
}

/// Appraises a validated case under each product.
pub fn appraise_case(case: &Case, products: &[Product]) -> Result<Appraisal> {
    let loans = products
        .iter()
        .map(|p| LoanFlows::for_case(case, p))
        .collect::<Result<Vec<_>>>()?;
    Ok(appraise_with(case, &CaseFlows::build(case)?, &loans))
}

/// Appraises a case whose base flows and loans are already built (a caller
/// that also simulates compiles the case and schedules the loans once).
pub fn appraise_with(case: &Case, flows: &CaseFlows, loans: &[LoanFlows]) -> Appraisal {
    appraise_detailed(case, flows, loans, Detail::Full)
}

/// How much of a financing view to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything, with the month-by-month table and the verdict's reason.
    Full,
    /// The figures and the verdict only: `monthly` is left empty and
    /// `reason` blank. A book of a million loans reads no more than that,
    /// and the month dates and reason texts cost more to format than the
    /// view costs to compute.
    Summary,
}

/// [`appraise_with`], with financing views in the given [`Detail`].
pub fn appraise_detailed(
    case: &Case,
    flows: &CaseFlows,
    loans: &[LoanFlows],
    detail: Detail,
) -> Appraisal {
    // ΔNB once for the project and every product's view (a book appraises
    // a million rows under several products).
    let dnb = flows.incremental();
    let project = project_view_of(flows, &dnb, case.discount_rate);
    let products = loans
        .iter()
        .map(|loan| {
            financing_view_detailed(
                flows,
                &dnb,
                loan,
                case.discount_rate,
                case.household.cash_buffer,
                detail,
            )
        })
        .collect();
    Appraisal {
        case_id: case.id.clone(),
        case_name: case.name.clone(),
        currency: case.currency.clone(),
        discount_rate: case.discount_rate,
        project,
        products,
    }
}

/// The schedule a product makes for a case: the amount to finance (the
/// case's `financing.amount`, else the cost of the items bought in month 0)
/// less the product's down payment, rounded to the minor unit, disbursed in
/// the case's start month, maturing within the case's horizon.
pub fn case_schedule(case: &Case, product: &Product) -> Result<Schedule> {
    let context = |e: Error| e.with_field(format!("product `{}`", product.id));
    let amount = match case.financing.amount {
        Some(a) => a,
        None => {
            let cost: f64 = case
                .investments
                .iter()
                .filter(|i| i.month == 0)
                .map(|i| i.cost.base())
                .sum();
            money::from_f64(cost)
                .filter(|c| *c > Decimal::ZERO)
                .ok_or_else(|| {
                    Error::invalid(
                        "financing.amount",
                        "an amount to finance, or items bought in month 0",
                        "neither",
                    )
                })?
        }
    };
    let mut principal = product
        .rounder()
        .round(amount * (Decimal::ONE - product.down_payment_pct));
    principal.rescale(product.minor_unit);
    let (year, month) = parse_year_month(&case.start)?;
    let schedule = schedule(product, principal, YearMonth::new(year, month)?).map_err(context)?;
    let maturity = schedule.summary.maturity_month;
    if maturity > case.horizon_months() {
        return Err(context(Error::invalid(
            "tenor_months",
            format!(
                "a loan that matures within the case's horizon ({} months)",
                case.horizon_months()
            ),
            format!("maturity in month {maturity}"),
        )));
    }
    Ok(schedule)
}

impl LoanFlows {
    /// The loan a product makes for a case (see [`case_schedule`]).
    pub fn for_case(case: &Case, product: &Product) -> Result<LoanFlows> {
        Ok(Self::from_schedule(
            &product.id,
            &case_schedule(case, product)?,
        ))
    }

    /// A schedule's flows on the monthly grid, as model numbers.
    pub fn from_schedule(id: &str, schedule: &Schedule) -> LoanFlows {
        let mut debt_service = vec![0.0; schedule.summary.maturity_month as usize + 1];
        for row in schedule.rows.iter().skip(1) {
            debt_service[row.period as usize] += money::to_f64(row.payment);
        }
        LoanFlows {
            id: id.to_string(),
            principal: schedule.summary.principal,
            client_flow: schedule
                .client_cash_flow()
                .into_iter()
                .map(money::to_f64)
                .collect(),
            debt_service,
            apr: schedule.summary.apr,
            eir: schedule.summary.eir,
        }
    }
}

/// One product's financing view of a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinancingView {
    /// Product id.
    pub id: String,
    /// Amount lent.
    pub principal: Decimal,
    /// APR of the product on this loan.
    pub apr: f64,
    /// EIR of the product on this loan.
    pub eir: f64,
    /// Lowest ratio of cash earned over an instalment's period to the instalment.
    pub min_dscr: Option<f64>,
    /// Lowest ratio over a loan year of cash earned to debt service due.
    pub min_annual_dscr: Option<f64>,
    /// Months in which the household's cash is below zero.
    pub months_cash_negative: usize,
    /// The deepest cash shortfall (0 if cash never falls below zero).
    pub peak_deficit: f64,
    /// NPV of the household's incremental cash after financing (F9).
    pub household_npv: f64,
    /// `passes`, `weak`, `fails` or `not worth it`.
    pub verdict: Verdict,
    /// Why, in words a loan officer uses.
    pub reason: String,
    /// Month by month: the household's cash after debt service.
    #[serde(skip)]
    pub monthly: Vec<MonthRow>,
}

/// One month of the financing view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRow {
    /// Month index from the investment.
    pub period: usize,
    /// `YYYY-MM`.
    pub date: String,
    /// Enterprise operating net cash with the investment.
    pub enterprise_net: f64,
    /// Other income less family living.
    pub household_net: f64,
    /// Investment outlays, replacements and salvage.
    pub capital: f64,
    /// Loan flows (disbursement +, instalments −).
    pub loan: f64,
    /// Cash at the end of the month.
    pub cash: f64,
    /// Coverage of the instalment due this month, if one is due.
    pub dscr: Option<f64>,
}

/// A plain verdict on whether the household can carry the loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Cash never runs out and annual coverage meets the threshold.
    Passes,
    /// Cash never runs out, but coverage is below the lender's threshold.
    Weak,
    /// The household's cash runs out while the loan is outstanding.
    Fails,
    /// Repayable, but the household ends up worse off than without.
    NotWorthIt,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Passes => "passes",
            Verdict::Weak => "weak",
            Verdict::Fails => "fails",
            Verdict::NotWorthIt => "not-worth-it",
        })
    }
}

/// The household's cash at the end of each month without the investment
/// and without a loan: the cash buffer plus the without-path enterprise and
/// the household's other income less living costs, cumulated the way
/// [`financing_view`] cumulates the with-path (no floor at zero), so the two
/// lines are comparable month by month.
pub fn cash_without(flows: &CaseFlows, cash_buffer: f64) -> Vec<f64> {
    let mut cash = cash_buffer;
    (0..flows.len())
        .map(|t| {
            cash += flows.net_without(t) + flows.household_net[t];
            cash
        })
        .collect()
}

/// Monthly rate equivalent to an annual effective rate.
pub fn monthly_rate(annual: f64) -> f64 {
    (1.0 + annual).powf(1.0 / 12.0) - 1.0
}

fn annualise(monthly: f64) -> f64 {
    (1.0 + monthly).powi(12) - 1.0
}

/// The project view of a case's flows at an annual discount rate.
pub fn project_view(flows: &CaseFlows, discount_rate: f64) -> ProjectView {
    project_view_of(flows, &flows.incremental(), discount_rate)
}

/// [`project_view`] given the flows' incremental net benefit `dnb`.
fn project_view_of(flows: &CaseFlows, dnb: &[f64], discount_rate: f64) -> ProjectView {
    let r = monthly_rate(discount_rate);
    let irr = tvm::irr(dnb);
    let roots: Vec<f64> = irr.roots.iter().map(|&m| annualise(m)).collect();
    let benefits: Vec<f64> = (0..flows.len())
        .map(|t| flows.revenue_with[t] - flows.revenue_without[t] + flows.capital[t].max(0.0))
        .collect();
    let costs: Vec<f64> = (0..flows.len())
        .map(|t| -(flows.cost_with[t] - flows.cost_without[t]) - flows.capital[t].min(0.0))
        .collect();
    let pv_costs = tvm::npv(r, &costs);
    ProjectView {
        npv: tvm::npv(r, dnb),
        irr: irr.unique().map(annualise),
        irr_status: irr.status.to_string(),
        irr_roots: roots,
        mirr: tvm::mirr(dnb, r, r).map(annualise),
        bcr: (pv_costs > 0.0).then(|| tvm::npv(r, &benefits) / pv_costs),
        payback_months: tvm::payback(dnb),
    }
}

/// The financing view of one loan on a case.
pub fn financing_view(
    flows: &CaseFlows,
    loan: &LoanFlows,
    discount_rate: f64,
    cash_buffer: f64,
) -> FinancingView {
    let dnb = flows.incremental();
    financing_view_detailed(flows, &dnb, loan, discount_rate, cash_buffer, Detail::Full)
}

/// The financing view of `loan` on `flows`, whose incremental net benefit
/// is `dnb`.
fn financing_view_detailed(
    flows: &CaseFlows,
    dnb: &[f64],
    loan: &LoanFlows,
    discount_rate: f64,
    cash_buffer: f64,
    detail: Detail,
) -> FinancingView {
    let full = detail == Detail::Full;
    let n = flows.len();
    let loan_at = |t: usize| loan.client_flow.get(t).copied().unwrap_or(0.0);
    let due_at = |t: usize| loan.debt_service.get(t).copied().unwrap_or(0.0);
    let maturity = loan
        .debt_service
        .iter()
        .rposition(|&d| d > 0.0)
        .unwrap_or(0);

    let mut cash = cash_buffer;
    let mut monthly = Vec::with_capacity(if full { n } else { 0 });
    let mut earned_since_last_due = 0.0;
    let mut min_dscr: Option<f64> = None;
    let mut first_negative: Option<usize> = None;
    let mut months_negative = 0;
    let mut lowest = 0.0_f64;
    for t in 0..n {
        let enterprise = flows.net_with(t);
        cash += enterprise + flows.household_net[t] + flows.capital[t] + loan_at(t);
        earned_since_last_due += flows.cfads(t);
        let due = due_at(t);
        let dscr = (due > 0.0).then(|| earned_since_last_due / due);
        if let Some(d) = dscr {
            min_dscr = Some(min_dscr.map_or(d, |m| m.min(d)));
            earned_since_last_due = 0.0;
        }
        if cash < 0.0 {
            months_negative += 1;
            if t <= maturity && first_negative.is_none() {
                first_negative = Some(t);
            }
        }
        lowest = lowest.min(cash);
        if !full {
            continue;
        }
        monthly.push(MonthRow {
            period: t,
            date: flows.date(t),
            enterprise_net: enterprise,
            household_net: flows.household_net[t],
            capital: flows.capital[t],
            loan: loan_at(t),
            cash,
            dscr,
        });
    }

    let min_annual_dscr = (0..=maturity.saturating_sub(1) / 12)
        .filter_map(|year| {
            let months = (year * 12 + 1)..=((year + 1) * 12).min(n - 1);
            let due: f64 = months.clone().map(due_at).sum();
            let earned: f64 = months.map(|t| flows.cfads(t)).sum();
            (due > 0.0).then(|| earned / due)
        })
        .reduce(f64::min);

    let r = monthly_rate(discount_rate);
    let after_financing: Vec<f64> = dnb
        .iter()
        .enumerate()
        .map(|(t, d)| d + loan_at(t))
        .collect();
    let household_npv = tvm::npv(r, &after_financing);

    let first_due = loan.debt_service.iter().position(|&d| d > 0.0);
    let verdict = verdict_of(first_negative, household_npv, min_annual_dscr);
    let reason = if full {
        let (judged, reason) = judge(
            flows,
            loan,
            cash_buffer,
            first_negative,
            first_due,
            min_annual_dscr,
            household_npv,
            maturity,
        );
        debug_assert_eq!(judged, verdict);
        reason
    } else {
        String::new()
    };
    FinancingView {
        id: loan.id.clone(),
        principal: loan.principal,
        apr: loan.apr,
        eir: loan.eir,
        min_dscr,
        min_annual_dscr,
        months_cash_negative: months_negative,
        peak_deficit: -lowest,
        household_npv,
        verdict,
        reason,
        monthly,
    }
}

/// The verdict [`judge`] explains: cash running out while the loan is
/// outstanding fails, then a negative NPV after financing is not worth it,
/// then the lowest annual DSCR decides between weak and passes.
fn verdict_of(
    first_negative: Option<usize>,
    household_npv: f64,
    min_annual_dscr: Option<f64>,
) -> Verdict {
    if first_negative.is_some() {
        Verdict::Fails
    } else if household_npv < 0.0 {
        Verdict::NotWorthIt
    } else {
        match min_annual_dscr {
            Some(d) if d < DSCR_THRESHOLD => Verdict::Weak,
            _ => Verdict::Passes,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn judge(
    flows: &CaseFlows,
    loan: &LoanFlows,
    cash_buffer: f64,
    first_negative: Option<usize>,
    first_due: Option<usize>,
    min_annual_dscr: Option<f64>,
    household_npv: f64,
    maturity: usize,
) -> (Verdict, String) {
    let gain = flows.first_gain_month();
    let timing = match (first_due, gain) {
        (Some(d), Some(g)) if d < g => format!(
            "; first instalment due in month {d} ({}), before the investment's first extra sales in month {g} ({})",
            flows.date(d),
            flows.date(g)
        ),
        (Some(d), Some(g)) => format!("; first instalment in month {d}, first extra sales in month {g}"),
        (Some(d), None) => format!("; first instalment in month {d}, and the investment never raises sales"),
        _ => String::new(),
    };
    if let Some(t) = first_negative {
        // What the household must find itself at disbursement: the part of
        // the month-0 purchases the loan does not cover, plus upfront fees.
        let own_funds = -(flows.capital[0] + loan.client_flow.first().copied().unwrap_or(0.0));
        let cause = match first_due {
            Some(_) if t == 0 && own_funds > 0.0 => format!(
                ": the down payment and upfront deductions ({own_funds:.0}) and the month's own costs exceed the cash buffer ({:.0})",
                cash_buffer
            ),
            Some(d) if t < d => format!(
                "; that is before the first instalment (month {d}): the investment's own costs and lost income before it pays exceed the cash buffer, so they need financing too"
            ),
            _ => timing,
        };
        return (
            Verdict::Fails,
            format!(
                "household cash runs out in month {t} ({}) while the loan is outstanding{cause}",
                flows.date(t)
            ),
        );
    }
    if household_npv < 0.0 {
        return (
            Verdict::NotWorthIt,
            format!("repayable, but the household's NPV after financing is negative ({household_npv:.0})"),
        );
    }
    match min_annual_dscr {
        Some(d) if d < DSCR_THRESHOLD => (
            Verdict::Weak,
            format!(
                "cash never runs out, but the lowest annual DSCR is {d:.2}, below the {DSCR_THRESHOLD} lenders require{timing}"
            ),
        ),
        Some(d) => (
            Verdict::Passes,
            format!("cash stays positive through month {maturity}; lowest annual DSCR {d:.2} ≥ {DSCR_THRESHOLD}"),
        ),
        None => (Verdict::Passes, "cash stays positive; no instalment falls due".to_string()),
    }
}
