//! Donor comparison: each instrument against the no-instrument baseline,
//! under the lender's acceptance rule, over one case or a whole book
//! (methods F41–F45).
//!
//! Per instrument: loans made with it minus without (financial
//! additionality, F44), lending mobilised, the households' certainty-
//! equivalent gain, the donor's cost (F41), leverage, cost per additional
//! borrower and the donor benefit-cost ratio Σ ΔCE of the additional
//! borrowers / donor cost (F45). Money from loans in several currencies is
//! added after converting each loan's amounts with its `to_common` factor
//! (1 for a single case).
//!
//! A first-loss tranche is book-level (F42): FL = x × the book's exposure,
//! the donor pays D_s = min(L_s, FL) of the book loss L_s on path s, and
//! each loan's share of D_s is pro rata to its loss on that path, so on
//! every path each loan's lender loss + donor claim = its loss. Which
//! loans make the book depends on the tranche (the lender accepts more
//! loans when it is protected) and the tranche on the book, so the book is
//! found by iteration from every loan offered until the accepted set stops
//! changing.

use super::instruments::{accepts, LoanEvaluation, LoanView};
use crate::domain::instrument::{Instrument, Kind};

/// Most rounds of the first-loss book iteration.
const MAX_ROUNDS: usize = 50;

/// Capital floor per unit of the lender's retained exposure above a
/// first-loss tranche: the 15% risk-weight floor of the Basel securitisation
/// framework for senior positions (BCBS, *Revisions to the securitisation
/// framework*, 2016, para 2.5 / SEC-IRBA floor) times the 8% minimum ratio.
/// Without it a tranche larger than the loan's capital would leave the
/// lender needing none.
pub const SENIOR_TRANCHE_CHARGE: f64 = 0.15 * 0.08;

/// One loan in the comparison.
#[derive(Debug, Clone, Copy)]
pub struct BookLoan<'a> {
    /// The loan under the baseline and each instrument.
    pub eval: &'a LoanEvaluation,
    /// Multiplies the loan's money into the comparison's common currency.
    pub to_common: f64,
}

/// Totals over the loans the lender makes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reach {
    /// Loans made.
    pub loans: usize,
    /// Loans refused because their annual PD is above the ceiling.
    pub refused_on_pd: usize,
    /// Loans refused only because their RAROC is below the hurdle.
    pub refused_on_raroc: usize,
    /// Principal lent.
    pub lending: f64,
    /// Σ households' CE gain (present value) over the loans made.
    pub household_ce_gain: f64,
}

/// One instrument against the baseline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InstrumentResult {
    /// Rank, 1 = best (see [`compare`]).
    pub rank: usize,
    /// Instrument id.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// Loans made, lending and household gain with the instrument.
    pub reach: Reach,
    /// Loans made with the instrument minus without (F44).
    pub additional_loans: i64,
    /// Additional loans / loans with the instrument (F44).
    pub additionality_share: Option<f64>,
    /// Lending with minus without.
    pub additional_lending: f64,
    /// Σ CE gain (PV) of the borrowers who get a loan only with the
    /// instrument (F45).
    pub additional_ce_gain: f64,
    /// PV(claims + subsidies + grants + other payments) − PV(fees) over the
    /// loans made (F41).
    pub donor_cost: f64,
    /// Lending with the instrument / donor cost (F44); none if the cost is
    /// not positive.
    pub leverage: Option<f64>,
    /// Donor cost / additional loans (F45); none without additional loans.
    pub cost_per_additional_borrower: Option<f64>,
    /// Additional CE gain / donor cost (F45); none if the cost is not
    /// positive.
    pub benefit_cost_ratio: Option<f64>,
    /// Additional CE gain − donor cost: what ranks the instruments.
    pub net_benefit: f64,
    /// Rounds the first-loss book took to settle (0 for other kinds).
    pub rounds: usize,
}

/// The comparison.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// Without any instrument.
    pub baseline: Reach,
    /// Each instrument, best first.
    pub instruments: Vec<InstrumentResult>,
}

/// The donor's claim on each path of each loan of a book under a first-loss
/// tranche `fl` (in common money): the book loss L_s = Σ loss_i,s ×
/// to_common_i, D_s = min(L_s, fl), and loan i's claim is loss_i,s × D_s /
/// L_s (in its own money).
#[must_use]
pub fn first_loss_claims(losses: &[(&[f64], f64)], fl: f64) -> Vec<Vec<f64>> {
    let paths = losses.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut ratio = vec![0.0; paths];
    for (s, r) in ratio.iter_mut().enumerate() {
        let book: f64 = losses
            .iter()
            .map(|(l, k)| l.get(s).copied().unwrap_or(0.0) * k)
            .sum();
        if book > 0.0 {
            *r = book.min(fl.max(0.0)) / book;
        }
    }
    losses
        .iter()
        .map(|(l, _)| l.iter().zip(&ratio).map(|(x, r)| x * r).collect())
        .collect()
}

