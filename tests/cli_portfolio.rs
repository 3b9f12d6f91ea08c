//! `terrace portfolio` from the outside: outputs, accounting of rows, bad
//! input, determinism, and agreement with `simulate` for a one-row book.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn terrace() -> Command {
    Command::cargo_bin("terrace").unwrap()
}

/// The sample's header and its first `n` rows.
fn sample_head(n: usize) -> String {
    let text = std::fs::read_to_string("data/portfolios/sample.csv").unwrap();
    text.lines().take(n + 1).map(|l| format!("{l}\n")).collect()
}

fn run(dir: &Path, file: &Path, extra: &[&str]) -> (i32, String) {
    let out = terrace()
        .args([
            "portfolio",
            file.to_str().unwrap(),
            "--output-dir",
            dir.to_str().unwrap(),
        ])
        .args(["--products", "products"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn counts(text: &str) -> (u64, u64, u64) {
    let get = |k: &str| {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} missing in {text}"))
            .parse()
            .unwrap()
    };
    (get("rows_in"), get("rows_ok"), get("rows_rejected"))
}

#[test]
fn a_clean_book_writes_every_output_and_accounts_for_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("book.csv");
    std::fs::write(&file, sample_head(24)).unwrap();
    let out = dir.path().join("out");
    let (code, text) = run(&out, &file, &["--paths", "60"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(counts(&text), (24, 24, 0));
    for f in [
        "loans.csv",
        "segments.csv",
        "portfolio.json",
        "rejected.csv",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty());
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("portfolio.json")).unwrap())
            .unwrap();
    assert_eq!(v["rows_in"], 24);
    for p in v["products"].as_array().unwrap() {
        let (var99, es99, var999, es999) = (
            p["var_99"].as_f64().unwrap(),
            p["es_99"].as_f64().unwrap(),
            p["var_999"].as_f64().unwrap(),
            p["es_999"].as_f64().unwrap(),
        );
        assert!(es99 >= var99 && es999 >= var999 && var999 >= var99, "{p}");
        assert!(p["expected_loss"].as_f64().unwrap() >= 0.0);
    }
    // A row with a product id runs under that product only, the others
    // under all seven bundled products.
    let loans = std::fs::read_to_string(out.join("loans.csv")).unwrap();
    let rows = csv::Reader::from_reader(loans.as_bytes()).records().count();
    let book = std::fs::read_to_string(&file).unwrap();
    let with_id = book.lines().skip(1).filter(|l| !l.ends_with(',')).count();
    assert_eq!(rows, with_id + 7 * (24 - with_id));
}

#[test]
fn bad_rows_are_rejected_with_reasons_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let head = sample_head(6);
    let mut lines: Vec<String> = head.lines().map(str::to_string).collect();
    let good = lines[1].clone();
    let fields: Vec<&str> = good.split(',').collect();
    let header: Vec<String> = lines[0].split(',').map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    // Row 1 with one field changed, under a fresh id.
    let with = |name: &str, v: &str, id: &str| {
        let mut f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        f[col(name)] = v.to_string();
        f[0] = id.to_string();
        f.join(",")
    };
    lines.push(lines[1].clone()); // duplicate id
    lines.push(with("investment_cost", "-5", "BAD-1")); // negative money
    lines.push(with("baseline_revenue", "abc", "BAD-2")); // text
    lines.push(with("value_chain", "tea", "BAD-3")); // unknown value chain
    lines.push(with("product_id", "no-such-product", "BAD-4")); // unknown product
    lines.push(with("requested_amount", "1,250.50", "BAD-5")); // thousands separator
    lines.push("x,y,z".to_string()); // wrong field count
                                     // Each rejection names the line its row is on (the header is line 1),
                                     // whatever the line ends: Windows' CRLF, Unix's LF, classic Mac's CR.
    for (name, end) in [("crlf", "\r\n"), ("lf", "\n"), ("cr", "\r")] {
        let file = dir.path().join(format!("bad-{name}.csv"));
        std::fs::write(&file, lines.join(end) + end).unwrap();
        let out = dir.path().join(name);
        let (code, text) = run(&out, &file, &["--paths", "20"]);
        assert_eq!(code, 1, "{text}");
        let (rows_in, ok, rejected) = counts(&text);
        assert_eq!(rows_in, ok + rejected);
        assert_eq!(rows_in, 13);
        assert_eq!(rejected, 7, "{text}");
        let rej = std::fs::read_to_string(out.join("rejected.csv")).unwrap();
        for needle in [
            "investment_cost",
            "baseline_revenue",
            "value_chain",
            "product_id",
            "id",
        ] {
            assert!(rej.contains(needle), "{needle} in {rej}");
        }
        let rejected_lines: Vec<&str> = rej
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(
            rejected_lines,
            ["8", "9", "10", "11", "12", "13", "14"],
            "{name}: {rej}"
        );
    }
}

