//! Trader commands: quotes, trades, margin collateral, positions and health.

use crate::backend::Result;
use crate::quote::to_raw;
use anchor_lang::prelude::Pubkey;
use clap::{Args, Subcommand, ValueEnum};
use options_amm::client::{self, pda, MarketKeys, Wallet};
use options_amm::math::margin::Level;
use options_amm::oracle::OracleUse;
use options_amm::state::{Board, MarginAccount, Market, Position, CALL, PUT};
use options_amm_pricing::Side;
use serde_json::{json, Value};
use solana_sdk::instruction::Instruction;

use super::*;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    Call,
    Put,
}

#[derive(Args)]
pub struct Series {
    /// Board expiry (unix seconds); default: the nearest unsettled board.
    #[arg(long)]
    pub(crate) expiry: Option<i64>,
    /// Strike, quote per underlying.
    #[arg(long)]
    pub(crate) strike: String,
    #[arg(long, value_enum)]
    pub(crate) kind: Kind,
    /// Contracts (whole underlying units, decimals allowed).
    #[arg(long)]
    pub(crate) size: String,
}

#[derive(Subcommand)]
pub enum Trader {
    /// Opens your margin account in the market.
    OpenAccount,
    /// Moves quote into your margin account.
    DepositCollateral { amount: String },
    /// Moves quote out of your margin account (initial margin must still hold).
    WithdrawCollateral { amount: String },
    /// What a trade costs or pays now: the program's own fill, to the token unit.
    Quote {
        #[command(flatten)]
        series: Series,
        #[arg(long, value_enum, default_value = "buy")]
        side: crate::quote::TradeSide,
    },
    /// Buys; refuses to pay more than `--max-cost` (premium and fees, e.g. the `max_cost`
    /// that `trader quote` printed), or without it more than a fresh quote plus `--slippage-bps`.
    Buy {
        #[command(flatten)]
        series: Series,
        #[arg(long, default_value = "50")]
        slippage_bps: u64,
        /// The most to pay in all, quote units: the limit from the quote you saw.
        #[arg(long)]
        max_cost: Option<String>,
    },
    /// Sells (closing longs or opening shorts against collateral); refuses to receive less
    /// than `--min-proceeds`, or without it less than a fresh quote less `--slippage-bps`.
    Sell {
        #[command(flatten)]
        series: Series,
        #[arg(long, default_value = "50")]
        slippage_bps: u64,
        /// The least to receive after fees, quote units: the limit from the quote you saw.
        #[arg(long)]
        min_proceeds: Option<String>,
    },
    /// Your positions, collateral and margin health.
    Show {
        /// Whose (default: you).
        #[arg(long)]
        owner: Option<Pubkey>,
    },
    /// Settles your position on a settled board.
    Settle {
        #[arg(long)]
        expiry: i64,
    },
    /// Closes your empty position on a board (rent back; frees a place for another board).
    ClosePosition {
        #[arg(long)]
        expiry: i64,
    },
}

// ---------------------------------------------------------------- trader

pub(crate) fn board_for(
    c: &mut Ctx,
    k: &MarketKeys,
    expiry: Option<i64>,
) -> Result<(Pubkey, Board)> {
    let now = c.b.now()?;
    let list = boards(c, &k.market)?;
    match expiry {
        Some(e) => list.into_iter().find(|(_, b)| b.expiry_ts == e),
        None => list.into_iter().find(|(_, b)| b.is_active() && b.expiry_ts > now),
    }
    .ok_or_else(|| CliError::Input("no such board (see `market show`)".to_string()))
}

pub(crate) fn strike_index(b: &Board, strike: &str) -> Result<u8> {
    let want = crate::decimal::parse_fx(strike)?;
    b.strikes[..b.num_strikes as usize]
        .iter()
        .position(|s| s.strike.get() == want)
        .map(|i| i as u8)
        .ok_or_else(|| CliError::Input(format!("the board has no strike {strike}")))
}

pub(crate) fn kind(k: Kind) -> options_amm::Kind {
    match k {
        Kind::Call => CALL,
        Kind::Put => PUT,
    }
}

