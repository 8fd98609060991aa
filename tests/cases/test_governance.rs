use anchor_lang::error::ErrorCode;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::spl_token::state as spl;
use anchor_spl::token_2022::spl_token_2022;
use options_amm::error::OptionsAmmError as E;
use options_amm::state::{
    ORACLE_PYTH_PULL, PAUSE_ALL, PAUSE_DEPOSITS, PAUSE_TRADING, PAUSE_WITHDRAWALS,
};
use options_amm::RiskParams;
use options_amm_tests::{anchor_error, ix, program_error, pyth, Env, EnvOptions};
use solana_sdk::signature::{Keypair, Signer};

/// A bare env with its config created, ready for `initialize_market`.
async fn with_config(opts: EnvOptions) -> Env {
    let mut env = Env::bare(opts).await;
    let authority = env.authority.insecure_clone();
    let ix = ix::initialize_config(&env, &authority.pubkey(), &env.guardian.pubkey());
    env.send(&[ix], &[&authority]).await.unwrap();
    env
}

#[tokio::test]
async fn initialize_market_success_creates_pda_owned_vaults_and_share_mints() {
    let mut env = Env::new().await;
    let m = env.market_state().await;
    assert_eq!(m.quote_mint, env.quote_mint);
    assert_eq!(m.underlying_mint, env.underlying_mint);
    assert_eq!(m.quote_vault, env.quote_vault);
    assert_eq!(m.oracle, env.oracle);
    assert_eq!(m.tranches[0].share_mint, env.share_mints[0]);
    assert_eq!(m.tranches[1].share_mint, env.share_mints[1]);
    assert_eq!((m.quote_decimals, m.underlying_decimals), (6, 9));
    assert_eq!(m.params, RiskParams::reference());
    assert_eq!(m.paused, 0);
    assert_eq!(m.last_accrual_ts, options_amm_tests::T0);
    let c = env.config_state().await;
    assert_eq!((c.authority, c.guardian), (env.authority.pubkey(), env.guardian.pubkey()));
    // Vaults are owned by the market PDA; share mints' authority is the market PDA.
    for vault in [env.quote_vault, env.underlying_vault] {
        let acc = env.account(&vault).await.unwrap();
        assert_eq!(spl::Account::unpack(&acc.data).unwrap().owner, env.market);
    }
    for mint in env.share_mints {
        let acc = env.account(&mint).await.unwrap();
        let mint = spl::Mint::unpack(&acc.data).unwrap();
        assert_eq!(
            mint.mint_authority,
            anchor_lang::solana_program::program_option::COption::Some(env.market)
        );
        assert_eq!(mint.decimals, 9, "share decimals are the quote's plus 3");
    }
}

#[tokio::test]
async fn initialize_market_success_with_token_2022_quote_and_pull_oracle() {
    let opts = EnvOptions {
        quote_program: spl_token_2022::ID,
        quote_decimals: 2,
        underlying_decimals: 0,
        oracle_kind: ORACLE_PYTH_PULL,
        ..EnvOptions::default()
    };
    let mut env = Env::with(opts).await;
    let m = env.market_state().await;
    assert_eq!(m.quote_token_program, spl_token_2022::ID);
    assert_eq!(m.oracle_kind().unwrap(), ORACLE_PYTH_PULL);
    assert_eq!(m.oracle_feed_id, env.feed_id);
    let vault = env.account(&env.quote_vault.clone()).await.unwrap();
    assert_eq!(vault.owner, spl_token_2022::ID);
}

#[tokio::test]
async fn initialize_market_failure_non_authority_signer() {
    let mut env = with_config(EnvOptions::default()).await;
    let stranger = Keypair::new();
    let ix = ix::initialize_market_with(
        &env,
        stranger.pubkey(),
        RiskParams::reference(),
        options_amm::OracleKind::PythLegacy,
    );
    let watched = [env.oracle];
    env.expect_refusal(&[ix], &[&stranger], program_error(E::NotAuthority), &watched).await;
}

