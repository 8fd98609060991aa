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
    /// A guardian change proposed by the authority (default: none), executable by anyone from
    /// `guardian_eta` (a timelock, so a captured authority cannot silence the guardian at once
    /// and a lost or hostile guardian can be replaced).
    pub pending_guardian: Pubkey,
    pub guardian_eta: i64,
    /// Room for later fields.
    pub reserved: [u8; 56],
}

impl Config {
    pub fn invariant(&self) -> Result<()> {
        require_keys_neq!(
            self.authority,
            Pubkey::default(),
            crate::error::OptionsAmmError::ConfigWithoutAuthority
        );
        Ok(())
    }
}
