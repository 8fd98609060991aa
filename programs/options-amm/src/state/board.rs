//! A board: one expiry of a market with up to `MAX_STRIKES` strikes, each listing a call and a
//! put, with their base vol, the vault's net position, open interest and cached marks and
//! greeks. A trade touches one board, so its cost does not grow with the number of boards.

use super::pod::PodFx;
use crate::constants::BPS;
use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// Strikes per board (bounded so that a refresh of a full board fits the compute budget).
pub const MAX_STRIKES: usize = 8;

/// A series' option kind: the per-kind arrays of a strike are indexed by it (`kind as usize`:
/// call 0, put 1, in declaration order).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Call,
    Put,
}

pub const CALL: Kind = Kind::Call;
pub const PUT: Kind = Kind::Put;

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Call, Kind::Put];

    /// The index of this kind in a strike's per-kind arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The pricing engine's kind.
    pub fn engine(self) -> options_amm_pricing::OptionKind {
        match self {
            Kind::Call => options_amm_pricing::OptionKind::Call,
            Kind::Put => options_amm_pricing::OptionKind::Put,
        }
    }
}

/// Where a board is in its life (stored as a `u8` in the zero-copy account).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoardStatus {
    /// Listed: trades, refreshes, counts in NAV; settles after expiry.
    Active = 0,
    /// Expired and settled: positions settle one by one against its settlement price.
    Settled = 1,
    /// Taken off the market by governance while empty: nothing trades, positions on it (all
    /// empty) close.
    Delisted = 2,
}

impl BoardStatus {
    pub fn from_u8(v: u8) -> Result<Self> {
        match v {
            0 => Ok(BoardStatus::Active),
            1 => Ok(BoardStatus::Settled),
            2 => Ok(BoardStatus::Delisted),
            _ => err!(OptionsAmmError::UnknownBoardStatus),
        }
    }
}

#[zero_copy]
#[derive(Debug, Default)]
pub struct StrikeState {
    /// Strike, quote per whole underlying.
    pub strike: PodFx,
    /// The surface's implied vol (1.00 = 100%): listed by governance, then posted by the vol
    /// feed. Trades price at it (buys at no less than the realised-vol floor).
    pub base_vol: PodFx,
    /// Its time-weighted average (GWAV) as of `Board::avg_vol_ts`: it moves towards `base_vol`
    /// by the share of `vol.mark_window_secs` elapsed, so no post moves it at once.
    pub avg_vol: PodFx,
    /// The average as of the last refresh: the vol the marks, greeks and margins are at.
    pub mark_vol: PodFx,
    /// Per kind (call, put), per whole contract, at the last refresh: mark at the base vol and
    /// its greeks (calls are capped; see `TradingParams::call_cap_multiple_bps`).
    pub mark: [PodFx; 2],
    /// The mark's delta, gamma and vega per kind at the last refresh.
    pub delta: [PodFx; 2],
    pub gamma: [PodFx; 2],
    pub vega: [PodFx; 2],
    /// The mark's theta per kind at the last refresh (quote per year as time passes): the LP
    /// refresh band bounds the time decay since the refresh with it, series by series.
    pub theta: [PodFx; 2],
    /// The vault's net position per kind, underlying raw units (+ long, - short).
    pub vault_position: [i64; 2],
    /// Contracts held long by traders per kind, underlying raw units.
    pub open_interest: [u64; 2],
}

#[account(zero_copy)]
#[derive(Debug)]
pub struct Board {
    pub market: Pubkey,
    /// Expiry, unix seconds.
    pub expiry_ts: i64,
    /// Unix time and oracle spot of the last refresh (0 = never refreshed: stale).
    pub refreshed_ts: i64,
    pub refreshed_spot: PodFx,
    /// This board's contribution to the market's aggregates, as last added there.
    pub contrib_delta: PodFx,
    pub contrib_gamma: PodFx,
    pub contrib_vega: PodFx,
    /// This board's part of the market's `options_value`, quote whole units.
    pub contrib_value: PodFx,
    pub num_strikes: u8,
    pub bump: u8,
    /// A [`BoardStatus`].
    pub status: u8,
    pub padding: [u8; 1],
    /// The call cap multiple this board was listed with, basis points of strike: its calls'
    /// payoffs, locks, marks and margins all use it, whatever governance sets later.
    pub cap_multiple_bps: u32,
    /// Settlement price, quote per underlying (set once after expiry).
    pub settlement_price: PodFx,
    /// After settlement: quote still reserved for this board's unpaid longs, and still owed by
    /// its unsettled shorts (each series rounded in the vault's favour).
    pub payable: u64,
    pub receivable: u64,
    pub strikes: [StrikeState; MAX_STRIKES],
    /// The share of each long's payoff paid at settlement (1 unless bad debt left the pool
    /// short of what its longs are owed: then they share what there is).
    pub payout_ratio: PodFx,
    /// The risk-free rate the marks were cached at (basis points): the LP refresh band bounds
    /// what re-marking at today's rate would move, while a rate change fades in.
    pub refreshed_rate_bps: u32,
    pub padding2: [u8; 4],
    /// When the surface was last posted (listing time until the vol feed posts), and when the
    /// strikes' `avg_vol` were last brought up to date.
    pub vol_posted_ts: i64,
    pub avg_vol_ts: i64,
    pub reserved: [u64; 7],
    /// What the last refresh cached for margin checks (`MarginCache`).
    pub margin_cache: MarginCache,
}

