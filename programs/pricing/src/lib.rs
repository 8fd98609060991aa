//! # options-amm-pricing
//!
//! The fixed-point Black-Scholes engine shared, unchanged, by the on-chain program and the
//! client. No floating point, no Solana types, no allocation, no panics on any input: values
//! outside the documented domain return a named [`PricingError`].
//!
//! ## Units
//! * [`Fx`] (`fixed::types::I64F64`, 64 fractional bits) at the boundary for spot, strike,
//!   volatility (1.00 = 100% a year), rate (continuously compounded, 1.00 = 100% a year) and
//!   every output.
//! * Time to expiry is whole seconds; a year is 365 days = 31,536,000 s.
//! * Greeks: delta per unit of spot, gamma per unit of spot squared, vega per 1.00 of vol,
//!   theta per year as time passes (`-dV/dT`, usually negative for a long option).
//!
//! ## Method
//! Inputs are turned into a small soft-float ([`float`]): a 64-bit mantissa and a binary
//! exponent, so that a 1e-6 spot and a 1e9 spot keep the same relative precision. Logs,
//! exponentials, the reciprocal square root of time and the normal CDF are integer kernels
//! ([`kernels`]) built on 64x64-bit products and tables generated at build time with exact
//! big-integer arithmetic (`build.rs`). One native 64-bit division per reciprocal; there are two
//! reciprocals per evaluation (1/spot and 1/total vol).

#![forbid(unsafe_code)]
#![deny(clippy::float_arithmetic)]

mod black_scholes;
mod float;
mod functions;
mod kernels;
pub mod quote;
mod tables;

pub use black_scholes::{
    black_scholes, black_scholes_pair, greeks_at, pair_at, price, price_at, price_delta_at,
    BsParams, Greeks, Horizon, Leg, OptionKind, Spot, MAX_EXPIRY_SECS, MAX_PRICE, MAX_RATE,
    MAX_VOL, MIN_PRICE, MIN_VOL, SECONDS_PER_YEAR,
};
pub use functions::{exp, ln, norm_cdf, norm_pdf, sqrt};
pub use quote::{potential, quote, Inventory, Quote, QuoteInputs, QuoteParams, Side};

/// The engine's fixed-point type: signed, 64 integer and 64 fractional bits.
pub type Fx = fixed::types::I64F64;

/// Every way an engine call can refuse its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PricingError {
    /// Spot outside [MIN_PRICE, MAX_PRICE].
    SpotOutOfDomain,
    /// Strike outside [MIN_PRICE, MAX_PRICE].
    StrikeOutOfDomain,
    /// Volatility outside [MIN_VOL, MAX_VOL].
    VolOutOfDomain,
    /// Rate outside [0, MAX_RATE].
    RateOutOfDomain,
    /// Seconds to expiry outside [1, MAX_EXPIRY_SECS].
    ExpiryOutOfDomain,
    /// ln of zero or of a negative number.
    LnOfNonPositive,
    /// sqrt of a negative number.
    SqrtOfNegative,
    /// exp of an argument whose result does not fit in `Fx` (x > 43.6).
    ExpOverflow,
    /// A result does not fit in `Fx` (cannot happen inside the documented domain).
    Overflow,
    /// A quote with a non-positive size or a non-positive normalising cap.
    InvalidQuoteInput,
    /// A sale whose spread and inventory charge exceed the option's mark: it would receive less
    /// than nothing, and is refused rather than paid zero.
    NoBid,
}

impl core::fmt::Display for PricingError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self {
            PricingError::SpotOutOfDomain => "spot outside [0.000001, 1000000000]",
            PricingError::StrikeOutOfDomain => "strike outside [0.000001, 1000000000]",
            PricingError::VolOutOfDomain => "volatility outside [0.0001, 10]",
            PricingError::RateOutOfDomain => "rate outside [0, 1]",
            PricingError::ExpiryOutOfDomain => "seconds to expiry outside [1, 315360000]",
            PricingError::LnOfNonPositive => "ln of a non-positive number",
            PricingError::SqrtOfNegative => "sqrt of a negative number",
            PricingError::ExpOverflow => "exp argument above 43.6",
            PricingError::Overflow => "result does not fit the fixed-point type",
            PricingError::InvalidQuoteInput => {
                "quote size, caps and saturation must be positive, scales and spreads not negative"
            }
            PricingError::NoBid => "the sale's charges exceed the option's value: no bid",
        };
        f.write_str(s)
    }
}

impl std::error::Error for PricingError {}
