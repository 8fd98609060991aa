//! Properties of the engine over its whole domain (proptest), and "never panics" over every
//! possible input.
#![allow(clippy::float_arithmetic)]

mod common;
use common::{f, fx, YEAR};
use options_amm_pricing::{
    black_scholes, black_scholes_pair, greeks_at, pair_at, price, price_at, price_delta_at,
    BsParams, Fx, Horizon, Leg, OptionKind, PricingError, Spot, MAX_EXPIRY_SECS, MAX_PRICE,
    MAX_RATE, MAX_VOL, MIN_PRICE, MIN_VOL,
};
use proptest::prelude::*;

/// Slack for comparisons between two evaluations: the engine's own error is below 2^-58
/// relative to max(spot, strike), far inside this, plus a few steps of the 2^-64 output grid.
fn slack(p: &BsParams) -> f64 {
    1e-15 * f(p.spot).max(f(p.strike)) + 1e-18
}

fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.ln()..hi.ln()).prop_map(f64::exp)
}

prop_compose! {
    /// Inputs anywhere in the documented domain (strike within 1000x of spot).
    fn in_domain()(spot in log_uniform(1e-5, 1e8),
                   moneyness in log_uniform(1e-3, 1e3),
                   vol in log_uniform(1e-3, 9.0),
                   secs in log_uniform(1.0, 9.0 * YEAR),
                   rate in 0.0..1.0f64) -> BsParams {
        BsParams { spot: fx(spot), strike: fx((spot / moneyness).clamp(1e-6, 1e9)), vol: fx(vol), rate: fx(rate),
                   expiry_secs: secs as u64 }
    }
}

