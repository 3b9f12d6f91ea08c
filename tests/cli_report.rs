//! `terrace report` from the outside: every bundled case and the portfolio
//! fixture give a well-formed, self-contained report with every chart and
//! table; charts carry the tables' numbers; bad input is named.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn terrace() -> Command {
    Command::cargo_bin("terrace").unwrap()
}

const PRODUCT: &str = "products/upgrading-60m-grace.toml";
const FIXTURE: &str = "tests/data/portfolio-report";

/// Runs `terrace report ARGS --output DIR/report.html` and returns the HTML.
fn report(dir: &Path, args: &[&str]) -> String {
    let out = dir.join("report.html");
    let run = terrace()
        .arg("report")
        .args(args)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read_to_string(out).unwrap()
}

/// Parses the report as XML (the markup is XHTML-compatible) and checks it
/// fetches nothing: no `src`, no external `href`, no `url(` or `@import`.
fn parse_self_contained(html: &str) -> roxmltree::Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(html, opts)
        .unwrap_or_else(|e| panic!("report is not well-formed: {e}"));
    for n in doc.descendants().filter(|n| n.is_element()) {
        assert!(
            n.attribute("src").is_none(),
            "src on <{}>",
            n.tag_name().name()
        );
        if let Some(h) = n.attribute("href") {
            assert!(h.starts_with('#'), "external href {h}");
        }
        for name in ["script", "link", "img", "iframe", "object"] {
            assert_ne!(
                n.tag_name().name(),
                name,
                "<{name}> in a self-contained report"
            );
        }
    }
    for bad in ["url(", "@import", "src=\"http", "href=\"http"] {
        assert!(!html.contains(bad), "report contains {bad}");
    }
    doc
}

fn by_id<'a>(doc: &'a roxmltree::Document, id: &str) -> roxmltree::Node<'a, 'a> {
    doc.descendants()
        .find(|n| n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("no element with id `{id}`"))
}

/// The text of each `<td>` of a table, row by row.
fn cells(table: roxmltree::Node) -> Vec<Vec<String>> {
    table
        .descendants()
        .filter(|n| n.has_tag_name("tr"))
        .map(|tr| {
            tr.children()
                .filter(|c| c.has_tag_name("td"))
                .map(|td| td.text().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        })
        .filter(|r| !r.is_empty())
        .collect()
}

/// Every text string inside an element (SVG `<text>` included).
fn texts(node: roxmltree::Node) -> Vec<String> {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

#[test]
fn every_bundled_case_gives_a_complete_self_contained_report() {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("data/cases").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let case = path.to_str().unwrap();
        let html = report(
            tmp.path(),
            &[case, "--product", PRODUCT, "--paths", "30", "--seed", "11"],
        );
        let doc = parse_self_contained(&html);
        for id in [
            "chart-cash-upgrading-60m-grace",
            "chart-dscr-fan-upgrading-60m-grace",
            "chart-npv-cdf",
            "chart-tornado",
            "table-project",
            "table-verdicts",
            "table-cash",
            "table-dscr-upgrading-60m-grace",
            "table-npv",
            "table-tornado",
            "table-assumptions",
            "command",
        ] {
            by_id(&doc, id);
        }
        // The channel chart appears exactly when the case has an activity
        // with two or more channels.
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed: toml::Value = toml::from_str(&text).unwrap();
        let mixable = parsed["activity"].as_array().unwrap().iter().any(|a| {
            a.get("with").is_some()
                && a.get("channel")
                    .and_then(|c| c.as_array())
                    .is_some_and(|c| c.len() >= 2)
        });
        assert_eq!(html.contains("id=\"chart-channel-mix\""), mixable, "{case}");
        assert_eq!(html.contains("id=\"table-channels\""), mixable, "{case}");
        assert!(html.contains(concat!("<dd>", env!("CARGO_PKG_VERSION"), "</dd>")));
        assert!(html.contains("30 paths, seed 11"), "{case}");
        assert!(html.contains("@media print"));
    }
}

#[test]
fn the_reproduce_command_reproduces_the_same_bytes_whatever_the_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "data/cases/mexico-coffee.toml",
        "--product",
        PRODUCT,
        "--paths",
        "40",
    ];
    let one = report(tmp.path(), &[&args[..], &["--threads", "1"]].concat());
    let two = report(tmp.path(), &[&args[..], &["--threads", "2"]].concat());
    assert!(one == two, "reports differ between 1 and 2 threads");
    assert!(one.contains(
        "terrace report data/cases/mexico-coffee.toml --product products/upgrading-60m-grace.toml --paths 40 --seed 20261129 --output "
    ));
}

