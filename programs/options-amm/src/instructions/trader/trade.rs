//! What `buy` and `sell` share: their accounts and the handler.

use crate::book::fill::{
    apply_fill, realised_vol_tripped, reduces_position, surface_is_stale, trade_fill, Pricing,
};
use crate::book::margin::require_initial_margin;
use crate::book::settle::write_off_orphaned_debt;
use crate::constants::BPS;
use crate::error::OptionsAmmError;
use crate::events::{BadDebt, BreakerReason, CircuitBreakerTripped, Traded};
use crate::math::hedge::unhedgeable_delta;
use crate::math::safe::{add_signed, short, SafeMath};
use crate::math::value::{micro, whole_units};
use crate::oracle::{self, OracleUse};
use crate::state::Kind;
use crate::state::{Board, BoardStatus, MarginAccount, Market, Position, PAUSE_TRADING};
use crate::token;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use options_amm_pricing::{Fx, Side};

#[derive(Accounts)]
pub struct Trade<'info> {
    pub trader: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = board.load()?.market == market.key() @ OptionsAmmError::WrongMarket)]
    pub board: AccountLoader<'info, Board>,
    #[account(
        mut,
        constraint = position.load()?.owner == trader.key() @ OptionsAmmError::WrongPosition,
        constraint = position.load()?.board == board.key() @ OptionsAmmError::WrongPosition,
    )]
    pub position: AccountLoader<'info, Position>,
    #[account(
        mut,
        constraint = margin.load()?.owner == trader.key() @ OptionsAmmError::WrongMarginAccount,
        constraint = margin.load()?.market == market.key() @ OptionsAmmError::WrongMarginAccount,
    )]
    pub margin: AccountLoader<'info, MarginAccount>,
    #[account(address = market.load()?.quote_mint @ OptionsAmmError::WrongMint)]
    pub quote_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = market.load()?.quote_vault @ OptionsAmmError::WrongVault)]
    pub quote_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = trader_quote.mint == quote_mint.key() @ OptionsAmmError::WrongMint,
        constraint = trader_quote.owner == trader.key() @ OptionsAmmError::WrongTokenOwner,
    )]
    pub trader_quote: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: `oracle::read` checks that it is the market's, owned by Pyth, valid for trading.
    pub oracle: UncheckedAccount<'info>,
    #[account(address = market.load()?.quote_token_program @ OptionsAmmError::WrongTokenProgram)]
    pub quote_token_program: Interface<'info, TokenInterface>,
}

/// The books the vault's hedge capacity depends on, copied (cheap) so the state before a fill
/// can be compared with the state after it.
struct HedgeState {
    net_delta: Fx,
    held: u64,
    free_quote: u64,
}

impl HedgeState {
    fn of(m: &Market) -> Self {
        HedgeState {
            net_delta: m.net_delta.get(),
            held: m.lp_underlying,
            free_quote: m.free_quote(),
        }
    }

    /// The net delta no rebalance could offset (`math::hedge::unhedgeable_delta`).
    fn unhedged(&self, m: &Market, band: Fx, spot: Fx) -> Result<Fx> {
        unhedgeable_delta(
            self.net_delta,
            band,
            whole_units(self.held, m.underlying_decimals)?,
            whole_units(self.free_quote, m.quote_decimals)?,
            spot,
        )
    }
}

