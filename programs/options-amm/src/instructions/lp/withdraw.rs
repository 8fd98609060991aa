use crate::book::valuation::{refresh_band, LpValuation};
use crate::error::OptionsAmmError;
use crate::events::{BreakerReason, CircuitBreakerTripped, LpWithdrew};
use crate::math::safe::SafeMath;
use crate::math::tranche::{amount_for_shares, claim_after_withdraw};
use crate::oracle::{self, OracleUse};
use crate::state::{Market, Tranche, JUNIOR, PAUSE_WITHDRAWALS, SENIOR};
use crate::token;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
#[instruction(tranche: Tranche)]
pub struct Withdraw<'info> {
    pub owner: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, address = market.load()?.tranche(tranche).share_mint @ OptionsAmmError::ForeignTranche)]
    pub share_mint: Box<InterfaceAccount<'info, Mint>>,
    /// The junior tranche's share mint (the same account as `share_mint` in a junior flow):
    /// the senior target's accrual floor is reckoned on its live supply.
    #[account(address = market.load()?.tranche(JUNIOR).share_mint @ OptionsAmmError::ForeignTranche)]
    pub junior_share_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(address = market.load()?.quote_mint @ OptionsAmmError::WrongMint)]
    pub quote_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = market.load()?.quote_vault @ OptionsAmmError::WrongVault)]
    pub quote_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = owner_shares.mint == share_mint.key() @ OptionsAmmError::ForeignTranche,
        constraint = owner_shares.owner == owner.key() @ OptionsAmmError::WrongTokenOwner,
    )]
    pub owner_shares: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = receiver_quote.mint == quote_mint.key() @ OptionsAmmError::WrongMint)]
    pub receiver_quote: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: `oracle::read` checks that it is the market's, owned by Pyth, valid for trading.
    pub oracle: UncheckedAccount<'info>,
    #[account(address = market.load()?.quote_token_program @ OptionsAmmError::WrongTokenProgram)]
    pub quote_token_program: Interface<'info, TokenInterface>,
}

/// Burns `shares` of a tranche and pays their NAV, at least `min_amount` quote units.
/// Steps: refuse zero, paused, a print other than the one used in this slot, a stale or
/// expired board; accrue the senior claim (up to the LP reference value at most); value the pool at the bottom of its refresh band
/// and without what expired shorts still owe and the inventory potential the pool owes back
/// (`book::valuation`: a leaver takes nothing a refresh, a settlement or a counter-flow trade
/// could still take away); amount = shares x (value + v) / (supply +
/// v), rounded down, never above the value; refuse more than the free (unlocked) liquidity;
/// burn, pay out; book it (a senior leaver's claim share removed rounding up); reconcile the
/// vault; check the invariant; emit.
pub fn withdraw_handler(
    mut ctx: Context<Withdraw>,
    tranche: Tranche,
    shares: u64,
    min_amount: u64,
) -> Result<()> {
    let a = &ctx.accounts;
    require!(shares > 0, OptionsAmmError::ZeroAmount);
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;

    let (amount, value, supply, nav, seeds) = {
        let mut m = a.market.load_mut()?;
        require!(!m.is_paused(PAUSE_WITHDRAWALS), OptionsAmmError::WithdrawalsPaused);
        let price = oracle::read(&m, &a.oracle, now, OracleUse::Trade)?;
        m.observe_price(clock.slot, price.publish_time, price.price)?;
        let band = refresh_band(&a.market.key(), &m, ctx.remaining_accounts, now, price.price)?;
        let valuation = LpValuation::new(&m, price.price, band, now)?;
        let ceiling = valuation.reference_nav(&m);
        m.accrue(now, ceiling, a.junior_share_mint.supply)?;
        let nav = valuation.nav;
        let values = valuation.for_withdrawal(&m, m.tranches[SENIOR as usize].claim);
        let value = values.get(tranche);
        let supply = a.share_mint.supply;
        let amount = amount_for_shares(shares, value, supply)?;
        require!(amount > 0, OptionsAmmError::WithdrawTooSmall);
        require!(amount >= min_amount, OptionsAmmError::SlippageExceeded);
        if amount > m.free_quote() {
            emit!(CircuitBreakerTripped {
                market: a.market.key(),
                reason: BreakerReason::FreeLiquidity
            });
            return err!(OptionsAmmError::InsufficientFreeLiquidity);
        }
        (amount, value, supply, nav, m.signer_seeds())
    };

    token::burn_shares(
        &a.quote_token_program,
        &a.share_mint,
        &a.owner_shares,
        a.owner.to_account_info(),
        shares,
    )?;
    let vault_before = a.quote_vault.amount;
    let slices = seeds.as_slices();
    token::transfer(
        &a.quote_token_program,
        &a.quote_mint,
        &a.quote_vault,
        &a.receiver_quote,
        a.market.to_account_info(),
        amount,
        &[&slices],
    )?;

    let a = &mut ctx.accounts;
    a.quote_vault.reload()?;
    let mut m = a.market.load_mut()?;
    m.lp_quote = m.lp_quote.safe_sub(amount)?;
    if tranche == SENIOR {
        let t = &mut m.tranches[SENIOR as usize];
        t.claim = claim_after_withdraw(t.claim, shares, supply)?;
    }
    let expected = vault_before.safe_sub(amount)?;
    token::reconcile(a.quote_vault.amount, expected, m.quote_books()?)?;
    m.invariant()?;

    emit!(LpWithdrew {
        market: a.market.key(),
        owner: a.owner.key(),
        tranche,
        shares,
        amount,
        tranche_value: value,
        share_supply: supply,
        nav: i64::try_from(nav).map_err(|_| OptionsAmmError::MathOverflow)?,
        senior_claim: m.tranches[SENIOR as usize].claim,
    });
    Ok(())
}
