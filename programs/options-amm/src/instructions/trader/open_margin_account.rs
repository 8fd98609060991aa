use crate::state::{seeds, MarginAccount, Market};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct OpenMarginAccount<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    pub market: AccountLoader<'info, Market>,
    #[account(
        init,
        payer = owner,
        space = MarginAccount::SPACE,
        seeds = [seeds::MARGIN, market.key().as_ref(), owner.key().as_ref()],
        bump,
    )]
    pub margin: AccountLoader<'info, MarginAccount>,
    pub system_program: Program<'info, System>,
}

/// Creates the owner's cross-margin account in a market (no collateral, no positions).
pub fn open_margin_account_handler(ctx: Context<OpenMarginAccount>) -> Result<()> {
    let mut a = ctx.accounts.margin.load_init()?;
    a.owner = ctx.accounts.owner.key();
    a.market = ctx.accounts.market.key();
    a.bump = ctx.bumps.margin;
    Ok(())
}
