use super::trade::{execute, Trade};
use crate::state::Kind;
use anchor_lang::prelude::*;
use options_amm_pricing::Side;

/// Sells `size` contracts of a series (closing a long first; beyond it a short that locks its
/// maximum payoff as collateral), receiving at least `min_received` quote raw units of premium
/// after fees.
pub fn sell_handler(
    ctx: Context<Trade>,
    strike_index: u8,
    kind: Kind,
    size: u64,
    min_received: u64,
) -> Result<()> {
    execute(ctx, Side::Sell, strike_index, kind, size, min_received)
}
