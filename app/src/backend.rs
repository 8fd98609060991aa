//! Where the CLI's transactions go. By default an embedded Solana runtime (solana-program-test's
//! bank with this program and the real SPL Token programs) whose accounts and clock persist in a
//! state directory, so that successive commands see the same market; with `--url`, a cluster
//! over JSON-RPC. Both sign with the user's keypair file (the Solana CLI's convention) and pay
//! fees from it. Failures name the program's error (from the IDL's error table).
#![allow(deprecated)] // solana-program-test's API is marked "Agave Unstable"

use anchor_lang::prelude::Pubkey;
use base64::{engine::general_purpose::STANDARD, Engine};
use serde::{Deserialize, Serialize};
use solana_sdk::account::{Account, AccountSharedData};
use solana_sdk::clock::Clock;
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use crate::error::CliError;

pub type Result<T> = std::result::Result<T, CliError>;

/// What every command needs from a backend.
pub trait Backend {
    /// The user: signs and pays for every transaction.
    fn user(&self) -> &Keypair;
    fn account(&mut self, key: &Pubkey) -> Result<Option<Account>>;
    /// Sends `ixs` in one transaction signed by the user and `signers`; the logs on success.
    fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<Vec<String>>;
    /// Runs the transaction against the current state without landing it: `Ok` when it would
    /// go through, else the error it would get.
    fn simulate(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<()>;
    /// The cluster's unix time.
    fn now(&mut self) -> Result<i64>;
    /// Accounts of this program whose data starts with `discriminator`.
    fn program_accounts(&mut self, discriminator: &[u8]) -> Result<Vec<(Pubkey, Account)>>;
    /// The embedded runtime, for the `dev` commands that only a local world allows.
    fn embedded(&mut self) -> Option<&mut Embedded> {
        None
    }
    /// Persists what must outlive the process.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
    /// Lets other commands at the world (a local world's lock); use `open` again after.
    fn release(&mut self) {}

    // A local world's privileges (the `dev` commands): the embedded runtime has them, and so
    // has a local validator through its own RPC methods (Surfpool's `surfnet_setAccount` and
    // `surfnet_timeTravel`); a real cluster has not.

    /// Writes an account (oracle prices, mints).
    fn put_account(&mut self, _key: Pubkey, _owner: Pubkey, _data: Vec<u8>) -> Result<()> {
        Err(not_local())
    }
    /// Moves the clock forward to `at` (unix seconds).
    fn warp_to(&mut self, _at: i64) -> Result<()> {
        Err(not_local())
    }
    /// The local mints' authority (`<state>/faucet.json`, created on first use).
    fn faucet(&mut self) -> Result<Keypair> {
        Err(not_local())
    }
}

fn not_local() -> CliError {
    CliError::Input("dev commands need the embedded world (no --url) or a local validator".into())
}

/// The faucet key in `dir`, written on first use.
fn faucet_in(dir: &Path) -> Result<Keypair> {
    let path = dir.join("faucet.json");
    if !path.exists() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        write_keypair(&path, &Keypair::new())?;
    }
    read_keypair(&path)
}

/// Reads a keypair file in the Solana CLI's format (a JSON array of 64 bytes).
pub fn read_keypair(path: &Path) -> Result<Keypair> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read keypair {}: {e}", path.display()))?;
    let bytes: Vec<u8> = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a keypair file: {e}", path.display()))?;
    Keypair::try_from(bytes.as_slice())
        .map_err(|e| CliError::Input(format!("{} is not a keypair file: {e}", path.display())))
}

/// Writes a new keypair file (refuses to overwrite one).
pub fn write_keypair(path: &Path, key: &Keypair) -> Result<()> {
    if path.exists() {
        return Err(CliError::Input(format!(
            "{} exists; not overwriting a keypair",
            path.display()
        )));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let json = serde_json::to_string(&key.to_bytes().to_vec()).map_err(|e| e.to_string())?;
    // Readable by its owner only, as the Solana CLI writes keypairs.
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(json.as_bytes()))
        .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))
}

