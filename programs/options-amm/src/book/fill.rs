//! Fills against the vault: the trade fill (inventory potential, spread, lock charge), the
//! liquidation fill (mark and a fixed spread only), and how either moves the books.

use crate::constants::BPS;
use crate::error::OptionsAmmError;
use crate::math::fill::paid_by_trader;
use crate::math::fill::{fill, floored, quote_params, series_lock, SeriesPricer};
use crate::math::fill::{Fill, FillInputs};
use crate::math::safe::SafeMath;
use crate::math::safe::{add_signed, long};
use crate::math::value::secs_until;
use crate::math::value::{bps, micro, quote_raw, whole_units, Rounding};
use crate::oracle::OraclePrice;
use crate::state::Kind;
use crate::state::{Board, Market, Position};
use anchor_lang::prelude::*;
use options_amm_pricing::{quote, Fx, Greeks, QuoteInputs, Side, MAX_VOL};

/// `raw` contracts (underlying raw units, signed) as whole contracts.
pub fn signed_whole(raw: i64, decimals: u8) -> Result<Fx> {
    let w = whole_units(raw.unsigned_abs(), decimals)?;
    Ok(if raw < 0 { -w } else { w })
}

/// The realised-vol floor on a buy priced at `vol`: the mature realised vol x
/// `vol.floor_ratio_bps` (capped at the engine's domain) when that is above `vol`; a sale, or
/// an estimate not yet mature: none. The buy pays at least the series' value at it
/// (`math::fill::floored`): the exact price gap, with the greeks, spread and inventory charge
/// of `vol`, so a buy and a sale of one series at one moment share one set of greeks and a
/// closed loop pays both spreads whatever the sign of the series' vega (a capped call near its
/// cap has negative vega: pricing its buy at the floor vol made it cheaper than the sale, found
/// by the simulation's arbitrageur) and whatever its curvature (a far out-of-the-money call is
/// worth much more at the floor than a vega-times-gap surcharge says, found by a review).
pub fn buy_floor_vol(m: &Market, vol: Fx, side: Side) -> Result<Option<Fx>> {
    match (side, m.mature_realised_vol()) {
        (Side::Buy, Some(rv)) => {
            let floor = rv.safe_mul(bps(m.params.vol.floor_ratio_bps))?.min(MAX_VOL);
            Ok((floor > vol).then_some(floor))
        }
        _ => Ok(None),
    }
}

/// Whether realised vol trips the breaker for a series of implied vol `implied`: the estimate
/// is mature and above `implied` x `vol.breaker_ratio_bps`.
pub fn realised_vol_tripped(m: &Market, implied: Fx) -> Result<bool> {
    Ok(match m.mature_realised_vol() {
        Some(rv) => rv > implied.safe_mul(bps(m.params.vol.breaker_ratio_bps))?,
        None => false,
    })
}

/// Whether `b`'s surface is stale: a vol feed is set and the board's last post (or listing) is
/// older than `vol.feed_max_age_secs`.
pub fn surface_is_stale(m: &Market, b: &Board, now: i64) -> bool {
    m.vol_feed != Pubkey::default()
        && now.saturating_sub(b.vol_posted_ts) > i64::from(m.params.vol.feed_max_age_secs)
}

/// How a trade is priced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pricing {
    /// At the surface, with the market's spread (a buy's including the realised-vol floor).
    Normal,
    /// A position closed where normal trading is refused (inside the cutoff, outside the delta
    /// band; Lyra's force-close): at the worse for the trader of the surface and its
    /// time-weighted vol, without the inventory charge, plus `vol.force_close_spread_vol_micro`.
    ForceClose,
}

/// Whether a trade only reduces risk: the trader's position (the opposite side, no larger than
/// it: no flip) and the vault's in the series (`vault_position`, the other way round). A pair
/// of accounts long and short the same series (the vault flat) cannot use one leg to trade
/// through a breaker or the cutoff in the direction it likes.
pub fn reduces_position(position: i64, vault_position: i64, side: Side, size: u64) -> bool {
    let shrinks = |held: i64, sells: bool| {
        (if sells { held > 0 } else { held < 0 }) && size <= held.unsigned_abs()
    };
    // A trader's buy: the trader's short shrinks, the vault's long shrinks (it sells).
    match side {
        Side::Buy => shrinks(position, false) && shrinks(vault_position, true),
        Side::Sell => shrinks(position, true) && shrinks(vault_position, false),
    }
}

