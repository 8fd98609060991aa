use anchor_lang::prelude::Pubkey;
use options_amm::error::OptionsAmmError as E;
use options_amm::state::{CALL, PAUSE_TRADING};
use options_amm_pricing::Fx;
use options_amm_tests::{
    ix, program_error, Env, Trading, CONTRACT, START_CONF, START_PRICE, T0, USDC,
};
use solana_sdk::signature::{Keypair, Signer};

struct Keeper {
    key: Keypair,
    underlying: Pubkey,
    quote: Pubkey,
}

async fn keeper(env: &mut Env) -> Keeper {
    let key = Keypair::new();
    let (u, q) = (env.underlying_mint, env.quote_mint);
    let underlying = env.token_account(&u, &key.pubkey()).await;
    let quote = env.token_account(&q, &key.pubkey()).await;
    env.mint_to(&u, &underlying, 1_000 * CONTRACT).await;
    env.mint_to(&q, &quote, 100_000 * USDC).await;
    Keeper { key, underlying, quote }
}

/// A market whose vault sold 20 ATM calls: net delta about -10, outside the 5-unit band.
async fn short_delta() -> (Trading, Keeper) {
    let mut t = Trading::new().await;
    let buy = ix::buy(&t.env, &t.board, &t.trader, 2, CALL, 20 * CONTRACT, u64::MAX);
    t.env.send(&[buy], &[&t.trader.key]).await.unwrap();
    let k = keeper(&mut t.env).await;
    (t, k)
}

fn rebalance(
    env: &Env,
    k: &Keeper,
    amount: u64,
    limit: u64,
) -> solana_sdk::instruction::Instruction {
    ix::rebalance(env, &k.key.pubkey(), &k.underlying, &k.quote, amount, limit)
}

#[tokio::test]
async fn rebalance_brings_delta_back_inside_its_band_and_pays_the_keeper_exactly_the_discount() {
    let (mut t, k) = short_delta().await;
    let before = t.env.market_state().await;
    let delta = before.net_delta.get();
    assert!(delta < Fx::from_num(-5), "trades pushed delta out of the band: {delta}");
    let (q0, u0) = (t.env.balance(&k.quote).await, t.env.balance(&k.underlying).await);
    // Sell 4 underlying to the vault at 150 x (1 + 3 bp) = 150.045.
    t.env.send(&[rebalance(&t.env, &k, 4 * CONTRACT, 0)], &[&k.key]).await.unwrap();
    assert_eq!(t.env.balance(&k.quote).await - q0, 600_180_000, "4 x 150.045");
    assert_eq!(u0 - t.env.balance(&k.underlying).await, 4 * CONTRACT);
    let m = t.env.market_state().await;
    assert_eq!(m.net_delta.get(), delta + Fx::from_num(4));
    assert_eq!((m.lp_underlying, m.lp_quote), (4 * CONTRACT, before.lp_quote - 600_180_000));
    assert_eq!(t.env.balance(&t.env.underlying_vault.clone()).await, 4 * CONTRACT);
    // Enough to get inside the band, then nothing more to do.
    // (the rest of the way, in raw units: (|delta| - 3) x 10^9, computed in fixed point)
    let rest = -(m.net_delta.get()) - Fx::from_num(3);
    let amount = (rest * Fx::from_num(CONTRACT)).to_num::<u64>();
    t.env.send(&[rebalance(&t.env, &k, amount, 0)], &[&k.key]).await.unwrap();
    let m = t.env.market_state().await;
    assert!(m.net_delta.get().abs() <= Fx::from_num(5));
    let again = rebalance(&t.env, &k, CONTRACT, 0);
    t.env
        .expect_refusal(
            &[again],
            &[&k.key],
            program_error(E::DeltaInsideBand),
            &[k.quote, k.underlying],
        )
        .await;
    // The hedge counts in NAV at the oracle price.
    let nav = m.nav(Fx::from_num(150)).unwrap();
    assert!(nav > m.lp_quote as i128);
}

#[tokio::test]
async fn rebalance_failure_past_zero_too_large_bound_missed_or_paused() {
    let (mut t, k) = short_delta().await;
    let w = [k.quote, k.underlying];
    let ix = rebalance(&t.env, &k, 15 * CONTRACT, 0);
    t.env.expect_refusal(&[ix], &[&k.key], program_error(E::RebalancePastZero), &w).await;
    let ix = rebalance(&t.env, &k, 100 * CONTRACT + 1, 0);
    t.env.expect_refusal(&[ix], &[&k.key], program_error(E::RebalanceTooLarge), &w).await;
    let ix = rebalance(&t.env, &k, CONTRACT, 150_150_001);
    t.env.expect_refusal(&[ix], &[&k.key], program_error(E::SlippageExceeded), &w).await;
    let ix = rebalance(&t.env, &k, 0, 0);
    t.env.expect_refusal(&[ix], &[&k.key], program_error(E::ZeroAmount), &w).await;
    let guardian = t.env.guardian.insecure_clone();
    t.env
        .send(&[ix::set_pause(&t.env, &guardian.pubkey(), PAUSE_TRADING)], &[&guardian])
        .await
        .unwrap();
    let ix = rebalance(&t.env, &k, CONTRACT, 0);
    t.env.expect_refusal(&[ix], &[&k.key], program_error(E::TradingPaused), &w).await;
}

#[tokio::test]
async fn rebalance_failure_invalid_oracle_stale_cache_or_nothing_to_sell() {
    let (mut t, k) = short_delta().await;
    let w = [k.quote, k.underlying];
    // Fresh oracle, but the board's greeks are 121 s old: net delta cannot be trusted.
    t.env.set_time(T0 + 121).await;
    t.env.set_price(START_PRICE, START_CONF, T0 + 121);
    let ix = rebalance(&t.env, &k, CONTRACT, 0);
    t.env.expect_refusal(&[ix], &[&k.key], program_error(E::StaleGreekCache), &w).await;
    t.env.set_price(START_PRICE, START_CONF, T0);
    t.env.set_time(T0 + 61).await;
    let ix = rebalance(&t.env, &k, CONTRACT, 0);
    t.env.expect_refusal(&[ix], &[&k.key], program_error(E::OracleStale), &w).await;
    // A vault long delta with no underlying cannot sell any.
    let mut env = Trading::new().await;
    let sell = ix::sell(&env.env, &env.board, &env.trader, 2, CALL, 20 * CONTRACT, 0);
    env.env.send(&[sell], &[&env.trader.key]).await.unwrap();
    let k2 = keeper(&mut env.env).await;
    let ix = rebalance(&env.env, &k2, CONTRACT, u64::MAX);
    env.env
        .expect_refusal(
            &[ix],
            &[&k2.key],
            program_error(E::InsufficientHedgeInventory),
            &[k2.quote],
        )
        .await;
}

/// Natively (solana-program-test's builtin path) program logs and events are not collected, so
/// the `CircuitBreakerTripped` event is checked with the SBF build; here, the refusal by name.
#[tokio::test]
async fn circuit_breaker_refuses_a_trade_on_a_stale_cache_by_name() {
    let mut t = Trading::new().await;
    t.env.set_time(T0 + 121).await;
    t.env.set_price(START_PRICE, START_CONF, T0 + 121);
    let buy = ix::buy(&t.env, &t.board, &t.trader, 2, CALL, CONTRACT, u64::MAX);
    let key = t.trader.key.insecure_clone();
    t.env
        .expect_refusal(&[buy], &[&key], program_error(E::StaleGreekCache), &[t.trader.quote])
        .await;
}
