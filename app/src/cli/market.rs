//! `market show` and `market params`: the market as anyone can read it.

use crate::backend::Result;
use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use options_amm::book::fill::{realised_vol_tripped, surface_is_stale};
use options_amm::state::{Board, Market, RiskParams, FIELDS, JUNIOR, SENIOR};
use serde_json::{json, Value};

use super::*;

#[derive(Subcommand)]
pub enum MarketCmd {
    /// Parameters, books, utilisation, greeks, NAV per tranche, boards, and vol: realised vol,
    /// the vol feed, each active board's surface, time-weighted and mark vols.
    Show,
    /// The market's risk parameters (the reference set with `--reference`) as the IDL names
    /// them, nested and camelCase: the `params` of migrations/deploy.ts's parameter file.
    Params {
        #[arg(long)]
        reference: bool,
    },
}

// ---------------------------------------------------------------- market show

/// `RiskParams` as nested camelCase JSON, from the one `FIELDS` table (numbers above 2^53 as
/// strings, which JavaScript cannot hold exactly).
pub(crate) fn params_json(p: &RiskParams) -> Value {
    fn camel(s: &str) -> String {
        let mut out = String::new();
        let mut up = false;
        for ch in s.chars() {
            if ch == '_' {
                up = true;
            } else if up {
                out.extend(ch.to_uppercase());
                up = false;
            } else {
                out.push(ch);
            }
        }
        out
    }
    let mut root = serde_json::Map::new();
    for ((name, _, _), v) in FIELDS.iter().zip(p.values()) {
        let value = if v > (1u64 << 53) { json!(v.to_string()) } else { json!(v) };
        match name.split_once('.') {
            Some((group, field)) => {
                let g = root.entry(camel(group)).or_insert_with(|| json!({}));
                g[camel(field)] = value;
            }
            None => {
                root.insert(camel(name), value);
            }
        }
    }
    Value::Object(root)
}

/// `market show`'s `vol`: the realised-vol estimate, the vol feed (in force and pending) and,
/// per active board, its surface as of `now`: each strike's posted vol, time-weighted vol and
/// mark vol, and whether the surface is stale and the realised-vol breaker tripped, each from
/// the program's own function.
pub(crate) fn vol_json(m: &Market, boards: &[(Pubkey, Board)], now: i64) -> Result<Value> {
    let window = m.params.vol.mark_window_secs;
    let mut list = vec![];
    for (key, b) in boards.iter().filter(|(_, b)| b.is_active()) {
        let mut strikes = vec![];
        for st in &b.strikes[..b.num_strikes as usize] {
            let implied = st.base_vol.get();
            strikes.push(json!({
                "strike": fx(st.strike.get()),
                "base_vol": fx(implied),
                "avg_vol": fx(b.avg_vol_at(st, now, window)?),
                "mark_vol": fx(st.mark_vol.get()),
                "breaker_tripped": realised_vol_tripped(m, implied)?,
            }));
        }
        list.push(json!({
            "board": key.to_string(),
            "expiry": b.expiry_ts,
            "vol_posted_ts": b.vol_posted_ts,
            "surface_stale": surface_is_stale(m, b, now),
            "strikes": strikes,
        }));
    }
    // Pending by its time (a pending change to no feed has the default key).
    let pending = match m.vol_feed_eta {
        0 => Value::Null,
        eta => json!({ "feed": feed_json(&m.pending_vol_feed), "executable_at": eta }),
    };
    Ok(json!({
        "realised_vol": realised_vol_json(m),
        "feed": feed_json(&m.vol_feed),
        "pending_feed": pending,
        "boards": list,
    }))
}

pub(crate) fn market_show(c: &mut Ctx) -> Result<Value> {
    let (k, m) = market(c)?;
    let (qd, ud) = (m.quote_decimals, m.underlying_decimals);
    let s = spot(c, &m)?;
    let (nav, values) = tranche_values(c, &m)?;
    let mut tranches = vec![];
    for t in [SENIOR, JUNIOR] {
        let shares = supply(c, &k.share_mints[t as usize])?;
        let value = values.get(t);
        tranches.push(json!({
            "tranche": if t == SENIOR { "senior" } else { "junior" },
            "nav": units(value, qd),
            "share_supply": units(shares, qd + SHARE_DECIMALS_OFFSET),
            "share_price": if shares == 0 { 0.0 } else { value as f64 / shares as f64 * 1000.0 },
        }));
    }
    let params: serde_json::Map<String, Value> = FIELDS
        .iter()
        .zip(m.params.values())
        .map(|((n, _, _), v)| (n.to_string(), json!(v)))
        .collect();
    let now = c.b.now()?;
    let all = boards(c, &k.market)?;
    let mut list = vec![];
    for (key, b) in &all {
        let strikes: Vec<Value> = b.strikes[..b.num_strikes as usize]
            .iter()
            .map(|st| {
                json!({
                    "strike": fx(st.strike.get()),
                    "base_vol": fx(st.base_vol.get()),
                    "mark": { "call": fx(st.mark[0].get()), "put": fx(st.mark[1].get()) },
                    "vault_position": {
                        "call": signed_units(st.vault_position[0], ud),
                        "put": signed_units(st.vault_position[1], ud),
                    },
                })
            })
            .collect();
        list.push(json!({
            "board": key.to_string(),
            "expiry": b.expiry_ts,
            "status": format!("{:?}", b.status().map_err(|e| e.to_string())?).to_lowercase(),
            "refreshed": b.refreshed_ts,
            "strikes": strikes,
        }));
    }
    let utilisation = if m.lp_quote == 0 { 0.0 } else { m.locked_quote as f64 / m.lp_quote as f64 };
    Ok(json!({
        "market": k.market.to_string(),
        "spot": fx(s),
        "now": now,
        "paused": pause_names(m.paused),
        "nav": units(u64::try_from(nav.max(0)).unwrap_or(0), qd),
        "tranches": tranches,
        "books": {
            "lp_quote": units(m.lp_quote, qd),
            "lp_underlying": units(m.lp_underlying, ud),
            "locked_quote": units(m.locked_quote, qd),
            "utilisation": utilisation,
            "trader_collateral": units(m.trader_collateral, qd),
            "protocol_fees": units(m.protocol_fees, qd),
            "lp_fees": units(m.lp_fees, qd),
            "bad_debt_total": units(m.bad_debt_total, qd),
            "liquidation_penalties_net": signed_units(m.liquidation_penalties_net, qd),
        },
        "greeks": { "net_delta": fx(m.net_delta.get()), "net_gamma": fx(m.net_gamma.get()), "net_vega": fx(m.net_vega.get()) },
        "pending_params_eta": m.pending_eta,
        "params": params,
        "boards": list,
        "vol": vol_json(&m, &all, now)?,
    }))
}