#[tokio::test]
async fn initialize_market_failure_params_outside_hard_bounds() {
    let mut env = with_config(EnvOptions::default()).await;
    let authority = env.authority.insecure_clone();
    let mut params = RiskParams::reference();
    params.max_utilisation_bps = 9_999;
    let ix = ix::initialize_market_with(
        &env,
        authority.pubkey(),
        params,
        options_amm::OracleKind::PythLegacy,
    );
    env.expect_refusal(&[ix], &[&authority], program_error(E::ParamOutOfBounds), &[]).await;
}

#[tokio::test]
async fn initialize_market_failure_oracle_not_owned_by_pyth() {
    let mut env = with_config(EnvOptions::default()).await;
    let authority = env.authority.insecure_clone();
    let data = pyth::legacy_price_account(&pyth::Quote::default());
    env.put_account(env.oracle, anchor_lang::system_program::ID, data);
    let ix = ix::initialize_market_with(
        &env,
        authority.pubkey(),
        RiskParams::reference(),
        options_amm::OracleKind::PythLegacy,
    );
    env.expect_refusal(&[ix], &[&authority], program_error(E::OracleWrongOwner), &[]).await;
}

#[tokio::test]
async fn initialize_market_failure_oracle_of_the_other_kind() {
    let mut env = with_config(EnvOptions::default()).await;
    let authority = env.authority.insecure_clone();
    // A legacy account declared as a pull oracle: wrong owner for that kind.
    let ix = ix::initialize_market_with(
        &env,
        authority.pubkey(),
        RiskParams::reference(),
        ORACLE_PYTH_PULL,
    );
    env.expect_refusal(&[ix], &[&authority], program_error(E::OracleWrongOwner), &[]).await;
    // Garbage owned by the Pyth program: not a price account.
    env.put_account(env.oracle, pyth::ORACLE_PROGRAM, vec![1; 3312]);
    let ix = ix::initialize_market_with(
        &env,
        authority.pubkey(),
        RiskParams::reference(),
        options_amm::OracleKind::PythLegacy,
    );
    env.expect_refusal(&[ix], &[&authority], program_error(E::OracleInvalidData), &[]).await;
    // An unknown kind (the enum's byte, just after the discriminator): refused as undecodable.
    let mut ix = ix::initialize_market_with(
        &env,
        authority.pubkey(),
        RiskParams::reference(),
        options_amm::OracleKind::PythLegacy,
    );
    ix.data[8] = 9;
    let undecodable = anchor_error(anchor_lang::error::ErrorCode::InstructionDidNotDeserialize);
    env.expect_refusal(&[ix], &[&authority], undecodable, &[]).await;
}

#[tokio::test]
async fn initialize_market_failure_same_mint_for_underlying_and_quote() {
    let mut env = with_config(EnvOptions::default()).await;
    let authority = env.authority.insecure_clone();
    env.underlying_mint = env.quote_mint;
    env.market = options_amm_tests::market_pda(&env.config, &env.quote_mint, &env.quote_mint);
    env.underlying_vault = options_amm_tests::underlying_vault_pda(&env.market);
    env.quote_vault = options_amm_tests::quote_vault_pda(&env.market);
    env.share_mints = [
        options_amm_tests::shares_pda(&env.market, options_amm::Tranche::Senior),
        options_amm_tests::shares_pda(&env.market, options_amm::Tranche::Junior),
    ];
    let ix = ix::initialize_market_with(
        &env,
        authority.pubkey(),
        RiskParams::reference(),
        options_amm::OracleKind::PythLegacy,
    );
    env.expect_refusal(&[ix], &[&authority], program_error(E::SameMint), &[]).await;
}

#[tokio::test]
async fn initialize_market_failure_mint_with_too_many_decimals() {
    let opts = EnvOptions { underlying_decimals: 13, ..EnvOptions::default() };
    let mut env = with_config(opts).await;
    let authority = env.authority.insecure_clone();
    let ix = ix::initialize_market_with(
        &env,
        authority.pubkey(),
        RiskParams::reference(),
        options_amm::OracleKind::PythLegacy,
    );
    env.expect_refusal(&[ix], &[&authority], program_error(E::MintDecimalsTooLarge), &[]).await;
}

