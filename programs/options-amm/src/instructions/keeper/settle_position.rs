use crate::book::settle::{net, position_amounts};
use crate::error::OptionsAmmError;
use crate::events::{BadDebt, PositionSettled};
use crate::math::safe::SafeMath;
use crate::state::{Board, BoardStatus, MarginAccount, Market, Position};
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

/// Settles one position of a settled board (anyone may call): its longs are paid from the
/// board's reserve (rounded down) and its shorts owe their payoff (rounded up). Before
/// anything leaves, the payout pays the position's own shorts, then the account's earlier
/// debt; the collateral pays what the shorts still owe. What is left of the payout stays as
/// collateral while the account keeps shorts or debt (so no long that backs a short walks
/// away), else goes to the owner's wallet. A shortfall becomes the account's debt while it
/// keeps other positions (their payouts repay it), else bad debt for the pool (NAV falls, the
/// junior tranche first). Then the position closes to its owner. Amounts depend only on the
/// settlement price and the position, so totals do not depend on the order; a position settles
/// once (its account is closed). Settlement never lowers an account's margin: it is never
/// blocked by it.
pub fn settle_position_handler(mut ctx: Context<SettlePosition>) -> Result<()> {
    let a = &ctx.accounts;
    let (n, amounts) = {
        let mut m = a.market.load_mut()?;
        let mut b = a.board.load_mut()?;
        let pos = a.position.load()?;
        let mut acc = a.margin.load_mut()?;
        require!(b.status()? == BoardStatus::Settled, OptionsAmmError::BoardNotSettled);
        let (ud, qd) = (m.underlying_decimals, m.quote_decimals);
        let amounts = position_amounts(&mut b, &pos, ud, qd)?;
        acc.unregister(&a.position.key())?;
        acc.close_series(amounts.open, amounts.shorts)?;
        // Other positions that still hold series can repay a debt; empty ones cannot.
        let others = acc.open_series > 0;
        let n = net(&amounts, acc.collateral, acc.debt, others, acc.has_shorts());

        // Longs: out of the board's reserve.
        b.payable = b.payable.safe_sub(amounts.payout)?;
        m.settlement_payable = m.settlement_payable.safe_sub(amounts.payout)?;
        // Shorts: what they owe leaves the board's receivable; what was paid (from the
        // payout and the collateral) joins the pool; a new debt stays a receivable.
        let covered = amounts.owed.min(b.receivable);
        b.receivable = b.receivable.safe_sub(covered)?;
        m.settlement_receivable = m.settlement_receivable.saturating_sub(covered);
        acc.collateral = acc.collateral.safe_sub(n.from_collateral)?;
        m.trader_collateral = m.trader_collateral.safe_sub(n.from_collateral)?;
        let paid = (n.payout_to_shorts.safe_add(n.from_collateral)?).safe_add(n.debt_repaid)?;
        m.lp_quote = m.lp_quote.safe_add(paid)?;
        // Earlier debt repaid, or written off with the last position.
        let old_debt_gone = n.debt_repaid.safe_add(n.debt_written_off)?;
        acc.debt = acc.debt.safe_sub(old_debt_gone)?;
        m.settlement_receivable = m.settlement_receivable.safe_sub(old_debt_gone)?;
        acc.debt = acc.debt.safe_add(n.new_debt)?;
        m.settlement_receivable = m.settlement_receivable.safe_add(n.new_debt)?;
        acc.collateral = acc.collateral.safe_add(n.to_collateral)?;
        m.trader_collateral = m.trader_collateral.safe_add(n.to_collateral)?;
        m.record_bad_debt(n.bad_debt);
        // Once every long of the board is paid, the reserve's rounding dust returns to the pool.
        let k = b.num_strikes as usize;
        if b.strikes[..k].iter().all(|s| s.open_interest == [0, 0]) && b.payable > 0 {
            let dust = b.payable;
            b.payable = 0;
            m.settlement_payable = m.settlement_payable.safe_sub(dust)?;
            m.lp_quote = m.lp_quote.safe_add(dust)?;
        }
        acc.invariant()?;
        (n, amounts)
    };

    let a = &mut ctx.accounts;
    token::pay_from_quote_vault(
        &a.quote_token_program,
        &a.quote_mint,
        &mut a.quote_vault,
        &a.owner_quote,
        &a.market,
        n.to_wallet,
    )?;
    emit!(PositionSettled {
        market: a.market.key(),
        board: a.board.key(),
        owner: a.owner.key(),
        payout: amounts.payout,
        owed: amounts.owed,
        bad_debt: n.bad_debt,
        to_wallet: n.to_wallet,
        to_collateral: n.to_collateral,
        debt_repaid: n.debt_repaid,
        new_debt: n.new_debt,
    });
    if n.bad_debt > 0 {
        emit!(BadDebt { market: a.market.key(), owner: a.owner.key(), amount: n.bad_debt });
    }
    Ok(())
}
