//! Governance commands: markets, boards, parameters after the timelock, pauses, guardian,
//! authority, the vol feed and fees.

use crate::backend::Result;
use crate::quote::to_raw;
use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use options_amm::client::{self, pda, MarketKeys};
use options_amm::instructions::StrikeArgs;
use options_amm::state::{
    Market, RiskParams, FIELDS, PAUSE_ALL, PAUSE_DEPOSITS, PAUSE_TRADING, PAUSE_WITHDRAWALS,
};
use serde_json::{json, Value};
use solana_sdk::signature::Signer;

use super::*;

#[derive(Subcommand)]
pub enum Gov {
    /// Creates your governance config (you are its authority).
    InitConfig {
        #[arg(long)]
        guardian: Pubkey,
    },
    /// Creates a market under your config with the reference parameters.
    CreateMarket {
        #[arg(long)]
        underlying_mint: Pubkey,
        #[arg(long)]
        quote_mint: Pubkey,
        #[arg(long)]
        oracle: Pubkey,
        /// Pull-oracle (PriceUpdateV2) feed id, hex; without it the oracle is a legacy account.
        #[arg(long)]
        feed_id: Option<String>,
    },
    /// Lists a board: `--strike 140:0.8` (strike : base vol as a fraction a year), repeated, at
    /// most 8.
    CreateBoard {
        #[arg(long)]
        expiry: i64,
        #[arg(long = "strike", required = true)]
        strikes: Vec<String>,
    },
    /// Proposes parameter changes (`--set trading.fee_spot_bps=5`, repeated); timelocked.
    ProposeParams {
        #[arg(long = "set", required = true)]
        sets: Vec<String>,
    },
    /// Executes the pending parameter change once its delay has passed.
    ExecuteParams,
    /// Sets the pause flags: none, or a comma list of trading, deposits, withdrawals, all.
    Pause { flags: String },
    /// Proposes a new authority (it must accept).
    ProposeAuthority { new_authority: Pubkey },
    /// Accepts the authority you were proposed for.
    AcceptAuthority,
    /// Takes an empty board off the market (nobody holds anything on it).
    DelistBoard {
        #[arg(long)]
        expiry: i64,
    },
    /// Proposes a new guardian; anyone executes it after two days (`execute-guardian`).
    ProposeGuardian { new_guardian: Pubkey },
    /// Executes the pending guardian change once its delay has passed.
    ExecuteGuardian,
    /// Proposes the key that posts the market's vol surfaces (`vol post`); anyone executes it
    /// after the market's timelock (`execute-vol-feed`). The default key
    /// 11111111111111111111111111111111 removes the feed.
    ProposeVolFeed { new_feed: Pubkey },
    /// Executes the pending vol-feed change once the timelock has passed.
    ExecuteVolFeed,
    /// Pays the protocol's accrued fees (decimal quote, or `all`) to a treasury token account
    /// (default: your own quote account).
    CollectFees {
        amount: String,
        #[arg(long)]
        treasury: Option<Pubkey>,
    },
}

// ---------------------------------------------------------------- governance

pub(crate) fn strikes(list: &[String]) -> Result<Vec<StrikeArgs>> {
    list.iter()
        .map(|s| {
            let (k, v) = s
                .split_once(':')
                .ok_or(format!("strike:vol with vol a fraction, e.g. 150:0.8 (got {s})"))?;
            let micro = |t: &str, what: &str| -> Result<u64> {
                crate::decimal::parse_fx(t)?
                    .checked_mul_int(1_000_000)
                    .and_then(|x| x.round().checked_to_num())
                    .ok_or(CliError::Input(format!("{what} out of range: {t}")))
            };
            let vol = micro(v, "vol")?;
            // Vol is a fraction a year everywhere (0.8 = 80%); a percent here is a mistake.
            if vol > 10_000_000 {
                return Err(CliError::Input(format!(
                    "vol {v} is above 10 (1,000%): give it as a fraction, e.g. 150:0.8"
                )));
            }
            Ok(StrikeArgs { strike_micro: micro(k, "strike")?, base_vol_micro: vol })
        })
        .collect()
}

