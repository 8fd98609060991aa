//! The inventory must not be drainable: each flaw an outside review found (issue 13), replayed as
//! the attacker played it, now refused or unprofitable. Each test names the flaw it closes.

use options_amm::error::OptionsAmmError as E;
use options_amm::state::{Market, CALL, JUNIOR, PUT, SENIOR};
use options_amm_pricing::Fx;
use options_amm_tests::pyth::px;
use options_amm_tests::{
    ix, program_error, pyth, Env, Lp, Trading, CONTRACT, DAY, EXPIRY, START_CONF, START_PRICE, T0,
    USDC,
};
use solana_sdk::signature::Signer;

/// Every fee the protocol and the LPs booked so far (lock charges included), raw units.
fn fees(m: &Market) -> i128 {
    m.protocol_fees as i128 + m.lp_fees as i128
}

/// A trader with a margin account and a position on `board` but no collateral at all.
async fn bare_trader(env: &mut Env, board: &anchor_lang::prelude::Pubkey) -> Lp {
    let x = env.lp(100_000 * USDC).await;
    let i = ix::open_margin_account(env, &x.pubkey());
    env.send(&[i], &[&x.key]).await.unwrap();
    env.open_position(board, &x).await;
    x
}

/// Spot moves to `quote` `secs` later; every board is re-marked there.
async fn move_spot(env: &mut Env, quote: i64, secs: i64) {
    let now = env.now + secs;
    env.set_time(now).await;
    env.set_price(px(quote), START_CONF, now);
    env.refresh_all().await;
}

// -- 1. Inventory impact is path-independent across series

/// Flaw 1: a short-dated straddle bought against a long-dated one sold (another expiry, other
/// base vols), then both closed, at one price and time, used to pay the trader every round.
/// Now the inventory charge is the change of one potential: each round costs at least its fees.
#[tokio::test]
async fn closed_loops_of_straddles_over_two_boards_never_gain() {
    let mut t = Trading::new().await;
    let short = t.board;
    let long = t.env.list_board(EXPIRY + 76 * DAY, &[(140, 120), (150, 120), (160, 120)]).await;
    let trader = t.trader.same();
    t.env.open_position(&long, &trader).await;
    let start = t.env.market_state().await.inventory();
    let legs = [
        (short, 2, CALL, true),
        (short, 2, PUT, true),
        (long, 1, CALL, false),
        (long, 1, PUT, false),
    ];
    for round in 0..3 {
        let cash0 = t.env.cash(&trader).await;
        let fees0 = fees(&t.env.market_state().await);
        for (board, strike, kind, is_buy) in legs {
            if is_buy {
                t.env.buy_ok(&board, &trader, strike, kind, 50 * CONTRACT).await;
            } else {
                t.env.sell_ok(&board, &trader, strike, kind, 50 * CONTRACT).await;
            }
        }
        // Closed in another order than opened.
        for (board, strike, kind, is_buy) in legs.iter().rev() {
            if *is_buy {
                t.env.sell_ok(board, &trader, *strike, *kind, 50 * CONTRACT).await;
            } else {
                t.env.buy_ok(board, &trader, *strike, *kind, 50 * CONTRACT).await;
            }
        }
        let loss = t.env.cash(&trader).await - cash0;
        let paid_fees = fees(&t.env.market_state().await) - fees0;
        assert!(paid_fees > 0);
        assert!(
            -loss >= paid_fees,
            "round {round}: the loop cost {} < its fees {paid_fees}",
            -loss
        );
        // The vault's inventory is back where it started, exactly.
        assert_eq!(t.env.market_state().await.inventory(), start, "round {round}");
    }
}

// -- 2. Longs back shorts, then walk away

/// Flaw 2: a short backed only by longs, then the longs sold: a naked short with no capital at
/// risk. Now a sell that leaves the account with shorts ends with the initial-margin check.
#[tokio::test]
async fn longs_that_back_a_short_cannot_be_sold_away() {
    let mut t = Trading::new().await;
    let board = t.board;
    let x = bare_trader(&mut t.env, &board).await;
    // 40 puts struck 180 (in the money) are its only collateral; they back 10 short calls at 160.
    t.env.buy_ok(&board, &x, 4, PUT, 40 * CONTRACT).await;
    t.env.sell_ok(&board, &x, 3, CALL, 10 * CONTRACT).await;
    assert_eq!(t.env.margin_state(&x.pubkey()).await.collateral, 0);
    // Selling the longs would leave the short naked: refused by name, nothing changes.
    let pos = ix::position_pda(&board, &x.pubkey());
    let i = ix::sell(&t.env, &board, &x, 4, PUT, 40 * CONTRACT, 0);
    t.env
        .expect_refusal(&[i], &[&x.key], program_error(E::BelowInitialMargin), &[x.quote, pos])
        .await;
    // Part of them, keeping enough behind the short, may go.
    t.env.sell_ok(&board, &x, 4, PUT, 5 * CONTRACT).await;
}

