//! `terrace portfolio`: a loan book from CSV, every row under every
//! product, written as per-loan, per-segment and whole-book results.
//!
//! Rows stream through in batches: each batch is read, validated (a bad row
//! goes to `rejected.csv` with its line, id, field and reason, and the run
//! goes on), evaluated in parallel while the batch before it is written
//! and the batch after it read, and written in file order, so memory does
//! not grow with the book and results do not depend on the thread count.
//! Every output is written under a temporary name and renamed when
//! complete.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde_json::json;

use super::bundled;
use super::cli::{Outcome, PortfolioArgs};
use super::columnar::{write_parquet, write_segments};
use super::files::{csv_error, failed_record_line, open_csv, record_line, utf8_fault, Sink};
use super::render::{write_json, Cell, Table};
use super::shared::{load_products, progress_bar, with_pool};
use crate::domain::case::Case;
use crate::domain::portfolio::{
    apply, check_unique, parse_row, template_for, Header, PortfolioRow, RowError, REQUIRED_COLUMNS,
};
use crate::domain::product::Product;
use crate::engine::portfolio::{
    evaluate_loan, BookConfig, BookLosses, BookSummary, LoanCredit, LoanResult,
};
use crate::error::compact;
use crate::{Error, Result};

/// Row-paths evaluated together: a batch's rows share the cores, and its
/// results are written while the next batch is evaluated. A batch ends
/// when its slowest row does, so a core idles for part of a row each
/// batch: at 1,000 paths a batch holds 262 rows, about a second of work.
const BATCH_WORK: usize = 1 << 18;

/// Most rows in one batch: enough that the rows' uneven times even out
/// and the stages meet rarely, few enough that memory stays small.
const BATCH_MAX_ROWS: usize = 1024;

/// Rows per batch for `paths` paths per row.
fn batch_rows(paths: usize) -> usize {
    (BATCH_WORK / paths.max(1)).clamp(1, BATCH_MAX_ROWS)
}

/// The columns of loans.csv. Money is in the loan's own currency, and the
/// `_usd` columns convert it at the case template's `units_per_usd`, so
/// segments and the book add loans from different countries.
pub const LOAN_COLUMNS: [&str; 20] = [
    "id",
    "product",
    "value_chain",
    "upgrading",
    "region",
    "owner_gender",
    "currency",
    "units_per_usd",
    "exposure",
    "exposure_usd",
    "project_npv",
    "project_irr",
    "verdict",
    "min_annual_dscr",
    "pd_annual",
    "expected_loss",
    "expected_loss_usd",
    "ce_gain",
    "ce_gain_usd",
    "viable",
];

/// The largest `--row-offset`.
const MAX_ROW_OFFSET: u64 = u64::MAX / 2;

/// Runs `terrace portfolio`.
pub fn run(args: &PortfolioArgs) -> Result<Outcome> {
    for (flag, x) in [
        ("--rho-region", args.rho_region),
        ("--rho-chain", args.rho_chain),
        ("--pd-max", args.pd_max),
    ] {
        if !(0.0..=1.0).contains(&x) {
            return Err(Error::usage(format!(
                "{flag}: expected a value in [0, 1], found {}",
                compact(x)
            )));
        }
    }
    if args.rho_region + args.rho_chain > 1.0 {
        return Err(Error::usage(
            "--rho-region + --rho-chain: expected at most 1 (F29 loadings share one unit variance)",
        ));
    }
    // Row indices (offset + rows read) key each row's scenarios: half of
    // u64 leaves room for any book without overflow.
    if args.row_offset > MAX_ROW_OFFSET {
        return Err(Error::usage(format!(
            "--row-offset: expected 0 to {MAX_ROW_OFFSET}, found {}",
            args.row_offset
        )));
    }
    let products = load_products(&args.loans)?;
    std::fs::create_dir_all(&args.output_dir).map_err(|e| Error::io(&args.output_dir, e))?;
    let cfg = BookConfig {
        paths: args.paths,
        seed: args.seed,
        rho_region: args.rho_region,
        rho_chain: args.rho_chain,
        pd_max: args.pd_max,
    };
    // `--paths 0` runs the deterministic metrics only; the pool still needs
    // the thread count checked.
    with_pool(args.paths.max(1), args.threads, || {
        run_book(args, &products, &bundled::cases()?, &cfg)
    })?
}

