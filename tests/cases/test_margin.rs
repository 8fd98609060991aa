use options_amm::error::OptionsAmmError as E;
use options_amm::state::PUT;
use options_amm_tests::pyth::px;
use options_amm_tests::{ix, program_error, Env, Lp, Trading, CONTRACT, START_CONF, USDC};

async fn margin_collateral(env: &mut Env, owner: &Lp) -> u64 {
    env.margin_state(&owner.pubkey()).await.collateral
}

/// Spot moves to `quote` at a later time and the board is re-marked there.
async fn move_spot(t: &mut Trading, quote: i64, secs: i64) {
    let now = t.env.now + secs;
    t.env.set_time(now).await;
    t.env.set_price(px(quote), START_CONF, now);
    let board = t.board;
    t.env.send(&[ix::refresh_board(&t.env, &board)], &[]).await.unwrap();
}

/// A trader short 500 at-the-money puts against 20k of margin collateral, and a keeper.
async fn short_puts() -> (Trading, Lp) {
    let mut t = Trading::new().await;
    let sell = ix::sell(&t.env, &t.board, &t.trader, 2, PUT, 500 * CONTRACT, 0);
    t.env.send(&[sell], &[&t.trader.key]).await.unwrap();
    let keeper = t.env.lp(0).await;
    (t, keeper)
}

#[tokio::test]
async fn collateral_moves_in_and_out_within_initial_margin() {
    let (mut t, _) = short_puts().await;
    let trader =
        Lp { key: t.trader.key.insecure_clone(), quote: t.trader.quote, shares: t.trader.shares };
    let before = t.env.balance(&trader.quote).await;
    t.env
        .send(&[ix::deposit_collateral(&t.env, &trader, 1_000 * USDC)], &[&trader.key])
        .await
        .unwrap();
    assert_eq!(margin_collateral(&mut t.env, &trader).await, 21_000 * USDC);
    t.env
        .send(&[ix::withdraw_collateral(&t.env, &trader, 500 * USDC)], &[&trader.key])
        .await
        .unwrap();
    assert_eq!(t.env.balance(&trader.quote).await, before - 500 * USDC);
    // Taking nearly everything out would leave the shorts under-margined.
    let margin = ix::margin_pda(&t.env.market, &trader.pubkey());
    let i = ix::withdraw_collateral(&t.env, &trader, 20_000 * USDC);
    t.env
        .expect_refusal(
            &[i],
            &[&trader.key],
            program_error(E::BelowInitialMargin),
            &[trader.quote, margin],
        )
        .await;
    // Without its positions, the account cannot be judged: refused by name.
    let mut i = ix::withdraw_collateral(&t.env, &trader, USDC);
    i.accounts.truncate(i.accounts.len() - 2);
    t.env
        .expect_refusal(
            &[i],
            &[&trader.key],
            program_error(E::MarginAccountsMissing),
            &[trader.quote, margin],
        )
        .await;
    // Someone else's margin account cannot be used.
    let thief = t.env.lp(1_000 * USDC).await;
    let mut i = ix::deposit_collateral(&t.env, &thief, USDC);
    i.accounts[2].pubkey = margin;
    t.env
        .expect_refusal(
            &[i],
            &[&thief.key],
            program_error(E::WrongMarginAccount),
            &[thief.quote, margin],
        )
        .await;
}

#[tokio::test]
async fn a_healthy_account_cannot_be_liquidated_nor_by_its_owner() {
    let (mut t, keeper) = short_puts().await;
    let (board, owner) = (t.board, t.trader.pubkey());
    let margin = ix::margin_pda(&t.env.market, &owner);
    let i = ix::liquidate(&t.env, &board, &owner, &keeper, 2, PUT, 10 * CONTRACT);
    t.env
        .expect_refusal(
            &[i],
            &[&keeper.key],
            program_error(E::AccountHealthy),
            &[keeper.quote, margin],
        )
        .await;
    move_spot(&mut t, 120, 10).await;
    let me =
        Lp { key: t.trader.key.insecure_clone(), quote: t.trader.quote, shares: t.trader.shares };
    let i = ix::liquidate(&t.env, &board, &owner, &me, 2, PUT, 10 * CONTRACT);
    t.env
        .expect_refusal(&[i], &[&me.key], program_error(E::LiquidatorIsOwner), &[me.quote, margin])
        .await;
}