/// Flaw 2, at settlement: longs that expire first paid straight to the wallet while the shorts
/// they backed live on. Now the payout stays as collateral while the account has shorts.
#[tokio::test]
async fn a_payout_that_backs_shorts_elsewhere_stays_as_collateral() {
    let mut t = Trading::new().await;
    let board = t.board;
    let later = t.env.list_board(EXPIRY + 30 * DAY, &[(150, 80), (160, 80)]).await;
    let x = bare_trader(&mut t.env, &board).await;
    t.env.open_position(&later, &x).await;
    t.env.buy_ok(&board, &x, 4, PUT, 40 * CONTRACT).await;
    t.env.sell_ok(&later, &x, 1, CALL, 10 * CONTRACT).await;
    // The first board expires at 150: the puts struck 180 pay 40 x 30 = 1,200.
    t.env.settle_at(&board, EXPIRY, px(150)).await;
    let wallet = t.env.balance(&x.quote).await;
    t.env.send(&[ix::settle_position(&t.env, &board, &x)], &[]).await.unwrap();
    t.env.sync_positions(&x.pubkey()).await;
    assert_eq!(t.env.balance(&x.quote).await, wallet, "nothing left for the wallet");
    assert_eq!(t.env.margin_state(&x.pubkey()).await.collateral, 1_200 * USDC);
    // And it cannot be taken out from under the short calls.
    let margin = ix::margin_pda(&t.env.market, &x.pubkey());
    let i = ix::withdraw_collateral(&t.env, &x, 1_200 * USDC);
    t.env
        .expect_refusal(&[i], &[&x.key], program_error(E::BelowInitialMargin), &[x.quote, margin])
        .await;
}

/// Flaw 2, across boards: an expired short its account could not pay while the account still
/// held longs elsewhere used to become bad debt at once, and the longs then paid out in full.
/// Now it is the account's debt: a collateral deposit or the longs' sale repays it first.
#[tokio::test]
async fn a_debt_left_by_an_expired_short_is_repaid_before_longs_pay_out() {
    let mut t = Trading::new().await;
    let board = t.board;
    let later = t.env.list_board(EXPIRY + 30 * DAY, &[(150, 80), (180, 85)]).await;
    let x = bare_trader(&mut t.env, &board).await;
    t.env.open_position(&later, &x).await;
    // 60 puts struck 150 on the later board back 10 puts struck 150 sold on the first.
    t.env.buy_ok(&later, &x, 0, PUT, 60 * CONTRACT).await;
    t.env.sell_ok(&board, &x, 2, PUT, 10 * CONTRACT).await;
    // The first board expires at 100: the short puts owe 10 x 50 = 500; no collateral.
    t.env.settle_at(&board, EXPIRY, px(100)).await;
    let nav0 = t.env.market_state().await.nav(Fx::from_num(100)).unwrap();
    t.env.send(&[ix::settle_position(&t.env, &board, &x)], &[]).await.unwrap();
    t.env.sync_positions(&x.pubkey()).await;
    let acc = t.env.margin_state(&x.pubkey()).await;
    assert_eq!((acc.debt, acc.collateral), (500 * USDC, 0), "owed, not written off");
    let m = t.env.market_state().await;
    assert_eq!(m.nav(Fx::from_num(100)).unwrap(), nav0, "still a receivable of the pool");
    // A collateral deposit repays it first.
    let i = ix::deposit_collateral(&t.env, &x, 200 * USDC);
    t.env.send(&[i], &[&x.key]).await.unwrap();
    let acc = t.env.margin_state(&x.pubkey()).await;
    assert_eq!((acc.debt, acc.collateral), (300 * USDC, 0));
    // Selling the longs repays the rest before anything reaches the wallet.
    t.env.send(&[ix::refresh_board(&t.env, &later)], &[]).await.unwrap();
    let wallet = t.env.balance(&x.quote).await;
    let receivable = t.env.market_state().await.settlement_receivable;
    t.env.sell_ok(&later, &x, 0, PUT, 60 * CONTRACT).await;
    assert_eq!(t.env.margin_state(&x.pubkey()).await.debt, 0);
    assert_eq!(t.env.market_state().await.settlement_receivable, receivable - 300 * USDC);
    assert!(t.env.balance(&x.quote).await > wallet, "the rest of the proceeds is the trader's");
}

