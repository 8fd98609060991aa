//! What every command reads from the chain: the market, its boards, prices, balances, and
//! the token accounts a user needs.

use crate::backend::Result;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::{AccountDeserialize, Discriminator};
use anchor_spl::token::spl_token;
use options_amm::client::{MarketKeys, Wallet};
use options_amm::oracle::{self, OraclePrice, OracleUse};
use options_amm::state::{Board, Market, JUNIOR};
use options_amm_pricing::Fx;
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::signature::Signer;

use super::*;

// ---------------------------------------------------------------- reading state

pub(crate) fn load<T: AccountDeserialize>(c: &mut Ctx, key: &Pubkey, what: &str) -> Result<T> {
    let a = c.b.account(key)?.ok_or_else(|| format!("no {what} at {key}"))?;
    T::try_deserialize(&mut a.data.as_slice())
        .map_err(|e| CliError::Input(format!("{what} {key}: {e}")))
}

pub(crate) fn market_key(c: &Ctx) -> Result<Pubkey> {
    if let Some(m) = c.g.market {
        return Ok(m);
    }
    let path = c.g.state.join("market");
    let text = std::fs::read_to_string(&path).map_err(|_| {
        "no market: pass --market, or create one (`dev init` or `gov create-market`)".to_string()
    })?;
    text.trim()
        .parse()
        .map_err(|_| CliError::Input(format!("{} holds no market key", path.display())))
}

pub(crate) fn market(c: &mut Ctx) -> Result<(MarketKeys, Market)> {
    let key = market_key(c)?;
    let m: Market = load(c, &key, "market")?;
    Ok((MarketKeys::from_market(key, &m), m))
}

/// The tranches' values now: the senior claim accrued to the clock (up to the LP reference
/// value), as the program does first.
pub(crate) fn tranche_values(
    c: &mut Ctx,
    m: &Market,
) -> Result<(i128, options_amm::math::tranche::TrancheValues)> {
    let s = spot(c, m)?;
    let now = c.b.now()?;
    let mut m = *m;
    let v = options_amm::book::valuation::LpValuation::new(&m, s, Fx::ZERO, now)
        .map_err(|e| e.to_string())?;
    let juniors = supply(c, &m.tranches[JUNIOR as usize].share_mint)?;
    m.accrue(now, v.reference_nav(&m), juniors).map_err(|e| e.to_string())?;
    m.tranche_values(s).map_err(|e| CliError::Input(e.to_string()))
}

/// The market's boards, by expiry.
pub(crate) fn boards(c: &mut Ctx, market: &Pubkey) -> Result<Vec<(Pubkey, Board)>> {
    let mut out = vec![];
    for (k, a) in c.b.program_accounts(Board::DISCRIMINATOR)? {
        let b = Board::try_deserialize(&mut a.data.as_slice()).map_err(|e| e.to_string())?;
        if b.market == *market {
            out.push((k, b));
        }
    }
    out.sort_by_key(|(_, b)| b.expiry_ts);
    Ok(out)
}

/// The boards LP flows and rebalances pass: every listed, unsettled board.
pub(crate) fn active(c: &mut Ctx, market: &Pubkey) -> Result<Vec<Pubkey>> {
    Ok(boards(c, market)?.into_iter().filter(|(_, b)| b.is_active()).map(|(k, _)| k).collect())
}

pub(crate) fn price(c: &mut Ctx, m: &Market, use_: OracleUse) -> Result<OraclePrice> {
    let a = c.b.account(&m.oracle)?.ok_or("the market's oracle account does not exist")?;
    let raw =
        oracle::parse(m.oracle_kind().map_err(|e| e.to_string())?, &a.data, &m.oracle_feed_id)
            .map_err(|e| e.to_string())?;
    let now = c.b.now()?;
    oracle::validate(&raw, now, &use_.limits(m))
        .map_err(|e| CliError::Input(format!("oracle: {e}")))
}

/// The oracle's price even if the program would not use it now (for display).
pub(crate) fn spot(c: &mut Ctx, m: &Market) -> Result<Fx> {
    let a = c.b.account(&m.oracle)?.ok_or("the market's oracle account does not exist")?;
    let raw =
        oracle::parse(m.oracle_kind().map_err(|e| e.to_string())?, &a.data, &m.oracle_feed_id)
            .map_err(|e| e.to_string())?;
    let scale = Fx::from_num(10u64.pow(raw.expo.unsigned_abs()));
    let p = Fx::from_num(raw.price);
    Ok(if raw.expo < 0 { p / scale } else { p * scale })
}

