//! `terrace report`: one self-contained HTML file for a credit committee,
//! of a case under its products or of a portfolio run's output directory.
//!
//! This module runs the engines and does the files; the report itself is
//! rendered by the pure functions of [`super::report`].

use std::path::{Path, PathBuf};

use super::cli::{Outcome, ReportArgs};
use super::files::{read_text, Sink};
use super::report::book::{book_report, BookReport};
use super::report::case::{case_report, CaseReport, ChannelsView, TornadoView};
use super::report::html::{render, Document};
use super::report::portfolio::{
    parse_csv, parse_summary, LoanRow, LossRow, SegmentRow, LOAN_COLUMNS, LOSS_COLUMNS,
    SEGMENT_COLUMNS,
};
use super::shared::{load_case, load_products, progress_bar, with_pool};
use crate::engine::appraisal::{appraise_with, cash_without, LoanFlows};
use crate::engine::cashflow::CaseFlows;
use crate::engine::channels::{evaluate, grid};
use crate::engine::design::design;
use crate::engine::sensitivity::tornado;
use crate::engine::simulate::{simulate_detailed, Config, Prepared};
use crate::{Error, Result};

/// Most paths per tornado run: two runs per random input, so the tornado
/// costs 2 × inputs × paths; 2,000 is `terrace sensitivity`'s default.
pub const TORNADO_PATHS: usize = 2_000;
/// Most paths per channel mix.
pub const CHANNEL_PATHS: usize = 1_000;
/// Most paths for the design search: it runs every candidate of the space
/// (thousands) on these paths.
pub const DESIGN_PATHS: usize = 500;
/// The annual PD ceiling for the best channel mix (F55 default).
const PD_MAX: f64 = 0.03;

