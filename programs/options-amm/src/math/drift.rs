//! How far a vanilla option's value can have moved since it was cached: the bound behind the LP
//! refresh band (`book::valuation::board_band`) and behind margin from cached shocked values
//! (`math::margin::cached_margin`). Pure.
//!
//! A value V cached at (S0, tau_r, r0) with its delta0, re-priced at (S1, tau_n, r1), with the
//! vol and strike unchanged, moves by delta0 (S1 - S0) plus three remainders, per unit:
//! - spot, at tau_r and r0: between 0 and min(Gamma_max dS^2 / 2, |dS|) for a vanilla (convex
//!   in spot; every delta lies in one unit interval), where Gamma_max = 1 / (S_lo sigma
//!   sqrt(2 pi tau_r)) bounds every vanilla's gamma between the two spots; a capped call (a
//!   difference of two vanillas) lies within +- that bound;
//! - time, at S1 and r0: |dV/dtau| <= S1 sigma phi(d1) / (2 sqrt tau) + r K_b, integrated from
//!   tau_n to tau_r: S1 sigma (sqrt tau_r - sqrt tau_n) / sqrt(2 pi) + r0 K_b dt;
//! - rate, at S1 and tau_n: |rho| <= K_b tau_n, times |r1 - r0|;
//!
//! with K_b the strike (puts, plain calls) or the cap strike (capped calls). Valid at any
//! distance from expiry; proptested against an f64 Black-Scholes where it is used.

use crate::constants::SECONDS_PER_YEAR;
use crate::error::OptionsAmmError;
use crate::math::safe::SafeMath;
use crate::math::value::bps;
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// 1 / sqrt(2 pi), the standard normal density's peak.
const INV_SQRT_2PI: Fx = Fx::from_bits(7_359_186_146_747_302_912);

/// 1 / (seconds in a year), rounded up: seconds times it bound their years from above.
const PER_YEAR_UP: Fx = Fx::from_bits(((1u128 << 64) / SECONDS_PER_YEAR as u128 + 1) as i128);

fn years(secs: i64) -> Result<Fx> {
    Fx::from_num(secs.max(0)).safe_mul(PER_YEAR_UP)
}

fn sqrt(x: Fx) -> Result<Fx> {
    options_amm_pricing::sqrt(x).map_err(|e| error!(OptionsAmmError::from(e)))
}

/// 1 / x for x > 0, rounded up (an upper bound: every use bounds a remainder's size).
pub fn inverse_up(x: Fx) -> Result<Fx> {
    require!(x > 0, OptionsAmmError::StaleGreekCache);
    Fx::ONE.safe_div(x)?.safe_add(Fx::DELTA)
}

/// 1 / sqrt(years from `from_ts` to `expiry_ts`), rounded up: what a refresh caches
/// (`Board::inv_root_tau`) so that a margin check needs no square root.
pub fn inverse_root_tau(from_ts: i64, expiry_ts: i64) -> Result<Fx> {
    require!(from_ts < expiry_ts, OptionsAmmError::StaleGreekCache);
    inverse_up(sqrt(years(expiry_ts.safe_sub(from_ts)?)?)?)
}

/// The time and rate part of a cache's age, the same for every series of a board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Since {
    /// 1 / sqrt(tau_r), at least: years to expiry at the cache.
    inv_root_r: Fx,
    /// At least sqrt(tau_r) - sqrt(tau_n), never negative.
    root_gap: Fx,
    /// Per unit of K_b, at least: r0 dt + tau_n |r1 - r0|.
    strike_part: Fx,
}

impl Since {
    /// A cache made at `cached_ts` with rate `r0_bps`, seen at `now` with rate `r1_bps`, on a
    /// board expiring at `expiry_ts`. Refused (`StaleGreekCache`) at or after expiry or for a
    /// cache from the future. The square roots are exact (the LP band's, once per board).
    pub fn new(cached_ts: i64, now: i64, expiry_ts: i64, r0_bps: u32, r1_bps: u32) -> Result<Self> {
        require!(now < expiry_ts && cached_ts <= now, OptionsAmmError::StaleGreekCache);
        let root_r = sqrt(years(expiry_ts.safe_sub(cached_ts)?)?)?;
        let root_gap = root_r.safe_sub(sqrt(years(expiry_ts.safe_sub(now)?)?)?)?.max(Fx::ZERO);
        Self::with(cached_ts, now, expiry_ts, r0_bps, r1_bps, inverse_up(root_r)?, root_gap)
    }

