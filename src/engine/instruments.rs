//! Donor instruments applied to one loan on the same scenarios as the loan
//! itself (common random numbers), so that the difference an instrument
//! makes is not noise (methods section 7, F40–F45).
//!
//! Each instrument either keeps the household's path and splits what the
//! lender loses (a guarantee, a first-loss tranche), or changes the loan
//! and so the path (a subsidised rate, a smaller loan beside a grant, a
//! lease the lender can repossess cheaply, a buyer that deducts
//! instalments at sale). The second kind is a *variant*: its own loan plan
//! and lender run through the same cash account on the same scenario.
//!
//! Per path the total loss is L = EAD − PV(recoveries) at the default month
//! τ (as in the book, [`crate::engine::portfolio`]). A guarantee with
//! coverage c pays c·L — net of its pari-passu share of recoveries — and
//! the lender keeps (1 − c)·L, so lender loss + claim = L on every path.
//! The donor's cash flows are discounted at the lender's risk-free rate
//! (F41: FCRA discounts at the Treasury rate), monthly at
//! r_m = (1 + r)^(1/12) − 1. Donor cost (F41) is the
//! mean over paths of PV(claims + subsidies + grants + other payments) −
//! PV(fees). First loss is book-level and settled in
//! [`crate::engine::compare`]; here its inputs (per-path losses) are kept.
//!
//! The lender's view under an instrument is its RAROC (F20) with the parts
//! the instrument changes: a guarantee's fees leave its income, the
//! covered share of the expected loss leaves its EL, and the covered share
//! of the exposure needs no capital (Basel II para 140–141, substitution:
//! the protected part takes the guarantor's risk weight, 0% for a
//! sovereign such as USAID, para 53). The lender accepts a loan iff
//! RAROC ≥ hurdle and annual PD ≤ the ceiling (F44).

use rust_decimal::Decimal;

use super::appraisal::{case_schedule, monthly_rate};
use super::cashflow::CaseFlows;
use super::credit::{
    evaluate_path_with, evaluate_without, lender_economics, summarise, Extras, HouseholdPath,
    LenderEconomics, LoanPlan, PathOutcome, WithoutOutcome,
};
use super::portfolio::shock;
use super::scenario::Common;
use super::simulate::{HouseholdBuffers, Prepared};
use crate::domain::case::Case;
use crate::domain::instrument::{Instrument, Kind};
use crate::domain::lender::Lender;
use crate::domain::portfolio::month0_investment_cost;
use crate::domain::product::{CollateralKind, Product, RateBasis};
use crate::math::money::{from_f64, to_f64};
use crate::math::tvm::{self, When};
use crate::{Error, Result};

/// Shocks shared with the other loans of a book (F29).
#[derive(Debug, Clone)]
pub struct Shared {
    /// The book's seed (keys the regional and value-chain shocks).
    pub book_seed: u64,
    /// The loan's region.
    pub region: String,
    /// The loan's value chain.
    pub chain: String,
    /// Loading on the regional weather factor.
    pub rho_region: f64,
    /// Loading on the value chain's price factor.
    pub rho_chain: f64,
}

/// How one loan is evaluated.
#[derive(Debug, Clone)]
pub struct LoanConfig {
    /// Paths.
    pub paths: usize,
    /// The loan's own seed (idiosyncratic draws).
    pub seed: u64,
    /// Shared shocks, for a loan in a book; `None` for a single case.
    pub shared: Option<Shared>,
    /// Annual PD ceiling of the acceptance rule (F55 default 3%).
    pub pd_max: f64,
}

/// One loan as the lender and the household see it, with or without an
/// instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanView {
    /// Principal lent.
    pub principal: f64,
    /// Annual PD.
    pub pd_annual: f64,
    /// The lender's annual economics, instrument included.
    pub economics: LenderEconomics,
    /// RAROC from [`LoanView::economics`]; `None` when no capital is needed.
    pub raroc: Option<f64>,
    /// The household's CRRA certainty-equivalent gain per month, with the
    /// investment and this loan minus without either (F31).
    pub ce_gain: f64,
    /// That gain as a present value over the case's horizon: the level
    /// monthly amount over months 0..=T at the household's discount rate,
    /// the way consumption capacity W is spread (credit.rs).
    pub ce_gain_pv: f64,
    /// Mean over paths of the donor's PV cost for this loan (F41); 0 for
    /// the baseline. For first loss it is set at book level.
    pub donor_cost: f64,
    /// Whether the lender makes the loan (F44's rule).
    pub accepted: bool,
}

