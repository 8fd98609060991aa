//! Stateful invariant fuzzing through the real program: random sequences of LP, trader, keeper,
//! oracle, clock and governance actions over two boards, and adversaries, each action a real
//! transaction. After every action, the accounting invariants:
//!
//! * solvency: the quote vault holds exactly the books (pool + trader collateral + protocol fees
//!   + settlement reserve), the underlying vault exactly the hedge;
//! * conservation: the sum of every quote and underlying token account is constant;
//! * a rejected instruction changed no watched account;
//!
//! and the economic ones (docs/SECURITY.md):
//!
//! * E1 no free lunch: a closed loop of 2-4 trades over random series of both boards, with an
//!   unpriced move (a refresh, a hedge, a liquidation) sometimes placed inside it, at one price
//!   and time, never leaves the trader with more cash; nor does a liquidator's trade placed
//!   around its liquidation;
//! * E2 margin: after every accepted sell or collateral withdrawal, an account with shorts is at
//!   or above initial margin (a searcher tries longs-back-shorts escapes);
//! * E3 liveness: every expired board settles (a wide print first, a second print, a late keeper
//!   past the window, LPs that took every free unit), and all its positions settle;
//! * E4 LP fairness: an LP deposit or withdrawal never lowers the value of a share of either
//!   tranche, and no deposit-refresh-withdraw (or withdraw-refresh-deposit) pays;
//! * E5 locks: `locked_quote` equals the per-series locks recomputed from open interest, each
//!   board at its own cap (an independent integer computation).
//!
//! A governance actor proposes random in-bounds parameter sets throughout; a griefer pins the
//! pool's utilisation; the vol feed posts surfaces (within and past its bounds), inside closed
//! loops and LP sandwiches too, and a keeper cranks the realised-vol estimate.
//!
//! Reproducible from a seed. `FUZZ_SEQUENCES` and `FUZZ_ACTIONS` set the campaign size (CI runs
//! the defaults below; set them higher for a long campaign), `FUZZ_SEED` the first seed. A
//! failing sequence is minimised to its shortest failing prefix and reported as `(seed,
//! actions)`, to be added to `REGRESSIONS`, which every run replays first.

use anchor_lang::prelude::Pubkey;
use options_amm::book::margin::{net_collateral_whole, position_margin};
use options_amm::book::valuation::LpValuation;
use options_amm::math::margin::{Level, MarginTotals};
use options_amm::math::tranche::split;
use options_amm::state::{RiskParams, CALL, FIELDS, JUNIOR, PAUSE_ALL, PUT, SENIOR};
use options_amm_pricing::Fx;
use options_amm_tests::{
    ix, pyth, Lp, Trading, CONTRACT, DAY, EXPIRY, START_CONF, START_PRICE, STRIKES, USDC,
};
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signer};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct World {
    t: Trading,
    traders: Vec<Lp>,
    lps: Vec<Lp>,
    keeper: Keypair,
    keeper_underlying: Pubkey,
    keeper_quote: Pubkey,
    /// The keeper as a trader too (a liquidator that trades around its liquidations).
    keeper_lp: Lp,
    /// The market's vol feed: posts surfaces within (and past) its bounds.
    feed: Keypair,
    /// Active boards: address, expiry, number of strikes. The second is longer-dated, with
    /// other vols.
    boards: Vec<(Pubkey, i64, usize)>,
    price: i64,
    /// Every token account whose balance is conserved, quote then underlying.
    quote_accounts: Vec<Pubkey>,
    underlying_accounts: Vec<Pubkey>,
    quote_total: u128,
    underlying_total: u128,
    stats: Stats,
    /// The last refusal, for failure messages.
    last_error: String,
    /// Whether the realised vol is mature (`World::new`): closed loops then include single
    /// series round trips, the shortest loop a buy-side price rule can break.
    mature: bool,
}

#[derive(Default, Debug)]
struct Stats {
    ok: u64,
    refused: u64,
    /// Closed loops completed (E1) and liquidator sandwiches completed.
    loops: u64,
    sandwiches: u64,
    settled_boards: u64,
}

/// The second board's strikes and vols (quote, %).
const LONG_STRIKES: [(u64, u64); 3] = [(140, 110), (150, 105), (165, 110)];

/// The third board of a world with a mature realised vol: the 80 call (capped at 160, near
/// spot: negative vega), the money, and a far out-of-the-money 200 (worth much more at the
/// floor vol than at the listed one). Both kinds of series the realised-vol floor once priced
/// wrong (docs/SECURITY.md).
const FLOOR_STRIKES: [(u64, u64); 3] = [(80, 80), (150, 80), (200, 80)];

