//! `options-amm simulate`: a market driven through the real program in an embedded Solana
//! runtime (solana-program-test's bank with this program and the real SPL Token program), every
//! user acting through the CLI's own commands.
//!
//! An oracle path (hourly geometric Brownian motion with the scenario's drift and volatility,
//! or a price history replayed at its own timestamps, `--price-path`;
//! `crash` falls about 40% over three days with a volatility spike, `squeeze` rises about 50%
//! over two; `jumps` has stochastic volatility that clusters and price jumps, mostly down,
//! that lift it) is published each step; LPs
//! deposit and withdraw; traders buy and sell calls and puts across two boards; two short
//! sellers on thin collateral sell near-the-money options until initial margin stops them (a
//! fall or a squeeze then takes them under maintenance margin); the keeper runs
//! `keeper run`'s pass (realised vol, refresh, settle, hedge, liquidate) and governance lists a
//! new board for each that settles; the vol feed governance named posts each board's surface
//! every hour, moved within the allowed step towards the realised vol the program holds of the
//! path (`--without live-vol`: no feed, and the realised-vol defences off). The solvency and conservation invariants are checked after every step, and any
//! violation fails the run. The path's random numbers use f64 (client side
//! only; the program runs no floats).

use crate::backend::{CliError, Embedded, Result};
use crate::cli::{
    self, lp::Tranche, trader::Kind, trader::Series, Ctx, Dev, Gov, Keeper, Lp, Trader,
};
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use clap::{Args, ValueEnum};
use options_amm::client::MarketKeys;
use options_amm::state::Market;
use options_amm_local::T0;
use options_amm_pricing::Fx;
use options_amm_pricing::Side;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use solana_sdk::signature::{Keypair, Signer};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[clap(rename_all = "lowercase")]
pub enum Scenario {
    Calm,
    Crash,
    Rally,
    Chop,
    /// A short squeeze: about +50% over days 5-7 with vol spiking to 140%.
    Squeeze,
    /// Stochastic volatility with jumps ([`StochVol`]): vol clusters, and price jumps, mostly
    /// down, come with a vol spike.
    Jumps,
}

/// A defence the simulation can take out, to measure what it is worth (`--without`).
#[derive(Clone, Copy, ValueEnum, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Defence {
    /// The inventory skew: the potential's scales (`trading.skew_*_micro`) at 0.
    Skew,
    /// Delta hedging: the rebalance band at its maximum, so no rebalance is ever due.
    Hedge,
    /// The spread's delta and near-expiry terms (`trading.spread_delta_vol_micro`,
    /// `trading.spread_expiry_vol_micro`) at 0; the base spread and the confidence term stay.
    SpreadTerms,
    /// Live vol: no vol feed is named (the surfaces stay as listed) and the realised-vol
    /// defences are off: the buy floor at its lowest ratio (`vol.floor_ratio_bps`), the breaker
    /// at its highest (`vol.breaker_ratio_bps`), no spread for realised vol above implied
    /// (`vol.spread_gap_bps` 0).
    LiveVol,
}

/// Parameter `name`'s governance bounds (`params_table`): (lowest, highest).
fn bounds(name: &str) -> (u64, u64) {
    let f = options_amm::state::FIELDS.iter().find(|f| f.0 == name);
    f.map(|f| (f.1, f.2)).unwrap_or_else(|| panic!("no parameter {name}"))
}

impl Defence {
    /// The market's parameters with this defence taken out (each within its governance bound).
    fn take_out(self, p: &mut options_amm::RiskParams) {
        let t = &mut p.trading;
        match self {
            Defence::Skew => {
                (t.skew_vega_micro, t.skew_gamma_micro, t.skew_delta_micro) = (0, 0, 0)
            }
            Defence::Hedge => p.hedge.delta_band_micro = 1_000_000_000_000_000,
            Defence::SpreadTerms => (t.spread_delta_vol_micro, t.spread_expiry_vol_micro) = (0, 0),
            Defence::LiveVol => {
                let v = &mut p.vol;
                let as_u32 = |x: u64| u32::try_from(x).expect("a u32 parameter's bound");
                v.floor_ratio_bps = as_u32(bounds("vol.floor_ratio_bps").0);
                v.breaker_ratio_bps = as_u32(bounds("vol.breaker_ratio_bps").1);
                v.spread_gap_bps = 0;
            }
        }
    }
}

#[derive(Args, Clone)]
pub struct SimArgs {
    #[arg(long, value_enum, default_value = "calm")]
    scenario: Scenario,
    /// Simulated days, 1 to 365 (an hour a step); 30 by default (a matrix: 10, or 30 with
    /// --full).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=365))]
    days: Option<u32>,
    /// Replay this price history instead of a scenario: CSV lines `unix_seconds,price` (a
    /// header line allowed), each print published at its own time (docs/CLI.md).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scenario", "days"])]
    price_path: Option<PathBuf>,
    /// Take these defences out (comma-separated or repeated): the same seed with and without
    /// one measures what it is worth.
    #[arg(long, value_enum, value_delimiter = ',')]
    without: Vec<Defence>,
    #[arg(long, default_value = "1")]
    seed: u64,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write charts (SVG) and report.json into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run every scenario x seed x variant (all defences on, each taken out, all out) and
    /// write the tables to this markdown file (docs/ECONOMICS.md), charts beside it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["price_path", "without", "scenario", "seed", "out"])]
    pub matrix: Option<PathBuf>,
    /// With --matrix: 20 seeds of 30 days (else 2 seeds of 10 days).
    #[arg(long, requires = "matrix")]
    full: bool,
    /// With --matrix: this many seeds instead.
    #[arg(long, requires = "matrix", value_parser = clap::value_parser!(u64).range(1..=100))]
    seeds: Option<u64>,
    /// With --matrix: run this many cells at once (each its own world), one a core by default.
    #[arg(long, requires = "matrix", value_parser = clap::value_parser!(u64).range(1..=64))]
    jobs: Option<u64>,
}

#[derive(Serialize, Deserialize, Default, Debug)]
pub struct TrancheNav {
    pub senior: f64,
    pub junior: f64,
}

#[derive(Serialize, Deserialize, Default, Debug)]
pub struct Report {
    pub scenario: Option<Scenario>,
    /// The replayed file (`--price-path`), else null.
    pub price_path: Option<String>,
    /// The defences taken out (`--without`).
    pub without: Vec<Defence>,
    pub days: u32,
    pub seed: u64,
    pub steps: u64,
    /// User commands run (each the CLI's own command: one or more transactions), and of
    /// them refused by name (by the program, or by the client's own fill before sending).
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
    /// The world's clock at the last print, unix seconds (the run starts at 1,800,000,000; a
    /// replay keeps its file's spacing from there).
    pub final_time: i64,
    /// Tranche values (quote units) at the start and the end.
    pub initial_nav: TrancheNav,
    pub final_nav: TrancheNav,
    /// Return per share over the run (deposits and withdrawals do not count as returns).
    pub tranche_return: TrancheNav,
    /// Mean |net delta| (underlying units) just before and just after each rebalance.
    pub net_delta_before_after_rebalance: [f64; 2],
    /// Largest fall of each tranche's value per share from its running peak, a fraction.
    pub max_drawdown: TrancheNav,
    /// Standard deviation over the steps of the vault's dollar delta (net delta x spot, quote
    /// units): with the hedge it holds, and of its options alone (what it would be unhedged).
    pub dollar_delta_std: [f64; 2],
    /// Locked quote over the pool's quote: mean and largest over the steps.
    pub utilisation: [f64; 2],
    /// Fees booked, quote units.
    pub fees: Fees,
    /// The informed vol traders (they know the path's volatility; none in a replay).
    pub informed: Informed,
    /// The vol feed's surface posts (one per active board an hour, or a step where prints are
    /// further apart; none `--without live-vol`):
    /// taken, and refused by the program (counted in `transactions` and `refused` too).
    pub vol_posts: VolPosts,
    /// The LPs' profit and loss over the run, split by source.
    pub lp_pnl: LpPnl,
    /// Closed loops an arbitrageur tried (each leg a real trade) and LP sandwiches around the
    /// keeper's refresh or the vol feed's post: how many, and the most and the total either
    /// made (received less paid, quote units).
    pub loops: Attempts,
    pub sandwiches: Attempts,
    pub transactions_per_second: f64,
}

/// The LPs' profit and loss over the run (quote units), split by where it came from. `total`
/// is the change of the tranches' value net of LP deposits and withdrawals during the run. At
/// trade time the vault is paid, over the option's mark: the `spread`, the `inventory_charge`
/// (the change of the inventory potential: negative when trades took risk off and were paid
/// for it) and the LP and lock `fees`. `hedge` is the underlying the vault held marked through
/// each price step. `liquidation_penalties` is the pool's net from liquidation penalties and
/// `bad_debt` (negative) what liquidations, settlements and write-offs could not collect, both
/// from the market's own counters (`Market::liquidation_penalties_net`, `bad_debt_total`)
/// over the run. `other` is the rest: the
/// options' marks moving with price, vol and time after the trades, settlement, the keepers'
/// rewards.
/// `informed_edge` is what the informed traders expected to make (part of `other`, read
/// beside it).
#[derive(Serialize, Deserialize, Default, Debug, Clone, Copy)]
pub struct LpPnl {
    pub total: f64,
    pub spread: f64,
    pub inventory_charge: f64,
    pub fees: f64,
    pub hedge: f64,
    #[serde(default)]
    pub liquidation_penalties: f64,
    #[serde(default)]
    pub bad_debt: f64,
    pub other: f64,
    pub informed_edge: f64,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy)]
pub struct Attempts {
    /// Completed: every leg landed (a loop whose later leg was refused counts when the legs
    /// that landed were traded back).
    pub count: u64,
    /// Refused at the first leg: nothing happened.
    pub refused: u64,
    /// Started but not closed: the position (or the LP's shares) stays.
    pub incomplete: u64,
    /// The most one made; none completed: -infinity (null in JSON).
    #[serde(deserialize_with = "best_or_none")]
    pub best: f64,
    pub total: f64,
}

/// `Attempts::best` read back: JSON's null (what -infinity prints as) is -infinity.
fn best_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NEG_INFINITY))
}

impl Default for Attempts {
    fn default() -> Self {
        Attempts { count: 0, refused: 0, incomplete: 0, best: f64::NEG_INFINITY, total: 0.0 }
    }
}

impl Attempts {
    fn record(&mut self, profit: f64) {
        self.count += 1;
        self.best = self.best.max(profit);
        self.total += profit;
    }
}

#[derive(Serialize, Deserialize, Default, Debug, Clone, Copy)]
pub struct VolPosts {
    pub posted: u64,
    pub refused: u64,
}

/// What the informed vol traders did: trades, looks that found the price within the spread,
/// and their expected profit (the option's value at the path's true volatility less what they
/// paid, or what they were paid less that value, at trade time; quote units).
#[derive(Serialize, Deserialize, Default, Debug, Clone, Copy)]
pub struct Informed {
    pub trades: u64,
    pub passed: u64,
    pub expected_profit: f64,
}

/// An informed trader's decision: buy when the option is worth more than the ask (all it
/// costs), sell when the bid (all it brings) is above its worth, else nothing: it trades only
/// when the AMM's price is off by more than the spread and fees.
pub fn informed_side(worth: f64, ask: Option<f64>, bid: Option<f64>) -> Option<(Side, f64)> {
    match (ask, bid) {
        (Some(a), _) if worth > a => Some((Side::Buy, worth - a)),
        (_, Some(b)) if b > worth => Some((Side::Sell, b - worth)),
        _ => None,
    }
}