/// A row evaluated under its products, or the reason it was rejected.
type Evaluated = std::result::Result<EvaluatedRow, RowError>;

/// A row's results, with its lines of loans.csv already formatted (in the
/// parallel part: formatting floats is a good share of a deterministic
/// run).
struct EvaluatedRow {
    results: Vec<LoanResult>,
    units_per_usd: f64,
    lines: std::io::Result<Vec<u8>>,
}

/// Rows read in file order: the ones to evaluate, with their index in the
/// book, and the ones already rejected.
#[derive(Default)]
struct Batch<'c> {
    rows: Vec<(u64, PortfolioRow, &'c Case, Fx)>,
    bad: Vec<RowError>,
}

/// The book's rows, read and checked in file order.
struct Rows<'c, R> {
    reader: csv::Reader<R>,
    /// The file read, for an error that stops it.
    path: &'c Path,
    record: csv::StringRecord,
    header: Header,
    /// Ids seen so far: a later duplicate is rejected.
    ids: HashSet<String>,
    cases: &'c [Case],
    row_offset: u64,
    rows_in: u64,
    batch_rows: usize,
    done: bool,
}

impl<'c, R: Read> Rows<'c, R> {
    /// The next `batch_rows` rows, good or bad; sets `done` at the end of
    /// the file. Bytes that are not UTF-8 reject their row; a read that
    /// fails (an I/O error) stops the file, as retrying it would not move
    /// on.
    fn next_batch(&mut self) -> Result<Batch<'c>> {
        let mut batch = Batch::default();
        while batch.rows.len() + batch.bad.len() < self.batch_rows {
            match self.reader.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
                    return Err(csv_error(self.path, e));
                }
                Err(e) => {
                    self.rows_in += 1;
                    let line = failed_record_line(&self.reader);
                    let (column, reason) = utf8_fault(&e);
                    batch.bad.push(RowError::new(line, None, &column, reason));
                    continue;
                }
            }
            self.rows_in += 1;
            let line = record_line(&self.reader, &self.record);
            // What depends on the rows before (duplicate ids) is checked
            // here in file order; sizing the template to the row is left to
            // the parallel part. Rejections are sorted by line before they
            // are written, so the split does not show in the output.
            let parsed = parse_row(&self.header, &self.record, line).and_then(|row| {
                check_unique(&mut self.ids, &row)?;
                let template = template_for(&row, self.cases)?;
                let fx = Fx::of(&row, template)?;
                Ok((row, template, fx))
            });
            match parsed {
                Ok((row, template, fx)) => {
                    let index = self.row_offset + self.rows_in - 1;
                    batch.rows.push((index, row, template, fx));
                }
                Err(e) => batch.bad.push(e),
            }
        }
        Ok(batch)
    }
}

/// Sizes each row's template, evaluates it under its products and formats
/// its lines of loans.csv, in parallel; results in file order.
fn evaluate_batch(
    rows: Vec<(u64, PortfolioRow, &Case, Fx)>,
    products: &[Product],
    cfg: &BookConfig,
) -> Vec<Evaluated> {
    rows.into_par_iter()
        .map(|(index, row, template, fx)| {
            let case = apply(&row, template)?;
            let chosen = choose_products(&row, products)?;
            let results = evaluate_loan(&case, chosen, index, &row.region, &row.value_chain, cfg)
                .map_err(|e| RowError::from_error(&e, row.line, Some(&row.id)))?;
            let mut w = csv::Writer::from_writer(Vec::new());
            let lines = results
                .iter()
                .try_for_each(|r| write_loan(&mut w, &row, &fx, r))
                .and_then(|()| w.into_inner().map_err(|e| e.into_error()));
            Ok(EvaluatedRow {
                results,
                units_per_usd: fx.units_per_usd,
                lines,
            })
        })
        .collect()
}