impl World {
    /// The world every sequence starts from. With `mature`, the realised-vol estimate has
    /// matured near 109% (above every listed vol, so the buy floor binds everywhere) and a
    /// third board lists `FLOOR_STRIKES`.
    async fn new(mature: bool) -> World {
        let mut t = Trading::new().await;
        let first = t.board;
        let second_expiry = EXPIRY + 31 * DAY;
        let second = t.env.list_board(second_expiry, &LONG_STRIKES).await;
        let mut traders = vec![t.trader.same()];
        for _ in 0..2 {
            traders.push(Trading::trader_on(&mut t.env, &first).await);
        }
        for tr in &traders {
            t.env.open_position(&second, tr).await;
        }
        let lps = vec![t.lp.same(), t.env.lp(200_000 * USDC).await];
        let keeper = Keypair::new();
        let (u, q) = (t.env.underlying_mint, t.env.quote_mint);
        let keeper_underlying = t.env.token_account(&u, &keeper.pubkey()).await;
        let keeper_quote = t.env.token_account(&q, &keeper.pubkey()).await;
        t.env.mint_to(&u, &keeper_underlying, 10_000 * CONTRACT).await;
        t.env.mint_to(&q, &keeper_quote, 1_000_000 * USDC).await;
        // The keeper's trading identity: its own quote account, a margin account, positions.
        let keeper_lp = Lp {
            key: keeper.insecure_clone(),
            quote: keeper_quote,
            shares: [Pubkey::default(); 2],
        };
        let rent = anchor_lang::solana_program::system_instruction::transfer(
            &t.env.payer(),
            &keeper.pubkey(),
            1_000_000_000,
        );
        t.env.send(&[rent], &[]).await.unwrap();
        let i = ix::open_margin_account(&t.env, &keeper.pubkey());
        t.env.send(&[i], &[&keeper]).await.unwrap();
        let i = ix::deposit_collateral(&t.env, &keeper_lp, 50_000 * USDC);
        t.env.send(&[i], &[&keeper]).await.unwrap();
        for b in [first, second] {
            t.env.open_position(&b, &keeper_lp).await;
        }
        let mut quote_accounts: Vec<Pubkey> = traders.iter().chain(&lps).map(|p| p.quote).collect();
        quote_accounts.extend([keeper_quote, t.env.quote_vault]);
        let underlying_accounts = vec![keeper_underlying, t.env.underlying_vault];
        // Governance names a vol feed (after the timelock), which posts both surfaces.
        let feed = Keypair::new();
        let authority = t.env.authority.insecure_clone();
        let i = ix::propose_vol_feed(&t.env, &authority.pubkey(), &feed.pubkey());
        t.env.send(&[i], &[&authority]).await.unwrap();
        let eta = t.env.market_state().await.vol_feed_eta;
        t.env.set_time(eta).await;
        t.env.set_price(START_PRICE, START_CONF, eta);
        t.env.send(&[ix::execute_vol_feed(&t.env)], &[]).await.unwrap();
        let mut boards =
            vec![(first, EXPIRY, STRIKES.len()), (second, second_expiry, LONG_STRIKES.len())];
        if mature {
            // Two and a half hours of prints a minute apart, 20 bps up and back.
            t.env.zigzag_prices(20, 150, 60).await;
            let m = t.env.market_state().await;
            let rv = m.mature_realised_vol().expect("mature").to_num::<f64>();
            assert!(rv > 1.1, "the floor binds on every board: realised {rv}");
            let third_expiry = EXPIRY + 2 * DAY;
            let third = t.env.list_board(third_expiry, &FLOOR_STRIKES).await;
            for tr in traders.iter().chain([&keeper_lp]) {
                t.env.open_position(&third, tr).await;
            }
            boards.push((third, third_expiry, FLOOR_STRIKES.len()));
        }
        for &(b, _, n) in &boards {
            let vols = t.env.board_state(&b).await.strikes.map(|s| micro_of(s.base_vol.get()));
            let i = ix::post_vol_surface(&t.env, &feed.pubkey(), &b, vols[..n].to_vec());
            t.env.send(&[i], &[&feed]).await.unwrap();
        }
        t.env.refresh_all().await;
        let mut w = World {
            t,
            traders,
            lps,
            keeper,
            keeper_underlying,
            keeper_quote,
            keeper_lp,
            feed,
            boards,
            price: START_PRICE,
            quote_accounts,
            underlying_accounts,
            quote_total: 0,
            underlying_total: 0,
            stats: Stats::default(),
            last_error: String::new(),
            mature,
        };
        w.quote_total = w.sum(&w.quote_accounts.clone()).await;
        w.underlying_total = w.sum(&w.underlying_accounts.clone()).await;
        w
    }

    async fn sum(&mut self, accounts: &[Pubkey]) -> u128 {
        let mut s = 0u128;
        for a in accounts {
            s += self.t.env.balance(a).await as u128;
        }
        s
    }

    fn everyone(&self) -> Vec<Pubkey> {
        let mut v: Vec<Pubkey> = self.traders.iter().map(|p| p.pubkey()).collect();
        v.push(self.keeper.pubkey());
        v
    }

    fn watched(&self) -> Vec<Pubkey> {
        let env = &self.t.env;
        let mut w = self.quote_accounts.clone();
        w.extend(&self.underlying_accounts);
        w.extend([env.market, env.config]);
        w.extend(self.boards.iter().map(|b| b.0));
        w.extend(env.share_mints);
        w.extend(self.lps.iter().flat_map(|l| l.shares));
        for owner in self.everyone() {
            w.push(ix::margin_pda(&env.market, &owner));
            w.extend(self.boards.iter().map(|b| ix::position_pda(&b.0, &owner)));
        }
        w
    }

    /// Sends; a refusal must leave every watched account unchanged.
    async fn act(
        &mut self,
        seed: u64,
        step: usize,
        what: &str,
        ixs: Vec<Instruction>,
        signers: &[&Keypair],
    ) -> bool {
        let keys = self.watched();
        let before = self.t.env.snapshot(&keys).await;
        match self.t.env.send(&ixs, signers).await {
            Ok(()) => {
                self.stats.ok += 1;
                true
            }
            Err(e) => {
                self.stats.refused += 1;
                self.last_error = format!("{e:?}");
                if std::env::var_os("FUZZ_DEBUG").is_some() {
                    eprintln!("REFUSED {what}: {e:?}");
                }
                let after = self.t.env.snapshot(&keys).await;
                for (i, (b, a)) in before.iter().zip(&after).enumerate() {
                    assert_eq!(
                        b, a,
                        "seed {seed} step {step} ({what}, refused with {e:?}) changed {}",
                        keys[i]
                    );
                }
                false
            }
        }
    }