/// The baseline loan's loss on each path and the discount factors to
/// month 0 of the month it happens.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LossPaths {
    /// L = EAD − PV(recoveries) at τ; 0 on paths without default.
    pub loss: Vec<f64>,
    /// (1 + contract monthly rate)^(−τ): how the lender's EL discounts.
    pub df_contract: Vec<f64>,
    /// (1 + donor monthly rate)^(−τ).
    pub df_donor: Vec<f64>,
}

/// One loan under the baseline and each instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanEvaluation {
    /// Without any instrument.
    pub baseline: LoanView,
    /// One per instrument, in the order given. First-loss views carry the
    /// baseline; [`crate::engine::compare`] settles them on the book.
    pub instruments: Vec<LoanView>,
    /// The baseline loan's per-path losses.
    pub losses: LossPaths,
    /// For each instrument, the donor's claim on each path (nominal, at
    /// τ) when it splits the baseline loss (guarantee); empty otherwise.
    pub claims: Vec<Vec<f64>>,
    /// The largest exposure the loan can reach: its peak scheduled balance
    /// or, if larger, its largest simulated EAD. A first-loss tranche is a
    /// share of this, so a 100% tranche covers every loss.
    pub peak_exposure: f64,
    /// The lender's hurdle.
    pub hurdle: f64,
    /// The annual PD ceiling.
    pub pd_max: f64,
}

/// The acceptance rule (F44): PD_annual ≤ ceiling and RAROC ≥ hurdle; a
/// loan that needs no capital is accepted when its net return is not
/// negative.
#[must_use]
pub fn accepts(economics: &LenderEconomics, pd_annual: f64, hurdle: f64, pd_max: f64) -> bool {
    pd_annual <= pd_max
        && match economics.raroc() {
            Some(r) => r >= hurdle,
            None => economics.net() >= 0.0,
        }
}

/// A loan run on the case's paths: the baseline or an instrument's
/// variant of it.
pub(crate) struct Variant {
    pub loan: LoanPlan,
    pub lender: Lender,
    /// Share of with-path sales through a buyer that deducts instalments.
    pub sales_share: Option<f64>,
}

/// The discount factor of month `t` at monthly rate `r`.
fn df(r: f64, t: usize) -> f64 {
    (1.0 + r).powi(-(t as i32))
}

/// Months the loan performs on a path: 1..τ when it defaults at τ, else
/// 1..=maturity. Fees and subsidies accrue over these.
fn performing_months(loan: &LoanPlan, o: &PathOutcome) -> std::ops::Range<usize> {
    match o.default_month {
        // A loan can default after maturity (arrears unpaid): nothing is
        // outstanding on schedule then.
        Some(tau) => 1..(tau as usize).clamp(1, loan.maturity() + 1),
        None => 1..loan.maturity() + 1,
    }
}

/// The guarantee's claim and fees on one path, discounted to month 0 at
/// the donor's monthly rate `d`: (PV claim, PV fees). The claim is
/// `coverage` × `loss` at τ; the origination fee is `origination_fee` ×
/// principal at month 0; the utilisation fee is `utilisation_fee` / 12 ×
/// coverage × the balance outstanding in each performing month.
#[must_use]
pub fn guarantee_flows(
    g: &Instrument,
    loan: &LoanPlan,
    o: &PathOutcome,
    loss: f64,
    d: f64,
) -> (f64, f64) {
    let c = g.coverage.unwrap_or(0.0);
    let claim = o
        .default_month
        .map_or(0.0, |tau| c * loss * df(d, tau as usize));
    let utilisation = g.utilisation_fee.unwrap_or(0.0) / 12.0 * c;
    let fees = g.origination_fee.unwrap_or(0.0) * loan.principal
        + performing_months(loan, o)
            .map(|t| utilisation * loan.balance[t - 1] * df(d, t))
            .sum::<f64>();
    (claim, fees)
}