/// The book's outputs as batches come in, in file order.
struct Written {
    loans: Sink,
    loans_path: PathBuf,
    rejected: csv::Writer<Sink>,
    rejected_path: PathBuf,
    books: Vec<BookLosses>,
    /// Viable loans per product.
    viable: Vec<usize>,
    rows_ok: u64,
    rows_rejected: u64,
    bar: ProgressBar,
}

impl Written {
    /// Writes one batch: its rows' loans.csv lines and losses, and its
    /// rejected rows (read or evaluated) in line order.
    fn absorb(&mut self, mut bad: Vec<RowError>, evaluated: Vec<Evaluated>) -> Result<()> {
        for item in evaluated {
            match item {
                Ok(row) => {
                    self.rows_ok += 1;
                    let lines = row.lines.map_err(|e| Error::io(&self.loans_path, e))?;
                    self.loans
                        .write_all(&lines)
                        .map_err(|e| Error::io(&self.loans_path, e))?;
                    for r in &row.results {
                        if let Some(k) = self.books.iter().position(|b| b.product == r.product) {
                            self.books[k].add(r, 1.0 / row.units_per_usd);
                            self.viable[k] +=
                                usize::from(r.credit.as_ref().is_some_and(|c| c.viable));
                        }
                    }
                }
                Err(e) => bad.push(e),
            }
        }
        bad.sort_by_key(|e| e.line);
        for e in &bad {
            self.rows_rejected += 1;
            self.rejected
                .write_record([
                    e.line.to_string(),
                    e.id.clone().unwrap_or_default(),
                    e.field.clone(),
                    e.reason.clone(),
                ])
                .map_err(|err| Error::io(&self.rejected_path, err.into()))?;
        }
        self.bar.set_position(self.rows_ok + self.rows_rejected);
        Ok(())
    }
}

