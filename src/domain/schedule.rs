//! The schedule engine: what a [`Product`] obliges a borrower to pay, month
//! by month, in exact [`Decimal`] amounts, and the price of that obligation
//! as APR and EIR computed from the borrower's full cash flow.
//!
//! A schedule is computed once, exactly, and then handed to the model
//! engines as a monthly cash flow ([`Schedule::client_cash_flow`]).
//!
//! # Semantics
//!
//! * **Time.** Period 0 is the disbursement month; period `m` is `m`
//!   calendar months later ([`YearMonth::plus_months`]). Row 0 records the
//!   disbursement: opening = closing = principal, `fees` = upfront fee +
//!   fixed fee + insurance, `payment` = fees (deducted from the amount paid
//!   out).
//! * **Due dates.** Regular frequencies fall due every `f` = 1, 3, 6 or 12
//!   months (f, 2f, …) and always in the tenor month T (a short last period
//!   if T is not a multiple of f). Harvest frequency falls due in the months
//!   1..=T whose calendar month is in `harvest_months`; the loan matures at
//!   the last of them, which may be before T. It is an error if no such
//!   month falls after the grace period.
//! * **Declining-balance interest** accrues simply between due dates:
//!   interest = round(B × annual × Δmonths / 12). At a due date inside the
//!   grace period (m ≤ G) the interest is paid (`grace_interest = "paid"`:
//!   a row with principal 0) or capitalised (a row with payment 0,
//!   interest = the capitalised amount, principal = −interest, closing =
//!   opening + interest), so monthly capitalisation gives B_G = P(1+i)^G
//!   (methods F13).
//! * **After grace**, with due dates t_1..t_n and period rates
//!   r_j = annual × Δ_j / 12, the level payment A solves
//!   Σ_k w_k·A·Π_{j≤k}(1+r_j)^−1 = B (the balance at the start of
//!   amortisation). `annuity`: w_k = 1 (the textbook annuity for regular
//!   spacing, methods F12). `harvest-weighted`: w_k = the weight of t_k's
//!   harvest month (methods F15). `balloon`: level A on the part left after
//!   the present value of `balloon_share` × B at t_n (methods F14).
//!   `equal-principal`: principal round(B/n) plus interest. `bullet`:
//!   interest only, all principal at maturity.
//! * **Flat interest** (methods F22): total interest I = round(P × flat
//!   rate × maturity/12), spread evenly (or by harvest weights) over the due
//!   dates: all of them if grace interest is paid, the post-grace ones if it
//!   is "capitalised" (deferred; nothing is added to the balance, and no row
//!   is written for a grace due date on which nothing is paid). Principal
//!   is spread by the amortisation rule: `annuity` and `equal-principal`
//!   both give equal parts (a flat loan's instalment is level either way),
//!   `balloon` equal parts of (1 − b)·P plus b·P at the end, `bullet` all at
//!   the end, `harvest-weighted` by weight.
//! * **Rounding.** Interest and payments are rounded to the currency's
//!   minor unit with the product's strategy; principal = payment −
//!   interest. The last instalment absorbs every residual, so Σ principal
//!   equals the principal lent exactly (capitalised negatives cancel) and
//!   the final balance is exactly 0. No repayment exceeds the balance: one
//!   that would is capped, and later instalments carry interest only.
//! * **Fees and savings.** Upfront fee = round(P × upfront_fee_pct);
//!   insurance = round(P × insurance_pct_per_year × maturity/12), charged
//!   upfront for the whole term; fixed fee rounded. Compulsory savings
//!   round(P × compulsory_savings_pct) are held at disbursement and returned
//!   at maturity without interest; they are not a fee and not in `payment`.
//! * **APR/EIR** (MFTransparency, methods F21): the borrower's flows are the
//!   net disbursement at month 0 (principal − fees − savings held), −payment
//!   at each due date and + savings returned at maturity. The rate per
//!   repayment period i_p sets their present value to zero; APR = i_p·m and
//!   EIR = (1+i_p)^m − 1 with m periods per year (12/f). For a regular
//!   frequency this makes a fee-free declining-balance loan's APR equal its
//!   nominal rate. Harvest calendars are irregular, so their period is the
//!   month (m = 12).

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::domain::product::{Amortisation, GraceInterest, Product, RateBasis};
use crate::ensure;
use crate::math::money::{to_f64, Rounder};
use crate::math::tvm;
use crate::{Error, Result};

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// The month `month` (1–12) of `year` (1–9999).
    pub fn new(year: i32, month: u32) -> Result<Self> {
        ensure!(
            (1..=9999).contains(&year) && (1..=12).contains(&month),
            "start",
            "a month YYYY-MM with year 1-9999 and month 01-12",
            format!("{year:04}-{month:02}")
        );
        Ok(YearMonth { year, month })
    }

    /// The year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.year
    }

    /// The calendar month, 1–12.
    #[must_use]
    pub fn month(self) -> u32 {
        self.month
    }

    /// The month `m` months later.
    #[must_use]
    pub fn plus_months(self, m: u32) -> Self {
        let zero_based = self.month - 1 + m;
        YearMonth {
            year: self.year + (zero_based / 12) as i32,
            month: zero_based % 12 + 1,
        }
    }
}

