//! Keepers, liquidators, griefers and governance cannot be turned against LPs or traders: each
//! item the second outside review found (issue 18), replayed as the attacker played it.

use anchor_lang::prelude::Pubkey;
use options_amm::error::OptionsAmmError as E;
use options_amm::state::{Market, RiskParams, CALL, JUNIOR, PAUSE_TRADING, PUT, SENIOR};
use options_amm_pricing::Fx;
use options_amm_tests::pyth::px;
use options_amm_tests::{
    anchor_error, ix, program_error, pyth, Env, Lp, Trading, CONTRACT, DAY, EXPIRY, START_CONF,
    START_PRICE, STRIKES, T0, USDC,
};
use solana_sdk::signature::{Keypair, Signer};

async fn move_spot(env: &mut Env, quote: i64, secs: i64) {
    let now = env.now + secs;
    env.set_time(now).await;
    env.set_price(px(quote), START_CONF, now);
    env.refresh_all().await;
}

/// A funded user with a margin account (no collateral) and a position on `board`.
async fn trading_user(env: &mut Env, board: &Pubkey, quote: u64) -> Lp {
    let x = env.lp(quote).await;
    let i = ix::open_margin_account(env, &x.pubkey());
    env.send(&[i], &[&x.key]).await.unwrap();
    env.open_position(board, &x).await;
    x
}

/// Governance moves parameters through the timelock (one proposal, executed at its eta, the
/// oracle and the boards kept fresh).
async fn govern(env: &mut Env, change: impl FnOnce(&mut RiskParams)) {
    let authority = env.authority.insecure_clone();
    let mut p = env.market_state().await.params;
    change(&mut p);
    env.send(&[ix::propose_params(env, &authority.pubkey(), p)], &[&authority]).await.unwrap();
    let eta = env.market_state().await.pending_eta;
    env.set_time(eta).await;
    env.set_price(START_PRICE, START_CONF, eta);
    env.send(&[ix::execute_params(env)], &[]).await.unwrap();
    env.refresh_all().await;
}

// -- 1. Liquidation sandwich

/// A trader short 500 at-the-money puts on 20,000 of collateral, spot fallen to 125: below
/// maintenance. A liquidator with capital to trade. The inventory charge is steep (in bounds:
/// 100 vol points per vega cap of 1,000, quadratic up to ten caps), so that a trade's price
/// visibly depends on where the liquidation leaves the vault.
async fn liquidatable() -> (Trading, Lp) {
    let mut t = Trading::new().await;
    let board = t.board;
    let victim = t.trader.same();
    t.env.sell_ok(&board, &victim, 2, PUT, 500 * CONTRACT).await;
    move_spot(&mut t.env, 125, 60).await;
    // An hour later (the re-mark's move has faded into the potential), still at 125.
    move_spot(&mut t.env, 125, 3_700).await;
    t.env
        .edit_market(|m| {
            m.params.trading.skew_vega_micro = 1_000_000;
            m.params.trading.vega_cap_micro = 1_000_000_000;
            m.params.trading.saturation_micro = 10_000_000;
            assert!(m.params.validate().is_ok());
        })
        .await;
    let liquidator = trading_user(&mut t.env, &board, 500_000 * USDC).await;
    (t, liquidator)
}