pub(crate) fn units(raw: u64, decimals: u8) -> f64 {
    raw as f64 / 10f64.powi(decimals as i32)
}

/// A signed raw amount (a position: + long, - short) in whole units.
pub(crate) fn signed_units(raw: i64, decimals: u8) -> f64 {
    units(raw.unsigned_abs(), decimals) * raw.signum() as f64
}

pub(crate) fn fx(v: Fx) -> f64 {
    v.to_num::<f64>()
}

pub(crate) const ATA_PROGRAM: Pubkey =
    Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// The associated token account of `owner` for `mint`.
pub(crate) fn ata(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), token_program.as_ref(), mint.as_ref()],
        &ATA_PROGRAM,
    )
    .0
}

/// Creates `owner`'s associated token account for `mint` unless it exists (paid by `payer`).
pub(crate) fn create_ata(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: ATA_PROGRAM,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new(ata(owner, mint, token_program), false),
            AccountMeta::new_readonly(*owner, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(*token_program, false),
        ],
        data: vec![1], // CreateIdempotent
    }
}

pub(crate) fn wallet(k: &MarketKeys, owner: &Pubkey) -> Wallet {
    Wallet {
        owner: *owner,
        quote: ata(owner, &k.quote_mint, &k.quote_token_program),
        shares: [
            ata(owner, &k.share_mints[0], &k.quote_token_program),
            ata(owner, &k.share_mints[1], &k.quote_token_program),
        ],
    }
}

/// The user's wallet, creating its token accounts first where needed.
pub(crate) fn my_wallet(c: &mut Ctx, k: &MarketKeys) -> Result<(Wallet, Vec<Instruction>)> {
    let me = c.b.user().pubkey();
    let w = wallet(k, &me);
    let mut setup = vec![];
    for (account, mint) in
        [(w.quote, k.quote_mint), (w.shares[0], k.share_mints[0]), (w.shares[1], k.share_mints[1])]
    {
        if c.b.account(&account)?.is_none() {
            setup.push(create_ata(&me, &me, &mint, &k.quote_token_program));
        }
    }
    Ok((w, setup))
}

pub(crate) fn balance(c: &mut Ctx, token_account: &Pubkey) -> Result<u64> {
    Ok(match c.b.account(token_account)? {
        Some(a) if a.data.len() >= spl_token::state::Account::LEN => {
            spl_token::state::Account::unpack_from_slice(&a.data[..spl_token::state::Account::LEN])
                .map_err(|e| e.to_string())?
                .amount
        }
        _ => 0,
    })
}

pub(crate) fn supply(c: &mut Ctx, mint: &Pubkey) -> Result<u64> {
    let a = c.b.account(mint)?.ok_or_else(|| format!("no mint {mint}"))?;
    Ok(spl_token::state::Mint::unpack_from_slice(&a.data[..spl_token::state::Mint::LEN])
        .map_err(|e| e.to_string())?
        .supply)
}

/// The clock now plus `secs`.
pub(crate) fn now_plus(c: &mut Ctx, secs: i64) -> Result<i64> {
    Ok(c.b.now()?.saturating_add(secs))
}

/// Refuses with a plain message when `key` already exists: creating it again would only get
/// the system program's bare `InvalidInstructionData`.
pub(crate) fn must_not_exist(c: &mut Ctx, key: &Pubkey, what: &str) -> Result<()> {
    if c.b.account(key)?.is_some() {
        return Err(CliError::Input(format!("{what} already exists: {key}")));
    }
    Ok(())
}

/// Refuses, saying what the wallet holds, when `wallet` holds less than `amount` quote.
pub(crate) fn wallet_covers(
    c: &mut Ctx,
    wallet: &Pubkey,
    amount: u64,
    quote_decimals: u8,
    what: &str,
) -> Result<()> {
    let held = balance(c, wallet)?;
    if held < amount {
        return Err(CliError::Input(format!(
            "insufficient funds: your wallet holds {} quote, {what} {}",
            units(held, quote_decimals),
            units(amount, quote_decimals)
        )));
    }
    Ok(())
}