    async fn check(&mut self, seed: u64, step: usize, what: &str) {
        let m = self.t.env.market_state().await;
        let quote_vault = self.t.env.balance(&self.t.env.quote_vault.clone()).await;
        let underlying_vault = self.t.env.balance(&self.t.env.underlying_vault.clone()).await;
        let ctx = format!("seed {seed} step {step} after {what}");
        assert_eq!(quote_vault, m.quote_books().unwrap(), "{ctx}: quote vault != books");
        assert_eq!(underlying_vault, m.lp_underlying, "{ctx}: underlying vault != hedge");
        let q = self.sum(&self.quote_accounts.clone()).await;
        let u = self.sum(&self.underlying_accounts.clone()).await;
        assert_eq!(
            (q, u),
            (self.quote_total, self.underlying_total),
            "{ctx}: tokens not conserved"
        );
        // E5: the pool locks, per series, the maximum payoff of every contract held long, at
        // its board's own cap. Computed here in integers: K x 10^6 (puts) or K x (cap - 1) x
        // 10^6 (calls) quote raw units per contract, times open interest / 10^9, rounded up.
        let mut locks = 0u128;
        for (b, _, _) in self.boards.clone() {
            let board = self.t.env.board_state(&b).await;
            for s in &board.strikes[..board.num_strikes as usize] {
                let k = s.strike.get().to_num::<u128>();
                for (kind, oi) in [(CALL, s.open_interest[0]), (PUT, s.open_interest[1])] {
                    let payoff = if kind == PUT {
                        k * 1_000_000
                    } else {
                        k * 1_000_000 * (board.cap_multiple_bps as u128 - 10_000) / 10_000
                    };
                    locks += (oi as u128 * payoff).div_ceil(1_000_000_000);
                }
            }
        }
        assert_eq!(m.locked_quote as u128, locks, "{ctx}: E5 locks != open interest's payoffs");
    }

    /// Each tranche's value and share supply now (senior claim accrued to the clock, as the
    /// program does before an LP flow), at the LP reference value: NAV less what expired shorts
    /// still owe and less the inventory potential the pool owes back. Deposits are priced at or
    /// above it, withdrawals at or below it.
    async fn share_values(&mut self) -> [(u128, u128); 2] {
        let mut m = self.t.env.market_state().await;
        let now = self.t.env.now;
        let spot = Fx::from_num(self.price) / 100_000_000;
        let v = LpValuation::new(&m, spot, Fx::ZERO, now).unwrap();
        let ceiling = v.reference_nav(&m);
        let mints = self.t.env.share_mints;
        let juniors = self.t.env.supply(&mints[JUNIOR as usize]).await;
        m.accrue(now, ceiling, juniors).unwrap();
        let values = split(v.reference_nav(&m), m.tranches[SENIOR as usize].claim);
        let mut out = [(0, 0); 2];
        for t in [SENIOR, JUNIOR] {
            let supply = self.t.env.supply(&mints[t as usize]).await;
            out[t as usize] = (values.get(t) as u128, supply as u128);
        }
        out
    }

    /// An LP flow must not lower any tranche's value per share, counted as the program prices
    /// shares, with the virtual shares and assets of the inflation defence:
    /// (v1 + A) / (s1 + V) >= (v0 + A) / (s0 + V).
    fn assert_shares_hold(before: [(u128, u128); 2], after: [(u128, u128); 2], ctx: &str) {
        use options_amm::constants::{VIRTUAL_ASSETS as A, VIRTUAL_SHARES as V};
        let (a, v) = (A as u128, V as u128);
        for t in 0..2 {
            let ((v0, s0), (v1, s1)) = (before[t], after[t]);
            if s0 > 0 && s1 > 0 {
                assert!(
                    (v1 + a) * (s0 + v) >= (v0 + a) * (s1 + v),
                    "{ctx}: tranche {t} share value fell: {v0}/{s0} -> {v1}/{s1}"
                );
            }
        }
    }

    async fn publish(&mut self, publish_time: i64, conf: u64) {
        let q = pyth::Quote { price: self.price, conf, publish_time, ..pyth::Quote::default() };
        self.t.env.set_oracle(&q);
    }

    /// A random active board and strike index on it.
    fn board(&self, rng: &mut Rng) -> (Pubkey, u8) {
        let (b, _, n) = self.boards[rng.below(self.boards.len() as u64) as usize];
        (b, rng.below(n as u64) as u8)
    }

    /// One trade; `true` if accepted.
    #[allow(clippy::too_many_arguments)]
    async fn trade(
        &mut self,
        seed: u64,
        step: usize,
        who: &Lp,
        board: Pubkey,
        strike: u8,
        kind: options_amm::Kind,
        buy: bool,
        size: u64,
    ) -> bool {
        let i = if buy {
            ix::buy(&self.t.env, &board, who, strike, kind, size, u64::MAX)
        } else {
            ix::sell(&self.t.env, &board, who, strike, kind, size, 0)
        };
        let key = who.key.insecure_clone();
        let done = self.act(seed, step, if buy { "buy" } else { "sell" }, vec![i], &[&key]).await;
        if done && !buy {
            self.assert_margin(seed, step, &who.pubkey(), "sell").await;
        }
        done
    }

