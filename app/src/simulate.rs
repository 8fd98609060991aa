//! `options-amm simulate`: a market driven through the real program in an embedded Solana
//! runtime (solana-program-test's bank with this program and the real SPL Token program).
//!
//! An hourly oracle path (geometric Brownian motion with the scenario's drift and volatility;
//! `crash` falls about 40% over three days with a volatility spike) is written into a Pyth price
//! account each step; LPs deposit and withdraw; traders buy and sell calls and puts across two
//! weekly boards; a keeper refreshes, rebalances, liquidates and settles expiries, listing a new
//! board for each that expires. Every action is a real transaction; the solvency and
//! conservation invariants are checked after every step, and any violation fails the run.
//! The path's random numbers use f64 (client side only; the program runs no floats).

use clap::{Args, ValueEnum};
use options_amm::state::{Market, CALL, JUNIOR, PUT, SENIOR};
use options_amm_pricing::Fx;
use options_amm_tests::{ix, pyth, Env, Lp, Trading, CONTRACT, START_CONF, T0, USDC};
use serde::Serialize;
use solana_sdk::signature::{Keypair, Signer};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    Calm,
    Crash,
    Rally,
    Chop,
}

#[derive(Args)]
pub struct SimArgs {
    #[arg(long, value_enum, default_value = "calm")]
    scenario: Scenario,
    #[arg(long, default_value = "30")]
    days: u32,
    #[arg(long, default_value = "1")]
    seed: u64,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write charts (SVG) and report.json into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Serialize, Default, Debug)]
pub struct TrancheNav {
    pub senior: f64,
    pub junior: f64,
}

#[derive(Serialize, Default, Debug)]
pub struct Report {
    pub scenario: Option<Scenario>,
    pub days: u32,
    pub seed: u64,
    pub steps: u64,
    pub transactions: u64,
    pub refused: u64,
    pub trades: u64,
    pub liquidations: u64,
    pub rebalances: u64,
    pub settlements: u64,
    pub lp_deposits: u64,
    pub lp_withdrawals: u64,
    pub invariant_violations: u64,
    pub final_price: f64,
    /// Tranche values (quote units) at the start and the end.
    pub initial_nav: TrancheNav,
    pub final_nav: TrancheNav,
    /// Return per share over the run (deposits and withdrawals do not count as returns).
    pub tranche_return: TrancheNav,
    /// Mean |net delta| (underlying units) just before and just after each rebalance.
    pub net_delta_before_after_rebalance: [f64; 2],
    /// Fees booked, quote units.
    pub fees: Fees,
    pub transactions_per_second: f64,
}

#[derive(Serialize, Default, Debug)]
pub struct Fees {
    pub protocol: f64,
    pub lp: f64,
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
const YEAR_HOURS: f64 = 8_760.0;

/// Annual drift and volatility of the path at `day`.
fn regime(s: Scenario, day: f64) -> (f64, f64) {
    match s {
        Scenario::Calm => (0.0, 0.45),
        Scenario::Rally => (2.5, 0.6),
        Scenario::Chop => (0.0, 1.1),
        // About -40% over days 5-8 (ln 0.6 / (3/365) = -62 a year), vol spiking to 150%.
        Scenario::Crash if (5.0..8.0).contains(&day) => (-62.0, 1.5),
        Scenario::Crash if day >= 8.0 => (0.0, 0.9),
        Scenario::Crash => (0.0, 0.5),
    }
}

fn strikes_around(spot: f64) -> Vec<(u64, u64)> {
    [0.8, 0.9, 1.0, 1.1, 1.25].iter().map(|m| (((spot * m).round() as u64).max(1), 80)).collect()
}

fn whole(raw: u64, decimals: u32) -> f64 {
    raw as f64 / 10f64.powi(decimals as i32)
}

fn tranche_navs(m: &Market, price: f64) -> TrancheNav {
    let nav = m.nav(Fx::from_num(price)).unwrap_or(0);
    let v = options_amm::math::tranche::split(nav, m.tranches[0].claim);
    TrancheNav { senior: whole(v.senior, 6), junior: whole(v.junior, 6) }
}

struct Sim {
    env: Env,
    rng: Rng,
    traders: Vec<Lp>,
    lps: Vec<Lp>,
    keeper: Keypair,
    keeper_underlying: solana_sdk::pubkey::Pubkey,
    keeper_quote: solana_sdk::pubkey::Pubkey,
    /// (board, expiry)
    boards: Vec<(solana_sdk::pubkey::Pubkey, i64)>,
    price: f64,
    report: Report,
    series: Vec<(f64, f64, f64, f64, f64, f64)>, // day, price, senior, junior, delta, options-only delta
    delta_before: Vec<f64>,
    delta_after: Vec<f64>,
    tracked_quote: Vec<solana_sdk::pubkey::Pubkey>,
    quote_total: u128,
}

impl Sim {
    async fn send(
        &mut self,
        ixs: Vec<solana_sdk::instruction::Instruction>,
        signers: &[&Keypair],
    ) -> bool {
        self.report.transactions += 1;
        let ok = self.env.send(&ixs, signers).await.is_ok();
        if !ok {
            self.report.refused += 1;
        }
        ok
    }

