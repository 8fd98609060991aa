use options_amm::error::OptionsAmmError as E;
use options_amm::state::{CALL, PUT};
use options_amm_tests::{
    ix, program_error, pyth, Env, Lp, Trading, CONTRACT, EXPIRY, START_CONF, USDC,
};

/// Settlement price in the oracle's units (expo -8): 135.
const SETTLE_PRICE: i64 = 135 * 100_000_000;

/// Three traders: alice long 2 calls at 150, bob short 3 puts at 140 (collateral 420), carol
/// long 1 put at 160.
struct Book {
    t: Trading,
    alice: Lp,
    bob: Lp,
    carol: Lp,
}

async fn book() -> Book {
    let mut t = Trading::new().await;
    let alice = t.trader.key.insecure_clone();
    let alice = Lp { key: alice, quote: t.trader.quote, shares: t.trader.shares };
    let bob = Trading::trader_on(&mut t.env, &t.board.clone()).await;
    let carol = Trading::trader_on(&mut t.env, &t.board.clone()).await;
    let board = t.board;
    for (who, ix) in [
        (&alice, ix::buy(&t.env, &board, &alice, 2, CALL, 2 * CONTRACT, u64::MAX)),
        (&bob, ix::sell(&t.env, &board, &bob, 1, PUT, 3 * CONTRACT, 0)),
        (&carol, ix::buy(&t.env, &board, &carol, 3, PUT, CONTRACT, u64::MAX)),
    ] {
        t.env.send(&[ix], &[&who.key]).await.expect("trade");
    }
    Book { t, alice, bob, carol }
}

/// Past expiry, with the first price after it published 5 s after expiry.
async fn expire(env: &mut Env, price: i64) {
    env.set_time(EXPIRY + 30).await;
    let q = pyth::Quote {
        price,
        conf: START_CONF,
        publish_time: EXPIRY + 5,
        prev_publish_time: Some(EXPIRY - 1),
        ..pyth::Quote::default()
    };
    env.set_oracle(&q);
}

async fn settle_all(b: &mut Book, order: [usize; 3]) -> [u64; 3] {
    let board = b.t.board;
    b.t.env.send(&[ix::settle_board(&b.t.env, &board)], &[]).await.expect("settle_board");
    let people = [&b.alice, &b.bob, &b.carol];
    for i in order {
        let ix = ix::settle_position(&b.t.env, &board, people[i]);
        b.t.env.send(&[ix], &[]).await.expect("settle_position");
        b.t.env.sync_positions(&people[i].pubkey()).await;
    }
    let mut out = [0; 3];
    for (i, p) in people.iter().enumerate() {
        out[i] = b.t.env.balance(&p.quote).await;
    }
    out
}

#[tokio::test]
async fn settlement_pays_each_position_once_and_totals_do_not_depend_on_order() {
    let mut first = book().await;
    let mut second = book().await;
    let before = [
        first.t.env.balance(&first.alice.quote).await,
        first.t.env.balance(&first.bob.quote).await,
        first.t.env.balance(&first.carol.quote).await,
    ];
    expire(&mut first.t.env, SETTLE_PRICE).await;
    expire(&mut second.t.env, SETTLE_PRICE).await;
    let a = settle_all(&mut first, [0, 1, 2]).await;
    let b = settle_all(&mut second, [2, 1, 0]).await;
    assert_eq!(a, b, "same payouts in either order");
    let (ma, mb) = (first.t.env.market_state().await, second.t.env.market_state().await);
    assert_eq!(
        (ma.lp_quote, ma.trader_collateral, ma.settlement_payable),
        (mb.lp_quote, mb.trader_collateral, mb.settlement_payable)
    );
    // At 135: the 150 calls expire worthless; bob's 140 puts cost him 3 x 5 = 15, taken from
    // his margin collateral; carol's 160 put pays 25 into her wallet.
    assert_eq!(a[0], before[0]);
    assert_eq!(a[1], before[1]);
    assert_eq!(a[2], before[2] + 25 * USDC);
    let collateral = first.t.env.margin_state(&first.bob.pubkey()).await.collateral;
    assert_eq!(collateral, 20_000 * USDC - 15 * USDC);
    // Everything is released: no locks, no reserve, no receivable; the vault holds its books.
    assert_eq!((ma.locked_quote, ma.settlement_payable, ma.settlement_receivable), (0, 0, 0));
    assert_eq!(ma.trader_collateral, 3 * 20_000 * USDC - 15 * USDC);
    assert_eq!(
        first.t.env.balance(&first.t.env.quote_vault.clone()).await,
        ma.quote_books().unwrap()
    );
    // The position accounts are closed to their owners.
    let pos = ix::position_pda(&first.t.board, &first.carol.pubkey());
    assert!(first.t.env.account(&pos).await.is_none());
}

