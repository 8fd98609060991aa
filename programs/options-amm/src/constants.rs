//! Program-wide constants. Every number carries its unit.

use anchor_lang::prelude::*;

/// Seconds in the engine's year (365 days), shared with the pricing engine.
pub const SECONDS_PER_YEAR: u64 = options_amm_pricing::SECONDS_PER_YEAR;

/// Basis points in 1.00.
pub const BPS: u64 = 10_000;

/// The Pyth oracle program that owns legacy (push) price accounts, on every cluster where Pyth
/// publishes them.
pub const PYTH_LEGACY_PROGRAM_ID: Pubkey = pubkey!("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");

/// The Pyth receiver program that owns pull-oracle `PriceUpdateV2` accounts.
pub const PYTH_RECEIVER_PROGRAM_ID: Pubkey = pyth_solana_receiver_sdk::ID;

/// Largest mint decimals a market accepts (keeps value conversions inside u128).
pub const MAX_MINT_DECIMALS: u8 = 12;

/// Share mints carry this many more decimals than the quote mint, so a first deposit mints
/// 10^3 share units per quote unit (one whole share per whole quote token).
pub const SHARE_DECIMALS_OFFSET: u8 = 3;

/// Virtual shares and assets added to each tranche when pricing shares (an OpenZeppelin-style
/// decimal offset): NAV is kept on the books, so donations cannot move the share price at all;
/// the offset also bounds what rounding can take from a first depositor, and what the virtual
/// holder keeps from the last one (at most about one quote unit).
pub const VIRTUAL_SHARES: u64 = 1_000;
pub const VIRTUAL_ASSETS: u64 = 1;
/// Junior shares a quote raw unit at which the senior target stops accruing: a tenth of the
/// initial share price (`VIRTUAL_SHARES / VIRTUAL_ASSETS` shares a unit). Deposits at that
/// price mint at most this many shares a unit, so the share supply cannot overflow.
pub const JUNIOR_ACCRUAL_FLOOR_SHARES: u64 = 10 * VIRTUAL_SHARES / VIRTUAL_ASSETS;

/// How long a proposed parameter change stays executable after its timelock, seconds.
pub const PROPOSAL_TTL_SECS: i64 = 7 * 86_400;

/// Delay between the authority proposing a new guardian and anyone executing the change,
/// seconds (two days).
pub const GUARDIAN_TIMELOCK_SECS: i64 = 2 * 86_400;
