//! Checked multiply-divide with an explicit rounding direction. Every call site says which way
//! it rounds and why that favours the vault.

use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;

/// `a + b`, or `MathOverflow`.
pub fn add(a: u64, b: u64) -> Result<u64> {
    a.checked_add(b).ok_or_else(|| error!(OptionsAmmError::MathOverflow))
}

/// `a - b`, or `MathOverflow` (for differences the logic keeps non-negative: a named error
/// rather than a panic if that logic were ever wrong).
pub fn sub(a: u64, b: u64) -> Result<u64> {
    a.checked_sub(b).ok_or_else(|| error!(OptionsAmmError::MathOverflow))
}

/// `v + d` for a signed change `d`, or `MathOverflow` when the result leaves u64.
pub fn add_signed(v: u64, d: i128) -> Result<u64> {
    (v as i128)
        .checked_add(d)
        .and_then(|r| u64::try_from(r).ok())
        .ok_or_else(|| error!(OptionsAmmError::MathOverflow))
}

/// Short contracts in a signed position.
pub fn short(p: i64) -> u64 {
    if p < 0 {
        p.unsigned_abs()
    } else {
        0
    }
}

/// Long contracts in a signed position.
pub fn long(p: i64) -> u64 {
    p.max(0) as u64
}

/// floor(a * b / c) in u128; error on c = 0 or a result above u64.
pub fn mul_div_floor(a: u64, b: u64, c: u64) -> Result<u64> {
    require!(c != 0, OptionsAmmError::MathOverflow);
    let q = (a as u128) * (b as u128) / (c as u128);
    u64::try_from(q).map_err(|_| error!(OptionsAmmError::MathOverflow))
}

/// ceil(a * b / c) in u128; error on c = 0 or a result above u64.
pub fn mul_div_ceil(a: u64, b: u64, c: u64) -> Result<u64> {
    require!(c != 0, OptionsAmmError::MathOverflow);
    let p = (a as u128) * (b as u128);
    let q = p.div_ceil(c as u128);
    u64::try_from(q).map_err(|_| error!(OptionsAmmError::MathOverflow))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_and_ceil_differ_only_on_a_remainder() {
        assert_eq!(mul_div_floor(10, 3, 4).unwrap(), 7);
        assert_eq!(mul_div_ceil(10, 3, 4).unwrap(), 8);
        assert_eq!(mul_div_floor(12, 3, 4).unwrap(), 9);
        assert_eq!(mul_div_ceil(12, 3, 4).unwrap(), 9);
        assert_eq!(mul_div_floor(u64::MAX, u64::MAX, u64::MAX).unwrap(), u64::MAX);
    }

    #[test]
    fn zero_divisor_and_overflow_are_errors_not_panics() {
        assert!(mul_div_floor(1, 1, 0).is_err());
        assert!(mul_div_ceil(1, 1, 0).is_err());
        assert!(mul_div_floor(u64::MAX, 2, 1).is_err());
        assert!(mul_div_ceil(u64::MAX, 2, 1).is_err());
    }
}
