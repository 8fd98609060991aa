//! Called by the config's authority (and, for pausing, its guardian).

pub mod accept_authority;
pub mod collect_fees;
pub mod create_board;
pub mod delist_board;
pub mod execute_guardian;
pub mod execute_params;
pub mod execute_vol_feed;
pub mod initialize_config;
pub mod initialize_market;
pub mod propose_authority;
pub mod propose_guardian;
pub mod propose_params;
pub mod propose_vol_feed;
pub mod set_pause;

// Each instruction's handler is named after it (`deposit_handler`); the globs let Anchor find
// the generated client modules at the crate root.
pub use accept_authority::*;
pub use collect_fees::*;
pub use create_board::*;
pub use delist_board::*;
pub use execute_guardian::*;
pub use execute_params::*;
pub use execute_vol_feed::*;
pub use initialize_config::*;
pub use initialize_market::*;
pub use propose_authority::*;
pub use propose_guardian::*;
pub use propose_params::*;
pub use propose_vol_feed::*;
pub use set_pause::*;