/// Item 1: a liquidator that bought the same series first made the victim pay the inventory
/// charge of its own trade, then sold back at a profit. Now the victim pays the mark and a fixed
/// spread, and the liquidation's inventory move fades into the potential: the sandwich cannot
/// beat a plain liquidation, and the victim pays the same either way.
#[tokio::test]
async fn a_liquidation_costs_the_victim_the_same_whatever_the_liquidator_trades_around_it() {
    let mut outcome = vec![];
    for sandwich in [false, true] {
        let (mut t, liq) = liquidatable().await;
        let board = t.board;
        let victim = t.trader.pubkey();
        let cash0 = t.env.cash(&liq).await;
        let collateral0 = t.env.margin_state(&victim).await.collateral;
        if sandwich {
            t.env.buy_ok(&board, &liq, 2, PUT, 300 * CONTRACT).await;
        }
        let i = ix::liquidate(&t.env, &board, &victim, &liq, 2, PUT, 100 * CONTRACT);
        t.env.send(&[i], &[&liq.key]).await.unwrap();
        if sandwich {
            t.env.sell_ok(&board, &liq, 2, PUT, 300 * CONTRACT).await;
        }
        let paid = collateral0 - t.env.margin_state(&victim).await.collateral;
        outcome.push((paid, t.env.cash(&liq).await - cash0));
    }
    let ((plain_paid, plain_gain), (sandwich_paid, sandwich_gain)) = (outcome[0], outcome[1]);
    assert_eq!(plain_paid, sandwich_paid, "the victim's cost moved with the liquidator's trades");
    assert!(plain_gain > 0, "a plain liquidation pays the liquidator");
    assert!(
        sandwich_gain < plain_gain,
        "the sandwich earned {sandwich_gain} against {plain_gain} for a plain liquidation"
    );
}

/// The class behind item 1: any inventory move no trade pays for (a liquidation, a settlement,
/// a refresh, a hedge) leaves the inventory the potential prices at unchanged at that time, so
/// no trade placed around it gains from it.
#[tokio::test]
async fn moves_no_trade_pays_for_leave_the_pricing_inventory_unchanged() {
    let (mut t, liq) = liquidatable().await;
    let board = t.board;
    let later = t.env.list_board(EXPIRY + 30 * DAY, &[(150, 80)]).await;
    let x = trading_user(&mut t.env, &later, 100_000 * USDC).await;
    t.env.buy_ok(&later, &x, 0, CALL, 200 * CONTRACT).await;
    let now = t.env.now;
    let pricing = |m: &Market| m.pricing_inventory(now).unwrap();
    // A liquidation.
    let before = pricing(&t.env.market_state().await);
    let i = ix::liquidate(&t.env, &board, &t.trader.pubkey(), &liq, 2, PUT, 100 * CONTRACT);
    t.env.send(&[i], &[&liq.key]).await.unwrap();
    let m = t.env.market_state().await;
    assert_ne!(m.inventory(), before, "the liquidation moved the vault's greeks");
    assert_eq!(pricing(&m), before, "but not the inventory trades are priced at");
    // A hedge.
    let keeper = Keypair::new();
    let (u, q) = (t.env.underlying_mint, t.env.quote_mint);
    let ku = t.env.token_account(&u, &keeper.pubkey()).await;
    let kq = t.env.token_account(&q, &keeper.pubkey()).await;
    t.env.mint_to(&u, &ku, 1_000 * CONTRACT).await;
    t.env.mint_to(&q, &kq, 100_000 * USDC).await;
    let before = pricing(&t.env.market_state().await);
    let i = ix::rebalance(&t.env, &keeper.pubkey(), &ku, &kq, 20 * CONTRACT, 0);
    t.env.send(&[i], &[&keeper]).await.unwrap();
    assert_eq!(pricing(&t.env.market_state().await), before, "a hedge");
    // A refresh later on (the clock moved: compare at the refresh's own time).
    t.env.set_time(now + 30).await;
    t.env.set_price(px(126), START_CONF, now + 30);
    let at = t.env.now;
    let before = t.env.market_state().await.pricing_inventory(at).unwrap();
    t.env.send(&[ix::refresh_board(&t.env, &later)], &[]).await.unwrap();
    let m = t.env.market_state().await;
    assert_eq!(m.pricing_inventory(at).unwrap(), before, "a refresh");
    // A settlement.
    t.env.set_time(EXPIRY + 30).await;
    let q = pyth::Quote { price: px(126), publish_time: EXPIRY + 5, ..Default::default() };
    t.env.set_oracle(&q);
    let at = t.env.now;
    let before = t.env.market_state().await.pricing_inventory(at).unwrap();
    t.env.send(&[ix::settle_board(&t.env, &board)], &[]).await.unwrap();
    let m = t.env.market_state().await;
    assert_eq!(m.pricing_inventory(at).unwrap(), before, "a settlement");
    // It fades in: after `fade_secs` the potential prices at the vault's greeks.
    let end = at + m.params.trading.fade_secs as i64;
    assert_eq!(m.pricing_inventory(end).unwrap(), m.inventory());
}

