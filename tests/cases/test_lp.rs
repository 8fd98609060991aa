use anchor_lang::error::ErrorCode;
use anchor_lang::prelude::Pubkey;
use anchor_spl::token_2022::spl_token_2022;
use options_amm::error::OptionsAmmError as E;
use options_amm::state::{JUNIOR, ORACLE_PYTH_PULL, PAUSE_DEPOSITS, PAUSE_WITHDRAWALS, SENIOR};
use options_amm_tests::{
    anchor_error, ix, program_error, pyth, Env, EnvOptions, Lp, START_CONF, START_PRICE, T0,
};
use solana_sdk::signature::Signer;

const USDC: u64 = 1_000_000; // 6 decimals
const SHARE: u64 = 1_000; // share units per quote unit at the first deposit
const YEAR: i64 = 31_536_000;

async fn deposit(env: &mut Env, lp: &Lp, tranche: options_amm::Tranche, amount: u64) {
    let ix = ix::deposit(env, lp, tranche, amount, 0);
    env.send(&[ix], &[&lp.key]).await.expect("deposit");
}

async fn withdraw(env: &mut Env, lp: &Lp, tranche: options_amm::Tranche, shares: u64) -> u64 {
    let before = env.balance(&lp.quote).await;
    let ix = ix::withdraw(env, lp, tranche, shares, 0);
    env.send(&[ix], &[&lp.key]).await.expect("withdraw");
    env.balance(&lp.quote).await - before
}

/// Moves the clock and publishes a fresh oracle price at the new time.
async fn advance(env: &mut Env, secs: i64) {
    let now = env.now + secs;
    env.set_time(now).await;
    env.set_price(START_PRICE, START_CONF, now);
}

#[tokio::test]
async fn deposit_success_mints_shares_at_nav_and_books_the_quote() {
    let mut env = Env::new().await;
    let lp = env.lp(5_000 * USDC).await;
    // First deposit: one share per quote unit; exact min_shares passes.
    let ix = ix::deposit(&env, &lp, SENIOR, 1_000 * USDC, 1_000 * USDC * SHARE);
    env.send(&[ix], &[&lp.key]).await.unwrap();
    assert_eq!(env.balance(&lp.quote).await, 4_000 * USDC);
    assert_eq!(env.balance(&env.quote_vault.clone()).await, 1_000 * USDC);
    assert_eq!(env.balance(&lp.shares[0]).await, 1_000 * USDC * SHARE);
    let m = env.market_state().await;
    assert_eq!(m.lp_quote, 1_000 * USDC);
    assert_eq!(m.tranches[0].claim, 1_000 * USDC);
    // Junior: NAV 1,000 all claimed by senior, so junior starts from zero value too.
    deposit(&mut env, &lp, JUNIOR, 500 * USDC).await;
    assert_eq!(env.balance(&lp.shares[1]).await, 500 * USDC * SHARE);
    let m = env.market_state().await;
    assert_eq!(
        (m.lp_quote, m.tranches[0].claim, m.tranches[1].claim),
        (1_500 * USDC, 1_000 * USDC, 0)
    );
}

#[tokio::test]
async fn withdraw_success_pays_nav_and_burns_shares() {
    let mut env = Env::new().await;
    let lp = env.lp(1_000 * USDC).await;
    deposit(&mut env, &lp, SENIOR, 1_000 * USDC).await;
    let got = withdraw(&mut env, &lp, SENIOR, 400 * USDC * SHARE).await;
    assert_eq!(got, 400 * USDC);
    assert_eq!(env.balance(&lp.shares[0]).await, 600 * USDC * SHARE);
    assert_eq!(env.supply(&env.share_mints[0].clone()).await, 600 * USDC * SHARE);
    let m = env.market_state().await;
    assert_eq!((m.lp_quote, m.tranches[0].claim), (600 * USDC, 600 * USDC));
    assert_eq!(env.balance(&env.quote_vault.clone()).await, 600 * USDC);
}

