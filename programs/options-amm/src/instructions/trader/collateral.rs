//! Accounts shared by `deposit_collateral` and `withdraw_collateral`.

use crate::error::OptionsAmmError;
use crate::state::{MarginAccount, Market};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct MoveCollateral<'info> {
    pub owner: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(
        mut,
        constraint = margin.load()?.owner == owner.key() @ OptionsAmmError::WrongMarginAccount,
        constraint = margin.load()?.market == market.key() @ OptionsAmmError::WrongMarginAccount,
    )]
    pub margin: AccountLoader<'info, MarginAccount>,
    #[account(address = market.load()?.quote_mint @ OptionsAmmError::WrongMint)]
    pub quote_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = market.load()?.quote_vault @ OptionsAmmError::WrongVault)]
    pub quote_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = owner_quote.mint == quote_mint.key() @ OptionsAmmError::WrongMint,
        constraint = owner_quote.owner == owner.key() @ OptionsAmmError::WrongTokenOwner,
    )]
    pub owner_quote: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: `oracle::read` checks that it is the market's, owned by Pyth, valid for margin.
    pub oracle: UncheckedAccount<'info>,
    #[account(address = market.load()?.quote_token_program @ OptionsAmmError::WrongTokenProgram)]
    pub quote_token_program: Interface<'info, TokenInterface>,
}
