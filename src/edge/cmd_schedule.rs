//! `terrace schedule`.

use super::cli::{Outcome, ScheduleArgs};
use crate::Result;

/// Runs `terrace schedule`.
pub fn run(_args: &ScheduleArgs) -> Result<Outcome> {
    Err(crate::Error::usage("not yet available"))
}
