//! `terrace channels` from the outside: output shape and bad input.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn terrace() -> Command {
    Command::cargo_bin("terrace").unwrap()
}

const CASE: &str = "data/cases/pakistan-embroidery.toml";

#[test]
fn a_grid_gives_one_row_per_mix_and_product_with_share_columns() {
    let out = terrace()
        .args([
            "channels",
            CASE,
            "--products",
            "products",
            "--step",
            "0.5",
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
    let channels = v["channels"].as_array().unwrap().len();
    let products = std::fs::read_dir("products").unwrap().count();
    // Shares on a 0.5 grid over k channels: C(2 + k − 1, k − 1) mixes.
    let mixes = (1..channels).fold(1, |acc, i| acc * (2 + i) / i);
    let rows = v["mixes"].as_array().unwrap();
    assert_eq!(rows.len(), mixes * products);
    for r in rows {
        let shares: f64 = v["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                r[format!("share_{}", c.as_str().unwrap())]
                    .as_f64()
                    .unwrap()
            })
            .sum();
        assert!((shares - 1.0).abs() < 1e-12);
        for k in [
            "income_mean",
            "income_sd",
            "ce",
            "p_below_subsistence",
            "pd_annual",
            "expected_loss",
            "dscr_p10",
        ] {
            assert!(r.get(k).is_some(), "{k}");
        }
        assert!(
            r["efficient"].is_boolean() && r["frontier"].is_boolean() && r["best"].is_boolean()
        );
    }
    // Each product has at least one efficient mix.
    let efficient = rows.iter().filter(|r| r["efficient"] == true).count();
    assert!(efficient >= products);
}

#[test]
fn no_product_evaluates_the_household_paying_from_its_own_cash() {
    let out = terrace()
        .args([
            "channels", CASE, "--step", "0.5", "--paths", "100", "--format", "csv",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().skip(1).all(|l| l.contains(",none,")), "{text}");
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn bad_mixes_and_steps_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let v: Value = serde_json::from_slice(
        &terrace()
            .args([
                "channels", CASE, "--step", "1", "--paths", "10", "--format", "json",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let names: Vec<String> = v["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let (a, b) = (&names[0], &names[1]);
    let run = |file: &str| {
        terrace()
            .args(["channels", CASE, "--mixes", file, "--paths", "10"])
            .assert()
            .code(2)
    };

    let f = write(&dir, "sum.csv", &format!("{a},{b}\n0.5,0.5\n0.6,0.6\n"));
    run(&f).stderr(
        predicate::str::contains("sum.csv, line 3").and(predicate::str::contains("sum to 1")),
    );
    // A mix twice, after a blank line: named with both lines.
    let f = write(&dir, "twice.csv", &format!("{a},{b}\n0.5,0.5\n\n0.5,0.5\n"));
    run(&f).stderr(predicate::str::contains(
        "twice.csv, line 4, field `shares`: expected each mix once, found the mix of line 2 again",
    ));
    let f = write(&dir, "neg.csv", &format!("{a},{b}\n1.5,-0.5\n"));
    run(&f).stderr(
        predicate::str::contains("neg.csv, line 2").and(predicate::str::contains(format!("`{a}`"))),
    );
    let f = write(&dir, "unknown.csv", &format!("{a},nowhere\n0.5,0.5\n"));
    run(&f)
        .stderr(predicate::str::contains("unknown.csv, line 1"))
        .stderr(predicate::str::contains("`nowhere`"))
        .stderr(predicate::str::contains(b.as_str()));
    let f = write(&dir, "text.csv", &format!("{a},{b}\nhalf,0.5\n"));
    run(&f).stderr(predicate::str::contains("text.csv, line 2"));
    let f = write(&dir, "fields.csv", &format!("{a},{b}\n0.5,0.5,0\n"));
    run(&f).stderr(predicate::str::contains("fields.csv, line 2"));

    for step in ["0.3", "0", "1.2", "x"] {
        terrace()
            .args(["channels", CASE, "--step", step, "--paths", "10"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--step"));
    }
    terrace()
        .args(["channels", CASE, "--activity", "nothing", "--paths", "10"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--activity"));
}

/// Mixes are evaluated on the same scenarios whatever the thread count.
#[test]
fn same_seed_same_mixes_whatever_the_thread_count() {
    let run = |threads: &str| {
        let out = terrace()
            .args([
                "channels",
                "data/cases/mexico-coffee.toml",
                "--product",
                "products/orchard-84m-gestation.toml",
                "--step",
                "0.5",
                "--paths",
                "700",
                "--threads",
                threads,
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
        out.stdout
    };
    assert_eq!(run("1"), run("2"));
}
