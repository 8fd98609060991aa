//! How far a vanilla option's value can have moved since it was cached: the bound behind the LP
//! refresh band (`book::valuation::board_band`). Pure.
//!
//! A value V cached at (S0, tau_r, r0) with its delta0, re-priced at (S1, tau_n, r1), at vol sigma1, moves by delta0 (S1 - S0) plus three remainders, per unit:
//! - spot, at tau_r and r0: between 0 and min(Gamma_max dS^2 / 2, |dS|) for a vanilla (convex
//!   in spot; every delta lies in one unit interval), where Gamma_max = 1 / (S_lo sigma
//!   sqrt(2 pi tau_r)) bounds every vanilla's gamma between the two spots; a capped call (a
//!   difference of two vanillas) lies within +- that bound;
//! - time, at S1 and r0: |dV/dtau| <= S1 sigma phi(d1) / (2 sqrt tau) + r K_b, integrated from
//!   tau_n to tau_r: S1 sigma (sqrt tau_r - sqrt tau_n) / sqrt(2 pi) + r0 K_b dt;
//! - rate, at S1 and tau_n: |rho| <= K_b tau_n, times |r1 - r0|;
//! - vol, at S1, tau_n and r1, from the cached sigma0 to sigma1: every vanilla's vega is at most
//!   S1 sqrt(tau_n) / sqrt(2 pi) <= S1 sqrt(tau_r) / sqrt(2 pi) (a capped call, a difference of
//!   two vanillas of positive vega, too), times |sigma1 - sigma0|;
//!
//! with K_b the strike (puts, plain calls) or the cap strike (capped calls). Valid at any
//! distance from expiry; proptested against an f64 Black-Scholes where it is used.

use crate::constants::SECONDS_PER_YEAR;
use crate::error::OptionsAmmError;
use crate::math::safe::{overflow, SafeMath};
use crate::math::value::bps;
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// 1 / sqrt(2 pi), the standard normal density's peak.
const INV_SQRT_2PI: Fx = Fx::from_bits(7_359_186_146_747_302_912);

/// Whole seconds in years (a year is 31,536,000 s), rounded down, never negative.
fn years(secs: i64) -> Result<Fx> {
    Fx::from_num(secs.max(0)).checked_div_int(SECONDS_PER_YEAR as i128).ok_or_else(overflow)
}

fn sqrt(x: Fx) -> Result<Fx> {
    options_amm_pricing::sqrt(x).map_err(|e| error!(OptionsAmmError::from(e)))
}

/// The time and rate part of a cache's age, the same for every series of a board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Since {
    /// sqrt(tau_r): years to expiry at the cache, rooted.
    root_r: Fx,
    /// sqrt(tau_r) - sqrt(tau_n), never negative.
    root_gap: Fx,
    /// Per unit of K_b: r0 dt + tau_n |r1 - r0|.
    strike_part: Fx,
}

impl Since {
    /// A cache made at `cached_ts` with rate `r0_bps`, seen at `now` with rate `r1_bps`, on a
    /// board expiring at `expiry_ts`. Refused (`StaleGreekCache`) at or after expiry. A cache
    /// stamped after `now` (the cluster's clock may step back a little) counts as made now.
    pub fn new(cached_ts: i64, now: i64, expiry_ts: i64, r0_bps: u32, r1_bps: u32) -> Result<Self> {
        require!(now < expiry_ts, OptionsAmmError::StaleGreekCache);
        let dt = years(now.saturating_sub(cached_ts))?;
        let tau_n = years(expiry_ts.safe_sub(now)?)?;
        let root_r = sqrt(years(expiry_ts.safe_sub(cached_ts)?)?)?;
        let root_gap = root_r.safe_sub(sqrt(tau_n)?)?.max(Fx::ZERO);
        let dr = bps(r1_bps.abs_diff(r0_bps));
        let strike_part = bps(r0_bps).safe_mul(dt)?.safe_add(tau_n.safe_mul(dr)?)?;
        Ok(Since { root_r, root_gap, strike_part })
    }

    /// The spot move from `s0` (cached) to `s1`, for [`SpotMove::remainder`].
    pub fn spot(&self, s0: Fx, s1: Fx) -> Result<SpotMove> {
        let s_lo = s0.min(s1);
        require!(s_lo > 0, OptionsAmmError::StaleGreekCache);
        let ds = s1.safe_sub(s0)?.abs();
        let half_ds2 = ds.safe_mul(ds)? / 2;
        let gamma_part = half_ds2.safe_mul(INV_SQRT_2PI)?.safe_div(s_lo.safe_mul(self.root_r)?)?;
        let s1_pdf = s1.safe_mul(INV_SQRT_2PI)?;
        let decay_part = s1_pdf.safe_mul(self.root_gap)?;
        let vega_part = s1_pdf.safe_mul(self.root_r)?;
        Ok(SpotMove { ds, gamma_part, decay_part, vega_part })
    }
}

/// A spot move seen from one cache (the parts of the bound that do not depend on the series).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpotMove {
    /// |S1 - S0|.
    pub ds: Fx,
    /// dS^2 / (2 S_lo sqrt(2 pi tau_r)): the gamma remainder's bound without 1 / sigma.
    gamma_part: Fx,
    /// S1 (sqrt tau_r - sqrt tau_n) / sqrt(2 pi): the time decay's bound without sigma.
    decay_part: Fx,
    /// S1 sqrt(tau_r) / sqrt(2 pi): a bound on every vanilla's vega.
    vega_part: Fx,
}

impl SpotMove {
    /// The spot remainder's bound per unit at vol `vol`: min(Gamma_max dS^2 / 2, |dS|).
    pub fn remainder(&self, vol: Fx) -> Result<Fx> {
        require!(vol > 0, OptionsAmmError::UnpricedSeries);
        Ok(self.gamma_part.safe_div(vol)?.min(self.ds))
    }

    /// The vol part per unit: a move of the marks' vol by `dvol` (either way).
    pub fn vol_change(&self, dvol: Fx) -> Result<Fx> {
        self.vega_part.safe_mul(dvol.abs())
    }

    /// The time and rate parts per unit at vol `vol` for a series of bounding strike `k_b`.
    pub fn time_and_rate(&self, since: &Since, vol: Fx, k_b: Fx) -> Result<Fx> {
        self.decay_part.safe_mul(vol)?.safe_add(since.strike_part.safe_mul(k_b)?)
    }
}