#[tokio::test]
async fn initialize_market_failure_missing_authority_signature() {
    let mut env = with_config(EnvOptions::default()).await;
    let mut ix = ix::initialize_market(&env, RiskParams::reference());
    ix.accounts[1].is_signer = false;
    env.expect_refusal(&[ix], &[], anchor_error(ErrorCode::AccountNotSigner), &[]).await;
}

#[tokio::test]
async fn initialize_market_failure_twice_for_the_same_pair() {
    let mut env = Env::new().await;
    let authority = env.authority.insecure_clone();
    let ix = ix::initialize_market(&env, RiskParams::reference());
    let market = env.market;
    let before = env.account(&market).await;
    let err = env.send(&[ix], &[&authority]).await.unwrap_err();
    // The market PDA already exists: Anchor's `init` asks the system program to allocate it
    // again, which refuses (its log: "invalid instruction data"), and the market is untouched.
    assert_eq!(
        err,
        solana_sdk::transaction::TransactionError::InstructionError(
            1,
            solana_sdk::instruction::InstructionError::InvalidInstructionData
        )
    );
    assert_eq!(env.account(&market).await, before);
}

#[tokio::test]
async fn set_pause_success_guardian_pauses_and_authority_unpauses() {
    let mut env = Env::new().await;
    let (guardian, authority) = (env.guardian.insecure_clone(), env.authority.insecure_clone());
    env.send(&[ix::set_pause(&env, &guardian.pubkey(), PAUSE_DEPOSITS)], &[&guardian])
        .await
        .unwrap();
    assert_eq!(env.market_state().await.paused, PAUSE_DEPOSITS);
    env.send(&[ix::set_pause(&env, &guardian.pubkey(), PAUSE_ALL)], &[&guardian]).await.unwrap();
    assert_eq!(env.market_state().await.paused, PAUSE_ALL);
    env.send(&[ix::set_pause(&env, &authority.pubkey(), PAUSE_TRADING)], &[&authority])
        .await
        .unwrap();
    assert_eq!(env.market_state().await.paused, PAUSE_TRADING);
    env.send(&[ix::set_pause(&env, &authority.pubkey(), 0)], &[&authority]).await.unwrap();
    assert_eq!(env.market_state().await.paused, 0);
}

#[tokio::test]
async fn set_pause_failure_guardian_cannot_unpause() {
    let mut env = Env::new().await;
    let guardian = env.guardian.insecure_clone();
    env.send(&[ix::set_pause(&env, &guardian.pubkey(), PAUSE_ALL)], &[&guardian]).await.unwrap();
    let ix = ix::set_pause(&env, &guardian.pubkey(), PAUSE_WITHDRAWALS);
    env.expect_refusal(&[ix], &[&guardian], program_error(E::GuardianCannotUnpause), &[]).await;
}

#[tokio::test]
async fn set_pause_failure_stranger_and_unknown_flags() {
    let mut env = Env::new().await;
    let stranger = Keypair::new();
    let ix = ix::set_pause(&env, &stranger.pubkey(), PAUSE_ALL);
    env.expect_refusal(&[ix], &[&stranger], program_error(E::NotGuardian), &[]).await;
    let authority = env.authority.insecure_clone();
    let ix = ix::set_pause(&env, &authority.pubkey(), 0b1000);
    env.expect_refusal(&[ix], &[&authority], program_error(E::InvalidPauseFlags), &[]).await;
}

#[tokio::test]
async fn set_pause_failure_market_of_another_config() {
    let mut env = Env::new().await;
    // A second config whose authority tries to pause the first config's market.
    let other = Keypair::new();
    let ix = ix::initialize_config(&env, &other.pubkey(), &other.pubkey());
    env.send(&[ix], &[&other]).await.unwrap();
    let mut ix = ix::set_pause(&env, &other.pubkey(), PAUSE_ALL);
    ix.accounts[1].pubkey = options_amm_tests::config_pda(&other.pubkey());
    env.expect_refusal(&[ix], &[&other], program_error(E::WrongConfig), &[]).await;
}
