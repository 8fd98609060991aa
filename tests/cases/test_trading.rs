use anchor_lang::prelude::Pubkey;
use options_amm::error::OptionsAmmError as E;
use options_amm::math::fill::{fill, FillInputs};
use options_amm::oracle;
use options_amm::state::{Board, CALL, JUNIOR, MAX_STRIKES, PAUSE_TRADING, PUT};
use options_amm_pricing::{Fx, Side};
use options_amm_reference as reference;
use options_amm_tests::{
    anchor_error, ix, program_error, Env, Lp, Trading, CONTRACT, DAY, EXPIRY, START_CONF,
    START_PRICE, STRIKES, T0, USDC,
};
use solana_sdk::signature::Signer;

async fn setup() -> Trading {
    Trading::new().await
}

/// What the client computes from the accounts it can read: the same fill the program makes.
async fn client_fill(
    env: &mut Env,
    board: &Pubkey,
    strike: u8,
    kind: options_amm::Kind,
    side: Side,
    size: u64,
) -> options_amm::math::fill::Fill {
    let m = env.market_state().await;
    let b: Board = env.board_state(board).await;
    let oracle_acc = env.account(&env.oracle.clone()).await.unwrap();
    let raw = oracle::parse(m.oracle_kind().unwrap(), &oracle_acc.data, &m.oracle_feed_id).unwrap();
    let px = oracle::validate(&raw, env.now, &m.params.oracle_trade).unwrap();
    let s = b.strikes[strike as usize];
    // A trader with nothing in the series yet (as every caller here is when it quotes).
    let inputs = FillInputs {
        kind,
        side,
        size,
        strike: s.strike.get(),
        base_vol: s.base_vol.get(),
        cap_bps: b.cap_multiple_bps,
        spot: px.price,
        spot_conf: px.conf,
        now: env.now,
        expiry_ts: b.expiry_ts,
        inventory: m.pricing_inventory(env.now).unwrap(),
        rate_bps: m.effective_params(env.now).risk_free_rate_bps,
        underlying_decimals: m.underlying_decimals,
        quote_decimals: m.quote_decimals,
        position: 0,
        open_interest: s.open_interest[kind as usize],
        pool_quote: m.lp_quote,
        locked_quote: m.locked_quote,
        max_utilisation_bps: m.params.max_utilisation_bps,
        extra_spread_vol: Fx::ZERO,
        floor_vol: None,
    };
    fill(&inputs, &m.effective_params(env.now).trading).unwrap()
}

async fn send_ok(env: &mut Env, ix: solana_sdk::instruction::Instruction, trader: &Lp) {
    env.send(&[ix], &[&trader.key]).await.expect("trade");
}

