//! Evaluating a margin account: every registered position with its board, passed as remaining
//! accounts in registration order, valued by `math::margin`.

use crate::error::OptionsAmmError;
use crate::math::drift::Since;
use crate::math::margin::{
    cached_margin, margin, CacheFrame, CachedExposure, CheckPoint, Estimate, Exposure, Level,
    MarginTotals,
};
use crate::math::safe::SafeMath;
use crate::math::settle::payoff;
use crate::math::value::whole_units;
use crate::math::value::{bps, secs_until};
use crate::oracle::OraclePrice;
use crate::state::{Board, BoardStatus, Kind, MarginAccount, Market, Position, CALL, PUT};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// Requirement and long value of one position with its board at `level` (pure: the CLI shows a
/// trader's health with it). Expired boards count at their payoff (the settlement price once
/// known, else spot): shorts owe it in full, longs are worth what settlement will pay them
/// less the haircut. Unexpired series are valued from the board's margin cache at `estimate`
/// (`math::margin::cached_margin`) when the cache matches the market's margin shocks, else
/// priced (`math::margin::margin`). With `skip_longs`, longs are not valued (their value is
/// known from an earlier pass).
#[allow(clippy::too_many_arguments)]
pub fn position_margin(
    market: &Market,
    p: &Position,
    b: &Board,
    now: i64,
    px: &OraclePrice,
    level: Level,
    estimate: Estimate,
    skip_longs: bool,
) -> Result<MarginTotals> {
    let mut check = CheckPoint::new(px.price, px.conf, &market.params.margin, level);
    position_margin_at(market, p, b, now, px, level, estimate, skip_longs, &mut check)
}

/// [`position_margin`] with the check's spots (`CheckPoint`) shared across an account's boards.
#[allow(clippy::too_many_arguments)]
fn position_margin_at(
    market: &Market,
    p: &Position,
    b: &Board,
    now: i64,
    px: &OraclePrice,
    level: Level,
    estimate: Estimate,
    skip_longs: bool,
    check: &mut CheckPoint,
) -> Result<MarginTotals> {
    let (spot, conf) = (px.price, px.conf);
    let (ud, cap, rate) =
        (market.underlying_decimals, b.cap_multiple_bps, market.params.risk_free_rate_bps);
    let g = &market.params.margin;
    let cached = estimate != Estimate::Exact && b.margin_cache_matches(g);
    let mut exposures: Vec<Exposure> = Vec::new();
    let mut from_cache: Vec<CachedExposure> = Vec::new();
    let mut totals = MarginTotals::default();
    let haircut = Fx::ONE.safe_sub(bps(g.long_haircut_bps))?;
    let status = b.status()?;
    let expired = now >= b.expiry_ts || status != BoardStatus::Active;
    let (at, ratio) = if status == BoardStatus::Settled {
        (b.settlement_price.get(), b.payout_ratio.get())
    } else {
        (spot, Fx::ONE)
    };
    for (s, st) in b.strikes[..b.num_strikes as usize].iter().enumerate() {
        for kind in [CALL, PUT] {
            let k = kind.index();
            let raw = p.sizes[s][k];
            if raw == 0 || (raw > 0 && skip_longs) {
                continue;
            }
            let size = whole_units(raw.unsigned_abs(), ud)?;
            let strike = st.strike.get();
            if expired {
                let value = size.safe_mul(payoff(kind, strike, at, cap)?)?;
                if raw < 0 {
                    totals.requirement = totals.requirement.safe_add(value)?;
                } else {
                    let v = value.safe_mul(ratio)?.safe_mul(haircut)?;
                    totals.long_value = totals.long_value.safe_add(v)?;
                }
                continue;
            }
            let size = if raw < 0 { -size } else { size };
            if cached {
                from_cache.push(CachedExposure {
                    kind,
                    strike,
                    base_vol: st.base_vol.get(),
                    size,
                    mark: st.mark[k].get(),
                    delta: st.delta[k].get(),
                    shocked_value: st.shocked_value[level.index()][k].get(),
                    shocked_delta: st.shocked_delta[level.index()][k].get(),
                    inv_vol: st.inv_vol[usize::from(raw < 0)].get(),
                });
            } else {
                exposures.push(Exposure {
                    kind,
                    strike,
                    base_vol: st.base_vol.get(),
                    expiry_secs: secs_until(b.expiry_ts, now),
                    size,
                });
            }
        }
    }
    if !exposures.is_empty() {
        totals.add(margin(&exposures, spot, conf, rate, cap, g, level)?)?;
    }
    if !from_cache.is_empty() {
        let frame = CacheFrame {
            spot: b.refreshed_spot.get(),
            inv_spot: b.inv_refreshed_spot.get(),
            since: Since::from_cache(
                b.refreshed_ts,
                now,
                b.expiry_ts,
                b.refreshed_rate_bps,
                rate,
                b.inv_root_tau.get(),
            )?,
        };
        totals.add(cached_margin(&from_cache, &frame, check, cap, g, estimate)?)?;
    }
    Ok(totals)
}

