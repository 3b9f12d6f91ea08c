//! `terrace design`: search a product space on a case (methods section 9)
//! and recommend a product, with the reason and its price.

use std::fmt::Write as _;
use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::cli::{DesignArgs, Outcome};
use super::cmd_compare::load_instruments;
use super::files::Sink;
use super::render::{decimal_json, write_json, Cell, Format, Table};
use super::shared::{load_case, with_pool};
use super::toml_file::load;
use crate::domain::case::Case;
use crate::domain::instrument::Instrument;
use crate::domain::product::Product;
use crate::domain::space::Space;
use crate::engine::design::{design, recommended, term_name, Design, Row};
use crate::{Error, ErrorKind, Result};

/// Frontier rows shown in the table format (all are in csv and json).
const SHOWN: usize = 15;

/// Loads and validates a space file, with file and line on any error,
/// and the instruments of its `instruments_dir` (a folder relative to the
/// space file; none when it names none).
pub fn load_space(
    path: &std::path::Path,
) -> Result<(Space, super::toml_file::Source, Vec<Instrument>)> {
    let (space, source) = load::<Space>(path)?;
    space.validate().map_err(|e| source.locate(e))?;
    let instruments = match &space.instruments_dir {
        Some(dir) => {
            let dir = path.parent().unwrap_or(std::path::Path::new("")).join(dir);
            if !dir.is_dir() {
                return Err(source.locate(Error::invalid(
                    "instruments_dir",
                    "a folder of instrument files, relative to the space file",
                    format!("{} (not a folder)", dir.display()),
                )));
            }
            load_instruments(&dir)?
        }
        None => Vec::new(),
    };
    Ok((space, source, instruments))
}

/// Runs `terrace design`.
pub fn run(args: &DesignArgs) -> Result<Outcome> {
    let case = load_case(&args.case)?;
    let (mut space, source, instruments) = load_space(&args.space)?;
    if let Some(v) = args.pd_max {
        space.constraints.pd_annual_max = v;
        space
            .validate_constraints()
            .map_err(|e| Error::usage(format!("--pd-max: {}", e.message())))?;
    }
    if let Some(v) = args.dscr_min {
        space.constraints.dscr_p10_min = v;
        space
            .validate_constraints()
            .map_err(|e| Error::usage(format!("--dscr-min: {}", e.message())))?;
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos} candidates [{elapsed_precise}] {per_sec}")
    {
        bar.set_style(style);
    }
    let d = with_pool(args.paths, args.threads, || {
        design(&space, &case, &instruments, args.paths, args.seed, &|n| {
            bar.set_position(n as u64)
        })
    })?
    .map_err(|e| {
        // A space that leaves no candidate on this case is the space
        // file's fault: say where.
        if e.location()
            .field
            .as_deref()
            .is_some_and(|f| f.starts_with("vary"))
        {
            source.locate(e)
        } else {
            e
        }
    })?;
    bar.finish_and_clear();

    let mut sink = args.out.sink()?;
    let out = sink.writer();
    let written = match args.out.format {
        Format::Json => write_json(&json_report(&case, &space, &d), out),
        Format::Csv => candidates_table(&d).write_csv(out, true),
        Format::Table => write_text(&case, &space, &d, out),
    };
    written.map_err(|e| sink.io_error(e))?;
    sink.finish()?;

    let Some(product) = recommended(&d) else {
        // The report above says what failed; the error names the file and
        // what binds most, and the exit code says no product was found.
        return Err(source
            .locate(Error::new(ErrorKind::Invalid, d.reason.clone()).with_field("constraints")));
    };
    if let Some(path) = &args.emit {
        let mut sink = Sink::open(Some(path))?;
        let text = product_toml(&product, &case, &space, &d);
        sink.writer()
            .write_all(text.as_bytes())
            .map_err(|e| sink.io_error(e))?;
        sink.finish()?;
    }
    Ok(Outcome::Complete)
}