/// `owner`'s margin account, or an error that says how to open one.
pub(crate) fn margin_account(c: &mut Ctx, k: &MarketKeys, owner: &Pubkey) -> Result<MarginAccount> {
    let key = pda::margin(&k.market, owner);
    if c.b.account(&key)?.is_none() {
        return Err(CliError::Input(format!(
            "{owner} has no margin account in this market: `trader open-account` opens one \
             (`trader buy` and `trader sell` open it when needed)"
        )));
    }
    load(c, &key, "margin account")
}

/// The user's registered (position, board) pairs, read from the margin account.
pub(crate) fn margin_pairs(
    c: &mut Ctx,
    k: &MarketKeys,
    owner: &Pubkey,
) -> Result<Vec<(Pubkey, Pubkey)>> {
    let acc = margin_account(c, k, owner)?;
    let mut pairs = vec![];
    for p in &acc.positions[..acc.num_positions as usize] {
        let pos: Position = load(c, p, "position")?;
        pairs.push((*p, pos.board));
    }
    Ok(pairs)
}

pub(crate) fn trader(c: &mut Ctx, cmd: Trader) -> Result<Value> {
    let (k, m) = market(c)?;
    let (w, mut ixs) = my_wallet(c, &k)?;
    let qd = m.quote_decimals;
    let me = w.owner;
    match cmd {
        Trader::OpenAccount => {
            must_not_exist(c, &pda::margin(&k.market, &me), "your margin account")?;
            ixs.push(client::open_margin_account(&k, &me));
            c.b.send(&ixs, &[])?;
            Ok(json!({ "margin_account": pda::margin(&k.market, &me).to_string() }))
        }
        Trader::DepositCollateral { amount } => {
            let amount = to_raw(&amount, qd, "amount")?;
            wallet_covers(c, &w.quote, amount, qd, "the deposit is")?;
            ixs.push(client::deposit_collateral(&k, &w, amount));
            c.b.send(&ixs, &[])?;
            Ok(json!({ "deposited": units(amount, qd) }))
        }
        Trader::WithdrawCollateral { amount } => {
            let amount = to_raw(&amount, qd, "amount")?;
            let pairs = margin_pairs(c, &k, &me)?;
            ixs.push(client::withdraw_collateral(&k, &w, amount, &pairs));
            c.b.send(&ixs, &[])?;
            Ok(json!({ "withdrawn": units(amount, qd) }))
        }
        Trader::Quote { series, side } => {
            let side = match side {
                crate::quote::TradeSide::Buy => Side::Buy,
                crate::quote::TradeSide::Sell => Side::Sell,
            };
            // The trade the program would see now, run without landing: a quote says when the
            // program would refuse it, and why.
            let (plan, f) = trade_plan(
                c,
                &k,
                &m,
                &w,
                ixs,
                &series,
                side,
                Limit::Total(if side == Side::Buy { u64::MAX } else { 0 }),
            )?;
            let mut v = fill_json(&f, qd);
            remember_quote(c, &k, &series, side, total(&f, side))?;
            v["refusal"] = match c.b.simulate(&plan, &[]) {
                Ok(()) => Value::Null,
                Err(e) => e.to_json()["error"].clone(),
            };
            // What the trade costs or brings in all: pass it to buy/sell as the limit.
            let key = if side == Side::Buy { "max_cost" } else { "min_proceeds" };
            v["total"] = json!(units(total(&f, side), qd));
            v[key] = json!(units(total(&f, side), qd));
            Ok(v)
        }
        Trader::Buy { series, slippage_bps, max_cost } => {
            let limit = Limit::from(max_cost.as_deref(), slippage_bps, qd)?;
            trade(c, &k, &m, &w, ixs, &series, Side::Buy, limit)
        }
        Trader::Sell { series, slippage_bps, min_proceeds } => {
            let limit = Limit::from(min_proceeds.as_deref(), slippage_bps, qd)?;
            trade(c, &k, &m, &w, ixs, &series, Side::Sell, limit)
        }
        Trader::Show { owner } => trader_show(c, &k, &m, &owner.unwrap_or(me)),
        Trader::Settle { expiry } => {
            let (board, _) = board_for(c, &k, Some(expiry))?;
            if c.b.account(&pda::position(&board, &me))?.is_none() {
                return Err(CliError::Input(format!(
                    "you hold no position on the board expiring at {expiry} (already settled, \
                     or never opened)"
                )));
            }
            let before = balance(c, &w.quote)?;
            ixs.push(client::settle_position(&k, &me, &board, &me, &w.quote));
            c.b.send(&ixs, &[])?;
            Ok(json!({ "paid_to_you": units(balance(c, &w.quote)?.saturating_sub(before), qd) }))
        }
        Trader::ClosePosition { expiry } => {
            let board = pda::board(&k.market, expiry);
            ixs.push(client::close_position(&k, &board, &me));
            c.b.send(&ixs, &[])?;
            Ok(json!({ "closed": pda::position(&board, &me).to_string() }))
        }
    }
}