impl FromStr for YearMonth {
    type Err = Error;

    /// Parses `YYYY-MM`; the error names the field `start`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::parse("start", "a month YYYY-MM such as 2026-01", format!("`{s}`"));
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year = y.parse::<i32>().map_err(|_| bad())?;
        let month = m.parse::<u32>().map_err(|_| bad())?;
        YearMonth::new(year, month).map_err(|_| bad())
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One line of a schedule: what happens in one month. For every row,
/// `payment = interest + principal + fees` and
/// `closing_balance = opening_balance − principal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Months since disbursement (0 = disbursement).
    pub period: u32,
    /// Calendar month.
    pub date: YearMonth,
    /// Balance before this row.
    pub opening_balance: Decimal,
    /// Interest due (or capitalised, in a capitalised-grace row).
    pub interest: Decimal,
    /// Principal repaid; negative in a capitalised-grace row.
    pub principal: Decimal,
    /// Fees charged (row 0 only).
    pub fees: Decimal,
    /// What the borrower pays in this month.
    pub payment: Decimal,
    /// Balance after this row.
    pub closing_balance: Decimal,
}

/// Totals and price of a schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Amount lent.
    pub principal: Decimal,
    /// What the borrower receives at month 0: principal − fees − savings held.
    pub net_disbursement: Decimal,
    /// Compulsory savings held at disbursement and returned at maturity.
    pub compulsory_savings: Decimal,
    /// Σ interest over all rows, capitalised interest included.
    pub total_interest: Decimal,
    /// Upfront fee + fixed fee + insurance.
    pub total_fees: Decimal,
    /// Σ payment: principal + total interest + total fees.
    pub total_paid: Decimal,
    /// Number of due dates with a payment (instalments, interest-only
    /// payments included).
    pub payments: u32,
    /// Month of the last due date.
    pub maturity_month: u32,
    /// Repayment periods per year used for APR/EIR (12 for harvest).
    pub periods_per_year: u32,
    /// Rate per repayment period from the borrower's full cash flow.
    pub period_rate: f64,
    /// Annual percentage rate: period rate × periods per year (a fraction).
    pub apr: f64,
    /// Effective interest rate: (1 + period rate)^periods per year − 1.
    pub eir: f64,
}

/// A repayment schedule: rows from disbursement to maturity, and its summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Row 0 (disbursement) and one row per due date.
    pub rows: Vec<Row>,
    /// Totals, APR and EIR.
    pub summary: Summary,
}

impl Schedule {
    /// The borrower's cash flow by month 0..=maturity (sign: borrower's
    /// side): + net disbursement at 0, − each payment, + savings returned at
    /// maturity. Months without a due date are 0.
    #[must_use]
    pub fn client_cash_flow(&self) -> Vec<Decimal> {
        let s = &self.summary;
        let mut flows = vec![Decimal::ZERO; s.maturity_month as usize + 1];
        flows[0] = s.net_disbursement;
        for row in self.rows.iter().skip(1) {
            flows[row.period as usize] -= row.payment;
        }
        flows[s.maturity_month as usize] += s.compulsory_savings;
        flows
    }
}