/// The requirement of one short contract of a series at `level` (the most a liquidation may
/// leave an account above initial margin).
pub fn one_short_contract(
    market: &Market,
    b: &Board,
    strike_index: u8,
    kind: Kind,
    now: i64,
    px: &OraclePrice,
    level: Level,
    estimate: Estimate,
) -> Result<Fx> {
    b.strike(strike_index)?;
    let mut one: Position = bytemuck::Zeroable::zeroed();
    let contract = 10i64
        .checked_pow(u32::from(market.underlying_decimals))
        .ok_or(OptionsAmmError::MathOverflow)?;
    one.sizes[strike_index as usize][kind.index()] = -contract;
    Ok(position_margin(market, &one, b, now, px, level, estimate, false)?.requirement)
}

/// [`position_margin`] summed over every position of `account`. `pairs` holds, for each
/// registered position in order, the position account then its board. A long value does not
/// depend on the level: `known_long_value` (from an earlier pass over unchanged longs) skips
/// pricing the longs again.
#[allow(clippy::too_many_arguments)]
pub fn account_margin<'info>(
    market_key: &Pubkey,
    market: &Market,
    account: &MarginAccount,
    pairs: &'info [AccountInfo<'info>],
    now: i64,
    px: &OraclePrice,
    level: Level,
    estimate: Estimate,
    known_long_value: Option<Fx>,
) -> Result<MarginTotals> {
    let n = account.num_positions as usize;
    require!(pairs.len() == 2 * n, OptionsAmmError::MarginAccountsMissing);
    let mut totals = MarginTotals::default();
    let mut check = CheckPoint::new(px.price, px.conf, &market.params.margin, level);
    for (i, pair) in pairs.chunks(2).enumerate() {
        require_keys_eq!(
            *pair[0].key,
            account.positions[i],
            OptionsAmmError::MarginAccountsMissing
        );
        let position = AccountLoader::<Position>::try_from(&pair[0])?;
        let p = position.load()?;
        require_keys_eq!(p.board, *pair[1].key, OptionsAmmError::WrongPosition);
        let board = AccountLoader::<Board>::try_from(&pair[1])?;
        let b = board.load()?;
        require_keys_eq!(b.market, *market_key, OptionsAmmError::WrongMarket);
        let skip_longs = known_long_value.is_some();
        let t =
            position_margin_at(market, &p, &b, now, px, level, estimate, skip_longs, &mut check)?;
        totals.add(t)?;
    }
    if let Some(v) = known_long_value {
        totals.long_value = v;
    }
    Ok(totals)
}

/// The account's margin excess at `level`: collateral less debt, plus haircut longs, less the
/// requirement (whole quote units; negative = below the level).
#[allow(clippy::too_many_arguments)]
pub fn account_excess<'info>(
    market_key: &Pubkey,
    market: &Market,
    account: &MarginAccount,
    pairs: &'info [AccountInfo<'info>],
    now: i64,
    px: &OraclePrice,
    level: Level,
    estimate: Estimate,
    known_long_value: Option<Fx>,
) -> Result<(Fx, MarginTotals)> {
    let totals = account_margin(
        market_key,
        market,
        account,
        pairs,
        now,
        px,
        level,
        estimate,
        known_long_value,
    )?;
    Ok((totals.excess(net_collateral_whole(account, market.quote_decimals)?)?, totals))
}

/// Refuses (`BelowInitialMargin`) unless the account's collateral (less its debt) plus its
/// haircut longs cover the initial-margin requirement of all its positions, valued
/// `Estimate::Prudent` (never less than priced exactly).
pub fn require_initial_margin<'info>(
    market_key: &Pubkey,
    market: &Market,
    account: &MarginAccount,
    pairs: &'info [AccountInfo<'info>],
    now: i64,
    px: &OraclePrice,
) -> Result<()> {
    let (excess, _) = account_excess(
        market_key,
        market,
        account,
        pairs,
        now,
        px,
        Level::Initial,
        Estimate::Prudent,
        None,
    )?;
    require!(excess >= 0, OptionsAmmError::BelowInitialMargin);
    Ok(())
}

/// The account's collateral less its debt, in whole quote units (signed).
pub fn net_collateral_whole(account: &MarginAccount, quote_decimals: u8) -> Result<Fx> {
    let c = whole_units(account.collateral, quote_decimals)?;
    let d = whole_units(account.debt, quote_decimals)?;
    c.safe_sub(d)
}
