use crate::error::OptionsAmmError;
use crate::events::PositionSettled;
use crate::math::settle::{amount, payoff};
use crate::state::{Board, Market, Position, CALL, PUT};
use crate::token;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct SettlePosition<'info> {
    pub keeper: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = board.load()?.market == market.key() @ OptionsAmmError::WrongMarket)]
    pub board: AccountLoader<'info, Board>,
    #[account(
        mut,
        close = owner,
        constraint = position.load()?.board == board.key() @ OptionsAmmError::WrongPosition,
    )]
    pub position: AccountLoader<'info, Position>,
    /// CHECK: the position's owner; receives the position's rent.
    #[account(mut, address = position.load()?.owner @ OptionsAmmError::WrongPosition)]
    pub owner: UncheckedAccount<'info>,
    #[account(
        mut,
        constraint = owner_quote.mint == quote_mint.key() @ OptionsAmmError::WrongMint,
        constraint = owner_quote.owner == owner.key() @ OptionsAmmError::WrongTokenOwner,
    )]
    pub owner_quote: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(address = market.load()?.quote_mint @ OptionsAmmError::WrongMint)]
    pub quote_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = market.load()?.quote_vault @ OptionsAmmError::WrongVault)]
    pub quote_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(address = market.load()?.quote_token_program @ OptionsAmmError::WrongTokenProgram)]
    pub quote_token_program: Interface<'info, TokenInterface>,
}

/// Settles one position of a settled board (anyone may call; funds go to the owner): pays its
/// longs from the board's reserve (rounded down), keeps what its shorts owe from their
/// collateral (rounded up) and returns the rest, then closes the position to its owner. Each
/// position's amounts depend only on the settlement price and its own sizes, so totals do not
/// depend on the order; a position settles once (its account is closed).
pub fn handler(mut ctx: Context<SettlePosition>) -> Result<()> {
    let a = &ctx.accounts;
    let (payout, owed, returned, seeds) = {
        let mut m = a.market.load_mut()?;
        let mut b = a.board.load_mut()?;
        let pos = a.position.load()?;
        require!(b.settled == 1, OptionsAmmError::BoardNotSettled);
        let (ud, qd, cap) =
            (m.underlying_decimals, m.quote_decimals, m.params.trading.call_cap_multiple_bps);
        let price = b.settlement_price.get();
        let (mut payout, mut owed) = (0u64, 0u64);
        let n = b.num_strikes as usize;
        for i in 0..n {
            for kind in [CALL, PUT] {
                let k = kind as usize;
                let size = pos.sizes[i][k];
                if size == 0 {
                    continue;
                }
                let p = payoff(kind, b.strikes[i].strike.get(), price, cap)?;
                let add = |x: u64, y: u64| x.checked_add(y).ok_or(OptionsAmmError::MathOverflow);
                if size > 0 {
                    payout = add(payout, amount(size as u64, p, ud, qd, false)?)?;
                    let oi = &mut b.strikes[i].open_interest[k];
                    *oi = oi.checked_sub(size as u64).ok_or(OptionsAmmError::InvariantViolated)?;
                } else {
                    owed = add(owed, amount(size.unsigned_abs(), p, ud, qd, true)?)?;
                }
            }
        }
        let returned =
            pos.collateral.checked_sub(owed).ok_or(OptionsAmmError::InvariantViolated)?;
        // Longs: from the board's reserve.
        b.payable = b.payable.checked_sub(payout).ok_or(OptionsAmmError::InvariantViolated)?;
        m.settlement_payable =
            m.settlement_payable.checked_sub(payout).ok_or(OptionsAmmError::InvariantViolated)?;
        // Shorts: the board already moved its (rounded-down) receivable into the pool; any
        // rounding excess moves now, and the rest of the collateral goes back.
        let covered = owed.min(b.receivable);
        b.receivable -= covered;
        let excess = owed - covered;
        m.trader_collateral = m
            .trader_collateral
            .checked_sub(returned)
            .and_then(|v| v.checked_sub(excess))
            .ok_or(OptionsAmmError::InvariantViolated)?;
        m.lp_quote = m.lp_quote.checked_add(excess).ok_or(OptionsAmmError::MathOverflow)?;
        // Once every long of the board is paid, the reserve's rounding dust returns to the pool.
        if b.strikes[..n].iter().all(|s| s.open_interest == [0, 0]) && b.payable > 0 {
            let dust = b.payable;
            b.payable = 0;
            m.settlement_payable -= dust;
            m.lp_quote = m.lp_quote.checked_add(dust).ok_or(OptionsAmmError::MathOverflow)?;
        }
        (payout, owed, returned, m.signer_seeds())
    };

    let total = payout.checked_add(returned).ok_or(OptionsAmmError::MathOverflow)?;
    let vault_before = a.quote_vault.amount;
    if total > 0 {
        let slices = seeds.as_slices();
        token::transfer(
            &a.quote_token_program,
            &a.quote_mint,
            &a.quote_vault,
            &a.owner_quote,
            a.market.to_account_info(),
            total,
            &[&slices],
        )?;
    }
    let a = &mut ctx.accounts;
    a.quote_vault.reload()?;
    let m = a.market.load()?;
    token::reconcile(a.quote_vault.amount, vault_before - total, m.quote_books()?)?;
    m.invariant()?;
    emit!(PositionSettled {
        market: a.market.key(),
        board: a.board.key(),
        owner: a.owner.key(),
        payout,
        owed,
        collateral_returned: returned,
    });
    Ok(())
}
