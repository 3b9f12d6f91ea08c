//! `terrace compare` from the outside: a case, a small portfolio, thread
//! independence, rejected rows and bad instrument files.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn terrace() -> Command {
    Command::cargo_bin("terrace").unwrap()
}

const IDS: [&str; 6] = [
    "dca-guarantee-50",
    "first-loss-10",
    "interest-subsidy-5pt",
    "matching-grant-30",
    "leasing",
    "buyer-repayment",
];

/// The first `rows` rows of the sample portfolio, in a temporary file.
fn small_portfolio(dir: &Path, rows: usize, extra: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string("data/portfolios/sample.csv").unwrap();
    let mut out: Vec<&str> = text.lines().take(rows + 1).collect();
    if !extra.is_empty() {
        out.push(extra);
    }
    let path = dir.join("p.csv");
    std::fs::write(&path, out.join("\n") + "\n").unwrap();
    path
}

#[test]
fn a_case_ranks_every_bundled_instrument() {
    let out = terrace()
        .args([
            "compare",
            "data/cases/honduras-drip.toml",
            "--product",
            "products/upgrading-60m-grace.toml",
            "--instruments",
            "data/instruments",
            "--paths",
            "300",
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
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["instruments"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for id in IDS {
        assert!(rows.iter().any(|r| r["id"] == id), "{id} missing");
    }
    let ranks: Vec<i64> = rows.iter().map(|r| r["rank"].as_i64().unwrap()).collect();
    assert_eq!(ranks, vec![1, 2, 3, 4, 5, 6]);
    for key in [
        "donor_cost",
        "leverage",
        "cost_per_additional",
        "bcr",
        "additional",
        "lending",
    ] {
        assert!(rows[0].get(key).is_some(), "{key}");
    }
}

#[test]
fn a_portfolio_gives_the_same_bytes_with_one_or_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let p = small_portfolio(dir.path(), 24, "");
    let run = |threads: &str| {
        let out = terrace()
            .args(["compare", "--portfolio"])
            .arg(&p)
            .args([
                "--instruments",
                "data/instruments",
                "--paths",
                "8",
                "--threads",
                threads,
                "--format",
                "csv",
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
    let one = run("1");
    assert_eq!(one, run("2"));
    let text = String::from_utf8(one).unwrap();
    assert!(text.starts_with("rank,id,kind,loans,additional,additionality,lending"));
    assert_eq!(text.lines().count(), 7);
}

#[test]
fn a_bad_row_is_reported_and_the_exit_code_is_one() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "MSE-BAD,cocoa,process,Central Sulawesi,male,abc,26792224,4633672,1.246,,,6630876,772670,3006213,27388699,";
    let p = small_portfolio(dir.path(), 4, bad);
    terrace()
        .args(["compare", "--portfolio"])
        .arg(&p)
        .args(["--instruments", "data/instruments", "--paths", "4"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "line 6, id `MSE-BAD`, field `investment_cost`",
        ))
        .stdout(predicate::str::contains("5 rows, 4 evaluated, 1 rejected"));
}

#[test]
fn a_row_that_is_not_utf8_is_rejected_and_the_rest_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let p = small_portfolio(dir.path(), 3, "");
    let mut bytes = std::fs::read(&p).unwrap();
    // A Latin-1 byte (ñ) at the start of the last row: not UTF-8.
    let last = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap();
    bytes.insert(last + 1, 0xf1);
    std::fs::write(&p, &bytes).unwrap();
    terrace()
        .args(["compare", "--portfolio"])
        .arg(&p)
        .args(["--instruments", "data/instruments", "--paths", "4"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("line 4, field `column 1`"))
        .stdout(predicate::str::contains("3 rows, 2 evaluated, 1 rejected"));
}

fn bad_instrument(text: &str) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.toml"), text).unwrap();
    let out = terrace()
        .args([
            "compare",
            "data/cases/honduras-drip.toml",
            "--product",
            "products/upgrading-60m-grace.toml",
            "--instruments",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    (dir, out)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn coverage_out_of_range_names_file_line_and_field() {
    let (_d, out) = bad_instrument(
        "id = \"g\"\nname = \"g\"\nkind = \"guarantee\"\ncoverage = 1.2\norigination_fee = 0.01\nutilisation_fee = 0.01\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("x.toml, line 4, field `coverage`"), "{e}");
    assert!(e.contains("found 1.2"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn an_instrument_called_none_is_refused() {
    // `none` is the loan without an instrument in every ranking.
    let (_d, out) = bad_instrument(
        "id = \"none\"\nname = \"g\"\nkind = \"guarantee\"\ncoverage = 0.5\norigination_fee = 0.01\nutilisation_fee = 0.01\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("x.toml, line 1, field `id`"), "{e}");
    assert!(e.contains("no instrument"), "{e}");
}

#[test]
fn a_negative_fee_names_its_field() {
    let (_d, out) = bad_instrument(
        "id = \"g\"\nname = \"g\"\nkind = \"guarantee\"\ncoverage = 0.5\norigination_fee = 0.01\nutilisation_fee = -0.01\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("line 6, field `utilisation_fee`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unknown_kind_lists_the_kinds() {
    let (_d, out) = bad_instrument("id = \"g\"\nname = \"g\"\nkind = \"bond\"\n");
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("line 3, field `kind`"), "{e}");
    assert!(e.contains("first_loss"), "{e}");
}

#[test]
fn an_unknown_key_lists_the_allowed_ones() {
    let (_d, out) = bad_instrument(
        "id = \"g\"\nname = \"g\"\nkind = \"first_loss\"\nfirst_loss_share = 0.1\ncoverag = 0.5\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("line 5, field `coverag`"), "{e}");
    assert!(e.contains("first_loss_share"), "{e}");
}

#[test]
fn a_parameter_of_another_kind_is_refused() {
    let (_d, out) = bad_instrument(
        "id = \"g\"\nname = \"g\"\nkind = \"first_loss\"\nfirst_loss_share = 0.1\ncoverage = 0.5\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("line 5, field `coverage`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_case_needs_exactly_one_product() {
    terrace()
        .args([
            "compare",
            "data/cases/honduras-drip.toml",
            "--products",
            "products",
            "--instruments",
            "data/instruments",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exactly one --product"));
}
