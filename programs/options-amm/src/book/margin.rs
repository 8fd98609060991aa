//! Evaluating a margin account: every registered position with its board, passed as remaining
//! accounts in registration order, valued by `math::margin`.

use crate::error::OptionsAmmError;
use crate::math::margin::{Exposure, Level, MarginTotals, Scenario};
use crate::math::safe::SafeMath;
use crate::math::settle::payoff;
use crate::math::value::secs_until;
use crate::math::value::whole_units;
use crate::oracle::OraclePrice;
use crate::state::{Board, BoardStatus, MarginAccount, Market, Position, CALL, MAX_STRIKES, PUT};
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
    position_margin_in(&mut check, market, p, b, now, px, skip_longs)
}

/// The margin check of `level` for `market` at the oracle price.
fn scenario(market: &Market, px: &OraclePrice, level: Level) -> Result<Scenario> {
    let rate = market.params.risk_free_rate_bps;
    Scenario::new(px.price, px.conf, rate, &market.params.margin, level)
}

/// [`position_margin`] within a check shared by every position of an account.
fn position_margin_in(
    check: &mut Scenario,
    market: &Market,
    p: &Position,
    b: &Board,
    now: i64,
    px: &OraclePrice,
    skip_longs: bool,
) -> Result<MarginTotals> {
    let ud = market.underlying_decimals;
    let cap = b.cap_multiple_bps;
    let mut exposures: Vec<Exposure> = Vec::with_capacity(2 * MAX_STRIKES);
    let mut totals = MarginTotals::default();
    let status = b.status()?;
    let expired = now >= b.expiry_ts || status != BoardStatus::Active;
    let (at, ratio) = if status == BoardStatus::Settled {
        (b.settlement_price.get(), b.payout_ratio.get())
    } else {
        (px.price, Fx::ONE)
    };
    for s in 0..b.num_strikes as usize {
        for kind in [CALL, PUT] {
            let raw = p.sizes[s][kind as usize];
            if raw == 0 || (raw > 0 && skip_longs) {
                continue;
            }
            let size = whole_units(raw.unsigned_abs(), ud)?;
            let strike = b.strikes[s].strike.get();
            if expired {
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
    Ok(totals)
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
    known_long_value: Option<Fx>,
) -> Result<MarginTotals> {
    let n = account.num_positions as usize;
    require!(pairs.len() == 2 * n, OptionsAmmError::MarginAccountsMissing);
    let mut totals = MarginTotals::default();
    let mut check = scenario(market, px, level)?;
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
        let t = position_margin_in(&mut check, market, &p, &b, now, px, skip_longs)?;
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
    known_long_value: Option<Fx>,
) -> Result<(Fx, MarginTotals)> {
    let totals =
        account_margin(market_key, market, account, pairs, now, px, level, known_long_value)?;
    Ok((totals.excess(net_collateral_whole(account, market.quote_decimals)?)?, totals))
}

/// Refuses (`BelowInitialMargin`) unless the account's collateral (less its debt) plus its
/// haircut longs cover the initial-margin requirement of all its positions.
pub fn require_initial_margin<'info>(
    market_key: &Pubkey,
    market: &Market,
    account: &MarginAccount,
    pairs: &'info [AccountInfo<'info>],
    now: i64,
    px: &OraclePrice,
) -> Result<()> {
    let (excess, _) =
        account_excess(market_key, market, account, pairs, now, px, Level::Initial, None)?;
    require!(excess >= 0, OptionsAmmError::BelowInitialMargin);
    Ok(())
}

/// The account's collateral less its debt, in whole quote units (signed).
pub fn net_collateral_whole(account: &MarginAccount, quote_decimals: u8) -> Result<Fx> {
    let c = whole_units(account.collateral, quote_decimals)?;
    let d = whole_units(account.debt, quote_decimals)?;
    c.safe_sub(d)
}