// -- 2. Utilisation griefing

/// Item 2: about 850 quote of far out-of-the-money calls locked 80% of the pool (every contract
/// sold locks its maximum payoff), after which traders were refused and LPs could not leave.
/// Now a buy that raises the locks pays for them: pinning the pool at its cap for two weeks
/// costs a tenth a year of what it locks, on top of the premiums.
#[tokio::test]
async fn pinning_the_pool_at_its_cap_costs_in_proportion_to_what_it_locks_and_for_how_long() {
    let mut t = Trading::new().await;
    let board = t.board;
    let griefer = trading_user(&mut t.env, &board, 1_000_000 * USDC).await;
    let cash0 = t.env.cash(&griefer).await;
    let mut lock_fees = 0u128;
    // Calls struck 180 (out of the money, cap 2 x 180: each locks 180) until the cap refuses.
    loop {
        let m = t.env.market_state().await;
        let i = ix::buy(&t.env, &board, &griefer, 4, CALL, 500 * CONTRACT, u64::MAX);
        if !t.env.send_or_refused(&[i], &[&griefer.key], &[E::UtilisationCap]).await {
            break;
        }
        let after = t.env.market_state().await;
        lock_fees += (after.lp_fees - m.lp_fees) as u128;
    }
    let m = t.env.market_state().await;
    let locked = m.locked_quote as f64;
    let pool = m.lp_quote as f64;
    assert!(locked / pool > 0.7, "pinned at {:.0}% of the pool", 100.0 * locked / pool);
    let paid = (cash0 - t.env.cash(&griefer).await) as f64;
    // Hand computation: the rate grows from 0 to 20% a year at the 80% cap, so locking L of a
    // pool P costs 20% / 80% x L^2 / (2 P) over the time to expiry (14 days): on average 10% a
    // year at the cap. The pool grows with the charges; allow 2% for that.
    let years = 14.0 / 365.0;
    let by_hand = 0.2 / 0.8 * locked * locked / (2.0 * pool) * years;
    assert!(lock_fees as f64 >= 0.98 * by_hand, "lock charges {lock_fees} < {by_hand:.0}");
    assert!(paid >= 0.10 * locked * years * 0.7, "pinning {locked:.0} cost only {paid:.0}");
}

// -- 3. Unpriceable listings

/// Item 3: a board beyond the engine's horizon or with a cap strike beyond its price domain
/// could never be refreshed, and it froze LP flows until it expired, with no way to delist.
#[tokio::test]
async fn an_unpriceable_listing_is_refused_and_an_empty_board_is_delisted() {
    let mut t = Trading::new().await;
    let authority = t.env.authority.insecure_clone();
    let domain = program_error(E::ListingOutsideEngineDomain);
    for (expiry, strikes) in [
        (T0 + 11 * 365 * DAY, vec![(150, 80)]),  // beyond ten years
        (EXPIRY + DAY, vec![(600_000_000, 80)]), // cap strike 1.2e9 > 1e9
        (EXPIRY + DAY, vec![(150, 1_100)]),      // 1,100% vol
    ] {
        let i = ix::create_board(&t.env, expiry, &strikes);
        t.env.expect_refusal(&[i], &[&authority], domain, &[]).await;
    }
    // An empty board, and one with a position on it.
    let empty = t.env.list_board(EXPIRY + 7 * DAY, &[(150, 80)]).await;
    let trader = t.trader.same();
    t.env.open_position(&empty, &trader).await;
    let first = t.board;
    t.env.buy_ok(&first, &trader, 2, CALL, CONTRACT).await;
    let stranger = Keypair::new();
    let i = ix::delist_board(&t.env, &stranger.pubkey(), &empty);
    t.env.expect_refusal(&[i], &[&stranger], program_error(E::NotAuthority), &[empty]).await;
    let busy = t.board;
    let i = ix::delist_board(&t.env, &authority.pubkey(), &busy);
    t.env.expect_refusal(&[i], &[&authority], program_error(E::BoardNotEmpty), &[busy]).await;
    t.env
        .send(&[ix::delist_board(&t.env, &authority.pubkey(), &empty)], &[&authority])
        .await
        .unwrap();
    t.env.boards.retain(|b| *b != empty);
    assert_eq!(t.env.market_state().await.active_boards, 1);
    // LP flows no longer pass it; nothing trades on it; the empty position on it closes.
    let lp = t.lp.same();
    t.env.send(&[ix::deposit(&t.env, &lp, SENIOR, USDC, 0)], &[&lp.key]).await.unwrap();
    let pos = ix::position_pda(&empty, &trader.pubkey());
    let i = ix::buy(&t.env, &empty, &trader, 0, CALL, CONTRACT, u64::MAX);
    t.env.expect_refusal(&[i], &[&trader.key], program_error(E::BoardNotActive), &[pos]).await;
    t.env
        .send(&[ix::close_position(&t.env, &empty, &trader.pubkey())], &[&trader.key])
        .await
        .unwrap();
    t.env.sync_positions(&trader.pubkey()).await;
}

