use super::collateral::MoveCollateral;
use crate::book::margin::require_initial_margin;
use crate::error::OptionsAmmError;
use crate::events::CollateralMoved;
use crate::oracle::{self, OracleUse};
use crate::token;
use anchor_lang::prelude::*;

/// Takes `amount` quote units of collateral out of the owner's margin account, refused if the
/// account would be below initial margin (every registered position and its board passed as
/// remaining accounts). It adds risk, so it reads the oracle with the strict trading limits
/// (and the slot's one print), not the looser margin limits liquidation uses.
pub fn withdraw_collateral_handler(mut ctx: Context<MoveCollateral>, amount: u64) -> Result<()> {
    require!(amount > 0, OptionsAmmError::ZeroAmount);
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let a = &ctx.accounts;
    {
        let mut m = a.market.load_mut()?;
        let mut acc = a.margin.load_mut()?;
        acc.collateral =
            acc.collateral.checked_sub(amount).ok_or(OptionsAmmError::BelowInitialMargin)?;
        m.trader_collateral = m
            .trader_collateral
            .checked_sub(amount)
            .ok_or(OptionsAmmError::TraderCollateralUnderflow)?;
        let px = oracle::read(&m, &a.oracle, now, OracleUse::Trade)?;
        m.observe_price(clock.slot, px.publish_time, px.price)?;
        require_initial_margin(&a.market.key(), &m, &acc, ctx.remaining_accounts, now, &px)?;
    }
    let a = &mut ctx.accounts;
    token::pay_from_quote_vault(
        &a.quote_token_program,
        &a.quote_mint,
        &mut a.quote_vault,
        &a.owner_quote,
        &a.market,
        amount,
    )?;
    let collateral = a.margin.load()?.collateral;
    emit!(CollateralMoved {
        market: a.market.key(),
        owner: a.owner.key(),
        amount: -(amount as i64),
        collateral
    });
    Ok(())
}
