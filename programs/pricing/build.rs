//! Generates the pricing engine's constant tables at build time.
//!
//! Every constant (ln 2, 1/sqrt(2 pi), the ln/exp/rsqrt reduction tables and the piecewise
//! Taylor coefficients of the normal tail) is computed here with exact big-integer fixed-point
//! arithmetic at 2^-256 resolution and rounded once to the engine's 64-bit formats. Nothing is
//! copied from elsewhere and no floating point is involved, so the tables are reproducible
//! bit for bit on any host. The build fails if a table cannot meet its stated error bound.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::fmt::Write as _;

/// Working precision of the generator: values are integers scaled by 2^P.
const P: u32 = 256;

/// Normal-tail table: intervals of width 2^-Q_WIDTH_LOG2 on [0, Q_INTERVALS * width).
const Q_WIDTH_LOG2: u32 = 3;
const Q_INTERVALS: usize = 76; // 76 / 8 = 9.5; Q(9.5) ~ 1.0e-21 is below the 2^-64 output step
const Q_DEG: usize = 11;

fn one() -> BigInt {
    BigInt::one() << P
}
fn ratio(n: i64, d: i64) -> BigInt {
    (BigInt::from(n) << P) / BigInt::from(d)
}
fn mul(a: &BigInt, b: &BigInt) -> BigInt {
    (a * b) >> P
}
fn div(a: &BigInt, b: &BigInt) -> BigInt {
    (a << P) / b
}

/// e^x for x >= 0 by its Taylor series (all terms positive, no cancellation).
fn exp_pos(x: &BigInt) -> BigInt {
    assert!(!x.is_negative());
    let mut term = one();
    let mut sum = one();
    let mut n = 1i64;
    loop {
        term = mul(&term, x) / n;
        if term.is_zero() {
            return sum;
        }
        sum += &term;
        n += 1;
    }
}

fn exp(x: &BigInt) -> BigInt {
    if x.is_negative() {
        div(&one(), &exp_pos(&-x))
    } else {
        exp_pos(x)
    }
}

/// atanh(z) = z + z^3/3 + z^5/5 + ... for |z| <= 1/3.
fn atanh(z: &BigInt) -> BigInt {
    let z2 = mul(z, z);
    let mut pow = z.clone();
    let mut sum = BigInt::zero();
    let mut k = 1i64;
    loop {
        let term = &pow / k;
        if term.is_zero() {
            return sum;
        }
        sum += term;
        pow = mul(&pow, &z2);
        k += 2;
    }
}

fn ln2() -> BigInt {
    atanh(&ratio(1, 3)) * 2
}

/// ln(x) for x > 0: x = 2^k * m with m in [1, 2), ln m = 2 atanh((m - 1) / (m + 1)).
fn ln(x: &BigInt) -> BigInt {
    assert!(x.is_positive());
    let k = x.bits() as i64 - P as i64 - 1;
    let m = if k >= 0 { x >> k as u32 } else { x << (-k) as u32 };
    let z = div(&(&m - one()), &(&m + one()));
    atanh(&z) * 2 + ln2() * k
}

/// atan(1/n) by its alternating series.
fn atan_inv(n: i64) -> BigInt {
    let n2 = BigInt::from(n * n);
    let mut pow = one() / n; // 1/n^(2k+1)
    let mut sum = BigInt::zero();
    let mut k = 0i64;
    loop {
        let term = &pow / (2 * k + 1);
        if term.is_zero() {
            return sum;
        }
        if k % 2 == 0 {
            sum += term;
        } else {
            sum -= term;
        }
        pow = &pow / &n2;
        k += 1;
    }
}

fn pi() -> BigInt {
    atan_inv(5) * 16 - atan_inv(239) * 4
}

fn sqrt(x: &BigInt) -> BigInt {
    (x << P).sqrt()
}

/// Rounds x (scaled 2^P) to the nearest integer multiple of 2^-frac, as an i128.
fn round_to(x: &BigInt, frac: u32) -> i128 {
    let shift = P - frac;
    let half = BigInt::one() << (shift - 1);
    let (q, _) = (x + half).div_mod_floor(&(BigInt::one() << shift));
    q.to_i128().expect("table value out of range")
}

fn to_u64(x: &BigInt, frac: u32) -> u64 {
    let v = round_to(x, frac);
    u64::try_from(v).expect("table value does not fit u64")
}

fn to_i64(x: &BigInt, frac: u32) -> i64 {
    let v = round_to(x, frac);
    i64::try_from(v).expect("table value does not fit i64")
}

