//! `terrace flows`: NPV, IRR (with status), MIRR and payback for every
//! cash-flow series of a long CSV file, streamed so memory stays flat
//! however many series the file holds.
//!
//! # Input
//!
//! A header naming `series_id`, `amount` and either `period` (an integer
//! 0..=100000; missing periods are zero flows) or `date` (`YYYY-MM-DD`; the
//! series is then valued with XNPV/XIRR and annual rates). Column names are
//! matched case-insensitively, in any order; other columns are ignored.
//! Fields are trimmed; a UTF-8 BOM, CRLF line ends and quoted fields are
//! accepted. The rows of one series must be contiguous but may come in any
//! period/date order.
//!
//! # Bad input
//!
//! A bad row (wrong number of fields, empty id, bad period or date, an
//! amount that is not a finite number within ±1e15, a period or date given twice, a
//! series id that reappears after its block ended) is reported on standard
//! error as `FILE:LINE: field `f`: expected …, found …` and the run goes
//! on. A series with any bad row is rejected as a whole, because its
//! metrics would be wrong, and left out of the output; a row whose series
//! cannot be told (empty id, a wrong field count with another id, a
//! reappearing id) is rejected alone. The run then exits with code 1 and a
//! summary line `rows_in=.. rows_ok=.. rows_rejected=.. series_ok=..
//! series_rejected=..`; `rows_rejected` counts every row not used,
//! including the good rows of rejected series. A missing column, an empty
//! or unreadable file, or a header with no data rows stops the run with
//! code 2.
//!
//! # Streaming
//!
//! Series are read one by one and evaluated in batches (4096 series or
//! 4 Mi values) on all cores while the next batch is read; each batch is
//! written in input order. Only a 64-bit hash of each finished id is kept,
//! to catch reappearing ids (a hash collision, odds ~n²/2⁶⁵, would reject a
//! row wrongly). CSV and JSON stream; the aligned table (`--format table`,
//! meant for people) is buffered to size its columns.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc;

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use serde_json::Value;

use super::cli::{FlowsArgs, Outcome};
use super::files::{self, Sink};
use super::render::{Cell, Format, Table};
use crate::domain::MAX_MAGNITUDE;
use crate::engine::flows::{evaluate_dated, evaluate_periodic, FlowMetrics, FlowRates};
use crate::math::money::parse_f64;
use crate::math::tvm;
use crate::{Error, ErrorKind, Result};

/// The highest period index accepted (about 8,300 years of months).
pub const MAX_PERIOD: i64 = 100_000;
const BATCH_SERIES: usize = 4096;
const BATCH_VALUES: usize = 1 << 22;

/// Output columns for periodic series.
pub const PERIODIC_COLUMNS: [&str; 9] = [
    "series_id",
    "periods",
    "npv",
    "irr",
    "irr_status",
    "irr_roots",
    "mirr",
    "payback",
    "discounted_payback",
];

/// Output columns for dated series.
pub const DATED_COLUMNS: [&str; 9] = [
    "series_id",
    "periods",
    "xnpv",
    "xirr",
    "irr_status",
    "irr_roots",
    "mirr",
    "payback",
    "discounted_payback",
];

