//! One event per state change, with what an indexer needs.

use crate::state::Kind;
use anchor_lang::prelude::*;

#[event]
pub struct ConfigInitialized {
    pub config: Pubkey,
    pub authority: Pubkey,
    pub guardian: Pubkey,
}

#[event]
pub struct MarketInitialized {
    pub market: Pubkey,
    pub config: Pubkey,
    pub underlying_mint: Pubkey,
    pub quote_mint: Pubkey,
    pub oracle: Pubkey,
    pub oracle_kind: crate::state::OracleKind,
    pub senior_share_mint: Pubkey,
    pub junior_share_mint: Pubkey,
}

#[event]
pub struct PauseChanged {
    pub market: Pubkey,
    pub signer: Pubkey,
    pub old_flags: u8,
    pub new_flags: u8,
}

#[event]
pub struct LpDeposited {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub tranche: crate::state::Tranche,
    /// Quote units paid in.
    pub amount: u64,
    /// Shares minted.
    pub shares: u64,
    /// Tranche value and share supply before the deposit (quote units, shares).
    pub tranche_value: u64,
    pub share_supply: u64,
    /// Pool NAV before the deposit, quote units.
    pub nav: i64,
    pub senior_claim: u64,
}

#[event]
pub struct LpWithdrew {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub tranche: crate::state::Tranche,
    /// Shares burnt.
    pub shares: u64,
    /// Quote units paid out.
    pub amount: u64,
    pub tranche_value: u64,
    pub share_supply: u64,
    pub nav: i64,
    pub senior_claim: u64,
}

#[event]
pub struct BoardCreated {
    pub market: Pubkey,
    pub board: Pubkey,
    pub expiry_ts: i64,
    pub num_strikes: u8,
}

/// The realised-vol estimate took a new print (`update_vol`).
#[event]
pub struct RealisedVolUpdated {
    pub market: Pubkey,
    pub keeper: Pubkey,
    pub publish_time: i64,
    /// The estimate after it (`Fx` bits, 1.00 = 100% a year).
    pub realised_vol: i128,
    /// Seconds of prints the estimate spans.
    pub span_secs: i64,
}

#[event]
pub struct BoardRefreshed {
    pub market: Pubkey,
    pub board: Pubkey,
    pub keeper: Pubkey,
    /// Oracle spot used (`Fx` bits, quote per underlying).
    pub spot: i128,
    /// The board's contribution and the market's aggregates after the refresh (`Fx` bits).
    pub board_delta: i128,
    pub board_gamma: i128,
    pub board_vega: i128,
    pub net_delta: i128,
    pub net_gamma: i128,
    pub net_vega: i128,
}

#[event]
pub struct PositionOpened {
    pub market: Pubkey,
    pub board: Pubkey,
    pub owner: Pubkey,
    pub position: Pubkey,
}

#[event]
pub struct Traded {
    pub market: Pubkey,
    pub board: Pubkey,
    pub owner: Pubkey,
    pub strike_index: u8,
    /// 0 call, 1 put.
    pub kind: Kind,
    /// 0 trader buys, 1 trader sells.
    pub side: u8,
    /// Contracts, underlying raw units.
    pub size: u64,
    /// Quote raw units: premium, fees (the LP fee includes the lock charge, also shown apart).
    pub premium: u64,
    pub fee_protocol: u64,
    pub fee_lp: u64,
    pub fee_lock: u64,
    /// Whether the account was checked against initial margin after the trade (a sell while
    /// it holds shorts).
    pub margin_checked: bool,
    /// Net quote the trader paid (+) or received (-).
    pub trader_flow: i64,
    /// `Fx` bits: the inventory charge (change of the potential) and the spread inside the
    /// premium, oracle spot, the vault's aggregates after.
    pub inventory_charge: i128,
    pub spread: i128,
    /// Closed where normal trading is refused (inside the cutoff, outside the delta band).
    pub force_close: bool,
    pub spot: i128,
    pub net_delta: i128,
    pub net_gamma: i128,
    pub net_vega: i128,
}

#[event]
pub struct BoardSettled {
    pub market: Pubkey,
    pub board: Pubkey,
    pub keeper: Pubkey,
    /// `Fx` bits, quote per underlying.
    pub settlement_price: i128,
    pub publish_time: i64,
    /// Quote raw units reserved for longs, and taken from shorts' collateral into the pool.
    pub payable: u64,
    pub receivable: u64,
    /// The vault's lock released.
    pub released: u64,
    /// `Fx` bits: the share of each long's payoff paid (1 unless bad debt left the pool short).
    pub payout_ratio: i128,
    /// The window passed without a valid print: settled at the first valid print after it.
    pub fallback: bool,
}

#[event]
pub struct PositionSettled {
    pub market: Pubkey,
    pub board: Pubkey,
    pub owner: Pubkey,
    /// Quote raw units: paid for longs, owed by shorts, and the part of that the margin account
    /// could not pay (absorbed by the pool).
    pub payout: u64,
    pub owed: u64,
    pub bad_debt: u64,
    /// Where the payout went after netting: the wallet, the margin collateral, earlier debt;
    /// and the debt this settlement left on the account.
    pub to_wallet: u64,
    pub to_collateral: u64,
    pub debt_repaid: u64,
    pub new_debt: u64,
}