#[test]
fn a_missing_column_stops_the_run_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_head(3).replacen("investment_cost", "capex", 1);
    let file = dir.path().join("nocol.csv");
    std::fs::write(&file, text).unwrap();
    terrace()
        .args([
            "portfolio",
            file.to_str().unwrap(),
            "--products",
            "products",
            "--output-dir",
        ])
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("investment_cost"));
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    terrace()
        .args([
            "portfolio",
            empty.to_str().unwrap(),
            "--products",
            "products",
            "--output-dir",
        ])
        .arg(dir.path().join("out2"))
        .assert()
        .code(2);
}

#[test]
fn same_seed_same_outputs_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("book.csv");
    std::fs::write(&file, sample_head(12)).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert_eq!(run(&a, &file, &["--paths", "40", "--threads", "1"]).0, 0);
    assert_eq!(run(&b, &file, &["--paths", "40", "--threads", "2"]).0, 0);
    for f in ["loans.csv", "segments.csv", "portfolio.json"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn header_only_bom_crlf_and_quoted_fields_are_read() {
    let dir = tempfile::tempdir().unwrap();
    // Header only: nothing to do, nothing rejected, every output written.
    let header_only = dir.path().join("header.csv");
    std::fs::write(&header_only, sample_head(0)).unwrap();
    let out = dir.path().join("h");
    let (code, text) = run(&out, &header_only, &["--paths", "10"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(counts(&text), (0, 0, 0));
    assert!(out.join("portfolio.json").exists());

    // A BOM, CRLF endings and a quoted region holding a comma.
    let mut lines: Vec<String> = sample_head(3).lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let region = header.iter().position(|h| *h == "region").unwrap();
    let mut f: Vec<String> = lines[1].split(',').map(String::from).collect();
    f[region] = "\"Murang'a, Central\"".to_string();
    lines[1] = f.join(",");
    let file = dir.path().join("bom.csv");
    std::fs::write(&file, format!("\u{feff}{}\r\n", lines.join("\r\n"))).unwrap();
    let out = dir.path().join("b");
    let (code, text) = run(&out, &file, &["--paths", "10"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(counts(&text), (3, 3, 0));
    let loans = std::fs::read_to_string(out.join("loans.csv")).unwrap();
    assert!(loans.contains("\"Murang'a, Central\""), "{loans}");
}

#[test]
fn a_wrong_delimiter_is_a_missing_column_error_listing_the_expected_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("semi.csv");
    std::fs::write(&file, sample_head(2).replace(',', ";")).unwrap();
    terrace()
        .args([
            "portfolio",
            file.to_str().unwrap(),
            "--products",
            "products",
            "--output-dir",
        ])
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("semi.csv").and(predicate::str::contains("value_chain")));
}

#[test]
fn shares_not_summing_to_one_and_bad_encoding_are_rejected_rows() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_head(40);
    let mut lines: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
    // A row whose channel mix sums to 0.9.
    let mix_row = text
        .lines()
        .position(|l| l.contains(":0.") && l.contains(';'))
        .expect("a sample row with a channel mix");
    let row = String::from_utf8(lines[mix_row].clone()).unwrap();
    let mix = row
        .split(',')
        .find(|f| f.contains(';') && f.contains(':'))
        .unwrap()
        .to_string();
    let names: Vec<&str> = mix
        .split(';')
        .map(|p| p.split(':').next().unwrap())
        .collect();
    let bad_mix = format!("{}:0.5;{}:0.4", names[0], names[1]);
    lines[mix_row] = row.replacen(&mix, &bad_mix, 1).into_bytes();
    // A row with a byte that is not UTF-8 in its region.
    let mut latin1 = lines[1].clone();
    let pos = latin1.iter().position(|&c| c == b',').unwrap();
    latin1.splice(pos + 1..pos + 1, [b'X', 0xE9]);
    latin1.splice(0..0, b"ENC-".iter().copied());
    lines.push(latin1);
    let file = dir.path().join("mixed.csv");
    let mut bytes = Vec::new();
    for l in &lines {
        bytes.extend_from_slice(l);
        bytes.push(b'\n');
    }
    std::fs::write(&file, bytes).unwrap();
    let out = dir.path().join("out");
    let (code, text) = run(&out, &file, &["--paths", "5"]);
    assert_eq!(code, 1, "{text}");
    let (rows_in, ok, rejected) = counts(&text);
    assert_eq!((rows_in, ok + rejected, rejected), (41, 41, 2), "{text}");
    let rej = std::fs::read_to_string(out.join("rejected.csv")).unwrap();
    assert!(rej.contains("channel_mix"), "{rej}");
    assert!(rej.to_lowercase().contains("utf-8"), "{rej}");
    // The line and column of the bytes, not the csv crate's record count.
    assert!(
        rej.contains("\n42,,column 2,\"expected UTF-8 text"),
        "{rej}"
    );
}

#[test]
fn rows_in_is_rows_ok_plus_rows_rejected_on_a_fuzzed_corpus() {
    use rand::{Rng, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let base = sample_head(12);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261129);
    for case in 0..6 {
        let mut bytes = base.clone().into_bytes();
        // Damage the body, never the header: overwrite, delete or insert
        // delimiters, quotes, line breaks, digits and junk bytes.
        let header_end = base.find('\n').unwrap() + 1;
        for _ in 0..rng.random_range(1..25) {
            let at = rng.random_range(header_end..bytes.len());
            let junk = [b',', b'"', b'\n', b'\r', b'-', b'9', b'x', 0xFF, b';', b'.'];
            match rng.random_range(0..3) {
                0 => bytes[at] = junk[rng.random_range(0..junk.len())],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, junk[rng.random_range(0..junk.len())]),
            }
        }
        let file = dir.path().join(format!("fuzz-{case}.csv"));
        std::fs::write(&file, &bytes).unwrap();
        let out = dir.path().join(format!("out-{case}"));
        let (code, text) = run(&out, &file, &["--paths", "3"]);
        assert!(code == 0 || code == 1, "case {case}: exit {code}: {text}");
        let (rows_in, ok, rejected) = counts(&text);
        assert_eq!(rows_in, ok + rejected, "case {case}: {text}");
        let listed = csv::Reader::from_path(out.join("rejected.csv"))
            .unwrap()
            .records()
            .count() as u64;
        assert_eq!(listed, rejected, "case {case}");
        assert_eq!(code == 1, rejected > 0, "case {case}");
    }
}

#[test]
fn parquet_output_replaces_loans_csv_and_holds_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("book.csv");
    std::fs::write(&file, sample_head(5)).unwrap();
    let (csv_out, pq_out) = (dir.path().join("csv"), dir.path().join("pq"));
    assert_eq!(run(&csv_out, &file, &["--paths", "10"]).0, 0);
    assert_eq!(run(&pq_out, &file, &["--paths", "10", "--parquet"]).0, 0);
    assert!(!pq_out.join("loans.csv").exists());
    let bytes = std::fs::read(pq_out.join("loans.parquet")).unwrap();
    // Parquet files start and end with the magic `PAR1`.
    assert_eq!(&bytes[..4], b"PAR1");
    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
    assert_eq!(
        std::fs::read(csv_out.join("segments.csv")).unwrap(),
        std::fs::read(pq_out.join("segments.csv")).unwrap()
    );
}

