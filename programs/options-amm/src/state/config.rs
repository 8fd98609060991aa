//! Governance config: who may change a market and who may pause it.

use anchor_lang::prelude::*;

#[account]
#[derive(InitSpace)]
pub struct Config {
    /// Signer that created the config (part of its seeds; never changes).
    pub creator: Pubkey,
    /// Creates markets and changes parameters (a multisig or DAO in production).
    pub authority: Pubkey,
    /// May pause, never move funds or unpause.
    pub guardian: Pubkey,
    pub bump: u8,
    /// Proposed next authority (default: none); it takes over by signing `accept_authority`.
    pub pending_authority: Pubkey,
    /// Room for later fields.
    pub reserved: [u8; 96],
}

impl Config {
    pub fn invariant(&self) -> Result<()> {
        require_keys_neq!(
            self.authority,
            Pubkey::default(),
            crate::error::OptionsAmmError::InvariantViolated
        );
        Ok(())
    }
}
