//! What LP flows and hedges trust: every active board's cache, and how far NAV could still
//! move when those caches are refreshed at the current price and time.

use crate::constants::SECONDS_PER_YEAR;
use crate::error::OptionsAmmError;
use crate::math::tranche::{split, TrancheValues};
use crate::math::value::quote_raw;
use crate::state::{Board, Market};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// Checks that `boards` are exactly the market's active boards (ascending keys, so none twice),
/// none of them expired (an expired board must be settled first: anyone may, from the first
/// valid print of its window, or by the fallback once the window has passed) and each one's
/// greek cache fresh at `now` and `spot`. Returns the refresh band: a bound on how far
/// refreshing every board at this price and time would move NAV, from each board's cached
/// greeks: |delta| |dS| + |gamma| dS^2 + |theta| dt, quote whole units. The gamma term
/// allows the board's gamma to double over the move; the cache limits (spot move, age) keep
/// the move small.
pub fn check_boards<'info>(
    market_key: &Pubkey,
    market: &Market,
    boards: &'info [AccountInfo<'info>],
    now: i64,
    spot: Fx,
) -> Result<Fx> {
    require!(boards.len() == market.active_boards as usize, OptionsAmmError::BoardsMissing);
    let t = &market.params.trading;
    let mut previous: Option<Pubkey> = None;
    let mut band = Fx::ZERO;
    let o = || error!(OptionsAmmError::MathOverflow);
    for info in boards {
        require!(previous.is_none_or(|p| p < *info.key), OptionsAmmError::BoardsMissing);
        previous = Some(*info.key);
        let loader = AccountLoader::<Board>::try_from(info)?;
        let b = loader.load()?;
        require_keys_eq!(b.market, *market_key, OptionsAmmError::WrongMarket);
        require!(b.is_active(), OptionsAmmError::BoardsMissing);
        require!(now < b.expiry_ts, OptionsAmmError::BoardAwaitingSettlement);
        require!(
            !b.cache_is_stale(now, spot, t.cache_max_age_secs, t.cache_max_spot_move_bps),
            OptionsAmmError::StaleGreekCache
        );
        let ds = spot.checked_sub(b.refreshed_spot.get()).ok_or_else(o)?.abs();
        let years = Fx::from_num(now.saturating_sub(b.refreshed_ts).max(0))
            / Fx::from_num(SECONDS_PER_YEAR);
        let term = |g: Fx, x: Fx| g.checked_abs().and_then(|g| g.checked_mul(x)).ok_or_else(o);
        let ds2 = ds.checked_mul(ds).ok_or_else(o)?;
        let board_band = term(b.contrib_delta.get(), ds)?
            .checked_add(term(b.contrib_gamma.get(), ds2)?)
            .and_then(|v| v.checked_add(term(b.contrib_theta.get(), years).ok()?))
            .ok_or_else(o)?;
        band = band.checked_add(board_band).ok_or_else(o)?;
    }
    Ok(band)
}

/// How an LP flow values the pool: deposits at the top of what NAV could be once every cache
/// is refreshed, withdrawals at the bottom, and withdrawals without what expired shorts still
/// owe (they may not pay it all). Each flow therefore only ever raises the value of the shares
/// that stay, and no deposit, refresh, withdrawal sandwich at one price and time pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LpValuation {
    /// NAV at the cached marks, quote raw units.
    pub nav: i128,
    /// The refresh band, quote raw units (rounded up).
    pub band: u64,
}

impl LpValuation {
    pub fn new(market: &Market, spot: Fx, band: Fx) -> Result<Self> {
        Ok(LpValuation {
            nav: market.nav(spot)?,
            band: quote_raw(band, market.quote_decimals, true)?,
        })
    }

    /// The tranche values a deposit is priced at.
    pub fn for_deposit(&self, senior_claim: u64) -> TrancheValues {
        split(self.nav + self.band as i128, senior_claim)
    }

    /// The tranche values a withdrawal is priced at.
    pub fn for_withdrawal(&self, market: &Market, senior_claim: u64) -> TrancheValues {
        let low = self.nav - self.band as i128 - market.settlement_receivable as i128;
        split(low, senior_claim)
    }
}
