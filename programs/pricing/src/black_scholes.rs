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
    tau: Uf,
    rsqrt_tau: Uf,
    inv_v: Uf,
}

fn positive(x: Fx) -> Uf {
    Uf::from_u128(x.to_bits() as u128, 64)
}

fn core(p: &BsParams) -> Result<Core, PricingError> {
    p.validate()?;
    let spot = positive(p.spot);
    let strike = positive(p.strike);
    let sigma = positive(p.vol);
    let rate = positive(p.rate);

    let tau = Uf::from_u64(p.expiry_secs, 0).mul(INV_YEAR);
    let rsqrt_tau = tau.rsqrt();
    let v = sigma.mul(tau.mul(rsqrt_tau));
    let inv_v = v.recip();

    // r tau <= 10 inside the domain, so both conversions fit.
    let rt = rate.mul(tau);
    let rt_q62 = rt.to_fixed(62).ok_or(PricingError::Overflow)? as i128;
    let num = ln_q62(spot) - ln_q62(strike) + rt_q62;
    let mag = Uf::from_u128(num.unsigned_abs(), 62).mul(inv_v).to_fixed_sat(56, D_CLAMP_Q56) as i64;
    let m = if num < 0 { -mag } else { mag };
    let half_v = v.half().to_fixed(56).ok_or(PricingError::Overflow)? as i64; // v/2 <= 16
    let d1 = m + half_v;
    let d2 = m - half_v;

    let rt_q53 = rt.to_fixed(53).ok_or(PricingError::Overflow)? as u64;
    let strike_disc = strike.mul(exp_neg(rt_q53));
    Ok(Core {
        spot,
        strike_disc,
        n1: norm_cdf_q62(d1),
        n2: norm_cdf_q62(d2),
        d1,
        sigma,
        rate,
        tau,
        rsqrt_tau,
        inv_v,
    })
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

    fn greeks(&self) -> Result<[Greeks; 2], PricingError> {
        let phi = norm_pdf(self.d1);
        let spot_phi = self.spot.mul(phi);
        let gamma = Fx::from_bits(fx(phi.mul(self.spot.recip()).mul(self.inv_v))?);
        let vega = Fx::from_bits(fx(spot_phi.mul(self.tau.mul(self.rsqrt_tau)))?);
        let decay = fx(spot_phi.mul(self.sigma).mul(self.rsqrt_tau.half()))?;
        let r_kd = self.rate.mul(self.strike_disc);
        let carry_call = fx(times_q62(r_kd, self.n2))?;
        let carry_put = fx(times_q62(r_kd, ONE_Q62 - self.n2))?;
        let call = Greeks {
            price: self.price(OptionKind::Call)?,
            delta: Fx::from_bits((self.n1 as i128) << 2),
            gamma,
            vega,
            theta: sub(-decay, carry_call)?,
        };
        let put = Greeks {
            price: self.price(OptionKind::Put)?,
            delta: Fx::from_bits(-(((ONE_Q62 - self.n1) as i128) << 2)),
            gamma,
            vega,
            theta: sub(carry_put, decay)?,
        };
        Ok([call, put])
    }
}

/// Price of one option; cheaper than [`black_scholes`] (no density, no greeks).
pub fn price(kind: OptionKind, p: &BsParams) -> Result<Fx, PricingError> {
    core(p)?.price(kind)
}

/// Price and greeks of one option.
pub fn black_scholes(kind: OptionKind, p: &BsParams) -> Result<Greeks, PricingError> {
    let [call, put] = core(p)?.greeks()?;
    Ok(match kind {
        OptionKind::Call => call,
        OptionKind::Put => put,
    })
}

/// Price and greeks of the call and the put at the same inputs, for the cost of one.
pub fn black_scholes_pair(p: &BsParams) -> Result<(Greeks, Greeks), PricingError> {
    let [call, put] = core(p)?.greeks()?;
    Ok((call, put))
}
