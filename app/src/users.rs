//! Commands for every user: traders, LPs, keepers, governance, and `market show`; plus `dev`
//! commands that only the embedded (local) world allows: mints, prices, the clock. Amounts are
//! decimals in whole tokens; every instruction comes from `options_amm::client` and every
//! number the program would compute (fills, NAV) from the program crate's own functions.

use crate::backend::{self, Backend, Embedded, Result, Rpc};
use crate::quote::to_raw;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::{AccountDeserialize, Discriminator};
use anchor_spl::token::spl_token;
use clap::{Args, Subcommand, ValueEnum};
use options_amm::client::{self, pda, MarketKeys, Wallet};
use options_amm::instructions::StrikeArgs;
use options_amm::math::margin::Level;
use options_amm::oracle::{self, OraclePrice, OracleUse};
use options_amm::state::{
    Board, BoardStatus, MarginAccount, Market, Position, RiskParams, CALL, FIELDS, JUNIOR,
    PAUSE_ALL, PAUSE_DEPOSITS, PAUSE_TRADING, PAUSE_WITHDRAWALS, PUT, SENIOR,
};
use options_amm_pricing::{Fx, Side};
use serde_json::{json, Value};
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::signature::{Keypair, Signer};
use std::path::PathBuf;

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
    json: bool,
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
}

