//! Test harness: the options-amm program in solana-program-test's bank, natively compiled, with
//! the real SPL Token (and Token-2022) programs that solana-program-test loads itself, and Pyth
//! price accounts in their real layouts, owned by the real Pyth program ids.
#![allow(deprecated)] // solana-program-test marks its API "Agave Unstable"

pub mod ix;

pub use options_amm_local::{program_test, pyth, PRICE_EXPO, START_CONF, START_PRICE, T0};

use anchor_lang::solana_program::{program_pack::Pack, pubkey::Pubkey, system_instruction};
use anchor_lang::AccountDeserialize;
use anchor_spl::{token::spl_token, token_2022::spl_token_2022};
use options_amm::state::{Market, ORACLE_PYTH_LEGACY, ORACLE_PYTH_PULL};
use solana_program_test::ProgramTestContext;
use solana_sdk::{
    account::{Account, AccountSharedData},
    clock::Clock,
    instruction::{Instruction, InstructionError},
    signature::{Keypair, Signer},
    transaction::{Transaction, TransactionError},
};

/// The program's error code number for a named error.
pub fn program_error(e: options_amm::error::OptionsAmmError) -> u32 {
    u32::from(e)
}

/// Anchor's own error code number (account constraints, signer checks).
pub fn anchor_error(e: anchor_lang::error::ErrorCode) -> u32 {
    u32::from(e)
}

/// Options for a test market.
#[derive(Clone, Copy)]
pub struct EnvOptions {
    pub quote_program: Pubkey,
    pub underlying_program: Pubkey,
    pub quote_decimals: u8,
    pub underlying_decimals: u8,
    pub oracle_kind: options_amm::OracleKind,
}

impl Default for EnvOptions {
    fn default() -> Self {
        EnvOptions {
            quote_program: spl_token::ID,
            underlying_program: spl_token::ID,
            quote_decimals: 6,
            underlying_decimals: 9,
            oracle_kind: ORACLE_PYTH_LEGACY,
        }
    }
}

/// One market in a fresh bank, ready for deposits.
pub struct Env {
    pub ctx: ProgramTestContext,
    pub opts: EnvOptions,
    pub authority: Keypair,
    pub guardian: Keypair,
    pub quote_mint: Pubkey,
    pub underlying_mint: Pubkey,
    pub oracle: Pubkey,
    pub feed_id: [u8; 32],
    pub config: Pubkey,
    pub market: Pubkey,
    pub quote_vault: Pubkey,
    pub underlying_vault: Pubkey,
    pub share_mints: [Pubkey; 2],
    pub now: i64,
    /// The market's active (listed, unsettled) boards, which LP flows and rebalances pass.
    pub boards: Vec<Pubkey>,
    /// Each trader's registered (position, board) pairs, in registration order, which margin
    /// checks read: a cache of the chain's margin accounts, read again whenever they change
    /// (`sync_positions`), never maintained by hand.
    pub margin_positions: std::collections::HashMap<Pubkey, Vec<(Pubkey, Pubkey)>>,
    /// The clock as the tests last set it (its slot moves on with every new oracle print).
    clock: Clock,
    unique: u32,
}

pub use options_amm::client::pda::{
    config as config_pda, market as market_pda, quote_vault as quote_vault_pda,
    shares as shares_pda, underlying_vault as underlying_vault_pda,
};

impl Env {
    /// A market with a legacy Pyth oracle and SPL Token mints (quote 6, underlying 9 decimals).
    pub async fn new() -> Env {
        Self::with(EnvOptions::default()).await
    }

    /// A market with the given options; the config and market are created and checked.
    pub async fn with(opts: EnvOptions) -> Env {
        let mut env = Self::bare(opts).await;
        let ix = ix::initialize_config(&env, &env.authority.pubkey(), &env.guardian.pubkey());
        let authority = env.authority.insecure_clone();
        env.send(&[ix], &[&authority]).await.expect("initialize_config");
        let ix = ix::initialize_market(&env, options_amm::RiskParams::reference());
        env.send(&[ix], &[&authority]).await.expect("initialize_market");
        env
    }

