//! `terrace appraise` from the outside: every bundled case under every
//! bundled product, the JSON shape, and bad input.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn terrace() -> Command {
    Command::cargo_bin("terrace").unwrap()
}

fn appraise_json(case: &str) -> Value {
    let out = terrace()
        .args([
            "appraise",
            case,
            "--products",
            "products",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{case}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_bundled_case_runs_under_every_bundled_product() {
    let products = std::fs::read_dir("products").unwrap().count();
    let mut cases = 0;
    for entry in std::fs::read_dir("data/cases").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        cases += 1;
        let v = appraise_json(path.to_str().unwrap());
        let stem = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(v["case"], stem);
        for key in ["npv", "irr", "irr_status", "mirr", "bcr", "payback_months"] {
            assert!(v["project"].get(key).is_some(), "{stem}: project.{key}");
        }
        assert!(
            ["unique", "multiple", "none"].contains(&v["project"]["irr_status"].as_str().unwrap())
        );
        let ps = v["products"].as_array().unwrap();
        assert_eq!(ps.len(), products, "{stem}");
        for p in ps {
            for key in [
                "id",
                "apr",
                "eir",
                "min_dscr",
                "min_annual_dscr",
                "months_cash_negative",
                "peak_deficit",
                "household_npv",
                "verdict",
                "reason",
            ] {
                assert!(p.get(key).is_some(), "{stem}: products[].{key}");
            }
            assert!(p["apr"].as_f64().unwrap() >= 0.0);
            assert!(p["peak_deficit"].as_f64().unwrap() >= 0.0);
            assert!(!p["reason"].as_str().unwrap().is_empty());
        }
    }
    assert_eq!(cases, 8);
}

/// The brief's point, read from the numbers: on the avocado orchard, whose
/// trees bear nothing for two years, the 12-month microloan cannot be
/// serviced, and a loan whose grace matches the gestation does better on
/// every measure of repayment capacity.
#[test]
fn avocado_microloan_fails_and_gestation_grace_does_better() {
    let v = appraise_json("data/cases/kenya-avocado.toml");
    let by_id = |id: &str| {
        v["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()
            .clone()
    };
    let micro = by_id("microloan-12m-flat");
    let orchard = by_id("orchard-84m-gestation");
    assert_eq!(micro["verdict"], "fails", "{micro}");
    assert!(micro["reason"]
        .as_str()
        .unwrap()
        .contains("before the investment's first extra sales"));
    let f = |p: &Value, k: &str| p[k].as_f64().unwrap();
    assert!(f(&orchard, "months_cash_negative") < f(&micro, "months_cash_negative"));
    assert!(f(&orchard, "peak_deficit") < f(&micro, "peak_deficit"));
    assert!(f(&orchard, "min_annual_dscr") > f(&micro, "min_annual_dscr"));
    assert!(f(&orchard, "household_npv") > f(&micro, "household_npv"));
    // The project itself is sound: the problem is the loan, not the orchard.
    assert!(v["project"]["npv"].as_f64().unwrap() > 0.0);
}

#[test]
fn table_and_csv_outputs_name_every_product() {
    let out = terrace()
        .args([
            "appraise",
            "data/cases/honduras-drip.toml",
            "--product",
            "products/microloan-12m-flat.toml",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("NPV") && text.contains("microloan-12m-flat"),
        "{text}"
    );

    let out = terrace()
        .args([
            "appraise",
            "data/cases/honduras-drip.toml",
            "--products",
            "products",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "case");
    assert!(headers.iter().any(|h| h == "verdict"));
    assert_eq!(
        rdr.records().count(),
        std::fs::read_dir("products").unwrap().count()
    );
}

#[test]
fn monthly_view_shows_cash_after_debt_service() {
    let out = terrace()
        .args([
            "appraise",
            "data/cases/kenya-avocado.toml",
            "--product",
            "products/microloan-12m-flat.toml",
            "--monthly",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let months = v["products"][0]["monthly"].as_array().unwrap();
    assert_eq!(months.len(), 20 * 12 + 1);
    // Cash accumulates: each month's cash is last month's plus its flows.
    for w in months.windows(2) {
        let flows: f64 = ["enterprise_net", "household_net", "capital", "loan"]
            .iter()
            .map(|k| w[1][k].as_f64().unwrap())
            .sum();
        let expected = w[0]["cash"].as_f64().unwrap() + flows;
        assert!((w[1]["cash"].as_f64().unwrap() - expected).abs() < 1e-6);
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn bad_case_files_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string("data/cases/honduras-drip.toml").unwrap();

    let unknown = write(
        dir.path(),
        "unknown.toml",
        &format!("colour = \"red\"\n{good}"),
    );
    terrace()
        .args(["appraise", &unknown])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown.toml").and(predicate::str::contains("line 1")))
        .stderr(predicate::str::contains("colour"))
        .stderr(predicate::str::contains("horizon_years"));

    let horizon = write(
        dir.path(),
        "horizon.toml",
        &good.replacen("horizon_years = ", "horizon_years = 99 # was ", 1),
    );
    terrace()
        .args(["appraise", &horizon])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("horizon.toml, line")
                .and(predicate::str::contains("`horizon_years`")),
        )
        .stderr(predicate::str::contains("1 to 30 years").and(predicate::str::contains("99")));

    // A life is held month by month: an absurd one is refused, not
    // allocated (1e308 years panicked with a capacity overflow).
    let life = write(
        dir.path(),
        "life.toml",
        &good.replacen("life_years = 7.0", "life_years = 1e308", 1),
    );
    terrace()
        .args(["appraise", &life])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("life.toml").and(predicate::str::contains("life_years")))
        .stderr(predicate::str::contains("(0, 100]"));

    // Money beyond a quadrillion is refused (1e308 of maintenance gave an
    // NPV of -inf) and shown in exponent form, not as 309 digits.
    let money = write(
        dir.path(),
        "money.toml",
        &good.replacen(
            "maintenance_per_year = 1000.0",
            "maintenance_per_year = 1e308",
            1,
        ),
    );
    terrace()
        .args(["appraise", &money])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("money.toml")
                .and(predicate::str::contains("maintenance_per_year")),
        )
        .stderr(predicate::str::contains("[0, 1e15], found 1e308"));

    let empty = write(dir.path(), "empty.toml", "");
    terrace()
        .args(["appraise", &empty])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("empty"));

    let broken = write(dir.path(), "broken.toml", "id = \n");
    terrace()
        .args(["appraise", &broken])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.toml"));

    terrace()
        .args(["appraise", "data/cases/no-such-case.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-case.toml"));

    terrace()
        .args([
            "appraise",
            "data/cases/honduras-drip.toml",
            "--products",
            dir.path().join("none").to_str().unwrap(),
        ])
        .assert()
        .code(2);
}

#[test]
fn product_ids_are_safe_file_names_and_given_once() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string("products/upgrading-60m-grace.toml").unwrap();
    // An id names chart files: one that climbs out of the folder is refused.
    let climbing = write(
        dir.path(),
        "climbing.toml",
        &good.replacen("id = \"upgrading-60m-grace\"", "id = \"x/../../pwned\"", 1),
    );
    terrace()
        .args([
            "appraise",
            "data/cases/honduras-drip.toml",
            "--product",
            &climbing,
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "climbing.toml, line 11, field `id`",
        ))
        .stderr(predicate::str::contains("x/../../pwned"));
    // Two products with one id would print as one.
    let copy = write(dir.path(), "copy.toml", &good);
    terrace()
        .args(["appraise", "data/cases/honduras-drip.toml"])
        .args([
            "--product",
            "products/upgrading-60m-grace.toml",
            "--product",
            &copy,
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("copy.toml, line 11, field `id`"))
        .stderr(predicate::str::contains("`upgrading-60m-grace` again"))
        .stderr(predicate::str::contains(
            "products/upgrading-60m-grace.toml has it",
        ));
}

/// Case checks that span keys (calendars, mixes, the correlation matrix) or
/// parse a value (`start`) name the line too; lists that would silently
/// mean something else are refused.
#[test]
fn case_checks_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string("data/cases/honduras-drip.toml").unwrap();
    let cases = [
        (
            "7 = 0.3\n8 = 0.4",
            "7 = 0.3\n8 = 0.9",
            "line 85, field `activity[0].harvest_calendar`",
        ),
        (
            "trader = 0.5\npacker = 0.5",
            "trader = 0.5\npacker = 0.9",
            "line 137, field `activity[0].with.mix`",
        ),
        (
            "[0.7, 1.0, -0.3, -0.15],",
            "[0.9, 1.0, -0.3, -0.15],",
            "line 293, field `risk.correlation.matrix[0][1]`",
        ),
        (
            "start = \"2026-11\"",
            "start = \"2026-13\"",
            "line 26, field `start`: expected a month YYYY-MM",
        ),
        // A one-digit month, which `schedule --start` refuses, is refused here too.
        (
            "start = \"2026-11\"",
            "start = \"2026-8\"",
            "line 26, field `start`",
        ),
        (
            "start = \"2026-11\"",
            "start = 2026-11-01",
            "line 26, field `start`: expected a string, found a TOML date",
        ),
        (
            "ramp = [0.85, 1.0]",
            "ramp = []",
            "line 135, field `activity[0].with.ramp`",
        ),
        (
            "ramp = [0.85, 1.0]",
            "ramp = [1.5, 1.0]",
            "field `activity[0].with.ramp[0]`: expected a share in [0, 1]",
        ),
        (
            "name = \"chili\"",
            "name = \"tomato\"",
            "line 166, field `activity[1].name`: expected a name not used by another activity",
        ),
    ];
    for (i, (from, to, want)) in cases.iter().enumerate() {
        assert!(good.contains(from), "{from}");
        let name = format!("m{i}.toml");
        let path = write(dir.path(), &name, &good.replacen(from, to, 1));
        let out = terrace().args(["appraise", &path]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{to}: {err}");
        assert!(err.contains(&format!("{name}, line")), "{to}: {err}");
        assert!(err.contains(want), "{to}: {err}");
    }
}
