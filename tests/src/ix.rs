//! One builder per instruction: derives the PDAs and fills the accounts from the `Env`.

use crate::{config_pda, Env, Lp};
use anchor_lang::prelude::Pubkey;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use options_amm::instructions::InitializeMarketArgs;
use options_amm::RiskParams;
use solana_sdk::instruction::Instruction;

fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: options_amm::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

pub fn initialize_config(env: &Env, creator: &Pubkey, guardian: &Pubkey) -> Instruction {
    ix(
        options_amm::accounts::InitializeConfig {
            payer: env.payer(),
            creator: *creator,
            config: config_pda(creator),
            system_program: system_program::ID,
        },
        options_amm::instruction::InitializeConfig { guardian: *guardian },
    )
}

pub fn initialize_market(env: &Env, params: RiskParams) -> Instruction {
    initialize_market_with(env, env.authority.pubkey_(), params, env.opts.oracle_kind)
}

pub fn initialize_market_with(
    env: &Env,
    authority: Pubkey,
    params: RiskParams,
    oracle_kind: u8,
) -> Instruction {
    let feed =
        if oracle_kind == options_amm::state::ORACLE_PYTH_PULL { env.feed_id } else { [0; 32] };
    ix(
        options_amm::accounts::InitializeMarket {
            payer: env.payer(),
            authority,
            config: env.config,
            underlying_mint: env.underlying_mint,
            quote_mint: env.quote_mint,
            market: env.market,
            underlying_vault: env.underlying_vault,
            quote_vault: env.quote_vault,
            senior_share_mint: env.share_mints[0],
            junior_share_mint: env.share_mints[1],
            oracle: env.oracle,
            underlying_token_program: env.opts.underlying_program,
            quote_token_program: env.opts.quote_program,
            system_program: system_program::ID,
        },
        options_amm::instruction::InitializeMarket {
            args: InitializeMarketArgs { oracle_kind, oracle_feed_id: feed, params },
        },
    )
}

pub fn set_pause(env: &Env, signer: &Pubkey, flags: u8) -> Instruction {
    ix(
        options_amm::accounts::SetPause { signer: *signer, config: env.config, market: env.market },
        options_amm::instruction::SetPause { flags },
    )
}

/// The accounts of a deposit, to be changed by substitution tests.
pub fn deposit_accounts(env: &Env, lp: &Lp, tranche: u8) -> options_amm::accounts::Deposit {
    let t = (tranche as usize).min(1);
    options_amm::accounts::Deposit {
        owner: lp.pubkey(),
        market: env.market,
        share_mint: env.share_mints[t],
        quote_mint: env.quote_mint,
        quote_vault: env.quote_vault,
        owner_quote: lp.quote,
        owner_shares: lp.shares[t],
        oracle: env.oracle,
        quote_token_program: env.opts.quote_program,
    }
}

/// Adds the market's active boards as remaining accounts (NAV needs every board fresh).
fn with_boards(env: &Env, mut i: Instruction) -> Instruction {
    i.accounts.extend(env.board_metas());
    i
}

pub fn deposit_with(
    env: &Env,
    accounts: options_amm::accounts::Deposit,
    tranche: u8,
    amount: u64,
    min_shares: u64,
) -> Instruction {
    with_boards(
        env,
        ix(accounts, options_amm::instruction::Deposit { tranche, amount, min_shares }),
    )
}

pub fn deposit(env: &Env, lp: &Lp, tranche: u8, amount: u64, min_shares: u64) -> Instruction {
    deposit_with(env, deposit_accounts(env, lp, tranche), tranche, amount, min_shares)
}

pub fn withdraw_accounts(env: &Env, lp: &Lp, tranche: u8) -> options_amm::accounts::Withdraw {
    let t = (tranche as usize).min(1);
    options_amm::accounts::Withdraw {
        owner: lp.pubkey(),
        market: env.market,
        share_mint: env.share_mints[t],
        quote_mint: env.quote_mint,
        quote_vault: env.quote_vault,
        owner_shares: lp.shares[t],
        receiver_quote: lp.quote,
        oracle: env.oracle,
        quote_token_program: env.opts.quote_program,
    }
}

pub fn withdraw_with(
    env: &Env,
    accounts: options_amm::accounts::Withdraw,
    tranche: u8,
    shares: u64,
    min_amount: u64,
) -> Instruction {
    with_boards(
        env,
        ix(accounts, options_amm::instruction::Withdraw { tranche, shares, min_amount }),
    )
}