fn dec(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A product as a `products/*.toml` file, with a comment saying where it
/// came from.
pub fn product_toml(p: &Product, case: &Case, space: &Space, d: &Design) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Recommended by `terrace design` for case {}, space {} ({} paths, seed {}):",
        case.id, space.id, d.paths, d.seed
    );
    for line in textwrap(&d.reason, 76) {
        let _ = writeln!(s, "# {line}");
    }
    let _ = writeln!(s, "id = \"{}\"", p.id);
    let _ = writeln!(s, "name = \"{}\"", p.name.replace('"', "'"));
    let _ = writeln!(s, "currency = \"{}\"", p.currency);
    let _ = writeln!(s, "minor_unit = {}", p.minor_unit);
    let _ = writeln!(s, "rounding = \"{}\"", term_name(p.rounding));
    let _ = writeln!(s, "annual_rate = {}", dec(p.annual_rate));
    let _ = writeln!(s, "rate_basis = \"{}\"", term_name(p.rate_basis));
    let _ = writeln!(s, "tenor_months = {}", p.tenor_months);
    let _ = writeln!(s, "grace_months = {}", p.grace_months);
    let _ = writeln!(s, "grace_interest = \"{}\"", term_name(p.grace_interest));
    let _ = writeln!(s, "frequency = \"{}\"", term_name(p.frequency));
    if !p.harvest_months.is_empty() {
        let _ = writeln!(s, "harvest_months = {:?}", p.harvest_months);
    }
    let _ = writeln!(s, "amortisation = \"{}\"", term_name(p.amortisation));
    if let Some(b) = p.balloon_share {
        let _ = writeln!(s, "balloon_share = {}", dec(b));
    }
    if !p.harvest_weights.is_empty() {
        let w: Vec<String> = p.harvest_weights.iter().map(|x| dec(*x)).collect();
        let _ = writeln!(s, "harvest_weights = [{}]", w.join(", "));
    }
    let _ = writeln!(s, "upfront_fee_pct = {}", dec(p.upfront_fee_pct));
    let _ = writeln!(s, "fixed_fee = {}", dec(p.fixed_fee));
    let _ = writeln!(
        s,
        "insurance_pct_per_year = {}",
        dec(p.insurance_pct_per_year)
    );
    let _ = writeln!(
        s,
        "compulsory_savings_pct = {}",
        dec(p.compulsory_savings_pct)
    );
    let _ = writeln!(s, "down_payment_pct = {}", dec(p.down_payment_pct));
    let _ = writeln!(s, "\n[collateral]");
    let _ = writeln!(s, "kind = \"{}\"", term_name(p.collateral.kind));
    if let Some(h) = p.collateral.recovery_haircut {
        let _ = writeln!(s, "recovery_haircut = {}", dec(h));
    }
    let _ = writeln!(
        s,
        "recovery_delay_months = {}",
        p.collateral.recovery_delay_months
    );
    let l = &p.lender;
    let _ = writeln!(s, "\n[lender]");
    let _ = writeln!(s, "cost_of_funds = {:?}", l.cost_of_funds);
    let _ = writeln!(s, "operating_cost_rate = {:?}", l.operating_cost_rate);
    let _ = writeln!(s, "risk_free = {:?}", l.risk_free);
    let _ = writeln!(s, "hurdle = {:?}", l.hurdle);
    let _ = writeln!(s, "default_days_past_due = {}", l.default_days_past_due);
    let _ = writeln!(s, "unlikely_to_pay_share = {:?}", l.unlikely_to_pay_share);
    let _ = writeln!(s, "recovery_cost_share = {:?}", l.recovery_cost_share);
    let _ = writeln!(s, "group_recovery_share = {:?}", l.group_recovery_share);
    let _ = writeln!(
        s,
        "unsecured_recovery_share = {:?}",
        l.unsecured_recovery_share
    );
    s
}

fn textwrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("never empty");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

const METRIC_COLUMNS: [&str; 10] = [
    "annual_rate",
    "principal",
    "ce_gain",
    "raroc",
    "pd_annual",
    "dscr_p10",
    "dscr_min_p10",
    "subsistence_rise",
    "expected_loss",
    "donor_cost",
];

fn metric_cells(r: &Row) -> Vec<Cell> {
    match &r.metrics {
        None => vec![Cell::Empty; METRIC_COLUMNS.len()],
        Some(m) => vec![
            Cell::Dec(m.annual_rate.normalize()),
            Cell::Num(m.principal, 0),
            Cell::Num(m.ce_gain, 1),
            Cell::num(m.raroc, 4),
            Cell::Num(m.pd_annual, 4),
            Cell::num(Some(m.dscr_p10), 2),
            Cell::num(Some(m.dscr_min_p10), 2),
            Cell::Num(m.subsistence_rise, 4),
            Cell::Num(m.expected_loss, 0),
            Cell::Num(m.donor_cost, 0),
        ],
    }
}