/// A loan's view under a first-loss tranche with `claims` on its paths and
/// `tranche` (its own money) of the book's tranche: the lender's EL loses
/// the claims, and its capital the part of the tranche left after the
/// expected claims (the tranche absorbs the first losses, expected and
/// unexpected).
fn first_loss_view(e: &LoanEvaluation, claims: &[f64], tranche: f64) -> LoanView {
    let n = claims.len().max(1) as f64;
    let mut view = e.baseline.clone();
    let mut econ = view.economics;
    let claim_contract: f64 = claims
        .iter()
        .zip(&e.losses.df_contract)
        .map(|(c, d)| c * d)
        .sum::<f64>()
        / n;
    let expected_claim = claims.iter().sum::<f64>() / n;
    econ.expected_loss -= claim_contract / econ.years;
    econ.ec = (econ.ec - (tranche - expected_claim).max(0.0))
        .max(SENIOR_TRANCHE_CHARGE * (view.principal - tranche).max(0.0));
    view.economics = econ;
    view.raroc = econ.raroc();
    view.accepted = accepts(&econ, view.pd_annual, e.hurdle, e.pd_max);
    view.donor_cost = claims
        .iter()
        .zip(&e.losses.df_donor)
        .map(|(c, d)| c * d)
        .sum::<f64>()
        / n;
    view
}

/// The first-loss book for share `x` (instrument `k`): each loan's view
/// once the accepted set has settled, and the rounds it took.
#[must_use]
pub fn settle_first_loss(book: &[BookLoan], x: f64) -> (Vec<LoanView>, usize) {
    let mut offered: Vec<bool> = vec![true; book.len()];
    let mut views: Vec<LoanView> = book.iter().map(|b| b.eval.baseline.clone()).collect();
    for round in 1..=MAX_ROUNDS {
        let members: Vec<usize> = (0..book.len()).filter(|&i| offered[i]).collect();
        let exposure: f64 = members
            .iter()
            .map(|&i| book[i].eval.peak_exposure * book[i].to_common)
            .sum();
        let fl = x * exposure;
        let losses: Vec<(&[f64], f64)> = members
            .iter()
            .map(|&i| (book[i].eval.losses.loss.as_slice(), book[i].to_common))
            .collect();
        let claims = first_loss_claims(&losses, fl);
        let mut next = vec![false; book.len()];
        for (&i, c) in members.iter().zip(&claims) {
            let e = book[i].eval;
            let v = first_loss_view(e, c, x * e.peak_exposure);
            next[i] = v.accepted;
            views[i] = v;
        }
        // A loan out of the book keeps the view it left with (what the
        // tranche would have done for it), unmade and costing nothing.
        for (view, _) in views.iter_mut().zip(&offered).filter(|(_, o)| !**o) {
            view.accepted = false;
            view.donor_cost = 0.0;
        }
        if next == offered {
            return (views, round);
        }
        // Loans the lender would make with the protection join; those it
        // would not leave. Starting from every loan, this shrinks the book
        // to the loans that are worth making with their share of the tranche.
        offered = next;
    }
    (views, MAX_ROUNDS)
}

fn reach(book: &[BookLoan], views: impl Fn(usize) -> LoanView) -> Reach {
    let mut r = Reach {
        loans: 0,
        refused_on_pd: 0,
        refused_on_raroc: 0,
        lending: 0.0,
        household_ce_gain: 0.0,
    };
    for (i, b) in book.iter().enumerate() {
        let v = views(i);
        if v.accepted {
            r.loans += 1;
            r.lending += v.principal * b.to_common;
            r.household_ce_gain += v.ce_gain_pv * b.to_common;
        } else if v.pd_annual > b.eval.pd_max {
            r.refused_on_pd += 1;
        } else {
            r.refused_on_raroc += 1;
        }
    }
    r
}

