//! What `buy` and `sell` share: their accounts and the fill.

use crate::error::OptionsAmmError;
use crate::events::{CircuitBreakerTripped, Traded};
use crate::instructions::keeper::refresh_board::signed_whole;
use crate::math::fill::{collateral_for, fill, max_payoff, Fill, FillInputs};
use crate::math::safe::sub;
use crate::oracle::{self, OraclePrice, OracleUse};
use crate::state::{
    require_initial_margin, Board, MarginAccount, Market, PodFx, Position, PAUSE_TRADING, PUT,
};
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

fn checked(v: Option<i128>) -> Result<i128> {
    v.ok_or_else(|| error!(OptionsAmmError::MathOverflow))
}

pub(crate) fn add_signed(v: u64, d: i128) -> Result<u64> {
    u64::try_from(checked((v as i128).checked_add(d))?)
        .map_err(|_| error!(OptionsAmmError::MathOverflow))
}

/// Short contracts in a signed position.
pub(crate) fn short(p: i64) -> u64 {
    if p < 0 {
        p.unsigned_abs()
    } else {
        0
    }
}

/// Fills a trade of `size` contracts (underlying raw units) of one series.
///
/// Steps: refuse bad input, pause, the cutoff, an invalid oracle or a stale greek cache; price
/// with the shared fill (`math::fill`), refuse outside the delta band or the slippage bound;
/// book premium, LP and protocol fees; move the positions (`apply_fill`: the vault's goes the
/// other way and locks what it is short, utilisation capped) and the aggregate greeks; transfer
/// the net premium; reconcile; check invariants; a sell that opens or grows a short must leave
/// the trader's margin account above initial margin (its positions passed as remaining
/// accounts); emit.
pub fn execute(
    mut ctx: Context<Trade>,
    side: Side,
    strike_index: u8,
    kind: u8,
    size: u64,
    limit: u64,
) -> Result<()> {
    let a = &ctx.accounts;
    require!(size > 0, OptionsAmmError::ZeroAmount);
    require!(kind <= PUT, OptionsAmmError::InvalidOptionKind);
    let now = Clock::get()?.unix_timestamp;

    let (flow, event, seeds, adds_short, px) = {
        let mut m = a.market.load_mut()?;
        let mut b = a.board.load_mut()?;
        let mut pos = a.position.load_mut()?;
        let t = m.params.trading;
        require!(size <= t.max_trade_size, OptionsAmmError::TradeTooLarge);
        require!(!m.is_paused(PAUSE_TRADING), OptionsAmmError::TradingPaused);
        require!(b.settled == 0, OptionsAmmError::BoardSettled);
        let cutoff = b.expiry_ts.saturating_sub(i64::from(t.trading_cutoff_secs));
        require!(now < cutoff, OptionsAmmError::TradingCutoff);
        let market_key = a.market.key();
        let trip = |reason: u8| emit!(CircuitBreakerTripped { market: market_key, reason });
        let px = oracle::read(&m, &a.oracle, now, OracleUse::Trade).inspect_err(|_| trip(2))?;
        if b.cache_is_stale(now, px.price, t.cache_max_age_secs, t.cache_max_spot_move_bps) {
            trip(1);
            return err!(OptionsAmmError::StaleGreekCache);
        }
        let f = market_fill(&m, &b, strike_index, kind, side, size, &px, now)?;
        let abs_delta = f.greeks.delta.abs();
        let band = (Fx::from_num(t.min_abs_delta_bps) / 10_000)
            ..=(Fx::from_num(t.max_abs_delta_bps) / 10_000);
        require!(band.contains(&abs_delta), OptionsAmmError::DeltaOutOfBand);

        // Money from the trader's point of view (+ = trader pays the vault).
        let fees = f.fee_protocol.checked_add(f.fee_lp).ok_or(OptionsAmmError::MathOverflow)?;
        let premium_flow: i128 = match side {
            Side::Buy => {
                let paid = f.premium.checked_add(fees).ok_or(OptionsAmmError::MathOverflow)?;
                require!(paid <= limit, OptionsAmmError::SlippageExceeded);
                paid as i128
            }
            Side::Sell => {
                require!(f.premium >= fees, OptionsAmmError::PremiumBelowFees);
                let received = sub(f.premium, fees)?;
                require!(received >= limit, OptionsAmmError::SlippageExceeded);
                -(received as i128)
            }
        };

        // Books: premium and the LP fee to the pool, the protocol fee apart.
        match side {
            Side::Buy => {
                m.lp_quote = m
                    .lp_quote
                    .checked_add(f.premium + f.fee_lp)
                    .ok_or(OptionsAmmError::MathOverflow)?;
            }
            Side::Sell => {
                require!(f.premium <= m.free_quote(), OptionsAmmError::InsufficientFreeLiquidity);
                m.lp_quote = sub(m.lp_quote, f.premium)?
                    .checked_add(f.fee_lp)
                    .ok_or(OptionsAmmError::MathOverflow)?;
            }
        }
        m.protocol_fees =
            m.protocol_fees.checked_add(f.fee_protocol).ok_or(OptionsAmmError::MathOverflow)?;
        m.lp_fees = m.lp_fees.checked_add(f.fee_lp).ok_or(OptionsAmmError::MathOverflow)?;
        let applied = apply_fill(&mut m, &mut b, &mut pos, strike_index, kind, side, size, &f)?;
        a.margin.load_mut()?.track_series(applied.old_trader, applied.new_trader)?;
        if applied.vault_lock > 0 {
            let cap = (m.lp_quote as u128) * (m.params.max_utilisation_bps as u128);
            if (m.locked_quote as u128) * 10_000 > cap {
                trip(3);
                return err!(OptionsAmmError::UtilisationCap);
            }
        }
        let flow = premium_flow;
        // A sell that opens or grows a short must leave the margin account above initial margin.
        let adds_short = short(applied.new_trader) > short(applied.old_trader);
        let post = f.quote.post;

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
            adds_short,
            trader_flow: i64::try_from(flow).map_err(|_| OptionsAmmError::MathOverflow)?,
            vol: f.quote.vol.to_bits(),
            spot: px.price.to_bits(),
            net_delta: post.net_delta.to_bits(),
            net_gamma: post.net_gamma.to_bits(),
            net_vega: post.net_vega.to_bits(),
        };
        (flow, event, m.signer_seeds(), adds_short, px)
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
    if adds_short {
        let acc = a.margin.load()?;
        require_initial_margin(&a.market.key(), &m, &acc, ctx.remaining_accounts, now, &px)?;
    }
    emit!(event);
    Ok(())
}

