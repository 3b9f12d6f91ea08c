//! The domain: what things *are* — loan products and the schedules they
//! oblige, cases (an enterprise, its investment, channels and household).
//! How they are valued lives in [`crate::engine`].

pub mod case;
pub mod instrument;
pub mod lender;
pub mod param;
pub mod portfolio;
pub mod product;
pub mod schedule;
pub mod space;
