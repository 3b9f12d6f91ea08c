//! `terrace channels`: channel mixes of a case's upgraded activity under
//! each product.

use std::path::Path;

use serde_json::json;

use super::cli::{ChannelsArgs, McArgs, Outcome};
use super::files::{failed_record_line, open_reader, record_line};
use super::render::{write_json, Cell, Format, Table};
use super::shared::{load_case, load_products, progress_bar, with_pool};
use crate::domain::case::Case;
use crate::engine::channels::{evaluate, grid, MixRow, MAX_MIXES};
use crate::engine::simulate::Prepared;
use crate::error::compact;
use crate::math::money::parse_f64;
use crate::{Error, ErrorKind, Result};

/// Runs `terrace channels`.
pub fn run(args: &ChannelsArgs) -> Result<Outcome> {
    let case = load_case(&args.case)?;
    let (activity, names) = pick_activity(&case, args.activity.as_deref())?;
    let mixes = match &args.mixes {
        Some(file) => read_mixes(file, &names)?,
        None => grid(names.len(), &args.step)?,
    };
    if !(0.0..=1.0).contains(&args.pd_max) {
        return Err(Error::usage(format!(
            "--pd-max: expected an annual PD in [0, 1], found {}",
            compact(args.pd_max)
        )));
    }
    let prep = if args.loans.is_empty() {
        Prepared::without_loan(&case)?
    } else {
        Prepared::new(&case, &load_products(&args.loans)?)?
    };
    let McArgs {
        paths,
        seed,
        threads,
    } = args.mc;
    let bar = progress_bar(paths as u64, "paths");
    let rows = with_pool(paths, threads, || {
        evaluate(&prep, activity, &mixes, paths, seed, args.pd_max, &|done| {
            bar.set_position(done as u64)
        })
    })??;
    bar.finish_and_clear();

    let table = rows_table(&names, &rows);
    let mut sink = args.out.sink()?;
    let out = sink.writer();
    let written = match args.out.format {
        Format::Json => write_json(
            &json!({
                "case": case.id,
                "activity": case.activities[activity].name,
                "channels": names,
                "paths": paths,
                "seed": seed,
                "pd_max": args.pd_max,
                "mixes": table.json(),
            }),
            out,
        ),
        Format::Csv => table.write_csv(out, true),
        Format::Table => (|| {
            writeln!(
                out,
                "case {} — channel mixes of `{}` ({} mixes × {} product(s), {} paths, seed {}; income and CE per year in {})",
                case.id,
                case.activities[activity].name,
                mixes.len(),
                rows.len() / mixes.len().max(1),
                paths,
                seed,
                case.currency
            )?;
            writeln!(out)?;
            table.write_aligned(out)?;
            writeln!(out)?;
            for r in rows.iter().filter(|r| r.best) {
                writeln!(
                    out,
                    "{}: highest CE with PD ≤ {}: {} (CE {:.0}, PD {})",
                    r.product,
                    args.pd_max,
                    describe(&names, &r.mix),
                    r.ce,
                    r.pd_annual
                        .map_or("-".into(), |p| format!("{:.2}%", p * 100.0))
                )?;
            }
            Ok(())
        })(),
    };
    written.map_err(|e| sink.io_error(e))?;
    sink.finish()?;
    Ok(Outcome::Complete)
}

