//! Accuracy of price and greeks against an f64 reference (ISSUE: S/K in [0.2, 5], vol in
//! [1%, 500%], T in [60 s, 3 years], rate in [0, 20%], spot in [0.01, 100,000]).
//!
//! Tolerances (each case, each of call and put):
//! * price: |error| <= 1e-11 x spot
//! * delta: |error| <= 1e-10
//! * gamma: |error| <= max(1e-8 x |gamma|, 1e-12 / spot)  (absolute floor where gamma is tiny)
//! * vega:  |error| <= max(1e-8 x |vega|, 1e-12 x spot)
//! * theta: |error| <= max(1e-7 x |theta|, 1e-12 x (|decay term| + |carry term|))
//!   and 1e-12 x spot (the floors apply where the two terms of theta cancel, where the f64
//!   reference cannot do better than its rounding of each term, and where theta is below the
//!   fixed-point step)
//! * put-call parity: |C - P - (S - K e^-rT)| <= 1e-11 x spot
//!
//! Run `cargo test --release -p options-amm-pricing --test accuracy -- --nocapture` to print the
//! worst error of each quantity as a fraction of its tolerance.
#![allow(clippy::float_arithmetic)]

mod common;
use common::*;
use options_amm_pricing::{black_scholes_pair, BsParams, Greeks, OptionKind};

#[derive(Default)]
struct Worst {
    price: f64,
    delta: f64,
    gamma: f64,
    vega: f64,
    theta: f64,
    parity: f64,
    cases: u64,
}

impl Worst {
    /// Checks one evaluation and returns the worst error ratio (1.0 = at tolerance).
    fn check(&mut self, kind: OptionKind, p: &BsParams, g: &Greeks) -> f64 {
        let r = reference(kind, p);
        let s = f(p.spot);
        let ratio = |err: f64, tol: f64| err.abs() / tol;
        let price = ratio(f(g.price) - r.price, 1e-11 * s);
        let delta = ratio(f(g.delta) - r.delta, 1e-10);
        let gamma = ratio(f(g.gamma) - r.gamma, (1e-8 * r.gamma.abs()).max(1e-12 / s));
        let vega = ratio(f(g.vega) - r.vega, (1e-8 * r.vega.abs()).max(1e-12 * s));
        let theta_floor = (1e-12 * r.theta_scale).max(1e-12 * s);
        let theta = ratio(f(g.theta) - r.theta, (1e-7 * r.theta.abs()).max(theta_floor));
        self.price = self.price.max(price);
        self.delta = self.delta.max(delta);
        self.gamma = self.gamma.max(gamma);
        self.vega = self.vega.max(vega);
        self.theta = self.theta.max(theta);
        self.cases += 1;
        let worst = price.max(delta).max(gamma).max(vega).max(theta);
        assert!(
            worst <= 1.0,
            "{kind:?} {p:?}: engine {g:?} reference {r:?} (price {price:.3}, delta {delta:.3}, \
             gamma {gamma:.3}, vega {vega:.3}, theta {theta:.3} of tolerance)"
        );
        worst
    }

    fn check_pair(&mut self, p: &BsParams) {
        let (call, put) = black_scholes_pair(p).expect("inside the domain");
        self.check(OptionKind::Call, p, &call);
        self.check(OptionKind::Put, p, &put);
        let (s, k, r) = (f(p.spot), f(p.strike), f(p.rate));
        let forward = s - k * (-r * p.expiry_secs as f64 / YEAR).exp();
        let parity = (f(call.price) - f(put.price) - forward).abs() / (1e-11 * s);
        assert!(parity <= 1.0, "parity {parity} of tolerance at {p:?}");
        self.parity = self.parity.max(parity);
    }

    fn report(&self, name: &str) {
        println!(
            "{name}: {} evaluations; worst error / tolerance: price {:.2e}, delta {:.2e}, \
             gamma {:.2e}, vega {:.2e}, theta {:.2e}, parity {:.2e}",
            self.cases, self.price, self.delta, self.gamma, self.vega, self.theta, self.parity
        );
    }
}

#[test]
fn random_cases_match_f64_reference_within_tolerance() {
    let mut rng = Rng(0x0A11_CE5E_ED00_0001);
    let mut worst = Worst::default();
    for _ in 0..100_000 {
        let spot = rng.log_uniform(0.01, 100_000.0);
        let moneyness = rng.log_uniform(0.2, 5.0);
        let vol = rng.log_uniform(0.01, 5.0);
        let secs = rng.log_uniform(60.0, 3.0 * YEAR) as u64;
        let rate = rng.uniform(0.0, 0.2);
        worst.check_pair(&params(spot, spot / moneyness, vol, rate, secs));
    }
    worst.report("random");
}

#[test]
fn edge_grid_matches_f64_reference_within_tolerance() {
    let mut worst = Worst::default();
    for spot in [0.01, 1.0, 100.0, 100_000.0] {
        for moneyness in [0.2, 0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 2.0, 5.0] {
            for vol in [0.01, 0.05, 0.2, 1.0, 3.0, 5.0] {
                for secs in [60, 61, 3_600, 86_400, 2_592_000, 31_536_000, 94_608_000] {
                    for rate in [0.0, 0.05, 0.2] {
                        worst.check_pair(&params(spot, spot / moneyness, vol, rate, secs));
                    }
                }
            }
        }
    }
    worst.report("edge grid");
}

#[test]
fn extremes_of_the_domain_price_without_error() {
    use options_amm_pricing::{MAX_EXPIRY_SECS, MAX_PRICE, MAX_RATE, MAX_VOL, MIN_PRICE, MIN_VOL};
    for spot in [MIN_PRICE, MAX_PRICE] {
        for strike in [MIN_PRICE, MAX_PRICE] {
            for vol in [MIN_VOL, MAX_VOL] {
                for rate in [fx(0.0), MAX_RATE] {
                    for expiry_secs in [1, MAX_EXPIRY_SECS] {
                        let p = BsParams { spot, strike, vol, rate, expiry_secs };
                        let (call, put) = black_scholes_pair(&p).expect("domain edge must price");
                        assert!(call.price >= 0 && put.price >= 0, "{p:?} {call:?} {put:?}");
                        assert!(
                            call.price <= spot && put.price <= strike,
                            "{p:?} {call:?} {put:?}"
                        );
                    }
                }
            }
        }
    }
}
