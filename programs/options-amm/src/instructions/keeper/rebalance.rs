use crate::book::valuation::check_boards;
use crate::error::OptionsAmmError;
use crate::events::Rebalanced;
use crate::math::hedge::{HedgeSide, HedgeVenue, KeeperVenue};
use crate::math::safe::SafeMath;
use crate::math::value::micro;
use crate::math::value::whole_units;
use crate::oracle::{self, OracleUse};
use crate::state::{Market, PAUSE_TRADING};
use crate::token;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct Rebalance<'info> {
    pub keeper: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: `oracle::read` checks that it is the market's, owned by Pyth, valid for trading.
    pub oracle: UncheckedAccount<'info>,
    #[account(address = market.load()?.underlying_mint @ OptionsAmmError::WrongMint)]
    pub underlying_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(address = market.load()?.quote_mint @ OptionsAmmError::WrongMint)]
    pub quote_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = market.load()?.underlying_vault @ OptionsAmmError::WrongVault)]
    pub underlying_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, address = market.load()?.quote_vault @ OptionsAmmError::WrongVault)]
    pub quote_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = keeper_underlying.mint == underlying_mint.key() @ OptionsAmmError::WrongMint,
        constraint = keeper_underlying.owner == keeper.key() @ OptionsAmmError::WrongTokenOwner,
    )]
    pub keeper_underlying: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = keeper_quote.mint == quote_mint.key() @ OptionsAmmError::WrongMint,
        constraint = keeper_quote.owner == keeper.key() @ OptionsAmmError::WrongTokenOwner,
    )]
    pub keeper_quote: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(address = market.load()?.underlying_token_program @ OptionsAmmError::WrongTokenProgram)]
    pub underlying_token_program: Interface<'info, TokenInterface>,
    #[account(address = market.load()?.quote_token_program @ OptionsAmmError::WrongTokenProgram)]
    pub quote_token_program: Interface<'info, TokenInterface>,
}

/// Delta-hedges the vault with the keeper as counterparty: when |net delta| is outside its band,
/// the vault buys (if short delta) or sells (if long, from what it holds) `amount` underlying
/// at the oracle price improved by the keeper discount, only toward zero and never past it.
/// `limit` is the keeper's bound: the least quote it accepts when selling to the vault, the
/// most it pays when buying from it. The hedge counts in NAV and in the net delta.
pub fn rebalance_handler(mut ctx: Context<Rebalance>, amount: u64, limit: u64) -> Result<()> {
    let a = &ctx.accounts;
    require!(amount > 0, OptionsAmmError::ZeroAmount);
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let (side, quote_amount, before, after, price, seeds) = {
        let mut m = a.market.load_mut()?;
        require!(!m.is_paused(PAUSE_TRADING), OptionsAmmError::TradingPaused);
        let h = m.params.hedge;
        require!(amount <= h.max_rebalance_size, OptionsAmmError::RebalanceTooLarge);
        let px = oracle::read(&m, &a.oracle, now, OracleUse::Trade)?;
        m.observe_price(clock.slot, px.publish_time, px.price)?;
        check_boards(&a.market.key(), &m, ctx.remaining_accounts, now, px.price)?;
        let before = m.net_delta.get();
        let band = micro(h.delta_band_micro);
        require!(before.abs() > band, OptionsAmmError::DeltaInsideBand);
        let size = whole_units(amount, m.underlying_decimals)?;
        require!(size <= before.abs(), OptionsAmmError::RebalancePastZero);
        let side = if before < 0 { HedgeSide::VaultBuys } else { HedgeSide::VaultSells };
        let venue = KeeperVenue { discount_bps: h.keeper_discount_bps };
        let q =
            venue.quote_amount(side, amount, px.price, m.underlying_decimals, m.quote_decimals)?;
        let after = match side {
            HedgeSide::VaultBuys => {
                require!(q >= limit, OptionsAmmError::SlippageExceeded);
                require!(q <= m.free_quote(), OptionsAmmError::InsufficientFreeLiquidity);
                m.lp_quote = m.lp_quote.safe_sub(q)?;
                m.lp_underlying = m.lp_underlying.safe_add(amount)?;
                before.safe_add(size)?
            }
            HedgeSide::VaultSells => {
                require!(q <= limit, OptionsAmmError::SlippageExceeded);
                require!(amount <= m.lp_underlying, OptionsAmmError::InsufficientHedgeInventory);
                m.lp_underlying = m.lp_underlying.safe_sub(amount)?;
                m.lp_quote = m.lp_quote.safe_add(q)?;
                before.safe_sub(size)?
            }
        };
        let inventory_before = m.inventory();
        m.net_delta.set(after);
        m.record_unpriced_move(now, inventory_before)?;
        (side, q, before, after, px.price, m.signer_seeds())
    };

    let (u_before, q_before) = (a.underlying_vault.amount, a.quote_vault.amount);
    let slices = seeds.as_slices();
    let keeper = a.keeper.to_account_info();
    let market = a.market.to_account_info();
    match side {
        HedgeSide::VaultBuys => {
            token::transfer(
                &a.underlying_token_program,
                &a.underlying_mint,
                &a.keeper_underlying,
                &a.underlying_vault,
                keeper,
                amount,
                &[],
            )?;
            token::transfer(
                &a.quote_token_program,
                &a.quote_mint,
                &a.quote_vault,
                &a.keeper_quote,
                market,
                quote_amount,
                &[&slices],
            )?;
        }
        HedgeSide::VaultSells => {
            token::transfer(
                &a.quote_token_program,
                &a.quote_mint,
                &a.keeper_quote,
                &a.quote_vault,
                keeper,
                quote_amount,
                &[],
            )?;
            token::transfer(
                &a.underlying_token_program,
                &a.underlying_mint,
                &a.underlying_vault,
                &a.keeper_underlying,
                market,
                amount,
                &[&slices],
            )?;
        }
    }

    let a = &mut ctx.accounts;
    a.quote_vault.reload()?;
    a.underlying_vault.reload()?;
    let m = a.market.load()?;
    let (u_expected, q_expected) = match side {
        HedgeSide::VaultBuys => (u_before.safe_add(amount)?, q_before.safe_sub(quote_amount)?),
        HedgeSide::VaultSells => (u_before.safe_sub(amount)?, q_before.safe_add(quote_amount)?),
    };
    token::reconcile(a.quote_vault.amount, q_expected, m.quote_books()?)?;
    token::reconcile(a.underlying_vault.amount, u_expected, m.lp_underlying)?;
    m.invariant()?;
    emit!(Rebalanced {
        market: a.market.key(),
        keeper: a.keeper.key(),
        vault_bought: side == HedgeSide::VaultBuys,
        amount,
        quote_amount,
        oracle_price: price.to_bits(),
        net_delta_before: before.to_bits(),
        net_delta_after: after.to_bits(),
    });
    Ok(())
}
