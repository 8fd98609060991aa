//! "Every active board is fresh": what NAV-dependent actions (LP flows, rebalancing) require.

use super::board::Board;
use super::market::Market;
use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// Checks that `boards` are exactly the market's active boards (ascending keys, so none twice)
/// and that each one's greek cache is fresh at `now` and `spot`. With that, the market's
/// aggregate greeks and options value are current, and NAV can be trusted.
pub fn require_fresh_boards<'info>(
    market_key: &Pubkey,
    market: &Market,
    boards: &'info [AccountInfo<'info>],
    now: i64,
    spot: Fx,
) -> Result<()> {
    require!(boards.len() == market.active_boards as usize, OptionsAmmError::BoardsMissing);
    let t = &market.params.trading;
    let mut previous: Option<Pubkey> = None;
    for info in boards {
        require!(previous.is_none_or(|p| p < *info.key), OptionsAmmError::BoardsMissing);
        previous = Some(*info.key);
        let loader = AccountLoader::<Board>::try_from(info)?;
        let b = loader.load()?;
        require_keys_eq!(b.market, *market_key, OptionsAmmError::WrongMarket);
        require!(b.settled == 0, OptionsAmmError::BoardsMissing);
        require!(
            !b.cache_is_stale(now, spot, t.cache_max_age_secs, t.cache_max_spot_move_bps),
            OptionsAmmError::StaleGreekCache
        );
    }
    Ok(())
}
