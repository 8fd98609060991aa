//! Called by liquidity providers.

pub mod deposit;
pub mod withdraw;

// Each instruction's handler is named after it (`deposit_handler`); the globs let Anchor find
// the generated client modules at the crate root.
pub use deposit::*;
pub use withdraw::*;