    /// E2: an account with shorts is at or above initial margin, valued as the program values
    /// it (its positions at the trading oracle price).
    async fn assert_margin(&mut self, seed: u64, step: usize, owner: &Pubkey, what: &str) {
        let env = &mut self.t.env;
        let acc = env.margin_state(owner).await;
        if !acc.has_shorts() {
            return;
        }
        let m = env.market_state().await;
        let oracle = env.account(&env.oracle.clone()).await.unwrap();
        let raw =
            options_amm::oracle::parse(m.oracle_kind().unwrap(), &oracle.data, &m.oracle_feed_id)
                .unwrap();
        let px = options_amm::oracle::validate(&raw, env.now, &m.params.oracle_trade).unwrap();
        let mut totals = MarginTotals::default();
        for p in &acc.positions[..acc.num_positions as usize] {
            let pos = env.position_state(p).await;
            let b = env.board_state(&pos.board).await;
            let t = position_margin(&m, &pos, &b, env.now, &px, Level::Initial, false).unwrap();
            totals.add(t).unwrap();
        }
        let excess = totals.excess(net_collateral_whole(&acc, m.quote_decimals).unwrap()).unwrap();
        assert!(
            excess >= 0,
            "seed {seed} step {step}: E2 {owner} below initial margin after {what}: {excess}"
        );
    }

    async fn step(&mut self, rng: &mut Rng, seed: u64, step: usize) {
        let pick = rng.below(100);
        let what;
        match pick {
            0..=9 => {
                what = "deposit";
                let lp = rng.below(self.lps.len() as u64) as usize;
                let tranche = if rng.below(2) == 0 { SENIOR } else { JUNIOR };
                let amount = 1 + rng.below(20_000 * USDC);
                let before = self.t.env.balance(&self.lps[lp].quote).await;
                let shares_before =
                    self.t.env.balance(&self.lps[lp].shares[tranche as usize]).await;
                let i = ix::deposit(&self.t.env, &self.lps[lp], tranche, amount, 0);
                let key = self.lps[lp].key.insecure_clone();
                let shares0 = self.share_values().await;
                let done = self.act(seed, step, what, vec![i], &[&key]).await;
                let shares1 = self.share_values().await;
                Self::assert_shares_hold(
                    shares0,
                    shares1,
                    &format!("seed {seed} step {step} deposit"),
                );
                if done && rng.below(3) == 0 {
                    // Round trip: withdrawing the new shares at once never returns more.
                    let got = self.t.env.balance(&self.lps[lp].shares[tranche as usize]).await
                        - shares_before;
                    let i = ix::withdraw(&self.t.env, &self.lps[lp], tranche, got, 0);
                    self.act(seed, step, "round-trip withdraw", vec![i], &[&key]).await;
                    let after = self.t.env.balance(&self.lps[lp].quote).await;
                    assert!(
                        after <= before,
                        "seed {seed} step {step}: round trip gained {}",
                        after - before
                    );
                }
            }
            10..=15 => {
                what = "withdraw";
                let lp = rng.below(self.lps.len() as u64) as usize;
                let tranche = if rng.below(2) == 0 { SENIOR } else { JUNIOR };
                let held = self.t.env.balance(&self.lps[lp].shares[tranche as usize]).await;
                let shares = 1 + rng.below(held.max(1));
                let i = ix::withdraw(&self.t.env, &self.lps[lp], tranche, shares, 0);
                let key = self.lps[lp].key.insecure_clone();
                let shares0 = self.share_values().await;
                self.act(seed, step, what, vec![i], &[&key]).await;
                let shares1 = self.share_values().await;
                Self::assert_shares_hold(
                    shares0,
                    shares1,
                    &format!("seed {seed} step {step} withdraw"),
                );
            }
            16..=37 => {
                what = "trade";
                let tr = rng.below(self.traders.len() as u64) as usize;
                let (board, strike) = self.board(rng);
                let kind = if rng.below(2) == 0 { CALL } else { PUT };
                let size = 1 + rng.below(5 * CONTRACT);
                let who = self.traders[tr].same();
                self.trade(seed, step, &who, board, strike, kind, rng.below(2) == 0, size).await;
            }
            38..=45 => {
                what = "refresh";
                let (board, _) = self.board(rng);
                let i = ix::refresh_board(&self.t.env, &board);
                self.act(seed, step, what, vec![i], &[]).await;
            }
            46..=57 => {
                what = "oracle/clock";
                let dt = 1 + rng.below(90) as i64;
                let now = self.t.env.now + dt;
                self.t.env.set_time(now).await;
                let mv = match rng.below(10) {
                    0 => 85 + rng.below(31) as i64, // jump +-15%
                    _ => 98 + rng.below(5) as i64,  // +-2%
                };
                self.price = (self.price / 100 * mv).clamp(START_PRICE / 4, START_PRICE * 4);
                let (publish, conf) = match rng.below(10) {
                    0 => (now - 200, START_CONF),       // stale
                    1 => (now, self.price as u64 / 20), // 5% confidence: too wide
                    _ => (now - rng.below(5) as i64, START_CONF),
                };
                self.publish(publish, conf).await;
            }
            58..=63 => {
                what = "rebalance";
                self.rebalance(rng, seed, step).await;
            }
            64..=65 => {
                what = "collateral";
                let tr = rng.below(self.traders.len() as u64) as usize;
                let amount = 1 + rng.below(5_000 * USDC);
                let deposit = rng.below(2) == 0;
                let i = if deposit {
                    ix::deposit_collateral(&self.t.env, &self.traders[tr], amount)
                } else {
                    ix::withdraw_collateral(&self.t.env, &self.traders[tr], amount)
                };
                let key = self.traders[tr].key.insecure_clone();
                if self.act(seed, step, what, vec![i], &[&key]).await && !deposit {
                    let owner = self.traders[tr].pubkey();
                    self.assert_margin(seed, step, &owner, "collateral withdrawal").await;
                }
            }
            66..=67 => {
                what = "liquidate";
                self.liquidate(rng, seed, step).await;
            }
            68..=75 => {
                what = "closed loop";
                self.closed_loop(rng, seed, step).await;
            }
            76..=79 => {
                what = "margin escape";
                self.margin_escape(rng, seed, step).await;
            }
            80..=81 => {
                what = "liquidator sandwich";
                self.liquidator_sandwich(rng, seed, step).await;
            }
            82..=83 => {
                what = "griefer";
                let (board, _, n) = self.boards[rng.below(self.boards.len() as u64) as usize];
                let tr = rng.below(self.traders.len() as u64) as usize;
                let who = self.traders[tr].same();
                // The highest strike's calls in size: the pool's locks grow and the lock charge
                // is paid; an accepted buy that raised the locks leaves them under the cap.
                let size = (100 + rng.below(900)) * CONTRACT;
                let locked0 = self.t.env.market_state().await.locked_quote;
                let top = n as u8 - 1;
                if self.trade(seed, step, &who, board, top, CALL, true, size).await {
                    let m = self.t.env.market_state().await;
                    if m.locked_quote > locked0 {
                        let cap = m.lp_quote as u128 * m.params.max_utilisation_bps as u128;
                        assert!(
                            m.locked_quote as u128 * 10_000 <= cap,
                            "seed {seed} step {step}: utilisation above its cap"
                        );
                    }
                }
            }
            84..=85 => {
                what = "LP sandwich";
                self.lp_sandwich(rng, seed, step).await;
            }
            86..=88 => {
                what = "governance";
                self.governance(rng, seed, step).await;
            }
            89 => {
                what = "pause/unpause";
                let (signer, flags) = if rng.below(2) == 0 {
                    (self.t.env.guardian.insecure_clone(), PAUSE_ALL)
                } else {
                    (self.t.env.authority.insecure_clone(), 0)
                };
                let i = ix::set_pause(&self.t.env, &signer.pubkey(), flags);
                self.act(seed, step, what, vec![i], &[&signer]).await;
            }
            90..=92 => {
                what = "expiry and settlement";
                self.expire_and_roll(rng, seed, step).await;
            }
            93..=94 => {
                what = "vol feed";
                self.post_surface(rng, seed, step).await;
            }
            95 => {
                what = "realised-vol crank";
                let i = ix::update_vol(&self.t.env);
                self.act(seed, step, what, vec![i], &[]).await;
            }
            _ => {
                what = "trade";
                let tr = rng.below(self.traders.len() as u64) as usize;
                let (board, strike) = self.board(rng);
                let who = self.traders[tr].same();
                let size = 1 + rng.below(20 * CONTRACT);
                self.trade(seed, step, &who, board, strike, PUT, rng.below(2) == 0, size).await;
            }
        }
        self.check(seed, step, what).await;
    }

