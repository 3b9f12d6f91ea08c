//! `terrace simulate` and `terrace sensitivity` from the outside.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn terrace() -> Command {
    Command::cargo_bin("terrace").unwrap()
}

fn simulate_json(args: &[&str]) -> Value {
    let out = terrace()
        .arg("simulate")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const KEYS: [&str; 17] = [
    "pd_lifetime",
    "pd_annual",
    "pd_se",
    "ead",
    "lgd",
    "expected_loss",
    "lender_irr_mean",
    "lender_irr_p5",
    "raroc",
    "household_npv_mean",
    "household_npv_p5",
    "household_npv_p50",
    "household_npv_p95",
    "ce_gain",
    "p_below_subsistence",
    "p_below_subsistence_without",
    "dscr_p10",
];

#[test]
fn every_bundled_case_simulates_under_every_product() {
    let products = std::fs::read_dir("products").unwrap().count();
    for entry in std::fs::read_dir("data/cases").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let v = simulate_json(&[
            path.to_str().unwrap(),
            "--products",
            "products",
            "--paths",
            "300",
        ]);
        assert_eq!(v["paths"], 300);
        assert_eq!(v["seed"].as_u64(), Some(20_261_129));
        let ps = v["products"].as_array().unwrap();
        assert_eq!(ps.len(), products);
        for p in ps {
            for k in KEYS {
                assert!(p.get(k).is_some(), "{path:?}: {k}");
            }
            for k in [
                "pd_lifetime",
                "pd_annual",
                "p_below_subsistence",
                "p_below_subsistence_without",
            ] {
                let x = p[k].as_f64().unwrap();
                assert!((0.0..=1.0).contains(&x), "{path:?}: {k} = {x}");
            }
            let (p5, p50, p95) = (
                p["household_npv_p5"].as_f64().unwrap(),
                p["household_npv_p50"].as_f64().unwrap(),
                p["household_npv_p95"].as_f64().unwrap(),
            );
            assert!(p5 <= p50 && p50 <= p95, "{path:?}: quantiles out of order");
        }
    }
}

/// The same seed gives bit-identical output with one thread and with several.
#[test]
fn same_seed_same_output_whatever_the_thread_count() {
    let case = "data/cases/honduras-drip.toml";
    let one = simulate_json(&[
        case,
        "--products",
        "products",
        "--paths",
        "2500",
        "--threads",
        "1",
    ]);
    let two = simulate_json(&[
        case,
        "--products",
        "products",
        "--paths",
        "2500",
        "--threads",
        "2",
    ]);
    let four = simulate_json(&[
        case,
        "--products",
        "products",
        "--paths",
        "2500",
        "--threads",
        "4",
    ]);
    assert_eq!(one, two);
    assert_eq!(one, four);
    let other_seed = simulate_json(&[
        case,
        "--products",
        "products",
        "--paths",
        "2500",
        "--seed",
        "7",
    ]);
    assert_eq!(other_seed["seed"], 7);
}

#[test]
fn absurd_path_counts_and_missing_products_are_refused() {
    let case = "data/cases/honduras-drip.toml";
    for paths in ["0", "2000001"] {
        terrace()
            .args([
                "simulate",
                case,
                "--product",
                "products/microloan-12m-flat.toml",
                "--paths",
                paths,
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--paths"));
    }
    terrace()
        .args(["simulate", case])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--product"));
    terrace()
        .args([
            "simulate",
            case,
            "--product",
            "products/microloan-12m-flat.toml",
            "--threads",
            "0",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--threads"));
}

#[test]
fn sensitivity_reports_a_sorted_tornado_and_switching_values() {
    let out = terrace()
        .args([
            "sensitivity",
            "data/cases/honduras-drip.toml",
            "--product",
            "products/upgrading-60m-grace.toml",
            "--paths",
            "200",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let bars = v["tornado"].as_array().unwrap();
    assert!(!bars.is_empty(), "the case has random inputs");
    let swings: Vec<f64> = bars
        .iter()
        .map(|b| b["npv_swing"].as_f64().unwrap())
        .collect();
    assert!(
        swings.windows(2).all(|w| w[0] >= w[1]),
        "sorted by swing: {swings:?}"
    );
    for b in bars {
        assert!(b["p10"].as_f64().unwrap() <= b["p90"].as_f64().unwrap());
    }
    let switching = v["switching"].as_array().unwrap();
    assert!(!switching.is_empty());
}