/// Flaw 2, in liquidation: it could not close longs, so shorts turned into bad debt while the
/// account kept longs worth something. Now a liquidator may sell them into the collateral.
#[tokio::test]
async fn a_liquidation_sells_longs_into_the_collateral() {
    let mut t = Trading::new().await;
    let board = t.board;
    let x = bare_trader(&mut t.env, &board).await;
    t.env.buy_ok(&board, &x, 4, PUT, 40 * CONTRACT).await;
    t.env.sell_ok(&board, &x, 3, CALL, 20 * CONTRACT).await;
    // A rally: the short calls outgrow what the puts are still worth.
    move_spot(&mut t.env, 175, 60).await;
    let keeper = t.env.lp(0).await;
    let before = t.env.margin_state(&x.pubkey()).await;
    let i = ix::liquidate(&t.env, &board, &x.pubkey(), &keeper, 4, PUT, 40 * CONTRACT);
    t.env.send(&[i], &[&keeper.key]).await.unwrap();
    let after = t.env.margin_state(&x.pubkey()).await;
    let pos = t.env.position_state(&ix::position_pda(&board, &x.pubkey())).await;
    assert_eq!(pos.sizes[4][PUT as usize], 0, "the longs were sold");
    assert!(after.collateral > before.collateral, "their value backs the shorts now");
    // The penalty on a long sold is a share of its proceeds (2%, half to the liquidator): it
    // cannot strip an account of more than its cheap longs are worth.
    let reward = t.env.balance(&keeper.quote).await;
    let gain = after.collateral - before.collateral;
    assert!(reward > 0, "the liquidator was paid");
    assert!(reward * 90 <= gain, "reward {reward} against {gain} of value moved into collateral");
}

// -- 3. Settlement cannot be blocked

/// Flaw 3: a long matched by another trader's short (the vault flat) was paid from pool quote at
/// settlement, which LPs could withdraw first. Now the pool locks every long it owes.
#[tokio::test]
async fn trader_against_trader_exposure_settles_after_lps_take_every_free_unit() {
    let mut t = Trading::new().await;
    let board = t.board;
    let alice = t.trader.same();
    let bob = Trading::trader_on(&mut t.env, &board).await;
    t.env.buy_ok(&board, &alice, 2, PUT, 100 * CONTRACT).await;
    t.env.sell_ok(&board, &bob, 2, PUT, 100 * CONTRACT).await;
    let s = t.env.board_state(&board).await.strikes[2];
    assert_eq!(s.vault_position[PUT as usize], 0, "the vault is flat in the series");
    assert_eq!(
        t.env.market_state().await.locked_quote,
        100 * 150 * USDC,
        "alice's longs are locked"
    );
    // LPs take every free unit.
    drain_free_quote(&mut t.env, &t.lp).await;
    let m = t.env.market_state().await;
    assert!(m.free_quote() < 100 * USDC, "free quote left: {}", m.free_quote());
    // Expiry at 120: alice is owed 100 x 30 = 3,000; everything settles and she is paid in full.
    t.env.settle_at(&board, EXPIRY, px(120)).await;
    let wallet = t.env.balance(&alice.quote).await;
    for who in [&alice, &bob] {
        t.env.send(&[ix::settle_position(&t.env, &board, who)], &[]).await.unwrap();
    }
    assert_eq!(t.env.balance(&alice.quote).await - wallet, 3_000 * USDC);
    let m = t.env.market_state().await;
    assert_eq!((m.settlement_payable, m.settlement_receivable, m.locked_quote), (0, 0, 0));
}

/// Withdraws from both tranches until less than 100 quote of free liquidity is left.
async fn drain_free_quote(env: &mut Env, lp: &Lp) {
    for _ in 0..40 {
        let m = env.market_state().await;
        let free = m.free_quote();
        if free < 100 * USDC {
            return;
        }
        for tranche in [JUNIOR, SENIOR] {
            let held = env.balance(&lp.shares[tranche as usize]).await;
            if held == 0 {
                continue;
            }
            let (_, values) = m.tranche_values(Fx::from_num(150)).unwrap();
            let value = values.get(tranche).max(1);
            // Shares worth a bit under what is free (shares price linearly).
            let shares = ((free as u128 * 99 / 100) * held as u128 / value as u128) as u64;
            let shares = shares.min(held);
            if shares == 0 {
                continue;
            }
            let i = ix::withdraw(env, lp, tranche, shares, 0);
            if env.send_or_refused(&[i], &[&lp.key], &[E::InsufficientFreeLiquidity]).await {
                break;
            }
        }
    }
}

// -- 4. A parameter change cannot corrupt the locks