    async fn rebalance(&mut self, rng: &mut Rng, seed: u64, step: usize) -> bool {
        let m = self.t.env.market_state().await;
        let delta = m.net_delta.get().abs();
        let max = (delta * Fx::from_num(CONTRACT)).to_num::<u64>();
        let amount = 1 + rng.below(max.max(1) + CONTRACT);
        let i = ix::rebalance(
            &self.t.env,
            &self.keeper.pubkey(),
            &self.keeper_underlying,
            &self.keeper_quote,
            amount,
            if m.net_delta.get() < 0 { 0 } else { u64::MAX },
        );
        let key = self.keeper.insecure_clone();
        self.act(seed, step, "rebalance", vec![i], &[&key]).await
    }

    async fn liquidate(&mut self, rng: &mut Rng, seed: u64, step: usize) -> bool {
        let tr = rng.below(self.traders.len() as u64) as usize;
        let owner = self.traders[tr].pubkey();
        let (board, strike) = self.board(rng);
        let kind = if rng.below(2) == 0 { CALL } else { PUT };
        let size = 1 + rng.below(50 * CONTRACT);
        let liquidator = self.keeper_lp.same();
        let i = ix::liquidate(&self.t.env, &board, &owner, &liquidator, strike, kind, size);
        let key = self.keeper.insecure_clone();
        self.act(seed, step, "liquidate", vec![i], &[&key]).await
    }

    /// E1: 2-4 legs over random series of both boards opened, sometimes an unpriced move by
    /// someone else, then every leg closed in a random order, all at one price and time.
    async fn closed_loop(&mut self, rng: &mut Rng, seed: u64, step: usize) {
        let tr = rng.below(self.traders.len() as u64) as usize;
        let who = self.traders[tr].same();
        let n = if self.mature { 1 + rng.below(4) } else { 2 + rng.below(3) } as usize;
        let mut legs = vec![];
        for _ in 0..n {
            let (board, strike) = self.board(rng);
            let kind = if rng.below(2) == 0 { CALL } else { PUT };
            legs.push((board, strike, kind, rng.below(2) == 0, 1 + rng.below(20 * CONTRACT)));
        }
        let cash0 = self.t.env.cash(&who).await;
        let mut opened = vec![];
        for &(board, strike, kind, buy, size) in &legs {
            if self.trade(seed, step, &who, board, strike, kind, buy, size).await {
                opened.push((board, strike, kind, buy, size));
            }
        }
        match rng.below(5) {
            0 => {
                let (board, _) = self.board(rng);
                let i = ix::refresh_board(&self.t.env, &board);
                self.act(seed, step, "refresh inside a loop", vec![i], &[]).await;
            }
            3 => {
                // The vol feed posts inside the loop (front-run): a post moves no price by
                // more than a half-spread.
                self.post_surface(rng, seed, step).await;
            }
            1 => {
                self.rebalance(rng, seed, step).await;
            }
            2 => {
                self.liquidate(rng, seed, step).await;
            }
            _ => {}
        }
        // Close in a random order.
        let mut closed_all = true;
        while !opened.is_empty() {
            let i = rng.below(opened.len() as u64) as usize;
            let (board, strike, kind, buy, size) = opened.swap_remove(i);
            closed_all &= self.trade(seed, step, &who, board, strike, kind, !buy, size).await;
        }
        if closed_all {
            self.stats.loops += 1;
            let cash1 = self.t.env.cash(&who).await;
            assert!(
                cash1 <= cash0,
                "seed {seed} step {step}: E1 a closed loop gained {}",
                cash1 - cash0
            );
        }
    }