#[tokio::test]
async fn buy_success_charges_exactly_the_client_quote_and_books_everything() {
    let Trading { mut env, board, trader, .. } = setup().await;
    let expected = client_fill(&mut env, &board, 2, CALL, Side::Buy, 2 * CONTRACT).await;
    let before = env.market_state().await;
    let paid_before = env.balance(&trader.quote).await;
    {
        let i = ix::buy(&env, &board, &trader, 2, CALL, 2 * CONTRACT, u64::MAX);
        send_ok(&mut env, i, &trader).await;
    }
    let paid = paid_before - env.balance(&trader.quote).await;
    assert_eq!(
        paid,
        expected.premium + expected.fee_protocol + expected.fee_lp,
        "on-chain fill = client quote, to the unit"
    );
    assert!(expected.premium > 0 && expected.fee_lp > 0 && expected.fee_protocol > 0);
    // An independent bound: f64 Black-Scholes of the capped call (strike 150, cap 2x, 14 days,
    // base vol 80%, reference rate). The vault starts flat, so its inventory charge is >= 0 and
    // every spread is a vol add-on of at most 0.5 + 1 + 2 vol points; fees are 3 bps of spot
    // plus 1% of premium. So per contract: mark(80%) <= paid <= mark(83.5%) + charge + fees,
    // with the inventory charge of 2 contracts on a 3M pool well under 1% of the premium.
    let bound = |vol: f64| {
        let rate = before.params.risk_free_rate_bps as f64 / 1e4;
        let secs = (EXPIRY - env.now) as f64;
        reference::series_price(reference::Kind::Call, 150.0, 150.0, 20_000, vol, rate, secs)
    };
    let per_contract = paid as f64 / 2.0 / USDC as f64;
    let (lo, hi) = (bound(0.80), bound(0.835) * 1.02 + 150.0 * 3e-4);
    assert!(lo < per_contract && per_contract < hi, "paid {per_contract}, f64 [{lo}, {hi}]");
    let m = env.market_state().await;
    assert_eq!(m.lp_quote, before.lp_quote + expected.premium + expected.fee_lp);
    assert_eq!(m.protocol_fees, before.protocol_fees + expected.fee_protocol);
    // The vault owes 2 capped calls (cap 2 x strike: payoff at most 1 x 150): it locks 300.
    assert_eq!(m.locked_quote, 300 * USDC);
    assert!(expected.fee_lock > 0, "raising the locks pays the lock charge");
    assert_eq!(m.net_delta.get(), expected.quote.post.net_delta);
    assert!(
        m.net_delta.get() < 0 && m.net_vega.get() < 0,
        "vault short calls: short delta and vega"
    );
    let b = env.board_state(&board).await;
    assert_eq!(b.strikes[2].vault_position[CALL as usize], -2 * CONTRACT as i64);
    assert_eq!(b.strikes[2].open_interest[CALL as usize], 2 * CONTRACT);
    let p = env.position_state(&ix::position_pda(&board, &trader.pubkey())).await;
    assert_eq!(p.sizes[2][CALL as usize], 2 * CONTRACT as i64);
    assert_eq!(env.balance(&env.quote_vault.clone()).await, m.quote_books().unwrap());
}

#[tokio::test]
async fn selling_a_long_back_returns_less_than_it_cost() {
    let Trading { mut env, board, trader, .. } = setup().await;
    let start = env.balance(&trader.quote).await;
    {
        let i = ix::buy(&env, &board, &trader, 2, PUT, CONTRACT, u64::MAX);
        send_ok(&mut env, i, &trader).await;
    }
    let expected = client_fill(&mut env, &board, 2, PUT, Side::Sell, CONTRACT).await;
    {
        let i = ix::sell(&env, &board, &trader, 2, PUT, CONTRACT, 0);
        send_ok(&mut env, i, &trader).await;
    }
    let end = env.balance(&trader.quote).await;
    assert!(end < start, "a round trip pays the spread and fees");
    let m = env.market_state().await;
    assert_eq!(m.locked_quote, 0, "the vault's short is closed, its lock released");
    assert_eq!(m.trader_collateral, 20_000 * USDC, "margin collateral untouched by trading");
    let p = env.position_state(&ix::position_pda(&board, &trader.pubkey())).await;
    assert_eq!(p.sizes[2][PUT as usize], 0);
    assert!(expected.premium > expected.fee_lp + expected.fee_protocol);
}

#[tokio::test]
async fn selling_to_open_a_short_needs_initial_margin_from_the_margin_account() {
    let Trading { mut env, board, trader, .. } = setup().await;
    let expected = client_fill(&mut env, &board, 1, PUT, Side::Sell, 3 * CONTRACT).await;
    let before = env.balance(&trader.quote).await;
    {
        let i = ix::sell(&env, &board, &trader, 1, PUT, 3 * CONTRACT, 0);
        send_ok(&mut env, i, &trader).await;
    }
    // The premium after fees arrives in the wallet; nothing is locked from it: the margin
    // account's 20k backs the short.
    let received = expected.premium - expected.fee_lp - expected.fee_protocol;
    assert_eq!(env.balance(&trader.quote).await - before, received);
    let m = env.market_state().await;
    assert_eq!(m.trader_collateral, 20_000 * USDC);
    assert_eq!(m.locked_quote, 0, "the vault is long: it locks nothing");
    let p = env.position_state(&ix::position_pda(&board, &trader.pubkey())).await;
    assert_eq!(p.sizes[1][PUT as usize], -3 * CONTRACT as i64);
    // A short far beyond what 20k of collateral supports is refused by name.
    let i = ix::sell(&env, &board, &trader, 2, PUT, 900 * CONTRACT, 0);
    let key = trader.key.insecure_clone();
    let margin = ix::margin_pda(&env.market, &trader.pubkey());
    env.expect_refusal(
        &[i],
        &[&key],
        program_error(E::BelowInitialMargin),
        &[trader.quote, margin],
    )
    .await;
    // Buying the short back needs no margin check.
    {
        let i = ix::buy(&env, &board, &trader, 1, PUT, 3 * CONTRACT, u64::MAX);
        send_ok(&mut env, i, &trader).await;
    }
    assert_eq!(
        env.balance(&env.quote_vault.clone()).await,
        env.market_state().await.quote_books().unwrap()
    );
}

