//! Renders results as an aligned table, CSV or JSON.
//!
//! Renderers write to any `io::Write` and never open files themselves, so
//! tests render to a `Vec<u8>` and compare bytes.

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde_json::{Map, Number, Value};

/// Output format, chosen with `--format` on every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// JSON: an array of objects, or a command's documented object.
    Json,
}

/// One cell of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, written as is.
    Text(String),
    /// An integer.
    Int(i64),
    /// A model number; the `u8` is the decimals shown in the aligned table.
    /// CSV and JSON carry the shortest exact representation.
    Num(f64, u8),
    /// An exact amount.
    Dec(Decimal),
    /// A yes/no flag: `true`/`false` in CSV and JSON, `yes` or blank in tables.
    Bool(bool),
    /// No value (an IRR that does not exist, a payback never reached).
    Empty,
}

/// From here on a number is written in exponent form: Rust writes an
/// `f64` in full, and an NPV of 1e300 (a series discounted at a rate near
/// −1) would be 301 digits. No amount terrace reads comes near (they are
/// bounded by 1e15), so ordinary results keep their plain digits.
const HUGE: f64 = 1e21;

impl Cell {
    /// A model number shown with `decimals` places in tables; `None` and
    /// non-finite values become [`Cell::Empty`].
    pub fn num(x: Option<f64>, decimals: u8) -> Cell {
        match x {
            Some(v) if v.is_finite() => Cell::Num(v, decimals),
            _ => Cell::Empty,
        }
    }

    fn csv_text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Num(x, _) if x.abs() >= HUGE => format!("{x:e}"),
            Cell::Num(x, _) => x.to_string(),
            Cell::Dec(d) => d.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Empty => String::new(),
        }
    }

    fn table_text(&self) -> String {
        match self {
            Cell::Num(x, _) if x.abs() >= HUGE => format!("{x:.3e}"),
            Cell::Num(x, d) => {
                let text = format!("{x:.*}", *d as usize);
                // A tiny negative (an expected loss of −1e-12 from rounding)
                // is zero at the places shown: no "-0".
                match text.strip_prefix('-') {
                    Some(digits) if digits.bytes().all(|b| b == b'0' || b == b'.') => {
                        digits.to_string()
                    }
                    _ => text,
                }
            }
            Cell::Bool(b) => if *b { "yes" } else { "" }.to_string(),
            Cell::Empty => "-".to_string(),
            other => other.csv_text(),
        }
    }

    /// The cell as a JSON value.
    pub fn json(&self) -> Value {
        match self {
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Int(i) => Value::from(*i),
            Cell::Num(x, _) => Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Cell::Dec(d) => decimal_json(*d),
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Empty => Value::Null,
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Num(..) | Cell::Dec(_))
    }
}

/// An exact amount as a JSON number when a JSON reader's `f64` holds it
/// exactly (at most 15 significant digits always do), else as a string of
/// its exact digits: 999999999999999.99 as a number would be read as 1e15,
/// and a schedule's rows would no longer add up to the amount lent.
pub fn decimal_json(d: Decimal) -> Value {
    let text = d.normalize().to_string();
    match serde_json::from_str::<Number>(&text) {
        // The f64's shortest digits are the amount's: it reads back exactly.
        Ok(n) if n.as_f64().map(|x| x.to_string()).as_deref() == Some(text.as_str()) => {
            Value::Number(n)
        }
        _ => Value::String(d.to_string()),
    }
}