/// Runs `terrace report`.
pub fn run(args: &ReportArgs) -> Result<Outcome> {
    let doc = match (&args.case, &args.portfolio_dir) {
        (Some(case), None) => case_document(case, args)?,
        (None, Some(dir)) => portfolio_document(dir, args)?,
        _ => {
            return Err(Error::usage(
                "give a case file, or --portfolio-dir DIR for a portfolio report",
            ))
        }
    };
    if let Some(dir) = &args.charts {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::usage(format!(
                "--charts: expected a folder for the charts' SVG files, found the file {}",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for figure in doc.sections.iter().flat_map(|s| &s.figures) {
            write_file(&dir.join(format!("{}.svg", figure.id)), &figure.svg)?;
        }
    }
    write_file(&args.output, &render(&doc))?;
    Ok(Outcome::Complete)
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    let mut sink = Sink::open(Some(path))?;
    sink.writer()
        .write_all(text.as_bytes())
        .map_err(|e| sink.io_error(e))?;
    sink.finish()
}

fn shell_word(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command line that reproduces this report (thread count left out:
/// results do not depend on it).
fn command_line(args: &ReportArgs) -> String {
    let mut words = vec!["terrace".to_string(), "report".to_string()];
    if let Some(case) = &args.case {
        words.push(shell_word(case));
        for p in &args.loans.product {
            words.push(format!("--product {}", shell_word(p)));
        }
        if let Some(d) = &args.loans.products {
            words.push(format!("--products {}", shell_word(d)));
        }
        words.push(format!("--paths {}", args.mc.paths));
        words.push(format!("--seed {}", args.mc.seed));
        if let Some(space) = &args.space {
            words.push(format!("--space {}", shell_word(space)));
        }
    }
    if let Some(dir) = &args.portfolio_dir {
        words.push(format!("--portfolio-dir {}", shell_word(dir)));
    }
    words.push(format!("--output {}", shell_word(&args.output)));
    if let Some(dir) = &args.charts {
        words.push(format!("--charts {}", shell_word(dir)));
    }
    words.join(" ")
}

fn case_document(path: &Path, args: &ReportArgs) -> Result<Document> {
    let case = load_case(path)?;
    let text = read_text(path)?;
    let products = load_products(&args.loans)?;
    let loans = products
        .iter()
        .map(|p| LoanFlows::for_case(&case, p))
        .collect::<Result<Vec<_>>>()?;
    let base = CaseFlows::build(&case)?;
    let appraisal = appraise_with(&case, &base, &loans);
    let without = cash_without(&base, case.household.cash_buffer);
    let prep = Prepared::new(&case, &products)?;
    // The tornado and the channel mixes look at the first product only:
    // each costs a simulation per input or per mix.
    let focus = Prepared::new(&case, std::slice::from_ref(&products[0]))?;
    let channel_setup = case
        .upgraded_activity()
        .map(|a| {
            let names: Vec<String> = case.activities[a]
                .channels
                .iter()
                .map(|c| c.name.clone())
                .collect();
            let step = if names.len() <= 3 { "0.1" } else { "0.25" };
            grid(names.len(), step).map(|mixes| (a, names, step, mixes))
        })
        .transpose()?;

    let paths = args.mc.paths;
    let seed = args.mc.seed;
    let bar = progress_bar(paths as u64, "paths");
    let cfg = Config {
        paths,
        seed,
        ..Config::default()
    };
    let space = args
        .space
        .as_deref()
        .map(super::cmd_design::load_space)
        .transpose()?;
    let (simulation, detail, bars, mixes, designed) = with_pool(paths, args.mc.threads, || {
        let (simulation, detail) =
            simulate_detailed(&prep, &cfg, &|done| bar.set_position(done as u64));
        bar.finish_and_clear();
        let bars = tornado(&focus, 0, paths.min(TORNADO_PATHS), seed);
        let mixes = channel_setup
            .as_ref()
            .map(|(a, _, _, mixes)| {
                evaluate(
                    &focus,
                    *a,
                    mixes,
                    paths.min(CHANNEL_PATHS),
                    seed,
                    PD_MAX,
                    &|_| {},
                )
            })
            .transpose();
        let designed = space
            .as_ref()
            .map(|(space, _, instruments)| {
                design(
                    space,
                    &case,
                    instruments,
                    paths.min(DESIGN_PATHS),
                    seed,
                    &|_| {},
                )
            })
            .transpose();
        (simulation, detail, bars, mixes, designed)
    })?;
    let mixes = mixes?;
    let designed = designed?;

    let case_path = path.display().to_string();
    case_report(&CaseReport {
        case: &case,
        case_text: &text,
        case_path: &case_path,
        appraisal: &appraisal,
        loans: &loans,
        cash_without: &without,
        simulation: &simulation,
        detail: &detail,
        tornado: Some(TornadoView {
            product: products[0].id.clone(),
            paths: paths.min(TORNADO_PATHS),
            rows: bars,
        }),
        channels: channel_setup
            .zip(mixes)
            .map(|((a, names, step, _), rows)| ChannelsView {
                activity: case.activities[a].name.clone(),
                channels: names,
                paths: paths.min(CHANNEL_PATHS),
                step: step.into(),
                pd_max: PD_MAX,
                rows,
            }),
        design: designed.as_ref(),
        command: command_line(args),
    })
}

/// The files of a portfolio output directory, each checked before any is
/// parsed so a missing one is named first.
fn portfolio_files(dir: &Path) -> Result<[PathBuf; 4]> {
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "--portfolio-dir: expected a directory written by terrace portfolio, found no directory at {}",
            dir.display()
        )));
    }
    let files = ["portfolio.json", "loans.csv", "segments.csv", "losses.csv"].map(|f| dir.join(f));
    for f in &files {
        if !f.is_file() {
            return Err(Error::usage(format!(
                "--portfolio-dir: expected {} in {} (terrace portfolio writes portfolio.json, loans.csv, segments.csv and losses.csv), found none",
                f.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                dir.display()
            ))
            .with_file(f));
        }
    }
    Ok(files)
}

fn portfolio_document(dir: &Path, args: &ReportArgs) -> Result<Document> {
    let [json, loans, segments, losses] = portfolio_files(dir)?;
    let summary = parse_summary(&read_text(&json)?, &json)?;
    let loans: Vec<LoanRow> = parse_csv(&read_text(&loans)?, &loans, &LOAN_COLUMNS)?;
    let segments: Vec<SegmentRow> = parse_csv(&read_text(&segments)?, &segments, &SEGMENT_COLUMNS)?;
    let losses: Vec<LossRow> = parse_csv(&read_text(&losses)?, &losses, &LOSS_COLUMNS)?;
    let dir_text = dir.display().to_string();
    book_report(&BookReport {
        dir: &dir_text,
        summary: &summary,
        loans: &loans,
        segments: &segments,
        losses: &losses,
        command: command_line(args),
    })
}