/// Runs `terrace flows`.
pub fn run(args: &FlowsArgs) -> Result<Outcome> {
    let rates = FlowRates {
        rate: check_rate("--rate", args.rate)?,
        finance_rate: check_rate("--finance-rate", args.finance_rate.unwrap_or(args.rate))?,
        reinvest_rate: check_rate("--reinvest-rate", args.reinvest_rate.unwrap_or(args.rate))?,
    };
    let path = args.file.as_path();
    let (mut reader, header) = files::open_csv(path, EXPECTED)?;
    let mut record = csv::StringRecord::new();
    let layout = Layout::from_header(&header).map_err(|e| e.with_file(path).with_line(1))?;
    let columns = if layout.dated {
        DATED_COLUMNS
    } else {
        PERIODIC_COLUMNS
    };
    let mut out = Output::new(args.out.sink()?, args.out.format, &columns);
    let mut reading = Reading {
        path,
        layout,
        counts: Counts::default(),
        finished: HashSet::new(),
        current: None,
        batch: Vec::new(),
        batch_values: 0,
    };
    let mut pipeline = Pipeline {
        rates,
        pending: None,
    };
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => reading.row(&record, files::record_line(&reader, &record)),
            Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
                let line = files::failed_record_line(&reader);
                reading.counts.rows_in += 1;
                reading.counts.rows_rejected += 1;
                reading.report(
                    line,
                    &Error::new(ErrorKind::Parse, "expected UTF-8 text, found invalid bytes"),
                );
            }
            Err(e) => return Err(files::csv_error(path, e)),
        }
        if reading.batch.len() >= BATCH_SERIES || reading.batch_values >= BATCH_VALUES {
            pipeline.submit(reading.take_batch(), &mut out)?;
        }
    }
    reading.finish_current();
    pipeline.submit(reading.take_batch(), &mut out)?;
    pipeline.drain(&mut out)?;
    let c = reading.counts;
    if c.rows_in == 0 {
        return Err(Error::new(
            ErrorKind::Parse,
            format!("expected at least one data row after the header ({EXPECTED}), found none"),
        )
        .with_file(path));
    }
    out.finish()?;
    if c.rows_rejected == 0 {
        return Ok(Outcome::Complete);
    }
    let _ = writeln!(
        io::stderr(),
        "{}: rows_in={} rows_ok={} rows_rejected={} series_ok={} series_rejected={}",
        path.display(),
        c.rows_in,
        c.rows_ok,
        c.rows_rejected,
        c.series_ok,
        c.series_rejected
    );
    Ok(Outcome::SomeRejected)
}

const EXPECTED: &str = "series_id,period,amount or series_id,date,amount";

/// A rate per period in (−1, 10], the range the IRR is searched in: a
/// rate beyond 1,000 % a period discounts everything after period 0 away.
fn check_rate(flag: &str, r: f64) -> Result<f64> {
    if r > -1.0 && r <= tvm::IRR_MAX {
        Ok(r)
    } else {
        Err(Error::usage(format!(
            "{flag}: expected a rate in (-1, 10] a period, e.g. 0.1 for 10%, found {}",
            crate::error::compact(r)
        )))
    }
}

/// Where the needed columns are.
#[derive(Debug, Clone, Copy)]
struct Layout {
    id: usize,
    key: usize,
    amount: usize,
    dated: bool,
    fields: usize,
}

impl Layout {
    fn from_header(header: &csv::StringRecord) -> Result<Layout> {
        let find = |name: &str| -> Result<Option<usize>> {
            let mut hits = header
                .iter()
                .enumerate()
                .filter(|(_, h)| h.trim().eq_ignore_ascii_case(name));
            let first = hits.next().map(|(i, _)| i);
            if hits.next().is_some() {
                return Err(Error::invalid(
                    name,
                    "each column once",
                    format!("column `{name}` twice"),
                ));
            }
            Ok(first)
        };
        let found = header.iter().map(str::trim).collect::<Vec<_>>().join(",");
        let missing = |name: &str| {
            Error::new(
                ErrorKind::Invalid,
                format!("missing column `{name}`: expected columns {EXPECTED} (any order; other columns are ignored), found {found}"),
            )
        };
        let id = find("series_id")?.ok_or_else(|| missing("series_id"))?;
        let amount = find("amount")?.ok_or_else(|| missing("amount"))?;
        let (key, dated) = match (find("period")?, find("date")?) {
            (Some(p), None) => (p, false),
            (None, Some(d)) => (d, true),
            (None, None) => return Err(missing("period` or `date")),
            (Some(_), Some(_)) => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("expected either a `period` or a `date` column, found both in {found}"),
                ))
            }
        };
        Ok(Layout {
            id,
            key,
            amount,
            dated,
            fields: header.len(),
        })
    }

    fn key_name(&self) -> &'static str {
        if self.dated {
            "date"
        } else {
            "period"
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    rows_in: u64,
    rows_ok: u64,
    rows_rejected: u64,
    series_ok: u64,
    series_rejected: u64,
}

/// The series being read: its rows as (period or day number, amount, line).
struct Current {
    id: String,
    rows: Vec<(i64, f64, u64)>,
    bad_rows: u64,
    first_line: u64,
}

