//! Conversions between token raw units and prices.

use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// 10^e for every e whose power fits in 128 bits, built at compile time.
const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// 10^e from a table (a power computed by repeated 128-bit products cost hundreds of CU on SBF).
fn pow10(e: u32) -> Result<u128> {
    POW10.get(e as usize).copied().ok_or_else(|| error!(OptionsAmmError::MathOverflow))
}

/// Value in quote raw units of `amount` raw units of underlying at `price` (quote per whole
/// underlying), rounded down.
pub fn underlying_value_in_quote(
    amount: u64,
    price: Fx,
    underlying_decimals: u8,
    quote_decimals: u8,
) -> Result<u64> {
    if amount == 0 {
        return Ok(0);
    }
    require!(price >= 0, OptionsAmmError::MathOverflow);
    let bits = price.to_bits() as u128;
    let overflow = || error!(OptionsAmmError::MathOverflow);
    // One rounding only: amount x 10^qd x price / (10^ud x 2^64), floored once (nested floors
    // of positive quotients compose exactly).
    let total = if quote_decimals >= underlying_decimals {
        let scaled = (amount as u128)
            .checked_mul(pow10((quote_decimals - underlying_decimals) as u32)?)
            .ok_or_else(overflow)?;
        mul_shr64(scaled, bits).ok_or_else(overflow)?
    } else {
        mul_shr64(amount as u128, bits).ok_or_else(overflow)?
            / pow10((underlying_decimals - quote_decimals) as u32)?
    };
    u64::try_from(total).map_err(|_| overflow())
}

/// a * b / 2^64 rounded up; `None` if it does not fit in u128.
pub fn mul_shr64_ceil(a: u128, b: u128) -> Option<u128> {
    let floor = mul_shr64(a, b)?;
    // The product's bits below 2^64 are the low half of a0 * b0.
    let low = ((a & u64::MAX as u128) * (b & u64::MAX as u128)) & u64::MAX as u128;
    if low == 0 {
        Some(floor)
    } else {
        floor.checked_add(1)
    }
}

/// Which way a conversion to token units rounds: every call site chooses the way that favours
/// the vault (down what it pays, up what it is paid or locks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Down,
    Up,
}

/// A non-negative amount of whole quote tokens as raw units (x 10^decimals), rounded as asked.
pub fn quote_raw(amount: Fx, quote_decimals: u8, rounding: Rounding) -> Result<u64> {
    require!(amount >= 0, OptionsAmmError::MathOverflow);
    let bits = amount.to_bits() as u128;
    let p = pow10(quote_decimals as u32)?;
    let v = match rounding {
        Rounding::Up => mul_shr64_ceil(bits, p),
        Rounding::Down => mul_shr64(bits, p),
    };
    u64::try_from(v.ok_or_else(|| error!(OptionsAmmError::MathOverflow))?)
        .map_err(|_| error!(OptionsAmmError::MathOverflow))
}

/// Raw units of a token with `decimals` as whole units in `Fx` (rounded down).
pub fn whole_units(raw: u64, decimals: u8) -> Result<Fx> {
    if decimals <= 19 {
        // The same floor from native 64-bit divisions (a margin check converts every size).
        return Ok(Fx::from_bits(fraction_of_power_of_ten(raw, decimals as u32) as i128));
    }
    let p = pow10(decimals as u32)?;
    Ok(Fx::from_bits((((raw as u128) << 64) / p) as i128))
}

/// floor(a * b / 2^64) with a 256-bit intermediate; `None` if it does not fit in u128.
pub fn mul_shr64(a: u128, b: u128) -> Option<u128> {
    let (a1, a0) = (a >> 64, a & u64::MAX as u128);
    let (b1, b0) = (b >> 64, b & u64::MAX as u128);
    let high = a1 * b1; // weight 2^128, i.e. 2^64 after the shift
    if high >> 64 != 0 {
        return None;
    }
    (high << 64).checked_add(a1 * b0)?.checked_add(a0 * b1)?.checked_add((a0 * b0) >> 64)
}

/// `v` basis points as a fraction (10_000 bps = 1).
pub fn bps(v: u32) -> Fx {
    Fx::from_num(v) / i128::from(crate::constants::BPS)
}

/// `v` millionths (the `_micro` parameters) as a number.
pub fn micro(v: u64) -> Fx {
    Fx::from_bits(fraction_of_power_of_ten(v, 6) as i128)
}

