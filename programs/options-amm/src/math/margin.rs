//! Margin rules for traders' short options, pure (the instructions that use them come with
//! partial-margin trading and liquidation).
//!
//! For each short series, the requirement per contract is its Black-Scholes value under the
//! worst of two scenarios, spot shocked up and down (a larger shock for initial than for
//! maintenance margin), with the vol shocked up; never below a static minimum (a share of
//! spot), never above the option's maximum payoff (full collateral). Spot is first biased
//! against the trader by the oracle's confidence interval. Longs count toward collateral at
//! their mark (also biased against the trader) less a haircut.

use crate::error::OptionsAmmError;
use crate::math::fill::{max_payoff, max_payoff_at, pricing, SeriesPricer};
use crate::math::safe::SafeMath;
use crate::math::value::bps;
use crate::state::Kind;
use crate::state::{CALL, PUT};
use anchor_lang::prelude::*;
use options_amm_pricing::{
    price_delta_at, Fx, Horizon, Leg, OptionKind, Spot, MAX_PRICE, MAX_VOL, MIN_PRICE,
};

pub use crate::state::MarginParams;

/// Initial (to open risk or withdraw) or maintenance (below it: liquidatable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Initial,
    Maintenance,
}

impl Level {
    /// Index into a board's `MarginCache`.
    pub fn index(self) -> usize {
        match self {
            Level::Initial => 0,
            Level::Maintenance => 1,
        }
    }
}

/// Which side of the priced requirement a bound from a board's margin cache falls on: at or
/// above it (an initial-margin check that passes on it passes priced), or at or below it (a
/// liquidation it allows, pricing allows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Above,
    Below,
}

/// How old a board's margin cache is: years since it was made, 1 / sqrt(2 pi tau) then, and
/// the rate it was made at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Age {
    pub years: Fx,
    pub vega_time: Fx,
    pub rate: Fx,
}

/// One strike's cached short value: the engine's value and delta at the shocked spot `x0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cached {
    pub value: Fx,
    pub delta: Fx,
    pub x0: Fx,
}

/// Room for the engine's own error (below 2^-58 of max(spot, strike)) and the bound's
/// truncated products: (max(x, x0) + K) / 2^SLACK_SHIFT, under a millionth of a cent at spot 150.
const SLACK_SHIFT: u32 = 30;

/// 1 / sqrt(2 pi), rounded up.
const INV_SQRT_2PI_UP: Fx = Fx::from_bits(7_359_186_146_747_302_913);

/// What a refresh caches for margin checks at the oracle spot (unbiased): for each strike, its
/// value and delta by kind and level at the spot shocked against a short, at the vol shocked
/// up, exactly as a check at that spot with no confidence interval would price it.
pub struct CacheMaker {
    horizon: Horizon,
    spots: [[Spot; 2]; 2],
    x0: [[Fx; 2]; 2],
    vol_up: Fx,
}

impl CacheMaker {
    pub fn new(spot: Fx, rate_bps: u32, secs: u64, p: &MarginParams) -> Result<CacheMaker> {
        let mut x0 = [[Fx::ZERO; 2]; 2];
        for kind in [CALL, PUT] {
            for (l, shock) in [p.im_spot_shock_bps, p.mm_spot_shock_bps].into_iter().enumerate() {
                x0[kind as usize][l] = shocked(kind, spot, bps(shock))?;
            }
        }
        let at = |x: Fx| pricing(Spot::new(x));
        let spots = [[at(x0[0][0])?, at(x0[0][1])?], [at(x0[1][0])?, at(x0[1][1])?]];
        Ok(CacheMaker {
            horizon: SeriesPricer::horizon(rate_bps, secs)?,
            spots,
            x0,
            vol_up: Fx::ONE.safe_add(bps(p.vol_shock_bps))?,
        })
    }

    /// The shocked spot by kind and level.
    pub fn x0(&self) -> [[Fx; 2]; 2] {
        self.x0
    }

    /// 1 / sqrt(2 pi tau) at the cache's time, rounded up.
    pub fn vega_time(&self) -> Result<Fx> {
        let r = pricing(self.horizon.rsqrt_years())?;
        r.safe_add(Fx::DELTA)?.safe_mul(INV_SQRT_2PI_UP)?.safe_add(Fx::DELTA)
    }

