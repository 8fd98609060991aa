//! Live vol through the CLI, as its users run it in successive processes on one state
//! directory: governance names a vol feed after the timelock, the feed posts surfaces from a
//! file, `market show` shows what marks and trades are at, and the keeper cranks realised vol.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Runs `options-amm <args> --state <dir>/s --json`: its exit status and its one JSON object
/// (the result, or `{"error": ...}` on failure).
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let out = Command::cargo_bin("options-amm")
        .unwrap()
        .args(args)
        .args(["--state", dir.join("s").to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    let v = serde_json::from_str(last).unwrap_or_else(|e| {
        panic!("{args:?}: not JSON ({e}): {text}\n{}", String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code(), v)
}

fn ok(dir: &Path, args: &[&str]) -> Value {
    let (code, v) = run(dir, args);
    assert_eq!(code, Some(0), "{args:?} failed: {v}");
    v
}

/// A command the program refuses: exit 3 and the error's name.
fn refused(dir: &Path, args: &[&str]) -> String {
    let (code, v) = run(dir, args);
    assert_eq!(code, Some(3), "{args:?} was not refused by the program: {v}");
    assert_eq!(v["error"]["kind"], "program", "{v}");
    v["error"]["name"].as_str().unwrap().to_string()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("options-amm-vol-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Names a new key the market's vol feed through governance, after the timelock; returns the
/// `--keypair` arguments that sign as it.
fn name_a_feed(d: &Path) -> [String; 2] {
    let key = d.join("feed.json");
    let feed: String =
        ok(d, &["dev", "keygen", key.to_str().unwrap()])["pubkey"].as_str().unwrap().into();
    let p = ok(d, &["gov", "propose-vol-feed", &feed]);
    assert_eq!(p["proposed"], feed.as_str());
    let eta = p["executable_at"].as_i64().unwrap();
    let vol = ok(d, &["market", "show"])["vol"].clone();
    assert_eq!(vol["feed"], Value::Null, "{vol}");
    assert_eq!(vol["pending_feed"]["feed"], feed.as_str(), "{vol}");
    assert_eq!(vol["pending_feed"]["executable_at"], eta, "{vol}");
    assert_eq!(refused(d, &["gov", "execute-vol-feed"]), "TimelockNotElapsed");
    let now = ok(d, &["market", "show"])["now"].as_i64().unwrap();
    ok(d, &["dev", "warp", &(eta - now).to_string()]);
    assert_eq!(ok(d, &["gov", "execute-vol-feed"])["vol_feed"], feed.as_str());
    let vol = ok(d, &["market", "show"])["vol"].clone();
    assert_eq!((&vol["feed"], &vol["pending_feed"]), (&Value::from(feed.as_str()), &Value::Null));
    ["--keypair".into(), key.to_str().unwrap().into()]
}

/// `vol post` of `csv` to `board` (an expiry or an address), signed by `signer` (`--keypair
/// ...`).
fn post(d: &Path, board: &str, csv: &str, signer: &[String]) -> (Option<i32>, Value) {
    let file = d.join("surface.csv");
    std::fs::write(&file, csv).unwrap();
    let f = file.to_str().unwrap().to_string();
    let mut args = vec!["vol", "post", "--board", board, "--file", &f];
    args.extend(signer.iter().map(String::as_str));
    run(d, &args)
}

/// `market show`'s `vol` entry for the board expiring at `expiry`.
fn board_vol(d: &Path, expiry: i64) -> Value {
    let v = ok(d, &["market", "show"]);
    let boards = v["vol"]["boards"].as_array().unwrap().clone();
    boards.into_iter().find(|b| b["expiry"] == expiry).unwrap_or_else(|| panic!("{v}"))
}

fn column(board: &Value, key: &str) -> Vec<f64> {
    board["strikes"].as_array().unwrap().iter().map(|s| s[key].as_f64().unwrap()).collect()
}

#[test]
fn a_feed_named_after_the_timelock_posts_a_surface_and_marks_follow_it_only_as_time_passes() {
    let d = tmp("post");
    let init = ok(&d, &["dev", "init", "--price", "150"]);
    let expiry = init["board_expiry"].as_i64().unwrap();
    let e = expiry.to_string();
    let feed = name_a_feed(&d);
    // Strikes 120..180 listed at 80%; a smile within one step (half a vol point) of it, in the
    // file's order.
    let csv = "strike,vol_pct\n150,80\n120,80.5\n135,80.4\n165,80.25\n180,80.3\n";
    let posted = [0.805, 0.804, 0.8, 0.8025, 0.803];
    // Only the feed posts.
    let (code, v) = post(&d, &e, csv, &[]);
    assert_eq!((code, &v["error"]["name"]), (Some(3), &Value::from("NotVolFeed")), "{v}");
    let (code, v) = post(&d, &e, csv, &feed);
    assert_eq!(code, Some(0), "{v}");
    let vols: Vec<f64> =
        v["surface"].as_array().unwrap().iter().map(|s| s["vol"].as_f64().unwrap()).collect();
    assert_eq!(vols, posted, "{v}");
    let now = ok(&d, &["market", "show"])["now"].as_i64().unwrap();
    assert_eq!(v["posted_at"], now);

    // Trades price at the posted vols at once; the time-weighted vol and the marks stay.
    let b = board_vol(&d, expiry);
    assert_eq!(column(&b, "strike"), [120.0, 135.0, 150.0, 165.0, 180.0]);
    assert_eq!(column(&b, "base_vol"), posted, "{b}");
    assert_eq!(column(&b, "avg_vol"), [0.8; 5], "{b}");
    assert_eq!(column(&b, "mark_vol"), [0.8; 5], "{b}");
    assert_eq!(
        (&b["vol_posted_ts"], &b["surface_stale"]),
        (&Value::from(now), &Value::from(false))
    );

    // Half the mark window later the time-weighted vol is half way; a refresh marks at it.
    ok(&d, &["dev", "warp", "1800"]);
    let b = board_vol(&d, expiry);
    for (avg, p) in column(&b, "avg_vol").iter().zip(posted) {
        assert!((avg - (0.8 + (p - 0.8) / 2.0)).abs() < 1e-12, "{b}");
    }
    assert_eq!(column(&b, "mark_vol"), [0.8; 5], "only a refresh moves the marks: {b}");
    ok(&d, &["keeper", "refresh"]);
    let b = board_vol(&d, expiry);
    assert_eq!(column(&b, "mark_vol"), column(&b, "avg_vol"), "{b}");
}

#[test]
fn a_butterfly_surface_is_refused_as_surface_calls_not_convex_and_changes_nothing() {
    let d = tmp("butterfly");
    let init = ok(&d, &["dev", "init", "--price", "150"]);
    let expiry = init["board_expiry"].as_i64().unwrap() + 7 * 86_400;
    let e = expiry.to_string();
    // Listed just convex: 150 at 87.4% between 80% neighbours and 85% wings (f64 Black-Scholes:
    // at 13 days the 150 call stops being convex at 87.7%).
    let strikes = ["130:0.85", "140:0.8", "150:0.874", "160:0.8", "170:0.85"];
    let mut args = vec!["gov", "create-board", "--expiry", &e];
    for s in &strikes {
        args.extend(["--strike", s]);
    }
    let board = ok(&d, &args)["board"].as_str().unwrap().to_string();
    let feed = name_a_feed(&d);

    let before = ok(&d, &["market", "show"]);
    // Half a point more at 150 (within one step): the 150 call is then dearer than the
    // average of its neighbours' (a butterfly paid to hold).
    let bad = "strike,vol_pct\n130,85\n140,80\n150,87.9\n160,80\n170,85\n";
    let (code, v) = post(&d, &e, bad, &feed);
    assert_eq!(code, Some(3), "{v}");
    assert_eq!(v["error"]["name"], "SurfaceCallsNotConvex", "{v}");
    // A file that names a strike the board does not list is refused before anything is sent.
    let (code, v) = post(&d, &e, "strike,vol_pct\n130,85\n145,80\n", &feed);
    assert_eq!(code, Some(2), "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("line 3: the board has no strike 145"), "{msg}");
    assert_eq!(ok(&d, &["market", "show"]), before, "a refused post changed the market");

    // Half a point less is convex and taken (the board named by its address).
    let smile = "strike,vol_pct\n130,85\n140,80\n150,86.9\n160,80\n170,85\n";
    let (code, v) = post(&d, &board, smile, &feed);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(column(&board_vol(&d, expiry), "base_vol"), [0.85, 0.8, 0.869, 0.8, 0.85]);
}

#[test]
fn keeper_update_vol_twice_on_one_print_is_refused_as_vol_already_current() {
    let d = tmp("update");
    ok(&d, &["dev", "init", "--price", "150"]);
    // The listing's refresh saw the first print; a warp publishes a newer one.
    let realised = |d: &Path| ok(d, &["market", "show"])["vol"]["realised_vol"].clone();
    let seen = realised(&d)["publish_time"].as_i64().unwrap();
    assert_eq!(refused(&d, &["keeper", "update-vol"]), "VolAlreadyCurrent");
    let now = ok(&d, &["dev", "warp", "60"])["now"].as_i64().unwrap();
    let r = ok(&d, &["keeper", "update-vol"])["realised_vol"].clone();
    assert_eq!(
        (r["publish_time"].as_i64(), r["span_secs"].as_i64()),
        (Some(now), Some(now - seen))
    );
    assert_eq!(r["mature"], false, "{r}");
    assert_eq!(realised(&d), r);
    assert_eq!(refused(&d, &["keeper", "update-vol"]), "VolAlreadyCurrent");
    assert_eq!(realised(&d), r, "a refused crank changed the estimate");

    // `keeper run` cranks it each pass; the same print again is nothing to do, not a refusal.
    let pass = |d: &Path| {
        let out = Command::cargo_bin("options-amm")
            .unwrap()
            .args(["keeper", "run", "--iterations", "1", "--json", "--state"])
            .arg(d.join("s"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        serde_json::from_str::<Value>(text.lines().next().unwrap()).unwrap()["done"].clone()
    };
    let done = pass(&d);
    assert!(done.get("update_vol").is_none(), "{done}");
    let now = ok(&d, &["dev", "warp", "60"])["now"].as_i64().unwrap();
    let done = pass(&d);
    assert_eq!(done["update_vol"][0]["result"], "ok", "{done}");
    assert_eq!(done["update_vol"][0]["realised_vol"]["publish_time"], now, "{done}");
    assert_eq!(done["refresh"][0]["result"], "ok", "{done}");
}
