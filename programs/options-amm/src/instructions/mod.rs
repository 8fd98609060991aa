//! One file per instruction, grouped by caller.

pub mod governance;
pub mod keeper;
pub mod lp;
pub mod trader;

// Each module has its own `handler`; they are always called by full path from lib.rs, and the
// globs exist so Anchor finds the generated client modules at the crate root.
#[allow(ambiguous_glob_reexports)]
pub use governance::*;
#[allow(ambiguous_glob_reexports)]
pub use keeper::*;
#[allow(ambiguous_glob_reexports)]
pub use lp::*;
#[allow(ambiguous_glob_reexports)]
pub use trader::*;