/// The half-spread the market's state adds, in vol: `vol.spread_gap_bps` of the amount mature
/// realised vol exceeds `implied` by, and `vol.spread_age_vol_micro` per second of the oracle
/// print's age.
pub fn market_spread_vol(m: &Market, implied: Fx, px: &OraclePrice, now: i64) -> Result<Fx> {
    let v = &m.params.vol;
    let gap = match m.mature_realised_vol() {
        Some(rv) if rv > implied => rv.safe_sub(implied)?.safe_mul(bps(v.spread_gap_bps))?,
        _ => Fx::ZERO,
    };
    let age = now.saturating_sub(px.publish_time).max(0);
    let age = micro(u64::from(v.spread_age_vol_micro))
        .checked_mul_int(i128::from(age))
        .ok_or_else(crate::math::safe::overflow)?;
    gap.safe_add(age)
}

/// The fill a trade gets, or its refusal: inside the trading cutoff, or outside the tradable
/// delta band, only a trade that reduces risk (`reduces_position`) goes through, force-closed
/// (`Pricing::ForceClose`); anything else there is refused (`TradingCutoff`,
/// `DeltaOutOfBand`). The same computation the client runs.
#[allow(clippy::too_many_arguments)]
pub fn trade_fill(
    m: &Market,
    b: &Board,
    strike_index: u8,
    kind: Kind,
    side: Side,
    size: u64,
    position: i64,
    px: &OraclePrice,
    now: i64,
) -> Result<(Fill, Pricing)> {
    let t = &m.params.trading;
    require!(now < b.expiry_ts, OptionsAmmError::TradingCutoff);
    let vault = b.strike(strike_index)?.vault_position[kind.index()];
    let reduces = reduces_position(position, vault, side, size);
    let at = |pricing| fill_at(m, b, strike_index, kind, side, size, position, px, now, pricing);
    let cutoff = b.expiry_ts.saturating_sub(i64::from(t.trading_cutoff_secs));
    let normal = if now >= cutoff {
        require!(reduces, OptionsAmmError::TradingCutoff);
        None
    } else {
        let f = at(Pricing::Normal)?;
        let band = bps(t.min_abs_delta_bps)..=bps(t.max_abs_delta_bps);
        if band.contains(&f.greeks.delta.abs()) {
            return Ok((f, Pricing::Normal));
        }
        require!(reduces, OptionsAmmError::DeltaOutOfBand);
        Some(f)
    };
    // A force-close pays the worse for the trader of itself and the normal fill: it never
    // returns an inventory rebate the opening trade was paid (sell counter-flow before the
    // cutoff, buy back force-closed after it). Inside the cutoff the normal fill is priced
    // here too; a sale with no normal bid (`NoBid`) is refused: a long can be held to
    // settlement, and a short always has an ask.
    let normal = match normal {
        Some(f) => f,
        None => at(Pricing::Normal)?,
    };
    let forced = at(Pricing::ForceClose)?;
    let total = |f: &Fill| -> Result<u64> {
        match side {
            Side::Buy => f.premium.safe_add(f.fees()?),
            Side::Sell => Ok(f.premium.saturating_sub(f.fees()?)),
        }
    };
    let forced_worse = match side {
        Side::Buy => total(&forced)? >= total(&normal)?,
        Side::Sell => total(&forced)? <= total(&normal)?,
    };
    Ok(if forced_worse { (forced, Pricing::ForceClose) } else { (normal, Pricing::ForceClose) })
}

/// The fill of `size` contracts of one series of `b` for a trader holding `position` in it,
/// at the oracle price and the market's aggregate greeks, priced normally (`trade_fill`
/// decides when a trade is force-closed instead).
#[allow(clippy::too_many_arguments)]
pub fn market_fill(
    m: &Market,
    b: &Board,
    strike_index: u8,
    kind: Kind,
    side: Side,
    size: u64,
    position: i64,
    px: &OraclePrice,
    now: i64,
) -> Result<Fill> {
    fill_at(m, b, strike_index, kind, side, size, position, px, now, Pricing::Normal)
}

