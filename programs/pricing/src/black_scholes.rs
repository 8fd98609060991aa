//! Black-Scholes price and greeks of European calls and puts, with a continuously compounded
//! risk-free rate and no dividend.
//!
//! With tau = T / year, v = sigma sqrt(tau), K' = K e^(-r tau):
//! d1 = (ln(S/K) + r tau) / v + v/2, d2 = d1 - v,
//! call = S N(d1) - K' N(d2), put = K' N(-d2) - S N(-d1),
//! delta = N(d1) (call) or N(d1) - 1 (put), gamma = phi(d1) / (S v), vega = S phi(d1) sqrt(tau),
//! theta = -S phi(d1) sigma / (2 sqrt(tau)) -+ r K' N(+-d2).
//!
//! d1 and d2 share one quotient (ln(S/K) + r tau) / v, so an error in it moves both together and
//! cancels to first order in the price (S phi(d1) = K' phi(d2)). Put and call use N(d) and
//! 1 - N(d) from the same integer, so put-call parity holds to the final rounding.

use crate::float::Uf;
use crate::kernels::{exp_neg, ln_q62, norm_cdf_q62, norm_pdf, ONE_Q62};
use crate::tables::INV_YEAR;
use crate::{Fx, PricingError};

/// Seconds in the engine's year (365 days).
pub const SECONDS_PER_YEAR: u64 = 31_536_000;
/// Smallest spot or strike accepted (just above 1e-6).
pub const MIN_PRICE: Fx = Fx::from_bits(((1u128 << 64) / 1_000_000 + 1) as i128);
/// Largest spot or strike accepted (1e9).
pub const MAX_PRICE: Fx = Fx::from_bits(1_000_000_000i128 << 64);
/// Smallest volatility accepted (just above 0.0001 = 0.01% a year).
pub const MIN_VOL: Fx = Fx::from_bits(((1u128 << 64) / 10_000 + 1) as i128);
/// Largest volatility accepted (10.0 = 1000% a year).
pub const MAX_VOL: Fx = Fx::from_bits(10i128 << 64);
/// Largest rate accepted (1.0 = 100% a year); rates below zero are refused.
pub const MAX_RATE: Fx = Fx::from_bits(1i128 << 64);
/// Longest time to expiry accepted (10 years).
pub const MAX_EXPIRY_SECS: u64 = 10 * SECONDS_PER_YEAR;

/// |(ln(S/K) + r tau) / v| is saturated here (scaled 2^56); N is flat far before it.
const D_CLAMP_Q56: u128 = 100 << 56;

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptionKind {
    Call,
    Put,
}

/// The inputs of one evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BsParams {
    /// Price of one unit of underlying in quote units.
    pub spot: Fx,
    /// Strike in quote units.
    pub strike: Fx,
    /// Implied volatility, 1.00 = 100% a year.
    pub vol: Fx,
    /// Continuously compounded risk-free rate, 1.00 = 100% a year.
    pub rate: Fx,
    /// Whole seconds until expiry.
    pub expiry_secs: u64,
}

/// Price and greeks of one option (units in the crate docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Greeks {
    pub price: Fx,
    pub delta: Fx,
    pub gamma: Fx,
    pub vega: Fx,
    pub theta: Fx,
}

impl BsParams {
    /// Checks every input against its documented domain.
    pub fn validate(&self) -> Result<(), PricingError> {
        if self.spot < MIN_PRICE || self.spot > MAX_PRICE {
            return Err(PricingError::SpotOutOfDomain);
        }
        if self.strike < MIN_PRICE || self.strike > MAX_PRICE {
            return Err(PricingError::StrikeOutOfDomain);
        }
        if self.vol < MIN_VOL || self.vol > MAX_VOL {
            return Err(PricingError::VolOutOfDomain);
        }
        if self.rate < 0 || self.rate > MAX_RATE {
            return Err(PricingError::RateOutOfDomain);
        }
        if self.expiry_secs == 0 || self.expiry_secs > MAX_EXPIRY_SECS {
            return Err(PricingError::ExpiryOutOfDomain);
        }
        Ok(())
    }
}

