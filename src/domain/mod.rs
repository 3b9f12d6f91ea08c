//! The domain: what things *are* — loan products and the schedules they
//! oblige, cases (an enterprise, its investment, channels and household).
//! How they are valued lives in [`crate::engine`].

/// The largest magnitude a number in a case or a model input may have.
/// A quadrillion is beyond any enterprise's money in any currency, or any
/// quantity it produces; bounding inputs here keeps every sum of them
/// finite (1e308 of maintenance gave an NPV of -inf).
pub const MAX_MAGNITUDE: f64 = 1e15;

/// The largest contract amount (a loan, a requested amount, a money column
/// of a book): [`MAX_MAGNITUDE`] as a `Decimal`, so every amount can also
/// be a model quantity and sums of them cannot overflow.
pub const MAX_AMOUNT: rust_decimal::Decimal =
    rust_decimal::Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

pub mod case;
pub mod instrument;
pub mod lender;
pub mod param;
pub mod portfolio;
pub mod product;
pub mod schedule;
pub mod space;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_amount_is_the_largest_magnitude() {
        assert_eq!(
            MAX_AMOUNT,
            rust_decimal::Decimal::from(1_000_000_000_000_000_i64)
        );
        assert_eq!(MAX_MAGNITUDE, 1e15);
    }
}
