//! Called by traders.

pub mod buy;
pub mod close_position;
pub mod collateral;
pub mod deposit_collateral;
pub mod open_margin_account;
pub mod open_position;
pub mod sell;
pub mod trade;
pub mod withdraw_collateral;

// `buy` and `sell` share the `Trade` accounts (in `trade`); each module's `handler` is called by
// full path from lib.rs, and the globs let Anchor find the generated client modules.
#[allow(ambiguous_glob_reexports)]
pub use close_position::*;
pub use collateral::*;
#[allow(ambiguous_glob_reexports)]
pub use open_margin_account::*;
#[allow(ambiguous_glob_reexports)]
pub use open_position::*;
pub use trade::*;
