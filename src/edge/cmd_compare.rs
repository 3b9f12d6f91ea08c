//! `terrace compare`: donor instruments against the no-instrument baseline
//! on one case or a portfolio, under the lender's acceptance rule (methods
//! F40–F45), ranked for a donor's report.
//!
//! A portfolio's rows become cases as in `generate-portfolio`'s schema
//! (bundled templates scaled to each row); a row that cannot be read or
//! evaluated is reported on stderr with its line, id, field and reason and
//! the exit code is 1, never dropped silently. Loans in different
//! currencies are added in US dollars at each case template's `units_per_usd`.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde_json::json;

use super::cli::{CompareArgs, Outcome};
use super::files::{
    csv_error, failed_record_line, open_csv, record_line, toml_files_in, utf8_fault,
};
use super::render::{write_json, Cell, Format, Table};
use super::shared::{load_case, load_products, progress_bar, with_pool};
use super::toml_file::load;
use crate::domain::instrument::{Instrument, Kind};
use crate::domain::portfolio::{
    apply, check_unique, parse_row, template_for, Header, PortfolioRow, RowError, REQUIRED_COLUMNS,
};
use crate::domain::product::Product;
use crate::engine::compare::{compare, settle_first_loss, BookLoan, Comparison};
use crate::engine::instruments::{evaluate, LoanConfig, LoanEvaluation, Shared};
use crate::engine::portfolio::loan_seed;
use crate::error::compact;
use crate::{Error, Result};

/// Loads and validates every instrument file of `dir`, with file, line and
/// field on any error; ids must be unique.
pub fn load_instruments(dir: &Path) -> Result<Vec<Instrument>> {
    let mut seen = HashSet::new();
    toml_files_in(dir)?
        .iter()
        .map(|path| {
            let (ins, source) = load::<Instrument>(path)?;
            ins.validate().map_err(|e| source.locate(e))?;
            if !seen.insert(ins.id.clone()) {
                return Err(source.locate(Error::invalid(
                    "id",
                    "an id used by no other instrument file",
                    format!("`{}` again", ins.id),
                )));
            }
            Ok(ins)
        })
        .collect()
}

/// Runs `terrace compare`.
pub fn run(args: &CompareArgs) -> Result<Outcome> {
    let instruments = load_instruments(&args.instruments)?;
    if !(0.0..=1.0).contains(&args.pd_max) {
        return Err(Error::usage(format!(
            "--pd-max: expected an annual PD in [0, 1] (0.03 for 3%), found {}",
            compact(args.pd_max)
        )));
    }
    for (flag, rho) in [
        ("--rho-region", args.rho_region),
        ("--rho-chain", args.rho_chain),
    ] {
        if !(0.0..1.0).contains(&rho) {
            return Err(Error::usage(format!(
                "{flag}: expected a factor loading in [0, 1), found {}",
                compact(rho)
            )));
        }
    }
    if args.rho_region + args.rho_chain >= 1.0 {
        return Err(Error::usage(format!(
            "--rho-region + --rho-chain: expected a sum below 1 (F29), found {}",
            args.rho_region + args.rho_chain
        )));
    }
    match (&args.case, &args.portfolio) {
        (Some(case), None) => run_case(args, case, &instruments),
        (None, Some(file)) => run_portfolio(args, file, &instruments),
        _ => Err(Error::usage(
            "give either a CASE file or --portfolio FILE (not both)",
        )),
    }
}

