//! Every user's commands against the embedded runtime, run as a user runs them: successive
//! processes share one market through the state directory.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// Runs `options-amm <args> --state <dir> --json` to the end.
fn output(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("options-amm")
        .unwrap()
        .args(args)
        .args(["--state", dir.join("s").to_str().unwrap(), "--json"])
        .output()
        .unwrap()
}

/// Runs `options-amm <args> --state <dir> --json` and returns its JSON, or its stderr on failure.
fn run(dir: &Path, args: &[&str]) -> Result<Value, String> {
    let out = output(dir, args);
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{args:?}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))
        }))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn ok(dir: &Path, args: &[&str]) -> Value {
    run(dir, args).unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

/// A command that prints one JSON line per step (`keeper run`): every line, in order.
fn lines(dir: &Path, args: &[&str]) -> Vec<Value> {
    let out = output(dir, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("options-amm-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_market_lives_across_commands_from_listing_to_settlement() {
    let d = tmp("life");
    let init = ok(&d, &["dev", "init", "--price", "150", "--days", "7"]);
    let expiry = init["board_expiry"].as_i64().unwrap().to_string();
    assert!(
        ok(&d, &["lp", "deposit", "--tranche", "senior", "500000"])["shares_minted"].as_f64()
            > Some(0.0)
    );
    ok(&d, &["lp", "deposit", "--tranche", "junior", "200000"]);

    // A quote is what the buy then pays, to the unit.
    let series = ["--strike", "150", "--kind", "call", "--size", "20"];
    let q = ok(&d, &[&["trader", "quote"][..], &series].concat());
    let b = ok(&d, &[&["trader", "buy"][..], &series].concat());
    let cost = |v: &Value| ["premium", "fee_lp", "fee_protocol"].map(|k| v[k].as_f64().unwrap());
    assert_eq!(cost(&q), cost(&b));
    // And an independent check of the quote: its mark is the f64 Black-Scholes value of the
    // call capped at 2x (spot 150, base vol 80%, rate 5%, the board's time to expiry), and a
    // risk-adding buy from a flat vault pays at least 20 marks.
    let now = ok(&d, &["market", "show"])["now"].as_i64().unwrap();
    let secs = (init["board_expiry"].as_i64().unwrap() - now) as f64;
    let f64_mark = options_amm_reference::series_price(
        options_amm_reference::Kind::Call,
        150.0,
        150.0,
        20_000,
        0.8,
        0.05,
        secs,
    );
    let mark = q["mark"].as_f64().unwrap();
    assert!((mark - f64_mark).abs() < 1e-6 * f64_mark, "mark {mark}, f64 {f64_mark}");
    assert!(cost(&q)[0] >= 20.0 * f64_mark, "premium {} < 20 marks", cost(&q)[0]);
    assert!((b["paid"].as_f64().unwrap() - cost(&b).iter().sum::<f64>()).abs() < 1e-6);

    // A keeper with its own keypair refreshes and hedges the vault's short delta.
    let key = d.join("keeper.json");
    let keeper =
        ok(&d, &["dev", "keygen", key.to_str().unwrap()])["pubkey"].as_str().unwrap().to_string();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a keypair file is readable by its owner only");
    ok(&d, &["dev", "fund", "--to", &keeper, "--quote", "100000", "--underlying", "100"]);
    let k = ["--keypair", key.to_str().unwrap()];
    let out = lines(&d, &[&["keeper", "run", "--iterations", "1"][..], &k].concat());
    // One line for the pass as it ran, then the summary.
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0]["done"]["rebalance"][0]["result"], "ok", "{out:?}");
    assert_eq!(out[1]["passes"], 1);
    let m = ok(&d, &["market", "show"]);
    let band = m["params"]["hedge.delta_band_micro"].as_f64().unwrap() / 1e6;
    assert!(m["greeks"]["net_delta"].as_f64().unwrap().abs() <= band + 1e-9, "{m}");

    // A short against collateral: its health is what the program would judge.
    ok(&d, &["trader", "deposit-collateral", "3000"]);
    ok(&d, &["trader", "sell", "--strike", "165", "--kind", "put", "--size", "10"]);
    let h = ok(&d, &["trader", "show"])["health"].clone();
    let (im, mm) = (
        h["initial"]["requirement"].as_f64().unwrap(),
        h["maintenance"]["requirement"].as_f64().unwrap(),
    );
    assert!(im > mm && mm > 0.0 && h["liquidatable"] == false, "{h}");

    // Past expiry: the keeper settles the board and the trader's position; the trader is paid.
    // (the first price at or after expiry settles the board: publish it, then move past it)
    ok(&d, &["dev", "price", "160"]);
    ok(&d, &["dev", "warp", "604900"]);
    let pass = ok(&d, &[&["keeper", "settle"][..], &k].concat());
    assert_eq!(pass["settle_board"][0]["result"], "ok", "{pass}");
    assert_eq!(pass["settle_position"][0]["result"], "ok", "{pass}");
    assert!(ok(&d, &["trader", "show"])["positions"].as_array().unwrap().is_empty());
    let board = m["boards"][0]["expiry"].as_i64().unwrap().to_string();
    assert_eq!(board, expiry);

    // LPs leave at NAV.
    let before = ok(&d, &["lp", "show"])["tranches"][1]["your_value"].as_f64().unwrap();
    let got =
        ok(&d, &["lp", "withdraw", "--tranche", "junior", "all"])["received"].as_f64().unwrap();
    assert!((got - before).abs() <= 0.000_001 + before * 1e-9, "shown {before}, received {got}");
}

#[test]
fn refusals_name_the_programs_error_and_change_nothing() {
    let d = tmp("refuse");
    ok(&d, &["dev", "init"]);
    ok(&d, &["lp", "deposit", "--tranche", "senior", "100000"]);
    ok(&d, &["trader", "open-account"]);
    // What a refusal must not change (transaction fees aside, which the cluster charges).
    let state = |d: &Path| {
        ["market show", "trader show", "lp show"].map(|c| ok(d, &c.split(' ').collect::<Vec<_>>()))
    };
    let before = state(&d);
    // Selling puts with no collateral.
    let e = run(&d, &["trader", "sell", "--strike", "150", "--kind", "put", "--size", "5"])
        .unwrap_err();
    assert!(e.contains("BelowInitialMargin"), "{e}");
    // A strike the board does not list; a tranche withdrawal beyond what is held.
    let e =
        run(&d, &["trader", "buy", "--strike", "151", "--kind", "put", "--size", "1"]).unwrap_err();
    assert!(e.contains("no strike 151"), "{e}");
    let e =
        run(&d, &["gov", "propose-params", "--set", "trading.fee_spot_bps=100000"]).unwrap_err();
    assert!(e.contains("ParamOutOfBounds"), "{e}");
    assert!(before == state(&d), "a refused command changed the market or a wallet");

    // With --json the error is JSON on stdout, and the exit status tells a program's refusal
    // (3) from bad input (2).
    let out = |args: &[&str]| output(&d, args);
    let o = out(&["trader", "sell", "--strike", "150", "--kind", "put", "--size", "5"]);
    assert_eq!(o.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "program");
    assert_eq!(v["error"]["name"], "BelowInitialMargin");
    assert_eq!(v["error"]["message"], "The account would be below initial margin");
    assert!(v["error"]["code"].as_u64().unwrap() >= 6000);
    let o = out(&["trader", "buy", "--strike", "151", "--kind", "put", "--size", "1"]);
    assert_eq!(o.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "input");
    assert!(v["error"]["message"].as_str().unwrap().contains("no strike 151"));
}

#[test]
fn governance_changes_parameters_after_the_delay_and_pauses() {
    let d = tmp("gov");
    ok(&d, &["dev", "init"]);
    let p = ok(&d, &["gov", "propose-params", "--set", "trading.fee_spot_bps=5"]);
    let eta = p["executable_at"].as_i64().unwrap();
    let e = run(&d, &["gov", "execute-params"]).unwrap_err();
    assert!(e.contains("TimelockNotElapsed"), "{e}");
    let now = ok(&d, &["market", "show"])["now"].as_i64().unwrap();
    ok(&d, &["dev", "warp", &(eta - now).to_string()]);
    ok(&d, &["keeper", "refresh"]);
    ok(&d, &["gov", "execute-params"]);
    assert_eq!(ok(&d, &["market", "show"])["params"]["trading.fee_spot_bps"], 5);
    ok(&d, &["gov", "pause", "trading"]);
    ok(&d, &["lp", "deposit", "--tranche", "senior", "1000"]);
    let e = run(&d, &["trader", "buy", "--strike", "150", "--kind", "call", "--size", "1"])
        .unwrap_err();
    assert!(e.contains("TradingPaused"), "{e}");
}

#[test]
fn governance_collects_fees_rotates_the_guardian_and_delists_an_empty_board() {
    let d = tmp("powers");
    let init = ok(&d, &["dev", "init"]);
    let expiry = init["board_expiry"].as_i64().unwrap();
    ok(&d, &["lp", "deposit", "--tranche", "senior", "100000"]);
    ok(&d, &["trader", "buy", "--strike", "150", "--kind", "call", "--size", "2"]);
    let fees = ok(&d, &["market", "show"])["books"]["protocol_fees"].as_f64().unwrap();
    assert!(fees > 0.0, "the buy paid protocol fees");
    let got = ok(&d, &["gov", "collect-fees", "all"]);
    assert_eq!(got["collected"].as_f64().unwrap(), fees);
    assert_eq!(ok(&d, &["market", "show"])["books"]["protocol_fees"].as_f64(), Some(0.0));
    // A guardian change waits two days.
    let key = d.join("guardian.json");
    let g =
        ok(&d, &["dev", "keygen", key.to_str().unwrap()])["pubkey"].as_str().unwrap().to_string();
    ok(&d, &["gov", "propose-guardian", &g]);
    let e = run(&d, &["gov", "execute-guardian"]).unwrap_err();
    assert!(e.contains("TimelockNotElapsed"), "{e}");
    ok(&d, &["dev", "warp", "172800"]);
    ok(&d, &["gov", "execute-guardian"]);
    // A board nobody trades is delisted; the traded one is refused by name.
    let later = (expiry + 86_400).to_string();
    ok(&d, &["gov", "create-board", "--expiry", &later, "--strike", "150:0.8"]);
    ok(&d, &["gov", "delist-board", "--expiry", &later]);
    let e = run(&d, &["gov", "delist-board", "--expiry", &expiry.to_string()]).unwrap_err();
    assert!(e.contains("BoardNotEmpty"), "{e}");
}

/// Commands on one state directory run one after another (a lock on the directory): eight
/// deposits started at once all land, and `keeper run` in a second terminal neither loses the
/// deposits made between its passes nor blocks them. Reads never write the world.
#[test]
fn parallel_commands_and_a_running_keeper_lose_nothing() {
    let d = tmp("parallel");
    ok(&d, &["dev", "init"]);
    let deposits: Vec<_> = (0..8)
        .map(|_| {
            let d = d.clone();
            std::thread::spawn(move || ok(&d, &["lp", "deposit", "--tranche", "junior", "100"]))
        })
        .collect();
    for h in deposits {
        assert_eq!(h.join().unwrap()["deposited"], 100.0);
    }
    let junior = |d: &Path| ok(d, &["lp", "show"])["tranches"][1]["nav"].as_f64().unwrap();
    assert_eq!(junior(&d), 800.0, "every reported deposit is in the world");

    let keeper = {
        let d = d.clone();
        std::thread::spawn(move || {
            let out = lines(&d, &["keeper", "run", "--interval", "1", "--iterations", "3"]);
            out.last().unwrap()["passes"].as_u64().unwrap()
        })
    };
    for _ in 0..3 {
        ok(&d, &["lp", "deposit", "--tranche", "junior", "50"]);
        std::thread::sleep(std::time::Duration::from_millis(700));
    }
    assert_eq!(keeper.join().unwrap(), 3);
    assert_eq!(junior(&d), 950.0, "deposits made while the keeper ran survive its passes");

    let world = d.join("s").join("world.json");
    let before = std::fs::read(&world).unwrap();
    ok(&d, &["market", "show"]);
    ok(&d, &["lp", "show"]);
    assert_eq!(std::fs::read(&world).unwrap(), before, "read-only commands never write");
}

/// A buy limited by the quote the trader saw is refused when the price has moved against them
/// since; the same limit goes through while the quote still holds.
#[test]
fn a_buy_limited_by_the_quote_seen_is_refused_after_the_price_moves() {
    let d = tmp("limit");
    ok(&d, &["dev", "init"]);
    ok(&d, &["lp", "deposit", "--tranche", "senior", "500000"]);
    let series = ["--strike", "150", "--kind", "call", "--size", "2"];
    let q = ok(&d, &[&["trader", "quote"][..], &series].concat());
    let total = q["premium"].as_f64().unwrap()
        + q["fee_lp"].as_f64().unwrap()
        + q["fee_protocol"].as_f64().unwrap();
    assert!((q["max_cost"].as_f64().unwrap() - total).abs() < 1e-9);
    let limit = q["max_cost"].to_string();
    // Spot up 10%: the call now costs more than the quote seen.
    ok(&d, &["dev", "price", "165"]);
    ok(&d, &["keeper", "refresh"]);
    let buy = [&["trader", "buy"][..], &series, &["--max-cost", &limit]].concat();
    let e = run(&d, &buy).unwrap_err();
    assert!(e.contains("SlippageExceeded"), "{e}");
    // Without --max-cost the default is just as safe: the buy is held to the quote the trader
    // last saw for this trade (within five minutes) plus --slippage-bps, not to a fresh quote.
    let e = run(&d, &[&["trader", "buy"][..], &series].concat()).unwrap_err();
    assert!(e.contains("SlippageExceeded"), "{e}");
    // Back at 150 the quote holds again and the same limit buys.
    ok(&d, &["dev", "price", "150"]);
    ok(&d, &["keeper", "refresh"]);
    let b = ok(&d, &buy);
    assert!(b["paid"].as_f64().unwrap() <= total + 1e-9);
    // A trade never quoted is held to a fresh quote.
    ok(&d, &["trader", "buy", "--strike", "150", "--kind", "call", "--size", "1"]);
}

/// Mistakes a new user makes get a plain answer and change nothing: an absurd price is refused
/// without a panic; a `dev init` that fails half way leaves no market behind; a missing margin
/// account, shares not held and a wallet too poor are said as such.
#[test]
fn mistakes_get_plain_errors_and_change_nothing() {
    let d = tmp("mistakes");
    let e = run(&d, &["dev", "init", "--price", "1e12"]).unwrap_err();
    assert!(e.contains("price out of range") && !e.contains("panicked"), "{e}");
    // 1e9 passes the oracle but not the listing: the board is refused after the market was
    // made, and nothing of it is kept.
    let e = run(&d, &["dev", "init", "--price", "1e9"]).unwrap_err();
    assert!(e.contains("ListingOutsideEngineDomain"), "{e}");
    ok(&d, &["dev", "init"]);
    let e = run(&d, &["dev", "warp", &i64::MAX.to_string()]).unwrap_err();
    assert!(e.contains("cannot warp") && !e.contains("panicked"), "{e}");
    let e = run(&d, &["dev", "price", "0"]).unwrap_err();
    assert!(e.contains("a price must be above zero"), "{e}");
    let e = run(&d, &["trader", "buy", "--strike", "150", "--kind", "call", "--size", "1e30"])
        .unwrap_err();
    assert!(e.contains("out of range") && !e.contains("panicked"), "{e}");
    let e = run(&d, &["trader", "withdraw-collateral", "5"]).unwrap_err();
    assert!(e.contains("no margin account") && e.contains("trader open-account"), "{e}");
    let expiry = ok(&d, &["market", "show"])["boards"][0]["expiry"].to_string();
    let e = run(&d, &["trader", "settle", "--expiry", &expiry]).unwrap_err();
    assert!(e.contains("you hold no position on the board"), "{e}");
    let e = run(&d.join("other"), &["dev", "init", "--days", &i64::MAX.to_string()]).unwrap_err();
    assert!(e.contains("--days must be a positive number") && !e.contains("panicked"), "{e}");
    let e = run(&d, &["lp", "withdraw", "--tranche", "junior", "5"]).unwrap_err();
    assert!(e.contains("you hold 0 junior shares, fewer than the 5 asked"), "{e}");
    let e = run(&d, &["lp", "deposit", "--tranche", "junior", "5000000000"]).unwrap_err();
    assert!(e.contains("insufficient funds: your wallet holds 1000000 quote"), "{e}");
    ok(&d, &["trader", "open-account"]);
    ok(&d, &["lp", "deposit", "--tranche", "senior", "900000"]);
    let e = run(&d, &["trader", "buy", "--strike", "150", "--kind", "call", "--size", "20000"])
        .unwrap_err();
    assert!(e.contains("insufficient funds: your wallet holds 100000 quote, the buy costs"), "{e}");
    // A fill the program's own function refuses (no liquidity at all: the utilisation cap) is
    // the program's refusal, by name, exit 3; one the handler refuses comes back as the quote's
    // `refusal` (a put struck at 120 with spot at 400 has a delta outside the tradable band).
    let quote = ["trader", "quote", "--strike", "120", "--kind", "put", "--size", "1"];
    let empty = d.join("empty");
    ok(&empty, &["dev", "init"]);
    let o = output(&empty, &quote);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("UtilisationCap"));
    ok(&d, &["dev", "price", "400"]);
    ok(&d, &["keeper", "refresh"]);
    assert_eq!(ok(&d, &quote)["refusal"]["name"], "DeltaOutOfBand");
    ok(&d, &["dev", "price", "150"]);
    ok(&d, &["keeper", "refresh"]);
    let e = run(&d, &["trader", "deposit-collateral", "2000000"]).unwrap_err();
    assert!(e.contains("insufficient funds: your wallet holds 100000 quote"), "{e}");
    let e = run(&d, &["trader", "open-account"]).unwrap_err();
    assert!(e.contains("your margin account already exists"), "{e}");
    let e = run(&d, &["gov", "init-config", "--guardian", &"1".repeat(32)]).unwrap_err();
    assert!(e.contains("your config already exists"), "{e}");
    let e = run(&d, &["gov", "create-board", "--expiry", "4000000000", "--strike", "150:80"])
        .unwrap_err();
    assert!(e.contains("give it as a fraction"), "{e}");
}

