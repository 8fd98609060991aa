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
    /// Room for later fields (timelock, pending authority).
    pub reserved: [u8; 128],
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
