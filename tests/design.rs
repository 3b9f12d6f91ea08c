//! The design search and pricing: methods tests 9 (pricing) and 10
//! (search invariants), on a bundled case and a small product space.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use terrace::domain::space::Space;
use terrace::edge::cmd_design::load_space;
use terrace::edge::shared::load_case;
use terrace::edge::toml_file::load_product;
use terrace::engine::design::{case_facts, design, Constraint, Design, Scenarios};
use terrace::engine::pricing::{cgap_rate, cost_plus, solve_rate};

const CASE: &str = "data/cases/honduras-drip.toml";
const SPACE: &str = "tests/data/spaces/small.toml";
const PATHS: usize = 200;

fn space() -> Space {
    load_space(SPACE.as_ref()).unwrap().0
}

fn run(space: &Space, seed: u64) -> Design {
    let case = load_case(CASE.as_ref()).unwrap();
    design(space, &case, &[], PATHS, seed, &|_| {}).unwrap()
}

fn on_threads<T: Send>(n: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn cgap_sustainable_rate_known_answer() {
    // Methods test 9 (Rosenberg 2002): AE 25%, LL 2%, CF 8%, K 5%, II 1%
    // gives (0.25 + 0.02 + 0.08 + 0.05 − 0.01)/(1 − 0.02) = 39.80%.
    let r = cgap_rate(0.25, 0.02, 0.08, 0.05, 0.01);
    assert!((r - 0.3980).abs() < 5e-5, "{r}");
}

#[test]
fn pricing_at_the_solved_rate_returns_raroc_equal_to_hurdle() {
    let case = load_case(CASE.as_ref()).unwrap();
    let product = load_product("products/upgrading-60m-grace.toml".as_ref()).unwrap();
    let s = Scenarios::draw(&case, PATHS, 7).unwrap();
    let raroc = |r: Decimal| {
        let mut p = product.clone();
        p.annual_rate = r;
        s.evaluate(&case, &p).ok().and_then(|(_, x, _)| x.raroc)
    };
    let hurdle = product.lender.hurdle;
    let rate = solve_rate(raroc, hurdle).unwrap();
    let at = raroc(rate).unwrap();
    // The contract rate is rounded to 1e-6; RAROC moves ~1e-5 per step.
    assert!((at - hurdle).abs() < 1e-4, "rate {rate}: RAROC {at}");
    // Cost-plus at the solved rate's own EL and capital is the same rate
    // up to how the average balance moves with the rate.
    let mut p = product.clone();
    p.annual_rate = rate;
    let (loan, summary, _) = s.evaluate(&case, &p).unwrap();
    let cp = cost_plus(&loan, &summary, &p.lender, hurdle);
    let solved = terrace::math::money::to_f64(rate);
    assert!((cp.rate - solved).abs() < 0.005, "{} vs {solved}", cp.rate);
    assert!(cp.cgap_rate >= cp.rate - cp.fees - 1e-12);
}

#[test]
fn the_recommended_product_is_priced_at_the_hurdle() {
    let d = run(&space(), 11);
    let k = d
        .knee
        .expect("the small space has feasible products on this case");
    let p = d.pricing.as_ref().unwrap();
    let at = p.raroc_at_hurdle_rate.unwrap();
    assert!((at - d.raroc_min).abs() < 1e-4, "{at}");
    assert!(d.rows[k].frontier && d.rows[k].feasible());
    assert!(d.reason.contains("knee"), "{}", d.reason);
}

#[test]
fn same_seed_same_pareto_set_whatever_the_threads() {
    let s = space();
    let a = on_threads(1, || run(&s, 5));
    let b = on_threads(2, || run(&s, 5));
    assert_eq!(a, b);
    let front = |d: &Design| -> Vec<String> {
        d.rows
            .iter()
            .filter(|r| r.frontier)
            .map(|r| r.candidate.id.clone())
            .collect()
    };
    assert!(!front(&a).is_empty());
    assert_eq!(front(&a), front(&run(&s, 5)));
}

#[test]
fn no_returned_product_is_dominated() {
    let d = run(&space(), 3);
    // The same comparison the search states: CE gain exact, RAROC and PD
    // to 4 decimals.
    let key = |i: usize| {
        let m = d.rows[i].metrics.as_ref().unwrap();
        let r4 = |x: f64| (x * 1e4).round() / 1e4;
        (m.ce_gain, r4(m.raroc.unwrap()), r4(m.pd_annual))
    };
    let feasible: Vec<usize> = (0..d.rows.len())
        .filter(|&i| d.rows[i].feasible())
        .collect();
    let front: Vec<usize> = (0..d.rows.len()).filter(|&i| d.rows[i].frontier).collect();
    assert!(!front.is_empty());
    for &i in &front {
        assert!(d.rows[i].feasible());
        let a = key(i);
        for &j in &feasible {
            let b = key(j);
            let dominates =
                b.0 >= a.0 && b.1 >= a.1 && b.2 <= a.2 && (b.0 > a.0 || b.1 > a.1 || b.2 < a.2);
            assert!(
                !dominates,
                "{} dominated by {}",
                d.rows[i].candidate.id, d.rows[j].candidate.id
            );
        }
    }
    // And every feasible product off the frontier is dominated by one on it.
    for &j in feasible.iter().filter(|&&j| !d.rows[j].frontier) {
        let b = key(j);
        assert!(front.iter().any(|&i| {
            let a = key(i);
            a.0 >= b.0 && a.1 >= b.1 && a.2 <= b.2
        }));
    }
}

#[test]
fn relaxing_the_pd_ceiling_never_shrinks_the_feasible_set() {
    let mut s = space();
    let mut previous: BTreeSet<String> = BTreeSet::new();
    let mut sizes = Vec::new();
    for pd_max in [0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 1.0] {
        s.constraints.pd_annual_max = pd_max;
        let d = run(&s, 9);
        let feasible: BTreeSet<String> = d
            .rows
            .iter()
            .filter(|r| r.feasible())
            .map(|r| r.candidate.id.clone())
            .collect();
        assert!(previous.is_subset(&feasible), "pd_max {pd_max}");
        sizes.push(feasible.len());
        previous = feasible;
    }
    assert!(sizes.first() < sizes.last(), "{sizes:?}");
}

#[test]
fn under_crn_the_ranking_of_two_products_is_stable() {
    let case = load_case(CASE.as_ref()).unwrap();
    let a = load_product("products/upgrading-60m-grace.toml".as_ref()).unwrap();
    let b = load_product("products/orchard-84m-gestation.toml".as_ref()).unwrap();
    let mut signs = BTreeSet::new();
    for seed in 1..=4 {
        let s = Scenarios::draw(&case, PATHS, seed).unwrap();
        let ce = |p| s.evaluate(&case, p).unwrap().1.ce_gain;
        let (x, y) = (ce(&a), ce(&b));
        // The same seed gives the same numbers, bit for bit.
        let again = Scenarios::draw(&case, PATHS, seed).unwrap();
        assert_eq!(again.evaluate(&case, &a).unwrap().1.ce_gain, x);
        signs.insert((x - y).signum() as i32);
    }
    assert_eq!(signs.len(), 1, "the ranking flipped between reruns");
}

#[test]
fn contradictory_constraints_report_what_binds_most() {
    let mut s = space();
    s.constraints.pd_annual_max = 0.0001;
    s.constraints.raroc_min = Some(2.0);
    s.constraints.dscr_p10_min = 9.0;
    let d = run(&s, 1);
    assert_eq!(d.knee, None);
    assert_eq!(d.feasible(), 0);
    assert!(d.reason.starts_with("nothing is feasible"), "{}", d.reason);
    assert!(d.reason.contains("binds most"), "{}", d.reason);
    let counts = d.binding_counts();
    assert_eq!(counts.iter().map(|c| c.1).sum::<usize>(), d.rows.len());
    assert!(counts.windows(2).all(|w| w[0].1 >= w[1].1));
}

#[test]
fn tenors_past_the_asset_life_fail_that_constraint_and_harvest_follows_the_case() {
    let case = load_case("data/cases/mozambique-oilseed.toml".as_ref()).unwrap();
    let mut s = space();
    s.vary.tenor_months = Some(terrace::domain::space::Months::List(vec![60, 96]));
    let d = design(&s, &case, &[], 50, 1, &|_| {}).unwrap();
    assert!(d.facts.asset_life_months < 96, "{:?}", d.facts);
    for r in &d.rows {
        let long = r.candidate.terms.tenor_months > d.facts.asset_life_months;
        assert_eq!(
            long,
            r.binding() == Some(Constraint::AssetLife) && r.metrics.is_none()
        );
        if r.candidate.product.frequency == terrace::domain::product::Frequency::Harvest {
            assert_eq!(r.candidate.product.harvest_months, d.facts.harvest_months);
        }
    }
    // Harvest months are the case's own: they differ between cases.
    let other = load_case("data/cases/mexico-coffee.toml".as_ref()).unwrap();
    let base = terrace::engine::cashflow::CaseFlows::build(&other).unwrap();
    assert_ne!(
        case_facts(&other, &base).harvest_months,
        d.facts.harvest_months
    );
}

fn tied_space() -> (Space, Vec<terrace::domain::instrument::Instrument>) {
    let (s, _, instruments) = load_space("tests/data/spaces/tied.toml".as_ref()).unwrap();
    (s, instruments)
}

#[test]
fn a_tied_instrument_is_settled_on_the_same_scenarios_as_compare() {
    // design draws its scenarios once and stores them; compare draws them
    // afresh for each loan. Path i uses stream (seed, i) in both, so each
    // tied candidate must reproduce compare's view of the same loan.
    use terrace::engine::instruments::{evaluate, LoanConfig};
    let case = load_case(CASE.as_ref()).unwrap();
    let (s, instruments) = tied_space();
    let d = design(&s, &case, &instruments, PATHS, 4, &|_| {}).unwrap();
    let cfg = LoanConfig {
        paths: PATHS,
        seed: 4,
        shared: None,
        pd_max: 0.03,
    };
    let mut checked = 0;
    for r in d.rows.iter().filter(|r| r.metrics.is_some()) {
        let Some(id) = &r.candidate.terms.instrument else {
            continue;
        };
        let ins = instruments.iter().find(|x| &x.id == id).unwrap();
        let m = r.metrics.as_ref().unwrap();
        let v = &evaluate(&case, &r.candidate.product, std::slice::from_ref(ins), &cfg)
            .unwrap()
            .instruments[0];
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()));
        assert!(close(m.pd_annual, v.pd_annual), "{}: PD", r.candidate.id);
        assert!(close(m.ce_gain, v.ce_gain), "{}: CE gain", r.candidate.id);
        assert!(
            close(m.donor_cost, v.donor_cost),
            "{}: donor cost",
            r.candidate.id
        );
        assert!(
            close(m.raroc.unwrap(), v.raroc.unwrap()),
            "{}: RAROC {:?} vs {:?}",
            r.candidate.id,
            m.raroc,
            v.raroc
        );
        assert!(
            close(m.principal, v.principal),
            "{}: principal",
            r.candidate.id
        );
        checked += 1;
    }
    assert_eq!(checked, 5 * d.rows.len() / 6, "every tied candidate");
}