/// A quote runs the trade without landing it: it says when the program would refuse the trade
/// and why (a stale cache, a size above the cap), and is clean when the trade would go through.
#[test]
fn a_quote_says_when_the_program_would_refuse_the_trade() {
    let d = tmp("quote-refusal");
    ok(&d, &["dev", "init"]);
    ok(&d, &["lp", "deposit", "--tranche", "senior", "500000"]);
    let quote = |d: &Path, size: &str| {
        ok(d, &["trader", "quote", "--strike", "150", "--kind", "call", "--size", size])
    };
    let q = quote(&d, "2");
    assert!(q["refusal"].is_null(), "{q}");
    assert!(q["total"].as_f64().unwrap() > 0.0);
    let q = quote(&d, "100000");
    assert_eq!(q["refusal"]["kind"], "program", "{q}");
    assert_eq!(q["refusal"]["name"], "TradeTooLarge", "{q}");
    ok(&d, &["dev", "warp", "300"]);
    let q = quote(&d, "2");
    assert_eq!(q["refusal"]["name"], "StaleGreekCache", "{q}");
}

/// A node that accepts the connection and never answers fails the command within seconds,
/// naming the URL, not after the RPC client's default 30 s.
#[test]
fn a_silent_rpc_node_fails_fast_and_names_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(std::time::Duration::from_secs(60));
        drop(held);
    });
    let d = tmp("silent");
    let key = d.join("k.json");
    ok(&d, &["dev", "keygen", key.to_str().unwrap()]);
    let started = std::time::Instant::now();
    let out = Command::cargo_bin("options-amm")
        .unwrap()
        .args(["market", "show", "--url", &url, "--keypair", key.to_str().unwrap()])
        .args(["--market", "11111111111111111111111111111111", "--json"])
        .output()
        .unwrap();
    let secs = started.elapsed().as_secs();
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "chain");
    assert!(v["error"]["message"].as_str().unwrap().contains(&url), "{v}");
    assert!(secs < 20, "took {secs} s");
}

