//! The output directory of `terrace portfolio`, read back for the report.
//!
//! The contract: `portfolio.json` (run facts and one object per product
//! with EL, VaR, ES, default rate), `loans.csv` (one row per loan),
//! `segments.csv` (per dimension × segment × product) and `losses.csv`
//! (the book loss on each Monte Carlo path, per product). The parsers take
//! text and the file's path (for error messages) and never open files;
//! `cmd_report` does that.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::{Error, ErrorKind, Result};

/// The run facts and per-product risk measures of `portfolio.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioSummary {
    /// The portfolio CSV the run read.
    pub file: String,
    /// Rows read.
    pub rows_in: u64,
    /// Rows evaluated.
    pub rows_ok: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Monte Carlo paths.
    pub paths: u64,
    /// Seed.
    pub seed: u64,
    /// Correlation of shocks within a region.
    pub rho_region: f64,
    /// Correlation of price shocks within a value chain.
    pub rho_chain: f64,
    /// One entry per product.
    pub products: Vec<ProductRisk>,
}

/// One product's book risk.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRisk {
    /// Product id.
    pub product: String,
    /// Loans.
    pub loans: u64,
    /// Total exposure.
    pub exposure: f64,
    /// Expected loss of the book.
    pub expected_loss: f64,
    /// 99% value at risk of the book loss.
    pub var_99: f64,
    /// 99.9% value at risk.
    pub var_999: f64,
    /// 99% expected shortfall.
    pub es_99: f64,
    /// 99.9% expected shortfall.
    pub es_999: f64,
    /// Share of loans defaulting, mean over paths.
    pub default_rate: f64,
    /// Implied default correlation, when it can be estimated.
    pub implied_default_correlation: Option<f64>,
}

fn parse_error(path: &Path, field: &str, expected: &str, found: impl std::fmt::Display) -> Error {
    Error::parse(field, expected, found).with_file(path)
}

fn field<'a>(obj: &'a Value, path: &Path, name: &str, at: &str) -> Result<&'a Value> {
    obj.get(name).ok_or_else(|| {
        parse_error(
            path,
            &format!("{at}{name}"),
            &format!("a key `{name}`"),
            "none",
        )
    })
}

fn number(obj: &Value, path: &Path, name: &str, at: &str) -> Result<f64> {
    let v = field(obj, path, name, at)?;
    v.as_f64()
        .ok_or_else(|| parse_error(path, &format!("{at}{name}"), "a number", v))
}

fn count(obj: &Value, path: &Path, name: &str, at: &str) -> Result<u64> {
    let v = field(obj, path, name, at)?;
    v.as_u64()
        .ok_or_else(|| parse_error(path, &format!("{at}{name}"), "a non-negative integer", v))
}

fn text(obj: &Value, path: &Path, name: &str, at: &str) -> Result<String> {
    let v = field(obj, path, name, at)?;
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| parse_error(path, &format!("{at}{name}"), "a string", v))
}