// ---------------------------------------------------------------- embedded

#[derive(Serialize, Deserialize)]
struct SavedAccount {
    lamports: u64,
    owner: String,
    executable: bool,
    data: String,
}

#[derive(Serialize, Deserialize, Default)]
struct World {
    unix_timestamp: i64,
    /// The last slot a transaction landed in: every transaction gets a slot of its own, as on
    /// a chain, and the count survives between commands.
    #[serde(default)]
    slot: u64,
    accounts: BTreeMap<String, SavedAccount>,
}

/// The embedded runtime and the state directory it persists to (`world.json`).
pub struct Embedded {
    dir: PathBuf,
    rt: tokio::runtime::Runtime,
    ctx: solana_program_test::ProgramTestContext,
    user: Keypair,
    /// Every account the world holds or a command touched, saved by `finish`.
    known: std::collections::BTreeSet<Pubkey>,
    now: i64,
    slot: u64,
    unique: u32,
    /// The local mints' authority, kept in `<state>/faucet.json`.
    faucet: Keypair,
    /// Whether this command changed the world (a transaction, a written account, the clock):
    /// only then is `world.json` written back; reads never write.
    dirty: bool,
    /// An exclusive lock on `<state>/lock`, held from `open` until `release` or drop: commands
    /// on one state directory run one after another, each on the world the previous one left.
    lock: Option<std::fs::File>,
    /// Accounts read since they last could have changed. Only a transaction that names an
    /// account (the runtime refuses writes to any other), or the world's own writes (`put`,
    /// the clock), change one; each drops what it may have changed. A long simulation spent
    /// most of its time reading the same accounts through the banks client.
    cache: std::collections::HashMap<Pubkey, Option<Account>>,
}

/// Takes the state directory's lock, waiting for any other command that holds it.
fn lock_state(dir: &Path) -> Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let path = dir.join("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| CliError::Input(format!("cannot open {}: {e}", path.display())))?;
    // SAFETY: flock on a descriptor this function owns; released when the file is closed.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(CliError::Input(format!("cannot lock {}", path.display())));
    }
    Ok(file)
}

fn key(text: &str) -> Result<Pubkey> {
    text.parse().map_err(|_| CliError::Input(format!("not a public key: {text:?}")))
}