#[test]
fn losses_csv_holds_the_distribution_behind_the_quantiles() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("book.csv");
    std::fs::write(&file, sample_head(10)).unwrap();
    let out = dir.path().join("out");
    assert_eq!(run(&out, &file, &["--paths", "200"]).0, 0);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("portfolio.json")).unwrap())
            .unwrap();
    let mut rdr = csv::Reader::from_path(out.join("losses.csv")).unwrap();
    let rows: Vec<(String, f64)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[2].parse().unwrap())
        })
        .collect();
    for p in v["products"].as_array().unwrap() {
        let id = p["product"].as_str().unwrap();
        let losses: Vec<f64> = rows
            .iter()
            .filter(|(q, _)| q == id)
            .map(|(_, l)| *l)
            .collect();
        assert_eq!(losses.len(), 200);
        let mean = losses.iter().sum::<f64>() / 200.0;
        let el = p["expected_loss"].as_f64().unwrap();
        assert!(
            (mean - el).abs() <= 1e-9 * el.abs().max(1.0),
            "{id}: {mean} vs {el}"
        );
        let max = losses.iter().cloned().fold(0.0, f64::max);
        assert!(p["var_999"].as_f64().unwrap() <= max + 1e-9);
    }
}

#[test]
fn no_paths_runs_the_deterministic_metrics_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("book.csv");
    std::fs::write(&file, sample_head(8)).unwrap();
    let out = dir.path().join("out");
    let (code, text) = run(&out, &file, &["--paths", "0"]);
    assert_eq!(code, 0, "{text}");
    let mut rdr = csv::Reader::from_path(out.join("loans.csv")).unwrap();
    let header = rdr.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        assert!(!r[col("project_npv")].is_empty() && !r[col("verdict")].is_empty());
        for mc in ["pd_annual", "expected_loss", "ce_gain", "viable"] {
            assert!(r[col(mc)].is_empty(), "{mc} in {r:?}");
        }
    }
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("portfolio.json")).unwrap())
            .unwrap();
    assert_eq!(v["products"].as_array().unwrap().len(), 0);
    let seg = std::fs::read_to_string(out.join("segments.csv")).unwrap();
    // count and exposure are there; PD, EL and CE are empty.
    assert!(seg.lines().nth(1).unwrap().ends_with(",,,,"), "{seg}");
}

