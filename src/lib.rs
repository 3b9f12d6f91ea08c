//! terrace appraises the long-term investments that micro- and small
//! enterprises and smallholders make to upgrade in value chains, and designs
//! the loan products that can finance them.
//!
//! # Conventions
//!
//! * **Sign.** Every amount is seen from the borrower's (the household's or
//!   enterprise's) side: money in is positive, money out is negative. A loan
//!   disbursement is `+`, an instalment `-`; an investment outlay is `-`.
//! * **Time.** A monthly grid: period 0 is the disbursement/investment month,
//!   period `t` is `t` calendar months later. Annual figures aggregate it.
//! * **Money vs model numbers.** What a contract obliges someone to pay is
//!   [`rust_decimal::Decimal`], rounded explicitly to the currency's minor
//!   unit with a named strategy. What a model estimates is `f64`. The only
//!   conversion point is [`math::money::to_f64`].
//! * **Rates.** Annual nominal unless a type or name says otherwise.
//!
//! # Layers
//!
//! 1. [`math`]: money, time value of money, root finding, statistics.
//! 2. [`domain`]: loan products and their schedules, cases.
//! 3. [`engine`]: deterministic appraisal, batch cash-flow evaluation.
//! 4. [`edge`]: files, the terminal and the command line. Only this layer
//!    touches the file system, clap or the terminal.
//!
//! Each layer imports only from the layers above it in this list.
#![deny(missing_docs)]

pub mod domain;
pub mod edge;
pub mod engine;
pub mod error;
pub mod math;

pub use error::{Error, ErrorKind, Location, Result};