impl Embedded {
    /// Opens the world in `dir` (empty if new, with the clock at the machine's time) and gives
    /// `user` 100 SOL if it has none: a local world is for development.
    pub fn open(dir: &Path, user: Keypair) -> Result<Embedded> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let lock = lock_state(dir)?;
        let path = dir.join("world.json");
        let world: World = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| format!("{} is damaged: {e}", path.display()))?,
            Err(_) => World {
                unix_timestamp: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_err(|e| e.to_string())?
                    .as_secs() as i64,
                slot: 0,
                accounts: BTreeMap::new(),
            },
        };
        let mut pt = options_amm_local::program_test();
        let mut known = std::collections::BTreeSet::new();
        for (k, a) in &world.accounts {
            let data = STANDARD.decode(&a.data).map_err(|e| format!("{k}: {e}"))?;
            let account = Account {
                lamports: a.lamports,
                data,
                owner: key(&a.owner)?,
                executable: a.executable,
                rent_epoch: 0,
            };
            let k = key(k)?;
            pt.add_account(k, account);
            known.insert(k);
        }
        if !known.contains(&user.pubkey()) {
            pt.add_account(
                user.pubkey(),
                Account::new(100_000_000_000, 0, &anchor_lang::system_program::ID),
            );
            known.insert(user.pubkey());
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let ctx = rt.block_on(pt.start_with_context());
        let faucet = faucet_in(dir)?;
        let mut e = Embedded {
            dir: dir.into(),
            rt,
            ctx,
            user,
            known,
            now: world.unix_timestamp,
            slot: world.slot,
            unique: 0,
            faucet,
            dirty: false,
            lock: Some(lock),
            cache: std::collections::HashMap::new(),
        };
        e.set_time(world.unix_timestamp)?;
        Ok(e)
    }

    pub fn set_time(&mut self, unix_timestamp: i64) -> Result<()> {
        let mut clock: Clock = self
            .rt
            .block_on(self.ctx.banks_client.get_sysvar())
            .map_err(|e| CliError::Chain(e.to_string()))?;
        clock.unix_timestamp = unix_timestamp;
        clock.slot = self.slot;
        self.ctx.set_sysvar(&clock);
        self.cache.remove(&solana_sdk::sysvar::clock::ID);
        self.dirty |= unix_timestamp != self.now;
        self.now = unix_timestamp;
        Ok(())
    }

    /// Moves the clock to the next slot (one per transaction).
    fn next_slot(&mut self) -> Result<()> {
        self.slot += 1;
        let now = self.now;
        self.set_time(now)
    }

    /// Signs and pays from now on as `user`, given 100 SOL if it has none (the simulation acts
    /// as each of its users in turn).
    pub fn act_as(&mut self, user: &Keypair) {
        let funded = self
            .rt
            .block_on(self.ctx.banks_client.get_balance(user.pubkey()))
            .is_ok_and(|lamports| lamports > 0);
        if !funded {
            let a = Account::new(100_000_000_000, 0, &anchor_lang::system_program::ID);
            self.ctx.set_account(&user.pubkey(), &AccountSharedData::from(a));
            self.cache.remove(&user.pubkey());
            self.known.insert(user.pubkey());
            self.dirty = true;
        }
        self.user = user.insecure_clone();
    }

    /// Writes an account directly (oracle prices, mints: the local world's privileges).
    pub fn put(&mut self, key: Pubkey, owner: Pubkey, data: Vec<u8>) {
        let account =
            Account { lamports: 1_000_000_000, data, owner, executable: false, rent_epoch: 0 };
        self.ctx.set_account(&key, &AccountSharedData::from(account));
        self.cache.remove(&key);
        self.known.insert(key);
        self.dirty = true;
    }

    fn save(&mut self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let mut world =
            World { unix_timestamp: self.now, slot: self.slot, accounts: BTreeMap::new() };
        for k in &self.known {
            let account = self
                .rt
                .block_on(self.ctx.banks_client.get_account(*k))
                .map_err(|e| CliError::Chain(e.to_string()))?;
            if let Some(a) = account {
                world.accounts.insert(
                    k.to_string(),
                    SavedAccount {
                        lamports: a.lamports,
                        owner: a.owner.to_string(),
                        executable: a.executable,
                        data: STANDARD.encode(&a.data),
                    },
                );
            }
        }
        let text = serde_json::to_string(&world).map_err(|e| e.to_string())?;
        let tmp = self.dir.join("world.json.tmp");
        std::fs::write(&tmp, text).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, self.dir.join("world.json"))
            .map_err(|e| CliError::Input(e.to_string()))
    }

    fn process(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        payer: &Keypair,
    ) -> Result<Vec<String>> {
        self.unique += 1;
        self.next_slot()?;
        let mut all = vec![
            solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(
                1_400_000 - self.unique,
            ),
        ];
        all.extend_from_slice(ixs);
        for i in ixs {
            self.known.extend(i.accounts.iter().map(|m| m.pubkey));
        }
        let blockhash = self
            .rt
            .block_on(self.ctx.banks_client.get_latest_blockhash())
            .map_err(|e| CliError::Chain(e.to_string()))?;
        let mut keys: Vec<&Keypair> = vec![payer];
        keys.extend_from_slice(signers);
        let tx = Transaction::new_signed_with_payer(&all, Some(&payer.pubkey()), &keys, blockhash);
        // Whether it lands or fails (the fee payer pays either way), only the accounts it names
        // can change.
        for k in &tx.message.account_keys {
            self.cache.remove(k);
        }
        // Natively, the program's log lines go to stdout: capture them for the error's name.
        let capture = crate::stdio::Capture::start();
        // Processed by the bank at once (the plain `process_transaction` hands the transaction
        // to another thread and polls for its status with a sleep: about a third of a long
        // simulation's wall time was that wait).
        let result = self.rt.block_on(self.ctx.banks_client.process_transaction_with_metadata(tx));
        let mut logs = capture.finish();
        let result = result.map_err(|e| CliError::Chain(e.to_string()))?;
        logs.extend(result.metadata.map(|m| m.log_messages).unwrap_or_default());
        match result.result {
            Ok(()) => {
                self.dirty = true;
                Ok(logs)
            }
            Err(e) => Err(CliError::from_failure(&format!("{e:?}"), &logs)),
        }
    }

    fn dry_run(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<()> {
        // In the slot the transaction would land in, as `process` would send it.
        self.next_slot()?;
        let blockhash = self
            .rt
            .block_on(self.ctx.banks_client.get_latest_blockhash())
            .map_err(|e| CliError::Chain(e.to_string()))?;
        let payer = self.user.insecure_clone();
        let mut keys: Vec<&Keypair> = vec![&payer];
        keys.extend_from_slice(signers);
        let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &keys, blockhash);
        let capture = crate::stdio::Capture::start();
        let r = self.rt.block_on(self.ctx.banks_client.simulate_transaction(tx));
        let mut logs = capture.finish();
        let sim = r.map_err(|e| CliError::Chain(e.to_string()))?;
        logs.extend(sim.simulation_details.map(|d| d.logs).unwrap_or_default());
        match sim.result {
            Some(Err(e)) => Err(CliError::from_failure(&format!("{e:?}"), &logs)),
            _ => Ok(()),
        }
    }
}