// -- 4. Closing at full utilisation

/// Item 4: a sell that closes a long (releasing its lock) was checked against free quote before
/// the release, so once LPs took free quote to zero no holder could close.
#[tokio::test]
async fn a_holder_closes_a_long_after_lps_took_every_free_unit() {
    let mut t = Trading::new().await;
    let board = t.board;
    let trader = t.trader.same();
    t.env.buy_ok(&board, &trader, 2, CALL, 200 * CONTRACT).await;
    let lp = t.lp.same();
    // Withdraw until the pool has nothing free (the last try is refused).
    for _ in 0..30 {
        let m = t.env.market_state().await;
        if m.free_quote() == 0 {
            break;
        }
        let (_, v) = m.tranche_values(Fx::from_num(150)).unwrap();
        for tranche in [JUNIOR, SENIOR] {
            let held = t.env.balance(&lp.shares[tranche as usize]).await;
            let value = v.get(tranche).max(1) as u128;
            let shares = ((m.free_quote() as u128 * held as u128) / value).min(held as u128) as u64;
            if shares > 0 {
                let i = ix::withdraw(&t.env, &lp, tranche, shares, 0);
                let refusals = [E::InsufficientFreeLiquidity];
                if t.env.send_or_refused(&[i], &[&lp.key], &refusals).await {
                    break;
                }
            }
        }
    }
    let m = t.env.market_state().await;
    assert!(m.free_quote() < 1_000 * USDC, "free quote left: {}", m.free_quote());
    t.env.sell_ok(&board, &trader, 2, CALL, 200 * CONTRACT).await;
    assert_eq!(t.env.market_state().await.locked_quote, 0);
}

// -- 5. A bounded margin change

/// Item 5: two bounded steps of the margin vol shock on a high-vol board took the shocked vol
/// outside the engine's domain, and the account could no longer be valued (withdrawal and
/// liquidation failed with `PricingDomain`). Now the shocked vol is clamped to the domain.
#[tokio::test]
async fn two_steps_of_the_vol_shock_keep_a_high_vol_account_valuable() {
    let mut t = Trading::new().await;
    // Listings now stop at 500% (the vol feed's range): the edge of the engine once shocked.
    let wild = t.env.list_board(EXPIRY + DAY, &[(150, 500)]).await;
    let trader = t.trader.same();
    t.env.open_position(&wild, &trader).await;
    t.env.sell_ok(&wild, &trader, 0, PUT, 10 * CONTRACT).await;
    govern(&mut t.env, |p| p.margin.vol_shock_bps = 5_000).await;
    govern(&mut t.env, |p| p.margin.vol_shock_bps = 10_000).await;
    assert_eq!(t.env.market_state().await.params.margin.vol_shock_bps, 10_000);
    // 500% shocked by 100% is 1,000%, the engine's edge (clamped beyond it): still valued.
    let i = ix::withdraw_collateral(&t.env, &trader, USDC);
    t.env.send(&[i], &[&trader.key]).await.unwrap();
    let keeper = t.env.lp(0).await;
    let i = ix::liquidate(&t.env, &wild, &trader.pubkey(), &keeper, 0, PUT, CONTRACT);
    let margin = ix::margin_pda(&t.env.market, &trader.pubkey());
    t.env.expect_refusal(&[i], &[&keeper.key], program_error(E::AccountHealthy), &[margin]).await;
}

