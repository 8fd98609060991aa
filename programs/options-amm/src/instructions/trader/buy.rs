use super::trade::{execute, Trade};
use crate::state::Kind;
use anchor_lang::prelude::*;
use options_amm_pricing::Side;

/// Buys `size` contracts of a series (closing a short first), paying at most `max_paid` quote
/// raw units, premium and fees included (collateral released by a closed short is returned).
pub fn buy_handler(
    ctx: Context<Trade>,
    strike_index: u8,
    kind: Kind,
    size: u64,
    max_paid: u64,
) -> Result<()> {
    execute(ctx, Side::Buy, strike_index, kind, size, max_paid)
}