#[derive(Subcommand)]
pub enum MarketCmd {
    /// Parameters, books, utilisation, greeks, NAV per tranche, boards.
    Show,
    /// The market's risk parameters (the reference set with `--reference`) as the IDL names
    /// them, nested and camelCase: the `params` of migrations/deploy.ts's parameter file.
    Params {
        #[arg(long)]
        reference: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Tranche {
    Senior,
    Junior,
}

impl Tranche {
    fn index(self) -> options_amm::Tranche {
        match self {
            Tranche::Senior => SENIOR,
            Tranche::Junior => JUNIOR,
        }
    }
}

#[derive(Subcommand)]
pub enum Lp {
    /// Deposits quote into a tranche at NAV.
    Deposit {
        #[arg(long, value_enum)]
        tranche: Tranche,
        amount: String,
        /// Refuse fewer shares (raw units).
        #[arg(long, default_value = "0")]
        min_shares: u64,
    },
    /// Burns shares (raw units; `all` for every share) for quote at NAV.
    Withdraw {
        #[arg(long, value_enum)]
        tranche: Tranche,
        shares: String,
        #[arg(long, default_value = "0")]
        min_amount: String,
    },
    /// Your shares, their value and each tranche's NAV and share price.
    Show,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    Call,
    Put,
}

#[derive(Args)]
pub struct Series {
    /// Board expiry (unix seconds); default: the nearest unsettled board.
    #[arg(long)]
    expiry: Option<i64>,
    /// Strike, quote per underlying.
    #[arg(long)]
    strike: String,
    #[arg(long, value_enum)]
    kind: Kind,
    /// Contracts (whole underlying units, decimals allowed).
    #[arg(long)]
    size: String,
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
    /// Buys; refuses to pay more than the quote plus `--slippage-bps`.
    Buy {
        #[command(flatten)]
        series: Series,
        #[arg(long, default_value = "50")]
        slippage_bps: u64,
    },
    /// Sells (closing longs or opening shorts against collateral).
    Sell {
        #[command(flatten)]
        series: Series,
        #[arg(long, default_value = "50")]
        slippage_bps: u64,
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

#[derive(Subcommand)]
pub enum Keeper {
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
    /// Lists a board: `--strike 140:80` (strike : base vol %), repeated, at most 8.
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
    /// Pays the protocol's accrued fees (decimal quote, or `all`) to a treasury token account
    /// (default: your own quote account).
    CollectFees {
        amount: String,
        #[arg(long)]
        treasury: Option<Pubkey>,
    },
}

/// A command's context: the backend and the market it acts on.
struct Ctx {
    b: Box<dyn Backend>,
    g: Global,
}

fn home_keypair() -> PathBuf {
    let home = std::env::var_os("HOME").unwrap_or_default();
    PathBuf::from(home).join(".config/solana/id.json")
}

fn open(g: &Global) -> Result<Ctx> {
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
        return print(g, params_json(&RiskParams::reference()), || {});
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
    // Persist whatever happened (a failed command changes nothing on chain).
    c.b.finish()?;
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

// ---------------------------------------------------------------- reading state

fn load<T: AccountDeserialize>(c: &mut Ctx, key: &Pubkey, what: &str) -> Result<T> {
    let a = c.b.account(key)?.ok_or_else(|| format!("no {what} at {key}"))?;
    T::try_deserialize(&mut a.data.as_slice()).map_err(|e| format!("{what} {key}: {e}"))
}

fn market_key(c: &Ctx) -> Result<Pubkey> {
    if let Some(m) = c.g.market {
        return Ok(m);
    }
    let path = c.g.state.join("market");
    let text = std::fs::read_to_string(&path).map_err(|_| {
        "no market: pass --market, or create one (`dev init` or `gov create-market`)".to_string()
    })?;
    text.trim().parse().map_err(|_| format!("{} holds no market key", path.display()))
}

fn market(c: &mut Ctx) -> Result<(MarketKeys, Market)> {
    let key = market_key(c)?;
    let m: Market = load(c, &key, "market")?;
    Ok((MarketKeys::from_market(key, &m), m))
}

/// The tranches' values now: the senior claim accrued to the clock, as the program does first.
fn tranche_values(
    c: &mut Ctx,
    m: &Market,
) -> Result<(i128, options_amm::math::tranche::TrancheValues)> {
    let s = spot(c, m)?;
    let mut m = *m;
    m.accrue(c.b.now()?).map_err(|e| e.to_string())?;
    m.tranche_values(s).map_err(|e| e.to_string())
}

/// The market's boards, by expiry.
fn boards(c: &mut Ctx, market: &Pubkey) -> Result<Vec<(Pubkey, Board)>> {
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
fn active(c: &mut Ctx, market: &Pubkey) -> Result<Vec<Pubkey>> {
    Ok(boards(c, market)?.into_iter().filter(|(_, b)| b.is_active()).map(|(k, _)| k).collect())
}

fn price(c: &mut Ctx, m: &Market, use_: OracleUse) -> Result<OraclePrice> {
    let a = c.b.account(&m.oracle)?.ok_or("the market's oracle account does not exist")?;
    let raw =
        oracle::parse(m.oracle_kind().map_err(|e| e.to_string())?, &a.data, &m.oracle_feed_id)
            .map_err(|e| e.to_string())?;
    let now = c.b.now()?;
    oracle::validate(&raw, now, &use_.limits(m)).map_err(|e| format!("oracle: {e}"))
}

/// The oracle's price even if the program would not use it now (for display).
fn spot(c: &mut Ctx, m: &Market) -> Result<Fx> {
    let a = c.b.account(&m.oracle)?.ok_or("the market's oracle account does not exist")?;
    let raw =
        oracle::parse(m.oracle_kind().map_err(|e| e.to_string())?, &a.data, &m.oracle_feed_id)
            .map_err(|e| e.to_string())?;
    let scale = Fx::from_num(10u64.pow(raw.expo.unsigned_abs()));
    let p = Fx::from_num(raw.price);
    Ok(if raw.expo < 0 { p / scale } else { p * scale })
}

fn units(raw: u64, decimals: u8) -> f64 {
    raw as f64 / 10f64.powi(decimals as i32)
}

fn fx(v: Fx) -> f64 {
    v.to_num::<f64>()
}

const ATA_PROGRAM: Pubkey = Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// The associated token account of `owner` for `mint`.
fn ata(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), token_program.as_ref(), mint.as_ref()],
        &ATA_PROGRAM,
    )
    .0
}

/// Creates `owner`'s associated token account for `mint` unless it exists (paid by `payer`).
fn create_ata(
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

fn wallet(k: &MarketKeys, owner: &Pubkey) -> Wallet {
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
fn my_wallet(c: &mut Ctx, k: &MarketKeys) -> Result<(Wallet, Vec<Instruction>)> {
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

fn balance(c: &mut Ctx, token_account: &Pubkey) -> Result<u64> {
    Ok(match c.b.account(token_account)? {
        Some(a) if a.data.len() >= spl_token::state::Account::LEN => {
            spl_token::state::Account::unpack_from_slice(&a.data[..spl_token::state::Account::LEN])
                .map_err(|e| e.to_string())?
                .amount
        }
        _ => 0,
    })
}

fn supply(c: &mut Ctx, mint: &Pubkey) -> Result<u64> {
    let a = c.b.account(mint)?.ok_or_else(|| format!("no mint {mint}"))?;
    Ok(spl_token::state::Mint::unpack_from_slice(&a.data[..spl_token::state::Mint::LEN])
        .map_err(|e| e.to_string())?
        .supply)
}

// ---------------------------------------------------------------- market show

/// `RiskParams` as nested camelCase JSON, from the one `FIELDS` table (numbers above 2^53 as
/// strings, which JavaScript cannot hold exactly).
fn params_json(p: &RiskParams) -> Value {
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

fn market_show(c: &mut Ctx) -> Result<Value> {
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
            "value": units(value, qd),
            "shares": shares,
            "share_price": if shares == 0 { 0.0 } else { value as f64 / shares as f64 * 1000.0 },
        }));
    }
    let params: serde_json::Map<String, Value> = FIELDS
        .iter()
        .zip(m.params.values())
        .map(|((n, _, _), v)| (n.to_string(), json!(v)))
        .collect();
    let mut list = vec![];
    for (key, b) in boards(c, &k.market)? {
        let strikes: Vec<Value> = b.strikes[..b.num_strikes as usize]
            .iter()
            .map(|st| {
                json!({
                    "strike": fx(st.strike.get()),
                    "base_vol": fx(st.base_vol.get()),
                    "mark": [fx(st.mark[0].get()), fx(st.mark[1].get())],
                    "vault_position": [units(st.vault_position[0].unsigned_abs(), ud) * st.vault_position[0].signum() as f64,
                                       units(st.vault_position[1].unsigned_abs(), ud) * st.vault_position[1].signum() as f64],
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
        "now": c.b.now()?,
        "paused": m.paused,
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
        },
        "greeks": { "net_delta": fx(m.net_delta.get()), "net_gamma": fx(m.net_gamma.get()), "net_vega": fx(m.net_vega.get()) },
        "pending_params_eta": m.pending_eta,
        "params": params,
        "boards": list,
    }))
}

// ---------------------------------------------------------------- LP

fn lp(c: &mut Ctx, cmd: Lp) -> Result<Value> {
    let (k, m) = market(c)?;
    let (w, mut ixs) = my_wallet(c, &k)?;
    let boards = active(c, &k.market)?;
    let qd = m.quote_decimals;
    match cmd {
        Lp::Deposit { tranche, amount, min_shares } => {
            let amount = to_raw(&amount, qd, "amount")?;
            let t = tranche.index();
            let before = balance(c, &w.shares[t as usize])?;
            ixs.push(client::deposit(&k, &w, t, amount, min_shares, &boards));
            c.b.send(&ixs, &[])?;
            let got = balance(c, &w.shares[t as usize])?.saturating_sub(before);
            Ok(json!({ "deposited": units(amount, qd), "shares_minted": got }))
        }
        Lp::Withdraw { tranche, shares, min_amount } => {
            let t = tranche.index();
            let held = balance(c, &w.shares[t as usize])?;
            let shares = if shares == "all" {
                held
            } else {
                shares.parse().map_err(|_| format!("shares: a whole number or `all`: {shares}"))?
            };
            let min = if min_amount == "0" { 0 } else { to_raw(&min_amount, qd, "min amount")? };
            let before = balance(c, &w.quote)?;
            ixs.push(client::withdraw(&k, &w, t, shares, min, &boards));
            c.b.send(&ixs, &[])?;
            let got = balance(c, &w.quote)?.saturating_sub(before);
            Ok(json!({ "shares_burned": shares, "received": units(got, qd) }))
        }
        Lp::Show => {
            // What a withdrawal would pay now, as the program values it: NAV less the refresh
            // band of the active boards, what expired shorts still owe and the inventory
            // potential the pool owes back.
            let now = c.b.now()?;
            let s = spot(c, &m)?;
            let mut accrued = m;
            accrued.accrue(now).map_err(|e| e.to_string())?;
            let mut band = Fx::ZERO;
            let rate = m.effective_params(now).risk_free_rate_bps;
            for (_, b) in self::boards(c, &k.market)? {
                if b.is_active() {
                    let part = options_amm::book::valuation::board_band(
                        &b,
                        now,
                        s,
                        rate,
                        m.underlying_decimals,
                    )
                    .map_err(|e| e.to_string())?;
                    band = band.checked_add(part).ok_or("band overflow")?;
                }
            }
            let v = options_amm::book::valuation::LpValuation::new(&accrued, s, band, now)
                .map_err(|e| e.to_string())?;
            let values = v.for_withdrawal(&accrued, accrued.tranches[SENIOR as usize].claim);
            let mut out = vec![];
            for t in [SENIOR, JUNIOR] {
                let supply = supply(c, &k.share_mints[t as usize])?;
                let mine = balance(c, &w.shares[t as usize])?;
                let value = values.get(t);
                let worth = if mine == 0 {
                    0
                } else {
                    options_amm::math::tranche::amount_for_shares(mine, value, supply)
                        .map_err(|e| e.to_string())?
                };
                out.push(json!({
                    "tranche": if t == SENIOR { "senior" } else { "junior" },
                    "nav": units(value, qd),
                    "share_supply": supply,
                    // Shares carry SHARE_DECIMALS_OFFSET more decimals than the quote token.
                    "share_price": if supply == 0 { 0.0 } else { value as f64 * 1000.0 / supply as f64 },
                    "your_shares": mine,
                    "your_value": units(worth, qd),
                }));
            }
            Ok(json!({ "owner": w.owner.to_string(), "tranches": out }))
        }
    }
}

// ---------------------------------------------------------------- trader

fn board_for(c: &mut Ctx, k: &MarketKeys, expiry: Option<i64>) -> Result<(Pubkey, Board)> {
    let now = c.b.now()?;
    let list = boards(c, &k.market)?;
    match expiry {
        Some(e) => list.into_iter().find(|(_, b)| b.expiry_ts == e),
        None => list.into_iter().find(|(_, b)| b.is_active() && b.expiry_ts > now),
    }
    .ok_or_else(|| "no such board (see `market show`)".to_string())
}

fn strike_index(b: &Board, strike: &str) -> Result<u8> {
    let want = crate::decimal::parse_fx(strike)?;
    b.strikes[..b.num_strikes as usize]
        .iter()
        .position(|s| s.strike.get() == want)
        .map(|i| i as u8)
        .ok_or_else(|| format!("the board has no strike {strike}"))
}

fn kind(k: Kind) -> options_amm::Kind {
    match k {
        Kind::Call => CALL,
        Kind::Put => PUT,
    }
}

/// The user's registered (position, board) pairs, read from the margin account.
fn margin_pairs(c: &mut Ctx, k: &MarketKeys, owner: &Pubkey) -> Result<Vec<(Pubkey, Pubkey)>> {
    let acc: MarginAccount = load(c, &pda::margin(&k.market, owner), "margin account")?;
    let mut pairs = vec![];
    for p in &acc.positions[..acc.num_positions as usize] {
        let pos: Position = load(c, p, "position")?;
        pairs.push((*p, pos.board));
    }
    Ok(pairs)
}

fn trader(c: &mut Ctx, cmd: Trader) -> Result<Value> {
    let (k, m) = market(c)?;
    let (w, mut ixs) = my_wallet(c, &k)?;
    let qd = m.quote_decimals;
    let me = w.owner;
    match cmd {
        Trader::OpenAccount => {
            ixs.push(client::open_margin_account(&k, &me));
            c.b.send(&ixs, &[])?;
            Ok(json!({ "margin_account": pda::margin(&k.market, &me).to_string() }))
        }
        Trader::DepositCollateral { amount } => {
            let amount = to_raw(&amount, qd, "amount")?;
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
            let (bk, b) = board_for(c, &k, series.expiry)?;
            let f = fill_now(c, &m, &bk, &b, &series, side, &me)?;
            Ok(fill_json(&f, qd))
        }
        Trader::Buy { series, slippage_bps } => {
            trade(c, &k, &m, &w, ixs, &series, Side::Buy, slippage_bps)
        }
        Trader::Sell { series, slippage_bps } => {
            trade(c, &k, &m, &w, ixs, &series, Side::Sell, slippage_bps)
        }
        Trader::Show { owner } => trader_show(c, &k, &m, &owner.unwrap_or(me)),
        Trader::Settle { expiry } => {
            let (board, _) = board_for(c, &k, Some(expiry))?;
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

/// Buys or sells at the program's fill, refusing to pay more (receive less) than the quote
/// moved by `slippage_bps`; opens the margin account and the board's position when missing.
#[allow(clippy::too_many_arguments)]
fn trade(
    c: &mut Ctx,
    k: &MarketKeys,
    m: &Market,
    w: &Wallet,
    mut ixs: Vec<Instruction>,
    series: &Series,
    side: Side,
    slippage_bps: u64,
) -> Result<Value> {
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
    // (u128: no overflow whatever the fill; balances can move between reads on a cluster)
    let fees = f.fee_protocol as u128 + f.fee_lp as u128;
    let ix = match side {
        Side::Buy => {
            let most = (f.premium as u128 + fees) * (10_000 + slippage_bps as u128);
            let most = u64::try_from(most.div_ceil(10_000)).unwrap_or(u64::MAX);
            client::buy(k, &board, w, i, kd, size, most)
        }
        Side::Sell => {
            let least = (f.premium as u128).saturating_sub(fees)
                * 10_000u128.saturating_sub(slippage_bps as u128);
            client::sell(k, &board, w, i, kd, size, (least / 10_000) as u64, &pairs)
        }
    };
    ixs.push(ix);
    let before = balance(c, &w.quote)?;
    c.b.send(&ixs, &[])?;
    let after = balance(c, &w.quote)?;
    let qd = m.quote_decimals;
    let mut out = fill_json(&f, qd);
    out["paid"] = json!(units(before.saturating_sub(after), qd));
    out["received"] = json!(units(after.saturating_sub(before), qd));
    Ok(out)
}

/// The program's own fill of a trade now for `owner` (oracle read as a trade reads it; the
/// owner's position in the series sets the lock charge).
fn fill_now(
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
    options_amm::book::fill::market_fill(m, b, i, kd, side, size, held, &px, now)
        .map_err(|e| format!("{e}"))
}

fn fill_json(f: &options_amm::math::fill::Fill, qd: u8) -> Value {
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

fn trader_show(c: &mut Ctx, k: &MarketKeys, m: &Market, owner: &Pubkey) -> Result<Value> {
    let (qd, ud) = (m.quote_decimals, m.underlying_decimals);
    let acc: MarginAccount = load(c, &pda::margin(&k.market, owner), "margin account")?;
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
        Err(e) => json!(format!("unknown: {e}")),
    };
    Ok(json!({
        "owner": owner.to_string(),
        "collateral": units(acc.collateral, qd),
        "open_series": acc.open_series,
        "positions": positions,
        "health": health,
    }))
}

// ---------------------------------------------------------------- keeper

/// One keeper pass: refresh stale boards, settle expired ones and their positions, hedge,
/// liquidate. Each action is its own transaction; refusals are reported, not fatal.
fn keeper_pass(c: &mut Ctx, what: &Keeper) -> Result<Value> {
    let (k, m) = market(c)?;
    let me = c.b.user().pubkey();
    let now = c.b.now()?;
    let mut done = serde_json::Map::new();
    let mut note = |key: &str, v: Value| {
        done.entry(key.to_string()).or_insert_with(|| json!([])).as_array_mut().unwrap().push(v)
    };
    let all = matches!(what, Keeper::Run { .. });
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
        if delta.abs() > band {
            // Back to the band's edge, at most the largest rebalance.
            let units_fx = delta.abs() - band;
            let raw = (units_fx * Fx::from_num(10u64.pow(m.underlying_decimals as u32)))
                .to_num::<u64>()
                .min(m.params.hedge.max_rebalance_size);
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
                                Err(e) if e.contains("LiquidationTooLarge") => size /= 2,
                                // A healthy account is the common case: nothing to report.
                                Err(e) if e.contains("AccountHealthy") => break 'series,
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

fn outcome(r: &Result<Vec<String>>) -> Value {
    match r {
        Ok(_) => json!("ok"),
        Err(e) => json!(format!("refused: {e}")),
    }
}

fn keeper(c: &mut Ctx, cmd: Keeper) -> Result<Value> {
    let Keeper::Run { interval, iterations } = cmd else { return keeper_pass(c, &cmd) };
    let mut passes = vec![];
    let mut n = 0;
    loop {
        let pass = keeper_pass(c, &Keeper::Run { interval, iterations })?;
        if !c.g.json {
            out(&format!("pass {n}: {pass}"));
        }
        passes.push(pass);
        n += 1;
        if iterations != 0 && n >= iterations {
            break;
        }
        // A local world's clock moves only with `dev warp`; a cluster's by itself.
        c.b.finish()?;
        std::thread::sleep(std::time::Duration::from_secs(interval));
    }
    Ok(json!({ "passes": passes }))
}

// ---------------------------------------------------------------- governance

fn strikes(list: &[String]) -> Result<Vec<StrikeArgs>> {
    list.iter()
        .map(|s| {
            let (k, v) = s.split_once(':').ok_or(format!("strike:vol%, e.g. 150:80 (got {s})"))?;
            let micro = |t: &str, what: &str| -> Result<u64> {
                let x = crate::decimal::parse_fx(t)? * 1_000_000;
                x.round().checked_to_num().ok_or(format!("{what} out of range: {t}"))
            };
            Ok(StrikeArgs {
                strike_micro: micro(k, "strike")?,
                base_vol_micro: micro(v, "vol")? / 100,
            })
        })
        .collect()
}

fn remember_market(c: &Ctx, market: &Pubkey) -> Result<()> {
    std::fs::create_dir_all(&c.g.state).map_err(|e| e.to_string())?;
    std::fs::write(c.g.state.join("market"), market.to_string()).map_err(|e| e.to_string())
}

fn gov(c: &mut Ctx, cmd: Gov) -> Result<Value> {
    let me = c.b.user().pubkey();
    match cmd {
        Gov::InitConfig { guardian } => {
            c.b.send(&[client::initialize_config(&me, &me, &guardian)], &[])?;
            Ok(json!({ "config": pda::config(&me).to_string() }))
        }
        Gov::CreateMarket { underlying_mint, quote_mint, oracle, feed_id } => {
            let program_of = |c: &mut Ctx, mint: &Pubkey| -> Result<Pubkey> {
                Ok(c.b.account(mint)?.ok_or(format!("no mint {mint}"))?.owner)
            };
            let (up, qp) = (program_of(c, &underlying_mint)?, program_of(c, &quote_mint)?);
            let k = MarketKeys::derive(&me, underlying_mint, quote_mint, oracle, up, qp);
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
                    other => return Err(format!("unknown pause flag {other}")),
                };
            }
            c.b.send(&[client::set_pause(&k, &me, bits)], &[])?;
            Ok(json!({ "paused": bits }))
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

/// The clock now plus `secs`.
fn now_plus(c: &mut Ctx, secs: i64) -> Result<i64> {
    Ok(c.b.now()?.saturating_add(secs))
}

fn parse_feed(hex: &str) -> Result<[u8; 32]> {
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

// ---------------------------------------------------------------- dev (local world)

/// Publishes into the local world's oracle price account (legacy Pyth layout, owned by the
/// Pyth program); the previous publish time is the last one's, as on a real feed.
fn publish(e: &mut Embedded, oracle: Pubkey, price: Fx, conf: Fx, at: i64) -> Result<()> {
    let prev = match e.account(&oracle)? {
        Some(a) => {
            options_amm::oracle::parse(options_amm::OracleKind::PythLegacy, &a.data, &[0; 32])
                .map(|r| r.publish_time)
                .ok()
        }
        None => None,
    };
    let q = options_amm_tests::pyth::Quote {
        price: (price * 100_000_000).round().to_num(),
        conf: (conf * 100_000_000).round().to_num(),
        expo: -8,
        publish_time: at,
        prev_publish_time: prev.filter(|&p| p < at),
        ..Default::default()
    };
    e.put(
        oracle,
        options_amm_tests::pyth::ORACLE_PROGRAM,
        options_amm_tests::pyth::legacy_price_account(&q),
    );
    Ok(())
}

fn local_mint(e: &mut Embedded, decimals: u8) -> Pubkey {
    let key = Keypair::new().pubkey();
    let mint = spl_token::state::Mint {
        mint_authority: Some(e.faucet().pubkey()).into(),
        supply: 0,
        decimals,
        is_initialized: true,
        freeze_authority: None.into(),
    };
    let mut data = vec![0; spl_token::state::Mint::LEN];
    mint.pack_into_slice(&mut data);
    e.put(key, spl_token::ID, data);
    key
}

fn mint_to(e: &mut Embedded, mint: &Pubkey, owner: &Pubkey, amount: u64) -> Result<()> {
    let faucet = e.faucet().pubkey();
    let payer = e.user().pubkey();
    let to = ata(owner, mint, &spl_token::ID);
    let ix = spl_token::instruction::mint_to(&spl_token::ID, mint, &to, &faucet, &[], amount)
        .map_err(|e| e.to_string())?;
    let faucet_key = e.faucet().insecure_clone();
    e.send(&[create_ata(&payer, owner, mint, &spl_token::ID), ix], &[&faucet_key]).map(drop)
}

fn dev(c: &mut Ctx, cmd: Dev) -> Result<Value> {
    let g = c.g.clone();
    let me = c.b.user().pubkey();
    let now = c.b.now()?;
    match cmd {
        Dev::Init { price, days } => {
            if g.state.join("market").exists() {
                return Err(format!("{} already holds a market", g.state.display()));
            }
            let e = c.b.embedded().ok_or("dev commands need the embedded world (no --url)")?;
            let p = crate::decimal::parse_fx(&price)?;
            let (quote, underlying) = (local_mint(e, 6), local_mint(e, 9));
            let oracle = Keypair::new().pubkey();
            publish(e, oracle, p, Fx::from_num(0.05), now)?;
            mint_to(e, &quote, &me, 1_000_000 * 1_000_000)?;
            mint_to(e, &underlying, &me, 1_000 * 1_000_000_000)?;
            c.b.send(&[client::initialize_config(&me, &me, &me)], &[])?;
            let k =
                MarketKeys::derive(&me, underlying, quote, oracle, spl_token::ID, spl_token::ID);
            let i = client::initialize_market(
                &k,
                &me,
                &me,
                options_amm::OracleKind::PythLegacy,
                [0; 32],
                RiskParams::reference(),
            );
            c.b.send(&[i], &[])?;
            remember_market(c, &k.market)?;
            let expiry = now + days * 86_400;
            let list: Vec<String> = [80, 90, 100, 110, 120]
                .iter()
                .map(|pct| format!("{}:80", (p * *pct / 100).round()))
                .collect();
            gov(c, Gov::CreateBoard { expiry, strikes: list })?;
            Ok(json!({
                "market": k.market.to_string(),
                "quote_mint": quote.to_string(),
                "underlying_mint": underlying.to_string(),
                "oracle": oracle.to_string(),
                "board_expiry": expiry,
                "you": me.to_string(),
            }))
        }
        Dev::Fund { to, quote, underlying } => {
            let (k, m) = market(c)?;
            let to = to.unwrap_or(me);
            let e = c.b.embedded().ok_or("dev commands need the embedded world (no --url)")?;
            if quote != "0" {
                mint_to(e, &k.quote_mint, &to, to_raw(&quote, m.quote_decimals, "quote")?)?;
            }
            if underlying != "0" {
                let raw = to_raw(&underlying, m.underlying_decimals, "underlying")?;
                mint_to(e, &k.underlying_mint, &to, raw)?;
            }
            Ok(json!({ "funded": to.to_string(), "quote": quote, "underlying": underlying }))
        }
        Dev::Price { price, conf } => {
            let (k, _) = market(c)?;
            let e = c.b.embedded().ok_or("dev commands need the embedded world (no --url)")?;
            let (p, cf) = (crate::decimal::parse_fx(&price)?, crate::decimal::parse_fx(&conf)?);
            publish(e, k.oracle, p, cf, now)?;
            Ok(json!({ "price": price, "conf": conf, "publish_time": now }))
        }
        Dev::Warp { secs } => {
            let (k, m) = market(c)?;
            let last = spot(c, &m)?;
            let e = c.b.embedded().ok_or("dev commands need the embedded world (no --url)")?;
            let at = now + secs;
            e.set_time(at)?;
            publish(e, k.oracle, last, Fx::from_num(0.05), at)?;
            Ok(json!({ "now": at }))
        }
        Dev::Keygen { .. } => unreachable!("handled before opening a backend"),
    }
}
