//! `options-amm-validator`: a local Solana validator for the RPC path, built from the registry's
//! crates. It is Surfpool's core (`surfpool-core` 1.7.0): a JSON-RPC and websocket server over
//! litesvm 0.18.1, i.e. the Agave 4.3 runtime (program loader, SBPF v3 VM, SPL Token) that
//! tests/sbf runs the .so on, offline (no remote datasource), producing a block every
//! `--slot-ms`. It takes `solana-test-validator`'s arguments for what it loads at start:
//!
//! ```text
//! options-amm-validator [--port 8899] [--ws-port 8900] [--slot-ms 100]
//!     [--bpf-program ADDRESS SO_FILE]... [--account ADDRESS JSON_FILE]... [--airdrop ADDRESS]...
//! ```
//!
//! `--account` files are in the format `solana account --output json` writes (and
//! `solana-test-validator --account` reads). It prints `ready <url>` on stdout once it answers
//! JSON-RPC, then runs until killed. Prices and the clock move through Surfpool's own RPC
//! methods (`surfnet_setAccount`, `surfnet_timeTravel`), which the CLI's `dev` commands call.

use base64::Engine;
use solana_account::Account;
use solana_pubkey::Pubkey;
use std::path::PathBuf;
use std::str::FromStr;
use surfpool_core::surfnet::locker::SurfnetSvmLocker;
use surfpool_core::surfnet::svm::{SurfnetSvm, SurfnetSvmConfig};
use surfpool_types::types::{BlockProductionMode, RpcConfig, SimnetConfig};
use surfpool_types::{SimnetEvent, SurfpoolConfig};

struct Args {
    port: u16,
    ws_port: u16,
    slot_ms: u64,
    programs: Vec<(Pubkey, PathBuf)>,
    accounts: Vec<(Pubkey, PathBuf)>,
    airdrops: Vec<Pubkey>,
}

fn usage(why: &str) -> ! {
    eprintln!(
        "options-amm-validator: {why}\nusage: options-amm-validator [--port N] [--ws-port N] \
         [--slot-ms N] [--bpf-program ADDRESS SO] [--account ADDRESS JSON] [--airdrop ADDRESS]"
    );
    std::process::exit(2)
}

fn key(text: &str) -> Pubkey {
    Pubkey::from_str(text).unwrap_or_else(|_| usage(&format!("not an address: {text}")))
}

fn parse_args() -> Args {
    let mut a = Args {
        port: 8899,
        ws_port: 8900,
        slot_ms: 100,
        programs: vec![],
        accounts: vec![],
        airdrops: vec![],
    };
    let mut it = std::env::args().skip(1);
    let next = |it: &mut dyn Iterator<Item = String>, flag: &str| {
        it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")))
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--port" => a.port = next(&mut it, &flag).parse().unwrap_or_else(|_| usage("--port")),
            "--ws-port" => {
                a.ws_port = next(&mut it, &flag).parse().unwrap_or_else(|_| usage("--ws-port"))
            }
            "--slot-ms" => {
                a.slot_ms = next(&mut it, &flag).parse().unwrap_or_else(|_| usage("--slot-ms"))
            }
            "--bpf-program" => {
                let k = key(&next(&mut it, &flag));
                a.programs.push((k, next(&mut it, &flag).into()))
            }
            "--account" => {
                let k = key(&next(&mut it, &flag));
                a.accounts.push((k, next(&mut it, &flag).into()))
            }
            "--airdrop" => a.airdrops.push(key(&next(&mut it, &flag))),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    a
}

/// An account file as `solana account --output json` writes it.
fn read_account(path: &PathBuf) -> Result<Account, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let a = &v["account"];
    let field = |name: &str| format!("{}: no account.{name}", path.display());
    let data = a["data"][0].as_str().ok_or_else(|| field("data"))?;
    Ok(Account {
        lamports: a["lamports"].as_u64().ok_or_else(|| field("lamports"))?,
        data: base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("{}: {e}", path.display()))?,
        owner: Pubkey::from_str(a["owner"].as_str().ok_or_else(|| field("owner"))?)
            .map_err(|_| field("owner"))?,
        executable: a["executable"].as_bool().unwrap_or(false),
        rent_epoch: 0,
    })
}

fn main() {
    let args = parse_args();
    let (svm, events, geyser) =
        SurfnetSvm::new(SurfnetSvmConfig { slot_time: args.slot_ms, ..Default::default() })
            .unwrap_or_else(|e| usage(&format!("cannot build the SVM: {e}")));
    let locker = SurfnetSvmLocker::new(svm);
    let mut loaded = Ok(());
    locker.with_svm_writer(|w| {
        for (id, path) in &args.programs {
            let r = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display())).and_then(
                |so| w.inner.svm.add_program(*id, &so).map_err(|e| format!("{id}: {e:?}")),
            );
            if r.is_err() {
                loaded = r;
                return;
            }
        }
        for (k, path) in &args.accounts {
            let r = read_account(path)
                .and_then(|a| w.set_account(k, a).map_err(|e| format!("{k}: {e}")));
            if r.is_err() {
                loaded = r;
                return;
            }
        }
    });
    if let Err(e) = loaded {
        usage(&format!("cannot load: {e}"));
    }
    let config = SurfpoolConfig {
        simnets: vec![SimnetConfig {
            offline_mode: true,
            remote_rpc_url: None,
            slot_time: args.slot_ms,
            block_production_mode: BlockProductionMode::Clock,
            airdrop_addresses: args.airdrops.clone(),
            airdrop_token_amount: 1_000_000_000_000,
            ..SimnetConfig::default()
        }],
        rpc: RpcConfig {
            bind_host: "127.0.0.1".into(),
            bind_port: args.port,
            ws_port: args.ws_port,
            ..Default::default()
        },
        ..SurfpoolConfig::default()
    };
    let (commands_tx, commands_rx) = crossbeam_channel::unbounded();
    let runloop = std::thread::spawn(move || {
        let run = surfpool_core::runloops::start_local_surfnet_runloop(
            locker,
            config,
            commands_tx,
            commands_rx,
            geyser,
        );
        hiro_system_kit::nestable_block_on(run).map_err(|e| format!("the validator stopped: {e:?}"))
    });
    loop {
        match events.recv() {
            Ok(SimnetEvent::CoreStarted(_)) => break,
            Ok(SimnetEvent::Aborted(e)) => usage(&format!("aborted at start: {e}")),
            Ok(_) => {}
            Err(_) => {
                let why = runloop.join().map(|r| r.err()).ok().flatten();
                usage(&why.unwrap_or_else(|| "stopped before it was ready".into()))
            }
        }
    }
    println!("ready http://127.0.0.1:{}", args.port);
    // Drain events (logs of every transaction) so that the channel never fills.
    let quiet = std::env::var_os("VALIDATOR_LOG").is_none();
    while let Ok(ev) = events.recv() {
        if !quiet {
            eprintln!("{ev:?}");
        }
    }
    if let Ok(Err(e)) = runloop.join() {
        usage(&e)
    }
}
