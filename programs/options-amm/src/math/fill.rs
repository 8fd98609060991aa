//! How a trade fills: the series' greeks at the oracle price, the inventory-potential quote from
//! the shared pricing crate, the lock charge, and the conversion to token units in the vault's
//! favour. Pure, so the client computes exactly what the program will charge.

use crate::constants::BPS;
use crate::error::OptionsAmmError;
use crate::math::safe::{long, overflow, SafeMath};
use crate::math::value::{bps, micro, secs_until};
use crate::math::value::{quote_raw, whole_units, Rounding};
use crate::state::Kind;
use crate::state::{TradingParams, CALL};
use anchor_lang::prelude::*;
use options_amm_pricing::{
    greeks_at, pair_at, price_at, quote, Fx, Greeks, Horizon, Inventory, OptionKind, Quote,
    QuoteInputs, QuoteParams, Side, Spot,
};

/// An engine result with its error named in the program's terms.
pub(crate) fn pricing<T>(
    r: core::result::Result<T, options_amm_pricing::PricingError>,
) -> Result<T> {
    r.map_err(|e| error!(OptionsAmmError::from(e)))
}

pub fn quote_params(t: &TradingParams) -> QuoteParams {
    QuoteParams {
        vega_cap: micro(t.vega_cap_micro),
        gamma_cap: micro(t.gamma_cap_micro),
        delta_cap: micro(t.delta_cap_micro),
        skew_vega: micro(t.skew_vega_micro),
        skew_gamma: micro(t.skew_gamma_micro),
        skew_delta: micro(t.skew_delta_micro),
        saturation: micro(t.saturation_micro),
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
    strike.safe_mul(bps(cap_bps))
}

/// Largest payoff of one whole contract, quote per underlying: K for a put, (cap - 1) K for a
/// (capped) call.
pub fn max_payoff(kind: Kind, strike: Fx, cap_bps: u32) -> Result<Fx> {
    max_payoff_at(kind, strike, bps(cap_bps))
}

/// [`max_payoff`] with the cap multiple as a number (a margin check forms it once a board).
pub fn max_payoff_at(kind: Kind, strike: Fx, cap: Fx) -> Result<Fx> {
    match kind {
        Kind::Put => Ok(strike),
        Kind::Call => strike.safe_mul(cap)?.safe_sub(strike),
    }
}

/// A call spread: the long call less the call at the cap strike.
fn spread(long: Greeks, cap: Greeks) -> Result<Greeks> {
    let d = |a: Fx, b: Fx| a.safe_sub(b);
    Ok(Greeks {
        price: d(long.price, cap.price)?,
        delta: d(long.delta, cap.delta)?,
        gamma: d(long.gamma, cap.gamma)?,
        vega: d(long.vega, cap.vega)?,
        theta: d(long.theta, cap.theta)?,
    })
}

/// One board's series at one spot: the engine's spot and horizon contexts, built once and
/// shared by every strike and by a call's cap leg (bit for bit the single evaluations:
/// `options_amm_pricing`'s `shared_spot_and_horizon_price_every_strike_as_alone`), and the
/// board's cap multiple. A refresh prices every strike of a board with one.
#[derive(Clone, Copy, Debug)]
pub struct SeriesPricer {
    at: Spot,
    horizon: Horizon,
    cap_bps: u32,
}

impl SeriesPricer {
    /// Refuses a spot, rate or time outside the engine's domain (`SpotOutOfDomain`,
    /// `RateOutOfDomain`, `ExpiryOutOfDomain`).
    pub fn new(spot: Fx, rate_bps: u32, secs: u64, cap_bps: u32) -> Result<SeriesPricer> {
        let at = pricing(Spot::new(spot))?;
        Ok(SeriesPricer::with(at, SeriesPricer::horizon(rate_bps, secs)?, cap_bps))
    }

    /// The horizon of one expiry at a rate in basis points.
    pub fn horizon(rate_bps: u32, secs: u64) -> Result<Horizon> {
        pricing(Horizon::new(bps(rate_bps), secs))
    }

    /// From contexts already built (a margin check shares one spot across boards).
    pub fn with(at: Spot, horizon: Horizon, cap_bps: u32) -> SeriesPricer {
        SeriesPricer { at, horizon, cap_bps }
    }

    /// The call at the cap strike `cap_bps` x K, which every call is short of.
    fn cap_call(&self, strike: Fx, vol: Fx) -> Result<Greeks> {
        let cap = cap_strike(strike, self.cap_bps)?;
        pricing(greeks_at(OptionKind::Call, &self.at, &self.horizon, cap, vol))
    }

    /// Price and greeks of one whole contract. Calls are call spreads K / cap x K, so their
    /// payoff (and the collateral locked for them) is bounded.
    pub fn greeks(&self, kind: Kind, strike: Fx, vol: Fx) -> Result<Greeks> {
        let (at, h) = (&self.at, &self.horizon);
        match kind {
            Kind::Put => pricing(greeks_at(OptionKind::Put, at, h, strike, vol)),
            Kind::Call => spread(
                pricing(greeks_at(OptionKind::Call, at, h, strike, vol))?,
                self.cap_call(strike, vol)?,
            ),
        }
    }

    /// The price alone of [`SeriesPricer::greeks`] (no greeks: about three quarters of the
    /// engine's cost). `cap_bps == 0` prices a plain call (no cap leg): an upper bound of the
    /// capped call's price.
    pub fn price(&self, kind: Kind, strike: Fx, vol: Fx) -> Result<Fx> {
        let (at, h) = (&self.at, &self.horizon);
        match kind {
            Kind::Put => pricing(price_at(OptionKind::Put, at, h, strike, vol)),
            Kind::Call => {
                let long = pricing(price_at(OptionKind::Call, at, h, strike, vol))?;
                if self.cap_bps == 0 {
                    return Ok(long);
                }
                let cap = cap_strike(strike, self.cap_bps)?;
                let capped = pricing(price_at(OptionKind::Call, at, h, cap, vol))?;
                long.safe_sub(capped)
            }
        }
    }

    /// [`SeriesPricer::greeks`] of both kinds at one strike, indexed by `CALL` and `PUT`: two
    /// engine evaluations (the pair and the cap call) instead of three.
    pub fn greeks_both(&self, strike: Fx, vol: Fx) -> Result<[Greeks; 2]> {
        let (call, put) = pricing(pair_at(&self.at, &self.horizon, strike, vol))?;
        let mut both = [call, put];
        both[CALL as usize] = spread(call, self.cap_call(strike, vol)?)?;
        Ok(both)
    }
}

/// [`SeriesPricer::greeks`] for one series alone.
pub fn series_greeks(
    kind: Kind,
    spot: Fx,
    strike: Fx,
    vol: Fx,
    rate_bps: u32,
    secs: u64,
    cap_bps: u32,
) -> Result<Greeks> {
    SeriesPricer::new(spot, rate_bps, secs, cap_bps)?.greeks(kind, strike, vol)
}

/// [`SeriesPricer::price`] for one series alone.
pub fn series_price(
    kind: Kind,
    spot: Fx,
    strike: Fx,
    vol: Fx,
    rate_bps: u32,
    secs: u64,
    cap_bps: u32,
) -> Result<Fx> {
    SeriesPricer::new(spot, rate_bps, secs, cap_bps)?.price(kind, strike, vol)
}

/// [`SeriesPricer::greeks_both`] for one strike alone.
pub fn series_greeks_both(
    spot: Fx,
    strike: Fx,
    vol: Fx,
    rate_bps: u32,
    secs: u64,
    cap_bps: u32,
) -> Result<[Greeks; 2]> {
    SeriesPricer::new(spot, rate_bps, secs, cap_bps)?.greeks_both(strike, vol)
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
    let value = whole.safe_mul(payoff)?;
    quote_raw(value, quote_decimals, Rounding::Up)
}

/// Everything a fill depends on.
#[derive(Clone, Copy, Debug)]
pub struct FillInputs {
    pub kind: Kind,
    pub side: Side,
    /// Contracts, underlying raw units.
    pub size: u64,
    pub strike: Fx,
    pub base_vol: Fx,
    /// The board's call cap multiple (fixed at listing), basis points of strike.
    pub cap_bps: u32,
    pub spot: Fx,
    pub spot_conf: Fx,
    pub now: i64,
    pub expiry_ts: i64,
    pub inventory: Inventory,
    pub rate_bps: u32,
    pub underlying_decimals: u8,
    pub quote_decimals: u8,
    /// The lock charge's inputs: the trader's size in this series before the trade and the
    /// series' open interest (underlying raw units), the pool's quote and locks (raw units).
    pub position: i64,
    pub open_interest: u64,
    pub pool_quote: u64,
    pub locked_quote: u64,
    pub max_utilisation_bps: u32,
    /// Half-spread the market's state adds to `spread_vol` (vol; `book::fill::market_spread_vol`
    /// and the force-close penalty), never negative.
    pub extra_spread_vol: Fx,
    /// A buy's realised-vol floor (`book::fill::buy_floor_vol`): the buy is priced at no less
    /// than the series' value at this vol, its greeks, spread and inventory charge staying
    /// those at `base_vol`. None: no floor.
    pub floor_vol: Option<Fx>,
}

/// A fill in token units: what the trader pays (buy) or receives (sell) before collateral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub greeks: Greeks,
    pub quote: Quote,
    /// Premium, quote raw units: rounded up when the trader pays, down when the trader is paid.
    pub premium: u64,
    /// Fees, quote raw units, rounded up; the protocol's part rounded down, LPs get the rest
    /// (the lock charge included).
    pub fee_protocol: u64,
    pub fee_lp: u64,
    /// The lock charge (part of `fee_lp`), quote raw units, rounded up.
    pub fee_lock: u64,
    /// The change of the pool's lock, quote raw units.
    pub lock_change: i128,
}