    /// Mints, oracle and keys, but no config or market yet.
    pub async fn bare(opts: EnvOptions) -> Env {
        let ctx = program_test().start_with_context().await;
        let mut env = Env {
            ctx,
            opts,
            authority: Keypair::new(),
            guardian: Keypair::new(),
            quote_mint: Pubkey::default(),
            underlying_mint: Pubkey::default(),
            oracle: Pubkey::new_unique(),
            feed_id: [7; 32],
            config: Pubkey::default(),
            market: Pubkey::default(),
            quote_vault: Pubkey::default(),
            underlying_vault: Pubkey::default(),
            share_mints: [Pubkey::default(); 2],
            now: T0,
            boards: Vec::new(),
            margin_positions: Default::default(),
            clock: Clock::default(),
            unique: 0,
        };
        env.set_time(T0).await;
        env.quote_mint = env.create_mint(opts.quote_decimals, opts.quote_program).await;
        env.underlying_mint =
            env.create_mint(opts.underlying_decimals, opts.underlying_program).await;
        env.set_price(START_PRICE, START_CONF, T0);
        env.config = config_pda(&env.authority.pubkey());
        env.market = market_pda(&env.config, &env.underlying_mint, &env.quote_mint);
        env.quote_vault = quote_vault_pda(&env.market);
        env.underlying_vault = underlying_vault_pda(&env.market);
        env.share_mints = [
            shares_pda(&env.market, options_amm::Tranche::Senior),
            shares_pda(&env.market, options_amm::Tranche::Junior),
        ];
        env
    }

    /// A trader's (position, board) pairs as remaining accounts.
    pub fn margin_metas(&self, owner: &Pubkey) -> Vec<solana_sdk::instruction::AccountMeta> {
        options_amm::client::margin_metas(
            self.margin_positions.get(owner).map(Vec::as_slice).unwrap_or(&[]),
        )
    }

    /// Opens `owner`'s position on `board` (the margin account must exist) and records it.
    pub async fn open_position(&mut self, board: &Pubkey, owner: &Lp) {
        let i = ix::open_position(self, board, &owner.pubkey());
        self.send(&[i], &[&owner.key]).await.expect("open_position");
        self.sync_positions(&owner.pubkey()).await;
    }

    /// `owner`'s (position, board) pairs as the chain has them: the margin account's registered
    /// positions in order, each with the board its position account names.
    pub async fn sync_positions(&mut self, owner: &Pubkey) {
        let key = ix::margin_pda(&self.market, owner);
        let mut pairs = vec![];
        if self.account(&key).await.is_some() {
            let m = self.margin_state(owner).await;
            for p in &m.positions[..m.num_positions as usize] {
                pairs.push((*p, self.position_state(p).await.board));
            }
        }
        self.margin_positions.insert(*owner, pairs);
    }

    /// The active boards as remaining accounts, in ascending key order.
    pub fn board_metas(&self) -> Vec<solana_sdk::instruction::AccountMeta> {
        options_amm::client::board_metas(&self.boards)
    }

