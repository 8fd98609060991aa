//! The AMM's quote: Black-Scholes at a vol skewed by the vault's own inventory, plus a spread,
//! integrated over the trade so that splitting an order gains nothing.
//!
//! Per contract, along the trade (t from 0 to the size Q, the vault's position moving by
//! s = -Q for a trader buy and +Q for a sell):
//!
//! * inventory: V(t) = V0 + sign(s) t vega, G(t) = G0 + sign(s) t gamma, D(t) = D0 + sign(s) t delta
//!   (the vault's net vega, gamma and delta);
//! * skewed vol: sigma(t) = base (1 - k_vega V(t)/V_cap - k_gamma G(t)/G_cap), so a trade that
//!   pushes the vault further short vega or gamma raises the vol a buyer pays and a seller gets,
//!   and one that brings it back towards zero lowers it;
//! * spread (vol points, against the trader): w(t) = spread + spread_delta |D(t)|/D_cap +
//!   spread_expiry x (near - T)/near when T < near;
//! * price: mark + vega (sigma(t) +- w(t) - base) +- conf |delta| (the option priced linearly in
//!   vol around its mark at the base vol, so the integral is exact).
//!
//! The premium is the exact integral of that price over t: V and G enter linearly (the midpoint
//! rule is exact) and |D(t)| is integrated piecewise around its zero. So one trade of size 10
//! costs what ten trades of size 1 cost, to the rounding of each. Fees: a share of spot notional
//! and a share of premium, split into a protocol part and an LP part.

use crate::{Fx, Greeks, PricingError};

/// Governance's quoting parameters (all non-negative; caps positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteParams {
    /// Normaliser of the vault's net vega (quote per 1.00 vol).
    pub vega_cap: Fx,
    /// Normaliser of the vault's net gamma (per unit of underlying).
    pub gamma_cap: Fx,
    /// Normaliser of the vault's |net delta| (underlying units).
    pub delta_cap: Fx,
    /// Relative vol change per `vega_cap` of vault vega.
    pub skew_vega: Fx,
    /// Relative vol change per `gamma_cap` of vault gamma.
    pub skew_gamma: Fx,
    /// The skewed vol stays within base x (1 +- max_skew).
    pub max_skew: Fx,
    /// Base half-spread, vol points (0.01 = 1 vol point).
    pub spread_vol: Fx,
    /// Extra half-spread per `delta_cap` of |net delta| along the trade.
    pub spread_delta_vol: Fx,
    /// Extra half-spread at expiry, fading linearly to zero `near_expiry_secs` before it.
    pub spread_expiry_vol: Fx,
    pub near_expiry_secs: u64,
    /// Fee on spot notional, basis points.
    pub fee_spot_bps: u32,
    /// Fee on premium, basis points.
    pub fee_premium_bps: u32,
    /// Protocol's share of fees, basis points; the LPs get the rest.
    pub protocol_fee_share_bps: u32,
}

/// The vault's aggregate greeks (its own book: positive = long).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    pub net_delta: Fx,
    pub net_gamma: Fx,
    pub net_vega: Fx,
}

/// The trader's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

/// What a quote needs: the option's cached greeks at its base vol, the oracle, the trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteInputs {
    /// Price and greeks per contract (one whole unit of underlying) at `base_vol`.
    pub greeks: Greeks,
    pub base_vol: Fx,
    pub spot: Fx,
    /// Oracle confidence interval, quote per underlying.
    pub spot_conf: Fx,
    pub expiry_secs: u64,
    /// Contracts (whole units of underlying), positive.
    pub size: Fx,
    pub side: Side,
    pub inventory: Inventory,
}

/// A priced trade, in quote whole units (the program rounds to token units in the vault's
/// favour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    /// Premium for the whole size, before fees (>= 0).
    pub premium: Fx,
    /// Average vol used, spread included (premium = size x price at this vol, linearised).
    pub vol: Fx,
    pub fee_protocol: Fx,
    pub fee_lp: Fx,
    /// The vault's inventory after the trade.
    pub post: Inventory,
}