/// The PV at the donor's monthly rate `d` of an interest subsidy of
/// `reduction` (annual points) on one path: Σ reduction/12 × B_{t−1} ×
/// DF_t over performing months (F43), with B the principal for a flat-rate
/// loan (its interest is charged on the original principal).
#[must_use]
pub fn subsidy_pv(reduction: f64, loan: &LoanPlan, flat: bool, o: &PathOutcome, d: f64) -> f64 {
    performing_months(loan, o)
        .map(|t| {
            let base = if flat {
                loan.principal
            } else {
                loan.balance[t - 1]
            };
            reduction / 12.0 * base * df(d, t)
        })
        .sum()
}

/// Present value of a level 1 per month over months 0..n−1 at `r`.
fn annuity_due(r: f64, n: usize) -> f64 {
    tvm::pv(r, n as f64, -1.0, 0.0, When::Begin).unwrap_or(n as f64)
}

/// Evaluates `case` financed by `product`, without an instrument and with
/// each of `instruments`, on the same `cfg.paths` scenarios.
pub fn evaluate(
    case: &Case,
    product: &Product,
    instruments: &[Instrument],
    cfg: &LoanConfig,
) -> Result<LoanEvaluation> {
    let prep = Prepared::new(case, std::slice::from_ref(product))?;
    let base_loan = prep.loans()[0].clone();
    let lender = product.lender.clone();
    let mut variants = vec![Variant {
        loan: base_loan.clone(),
        lender: lender.clone(),
        sales_share: None,
    }];
    // For each instrument, the variant it runs (None: the baseline's path).
    let mut variant_of: Vec<Option<usize>> = Vec::with_capacity(instruments.len());
    for ins in instruments {
        let v = variant_for(case, product, &base_loan, ins)?;
        variant_of.push(v.map(|v| {
            variants.push(v);
            variants.len() - 1
        }));
    }

    let paths = cfg.paths;
    let mut scenario = prep.model.inputs.empty();
    let mut flows = CaseFlows::default();
    let (mut buffers, mut deduct) = (HouseholdBuffers::default(), Vec::new());
    let years = prep.model.inputs.years();
    let (mut weather, mut market) = (vec![0.0; years], vec![0.0; years]);
    let mut outcomes: Vec<Vec<PathOutcome>> =
        variants.iter().map(|_| Vec::with_capacity(paths)).collect();
    let mut without_outcomes: Vec<WithoutOutcome> = Vec::with_capacity(paths);
    let mut months = 1;
    for path in 0..paths {
        let common = cfg.shared.as_ref().map(|s| {
            shock(s.book_seed, 1, &s.region, path, &mut weather);
            shock(s.book_seed, 2, &s.chain, path, &mut market);
            (s.rho_region, s.rho_chain)
        });
        let common = common.map(|(rho_weather, rho_market)| {
            Common::new(&weather, &market, rho_weather, rho_market)
        });
        prep.model
            .inputs
            .sample_shared(cfg.seed, path as u64, &[], common.as_ref(), &mut scenario);
        prep.model.fill(&scenario, &mut flows);
        months = flows.len().max(1);
        let h = prep.household(&flows, &mut buffers);
        without_outcomes.push(evaluate_without(&h));
        for (v, outs) in variants.iter().zip(outcomes.iter_mut()) {
            let o = match v.sales_share {
                Some(s) => {
                    buyer_deducts(
                        s,
                        &flows.revenue_deducting,
                        &flows.revenue_with,
                        &mut deduct,
                    );
                    let hv = HouseholdPath {
                        deducting_revenue: &deduct,
                        ..h
                    };
                    evaluate_path_with(&hv, &v.loan, &v.lender, Extras::NONE)
                }
                None => evaluate_path_with(&h, &v.loan, &v.lender, Extras::NONE),
            };
            outs.push(o);
        }
    }

    let gamma = case.household.risk_aversion;
    let subsistence = case.household.subsistence_per_month;
    let annuity = annuity_due(monthly_rate(case.discount_rate), months);
    let donor_monthly = monthly_rate(lender.risk_free);
    let hurdle = lender.hurdle;

    // Each variant's view before any donor payment.
    let views: Vec<(LoanView, LenderEconomics)> = variants
        .iter()
        .zip(&outcomes)
        .map(|(v, outs)| {
            let years = v.loan.maturity() as f64 / 12.0;
            let s = summarise(
                outs,
                &without_outcomes,
                &v.loan,
                &v.lender,
                gamma,
                subsistence,
                years,
            );
            let e = lender_economics(
                &v.loan,
                &v.lender,
                s.pd_annual,
                s.lgd,
                s.expected_loss,
                years,
            );
            (
                LoanView {
                    principal: v.loan.principal,
                    pd_annual: s.pd_annual,
                    economics: e,
                    raroc: e.raroc(),
                    ce_gain: s.ce_gain,
                    ce_gain_pv: s.ce_gain * annuity,
                    donor_cost: 0.0,
                    accepted: accepts(&e, s.pd_annual, hurdle, cfg.pd_max),
                },
                e,
            )
        })
        .collect();

    let base_outs = &outcomes[0];
    let mut losses = LossPaths::default();
    let mut peak_exposure = base_loan
        .balance
        .iter()
        .copied()
        .fold(base_loan.principal, f64::max);
    for o in base_outs {
        let tau = o.default_month.map_or(0, |t| t as usize);
        losses.loss.push(o.loss());
        losses.df_contract.push(df(base_loan.monthly_rate, tau));
        losses.df_donor.push(df(donor_monthly, tau));
        peak_exposure = peak_exposure.max(o.ead);
    }

    let mut result_views = Vec::with_capacity(instruments.len());
    let mut claims = Vec::with_capacity(instruments.len());
    for (ins, v) in instruments.iter().zip(&variant_of) {
        let run = v.unwrap_or(0);
        let (mut view, e) = views[run].clone();
        let settled = settle(
            ins,
            product,
            case,
            &variants[run].loan,
            &outcomes[run],
            e,
            donor_monthly,
        )?;
        if let Some(s) = &settled {
            view.economics = s.economics;
            view.raroc = s.economics.raroc();
            view.accepted = accepts(&s.economics, view.pd_annual, hurdle, cfg.pd_max);
            view.donor_cost = s.donor_cost;
        }
        let path_claims = settled.map(|s| s.claims).unwrap_or_default();
        result_views.push(view);
        claims.push(path_claims);
    }

    Ok(LoanEvaluation {
        baseline: views[0].0.clone(),
        instruments: result_views,
        losses,
        claims,
        peak_exposure,
        hurdle,
        pd_max: cfg.pd_max,
    })
}