#[tokio::test]
async fn one_trade_of_ten_costs_the_same_as_ten_trades_of_one_to_rounding() {
    let Trading { mut env, board, trader, .. } = setup().await;
    let Trading { env: mut env2, board: board2, trader: trader2, .. } = setup().await;
    let start = env.balance(&trader.quote).await;
    {
        let i = ix::buy(&env, &board, &trader, 3, CALL, 10 * CONTRACT, u64::MAX);
        send_ok(&mut env, i, &trader).await;
    }
    let one_shot = start - env.balance(&trader.quote).await;
    let start2 = env2.balance(&trader2.quote).await;
    for _ in 0..10 {
        {
            let i = ix::buy(&env2, &board2, &trader2, 3, CALL, CONTRACT, u64::MAX);
            send_ok(&mut env2, i, &trader2).await;
        }
    }
    let split = start2 - env2.balance(&trader2.quote).await;
    // Each of the ten fills rounds its premium and fees up by less than one unit each.
    assert!(split >= one_shot && split - one_shot <= 20, "one shot {one_shot}, split {split}");
    let (m1, m2) = (env.market_state().await, env2.market_state().await);
    assert_eq!(m1.net_vega, m2.net_vega);
}

#[tokio::test]
async fn adding_to_the_vaults_risk_costs_more_than_reducing_it() {
    let Trading { mut env, board, trader, .. } = setup().await;
    let flat_buy = client_fill(&mut env, &board, 2, PUT, Side::Buy, CONTRACT).await;
    let flat_sell = client_fill(&mut env, &board, 2, PUT, Side::Sell, CONTRACT).await;
    // The vault sells 20 puts: now short vega and gamma.
    {
        let i = ix::buy(&env, &board, &trader, 2, PUT, 20 * CONTRACT, u64::MAX);
        send_ok(&mut env, i, &trader).await;
    }
    let more_buy = client_fill(&mut env, &board, 2, PUT, Side::Buy, CONTRACT).await;
    let more_sell = client_fill(&mut env, &board, 2, PUT, Side::Sell, CONTRACT).await;
    assert!(more_buy.premium > flat_buy.premium, "buying into a short vault costs more");
    assert!(
        more_sell.premium > flat_sell.premium,
        "selling to a short vault (counter-flow) earns more"
    );
    assert!(more_buy.quote.inventory_charge > flat_buy.quote.inventory_charge);
    // The same holds for calls: the skew acts through the vault's aggregate vega and gamma.
    let call_buy = client_fill(&mut env, &board, 2, CALL, Side::Buy, CONTRACT).await;
    {
        let i = ix::sell(&env, &board, &trader, 2, PUT, 20 * CONTRACT, 0);
        send_ok(&mut env, i, &trader).await;
    }
    let call_buy_flat = client_fill(&mut env, &board, 2, CALL, Side::Buy, CONTRACT).await;
    assert!(call_buy.premium > call_buy_flat.premium);
}

