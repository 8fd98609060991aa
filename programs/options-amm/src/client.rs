//! Off-chain instruction builders and PDA derivations: the one copy that the CLI, the native
//! test harness and the SBF test harness all use. Host only; nothing here runs on chain.

use crate::state::{seeds, Kind, Market, OracleKind, Tranche, JUNIOR, ORACLE_PYTH_PULL};
use crate::{accounts, instruction as data, instructions as args, RiskParams, ID};
use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};

/// Program-derived addresses, from the seed prefixes in [`crate::state::seeds`].
pub mod pda {
    use super::*;

    thread_local! {
        /// Addresses already derived (the bump search is a curve check per try; a simulation
        /// derives the same few hundred addresses millions of times).
        static FOUND: std::cell::RefCell<std::collections::HashMap<Vec<u8>, Pubkey>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }

    fn find(seeds: &[&[u8]]) -> Pubkey {
        let mut key = Vec::with_capacity(seeds.iter().map(|s| s.len() + 1).sum());
        for s in seeds {
            key.push(s.len() as u8);
            key.extend_from_slice(s);
        }
        if let Some(found) = FOUND.with(|m| m.borrow().get(&key).copied()) {
            return found;
        }
        let found = Pubkey::find_program_address(seeds, &ID).0;
        FOUND.with(|m| m.borrow_mut().insert(key, found));
        found
    }
    pub fn config(creator: &Pubkey) -> Pubkey {
        find(&[seeds::CONFIG, creator.as_ref()])
    }
    pub fn market(config: &Pubkey, underlying_mint: &Pubkey, quote_mint: &Pubkey) -> Pubkey {
        find(&[seeds::MARKET, config.as_ref(), underlying_mint.as_ref(), quote_mint.as_ref()])
    }
    pub fn quote_vault(market: &Pubkey) -> Pubkey {
        find(&[seeds::QUOTE_VAULT, market.as_ref()])
    }
    pub fn underlying_vault(market: &Pubkey) -> Pubkey {
        find(&[seeds::UNDERLYING_VAULT, market.as_ref()])
    }
    pub fn shares(market: &Pubkey, tranche: Tranche) -> Pubkey {
        find(&[seeds::SHARES, market.as_ref(), &[tranche as u8]])
    }
    pub fn board(market: &Pubkey, expiry_ts: i64) -> Pubkey {
        find(&[seeds::BOARD, market.as_ref(), &expiry_ts.to_le_bytes()])
    }
    pub fn position(board: &Pubkey, owner: &Pubkey) -> Pubkey {
        find(&[seeds::POSITION, board.as_ref(), owner.as_ref()])
    }
    pub fn margin(market: &Pubkey, owner: &Pubkey) -> Pubkey {
        find(&[seeds::MARGIN, market.as_ref(), owner.as_ref()])
    }
}

/// Every account a market's instructions name, derived or read from the market account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketKeys {
    pub config: Pubkey,
    pub market: Pubkey,
    pub underlying_mint: Pubkey,
    pub quote_mint: Pubkey,
    pub underlying_vault: Pubkey,
    pub quote_vault: Pubkey,
    pub share_mints: [Pubkey; 2],
    pub oracle: Pubkey,
    pub underlying_token_program: Pubkey,
    pub quote_token_program: Pubkey,
}

impl MarketKeys {
    /// The keys of the market that `initialize_market` creates under `creator`'s config.
    pub fn derive(
        creator: &Pubkey,
        underlying_mint: Pubkey,
        quote_mint: Pubkey,
        oracle: Pubkey,
        underlying_token_program: Pubkey,
        quote_token_program: Pubkey,
    ) -> Self {
        let config = pda::config(creator);
        let market = pda::market(&config, &underlying_mint, &quote_mint);
        MarketKeys {
            config,
            market,
            underlying_mint,
            quote_mint,
            underlying_vault: pda::underlying_vault(&market),
            quote_vault: pda::quote_vault(&market),
            share_mints: [
                pda::shares(&market, Tranche::Senior),
                pda::shares(&market, Tranche::Junior),
            ],
            oracle,
            underlying_token_program,
            quote_token_program,
        }
    }

    /// The keys recorded in an existing market account.
    pub fn from_market(address: Pubkey, m: &Market) -> Self {
        MarketKeys {
            config: m.config,
            market: address,
            underlying_mint: m.underlying_mint,
            quote_mint: m.quote_mint,
            underlying_vault: m.underlying_vault,
            quote_vault: m.quote_vault,
            share_mints: [m.tranches[0].share_mint, m.tranches[1].share_mint],
            oracle: m.oracle,
            underlying_token_program: m.underlying_token_program,
            quote_token_program: m.quote_token_program,
        }
    }