impl Backend for Embedded {
    fn user(&self) -> &Keypair {
        &self.user
    }

    fn account(&mut self, key: &Pubkey) -> Result<Option<Account>> {
        if let Some(a) = self.cache.get(key) {
            return Ok(a.clone());
        }
        let a = self
            .rt
            .block_on(self.ctx.banks_client.get_account(*key))
            .map_err(|e| CliError::Chain(e.to_string()))?;
        self.cache.insert(*key, a.clone());
        Ok(a)
    }

    fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<Vec<String>> {
        let user = self.user.insecure_clone();
        self.process(ixs, signers, &user)
    }

    fn simulate(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<()> {
        self.dry_run(ixs, signers)
    }

    fn now(&mut self) -> Result<i64> {
        Ok(self.now)
    }

    fn program_accounts(&mut self, discriminator: &[u8]) -> Result<Vec<(Pubkey, Account)>> {
        let keys: Vec<Pubkey> = self.known.iter().copied().collect();
        let mut out = vec![];
        for k in keys {
            if let Some(a) = self.account(&k)? {
                if a.owner == options_amm::ID && a.data.starts_with(discriminator) {
                    out.push((k, a));
                }
            }
        }
        Ok(out)
    }

    fn embedded(&mut self) -> Option<&mut Embedded> {
        Some(self)
    }

    fn finish(&mut self) -> Result<()> {
        self.save()
    }

    fn release(&mut self) {
        self.lock = None;
    }

    fn put_account(&mut self, key: Pubkey, owner: Pubkey, data: Vec<u8>) -> Result<()> {
        self.put(key, owner, data);
        Ok(())
    }

    fn warp_to(&mut self, at: i64) -> Result<()> {
        self.set_time(at)
    }

    fn faucet(&mut self) -> Result<Keypair> {
        Ok(self.faucet.insecure_clone())
    }
}

// ---------------------------------------------------------------- JSON-RPC

/// How the RPC backend sends: the commitment it waits for, and the compute budget it asks for.
#[derive(Clone, Debug, Default)]
pub struct SendOptions {
    /// `processed`, `confirmed` (the default) or `finalized`.
    pub commitment: Option<String>,
    /// A compute-unit limit for each transaction (the runtime's default without it).
    pub compute_unit_limit: Option<u32>,
    /// A priority fee in micro-lamports per compute unit.
    pub priority_fee: Option<u64>,
}

/// How many times a transaction whose blockhash expired before it landed is signed again with
/// a fresh one and resent.
const RESENDS: usize = 3;

/// A cluster over JSON-RPC (`--url`).
pub struct Rpc {
    client: solana_rpc_client::rpc_client::RpcClient,
    user: Keypair,
    url: String,
    options: SendOptions,
    /// Where a local validator's faucet key lives (`<state>/faucet.json`).
    state: PathBuf,
}

impl Rpc {
    /// A failed read or request: the node could not be reached or did not answer.
    fn unreachable(&self, e: impl std::fmt::Display) -> CliError {
        CliError::Chain(format!("cannot connect to {}: {e}", self.url))
    }

