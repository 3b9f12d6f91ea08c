//! The case report: from the engines' results to a [`Document`].
//!
//! Everything here is a pure function of results already computed by the
//! engines (`appraisal`, `simulate`, `sensitivity`, `channels`); the command
//! runs them and writes the file. Chart and table are built from the same
//! numbers in the same function, so what a chart shows is what its table
//! says.

use crate::domain::case::Case;
use crate::engine::appraisal::{Appraisal, LoanFlows, DSCR_THRESHOLD};
use crate::engine::channels::MixRow;
use crate::engine::design::Design;
use crate::engine::sensitivity::TornadoRow;
use crate::engine::simulate::{PathDetail, Simulation};
use crate::math::stats::quantiles;
use crate::Result;

use super::assumptions::{extract, preamble};
use super::charts::{
    amount, cash_chart, cdf_chart, fan_chart, frontier_chart, percent, scatter_chart,
    tornado_chart, CashChart, CdfChart, FanChart, FanRow, FrontierPoint, ScatterChart,
    ScatterPoint, TornadoBar, TornadoChart,
};
use super::html::{Document, Figure, HtmlTable, Section};

/// The tornado of the product analysed in depth.
#[derive(Debug, Clone)]
pub struct TornadoView {
    /// Product id.
    pub product: String,
    /// Paths per tornado run.
    pub paths: usize,
    /// The bars, widest first.
    pub rows: Vec<TornadoRow>,
}

/// Channel mixes of the upgraded activity under the product analysed in depth.
#[derive(Debug, Clone)]
pub struct ChannelsView {
    /// The activity mixed.
    pub activity: String,
    /// Its channels, in order.
    pub channels: Vec<String>,
    /// Paths per mix.
    pub paths: usize,
    /// The grid step.
    pub step: String,
    /// The PD ceiling for the best mix.
    pub pd_max: f64,
    /// One row per mix.
    pub rows: Vec<MixRow>,
}

/// What the case report is made from.
#[derive(Debug, Clone)]
pub struct CaseReport<'a> {
    /// The case.
    pub case: &'a Case,
    /// The case file's text (for the assumptions and their sources).
    pub case_text: &'a str,
    /// The case file's path as given.
    pub case_path: &'a str,
    /// Deterministic appraisal under each product.
    pub appraisal: &'a Appraisal,
    /// Each product's loan flows (instalments), in product order.
    pub loans: &'a [LoanFlows],
    /// Cash without the investment, month by month.
    pub cash_without: &'a [f64],
    /// Monte Carlo summary.
    pub simulation: &'a Simulation,
    /// Monte Carlo per-path detail.
    pub detail: &'a PathDetail,
    /// The tornado, if run.
    pub tornado: Option<TornadoView>,
    /// The channel mixes, if the case has an activity with two or more channels.
    pub channels: Option<ChannelsView>,
    /// The design search over a product space, if one was given.
    pub design: Option<&'a Design>,
    /// The command line that reproduces the report.
    pub command: String,
}

/// Months of cash chart after the loan's last instalment.
const AFTER_MATURITY: usize = 12;

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.filter(|v| v.is_finite()).map_or_else(|| "-".into(), f)
}

fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}").replace('-', "−")
    } else {
        "-".into()
    }
}

/// The DSCR percentiles of each loan year from per-path values.
#[must_use]
pub fn fan_rows(dscr_by_year: &[Vec<f64>]) -> Vec<(FanRow, usize, f64)> {
    dscr_by_year
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_empty())
        .map(|(y, v)| {
            let below = v.iter().filter(|d| **d < DSCR_THRESHOLD).count() as f64 / v.len() as f64;
            let mut v = v.clone();
            let q = quantiles(&mut v, &[0.1, 0.25, 0.5, 0.75, 0.9]);
            (
                FanRow {
                    year: y + 1,
                    p10: q[0],
                    p25: q[1],
                    p50: q[2],
                    p75: q[3],
                    p90: q[4],
                },
                v.len(),
                below,
            )
        })
        .collect()
}