pub fn withdraw(env: &Env, lp: &Lp, tranche: u8, shares: u64, min_amount: u64) -> Instruction {
    withdraw_with(env, withdraw_accounts(env, lp, tranche), tranche, shares, min_amount)
}

/// `Keypair::pubkey` without importing the trait at every call site.
trait PubkeyOf {
    fn pubkey_(&self) -> Pubkey;
}
impl PubkeyOf for solana_sdk::signature::Keypair {
    fn pubkey_(&self) -> Pubkey {
        solana_sdk::signature::Signer::pubkey(self)
    }
}

pub fn margin_pda(market: &Pubkey, owner: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[options_amm::state::seeds::MARGIN, market.as_ref(), owner.as_ref()],
        &options_amm::ID,
    )
    .0
}

pub fn board_pda(market: &Pubkey, expiry_ts: i64) -> Pubkey {
    Pubkey::find_program_address(
        &[options_amm::state::seeds::BOARD, market.as_ref(), &expiry_ts.to_le_bytes()],
        &options_amm::ID,
    )
    .0
}

pub fn position_pda(board: &Pubkey, owner: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[options_amm::state::seeds::POSITION, board.as_ref(), owner.as_ref()],
        &options_amm::ID,
    )
    .0
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
    ix(
        options_amm::accounts::CreateBoard {
            payer: env.payer(),
            authority: env.authority.pubkey_(),
            config: env.config,
            market: env.market,
            board: board_pda(&env.market, expiry_ts),
            system_program: system_program::ID,
        },
        options_amm::instruction::CreateBoard { expiry_ts, strikes },
    )
}

pub fn refresh_board(env: &Env, board: &Pubkey) -> Instruction {
    ix(
        options_amm::accounts::RefreshBoard {
            keeper: env.payer(),
            market: env.market,
            board: *board,
            oracle: env.oracle,
        },
        options_amm::instruction::RefreshBoard {},
    )
}

pub fn open_position(env: &Env, board: &Pubkey, owner: &Pubkey) -> Instruction {
    ix(
        options_amm::accounts::OpenPosition {
            owner: *owner,
            market: env.market,
            board: *board,
            margin: margin_pda(&env.market, owner),
            position: position_pda(board, owner),
            system_program: system_program::ID,
        },
        options_amm::instruction::OpenPosition {},
    )
}

pub fn trade_accounts(env: &Env, board: &Pubkey, trader: &Lp) -> options_amm::accounts::Trade {
    options_amm::accounts::Trade {
        trader: trader.pubkey(),
        market: env.market,
        board: *board,
        position: position_pda(board, &trader.pubkey()),
        margin: margin_pda(&env.market, &trader.pubkey()),
        quote_mint: env.quote_mint,
        quote_vault: env.quote_vault,
        trader_quote: trader.quote,
        oracle: env.oracle,
        quote_token_program: env.opts.quote_program,
    }
}

/// The trader's registered (position, board) pairs, which margin checks read.
fn with_margin(env: &Env, owner: &Pubkey, mut i: Instruction) -> Instruction {
    i.accounts.extend(env.margin_metas(owner));
    i
}

pub fn buy_with(
    accounts: options_amm::accounts::Trade,
    strike_index: u8,
    kind: u8,
    size: u64,
    max_paid: u64,
) -> Instruction {
    ix(accounts, options_amm::instruction::Buy { strike_index, kind, size, max_paid })
}

pub fn buy(
    env: &Env,
    board: &Pubkey,
    trader: &Lp,
    strike_index: u8,
    kind: u8,
    size: u64,
    max_paid: u64,
) -> Instruction {
    buy_with(trade_accounts(env, board, trader), strike_index, kind, size, max_paid)
}

pub fn sell(
    env: &Env,
    board: &Pubkey,
    trader: &Lp,
    strike_index: u8,
    kind: u8,
    size: u64,
    min_received: u64,
) -> Instruction {
    let i = ix(
        trade_accounts(env, board, trader),
        options_amm::instruction::Sell { strike_index, kind, size, min_received },
    );
    with_margin(env, &trader.pubkey(), i)
}

pub fn settle_board(env: &Env, board: &Pubkey) -> Instruction {
    ix(
        options_amm::accounts::SettleBoard {
            keeper: env.payer(),
            market: env.market,
            board: *board,
            oracle: env.oracle,
        },
        options_amm::instruction::SettleBoard {},
    )
}

