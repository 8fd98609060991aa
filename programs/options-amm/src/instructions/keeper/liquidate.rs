use crate::error::OptionsAmmError;
use crate::events::{BadDebt, Liquidated};
use crate::instructions::trader::trade::{apply_fill, market_fill, short};
use crate::math::margin::{margin, Exposure, Level};
use crate::math::safe::{add, sub};
use crate::math::value::{quote_raw, whole_units};
use crate::oracle::{self, OracleUse};
use crate::state::{account_margin, collateral_whole, Board, MarginAccount, Market, Position, PUT};
use crate::token;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use options_amm_pricing::{Fx, Side};

#[derive(Accounts)]
pub struct Liquidate<'info> {
    pub liquidator: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = board.load()?.market == market.key() @ OptionsAmmError::WrongMarket)]
    pub board: AccountLoader<'info, Board>,
    #[account(
        mut,
        constraint = position.load()?.board == board.key() @ OptionsAmmError::WrongPosition,
        constraint = position.load()?.owner == margin.load()?.owner @ OptionsAmmError::WrongPosition,
    )]
    pub position: AccountLoader<'info, Position>,
    #[account(
        mut,
        constraint = margin.load()?.market == market.key() @ OptionsAmmError::WrongMarginAccount,
        constraint = margin.load()?.owner != liquidator.key() @ OptionsAmmError::LiquidatorIsOwner,
    )]
    pub margin: AccountLoader<'info, MarginAccount>,
    /// CHECK: `oracle::read` checks that it is the market's, owned by Pyth, valid for margin.
    pub oracle: UncheckedAccount<'info>,
    #[account(address = market.load()?.quote_mint @ OptionsAmmError::WrongMint)]
    pub quote_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = market.load()?.quote_vault @ OptionsAmmError::WrongVault)]
    pub quote_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = liquidator_quote.mint == quote_mint.key() @ OptionsAmmError::WrongMint,
        constraint = liquidator_quote.owner == liquidator.key() @ OptionsAmmError::WrongTokenOwner,
    )]
    pub liquidator_quote: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(address = market.load()?.quote_token_program @ OptionsAmmError::WrongTokenProgram)]
    pub quote_token_program: Interface<'info, TokenInterface>,
}

fn excess(m: &Market, acc: &MarginAccount, t: crate::math::margin::MarginTotals) -> Result<Fx> {
    t.excess(collateral_whole(acc, m.quote_decimals)?)
}

