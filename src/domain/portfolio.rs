//! Portfolio rows: one MSE or loan per CSV row, read into a typed
//! [`PortfolioRow`] and turned into a full [`Case`] by sizing a bundled case
//! template to it. A lender's book holds a dozen numbers per loan, not a
//! case file; the template supplies the calendars, channels, risks and
//! ramp-up that the row does not carry.
//!
//! # Schema
//!
//! Header names are exact (surrounding spaces trimmed), in any order.
//! Columns not listed here are ignored ([`Header::ignored`], for the reader
//! to warn about once); a missing required column stops the file.
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `id` | text, required, unique | loan / MSE id |
//! | `value_chain` | text, required | the `value_chain` of a bundled case template (ASCII case ignored) |
//! | `upgrading` | `process`, `product`, `functional`, `channel`, `intersectoral` | with `value_chain`, selects the template |
//! | `region` | text, required | segment and shared-weather key |
//! | `owner_gender` | `female`, `male`, `joint` | segment |
//! | `investment_cost` | money > 0 | cost of the items bought in month 0 |
//! | `baseline_revenue` | money per year ≥ 0 | sales without the upgrade |
//! | `baseline_costs` | money per year ≥ 0 | operating costs without the upgrade |
//! | `expected_uplift` | number ≥ −1, optional | with-path sales at full output ÷ baseline − 1 |
//! | `channel_mix` | `name:share;name:share`, optional | with-path mix of the upgraded activity |
//! | `distance_km` | number ≥ 0, optional | distance to market for channels that charge transport |
//! | `cash_buffer` | money ≥ 0 | the household's liquid savings at disbursement |
//! | `other_income_per_month` | money ≥ 0 | net household income from everything else |
//! | `subsistence_per_month` | money ≥ 0 | family living paid before any instalment |
//! | `requested_amount` | money > 0 | the loan requested (`financing.amount`) |
//! | `product_id` | text, optional | one product to evaluate; empty = every requested product |
//!
//! Money is parsed exactly with [`parse_decimal`] (never through `f64`):
//! `1250.50` keeps every digit; `1,250.50`, `abc`, `NaN`, `inf` and empty
//! fields are refused. Shares and distances are model numbers (`f64`).
//!
//! # From a row to a case ([`template_for`], [`apply`])
//!
//! The template is the first bundled case (in the order given, sorted by
//! id when loaded) whose `value_chain` equals the row's and whose
//! `upgrading` list contains the row's type: horticulture + process →
//! `honduras-drip`, horticulture + functional or channel → `guatemala-truck`.
//!
//! Measures of the template, all at base values (distribution means), full
//! output (no ramp, trend, drought, grade rejection) and the path's mix:
//! - *I₀*, the month-0 investment: the sum of the costs of items bought in month 0;
//! - *R₀*, *R₁*, without- and with-path sales per year: Σ output ×
//!   Σ mix share × producer price, where the producer price is the
//!   channel's `contract_price` if any, else its mean `price`, times its
//!   `pass_through` (transport, fees and non-payment are left out);
//! - *C₀*, without-path operating costs per year: Σ output × unit cost +
//!   fixed cost.
//!
//! The case is the template with, in this order:
//! 1. `id` = the row's id; `channel_mix` (if given) replaces the with-path
//!    mix of the upgraded activity ([`Case::upgraded_activity`]); names must
//!    be that activity's channels, shares ≥ 0 summing to 1 (within 1e-9).
//! 2. investment items, cost and maintenance × *k_inv* = investment_cost / I₀.
//! 3. without paths: output × *k_rev* = baseline_revenue / R₀, so their
//!    sales are baseline_revenue; unit costs × *e* and fixed costs ×
//!    *k_rev·e*, with *e* = (baseline_costs / C₀) / *k_rev* the enterprise's
//!    cost level relative to the template, so their costs are baseline_costs.
//! 4. with paths: output × *k_with* and fixed costs × *k_with·e*, unit costs
//!    × *e*; channel volume caps × *k_with*. With an `expected_uplift` u,
//!    *k_with* = baseline_revenue·(1 + u) / R₁ (R₁ with the row's mix), so
//!    with-path sales are baseline × (1 + u); without one, *k_with* = *k_rev*:
//!    the template's own with/without ratio at the row's mix.
//! 5. `distance_km` (if given) on every channel with a transport cost;
//!    household cash buffer, other income and subsistence from the row
//!    (risk aversion kept); `financing.amount` = requested_amount.
//!
//! Every distribution keeps its shape
//! ([`Param::scaled`](super::param::Param::scaled)). Certification
//! audit fees are per farm and stay as they are. A row with
//! baseline_revenue 0 (a start-up) has no without-path operations: its
//! without outputs and costs become 0, baseline_costs must be 0 and
//! expected_uplift empty, and its with paths scale with the investment
//! (*k_with* = *k_inv*, *e* = 1); its without-path inputs, now fixed at 0,
//! leave `[risk.correlation]`. The result must pass [`Case::validate`].
//!
//! # Streaming a file
//!
//! ```no_run
//! # fn demo(cases: &[terrace::domain::case::Case]) -> terrace::Result<()> {
//! use std::collections::HashSet;
//! use terrace::domain::portfolio::{apply, check_unique, parse_row, template_for, Header};
//! let mut reader = csv::ReaderBuilder::new()
//!     .has_headers(false)
//!     .flexible(true)
//!     .from_path("data/portfolios/sample.csv")
//!     .map_err(|e| terrace::Error::usage(e.to_string()))?;
//! let mut record = csv::StringRecord::new();
//! reader.read_record(&mut record).ok();
//! let header = Header::new(&record)?;
//! let mut ids = HashSet::new();
//! while reader.read_record(&mut record).unwrap_or(false) {
//!     let line = record.position().map_or(0, csv::Position::line);
//!     let case = parse_row(&header, &record, line).and_then(|row| {
//!         check_unique(&mut ids, &row)?;
//!         apply(&row, template_for(&row, cases)?)
//!     });
//!     match case {
//!         Ok(_case) => { /* evaluate */ }
//!         Err(rejected) => eprintln!("{rejected}"), // a rejected.csv row
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Duplicate ids are the caller's to catch, since only the caller sees the
//! whole file: keep a `HashSet` of ids and call [`check_unique`] on every
//! parsed row, in file order (the first occurrence wins).

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use csv::StringRecord;
use rust_decimal::Decimal;

