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
/// senior claim is first accrued to now at the old rate, so a rate change never applies to
/// the time before it. Boards keep the call cap they were listed with, so locks, payoffs and
/// margins of open positions do not move with the new cap. The pricing parameters (the
/// potential's caps, scales and saturation, the rate) fade in over `fade_secs`, so nobody can
/// open at the old prices and close at the new ones around the execution.
pub fn execute_params_handler(ctx: Context<ExecuteParams>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    require!(m.pending_eta != 0, OptionsAmmError::NoPendingProposal);
    require!(now >= m.pending_eta, OptionsAmmError::TimelockNotElapsed);
    require!(now <= m.pending_expiry, OptionsAmmError::ProposalExpired);
    // No oracle here to value the pool: the accrual to now is not capped (the next LP flow's
    // is); a claim it lifts above the pool's value stays until fees lift the value past it.
    m.accrue(now, i128::MAX)?;
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
