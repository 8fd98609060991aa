//! docs/CLI.md's table of commands and their JSON keys is the contract: every command below runs
//! in one local world and prints exactly the keys the table lists for it.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// `command -> keys` from the table in docs/CLI.md.
fn documented() -> BTreeMap<String, Vec<String>> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/CLI.md"))
        .expect("docs/CLI.md");
    let mut table = BTreeMap::new();
    for line in doc.lines() {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        if cols.len() == 4 && cols[1].starts_with('`') && cols[2].starts_with('`') {
            let command = cols[1].split('`').nth(1).unwrap().to_string();
            let keys = cols[2].trim_matches('`').split(", ").map(str::to_string).collect();
            table.insert(command, keys);
        }
    }
    table
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let out = Command::cargo_bin("options-amm")
        .unwrap()
        .args(args)
        .args(["--state", dir.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    // `keeper run` prints a line a pass; the summary comes last.
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

#[test]
fn every_command_prints_the_keys_docs_cli_md_lists() {
    let doc = documented();
    let d = std::env::temp_dir().join(format!("options-amm-schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let key = d.join("other.json");
    let init = json(&d, &["dev", "init"]);
    let expiry = init["board_expiry"].to_string();
    let later = (init["board_expiry"].as_i64().unwrap() + 86_400).to_string();
    let feed_key = d.join("feed.json");
    let feed = json(&d, &["dev", "keygen", feed_key.to_str().unwrap()])["pubkey"]
        .as_str()
        .unwrap()
        .to_string();
    let surface = d.join("surface.csv");
    std::fs::write(&surface, "strike,vol_pct\n120,80\n135,80\n150,80\n165,80\n180,80\n").unwrap();
    let feed_signs = ["--keypair", feed_key.to_str().unwrap()];
    let post = [
        &["vol", "post", "--board", &expiry, "--file", surface.to_str().unwrap()][..],
        &feed_signs,
    ]
    .concat();
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("dev init", vec![]), // checked from `init` below
        ("dev fund", vec!["dev", "fund", "--quote", "10"]),
        ("dev price", vec!["dev", "price", "150"]),
        ("dev accounts", vec!["dev", "accounts", "--price", "20"]),
        ("dev keygen", vec!["dev", "keygen", key.to_str().unwrap()]),
        ("keeper refresh", vec!["keeper", "refresh"]),
        ("lp deposit", vec!["lp", "deposit", "--tranche", "senior", "100000"]),
        ("lp withdraw", vec!["lp", "withdraw", "--tranche", "senior", "1"]),
        ("lp show", vec!["lp", "show"]),
        ("trader open-account", vec!["trader", "open-account"]),
        ("trader deposit-collateral", vec!["trader", "deposit-collateral", "1000"]),
        ("trader withdraw-collateral", vec!["trader", "withdraw-collateral", "10"]),
        (
            "trader quote",
            vec!["trader", "quote", "--strike", "150", "--kind", "put", "--size", "1"],
        ),
        ("trader buy", vec!["trader", "buy", "--strike", "150", "--kind", "put", "--size", "1"]),
        ("trader sell", vec!["trader", "sell", "--strike", "150", "--kind", "put", "--size", "1"]),
        ("trader show", vec!["trader", "show"]),
        ("market show", vec!["market", "show"]),
        ("market params", vec!["market", "params"]),
        ("keeper run", vec!["keeper", "run", "--iterations", "1"]),
        (
            "gov create-board",
            vec!["gov", "create-board", "--expiry", &later, "--strike", "150:0.8"],
        ),
        ("gov delist-board", vec!["gov", "delist-board", "--expiry", &later]),
        ("gov propose-params", vec!["gov", "propose-params", "--set", "trading.fee_spot_bps=4"]),
        ("gov pause", vec!["gov", "pause", "none"]),
        ("gov collect-fees", vec!["gov", "collect-fees", "all"]),
        ("trader close-position", vec!["trader", "close-position", "--expiry", &expiry]),
        ("dev warp", vec!["dev", "warp", "10"]),
        ("gov propose-vol-feed", vec!["gov", "propose-vol-feed", &feed]),
        ("dev warp", vec!["dev", "warp", "86400"]),
        ("keeper update-vol", vec!["keeper", "update-vol"]),
        ("gov execute-vol-feed", vec!["gov", "execute-vol-feed"]),
        ("vol post", post),
    ];
    let mut checked = 0;
    for (name, args) in &runs {
        let v = if args.is_empty() { init.clone() } else { json(&d, args) };
        let mut got: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        got.sort();
        let mut want =
            doc.get(*name).unwrap_or_else(|| panic!("docs/CLI.md lacks `{name}`")).clone();
        want.sort();
        assert_eq!(got, want, "`{name}` prints other keys than docs/CLI.md lists");
        checked += 1;
    }
    assert!(checked >= 30, "{checked}");
}
