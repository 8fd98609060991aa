//! Integer kernels: ln of a mantissa, 2^-f, e^-y and the normal upper tail.
//!
//! Formats are named by their scale: `q62` is an integer scaled by 2^62, and so on. Each kernel
//! states its domain and its error bound; the bounds are checked against an f64 reference in
//! `tests/functions.rs` (where f64 can resolve them) and follow from the table construction in
//! `build.rs` (truncation terms below 2^-64) plus at most one unit of rounding per Horner step.

use crate::float::{mul_shr62_signed, wide, Uf};
use crate::tables::{
    EXP2_NEG, EXP_POLY, INV_LN2_Q62, INV_SQRT_2PI, LN2_Q120, LN2_Q62, LN_OF_RECIP, LN_POLY,
    LN_RECIP, Q_COEF, Q_DEG, Q_INTERVALS,
};

/// 1.0 scaled 2^62.
pub(crate) const ONE_Q62: u64 = 1 << 62;

/// (a * b) / 2^62 for signed values, rounded toward -inf.
#[inline]
pub(crate) fn mul_s62(a: i64, b: i64) -> i64 {
    mul_shr62_signed(a, b)
}

/// ln(M) for a normalised mantissa m (M = m / 2^63 in [1, 2)), scaled 2^62.
/// Absolute error below 2^-60. Reduction: M * R_i = 1 + z with |z| < 2^-7 from a 64-entry
/// table, then an 8-term series for ln(1 + z).
#[inline]
pub(crate) fn ln_mantissa_q62(m: u64) -> i64 {
    let i = ((m >> 57) & 63) as usize;
    let prod = wide(m, LN_RECIP[i]); // M * R_i, scaled 2^127
    let z = ((prod >> 65) as i64) - ONE_Q62 as i64; // scaled 2^62
    let mut acc = LN_POLY[7];
    for k in (0..7).rev() {
        acc = LN_POLY[k] + mul_s62(acc, z);
    }
    mul_s62(acc, z) + LN_OF_RECIP[i] as i64
}

/// ln(x) for a positive soft-float, scaled 2^62. Absolute error below 2^-59 for |e| <= 200.
#[inline]
pub(crate) fn ln_q62(x: Uf) -> i128 {
    ((x.e as i128 * LN2_Q120 as i128) >> 58) + ln_mantissa_q62(x.m) as i128
}

/// 2^-f for f in [0, 1) scaled 2^53; result scaled 2^63, in (2^62, 2^63].
/// Relative error below 2^-60: a 64-entry table of 2^(-j/64) and a degree-7 series for
/// e^-w, w < ln2/64.
#[inline]
fn exp2_neg_frac_q63(f: u64) -> u64 {
    let j = (f >> 47) as usize;
    let g = f & ((1u64 << 47) - 1); // scaled 2^53, < 2^-6
    let w = (wide(g << 9, LN2_Q62) >> 62) as i64; // g ln 2, scaled 2^62
    let mut p = EXP_POLY[7];
    for k in (0..7).rev() {
        p = EXP_POLY[k] + mul_s62(p, w);
    }
    (wide(EXP2_NEG[j], p as u64) >> 62) as u64
}

/// Largest y (scaled 2^53) accepted by `exp_neg`: e^-1024 is far below any output step.
pub(crate) const EXP_NEG_MAX_Q53: u64 = 1024 << 53;

/// e^-y for y >= 0 scaled 2^53 (y < 1024, larger y gives zero). Relative error below 2^-59,
/// so an argument known to 2^-53 gives a result relatively within 2^-52.
#[inline]
pub(crate) fn exp_neg(y: u64) -> Uf {
    if y >= EXP_NEG_MAX_Q53 {
        return Uf::ZERO;
    }
    let yl = wide(y, INV_LN2_Q62) >> 62; // y / ln 2, scaled 2^53
    let k = (yl >> 53) as i32;
    let f = (yl as u64) & ((1u64 << 53) - 1);
    let mant = exp2_neg_frac_q63(f);
    Uf::from_u64(mant, 63 + k)
}

/// e^x for 0 <= x < 64, x scaled 2^53, as a soft-float; relative error below 2^-59.
#[inline]
pub(crate) fn exp_pos(x: u64) -> Uf {
    let xl = wide(x, INV_LN2_Q62) >> 62; // x / ln 2, scaled 2^53
    let mask = (1u128 << 53) - 1;
    let k = ((xl + mask) >> 53) as i32; // ceil
    let f = ((k as u128) << 53) - xl; // in [0, 1)
    let mant = exp2_neg_frac_q63(f as u64);
    Uf::from_u64(mant, 63 - k)
}

/// Upper tail Q(x) = 1 - N(x) for x >= 0 scaled 2^56; result scaled 2^62.
/// Absolute error below 2^-59: 76 intervals of width 1/8 on [0, 9.5), each a degree-11
/// Taylor polynomial (truncation below 2^-66); Q(9.5) ~ 1e-21 is returned as 0.
#[inline]
pub(crate) fn upper_tail_q62(x: u64) -> u64 {
    let i = (x >> 53) as usize;
    if i >= Q_INTERVALS {
        return 0;
    }
    let t = (x & ((1u64 << 53) - 1)) as i64 - (1i64 << 52); // x - c_i, scaled 2^56
    let u = t << 10; // (x - c_i) * 16, scaled 2^62, in [-1, 1)
    let row = &Q_COEF[i];
    let mut acc = row[Q_DEG];
    for k in (0..Q_DEG).rev() {
        acc = row[k] + mul_s62(acc, u);
    }
    acc.max(0) as u64
}

/// |d| beyond which N(d) is 0 or 1 to within 2^-64 (scaled 2^56).
const TAIL_END_Q56: u64 = (Q_INTERVALS as u64) << 53;

/// N(d) for d scaled 2^56; result scaled 2^62. N(d) + N(-d) = 1 exactly.
#[inline]
pub(crate) fn norm_cdf_q62(d: i64) -> u64 {
    let a = d.unsigned_abs();
    let q = if a >= TAIL_END_Q56 { 0 } else { upper_tail_q62(a) };
    if d >= 0 {
        ONE_Q62 - q
    } else {
        q
    }
}

/// |d| beyond which the density is treated as zero (phi(38) ~ 1e-314), scaled 2^56.
const PDF_END_Q56: u64 = 38 << 56;

/// phi(d) = e^(-d^2/2) / sqrt(2 pi) for d scaled 2^56, as a soft-float with relative error
/// below 2^-51 (the square is formed to 2^-53).
#[inline]
pub(crate) fn norm_pdf(d: i64) -> Uf {
    let a = d.unsigned_abs();
    if a >= PDF_END_Q56 {
        return Uf::ZERO;
    }
    let half_sq = (wide(a, a) >> 60) as u64; // d^2 / 2, scaled 2^53
    exp_neg(half_sq).mul(INV_SQRT_2PI)
}
