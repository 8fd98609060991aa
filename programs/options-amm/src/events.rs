//! One event per state change, with what an indexer needs.

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
    pub oracle_kind: u8,
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
    pub tranche: u8,
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
    pub tranche: u8,
    /// Shares burnt.
    pub shares: u64,
    /// Quote units paid out.
    pub amount: u64,
    pub tranche_value: u64,
    pub share_supply: u64,
    pub nav: i64,
    pub senior_claim: u64,
}
