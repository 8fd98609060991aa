//! What a posted vol surface must satisfy: each vol in range, each moved by a bounded step
//! since the board's last post, and the board's prices free of static arbitrage. Pure.
//!
//! A surface is one vol per strike, shared by the call and the put of the strike (the marks,
//! trades and margins price both from it in one evaluation), so put-call parity
//! `C - P = S - K e^(-rT)` holds by construction at every strike; what a surface can break is
//! the shape of call prices across strikes. With `C_i` the Black-Scholes call at strike `K_i`
//! and its posted vol, and `s_i = (C_i - C_(i+1)) / (K_(i+1) - K_i)` the slopes:
//! - calls decrease in strike: `s_i >= 0` (else a call spread costs less than nothing);
//! - no faster than the discounted strike: `s_i <= e^(-rT)` (else a call spread pays more than
//!   its maximum, discounted);
//! - convex: `s_(i-1) >= s_i` (else a butterfly costs less than nothing).
//!
//! Each price is known to within `PRICE_TOLERANCE` of spot (the engine's error is below 3e-12
//! relative), so each comparison allows the tolerance of the prices it involves: a violation
//! smaller than that is not one the engine can see, nor one a trader could take after fees.

use crate::error::OptionsAmmError;
use crate::math::safe::{overflow, SafeMath};
use anchor_lang::prelude::*;
use options_amm_pricing::{BsParams, Fx, OptionKind};

/// The range a posted vol must lie in (1.00 = 100% a year).
pub const MIN_SURFACE_VOL: Fx = Fx::from_bits(1 << 64 >> 7); // 1/128 ~ 0.78%
pub const MAX_SURFACE_VOL: Fx = Fx::from_bits(5 << 64);

/// A price's tolerance, as a share of spot: 2^-32 (~2.3e-10).
const PRICE_TOLERANCE_SHIFT: u32 = 32;

/// Whole seconds in years, rounded down.
fn years(secs: u64) -> Result<Fx> {
    Fx::from_num(secs)
        .checked_div_int(i128::from(crate::constants::SECONDS_PER_YEAR))
        .ok_or_else(overflow)
}

fn engine<T>(r: core::result::Result<T, options_amm_pricing::PricingError>) -> Result<T> {
    r.map_err(|e| error!(OptionsAmmError::from(e)))
}

/// Refuses (`VolOutOfRange`) a vol outside [`MIN_SURFACE_VOL`, `MAX_SURFACE_VOL`].
pub fn check_range(vol: Fx) -> Result<()> {
    require!((MIN_SURFACE_VOL..=MAX_SURFACE_VOL).contains(&vol), OptionsAmmError::VolOutOfRange);
    Ok(())
}

/// A time-weighted average of vol (the GWAV marks use): `avg` moved towards `target` by
/// `elapsed / window_secs` of the gap (all of it after a whole window, none at once).
pub fn time_weighted(avg: Fx, target: Fx, elapsed: i64, window_secs: u32) -> Result<Fx> {
    require!(window_secs > 0, OptionsAmmError::ParamsOutOfBounds);
    let part = elapsed.clamp(0, i64::from(window_secs));
    let moved = target
        .safe_sub(avg)?
        .checked_mul_int(i128::from(part))
        .and_then(|v| v.checked_div_int(i128::from(window_secs)))
        .ok_or_else(overflow)?;
    avg.safe_add(moved)
}

/// Refuses (`VolFarFromRealised`) a vol outside [rv / k, rv x k] around a mature realised vol
/// `rv`, k = `band_bps` / 10,000 (no check without a mature estimate).
pub fn check_near_realised(vol: Fx, realised: Option<Fx>, band_bps: u32) -> Result<()> {
    let Some(rv) = realised else { return Ok(()) };
    let k = crate::math::value::bps(band_bps);
    // rv / k <= vol <= rv x k, without a division: rv <= vol x k and vol <= rv x k.
    let near = rv <= vol.safe_mul(k)? && vol <= rv.safe_mul(k)?;
    require!(near, OptionsAmmError::VolFarFromRealised);
    Ok(())
}