fn ovf() -> PricingError {
    PricingError::Overflow
}
fn mul(a: Fx, b: Fx) -> Result<Fx, PricingError> {
    a.checked_mul(b).ok_or_else(ovf)
}
fn div(a: Fx, b: Fx) -> Result<Fx, PricingError> {
    a.checked_div(b).ok_or_else(ovf)
}
fn add(a: Fx, b: Fx) -> Result<Fx, PricingError> {
    a.checked_add(b).ok_or_else(ovf)
}
fn sub(a: Fx, b: Fx) -> Result<Fx, PricingError> {
    a.checked_sub(b).ok_or_else(ovf)
}
fn bps(x: u32) -> Fx {
    Fx::from_num(x) / 10_000
}

/// Integral of |a + b t| for t in [0, q], exactly (piecewise around the root).
pub fn integral_abs_linear(a: Fx, b: Fx, q: Fx) -> Result<Fx, PricingError> {
    let end = add(a, mul(b, q)?)?;
    if b == 0 || (a >= 0) == (end >= 0) || a == 0 || end == 0 {
        // No sign change inside: trapezoid on a linear function is exact.
        return mul(q, add(a, end)?.abs() / 2);
    }
    // Root at t* = -a/b inside (0, q): two triangles.
    let t_star = div(-a, b)?;
    add(mul(a.abs(), t_star)? / 2, mul(end.abs(), sub(q, t_star)?)? / 2)
}

