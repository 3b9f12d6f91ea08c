//! Core maths: money and rounding, time value of money, statistics.
//! Nothing here knows about loans, cases or files.

pub mod copula;
pub mod money;
pub mod roots;
pub mod stats;
pub mod tvm;
