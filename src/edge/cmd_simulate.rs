//! `terrace simulate`: Monte Carlo credit risk and household welfare of each
//! product on a case.

use serde_json::{json, Value};

use super::cli::{McArgs, Outcome, SimulateArgs};
use super::render::{write_json, Cell, Format, Table};
use super::shared::{load_case, load_products, progress_bar, with_pool};
use crate::domain::case::Case;
use crate::engine::credit::CreditSummary;
use crate::engine::simulate::{simulate, Config, Prepared, Simulation};
use crate::Result;

/// The metrics, in output order, with their table precision.
pub const METRICS: [(&str, u8); 19] = [
    ("pd_lifetime", 4),
    ("pd_annual", 4),
    ("pd_se", 4),
    ("ead", 0),
    ("lgd", 3),
    ("expected_loss", 0),
    ("lender_irr_mean", 4),
    ("lender_irr_p5", 4),
    ("raroc", 4),
    ("household_npv_mean", 0),
    ("household_npv_p5", 0),
    ("household_npv_p50", 0),
    ("household_npv_p95", 0),
    ("ce_gain", 1),
    ("p_below_subsistence", 4),
    ("p_below_subsistence_without", 4),
    ("dscr_p10", 3),
    ("p_shortfall", 4),
    ("p_shortfall_without", 4),
];

/// The metric values of a summary, in [`METRICS`] order.
pub fn metric_values(s: &CreditSummary) -> [Option<f64>; 19] {
    [
        Some(s.pd_lifetime),
        Some(s.pd_annual),
        Some(s.pd_se),
        s.ead,
        s.lgd,
        Some(s.expected_loss),
        s.lender_irr_mean,
        s.lender_irr_p5,
        s.raroc,
        Some(s.household_npv_mean),
        Some(s.household_npv_p5),
        Some(s.household_npv_p50),
        Some(s.household_npv_p95),
        Some(s.ce_gain),
        Some(s.p_below_subsistence),
        Some(s.p_below_subsistence_without),
        Some(s.dscr_p10).filter(|d| d.is_finite()),
        Some(s.p_shortfall),
        Some(s.p_shortfall_without),
    ]
}

/// Runs `terrace simulate`.
pub fn run(args: &SimulateArgs) -> Result<Outcome> {
    let case = load_case(&args.case)?;
    let products = load_products(&args.loans)?;
    let prep = Prepared::new(&case, &products)?;
    let McArgs {
        paths,
        seed,
        threads,
    } = args.mc;
    let bar = progress_bar(paths as u64, "paths");
    let cfg = Config {
        paths,
        seed,
        ..Config::default()
    };
    let sim = with_pool(paths, threads, || {
        simulate(&prep, &cfg, &|done| bar.set_position(done as u64))
    })?;
    bar.finish_and_clear();

    let mut sink = args.out.sink()?;
    let out = sink.writer();
    let written = match args.out.format {
        Format::Json => write_json(&json_report(&case, &prep, &sim), out),
        Format::Csv => table(&sim).write_csv(out, true),
        Format::Table => write_text(&case, &prep, &sim, out),
    };
    written.map_err(|e| sink.io_error(e))?;
    sink.finish()?;
    Ok(Outcome::Complete)
}

fn table(sim: &Simulation) -> Table {
    let mut t = Table::new(std::iter::once("id").chain(METRICS.iter().map(|(m, _)| *m)));
    for p in &sim.products {
        let mut row = vec![Cell::Text(p.id.clone())];
        row.extend(
            metric_values(&p.summary)
                .iter()
                .zip(METRICS)
                .map(|(v, (_, d))| Cell::num(*v, d)),
        );
        t.push(row);
    }
    t
}

fn repair_note(prep: &Prepared) -> Option<String> {
    prep.model.inputs.repair().map(|r| {
        format!(
            "the correlation matrix was not positive semi-definite (lowest eigenvalue {:.4}); it was repaired, largest change {:.4}",
            r.min_eigenvalue_before, r.max_abs_change
        )
    })
}

fn write_text(
    case: &Case,
    prep: &Prepared,
    sim: &Simulation,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "case {} — {} ({}); {} paths, seed {}",
        case.id, case.name, case.currency, sim.paths, sim.seed
    )?;
    if let Some(note) = repair_note(prep) {
        writeln!(out, "note: {note}")?;
    }
    writeln!(out)?;
    // Metrics down, products across: one column per product reads better
    // in a terminal than seventeen columns.
    let mut t = Table::new(
        std::iter::once("metric".to_string()).chain(sim.products.iter().map(|p| p.id.clone())),
    );
    for (i, (name, d)) in METRICS.iter().enumerate() {
        let mut row = vec![Cell::Text((*name).to_string())];
        row.extend(
            sim.products
                .iter()
                .map(|p| Cell::num(metric_values(&p.summary)[i], *d)),
        );
        t.push(row);
    }
    t.write_aligned(out)
}

fn json_report(case: &Case, prep: &Prepared, sim: &Simulation) -> Value {
    let t = table(sim);
    json!({
        "case": case.id,
        "currency": case.currency,
        "seed": sim.seed,
        "paths": sim.paths,
        "correlation_repair": repair_note(prep),
        "products": t.json(),
    })
}