/// Prices a trade against the vault. Errors: a non-positive size or cap, arithmetic overflow.
pub fn quote(i: &QuoteInputs, p: &QuoteParams) -> Result<Quote, PricingError> {
    if i.size <= 0 || p.vega_cap <= 0 || p.gamma_cap <= 0 || p.delta_cap <= 0 {
        return Err(PricingError::InvalidQuoteInput);
    }
    let q = i.size;
    let g = &i.greeks;
    let inv = &i.inventory;
    // The vault's position moves against the trader: -q for a buy, +q for a sell.
    let (dir, s) = match i.side {
        Side::Buy => (Fx::ONE, -q),
        Side::Sell => (-Fx::ONE, q),
    };

    // Skewed vol at the midpoint inventory (exact average of a linear function).
    let mid_vega = add(inv.net_vega, mul(s, g.vega)? / 2)?;
    let mid_gamma = add(inv.net_gamma, mul(s, g.gamma)? / 2)?;
    let tilt = add(
        mul(p.skew_vega, div(mid_vega, p.vega_cap)?)?,
        mul(p.skew_gamma, div(mid_gamma, p.gamma_cap)?)?,
    )?;
    let tilt = tilt.clamp(-p.max_skew, p.max_skew);
    let skew_vol = mul(i.base_vol, sub(Fx::ONE, tilt)?)?;

    // Half-spread in vol: base, plus |net delta| averaged along the trade, plus near expiry.
    let delta_path = integral_abs_linear(inv.net_delta, mul(s.signum(), g.delta)?, q)?;
    let avg_abs_delta = div(delta_path, q)?;
    let mut spread = add(p.spread_vol, mul(p.spread_delta_vol, div(avg_abs_delta, p.delta_cap)?)?)?;
    if i.expiry_secs < p.near_expiry_secs {
        let left =
            Fx::from_num(p.near_expiry_secs - i.expiry_secs) / Fx::from_num(p.near_expiry_secs);
        spread = add(spread, mul(p.spread_expiry_vol, left)?)?;
    }
    let vol = add(skew_vol, mul(dir, spread)?)?;

    // Linear in vol around the mark, plus the oracle's uncertainty times |delta|.
    let per_contract = add(
        add(g.price, mul(g.vega, sub(vol, i.base_vol)?)?)?,
        mul(dir, mul(i.spot_conf, g.delta.abs())?)?,
    )?;
    let premium = mul(q, per_contract.max(Fx::ZERO))?;

    let fees =
        add(mul(mul(q, i.spot)?, bps(p.fee_spot_bps))?, mul(premium, bps(p.fee_premium_bps))?)?;
    let fee_protocol = mul(fees, bps(p.protocol_fee_share_bps))?;
    let fee_lp = sub(fees, fee_protocol)?;

    let post = Inventory {
        net_delta: add(inv.net_delta, mul(s, g.delta)?)?,
        net_gamma: add(inv.net_gamma, mul(s, g.gamma)?)?,
        net_vega: add(inv.net_vega, mul(s, g.vega)?)?,
    };
    Ok(Quote { premium, vol, fee_protocol, fee_lp, post })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{black_scholes, BsParams, OptionKind};

    fn fx(x: &str) -> Fx {
        x.parse().unwrap()
    }

    fn params() -> QuoteParams {
        QuoteParams {
            vega_cap: fx("1000"),
            gamma_cap: fx("10"),
            delta_cap: fx("100"),
            skew_vega: fx("0.2"),
            skew_gamma: fx("0.1"),
            max_skew: fx("0.5"),
            spread_vol: fx("0.005"),
            spread_delta_vol: fx("0.01"),
            spread_expiry_vol: fx("0.02"),
            near_expiry_secs: 86_400,
            fee_spot_bps: 3,
            fee_premium_bps: 100,
            protocol_fee_share_bps: 2_000,
        }
    }

    fn inputs(kind: OptionKind, side: Side, size: &str, inventory: Inventory) -> QuoteInputs {
        let p = BsParams {
            spot: fx("150"),
            strike: fx("160"),
            vol: fx("0.8"),
            rate: fx("0.05"),
            expiry_secs: 14 * 86_400,
        };
        QuoteInputs {
            greeks: black_scholes(kind, &p).unwrap(),
            base_vol: p.vol,
            spot: p.spot,
            spot_conf: fx("0.05"),
            expiry_secs: p.expiry_secs,
            size: fx(size),
            side,
            inventory,
        }
    }

    fn flat() -> Inventory {
        Inventory::default()
    }

    #[test]
    fn one_trade_of_ten_costs_what_ten_trades_of_one_cost() {
        let start = Inventory { net_delta: fx("3"), net_gamma: fx("-0.5"), net_vega: fx("-40") };
        for kind in [OptionKind::Call, OptionKind::Put] {
            for side in [Side::Buy, Side::Sell] {
                let whole = quote(&inputs(kind, side, "10", start), &params()).unwrap();
                let mut inv = start;
                let (mut premium, mut fees) = (Fx::ZERO, Fx::ZERO);
                for _ in 0..10 {
                    let piece = quote(&inputs(kind, side, "1", inv), &params()).unwrap();
                    premium += piece.premium;
                    fees += piece.fee_protocol + piece.fee_lp;
                    inv = piece.post;
                }
                let tol = fx("0.000000000001");
                assert!(
                    (premium - whole.premium).abs() < tol,
                    "{kind:?} {side:?}: {premium} vs {}",
                    whole.premium
                );
                assert!(
                    (fees - whole.fee_protocol - whole.fee_lp).abs() < tol,
                    "{kind:?} {side:?} fees"
                );
                assert_eq!(inv.net_vega, whole.post.net_vega);
                assert!((inv.net_delta - whole.post.net_delta).abs() < tol);
            }
        }
    }

    #[test]
    fn splitting_across_a_delta_sign_change_gains_nothing() {
        // The vault's delta crosses zero during the trade: the |D| integral is split at the root.
        let start = Inventory { net_delta: fx("-2"), ..flat() };
        let whole = quote(&inputs(OptionKind::Call, Side::Sell, "12", start), &params()).unwrap();
        let mut inv = start;
        let mut premium = Fx::ZERO;
        for _ in 0..12 {
            let piece = quote(&inputs(OptionKind::Call, Side::Sell, "1", inv), &params()).unwrap();
            premium += piece.premium;
            inv = piece.post;
        }
        assert!((premium - whole.premium).abs() < fx("0.000000000001"));
    }

    #[test]
    fn adding_risk_pays_more_than_reducing_it_for_all_four_trade_kinds() {
        // Vault short vega and gamma: a trader buying adds to that risk, one selling reduces it.
        let short = Inventory { net_delta: Fx::ZERO, net_gamma: fx("-2"), net_vega: fx("-300") };
        let long = Inventory { net_delta: Fx::ZERO, net_gamma: fx("2"), net_vega: fx("300") };
        for kind in [OptionKind::Call, OptionKind::Put] {
            let buy_into_short = quote(&inputs(kind, Side::Buy, "1", short), &params()).unwrap();
            let buy_into_long = quote(&inputs(kind, Side::Buy, "1", long), &params()).unwrap();
            let flat_buy = quote(&inputs(kind, Side::Buy, "1", flat()), &params()).unwrap();
            assert!(
                buy_into_short.premium > flat_buy.premium,
                "{kind:?}: buying from a short vault costs more"
            );
            assert!(
                buy_into_long.premium < flat_buy.premium,
                "{kind:?}: buying from a long vault costs less"
            );
            let sell_into_long = quote(&inputs(kind, Side::Sell, "1", long), &params()).unwrap();
            let sell_into_short = quote(&inputs(kind, Side::Sell, "1", short), &params()).unwrap();
            let flat_sell = quote(&inputs(kind, Side::Sell, "1", flat()), &params()).unwrap();
            assert!(
                sell_into_long.premium < flat_sell.premium,
                "{kind:?}: selling to a long vault earns less"
            );
            assert!(
                sell_into_short.premium > flat_sell.premium,
                "{kind:?}: selling to a short vault earns more"
            );
            // Counter-flow is cheaper than the same trade adding risk.
            assert!(buy_into_long.premium < buy_into_short.premium);
            assert!(sell_into_short.premium > sell_into_long.premium);
            // The vol moves the right way too.
            assert!(buy_into_short.vol > flat_buy.vol && buy_into_long.vol < flat_buy.vol);
        }
    }

    #[test]
    fn bigger_trades_move_the_average_price_against_the_trader() {
        let one = quote(&inputs(OptionKind::Call, Side::Buy, "1", flat()), &params()).unwrap();
        let fifty = quote(&inputs(OptionKind::Call, Side::Buy, "50", flat()), &params()).unwrap();
        assert!(fifty.premium / 50 > one.premium);
        let one = quote(&inputs(OptionKind::Put, Side::Sell, "1", flat()), &params()).unwrap();
        let fifty = quote(&inputs(OptionKind::Put, Side::Sell, "50", flat()), &params()).unwrap();
        assert!(fifty.premium / 50 < one.premium);
    }

    #[test]
    fn spread_widens_with_net_delta_oracle_confidence_and_near_expiry() {
        let base = inputs(OptionKind::Call, Side::Buy, "1", flat());
        let q0 = quote(&base, &params()).unwrap();
        let delta_heavy =
            QuoteInputs { inventory: Inventory { net_delta: fx("-80"), ..flat() }, ..base };
        assert!(quote(&delta_heavy, &params()).unwrap().premium > q0.premium);
        let unsure = QuoteInputs { spot_conf: fx("1.5"), ..base };
        assert!(quote(&unsure, &params()).unwrap().premium > q0.premium);
        let mut near = base;
        near.expiry_secs = 3_600;
        let mut far_params = params();
        far_params.near_expiry_secs = 1;
        let near_q = quote(&near, &params()).unwrap();
        let same_t_no_widening = quote(&near, &far_params).unwrap();
        assert!(near_q.vol > same_t_no_widening.vol);
    }

    #[test]
    fn fees_split_between_protocol_and_lps() {
        let q = quote(&inputs(OptionKind::Put, Side::Buy, "4", flat()), &params()).unwrap();
        let total = q.fee_protocol + q.fee_lp;
        let expected = fx("4") * fx("150") * 3 / 10_000 + q.premium / 100;
        assert!((total - expected).abs() < fx("0.000000000001"));
        assert!((q.fee_protocol - total / 5).abs() < fx("0.000000000001"));
    }

    #[test]
    fn absolute_delta_integral_is_exact() {
        assert_eq!(integral_abs_linear(fx("2"), fx("-1"), fx("4")).unwrap(), fx("4")); // 2 + 2
        assert_eq!(integral_abs_linear(fx("1"), fx("1"), fx("2")).unwrap(), fx("4"));
        assert_eq!(integral_abs_linear(fx("-3"), Fx::ZERO, fx("2")).unwrap(), fx("6"));
    }

    #[test]
    fn bad_sizes_and_caps_are_refused() {
        assert!(quote(&inputs(OptionKind::Call, Side::Buy, "0", flat()), &params()).is_err());
        assert!(quote(&inputs(OptionKind::Call, Side::Buy, "-1", flat()), &params()).is_err());
        let mut p = params();
        p.vega_cap = Fx::ZERO;
        assert!(quote(&inputs(OptionKind::Call, Side::Buy, "1", flat()), &p).is_err());
    }
}