fn run_case(args: &CompareArgs, path: &Path, instruments: &[Instrument]) -> Result<Outcome> {
    let case = load_case(path)?;
    let products = load_products(&args.loans)?;
    if products.len() != 1 {
        return Err(Error::usage(format!(
            "a CASE is compared under one loan product: give exactly one --product FILE, found {}",
            products.len()
        )));
    }
    let paths = args.paths.unwrap_or(2_000);
    let cfg = LoanConfig {
        paths,
        seed: args.seed,
        shared: None,
        pd_max: args.pd_max,
    };
    let eval = with_pool(paths, args.threads, || {
        evaluate(&case, &products[0], instruments, &cfg)
    })??;
    let book = [BookLoan {
        eval: &eval,
        to_common: 1.0,
    }];
    let cmp = compare(&book, instruments);
    let heading = format!(
        "case {} — {} ({}), product {}; {} paths, seed {}; money in {}",
        case.id, case.name, case.currency, products[0].id, paths, args.seed, case.currency
    );
    let baseline = format!(
        "accept iff RAROC ≥ hurdle {:.2} and PD/yr ≤ {:.2}",
        eval.hurdle, eval.pd_max
    );
    // The loan as the lender sees it, without and with each instrument, in
    // rank order.
    let mut loans = vec![("none".to_string(), eval.baseline.clone())];
    for r in &cmp.instruments {
        if let Some(k) = instruments.iter().position(|i| i.id == r.id) {
            let view = if instruments[k].kind == Kind::FirstLoss {
                settle_first_loss(&book, instruments[k].first_loss_share.unwrap_or(0.0))
                    .0
                    .remove(0)
            } else {
                eval.instruments[k].clone()
            };
            loans.push((r.id.clone(), view));
        }
    }
    let per_loan: Vec<String> = loans
        .iter()
        .map(|(id, v)| {
            format!(
                "{id}: principal {:.0}, PD/yr {:.4}, RAROC {} — loan {}",
                v.principal,
                v.pd_annual,
                v.raroc.map_or("-".to_string(), |x| format!("{x:.4}")),
                if v.accepted { "made" } else { "refused" }
            )
        })
        .collect();
    let loan_json: Vec<serde_json::Value> = loans
        .iter()
        .map(|(id, v)| {
            json!({
                "id": id,
                "principal": v.principal,
                "pd_annual": v.pd_annual,
                "raroc": v.raroc,
                "ce_gain_pv": v.ce_gain_pv,
                "donor_cost": v.donor_cost,
                "accepted": v.accepted,
            })
        })
        .collect();
    write(args, &cmp, &heading, &baseline, &per_loan, &loan_json, &[])?;
    Ok(Outcome::Complete)
}

/// A row ready to evaluate.
/// A row ready to evaluate. The case is built from the row and its
/// template by the worker that evaluates it: a scaled case is far larger
/// than its row, and holding every one would make memory grow with the book.
struct Job {
    index: u64,
    row: PortfolioRow,
    template: usize,
    product: usize,
    to_common: f64,
}

fn run_portfolio(args: &CompareArgs, path: &Path, instruments: &[Instrument]) -> Result<Outcome> {
    let products: Vec<Product> = if args.loans.is_empty() {
        super::bundled::products()?
    } else {
        load_products(&args.loans)?
    };
    let templates = super::bundled::cases()?;
    if !products.iter().any(|p| p.id == args.default_product) {
        return Err(Error::usage(format!(
            "--default-product: expected the id of a product given ({}), found `{}`",
            products
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            args.default_product
        )));
    }
    let (mut reader, mut record) = open_csv(path, &REQUIRED_COLUMNS.join(", "))?;
    let header = Header::new(&record).map_err(|e| e.with_file(path))?;
    for name in header.ignored() {
        eprintln!(
            "warning: {}: column `{name}` is not in the portfolio schema; ignored",
            path.display()
        );
    }
    let mut ids = HashSet::new();
    let mut jobs = Vec::new();
    let mut rejected: Vec<RowError> = Vec::new();
    let mut index = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            // A record the reader cannot decode (bytes that are not UTF-8)
            // is a rejected row, as in `terrace portfolio`: the run goes on.
            Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
                let line = failed_record_line(&reader);
                let (column, reason) = utf8_fault(&e);
                rejected.push(RowError::new(line, None, &column, reason));
                index += 1;
                continue;
            }
            Err(e) => return Err(csv_error(path, e)),
        }
        let line = record_line(&reader, &record);
        let job = parse_row(&header, &record, line).and_then(|row| {
            check_unique(&mut ids, &row)?;
            let template = template_for(&row, &templates)?;
            let currency = template.currency.clone();
            let template = templates
                .iter()
                .position(|t| std::ptr::eq(t, template))
                .unwrap_or(0);
            let wanted = row.product_id.as_deref().unwrap_or(&args.default_product);
            let product = products
                .iter()
                .position(|p| p.id == wanted)
                .ok_or_else(|| {
                    RowError::new(
                        line,
                        Some(&row.id),
                        "product_id",
                        format!("expected the id of a product given, found `{wanted}`"),
                    )
                })?;
            let rate = templates[template].units_per_usd.ok_or_else(|| {
                RowError::new(
                    line,
                    Some(&row.id),
                    "value_chain",
                    format!(
                        "expected a case template with `units_per_usd` (amounts in {currency} are added in US$), found none"
                    ),
                )
            })?;
            Ok(Job {
                index,
                row,
                template,
                product,
                to_common: 1.0 / rate,
            })
        });
        index += 1;
        match job {
            Ok(j) => jobs.push(j),
            Err(e) => rejected.push(e),
        }
    }
    let rows = index;
    let paths = args.paths.unwrap_or(30);
    let bar = progress_bar(jobs.len() as u64, "loans");
    let done = AtomicUsize::new(0);
    let results: Vec<std::result::Result<LoanEvaluation, RowError>> =
        with_pool(paths, args.threads, || {
            jobs.par_iter()
                .map(|j| {
                    let row = &j.row;
                    let cfg = LoanConfig {
                        paths,
                        seed: loan_seed(args.seed, j.index),
                        shared: Some(Shared {
                            book_seed: args.seed,
                            region: row.region.clone(),
                            chain: row.value_chain.clone(),
                            rho_region: args.rho_region,
                            rho_chain: args.rho_chain,
                        }),
                        pd_max: args.pd_max,
                    };
                    let r = apply(row, &templates[j.template]).and_then(|case| {
                        evaluate(&case, &products[j.product], instruments, &cfg)
                            .map_err(|e| RowError::from_error(&e, row.line, Some(&row.id)))
                    });
                    bar.set_position(done.fetch_add(1, Ordering::Relaxed) as u64 + 1);
                    r
                })
                .collect()
        })?;
    bar.finish_and_clear();
    let mut book = Vec::with_capacity(results.len());
    for (j, r) in jobs.iter().zip(&results) {
        match r {
            Ok(eval) => book.push(BookLoan {
                eval,
                to_common: j.to_common,
            }),
            Err(e) => rejected.push(e.clone()),
        }
    }
    rejected.sort_by_key(|e| e.line);
    for e in &rejected {
        eprintln!("rejected: {}: {e}", path.display());
    }
    let cmp = compare(&book, instruments);
    let heading = format!(
        "portfolio {}: {} rows, {} evaluated, {} rejected; {} paths, seed {}, ρ region {}, ρ chain {}; money in US$ (case templates' units_per_usd)",
        path.display(),
        rows,
        book.len(),
        rejected.len(),
        paths,
        args.seed,
        args.rho_region,
        args.rho_chain
    );
    let baseline = format!(
        "without an instrument: {} loans made, lending {:.0}, household CE gain {:.0}; refused: {} on PD/yr > {}, {} on RAROC < hurdle only",
        cmp.baseline.loans,
        cmp.baseline.lending,
        cmp.baseline.household_ce_gain,
        cmp.baseline.refused_on_pd,
        args.pd_max,
        cmp.baseline.refused_on_raroc
    );
    write(args, &cmp, &heading, &baseline, &[], &[], &rejected)?;
    Ok(if rejected.is_empty() {
        Outcome::Complete
    } else {
        Outcome::SomeRejected
    })
}