/// Every candidate, one row each (the csv output).
fn candidates_table(d: &Design) -> Table {
    let mut t = Table::new(
        [
            "id",
            "tenor_months",
            "grace_months",
            "grace_interest",
            "frequency",
            "amortisation",
            "balloon_share",
            "upfront_fee_pct",
            "down_payment_pct",
            "collateral",
            "instrument",
            "rate_solved",
        ]
        .into_iter()
        .chain(METRIC_COLUMNS)
        .chain([
            "feasible",
            "meets_unwaived",
            "binding",
            "frontier",
            "recommended",
        ]),
    );
    for (i, r) in d.rows.iter().enumerate() {
        let x = &r.candidate.terms;
        let mut row = vec![
            Cell::Text(r.candidate.id.clone()),
            Cell::Int(x.tenor_months.into()),
            Cell::Int(x.grace_months.into()),
            Cell::Text(term_name(x.grace_interest)),
            Cell::Text(x.calendar.as_str().to_string()),
            Cell::Text(term_name(x.amortisation)),
            x.balloon_share.map_or(Cell::Empty, Cell::Dec),
            Cell::Dec(x.upfront_fee_pct),
            Cell::Dec(x.down_payment_pct),
            Cell::Text(term_name(x.collateral)),
            x.instrument.clone().map_or(Cell::Empty, Cell::Text),
            r.metrics
                .as_ref()
                .and_then(|m| m.rate_solved)
                .map_or(Cell::Empty, Cell::Bool),
        ];
        row.extend(metric_cells(r));
        row.extend([
            Cell::Bool(r.feasible()),
            Cell::Bool(r.meets(&d.waived)),
            r.binding()
                .map_or(Cell::Empty, |c| Cell::Text(c.as_str().to_string())),
            Cell::Bool(r.frontier),
            Cell::Bool(d.knee == Some(i)),
        ]);
        t.push(row);
    }
    t
}

/// The frontier, highest CE gain first (the table and json outputs).
fn frontier_table(d: &Design) -> Table {
    let mut idx: Vec<usize> = (0..d.rows.len()).filter(|&i| d.rows[i].frontier).collect();
    let ce = |i: usize| d.rows[i].metrics.as_ref().map_or(0.0, |m| m.ce_gain);
    idx.sort_by(|&a, &b| ce(b).total_cmp(&ce(a)).then(a.cmp(&b)));
    let mut t = Table::new(
        ["id"]
            .into_iter()
            .chain(METRIC_COLUMNS)
            .chain(["recommended"]),
    );
    for i in idx {
        let r = &d.rows[i];
        let mut row = vec![Cell::Text(r.candidate.id.clone())];
        row.extend(metric_cells(r));
        row.push(Cell::Bool(d.knee == Some(i)));
        t.push(row);
    }
    t
}

fn constraints_line(d: &Design) -> String {
    format!(
        "annual PD ≤ {}, DSCR p10 ≥ {}, RAROC ≥ {}, tenor ≤ asset life ({} months), P(W < subsistence) rise ≤ {}, CE gain ≥ {}/month",
        d.constraints.pd_annual_max,
        d.constraints.dscr_p10_min,
        d.raroc_min,
        d.facts.asset_life_months,
        d.constraints.subsistence_rise_max,
        d.constraints.ce_gain_min
    )
}

