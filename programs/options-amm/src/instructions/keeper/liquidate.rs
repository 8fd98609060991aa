use crate::book::fill::{apply_fill, liquidation_fill};
use crate::book::margin::account_excess;
use crate::book::settle::write_off_orphaned_debt;
use crate::constants::BPS;
use crate::error::OptionsAmmError;
use crate::events::{BadDebt, Liquidated};
use crate::math::margin::{margin, Bound, Exposure, Level};
use crate::math::safe::SafeMath;
use crate::math::value::{bps, secs_until};
use crate::math::value::{quote_raw, whole_units, Rounding};
use crate::oracle::{self, OracleUse};
use crate::state::Kind;
use crate::state::{Board, MarginAccount, Market, Position};
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

/// Liquidates part of an account below maintenance margin: closes `size` contracts of one of
/// its series against the vault (buys back a short, or sells a long whose value then backs the
/// rest) at the liquidation price (`book::fill::liquidation_fill`: the mark and a fixed
/// spread, which no trade in the same slot can move), takes a penalty (a share of the closed
/// spot notional for a short, of the proceeds for a long) from the account, and pays the liquidator its share of the penalty even when
/// the account cannot (the pool then pays it). Checks health before (below maintenance) and
/// after (at most one contract's initial requirement above initial margin: never more than
/// needed). What the account cannot pay becomes its debt while it keeps other series (their
/// value repays it first), else bad debt for the pool (the junior tranche first).
pub fn liquidate_handler(
    mut ctx: Context<Liquidate>,
    strike_index: u8,
    kind: Kind,
    size: u64,
) -> Result<()> {
    let a = &ctx.accounts;
    require!(size > 0, OptionsAmmError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let market_key = a.market.key();

    // Health before (no account borrowed mutably while the pairs are read).
    // The slot's one-print rule is not applied here: it guards trades and LP flows against a
    // stale print replaced within a transaction, and applied to liquidation it would let an
    // account's owner block its own liquidation slot after slot (by using the current print
    // first, then posting a newer one). A liquidation's price cannot be moved by trades anyway.
    let (px, mm_before, long_value, cache_decided) = {
        let m = a.market.load()?;
        let acc = a.margin.load()?;
        let px = oracle::read(&m, &a.oracle, now, OracleUse::Margin)?;
        let check = |known, bound| {
            let pairs = ctx.remaining_accounts;
            account_excess(&market_key, &m, &acc, pairs, now, &px, Level::Maintenance, known, bound)
        };
        // Bounded from the refresh's cached values from below, an excess under zero is under
        // zero priced. Otherwise the shorts are priced, the longs the bound pass valued reused
        // (or everything priced if the bound could not be formed).
        let (e, totals, cache_decided) = match check(None, Some(Bound::Below)) {
            Ok(c) if c.excess < 0 || !c.bounded => (c.excess, c.totals, c.bounded),
            Ok(c) => {
                let p = check(Some(c.totals.long_value), None)?;
                (p.excess, p.totals, false)
            }
            Err(_) => {
                let p = check(None, None)?;
                (p.excess, p.totals, false)
            }
        };
        require!(e < 0, OptionsAmmError::AccountHealthy);
        (px, e, totals.long_value, cache_decided)
    };

    let (keeper_reward, event, bad_debt, one_contract_im, side) = {
        let mut m = a.market.load_mut()?;
        let mut b = a.board.load_mut()?;
        let mut pos = a.position.load_mut()?;
        let mut acc = a.margin.load_mut()?;
        let t = m.params.trading;
        require!(b.is_active() && now < b.expiry_ts, OptionsAmmError::BoardExpired);
        require!(
            !b.cache_is_stale(now, px.price, t.cache_max_age_secs, t.cache_max_spot_move_bps),
            OptionsAmmError::StaleGreekCache
        );
        let st = *b.strike(strike_index)?;
        let held = pos.sizes[strike_index as usize][kind as usize];
        require!(held != 0, OptionsAmmError::NothingToLiquidate);
        require!(held.unsigned_abs() >= size, OptionsAmmError::InvalidLiquidation);
        // A short is bought back, a long sold.
        let side = if held < 0 { Side::Buy } else { Side::Sell };
        let (ud, qd) = (m.underlying_decimals, m.quote_decimals);
        let f = liquidation_fill(&m, &b, strike_index, kind, side, size, &px, now)?;
        let g = m.params.margin;
        // The penalty: a share of the spot notional closed for a short; for a long sold, a share
        // of what it is sold for (a penalty on notional could take more than a cheap long is
        // worth, and a liquidator could strip an account by selling its cheap longs).
        let penalty = match side {
            Side::Buy => {
                let notional = whole_units(size, ud)?.safe_mul(px.price)?;
                quote_raw(notional.safe_mul(bps(g.liquidation_penalty_bps))?, qd, Rounding::Up)?
            }
            Side::Sell => crate::math::safe::mul_div_ceil(
                f.premium,
                g.liquidation_penalty_bps as u64,
                crate::constants::BPS,
            )?,
        };

        // The closing trade's money. `pool_in` is what the pool's quote gains (signed).
        let fees = f.fees()?;
        let (trader_flow, mut pool_in, unpaid, protocol_cut, lp_fee_kept): (
            i128,
            i128,
            u64,
            u64,
            u64,
        ) = match side {
            Side::Buy => {
                let cost = f.premium.safe_add(fees)?;
                let paid = cost.min(acc.collateral);
                acc.collateral = acc.collateral.safe_sub(paid)?;
                m.trader_collateral = m.trader_collateral.safe_sub(paid)?;
                // What the account cannot pay is taken out of the protocol's fee first (it
                // is only booked if paid), then out of the pool's (or it is owed).
                let unpaid = cost.safe_sub(paid)?;
                let fee_lost = f.fee_protocol.min(unpaid);
                let protocol_cut = f.fee_protocol.safe_sub(fee_lost)?;
                let pool_unpaid = unpaid.safe_sub(fee_lost)?;
                let lp_fee_kept = f.fee_lp.saturating_sub(pool_unpaid);
                (
                    cost as i128,
                    paid as i128 - protocol_cut as i128,
                    pool_unpaid,
                    protocol_cut,
                    lp_fee_kept,
                )
            }
            Side::Sell => {
                require!(f.premium >= fees, OptionsAmmError::PremiumBelowFees);
                let proceeds = f.premium.safe_sub(fees)?;
                // Proceeds repay the account's debt first (the pool's receivable).
                let (repaid, left) = acc.repay(proceeds);
                m.settlement_receivable = m.settlement_receivable.safe_sub(repaid)?;
                acc.collateral = acc.collateral.safe_add(left)?;
                m.trader_collateral = m.trader_collateral.safe_add(left)?;
                let pool_in = -(f.premium as i128) + f.fee_lp as i128 + repaid as i128;
                (-(proceeds as i128), pool_in, 0, f.fee_protocol, f.fee_lp)
            }
        };
        // The penalty from what collateral is left; the liquidator's share is paid in full,
        // by the pool where the account cannot (a liquidator must be paid to close an
        // insolvent account too; the joint bound keeps the reward under the margin floor, so
        // nobody profits from liquidating their own accounts).
        let penalty_paid = penalty.min(acc.collateral);
        acc.collateral = acc.collateral.safe_sub(penalty_paid)?;
        m.trader_collateral = m.trader_collateral.safe_sub(penalty_paid)?;
        let keeper_reward =
            crate::math::safe::mul_div_floor(penalty, g.keeper_penalty_share_bps as u64, BPS)?;
        pool_in += penalty_paid as i128 - keeper_reward as i128;

        // The vault's inventory moves without a trade paying the potential for it: it fades
        // into the potential, so no trade placed around the liquidation gains from it.
        let before = m.inventory();
        let applied =
            apply_fill(&mut m, &mut b, &mut pos, strike_index, kind, side, size, &f.greeks)?;
        m.record_unpriced_move(now, before)?;
        acc.track_series(applied.old_trader, applied.new_trader)?;
        // Unpaid cost: the account's debt while it keeps open series, else the pool's loss.
        let mut bad_debt = if unpaid > 0 && acc.open_series > 0 {
            acc.debt = acc.debt.safe_add(unpaid)?;
            m.settlement_receivable = m.settlement_receivable.safe_add(unpaid)?;
            0
        } else {
            unpaid
        };
        // An earlier debt left on an account whose last series this closed is written off too.
        bad_debt = bad_debt.safe_add(write_off_orphaned_debt(&mut m, &mut acc)?)?;
        m.record_bad_debt(bad_debt);
        m.record_liquidation_penalty(penalty_paid, keeper_reward);
        m.lp_quote = u64::try_from(m.lp_quote as i128 + pool_in)
            .map_err(|_| OptionsAmmError::InsufficientFreeLiquidity)?;
        m.protocol_fees = m.protocol_fees.safe_add(protocol_cut)?;
        m.lp_fees = m.lp_fees.safe_add(lp_fee_kept)?;
        acc.invariant()?;
        pos.invariant(&market_key, &a.board.key(), &b)?;

        // One contract of this series at initial margin: the most the account may end above it.
        let one = Exposure {
            kind,
            strike: st.strike.get(),
            vol: st.mark_vol.get(),
            expiry_secs: secs_until(b.expiry_ts, now),
            size: -Fx::ONE,
        };
        let one_contract_im = margin(
            &[one],
            px.price,
            px.conf,
            m.params.risk_free_rate_bps,
            b.cap_multiple_bps,
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
            side: if side == Side::Buy { 0 } else { 1 },
            size,
            trader_flow: i64::try_from(trader_flow).map_err(|_| OptionsAmmError::MathOverflow)?,
            penalty_keeper: keeper_reward,
            penalty_vault: penalty_paid.saturating_sub(keeper_reward),
            bad_debt,
            mm_excess_before: mm_before.to_bits(),
            im_excess_after: 0,
            mm_excess_bounded: cache_decided,
            im_excess_bounded: false,
        };
        (keeper_reward, event, bad_debt, one_contract_im, side)
    };

    let a = &mut ctx.accounts;
    token::pay_from_quote_vault(
        &a.quote_token_program,
        &a.quote_mint,
        &mut a.quote_vault,
        &a.liquidator_quote,
        &a.market,
        keeper_reward,
    )?;
    a.board.load()?.invariant()?;
    let m = a.market.load()?;

    // Health after: no further than one contract's worth above initial margin. A sold long
    // changed the longs' value, so they are priced again.
    let acc = a.margin.load()?;
    let known = if side == Side::Buy { Some(long_value) } else { None };
    let check = |known, bound| {
        let pairs = ctx.remaining_accounts;
        account_excess(&market_key, &m, &acc, pairs, now, &px, Level::Initial, known, bound)
    };
    // The same: an excess bounded from above within one contract is within it priced. Where
    // the caches could not decide before, they are not tried again (a liquidation that bounds
    // and prices twice would cost about twice as much).
    let first = if cache_decided { check(known, Some(Bound::Below)).ok() } else { None };
    let (im_after, im_bounded) = match first {
        Some(c) if c.excess <= one_contract_im || !c.bounded => (c.excess, c.bounded),
        Some(c) => (check(Some(c.totals.long_value), None)?.excess, false),
        None => (check(known, None)?.excess, false),
    };
    require!(im_after <= one_contract_im, OptionsAmmError::LiquidationTooLarge);
    emit!(Liquidated {
        im_excess_after: im_after.to_bits(),
        im_excess_bounded: im_bounded,
        ..event
    });
    if bad_debt > 0 {
        emit!(BadDebt { market: market_key, owner: acc.owner, amount: bad_debt });
    }
    Ok(())
}
