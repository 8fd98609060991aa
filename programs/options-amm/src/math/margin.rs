//! Margin rules for traders' short options, pure: priced series by series ([`margin`]) or from
//! a board's cache ([`cached_margin`]).
//!
//! For each short series, the requirement per contract is its Black-Scholes value under the
//! worst of two scenarios, spot shocked up and down (a larger shock for initial than for
//! maintenance margin), with the vol shocked up; never below a static minimum (a share of
//! spot), never above the option's maximum payoff (full collateral). Spot is first biased
//! against the trader by the oracle's confidence interval. Longs count toward collateral at
//! their mark (also biased against the trader) less a haircut.

use crate::error::OptionsAmmError;
use crate::math::drift::{inverse_up, Since, SpotMove};
use crate::math::fill::{max_payoff, series_price, vanilla_greeks};
use crate::math::safe::SafeMath;
use crate::math::value::bps;
use crate::state::Kind;
use crate::state::CALL;
use anchor_lang::prelude::*;
use options_amm_pricing::{Fx, Greeks, MAX_PRICE, MAX_VOL, MIN_PRICE};

pub use crate::state::MarginParams;

/// Initial (to open risk or withdraw) or maintenance (below it: liquidatable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Initial,
    Maintenance,
}

impl Level {
    /// The index of this level in a board's margin cache (initial 0, maintenance 1).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One series of a trader's account: signed size in whole contracts (+ long, - short).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exposure {
    pub kind: Kind,
    pub strike: Fx,
    pub base_vol: Fx,
    pub expiry_secs: u64,
    pub size: Fx,
}

/// What an account's positions require and what its longs are worth as collateral, quote whole
/// units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarginTotals {
    pub requirement: Fx,
    pub long_value: Fx,
}

impl MarginTotals {
    /// Adds another set of totals (checked).
    pub fn add(&mut self, other: MarginTotals) -> Result<()> {
        self.requirement = self.requirement.safe_add(other.requirement)?;
        self.long_value = self.long_value.safe_add(other.long_value)?;
        Ok(())
    }

    /// Equity (collateral + haircut longs) minus requirement: negative means below the level.
    pub fn excess(&self, collateral: Fx) -> Result<Fx> {
        collateral.safe_add(self.long_value)?.safe_sub(self.requirement)
    }
}

/// Spot biased against the holder: a short call or a long put fears a higher spot, a short put
/// or a long call a lower one.
fn biased_spot(kind: Kind, short: bool, spot: Fx, conf: Fx) -> Result<Fx> {
    let fears_higher = (kind == CALL) == short;
    if fears_higher {
        Ok(spot.safe_add(conf)?.min(MAX_PRICE))
    } else {
        Ok(spot.safe_sub(conf)?.max(MIN_PRICE))
    }
}

/// `series_price` without the cap leg: a call's plain price.
const NO_CAP: u32 = 0;

/// Spot after the shock that hurts a short of `kind`: up for a call (a call spread's value rises
/// with spot), down for a put (its value falls). One evaluation per short series instead of
/// pricing both shocks and taking the larger; `the_adverse_shock_is_the_larger_of_the_two`
/// checks the equivalence. Clamped to the engine's domain, so any in-bounds shock values.
fn shocked(kind: Kind, spot: Fx, shock: Fx) -> Result<Fx> {
    if kind == CALL {
        Ok(spot.safe_mul(Fx::ONE.safe_add(shock)?)?.min(MAX_PRICE))
    } else {
        Ok(spot.safe_mul(Fx::ONE.safe_sub(shock)?)?.max(MIN_PRICE))
    }
}

/// The margin vol: the base vol shocked up, clamped to the engine's domain (a bounded vol
/// shock on a high-vol board must never make an account unvaluable).
pub fn shocked_vol(base_vol: Fx, vol_shock_bps: u32) -> Result<Fx> {
    Ok(base_vol.safe_mul(Fx::ONE.safe_add(bps(vol_shock_bps))?)?.min(MAX_VOL))
}

