//! `terrace schedule`: a product file and a loan amount in, the repayment
//! schedule and its price (APR/EIR from the full client cash flow) out.
//!
//! Output by `--format`:
//! * `table`: the schedule rows, a blank line, then a one-row summary
//!   (principal, net disbursement, totals, payments, APR, EIR);
//! * `csv`: the schedule rows only, so the file stays one rectangular
//!   table for other tools; the summary is in the JSON output;
//! * `json`: `{"schedule": [rows…], "summary": {…}}`, amounts as JSON
//!   numbers.

use std::io::Write;

use serde_json::{json, Value};

use super::cli::{Outcome, ScheduleArgs};
use super::render::{decimal_json, write_json, Cell, Format, Table};
use super::toml_file;
use crate::domain::product::Product;
use crate::domain::schedule::{schedule, Schedule, YearMonth};
use crate::math::money::parse_decimal;
use crate::{Error, Result};

/// The schedule's columns, in output order.
pub const COLUMNS: [&str; 8] = [
    "period",
    "date",
    "opening_balance",
    "interest",
    "principal",
    "fees",
    "payment",
    "closing_balance",
];

/// Runs `terrace schedule`.
pub fn run(args: &ScheduleArgs) -> Result<Outcome> {
    let principal = parse_decimal("--principal", &args.principal)?;
    if principal <= rust_decimal::Decimal::ZERO || principal > crate::domain::MAX_AMOUNT {
        return Err(Error::invalid(
            "--principal",
            "an amount in (0, 1e15]",
            &args.principal,
        ));
    }
    let start: YearMonth = args.start.parse().map_err(|_| {
        Error::usage(format!(
            "--start: expected a month YYYY-MM such as 2026-01, found `{}`",
            args.start
        ))
    })?;
    let annual_rate = args
        .annual_rate
        .as_deref()
        .map(|r| parse_decimal("--annual-rate", r))
        .transpose()?;

    let (product, source) = toml_file::load::<Product>(&args.product)?;
    product.validate().map_err(|e| source.locate(e))?;
    let product = product.with_overrides(annual_rate, args.tenor_months, args.grace_months);
    let overridden = |field: &str| -> Option<&'static str> {
        match field {
            "annual_rate" if args.annual_rate.is_some() => Some("--annual-rate"),
            "tenor_months" if args.tenor_months.is_some() => Some("--tenor-months"),
            "grace_months" if args.grace_months.is_some() => Some("--grace-months"),
            _ => None,
        }
    };
    let blame = |e: Error| -> Error {
        let field = e.location().field.clone().unwrap_or_default();
        match overridden(&field) {
            Some(flag) => Error::usage(format!("{flag}: {}", e.message())),
            None if field == "principal" => Error::usage(format!("--principal: {}", e.message())),
            None if field == "start" => Error::usage(format!("--start: {}", e.message())),
            None => source.locate(e),
        }
    };
    product.validate().map_err(blame)?;
    let s = schedule(&product, principal, start).map_err(blame)?;

    let mut sink = args.out.sink()?;
    render(&product, &s, args.out.format, sink.writer()).map_err(|e| sink.io_error(e))?;
    sink.finish()?;
    Ok(Outcome::Complete)
}

/// The schedule rows as a [`Table`].
pub fn rows_table(s: &Schedule) -> Table {
    let mut t = Table::new(COLUMNS);
    for r in &s.rows {
        t.push(vec![
            Cell::Int(i64::from(r.period)),
            Cell::Text(r.date.to_string()),
            Cell::Dec(r.opening_balance),
            Cell::Dec(r.interest),
            Cell::Dec(r.principal),
            Cell::Dec(r.fees),
            Cell::Dec(r.payment),
            Cell::Dec(r.closing_balance),
        ]);
    }
    t
}

/// The summary as a one-row [`Table`] (rates as fractions).
pub fn summary_table(s: &Schedule) -> Table {
    let m = &s.summary;
    let mut t = Table::new([
        "principal",
        "net_disbursement",
        "total_interest",
        "total_fees",
        "total_paid",
        "payments",
        "apr",
        "eir",
    ]);
    t.push(vec![
        Cell::Dec(m.principal),
        Cell::Dec(m.net_disbursement),
        Cell::Dec(m.total_interest),
        Cell::Dec(m.total_fees),
        Cell::Dec(m.total_paid),
        Cell::Int(i64::from(m.payments)),
        Cell::Num(m.apr, 5),
        Cell::Num(m.eir, 5),
    ]);
    t
}

/// The JSON document: `{"schedule": [...], "summary": {...}}`.
pub fn schedule_json(product: &Product, s: &Schedule) -> Value {
    let m = &s.summary;
    json!({
        "schedule": rows_table(s).json(),
        "summary": {
            "product": product.id,
            "currency": product.currency,
            "principal": decimal_json(m.principal),
            "net_disbursement": decimal_json(m.net_disbursement),
            "compulsory_savings": decimal_json(m.compulsory_savings),
            "total_interest": decimal_json(m.total_interest),
            "total_fees": decimal_json(m.total_fees),
            "total_paid": decimal_json(m.total_paid),
            "payments": m.payments,
            "maturity_month": m.maturity_month,
            "periods_per_year": m.periods_per_year,
            "period_rate": m.period_rate,
            "apr": m.apr,
            "eir": m.eir,
        }
    })
}

/// Renders a schedule in `format` (see the module documentation).
pub fn render(
    product: &Product,
    s: &Schedule,
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Table => {
            rows_table(s).write_aligned(out)?;
            writeln!(out)?;
            summary_table(s).write_aligned(out)
        }
        Format::Csv => rows_table(s).write_csv(out, true),
        Format::Json => write_json(&schedule_json(product, s), out),
    }
}
