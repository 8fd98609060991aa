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
