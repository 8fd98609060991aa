//! Called by anyone (keepers): permissionless upkeep.

pub mod liquidate;
pub mod rebalance;
pub mod refresh_board;
pub mod settle_board;
pub mod settle_position;

#[allow(ambiguous_glob_reexports)]
pub use liquidate::*;
#[allow(ambiguous_glob_reexports)]
pub use rebalance::*;
#[allow(ambiguous_glob_reexports)]
pub use refresh_board::*;
#[allow(ambiguous_glob_reexports)]
pub use settle_board::*;
#[allow(ambiguous_glob_reexports)]
pub use settle_position::*;
