//! The `options-amm price` command, run as a user runs it.

use assert_cmd::Command;
use options_amm_pricing::{black_scholes, BsParams, Fx, OptionKind};
use serde_json::Value;

fn cli() -> Command {
    Command::cargo_bin("options-amm").unwrap()
}

const ARGS: [&str; 13] = [
    "price",
    "--spot",
    "100",
    "--strike",
    "105",
    "--vol",
    "0.2",
    "--rate",
    "0.05",
    "--expiry-secs",
    "2592000",
    "--kind",
    "call",
];

/// Runs `cmd`, which must succeed, and reads its stdout as one JSON object.
fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).expect("stdout is exactly one JSON object")
}

fn engine(kind: OptionKind) -> options_amm_pricing::Greeks {
    let p = BsParams {
        spot: Fx::from_num(100),
        strike: Fx::from_num(105),
        vol: "0.2".parse().unwrap(),
        rate: "0.05".parse().unwrap(),
        expiry_secs: 2_592_000,
    };
    black_scholes(kind, &p).unwrap()
}

#[test]
fn price_prints_every_greek_readably() {
    let out = cli().args(ARGS).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    for word in ["price", "delta", "gamma", "vega", "theta", "per year", "per day"] {
        assert!(text.contains(word), "missing {word} in\n{text}");
    }
    assert!(text.contains(&format!("{:.12}", engine(OptionKind::Call).price)), "{text}");
}

#[test]
fn price_json_is_one_object_equal_to_the_engine_to_the_last_digit() {
    let out = cli().args(ARGS).arg("--json").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1);
    let v: Value = serde_json::from_str(&text).unwrap();
    let g = engine(OptionKind::Call);
    for (key, want) in [
        ("price", g.price),
        ("delta", g.delta),
        ("gamma", g.gamma),
        ("vega", g.vega),
        ("theta", g.theta),
    ] {
        let got: Fx = v[key].to_string().parse().unwrap();
        assert_eq!(got, want, "{key}");
    }
}