/// What every option priced at one spot shares: the spot and its logarithm. Build it once to
/// price many strikes or expiries at the same spot ([`price_at`], [`greeks_at`], [`pair_at`]):
/// the results are bit for bit those of [`price`], [`black_scholes`] and [`black_scholes_pair`],
/// which build it for one evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spot {
    spot: Uf,
    /// ln(spot), scaled 2^62.
    ln: i128,
}

impl Spot {
    /// Refuses a spot outside [`MIN_PRICE`, `MAX_PRICE`] (`SpotOutOfDomain`).
    pub fn new(spot: Fx) -> Result<Spot, PricingError> {
        if spot < MIN_PRICE || spot > MAX_PRICE {
            return Err(PricingError::SpotOutOfDomain);
        }
        let spot = positive(spot);
        Ok(Spot { spot, ln: ln_q62(spot) })
    }
}

/// What every option with one expiry shares at one rate: the time in years, its square root,
/// and the discount factor. Build it once to price every strike of a board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Horizon {
    rate: Uf,
    tau: Uf,
    rsqrt_tau: Uf,
    /// tau x 1/sqrt(tau), formed as the single evaluation forms it.
    sqrt_tau: Uf,
    /// r tau, scaled 2^62.
    rt_q62: i128,
    /// e^(-r tau).
    disc: Uf,
}

impl Horizon {
    /// Refuses a rate outside [0, `MAX_RATE`] (`RateOutOfDomain`) and seconds outside
    /// [1, `MAX_EXPIRY_SECS`] (`ExpiryOutOfDomain`).
    pub fn new(rate: Fx, expiry_secs: u64) -> Result<Horizon, PricingError> {
        if rate < 0 || rate > MAX_RATE {
            return Err(PricingError::RateOutOfDomain);
        }
        if expiry_secs == 0 || expiry_secs > MAX_EXPIRY_SECS {
            return Err(PricingError::ExpiryOutOfDomain);
        }
        let rate = positive(rate);
        let tau = Uf::from_u64(expiry_secs, 0).mul(INV_YEAR);
        let rsqrt_tau = tau.rsqrt();
        // r tau <= 10 inside the domain, so both conversions fit.
        let rt = rate.mul(tau);
        let rt_q62 = rt.to_fixed(62).ok_or(PricingError::Overflow)? as i128;
        let rt_q53 = rt.to_fixed(53).ok_or(PricingError::Overflow)? as u64;
        Ok(Horizon {
            rate,
            tau,
            rsqrt_tau,
            sqrt_tau: tau.mul(rsqrt_tau),
            rt_q62,
            disc: exp_neg(rt_q53),
        })
    }
}

impl Horizon {
    /// 1 / sqrt(tau), tau in years (rounded to nearest).
    pub fn rsqrt_years(&self) -> Result<Fx, PricingError> {
        fx(self.rsqrt_tau).map(Fx::from_bits)
    }
}

/// The greeks both kinds share.
struct Common {
    gamma: Fx,
    vega: Fx,
    /// S phi(d1) sigma / (2 sqrt(tau)), `Fx` bits.
    decay: i128,
    /// r K e^(-r tau).
    r_kd: Uf,
}

/// What price and greeks have in common.
struct Core {
    spot: Uf,
    /// K e^(-r tau).
    strike_disc: Uf,
    /// N(d1), N(d2), scaled 2^62.
    n1: u64,
    n2: u64,
    d1: i64,
    sigma: Uf,
    rate: Uf,
    rsqrt_tau: Uf,
    sqrt_tau: Uf,
    inv_v: Uf,
}

fn positive(x: Fx) -> Uf {
    Uf::from_u128(x.to_bits() as u128, 64)
}

/// The strike and vol checks of [`BsParams::validate`].
fn validate_strike_vol(strike: Fx, vol: Fx) -> Result<(), PricingError> {
    if strike < MIN_PRICE || strike > MAX_PRICE {
        return Err(PricingError::StrikeOutOfDomain);
    }
    if vol < MIN_VOL || vol > MAX_VOL {
        return Err(PricingError::VolOutOfDomain);
    }
    Ok(())
}

