//! The portfolio report: from the files `terrace portfolio` writes (read
//! by [`super::portfolio`]) to a [`Document`]. Pure: the command reads the
//! files and writes the result.

use std::collections::BTreeMap;

use crate::Result;

use super::charts::{amount, loss_chart, percent, LossChart};
use super::html::{Document, Figure, HtmlTable, Section};
use super::portfolio::{LoanRow, LossRow, PortfolioSummary, SegmentRow};

/// What the portfolio report is made from.
#[derive(Debug, Clone)]
pub struct BookReport<'a> {
    /// The directory read, as given.
    pub dir: &'a str,
    /// `portfolio.json`.
    pub summary: &'a PortfolioSummary,
    /// `loans.csv`.
    pub loans: &'a [LoanRow],
    /// `segments.csv`.
    pub segments: &'a [SegmentRow],
    /// `losses.csv`.
    pub losses: &'a [LossRow],
    /// The command line that reproduces the report.
    pub command: String,
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.filter(|v| v.is_finite()).map_or_else(|| "-".into(), f)
}

/// The risk measures marked on a product's loss chart, with their labels;
/// the same values fill the product table.
#[must_use]
pub fn markers(p: &super::portfolio::ProductRisk) -> Vec<(String, f64)> {
    vec![
        ("EL".into(), p.expected_loss),
        ("VaR 99%".into(), p.var_99),
        ("ES 99%".into(), p.es_99),
        ("VaR 99.9%".into(), p.var_999),
        ("ES 99.9%".into(), p.es_999),
    ]
}