/// While the program would refuse an LP flow (the greek cache stale: the price moved past
/// `trading.cache_max_spot_move_bps` since the refresh; a board past expiry not yet settled),
/// `lp show` still shows an LP's shares and names the program's reason; after the keeper's
/// pass it values them again, at what a withdrawal pays.
#[test]
fn lp_show_names_why_the_pool_cannot_be_valued_and_still_shows_the_shares() {
    let d = tmp("lp-stale");
    ok(&d, &["dev", "init"]);
    ok(&d, &["lp", "deposit", "--tranche", "junior", "1000"]);
    let fresh = ok(&d, &["lp", "show"]);
    assert!(fresh.get("unknown").is_none(), "{fresh}");
    let unknown = |why: &str| {
        let v = ok(&d, &["lp", "show"]);
        let said = v["unknown"].as_str().unwrap_or_else(|| panic!("{v}"));
        assert!(said.starts_with(why), "{said}");
        let junior = &v["tranches"][1];
        assert_eq!(junior["your_shares"].as_f64().unwrap(), 1000.0, "{v}");
        assert!(junior["your_value"].is_null() && junior["nav"].is_null(), "{v}");
    };
    // The reference limit is 1%: 150 -> 160 is past it.
    ok(&d, &["dev", "price", "160"]);
    unknown("StaleGreekCache");
    ok(&d, &["keeper", "refresh"]);
    assert!(ok(&d, &["lp", "show"]).get("unknown").is_none());
    // Past the board's expiry (7 days), before settlement.
    ok(&d, &["dev", "warp", "604900"]);
    unknown("BoardAwaitingSettlement");
    ok(&d, &["keeper", "settle"]);
    let again = ok(&d, &["lp", "show"]);
    assert!(again.get("unknown").is_none(), "{again}");
    let shown = again["tranches"][1]["your_value"].as_f64().unwrap();
    let got =
        ok(&d, &["lp", "withdraw", "--tranche", "junior", "all"])["received"].as_f64().unwrap();
    assert!((got - shown).abs() <= 0.000_001, "shown {shown}, received {got}");
}