fn table(cmp: &Comparison) -> Table {
    let mut t = Table::new([
        "rank",
        "id",
        "kind",
        "loans",
        "additional",
        "additionality",
        "lending",
        "additional_lending",
        "household_ce_gain",
        "additional_ce_gain",
        "donor_cost",
        "leverage",
        "cost_per_additional",
        "bcr",
        "net_benefit",
    ]);
    for r in &cmp.instruments {
        t.push(vec![
            Cell::Int(r.rank as i64),
            Cell::Text(r.id.clone()),
            Cell::Text(r.kind.clone()),
            Cell::Int(r.reach.loans as i64),
            Cell::Int(r.additional_loans),
            Cell::num(r.additionality_share, 3),
            Cell::num(Some(r.reach.lending), 0),
            Cell::num(Some(r.additional_lending), 0),
            Cell::num(Some(r.reach.household_ce_gain), 0),
            Cell::num(Some(r.additional_ce_gain), 0),
            Cell::num(Some(r.donor_cost), 0),
            Cell::num(r.leverage, 1),
            Cell::num(r.cost_per_additional_borrower, 0),
            Cell::num(r.benefit_cost_ratio, 2),
            Cell::num(Some(r.net_benefit), 0),
        ]);
    }
    t
}

fn write(
    args: &CompareArgs,
    cmp: &Comparison,
    heading: &str,
    baseline: &str,
    notes: &[String],
    loans: &[serde_json::Value],
    rejected: &[RowError],
) -> Result<()> {
    let t = table(cmp);
    let mut sink = args.out.sink()?;
    let out = sink.writer();
    let written = match args.out.format {
        Format::Csv => t.write_csv(out, true),
        Format::Json => write_json(
            &json!({
                "heading": heading,
                "baseline": cmp.baseline,
                "instruments": t.json(),
                "loan": loans,
                "rejected": rejected.iter().map(|e| json!({
                    "line": e.line, "id": e.id, "field": e.field, "reason": e.reason
                })).collect::<Vec<_>>(),
            }),
            out,
        ),
        Format::Table => (|| {
            writeln!(out, "{heading}")?;
            writeln!(out, "{baseline}")?;
            for n in notes {
                writeln!(out, "{n}")?;
            }
            writeln!(out)?;
            t.write_aligned(out)
        })(),
    };
    written.map_err(|e| sink.io_error(e))?;
    sink.finish()
}