/// The activity to mix and its channel names.
fn pick_activity(case: &Case, name: Option<&str>) -> Result<(usize, Vec<String>)> {
    let names = |i: usize| {
        case.activities[i]
            .channels
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    match name {
        Some(n) => case
            .activities
            .iter()
            .position(|a| a.name == n && a.with.is_some())
            .map(|i| (i, names(i)))
            .ok_or_else(|| {
                let known: Vec<&str> = case
                    .activities
                    .iter()
                    .filter(|a| a.with.is_some())
                    .map(|a| a.name.as_str())
                    .collect();
                Error::usage(format!(
                    "--activity: expected one of {}, found `{n}`",
                    known.join(", ")
                ))
            }),
        None => case
            .upgraded_activity()
            .map(|i| (i, names(i)))
            .ok_or_else(|| {
                Error::usage(format!(
                    "case `{}` has no activity with two or more channels to mix",
                    case.id
                ))
            }),
    }
}

/// Reads a mixes CSV: a header of channel names (any order, any subset),
/// then one mix per row; shares are non-negative and sum to 1.
fn read_mixes(path: &Path, names: &[String]) -> Result<Vec<Vec<f64>>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(open_reader(path)?);
    let header = rdr
        .headers()
        .map_err(|e| {
            Error::new(ErrorKind::Parse, e.to_string())
                .with_file(path)
                .with_line(1)
        })?
        .clone();
    let mut columns = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let k = names.iter().position(|n| n == h).ok_or_else(|| {
            Error::invalid(
                format!("column {}", i + 1),
                format!("a channel name ({})", names.join(", ")),
                format!("`{h}`"),
            )
            .with_file(path)
            .with_line(1)
        })?;
        if columns.contains(&k) {
            return Err(Error::invalid(
                format!("column {}", i + 1),
                "each channel once",
                format!("`{h}` again"),
            )
            .with_file(path)
            .with_line(1));
        }
        columns.push(k);
    }
    let mut mixes = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let more = rdr.read_record(&mut record).map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!("expected {} fields, {e}", columns.len()),
            )
            .with_file(path)
            .with_line(failed_record_line(&rdr))
        })?;
        if !more {
            break;
        }
        let line = record_line(&rdr, &record);
        let mut mix = vec![0.0; names.len()];
        for (field, &k) in record.iter().zip(&columns) {
            let x = parse_f64(&names[k], field).map_err(|e| e.with_file(path).with_line(line))?;
            if !(0.0..=1.0).contains(&x) {
                return Err(Error::invalid(names[k].clone(), "a share in [0, 1]", x)
                    .with_file(path)
                    .with_line(line));
            }
            mix[k] = x;
        }
        let total: f64 = mix.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(Error::invalid(
                "shares",
                "shares that sum to 1",
                format!("a sum of {total}"),
            )
            .with_file(path)
            .with_line(line));
        }
        // A mix given twice would be evaluated and listed twice.
        if let Some(first) = mixes.iter().position(|m: &(Vec<f64>, u64)| m.0 == mix) {
            return Err(Error::invalid(
                "shares",
                "each mix once",
                format!("the mix of line {} again", mixes[first].1),
            )
            .with_file(path)
            .with_line(line));
        }
        mixes.push((mix, line));
    }
    if mixes.is_empty() || mixes.len() > MAX_MIXES {
        return Err(Error::new(
            ErrorKind::Parse,
            format!("expected 1 to {MAX_MIXES} mixes, found {}", mixes.len()),
        )
        .with_file(path));
    }
    Ok(mixes.into_iter().map(|(mix, _)| mix).collect())
}

fn describe(names: &[String], mix: &[f64]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(mix)
        .filter(|(_, s)| **s > 0.0)
        .map(|(n, s)| format!("{:.0}% {n}", s * 100.0))
        .collect();
    parts.join(", ")
}

fn rows_table(names: &[String], rows: &[MixRow]) -> Table {
    let mut cols: Vec<String> = names.iter().map(|n| format!("share_{n}")).collect();
    cols.extend(
        [
            "product",
            "income_mean",
            "income_sd",
            "ce",
            "p_below_subsistence",
            "pd_annual",
            "expected_loss",
            "dscr_p10",
            "efficient",
            "frontier",
            "best",
        ]
        .map(String::from),
    );
    let mut t = Table::new(cols);
    for r in rows {
        let mut row: Vec<Cell> = r.mix.iter().map(|s| Cell::num(Some(*s), 2)).collect();
        row.extend([
            Cell::Text(r.product.clone()),
            Cell::num(Some(r.income_mean), 0),
            Cell::num(Some(r.income_sd), 0),
            Cell::num(Some(r.ce), 0),
            Cell::num(Some(r.p_below_subsistence), 4),
            Cell::num(r.pd_annual, 4),
            Cell::num(r.expected_loss, 0),
            Cell::num(r.dscr_p10, 2),
            Cell::Bool(r.efficient),
            Cell::Bool(r.frontier),
            Cell::Bool(r.best),
        ]);
        t.push(row);
    }
    t
}