/// floor(v x 2^64 / 10^e) for 0 <= e <= 19 (`micro` and `whole_units`), the bits of v / 10^e as an `Fx`, with native 64-bit
/// divisions only: on SBF this is about 2,000 CU cheaper a trade than `Fx::from_num(v) /
/// 1_000_000` for the `_micro` parameters (measured with `bash .ci/sbf/cu-report.sh`; for
/// `bps` and whole token units the 128-bit division was as cheap or cheaper, so they keep it).
/// With p = 10^e, v = q p + r and 2^64 = c p + m (c = floor((2^64 - 1) / p),
/// m = (2^64 - 1) mod p + 1, as p > 1 never divides 2^64): v 2^64 / p = q 2^64 + r c + r m / p,
/// with r c < 2^64 and r m < p^2.
fn fraction_of_power_of_ten(v: u64, e: u32) -> u128 {
    if e == 0 {
        return u128::from(v) << 64;
    }
    debug_assert!(e <= 19);
    let p = 10u64.pow(e);
    let (q, r) = (v / p, v % p);
    let (c, m) = (u64::MAX / p, u64::MAX % p + 1);
    let tail = if e <= 9 {
        // r m < p^2 <= 10^18 < 2^64.
        u128::from(r * m / p)
    } else {
        u128::from(r) * u128::from(m) / u128::from(p)
    };
    (u128::from(q) << 64) + u128::from(r) * u128::from(c) + tail
}

/// Whole seconds from `now` to `expiry_ts`, zero once expired: the one way every caller measures
/// time to expiry.
pub fn secs_until(expiry_ts: i64, now: i64) -> u64 {
    u64::try_from(expiry_ts.saturating_sub(now)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the 128-bit division it replaces, at the edges and across every exponent.
    #[test]
    fn powers_of_ten_divide_exactly_as_a_wide_division() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for e in 0..=19u32 {
            let p = 10u128.pow(e);
            let mut cases =
                vec![0, 1, 9_999, 10_000, u64::MAX, u64::MAX - 1, (p as u64).wrapping_sub(1)];
            for _ in 0..2_000 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                cases.push(rng >> (rng % 64));
            }
            for v in cases {
                assert_eq!(
                    fraction_of_power_of_ten(v, e),
                    (u128::from(v) << 64) / p,
                    "{v} / 10^{e}"
                );
            }
        }
        assert_eq!(bps(2_500), Fx::from_num(0.25));
        assert_eq!(micro(1_500_000), Fx::from_num(1.5));
    }

    #[test]
    fn time_to_expiry_is_zero_once_expired_and_units_scale_exactly() {
        assert_eq!(secs_until(1_000, 400), 600);
        assert_eq!(secs_until(1_000, 1_000), 0);
        assert_eq!(secs_until(1_000, 5_000), 0);
        assert_eq!(secs_until(i64::MAX, i64::MIN), u64::MAX >> 1);
        assert_eq!(bps(2_500), Fx::from_num(0.25));
        assert_eq!(micro(5_000), Fx::from_num(5) / 1_000);
    }

    #[test]
    fn sol_at_150_usdc_values_exactly() {
        // 2.5 SOL (9 decimals) at 150 USDC (6 decimals) = 375 USDC.
        let v = underlying_value_in_quote(2_500_000_000, Fx::from_num(150), 9, 6).unwrap();
        assert_eq!(v, 375_000_000);
    }

    #[test]
    fn fractional_values_round_down() {
        // 1 raw unit of a 6-decimal underlying at 1.5 quote (6 decimals) = 1.5 raw -> 1.
        assert_eq!(underlying_value_in_quote(1, Fx::from_num(1.5), 6, 6).unwrap(), 1);
        // More quote decimals than underlying decimals.
        assert_eq!(underlying_value_in_quote(3, Fx::from_num(0.5), 0, 2).unwrap(), 150);
    }

    #[test]
    fn wide_multiply_matches_narrow_where_both_fit() {
        assert_eq!(mul_shr64(3 << 64, 5 << 64), Some(15 << 64));
        assert_eq!(mul_shr64(u64::MAX as u128, u64::MAX as u128), Some((u64::MAX - 1) as u128));
        assert_eq!(mul_shr64(u128::MAX, u128::MAX), None);
    }

    #[test]
    fn quote_raw_rounds_as_asked() {
        let third = Fx::ONE / 3;
        assert_eq!(quote_raw(third, 6, Rounding::Down).unwrap(), 333_333);
        assert_eq!(quote_raw(third, 6, Rounding::Up).unwrap(), 333_334);
        assert_eq!(quote_raw(Fx::from_num(2), 6, Rounding::Up).unwrap(), 2_000_000);
        assert!(quote_raw(-Fx::ONE, 6, Rounding::Down).is_err());
        assert_eq!(whole_units(1_500_000_000, 9).unwrap(), Fx::from_num(1.5));
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(underlying_value_in_quote(u64::MAX, Fx::from_num(1e9), 0, 12).is_err());
        assert!(underlying_value_in_quote(1, Fx::from_num(-1), 6, 6).is_err());
    }
}