use super::case::{Case, Upgrading};
use super::{MAX_AMOUNT, MAX_MAGNITUDE};
use crate::math::money::{parse_decimal, parse_f64, to_f64};
use crate::{Error, ErrorKind, Result};

/// Columns every portfolio file must have.
pub const REQUIRED_COLUMNS: [&str; 12] = [
    "id",
    "value_chain",
    "upgrading",
    "region",
    "owner_gender",
    "investment_cost",
    "baseline_revenue",
    "baseline_costs",
    "cash_buffer",
    "other_income_per_month",
    "subsistence_per_month",
    "requested_amount",
];

/// Columns a portfolio file may have; an absent column reads as empty.
pub const OPTIONAL_COLUMNS: [&str; 4] = [
    "expected_uplift",
    "channel_mix",
    "distance_km",
    "product_id",
];

/// Every column, in the order of the schema table (the generator writes it).
pub const COLUMNS: [&str; 16] = [
    "id",
    "value_chain",
    "upgrading",
    "region",
    "owner_gender",
    "investment_cost",
    "baseline_revenue",
    "baseline_costs",
    "expected_uplift",
    "channel_mix",
    "distance_km",
    "cash_buffer",
    "other_income_per_month",
    "subsistence_per_month",
    "requested_amount",
    "product_id",
];

/// Tolerance on the sum of `channel_mix` shares (as for case mixes).
pub const MIX_TOLERANCE: f64 = 1e-9;

/// The gender of the enterprise's owner, a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnerGender {
    /// Owned by a woman.
    Female,
    /// Owned by a man.
    Male,
    /// Owned jointly (a couple, a family).
    Joint,
}

impl OwnerGender {
    /// Every value, in file order.
    pub const ALL: [OwnerGender; 3] = [OwnerGender::Female, OwnerGender::Male, OwnerGender::Joint];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerGender::Female => "female",
            OwnerGender::Male => "male",
            OwnerGender::Joint => "joint",
        }
    }

    /// The value named `name` (ASCII case ignored, spaces trimmed).
    pub fn from_name(name: &str) -> Option<OwnerGender> {
        let name = name.trim();
        OwnerGender::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(name))
    }
}

/// One row of a portfolio file, typed. Money is exact.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioRow {
    /// 1-based line of the record in the file (its first line if quoted
    /// fields span several).
    pub line: u64,
    /// Loan / MSE id.
    pub id: String,
    /// Value chain of the template.
    pub value_chain: String,
    /// Upgrading type; with the value chain, selects the template.
    pub upgrading: Upgrading,
    /// Region (segment, shared-weather key).
    pub region: String,
    /// Owner's gender (segment).
    pub owner_gender: OwnerGender,
    /// Cost of the items bought in month 0 (> 0).
    pub investment_cost: Decimal,
    /// Sales per year without the upgrade (≥ 0).
    pub baseline_revenue: Decimal,
    /// Operating costs per year without the upgrade (≥ 0).
    pub baseline_costs: Decimal,
    /// With-path sales at full output ÷ baseline − 1 (≥ −1); `None`: the
    /// template's ratio.
    pub expected_uplift: Option<f64>,
    /// With-path mix of the upgraded activity, in file order.
    pub channel_mix: Option<Vec<(String, f64)>>,
    /// Distance to market in km for channels that charge transport.
    pub distance_km: Option<f64>,
    /// Household liquid savings at disbursement (≥ 0).
    pub cash_buffer: Decimal,
    /// Household net income per month from everything else (≥ 0).
    pub other_income_per_month: Decimal,
    /// Family living per month (≥ 0).
    pub subsistence_per_month: Decimal,
    /// The loan requested (> 0).
    pub requested_amount: Decimal,
    /// A product id to evaluate; `None`: every requested product.
    pub product_id: Option<String>,
}

/// Why a row was rejected: one line of `rejected.csv` (line, id, field,
/// reason). The reason says what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file.
    pub line: u64,
    /// The row's id, when it could be read.
    pub id: Option<String>,
    /// The column (or case key path) at fault; `fields` for a wrong field count.
    pub field: String,
    /// What was expected and what was found.
    pub reason: String,
}