/// Requirement and long value of `positions` at the oracle `spot` +- `conf`.
pub fn margin(
    positions: &[Exposure],
    spot: Fx,
    conf: Fx,
    rate_bps: u32,
    cap_bps: u32,
    p: &MarginParams,
    level: Level,
) -> Result<MarginTotals> {
    let shock = bps(match level {
        Level::Initial => p.im_spot_shock_bps,
        Level::Maintenance => p.mm_spot_shock_bps,
    });
    let mut totals = MarginTotals::default();
    for e in positions.iter().filter(|e| e.size != 0) {
        let short = e.size < 0;
        let s = biased_spot(e.kind, short, spot, conf)?;
        let price_at = |spot: Fx, vol: Fx| {
            series_price(e.kind, spot, e.strike, vol, rate_bps, e.expiry_secs, cap_bps)
        };
        let q = e.size.checked_abs().ok_or(OptionsAmmError::MathOverflow)?;
        if short {
            // The plain call bounds the call spread's value from above (by the cap call's
            // value, small at the cap strike): one engine evaluation per short series, and the
            // requirement errs toward more margin. It is capped at the maximum payoff below.
            let vol = shocked_vol(e.base_vol, p.vol_shock_bps)?;
            let worst = series_price(
                e.kind,
                shocked(e.kind, s, shock)?,
                e.strike,
                vol,
                rate_bps,
                e.expiry_secs,
                NO_CAP,
            )?;
            let floor = s.safe_mul(bps(p.min_margin_bps))?;
            let per_contract = worst.max(floor).min(max_payoff(e.kind, e.strike, cap_bps)?);
            totals.requirement = totals.requirement.safe_add(q.safe_mul(per_contract)?)?;
        } else {
            let value =
                (price_at(s, e.base_vol)?).safe_mul(Fx::ONE.safe_sub(bps(p.long_haircut_bps))?)?;
            totals.long_value = totals.long_value.safe_add(q.safe_mul(value)?)?;
        }
    }
    Ok(totals)
}

/// Which side of the cache's bound a margin check takes, when a board's cache serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimate {
    /// Price every series at the oracle spot and now: the reference (the fuzzer's), and what a
    /// check falls back to on a board whose cache does not match (never refreshed, or the
    /// margin shocks changed since).
    Exact,
    /// The requirement at the top of the bound and longs at the bottom: for checks that let
    /// risk in (sells, collateral withdrawals). Never less margin than `Exact`.
    Prudent,
    /// The requirement at the bottom and longs at the top: for checks that take from the
    /// trader (a liquidation's eligibility and its limit). Nobody is liquidated whom `Exact`
    /// would not liquidate.
    Lenient,
}

/// What a refresh caches for margin at one strike and one level: the plain call at spot shocked
/// up and the plain put at spot shocked down, both at vol shocked up (indexed by kind).
pub fn shocked_greeks(
    spot: Fx,
    strike: Fx,
    base_vol: Fx,
    rate_bps: u32,
    secs: u64,
    shock_bps: u32,
    vol_shock_bps: u32,
) -> Result<[Greeks; 2]> {
    let vol = shocked_vol(base_vol, vol_shock_bps)?;
    let at = |kind: Kind| {
        let s = shocked(kind, spot, bps(shock_bps))?;
        vanilla_greeks(kind, s, strike, vol, rate_bps, secs)
    };
    Ok([at(Kind::Call)?, at(Kind::Put)?])
}

/// One series of an account with what its board cached at the last refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachedExposure {
    pub kind: Kind,
    pub strike: Fx,
    pub base_vol: Fx,
    /// Signed size in whole contracts (+ long, - short).
    pub size: Fx,
    /// The series' mark and delta at the refresh (capped calls).
    pub mark: Fx,
    pub delta: Fx,
    /// The plain option's value and delta at the level's shocks at the refresh.
    pub shocked_value: Fx,
    pub shocked_delta: Fx,
    /// 1 / vol (rounded up) at the vol its value uses: shocked for a short, base for a long.
    pub inv_vol: Fx,
}

/// Where a board's cache was made: the refresh's spot and its inverse (rounded up), and the
/// cache's age (`math::drift::Since`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheFrame {
    pub spot: Fx,
    pub inv_spot: Fx,
    pub since: Since,
}

/// The spot a check values one (kind, side) at: biased by the confidence against the holder,
/// shocked against a short; with what bounds the move from a board's cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Point {
    /// The biased spot (floors use it).
    biased: Fx,
    /// Where the value is taken: the biased spot, shocked for a short.
    at: Fx,
    /// 1 / `at`, rounded up.
    inv_at: Fx,
    /// The inverse of the shock's factor (1 for a long), rounded up: a cache made at S0 is at
    /// S0 x factor, whose inverse is at most inv(S0) x inv(factor).
    inv_factor: Fx,
}

