//! A trader's cross-margin account in one market: collateral, and the position accounts (one
//! per board) whose shorts it backs.

use super::market::MAX_ACTIVE_BOARDS;
use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;

/// Position accounts a margin account can hold (one per active board).
pub const MAX_POSITIONS: usize = MAX_ACTIVE_BOARDS as usize;

#[account(zero_copy)]
#[derive(Debug)]
pub struct MarginAccount {
    pub owner: Pubkey,
    pub market: Pubkey,
    /// Quote raw units deposited; backs every short of the account's positions.
    pub collateral: u64,
    /// Registered position accounts, the first `num_positions` in use.
    pub positions: [Pubkey; MAX_POSITIONS],
    pub num_positions: u8,
    pub bump: u8,
    pub padding: [u8; 6],
    pub reserved: [u64; 8],
}

const _: () = assert!(core::mem::size_of::<MarginAccount>() == 528);

impl MarginAccount {
    pub const SPACE: usize = 8 + core::mem::size_of::<MarginAccount>();

    pub fn register(&mut self, position: Pubkey) -> Result<()> {
        let n = self.num_positions as usize;
        require!(n < MAX_POSITIONS, OptionsAmmError::TooManyPositions);
        self.positions[n] = position;
        self.num_positions += 1;
        Ok(())
    }

    pub fn unregister(&mut self, position: &Pubkey) -> Result<()> {
        let n = self.num_positions as usize;
        let i = self.positions[..n]
            .iter()
            .position(|p| p == position)
            .ok_or(OptionsAmmError::WrongPosition)?;
        self.positions[i] = self.positions[n - 1];
        self.positions[n - 1] = Pubkey::default();
        self.num_positions -= 1;
        Ok(())
    }
}