/// The loan an instrument runs instead of the baseline's, or `None` when
/// it keeps the baseline's loan and path and only splits its losses (a
/// guarantee, a first-loss tranche).
pub(crate) fn variant_for(
    case: &Case,
    product: &Product,
    base_loan: &LoanPlan,
    ins: &Instrument,
) -> Result<Option<Variant>> {
    let lender = &product.lender;
    Ok(match ins.kind {
        Kind::Guarantee | Kind::FirstLoss => None,
        Kind::InterestSubsidy => {
            let reduction = decimal(ins.rate_reduction.unwrap_or(0.0), "rate_reduction")?;
            let rate = (product.annual_rate - reduction).max(Decimal::ZERO);
            let p = product.clone().with_overrides(Some(rate), None, None);
            let loan = LoanPlan::from_schedule(&p, &case_schedule(case, &p)?);
            Some(Variant {
                loan,
                lender: lender.clone(),
                sales_share: None,
            })
        }
        Kind::MatchingGrant => {
            let g = ins.grant_share.unwrap_or(0.0);
            let amount = financed_amount(case)?;
            let mut smaller = case.clone();
            let keep = decimal(1.0 - g, "grant_share")?;
            smaller.financing.amount = Some(amount * keep);
            let mut loan = LoanPlan::from_schedule(product, &case_schedule(&smaller, product)?);
            // The grant reaches the household with the disbursement: it
            // is a loan-side inflow at month 0 the lender does not fund.
            loan.net_disbursement += g * to_f64(amount);
            Some(Variant {
                loan,
                lender: lender.clone(),
                sales_share: None,
            })
        }
        Kind::Leasing => {
            let mut loan = base_loan.clone();
            loan.collateral = CollateralKind::FinancedAsset;
            loan.recovery_haircut = ins.recovery_haircut.unwrap_or(0.0);
            loan.recovery_delay_months = ins.recovery_delay_months.unwrap_or(0);
            let mut l = lender.clone();
            l.recovery_cost_share = ins.recovery_cost_share.unwrap_or(0.0);
            Some(Variant {
                loan,
                lender: l,
                sales_share: None,
            })
        }
        Kind::BuyerRepayment => {
            let mut l = lender.clone();
            l.operating_cost_rate *= 1.0 - ins.opex_reduction.unwrap_or(0.0);
            Some(Variant {
                loan: base_loan.clone(),
                lender: l,
                sales_share: ins.sales_share,
            })
        }
    })
}