impl Fill {
    /// Premium and fees: what a buyer pays, or what a seller's premium is reduced by.
    pub fn fees(&self) -> Result<u64> {
        self.fee_protocol.safe_add(self.fee_lp)
    }
}

/// The lock of a series whose traders hold `open_interest` contracts long: the maximum payoff
/// of each (rounded up). The pool locks for every long it owes, whoever holds the short side,
/// so what longs are paid at expiry never depends on the shorts paying first.
pub fn series_lock(
    kind: Kind,
    strike: Fx,
    cap_bps: u32,
    open_interest: u64,
    ud: u8,
    qd: u8,
) -> Result<u64> {
    collateral_for(open_interest, max_payoff(kind, strike, cap_bps)?, ud, qd)
}

/// The lock charge, quote raw units, rounded up: raising the pool's locks from `l0` to `l1`
/// (raw units) on a pool of `p` for `secs` costs the integral of an annual rate that grows
/// linearly with utilisation, from zero to `rate_at_cap` at the utilisation cap:
/// rate(L) = rate_at_cap x (L / p) / u_cap, so the charge is
/// rate_at_cap / u_cap x (l1^2 - l0^2) / (2 p) x secs / year. An integral, so one buy costs
/// what its pieces cost (each piece rounded up: the pieces never cost less). Integer
/// arithmetic in u128 (no fixed-point division on the trade's path).
pub fn lock_charge(
    l0: u64,
    l1: u64,
    p: u64,
    u_cap_bps: u32,
    rate_at_cap_bps: u32,
    secs: u64,
) -> Result<u64> {
    if l1 <= l0 || secs == 0 || rate_at_cap_bps == 0 {
        return Ok(0);
    }
    require!(p > 0 && u_cap_bps > 0, OptionsAmmError::UtilisationCap);
    let area = ((l1 - l0) as u128).safe_mul(l0 as u128 + l1 as u128)?;
    let per_pool = area.div_ceil(2 * p as u128);
    let num = per_pool.safe_mul(rate_at_cap_bps as u128)?.safe_mul(secs as u128)?;
    let den = (u_cap_bps as u128) * (crate::constants::SECONDS_PER_YEAR as u128);
    u64::try_from(num.div_ceil(den)).map_err(|_| overflow())
}

