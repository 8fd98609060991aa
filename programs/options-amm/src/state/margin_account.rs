//! A trader's cross-margin account in one market: collateral, and the position accounts (one
//! per board) whose shorts it backs.

use super::market::MAX_ACTIVE_BOARDS;
use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;

/// Position accounts a margin account can hold at once (one per board). Bounded with the open
/// series so that a liquidation's accounts (11 + 2 per position) fit one legacy transaction;
/// an empty position closes (`close_position`) to make room.
pub const MAX_POSITIONS: usize = 8;
const _: () = assert!(MAX_POSITIONS <= MAX_ACTIVE_BOARDS as usize);

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
    /// Of those, the series held short: while any is, every action that can lower the
    /// account's margin ends with the initial-margin check.
    pub short_series: u8,
    pub padding: [u8; 4],
    /// Quote raw units the account owes the pool: what an expired short could not pay at
    /// settlement while other positions remain. Later payouts and deposits repay it first;
    /// margin counts it against the collateral.
    pub debt: u64,
    pub reserved: [u64; 7],
}

const _: () = assert!(core::mem::size_of::<MarginAccount>() == 400);

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
    /// [`MAX_OPEN_SERIES`] is refused, closing one frees its place; shorts are counted apart.
    pub fn track_series(&mut self, old: i64, new: i64) -> Result<()> {
        match (old == 0, new == 0) {
            (true, false) => {
                require!(self.open_series < MAX_OPEN_SERIES, OptionsAmmError::TooManyOpenSeries);
                self.open_series += 1;
            }
            (false, true) => self.close_series(1, 0)?,
            _ => {}
        }
        match (old < 0, new < 0) {
            (false, true) => self.short_series += 1,
            (true, false) => {
                self.short_series =
                    self.short_series.checked_sub(1).ok_or(OptionsAmmError::SeriesCountUnderflow)?
            }
            _ => {}
        }
        Ok(())
    }

    /// Frees the places of `n` series, `shorts` of them short, closed (settled) at once.
    pub fn close_series(&mut self, n: u8, shorts: u8) -> Result<()> {
        self.open_series =
            self.open_series.checked_sub(n).ok_or(OptionsAmmError::SeriesCountUnderflow)?;
        self.short_series =
            self.short_series.checked_sub(shorts).ok_or(OptionsAmmError::SeriesCountUnderflow)?;
        Ok(())
    }

    pub fn has_shorts(&self) -> bool {
        self.short_series > 0
    }

    /// Collateral less debt, quote raw units (negative: the account owes more than it holds).
    pub fn net_collateral(&self) -> i128 {
        self.collateral as i128 - self.debt as i128
    }

    /// Repays debt from `amount` quote raw units; returns (repaid, left over).
    pub fn repay(&mut self, amount: u64) -> (u64, u64) {
        let repaid = amount.min(self.debt);
        self.debt -= repaid;
        (repaid, amount - repaid)
    }

    /// The account's own consistency: counts in range, no debt beside collateral (debt is
    /// repaid from collateral first).
    pub fn invariant(&self) -> Result<()> {
        let counts = (self.num_positions as usize) <= MAX_POSITIONS
            && self.open_series <= MAX_OPEN_SERIES
            && self.short_series <= self.open_series;
        require!(counts, OptionsAmmError::MarginCountsOutOfRange);
        require!(self.debt == 0 || self.collateral == 0, OptionsAmmError::DebtBesideCollateral);
        let unused = &self.positions[self.num_positions as usize..];
        require!(
            unused.iter().all(|p| *p == Pubkey::default()),
            OptionsAmmError::UnusedSlotNotEmpty
        );
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