    fn share_mint(&self, tranche: Tranche) -> Pubkey {
        self.share_mints[tranche as usize]
    }
}

/// A user's token accounts: quote and the two tranche share accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wallet {
    pub owner: Pubkey,
    pub quote: Pubkey,
    pub shares: [Pubkey; 2],
}

impl Wallet {
    fn shares(&self, tranche: Tranche) -> Pubkey {
        self.shares[tranche as usize]
    }
}

/// The events of type `E` in a transaction's logs (Anchor's `Program data: <base64>` lines),
/// in order.
pub fn events<E: anchor_lang::Event>(logs: &[String]) -> Vec<E> {
    use anchor_lang::__private::base64::{engine::general_purpose::STANDARD, Engine};
    logs.iter()
        .filter_map(|l| l.strip_prefix("Program data: "))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .filter(|bytes| bytes.starts_with(E::DISCRIMINATOR))
        .filter_map(|bytes| E::try_from_slice(&bytes[E::DISCRIMINATOR.len()..]).ok())
        .collect()
}

/// An instruction of this program from its Anchor accounts and arguments.
pub fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// Read-only metas, in the order given (boards must be passed sorted; see [`board_metas`]).
fn readonly(keys: impl IntoIterator<Item = Pubkey>) -> impl Iterator<Item = AccountMeta> {
    keys.into_iter().map(|k| AccountMeta::new_readonly(k, false))
}

/// The market's active boards as remaining accounts, sorted as the program requires.
pub fn board_metas(boards: &[Pubkey]) -> Vec<AccountMeta> {
    let mut keys = boards.to_vec();
    keys.sort();
    readonly(keys).collect()
}

/// A trader's registered `(position, board)` pairs as remaining accounts for margin checks.
pub fn margin_metas(pairs: &[(Pubkey, Pubkey)]) -> Vec<AccountMeta> {
    readonly(pairs.iter().flat_map(|&(p, b)| [p, b])).collect()
}

fn with(mut i: Instruction, extra: Vec<AccountMeta>) -> Instruction {
    i.accounts.extend(extra);
    i
}

// -- governance

pub fn initialize_config(payer: &Pubkey, creator: &Pubkey, guardian: &Pubkey) -> Instruction {
    build(
        accounts::InitializeConfig {
            payer: *payer,
            creator: *creator,
            config: pda::config(creator),
            system_program: system_program::ID,
        },
        data::InitializeConfig { guardian: *guardian },
    )
}

pub fn initialize_market(
    k: &MarketKeys,
    payer: &Pubkey,
    authority: &Pubkey,
    oracle_kind: OracleKind,
    oracle_feed_id: [u8; 32],
    params: RiskParams,
) -> Instruction {
    let oracle_feed_id = if oracle_kind == ORACLE_PYTH_PULL { oracle_feed_id } else { [0; 32] };
    build(
        accounts::InitializeMarket {
            payer: *payer,
            authority: *authority,
            config: k.config,
            underlying_mint: k.underlying_mint,
            quote_mint: k.quote_mint,
            market: k.market,
            underlying_vault: k.underlying_vault,
            quote_vault: k.quote_vault,
            senior_share_mint: k.share_mints[0],
            junior_share_mint: k.share_mints[1],
            oracle: k.oracle,
            underlying_token_program: k.underlying_token_program,
            quote_token_program: k.quote_token_program,
            system_program: system_program::ID,
        },
        data::InitializeMarket {
            args: args::InitializeMarketArgs { oracle_kind, oracle_feed_id, params },
        },
    )
}

pub fn set_pause(k: &MarketKeys, signer: &Pubkey, flags: u8) -> Instruction {
    build(
        accounts::SetPause { signer: *signer, config: k.config, market: k.market },
        data::SetPause { flags },
    )
}

/// A board at `expiry_ts`; strikes and base volatilities in millionths.
pub fn create_board(
    k: &MarketKeys,
    payer: &Pubkey,
    authority: &Pubkey,
    expiry_ts: i64,
    strikes: Vec<args::StrikeArgs>,
) -> Instruction {
    build(
        accounts::CreateBoard {
            payer: *payer,
            authority: *authority,
            config: k.config,
            market: k.market,
            board: pda::board(&k.market, expiry_ts),
            system_program: system_program::ID,
        },
        data::CreateBoard { expiry_ts, strikes },
    )
}