    pub fn payer(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    /// Sends one transaction paid by the context's payer. Each transaction gets a distinct
    /// compute-unit limit so that a repeated instruction is never deduplicated by the bank.
    pub async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<(), TransactionError> {
        self.unique += 1;
        let mut all = vec![
            solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(
                1_400_000 - self.unique,
            ),
        ];
        all.extend_from_slice(ixs);
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let mut keys: Vec<&Keypair> = vec![&self.ctx.payer];
        keys.extend_from_slice(signers);
        let tx = Transaction::new_signed_with_payer(
            &all,
            Some(&self.ctx.payer.pubkey()),
            &keys,
            blockhash,
        );
        // Processed by the bank at once: the plain `process_transaction` hands it to another
        // thread and polls for its status with a sleep (a millisecond or more a transaction).
        let done = self.ctx.banks_client.process_transaction_with_metadata(tx).await;
        done.expect("the embedded bank answers").result
    }

    /// Moves the bank's clock to `unix_timestamp`.
    pub async fn set_time(&mut self, unix_timestamp: i64) {
        let mut clock: Clock = self.ctx.banks_client.get_sysvar().await.unwrap();
        clock.unix_timestamp = unix_timestamp;
        clock.slot = clock.slot.max(self.clock.slot);
        self.ctx.set_sysvar(&clock);
        self.clock = clock;
        self.now = unix_timestamp;
    }

    /// Moves the clock's slot on by one: what the chain does between two oracle prints (the
    /// program takes one print per slot).
    pub fn next_slot(&mut self) {
        self.clock.slot += 1;
        let clock = self.clock.clone();
        self.ctx.set_sysvar(&clock);
    }

    /// Writes the market's oracle account: price and confidence in units of 10^PRICE_EXPO.
    pub fn set_price(&mut self, price: i64, conf: u64, publish_time: i64) {
        let quote =
            pyth::Quote { price, conf, expo: PRICE_EXPO, publish_time, ..pyth::Quote::default() };
        self.set_oracle(&quote);
    }

    /// Writes the market's oracle account from a full quote (status, verification, feed...),
    /// in a new slot.
    pub fn set_oracle(&mut self, q: &pyth::Quote) {
        self.next_slot();
        let (owner, data) = match self.opts.oracle_kind {
            ORACLE_PYTH_PULL => (pyth::RECEIVER_PROGRAM, pyth::price_update_v2(q, &self.feed_id)),
            _ => (pyth::ORACLE_PROGRAM, pyth::legacy_price_account(q)),
        };
        self.put_account(self.oracle, owner, data);
    }

    pub fn put_account(&mut self, key: Pubkey, owner: Pubkey, data: Vec<u8>) {
        let account =
            Account { lamports: 1_000_000_000, data, owner, executable: false, rent_epoch: 0 };
        self.ctx.set_account(&key, &AccountSharedData::from(account));
    }

    pub async fn create_mint(&mut self, decimals: u8, program: Pubkey) -> Pubkey {
        let mint = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let len = spl_token::state::Mint::LEN;
        let payer = self.payer();
        let init = if program == spl_token_2022::ID {
            spl_token_2022::instruction::initialize_mint2(
                &program,
                &mint.pubkey(),
                &payer,
                None,
                decimals,
            )
        } else {
            spl_token::instruction::initialize_mint2(
                &program,
                &mint.pubkey(),
                &payer,
                None,
                decimals,
            )
        }
        .unwrap();
        let create = system_instruction::create_account(
            &payer,
            &mint.pubkey(),
            rent.minimum_balance(len),
            len as u64,
            &program,
        );
        self.send(&[create, init], &[&mint]).await.unwrap();
        mint.pubkey()
    }

    /// The token program that owns `mint` in this market.
    pub fn program_of(&self, mint: &Pubkey) -> Pubkey {
        if *mint == self.underlying_mint {
            self.opts.underlying_program
        } else {
            self.opts.quote_program
        }
    }

    /// A new token account of `mint` owned by `owner`.
    pub async fn token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
        let program = self.program_of(mint);
        let acc = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let len = spl_token::state::Account::LEN;
        let payer = self.payer();
        let create = system_instruction::create_account(
            &payer,
            &acc.pubkey(),
            rent.minimum_balance(len),
            len as u64,
            &program,
        );
        let init = if program == spl_token_2022::ID {
            spl_token_2022::instruction::initialize_account3(&program, &acc.pubkey(), mint, owner)
        } else {
            spl_token::instruction::initialize_account3(&program, &acc.pubkey(), mint, owner)
        }
        .unwrap();
        self.send(&[create, init], &[&acc]).await.unwrap();
        acc.pubkey()
    }

    /// Mints test tokens (the payer is every test mint's authority).
    pub async fn mint_to(&mut self, mint: &Pubkey, to: &Pubkey, amount: u64) {
        let program = self.program_of(mint);
        let payer = self.payer();
        let ix = if program == spl_token_2022::ID {
            spl_token_2022::instruction::mint_to(&program, mint, to, &payer, &[], amount)
        } else {
            spl_token::instruction::mint_to(&program, mint, to, &payer, &[], amount)
        }
        .unwrap();
        self.send(&[ix], &[]).await.unwrap();
    }

    /// A user with a funded quote account and an empty share account per tranche.
    pub async fn lp(&mut self, quote_amount: u64) -> Lp {
        let key = Keypair::new();
        let owner = key.pubkey();
        // SOL for the accounts the user pays rent for (positions).
        let fund = system_instruction::transfer(&self.payer(), &owner, 1_000_000_000);
        self.send(&[fund], &[]).await.unwrap();
        let quote = self.token_account(&self.quote_mint.clone(), &owner).await;
        if quote_amount > 0 {
            self.mint_to(&self.quote_mint.clone(), &quote, quote_amount).await;
        }
        let senior = self.token_account(&self.share_mints[0].clone(), &owner).await;
        let junior = self.token_account(&self.share_mints[1].clone(), &owner).await;
        Lp { key, quote, shares: [senior, junior] }
    }