/// What a fill changed in the positions.
pub(crate) struct Applied {
    pub old_trader: i64,
    pub new_trader: i64,
    /// Change of the vault's lock, quote raw units.
    pub vault_lock: i128,
}

/// Moves a filled trade into the state: the trader's and the vault's positions (opposite
/// directions), the vault's lock for what it is short (its maximum payoff), open interest, and
/// the aggregate greeks and options value (the market's become the quote's post-trade
/// inventory; the board's contribution moves by the same amounts). Money is the caller's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_fill(
    m: &mut Market,
    b: &mut Board,
    pos: &mut Position,
    strike_index: u8,
    kind: u8,
    side: Side,
    size: u64,
    f: &Fill,
) -> Result<Applied> {
    let (i, k) = (strike_index as usize, kind as usize);
    let (ud, qd) = (m.underlying_decimals, m.quote_decimals);
    let signed = i64::try_from(size).map_err(|_| OptionsAmmError::MathOverflow)?;
    let signed = if side == Side::Buy { signed } else { -signed };
    let old_t = pos.sizes[i][k];
    let new_t = old_t.checked_add(signed).ok_or(OptionsAmmError::MathOverflow)?;
    let old_v = b.strikes[i].vault_position[k];
    let new_v = old_v.checked_sub(signed).ok_or(OptionsAmmError::MathOverflow)?;
    let payoff =
        max_payoff(kind, b.strikes[i].strike.get(), m.params.trading.call_cap_multiple_bps)?;
    let lock = |p: i64| collateral_for(short(p), payoff, ud, qd).map(|v| v as i128);
    let vault_lock = lock(new_v)? - lock(old_v)?;
    m.locked_quote = add_signed(m.locked_quote, vault_lock)?;

    let dpos = signed_whole(-signed, ud)?;
    let times = |g: Fx| dpos.checked_mul(g).ok_or(OptionsAmmError::MathOverflow);
    b.contrib_delta.add(times(f.greeks.delta)?)?;
    b.contrib_gamma.add(times(f.greeks.gamma)?)?;
    b.contrib_vega.add(times(f.greeks.vega)?)?;
    let dvalue = times(f.greeks.price)?;
    b.contrib_value.add(dvalue)?;
    m.options_value.add(dvalue)?;
    let post = f.quote.post;
    m.net_delta = PodFx::of(post.net_delta);
    m.net_gamma = PodFx::of(post.net_gamma);
    m.net_vega = PodFx::of(post.net_vega);

    pos.sizes[i][k] = new_t;
    let s = &mut b.strikes[i];
    s.vault_position[k] = new_v;
    let long = |p: i64| p.max(0) as i128;
    s.open_interest[k] = add_signed(s.open_interest[k], long(new_t) - long(old_t))?;
    Ok(Applied { old_trader: old_t, new_trader: new_t, vault_lock })
}

/// The fill of `size` contracts of one series of `b` at the oracle price and the market's
/// aggregate greeks: the same computation the client runs (`math::fill`).
#[allow(clippy::too_many_arguments)]
pub fn market_fill(
    m: &Market,
    b: &Board,
    strike_index: u8,
    kind: u8,
    side: Side,
    size: u64,
    px: &OraclePrice,
    now: i64,
) -> Result<Fill> {
    let st = b.strike(strike_index)?;
    fill(
        &FillInputs {
            kind,
            side,
            size,
            strike: st.strike.get(),
            base_vol: st.base_vol.get(),
            spot: px.price,
            spot_conf: px.conf,
            now,
            expiry_ts: b.expiry_ts,
            inventory: m.inventory(),
            rate_bps: m.params.risk_free_rate_bps,
            underlying_decimals: m.underlying_decimals,
            quote_decimals: m.quote_decimals,
        },
        &m.params.trading,
    )
}
