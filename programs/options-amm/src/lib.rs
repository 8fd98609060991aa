//! options-amm: European cash-settled options on one underlying, quoted and filled against a
//! vault of LP capital (the inventory). `lib.rs` only dispatches; instructions live in
//! `instructions/<caller>/<ix>.rs`, state in `state/`, pure math in the shared
//! `options-amm-pricing` crate (re-exported here as [`pricing`]).

use anchor_lang::prelude::*;

pub mod error;

/// The fixed-point Black-Scholes engine, the same code the client runs.
pub use options_amm_pricing as pricing;

declare_id!("EeJe7rmHYvg4uw411YArCT44a6hBoHfpbhKDEKJuMN2c");

#[program]
pub mod options_amm {}
