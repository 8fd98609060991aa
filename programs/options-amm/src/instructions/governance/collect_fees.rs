use crate::error::OptionsAmmError;
use crate::events::ProtocolFeesCollected;
use crate::state::{Config, Market};
use crate::token;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct CollectFees<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ OptionsAmmError::NotAuthority)]
    pub config: Account<'info, Config>,
    #[account(mut, has_one = config @ OptionsAmmError::WrongConfig)]
    pub market: AccountLoader<'info, Market>,
    #[account(address = market.load()?.quote_mint @ OptionsAmmError::WrongMint)]
    pub quote_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = market.load()?.quote_vault @ OptionsAmmError::WrongVault)]
    pub quote_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The treasury: any quote token account the authority names (not the vault).
    #[account(
        mut,
        constraint = treasury.mint == quote_mint.key() @ OptionsAmmError::WrongMint,
        constraint = treasury.key() != quote_vault.key() @ OptionsAmmError::WrongVault,
    )]
    pub treasury: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(address = market.load()?.quote_token_program @ OptionsAmmError::WrongTokenProgram)]
    pub quote_token_program: Interface<'info, TokenInterface>,
}

/// Pays `amount` of the accrued protocol fees to the treasury: the books (`protocol_fees`) and
/// the vault move together, nothing of the pool's or the traders' is touched.
pub fn collect_fees_handler(mut ctx: Context<CollectFees>, amount: u64) -> Result<()> {
    require!(amount > 0, OptionsAmmError::ZeroAmount);
    {
        let mut m = ctx.accounts.market.load_mut()?;
        require!(amount <= m.protocol_fees, OptionsAmmError::InsufficientProtocolFees);
        m.protocol_fees -= amount;
    }
    let a = &mut ctx.accounts;
    token::pay_from_quote_vault(
        &a.quote_token_program,
        &a.quote_mint,
        &mut a.quote_vault,
        &a.treasury,
        &a.market,
        amount,
    )?;
    let m = a.market.load()?;
    emit!(ProtocolFeesCollected {
        market: a.market.key(),
        authority: a.authority.key(),
        treasury: a.treasury.key(),
        amount,
        remaining: m.protocol_fees,
    });
    Ok(())
}