#[allow(clippy::too_many_arguments)]
fn fill_at(
    m: &Market,
    b: &Board,
    strike_index: u8,
    kind: Kind,
    side: Side,
    size: u64,
    position: i64,
    px: &OraclePrice,
    now: i64,
    pricing: Pricing,
) -> Result<Fill> {
    let st = b.strike(strike_index)?;
    let p = m.effective_params(now);
    let implied = st.base_vol.get();
    let extra = market_spread_vol(m, implied, px, now)?;
    if pricing == Pricing::ForceClose {
        // Lyra's force-close: the worse for the trader of the surface and its time-weighted
        // vol, no inventory charge (the potential need not be paid back or rebated on a close
        // that normal trading refuses), the penalty spread on top.
        let avg = b.avg_vol_at(st, now, p.vol.mark_window_secs)?;
        let vol = match side {
            Side::Buy => implied.max(avg),
            Side::Sell => implied.min(avg),
        };
        let penalty = micro(u64::from(p.vol.force_close_spread_vol_micro));
        let spread = extra.safe_add(penalty)?;
        let floor = buy_floor_vol(m, vol, side)?;
        return unskewed_fill(m, b, strike_index, kind, side, size, px, now, (vol, floor), spread);
    }
    let vol = implied;
    let floor_vol = buy_floor_vol(m, implied, side)?;
    fill(
        &FillInputs {
            kind,
            side,
            size,
            strike: st.strike.get(),
            base_vol: vol,
            cap_bps: b.cap_multiple_bps,
            spot: px.price,
            spot_conf: px.conf,
            now,
            expiry_ts: b.expiry_ts,
            inventory: m.pricing_inventory(now)?,
            rate_bps: p.risk_free_rate_bps,
            underlying_decimals: m.underlying_decimals,
            quote_decimals: m.quote_decimals,
            position,
            open_interest: st.open_interest[kind as usize],
            pool_quote: m.lp_quote,
            locked_quote: m.locked_quote,
            max_utilisation_bps: m.params.max_utilisation_bps,
            extra_spread_vol: extra,
            floor_vol,
        },
        &p.trading,
    )
}

/// A liquidation's fill of `size` contracts: the mark at the oracle price plus (buying back a
/// short) or minus (selling a long) the base half-spread and the oracle's uncertainty, plus
/// the normal fees. No inventory charge and no lock charge: nothing anyone trades in the same
/// slot can move what the liquidated account pays or gets, and the size a liquidation may
/// close is computed from this price.
#[allow(clippy::too_many_arguments)]
pub fn liquidation_fill(
    m: &Market,
    b: &Board,
    strike_index: u8,
    kind: Kind,
    side: Side,
    size: u64,
    px: &OraclePrice,
    now: i64,
) -> Result<Fill> {
    let vol = b.strike(strike_index)?.base_vol.get();
    unskewed_fill(m, b, strike_index, kind, side, size, px, now, (vol, None), Fx::ZERO)
}

/// A fill at `vol` with the trading quote's every inventory-dependent term off (the
/// potential's scales, the delta spread, the near-expiry widening), the base half-spread plus
/// `extra_spread_vol` and the oracle's uncertainty, and the normal fees; no lock charge.
#[allow(clippy::too_many_arguments)]
fn unskewed_fill(
    m: &Market,
    b: &Board,
    strike_index: u8,
    kind: Kind,
    side: Side,
    size: u64,
    px: &OraclePrice,
    now: i64,
    (vol, floor_vol): (Fx, Option<Fx>),
    extra_spread_vol: Fx,
) -> Result<Fill> {
    let st = b.strike(strike_index)?;
    let params = m.effective_params(now);
    let t = &params.trading;
    let secs = secs_until(b.expiry_ts, now);
    let (strike, rate, cap) = (st.strike.get(), params.risk_free_rate_bps, b.cap_multiple_bps);
    let pricer = SeriesPricer::new(px.price, rate, secs, cap)?;
    let greeks = pricer.greeks(kind, strike, vol)?;
    let priced = floored(greeks, side, floor_vol, |v| pricer.price(kind, strike, v))?;
    let mut p = quote_params(t);
    p.skew_vega = Fx::ZERO;
    p.skew_gamma = Fx::ZERO;
    p.skew_delta = Fx::ZERO;
    p.spread_delta_vol = Fx::ZERO;
    p.spread_expiry_vol = Fx::ZERO;
    p.spread_vol = p.spread_vol.safe_add(extra_spread_vol)?;
    let inputs = QuoteInputs {
        greeks: priced,
        spot: px.price,
        spot_conf: px.conf,
        expiry_secs: secs,
        size: whole_units(size, m.underlying_decimals)?,
        side,
        inventory: m.inventory(),
    };
    let q = quote(&inputs, &p).map_err(|e| error!(OptionsAmmError::from(e)))?;
    let qd = m.quote_decimals;
    let premium = quote_raw(q.premium, qd, paid_by_trader(side))?;
    let fees = quote_raw(q.fee_protocol + q.fee_lp, qd, Rounding::Up)?;
    let fee_protocol =
        crate::math::safe::mul_div_floor(fees, t.protocol_fee_share_bps as u64, BPS)?;
    Ok(Fill {
        greeks,
        quote: q,
        premium,
        fee_protocol,
        fee_lp: fees - fee_protocol,
        fee_lock: 0,
        lock_change: 0,
    })
}