// -- 6. In-bounds parameters cannot drain LPs through the hedge

/// Item 6: fees and spreads at zero with the keeper discount kept (or the discount at its bound)
/// made buy, rebalance, sell, rebalance pay whoever ran it. Now the bounds are joint: no set
/// where the keeper's discount exceeds the spot fee of moving the same delta is accepted, and
/// the loop loses at the reference parameters.
#[tokio::test]
async fn no_in_bounds_parameter_set_lets_a_hedge_loop_pay() {
    let mut t = Trading::new().await;
    let authority = t.env.authority.insecure_clone();
    let mut p = t.env.market_state().await.params;
    p.hedge.keeper_discount_bps = p.trading.fee_spot_bps + 1;
    let i = ix::propose_params(&t.env, &authority.pubkey(), p);
    t.env.expect_refusal(&[i], &[&authority], program_error(E::ParamsInconsistent), &[]).await;
    // The loop at the reference parameters, run by one party trading and hedging.
    let board = t.board;
    let trader = t.trader.same();
    let keeper = Keypair::new();
    let (u, q) = (t.env.underlying_mint, t.env.quote_mint);
    let ku = t.env.token_account(&u, &keeper.pubkey()).await;
    let kq = t.env.token_account(&q, &keeper.pubkey()).await;
    t.env.mint_to(&u, &ku, 1_000 * CONTRACT).await;
    t.env.mint_to(&q, &kq, 100_000 * USDC).await;
    let trader0 = t.env.cash(&trader).await;
    let (q0, u0) = (t.env.balance(&kq).await as i128, t.env.balance(&ku).await as i128);
    t.env.buy_ok(&board, &trader, 2, CALL, 60 * CONTRACT).await;
    let d = t.env.market_state().await.net_delta.get();
    let amount = ((-d - Fx::from_num(1)) * Fx::from_num(CONTRACT)).to_num::<u64>();
    t.env
        .send(&[ix::rebalance(&t.env, &keeper.pubkey(), &ku, &kq, amount, 0)], &[&keeper])
        .await
        .unwrap();
    t.env.sell_ok(&board, &trader, 2, CALL, 60 * CONTRACT).await;
    let d = t.env.market_state().await.net_delta.get();
    let back = ((d - Fx::from_num(1)) * Fx::from_num(CONTRACT)).to_num::<u64>();
    let i = ix::rebalance(&t.env, &keeper.pubkey(), &ku, &kq, back, u64::MAX);
    t.env.send(&[i], &[&keeper]).await.unwrap();
    let (q1, u1) = (t.env.balance(&kq).await as i128, t.env.balance(&ku).await as i128);
    // The keeper's underlying valued at the oracle's 150 (9 and 6 decimals).
    let keeper_gain = (q1 - q0) + (u1 - u0) * 150 / 1_000;
    let trader_gain = t.env.cash(&trader).await - trader0;
    assert!(keeper_gain > 0, "the keeper earns its discount");
    assert!(trader_gain + keeper_gain < 0, "the loop paid {}", trader_gain + keeper_gain);
}

// -- 7. A senior-rate change applies from its execution only

