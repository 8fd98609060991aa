//! Called by anyone (keepers): permissionless upkeep.

pub mod refresh_board;

#[allow(ambiguous_glob_reexports)]
pub use refresh_board::*;