/// A positive value as (mantissa in [2^63, 2^64), exponent e): value = m * 2^(e - 63).
fn to_float(x: &BigInt) -> (u64, i32) {
    assert!(x.is_positive());
    let e = x.bits() as i64 - P as i64 - 1; // value in [2^e, 2^(e+1))
    let frac = (63 - e) as u32;
    let m = round_to(x, frac);
    // Rounding up can carry into 2^64; re-normalise in that case.
    if m == 1i128 << 64 {
        (1u64 << 63, (e + 1) as i32)
    } else {
        (u64::try_from(m).unwrap(), e as i32)
    }
}

/// Standard normal density at x.
fn phi(x: &BigInt) -> BigInt {
    let two_pi = pi() * 2;
    let half_sq: BigInt = mul(x, x) / 2;
    let e = exp(&-half_sq);
    div(&e, &sqrt(&two_pi))
}

/// Upper tail Q(x) = 1 - N(x) for x >= 0: Q = 1/2 - phi(x) * sum x^(2n+1) / (2n+1)!!.
fn upper_tail(x: &BigInt) -> BigInt {
    let x2 = mul(x, x);
    let mut term = x.clone();
    let mut sum = BigInt::zero();
    let mut n = 0i64;
    loop {
        if term.is_zero() {
            break;
        }
        sum += &term;
        term = mul(&term, &x2) / (2 * n + 3);
        n += 1;
    }
    one() / 2 - mul(&phi(x), &sum)
}

fn push_u64_array(out: &mut String, doc: &str, name: &str, values: &[u64]) {
    writeln!(out, "/// {doc}").unwrap();
    writeln!(out, "pub(crate) static {name}: [u64; {}] = [", values.len()).unwrap();
    for v in values {
        writeln!(out, "    {v:#018x},").unwrap();
    }
    writeln!(out, "];").unwrap();
}

