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

// `buy` and `sell` share the `Trade` accounts (in `trade`); each instruction's handler is named
// after it, and the globs let Anchor find the generated client modules.
pub use close_position::*;
pub use collateral::*;
pub use open_margin_account::*;
pub use open_position::*;
pub use trade::*;
