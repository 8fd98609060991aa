//! The program's SBF build (`target/deploy/options_amm.so`, from `.ci/sbf/build.sh`) in litesvm,
//! with the real SPL Token program (3.5.0, the non-p-token build litesvm ships) and Pyth
//! accounts in their real layout. Instructions come from `options_amm::client`, the same
//! builders the CLI and the native tests use. Every successful transaction's compute units are
//! recorded per instruction for the budget assertions and the CU report.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::spl_token;
use litesvm::LiteSVM;
use options_amm::client::{self, pda, MarketKeys, Wallet};
use options_amm::instructions::StrikeArgs;
use options_amm::RiskParams;
use solana_account::Account;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::collections::BTreeMap;

pub use anchor_lang::solana_program::instruction::Instruction;

#[path = "../../../programs/local/src/pyth.rs"]
pub mod pyth;

pub const T0: i64 = 1_800_000_000;
pub const PRICE_EXPO: i32 = -8;
pub const START_PRICE: i64 = 150 * 100_000_000;
pub const START_CONF: u64 = 5_000_000;
pub const USDC: u64 = 1_000_000;
pub const CONTRACT: u64 = 1_000_000_000;
pub const DAY: i64 = 86_400;

/// The .so under test: `OPTIONS_AMM_SO`, else `target/deploy/options_amm.so` of the checkout.
pub fn program_path() -> std::path::PathBuf {
    std::env::var_os("OPTIONS_AMM_SO").map(Into::into).unwrap_or_else(|| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/deploy/options_amm.so")
    })
}

/// Compute units of one instruction kind: every observation, in order.
pub type CuLog = BTreeMap<String, Vec<u64>>;

pub struct Sbf {
    pub svm: LiteSVM,
    pub payer: Keypair,
    pub authority: Keypair,
    pub keys: MarketKeys,
    pub now: i64,
    pub boards: Vec<Pubkey>,
    pub margin: BTreeMap<Pubkey, Vec<(Pubkey, Pubkey)>>,
    pub cu: CuLog,
    /// The logs of the last successful transaction (events are `Program data:` lines).
    pub logs: Vec<String>,
}

/// A failed transaction: its error and logs.
#[derive(Debug)]
pub struct Failure {
    pub err: String,
    pub logs: Vec<String>,
}

impl Sbf {
    /// A market (legacy Pyth oracle at 150, quote 6 and underlying 9 decimals) created through the
    /// program itself, at `T0`.
    pub fn new() -> Sbf {
        let mut features = LiteSVM::mainnet_feature_set();
        features.deactivate(&agave_feature_set::replace_spl_token_with_p_token::id());
        let mut svm = LiteSVM::new().with_feature_set(features).with_default_programs();
        let path = program_path();
        svm.add_program_from_file(options_amm::ID, &path).unwrap_or_else(|e| {
            panic!("load {}: {e:?} (build it: bash .ci/sbf/build.sh)", path.display())
        });
        let payer = Keypair::new();
        let authority = Keypair::new();
        svm.airdrop(&payer.pubkey(), 1_000_000_000_000).unwrap();
        svm.airdrop(&authority.pubkey(), 10_000_000_000).unwrap();
        let quote_mint = Pubkey::new_unique();
        let underlying_mint = Pubkey::new_unique();
        let oracle = Pubkey::new_unique();
        let keys = MarketKeys::derive(
            &authority.pubkey(),
            underlying_mint,
            quote_mint,
            oracle,
            spl_token::ID,
            spl_token::ID,
        );
        let mut s = Sbf {
            svm,
            payer,
            authority,
            keys,
            now: T0,
            boards: vec![],
            margin: BTreeMap::new(),
            cu: CuLog::new(),
            logs: vec![],
        };
        s.set_time(T0);
        s.mint(&quote_mint, 6);
        s.mint(&underlying_mint, 9);
        s.set_price(START_PRICE, START_CONF, T0);
        let authority = s.authority.insecure_clone();
        let a = authority.pubkey();
        let i = client::initialize_config(&s.payer.pubkey(), &a, &a);
        s.run("initialize_config", &[i], &[&authority]).unwrap();
        let i = client::initialize_market(
            &s.keys,
            &s.payer.pubkey(),
            &a,
            options_amm::state::ORACLE_PYTH_LEGACY,
            [0; 32],
            RiskParams::reference(),
        );
        s.run("initialize_market", &[i], &[&authority]).unwrap();
        s
    }

