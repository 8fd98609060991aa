use crate::constants::PROPOSAL_TTL_SECS;
use crate::error::OptionsAmmError;
use crate::events::VolFeedChanged;
use crate::state::Market;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ExecuteVolFeed<'info> {
    /// Anyone may execute a vol-feed change once its timelock has passed.
    pub executor: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
}

/// Applies the pending vol-feed change, not before its time nor more than `PROPOSAL_TTL_SECS`
/// after it, once. From then on, every active
/// board trades reduce-only once its surface is older than `vol.feed_max_age_secs`.
pub fn execute_vol_feed_handler(ctx: Context<ExecuteVolFeed>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    require!(m.vol_feed_eta != 0, OptionsAmmError::NoPendingVolFeed);
    require!(now >= m.vol_feed_eta, OptionsAmmError::TimelockNotElapsed);
    // A proposal left pending is not executable for ever (as parameter proposals).
    let expiry = m.vol_feed_eta.saturating_add(PROPOSAL_TTL_SECS);
    require!(now <= expiry, OptionsAmmError::ProposalExpired);
    let old = m.vol_feed;
    m.vol_feed = m.pending_vol_feed;
    m.pending_vol_feed = Pubkey::default();
    m.vol_feed_eta = 0;
    m.invariant()?;
    emit!(VolFeedChanged {
        market: ctx.accounts.market.key(),
        old_vol_feed: old,
        new_vol_feed: m.vol_feed
    });
    Ok(())
}