/// A vol in millionths (1_000_000 = 100% a year), the unit `vol post` sends, to the nearest.
fn millionths(v: Fx) -> u64 {
    v.checked_mul_int(1_000_000).and_then(|x| x.round().checked_to_num()).unwrap_or(0)
}

/// The range of a posted vol (`math::surface::check_range`) in whole millionths.
fn surface_range() -> (u64, u64) {
    use options_amm::math::surface::{MAX_SURFACE_VOL, MIN_SURFACE_VOL};
    let whole = |v: Fx| v.checked_mul_int(1_000_000).unwrap_or(Fx::ZERO);
    (whole(MIN_SURFACE_VOL).ceil().to_num(), whole(MAX_SURFACE_VOL).floor().to_num())
}

/// The vol feed's target for one board, millionths a strike: the listed surface's shape (each
/// strike's offset from the listed vol at `atm`, the strike nearest spot when the feed first
/// saw the board) around `level`, the program's mature realised vol; the listed vols while the
/// estimate is not mature. Each within the range a post may take.
pub fn feed_target(listed: &[u64], atm: usize, level: Option<u64>) -> Vec<u64> {
    let (lo, hi) = surface_range();
    listed
        .iter()
        .map(|&v| match level {
            Some(l) => (i128::from(l) + i128::from(v) - i128::from(listed[atm]))
                .clamp(i128::from(lo), i128::from(hi)) as u64,
            None => v.clamp(lo, hi),
        })
        .collect()
}

/// `old` (a strike's posted vol) moved towards `target` (millionths) by as much as the
/// program's `check_step` takes `elapsed` seconds after the board's last post: the allowance
/// computed as it computes it (`vol.feed_max_step_vol_micro` pro rata of `vol.feed_step_secs`,
/// at most one step), then the move checked with `check_step` itself and shortened by a
/// millionth while it refuses (the rounding of the allowance to millionths).
pub fn feed_step(
    old: Fx,
    target: u64,
    elapsed: i64,
    v: &options_amm::state::VolParams,
) -> Result<u64> {
    use options_amm::math::{surface::check_step, value::micro};
    let step_secs = i64::from(v.feed_step_secs);
    let max_step = micro(u64::from(v.feed_max_step_vol_micro));
    let part = elapsed.clamp(0, step_secs);
    let allowed = max_step
        .checked_mul_int(i128::from(part))
        .and_then(|a| a.checked_div_int(i128::from(step_secs)))
        .and_then(|a| a.checked_mul_int(1_000_000))
        .ok_or("vol.feed_step_secs is 0")?;
    let cap: i128 = allowed.ceil().to_num();
    let from = i128::from(millionths(old));
    let mut d = (i128::from(target) - from).clamp(-cap, cap);
    let takes = |d: i128| {
        let new = u64::try_from(from + d).map(micro).unwrap_or(Fx::ZERO);
        check_step(old, new, elapsed, max_step, v.feed_step_secs).is_ok()
    };
    while d != 0 && !takes(d) {
        d -= d.signum();
    }
    Ok((from + d) as u64)
}

/// A `vol post` file (`strike,vol`, fractions) for `strikes` (the board's, as listed) and
/// `vols` (millionths): each strike as the decimal it was listed as (its millionths), so the
/// file names the board's own strikes.
fn surface_file(strikes: &[Fx], vols: &[u64]) -> String {
    let dec6 = |m: u64| format!("{}.{:06}", m / 1_000_000, m % 1_000_000);
    let mut text = String::from("strike,vol\n");
    for (k, v) in strikes.iter().zip(vols) {
        text.push_str(&format!("{},{}\n", dec6(millionths(*k)), dec6(*v)));
    }
    text
}

#[derive(Serialize, Deserialize, Default, Debug)]
pub struct Fees {
    pub protocol: f64,
    pub lp: f64,
}

/// Which event the sandwiching LP brackets this hour, if any.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Sandwich {
    None,
    Refresh,
    Post,
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
        // About +50% over days 5-7 (ln 1.5 / (2/365) = 74 a year), vol spiking to 140%.
        Scenario::Squeeze if (5.0..7.0).contains(&day) => (74.0, 1.4),
        Scenario::Squeeze if day >= 7.0 => (0.0, 0.9),
        Scenario::Squeeze => (0.0, 0.5),
        // The path comes from `StochVol`; this is the level its vol reverts to.
        Scenario::Jumps => (0.0, SV_MEAN_VOL),
    }
}

/// The vol `--scenario jumps` reverts to; its log reverts with a 2-day half-life and a
/// vol-of-vol of 4.8 a year^1/2 (a stationary standard deviation of about 0.3 in log vol),
/// its shocks correlated -0.5 with the price's (falls come with rising vol).
const SV_MEAN_VOL: f64 = 0.6;
const SV_HALF_LIFE_DAYS: f64 = 2.0;
const SV_VOL_OF_VOL: f64 = 4.8;
const SV_RHO: f64 = -0.5;
/// Price jumps: about one in 5 days (Poisson), log size normal with mean -5% and standard
/// deviation 4%; each multiplies vol by 1.4.
const JUMPS_PER_DAY: f64 = 0.2;
const JUMP_MEAN: f64 = -0.05;
const JUMP_SD: f64 = 0.04;
const JUMP_VOL_LIFT: f64 = 1.4;

/// Stochastic volatility with jumps: an Ornstein-Uhlenbeck log vol (clustering) with a
/// leverage correlation, and compound-Poisson price jumps that lift the vol.
struct StochVol {
    log_vol: f64,
}

impl StochVol {
    fn new() -> Self {
        StochVol { log_vol: SV_MEAN_VOL.ln() }
    }

    /// One step of `dt` years: the log return, the step's diffusive vol and whether it jumped.
    fn step(&mut self, rng: &mut Rng, dt: f64) -> (f64, f64, bool) {
        let sigma = self.log_vol.exp();
        let (z, w) = (rng.normal(), rng.normal());
        let zv = SV_RHO * z + (1.0 - SV_RHO * SV_RHO).sqrt() * w;
        let mut r = -0.5 * sigma * sigma * dt + sigma * dt.sqrt() * z;
        let kappa = std::f64::consts::LN_2 / (SV_HALF_LIFE_DAYS / 365.0);
        self.log_vol +=
            kappa * (SV_MEAN_VOL.ln() - self.log_vol) * dt + SV_VOL_OF_VOL * dt.sqrt() * zv;
        let jumped = rng.unit() < JUMPS_PER_DAY * 365.0 * dt;
        if jumped {
            r += JUMP_MEAN + JUMP_SD * rng.normal();
            self.log_vol += JUMP_VOL_LIFT.ln();
        }
        self.log_vol = self.log_vol.clamp(0.1f64.ln(), 3.0f64.ln());
        (r, sigma, jumped)
    }

    /// The path's volatility as an option's holder sees it: the diffusive vol now with the
    /// jumps' variance added (rate x E[size^2]).
    fn total_vol(&self) -> f64 {
        let jump_var = JUMPS_PER_DAY * 365.0 * (JUMP_MEAN * JUMP_MEAN + JUMP_SD * JUMP_SD);
        ((2.0 * self.log_vol).exp() + jump_var).sqrt()
    }
}

/// Strikes around spot, each at 80% base vol, as `gov create-board --strike` takes them.
fn strikes_around(spot: f64) -> Vec<String> {
    [0.8, 0.9, 1.0, 1.1, 1.25]
        .iter()
        .map(|m| format!("{}:0.8", ((spot * m).round() as u64).max(1)))
        .collect()
}

fn whole(raw: u64, decimals: u32) -> f64 {
    raw as f64 / 10f64.powi(decimals as i32)
}

fn tranche_navs(m: &Market, price: f64) -> TrancheNav {
    let nav = m.nav(Fx::from_num(price)).unwrap_or(0);
    let v = options_amm::math::tranche::split(nav, m.tranches[0].claim);
    TrancheNav { senior: whole(v.senior, 6), junior: whole(v.junior, 6) }
}

/// A decimal the CLI parses back exactly (strikes are whole, sizes halves).
fn dec(v: f64) -> String {
    format!("{v}")
}

/// The simulation: every user acts through the CLI's own commands (`trader buy`, `lp deposit`,
/// `keeper run`'s pass, `gov create-board`, `dev` for the oracle and the clock) against one
/// embedded world, so the keeper strategy is the one `keeper run` uses.
struct Sim {
    c: Ctx,
    rng: Rng,
    /// The keeper; also the governance authority that lists boards and the fee payer.
    keeper: Keypair,
    traders: Vec<Keypair>,
    /// Informed vol traders (margined, like `traders`).
    informed: Vec<Keypair>,
    /// Short sellers on thin collateral, with their own random numbers (so that the other
    /// agents' draws are those of a run without them).
    shorts: Vec<Keypair>,
    short_rng: Rng,
    /// LP deposits less withdrawals during the run, quote units.
    lp_flows: f64,
    /// The LP fees of every fill the traders' commands printed, quote raw units.
    lp_fee_raw: u64,
    /// The arbitrageur who tries closed loops, and the LP who sandwiches the keeper's
    /// refresh, with their own random numbers.
    arb: Keypair,
    sandwicher: Keypair,
    arb_rng: Rng,
    /// The momentum trader and the prints it remembers (the last 12 hours').
    momentum: Keypair,
    /// Protection buyers (holders of the underlying who buy puts below the money), with their
    /// own random numbers.
    hedgers: Vec<Keypair>,
    hedger_rng: Rng,
    recent: std::collections::VecDeque<f64>,
    /// The jumps scenario's vol state, and the path's volatility the informed traders know
    /// (the scenario's regime, or the stochastic vol with the jumps' variance).
    sv: StochVol,
    true_vol: f64,
    lps: Vec<Keypair>,
    keys: MarketKeys,
    price: f64,
    report: Report,
    series: Vec<Point>,
    delta_before: Vec<f64>,
    delta_after: Vec<f64>,
    /// Every quote account in the world (wallets and the vault): their sum never changes.
    tracked_quote: Vec<Pubkey>,
    /// Running peak of each tranche's value per share, and the largest fall from it so far.
    peak: TrancheNav,
    drawdown: TrancheNav,
    utilisation: Vec<f64>,
    quote_total: u128,
    /// The market's vol feed, named through governance at the start (none `--without
    /// live-vol`), and each board's listed surface (millionths) with its at-the-money strike
    /// when the feed first saw it.
    feed: Option<Keypair>,
    listed: std::collections::BTreeMap<Pubkey, (Vec<u64>, usize)>,
    /// The file the feed's `vol post` reads, in the world's directory.
    surface_csv: PathBuf,
}