/// A series ready to evaluate.
enum Series {
    Periodic(Vec<f64>),
    Dated(Vec<(NaiveDate, f64)>),
}

struct Job {
    id: String,
    series: Series,
}

struct Reading<'a> {
    path: &'a Path,
    layout: Layout,
    counts: Counts,
    finished: HashSet<u64>,
    current: Option<Current>,
    batch: Vec<Job>,
    batch_values: usize,
}

fn id_hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl Reading<'_> {
    fn report(&self, line: u64, e: &Error) {
        let field = e
            .location()
            .field
            .as_ref()
            .map(|f| format!(" field `{f}`:"))
            .unwrap_or_default();
        let _ = writeln!(
            io::stderr(),
            "{}:{line}:{field} {}",
            self.path.display(),
            e.message()
        );
    }

    fn reject_alone(&mut self, line: u64, e: &Error) {
        self.counts.rows_rejected += 1;
        self.report(line, e);
    }

    /// Takes the record `rec`, which starts on `line`.
    fn row(&mut self, rec: &csv::StringRecord, line: u64) {
        self.counts.rows_in += 1;
        let l = self.layout;
        // Fields are trimmed here rather than by the csv reader, which
        // would rebuild every record.
        let id = rec.get(l.id).unwrap_or("").trim();
        if rec.len() != l.fields {
            let e = Error::new(
                ErrorKind::Parse,
                format!(
                    "expected {} fields as in the header, found {}",
                    l.fields,
                    rec.len()
                ),
            );
            // Fields may be shifted: only trust the id if it continues the
            // current series.
            if self.current.as_ref().is_some_and(|c| c.id == id) {
                self.bad_row_of_current(line, &e);
            } else {
                self.reject_alone(line, &e);
            }
            return;
        }
        if id.is_empty() {
            let e = Error::parse("series_id", "a non-empty series id", "an empty field");
            self.reject_alone(line, &e);
            return;
        }
        if self.current.as_ref().is_none_or(|c| c.id != id) {
            if self.finished.contains(&id_hash(id)) {
                let e = Error::invalid(
                    "series_id",
                    "the rows of a series to be contiguous",
                    format!("series `{id}` again after its block ended"),
                );
                self.reject_alone(line, &e);
                return;
            }
            self.finish_current();
            self.current = Some(Current {
                id: id.to_string(),
                rows: Vec::new(),
                bad_rows: 0,
                first_line: line,
            });
        }
        match self.parse_fields(rec) {
            Ok((key, amount)) => {
                if let Some(c) = self.current.as_mut() {
                    c.rows.push((key, amount, line));
                }
            }
            Err(e) => self.bad_row_of_current(line, &e),
        }
    }

    fn parse_fields(&self, rec: &csv::StringRecord) -> Result<(i64, f64)> {
        let l = self.layout;
        let key_text = rec.get(l.key).unwrap_or("").trim();
        let key = if l.dated {
            // chrono also takes `+2024-01-01`, `-0001-01-01` and
            // `2024-2-29`; a date here is written one way, years 0001-9999.
            let shaped = key_text.len() == 10
                && key_text.bytes().enumerate().all(|(i, b)| match i {
                    4 | 7 => b == b'-',
                    _ => b.is_ascii_digit(),
                })
                && !key_text.starts_with("0000");
            shaped
                .then(|| key_text.parse::<NaiveDate>().ok())
                .flatten()
                .map(|d| i64::from(d.num_days_from_ce()))
                .ok_or_else(|| {
                    Error::parse(
                        "date",
                        "a date YYYY-MM-DD from 0001-01-01 to 9999-12-31",
                        format!("`{key_text}`"),
                    )
                })?
        } else {
            match key_text.parse::<i64>() {
                Ok(p) if (0..=MAX_PERIOD).contains(&p) => p,
                _ => {
                    return Err(Error::parse(
                        "period",
                        format!("an integer period from 0 to {MAX_PERIOD}"),
                        format!("`{key_text}`"),
                    ))
                }
            }
        };
        let amount_text = rec.get(l.amount).unwrap_or("");
        let amount = parse_f64("amount", amount_text)?;
        // Bounded like every amount terrace reads, so sums stay finite.
        if amount.abs() > MAX_MAGNITUDE {
            return Err(Error::invalid(
                "amount",
                "an amount within ±1e15",
                format!("`{}`", amount_text.trim()),
            ));
        }
        Ok((key, amount))
    }

    fn bad_row_of_current(&mut self, line: u64, e: &Error) {
        self.report(line, e);
        self.counts.rows_rejected += 1;
        if let Some(c) = self.current.as_mut() {
            c.bad_rows += 1;
        }
    }

    /// Closes the current series: checks duplicates and queues it, or
    /// rejects it.
    fn finish_current(&mut self) {
        let Some(mut c) = self.current.take() else {
            return;
        };
        self.finished.insert(id_hash(&c.id));
        c.rows.sort_unstable_by_key(|r| (r.0, r.2));
        for pair in c.rows.windows(2) {
            if pair[0].0 == pair[1].0 {
                let what = if self.layout.dated {
                    NaiveDate::from_num_days_from_ce_opt(pair[1].0 as i32)
                        .map_or_else(String::new, |d| d.to_string())
                } else {
                    pair[1].0.to_string()
                };
                let e = Error::invalid(
                    self.layout.key_name(),
                    format!("each {} once per series", self.layout.key_name()),
                    format!(
                        "{} {what} of series `{}` again (first on line {})",
                        self.layout.key_name(),
                        c.id,
                        pair[0].2
                    ),
                );
                self.report(pair[1].2, &e);
                c.bad_rows += 1;
            }
        }
        if c.bad_rows > 0 {
            self.counts.series_rejected += 1;
            // Duplicates are among `rows`; other bad rows were counted already.
            self.counts.rows_rejected += c.rows.len() as u64;
            let _ = writeln!(
                io::stderr(),
                "{}:{}: series `{}` rejected: {} bad row(s); it is left out of the output",
                self.path.display(),
                c.first_line,
                c.id,
                c.bad_rows
            );
            return;
        }
        self.counts.series_ok += 1;
        self.counts.rows_ok += c.rows.len() as u64;
        let series = if self.layout.dated {
            Series::Dated(
                c.rows
                    .iter()
                    .filter_map(|&(d, a, _)| {
                        NaiveDate::from_num_days_from_ce_opt(d as i32).map(|d| (d, a))
                    })
                    .collect(),
            )
        } else {
            let len = c.rows.last().map_or(0, |r| r.0 as usize + 1);
            let mut values = vec![0.0; len];
            for &(p, a, _) in &c.rows {
                values[p as usize] = a;
            }
            Series::Periodic(values)
        };
        self.batch_values += match &series {
            Series::Periodic(v) => v.len(),
            Series::Dated(v) => v.len(),
        };
        self.batch.push(Job { id: c.id, series });
    }

    fn take_batch(&mut self) -> Vec<Job> {
        self.batch_values = 0;
        std::mem::take(&mut self.batch)
    }
}

