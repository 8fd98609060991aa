//! The delta-hedging counterparty, behind one small interface.
//!
//! `rebalance` asks a `HedgeVenue` for the quote value of an underlying trade and moves tokens
//! accordingly. Today the venue is the keeper itself, at the oracle price improved by a bounded
//! discount. A DEX or perp venue (a CPI) can replace it by implementing the same trait and
//! passing its accounts: the checks around it (direction, band, never past zero, the keeper's
//! bound, reconciliation) do not change. See docs/ARCHITECTURE.md.

use crate::constants::BPS;
use crate::error::OptionsAmmError;
use crate::math::value::underlying_value_in_quote;
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// The vault's side of a hedge trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HedgeSide {
    /// The vault buys underlying (it was short delta).
    VaultBuys,
    /// The vault sells underlying it holds (it was long delta).
    VaultSells,
}

/// How much of the vault's net delta (options and hedge, whole underlying) no rebalance can
/// offset: beyond the band, long delta past the underlying it holds (it can only sell what it
/// has), short delta past what its free quote buys at `spot`. Never negative.
pub fn unhedgeable_delta(
    net_delta: Fx,
    band: Fx,
    held: Fx,
    free_quote: Fx,
    spot: Fx,
) -> Result<Fx> {
    let over = |excess: Fx| -> Result<Fx> {
        Ok(excess.checked_sub(band).ok_or_else(crate::math::safe::overflow)?.max(Fx::ZERO))
    };
    if net_delta > 0 {
        over(net_delta.checked_sub(held).ok_or_else(crate::math::safe::overflow)?)
    } else {
        require!(spot > 0, OptionsAmmError::OracleNonPositivePrice);
        let buys = free_quote.checked_div(spot).ok_or_else(crate::math::safe::overflow)?;
        over(net_delta.checked_neg().ok_or_else(crate::math::safe::overflow)?.saturating_sub(buys))
    }
}

pub trait HedgeVenue {
    /// Quote raw units the vault pays (`VaultBuys`) or receives (`VaultSells`) for `amount`
    /// underlying raw units at `oracle_price`, rounded in the vault's favour.
    fn quote_amount(
        &self,
        side: HedgeSide,
        amount: u64,
        oracle_price: Fx,
        underlying_decimals: u8,
        quote_decimals: u8,
    ) -> Result<u64>;
}

/// The keeper as counterparty: oracle price, improved in the keeper's favour by `discount_bps`.
pub struct KeeperVenue {
    pub discount_bps: u32,
}

impl HedgeVenue for KeeperVenue {
    fn quote_amount(
        &self,
        side: HedgeSide,
        amount: u64,
        oracle_price: Fx,
        ud: u8,
        qd: u8,
    ) -> Result<u64> {
        // The value at the oracle price with 4 extra decimals, then the discount in whole bps:
        // one rounding at the end, down when the vault pays and up when it is paid.
        let fine = underlying_value_in_quote(amount, oracle_price, ud, qd + 4)? as u128;
        let bps = self.discount_bps as u128;
        let scaled = match side {
            HedgeSide::VaultBuys => fine * (u128::from(BPS) + bps),
            // +1: the dropped sub-unit of `fine` is counted against the keeper.
            HedgeSide::VaultSells => (fine + 1) * (u128::from(BPS) - bps),
        };
        let den = 100_000_000u128;
        let v = match side {
            HedgeSide::VaultBuys => scaled / den,
            HedgeSide::VaultSells => scaled.div_ceil(den),
        };
        u64::try_from(v).map_err(|_| error!(OptionsAmmError::MathOverflow))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unhedgeable_delta_is_what_neither_the_held_underlying_nor_free_quote_can_offset() {
        let f = |v: f64| Fx::from_num(v);
        let u = |d, held, free| unhedgeable_delta(f(d), f(5.0), f(held), f(free), f(150.0));
        // Long 40: 10 held, band 5 -> 25 cannot be sold away.
        assert_eq!(u(40.0, 10.0, 1e6).unwrap(), f(25.0));
        assert_eq!(u(14.0, 10.0, 0.0).unwrap(), Fx::ZERO);
        // Short 40: 3,000 of free quote buys 20 -> 15 beyond the band.
        assert_eq!(u(-40.0, 0.0, 3_000.0).unwrap(), f(15.0));
        assert_eq!(u(-40.0, 0.0, 6_000.0).unwrap(), Fx::ZERO);
        assert_eq!(u(0.0, 0.0, 0.0).unwrap(), Fx::ZERO);
    }

    #[test]
    fn keeper_earns_the_discount_and_rounding_favours_the_vault() {
        let venue = KeeperVenue { discount_bps: 10 };
        let p = Fx::from_num(150);
        // 3 underlying (9 dp) at 150 x 1.001 = 450.45 quote (6 dp).
        assert_eq!(
            venue.quote_amount(HedgeSide::VaultBuys, 3_000_000_000, p, 9, 6).unwrap(),
            450_450_000
        );
        assert_eq!(
            venue.quote_amount(HedgeSide::VaultSells, 3_000_000_000, p, 9, 6).unwrap(),
            449_550_001
        );
        // A third of a unit: the vault pays down, is paid up.
        let third = Fx::ONE / 3;
        let zero = KeeperVenue { discount_bps: 0 };
        assert_eq!(
            zero.quote_amount(HedgeSide::VaultBuys, 1_000_000_000, third, 9, 6).unwrap(),
            333_333
        );
        assert_eq!(
            zero.quote_amount(HedgeSide::VaultSells, 1_000_000_000, third, 9, 6).unwrap(),
            333_334
        );
    }
}