    fn oracle_price(&self) -> i64 {
        (self.price * 1e8).round() as i64
    }

    async fn publish(&mut self, publish_time: i64, prev: i64) {
        let q = pyth::Quote {
            price: self.oracle_price(),
            conf: START_CONF,
            publish_time,
            prev_publish_time: Some(prev),
            ..pyth::Quote::default()
        };
        self.env.set_oracle(&q);
    }

    async fn list_board(&mut self, expiry: i64) {
        let authority = self.env.authority.insecure_clone();
        let strikes = strikes_around(self.price);
        let i = ix::create_board(&self.env, expiry, &strikes);
        if !self.send(vec![i], &[&authority]).await {
            return;
        }
        let board = ix::board_pda(&self.env.market, expiry);
        self.env.boards.push(board);
        self.boards.push((board, expiry));
        let i = ix::refresh_board(&self.env, &board);
        self.send(vec![i], &[]).await;
        for t in 0..self.traders.len() {
            let trader = Lp {
                key: self.traders[t].key.insecure_clone(),
                quote: self.traders[t].quote,
                shares: self.traders[t].shares,
            };
            self.env.open_position(&board, &trader).await;
        }
    }

    /// Value per share of each tranche (quote units per whole share).
    async fn share_prices(&mut self) -> TrancheNav {
        let m = self.env.market_state().await;
        let navs = tranche_navs(&m, self.price);
        let (s0, s1) = (self.env.share_mints[0], self.env.share_mints[1]);
        let per =
            |value: f64, supply: u64| if supply == 0 { 0.0 } else { value / whole(supply, 9) };
        let senior = per(navs.senior, self.env.supply(&s0).await);
        let junior = per(navs.junior, self.env.supply(&s1).await);
        TrancheNav { senior, junior }
    }

    async fn check(&mut self) {
        let m = self.env.market_state().await;
        let vault = self.env.balance(&self.env.quote_vault.clone()).await;
        let uvault = self.env.balance(&self.env.underlying_vault.clone()).await;
        let mut total = 0u128;
        for a in self.tracked_quote.clone() {
            total += self.env.balance(&a).await as u128;
        }
        let ok = m.quote_books().map(|b| b == vault).unwrap_or(false)
            && uvault == m.lp_underlying
            && m.locked_quote <= m.lp_quote
            && total == self.quote_total;
        if !ok {
            self.report.invariant_violations += 1;
            eprintln!("invariant violated at t={}: vault {vault} books {:?} underlying {uvault}/{} locked {}/{} total {total}/{}",
                self.env.now, m.quote_books().ok(), m.lp_underlying, m.locked_quote, m.lp_quote, self.quote_total);
        }
    }