/// Slack on a step's limit for the rounding of vols posted in millionths (2^-40 ~ 9e-13): a
/// post of exactly the limit (80% to 88% at 10%) is not refused by a rounding unit.
const STEP_SLACK: Fx = Fx::from_bits(1 << 24);

/// Refuses (`VolStepTooLarge`) a move from `old` to `new` larger than `max_step` (absolute
/// vol) pro rata of `elapsed` over `step_secs` (at most one whole step, however long since).
/// With `max_step` no more than the half-spread (a joint rule of the parameters), no post moves
/// an option's price by more than a trade's half-spread charges: buying before a post and
/// selling after it pays.
pub fn check_step(old: Fx, new: Fx, elapsed: i64, max_step: Fx, step_secs: u32) -> Result<()> {
    require!(step_secs > 0, OptionsAmmError::ParamsOutOfBounds);
    let part = elapsed.clamp(0, i64::from(step_secs));
    let allowed = max_step
        .checked_mul_int(i128::from(part))
        .and_then(|v| v.checked_div_int(i128::from(step_secs)))
        .ok_or_else(overflow)?;
    require!(
        new.safe_sub(old)?.abs() <= allowed.safe_add(STEP_SLACK)?,
        OptionsAmmError::VolStepTooLarge
    );
    Ok(())
}

