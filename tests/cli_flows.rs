//! `terrace flows` end to end: golden values from numpy-financial and pyxirr
//! (computed independently, cited next to each value), every kind of bad
//! input with its exit code and message.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

const DATA: &str = "tests/data/flows";

fn flows(file: &str) -> Command {
    let mut cmd = Command::cargo_bin("terrace").unwrap();
    cmd.arg("flows").arg(format!("{DATA}/{file}"));
    cmd
}

/// Runs with `--format csv` and returns (header, rows) with exit code `code`.
fn csv_rows(file: &str, extra: &[&str], code: i32) -> (Vec<String>, Vec<Vec<String>>) {
    let out = flows(file)
        .args(["--format", "csv"])
        .args(extra)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    let mut r = csv::Reader::from_reader(out.as_slice());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: `{s}`"))
}

fn assert_close(got: &str, want: f64) {
    let g = num(got);
    assert!(
        (g - want).abs() <= 1e-9 * (1.0 + want.abs()),
        "got {g}, want {want}"
    );
}

#[test]
fn good_file_matches_numpy_financial() {
    let (header, rows) = csv_rows("good.csv", &[], 0);
    assert_eq!(
        header,
        [
            "series_id",
            "periods",
            "npv",
            "irr",
            "irr_status",
            "irr_roots",
            "mirr",
            "payback",
            "discounted_payback"
        ]
    );
    assert_eq!(rows.len(), 3);
    // numpy_financial: npv(0.1, [-100,60,60]) = 4.132231404958667,
    // irr = 0.1306623862918075, mirr(.., 0.1, 0.1) = 0.12249721603218244.
    let a = &rows[0];
    assert_eq!((a[0].as_str(), a[1].as_str()), ("a", "3"));
    assert_close(&a[2], 4.132231404958667);
    assert_close(&a[3], 0.1306623862918075);
    assert_eq!(a[4], "unique");
    assert_close(&a[6], 0.12249721603218244);
    // Cumulative −100, −40, +20: payback 1 + 40/60.
    assert_close(&a[7], 1.0 + 40.0 / 60.0);
    // [−1600, 10000, −10000]: numpy_financial.npv = -773.5537190082632,
    // mirr = 0.05598955535496031; IRRs 0.25 (numpy-financial) and 4.0 (pyxirr).
    let b = &rows[1];
    assert_close(&b[2], -773.5537190082632);
    assert_eq!(b[3], "");
    assert_eq!(b[4], "multiple");
    let roots: Vec<f64> = b[5].split(';').map(num).collect();
    assert_eq!(roots.len(), 2);
    assert!((roots[0] - 0.25).abs() < 1e-12 && (roots[1] - 4.0).abs() < 1e-12);
    assert_close(&b[6], 0.05598955535496031);
    // [100, 50]: no sign change; numpy-financial answers NaN for IRR and MIRR.
    let c = &rows[2];
    assert_close(&c[2], 145.45454545454544);
    assert_eq!(
        (c[3].as_str(), c[4].as_str(), c[5].as_str(), c[6].as_str()),
        ("", "none", "", "")
    );
}

#[test]
fn unsorted_rows_and_separate_finance_and_reinvest_rates() {
    let (_, rows) = csv_rows(
        "unsorted.csv",
        &["--finance-rate", "0.08", "--reinvest-rate", "0.12"],
        0,
    );
    // numpy_financial.mirr([-100,60,60], 0.08, 0.12) = 0.12782977438973475.
    assert_close(&rows[0][6], 0.12782977438973475);
    // [-100,39,59,55,20] (given as periods 1,4,0,3,2): numpy_financial.irr =
    // 0.28094842115996066, npv(0.1) = 39.19745918994602,
    // mirr(.., 0.08, 0.12) = 0.20437673767455267.
    assert_eq!(rows[1][1], "5");
    assert_close(&rows[1][2], 39.19745918994602);
    assert_close(&rows[1][3], 0.28094842115996066);
    assert_close(&rows[1][6], 0.20437673767455267);
}

#[test]
fn dated_series_is_valued_with_xnpv_and_xirr() {
    // Microsoft XIRR/XNPV docs: XIRR 0.373362535, XNPV(9 %) 2086.65;
    // pyxirr.xirr = 0.3733625335095556, pyxirr.xnpv(0.09) = 2086.6476020315363.
    // Rows are out of date order, columns reordered, with an extra column.
    let (header, rows) = csv_rows("dated.csv", &["--rate", "0.09"], 0);
    assert_eq!(header[2], "xnpv");
    assert_eq!(header[3], "xirr");
    assert_eq!(rows[0][0], "excel");
    assert_eq!(rows[0][1], "5");
    assert_close(&rows[0][2], 2086.6476020315363);
    assert!((num(&rows[0][3]) - 0.3733625335095556).abs() < 1e-9);
    assert_eq!(rows[0][4], "unique");
}

#[test]
fn json_has_exactly_the_columns_with_numbers_and_nulls() {
    let out = flows("good.csv")
        .args(["--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let mut keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "discounted_payback",
            "irr",
            "irr_roots",
            "irr_status",
            "mirr",
            "npv",
            "payback",
            "periods",
            "series_id"
        ]
    );
    assert!(rows[0]["npv"].is_f64());
    assert_eq!(rows[0]["periods"], 3);
    assert!(rows[1]["irr"].is_null());
    assert_eq!(rows[1]["irr_roots"].as_array().unwrap().len(), 2);
    assert!(rows[2]["mirr"].is_null());
    assert_eq!(rows[2]["irr_status"], "none");
}