type Evaluated = Vec<(String, FlowMetrics)>;

/// Evaluates batches on the rayon pool, one batch in flight while the next
/// is read, and writes results in input order.
struct Pipeline {
    rates: FlowRates,
    pending: Option<mpsc::Receiver<Evaluated>>,
}

impl Pipeline {
    fn submit(&mut self, batch: Vec<Job>, out: &mut Output) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let rates = self.rates;
        rayon::spawn(move || {
            let results: Evaluated = batch
                .into_par_iter()
                .map(|job| {
                    let m = match &job.series {
                        Series::Periodic(v) => evaluate_periodic(v, &rates),
                        Series::Dated(v) => evaluate_dated(v, &rates),
                    };
                    (job.id, m)
                })
                .collect();
            let _ = tx.send(results);
        });
        if let Some(prev) = self.pending.replace(rx) {
            out.write_batch(receive(&prev)?)?;
        }
        Ok(())
    }

    fn drain(&mut self, out: &mut Output) -> Result<()> {
        if let Some(prev) = self.pending.take() {
            out.write_batch(receive(&prev)?)?;
        }
        Ok(())
    }
}

fn receive(rx: &mpsc::Receiver<Evaluated>) -> Result<Evaluated> {
    rx.recv().map_err(|_| {
        Error::new(
            ErrorKind::Invalid,
            "internal error: a batch evaluation failed",
        )
    })
}