impl RowError {
    /// A rejection of the row at `line` on `field`.
    pub fn new(
        line: u64,
        id: Option<&str>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> RowError {
        RowError {
            line,
            id: id.map(str::to_owned),
            field: field.into(),
            reason: visible(reason.into()),
        }
    }

    /// A library error turned into a rejection of the row at `line`; the
    /// error's field (if any) becomes the field, its message the reason.
    pub fn from_error(e: &Error, line: u64, id: Option<&str>) -> RowError {
        let field = e.location().field.clone().unwrap_or_default();
        // A product's principal is made from the row's requested amount:
        // name the column the user wrote (a requested amount of 0.0000001
        // rounds to a principal of 0.00).
        if let Some(product) = field.strip_suffix(".principal") {
            return RowError::new(
                line,
                id,
                "requested_amount",
                format!(
                    "{product}: the principal lent (requested_amount less any down payment, in the currency's minor unit) {}",
                    e.message()
                ),
            );
        }
        RowError::new(line, id, field, e.message())
    }
}

/// `text` with control characters written as escapes (`\u{0}`, `\t`), so
/// that a reason quoting a field holding a NUL or a line break shows what
/// was found instead of printing it.
fn visible(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(id) = &self.id {
            write!(f, ", id `{id}`")?;
        }
        if !self.field.is_empty() {
            write!(f, ", field `{}`", self.field)?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for RowError {}

/// Where each known column is in a file's records.
#[derive(Debug, Clone)]
pub struct Header {
    /// Index of each column of [`COLUMNS`], if present.
    index: [Option<usize>; COLUMNS.len()],
    /// Number of fields in the header.
    len: usize,
    /// Header names that are not columns of the schema, in file order.
    ignored: Vec<String>,
}

impl Header {
    /// Maps the header record's names to indices. Fails, naming the missing
    /// columns and listing the expected ones, when a required column is
    /// absent, or when a column appears twice. The caller adds the file.
    pub fn new(record: &StringRecord) -> Result<Header> {
        let mut index = [None; COLUMNS.len()];
        let mut ignored = Vec::new();
        for (i, name) in record.iter().enumerate() {
            let name = name.trim();
            match COLUMNS.iter().position(|c| *c == name) {
                Some(k) if index[k].is_some() => {
                    return Err(Error::new(
                        ErrorKind::Parse,
                        format!("expected each column once, found `{name}` twice"),
                    )
                    .with_line(1)
                    .with_field(name))
                }
                Some(k) => index[k] = Some(i),
                None => ignored.push(name.to_owned()),
            }
        }
        let missing: Vec<&str> = REQUIRED_COLUMNS
            .iter()
            .filter(|c| index[column(c)].is_none())
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(Error::new(
                ErrorKind::Parse,
                format!(
                    "missing required column{} {}; expected the columns {} (optional: {}){}",
                    if missing.len() == 1 { "" } else { "s" },
                    missing
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    REQUIRED_COLUMNS.join(", "),
                    OPTIONAL_COLUMNS.join(", "),
                    delimiter_hint(record)
                        .or_else(|| case_hint(record, &missing))
                        .unwrap_or_default()
                ),
            )
            .with_line(1));
        }
        Ok(Header {
            index,
            len: record.len(),
            ignored,
        })
    }

    /// Header names not in the schema; they are ignored (warn once).
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Number of fields every record must have.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the header is empty (never true for a valid header).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the file has `name` (one of [`COLUMNS`]).
    pub fn has(&self, name: &str) -> bool {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .is_some_and(|k| self.index[k].is_some())
    }

    /// The trimmed text of column `name` in `record`; empty when the
    /// column is absent (optional columns).
    fn get<'r>(&self, record: &'r StringRecord, name: &str) -> &'r str {
        self.index[column(name)]
            .and_then(|i| record.get(i))
            .map_or("", str::trim)
    }
}

/// When missing columns are in the header in other letter cases (`ID`,
/// `Region`), says so: names are matched exactly.
fn case_hint(record: &StringRecord, missing: &[&str]) -> Option<String> {
    let found: Vec<String> = record
        .iter()
        .map(str::trim)
        .filter(|name| missing.iter().any(|m| m.eq_ignore_ascii_case(name)))
        .map(|name| format!("`{name}`"))
        .collect();
    (!found.is_empty()).then(|| {
        format!(
            "; found {}: column names are matched exactly, in lower case",
            found.join(", ")
        )
    })
}

/// When a header is one field holding another common delimiter (a
/// spreadsheet's `;` export, a tab-separated file), says so: the columns
/// are then all "missing" only because they are not separated by commas.
fn delimiter_hint(record: &StringRecord) -> Option<String> {
    let only = match record.len() {
        1 => record.get(0)?,
        _ => return None,
    };
    [(';', "`;`"), ('\t', "tabs"), ('|', "`|`")]
        .iter()
        .find(|(d, _)| only.contains(*d))
        .map(|(_, name)| {
            format!("; the header is one field separated by {name}: expected columns separated by commas")
        })
}

fn column(name: &str) -> usize {
    COLUMNS
        .iter()
        .position(|c| *c == name)
        .unwrap_or_else(|| unreachable!("`{name}` is in COLUMNS"))
}

/// Reads one record at `line` into a typed row, or says why it cannot be.
pub fn parse_row(
    header: &Header,
    record: &StringRecord,
    line: u64,
) -> std::result::Result<PortfolioRow, RowError> {
    let id = header.get(record, "id");
    let id_opt = (!id.is_empty()).then_some(id);
    let reject = |field: &str, reason: String| RowError::new(line, id_opt, field, reason);
    if record.len() != header.len() {
        // A quote left open swallows the lines after it into one field.
        let spans = record.iter().any(|f| f.contains('\n'));
        return Err(reject(
            "fields",
            format!(
                "expected {} fields (as in the header), found {}{}",
                header.len(),
                record.len(),
                if spans {
                    "; a field runs over several lines: is a quote (\") on this line left open?"
                } else {
                    ""
                }
            ),
        ));
    }
    let text = |field: &str| -> std::result::Result<String, RowError> {
        let t = header.get(record, field);
        if t.is_empty() {
            return Err(reject(
                field,
                "expected a value, found an empty field".into(),
            ));
        }
        // A NUL or a line break in an id or a segment name would be
        // written raw into every output that names the row.
        if t.chars().any(char::is_control) {
            return Err(reject(
                field,
                format!("expected text without control characters, found `{t}`"),
            ));
        }
        Ok(t.to_owned())
    };
    let money = |field: &str, positive: bool| -> std::result::Result<Decimal, RowError> {
        let t = header.get(record, field);
        if t.is_empty() {
            return Err(reject(
                field,
                "expected an amount, found an empty field".into(),
            ));
        }
        let x = parse_decimal(field, t).map_err(|e| reject(field, e.message().to_owned()))?;
        let ok = if positive {
            x > Decimal::ZERO
        } else {
            x >= Decimal::ZERO
        };
        if !ok || x > MAX_AMOUNT {
            let bound = if positive {
                "in (0, 1e15]"
            } else {
                "in [0, 1e15]"
            };
            return Err(reject(
                field,
                format!("expected an amount {bound}, found {x}"),
            ));
        }
        Ok(x)
    };
    let number = |field: &str, min: f64| -> std::result::Result<Option<f64>, RowError> {
        let t = header.get(record, field);
        if t.is_empty() {
            return Ok(None);
        }
        let x = parse_f64(field, t).map_err(|e| reject(field, e.message().to_owned()))?;
        if x < min || x > MAX_MAGNITUDE {
            return Err(reject(
                field,
                format!("expected a number in [{min}, 1e15], found {}", t.trim()),
            ));
        }
        Ok(Some(x))
    };

    let id = text("id")?;
    let value_chain = text("value_chain")?;
    let upgrading_text = text("upgrading")?;
    let upgrading = Upgrading::from_name(&upgrading_text).ok_or_else(|| {
        reject(
            "upgrading",
            format!(
                "expected one of {}, found `{upgrading_text}`",
                Upgrading::ALL.map(Upgrading::as_str).join(", ")
            ),
        )
    })?;
    let region = text("region")?;
    let gender_text = text("owner_gender")?;
    let owner_gender = OwnerGender::from_name(&gender_text).ok_or_else(|| {
        reject(
            "owner_gender",
            format!(
                "expected one of {}, found `{gender_text}`",
                OwnerGender::ALL.map(OwnerGender::as_str).join(", ")
            ),
        )
    })?;
    let investment_cost = money("investment_cost", true)?;
    let baseline_revenue = money("baseline_revenue", false)?;
    let baseline_costs = money("baseline_costs", false)?;
    let expected_uplift = number("expected_uplift", -1.0)?;
    let channel_mix = match header.get(record, "channel_mix") {
        "" => None,
        t => Some(parse_mix(t).map_err(|reason| reject("channel_mix", reason))?),
    };
    let distance_km = number("distance_km", 0.0)?;
    let cash_buffer = money("cash_buffer", false)?;
    let other_income_per_month = money("other_income_per_month", false)?;
    let subsistence_per_month = money("subsistence_per_month", false)?;
    let requested_amount = money("requested_amount", true)?;
    let product_id = match header.get(record, "product_id") {
        "" => None,
        t => Some(t.to_owned()),
    };
    Ok(PortfolioRow {
        line,
        id,
        value_chain,
        upgrading,
        region,
        owner_gender,
        investment_cost,
        baseline_revenue,
        baseline_costs,
        expected_uplift,
        channel_mix,
        distance_km,
        cash_buffer,
        other_income_per_month,
        subsistence_per_month,
        requested_amount,
        product_id,
    })
}

