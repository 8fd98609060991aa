//! A tiny unsigned soft-float for the engine's internals.
//!
//! Black-Scholes inputs span many orders of magnitude (spot 1e-6 .. 1e9, total volatility
//! 1e-8 .. 32), so intermediate products are kept as a 64-bit mantissa with a separate binary
//! exponent instead of one fixed scale. Every operation is integer-only and deterministic.
//! Multiplication truncates (relative error below 2^-63); reciprocal and reciprocal square
//! root are Newton iterations whose results are within 2^-59 relative.

use crate::tables::RSQRT_SEED;

/// value = m * 2^(e - 63); m is normalised to [2^63, 2^64), or m = 0 for zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Uf {
    pub m: u64,
    pub e: i32,
}

const TOP: u64 = 1 << 63;

/// The full product of two 64-bit values: the engine's one multiplication primitive, kept in
/// one place so that a target without a native 64x64->128 multiply (SBF lowers it to a
/// `__multi3` call) can supply a cheaper one without touching any kernel.
#[inline(always)]
pub(crate) fn wide(a: u64, b: u64) -> u128 {
    a as u128 * b as u128
}

/// Signed full product of two 64-bit values (exact, like `wide`).
#[inline(always)]
pub(crate) fn wide_signed(a: i64, b: i64) -> i128 {
    a as i128 * b as i128
}

impl Uf {
    pub const ZERO: Uf = Uf { m: 0, e: 0 };

    /// The value `x * 2^-frac`.
    #[inline]
    pub fn from_u128(x: u128, frac: i32) -> Uf {
        if x == 0 {
            return Uf::ZERO;
        }
        let n = 127 - x.leading_zeros() as i32; // index of the top bit
        let m = if n >= 63 { (x >> (n - 63)) as u64 } else { (x as u64) << (63 - n) };
        Uf { m, e: n - frac }
    }

    /// The value `x * 2^-frac`.
    #[inline]
    pub fn from_u64(x: u64, frac: i32) -> Uf {
        if x == 0 {
            return Uf::ZERO;
        }
        let lz = x.leading_zeros() as i32;
        Uf { m: x << lz, e: 63 - lz - frac }
    }

    /// Product, truncated to 64 mantissa bits.
    #[inline]
    pub fn mul(self, o: Uf) -> Uf {
        let p = wide(self.m, o.m);
        if p >> 127 != 0 {
            Uf { m: (p >> 64) as u64, e: self.e + o.e + 1 }
        } else {
            // p in [2^126, 2^127) (or zero): keep one more bit.
            Uf { m: (p >> 63) as u64, e: self.e + o.e }
        }
    }

    /// Half the value (exact).
    #[inline]
    pub fn half(self) -> Uf {
        Uf { m: self.m, e: self.e - 1 }
    }

    /// 1 / self for a non-zero value: a 32-bit quotient from one native division, then one
    /// Newton step y <- y (2 - M y), which from below converges without overshoot.
    #[inline]
    pub fn recip(self) -> Uf {
        let m = self.m;
        // y ~ 2^63 / M with M = m / 2^63 in [1, 2); underestimates by < 2^-30 relative.
        let y0 = (TOP / ((m >> 32) + 1)) << 31;
        let my = (wide(m, y0) >> 63) as u64; // M * y, scaled 2^63, <= 2^63
        let err = TOP - my;
        let y = y0 + (wide(y0, err) >> 63) as u64; // in (2^62, 2^63]
        if y >= TOP {
            Uf { m: y, e: -self.e }
        } else {
            Uf { m: y << 1, e: -self.e - 1 }
        }
    }

    /// 1 / sqrt(self) for a non-zero value: a table seed (256 steps over [1, 4)) and three
    /// Newton steps y <- y + y (1 - M y^2) / 2.
    #[inline]
    pub fn rsqrt(self) -> Uf {
        // Write the value as M2 * 2^e2 with e2 even and M2 in [1, 4), M2 scaled 2^62.
        let (m2, e2) = if self.e & 1 == 0 { (self.m >> 1, self.e) } else { (self.m, self.e - 1) };
        let mut y = RSQRT_SEED[(m2 >> 56) as usize - 64]; // 1/sqrt(M2), scaled 2^63
        for _ in 0..3 {
            let y2 = (wide(y, y) >> 63) as u64; // <= 2^63 + a few units
            let t = (wide(m2, y2) >> 62) as u64; // M2 y^2, scaled 2^63, within 1% of 2^63
                                                 // y += y (1 - M2 y^2) / 2
            if t <= TOP {
                y += (wide(y, TOP - t) >> 64) as u64;
            } else {
                y -= (wide(y, t - TOP) >> 64) as u64;
            }
        }
        let e = -(e2 >> 1);
        if y >= TOP {
            Uf { m: y, e }
        } else {
            Uf { m: y << 1, e: e - 1 }
        }
    }

    /// The value scaled by 2^frac, rounded to nearest (ties up); `None` if it needs more than
    /// 127 bits.
    #[inline]
    pub fn to_fixed(self, frac: i32) -> Option<u128> {
        if self.m == 0 {
            return Some(0);
        }
        let s = self.e - 63 + frac;
        if s >= 0 {
            if s > 63 {
                return None;
            }
            Some((self.m as u128) << s)
        } else {
            let r = -s;
            if r > 64 {
                return Some(0);
            }
            Some(((self.m as u128) + (1u128 << (r - 1))) >> r)
        }
    }

    /// `to_fixed` saturated at `cap` (used where only "large" matters, e.g. |d| beyond the
    /// normal table).
    #[inline]
    pub fn to_fixed_sat(self, frac: i32, cap: u128) -> u128 {
        match self.to_fixed(frac) {
            Some(v) if v < cap => v,
            _ => cap,
        }
    }
}