fn run_book(
    args: &PortfolioArgs,
    products: &[Product],
    cases: &[Case],
    cfg: &BookConfig,
) -> Result<Outcome> {
    let file = &args.file;
    let (reader, record) = open_csv(file, &REQUIRED_COLUMNS.join(", "))?;
    let header = Header::new(&record).map_err(|e| e.with_file(file).with_line(1))?;
    if !header.ignored().is_empty() {
        // An empty name is a column with no header, most often from a
        // trailing delimiter.
        let names: Vec<String> = header
            .ignored()
            .iter()
            .map(|n| {
                if n.is_empty() {
                    "an unnamed column (a trailing comma?)".to_string()
                } else {
                    format!("`{n}`")
                }
            })
            .collect();
        eprintln!(
            "{}: ignoring unknown columns: {}",
            file.display(),
            names.join(", ")
        );
    }

    let out = &args.output_dir;
    let loans_path = out.join("loans.csv");
    let mut loans = Sink::open(Some(&loans_path))?;
    let mut header_line = csv::Writer::from_writer(Vec::new());
    header_line
        .write_record(LOAN_COLUMNS)
        .map_err(|e| Error::io(&loans_path, e.into()))?;
    let header_line = header_line
        .into_inner()
        .map_err(|e| Error::io(&loans_path, e.into_error()))?;
    loans
        .write_all(&header_line)
        .map_err(|e| Error::io(&loans_path, e))?;
    let rejected_path = out.join("rejected.csv");
    let mut rejected = csv::Writer::from_writer(Sink::open(Some(&rejected_path))?);
    rejected
        .write_record(["line", "id", "field", "reason"])
        .map_err(|e| Error::io(&rejected_path, e.into()))?;

    let mut written = Written {
        loans,
        loans_path,
        rejected,
        rejected_path,
        books: products
            .iter()
            .map(|p| BookLosses::new(&p.id, cfg.paths))
            .collect(),
        viable: vec![0; products.len()],
        rows_ok: 0,
        rows_rejected: 0,
        bar: row_bar(file),
    };
    let mut rows = Rows {
        reader,
        path: file,
        record,
        header,
        ids: HashSet::new(),
        cases,
        row_offset: args.row_offset,
        rows_in: 0,
        batch_rows: batch_rows(cfg.paths),
        done: false,
    };
    // Three stages overlap: while the pool evaluates one batch, this thread
    // writes the batch before it and reads the batch after it, so neither
    // reading nor writing holds the cores up.
    let mut batch = Some(rows.next_batch()?);
    let mut evaluated: Option<(Vec<RowError>, Vec<Evaluated>)> = None;
    while batch.is_some() || evaluated.is_some() {
        let (current, previous) = (batch.take(), evaluated.take());
        let more = current.is_some() && !rows.done;
        let (next, now) = rayon::join(
            || -> Result<Option<Batch>> {
                if let Some((bad, results)) = previous {
                    written.absorb(bad, results)?;
                }
                more.then(|| rows.next_batch()).transpose()
            },
            || current.map(|b| (b.bad, evaluate_batch(b.rows, products, cfg))),
        );
        batch = next?;
        evaluated = now;
    }
    let Written {
        loans,
        loans_path,
        rejected,
        rejected_path,
        books,
        viable,
        rows_ok,
        rows_rejected,
        bar,
    } = written;
    let rows_in = rows.rows_in;
    bar.finish_and_clear();

    loans.finish()?;
    finish(rejected, &rejected_path)?;
    write_segments(&loans_path, &out.join("segments.csv"))?;
    if args.parquet {
        write_parquet(&loans_path, &out.join("loans.parquet"))?;
        std::fs::remove_file(&loans_path).map_err(|e| Error::io(&loans_path, e))?;
    }
    write_losses(&books, &out.join("losses.csv"))?;
    // With no paths there is no loss distribution to summarise.
    let summaries: Vec<_> = if cfg.paths == 0 {
        Vec::new()
    } else {
        books.iter().map(BookLosses::summary).collect()
    };
    let json_path = out.join("portfolio.json");
    let mut sink = Sink::open(Some(&json_path))?;
    write_json(
        &json!({
            "file": file.display().to_string(),
            "rows_in": rows_in,
            "rows_ok": rows_ok,
            "rows_rejected": rows_rejected,
            "paths": cfg.paths,
            "seed": cfg.seed,
            "rho_region": cfg.rho_region,
            "rho_chain": cfg.rho_chain,
            "pd_max": cfg.pd_max,
            "currency": "USD",
            "products": summaries,
        }),
        sink.writer(),
    )
    .map_err(|e| sink.io_error(e))?;
    sink.finish()?;

    println!(
        "rows_in={} rows_ok={} rows_rejected={}",
        rows_in, rows_ok, rows_rejected
    );
    if !summaries.is_empty() {
        println!(
            "\nbook loss per product over {} paths (US$; EL, VaR and ES of the book's loss, F27-F30):",
            cfg.paths
        );
        book_table(&summaries, &viable)
            .write_aligned(&mut std::io::stdout())
            .map_err(|e| Error::io(Path::new("<stdout>"), e))?;
    }
    println!("outputs in {}", out.display());
    Ok(if rows_rejected > 0 {
        Outcome::SomeRejected
    } else {
        Outcome::Complete
    })
}

/// The book's loss distribution per product, for the terminal.
fn book_table(summaries: &[BookSummary], viable: &[usize]) -> Table {
    let mut t = Table::new([
        "product",
        "loans",
        "viable_%",
        "exposure",
        "expected_loss",
        "el_%",
        "var_99",
        "var_99.9",
        "es_99.9",
        "default_rate_%",
        "implied_rho",
    ]);
    for (b, v) in summaries.iter().zip(viable) {
        let share = |x: f64, of: f64| (of > 0.0).then(|| 100.0 * x / of);
        t.push(vec![
            Cell::Text(b.product.clone()),
            Cell::Int(b.loans as i64),
            Cell::num(share(*v as f64, b.loans as f64), 1),
            Cell::num(Some(b.exposure), 0),
            Cell::num(Some(b.expected_loss), 0),
            Cell::num(share(b.expected_loss, b.exposure), 1),
            Cell::num(Some(b.var_99), 0),
            Cell::num(Some(b.var_999), 0),
            Cell::num(Some(b.es_999), 0),
            Cell::num(Some(100.0 * b.default_rate), 1),
            Cell::num(b.implied_default_correlation, 4),
        ]);
    }
    t
}

