//! Snapshot tests of the chart and report renderers on hand-made data.
//!
//! The renderers return text and touch no file, so their output is compared
//! byte for byte with `tests/snapshots/*`. After an intended change to a
//! chart, look at the new SVG, then refresh the snapshots with
//! `UPDATE_SNAPSHOTS=1 cargo test --test report_render`.

use std::path::Path;

use terrace::edge::report::book::{book_report, markers, BookReport};
use terrace::edge::report::charts::{
    amount, cash_chart, fan_chart, frontier_chart, loss_chart, tornado_chart, CashChart, FanChart,
    FanRow, FrontierPoint, LossChart, TornadoBar, TornadoChart,
};
use terrace::edge::report::html::render;
use terrace::edge::report::portfolio::{
    parse_csv, parse_summary, LoanRow, LossRow, SegmentRow, LOAN_COLUMNS, LOSS_COLUMNS,
    SEGMENT_COLUMNS,
};

fn snapshot(name: &str, actual: &str) {
    roxmltree::Document::parse(actual).unwrap_or_else(|e| panic!("{name} is not XML: {e}"));
    let path = Path::new("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all("tests/snapshots").unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run UPDATE_SNAPSHOTS=1 cargo test --test report_render",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name} differs from its snapshot; if intended, refresh it (see the module docs)"
    );
}

fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect()
}

#[test]
fn frontier_chart_snapshot() {
    // Six hand-made designs: CE gain per month and RAROC.
    let points = [
        ("24m, 0m grace, 30%", 120.0, 0.31, true, false),
        ("36m, 6m grace, 28%", 310.0, 0.24, true, false),
        ("48m, 12m grace, 26%", 480.0, 0.19, true, true),
        ("60m, 12m grace, 24%", 560.0, 0.12, false, false),
        ("84m, 24m grace, 22%", 640.0, 0.04, false, false),
        ("12m, 0m grace, 36%", -90.0, 0.35, true, false),
    ]
    .map(|(label, ce_gain, y, feasible, recommended)| FrontierPoint {
        label: label.into(),
        ce_gain,
        y,
        feasible,
        recommended,
    });
    let svg = frontier_chart(
        "kenya-avocado: product designs",
        "KES",
        "lender's RAROC (annual)",
        true,
        &points,
    )
    .unwrap();
    assert!(svg_texts(&svg).contains(&"recommended: 48m, 12m grace, 26%".to_string()));
    snapshot("frontier.svg", &svg);
}

#[test]
fn loss_chart_snapshot_carries_its_markers() {
    let losses: Vec<f64> = (0..100).map(|i| f64::from(i * i)).collect();
    let chart = LossChart {
        title: "Book loss distribution, test".into(),
        currency: "KES".into(),
        losses,
        markers: vec![("EL".into(), 3283.5), ("VaR 99%".into(), 9703.0)],
    };
    let svg = loss_chart(&chart).unwrap();
    let texts = svg_texts(&svg);
    assert!(texts.contains(&"EL: 3,284".to_string()), "{texts:?}");
    assert!(texts.contains(&"VaR 99%: 9,703".to_string()));
    snapshot("loss.svg", &svg);
}

#[test]
fn fan_chart_snapshot() {
    let rows = (1..=5)
        .map(|y| {
            let m = 0.8 + 0.3 * y as f64;
            FanRow {
                year: y,
                p10: m - 0.6,
                p25: m - 0.3,
                p50: m,
                p75: m + 0.35,
                p90: m + 0.8,
            }
        })
        .collect();
    let svg = fan_chart(&FanChart {
        title: "DSCR fan, test".into(),
        rows,
        threshold: 1.25,
    })
    .unwrap();
    assert!(svg_texts(&svg).contains(&"lender's threshold 1.25".to_string()));
    snapshot("fan.svg", &svg);
}

