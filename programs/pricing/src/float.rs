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
/// one place so that a target without a native 64x64->128 multiply can supply a cheaper one
/// without touching any kernel. SBF lowers a `u128` product to a `__multi3` call (about 53 CU
/// with its shifts); four native 64-bit products of the 32-bit halves cost less there (about
/// 45), and every other target keeps the native product. Exact either way
/// (`the_split_products_are_exact`).
#[inline(always)]
pub(crate) fn wide(a: u64, b: u64) -> u128 {
    if cfg!(target_os = "solana") {
        let (hi, lo) = split_mul(a, b);
        ((hi as u128) << 64) | lo as u128
    } else {
        a as u128 * b as u128
    }
}

/// (high, low) words of a x b from the 32-bit halves' products, each exact in 64 bits.
#[inline(always)]
pub(crate) fn split_mul(a: u64, b: u64) -> (u64, u64) {
    const M: u64 = 0xffff_ffff;
    let (a0, a1, b0, b1) = (a & M, a >> 32, b & M, b >> 32);
    let lo = a0 * b0;
    let (m1, m2) = (a1 * b0, a0 * b1);
    let mid = (lo >> 32) + (m1 & M) + (m2 & M); // < 3 x 2^32
    (a1 * b1 + (m1 >> 32) + (m2 >> 32) + (mid >> 32), (lo & M) | (mid << 32))
}

/// floor(a x b / 2^62) for signed values whose quotient fits in 64 bits (the kernels' Horner
/// steps), from the 32-bit halves on SBF (the high halves signed, so every partial product is
/// exact in 64 bits), from the `i128` product elsewhere.
#[inline(always)]
pub(crate) fn mul_shr62_signed(a: i64, b: i64) -> i64 {
    if cfg!(target_os = "solana") {
        split_mul_shr62(a, b)
    } else {
        ((a as i128 * b as i128) >> 62) as i64
    }
}

/// [`mul_shr62_signed`]'s SBF form (compiled everywhere, so host tests check it).
#[inline(always)]
pub(crate) fn split_mul_shr62(a: i64, b: i64) -> i64 {
    {
        const M: i64 = 0xffff_ffff;
        let (a0, a1, b0, b1) = (a & M, a >> 32, b & M, b >> 32);
        let lo = (a0 as u64) * (b0 as u64);
        let (m1, m2) = (a1 * b0, a0 * b1); // |.| < 2^63
        let mid = (lo >> 32) as i64 + (m1 & M) + (m2 & M); // in [0, 3 x 2^32)
        let high = a1 * b1 + (m1 >> 32) + (m2 >> 32) + (mid >> 32);
        let low = ((lo & M as u64) | ((mid as u64) << 32)) >> 62;
        (high << 2) | low as i64
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The SBF products against the native 128-bit ones: every pair of edge values (0, 1, powers
    /// of two and their neighbours, both signs, the extremes) and 200,000 random pairs.
    #[test]
    fn the_split_products_are_exact() {
        let mut edges: Vec<u64> = vec![0, 1, 2, 3, u64::MAX, u64::MAX - 1];
        for k in 0..64 {
            edges.extend([1u64 << k, (1u64 << k) - 1, (1u64 << k) + 1, !(1u64 << k)]);
        }
        let check = |a: u64, b: u64| {
            let (hi, lo) = split_mul(a, b);
            assert_eq!(((hi as u128) << 64) | lo as u128, a as u128 * b as u128, "{a} x {b}");
            let (sa, sb) = (a as i64, b as i64);
            let native = ((sa as i128 * sb as i128) >> 62) as i64;
            assert_eq!(split_mul_shr62(sa, sb), native, "{sa} x {sb}");
        };
        for &a in &edges {
            for &b in &edges {
                check(a, b);
            }
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200_000 {
            let (a, b) = (next(), next());
            check(a, b);
            check(a >> (b % 64), b >> (a % 64));
        }
    }
}
