//! Donor instruments: the identities of methods test 9 and F43, on hand
//! calculations and on simulated paths of a bundled case.

use proptest::prelude::*;
use terrace::domain::case::Case;
use terrace::domain::instrument::Instrument;
use terrace::domain::product::{CollateralKind, Product};
use terrace::engine::compare::{compare, first_loss_claims, BookLoan};
use terrace::engine::credit::{LoanPlan, PathOutcome};
use terrace::engine::instruments::{evaluate, guarantee_flows, subsidy_pv, LoanConfig};

fn case(name: &str) -> Case {
    let text = std::fs::read_to_string(format!("data/cases/{name}.toml")).unwrap();
    let c: Case = toml::from_str(&text).unwrap();
    c.validate().unwrap();
    c
}

fn product(name: &str) -> Product {
    let text = std::fs::read_to_string(format!("products/{name}.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

fn instrument(text: &str) -> Instrument {
    let i: Instrument = toml::from_str(&format!("id = \"t\"\nname = \"t\"\n{text}")).unwrap();
    i.validate().unwrap();
    i
}

fn cfg(paths: usize) -> LoanConfig {
    LoanConfig {
        paths,
        seed: 7,
        shared: None,
        pd_max: 0.03,
    }
}

/// Mexico coffee under the 60-month loan defaults on about half its paths
/// (PD/yr ≈ 15% in the README), so the loss identities meet many defaults.
fn defaulting() -> (Case, Product) {
    (case("mexico-coffee"), product("upgrading-60m-grace"))
}

#[test]
fn on_every_path_lender_loss_plus_guarantee_claim_is_the_total_loss() {
    let (c, p) = defaulting();
    let g = instrument(
        "kind = \"guarantee\"\ncoverage = 0.4\norigination_fee = 0.01\nutilisation_fee = 0.01",
    );
    let e = evaluate(&c, &p, std::slice::from_ref(&g), &cfg(400)).unwrap();
    let defaults = e.losses.loss.iter().filter(|l| **l > 0.0).count();
    assert!(
        defaults > 20,
        "the case should default on many paths, got {defaults}"
    );
    for (loss, claim) in e.losses.loss.iter().zip(&e.claims[0]) {
        let lender = loss * (1.0 - 0.4);
        assert!((lender + claim - loss).abs() <= 1e-9 * loss.abs().max(1.0));
        assert!(*claim >= 0.0 && *claim <= *loss + 1e-9);
    }
}

#[test]
fn with_coverage_zero_the_donor_cost_is_minus_the_pv_of_fees() {
    // c = 0: no claim and no utilisation fee (it is charged on c·B_t), so
    // the donor only receives the origination fee, 1% of the principal at
    // month 0 (undiscounted): DC = −0.01·P.
    let (c, p) = defaulting();
    let g = instrument(
        "kind = \"guarantee\"\ncoverage = 0.0\norigination_fee = 0.01\nutilisation_fee = 0.02",
    );
    let e = evaluate(&c, &p, std::slice::from_ref(&g), &cfg(200)).unwrap();
    let principal = e.baseline.principal;
    assert!((e.instruments[0].donor_cost - (-0.01 * principal)).abs() < 1e-6);
    // And the lender's view is the baseline's but for the fee.
    assert_eq!(e.instruments[0].pd_annual, e.baseline.pd_annual);
    assert!(e.instruments[0].economics.income < e.baseline.economics.income);
}

/// P = 1000 at 1% a month over 12 months: PMT 88.8488 (methods test 1) and
/// the balances of the annuity.
fn annuity_plan() -> LoanPlan {
    let (p, i, n) = (1000.0_f64, 0.01_f64, 12);
    let pmt = p * i / (1.0 - (1.0 + i).powi(-n));
    let mut balance = vec![p];
    let mut due = vec![0.0];
    let mut b = p;
    for _ in 0..n {
        b = b * (1.0 + i) - pmt;
        balance.push(b.max(0.0));
        due.push(pmt);
    }
    LoanPlan {
        id: "annuity".into(),
        principal: p,
        net_disbursement: p,
        lender_outlay: p,
        due,
        balance,
        savings_held: 0.0,
        monthly_rate: i,
        collateral: CollateralKind::None,
        recovery_haircut: 0.0,
        recovery_delay_months: 0,
        on_schedule_irr: None,
    }
}

fn performing() -> PathOutcome {
    PathOutcome {
        defaulted: false,
        default_month: None,
        ead: 0.0,
        recovery_pv: 0.0,
        promised_pv: 0.0,
        received_pv: 0.0,
        lender_irr: None,
        min_annual_dscr: f64::INFINITY,
        below_subsistence: false,
        household_npv: 0.0,
        consumption_capacity: 0.0,
        months_in_arrears: 0,
    }
}

#[test]
fn an_interest_subsidy_costs_the_rate_gap_on_the_annuity_balances() {
    // Hand calculation: total interest of the annuity is 12 × 88.8488 −
    // 1000 = 66.1856 = 1% × Σ B_{t−1}, so Σ B_{t−1} = 6618.56. A subsidy of
    // 6 points (0.5% a month) undiscounted costs 0.005 × 6618.56 = 33.0928.
    let plan = annuity_plan();
    let dc = subsidy_pv(0.06, &plan, false, &performing(), 0.0);
    assert!((dc - 33.0928).abs() < 1e-3, "{dc}");
    // Discounted at 0.5% a month (F43's DF_t), each month's 0.005·B_{t−1}
    // weighs (1.005)^−t: hand-summed below from the same balances.
    let by_hand: f64 = (1..=12)
        .map(|t| 0.005 * plan.balance[t - 1] / 1.005_f64.powi(t as i32))
        .sum();
    assert!((subsidy_pv(0.06, &plan, false, &performing(), 0.005) - by_hand).abs() < 1e-9);
    // A loan that defaults in month 4 was subsidised in months 1..3 only.
    let mut d = performing();
    d.defaulted = true;
    d.default_month = Some(4);
    let three: f64 = (1..=3).map(|t| 0.005 * plan.balance[t - 1]).sum();
    assert!((subsidy_pv(0.06, &plan, false, &d, 0.0) - three).abs() < 1e-9);
}

#[test]
fn guarantee_fees_follow_f40_on_a_performing_annuity() {
    // Origination 1% of 1000 = 10; utilisation 1.2%/yr × c = 0.5 on the
    // balances, monthly: 0.001 × 0.5 × 6618.56 = 3.30928. No claim.
    let g = instrument(
        "kind = \"guarantee\"\ncoverage = 0.5\norigination_fee = 0.01\nutilisation_fee = 0.012",
    );
    let (claim, fees) = guarantee_flows(&g, &annuity_plan(), &performing(), 0.0, 0.0);
    assert_eq!(claim, 0.0);
    assert!((fees - 13.30928).abs() < 1e-3, "{fees}");
}

#[test]
fn a_matching_grant_shrinks_the_loan_and_costs_the_grant() {
    let (c, p) = (case("honduras-drip"), product("upgrading-60m-grace"));
    let g = instrument("kind = \"matching_grant\"\ngrant_share = 0.3");
    let e = evaluate(&c, &p, std::slice::from_ref(&g), &cfg(200)).unwrap();
    let (base, with) = (&e.baseline, &e.instruments[0]);
    // Both principals are the amount financed less the 10% down payment,
    // rounded to the cent; with the grant the amount is 70% of it.
    assert!(
        (with.principal - 0.7 * base.principal).abs() < 0.02,
        "{} vs {}",
        with.principal,
        base.principal
    );
    // The donor pays 30% of the amount financed: principal / 0.9 × 0.3.
    assert!((with.donor_cost - 0.3 * base.principal / 0.9).abs() < 0.05);
    assert!(with.pd_annual <= base.pd_annual);
    assert!(with.ce_gain >= base.ce_gain);
}

#[test]
fn a_full_first_loss_tranche_leaves_the_lender_no_loss() {
    let (c, p) = defaulting();
    let fl = instrument("kind = \"first_loss\"\nfirst_loss_share = 1.0");
    let e = evaluate(&c, &p, std::slice::from_ref(&fl), &cfg(300)).unwrap();
    let claims = first_loss_claims(&[(e.losses.loss.as_slice(), 1.0)], e.peak_exposure);
    for (loss, claim) in e.losses.loss.iter().zip(&claims[0]) {
        assert!(
            (loss - claim).abs() <= 1e-9 * loss.max(1.0),
            "lender keeps {}",
            loss - claim
        );
    }
    // Through the comparison: the donor pays the mean PV of every loss.
    let cmp = compare(
        &[BookLoan {
            eval: &e,
            to_common: 1.0,
        }],
        std::slice::from_ref(&fl),
    );
    let r = &cmp.instruments[0];
    if r.reach.loans == 1 {
        let pv: f64 = e
            .losses
            .loss
            .iter()
            .zip(&e.losses.df_donor)
            .map(|(l, d)| l * d)
            .sum::<f64>()
            / 300.0;
        assert!((r.donor_cost - pv).abs() < 1e-6 * pv.max(1.0));
    }
}

#[test]
fn instruments_that_keep_the_path_keep_the_household_and_the_pd() {
    let (c, p) = defaulting();
    let ins = [
        instrument("kind = \"guarantee\"\ncoverage = 0.5\norigination_fee = 0.0075\nutilisation_fee = 0.0125"),
        instrument("kind = \"first_loss\"\nfirst_loss_share = 0.1"),
    ];
    let e = evaluate(&c, &p, &ins, &cfg(100)).unwrap();
    for v in &e.instruments {
        assert_eq!(v.pd_annual, e.baseline.pd_annual);
        assert_eq!(v.ce_gain, e.baseline.ce_gain);
    }
}

proptest! {
    /// Book-level first loss: on every path each loan's lender loss + claim
    /// is its loss, claims are within [0, loss], and the donor pays
    /// min(book loss, FL) in all.
    #[test]
    fn first_loss_splits_every_path_of_a_book(
        losses in prop::collection::vec(prop::collection::vec(prop_oneof![Just(0.0), 0.0..1000.0f64], 6), 1..8),
        rates in prop::collection::vec(0.1..10.0f64, 8),
        fl in 0.0..5000.0f64,
    ) {
        let book: Vec<(&[f64], f64)> = losses.iter().zip(&rates).map(|(l, r)| (l.as_slice(), *r)).collect();
        let claims = first_loss_claims(&book, fl);
        for s in 0..6 {
            let total: f64 = book.iter().map(|(l, k)| l[s] * k).sum();
            let paid: f64 = claims.iter().zip(&book).map(|(c, (_, k))| c[s] * k).sum();
            prop_assert!((paid - total.min(fl)).abs() <= 1e-9 * total.max(1.0));
            for (c, (l, _)) in claims.iter().zip(&book) {
                let lender = l[s] - c[s];
                prop_assert!(c[s] >= 0.0 && lender >= -1e-9 * l[s].max(1.0));
                prop_assert!((lender + c[s] - l[s]).abs() <= 1e-12 * l[s].max(1.0));
            }
        }
    }

    /// Guarantee: the claim is c × loss at any coverage, so the lender
    /// keeps (1 − c) × loss and a larger coverage never costs the donor less.
    #[test]
    fn guarantee_claims_scale_with_coverage(c1 in 0.0..1.0f64, c2 in 0.0..1.0f64, loss in 0.0..1e6f64, tau in 1u32..12) {
        let plan = annuity_plan();
        let mut o = performing();
        o.defaulted = true;
        o.default_month = Some(tau);
        let g = |c: f64| instrument(&format!("kind = \"guarantee\"\ncoverage = {c}\norigination_fee = 0.0\nutilisation_fee = 0.0"));
        let (a, _) = guarantee_flows(&g(c1), &plan, &o, loss, 0.0);
        let (b, _) = guarantee_flows(&g(c2), &plan, &o, loss, 0.0);
        prop_assert!((a - c1 * loss).abs() <= 1e-9 * loss.max(1.0));
        prop_assert!((a <= b) == (c1 <= c2) || (a - b).abs() <= 1e-9 * loss.max(1.0));
    }
}
