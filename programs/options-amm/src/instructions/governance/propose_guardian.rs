use crate::constants::GUARDIAN_TIMELOCK_SECS;
use crate::error::OptionsAmmError;
use crate::events::GuardianProposed;
use crate::math::safe::SafeMath;
use crate::state::Config;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ProposeGuardian<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ OptionsAmmError::NotAuthority)]
    pub config: Account<'info, Config>,
}

/// Proposes a new guardian, executable by anyone after `GUARDIAN_TIMELOCK_SECS` (a lost or
/// hostile guardian can be replaced; a captured authority cannot silence the guardian at once).
/// Replaces any pending proposal.
pub fn propose_guardian_handler(ctx: Context<ProposeGuardian>, new_guardian: Pubkey) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;
    config.pending_guardian = new_guardian;
    config.guardian_eta = now.safe_add(GUARDIAN_TIMELOCK_SECS)?;
    config.invariant()?;
    emit!(GuardianProposed {
        config: config.key(),
        authority: config.authority,
        pending_guardian: new_guardian,
        eta: config.guardian_eta,
    });
    Ok(())
}
