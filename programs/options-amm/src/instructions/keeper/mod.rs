//! Called by anyone (keepers): permissionless upkeep.

pub mod liquidate;
pub mod rebalance;
pub mod refresh_board;
pub mod settle_board;
pub mod settle_position;
pub mod update_vol;

pub use liquidate::*;
pub use rebalance::*;
pub use refresh_board::*;
pub use settle_board::*;
pub use settle_position::*;
pub use update_vol::*;