/// How long a `trader quote` stands as the reference of a later buy or sell of the same trade.
const QUOTE_MEMORY_SECS: i64 = 300;

/// The trade a quote was for, as the memo names it.
fn trade_key(k: &MarketKeys, series: &Series, side: Side) -> String {
    format!(
        "{} {:?} {} {:?} {} {:?}",
        k.market, series.expiry, series.strike, series.kind, series.size, side
    )
}

/// Remembers what `trader quote` showed (`<state>/last_quote.json`): a later buy or sell of the
/// same trade without `--max-cost`/`--min-proceeds` is held to it.
fn remember_quote(
    c: &mut Ctx,
    k: &MarketKeys,
    series: &Series,
    side: Side,
    total: u64,
) -> Result<()> {
    let memo = json!({ "trade": trade_key(k, series, side), "total_raw": total, "at": c.b.now()? });
    std::fs::create_dir_all(&c.g.state).map_err(|e| e.to_string())?;
    std::fs::write(c.g.state.join("last_quote.json"), memo.to_string())
        .map_err(|e| CliError::Input(format!("cannot remember the quote: {e}")))
}

/// The total of the last quote for this trade, if it is recent.
fn recalled_quote(c: &mut Ctx, k: &MarketKeys, series: &Series, side: Side) -> Result<Option<u64>> {
    let Ok(text) = std::fs::read_to_string(c.g.state.join("last_quote.json")) else {
        return Ok(None);
    };
    let memo: Value = serde_json::from_str(&text).unwrap_or_default();
    let now = c.b.now()?;
    let fresh = memo["at"].as_i64().is_some_and(|at| (0..=QUOTE_MEMORY_SECS).contains(&(now - at)));
    if fresh && memo["trade"] == trade_key(k, series, side).as_str() {
        return Ok(memo["total_raw"].as_u64());
    }
    Ok(None)
}

/// What a trade may cost (a buy) or must bring (a sell): a total the user saw, or a fresh
/// quote moved by a slippage allowance.
pub(crate) enum Limit {
    Total(u64),
    Slippage(u64),
}

impl Limit {
    fn from(total: Option<&str>, slippage_bps: u64, quote_decimals: u8) -> Result<Limit> {
        match total {
            Some(t) => Ok(Limit::Total(to_raw(t, quote_decimals, "limit")?)),
            None => Ok(Limit::Slippage(slippage_bps)),
        }
    }
}

/// A buy's total cost, or a sale's proceeds after fees (zero when fees exceed the premium: the
/// program then refuses the sale).
fn total(f: &options_amm::math::fill::Fill, side: Side) -> u64 {
    let fees = f.fee_protocol.saturating_add(f.fee_lp);
    match side {
        Side::Buy => f.premium.saturating_add(fees),
        Side::Sell => f.premium.saturating_sub(fees),
    }
}