    /// `ixs` after the compute-budget instructions the options ask for, in a transaction paid
    /// by the user and signed by it and `signers`, at the latest blockhash.
    fn signed(&self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<Transaction> {
        use solana_compute_budget_interface::ComputeBudgetInstruction as Budget;
        let mut all = vec![];
        if let Some(units) = self.options.compute_unit_limit {
            all.push(Budget::set_compute_unit_limit(units));
        }
        if let Some(price) = self.options.priority_fee {
            all.push(Budget::set_compute_unit_price(price));
        }
        all.extend_from_slice(ixs);
        let blockhash = self.client.get_latest_blockhash().map_err(|e| self.unreachable(e))?;
        let mut keys: Vec<&Keypair> = vec![&self.user];
        keys.extend_from_slice(signers);
        Ok(Transaction::new_signed_with_payer(&all, Some(&self.user.pubkey()), &keys, blockhash))
    }

    pub fn new(url: &str, user: Keypair, options: SendOptions, state: &Path) -> Result<Rpc> {
        use solana_commitment_config::CommitmentConfig;
        let commitment = match options.commitment.as_deref() {
            None | Some("confirmed") => CommitmentConfig::confirmed(),
            Some("processed") => CommitmentConfig::processed(),
            Some("finalized") => CommitmentConfig::finalized(),
            Some(other) => {
                return Err(CliError::Input(format!(
                    "--commitment is processed, confirmed or finalized, not {other:?}"
                )))
            }
        };
        // An unreachable or silent node fails within seconds, not the client's default 30.
        let client = solana_rpc_client::rpc_client::RpcClient::new_with_timeout_and_commitment(
            url.to_string(),
            std::time::Duration::from_secs(8),
            commitment,
        );
        Ok(Rpc { client, user, url: url.to_string(), options, state: state.into() })
    }

    /// Waits up to 30 s for a transaction a block already took to reach the commitment.
    fn wait_for(&self, sig: &solana_sdk::signature::Signature) -> Result<Vec<String>> {
        for _ in 0..60 {
            match self.client.get_signature_status(sig).map_err(|e| self.unreachable(e))? {
                Some(Ok(())) => return Ok(vec![]),
                Some(Err(e)) => return Err(CliError::from_failure(&format!("{e:?}"), &[])),
                None => std::thread::sleep(std::time::Duration::from_millis(500)),
            }
        }
        Err(CliError::Chain(format!(
            "transaction {sig} was processed but not confirmed within 30 s: check it before \
             sending again"
        )))
    }

    /// A local validator's own RPC method (Surfpool's cheat codes); a cluster without it is
    /// not local.
    fn local_method(&self, method: &'static str, params: serde_json::Value) -> Result<()> {
        use solana_rpc_client_api::request::RpcRequest;
        self.client
            .send::<serde_json::Value>(RpcRequest::Custom { method }, params)
            .map(drop)
            .map_err(|e| {
                if e.to_string().contains("Method not found") {
                    CliError::Input(format!(
                        "{} has no {method}: dev commands need the embedded world or a local \
                         validator (options-amm-validator)",
                        self.url
                    ))
                } else {
                    self.unreachable(e)
                }
            })
    }
}

/// Whether a send failed only because its blockhash expired before the transaction landed (it
/// can then never land, and signing it again with a fresh blockhash is safe).
fn blockhash_expired(e: &solana_rpc_client_api::client_error::Error) -> bool {
    use solana_sdk::transaction::TransactionError;
    e.get_transaction_error() == Some(TransactionError::BlockhashNotFound)
        || e.to_string().contains("unable to confirm transaction")
}

/// The simulation logs a preflight failure carries.
fn preflight_logs(e: &solana_rpc_client_api::client_error::Error) -> Vec<String> {
    use solana_rpc_client_api::client_error::ErrorKind;
    use solana_rpc_client_api::request::{RpcError, RpcResponseErrorData};
    match e.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(sim),
            ..
        }) => sim.logs.clone().unwrap_or_default(),
        _ => vec![],
    }
}