    pub async fn account(&mut self, key: &Pubkey) -> Option<Account> {
        self.ctx.banks_client.get_account(*key).await.unwrap()
    }

    pub async fn balance(&mut self, token_account: &Pubkey) -> u64 {
        let acc = self.account(token_account).await.expect("token account exists");
        spl_token_2022::state::Account::unpack_from_slice(
            &acc.data[..spl_token::state::Account::LEN],
        )
        .unwrap()
        .amount
    }

    pub async fn supply(&mut self, mint: &Pubkey) -> u64 {
        let acc = self.account(mint).await.expect("mint exists");
        spl_token_2022::state::Mint::unpack_from_slice(&acc.data[..spl_token::state::Mint::LEN])
            .unwrap()
            .supply
    }

    pub async fn market_state(&mut self) -> Market {
        let acc = self.account(&self.market.clone()).await.expect("market exists");
        bytemuck::pod_read_unaligned::<Market>(&acc.data[8..8 + std::mem::size_of::<Market>()])
    }

    /// Rewrites the market account directly: sets up states that need instructions of later
    /// issues (for example collateral locked by options sold).
    pub async fn edit_market(&mut self, f: impl FnOnce(&mut Market)) {
        let key = self.market;
        let mut acc = self.account(&key).await.expect("market exists");
        let mut m = self.market_state().await;
        f(&mut m);
        acc.data[8..8 + std::mem::size_of::<Market>()].copy_from_slice(bytemuck::bytes_of(&m));
        self.ctx.set_account(&key, &AccountSharedData::from(acc));
    }

    /// Rewrites a board account directly (for example to clear its margin cache).
    pub async fn edit_board(
        &mut self,
        board: &Pubkey,
        f: impl FnOnce(&mut options_amm::state::Board),
    ) {
        let mut acc = self.account(board).await.expect("board exists");
        let mut b = self.board_state(board).await;
        f(&mut b);
        let n = std::mem::size_of::<options_amm::state::Board>();
        acc.data[8..8 + n].copy_from_slice(bytemuck::bytes_of(&b));
        self.ctx.set_account(board, &AccountSharedData::from(acc));
    }

    pub async fn board_state(&mut self, board: &Pubkey) -> options_amm::state::Board {
        let acc = self.account(board).await.expect("board exists");
        bytemuck::pod_read_unaligned(
            &acc.data[8..8 + std::mem::size_of::<options_amm::state::Board>()],
        )
    }

    pub async fn position_state(&mut self, position: &Pubkey) -> options_amm::state::Position {
        let acc = self.account(position).await.expect("position exists");
        bytemuck::pod_read_unaligned(
            &acc.data[8..8 + std::mem::size_of::<options_amm::state::Position>()],
        )
    }

    pub async fn margin_state(&mut self, owner: &Pubkey) -> options_amm::state::MarginAccount {
        let key = ix::margin_pda(&self.market, owner);
        let acc = self.account(&key).await.expect("margin account exists");
        bytemuck::pod_read_unaligned(
            &acc.data[8..8 + std::mem::size_of::<options_amm::state::MarginAccount>()],
        )
    }

    /// What `owner` holds in quote: wallet plus margin collateral, less debt (raw units).
    pub async fn cash(&mut self, owner: &Lp) -> i128 {
        let wallet = self.balance(&owner.quote).await as i128;
        let key = ix::margin_pda(&self.market, &owner.pubkey());
        let margin = match self.account(&key).await {
            Some(_) => self.margin_state(&owner.pubkey()).await.net_collateral(),
            None => 0,
        };
        wallet + margin
    }

    /// Lists a board at `expiry` with `strikes` (quote, vol %), refreshes it and records it.
    pub async fn list_board(&mut self, expiry: i64, strikes: &[(u64, u64)]) -> Pubkey {
        let authority = self.authority.insecure_clone();
        self.send(&[ix::create_board(self, expiry, strikes)], &[&authority]).await.unwrap();
        let board = ix::board_pda(&self.market, expiry);
        self.boards.push(board);
        self.send(&[ix::refresh_board(self, &board)], &[]).await.unwrap();
        board
    }

