//! What LP flows and hedges trust: every active board's cache, and how far NAV could still
//! move when those caches are refreshed at the current price and time.

use crate::book::fill::signed_whole;
use crate::error::OptionsAmmError;
use crate::math::drift::Since;
use crate::math::fill::{max_payoff, quote_params};
use crate::math::safe::{overflow, SafeMath};
use crate::math::tranche::{split, TrancheValues};
use crate::math::value::{quote_raw, Rounding};
use crate::state::{Board, Kind, Market};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// Checks that `boards` are exactly the market's active boards (ascending keys, so none twice),
/// none of them expired (an expired board must be settled first: anyone may, from the first
/// valid print of its window, or by the fallback once the window has passed) and each one's
/// greek cache fresh at `now` and `spot`, and calls `each` on every one.
fn for_each_board<'info>(
    market_key: &Pubkey,
    market: &Market,
    boards: &'info [AccountInfo<'info>],
    now: i64,
    spot: Fx,
    mut each: impl FnMut(&Board) -> Result<()>,
) -> Result<()> {
    require!(boards.len() == market.active_boards as usize, OptionsAmmError::BoardsMissing);
    let t = &market.params.trading;
    let mut previous: Option<Pubkey> = None;
    for info in boards {
        require!(previous.is_none_or(|p| p < *info.key), OptionsAmmError::BoardsMissing);
        previous = Some(*info.key);
        let loader = AccountLoader::<Board>::try_from(info)?;
        let b = loader.load()?;
        require_keys_eq!(b.market, *market_key, OptionsAmmError::WrongMarket);
        require!(b.is_active(), OptionsAmmError::BoardsMissing);
        require!(now < b.expiry_ts, OptionsAmmError::BoardAwaitingSettlement);
        require!(
            !b.cache_is_stale(now, spot, t.cache_max_age_secs, t.cache_max_spot_move_bps),
            OptionsAmmError::StaleGreekCache
        );
        each(&b)?;
    }
    Ok(())
}

/// [`for_each_board`] for what only needs NAV fresh (hedging).
pub fn check_boards<'info>(
    market_key: &Pubkey,
    market: &Market,
    boards: &'info [AccountInfo<'info>],
    now: i64,
    spot: Fx,
) -> Result<()> {
    for_each_board(market_key, market, boards, now, spot, |_| Ok(()))
}

/// [`for_each_board`], returning the refresh band: the sum of [`board_band`] over the boards,
/// a bound on how far refreshing every board at this price, time and rate would move NAV,
/// quote whole units.
pub fn refresh_band<'info>(
    market_key: &Pubkey,
    market: &Market,
    boards: &'info [AccountInfo<'info>],
    now: i64,
    spot: Fx,
) -> Result<Fx> {
    let rate = market.effective_params(now).risk_free_rate_bps;
    let ud = market.underlying_decimals;
    let window = market.params.vol.mark_window_secs;
    let mut band = Fx::ZERO;
    for_each_board(market_key, market, boards, now, spot, |b| {
        let part = board_band(b, now, spot, rate, window, ud)?;
        band = band.safe_add(part)?;
        Ok(())
    })?;
    Ok(band)
}

/// One board's part of the refresh band (pure: the client shows withdrawal values with it): a
/// bound, valid at any distance from expiry, on how far refreshing the board at spot `spot`,
/// time `now` and rate `rate_bps` would move its value (its positions at the marks cached at
/// the last refresh: S0, tau_r, r0). Per unit of each series, `math::drift`'s bound: delta0 dS
/// plus the spot, time and rate remainders, with K_b the strike (puts) or the cap strike
/// (capped calls). The delta terms are netted over the board (|sum of position x delta0| |dS|,
/// exact to first order), the rest summed in absolute value series by series, so offsetting
/// positions hide nothing.
pub fn board_band(
    b: &Board,
    now: i64,
    spot: Fx,
    rate_bps: u32,
    mark_window_secs: u32,
    underlying_decimals: u8,
) -> Result<Fx> {
    let since = Since::new(b.refreshed_ts, now, b.expiry_ts, b.refreshed_rate_bps, rate_bps)?;
    let moved = since.spot(b.refreshed_spot.get(), spot)?;
    let (mut delta, mut rest) = (Fx::ZERO, Fx::ZERO);
    for s in &b.strikes[..b.num_strikes as usize] {
        if s.vault_position == [0, 0] {
            continue;
        }
        // The marks are at `mark_vol`; a refresh now would put them at the average brought
        // up to now, and later ones (until the next post) at vols between that and the
        // posted `base_vol`, which is public: the band covers the whole way, so no LP flow
        // placed after a post collects the drift of NAV it makes predictable.
        let vol = s.mark_vol.get();
        let to_avg = b.avg_vol_at(s, now, mark_window_secs)?.safe_sub(vol)?.abs();
        let to_posted = s.base_vol.get().safe_sub(vol)?.abs();
        let vol_part = moved.vol_change(to_avg.max(to_posted))?;
        for kind in Kind::ALL {
            let k = kind.index();
            if s.vault_position[k] == 0 {
                continue;
            }
            let pos = signed_whole(s.vault_position[k], underlying_decimals)?;
            delta = delta.safe_add(pos.safe_mul(s.delta[k].get())?)?;
            let strike = s.strike.get();
            let k_b = match kind {
                Kind::Put => strike,
                Kind::Call => max_payoff(kind, strike, b.cap_multiple_bps)?.safe_add(strike)?,
            };
            let per_unit = moved
                .remainder(vol)?
                .safe_add(moved.time_and_rate(&since, vol, k_b)?)?
                .safe_add(vol_part)?;
            rest = rest.safe_add(pos.checked_abs().ok_or_else(overflow)?.safe_mul(per_unit)?)?;
        }
    }
    delta.checked_abs().ok_or_else(overflow)?.safe_mul(moved.ds)?.safe_add(rest)
}