/// Flaw 4: locks and releases were recomputed with the current call cap, so a governance change
/// of the cap broke closing (overflow) and settlement (invariant). Now a board keeps its cap.
#[tokio::test]
async fn a_call_cap_change_leaves_closing_and_settling_working() {
    let mut t = Trading::new().await;
    let board = t.board;
    let alice = t.trader.same();
    t.env.buy_ok(&board, &alice, 2, CALL, 10 * CONTRACT).await;
    assert_eq!(t.env.market_state().await.locked_quote, 10 * 150 * USDC); // cap 2 x 150
    let authority = t.env.authority.insecure_clone();
    let mut p = t.env.market_state().await.params;
    p.trading.call_cap_multiple_bps = 30_000;
    t.env.send(&[ix::propose_params(&t.env, &authority.pubkey(), p)], &[&authority]).await.unwrap();
    let eta = t.env.market_state().await.pending_eta;
    t.env.set_time(eta).await;
    t.env.set_price(START_PRICE, START_CONF, eta);
    t.env.send(&[ix::execute_params(&t.env)], &[]).await.unwrap();
    t.env.refresh_all().await;
    // A board listed now takes the new cap; the open one keeps its own.
    let newer = t.env.list_board(EXPIRY + 7 * DAY, &[(150, 80)]).await;
    assert_eq!(t.env.board_state(&newer).await.cap_multiple_bps, 30_000);
    assert_eq!(t.env.board_state(&board).await.cap_multiple_bps, 20_000);
    // Closing part releases exactly what it locked.
    t.env.sell_ok(&board, &alice, 2, CALL, 4 * CONTRACT).await;
    assert_eq!(t.env.market_state().await.locked_quote, 6 * 150 * USDC);
    // Expiry far above the cap: 6 calls pay 150 each (the board's cap), and every lock is gone.
    t.env.settle_at(&board, EXPIRY, px(400)).await;
    let wallet = t.env.balance(&alice.quote).await;
    t.env.send(&[ix::settle_position(&t.env, &board, &alice)], &[]).await.unwrap();
    assert_eq!(t.env.balance(&alice.quote).await - wallet, 6 * 150 * USDC);
    assert_eq!(t.env.market_state().await.locked_quote, 0);
}

// -- 5. LP flows cannot be sandwiched around a refresh

/// The vault short 300 calls (short delta); spot 0.9% away from the last refresh, 60 s later:
/// the caches are still fresh, and a refresh will move NAV by `expected_sign`.
async fn stale_by_a_move(direction: i64) -> (Trading, Lp) {
    let mut t = Trading::new().await;
    let board = t.board;
    let buyer = t.trader.same();
    for _ in 0..3 {
        t.env.buy_ok(&board, &buyer, 2, CALL, 100 * CONTRACT).await;
    }
    let whale = t.env.lp(5_000_000 * USDC).await;
    let now = t.env.now + 60;
    t.env.set_time(now).await;
    let moved = START_PRICE + direction * START_PRICE * 9 / 1_000;
    t.env.set_price(moved, START_CONF, now);
    (t, whale)
}

/// Flaw 5: deposit at stale marks, refresh (anyone may), withdraw: a riskless gain paid by the
/// other LPs. Now deposits pay the top of the refresh band: the round trip never gains.
#[tokio::test]
async fn deposit_refresh_withdraw_never_pays() {
    // Spot falls: the vault's short calls lose value, a refresh raises NAV.
    let (mut t, whale) = stale_by_a_move(-1).await;
    let board = t.board;
    let nav_stale = t.env.market_state().await.nav(Fx::from_num(150) * 991 / 1000).unwrap();
    let before = t.env.balance(&whale.quote).await;
    let i = ix::deposit(&t.env, &whale, JUNIOR, 5_000_000 * USDC, 0);
    t.env.send(&[i], &[&whale.key]).await.unwrap();
    t.env.send(&[ix::refresh_board(&t.env, &board)], &[]).await.unwrap();
    let m = t.env.market_state().await;
    let nav_fresh = m.nav(Fx::from_num(150) * 991 / 1000).unwrap() - 5_000_000 * USDC as i128;
    assert!(
        nav_fresh - nav_stale > 100 * USDC as i128,
        "the refresh raised NAV by {}",
        nav_fresh - nav_stale
    );
    t.env.withdraw_all_gains_nothing(&whale, JUNIOR, before).await;
}

/// Flaw 5, reversed: withdraw before an unfavourable refresh, deposit back after it.
#[tokio::test]
async fn withdraw_refresh_deposit_never_pays() {
    // Spot rises: the vault's short calls gain value, a refresh lowers NAV.
    let (mut t, _) = stale_by_a_move(1).await;
    let board = t.board;
    let lp = t.lp.same();
    let held = t.env.balance(&lp.shares[JUNIOR as usize]).await;
    let quote0 = t.env.balance(&lp.quote).await;
    let i = ix::withdraw(&t.env, &lp, JUNIOR, held / 2, 0);
    t.env.send(&[i], &[&lp.key]).await.unwrap();
    let got = t.env.balance(&lp.quote).await - quote0;
    t.env.send(&[ix::refresh_board(&t.env, &board)], &[]).await.unwrap();
    let i = ix::deposit(&t.env, &lp, JUNIOR, got, 0);
    t.env.send(&[i], &[&lp.key]).await.unwrap();
    let held_after = t.env.balance(&lp.shares[JUNIOR as usize]).await;
    assert!(held_after <= held, "the reverse sandwich gained {} shares", held_after - held);
}

