//! Called by liquidity providers.

pub mod deposit;
pub mod withdraw;

// Each module has its own `handler`; they are always called by full path from lib.rs, and the
// globs exist so Anchor finds the generated client modules at the crate root.
#[allow(ambiguous_glob_reexports)]
pub use deposit::*;
#[allow(ambiguous_glob_reexports)]
pub use withdraw::*;
