//! options-amm: European cash-settled options on one underlying, quoted and filled against a
//! vault of LP capital (the inventory). `lib.rs` only dispatches; instructions live in
//! `instructions/<caller>/<ix>.rs`, state in `state/`, pure math in `math/` and in the shared
//! `options-amm-pricing` crate (re-exported here as [`pricing`]).

use anchor_lang::prelude::*;

pub mod book;
/// Off-chain instruction builders and PDAs (host only).
#[cfg(not(target_os = "solana"))]
pub mod client;
pub mod constants;
pub mod error;
pub mod events;
pub mod instructions;
pub mod math;
pub mod oracle;
pub mod state;
mod token;

pub use instructions::*;
/// The fixed-point Black-Scholes engine, the same code the client runs.
pub use options_amm_pricing as pricing;
pub use state::{Kind, OracleKind, RiskParams, Tranche};

// memcpy/memset and the i128 routines for the SBF build (.ci/sbf/build.sh).
#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;

declare_id!("EeJe7rmHYvg4uw411YArCT44a6hBoHfpbhKDEKJuMN2c");

#[program]
pub mod options_amm {
    use super::*;

    // -- governance
    pub fn initialize_config(ctx: Context<InitializeConfig>, guardian: Pubkey) -> Result<()> {
        instructions::governance::initialize_config::initialize_config_handler(ctx, guardian)
    }

    pub fn initialize_market(
        ctx: Context<InitializeMarket>,
        args: InitializeMarketArgs,
    ) -> Result<()> {
        instructions::governance::initialize_market::initialize_market_handler(ctx, args)
    }

    pub fn set_pause(ctx: Context<SetPause>, flags: u8) -> Result<()> {
        instructions::governance::set_pause::set_pause_handler(ctx, flags)
    }

    pub fn create_board(
        ctx: Context<CreateBoard>,
        expiry_ts: i64,
        strikes: Vec<StrikeArgs>,
    ) -> Result<()> {
        instructions::governance::create_board::create_board_handler(ctx, expiry_ts, strikes)
    }

    pub fn propose_params(ctx: Context<ProposeParams>, params: RiskParams) -> Result<()> {
        instructions::governance::propose_params::propose_params_handler(ctx, params)
    }

    pub fn execute_params(ctx: Context<ExecuteParams>) -> Result<()> {
        instructions::governance::execute_params::execute_params_handler(ctx)
    }

    pub fn propose_authority(ctx: Context<ProposeAuthority>, new_authority: Pubkey) -> Result<()> {
        instructions::governance::propose_authority::propose_authority_handler(ctx, new_authority)
    }

    pub fn accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
        instructions::governance::accept_authority::accept_authority_handler(ctx)
    }

    pub fn delist_board(ctx: Context<DelistBoard>) -> Result<()> {
        instructions::governance::delist_board::delist_board_handler(ctx)
    }

    pub fn propose_guardian(ctx: Context<ProposeGuardian>, new_guardian: Pubkey) -> Result<()> {
        instructions::governance::propose_guardian::propose_guardian_handler(ctx, new_guardian)
    }

    pub fn execute_guardian(ctx: Context<ExecuteGuardian>) -> Result<()> {
        instructions::governance::execute_guardian::execute_guardian_handler(ctx)
    }

    pub fn collect_fees(ctx: Context<CollectFees>, amount: u64) -> Result<()> {
        instructions::governance::collect_fees::collect_fees_handler(ctx, amount)
    }

    pub fn propose_vol_feed(ctx: Context<ProposeVolFeed>, new_feed: Pubkey) -> Result<()> {
        instructions::governance::propose_vol_feed::propose_vol_feed_handler(ctx, new_feed)
    }

    pub fn execute_vol_feed(ctx: Context<ExecuteVolFeed>) -> Result<()> {
        instructions::governance::execute_vol_feed::execute_vol_feed_handler(ctx)
    }

    // -- the vol feed
    pub fn post_vol_surface(ctx: Context<PostVolSurface>, vols_micro: Vec<u64>) -> Result<()> {
        instructions::vol_feed::post_vol_surface::post_vol_surface_handler(ctx, vols_micro)
    }

    // -- keepers
    pub fn refresh_board(ctx: Context<RefreshBoard>) -> Result<()> {
        instructions::keeper::refresh_board::refresh_board_handler(ctx)
    }

    pub fn liquidate(
        ctx: Context<Liquidate>,
        strike_index: u8,
        kind: Kind,
        size: u64,
    ) -> Result<()> {
        instructions::keeper::liquidate::liquidate_handler(ctx, strike_index, kind, size)
    }

    pub fn rebalance(ctx: Context<Rebalance>, amount: u64, limit: u64) -> Result<()> {
        instructions::keeper::rebalance::rebalance_handler(ctx, amount, limit)
    }

    pub fn settle_board(ctx: Context<SettleBoard>) -> Result<()> {
        instructions::keeper::settle_board::settle_board_handler(ctx)
    }

    pub fn settle_position(ctx: Context<SettlePosition>) -> Result<()> {
        instructions::keeper::settle_position::settle_position_handler(ctx)
    }

    pub fn update_vol(ctx: Context<UpdateVol>) -> Result<()> {
        instructions::keeper::update_vol::update_vol_handler(ctx)
    }

    // -- traders
    pub fn open_margin_account(ctx: Context<OpenMarginAccount>) -> Result<()> {
        instructions::trader::open_margin_account::open_margin_account_handler(ctx)
    }

    pub fn deposit_collateral(ctx: Context<MoveCollateral>, amount: u64) -> Result<()> {
        instructions::trader::deposit_collateral::deposit_collateral_handler(ctx, amount)
    }

    pub fn withdraw_collateral(ctx: Context<MoveCollateral>, amount: u64) -> Result<()> {
        instructions::trader::withdraw_collateral::withdraw_collateral_handler(ctx, amount)
    }

    pub fn open_position(ctx: Context<OpenPosition>) -> Result<()> {
        instructions::trader::open_position::open_position_handler(ctx)
    }

    pub fn close_position(ctx: Context<ClosePosition>) -> Result<()> {
        instructions::trader::close_position::close_position_handler(ctx)
    }

    pub fn buy(
        ctx: Context<Trade>,
        strike_index: u8,
        kind: Kind,
        size: u64,
        max_paid: u64,
    ) -> Result<()> {
        instructions::trader::buy::buy_handler(ctx, strike_index, kind, size, max_paid)
    }

    pub fn sell(
        ctx: Context<Trade>,
        strike_index: u8,
        kind: Kind,
        size: u64,
        min_received: u64,
    ) -> Result<()> {
        instructions::trader::sell::sell_handler(ctx, strike_index, kind, size, min_received)
    }

    // -- LPs
    pub fn deposit(
        ctx: Context<Deposit>,
        tranche: Tranche,
        amount: u64,
        min_shares: u64,
    ) -> Result<()> {
        instructions::lp::deposit::deposit_handler(ctx, tranche, amount, min_shares)
    }

    pub fn withdraw(
        ctx: Context<Withdraw>,
        tranche: Tranche,
        shares: u64,
        min_amount: u64,
    ) -> Result<()> {
        instructions::lp::withdraw::withdraw_handler(ctx, tranche, shares, min_amount)
    }
}
