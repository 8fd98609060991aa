//! `options-amm quote`: what the program would charge (or pay) for a trade against the vault,
//! computed by the program's own fill (`options_amm::math::fill`), to the token unit.

use crate::decimal::{parse_fx, parse_secs};
use clap::{Args, ValueEnum};
use options_amm::math::fill::{fill, Fill, FillInputs};
use options_amm::state::{RiskParams, CALL, PUT};
use options_amm_pricing::{Fx, Inventory, Side};
use serde_json::{json, Value};
use std::io::Write;

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    Call,
    Put,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TradeSide {
    Buy,
    Sell,
}

#[derive(Args)]
pub struct QuoteArgs {
    /// Oracle spot, quote per underlying (decimal).
    #[arg(long)]
    spot: String,
    /// Oracle confidence interval, quote per underlying.
    #[arg(long, default_value = "0")]
    conf: String,
    #[arg(long)]
    strike: String,
    /// The strike's base implied vol (0.8 = 80%).
    #[arg(long)]
    vol: String,
    /// Risk-free rate (0.05 = 5%); whole basis points.
    #[arg(long, default_value = "0.05")]
    rate: String,
    #[arg(long)]
    expiry_secs: String,
    #[arg(long, value_enum)]
    kind: Kind,
    /// The trader's side.
    #[arg(long, value_enum)]
    side: TradeSide,
    /// Contracts, in whole units of underlying (decimal).
    #[arg(long)]
    size: String,
    /// The vault's aggregates before the trade.
    #[arg(long, default_value = "0", allow_negative_numbers = true)]
    net_delta: String,
    #[arg(long, default_value = "0", allow_negative_numbers = true)]
    net_gamma: String,
    #[arg(long, default_value = "0", allow_negative_numbers = true)]
    net_vega: String,
    /// The pool's quote and its locks (for the lock charge a buy pays when it raises them).
    #[arg(long, default_value = "1000000")]
    pool: String,
    #[arg(long, default_value = "0")]
    locked: String,
    #[arg(long, default_value = "9")]
    underlying_decimals: u8,
    #[arg(long, default_value = "6")]
    quote_decimals: u8,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Decimal whole units to raw units; the amount must be a whole number of raw units.
pub fn to_raw(text: &str, decimals: u8, what: &str) -> Result<u64, String> {
    let v = parse_fx(text)?;
    let scaled = v
        .checked_mul(Fx::from_num(10u64.pow(decimals as u32)))
        .ok_or(format!("{what} too large"))?;
    let rounded = scaled.round();
    if (scaled - rounded).abs() > Fx::from_num(0.000001) || rounded <= 0 {
        return Err(format!(
            "{what} must be positive and a whole number of raw units ({decimals} decimals)"
        ));
    }
    rounded.checked_to_num::<u64>().ok_or(format!("{what} too large"))
}

pub fn compute(args: &QuoteArgs) -> Result<(Fill, FillInputs), String> {
    let rate = parse_fx(&args.rate)?;
    // Decimal text is rounded to the nearest 2^-64, so allow that much off a whole bp.
    let rate_bps_fx = (rate * 10_000).round();
    if (rate * 10_000 - rate_bps_fx).abs() > Fx::from_num(0.000001) || rate < 0 {
        return Err("rate must be a whole number of basis points, >= 0".into());
    }
    let reference = RiskParams::reference();
    let inputs = FillInputs {
        kind: match args.kind {
            Kind::Call => CALL,
            Kind::Put => PUT,
        },
        side: match args.side {
            TradeSide::Buy => Side::Buy,
            TradeSide::Sell => Side::Sell,
        },
        size: to_raw(&args.size, args.underlying_decimals, "size")?,
        strike: parse_fx(&args.strike)?,
        base_vol: parse_fx(&args.vol)?,
        spot: parse_fx(&args.spot)?,
        spot_conf: parse_fx(&args.conf)?,
        now: 0,
        expiry_ts: parse_secs(&args.expiry_secs)? as i64,
        inventory: Inventory {
            net_delta: parse_fx(&args.net_delta)?,
            net_gamma: parse_fx(&args.net_gamma)?,
            net_vega: parse_fx(&args.net_vega)?,
        },
        rate_bps: rate_bps_fx.checked_to_num::<u32>().ok_or("rate too large")?,
        underlying_decimals: args.underlying_decimals,
        quote_decimals: args.quote_decimals,
        cap_bps: reference.trading.call_cap_multiple_bps,
        position: 0,
        open_interest: 0,
        pool_quote: to_raw(&args.pool, args.quote_decimals, "pool")?,
        locked_quote: if args.locked == "0" {
            0
        } else {
            to_raw(&args.locked, args.quote_decimals, "locked")?
        },
        max_utilisation_bps: reference.max_utilisation_bps,
        extra_spread_vol: Fx::ZERO,
        floor_vol: None,
    };
    let f = fill(&inputs, &reference.trading).map_err(|e| e.to_string())?;
    Ok((f, inputs))
}

pub fn run(args: &QuoteArgs, out: &mut dyn Write) -> Result<(), String> {
    let (f, i) = compute(args)?;
    let fees = f.fee_protocol + f.fee_lp;
    // What the trade costs in all (a buy) or brings after fees (a sale), as `trader quote`
    // names it; a sale whose fees exceed its premium is refused by the fill (`NoBid`).
    let total = match i.side {
        Side::Buy => f.premium as i128 + fees as i128,
        Side::Sell => f.premium as i128 - fees as i128,
    };
    let io = |e: std::io::Error| e.to_string();
    if args.json {
        let num = |x: Fx| -> Value { x.to_string().parse().expect("Fx prints as a decimal") };
        // Amounts in whole quote tokens, as every command prints them; `_raw` the exact
        // integer in the token's raw units.
        let qd = i.quote_decimals as i32;
        let whole = |raw: i128| -> Value { json!(raw as f64 / 10f64.powi(qd)) };
        let v = json!({
            "premium": whole(f.premium as i128),
            "premium_raw": f.premium,
            "fee_protocol": whole(f.fee_protocol as i128),
            "fee_protocol_raw": f.fee_protocol,
            "fee_lp": whole(f.fee_lp as i128),
            "fee_lp_raw": f.fee_lp,
            "total": whole(total),
            "total_raw": total,
            "fee_lock": whole(f.fee_lock as i128),
            "fee_lock_raw": f.fee_lock,
            "inventory_charge": num(f.quote.inventory_charge),
            "spread": num(f.quote.spread),
            "mark": num(f.greeks.price),
            "delta": num(f.greeks.delta),
            "gamma": num(f.greeks.gamma),
            "vega": num(f.greeks.vega),
            "post_net_delta": num(f.quote.post.net_delta),
            "post_net_gamma": num(f.quote.post.net_gamma),
            "post_net_vega": num(f.quote.post.net_vega),
        });
        writeln!(out, "{v}").map_err(io)?;
    } else {
        let unit = Fx::from_num(10u64.pow(i.quote_decimals as u32));
        let whole = |raw: i128| Fx::from_num(raw) / unit;
        writeln!(
            out,
            "quote (reference parameters; amounts in quote tokens, raw units in brackets)"
        )
        .map_err(io)?;
        writeln!(out, "  premium        {:>20.6}  [{}]", whole(f.premium as i128), f.premium)
            .map_err(io)?;
        writeln!(
            out,
            "  fee protocol   {:>20.6}  [{}]",
            whole(f.fee_protocol as i128),
            f.fee_protocol
        )
        .map_err(io)?;
        writeln!(out, "  fee LP         {:>20.6}  [{}]", whole(f.fee_lp as i128), f.fee_lp)
            .map_err(io)?;
        writeln!(out, "  {:<14} {:>20.6}  [{}]", "total", whole(total), total).map_err(io)?;
        writeln!(out, "  of which lock  {:>20.6}  [{}]", whole(f.fee_lock as i128), f.fee_lock)
            .map_err(io)?;
        writeln!(
            out,
            "  inventory      {:>20.6}  (change of the potential)",
            f.quote.inventory_charge
        )
        .map_err(io)?;
        writeln!(out, "  spread         {:>20.6}  (base vol {})", f.quote.spread, i.base_vol)
            .map_err(io)?;
        writeln!(out, "  mark           {:>20.6}  per contract at the base vol", f.greeks.price)
            .map_err(io)?;
        writeln!(out, "  delta          {:>20.6}", f.greeks.delta).map_err(io)?;
        writeln!(
            out,
            "  vault after    delta {:.4}  gamma {:.6}  vega {:.4}",
            f.quote.post.net_delta, f.quote.post.net_gamma, f.quote.post.net_vega
        )
        .map_err(io)?;
    }
    Ok(())
}
