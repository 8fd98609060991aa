use crate::error::OptionsAmmError;
use crate::events::GuardianChanged;
use crate::state::Config;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ExecuteGuardian<'info> {
    /// Anyone may execute a guardian change once its timelock has passed.
    pub executor: Signer<'info>,
    #[account(mut)]
    pub config: Account<'info, Config>,
}

/// Applies the pending guardian change, not before its time, once.
pub fn execute_guardian_handler(ctx: Context<ExecuteGuardian>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;
    require!(config.guardian_eta != 0, OptionsAmmError::NoPendingGuardian);
    require!(now >= config.guardian_eta, OptionsAmmError::TimelockNotElapsed);
    let old = config.guardian;
    config.guardian = config.pending_guardian;
    config.pending_guardian = Pubkey::default();
    config.guardian_eta = 0;
    config.invariant()?;
    emit!(GuardianChanged {
        config: config.key(),
        old_guardian: old,
        new_guardian: config.guardian
    });
    Ok(())
}