/// What every evaluation of one strike at one vol and horizon shares, at any spot: the
/// strike's logarithm and discounted value, the total vol, its reciprocal and its half. A
/// margin cache prices one strike at several shocked spots with one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    ln_strike: i128,
    strike_disc: Uf,
    sigma: Uf,
    inv_v: Uf,
    /// v / 2, scaled 2^56.
    half_v: i64,
}

impl Leg {
    /// Refuses a strike or vol outside the domain (`StrikeOutOfDomain`, `VolOutOfDomain`).
    pub fn new(h: &Horizon, strike: Fx, vol: Fx) -> Result<Leg, PricingError> {
        validate_strike_vol(strike, vol)?;
        Leg::checked(h, strike, vol)
    }

    /// For a strike and vol already checked.
    fn checked(h: &Horizon, strike: Fx, vol: Fx) -> Result<Leg, PricingError> {
        let strike = positive(strike);
        let sigma = positive(vol);
        let v = sigma.mul(h.sqrt_tau);
        let half_v = v.half().to_fixed(56).ok_or(PricingError::Overflow)? as i64; // v/2 <= 16
        Ok(Leg {
            ln_strike: ln_q62(strike),
            strike_disc: strike.mul(h.disc),
            sigma,
            inv_v: v.recip(),
            half_v,
        })
    }
}

/// The shared part of every evaluation, for a strike and vol already checked.
fn core(at: &Spot, h: &Horizon, strike: Fx, vol: Fx) -> Result<Core, PricingError> {
    Ok(core_of(at, h, &Leg::checked(h, strike, vol)?))
}

fn core_of(at: &Spot, h: &Horizon, leg: &Leg) -> Core {
    let num = at.ln - leg.ln_strike + h.rt_q62;
    let mag =
        Uf::from_u128(num.unsigned_abs(), 62).mul(leg.inv_v).to_fixed_sat(56, D_CLAMP_Q56) as i64;
    let m = if num < 0 { -mag } else { mag };
    let d1 = m + leg.half_v;
    let d2 = m - leg.half_v;
    Core {
        spot: at.spot,
        strike_disc: leg.strike_disc,
        n1: norm_cdf_q62(d1),
        n2: norm_cdf_q62(d2),
        d1,
        sigma: leg.sigma,
        rate: h.rate,
        rsqrt_tau: h.rsqrt_tau,
        sqrt_tau: h.sqrt_tau,
        inv_v: leg.inv_v,
    }
}

/// Price and delta of one option at a spot and a leg (no density, no other greeks): the
/// `price` and `delta` of [`greeks_at`], bit for bit.
pub fn price_delta_at(
    kind: OptionKind,
    at: &Spot,
    h: &Horizon,
    leg: &Leg,
) -> Result<(Fx, Fx), PricingError> {
    let c = core_of(at, h, leg);
    Ok((c.price(kind)?, c.delta(kind)))
}

/// One evaluation's contexts, each input checked once and in the order of
/// [`BsParams::validate`] (spot, strike, vol, rate, time).
fn contexts(p: &BsParams) -> Result<(Spot, Horizon), PricingError> {
    let at = Spot::new(p.spot)?;
    validate_strike_vol(p.strike, p.vol)?;
    Ok((at, Horizon::new(p.rate, p.expiry_secs)?))
}

/// A soft-float as `Fx` bits (rounded to nearest).
fn fx(u: Uf) -> Result<i128, PricingError> {
    match u.to_fixed(64) {
        Some(v) if v <= i128::MAX as u128 => Ok(v as i128),
        _ => Err(PricingError::Overflow),
    }
}

fn times_q62(u: Uf, n: u64) -> Uf {
    u.mul(Uf::from_u64(n, 62))
}

fn sub(a: i128, b: i128) -> Result<Fx, PricingError> {
    a.checked_sub(b).map(Fx::from_bits).ok_or(PricingError::Overflow)
}

impl Core {
    fn delta(&self, kind: OptionKind) -> Fx {
        match kind {
            OptionKind::Call => Fx::from_bits((self.n1 as i128) << 2),
            OptionKind::Put => Fx::from_bits(-(((ONE_Q62 - self.n1) as i128) << 2)),
        }
    }

