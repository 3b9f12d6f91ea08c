//! Core maths: money and rounding, time value of money, root finding,
//! distributions, statistics and the Gaussian copula. Nothing here knows
//! about loans, cases or files.

pub mod copula;
pub mod dist;
pub mod money;
pub mod roots;
pub mod stats;
pub mod tvm;