    /// Moves the clock 30 s past `expiry`, publishes `price` (oracle units) 5 s after it and
    /// settles `board` (which leaves the active boards).
    pub async fn settle_at(&mut self, board: &Pubkey, expiry: i64, price: i64) {
        self.set_time(expiry + 30).await;
        let q = pyth::Quote { price, publish_time: expiry + 5, ..pyth::Quote::default() };
        self.set_oracle(&q);
        self.send(&[ix::settle_board(self, board)], &[]).await.expect("settle_board");
        self.boards.retain(|b| b != board);
    }

    /// `who` withdraws every share of `tranche` and ends with no more quote than `before`:
    /// the end of every LP sandwich test.
    pub async fn withdraw_all_gains_nothing(
        &mut self,
        who: &Lp,
        tranche: options_amm::Tranche,
        before: u64,
    ) {
        let shares = self.balance(&who.shares[tranche as usize]).await;
        let i = ix::withdraw(self, who, tranche, shares, 0);
        self.send(&[i], &[&who.key]).await.expect("withdraw");
        let after = self.balance(&who.quote).await;
        assert!(after <= before, "the sandwich gained {}", after - before);
    }

    /// `who` buys `size` of `(strike, kind)` on `board` at any price; panics if refused.
    pub async fn buy_ok(
        &mut self,
        board: &Pubkey,
        who: &Lp,
        strike: u8,
        kind: options_amm::Kind,
        size: u64,
    ) {
        let i = ix::buy(self, board, who, strike, kind, size, u64::MAX);
        self.send(&[i], &[&who.key]).await.expect("buy");
    }

    /// `who` sells `size` of `(strike, kind)` on `board` at any price; panics if refused.
    pub async fn sell_ok(
        &mut self,
        board: &Pubkey,
        who: &Lp,
        strike: u8,
        kind: options_amm::Kind,
        size: u64,
    ) {
        let i = ix::sell(self, board, who, strike, kind, size, 0);
        self.send(&[i], &[&who.key]).await.expect("sell");
    }

    /// Prints alternating `step_bps` above and at the start price every `every` seconds, each
    /// cranked into the realised-vol estimate (`update_vol`), then the start price again with
    /// every board refreshed; returns every print the estimate saw (price, publish time). 150
    /// prints a minute apart mature the estimate (two half-lives of the reference hour); a 15 bps
    /// step puts it near 109%.
    pub async fn zigzag_prices(&mut self, step_bps: i64, n: usize, every: i64) -> Vec<(f64, i64)> {
        let as_f64 = |raw: i64| raw as f64 / 1e8;
        let first = self.market_state().await.realised_vol;
        let mut seen = vec![];
        if first.publish_time != 0 {
            seen.push((as_f64(START_PRICE), first.publish_time));
        }
        for i in 0..n {
            let now = self.now + every;
            self.set_time(now).await;
            let price = if i % 2 == 0 {
                START_PRICE + START_PRICE * step_bps / 10_000
            } else {
                START_PRICE
            };
            self.set_price(price, START_CONF, now);
            self.send(&[ix::update_vol(self)], &[]).await.expect("update_vol");
            seen.push((as_f64(price), now));
        }
        let now = self.now + 1;
        self.set_time(now).await;
        self.set_price(START_PRICE, START_CONF, now);
        self.refresh_all().await;
        seen.push((as_f64(START_PRICE), now));
        seen
    }

    /// Refreshes every active board at the current oracle price.
    pub async fn refresh_all(&mut self) {
        for b in self.boards.clone() {
            self.send(&[ix::refresh_board(self, &b)], &[]).await.unwrap();
        }
    }

    pub async fn config_state(&mut self) -> options_amm::state::Config {
        let acc = self.account(&self.config.clone()).await.expect("config exists");
        options_amm::state::Config::try_deserialize(&mut &acc.data[..]).unwrap()
    }

