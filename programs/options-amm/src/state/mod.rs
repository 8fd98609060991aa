//! Accounts. Each state type checks its own invariants (`invariant()`); handlers call it after
//! every change.

pub mod board;
pub mod config;
pub mod margin_account;
pub mod market;
pub mod params;
pub mod pod;
pub mod position;
pub mod seeds;

pub use board::*;
pub use config::*;
pub use margin_account::*;
pub use market::*;
pub use params::*;
pub use pod::*;
pub use position::*;