/// Refuses a surface whose call prices at `spot`, `rate_bps` and `secs` to expiry break static
/// no-arbitrage within the board (see the module's rules), each by its name. `strikes`
/// ascending, one vol each.
pub fn check_no_arbitrage(
    spot: Fx,
    rate_bps: u32,
    secs: u64,
    strikes: &[Fx],
    vols: &[Fx],
) -> Result<()> {
    require!(strikes.len() == vols.len(), OptionsAmmError::SurfaceStrikeCount);
    let rate = crate::math::value::bps(rate_bps);
    let discount = engine(options_amm_pricing::exp(-rate.safe_mul(years(secs)?)?))?;
    let tol = Fx::from_bits(spot.to_bits() >> PRICE_TOLERANCE_SHIFT);
    let call = |strike: Fx, vol: Fx| {
        engine(options_amm_pricing::price(
            OptionKind::Call,
            &BsParams { spot, strike, vol, rate, expiry_secs: secs },
        ))
    };
    let mut prev: Option<(Fx, Fx)> = None; // previous slope and its tolerance
    let mut left = (strikes[0], call(strikes[0], vols[0])?);
    for (&k, &v) in strikes.iter().zip(vols).skip(1) {
        let c = call(k, v)?;
        let dk = k.safe_sub(left.0)?;
        require!(dk > 0, OptionsAmmError::StrikesNotAscending);
        let slope = left.1.safe_sub(c)?.safe_div(dk)?;
        let slope_tol = tol.safe_mul(Fx::from_num(2))?.safe_div(dk)?;
        require!(slope >= -slope_tol, OptionsAmmError::SurfaceCallsNotDecreasing);
        require!(slope <= discount.safe_add(slope_tol)?, OptionsAmmError::SurfaceCallSlopeTooSteep);
        if let Some((s, s_tol)) = prev {
            require!(
                s.safe_add(s_tol)?.safe_add(slope_tol)? >= slope,
                OptionsAmmError::SurfaceCallsNotConvex
            );
        }
        prev = Some((slope, slope_tol));
        left = (k, c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECS_30D: u64 = 30 * 86_400;

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }

    fn check(strikes: &[f64], vols: &[f64]) -> Result<()> {
        let k: Vec<Fx> = strikes.iter().map(|&v| fx(v)).collect();
        let v: Vec<Fx> = vols.iter().map(|&v| fx(v)).collect();
        check_no_arbitrage(fx(100.0), 500, SECS_30D, &k, &v)
    }

    #[test]
    fn flat_and_smiling_surfaces_are_accepted() {
        let strikes = [70.0, 80.0, 90.0, 95.0, 100.0, 105.0, 110.0, 130.0];
        check(&strikes, &[0.8; 8]).unwrap();
        // A mild smile: 80% at the money, up 2 points per 10% of moneyness squared-ish.
        let smile: Vec<f64> =
            strikes.iter().map(|k| 0.8 + 0.2 * ((k / 100.0f64).ln()).powi(2) * 10.0).collect();
        check(&strikes, &smile).unwrap();
        // One strike: nothing to compare.
        check(&[100.0], &[0.5]).unwrap();
        // Strikes a millionth of spot apart, flat: rounding is not arbitrage.
        check(&[100.0, 100.0001, 100.0002], &[0.5; 3]).unwrap();
    }

    /// Hand-computed with an f64 Black-Scholes (S = 100, r = 5%, 30 days):
    /// C(100, 20%) = 2.493, C(101, 100%) = 11.14: calls rise with strike.
    #[test]
    fn a_call_dearer_than_a_lower_strike_is_refused_by_name() {
        let e = check(&[100.0, 101.0], &[0.2, 1.0]).unwrap_err();
        assert_eq!(e, error!(OptionsAmmError::SurfaceCallsNotDecreasing));
    }

    /// C(100, 200%) = 22.72, C(101, 1%) = 0.0022: a slope of 22.7 > e^(-rT) = 0.9959.
    #[test]
    fn a_call_spread_worth_more_than_its_discounted_width_is_refused_by_name() {
        let e = check(&[100.0, 101.0], &[2.0, 0.01]).unwrap_err();
        assert_eq!(e, error!(OptionsAmmError::SurfaceCallSlopeTooSteep));
    }

    /// Wings at 20%, the middle at 50%: slopes 0.452 then 0.577 (a negative-cost butterfly).
    #[test]
    fn a_butterfly_below_zero_is_refused_by_name() {
        let e = check(&[90.0, 100.0, 110.0], &[0.2, 0.5, 0.2]).unwrap_err();
        assert_eq!(e, error!(OptionsAmmError::SurfaceCallsNotConvex));
        // 30% in the middle keeps it convex (slopes 0.680 then 0.349).
        check(&[90.0, 100.0, 110.0], &[0.2, 0.3, 0.2]).unwrap();
    }

    #[test]
    fn steps_are_pro_rata_of_time_up_to_one_step() {
        let (old, step) = (fx(0.8), fx(0.005));
        // Half a vol point per minute: after 30 s a quarter point each way; after a day, one
        // step (half a point).
        check_step(old, fx(0.8025 - 1e-12), 30, step, 60).unwrap();
        check_step(old, fx(0.7975 + 1e-12), 30, step, 60).unwrap();
        let e = check_step(old, fx(0.8025 + 1e-9), 30, step, 60).unwrap_err();
        assert_eq!(e, error!(OptionsAmmError::VolStepTooLarge));
        assert!(check_step(old, fx(0.7975 - 1e-9), 30, step, 60).is_err());
        check_step(old, fx(0.805 - 1e-12), 86_400, step, 60).unwrap();
        assert!(check_step(old, fx(0.805 + 1e-9), 86_400, step, 60).is_err());
        // Exactly one step, posted in millionths, is within it.
        let m = crate::math::value::micro;
        check_step(m(800_000), m(805_000), 86_400, m(5_000), 60).unwrap();
        check_step(m(800_000), m(795_000), 86_400, m(5_000), 60).unwrap();
        assert!(check_step(m(800_000), m(805_001), 86_400, m(5_000), 60).is_err());
        // At the same second, nothing moves.
        check_step(old, old, 0, step, 60).unwrap();
        assert!(check_step(old, fx(0.8000001), 0, step, 60).is_err());
    }

    #[test]
    fn the_time_weighted_vol_moves_pro_rata_and_never_at_once() {
        let (avg, target) = (fx(0.5), fx(0.9));
        assert_eq!(time_weighted(avg, target, 0, 3_600).unwrap(), avg);
        let half = time_weighted(avg, target, 1_800, 3_600).unwrap();
        assert!((half.to_num::<f64>() - 0.7).abs() < 1e-15);
        assert_eq!(time_weighted(avg, target, 3_600, 3_600).unwrap(), target);
        assert_eq!(time_weighted(avg, target, 86_400, 3_600).unwrap(), target);
        // Down as well, and a clock step back moves nothing.
        let down = time_weighted(target, avg, 900, 3_600).unwrap();
        assert!((down.to_num::<f64>() - 0.8).abs() < 1e-15);
        assert_eq!(time_weighted(avg, target, -5, 3_600).unwrap(), avg);
    }

    #[test]
    fn a_vol_far_from_mature_realised_vol_is_refused_by_name() {
        // rv 40%, k = 3: [13.33%, 120%].
        let rv = Some(fx(0.4));
        check_near_realised(fx(1.2), rv, 30_000).unwrap();
        check_near_realised(fx(0.134), rv, 30_000).unwrap();
        for v in [1.2001, 0.133] {
            let e = check_near_realised(fx(v), rv, 30_000).unwrap_err();
            assert_eq!(e, error!(OptionsAmmError::VolFarFromRealised), "{v}");
        }
        // No mature estimate: no bound.
        check_near_realised(fx(4.0), None, 30_000).unwrap();
    }

    #[test]
    fn vols_outside_the_range_are_refused_by_name() {
        check_range(fx(0.01)).unwrap();
        check_range(fx(5.0)).unwrap();
        for v in [0.0, 0.007, 5.0001] {
            assert_eq!(check_range(fx(v)).unwrap_err(), error!(OptionsAmmError::VolOutOfRange));
        }
    }

    /// The f64 reference of the same three rules, exact: the smallest margin by which they hold
    /// (negative: the largest violation), in price units.
    fn arbitrage_margin_f64(strikes: &[f64], vols: &[f64], r: f64, t: f64) -> f64 {
        let call = |k: f64, v: f64| {
            let kind = options_amm_reference::Kind::Call;
            options_amm_reference::black_scholes(kind, 100.0, k, v, r, t * 31_536_000.0).price
        };
        let c: Vec<f64> = strikes.iter().zip(vols).map(|(&k, &v)| call(k, v)).collect();
        let d = (-r * t).exp();
        let mut margin = f64::INFINITY;
        for i in 0..c.len() - 1 {
            let (dc, dk) = (c[i] - c[i + 1], strikes[i + 1] - strikes[i]);
            margin = margin.min(dc).min(d * dk - dc);
            if i > 0 {
                let (pdc, pdk) = (c[i - 1] - c[i], strikes[i] - strikes[i - 1]);
                // s_(i-1) - s_i, in price units over the smaller width.
                margin = margin.min((pdc / pdk - dc / dk) * pdk.min(dk));
            }
        }
        margin
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        /// Random boards: the check agrees with the exact f64 rules wherever they hold or break
        /// by more than 1e-6 of spot (closer calls are within both sides' rounding).
        #[test]
        fn the_check_agrees_with_the_f64_rules(
            gaps in proptest::collection::vec(1.0f64..20.0, 1..8),
            vols in proptest::collection::vec(0.05f64..2.0, 8),
            days in 1u64..365,
        ) {
            let mut strikes = vec![60.0];
            for g in &gaps { strikes.push(strikes.last().unwrap() + g); }
            let vols = &vols[..strikes.len()];
            let t = (days * 86_400) as f64 / 31_536_000.0;
            let margin = arbitrage_margin_f64(&strikes, vols, 0.05, t);
            prop_assume!(margin.abs() > 1e-4);
            let f = margin > 0.0;
            let k: Vec<Fx> = strikes.iter().map(|&v| fx(v)).collect();
            let v: Vec<Fx> = vols.iter().map(|&v| fx(v)).collect();
            let got = check_no_arbitrage(fx(100.0), 500, days * 86_400, &k, &v).is_ok();
            prop_assert_eq!(got, f);
        }
    }
}