#[tokio::test]
async fn senior_claim_accrues_and_junior_takes_the_residual() {
    let mut env = Env::new().await;
    let senior = env.lp(1_000 * USDC).await;
    let junior = env.lp(500 * USDC).await;
    deposit(&mut env, &senior, SENIOR, 1_000 * USDC).await;
    deposit(&mut env, &junior, JUNIOR, 500 * USDC).await;
    // Half a year at the 5% target: the senior claim grows by 25 out of the junior's 500.
    advance(&mut env, YEAR / 2).await;
    let junior_out = withdraw(&mut env, &junior, JUNIOR, 500 * USDC * SHARE).await;
    // The virtual holder keeps at most one quote unit; every rounding is down.
    assert!((475 * USDC - 1..=475 * USDC).contains(&junior_out), "junior got {junior_out}");
    let senior_out = withdraw(&mut env, &senior, SENIOR, 1_000 * USDC * SHARE).await;
    assert!((1_025 * USDC - 1..=1_025 * USDC).contains(&senior_out), "senior got {senior_out}");
    let m = env.market_state().await;
    assert_eq!(m.lp_quote, 1_500 * USDC - junior_out - senior_out);
    assert_eq!(m.tranches[0].claim, 0);
}

/// Found on a real validator, whose clock moves between transactions: seniors alone accrued a
/// claim above the pool's value within seconds, and every junior deposit was then refused as a
/// shortfall. The target return is paid out of junior capital; with none, nothing accrues.
#[tokio::test]
async fn juniors_can_join_a_pool_of_seniors_alone_at_any_later_time() {
    let mut env = Env::new().await;
    let senior = env.lp(1_000 * USDC).await;
    let junior = env.lp(500 * USDC).await;
    deposit(&mut env, &senior, SENIOR, 1_000 * USDC).await;
    advance(&mut env, YEAR / 4).await;
    deposit(&mut env, &junior, JUNIOR, 500 * USDC).await;
    // A quarter at 5% with no junior capital accrued nothing: the claim is what was paid in.
    let m = env.market_state().await;
    assert_eq!(m.tranches[0].claim, 1_000 * USDC);
    // From then on the junior pays the target: half a year at 5% of 1,000 is 25.
    advance(&mut env, YEAR / 2).await;
    let junior_out = withdraw(&mut env, &junior, JUNIOR, 500 * USDC * SHARE).await;
    assert!((475 * USDC - 1..=475 * USDC).contains(&junior_out), "junior got {junior_out}");
    // The senior leaves with its claim, all of what is left.
    let senior_out = withdraw(&mut env, &senior, SENIOR, 1_000 * USDC * SHARE).await;
    assert!((1_025 * USDC - 1..=1_025 * USDC).contains(&senior_out), "senior got {senior_out}");
}

#[tokio::test]
async fn deposit_then_withdraw_never_returns_more_than_deposited() {
    let mut env = Env::new().await;
    let seed = env.lp(2_000 * USDC).await;
    deposit(&mut env, &seed, SENIOR, 1_000 * USDC).await;
    deposit(&mut env, &seed, JUNIOR, 333 * USDC).await;
    // Accrual makes a junior share worth less than one quote unit: round trips must lose, not win.
    advance(&mut env, YEAR / 3).await;
    let lp = env.lp(10_000 * USDC).await;
    for (tranche, amount) in
        [(JUNIOR, 7), (JUNIOR, 1_234_567), (SENIOR, 3), (SENIOR, 999_999_999), (JUNIOR, 1)]
    {
        let before = env.balance(&lp.quote).await;
        deposit(&mut env, &lp, tranche, amount).await;
        let shares = env.balance(&lp.shares[tranche as usize]).await;
        let ix = ix::withdraw(&env, &lp, tranche, shares, 0);
        // Shares worth less than one quote unit are refused by name (the holder keeps them).
        if let Err(e) = env.send(&[ix], &[&lp.key]).await {
            let refused = solana_sdk::instruction::InstructionError::Custom(program_error(
                E::WithdrawTooSmall,
            ));
            assert_eq!(e, solana_sdk::transaction::TransactionError::InstructionError(1, refused));
        }
        let after = env.balance(&lp.quote).await;
        assert!(
            after <= before,
            "tranche {tranche:?}: deposited {amount}, balance {before} -> {after}"
        );
    }
}