/// What one margin check fixes for every board and series: the oracle spot and confidence, the
/// level, and the four (kind, side) points, each worked out once when first needed.
pub struct CheckPoint {
    spot: Fx,
    conf: Fx,
    shock: Fx,
    points: [Option<Point>; 4],
}

impl CheckPoint {
    pub fn new(spot: Fx, conf: Fx, p: &MarginParams, level: Level) -> Self {
        let shock = bps(match level {
            Level::Initial => p.im_spot_shock_bps,
            Level::Maintenance => p.mm_spot_shock_bps,
        });
        CheckPoint { spot, conf, shock, points: [None; 4] }
    }

    fn point(&mut self, kind: Kind, short: bool) -> Result<Point> {
        let i = 2 * kind.index() + usize::from(short);
        if let Some(p) = self.points[i] {
            return Ok(p);
        }
        let biased = biased_spot(kind, short, self.spot, self.conf)?;
        let factor = if kind == CALL {
            Fx::ONE.safe_add(self.shock)?
        } else {
            Fx::ONE.safe_sub(self.shock)?
        };
        let at = if short { shocked(kind, biased, self.shock)? } else { biased };
        let p = Point {
            biased,
            at,
            inv_at: inverse_up(at)?,
            inv_factor: if short { inverse_up(factor)? } else { Fx::ONE },
        };
        self.points[i] = Some(p);
        Ok(p)
    }
}