/// Fills a trade of `size` contracts (underlying raw units) of one series.
///
/// Steps: refuse bad input, pause, a board that is not active, the cutoff, an invalid oracle,
/// a print other than the one already used in this slot, or a stale greek cache; price with
/// the shared fill (`book::fill::market_fill`: mark, inventory potential, spread, lock charge),
/// refuse outside the delta band or the slippage bound; book premium, LP and protocol fees;
/// move the positions, open interest, locks and aggregates (`book::fill::apply_fill`); hold the
/// pool to its utilisation cap when locks grow and to its free quote when it pays (both on the
/// state after the fill, so closing a long is never blocked by the lock it releases); transfer
/// the net premium; reconcile; check invariants; a sell that leaves the account with any short
/// ends with the initial-margin check over all its positions (remaining accounts): selling
/// longs that back shorts, or opening a short, cannot leave it under-margined; emit.
pub fn execute(
    mut ctx: Context<Trade>,
    side: Side,
    strike_index: u8,
    kind: Kind,
    size: u64,
    limit: u64,
) -> Result<()> {
    let a = &ctx.accounts;
    require!(size > 0, OptionsAmmError::ZeroAmount);
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;

    let (flow, event, seeds, check_margin, px, written_off) = {
        let mut m = a.market.load_mut()?;
        let mut b = a.board.load_mut()?;
        let mut pos = a.position.load_mut()?;
        let mut acc = a.margin.load_mut()?;
        let t = m.params.trading;
        require!(size <= t.max_trade_size, OptionsAmmError::TradeTooLarge);
        require!(!m.is_paused(PAUSE_TRADING), OptionsAmmError::TradingPaused);
        match b.status()? {
            BoardStatus::Active => {}
            BoardStatus::Settled => return err!(OptionsAmmError::BoardSettled),
            BoardStatus::Delisted => return err!(OptionsAmmError::BoardNotActive),
        }
        let (i, k) = (strike_index as usize, kind as usize);
        let implied = b.strike(strike_index)?.base_vol.get();
        let position = pos.sizes[i][k];
        // Breakers and the cutoff stop trades that add risk; a trade that only reduces the
        // trader's position and the vault's (`reduces_position`) goes through, force-closed
        // where normal trading is refused (`trade_fill`).
        let reduces =
            reduces_position(position, b.strike(strike_index)?.vault_position[k], side, size);
        let cutoff = b.expiry_ts.saturating_sub(i64::from(t.trading_cutoff_secs));
        require!(now < cutoff || reduces, OptionsAmmError::TradingCutoff);
        let market_key = a.market.key();
        let trip =
            |reason: BreakerReason| emit!(CircuitBreakerTripped { market: market_key, reason });
        let px = oracle::read(&m, &a.oracle, now, OracleUse::Trade)
            .inspect_err(|_| trip(BreakerReason::OracleInvalid))?;
        m.observe_price(clock.slot, px.publish_time, px.price)?;
        if b.cache_is_stale(now, px.price, t.cache_max_age_secs, t.cache_max_spot_move_bps) {
            trip(BreakerReason::StaleGreekCache);
            return err!(OptionsAmmError::StaleGreekCache);
        }
        if !reduces && realised_vol_tripped(&m, implied)? {
            trip(BreakerReason::RealisedVolJump);
            return err!(OptionsAmmError::RealisedVolBreaker);
        }
        if !reduces && surface_is_stale(&m, &b, now) {
            trip(BreakerReason::StaleVolSurface);
            return err!(OptionsAmmError::VolSurfaceStale);
        }
        let (f, pricing) = trade_fill(&m, &b, strike_index, kind, side, size, position, &px, now)?;
        let hedge_before = HedgeState::of(&m);

        // Money from the trader's point of view (+ = trader pays the vault).
        let fees = f.fees()?;
        let premium_flow: i128 = match side {
            Side::Buy => {
                let paid = f.premium.safe_add(fees)?;
                require!(paid <= limit, OptionsAmmError::SlippageExceeded);
                paid as i128
            }
            Side::Sell => {
                require!(f.premium >= fees, OptionsAmmError::PremiumBelowFees);
                let received = f.premium.safe_sub(fees)?;
                require!(received >= limit, OptionsAmmError::SlippageExceeded);
                // An account that owes the pool repays it from what it sells first: longs
                // cannot be sold to the wallet past a debt.
                let (repaid, paid_out) = acc.repay(received);
                m.settlement_receivable = m.settlement_receivable.safe_sub(repaid)?;
                m.lp_quote = m.lp_quote.safe_add(repaid)?;
                -(paid_out as i128)
            }
        };

        // Books: premium and the LP fee to the pool, the protocol fee apart.
        let shortfall_before = m.lock_shortfall();
        m.lp_quote = match side {
            Side::Buy => m.lp_quote.safe_add(f.premium.safe_add(f.fee_lp)?)?,
            Side::Sell => (m
                .lp_quote
                .checked_sub(f.premium)
                .ok_or(OptionsAmmError::InsufficientFreeLiquidity)?)
            .safe_add(f.fee_lp)?,
        };
        m.protocol_fees = m.protocol_fees.safe_add(f.fee_protocol)?;
        m.lp_fees = m.lp_fees.safe_add(f.fee_lp)?;
        let applied =
            apply_fill(&mut m, &mut b, &mut pos, strike_index, kind, side, size, &f.greeks)?;
        acc.track_series(applied.old_trader, applied.new_trader)?;
        pos.invariant(&a.market.key(), &a.board.key(), &b)?;
        // The account's last series closed with a debt still on it: nothing can repay it now.
        let written_off = write_off_orphaned_debt(&mut m, &mut acc)?;
        m.record_bad_debt(written_off);
        acc.invariant()?;
        // The pool after the fill: locks that grew stay under the utilisation cap; a payment
        // out of the pool leaves its locks covered (or, after bad debt, no less covered).
        // A buy that raises the locks is held to the utilisation cap. A sell that opens a short
        // (the pool pays cash for a long of its own) must leave at least (1 - cap) of NAV free:
        // neither can pin LPs' free quote at zero.
        if applied.lock_change > 0 {
            let cap = (m.lp_quote as u128) * (m.params.max_utilisation_bps as u128);
            if (m.locked_quote as u128) * u128::from(BPS) > cap {
                trip(BreakerReason::UtilisationCap);
                return err!(OptionsAmmError::UtilisationCap);
            }
        }
        if short(applied.new_trader) > short(applied.old_trader) {
            let nav = m.nav(px.price)?.max(0);
            let kept = (crate::constants::BPS - m.params.max_utilisation_bps as u64) as i128;
            if (m.free_quote() as i128) * (crate::constants::BPS as i128) < kept * nav {
                trip(BreakerReason::UtilisationCap);
                return err!(OptionsAmmError::UtilisationCap);
            }
        }
        if side == Side::Sell && m.lock_shortfall() > 0 && m.lock_shortfall() >= shortfall_before {
            trip(BreakerReason::FreeLiquidity);
            return err!(OptionsAmmError::InsufficientFreeLiquidity);
        }
        // Lyra's "can hedge": a risk-adding trade may not push the vault's delta further past
        // what its hedge can offset than `hedge.max_unhedged_delta`.
        // What no rebalance can offset is at most |net delta| - band: computed only past that.
        let limit_delta = Fx::from_num(m.params.hedge.max_unhedged_delta);
        let band = micro(m.params.hedge.delta_band_micro);
        if !reduces && m.net_delta.get().abs() > limit_delta.safe_add(band)? {
            let after = HedgeState::of(&m).unhedged(&m, band, px.price)?;
            if after > limit_delta && after > hedge_before.unhedged(&m, band, px.price)? {
                trip(BreakerReason::CannotHedge);
                return err!(OptionsAmmError::CannotHedge);
            }
        }
        let check_margin = side == Side::Sell && acc.has_shorts();
        let post = m.inventory();

        let event = Traded {
            market: a.market.key(),
            board: a.board.key(),
            owner: a.trader.key(),
            strike_index,
            kind,
            side: if side == Side::Buy { 0 } else { 1 },
            size,
            premium: f.premium,
            fee_protocol: f.fee_protocol,
            fee_lp: f.fee_lp,
            fee_lock: f.fee_lock,
            margin_checked: check_margin,
            trader_flow: i64::try_from(premium_flow).map_err(|_| OptionsAmmError::MathOverflow)?,
            inventory_charge: f.quote.inventory_charge.to_bits(),
            spread: f.quote.spread.to_bits(),
            force_close: pricing == Pricing::ForceClose,
            spot: px.price.to_bits(),
            net_delta: post.net_delta.to_bits(),
            net_gamma: post.net_gamma.to_bits(),
            net_vega: post.net_vega.to_bits(),
        };
        (premium_flow, event, m.signer_seeds(), check_margin, px, written_off)
    };

    let vault_before = a.quote_vault.amount;
    let amount = u64::try_from(flow.unsigned_abs()).map_err(|_| OptionsAmmError::MathOverflow)?;
    if flow > 0 {
        token::transfer(
            &a.quote_token_program,
            &a.quote_mint,
            &a.trader_quote,
            &a.quote_vault,
            a.trader.to_account_info(),
            amount,
            &[],
        )?;
    } else if flow < 0 {
        let slices = seeds.as_slices();
        token::transfer(
            &a.quote_token_program,
            &a.quote_mint,
            &a.quote_vault,
            &a.trader_quote,
            a.market.to_account_info(),
            amount,
            &[&slices],
        )?;
    }

    let a = &mut ctx.accounts;
    a.quote_vault.reload()?;
    let m = a.market.load()?;
    let expected = add_signed(vault_before, flow)?;
    token::reconcile(a.quote_vault.amount, expected, m.quote_books()?)?;
    m.invariant()?;
    a.board.load()?.invariant()?;
    if check_margin {
        let acc = a.margin.load()?;
        require_initial_margin(&a.market.key(), &m, &acc, ctx.remaining_accounts, now, &px)?;
    }
    emit!(event);
    if written_off > 0 {
        emit!(BadDebt { market: a.market.key(), owner: a.trader.key(), amount: written_off });
    }
    Ok(())
}
