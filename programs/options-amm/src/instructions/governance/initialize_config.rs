use crate::events::ConfigInitialized;
use crate::state::{seeds, Config};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct InitializeConfig<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// Becomes the first authority; the config's seeds carry its key.
    pub creator: Signer<'info>,
    #[account(
        init,
        payer = payer,
        space = 8 + Config::INIT_SPACE,
        seeds = [seeds::CONFIG, creator.key().as_ref()],
        bump,
    )]
    pub config: Account<'info, Config>,
    pub system_program: Program<'info, System>,
}

/// Creates a governance config: the creator is its authority, `guardian` may pause.
pub fn initialize_config_handler(ctx: Context<InitializeConfig>, guardian: Pubkey) -> Result<()> {
    let InitializeConfig { creator, config, .. } = ctx.accounts;
    config.creator = creator.key();
    config.authority = creator.key();
    config.guardian = guardian;
    config.bump = ctx.bumps.config;
    config.invariant()?;
    emit!(ConfigInitialized { config: config.key(), authority: config.authority, guardian });
    Ok(())
}
