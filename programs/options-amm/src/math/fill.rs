//! How a trade fills: the series' greeks at the oracle price, the inventory-skewed quote from the
//! shared pricing crate, and its conversion to token units in the vault's favour. Pure, so the
//! client computes exactly what the program will charge.

use crate::error::OptionsAmmError;
use crate::math::value::{quote_raw, whole_units};
use crate::state::{TradingParams, CALL, PUT};
use anchor_lang::prelude::*;
use options_amm_pricing::{
    black_scholes, black_scholes_pair, price, quote, BsParams, Fx, Greeks, Inventory, OptionKind,
    Quote, QuoteInputs, QuoteParams, Side,
};

fn micro(v: u64) -> Fx {
    Fx::from_num(v) / 1_000_000
}

fn bps(v: u32) -> Fx {
    Fx::from_num(v) / 10_000
}

fn pricing<T>(r: core::result::Result<T, options_amm_pricing::PricingError>) -> Result<T> {
    r.map_err(|e| error!(OptionsAmmError::from(e)))
}

pub fn quote_params(t: &TradingParams) -> QuoteParams {
    QuoteParams {
        vega_cap: micro(t.vega_cap_micro),
        gamma_cap: micro(t.gamma_cap_micro),
        delta_cap: micro(t.delta_cap_micro),
        skew_vega: micro(t.skew_vega_micro),
        skew_gamma: micro(t.skew_gamma_micro),
        max_skew: micro(t.max_skew_micro),
        spread_vol: micro(t.spread_vol_micro),
        spread_delta_vol: micro(t.spread_delta_vol_micro),
        spread_expiry_vol: micro(t.spread_expiry_vol_micro),
        near_expiry_secs: t.near_expiry_secs as u64,
        fee_spot_bps: t.fee_spot_bps,
        fee_premium_bps: t.fee_premium_bps,
        protocol_fee_share_bps: t.protocol_fee_share_bps,
    }
}

/// The cap strike of calls: strike x cap multiple.
fn cap_strike(strike: Fx, cap_bps: u32) -> Result<Fx> {
    strike.checked_mul(bps(cap_bps)).ok_or_else(|| error!(OptionsAmmError::MathOverflow))
}

/// Largest payoff of one whole contract, quote per underlying: K for a put, (cap - 1) K for a
/// (capped) call.
pub fn max_payoff(kind: u8, strike: Fx, cap_bps: u32) -> Result<Fx> {
    match kind {
        PUT => Ok(strike),
        CALL => Ok(cap_strike(strike, cap_bps)? - strike),
        _ => err!(OptionsAmmError::InvalidOptionKind),
    }
}

/// A call spread: the long call less the call at the cap strike.
fn spread(long: Greeks, cap: Greeks) -> Result<Greeks> {
    let d = |a: Fx, b: Fx| a.checked_sub(b).ok_or_else(|| error!(OptionsAmmError::MathOverflow));
    Ok(Greeks {
        price: d(long.price, cap.price)?,
        delta: d(long.delta, cap.delta)?,
        gamma: d(long.gamma, cap.gamma)?,
        vega: d(long.vega, cap.vega)?,
        theta: d(long.theta, cap.theta)?,
    })
}

/// The engine's inputs for one series: rate in basis points, time in seconds.
fn bs_params(spot: Fx, strike: Fx, vol: Fx, rate_bps: u32, secs: u64) -> BsParams {
    BsParams { spot, strike, vol, rate: bps(rate_bps), expiry_secs: secs }
}

/// The call at the cap strike `cap_bps` x K, which every call is short of.
fn cap_call(p: &BsParams, cap_bps: u32) -> Result<Greeks> {
    let strike = cap_strike(p.strike, cap_bps)?;
    pricing(black_scholes(OptionKind::Call, &BsParams { strike, ..*p }))
}

/// Price and greeks of one whole contract. Calls are call spreads K / cap x K, so their payoff
/// (and the collateral locked for them) is bounded.
pub fn series_greeks(
    kind: u8,
    spot: Fx,
    strike: Fx,
    vol: Fx,
    rate_bps: u32,
    secs: u64,
    cap_bps: u32,
) -> Result<Greeks> {
    let p = bs_params(spot, strike, vol, rate_bps, secs);
    match kind {
        PUT => pricing(black_scholes(OptionKind::Put, &p)),
        CALL => spread(pricing(black_scholes(OptionKind::Call, &p))?, cap_call(&p, cap_bps)?),
        _ => err!(OptionsAmmError::InvalidOptionKind),
    }
}