/// [`margin`] from a board's cache instead of pricing: each value is the cached one moved by its
/// cached delta times the spot move, plus (`Prudent`) or minus (`Lenient`) `math::drift`'s
/// bound on the rest, so that a `Prudent` requirement is never below [`margin`]'s and a
/// `Lenient` one never above (the proptest `the_cache_brackets_exact_margin` checks both
/// against an f64 Black-Scholes). Shorts: the plain option at the shocked (and
/// confidence-biased) spot, a vanilla, so convex in spot: its spot remainder is at least 0.
/// Floors and caps as in [`margin`]. No division and no engine evaluation per series.
pub fn cached_margin(
    positions: &[CachedExposure],
    frame: &CacheFrame,
    check: &mut CheckPoint,
    cap_bps: u32,
    p: &MarginParams,
    estimate: Estimate,
) -> Result<MarginTotals> {
    let prudent = match estimate {
        Estimate::Prudent => true,
        Estimate::Lenient => false,
        Estimate::Exact => return err!(OptionsAmmError::MarginCacheMismatch),
    };
    let since = &frame.since;
    // Each (kind, side)'s spot move from this board's cache, once.
    let mut moves: [Option<(Point, Fx, SpotMove)>; 4] = [None; 4];
    let mut totals = MarginTotals::default();
    for e in positions.iter().filter(|e| e.size != 0) {
        let short = e.size < 0;
        let i = 2 * e.kind.index() + usize::from(short);
        let (pt, s0, moved) = match moves[i] {
            Some(m) => m,
            None => {
                let pt = check.point(e.kind, short)?;
                let s0 = if short { shocked(e.kind, frame.spot, check.shock)? } else { frame.spot };
                let inv_s0 = frame.inv_spot.safe_mul(pt.inv_factor)?;
                let moved = since.spot_with(s0, pt.at, inv_s0.max(pt.inv_at))?;
                moves[i] = Some((pt, s0, moved));
                (pt, s0, moved)
            }
        };
        let q = e.size.checked_abs().ok_or(OptionsAmmError::MathOverflow)?;
        let cap = max_payoff(e.kind, e.strike, cap_bps)?;
        let (value, delta) =
            if short { (e.shocked_value, e.shocked_delta) } else { (e.mark, e.delta) };
        let first = value.safe_add(delta.safe_mul(pt.at.safe_sub(s0)?)?)?;
        if short {
            let vol = shocked_vol(e.base_vol, p.vol_shock_bps)?;
            let rest = moved.time_and_rate(since, vol, e.strike)?;
            let worst = if prudent {
                first.safe_add(moved.remainder_with(e.inv_vol)?)?.safe_add(rest)?
            } else {
                first.safe_sub(rest)?
            };
            let floor = pt.biased.safe_mul(bps(p.min_margin_bps))?;
            let per_contract = worst.max(floor).min(cap);
            totals.requirement = totals.requirement.safe_add(q.safe_mul(per_contract)?)?;
        } else {
            let k_b = match e.kind {
                Kind::Put => e.strike,
                Kind::Call => cap.safe_add(e.strike)?,
            };
            let band = moved
                .remainder_with(e.inv_vol)?
                .safe_add(moved.time_and_rate(since, e.base_vol, k_b)?)?;
            let value = if prudent { first.safe_sub(band)? } else { first.safe_add(band)? };
            let value = value.max(Fx::ZERO).min(cap);
            let haircut = value.safe_mul(Fx::ONE.safe_sub(bps(p.long_haircut_bps))?)?;
            totals.long_value = totals.long_value.safe_add(q.safe_mul(haircut)?)?;
        }
    }
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::fill::series_greeks;
    use crate::state::PUT;

    const P: MarginParams = MarginParams {
        im_spot_shock_bps: 2_000,
        mm_spot_shock_bps: 1_200,
        vol_shock_bps: 2_500,
        min_margin_bps: 500,
        long_haircut_bps: 3_000,
        liquidation_penalty_bps: 200,
        keeper_penalty_share_bps: 5_000,
        reserved: 0,
    };
    const DAY: u64 = 86_400;

    fn fx(v: i64) -> Fx {
        Fx::from_num(v)
    }

    fn short(kind: Kind, strike: i64, size: i64) -> Exposure {
        Exposure {
            kind,
            strike: fx(strike),
            base_vol: Fx::from_num(0.8),
            expiry_secs: 14 * DAY,
            size: fx(-size),
        }
    }

    fn m(positions: &[Exposure], level: Level) -> MarginTotals {
        margin(positions, fx(150), Fx::from_num(0.05), 500, 30_000, &P, level).unwrap()
    }

    #[test]
    fn the_adverse_shock_is_the_larger_of_the_two() {
        let mut checked = 0;
        for kind in [CALL, PUT] {
            for strike in [50, 100, 140, 150, 160, 250, 440] {
                for (vol, secs) in [(10, 600), (80, 14 * DAY), (300, 400 * DAY)] {
                    for shock in [300, 1_200, 2_000, 9_000] {
                        let (s, v) = (fx(150), fx(vol) / 100);
                        let at = |spot| {
                            series_price(kind, spot, fx(strike), v, 500, secs, 30_000).unwrap()
                        };
                        let up = at(s.safe_mul(Fx::ONE + bps(shock)).unwrap());
                        let down = at(s.safe_mul(Fx::ONE - bps(shock)).unwrap());
                        let worst = at(shocked(kind, s, bps(shock)).unwrap());
                        assert_eq!(worst, up.max(down), "kind {kind:?} K {strike} vol {vol}");
                        let plain = series_price(kind, s, fx(strike), v, 500, secs, NO_CAP);
                        assert!(plain.unwrap() >= at(s), "the plain price bounds the spread");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 168);
    }

    #[test]
    fn maintenance_is_below_initial_and_both_cover_more_than_the_mark() {
        let pos = [short(PUT, 140, 3)];
        let (im, mm) = (m(&pos, Level::Initial), m(&pos, Level::Maintenance));
        let mark = series_greeks(PUT, fx(150), fx(140), Fx::from_num(0.8), 500, 14 * DAY, 30_000)
            .unwrap()
            .price;
        assert!(im.requirement > mm.requirement);
        assert!(mm.requirement > mark * 3);
    }

    #[test]
    fn requirement_is_capped_at_full_collateral_and_has_a_floor() {
        // Deep in the money capped call (spot 1,000, strike 150, cap 3x): the shocked plain
        // call is worth about 1,050 (f64: 1,200 - 150), above the call spread's maximum payoff
        // 2 x 150 = 300, so the requirement is exactly full collateral, 3 x 300.
        let deep = [short(CALL, 150, 3)];
        let r = margin(&deep, fx(1_000), Fx::ZERO, 500, 30_000, &P, Level::Initial).unwrap();
        assert_eq!(r.requirement, fx(900));
        // A put struck at 5 with spot 150: the floor (5% of spot = 7.5) exceeds what the put can
        // ever pay (5), so the cap binds on the floor: 5 a contract.
        let tiny = [short(PUT, 5, 2)];
        let r = margin(&tiny, fx(150), Fx::ZERO, 500, 30_000, &P, Level::Initial).unwrap();
        assert_eq!(r.requirement, fx(10));
        // Far out of the money call: worth ~0 even shocked; the floor is 5% of spot.
        let far = [short(CALL, 400, 1)];
        let r = margin(&far, fx(150), Fx::ZERO, 500, 30_000, &P, Level::Initial).unwrap();
        assert_eq!(r.requirement, fx(150) * bps(500));
    }

    #[test]
    fn longs_count_with_a_haircut_and_shorts_sum_across_series() {
        let long = Exposure { size: fx(2), ..short(CALL, 150, 0) };
        let r = m(&[long], Level::Initial);
        let mark = series_greeks(
            CALL,
            fx(150) - Fx::from_num(0.05),
            fx(150),
            Fx::from_num(0.8),
            500,
            14 * DAY,
            30_000,
        )
        .unwrap()
        .price;
        assert_eq!(r.requirement, Fx::ZERO);
        assert_eq!(r.long_value, fx(2) * (mark * (Fx::ONE - bps(3_000))));
        let a = m(&[short(PUT, 140, 1)], Level::Initial).requirement;
        let b = m(&[short(CALL, 160, 1)], Level::Initial).requirement;
        assert_eq!(
            m(&[short(PUT, 140, 1), short(CALL, 160, 1)], Level::Initial).requirement,
            a + b
        );
    }

    #[test]
    fn wider_confidence_raises_the_requirement() {
        let pos = [short(CALL, 160, 1), short(PUT, 140, 1)];
        let tight = margin(&pos, fx(150), Fx::ZERO, 500, 30_000, &P, Level::Maintenance).unwrap();
        let wide = margin(&pos, fx(150), fx(3), 500, 30_000, &P, Level::Maintenance).unwrap();
        assert!(wide.requirement > tight.requirement);
    }

    #[test]
    fn excess_is_equity_minus_requirement() {
        let t = MarginTotals { requirement: fx(100), long_value: fx(30) };
        assert_eq!(t.excess(fx(80)).unwrap(), fx(10));
        assert_eq!(t.excess(fx(60)).unwrap(), fx(-10));
    }

    /// A board's cache for one series as `refresh_board` makes it at (s0, secs_r, r0).
    fn cached(
        kind: Kind,
        s0: Fx,
        k: Fx,
        vol: Fx,
        r0: u32,
        secs_r: u64,
        size: Fx,
    ) -> [CachedExposure; 2] {
        let mark = series_greeks(kind, s0, k, vol, r0, secs_r, 30_000).unwrap();
        [P.im_spot_shock_bps, P.mm_spot_shock_bps].map(|shock| {
            let w = shocked_greeks(s0, k, vol, r0, secs_r, shock, P.vol_shock_bps).unwrap();
            let v = if size < 0 { shocked_vol(vol, P.vol_shock_bps).unwrap() } else { vol };
            CachedExposure {
                kind,
                strike: k,
                base_vol: vol,
                size,
                mark: mark.price,
                delta: mark.delta,
                shocked_value: w[kind.index()].price,
                shocked_delta: w[kind.index()].delta,
                inv_vol: inverse_up(v).unwrap(),
            }
        })
    }

    /// A board's frame as `refresh_board` caches it at `cached_ts` and a check sees it at `now`.
    fn frame_of(s0: Fx, cached_ts: i64, now: i64, expiry: i64, r0: u32, r1: u32) -> CacheFrame {
        let inv_root = crate::math::drift::inverse_root_tau(cached_ts, expiry).unwrap();
        CacheFrame {
            spot: s0,
            inv_spot: inverse_up(s0).unwrap(),
            since: Since::from_cache(cached_ts, now, expiry, r0, r1, inv_root).unwrap(),
        }
    }

    /// [`cached_margin`] of one series at `spot` +- `conf`.
    fn cached_at(
        c: &CachedExposure,
        frame: &CacheFrame,
        spot: Fx,
        conf: Fx,
        level: Level,
        estimate: Estimate,
    ) -> Result<MarginTotals> {
        let mut check = CheckPoint::new(spot, conf, &P, level);
        cached_margin(std::slice::from_ref(c), frame, &mut check, 30_000, &P, estimate)
    }

    /// At the refresh's own spot, time and rate (no confidence) the cache is exact: both
    /// estimates equal the priced margin to the last bit of the engine's price.
    #[test]
    fn a_fresh_cache_gives_the_priced_margin() {
        let (s0, secs) = (fx(150), 14 * DAY);
        for (kind, strike, size) in [(CALL, 160, -3), (PUT, 140, -2), (CALL, 150, 4), (PUT, 120, 1)]
        {
            let k = fx(strike);
            let vol = Fx::from_num(0.8);
            let exact =
                Exposure { kind, strike: k, base_vol: vol, expiry_secs: secs, size: fx(size) };
            for level in [Level::Initial, Level::Maintenance] {
                let c = cached(kind, s0, k, vol, 500, secs, fx(size))[level.index()];
                let frame = frame_of(s0, 1_000, 1_000, 1_000 + secs as i64, 500, 500);
                let priced = margin(&[exact], s0, Fx::ZERO, 500, 30_000, &P, level).unwrap();
                for estimate in [Estimate::Prudent, Estimate::Lenient] {
                    let t = cached_at(&c, &frame, s0, Fx::ZERO, level, estimate).unwrap();
                    let tol = Fx::from_bits(1 << 20);
                    assert!((t.requirement - priced.requirement).abs() <= tol, "{kind:?} {strike}");
                    assert!((t.long_value - priced.long_value).abs() <= tol, "{kind:?} {strike}");
                }
            }
        }
    }

    #[test]
    fn the_cache_is_refused_as_exact() {
        let c = cached(PUT, fx(150), fx(140), Fx::from_num(0.8), 500, DAY, fx(-1))[0];
        let frame = frame_of(fx(150), 0, 0, DAY as i64, 500, 500);
        let e = cached_at(&c, &frame, fx(150), Fx::ZERO, Level::Initial, Estimate::Exact);
        assert_eq!(e.unwrap_err(), OptionsAmmError::MarginCacheMismatch.into());
    }

    mod property {
        use super::super::*;
        use super::{cached, cached_at, frame_of, P};
        use crate::state::PUT;
        use proptest::prelude::*;

        /// The requirement and long value of one series at (s1, conf, tau_n, r1), from an f64
        /// Black-Scholes (`options-amm-reference`): the independent oracle of [`margin`].
        fn f64_margin(
            kind: Kind,
            s1: f64,
            conf: f64,
            k: f64,
            vol: f64,
            r1: f64,
            secs: f64,
            size: f64,
            level: Level,
        ) -> (f64, f64) {
            let rk = match kind {
                CALL => options_amm_reference::Kind::Call,
                _ => options_amm_reference::Kind::Put,
            };
            let short = size < 0.0;
            let fears_higher = (kind == CALL) == short;
            let s = if fears_higher { s1 + conf } else { s1 - conf };
            let cap = if kind == CALL { 2.0 * k } else { k };
            if short {
                let shock = match level {
                    Level::Initial => P.im_spot_shock_bps,
                    Level::Maintenance => P.mm_spot_shock_bps,
                } as f64
                    / 1e4;
                let at = if kind == CALL { s * (1.0 + shock) } else { s * (1.0 - shock) };
                let v = vol * (1.0 + P.vol_shock_bps as f64 / 1e4);
                let w = options_amm_reference::black_scholes(rk, at, k, v, r1, secs).price;
                let per = w.max(s * P.min_margin_bps as f64 / 1e4).min(cap);
                (-size * per, 0.0)
            } else {
                let v = options_amm_reference::series_price(rk, s, k, 30_000, vol, r1, secs);
                (0.0, size * v.max(0.0).min(cap) * (1.0 - P.long_haircut_bps as f64 / 1e4))
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3_000, ..ProptestConfig::default() })]

            /// Whatever the series (kind, strike, vol, side), the spot move since the refresh
            /// (up to the 5% the cache limit allows at most), the confidence, the time left (a
            /// minute to two years), the cache's age (up to an hour) and a rate change: the
            /// `Lenient` requirement is at most the f64 Black-Scholes margin and the `Prudent`
            /// one at least; the other way round for a long's value.
            #[test]
            fn the_cache_brackets_exact_margin(
                s0 in 1.0f64..5_000.0,
                m in -0.05f64..0.05,
                conf_bp in 0u32..100,
                f in 0.5f64..1.6,
                vol in 0.05f64..3.0,
                left_exp in 1.8f64..7.8,
                dt in 0i64..3_600,
                r0 in 0u32..2_000,
                r1 in 0u32..2_000,
                size in -1_000i64..1_000,
                call in any::<bool>(),
                initial in any::<bool>(),
            ) {
                prop_assume!(size != 0);
                let kind = if call { CALL } else { PUT };
                let level = if initial { Level::Initial } else { Level::Maintenance };
                let left = 10f64.powf(left_exp) as i64;
                let now = 1_800_000_000i64;
                let (s0x, kx, volx) = (Fx::from_num(s0), Fx::from_num(s0 * f), Fx::from_num(vol));
                let s1x = Fx::from_num(s0 * (1.0 + m));
                let conf = s1x * Fx::from_num(conf_bp) / 10_000;
                let c = cached(kind, s0x, kx, volx, r0, (left + dt) as u64, Fx::from_num(size))[level.index()];
                let frame = frame_of(s0x, now - dt, now, now + left, r0, r1);
                let at = |estimate| cached_at(&c, &frame, s1x, conf, level, estimate).unwrap();
                let (prudent, lenient) = (at(Estimate::Prudent), at(Estimate::Lenient));
                let (k, v) = (kx.to_num::<f64>(), volx.to_num::<f64>());
                let (req, long) = f64_margin(kind, s1x.to_num(), conf.to_num(), k, v, r1 as f64 / 1e4, left as f64, size as f64, level);
                let tol = 1e-9 * (size.abs() as f64) * k.max(s0);
                let f = |x: Fx| x.to_num::<f64>();
                prop_assert!(f(lenient.requirement) <= req + tol, "lenient {} > exact {}", f(lenient.requirement), req);
                prop_assert!(req <= f(prudent.requirement) + tol, "prudent {} < exact {}", f(prudent.requirement), req);
                prop_assert!(f(prudent.long_value) <= long + tol, "prudent long {} > exact {}", f(prudent.long_value), long);
                prop_assert!(long <= f(lenient.long_value) + tol, "lenient long {} < exact {}", f(lenient.long_value), long);
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

            /// Any inputs at all (raw fixed-point bits): a value or a named error, never a panic.
            #[test]
            fn margin_of_any_input_never_panics(
                spot in any::<i128>(), conf in any::<i128>(), strike in any::<i128>(),
                vol in any::<i128>(), size in any::<i128>(), secs in any::<u64>(),
                kind in 0u8..2, rate in any::<u32>(), cap in any::<u32>(), initial in any::<bool>()) {
                let e = Exposure {
                    kind: if kind == 0 { CALL } else { PUT },
                    strike: Fx::from_bits(strike),
                    base_vol: Fx::from_bits(vol),
                    expiry_secs: secs,
                    size: Fx::from_bits(size),
                };
                let level = if initial { Level::Initial } else { Level::Maintenance };
                let _ = margin(&[e], Fx::from_bits(spot), Fx::from_bits(conf), rate, cap, &P, level);
            }

            /// Any exposure set inside the engine's domain: no panic; initial >= maintenance;
            /// requirement within [0, full collateral]; long value >= 0.
            #[test]
            fn margin_is_bounded_and_initial_exceeds_maintenance(
                spot in 1u32..100_000, conf_bp in 0u32..500, strikes in proptest::collection::vec((1u32..200_000, 1u32..500, 60u64..31_536_000, -50i32..50, 0u8..2), 1..6)) {
                let spot_fx = Fx::from_num(spot) / 100;
                let conf = spot_fx * Fx::from_num(conf_bp) / 10_000;
                let positions: Vec<Exposure> = strikes.iter().map(|&(k, v, t, q, kind)| Exposure {
                    kind: if kind == 0 { CALL } else { PUT },
                    strike: Fx::from_num(k) / 100,
                    base_vol: Fx::from_num(v) / 100,
                    expiry_secs: t,
                    size: Fx::from_num(q),
                }).collect();
                // Inside the domain every account is valuable: an error fails the case.
                let im = margin(&positions, spot_fx, conf, 500, 30_000, &P, Level::Initial).unwrap();
                let mm = margin(&positions, spot_fx, conf, 500, 30_000, &P, Level::Maintenance).unwrap();
                prop_assert!(im.requirement >= mm.requirement);
                prop_assert!(mm.requirement >= 0 && im.long_value >= 0);
                let full: Fx = positions.iter().filter(|e| e.size < 0)
                    .map(|e| -e.size * max_payoff(e.kind, e.strike, 30_000).unwrap()).sum();
                prop_assert!(im.requirement <= full);
            }
        }
    }
}
