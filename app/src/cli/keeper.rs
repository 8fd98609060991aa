//! Keeper commands: realised vol, refresh, settle, hedge and liquidate, one pass or a loop
//! (`keeper run`).

use crate::backend::Result;
use anchor_lang::{AccountDeserialize, Discriminator};
use clap::Subcommand;
use options_amm::client::{self, pda};
use options_amm::state::{Board, BoardStatus, MarginAccount, Market, Position, CALL, PUT};
use options_amm_pricing::Fx;
use serde_json::{json, Value};
use solana_sdk::signature::Signer;

use super::*;

#[derive(Subcommand)]
pub enum Keeper {
    /// Enters the oracle's current print into the market's realised-vol estimate (one
    /// `update_vol`); refused with `VolAlreadyCurrent` when the estimate has seen it already.
    UpdateVol,
    /// Refreshes every unsettled, unexpired board.
    Refresh,
    /// Hedges the vault's delta back inside its band (you trade underlying with the vault).
    Rebalance,
    /// Liquidates under-margined accounts (as many contracts as allowed, one series each time).
    Liquidate,
    /// Settles expired boards and every position on them.
    Settle,
    /// All of the above, every `--interval` seconds (`--iterations 0`: forever).
    Run {
        #[arg(long, default_value = "10")]
        interval: u64,
        #[arg(long, default_value = "0")]
        iterations: u64,
    },
}

// ---------------------------------------------------------------- keeper

/// The realised-vol estimate as printed: the vol (a fraction a year), the seconds of prints it
/// spans, whether it is mature (the program's own test: only then does it floor buys and trip
/// the breaker) and the publish time of the last print it has seen (0: none yet).
pub(crate) fn realised_vol_json(m: &Market) -> Value {
    let est = m.realised_vol.get();
    json!({
        "vol": fx(est.vol),
        "span_secs": est.span_secs,
        "mature": m.mature_realised_vol().is_some(),
        "publish_time": est.publish_time,
    })
}

/// `keeper update-vol`: one `update_vol`; a refusal (`VolAlreadyCurrent` above all) is the
/// program's error.
pub(crate) fn update_vol(c: &mut Ctx) -> Result<Value> {
    let (k, _) = market(c)?;
    let me = c.b.user().pubkey();
    c.b.send(&[client::update_vol(&k, &me)], &[])?;
    let m: Market = load(c, &k.market, "market")?;
    Ok(json!({ "realised_vol": realised_vol_json(&m) }))
}

