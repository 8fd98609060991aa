use crate::error::OptionsAmmError;
use crate::events::VolFeedProposed;
use crate::math::safe::SafeMath;
use crate::state::{Config, Market};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ProposeVolFeed<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ OptionsAmmError::NotAuthority)]
    pub config: Account<'info, Config>,
    #[account(mut, has_one = config @ OptionsAmmError::WrongConfig)]
    pub market: AccountLoader<'info, Market>,
}

/// Proposes the key that may post the market's vol surfaces (the default key: none, the
/// surfaces stay as they are), executable by anyone after the market's timelock. Replaces any
/// pending proposal.
pub fn propose_vol_feed_handler(ctx: Context<ProposeVolFeed>, new_feed: Pubkey) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    m.pending_vol_feed = new_feed;
    m.vol_feed_eta = now.safe_add(i64::from(m.params.timelock_secs))?;
    m.invariant()?;
    emit!(VolFeedProposed {
        market: ctx.accounts.market.key(),
        pending_vol_feed: new_feed,
        eta: m.vol_feed_eta,
    });
    Ok(())
}
