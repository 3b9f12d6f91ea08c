//! The command line: argument definitions and dispatch. Each command lives in
//! its own `cmd_*` module; this file only parses and maps outcomes to exit
//! codes (0 success, 1 finished with rejected input rows, 2 error).

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::files::Sink;
use super::render::Format;
use crate::Result;

/// terrace: appraise MSE upgrading investments and design the loan products
/// that finance them.
#[derive(Debug, Parser)]
#[command(name = "terrace", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate many cash-flow series from a long CSV (series_id,period,amount
    /// or series_id,date,amount): NPV, IRR with status, MIRR, payback.
    Flows(FlowsArgs),
    /// Print a loan product's repayment schedule and its APR/EIR.
    ///
    /// table: the rows, then a summary (totals, payments, APR, EIR as
    /// fractions). csv: the rows only, one rectangular table; the summary is
    /// in the json output. json: {"schedule": [...], "summary": {...}}.
    Schedule(ScheduleArgs),
    /// Appraise a case: project view and, per loan product, financing view.
    Appraise(AppraiseArgs),
    /// Monte Carlo: default risk, expected loss, lender return and household
    /// welfare of each product on a case's simulated cash flows.
    Simulate(SimulateArgs),
    /// Tornado and switching values: which inputs move the results.
    Sensitivity(SensitivityArgs),
    /// Evaluate a loan book from CSV: every row under every product, shared
    /// regional and value-chain shocks, per-segment results and the book's
    /// loss distribution.
    Portfolio(PortfolioArgs),
    /// Channel mixes of the upgraded activity under each product: income,
    /// certainty equivalent, PD; efficient mixes marked.
    Channels(ChannelsArgs),
    /// Write a synthetic portfolio CSV (the portfolio schema) across the
    /// bundled case templates; the same seed gives the same bytes.
    GeneratePortfolio(GenerateArgs),
    /// Donor instruments against the no-instrument baseline, on a case or
    /// a portfolio, under the lender's acceptance rule: additional loans,
    /// lending, household gain, donor cost, leverage, benefit-cost ratio.
    Compare(CompareArgs),
    /// One self-contained HTML report (inline SVG charts and CSS) of a case
    /// under its products, or of a `terrace portfolio` output directory.
    Report(ReportArgs),
    /// Search a product space on a case: every candidate on the same
    /// scenarios, the constraints each fails, the non-dominated set, the
    /// recommended product (the frontier's knee) and its pricing.
    Design(DesignArgs),
}

/// Where and how a command writes its result.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to FILE instead of standard output (written to a temporary name
    /// and renamed when complete).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl OutputArgs {
    /// Opens the destination.
    pub fn sink(&self) -> Result<Sink> {
        Sink::open(self.output.as_deref())
    }
}

