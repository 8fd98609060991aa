//! Checked arithmetic: the `SafeMath` vocabulary every module uses, and multiply-divide with an
//! explicit rounding direction (every call site says which way it rounds and why that favours
//! the vault).

use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;

/// The program's one checked-arithmetic vocabulary: `a.safe_add(b)?` and its kin return
/// `MathOverflow` instead of wrapping or panicking, and log the file and line of the caller
/// (`#[track_caller]`), so an overflow in a transaction's logs says where it happened.
pub trait SafeMath: Sized {
    fn safe_add(self, rhs: Self) -> Result<Self>;
    fn safe_sub(self, rhs: Self) -> Result<Self>;
    fn safe_mul(self, rhs: Self) -> Result<Self>;
    fn safe_div(self, rhs: Self) -> Result<Self>;
}

/// `MathOverflow`, logged on chain with the caller's location.
#[track_caller]
#[inline(never)]
pub fn overflow() -> Error {
    // In the transaction's logs on chain; natively (the client runs these functions too, and
    // its stdout is its JSON output) the named error alone.
    #[cfg(target_os = "solana")]
    {
        let at = core::panic::Location::caller();
        msg!("Math overflow at {}:{}", at.file(), at.line());
    }
    error!(OptionsAmmError::MathOverflow)
}

macro_rules! safe_math {
    ($($t:ty => $mul:path),*) => {$(
        impl SafeMath for $t {
            #[track_caller]
            #[inline(always)]
            fn safe_add(self, rhs: Self) -> Result<Self> {
                match self.checked_add(rhs) { Some(v) => Ok(v), None => Err(overflow()) }
            }
            #[track_caller]
            #[inline(always)]
            fn safe_sub(self, rhs: Self) -> Result<Self> {
                match self.checked_sub(rhs) { Some(v) => Ok(v), None => Err(overflow()) }
            }
            #[track_caller]
            #[inline(always)]
            fn safe_mul(self, rhs: Self) -> Result<Self> {
                match $mul(self, rhs) { Some(v) => Ok(v), None => Err(overflow()) }
            }
            #[track_caller]
            #[inline(always)]
            fn safe_div(self, rhs: Self) -> Result<Self> {
                match self.checked_div(rhs) { Some(v) => Ok(v), None => Err(overflow()) }
            }
        }
    )*};
}

// Fixed point takes its product from `options_amm_pricing::quote::checked_mul`: bit for bit
// the crate's `checked_mul`, about a third of its compute on SBF for everyday magnitudes.
safe_math!(
    u8 => u8::checked_mul,
    u32 => u32::checked_mul,
    u64 => u64::checked_mul,
    u128 => u128::checked_mul,
    i64 => i64::checked_mul,
    i128 => i128::checked_mul,
    options_amm_pricing::Fx => options_amm_pricing::quote::checked_mul
);

/// `v + d` for a signed change `d`, or `MathOverflow` when the result leaves u64.
#[track_caller]
pub fn add_signed(v: u64, d: i128) -> Result<u64> {
    match (v as i128).checked_add(d).and_then(|r| u64::try_from(r).ok()) {
        Some(r) => Ok(r),
        None => Err(overflow()),
    }
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
    use options_amm_pricing::Fx;

    #[test]
    fn safe_math_returns_the_value_or_math_overflow_for_every_type() {
        let overflow = || error!(OptionsAmmError::MathOverflow);
        assert_eq!(2u64.safe_add(3).unwrap(), 5);
        assert_eq!(u64::MAX.safe_add(1).unwrap_err(), overflow());
        assert_eq!(0u64.safe_sub(1).unwrap_err(), overflow());
        assert_eq!(u128::MAX.safe_mul(2).unwrap_err(), overflow());
        assert_eq!(7i64.safe_div(0).unwrap_err(), overflow());
        assert_eq!(i128::MIN.safe_sub(1).unwrap_err(), overflow());
        assert_eq!(Fx::from_num(1.5).safe_mul(Fx::from_num(2)).unwrap(), Fx::from_num(3));
        assert_eq!(Fx::MAX.safe_add(Fx::ONE).unwrap_err(), overflow());
        assert_eq!(Fx::ONE.safe_div(Fx::ZERO).unwrap_err(), overflow());
    }

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