impl Backend for Rpc {
    fn user(&self) -> &Keypair {
        &self.user
    }

    fn account(&mut self, key: &Pubkey) -> Result<Option<Account>> {
        self.client
            .get_account_with_commitment(key, self.client.commitment())
            .map(|r| r.value)
            .map_err(|e| self.unreachable(e))
    }

    fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<Vec<String>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let tx = self.signed(ixs, signers)?;
            match self.client.send_and_confirm_transaction(&tx) {
                Ok(_) => return Ok(vec![]),
                Err(e) if attempt < RESENDS && blockhash_expired(&e) => {
                    // Seen by no block, even unconfirmed, before its blockhash expired: it can
                    // never land, so signing again cannot execute it twice. One that a block
                    // did take is waited for instead.
                    let sig = tx.signatures[0];
                    let processed = solana_commitment_config::CommitmentConfig::processed();
                    match self.client.get_signature_status_with_commitment(&sig, processed) {
                        Ok(None) => continue,
                        Ok(Some(Ok(()))) => return self.wait_for(&sig),
                        Ok(Some(Err(e))) => {
                            return Err(CliError::from_failure(&format!("{e:?}"), &[]))
                        }
                        Err(e) => return Err(self.unreachable(e)),
                    }
                }
                Err(e) if e.get_transaction_error().is_none() && preflight_logs(&e).is_empty() => {
                    // Nothing from the runtime: the node itself failed or went silent.
                    if matches!(
                        e.kind(),
                        solana_rpc_client_api::client_error::ErrorKind::Reqwest(_)
                            | solana_rpc_client_api::client_error::ErrorKind::Io(_)
                    ) {
                        return Err(self.unreachable(e));
                    }
                    return Err(CliError::from_failure(&e.to_string(), &[]));
                }
                Err(e) => return Err(CliError::from_failure(&e.to_string(), &preflight_logs(&e))),
            }
        }
    }

    fn simulate(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<()> {
        let tx = self.signed(ixs, signers)?;
        let r = self.client.simulate_transaction(&tx).map_err(|e| self.unreachable(e))?;
        match r.value.err {
            Some(e) => {
                Err(CliError::from_failure(&format!("{e:?}"), &r.value.logs.unwrap_or_default()))
            }
            None => Ok(()),
        }
    }

    fn now(&mut self) -> Result<i64> {
        let a = self
            .client
            .get_account(&solana_sdk::sysvar::clock::ID)
            .map_err(|e| self.unreachable(e))?;
        let clock: Clock = bincode::deserialize(&a.data).map_err(|e| e.to_string())?;
        Ok(clock.unix_timestamp)
    }

    fn program_accounts(&mut self, discriminator: &[u8]) -> Result<Vec<(Pubkey, Account)>> {
        use solana_account_decoder_client_types::UiAccountEncoding;
        use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
        use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                0,
                discriminator.to_vec(),
            ))]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                ..Default::default()
            },
            ..Default::default()
        };
        self.client
            .get_program_accounts_with_config(&options_amm::ID, config)
            .map_err(|e| self.unreachable(e))
    }

    fn put_account(&mut self, key: Pubkey, owner: Pubkey, data: Vec<u8>) -> Result<()> {
        let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
        let update = serde_json::json!({
            "lamports": 1_000_000_000u64, "data": hex, "owner": owner.to_string(),
            "executable": false,
        });
        self.local_method("surfnet_setAccount", serde_json::json!([key.to_string(), update]))
    }

    fn warp_to(&mut self, at: i64) -> Result<()> {
        let ms = at.checked_mul(1000).ok_or_else(|| CliError::Input(format!("bad time {at}")))?;
        self.local_method("surfnet_timeTravel", serde_json::json!([{ "absoluteTimestamp": ms }]))
    }

    fn faucet(&mut self) -> Result<Keypair> {
        faucet_in(&self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::{blockhash_expired, Backend, Embedded};
    use solana_rpc_client_api::client_error::Error;
    use solana_rpc_client_api::request::RpcError;
    use solana_sdk::signature::{Keypair, Signer};
    use solana_sdk::transaction::TransactionError;

    #[test]
    fn only_an_expired_blockhash_is_signed_again_and_resent() {
        // An expired blockhash, as preflight reports it and as the client's confirmation loop
        // gives up on it: the transaction can never land, so a resend is safe.
        assert!(blockhash_expired(&Error::from(TransactionError::BlockhashNotFound)));
        let gave_up = RpcError::ForUser(
            "unable to confirm transaction. This can happen in situations such as transaction \
             expiration and insufficient fee-payer funds"
                .into(),
        );
        assert!(blockhash_expired(&Error::from(gave_up)));
        // Anything else is the answer: a program error, too little SOL, a node that is down.
        for e in [
            TransactionError::InsufficientFundsForFee,
            TransactionError::AlreadyProcessed,
            TransactionError::AccountNotFound,
        ] {
            assert!(!blockhash_expired(&Error::from(e.clone())), "{e:?}");
        }
        let down = RpcError::RpcRequestError("connection refused".into());
        assert!(!blockhash_expired(&Error::from(down)));
    }

    /// The read cache never serves an account a transaction (landed or refused) or a direct
    /// write has changed: each read below is compared with the balance computed by hand.
    #[test]
    fn a_read_after_a_transfer_a_refused_transfer_or_a_write_sees_the_new_state() {
        let dir = std::env::temp_dir().join(format!("oa-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let user = Keypair::new();
        let mut e = Embedded::open(&dir, user.insecure_clone()).unwrap();
        let to = Keypair::new().pubkey();
        let balance = |e: &mut Embedded, k| e.account(&k).unwrap().map_or(0, |a| a.lamports);
        let start = balance(&mut e, user.pubkey());
        assert_eq!(start, 100_000_000_000);
        assert_eq!(balance(&mut e, to), 0);
        // The system program's transfer: instruction 2, then the lamports (little-endian).
        let pay = |n: u64| solana_sdk::instruction::Instruction {
            program_id: anchor_lang::system_program::ID,
            accounts: vec![
                solana_sdk::instruction::AccountMeta::new(user.pubkey(), true),
                solana_sdk::instruction::AccountMeta::new(to, false),
            ],
            data: [2u32.to_le_bytes().as_slice(), &n.to_le_bytes()].concat(),
        };
        e.send(&[pay(5_000_000)], &[]).unwrap();
        // One signature's fee (5,000 lamports) and the transfer.
        assert_eq!(balance(&mut e, user.pubkey()), start - 5_000_000 - 5_000);
        assert_eq!(balance(&mut e, to), 5_000_000);
        // Refused (more than the balance): only the fee is paid.
        assert!(e.send(&[pay(1_000_000_000_000)], &[]).is_err());
        assert_eq!(balance(&mut e, user.pubkey()), start - 5_000_000 - 10_000);
        assert_eq!(balance(&mut e, to), 5_000_000);
        e.put(to, anchor_lang::system_program::ID, vec![7; 3]);
        let written = e.account(&to).unwrap().unwrap();
        assert_eq!((written.lamports, written.data), (1_000_000_000, vec![7; 3]));
        drop(e);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