/// Found by an attacker's review of the fixes: near expiry the refresh band (then the cached
/// gamma and theta) covered far less than a refresh moves. 300 puts at 150 the vault is short,
/// refreshed 90 s before expiry at 150.60 (just out of the money); 30 s before it, spot is
/// 0.9% lower (inside the cache limits): the refresh raises each put by about 0.79 against a
/// band of 0.08. Withdrawing before that refresh and depositing back after it took the drop
/// from the LPs who stayed. The band is now a bound at any time to expiry.
#[tokio::test]
async fn withdraw_refresh_deposit_never_pays_in_the_last_minute() {
    let mut t = Trading::new().await;
    let board = t.board;
    let buyer = t.trader.same();
    t.env.buy_ok(&board, &buyer, 2, PUT, 300 * CONTRACT).await;
    let refreshed = EXPIRY - 90;
    t.env.set_time(refreshed).await;
    t.env.set_price(15_060_000_000, START_CONF, refreshed);
    t.env.refresh_all().await;
    let now = EXPIRY - 30;
    t.env.set_time(now).await;
    let moved = 15_060_000_000 * 991 / 1_000;
    t.env.set_price(moved, START_CONF, now);
    let lp = t.lp.same();
    let held = t.env.balance(&lp.shares[JUNIOR as usize]).await;
    let quote0 = t.env.balance(&lp.quote).await;
    let i = ix::withdraw(&t.env, &lp, JUNIOR, held / 2, 0);
    t.env.send(&[i], &[&lp.key]).await.unwrap();
    let got = t.env.balance(&lp.quote).await - quote0;
    let spot = Fx::from_num(moved) / 100_000_000;
    let nav_stale = t.env.market_state().await.nav(spot).unwrap();
    t.env.send(&[ix::refresh_board(&t.env, &board)], &[]).await.unwrap();
    let nav_fresh = t.env.market_state().await.nav(spot).unwrap();
    assert!(
        nav_stale - nav_fresh > 200 * USDC as i128,
        "the refresh lowered NAV by {}",
        nav_stale - nav_fresh
    );
    let i = ix::deposit(&t.env, &lp, JUNIOR, got, 0);
    t.env.send(&[i], &[&lp.key]).await.unwrap();
    let held_after = t.env.balance(&lp.shares[JUNIOR as usize]).await;
    assert!(held_after <= held, "the reverse sandwich gained {} shares", held_after - held);
}

// -- 7. Liquidation works in stress

/// Flaw 7: a buy-back that raised the vault's locks, or bad debt that took pool quote below
/// them, made liquidation impossible. A liquidation now never changes what the pool locks (it
/// locks for every long whoever holds the short), and pool quote below locks does not stop it.
#[tokio::test]
async fn a_liquidation_with_bad_debt_goes_through_after_lps_took_every_free_unit() {
    let mut t = Trading::new().await;
    let board = t.board;
    let alice = t.trader.same();
    let bob = Trading::trader_on(&mut t.env, &board).await;
    // Alice long 500 puts, bob short 500 (against 20,000 of collateral): the vault is flat.
    t.env.buy_ok(&board, &alice, 2, PUT, 500 * CONTRACT).await;
    t.env.sell_ok(&board, &bob, 2, PUT, 500 * CONTRACT).await;
    let locked = t.env.market_state().await.locked_quote;
    assert_eq!(locked, 500 * 150 * USDC);
    drain_free_quote(&mut t.env, &t.lp).await;
    // A crash to 30: bob's puts cost 120 each to buy back, six times his collateral.
    move_spot(&mut t.env, 30, 60).await;
    let before = t.env.market_state().await;
    let keeper = t.env.lp(0).await;
    let i = ix::liquidate(&t.env, &board, &bob.pubkey(), &keeper, 2, PUT, 500 * CONTRACT);
    t.env.send(&[i], &[&keeper.key]).await.unwrap();
    let m = t.env.market_state().await;
    assert_eq!(m.locked_quote, locked, "the buy-back locked nothing more");
    assert_eq!(t.env.margin_state(&bob.pubkey()).await.collateral, 0);
    assert!(m.nav(Fx::from_num(30)).unwrap() < before.nav(Fx::from_num(30)).unwrap(), "bad debt");
    // The LP fee bob could not pay is not counted as earned.
    assert_eq!(m.lp_fees, before.lp_fees, "lp_fees counted a fee that became bad debt");
    assert!(
        t.env.balance(&keeper.quote).await > 0,
        "the liquidator of an insolvent account is paid"
    );
    // Alice is paid in full at expiry: 500 x 120.
    t.env.settle_at(&board, EXPIRY, px(30)).await;
    let wallet = t.env.balance(&alice.quote).await;
    for who in [&alice, &bob] {
        t.env.send(&[ix::settle_position(&t.env, &board, who)], &[]).await.unwrap();
    }
    assert_eq!(t.env.balance(&alice.quote).await - wallet, 60_000 * USDC);
    assert_eq!(t.env.market_state().await.locked_quote, 0);
}

