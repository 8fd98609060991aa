use super::collateral::MoveCollateral;
use crate::error::OptionsAmmError;
use crate::events::CollateralMoved;
use crate::math::safe::SafeMath;
use crate::token;
use anchor_lang::prelude::*;

/// Adds `amount` quote units of collateral to the owner's margin account; it repays the
/// account's debt first (the pool's receivable).
pub fn deposit_collateral_handler(mut ctx: Context<MoveCollateral>, amount: u64) -> Result<()> {
    require!(amount > 0, OptionsAmmError::ZeroAmount);
    let a = &ctx.accounts;
    let before = a.quote_vault.amount;
    token::transfer(
        &a.quote_token_program,
        &a.quote_mint,
        &a.owner_quote,
        &a.quote_vault,
        a.owner.to_account_info(),
        amount,
        &[],
    )?;
    let a = &mut ctx.accounts;
    a.quote_vault.reload()?;
    let mut m = a.market.load_mut()?;
    let mut acc = a.margin.load_mut()?;
    let (repaid, left) = acc.repay(amount);
    m.settlement_receivable = m.settlement_receivable.safe_sub(repaid)?;
    m.lp_quote = m.lp_quote.safe_add(repaid)?;
    acc.collateral = acc.collateral.safe_add(left)?;
    m.trader_collateral = m.trader_collateral.safe_add(left)?;
    acc.invariant()?;
    token::reconcile(a.quote_vault.amount, before.safe_add(amount)?, m.quote_books()?)?;
    m.invariant()?;
    emit!(CollateralMoved {
        market: a.market.key(),
        owner: a.owner.key(),
        amount: amount as i64,
        collateral: acc.collateral
    });
    Ok(())
}
