//! A trader's positions on one board; its shorts are backed by the owner's margin account.

use super::board::{Board, MAX_STRIKES};
use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;

#[account(zero_copy)]
#[derive(Debug)]
pub struct Position {
    pub owner: Pubkey,
    pub market: Pubkey,
    pub board: Pubkey,
    /// Per strike, per kind (call, put): contracts in underlying raw units (+ long, - short).
    pub sizes: [[i64; 2]; MAX_STRIKES],
    pub bump: u8,
    pub padding: [u8; 7],
    pub reserved: [u64; 9],
}

const _: () = assert!(core::mem::size_of::<Position>() == 304);

impl Position {
    pub const SPACE: usize = 8 + core::mem::size_of::<Position>();

    /// The position's own consistency against the board it names: same market and board, and
    /// no contracts past the board's strikes.
    pub fn invariant(&self, market: &Pubkey, board_key: &Pubkey, board: &Board) -> Result<()> {
        let n = (board.num_strikes as usize).min(MAX_STRIKES);
        let ok = self.market == *market
            && self.board == *board_key
            && board.market == *market
            && self.sizes[n..].iter().all(|s| *s == [0, 0]);
        require!(ok, OptionsAmmError::PositionOutsideItsBoard);
        Ok(())
    }
}