/// The pause flags set in `bits`, by name.
pub(crate) fn pause_names(bits: u8) -> Vec<&'static str> {
    [(PAUSE_TRADING, "trading"), (PAUSE_DEPOSITS, "deposits"), (PAUSE_WITHDRAWALS, "withdrawals")]
        .into_iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| n)
        .collect()
}

/// A vol-feed key as printed: `null` for the default key (no feed).
pub(crate) fn feed_json(key: &Pubkey) -> Value {
    if *key == Pubkey::default() {
        Value::Null
    } else {
        json!(key.to_string())
    }
}

pub(crate) fn remember_market(c: &Ctx, market: &Pubkey) -> Result<()> {
    std::fs::create_dir_all(&c.g.state).map_err(|e| e.to_string())?;
    std::fs::write(c.g.state.join("market"), market.to_string())
        .map_err(|e| CliError::Input(e.to_string()))
}

pub(crate) fn gov(c: &mut Ctx, cmd: Gov) -> Result<Value> {
    let me = c.b.user().pubkey();
    match cmd {
        Gov::InitConfig { guardian } => {
            must_not_exist(c, &pda::config(&me), "your config")?;
            c.b.send(&[client::initialize_config(&me, &me, &guardian)], &[])?;
            Ok(json!({ "config": pda::config(&me).to_string() }))
        }
        Gov::CreateMarket { underlying_mint, quote_mint, oracle, feed_id } => {
            let program_of = |c: &mut Ctx, mint: &Pubkey| -> Result<Pubkey> {
                Ok(c.b.account(mint)?.ok_or(format!("no mint {mint}"))?.owner)
            };
            let (up, qp) = (program_of(c, &underlying_mint)?, program_of(c, &quote_mint)?);
            let k = MarketKeys::derive(&me, underlying_mint, quote_mint, oracle, up, qp);
            must_not_exist(c, &k.market, "a market of this pair under your config")?;
            let (kind, feed) = match feed_id {
                Some(hex) => (options_amm::state::ORACLE_PYTH_PULL, parse_feed(&hex)?),
                None => (options_amm::state::ORACLE_PYTH_LEGACY, [0; 32]),
            };
            let i = client::initialize_market(&k, &me, &me, kind, feed, RiskParams::reference());
            c.b.send(&[i], &[])?;
            remember_market(c, &k.market)?;
            Ok(
                json!({ "market": k.market.to_string(), "senior_shares": k.share_mints[0].to_string(), "junior_shares": k.share_mints[1].to_string() }),
            )
        }
        Gov::CreateBoard { expiry, strikes: list } => {
            let (k, _) = market(c)?;
            must_not_exist(c, &pda::board(&k.market, expiry), "a board with this expiry")?;
            c.b.send(&[client::create_board(&k, &me, &me, expiry, strikes(&list)?)], &[])?;
            let board = pda::board(&k.market, expiry);
            c.b.send(&[client::refresh_board(&k, &me, &board)], &[])?;
            Ok(json!({ "board": board.to_string(), "expiry": expiry }))
        }
        Gov::ProposeParams { sets } => {
            let (k, m) = market(c)?;
            let mut p = m.params;
            for s in &sets {
                let (name, value) = s.split_once('=').ok_or(format!("name=value (got {s})"))?;
                let i = FIELDS
                    .iter()
                    .position(|f| f.0 == name)
                    .ok_or(format!("no parameter {name}"))?;
                let v =
                    value.parse().map_err(|_| format!("{name}: not a whole number: {value}"))?;
                p.set(i, v).map_err(|e| format!("{name}: {e}"))?;
            }
            c.b.send(&[client::propose_params(&k, &me, p)], &[])?;
            let m: Market = load(c, &k.market, "market")?;
            Ok(json!({ "proposed": sets, "executable_at": m.pending_eta }))
        }
        Gov::ExecuteParams => {
            let (k, _) = market(c)?;
            c.b.send(&[client::execute_params(&k, &me)], &[])?;
            Ok(json!({ "executed": true }))
        }
        Gov::Pause { flags } => {
            let (k, _) = market(c)?;
            let mut bits = 0;
            for f in flags.split(',').map(str::trim) {
                bits |= match f {
                    "none" | "" => 0,
                    "trading" => PAUSE_TRADING,
                    "deposits" => PAUSE_DEPOSITS,
                    "withdrawals" => PAUSE_WITHDRAWALS,
                    "all" => PAUSE_ALL,
                    other => return Err(CliError::Input(format!("unknown pause flag {other}"))),
                };
            }
            c.b.send(&[client::set_pause(&k, &me, bits)], &[])?;
            Ok(json!({ "paused": pause_names(bits) }))
        }
        Gov::ProposeAuthority { new_authority } => {
            let (k, _) = market(c)?;
            c.b.send(&[client::propose_authority(&k, &me, &new_authority)], &[])?;
            Ok(json!({ "proposed": new_authority.to_string() }))
        }
        Gov::AcceptAuthority => {
            let (k, _) = market(c)?;
            c.b.send(&[client::accept_authority(&k, &me)], &[])?;
            Ok(json!({ "authority": me.to_string() }))
        }
        Gov::DelistBoard { expiry } => {
            let (k, _) = market(c)?;
            let board = pda::board(&k.market, expiry);
            c.b.send(&[client::delist_board(&k, &me, &board)], &[])?;
            Ok(json!({ "delisted": board.to_string() }))
        }
        Gov::ProposeGuardian { new_guardian } => {
            let (k, _) = market(c)?;
            c.b.send(&[client::propose_guardian(&k, &me, &new_guardian)], &[])?;
            let eta = now_plus(c, options_amm::constants::GUARDIAN_TIMELOCK_SECS)?;
            Ok(json!({ "proposed": new_guardian.to_string(), "executable_at": eta }))
        }
        Gov::ExecuteGuardian => {
            let (k, _) = market(c)?;
            c.b.send(&[client::execute_guardian(&k, &me)], &[])?;
            Ok(json!({ "executed": true }))
        }
        Gov::ProposeVolFeed { new_feed } => {
            let (k, _) = market(c)?;
            c.b.send(&[client::propose_vol_feed(&k, &me, &new_feed)], &[])?;
            let m: Market = load(c, &k.market, "market")?;
            Ok(json!({ "proposed": feed_json(&new_feed), "executable_at": m.vol_feed_eta }))
        }
        Gov::ExecuteVolFeed => {
            let (k, _) = market(c)?;
            c.b.send(&[client::execute_vol_feed(&k, &me)], &[])?;
            let m: Market = load(c, &k.market, "market")?;
            Ok(json!({ "executed": true, "vol_feed": feed_json(&m.vol_feed) }))
        }
        Gov::CollectFees { amount, treasury } => {
            let (k, m) = market(c)?;
            let qd = m.quote_decimals;
            let amount =
                if amount == "all" { m.protocol_fees } else { to_raw(&amount, qd, "amount")? };
            let treasury = treasury.unwrap_or_else(|| wallet(&k, &me).quote);
            c.b.send(&[client::collect_fees(&k, &me, &treasury, amount)], &[])?;
            Ok(json!({ "collected": units(amount, qd), "treasury": treasury.to_string() }))
        }
    }
}

pub(crate) fn parse_feed(hex: &str) -> Result<[u8; 32]> {
    let hex = hex.trim_start_matches("0x");
    if hex.len() != 64 {
        return Err("feed id: 64 hex digits".into());
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| "feed id: hex digits")?;
    }
    Ok(out)
}
