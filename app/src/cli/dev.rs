//! Commands only a local world allows: keys, mints, faucet, prices, the clock. The embedded
//! runtime has these privileges, and so has a local validator (`--url` of
//! `options-amm-validator`, through its account-setting and time-travel RPC methods).

use crate::backend::{Backend, Result};
use crate::quote::to_raw;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::spl_token;
use clap::Subcommand;
use options_amm::client::{self, MarketKeys};
use options_amm::state::RiskParams;
use options_amm_pricing::Fx;
use serde_json::{json, Value};
use solana_sdk::signature::{Keypair, Signer};
use std::path::PathBuf;

use super::*;

#[derive(Subcommand)]
pub enum Dev {
    /// Creates mints, a Pyth price account, the config, a market and a first board, and funds you.
    Init {
        #[arg(long, default_value = "150")]
        price: String,
        /// Days to the first board's expiry.
        #[arg(long, default_value = "7")]
        days: i64,
    },
    /// Mints local quote (and underlying) tokens to a wallet (default: you).
    Fund {
        #[arg(long)]
        to: Option<Pubkey>,
        #[arg(long, default_value = "0")]
        quote: String,
        #[arg(long, default_value = "0")]
        underlying: String,
    },
    /// Publishes an oracle price (and confidence) now.
    Price {
        price: String,
        #[arg(long, default_value = "0.05")]
        conf: String,
    },
    /// Moves the clock forward and republishes the last price at the new time.
    Warp { secs: i64 },
    /// Writes a new keypair file.
    Keygen { path: PathBuf },
    /// Creates a quote mint (6 decimals), an underlying mint (9) and a Pyth price account at
    /// `--price`, for a market that `gov create-market` or migrations/deploy.ts then sets up.
    Accounts {
        #[arg(long, default_value = "150")]
        price: String,
    },
}

// ---------------------------------------------------------------- dev (local world)

/// Publishes into the local world's oracle price account (legacy Pyth layout, owned by the
/// Pyth program); the previous publish time is the last one's, as on a real feed.
pub(crate) fn publish(
    e: &mut dyn Backend,
    oracle: Pubkey,
    price: Fx,
    conf: Fx,
    at: i64,
) -> Result<()> {
    let prev = match e.account(&oracle)? {
        Some(a) => {
            options_amm::oracle::parse(options_amm::OracleKind::PythLegacy, &a.data, &[0; 32])
                .map(|r| r.publish_time)
                .ok()
        }
        None => None,
    };
    let q = options_amm_local::pyth::Quote {
        price: pyth_units(price, "price")?,
        conf: pyth_units(conf, "confidence")?,
        expo: -8,
        publish_time: at,
        prev_publish_time: prev.filter(|&p| p < at),
        ..Default::default()
    };
    e.put_account(
        oracle,
        options_amm_local::pyth::ORACLE_PROGRAM,
        options_amm_local::pyth::legacy_price_account(&q),
    )
}

/// `v` in the oracle's units (exponent -8), or an error for a value outside what a price
/// account holds (never a panic on any input).
fn pyth_units<T: fixed::traits::FromFixed + Default + PartialOrd>(v: Fx, what: &str) -> Result<T> {
    let positive = v > Fx::ZERO;
    v.checked_mul_int(100_000_000)
        .and_then(|x| x.round().checked_to_num::<T>())
        .filter(|x| !positive || *x > T::default())
        .ok_or_else(|| CliError::Input(format!("{what} out of range: {v}")))
}

pub(crate) fn local_mint(e: &mut dyn Backend, decimals: u8) -> Result<Pubkey> {
    let key = Keypair::new().pubkey();
    let mint = spl_token::state::Mint {
        mint_authority: Some(e.faucet()?.pubkey()).into(),
        supply: 0,
        decimals,
        is_initialized: true,
        freeze_authority: None.into(),
    };
    let mut data = vec![0; spl_token::state::Mint::LEN];
    mint.pack_into_slice(&mut data);
    e.put_account(key, spl_token::ID, data)?;
    Ok(key)
}