/// The products a row is evaluated under: its own `product_id`, or all.
fn choose_products<'a>(
    row: &PortfolioRow,
    products: &'a [Product],
) -> std::result::Result<&'a [Product], RowError> {
    match &row.product_id {
        None => Ok(products),
        Some(id) => products
            .iter()
            .find(|p| &p.id == id)
            .map(std::slice::from_ref)
            .ok_or_else(|| {
                let known: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
                RowError::new(
                    row.line,
                    Some(&row.id),
                    "product_id",
                    format!(
                        "expected one of the products given ({}), found `{id}`",
                        known.join(", ")
                    ),
                )
            }),
    }
}

/// The currency a row's amounts are in, from its case template.
#[derive(Debug, Clone)]
struct Fx {
    currency: String,
    units_per_usd: f64,
}

impl Fx {
    fn of(row: &PortfolioRow, template: &Case) -> std::result::Result<Fx, RowError> {
        let units_per_usd = template.units_per_usd.ok_or_else(|| {
            RowError::new(
                row.line,
                Some(&row.id),
                "value_chain",
                format!(
                    "expected a case template with `units_per_usd` (amounts in {} are added to a book in US$), found none in `{}`",
                    template.currency, template.id
                ),
            )
        })?;
        Ok(Fx {
            currency: template.currency.clone(),
            units_per_usd,
        })
    }
}

fn write_loan<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    row: &PortfolioRow,
    fx: &Fx,
    r: &LoanResult,
) -> std::io::Result<()> {
    let opt = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map_or(String::new(), |v| v.to_string())
    };
    // US$ to the cent: segments sum them exactly in cents.
    let usd = |x: f64| format!("{:.2}", x / fx.units_per_usd);
    let credit = r.credit.as_ref();
    let mc = |f: fn(&LoanCredit) -> f64| credit.map_or(String::new(), |c| f(c).to_string());
    let mc_usd = |f: fn(&LoanCredit) -> f64| credit.map_or(String::new(), |c| usd(f(c)));
    w.write_record([
        row.id.clone(),
        r.product.clone(),
        row.value_chain.clone(),
        row.upgrading.as_str().to_string(),
        row.region.clone(),
        row.owner_gender.as_str().to_string(),
        fx.currency.clone(),
        fx.units_per_usd.to_string(),
        r.exposure.to_string(),
        usd(r.exposure),
        r.project_npv.to_string(),
        opt(r.project_irr),
        r.verdict.clone(),
        opt(r.min_annual_dscr),
        mc(|c| c.pd_annual),
        mc(|c| c.expected_loss),
        mc_usd(|c| c.expected_loss),
        mc(|c| c.ce_gain),
        mc_usd(|c| c.ce_gain),
        credit.map_or(String::new(), |c| c.viable.to_string()),
    ])
    .map_err(std::io::Error::other)
}

/// The book's loss on every path, per product (US$): the distribution
/// behind portfolio.json's quantiles, for charts and for users' own checks.
fn write_losses(books: &[BookLosses], path: &Path) -> Result<()> {
    let mut w = csv::Writer::from_writer(Sink::open(Some(path))?);
    w.write_record(["product", "path", "loss"])
        .map_err(|e| Error::io(path, e.into()))?;
    for book in books {
        for (s, loss) in book.loss.iter().enumerate() {
            w.write_record([book.product.as_str(), &s.to_string(), &loss.to_string()])
                .map_err(|e| Error::io(path, e.into()))?;
        }
    }
    finish(w, path)
}

fn finish(w: csv::Writer<Sink>, path: &Path) -> Result<()> {
    let sink = w
        .into_inner()
        .map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
    sink.finish()
}

/// A progress bar over the rows (counted from the file's line breaks, so
/// an estimate when quoted fields hold line breaks), with rows/s and ETA;
/// hidden when stderr is not a terminal.
fn row_bar(file: &Path) -> ProgressBar {
    let mut rows = 0u64;
    if let Ok(mut f) = std::fs::File::open(file) {
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = f.read(&mut buf) {
            if n == 0 {
                break;
            }
            rows += buf[..n].iter().filter(|&&c| c == b'\n').count() as u64;
        }
    }
    progress_bar(rows.saturating_sub(1), "rows")
}
