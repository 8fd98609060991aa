//! Realised volatility from the oracle's own prints: an exponentially weighted variance of log
//! returns, each return weighted by the time it spans. Pure, fixed point.
//!
//! Each new print (a publish time later than the last one seen) contributes the annualised
//! sample `s = ln(P1 / P0)^2 x YEAR / dt`, an unbiased estimate of the variance rate over `dt`
//! whatever `dt` is. The estimate moves towards it by `alpha = 1 - 2^(-dt / H)` (H the
//! half-life), so a return's weight decays with the time since it, not with the number of
//! prints. Robustness:
//! - a print already seen, an older one, or one less than `MIN_SAMPLE_SECS` after the last one
//!   taken changes nothing (repeated reads of one print in a slot, a pull-oracle account
//!   carrying an older update; and whoever pushes updates cannot sample second by second: the
//!   bias of noise and of picking among close prints shrinks with the spacing);
//! - a gap counts as one return over the gap, and `alpha` is at most 1/2 (`dt` capped at H), so
//!   a single sample never replaces more than half the history;
//! - an outlier print's contribution is bounded: the sample is capped at
//!   `OUTLIER_VOL_MULTIPLE^2` times the current estimate (or at `YOUNG_CAP_VARIANCE` while the
//!   estimate is below it), so a bad print and its return to normal can move the estimate by at
//!   most `alpha x (OUTLIER_VOL_MULTIPLE^2 - 1)` of itself each; a real regime change still
//!   shows through, by that factor per print.
//!
//! The estimate is "mature" once it spans `MATURITY_HALF_LIVES` half-lives of prints, each
//! return counting for at most `MAX_SPAN_STEP_SECS`, and holds at least `MATURITY_SAMPLES`
//! returns (so a return across a long gap does not make it): before that nothing is floored or
//! tripped by it.

use crate::constants::SECONDS_PER_YEAR;
use crate::error::OptionsAmmError;
use crate::math::safe::{overflow, SafeMath};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// A sample is capped at this multiple of the current vol (squared, of the variance).
pub const OUTLIER_VOL_MULTIPLE: i128 = 3;

/// While the estimate is small, samples are capped at this variance at least (1.00 = a vol of
/// 100% a year), so it can grow from nothing.
pub const YOUNG_CAP_VARIANCE: Fx = Fx::ONE;

/// Half-lives of prints an estimate spans before it is mature.
pub const MATURITY_HALF_LIVES: i64 = 2;

/// Returns an estimate holds before it is mature.
pub const MATURITY_SAMPLES: u64 = 30;

/// A print is taken only this long after the last one taken, seconds.
pub const MIN_SAMPLE_SECS: i64 = 60;

/// The most one return adds to the span that maturity counts, seconds.
pub const MAX_SPAN_STEP_SECS: i64 = 600;

/// ln 2.
const LN_2: Fx = Fx::from_bits(12_786_308_645_202_655_660);

/// A realised-vol estimate and the print it has seen last.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RealisedVol {
    /// Exponentially weighted variance of log returns, annualised (vol^2).
    pub variance: Fx,
    /// Its square root: the realised vol (1.00 = 100% a year).
    pub vol: Fx,
    /// The last print: the natural log of its price (quote per whole underlying) and its
    /// publish time (0: none yet).
    pub log_price: Fx,
    pub publish_time: i64,
    /// Seconds of returns the estimate is made of (each counting at most
    /// `MAX_SPAN_STEP_SECS`), and how many returns.
    pub span_secs: i64,
    pub samples: u64,
}

fn engine<T>(r: core::result::Result<T, options_amm_pricing::PricingError>) -> Result<T> {
    r.map_err(|e| error!(OptionsAmmError::from(e)))
}

impl RealisedVol {
    /// Mature once it spans `MATURITY_HALF_LIVES` half-lives and `MATURITY_SAMPLES` returns.
    pub fn is_mature(&self, half_life_secs: u32) -> bool {
        self.samples >= MATURITY_SAMPLES
            && self.span_secs >= MATURITY_HALF_LIVES.saturating_mul(i64::from(half_life_secs))
    }

