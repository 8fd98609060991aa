use crate::constants::PROPOSAL_TTL_SECS;
use crate::error::OptionsAmmError;
use crate::events::ParamsProposed;
use crate::math::safe::SafeMath;
use crate::state::{Config, Market, RiskParams};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ProposeParams<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ OptionsAmmError::NotAuthority)]
    pub config: Account<'info, Config>,
    #[account(mut, has_one = config @ OptionsAmmError::WrongConfig)]
    pub market: AccountLoader<'info, Market>,
}

/// Proposes new risk parameters. Refused outside the hard bounds or when any parameter moves by
/// more than its maximum step. Executable after the current timelock, for `PROPOSAL_TTL_SECS`;
/// replaces any pending proposal.
pub fn propose_params_handler(ctx: Context<ProposeParams>, params: RiskParams) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    params.validate()?;
    if let Some(name) = m.params.too_large_step(&params) {
        msg!("parameter step too large: {}", name);
        return err!(OptionsAmmError::ParamStepTooLarge);
    }
    let eta = now.safe_add(i64::from(m.params.timelock_secs))?;
    m.pending_params = params;
    m.pending_eta = eta;
    m.pending_expiry = eta.safe_add(PROPOSAL_TTL_SECS)?;
    m.invariant()?;
    emit!(ParamsProposed {
        market: ctx.accounts.market.key(),
        authority: ctx.accounts.authority.key(),
        eta,
        expiry: m.pending_expiry,
        params,
    });
    Ok(())
}