// -- 8. Smaller ones

/// Flaw 8: a 60 s old price was accepted where anyone can post a newer one, so a stale print
/// could be traded and then replaced by a newer one in the same transaction. Now every
/// instruction of a slot prices with the one print the slot first used.
#[tokio::test]
async fn a_print_replaced_within_the_slot_is_refused() {
    let mut t = Trading::new().await;
    let board = t.board;
    let trader = t.trader.same();
    t.env.buy_ok(&board, &trader, 2, CALL, 10 * CONTRACT).await;
    // Someone posts a newer print in the same slot (no new slot: written directly).
    let q = pyth::Quote { price: px(152), publish_time: T0 + 1, ..Default::default() };
    let data = pyth::legacy_price_account(&q);
    let oracle = t.env.oracle;
    t.env.put_account(oracle, pyth::ORACLE_PROGRAM, data);
    let pos = ix::position_pda(&board, &trader.pubkey());
    let i = ix::sell(&t.env, &board, &trader, 2, CALL, 10 * CONTRACT, 0);
    t.env
        .expect_refusal(
            &[i],
            &[&trader.key],
            program_error(E::OraclePriceChangedInSlot),
            &[pos, trader.quote],
        )
        .await;
    // In the next slot the newer print is the slot's print.
    t.env.next_slot();
    t.env.set_time(T0 + 1).await;
    t.env.send(&[ix::refresh_board(&t.env, &board)], &[]).await.unwrap();
    t.env.sell_ok(&board, &trader, 2, CALL, 10 * CONTRACT).await;
}

/// Flaw 8: collateral withdrawal read the oracle with the margin limits (600 s) although it
/// adds risk. Now it reads it as a trade does (60 s).
#[tokio::test]
async fn a_collateral_withdrawal_refuses_a_price_only_good_enough_for_margin() {
    let mut t = Trading::new().await;
    let trader = t.trader.same();
    t.env.set_time(T0 + 300).await;
    let margin = ix::margin_pda(&t.env.market, &trader.pubkey());
    let i = ix::withdraw_collateral(&t.env, &trader, USDC);
    t.env
        .expect_refusal(
            &[i],
            &[&trader.key],
            program_error(E::OracleStale),
            &[trader.quote, margin],
        )
        .await;
}

/// Flaw 8: no allowlist of Token-2022 extensions: a permanent delegate could move the vault's
/// tokens. Now a mint with an extension outside the allowlist is refused.
#[tokio::test]
async fn a_token_2022_mint_with_a_permanent_delegate_is_refused() {
    use anchor_spl::token_2022::spl_token_2022::{self, extension::ExtensionType};
    use solana_sdk::signature::Keypair;
    let mut env = Env::bare(options_amm_tests::EnvOptions {
        quote_program: spl_token_2022::ID,
        ..Default::default()
    })
    .await;
    // The quote mint, again, with a permanent delegate.
    let mint = Keypair::new();
    let len = ExtensionType::try_calculate_account_len::<spl_token_2022::state::Mint>(&[
        ExtensionType::PermanentDelegate,
    ])
    .unwrap();
    let rent = env.ctx.banks_client.get_rent().await.unwrap();
    let payer = env.payer();
    let create = anchor_lang::solana_program::system_instruction::create_account(
        &payer,
        &mint.pubkey(),
        rent.minimum_balance(len),
        len as u64,
        &spl_token_2022::ID,
    );
    let delegate = spl_token_2022::instruction::initialize_permanent_delegate(
        &spl_token_2022::ID,
        &mint.pubkey(),
        &payer,
    )
    .unwrap();
    let init = spl_token_2022::instruction::initialize_mint2(
        &spl_token_2022::ID,
        &mint.pubkey(),
        &payer,
        None,
        6,
    )
    .unwrap();
    env.send(&[create, delegate, init], &[&mint]).await.unwrap();
    env.quote_mint = mint.pubkey();
    env.market = options_amm_tests::market_pda(&env.config, &env.underlying_mint, &env.quote_mint);
    env.quote_vault = options_amm_tests::quote_vault_pda(&env.market);
    env.underlying_vault = options_amm_tests::underlying_vault_pda(&env.market);
    env.share_mints = [
        options_amm_tests::shares_pda(&env.market, options_amm::Tranche::Senior),
        options_amm_tests::shares_pda(&env.market, options_amm::Tranche::Junior),
    ];
    let authority = env.authority.insecure_clone();
    let i = ix::initialize_config(&env, &authority.pubkey(), &env.guardian.pubkey());
    env.send(&[i], &[&authority]).await.unwrap();
    let i = ix::initialize_market(&env, options_amm::RiskParams::reference());
    env.expect_refusal(&[i], &[&authority], program_error(E::UnsupportedMintExtension), &[]).await;
}