/// Item 7: the senior claim accrued only in LP flows and `execute_params` swapped the rate
/// without accruing first, so a 500 to 700 bps change after 30 quiet days applied 700 to all 30.
/// `execute_params` keeps the old rate instead (an accrual there, with no oracle to cap it,
/// could lift the claim past the pool): the next LP flow accrues 500 up to the execution and
/// 700 after it.
#[tokio::test]
async fn a_senior_rate_change_accrues_the_old_rate_up_to_its_execution() {
    let mut env = Env::new().await;
    let lp = env.lp(2_000_000 * USDC).await;
    for (tranche, amount) in [(SENIOR, 1_000_000 * USDC), (JUNIOR, 500_000 * USDC)] {
        env.send(&[ix::deposit(&env, &lp, tranche, amount, 0)], &[&lp.key]).await.unwrap();
    }
    env.set_time(T0 + 30 * DAY).await;
    env.set_price(START_PRICE, START_CONF, T0 + 30 * DAY);
    govern(&mut env, |p| p.senior_target_rate_bps = 700).await;
    assert_eq!(env.market_state().await.tranches[0].claim, 1_000_000 * USDC, "not yet accrued");
    // Ten days on, an LP flow (a senior deposit of 1).
    let later = env.now + 10 * DAY;
    env.set_time(later).await;
    env.set_price(START_PRICE, START_CONF, later);
    env.refresh_all().await;
    env.send(&[ix::deposit(&env, &lp, SENIOR, USDC, 0)], &[&lp.key]).await.unwrap();
    // Hand computation: 1,000,000 at 5% a year for 31 days (30 quiet, 1 of timelock), then at
    // 7% for 10 days on that, simple accrual each, rounded down; plus the 1 deposited.
    let year = 10_000 * 31_536_000u128;
    let at_change = 1_000_000 * USDC as u128 * (year + 500 * 31 * 86_400) / year;
    let expected = at_change * (year + 700 * 10 * 86_400) / year + USDC as u128;
    assert_eq!(env.market_state().await.tranches[0].claim as u128, expected);
}

/// Found by an attacker's review of the fixes: a refresh re-marks at the risk-free rate fading
/// in after a change, and the LP refresh band had no rate term, so deposit, refresh, withdraw
/// took the re-mark's jump (long-dated puts the vault is short of gain value when the rate
/// rises). The band now bounds the rate's move too (|rho| <= K tau, times the rate change).
#[tokio::test]
async fn a_rate_change_fading_in_pays_no_deposit_refresh_withdraw() {
    let mut t = Trading::new().await;
    let later = t.env.list_board(T0 + 180 * DAY, &STRIKES).await;
    let buyer = trading_user(&mut t.env, &later, 100_000 * USDC).await;
    t.env.buy_ok(&later, &buyer, 2, PUT, 300 * CONTRACT).await;
    // The fade shortened to its minimum (halving steps), then the rate doubled with it.
    govern(&mut t.env, |p| p.trading.fade_secs = 1_800).await;
    govern(&mut t.env, |p| p.trading.fade_secs = 900).await;
    govern(&mut t.env, |p| {
        p.trading.fade_secs = 60;
        p.risk_free_rate_bps = 1_000;
    })
    .await;
    // Sixty seconds on, same spot: the caches (taken at 500 bps) are fresh, the rate is 1,000.
    let now = t.env.now + 60;
    t.env.set_time(now).await;
    t.env.set_price(START_PRICE, START_CONF, now);
    let whale = t.env.lp(5_000_000 * USDC).await;
    let spot = Fx::from_num(150);
    let nav_stale = t.env.market_state().await.nav(spot).unwrap();
    let before = t.env.balance(&whale.quote).await;
    let i = ix::deposit(&t.env, &whale, JUNIOR, 5_000_000 * USDC, 0);
    t.env.send(&[i], &[&whale.key]).await.unwrap();
    t.env.refresh_all().await;
    let nav_fresh = t.env.market_state().await.nav(spot).unwrap() - 5_000_000 * USDC as i128;
    assert!(
        nav_fresh - nav_stale > 300 * USDC as i128,
        "the re-mark at the new rate raised NAV by {}",
        nav_fresh - nav_stale
    );
    t.env.withdraw_all_gains_nothing(&whale, JUNIOR, before).await;
}

// -- 8. Missing powers