/// Arguments of `terrace flows`.
#[derive(Debug, Clone, Args)]
pub struct FlowsArgs {
    /// Long CSV: `series_id,period,amount` or `series_id,date,amount`.
    pub file: PathBuf,
    /// Discount rate per period (annual for dated series), e.g. 0.1.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub rate: f64,
    /// MIRR finance rate (default: --rate).
    #[arg(long, allow_negative_numbers = true)]
    pub finance_rate: Option<f64>,
    /// MIRR reinvestment rate (default: --rate).
    #[arg(long, allow_negative_numbers = true)]
    pub reinvest_rate: Option<f64>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `terrace schedule`.
#[derive(Debug, Clone, Args)]
pub struct ScheduleArgs {
    /// Loan product file (TOML), e.g. products/upgrading-60m-grace.toml.
    #[arg(long, value_name = "FILE")]
    pub product: PathBuf,
    /// Amount lent, in the currency's units, e.g. 1000 or 1250.50.
    #[arg(long, allow_negative_numbers = true)]
    pub principal: String,
    /// Disbursement month YYYY-MM; places harvest months on the calendar.
    #[arg(long, value_name = "YYYY-MM", default_value = "2026-01")]
    pub start: String,
    /// Override the product's nominal annual rate, e.g. 0.24.
    #[arg(long, allow_negative_numbers = true)]
    pub annual_rate: Option<String>,
    /// Override the product's tenor in months.
    #[arg(long)]
    pub tenor_months: Option<u32>,
    /// Override the product's grace period in months.
    #[arg(long)]
    pub grace_months: Option<u32>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `terrace appraise`.
#[derive(Debug, Clone, Args)]
pub struct AppraiseArgs {
    /// Case file (TOML), e.g. data/cases/kenya-avocado.toml.
    pub case: PathBuf,
    /// Loan products.
    #[command(flatten)]
    pub loans: ProductArgs,
    /// Also show each product's month-by-month household cash after debt service.
    #[arg(long)]
    pub monthly: bool,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// The loan products a command runs: files and directories of them.
#[derive(Debug, Clone, Args)]
pub struct ProductArgs {
    /// A loan product file; repeat for several.
    #[arg(long, value_name = "FILE")]
    pub product: Vec<PathBuf>,
    /// Every `*.toml` product in a directory.
    #[arg(long, value_name = "DIR")]
    pub products: Option<PathBuf>,
}

impl ProductArgs {
    /// Whether no product was named.
    pub fn is_empty(&self) -> bool {
        self.product.is_empty() && self.products.is_none()
    }
}

/// Monte Carlo options shared by the commands that simulate.
#[derive(Debug, Clone, Args)]
pub struct McArgs {
    /// Number of simulated paths (1 to 1,000,000).
    #[arg(long, default_value_t = 10_000)]
    pub paths: usize,
    /// Seed: the same seed gives the same results whatever the thread count.
    #[arg(long, default_value_t = 20_261_129)]
    pub seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Arguments of `terrace simulate`.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Case file (TOML), e.g. data/cases/kenya-avocado.toml.
    pub case: PathBuf,
    /// Loan products.
    #[command(flatten)]
    pub loans: ProductArgs,
    /// Monte Carlo options.
    #[command(flatten)]
    pub mc: McArgs,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `terrace sensitivity`.
#[derive(Debug, Clone, Args)]
pub struct SensitivityArgs {
    /// Case file (TOML).
    pub case: PathBuf,
    /// The loan product to analyse.
    #[arg(long, value_name = "FILE")]
    pub product: PathBuf,
    /// Paths per tornado run (two runs per random input).
    #[arg(long, default_value_t = 2_000)]
    pub paths: usize,
    /// Seed shared by every run, so bars differ only by the pinned input.
    #[arg(long, default_value_t = 20_261_129)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `terrace channels`.
#[derive(Debug, Clone, Args)]
pub struct ChannelsArgs {
    /// Case file (TOML).
    pub case: PathBuf,
    /// Loan products; without any, the household pays for the investment
    /// from its own cash.
    #[command(flatten)]
    pub loans: ProductArgs,
    /// The activity whose channels are mixed (default: the with-path
    /// activity with the most channels, at least two).
    #[arg(long)]
    pub activity: Option<String>,
    /// Grid of shares: every mix whose shares are multiples of STEP.
    #[arg(
        long,
        default_value = "0.1",
        conflicts_with = "mixes",
        allow_negative_numbers = true
    )]
    pub step: String,
    /// CSV of mixes instead of a grid: a header of channel names, one mix
    /// per row.
    #[arg(long, value_name = "FILE")]
    pub mixes: Option<PathBuf>,
    /// Annual PD ceiling for the recommended mix (F55 default 3%).
    #[arg(long, default_value_t = 0.03, allow_negative_numbers = true)]
    pub pd_max: f64,
    /// Monte Carlo options.
    #[command(flatten)]
    pub mc: McArgs,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `terrace generate-portfolio`.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Number of rows (1 to 10,000,000).
    #[arg(long)]
    pub rows: u64,
    /// Seed: the same seed gives a byte-identical file.
    #[arg(long, default_value_t = 20_261_129)]
    pub seed: u64,
    /// The CSV file to write (written to a temporary name and renamed when
    /// complete).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
}

/// Arguments of `terrace portfolio`.
#[derive(Debug, Clone, Args)]
pub struct PortfolioArgs {
    /// Portfolio CSV (see data/portfolios/README.md for the schema).
    pub file: PathBuf,
    /// Loan products: each row is evaluated under every one (or under its
    /// own `product_id`).
    #[command(flatten)]
    pub loans: ProductArgs,
    /// Simulated paths per loan; 0 runs the deterministic metrics only (no
    /// PD, EL, CE gain or loss distribution).
    #[arg(long, default_value_t = 1_000)]
    pub paths: usize,
    /// Seed: the same seed gives the same outputs whatever the thread count.
    #[arg(long, default_value_t = 20_261_129)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Loading of yields and droughts on the region's weather factor (F29).
    #[arg(long, default_value_t = 0.10, allow_negative_numbers = true)]
    pub rho_region: f64,
    /// Loading of prices on the value chain's price factor (F29).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub rho_chain: f64,
    /// Annual PD ceiling for a loan to count as viable (F55).
    #[arg(long, default_value_t = 0.03, allow_negative_numbers = true)]
    pub pd_max: f64,
    /// Directory for loans.csv, segments.csv, portfolio.json and rejected.csv.
    #[arg(long, value_name = "DIR")]
    pub output_dir: PathBuf,
    /// Write loans.parquet instead of loans.csv.
    #[arg(long)]
    pub parquet: bool,
    /// Index of this file's first row in the whole book, when a book is run
    /// as shards: each loan's random stream is keyed by its index, so shards
    /// with disjoint ranges reproduce the single run.
    #[arg(long, default_value_t = 0)]
    pub row_offset: u64,
}

/// Arguments of `terrace compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Case file (TOML); or use --portfolio.
    #[arg(conflicts_with = "portfolio", required_unless_present = "portfolio")]
    pub case: Option<PathBuf>,
    /// Portfolio CSV (the generate-portfolio schema) instead of a case.
    #[arg(long, value_name = "FILE")]
    pub portfolio: Option<PathBuf>,
    /// Directory of instrument files (`*.toml`), e.g. data/instruments.
    #[arg(long, value_name = "DIR")]
    pub instruments: PathBuf,
    /// Loan products: exactly one for a case; for a portfolio, the
    /// products rows name by id (default: the bundled products).
    #[command(flatten)]
    pub loans: ProductArgs,
    /// Product for portfolio rows whose product_id is empty.
    #[arg(long, value_name = "ID", default_value = "upgrading-60m-grace")]
    pub default_product: String,
    /// Annual PD ceiling of the lender's acceptance rule (F55 default 3%).
    #[arg(long, default_value_t = 0.03, allow_negative_numbers = true)]
    pub pd_max: f64,
    /// Paths per loan (default 2,000 for a case; 30 per loan for a portfolio,
    /// so the 3,000-row sample runs in seconds: raise it for a report).
    #[arg(long)]
    pub paths: Option<usize>,
    /// Seed: the same seed gives the same results whatever the thread count.
    #[arg(long, default_value_t = 20_261_129)]
    pub seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Portfolio: loading of yields and droughts on the region's weather
    /// factor (F29; F30 default ρ 0.10 for concentrated agricultural books).
    #[arg(long, default_value_t = 0.10, allow_negative_numbers = true)]
    pub rho_region: f64,
    /// Portfolio: loading of prices on the value chain's price factor (as
    /// `terrace portfolio`).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub rho_chain: f64,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `terrace report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Case file (TOML), e.g. data/cases/kenya-avocado.toml.
    #[arg(required_unless_present = "portfolio_dir")]
    pub case: Option<PathBuf>,
    /// A `terrace portfolio` output directory (portfolio.json, loans.csv,
    /// segments.csv, losses.csv) to report on instead of a case.
    #[arg(long, value_name = "DIR", conflicts_with = "case")]
    pub portfolio_dir: Option<PathBuf>,
    /// Loan products (case reports).
    #[command(flatten)]
    pub loans: ProductArgs,
    /// Monte Carlo options (case reports); the tornado and channel mixes
    /// use at most 2,000 and 1,000 paths.
    #[command(flatten)]
    pub mc: McArgs,
    /// The HTML file to write (written to a temporary name and renamed when
    /// complete).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Also write each chart as an SVG file into DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    /// A product space (e.g. data/spaces/upgrading.toml): adds `terrace
    /// design`'s frontier and recommended product to a case report (at most
    /// 500 paths).
    #[arg(long, value_name = "FILE", conflicts_with = "portfolio_dir")]
    pub space: Option<PathBuf>,
}

/// Arguments of `terrace design`.
#[derive(Debug, Clone, Args)]
pub struct DesignArgs {
    /// Case file (TOML), e.g. data/cases/kenya-avocado.toml.
    pub case: PathBuf,
    /// Product space file (TOML), e.g. data/spaces/upgrading.toml.
    #[arg(long, value_name = "FILE")]
    pub space: PathBuf,
    /// Simulated paths shared by every candidate (1 to 1,000,000).
    #[arg(long, default_value_t = 1_000)]
    pub paths: usize,
    /// Seed: the same seed gives the same candidates, frontier and
    /// recommendation whatever the thread count.
    #[arg(long, default_value_t = 20_261_129)]
    pub seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Override the space's annual PD ceiling (constraints.pd_annual_max).
    #[arg(long, allow_negative_numbers = true)]
    pub pd_max: Option<f64>,
    /// Override the space's DSCR floor (constraints.dscr_p10_min).
    #[arg(long, allow_negative_numbers = true)]
    pub dscr_min: Option<f64>,
    /// Write the recommended product as a product file (TOML) that
    /// `schedule`, `appraise` and `simulate` accept.
    #[arg(long, value_name = "FILE")]
    pub emit: Option<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Whether a command that finished had to reject some input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was read and evaluated.
    Complete,
    /// The command finished, but some input rows were rejected and reported.
    SomeRejected,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match &cli.command {
        Command::Flows(a) => super::cmd_flows::run(a),
        Command::Schedule(a) => super::cmd_schedule::run(a),
        Command::Appraise(a) => super::cmd_appraise::run(a),
        Command::Simulate(a) => super::cmd_simulate::run(a),
        Command::Sensitivity(a) => super::cmd_sensitivity::run(a),
        Command::Channels(a) => super::cmd_channels::run(a),
        Command::Portfolio(a) => super::cmd_portfolio::run(a),
        Command::GeneratePortfolio(a) => super::cmd_generate::run(a),
        Command::Compare(a) => super::cmd_compare::run(a),
        Command::Report(a) => super::cmd_report::run(a),
        Command::Design(a) => super::cmd_design::run(a),
    };
    match result {
        Ok(Outcome::Complete) => 0,
        Ok(Outcome::SomeRejected) => 1,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            let _ = writeln!(io::stderr(), "error: {e}");
            e.exit_code()
        }
    }
}

fn is_broken_pipe(e: &crate::Error) -> bool {
    use std::error::Error as _;
    e.source()
        .and_then(|s| s.downcast_ref::<io::Error>())
        .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
}