    async fn step(&mut self, step: u64, scenario: Scenario) {
        let now = T0 + (step as i64 + 1) * HOUR;
        let day = (now - T0) as f64 / DAY as f64;
        let (mu, sigma) = regime(scenario, day);
        let dt = 1.0 / YEAR_HOURS;
        self.price *=
            ((mu - 0.5 * sigma * sigma) * dt + sigma * dt.sqrt() * self.rng.normal()).exp();
        self.env.set_time(now).await;
        self.publish(now, now - HOUR).await;

        // Expiries: settle, then list a board two weeks out.
        let expired: Vec<_> = self.boards.iter().copied().filter(|(_, e)| *e <= now).collect();
        for (board, expiry) in expired {
            self.publish(now.max(expiry), expiry - 1).await;
            if self.send(vec![ix::settle_board(&self.env, &board)], &[]).await {
                self.report.settlements += 1;
                for t in 0..self.traders.len() {
                    let i = ix::settle_position(&self.env, &board, &self.traders[t]);
                    self.send(vec![i], &[]).await;
                    let owner = self.traders[t].pubkey();
                    self.env.sync_positions(&owner).await;
                }
                self.env.boards.retain(|b| *b != board);
                self.boards.retain(|(b, _)| *b != board);
                self.list_board(now + 14 * DAY).await;
            }
            self.publish(now, now - HOUR).await;
        }

        // Keeper: refresh every board.
        for (board, _) in self.boards.clone() {
            let i = ix::refresh_board(&self.env, &board);
            self.send(vec![i], &[]).await;
        }

        // Traders: random and directional flow.
        for t in 0..self.traders.len() {
            if self.rng.below(100) >= 35 || self.boards.is_empty() {
                continue;
            }
            let (board, _) = self.boards[self.rng.below(self.boards.len() as u64) as usize];
            let strike = self.rng.below(5) as u8;
            let bullish = matches!(scenario, Scenario::Rally) && t % 2 == 0;
            let kind = if bullish || self.rng.below(2) == 0 { CALL } else { PUT };
            let size = (1 + self.rng.below(8)) * CONTRACT / 2;
            let trader = &self.traders[t];
            let i = if self.rng.below(100) < 60 {
                ix::buy(&self.env, &board, trader, strike, kind, size, u64::MAX)
            } else {
                ix::sell(&self.env, &board, trader, strike, kind, size, 0)
            };
            let key = trader.key.insecure_clone();
            if self.send(vec![i], &[&key]).await {
                self.report.trades += 1;
            }
        }

        // LPs.
        let r = self.rng.below(100);
        if r < 3 {
            let lp = self.rng.below(self.lps.len() as u64) as usize;
            let tranche = if self.rng.below(2) == 0 { SENIOR } else { JUNIOR };
            let amount = (1 + self.rng.below(20)) * 1_000 * USDC;
            let i = ix::deposit(&self.env, &self.lps[lp], tranche, amount, 0);
            let key = self.lps[lp].key.insecure_clone();
            if self.send(vec![i], &[&key]).await {
                self.report.lp_deposits += 1;
            }
        } else if r < 5 {
            let lp = self.rng.below(self.lps.len() as u64) as usize;
            let tranche = if self.rng.below(2) == 0 { SENIOR } else { JUNIOR };
            let held = self.env.balance(&self.lps[lp].shares[tranche as usize]).await;
            let i = ix::withdraw(&self.env, &self.lps[lp], tranche, held / 10, 0);
            let key = self.lps[lp].key.insecure_clone();
            if held > 0 && self.send(vec![i], &[&key]).await {
                self.report.lp_withdrawals += 1;
            }
        }

        // Keeper: rebalance when outside the band, toward half the band.
        let m = self.env.market_state().await;
        let delta = m.net_delta.get().to_num::<f64>();
        let band = m.params.hedge.delta_band_micro as f64 / 1e6;
        if delta.abs() > band {
            let size = ((delta.abs() - band / 2.0) * CONTRACT as f64) as u64;
            let size = size.min(m.params.hedge.max_rebalance_size);
            let limit = if delta < 0.0 { 0 } else { u64::MAX };
            let i = ix::rebalance(
                &self.env,
                &self.keeper.pubkey(),
                &self.keeper_underlying,
                &self.keeper_quote,
                size,
                limit,
            );
            let key = self.keeper.insecure_clone();
            if self.send(vec![i], &[&key]).await {
                self.report.rebalances += 1;
                self.delta_before.push(delta.abs());
                let after = self.env.market_state().await.net_delta.get().to_num::<f64>();
                self.delta_after.push(after.abs());
            }
        }

        // Keeper: liquidation sweeps every six hours (refused, by name, for healthy accounts).
        if step.is_multiple_of(6) {
            self.liquidation_sweep().await;
        }

        self.check().await;
        let m = self.env.market_state().await;
        let navs = tranche_navs(&m, self.price);
        let delta = m.net_delta.get().to_num::<f64>();
        let hedge = whole(m.lp_underlying, 9);
        self.series.push((day, self.price, navs.senior, navs.junior, delta, delta - hedge));
    }