/// Parses `portfolio.json`; errors name the file and the key.
pub fn parse_summary(json: &str, path: &Path) -> Result<PortfolioSummary> {
    let v: Value = serde_json::from_str(json).map_err(|e| {
        Error::new(
            ErrorKind::Parse,
            format!("expected JSON, found an error: {e}"),
        )
        .with_file(path)
        .with_line(e.line() as u64)
    })?;
    if !v.is_object() {
        return Err(parse_error(
            path,
            "(top level)",
            "a JSON object",
            "another value",
        ));
    }
    let products = field(&v, path, "products", "")?
        .as_array()
        .ok_or_else(|| parse_error(path, "products", "an array", "another value"))?
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let at = format!("products[{i}].");
            let corr = field(p, path, "implied_default_correlation", &at)?;
            Ok(ProductRisk {
                product: text(p, path, "product", &at)?,
                loans: count(p, path, "loans", &at)?,
                exposure: number(p, path, "exposure", &at)?,
                expected_loss: number(p, path, "expected_loss", &at)?,
                var_99: number(p, path, "var_99", &at)?,
                var_999: number(p, path, "var_999", &at)?,
                es_99: number(p, path, "es_99", &at)?,
                es_999: number(p, path, "es_999", &at)?,
                default_rate: number(p, path, "default_rate", &at)?,
                implied_default_correlation: if corr.is_null() {
                    None
                } else {
                    Some(corr.as_f64().ok_or_else(|| {
                        parse_error(
                            path,
                            &format!("{at}implied_default_correlation"),
                            "a number or null",
                            corr,
                        )
                    })?)
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PortfolioSummary {
        file: text(&v, path, "file", "")?,
        rows_in: count(&v, path, "rows_in", "")?,
        rows_ok: count(&v, path, "rows_ok", "")?,
        rows_rejected: count(&v, path, "rows_rejected", "")?,
        paths: count(&v, path, "paths", "")?,
        seed: count(&v, path, "seed", "")?,
        rho_region: number(&v, path, "rho_region", "")?,
        rho_chain: number(&v, path, "rho_chain", "")?,
        products,
    })
}

/// One row of `loans.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LoanRow {
    /// Loan id.
    pub id: String,
    /// Product id.
    pub product: String,
    /// Value chain.
    pub value_chain: String,
    /// Upgrading type(s).
    pub upgrading: String,
    /// Region.
    pub region: String,
    /// Owner's gender.
    pub owner_gender: String,
    /// Exposure.
    pub exposure: f64,
    /// Project NPV.
    pub project_npv: Option<f64>,
    /// Project IRR, if it exists.
    pub project_irr: Option<f64>,
    /// Appraisal verdict.
    pub verdict: String,
    /// Lowest annual DSCR.
    pub min_annual_dscr: Option<f64>,
    /// Annual PD.
    pub pd_annual: Option<f64>,
    /// Expected loss.
    pub expected_loss: Option<f64>,
    /// Certainty-equivalent gain.
    pub ce_gain: Option<f64>,
    /// Whether the household gains and the loan is repayable.
    pub viable: String,
}

/// One row of `segments.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SegmentRow {
    /// The dimension (region, value_chain, …).
    pub dimension: String,
    /// The segment within it.
    pub segment: String,
    /// Product id.
    pub product: String,
    /// Loans.
    pub count: u64,
    /// Exposure (US$).
    #[serde(rename = "exposure_usd")]
    pub exposure: f64,
    /// Mean annual PD.
    pub pd_annual: Option<f64>,
    /// Expected loss (US$).
    #[serde(rename = "expected_loss_usd")]
    pub expected_loss: Option<f64>,
    /// Mean CE gain (US$ per month).
    #[serde(rename = "mean_ce_gain_usd")]
    pub mean_ce_gain: Option<f64>,
    /// Share of viable loans.
    pub share_viable: Option<f64>,
}

/// One row of `losses.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LossRow {
    /// Product id.
    pub product: String,
    /// Path index.
    pub path: u64,
    /// Book loss on that path.
    pub loss: f64,
}

/// Whether `column` of a file a book report reads holds text: the loans'
/// first seven (id to currency), their verdicts, and the segments' names.
fn is_text_column(column: &str) -> bool {
    LOAN_COLUMNS[..7].contains(&column)
        || ["verdict", "viable", "dimension", "segment"].contains(&column)
}

/// Parses a CSV with the columns `expected`, in any order with no others
/// missing; errors name the file, the line and the column.
pub fn parse_csv<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
    expected: &[&str],
) -> Result<Vec<T>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .map_err(|e| {
            Error::new(ErrorKind::Parse, e.to_string())
                .with_file(path)
                .with_line(1)
        })?
        .clone();
    if let Some(missing) = expected.iter().find(|c| !header.iter().any(|h| h == **c)) {
        return Err(Error::parse(
            format!("column `{missing}`"),
            format!("the columns {}", expected.join(",")),
            header.iter().collect::<Vec<_>>().join(","),
        )
        .with_file(path)
        .with_line(1));
    }
    let mut rows = Vec::new();
    for (i, r) in rdr.records().enumerate() {
        let located =
            |e: Error, line: Option<u64>| e.with_file(path).with_line(line.unwrap_or(i as u64 + 2));
        let record = r.map_err(|e| {
            let line = e.position().map(csv::Position::line);
            located(
                Error::new(ErrorKind::Parse, format!("expected a valid row: {e}")),
                line,
            )
        })?;
        let line = record.position().map(csv::Position::line);
        // Rust reads `NaN` and `inf` as numbers; terrace never writes them,
        // so they mean an edited file, and would draw as nothing. (A text
        // column may hold them: Nan is a province of Thailand.)
        if let Some(j) = record.iter().enumerate().position(|(j, f)| {
            let f = f.trim_start_matches(['+', '-']).to_ascii_lowercase();
            matches!(f.as_str(), "nan" | "inf" | "infinity")
                && !header.get(j).is_some_and(is_text_column)
        }) {
            let column = header.get(j).unwrap_or("?");
            let e = Error::parse(
                format!("column `{column}`"),
                "a finite number",
                format!("`{}`", &record[j]),
            );
            return Err(located(e, line));
        }
        let row = record.deserialize::<T>(Some(&header)).map_err(|e| {
            let (field, what) = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => (
                    err.field()
                        .and_then(|f| header.get(f as usize))
                        .map(|h| format!("column `{h}`")),
                    err.kind().to_string(),
                ),
                _ => (None, e.to_string()),
            };
            let mut err = located(
                Error::new(ErrorKind::Parse, format!("expected a valid value: {what}")),
                line,
            );
            if let Some(f) = field {
                err = err.with_field(f);
            }
            err
        })?;
        rows.push(row);
    }
    Ok(rows)
}