/// Mints `amount` to `owner`'s associated account (created if missing), signed by the faucet:
/// a real SPL Token transaction.
pub(crate) fn mint_to(
    e: &mut dyn Backend,
    mint: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> Result<()> {
    let faucet = e.faucet()?;
    let payer = e.user().pubkey();
    let to = ata(owner, mint, &spl_token::ID);
    let ix =
        spl_token::instruction::mint_to(&spl_token::ID, mint, &to, &faucet.pubkey(), &[], amount)
            .map_err(|e| e.to_string())?;
    e.send(&[create_ata(&payer, owner, mint, &spl_token::ID), ix], &[&faucet]).map(drop)
}

/// The local mints and oracle of a new market.
fn accounts(e: &mut dyn Backend, price: Fx, now: i64) -> Result<(Pubkey, Pubkey, Pubkey)> {
    let (quote, underlying) = (local_mint(e, 6)?, local_mint(e, 9)?);
    let oracle = Keypair::new().pubkey();
    publish(e, oracle, price, Fx::from_num(0.05), now)?;
    Ok((quote, underlying, oracle))
}

fn positive_price(text: &str) -> Result<Fx> {
    let p = crate::decimal::parse_fx(text)?;
    if p <= Fx::ZERO {
        return Err(CliError::Input(format!("a price must be above zero (got {text})")));
    }
    Ok(p)
}

/// `dev init` with the market's risk parameters `params` (the simulation's baselines take
/// defences out through them).
pub(crate) fn init(c: &mut Ctx, price: String, days: i64, params: RiskParams) -> Result<Value> {
    let g = c.g.clone();
    let me = c.b.user().pubkey();
    let now = c.b.now()?;
    if g.state.join("market").exists() {
        return Err(CliError::Input(format!("{} already holds a market", g.state.display())));
    }
    let e = c.b.as_mut();
    let p = positive_price(&price)?;
    let (quote, underlying, oracle) = accounts(e, p, now)?;
    mint_to(e, &quote, &me, 1_000_000 * 1_000_000)?;
    mint_to(e, &underlying, &me, 1_000 * 1_000_000_000)?;
    c.b.send(&[client::initialize_config(&me, &me, &me)], &[])?;
    let k = MarketKeys::derive(&me, underlying, quote, oracle, spl_token::ID, spl_token::ID);
    let i = client::initialize_market(
        &k,
        &me,
        &me,
        options_amm::OracleKind::PythLegacy,
        [0; 32],
        params,
    );
    c.b.send(&[i], &[])?;
    remember_market(c, &k.market)?;
    let expiry =
        days.checked_mul(86_400).and_then(|s| now.checked_add(s)).filter(|_| days > 0).ok_or_else(
            || CliError::Input(format!("--days must be a positive number of days: {days}")),
        )?;
    let list: Vec<String> = [80, 90, 100, 110, 120]
        .iter()
        .map(|pct| format!("{}:0.8", (p * *pct / 100).round()))
        .collect();
    if let Err(e) = gov(c, Gov::CreateBoard { expiry, strikes: list }) {
        // The world is not saved after a failure; the market file must not outlive it.
        let _ = std::fs::remove_file(g.state.join("market"));
        return Err(e);
    }
    Ok(json!({
        "market": k.market.to_string(),
        "quote_mint": quote.to_string(),
        "underlying_mint": underlying.to_string(),
        "oracle": oracle.to_string(),
        "board_expiry": expiry,
        "you": me.to_string(),
        "funded": { "quote": 1_000_000, "underlying": 1_000 },
    }))
}

pub(crate) fn dev(c: &mut Ctx, cmd: Dev) -> Result<Value> {
    let me = c.b.user().pubkey();
    let now = c.b.now()?;
    match cmd {
        Dev::Init { price, days } => init(c, price, days, RiskParams::reference()),
        Dev::Fund { to, quote, underlying } => {
            let (k, m) = market(c)?;
            let to = to.unwrap_or(me);
            let e = c.b.as_mut();
            if quote != "0" {
                mint_to(e, &k.quote_mint, &to, to_raw(&quote, m.quote_decimals, "quote")?)?;
            }
            if underlying != "0" {
                let raw = to_raw(&underlying, m.underlying_decimals, "underlying")?;
                mint_to(e, &k.underlying_mint, &to, raw)?;
            }
            let (q, u) =
                (crate::decimal::parse_fx(&quote)?, crate::decimal::parse_fx(&underlying)?);
            Ok(json!({ "funded": to.to_string(), "quote": fx(q), "underlying": fx(u) }))
        }
        Dev::Price { price, conf } => {
            let (k, _) = market(c)?;
            let e = c.b.as_mut();
            let (p, cf) = (crate::decimal::parse_fx(&price)?, crate::decimal::parse_fx(&conf)?);
            if p <= Fx::ZERO || cf < Fx::ZERO {
                return Err(CliError::Input(format!(
                    "a price must be above zero and its confidence not below (got {price}, {conf})"
                )));
            }
            publish(e, k.oracle, p, cf, now)?;
            Ok(json!({ "price": fx(p), "conf": fx(cf), "publish_time": now }))
        }
        Dev::Warp { secs } => {
            let (k, m) = market(c)?;
            let last = spot(c, &m)?;
            let e = c.b.as_mut();
            // The clock only moves forward, and stays a unix time.
            let at = now
                .checked_add(secs)
                .filter(|_| secs >= 0)
                .ok_or_else(|| CliError::Input(format!("cannot warp {secs} s from {now}")))?;
            e.warp_to(at)?;
            // A validator's clock may land a little past `at`: publish at the time it reads.
            let at = e.now()?.max(at);
            publish(e, k.oracle, last, Fx::from_num(0.05), at)?;
            Ok(json!({ "now": at }))
        }
        Dev::Accounts { price } => {
            let p = positive_price(&price)?;
            let (quote, underlying, oracle) = accounts(c.b.as_mut(), p, now)?;
            Ok(json!({
                "quote_mint": quote.to_string(),
                "underlying_mint": underlying.to_string(),
                "oracle": oracle.to_string(),
                "price": fx(p),
                "publish_time": now,
                "faucet": c.b.faucet()?.pubkey().to_string(),
            }))
        }
        Dev::Keygen { .. } => unreachable!("handled before opening a backend"),
    }
}
