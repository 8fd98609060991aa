//! Called by traders.

pub mod buy;
pub mod open_position;
pub mod sell;
pub mod trade;

// `buy` and `sell` share the `Trade` accounts (in `trade`); each module's `handler` is called by
// full path from lib.rs, and the globs let Anchor find the generated client modules.
#[allow(ambiguous_glob_reexports)]
pub use open_position::*;
pub use trade::*;