    pub fn set_time(&mut self, now: i64) {
        let mut clock: anchor_lang::prelude::Clock = self.svm.get_sysvar();
        clock.unix_timestamp = now;
        clock.slot += 1;
        self.svm.set_sysvar(&clock);
        self.svm.expire_blockhash();
        self.now = now;
    }

    /// Publishes `price` (expo -8) with `conf` at `publish_time` into the legacy price account.
    /// A new print comes in a new slot (the program takes one print per slot).
    pub fn set_price(&mut self, price: i64, conf: u64, publish_time: i64) {
        let mut clock: anchor_lang::prelude::Clock = self.svm.get_sysvar();
        clock.slot += 1;
        self.svm.set_sysvar(&clock);
        let q = pyth::Quote { price, conf, publish_time, ..Default::default() };
        self.put(self.keys.oracle, pyth::legacy_price_account(&q), pyth::ORACLE_PROGRAM);
    }

    fn put(&mut self, key: Pubkey, data: Vec<u8>, owner: Pubkey) {
        let lamports = self.svm.minimum_balance_for_rent_exemption(data.len());
        let account = Account { lamports, data, owner, executable: false, rent_epoch: 0 };
        self.svm.set_account(key, account).unwrap();
    }

    fn mint(&mut self, key: &Pubkey, decimals: u8) {
        let mint = spl_token::state::Mint {
            mint_authority: Some(self.payer.pubkey()).into(),
            supply: 0,
            decimals,
            is_initialized: true,
            freeze_authority: None.into(),
        };
        let mut data = vec![0; spl_token::state::Mint::LEN];
        mint.pack_into_slice(&mut data);
        self.put(*key, data, spl_token::ID);
    }

    /// A token account of `mint` for `owner` holding `amount` (the mint's supply grows with it).
    pub fn token_account(&mut self, mint: &Pubkey, owner: &Pubkey, amount: u64) -> Pubkey {
        let key = Pubkey::new_unique();
        let account = spl_token::state::Account {
            mint: *mint,
            owner: *owner,
            amount,
            state: spl_token::state::AccountState::Initialized,
            ..Default::default()
        };
        let mut data = vec![0; spl_token::state::Account::LEN];
        account.pack_into_slice(&mut data);
        self.put(key, data, spl_token::ID);
        let mut m = self.svm.get_account(mint).unwrap();
        let mut state = spl_token::state::Mint::unpack(&m.data).unwrap();
        state.supply += amount;
        state.pack_into_slice(&mut m.data);
        self.svm.set_account(*mint, m).unwrap();
        key
    }

    pub fn balance(&self, token_account: &Pubkey) -> u64 {
        let a = self.svm.get_account(token_account).unwrap();
        spl_token::state::Account::unpack(&a.data).unwrap().amount
    }

    /// A funded user: `quote` in a quote account and empty share accounts for both tranches.
    pub fn wallet(&mut self, quote: u64) -> (Keypair, Wallet) {
        let key = Keypair::new();
        self.svm.airdrop(&key.pubkey(), 10_000_000_000).unwrap();
        let owner = key.pubkey();
        let (q, s) = (self.keys.quote_mint, self.keys.share_mints);
        let w = Wallet {
            owner,
            quote: self.token_account(&q, &owner, quote),
            shares: [self.token_account(&s[0], &owner, 0), self.token_account(&s[1], &owner, 0)],
        };
        (key, w)
    }