/// Named columns and rows of cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Column names; also the JSON keys and the CSV header.
    pub columns: Vec<String>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Self {
        Table {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// The rows as a JSON array of objects keyed by column name.
    pub fn json(&self) -> Value {
        Value::Array(self.rows.iter().map(|r| self.row_json(r)).collect())
    }

    /// One row as a JSON object keyed by column name.
    pub fn row_json(&self, row: &[Cell]) -> Value {
        let mut m = Map::new();
        for (c, v) in self.columns.iter().zip(row) {
            m.insert(c.clone(), v.json());
        }
        Value::Object(m)
    }

    /// Writes the table in `format`.
    pub fn write(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Table => self.write_aligned(out),
            Format::Csv => self.write_csv(out, true),
            Format::Json => write_json(&self.json(), out),
        }
    }

    /// Writes the rows as CSV, with the header when `header` is true (a
    /// streaming writer emits the header once, then batches of rows).
    pub fn write_csv(&self, out: &mut dyn Write, header: bool) -> io::Result<()> {
        let mut w = csv::WriterBuilder::new().from_writer(out);
        if header {
            w.write_record(&self.columns).map_err(io::Error::other)?;
        }
        for row in &self.rows {
            w.write_record(row.iter().map(Cell::csv_text))
                .map_err(io::Error::other)?;
        }
        w.flush()
    }

    /// Writes aligned columns: text left, numbers right.
    pub fn write_aligned(&self, out: &mut dyn Write) -> io::Result<()> {
        let texts: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::table_text).collect())
            .collect();
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for row in &texts {
            for (w, t) in widths.iter_mut().zip(row) {
                *w = (*w).max(t.chars().count());
            }
        }
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| self.rows.iter().any(|r| r[i].is_numeric()))
            .collect();
        let line = |cells: &[String]| -> String {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    if numeric[i] {
                        format!("{t:>w$}", w = widths[i])
                    } else {
                        format!("{t:<w$}", w = widths[i])
                    }
                })
                .collect();
            parts.join("  ").trim_end().to_string()
        };
        writeln!(out, "{}", line(&self.columns))?;
        for row in &texts {
            writeln!(out, "{}", line(row))?;
        }
        Ok(())
    }
}

/// Writes a JSON value, pretty-printed, with a final newline.
pub fn write_json(value: &Value, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn sample() -> Table {
        let mut t = Table::new(["id", "npv", "amount", "irr"]);
        t.push(vec![
            Cell::Text("a,b".into()),
            Cell::Num(1.23456, 2),
            Cell::Dec(dec!(88.85)),
            Cell::Empty,
        ]);
        t.push(vec![
            Cell::Text("c".into()),
            Cell::Num(-10.0, 2),
            Cell::Dec(dec!(1000.00)),
            Cell::Int(3),
        ]);
        t
    }

    #[test]
    fn amounts_json_cannot_hold_exactly_are_strings_of_their_digits() {
        assert_eq!(decimal_json(dec!(88.85)), serde_json::json!(88.85));
        assert_eq!(decimal_json(dec!(1000.00)), serde_json::json!(1000));
        assert_eq!(
            decimal_json(dec!(93000000000000.1)),
            serde_json::json!(93000000000000.1)
        );
        assert_eq!(
            decimal_json(dec!(999999999999999.99)),
            Value::String("999999999999999.99".into())
        );
    }

    #[test]
    fn huge_numbers_are_written_in_exponent_form() {
        let mut t = Table::new(["npv"]);
        t.push(vec![Cell::Num(-1.5e300, 2)]);
        t.push(vec![Cell::Num(123456789012345.67, 2)]);
        assert_eq!(
            render(&t, Format::Csv),
            "npv\n-1.5e300\n123456789012345.67\n"
        );
        let table = render(&t, Format::Table);
        assert!(
            table.contains("-1.500e300") && table.contains("123456789012345.67"),
            "{table}"
        );
    }

    fn render(t: &Table, f: Format) -> String {
        let mut v = Vec::new();
        t.write(f, &mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn csv_quotes_and_keeps_full_precision() {
        assert_eq!(
            render(&sample(), Format::Csv),
            "id,npv,amount,irr\n\"a,b\",1.23456,88.85,\nc,-10,1000.00,3\n"
        );
    }

    #[test]
    fn a_number_that_rounds_to_zero_shows_no_minus_sign() {
        let text = |x: f64, d: u8| Cell::Num(x, d).table_text();
        assert_eq!(text(-1e-12, 0), "0");
        assert_eq!(text(-0.0, 2), "0.00");
        assert_eq!(text(-0.004, 2), "0.00");
        assert_eq!(text(-0.006, 2), "-0.01");
        assert_eq!(text(-12.0, 0), "-12");
    }

    #[test]
    fn table_aligns_numbers_right() {
        assert_eq!(
            render(&sample(), Format::Table),
            "id      npv   amount  irr\na,b    1.23    88.85    -\nc    -10.00  1000.00    3\n"
        );
    }

    #[test]
    fn json_is_an_array_of_objects_with_nulls() {
        let v: Value = serde_json::from_str(&render(&sample(), Format::Json)).unwrap();
        assert_eq!(v[0]["id"], "a,b");
        assert_eq!(v[0]["amount"], serde_json::json!(88.85));
        assert!(v[0]["irr"].is_null());
        assert_eq!(v[1]["irr"], 3);
    }
}
