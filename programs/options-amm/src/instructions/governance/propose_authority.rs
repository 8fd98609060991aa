use crate::error::OptionsAmmError;
use crate::events::AuthorityProposed;
use crate::state::Config;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ProposeAuthority<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ OptionsAmmError::NotAuthority)]
    pub config: Account<'info, Config>,
}

/// First step of an authority transfer: names the next authority (which must accept).
pub fn propose_authority_handler(
    ctx: Context<ProposeAuthority>,
    new_authority: Pubkey,
) -> Result<()> {
    let config = &mut ctx.accounts.config;
    config.pending_authority = new_authority;
    config.invariant()?;
    emit!(AuthorityProposed {
        config: config.key(),
        authority: config.authority,
        pending_authority: new_authority
    });
    Ok(())
}