pub fn settle_position(env: &Env, board: &Pubkey, owner: &Lp) -> Instruction {
    ix(
        options_amm::accounts::SettlePosition {
            keeper: env.payer(),
            market: env.market,
            board: *board,
            position: position_pda(board, &owner.pubkey()),
            owner: owner.pubkey(),
            margin: margin_pda(&env.market, &owner.pubkey()),
            owner_quote: owner.quote,
            quote_mint: env.quote_mint,
            quote_vault: env.quote_vault,
            quote_token_program: env.opts.quote_program,
        },
        options_amm::instruction::SettlePosition {},
    )
}

pub fn propose_params(env: &Env, authority: &Pubkey, params: RiskParams) -> Instruction {
    ix(
        options_amm::accounts::ProposeParams {
            authority: *authority,
            config: env.config,
            market: env.market,
        },
        options_amm::instruction::ProposeParams { params },
    )
}

pub fn execute_params(env: &Env) -> Instruction {
    ix(
        options_amm::accounts::ExecuteParams { executor: env.payer(), market: env.market },
        options_amm::instruction::ExecuteParams {},
    )
}

pub fn propose_authority(env: &Env, authority: &Pubkey, new_authority: &Pubkey) -> Instruction {
    ix(
        options_amm::accounts::ProposeAuthority { authority: *authority, config: env.config },
        options_amm::instruction::ProposeAuthority { new_authority: *new_authority },
    )
}

pub fn accept_authority(env: &Env, new_authority: &Pubkey) -> Instruction {
    ix(
        options_amm::accounts::AcceptAuthority {
            new_authority: *new_authority,
            config: env.config,
        },
        options_amm::instruction::AcceptAuthority {},
    )
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
    with_boards(
        env,
        ix(
            options_amm::accounts::Rebalance {
                keeper: *keeper,
                market: env.market,
                oracle: env.oracle,
                underlying_mint: env.underlying_mint,
                quote_mint: env.quote_mint,
                underlying_vault: env.underlying_vault,
                quote_vault: env.quote_vault,
                keeper_underlying: *keeper_underlying,
                keeper_quote: *keeper_quote,
                underlying_token_program: env.opts.underlying_program,
                quote_token_program: env.opts.quote_program,
            },
            options_amm::instruction::Rebalance { amount, limit },
        ),
    )
}

pub fn open_margin_account(env: &Env, owner: &Pubkey) -> Instruction {
    ix(
        options_amm::accounts::OpenMarginAccount {
            owner: *owner,
            market: env.market,
            margin: margin_pda(&env.market, owner),
            system_program: system_program::ID,
        },
        options_amm::instruction::OpenMarginAccount {},
    )
}

fn collateral_accounts(env: &Env, owner: &Lp) -> options_amm::accounts::MoveCollateral {
    options_amm::accounts::MoveCollateral {
        owner: owner.pubkey(),
        market: env.market,
        margin: margin_pda(&env.market, &owner.pubkey()),
        quote_mint: env.quote_mint,
        quote_vault: env.quote_vault,
        owner_quote: owner.quote,
        oracle: env.oracle,
        quote_token_program: env.opts.quote_program,
    }
}

pub fn deposit_collateral(env: &Env, owner: &Lp, amount: u64) -> Instruction {
    ix(collateral_accounts(env, owner), options_amm::instruction::DepositCollateral { amount })
}

pub fn withdraw_collateral(env: &Env, owner: &Lp, amount: u64) -> Instruction {
    let i = ix(
        collateral_accounts(env, owner),
        options_amm::instruction::WithdrawCollateral { amount },
    );
    with_margin(env, &owner.pubkey(), i)
}

pub fn liquidate(
    env: &Env,
    board: &Pubkey,
    owner: &Pubkey,
    liquidator: &Lp,
    strike_index: u8,
    kind: u8,
    size: u64,
) -> Instruction {
    let i = ix(
        options_amm::accounts::Liquidate {
            liquidator: liquidator.pubkey(),
            market: env.market,
            board: *board,
            position: position_pda(board, owner),
            margin: margin_pda(&env.market, owner),
            oracle: env.oracle,
            quote_mint: env.quote_mint,
            quote_vault: env.quote_vault,
            liquidator_quote: liquidator.quote,
            quote_token_program: env.opts.quote_program,
        },
        options_amm::instruction::Liquidate { strike_index, kind, size },
    );
    with_margin(env, owner, i)
}