    /// (value, delta) by kind and level of a short of `strike` marked at `vol`.
    pub fn strike(&self, strike: Fx, vol: Fx) -> Result<[[(Fx, Fx); 2]; 2]> {
        let vol = vol.safe_mul(self.vol_up)?.min(MAX_VOL);
        let leg = pricing(Leg::new(&self.horizon, strike, vol))?;
        let mut out = [[(Fx::ZERO, Fx::ZERO); 2]; 2];
        for (kind, engine_kind) in [(CALL, OptionKind::Call), (PUT, OptionKind::Put)] {
            let k = kind as usize;
            for (slot, at) in out[k].iter_mut().zip(&self.spots[k]) {
                *slot = pricing(price_delta_at(engine_kind, at, &self.horizon, &leg))?;
            }
        }
        Ok(out)
    }
}

/// One series of a trader's account: signed size in whole contracts (+ long, - short).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exposure {
    pub kind: Kind,
    pub strike: Fx,
    pub vol: Fx,
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

/// One margin check at one level, shared by every series and board it values: the shock,
/// floor and haircut factors, the engine's context of each adverse spot (one logarithm per
/// spot a check uses, not one per series) and the horizon of the board being valued. The
/// totals are bit for bit those of pricing each series alone
/// (`a_shared_scenario_values_every_series_as_pricing_it_alone`).
pub struct Scenario {
    level: Level,
    spot: Fx,
    conf: Fx,
    rate_bps: u32,
    shock: Fx,
    /// 1 + the vol shock.
    vol_up: Fx,
    min_margin: Fx,
    /// 1 - the long haircut: the share of a long's value that counts.
    keep: Fx,
    /// Engine spots by [short][kind], built on first use.
    spots: [[Option<Spot>; 2]; 2],
    /// The horizon last used and its seconds to expiry (a board's series share it).
    horizon: Option<(u64, Horizon)>,
    /// By kind: a short's biased spot, its shocked spot and its floor, formed on first use.
    short_spots: [Option<(Fx, Fx, Fx)>; 2],
}

impl Scenario {
    /// A check of `level` at the oracle `spot` +- `conf`.
    pub fn new(spot: Fx, conf: Fx, rate_bps: u32, p: &MarginParams, level: Level) -> Result<Self> {
        let shock = bps(match level {
            Level::Initial => p.im_spot_shock_bps,
            Level::Maintenance => p.mm_spot_shock_bps,
        });
        Ok(Scenario {
            level,
            spot,
            conf,
            rate_bps,
            shock,
            vol_up: Fx::ONE.safe_add(bps(p.vol_shock_bps))?,
            min_margin: bps(p.min_margin_bps),
            keep: Fx::ONE.safe_sub(bps(p.long_haircut_bps))?,
            spots: [[None; 2]; 2],
            horizon: None,
            short_spots: [None; 2],
        })
    }

    /// 1 - the long haircut.
    pub fn long_share(&self) -> Fx {
        self.keep
    }

    pub fn level(&self) -> Level {
        self.level
    }

