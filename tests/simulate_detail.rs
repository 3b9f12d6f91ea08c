//! `simulate_detailed` keeps per-path detail for the report without
//! changing what `simulate` computes.

use std::path::Path;

use terrace::domain::case::Case;
use terrace::edge::report::case::fan_rows;
use terrace::edge::toml_file::load_product;
use terrace::engine::credit::CreditSummary;
use terrace::engine::simulate::{simulate, simulate_detailed, Config, Prepared};

fn case(stem: &str) -> Case {
    let text = std::fs::read_to_string(format!("data/cases/{stem}.toml")).unwrap();
    let case: Case = toml::from_str(&text).unwrap();
    case.validate().unwrap();
    case
}

#[test]
fn the_detailed_run_has_the_same_summary_and_consistent_detail() {
    let case = case("mexico-coffee");
    let products = [
        load_product(Path::new("products/upgrading-60m-grace.toml")).unwrap(),
        load_product(Path::new("products/microloan-12m-flat.toml")).unwrap(),
    ];
    let prep = Prepared::new(&case, &products).unwrap();
    let cfg = Config {
        paths: 300,
        seed: 5,
        ..Config::default()
    };
    let plain = simulate(&prep, &cfg, &|_| {});
    let (detailed, detail) = simulate_detailed(&prep, &cfg, &|_| {});
    let summaries = |s: &terrace::engine::simulate::Simulation| -> Vec<CreditSummary> {
        s.products.iter().map(|p| p.summary.clone()).collect()
    };
    assert_eq!(summaries(&plain), summaries(&detailed));
    assert_eq!(detail.npv_without.len(), 300);
    for (run, d) in detailed.products.iter().zip(&detail.products) {
        assert_eq!(d.npv_with.len(), 300);
        // NPV with − NPV without is the incremental household NPV (F9),
        // whose mean the summary reports.
        let mean_gain = d
            .npv_with
            .iter()
            .zip(&detail.npv_without)
            .map(|(w, wo)| w - wo)
            .sum::<f64>()
            / 300.0;
        let want = run.summary.household_npv_mean;
        assert!(
            (mean_gain - want).abs() <= 1e-6 * want.abs().max(1.0),
            "{mean_gain} vs {want}"
        );
        // Dues fall in every loan year of these products, so each year
        // holds one DSCR per path, and the percentiles are ordered.
        let rows = fan_rows(&d.dscr_by_year);
        assert!(!rows.is_empty());
        for (r, n, below) in &rows {
            assert_eq!(*n, 300);
            assert!(r.p10 <= r.p25 && r.p25 <= r.p50 && r.p50 <= r.p75 && r.p75 <= r.p90);
            assert!((0.0..=1.0).contains(below));
        }
        // A path's lowest annual DSCR is at most its DSCR in any year, so
        // the summary's p10 of those minima is at most every year's p10.
        let lowest_p10 = rows.iter().map(|r| r.0.p10).fold(f64::INFINITY, f64::min);
        assert!(run.summary.dscr_p10 <= lowest_p10 + 1e-12);
    }
}
