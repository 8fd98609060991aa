//! The AMM's quote: the option's mark (Black-Scholes at its base vol), plus the change of one
//! inventory potential of the vault's aggregate greeks, plus a spread that is never negative.
//!
//! A trade of Q contracts moves the vault's inventory (net delta D, gamma G, vega V; + = long)
//! from I0 to I1 = I0 + s g, where g holds the option's greeks and s = -Q for a trader buy, +Q
//! for a sell. What the trader pays the vault (negative: what it receives) is
//!
//!   flow = dir x Q x mark + [Phi(I1) - Phi(I0)] + spread,   dir = +1 buy, -1 sell,
//!
//! with the potential (quote units, convex, zero at a flat inventory)
//!
//!   Phi(D, G, V) = k_v V_cap h(V / V_cap) + k_g S^2 G_cap h(G / G_cap) + k_d S D_cap h(D / D_cap),
//!
//! h(x) = x^2 / 2 for |x| <= m and m |x| - m^2 / 2 beyond (a Huber function: the charge per unit
//! of inventory grows linearly up to m caps and stays at its value there beyond), and
//!
//!   spread = |vega| (w Q + w_d / D_cap x integral of |D| where it rises along the trade)
//!            + Q conf |delta|,
//!
//! w the base half-spread plus the near-expiry widening, w_d the half-spread per delta cap,
//! charged only on the part of the trade that moves |D| away from zero: counter-flow pays no
//! delta term, so with the potential's delta term the mid shifts to pay it.
//!
//! Why a potential: every trade's inventory charge is the change of one function of the
//! market's state, so any closed sequence of trades (across series, boards and kinds) that
//! returns the inventory to where it started pays exactly the sum of its spreads and fees, and
//! the mark terms cancel at one price and time: no closed loop gains. Splitting an order visits
//! the same end state, so it pays the same charge; the delta spread is an exact integral along
//! a straight path, so it splits exactly too. A trade that moves the vault further from flat
//! raises Phi and pays more; one that brings it back lowers Phi and is paid (counter-flow).
//! A buy never costs less than zero (the vault keeps the difference) and a sale that would
//! receive less than zero is refused ([`PricingError::NoBid`]): both only ever favour the vault.

use crate::{Fx, Greeks, PricingError};

/// Governance's quoting parameters (all non-negative; caps and saturation positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteParams {
    /// Normaliser of the vault's net vega (quote per 1.00 vol).
    pub vega_cap: Fx,
    /// Normaliser of the vault's net gamma (per unit of underlying).
    pub gamma_cap: Fx,
    /// Normaliser of the vault's net delta (underlying units).
    pub delta_cap: Fx,
    /// Potential: the charge per unit of vega traded when the vault holds one vega cap, in vol
    /// (0.16 = 16 vol points).
    pub skew_vega: Fx,
    /// Potential: the charge per unit of gamma traded at one gamma cap, a multiple of spot^2.
    pub skew_gamma: Fx,
    /// Potential: the charge per unit of delta traded at one delta cap, a multiple of spot.
    pub skew_delta: Fx,
    /// Caps of inventory beyond which the potential grows linearly (its slope stays bounded).
    pub saturation: Fx,
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

/// What a quote needs: the option's greeks at its base vol, the oracle, the trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteInputs {
    /// Price and greeks per contract (one whole unit of underlying) at its base vol.
    pub greeks: Greeks,
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
    /// What the trader pays (buy) or receives (sell) for the whole size, before fees (>= 0).
    pub premium: Fx,
    /// The change of the inventory potential, Phi(after) - Phi(before) (+ = the trade adds
    /// risk and pays for it).
    pub inventory_charge: Fx,
    /// The spread charged, always >= 0.
    pub spread: Fx,
    pub fee_protocol: Fx,
    pub fee_lp: Fx,
    /// The vault's inventory after the trade.
    pub post: Inventory,
}

fn ovf() -> PricingError {
    PricingError::Overflow
}
fn mul(a: Fx, b: Fx) -> Result<Fx, PricingError> {
    checked_mul(a, b).ok_or_else(ovf)
}