    /// Sends `ixs` in one transaction paid by the payer and records its compute units under
    /// `name` when it succeeds.
    pub fn run(
        &mut self,
        name: &str,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<u64, Failure> {
        let mut all: Vec<&Keypair> = vec![&self.payer];
        all.extend(signers.iter().copied());
        let tx = Transaction::new_signed_with_payer(
            ixs,
            Some(&self.payer.pubkey()),
            &all,
            self.svm.latest_blockhash(),
        );
        let result = self.svm.send_transaction(tx);
        // A new blockhash per transaction: the same instruction twice is two transactions.
        self.svm.expire_blockhash();
        match result {
            Ok(meta) => {
                self.cu.entry(name.to_string()).or_default().push(meta.compute_units_consumed);
                self.logs = meta.logs;
                Ok(meta.compute_units_consumed)
            }
            Err(f) => Err(Failure { err: format!("{:?}", f.err), logs: f.meta.logs }),
        }
    }

    pub fn market(&self) -> options_amm::state::Market {
        let a = self.svm.get_account(&self.keys.market).unwrap();
        *bytemuck::from_bytes(&a.data[8..8 + std::mem::size_of::<options_amm::state::Market>()])
    }

    pub fn board_state(&self, board: &Pubkey) -> options_amm::state::Board {
        let a = self.svm.get_account(board).unwrap();
        *bytemuck::from_bytes(&a.data[8..8 + std::mem::size_of::<options_amm::state::Board>()])
    }

    /// Rewrites a board account directly (for example to make its margin cache undecisive).
    pub fn edit_board(&mut self, board: &Pubkey, f: impl FnOnce(&mut options_amm::state::Board)) {
        let mut a = self.svm.get_account(board).unwrap();
        let n = std::mem::size_of::<options_amm::state::Board>();
        f(bytemuck::from_bytes_mut(&mut a.data[8..8 + n]));
        self.svm.set_account(*board, a).unwrap();
    }

    /// Lists a board at `expiry_ts` with `strikes` (whole quote units, vol %) and refreshes it.
    pub fn board(&mut self, expiry_ts: i64, strikes: &[(u64, u64)]) -> Pubkey {
        let strikes = strikes
            .iter()
            .map(|&(k, v)| StrikeArgs { strike_micro: k * 1_000_000, base_vol_micro: v * 10_000 })
            .collect();
        let a = self.authority.pubkey();
        let i = client::create_board(&self.keys, &self.payer.pubkey(), &a, expiry_ts, strikes);
        let authority = self.authority.insecure_clone();
        self.run("create_board", &[i], &[&authority]).unwrap();
        let board = pda::board(&self.keys.market, expiry_ts);
        self.boards.push(board);
        self.refresh(&board).unwrap();
        board
    }

    pub fn refresh(&mut self, board: &Pubkey) -> Result<u64, Failure> {
        let i = client::refresh_board(&self.keys, &self.payer.pubkey(), board);
        self.run("refresh_board", &[i], &[])
    }

    /// A trader with a margin account holding `collateral` and a position on `board`.
    pub fn trader(&mut self, board: &Pubkey, collateral: u64) -> (Keypair, Wallet) {
        let (key, w) = self.wallet(collateral + 100_000 * USDC);
        let i = client::open_margin_account(&self.keys, &w.owner);
        self.run("open_margin_account", &[i], &[&key]).unwrap();
        let i = client::deposit_collateral(&self.keys, &w, collateral);
        self.run("deposit_collateral", &[i], &[&key]).unwrap();
        let i = client::open_position(&self.keys, board, &w.owner);
        self.run("open_position", &[i], &[&key]).unwrap();
        self.margin.entry(w.owner).or_default().push((pda::position(board, &w.owner), *board));
        (key, w)
    }

    pub fn margin_of(&self, owner: &Pubkey) -> Vec<(Pubkey, Pubkey)> {
        self.margin.get(owner).cloned().unwrap_or_default()
    }
}

impl Default for Sbf {
    fn default() -> Self {
        Self::new()
    }
}
