//! Evaluating a margin account: every registered position with its board, passed as remaining
//! accounts in registration order, valued by `math::margin`.

use crate::constants::SECONDS_PER_YEAR;
use crate::error::OptionsAmmError;
use crate::math::margin::{
    Age, Bound, CacheMaker, Cached, Exposure, Level, MarginTotals, Scenario,
};
use crate::math::safe::SafeMath;
use crate::math::settle::payoff;
use crate::math::value::whole_units;
use crate::math::value::{bps, secs_until};
use crate::oracle::OraclePrice;
use crate::state::{
    Board, BoardStatus, MarginAccount, MarginCache, Market, PodFx, Position, CALL, PUT,
};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// Requirement and long value of one position with its board at `level` (pure: the CLI shows a
/// trader's health with it). Expired boards count at their payoff (the settlement price once
/// known, else spot): shorts owe it in full, longs are worth what settlement will pay them
/// less the haircut. With `skip_longs`, longs are not valued (their value is known from an
/// earlier pass).
pub fn position_margin(
    market: &Market,
    p: &Position,
    b: &Board,
    now: i64,
    px: &OraclePrice,
    level: Level,
    skip_longs: bool,
) -> Result<MarginTotals> {
    let mut check = scenario(market, px, level)?;
    Ok(position_margin_in(&mut check, market, p, b, now, px, skip_longs, None)?.0)
}

/// ceil(2^64 / 31,536,000): one year's reciprocal in `Fx` bits, rounded up.
const INV_YEAR_BITS_UP: i128 =
    ((1i128 << 64) + SECONDS_PER_YEAR as i128 - 1) / SECONDS_PER_YEAR as i128;

/// How old `b`'s margin cache is, if checks may bound from it: made at a refresh not after
/// `now`, for these margin rules, with today's shocks and rate, on an active board before
/// expiry. Otherwise `None` (the checks price that board).
fn cache_age(market: &Market, b: &Board, now: i64) -> Result<Option<Age>> {
    let (c, p) = (&b.margin_cache, &market.params.margin);
    let rate = market.params.risk_free_rate_bps;
    let usable = c.made_ts != 0
        && c.version == MarginCache::VERSION
        && c.made_ts <= now
        && now < b.expiry_ts
        && b.is_active()
        && (c.im_spot_shock_bps, c.mm_spot_shock_bps, c.vol_shock_bps, c.rate_bps)
            == (p.im_spot_shock_bps, p.mm_spot_shock_bps, p.vol_shock_bps, rate);
    if !usable {
        return Ok(None);
    }
    // dt / year, rounded up (the bounds take the larger age), by one product: 2^64 / year
    // rounded up is 584,942,417,356 (`the_age_in_years_is_rounded_up`).
    let dt = (now - c.made_ts) as u64; // made_ts <= now: not negative
    let years = Fx::from_bits((u128::from(dt) * INV_YEAR_BITS_UP as u128) as i128); // < 2^103
    Ok(Some(Age { years, vega_time: c.vega_time.get(), rate: bps(rate) }))
}

/// The margin check of `level` for `market` at the oracle price.
fn scenario(market: &Market, px: &OraclePrice, level: Level) -> Result<Scenario> {
    let rate = market.params.risk_free_rate_bps;
    Scenario::new(px.price, px.conf, rate, &market.params.margin, level)
}

