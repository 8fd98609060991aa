//! Called by the config's authority (and, for pausing, its guardian).

pub mod accept_authority;
pub mod collect_fees;
pub mod create_board;
pub mod delist_board;
pub mod execute_guardian;
pub mod execute_params;
pub mod initialize_config;
pub mod initialize_market;
pub mod propose_authority;
pub mod propose_guardian;
pub mod propose_params;
pub mod set_pause;

// Each module has its own `handler`; they are always called by full path from lib.rs, and the
// globs exist so Anchor finds the generated client modules at the crate root.
#[allow(ambiguous_glob_reexports)]
pub use accept_authority::*;
#[allow(ambiguous_glob_reexports)]
pub use collect_fees::*;
#[allow(ambiguous_glob_reexports)]
pub use create_board::*;
#[allow(ambiguous_glob_reexports)]
pub use delist_board::*;
#[allow(ambiguous_glob_reexports)]
pub use execute_guardian::*;
#[allow(ambiguous_glob_reexports)]
pub use execute_params::*;
#[allow(ambiguous_glob_reexports)]
pub use initialize_config::*;
#[allow(ambiguous_glob_reexports)]
pub use initialize_market::*;
#[allow(ambiguous_glob_reexports)]
pub use propose_authority::*;
#[allow(ambiguous_glob_reexports)]
pub use propose_guardian::*;
#[allow(ambiguous_glob_reexports)]
pub use propose_params::*;
#[allow(ambiguous_glob_reexports)]
pub use set_pause::*;
