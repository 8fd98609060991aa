use crate::book::valuation::{refresh_band, LpValuation};
use crate::error::OptionsAmmError;
use crate::events::LpDeposited;
use crate::math::safe::mul_div_ceil;
use crate::math::safe::SafeMath;
use crate::math::tranche::shares_for_deposit;
use crate::oracle::{self, OracleUse};
use crate::state::{Market, Tranche, JUNIOR, PAUSE_DEPOSITS, SENIOR};
use crate::token;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
#[instruction(tranche: Tranche)]
pub struct Deposit<'info> {
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
        constraint = owner_quote.mint == quote_mint.key() @ OptionsAmmError::WrongMint,
        constraint = owner_quote.owner == owner.key() @ OptionsAmmError::WrongTokenOwner,
    )]
    pub owner_quote: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = owner_shares.mint == share_mint.key() @ OptionsAmmError::ForeignTranche)]
    pub owner_shares: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: `oracle::read` checks that it is the market's, owned by Pyth, valid for trading.
    pub oracle: UncheckedAccount<'info>,
    #[account(address = market.load()?.quote_token_program @ OptionsAmmError::WrongTokenProgram)]
    pub quote_token_program: Interface<'info, TokenInterface>,
}

/// Deposits `amount` quote units into a tranche at NAV and mints at least `min_shares`.
/// Steps: refuse zero, paused, a print other than the one used in this slot, a stale or
/// expired board; value the pool at the top of its refresh band
/// (`book::valuation`: a deposit pays for what a refresh could still add, so deposit, refresh,
/// withdraw never pays; net of the inventory potential, so a deposit around a large trade
/// takes no share of the charge the pool owes back); accrue the senior claim up to the LP
/// reference value at most; refuse a junior deposit while NAV is below the senior claim (it would
/// pay the seniors' shortfall); shares = amount x (supply + v) / (value + v), rounded down;
/// transfer in, mint; book the deposit (a senior deposit in shortfall adds the claim its
/// shares carry, so the seniors already in keep theirs); reconcile the vault; check the
/// invariant; emit.
pub fn deposit_handler(
    mut ctx: Context<Deposit>,
    tranche: Tranche,
    amount: u64,
    min_shares: u64,
) -> Result<()> {
    let a = &ctx.accounts;
    require!(amount > 0, OptionsAmmError::ZeroAmount);
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;

    let (shares, value, supply, nav, claim_added, seeds) = {
        let mut m = a.market.load_mut()?;
        require!(!m.is_paused(PAUSE_DEPOSITS), OptionsAmmError::DepositsPaused);
        let price = oracle::read(&m, &a.oracle, now, OracleUse::Trade)?;
        m.observe_price(clock.slot, price.publish_time, price.price)?;
        let band = refresh_band(&a.market.key(), &m, ctx.remaining_accounts, now, price.price)?;
        let valuation = LpValuation::new(&m, price.price, band, now)?;
        let ceiling = valuation.reference_nav(&m);
        m.accrue(now, ceiling, a.junior_share_mint.supply)?;
        let claim = m.tranches[SENIOR as usize].claim;
        let values = valuation.for_deposit(claim);
        let in_shortfall = valuation.deposit_nav() < claim as i128;
        require!(!(tranche == JUNIOR && in_shortfall), OptionsAmmError::SeniorShortfall);
        let value = values.get(tranche);
        let supply = a.share_mint.supply;
        let shares = shares_for_deposit(amount, value, supply)?;
        require!(shares > 0, OptionsAmmError::DepositTooSmall);
        require!(shares >= min_shares, OptionsAmmError::SlippageExceeded);
        let claim_added = if tranche == SENIOR && in_shortfall && supply > 0 {
            // The claim per share stays: the newcomer's shares carry the claim the others'
            // shares carry (more than the amount paid), so the seniors already in are not
            // diluted when NAV recovers.
            mul_div_ceil(shares, claim, supply)?.max(amount)
        } else if tranche == SENIOR {
            amount
        } else {
            0
        };
        (shares, value, supply, valuation.nav, claim_added, m.signer_seeds())
    };

    let vault_before = a.quote_vault.amount;
    token::transfer(
        &a.quote_token_program,
        &a.quote_mint,
        &a.owner_quote,
        &a.quote_vault,
        a.owner.to_account_info(),
        amount,
        &[],
    )?;
    let slices = seeds.as_slices();
    token::mint_shares(
        &a.quote_token_program,
        &a.share_mint,
        &a.owner_shares,
        a.market.to_account_info(),
        shares,
        &[&slices],
    )?;

    let a = &mut ctx.accounts;
    a.quote_vault.reload()?;
    let mut m = a.market.load_mut()?;
    m.lp_quote = m.lp_quote.safe_add(amount)?;
    let t = &mut m.tranches[SENIOR as usize];
    t.claim = t.claim.safe_add(claim_added)?;
    let expected = vault_before.safe_add(amount)?;
    token::reconcile(a.quote_vault.amount, expected, m.quote_books()?)?;
    m.invariant()?;

    emit!(LpDeposited {
        market: a.market.key(),
        owner: a.owner.key(),
        tranche,
        amount,
        shares,
        tranche_value: value,
        share_supply: supply,
        nav: i64::try_from(nav).map_err(|_| OptionsAmmError::MathOverflow)?,
        senior_claim: m.tranches[SENIOR as usize].claim,
    });
    Ok(())
}
