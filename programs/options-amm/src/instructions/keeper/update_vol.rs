use crate::error::OptionsAmmError;
use crate::events::RealisedVolUpdated;
use crate::oracle::{self, OracleUse};
use crate::state::Market;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct UpdateVol<'info> {
    pub keeper: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: `oracle::read` checks that it is the market's, owned by Pyth, valid for trading.
    pub oracle: UncheckedAccount<'info>,
}

/// Enters the oracle's current print into the market's realised-vol estimate (every
/// instruction that prices does the same; this crank keeps the estimate current when nothing
/// trades). Anyone may call it. Refused with an invalid oracle, with a print other than the one
/// already used in this slot, or when the estimate does not take the print (not at least
/// `MIN_SAMPLE_SECS` newer than the last one taken: `VolAlreadyCurrent`, nothing to do).
pub fn update_vol_handler(ctx: Context<UpdateVol>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    let px = oracle::read(&m, &ctx.accounts.oracle, now, OracleUse::Trade)?;
    let last = m.realised_vol.publish_time;
    m.observe_price(clock.slot, px.publish_time, px.price)?;
    require!(m.realised_vol.publish_time != last, OptionsAmmError::VolAlreadyCurrent);
    m.invariant()?;
    let est = m.realised_vol.get();
    emit!(RealisedVolUpdated {
        market: ctx.accounts.market.key(),
        keeper: ctx.accounts.keeper.key(),
        publish_time: est.publish_time,
        realised_vol: est.vol.to_bits(),
        span_secs: est.span_secs,
    });
    Ok(())
}