/// Item 8: the guardian could never be replaced, and protocol fees never collected.
#[tokio::test]
async fn the_guardian_is_replaced_after_a_timelock_and_fees_go_to_a_treasury() {
    let mut t = Trading::new().await;
    let authority = t.env.authority.insecure_clone();
    let old_guardian = t.env.guardian.insecure_clone();
    let new_guardian = Keypair::new();
    let stranger = Keypair::new();
    let config = t.env.config;
    let i = ix::propose_guardian(&t.env, &stranger.pubkey(), &new_guardian.pubkey());
    t.env.expect_refusal(&[i], &[&stranger], program_error(E::NotAuthority), &[config]).await;
    let i = ix::execute_guardian(&t.env);
    t.env.expect_refusal(&[i], &[], program_error(E::NoPendingGuardian), &[config]).await;
    let i = ix::propose_guardian(&t.env, &authority.pubkey(), &new_guardian.pubkey());
    t.env.send(&[i], &[&authority]).await.unwrap();
    let i = ix::execute_guardian(&t.env);
    t.env.expect_refusal(&[i], &[], program_error(E::TimelockNotElapsed), &[config]).await;
    t.env.set_time(T0 + 2 * DAY).await;
    t.env.send(&[ix::execute_guardian(&t.env)], &[]).await.unwrap();
    assert_eq!(t.env.config_state().await.guardian, new_guardian.pubkey());
    let i = ix::set_pause(&t.env, &old_guardian.pubkey(), PAUSE_TRADING);
    t.env.expect_refusal(&[i], &[&old_guardian], program_error(E::NotGuardian), &[]).await;
    let i = ix::set_pause(&t.env, &new_guardian.pubkey(), PAUSE_TRADING);
    t.env.send(&[i], &[&new_guardian]).await.unwrap();
    t.env.send(&[ix::set_pause(&t.env, &authority.pubkey(), 0)], &[&authority]).await.unwrap();

    // Fees: a trade accrues some; the authority collects them to a treasury.
    t.env.set_price(START_PRICE, START_CONF, t.env.now);
    t.env.refresh_all().await;
    let board = t.board;
    let trader = t.trader.same();
    t.env.buy_ok(&board, &trader, 2, CALL, 10 * CONTRACT).await;
    let fees = t.env.market_state().await.protocol_fees;
    assert!(fees > 0);
    let treasury = t.env.token_account(&t.env.quote_mint.clone(), &authority.pubkey()).await;
    let i = ix::collect_fees(&t.env, &authority.pubkey(), &treasury, fees + 1);
    t.env
        .expect_refusal(
            &[i],
            &[&authority],
            program_error(E::InsufficientProtocolFees),
            &[treasury],
        )
        .await;
    let vault = t.env.quote_vault;
    let i = ix::collect_fees(&t.env, &authority.pubkey(), &vault, fees);
    let duplicate = anchor_error(anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount);
    t.env.expect_refusal(&[i], &[&authority], duplicate, &[treasury]).await;
    let before = t.env.balance(&vault).await;
    t.env
        .send(&[ix::collect_fees(&t.env, &authority.pubkey(), &treasury, fees)], &[&authority])
        .await
        .unwrap();
    assert_eq!(t.env.balance(&treasury).await, fees);
    assert_eq!(before - t.env.balance(&vault).await, fees);
    let m = t.env.market_state().await;
    assert_eq!(m.protocol_fees, 0);
    assert_eq!(t.env.balance(&vault).await, m.quote_books().unwrap());
}

// -- 9. Suspected, verified