#[test]
fn tying_instruments_leaves_the_untied_candidates_as_they_were() {
    let case = load_case(CASE.as_ref()).unwrap();
    let (tied, instruments) = tied_space();
    let mut plain = tied.clone();
    plain.vary.instrument = None;
    let with = design(&tied, &case, &instruments, PATHS, 2, &|_| {}).unwrap();
    let without = design(&plain, &case, &[], PATHS, 2, &|_| {}).unwrap();
    let untied: Vec<_> = with
        .rows
        .iter()
        .filter(|r| r.candidate.terms.instrument.is_none())
        .map(|r| (&r.candidate.id, &r.metrics))
        .collect();
    let plain_rows: Vec<_> = without
        .rows
        .iter()
        .map(|r| (&r.candidate.id, &r.metrics))
        .collect();
    assert_eq!(untied, plain_rows);
    assert!(untied
        .iter()
        .all(|(_, m)| m.as_ref().is_none_or(|m| m.donor_cost == 0.0)));
}

#[test]
fn an_instrument_is_recommended_only_where_no_untied_product_qualifies() {
    let case = load_case(CASE.as_ref()).unwrap();
    let (mut s, instruments) = tied_space();
    let mut seen = BTreeSet::new();
    // From a ceiling untied products meet to one only smaller or cheaper
    // (instrument-tied) loans can.
    for pd_max in [0.03, 0.012, 0.008, 0.005, 0.002] {
        s.constraints.pd_annual_max = pd_max;
        let d = design(&s, &case, &instruments, PATHS, 6, &|_| {}).unwrap();
        let untied_qualifies = d
            .rows
            .iter()
            .any(|r| r.meets(&d.waived) && r.candidate.terms.instrument.is_none());
        assert_eq!(
            d.tied,
            d.knee.is_some() && !untied_qualifies,
            "pd_max {pd_max}"
        );
        for r in d.rows.iter().filter(|r| r.frontier) {
            assert_eq!(
                r.candidate.terms.instrument.is_some(),
                d.tied,
                "{}",
                r.candidate.id
            );
            assert!(r.meets(&d.waived));
        }
        seen.insert((d.knee.is_some(), d.tied));
    }
    assert!(seen.contains(&(true, false)), "{seen:?}");
}