fn write_text(case: &Case, space: &Space, d: &Design, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "case {} — {} ({}); space {}: {} candidates ({} combinations not applicable), {} paths, seed {}",
        case.id,
        case.name,
        case.currency,
        space.id,
        d.rows.len(),
        d.skipped,
        d.paths,
        d.seed
    )?;
    let f = &d.facts;
    writeln!(
        out,
        "case facts: harvest months {}, asset life {} months, horizon {} months, first extra sales in month {}",
        if f.harvest_months.is_empty() {
            "none (sales spread evenly; no harvest calendar)".to_string()
        } else {
            format!(
                "{:?} (weights {})",
                f.harvest_months,
                f.harvest_weights
                    .iter()
                    .map(|w| w.normalize().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        f.asset_life_months,
        f.horizon_months,
        f.first_gain_month
            .map_or("-".to_string(), |m| m.to_string())
    )?;
    writeln!(out, "constraints: {}", constraints_line(d))?;
    let counts = d
        .binding_counts()
        .iter()
        .map(|(c, n)| format!("{} {n}", c.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    writeln!(
        out,
        "feasible: {} of {}; failing candidates by binding constraint: {}",
        d.feasible(),
        d.rows.len(),
        if counts.is_empty() {
            "none".into()
        } else {
            counts
        }
    )?;
    if !d.waived.is_empty() {
        let words: Vec<&str> = d.waived.iter().map(|c| c.as_str()).collect();
        writeln!(
            out,
            "waived (constraints.relax, because no candidate meets every constraint): {}; {} candidates meet the rest",
            words.join(", "),
            d.qualifying()
        )?;
    }
    if d.tied {
        writeln!(
            out,
            "only products tied to a donor instrument qualify: the frontier is drawn from them"
        )?;
    }
    writeln!(out)?;
    let Some(k) = d.knee else {
        writeln!(out, "{}", d.reason)?;
        return Ok(());
    };
    let mut t = frontier_table(d);
    let n = t.rows.len();
    writeln!(out, "non-dominated products ({n}; highest CE gain first; CE gain per month, PD and RAROC annual):")?;
    if n > SHOWN {
        // Keep the recommended row visible when it is past the cut.
        let keep: Vec<Vec<Cell>> = t
            .rows
            .iter()
            .enumerate()
            .filter(|(i, r)| *i < SHOWN || r.last() == Some(&Cell::Bool(true)))
            .map(|(_, r)| r.clone())
            .collect();
        t.rows = keep;
    }
    t.write_aligned(out)?;
    if n > SHOWN {
        writeln!(out, "… {} more in --format csv or json", n - t.rows.len())?;
    }
    writeln!(out)?;
    let r = &d.rows[k];
    writeln!(
        out,
        "recommended: {} — {}",
        r.candidate.id, r.candidate.product.name
    )?;
    writeln!(out, "why: {}", d.reason)?;
    if let (Some(p), Some(m)) = (&d.pricing, &r.metrics) {
        let c = &p.cost_plus;
        writeln!(
            out,
            "pricing (F18–F20): charged {:.2}%; cost-plus break-even {:.2}% = cost of funds {:.2}% + operating {:.2}% + expected loss {:.2}% + capital charge {:.2}% − upfront fees {:.2}% (economic capital {:.0}); CGAP sustainable rate {:.2}%; RAROC = hurdle at {}",
            100.0 * crate::math::money::to_f64(m.annual_rate),
            100.0 * c.rate,
            100.0 * c.cost_of_funds,
            100.0 * c.operating_cost,
            100.0 * c.expected_loss,
            100.0 * c.capital_charge,
            100.0 * c.fees,
            c.economic_capital,
            100.0 * c.cgap_rate,
            match (p.hurdle_rate, p.raroc_at_hurdle_rate) {
                (Some(h), Some(x)) => format!(
                    "{:.2}% (RAROC there {:.2}%)",
                    100.0 * crate::math::money::to_f64(h),
                    100.0 * x
                ),
                _ => "no rate up to 100%".to_string(),
            }
        )?;
    }
    Ok(())
}

fn json_report(case: &Case, space: &Space, d: &Design) -> Value {
    let counts: serde_json::Map<String, Value> = d
        .binding_counts()
        .iter()
        .map(|(c, n)| (c.as_str().to_string(), json!(n)))
        .collect();
    let rec = d.knee.map(|k| {
        let r = &d.rows[k];
        json!({
            "id": r.candidate.id,
            "name": r.candidate.product.name,
            "tightest_constraint": r.tightest().map(|(c, _)| c.as_str()),
            "instrument": r.candidate.terms.instrument,
        })
    });
    let pricing = d.pricing.as_ref().map(|p| {
        let c = &p.cost_plus;
        json!({
            "cost_plus_rate": c.rate,
            "cost_of_funds": c.cost_of_funds,
            "operating_cost": c.operating_cost,
            "operating_cost_per_loan": c.operating_cost_per_loan,
            "expected_loss": c.expected_loss,
            "capital_charge": c.capital_charge,
            "fees": c.fees,
            "economic_capital": c.economic_capital,
            "cgap_rate": c.cgap_rate,
            "hurdle_rate": p.hurdle_rate.map(decimal_json),
            "raroc_at_hurdle_rate": p.raroc_at_hurdle_rate,
        })
    });
    json!({
        "case": case.id,
        "currency": case.currency,
        "space": space.id,
        "paths": d.paths,
        "seed": d.seed,
        "candidates_count": d.rows.len(),
        "not_applicable": d.skipped,
        "feasible": d.feasible(),
        "facts": {
            "harvest_months": d.facts.harvest_months,
            "harvest_weights": d.facts.harvest_weights.iter().map(|w| decimal_json(*w)).collect::<Vec<_>>(),
            "asset_life_months": d.facts.asset_life_months,
            "horizon_months": d.facts.horizon_months,
            "first_gain_month": d.facts.first_gain_month,
        },
        "constraints": {
            "pd_annual_max": d.constraints.pd_annual_max,
            "dscr_p10_min": d.constraints.dscr_p10_min,
            "raroc_min": d.raroc_min,
            "subsistence_rise_max": d.constraints.subsistence_rise_max,
            "ce_gain_min": d.constraints.ce_gain_min,
            "relax": d.constraints.relax,
        },
        "waived": d.waived.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "tied_to_instrument": d.tied,
        "binding_counts": counts,
        "recommended": rec,
        "reason": d.reason,
        "pricing": pricing,
        "frontier": frontier_table(d).json(),
        "candidates": candidates_table(d).json(),
    })
}
