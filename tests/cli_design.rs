//! `terrace design` from the outside: output formats, `--emit`, thread
//! independence and bad input (file, line, field; exit codes).

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const CASE: &str = "data/cases/honduras-drip.toml";
const SMALL: &str = "tests/data/spaces/small.toml";

fn terrace() -> Command {
    Command::cargo_bin("terrace").unwrap()
}

fn design(args: &[&str]) -> assert_cmd::assert::Assert {
    terrace()
        .arg("design")
        .args(args)
        .args(["--paths", "150"])
        .assert()
}

#[test]
fn recommends_a_product_with_its_reason_and_price() {
    design(&[CASE, "--space", SMALL])
        .success()
        .stdout(predicate::str::contains("non-dominated products"))
        .stdout(predicate::str::contains("recommended: t"))
        .stdout(predicate::str::contains("why: t"))
        .stdout(predicate::str::contains("knee"))
        .stdout(predicate::str::contains("cost-plus break-even"))
        .stdout(predicate::str::contains("CGAP sustainable rate"))
        .stdout(predicate::str::contains("RAROC = hurdle at"));
}

#[test]
fn json_and_csv_carry_every_candidate() {
    let out = design(&[CASE, "--space", SMALL, "--format", "json"]).success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let n = v["candidates_count"].as_u64().unwrap();
    assert_eq!(v["candidates"].as_array().unwrap().len() as u64, n);
    assert!(v["recommended"]["id"].is_string());
    assert!(v["pricing"]["hurdle_rate"].is_number());
    assert!(v["frontier"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["id"].is_string()));
    assert_eq!(
        v["facts"]["harvest_months"],
        serde_json::json!([3, 8, 9, 10])
    );
    let out = design(&[CASE, "--space", SMALL, "--format", "csv"]).success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.starts_with("id,tenor_months,grace_months,"));
    assert_eq!(text.lines().count() as u64, n + 1);
    assert_eq!(text.matches(",true\n").count(), 1, "one recommended row");
}

#[test]
fn the_same_seed_gives_the_same_bytes_on_one_or_two_threads() {
    let run = |t: &str| {
        design(&[CASE, "--space", SMALL, "--format", "csv", "--threads", t])
            .success()
            .get_output()
            .stdout
            .clone()
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn the_emitted_product_loads_schedules_and_appraises() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recommended.toml");
    let f = file.to_str().unwrap();
    design(&[CASE, "--space", SMALL, "--emit", f]).success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# Recommended by `terrace design` for case honduras-drip"),
        "{text}"
    );
    assert!(text.contains("currency = \"HNL\""), "{text}");
    terrace()
        .args(["schedule", "--product", f, "--principal", "1000"])
        .assert()
        .success()
        .stdout(predicate::str::contains("apr"));
    terrace()
        .args(["appraise", CASE, "--product", f])
        .assert()
        .success();
    terrace()
        .args(["simulate", CASE, "--product", f, "--paths", "100"])
        .assert()
        .success();
}

#[test]
fn a_space_with_no_candidate_is_refused() {
    design(&[CASE, "--space", "tests/data/spaces/empty.toml"])
        .code(2)
        .stderr(predicate::str::contains("empty.toml"))
        .stderr(predicate::str::contains("no candidate product"))
        .stderr(predicate::str::contains("grace not shorter than the tenor"));
}

#[test]
fn contradictory_constraints_say_nothing_is_feasible_and_what_binds_most() {
    design(&[CASE, "--space", "tests/data/spaces/contradictory.toml"])
        .code(2)
        .stdout(predicate::str::contains("feasible: 0 of"))
        .stderr(predicate::str::contains(
            "contradictory.toml, line 26, field `constraints`",
        ))
        .stderr(predicate::str::contains("nothing is feasible"))
        .stderr(predicate::str::contains("binds most"))
        .stderr(predicate::str::contains("closest to feasible"));
}

