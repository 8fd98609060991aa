//! One file per instruction, grouped by caller.

pub mod governance;
pub mod keeper;
pub mod lp;
pub mod trader;
pub mod vol_feed;

// Each instruction's handler is named after it (`deposit_handler`); the globs let Anchor find
// the generated client modules at the crate root.
pub use governance::*;
pub use keeper::*;
pub use lp::*;
pub use trader::*;
pub use vol_feed::*;