pub fn propose_params(k: &MarketKeys, authority: &Pubkey, params: RiskParams) -> Instruction {
    build(
        accounts::ProposeParams { authority: *authority, config: k.config, market: k.market },
        data::ProposeParams { params },
    )
}

pub fn execute_params(k: &MarketKeys, executor: &Pubkey) -> Instruction {
    build(accounts::ExecuteParams { executor: *executor, market: k.market }, data::ExecuteParams {})
}

pub fn propose_authority(
    k: &MarketKeys,
    authority: &Pubkey,
    new_authority: &Pubkey,
) -> Instruction {
    build(
        accounts::ProposeAuthority { authority: *authority, config: k.config },
        data::ProposeAuthority { new_authority: *new_authority },
    )
}

pub fn accept_authority(k: &MarketKeys, new_authority: &Pubkey) -> Instruction {
    build(
        accounts::AcceptAuthority { new_authority: *new_authority, config: k.config },
        data::AcceptAuthority {},
    )
}

pub fn delist_board(k: &MarketKeys, authority: &Pubkey, board: &Pubkey) -> Instruction {
    build(
        accounts::DelistBoard {
            authority: *authority,
            config: k.config,
            market: k.market,
            board: *board,
        },
        data::DelistBoard {},
    )
}

pub fn propose_guardian(k: &MarketKeys, authority: &Pubkey, new_guardian: &Pubkey) -> Instruction {
    build(
        accounts::ProposeGuardian { authority: *authority, config: k.config },
        data::ProposeGuardian { new_guardian: *new_guardian },
    )
}

pub fn execute_guardian(k: &MarketKeys, executor: &Pubkey) -> Instruction {
    build(
        accounts::ExecuteGuardian { executor: *executor, config: k.config },
        data::ExecuteGuardian {},
    )
}

pub fn propose_vol_feed(k: &MarketKeys, authority: &Pubkey, new_feed: &Pubkey) -> Instruction {
    build(
        accounts::ProposeVolFeed { authority: *authority, config: k.config, market: k.market },
        data::ProposeVolFeed { new_feed: *new_feed },
    )
}

pub fn execute_vol_feed(k: &MarketKeys, executor: &Pubkey) -> Instruction {
    build(
        accounts::ExecuteVolFeed { executor: *executor, market: k.market },
        data::ExecuteVolFeed {},
    )
}

/// The vol feed posts `board`'s surface: one vol per strike, millionths.
pub fn post_vol_surface(
    k: &MarketKeys,
    vol_feed: &Pubkey,
    board: &Pubkey,
    vols_micro: Vec<u64>,
) -> Instruction {
    build(
        accounts::PostVolSurface {
            vol_feed: *vol_feed,
            market: k.market,
            board: *board,
            oracle: k.oracle,
        },
        data::PostVolSurface { vols_micro },
    )
}

/// Pays `amount` of the protocol's fees to `treasury` (a quote token account).
pub fn collect_fees(
    k: &MarketKeys,
    authority: &Pubkey,
    treasury: &Pubkey,
    amount: u64,
) -> Instruction {
    build(
        accounts::CollectFees {
            authority: *authority,
            config: k.config,
            market: k.market,
            quote_mint: k.quote_mint,
            quote_vault: k.quote_vault,
            treasury: *treasury,
            quote_token_program: k.quote_token_program,
        },
        data::CollectFees { amount },
    )
}

// -- LP

pub fn deposit_accounts(k: &MarketKeys, w: &Wallet, tranche: Tranche) -> accounts::Deposit {
    accounts::Deposit {
        owner: w.owner,
        market: k.market,
        share_mint: k.share_mint(tranche),
        junior_share_mint: k.share_mint(JUNIOR),
        quote_mint: k.quote_mint,
        quote_vault: k.quote_vault,
        owner_quote: w.quote,
        owner_shares: w.shares(tranche),
        oracle: k.oracle,
        quote_token_program: k.quote_token_program,
    }
}

/// `boards`: every active board of the market (NAV needs them all, fresh).
pub fn deposit_with(
    accounts: accounts::Deposit,
    tranche: Tranche,
    amount: u64,
    min_shares: u64,
    boards: &[Pubkey],
) -> Instruction {
    with(build(accounts, data::Deposit { tranche, amount, min_shares }), board_metas(boards))
}