/// The schedule of `product` for a loan of `principal` disbursed in `start`.
///
/// Fails if the product is invalid, the principal is not positive or has
/// more decimals than the currency's minor unit, the upfront deductions
/// leave nothing to disburse, no harvest month falls after the grace
/// period, or an amount overflows.
pub fn schedule(product: &Product, principal: Decimal, start: YearMonth) -> Result<Schedule> {
    product.validate()?;
    let rounder = product.rounder();
    ensure!(
        principal > Decimal::ZERO && principal <= super::MAX_AMOUNT,
        "principal",
        "an amount in (0, 1e15]",
        principal
    );
    ensure!(
        principal.normalize().scale() <= product.minor_unit,
        "principal",
        format!(
            "an amount in whole minor units ({} decimals)",
            product.minor_unit
        ),
        principal
    );
    // Every month of the schedule is a YYYY-MM that reads back.
    ensure!(
        start.plus_months(product.tenor_months).year() <= 9999,
        "start",
        format!(
            "a start from which {} months end by 9999-12",
            product.tenor_months
        ),
        start
    );
    let dues = due_months(product, start)?;
    let maturity = *dues.last().expect("due_months returns at least one month");

    let upfront = rounder.round(mul(principal, product.upfront_fee_pct)?);
    let insurance = rounder.round(mul(
        mul(principal, product.insurance_pct_per_year)?,
        Decimal::from(maturity) / Decimal::from(12),
    )?);
    let fees = upfront + insurance + rounder.round(product.fixed_fee);
    let savings = rounder.round(mul(principal, product.compulsory_savings_pct)?);
    let net = principal - fees - savings;
    ensure!(
        net > Decimal::ZERO,
        "principal",
        format!("upfront fees ({fees}) and compulsory savings ({savings}) less than the principal"),
        principal
    );

    let mut rows = Vec::with_capacity(dues.len() + 1);
    rows.push(Row {
        period: 0,
        date: start,
        opening_balance: principal,
        interest: Decimal::ZERO,
        principal: Decimal::ZERO,
        fees,
        payment: fees,
        closing_balance: principal,
    });
    let ctx = Ctx {
        product,
        rounder,
        start,
        principal,
        maturity,
    };
    match product.rate_basis {
        RateBasis::Declining => ctx.declining(&dues, &mut rows)?,
        RateBasis::Flat => ctx.flat(&dues, &mut rows)?,
    }

    // Every amount carries exactly the minor unit's decimals (1000.00).
    let dp = product.minor_unit;
    for r in &mut rows {
        for x in [
            &mut r.opening_balance,
            &mut r.interest,
            &mut r.principal,
            &mut r.fees,
            &mut r.payment,
            &mut r.closing_balance,
        ] {
            if x.scale() != dp {
                x.rescale(dp);
            }
        }
    }
    let mut principal = principal;
    principal.rescale(dp);
    // In minor units, as the period loops count.
    let (mut total_interest, mut total_paid) = (0, 0);
    let mut payments = 0;
    for r in &rows {
        total_interest += ctx.minor(r.interest)?;
        total_paid += ctx.minor(r.payment)?;
        if r.period > 0 && r.payment > Decimal::ZERO {
            payments += 1;
        }
    }
    let (total_interest, total_paid) = (ctx.amount(total_interest)?, ctx.amount(total_paid)?);
    let months_per_period = product.frequency.months().unwrap_or(1);
    let periods_per_year = 12 / months_per_period;
    let mut schedule = Schedule {
        rows,
        summary: Summary {
            principal,
            net_disbursement: net,
            compulsory_savings: savings,
            total_interest,
            total_fees: fees,
            total_paid,
            payments,
            maturity_month: maturity,
            periods_per_year,
            period_rate: 0.0,
            apr: 0.0,
            eir: 0.0,
        },
    };
    let flows: Vec<f64> = schedule
        .client_cash_flow()
        .into_iter()
        .map(to_f64)
        .collect();
    // A loan's client flow (net disbursement in, payments out, savings back
    // at maturity) has cumulative sums that change sign once, so by
    // Norström's criterion exactly one rate is ≥ 0: the loan's cost. Savings
    // returned at maturity can add a root far below zero (−93%/month in
    // methods test 2), which says nothing about the price of the loan.
    let found = tvm::irr(&flows);
    let mut costs = found.roots.iter().copied().filter(|r| *r >= -1e-12);
    let monthly = match (costs.next(), costs.next()) {
        (Some(r), None) => r.max(0.0),
        _ => {
            return Err(Error::invalid(
                "principal",
                "a client cash flow with one non-negative rate of return",
                format!("IRR {}: {:?}", found.status, found.roots),
            ))
        }
    };
    let period_rate = (1.0 + monthly).powi(months_per_period as i32) - 1.0;
    let s = &mut schedule.summary;
    s.period_rate = period_rate;
    s.apr = period_rate * f64::from(periods_per_year);
    s.eir = (1.0 + period_rate).powi(periods_per_year as i32) - 1.0;
    Ok(schedule)
}

/// An amortisation phase's cumulative discount factors Π_{j≤k} 1/(1 + r_j)
/// for per-period rates `r_j`, and its annuity factor Σ_k w_k·d_k for
/// payment weights `w_k` (`None` if it overflows).
struct Phase {
    discount: Vec<Decimal>,
    annuity_factor: Option<Decimal>,
}

/// The [`Phase`] of `rates` and `weights` (of equal length).
///
/// It depends on the product and the calendar, not on the amount lent, and
/// is 28-digit arithmetic (a division and a multiply-add per period): a
/// book of a million loans under a few products would repeat the same few
/// hundred thousand operations. So the phases last made on this thread are
/// kept, keyed by the rates and weights they come from; a hit returns the
/// very values a fresh computation would.
fn phase(rates: &[Decimal], weights: &[Decimal]) -> Rc<Phase> {
    /// The rates followed by the weights, and the phase made from them.
    type Kept = Vec<(Vec<Decimal>, Rc<Phase>)>;
    thread_local! {
        static KEPT: RefCell<Kept> = const { RefCell::new(Vec::new()) };
    }
    let n = rates.len();
    let is_key = |k: &[Decimal]| k.len() == 2 * n && &k[..n] == rates && &k[n..] == weights;
    if let Some(hit) = KEPT.with_borrow(|kept| {
        kept.iter()
            .find(|(k, _)| is_key(k))
            .map(|(_, p)| Rc::clone(p))
    }) {
        return hit;
    }
    let mut df = Decimal::ONE;
    let discount: Vec<Decimal> = rates
        .iter()
        .map(|rj| {
            df /= Decimal::ONE + rj;
            df
        })
        .collect();
    let annuity_factor = discount
        .iter()
        .zip(weights)
        .try_fold(Decimal::ZERO, |sum, (d, w)| {
            sum.checked_add(w.checked_mul(*d)?)
        });
    let made = Rc::new(Phase {
        discount,
        annuity_factor,
    });
    KEPT.with_borrow_mut(|kept| {
        // A handful of products and start months in any real run; the
        // bound only keeps a pathological one from growing without limit.
        if kept.len() >= 64 {
            kept.clear();
        }
        kept.push(([rates, weights].concat(), Rc::clone(&made)));
    });
    made
}