/// How an LP flow values the pool. NAV carries the vault's options at their cached marks, and
/// the inventory charges trades paid are in pool quote; but those charges are owed back, as
/// counter-flow, to whoever brings the inventory back: the potential Phi of the inventory is a
/// liability of the pool until the risk runs off (expiry, fading), so LP flows value the pool
/// net of it. Otherwise an LP could deposit, let a large trade pay its inventory charge, leave
/// with a share of it, and leave the LPs who stay to pay the rebate. Then deposits pay the top
/// of what NAV could be once every cache is refreshed (+ band, - the smaller of Phi at the
/// pricing inventory and at the aggregates), withdrawals take the bottom (- band, - what
/// expired shorts still owe, - the larger Phi): each flow only ever raises the value of the
/// shares that stay, and no deposit-trade-withdraw or deposit-refresh-withdraw loop pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LpValuation {
    /// NAV at the cached marks, quote raw units.
    pub nav: i128,
    /// The refresh band, quote raw units (rounded up).
    pub band: u64,
    /// The potential at the pricing inventory and at the aggregates, the smaller rounded down
    /// and the larger rounded up, quote raw units.
    pub phi_low: u64,
    pub phi_high: u64,
}

impl LpValuation {
    pub fn new(market: &Market, spot: Fx, band: Fx, now: i64) -> Result<Self> {
        let qp = quote_params(&market.effective_params(now).trading);
        let at = |inv| {
            options_amm_pricing::potential(&inv, spot, &qp)
                .map_err(|e| error!(OptionsAmmError::from(e)))
        };
        let (p, a) = (at(market.pricing_inventory(now)?)?, at(market.inventory())?);
        let qd = market.quote_decimals;
        Ok(LpValuation {
            nav: market.nav(spot)?,
            band: quote_raw(band, qd, Rounding::Up)?,
            phi_low: quote_raw(p.min(a), qd, Rounding::Down)?,
            phi_high: quote_raw(p.max(a), qd, Rounding::Up)?,
        })
    }

    /// The pool's value a deposit is priced at.
    pub fn deposit_nav(&self) -> i128 {
        self.nav + self.band as i128 - self.phi_low as i128
    }

    /// The pool's value a withdrawal is priced at.
    pub fn withdrawal_nav(&self, market: &Market) -> i128 {
        self.nav - self.band as i128 - market.settlement_receivable as i128 - self.phi_high as i128
    }

    /// Between the two: what no LP flow lowers (the fuzzer's E4 measure).
    pub fn reference_nav(&self, market: &Market) -> i128 {
        self.nav - market.settlement_receivable as i128 - self.phi_high as i128
    }

    /// The tranche values a deposit is priced at.
    pub fn for_deposit(&self, senior_claim: u64) -> TrancheValues {
        split(self.deposit_nav(), senior_claim)
    }