#[tokio::test]
async fn a_trade_touches_one_board_whatever_the_number_of_boards_and_strikes() {
    let mut env = Env::new().await;
    let lp = env.lp(1_000_000 * USDC).await;
    let ix = ix::deposit(&env, &lp, JUNIOR, 500_000 * USDC, 0);
    env.send(&[ix], &[&lp.key]).await.unwrap();
    let authority = env.authority.insecure_clone();
    let full: Vec<(u64, u64)> = (0..MAX_STRIKES as u64).map(|i| (110 + 10 * i, 80)).collect();
    let mut boards = Vec::new();
    for week in 1..=4 {
        let expiry = T0 + week * 7 * DAY;
        env.send(&[ix::create_board(&env, expiry, &full)], &[&authority]).await.unwrap();
        let board = ix::board_pda(&env.market, expiry);
        env.send(&[ix::refresh_board(&env, &board)], &[]).await.unwrap();
        boards.push(board);
    }
    let last = *boards.last().unwrap();
    let trader = Trading::trader_on(&mut env, &last).await;
    let trade =
        ix::buy(&env, &last, &trader, (MAX_STRIKES - 1) as u8, CALL, CONTRACT / 10, u64::MAX);
    // Fixed accounts: trader, market, board, position, margin account, mint, vault, trader
    // account, oracle, token program. Nothing from the other boards.
    assert_eq!(trade.accounts.len(), 10);
    assert!(boards[..3].iter().all(|b| trade.accounts.iter().all(|a| a.pubkey != *b)));
    env.send(&[trade], &[&trader.key]).await.unwrap();
    // Too many strikes is refused by name.
    let too_many: Vec<(u64, u64)> = (0..=MAX_STRIKES as u64).map(|i| (110 + 10 * i, 80)).collect();
    let ix = ix::create_board(&env, T0 + 60 * DAY, &too_many);
    env.expect_refusal(&[ix], &[&authority], program_error(E::InvalidStrikeCount), &[]).await;
}

// -- refusals: named error, nothing changed

async fn refuse(s: &mut Trading, ix: solana_sdk::instruction::Instruction, e: E) {
    let position = ix::position_pda(&s.board, &s.trader.pubkey());
    let watched = [s.trader.quote, s.board, position];
    let key = s.trader.key.insecure_clone();
    s.env.expect_refusal(&[ix], &[&key], program_error(e), &watched).await;
}

#[tokio::test]
async fn trade_failure_stale_cache_by_age_or_spot_move() {
    let mut s = setup().await;
    // 121 s after the refresh with a fresh oracle: the cache is too old.
    s.env.set_time(T0 + 121).await;
    s.env.set_price(START_PRICE, START_CONF, T0 + 121);
    let ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, CONTRACT, u64::MAX);
    refuse(&mut s, ix, E::StaleGreekCache).await;
    // Refreshed, then spot moves 1.01%: stale again.
    s.env.send(&[ix::refresh_board(&s.env, &s.board)], &[]).await.unwrap();
    s.env.set_price(START_PRICE + START_PRICE / 99, START_CONF, T0 + 121);
    let ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, CONTRACT, u64::MAX);
    refuse(&mut s, ix, E::StaleGreekCache).await;
}

#[tokio::test]
async fn trade_failure_invalid_oracle() {
    let mut s = setup().await;
    s.env.set_price(START_PRICE, START_PRICE as u64 / 50, T0);
    let ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, CONTRACT, u64::MAX);
    refuse(&mut s, ix, E::OracleConfidenceTooWide).await;
}

#[tokio::test]
async fn trade_failure_delta_outside_the_band() {
    let mut s = setup().await;
    // A 180 call 14 days out at spot 150 with a 2% band floor: fine; make the floor 30%.
    s.env.edit_market(|m| m.params.trading.min_abs_delta_bps = 2_500).await;
    let ix = ix::buy(&s.env, &s.board, &s.trader, 4, CALL, CONTRACT, u64::MAX);
    refuse(&mut s, ix, E::DeltaOutOfBand).await;
}

#[tokio::test]
async fn trade_failure_inside_the_cutoff_before_expiry() {
    let mut s = setup().await;
    let near = EXPIRY - 3_599;
    s.env.set_time(near).await;
    s.env.set_price(START_PRICE, START_CONF, near);
    let ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, CONTRACT, u64::MAX);
    refuse(&mut s, ix, E::TradingCutoff).await;
}