fn mul(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_mul(b).ok_or_else(overflow)
}

fn overflow() -> Error {
    Error::invalid(
        "principal",
        "amounts that fit in 28 significant digits (lower the principal, rate or grace)",
        "an overflow",
    )
}

/// The due months (months since disbursement), ascending, ending at maturity.
fn due_months(product: &Product, start: YearMonth) -> Result<Vec<u32>> {
    let t = product.tenor_months;
    let g = product.grace_months;
    let dues: Vec<u32> = match product.frequency.months() {
        Some(f) => {
            let mut d: Vec<u32> = (1..=t / f).map(|k| k * f).collect();
            if d.last() != Some(&t) {
                d.push(t);
            }
            d
        }
        None => (1..=t)
            .filter(|&m| {
                product
                    .harvest_months
                    .contains(&start.plus_months(m).month())
            })
            .collect(),
    };
    ensure!(
        dues.last().is_some_and(|&m| m > g),
        "harvest_months",
        format!(
            "a harvest month after the {g}-month grace period and within the {t}-month tenor from {start}"
        ),
        format!("{:?}", product.harvest_months)
    );
    Ok(dues)
}

struct Ctx<'a> {
    product: &'a Product,
    rounder: Rounder,
    start: YearMonth,
    principal: Decimal,
    maturity: u32,
}

