//! Shared test helpers: an f64 Black-Scholes reference and a seeded generator.
#![allow(dead_code, unused_imports, clippy::float_arithmetic)]

use options_amm_pricing::{BsParams, Fx, OptionKind};

pub use options_amm_reference::YEAR;

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

pub use options_amm_reference::{norm_cdf, norm_pdf, Reference};

/// f64 Black-Scholes on exactly the engine's inputs (each converted back from `Fx`).
pub fn reference(kind: OptionKind, p: &BsParams) -> Reference {
    reference_f64(kind, f(p.spot), f(p.strike), f(p.vol), f(p.rate), p.expiry_secs)
}

/// The independent f64 oracle (`options-amm-reference`) for the engine's kind.
pub fn reference_f64(kind: OptionKind, s: f64, k: f64, sigma: f64, r: f64, secs: u64) -> Reference {
    let kind = match kind {
        OptionKind::Call => options_amm_reference::Kind::Call,
        OptionKind::Put => options_amm_reference::Kind::Put,
    };
    options_amm_reference::black_scholes(kind, s, k, sigma, r, secs as f64)
}

pub fn params(spot: f64, strike: f64, vol: f64, rate: f64, expiry_secs: u64) -> BsParams {
    BsParams { spot: fx(spot), strike: fx(strike), vol: fx(vol), rate: fx(rate), expiry_secs }
}
