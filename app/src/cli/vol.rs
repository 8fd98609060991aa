//! The vol feed's command: posts a board's surface from a file (`vol post`).
//!
//! The file is CSV, one strike a line: `strike,vol_pct` (vol in percent a year, `80` = 80%) or
//! `strike,vol` (a fraction a year, `0.8`, as everywhere else in the CLI); the first line is
//! that header and names the unit. Blank lines and lines starting with `#` are skipped. Each of
//! the board's strikes appears once, in any order; vols are sent in millionths (at most four
//! decimals of a percent, six of a fraction). Anything else is refused by line before anything
//! is sent; what the surface must satisfy on chain (range, step, no arbitrage) the program
//! judges, by name.

use crate::backend::Result;
use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use options_amm::client::{self, MarketKeys};
use options_amm::state::Board;
use options_amm_pricing::Fx;
use serde_json::{json, Value};
use solana_sdk::signature::Signer;
use std::path::PathBuf;

use super::*;

#[derive(Subcommand)]
pub enum Vol {
    /// Posts a board's surface (you must be the market's vol feed): one vol per strike from
    /// `--file`, CSV `strike,vol_pct` (percent) or `strike,vol` (fraction), header first.
    Post {
        /// The board: its expiry (unix seconds) or its address.
        #[arg(long)]
        board: String,
        /// CSV: the header `strike,vol_pct` or `strike,vol`, then `strike,vol` a line.
        #[arg(long)]
        file: PathBuf,
    },
}

// ---------------------------------------------------------------- vol feed

/// The board `text` names: an expiry (unix seconds) or a board address of this market.
pub(crate) fn board_named(c: &mut Ctx, k: &MarketKeys, text: &str) -> Result<(Pubkey, Board)> {
    if let Ok(expiry) = text.parse::<i64>() {
        return board_for(c, k, Some(expiry));
    }
    let key: Pubkey = text
        .parse()
        .map_err(|_| CliError::Input(format!("--board: an expiry or a board address: {text}")))?;
    boards(c, &k.market)?.into_iter().find(|(b, _)| *b == key).ok_or_else(|| {
        CliError::Input(format!("no board {key} in this market (see `market show`)"))
    })
}

/// A surface file's vols in millionths, one per strike of `strikes` (the board's, ascending),
/// in their order; errors name the 1-based line.
pub(crate) fn parse_surface(text: &str, strikes: &[Fx]) -> std::result::Result<Vec<u64>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let header = lines.next().map(|(n, l)| (n, l.replace(' ', "")));
    // Millionths of a vol per unit of the file's column.
    let scale: i128 = match header.as_ref().map(|(_, h)| h.as_str()) {
        Some("strike,vol_pct") => 10_000,
        Some("strike,vol") => 1_000_000,
        _ => {
            let n = header.map_or(1, |(n, _)| n);
            return Err(format!(
                "line {n}: the first line must be the header `strike,vol_pct` (vols in percent) \
                 or `strike,vol` (fractions)"
            ));
        }
    };
    let unit = if scale == 10_000 { "vol_pct" } else { "vol" };
    let mut vols: Vec<Option<(usize, u64)>> = vec![None; strikes.len()];
    for (n, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [strike, vol] = fields[..] else {
            return Err(format!(
                "line {n}: expected 2 fields (strike,{unit}), found {}",
                fields.len()
            ));
        };
        // As listed: the decimal in millionths, then the program's own `micro` (135.1 is not
        // the nearest fixed-point number to 135.1 on chain but `micro(135_100_000)`).
        let k = crate::decimal::parse_fx(strike)
            .map_err(|e| format!("line {n}: strike: {e}"))?
            .checked_mul_int(1_000_000)
            .and_then(|m| m.round().checked_to_num::<u64>())
            .map(options_amm::math::value::micro);
        let i = strikes.iter().position(|s| Some(*s) == k).ok_or_else(|| {
            let list: Vec<String> = strikes.iter().map(|s| fx(*s).to_string()).collect();
            format!("line {n}: the board has no strike {strike} (its strikes: {})", list.join(", "))
        })?;
        if let Some((first, _)) = vols[i] {
            return Err(format!("line {n}: strike {strike} again (first on line {first})"));
        }
        let v = crate::decimal::parse_fx(vol).map_err(|e| format!("line {n}: {unit}: {e}"))?;
        let scaled = v
            .checked_mul_int(scale)
            .ok_or_else(|| format!("line {n}: {unit} {vol} is out of range"))?;
        let micro = scaled.round();
        // Decimal text is rounded to the nearest 2^-64: allow that much off a millionth.
        if (scaled - micro).abs() > Fx::from_bits(1 << 32) {
            return Err(format!("line {n}: {unit} {vol} is finer than a millionth of a vol"));
        }
        let micro = micro
            .checked_to_num::<u64>()
            .filter(|&m| m > 0)
            .ok_or_else(|| format!("line {n}: {unit} {vol} must be above zero"))?;
        vols[i] = Some((n, micro));
    }
    strikes
        .iter()
        .zip(vols)
        .map(|(s, v)| v.map(|(_, m)| m).ok_or_else(|| format!("no vol for strike {}", fx(*s))))
        .collect()
}

