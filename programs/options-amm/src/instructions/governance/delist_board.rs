use crate::error::OptionsAmmError;
use crate::events::BoardDelisted;
use crate::state::{Board, BoardStatus, Config, Market, PodFx};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

#[derive(Accounts)]
pub struct DelistBoard<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ OptionsAmmError::NotAuthority)]
    pub config: Account<'info, Config>,
    #[account(mut, has_one = config @ OptionsAmmError::WrongConfig)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = board.load()?.market == market.key() @ OptionsAmmError::WrongMarket)]
    pub board: AccountLoader<'info, Board>,
}

/// Takes an empty active board off the market (a listing nobody trades, or one that cannot be
/// priced): it stops counting among the active boards that LP flows and hedges pass, and
/// positions opened on it (all empty) can be closed. Refused while anyone, the vault
/// included, holds a contract on it.
pub fn delist_board_handler(ctx: Context<DelistBoard>) -> Result<()> {
    let mut m = ctx.accounts.market.load_mut()?;
    let mut b = ctx.accounts.board.load_mut()?;
    require!(b.status()? == BoardStatus::Active, OptionsAmmError::BoardNotActive);
    require!(b.is_empty(), OptionsAmmError::BoardNotEmpty);
    // An empty board's contributions are zero; remove whatever rounding left, as settlement does.
    let before = m.inventory();
    m.net_delta.replace_part(b.contrib_delta.get(), Fx::ZERO)?;
    m.net_gamma.replace_part(b.contrib_gamma.get(), Fx::ZERO)?;
    m.net_vega.replace_part(b.contrib_vega.get(), Fx::ZERO)?;
    m.options_value.replace_part(b.contrib_value.get(), Fx::ZERO)?;
    m.record_unpriced_move(Clock::get()?.unix_timestamp, before)?;
    b.contrib_delta = PodFx::default();
    b.contrib_gamma = PodFx::default();
    b.contrib_vega = PodFx::default();
    b.contrib_value = PodFx::default();
    b.status = BoardStatus::Delisted as u8;
    m.active_boards =
        m.active_boards.checked_sub(1).ok_or(OptionsAmmError::ActiveBoardsUnderflow)?;
    b.invariant()?;
    m.invariant()?;
    emit!(BoardDelisted {
        market: ctx.accounts.market.key(),
        board: ctx.accounts.board.key(),
        authority: ctx.accounts.authority.key(),
    });
    Ok(())
}
