use crate::error::OptionsAmmError;
use crate::events::PauseChanged;
use crate::state::{Config, Market, PAUSE_ALL};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetPause<'info> {
    pub signer: Signer<'info>,
    pub config: Account<'info, Config>,
    #[account(mut, has_one = config @ OptionsAmmError::WrongConfig)]
    pub market: AccountLoader<'info, Market>,
}

/// Sets the market's pause flags. The guardian may only add flags; the authority may set any.
pub fn set_pause_handler(ctx: Context<SetPause>, flags: u8) -> Result<()> {
    let SetPause { signer, config, market } = ctx.accounts;
    require!(flags & !PAUSE_ALL == 0, OptionsAmmError::InvalidPauseFlags);
    let mut m = market.load_mut()?;
    let old = m.paused;
    if signer.key() == config.authority {
        m.paused = flags;
    } else if signer.key() == config.guardian {
        require!(flags & old == old, OptionsAmmError::GuardianCannotUnpause);
        m.paused = flags;
    } else {
        return err!(OptionsAmmError::NotGuardian);
    }
    m.invariant()?;
    emit!(PauseChanged {
        market: market.key(),
        signer: signer.key(),
        old_flags: old,
        new_flags: flags
    });
    Ok(())
}