/// [`position_margin`] within a check shared by every position of an account. With `bound`,
/// shorts on a board with a usable margin cache are bounded from it (on that side of their
/// priced requirement) instead of priced; the flag says whether any was.
#[allow(clippy::too_many_arguments)]
fn position_margin_in(
    check: &mut Scenario,
    market: &Market,
    p: &Position,
    b: &Board,
    now: i64,
    px: &OraclePrice,
    skip_longs: bool,
    bound: Option<Bound>,
) -> Result<(MarginTotals, bool)> {
    let ud = market.underlying_decimals;
    let cap = b.cap_multiple_bps;
    let mut exposures: Vec<Exposure> = Vec::new();
    let mut totals = MarginTotals::default();
    let status = b.status()?;
    let expired = now >= b.expiry_ts || status != BoardStatus::Active;
    let (at, ratio) = if status == BoardStatus::Settled {
        (b.settlement_price.get(), b.payout_ratio.get())
    } else {
        (px.price, Fx::ONE)
    };
    let cached = match bound {
        Some(side) if !expired => cache_age(market, b, now)?.map(|age| (side, age)),
        _ => None,
    };
    let mut bounded = false;
    let l = check.level().index();
    let cap_mult = bps(cap);
    for (s, row) in p.sizes.iter().take(b.num_strikes as usize).enumerate() {
        if *row == [0, 0] {
            continue; // most strikes of a position are empty: one test each
        }
        for kind in [CALL, PUT] {
            let raw = row[kind as usize];
            if raw == 0 || (raw > 0 && skip_longs) {
                continue;
            }
            let size = whole_units(raw.unsigned_abs(), ud)?;
            let strike = b.strikes[s].strike.get();
            let k = kind as usize;
            if let (Some((side, age)), true) = (&cached, raw < 0) {
                let c = &b.margin_cache;
                let entry = Cached {
                    value: c.value[s][k][l].get(),
                    delta: c.delta[s][k][l].get(),
                    x0: c.x0[k][l].get(),
                };
                let vol = b.strikes[s].mark_vol.get();
                let r = check.short_bound(kind, strike, vol, size, cap_mult, &entry, age, *side)?;
                totals.requirement = totals.requirement.safe_add(r)?;
                bounded = true;
            } else if expired {
                let value = size.safe_mul(payoff(kind, strike, at, cap)?)?;
                if raw < 0 {
                    totals.requirement = totals.requirement.safe_add(value)?;
                } else {
                    let v = value.safe_mul(ratio)?.safe_mul(check.long_share())?;
                    totals.long_value = totals.long_value.safe_add(v)?;
                }
            } else {
                exposures.push(Exposure {
                    kind,
                    strike,
                    vol: b.strikes[s].mark_vol.get(),
                    expiry_secs: secs_until(b.expiry_ts, now),
                    size: if raw < 0 { -size } else { size },
                });
            }
        }
    }
    if !exposures.is_empty() {
        totals.add(check.value(&exposures, cap)?)?;
    }
    Ok((totals, bounded))
}

/// [`position_margin`] summed over every position of `account`. `pairs` holds, for each
/// registered position in order, the position account then its board. A long value does not
/// depend on the level: `known_long_value` (from an earlier pass over unchanged longs) skips
/// pricing the longs again. With `bound`, the flag says whether any short was bounded rather
/// than priced (if none was, the totals are the priced ones).
#[allow(clippy::too_many_arguments)]
pub fn account_margin<'info>(
    market_key: &Pubkey,
    market: &Market,
    account: &MarginAccount,
    pairs: &'info [AccountInfo<'info>],
    now: i64,
    px: &OraclePrice,
    level: Level,
    known_long_value: Option<Fx>,
    bound: Option<Bound>,
) -> Result<(MarginTotals, bool)> {
    let n = account.num_positions as usize;
    require!(pairs.len() == 2 * n, OptionsAmmError::MarginAccountsMissing);
    let mut totals = MarginTotals::default();
    let mut check = scenario(market, px, level)?;
    let mut bounded = false;
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
        let (t, b_any) =
            position_margin_in(&mut check, market, &p, &b, now, px, skip_longs, bound)?;
        totals.add(t)?;
        bounded |= b_any;
    }
    if let Some(v) = known_long_value {
        totals.long_value = v;
    }
    Ok((totals, bounded))
}

/// An account's margin at one level: its excess (collateral less debt, plus haircut longs,
/// less the requirement, whole quote units; negative = below the level), the totals, and
/// whether any short was bounded from a margin cache rather than priced.
#[derive(Clone, Copy, Debug)]
pub struct Checked {
    pub excess: Fx,
    pub totals: MarginTotals,
    pub bounded: bool,
}