#[tokio::test]
async fn donation_to_the_vault_cannot_inflate_the_share_price() {
    let mut env = Env::new().await;
    let attacker = env.lp(10_000 * USDC).await;
    let victim = env.lp(1_000 * USDC).await;
    deposit(&mut env, &attacker, JUNIOR, 1).await;
    // The attacker donates straight to the vault token account.
    let donate = anchor_spl::token::spl_token::instruction::transfer(
        &anchor_spl::token::ID,
        &attacker.quote,
        &env.quote_vault,
        &attacker.pubkey(),
        &[],
        5_000 * USDC,
    )
    .unwrap();
    env.send(&[donate], &[&attacker.key]).await.unwrap();
    deposit(&mut env, &victim, JUNIOR, 1_000 * USDC).await;
    assert_eq!(
        env.balance(&victim.shares[1]).await,
        1_000 * USDC * SHARE,
        "victim's shares not diluted"
    );
    let out = withdraw(&mut env, &victim, JUNIOR, 1_000 * USDC * SHARE).await;
    assert_eq!(out, 1_000 * USDC);
    // The donation stays in the vault, outside the books.
    let m = env.market_state().await;
    assert_eq!(m.lp_quote, 1);
    assert_eq!(env.balance(&env.quote_vault.clone()).await, 5_000 * USDC + 1);
}

#[tokio::test]
async fn deposit_and_withdraw_success_with_token_2022_quote_and_pull_oracle() {
    let opts = EnvOptions {
        quote_program: spl_token_2022::ID,
        oracle_kind: ORACLE_PYTH_PULL,
        ..EnvOptions::default()
    };
    let mut env = Env::with(opts).await;
    let lp = env.lp(100 * USDC).await;
    deposit(&mut env, &lp, JUNIOR, 60 * USDC).await;
    assert_eq!(withdraw(&mut env, &lp, JUNIOR, 60 * USDC * SHARE).await, 60 * USDC);
    assert_eq!(env.balance(&lp.quote).await, 100 * USDC);
}

// -- refusals: each asserts its named error and that nothing changed

async fn funded() -> (Env, Lp) {
    let mut env = Env::new().await;
    let lp = env.lp(1_000 * USDC).await;
    deposit(&mut env, &lp, SENIOR, 500 * USDC).await;
    (env, lp)
}

#[tokio::test]
async fn deposit_and_withdraw_failure_zero_amount() {
    let (mut env, lp) = funded().await;
    let w = lp.accounts();
    let ix = ix::deposit(&env, &lp, SENIOR, 0, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::ZeroAmount), &w).await;
    let ix = ix::withdraw(&env, &lp, SENIOR, 0, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::ZeroAmount), &w).await;
}

#[tokio::test]
async fn deposit_and_withdraw_failure_slippage_bound_missed() {
    let (mut env, lp) = funded().await;
    let w = lp.accounts();
    let ix = ix::deposit(&env, &lp, SENIOR, 100 * USDC, 100 * USDC * SHARE + 1);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::SlippageExceeded), &w).await;
    let ix = ix::withdraw(&env, &lp, SENIOR, 100 * USDC * SHARE, 100 * USDC + 1);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::SlippageExceeded), &w).await;
}

#[tokio::test]
async fn deposit_and_withdraw_failure_paused() {
    let (mut env, lp) = funded().await;
    let w = lp.accounts();
    let guardian = env.guardian.insecure_clone();
    env.send(
        &[ix::set_pause(&env, &guardian.pubkey(), PAUSE_DEPOSITS | PAUSE_WITHDRAWALS)],
        &[&guardian],
    )
    .await
    .unwrap();
    let ix = ix::deposit(&env, &lp, SENIOR, USDC, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::DepositsPaused), &w).await;
    let ix = ix::withdraw(&env, &lp, SENIOR, USDC, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::WithdrawalsPaused), &w).await;
}

