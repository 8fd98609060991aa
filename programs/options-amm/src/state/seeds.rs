//! Every PDA's seed prefix, in one place. Each PDA stores its canonical bump.

/// `[CONFIG, creator]`: a governance config.
pub const CONFIG: &[u8] = b"config";
/// `[MARKET, config, underlying_mint, quote_mint]`: a market; it owns its vaults and share mints.
pub const MARKET: &[u8] = b"market";
/// `[QUOTE_VAULT, market]`: the market's quote token account.
pub const QUOTE_VAULT: &[u8] = b"quote_vault";
/// `[UNDERLYING_VAULT, market]`: the market's underlying token account (the pool's hedge).
pub const UNDERLYING_VAULT: &[u8] = b"underlying_vault";
/// `[SHARES, market, [tranche]]`: a tranche's share mint.
pub const SHARES: &[u8] = b"shares";
/// `[BOARD, market, expiry_ts (i64 LE)]`: one expiry with its strikes.
pub const BOARD: &[u8] = b"board";
/// `[POSITION, board, owner]`: a trader's positions on one board.
pub const POSITION: &[u8] = b"position";
/// `[MARGIN, market, owner]`: a trader's cross-margin account.
pub const MARGIN: &[u8] = b"margin";