    /// E2 searcher: longs bought, a short sold against them, then the longs sold or collateral
    /// taken out: whatever is accepted leaves the account at or above initial margin (checked
    /// inside `trade` and after the withdrawal).
    async fn margin_escape(&mut self, rng: &mut Rng, seed: u64, step: usize) {
        let tr = rng.below(self.traders.len() as u64) as usize;
        let who = self.traders[tr].same();
        let (board, strike) = self.board(rng);
        let size = (1 + rng.below(30)) * CONTRACT;
        self.trade(seed, step, &who, board, strike, PUT, true, size).await;
        let (b2, s2) = self.board(rng);
        self.trade(seed, step, &who, b2, s2, CALL, false, size).await;
        match rng.below(2) {
            0 => {
                self.trade(seed, step, &who, board, strike, PUT, false, size).await;
            }
            _ => {
                let amount = 1 + rng.below(20_000 * USDC);
                let i = ix::withdraw_collateral(&self.t.env, &who, amount);
                if self.act(seed, step, "escape withdrawal", vec![i], &[&who.key]).await {
                    self.assert_margin(seed, step, &who.pubkey(), "escape withdrawal").await;
                }
            }
        }
    }

    /// E1 for a liquidator: its own trade placed around a liquidation does not earn more than
    /// the liquidation's reward alone.
    async fn liquidator_sandwich(&mut self, rng: &mut Rng, seed: u64, step: usize) {
        let k = self.keeper_lp.same();
        let (board, strike) = self.board(rng);
        let kind = if rng.below(2) == 0 { CALL } else { PUT };
        let size = (1 + rng.below(100)) * CONTRACT;
        let buy = rng.below(2) == 0;
        let cash0 = self.t.env.cash(&k).await;
        if !self.trade(seed, step, &k, board, strike, kind, buy, size).await {
            return;
        }
        let cash1 = self.t.env.cash(&k).await;
        self.liquidate(rng, seed, step).await;
        let cash2 = self.t.env.cash(&k).await;
        if self.trade(seed, step, &k, board, strike, kind, !buy, size).await {
            self.stats.sandwiches += 1;
            let cash3 = self.t.env.cash(&k).await;
            let round_trip = (cash1 - cash0) + (cash3 - cash2);
            assert!(round_trip <= 0, "seed {seed} step {step}: E1 the liquidator's trades around a liquidation gained {round_trip}");
        }
    }

    /// E4: deposit, refresh, withdraw (or withdraw, refresh, deposit) at one price and time.
    async fn lp_sandwich(&mut self, rng: &mut Rng, seed: u64, step: usize) {
        let lp = self.lps[rng.below(self.lps.len() as u64) as usize].same();
        let tranche = if rng.below(2) == 0 { SENIOR } else { JUNIOR };
        let (board, _) = self.board(rng);
        let refresh = ix::refresh_board(&self.t.env, &board);
        if rng.below(2) == 0 {
            let quote0 = self.t.env.balance(&lp.quote).await;
            let shares0 = self.t.env.balance(&lp.shares[tranche as usize]).await;
            let amount = 1 + rng.below(100_000 * USDC);
            let i = ix::deposit(&self.t.env, &lp, tranche, amount, 0);
            if !self.act(seed, step, "sandwich deposit", vec![i], &[&lp.key]).await {
                return;
            }
            if rng.below(2) == 0 {
                // A post the depositor saw coming: the marks will follow it over the window.
                self.post_surface(rng, seed, step).await;
            }
            self.act(seed, step, "sandwich refresh", vec![refresh], &[]).await;
            let got = self.t.env.balance(&lp.shares[tranche as usize]).await - shares0;
            let i = ix::withdraw(&self.t.env, &lp, tranche, got, 0);
            if self.act(seed, step, "sandwich withdraw", vec![i], &[&lp.key]).await {
                let quote1 = self.t.env.balance(&lp.quote).await;
                assert!(
                    quote1 <= quote0,
                    "seed {seed} step {step}: E4 deposit-refresh-withdraw gained {}",
                    quote1 - quote0
                );
            }
        } else {
            let held = self.t.env.balance(&lp.shares[tranche as usize]).await;
            if held == 0 {
                return;
            }
            let quote0 = self.t.env.balance(&lp.quote).await;
            let shares = 1 + rng.below(held);
            let i = ix::withdraw(&self.t.env, &lp, tranche, shares, 0);
            if !self.act(seed, step, "sandwich withdraw", vec![i], &[&lp.key]).await {
                return;
            }
            let got = self.t.env.balance(&lp.quote).await - quote0;
            self.act(seed, step, "sandwich refresh", vec![refresh], &[]).await;
            let i = ix::deposit(&self.t.env, &lp, tranche, got, 0);
            if self.act(seed, step, "sandwich deposit", vec![i], &[&lp.key]).await {
                let after = self.t.env.balance(&lp.shares[tranche as usize]).await;
                assert!(
                    after <= held,
                    "seed {seed} step {step}: E4 withdraw-refresh-deposit gained {} shares",
                    after - held
                );
            }
        }
    }

