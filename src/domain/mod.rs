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

/// The longest id: room for a design candidate's id, its terms (about 80
/// characters) and `+` an instrument's id (at most [`MAX_INSTRUMENT_ID`]),
/// inside a file name's 255 bytes with a chart's prefix.
pub const MAX_ID: usize = 200;

/// The longest instrument id (see [`MAX_ID`]).
pub const MAX_INSTRUMENT_ID: usize = 64;

/// Checks an id (of a product, a case, an instrument, a design space). Ids
/// name chart files, HTML anchors and CSV cells, so they are kept to
/// characters that are safe in all three: `x/../../y` would have written a
/// chart outside its folder. `+` joins a design candidate's terms to its
/// instrument.
pub fn check_id(id: &str) -> crate::Result<()> {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+');
    crate::ensure!(
        (1..=MAX_ID).contains(&id.len())
            && id.chars().all(safe)
            && !id.starts_with(['.', '-', '+']),
        "id",
        "1 to 200 letters, digits, `.`, `_`, `-` or `+`, not starting with `.`, `-` or `+`",
        format!("{id:?}")
    );
    Ok(())
}

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

    #[test]
    fn ids_are_safe_in_file_names() {
        for good in [
            "honduras-drip",
            "a",
            "v1.2_x",
            "X9",
            "t60-g12c+dca-guarantee-50",
            &"x".repeat(MAX_ID),
        ] {
            assert!(check_id(good).is_ok(), "{good}");
        }
        let long = "x".repeat(MAX_ID + 1);
        for bad in [
            "",
            " ",
            "x/../../pwned",
            "..",
            ".hidden",
            "-flag",
            "a b",
            "é",
            "a\\b",
            &long,
        ] {
            let e = check_id(bad).unwrap_err();
            assert_eq!(e.location().field.as_deref(), Some("id"), "{bad}");
        }
    }
}
