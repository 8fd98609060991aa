//! Accounts. Each state type checks its own invariants (`invariant()`); handlers call it after
//! every change.

pub mod config;
pub mod market;
pub mod params;
pub mod seeds;

pub use config::*;
pub use market::*;
pub use params::*;
