//! Attack classes applied across every instruction they concern (docs/SECURITY.md, "Attack
//! classes per instruction"): each case is refused with its named error and changes none of
//! the accounts the instruction names.

use anchor_lang::error::ErrorCode as Anchor;
use anchor_lang::prelude::Pubkey;
use options_amm::error::OptionsAmmError as E;
use options_amm::state::{RiskParams, CALL, PAUSE_ALL, PUT, SENIOR};
use options_amm_tests::{
    anchor_error, ix, program_error, pyth, Env, Lp, Trading, CONTRACT, DAY, EXPIRY, START_CONF,
    START_PRICE, STRIKES, USDC,
};
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signer};

/// Every account an instruction names: what a refusal must leave unchanged.
fn named(i: &Instruction) -> Vec<Pubkey> {
    let mut keys: Vec<Pubkey> = i.accounts.iter().map(|m| m.pubkey).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The same instruction without `who`'s signature.
fn unsigned(mut i: Instruction, who: &Pubkey) -> Instruction {
    for m in i.accounts.iter_mut().filter(|m| m.pubkey == *who) {
        m.is_signer = false;
    }
    i
}

async fn refuse(env: &mut Env, i: Instruction, signers: &[&Keypair], code: u32) {
    // (the fee payer pays for a refused transaction too)
    let payer = env.payer();
    let watched: Vec<Pubkey> = named(&i).into_iter().filter(|k| *k != payer).collect();
    env.expect_refusal(&[i], signers, code, &watched).await;
}

/// A keeper with underlying and quote to trade with the vault.
async fn keeper(env: &mut Env) -> (Keypair, Pubkey, Pubkey) {
    let key = Keypair::new();
    let (u, q) = (env.underlying_mint, env.quote_mint);
    let ku = env.token_account(&u, &key.pubkey()).await;
    let kq = env.token_account(&q, &key.pubkey()).await;
    env.mint_to(&u, &ku, 100 * CONTRACT).await;
    env.mint_to(&q, &kq, 100_000 * USDC).await;
    (key, ku, kq)
}

fn as_lp(key: &Keypair, quote: Pubkey) -> Lp {
    Lp { key: key.insecure_clone(), quote, shares: [Pubkey::default(); 2] }
}

#[tokio::test]
async fn every_instruction_refuses_a_missing_signature() {
    let mut t = Trading::new().await;
    let board = t.board;
    let second = ix::board_pda(&t.env.market, EXPIRY + DAY);
    let authority = t.env.authority.insecure_clone();
    t.env.send(&[ix::create_board(&t.env, EXPIRY + DAY, &STRIKES)], &[&authority]).await.unwrap();
    t.env.boards.push(second);
    t.env.send(&[ix::refresh_board(&t.env, &second)], &[]).await.unwrap();
    let next = Keypair::new();
    let a = authority.pubkey();
    t.env.send(&[ix::propose_authority(&t.env, &a, &next.pubkey())], &[&authority]).await.unwrap();
    let (k, ku, kq) = keeper(&mut t.env).await;
    let liquidator = as_lp(&k, kq);
    let stranger = Keypair::new();
    let env = &t.env;
    let (trader, lp) = (&t.trader, &t.lp);
    let cases: Vec<(Instruction, Pubkey)> = vec![
        (ix::initialize_config(env, &stranger.pubkey(), &a), stranger.pubkey()),
        (ix::set_pause(env, &a, PAUSE_ALL), a),
        (ix::create_board(env, EXPIRY + 2 * DAY, &STRIKES), a),
        (ix::propose_params(env, &a, RiskParams::reference()), a),
        (ix::propose_authority(env, &a, &stranger.pubkey()), a),
        (ix::accept_authority(env, &next.pubkey()), next.pubkey()),
        (ix::deposit(env, lp, SENIOR, USDC, 0), lp.pubkey()),
        (ix::withdraw(env, lp, SENIOR, 1_000, 0), lp.pubkey()),
        (ix::rebalance(env, &k.pubkey(), &ku, &kq, CONTRACT, 0), k.pubkey()),
        (ix::liquidate(env, &board, &trader.pubkey(), &liquidator, 2, PUT, CONTRACT), k.pubkey()),
        (ix::open_margin_account(env, &stranger.pubkey()), stranger.pubkey()),
        (ix::deposit_collateral(env, trader, USDC), trader.pubkey()),
        (ix::withdraw_collateral(env, trader, USDC), trader.pubkey()),
        (ix::open_position(env, &second, &trader.pubkey()), trader.pubkey()),
        (ix::buy(env, &board, trader, 2, CALL, CONTRACT, u64::MAX), trader.pubkey()),
        (ix::sell(env, &board, trader, 2, CALL, CONTRACT, 0), trader.pubkey()),
    ];
    assert_eq!(cases.len(), 16, "every instruction with a signer other than the fee payer");
    for (i, who) in cases {
        refuse(&mut t.env, unsigned(i, &who), &[], anchor_error(Anchor::AccountNotSigner)).await;
    }
}

/// The market's oracle made bad in one way; returns the error every reader must name.
async fn spoil(env: &mut Env, how: usize) -> u32 {
    let now = env.now;
    let good = pyth::Quote {
        price: START_PRICE,
        conf: START_CONF,
        publish_time: now,
        ..Default::default()
    };
    match how {
        0 => {
            env.set_oracle(&pyth::Quote { publish_time: now - 10_000, ..good });
            program_error(E::OracleStale)
        }
        1 => {
            env.set_oracle(&pyth::Quote { conf: START_PRICE as u64 / 2, ..good });
            program_error(E::OracleConfidenceTooWide)
        }
        2 => {
            env.set_oracle(&pyth::Quote { trading: false, ..good });
            program_error(E::OracleNotTrading)
        }
        _ => {
            // The right bytes under the wrong owner.
            let oracle = env.oracle;
            env.put_account(oracle, Pubkey::new_unique(), pyth::legacy_price_account(&good));
            program_error(E::OracleWrongOwner)
        }
    }
}

#[tokio::test]
async fn every_oracle_reader_refuses_a_stale_wide_halted_or_foreign_price() {
    let mut t = Trading::new().await;
    let board = t.board;
    let (k, ku, kq) = keeper(&mut t.env).await;
    // The vault sells calls: delta leaves its band, so a rebalance is otherwise allowed.
    let buy = ix::buy(&t.env, &board, &t.trader, 2, CALL, 20 * CONTRACT, u64::MAX);
    t.env.send(&[buy], &[&t.trader.key.insecure_clone()]).await.unwrap();
    let liquidator = as_lp(&k, kq);
    let trader = t.trader.key.insecure_clone();
    let lp = t.lp.key.insecure_clone();
    for how in 0..4 {
        let env = &t.env;
        let cases: Vec<(Instruction, Vec<&Keypair>)> = vec![
            (ix::deposit(env, &t.lp, SENIOR, USDC, 0), vec![&lp]),
            (ix::withdraw(env, &t.lp, SENIOR, 1_000, 0), vec![&lp]),
            (ix::buy(env, &board, &t.trader, 2, CALL, CONTRACT, u64::MAX), vec![&trader]),
            (ix::sell(env, &board, &t.trader, 2, PUT, CONTRACT, 0), vec![&trader]),
            (ix::withdraw_collateral(env, &t.trader, USDC), vec![&trader]),
            (ix::refresh_board(env, &board), vec![]),
            (ix::rebalance(env, &k.pubkey(), &ku, &kq, CONTRACT, 0), vec![&k]),
            (
                ix::liquidate(env, &board, &t.trader.pubkey(), &liquidator, 2, PUT, CONTRACT),
                vec![&k],
            ),
        ];
        let code = spoil(&mut t.env, how).await;
        for (i, signers) in cases {
            refuse(&mut t.env, i, &signers, code).await;
        }
        t.env.set_price(START_PRICE, START_CONF, t.env.now);
    }
}

#[tokio::test]
async fn another_pyth_account_is_not_the_markets_oracle() {
    let mut t = Trading::new().await;
    let board = t.board;
    let other = Pubkey::new_unique();
    let q = pyth::Quote { publish_time: t.env.now, ..Default::default() };
    t.env.put_account(other, pyth::ORACLE_PROGRAM, pyth::legacy_price_account(&q));
    let swap = |mut i: Instruction, oracle: Pubkey| {
        for m in i.accounts.iter_mut().filter(|m| m.pubkey == oracle) {
            m.pubkey = other;
        }
        i
    };
    let oracle = t.env.oracle;
    let trader = t.trader.key.insecure_clone();
    let lp = t.lp.key.insecure_clone();
    let env = &t.env;
    let cases: Vec<(Instruction, Vec<&Keypair>)> = vec![
        (ix::withdraw(env, &t.lp, SENIOR, 1_000, 0), vec![&lp]),
        (ix::sell(env, &board, &t.trader, 2, PUT, CONTRACT, 0), vec![&trader]),
        (ix::withdraw_collateral(env, &t.trader, USDC), vec![&trader]),
        (ix::refresh_board(env, &board), vec![]),
    ];
    for (i, signers) in cases {
        refuse(&mut t.env, swap(i, oracle), &signers, program_error(E::WrongOracleAccount)).await;
    }
    // Settlement too, once the board has expired.
    t.env.set_time(EXPIRY + 30).await;
    let settle = swap(ix::settle_board(&t.env, &board), oracle);
    refuse(&mut t.env, settle, &[], program_error(E::WrongOracleAccount)).await;
}

/// A trader short 500 puts at the money against 20k, and a liquidator.
async fn short_puts() -> (Trading, Keypair, Pubkey) {
    let mut t = Trading::new().await;
    let sell = ix::sell(&t.env, &t.board, &t.trader, 2, PUT, 500 * CONTRACT, 0);
    t.env.send(&[sell], &[&t.trader.key.insecure_clone()]).await.unwrap();
    let liquidator = t.env.lp(0).await;
    let (key, quote) = (liquidator.key, liquidator.quote);
    (t, key, quote)
}

#[tokio::test]
async fn a_stale_greek_cache_stops_sells_and_liquidations() {
    let (mut t, k, kq) = short_puts().await;
    let board = t.board;
    // Spot 20% lower, freshly published, the board not refreshed: the cache is stale.
    let now = t.env.now + 5;
    t.env.set_time(now).await;
    t.env.set_price(START_PRICE / 10 * 8, START_CONF, now);
    let owner = t.trader.pubkey();
    let liq = ix::liquidate(&t.env, &board, &owner, &as_lp(&k, kq), 2, PUT, CONTRACT);
    refuse(&mut t.env, liq, &[&k], program_error(E::StaleGreekCache)).await;
    let trader = t.trader.key.insecure_clone();
    let sell = ix::sell(&t.env, &board, &t.trader, 1, CALL, CONTRACT, 0);
    refuse(&mut t.env, sell, &[&trader], program_error(E::StaleGreekCache)).await;
}

#[tokio::test]
async fn liquidation_with_another_owners_margin_account_or_position_is_refused() {
    let (mut t, k, kq) = short_puts().await;
    let board = t.board;
    let other = Trading::trader_on(&mut t.env, &board).await;
    let owner = t.trader.pubkey();
    // The owner's position paired with another trader's margin account.
    let mut i = ix::liquidate(&t.env, &board, &owner, &as_lp(&k, kq), 2, PUT, CONTRACT);
    let theirs = ix::margin_pda(&t.env.market, &other.pubkey());
    i.accounts[4].pubkey = theirs;
    refuse(&mut t.env, i, &[&k], program_error(E::WrongPosition)).await;
    // The liquidator as the owner of the account it liquidates.
    let me = as_lp(&t.trader.key, t.trader.quote);
    let i = ix::liquidate(&t.env, &board, &owner, &me, 2, PUT, CONTRACT);
    let key = t.trader.key.insecure_clone();
    refuse(&mut t.env, i, &[&key], program_error(E::LiquidatorIsOwner)).await;
}

#[tokio::test]
async fn sells_stop_at_the_trading_cutoff() {
    let mut t = Trading::new().await;
    let board = t.board;
    let trader = t.trader.key.insecure_clone();
    let now = EXPIRY - 60;
    t.env.set_time(now).await;
    t.env.set_price(START_PRICE, START_CONF, now);
    let sell = ix::sell(&t.env, &board, &t.trader, 2, CALL, CONTRACT, 0);
    refuse(&mut t.env, sell, &[&trader], program_error(E::TradingCutoff)).await;
}

#[tokio::test]
async fn a_position_closed_by_settlement_cannot_be_used_or_revived() {
    let mut t = Trading::new().await;
    let board = t.board;
    let trader = t.trader.key.insecure_clone();
    let buy = ix::buy(&t.env, &board, &t.trader, 2, CALL, CONTRACT, u64::MAX);
    t.env.send(&[buy], &[&trader]).await.unwrap();
    t.env.set_time(EXPIRY + 30).await;
    let q = pyth::Quote {
        publish_time: EXPIRY + 5,
        prev_publish_time: Some(EXPIRY - 1),
        ..Default::default()
    };
    t.env.set_oracle(&q);
    t.env.send(&[ix::settle_board(&t.env, &board)], &[]).await.unwrap();
    let settle = ix::settle_position(&t.env, &board, &t.trader);
    t.env.send(std::slice::from_ref(&settle), &[]).await.unwrap();
    t.env.sync_positions(&t.trader.pubkey()).await;
    // The closed position (now a system account): settling or buying with it again.
    let closed = anchor_error(Anchor::AccountOwnedByWrongProgram);
    refuse(&mut t.env, settle, &[], closed).await;
    let buy = ix::buy(&t.env, &board, &t.trader, 2, CALL, CONTRACT, u64::MAX);
    refuse(&mut t.env, buy, &[&trader], closed).await;
    // Re-creating it on the settled board.
    let open = ix::open_position(&t.env, &board, &t.trader.pubkey());
    refuse(&mut t.env, open, &[&trader], program_error(E::BoardSettled)).await;
}

#[tokio::test]
async fn collateral_moves_of_zero_are_refused() {
    let mut t = Trading::new().await;
    let trader = t.trader.key.insecure_clone();
    let i = ix::deposit_collateral(&t.env, &t.trader, 0);
    refuse(&mut t.env, i, &[&trader], program_error(E::ZeroAmount)).await;
    let i = ix::withdraw_collateral(&t.env, &t.trader, 0);
    refuse(&mut t.env, i, &[&trader], program_error(E::ZeroAmount)).await;
}

/// `i` with accounts `a` and `b` exchanged.
fn exchange(mut i: Instruction, a: &Pubkey, b: &Pubkey) -> Instruction {
    for m in i.accounts.iter_mut() {
        if m.pubkey == *a {
            m.pubkey = *b;
        } else if m.pubkey == *b {
            m.pubkey = *a;
        }
    }
    i
}

/// `i` with every `from` account replaced by `to`.
fn swap(mut i: Instruction, from: &Pubkey, to: &Pubkey) -> Instruction {
    for m in i.accounts.iter_mut().filter(|m| m.pubkey == *from) {
        m.pubkey = *to;
    }
    i
}

#[tokio::test]
async fn substituted_token_accounts_vaults_and_programs_are_refused_by_name() {
    let mut t = Trading::new().await;
    let board = t.board;
    let (k, ku, kq) = keeper(&mut t.env).await;
    let buy = ix::buy(&t.env, &board, &t.trader, 2, CALL, 20 * CONTRACT, u64::MAX);
    let trader = t.trader.key.insecure_clone();
    t.env.send(&[buy], &[&trader]).await.unwrap();
    let (qv, uv) = (t.env.quote_vault, t.env.underlying_vault);
    let (lp_quote, tq) = (t.lp.quote, t.trader.quote);
    let token_2022 = anchor_spl::token_2022::ID;
    let token = anchor_spl::token::ID;
    let liquidator = as_lp(&k, kq);
    let owner = t.trader.pubkey();
    let env = &t.env;
    let rebalance = || ix::rebalance(env, &k.pubkey(), &ku, &kq, CONTRACT, 0);
    let liquidate = || ix::liquidate(env, &board, &owner, &liquidator, 2, PUT, CONTRACT);
    let sell = || ix::sell(env, &board, &t.trader, 2, CALL, CONTRACT, 0);
    let withdraw_c = || ix::withdraw_collateral(env, &t.trader, USDC);
    let deposit_c = || ix::deposit_collateral(env, &t.trader, USDC);
    let dup = anchor_error(Anchor::ConstraintDuplicateMutableAccount);
    let cases: Vec<(&str, Instruction, Vec<&Keypair>, u32)> = vec![
        // The keeper's two accounts swapped, another's account, a vault as the keeper's.
        (
            "rebalance: keeper accounts swapped",
            exchange(rebalance(), &ku, &kq),
            vec![&k],
            program_error(E::WrongMint),
        ),
        (
            "rebalance: another owner's quote",
            swap(rebalance(), &kq, &lp_quote),
            vec![&k],
            program_error(E::WrongTokenOwner),
        ),
        ("rebalance: the vault as the keeper's", swap(rebalance(), &kq, &qv), vec![&k], dup),
        (
            "rebalance: vaults swapped",
            exchange(rebalance(), &uv, &qv),
            vec![&k],
            program_error(E::WrongVault),
        ),
        (
            "rebalance: Token-2022 for Token",
            swap(rebalance(), &token, &token_2022),
            vec![&k],
            program_error(E::WrongTokenProgram),
        ),
        (
            "liquidate: another owner's quote",
            swap(liquidate(), &kq, &lp_quote),
            vec![&k],
            program_error(E::WrongTokenOwner),
        ),
        (
            "liquidate: an underlying account",
            swap(liquidate(), &kq, &ku),
            vec![&k],
            program_error(E::WrongMint),
        ),
        (
            "liquidate: Token-2022 for Token",
            swap(liquidate(), &token, &token_2022),
            vec![&k],
            program_error(E::WrongTokenProgram),
        ),
        (
            "sell: another owner's quote",
            swap(sell(), &tq, &lp_quote),
            vec![&trader],
            program_error(E::WrongTokenOwner),
        ),
        ("sell: the vault as the trader's", swap(sell(), &tq, &qv), vec![&trader], dup),
        (
            "sell: Token-2022 for Token",
            swap(sell(), &token, &token_2022),
            vec![&trader],
            program_error(E::WrongTokenProgram),
        ),
        (
            "deposit_collateral: the vault as the owner's",
            swap(deposit_c(), &tq, &qv),
            vec![&trader],
            dup,
        ),
        (
            "withdraw_collateral: the vault as the owner's",
            swap(withdraw_c(), &tq, &qv),
            vec![&trader],
            dup,
        ),
        (
            "withdraw_collateral: another vault",
            swap(withdraw_c(), &qv, &uv),
            vec![&trader],
            program_error(E::WrongVault),
        ),
    ];
    for (what, i, signers, e) in cases {
        eprintln!("case: {what}");
        refuse(&mut t.env, i, &signers, e).await;
    }
}

#[tokio::test]
async fn accounts_of_another_market_trader_or_board_are_refused_by_name() {
    let mut t = Trading::new().await;
    let board = t.board;
    let foreign = super::test_adversarial::second_market_board(&mut t).await;
    let other_market = t.env.board_state(&foreign).await.market;
    let other = Trading::trader_on(&mut t.env, &board).await;
    let trader = t.trader.key.insecure_clone();
    let authority = t.env.authority.insecure_clone();
    let ours = ix::board_pda(&t.env.market, EXPIRY + 2 * DAY);
    t.env
        .send(&[ix::create_board(&t.env, EXPIRY + 2 * DAY, &STRIKES)], &[&authority])
        .await
        .unwrap();
    t.env.boards.push(ours);
    let a = authority.pubkey();
    let (mine, theirs) = (
        ix::margin_pda(&t.env.market, &t.trader.pubkey()),
        ix::margin_pda(&t.env.market, &other.pubkey()),
    );
    let market = t.env.market;
    let env = &t.env;
    let cases: Vec<(&str, Instruction, Vec<&Keypair>, E)> = vec![
        (
            "sell on another market's board",
            swap(ix::sell(env, &board, &t.trader, 2, CALL, CONTRACT, 0), &board, &foreign),
            vec![&trader],
            E::WrongMarket,
        ),
        (
            "sell with another trader's position",
            swap(
                ix::sell(env, &board, &t.trader, 2, CALL, CONTRACT, 0),
                &ix::position_pda(&board, &t.trader.pubkey()),
                &ix::position_pda(&board, &other.pubkey()),
            ),
            vec![&trader],
            E::WrongPosition,
        ),
        (
            "withdraw_collateral from another's margin account",
            swap(ix::withdraw_collateral(env, &t.trader, USDC), &mine, &theirs),
            vec![&trader],
            E::WrongMarginAccount,
        ),
        (
            "open_position with another's margin account",
            swap(ix::open_position(env, &ours, &t.trader.pubkey()), &mine, &theirs),
            vec![&trader],
            E::WrongMarginAccount,
        ),
        (
            "settle_board of another market's board",
            ix::settle_board(env, &foreign),
            vec![],
            E::WrongMarket,
        ),
        (
            "create_board on a market of another config",
            swap(
                swap(ix::create_board(env, EXPIRY + DAY, &STRIKES), &market, &other_market),
                &ix::board_pda(&market, EXPIRY + DAY),
                &ix::board_pda(&other_market, EXPIRY + DAY),
            ),
            vec![&authority],
            E::WrongConfig,
        ),
        (
            "propose_params on a market of another config",
            swap(ix::propose_params(env, &a, RiskParams::reference()), &market, &other_market),
            vec![&authority],
            E::WrongConfig,
        ),
        (
            "create_board by a stranger",
            ix::create_board(env, EXPIRY + DAY, &STRIKES),
            vec![&trader],
            E::NotAuthority,
        ),
    ];
    for (what, mut i, signers, e) in cases {
        eprintln!("case: {what}");
        if what == "create_board by a stranger" {
            i = swap(i, &a, &t.trader.pubkey());
        }
        refuse(&mut t.env, i, &signers, program_error(e)).await;
    }
}

/// Past expiry, the board unsettled, with the first price after expiry published.
async fn expire_unsettled(env: &mut Env, price: i64) {
    env.set_time(EXPIRY + 30).await;
    let q = pyth::Quote {
        price,
        publish_time: EXPIRY + 30,
        prev_publish_time: Some(EXPIRY - 1),
        ..Default::default()
    };
    env.set_oracle(&q);
}

#[tokio::test]
async fn an_expired_unsettled_board_holds_lp_flows_and_hedges_until_anyone_settles_it() {
    let (mut t, k, kq) = short_puts().await;
    let board = t.board;
    let (keeper_key, ku, kq2) = keeper(&mut t.env).await;
    expire_unsettled(&mut t.env, START_PRICE / 2).await;
    let lp = t.lp.key.insecure_clone();
    let owner = t.trader.pubkey();
    let stale = program_error(E::BoardAwaitingSettlement);
    let i = ix::deposit(&t.env, &t.lp, SENIOR, USDC, 0);
    refuse(&mut t.env, i, &[&lp], stale).await;
    let i = ix::withdraw(&t.env, &t.lp, SENIOR, 1_000, 0);
    refuse(&mut t.env, i, &[&lp], stale).await;
    let i = ix::rebalance(&t.env, &keeper_key.pubkey(), &ku, &kq2, CONTRACT, 0);
    refuse(&mut t.env, i, &[&keeper_key], stale).await;
    let i = ix::liquidate(&t.env, &board, &owner, &as_lp(&k, kq), 2, PUT, CONTRACT);
    refuse(&mut t.env, i, &[&k], program_error(E::BoardExpired)).await;
    // Collateral stays behind what the expired shorts owe at spot: 500 puts 75 in the money.
    let trader = t.trader.key.insecure_clone();
    let i = ix::withdraw_collateral(&t.env, &t.trader, USDC);
    refuse(&mut t.env, i, &[&trader], program_error(E::BelowInitialMargin)).await;
    // Anyone settles it from the print of its window; LP flows go on at once.
    t.env.send(&[ix::settle_board(&t.env, &board)], &[]).await.unwrap();
    t.env.boards.retain(|b| *b != board);
    let i = ix::deposit(&t.env, &t.lp, SENIOR, USDC, 0);
    t.env.send(&[i], &[&lp]).await.unwrap();
}

#[tokio::test]
async fn withdrawals_refuse_the_vault_as_receiver_and_a_board_passed_twice() {
    let mut t = Trading::new().await;
    let lp = t.lp.key.insecure_clone();
    let qv = t.env.quote_vault;
    let i = swap(ix::withdraw(&t.env, &t.lp, SENIOR, 1_000, 0), &t.lp.quote, &qv);
    refuse(&mut t.env, i, &[&lp], anchor_error(Anchor::ConstraintDuplicateMutableAccount)).await;
    let mut i = ix::withdraw(&t.env, &t.lp, SENIOR, 1_000, 0);
    let last = i.accounts.last().unwrap().clone();
    i.accounts.push(last);
    refuse(&mut t.env, i, &[&lp], program_error(E::BoardsMissing)).await;
}

#[tokio::test]
async fn settlement_and_liquidation_refuse_closed_foreign_or_duplicated_accounts() {
    let (mut t, k, kq) = short_puts().await;
    let board = t.board;
    let authority = t.env.authority.insecure_clone();
    // A second board on which the trader also holds a position.
    let later = ix::board_pda(&t.env.market, EXPIRY + DAY);
    t.env.send(&[ix::create_board(&t.env, EXPIRY + DAY, &STRIKES)], &[&authority]).await.unwrap();
    t.env.boards.push(later);
    let trader =
        Lp { key: t.trader.key.insecure_clone(), quote: t.trader.quote, shares: t.trader.shares };
    t.env.open_position(&later, &trader).await;
    expire_unsettled(&mut t.env, START_PRICE).await;
    t.env.send(&[ix::settle_board(&t.env, &board)], &[]).await.unwrap();
    let owner = t.trader.pubkey();
    // The position of another board; the vault as the owner's account.
    let other = ix::position_pda(&later, &owner);
    let mine = ix::position_pda(&board, &owner);
    let i = swap(ix::settle_position(&t.env, &board, &t.trader), &mine, &other);
    refuse(&mut t.env, i, &[], program_error(E::WrongPosition)).await;
    let qv = t.env.quote_vault;
    let i = swap(ix::settle_position(&t.env, &board, &t.trader), &t.trader.quote, &qv);
    refuse(&mut t.env, i, &[], anchor_error(Anchor::ConstraintDuplicateMutableAccount)).await;
    // Settled board, position still open: no more trading on it.
    let i = ix::sell(&t.env, &board, &t.trader, 2, PUT, CONTRACT, 0);
    refuse(&mut t.env, i, &[&trader.key], program_error(E::BoardSettled)).await;
    // Settled and closed: the position cannot be sold from or liquidated any more.
    t.env.send(&[ix::settle_position(&t.env, &board, &t.trader)], &[]).await.unwrap();
    t.env.sync_positions(&owner).await;
    let closed = anchor_error(Anchor::AccountOwnedByWrongProgram);
    let i = ix::sell(&t.env, &board, &t.trader, 2, PUT, CONTRACT, 0);
    refuse(&mut t.env, i, &[&trader.key], closed).await;
    let i = ix::liquidate(&t.env, &board, &owner, &as_lp(&k, kq), 2, PUT, CONTRACT);
    refuse(&mut t.env, i, &[&k], closed).await;
}

/// The address of `seeds` at the highest bump below the canonical one that is off the curve.
fn non_canonical(seeds: &[&[u8]]) -> (Pubkey, Pubkey) {
    let (canonical, bump) = Pubkey::find_program_address(seeds, &options_amm::ID);
    let other = (0..bump)
        .rev()
        .find_map(|b| {
            let mut with_bump = seeds.to_vec();
            let b = [b];
            with_bump.push(&b);
            Pubkey::create_program_address(&with_bump, &options_amm::ID).ok()
        })
        .expect("some lower bump is off the curve");
    (canonical, other)
}

#[tokio::test]
async fn every_account_the_program_creates_refuses_a_non_canonical_address() {
    use options_amm::state::seeds;
    let mut t = Trading::new().await;
    let stranger = t.env.lp(0).await;
    let s = stranger.pubkey();
    let authority = t.env.authority.insecure_clone();
    let (market, config) = (t.env.market, t.env.config);
    let (underlying, quote) = (t.env.underlying_mint, t.env.quote_mint);
    let expiry = (EXPIRY + DAY).to_le_bytes();
    let bad_seeds = anchor_error(Anchor::ConstraintSeeds);
    let key = stranger.key.insecure_clone();
    type Case<'a> = (Instruction, Vec<&'a [u8]>, Vec<&'a Keypair>);
    let cases: Vec<Case> = vec![
        (ix::initialize_config(&t.env, &s, &s), vec![seeds::CONFIG, s.as_ref()], vec![&key]),
        (
            ix::create_board(&t.env, EXPIRY + DAY, &STRIKES),
            vec![seeds::BOARD, market.as_ref(), &expiry],
            vec![&authority],
        ),
        (
            ix::open_margin_account(&t.env, &s),
            vec![seeds::MARGIN, market.as_ref(), s.as_ref()],
            vec![&key],
        ),
        (
            ix::initialize_market(&t.env, RiskParams::reference()),
            vec![seeds::MARKET, config.as_ref(), underlying.as_ref(), quote.as_ref()],
            vec![&authority],
        ),
    ];
    for (i, pda_seeds, signers) in cases {
        let (canonical, other) = non_canonical(&pda_seeds);
        let i = swap(i, &canonical, &other);
        refuse(&mut t.env, i, &signers, bad_seeds).await;
    }
}

#[tokio::test]
async fn collateral_deposits_refuse_another_markets_vault_or_another_traders_account() {
    let mut t = Trading::new().await;
    let board = t.board;
    let foreign = super::test_adversarial::second_market_board(&mut t).await;
    let other_market = t.env.board_state(&foreign).await.market;
    let other = Trading::trader_on(&mut t.env, &board).await;
    let trader = t.trader.key.insecure_clone();
    let (qv, their_vault) = (t.env.quote_vault, options_amm_tests::quote_vault_pda(&other_market));
    let i = swap(ix::deposit_collateral(&t.env, &t.trader, USDC), &qv, &their_vault);
    refuse(&mut t.env, i, &[&trader], program_error(E::WrongVault)).await;
    let (mine, theirs) = (
        ix::margin_pda(&t.env.market, &t.trader.pubkey()),
        ix::margin_pda(&t.env.market, &other.pubkey()),
    );
    let i = swap(ix::deposit_collateral(&t.env, &t.trader, USDC), &mine, &theirs);
    refuse(&mut t.env, i, &[&trader], program_error(E::WrongMarginAccount)).await;
}

#[tokio::test]
async fn a_ninth_position_is_refused_until_a_settled_one_settles_or_an_empty_one_closes() {
    let mut t = Trading::new().await;
    let authority = t.env.authority.insecure_clone();
    let trader =
        Lp { key: t.trader.key.insecure_clone(), quote: t.trader.quote, shares: t.trader.shares };
    // Eight positions (the most a margin account holds), on eight boards.
    for d in 1..8 {
        let expiry = EXPIRY + d * DAY;
        t.env.send(&[ix::create_board(&t.env, expiry, &STRIKES)], &[&authority]).await.unwrap();
        let board = ix::board_pda(&t.env.market, expiry);
        t.env.boards.push(board);
        t.env.open_position(&board, &trader).await;
    }
    // The first expires and settles; its position stays registered until it is settled.
    expire_unsettled(&mut t.env, START_PRICE).await;
    let first = t.board;
    t.env.send(&[ix::settle_board(&t.env, &first)], &[]).await.unwrap();
    t.env.boards.retain(|b| *b != first);
    let expiry = EXPIRY + 8 * DAY;
    t.env.send(&[ix::create_board(&t.env, expiry, &STRIKES)], &[&authority]).await.unwrap();
    let ninth = ix::board_pda(&t.env.market, expiry);
    let i = ix::open_position(&t.env, &ninth, &trader.pubkey());
    refuse(&mut t.env, i, &[&trader.key], program_error(E::TooManyPositions)).await;
    // Settling the old position frees its place.
    t.env.send(&[ix::settle_position(&t.env, &first, &trader)], &[]).await.unwrap();
    t.env.sync_positions(&trader.pubkey()).await;
    t.env.open_position(&ninth, &trader).await;
    // Full again: closing an empty position on an active board frees a place too.
    let expiry = EXPIRY + 9 * DAY;
    t.env.send(&[ix::create_board(&t.env, expiry, &STRIKES)], &[&authority]).await.unwrap();
    let tenth = ix::board_pda(&t.env.market, expiry);
    let i = ix::open_position(&t.env, &tenth, &trader.pubkey());
    refuse(&mut t.env, i, &[&trader.key], program_error(E::TooManyPositions)).await;
    let i = ix::close_position(&t.env, &ninth, &trader.pubkey());
    t.env.send(&[i], &[&trader.key]).await.unwrap();
    t.env.sync_positions(&trader.pubkey()).await;
    assert!(t.env.account(&ix::position_pda(&ninth, &trader.pubkey())).await.is_none());
    t.env.open_position(&tenth, &trader).await;
}