#[test]
fn output_file_and_table_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    flows("good.csv")
        .args(["--format", "csv", "--output"])
        .arg(&path)
        .assert()
        .code(0)
        .stdout("");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("series_id,periods,npv"));
    assert_eq!(text.lines().count(), 4);
    flows("good.csv")
        .assert()
        .code(0)
        .stdout(contains("irr_status").and(contains("multiple")));
}

#[test]
fn bom_crlf_and_quoted_id_with_comma() {
    let (_, rows) = csv_rows("bom_crlf_quoted.csv", &[], 0);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "x,1");
    assert_close(&rows[0][3], 0.1306623862918075);
}

#[test]
fn missing_column_is_a_file_error_naming_it() {
    flows("missing_column.csv").assert().code(2).stderr(
        contains("missing column `amount`")
            .and(contains("series_id,period,amount or series_id,date,amount"))
            .and(contains("found series_id,period,value")),
    );
}

#[test]
fn empty_file_and_header_only_are_file_errors() {
    flows("empty.csv")
        .assert()
        .code(2)
        .stderr(contains("empty.csv").and(contains("found an empty file")));
    flows("header_only.csv")
        .assert()
        .code(2)
        .stderr(contains("expected at least one data row"));
}

#[test]
fn unreadable_file_and_bad_rate_are_errors() {
    flows("no-such-file.csv")
        .assert()
        .code(2)
        .stderr(contains("no-such-file.csv"));
    flows("good.csv")
        .args(["--rate", "-1"])
        .assert()
        .code(2)
        .stderr(contains("--rate"));
    // Beyond the IRR's range, shown in exponent form.
    flows("good.csv")
        .args(["--reinvest-rate", "1e308"])
        .assert()
        .code(2)
        .stderr(contains(
            "--reinvest-rate: expected a rate in (-1, 10] a period",
        ))
        .stderr(contains("found 1e308"));
    flows("good.csv").args(["--rate", "10"]).assert().success();
}

/// A rejected row is reported with file, line and field; its series is left
/// out; the others are written; the summary counts it; exit code 1.
fn rejected(file: &str, message: &str, summary: &str, kept: &str) {
    let assert = flows(file)
        .args(["--format", "csv"])
        .assert()
        .code(1)
        .stderr(contains(message).and(contains(summary)));
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let ids: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids.join(" "), kept, "{out}");
}

#[test]
fn wrong_field_count_rejects_the_series() {
    rejected(
        "wrong_fields.csv",
        "wrong_fields.csv:3: expected 3 fields as in the header, found 2",
        "rows_in=6 rows_ok=3 rows_rejected=3 series_ok=1 series_rejected=1",
        "b",
    );
}

#[test]
fn nan_amount_is_rejected() {
    rejected(
        "nan.csv",
        "nan.csv:3: field `amount`: expected a finite number, found `NaN`",
        "series_rejected=1",
        "b",
    );
}

#[test]
fn text_amount_is_rejected() {
    rejected(
        "text_amount.csv",
        "text_amount.csv:6: field `amount`: expected a finite number, found `abc`",
        "rows_in=6 rows_ok=3 rows_rejected=3",
        "a",
    );
}

#[test]
fn duplicate_period_names_the_first_line() {
    rejected(
        "duplicate_period.csv",
        "duplicate_period.csv:4: field `period`: expected each period once per series, found period 1 of series `a` again (first on line 3)",
        "rows_rejected=4",
        "b",
    );
}

#[test]
fn reappearing_series_is_rejected() {
    rejected(
        "reappearing.csv",
        "reappearing.csv:6: field `series_id`: expected the rows of a series to be contiguous, found series `a` again after its block ended",
        "rows_in=5 rows_ok=4 rows_rejected=1 series_ok=2 series_rejected=0",
        "a b",
    );
}

#[test]
fn bad_date_is_rejected() {
    rejected(
        "bad_date.csv",
        "bad_date.csv:3: field `date`: expected a date YYYY-MM-DD from 0001-01-01 to 9999-12-31, found `2020-02-30`",
        "series_rejected=1",
        "b",
    );
}

#[test]
fn empty_id_and_negative_period_are_rejected() {
    rejected(
        "empty_id_negative_period.csv",
        "empty_id_negative_period.csv:2: field `series_id`: expected a non-empty series id",
        "empty_id_negative_period.csv:3: field `period`: expected an integer period from 0 to 100000, found `-1`",
        "b",
    );
}

#[test]
fn dates_are_written_one_way_and_amounts_are_bounded() {
    // chrono alone takes a sign, a one-digit month and year -262143.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("odd.csv");
    std::fs::write(
        &file,
        "series_id,date,amount\n\
         a,2024-01-01,-100\na,2025-01-01,110\n\
         b,+2024-01-01,-100\nb,2025-01-01,110\n\
         c,2024-2-29,-100\nc,2025-01-01,110\n\
         d,-0001-01-01,-100\nd,2025-01-01,110\n\
         e,2024-01-01,-1e308\ne,2025-01-01,110\n",
    )
    .unwrap();
    let out = Command::cargo_bin("terrace")
        .unwrap()
        .args(["flows", file.to_str().unwrap(), "--format", "csv"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for (line, found) in [(4, "+2024-01-01"), (6, "2024-2-29"), (8, "-0001-01-01")] {
        assert!(
            err.contains(&format!("odd.csv:{line}: field `date`: expected a date YYYY-MM-DD from 0001-01-01 to 9999-12-31, found `{found}`")),
            "{err}"
        );
    }
    assert!(
        err.contains("odd.csv:10: field `amount`: expected an amount within ±1e15, found `-1e308`"),
        "{err}"
    );
    assert!(
        err.contains("rows_in=10 rows_ok=2 rows_rejected=8 series_ok=1 series_rejected=4"),
        "{err}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 2, "{text}");
}