#[tokio::test]
async fn a_price_drop_makes_the_short_liquidatable_partially_then_fully() {
    let (mut t, keeper) = short_puts().await;
    let (board, owner) = (t.board, t.trader.pubkey());
    let margin = ix::margin_pda(&t.env.market, &owner);
    move_spot(&mut t, 120, 10).await;
    // Closing everything at once is more than needed to restore initial margin.
    let all = ix::liquidate(&t.env, &board, &owner, &keeper, 2, PUT, 500 * CONTRACT);
    t.env
        .expect_refusal(
            &[all],
            &[&keeper.key],
            program_error(E::LiquidationTooLarge),
            &[keeper.quote, margin],
        )
        .await;
    // A part: the keeper earns exactly half of 2% of 200 x 120 = 480.
    let before = margin_collateral(&mut t.env, &t.trader).await;
    let i = ix::liquidate(&t.env, &board, &owner, &keeper, 2, PUT, 200 * CONTRACT);
    t.env.send(&[i], &[&keeper.key]).await.unwrap();
    assert_eq!(t.env.balance(&keeper.quote).await, 240 * USDC);
    let after = margin_collateral(&mut t.env, &t.trader).await;
    assert!(after < before - 480 * USDC, "closing cost and penalty come from the collateral");
    let p = t.env.position_state(&ix::position_pda(&board, &owner)).await;
    assert_eq!(p.sizes[2][PUT as usize], -300 * CONTRACT as i64);
    let m = t.env.market_state().await;
    assert_eq!(t.env.balance(&t.env.quote_vault.clone()).await, m.quote_books().unwrap());
    // Further down, the account is deep under water: the rest goes in one liquidation.
    move_spot(&mut t, 95, 10).await;
    let i = ix::liquidate(&t.env, &board, &owner, &keeper, 2, PUT, 300 * CONTRACT);
    t.env.send(&[i], &[&keeper.key]).await.unwrap();
    let p = t.env.position_state(&ix::position_pda(&board, &owner)).await;
    assert_eq!(p.sizes[2][PUT as usize], 0, "fully liquidated");
    let m = t.env.market_state().await;
    assert_eq!(t.env.balance(&t.env.quote_vault.clone()).await, m.quote_books().unwrap());
}

/// The margin cache only saves pricing: with the board's cache cleared after the refresh (every
/// check prices), the same refusal of too large a liquidation, and the same partial one to the
/// unit: the keeper's reward, the account's collateral and its position.
#[tokio::test]
async fn a_liquidation_decides_the_same_with_the_margin_cache_cleared() {
    let mut outcomes = vec![];
    for cleared in [false, true] {
        let (mut t, keeper) = short_puts().await;
        let (board, owner) = (t.board, t.trader.pubkey());
        let margin = ix::margin_pda(&t.env.market, &owner);
        move_spot(&mut t, 120, 10).await;
        assert_ne!(t.env.board_state(&board).await.margin_cache.made_ts, 0, "the refresh cached");
        if cleared {
            t.env.edit_board(&board, |b| b.margin_cache.made_ts = 0).await;
        }
        let all = ix::liquidate(&t.env, &board, &owner, &keeper, 2, PUT, 500 * CONTRACT);
        let refusal = program_error(E::LiquidationTooLarge);
        t.env.expect_refusal(&[all], &[&keeper.key], refusal, &[keeper.quote, margin]).await;
        let i = ix::liquidate(&t.env, &board, &owner, &keeper, 2, PUT, 200 * CONTRACT);
        t.env.send(&[i], &[&keeper.key]).await.unwrap();
        let p = t.env.position_state(&ix::position_pda(&board, &owner)).await;
        outcomes.push((
            t.env.balance(&keeper.quote).await,
            margin_collateral(&mut t.env, &t.trader).await,
            p.sizes[2][PUT as usize],
        ));
    }
    assert_eq!(outcomes[0], outcomes[1]);
    assert_eq!(outcomes[0].0, 240 * USDC, "half of 2% of 200 x 120");
}