impl Sim {
    /// Runs one user command as `who`; a refusal is counted, not fatal.
    fn act(&mut self, who: &Keypair, f: impl FnOnce(&mut Ctx) -> Result<Value>) -> Option<Value> {
        self.c.world().ok()?.act_as(who);
        self.report.transactions += 1;
        let r = f(&mut self.c);
        let keeper = self.keeper.insecure_clone();
        if let Ok(e) = self.c.world() {
            e.act_as(&keeper);
        }
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                if std::env::var_os("SIM_DEBUG").is_some() {
                    eprintln!("refused: {e}");
                }
                self.report.refused += 1;
                None
            }
        }
    }

    /// A trade that landed: counted, and what it paid the vault over its mark booked.
    fn book_trade(&mut self, fill: &Value) {
        self.report.trades += 1;
        let get = |k: &str| fill[k].as_f64().unwrap_or(0.0);
        let p = &mut self.report.lp_pnl;
        p.spread += get("spread");
        p.inventory_charge += get("inventory_charge");
        // `fee_lp` holds the lock charge (`fee_lock`) too; summed in raw units (the quote
        // mint's 6 decimals), exactly.
        self.lp_fee_raw += (get("fee_lp") * 1e6).round() as u64;
    }

    fn market(&mut self) -> Result<Market> {
        cli::chain::load(&mut self.c, &self.keys.market, "market")
    }

    fn publish(&mut self, at: i64) -> Result<()> {
        let (oracle, price) = (self.keys.oracle, Fx::from_num(self.price));
        let e = self.c.world()?;
        cli::dev::publish(e, oracle, price, Fx::from_num(0.05), at)
    }

    fn list_board(&mut self, expiry: i64) {
        let strikes = strikes_around(self.price);
        let keeper = self.keeper.insecure_clone();
        self.act(&keeper, |c| cli::gov::gov(c, Gov::CreateBoard { expiry, strikes }));
    }

    /// Unsettled, unexpired boards: (expiry, strikes, call cap in basis points).
    fn open_boards(&mut self, now: i64) -> Result<Vec<(i64, Vec<f64>, u32)>> {
        let boards = cli::chain::boards(&mut self.c, &self.keys.market)?;
        Ok(boards
            .into_iter()
            .filter(|(_, b)| b.is_active() && now < b.expiry_ts)
            .map(|(_, b)| {
                let n = b.num_strikes as usize;
                let strikes = b.strikes[..n].iter().map(|s| s.strike.get().to_num()).collect();
                (b.expiry_ts, strikes, b.cap_multiple_bps)
            })
            .collect())
    }

    /// Each informed trader, half the hours: one series at random, valued with the f64
    /// Black-Scholes at the path's true volatility `sigma`; it asks the AMM for both sides
    /// (`trader quote`, the very transactions run without landing) and trades one contract
    /// only when `informed_side` says the price is off by more than the spread, at the quoted
    /// total as its limit.
    fn informed_flow(&mut self, now: i64, sigma: f64, boards: &[(i64, Vec<f64>, u32)]) {
        let rate = match self.market() {
            Ok(m) => f64::from(m.params.risk_free_rate_bps) / 1e4,
            Err(_) => return,
        };
        for i in 0..self.informed.len() {
            if self.rng.below(100) >= 50 || boards.is_empty() {
                continue;
            }
            let (expiry, strikes, cap) = &boards[self.rng.below(boards.len() as u64) as usize];
            let strike = strikes[self.rng.below(strikes.len() as u64) as usize];
            let kind = if self.rng.below(2) == 0 { Kind::Call } else { Kind::Put };
            let reference = match kind {
                Kind::Call => options_amm_reference::Kind::Call,
                Kind::Put => options_amm_reference::Kind::Put,
            };
            let secs = (expiry - now) as f64;
            let worth = options_amm_reference::series_price(
                reference, self.price, strike, *cap, sigma, rate, secs,
            );
            let series =
                || Series { expiry: Some(*expiry), strike: dec(strike), kind, size: dec(1.0) };
            let who = self.informed[i].insecure_clone();
            let mut total = |side| -> Option<f64> {
                let cmd = Trader::Quote { series: series(), side };
                let v = self.act(&who, |c| cli::trader::trader(c, cmd))?;
                v["refusal"].is_null().then(|| v["total"].as_f64()).flatten()
            };
            let ask = total(crate::quote::TradeSide::Buy);
            let bid = total(crate::quote::TradeSide::Sell);
            let Some((side, edge)) = informed_side(worth, ask, bid) else {
                self.report.informed.passed += 1;
                continue;
            };
            let cmd = match side {
                Side::Buy => Trader::Buy {
                    series: series(),
                    slippage_bps: 0,
                    max_cost: ask.map(|a| format!("{a}")),
                },
                Side::Sell => Trader::Sell {
                    series: series(),
                    slippage_bps: 0,
                    min_proceeds: bid.map(|b| format!("{b}")),
                },
            };
            if let Some(fill) = self.act(&who, |c| cli::trader::trader(c, cmd)) {
                self.book_trade(&fill);
                self.report.informed.trades += 1;
                self.report.informed.expected_profit += edge;
            }
        }
    }

    /// Short sellers on thin collateral (`SHORT_COLLATERAL` each): each hour, one time in four,
    /// each sells one or two contracts nearest the money on a random open board (the first
    /// puts, the second calls), until initial margin refuses more (`BelowInitialMargin`,
    /// a refusal like any other). A fall takes the put sellers, a squeeze the call sellers,
    /// under maintenance margin, and the keeper liquidates them.
    fn short_flow(&mut self, boards: &[(i64, Vec<f64>, u32)]) {
        for i in 0..self.shorts.len() {
            if self.short_rng.below(100) >= 25 || boards.is_empty() {
                continue;
            }
            let (expiry, strikes, _) = &boards[self.short_rng.below(boards.len() as u64) as usize];
            let kind = if i % 2 == 0 { Kind::Put } else { Kind::Call };
            let size = (1 + self.short_rng.below(2)) as f64;
            let spot = self.price;
            let Some(strike) = strikes
                .iter()
                .copied()
                .min_by(|a, b| (a - spot).abs().total_cmp(&(b - spot).abs()))
            else {
                continue;
            };
            let series =
                Series { expiry: Some(*expiry), strike: dec(strike), kind, size: dec(size) };
            let cmd = Trader::Sell { series, slippage_bps: 50, min_proceeds: None };
            let who = self.shorts[i].insecure_clone();
            if let Some(fill) = self.act(&who, |c| cli::trader::trader(c, cmd)) {
                self.book_trade(&fill);
            }
        }
    }

    /// The arbitrageur, one hour in five: a closed loop on a random open series, each leg a
    /// real trade (`trader buy` / `trader sell`): a round trip (buy two contracts, sell them
    /// back) or a synthetic one across series (buy the call and sell the put at one strike,
    /// then sell the call and buy the put back). When a later leg is refused, the legs that
    /// landed are traded back in reverse, so the loop still closes. What it made is what it
    /// received less what it paid; the program's E1 says never more than nothing.
    fn loop_flow(&mut self, boards: &[(i64, Vec<f64>, u32)]) {
        if self.arb_rng.below(100) >= 20 || boards.is_empty() {
            return;
        }
        let (expiry, strikes, _) = &boards[self.arb_rng.below(boards.len() as u64) as usize];
        let strike = strikes[self.arb_rng.below(strikes.len() as u64) as usize];
        let legs = if self.arb_rng.below(2) == 0 {
            vec![(Kind::Call, Side::Buy), (Kind::Call, Side::Sell)]
        } else {
            let (call, put) = (Kind::Call, Kind::Put);
            vec![(call, Side::Buy), (put, Side::Sell), (call, Side::Sell), (put, Side::Buy)]
        };
        let leg = |(kind, side): (Kind, Side)| {
            let series =
                Series { expiry: Some(*expiry), strike: dec(strike), kind, size: dec(2.0) };
            match side {
                Side::Buy => Trader::Buy { series, slippage_bps: 5_000, max_cost: None },
                Side::Sell => Trader::Sell { series, slippage_bps: 5_000, min_proceeds: None },
            }
        };
        let who = self.arb.insecure_clone();
        let mut made = 0.0;
        let mut done = Vec::new();
        for &(kind, side) in &legs {
            let Some(fill) = self.act(&who, |c| cli::trader::trader(c, leg((kind, side)))) else {
                break;
            };
            made += fill["received"].as_f64().unwrap_or(0.0) - fill["paid"].as_f64().unwrap_or(0.0);
            if std::env::var_os("SIM_DEBUG").is_some() {
                eprintln!("LEG {kind:?} {side:?} {strike} {expiry} {fill}");
            }
            self.book_trade(&fill);
            done.push((kind, side));
        }
        if done.is_empty() {
            self.report.loops.refused += 1;
            return;
        }
        if done.len() < legs.len() {
            // Unwind: each landed leg traded back, the last first.
            for &(kind, side) in done.iter().rev() {
                let back = if side == Side::Buy { Side::Sell } else { Side::Buy };
                let Some(fill) = self.act(&who, |c| cli::trader::trader(c, leg((kind, back))))
                else {
                    self.report.loops.incomplete += 1;
                    return;
                };
                made +=
                    fill["received"].as_f64().unwrap_or(0.0) - fill["paid"].as_f64().unwrap_or(0.0);
                if std::env::var_os("SIM_DEBUG").is_some() {
                    eprintln!("UNWIND {kind:?} {back:?} {strike} {expiry} {fill}");
                }
                self.book_trade(&fill);
            }
        }
        if std::env::var_os("SIM_DEBUG").is_some() && made > 0.0 {
            eprintln!("LOOP made {made} legs {legs:?} done {done:?} at {}", self.price);
        }
        self.report.loops.record(made);
    }

    /// The momentum trader: when the price has moved more than 2% over the last 12 hours, one
    /// hour in three it buys two contracts nearest the money on the nearest open board, calls
    /// after a rise and puts after a fall (held to expiry).
    fn momentum_flow(&mut self, boards: &[(i64, Vec<f64>, u32)]) {
        self.recent.push_back(self.price);
        if self.recent.len() > 13 {
            self.recent.pop_front();
        }
        let first = self.recent.front().copied().unwrap_or(self.price);
        let moved = self.price / first - 1.0;
        if moved.abs() <= 0.02 || self.arb_rng.below(3) != 0 {
            return;
        }
        let Some((expiry, strikes, _)) = boards.iter().min_by_key(|b| b.0) else {
            return;
        };
        let spot = self.price;
        let Some(strike) =
            strikes.iter().copied().min_by(|a, b| (a - spot).abs().total_cmp(&(b - spot).abs()))
        else {
            return;
        };
        let kind = if moved > 0.0 { Kind::Call } else { Kind::Put };
        let series = Series { expiry: Some(*expiry), strike: dec(strike), kind, size: dec(2.0) };
        let cmd = Trader::Buy { series, slippage_bps: 100, max_cost: None };
        let who = self.momentum.insecure_clone();
        if let Some(fill) = self.act(&who, |c| cli::trader::trader(c, cmd)) {
            self.book_trade(&fill);
        }
    }

    /// The protection buyers: each, one hour in six, buys one put struck nearest 90% of spot
    /// on the latest open board and holds it to expiry. The flow an options vault sees most:
    /// it leaves the vault short the downside, so a crash is the move that hurts it.
    fn protection_flow(&mut self, boards: &[(i64, Vec<f64>, u32)]) {
        let Some((expiry, strikes, _)) = boards.iter().max_by_key(|b| b.0) else {
            return;
        };
        let target = 0.9 * self.price;
        let Some(strike) = strikes
            .iter()
            .copied()
            .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
        else {
            return;
        };
        for i in 0..self.hedgers.len() {
            if self.hedger_rng.below(6) != 0 {
                continue;
            }
            let series = Series {
                expiry: Some(*expiry),
                strike: dec(strike),
                kind: Kind::Put,
                size: dec(1.0),
            };
            let cmd = Trader::Buy { series, slippage_bps: 100, max_cost: None };
            let who = self.hedgers[i].insecure_clone();
            if let Some(fill) = self.act(&who, |c| cli::trader::trader(c, cmd)) {
                self.book_trade(&fill);
            }
        }
    }

    /// The sandwiching LP, one hour in ten: deposits 50,000 into a random tranche just before
    /// an event that re-marks the pool and withdraws every share just after. Half the time the
    /// event is the keeper's pass (a new print, then refresh and settlement; the deposit comes
    /// before the refresh, so the program refuses it while the greeks are stale), half the time
    /// the vol feed's post (a new surface, marked in through the GWAV). What it made is what it
    /// received less what it deposited (E4: never more than nothing); a refused leg counts as
    /// incomplete. Its flows are LP flows like any other.
    fn sandwich_open(&mut self) -> Option<Tranche> {
        let tranche = if self.arb_rng.below(2) == 0 { Tranche::Senior } else { Tranche::Junior };
        let cmd = Lp::Deposit { tranche, amount: "50000".into(), min_shares: "0".into() };
        let who = self.sandwicher.insecure_clone();
        let Some(v) = self.act(&who, |c| cli::lp::lp(c, cmd)) else {
            self.report.sandwiches.refused += 1;
            return None;
        };
        self.lp_flows += v["deposited"].as_f64().unwrap_or(0.0);
        Some(tranche)
    }

    fn sandwich_close(&mut self, tranche: Tranche) {
        let cmd = Lp::Withdraw { tranche, shares: "all".into(), min_amount: "0".into() };
        let who = self.sandwicher.insecure_clone();
        match self.act(&who, |c| cli::lp::lp(c, cmd)) {
            Some(v) => {
                let got = v["received"].as_f64().unwrap_or(0.0);
                self.lp_flows -= got;
                self.report.sandwiches.record(got - 50_000.0);
            }
            // Not enough free quote, say: it stays in, an LP like any other.
            None => self.report.sandwiches.incomplete += 1,
        }
    }

    /// The vol feed's post, each hour: every active, unexpired board's surface moved towards
    /// `feed_target` (the program's mature realised vol in the listed shape) by the step the
    /// program allows (`feed_step`), sent as `vol post` sends a file. A refusal (static
    /// arbitrage, say) is counted, not fatal.
    fn post_surfaces(&mut self, now: i64) -> Result<()> {
        let Some(feed) = self.feed.as_ref().map(Keypair::insecure_clone) else {
            return Ok(());
        };
        let m = self.market()?;
        let level = m.mature_realised_vol().map(millionths);
        let file = self.surface_csv.clone();
        for (key, b) in cli::chain::boards(&mut self.c, &self.keys.market)? {
            // Hourly: a replay's finer prints do not each make a post (a board listed this
            // step is first posted an hour after its listing).
            if !b.is_active() || now >= b.expiry_ts || now - b.vol_posted_ts < HOUR {
                continue;
            }
            let slots = &b.strikes[..b.num_strikes as usize];
            let strikes: Vec<Fx> = slots.iter().map(|s| s.strike.get()).collect();
            // First seen (only this feed posts): the surface is the listed one.
            let spot = Fx::from_num(self.price);
            let (listed, atm) = self.listed.entry(key).or_insert_with(|| {
                let vols = slots.iter().map(|s| millionths(s.base_vol.get())).collect();
                let gap = |k: &Fx| if *k > spot { *k - spot } else { spot - *k };
                let atm = (0..strikes.len()).min_by_key(|&i| gap(&strikes[i])).unwrap_or(0);
                (vols, atm)
            });
            let target = feed_target(listed, *atm, level);
            let elapsed = now.saturating_sub(b.vol_posted_ts);
            let vols = slots
                .iter()
                .zip(&target)
                .map(|(s, &t)| feed_step(s.base_vol.get(), t, elapsed, &m.params.vol))
                .collect::<Result<Vec<u64>>>()?;
            if std::env::var_os("SIM_DEBUG").is_some() {
                eprintln!("vol post {} at {now}: realised {level:?}, vols {vols:?}", b.expiry_ts);
            }
            std::fs::write(&file, surface_file(&strikes, &vols))
                .map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?;
            let cmd = cli::Vol::Post { board: b.expiry_ts.to_string(), file: file.clone() };
            match self.act(&feed, |c| cli::vol::vol(c, cmd)) {
                Some(_) => self.report.vol_posts.posted += 1,
                None => self.report.vol_posts.refused += 1,
            }
        }
        Ok(())
    }

    /// Value per share of each tranche (quote units per whole share).
    fn share_prices(&mut self) -> Result<TrancheNav> {
        let m = self.market()?;
        let navs = tranche_navs(&m, self.price);
        let (s0, s1) = (m.tranches[0].share_mint, m.tranches[1].share_mint);
        let per =
            |value: f64, supply: u64| if supply == 0 { 0.0 } else { value / whole(supply, 9) };
        let senior = per(navs.senior, cli::chain::supply(&mut self.c, &s0)?);
        let junior = per(navs.junior, cli::chain::supply(&mut self.c, &s1)?);
        Ok(TrancheNav { senior, junior })
    }

    fn quote_in_world(&mut self) -> Result<u128> {
        let mut total = 0u128;
        for a in self.tracked_quote.clone() {
            total += cli::chain::balance(&mut self.c, &a)? as u128;
        }
        Ok(total)
    }

    fn check(&mut self) -> Result<()> {
        let m = self.market()?;
        let vault = cli::chain::balance(&mut self.c, &self.keys.quote_vault)?;
        let uvault = cli::chain::balance(&mut self.c, &self.keys.underlying_vault)?;
        let total = self.quote_in_world()?;
        let ok = m.quote_books().map(|b| b == vault).unwrap_or(false)
            && uvault == m.lp_underlying
            && m.locked_quote <= m.lp_quote
            && total == self.quote_total;
        if !ok {
            self.report.invariant_violations += 1;
            eprintln!("invariant violated: vault {vault} books {:?} underlying {uvault}/{} locked {}/{} total {total}/{}",
                m.quote_books().ok(), m.lp_underlying, m.locked_quote, m.lp_quote, self.quote_total);
        }
        Ok(())
    }

    /// The keeper's pass, exactly as `keeper run` makes it; what it did goes into the report.
    fn keeper_pass(&mut self) -> Result<()> {
        let before = self.market()?.net_delta.get().to_num::<f64>();
        self.c.world()?.act_as(&self.keeper.insecure_clone());
        let pass =
            cli::keeper::keeper_pass(&mut self.c, &Keeper::Run { interval: 0, iterations: 1 })?;
        let count = |key: &str| -> (u64, u64) {
            let list = pass[key].as_array().cloned().unwrap_or_default();
            let ok = list.iter().filter(|v| v["result"] == "ok").count() as u64;
            if std::env::var_os("SIM_DEBUG").is_some() {
                for v in list.iter().filter(|v| v["result"] != "ok") {
                    eprintln!("keeper {key} {}", v["result"]);
                }
            }
            (ok, list.len() as u64 - ok)
        };
        let mut settled = 0;
        for key in
            ["update_vol", "refresh", "settle_board", "settle_position", "rebalance", "liquidate"]
        {
            let (ok, refused) = count(key);
            self.report.transactions += ok + refused;
            self.report.refused += refused;
            match key {
                "settle_board" => settled = ok,
                "rebalance" if ok > 0 => {
                    self.report.rebalances += ok;
                    self.delta_before.push(before.abs());
                    let after = self.market()?.net_delta.get().to_num::<f64>();
                    self.delta_after.push(after.abs());
                }
                "liquidate" => self.report.liquidations += ok,
                _ => {}
            }
        }
        self.report.settlements += settled;
        Ok(())
    }

    /// The next print of the path: the scenario's hourly GBM step, or the file's next line at
    /// its own time (offset so that the file's first print is at the world's start).
    fn next_print(&mut self, step: u64, path: &Path) -> (i64, f64) {
        match path {
            Path::Scenario(Scenario::Jumps) => {
                let now = T0 + (step as i64 + 1) * HOUR;
                let (r, _, _) = self.sv.step(&mut self.rng, 1.0 / YEAR_HOURS);
                self.true_vol = self.sv.total_vol();
                (now, self.price * r.exp())
            }
            Path::Scenario(scenario) => {
                let now = T0 + (step as i64 + 1) * HOUR;
                let day = (now - T0) as f64 / DAY as f64;
                let (mu, sigma) = regime(*scenario, day);
                let dt = 1.0 / YEAR_HOURS;
                let z = self.rng.normal();
                self.true_vol = sigma;
                (now, self.price * ((mu - 0.5 * sigma * sigma) * dt + sigma * dt.sqrt() * z).exp())
            }
            Path::Replay(prints) => {
                let p = prints[step as usize + 1];
                (T0 + (p.unix_seconds - prints[0].unix_seconds), p.price)
            }
        }
    }

    fn step(&mut self, step: u64, path: &Path) -> Result<()> {
        let (now, price) = self.next_print(step, path);
        let day = (now - T0) as f64 / DAY as f64;
        // The hedge the vault held through the price step.
        let held = whole(self.market()?.lp_underlying, 9);
        self.report.lp_pnl.hedge += held * (price - self.price);
        self.price = price;
        self.report.final_time = now;
        self.c.world()?.set_time(now)?;
        self.publish(now)?;

        // Keeper: refresh, settle expiries and their positions, hedge, liquidate; a board
        // listed two weeks out for each that settled.
        let settled = self.report.settlements;
        let sandwich = match self.arb_rng.below(20) {
            0 => Sandwich::Refresh,
            1 => Sandwich::Post,
            _ => Sandwich::None,
        };
        let open = if sandwich == Sandwich::Refresh { self.sandwich_open() } else { None };
        self.keeper_pass()?;
        if let Some(tranche) = open {
            self.sandwich_close(tranche);
        }
        for _ in settled..self.report.settlements {
            self.list_board(now + 14 * DAY);
        }
        if self.report.settlements > settled {
            // The new board is priced by a refresh before anyone trades it.
            let keeper = self.keeper.insecure_clone();
            self.act(&keeper, |c| cli::keeper::keeper_pass(c, &Keeper::Refresh));
        }
        // The vol feed: each board's surface towards the path's realised vol.
        let open = if sandwich == Sandwich::Post { self.sandwich_open() } else { None };
        self.post_surfaces(now)?;
        if let Some(tranche) = open {
            self.sandwich_close(tranche);
        }

        // Traders: random and directional flow.
        let boards = self.open_boards(now)?;
        for t in 0..self.traders.len() {
            if self.rng.below(100) >= 35 || boards.is_empty() {
                continue;
            }
            let (expiry, strikes, _) = &boards[self.rng.below(boards.len() as u64) as usize];
            let strike = strikes[self.rng.below(strikes.len() as u64) as usize];
            let bullish = matches!(path, Path::Scenario(Scenario::Rally)) && t % 2 == 0;
            let kind = if bullish || self.rng.below(2) == 0 { Kind::Call } else { Kind::Put };
            let size = (1 + self.rng.below(8)) as f64 / 2.0;
            let series =
                Series { expiry: Some(*expiry), strike: dec(strike), kind, size: dec(size) };
            let cmd = if self.rng.below(100) < 60 {
                Trader::Buy { series, slippage_bps: 50, max_cost: None }
            } else {
                Trader::Sell { series, slippage_bps: 50, min_proceeds: None }
            };
            let who = self.traders[t].insecure_clone();
            if let Some(fill) = self.act(&who, |c| cli::trader::trader(c, cmd)) {
                self.book_trade(&fill);
            }
        }

        // Short sellers on thin collateral; the arbitrageur's closed loops.
        self.short_flow(&boards);
        self.loop_flow(&boards);
        self.momentum_flow(&boards);
        self.protection_flow(&boards);

        // Informed vol traders, when the path's volatility is known (not in a replay).
        if let Path::Scenario(_) = path {
            self.informed_flow(now, self.true_vol, &boards);
        }

        // LPs.
        let r = self.rng.below(100);
        if r < 5 {
            let who = self.lps[self.rng.below(self.lps.len() as u64) as usize].insecure_clone();
            let tranche = if self.rng.below(2) == 0 { Tranche::Senior } else { Tranche::Junior };
            if r < 3 {
                let amount = dec(((1 + self.rng.below(20)) * 1_000) as f64);
                let cmd = Lp::Deposit { tranche, amount, min_shares: "0".into() };
                if let Some(v) = self.act(&who, |c| cli::lp::lp(c, cmd)) {
                    self.report.lp_deposits += 1;
                    self.lp_flows += v["deposited"].as_f64().unwrap_or(0.0);
                }
            } else {
                let m = self.market()?;
                let mint = m.tranches[tranche.index() as usize].share_mint;
                let held = cli::chain::balance(
                    &mut self.c,
                    &cli::chain::ata(&who.pubkey(), &mint, &spl_token::ID),
                )
                .unwrap_or(0);
                // Shares have 9 decimals (the quote's 6 plus 3): a tenth of what is held, exactly.
                let tenth = held / 10;
                let cmd = Lp::Withdraw {
                    tranche,
                    shares: format!("{}.{:09}", tenth / 1_000_000_000, tenth % 1_000_000_000),
                    min_amount: "0".into(),
                };
                if held == 0 {
                    // nothing to withdraw
                } else if let Some(v) = self.act(&who, |c| cli::lp::lp(c, cmd)) {
                    self.report.lp_withdrawals += 1;
                    self.lp_flows -= v["received"].as_f64().unwrap_or(0.0);
                }
            }
        }

        self.check()?;
        let share = self.share_prices()?;
        for (value, peak, fall) in [
            (share.senior, &mut self.peak.senior, &mut self.drawdown.senior),
            (share.junior, &mut self.peak.junior, &mut self.drawdown.junior),
        ] {
            *peak = peak.max(value);
            if *peak > 0.0 {
                *fall = fall.max(1.0 - value / *peak);
            }
        }
        let m = self.market()?;
        let utilisation =
            if m.lp_quote > 0 { m.locked_quote as f64 / m.lp_quote as f64 } else { 0.0 };
        if m.lp_quote > 0 {
            self.utilisation.push(utilisation);
        }
        let navs = tranche_navs(&m, self.price);
        let delta = m.net_delta.get().to_num::<f64>();
        let hedge = whole(m.lp_underlying, 9);
        let spot = self.price;
        let implied = cli::chain::boards(&mut self.c, &self.keys.market)?
            .into_iter()
            .filter(|(_, b)| b.is_active() && now < b.expiry_ts)
            .min_by_key(|(_, b)| b.expiry_ts)
            .and_then(|(_, b)| {
                b.strikes[..b.num_strikes as usize]
                    .iter()
                    .min_by(|x, y| {
                        let d = |k: f64| (k - spot).abs();
                        d(x.strike.get().to_num()).total_cmp(&d(y.strike.get().to_num()))
                    })
                    .map(|k| k.mark_vol.get().to_num::<f64>())
            })
            .unwrap_or(0.0);
        self.series.push(Point {
            day,
            price: self.price,
            senior: navs.senior,
            junior: navs.junior,
            delta,
            options_delta: delta - hedge,
            implied,
            realised: m.realised_vol.get().vol.to_num::<f64>(),
            true_vol: matches!(path, Path::Scenario(_)).then_some(self.true_vol),
            utilisation,
        });
        Ok(())
    }
}