fn push_i64_array(out: &mut String, doc: &str, name: &str, values: &[i64]) {
    writeln!(out, "/// {doc}").unwrap();
    writeln!(out, "pub(crate) static {name}: [i64; {}] = [", values.len()).unwrap();
    for v in values {
        writeln!(out, "    {v},").unwrap();
    }
    writeln!(out, "];").unwrap();
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let mut out = String::new();
    writeln!(out, "// @generated by build.rs: exact big-integer arithmetic, do not edit.").unwrap();

    let l2 = ln2();
    writeln!(out, "/// ln 2, scaled 2^62.").unwrap();
    writeln!(out, "pub(crate) const LN2_Q62: u64 = {};", to_u64(&l2, 62)).unwrap();
    writeln!(out, "/// ln 2, scaled 2^120 (for exact-enough e * ln 2 with |e| <= 64).").unwrap();
    writeln!(out, "pub(crate) const LN2_Q120: u128 = {};", round_to(&l2, 120)).unwrap();
    writeln!(out, "/// 1 / ln 2, scaled 2^62.").unwrap();
    writeln!(out, "pub(crate) const INV_LN2_Q62: u64 = {};", to_u64(&div(&one(), &l2), 62))
        .unwrap();

    let (m, e) = to_float(&div(&one(), &sqrt(&(pi() * 2))));
    writeln!(out, "/// 1 / sqrt(2 pi) as a normalised mantissa and exponent.").unwrap();
    writeln!(out, "pub(crate) const INV_SQRT_2PI: Uf = Uf {{ m: {m}, e: {e} }};").unwrap();
    let (m, e) = to_float(&ratio(1, 31_536_000));
    writeln!(
        out,
        "/// 1 / 31,536,000 (seconds in a 365-day year) as a normalised mantissa and exponent."
    )
    .unwrap();
    writeln!(out, "pub(crate) const INV_YEAR: Uf = Uf {{ m: {m}, e: {e} }};").unwrap();

    // ln: 64 reciprocals R_i = round(2^64 / c_i), c_i = 1 + (i + 1/2)/64, and ln(2^64 / R_i).
    let mut recips = Vec::new();
    let mut logs = Vec::new();
    for i in 0..64i64 {
        let c = one() + ratio(2 * i + 1, 128);
        let r = to_u64(&div(&one(), &c), 64);
        let r_val = BigInt::from(r) << (P - 64);
        recips.push(r);
        logs.push(to_u64(&-ln(&r_val), 62));
    }
    push_u64_array(
        &mut out,
        "ln reduction: round(2^64 / c_i), c_i = 1 + (i + 1/2) / 64.",
        "LN_RECIP",
        &recips,
    );
    push_u64_array(
        &mut out,
        "ln reduction: -ln(LN_RECIP[i] / 2^64), scaled 2^62.",
        "LN_OF_RECIP",
        &logs,
    );
    let ln_poly: Vec<i64> = (1..=8i64)
        .map(|k| {
            let c = ratio(1, k);
            to_i64(&if k % 2 == 1 { c } else { -c }, 62)
        })
        .collect();
    push_i64_array(
        &mut out,
        "ln(1 + z) = sum (-1)^(k+1) z^k / k, k = 1..8, scaled 2^62.",
        "LN_POLY",
        &ln_poly,
    );

    // exp: 2^(-j/64) scaled 2^63, and e^-w = sum (-w)^k / k!, k = 0..7, scaled 2^62.
    let exp2: Vec<u64> =
        (0..64i64).map(|j| to_u64(&exp(&-(mul(&l2, &ratio(j, 64)))), 63)).collect();
    push_u64_array(&mut out, "2^(-j/64), scaled 2^63.", "EXP2_NEG", &exp2);
    let mut fact = 1i64;
    let exp_poly: Vec<i64> = (0..=7i64)
        .map(|k| {
            if k > 0 {
                fact *= k;
            }
            let c = ratio(1, fact);
            to_i64(&if k % 2 == 0 { c } else { -c }, 62)
        })
        .collect();
    push_i64_array(
        &mut out,
        "e^-w = sum (-w)^k / k!, k = 0..7, scaled 2^62.",
        "EXP_POLY",
        &exp_poly,
    );

    // rsqrt seeds: 1/sqrt(c), c = (i + 1/2) / 64 for i in 64..256 (M in [1, 4)), scaled 2^63.
    let seeds: Vec<u64> =
        (64..256i64).map(|i| to_u64(&div(&one(), &sqrt(&ratio(2 * i + 1, 128))), 63)).collect();
    push_u64_array(
        &mut out,
        "rsqrt seeds: 1/sqrt((i + 1/2) / 64) for i in 64..256, scaled 2^63.",
        "RSQRT_SEED",
        &seeds,
    );

    // Normal upper tail: on interval i, Q(c + h u) = sum_k b_k u^k with c = (i + 1/2) w,
    // h = w / 2, u in [-1, 1). b_0 = Q(c), b_k = (-1)^k He_{k-1}(c) phi(c) / k! * h^k.
    let h_log2 = Q_WIDTH_LOG2 + 1;
    let mut worst_tail = BigInt::zero();
    writeln!(out, "/// Degree of the piecewise Taylor polynomials of the normal upper tail.")
        .unwrap();
    writeln!(out, "pub(crate) const Q_DEG: usize = {Q_DEG};").unwrap();
    writeln!(
        out,
        "/// Number of width-1/8 intervals covered by the normal-tail table (up to x = 9.5)."
    )
    .unwrap();
    writeln!(out, "pub(crate) const Q_INTERVALS: usize = {Q_INTERVALS};").unwrap();
    writeln!(
        out,
        "/// Q(x) = 1 - N(x) on [i/8, (i+1)/8): coefficients in u = (x - c_i) * 16, scaled 2^62."
    )
    .unwrap();
    writeln!(out, "pub(crate) static Q_COEF: [[i64; {}]; {}] = [", Q_DEG + 1, Q_INTERVALS).unwrap();
    for i in 0..Q_INTERVALS as i64 {
        let c = ratio(2 * i + 1, 1 << h_log2);
        let ph = phi(&c);
        let mut coefs = vec![upper_tail(&c)];
        // Hermite He_{k-1}(c) by recurrence; extra terms bound the truncation error.
        let (mut he_prev, mut he) = (BigInt::zero(), one()); // He_{-1} (unused), He_0
        let mut kfact = BigInt::one();
        for k in 1..=(Q_DEG + 8) as i64 {
            kfact *= k;
            let mut b = mul(&he, &ph) / &kfact;
            b >>= (h_log2 as i64 * k) as u32;
            if k % 2 == 1 {
                b = -b;
            }
            coefs.push(b);
            // He_k = c He_{k-1} - (k-1) He_{k-2}
            let next = mul(&c, &he) - &he_prev * (k - 1);
            he_prev = std::mem::replace(&mut he, next);
        }
        let tail: BigInt = coefs[Q_DEG + 1..].iter().map(|b| b.abs()).sum();
        if tail > worst_tail {
            worst_tail = tail;
        }
        let row: Vec<String> = coefs[..=Q_DEG].iter().map(|b| to_i64(b, 62).to_string()).collect();
        writeln!(out, "    [{}],", row.join(", ")).unwrap();
    }
    writeln!(out, "];").unwrap();
    // The truncated Taylor tail must stay far below the 2^-62 output step.
    assert!(worst_tail < (BigInt::one() << (P - 66)), "normal-tail table misses its error bound");

    let path = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("tables.rs");
    std::fs::write(path, out).unwrap();
}