#[tokio::test]
async fn deposit_failure_wrong_mint_and_wrong_vault() {
    let (mut env, lp) = funded().await;
    let underlying = env.underlying_mint;
    let foreign = env.token_account(&underlying, &lp.pubkey()).await;
    env.mint_to(&underlying, &foreign, 1_000_000_000).await;
    let mut w = lp.accounts();
    w.push(foreign);
    // Paying with a token account of the underlying mint.
    let mut a = ix::deposit_accounts(&env, &lp, SENIOR);
    a.owner_quote = foreign;
    env.expect_refusal(
        &[ix::deposit_with(&env, a, SENIOR, USDC, 0)],
        &[&lp.key],
        program_error(E::WrongMint),
        &w,
    )
    .await;
    // Naming the underlying mint as the quote mint.
    let mut a = ix::deposit_accounts(&env, &lp, SENIOR);
    a.quote_mint = underlying;
    env.expect_refusal(
        &[ix::deposit_with(&env, a, SENIOR, USDC, 0)],
        &[&lp.key],
        program_error(E::WrongMint),
        &w,
    )
    .await;
    // Paying into the underlying vault, or into the LP's own account.
    let mut a = ix::deposit_accounts(&env, &lp, SENIOR);
    a.quote_vault = env.underlying_vault;
    env.expect_refusal(
        &[ix::deposit_with(&env, a, SENIOR, USDC, 0)],
        &[&lp.key],
        program_error(E::WrongVault),
        &w,
    )
    .await;
    // Paying into the LP's own account: the same writable account twice is refused first.
    let mut a = ix::deposit_accounts(&env, &lp, SENIOR);
    a.quote_vault = lp.quote;
    let dup = anchor_error(ErrorCode::ConstraintDuplicateMutableAccount);
    env.expect_refusal(&[ix::deposit_with(&env, a, SENIOR, USDC, 0)], &[&lp.key], dup, &w).await;
}

#[tokio::test]
async fn deposit_and_withdraw_failure_foreign_tranche() {
    let (mut env, lp) = funded().await;
    let w = lp.accounts();
    // Each swap refused ForeignTranche: the junior share mint for the senior tranche (deposit
    // and withdrawal); the right mint with the other tranche's share account; and the junior
    // mint the senior target's floor is reckoned on swapped for the senior mint (whose supply
    // would set another floor), in both flows.
    let (mut d1, mut d2, mut d3) = (
        ix::deposit_accounts(&env, &lp, SENIOR),
        ix::deposit_accounts(&env, &lp, SENIOR),
        ix::deposit_accounts(&env, &lp, SENIOR),
    );
    d1.share_mint = env.share_mints[1];
    d2.owner_shares = lp.shares[1];
    d3.junior_share_mint = env.share_mints[0];
    let (mut w1, mut w2) =
        (ix::withdraw_accounts(&env, &lp, SENIOR), ix::withdraw_accounts(&env, &lp, SENIOR));
    w1.share_mint = env.share_mints[1];
    w2.junior_share_mint = env.share_mints[0];
    let swapped = [
        ix::deposit_with(&env, d1, SENIOR, USDC, 0),
        ix::deposit_with(&env, d2, SENIOR, USDC, 0),
        ix::deposit_with(&env, d3, SENIOR, USDC, 0),
        ix::withdraw_with(&env, w1, SENIOR, USDC, 0),
        ix::withdraw_with(&env, w2, SENIOR, USDC, 0),
    ];
    for i in swapped {
        let code = program_error(E::ForeignTranche);
        env.expect_refusal(&[i], &[&lp.key], code, &w).await;
    }
    // No third tranche (the enum's byte, just after the discriminator): refused as undecodable.
    let mut ix = ix::deposit(&env, &lp, JUNIOR, USDC, 0);
    ix.data[8] = 2;
    let undecodable = anchor_error(anchor_lang::error::ErrorCode::InstructionDidNotDeserialize);
    env.expect_refusal(&[ix], &[&lp.key], undecodable, &w).await;
}

#[tokio::test]
async fn deposit_and_withdraw_failure_missing_signer() {
    let (mut env, lp) = funded().await;
    let w = lp.accounts();
    let mut ix = ix::deposit(&env, &lp, SENIOR, USDC, 0);
    ix.accounts[0].is_signer = false;
    env.expect_refusal(&[ix], &[], anchor_error(ErrorCode::AccountNotSigner), &w).await;
    let mut ix = ix::withdraw(&env, &lp, SENIOR, USDC, 0);
    ix.accounts[0].is_signer = false;
    env.expect_refusal(&[ix], &[], anchor_error(ErrorCode::AccountNotSigner), &w).await;
}

#[tokio::test]
async fn withdraw_failure_someone_elses_shares() {
    let (mut env, victim) = funded().await;
    let thief = env.lp(0).await;
    let mut w = victim.accounts();
    w.extend(thief.accounts());
    let mut a = ix::withdraw_accounts(&env, &thief, SENIOR);
    a.owner_shares = victim.shares[0];
    env.expect_refusal(
        &[ix::withdraw_with(&env, a, SENIOR, USDC, 0)],
        &[&thief.key],
        program_error(E::WrongTokenOwner),
        &w,
    )
    .await;
}