    async fn liquidation_sweep(&mut self) {
        let liquidator = Lp {
            key: self.keeper.insecure_clone(),
            quote: self.keeper_quote,
            shares: self.traders[0].shares,
        };
        for t in 0..self.traders.len() {
            let owner = self.traders[t].pubkey();
            for (board, _) in self.boards.clone() {
                let p = ix::position_pda(&board, &owner);
                let Some(acc) = self.env.account(&p).await else { continue };
                let pos: options_amm::state::Position = bytemuck::pod_read_unaligned(
                    &acc.data[8..8 + std::mem::size_of::<options_amm::state::Position>()],
                );
                for (s, sizes) in pos.sizes.iter().enumerate() {
                    for kind in [CALL, PUT] {
                        let q = sizes[kind as usize];
                        if q < 0 {
                            let i = ix::liquidate(
                                &self.env,
                                &board,
                                &owner,
                                &liquidator,
                                s as u8,
                                kind,
                                q.unsigned_abs().div_ceil(2),
                            );
                            let key = self.keeper.insecure_clone();
                            if self.send(vec![i], &[&key]).await {
                                self.report.liquidations += 1;
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn run(args: &SimArgs) -> Result<Report, String> {
    let started = std::time::Instant::now();
    let t = Trading::new().await;
    let Trading { mut env, board, trader, lp } = t;
    let keeper = Keypair::new();
    let (u, q) = (env.underlying_mint, env.quote_mint);
    let keeper_underlying = env.token_account(&u, &keeper.pubkey()).await;
    let keeper_quote = env.token_account(&q, &keeper.pubkey()).await;
    env.mint_to(&u, &keeper_underlying, 100_000 * CONTRACT).await;
    env.mint_to(&q, &keeper_quote, 10_000_000 * USDC).await;
    let mut traders = vec![trader];
    for _ in 0..4 {
        traders.push(Trading::trader_on(&mut env, &board).await);
    }
    let lps = vec![lp, env.lp(300_000 * USDC).await];
    let mut tracked_quote: Vec<_> = traders.iter().chain(&lps).map(|p| p.quote).collect();
    tracked_quote.extend([keeper_quote, env.quote_vault]);
    let mut sim = Sim {
        env,
        rng: Rng(args.seed),
        traders,
        lps,
        keeper,
        keeper_underlying,
        keeper_quote,
        boards: vec![(board, options_amm_tests::EXPIRY)],
        price: 150.0,
        report: Report {
            scenario: Some(args.scenario),
            days: args.days,
            seed: args.seed,
            ..Report::default()
        },
        series: Vec::new(),
        delta_before: Vec::new(),
        delta_after: Vec::new(),
        tracked_quote,
        quote_total: 0,
    };
    let mut total = 0u128;
    for a in sim.tracked_quote.clone() {
        total += sim.env.balance(&a).await as u128;
    }
    sim.quote_total = total;
    // A second, one-week board (the first lists two weeks out).
    sim.list_board(T0 + 7 * DAY).await;
    let m0 = sim.env.market_state().await;
    sim.report.initial_nav = tranche_navs(&m0, sim.price);
    let initial_share = sim.share_prices().await;

    let steps = args.days as u64 * 24;
    let bar = if steps > 48 && !args.json {
        let b = indicatif::ProgressBar::new(steps);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} hours {msg}").unwrap(),
        );
        Some(b)
    } else {
        None
    };
    for s in 0..steps {
        sim.step(s, args.scenario).await;
        if let Some(b) = &bar {
            b.inc(1);
            b.set_message(format!("spot {:.2}", sim.price));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let m = sim.env.market_state().await;
    let final_share = sim.share_prices().await;
    let r = &mut sim.report;
    r.steps = steps;
    r.final_price = sim.price;
    r.final_nav = tranche_navs(&m, sim.price);
    let ret = |a: f64, b: f64| if b > 0.0 { a / b - 1.0 } else { 0.0 };
    r.tranche_return = TrancheNav {
        senior: ret(final_share.senior, initial_share.senior),
        junior: ret(final_share.junior, initial_share.junior),
    };
    let mean = |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
    r.net_delta_before_after_rebalance = [mean(&sim.delta_before), mean(&sim.delta_after)];
    r.fees = Fees { protocol: whole(m.protocol_fees, 6), lp: whole(m.lp_fees, 6) };
    r.transactions_per_second = r.transactions as f64 / started.elapsed().as_secs_f64();
    if let Some(dir) = &args.out {
        charts(dir, &sim.series).map_err(|e| format!("charts: {e}"))?;
    }
    Ok(std::mem::take(&mut sim.report))
}

fn charts(
    dir: &std::path::Path,
    series: &[(f64, f64, f64, f64, f64, f64)],
) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    std::fs::create_dir_all(dir)?;
    let days = series.last().map(|s| s.0).unwrap_or(1.0).max(1.0);
    type Pick = fn(&(f64, f64, f64, f64, f64, f64)) -> f64;
    let plot = |file: &str,
                title: &str,
                lines: &[(&str, Pick, RGBColor)]|
     -> Result<(), Box<dyn std::error::Error>> {
        let path = dir.join(file);
        let root = SVGBackend::new(&path, (900, 420)).into_drawing_area();
        root.fill(&WHITE)?;
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for (_, f, _) in lines {
            for s in series {
                lo = lo.min(f(s));
                hi = hi.max(f(s));
            }
        }
        if lo >= hi {
            hi = lo + 1.0;
        }
        let pad = (hi - lo) * 0.05;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..days, (lo - pad)..(hi + pad))?;
        chart.configure_mesh().x_desc("day").draw()?;
        for (name, f, color) in lines {
            let color = *color;
            chart
                .draw_series(LineSeries::new(series.iter().map(|s| (s.0, f(s))), color))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
        Ok(())
    };
    plot("price.svg", "Oracle price", &[("spot", |s| s.1, BLUE)])?;
    plot(
        "tranche_nav.svg",
        "Tranche NAV (quote)",
        &[("senior", |s| s.2, BLUE), ("junior", |s| s.3, RED)],
    )?;
    plot(
        "net_delta.svg",
        "Vault net delta (underlying)",
        &[
            ("with rebalancing (options + hedge)", |s| s.4, BLUE),
            ("options only (no hedge)", |s| s.5, RED),
        ],
    )?;
    Ok(())
}

pub fn print_human(r: &Report) {
    println!(
        "simulation: {:?}, {} days, seed {}",
        r.scenario.unwrap_or(Scenario::Calm),
        r.days,
        r.seed
    );
    println!(
        "  steps {}  transactions {} ({} refused)  {:.0} tx/s",
        r.steps, r.transactions, r.refused, r.transactions_per_second
    );
    println!("  trades {}  liquidations {}  rebalances {}  settlements {}  LP deposits {} / withdrawals {}", r.trades, r.liquidations, r.rebalances, r.settlements, r.lp_deposits, r.lp_withdrawals);
    println!("  final price {:.2}", r.final_price);
    println!(
        "  NAV senior {:.2} -> {:.2} (return per share {:+.2}%)",
        r.initial_nav.senior,
        r.final_nav.senior,
        100.0 * r.tranche_return.senior
    );
    println!(
        "  NAV junior {:.2} -> {:.2} (return per share {:+.2}%)",
        r.initial_nav.junior,
        r.final_nav.junior,
        100.0 * r.tranche_return.junior
    );
    println!(
        "  mean |net delta| before / after rebalance: {:.2} / {:.2}",
        r.net_delta_before_after_rebalance[0], r.net_delta_before_after_rebalance[1]
    );
    println!("  fees: protocol {:.2}, LP {:.2}", r.fees.protocol, r.fees.lp);
    println!("  invariant violations {}", r.invariant_violations);
}