    /// The requirement of `q` contracts of a short series of `kind` and `strike`, marked at
    /// `vol`, bounded from the board's cached value at the shocked spot `c.x0` `age` ago
    /// instead of priced: on the `bound` side of what pricing it gives. With x today's shocked
    /// spot, dx = x - x0 and dt the age in years (the plain call and the put at the shocked vol,
    /// both convex in spot with |delta| <= 1; vega at most x / sqrt(2 pi); a call loses at most
    /// r K dt to the rate as time passes, a put gains at most that):
    /// - above: the value plus the adverse part of dx (a call's rise, a put's fall), a put's
    ///   plus r K dt (a call's value only falls with time at a non-negative rate);
    /// - below: the value plus delta dx (the tangent), less x sigma dt / sqrt(2 pi tau0) (the
    ///   most time can take through vega, sqrt(tau0) - sqrt(tau) <= dt / sqrt(tau0)), a call's
    ///   less r K dt;
    ///
    /// each widened by (max(x, x0) + K) / 2^`SLACK_SHIFT` (the engine's errors at either spot),
    /// then floored and capped as priced.
    #[allow(clippy::too_many_arguments)]
    pub fn short_bound(
        &mut self,
        kind: Kind,
        strike: Fx,
        vol: Fx,
        q: Fx,
        cap: Fx,
        c: &Cached,
        age: &Age,
        bound: Bound,
    ) -> Result<Fx> {
        let (_, x, floor) = self.short_spot(kind)?;
        let dx = x.safe_sub(c.x0)?;
        let slack = Fx::from_bits(x.max(c.x0).safe_add(strike)?.to_bits() >> SLACK_SHIFT);
        let rate_part = || strike.safe_mul(age.rate)?.safe_mul(age.years);
        let value = match bound {
            Bound::Above => {
                // The move against the short: up for a call, down for a put; none otherwise.
                let against = if kind == CALL { dx } else { -dx };
                let adverse = against.max(Fx::ZERO);
                let v = c.value.safe_add(adverse)?.safe_add(slack)?;
                if kind == CALL {
                    v
                } else {
                    v.safe_add(rate_part()?)?
                }
            }
            Bound::Below => {
                let svol = vol.safe_mul(self.vol_up)?.min(MAX_VOL);
                let vega = x.safe_mul(svol)?.safe_mul(age.years)?.safe_mul(age.vega_time)?;
                let v = c.value.safe_add(c.delta.safe_mul(dx)?)?.safe_sub(vega)?.safe_sub(slack)?;
                if kind == CALL {
                    v.safe_sub(rate_part()?)?
                } else {
                    v
                }
            }
        };
        let per_contract = value.max(floor).min(max_payoff_at(kind, strike, cap)?);
        q.safe_mul(per_contract)
    }

    /// A short's biased spot, its shocked spot and its floor (a share of the biased spot).
    fn short_spot(&mut self, kind: Kind) -> Result<(Fx, Fx, Fx)> {
        if let Some(v) = self.short_spots[kind as usize] {
            return Ok(v);
        }
        let s = biased_spot(kind, true, self.spot, self.conf)?;
        let x = shocked(kind, s, self.shock)?;
        // Where pricing would refuse the spot, so does the bound (the same outcome).
        if x < MIN_PRICE || x > MAX_PRICE {
            return pricing(Err(options_amm_pricing::PricingError::SpotOutOfDomain));
        }
        let v = (s, x, s.safe_mul(self.min_margin)?);
        self.short_spots[kind as usize] = Some(v);
        Ok(v)
    }

    /// The engine's spot for a short (shocked against it) or a long (biased only) of `kind`.
    fn engine_spot(&mut self, kind: Kind, short: bool) -> Result<Spot> {
        let slot = &mut self.spots[short as usize][kind as usize];
        if let Some(at) = slot {
            return Ok(*at);
        }
        let s = biased_spot(kind, short, self.spot, self.conf)?;
        let at = pricing(Spot::new(if short { shocked(kind, s, self.shock)? } else { s }))?;
        *slot = Some(at);
        Ok(at)
    }

    fn horizon(&mut self, secs: u64) -> Result<Horizon> {
        if let Some((t, h)) = self.horizon {
            if t == secs {
                return Ok(h);
            }
        }
        let h = SeriesPricer::horizon(self.rate_bps, secs)?;
        self.horizon = Some((secs, h));
        Ok(h)
    }

    /// Requirement and long value of `positions` (calls capped at `cap_bps` x strike).
    pub fn value(&mut self, positions: &[Exposure], cap_bps: u32) -> Result<MarginTotals> {
        let mut totals = MarginTotals::default();
        for e in positions.iter().filter(|e| e.size != 0) {
            let short = e.size < 0;
            let q = e.size.checked_abs().ok_or(OptionsAmmError::MathOverflow)?;
            let at = self.engine_spot(e.kind, short)?;
            let h = self.horizon(e.expiry_secs)?;
            if short {
                // The plain call bounds the call spread's value from above (by the cap call's
                // value, small at the cap strike): one engine evaluation per short series, and
                // the requirement errs toward more margin. It is capped at the maximum payoff.
                let vol = e.vol.safe_mul(self.vol_up)?.min(MAX_VOL);
                let worst = SeriesPricer::with(at, h, NO_CAP).price(e.kind, e.strike, vol)?;
                let s = biased_spot(e.kind, short, self.spot, self.conf)?;
                let floor = s.safe_mul(self.min_margin)?;
                let per_contract = worst.max(floor).min(max_payoff(e.kind, e.strike, cap_bps)?);
                totals.requirement = totals.requirement.safe_add(q.safe_mul(per_contract)?)?;
            } else {
                // A far out-of-the-money value can round a hair below zero in fixed point
                // (proptest: the 1,828 call at spot 393.58): a long is never a liability.
                let value = SeriesPricer::with(at, h, cap_bps).price(e.kind, e.strike, e.vol)?;
                let value = value.max(Fx::ZERO).safe_mul(self.keep)?;
                totals.long_value = totals.long_value.safe_add(q.safe_mul(value)?)?;
            }
        }
        Ok(totals)
    }
}