pub fn deposit(
    k: &MarketKeys,
    w: &Wallet,
    tranche: Tranche,
    amount: u64,
    min_shares: u64,
    boards: &[Pubkey],
) -> Instruction {
    deposit_with(deposit_accounts(k, w, tranche), tranche, amount, min_shares, boards)
}

pub fn withdraw_accounts(k: &MarketKeys, w: &Wallet, tranche: Tranche) -> accounts::Withdraw {
    accounts::Withdraw {
        owner: w.owner,
        market: k.market,
        share_mint: k.share_mint(tranche),
        junior_share_mint: k.share_mint(JUNIOR),
        quote_mint: k.quote_mint,
        quote_vault: k.quote_vault,
        owner_shares: w.shares(tranche),
        receiver_quote: w.quote,
        oracle: k.oracle,
        quote_token_program: k.quote_token_program,
    }
}

pub fn withdraw_with(
    accounts: accounts::Withdraw,
    tranche: Tranche,
    shares: u64,
    min_amount: u64,
    boards: &[Pubkey],
) -> Instruction {
    with(build(accounts, data::Withdraw { tranche, shares, min_amount }), board_metas(boards))
}

pub fn withdraw(
    k: &MarketKeys,
    w: &Wallet,
    tranche: Tranche,
    shares: u64,
    min_amount: u64,
    boards: &[Pubkey],
) -> Instruction {
    withdraw_with(withdraw_accounts(k, w, tranche), tranche, shares, min_amount, boards)
}

// -- trader

pub fn open_margin_account(k: &MarketKeys, owner: &Pubkey) -> Instruction {
    build(
        accounts::OpenMarginAccount {
            owner: *owner,
            market: k.market,
            margin: pda::margin(&k.market, owner),
            system_program: system_program::ID,
        },
        data::OpenMarginAccount {},
    )
}

pub fn open_position(k: &MarketKeys, board: &Pubkey, owner: &Pubkey) -> Instruction {
    build(
        accounts::OpenPosition {
            owner: *owner,
            market: k.market,
            board: *board,
            margin: pda::margin(&k.market, owner),
            position: pda::position(board, owner),
            system_program: system_program::ID,
        },
        data::OpenPosition {},
    )
}

/// Closes `owner`'s empty position on `board` (rent back to the owner).
pub fn close_position(k: &MarketKeys, board: &Pubkey, owner: &Pubkey) -> Instruction {
    build(
        accounts::ClosePosition {
            owner: *owner,
            market: k.market,
            board: *board,
            margin: pda::margin(&k.market, owner),
            position: pda::position(board, owner),
        },
        data::ClosePosition {},
    )
}

fn collateral_accounts(k: &MarketKeys, w: &Wallet) -> accounts::MoveCollateral {
    accounts::MoveCollateral {
        owner: w.owner,
        market: k.market,
        margin: pda::margin(&k.market, &w.owner),
        quote_mint: k.quote_mint,
        quote_vault: k.quote_vault,
        owner_quote: w.quote,
        oracle: k.oracle,
        quote_token_program: k.quote_token_program,
    }
}

pub fn deposit_collateral(k: &MarketKeys, w: &Wallet, amount: u64) -> Instruction {
    build(collateral_accounts(k, w), data::DepositCollateral { amount })
}

/// `margin`: the trader's registered (position, board) pairs.
pub fn withdraw_collateral(
    k: &MarketKeys,
    w: &Wallet,
    amount: u64,
    margin: &[(Pubkey, Pubkey)],
) -> Instruction {
    with(
        build(collateral_accounts(k, w), data::WithdrawCollateral { amount }),
        margin_metas(margin),
    )
}

pub fn trade_accounts(k: &MarketKeys, board: &Pubkey, w: &Wallet) -> accounts::Trade {
    accounts::Trade {
        trader: w.owner,
        market: k.market,
        board: *board,
        position: pda::position(board, &w.owner),
        margin: pda::margin(&k.market, &w.owner),
        quote_mint: k.quote_mint,
        quote_vault: k.quote_vault,
        trader_quote: w.quote,
        oracle: k.oracle,
        quote_token_program: k.quote_token_program,
    }
}

pub fn buy_with(
    accounts: accounts::Trade,
    strike_index: u8,
    kind: Kind,
    size: u64,
    max_paid: u64,
) -> Instruction {
    build(accounts, data::Buy { strike_index, kind, size, max_paid })
}

