use crate::error::OptionsAmmError;
use crate::events::PositionOpened;
use crate::state::{seeds, Board, Market, Position};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct OpenPosition<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    pub market: AccountLoader<'info, Market>,
    #[account(constraint = board.load()?.market == market.key() @ OptionsAmmError::WrongMarket)]
    pub board: AccountLoader<'info, Board>,
    #[account(
        init,
        payer = owner,
        space = Position::SPACE,
        seeds = [seeds::POSITION, board.key().as_ref(), owner.key().as_ref()],
        bump,
    )]
    pub position: AccountLoader<'info, Position>,
    pub system_program: Program<'info, System>,
}

/// Creates the owner's position account on a board (empty, no collateral).
pub fn handler(ctx: Context<OpenPosition>) -> Result<()> {
    let mut p = ctx.accounts.position.load_init()?;
    p.owner = ctx.accounts.owner.key();
    p.market = ctx.accounts.market.key();
    p.board = ctx.accounts.board.key();
    p.bump = ctx.bumps.position;
    emit!(PositionOpened {
        market: p.market,
        board: p.board,
        owner: p.owner,
        position: ctx.accounts.position.key(),
    });
    Ok(())
}