/// Builds the case report.
pub fn case_report(r: &CaseReport) -> Result<Document> {
    let case = r.case;
    let cur = &case.currency;
    let sim = r.simulation;
    let mut sections = Vec::new();

    // Summary and project view.
    let p = &r.appraisal.project;
    let mut project = HtmlTable::new(
        "table-project",
        &format!("Project view: incremental cash flows with minus without the investment, before financing ({cur}; discount rate {})", percent(case.discount_rate, 1)),
        &["measure", "value"],
    );
    project.push(vec![format!("NPV ({cur})"), amount(p.npv)]);
    project.push(vec![
        "IRR (annual)".into(),
        opt(p.irr, |x| percent(x, 1)) + &format!(" ({})", p.irr_status),
    ]);
    project.push(vec!["MIRR (annual)".into(), opt(p.mirr, |x| percent(x, 1))]);
    project.push(vec!["benefit–cost ratio".into(), opt(p.bcr, ratio)]);
    project.push(vec![
        "payback (months)".into(),
        opt(p.payback_months, |x| format!("{x:.1}")),
    ]);
    let mut summary = Section {
        id: "summary".into(),
        title: "The case".into(),
        paragraphs: vec![
            preamble(r.case_text),
            format!(
                "{} ({}), value chain {}, upgrading: {}. Amounts in {cur}, constant prices; horizon {} years from {}.",
                case.name,
                case.country,
                case.value_chain,
                case.upgrading.iter().map(|u| format!("{u:?}").to_lowercase()).collect::<Vec<_>>().join(", "),
                case.horizon_years,
                case.start
            ),
        ],
        ..Section::default()
    };
    summary.tables.push(project);
    sections.push(summary);

    // Verdict per product.
    let mut verdicts = HtmlTable::new(
        "table-verdicts",
        &format!("Verdict per product: deterministic appraisal (mean inputs) and Monte Carlo risk ({} paths, seed {}); amounts in {cur}", sim.paths, sim.seed),
        &[
            "product",
            "principal",
            "APR",
            "lowest annual DSCR",
            "months cash < 0",
            "peak deficit",
            "household NPV",
            "verdict",
            "PD (annual)",
            "expected loss",
            "RAROC",
            "CE gain / month",
            "P(shortfall)",
        ],
    );
    let mut reasons = HtmlTable::new(
        "table-reasons",
        "Why: the appraisal's reason for each verdict",
        &["product", "verdict", "why"],
    );
    for (fv, run) in r.appraisal.products.iter().zip(&sim.products) {
        let s = &run.summary;
        verdicts.push(vec![
            fv.id.clone(),
            amount(crate::math::money::to_f64(fv.principal)),
            percent(fv.apr, 1),
            opt(fv.min_annual_dscr, ratio),
            fv.months_cash_negative.to_string(),
            amount(fv.peak_deficit),
            amount(fv.household_npv),
            fv.verdict.to_string(),
            percent(s.pd_annual, 2),
            amount(s.expected_loss),
            opt(s.raroc, |x| percent(x, 1)),
            amount(s.ce_gain),
            percent(s.p_shortfall, 1),
        ]);
        reasons.push(vec![
            fv.id.clone(),
            fv.verdict.to_string(),
            fv.reason.clone(),
        ]);
    }
    sections.push(Section {
        id: "verdicts".into(),
        title: "Verdict per product".into(),
        paragraphs: vec![format!(
            "passes: cash never runs out and every loan year's DSCR is at least {DSCR_THRESHOLD}; weak: cash holds but coverage is below {DSCR_THRESHOLD}; fails: the household's cash runs out while the loan is outstanding; not-worth-it: repayable, but the household ends up worse off. PD, expected loss (present value at the contract rate), RAROC and the certainty-equivalent gain come from the Monte Carlo; P(shortfall) is the share of paths on which cash after living costs falls below zero in some month."
        )],
        tables: vec![verdicts, reasons],
        ..Section::default()
    });

    // Monthly cash with and without.
    let mut cash = Section {
        id: "cash".into(),
        title: "Household cash month by month".into(),
        paragraphs: vec![format!(
            "Cash at the end of each month with the investment financed by the product, and without the investment (no loan), at mean inputs; red bars are the instalments due. Shown to {AFTER_MATURITY} months after the last instalment."
        )],
        ..Section::default()
    };
    let mut cash_table = HtmlTable::new(
        "table-cash",
        &format!("Cash at mean inputs ({cur})"),
        &[
            "product",
            "lowest cash with",
            "in month",
            "lowest cash without",
            "instalments due",
            "first instalment month",
            "last instalment month",
        ],
    );
    for (fv, loan) in r.appraisal.products.iter().zip(r.loans) {
        let last_due = loan.debt_service.iter().rposition(|d| *d > 0.0);
        let n = fv
            .monthly
            .len()
            .min(last_due.map_or(fv.monthly.len(), |m| m + 1 + AFTER_MATURITY));
        let with: Vec<f64> = fv.monthly[..n].iter().map(|m| m.cash).collect();
        let without: Vec<f64> = r.cash_without.iter().take(n).copied().collect();
        let instalments: Vec<f64> = (0..n)
            .map(|t| loan.debt_service.get(t).copied().unwrap_or(0.0))
            .collect();
        let svg = cash_chart(&CashChart {
            title: format!("{}: household cash, {}", case.id, fv.id),
            currency: cur.clone(),
            dates: fv.monthly[..n].iter().map(|m| m.date.clone()).collect(),
            with: with.clone(),
            without: without.clone(),
            instalments: instalments.clone(),
        })?;
        cash.figures.push(Figure {
            id: format!("chart-cash-{}", fv.id),
            caption: format!(
                "Household cash at month end under {} ({cur}), with and without the investment; bars: instalments due.",
                fv.id
            ),
            svg,
        });
        let (low_t, low) = with
            .iter()
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |(bt, b), (t, v)| if *v < b { (t, *v) } else { (bt, b) },
            );
        cash_table.push(vec![
            fv.id.clone(),
            amount(low),
            fv.monthly.get(low_t).map_or("-".into(), |m| m.date.clone()),
            amount(without.iter().copied().fold(f64::INFINITY, f64::min)),
            amount(instalments.iter().sum()),
            loan.debt_service
                .iter()
                .position(|d| *d > 0.0)
                .map_or("-".into(), |t| t.to_string()),
            last_due.map_or("-".into(), |t| t.to_string()),
        ]);
    }
    cash.tables.push(cash_table);
    sections.push(cash);

    // DSCR fan.
    let mut dscr = Section {
        id: "dscr".into(),
        title: "Debt service coverage over the loan's life".into(),
        paragraphs: vec![format!(
            "Each loan year's DSCR (the year's enterprise and other income less living costs, over the instalments due that year) across the {} simulated paths: the bands hold the middle 50% and 80% of paths; the dashed line is the lender's threshold {DSCR_THRESHOLD}. The chart's axis is clipped to [−2, 10]; the tables hold the exact percentiles.",
            sim.paths
        )],
        ..Section::default()
    };
    for (run, det) in sim.products.iter().zip(&r.detail.products) {
        let rows = fan_rows(&det.dscr_by_year);
        if rows.is_empty() {
            continue;
        }
        let svg = fan_chart(&FanChart {
            title: format!("{}: annual DSCR percentiles, {}", case.id, run.id),
            rows: rows.iter().map(|r| r.0).collect(),
            threshold: DSCR_THRESHOLD,
        })?;
        dscr.figures.push(Figure {
            id: format!("chart-dscr-fan-{}", run.id),
            caption: format!(
                "Annual DSCR by loan year under {}: percentiles across paths.",
                run.id
            ),
            svg,
        });
        let mut t = HtmlTable::new(
            &format!("table-dscr-{}", run.id),
            &format!("Annual DSCR percentiles under {} (ratio)", run.id),
            &[
                "loan year",
                "paths",
                "p10",
                "p25",
                "median",
                "p75",
                "p90",
                "share below threshold",
            ],
        );
        for (f, n, below) in &rows {
            t.push(vec![
                f.year.to_string(),
                n.to_string(),
                ratio(f.p10),
                ratio(f.p25),
                ratio(f.p50),
                ratio(f.p75),
                ratio(f.p90),
                percent(*below, 1),
            ]);
        }
        dscr.tables.push(t);
    }
    sections.push(dscr);

    // Household NPV distribution.
    let mut series = vec![(
        "without the investment".to_string(),
        r.detail.npv_without.clone(),
    )];
    for (run, det) in sim.products.iter().zip(&r.detail.products) {
        series.push((format!("with, {}", run.id), det.npv_with.clone()));
    }
    let mut npv_table = HtmlTable::new(
        "table-npv",
        &format!(
            "Household NPV of income over the horizon ({cur}, discount rate {})",
            percent(case.discount_rate, 1)
        ),
        &[
            "series",
            "mean",
            "p5",
            "median",
            "p95",
            "share of paths above without",
        ],
    );
    for (name, v) in &series {
        let mut s = v.clone();
        let q = quantiles(&mut s, &[0.05, 0.5, 0.95]);
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        let better = if name.starts_with("with,") {
            let k = v
                .iter()
                .zip(&r.detail.npv_without)
                .filter(|(w, wo)| w > wo)
                .count();
            percent(k as f64 / v.len().max(1) as f64, 1)
        } else {
            "-".into()
        };
        npv_table.push(vec![
            name.clone(),
            amount(mean),
            amount(q[0]),
            amount(q[1]),
            amount(q[2]),
            better,
        ]);
    }
    let svg = cdf_chart(&CdfChart {
        title: format!("{}: household NPV with and without the investment", case.id),
        x_desc: format!("NPV of household income net of investment and loan ({cur})"),
        series,
    })?;
    sections.push(Section {
        id: "npv".into(),
        title: "Distribution of household outcomes".into(),
        paragraphs: vec![format!(
            "The NPV of the household's income (enterprise and other income, less the investment and the loan's flows) on each simulated path, without the investment and with it under each product: a curve further right is better; where it crosses the dashed line some households end up worse off than without."
        )],
        figures: vec![Figure {
            id: "chart-npv-cdf".into(),
            caption: "Cumulative distribution of household NPV across simulated paths.".into(),
            svg,
        }],
        tables: vec![npv_table],
    });

    // Tornado.
    if let Some(tv) = &r.tornado {
        let bars: Vec<TornadoBar> = tv
            .rows
            .iter()
            .map(|row| TornadoBar {
                input: row.input.clone(),
                at_low: row.npv_low,
                at_high: row.npv_high,
            })
            .collect();
        let svg = tornado_chart(&TornadoChart {
            title: format!(
                "{}: what moves the household's NPV under {}",
                case.id, tv.product
            ),
            x_desc: format!("mean incremental household NPV after financing ({cur})"),
            bars,
        })?;
        let mut t = HtmlTable::new(
            "table-tornado",
            &format!(
                "Tornado under {} ({} paths per run, same seed; NPV in {cur})",
                tv.product, tv.paths
            ),
            &[
                "input",
                "p10 value",
                "p90 value",
                "NPV at p10",
                "NPV at p90",
                "swing",
                "PD at p10",
                "PD at p90",
            ],
        );
        for row in &tv.rows {
            t.push(vec![
                row.input.clone(),
                amount(row.low),
                amount(row.high),
                amount(row.npv_low),
                amount(row.npv_high),
                amount(row.swing()),
                percent(row.pd_low, 2),
                percent(row.pd_high, 2),
            ]);
        }
        sections.push(Section {
            id: "sensitivity".into(),
            title: "Sensitivity".into(),
            paragraphs: vec![format!(
                "Each random input pinned at its 10th and then its 90th percentile, all else random, on the same scenarios: the household's mean incremental NPV after financing under {}. Widest swing on top.",
                tv.product
            )],
            figures: vec![Figure {
                id: "chart-tornado".into(),
                caption: "Tornado: household NPV with each input at its 10th (blue) and 90th (orange) percentile.".into(),
                svg,
            }],
            tables: vec![t],
        });
    }

    // Channel mixes.
    if let Some(cv) = &r.channels {
        let describe = |mix: &[f64]| {
            cv.channels
                .iter()
                .zip(mix)
                .filter(|(_, s)| **s > 0.0)
                .map(|(c, s)| format!("{c} {:.0}%", s * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let points: Vec<ScatterPoint> = cv
            .rows
            .iter()
            .map(|m| ScatterPoint {
                group: m.product.clone(),
                x: m.ce,
                y: m.pd_annual.unwrap_or(0.0),
                marked: m.efficient,
                highlight: m.best.then(|| format!("best: {}", describe(&m.mix))),
            })
            .collect();
        let svg = scatter_chart(&ScatterChart {
            id: "channel-mix".into(),
            title: format!("{}: channel mixes of {}", case.id, cv.activity),
            x_desc: format!("household certainty equivalent ({cur} per year)"),
            y_desc: "loan's annual PD".into(),
            y_percent: true,
            marked_means: "efficient (no mix has higher CE and lower PD)".into(),
            unmarked_means: "dominated".into(),
            points,
        })?;
        let mut t = HtmlTable::new(
            "table-channels",
            &format!(
                "Efficient channel mixes of {} ({} paths, grid step {}; CE per year in {cur})",
                cv.activity, cv.paths, cv.step
            ),
            &[
                "product",
                "mix",
                "mean income",
                "income sd",
                "CE",
                "PD (annual)",
                "P(W < subsistence)",
                "best",
            ],
        );
        for m in cv.rows.iter().filter(|m| m.efficient || m.best) {
            t.push(vec![
                m.product.clone(),
                describe(&m.mix),
                amount(m.income_mean),
                amount(m.income_sd),
                amount(m.ce),
                opt(m.pd_annual, |x| percent(x, 2)),
                percent(m.p_below_subsistence, 1),
                if m.best { "yes".into() } else { String::new() },
            ]);
        }
        sections.push(Section {
            id: "channels".into(),
            title: "Channel mix".into(),
            paragraphs: vec![format!(
                "Every mix of {}'s output over its channels ({}) on a grid of step {}: the household's certainty equivalent against the loan's PD. Filled markers are efficient; the ringed one has the highest CE with PD at most {}.",
                cv.activity,
                cv.channels.join(", "),
                cv.step,
                percent(cv.pd_max, 1)
            )],
            figures: vec![Figure {
                id: "chart-channel-mix".into(),
                caption: "Channel mixes in CE–PD space; efficient mixes filled.".into(),
                svg,
            }],
            tables: vec![t],
        });
    }

    if let Some(d) = r.design {
        sections.push(design_section(case, d)?);
    }

    // Assumptions.
    let mut a = HtmlTable::new(
        "table-assumptions",
        &format!(
            "Inputs of {} with the sources noted beside them in the file",
            r.case_path
        ),
        &["key", "value", "source and reasoning"],
    );
    for x in extract(r.case_text) {
        a.push(vec![x.key, x.value, x.source]);
    }
    sections.push(Section {
        id: "assumptions".into(),
        title: "Assumptions and sources".into(),
        paragraphs: vec![
            "Each input of the case file with the comment written above it: a source code (C1, C2, …) refers to the project's case-data list of published figures, (derived) shows the arithmetic, (est.) marks an estimate with its reasoning. data/cases/README.md documents the case schema and conventions.".into(),
            format!(
                "The deterministic appraisal uses each input's mean; the Monte Carlo draws random inputs afresh each project year from the distributions shown. Lender's DSCR threshold: {DSCR_THRESHOLD}."
            ),
        ],
        tables: vec![a],
        ..Section::default()
    });

    Ok(Document {
        title: format!("{} — {}", case.id, case.name),
        facts: vec![
            ("case".into(), format!("{} ({})", case.id, r.case_path)),
            (
                "products".into(),
                sim.products
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("currency".into(), cur.clone()),
            (
                "Monte Carlo".into(),
                format!("{} paths, seed {}", sim.paths, sim.seed),
            ),
            ("terrace version".into(), env!("CARGO_PKG_VERSION").into()),
        ],
        command: r.command.clone(),
        sections,
    })
}

/// The design frontier: every candidate of the space in CE gain × RAROC
/// space (those meeting the constraints filled — the unwaived ones when
/// the search had to waive some — the recommended one ringed), the
/// non-dominated products and the search's reason.
fn design_section(case: &Case, d: &Design) -> Result<Section> {
    let cur = &case.currency;
    let points: Vec<FrontierPoint> = d
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let m = row.metrics.as_ref()?;
            Some(FrontierPoint {
                label: row.candidate.id.clone(),
                ce_gain: m.ce_gain,
                y: m.raroc.filter(|x| x.is_finite())?,
                feasible: row.meets(&d.waived),
                recommended: d.knee == Some(i),
            })
        })
        .collect();
    let svg = frontier_chart(
        &format!("{}: product designs", case.id),
        cur,
        "lender's RAROC (annual)",
        true,
        &points,
    )?;
    let mut t = HtmlTable::new(
        "table-design",
        &format!(
            "Non-dominated feasible products ({} paths; CE gain per month in {cur})",
            d.paths
        ),
        &[
            "product",
            "CE gain",
            "RAROC",
            "PD (annual)",
            "donor cost",
            "recommended",
        ],
    );
    for (i, row) in d.rows.iter().enumerate().filter(|(_, r)| r.frontier) {
        if let Some(m) = &row.metrics {
            t.push(vec![
                row.candidate.id.clone(),
                amount(m.ce_gain),
                opt(m.raroc, |x| percent(x, 1)),
                percent(m.pd_annual, 2),
                amount(m.donor_cost),
                if d.knee == Some(i) {
                    "yes".into()
                } else {
                    String::new()
                },
            ]);
        }
    }
    let feasible = d.rows.iter().filter(|r| r.feasible()).count();
    let waived = if d.waived.is_empty() {
        String::new()
    } else {
        format!(
            " None meets them all, so the space's relax list waives {}: {} meet the rest.",
            d.waived
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            d.qualifying()
        )
    };
    Ok(Section {
        id: "design".into(),
        title: "Product design".into(),
        paragraphs: vec![
            format!(
                "{} candidate products of the space on the same scenarios, {feasible} feasible under the constraints (annual PD, DSCR p10, RAROC, asset life, subsistence).{waived}",
                d.rows.len()
            ),
            d.reason.clone(),
        ],
        figures: vec![Figure {
            id: "chart-design-frontier".into(),
            caption: "Candidate products: household CE gain against the lender's RAROC; feasible ones filled, the recommended one ringed.".into(),
            svg,
        }],
        tables: vec![t],
    })
}