/// `a.checked_mul(b)`, bit for bit, cheaper on SBF when both integer parts fit 31 bits (every
/// quote input in practice). The product's bits are floor(A B / 2^64) for the bits A and B;
/// with A = ah 2^64 + al and B = bh 2^64 + bl (ah, bh signed, al, bl unsigned) that is
/// ah bh 2^64 + ah bl + al bh + floor(al bl / 2^64). With ah and bh under 2^31 in magnitude,
/// and al, bl split into 32-bit halves, every partial product is one native 64-bit multiply
/// (SBF has no 64x64->128 multiply: the crate's wide product costs about 240 CU), and the sum
/// stays below 2^127 in magnitude. Anything larger goes to the fixed-point crate's product.
pub fn checked_mul(a: Fx, b: Fx) -> Option<Fx> {
    let (x, y) = (a.to_bits(), b.to_bits());
    let (xh, yh) = ((x >> 64) as i64, (y >> 64) as i64);
    const SMALL: i64 = 1 << 31;
    if !(-SMALL..SMALL).contains(&xh) || !(-SMALL..SMALL).contains(&yh) {
        return a.checked_mul(b);
    }
    const HALF: u64 = 0xffff_ffff;
    let (xl, yl) = (x as u64, y as u64);
    let (x1, x0, y1, y0) = (xl >> 32, xl & HALF, yl >> 32, yl & HALF);
    // floor(al bl / 2^64) from the four 32 x 32 products (each below 2^64; the sums fit).
    let (p00, p01, p10, p11) = (x0 * y0, x0 * y1, x1 * y0, x1 * y1);
    let carry = ((p00 >> 32) + (p01 & HALF) + (p10 & HALF)) >> 32;
    let low = p11 + (p01 >> 32) + (p10 >> 32) + carry;
    // A signed integer part (under 2^31) times a fraction's halves: under 2^63 each.
    let cross =
        |h: i64, l1: u64, l0: u64| (i128::from(h * l1 as i64) << 32) + i128::from(h * l0 as i64);
    let high = i128::from(xh * yh) << 64;
    Some(Fx::from_bits(high + cross(xh, y1, y0) + cross(yh, x1, x0) + i128::from(low)))
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
fn abs(a: Fx) -> Result<Fx, PricingError> {
    a.checked_abs().ok_or_else(ovf)
}
fn bps(x: u32) -> Fx {
    Fx::from_num(x) / 10_000
}

/// `1 / c` rounded toward zero, as `Fx::ONE.checked_div(c)` (None for a non-positive `c`, or
/// one so small that the reciprocal does not fit), from one 128-bit integer division instead
/// of the fixed-point crate's wide one: about 1,100 CU less on SBF for each of the quote's
/// three normalisers. With `C` the bits of `c`, the result's bits are floor(2^128 / C):
/// floor((2^128 - 1) / C), plus one when C divides 2^128.
pub fn reciprocal(c: Fx) -> Option<Fx> {
    let bits = c.to_bits();
    if bits <= 2 {
        // 2^128 / C >= 2^127 does not fit; zero and negatives have no positive reciprocal here.
        return if bits <= 0 { Fx::ONE.checked_div(c) } else { None };
    }
    let divisor = bits as u128;
    let (q, r) = (u128::MAX / divisor, u128::MAX % divisor);
    let q = if r == divisor - 1 { q + 1 } else { q };
    i128::try_from(q).ok().map(Fx::from_bits)
}

/// Integral of |a + b t| for t in [0, q], exactly (piecewise around the root).
pub fn integral_abs_linear(a: Fx, b: Fx, q: Fx) -> Result<Fx, PricingError> {
    let end = add(a, mul(b, q)?)?;
    if b == 0 || (a >= 0) == (end >= 0) || a == 0 || end == 0 {
        // No sign change inside: trapezoid on a linear function is exact.
        return mul(q, abs(add(a, end)?)? / 2);
    }
    // Root at t* = -a/b inside (0, q): two triangles.
    let t_star = div(-a, b)?;
    add(mul(abs(a)?, t_star)? / 2, mul(abs(end)?, sub(q, t_star)?)? / 2)
}

/// Integral of |a + b t| for t in [0, q] over the part where |a + b t| rises (where the line
/// moves away from zero): exact, zero when it only falls towards zero.
pub fn integral_abs_linear_rising(a: Fx, b: Fx, q: Fx) -> Result<Fx, PricingError> {
    let end = add(a, mul(b, q)?)?;
    // |D| rises where D has the sign of b: nowhere if the line ends on the other side of zero.
    if b == 0 || (b > 0 && end <= 0) || (b < 0 && end >= 0) {
        return Ok(Fx::ZERO);
    }
    if a == 0 || (a > 0) == (b > 0) {
        // Rising all the way: the trapezoid is exact.
        return mul(q, abs(add(a, end)?)? / 2);
    }
    // Falling to the root t* = -a/b, rising after it: one triangle.
    let t_star = div(-a, b)?;
    Ok(mul(abs(end)?, sub(q, t_star)?)? / 2)
}

/// The Huber function: x^2 / 2 for |x| <= m, m |x| - m^2 / 2 beyond. Convex, even, zero at
/// zero, with a continuous slope bounded by m.
pub fn huber(x: Fx, m: Fx) -> Result<Fx, PricingError> {
    let ax = abs(x)?;
    if ax <= m {
        Ok(mul(ax, ax)? / 2)
    } else {
        sub(mul(m, ax)?, mul(m, m)? / 2)
    }
}

/// One greek's term of the potential, scale x cap x h(x / cap), with `inv_cap` = 1 / cap (a
/// multiplication instead of a division: the quote evaluates six terms).
fn term(x: Fx, cap: Fx, inv_cap: Fx, scale: Fx, m: Fx) -> Result<Fx, PricingError> {
    if scale == 0 {
        return Ok(Fx::ZERO);
    }
    mul(mul(scale, cap)?, huber(mul(x, inv_cap)?, m)?)
}

/// The reciprocals of the three caps, and the potential's scales at `spot`.
struct Normalisers {
    inv: [Fx; 3],
    scale: [Fx; 3],
}

impl Normalisers {
    fn new(spot: Fx, p: &QuoteParams) -> Result<Self, PricingError> {
        check_params(p)?;
        let inv = |c: Fx| reciprocal(c).ok_or_else(ovf);
        Ok(Normalisers {
            inv: [inv(p.delta_cap)?, inv(p.gamma_cap)?, inv(p.vega_cap)?],
            scale: [mul(p.skew_delta, spot)?, mul(p.skew_gamma, mul(spot, spot)?)?, p.skew_vega],
        })
    }

    fn potential(&self, inv: &Inventory, p: &QuoteParams) -> Result<Fx, PricingError> {
        let m = p.saturation;
        let d = term(inv.net_delta, p.delta_cap, self.inv[0], self.scale[0], m)?;
        let g = term(inv.net_gamma, p.gamma_cap, self.inv[1], self.scale[1], m)?;
        let v = term(inv.net_vega, p.vega_cap, self.inv[2], self.scale[2], m)?;
        add(add(v, g)?, d)
    }
}

/// The inventory potential Phi of the vault's aggregate greeks at `spot`, quote whole units.
pub fn potential(inv: &Inventory, spot: Fx, p: &QuoteParams) -> Result<Fx, PricingError> {
    Normalisers::new(spot, p)?.potential(inv, p)
}

fn check_params(p: &QuoteParams) -> Result<(), PricingError> {
    let caps = p.vega_cap > 0 && p.gamma_cap > 0 && p.delta_cap > 0 && p.saturation > 0;
    let scales = p.skew_vega >= 0 && p.skew_gamma >= 0 && p.skew_delta >= 0;
    let spreads = p.spread_vol >= 0 && p.spread_delta_vol >= 0 && p.spread_expiry_vol >= 0;
    if caps && scales && spreads {
        Ok(())
    } else {
        Err(PricingError::InvalidQuoteInput)
    }
}

/// Prices a trade against the vault. Errors: a non-positive size, cap or saturation, a
/// negative scale or spread, a sale that would receive less than nothing (`NoBid`), arithmetic
/// overflow.
pub fn quote(i: &QuoteInputs, p: &QuoteParams) -> Result<Quote, PricingError> {
    if i.size <= 0 {
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
    let post = Inventory {
        net_delta: add(inv.net_delta, mul(s, g.delta)?)?,
        net_gamma: add(inv.net_gamma, mul(s, g.gamma)?)?,
        net_vega: add(inv.net_vega, mul(s, g.vega)?)?,
    };
    let n = Normalisers::new(i.spot, p)?;
    let inventory_charge = sub(n.potential(&post, p)?, n.potential(inv, p)?)?;

    // Half-spread in vol, applied to |vega| (a capped call's vega can be negative): the base,
    // near expiry a widening, and |net delta| integrated exactly along the part of the trade
    // that moves it away from zero: a trade that brings the vault's delta back pays no delta
    // term (with the potential's delta term, the mid moves to pay counter-flow), one that
    // pushes it out pays it on the way out.
    let mut w = p.spread_vol;
    if i.expiry_secs < p.near_expiry_secs {
        let left =
            Fx::from_num(p.near_expiry_secs - i.expiry_secs) / Fx::from_num(p.near_expiry_secs);
        w = add(w, mul(p.spread_expiry_vol, left)?)?;
    }
    let delta_path = integral_abs_linear_rising(inv.net_delta, mul(s.signum(), g.delta)?, q)?;
    let vol_points = add(mul(w, q)?, mul(p.spread_delta_vol, mul(delta_path, n.inv[0])?)?)?;
    let spread = add(mul(abs(g.vega)?, vol_points)?, mul(q, mul(i.spot_conf, abs(g.delta)?)?)?)?;

    let flow = add(add(mul(dir, mul(q, g.price)?)?, inventory_charge)?, spread)?;
    let premium = match i.side {
        // A buy never costs less than nothing: the vault keeps the difference.
        Side::Buy => flow.max(Fx::ZERO),
        Side::Sell if flow > 0 => return Err(PricingError::NoBid),
        Side::Sell => -flow,
    };

    let fees =
        add(mul(mul(q, i.spot)?, bps(p.fee_spot_bps))?, mul(premium, bps(p.fee_premium_bps))?)?;
    let fee_protocol = mul(fees, bps(p.protocol_fee_share_bps))?;
    let fee_lp = sub(fees, fee_protocol)?;
    Ok(Quote { premium, inventory_charge, spread, fee_protocol, fee_lp, post })
}

#[cfg(test)]
#[allow(clippy::float_arithmetic)] // the f64 oracle the fixed-point potential is checked against
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
            skew_vega: fx("0.16"),
            skew_gamma: fx("0.0024"),
            skew_delta: fx("0.002"),
            saturation: fx("2"),
            spread_vol: fx("0.005"),
            spread_delta_vol: fx("0.01"),
            spread_expiry_vol: fx("0.02"),
            near_expiry_secs: 86_400,
            fee_spot_bps: 3,
            fee_premium_bps: 100,
            protocol_fee_share_bps: 2_000,
        }
    }

    fn greeks(kind: OptionKind, strike: &str, vol: &str, secs: u64) -> Greeks {
        let p = BsParams {
            spot: fx("150"),
            strike: fx(strike),
            vol: fx(vol),
            rate: fx("0.05"),
            expiry_secs: secs,
        };
        black_scholes(kind, &p).unwrap()
    }

    fn inputs(kind: OptionKind, side: Side, size: &str, inventory: Inventory) -> QuoteInputs {
        QuoteInputs {
            greeks: greeks(kind, "160", "0.8", 14 * 86_400),
            spot: fx("150"),
            spot_conf: fx("0.05"),
            expiry_secs: 14 * 86_400,
            size: fx(size),
            side,
            inventory,
        }
    }

    fn flat() -> Inventory {
        Inventory::default()
    }

    /// The potential in f64, written from the formula in the module docs (an independent
    /// oracle for the fixed-point code).
    fn phi_f64(d: f64, g: f64, v: f64, spot: f64) -> f64 {
        let h = |x: f64, m: f64| if x.abs() <= m { x * x / 2.0 } else { m * x.abs() - m * m / 2.0 };
        let m = 2.0;
        0.16 * 1000.0 * h(v / 1000.0, m)
            + 0.0024 * spot * spot * 10.0 * h(g / 10.0, m)
            + 0.002 * spot * 100.0 * h(d / 100.0, m)
    }

    #[test]
    fn the_inventory_charge_is_the_change_of_the_potential_computed_in_f64() {
        let starts = [
            Inventory { net_delta: fx("3"), net_gamma: fx("-0.5"), net_vega: fx("-40") },
            Inventory { net_delta: fx("-250"), net_gamma: fx("31"), net_vega: fx("2600") },
            flat(),
        ];
        for start in starts {
            for (kind, side, size) in
                [(OptionKind::Call, Side::Buy, "7"), (OptionKind::Put, Side::Sell, "300")]
            {
                let i = inputs(kind, side, size, start);
                let q = quote(&i, &params()).unwrap();
                let f = |x: Fx| x.to_num::<f64>();
                let before =
                    phi_f64(f(start.net_delta), f(start.net_gamma), f(start.net_vega), 150.0);
                let after =
                    phi_f64(f(q.post.net_delta), f(q.post.net_gamma), f(q.post.net_vega), 150.0);
                let want = after - before;
                let got = f(q.inventory_charge);
                assert!((got - want).abs() < 1e-9 * (1.0 + want.abs()), "{got} vs {want}");
                // The premium is the mark plus or minus charge and spread (f64 sum).
                let g = i.greeks;
                let qn: f64 = size.parse().unwrap();
                let dir = if side == Side::Buy { 1.0 } else { -1.0 };
                let flow = dir * qn * f(g.price) + want + f(q.spread);
                let premium = if side == Side::Buy { flow.max(0.0) } else { -flow };
                assert!((f(q.premium) - premium).abs() < 1e-9 * (1.0 + premium.abs()));
            }
        }
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
                "{kind:?}: short vault charges more"
            );
            assert!(buy_into_long.premium < flat_buy.premium, "{kind:?}: long vault charges less");
            let sell_into_long = quote(&inputs(kind, Side::Sell, "1", long), &params()).unwrap();
            let sell_into_short = quote(&inputs(kind, Side::Sell, "1", short), &params()).unwrap();
            let flat_sell = quote(&inputs(kind, Side::Sell, "1", flat()), &params()).unwrap();
            assert!(sell_into_long.premium < flat_sell.premium, "{kind:?}: long vault pays less");
            assert!(sell_into_short.premium > flat_sell.premium, "{kind:?}: short vault pays more");
            assert!(buy_into_short.inventory_charge > 0 && buy_into_long.inventory_charge < 0);
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
    fn the_potential_saturates_so_its_slope_is_bounded() {
        // Beyond `saturation` caps the charge per unit of vega stays k_v x m: 0.16 x 2 = 0.32.
        let deep = Inventory { net_vega: fx("-50000"), ..flat() };
        let deeper = Inventory { net_vega: fx("-50100"), ..flat() };
        let d = potential(&deeper, fx("150"), &params()).unwrap()
            - potential(&deep, fx("150"), &params()).unwrap();
        assert!((d - fx("32")).abs() < fx("0.000000000001"), "{d}"); // 100 vega x 0.32
        assert_eq!(huber(fx("1.5"), fx("2")).unwrap(), fx("1.125"));
        assert_eq!(huber(fx("-3"), fx("2")).unwrap(), fx("4")); // 2 x 3 - 2
    }

    #[test]
    fn spread_widens_with_net_delta_oracle_confidence_and_near_expiry() {
        let base = inputs(OptionKind::Call, Side::Buy, "1", flat());
        let q0 = quote(&base, &params()).unwrap();
        // A vault short delta: a call buy pushes it further out, so compare spreads.
        let delta_heavy =
            QuoteInputs { inventory: Inventory { net_delta: fx("-80"), ..flat() }, ..base };
        assert!(quote(&delta_heavy, &params()).unwrap().spread > q0.spread);
        // A vault long delta: the call buy brings it back, so no delta term at all (the spread
        // equals the one with the delta term off), less than from flat (which moves it out).
        let counter =
            QuoteInputs { inventory: Inventory { net_delta: fx("80"), ..flat() }, ..base };
        let mut no_delta_term = params();
        no_delta_term.spread_delta_vol = Fx::ZERO;
        let c = quote(&counter, &params()).unwrap();
        assert_eq!(c.spread, quote(&counter, &no_delta_term).unwrap().spread);
        assert!(c.spread < q0.spread);
        let unsure = QuoteInputs { spot_conf: fx("1.5"), ..base };
        assert!(quote(&unsure, &params()).unwrap().premium > q0.premium);
        let near = QuoteInputs { expiry_secs: 3_600, ..base };
        let mut far_params = params();
        far_params.near_expiry_secs = 1;
        let near_q = quote(&near, &params()).unwrap();
        let same_t_no_widening = quote(&near, &far_params).unwrap();
        assert!(near_q.spread > same_t_no_widening.spread);
    }

    #[test]
    fn a_sale_worth_less_than_nothing_is_refused_and_a_buy_costs_at_least_nothing() {
        // A far out-of-the-money put sold into a vault already deep long vega: the counter-risk
        // charge exceeds the mark.
        let long = Inventory { net_vega: fx("5000"), ..flat() };
        let mut i = inputs(OptionKind::Put, Side::Sell, "10", long);
        i.greeks = greeks(OptionKind::Put, "110", "0.8", 14 * 86_400);
        assert_eq!(quote(&i, &params()), Err(PricingError::NoBid));
        // The same put bought reduces that long inventory: the charge (0.32 vol x vega) exceeds
        // the mark, and the buyer pays zero rather than being paid.
        i.side = Side::Buy;
        i.size = Fx::ONE;
        let q = quote(&i, &params()).unwrap();
        assert!(q.inventory_charge + i.greeks.price < 0, "the formula would pay the buyer");
        assert_eq!(q.premium, Fx::ZERO);
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
        // Only where |D| rises: 2 - t falls to 0 at t = 2 then rises to 2 at t = 4: 2.
        assert_eq!(integral_abs_linear_rising(fx("2"), fx("-1"), fx("4")).unwrap(), fx("2"));
        assert_eq!(integral_abs_linear_rising(fx("1"), fx("1"), fx("2")).unwrap(), fx("4"));
        assert_eq!(integral_abs_linear_rising(fx("3"), fx("-1"), fx("2")).unwrap(), Fx::ZERO);
        assert_eq!(integral_abs_linear_rising(fx("-3"), fx("1"), fx("2")).unwrap(), Fx::ZERO);
        assert_eq!(integral_abs_linear_rising(fx("-3"), Fx::ZERO, fx("2")).unwrap(), Fx::ZERO);
        assert_eq!(integral_abs_linear_rising(fx("-1"), fx("-1"), fx("2")).unwrap(), fx("4"));
    }

    #[test]
    fn bad_sizes_caps_and_scales_are_refused() {
        assert!(quote(&inputs(OptionKind::Call, Side::Buy, "0", flat()), &params()).is_err());
        assert!(quote(&inputs(OptionKind::Call, Side::Buy, "-1", flat()), &params()).is_err());
        for change in [
            |p: &mut QuoteParams| p.vega_cap = Fx::ZERO,
            |p: &mut QuoteParams| p.saturation = Fx::ZERO,
            |p: &mut QuoteParams| p.skew_gamma = -Fx::ONE,
            |p: &mut QuoteParams| p.spread_vol = -Fx::ONE,
        ] {
            let mut p = params();
            change(&mut p);
            let got = quote(&inputs(OptionKind::Call, Side::Buy, "1", flat()), &p);
            assert_eq!(got, Err(PricingError::InvalidQuoteInput));
        }
    }

    #[test]
    fn the_product_is_the_fixed_point_product_at_its_edges() {
        let edges: Vec<i128> = [0i128, 1, -1, 2, -2, i128::MAX, i128::MIN, i128::MIN + 1]
            .into_iter()
            .chain((0..127).flat_map(|k| {
                let p = 1i128 << k;
                [p, -p, p - 1, -(p - 1), p + 1, -(p + 1)]
            }))
            .collect();
        for &a in &edges {
            for &b in &edges {
                let (x, y) = (Fx::from_bits(a), Fx::from_bits(b));
                assert_eq!(checked_mul(x, y), x.checked_mul(y), "{a} x {b}");
            }
        }
    }

    #[test]
    fn the_reciprocal_is_the_fixed_point_division_at_its_edges() {
        let bits = |b: i128| Fx::from_bits(b);
        for b in [
            i128::MIN,
            -(1 << 64),
            -3,
            -1,
            0,
            1,
            2,
            3,
            4,
            5,
            1 << 63,
            (1 << 64) - 1,
            1 << 64,
            (1 << 64) + 1,
            3 << 63,
            1 << 100,
            (1 << 126) + 12_345,
            i128::MAX - 1,
            i128::MAX,
        ] {
            assert_eq!(reciprocal(bits(b)), Fx::ONE.checked_div(bits(b)), "bits {b}");
        }
        // Every power of two (C divides 2^128: the quotient's extra one).
        for k in 0..127 {
            assert_eq!(reciprocal(bits(1 << k)), Fx::ONE.checked_div(bits(1 << k)), "2^{k}");
        }
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

            /// Any bits at all, and values around the fast path's edge (integer parts near
            /// 2^31): the same product (or the same refusal) as the fixed-point crate's.
            #[test]
            fn the_product_equals_the_fixed_point_product(
                a in any::<i128>(), b in any::<i128>(), sa in 0u32..127, sb in 0u32..127,
                neg in any::<(bool, bool)>()) {
                let (x, y) = (Fx::from_bits(a), Fx::from_bits(b));
                prop_assert_eq!(checked_mul(x, y), x.checked_mul(y));
                let near = |bits: i128, shift: u32, n: bool| {
                    let v = (1i128 << shift).wrapping_add(bits % 1_000_003);
                    Fx::from_bits(if n { v.wrapping_neg() } else { v })
                };
                let (x, y) = (near(a, sa, neg.0), near(b, sb, neg.1));
                prop_assert_eq!(checked_mul(x, y), x.checked_mul(y));
                let (x, y) = (Fx::from_bits(a >> (sa % 64)), Fx::from_bits(b >> (sb % 64 + 32)));
                prop_assert_eq!(checked_mul(x, y), x.checked_mul(y));
            }

            /// Any bits at all, and caps as the program sets them (micro units from 0.001 up):
            /// the same value (or the same refusal) as the fixed-point crate's division.
            #[test]
            fn the_reciprocal_equals_the_fixed_point_division(
                b in any::<i128>(), micro in 1_000u64..(i64::MAX as u64), shift in 0u32..127) {
                let c = Fx::from_bits(b);
                prop_assert_eq!(reciprocal(c), Fx::ONE.checked_div(c));
                let cap = Fx::from_num(micro) / 1_000_000;
                prop_assert_eq!(reciprocal(cap), Fx::ONE.checked_div(cap));
                let near = Fx::from_bits((1i128 << shift).saturating_add(b % 7));
                prop_assert_eq!(reciprocal(near), Fx::ONE.checked_div(near));
            }
        }

        fn leg() -> impl Strategy<Value = (bool, u32, u32, u32, bool, u32)> {
            // (call?, strike 60..300, vol 5%..300%, days 1..400, buy?, size in hundredths)
            (any::<bool>(), 60u32..300, 5u32..300, 1u32..400, any::<bool>(), 1u32..5_000)
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

            /// Any closed loop: 2-4 legs over series of different strikes, kinds, base vols and
            /// expiries, each opened then closed (in reverse or in the same order), from any
            /// inventory, at one price and time: the trader never ends with more cash.
            #[test]
            fn no_closed_loop_of_trades_gains(
                legs in proptest::collection::vec(leg(), 2..5),
                d0 in -3_000i32..3_000, g0 in -300i32..300, v0 in -40_000i32..40_000,
                reverse in any::<bool>()) {
                let p = params();
                let mut inv = Inventory {
                    net_delta: Fx::from_num(d0) / 10,
                    net_gamma: Fx::from_num(g0) / 10,
                    net_vega: Fx::from_num(v0),
                };
                let mut cash = Fx::ZERO;
                let trade = |inv: &mut Inventory, l: &(bool, u32, u32, u32, bool, u32), open: bool| {
                    let kind = if l.0 { OptionKind::Call } else { OptionKind::Put };
                    let side = if l.4 == open { Side::Buy } else { Side::Sell };
                    let bs = BsParams {
                        spot: fx("150"),
                        strike: Fx::from_num(l.1),
                        vol: Fx::from_num(l.2) / 100,
                        rate: fx("0.05"),
                        expiry_secs: l.3 as u64 * 86_400,
                    };
                    let i = QuoteInputs {
                        greeks: black_scholes(kind, &bs).unwrap(),
                        spot: fx("150"),
                        spot_conf: fx("0.05"),
                        expiry_secs: bs.expiry_secs,
                        size: Fx::from_num(l.5) / 100,
                        side,
                        inventory: *inv,
                    };
                    // A refused sale ends the loop early: the trader cannot close; skip it.
                    let Ok(q) = quote(&i, &p) else { return None };
                    *inv = q.post;
                    let fees = q.fee_protocol + q.fee_lp;
                    Some(if side == Side::Buy { -(q.premium + fees) } else { q.premium - fees })
                };
                let mut opened = Vec::new();
                for l in &legs {
                    if let Some(c) = trade(&mut inv, l, true) {
                        cash += c;
                        opened.push(*l);
                    }
                }
                if reverse {
                    opened.reverse();
                }
                let mut closed_all = true;
                for l in &opened {
                    match trade(&mut inv, l, false) {
                        Some(c) => cash += c,
                        None => closed_all = false,
                    }
                }
                if closed_all {
                    // Fixed-point rounding of the potential's terms: far below a token unit.
                    prop_assert!(cash <= fx("0.000000001"), "a closed loop gained {}", cash);
                }
            }
        }
    }
}