impl Ctx<'_> {
    /// The weight of the instalment due in month `m`: its harvest month's
    /// weight for harvest-weighted amortisation, else 1.
    fn weight(&self, m: u32) -> Decimal {
        let p = self.product;
        if p.amortisation != Amortisation::HarvestWeighted {
            return Decimal::ONE;
        }
        let cal = self.start.plus_months(m).month();
        p.harvest_months
            .iter()
            .position(|&h| h == cal)
            .map_or(Decimal::ONE, |i| p.harvest_weights[i])
    }

    /// The row due in month `m`, from amounts in minor units.
    fn row(&self, m: u32, opening: i128, interest: i128, principal: i128) -> Result<Row> {
        Ok(Row {
            period: m,
            date: self.start.plus_months(m),
            opening_balance: self.amount(opening)?,
            interest: self.amount(interest)?,
            principal: self.amount(principal)?,
            fees: self.amount(0)?,
            payment: self.amount(interest + principal)?,
            closing_balance: self.amount(opening - principal)?,
        })
    }

    /// The amount of `x` minor units, at the minor unit's scale.
    fn amount(&self, x: i128) -> Result<Decimal> {
        self.rounder.amount(x).ok_or_else(overflow)
    }

    /// `x` in minor units (every amount the period loops handle is
    /// rounded to the minor unit).
    fn minor(&self, x: Decimal) -> Result<i128> {
        self.rounder.minor_units(x).ok_or_else(overflow)
    }

    /// Interest on `balance` minor units at `rate`, rounded, in minor units.
    fn interest(&self, balance: i128, rate: Decimal) -> Result<i128> {
        self.rounder
            .round_product(balance, rate)
            .ok_or_else(overflow)
    }

    fn declining(&self, dues: &[u32], rows: &mut Vec<Row>) -> Result<()> {
        let p = self.product;
        let r = &self.rounder;
        let annual = p.annual_rate;
        // The rate for `delta` months, worked out once per distinct delta
        // (dues are mostly evenly spaced) and normalised: 0.24 / 12 is
        // 0.02, not 0.0200…0 at 28 decimals, which would make every
        // interest product carry 30 decimals and be rescaled before it is
        // rounded.
        let mut last_rate = (u32::MAX, Decimal::ZERO);
        let mut rate = |delta: u32| {
            if last_rate.0 != delta {
                let r = annual * Decimal::from(delta) / Decimal::from(12);
                last_rate = (delta, r.normalize());
            }
            last_rate.1
        };
        let split = dues.partition_point(|&m| m <= p.grace_months);
        let (grace, post) = dues.split_at(split);

        // The period loops run in minor units: exact, and several times
        // cheaper than `Decimal` (a book makes millions of schedules).
        let mut balance = self.minor(self.principal)?;
        let mut prev = 0;
        for &m in grace {
            let interest = self.interest(balance, rate(m - prev))?;
            let principal = match p.grace_interest {
                GraceInterest::Paid => 0,
                GraceInterest::Capitalised => -interest,
            };
            rows.push(self.row(m, balance, interest, principal)?);
            balance -= principal;
            prev = m;
        }

        // Per-period rates and cumulative discount factors of the
        // amortisation phase, from the balance `balance` at month `prev`.
        let mut last = prev;
        let rates: Vec<Decimal> = post
            .iter()
            .map(|&m| {
                let rj = rate(m - last);
                last = m;
                rj
            })
            .collect();
        // Payment weights: 1, or the harvest weights of a harvest-weighted
        // loan.
        let weights: Vec<Decimal> = post.iter().map(|&m| self.weight(m)).collect();
        let phase = phase(&rates, &weights);
        let n = post.len();
        let b0 = self.amount(balance)?;
        // The level payment (or weight unit) that repays `pv`.
        let level = |pv: Decimal| -> Result<Decimal> {
            let factor = phase.annuity_factor.ok_or_else(overflow)?;
            pv.checked_div(factor).ok_or_else(overflow)
        };
        // Target payment (Some) or target principal (None → `fixed`).
        enum Rule {
            Payments(Vec<i128>),
            Principal(i128),
        }
        let rule = match p.amortisation {
            Amortisation::Annuity => {
                let a = self.minor(r.round(level(b0)?))?;
                Rule::Payments(vec![a; n])
            }
            Amortisation::HarvestWeighted => {
                let a = level(b0)?;
                Rule::Payments(
                    weights
                        .iter()
                        .map(|wk| self.minor(r.round(wk * a)))
                        .collect::<Result<_>>()?,
                )
            }
            Amortisation::Balloon => {
                let share = p.balloon_share.unwrap_or_default();
                let pv_balloon = mul(mul(b0, share)?, phase.discount[n - 1])?;
                let a = self.minor(r.round(level(b0 - pv_balloon)?))?;
                Rule::Payments(vec![a; n])
            }
            Amortisation::EqualPrincipal => {
                Rule::Principal(self.minor(r.round(b0 / Decimal::from(n as u64)))?)
            }
            Amortisation::Bullet => Rule::Principal(0),
        };
        for (k, &m) in post.iter().enumerate() {
            let interest = self.interest(balance, rates[k])?;
            let principal = if k + 1 == n {
                balance
            } else {
                let wanted = match &rule {
                    Rule::Payments(pay) => pay[k] - interest,
                    Rule::Principal(x) => *x,
                };
                wanted.min(balance)
            };
            rows.push(self.row(m, balance, interest, principal)?);
            balance -= principal;
        }
        Ok(())
    }

    fn flat(&self, dues: &[u32], rows: &mut Vec<Row>) -> Result<()> {
        let p = self.product;
        let r = &self.rounder;
        let years = Decimal::from(self.maturity) / Decimal::from(12);
        let total_interest = r.round(mul(mul(self.principal, p.annual_rate)?, years)?);
        let split = dues.partition_point(|&m| m <= p.grace_months);
        let post = &dues[split..];
        let interest_dates = match p.grace_interest {
            GraceInterest::Paid => dues,
            GraceInterest::Capitalised => post,
        };
        let interest = spread(
            r,
            total_interest,
            &interest_dates
                .iter()
                .map(|&m| self.weight(m))
                .collect::<Vec<_>>(),
        )?;
        let n = post.len();
        let principal_weights: Vec<Decimal> = match p.amortisation {
            Amortisation::Annuity | Amortisation::EqualPrincipal => vec![Decimal::ONE; n],
            Amortisation::HarvestWeighted => post.iter().map(|&m| self.weight(m)).collect(),
            Amortisation::Bullet => {
                let mut w = vec![Decimal::ZERO; n];
                w[n - 1] = Decimal::ONE;
                w
            }
            Amortisation::Balloon => {
                // Equal parts of (1 − b)·P, plus b·P with the last one: the
                // last weight is 1 + b·n/(1 − b) relative to the others.
                let b = p.balloon_share.unwrap_or_default();
                let mut w = vec![Decimal::ONE - b; n];
                w[n - 1] = Decimal::ONE - b + b * Decimal::from(n as u64);
                w
            }
        };
        let principal = spread(r, self.principal, &principal_weights)?;

        let offset = interest_dates.len() - n;
        let mut balance = self.minor(self.principal)?;
        for (k, &m) in interest_dates.iter().enumerate() {
            let repaid = match k.checked_sub(offset) {
                Some(j) if j + 1 == n => balance,
                Some(j) => self.minor(principal[j])?.min(balance),
                None => 0,
            };
            rows.push(self.row(m, balance, self.minor(interest[k])?, repaid)?);
            balance -= repaid;
        }
        Ok(())
    }
}