/// A premium rounds up when the trader pays it (a buy), down when the trader is paid (a sell).
pub fn paid_by_trader(side: Side) -> Rounding {
    match side {
        Side::Buy => Rounding::Up,
        Side::Sell => Rounding::Down,
    }
}

/// The greeks a quote prices from: for a buy with a floor vol, the price is the larger of the
/// series' value at its vol and at the floor (the exact gap, whatever the sign or the curvature
/// of the series' vega); delta, gamma and vega stay, so the spread and the inventory charge are
/// a sale's, and a buy never costs less than a sale of the same series at the same moment.
pub fn floored(
    greeks: Greeks,
    side: Side,
    floor_vol: Option<Fx>,
    price_at: impl Fn(Fx) -> Result<Fx>,
) -> Result<Greeks> {
    match (side, floor_vol) {
        (Side::Buy, Some(v)) => Ok(Greeks { price: greeks.price.max(price_at(v)?), ..greeks }),
        _ => Ok(greeks),
    }
}

pub fn fill(i: &FillInputs, t: &TradingParams) -> Result<Fill> {
    let secs = secs_until(i.expiry_ts, i.now);
    let pricer = SeriesPricer::new(i.spot, i.rate_bps, secs, i.cap_bps)?;
    let greeks = pricer.greeks(i.kind, i.strike, i.base_vol)?;
    let priced = floored(greeks, i.side, i.floor_vol, |v| pricer.price(i.kind, i.strike, v))?;
    let inputs = QuoteInputs {
        greeks: priced,
        spot: i.spot,
        spot_conf: i.spot_conf,
        expiry_secs: secs,
        size: whole_units(i.size, i.underlying_decimals)?,
        side: i.side,
        inventory: i.inventory,
    };
    let mut qp = quote_params(t);
    qp.spread_vol = qp.spread_vol.safe_add(i.extra_spread_vol.max(Fx::ZERO))?;
    let q = quote(&inputs, &qp).map_err(|e| match e {
        options_amm_pricing::PricingError::NoBid => error!(OptionsAmmError::NoBid),
        e => error!(OptionsAmmError::from(e)),
    })?;
    let (ud, qd) = (i.underlying_decimals, i.quote_decimals);
    let premium = quote_raw(q.premium, qd, paid_by_trader(i.side))?;

    // The pool's lock moves with the series' open interest.
    let signed = i64::try_from(i.size).map_err(|_| error!(OptionsAmmError::MathOverflow))?;
    let after = match i.side {
        Side::Buy => i.position.safe_add(signed)?,
        Side::Sell => i.position.safe_sub(signed)?,
    };
    let oi_after = crate::math::safe::add_signed(
        i.open_interest,
        long(after) as i128 - long(i.position) as i128,
    )?;
    let lock_of = |oi| series_lock(i.kind, i.strike, i.cap_bps, oi, ud, qd);
    let (lock0, lock1) = (lock_of(i.open_interest)?, lock_of(oi_after)?);
    let lock_change = lock1 as i128 - lock0 as i128;
    let fee_lock = if lock_change > 0 {
        lock_charge(
            i.locked_quote,
            i.locked_quote.safe_add(lock1 - lock0)?,
            i.pool_quote,
            i.max_utilisation_bps,
            t.lock_rate_at_cap_bps,
            secs,
        )?
    } else {
        0
    };

    let fees = quote_raw(q.fee_protocol + q.fee_lp, qd, Rounding::Up)?;
    let fee_protocol =
        crate::math::safe::mul_div_floor(fees, t.protocol_fee_share_bps as u64, BPS)?;
    let fee_lp = (fees - fee_protocol).safe_add(fee_lock)?;
    Ok(Fill { greeks, quote: q, premium, fee_protocol, fee_lp, fee_lock, lock_change })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::PUT;

    #[test]
    fn the_lock_charge_is_the_integral_of_a_rate_linear_in_utilisation() {
        // Pool 1,000,000, cap 80%, 20% a year at the cap, half a year: locking 0 -> 400,000
        // (half the cap) costs 0.2 / 0.8 x 400,000^2 / 2,000,000 x 0.5 = 10,000 (hand
        // computed: the average rate over the way up is 5%, on 400,000 for half a year).
        // Quote raw units (6 decimals).
        let q = |v: u64| v * 1_000_000;
        let half_year = crate::constants::SECONDS_PER_YEAR / 2;
        let c = lock_charge(0, q(400_000), q(1_000_000), 8_000, 2_000, half_year).unwrap();
        assert_eq!(c, q(10_000));
        // In two pieces it costs the same, to the rounding up of each piece; releasing costs
        // nothing.
        let a = lock_charge(0, q(150_000), q(1_000_000), 8_000, 2_000, half_year).unwrap();
        let b = lock_charge(q(150_000), q(400_000), q(1_000_000), 8_000, 2_000, half_year).unwrap();
        assert!(a + b >= c && a + b - c <= 2, "{a} + {b} vs {c}");
        assert_eq!(lock_charge(9, 5, 100, 8_000, 2_000, 100).unwrap(), 0);
        // A lock on an empty pool is refused by name.
        assert!(lock_charge(0, 1, 0, 8_000, 2_000, 100).is_err());
    }

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
                assert_eq!(both[kind as usize], one, "kind {kind:?}");
                let alone = series_price(kind, spot, strike, vol, 400, secs, 30_000).unwrap();
                assert_eq!(alone, one.price, "price alone, kind {kind:?}");
            }
        }
    }
}