#[test]
fn a_book_of_several_batches_keeps_file_order_in_every_output() {
    // 2,100 rows run deterministically span three batches, each written
    // while the next is evaluated; bad rows sit in each of them.
    let dir = tempfile::tempdir().unwrap();
    let head = sample_head(2100);
    let mut lines: Vec<String> = head.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let cost = header.iter().position(|h| *h == "investment_cost").unwrap();
    let bad_lines = [12usize, 1030, 1500, 2090]; // file lines, header = 1
    for &line in &bad_lines {
        let mut f: Vec<String> = lines[line - 1].split(',').map(String::from).collect();
        f[cost] = "-5".to_string();
        lines[line - 1] = f.join(",");
    }
    let file = dir.path().join("book.csv");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("out");
    let (code, text) = run(&out, &file, &["--paths", "0"]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(counts(&text), (2100, 2096, 4), "{text}");
    let mut rej = csv::Reader::from_path(out.join("rejected.csv")).unwrap();
    let rejected: Vec<usize> = rej
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    assert_eq!(rejected, bad_lines);
    // loans.csv holds the good rows' ids in file order (a row may have
    // several products, on consecutive lines).
    let want: Vec<String> = lines[1..]
        .iter()
        .enumerate()
        .filter(|(i, _)| !bad_lines.contains(&(i + 2)))
        .map(|(_, l)| l.split(',').next().unwrap().to_string())
        .collect();
    let mut got: Vec<String> = Vec::new();
    let mut loans = csv::Reader::from_path(out.join("loans.csv")).unwrap();
    for r in loans.records() {
        let id = r.unwrap()[0].to_string();
        if got.last() != Some(&id) {
            got.push(id);
        }
    }
    assert_eq!(got, want);
}

#[test]
fn report_reads_a_real_portfolio_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("book.csv");
    std::fs::write(&file, sample_head(6)).unwrap();
    let out = dir.path().join("out");
    assert_eq!(run(&out, &file, &["--paths", "100"]).0, 0);
    let html = dir.path().join("book.html");
    terrace()
        .args(["report", "--portfolio-dir"])
        .arg(&out)
        .arg("--output")
        .arg(&html)
        .assert()
        .success();
    let text = std::fs::read_to_string(&html).unwrap();
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("portfolio.json")).unwrap())
            .unwrap();
    for p in v["products"].as_array().unwrap() {
        assert!(text.contains(p["product"].as_str().unwrap()));
    }
}

