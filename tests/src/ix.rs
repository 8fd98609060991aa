//! The harness's instruction builders: `options_amm::client` (the one copy the CLI and the SBF
//! tests also use) with the accounts filled from the `Env`.

use crate::{Env, Lp};
use anchor_lang::prelude::Pubkey;
use options_amm::client::{self, pda, MarketKeys, Wallet};
use options_amm::{Kind, OracleKind, RiskParams, Tranche};
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::Signer;

pub use client::buy_with;
pub use pda::{margin as margin_pda, position as position_pda};

impl Env {
    /// The market's accounts as the client names them.
    pub fn keys(&self) -> MarketKeys {
        MarketKeys {
            config: self.config,
            market: self.market,
            underlying_mint: self.underlying_mint,
            quote_mint: self.quote_mint,
            underlying_vault: self.underlying_vault,
            quote_vault: self.quote_vault,
            share_mints: self.share_mints,
            oracle: self.oracle,
            underlying_token_program: self.opts.underlying_program,
            quote_token_program: self.opts.quote_program,
        }
    }

    fn margin_of(&self, owner: &Pubkey) -> &[(Pubkey, Pubkey)] {
        self.margin_positions.get(owner).map(Vec::as_slice).unwrap_or(&[])
    }
}

impl Lp {
    /// The holder's token accounts as the client names them.
    pub fn wallet(&self) -> Wallet {
        Wallet { owner: self.pubkey(), quote: self.quote, shares: self.shares }
    }
}

pub fn initialize_config(env: &Env, creator: &Pubkey, guardian: &Pubkey) -> Instruction {
    client::initialize_config(&env.payer(), creator, guardian)
}

pub fn initialize_market(env: &Env, params: RiskParams) -> Instruction {
    initialize_market_with(env, env.authority.pubkey(), params, env.opts.oracle_kind)
}

pub fn initialize_market_with(
    env: &Env,
    authority: Pubkey,
    params: RiskParams,
    oracle_kind: OracleKind,
) -> Instruction {
    client::initialize_market(
        &env.keys(),
        &env.payer(),
        &authority,
        oracle_kind,
        env.feed_id,
        params,
    )
}

pub fn set_pause(env: &Env, signer: &Pubkey, flags: u8) -> Instruction {
    client::set_pause(&env.keys(), signer, flags)
}

/// The accounts of a deposit, to be changed by substitution tests.
pub fn deposit_accounts(env: &Env, lp: &Lp, tranche: Tranche) -> options_amm::accounts::Deposit {
    client::deposit_accounts(&env.keys(), &lp.wallet(), tranche)
}

pub fn deposit_with(
    env: &Env,
    accounts: options_amm::accounts::Deposit,
    tranche: Tranche,
    amount: u64,
    min_shares: u64,
) -> Instruction {
    client::deposit_with(accounts, tranche, amount, min_shares, &env.boards)
}

pub fn deposit(env: &Env, lp: &Lp, tranche: Tranche, amount: u64, min_shares: u64) -> Instruction {
    client::deposit(&env.keys(), &lp.wallet(), tranche, amount, min_shares, &env.boards)
}

pub fn withdraw_accounts(env: &Env, lp: &Lp, tranche: Tranche) -> options_amm::accounts::Withdraw {
    client::withdraw_accounts(&env.keys(), &lp.wallet(), tranche)
}

pub fn withdraw_with(
    env: &Env,
    accounts: options_amm::accounts::Withdraw,
    tranche: Tranche,
    shares: u64,
    min_amount: u64,
) -> Instruction {
    client::withdraw_with(accounts, tranche, shares, min_amount, &env.boards)
}

pub fn withdraw(env: &Env, lp: &Lp, tranche: Tranche, shares: u64, min_amount: u64) -> Instruction {
    client::withdraw(&env.keys(), &lp.wallet(), tranche, shares, min_amount, &env.boards)
}

pub fn board_pda(market: &Pubkey, expiry_ts: i64) -> Pubkey {
    pda::board(market, expiry_ts)
}

/// Strikes and base vols in whole units (converted to millionths).
pub fn create_board(env: &Env, expiry_ts: i64, strikes: &[(u64, u64)]) -> Instruction {
    let strikes = strikes
        .iter()
        .map(|&(strike, vol_pct)| options_amm::instructions::StrikeArgs {
            strike_micro: strike * 1_000_000,
            base_vol_micro: vol_pct * 10_000,
        })
        .collect();
    client::create_board(&env.keys(), &env.payer(), &env.authority.pubkey(), expiry_ts, strikes)
}

pub fn refresh_board(env: &Env, board: &Pubkey) -> Instruction {
    client::refresh_board(&env.keys(), &env.payer(), board)
}

pub fn open_position(env: &Env, board: &Pubkey, owner: &Pubkey) -> Instruction {
    client::open_position(&env.keys(), board, owner)
}

