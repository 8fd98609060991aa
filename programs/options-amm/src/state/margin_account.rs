//! A trader's cross-margin account in one market: collateral, and the position accounts (one
//! per board) whose shorts it backs.

use super::market::MAX_ACTIVE_BOARDS;
use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;

/// Position accounts a margin account can hold (one per active board).
pub const MAX_POSITIONS: usize = MAX_ACTIVE_BOARDS as usize;

/// Series (strike and kind, long or short) a margin account may hold open at once, over all its
/// positions. Every margin check prices each open series, so this bounds the compute of
/// `sell`, `withdraw_collateral` and above all `liquidate`: every account stays liquidatable
/// within the 200,000-CU budget (measured in tests/sbf with all series short calls).
pub const MAX_OPEN_SERIES: u8 = 8;

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
    /// Non-zero series over all registered positions (at most [`MAX_OPEN_SERIES`]).
    pub open_series: u8,
    pub padding: [u8; 5],
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

    /// Counts a series whose size moves from `old` to `new`: opening one beyond
    /// [`MAX_OPEN_SERIES`] is refused, closing one frees its place.
    pub fn track_series(&mut self, old: i64, new: i64) -> Result<()> {
        match (old == 0, new == 0) {
            (true, false) => {
                require!(self.open_series < MAX_OPEN_SERIES, OptionsAmmError::TooManyOpenSeries);
                self.open_series += 1;
            }
            (false, true) => self.close_series(1)?,
            _ => {}
        }
        Ok(())
    }

    /// Frees the places of `n` series that were closed (settled) at once.
    pub fn close_series(&mut self, n: u8) -> Result<()> {
        self.open_series =
            self.open_series.checked_sub(n).ok_or(OptionsAmmError::InvariantViolated)?;
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
