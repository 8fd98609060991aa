use crate::error::OptionsAmmError;
use crate::events::PositionClosed;
use crate::state::{Board, MarginAccount, Market, Position};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ClosePosition<'info> {
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
        mut,
        close = owner,
        constraint = position.load()?.owner == owner.key() @ OptionsAmmError::WrongPosition,
        constraint = position.load()?.board == board.key() @ OptionsAmmError::WrongPosition,
    )]
    pub position: AccountLoader<'info, Position>,
}

/// Closes an empty position (every series at zero) on any board and unregisters it from the
/// margin account, returning its rent: room for a position on another board. Refused while
/// it holds anything.
pub fn close_position_handler(ctx: Context<ClosePosition>) -> Result<()> {
    {
        let p = ctx.accounts.position.load()?;
        require!(p.sizes.iter().flatten().all(|s| *s == 0), OptionsAmmError::PositionNotEmpty);
    }
    let mut acc = ctx.accounts.margin.load_mut()?;
    acc.unregister(&ctx.accounts.position.key())?;
    acc.invariant()?;
    emit!(PositionClosed {
        market: ctx.accounts.market.key(),
        board: ctx.accounts.board.key(),
        owner: ctx.accounts.owner.key(),
        position: ctx.accounts.position.key(),
    });
    Ok(())
}
