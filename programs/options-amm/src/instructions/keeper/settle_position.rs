use crate::error::OptionsAmmError;
use crate::events::{BadDebt, PositionSettled};
use crate::math::safe::sub;
use crate::math::settle::{amount, payoff};
use crate::state::{Board, MarginAccount, Market, Position, CALL, PUT};
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
        constraint = margin.load()?.owner == owner.key() @ OptionsAmmError::WrongMarginAccount,
        constraint = margin.load()?.market == market.key() @ OptionsAmmError::WrongMarginAccount,
    )]
    pub margin: AccountLoader<'info, MarginAccount>,
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
/// longs from the board's reserve (rounded down), takes what its shorts owe (rounded up) from
/// the owner's margin collateral, then closes the position to its owner. What the collateral
/// cannot pay is bad debt: the pool's receivable goes, so NAV falls (the junior tranche first).
/// Amounts depend only on the settlement price and the position, so totals do not depend on
/// the order; a position settles once (its account is closed).
pub fn handler(mut ctx: Context<SettlePosition>) -> Result<()> {
    let a = &ctx.accounts;
    let (payout, owed, bad_debt, seeds) = {
        let mut m = a.market.load_mut()?;
        let mut b = a.board.load_mut()?;
        let pos = a.position.load()?;
        let mut acc = a.margin.load_mut()?;
        require!(b.settled == 1, OptionsAmmError::BoardNotSettled);
        let (ud, qd, cap) =
            (m.underlying_decimals, m.quote_decimals, m.params.trading.call_cap_multiple_bps);
        let price = b.settlement_price.get();
        let (mut payout, mut owed, mut open) = (0u64, 0u64, 0u8);
        let n = b.num_strikes as usize;
        let add = |x: u64, y: u64| x.checked_add(y).ok_or(OptionsAmmError::MathOverflow);
        for i in 0..n {
            for kind in [CALL, PUT] {
                let k = kind as usize;
                let size = pos.sizes[i][k];
                if size == 0 {
                    continue;
                }
                open += 1;
                let p = payoff(kind, b.strikes[i].strike.get(), price, cap)?;
                if size > 0 {
                    payout = add(payout, amount(size as u64, p, ud, qd, false)?)?;
                    let oi = &mut b.strikes[i].open_interest[k];
                    *oi = oi.checked_sub(size as u64).ok_or(OptionsAmmError::InvariantViolated)?;
                } else {
                    owed = add(owed, amount(size.unsigned_abs(), p, ud, qd, true)?)?;
                }
            }
        }
        // Longs: from the board's reserve.
        b.payable = b.payable.checked_sub(payout).ok_or(OptionsAmmError::InvariantViolated)?;
        m.settlement_payable =
            m.settlement_payable.checked_sub(payout).ok_or(OptionsAmmError::InvariantViolated)?;
        // Shorts: from the margin collateral into the pool, against the board's receivable.
        let paid = owed.min(acc.collateral);
        acc.collateral = sub(acc.collateral, paid)?;
        m.trader_collateral =
            m.trader_collateral.checked_sub(paid).ok_or(OptionsAmmError::InvariantViolated)?;
        m.lp_quote = m.lp_quote.checked_add(paid).ok_or(OptionsAmmError::MathOverflow)?;
        let covered = owed.min(b.receivable);
        b.receivable = sub(b.receivable, covered)?;
        m.settlement_receivable = m.settlement_receivable.saturating_sub(covered);
        acc.unregister(&a.position.key())?;
        acc.close_series(open)?;
        // Once every long of the board is paid, the reserve's rounding dust returns to the pool.
        if b.strikes[..n].iter().all(|s| s.open_interest == [0, 0]) && b.payable > 0 {
            let dust = b.payable;
            b.payable = 0;
            m.settlement_payable = sub(m.settlement_payable, dust)?;
            m.lp_quote = m.lp_quote.checked_add(dust).ok_or(OptionsAmmError::MathOverflow)?;
        }
        (payout, owed, sub(owed, paid)?, m.signer_seeds())
    };

    let vault_before = a.quote_vault.amount;
    if payout > 0 {
        let slices = seeds.as_slices();
        token::transfer(
            &a.quote_token_program,
            &a.quote_mint,
            &a.quote_vault,
            &a.owner_quote,
            a.market.to_account_info(),
            payout,
            &[&slices],
        )?;
    }
    let a = &mut ctx.accounts;
    a.quote_vault.reload()?;
    let m = a.market.load()?;
    token::reconcile(a.quote_vault.amount, sub(vault_before, payout)?, m.quote_books()?)?;
    m.invariant()?;
    emit!(PositionSettled {
        market: a.market.key(),
        board: a.board.key(),
        owner: a.owner.key(),
        payout,
        owed,
        bad_debt
    });
    if bad_debt > 0 {
        emit!(BadDebt { market: a.market.key(), owner: a.owner.key(), amount: bad_debt });
    }
    Ok(())
}
