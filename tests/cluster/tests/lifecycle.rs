//! The RPC path end to end on a real validator: `options-amm-validator` (Surfpool over the Agave
//! 4.3 runtime) started with `target/deploy/options_amm.so` (the SBF build), then
//! migrations/deploy.ts (config, market, first board) and the Rust CLI over `--url` for a whole
//! market's life: LP deposits in both tranches, quote, buy, a short against collateral, show,
//! the keeper refreshing, hedging, liquidating after a price drop and settling after expiry, LP
//! withdrawal, a governance change after its delay and a pause; refusals name the program's
//! error over RPC.
//!
//! Needs: the .so (`bash .ci/sbf/build.sh`), the CLI (`cargo build --locked -p
//! options-amm-app` at the root) and `npm ci` in migrations/. `bash .ci/cluster/run.sh` does all
//! of it; a missing piece fails the test by name.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn cli_bin() -> PathBuf {
    let p = std::env::var_os("OPTIONS_AMM_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/debug/options-amm"));
    assert!(
        p.exists(),
        "{}: build the CLI first (cargo build --locked -p options-amm-app)",
        p.display()
    );
    p
}

/// Two free ports in a row: JSON-RPC on the first, websockets on the next (web3.js, as in
/// deploy.ts, derives the websocket URL as the RPC port plus one).
fn free_ports() -> (u16, u16) {
    loop {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = a.local_addr().unwrap().port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return (port, port + 1);
        }
    }
}

/// The validator, killed when the test ends.
struct Validator {
    child: Child,
    url: String,
}

impl Drop for Validator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_validator(airdrops: &[String]) -> Validator {
    let so = root().join("target/deploy/options_amm.so");
    assert!(so.exists(), "{}: run bash .ci/sbf/build.sh first", so.display());
    let (port, ws) = free_ports();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_options-amm-validator"));
    cmd.args(["--port", &port.to_string(), "--ws-port", &ws.to_string(), "--slot-ms", "50"]);
    cmd.args(["--bpf-program", &options_amm_id(), so.to_str().unwrap()]);
    for a in airdrops {
        cmd.args(["--airdrop", a]);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("ready http://127.0.0.1:"), "validator said {line:?}");
    Validator { child, url: line.trim().trim_start_matches("ready ").to_string() }
}

/// The program id: the IDL's address.
fn options_amm_id() -> String {
    let idl: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("app/idl/options_amm.json")).unwrap(),
    )
    .unwrap();
    idl["address"].as_str().unwrap().to_string()
}

struct Env {
    dir: PathBuf,
    url: String,
    market: Option<String>,
}

impl Env {
    fn key(&self, who: &str) -> PathBuf {
        self.dir.join(format!("{who}.json"))
    }

