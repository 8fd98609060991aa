use crate::constants::{MAX_MINT_DECIMALS, SHARE_DECIMALS_OFFSET};
use crate::error::OptionsAmmError;
use crate::events::MarketInitialized;
use crate::oracle;
use crate::state::{seeds, Config, Market, OracleKind, RiskParams, TrancheState, JUNIOR, SENIOR};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct InitializeMarketArgs {
    pub oracle_kind: OracleKind,
    /// Pull oracles: the feed id updates must carry; zero for legacy accounts.
    pub oracle_feed_id: [u8; 32],
    pub params: RiskParams,
}

#[derive(Accounts)]
pub struct InitializeMarket<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub authority: Signer<'info>,
    #[account(has_one = authority @ OptionsAmmError::NotAuthority)]
    pub config: Box<Account<'info, Config>>,
    #[account(
        mint::token_program = underlying_token_program,
        constraint = underlying_mint.decimals <= MAX_MINT_DECIMALS @ OptionsAmmError::MintDecimalsTooLarge,
    )]
    pub underlying_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        mint::token_program = quote_token_program,
        constraint = quote_mint.key() != underlying_mint.key() @ OptionsAmmError::SameMint,
        constraint = quote_mint.decimals <= MAX_MINT_DECIMALS @ OptionsAmmError::MintDecimalsTooLarge,
    )]
    pub quote_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        init,
        payer = payer,
        space = Market::SPACE,
        seeds = [seeds::MARKET, config.key().as_ref(), underlying_mint.key().as_ref(), quote_mint.key().as_ref()],
        bump,
    )]
    pub market: AccountLoader<'info, Market>,
    #[account(
        init,
        payer = payer,
        seeds = [seeds::UNDERLYING_VAULT, market.key().as_ref()],
        bump,
        token::mint = underlying_mint,
        token::authority = market,
        token::token_program = underlying_token_program,
    )]
    pub underlying_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        init,
        payer = payer,
        seeds = [seeds::QUOTE_VAULT, market.key().as_ref()],
        bump,
        token::mint = quote_mint,
        token::authority = market,
        token::token_program = quote_token_program,
    )]
    pub quote_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        init,
        payer = payer,
        seeds = [seeds::SHARES, market.key().as_ref(), &[SENIOR as u8]],
        bump,
        mint::decimals = quote_mint.decimals + SHARE_DECIMALS_OFFSET,
        mint::authority = market,
        mint::token_program = quote_token_program,
    )]
    pub senior_share_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        init,
        payer = payer,
        seeds = [seeds::SHARES, market.key().as_ref(), &[JUNIOR as u8]],
        bump,
        mint::decimals = quote_mint.decimals + SHARE_DECIMALS_OFFSET,
        mint::authority = market,
        mint::token_program = quote_token_program,
    )]
    pub junior_share_mint: Box<InterfaceAccount<'info, Mint>>,
    /// CHECK: owner and layout are checked in the handler against `args.oracle_kind`.
    pub oracle: UncheckedAccount<'info>,
    pub underlying_token_program: Interface<'info, TokenInterface>,
    pub quote_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

/// Creates a market: its PDA, the two PDA-owned vaults, the two tranches' share mints.
/// Steps: check the parameters' hard bounds and joint rules; refuse Token-2022 mints with an
/// extension outside the allowlist (`token::ALLOWED_MINT_EXTENSIONS`); check the oracle account is owned by the Pyth
/// program of the chosen kind and parses as that kind (and feed); write the market; check its
/// invariant; emit.
pub fn initialize_market_handler(
    ctx: Context<InitializeMarket>,
    args: InitializeMarketArgs,
) -> Result<()> {
    let a = &ctx.accounts;
    args.params.validate()?;
    crate::token::check_mint_extensions(&a.underlying_mint)?;
    crate::token::check_mint_extensions(&a.quote_mint)?;
    let owner = oracle::owner_of_kind(args.oracle_kind);
    require_keys_eq!(*a.oracle.owner, owner, OptionsAmmError::OracleWrongOwner);
    oracle::parse(args.oracle_kind, &a.oracle.try_borrow_data()?, &args.oracle_feed_id)
        .map_err(|e| error!(e))?;

    let now = Clock::get()?.unix_timestamp;
    let mut m = a.market.load_init()?;
    m.config = a.config.key();
    m.underlying_mint = a.underlying_mint.key();
    m.quote_mint = a.quote_mint.key();
    m.underlying_vault = a.underlying_vault.key();
    m.quote_vault = a.quote_vault.key();
    m.underlying_token_program = a.underlying_token_program.key();
    m.quote_token_program = a.quote_token_program.key();
    m.oracle = a.oracle.key();
    m.oracle_feed_id = args.oracle_feed_id;
    m.oracle_kind = args.oracle_kind as u8;
    m.tranches = [
        TrancheState {
            share_mint: a.senior_share_mint.key(),
            share_mint_bump: ctx.bumps.senior_share_mint,
            ..Default::default()
        },
        TrancheState {
            share_mint: a.junior_share_mint.key(),
            share_mint_bump: ctx.bumps.junior_share_mint,
            ..Default::default()
        },
    ];
    m.params = args.params;
    m.last_accrual_ts = now;
    m.underlying_decimals = a.underlying_mint.decimals;
    m.quote_decimals = a.quote_mint.decimals;
    m.bump = ctx.bumps.market;
    m.underlying_vault_bump = ctx.bumps.underlying_vault;
    m.quote_vault_bump = ctx.bumps.quote_vault;
    m.invariant()?;

    emit!(MarketInitialized {
        market: a.market.key(),
        config: m.config,
        underlying_mint: m.underlying_mint,
        quote_mint: m.quote_mint,
        oracle: m.oracle,
        oracle_kind: args.oracle_kind,
        senior_share_mint: m.tranches[0].share_mint,
        junior_share_mint: m.tranches[1].share_mint,
    });
    Ok(())
}