    fn price(&self, kind: OptionKind) -> Result<Fx, PricingError> {
        match kind {
            OptionKind::Call => {
                sub(fx(times_q62(self.spot, self.n1))?, fx(times_q62(self.strike_disc, self.n2))?)
            }
            OptionKind::Put => sub(
                fx(times_q62(self.strike_disc, ONE_Q62 - self.n2))?,
                fx(times_q62(self.spot, ONE_Q62 - self.n1))?,
            ),
        }
    }

    /// What the greeks of both kinds share: gamma, vega, the decay term and r K e^(-r tau).
    fn common(&self) -> Result<Common, PricingError> {
        let phi = norm_pdf(self.d1);
        let spot_phi = self.spot.mul(phi);
        Ok(Common {
            gamma: Fx::from_bits(fx(phi.mul(self.spot.recip()).mul(self.inv_v))?),
            vega: Fx::from_bits(fx(spot_phi.mul(self.sqrt_tau))?),
            decay: fx(spot_phi.mul(self.sigma).mul(self.rsqrt_tau.half()))?,
            r_kd: self.rate.mul(self.strike_disc),
        })
    }

    /// Price and greeks of one kind (the other's price and carry are not formed).
    fn greeks_of(&self, kind: OptionKind, c: &Common) -> Result<Greeks, PricingError> {
        let theta = match kind {
            OptionKind::Call => sub(-c.decay, fx(times_q62(c.r_kd, self.n2))?)?,
            OptionKind::Put => sub(fx(times_q62(c.r_kd, ONE_Q62 - self.n2))?, c.decay)?,
        };
        Ok(Greeks {
            price: self.price(kind)?,
            delta: self.delta(kind),
            gamma: c.gamma,
            vega: c.vega,
            theta,
        })
    }

    fn greeks(&self) -> Result<[Greeks; 2], PricingError> {
        let c = self.common()?;
        Ok([self.greeks_of(OptionKind::Call, &c)?, self.greeks_of(OptionKind::Put, &c)?])
    }
}

/// Price of one option; cheaper than [`black_scholes`] (no density, no greeks).
pub fn price(kind: OptionKind, p: &BsParams) -> Result<Fx, PricingError> {
    let (at, h) = contexts(p)?;
    core(&at, &h, p.strike, p.vol)?.price(kind)
}

/// Price and greeks of one option.
pub fn black_scholes(kind: OptionKind, p: &BsParams) -> Result<Greeks, PricingError> {
    let (at, h) = contexts(p)?;
    let c = core(&at, &h, p.strike, p.vol)?;
    c.greeks_of(kind, &c.common()?)
}

/// Price and greeks of the call and the put at the same inputs, for the cost of one.
pub fn black_scholes_pair(p: &BsParams) -> Result<(Greeks, Greeks), PricingError> {
    let (at, h) = contexts(p)?;
    let [call, put] = core(&at, &h, p.strike, p.vol)?.greeks()?;
    Ok((call, put))
}

/// [`price`] at a shared spot and horizon: refuses a strike or vol outside the domain.
pub fn price_at(
    kind: OptionKind,
    at: &Spot,
    h: &Horizon,
    strike: Fx,
    vol: Fx,
) -> Result<Fx, PricingError> {
    validate_strike_vol(strike, vol)?;
    core(at, h, strike, vol)?.price(kind)
}

/// [`black_scholes`] at a shared spot and horizon.
pub fn greeks_at(
    kind: OptionKind,
    at: &Spot,
    h: &Horizon,
    strike: Fx,
    vol: Fx,
) -> Result<Greeks, PricingError> {
    validate_strike_vol(strike, vol)?;
    let c = core(at, h, strike, vol)?;
    c.greeks_of(kind, &c.common()?)
}

/// [`black_scholes_pair`] at a shared spot and horizon.
pub fn pair_at(
    at: &Spot,
    h: &Horizon,
    strike: Fx,
    vol: Fx,
) -> Result<(Greeks, Greeks), PricingError> {
    validate_strike_vol(strike, vol)?;
    let [call, put] = core(at, h, strike, vol)?.greeks()?;
    Ok((call, put))
}