#[tokio::test]
async fn a_crash_leaves_bad_debt_that_the_junior_tranche_absorbs_first() {
    let (mut t, keeper) = short_puts().await;
    let (board, owner) = (t.board, t.trader.pubkey());
    // Spot 150 -> 60: the vault's long puts gain, the trader's collateral no longer covers them.
    let now = t.env.now + 20;
    t.env.set_time(now).await;
    t.env.set_price(px(60), START_CONF, now);
    t.env.send(&[ix::refresh_board(&t.env, &board)], &[]).await.unwrap();
    let before = t.env.market_state().await;
    let nav_before = before.nav(options_amm_pricing::Fx::from_num(60)).unwrap();
    let split_before = options_amm::math::tranche::split(nav_before, before.tranches[0].claim);
    // Closing all 500 puts costs ~45k; the account holds 20k: the rest is bad debt.
    let i = ix::liquidate(&t.env, &board, &owner, &keeper, 2, PUT, 500 * CONTRACT);
    t.env.send(&[i], &[&keeper.key]).await.unwrap();
    assert_eq!(margin_collateral(&mut t.env, &t.trader).await, 0);
    let m = t.env.market_state().await;
    assert_eq!(t.env.balance(&t.env.quote_vault.clone()).await, m.quote_books().unwrap());
    let nav = m.nav(options_amm_pricing::Fx::from_num(60)).unwrap();
    let split = options_amm::math::tranche::split(nav, m.tranches[0].claim);
    assert!(nav < nav_before, "the pool absorbed the bad debt");
    assert_eq!(split.senior, split_before.senior, "the senior tranche is untouched");
    assert!(split.junior < split_before.junior, "the junior tranche takes it first");
    // The protocol's fee on an unpaid close is not booked: the bad debt eats it first.
    assert_eq!(m.protocol_fees, before.protocol_fees, "no protocol fee out of bad debt");
    // The market's counters, by hand. The penalty is 2% of the notional bought back, 500 x 60
    // x 0.02 = 600, half of it the liquidator's: nothing is left to pay it from, so the pool
    // pays the liquidator's 300.
    assert_eq!(m.liquidation_penalties_net - before.liquidation_penalties_net, -300 * USDC as i64);
    // Bad debt: the close costs at least the puts' lower bound, 500 x (150 e^(-rT) - 60)
    // (a European put is worth at least its discounted strike less spot), less the 20,000
    // the account held and at most the protocol's fee (under 0.2% of that cost); at most that
    // bound plus the liquidation spread and fees (under 1% of it).
    let secs = (options_amm_tests::EXPIRY - now) as f64;
    let rate = f64::from(m.params.risk_free_rate_bps) / 10_000.0;
    let floor = 500.0 * (150.0 * (-rate * secs / 31_536_000.0).exp() - 60.0);
    let bad = (m.bad_debt_total - before.bad_debt_total) as f64 / USDC as f64;
    assert!(
        bad >= (floor - 20_000.0) - 0.002 * floor && bad <= (floor - 20_000.0) + 0.01 * floor,
        "bad debt {bad}, the puts' lower bound {floor}"
    );
}

#[tokio::test]
async fn a_ninth_open_series_is_refused_and_closing_one_frees_its_place() {
    use options_amm::state::{CALL, MAX_OPEN_SERIES};
    let mut t = Trading::new().await;
    let (board, trader) = (t.board, t.trader.pubkey());
    let margin = ix::margin_pda(&t.env.market, &trader);
    let position = ix::position_pda(&board, &trader);
    // Every series of the board in turn, nearest the money first; buying opens a long series.
    let order = [2, 1, 3, 0, 4].into_iter().flat_map(|s| [(s, CALL), (s, PUT)]);
    let mut open = vec![];
    for (strike, kind) in order {
        if open.len() == MAX_OPEN_SERIES as usize {
            let i = ix::buy(&t.env, &board, &t.trader, strike, kind, CONTRACT, u64::MAX);
            let watched = [margin, position, board, t.trader.quote];
            let code = program_error(E::TooManyOpenSeries);
            t.env.expect_refusal(&[i], &[&t.trader.key], code, &watched).await;
            // Selling one back closes its series; the refused one then opens.
            let (s, k) = open[0];
            let i = ix::sell(&t.env, &board, &t.trader, s, k, CONTRACT, 0);
            t.env.send(&[i], &[&t.trader.key]).await.unwrap();
            let i = ix::buy(&t.env, &board, &t.trader, strike, kind, CONTRACT, u64::MAX);
            t.env.send(&[i], &[&t.trader.key]).await.unwrap();
            return;
        }
        t.env.buy_ok(&board, &t.trader, strike, kind, CONTRACT).await;
        open.push((strike, kind));
    }
    panic!("ten series were opened, the limit is {MAX_OPEN_SERIES}");
}