pub fn close_position(env: &Env, board: &Pubkey, owner: &Pubkey) -> Instruction {
    client::close_position(&env.keys(), board, owner)
}

pub fn delist_board(env: &Env, authority: &Pubkey, board: &Pubkey) -> Instruction {
    client::delist_board(&env.keys(), authority, board)
}

pub fn propose_guardian(env: &Env, authority: &Pubkey, new_guardian: &Pubkey) -> Instruction {
    client::propose_guardian(&env.keys(), authority, new_guardian)
}

pub fn execute_guardian(env: &Env) -> Instruction {
    client::execute_guardian(&env.keys(), &env.payer())
}

pub fn propose_vol_feed(env: &Env, authority: &Pubkey, new_feed: &Pubkey) -> Instruction {
    client::propose_vol_feed(&env.keys(), authority, new_feed)
}

pub fn execute_vol_feed(env: &Env) -> Instruction {
    client::execute_vol_feed(&env.keys(), &env.payer())
}

pub fn post_vol_surface(
    env: &Env,
    feed: &Pubkey,
    board: &Pubkey,
    vols_micro: Vec<u64>,
) -> Instruction {
    client::post_vol_surface(&env.keys(), feed, board, vols_micro)
}

pub fn update_vol(env: &Env) -> Instruction {
    client::update_vol(&env.keys(), &env.payer())
}

pub fn collect_fees(env: &Env, authority: &Pubkey, treasury: &Pubkey, amount: u64) -> Instruction {
    client::collect_fees(&env.keys(), authority, treasury, amount)
}

pub fn trade_accounts(env: &Env, board: &Pubkey, trader: &Lp) -> options_amm::accounts::Trade {
    client::trade_accounts(&env.keys(), board, &trader.wallet())
}

pub fn buy(
    env: &Env,
    board: &Pubkey,
    trader: &Lp,
    strike_index: u8,
    kind: Kind,
    size: u64,
    max_paid: u64,
) -> Instruction {
    client::buy(&env.keys(), board, &trader.wallet(), strike_index, kind, size, max_paid)
}

pub fn sell(
    env: &Env,
    board: &Pubkey,
    trader: &Lp,
    strike_index: u8,
    kind: Kind,
    size: u64,
    min_received: u64,
) -> Instruction {
    let margin = env.margin_of(&trader.pubkey());
    client::sell(
        &env.keys(),
        board,
        &trader.wallet(),
        strike_index,
        kind,
        size,
        min_received,
        margin,
    )
}

pub fn settle_board(env: &Env, board: &Pubkey) -> Instruction {
    client::settle_board(&env.keys(), &env.payer(), board)
}

pub fn settle_position(env: &Env, board: &Pubkey, owner: &Lp) -> Instruction {
    client::settle_position(&env.keys(), &env.payer(), board, &owner.pubkey(), &owner.quote)
}

pub fn propose_params(env: &Env, authority: &Pubkey, params: RiskParams) -> Instruction {
    client::propose_params(&env.keys(), authority, params)
}

pub fn execute_params(env: &Env) -> Instruction {
    client::execute_params(&env.keys(), &env.payer())
}

pub fn propose_authority(env: &Env, authority: &Pubkey, new_authority: &Pubkey) -> Instruction {
    client::propose_authority(&env.keys(), authority, new_authority)
}

pub fn accept_authority(env: &Env, new_authority: &Pubkey) -> Instruction {
    client::accept_authority(&env.keys(), new_authority)
}

/// The keeper's accounts for `rebalance`: its underlying and quote token accounts.
pub fn rebalance(
    env: &Env,
    keeper: &Pubkey,
    keeper_underlying: &Pubkey,
    keeper_quote: &Pubkey,
    amount: u64,
    limit: u64,
) -> Instruction {
    client::rebalance(
        &env.keys(),
        keeper,
        keeper_underlying,
        keeper_quote,
        amount,
        limit,
        &env.boards,
    )
}

pub fn open_margin_account(env: &Env, owner: &Pubkey) -> Instruction {
    client::open_margin_account(&env.keys(), owner)
}

pub fn deposit_collateral(env: &Env, owner: &Lp, amount: u64) -> Instruction {
    client::deposit_collateral(&env.keys(), &owner.wallet(), amount)
}

pub fn withdraw_collateral(env: &Env, owner: &Lp, amount: u64) -> Instruction {
    let margin = env.margin_of(&owner.pubkey());
    client::withdraw_collateral(&env.keys(), &owner.wallet(), amount, margin)
}

pub fn liquidate(
    env: &Env,
    board: &Pubkey,
    owner: &Pubkey,
    liquidator: &Lp,
    strike_index: u8,
    kind: Kind,
    size: u64,
) -> Instruction {
    let margin = env.margin_of(owner);
    client::liquidate(
        &env.keys(),
        board,
        owner,
        &liquidator.wallet(),
        strike_index,
        kind,
        size,
        margin,
    )
}