#[tokio::test]
async fn trade_failure_bad_sizes_kinds_and_strikes() {
    let mut s = setup().await;
    let ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, 0, u64::MAX);
    refuse(&mut s, ix, E::ZeroAmount).await;
    let ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, 1_000 * CONTRACT + 1, u64::MAX);
    refuse(&mut s, ix, E::TradeTooLarge).await;
    // An unknown kind (the enum's byte, after the discriminator and the strike index): refused
    // as undecodable, nothing changed.
    let mut ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, CONTRACT, u64::MAX);
    ix.data[9] = 2;
    let position = ix::position_pda(&s.board, &s.trader.pubkey());
    let watched = [s.trader.quote, s.board, position];
    let key = s.trader.key.insecure_clone();
    let undecodable = anchor_error(anchor_lang::error::ErrorCode::InstructionDidNotDeserialize);
    s.env.expect_refusal(&[ix], &[&key], undecodable, &watched).await;
    let ix = ix::buy(&s.env, &s.board, &s.trader, 5, CALL, CONTRACT, u64::MAX);
    refuse(&mut s, ix, E::InvalidStrike).await;
}

#[tokio::test]
async fn trade_failure_paused_or_slippage_bound_missed() {
    let mut s = setup().await;
    let quote = client_fill(&mut s.env, &s.board, 2, CALL, Side::Buy, CONTRACT).await;
    let cost = quote.premium + quote.fee_lp + quote.fee_protocol;
    let ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, CONTRACT, cost - 1);
    refuse(&mut s, ix, E::SlippageExceeded).await;
    let ix = ix::sell(&s.env, &s.board, &s.trader, 2, CALL, CONTRACT, u64::MAX);
    refuse(&mut s, ix, E::SlippageExceeded).await;
    let guardian = s.env.guardian.insecure_clone();
    s.env
        .send(&[ix::set_pause(&s.env, &guardian.pubkey(), PAUSE_TRADING)], &[&guardian])
        .await
        .unwrap();
    let ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, CONTRACT, u64::MAX);
    refuse(&mut s, ix, E::TradingPaused).await;
}

#[tokio::test]
async fn trade_failure_utilisation_cap() {
    let mut s = setup().await;
    // Cap at 10% of the 700k pool: 70k lockable. 400 capped calls (cap 2 x 150: 150 each)
    // lock 60k: allowed.
    s.env.edit_market(|m| m.params.max_utilisation_bps = 1_000).await;
    let ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, 400 * CONTRACT, u64::MAX);
    s.env.send(&[ix], &[&s.trader.key.insecure_clone()]).await.unwrap();
    s.env.send(&[ix::refresh_board(&s.env, &s.board)], &[]).await.unwrap();
    // 80 more lock 12k: 72k > 70.x k.
    let ix = ix::buy(&s.env, &s.board, &s.trader, 2, CALL, 80 * CONTRACT, u64::MAX);
    refuse(&mut s, ix, E::UtilisationCap).await;
}

#[tokio::test]
async fn trade_failure_someone_elses_position() {
    let mut s = setup().await;
    let thief = s.env.lp(10_000 * USDC).await;
    let i = ix::open_margin_account(&s.env, &thief.pubkey());
    s.env.send(&[i], &[&thief.key]).await.unwrap();
    let mut a = ix::trade_accounts(&s.env, &s.board, &thief);
    a.position = ix::position_pda(&s.board, &s.trader.pubkey());
    let ix = ix::buy_with(a, 2, CALL, CONTRACT, u64::MAX);
    let watched = [thief.quote, s.board, ix::position_pda(&s.board, &s.trader.pubkey())];
    s.env.expect_refusal(&[ix], &[&thief.key], program_error(E::WrongPosition), &watched).await;
}

#[tokio::test]
async fn refresh_failure_after_expiry_and_create_failure_too_soon() {
    let mut s = setup().await;
    s.env.set_time(EXPIRY).await;
    s.env.set_price(START_PRICE, START_CONF, EXPIRY);
    let ix = ix::refresh_board(&s.env, &s.board);
    s.env.expect_refusal(&[ix], &[], program_error(E::BoardExpired), &[s.board]).await;
    let authority = s.env.authority.insecure_clone();
    let ix = ix::create_board(&s.env, EXPIRY + 3_600, &STRIKES);
    s.env.expect_refusal(&[ix], &[&authority], program_error(E::BoardExpiryTooSoon), &[]).await;
    let ix = ix::create_board(&s.env, EXPIRY + 30 * DAY, &[(150, 80), (140, 80)]);
    s.env.expect_refusal(&[ix], &[&authority], program_error(E::StrikesNotIncreasing), &[]).await;
    let _ = Fx::ZERO;
}