#[test]
fn tornado_chart_snapshot_labels_each_bar_end() {
    let bars = vec![
        TornadoBar {
            input: "coffee.price".into(),
            at_low: -12_000.0,
            at_high: 30_500.0,
        },
        TornadoBar {
            input: "investment[0].cost & <fees>".into(),
            at_low: 15_000.0,
            at_high: 2_000.0,
        },
    ];
    let svg = tornado_chart(&TornadoChart {
        title: "Tornado, test".into(),
        x_desc: "household NPV (MXN)".into(),
        bars,
    })
    .unwrap();
    let texts = svg_texts(&svg);
    for want in [
        "−12,000",
        "30,500",
        "2,000",
        "15,000",
        "investment[0].cost & <fees>",
    ] {
        assert!(texts.contains(&want.to_string()), "{want} not in {texts:?}");
    }
    snapshot("tornado.svg", &svg);
}

#[test]
fn cash_chart_snapshot() {
    let dates: Vec<String> = (0..24)
        .map(|t| format!("{}-{:02}", 2026 + (t + 2) / 12, (t + 2) % 12 + 1))
        .collect();
    let with: Vec<f64> = (0..24)
        .map(|t| 5_000.0 - 600.0 * t as f64 + 40.0 * (t * t) as f64)
        .collect();
    let without: Vec<f64> = (0..24).map(|t| 5_000.0 + 150.0 * t as f64).collect();
    let instalments: Vec<f64> = (0..24)
        .map(|t| if (3..20).contains(&t) { 900.0 } else { 0.0 })
        .collect();
    let svg = cash_chart(&CashChart {
        title: "Cash, test".into(),
        currency: "USD".into(),
        dates,
        with,
        without,
        instalments,
    })
    .unwrap();
    snapshot("cash.svg", &svg);
}

#[test]
fn renderers_give_the_same_bytes_twice() {
    let chart = LossChart {
        title: "t".into(),
        currency: "X".into(),
        losses: vec![1.0, 2.0, 3.0],
        markers: vec![("EL".into(), 2.0)],
    };
    assert_eq!(loss_chart(&chart).unwrap(), loss_chart(&chart).unwrap());
}

#[test]
fn portfolio_report_snapshot() {
    let dir = Path::new("tests/data/portfolio-report");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let summary = parse_summary(&read("portfolio.json"), &dir.join("portfolio.json")).unwrap();
    let loans: Vec<LoanRow> =
        parse_csv(&read("loans.csv"), Path::new("loans.csv"), &LOAN_COLUMNS).unwrap();
    let segments: Vec<SegmentRow> = parse_csv(
        &read("segments.csv"),
        Path::new("segments.csv"),
        &SEGMENT_COLUMNS,
    )
    .unwrap();
    let losses: Vec<LossRow> =
        parse_csv(&read("losses.csv"), Path::new("losses.csv"), &LOSS_COLUMNS).unwrap();
    assert_eq!(
        markers(&summary.products[1])
            .iter()
            .map(|(k, v)| format!("{k}: {}", amount(*v)))
            .collect::<Vec<_>>(),
        [
            "EL: 1,500",
            "VaR 99%: 7,050",
            "ES 99%: 8,000",
            "VaR 99.9%: 7,905",
            "ES 99.9%: 8,000"
        ]
    );
    let doc = book_report(&BookReport {
        dir: "tests/data/portfolio-report",
        summary: &summary,
        loans: &loans,
        segments: &segments,
        losses: &losses,
        command: "terrace report --portfolio-dir tests/data/portfolio-report --output book.html"
            .into(),
    })
    .unwrap();
    let html = render(&doc);
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(&html, opts).unwrap();
    // The version is in the header; keep the snapshot independent of it.
    let html = html.replace(env!("CARGO_PKG_VERSION"), "VERSION");
    let path = Path::new("tests/snapshots/portfolio-report.html");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &html).unwrap();
    } else {
        assert!(
            std::fs::read_to_string(path).unwrap() == html,
            "portfolio-report.html differs from its snapshot"
        );
    }
}
