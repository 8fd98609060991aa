//! Expiry payoffs, pure.

use crate::math::fill::max_payoff;
use crate::math::safe::SafeMath;
use crate::math::value::{quote_raw, whole_units, Rounding};
use crate::state::Kind;
use crate::state::CALL;
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// Payoff of one whole contract at settlement price `s`: a put pays (K - s)+, a (capped) call
/// pays min((s - K)+, (cap - 1) K).
pub fn payoff(kind: Kind, strike: Fx, s: Fx, cap_bps: u32) -> Result<Fx> {
    match kind {
        Kind::Put => Ok((strike - s).max(Fx::ZERO)),
        Kind::Call => Ok((s - strike).max(Fx::ZERO).min(max_payoff(CALL, strike, cap_bps)?)),
    }
}

/// Quote raw units for `contracts` (underlying raw) at `payoff` per whole contract, rounded as
/// asked: down when the vault pays (longs), up when it is paid (shorts).
pub fn amount(
    contracts: u64,
    payoff: Fx,
    underlying_decimals: u8,
    quote_decimals: u8,
    rounding: Rounding,
) -> Result<u64> {
    let v = whole_units(contracts, underlying_decimals)?.safe_mul(payoff)?;
    quote_raw(v, quote_decimals, rounding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::PUT;

    #[test]
    fn payoffs_at_expiry() {
        let k = Fx::from_num(100);
        assert_eq!(payoff(PUT, k, Fx::from_num(80), 30_000).unwrap(), Fx::from_num(20));
        assert_eq!(payoff(PUT, k, Fx::from_num(120), 30_000).unwrap(), Fx::ZERO);
        assert_eq!(payoff(CALL, k, Fx::from_num(130), 30_000).unwrap(), Fx::from_num(30));
        assert_eq!(payoff(CALL, k, Fx::from_num(90), 30_000).unwrap(), Fx::ZERO);
        // Capped at (3 - 1) x 100.
        assert_eq!(payoff(CALL, k, Fx::from_num(1_000), 30_000).unwrap(), Fx::from_num(200));
    }

    #[test]
    fn amounts_round_in_the_vaults_favour() {
        let third = Fx::ONE / 3;
        assert_eq!(amount(1_000_000_000, third, 9, 6, Rounding::Down).unwrap(), 333_333);
        assert_eq!(amount(1_000_000_000, third, 9, 6, Rounding::Up).unwrap(), 333_334);
    }
}