/// Item 9: NAV counted what expired shorts still owe at face value, so an informed LP could
/// leave before the bad debt was booked. Withdrawals now leave it out.
#[tokio::test]
async fn a_withdrawal_leaves_out_what_expired_shorts_still_owe() {
    let mut t = Trading::new().await;
    let board = t.board;
    let shorty = t.trader.same();
    t.env.sell_ok(&board, &shorty, 2, PUT, 100 * CONTRACT).await;
    t.env.settle_at(&board, EXPIRY, px(120)).await;
    let m = t.env.market_state().await;
    assert_eq!(m.settlement_receivable, 3_000 * USDC, "100 puts owe 30 each");
    // An LP leaves with a tenth of the junior shares: paid on NAV without the receivable.
    let lp = t.lp.same();
    let supply = t.env.supply(&t.env.share_mints[1].clone()).await;
    let shares = t.env.balance(&lp.shares[1]).await / 10;
    let mut accrued = m;
    let v = options_amm::book::valuation::LpValuation::new(
        &accrued,
        Fx::from_num(120),
        Fx::ZERO,
        t.env.now,
    )
    .unwrap();
    let ceiling = v.reference_nav(&accrued);
    accrued.accrue(t.env.now, ceiling, supply).unwrap();
    let claim = accrued.tranches[0].claim;
    let without = v.for_withdrawal(&accrued, claim);
    let with = options_amm::math::tranche::split(v.nav - v.phi_high as i128, claim);
    assert_eq!(with.junior - without.junior, 3_000 * USDC, "the receivable is left out");
    let expected =
        options_amm::math::tranche::amount_for_shares(shares, without.junior, supply).unwrap();
    let q0 = t.env.balance(&lp.quote).await;
    t.env.send(&[ix::withdraw(&t.env, &lp, JUNIOR, shares, 0)], &[&lp.key]).await.unwrap();
    assert_eq!(t.env.balance(&lp.quote).await - q0, expected);
}

/// A liquidation of a full account (eight positions, the most) fits a legacy transaction.
#[tokio::test]
async fn a_liquidation_of_a_full_account_fits_one_legacy_transaction() {
    let mut t = Trading::new().await;
    let trader = t.trader.same();
    for d in 1..8 {
        let b = t.env.list_board(EXPIRY + d * DAY, &STRIKES).await;
        t.env.open_position(&b, &trader).await;
    }
    let keeper = t.env.lp(0).await;
    let i = ix::liquidate(&t.env, &t.board.clone(), &trader.pubkey(), &keeper, 2, PUT, CONTRACT);
    assert_eq!(i.accounts.len(), 10 + 2 * 8);
    let bh = t.env.ctx.banks_client.get_latest_blockhash().await.unwrap();
    let tx = solana_sdk::transaction::Transaction::new_signed_with_payer(
        &[i],
        Some(&keeper.pubkey()),
        &[&keeper.key],
        bh,
    );
    let size = bincode_len(&tx);
    assert!(size <= 1_232, "{size} bytes > the 1,232-byte packet");
}

fn bincode_len(tx: &solana_sdk::transaction::Transaction) -> usize {
    // Wire size: signatures (compact-u16 length + 64 each) and the serialized message.
    let sigs = tx.signatures.len();
    1 + 64 * sigs + tx.message_data().len()
}

/// The slot's one-print rule cannot be turned against liquidations: an owner who uses the
/// current print first in a slot, then posts a newer one, blocks trades in that slot (by
/// design) but not its own liquidation.
#[tokio::test]
async fn a_print_replaced_within_the_slot_does_not_block_a_liquidation() {
    let (mut t, liq) = liquidatable().await;
    let board = t.board;
    let victim = t.trader.pubkey();
    // The owner's move: the current print used first in the slot, then a newer one posted.
    t.env.send(&[ix::refresh_board(&t.env, &board)], &[]).await.unwrap();
    let q = pyth::Quote { price: px(125), publish_time: t.env.now + 1, ..Default::default() };
    let oracle = t.env.oracle;
    t.env.put_account(oracle, pyth::ORACLE_PROGRAM, pyth::legacy_price_account(&q));
    let i = ix::buy(&t.env, &board, &liq, 2, PUT, CONTRACT, u64::MAX);
    let refused = t.env.send(&[i], &[&liq.key]).await.unwrap_err();
    assert_eq!(
        refused,
        solana_sdk::transaction::TransactionError::InstructionError(
            1,
            solana_sdk::instruction::InstructionError::Custom(program_error(
                E::OraclePriceChangedInSlot
            ))
        )
    );
    let i = ix::liquidate(&t.env, &board, &victim, &liq, 2, PUT, 100 * CONTRACT);
    t.env.send(&[i], &[&liq.key]).await.unwrap();
}