/// Requirement and long value of `positions` at the oracle `spot` +- `conf` (one board's
/// series: a [`Scenario`] of their own).
pub fn margin(
    positions: &[Exposure],
    spot: Fx,
    conf: Fx,
    rate_bps: u32,
    cap_bps: u32,
    p: &MarginParams,
    level: Level,
) -> Result<MarginTotals> {
    Scenario::new(spot, conf, rate_bps, p, level)?.value(positions, cap_bps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::fill::{series_greeks, series_price};
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
            vol: Fx::from_num(0.8),
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

    /// One check over three boards (two expiries, two cap multiples, shorts and longs of both
    /// kinds) against each series priced alone with the single-evaluation engine: the shared
    /// spots and horizons change no bit of the totals.
    #[test]
    fn a_shared_scenario_values_every_series_as_pricing_it_alone() {
        // (kind, strike, signed contracts, vol) of each series, by board.
        type Series = (Kind, i64, i64, f64);
        let boards: [(u64, u32, [Series; 3]); 3] = [
            (14 * DAY, 30_000, [(CALL, 160, -3, 0.8), (PUT, 140, -2, 0.9), (CALL, 150, 4, 0.7)]),
            (3 * DAY, 20_000, [(PUT, 150, 5, 0.6), (CALL, 200, -1, 1.1), (PUT, 100, -7, 1.4)]),
            (14 * DAY, 30_000, [(PUT, 145, -1, 0.5), (CALL, 120, -2, 0.8), (PUT, 160, 3, 0.8)]),
        ];
        let (spot, conf, rate) = (fx(150), Fx::from_num(0.07), 500);
        for level in [Level::Initial, Level::Maintenance] {
            let mut check = Scenario::new(spot, conf, rate, &P, level).unwrap();
            let mut shared = MarginTotals::default();
            let mut alone = MarginTotals::default();
            let shock = bps(match level {
                Level::Initial => P.im_spot_shock_bps,
                Level::Maintenance => P.mm_spot_shock_bps,
            });
            for (secs, cap, series) in boards {
                let e: Vec<Exposure> = series
                    .iter()
                    .map(|&(kind, k, q, v)| Exposure {
                        kind,
                        strike: fx(k),
                        vol: Fx::from_num(v),
                        expiry_secs: secs,
                        size: fx(q),
                    })
                    .collect();
                shared.add(check.value(&e, cap).unwrap()).unwrap();
                for x in &e {
                    let q = x.size.abs();
                    let s = biased_spot(x.kind, x.size < 0, spot, conf).unwrap();
                    if x.size < 0 {
                        let at = shocked(x.kind, s, shock).unwrap();
                        let vol = shocked_vol(x.vol, P.vol_shock_bps).unwrap();
                        let worst =
                            series_price(x.kind, at, x.strike, vol, rate, secs, NO_CAP).unwrap();
                        let floor = s * bps(P.min_margin_bps);
                        let cap_at = max_payoff(x.kind, x.strike, cap).unwrap();
                        alone.requirement += q * worst.max(floor).min(cap_at);
                    } else {
                        let v = series_price(x.kind, s, x.strike, x.vol, rate, secs, cap).unwrap();
                        alone.long_value += q * (v.max(Fx::ZERO) * (Fx::ONE - bps(3_000)));
                    }
                }
            }
            assert_eq!(shared, alone, "{level:?}");
            assert!(shared.requirement > fx(10) && shared.long_value > fx(10));
        }
    }

    /// Where pricing refuses the shocked spot (a short call's below the engine's smallest
    /// price), the cached bound refuses it too, by the same name: no check passes on the cache
    /// that pricing would refuse.
    #[test]
    fn a_bound_refuses_a_spot_that_pricing_refuses() {
        let spot = MIN_PRICE / 2; // an oracle may print it; shocked up 12%, still below the domain
        let mut check = Scenario::new(spot, Fx::ZERO, 500, &P, Level::Maintenance).unwrap();
        let e = short(CALL, 1, 1);
        let priced = check.value(&[Exposure { strike: MIN_PRICE, ..e }], 30_000).unwrap_err();
        let c = Cached { value: Fx::ZERO, delta: Fx::ZERO, x0: fx(1) };
        let age = Age { years: Fx::ZERO, vega_time: Fx::ONE, rate: Fx::ZERO };
        let bounded =
            check.short_bound(CALL, MIN_PRICE, e.vol, Fx::ONE, bps(30_000), &c, &age, Bound::Above);
        let named =
            error!(OptionsAmmError::from(options_amm_pricing::PricingError::SpotOutOfDomain));
        assert_eq!(priced, named);
        assert_eq!(bounded.unwrap_err(), named);
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

    mod property {
        use super::super::*;
        use super::P;
        use crate::state::PUT;
        use proptest::prelude::*;

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
                    vol: Fx::from_bits(vol),
                    expiry_secs: secs,
                    size: Fx::from_bits(size),
                };
                let level = if initial { Level::Initial } else { Level::Maintenance };
                let _ = margin(&[e], Fx::from_bits(spot), Fx::from_bits(conf), rate, cap, &P, level);
            }

            /// A refresh's cached value bounds what a check prices later, on both sides: spot
            /// anywhere within 15% of the refresh (and a confidence interval), up to 20 days
            /// later, any strike, vol, rate, expiry, kind and level. Tight when nothing moved.
            #[test]
            fn the_cached_bounds_hold_the_priced_requirement_between_them(
                s0 in 20u32..2_000, mv in -1_500i32..1_500, conf_bp in 0u32..100,
                dt in 0u64..1_728_000, moneyness in 50u32..200, vol in 5u32..300,
                days0 in 2u64..400, rate in 0u32..2_000, call in any::<bool>(),
                initial in any::<bool>(), q in 1u32..50) {
                let kind = if call { CALL } else { PUT };
                let level = if initial { Level::Initial } else { Level::Maintenance };
                let s0 = Fx::from_num(s0);
                let strike = s0 * Fx::from_num(moneyness) / 100;
                let vol = Fx::from_num(vol) / 100;
                let secs0 = days0 * 86_400;
                prop_assume!(dt < secs0);
                let maker = CacheMaker::new(s0, rate, secs0, &P).unwrap();
                let (value, delta) = maker.strike(strike, vol).unwrap()[kind as usize][level.index()];
                let c = Cached { value, delta, x0: maker.x0()[kind as usize][level.index()] };
                let age = Age {
                    years: Fx::from_num(dt) / 31_536_000 + Fx::DELTA,
                    vega_time: maker.vega_time().unwrap(),
                    rate: bps(rate),
                };
                let spot = s0 * (Fx::ONE + Fx::from_num(mv) / 10_000);
                let conf = spot * Fx::from_num(conf_bp) / 10_000;
                let mut check = Scenario::new(spot, conf, rate, &P, level).unwrap();
                let e = Exposure { kind, strike, vol, expiry_secs: secs0 - dt, size: -Fx::from_num(q) };
                let priced = check.value(&[e], 30_000).unwrap().requirement;
                let q = Fx::from_num(q);
                let cap = bps(30_000);
                let above = check.short_bound(kind, strike, vol, q, cap, &c, &age, Bound::Above).unwrap();
                let below = check.short_bound(kind, strike, vol, q, cap, &c, &age, Bound::Below).unwrap();
                prop_assert!(below <= priced && priced <= above, "{below} {priced} {above}");
                // Nothing moved: both bounds within their slack, (x + K) / 2^30 each side.
                let mut still = Scenario::new(s0, Fx::ZERO, rate, &P, level).unwrap();
                let at = Age { years: Fx::ZERO, ..age };
                let hi = still.short_bound(kind, strike, vol, q, cap, &c, &at, Bound::Above).unwrap();
                let lo = still.short_bound(kind, strike, vol, q, cap, &c, &at, Bound::Below).unwrap();
                let room = q * (c.x0 + strike) * 2 / (1i128 << 30) + Fx::from_bits(1 << 20);
                prop_assert!(lo <= hi && hi - lo <= room, "{lo} {hi} {room}");
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
                    vol: Fx::from_num(v) / 100,
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
