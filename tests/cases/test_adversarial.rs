//! Account substitution across markets, boards and owners; duplicate accounts; non-canonical
//! PDAs. Each refusal: its named error, nothing changed.

use anchor_lang::error::ErrorCode;
use anchor_lang::prelude::Pubkey;
use options_amm::error::OptionsAmmError as E;
use options_amm::state::{seeds, CALL};
use options_amm::RiskParams;
use options_amm_tests::{
    anchor_error, ix, market_pda, program_error, quote_vault_pda, shares_pda, underlying_vault_pda,
    Trading, CONTRACT, DAY, EXPIRY, STRIKES,
};
use solana_sdk::signature::{Keypair, Signer};

/// Lists a second market (its own config, authority and mints, the same oracle account) with one
/// refreshed board, and returns that board. The `Env` keeps pointing at the first market.
pub(crate) async fn second_market_board(t: &mut Trading) -> Pubkey {
    let env = &mut t.env;
    let saved = (
        env.authority.insecure_clone(),
        env.config,
        env.market,
        env.quote_mint,
        env.underlying_mint,
    );
    let saved_accounts =
        (env.quote_vault, env.underlying_vault, env.share_mints, env.boards.clone());
    let other = Keypair::new();
    env.authority = other.insecure_clone();
    env.config = options_amm_tests::config_pda(&other.pubkey());
    env.quote_mint = env.create_mint(6, anchor_spl::token::ID).await;
    env.underlying_mint = env.create_mint(9, anchor_spl::token::ID).await;
    env.market = market_pda(&env.config, &env.underlying_mint, &env.quote_mint);
    env.quote_vault = quote_vault_pda(&env.market);
    env.underlying_vault = underlying_vault_pda(&env.market);
    env.share_mints = [
        shares_pda(&env.market, options_amm::Tranche::Senior),
        shares_pda(&env.market, options_amm::Tranche::Junior),
    ];
    let i = ix::initialize_config(env, &other.pubkey(), &other.pubkey());
    env.send(&[i], &[&other]).await.unwrap();
    let i = ix::initialize_market(env, RiskParams::reference());
    env.send(&[i], &[&other]).await.unwrap();
    let i = ix::create_board(env, EXPIRY, &STRIKES);
    env.send(&[i], &[&other]).await.unwrap();
    let board = ix::board_pda(&env.market, EXPIRY);
    env.send(&[ix::refresh_board(env, &board)], &[]).await.unwrap();
    (env.authority, env.config, env.market, env.quote_mint, env.underlying_mint) = saved;
    (env.quote_vault, env.underlying_vault, env.share_mints, env.boards) = saved_accounts;
    board
}

#[tokio::test]
async fn a_board_from_another_market_is_refused_everywhere() {
    let mut t = Trading::new().await;
    let foreign = second_market_board(&mut t).await;
    let key = t.trader.key.insecure_clone();
    let w = [t.trader.quote, t.board, foreign];
    let mut a = ix::trade_accounts(&t.env, &t.board, &t.trader);
    a.board = foreign;
    let buy = ix::buy_with(a, 2, CALL, CONTRACT, u64::MAX);
    t.env.expect_refusal(&[buy], &[&key], program_error(E::WrongMarket), &w).await;
    let refresh = ix::refresh_board(&t.env, &foreign);
    t.env.expect_refusal(&[refresh], &[], program_error(E::WrongMarket), &w).await;
    let open = ix::open_position(&t.env, &foreign, &t.trader.pubkey());
    t.env.expect_refusal(&[open], &[&key], program_error(E::WrongMarket), &w).await;
    // As a remaining account of an LP flow, in place of the market's own board.
    let lp_key = t.lp.key.insecure_clone();
    let mut dep = ix::deposit(&t.env, &t.lp, options_amm::Tranche::Junior, 1_000_000, 0);
    dep.accounts.last_mut().unwrap().pubkey = foreign;
    t.env.expect_refusal(&[dep], &[&lp_key], program_error(E::WrongMarket), &t.lp.accounts()).await;
}

#[tokio::test]
async fn a_position_on_another_board_is_refused() {
    let mut t = Trading::new().await;
    let authority = t.env.authority.insecure_clone();
    let later = EXPIRY + 7 * DAY;
    t.env.send(&[ix::create_board(&t.env, later, &STRIKES)], &[&authority]).await.unwrap();
    let board2 = ix::board_pda(&t.env.market, later);
    t.env.send(&[ix::refresh_board(&t.env, &board2)], &[]).await.unwrap();
    // The trader's position is on the first board; trading the second board with it fails.
    let mut a = ix::trade_accounts(&t.env, &board2, &t.trader);
    a.position = ix::position_pda(&t.board, &t.trader.pubkey());
    let key = t.trader.key.insecure_clone();
    let w = [t.trader.quote, board2, a.position];
    t.env
        .expect_refusal(
            &[ix::buy_with(a, 2, CALL, CONTRACT, u64::MAX)],
            &[&key],
            program_error(E::WrongPosition),
            &w,
        )
        .await;
}

#[tokio::test]
async fn the_vault_as_the_traders_own_account_is_refused() {
    let mut t = Trading::new().await;
    let mut a = ix::trade_accounts(&t.env, &t.board, &t.trader);
    a.trader_quote = t.env.quote_vault;
    let key = t.trader.key.insecure_clone();
    let dup = anchor_error(ErrorCode::ConstraintDuplicateMutableAccount);
    t.env
        .expect_refusal(
            &[ix::buy_with(a, 2, CALL, CONTRACT, u64::MAX)],
            &[&key],
            dup,
            &[t.trader.quote],
        )
        .await;
}

#[tokio::test]
async fn a_non_canonical_position_address_is_refused() {
    let mut t = Trading::new().await;
    let trader = t.env.lp(1_000_000).await;
    let owner = trader.pubkey();
    let i = ix::open_margin_account(&t.env, &owner);
    t.env.send(&[i], &[&trader.key]).await.unwrap();
    let canonical_seeds: [&[u8]; 3] = [seeds::POSITION, t.board.as_ref(), owner.as_ref()];
    let (canonical, bump) = Pubkey::find_program_address(&canonical_seeds, &options_amm::ID);
    // Another bump that also gives an off-curve address.
    let other = (0..bump)
        .rev()
        .find_map(|b| {
            Pubkey::create_program_address(
                &[seeds::POSITION, t.board.as_ref(), owner.as_ref(), &[b]],
                &options_amm::ID,
            )
            .ok()
        })
        .expect("some lower bump is off-curve");
    assert_ne!(other, canonical);
    let mut open = ix::open_position(&t.env, &t.board, &trader.pubkey());
    open.accounts[4].pubkey = other;
    let key = trader.key.insecure_clone();
    t.env
        .expect_refusal(&[open], &[&key], anchor_error(ErrorCode::ConstraintSeeds), &[other])
        .await;
}
