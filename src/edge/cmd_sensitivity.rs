//! `terrace sensitivity`: the tornado and switching values of a product on
//! a case.

use serde_json::json;

use super::cli::{Outcome, SensitivityArgs};
use super::render::{write_json, Cell, Format, Table};
use super::shared::{load_case, progress_bar, with_pool};
use super::toml_file::load_product;
use crate::engine::appraisal::LoanFlows;
use crate::engine::sensitivity::{switching_values, tornado, SwitchingRow, TornadoRow};
use crate::engine::simulate::Prepared;
use crate::Result;

/// Runs `terrace sensitivity`.
pub fn run(args: &SensitivityArgs) -> Result<Outcome> {
    let case = load_case(&args.case)?;
    let product = load_product(&args.product)?;
    let prep = Prepared::new(&case, std::slice::from_ref(&product))?;
    let loan = LoanFlows::for_case(&case, &product)?;
    let random = (0..prep.model.inputs.len())
        .filter(|&s| prep.model.inputs.param(s).is_random())
        .count();
    let bar = progress_bar(random as u64, "inputs");
    bar.set_message("inputs");
    let bars = with_pool(args.paths, args.threads, || {
        tornado(&prep, 0, args.paths, args.seed)
    })?;
    bar.finish_and_clear();
    let switching = switching_values(&prep, &loan, case.discount_rate, case.household.cash_buffer);

    let mut sink = args.out.sink()?;
    let out = sink.writer();
    let (t, s) = (tornado_table(&bars), switching_table(&switching));
    let written = match args.out.format {
        Format::Json => write_json(
            &json!({
                "case": case.id,
                "product": product.id,
                "paths": args.paths,
                "seed": args.seed,
                "tornado": t.json(),
                "switching": s.json(),
            }),
            out,
        ),
        Format::Csv => t.write_csv(out, true).and_then(|()| {
            writeln!(out)?;
            s.write_csv(out, true)
        }),
        Format::Table => (|| {
            writeln!(
                out,
                "case {} under {}: tornado, each random input at P10 and P90 ({} paths per run, seed {})",
                case.id, product.id, args.paths, args.seed
            )?;
            writeln!(out)?;
            t.write_aligned(out)?;
            writeln!(out)?;
            writeln!(
                out,
                "switching values: % change from base at which project NPV = 0 and the lowest annual DSCR = 1 \
                 (searched from −100% to +900%; - = no switch in that range)"
            )?;
            writeln!(out)?;
            s.write_aligned(out)
        })(),
    };
    written.map_err(|e| sink.io_error(e))?;
    sink.finish()?;
    Ok(Outcome::Complete)
}

fn tornado_table(rows: &[TornadoRow]) -> Table {
    let mut t = Table::new([
        "input",
        "p10",
        "p90",
        "household_npv_p10",
        "household_npv_p90",
        "npv_swing",
        "pd_annual_p10",
        "pd_annual_p90",
        "lender_irr_p10",
        "lender_irr_p90",
    ]);
    for r in rows {
        t.push(vec![
            Cell::Text(r.input.clone()),
            Cell::num(Some(r.low), 2),
            Cell::num(Some(r.high), 2),
            Cell::num(Some(r.npv_low), 0),
            Cell::num(Some(r.npv_high), 0),
            Cell::num(Some(r.swing()), 0),
            Cell::num(Some(r.pd_low), 4),
            Cell::num(Some(r.pd_high), 4),
            Cell::num(r.lender_irr_low, 4),
            Cell::num(r.lender_irr_high, 4),
        ]);
    }
    t
}

fn switching_table(rows: &[SwitchingRow]) -> Table {
    let mut t = Table::new([
        "input",
        "base",
        "npv_zero_change_pct",
        "dscr_one_change_pct",
    ]);
    for r in rows {
        t.push(vec![
            Cell::Text(r.input.clone()),
            Cell::num(Some(r.base), 2),
            Cell::num(r.npv_zero_pct, 1),
            Cell::num(r.dscr_one_pct, 1),
        ]);
    }
    t
}