/// The account's margin at `level`. With `bound`, shorts on boards with a usable margin cache
/// are bounded on that side instead of priced: `Above` gives an excess at or below the priced
/// one, `Below` one at or above it. Longs are always priced (or `known_long_value`).
#[allow(clippy::too_many_arguments)]
pub fn account_excess<'info>(
    market_key: &Pubkey,
    market: &Market,
    account: &MarginAccount,
    pairs: &'info [AccountInfo<'info>],
    now: i64,
    px: &OraclePrice,
    level: Level,
    known_long_value: Option<Fx>,
    bound: Option<Bound>,
) -> Result<Checked> {
    let (totals, bounded) = account_margin(
        market_key,
        market,
        account,
        pairs,
        now,
        px,
        level,
        known_long_value,
        bound,
    )?;
    let excess = totals.excess(net_collateral_whole(account, market.quote_decimals)?)?;
    Ok(Checked { excess, totals, bounded })
}

/// Refuses (`BelowInitialMargin`) unless the account's collateral (less its debt) plus its
/// haircut longs cover the initial-margin requirement of all its positions. The same outcome
/// as pricing every series, for the price of bounding them when the bound decides.
pub fn require_initial_margin<'info>(
    market_key: &Pubkey,
    market: &Market,
    account: &MarginAccount,
    pairs: &'info [AccountInfo<'info>],
    now: i64,
    px: &OraclePrice,
) -> Result<()> {
    let check = |known, bound| {
        account_excess(market_key, market, account, pairs, now, px, Level::Initial, known, bound)
    };
    // The refresh's cached values bound the requirement from above: enough there is enough
    // priced. Otherwise the check prices the shorts, reusing the longs the bound pass valued
    // (or prices everything if the bound could not be formed).
    let excess = match check(None, Some(Bound::Above)) {
        Ok(c) if c.excess >= 0 || !c.bounded => c.excess,
        Ok(c) => check(Some(c.totals.long_value), None)?.excess,
        Err(_) => check(None, None)?.excess,
    };
    require!(excess >= 0, OptionsAmmError::BelowInitialMargin);
    Ok(())
}

/// The account's collateral less its debt, in whole quote units (signed).
pub fn net_collateral_whole(account: &MarginAccount, quote_decimals: u8) -> Result<Fx> {
    let c = whole_units(account.collateral, quote_decimals)?;
    let d = whole_units(account.debt, quote_decimals)?;
    c.safe_sub(d)
}

/// At a refresh at `spot`: every strike's short value and delta by kind and level at the spot
/// shocked against a short and the vol shocked up (a margin check's pricing with no confidence
/// interval), stamped with the parameters and time they were made with. Margin checks bound
/// from it until the next refresh (`Scenario::short_bound`).
pub fn cache_shocked_values(market: &Market, b: &mut Board, spot: Fx, now: i64) -> Result<()> {
    let p = &market.params.margin;
    let rate = market.params.risk_free_rate_bps;
    let maker = CacheMaker::new(spot, rate, secs_until(b.expiry_ts, now), p)?;
    let mut cache = MarginCache {
        made_ts: now,
        version: MarginCache::VERSION,
        im_spot_shock_bps: p.im_spot_shock_bps,
        mm_spot_shock_bps: p.mm_spot_shock_bps,
        vol_shock_bps: p.vol_shock_bps,
        rate_bps: rate,
        vega_time: PodFx::of(maker.vega_time()?),
        ..MarginCache::default()
    };
    cache.x0 = maker.x0().map(|by_level| by_level.map(PodFx::of));
    for (i, st) in b.strikes[..b.num_strikes as usize].iter().enumerate() {
        let entries = maker.strike(st.strike.get(), st.mark_vol.get())?;
        cache.value[i] = entries.map(|by_level| by_level.map(|(v, _)| PodFx::of(v)));
        cache.delta[i] = entries.map(|by_level| by_level.map(|(_, d)| PodFx::of(d)));
    }
    b.margin_cache = cache;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The age's product against an exact division: never below it, at most one unit of the
    /// last place per second above it.
    #[test]
    fn the_age_in_years_is_rounded_up() {
        assert_eq!(INV_YEAR_BITS_UP, 584_942_417_356);
        for dt in [0i128, 1, 59, 3_600, 86_400, 31_536_000, 315_360_000] {
            let exact = (dt << 64) / SECONDS_PER_YEAR as i128;
            let ours = dt * INV_YEAR_BITS_UP;
            assert!(ours >= exact && ours - exact <= dt, "{dt}: {ours} vs {exact}");
        }
    }
}
