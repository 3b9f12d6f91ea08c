//! `terrace appraise`.

use super::cli::{AppraiseArgs, Outcome};
use crate::Result;

/// Runs `terrace appraise`.
pub fn run(_args: &AppraiseArgs) -> Result<Outcome> {
    Err(crate::Error::usage("not yet available"))
}
