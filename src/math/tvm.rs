//! Time value of money, with numpy-financial's names and sign convention.
