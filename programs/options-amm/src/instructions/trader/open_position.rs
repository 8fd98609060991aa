use crate::error::OptionsAmmError;
use crate::events::PositionOpened;
use crate::state::{seeds, Board, MarginAccount, Market, Position};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct OpenPosition<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    pub market: AccountLoader<'info, Market>,
    #[account(constraint = board.load()?.market == market.key() @ OptionsAmmError::WrongMarket)]
    pub board: AccountLoader<'info, Board>,
    #[account(
        mut,
        constraint = margin.load()?.owner == owner.key() @ OptionsAmmError::WrongMarginAccount,
        constraint = margin.load()?.market == market.key() @ OptionsAmmError::WrongMarginAccount,
    )]
    pub margin: AccountLoader<'info, MarginAccount>,
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

/// Creates the owner's position account on a board (empty) and registers it in the owner's
/// margin account, whose collateral backs its shorts. Refused on a settled or expired board: a
/// position closed by settlement cannot be revived there.
pub fn open_position_handler(ctx: Context<OpenPosition>) -> Result<()> {
    {
        let b = ctx.accounts.board.load()?;
        match b.status()? {
            crate::state::BoardStatus::Active => {}
            crate::state::BoardStatus::Settled => return err!(OptionsAmmError::BoardSettled),
            crate::state::BoardStatus::Delisted => return err!(OptionsAmmError::BoardNotActive),
        }
        require!(Clock::get()?.unix_timestamp < b.expiry_ts, OptionsAmmError::BoardExpired);
    }
    ctx.accounts.margin.load_mut()?.register(ctx.accounts.position.key())?;
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