#[tokio::test]
async fn deposit_failure_wrong_token_program() {
    let (mut env, lp) = funded().await;
    let w = lp.accounts();
    let mut a = ix::deposit_accounts(&env, &lp, SENIOR);
    a.quote_token_program = spl_token_2022::ID;
    env.expect_refusal(
        &[ix::deposit_with(&env, a, SENIOR, USDC, 0)],
        &[&lp.key],
        program_error(E::WrongTokenProgram),
        &w,
    )
    .await;
}

#[tokio::test]
async fn deposit_failure_oracle_substituted_stale_wide_or_halted() {
    let (mut env, lp) = funded().await;
    let w = lp.accounts();
    // Another account, even a valid Pyth one, is not the market's oracle.
    let other = Pubkey::new_unique();
    env.put_account(
        other,
        pyth::ORACLE_PROGRAM,
        pyth::legacy_price_account(&pyth::Quote::default()),
    );
    let mut a = ix::deposit_accounts(&env, &lp, SENIOR);
    a.oracle = other;
    env.expect_refusal(
        &[ix::deposit_with(&env, a, SENIOR, USDC, 0)],
        &[&lp.key],
        program_error(E::WrongOracleAccount),
        &w,
    )
    .await;
    // Stale: 61 s old against a 60 s trading limit.
    env.set_time(T0 + 61).await;
    let ix = ix::deposit(&env, &lp, SENIOR, USDC, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::OracleStale), &w).await;
    // Confidence 1.01% against a 1% limit.
    env.set_price(START_PRICE, (START_PRICE as u64) / 99, T0 + 61);
    let ix = ix::deposit(&env, &lp, SENIOR, USDC, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::OracleConfidenceTooWide), &w).await;
    // Not trading.
    env.set_oracle(&pyth::Quote {
        publish_time: T0 + 61,
        trading: false,
        ..pyth::Quote::default()
    });
    let ix = ix::deposit(&env, &lp, SENIOR, USDC, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::OracleNotTrading), &w).await;
    // Ownership moved away from Pyth.
    let data = pyth::legacy_price_account(&pyth::Quote {
        publish_time: T0 + 61,
        ..pyth::Quote::default()
    });
    env.put_account(env.oracle, anchor_lang::system_program::ID, data);
    let ix = ix::deposit(&env, &lp, SENIOR, USDC, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::OracleWrongOwner), &w).await;
}

#[tokio::test]
async fn deposit_failure_pull_oracle_of_another_feed_or_partially_verified() {
    let mut env =
        Env::with(EnvOptions { oracle_kind: ORACLE_PYTH_PULL, ..EnvOptions::default() }).await;
    let lp = env.lp(100 * USDC).await;
    let w = lp.accounts();
    env.set_oracle(&pyth::Quote { other_feed: true, ..pyth::Quote::default() });
    let ix = ix::deposit(&env, &lp, SENIOR, USDC, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::OracleWrongFeed), &w).await;
    env.set_oracle(&pyth::Quote { fully_verified: false, ..pyth::Quote::default() });
    let ix = ix::deposit(&env, &lp, SENIOR, USDC, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::OracleNotFullyVerified), &w).await;
}

#[tokio::test]
async fn withdraw_failure_more_than_free_liquidity() {
    let (mut env, lp) = funded().await;
    let w = lp.accounts();
    // 400 of the pool's 500 locked for options sold: only 100 is free.
    env.edit_market(|m| m.locked_quote = 400 * USDC).await;
    let ix = ix::withdraw(&env, &lp, SENIOR, 100 * USDC * SHARE + SHARE, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::InsufficientFreeLiquidity), &w).await;
    assert_eq!(withdraw(&mut env, &lp, SENIOR, 100 * USDC * SHARE).await, 100 * USDC);
}