/// Compares each instrument with the baseline over `book` and ranks them by
/// net benefit: the additional borrowers' CE gain (PV) minus the donor's
/// cost, highest first. It is defined when the donor cost is zero or
/// negative (fees above claims), where the benefit-cost ratio is not, and
/// it agrees with the ratio on which side of 1 an instrument falls; a
/// donor with a fixed budget may prefer to read the ratio. Ties keep the
/// order given.
#[must_use]
pub fn compare(book: &[BookLoan], instruments: &[Instrument]) -> Comparison {
    let baseline = reach(book, |i| book[i].eval.baseline.clone());
    let mut results: Vec<InstrumentResult> = instruments
        .iter()
        .enumerate()
        .map(|(k, ins)| {
            let (views, rounds): (Vec<LoanView>, usize) = if ins.kind == Kind::FirstLoss {
                settle_first_loss(book, ins.first_loss_share.unwrap_or(0.0))
            } else {
                (
                    book.iter().map(|b| b.eval.instruments[k].clone()).collect(),
                    0,
                )
            };
            let with = reach(book, |i| views[i].clone());
            let mut donor_cost = 0.0;
            let mut additional_ce_gain = 0.0;
            for (i, b) in book.iter().enumerate() {
                if views[i].accepted {
                    donor_cost += views[i].donor_cost * b.to_common;
                    if !b.eval.baseline.accepted {
                        additional_ce_gain += views[i].ce_gain_pv * b.to_common;
                    }
                }
            }
            let additional_loans = with.loans as i64 - baseline.loans as i64;
            let positive_cost = donor_cost > 0.0;
            InstrumentResult {
                rank: 0,
                id: ins.id.clone(),
                kind: ins.kind.as_str().to_string(),
                additionality_share: (with.loans > 0)
                    .then(|| additional_loans as f64 / with.loans as f64),
                additional_lending: with.lending - baseline.lending,
                additional_loans,
                additional_ce_gain,
                donor_cost,
                leverage: positive_cost.then(|| with.lending / donor_cost),
                cost_per_additional_borrower: (additional_loans > 0)
                    .then(|| donor_cost / additional_loans as f64),
                benefit_cost_ratio: positive_cost.then(|| additional_ce_gain / donor_cost),
                net_benefit: additional_ce_gain - donor_cost,
                reach: with,
                rounds,
            }
        })
        .collect();
    // Stable: ties keep the order given.
    results.sort_by(|a, b| b.net_benefit.total_cmp(&a.net_benefit));
    for (i, r) in results.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Comparison {
        baseline,
        instruments: results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::credit::LenderEconomics;
    use crate::engine::instruments::LossPaths;

    /// A loan of `principal` whose lender nets `net` a year on capital
    /// `ec`, with PD `pd` and CE gain (PV) `ce`.
    fn view(principal: f64, pd: f64, net: f64, ec: f64, ce: f64, donor_cost: f64) -> LoanView {
        let economics = LenderEconomics {
            income: net,
            funding_cost: 0.0,
            operating_cost: 0.0,
            expected_loss: 0.0,
            ec,
            risk_free: 0.0,
            average_balance: principal,
            years: 1.0,
        };
        LoanView {
            principal,
            pd_annual: pd,
            economics,
            raroc: economics.raroc(),
            ce_gain: ce / 100.0,
            ce_gain_pv: ce,
            donor_cost,
            accepted: accepts(&economics, pd, 0.15, 0.03),
        }
    }

    fn loan(baseline: LoanView, with: LoanView, losses: Vec<f64>) -> LoanEvaluation {
        let n = losses.len();
        LoanEvaluation {
            peak_exposure: baseline.principal,
            baseline,
            instruments: vec![with],
            losses: LossPaths {
                loss: losses,
                df_contract: vec![1.0; n],
                df_donor: vec![1.0; n],
            },
            claims: vec![Vec::new()],
            hurdle: 0.15,
            pd_max: 0.03,
        }
    }

    fn grant(share: f64) -> Instrument {
        toml::from_str(&format!(
            "id = \"g\"\nname = \"g\"\nkind = \"matching_grant\"\ngrant_share = {share}"
        ))
        .unwrap()
    }

    #[test]
    fn additionality_leverage_cost_and_ratio_by_hand() {
        // Loan a is made anyway (RAROC 0.2), b only with the instrument (its
        // PD falls from 5% to 2%), c never (PD 10%). With the instrument:
        // 2 loans (a, b), 1 additional; lending 100 + 200 = 300; donor cost
        // 10 + 40 = 50 over the loans made (c's 99 is not paid: no loan);
        // leverage 300/50 = 6; cost per additional borrower 50; ratio =
        // b's CE gain 150 / 50 = 3; net benefit 150 − 50 = 100.
        let a = loan(
            view(100.0, 0.01, 2.0, 10.0, 80.0, 0.0),
            view(100.0, 0.01, 2.0, 10.0, 90.0, 10.0),
            vec![0.0; 4],
        );
        let b = loan(
            view(200.0, 0.05, 4.0, 10.0, 120.0, 0.0),
            view(200.0, 0.02, 4.0, 10.0, 150.0, 40.0),
            vec![0.0; 4],
        );
        let c = loan(
            view(300.0, 0.10, 4.0, 10.0, 50.0, 0.0),
            view(300.0, 0.10, 4.0, 10.0, 50.0, 99.0),
            vec![0.0; 4],
        );
        let book: Vec<BookLoan> = [&a, &b, &c]
            .iter()
            .map(|e| BookLoan {
                eval: e,
                to_common: 1.0,
            })
            .collect();
        let cmp = compare(&book, &[grant(0.3)]);
        assert_eq!(cmp.baseline.loans, 1);
        assert_eq!(cmp.baseline.refused_on_pd, 2);
        let r = &cmp.instruments[0];
        assert_eq!(r.reach.loans, 2);
        assert_eq!(r.additional_loans, 1);
        assert_eq!(r.additionality_share, Some(0.5));
        assert_eq!(r.reach.lending, 300.0);
        assert_eq!(r.additional_lending, 200.0);
        assert_eq!(r.reach.household_ce_gain, 240.0);
        assert_eq!(r.donor_cost, 50.0);
        assert_eq!(r.leverage, Some(6.0));
        assert_eq!(r.cost_per_additional_borrower, Some(50.0));
        assert_eq!(r.benefit_cost_ratio, Some(3.0));
        assert_eq!(r.net_benefit, 100.0);
    }

    #[test]
    fn a_first_loss_tranche_pays_the_book_loss_up_to_its_size() {
        // Two loans of 100, both made without help (RAROC 0.2, PD 1%).
        // Losses on two paths: (30, 0) and (10, 50). A 20% tranche of the
        // book's 200 is 40: the donor pays min(30, 40) = 30 on path 1 and
        // min(60, 40) = 40 on path 2, split 10:50 → 6.67 and 33.33. Mean
        // donor cost (undiscounted) = (30 + 40) / 2 = 35.
        let x = view(100.0, 0.01, 2.0, 10.0, 10.0, 0.0);
        let a = loan(x.clone(), x.clone(), vec![30.0, 10.0]);
        let b = loan(x.clone(), x, vec![0.0, 50.0]);
        let book = [
            BookLoan {
                eval: &a,
                to_common: 1.0,
            },
            BookLoan {
                eval: &b,
                to_common: 1.0,
            },
        ];
        let fl: Instrument = toml::from_str(
            "id = \"f\"\nname = \"f\"\nkind = \"first_loss\"\nfirst_loss_share = 0.2",
        )
        .unwrap();
        let (views, _) = settle_first_loss(&book, 0.2);
        assert!((views[0].donor_cost - (30.0 + 40.0 / 6.0) / 2.0).abs() < 1e-12);
        assert!((views[1].donor_cost - (40.0 * 5.0 / 6.0) / 2.0).abs() < 1e-12);
        let cmp = compare(&book, &[fl]);
        assert!((cmp.instruments[0].donor_cost - 35.0).abs() < 1e-12);
        assert_eq!(cmp.instruments[0].additional_loans, 0);
    }

    #[test]
    fn instruments_rank_by_net_benefit_and_ties_keep_their_order() {
        let made = view(100.0, 0.01, 2.0, 10.0, 80.0, 0.0);
        let refused = view(100.0, 0.05, 2.0, 10.0, 80.0, 0.0);
        let e = LoanEvaluation {
            instruments: vec![
                view(100.0, 0.01, 2.0, 10.0, 80.0, 100.0),
                view(100.0, 0.01, 2.0, 10.0, 80.0, 10.0),
                refused.clone(),
            ],
            claims: vec![Vec::new(); 3],
            ..loan(refused, made, vec![0.0])
        };
        let book = [BookLoan {
            eval: &e,
            to_common: 1.0,
        }];
        let ins = [grant(0.1), grant(0.2), grant(0.3)];
        let ids = ["a", "b", "c"];
        let ins: Vec<Instrument> = ins
            .into_iter()
            .zip(ids)
            .map(|(mut i, id)| {
                i.id = id.to_string();
                i
            })
            .collect();
        let cmp = compare(&book, &ins);
        let order: Vec<&str> = cmp.instruments.iter().map(|r| r.id.as_str()).collect();
        // b: 80 − 10 = 70; c: nothing, 0; a: 80 − 100 = −20.
        assert_eq!(order, ["b", "c", "a"]);
        assert_eq!(cmp.instruments[0].rank, 1);
    }
}
