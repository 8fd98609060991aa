use crate::error::OptionsAmmError;
use crate::events::ParamsExecuted;
use crate::state::{Market, RiskParams};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ExecuteParams<'info> {
    /// Anyone may execute a proposal once its timelock has passed.
    pub executor: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
}

/// Applies the pending parameter change: not before its time, not after it expires, once. The
/// senior target rate in force is kept (`prev_senior_rate_bps`): the next LP flow accrues the
/// claim at it up to now and at the new rate after, so a rate change never applies to the time
/// before it. Boards keep the call cap they were listed with, so locks, payoffs and
/// margins of open positions do not move with the new cap. The pricing parameters (the
/// potential's caps, scales and saturation, the rate) fade in over `fade_secs`, so nobody can
/// open at the old prices and close at the new ones around the execution.
pub fn execute_params_handler(ctx: Context<ExecuteParams>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    require!(m.pending_eta != 0, OptionsAmmError::NoPendingProposal);
    require!(now >= m.pending_eta, OptionsAmmError::TimelockNotElapsed);
    require!(now <= m.pending_expiry, OptionsAmmError::ProposalExpired);
    // No oracle here to value the pool, so no accrual (an uncapped one could lift the claim
    // past the pool's value and refuse junior deposits as a shortfall): the rate in force is
    // kept, and the next LP flow's accrual applies it up to now and the new one after. A
    // second change before that flow: the first change's rate covers the whole span before it.
    m.prev_senior_rate_bps = u64::from(m.params.senior_target_rate_bps);
    // The pricing parameters fade from what is in force now (possibly mid-fade) to the new.
    m.prev_pricing = crate::state::PricingParams::of(&m.effective_params(now));
    m.params_changed_ts = now;
    m.params = m.pending_params;
    m.pending_params = RiskParams::default();
    m.pending_eta = 0;
    m.pending_expiry = 0;
    m.invariant()?;
    emit!(ParamsExecuted {
        market: ctx.accounts.market.key(),
        executor: ctx.accounts.executor.key(),
        params: m.params
    });
    Ok(())
}