/// Buys or sells at the program's fill, refusing to pay more (receive less) than `limit`;
/// opens the margin account and the board's position when missing.
#[allow(clippy::too_many_arguments)]
pub(crate) fn trade(
    c: &mut Ctx,
    k: &MarketKeys,
    m: &Market,
    w: &Wallet,
    ixs: Vec<Instruction>,
    series: &Series,
    side: Side,
    limit: Limit,
) -> Result<Value> {
    let (ixs, f) = trade_plan(c, k, m, w, ixs, series, side, limit)?;
    if side == Side::Buy {
        wallet_covers(c, &w.quote, total(&f, side), m.quote_decimals, "the buy costs")?;
    }
    let before = balance(c, &w.quote)?;
    c.b.send(&ixs, &[])?;
    let after = balance(c, &w.quote)?;
    let qd = m.quote_decimals;
    let mut out = fill_json(&f, qd);
    out["paid"] = json!(units(before.saturating_sub(after), qd));
    out["received"] = json!(units(after.saturating_sub(before), qd));
    Ok(out)
}

/// The instructions of a trade (opening the margin account and the board's position when
/// missing) and the program's fill they are priced at.
#[allow(clippy::too_many_arguments)]
pub(crate) fn trade_plan(
    c: &mut Ctx,
    k: &MarketKeys,
    m: &Market,
    w: &Wallet,
    mut ixs: Vec<Instruction>,
    series: &Series,
    side: Side,
    limit: Limit,
) -> Result<(Vec<Instruction>, options_amm::math::fill::Fill)> {
    let me = w.owner;
    let (board, b) = board_for(c, k, series.expiry)?;
    let margin = pda::margin(&k.market, &me);
    if c.b.account(&margin)?.is_none() {
        ixs.push(client::open_margin_account(k, &me));
    }
    let mut pairs = if c.b.account(&margin)?.is_some() { margin_pairs(c, k, &me)? } else { vec![] };
    let position = pda::position(&board, &me);
    if c.b.account(&position)?.is_none() {
        ixs.push(client::open_position(k, &board, &me));
        pairs.push((position, board));
    }
    let f = fill_now(c, m, &board, &b, series, side, &me)?;
    let (i, kd) = (strike_index(&b, &series.strike)?, kind(series.kind));
    let size = to_raw(&series.size, m.underlying_decimals, "size")?;
    // (u128: no overflow whatever the fill)
    let bound = match limit {
        Limit::Total(t) => t,
        Limit::Slippage(bps) => {
            // Against the quote the user last saw for this very trade (if recent), else a
            // fresh one: a price that moved since `trader quote` does not go through.
            let seen = recalled_quote(c, k, series, side)?;
            let t = seen.unwrap_or(total(&f, side)) as u128;
            match side {
                Side::Buy => {
                    u64::try_from((t * (10_000 + bps as u128)).div_ceil(10_000)).unwrap_or(u64::MAX)
                }
                Side::Sell => (t * 10_000u128.saturating_sub(bps as u128) / 10_000) as u64,
            }
        }
    };
    let ix = match side {
        Side::Buy => client::buy(k, &board, w, i, kd, size, bound),
        Side::Sell => client::sell(k, &board, w, i, kd, size, bound, &pairs),
    };
    ixs.push(ix);
    Ok((ixs, f))
}

/// The program's own fill of a trade now for `owner` (oracle read as a trade reads it; the
/// owner's position in the series sets the lock charge).
pub(crate) fn fill_now(
    c: &mut Ctx,
    m: &Market,
    board: &Pubkey,
    b: &Board,
    series: &Series,
    side: Side,
    owner: &Pubkey,
) -> Result<options_amm::math::fill::Fill> {
    let px = price(c, m, OracleUse::Trade)?;
    let now = c.b.now()?;
    let i = strike_index(b, &series.strike)?;
    let kd = kind(series.kind);
    let size = to_raw(&series.size, m.underlying_decimals, "size")?;
    let position = pda::position(board, owner);
    let held = match c.b.account(&position)? {
        Some(_) => load::<Position>(c, &position, "position")?.sizes[i as usize][kd as usize],
        None => 0,
    };
    // The program's fill (force-closed where normal trading is refused); where it refuses the
    // trade outright (cutoff, delta band), the normal price, so a quote still shows it beside
    // the program's refusal.
    use options_amm::book::fill::{market_fill, trade_fill};
    use options_amm::error::OptionsAmmError as E;
    match trade_fill(m, b, i, kd, side, size, held, &px, now) {
        Ok((f, _)) => Ok(f),
        Err(e)
            if e == anchor_lang::error!(E::DeltaOutOfBand)
                || e == anchor_lang::error!(E::TradingCutoff) =>
        {
            market_fill(m, b, i, kd, side, size, held, &px, now).map_err(CliError::from)
        }
        Err(e) => Err(CliError::from(e)),
    }
}

