//! `terrace schedule` end to end: every shipped product runs, the JSON has
//! its documented shape, and bad input exits 2 with a message naming the
//! file, the line and the key (or the flag) to fix.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn terrace() -> Command {
    Command::cargo_bin("terrace").unwrap()
}

fn fixture(name: &str) -> String {
    format!("tests/data/products/{name}")
}

fn schedule(product: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    terrace()
        .args(["schedule", "--product", product, "--principal", "10000"])
        .args(extra)
        .assert()
}

#[test]
fn every_shipped_product_runs_in_every_format() {
    let mut files: Vec<_> = std::fs::read_dir("products")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    for f in &files {
        let f = f.to_str().unwrap();
        for format in ["table", "csv", "json"] {
            schedule(f, &["--format", format]).success();
        }
        let out = schedule(f, &["--format", "json"])
            .get_output()
            .stdout
            .clone();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let apr = v["summary"]["apr"].as_f64().unwrap();
        assert!(apr > 0.0 && apr < 1.0, "{f}: {apr}");
        let last = v["schedule"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["closing_balance"].as_f64(), Some(0.0), "{f}");
    }
}

#[test]
fn json_has_schedule_rows_and_summary_numbers() {
    let out = schedule(
        "products/upgrading-60m-grace.toml",
        &["--format", "json", "--start", "2026-03"],
    )
    .success()
    .get_output()
    .stdout
    .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let rows = v["schedule"].as_array().unwrap();
    assert_eq!(rows.len(), 61);
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "period",
        "date",
        "opening_balance",
        "interest",
        "principal",
        "fees",
        "payment",
        "closing_balance",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    assert_eq!(rows[0]["date"], "2026-03");
    assert_eq!(rows[60]["date"], "2031-03");
    assert!(rows[5]["payment"].is_number());
    let s = &v["summary"];
    for k in [
        "principal",
        "net_disbursement",
        "total_interest",
        "total_fees",
        "total_paid",
        "payments",
        "apr",
        "eir",
    ] {
        assert!(s[k].is_number(), "summary.{k}: {}", s[k]);
    }
    assert_eq!(s["payments"], 48);
    assert_eq!(s["principal"].as_f64(), Some(10000.0));
}

#[test]
fn table_has_a_summary_block_and_csv_only_rows() {
    schedule("products/microloan-12m-flat.toml", &[])
        .success()
        .stdout(predicate::str::contains("total_interest").and(predicate::str::contains("apr")));
    let out = schedule("products/microloan-12m-flat.toml", &["--format", "csv"])
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("period,date,opening_balance,interest,principal,fees,payment,closing_balance")
    );
    assert_eq!(lines.count(), 13);
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.csv");
    schedule(
        &fixture("valid.toml"),
        &["--format", "csv", "--output", out.to_str().unwrap()],
    )
    .success()
    .stdout("");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 14);
}

#[test]
fn overrides_change_terms() {
    let out = schedule(
        &fixture("valid.toml"),
        &[
            "--format",
            "json",
            "--annual-rate",
            "0.12",
            "--tenor-months",
            "24",
            "--grace-months",
            "6",
        ],
    )
    .success()
    .get_output()
    .stdout
    .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["schedule"].as_array().unwrap().len(), 25);
    assert!((v["summary"]["apr"].as_f64().unwrap() - 0.12).abs() < 1e-5);
}

#[test]
fn a_bom_is_accepted() {
    schedule(&fixture("bom.toml"), &[]).success();
}

/// Runs a failing case and checks exit code 2 and every fragment in stderr.
fn fails_with(product: &str, extra: &[&str], fragments: &[&str]) {
    let out = terrace()
        .args(["schedule", "--product", product])
        .args(extra)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    for f in fragments {
        assert!(err.contains(f), "`{f}` not in: {err}");
    }
}

#[test]
fn bad_products_name_file_line_and_key() {
    let p = |n| fixture(n);
    let ten = ["--principal", "10000"];
    fails_with(
        &p("unknown-key.toml"),
        &ten,
        &[
            "unknown-key.toml",
            "line 9",
            "field `tenor`",
            "unknown field `tenor`",
            "tenor_months",
            "grace_interest",
        ],
    );
    fails_with(
        &p("grace-ge-tenor.toml"),
        &ten,
        &[
            "grace-ge-tenor.toml",
            "line 6",
            "grace_months",
            "fewer months than tenor_months (12)",
        ],
    );
    fails_with(
        &p("zero-tenor.toml"),
        &ten,
        &["zero-tenor.toml", "line 5", "tenor_months", "found 0"],
    );
    fails_with(
        &p("rate-5.toml"),
        &ten,
        &["rate-5.toml", "line 3", "annual_rate", "[0, 2]", "found 5"],
    );
    fails_with(
        &p("unknown-frequency.toml"),
        &ten,
        &["line 7", "frequency", "weekly", "monthly", "harvest"],
    );
    fails_with(
        &p("malformed.toml"),
        &ten,
        // toml notices the unclosed array at the end of the file.
        &["malformed.toml", "line 10", "invalid array; expected `]`"],
    );
    fails_with(&p("empty.toml"), &ten, &["empty.toml", "empty file"]);
    fails_with(
        &p("bad-haircut.toml"),
        &ten,
        &["line 13", "collateral.recovery_haircut", "found 1.5"],
    );
    fails_with(
        &p("bad-weight.toml"),
        &ten,
        &["line 12", "harvest_weights[1]", "found -0.3"],
    );
    fails_with(&p("missing.toml"), &ten, &["missing.toml"]);
}

#[test]
fn bad_flags_name_the_flag() {
    let v = fixture("valid.toml");
    fails_with(&v, &["--principal=-5"], &["--principal", "(0, 1e15]"]);
    fails_with(
        &v,
        &["--principal=1000000000000001"],
        &["--principal", "(0, 1e15]"],
    );
    fails_with(&v, &["--principal", "0"], &["--principal"]);
    fails_with(&v, &["--principal", "1,000"], &["--principal"]);
    fails_with(
        &v,
        &["--principal", "0.001"],
        &["--principal", "minor units"],
    );
    fails_with(
        &v,
        &["--principal", "100", "--start", "2026-13"],
        &["--start", "YYYY-MM"],
    );
    fails_with(
        &v,
        &["--principal", "100", "--grace-months", "12"],
        &["--grace-months", "fewer months than tenor_months"],
    );
    fails_with(
        &v,
        &["--principal", "100", "--annual-rate", "5"],
        &["--annual-rate", "[0, 2]"],
    );
    fails_with(
        &v,
        &["--principal", "100", "--tenor-months", "0"],
        &["--tenor-months"],
    );
    assert!(Path::new(&v).exists());
}
