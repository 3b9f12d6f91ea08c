//! `terrace flows`.

use super::cli::{FlowsArgs, Outcome};
use crate::Result;

/// Runs `terrace flows`.
pub fn run(_args: &FlowsArgs) -> Result<Outcome> {
    Err(crate::Error::usage("not yet available"))
}