/// The price alone of [`series_greeks`] (no greeks: about three quarters of the engine's cost).
/// `cap_bps == 0` prices a plain call (no cap leg): an upper bound of the capped call's price.
pub fn series_price(
    kind: u8,
    spot: Fx,
    strike: Fx,
    vol: Fx,
    rate_bps: u32,
    secs: u64,
    cap_bps: u32,
) -> Result<Fx> {
    let p = bs_params(spot, strike, vol, rate_bps, secs);
    match kind {
        PUT => pricing(price(OptionKind::Put, &p)),
        CALL => {
            let long = pricing(price(OptionKind::Call, &p))?;
            if cap_bps == 0 {
                return Ok(long);
            }
            let cap = BsParams { strike: cap_strike(strike, cap_bps)?, ..p };
            let capped = pricing(price(OptionKind::Call, &cap))?;
            long.checked_sub(capped).ok_or_else(|| error!(OptionsAmmError::MathOverflow))
        }
        _ => err!(OptionsAmmError::InvalidOptionKind),
    }
}

/// [`series_greeks`] of both kinds at one strike, indexed by `CALL` and `PUT`: two engine
/// evaluations (the pair and the cap call) instead of three.
pub fn series_greeks_both(
    spot: Fx,
    strike: Fx,
    vol: Fx,
    rate_bps: u32,
    secs: u64,
    cap_bps: u32,
) -> Result<[Greeks; 2]> {
    let p = bs_params(spot, strike, vol, rate_bps, secs);
    let (call, put) = pricing(black_scholes_pair(&p))?;
    let mut both = [call, put];
    both[CALL as usize] = spread(call, cap_call(&p, cap_bps)?)?;
    Ok(both)
}

/// Quote raw units of collateral that cover `contracts` (underlying raw units) at `payoff` per
/// whole contract, rounded up.
pub fn collateral_for(
    contracts: u64,
    payoff: Fx,
    underlying_decimals: u8,
    quote_decimals: u8,
) -> Result<u64> {
    let whole = whole_units(contracts, underlying_decimals)?;
    let value = whole.checked_mul(payoff).ok_or_else(|| error!(OptionsAmmError::MathOverflow))?;
    quote_raw(value, quote_decimals, true)
}

/// Everything a fill depends on.
#[derive(Clone, Copy, Debug)]
pub struct FillInputs {
    pub kind: u8,
    pub side: Side,
    /// Contracts, underlying raw units.
    pub size: u64,
    pub strike: Fx,
    pub base_vol: Fx,
    pub spot: Fx,
    pub spot_conf: Fx,
    pub now: i64,
    pub expiry_ts: i64,
    pub inventory: Inventory,
    pub rate_bps: u32,
    pub underlying_decimals: u8,
    pub quote_decimals: u8,
}

/// A fill in token units: what the trader pays (buy) or receives (sell) before collateral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub greeks: Greeks,
    pub quote: Quote,
    /// Premium, quote raw units: rounded up when the trader pays, down when the trader is paid.
    pub premium: u64,
    /// Fees, quote raw units, rounded up; the protocol's part rounded down, LPs get the rest.
    pub fee_protocol: u64,
    pub fee_lp: u64,
}

pub fn fill(i: &FillInputs, t: &TradingParams) -> Result<Fill> {
    let secs = u64::try_from(i.expiry_ts.saturating_sub(i.now)).unwrap_or(0);
    let greeks = series_greeks(
        i.kind,
        i.spot,
        i.strike,
        i.base_vol,
        i.rate_bps,
        secs,
        t.call_cap_multiple_bps,
    )?;
    let inputs = QuoteInputs {
        greeks,
        base_vol: i.base_vol,
        spot: i.spot,
        spot_conf: i.spot_conf,
        expiry_secs: secs,
        size: whole_units(i.size, i.underlying_decimals)?,
        side: i.side,
        inventory: i.inventory,
    };
    let q = pricing(quote(&inputs, &quote_params(t)))?;
    let premium = quote_raw(q.premium, i.quote_decimals, i.side == Side::Buy)?;
    let fees = quote_raw(q.fee_protocol + q.fee_lp, i.quote_decimals, true)?;
    let fee_protocol =
        crate::math::safe::mul_div_floor(fees, t.protocol_fee_share_bps as u64, 10_000)?;
    Ok(Fill { greeks, quote: q, premium, fee_protocol, fee_lp: fees - fee_protocol })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_at_once_equal_each_kind_alone_to_the_bit() {
        for (spot, strike, vol, secs) in
            [(150, 150, 80, 86_400 * 14), (150, 110, 90, 3_600), (90, 180, 120, 86_400 * 300)]
        {
            let (spot, strike, vol) =
                (Fx::from_num(spot), Fx::from_num(strike), Fx::from_num(vol) / 100);
            let both = series_greeks_both(spot, strike, vol, 400, secs, 30_000).unwrap();
            for kind in [CALL, PUT] {
                let one = series_greeks(kind, spot, strike, vol, 400, secs, 30_000).unwrap();
                assert_eq!(both[kind as usize], one, "kind {kind}");
                let alone = series_price(kind, spot, strike, vol, 400, secs, 30_000).unwrap();
                assert_eq!(alone, one.price, "price alone, kind {kind}");
            }
        }
    }
}
