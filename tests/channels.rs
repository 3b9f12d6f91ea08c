//! Channel-mix invariants through the library: a single-channel mix is the
//! single-channel simulation; correlation decides whether diversification
//! lowers variance; the minimum-variance mix of two channels is methods
//! test 8's w₁* = 1/7.

use terrace::domain::case::Case;
use terrace::engine::channels::{evaluate, grid};
use terrace::engine::simulate::{simulate, Config, Prepared};

/// A one-year, one-activity case whose only randomness is the two channel
/// prices: normal, with the given sds and rank correlation.
fn two_channel_case(sd_a: f64, sd_b: f64, rank_corr: f64) -> Case {
    let text = format!(
        r#"
id = "two-channels"
name = "two channels"
country = "X"
value_chain = "x"
upgrading = ["channel"]
currency = "USD"
start = "2026-01"
horizon_years = 1
discount_rate = 0.1
[household]
other_income_per_month = 500
subsistence_per_month = 100
cash_buffer = 1000
risk_aversion = 2.0
[[investment]]
name = "kit"
cost = 100
life_years = 5
[[activity]]
name = "crop"
unit = "kg"
harvest_calendar = {{ "6" = 1.0 }}
[activity.with]
output_per_year = 100
mix = {{ a = 0.5, b = 0.5 }}
[[activity.channel]]
name = "a"
price = {{ dist = "normal", mean = 100, sd = {sd_a}, name = "price_a" }}
[[activity.channel]]
name = "b"
price = {{ dist = "normal", mean = 100, sd = {sd_b}, name = "price_b" }}
[risk.correlation]
names = ["price_a", "price_b"]
matrix = [[1.0, {rank_corr}], [{rank_corr}, 1.0]]
"#
    );
    let case: Case = toml::from_str(&text).unwrap();
    case.validate().unwrap();
    case
}

fn sds(case: &Case, step: &str, paths: usize) -> Vec<(f64, f64)> {
    let prep = Prepared::without_loan(case).unwrap();
    let mixes = grid(2, step).unwrap();
    evaluate(&prep, 0, &mixes, paths, 7, 0.03, &|_| {})
        .unwrap()
        .into_iter()
        .map(|r| (r.mix[0], r.income_sd))
        .collect()
}

#[test]
fn minimum_variance_weight_is_methods_test_8() {
    // σ = (0.30, 0.15) of a price of 100, ρ = 0.2: w₁* = 1/7 (methods.md
    // test 8). The rank correlation giving a normal-score ρ of 0.2 is
    // (6/π)·asin(0.1).
    let rho_s = 6.0 / std::f64::consts::PI * 0.1f64.asin();
    let case = two_channel_case(30.0, 15.0, rho_s);
    let rows = sds(&case, "0.02", 4000);
    let (w_min, _) = rows
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert!(
        (w_min - 1.0 / 7.0).abs() <= 0.04,
        "minimum-variance share of channel a: {w_min}"
    );
}

#[test]
fn diversification_lowers_variance_only_when_channels_are_not_perfectly_correlated() {
    let independent = sds(&two_channel_case(20.0, 20.0, 0.0), "0.5", 4000);
    let (all_a, half, all_b) = (independent[0].1, independent[1].1, independent[2].1);
    // Equal sds, ρ = 0: the half mix has sd ≈ σ/√2.
    assert!(half < 0.8 * all_a.min(all_b), "{half} vs {all_a}, {all_b}");
    assert!((half / all_a - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.05);

    let perfect = sds(&two_channel_case(20.0, 20.0, 1.0), "0.5", 4000);
    let (all_a, half) = (perfect[0].1, perfect[1].1);
    assert!((half / all_a - 1.0).abs() < 0.01, "{half} vs {all_a}");
}

#[test]
fn a_single_channel_mix_is_the_single_channel_simulation() {
    let mut case = two_channel_case(30.0, 15.0, 0.2);
    let product: terrace::domain::product::Product =
        toml::from_str(&std::fs::read_to_string("products/microloan-12m-flat.toml").unwrap())
            .unwrap();
    let prep = Prepared::new(&case, std::slice::from_ref(&product)).unwrap();
    let row = evaluate(&prep, 0, &[vec![0.0, 1.0]], 3000, 11, 0.03, &|_| {})
        .unwrap()
        .remove(0);

    case.activities[0].with.as_mut().unwrap().mix = [("b".to_string(), 1.0)].into_iter().collect();
    case.validate().unwrap();
    let prep = Prepared::new(&case, std::slice::from_ref(&product)).unwrap();
    let sim = simulate(
        &prep,
        &Config {
            paths: 3000,
            seed: 11,
            ..Config::default()
        },
        &|_| {},
    );
    let s = &sim.products[0].summary;
    // Same scenarios, same engine; only the order in which monthly revenue
    // is summed differs, so agreement is to rounding.
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    assert_eq!(row.pd_annual, Some(s.pd_annual));
    assert!(close(row.expected_loss.unwrap(), s.expected_loss));
    assert_eq!(row.p_below_subsistence, s.p_below_subsistence);
    assert!(close(row.income_mean, 12.0 * s.w_mean));
    assert!(close(row.income_sd, 12.0 * s.w_sd));
    assert!(close(row.ce, 12.0 * s.ce));
}