/// Liquidates part of an account below maintenance margin: closes `size` contracts of one of
/// its short series against the vault at the AMM's price (paid from its collateral), takes a
/// penalty (a share of the closed spot notional) split between the liquidator and the vault,
/// and checks health before (below maintenance) and after (the liquidation may not overshoot
/// initial margin by more than one contract's requirement). What the collateral cannot pay is
/// bad debt, absorbed by the pool (the junior tranche first through the waterfall).
pub fn handler(mut ctx: Context<Liquidate>, strike_index: u8, kind: u8, size: u64) -> Result<()> {
    let a = &ctx.accounts;
    require!(size > 0, OptionsAmmError::ZeroAmount);
    require!(kind <= PUT, OptionsAmmError::InvalidOptionKind);
    let now = Clock::get()?.unix_timestamp;
    let market_key = a.market.key();

    // Health before (no account borrowed mutably while the pairs are read).
    // The longs are not touched (only a short is bought back): their value is reused after.
    let (px, mm_before, long_value) = {
        let m = a.market.load()?;
        let acc = a.margin.load()?;
        let px = oracle::read(&m, &a.oracle, now, OracleUse::Margin)?;
        let totals = account_margin(
            &market_key,
            &m,
            &acc,
            ctx.remaining_accounts,
            now,
            &px,
            Level::Maintenance,
            None,
        )?;
        let e = excess(&m, &acc, totals)?;
        require!(e < 0, OptionsAmmError::AccountHealthy);
        (px, e, totals.long_value)
    };

    let (keeper_cut, event, bad_debt, seeds, one_contract_im) = {
        let mut m = a.market.load_mut()?;
        let mut b = a.board.load_mut()?;
        let mut pos = a.position.load_mut()?;
        let mut acc = a.margin.load_mut()?;
        let t = m.params.trading;
        require!(b.settled == 0 && now < b.expiry_ts, OptionsAmmError::BoardExpired);
        require!(
            !b.cache_is_stale(now, px.price, t.cache_max_age_secs, t.cache_max_spot_move_bps),
            OptionsAmmError::StaleGreekCache
        );
        let st = *b.strike(strike_index)?;
        require!(
            short(pos.sizes[strike_index as usize][kind as usize]) >= size,
            OptionsAmmError::InvalidLiquidation
        );
        let (ud, qd) = (m.underlying_decimals, m.quote_decimals);
        let f = market_fill(&m, &b, strike_index, kind, Side::Buy, size, &px, now)?;
        let g = m.params.margin;
        let notional =
            whole_units(size, ud)?.checked_mul(px.price).ok_or(OptionsAmmError::MathOverflow)?;
        let penalty = quote_raw(
            notional
                .checked_mul(Fx::from_num(g.liquidation_penalty_bps) / 10_000)
                .ok_or(OptionsAmmError::MathOverflow)?,
            qd,
            true,
        )?;
        let cost = add(add(f.premium, f.fee_lp)?, f.fee_protocol)?;
        let cost_paid = cost.min(acc.collateral);
        let penalty_paid = penalty.min(sub(acc.collateral, cost_paid)?);
        let bad_debt = sub(cost, cost_paid)?;
        acc.collateral = sub(acc.collateral, add(cost_paid, penalty_paid)?)?;
        m.trader_collateral = m
            .trader_collateral
            .checked_sub(add(cost_paid, penalty_paid)?)
            .ok_or(OptionsAmmError::InvariantViolated)?;
        let keeper_cut = crate::math::safe::mul_div_floor(
            penalty_paid,
            g.keeper_penalty_share_bps as u64,
            10_000,
        )?;
        // Bad debt is first taken out of the protocol's fee (it is only booked if paid), the
        // rest from the pool. The pool gets the premium, the LP fee and its share of the
        // penalty, less that rest.
        let fee_lost = f.fee_protocol.min(bad_debt);
        let protocol_cut = sub(f.fee_protocol, fee_lost)?;
        let pool_loss = sub(bad_debt, fee_lost)?;
        let pool_in = sub(add(add(f.premium, f.fee_lp)?, penalty_paid)?, keeper_cut)? as i128
            - pool_loss as i128;
        m.lp_quote = u64::try_from(m.lp_quote as i128 + pool_in)
            .map_err(|_| OptionsAmmError::InsufficientFreeLiquidity)?;
        m.protocol_fees =
            m.protocol_fees.checked_add(protocol_cut).ok_or(OptionsAmmError::MathOverflow)?;
        m.lp_fees = m.lp_fees.checked_add(f.fee_lp).ok_or(OptionsAmmError::MathOverflow)?;
        let applied =
            apply_fill(&mut m, &mut b, &mut pos, strike_index, kind, Side::Buy, size, &f)?;
        acc.track_series(applied.old_trader, applied.new_trader)?;

        // One contract of this series at initial margin: the most the account may end above it.
        let one = Exposure {
            kind,
            strike: st.strike.get(),
            base_vol: st.base_vol.get(),
            expiry_secs: (b.expiry_ts - now) as u64,
            size: -Fx::ONE,
        };
        let cap = m.params.trading.call_cap_multiple_bps;
        let one_contract_im = margin(
            &[one],
            px.price,
            px.conf,
            m.params.risk_free_rate_bps,
            cap,
            &g,
            Level::Initial,
        )?
        .requirement;
        let event = Liquidated {
            market: market_key,
            owner: acc.owner,
            liquidator: a.liquidator.key(),
            board: a.board.key(),
            strike_index,
            kind,
            size,
            cost,
            penalty_keeper: keeper_cut,
            penalty_vault: sub(penalty_paid, keeper_cut)?,
            bad_debt,
            mm_excess_before: mm_before.to_bits(),
            im_excess_after: 0,
        };
        (keeper_cut, event, bad_debt, m.signer_seeds(), one_contract_im)
    };

    let vault_before = a.quote_vault.amount;
    if keeper_cut > 0 {
        let slices = seeds.as_slices();
        token::transfer(
            &a.quote_token_program,
            &a.quote_mint,
            &a.quote_vault,
            &a.liquidator_quote,
            a.market.to_account_info(),
            keeper_cut,
            &[&slices],
        )?;
    }
    let a = &mut ctx.accounts;
    a.quote_vault.reload()?;
    let m = a.market.load()?;
    token::reconcile(a.quote_vault.amount, sub(vault_before, keeper_cut)?, m.quote_books()?)?;
    m.invariant()?;
    a.board.load()?.invariant()?;

    // Health after: no further than one contract's worth above initial margin.
    let acc = a.margin.load()?;
    let totals = account_margin(
        &market_key,
        &m,
        &acc,
        ctx.remaining_accounts,
        now,
        &px,
        Level::Initial,
        Some(long_value),
    )?;
    let im_after = excess(&m, &acc, totals)?;
    require!(im_after <= one_contract_im, OptionsAmmError::LiquidationTooLarge);
    emit!(Liquidated { im_excess_after: im_after.to_bits(), ..event });
    if bad_debt > 0 {
        emit!(BadDebt { market: market_key, owner: acc.owner, amount: bad_debt });
    }
    Ok(())
}