#[test]
fn out_of_range_values_name_file_line_and_element() {
    design(&[CASE, "--space", "tests/data/spaces/out-of-range.toml"])
        .code(2)
        .stderr(predicate::str::contains(
            "out-of-range.toml, line 19, field `vary.tenor_months[1]`",
        ))
        .stderr(predicate::str::contains(
            "between 1 and 360 months, found 400",
        ));
}

#[test]
fn unknown_keys_name_the_line_and_the_allowed_keys() {
    design(&[CASE, "--space", "tests/data/spaces/unknown-key.toml"])
        .code(2)
        .stderr(predicate::str::contains("unknown-key.toml, line 25"))
        .stderr(predicate::str::contains("unknown field `colateral`"))
        .stderr(predicate::str::contains("collateral"));
}

#[test]
fn bad_flags_are_usage_errors() {
    terrace()
        .args(["design", CASE, "--space", SMALL, "--paths", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--paths"));
    terrace()
        .args([
            "design", CASE, "--space", SMALL, "--pd-max", "2", "--paths", "10",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--pd-max"));
    terrace().args(["design", CASE]).assert().code(2);
    terrace()
        .args(["design", CASE, "--space", "no/such.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such.toml"));
}

#[test]
fn a_solved_rate_prices_every_candidate_at_the_hurdle() {
    let out = terrace()
        .args([
            "design",
            CASE,
            "--space",
            "tests/data/spaces/solve.toml",
            "--paths",
            "60",
            "--format",
            "json",
        ])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let hurdle = v["constraints"]["raroc_min"].as_f64().unwrap();
    let mut solved = 0;
    for c in v["candidates"].as_array().unwrap() {
        if c["rate_solved"] == Value::Bool(true) {
            let raroc = c["raroc"].as_f64().unwrap();
            assert!((raroc - hurdle).abs() < 1e-4, "{}: {raroc}", c["id"]);
            solved += 1;
        }
    }
    assert!(solved > 0);
}

#[test]
fn a_waived_constraint_is_said_and_the_search_still_recommends() {
    design(&[CASE, "--space", "tests/data/spaces/relax.toml"])
        .success()
        .stdout(predicate::str::contains("feasible: 0 of"))
        .stdout(predicate::str::contains("waived (constraints.relax"))
        .stdout(predicate::str::contains("dscr_p10>=min"))
        .stdout(predicate::str::contains("recommended: t"));
}

#[test]
fn tied_instruments_show_in_every_format() {
    let out = design(&[
        CASE,
        "--space",
        "tests/data/spaces/tied.toml",
        "--format",
        "json",
    ])
    .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rows = v["candidates"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["instrument"] == "matching-grant-30"));
    assert!(rows
        .iter()
        .filter(|r| r["instrument"].is_null())
        .all(|r| r["donor_cost"] == 0.0 || r["donor_cost"].is_null()));
    assert!(v["tied_to_instrument"].is_boolean());
}

#[test]
fn a_first_loss_tie_in_names_file_and_element() {
    design(&[CASE, "--space", "tests/data/spaces/first-loss.toml"])
        .code(2)
        .stderr(predicate::str::contains("first-loss.toml"))
        .stderr(predicate::str::contains("vary.instrument[1]"))
        .stderr(predicate::str::contains("covers a book"));
}

#[test]
fn a_value_listed_twice_is_refused_with_its_line() {
    // Every candidate with it would be evaluated and listed twice.
    let dir = tempfile::tempdir().unwrap();
    let here = std::env::current_dir().unwrap();
    let text = std::fs::read_to_string("tests/data/spaces/tied.toml")
        .unwrap()
        .replacen("tenor_months = [24, 60]", "tenor_months = [24, 24]", 1)
        .replacen(
            "\"../../../data/instruments\"",
            &format!("{:?}", here.join("data/instruments")),
            1,
        );
    let space = dir.path().join("twice.toml");
    std::fs::write(&space, text).unwrap();
    design(&[CASE, "--space", space.to_str().unwrap()])
        .code(2)
        .stderr(predicate::str::contains(
            "twice.toml, line 20, field `vary.tenor_months[1]`: expected each value once, found 24 again",
        ));
}
