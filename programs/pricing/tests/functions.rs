//! ln, exp, sqrt, normal pdf and cdf against f64 over their domains, and their named errors.
#![allow(clippy::float_arithmetic)]

mod common;
use common::{f, fx, Rng};
use options_amm_pricing::{exp, ln, norm_cdf, norm_pdf, sqrt, Fx, PricingError};

/// One unit in the last place of f64 near x, the reference's own resolution.
fn ulp(x: f64) -> f64 {
    x.abs().max(f64::MIN_POSITIVE) * f64::EPSILON
}

#[test]
fn ln_is_within_2_pow_minus_58_absolute_over_all_positive_fx() {
    let mut rng = Rng(11);
    let mut worst: f64 = 0.0;
    for _ in 0..200_000 {
        let x = fx(rng.log_uniform(1e-18, 9e18));
        let got = f(ln(x).unwrap());
        let want = f(x).ln();
        let err = (got - want).abs() - 2.0 * ulp(want);
        worst = worst.max(err);
        assert!(err <= 2f64.powi(-58), "ln({x}) = {got}, want {want}");
    }
    println!("ln worst absolute error beyond f64 rounding: {worst:.3e}");
    assert!(ln(Fx::ONE).unwrap().abs() <= Fx::from_bits(4));
}

#[test]
fn exp_is_within_2_pow_minus_51_relative_on_its_domain() {
    let mut rng = Rng(12);
    for _ in 0..200_000 {
        let x = fx(rng.uniform(-44.0, 43.6));
        let got = f(exp(x).unwrap());
        let want = f(x).exp();
        let tol = want * 2f64.powi(-51) + 2f64.powi(-64) + 4.0 * ulp(want);
        assert!((got - want).abs() <= tol, "exp({x}) = {got}, want {want}");
    }
    assert_eq!(exp(Fx::ZERO).unwrap(), Fx::ONE);
    assert_eq!(exp(fx(-50.0)).unwrap(), Fx::ZERO);
    assert_eq!(exp(Fx::MIN).unwrap(), Fx::ZERO);
}

#[test]
fn sqrt_is_within_2_pow_minus_58_relative_over_all_non_negative_fx() {
    let mut rng = Rng(13);
    for _ in 0..200_000 {
        let x = fx(rng.log_uniform(1e-18, 9e18));
        let got = f(sqrt(x).unwrap());
        let want = f(x).sqrt();
        let tol = want * 2f64.powi(-58) + 2f64.powi(-64) + 2.0 * ulp(want);
        assert!((got - want).abs() <= tol, "sqrt({x}) = {got}, want {want}");
    }
    assert_eq!(sqrt(Fx::ZERO).unwrap(), Fx::ZERO);
    assert!((sqrt(fx(4.0)).unwrap() - fx(2.0)).abs() <= Fx::from_bits(1 << 7));
}

#[test]
fn norm_cdf_is_within_2_pow_minus_56_absolute_and_symmetric() {
    let mut rng = Rng(14);
    for _ in 0..200_000 {
        let x = fx(rng.uniform(-12.0, 12.0));
        let got = f(norm_cdf(x));
        let want = common::norm_cdf(f(x));
        assert!(
            (got - want).abs() <= 2f64.powi(-56) + 4.0 * ulp(want),
            "N({x}) = {got}, want {want}"
        );
        assert_eq!(norm_cdf(x) + norm_cdf(-x), Fx::ONE, "N(x) + N(-x) at {x}");
    }
    assert_eq!(norm_cdf(Fx::MAX), Fx::ONE);
    assert_eq!(norm_cdf(Fx::MIN), Fx::ZERO);
}

#[test]
fn norm_pdf_is_within_2_pow_minus_53_absolute() {
    let mut rng = Rng(15);
    for _ in 0..200_000 {
        let x = fx(rng.uniform(-40.0, 40.0));
        let got = f(norm_pdf(x));
        let want = common::norm_pdf(f(x));
        assert!(
            (got - want).abs() <= 2f64.powi(-53) + 4.0 * ulp(want),
            "phi({x}) = {got}, want {want}"
        );
    }
    assert_eq!(norm_pdf(Fx::MAX), Fx::ZERO);
}

#[test]
fn out_of_domain_inputs_return_named_errors() {
    assert_eq!(ln(Fx::ZERO), Err(PricingError::LnOfNonPositive));
    assert_eq!(ln(fx(-1.0)), Err(PricingError::LnOfNonPositive));
    assert_eq!(ln(Fx::MIN), Err(PricingError::LnOfNonPositive));
    assert_eq!(sqrt(fx(-1e-9)), Err(PricingError::SqrtOfNegative));
    assert_eq!(sqrt(Fx::MIN), Err(PricingError::SqrtOfNegative));
    assert_eq!(exp(fx(43.7)), Err(PricingError::ExpOverflow));
    assert_eq!(exp(Fx::MAX), Err(PricingError::ExpOverflow));
    // Every positive Fx, including the extremes, has a logarithm and a root.
    assert!(ln(Fx::DELTA).is_ok() && ln(Fx::MAX).is_ok());
    assert!(sqrt(Fx::DELTA).is_ok() && sqrt(Fx::MAX).is_ok());
}
