//! Called by the market's vol feed (a key governance sets, like Derive's vol feed or Zeta's
//! vol nodes): moves a board's surface within bounds.

pub mod post_vol_surface;

pub use post_vol_surface::*;
