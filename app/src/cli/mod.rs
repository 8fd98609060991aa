//! Commands for every user: traders, LPs, keepers, governance, the vol feed, and `market show`;
//! plus `dev` commands that only the embedded (local) world allows: mints, prices, the clock.
//! Amounts are decimals in whole tokens; every instruction comes from `options_amm::client` and every
//! number the program would compute (fills, NAV) from the program crate's own functions.
//!
//! Split by caller as the program is: `chain` reads accounts and builds the common pieces,
//! then one module per user group.

pub(crate) mod chain;
pub(crate) mod dev;
pub(crate) mod gov;
pub(crate) mod keeper;
pub(crate) mod lp;
pub(crate) mod market;
pub(crate) mod trader;
pub(crate) mod vol;

use crate::backend::{self, Backend, Embedded, Result, Rpc};
use crate::error::CliError;
use anchor_lang::prelude::Pubkey;
use chain::*;
use clap::{Args, Subcommand};
use dev::*;
use gov::*;
use keeper::*;
use lp::*;
use market::*;
use options_amm::constants::SHARE_DECIMALS_OFFSET;
use options_amm::state::RiskParams;
use serde_json::{json, Value};
use solana_sdk::signature::{Keypair, Signer};
use std::path::PathBuf;
use trader::*;
use vol::*;

pub use dev::Dev;
pub use gov::Gov;
pub use keeper::Keeper;
pub use lp::Lp;
pub use market::MarketCmd;
pub use trader::Trader;
pub use vol::Vol;

/// Where and as whom a command runs.
#[derive(Args, Clone)]
pub struct Global {
    /// JSON-RPC URL of a cluster; without it, the embedded runtime in `--state`.
    #[arg(long, global = true)]
    url: Option<String>,
    /// Keypair file (default ~/.config/solana/id.json; embedded: <state>/id.json, created).
    #[arg(long, global = true)]
    keypair: Option<PathBuf>,
    /// Directory of the embedded world and of the CLI's default market.
    #[arg(long, global = true, default_value = ".options-amm")]
    state: PathBuf,
    /// The market (default: the one recorded in --state by `dev init` or `gov create-market`).
    #[arg(long, global = true)]
    market: Option<Pubkey>,
    /// Print one JSON object.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// With --url: the commitment a send waits for (processed, confirmed, finalized).
    #[arg(long, global = true)]
    commitment: Option<String>,
    /// With --url: a compute-unit limit for each transaction (a compute-budget instruction).
    #[arg(long, global = true)]
    compute_unit_limit: Option<u32>,
    /// With --url: a priority fee, in micro-lamports per compute unit.
    #[arg(long, global = true)]
    priority_fee: Option<u64>,
}

/// A user group's command with the options every such command takes.
#[derive(Args)]
pub struct With<T: Subcommand> {
    #[command(flatten)]
    pub g: Global,
    #[command(subcommand)]
    pub cmd: T,
}

pub enum Group {
    Dev(Dev),
    Market(MarketCmd),
    Lp(Lp),
    Trader(Trader),
    Keeper(Keeper),
    Gov(Gov),
    Vol(Vol),
}

/// A command's context: the backend and the market it acts on.
pub(crate) struct Ctx {
    pub(crate) b: Box<dyn Backend>,
    pub(crate) g: Global,
}

impl Ctx {
    /// Commands against a local world already open (the simulation drives every user's
    /// commands through one), with the market recorded in `state`.
    pub(crate) fn local(e: Embedded, state: PathBuf) -> Ctx {
        let g = Global {
            url: None,
            keypair: None,
            state,
            market: None,
            json: true,
            commitment: None,
            compute_unit_limit: None,
            priority_fee: None,
        };
        Ctx { b: Box::new(e), g }
    }

    /// The local world (the simulation's and `dev` commands' privileges).
    pub(crate) fn world(&mut self) -> Result<&mut Embedded> {
        self.b.embedded().ok_or_else(|| "this needs the embedded world (no --url)".into())
    }
}

fn home_keypair() -> PathBuf {
    let home = std::env::var_os("HOME").unwrap_or_default();
    PathBuf::from(home).join(".config/solana/id.json")
}

pub(crate) fn open(g: &Global) -> Result<Ctx> {
    let b: Box<dyn Backend> = match &g.url {
        Some(url) => {
            let path = g.keypair.clone().unwrap_or_else(home_keypair);
            let options = backend::SendOptions {
                commitment: g.commitment.clone(),
                compute_unit_limit: g.compute_unit_limit,
                priority_fee: g.priority_fee,
            };
            Box::new(Rpc::new(url, backend::read_keypair(&path)?, options, &g.state)?)
        }
        None => {
            let path = g.keypair.clone().unwrap_or_else(|| g.state.join("id.json"));
            if !path.exists() && g.keypair.is_none() {
                // Two first commands at once may both get here: one writes, the other reads it.
                if let Err(e) = backend::write_keypair(&path, &Keypair::new()) {
                    if !path.exists() {
                        return Err(e);
                    }
                }
            }
            let user = backend::read_keypair(&path)?;
            let quiet = crate::stdio::Quiet::new();
            let e = Embedded::open(&g.state, user);
            drop(quiet);
            Box::new(e?)
        }
    };
    Ok(Ctx { b, g: g.clone() })
}