/// Parses `name:share;name:share`: names unique and non-empty, shares
/// finite in [0, 1] summing to 1 within [`MIX_TOLERANCE`].
fn parse_mix(text: &str) -> std::result::Result<Vec<(String, f64)>, String> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, share)) = part.split_once(':') else {
            return Err(format!(
                "expected `name:share` pairs separated by `;` (e.g. trader:0.4;packer:0.6), found `{part}`"
            ));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(format!(
                "expected a channel name before `:`, found `{part}`"
            ));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("expected each channel once, found `{name}` twice"));
        }
        let share = parse_f64(name, share)
            .ok()
            .filter(|s| (0.0..=1.0).contains(s))
            .ok_or_else(|| {
                format!(
                    "expected a share in [0, 1] for `{name}`, found `{}`",
                    share.trim()
                )
            })?;
        out.push((name.to_owned(), share));
    }
    if out.is_empty() {
        return Err(format!(
            "expected `name:share` pairs separated by `;`, found `{text}`"
        ));
    }
    let total: f64 = out.iter().map(|(_, s)| s).sum();
    if (total - 1.0).abs() > MIX_TOLERANCE {
        return Err(format!(
            "expected shares that sum to 1, found a sum of {total}"
        ));
    }
    Ok(out)
}

/// Rejects a row whose id was seen before in this file; otherwise records it.
pub fn check_unique(
    ids: &mut HashSet<String>,
    row: &PortfolioRow,
) -> std::result::Result<(), RowError> {
    if ids.insert(row.id.clone()) {
        Ok(())
    } else {
        Err(RowError::new(
            row.line,
            Some(&row.id),
            "id",
            format!("expected a unique id, found `{}` again", row.id),
        ))
    }
}

/// The bundled template a row selects: the first case whose value chain is
/// the row's (ASCII case ignored) and whose upgrading list has the row's type.
pub fn template_for<'c>(
    row: &PortfolioRow,
    cases: &'c [Case],
) -> std::result::Result<&'c Case, RowError> {
    let chain = row.value_chain.trim();
    let same_chain: Vec<&Case> = cases
        .iter()
        .filter(|c| c.value_chain.eq_ignore_ascii_case(chain))
        .collect();
    let reject =
        |field: &str, reason: String| RowError::new(row.line, Some(&row.id), field, reason);
    if same_chain.is_empty() {
        return Err(reject(
            "value_chain",
            format!(
                "expected the value chain of a bundled case template ({}), found `{chain}`",
                known_chains(cases)
            ),
        ));
    }
    same_chain
        .iter()
        .find(|c| c.upgrading.contains(&row.upgrading))
        .copied()
        .ok_or_else(|| {
            let offered: Vec<String> = same_chain
                .iter()
                .map(|c| {
                    format!(
                        "{} ({})",
                        c.upgrading
                            .iter()
                            .map(|u| u.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        c.id
                    )
                })
                .collect();
            reject(
                "upgrading",
                format!(
                    "expected an upgrading type that a `{chain}` template covers: {}, found `{}` (known value chains: {})",
                    offered.join("; "),
                    row.upgrading.as_str(),
                    known_chains(cases)
                ),
            )
        })
}

fn known_chains(cases: &[Case]) -> String {
    let mut chains: Vec<&str> = cases.iter().map(|c| c.value_chain.as_str()).collect();
    chains.sort_unstable();
    chains.dedup();
    chains.join(", ")
}

/// Which path of an activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The counterfactual.
    Without,
    /// After the upgrade.
    With,
}

/// Cost of the items bought in month 0, at base values (I₀).
pub fn month0_investment_cost(case: &Case) -> f64 {
    case.investments
        .iter()
        .filter(|i| i.month == 0)
        .map(|i| i.cost.base())
        .sum()
}

/// Sales per year of one path at full output and base values: Σ output ×
/// Σ mix share × producer price (contract price if any, else mean price,
/// times pass-through). R₀ and R₁ of the module doc.
pub fn revenue_per_year(case: &Case, which: Which) -> f64 {
    case.activities
        .iter()
        .filter_map(|a| path_of(a, which).map(|p| (a, p)))
        .map(|(a, p)| {
            let price: f64 = p
                .mix
                .iter()
                .map(|(name, share)| {
                    a.channel(name).map_or(0.0, |c| {
                        share * c.contract_price.unwrap_or_else(|| c.price.base()) * c.pass_through
                    })
                })
                .sum();
            p.output_per_year.base() * price
        })
        .sum()
}