pub(crate) fn vol(c: &mut Ctx, cmd: Vol) -> Result<Value> {
    let me = c.b.user().pubkey();
    match cmd {
        Vol::Post { board, file } => {
            let (k, _) = market(c)?;
            let (key, b) = board_named(c, &k, &board)?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?;
            let strikes: Vec<Fx> =
                b.strikes[..b.num_strikes as usize].iter().map(|s| s.strike.get()).collect();
            let vols = parse_surface(&text, &strikes)
                .map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?;
            c.b.send(&[client::post_vol_surface(&k, &me, &key, vols)], &[])?;
            let b: Board = load(c, &key, "board")?;
            let surface: Vec<Value> = b.strikes[..b.num_strikes as usize]
                .iter()
                .map(|s| json!({ "strike": fx(s.strike.get()), "vol": fx(s.base_vol.get()) }))
                .collect();
            Ok(json!({
                "board": key.to_string(),
                "expiry": b.expiry_ts,
                "posted_at": b.vol_posted_ts,
                "surface": surface,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As `gov create-board` lists them (in millionths), one not a whole number.
    fn strikes() -> Vec<Fx> {
        [130_000_000, 140_100_000, 150_000_000, 160_000_000, 170_000_000]
            .map(options_amm::math::value::micro)
            .to_vec()
    }

    #[test]
    fn a_surface_file_is_read_in_the_boards_strike_order_in_either_unit() {
        let pct = "strike,vol_pct\n150,88\n# wings\n130,85.5\n\n170, 85\n140.1,72.0001\n160,72\n";
        assert_eq!(
            parse_surface(pct, &strikes()).unwrap(),
            vec![855_000, 720_001, 880_000, 720_000, 850_000]
        );
        let frac = "strike, vol\n130,0.855\n140.1,0.720001\n150,0.88\n160,0.72\n170,0.85\n";
        assert_eq!(parse_surface(frac, &strikes()), parse_surface(pct, &strikes()));
    }

    #[test]
    fn a_bad_surface_file_is_refused_by_line() {
        let all = "130,80\n140.1,80\n150,80\n160,80\n170,80\n";
        let with = |header: &str, body: &str| parse_surface(&format!("{header}{body}"), &strikes());
        let e = with("", all).unwrap_err();
        assert!(e.starts_with("line 1: the first line must be the header"), "{e}");
        for (body, want) in [
            (
                "130,80\n145,80\n",
                "line 3: the board has no strike 145 (its strikes: 130, 140.1, 150",
            ),
            ("140,80\n", "line 2: the board has no strike 140 (its strikes"),
            ("130,80\n130,81\n", "line 3: strike 130 again (first on line 2)"),
            ("130,80,1\n", "line 2: expected 2 fields (strike,vol_pct), found 3"),
            ("130,abc\n", "line 2: vol_pct: not a decimal number"),
            ("130,0\n", "line 2: vol_pct 0 must be above zero"),
            ("130,-5\n", "line 2: vol_pct -5 must be above zero"),
            ("130,80.00001\n", "line 2: vol_pct 80.00001 is finer than a millionth of a vol"),
            ("130,1e30\n", "line 2: vol_pct: number out of range"),
            ("130,80\n140.1,80\n150,80\n160,80\n", "no vol for strike 170"),
        ] {
            let e = with("strike,vol_pct\n", body).unwrap_err();
            assert!(e.starts_with(want), "{body:?}: {e}");
        }
        let e = with("strike,vol\n", "130,0.8000001\n").unwrap_err();
        assert!(e.starts_with("line 2: vol 0.8000001 is finer than a millionth"), "{e}");
    }
}
