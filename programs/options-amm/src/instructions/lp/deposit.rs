use crate::error::OptionsAmmError;
use crate::events::LpDeposited;
use crate::math::tranche::shares_for_deposit;
use crate::oracle::{self, OracleUse};
use crate::state::{require_fresh_boards, Market, PAUSE_DEPOSITS, SENIOR};
use crate::token;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct Deposit<'info> {
    pub owner: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, address = market.load()?.tranche(tranche)?.share_mint @ OptionsAmmError::ForeignTranche)]
    pub share_mint: Box<InterfaceAccount<'info, Mint>>,
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
/// Steps: refuse zero, paused or stale; accrue the senior claim; value the tranche at the
/// oracle; shares = amount x (supply + v) / (value + v), rounded down; transfer in, mint; book
/// the deposit; reconcile the vault; check the invariant; emit.
pub fn handler(mut ctx: Context<Deposit>, tranche: u8, amount: u64, min_shares: u64) -> Result<()> {
    let a = &ctx.accounts;
    require!(amount > 0, OptionsAmmError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;

    let (shares, value, supply, nav, seeds) = {
        let mut m = a.market.load_mut()?;
        require!(!m.is_paused(PAUSE_DEPOSITS), OptionsAmmError::DepositsPaused);
        let price = oracle::read(&m, &a.oracle, now, OracleUse::Trade)?;
        require_fresh_boards(&a.market.key(), &m, ctx.remaining_accounts, now, price.price)?;
        m.accrue(now)?;
        let (nav, values) = m.tranche_values(price.price)?;
        let value = values.get(tranche);
        let supply = a.share_mint.supply;
        let shares = shares_for_deposit(amount, value, supply)?;
        require!(shares > 0, OptionsAmmError::DepositTooSmall);
        require!(shares >= min_shares, OptionsAmmError::SlippageExceeded);
        (shares, value, supply, nav, m.signer_seeds())
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
    m.lp_quote = m.lp_quote.checked_add(amount).ok_or(OptionsAmmError::MathOverflow)?;
    if tranche == SENIOR {
        let t = &mut m.tranches[SENIOR as usize];
        t.claim = t.claim.checked_add(amount).ok_or(OptionsAmmError::MathOverflow)?;
    }
    let expected = vault_before.checked_add(amount).ok_or(OptionsAmmError::MathOverflow)?;
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