#[tokio::test]
async fn settle_board_records_the_price_once_and_unwinds_the_aggregates() {
    let mut b = book().await;
    let board = b.t.board;
    expire(&mut b.t.env, SETTLE_PRICE).await;
    b.t.env.send(&[ix::settle_board(&b.t.env, &board)], &[]).await.unwrap();
    let s = b.t.env.board_state(&board).await;
    assert_eq!(s.status, options_amm::state::BoardStatus::Settled as u8);
    assert_eq!(s.settlement_price.get(), options_amm_pricing::Fx::from_num(135));
    let m = b.t.env.market_state().await;
    assert_eq!(m.net_delta.get(), options_amm_pricing::Fx::ZERO);
    assert_eq!(m.options_value.get(), options_amm_pricing::Fx::ZERO);
    assert_eq!(m.settlement_payable, 25 * USDC);
    let again = ix::settle_board(&b.t.env, &board);
    b.t.env.expect_refusal(&[again], &[], program_error(E::BoardSettled), &[board]).await;
}

#[tokio::test]
async fn settled_boards_refuse_trading_refreshing_and_second_settlement() {
    let mut b = book().await;
    let board = b.t.board;
    expire(&mut b.t.env, SETTLE_PRICE).await;
    settle_all(&mut b, [0, 1, 2]).await;
    let refresh = ix::refresh_board(&b.t.env, &board);
    b.t.env.expect_refusal(&[refresh], &[], program_error(E::BoardSettled), &[board]).await;
    // A newcomer can no longer open a position there, so cannot trade it either.
    let dave = b.t.env.lp(1_000 * USDC).await;
    let i = ix::open_margin_account(&b.t.env, &dave.pubkey());
    b.t.env.send(&[i], &[&dave.key]).await.unwrap();
    let open = ix::open_position(&b.t.env, &board, &dave.pubkey());
    let margin = ix::margin_pda(&b.t.env.market, &dave.pubkey());
    b.t.env.expect_refusal(&[open], &[&dave.key], program_error(E::BoardSettled), &[margin]).await;
    let buy = ix::buy(&b.t.env, &board, &b.carol, 3, PUT, CONTRACT, u64::MAX);
    let carol = b.carol.key.insecure_clone();
    let err = b.t.env.send(&[buy], &[&carol]).await.unwrap_err();
    assert_eq!(
        err,
        solana_sdk::transaction::TransactionError::InstructionError(
            1,
            solana_sdk::instruction::InstructionError::Custom(options_amm_tests::anchor_error(
                anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram
            ))
        ),
        "carol's settled position is closed"
    );
    // Settling alice again: her position account is closed (back to the system program).
    let twice = ix::settle_position(&b.t.env, &board, &b.alice);
    let err = b.t.env.send(&[twice], &[]).await.unwrap_err();
    assert_eq!(
        err,
        solana_sdk::transaction::TransactionError::InstructionError(
            1,
            solana_sdk::instruction::InstructionError::Custom(options_amm_tests::anchor_error(
                anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram
            ))
        )
    );
}