#[tokio::test]
async fn deposit_failure_junior_while_the_seniors_are_in_shortfall() {
    let mut env = Env::new().await;
    let lp = env.lp(2_000 * USDC).await;
    deposit(&mut env, &lp, SENIOR, 1_000 * USDC).await;
    deposit(&mut env, &lp, JUNIOR, 40 * USDC).await;
    // A loss leaves the seniors 10 short: the pool is worth 1,040 against a claim of 1,050
    // (written into the market as a loss would leave it). A junior deposit of 10 would at once
    // be worth 0 (it fills the seniors' shortfall first): refused by name.
    env.edit_market(|m| m.tranches[SENIOR as usize].claim = 1_050 * USDC).await;
    let ix = ix::deposit(&env, &lp, JUNIOR, 10 * USDC, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::SeniorShortfall), &lp.accounts()).await;
    let ix = ix::deposit(&env, &lp, JUNIOR, 500 * USDC, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::SeniorShortfall), &lp.accounts()).await;
    // Its holders cannot burn their shares for nothing: a zero payout is refused by name.
    let ix = ix::withdraw(&env, &lp, JUNIOR, 40 * USDC * SHARE, 0);
    env.expect_refusal(&[ix], &[&lp.key], program_error(E::WithdrawTooSmall), &lp.accounts()).await;
}

#[tokio::test]
async fn the_senior_target_consumes_junior_capital_down_to_a_tenth_of_its_share_price() {
    let mut env = Env::new().await;
    let lp = env.lp(2_000 * USDC).await;
    deposit(&mut env, &lp, SENIOR, 1_000 * USDC).await;
    deposit(&mut env, &lp, JUNIOR, 40 * USDC).await;
    // A year at 5% would move 50 of claim onto a pool of 1,040: the junior pays it down to a
    // tenth of its initial share price (40,000 x 1,000 shares at 10,000 a unit: 4), and the
    // claim stops there (seen at the next LP flow, a senior deposit of 1): 1,036 + 1.
    advance(&mut env, YEAR).await;
    deposit(&mut env, &lp, SENIOR, USDC).await;
    assert_eq!(env.market_state().await.tranches[SENIOR as usize].claim, 1_037 * USDC);
    advance(&mut env, YEAR).await;
    deposit(&mut env, &lp, SENIOR, USDC).await;
    let m = env.market_state().await;
    assert_eq!(m.tranches[SENIOR as usize].claim, 1_038 * USDC, "no further accrual");
    // The tranche stays open: a newcomer's 10 is not diluted by the old shares, and leaves
    // with it (less the rounding), while the old holders keep their tenth.
    let newcomer = env.lp(10 * USDC).await;
    deposit(&mut env, &newcomer, JUNIOR, 10 * USDC).await;
    let shares = env.balance(&newcomer.shares[JUNIOR as usize]).await;
    let back = withdraw(&mut env, &newcomer, JUNIOR, shares).await;
    assert!((10 * USDC - 2..=10 * USDC).contains(&back), "newcomer got {back}");
    let old = withdraw(&mut env, &lp, JUNIOR, 40 * USDC * SHARE).await;
    // The newcomer's rounding stays with the tranche: the old holders get it.
    assert!((4 * USDC - 2..=4 * USDC + 2).contains(&old), "old juniors got {old}");
    assert!(old + back <= 14 * USDC, "paid out {} of 14", old + back);
}

/// Found by an attacker's review: one raw unit deposited as junior into a pool of seniors
/// alone made a tranche of shares the senior target accrued to zero value, and every later
/// junior deposit was refused `TrancheWipedOut`, for ever, for the price of one unit. The
/// target now stops at the junior floor (a tenth of the initial share price), so the dust
/// keeps its unit and a real junior joins at the dust's price.
#[tokio::test]
async fn one_raw_unit_of_junior_dust_never_locks_juniors_out() {
    let mut env = Env::new().await;
    let senior = env.lp(1_000 * USDC).await;
    let attacker = env.lp(USDC).await;
    let junior = env.lp(500 * USDC).await;
    deposit(&mut env, &senior, SENIOR, 1_000 * USDC).await;
    deposit(&mut env, &attacker, JUNIOR, 1).await;
    // Three quarters of LP flows (a senior deposit of 1 each): before the floor, the first
    // accrued the claim past the dust and the tranche was worth nothing.
    let senior = env.lp(3 * USDC).await;
    for _ in 0..3 {
        advance(&mut env, YEAR / 4).await;
        deposit(&mut env, &senior, SENIOR, USDC).await;
    }
    deposit(&mut env, &junior, JUNIOR, 500 * USDC).await;
    let m = env.market_state().await;
    assert_eq!(m.tranches[SENIOR as usize].claim, 1_003 * USDC, "the dust paid no target");
    let shares = env.balance(&junior.shares[JUNIOR as usize]).await;
    assert_eq!(shares, 500 * USDC * SHARE, "at the dust's price, one unit for 1,000 shares");
    let back = withdraw(&mut env, &junior, JUNIOR, shares).await;
    assert!((500 * USDC - 1..=500 * USDC).contains(&back), "junior got {back}");
}