/// One step of the run, for the charts.
#[derive(Clone, Copy, Default)]
struct Point {
    day: f64,
    price: f64,
    senior: f64,
    junior: f64,
    /// The vault's net delta with the hedge, and of its options alone.
    delta: f64,
    options_delta: f64,
    /// The nearest board's mark vol at the strike nearest spot, the program's realised-vol
    /// estimate (mature or not), and the path's own vol (the scenario's; none in a replay).
    implied: f64,
    realised: f64,
    true_vol: Option<f64>,
    /// Locked over LP quote.
    utilisation: f64,
}

/// Each short seller's collateral (quote): thin, so that it sells to its initial margin.
const SHORT_COLLATERAL: &str = "1500";

/// Where the oracle's prints come from.
enum Path {
    Scenario(Scenario),
    Replay(Vec<crate::price_path::Print>),
}

pub fn run(args: &SimArgs) -> Result<Report> {
    let started = std::time::Instant::now();
    let path = match &args.price_path {
        Some(file) => Path::Replay(crate::price_path::load(file).map_err(CliError::Input)?),
        None => Path::Scenario(args.scenario),
    };
    let (start_price, steps, days) = match &path {
        Path::Scenario(_) => {
            let days = args.days.unwrap_or(30);
            (150.0, days as u64 * 24, days)
        }
        Path::Replay(p) => {
            let secs = p[p.len() - 1].unix_seconds - p[0].unix_seconds;
            (p[0].price, p.len() as u64 - 1, (secs as u64).div_ceil(DAY as u64) as u32)
        }
    };
    // An unwritable --out fails now, not after the run.
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out)
            .map_err(|e| CliError::Input(format!("--out {}: {e}", out.display())))?;
    }
    // Unique within the process too: the matrix runs cells on several threads at once.
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "options-amm-sim-{}-{}-{n}",
        std::process::id(),
        args.seed
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut params = options_amm::RiskParams::reference();
    for d in &args.without {
        d.take_out(&mut params);
    }
    // The vol feed is named through governance's own timelocked path: the market is created
    // the timelock (in whole days) before the run starts, the feed proposed then and executed
    // at the start. The run's clock and boards are those of a market created at the start.
    let lead = (i64::from(params.timelock_secs) + DAY - 1) / DAY * DAY;
    let keeper = Keypair::new();
    let mut world = Embedded::open(&dir, keeper.insecure_clone())?;
    world.set_time(T0 - lead)?;
    let mut c = Ctx::local(world, dir.clone());
    // The market, its mints and oracle, and a first board two weeks after the start
    // (`dev init`).
    cli::dev::init(&mut c, dec(start_price), 14 + lead / DAY, params)?;
    let (k, _) = cli::chain::market(&mut c)?;
    let feed = (!args.without.contains(&Defence::LiveVol)).then(Keypair::new);
    if let Some(f) = &feed {
        cli::gov::gov(&mut c, Gov::ProposeVolFeed { new_feed: f.pubkey() })?;
    }
    let e = c.world()?;
    e.set_time(T0)?;
    cli::dev::publish(e, k.oracle, Fx::from_num(start_price), Fx::from_num(0.05), T0)?;
    if feed.is_some() {
        cli::gov::gov(&mut c, Gov::ExecuteVolFeed)?;
    }
    let fund = |c: &mut Ctx, to: &Keypair, quote: u64, underlying: u64| {
        let cmd = Dev::Fund {
            to: Some(to.pubkey()),
            quote: quote.to_string(),
            underlying: underlying.to_string(),
        };
        cli::dev::dev(c, cmd).map(drop)
    };
    fund(&mut c, &keeper, 10_000_000, 100_000)?;
    let traders: Vec<Keypair> = (0..5).map(|_| Keypair::new()).collect();
    let informed: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    let shorts: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    let (arb, sandwicher, momentum) = (Keypair::new(), Keypair::new(), Keypair::new());
    let hedgers: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    let lps: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    let mut sim = Sim {
        c,
        rng: Rng(args.seed),
        keeper: keeper.insecure_clone(),
        traders: traders.iter().map(|t| t.insecure_clone()).collect(),
        informed: informed.iter().map(|t| t.insecure_clone()).collect(),
        shorts: shorts.iter().map(|t| t.insecure_clone()).collect(),
        short_rng: Rng(args.seed ^ 0x5e11_e125),
        lp_flows: 0.0,
        lp_fee_raw: 0,
        arb: arb.insecure_clone(),
        sandwicher: sandwicher.insecure_clone(),
        arb_rng: Rng(args.seed ^ 0xa7b1_7ea9),
        momentum: momentum.insecure_clone(),
        hedgers: hedgers.iter().map(|t| t.insecure_clone()).collect(),
        hedger_rng: Rng(args.seed ^ 0x9e7c_70a1),
        recent: Default::default(),
        sv: StochVol::new(),
        true_vol: SV_MEAN_VOL,
        lps: lps.iter().map(|t| t.insecure_clone()).collect(),
        keys: k,
        price: start_price,
        report: Report {
            scenario: matches!(path, Path::Scenario(_)).then_some(args.scenario),
            price_path: args.price_path.as_ref().map(|p| p.display().to_string()),
            without: args.without.clone(),
            days,
            seed: args.seed,
            ..Report::default()
        },
        series: Vec::new(),
        delta_before: Vec::new(),
        delta_after: Vec::new(),
        tracked_quote: Vec::new(),
        quote_total: 0,
        peak: TrancheNav::default(),
        drawdown: TrancheNav::default(),
        utilisation: Vec::new(),
        feed,
        listed: Default::default(),
        surface_csv: dir.join("surface.csv"),
    };
    // The first board priced at the start, before anyone deposits.
    let keeper_c = keeper.insecure_clone();
    sim.act(&keeper_c, |c| cli::keeper::keeper_pass(c, &Keeper::Refresh))
        .ok_or("the first board's refresh was refused")?;
    // LPs: 500k senior and 200k junior, then a second LP with 300k to come.
    fund(&mut sim.c, &lps[0], 1_000_000, 0)?;
    fund(&mut sim.c, &lps[1], 300_000, 0)?;
    for (tranche, amount) in [(Tranche::Senior, "500000"), (Tranche::Junior, "200000")] {
        let cmd = Lp::Deposit { tranche, amount: amount.into(), min_shares: "0".into() };
        sim.act(&lps[0], |c| cli::lp::lp(c, cmd)).ok_or("the first LP deposit was refused")?;
    }
    // Traders: 120k in the wallet, 20k of it as margin collateral.
    for t in traders.iter().chain(&informed) {
        fund(&mut sim.c, t, 120_000, 0)?;
        let cmd = Trader::DepositCollateral { amount: "20000".into() };
        sim.act(t, |c| {
            cli::trader::trader(c, Trader::OpenAccount)?;
            cli::trader::trader(c, cmd)
        })
        .ok_or("a trader's collateral deposit was refused")?;
    }
    // Short sellers: 20k in the wallet, a thin `SHORT_COLLATERAL` of it as collateral.
    for t in &shorts {
        fund(&mut sim.c, t, 20_000, 0)?;
        let cmd = Trader::DepositCollateral { amount: SHORT_COLLATERAL.into() };
        sim.act(t, |c| {
            cli::trader::trader(c, Trader::OpenAccount)?;
            cli::trader::trader(c, cmd)
        })
        .ok_or("a short seller's collateral deposit was refused")?;
    }
    // The arbitrageur: 100k, 30k of it as collateral; the sandwiching LP: 200k.
    fund(&mut sim.c, &arb, 100_000, 0)?;
    let cmd = Trader::DepositCollateral { amount: "30000".into() };
    sim.act(&arb, |c| {
        cli::trader::trader(c, Trader::OpenAccount)?;
        cli::trader::trader(c, cmd)
    })
    .ok_or("the arbitrageur's collateral deposit was refused")?;
    fund(&mut sim.c, &sandwicher, 200_000, 0)?;
    fund(&mut sim.c, &momentum, 100_000, 0)?;
    for h in &hedgers {
        fund(&mut sim.c, h, 100_000, 0)?;
    }
    let wallets = traders
        .iter()
        .chain(&informed)
        .chain(&shorts)
        .chain(&lps)
        .chain(&hedgers)
        .chain([&keeper, &arb, &sandwicher, &momentum]);
    sim.tracked_quote = wallets
        .map(|w| cli::chain::ata(&w.pubkey(), &sim.keys.quote_mint, &spl_token::ID))
        .chain([sim.keys.quote_vault])
        .collect();
    sim.quote_total = sim.quote_in_world()?;
    // A second, one-week board.
    sim.list_board(T0 + 7 * DAY);
    sim.act(&keeper_c, |c| cli::keeper::keeper_pass(c, &Keeper::Refresh));
    let m0 = sim.market()?;
    sim.report.initial_nav = tranche_navs(&m0, sim.price);
    let initial_share = sim.share_prices()?;
    sim.peak = TrancheNav { senior: initial_share.senior, junior: initial_share.junior };
    // Setup transactions are not part of the run's figures.
    (sim.report.transactions, sim.report.refused) = (0, 0);

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
        sim.step(s, &path)?;
        if let Some(b) = &bar {
            b.inc(1);
            b.set_message(format!("spot {:.2}", sim.price));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let m = sim.market()?;
    let final_share = sim.share_prices()?;
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
    r.max_drawdown = TrancheNav { senior: sim.drawdown.senior, junior: sim.drawdown.junior };
    let std = |v: Vec<f64>| {
        let m = mean(&v);
        mean(&v.iter().map(|x| (x - m) * (x - m)).collect::<Vec<_>>()).sqrt()
    };
    r.dollar_delta_std = [
        std(sim.series.iter().map(|s| s.delta * s.price).collect()),
        std(sim.series.iter().map(|s| s.options_delta * s.price).collect()),
    ];
    r.utilisation = [mean(&sim.utilisation), sim.utilisation.iter().cloned().fold(0.0, f64::max)];
    r.fees = Fees { protocol: whole(m.protocol_fees, 6), lp: whole(m.lp_fees, 6) };
    let pool = |n: &TrancheNav| n.senior + n.junior;
    let p = &mut r.lp_pnl;
    p.total = pool(&r.final_nav) - pool(&r.initial_nav) - sim.lp_flows;
    p.fees = whole(sim.lp_fee_raw, 6);
    p.liquidation_penalties =
        (m.liquidation_penalties_net - m0.liquidation_penalties_net) as f64 / 1e6;
    p.bad_debt = 0.0 - (whole(m.bad_debt_total, 6) - whole(m0.bad_debt_total, 6));
    p.other = p.total
        - p.spread
        - p.inventory_charge
        - p.fees
        - p.hedge
        - p.liquidation_penalties
        - p.bad_debt;
    p.informed_edge = r.informed.expected_profit;
    r.transactions_per_second = r.transactions as f64 / started.elapsed().as_secs_f64();
    let report = std::mem::take(&mut sim.report);
    if let Some(out) = &args.out {
        charts(out, &sim.series).map_err(|e| CliError::Input(format!("charts: {e}")))?;
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(out.join("report.json"), text)
            .map_err(|e| CliError::Input(format!("report.json: {e}")))?;
    }
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}