#[event]
pub struct ParamsProposed {
    pub market: Pubkey,
    pub authority: Pubkey,
    pub eta: i64,
    pub expiry: i64,
    pub params: crate::state::RiskParams,
}

#[event]
pub struct ParamsExecuted {
    pub market: Pubkey,
    pub executor: Pubkey,
    pub params: crate::state::RiskParams,
}

#[event]
pub struct AuthorityProposed {
    pub config: Pubkey,
    pub authority: Pubkey,
    pub pending_authority: Pubkey,
}

#[event]
pub struct AuthorityAccepted {
    pub config: Pubkey,
    pub old_authority: Pubkey,
    pub new_authority: Pubkey,
}

#[event]
pub struct Rebalanced {
    pub market: Pubkey,
    pub keeper: Pubkey,
    /// true: the vault bought underlying (it was short delta).
    pub vault_bought: bool,
    /// Underlying raw units traded, quote raw units paid or received.
    pub amount: u64,
    pub quote_amount: u64,
    /// `Fx` bits: oracle price, net delta before and after.
    pub oracle_price: i128,
    pub net_delta_before: i128,
    pub net_delta_after: i128,
}

/// Why a circuit breaker refused an action.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerReason {
    StaleGreekCache,
    OracleInvalid,
    UtilisationCap,
    FreeLiquidity,
    /// Mature realised vol above the series' implied vol x `vol.breaker_ratio_bps`.
    RealisedVolJump,
    /// A vol feed is set and the board's surface is older than `vol.feed_max_age_secs`.
    StaleVolSurface,
    /// The trade would leave more delta than the hedge can offset (`hedge.max_unhedged_delta`).
    CannotHedge,
}

/// A circuit breaker refused an action (emitted just before the refusal's error, so it is in the
/// failed transaction's logs).
#[event]
pub struct CircuitBreakerTripped {
    pub market: Pubkey,
    pub reason: BreakerReason,
}

#[event]
pub struct CollateralMoved {
    pub market: Pubkey,
    pub owner: Pubkey,
    /// Quote raw units in (+) or out (-).
    pub amount: i64,
    /// Collateral after.
    pub collateral: u64,
}

#[event]
pub struct Liquidated {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub liquidator: Pubkey,
    pub board: Pubkey,
    pub strike_index: u8,
    pub kind: Kind,
    /// 0: a short bought back, 1: a long sold.
    pub side: u8,
    /// Contracts closed (underlying raw units); quote the account paid (+) or received (-)
    /// for them, fees included.
    pub size: u64,
    pub trader_flow: i64,
    pub penalty_keeper: u64,
    pub penalty_vault: u64,
    /// Quote the account could not pay, absorbed by the pool (junior tranche first).
    pub bad_debt: u64,
    /// `Fx` bits: maintenance excess before, initial excess after, as the checks decided them:
    /// priced, or bounded from the boards' margin caches on the side that decided (the
    /// maintenance excess then at or above the priced one and still below zero; the initial
    /// excess at or above the priced one and still within one contract).
    pub mm_excess_before: i128,
    pub im_excess_after: i128,
    /// Whether each of the two excesses above is a bound from the margin caches (true) or
    /// priced (false).
    pub mm_excess_bounded: bool,
    pub im_excess_bounded: bool,
}

#[event]
pub struct BadDebt {
    pub market: Pubkey,
    pub owner: Pubkey,
    /// Quote raw units the pool absorbed.
    pub amount: u64,
}

#[event]
pub struct BoardDelisted {
    pub market: Pubkey,
    pub board: Pubkey,
    pub authority: Pubkey,
}

#[event]
pub struct PositionClosed {
    pub market: Pubkey,
    pub board: Pubkey,
    pub owner: Pubkey,
    pub position: Pubkey,
}

#[event]
pub struct GuardianProposed {
    pub config: Pubkey,
    pub authority: Pubkey,
    pub pending_guardian: Pubkey,
    pub eta: i64,
}

#[event]
pub struct GuardianChanged {
    pub config: Pubkey,
    pub old_guardian: Pubkey,
    pub new_guardian: Pubkey,
}

#[event]
pub struct ProtocolFeesCollected {
    pub market: Pubkey,
    pub authority: Pubkey,
    pub treasury: Pubkey,
    /// Quote raw units paid out, and what is left accrued.
    pub amount: u64,
    pub remaining: u64,
}

#[event]
pub struct VolFeedProposed {
    pub market: Pubkey,
    pub pending_vol_feed: Pubkey,
    pub eta: i64,
}

#[event]
pub struct VolFeedChanged {
    pub market: Pubkey,
    pub old_vol_feed: Pubkey,
    pub new_vol_feed: Pubkey,
}

/// The vol feed posted a board's surface (one vol per strike, millionths) at oracle `spot`.
#[event]
pub struct VolSurfacePosted {
    pub market: Pubkey,
    pub board: Pubkey,
    pub vols_micro: Vec<u64>,
    pub spot: i128,
}