#[test]
fn the_tornado_bars_carry_the_tornado_table_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let html = report(
        tmp.path(),
        &[
            "data/cases/honduras-drip.toml",
            "--product",
            PRODUCT,
            "--paths",
            "30",
        ],
    );
    let doc = parse_self_contained(&html);
    let chart = texts(by_id(&doc, "chart-tornado"));
    let rows = cells(by_id(&doc, "table-tornado"));
    assert!(!rows.is_empty());
    for row in rows {
        // input, p10 value, p90 value, NPV at p10, NPV at p90, ...
        assert!(chart.contains(&row[0]), "input {} not on the chart", row[0]);
        assert!(chart.contains(&row[3]), "NPV {} not on the chart", row[3]);
        assert!(chart.contains(&row[4]), "NPV {} not on the chart", row[4]);
    }
}

#[test]
fn charts_are_also_written_as_files() {
    let tmp = tempfile::tempdir().unwrap();
    let charts = tmp.path().join("charts");
    report(
        tmp.path(),
        &[
            "data/cases/kenya-avocado.toml",
            "--product",
            PRODUCT,
            "--paths",
            "20",
            "--charts",
            charts.to_str().unwrap(),
        ],
    );
    for name in [
        "chart-cash-upgrading-60m-grace.svg",
        "chart-dscr-fan-upgrading-60m-grace.svg",
        "chart-npv-cdf.svg",
        "chart-tornado.svg",
        "chart-channel-mix.svg",
    ] {
        let svg = std::fs::read_to_string(charts.join(name)).unwrap();
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn the_portfolio_fixture_gives_a_report_whose_markers_match_the_table() {
    let tmp = tempfile::tempdir().unwrap();
    let html = report(tmp.path(), &["--portfolio-dir", FIXTURE]);
    let doc = parse_self_contained(&html);
    for id in [
        "table-products",
        "chart-loss-upgrading-60m-grace",
        "chart-loss-microloan-12m-flat",
        "table-segments-owner_gender",
        "table-segments-value_chain",
        "table-loan-verdicts",
    ] {
        by_id(&doc, id);
    }
    let rows = cells(by_id(&doc, "table-products"));
    // Hand-computed in tests/data/portfolio-report/README.md.
    let upgrading = rows.iter().find(|r| r[0] == "upgrading-60m-grace").unwrap();
    assert_eq!(upgrading[3], "5,600");
    assert_eq!(upgrading[5], "24,240");
    assert_eq!(upgrading[6], "24,924");
    assert_eq!(upgrading[7], "25,000");
    let chart = texts(by_id(&doc, "chart-loss-upgrading-60m-grace"));
    // Table columns: EL 3, VaR 99% 5, VaR 99.9% 6, ES 99% 7, ES 99.9% 8.
    for (label, col) in [
        ("EL", 3),
        ("VaR 99%", 5),
        ("VaR 99.9%", 6),
        ("ES 99%", 7),
        ("ES 99.9%", 8),
    ] {
        let want = format!("{label}: {}", upgrading[col]);
        assert!(chart.contains(&want), "{want} not in {chart:?}");
    }
    assert!(html.contains("12 evaluated of 13 (1 rejected)"));
    let verdicts = cells(by_id(&doc, "table-loan-verdicts"));
    // upgrading-60m-grace: 8 loans, 6 viable; fails 1, not-worth-it 1, passes 4, weak 2.
    let v = verdicts
        .iter()
        .find(|r| r[0] == "upgrading-60m-grace")
        .unwrap();
    assert_eq!(
        v,
        &["upgrading-60m-grace", "8", "75.0%", "1", "1", "4", "2"]
    );
}

fn copy_fixture(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in ["portfolio.json", "loans.csv", "segments.csv", "losses.csv"] {
        std::fs::copy(Path::new(FIXTURE).join(f), to.join(f)).unwrap();
    }
}

#[test]
fn a_missing_portfolio_dir_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    terrace()
        .args(["report", "--portfolio-dir", "no/such/dir", "--output"])
        .arg(tmp.path().join("r.html"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--portfolio-dir")
                .and(predicate::str::contains("no/such/dir")),
        );
    assert!(!tmp.path().join("r.html").exists());
}

#[test]
fn a_missing_portfolio_json_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    copy_fixture(&dir);
    std::fs::remove_file(dir.join("portfolio.json")).unwrap();
    terrace()
        .args(["report", "--portfolio-dir"])
        .arg(&dir)
        .arg("--output")
        .arg(tmp.path().join("r.html"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("portfolio.json"));
}

#[test]
fn malformed_json_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    copy_fixture(&dir);
    std::fs::write(
        dir.join("portfolio.json"),
        "{\n  \"file\": \"x.csv\",\n  \"rows_in\": ,\n}\n",
    )
    .unwrap();
    terrace()
        .args(["report", "--portfolio-dir"])
        .arg(&dir)
        .arg("--output")
        .arg(tmp.path().join("r.html"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("portfolio.json").and(predicate::str::contains("line 3")));
}

#[test]
fn a_field_of_the_wrong_type_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    copy_fixture(&dir);
    let json = std::fs::read_to_string(dir.join("portfolio.json"))
        .unwrap()
        .replace("\"var_99\": 7050", "\"var_99\": \"high\"");
    std::fs::write(dir.join("portfolio.json"), json).unwrap();
    terrace()
        .args(["report", "--portfolio-dir"])
        .arg(&dir)
        .arg("--output")
        .arg(tmp.path().join("r.html"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("portfolio.json")
                .and(predicate::str::contains("products[1].var_99"))
                .and(predicate::str::contains("expected a number")),
        );
}

#[test]
fn a_bad_losses_row_names_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    copy_fixture(&dir);
    let csv = std::fs::read_to_string(dir.join("losses.csv"))
        .unwrap()
        .replacen("upgrading-60m-grace,2,0", "upgrading-60m-grace,2,lots", 1);
    std::fs::write(dir.join("losses.csv"), csv).unwrap();
    terrace()
        .args(["report", "--portfolio-dir"])
        .arg(&dir)
        .arg("--output")
        .arg(tmp.path().join("r.html"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("losses.csv")
                .and(predicate::str::contains("line 4"))
                .and(predicate::str::contains("column `loss`")),
        );
}

#[test]
fn a_case_report_needs_a_product_and_an_output() {
    let tmp = tempfile::tempdir().unwrap();
    terrace()
        .args(["report", "data/cases/kenya-avocado.toml", "--output"])
        .arg(tmp.path().join("r.html"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--product"));
    terrace()
        .args([
            "report",
            "data/cases/kenya-avocado.toml",
            "--product",
            PRODUCT,
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--output"));
    terrace()
        .args(["report", "--output"])
        .arg(tmp.path().join("r.html"))
        .assert()
        .code(2);
}

#[test]
fn a_missing_case_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    terrace()
        .args([
            "report",
            "data/cases/nowhere.toml",
            "--product",
            PRODUCT,
            "--output",
        ])
        .arg(tmp.path().join("r.html"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nowhere.toml"));
}

#[test]
fn the_verdict_table_carries_simulate_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "data/cases/indonesia-cocoa.toml",
        "--product",
        PRODUCT,
        "--paths",
        "60",
        "--seed",
        "3",
    ];
    let html = report(tmp.path(), &args);
    let doc = parse_self_contained(&html);
    let out = terrace()
        .arg("simulate")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let sim: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &sim["products"][0];
    let row = &cells(by_id(&doc, "table-verdicts"))[0];
    // PD (annual) is column 8, shown as a percentage with two decimals.
    let pd = p["pd_annual"].as_f64().unwrap();
    assert_eq!(row[8], format!("{:.2}%", pd * 100.0));
    // CE gain is column 11, in the report's amount format.
    let ce = p["ce_gain"].as_f64().unwrap();
    assert_eq!(row[11], terrace::edge::report::charts::amount(ce));
}

#[test]
fn a_space_adds_the_design_frontier_with_the_recommended_product() {
    let tmp = tempfile::tempdir().unwrap();
    let html = report(
        tmp.path(),
        &[
            "data/cases/honduras-drip.toml",
            "--product",
            PRODUCT,
            "--paths",
            "60",
            "--space",
            "tests/data/spaces/small.toml",
        ],
    );
    let doc = parse_self_contained(&html);
    by_id(&doc, "chart-design-frontier");
    let table = cells(by_id(&doc, "table-design"));
    // The table lists the frontier; the recommended product is marked in
    // the table and named on the chart.
    let recommended: Vec<&Vec<String>> = table
        .iter()
        .filter(|r| r.last().is_some_and(|c| c == "yes"))
        .collect();
    assert_eq!(recommended.len(), 1, "{table:?}");
    let chart = texts(by_id(&doc, "chart-design-frontier")).join(" ");
    assert!(chart.contains(&recommended[0][0]), "{chart}");
    assert!(html.contains("--space tests/data/spaces/small.toml"));
}