    /// [`Since::new`] from a cached 1 / sqrt(tau_r) (`inverse_root_tau`), without a square
    /// root: sqrt(tau_r) - sqrt(tau_n) = dt / (sqrt(tau_r) + sqrt(tau_n)) <= dt / sqrt(tau_r)
    /// (at most twice the exact gap, and equal to it to first order far from expiry).
    pub fn from_cache(
        cached_ts: i64,
        now: i64,
        expiry_ts: i64,
        r0_bps: u32,
        r1_bps: u32,
        inv_root_r: Fx,
    ) -> Result<Self> {
        require!(now < expiry_ts && cached_ts <= now, OptionsAmmError::StaleGreekCache);
        let root_gap = years(now.safe_sub(cached_ts)?)?.safe_mul(inv_root_r)?;
        Self::with(cached_ts, now, expiry_ts, r0_bps, r1_bps, inv_root_r, root_gap)
    }

    fn with(
        cached_ts: i64,
        now: i64,
        expiry_ts: i64,
        r0_bps: u32,
        r1_bps: u32,
        inv_root_r: Fx,
        root_gap: Fx,
    ) -> Result<Self> {
        let dt = years(now.safe_sub(cached_ts)?)?;
        let tau_n = years(expiry_ts.safe_sub(now)?)?;
        let dr = bps(r1_bps.abs_diff(r0_bps));
        let strike_part = bps(r0_bps).safe_mul(dt)?.safe_add(tau_n.safe_mul(dr)?)?;
        Ok(Since { inv_root_r, root_gap, strike_part })
    }

    /// The spot move from `s0` (cached) to `s1`, for [`SpotMove::remainder`].
    pub fn spot(&self, s0: Fx, s1: Fx) -> Result<SpotMove> {
        self.spot_with(s0, s1, inverse_up(s0.min(s1))?)
    }

    /// [`Since::spot`] given an upper bound `inv_s_lo` of 1 / min(s0, s1) (no division).
    pub fn spot_with(&self, s0: Fx, s1: Fx, inv_s_lo: Fx) -> Result<SpotMove> {
        require!(s0.min(s1) > 0, OptionsAmmError::StaleGreekCache);
        let ds = s1.safe_sub(s0)?.abs();
        let half_ds2 = ds.safe_mul(ds)? / 2;
        let scale = INV_SQRT_2PI.safe_mul(self.inv_root_r)?.safe_mul(inv_s_lo)?;
        let gamma_part = half_ds2.safe_mul(scale)?;
        let decay_part = s1.safe_mul(INV_SQRT_2PI)?.safe_mul(self.root_gap)?;
        Ok(SpotMove { ds, gamma_part, decay_part })
    }
}

/// A spot move seen from one cache (the parts of the bound that do not depend on the series).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpotMove {
    /// |S1 - S0|.
    pub ds: Fx,
    /// dS^2 / (2 S_lo sqrt(2 pi tau_r)), at least: the gamma remainder's bound without 1 / sigma.
    gamma_part: Fx,
    /// S1 (sqrt tau_r - sqrt tau_n) / sqrt(2 pi), at least: the time decay's bound without sigma.
    decay_part: Fx,
}

impl SpotMove {
    /// The spot remainder's bound per unit at vol `vol`: min(Gamma_max dS^2 / 2, |dS|).
    pub fn remainder(&self, vol: Fx) -> Result<Fx> {
        require!(vol > 0, OptionsAmmError::UnpricedSeries);
        self.remainder_with(inverse_up(vol)?)
    }

    /// [`SpotMove::remainder`] given an upper bound `inv_vol` of 1 / sigma (no division).
    pub fn remainder_with(&self, inv_vol: Fx) -> Result<Fx> {
        Ok(self.gamma_part.safe_mul(inv_vol)?.min(self.ds))
    }

    /// The time and rate parts per unit at vol `vol` for a series of bounding strike `k_b`.
    pub fn time_and_rate(&self, since: &Since, vol: Fx, k_b: Fx) -> Result<Fx> {
        self.decay_part.safe_mul(vol)?.safe_add(since.strike_part.safe_mul(k_b)?)
    }
}
