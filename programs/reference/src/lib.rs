//! f64 Black-Scholes, written from the textbook formulas with libm's `erfc` (a port of musl's):
//! the independent oracle that the engine's accuracy tests, the program's valuation tests and the
//! integration tests compare fixed-point results with. Test-only: nothing the program runs
//! depends on this crate.
#![allow(clippy::float_arithmetic)]

/// Seconds in the engine's year.
pub const YEAR: f64 = 31_536_000.0;

/// Call or put (kept apart from the engine's own kind type so this crate stays independent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Call,
    Put,
}

/// The standard normal distribution function.
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal density.
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Price and greeks (per year for theta), with the magnitude of theta's two terms to judge it
/// where they cancel.
#[derive(Clone, Copy, Debug)]
pub struct Reference {
    pub price: f64,
    pub delta: f64,
    pub gamma: f64,
    pub vega: f64,
    pub theta: f64,
    pub theta_scale: f64,
}

/// Black-Scholes for spot `s`, strike `k`, vol `sigma`, continuous rate `r`, `secs` to expiry.
pub fn black_scholes(kind: Kind, s: f64, k: f64, sigma: f64, r: f64, secs: f64) -> Reference {
    let tau = secs / YEAR;
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
        Kind::Call => {
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
        Kind::Put => {
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

/// The price of one series as the market lists it: a put, or a call capped at `cap_bps / 10_000`
/// times its strike (the call spread K / cap x K; `cap_bps` 0 means no cap).
pub fn series_price(
    kind: Kind,
    s: f64,
    k: f64,
    cap_bps: u32,
    sigma: f64,
    r: f64,
    secs: f64,
) -> f64 {
    let plain = black_scholes(kind, s, k, sigma, r, secs).price;
    match kind {
        Kind::Call if cap_bps > 0 => {
            plain - black_scholes(Kind::Call, s, k * f64::from(cap_bps) / 1e4, sigma, r, secs).price
        }
        _ => plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hull_textbook_values() {
        // Hull, Options, Futures and Other Derivatives, example 15.6: S 42, K 40, r 10%, sigma
        // 20%, six months: call 4.76, put 0.81.
        let secs = 0.5 * YEAR;
        let c = black_scholes(Kind::Call, 42.0, 40.0, 0.2, 0.1, secs).price;
        let p = black_scholes(Kind::Put, 42.0, 40.0, 0.2, 0.1, secs).price;
        assert!((c - 4.76).abs() < 0.005, "{c}");
        assert!((p - 0.81).abs() < 0.005, "{p}");
    }

    #[test]
    fn put_call_parity_and_the_cap() {
        let (s, k, r, secs) = (100.0, 105.0, 0.05, 0.25 * YEAR);
        let c = black_scholes(Kind::Call, s, k, 0.3, r, secs);
        let p = black_scholes(Kind::Put, s, k, 0.3, r, secs);
        assert!((c.price - p.price - (s - k * (-r * 0.25f64).exp())).abs() < 1e-9);
        assert!((c.delta - p.delta - 1.0).abs() < 1e-12);
        let capped = series_price(Kind::Call, s, k, 20_000, 0.3, r, secs);
        assert!(capped < c.price && capped > 0.0 && capped <= k);
    }
}