/// The columns of `loans.csv`, as `terrace portfolio` writes them.
pub use crate::edge::cmd_portfolio::LOAN_COLUMNS;

/// The columns of `segments.csv`, as `terrace portfolio` writes them.
pub use crate::edge::columnar::SEGMENT_COLUMNS;

/// The columns of `losses.csv`.
pub const LOSS_COLUMNS: [&str; 3] = ["product", "path", "loss"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_is_named() {
        let e = parse_summary("{\"file\": \"x.csv\"}", Path::new("p.json")).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("p.json") && s.contains("products"), "{s}");
    }

    #[test]
    fn a_wrong_type_is_named_with_its_product_index() {
        let json = r#"{"file":"x","rows_in":1,"rows_ok":1,"rows_rejected":0,"paths":10,"seed":1,
            "rho_region":0.1,"rho_chain":0.1,"products":[{"product":"a","loans":1,"exposure":"big",
            "expected_loss":1,"var_99":1,"var_999":1,"es_99":1,"es_999":1,"default_rate":0.1,
            "implied_default_correlation":null}]}"#;
        let s = parse_summary(json, Path::new("p.json"))
            .unwrap_err()
            .to_string();
        assert!(
            s.contains("products[0].exposure") && s.contains("\"big\""),
            "{s}"
        );
    }

    #[test]
    fn a_csv_with_a_missing_column_is_refused() {
        let e = parse_csv::<LossRow>("product,path\na,1\n", Path::new("l.csv"), &LOSS_COLUMNS)
            .unwrap_err()
            .to_string();
        assert!(e.contains("l.csv") && e.contains("`loss`"), "{e}");
    }

    #[test]
    fn a_bad_cell_names_line_and_column() {
        let e = parse_csv::<LossRow>(
            "product,path,loss\na,0,1.5\na,1,lots\n",
            Path::new("l.csv"),
            &LOSS_COLUMNS,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 3") && e.contains("column `loss`"), "{e}");
        // The reader's own wording, not its internals (record numbers,
        // byte offsets).
        assert!(
            e.contains("invalid float literal") && !e.contains("byte"),
            "{e}"
        );
    }

    #[test]
    fn the_loans_text_columns_come_first() {
        let text: Vec<&str> = LOAN_COLUMNS
            .iter()
            .copied()
            .filter(|c| is_text_column(c))
            .collect();
        assert_eq!(
            text,
            [
                "id",
                "product",
                "value_chain",
                "upgrading",
                "region",
                "owner_gender",
                "currency",
                "verdict",
                "viable"
            ]
        );
    }

    #[test]
    fn nan_and_infinity_are_refused_in_numbers_not_in_text() {
        for bad in ["NaN", "inf", "-Infinity"] {
            let text = format!("product,path,loss\na,0,1.5\na,1,{bad}\n");
            let e = parse_csv::<LossRow>(&text, Path::new("l.csv"), &LOSS_COLUMNS).unwrap_err();
            assert_eq!(e.location().line, Some(3), "{bad}");
            assert_eq!(
                e.location().field.as_deref(),
                Some("column `loss`"),
                "{bad}"
            );
            assert!(e.to_string().contains("a finite number"), "{e}");
        }
        let rows = parse_csv::<LossRow>(
            "product,path,loss\nnan,0,1.5\n",
            Path::new("l.csv"),
            &LOSS_COLUMNS,
        )
        .unwrap();
        assert_eq!(rows[0].product, "nan");
    }
}