#[tokio::test]
async fn lp_nav_marks_the_vaults_options_at_the_cached_marks() {
    let Trading { mut env, board, trader, lp } = setup().await;
    let i = ix::buy(&env, &board, &trader, 2, CALL, 10 * CONTRACT, u64::MAX);
    env.send(&[i], &[&trader.key]).await.unwrap();
    let m = env.market_state().await;
    let b = env.board_state(&board).await;
    // The vault is short 10 capped ATM calls worth their mark.
    let mark = b.strikes[2].mark[CALL as usize].get();
    assert!(m.options_value.get() < 0);
    assert!(
        (m.options_value.get() + mark * 10).abs() < Fx::from_num(0.5),
        "fresh mark vs cached mark"
    );
    let nav = m.nav(Fx::from_num(150)).unwrap();
    assert!(nav < m.lp_quote as i128, "NAV subtracts what the vault owes on its options");
    // A junior LP withdrawing half gets exactly its waterfall share of that NAV, less the
    // inventory potential the pool owes back (the charge the buy paid, rounded up).
    let qp = options_amm::math::fill::quote_params(&m.params.trading);
    let phi = options_amm_pricing::potential(&m.inventory(), Fx::from_num(150), &qp).unwrap();
    let phi = options_amm::math::value::quote_raw(phi, 6, options_amm::math::value::Rounding::Up)
        .unwrap() as i128;
    assert!(phi > 0);
    let values = options_amm::math::tranche::split(nav - phi, m.tranches[0].claim);
    let supply = env.supply(&env.share_mints[1].clone()).await;
    let expected =
        options_amm::math::tranche::amount_for_shares(supply / 2, values.junior, supply).unwrap();
    assert!(expected < (m.lp_quote - m.tranches[0].claim) / 2);
    let before = env.balance(&lp.quote).await;
    let w = ix::withdraw(&env, &lp, JUNIOR, supply / 2, expected);
    env.send(&[w], &[&lp.key]).await.unwrap();
    assert_eq!(env.balance(&lp.quote).await - before, expected);
}

#[tokio::test]
async fn lp_flows_need_every_active_board_fresh_and_passed_once() {
    let Trading { mut env, board, lp, .. } = setup().await;
    let w = lp.accounts();
    // Missing the board.
    let mut i = ix::withdraw(&env, &lp, JUNIOR, 1_000, 0);
    i.accounts.pop();
    env.expect_refusal(&[i], &[&lp.key], program_error(E::BoardsMissing), &w).await;
    // The same board twice (in place of another one) is refused too.
    let mut i = ix::deposit(&env, &lp, JUNIOR, USDC, 0);
    let dup = i.accounts.last().unwrap().clone();
    i.accounts.push(dup);
    env.expect_refusal(&[i], &[&lp.key], program_error(E::BoardsMissing), &w).await;
    // A stale board: 121 s after its refresh.
    env.set_time(T0 + 121).await;
    env.set_price(START_PRICE, START_CONF, T0 + 121);
    let i = ix::deposit(&env, &lp, JUNIOR, USDC, 0);
    env.expect_refusal(&[i], &[&lp.key], program_error(E::StaleGreekCache), &w).await;
    env.send(&[ix::refresh_board(&env, &board)], &[]).await.unwrap();
    let i = ix::deposit(&env, &lp, JUNIOR, USDC, 0);
    env.send(&[i], &[&lp.key]).await.unwrap();
}

#[tokio::test]
async fn create_board_failure_beyond_the_maximum_active_boards() {
    let mut env = Env::new().await;
    let authority = env.authority.insecure_clone();
    for week in 1..=options_amm::state::MAX_ACTIVE_BOARDS as i64 {
        let i = ix::create_board(&env, T0 + week * 7 * DAY, &STRIKES);
        env.send(&[i], &[&authority]).await.unwrap();
    }
    assert_eq!(env.market_state().await.active_boards, options_amm::state::MAX_ACTIVE_BOARDS);
    let i = ix::create_board(&env, T0 + 100 * 7 * DAY, &STRIKES);
    env.expect_refusal(&[i], &[&authority], program_error(E::TooManyBoards), &[]).await;
}