pub fn buy(
    k: &MarketKeys,
    board: &Pubkey,
    w: &Wallet,
    strike_index: u8,
    kind: Kind,
    size: u64,
    max_paid: u64,
) -> Instruction {
    buy_with(trade_accounts(k, board, w), strike_index, kind, size, max_paid)
}

/// `margin`: the trader's registered (position, board) pairs (a sell may open a short).
#[allow(clippy::too_many_arguments)]
pub fn sell(
    k: &MarketKeys,
    board: &Pubkey,
    w: &Wallet,
    strike_index: u8,
    kind: Kind,
    size: u64,
    min_received: u64,
    margin: &[(Pubkey, Pubkey)],
) -> Instruction {
    with(
        build(trade_accounts(k, board, w), data::Sell { strike_index, kind, size, min_received }),
        margin_metas(margin),
    )
}

// -- keeper

pub fn refresh_board(k: &MarketKeys, keeper: &Pubkey, board: &Pubkey) -> Instruction {
    build(
        accounts::RefreshBoard {
            keeper: *keeper,
            market: k.market,
            board: *board,
            oracle: k.oracle,
        },
        data::RefreshBoard {},
    )
}

/// Enters the oracle's current print into the realised-vol estimate.
pub fn update_vol(k: &MarketKeys, keeper: &Pubkey) -> Instruction {
    build(
        accounts::UpdateVol { keeper: *keeper, market: k.market, oracle: k.oracle },
        data::UpdateVol {},
    )
}

/// The keeper trades `amount` of underlying with the vault; `keeper_underlying`/`keeper_quote`
/// are its token accounts; `boards`: every active board.
pub fn rebalance(
    k: &MarketKeys,
    keeper: &Pubkey,
    keeper_underlying: &Pubkey,
    keeper_quote: &Pubkey,
    amount: u64,
    limit: u64,
    boards: &[Pubkey],
) -> Instruction {
    with(
        build(
            accounts::Rebalance {
                keeper: *keeper,
                market: k.market,
                oracle: k.oracle,
                underlying_mint: k.underlying_mint,
                quote_mint: k.quote_mint,
                underlying_vault: k.underlying_vault,
                quote_vault: k.quote_vault,
                keeper_underlying: *keeper_underlying,
                keeper_quote: *keeper_quote,
                underlying_token_program: k.underlying_token_program,
                quote_token_program: k.quote_token_program,
            },
            data::Rebalance { amount, limit },
        ),
        board_metas(boards),
    )
}

/// `margin`: the liquidated owner's registered (position, board) pairs.
#[allow(clippy::too_many_arguments)]
pub fn liquidate(
    k: &MarketKeys,
    board: &Pubkey,
    owner: &Pubkey,
    liquidator: &Wallet,
    strike_index: u8,
    kind: Kind,
    size: u64,
    margin: &[(Pubkey, Pubkey)],
) -> Instruction {
    with(
        build(
            accounts::Liquidate {
                liquidator: liquidator.owner,
                market: k.market,
                board: *board,
                position: pda::position(board, owner),
                margin: pda::margin(&k.market, owner),
                oracle: k.oracle,
                quote_mint: k.quote_mint,
                quote_vault: k.quote_vault,
                liquidator_quote: liquidator.quote,
                quote_token_program: k.quote_token_program,
            },
            data::Liquidate { strike_index, kind, size },
        ),
        margin_metas(margin),
    )
}

pub fn settle_board(k: &MarketKeys, keeper: &Pubkey, board: &Pubkey) -> Instruction {
    build(
        accounts::SettleBoard {
            keeper: *keeper,
            market: k.market,
            board: *board,
            oracle: k.oracle,
        },
        data::SettleBoard {},
    )
}

/// Pays `owner`'s settled positions on `board` into `owner_quote` (anyone may crank it).
pub fn settle_position(
    k: &MarketKeys,
    keeper: &Pubkey,
    board: &Pubkey,
    owner: &Pubkey,
    owner_quote: &Pubkey,
) -> Instruction {
    build(
        accounts::SettlePosition {
            keeper: *keeper,
            market: k.market,
            board: *board,
            position: pda::position(board, owner),
            owner: *owner,
            margin: pda::margin(&k.market, owner),
            owner_quote: *owner_quote,
            quote_mint: k.quote_mint,
            quote_vault: k.quote_vault,
            quote_token_program: k.quote_token_program,
        },
        data::SettlePosition {},
    )
}