/// One keeper pass: enter the oracle's new print into realised vol, refresh stale boards,
/// settle expired ones and their positions, hedge, liquidate. Each action is its own
/// transaction; refusals are reported, not fatal.
pub(crate) fn keeper_pass(c: &mut Ctx, what: &Keeper) -> Result<Value> {
    let (k, m) = market(c)?;
    let me = c.b.user().pubkey();
    let now = c.b.now()?;
    let mut done = serde_json::Map::new();
    let mut note = |key: &str, v: Value| {
        done.entry(key.to_string()).or_insert_with(|| json!([])).as_array_mut().unwrap().push(v)
    };
    let all = matches!(what, Keeper::Run { .. });
    // First, so that the new print is the crank's to enter (a refresh would enter it too).
    if all {
        let r = c.b.send(&[client::update_vol(&k, &me)], &[]);
        // The estimate has seen this print already: nothing to do.
        if !matches!(&r, Err(e) if e.is_program("VolAlreadyCurrent")) {
            let m: Market = load(c, &k.market, "market")?;
            note(
                "update_vol",
                json!({ "realised_vol": realised_vol_json(&m), "result": outcome(&r) }),
            );
        }
    }
    if all || matches!(what, Keeper::Refresh) {
        for (board, b) in boards(c, &k.market)? {
            if b.is_active() && now < b.expiry_ts {
                let r = c.b.send(&[client::refresh_board(&k, &me, &board)], &[]);
                note("refresh", json!({ "board": board.to_string(), "result": outcome(&r) }));
            }
        }
    }
    if all || matches!(what, Keeper::Settle) {
        for (board, b) in boards(c, &k.market)? {
            if b.is_active() && now >= b.expiry_ts {
                let r = c.b.send(&[client::settle_board(&k, &me, &board)], &[]);
                note("settle_board", json!({ "board": board.to_string(), "result": outcome(&r) }));
            }
        }
        for (key, a) in c.b.program_accounts(Position::DISCRIMINATOR)? {
            let p = Position::try_deserialize(&mut a.data.as_slice()).map_err(|e| e.to_string())?;
            if p.market != k.market {
                continue;
            }
            let b: Board = load(c, &p.board, "board")?;
            let margin = pda::margin(&k.market, &p.owner);
            let registered = load::<MarginAccount>(c, &margin, "margin account")
                .map(|acc| acc.positions[..acc.num_positions as usize].contains(&key))
                .unwrap_or(false);
            if b.status == BoardStatus::Settled as u8 && registered {
                let owner_quote = ata(&p.owner, &k.quote_mint, &k.quote_token_program);
                let mut ixs = vec![];
                if c.b.account(&owner_quote)?.is_none() {
                    ixs.push(create_ata(&me, &p.owner, &k.quote_mint, &k.quote_token_program));
                }
                ixs.push(client::settle_position(&k, &me, &p.board, &p.owner, &owner_quote));
                let r = c.b.send(&ixs, &[]);
                note(
                    "settle_position",
                    json!({ "owner": p.owner.to_string(), "result": outcome(&r) }),
                );
            }
        }
    }
    if all || matches!(what, Keeper::Rebalance) {
        let m: Market = load(c, &k.market, "market")?;
        let band = Fx::from_num(m.params.hedge.delta_band_micro) / 1_000_000;
        let delta = m.net_delta.get();
        if delta.abs() > band && !(delta > 0 && m.lp_underlying == 0) {
            // Back to the band's edge, at most the largest rebalance.
            let units_fx = delta.abs() - band;
            let raw = (units_fx * Fx::from_num(10u64.pow(m.underlying_decimals as u32)))
                .to_num::<u64>()
                .min(m.params.hedge.max_rebalance_size);
            // A long vault sells underlying it holds; it never goes short the underlying.
            let raw = if delta > 0 { raw.min(m.lp_underlying) } else { raw };
            let ku = ata(&me, &k.underlying_mint, &k.underlying_token_program);
            let kq = ata(&me, &k.quote_mint, &k.quote_token_program);
            let boards = active(c, &k.market)?;
            let mut ixs = vec![];
            for (acc, mint, program) in [
                (ku, k.underlying_mint, k.underlying_token_program),
                (kq, k.quote_mint, k.quote_token_program),
            ] {
                if c.b.account(&acc)?.is_none() {
                    ixs.push(create_ata(&me, &me, &mint, &program));
                }
            }
            // The program prices the hedge (oracle less the keeper's discount): accept it.
            let limit = if delta < 0 { 0 } else { u64::MAX };
            ixs.push(client::rebalance(&k, &me, &ku, &kq, raw, limit, &boards));
            let r = c.b.send(&ixs, &[]);
            note(
                "rebalance",
                json!({ "net_delta": fx(delta), "amount": units(raw, m.underlying_decimals), "result": outcome(&r) }),
            );
        }
    }
    if all || matches!(what, Keeper::Liquidate) {
        let lw = wallet(&k, &me);
        for (key, a) in c.b.program_accounts(MarginAccount::DISCRIMINATOR)? {
            let acc = MarginAccount::try_deserialize(&mut a.data.as_slice())
                .map_err(|e| e.to_string())?;
            if acc.market != k.market || acc.owner == me {
                continue;
            }
            let pairs = margin_pairs(c, &k, &acc.owner)?;
            // The first short series on an unexpired board; as many contracts as the program
            // allows, found by halving from the whole short.
            'series: for (p, board) in &pairs {
                let pos: Position = load(c, p, "position")?;
                let b: Board = load(c, board, "board")?;
                if !b.is_active() || now >= b.expiry_ts {
                    continue;
                }
                for i in 0..b.num_strikes as usize {
                    for kd in [CALL, PUT] {
                        let short = pos.sizes[i][kd as usize];
                        if short >= 0 {
                            continue;
                        }
                        let mut size = short.unsigned_abs();
                        while size > 0 {
                            let mut ixs = vec![];
                            if c.b.account(&lw.quote)?.is_none() {
                                ixs.push(create_ata(
                                    &me,
                                    &me,
                                    &k.quote_mint,
                                    &k.quote_token_program,
                                ));
                            }
                            ixs.push(client::liquidate(
                                &k, board, &acc.owner, &lw, i as u8, kd, size, &pairs,
                            ));
                            let r = c.b.send(&ixs, &[]);
                            match &r {
                                Err(e) if e.is_program("LiquidationTooLarge") => size /= 2,
                                // A healthy account is the common case: nothing to report.
                                Err(e) if e.is_program("AccountHealthy") => break 'series,
                                _ => {
                                    note(
                                        "liquidate",
                                        json!({ "owner": acc.owner.to_string(), "margin": key.to_string(), "size": units(size, m.underlying_decimals), "result": outcome(&r) }),
                                    );
                                    break 'series;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(Value::Object(done))
}

pub(crate) fn outcome(r: &Result<Vec<String>>) -> Value {
    match r {
        Ok(_) => json!("ok"),
        Err(e) => json!(format!("refused: {e}")),
    }
}

pub(crate) fn keeper(c: &mut Ctx, cmd: Keeper) -> Result<Value> {
    if let Keeper::UpdateVol = cmd {
        return update_vol(c);
    }
    let Keeper::Run { interval, iterations } = cmd else { return keeper_pass(c, &cmd) };
    let mut n = 0;
    loop {
        let pass = keeper_pass(c, &Keeper::Run { interval, iterations })?;
        // One line a pass as it goes (JSON with --json), then a summary.
        if c.g.json {
            out(&json!({ "pass": n, "done": pass }).to_string());
        } else {
            out(&format!("pass {n}:"));
            human(&pass);
        }
        n += 1;
        if iterations != 0 && n >= iterations {
            break;
        }
        // Between passes the world is written back and let go (other commands on the same
        // state directory run meanwhile), then opened again: the next pass sees their
        // transactions. A local world's clock moves only with `dev warp`; a cluster's by itself.
        c.b.finish()?;
        c.b.release();
        std::thread::sleep(std::time::Duration::from_secs(interval));
        *c = open(&c.g.clone())?;
    }
    Ok(json!({ "passes": n }))
}
