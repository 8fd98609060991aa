//! Commands for every user: traders, LPs, keepers, governance, and `market show`; plus `dev`
//! commands that only the embedded (local) world allows: mints, prices, the clock. Amounts are
//! decimals in whole tokens; every instruction comes from `options_amm::client` and every
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

pub use dev::Dev;
pub use gov::Gov;
pub use keeper::Keeper;
pub use lp::Lp;
pub use market::MarketCmd;
pub use trader::Trader;

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
        let g = Global { url: None, keypair: None, state, market: None, json: true };
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
            Box::new(Rpc::new(url, backend::read_keypair(&path)?))
        }
        None => {
            let path = g.keypair.clone().unwrap_or_else(|| g.state.join("id.json"));
            if !path.exists() && g.keypair.is_none() {
                backend::write_keypair(&path, &Keypair::new())?;
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

/// A human rendering of a command's JSON result: one `key: value` line per field.
fn human(v: &Value) {
    fn walk(prefix: &str, v: &Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&p, x);
                }
            }
            Value::Array(a) if a.iter().any(|x| x.is_object()) => {
                for (i, x) in a.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), x);
                }
            }
            _ => out(&format!("{prefix:<40} {v}")),
        }
    }
    walk("", v)
}