#[test]
fn batch_answers_each_line_in_order_and_survives_bad_lines() {
    let input = concat!(
        r#"{"spot": 100, "strike": 105, "vol": 0.2, "rate": 0.05, "expiry_secs": 2592000, "kind": "put"}"#,
        "\nthis is not json\n",
        r#"{"spot": 100, "strike": 105, "vol": 0, "rate": 0.05, "expiry_secs": 2592000, "kind": "put"}"#,
        "\n",
        r#"{"spot": "1e2", "strike": 105, "vol": 0.2, "rate": 0.05, "expiry_secs": 2592000, "kind": "call"}"#,
        "\n"
    );
    let out = cli().args(["price", "--batch"]).write_stdin(input).assert().success();
    let lines: Vec<Value> = String::from_utf8(out.get_output().stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    // A blank line is answered too, so answers always pair with lines.
    let out = cli().args(["price", "--batch"]).write_stdin("\n").assert().success();
    let blank: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(blank["error"].as_str().unwrap().contains("empty line"));
    let put: Fx = lines[0]["price"].to_string().parse().unwrap();
    assert_eq!(put, engine(OptionKind::Put).price);
    assert!(lines[1]["error"].as_str().unwrap().contains("invalid JSON"));
    assert!(lines[2]["error"].as_str().unwrap().contains("volatility"));
    let call: Fx = lines[3]["price"].to_string().parse().unwrap();
    assert_eq!(call, engine(OptionKind::Call).price);
}

#[test]
fn bad_arguments_exit_non_zero_with_a_clear_message() {
    let mut args = ARGS.to_vec();
    args[2] = "abc";
    cli().args(&args).assert().failure().stderr(predicates::str::contains("not a decimal number"));
    args[2] = "-5";
    cli().args(&args).assert().failure().stderr(predicates::str::contains("spot outside"));
    cli()
        .args(["price", "--spot", "100"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("required"));
    cli().args(["price", "--batch", "--spot", "1"]).assert().failure();
}

#[test]
fn quote_json_is_the_programs_own_fill_to_the_unit() {
    use options_amm::math::fill::{fill, FillInputs};
    use options_amm::state::{RiskParams, PUT};
    use options_amm_pricing::{Inventory, Side};
    let out = cli()
        .args([
            "quote",
            "--spot",
            "150",
            "--conf",
            "0.05",
            "--strike",
            "140",
            "--vol",
            "0.8",
            "--rate",
            "0.05",
            "--expiry-secs",
            "1209600",
            "--kind",
            "put",
            "--side",
            "sell",
            "--size",
            "3",
            "--net-vega",
            "-300",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let inputs = FillInputs {
        kind: PUT,
        side: Side::Sell,
        size: 3_000_000_000,
        strike: Fx::from_num(140),
        base_vol: "0.8".parse().unwrap(),
        spot: Fx::from_num(150),
        spot_conf: "0.05".parse().unwrap(),
        now: 0,
        expiry_ts: 1_209_600,
        inventory: Inventory { net_vega: Fx::from_num(-300), ..Inventory::default() },
        rate_bps: 500,
        underlying_decimals: 9,
        quote_decimals: 6,
        cap_bps: RiskParams::reference().trading.call_cap_multiple_bps,
        position: 0,
        open_interest: 0,
        pool_quote: 1_000_000_000_000,
        locked_quote: 0,
        max_utilisation_bps: RiskParams::reference().max_utilisation_bps,
        extra_spread_vol: Fx::ZERO,
        floor_vol: None,
    };
    let f = fill(&inputs, &RiskParams::reference().trading).unwrap();
    assert_eq!(v["premium_raw"].as_u64().unwrap(), f.premium);
    assert_eq!(v["fee_protocol_raw"].as_u64().unwrap(), f.fee_protocol);
    assert_eq!(v["fee_lp_raw"].as_u64().unwrap(), f.fee_lp);
    assert_eq!(v["total_raw"].as_u64().unwrap(), f.premium - f.fee_protocol - f.fee_lp);
    // The same amounts in whole quote tokens (6 decimals), as every command prints them.
    assert_eq!(v["premium"].as_f64().unwrap(), f.premium as f64 / 1e6);
    let charge: Fx = v["inventory_charge"].to_string().parse().unwrap();
    assert_eq!(charge, f.quote.inventory_charge);
}

#[test]
fn quote_refuses_bad_arguments_with_a_message() {
    let base = [
        "quote",
        "--spot",
        "150",
        "--strike",
        "140",
        "--vol",
        "0.8",
        "--expiry-secs",
        "1209600",
        "--kind",
        "put",
        "--side",
        "buy",
    ];
    cli()
        .args(base)
        .args(["--size", "0"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("size must be positive"));
    cli()
        .args(base)
        .args(["--size", "0.0000000001"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("whole number of raw units"));
    cli()
        .args(base)
        .args(["--size", "1", "--rate", "0.00001"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("basis points"));
}

#[test]
fn simulate_json_reports_every_key_and_no_invariant_violation() {
    let dir = std::env::temp_dir().join(format!("options-amm-sim-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let args = ["simulate", "--scenario", "crash", "--days", "1", "--seed", "7", "--json", "--out"];
    let v = json_of(cli().args(args).arg(&dir));
    for key in [
        "trades",
        "liquidations",
        "rebalances",
        "settlements",
        "invariant_violations",
        "final_nav",
        "net_delta_before_after_rebalance",
        "fees",
        "vol_posts",
        "lp_pnl",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["invariant_violations"], 0);
    // The LP fees booked trade by trade from each fill the CLI printed are the fees the
    // program's own counter booked; a liquidation's kept fee is counted by the program only
    // (it is in `other`, with the penalty).
    let (booked, counted) =
        (v["lp_pnl"]["fees"].as_f64().unwrap(), v["fees"]["lp"].as_f64().unwrap());
    assert!(booked > 0.0 && booked <= counted + 1e-9, "fills {booked}, program {counted}");
    if v["liquidations"] == 0 {
        assert!((booked - counted).abs() < 1e-9, "fills {booked}, program {counted}");
    }
    assert!(v["lp_pnl"]["spread"].as_f64().unwrap() > 0.0);
    assert!(v["trades"].as_u64().unwrap() > 0);
    assert!(v["final_nav"]["senior"].as_f64().unwrap() > 0.0);
    // --out holds the charts and the same report.
    let saved: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(saved["trades"], v["trades"]);
    for chart in ["price", "tranche_nav", "net_delta", "vol", "utilisation"] {
        let svg = std::fs::read_to_string(dir.join(format!("{chart}.svg"))).unwrap();
        assert!(svg.contains("<polyline"), "{chart}.svg draws its lines");
    }
    // Days are bounded.
    cli().args(["simulate", "--days", "0"]).assert().failure();
    cli().args(["simulate", "--days", "366"]).assert().failure();
}

/// `--price-path`: every print of the file is published at its own spacing, the last one is the
/// run's final price, and a bad file is refused by its line (exit 2) before anything runs.
#[test]
fn simulate_replays_a_price_file_at_its_own_times() {
    let dir = std::env::temp_dir().join(format!("options-amm-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // 30 prints: hourly, then a two-hour gap and a 90-second one; the price zigzags.
    let mut text = String::from("unix_seconds,price\n");
    let (mut t, mut rows) = (1_600_000_000i64, Vec::new());
    for i in 0..30 {
        let price = 150.0 + if i % 2 == 0 { i as f64 * 0.5 } else { -(i as f64) * 0.25 };
        rows.push((t, price));
        text.push_str(&format!("{t},{price}\n"));
        t += match i {
            27 => 7_200,
            28 => 90,
            _ => 3_600,
        };
    }
    let file = dir.join("path.csv");
    std::fs::write(&file, &text).unwrap();
    let v = json_of(cli().args(["simulate", "--json", "--price-path"]).arg(&file));
    let (first, last) = (rows[0], rows[rows.len() - 1]);
    assert_eq!(v["steps"], 29);
    assert_eq!(v["final_price"].as_f64().unwrap(), last.1);
    assert_eq!(v["final_time"].as_i64().unwrap(), 1_800_000_000 + (last.0 - first.0));
    assert_eq!(v["days"], 2, "30 hours and 90 seconds round up to 2 days");
    assert_eq!(v["scenario"], Value::Null);
    assert_eq!(v["price_path"].as_str().unwrap(), file.display().to_string());
    assert_eq!(v["invariant_violations"], 0);
    assert!(v["trades"].as_u64().unwrap() > 0);
    // The vol feed posts both boards hourly: after each of the 28 steps of an hour or more,
    // not after the 90-second one.
    assert_eq!(v["vol_posts"], serde_json::json!({ "posted": 56, "refused": 0 }));

    // A bad file: its line, exit 2, and nothing on stdout.
    std::fs::write(&file, "unix_seconds,price\n1600000000,150\n1600003600,-1\n").unwrap();
    cli()
        .args(["simulate", "--price-path"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("line 3: price -1 is outside 1e-6 to 1e9"));
    // A replay has no scenario or length of its own.
    cli()
        .args(["simulate", "--scenario", "crash", "--price-path"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot be used with"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--without`: the same seed with a defence taken out. Without hedging no rebalance runs (the
/// baseline hedges); without the skew the same trades are priced differently; the report names
/// what was taken out.
#[test]
fn simulate_without_a_defence_measures_the_same_seed_without_it() {
    let run = |without: &[&str]| -> Value {
        let mut args = vec!["simulate", "--scenario", "crash", "--days", "10", "--seed", "1"];
        args.extend_from_slice(&["--json"]);
        if !without.is_empty() {
            args.push("--without");
            args.extend_from_slice(without);
        }
        let v = json_of(cli().args(&args));
        assert_eq!(v["invariant_violations"], 0, "{without:?}");
        v
    };
    let base = run(&[]);
    assert!(base["rebalances"].as_u64().unwrap() > 0, "the baseline hedges");
    assert_eq!(base["without"], serde_json::json!([]));
    let unhedged = run(&["hedge"]);
    assert_eq!(unhedged["rebalances"], 0);
    assert_eq!(unhedged["without"], serde_json::json!(["hedge"]));
    let unskewed = run(&["skew,spread-terms"]);
    assert_eq!(unskewed["without"], serde_json::json!(["skew", "spread-terms"]));
    assert_ne!(unskewed["fees"]["lp"], base["fees"]["lp"], "priced without the skew");
    cli().args(["simulate", "--without", "vol"]).assert().code(2);
}

/// The vol feed governance names at the start posts every open board's surface each hour (the
/// two boards listed at the start: two posts a step, none refused: a flat listed smile moved
/// flat is never arbitrage); `--without live-vol` names no feed, so nothing is posted.
#[test]
fn simulate_drives_the_vol_feed_from_its_own_path_unless_without_live_vol() {
    let run = |extra: &[&str]| -> Value {
        let mut args = vec!["simulate", "--scenario", "calm", "--days", "2", "--seed", "5"];
        args.push("--json");
        args.extend_from_slice(extra);
        let v = json_of(cli().args(&args));
        assert_eq!(v["invariant_violations"], 0, "{extra:?}");
        v
    };
    let live = run(&[]);
    let steps = live["steps"].as_u64().unwrap();
    assert_eq!(steps, 48);
    let posted = live["vol_posts"]["posted"].as_u64().unwrap();
    assert!(posted > 0, "the feed posts: {}", live["vol_posts"]);
    assert_eq!(live["vol_posts"]["refused"], 0);
    assert_eq!(posted, 2 * steps, "each of the two open boards every step");
    let off = run(&["--without", "live-vol"]);
    assert_eq!(off["without"], serde_json::json!(["live-vol"]));
    assert_eq!(off["vol_posts"], serde_json::json!({ "posted": 0, "refused": 0 }));
    // The posts are user commands of the run, counted with the rest.
    assert!(live["transactions"].as_u64().unwrap() >= posted);
}

/// `--matrix FILE`: every scenario x variant (here 1 seed of 1 day) into one markdown file with
/// the command that made it, one table row per cell, the goals, and the charts beside it.
#[test]
fn simulate_matrix_writes_every_cell_and_the_command_that_made_it() {
    let dir = std::env::temp_dir().join(format!("options-amm-matrix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("ECONOMICS.md");
    let v = json_of(cli().args(["simulate", "--days", "1", "--seeds", "1", "--matrix"]).arg(&file));
    assert_eq!(v["runs"], 36);
    assert_eq!(v["invariant_violations"], 0);
    let md = std::fs::read_to_string(&file).unwrap();
    let command = format!("simulate --matrix {} --days 1 --seeds 1", file.display());
    assert!(md.contains(&command), "the command is named: {md}");
    let scenarios = ["calm", "crash", "rally", "chop", "squeeze", "jumps"];
    let cells: Vec<Vec<String>> = md
        .lines()
        .filter(|l| scenarios.iter().any(|s| l.starts_with(&format!("| {s} |"))))
        .map(|l| l.split('|').map(|c| c.trim().to_string()).collect())
        .collect();
    // Two tables: the main one (13 columns) and the LPs' profit and loss by source (11).
    let rows: Vec<&Vec<String>> = cells.iter().filter(|r| r.len() == 15).collect();
    assert_eq!(rows.len(), 36, "6 scenarios x 6 variants");
    let pnl: Vec<&Vec<String>> = cells.iter().filter(|r| r.len() == 13).collect();
    assert_eq!(pnl.len(), 36, "a profit and loss row per cell");
    for r in &pnl {
        // total = spread + inventory charge + fees + hedge + penalties + bad debt + other
        // (each rounded).
        let n: Vec<f64> = r[3..11].iter().map(|c| c.parse().unwrap()).collect();
        assert!((n[0] - n[1..].iter().sum::<f64>()).abs() <= 4.0, "{r:?}");
        assert!(n[1] >= 0.0 && n[3] >= 0.0, "spread and fees are paid to the vault: {r:?}");
        assert!(n[6] <= 0.0, "bad debt is a loss: {r:?}");
    }
    for r in &rows {
        // Columns: "", scenario, variant, ..., rebalances is the 9th, vol posts the 13th.
        if r[2] == "without hedge" || r[2] == "without any" {
            assert_eq!(r[9], "0.0", "no hedge without hedging: {r:?}");
        }
        if r[2] == "without live-vol" || r[2] == "without any" {
            assert_eq!(r[13], "0 (0.0)", "no posts without live vol: {r:?}");
        } else {
            assert_eq!(r[13], "48 (0.0)", "two boards a step for 24 steps: {r:?}");
        }
    }
    assert_eq!(rows.iter().filter(|r| r[2] == "without live-vol").count(), 6);
    assert!(md.contains("## Goals (issue 15), measured"));
    for scenario in scenarios {
        assert!(dir.join("economics").join(scenario).join("tranche_nav.svg").exists());
    }
    // The same matrix one cell at a time: the same tables to the digit (cells run on several
    // cores must not read each other's program logs; they once did, in one process).
    let serial = dir.join("serial").join("ECONOMICS.md");
    let args = ["simulate", "--days", "1", "--seeds", "1", "--jobs", "1", "--matrix"];
    json_of(cli().args(args).arg(&serial));
    // Everything but the timings: the header and the goals' speed line.
    let body = |t: &str| {
        t.lines()
            .skip(4)
            .filter(|l| !l.starts_with("- Speed:"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert!(md.lines().any(|l| l.starts_with("- Speed: 36 runs in")), "the speed line");
    assert_eq!(body(&std::fs::read_to_string(&serial).unwrap()), body(&md));
    cli().args(["simulate", "--seeds", "2"]).assert().code(2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simulate_is_reproducible_from_its_seed() {
    let run = || json_of(cli().args(["simulate", "--days", "1", "--seed", "11", "--json"]));
    let (a, b) = (run(), run());
    for key in ["trades", "rebalances", "final_nav", "fees", "final_price", "refused"] {
        assert_eq!(a[key], b[key], "{key} differs between runs of one seed");
    }
}