/// What a fill changed in the positions.
pub struct Applied {
    pub old_trader: i64,
    pub new_trader: i64,
    /// Change of the pool's lock, quote raw units.
    pub lock_change: i128,
}

/// Moves a filled trade of `size` contracts into the state: the trader's and the vault's
/// positions (opposite directions), open interest, the pool's lock (the maximum payoff of
/// every long, at the board's own cap), the board's contributions and the market's aggregate
/// greeks and options value, all by the option's `greeks` per contract. Money is the caller's.
#[allow(clippy::too_many_arguments)]
pub fn apply_fill(
    m: &mut Market,
    b: &mut Board,
    pos: &mut Position,
    strike_index: u8,
    kind: Kind,
    side: Side,
    size: u64,
    greeks: &Greeks,
) -> Result<Applied> {
    let (i, k) = (strike_index as usize, kind as usize);
    let (ud, qd) = (m.underlying_decimals, m.quote_decimals);
    let signed = i64::try_from(size).map_err(|_| OptionsAmmError::MathOverflow)?;
    let signed = if side == Side::Buy { signed } else { -signed };
    let old_t = pos.sizes[i][k];
    let new_t = old_t.safe_add(signed)?;
    let old_v = b.strikes[i].vault_position[k];
    let new_v = old_v.safe_sub(signed)?;
    let strike = b.strikes[i].strike.get();
    let old_oi = b.strikes[i].open_interest[k];
    let new_oi = add_signed(old_oi, long(new_t) as i128 - long(old_t) as i128)?;
    let lock = |oi| series_lock(kind, strike, b.cap_multiple_bps, oi, ud, qd).map(|v| v as i128);
    let lock_change = lock(new_oi)? - lock(old_oi)?;
    m.locked_quote = add_signed(m.locked_quote, lock_change)?;

    let dpos = signed_whole(-signed, ud)?;
    let times = |g: Fx| dpos.safe_mul(g);
    // Greeks at the trade (the potential charged for exactly this move); value at the board's
    // cached mark, so the board's value stays its positions at its refresh marks whatever was
    // traded since (the price difference is already realised in pool quote) and a refresh
    // moves NAV by no more than the band bounds.
    let (dd, dg, dv, dvalue) = (
        times(greeks.delta)?,
        times(greeks.gamma)?,
        times(greeks.vega)?,
        times(b.strikes[i].mark[k].get())?,
    );
    b.contrib_delta.add(dd)?;
    b.contrib_gamma.add(dg)?;
    b.contrib_vega.add(dv)?;
    b.contrib_value.add(dvalue)?;
    m.net_delta.add(dd)?;
    m.net_gamma.add(dg)?;
    m.net_vega.add(dv)?;
    m.options_value.add(dvalue)?;

    pos.sizes[i][k] = new_t;
    let s = &mut b.strikes[i];
    s.vault_position[k] = new_v;
    s.open_interest[k] = new_oi;
    Ok(Applied { old_trader: old_t, new_trader: new_t, lock_change })
}