#[test]
fn a_waived_constraint_is_named_and_the_rest_still_hold() {
    let case = load_case(CASE.as_ref()).unwrap();
    let (s, _, _) = load_space("tests/data/spaces/relax.toml".as_ref()).unwrap();
    let d = design(&s, &case, &[], PATHS, 8, &|_| {}).unwrap();
    assert_eq!(d.feasible(), 0, "no candidate reaches a DSCR of 9");
    assert_eq!(d.waived, vec![Constraint::Dscr]);
    let k = d.knee.expect("a recommendation among the rest");
    let knee = &d.rows[k];
    assert_eq!(
        knee.violations.iter().map(|v| v.0).collect::<Vec<_>>(),
        vec![Constraint::Dscr]
    );
    assert!(d.reason.contains("waive"), "{}", d.reason);
    assert!(d.reason.contains("DSCR p10 ≥ 9"), "{}", d.reason);
    // Every frontier product meets every other constraint.
    assert!(d
        .rows
        .iter()
        .filter(|r| r.frontier)
        .all(|r| r.violations.iter().all(|v| v.0 == Constraint::Dscr)));
    // Without the waiver the same search finds nothing.
    let mut strict = s.clone();
    strict.constraints.relax.clear();
    let d = design(&strict, &case, &[], PATHS, 8, &|_| {}).unwrap();
    assert_eq!(d.knee, None);
    assert!(d.reason.starts_with("nothing is feasible"), "{}", d.reason);
}

#[test]
fn a_first_loss_tranche_or_an_unknown_id_cannot_be_tied_to_a_loan() {
    let case = load_case(CASE.as_ref()).unwrap();
    for (file, words) in [
        ("first-loss", "first-loss tranche covers a book"),
        ("unknown-instrument", "buyer-repayment"),
    ] {
        let path = format!("tests/data/spaces/{file}.toml");
        let (s, _, instruments) = load_space(path.as_ref()).unwrap();
        let e = design(&s, &case, &instruments, 20, 1, &|_| {}).unwrap_err();
        assert_eq!(
            e.location().field.as_deref(),
            Some("vary.instrument[1]"),
            "{e}"
        );
        assert!(e.to_string().contains(words), "{e}");
    }
}
