//! What LP flows and hedges trust: every active board's cache, and how far NAV could still
//! move when those caches are refreshed at the current price and time.

use crate::book::fill::signed_whole;
use crate::constants::SECONDS_PER_YEAR;
use crate::error::OptionsAmmError;
use crate::math::fill::quote_params;
use crate::math::tranche::{split, TrancheValues};
use crate::math::value::{quote_raw, Rounding};
use crate::state::{Board, Market};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// Checks that `boards` are exactly the market's active boards (ascending keys, so none twice),
/// none of them expired (an expired board must be settled first: anyone may, from the first
/// valid print of its window, or by the fallback once the window has passed) and each one's
/// greek cache fresh at `now` and `spot`. Returns the refresh band: a bound on how far
/// refreshing every board at this price and time would move NAV, from each board's cached
/// greeks: |delta| |dS| + |gamma| dS^2 + |theta| dt, quote whole units. The gamma term
/// allows the board's gamma to double over the move; the cache limits (spot move, age) keep
/// the move small.
pub fn check_boards<'info>(
    market_key: &Pubkey,
    market: &Market,
    boards: &'info [AccountInfo<'info>],
    now: i64,
    spot: Fx,
) -> Result<Fx> {
    require!(boards.len() == market.active_boards as usize, OptionsAmmError::BoardsMissing);
    let t = &market.params.trading;
    let mut previous: Option<Pubkey> = None;
    let mut band = Fx::ZERO;
    let o = || error!(OptionsAmmError::MathOverflow);
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
        let part = board_band(&b, now, spot, market.underlying_decimals)?;
        band = band.checked_add(part).ok_or_else(o)?;
    }
    Ok(band)
}

/// One board's part of the refresh band (pure: the client shows withdrawal values with it),
/// from the greeks cached at its last refresh, series by series: the board's value is its
/// positions at those marks (trades are booked at them), and a refresh at spot S and time t
/// moves each series by delta dS + gamma(xi) dS^2 / 2 + theta dt. The band is
/// |sum of position x delta| |dS| + sum of |position| (|gamma| dS^2 + |theta| dt): it allows each
/// series' gamma to double over the move (the cache's spot limit keeps the move small), and
/// counts gamma and theta series by series, so offsetting positions do not hide them.
pub fn board_band(b: &Board, now: i64, spot: Fx, underlying_decimals: u8) -> Result<Fx> {
    let o = || error!(OptionsAmmError::MathOverflow);
    let ds = spot.checked_sub(b.refreshed_spot.get()).ok_or_else(o)?.abs();
    let ds2 = ds.checked_mul(ds).ok_or_else(o)?;
    let years = Fx::from_num(now.saturating_sub(b.refreshed_ts).max(0))
        .checked_div_int(SECONDS_PER_YEAR as i128)
        .ok_or_else(o)?;
    let (mut delta, mut curvature) = (Fx::ZERO, Fx::ZERO);
    for s in &b.strikes[..b.num_strikes as usize] {
        for k in 0..2 {
            if s.vault_position[k] == 0 {
                continue;
            }
            let pos = signed_whole(s.vault_position[k], underlying_decimals)?;
            delta = pos
                .checked_mul(s.delta[k].get())
                .and_then(|v| delta.checked_add(v))
                .ok_or_else(o)?;
            let per_unit = s.gamma[k]
                .get()
                .checked_abs()
                .and_then(|g| g.checked_mul(ds2))
                .and_then(|g| g.checked_add(s.theta[k].get().checked_abs()?.checked_mul(years)?))
                .ok_or_else(o)?;
            curvature = pos
                .checked_abs()
                .and_then(|p| p.checked_mul(per_unit))
                .and_then(|v| curvature.checked_add(v))
                .ok_or_else(o)?;
        }
    }
    delta
        .checked_abs()
        .and_then(|d| d.checked_mul(ds))
        .and_then(|d| d.checked_add(curvature))
        .ok_or_else(o)
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
