use crate::error::OptionsAmmError;
use crate::events::AuthorityAccepted;
use crate::state::Config;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct AcceptAuthority<'info> {
    pub new_authority: Signer<'info>,
    #[account(mut, constraint = config.pending_authority == new_authority.key() @ OptionsAmmError::NotPendingAuthority)]
    pub config: Account<'info, Config>,
}

/// Second step of an authority transfer: the proposed authority signs and takes over.
pub fn accept_authority_handler(ctx: Context<AcceptAuthority>) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let old = config.authority;
    config.authority = ctx.accounts.new_authority.key();
    config.pending_authority = Pubkey::default();
    config.invariant()?;
    emit!(AuthorityAccepted {
        config: config.key(),
        old_authority: old,
        new_authority: config.authority
    });
    Ok(())
}