// -- Found by a review of the fixes above (an attacker's read of the change)

/// LP capital wrapped around one's own trades: deposit, buy in size (the charge lands in pool
/// quote), withdraw a share of it, sell back (the rebate comes out of the LPs who stayed). LP
/// flows are valued net of the inventory potential the pool owes back: the loop does not pay.
#[tokio::test]
async fn a_deposit_around_ones_own_large_trades_takes_no_share_of_their_charge() {
    let mut t = Trading::new().await;
    let board = t.board;
    let whale = t.env.lp(20_000_000 * USDC).await;
    let trader = t.trader.same();
    let q = t.env.quote_mint;
    t.env.mint_to(&q, &trader.quote, 500_000 * USDC).await;
    let start = t.env.cash(&trader).await + t.env.balance(&whale.quote).await as i128;
    let i = ix::deposit(&t.env, &whale, JUNIOR, 20_000_000 * USDC, 0);
    t.env.send(&[i], &[&whale.key]).await.unwrap();
    // Straddles in alternating pieces (the vault's delta stays near zero): short vega builds.
    for _ in 0..2 {
        t.env.buy_ok(&board, &trader, 2, CALL, 1_000 * CONTRACT).await;
        t.env.buy_ok(&board, &trader, 2, PUT, 1_000 * CONTRACT).await;
    }
    let m = t.env.market_state().await;
    let qp = options_amm::math::fill::quote_params(&m.params.trading);
    let phi = options_amm_pricing::potential(&m.inventory(), Fx::from_num(150), &qp).unwrap();
    assert!(phi > Fx::from_num(5_000), "the inventory charge at stake: {phi}");
    let shares = t.env.balance(&whale.shares[JUNIOR as usize]).await;
    let i = ix::withdraw(&t.env, &whale, JUNIOR, shares, 0);
    t.env.send(&[i], &[&whale.key]).await.unwrap();
    for _ in 0..2 {
        t.env.sell_ok(&board, &trader, 2, CALL, 1_000 * CONTRACT).await;
        t.env.sell_ok(&board, &trader, 2, PUT, 1_000 * CONTRACT).await;
    }
    let end = t.env.cash(&trader).await + t.env.balance(&whale.quote).await as i128;
    assert!(end <= start, "the loop gained {}", end - start);
}

/// Positions booked at the price they traded at, not at the board's marks: a round trip at two
/// prices between refreshes left value on a zero position, which the next refresh wiped out
/// (a jump no band covered). The board now books every trade at its cached mark.
#[tokio::test]
async fn a_round_trip_between_refreshes_leaves_no_value_on_a_flat_board() {
    let mut t = Trading::new().await;
    let board = t.board;
    let trader = t.trader.same();
    let now = t.env.now + 30;
    t.env.set_time(now).await;
    t.env.set_price(px(149), START_CONF, now); // within the cache's 1%
    t.env.sell_ok(&board, &trader, 0, CALL, 100 * CONTRACT).await;
    t.env.set_price(px(151), START_CONF, now);
    t.env.buy_ok(&board, &trader, 0, CALL, 100 * CONTRACT).await;
    let b = t.env.board_state(&board).await;
    assert_eq!(b.strikes[0].vault_position, [0, 0]);
    assert_eq!(b.contrib_value.get(), Fx::ZERO, "value left on a flat board");
    assert_eq!(t.env.market_state().await.options_value.get(), Fx::ZERO);
}

/// Selling options to the vault used to be free of the utilisation cap: the pool pays for a
/// long of its own, and enough of it pinned LPs' free quote at zero at the cost of a round
/// trip. Now a sell that opens a short must leave free quote at least (1 - the cap) of NAV.
#[tokio::test]
async fn sells_that_open_shorts_cannot_pin_free_quote_past_the_utilisation_cap() {
    let mut t = Trading::new().await;
    let board = t.board;
    t.env.edit_market(|m| m.params.max_utilisation_bps = 1_000).await; // 10% of NAV
    let trader = t.env.lp(1_000_000 * USDC).await;
    let i = ix::open_margin_account(&t.env, &trader.pubkey());
    t.env.send(&[i], &[&trader.key]).await.unwrap();
    t.env.open_position(&board, &trader).await;
    let i = ix::deposit_collateral(&t.env, &trader, 500_000 * USDC);
    t.env.send(&[i], &[&trader.key]).await.unwrap();
    // Puts struck 180 (about 31 each): the pool pays premium for each.
    let mut refused = None;
    for _ in 0..20 {
        let i = ix::sell(&t.env, &board, &trader, 4, PUT, 500 * CONTRACT, 0);
        if let Err(e) = t.env.send(&[i], &[&trader.key]).await {
            refused = Some(e);
            break;
        }
    }
    let code = program_error(E::UtilisationCap);
    assert_eq!(
        refused,
        Some(solana_sdk::transaction::TransactionError::InstructionError(
            1,
            solana_sdk::instruction::InstructionError::Custom(code)
        ))
    );
    // Nothing is locked (no trader holds a long): what is held is the pool's cash. At least
    // 90% of NAV stays free for LPs.
    let m = t.env.market_state().await;
    let nav = m.nav(Fx::from_num(150)).unwrap();
    assert!(m.free_quote() as i128 * 10_000 >= 9_000 * nav, "free {} of NAV {nav}", m.free_quote());
}

