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

/// Bad risk parameters name the file, line and field.
#[test]
fn bad_risk_parameters_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string("data/cases/kenya-avocado.toml").unwrap();
    let case = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let run = |path: &str| {
        terrace()
            .args([
                "simulate",
                path,
                "--product",
                "products/orchard-84m-gestation.toml",
                "--paths",
                "10",
            ])
            .assert()
            .code(2)
    };

    // min > mode in a PERT.
    let i = good.find("dist = \"pert\"").unwrap();
    let min_at = i + good[i..].find("min = ").unwrap() + "min = ".len();
    let end = min_at + good[min_at..].find(',').unwrap();
    let p = case(
        "pert.toml",
        format!("{}999999{}", &good[..min_at], &good[end..]),
    );
    run(&p)
        .stderr(predicate::str::contains("pert.toml, line"))
        .stderr(predicate::str::contains("investment[0].cost"))
        .stderr(predicate::str::contains("min ≤ mode ≤ max"));

    // A negative standard deviation and probabilities outside [0, 1].
    let p = case(
        "sd.toml",
        good.replacen(
            "price = 56.0",
            "price = { dist = \"normal\", mean = 56, sd = -3 }",
            1,
        ),
    );
    run(&p)
        .stderr(predicate::str::contains("sd.toml, line"))
        .stderr(predicate::str::contains("`sd` must be ≥ 0"));
    let p = case(
        "prob.toml",
        good.replacen(
            "price = 56.0",
            "price = { dist = \"discrete\", values = [30, 40], probabilities = [1.2, -0.2] }",
            1,
        ),
    );
    run(&p).stderr(predicate::str::contains("probabilities must be in [0, 1]"));

    // A correlation outside [-1, 1], and a matrix of the wrong size.
    let m = good.find("matrix = [").unwrap();
    let row = m + good[m..].find("[1.0, ").unwrap();
    let p = case(
        "corr.toml",
        format!(
            "{}[1.0, 1.7{}",
            &good[..row],
            &good[row + "[1.0, 0.8".len()..]
        ),
    );
    run(&p)
        .stderr(predicate::str::contains("corr.toml, line"))
        .stderr(predicate::str::contains("risk.correlation.matrix[0][1]"))
        .stderr(predicate::str::contains("[-1, 1]"));
    let names = good.find("names = [").unwrap() + "names = [".len();
    let hass = good
        .find("name = \"hass_yield\"")
        .map(|_| "\"hass_yield\", ")
        .unwrap();
    let p = case(
        "size.toml",
        format!("{}{hass}{}", &good[..names], &good[names..]),
    );
    run(&p).stderr(predicate::str::contains("risk.correlation"));

    // A drought persistence that no stationary share allows.
    let p = case(
        "drought.toml",
        good.replacen("p_dry_to_dry = ", "p_dry_to_dry = 1.5 #", 1),
    );
    run(&p).stderr(predicate::str::contains("drought.p_dry_to_dry"));
}

/// A correlation matrix that is not positive semi-definite is repaired,
/// and the repair is reported rather than silently applied.
#[test]
fn a_non_psd_correlation_matrix_is_repaired_and_reported() {
    let good = std::fs::read_to_string("data/cases/kenya-avocado.toml").unwrap();
    let start = good.find("matrix = [").unwrap();
    let end = start + good[start..].find("\n]\n").unwrap() + 3;
    let bad = "matrix = [\n  [1.0, 0.9, 0.9, 0.0, 0.0, 0.0],\n  [0.9, 1.0, -0.9, 0.0, 0.0, 0.0],\n  [0.9, -0.9, 1.0, 0.0, 0.0, 0.0],\n  [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],\n  [0.0, 0.0, 0.0, 0.0, 1.0, 0.0],\n  [0.0, 0.0, 0.0, 0.0, 0.0, 1.0],\n]\n";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nonpsd.toml");
    std::fs::write(&p, format!("{}{bad}{}", &good[..start], &good[end..])).unwrap();
    let v = simulate_json(&[
        p.to_str().unwrap(),
        "--product",
        "products/orchard-84m-gestation.toml",
        "--paths",
        "50",
    ]);
    let note = v["correlation_repair"].as_str().expect("a repair note");
    assert!(note.contains("not positive semi-definite"), "{note}");
    let v = simulate_json(&[
        "data/cases/kenya-avocado.toml",
        "--product",
        "products/orchard-84m-gestation.toml",
        "--paths",
        "50",
    ]);
    assert!(v["correlation_repair"].is_null());
}