/// Operating costs per year of one path at full output and base values:
/// Σ output × unit cost + fixed cost (C₀ for the without path).
pub fn operating_costs_per_year(case: &Case, which: Which) -> f64 {
    case.activities
        .iter()
        .filter_map(|a| path_of(a, which))
        .map(|p| p.output_per_year.base() * p.unit_cost.base() + p.fixed_cost_per_year.base())
        .sum()
}

fn path_of(a: &super::case::Activity, which: Which) -> Option<&super::case::Path> {
    match which {
        Which::Without => a.without.as_ref(),
        Which::With => a.with.as_ref(),
    }
}

/// The template sized to the row, as the module doc describes; it passes
/// [`Case::validate`] or the row is rejected.
pub fn apply(row: &PortfolioRow, template: &Case) -> std::result::Result<Case, RowError> {
    let reject =
        |field: &str, reason: String| RowError::new(row.line, Some(&row.id), field, reason);
    let mut case = template.clone();

    if let Some(mix) = &row.channel_mix {
        let Some(k) = case.upgraded_activity() else {
            return Err(reject(
                "channel_mix",
                format!(
                    "an empty field: template `{}` has no activity with two or more channels to mix, found `{}`",
                    template.id,
                    mix_text(mix)
                ),
            ));
        };
        let activity = &mut case.activities[k];
        let names: Vec<&str> = activity.channels.iter().map(|c| c.name.as_str()).collect();
        if let Some((bad, _)) = mix.iter().find(|(n, _)| !names.contains(&n.as_str())) {
            return Err(reject(
                "channel_mix",
                format!(
                    "expected channels of activity `{}` in template `{}` ({}), found `{bad}`",
                    activity.name,
                    template.id,
                    names.join(", ")
                ),
            ));
        }
        if let Some(with) = activity.with.as_mut() {
            with.mix = mix.iter().cloned().collect::<BTreeMap<_, _>>();
        }
    }

    let i0 = month0_investment_cost(template);
    if i0 <= 0.0 {
        return Err(reject(
            "investment_cost",
            format!(
                "a template with month-0 investment items; `{}` has none",
                template.id
            ),
        ));
    }
    let k_inv = to_f64(row.investment_cost) / i0;
    let baseline = to_f64(row.baseline_revenue);
    let costs = to_f64(row.baseline_costs);
    let r0 = revenue_per_year(template, Which::Without);
    let c0 = operating_costs_per_year(template, Which::Without);
    let (k_rev, e, k_with) = if baseline == 0.0 {
        if costs > 0.0 {
            return Err(reject(
                "baseline_costs",
                format!(
                    "expected 0 when baseline_revenue is 0 (no operations without the upgrade), found {}",
                    row.baseline_costs
                ),
            ));
        }
        if let Some(u) = row.expected_uplift {
            return Err(reject(
                "expected_uplift",
                format!("expected an empty field when baseline_revenue is 0 (an uplift needs a baseline), found {u}"),
            ));
        }
        (0.0, 1.0, k_inv)
    } else {
        if r0 <= 0.0 {
            return Err(reject(
                "baseline_revenue",
                format!(
                    "expected 0: template `{}` has no sales without the upgrade to scale, found {}",
                    template.id, row.baseline_revenue
                ),
            ));
        }
        let k_rev = baseline / r0;
        let e = if c0 > 0.0 {
            costs / c0 / k_rev
        } else if costs == 0.0 {
            1.0
        } else {
            return Err(reject(
                "baseline_costs",
                format!(
                    "expected 0: template `{}` has no operating costs without the upgrade to scale, found {}",
                    template.id, row.baseline_costs
                ),
            ));
        };
        let k_with = match row.expected_uplift {
            None => k_rev,
            Some(u) => {
                let r1 = revenue_per_year(&case, Which::With);
                if r1 <= 0.0 {
                    return Err(reject(
                        "expected_uplift",
                        format!(
                            "an empty field: template `{}` has no with-path sales to scale, found {u}",
                            template.id
                        ),
                    ));
                }
                baseline * (1.0 + u) / r1
            }
        };
        (k_rev, e, k_with)
    };

    for item in &mut case.investments {
        item.cost = item.cost.scaled(k_inv);
        item.maintenance_per_year *= k_inv;
    }
    for a in &mut case.activities {
        for (path, k) in [(a.without.as_mut(), k_rev), (a.with.as_mut(), k_with)] {
            if let Some(p) = path {
                p.output_per_year = p.output_per_year.scaled(k);
                p.unit_cost = p.unit_cost.scaled(e);
                p.fixed_cost_per_year = p.fixed_cost_per_year.scaled(k * e);
            }
        }
        for c in &mut a.channels {
            if let Some(cap) = c.volume_cap_per_year.as_mut() {
                if k_with > 0.0 {
                    *cap *= k_with;
                }
            }
            if let Some(d) = row.distance_km {
                if c.transport_cost_per_unit_km > 0.0 {
                    c.distance_km = d;
                }
            }
        }
    }
    case.household.cash_buffer = to_f64(row.cash_buffer);
    case.household.other_income_per_month = to_f64(row.other_income_per_month);
    case.household.subsistence_per_month = to_f64(row.subsistence_per_month);
    case.financing.amount = Some(row.requested_amount);
    drop_fixed_from_correlation(&mut case);

    case.validate().map_err(|e| {
        let field = e.location().field.clone().unwrap_or_default();
        reject(
            &format!("case.{field}"),
            format!(
                "the template `{}` sized to this row is not a valid case: {}",
                template.id,
                e.message()
            ),
        )
    })?;
    // After the check: a row's id is any text (`MSE 002`), not an id that
    // names files.
    case.id = row.id.clone();
    Ok(case)
}