    /// `options-amm <args> --url U --keypair <who> --json [--market M]`: its JSON, or the
    /// error JSON and exit status.
    fn run(&self, who: &str, args: &[&str]) -> Result<Value, (Option<i32>, Value)> {
        let mut cmd = Command::new(cli_bin());
        cmd.args(args).args(["--url", &self.url, "--json"]);
        cmd.args(["--keypair", self.key(who).to_str().unwrap()]);
        cmd.args(["--state", self.dir.join("state").to_str().unwrap()]);
        if let Some(m) = &self.market {
            cmd.args(["--market", m]);
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let last = text.lines().last().unwrap_or_default();
        let v: Value = serde_json::from_str(last).unwrap_or_else(|e| {
            panic!(
                "{who} {args:?}: not JSON ({e}): {text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        if out.status.success() {
            Ok(v)
        } else {
            Err((out.status.code(), v))
        }
    }

    /// Every JSON line a command printed (`keeper run`: one a pass, then a summary).
    fn lines(&self, who: &str, args: &[&str]) -> Vec<Value> {
        let out = Command::new(cli_bin())
            .args(args)
            .args(["--url", &self.url, "--json", "--keypair", self.key(who).to_str().unwrap()])
            .args(["--state", self.dir.join("state").to_str().unwrap()])
            .args(["--market", self.market.as_deref().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    fn ok(&self, who: &str, args: &[&str]) -> Value {
        self.run(who, args).unwrap_or_else(|e| panic!("{who} {args:?} failed: {e:?}"))
    }

    /// A refusal by the program, by name, over RPC (exit 3, the IDL's name).
    fn refused(&self, who: &str, args: &[&str], name: &str) {
        match self.run(who, args) {
            Err((code, v)) => {
                assert_eq!(v["error"]["kind"], "program", "{who} {args:?}: {v}");
                assert_eq!(v["error"]["name"], name, "{who} {args:?}: {v}");
                assert_eq!(code, Some(3));
            }
            Ok(v) => panic!("{who} {args:?} went through: {v}"),
        }
    }
}

/// One JSON-RPC call to the validator (plain HTTP/1.1, as any client sends it).
fn rpc(url: &str, method: &str, params: Value) -> Value {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let json = &text[text.find("\r\n\r\n").unwrap() + 4..];
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{method}: {e}: {text}"));
    v["result"].clone()
}

fn lamports(url: &str, key: &str) -> u64 {
    rpc(url, "getBalance", json!([key, { "commitment": "confirmed" }]))["value"].as_u64().unwrap()
}

/// `npm run deploy` (migrations/deploy.ts) against `url` with `wallet` and the parameter file:
/// what it printed.
fn deploy_ts(url: &str, wallet: &Path, params: &Path) -> String {
    let out = Command::new("npm")
        .args(["run", "--silent", "deploy"])
        .current_dir(root().join("migrations"))
        .env("ANCHOR_PROVIDER_URL", url)
        .env("ANCHOR_WALLET", wallet)
        .env("DEPLOY_PARAMS", params)
        .output()
        .expect("npm (migrations/deploy.ts)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "deploy.ts: {text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn a_market_lives_on_a_real_validator_from_deployment_to_settlement() {
    let dir = std::env::temp_dir().join(format!("options-amm-cluster-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let users = ["admin", "lp", "trader", "shorty", "keeper"];
    // Keys first (no validator needed), so that each gets an airdrop at start.
    let mut pubkeys = vec![];
    for u in users {
        let out = Command::new(cli_bin())
            .args(["dev", "keygen", dir.join(format!("{u}.json")).to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        pubkeys.push(v["pubkey"].as_str().unwrap().to_string());
    }
    let validator = start_validator(&pubkeys);
    let mut e = Env { dir: dir.clone(), url: validator.url.clone(), market: None };

    // Mints, the Pyth price account (legacy layout, owned by the Pyth program) through the
    // validator's account-setting method, then deploy.ts: config, market, first board.
    let acc = e.ok("admin", &["dev", "accounts", "--price", "100"]);
    let now = acc["publish_time"].as_i64().unwrap();
    let expiry = now + 7 * 86_400;
    let params = e.ok("admin", &["market", "params", "--reference"]);
    let file = dir.join("deploy.json");
    let strikes: Vec<Value> =
        [80, 90, 100, 110, 120].iter().map(|k| json!({ "strike": k, "baseVolPct": 80 })).collect();
    let deploy = json!({
        "guardian": pubkeys[0],
        "underlyingMint": acc["underlying_mint"],
        "quoteMint": acc["quote_mint"],
        "oracle": acc["oracle"],
        "oracleKind": 0,
        "params": params,
        "board": { "expiryTs": expiry, "strikes": strikes },
    });
    std::fs::write(&file, deploy.to_string()).unwrap();
    let text = deploy_ts(&validator.url, &e.key("admin"), &file);
    let addresses: Value = serde_json::from_str(&text[text.find("\n{").unwrap()..]).unwrap();
    for step in ["[1/3] config", "[2/3] market", "[3/3] board"] {
        assert!(text.contains(step) && !text.contains(&format!("{step} exists")), "{text}");
    }
    e.market = Some(addresses["market"].as_str().unwrap().to_string());

    // A second run of deploy.ts skips all three steps, and ends with the same addresses.
    let again = deploy_ts(&validator.url, &e.key("admin"), &file);
    assert_eq!(again.matches("exists: skipped").count(), 3, "{again}");
    let same: Value = serde_json::from_str(&again[again.find("\n{").unwrap()..]).unwrap();
    assert_eq!(same, addresses);

    let m = e.ok("admin", &["market", "show"]);
    assert_eq!(m["boards"][0]["expiry"].as_i64(), Some(expiry), "{m}");
    assert!((num(&m["spot"]) - 100.0).abs() < 1e-9, "{m}");

    // A fresh board's greeks are computed by the keeper before anything values the vault.
    e.ok("keeper", &["keeper", "refresh"]);

    // Wallets: quote and underlying from the faucet (real SPL Token mint_to transactions).
    for (i, u) in users.iter().enumerate().skip(1) {
        e.ok(
            "admin",
            &["dev", "fund", "--to", &pubkeys[i], "--quote", "1000000", "--underlying", "1000"],
        );
        assert!(num(&e.ok(u, &["lp", "show"])["wallet"]["quote"]) >= 1_000_000.0, "{u}");
    }

    // LPs in both tranches.
    let s = e.ok("lp", &["lp", "deposit", "--tranche", "senior", "500000"]);
    assert!(num(&s["shares_minted"]) > 0.0, "{s}");
    e.ok("lp", &["lp", "deposit", "--tranche", "junior", "200000"]);
    let lp = e.ok("lp", &["lp", "show"]);
    assert!((num(&lp["tranches"][0]["your_value"]) - 500_000.0).abs() < 1.0, "{lp}");

    // The keeper refreshes (one board, one transaction): it pays the signature's 5,000
    // lamports; with a compute budget and a priority fee, also limit x price (250,000 CU at
    // 2,000,000 micro-lamports each: 500,000 lamports).
    let keeper_sol = || lamports(&validator.url, &pubkeys[4]);
    let sol = keeper_sol();
    e.ok("keeper", &["keeper", "refresh"]);
    assert_eq!(sol - keeper_sol(), 5_000);
    let sol = keeper_sol();
    let budget = ["--compute-unit-limit", "250000", "--priority-fee", "2000000"];
    e.ok("keeper", &[&["keeper", "refresh"][..], &budget].concat());
    assert_eq!(sol - keeper_sol(), 505_000);
    // A quote is what the buy then pays, to the unit.
    let series = ["--strike", "100", "--kind", "call", "--size", "20"];
    let q = e.ok("trader", &[&["trader", "quote"][..], &series].concat());
    assert!(q["refusal"].is_null(), "{q}");
    // A compute-unit limit below what a buy needs fails it in the runtime (exit 4), and
    // changes nothing but the fee.
    let tight = ["--compute-unit-limit", "20000"];
    match e.run("trader", &[&["trader", "buy"][..], &series, &tight].concat()) {
        Err((Some(4), v)) => assert_eq!(v["error"]["kind"], "transaction", "{v}"),
        other => panic!("a buy within 20,000 CU: {other:?}"),
    }
    // (the buy would have opened the trader's margin account: there is none)
    let none = e.run("trader", &["trader", "show"]).unwrap_err().1;
    assert!(none["error"]["message"].as_str().unwrap().contains("no margin account"), "{none}");
    let b = e.ok("trader", &[&["trader", "buy"][..], &series].concat());
    let cost = |v: &Value| ["premium", "fee_lp", "fee_protocol"].map(|k| num(&v[k]));
    assert_eq!(cost(&q), cost(&b), "quote {q}\nbuy {b}");
    let t = e.ok("trader", &["trader", "show"]);
    assert_eq!(t["positions"].as_array().unwrap().len(), 1, "{t}");

    // The keeper hedges the vault's short delta back inside its band.
    let pass = e.ok("keeper", &["keeper", "rebalance"]);
    assert_eq!(pass["rebalance"][0]["result"], "ok", "{pass}");
    let m = e.ok("admin", &["market", "show"]);
    let band = num(&m["params"]["hedge.delta_band_micro"]) / 1e6;
    assert!(num(&m["greeks"]["net_delta"]).abs() <= band + 1e-9, "{m}");

    // Refusals over RPC name the program's error: a short with no collateral.
    e.ok("shorty", &["trader", "open-account"]);
    let short = ["--strike", "100", "--kind", "put", "--size", "20"];
    e.refused("shorty", &[&["trader", "sell"][..], &short].concat(), "BelowInitialMargin");
    // With collateral it goes through; then the trader takes out all but 5% of the excess over
    // initial margin (a withdrawal past it is refused by name).
    e.ok("shorty", &["trader", "deposit-collateral", "1500"]);
    e.ok("shorty", &[&["trader", "sell"][..], &short].concat());
    let h = e.ok("shorty", &["trader", "show"])["health"].clone();
    let excess = num(&h["initial"]["excess"]);
    assert!(excess > 0.0 && h["liquidatable"] == false, "{h}");
    let too_much = format!("{:.6}", excess + 1.0);
    e.refused("shorty", &["trader", "withdraw-collateral", &too_much], "BelowInitialMargin");
    e.ok("shorty", &["trader", "withdraw-collateral", &format!("{:.6}", excess * 0.95)]);

    // The price falls 30%: the keeper liquidates the short.
    e.ok("admin", &["dev", "price", "70"]);
    let h = e.ok("shorty", &["trader", "show"])["health"].clone();
    assert_eq!(h["liquidatable"], true, "{h}");
    // `keeper run`: one pass refreshes, hedges, liquidates and settles what needs it.
    let out = e.lines("keeper", &["keeper", "run", "--iterations", "1"]);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0]["done"]["liquidate"][0]["result"], "ok", "{out:?}");
    assert_eq!(out[1]["passes"], 1, "{out:?}");
    let after = e.ok("shorty", &["trader", "show"]);
    assert_eq!(after["health"]["liquidatable"], false, "{after}");
    let after = e.ok("shorty", &["trader", "show"]);
    let left: f64 =
        after["positions"].as_array().unwrap().iter().map(|p| num(&p["size"]).abs()).sum();
    assert!(left < 20.0, "the liquidation closed nothing: {after}");

    // Governance: a change waits for its delay, then lands; then a pause stops trading.
    e.ok("admin", &["dev", "price", "100"]);
    let p = e.ok("admin", &["gov", "propose-params", "--set", "trading.fee_spot_bps=5"]);
    e.refused("admin", &["gov", "execute-params"], "TimelockNotElapsed");
    let eta = p["executable_at"].as_i64().unwrap();
    let now = e.ok("admin", &["market", "show"])["now"].as_i64().unwrap();
    e.ok("admin", &["dev", "warp", &(eta - now + 1).to_string()]);
    e.ok("keeper", &["keeper", "refresh"]);
    e.ok("admin", &["gov", "execute-params"]);
    assert_eq!(e.ok("admin", &["market", "show"])["params"]["trading.fee_spot_bps"], 5);
    e.ok("admin", &["gov", "pause", "trading"]);
    e.refused("trader", &[&["trader", "buy"][..], &series].concat(), "TradingPaused");

    // Past expiry: the keeper settles the board and every position; the trader is paid.
    let now = e.ok("admin", &["market", "show"])["now"].as_i64().unwrap();
    e.ok("admin", &["dev", "price", "130"]);
    e.ok("admin", &["dev", "warp", &(expiry - now + 60).to_string()]);
    let wallet = num(&e.ok("trader", &["trader", "show"])["wallet"]["quote"]);
    let pass = e.ok("keeper", &["keeper", "settle"]);
    assert_eq!(pass["settle_board"][0]["result"], "ok", "{pass}");
    assert!(e.ok("trader", &["trader", "show"])["positions"].as_array().unwrap().is_empty());
    // 20 calls struck at 100, settled at 130: 600 paid to the trader's wallet.
    let paid = num(&e.ok("trader", &["trader", "show"])["wallet"]["quote"]) - wallet;
    assert!((paid - 600.0).abs() < 1e-6, "paid {paid}");

    // LPs leave at NAV.
    let before = num(&e.ok("lp", &["lp", "show"])["tranches"][1]["your_value"]);
    let got = num(&e.ok("lp", &["lp", "withdraw", "--tranche", "junior", "all"])["received"]);
    assert!((got - before).abs() <= 1e-6 + before * 1e-9, "shown {before}, received {got}");
}
