use options_amm::error::OptionsAmmError as E;
use options_amm::RiskParams;
use options_amm_tests::{ix, program_error, Env, START_CONF, START_PRICE, T0};
use solana_sdk::signature::{Keypair, Signer};

const DELAY: i64 = 86_400;

fn cheaper_fees() -> RiskParams {
    let mut p = RiskParams::reference();
    p.trading.fee_premium_bps = 150;
    p
}

async fn at(env: &mut Env, t: i64) {
    env.set_time(t).await;
    env.set_price(START_PRICE, START_CONF, t);
}

#[tokio::test]
async fn parameter_change_executes_after_its_delay_and_only_once() {
    let mut env = Env::new().await;
    let authority = env.authority.insecure_clone();
    let ix = ix::propose_params(&env, &authority.pubkey(), cheaper_fees());
    env.send(&[ix], &[&authority]).await.unwrap();
    let m = env.market_state().await;
    assert_eq!((m.pending_eta, m.pending_params), (T0 + DELAY, cheaper_fees()));
    // One second early: refused, nothing changes.
    at(&mut env, T0 + DELAY - 1).await;
    env.expect_refusal(&[ix::execute_params(&env)], &[], program_error(E::TimelockNotElapsed), &[])
        .await;
    at(&mut env, T0 + DELAY).await;
    env.send(&[ix::execute_params(&env)], &[]).await.unwrap();
    let m = env.market_state().await;
    assert_eq!(m.params, cheaper_fees());
    assert_eq!(m.pending_eta, 0);
    env.expect_refusal(&[ix::execute_params(&env)], &[], program_error(E::NoPendingProposal), &[])
        .await;
}

#[tokio::test]
async fn a_proposal_expires_and_a_newer_one_replaces_it() {
    let mut env = Env::new().await;
    let authority = env.authority.insecure_clone();
    env.send(&[ix::propose_params(&env, &authority.pubkey(), cheaper_fees())], &[&authority])
        .await
        .unwrap();
    let mut newer = RiskParams::reference();
    newer.trading.fee_spot_bps = 5;
    at(&mut env, T0 + 10).await;
    env.send(&[ix::propose_params(&env, &authority.pubkey(), newer)], &[&authority]).await.unwrap();
    let m = env.market_state().await;
    assert_eq!((m.pending_params, m.pending_eta), (newer, T0 + 10 + DELAY));
    // Past eta + 7 days: expired.
    at(&mut env, T0 + 10 + DELAY + 7 * 86_400 + 1).await;
    env.expect_refusal(&[ix::execute_params(&env)], &[], program_error(E::ProposalExpired), &[])
        .await;
}

#[tokio::test]
async fn the_delay_itself_changes_through_the_same_path() {
    let mut env = Env::new().await;
    let authority = env.authority.insecure_clone();
    let mut longer = RiskParams::reference();
    longer.timelock_secs = 2 * 86_400 - 40_000; // a step within the limit
    env.send(&[ix::propose_params(&env, &authority.pubkey(), longer)], &[&authority])
        .await
        .unwrap();
    at(&mut env, T0 + DELAY).await;
    env.send(&[ix::execute_params(&env)], &[]).await.unwrap();
    // The next proposal waits for the new delay.
    let mut next = longer;
    next.trading.fee_spot_bps = 4;
    env.send(&[ix::propose_params(&env, &authority.pubkey(), next)], &[&authority]).await.unwrap();
    assert_eq!(env.market_state().await.pending_eta, T0 + DELAY + longer.timelock_secs as i64);
}

#[tokio::test]
async fn propose_params_failure_out_of_bounds_too_large_a_step_or_not_the_authority() {
    let mut env = Env::new().await;
    let authority = env.authority.insecure_clone();
    let mut p = RiskParams::reference();
    p.max_utilisation_bps = 9_600;
    let ix = ix::propose_params(&env, &authority.pubkey(), p);
    env.expect_refusal(&[ix], &[&authority], program_error(E::ParamOutOfBounds), &[]).await;
    let mut p = RiskParams::reference();
    p.trading.fee_premium_bps = 400; // +300 > max(50, 200)
    let ix = ix::propose_params(&env, &authority.pubkey(), p);
    env.expect_refusal(&[ix], &[&authority], program_error(E::ParamStepTooLarge), &[]).await;
    let stranger = Keypair::new();
    let ix = ix::propose_params(&env, &stranger.pubkey(), cheaper_fees());
    env.expect_refusal(&[ix], &[&stranger], program_error(E::NotAuthority), &[]).await;
}

#[tokio::test]
async fn authority_moves_in_two_steps_and_only_to_the_proposed_key() {
    let mut env = Env::new().await;
    let (old, new, stranger) = (env.authority.insecure_clone(), Keypair::new(), Keypair::new());
    let ix = ix::propose_authority(&env, &stranger.pubkey(), &stranger.pubkey());
    env.expect_refusal(&[ix], &[&stranger], program_error(E::NotAuthority), &[]).await;
    env.send(&[ix::propose_authority(&env, &old.pubkey(), &new.pubkey())], &[&old]).await.unwrap();
    assert_eq!(env.config_state().await.authority, old.pubkey(), "nothing moves before acceptance");
    let ix = ix::accept_authority(&env, &stranger.pubkey());
    env.expect_refusal(&[ix], &[&stranger], program_error(E::NotPendingAuthority), &[]).await;
    env.send(&[ix::accept_authority(&env, &new.pubkey())], &[&new]).await.unwrap();
    let c = env.config_state().await;
    assert_eq!((c.authority, c.pending_authority), (new.pubkey(), Default::default()));
    // The old authority is now a stranger.
    let ix = ix::propose_params(&env, &old.pubkey(), cheaper_fees());
    env.expect_refusal(&[ix], &[&old], program_error(E::NotAuthority), &[]).await;
    env.send(&[ix::propose_params(&env, &new.pubkey(), cheaper_fees())], &[&new]).await.unwrap();
}