/// A path scaled by 0 (a start-up's without path) has fixed inputs, which
/// cannot be correlated: they leave the correlation matrix, and a matrix
/// with fewer than two inputs left goes.
fn drop_fixed_from_correlation(case: &mut Case) {
    let Some(corr) = &case.risk.correlation else {
        return;
    };
    let mut params = Vec::new();
    case.for_each_param(|_, p| params.push(p));
    let keep: Vec<usize> = (0..corr.names.len())
        .filter(|&i| {
            params
                .iter()
                .any(|p| p.name.as_deref() == Some(corr.names[i].as_str()) && p.is_random())
        })
        .collect();
    if keep.len() == corr.names.len() {
        return;
    }
    let pruned = (keep.len() >= 2).then(|| super::case::Correlation {
        names: keep.iter().map(|&i| corr.names[i].clone()).collect(),
        matrix: keep
            .iter()
            .map(|&i| keep.iter().map(|&j| corr.matrix[i][j]).collect())
            .collect(),
    });
    case.risk.correlation = pruned;
}

fn mix_text(mix: &[(String, f64)]) -> String {
    mix.iter()
        .map(|(n, s)| format!("{n}:{s}"))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three column lists are written out for readability; they must
    /// not drift apart.
    #[test]
    fn columns_are_exactly_the_required_and_optional_ones() {
        let mut all: Vec<&str> = REQUIRED_COLUMNS
            .iter()
            .chain(&OPTIONAL_COLUMNS)
            .copied()
            .collect();
        let mut listed = COLUMNS.to_vec();
        all.sort_unstable();
        listed.sort_unstable();
        assert_eq!(all, listed);
    }
    use rust_decimal_macros::dec;

    fn case(text: &str) -> Case {
        let c: Case = toml::from_str(text).unwrap();
        c.validate().unwrap();
        c
    }

    fn templates() -> Vec<Case> {
        vec![
            case(include_str!("../../data/cases/guatemala-truck.toml")),
            case(include_str!("../../data/cases/honduras-drip.toml")),
            case(include_str!("../../data/cases/kenya-avocado.toml")),
            case(include_str!("../../data/cases/indonesia-cocoa.toml")),
        ]
    }

    const HEADER: &str = "id,value_chain,upgrading,region,owner_gender,investment_cost,baseline_revenue,baseline_costs,expected_uplift,channel_mix,distance_km,cash_buffer,other_income_per_month,subsistence_per_month,requested_amount,product_id";
    const GOOD: [&str; 16] = [
        "HN-001",
        "horticulture",
        "process",
        "Comayagua",
        "female",
        "52000.00",
        "48000",
        "30000",
        "0.45",
        "trader:0.3;packer:0.7",
        "",
        "6000",
        "3500",
        "5200",
        "1250.50",
        "upgrading-60m-grace",
    ];

    fn header() -> Header {
        Header::new(&StringRecord::from(HEADER.split(',').collect::<Vec<_>>())).unwrap()
    }

    /// The good row with `field` set to `value`.
    fn with(field: &str, value: &str) -> StringRecord {
        let mut v = GOOD.to_vec();
        v[column(field)] = value;
        StringRecord::from(v)
    }

    fn rejected(field: &str, value: &str) -> RowError {
        parse_row(&header(), &with(field, value), 7).unwrap_err()
    }

    fn good() -> PortfolioRow {
        parse_row(&header(), &StringRecord::from(GOOD.to_vec()), 2).unwrap()
    }

    #[test]
    fn a_good_row_parses_with_money_exact() {
        let row = good();
        assert_eq!(row.id, "HN-001");
        assert_eq!(row.upgrading, Upgrading::Process);
        assert_eq!(row.owner_gender, OwnerGender::Female);
        assert_eq!(row.requested_amount, dec!(1250.50));
        assert_eq!(row.requested_amount.to_string(), "1250.50");
        assert_eq!(row.investment_cost.to_string(), "52000.00");
        assert_eq!(row.expected_uplift, Some(0.45));
        assert_eq!(
            row.channel_mix,
            Some(vec![("trader".into(), 0.3), ("packer".into(), 0.7)])
        );
        assert_eq!(row.distance_km, None);
        assert_eq!(row.product_id.as_deref(), Some("upgrading-60m-grace"));
        assert_eq!(row.line, 2);
    }

    #[test]
    fn money_that_is_not_a_plain_decimal_is_rejected_naming_the_column() {
        for bad in ["1,250.50", "1_250.50", "abc", "NaN", "inf", "-inf", ""] {
            let e = rejected("requested_amount", bad);
            assert_eq!(e.field, "requested_amount", "{bad}");
            assert_eq!(e.line, 7);
            assert_eq!(e.id.as_deref(), Some("HN-001"));
        }
        assert!(rejected("cash_buffer", "1,250.50")
            .reason
            .contains("`1,250.50`"));
    }

    #[test]
    fn negative_and_zero_amounts_are_rejected_where_they_must_be_positive() {
        for field in [
            "investment_cost",
            "baseline_revenue",
            "baseline_costs",
            "cash_buffer",
            "other_income_per_month",
            "subsistence_per_month",
            "requested_amount",
        ] {
            let e = rejected(field, "-1");
            assert_eq!(e.field, field);
            assert!(e.reason.contains("found -1"), "{}", e.reason);
        }
        assert_eq!(rejected("investment_cost", "0").field, "investment_cost");
        assert_eq!(
            rejected("requested_amount", "0.00").field,
            "requested_amount"
        );
        assert!(parse_row(&header(), &with("baseline_costs", "0"), 3).is_ok());
    }

    #[test]
    fn missing_or_empty_id_and_required_text_are_rejected() {
        let e = rejected("id", "");
        assert_eq!((e.field.as_str(), e.id.clone()), ("id", None));
        let e = rejected("id", "   ");
        assert_eq!(e.field, "id");
        for field in ["value_chain", "region", "upgrading", "owner_gender"] {
            assert_eq!(rejected(field, "").field, field);
        }
    }

    #[test]
    fn bad_gender_and_upgrading_list_the_allowed_values() {
        let e = rejected("owner_gender", "f");
        assert_eq!(e.field, "owner_gender");
        assert!(e.reason.contains("female, male, joint"), "{}", e.reason);
        let e = rejected("upgrading", "upgrade");
        assert!(e
            .reason
            .contains("process, product, functional, channel, intersectoral"));
        assert_eq!(
            parse_row(&header(), &with("owner_gender", " Joint "), 3)
                .unwrap()
                .owner_gender,
            OwnerGender::Joint
        );
    }

    #[test]
    fn optional_numbers_reject_nan_inf_and_out_of_range() {
        for bad in ["NaN", "inf", "x", "-1.5"] {
            assert_eq!(rejected("expected_uplift", bad).field, "expected_uplift");
        }
        assert!(parse_row(&header(), &with("expected_uplift", "-1"), 3).is_ok());
        assert!(parse_row(&header(), &with("expected_uplift", ""), 3)
            .unwrap()
            .expected_uplift
            .is_none());
        for bad in ["-3", "NaN", "far"] {
            assert_eq!(rejected("distance_km", bad).field, "distance_km");
        }
        // The value is quoted as written, not as the double prints it in
        // full (330 digits for this one).
        assert_eq!(
            rejected("distance_km", "-1e-320").reason,
            "expected a number in [0, 1e15], found -1e-320"
        );
    }

    #[test]
    fn channel_mix_must_be_pairs_of_shares_summing_to_one() {
        for bad in [
            "trader:0.3;packer:0.6",
            "trader:0.5;trader:0.5",
            "trader=1",
            ":1",
            "trader:-0.2;packer:1.2",
            "trader:NaN;packer:1",
            ";",
        ] {
            assert_eq!(rejected("channel_mix", bad).field, "channel_mix", "{bad}");
        }
        assert!(rejected("channel_mix", "trader:0.3;packer:0.6")
            .reason
            .contains("sum to 1"));
        let row = parse_row(&header(), &with("channel_mix", " trader : 1 ; "), 3).unwrap();
        assert_eq!(row.channel_mix, Some(vec![("trader".into(), 1.0)]));
    }

    #[test]
    fn a_wrong_field_count_is_rejected_with_the_id_when_readable() {
        let mut v = GOOD.to_vec();
        v.push("extra");
        let e = parse_row(&header(), &StringRecord::from(v), 9).unwrap_err();
        assert_eq!((e.field.as_str(), e.line), ("fields", 9));
        assert_eq!(e.id.as_deref(), Some("HN-001"));
        assert!(e.reason.contains("expected 16 fields"));
    }

    #[test]
    fn the_header_names_missing_columns_and_ignores_extra_ones() {
        let e = Header::new(&StringRecord::from(vec![
            "id",
            "value_chain",
            "upgrading",
            "notes",
        ]))
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("`region`") && msg.contains("`requested_amount`"),
            "{msg}"
        );
        assert!(
            msg.contains("expected the columns id, value_chain"),
            "{msg}"
        );
        assert!(!msg.contains("`expected_uplift`"), "{msg}");
        // A comma-free header says nothing about delimiters…
        assert!(!msg.contains("separated by"), "{msg}");
        // …a tab-separated one is named as such.
        let tabbed = Header::new(&StringRecord::from(vec![REQUIRED_COLUMNS.join("\t")]));
        let msg = tabbed.unwrap_err().to_string();
        assert!(msg.contains("separated by tabs"), "{msg}");
        let mut names: Vec<&str> = REQUIRED_COLUMNS.to_vec();
        names.insert(3, "branch");
        let h = Header::new(&StringRecord::from(names)).unwrap();
        assert_eq!(h.ignored(), ["branch"]);
        assert!(!h.has("channel_mix") && h.has("region"));
        let dup = Header::new(&StringRecord::from(vec!["id", "id"])).unwrap_err();
        assert!(dup.to_string().contains("`id` twice"));
        // Names in other letter cases are pointed out; the hint is absent
        // otherwise (the first header above).
        let mut names: Vec<String> = REQUIRED_COLUMNS.iter().map(|c| c.to_string()).collect();
        names[0] = "ID".into();
        names[3] = " Region ".into();
        let msg = Header::new(&StringRecord::from(names))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("missing required columns `id`, `region`")
                && msg.contains("found `ID`, `Region`: column names are matched exactly"),
            "{msg}"
        );
        let first = Header::new(&StringRecord::from(vec!["id", "notes"])).unwrap_err();
        assert!(!first.to_string().contains("matched exactly"));
    }

    #[test]
    fn duplicate_ids_are_caught_by_check_unique() {
        let mut ids = HashSet::new();
        let row = good();
        check_unique(&mut ids, &row).unwrap();
        let e = check_unique(&mut ids, &row).unwrap_err();
        assert_eq!((e.field.as_str(), e.id.as_deref()), ("id", Some("HN-001")));
    }

    #[test]
    fn the_template_is_chosen_by_value_chain_and_upgrading() {
        let cases = templates();
        let mut row = good();
        assert_eq!(template_for(&row, &cases).unwrap().id, "honduras-drip");
        row.upgrading = Upgrading::Functional;
        assert_eq!(template_for(&row, &cases).unwrap().id, "guatemala-truck");
        row.value_chain = "Horticulture".into();
        assert_eq!(template_for(&row, &cases).unwrap().id, "guatemala-truck");
        row.upgrading = Upgrading::Intersectoral;
        let e = template_for(&row, &cases).unwrap_err();
        assert_eq!(e.field, "upgrading");
        assert!(e.reason.contains("process (honduras-drip)"), "{}", e.reason);
        assert!(
            e.reason.contains("avocado, cocoa, horticulture"),
            "{}",
            e.reason
        );
        row.value_chain = "dairy".into();
        let e = template_for(&row, &cases).unwrap_err();
        assert_eq!(e.field, "value_chain");
        assert!(
            e.reason
                .contains("(avocado, cocoa, horticulture), found `dairy`"),
            "{}",
            e.reason
        );
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(1e-300)
    }

    #[test]
    fn a_good_row_maps_to_a_valid_case_sized_to_it() {
        let cases = templates();
        let row = good();
        let template = template_for(&row, &cases).unwrap();
        let c = apply(&row, template).unwrap();
        c.validate().unwrap();
        assert_eq!(c.id, "HN-001");
        assert!(rel(month0_investment_cost(&c), 52_000.0) < 1e-9);
        assert!(rel(revenue_per_year(&c, Which::Without), 48_000.0) < 1e-9);
        assert!(rel(operating_costs_per_year(&c, Which::Without), 30_000.0) < 1e-9);
        assert!(rel(revenue_per_year(&c, Which::With), 48_000.0 * 1.45) < 1e-9);
        assert_eq!(c.financing.amount, Some(dec!(1250.50)));
        assert_eq!(c.household.cash_buffer, 6000.0);
        let tomato = &c.activities[0];
        assert_eq!(tomato.with.as_ref().unwrap().mix["packer"], 0.7);
        // Shapes are kept: the yield is still a named PERT.
        let y = &tomato.with.as_ref().unwrap().output_per_year;
        assert_eq!(y.name.as_deref(), Some("tomato_yield_drip"));
        assert!(matches!(y.dist, crate::math::dist::Dist::Pert(_)));
    }

    #[test]
    fn without_an_uplift_the_template_ratio_holds() {
        let cases = templates();
        let mut row = good();
        row.expected_uplift = None;
        row.channel_mix = None;
        let t = template_for(&row, &cases).unwrap();
        let c = apply(&row, t).unwrap();
        let ratio = revenue_per_year(t, Which::With) / revenue_per_year(t, Which::Without);
        assert!(rel(revenue_per_year(&c, Which::With), 48_000.0 * ratio) < 1e-9);
    }

    #[test]
    fn distance_reaches_only_channels_that_charge_transport() {
        let cases = templates();
        let mut row = good();
        row.value_chain = "avocado".into();
        row.upgrading = Upgrading::Product;
        row.channel_mix = Some(vec![("exporter".into(), 0.6), ("domestic".into(), 0.4)]);
        row.distance_km = Some(140.0);
        let c = apply(&row, template_for(&row, &cases).unwrap()).unwrap();
        let avocado = &c.activities[1];
        assert_eq!(avocado.channel("domestic").unwrap().distance_km, 140.0);
        assert_eq!(avocado.channel("exporter").unwrap().distance_km, 0.0);
        assert!(rel(revenue_per_year(&c, Which::Without), 48_000.0) < 1e-9);
    }

    #[test]
    fn mixes_naming_unknown_channels_or_on_single_channel_templates_are_rejected() {
        let cases = templates();
        let mut row = good();
        row.channel_mix = Some(vec![("supermarket".into(), 1.0)]);
        let e = apply(&row, template_for(&row, &cases).unwrap()).unwrap_err();
        assert_eq!(e.field, "channel_mix");
        assert!(
            e.reason.contains("(trader, packer), found `supermarket`"),
            "{}",
            e.reason
        );
        row.value_chain = "cocoa".into();
        row.channel_mix = Some(vec![("collector".into(), 1.0)]);
        let e = apply(&row, template_for(&row, &cases).unwrap()).unwrap_err();
        assert_eq!(e.field, "channel_mix");
        assert!(e.reason.contains("no activity with two or more channels"));
    }

    #[test]
    fn a_start_up_row_scales_the_with_path_by_the_investment() {
        let cases = templates();
        let mut row = good();
        row.baseline_revenue = Decimal::ZERO;
        row.baseline_costs = Decimal::ZERO;
        row.expected_uplift = None;
        let t = template_for(&row, &cases).unwrap();
        let c = apply(&row, t).unwrap();
        assert_eq!(revenue_per_year(&c, Which::Without), 0.0);
        let k_inv = 52_000.0 / month0_investment_cost(t);
        let mut t_mix = t.clone();
        t_mix.activities[0].with.as_mut().unwrap().mix =
            [("trader".to_string(), 0.3), ("packer".to_string(), 0.7)].into();
        assert!(
            rel(
                revenue_per_year(&c, Which::With),
                k_inv * revenue_per_year(&t_mix, Which::With)
            ) < 1e-9
        );
        row.baseline_costs = dec!(100);
        assert_eq!(apply(&row, t).unwrap_err().field, "baseline_costs");
        row.baseline_costs = Decimal::ZERO;
        row.expected_uplift = Some(0.2);
        assert_eq!(apply(&row, t).unwrap_err().field, "expected_uplift");
    }

    #[test]
    fn text_with_control_characters_is_refused() {
        for (field, value) in [
            ("region", "Me\0ru"),
            ("id", "A\nB"),
            ("value_chain", "cof\u{7}fee"),
        ] {
            let e = rejected(field, value);
            assert_eq!(e.field, field);
            assert!(
                e.reason.contains("without control characters"),
                "{}",
                e.reason
            );
        }
    }

    #[test]
    fn a_principal_error_names_the_requested_amount() {
        let e =
            Error::invalid("principal", "an amount in (0, 1e15]", "0.00").with_field("product `p`");
        let r = RowError::from_error(&e, 4, Some("A"));
        assert_eq!(r.field, "requested_amount");
        assert!(
            r.reason.starts_with("product `p`: the principal lent"),
            "{}",
            r.reason
        );
        assert!(r.reason.ends_with("found 0.00"), "{}", r.reason);
        let e = Error::invalid("horizon", "x", "y").with_field("product `p`");
        assert_eq!(
            RowError::from_error(&e, 4, None).field,
            "product `p`.horizon"
        );
    }

    #[test]
    fn control_characters_in_a_reason_are_shown_as_escapes() {
        let e = RowError::new(3, Some("A"), "region", "found `X\0Y\tZ` and `é`");
        assert_eq!(e.reason, "found `X\\u{0}Y\\tZ` and `é`");
    }

    #[test]
    fn a_row_error_displays_like_a_rejected_csv_line() {
        let e = RowError::new(12, Some("K-7"), "channel_mix", "expected x, found y");
        assert_eq!(
            e.to_string(),
            "line 12, id `K-7`, field `channel_mix`: expected x, found y"
        );
    }
}