    /// Every watched account, as it is now.
    pub async fn snapshot(&mut self, keys: &[Pubkey]) -> Vec<Option<Account>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.account(k).await);
        }
        out
    }

    /// Sends a transaction that either lands (true) or is refused with one of the named errors
    /// in `allowed` (false); any other failure fails the test. For loops that probe a limit.
    pub async fn send_or_refused(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        allowed: &[options_amm::error::OptionsAmmError],
    ) -> bool {
        match self.send(ixs, signers).await {
            Ok(()) => true,
            Err(TransactionError::InstructionError(1, InstructionError::Custom(code)))
                if allowed.iter().any(|e| program_error(*e) == code) =>
            {
                false
            }
            Err(e) => panic!("refused with {e:?}, not one of {allowed:?}"),
        }
    }

    /// Sends a transaction that must fail with `code` and must leave every watched account
    /// (and the market's vaults, config and share mints) exactly as it was.
    pub async fn expect_refusal(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        code: u32,
        watched: &[Pubkey],
    ) {
        let mut keys = watched.to_vec();
        keys.extend([self.market, self.config, self.quote_vault, self.underlying_vault]);
        keys.extend(self.share_mints);
        let before = self.snapshot(&keys).await;
        let err = self.send(ixs, signers).await.expect_err("the instruction must be refused");
        // Index 0 is the compute-budget instruction `send` adds.
        assert_eq!(
            err,
            TransactionError::InstructionError(1, InstructionError::Custom(code)),
            "wrong refusal"
        );
        let after = self.snapshot(&keys).await;
        for (i, (b, a)) in before.iter().zip(&after).enumerate() {
            assert_eq!(b, a, "refused instruction changed account {}", keys[i]);
        }
    }
}

/// An LP: its key, its quote account and its share accounts (senior, junior).
pub struct Lp {
    pub key: Keypair,
    pub quote: Pubkey,
    pub shares: [Pubkey; 2],
}

impl Lp {
    pub fn pubkey(&self) -> Pubkey {
        self.key.pubkey()
    }
    /// Another handle on the same user (its keypair cloned).
    pub fn same(&self) -> Lp {
        Lp { key: self.key.insecure_clone(), quote: self.quote, shares: self.shares }
    }
    /// The accounts a refused LP instruction must not change.
    pub fn accounts(&self) -> Vec<Pubkey> {
        vec![self.quote, self.shares[0], self.shares[1]]
    }
}

/// USDC-like quote raw units per whole token (6 decimals).
pub const USDC: u64 = 1_000_000;
/// One whole contract: one unit of the 9-decimal underlying.
pub const CONTRACT: u64 = 1_000_000_000;
pub const DAY: i64 = 86_400;
/// The test board's expiry, and its strikes (quote) with base vols (%); index 2 is at the money.
pub const EXPIRY: i64 = T0 + 14 * DAY;
pub const STRIKES: [(u64, u64); 5] = [(120, 85), (140, 80), (150, 80), (160, 80), (180, 85)];

/// A market with 700k of LP capital (500k senior, 200k junior from `lp`), one refreshed board
/// and a funded trader with an open position on it.
pub struct Trading {
    pub env: Env,
    pub board: Pubkey,
    pub trader: Lp,
    pub lp: Lp,
}

impl Trading {
    pub async fn new() -> Trading {
        let mut env = Env::new().await;
        let lp = env.lp(1_000_000 * USDC).await;
        for (tranche, amount) in [
            (options_amm::state::SENIOR, 500_000 * USDC),
            (options_amm::state::JUNIOR, 200_000 * USDC),
        ] {
            let ix = ix::deposit(&env, &lp, tranche, amount, 0);
            env.send(&[ix], &[&lp.key]).await.unwrap();
        }
        let authority = env.authority.insecure_clone();
        env.send(&[ix::create_board(&env, EXPIRY, &STRIKES)], &[&authority]).await.unwrap();
        let board = ix::board_pda(&env.market, EXPIRY);
        env.boards.push(board);
        env.send(&[ix::refresh_board(&env, &board)], &[]).await.unwrap();
        let trader = Self::trader_on(&mut env, &board).await;
        Trading { env, board, trader, lp }
    }

    /// Another funded trader (100k quote in the wallet, 20k as margin collateral) with a
    /// position on `board`.
    pub async fn trader_on(env: &mut Env, board: &Pubkey) -> Lp {
        let trader = env.lp(120_000 * USDC).await;
        let i = ix::open_margin_account(env, &trader.pubkey());
        env.send(&[i], &[&trader.key]).await.unwrap();
        let i = ix::deposit_collateral(env, &trader, 20_000 * USDC);
        env.send(&[i], &[&trader.key]).await.unwrap();
        env.open_position(board, &trader).await;
        trader
    }
}