    /// The vol feed posts a random board's surface: each vol moved by up to 1.5 steps (past the
    /// pro-rata limit now and then), sometimes with one strike kinked by up to 3 points (a
    /// butterfly or a call spread out of bounds): refused by name or taken.
    async fn post_surface(&mut self, rng: &mut Rng, seed: u64, step: usize) {
        let (board, _, n) = self.boards[rng.below(self.boards.len() as u64) as usize];
        let b = self.t.env.board_state(&board).await;
        let max = self.t.env.market_state().await.params.vol.feed_max_step_vol_micro as i64;
        let mut vols: Vec<u64> = b.strikes[..n]
            .iter()
            .map(|s| {
                let v = micro_of(s.base_vol.get()) as i64;
                let d = rng.below(3 * max as u64 + 1) as i64 - 3 * max / 2;
                (v + d).max(1) as u64
            })
            .collect();
        if rng.below(5) == 0 {
            let i = rng.below(n as u64) as usize;
            vols[i] = (vols[i] as i64 + rng.below(60_001) as i64 - 30_000).max(1) as u64;
        }
        let i = ix::post_vol_surface(&self.t.env, &self.feed.pubkey(), &board, vols);
        let feed = self.feed.insecure_clone();
        self.act(seed, step, "post surface", vec![i], &[&feed]).await;
    }

    /// A governance actor: a random set of 1-4 parameters, each moved within its step limit
    /// and hard bounds (joint rules may refuse the set); sometimes executed after the delay.
    async fn governance(&mut self, rng: &mut Rng, seed: u64, step: usize) {
        let m = self.t.env.market_state().await;
        let mut p: RiskParams = m.params;
        let values = p.values();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(FIELDS.len() as u64) as usize;
            let (_, lo, hi) = FIELDS[i];
            let old = values[i];
            let span = hi - lo;
            let v = if rng.below(2) == 0 {
                old.saturating_sub(rng.below((old / 2).max(span / 100).saturating_add(1)))
            } else {
                old.saturating_add(rng.below(old.max(span / 10).saturating_add(1)))
            };
            let _ = p.set(i, v.clamp(lo, hi));
        }
        let authority = self.t.env.authority.insecure_clone();
        let ix = ix::propose_params(&self.t.env, &authority.pubkey(), p);
        if self.act(seed, step, "propose", vec![ix], &[&authority]).await && rng.below(2) == 0 {
            let eta = self.t.env.market_state().await.pending_eta;
            if self.boards.iter().any(|b| b.1 <= eta + 3_600) {
                return; // a board would expire inside the delay: leave it pending
            }
            self.t.env.set_time(eta).await;
            self.publish(eta, START_CONF).await;
            let ix = ix::execute_params(&self.t.env);
            self.act(seed, step, "execute params", vec![ix], &[]).await;
            for (b, _, _) in self.boards.clone() {
                let i = ix::refresh_board(&self.t.env, &b);
                self.act(seed, step, "refresh after params", vec![i], &[]).await;
            }
        }
    }

    /// E3: jumps past the nearest expiry and settles every expired board, through one of the
    /// ways a settlement used to be blocked; every position settles; a new board is listed.
    async fn expire_and_roll(&mut self, rng: &mut Rng, seed: u64, step: usize) {
        let expiry = self.boards.iter().map(|b| b.1).min().unwrap();
        if rng.below(3) == 0 {
            // LPs first take every free unit they can.
            for lp in self.lps.clone_all() {
                for tranche in [JUNIOR, SENIOR] {
                    let held = self.t.env.balance(&lp.shares[tranche as usize]).await;
                    let i = ix::withdraw(&self.t.env, &lp, tranche, held / 2 + 1, 0);
                    self.act(seed, step, "drain", vec![i], &[&lp.key]).await;
                }
            }
        }
        let window = self.t.env.market_state().await.params.oracle_settle.max_age_secs as i64;
        let variant = rng.below(4);
        let (now, publish) = match variant {
            0 => (expiry + 30, expiry + 2),                     // the first print
            1 => (expiry + window - 5, expiry + window - 10),   // a later print, a late keeper
            2 => (expiry + 30, expiry + 20),                    // after a wide print (below)
            _ => (expiry + window + 100, expiry + window + 90), // the window passed: fallback
        };
        if variant == 2 {
            self.t.env.set_time(expiry + 15).await;
            let wide = pyth::Quote {
                price: self.price,
                conf: self.price as u64 / 10,
                publish_time: expiry + 10,
                ..pyth::Quote::default()
            };
            self.t.env.set_oracle(&wide);
            for (b, e, _) in self.boards.clone() {
                if e <= expiry {
                    let i = ix::settle_board(&self.t.env, &b);
                    assert!(!self.act(seed, step, "settle on a wide print", vec![i], &[]).await);
                }
            }
        }
        self.t.env.set_time(now).await;
        let q = pyth::Quote { price: self.price, publish_time: publish, ..pyth::Quote::default() };
        self.t.env.set_oracle(&q);
        // The boards of that expiry (another may expire a few seconds later: it settles from
        // its own window at a later roll).
        for (b, e, _) in self.boards.clone() {
            if e != expiry {
                continue;
            }
            let i = ix::settle_board(&self.t.env, &b);
            assert!(
                self.act(seed, step, "settle_board", vec![i], &[]).await,
                "seed {seed} step {step}: E3 settle_board (variant {variant}, expiry {e}, now {now}, print {publish}, boards {:?}): {}",
                self.boards.iter().map(|b| b.1).collect::<Vec<_>>(),
                self.last_error
            );
            self.stats.settled_boards += 1;
            for owner in self.traders.clone_all().into_iter().chain([self.keeper_lp.same()]) {
                let i = ix::settle_position(&self.t.env, &b, &owner);
                assert!(
                    self.act(seed, step, "settle_position", vec![i], &[]).await,
                    "seed {seed} step {step}: E3 settle_position: {}",
                    self.last_error
                );
                self.t.env.sync_positions(&owner.pubkey()).await;
            }
            let s = self.t.env.board_state(&b).await;
            assert_eq!(
                (s.payable, s.receivable),
                (0, 0),
                "seed {seed} step {step}: board books left"
            );
            self.t.env.boards.retain(|x| *x != b);
            self.boards.retain(|x| x.0 != b);
        }
        // The clock is past at least one expiry: list a replacement two weeks (or a month) out.
        let shape = if self.boards.is_empty() || rng.below(2) == 0 {
            &STRIKES[..]
        } else {
            &LONG_STRIKES[..]
        };
        let expiry = now + if shape.len() == STRIKES.len() { 14 } else { 31 } * DAY;
        self.publish(now, START_CONF).await;
        for (b, _, _) in self.boards.clone() {
            let i = ix::refresh_board(&self.t.env, &b);
            self.act(seed, step, "refresh after expiry", vec![i], &[]).await;
        }
        let board = self.t.env.list_board(expiry, shape).await;
        self.boards.push((board, expiry, shape.len()));
        for owner in self.traders.clone_all().into_iter().chain([self.keeper_lp.same()]) {
            self.t.env.open_position(&board, &owner).await;
        }
    }
}