pub(crate) fn fill_json(f: &options_amm::math::fill::Fill, qd: u8) -> Value {
    json!({
        "premium": units(f.premium, qd),
        "fee_protocol": units(f.fee_protocol, qd),
        "fee_lp": units(f.fee_lp, qd),
        "inventory_charge": fx(f.quote.inventory_charge),
        "spread": fx(f.quote.spread),
        "fee_lock": units(f.fee_lock, qd),
        "mark": fx(f.greeks.price),
        "delta": fx(f.greeks.delta),
    })
}

pub(crate) fn trader_show(
    c: &mut Ctx,
    k: &MarketKeys,
    m: &Market,
    owner: &Pubkey,
) -> Result<Value> {
    let (qd, ud) = (m.quote_decimals, m.underlying_decimals);
    let acc = margin_account(c, k, owner)?;
    let mut positions = vec![];
    for p in &acc.positions[..acc.num_positions as usize] {
        let pos: Position = load(c, p, "position")?;
        let b: Board = load(c, &pos.board, "board")?;
        for (i, st) in b.strikes[..b.num_strikes as usize].iter().enumerate() {
            for kd in [CALL, PUT] {
                let size = pos.sizes[i][kd as usize];
                if size != 0 {
                    positions.push(json!({
                        "expiry": b.expiry_ts,
                        "strike": fx(st.strike.get()),
                        "kind": if kd == CALL { "call" } else { "put" },
                        "size": units(size.unsigned_abs(), ud) * size.signum() as f64,
                        "mark": fx(st.mark[kd as usize].get()),
                    }));
                }
            }
        }
    }
    // Health as the program judges it (the same function over the same accounts).
    let health = match price(c, m, OracleUse::Margin) {
        Ok(px) => {
            let now = c.b.now()?;
            let collateral = options_amm::book::margin::net_collateral_whole(&acc, qd)
                .map_err(|e| e.to_string())?;
            let mut levels = serde_json::Map::new();
            for (name, level) in [("initial", Level::Initial), ("maintenance", Level::Maintenance)]
            {
                let mut total = options_amm::math::margin::MarginTotals::default();
                for p in &acc.positions[..acc.num_positions as usize] {
                    let pos: Position = load(c, p, "position")?;
                    let b: Board = load(c, &pos.board, "board")?;
                    let t = options_amm::book::margin::position_margin(
                        m, &pos, &b, now, &px, level, false,
                    )
                    .map_err(|e| e.to_string())?;
                    total.add(t).map_err(|e| e.to_string())?;
                }
                let excess = total.excess(collateral).map_err(|e| e.to_string())?;
                levels.insert(
                    name.into(),
                    json!({ "requirement": fx(total.requirement), "excess": fx(excess) }),
                );
            }
            let liquidatable = levels["maintenance"]["excess"].as_f64().unwrap_or(0.0) < 0.0;
            levels.insert("liquidatable".into(), json!(liquidatable));
            Value::Object(levels)
        }
        Err(e) => json!({ "unknown": e.to_string() }),
    };
    let wallet = balance(c, &ata(owner, &k.quote_mint, &k.quote_token_program)).unwrap_or(0);
    Ok(json!({
        "owner": owner.to_string(),
        "wallet": { "quote": units(wallet, qd) },
        "collateral": units(acc.collateral, qd),
        "open_series": acc.open_series,
        "positions": positions,
        "health": health,
    }))
}