fn call(p: &BsParams) -> f64 {
    f(price(OptionKind::Call, p).unwrap())
}
fn put(p: &BsParams) -> f64 {
    f(price(OptionKind::Put, p).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// A spot and horizon built once and shared by several strikes and vols (a board's refresh, a
    /// call spread's two legs, a margin check's shocked spot) give, bit for bit, the results of
    /// evaluating each alone; a strike or vol outside the domain is still refused by name.
    #[test]
    fn shared_spot_and_horizon_price_every_strike_as_alone(
        a in in_domain(), moneyness in log_uniform(1e-3, 1e3), vol in log_uniform(1e-3, 9.0)) {
        let b = BsParams { strike: fx((f(a.spot) / moneyness).clamp(1e-6, 1e9)), vol: fx(vol), ..a };
        let (at, h) = (Spot::new(a.spot).unwrap(), Horizon::new(a.rate, a.expiry_secs).unwrap());
        for p in [a, b] {
            prop_assert_eq!(pair_at(&at, &h, p.strike, p.vol), black_scholes_pair(&p));
            for kind in [OptionKind::Call, OptionKind::Put] {
                prop_assert_eq!(price_at(kind, &at, &h, p.strike, p.vol), price(kind, &p));
                prop_assert_eq!(greeks_at(kind, &at, &h, p.strike, p.vol), black_scholes(kind, &p));
            }
        }
        // One leg at several spots (a margin cache): the price and delta of each alone.
        let leg = Leg::new(&h, b.strike, b.vol).unwrap();
        for spot in [a.spot, b.spot * 2, (b.spot / 3).max(MIN_PRICE)] {
            let at = Spot::new(spot.min(MAX_PRICE)).unwrap();
            for kind in [OptionKind::Call, OptionKind::Put] {
                let g = greeks_at(kind, &at, &h, b.strike, b.vol).unwrap();
                prop_assert_eq!(price_delta_at(kind, &at, &h, &leg).unwrap(), (g.price, g.delta));
            }
        }
        prop_assert_eq!(Leg::new(&h, a.strike, MAX_VOL + Fx::DELTA), Err(PricingError::VolOutOfDomain));
        let bad_strike = price_at(OptionKind::Call, &at, &h, MAX_PRICE + Fx::ONE, a.vol);
        prop_assert_eq!(bad_strike, Err(PricingError::StrikeOutOfDomain));
        prop_assert_eq!(price_at(OptionKind::Put, &at, &h, a.strike, Fx::ZERO), Err(PricingError::VolOutOfDomain));
    }

    #[test]
    fn any_input_returns_a_value_or_a_named_error_never_a_panic(
        spot in any::<i128>(), strike in any::<i128>(), vol in any::<i128>(),
        rate in any::<i128>(), expiry_secs in any::<u64>()) {
        let p = BsParams { spot: Fx::from_bits(spot), strike: Fx::from_bits(strike),
                           vol: Fx::from_bits(vol), rate: Fx::from_bits(rate), expiry_secs };
        // Inside the domain a value; outside it, the error `validate` names first.
        match p.validate() {
            Ok(()) => prop_assert!(black_scholes_pair(&p).is_ok()),
            Err(e) => {
                prop_assert_eq!(black_scholes_pair(&p).err(), Some(e));
                prop_assert_eq!(price(OptionKind::Put, &p).err(), Some(e));
            }
        }
    }

    #[test]
    fn edges_of_the_domain_never_panic(
        spot in prop_oneof![Just(MIN_PRICE), Just(MAX_PRICE), Just(Fx::ONE)],
        strike in prop_oneof![Just(MIN_PRICE), Just(MAX_PRICE), Just(Fx::ONE)],
        vol in prop_oneof![Just(MIN_VOL), Just(MAX_VOL)],
        rate in prop_oneof![Just(Fx::ZERO), Just(MAX_RATE)],
        expiry_secs in prop_oneof![Just(1u64), Just(MAX_EXPIRY_SECS)]) {
        let p = BsParams { spot, strike, vol, rate, expiry_secs };
        prop_assert!(black_scholes_pair(&p).is_ok());
    }

    #[test]
    fn prices_rise_with_vol(p in in_domain(), bump in 1.0001..2.0f64) {
        let hi = BsParams { vol: fx((f(p.vol) * bump).min(10.0)), ..p };
        prop_assert!(call(&hi) >= call(&p) - slack(&p));
        prop_assert!(put(&hi) >= put(&p) - slack(&p));
    }

    #[test]
    fn call_price_rises_with_time_and_put_too_without_rates(p in in_domain(), extra in 1u64..YEAR as u64) {
        let later = BsParams { expiry_secs: (p.expiry_secs + extra).min(MAX_EXPIRY_SECS), ..p };
        prop_assert!(call(&later) >= call(&p) - slack(&p));
        let (p0, later0) = (BsParams { rate: Fx::ZERO, ..p }, BsParams { rate: Fx::ZERO, ..later });
        prop_assert!(put(&later0) >= put(&p0) - slack(&p));
    }

    #[test]
    fn call_price_falls_and_put_price_rises_with_strike(p in in_domain(), bump in 1.0001..2.0f64) {
        let hi = BsParams { strike: fx((f(p.strike) * bump).min(1e9)), ..p };
        prop_assert!(call(&hi) <= call(&p) + slack(&hi));
        prop_assert!(put(&hi) >= put(&p) - slack(&hi));
    }

    #[test]
    fn prices_stay_between_discounted_intrinsic_and_their_caps(p in in_domain()) {
        let (s, tol) = (f(p.spot), slack(&p));
        let kd = f(p.strike) * (-f(p.rate) * p.expiry_secs as f64 / YEAR).exp();
        let (c, q) = (call(&p), put(&p));
        prop_assert!(c >= (s - kd).max(0.0) - tol && c <= s + tol, "call {} s {} kd {}", c, s, kd);
        prop_assert!(q >= (kd - s).max(0.0) - tol && q <= kd + tol, "put {} s {} kd {}", q, s, kd);
    }

    #[test]
    fn greeks_have_their_signs_and_bounds(p in in_domain()) {
        let (c, q) = black_scholes_pair(&p).unwrap();
        prop_assert!(c.delta >= 0 && c.delta <= 1);
        prop_assert!(q.delta >= -1 && q.delta <= 0);
        prop_assert_eq!(c.delta - q.delta, Fx::ONE);
        prop_assert!(c.gamma >= 0 && c.vega >= 0);
        prop_assert_eq!((c.gamma, c.vega), (q.gamma, q.vega));
    }
}

#[test]
fn a_spot_or_horizon_outside_the_domain_is_refused_by_name() {
    assert_eq!(Spot::new(MIN_PRICE - Fx::DELTA), Err(PricingError::SpotOutOfDomain));
    assert_eq!(Spot::new(MAX_PRICE + Fx::DELTA), Err(PricingError::SpotOutOfDomain));
    assert_eq!(Horizon::new(-Fx::DELTA, 86_400), Err(PricingError::RateOutOfDomain));
    assert_eq!(Horizon::new(MAX_RATE + Fx::DELTA, 86_400), Err(PricingError::RateOutOfDomain));
    assert_eq!(Horizon::new(Fx::ZERO, 0), Err(PricingError::ExpiryOutOfDomain));
    assert_eq!(Horizon::new(Fx::ZERO, MAX_EXPIRY_SECS + 1), Err(PricingError::ExpiryOutOfDomain));
    assert!(Spot::new(MIN_PRICE).is_ok() && Spot::new(MAX_PRICE).is_ok());
    assert!(Horizon::new(MAX_RATE, MAX_EXPIRY_SECS).is_ok() && Horizon::new(Fx::ZERO, 1).is_ok());
}