    /// The tranche values a withdrawal is priced at.
    pub fn for_withdrawal(&self, market: &Market, senior_claim: u64) -> TrancheValues {
        split(self.withdrawal_nav(market), senior_claim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::SECONDS_PER_YEAR;
    use crate::math::fill::series_greeks_both;
    use crate::state::PodFx;
    use proptest::prelude::*;

    const YEAR: f64 = SECONDS_PER_YEAR as f64;
    const UD: u8 = 9;

    /// A series' f64 Black-Scholes price (`options-amm-reference`): the independent oracle.
    fn series(kind: Kind, s: f64, k: f64, cap_bps: u32, vol: f64, r: f64, tau: f64) -> f64 {
        let kind = match kind {
            Kind::Call => options_amm_reference::Kind::Call,
            Kind::Put => options_amm_reference::Kind::Put,
        };
        options_amm_reference::series_price(kind, s, k, cap_bps, vol, r, tau * YEAR)
    }

    struct Case {
        s0: f64,
        s1: f64,
        /// Seconds to expiry now, and since the refresh.
        left: i64,
        dt: i64,
        r0: u32,
        r1: u32,
        cap_bps: u32,
        /// The time-weighted vol's window, seconds.
        window: u32,
        /// (strike, vol at the refresh, vol posted since, call position, put position),
        /// positions in whole contracts.
        series: Vec<(f64, f64, f64, i64, i64)>,
    }

    /// The board as `refresh_board` leaves it at (s0, expiry - left - dt, r0), its band at
    /// (s1, now, r1), and the oracle's move of its value between the two.
    fn band_and_move(c: &Case) -> (f64, f64) {
        let now = 1_800_000_000i64;
        let expiry = now + c.left;
        let mut b: Board = bytemuck::Zeroable::zeroed();
        b.expiry_ts = expiry;
        b.refreshed_ts = now - c.dt;
        b.refreshed_spot = PodFx::of(Fx::from_num(c.s0));
        b.refreshed_rate_bps = c.r0;
        b.cap_multiple_bps = c.cap_bps;
        b.num_strikes = c.series.len() as u8;
        b.avg_vol_ts = now - c.dt;
        let secs = (c.left + c.dt) as u64;
        let (tau_r, tau_n) = (secs as f64 / YEAR, c.left as f64 / YEAR);
        let (r0, r1) = (c.r0 as f64 / 1e4, c.r1 as f64 / 1e4);
        let mut moved = 0.0;
        for (i, &(k, vol, posted, call, put)) in c.series.iter().enumerate() {
            let st = &mut b.strikes[i];
            st.strike = PodFx::of(Fx::from_num(k));
            st.mark_vol = PodFx::of(Fx::from_num(vol));
            st.avg_vol = st.mark_vol;
            st.base_vol = PodFx::of(Fx::from_num(posted));
            // The vol a refresh now re-marks at (f64).
            let v0 = st.mark_vol.get().to_num::<f64>();
            let share = (c.dt as f64 / c.window as f64).min(1.0);
            let v1 = v0 + (st.base_vol.get().to_num::<f64>() - v0) * share;
            let both = series_greeks_both(
                Fx::from_num(c.s0),
                st.strike.get(),
                st.mark_vol.get(),
                c.r0,
                secs,
                c.cap_bps,
            )
            .unwrap();
            for (kind, pos) in [(Kind::Call, call), (Kind::Put, put)] {
                let j = kind.index();
                st.mark[j] = PodFx::of(both[j].price);
                st.delta[j] = PodFx::of(both[j].delta);
                st.gamma[j] = PodFx::of(both[j].gamma);
                st.theta[j] = PodFx::of(both[j].theta);
                st.vault_position[j] = pos * 10i64.pow(UD as u32);
                let k = st.strike.get().to_num::<f64>();
                moved += pos as f64
                    * (series(kind, c.s1, k, c.cap_bps, v1, r1, tau_n)
                        - series(kind, c.s0, k, c.cap_bps, v0, r0, tau_r));
            }
        }
        let band = board_band(&b, now, Fx::from_num(c.s1), c.r1, c.window, UD).unwrap();
        (band.to_num::<f64>(), moved)
    }

    fn put_board(s0: f64, s1: f64, left: i64, dt: i64, r0: u32, r1: u32) -> Case {
        let series = vec![(100.0, 0.8, 0.8, 0, -1_000)];
        Case { s0, s1, left, dt, r0, r1, cap_bps: 20_000, window: 3_600, series }
    }

    /// An attacker's review found the earlier band (cached gamma and theta, no rate) exceeded
    /// near expiry: 1,000 short puts at the money, 10 minutes left, spot down 1% within the
    /// cache limits moved the board by about 287 against a band of 116.
    #[test]
    fn the_band_covers_a_refresh_ten_minutes_before_expiry() {
        for (left, dt, s1) in
            [(600, 120, 99.0), (130, 120, 99.5), (30, 60, 99.75), (121, 120, 100.0)]
        {
            let (band, moved) = band_and_move(&put_board(100.0, s1, left, dt, 500, 500));
            assert!(moved.abs() <= band, "left {left}: moved {moved} > band {band}");
        }
        let (band, moved) = band_and_move(&put_board(100.0, 99.0, 600, 120, 500, 500));
        assert!(moved.abs() > 250.0 && band < 2.0 * moved.abs(), "moved {moved}, band {band}");
    }

    /// The same review: a refresh re-marks at the fading rate after a rate change, which the
    /// earlier band did not bound (90-day puts, 500 to 1,000 bps at once: -0.678 a unit).
    #[test]
    fn the_band_covers_a_rate_change_the_refresh_applies() {
        let mut c = put_board(100.0, 100.0, 90 * 86_400, 60, 500, 1_000);
        let (band, moved) = band_and_move(&c);
        assert!(moved.abs() > 600.0 && moved.abs() <= band, "moved {moved}, band {band}");
        c.r1 = 500;
        let (still, _) = band_and_move(&c);
        assert!(still < band / 10.0, "the rate term is the rate change's: {still} vs {band}");
    }

    /// A vol post moves the marks only through the time-weighted vol: at once nothing, after
    /// half the window half the gap; the band covers the whole gap from the post on (90-day
    /// puts, 80% posted to 100%), so a deposit placed after the post pays for the drift.
    #[test]
    fn the_band_covers_the_whole_way_to_a_posted_vol_from_the_post_on() {
        let mut c = put_board(100.0, 100.0, 90 * 86_400, 0, 500, 500);
        c.series = vec![(100.0, 0.8, 1.0, 0, -1_000)];
        let (at_once, moved) = band_and_move(&c);
        assert!(moved.abs() < 1e-9, "{moved}");
        c.dt = 1_800;
        let (band, half) = band_and_move(&c);
        // vega ~ 100 x sqrt(0.246) x 0.39 ~ 19.6 a unit, 0.1 of vol, 1,000 puts: ~ -1,960.
        assert!(half < -1_800.0 && half.abs() <= band, "moved {half}, band {band}");
        c.dt = 3_600;
        let (_, whole) = band_and_move(&c);
        assert!(whole.abs() <= at_once && at_once < 1.5 * whole.abs(), "{whole} vs {at_once}");
    }

    /// A fresh cache at the same spot, time and rate moves nothing and needs no band.
    #[test]
    fn an_exact_cache_has_no_band() {
        let (band, moved) = band_and_move(&put_board(100.0, 100.0, 86_400, 0, 500, 500));
        assert_eq!(band, 0.0);
        assert!(moved.abs() < 1e-9);
    }

    fn kinds() -> impl Strategy<Value = Vec<(f64, f64, f64, i64, i64)>> {
        prop::collection::vec(
            (0.5f64..1.6, 0.05f64..3.0, 0.05f64..3.0, -1_000i64..1_000, -1_000i64..1_000),
            1..=MAX_STRIKES_USED,
        )
    }

    const MAX_STRIKES_USED: usize = crate::state::MAX_STRIKES;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]

        /// Whatever the board (strikes, vols, positions of both signs), the spot move (up to
        /// the 5% the cache limit allows at most), the time left (1 s to 2 years), the cache's
        /// age (up to an hour) and a rate change: refreshing moves the board's value by no more
        /// than its band, measured with an f64 Black-Scholes.
        #[test]
        fn no_refresh_moves_a_board_by_more_than_its_band(
            s0 in 1.0f64..5_000.0,
            m in -0.05f64..0.05,
            left_exp in 0.0f64..7.8,
            dt in 0i64..3_600,
            r0 in 0u32..2_000,
            r1 in 0u32..2_000,
            cap_bps in 15_000u32..40_000,
            window in 60u32..86_400,
            mut series in kinds(),
        ) {
            let left = 10f64.powf(left_exp).max(1.0) as i64;
            series.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
            series.dedup_by(|a, b| (a.0 - b.0).abs() < 1e-3);
            let series = series.into_iter().map(|(f, v, w, c, p)| (s0 * f, v, w, c, p)).collect();
            let c = Case { s0, s1: s0 * (1.0 + m), left, dt, r0, r1, cap_bps, window, series };
            let (band, moved) = band_and_move(&c);
            let scale: f64 = c.series.iter().map(|x| (x.3.abs() + x.4.abs()) as f64 * x.0).sum();
            prop_assert!(
                moved.abs() <= band + 1e-9 * scale,
                "moved {} > band {} (left {} s, dt {} s, move {})", moved, band, left, dt, m
            );
        }
    }
}