/// Anyone could execute a timelocked change and trade around it in one transaction: open at
/// the old prices, execute, close at the new. The pricing parameters now fade in: at the
/// execution's time the prices do not move.
#[tokio::test]
async fn executing_a_parameter_change_moves_no_price_at_that_time() {
    let mut t = Trading::new().await;
    let board = t.board;
    let trader = t.trader.same();
    t.env.buy_ok(&board, &trader, 2, CALL, 500 * CONTRACT).await;
    let authority = t.env.authority.insecure_clone();
    let mut p = t.env.market_state().await.params;
    p.trading.skew_vega_micro *= 2;
    p.risk_free_rate_bps *= 2;
    t.env.send(&[ix::propose_params(&t.env, &authority.pubkey(), p)], &[&authority]).await.unwrap();
    let eta = t.env.market_state().await.pending_eta;
    t.env.set_time(eta).await;
    t.env.set_price(START_PRICE, START_CONF, eta);
    t.env.refresh_all().await;
    let quote = |m: &Market, b: &options_amm::state::Board| {
        let px = options_amm::oracle::OraclePrice {
            price: Fx::from_num(150),
            conf: Fx::from_num(0.05),
            publish_time: eta,
        };
        options_amm::book::fill::market_fill(
            m,
            b,
            2,
            CALL,
            options_amm_pricing::Side::Sell,
            100 * CONTRACT,
            500 * CONTRACT as i64,
            &px,
            eta,
        )
        .unwrap()
        .premium
    };
    let (m0, b0) = (t.env.market_state().await, t.env.board_state(&board).await);
    t.env.send(&[ix::execute_params(&t.env)], &[]).await.unwrap();
    let (m1, b1) = (t.env.market_state().await, t.env.board_state(&board).await);
    assert_eq!(m1.params.trading.skew_vega_micro, p.trading.skew_vega_micro);
    assert_eq!(quote(&m0, &b0), quote(&m1, &b1), "the execution moved the price");
    // After `fade_secs` the new parameters are in force.
    let later = eta + m1.params.trading.fade_secs as i64;
    assert_eq!(m1.effective_params(later), m1.params);
}

/// A shortfall at settlement became debt while the account kept any position, even an empty
/// one, and an account that closed its last series kept its debt for ever (an unpayable
/// receivable in NAV). Debt now stays only while the account holds series that can repay it.
#[tokio::test]
async fn a_debt_nothing_can_repay_is_written_off_at_once() {
    let mut t = Trading::new().await;
    let board = t.board;
    let later = t.env.list_board(EXPIRY + 30 * DAY, &[(150, 80)]).await;
    let x = t.env.lp(100_000 * USDC).await;
    let i = ix::open_margin_account(&t.env, &x.pubkey());
    t.env.send(&[i], &[&x.key]).await.unwrap();
    t.env.open_position(&board, &x).await;
    t.env.open_position(&later, &x).await; // empty
    let i = ix::deposit_collateral(&t.env, &x, 600 * USDC);
    t.env.send(&[i], &[&x.key]).await.unwrap();
    t.env.sell_ok(&board, &x, 2, PUT, 10 * CONTRACT).await;
    // Expiry at 60: 10 puts owe 900, the account holds 600.
    t.env.settle_at(&board, EXPIRY, px(60)).await;
    let before = t.env.market_state().await;
    t.env.send(&[ix::settle_position(&t.env, &board, &x)], &[]).await.unwrap();
    let acc = t.env.margin_state(&x.pubkey()).await;
    assert_eq!((acc.debt, acc.collateral), (0, 0), "nothing can repay it: written off");
    let m = t.env.market_state().await;
    // The receivable of 900 is gone; 600 came in from the collateral.
    assert_eq!(before.settlement_receivable - m.settlement_receivable, 900 * USDC);
    assert_eq!(m.lp_quote - before.lp_quote, 600 * USDC);
}