#[tokio::test]
async fn settle_board_waits_for_a_valid_print_of_its_window_and_any_one_settles_it() {
    let mut b = book().await;
    let board = b.t.board;
    let ix = ix::settle_board(&b.t.env, &board);
    b.t.env.expect_refusal(&[ix], &[], program_error(E::BoardNotExpired), &[board]).await;
    // Past expiry but the oracle's price was published before it: wait.
    b.t.env.set_time(EXPIRY + 30).await;
    let ix = ix::settle_board(&b.t.env, &board);
    b.t.env
        .expect_refusal(&[ix], &[], program_error(E::SettlementPriceOutsideWindow), &[board])
        .await;
    // A print of the window too uncertain to settle with (3% > the 2% limit): refused by name.
    let wide = pyth::Quote {
        price: SETTLE_PRICE,
        conf: SETTLE_PRICE as u64 * 3 / 100,
        publish_time: EXPIRY + 10,
        prev_publish_time: Some(EXPIRY - 1),
        ..pyth::Quote::default()
    };
    b.t.env.set_oracle(&wide);
    let ix = ix::settle_board(&b.t.env, &board);
    b.t.env.expect_refusal(&[ix], &[], program_error(E::OracleConfidenceTooWide), &[board]).await;
    // Not the first print after expiry (its predecessor came after expiry too), and the keeper
    // lands late in the window: it settles all the same.
    let q = pyth::Quote {
        price: SETTLE_PRICE,
        conf: START_CONF,
        publish_time: EXPIRY + 20,
        prev_publish_time: Some(EXPIRY + 10),
        ..pyth::Quote::default()
    };
    b.t.env.set_oracle(&q);
    b.t.env.set_time(EXPIRY + 590).await;
    b.t.env.send(&[ix::settle_board(&b.t.env, &board)], &[]).await.unwrap();
    let s = b.t.env.board_state(&board).await;
    assert_eq!(s.settlement_price.get(), options_amm_pricing::Fx::from_num(135));
}

#[tokio::test]
async fn settle_board_falls_back_to_a_fresh_print_once_its_window_passed_without_one() {
    let mut b = book().await;
    let board = b.t.board;
    // No print in the window [expiry, expiry + 600]. After it, a stale print is refused...
    let q = |publish_time| pyth::Quote {
        price: SETTLE_PRICE,
        conf: START_CONF,
        publish_time,
        prev_publish_time: Some(EXPIRY - 1),
        ..pyth::Quote::default()
    };
    b.t.env.set_oracle(&q(EXPIRY + 700));
    b.t.env.set_time(EXPIRY + 700 + 601).await;
    let ix = ix::settle_board(&b.t.env, &board);
    b.t.env.expect_refusal(&[ix], &[], program_error(E::OracleStale), &[board]).await;
    // ... a fresh one (within the margin age, 600 s) settles, by the fallback.
    b.t.env.set_oracle(&q(EXPIRY + 1_300));
    b.t.env.send(&[ix::settle_board(&b.t.env, &board)], &[]).await.unwrap();
    let s = b.t.env.board_state(&board).await;
    assert_eq!(s.status, options_amm::state::BoardStatus::Settled as u8);
    // Every position then settles and the books empty.
    for who in [&b.alice, &b.bob, &b.carol] {
        b.t.env.send(&[ix::settle_position(&b.t.env, &board, who)], &[]).await.unwrap();
    }
    let m = b.t.env.market_state().await;
    assert_eq!((m.settlement_payable, m.settlement_receivable, m.locked_quote), (0, 0, 0));
}

#[tokio::test]
async fn settle_position_failure_before_the_board_settles_or_to_a_foreign_account() {
    let mut b = book().await;
    let board = b.t.board;
    expire(&mut b.t.env, SETTLE_PRICE).await;
    let pos = ix::position_pda(&board, &b.carol.pubkey());
    let ix = ix::settle_position(&b.t.env, &board, &b.carol);
    b.t.env
        .expect_refusal(&[ix], &[], program_error(E::BoardNotSettled), &[pos, b.carol.quote])
        .await;
    b.t.env.send(&[ix::settle_board(&b.t.env, &board)], &[]).await.unwrap();
    // Paying carol's settlement into alice's token account is refused.
    let mut ix = ix::settle_position(&b.t.env, &board, &b.carol);
    ix.accounts[6].pubkey = b.alice.quote;
    b.t.env
        .expect_refusal(&[ix], &[], program_error(E::WrongTokenOwner), &[pos, b.alice.quote])
        .await;
}