/// A short series' margin value at each strike, kind and level, cached at a refresh: the
/// engine's value (a plain call for calls) and delta at the shocked spot `x0` and the shocked
/// vol. A margin check bounds today's value from it (`math::margin::Scenario::short_bound`)
/// and prices the series only when the bound cannot decide.
#[zero_copy]
#[derive(Debug, Default)]
pub struct MarginCache {
    /// When it was made (0 = never: every check prices).
    pub made_ts: i64,
    /// The rules it was made for (`MarginCache::VERSION`): a program whose margin rules differ
    /// ignores caches made for others until the next refresh.
    pub version: u32,
    pub padding: [u8; 4],
    /// The parameters it was made with: im and mm spot shocks, vol shock, rate (basis points).
    /// Any change and the checks price again.
    pub im_spot_shock_bps: u32,
    pub mm_spot_shock_bps: u32,
    pub vol_shock_bps: u32,
    pub rate_bps: u32,
    /// 1 / sqrt(2 pi tau) at `made_ts`, tau in years: bounds how much value time takes away.
    pub vega_time: PodFx,
    /// The shocked spot, by kind and level (`Level as usize`).
    pub x0: [[PodFx; 2]; 2],
    /// By strike, kind and level.
    pub value: [[[PodFx; 2]; 2]; MAX_STRIKES],
    pub delta: [[[PodFx; 2]; 2]; MAX_STRIKES],
}

const _: () = assert!(core::mem::size_of::<StrikeState>() == 256);
const _: () = assert!(core::mem::size_of::<MarginCache>() == 1_136);
const _: () = assert!(core::mem::size_of::<Board>() == 3_448);

impl MarginCache {
    /// The margin rules' version: raise it with any change to what a cached entry means (the
    /// shocks' definition, the plain call for short calls, the shocked vol).
    pub const VERSION: u32 = 1;
}

impl Board {
    pub const SPACE: usize = 8 + core::mem::size_of::<Board>();

    pub fn status(&self) -> Result<BoardStatus> {
        BoardStatus::from_u8(self.status)
    }

    pub fn is_active(&self) -> bool {
        self.status == BoardStatus::Active as u8
    }

    /// No trader holds anything on it and the vault has no position on it.
    pub fn is_empty(&self) -> bool {
        self.strikes.iter().all(|s| s.vault_position == [0, 0] && s.open_interest == [0, 0])
    }

    pub fn strike(&self, index: u8) -> Result<&StrikeState> {
        require!((index as usize) < self.num_strikes as usize, OptionsAmmError::InvalidStrike);
        Ok(&self.strikes[index as usize])
    }

    /// A strike's time-weighted vol at `now`: its `avg_vol` moved towards `base_vol` by the
    /// share of `window_secs` elapsed since `avg_vol_ts` (all the way after a whole window).
    pub fn avg_vol_at(&self, s: &StrikeState, now: i64, window_secs: u32) -> Result<Fx> {
        crate::math::surface::time_weighted(
            s.avg_vol.get(),
            s.base_vol.get(),
            now.saturating_sub(self.avg_vol_ts),
            window_secs,
        )
    }

    /// Brings every strike's `avg_vol` up to `now` (before the surface changes, and at a
    /// refresh).
    pub fn advance_avg_vols(&mut self, now: i64, window_secs: u32) -> Result<()> {
        let n = self.num_strikes as usize;
        for i in 0..n {
            let v = self.avg_vol_at(&self.strikes[i], now, window_secs)?;
            self.strikes[i].avg_vol = PodFx::of(v);
        }
        self.avg_vol_ts = self.avg_vol_ts.max(now);
        Ok(())
    }

    /// Stale when never refreshed, older than `max_age`, or spot moved more than `max_move_bps`
    /// since the refresh.
    pub fn cache_is_stale(&self, now: i64, spot: Fx, max_age: u32, max_move_bps: u32) -> bool {
        let then = self.refreshed_spot.get();
        if self.refreshed_ts == 0 || then <= 0 {
            return true;
        }
        if now.saturating_sub(self.refreshed_ts) > i64::from(max_age) {
            return true;
        }
        let moved = (spot - then).abs();
        // moved / then > bps / 10_000, without dividing.
        match (
            moved.checked_mul_int(i128::from(BPS)),
            then.checked_mul_int(i128::from(max_move_bps)),
        ) {
            (Some(m), Some(limit)) => m > limit,
            _ => true,
        }
    }

    pub fn invariant(&self) -> Result<()> {
        let n = self.num_strikes as usize;
        require!((1..=MAX_STRIKES).contains(&n), OptionsAmmError::StrikeCountOutOfRange);
        self.status()?;
        let ratio = self.payout_ratio.get();
        require!((Fx::ZERO..=Fx::ONE).contains(&ratio), OptionsAmmError::PayoutRatioOutOfRange);
        require!(
            self.strikes[..n].windows(2).all(|w| w[0].strike.get() < w[1].strike.get()),
            OptionsAmmError::StrikesNotAscending
        );
        require!(
            self.strikes[n..]
                .iter()
                .all(|s| s.vault_position == [0, 0] && s.open_interest == [0, 0]),
            OptionsAmmError::UnusedSlotNotEmpty
        );
        Ok(())
    }
}
