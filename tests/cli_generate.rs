//! `terrace generate-portfolio` from the outside, and the rows it writes
//! read back through the portfolio schema.

use std::collections::HashSet;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use terrace::domain::portfolio::{apply, check_unique, parse_row, template_for, Header};
use terrace::edge::bundled;

fn terrace() -> Command {
    Command::cargo_bin("terrace").unwrap()
}

fn generate(dir: &Path, name: &str, rows: u64, seed: u64) -> Vec<u8> {
    let out = dir.join(name);
    terrace()
        .args(["generate-portfolio", "--rows", &rows.to_string()])
        .args(["--seed", &seed.to_string()])
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    std::fs::read(out).unwrap()
}

/// Parses, de-duplicates and maps every row; returns the number of rows.
fn read_all(bytes: &[u8]) -> usize {
    let cases = bundled::cases().unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.records();
    let header = Header::new(&records.next().unwrap().unwrap()).unwrap();
    assert!(header.ignored().is_empty());
    let mut ids = HashSet::new();
    let mut n = 0;
    for record in records {
        let record = record.unwrap();
        let line = record.position().unwrap().line();
        let row = parse_row(&header, &record, line).unwrap_or_else(|e| panic!("{e}"));
        check_unique(&mut ids, &row).unwrap_or_else(|e| panic!("{e}"));
        let template = template_for(&row, &cases).unwrap_or_else(|e| panic!("{e}"));
        let case = apply(&row, template).unwrap_or_else(|e| panic!("{e}"));
        case.validate().unwrap();
        n += 1;
    }
    n
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let a = generate(dir.path(), "a.csv", 500, 7);
    let b = generate(dir.path(), "b.csv", 500, 7);
    let c = generate(dir.path(), "c.csv", 500, 8);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // No temporary file is left beside the output.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn every_generated_row_parses_and_maps_to_a_valid_case() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = generate(dir.path(), "p.csv", 2_000, 20_261_129);
    assert_eq!(read_all(&bytes), 2_000);
    // Every template and both optional-column states occur.
    let text = String::from_utf8(bytes).unwrap();
    for chain in [
        "avocado",
        "horticulture",
        "coffee",
        "cocoa",
        "leather footwear",
        "oilseeds",
        "embroidered garments",
    ] {
        assert!(text.contains(&format!(",{chain},")), "{chain}");
    }
    assert!(text.lines().any(|l| l.ends_with(',')));
    assert!(text.lines().any(|l| l.ends_with("upgrading-60m-grace")));
}

#[test]
fn rows_out_of_range_exit_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.csv");
    terrace()
        .args(["generate-portfolio", "--rows", "0", "--output"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--rows"));
    terrace()
        .args(["generate-portfolio", "--rows", "10000001", "--output"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--rows"));
    assert!(!out.exists());
}

#[test]
fn the_bundled_sample_parses_completely() {
    let bytes = std::fs::read("data/portfolios/sample.csv").unwrap();
    assert_eq!(read_all(&bytes), 3_000);
}

#[test]
fn the_bundled_sample_is_what_its_documented_command_makes() {
    let dir = tempfile::tempdir().unwrap();
    let made = generate(dir.path(), "sample.csv", 3_000, 20_261_129);
    assert_eq!(made, std::fs::read("data/portfolios/sample.csv").unwrap());
}