/// Sales paid through a buyer that deducts instalments when a share
/// `share` of all with-investment sales goes through one: each month the
/// larger of the case's own deducting channels and that share.
pub(crate) fn buyer_deducts(share: f64, own: &[f64], revenue_with: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.extend(
        revenue_with
            .iter()
            .enumerate()
            .map(|(t, r)| own.get(t).copied().unwrap_or(0.0).max(share * r)),
    );
}

/// What an instrument changes for the lender and costs the donor on one
/// loan, settled on the paths of the loan it runs.
#[derive(Debug, Clone)]
pub(crate) struct Settled {
    /// The lender's economics with the instrument.
    pub economics: LenderEconomics,
    /// Mean over paths of the donor's PV cost (F41).
    pub donor_cost: f64,
    /// The donor's nominal claim on each path (guarantees); empty otherwise.
    pub claims: Vec<f64>,
}

/// Settles `ins` on the outcomes `outs` of the loan `loan` it runs (the
/// baseline's for a guarantee, its variant otherwise), whose economics
/// before the instrument are `e`. `None` for a first-loss tranche, which
/// is settled on a book ([`crate::engine::compare`]).
pub(crate) fn settle(
    ins: &Instrument,
    product: &Product,
    case: &Case,
    loan: &LoanPlan,
    outs: &[PathOutcome],
    e: LenderEconomics,
    donor_monthly: f64,
) -> Result<Option<Settled>> {
    let n = outs.len().max(1) as f64;
    let (economics, donor_cost, claims) = match ins.kind {
        Kind::FirstLoss => return Ok(None),
        Kind::Guarantee => {
            let c = ins.coverage.unwrap_or(0.0);
            let (mut claim_pv, mut fee_pv, mut claim_contract) = (0.0, 0.0, 0.0);
            let mut claims = Vec::with_capacity(outs.len());
            for o in outs {
                let loss = o.loss();
                let tau = o.default_month.map_or(0, |t| t as usize);
                let (cl, fe) = guarantee_flows(ins, loan, o, loss, donor_monthly);
                claim_pv += cl;
                fee_pv += fe;
                claim_contract += c * loss * df(loan.monthly_rate, tau);
                claims.push(c * loss);
            }
            let mut g = e;
            g.income -= ins.origination_fee.unwrap_or(0.0) * loan.principal / e.years
                + ins.utilisation_fee.unwrap_or(0.0) * c * e.average_balance;
            g.expected_loss -= claim_contract / n / e.years;
            g.ec *= 1.0 - c;
            (g, (claim_pv - fee_pv) / n, claims)
        }
        Kind::InterestSubsidy => {
            let reduction = product_rate(product) - loan.monthly_rate * 12.0;
            let flat = product.rate_basis == RateBasis::Flat;
            let pv: f64 = outs
                .iter()
                .map(|o| subsidy_pv(reduction, loan, flat, o, donor_monthly))
                .sum();
            // The lender earns the market rate: the client's part plus
            // the donor's top-up.
            let mut s = e;
            s.income += reduction
                * if flat {
                    loan.principal
                } else {
                    e.average_balance
                };
            (s, pv / n, Vec::new())
        }
        Kind::MatchingGrant => (
            e,
            ins.grant_share.unwrap_or(0.0) * to_f64(financed_amount(case)?),
            Vec::new(),
        ),
        Kind::Leasing | Kind::BuyerRepayment => (
            e,
            ins.donor_cost_share.unwrap_or(0.0) * loan.principal,
            Vec::new(),
        ),
    };
    Ok(Some(Settled {
        economics,
        donor_cost,
        claims,
    }))
}

fn product_rate(p: &Product) -> f64 {
    to_f64(p.annual_rate)
}

fn decimal(x: f64, field: &str) -> Result<Decimal> {
    from_f64(x).ok_or_else(|| Error::invalid(field, "a finite number", x))
}

/// The amount the case finances before the product's down payment: its
/// `financing.amount`, or the cost of the items bought in month 0.
fn financed_amount(case: &Case) -> Result<Decimal> {
    match case.financing.amount {
        Some(a) => Ok(a),
        None => decimal(month0_investment_cost(case), "financing.amount"),
    }
}
