//! Engines: how things are valued. Plain functions over cash-flow slices,
//! products and cases.

pub mod appraisal;
pub mod cashflow;
pub mod channels;
pub mod compare;
pub mod credit;
pub mod design;
pub mod flows;
pub mod instruments;
pub mod portfolio;
pub mod pricing;
pub mod scenario;
pub mod sensitivity;
pub mod simulate;