/// A vol as the millionths a post carries (rounded to nearest).
fn micro_of(v: Fx) -> u64 {
    (v * Fx::from_num(1_000_000)).round().to_num::<u64>()
}

trait CloneAll {
    fn clone_all(&self) -> Vec<Lp>;
}

impl CloneAll for Vec<Lp> {
    fn clone_all(&self) -> Vec<Lp> {
        self.iter().map(Lp::same).collect()
    }
}

/// `(seed, actions)` of sequences that once failed, minimised: replayed before every campaign.
/// (1, 78) and (3, 34) were found by the share-monotonicity check of the earlier action mix (a
/// senior withdrawal removed its claim rounded up, then priced it without the virtual shares the
/// payment uses); they no longer replay those sequences. (1737, 35) was found by the E4 LP
/// sandwich of a long campaign: the refresh band counted the board's aggregate greeks, partly
/// from trades at other spots than the refresh's, and its gamma net of offsetting series; a
/// deposit, refresh, withdrawal gained 0.13 quote. The band is now computed series by series
/// from the greeks cached at the refresh.
const REGRESSIONS: &[(u64, usize)] = &[(1, 78), (3, 34), (1737, 35)];

/// One sequence; its stats, or None if an invariant failed (a panic inside).
async fn sequence(seed: u64, actions: usize, mature: bool) -> Option<Stats> {
    let run = tokio::spawn(async move {
        let mut rng = Rng(seed);
        let mut w = World::new(mature).await;
        for step in 0..actions {
            w.step(&mut rng, seed, step).await;
        }
        w.stats
    });
    run.await.ok()
}

/// The shortest failing prefix of a failing sequence (the sequence is deterministic, so a
/// prefix fails exactly when it reaches the failing action).
async fn minimise(seed: u64, actions: usize, mature: bool) -> usize {
    let (mut lo, mut hi) = (0, actions); // fails at hi, passes at lo
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if sequence(seed, mid, mature).await.is_some() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

#[tokio::test]
async fn random_action_sequences_keep_every_invariant() {
    for &(seed, actions) in REGRESSIONS {
        let replayed = sequence(seed, actions, false).await;
        assert!(replayed.is_some(), "regression ({seed}, {actions}) fails");
    }
    let sequences = env_u64("FUZZ_SEQUENCES", 200);
    campaign(false, sequences, env_u64("FUZZ_SEED", 1)).await;
}

/// The same actions from a world whose realised vol has matured above every listed vol, with a
/// board of negative-vega and far out-of-the-money calls: every buy is priced at the
/// realised-vol floor, which the short campaign above never reaches (its sequences span
/// minutes of clock; the estimate needs two hours). Found missing after the simulation, not
/// the fuzzer, found the floor's closed loop (docs/SECURITY.md).
#[tokio::test]
async fn random_action_sequences_with_a_mature_realised_vol_keep_every_invariant() {
    let sequences = env_u64("FUZZ_MATURE_SEQUENCES", 60);
    campaign(true, sequences, env_u64("FUZZ_MATURE_SEED", 100_001)).await;
}

/// `sequences` sequences of `FUZZ_ACTIONS` actions from seed `first`; a failure is minimised.
async fn campaign(mature: bool, sequences: u64, first: u64) {
    let actions = env_u64("FUZZ_ACTIONS", 100) as usize;
    let mut total = Stats::default();
    for seed in first..first + sequences {
        let Some(stats) = sequence(seed, actions, mature).await else {
            let n = minimise(seed, actions, mature).await;
            panic!("invariant failure (mature: {mature}): minimised to ({seed}, {n})");
        };
        total.ok += stats.ok;
        total.refused += stats.refused;
        total.loops += stats.loops;
        total.sandwiches += stats.sandwiches;
        total.settled_boards += stats.settled_boards;
    }
    println!(
        "fuzz (mature realised vol: {mature}): {sequences} sequences x {actions} actions from seed {first}: {} accepted, {} refused, {} closed loops, {} liquidator sandwiches, {} boards settled, 0 invariant failures",
        total.ok, total.refused, total.loops, total.sandwiches, total.settled_boards
    );
    assert!(total.ok > 0 && total.refused > 0, "the campaign must exercise both paths");
}