/// Builds the portfolio report.
pub fn book_report(r: &BookReport) -> Result<Document> {
    let s = r.summary;
    let units = "amounts in US$, each loan converted at its case template's units_per_usd";
    let mut sections = Vec::new();

    let mut products = HtmlTable::new(
        "table-products",
        &format!(
            "Book risk per product ({} paths, seed {}; {units})",
            s.paths, s.seed
        ),
        &[
            "product",
            "loans",
            "exposure",
            "EL",
            "EL / exposure",
            "VaR 99%",
            "VaR 99.9%",
            "ES 99%",
            "ES 99.9%",
            "default rate",
            "implied default correlation",
        ],
    );
    for p in &s.products {
        products.push(vec![
            p.product.clone(),
            p.loans.to_string(),
            amount(p.exposure),
            amount(p.expected_loss),
            if p.exposure > 0.0 {
                percent(p.expected_loss / p.exposure, 2)
            } else {
                "-".into()
            },
            amount(p.var_99),
            amount(p.var_999),
            amount(p.es_99),
            amount(p.es_999),
            percent(p.default_rate, 2),
            opt(p.implied_default_correlation, |x| format!("{x:.3}")),
        ]);
    }
    sections.push(Section {
        id: "summary".into(),
        title: "The book".into(),
        paragraphs: vec![format!(
            "Portfolio {}: {} rows read, {} evaluated, {} rejected. Shocks are shared within a region (correlation {}) and a value chain (correlation {}), so defaults cluster and the loss distribution has a fat right tail. VaR is the loss not exceeded on that share of paths; ES is the mean loss on the paths beyond it.",
            s.file, s.rows_in, s.rows_ok, s.rows_rejected, s.rho_region, s.rho_chain
        )],
        tables: vec![products],
        ..Section::default()
    });

    let mut losses = Section {
        id: "losses".into(),
        title: "Loss distribution".into(),
        paragraphs: vec![format!(
            "The book's loss on each of the {} Monte Carlo paths, per product, with the expected loss, VaR and ES marked ({units}).",
            s.paths
        )],
        ..Section::default()
    };
    for p in &s.products {
        let values: Vec<f64> = r
            .losses
            .iter()
            .filter(|l| l.product == p.product)
            .map(|l| l.loss)
            .collect();
        if values.is_empty() {
            continue;
        }
        let svg = loss_chart(&LossChart {
            title: format!("Book loss distribution, {}", p.product),
            currency: "currency units".into(),
            losses: values,
            markers: markers(p),
        })?;
        losses.figures.push(Figure {
            id: format!("chart-loss-{}", p.product),
            caption: format!(
                "Histogram of book losses across paths for {}; dashed lines: EL, VaR and ES (values in the legend match the product table).",
                p.product
            ),
            svg,
        });
    }
    sections.push(losses);

    let mut by_dimension: BTreeMap<&str, Vec<&SegmentRow>> = BTreeMap::new();
    for row in r.segments {
        by_dimension.entry(&row.dimension).or_default().push(row);
    }
    let mut segments = Section {
        id: "segments".into(),
        title: "Segments".into(),
        paragraphs: vec![format!(
            "Loans grouped by each dimension: count, exposure, mean annual PD, expected loss, the household's mean certainty-equivalent gain per month and the share of viable loans ({units})."
        )],
        ..Section::default()
    };
    for (dim, rows) in by_dimension {
        let mut t = HtmlTable::new(
            &format!("table-segments-{dim}"),
            &format!("By {dim}"),
            &[
                dim,
                "product",
                "loans",
                "exposure",
                "PD (annual)",
                "expected loss",
                "mean CE gain",
                "share viable",
            ],
        );
        for row in rows {
            t.push(vec![
                row.segment.clone(),
                row.product.clone(),
                row.count.to_string(),
                amount(row.exposure),
                opt(row.pd_annual, |x| percent(x, 2)),
                opt(row.expected_loss, amount),
                opt(row.mean_ce_gain, amount),
                opt(row.share_viable, |x| percent(x, 1)),
            ]);
        }
        segments.tables.push(t);
    }
    sections.push(segments);

    // Appraisal verdicts by product, counted from loans.csv.
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut verdicts: Vec<&str> = Vec::new();
    for l in r.loans {
        *counts.entry((&l.product, &l.verdict)).or_default() += 1;
        if !verdicts.contains(&l.verdict.as_str()) {
            verdicts.push(&l.verdict);
        }
    }
    verdicts.sort_unstable();
    let mut columns = vec!["product", "loans", "viable"];
    columns.extend(verdicts.iter().copied());
    let mut t = HtmlTable::new(
        "table-loan-verdicts",
        "Loans by appraisal verdict (from loans.csv)",
        &columns,
    );
    let mut product_ids: Vec<&str> = r.loans.iter().map(|l| l.product.as_str()).collect();
    product_ids.sort_unstable();
    product_ids.dedup();
    for p in product_ids {
        let of_p: Vec<&LoanRow> = r.loans.iter().filter(|l| l.product == p).collect();
        let viable = of_p.iter().filter(|l| l.viable == "true").count();
        let mut row = vec![
            p.to_string(),
            of_p.len().to_string(),
            percent(viable as f64 / of_p.len().max(1) as f64, 1),
        ];
        row.extend(
            verdicts
                .iter()
                .map(|v| counts.get(&(p, *v)).copied().unwrap_or(0).to_string()),
        );
        t.push(row);
    }
    sections.push(Section {
        id: "loans".into(),
        title: "Loans".into(),
        paragraphs: vec![format!(
            "{} loans evaluated; each loan's appraisal verdict and whether it is viable (the household gains and the loan is repayable). The per-loan results are in {}/loans.csv.",
            r.loans.len(),
            r.dir
        )],
        tables: vec![t],
        ..Section::default()
    });

    Ok(Document {
        title: format!("Portfolio report — {}", s.file),
        facts: vec![
            ("portfolio".into(), s.file.clone()),
            ("results read from".into(), r.dir.into()),
            (
                "loans".into(),
                format!(
                    "{} evaluated of {} ({} rejected)",
                    s.rows_ok, s.rows_in, s.rows_rejected
                ),
            ),
            (
                "Monte Carlo".into(),
                format!("{} paths, seed {}", s.paths, s.seed),
            ),
            ("terrace version".into(), env!("CARGO_PKG_VERSION").into()),
        ],
        command: r.command.clone(),
        sections,
    })
}
