//! Shared test helpers: an f64 Black-Scholes reference and a seeded generator.
#![allow(dead_code, clippy::float_arithmetic)]

use options_amm_pricing::{BsParams, Fx, OptionKind};

pub const YEAR: f64 = 31_536_000.0;

/// splitmix64: a tiny, seedable generator so every failure reproduces from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    pub fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + (hi.ln() - lo.ln()) * self.unit()).exp()
    }
}

pub fn fx(x: f64) -> Fx {
    Fx::from_num(x)
}

pub fn f(x: Fx) -> f64 {
    x.to_num::<f64>()
}

pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Reference values plus the magnitudes of theta's two terms (to judge it where they cancel).
#[derive(Clone, Copy, Debug)]
pub struct Reference {
    pub price: f64,
    pub delta: f64,
    pub gamma: f64,
    pub vega: f64,
    pub theta: f64,
    pub theta_scale: f64,
}

/// f64 Black-Scholes on exactly the engine's inputs (each converted back from `Fx`).
pub fn reference(kind: OptionKind, p: &BsParams) -> Reference {
    reference_f64(kind, f(p.spot), f(p.strike), f(p.vol), f(p.rate), p.expiry_secs)
}

/// The same formulas as the engine, in f64 (erfc from libm, a port of musl's).
pub fn reference_f64(kind: OptionKind, s: f64, k: f64, sigma: f64, r: f64, secs: u64) -> Reference {
    let tau = secs as f64 / YEAR;
    let sq = tau.sqrt();
    let v = sigma * sq;
    let d1 = ((s / k).ln() + r * tau) / v + 0.5 * v;
    let d2 = d1 - v;
    let kd = k * (-r * tau).exp();
    let pdf = norm_pdf(d1);
    let decay = s * pdf * sigma / (2.0 * sq);
    let gamma = pdf / (s * v);
    let vega = s * pdf * sq;
    match kind {
        OptionKind::Call => {
            let carry = r * kd * norm_cdf(d2);
            Reference {
                price: s * norm_cdf(d1) - kd * norm_cdf(d2),
                delta: norm_cdf(d1),
                gamma,
                vega,
                theta: -decay - carry,
                theta_scale: decay + carry,
            }
        }
        OptionKind::Put => {
            let carry = r * kd * norm_cdf(-d2);
            Reference {
                price: kd * norm_cdf(-d2) - s * norm_cdf(-d1),
                delta: norm_cdf(d1) - 1.0,
                gamma,
                vega,
                theta: -decay + carry,
                theta_scale: decay + carry,
            }
        }
    }
}

pub fn params(spot: f64, strike: f64, vol: f64, rate: f64, expiry_secs: u64) -> BsParams {
    BsParams { spot: fx(spot), strike: fx(strike), vol: fx(vol), rate: fx(rate), expiry_secs }
}
