//! The kernels as functions of [`Fx`], each with its domain and error bound.
//!
//! The bounds are what `tests/functions.rs` checks against an f64 reference over the whole
//! domain (plus the 2^-65 rounding of the final `Fx`).

use crate::float::Uf;
use crate::kernels::{
    exp_neg, exp_pos, ln_q62, norm_cdf_q62, norm_pdf as pdf_kernel, EXP_NEG_MAX_Q53,
};
use crate::{Fx, PricingError};

/// Largest |x| kept by the normal functions (scaled 2^56); beyond it they have saturated.
const NORMAL_CLAMP_Q56: i128 = 100 << 56;

/// x rounded from 2^-64 to 2^-56 and clamped to +-100 (the normal functions are flat there).
fn to_q56_clamped(x: Fx) -> i64 {
    let q = ((x.to_bits() >> 7) + 1) >> 1; // round half up without overflow at Fx::MAX
    q.clamp(-NORMAL_CLAMP_Q56, NORMAL_CLAMP_Q56) as i64
}

fn from_q62(v: i128) -> Fx {
    Fx::from_bits(v << 2)
}

/// Natural logarithm. Domain: x > 0 (every positive `Fx`). Absolute error below 2^-58.
pub fn ln(x: Fx) -> Result<Fx, PricingError> {
    if x <= 0 {
        return Err(PricingError::LnOfNonPositive);
    }
    let u = Uf::from_u128(x.to_bits() as u128, 64);
    Ok(from_q62(ln_q62(u)))
}

/// Exponential. Domain: x <= 43.6 (e^x must fit in `Fx`); results below 2^-65 are 0.
/// Relative error below 2^-51 (the argument is rounded to 2^-53), plus the final rounding.
pub fn exp(x: Fx) -> Result<Fx, PricingError> {
    let bits = x.to_bits();
    // Range checks first, so the rounding below cannot overflow.
    if bits >= 64 << 64 {
        return Err(PricingError::ExpOverflow);
    }
    if bits <= -((EXP_NEG_MAX_Q53 as i128) << 11) {
        return Ok(Fx::ZERO);
    }
    let r = if bits >= 0 {
        exp_pos((((bits >> 10) + 1) >> 1) as u64)
    } else {
        exp_neg((((-bits >> 10) + 1) >> 1) as u64)
    };
    match r.to_fixed(64) {
        Some(v) if v <= i128::MAX as u128 => Ok(Fx::from_bits(v as i128)),
        _ => Err(PricingError::ExpOverflow),
    }
}

/// Square root. Domain: x >= 0. Relative error below 2^-58, plus the final rounding.
pub fn sqrt(x: Fx) -> Result<Fx, PricingError> {
    if x < 0 {
        return Err(PricingError::SqrtOfNegative);
    }
    if x == 0 {
        return Ok(Fx::ZERO);
    }
    let u = Uf::from_u128(x.to_bits() as u128, 64);
    let s = u.mul(u.rsqrt());
    // sqrt of an in-range Fx is below 2^32, so this always fits.
    s.to_fixed(64).map(|v| Fx::from_bits(v as i128)).ok_or(PricingError::Overflow)
}

/// Standard normal CDF N(x). Domain: every `Fx`. Absolute error below 2^-56.
/// N(x) + N(-x) = 1 exactly.
pub fn norm_cdf(x: Fx) -> Fx {
    from_q62(norm_cdf_q62(to_q56_clamped(x)) as i128)
}

/// Standard normal density phi(x). Domain: every `Fx`. Absolute error below 2^-53
/// (relative below 2^-50 + |x| 2^-56).
pub fn norm_pdf(x: Fx) -> Fx {
    let p = pdf_kernel(to_q56_clamped(x));
    // phi <= 0.4, always fits.
    Fx::from_bits(p.to_fixed(64).unwrap_or(0) as i128)
}