fn charts(
    dir: &std::path::Path,
    series: &[Point],
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    std::fs::create_dir_all(dir)?;
    let days = series.last().map(|s| s.day).unwrap_or(1.0).max(1.0);
    type Pick = fn(&Point) -> f64;
    let plot = |file: &str,
                title: &str,
                lines: &[(&str, Pick, RGBColor)]|
     -> std::result::Result<(), Box<dyn std::error::Error>> {
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
                .draw_series(LineSeries::new(series.iter().map(|s| (s.day, f(s))), color))?
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
    plot("price.svg", "Oracle price", &[("spot", |s| s.price, BLUE)])?;
    plot(
        "tranche_nav.svg",
        "Tranche NAV (quote)",
        &[("senior", |s| s.senior, BLUE), ("junior", |s| s.junior, RED)],
    )?;
    plot(
        "net_delta.svg",
        "Vault net delta (underlying)",
        &[
            ("with rebalancing (options + hedge)", |s| s.delta, BLUE),
            ("options only (no hedge)", |s| s.options_delta, RED),
        ],
    )?;
    let mut vols: Vec<(&str, Pick, RGBColor)> = vec![
        ("implied: nearest board's mark vol at the money", |s| s.implied, BLUE),
        ("realised: the program's estimate", |s| s.realised, RED),
    ];
    if series.iter().all(|s| s.true_vol.is_some()) {
        vols.push(("the path's own vol", |s| s.true_vol.unwrap_or(0.0), BLACK));
    }
    plot("vol.svg", "Implied against realised vol", &vols)?;
    plot(
        "utilisation.svg",
        "Utilisation (locked over LP quote)",
        &[("utilisation", |s| s.utilisation, BLUE)],
    )?;
    Ok(())
}

pub fn print_human(r: &Report) {
    let source = match (&r.price_path, r.scenario) {
        (Some(file), _) => format!("replay of {file}"),
        (None, s) => format!("{:?}", s.unwrap_or(Scenario::Calm)),
    };
    println!("simulation: {source}, {} days, seed {}", r.days, r.seed);
    if !r.without.is_empty() {
        println!("  without: {:?}", r.without);
    }
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
    println!("  vol posts {} ({} refused)", r.vol_posts.posted, r.vol_posts.refused);
    println!("  invariant violations {}", r.invariant_violations);
}

/// The variants of the matrix: every defence on, each taken out alone, all taken out.
const VARIANTS: [&[Defence]; 6] = [
    &[],
    &[Defence::Skew],
    &[Defence::Hedge],
    &[Defence::SpreadTerms],
    &[Defence::LiveVol],
    &[Defence::Skew, Defence::Hedge, Defence::SpreadTerms, Defence::LiveVol],
];

/// The matrix's variant with every defence taken out.
const ALL_OUT: usize = VARIANTS.len() - 1;

fn variant_name(v: &[Defence]) -> String {
    match v {
        [] => "all defences".into(),
        [d] => format!("without {}", defence_name(*d)),
        _ => "without any".into(),
    }
}

fn defence_name(d: Defence) -> &'static str {
    match d {
        Defence::Skew => "skew",
        Defence::Hedge => "hedge",
        Defence::SpreadTerms => "spread-terms",
        Defence::LiveVol => "live-vol",
    }
}