/// One output row as cells, plus the roots for JSON.
fn cells(id: String, m: &FlowMetrics) -> Vec<Cell> {
    let roots = m
        .irr
        .roots
        .iter()
        .map(f64::to_string)
        .collect::<Vec<_>>()
        .join(";");
    vec![
        Cell::Text(id),
        Cell::Int(i64::try_from(m.periods).unwrap_or(i64::MAX)),
        Cell::num(Some(m.npv), 2),
        Cell::num(m.irr.unique(), 6),
        Cell::Text(m.irr.status.to_string()),
        Cell::Text(roots),
        Cell::num(m.mirr, 6),
        Cell::num(m.payback, 2),
        Cell::num(m.discounted_payback, 2),
    ]
}

struct Output {
    sink: Sink,
    format: Format,
    columns: Vec<String>,
    /// Rows kept for the aligned table, which needs every width.
    table: Option<Table>,
    rows_written: u64,
}

impl Output {
    fn new(sink: Sink, format: Format, columns: &[&str]) -> Output {
        Output {
            sink,
            format,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            table: (format == Format::Table).then(|| Table::new(columns.iter().copied())),
            rows_written: 0,
        }
    }

    fn write_batch(&mut self, batch: Evaluated) -> Result<()> {
        let first = self.rows_written == 0;
        self.rows_written += batch.len() as u64;
        match self.format {
            Format::Table => {
                if let Some(t) = self.table.as_mut() {
                    for (id, m) in batch {
                        t.push(cells(id, &m));
                    }
                }
                Ok(())
            }
            Format::Csv => {
                let mut t = Table::new(self.columns.iter().cloned());
                t.rows = batch.into_iter().map(|(id, m)| cells(id, &m)).collect();
                let r = t.write_csv(self.sink.writer(), first);
                r.map_err(|e| self.sink.io_error(e))
            }
            Format::Json => {
                let t = Table::new(self.columns.iter().cloned());
                let mut text = String::new();
                for (i, (id, m)) in batch.into_iter().enumerate() {
                    let mut obj = t.row_json(&cells(id, &m));
                    obj["irr_roots"] = Value::Array(
                        m.irr
                            .roots
                            .iter()
                            .filter_map(|&r| serde_json::Number::from_f64(r).map(Value::Number))
                            .collect(),
                    );
                    text.push_str(if first && i == 0 { "[\n  " } else { ",\n  " });
                    text.push_str(&obj.to_string());
                }
                let r = self.sink.writer().write_all(text.as_bytes());
                r.map_err(|e| self.sink.io_error(e))
            }
        }
    }

    fn finish(mut self) -> Result<()> {
        let r = match self.format {
            Format::Table => match self.table.take() {
                Some(t) => t.write_aligned(self.sink.writer()),
                None => Ok(()),
            },
            Format::Csv if self.rows_written == 0 => {
                Table::new(self.columns.iter().cloned()).write_csv(self.sink.writer(), true)
            }
            Format::Csv => Ok(()),
            Format::Json if self.rows_written == 0 => self.sink.writer().write_all(b"[]\n"),
            Format::Json => self.sink.writer().write_all(b"\n]\n"),
        };
        r.map_err(|e| self.sink.io_error(e))?;
        self.sink.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> csv::StringRecord {
        csv::StringRecord::from(s.split(',').collect::<Vec<_>>())
    }

    #[test]
    fn layout_accepts_any_order_and_case_and_ignores_extra_columns() {
        let l = Layout::from_header(&header("Amount,note,SERIES_ID,period")).unwrap();
        assert_eq!(
            (l.id, l.key, l.amount, l.dated, l.fields),
            (2, 3, 0, false, 4)
        );
        assert!(
            Layout::from_header(&header("series_id,date,amount"))
                .unwrap()
                .dated
        );
    }

    #[test]
    fn layout_names_the_missing_column_and_the_expected_ones() {
        let e = Layout::from_header(&header("series_id,period,value")).unwrap_err();
        assert!(e.to_string().contains("missing column `amount`"), "{e}");
        assert!(e.to_string().contains(EXPECTED), "{e}");
        let e = Layout::from_header(&header("series_id,period,date,amount")).unwrap_err();
        assert!(e.to_string().contains("found both"), "{e}");
    }
}
