//! `terrace appraise`: the project view of a case and, for each loan
//! product, the financing view with a plain verdict.

use serde_json::{json, Value};

use super::cli::{AppraiseArgs, Outcome};
use super::render::{write_json, Cell, Format, Table};
use super::shared::{load_case, load_products};
use crate::engine::appraisal::{appraise_case, Appraisal, FinancingView};
use crate::Result;

/// Runs `terrace appraise`.
pub fn run(args: &AppraiseArgs) -> Result<Outcome> {
    let case = load_case(&args.case)?;
    let products = if args.loans.is_empty() {
        Vec::new()
    } else {
        load_products(&args.loans)?
    };
    let appraisal = appraise_case(&case, &products)?;

    let mut sink = args.out.sink()?;
    let out = sink.writer();
    let written = match args.out.format {
        Format::Json => write_json(&json_report(&appraisal, args.monthly), out),
        Format::Csv => {
            let mut t = products_table(&appraisal, true);
            if appraisal.products.is_empty() {
                t = project_table(&appraisal);
            }
            t.write_csv(out, true).and_then(|()| {
                if args.monthly {
                    monthly_csv(&appraisal, out)
                } else {
                    Ok(())
                }
            })
        }
        Format::Table => write_text(&appraisal, args.monthly, out),
    };
    written.map_err(|e| sink.io_error(e))?;
    sink.finish()?;
    Ok(Outcome::Complete)
}

fn pct(x: Option<f64>) -> Cell {
    Cell::num(x.map(|v| v * 100.0), 2)
}

fn project_table(a: &Appraisal) -> Table {
    let p = &a.project;
    let mut t = Table::new([
        "case",
        "npv",
        "irr",
        "irr_status",
        "mirr",
        "bcr",
        "payback_months",
    ]);
    t.push(vec![
        Cell::Text(a.case_id.clone()),
        Cell::num(Some(p.npv), 0),
        Cell::num(p.irr, 4),
        Cell::Text(p.irr_status.clone()),
        Cell::num(p.mirr, 4),
        Cell::num(p.bcr, 2),
        Cell::num(p.payback_months, 1),
    ]);
    t
}

/// One row per product; for CSV the case and project columns lead each row
/// so the file stands alone.
fn products_table(a: &Appraisal, with_case: bool) -> Table {
    let mut cols: Vec<&str> = Vec::new();
    if with_case {
        cols.extend(["case", "project_npv", "project_irr", "project_irr_status"]);
    }
    cols.extend([
        "id",
        "loan",
        "apr",
        "eir",
        "min_dscr",
        "min_annual_dscr",
        "months_cash_negative",
        "peak_deficit",
        "household_npv",
        "verdict",
        "reason",
    ]);
    let mut t = Table::new(cols);
    for f in &a.products {
        let mut row = Vec::new();
        if with_case {
            row.extend([
                Cell::Text(a.case_id.clone()),
                Cell::num(Some(a.project.npv), 0),
                Cell::num(a.project.irr, 4),
                Cell::Text(a.project.irr_status.clone()),
            ]);
        }
        let rate = |x: f64| {
            if with_case {
                Cell::num(Some(x), 6)
            } else {
                pct(Some(x))
            }
        };
        row.extend([
            Cell::Text(f.id.clone()),
            Cell::Dec(f.principal),
            rate(f.apr),
            rate(f.eir),
            Cell::num(f.min_dscr, 2),
            Cell::num(f.min_annual_dscr, 2),
            Cell::Int(f.months_cash_negative as i64),
            Cell::num(Some(f.peak_deficit), 0),
            Cell::num(Some(f.household_npv), 0),
            Cell::Text(f.verdict.to_string()),
            Cell::Text(f.reason.clone()),
        ]);
        t.push(row);
    }
    t
}

fn monthly_table(f: &FinancingView) -> Table {
    let mut t = Table::new([
        "product",
        "period",
        "date",
        "enterprise_net",
        "household_net",
        "capital",
        "loan",
        "cash",
        "dscr",
    ]);
    for m in &f.monthly {
        t.push(vec![
            Cell::Text(f.id.clone()),
            Cell::Int(m.period as i64),
            Cell::Text(m.date.clone()),
            Cell::num(Some(m.enterprise_net), 0),
            Cell::num(Some(m.household_net), 0),
            Cell::num(Some(m.capital), 0),
            Cell::num(Some(m.loan), 0),
            Cell::num(Some(m.cash), 0),
            Cell::num(m.dscr, 2),
        ]);
    }
    t
}

fn monthly_csv(a: &Appraisal, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(out)?;
    for (i, f) in a.products.iter().enumerate() {
        monthly_table(f).write_csv(out, i == 0)?;
    }
    Ok(())
}

fn write_text(a: &Appraisal, monthly: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let p = &a.project;
    writeln!(out, "case {} — {} ({})", a.case_id, a.case_name, a.currency)?;
    let fmt_pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.2}%", v * 100.0));
    let roots = if p.irr_status == "multiple" {
        format!(
            " roots {}",
            p.irr_roots
                .iter()
                .map(|r| format!("{:.2}%", r * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "project (with minus without, {:.0}% discount rate): NPV {:.0}  IRR {} ({}{roots})  MIRR {}  BCR {}  payback {}",
        a.discount_rate * 100.0,
        p.npv,
        fmt_pct(p.irr),
        p.irr_status,
        fmt_pct(p.mirr),
        p.bcr.map_or("-".to_string(), |b| format!("{b:.2}")),
        p.payback_months.map_or("never".to_string(), |m| format!("{m:.1} months")),
    )?;
    if a.products.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut t = products_table(a, false);
    // The reason is long; it is printed under the table instead of as a column.
    t.columns.pop();
    for row in &mut t.rows {
        row.pop();
    }
    t.columns[2] = "apr_%".into();
    t.columns[3] = "eir_%".into();
    t.write_aligned(out)?;
    writeln!(out)?;
    for f in &a.products {
        writeln!(out, "{}: {} — {}", f.id, f.verdict, f.reason)?;
    }
    if monthly {
        for f in &a.products {
            writeln!(out)?;
            monthly_table(f).write_aligned(out)?;
        }
    }
    Ok(())
}

fn json_report(a: &Appraisal, monthly: bool) -> Value {
    let products: Vec<Value> = a
        .products
        .iter()
        .map(|f| {
            let mut v = json!({
                "id": f.id,
                "loan": super::render::decimal_json(f.principal),
                "apr": f.apr,
                "eir": f.eir,
                "min_dscr": f.min_dscr,
                "min_annual_dscr": f.min_annual_dscr,
                "months_cash_negative": f.months_cash_negative,
                "peak_deficit": f.peak_deficit,
                "household_npv": f.household_npv,
                "verdict": f.verdict,
                "reason": f.reason,
            });
            if monthly {
                v["monthly"] = serde_json::to_value(&f.monthly).unwrap_or(Value::Null);
            }
            v
        })
        .collect();
    json!({
        "case": a.case_id,
        "currency": a.currency,
        "discount_rate": a.discount_rate,
        "project": {
            "npv": a.project.npv,
            "irr": a.project.irr,
            "irr_status": a.project.irr_status,
            "irr_roots": a.project.irr_roots,
            "mirr": a.project.mirr,
            "bcr": a.project.bcr,
            "payback_months": a.project.payback_months,
        },
        "products": products,
    })
}