/// `simulate --matrix FILE`: every scenario x seed x variant, then FILE (markdown: the command,
/// the tables, the goals with their measured figures) and each scenario's charts for seed 1
/// with every defence on (`<FILE's directory>/economics/<scenario>/`). Returns a summary.
pub fn matrix(args: &SimArgs, file: &std::path::Path) -> Result<Value> {
    let started = std::time::Instant::now();
    let days = args.days.unwrap_or(if args.full { 30 } else { 10 });
    let seeds = args.seeds.unwrap_or(if args.full { 20 } else { 2 });
    let dir = file.parent().unwrap_or(std::path::Path::new(".")).to_path_buf();
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Input(format!("--matrix {}: {e}", file.display())))?;
    let scenarios = [
        Scenario::Calm,
        Scenario::Crash,
        Scenario::Rally,
        Scenario::Chop,
        Scenario::Squeeze,
        Scenario::Jumps,
    ];
    // Every cell is an independent world: they run on as many threads as the machine has
    // cores (`--jobs`), each taking the next cell, and are put back in order.
    let cells: Vec<(Scenario, usize, u64)> = scenarios
        .iter()
        .flat_map(|&s| {
            (0..VARIANTS.len()).flat_map(move |v| (1..=seeds).map(move |seed| (s, v, seed)))
        })
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let jobs = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, cells.len().max(1));
    // Each cell in its own process (this binary's `simulate --json`): the natively compiled
    // program logs to the process's stdout, which each command captures for the program's
    // error names, so two worlds in one process would read each other's logs.
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Input(format!("--matrix: this program's path: {e}")))?;
    let run_cell = |&(scenario, vi, seed): &(Scenario, usize, u64)| -> Result<(Report, f64)> {
        let mut cmd = std::process::Command::new(&exe);
        cmd.args(["simulate", "--json", "--scenario"])
            .arg(format!("{scenario:?}").to_lowercase())
            .args(["--days", &days.to_string(), "--seed", &seed.to_string()]);
        if !VARIANTS[vi].is_empty() {
            let names: Vec<String> = VARIANTS[vi]
                .iter()
                .map(|d| {
                    d.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
                })
                .collect();
            cmd.args(["--without", &names.join(",")]);
        }
        if vi == 0 && seed == 1 {
            let charts = dir.join("economics").join(format!("{scenario:?}").to_lowercase());
            cmd.arg("--out").arg(charts);
        }
        let t = std::time::Instant::now();
        let out = cmd.output().map_err(|e| CliError::Input(format!("--matrix: {e}")))?;
        let secs = t.elapsed().as_secs_f64();
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            let what = format!("{scenario:?} {:?} seed {seed}: {}", VARIANTS[vi], why.trim());
            return Err(match out.status.code() {
                Some(6) => CliError::Invariant(what),
                _ => CliError::Input(format!("--matrix cell failed: {what}")),
            });
        }
        let report: Report = serde_json::from_slice(&out.stdout)
            .map_err(|e| CliError::Input(format!("--matrix: a cell's report: {e}")))?;
        Ok((report, secs))
    };
    let mut done: Vec<(usize, Result<(Report, f64)>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(cell) = cells.get(i) else { break };
                        let r = run_cell(cell);
                        let failed = r.is_err();
                        mine.push((i, r));
                        if failed {
                            // Stop handing out cells: the matrix fails with this error.
                            next.store(cells.len(), std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a matrix worker panicked")).collect()
    });
    done.sort_by_key(|(i, _)| *i);
    let mut rows: Vec<(Scenario, usize, Vec<Report>)> = Vec::new();
    let mut runs = 0u64;
    let mut violations = 0u64;
    let mut slowest_secs = 0f64;
    for (i, r) in done {
        let (r, secs) = r?;
        let (scenario, vi, _) = cells[i];
        slowest_secs = slowest_secs.max(secs);
        runs += 1;
        violations += r.invariant_violations;
        match rows.last_mut() {
            Some((s, v, reports)) if *s == scenario && *v == vi => reports.push(r),
            _ => rows.push((scenario, vi, vec![r])),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let mut command =
        format!("cargo run --locked --bin options-amm -- simulate --matrix {}", file.display());
    for (flag, on) in [
        (" --full".to_string(), args.full),
        (format!(" --days {days}"), args.days.is_some()),
        (format!(" --seeds {seeds}"), args.seeds.is_some()),
    ] {
        if on {
            command.push_str(&flag);
        }
    }
    let text = economics_markdown(&rows, days, seeds, &command, runs, (secs, jobs, slowest_secs));
    std::fs::write(file, text).map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?;
    Ok(serde_json::json!({
        "written": file.display().to_string(),
        "runs": runs,
        "days": days,
        "seeds": seeds,
        "seconds": secs,
        "jobs": jobs,
        "invariant_violations": violations,
        "slowest_run_seconds": slowest_secs,
    }))
}

fn mean_of(reports: &[Report], f: impl Fn(&Report) -> f64) -> f64 {
    reports.iter().map(&f).sum::<f64>() / reports.len().max(1) as f64
}

fn min_of(reports: &[Report], f: impl Fn(&Report) -> f64) -> f64 {
    reports.iter().map(f).fold(f64::INFINITY, f64::min)
}

fn economics_markdown(
    rows: &[(Scenario, usize, Vec<Report>)],
    days: u32,
    seeds: u64,
    command: &str,
    runs: u64,
    (secs, jobs, slowest): (f64, usize, f64),
) -> String {
    let pct = |x: f64| format!("{:+.3}%", 100.0 * x);
    let mut md = String::new();
    md.push_str("# Economics\n\n");
    md.push_str(&format!(
        "_Generated by `{command}`: {} scenarios x {seeds} seeds x {} variants, {days} days each \
         (an hour a step), {runs} runs in {secs:.0} s ({jobs} at a time). Every figure is the real program in the \
         embedded runtime, every user acting through the CLI's own commands (README, \
         `simulate`); `--full` runs 20 seeds of 30 days._\n\n",
        rows.len() / VARIANTS.len(),
        VARIANTS.len()
    ));
    md.push_str(
        "## What the flow is, and what it is not yet\n\n\
         Five margined traders buy and sell calls and puts at random across the open boards \
         (in `rally`, half of them buy calls); two informed vol traders know the path's true \
         volatility, value a random series with the f64 Black-Scholes at it, ask the AMM for both \
         sides and trade one contract only when the price is off by more than the spread and \
         fees (the boards are listed at 80% vol; calm runs at 45%, rally 60%, chop 110%, the crash \
         150% in its three days (-40%), the squeeze 140% in its two (+50%); `jumps` a stochastic vol reverting to 60% with a \
         2-day half-life, and jumps of about -5% one day in five that lift it by 40%; the \
         informed traders know its vol now with the jumps' variance added); two short sellers with 1,500 of collateral each sell \
         near-the-money options (one puts, the other calls) until initial margin refuses \
         more; two LPs deposit and withdraw; the keeper runs `keeper run`'s \
         pass each hour (realised vol, refresh, settle, hedge, liquidate); governance lists a \
         board for each that settles; the vol feed governance named posts each board's surface \
         each hour, moved by at most the allowed step (half a vol point an hour in the reference \
         set) towards the realised vol the program estimates from the path's prints, once that \
         estimate is mature; an arbitrageur tries closed loops (round trips, and synthetic loops \
         across the call and put of one strike) one hour in five, trading back the legs that \
         landed when a later one is refused, and an LP deposits 50,000 just before an event that \
         re-marks the pool and withdraws it just after, one hour in ten (half the time the \
         keeper's pass, where the program refuses the deposit while the greeks are stale, half \
         the time the vol feed's post); a momentum \
         trader buys near-the-money calls after a 2% rise over 12 hours and puts after a fall, \
         one hour in three while the move lasts; two protection buyers each buy one put struck \
         nearest 90% of spot on the latest board one hour in six and hold it to expiry (the \
         flow an options vault sees most: it leaves the vault short the downside).\n\n",
    );
    md.push_str(
        "Variants: `all defences` is the reference parameter set; `without skew` sets the \
         inventory potential's scales to 0; `without hedge` sets the rebalance band to its \
         maximum (no hedge is ever due); `without spread-terms` sets the spread's delta and \
         near-expiry terms to 0; `without live-vol` names no vol feed (the surfaces stay as \
         listed) and turns the realised-vol defences off (the buy floor and the breaker at the \
         ratios' outer bounds, no spread for realised vol above implied); `without any` takes \
         all four out.\n\n",
    );
    md.push_str(
        "The junior tranche pays the senior tranche's target return first \
         (`senior_target_rate_bps`, 5% a year in the reference set), whatever the flow: a senior \
         return of about +0.12% over 10 days is that accrual, and with tens of quote of LP fees a \
         run against it the junior returns below are mostly that coupon. Read the variants \
         against each other, not against zero.\n\n",
    );
    md.push_str("## Per scenario and variant (mean over seeds)\n\n");
    md.push_str(
        "| scenario | variant | senior return | junior return | worst junior return | junior max \
         drawdown | trades | liquidations | rebalances | LP fees | dollar delta std: hedged / \
         options only | utilisation mean / max | vol posts (refused) |\n",
    );
    md.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (scenario, vi, r) in rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.3}% | {:.0} | {:.1} | {:.1} | {:.2} | {:.0} / {:.0} | {:.2}% / {:.2}% | {:.0} ({:.1}) |\n",
            format!("{scenario:?}").to_lowercase(),
            variant_name(VARIANTS[*vi]),
            pct(mean_of(r, |x| x.tranche_return.senior)),
            pct(mean_of(r, |x| x.tranche_return.junior)),
            pct(min_of(r, |x| x.tranche_return.junior)),
            100.0 * mean_of(r, |x| x.max_drawdown.junior),
            mean_of(r, |x| x.trades as f64),
            mean_of(r, |x| x.liquidations as f64),
            mean_of(r, |x| x.rebalances as f64),
            mean_of(r, |x| x.fees.lp),
            mean_of(r, |x| x.dollar_delta_std[0]),
            mean_of(r, |x| x.dollar_delta_std[1]),
            100.0 * mean_of(r, |x| x.utilisation[0]),
            100.0 * r.iter().map(|x| x.utilisation[1]).fold(0.0, f64::max),
            mean_of(r, |x| x.vol_posts.posted as f64),
            mean_of(r, |x| x.vol_posts.refused as f64),
        ));
    }
    md.push_str(
        "\n## LPs' profit and loss by source (mean over seeds, quote units)\n\n\
         `total` is the pool's value change net of LP deposits and withdrawals. At trade time \
         the vault is paid, over each option's mark, the `spread`, the `inventory charge` (the \
         change of the inventory potential; negative when trades took risk off and were paid \
         for it) and the LP and lock `fees`; `hedge` is the underlying it held, marked through \
         each price step; `penalties` is the pool's net from liquidation penalties, `bad debt` \
         what liquidations, settlements and write-offs could not collect (the market's own \
         counters over the run); `other` is the rest (the options' marks moving \
         with price, vol and time after the trades, settlement, keeper rewards). `informed \
         edge` is what the informed traders expected to make at the true vol, a part of \
         `other` shown beside it.\n\n\
         | scenario | variant | total | spread | inventory charge | fees | hedge | penalties | \
         bad debt | other | informed edge |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (scenario, vi, r) in rows {
        md.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} | {:.0} | {:.0} |\n",
            format!("{scenario:?}").to_lowercase(),
            variant_name(VARIANTS[*vi]),
            mean_of(r, |x| x.lp_pnl.total),
            mean_of(r, |x| x.lp_pnl.spread),
            mean_of(r, |x| x.lp_pnl.inventory_charge),
            mean_of(r, |x| x.lp_pnl.fees),
            mean_of(r, |x| x.lp_pnl.hedge),
            mean_of(r, |x| x.lp_pnl.liquidation_penalties),
            mean_of(r, |x| x.lp_pnl.bad_debt),
            mean_of(r, |x| x.lp_pnl.other),
            mean_of(r, |x| x.lp_pnl.informed_edge),
        ));
    }
    // Goals.
    let all: Vec<&Report> = rows.iter().flat_map(|(_, _, r)| r.iter()).collect();
    let worst_senior = all.iter().map(|r| r.tranche_return.senior).fold(f64::INFINITY, f64::min);
    let pick = |s: Scenario, vi: usize| {
        rows.iter().find(|(sc, v, _)| *sc == s && *v == vi).map(|(_, _, r)| r)
    };
    let junior_loss = |s: Scenario, vi: usize| {
        pick(s, vi).map(|r| -mean_of(r, |x| x.tranche_return.junior).min(0.0)).unwrap_or(0.0)
    };
    let (on, off) = (junior_loss(Scenario::Crash, 0), junior_loss(Scenario::Crash, ALL_OUT));
    let liquidations =
        |s: Scenario| pick(s, 0).map(|r| mean_of(r, |x| x.liquidations as f64)).unwrap_or(0.0);
    let (crash_liq, squeeze_liq) = (liquidations(Scenario::Crash), liquidations(Scenario::Squeeze));
    let jumps_liq = liquidations(Scenario::Jumps);
    let violations: u64 = all.iter().map(|r| r.invariant_violations).sum();
    let hedge = pick(Scenario::Crash, 0)
        .map(|r| (mean_of(r, |x| x.dollar_delta_std[0]), mean_of(r, |x| x.dollar_delta_std[1])));
    let met = |ok: bool| if ok { "met" } else { "**not met**" };
    md.push_str("\n## Goals (issue 15), measured\n\n");
    md.push_str(&format!(
        "- Senior never loses, in any scenario and seed: worst senior return {} over {} runs: {}.\n",
        pct(worst_senior),
        all.len(),
        met(worst_senior >= 0.0)
    ));
    let junior_return = |s: Scenario, vi: usize| {
        pick(s, vi).map(|r| mean_of(r, |x| x.tranche_return.junior)).unwrap_or(0.0)
    };
    md.push_str(&format!(
        "- Junior's loss in the crash with every defence on at most half of the run with all \
         off: {} against {}: {}. A junior return is a loss when negative: with all off it was \
         {}. The protection buyers leave the vault short puts; as the price falls their delta \
         makes the vault long the underlying, and its hedge can only sell underlying it holds \
         (`rebalance` trades spot against the pool's quote; it cannot go short), so in a fall \
         the hedge offsets little (the hedge effectiveness line below) and the loss is the \
         puts' payoff. The defences act the other way: in the squeeze the vault, short calls, \
         is short delta and buys underlying with its quote: {} with every defence against {} \
         with all off.\n",
        pct(-on),
        pct(-off),
        met(on <= off / 2.0 || on == 0.0),
        pct(junior_return(Scenario::Crash, ALL_OUT)),
        pct(junior_return(Scenario::Squeeze, 0)),
        pct(junior_return(Scenario::Squeeze, ALL_OUT)),
    ));
    md.push_str(&format!(
        "- The crash and the squeeze liquidate someone (two short sellers on thin collateral): \
         {crash_liq:.1} and {squeeze_liq:.1} liquidations a run (jumps: {jumps_liq:.1}): {}.\n",
        met(crash_liq > 0.0 && squeeze_liq > 0.0)
    ));
    // Bad debt the junior tranche did not absorb would show as a senior loss (the waterfall).
    let adverse: Vec<&Report> = [Scenario::Crash, Scenario::Squeeze]
        .iter()
        .flat_map(|&s| rows.iter().filter(move |(sc, _, _)| *sc == s))
        .flat_map(|(_, _, r)| r.iter())
        .collect();
    let worst_debt = adverse.iter().map(|r| -r.lp_pnl.bad_debt).fold(0.0, f64::max);
    let junior_left = adverse.iter().map(|r| r.final_nav.junior).fold(f64::INFINITY, f64::min);
    let senior_adverse =
        adverse.iter().map(|r| r.tranche_return.senior).fold(f64::INFINITY, f64::min);
    md.push_str(&format!(
        "- No unpaid bad debt beyond the junior tranche in the crash and the squeeze: the most \
         bad debt one run absorbed {worst_debt:.2}, the least junior value left at a run's end \
         {junior_left:.0}, the worst senior return {} over those {} runs: {}.\n",
        pct(senior_adverse),
        adverse.len(),
        met(junior_left > 0.0 && senior_adverse >= 0.0)
    ));
    if let Some((h, u)) = hedge {
        md.push_str(&format!(
            "- Hedge effectiveness in the crash: the vault's dollar delta varies by {h:.0} \
             (standard deviation) with its hedge against {u:.0} for its options alone.\n"
        ));
    }
    for scenario in [Scenario::Calm, Scenario::Chop] {
        if let Some(r) = pick(scenario, 0) {
            let profit = mean_of(r, |x| x.informed.expected_profit);
            let fees = mean_of(r, |x| x.fees.lp + x.fees.protocol);
            let spread = mean_of(r, |x| x.lp_pnl.spread);
            let income = fees + spread;
            md.push_str(&format!(
                "- Informed traders' profit at most the vault's spread and fee income, {}: their \
                 expected profit {profit:.2} a run ({:.0} trades) against {income:.2} ({spread:.2} \
                 of spread from every trader, {fees:.2} of LP and protocol fees): {}.\n",
                format!("{scenario:?}").to_lowercase(),
                mean_of(r, |x| x.informed.trades as f64),
                met(profit <= income)
            ));
        }
    }
    for (what, pick_one, rule) in [
        (
            "No closed loop pays (an arbitrageur's round trips and synthetic loops across series, \
             each leg a real trade)",
            (|r: &Report| r.loops) as fn(&Report) -> Attempts,
            "E1",
        ),
        (
            "No LP sandwich around the keeper's pass or the vol feed's post pays (deposit \
             before, withdraw after)",
            |r: &Report| r.sandwiches,
            "E4",
        ),
    ] {
        let count: u64 = all.iter().map(|r| pick_one(r).count).sum();
        let refused: u64 = all.iter().map(|r| pick_one(r).refused).sum();
        let incomplete: u64 = all.iter().map(|r| pick_one(r).incomplete).sum();
        let best = all.iter().map(|r| pick_one(r).best).fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = all.iter().map(|r| pick_one(r).total).sum();
        md.push_str(&format!(
            "- {what} ({rule}): {count} completed over all runs ({refused} refused at the \
             first leg, {incomplete} left open by a refusal), the best made {}, all together \
             {total:.2}: {}.\n",
            if count > 0 { format!("{best:.4}") } else { "-".into() },
            met(count > 0 && best <= 0.0)
        ));
    }
    md.push_str(&format!("- Accounting: {violations} invariant violations over all runs.\n"));
    // Speed: each run is its own process, so the slowest is one run's wall time (on a machine
    // shared with the other job).
    let ci_sized = days == 10 && seeds == 2;
    md.push_str(&format!(
        "- Speed: {runs} runs in {secs:.0} s ({jobs} at a time){}; the slowest run ({days} days) \
         took {slowest:.1} s{}.\n\n",
        if ci_sized {
            format!(", the CI-sized form under 3 minutes: {}", met(secs < 180.0))
        } else {
            String::new()
        },
        if days == 30 {
            format!(", a 30-day run under 30 s: {}", met(slowest < 30.0))
        } else {
            String::new()
        },
    ));
    md.push_str(
        "Charts for seed 1 with every defence on (price, tranche NAV, net delta with and \
         without the hedge, implied against realised vol, utilisation): \
         `economics/<scenario>/` beside this file.\n",
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lag-`k` autocorrelation of `x`, computed directly.
    fn autocorrelation(x: &[f64], k: usize) -> f64 {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        let var: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
        let cov: f64 = x.windows(k + 1).map(|w| (w[0] - m) * (w[k] - m)).sum();
        cov / var
    }

    /// Two years of hourly steps of `--scenario jumps`: jumps arrive at their rate (within four
    /// Poisson standard deviations), the log vol averages its mean plus the jumps' lift
    /// (rate x ln lift / reversion speed, by hand), and large moves cluster: the absolute
    /// hourly returns are autocorrelated over a day, where a constant-vol path's are not.
    #[test]
    fn the_jumps_path_clusters_its_vol_and_jumps_at_its_rate() {
        let (hours, dt) = (2 * 8_760, 1.0 / YEAR_HOURS);
        let (mut sv, mut rng) = (StochVol::new(), Rng(11));
        let (mut jumps, mut log_vols, mut moves) = (0u32, 0.0, Vec::new());
        for _ in 0..hours {
            log_vols += sv.log_vol;
            let (r, _, jumped) = sv.step(&mut rng, dt);
            jumps += jumped as u32;
            moves.push(r.abs());
        }
        let expected = JUMPS_PER_DAY * 730.0;
        assert!((jumps as f64 - expected).abs() < 4.0 * expected.sqrt(), "{jumps} jumps");
        let kappa = 2f64.ln() / (2.0 / 365.0);
        let mean = 0.6f64.ln() + JUMPS_PER_DAY * 365.0 * 1.4f64.ln() / kappa;
        let got = log_vols / hours as f64;
        assert!((got - mean).abs() < 0.08, "mean log vol {got} vs {mean}");
        let clustered: f64 = (1..=24).map(|k| autocorrelation(&moves, k)).sum::<f64>() / 24.0;
        let mut flat = Vec::new();
        for _ in 0..hours {
            flat.push((0.6 * dt.sqrt() * rng.normal()).abs());
        }
        let unclustered: f64 = (1..=24).map(|k| autocorrelation(&flat, k)).sum::<f64>() / 24.0;
        assert!(clustered > 0.05, "stochastic vol: {clustered}");
        assert!(unclustered.abs() < 0.02, "constant vol: {unclustered}");
    }

    /// The informed trader buys only below its worth, sells only above it, and passes while the
    /// worth lies within the spread (bid to ask), or when the AMM refuses the side it wants.
    #[test]
    fn an_informed_trader_trades_only_outside_the_spread() {
        let (ask, bid) = (Some(10.0), Some(9.0));
        assert_eq!(informed_side(10.5, ask, bid), Some((Side::Buy, 0.5)));
        assert_eq!(informed_side(8.25, ask, bid), Some((Side::Sell, 0.75)));
        for worth in [9.0, 9.5, 10.0] {
            assert_eq!(informed_side(worth, ask, bid), None, "{worth} is within the spread");
        }
        assert_eq!(informed_side(10.5, None, bid), None, "no ask: the buy is refused");
        assert_eq!(informed_side(8.0, ask, None), None, "no bid: the sell is refused");
    }

    /// The feed moves each vol as far towards its target as the program's `check_step` takes
    /// (one millionth more is refused), pro rata of the time since the board's last post, at
    /// most one step, and no further than the target.
    #[test]
    fn the_feed_steps_as_far_as_check_step_allows_and_no_further() {
        use options_amm::math::{surface::check_step, value::micro};
        let v = options_amm::RiskParams::reference().vol;
        let (max, secs) = (micro(u64::from(v.feed_max_step_vol_micro)), v.feed_step_secs);
        assert_eq!((v.feed_max_step_vol_micro, secs), (5_000, 60), "the figures below");
        let old = micro(800_000);
        // A whole step after a step's time or longer; pro rata before; nothing at once.
        for (elapsed, down, up) in [
            (3_600, 795_000, 805_000),
            (60, 795_000, 805_000),
            (30, 797_500, 802_500),
            (7, 799_417, 800_583), // 583.3 millionths allowed: rounded towards the old vol
            (0, 800_000, 800_000),
            (-5, 800_000, 800_000),
        ] {
            assert_eq!(feed_step(old, 400_000, elapsed, &v).unwrap(), down, "{elapsed} s");
            assert_eq!(feed_step(old, 1_200_000, elapsed, &v).unwrap(), up, "{elapsed} s");
        }
        // Within the allowance: the target itself.
        assert_eq!(feed_step(old, 798_000, 3_600, &v).unwrap(), 798_000);
        assert_eq!(feed_step(old, 800_000, 3_600, &v).unwrap(), 800_000);
        // Every elapsed time: taken by check_step, and a millionth further refused.
        for elapsed in 0..=70 {
            for target in [300_000u64, 1_300_000] {
                let got = feed_step(old, target, elapsed, &v).unwrap();
                check_step(old, micro(got), elapsed, max, secs).unwrap();
                let further = if target > got { got + 1 } else { got - 1 };
                assert!(check_step(old, micro(further), elapsed, max, secs).is_err(), "{elapsed}");
            }
        }
    }

    /// The target is the listed smile moved to the realised vol at its at-the-money strike,
    /// the listed vols while the estimate is not mature, always within the posted range.
    #[test]
    fn the_feeds_target_keeps_the_listed_smile_around_realised_vol() {
        let listed = [850_000, 800_000, 780_000, 800_000, 860_000];
        assert_eq!(
            feed_target(&listed, 2, Some(500_000)),
            vec![570_000, 520_000, 500_000, 520_000, 580_000]
        );
        assert_eq!(feed_target(&listed, 0, Some(500_000))[0], 500_000);
        assert_eq!(feed_target(&listed, 2, None), listed.to_vec());
        let (lo, hi) = surface_range();
        assert_eq!(feed_target(&listed, 2, Some(1)), vec![70_001, 20_001, lo, 20_001, 80_001]);
        assert_eq!(feed_target(&listed, 2, Some(4_990_000))[4], hi);
        // The range is the program's own.
        use options_amm::math::{surface::check_range, value::micro};
        check_range(micro(lo)).unwrap();
        check_range(micro(hi)).unwrap();
        assert!(check_range(micro(lo - 1)).is_err() && check_range(micro(hi + 1)).is_err());
    }

    /// The file the feed posts names the board's strikes as `vol post` reads them back (a
    /// strike that is not a whole number too), with the vols to the millionth.
    #[test]
    fn the_feeds_file_reads_back_as_its_vols() {
        let m = options_amm::math::value::micro;
        let strikes = [m(120_000_000), m(140_100_000), m(150_000_000)];
        let vols = [7_813, 800_001, 5_000_000];
        let text = surface_file(&strikes, &vols);
        assert_eq!(crate::cli::vol::parse_surface(&text, &strikes).unwrap(), vols.to_vec());
    }

    /// Each defence taken out leaves a parameter set the program takes (bounds and joint
    /// rules); live vol's at the bounds of its ratios.
    #[test]
    fn each_defence_taken_out_leaves_valid_parameters() {
        for d in Defence::value_variants() {
            let mut p = options_amm::RiskParams::reference();
            d.take_out(&mut p);
            assert_eq!((p.out_of_bounds(), p.broken_rule()), (None, None), "{d:?}");
            assert_ne!(p, options_amm::RiskParams::reference(), "{d:?} changes something");
        }
        let mut p = options_amm::RiskParams::reference();
        Defence::LiveVol.take_out(&mut p);
        assert_eq!((p.vol.floor_ratio_bps, p.vol.breaker_ratio_bps), (5_000, 100_000));
        assert_eq!(p.vol.spread_gap_bps, 0);
        // The matrix takes every defence out in its last variant.
        assert_eq!(VARIANTS[ALL_OUT].len(), Defence::value_variants().len());
    }
}