/// Splits `total` into rounded parts proportional to `weights`; the last
/// part takes the residual, and no part makes the running sum exceed
/// `total`, so every part is ≥ 0 and they add up to `total` exactly.
fn spread(r: &Rounder, total: Decimal, weights: &[Decimal]) -> Result<Vec<Decimal>> {
    let sum: Decimal = weights.iter().sum();
    let mut left = total;
    let mut parts = Vec::with_capacity(weights.len());
    for (k, w) in weights.iter().enumerate() {
        let part = if k + 1 == weights.len() {
            left
        } else {
            r.round(mul(total, *w)?.checked_div(sum).ok_or_else(overflow)?)
                .min(left)
        };
        left -= part;
        parts.push(part);
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::product::tests::base;
    use crate::domain::product::{Amortisation as A, Frequency as F};
    use rust_decimal::MathematicalOps;
    use rust_decimal_macros::dec;

    fn jan() -> YearMonth {
        YearMonth::new(2026, 1).unwrap()
    }

    fn flat_1200() -> Product {
        let mut p = base();
        p.rate_basis = RateBasis::Flat;
        p.annual_rate = dec!(0.12);
        p
    }

    /// methods.md test 1: P = 1000, 1%/month, 12 months: PMT = 88.8488,
    /// rounded to 88.85; the last instalment absorbs the residual.
    #[test]
    fn methods_test_1_annuity_payment() {
        let s = schedule(&base(), dec!(1000), jan()).unwrap();
        assert_eq!(s.rows.len(), 13);
        for row in &s.rows[1..12] {
            assert_eq!(row.payment, dec!(88.85));
        }
        assert_eq!(s.rows[1].interest, dec!(10.00));
        let last = &s.rows[12];
        assert_eq!(last.closing_balance, Decimal::ZERO);
        assert!((last.payment - dec!(88.85)).abs() <= dec!(0.05));
        let repaid: Decimal = s.rows.iter().map(|r| r.principal).sum();
        assert_eq!(repaid, dec!(1000));
        // Fee-free declining balance: APR = nominal rate (methods test 2).
        assert!((s.summary.apr - 0.12).abs() < 1e-5, "{}", s.summary.apr);
    }

    /// methods.md test 2: 1,200 repaid as 12 × 112 (flat 12%): i_p =
    /// 1.78810%/month, APR 21.457%, EIR 23.698%; a 2% upfront fee gives APR
    /// 25.399%; a 10% compulsory deposit returned at the end gives 25.925%.
    #[test]
    fn methods_test_2_apr_and_eir() {
        let s = schedule(&flat_1200(), dec!(1200), jan()).unwrap();
        assert!(s.rows[1..].iter().all(|r| r.payment == dec!(112)));
        let m = &s.summary;
        assert!(
            (m.period_rate - 0.0178810).abs() < 5e-8,
            "{}",
            m.period_rate
        );
        assert!((m.apr - 0.21457).abs() < 5e-6, "{}", m.apr);
        assert!((m.eir - 0.23698).abs() < 5e-6, "{}", m.eir);

        let mut fee = flat_1200();
        fee.upfront_fee_pct = dec!(0.02);
        let s = schedule(&fee, dec!(1200), jan()).unwrap();
        assert_eq!(s.summary.net_disbursement, dec!(1176));
        assert!((s.summary.apr - 0.25399).abs() < 5e-6, "{}", s.summary.apr);

        let mut deposit = flat_1200();
        deposit.compulsory_savings_pct = dec!(0.10);
        let s = schedule(&deposit, dec!(1200), jan()).unwrap();
        let flows = s.client_cash_flow();
        assert_eq!(flows[0], dec!(1080));
        assert_eq!(flows[12], dec!(8));
        assert!((s.summary.apr - 0.25925).abs() < 5e-6, "{}", s.summary.apr);
    }

    /// methods F22: a flat rate's APR is roughly 1.8–2× the flat rate. The
    /// ratio drifts a little below 1.8 at high rates (28% flat over 12
    /// months gives 1.72×), since APR compounds nothing within the year.
    #[test]
    fn flat_apr_is_about_twice_the_flat_rate() {
        for (rate, tenor) in [
            (dec!(0.12), 12),
            (dec!(0.12), 24),
            (dec!(0.2), 18),
            (dec!(0.28), 12),
        ] {
            let mut p = flat_1200();
            p.annual_rate = rate;
            p.tenor_months = tenor;
            let s = schedule(&p, dec!(1000), jan()).unwrap();
            let ratio = s.summary.apr / to_f64(rate);
            assert!((1.7..=2.0).contains(&ratio), "{rate} {tenor}: {ratio}");
        }
    }

    /// methods F13: capitalised grace gives B_G = P(1+i)^G; at P = 10,000
    /// and 1%/month, G = 3, every step is exact: 10,303.01.
    #[test]
    fn capitalised_grace_compounds() {
        let mut p = base();
        p.tenor_months = 15;
        p.grace_months = 3;
        let s = schedule(&p, dec!(10000), jan()).unwrap();
        assert_eq!(s.rows[3].closing_balance, dec!(10303.01));
        assert_eq!(s.rows[1].payment, Decimal::ZERO);
        assert_eq!(s.rows[1].principal, dec!(-100));
        // Long grace: within accumulated rounding of the exact value.
        p.tenor_months = 60;
        p.grace_months = 24;
        let s = schedule(&p, dec!(10000), jan()).unwrap();
        let exact = dec!(10000) * dec!(1.01).powu(24);
        assert!((s.rows[24].closing_balance - exact).abs() <= dec!(0.12));
    }

    #[test]
    fn interest_paid_grace_pays_interest_only() {
        let mut p = base();
        p.tenor_months = 24;
        p.grace_months = 6;
        p.grace_interest = GraceInterest::Paid;
        let s = schedule(&p, dec!(1000), jan()).unwrap();
        for row in &s.rows[1..=6] {
            assert_eq!((row.interest, row.principal), (dec!(10), dec!(0)));
        }
        assert!((s.summary.apr - 0.12).abs() < 1e-5);
    }

    #[test]
    fn quarterly_fee_free_apr_equals_nominal() {
        let mut p = base();
        p.frequency = F::Quarterly;
        p.tenor_months = 36;
        p.annual_rate = dec!(0.2);
        let s = schedule(&p, dec!(50000), jan()).unwrap();
        assert_eq!(s.summary.periods_per_year, 4);
        assert_eq!(s.summary.payments, 12);
        assert!((s.summary.apr - 0.2).abs() < 1e-6, "{}", s.summary.apr);
    }

    #[test]
    fn balloon_leaves_its_share_for_the_end() {
        let mut p = base();
        p.tenor_months = 48;
        p.amortisation = A::Balloon;
        p.balloon_share = Some(dec!(0.4));
        let s = schedule(&p, dec!(10000), jan()).unwrap();
        let last = s.rows.last().unwrap();
        let regular = s.rows[47].principal;
        assert!(last.principal > dec!(4000) + regular);
        assert!(last.principal < dec!(4000) + regular * dec!(1.02));
        assert!((s.rows[47].closing_balance - last.principal).is_zero());
    }

    #[test]
    fn harvest_weighted_pays_only_at_harvests_in_proportion() {
        let mut p = base();
        p.frequency = F::Harvest;
        p.harvest_months = vec![7, 12];
        p.amortisation = A::HarvestWeighted;
        p.harvest_weights = vec![dec!(0.7), dec!(0.3)];
        p.tenor_months = 24;
        let s = schedule(&p, dec!(10000), jan()).unwrap();
        let dates: Vec<String> = s.rows[1..].iter().map(|r| r.date.to_string()).collect();
        assert_eq!(dates, ["2026-07", "2026-12", "2027-07", "2027-12"]);
        let ratio = s.rows[1].payment / s.rows[2].payment;
        assert!((ratio - dec!(7) / dec!(3)).abs() < dec!(0.001), "{ratio}");
        assert_eq!(s.summary.maturity_month, 23);
        // No harvest month after a long grace within the tenor.
        p.grace_months = 23;
        assert_eq!(
            schedule(&p, dec!(1), jan())
                .unwrap_err()
                .location()
                .field
                .as_deref(),
            Some("harvest_months")
        );
    }

    #[test]
    fn fees_savings_and_cash_flow() {
        let mut p = base();
        p.upfront_fee_pct = dec!(0.02);
        p.fixed_fee = dec!(5);
        p.insurance_pct_per_year = dec!(0.01);
        p.compulsory_savings_pct = dec!(0.1);
        p.tenor_months = 24;
        let s = schedule(&p, dec!(1000), jan()).unwrap();
        assert_eq!(s.rows[0].fees, dec!(20) + dec!(5) + dec!(20));
        assert_eq!(
            s.summary.net_disbursement,
            dec!(1000) - dec!(45) - dec!(100)
        );
        let flows = s.client_cash_flow();
        assert_eq!(flows.len(), 25);
        let total: Decimal = flows.iter().sum();
        assert_eq!(
            total,
            -(s.summary.total_interest + s.summary.total_fees),
            "the borrower's net cost is interest plus fees"
        );
        assert!(s.summary.apr > 0.12);
    }

    #[test]
    fn bad_inputs_name_their_field() {
        let field = |r: Result<Schedule>| r.unwrap_err().location().field.clone().unwrap();
        assert_eq!(field(schedule(&base(), dec!(0), jan())), "principal");
        assert_eq!(field(schedule(&base(), dec!(-5), jan())), "principal");
        assert_eq!(field(schedule(&base(), dec!(1.001), jan())), "principal");
        let mut p = base();
        p.upfront_fee_pct = dec!(0.6);
        p.compulsory_savings_pct = dec!(0.5);
        assert_eq!(field(schedule(&p, dec!(100), jan())), "principal");
        assert!("2026-13".parse::<YearMonth>().is_err());
        assert!("26-01".parse::<YearMonth>().is_err());
        assert_eq!(
            "2026-11".parse::<YearMonth>().unwrap().plus_months(14),
            YearMonth::new(2028, 1).unwrap()
        );
    }

    /// Every amortisation × frequency × basis × grace mode on a small grid:
    /// Σ principal = P exactly, final balance 0, no negative balance, and
    /// payment = interest + principal + fees on every row.
    #[test]
    fn invariants_hold_on_the_whole_grid() {
        let amortisations = [
            A::Annuity,
            A::EqualPrincipal,
            A::Balloon,
            A::Bullet,
            A::HarvestWeighted,
        ];
        let frequencies = [
            F::Monthly,
            F::Quarterly,
            F::Semiannual,
            F::Annual,
            F::Harvest,
        ];
        let mut checked = 0;
        for amortisation in amortisations {
            for frequency in frequencies {
                if amortisation == A::HarvestWeighted && frequency != F::Harvest {
                    continue;
                }
                for basis in [RateBasis::Declining, RateBasis::Flat] {
                    for grace_interest in [GraceInterest::Capitalised, GraceInterest::Paid] {
                        for (tenor, grace) in [(1, 0), (13, 0), (36, 12), (60, 7), (84, 36)] {
                            for principal in [dec!(0.01), dec!(999.99), dec!(123456789.12)] {
                                for rate in [dec!(0), dec!(0.07), dec!(0.36)] {
                                    let mut p = base();
                                    p.amortisation = amortisation;
                                    p.frequency = frequency;
                                    p.rate_basis = basis;
                                    p.grace_interest = grace_interest;
                                    p.tenor_months = tenor;
                                    p.grace_months = grace;
                                    p.annual_rate = rate;
                                    p.upfront_fee_pct = dec!(0.01);
                                    if frequency == F::Harvest {
                                        p.harvest_months = vec![3, 8];
                                    }
                                    if amortisation == A::HarvestWeighted {
                                        p.harvest_weights = vec![dec!(2), dec!(1)];
                                    }
                                    if amortisation == A::Balloon {
                                        p.balloon_share = Some(dec!(0.3));
                                    }
                                    let s = match schedule(&p, principal, jan()) {
                                        Ok(s) => s,
                                        Err(e) => {
                                            // Only a harvest calendar with no
                                            // harvest after grace may fail.
                                            assert_eq!(
                                                e.location().field.as_deref(),
                                                Some("harvest_months"),
                                                "{e} {p:?}"
                                            );
                                            continue;
                                        }
                                    };
                                    check_invariants(&s, principal);
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn kept_phases_give_what_a_fresh_thread_computes() {
        // Products that differ in rate, grace or calendar, in an order that
        // revisits each; on one thread the later ones hit the kept factors.
        let mut products = Vec::new();
        for (rate, grace) in [
            (dec!(0.24), 12),
            (dec!(0.25), 12),
            (dec!(0.24), 6),
            (dec!(0.1), 0),
        ] {
            let mut p = base();
            p.annual_rate = rate;
            p.grace_months = grace;
            p.tenor_months = 36;
            p.grace_interest = GraceInterest::Capitalised;
            products.push(p);
        }
        let mut harvest = base();
        harvest.frequency = F::Harvest;
        harvest.harvest_months = vec![4, 10];
        harvest.amortisation = A::HarvestWeighted;
        harvest.harvest_weights = vec![dec!(0.6), dec!(0.4)];
        harvest.tenor_months = 48;
        products.push(harvest.clone());
        // The same rates, weighted otherwise.
        harvest.harvest_weights = vec![dec!(0.5), dec!(0.5)];
        products.push(harvest);
        let starts = [1, 5, 1, 11].map(|m| YearMonth::new(2026, m).unwrap());
        let cases: Vec<(Product, YearMonth, Decimal)> = (0..3)
            .flat_map(|round| {
                let products = &products;
                starts.iter().flat_map(move |&start| {
                    products
                        .iter()
                        .map(move |p| (p.clone(), start, dec!(1000) + Decimal::from(round)))
                })
            })
            .collect();
        let warm: Vec<Schedule> = cases
            .iter()
            .map(|(p, start, principal)| schedule(p, *principal, *start).unwrap())
            .collect();
        for ((p, start, principal), got) in cases.into_iter().zip(warm) {
            let fresh = std::thread::spawn(move || schedule(&p, principal, start).unwrap())
                .join()
                .unwrap();
            assert_eq!(got, fresh);
        }
    }

    fn check_invariants(s: &Schedule, principal: Decimal) {
        let repaid: Decimal = s.rows.iter().map(|r| r.principal).sum();
        assert_eq!(repaid, principal);
        assert_eq!(s.rows.last().unwrap().closing_balance, Decimal::ZERO);
        for r in &s.rows {
            assert!(r.closing_balance >= Decimal::ZERO, "{r:?}");
            assert_eq!(r.payment, r.interest + r.principal + r.fees, "{r:?}");
            assert_eq!(r.closing_balance, r.opening_balance - r.principal);
        }
        assert!(s.summary.apr.is_finite() && s.summary.apr >= 0.0);
    }
}
