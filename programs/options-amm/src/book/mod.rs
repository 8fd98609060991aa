//! The domain layer: what a fill, a lock, a margin check, a valuation for LP flows and a
//! settlement change in the market's books. Instructions call it; it calls `math/` and the
//! pricing crate; it never calls an instruction (layers point one way:
//! instructions -> book -> math).

pub mod fill;
pub mod margin;
pub mod settle;
pub mod valuation;