pub fn run(g: &Global, group: Group) -> Result<()> {
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    if let Group::Dev(Dev::Keygen { path }) = &group {
        let key = Keypair::new();
        backend::write_keypair(path, &key)?;
        return print(g, json!({ "pubkey": key.pubkey().to_string() }), || {
            out(&format!("wrote {} ({})", path.display(), key.pubkey()))
        });
    }
    if let Group::Market(MarketCmd::Params { reference: true }) = &group {
        let value = params_json(&RiskParams::reference());
        return print(g, value.clone(), || human(&value));
    }
    let mut c = open(g)?;
    let out = match group {
        Group::Dev(d) => dev(&mut c, d),
        Group::Market(MarketCmd::Show) => market_show(&mut c),
        Group::Market(MarketCmd::Params { .. }) => {
            market(&mut c).map(|(_, m)| params_json(&m.params))
        }
        Group::Lp(l) => lp(&mut c, l),
        Group::Trader(t) => trader(&mut c, t),
        Group::Keeper(k) => keeper(&mut c, k),
        Group::Gov(v) => gov(&mut c, v),
        Group::Vol(v) => vol(&mut c, v),
    };
    // A local world keeps what a command did only when the whole command succeeded: a failed
    // command (even one whose first transactions landed) leaves it as it was.
    if out.is_ok() {
        c.b.finish()?;
    }
    let value = out?;
    print(g, value.clone(), || human(&value))
}

fn print(g: &Global, value: Value, human: impl FnOnce()) -> Result<()> {
    if g.json {
        out(&value.to_string());
    } else {
        human();
    }
    Ok(())
}

/// One line to stdout; a closed pipe (`| head`) is not an error.
fn out(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// A human rendering of a command's JSON result: `key  value` lines for single values, a
/// section for each object, and a table (one row each, a column per field) for each list of
/// objects; a list of objects inside a row becomes a table of its own under the first.
pub(crate) fn human(v: &Value) {
    if v.as_object().is_some_and(|m| m.is_empty()) {
        out("nothing to do");
        return;
    }
    for line in human_lines(v) {
        out(&line);
    }
}

/// A value as it reads in a table cell or after a key: strings bare, small objects as
/// `k=v` pairs, lists joined by commas.
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Object(m) => {
            m.iter().map(|(k, x)| format!("{k}={}", cell(x))).collect::<Vec<_>>().join(" ")
        }
        Value::Array(a) if a.is_empty() => "(none)".into(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_object))
}

pub(crate) fn human_lines(v: &Value) -> Vec<String> {
    let mut lines = vec![];
    section(&mut lines, "", v);
    lines
}

fn section(lines: &mut Vec<String>, title: &str, v: &Value) {
    let Value::Object(m) = v else {
        lines.push(format!("{title}{}", cell(v)));
        return;
    };
    if !title.is_empty() {
        lines.push(format!("{title}:"));
    }
    let indent = if title.is_empty() { "" } else { "  " };
    for (k, x) in m {
        match x {
            _ if is_table(x) => table(lines, &format!("{indent}{k}"), x),
            Value::Object(o) if o.len() > 3 || o.values().any(|y| y.is_object() || is_table(y)) => {
                section(lines, &format!("{indent}{k}"), x)
            }
            _ => lines.push(format!("{indent}{k:<28} {}", cell(x))),
        }
    }
}

fn table(lines: &mut Vec<String>, title: &str, v: &Value) {
    let rows: Vec<&serde_json::Map<String, Value>> =
        v.as_array().into_iter().flatten().filter_map(Value::as_object).collect();
    let mut cols: Vec<String> = vec![];
    for r in &rows {
        for (k, x) in r.iter() {
            if !is_table(x) && !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| cols.iter().map(|c| r.get(c).map(cell).unwrap_or_default()).collect())
        .collect();
    let width: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| cells.iter().map(|r| r[i].len()).chain([c.len()]).max().unwrap_or(0))
        .collect();
    let row = |items: &[String]| {
        let parts: Vec<String> =
            items.iter().zip(&width).map(|(x, w)| format!("{x:<w$}", w = *w)).collect();
        format!("{title_pad}  {}", parts.join("  "), title_pad = "").trim_end().to_string()
    };
    lines.push(format!("{title}:"));
    lines.push(row(&cols));
    for r in &cells {
        lines.push(row(r));
    }
    // Lists inside a row: a table each, named by the row's first column.
    for (r, c) in rows.iter().zip(&cells) {
        for (k, x) in r.iter().filter(|(_, x)| is_table(x)) {
            let name = c.first().cloned().unwrap_or_default();
            table(lines, &format!("{title} {name} {k}"), x);
        }
    }
}