#[test]
fn two_shards_with_row_offsets_reproduce_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_head(10);
    let lines: Vec<&str> = text.lines().collect();
    let whole = dir.path().join("whole.csv");
    std::fs::write(&whole, &text).unwrap();
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    std::fs::write(&a, format!("{}\n", lines[..5].join("\n"))).unwrap();
    std::fs::write(&b, format!("{}\n{}\n", lines[0], lines[5..].join("\n"))).unwrap();
    let (w, sa, sb) = (
        dir.path().join("w"),
        dir.path().join("sa"),
        dir.path().join("sb"),
    );
    assert_eq!(run(&w, &whole, &["--paths", "50"]).0, 0);
    assert_eq!(run(&sa, &a, &["--paths", "50"]).0, 0);
    assert_eq!(run(&sb, &b, &["--paths", "50", "--row-offset", "4"]).0, 0);
    // An offset so large that offset + rows would overflow is refused (it
    // panicked at u64::MAX).
    let (code, err) = run(
        &dir.path().join("x"),
        &b,
        &["--row-offset", &u64::MAX.to_string()],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--row-offset: expected 0 to 9223372036854775807"),
        "{err}"
    );
    // Loans: the shards' rows concatenated are the whole run's rows.
    let body = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p.join("loans.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(String::from)
            .collect()
    };
    let mut joined = body(&sa);
    joined.extend(body(&sb));
    assert_eq!(joined, body(&w));
    // Book losses: path by path, the sum of the shards'.
    let losses = |p: &Path| -> Vec<(String, f64)> {
        csv::Reader::from_path(p.join("losses.csv"))
            .unwrap()
            .records()
            .map(|r| {
                let r = r.unwrap();
                (format!("{}/{}", &r[0], &r[1]), r[2].parse().unwrap())
            })
            .collect()
    };
    let (lw, la, lb) = (losses(&w), losses(&sa), losses(&sb));
    for ((kw, x), ((ka, y), (kb, z))) in lw.iter().zip(la.iter().zip(&lb)) {
        assert_eq!((kw, kw), (ka, kb));
        assert!(
            (x - (y + z)).abs() <= 1e-6 * x.abs().max(1.0),
            "{kw}: {x} vs {y} + {z}"
        );
    }
}

#[test]
fn a_semicolon_header_is_named_as_the_wrong_delimiter() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("semi.csv");
    std::fs::write(&file, sample_head(2).replace(',', ";")).unwrap();
    let (code, text) = run(&dir.path().join("out"), &file, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("separated by `;`") && text.contains("separated by commas"),
        "{text}"
    );
}

#[test]
fn a_utf16_file_is_refused_naming_its_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_head(2);
    let units: Vec<u16> = text.encode_utf16().collect();
    // With a byte-order mark, as spreadsheets save "Unicode text"…
    let mut bom = vec![0xFF, 0xFE];
    bom.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    // …and without one, big-endian.
    let bare: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    for (name, bytes, says) in [
        ("bom.csv", bom, "UTF-16 (little-endian"),
        ("bare.csv", bare, "NUL bytes"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let (code, out) = run(&dir.path().join(name).with_extension("out"), &file, &[]);
        assert_eq!(code, 2, "{out}");
        assert!(
            out.contains(name) && out.contains("expected UTF-8") && out.contains(says),
            "{out}"
        );
    }
}

#[test]
fn blank_lines_do_not_shift_the_lines_rejections_name() {
    // book6.csv with blank lines before and between its rows, in LF and
    // CRLF: its bad rows (lines 6 and 7 as shipped) move to 9 and 12. The
    // csv crate alone named the line after the previous record (4 and 6).
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("data/portfolios/book6.csv").unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let spaced = [
        lines[0], "", lines[1], lines[2], lines[3], lines[4], "", "", lines[5], "", "", lines[6],
    ];
    for end in ["\n", "\r\n"] {
        let file = dir.path().join("spaced.csv");
        std::fs::write(&file, spaced.join(end)).unwrap();
        let out = dir.path().join(format!("o{}", end.len()));
        let (code, log) = run(&out, &file, &["--paths", "10"]);
        assert_eq!(code, 1, "{log}");
        let rejected = std::fs::read_to_string(out.join("rejected.csv")).unwrap();
        let at: Vec<&str> = rejected
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(at, ["9", "12"], "{end:?}: {rejected}");
    }
}

#[test]
fn a_row_id_is_any_text() {
    // Ids of products and cases name files and are kept to a safe set; a
    // loan's id is the lender's, whatever it is (they were rejected as
    // `case.id`).
    let dir = tempfile::tempdir().unwrap();
    let text = sample_head(2).replacen("MSE-00000001", "\"MSE 001/é, ok\"", 1);
    let file = dir.path().join("ids.csv");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("o");
    let (code, log) = run(&out, &file, &["--paths", "10"]);
    assert_eq!(code, 0, "{log}");
    let loans = std::fs::read_to_string(out.join("loans.csv")).unwrap();
    assert!(loans.contains("\"MSE 001/é, ok\""), "{loans}");
}

#[test]
fn unknown_and_unnamed_columns_are_named_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    // A `note` column and a trailing comma on every line.
    let text: String = sample_head(2)
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l},{},\n", if i == 0 { "note" } else { "x" }))
        .collect();
    let file = dir.path().join("extra.csv");
    std::fs::write(&file, text).unwrap();
    let (code, log) = run(&dir.path().join("o"), &file, &["--paths", "10"]);
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("ignoring unknown columns: `note`, an unnamed column (a trailing comma?)"),
        "{log}"
    );
}