/// Found by an attacker's review of the floor: reckoned on a count of shares the program
/// minted less those it burned, shares a junior burned outside the program (an SPL `burn`)
/// kept counting, so a junior could deposit, burn the new shares, withdraw the same amount
/// with the old ones and leave a floor above the tranche's value: the senior target stopped
/// for good. The floor is reckoned on the junior mint's live supply, read in every LP flow.
#[tokio::test]
async fn shares_burned_outside_the_program_never_lift_the_junior_floor() {
    let mut env = Env::new().await;
    let senior = env.lp(1_001 * USDC).await;
    let junior = env.lp(1_100 * USDC).await;
    deposit(&mut env, &senior, SENIOR, 1_000 * USDC).await;
    deposit(&mut env, &junior, JUNIOR, 100 * USDC).await;
    let old = env.balance(&junior.shares[JUNIOR as usize]).await;
    deposit(&mut env, &junior, JUNIOR, 1_000 * USDC).await;
    let minted = env.balance(&junior.shares[JUNIOR as usize]).await - old;
    let burn = anchor_spl::token::spl_token::instruction::burn(
        &anchor_spl::token::ID,
        &junior.shares[JUNIOR as usize],
        &env.share_mints[JUNIOR as usize],
        &junior.pubkey(),
        &[],
        minted,
    )
    .unwrap();
    env.send(&[burn], &[&junior.key]).await.unwrap();
    // The 1,100 now sit on the old shares: take 1,000 back with ten elevenths of them.
    let back = withdraw(&mut env, &junior, JUNIOR, old / 11 * 10).await;
    assert!(back >= 999 * USDC, "got {back}");
    // A year on, a senior flow: the target accrues in full (5% of 1,000), out of the juniors'
    // remaining ~100, nowhere near a tenth of their share price.
    advance(&mut env, YEAR).await;
    deposit(&mut env, &senior, SENIOR, USDC).await;
    assert_eq!(env.market_state().await.tranches[SENIOR as usize].claim, 1_051 * USDC);
}

/// Found by an attacker's review: `execute_params`, which anyone may send up to a week after
/// its eta, accrued the senior claim with nothing to cap it: in a pool of seniors alone, a week
/// of target lifted the claim above the pool and refused junior deposits `SeniorShortfall`. It
/// now accrues nothing; the next LP flow accrues, capped.
#[tokio::test]
async fn a_late_parameter_change_never_lifts_the_claim_past_the_pool() {
    let mut env = Env::new().await;
    let senior = env.lp(1_000_000 * USDC).await;
    let junior = env.lp(500 * USDC).await;
    deposit(&mut env, &senior, SENIOR, 1_000_000 * USDC).await;
    let authority = env.authority.insecure_clone();
    let mut p = env.market_state().await.params;
    p.senior_target_rate_bps = 600;
    env.send(&[ix::propose_params(&env, &authority.pubkey(), p)], &[&authority]).await.unwrap();
    let m = env.market_state().await;
    // As late as allowed: the proposal's last second.
    let late = m.pending_expiry;
    env.set_time(late).await;
    env.set_price(START_PRICE, START_CONF, late);
    env.send(&[ix::execute_params(&env)], &[]).await.unwrap();
    assert_eq!(env.market_state().await.tranches[SENIOR as usize].claim, 1_000_000 * USDC);
    deposit(&mut env, &junior, JUNIOR, 500 * USDC).await;
    assert_eq!(env.market_state().await.tranches[SENIOR as usize].claim, 1_000_000 * USDC);
}

#[tokio::test]
async fn refused_calls_leave_the_vault_reconciled_with_the_books() {
    let (mut env, lp) = funded().await;
    let bad = ix::deposit(&env, &lp, SENIOR, 100 * USDC, u64::MAX);
    env.send(&[bad], &[&lp.key]).await.unwrap_err();
    let m = env.market_state().await;
    assert_eq!(env.balance(&env.quote_vault.clone()).await, m.quote_books().unwrap());
}