    /// The estimate after seeing the print `price` published at `publish_time`, with half-life
    /// `half_life_secs` (> 0). A print less than `MIN_SAMPLE_SECS` after the last one taken
    /// (or older) changes nothing.
    pub fn observe(&self, price: Fx, publish_time: i64, half_life_secs: u32) -> Result<Self> {
        require!(price > 0, OptionsAmmError::OracleNonPositivePrice);
        require!(half_life_secs > 0, OptionsAmmError::ParamsOutOfBounds);
        let next = self.publish_time.saturating_add(MIN_SAMPLE_SECS);
        if self.publish_time != 0 && publish_time < next {
            return Ok(*self);
        }
        let log_price = engine(options_amm_pricing::ln(price))?;
        if self.publish_time == 0 {
            return Ok(RealisedVol { log_price, publish_time, ..Default::default() });
        }
        let dt = publish_time.safe_sub(self.publish_time)?;
        let r = log_price.safe_sub(self.log_price)?;
        let sample = r
            .safe_mul(r)?
            .checked_mul_int(i128::from(SECONDS_PER_YEAR))
            .and_then(|v| v.checked_div_int(i128::from(dt)))
            .ok_or_else(overflow)?;
        let cap = self
            .variance
            .checked_mul_int(OUTLIER_VOL_MULTIPLE * OUTLIER_VOL_MULTIPLE)
            .ok_or_else(overflow)?
            .max(YOUNG_CAP_VARIANCE);
        let sample = sample.min(cap);
        let variance = if self.span_secs == 0 {
            sample
        } else {
            // alpha = 1 - 2^(-min(dt, H) / H), at most 1/2.
            let h = i64::from(half_life_secs);
            let x = LN_2
                .checked_mul_int(i128::from(dt.min(h)))
                .and_then(|v| v.checked_div_int(i128::from(h)))
                .ok_or_else(overflow)?;
            let alpha = Fx::ONE.safe_sub(engine(options_amm_pricing::exp(-x))?)?;
            self.variance.safe_add(alpha.safe_mul(sample.safe_sub(self.variance)?)?)?
        };
        let variance = variance.max(Fx::ZERO);
        Ok(RealisedVol {
            variance,
            vol: engine(options_amm_pricing::sqrt(variance))?,
            log_price,
            publish_time,
            span_secs: self.span_secs.saturating_add(dt.min(MAX_SPAN_STEP_SECS)),
            samples: self.samples.saturating_add(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const YEAR: f64 = 31_536_000.0;

    /// The same estimator in f64: the reference the fixed-point one is held to.
    fn reference(prints: &[(f64, i64)], h: f64) -> (f64, i64) {
        let (mut var, mut span) = (0.0f64, 0i64);
        let (mut p0, mut t0) = prints[0];
        for &(p, t) in &prints[1..] {
            if t < t0 + 60 {
                continue;
            }
            let dt = (t - t0) as f64;
            let r = (p / p0).ln();
            let cap = (9.0 * var).max(1.0);
            let s = (r * r * YEAR / dt).min(cap);
            var = if span == 0 { s } else { var + (1.0 - 0.5f64.powf(dt.min(h) / h)) * (s - var) };
            span += (t - t0).min(600);
            p0 = p;
            t0 = t;
        }
        (var.sqrt(), span)
    }

    fn run(prints: &[(f64, i64)], h: u32) -> RealisedVol {
        let mut est = RealisedVol::default();
        for &(p, t) in prints {
            est = est.observe(Fx::from_num(p), t, h).unwrap();
        }
        est
    }

    /// A geometric random walk of `n` prints at vol `sigma`, spaced `dt` (+ jitter) seconds.
    fn path(seed: u64, n: usize, sigma: f64, dt: i64) -> Vec<(f64, i64)> {
        let mut state = seed | 1;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut p, mut t) = (100.0f64, 1_700_000_000i64);
        let mut out = vec![(p, t)];
        for _ in 1..n {
            let step = dt + (uniform() * dt as f64) as i64;
            // Box-Muller normal.
            let z = (-2.0 * uniform().max(1e-300).ln()).sqrt()
                * (2.0 * std::f64::consts::PI * uniform()).cos();
            p *= (sigma * (step as f64 / YEAR).sqrt() * z).exp();
            t += step;
            out.push((p, t));
        }
        out
    }

    #[test]
    fn estimate_tracks_the_f64_reference_on_a_random_walk() {
        let prints = path(7, 2_000, 0.8, 60);
        let est = run(&prints, 3_600);
        let (vol, span) = reference(&prints, 3_600.0);
        assert_eq!(est.span_secs, span);
        let got = est.vol.to_num::<f64>();
        assert!((got - vol).abs() <= 1e-6 * vol.max(1.0), "fixed {got} vs f64 {vol}");
        // And the walk's own vol, within sampling error (~2000 returns, H = 60 prints).
        assert!((got - 0.8).abs() < 0.3, "estimate {got} far from the path's 0.8");
    }

    #[test]
    fn a_print_seen_again_or_an_older_one_changes_nothing() {
        let prints = path(3, 50, 0.5, 30);
        let est = run(&prints, 600);
        let (p, t) = prints[40];
        assert_eq!(est.observe(Fx::from_num(p), t, 600).unwrap(), est);
        let last = *prints.last().unwrap();
        assert_eq!(est.observe(Fx::from_num(last.0 * 1.5), last.1, 600).unwrap(), est);
    }

    #[test]
    fn one_outlier_print_moves_a_mature_estimate_by_at_most_its_bounded_share() {
        let h = 3_600u32;
        let prints = path(11, 3_000, 0.6, 10);
        let est = run(&prints, h);
        assert!(est.is_mature(h));
        let (p, t) = (est.log_price.to_num::<f64>().exp(), est.publish_time);
        // A print at ten times the price, then back to normal, a minute apart each.
        let bad = est.observe(Fx::from_num(p * 10.0), t + 60, h).unwrap();
        let back = bad.observe(Fx::from_num(p), t + 120, h).unwrap();
        let alpha = 1.0 - 0.5f64.powf(60.0 / h as f64);
        let bound = (1.0 + alpha * 8.0).powi(2) * est.variance.to_num::<f64>();
        assert!(back.variance.to_num::<f64>() <= bound * (1.0 + 1e-9));
        // Each capped sample moves the variance by at most 8 alpha (9% a minute apart): the
        // bad print and its return lift the vol by under 10%, where uncapped they would
        // multiply it (a 10x print: a sample of ln(10)^2 x 525,600 = 2.8 million).
        assert!(back.vol.to_num::<f64>() < est.vol.to_num::<f64>() * 1.1);
    }

    #[test]
    fn a_gap_counts_as_one_return_and_keeps_half_the_history() {
        let h = 600u32;
        let prints = path(5, 500, 0.4, 20);
        let est = run(&prints, h);
        let (p, t) = (est.log_price.to_num::<f64>().exp(), est.publish_time);
        // A day without prints, then a print 1% away: sample = 0.01^2 x 365 = 0.0365.
        let after = est.observe(Fx::from_num(p * 1.01), t + 86_400, h).unwrap();
        let r = 1.01f64.ln();
        let sample = (r * r * YEAR / 86_400.0).min((9.0 * est.variance.to_num::<f64>()).max(1.0));
        let expected = est.variance.to_num::<f64>() * 0.5 + sample * 0.5;
        assert!((after.variance.to_num::<f64>() - expected).abs() < 1e-9);
    }

    #[test]
    fn a_young_estimate_is_not_mature_until_two_half_lives_of_prints() {
        let prints = path(9, 60, 0.5, 60);
        let est = run(&prints[..20], 300);
        assert!(est.span_secs >= 600 && est.samples < 30 && !est.is_mature(300));
        let est = run(&prints, 300);
        assert!(est.samples >= 30 && est.is_mature(300));
    }

    #[test]
    fn prints_less_than_a_minute_apart_are_not_sampled() {
        let first = RealisedVol::default().observe(Fx::from_num(100), 1_000, 300).unwrap();
        let close = first.observe(Fx::from_num(101), 1_059, 300).unwrap();
        assert_eq!(close, first);
        let taken = first.observe(Fx::from_num(101), 1_060, 300).unwrap();
        assert_eq!((taken.samples, taken.publish_time), (1, 1_060));
    }

    #[test]
    fn one_return_across_a_long_gap_does_not_make_an_estimate_mature() {
        let first = RealisedVol::default().observe(Fx::from_num(100), 1_000, 300).unwrap();
        let one = first.observe(Fx::from_num(130), 1_000 + 86_400, 300).unwrap();
        assert!(one.span_secs >= 600 && !one.is_mature(300));
        assert_eq!(one.samples, 1);
    }

    #[test]
    fn a_non_positive_price_is_refused_by_name() {
        let e = RealisedVol::default().observe(Fx::ZERO, 1, 60).unwrap_err();
        assert_eq!(e, error!(OptionsAmmError::OracleNonPositivePrice));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Error bound: relative 1e-6 of the vol (or 1e-6 absolute below a vol of 1.00) against
        /// the f64 reference, over walks of 0-300% vol, 1 s - 1 h spacing, half-life 1 min - 1 day.
        #[test]
        fn estimate_matches_f64_within_one_part_per_million(
            seed in any::<u64>(),
            sigma in 0.0f64..3.0,
            dt in 1i64..3_600,
            h in 60u32..86_400,
            n in 2usize..400,
        ) {
            let prints = path(seed, n, sigma, dt);
            let est = run(&prints, h);
            let (vol, span) = reference(&prints, h as f64);
            prop_assert_eq!(est.span_secs, span);
            let got = est.vol.to_num::<f64>();
            prop_assert!((got - vol).abs() <= 1e-6 * vol.max(1.0), "fixed {} vs f64 {}", got, vol);
        }
    }
}
