//! Every instruction of the SBF build, driven through the scenarios of the native suite, with
//! its compute units held to budgets. `CU_REPORT=<file>` and `CU_REPORT_WORST=<file>` also
//! write the per-instruction tables that `.ci/sbf/cu-report.sh` puts into docs/BENCHMARKS.md.

use anchor_lang::prelude::Pubkey;
use options_amm::client;
use options_amm::state::{CALL, JUNIOR, PAUSE_TRADING, PUT, SENIOR};
use options_amm::RiskParams;
use options_amm_sbf_tests::{Sbf, CONTRACT, DAY, START_CONF, T0, USDC};
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Eight strikes (the maximum per board) around spot 150, with base vols in %.
const STRIKES: [(u64, u64); 8] =
    [(110, 90), (120, 85), (130, 82), (140, 80), (150, 80), (160, 80), (170, 82), (180, 85)];
const ATM: u8 = 4;
const EXPIRY: i64 = T0 + 14 * DAY;

/// Budgets (issues 8 and 17): a trade including its token transfers at most 60k CU, with any
/// number of open series when the boards' margin caches decide the check
/// (`a_full_margin_account_stays_liquidatable_within_budget`); nothing over 200k.
const TRADE_BUDGET: u64 = 60_000;
const INSTRUCTION_BUDGET: u64 = 200_000;
/// A liquidation of a full margin account (8 open series; issue 17): its margin checks bound
/// every series from the boards' margin caches. A sell into it is held to `TRADE_BUDGET`.
const FULL_LIQUIDATION_BUDGET: u64 = 100_000;

fn px(quote: i64) -> i64 {
    quote * 100_000_000
}

/// 150 prints a minute apart, alternately at 150 and 150 x `up_permille` / 1,000, each cranked
/// into the realised-vol estimate (two half-lives of the reference hour: it matures), then 150
/// again with `board` refreshed.
fn zigzag(s: &mut Sbf, board: &Pubkey, up_permille: i64) {
    let payer = s.payer.pubkey();
    for n in 1..=150 {
        let now = T0 + 60 * n;
        s.set_time(now);
        let price = if n % 2 == 0 { px(150) } else { px(150) * up_permille / 1000 };
        s.set_price(price, START_CONF, now);
        s.run("update_vol", &[client::update_vol(&s.keys, &payer)], &[]).unwrap();
    }
    let now = s.now + 1;
    s.set_time(now);
    s.set_price(px(150), START_CONF, now);
    s.refresh(board).unwrap();
}

/// A market with 700k of LP capital over one full board.
fn funded() -> (Sbf, Pubkey, Keypair, client::Wallet) {
    let mut s = Sbf::new();
    let board = s.board(EXPIRY, &STRIKES);
    let (lp_key, lp) = s.wallet(1_000_000 * USDC);
    for (tranche, amount) in [(SENIOR, 500_000 * USDC), (JUNIOR, 200_000 * USDC)] {
        let i = client::deposit(&s.keys, &lp, tranche, amount, 0, &s.boards);
        s.run("deposit", &[i], &[&lp_key]).unwrap();
    }
    (s, board, lp_key, lp)
}

fn check_budgets(s: &Sbf, typical_trades: bool) {
    for (name, cus) in &s.cu {
        let worst = *cus.iter().max().unwrap();
        assert!(worst <= INSTRUCTION_BUDGET, "{name}: {worst} CU > {INSTRUCTION_BUDGET}");
        if typical_trades && (name.starts_with("buy") || name.starts_with("sell")) {
            assert!(worst <= TRADE_BUDGET, "{name}: {worst} CU > {TRADE_BUDGET}");
        }
    }
}

/// Writes the CU table of `s` to the file named by the environment variable `var`, if set.
fn report(s: &Sbf, var: &str) {
    let Some(path) = std::env::var_os(var) else { return };
    let mut out = String::from(
        "| instruction | runs | typical (median) CU | worst CU |\n|---|---:|---:|---:|\n",
    );
    for (name, cus) in &s.cu {
        let mut v = cus.clone();
        v.sort_unstable();
        out += &format!("| `{name}` | {} | {} | {} |\n", v.len(), v[v.len() / 2], v[v.len() - 1]);
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn every_instruction_runs_on_the_sbf_build_within_its_cu_budget() {
    let (mut s, board, lp_key, lp) = funded();

    // Traders: one buys calls (the vault goes short delta), one sells puts (opens a short).
    let (buyer_key, buyer) = s.trader(&board, 20_000 * USDC);
    for size in [1, 20, 5] {
        let before = s.balance(&buyer.quote);
        let i = client::buy(&s.keys, &board, &buyer, ATM, CALL, size * CONTRACT, u64::MAX);
        s.run("buy", &[i], &[&buyer_key]).unwrap();
        // The event the program emits says what the trader paid, to the unit.
        let [e] = &client::events::<options_amm::events::Traded>(&s.logs)[..] else {
            panic!("one Traded event: {:?}", s.logs)
        };
        assert_eq!((e.size, e.owner), (size * CONTRACT, buyer.owner));
        assert_eq!(e.premium + e.fee_lp + e.fee_protocol, before - s.balance(&buyer.quote));
    }
    // A new print a minute on: the buy also enters it into the realised-vol estimate; the
    // crank the next, a minute later.
    s.set_time(T0 + 60);
    s.set_price(px(150) + px(1) / 10, START_CONF, T0 + 60);
    let i = client::buy(&s.keys, &board, &buyer, ATM, CALL, CONTRACT, u64::MAX);
    s.run("buy", &[i], &[&buyer_key]).unwrap();
    s.set_time(T0 + 120);
    s.set_price(px(150), START_CONF, T0 + 120);
    let payer = s.payer.pubkey();
    s.run("update_vol", &[client::update_vol(&s.keys, &payer)], &[]).unwrap();
    assert_eq!(s.market().realised_vol.publish_time, T0 + 120);
    let i =
        client::sell(&s.keys, &board, &buyer, ATM, CALL, CONTRACT, 0, &s.margin_of(&buyer.owner));
    s.run("sell", &[i], &[&buyer_key]).unwrap();
    let (short_key, short) = s.trader(&board, 20_000 * USDC);
    let i = client::sell(
        &s.keys,
        &board,
        &short,
        ATM,
        PUT,
        500 * CONTRACT,
        0,
        &s.margin_of(&short.owner),
    );
    s.run("sell", &[i], &[&short_key]).unwrap();
    assert!(
        s.market().net_delta.get() < options_amm::pricing::Fx::from_num(-5),
        "the calls pushed delta out of its band"
    );

    // A keeper hedges: sells 4 underlying to the vault.
    let keeper = Keypair::new();
    s.svm.airdrop(&keeper.pubkey(), 1_000_000_000).unwrap();
    let ku = s.token_account(&s.keys.underlying_mint.clone(), &keeper.pubkey(), 1_000 * CONTRACT);
    let kq = s.token_account(&s.keys.quote_mint.clone(), &keeper.pubkey(), 100_000 * USDC);
    let i = client::rebalance(&s.keys, &keeper.pubkey(), &ku, &kq, 4 * CONTRACT, 0, &s.boards);
    s.run("rebalance", &[i], &[&keeper]).unwrap();
    assert_eq!(s.balance(&s.keys.underlying_vault.clone()), 4 * CONTRACT);

    // Spot drops to 120: the put seller is liquidated in part by a keeper.
    s.set_time(T0 + 125);
    s.set_price(px(120), START_CONF, T0 + 125);
    s.refresh(&board).unwrap();
    let (liq_key, liq) = s.wallet(0);
    let i = client::liquidate(
        &s.keys,
        &board,
        &short.owner,
        &liq,
        ATM,
        PUT,
        200 * CONTRACT,
        &s.margin_of(&short.owner),
    );
    s.run("liquidate", &[i], &[&liq_key]).unwrap();
    assert!(s.balance(&liq.quote) > 0, "the liquidator was paid");

    // Collateral out, LP out, governance.
    let i = client::withdraw_collateral(&s.keys, &buyer, 1_000 * USDC, &s.margin_of(&buyer.owner));
    s.run("withdraw_collateral", &[i], &[&buyer_key]).unwrap();
    let shares = s.balance(&lp.shares[0]) / 10;
    let i = client::withdraw(&s.keys, &lp, SENIOR, shares, 0, &s.boards);
    s.run("withdraw", &[i], &[&lp_key]).unwrap();
    let authority = s.authority.insecure_clone();
    let a = authority.pubkey();
    s.run("set_pause", &[client::set_pause(&s.keys, &a, PAUSE_TRADING)], &[&authority]).unwrap();
    s.run("set_pause", &[client::set_pause(&s.keys, &a, 0)], &[&authority]).unwrap();
    let mut params = RiskParams::reference();
    params.trading.spread_vol_micro += 1_000;
    s.run("propose_params", &[client::propose_params(&s.keys, &a, params)], &[&authority]).unwrap();
    let eta = s.market().pending_eta;
    s.set_time(eta);
    s.set_price(px(120), START_CONF, eta);
    s.run("execute_params", &[client::execute_params(&s.keys, &payer)], &[]).unwrap();
    // A vol feed is named after the timelock and posts the board's surface, one step up.
    let feed = Keypair::new();
    let i = client::propose_vol_feed(&s.keys, &a, &feed.pubkey());
    s.run("propose_vol_feed", &[i], &[&authority]).unwrap();
    let eta = s.market().vol_feed_eta;
    s.set_time(eta);
    s.set_price(px(120), START_CONF, eta);
    let payer = s.payer.pubkey();
    s.run("execute_vol_feed", &[client::execute_vol_feed(&s.keys, &payer)], &[]).unwrap();
    let vols: Vec<u64> = STRIKES.iter().map(|(_, v)| v * 10_000 + 5_000).collect();
    let i = client::post_vol_surface(&s.keys, &feed.pubkey(), &board, vols);
    s.run("post_vol_surface", &[i], &[&feed]).unwrap();
    assert_eq!(s.board_state(&board).vol_posted_ts, eta);
    // A board listed, then delisted while empty; a position opened on it closes.
    let spare = s.board(EXPIRY + DAY, &STRIKES[..1]);
    let i = client::open_position(&s.keys, &spare, &buyer.owner);
    s.run("open_position", &[i], &[&buyer_key]).unwrap();
    let i = client::delist_board(&s.keys, &a, &spare);
    s.run("delist_board", &[i], &[&authority]).unwrap();
    s.boards.retain(|b| *b != spare);
    let i = client::close_position(&s.keys, &spare, &buyer.owner);
    s.run("close_position", &[i], &[&buyer_key]).unwrap();
    // The guardian is replaced after its timelock; the protocol's fees go to a treasury.
    let guardian = Keypair::new();
    let i = client::propose_guardian(&s.keys, &a, &guardian.pubkey());
    s.run("propose_guardian", &[i], &[&authority]).unwrap();
    let later = s.now + 2 * DAY;
    s.set_time(later);
    s.set_price(px(120), START_CONF, later);
    s.run("execute_guardian", &[client::execute_guardian(&s.keys, &payer)], &[]).unwrap();
    let fees = s.market().protocol_fees;
    let treasury = s.token_account(&s.keys.quote_mint.clone(), &a, 0);
    let i = client::collect_fees(&s.keys, &a, &treasury, fees);
    s.run("collect_fees", &[i], &[&authority]).unwrap();
    assert_eq!(s.balance(&treasury), fees);
    let next = Keypair::new();
    s.svm.airdrop(&next.pubkey(), 1_000_000_000).unwrap();
    let i = client::propose_authority(&s.keys, &a, &next.pubkey());
    s.run("propose_authority", &[i], &[&authority]).unwrap();
    let i = client::accept_authority(&s.keys, &next.pubkey());
    s.run("accept_authority", &[i], &[&next]).unwrap();

    // Expiry at 130: settle the board, then each trader's positions.
    s.set_time(EXPIRY);
    s.set_price(px(130), START_CONF, EXPIRY);
    s.run("settle_board", &[client::settle_board(&s.keys, &payer, &board)], &[]).unwrap();
    for w in [&buyer, &short] {
        let i = client::settle_position(&s.keys, &payer, &board, &w.owner, &w.quote);
        s.run("settle_position", &[i], &[]).unwrap();
    }

    let names: Vec<&str> = s.cu.keys().map(String::as_str).collect();
    assert_eq!(names.len(), 30, "every instruction ran: {names:?}");
    check_budgets(&s, true);
    report(&s, "CU_REPORT");
}

#[test]
fn a_trade_costs_the_same_with_one_board_or_twelve() {
    let (mut s, board, lp_key, lp) = funded();
    let (key, w) = s.trader(&board, 20_000 * USDC);
    let buy = |s: &mut Sbf| {
        let i = client::buy(&s.keys, &board, &w, ATM, CALL, CONTRACT, u64::MAX);
        s.run("buy", &[i], &[&key]).unwrap()
    };
    let one = buy(&mut s);
    for day in 1..12 {
        s.board(EXPIRY + day * DAY, &STRIKES);
    }
    assert_eq!(s.market().active_boards, 12);
    let twelve = buy(&mut s);
    // The same trade again differs only by the vault's inventory (a few hundred CU at most).
    assert!(one.abs_diff(twelve) < 2_000, "1 board: {one} CU, 12 boards: {twelve} CU");
    // LP flows and hedges read every active board (NAV): with the maximum of 12, in budget.
    let i = client::deposit(&s.keys, &lp, SENIOR, 1_000 * USDC, 0, &s.boards);
    let deposit = s.run("deposit", &[i], &[&lp_key]).unwrap();
    let shares = s.balance(&lp.shares[0]) / 100;
    let i = client::withdraw(&s.keys, &lp, SENIOR, shares, 0, &s.boards);
    let withdraw = s.run("withdraw", &[i], &[&lp_key]).unwrap();
    let keeper = Keypair::new();
    s.svm.airdrop(&keeper.pubkey(), 1_000_000_000).unwrap();
    let ku = s.token_account(&s.keys.underlying_mint.clone(), &keeper.pubkey(), 100 * CONTRACT);
    let kq = s.token_account(&s.keys.quote_mint.clone(), &keeper.pubkey(), 100_000 * USDC);
    let big = client::buy(&s.keys, &board, &w, ATM, CALL, 20 * CONTRACT, u64::MAX);
    s.run("buy", &[big], &[&key]).unwrap();
    let i = client::rebalance(&s.keys, &keeper.pubkey(), &ku, &kq, CONTRACT, 0, &s.boards);
    let rebalance = s.run("rebalance", &[i], &[&keeper]).unwrap();
    check_budgets(&s, true);
    if let Some(path) = std::env::var_os("CU_REPORT_BOARDS") {
        let t = format!(
            "| with 12 active boards | CU |\n|---|---:|\n| `buy` | {twelve} |\n| `deposit` | {deposit} |\n| `withdraw` | {withdraw} |\n| `rebalance` | {rebalance} |\n"
        );
        std::fs::write(path, t).unwrap();
    }
}

/// The most a margin check can cost: an account with its maximum of positions (eight, on eight
/// boards) and of open series, all short call spreads (two engine evaluations each).
#[test]
fn a_full_margin_account_stays_liquidatable_within_budget() {
    use options_amm::state::MAX_OPEN_SERIES;
    let (mut s, board, _, _) = funded();
    let (key, w) = s.trader(&board, 5_000 * USDC);
    let boards = all_positions(&mut s, board, &key, &w);
    assert_eq!(boards.len(), MAX_OPEN_SERIES as usize);
    for b in &boards {
        let i =
            client::sell(&s.keys, b, &w, ATM + 1, CALL, 10 * CONTRACT, 0, &s.margin_of(&w.owner));
        s.run("sell", &[i], &[&key]).unwrap();
    }
    // One more series is refused by name.
    let i = client::sell(&s.keys, &board, &w, 2, CALL, 10 * CONTRACT, 0, &s.margin_of(&w.owner));
    let refused = s.run("sell", &[i], &[&key]).unwrap_err();
    let code = anchor_lang::error::ERROR_CODE_OFFSET
        + options_amm::error::OptionsAmmError::TooManyOpenSeries as u32;
    assert!(refused.err.contains(&format!("Custom({code})")), "{refused:?}");
    let i = client::withdraw_collateral(&s.keys, &w, USDC, &s.margin_of(&w.owner));
    s.run("withdraw_collateral", &[i], &[&key]).unwrap();
    // The worst a check costs: the caches' upper bounds cannot decide (their values inflated
    // here; in use, an account within the bounds' gap of its initial margin), so the check forms
    // every bound and then prices every series. Still inside the instruction budget.
    let inflated = options_amm::state::PodFx::of(options_amm_pricing::Fx::from_num(1_000));
    for b in &boards {
        s.edit_board(b, |board| {
            assert!(board.margin_cache.made_ts > 0, "the refresh cached");
            board.margin_cache.value = [[[inflated; 2]; 2]; options_amm::state::MAX_STRIKES];
        });
    }
    let i = client::withdraw_collateral(&s.keys, &w, USDC, &s.margin_of(&w.owner));
    s.run("withdraw_collateral (cache undecisive)", &[i], &[&key]).unwrap();
    let i = client::sell(&s.keys, &board, &w, ATM + 1, CALL, CONTRACT, 0, &s.margin_of(&w.owner));
    s.run("sell (cache undecisive)", &[i], &[&key]).unwrap();

    // Spot rallies: the account falls below maintenance and a keeper takes one contract.
    s.set_time(T0 + 60);
    s.set_price(px(230), START_CONF, T0 + 60);
    for b in &boards {
        s.refresh(b).unwrap();
    }
    let (liq_key, liq) = s.wallet(0);
    // One contract of the ATM + 1 call, the account's registered positions passed.
    let one_contract = |s: &Sbf| {
        client::liquidate(
            &s.keys,
            &board,
            &w.owner,
            &liq,
            ATM + 1,
            CALL,
            CONTRACT,
            &s.margin_of(&w.owner),
        )
    };
    let i = one_contract(&s);
    // A legacy transaction carries it: 1 signature and the message within the 1,232-byte packet.
    let tx = solana_transaction::Transaction::new_signed_with_payer(
        std::slice::from_ref(&i),
        Some(&liq_key.pubkey()),
        &[&liq_key],
        s.svm.latest_blockhash(),
    );
    let size = 1 + 64 + tx.message_data().len();
    assert!(size <= 1_232, "a full account's liquidation is {size} bytes");
    println!("full margin account liquidation transaction: {size} bytes");
    let before = s.market();
    s.run("liquidate", &[i], &[&liq_key]).unwrap();
    // The market's counters move by what the liquidation's event reports: a solvent account
    // pays its whole penalty, 2% of one contract's notional at 230 (4.60), half to the pool.
    let [e] = &client::events::<options_amm::events::Liquidated>(&s.logs)[..] else {
        panic!("one Liquidated event: {:?}", s.logs)
    };
    let m = s.market();
    assert_eq!((e.penalty_vault, e.penalty_keeper, e.bad_debt), (2_300_000, 2_300_000, 0));
    assert!(e.mm_excess_bounded && e.mm_excess_before < 0, "the caches decided");
    assert_eq!(m.liquidation_penalties_net - before.liquidation_penalties_net, 2_300_000);
    assert_eq!(m.bad_debt_total, before.bad_debt_total);
    // The worst a liquidation costs: caches whose lower bounds cannot decide (zeroed here), so
    // both of its checks form every bound and then price every series.
    undecisive_below(&mut s, &boards);
    let i = one_contract(&s);
    s.run("liquidate (cache undecisive)", &[i], &[&liq_key]).unwrap();
    let [e] = &client::events::<options_amm::events::Liquidated>(&s.logs)[..] else {
        panic!("one Liquidated event: {:?}", s.logs)
    };
    assert!(!e.mm_excess_bounded && !e.im_excess_bounded, "both priced");
    check_budgets(&s, false);
    report(&s, "CU_REPORT_WORST");
    let worst = |name: &str| *s.cu[name].iter().max().unwrap();
    println!(
        "full margin account: sell {} CU, withdraw_collateral {} CU, liquidate {} CU",
        worst("sell"),
        worst("withdraw_collateral"),
        worst("liquidate")
    );
    // Issue 17's budgets: every sell into the full account (the eighth checks 8 series) and
    // its liquidation (two checks of 8 series and the liquidated series' own requirement).
    assert!(worst("sell") <= TRADE_BUDGET, "sell {}", worst("sell"));
    assert!(worst("liquidate") <= FULL_LIQUIDATION_BUDGET, "liquidate {}", worst("liquidate"));
}

/// Opens the trader's positions on the maximum of boards: `board` and 7 more, a day apart.
fn all_positions(s: &mut Sbf, board: Pubkey, key: &Keypair, w: &client::Wallet) -> Vec<Pubkey> {
    let mut boards = vec![board];
    for d in 1..options_amm::state::MAX_POSITIONS as i64 {
        let b = s.board(EXPIRY + d * DAY, &STRIKES);
        let i = client::open_position(&s.keys, &b, &w.owner);
        s.run("open_position", &[i], &[key]).unwrap();
        s.margin.get_mut(&w.owner).unwrap().push((client::pda::position(&b, &w.owner), b));
        boards.push(b);
    }
    boards
}

/// Sets every margin cache of `boards` to zero: no lower bound can decide a liquidation.
fn undecisive_below(s: &mut Sbf, boards: &[Pubkey]) {
    let zero = options_amm::state::PodFx::of(options_amm_pricing::Fx::ZERO);
    for b in boards {
        s.edit_board(b, |board| {
            assert!(board.margin_cache.made_ts > 0, "the refresh cached");
            board.margin_cache.value = [[[zero; 2]; 2]; options_amm::state::MAX_STRIKES];
            board.margin_cache.delta = [[[zero; 2]; 2]; options_amm::state::MAX_STRIKES];
        });
    }
}

/// The costliest liquidation a trader can arrange: seven long call spreads (two engine
/// evaluations each to value) beside one short put, the caches unable to decide, and the
/// keeper selling one of the longs (so the longs are valued again after). Within the
/// instruction budget, and the sold long is gone.
#[test]
fn a_full_account_of_longs_stays_liquidatable_with_undecisive_caches() {
    let (mut s, board, _, _) = funded();
    let (key, w) = s.trader(&board, 3_000 * USDC);
    let boards = all_positions(&mut s, board, &key, &w);
    for b in &boards[1..] {
        let i = client::buy(&s.keys, b, &w, ATM, CALL, 5 * CONTRACT, u64::MAX);
        s.run("buy", &[i], &[&key]).unwrap();
    }
    let i = client::sell(&s.keys, &board, &w, ATM, PUT, 80 * CONTRACT, 0, &s.margin_of(&w.owner));
    s.run("sell", &[i], &[&key]).unwrap();
    // Spot 150 -> 120: the short put is deep in the money, the long calls far out of it.
    s.set_time(T0 + 60);
    s.set_price(px(120), START_CONF, T0 + 60);
    for b in &boards {
        s.refresh(b).unwrap();
    }
    undecisive_below(&mut s, &boards);
    let (liq_key, liq) = s.wallet(0);
    let margin = s.margin_of(&w.owner);
    let i = client::liquidate(&s.keys, &boards[1], &w.owner, &liq, ATM, CALL, CONTRACT, &margin);
    s.run("liquidate (longs, cache undecisive)", &[i], &[&liq_key]).unwrap();
    let p = client::pda::position(&boards[1], &w.owner);
    let a = s.svm.get_account(&p).unwrap();
    let n = std::mem::size_of::<options_amm::state::Position>();
    let pos: &options_amm::state::Position = bytemuck::from_bytes(&a.data[8..8 + n]);
    assert_eq!(pos.sizes[ATM as usize][CALL as usize], 4 * CONTRACT as i64, "one long sold");
    check_budgets(&s, false);
    let worst = *s.cu["liquidate (longs, cache undecisive)"].iter().max().unwrap();
    println!("full account of longs: liquidate {worst} CU with undecisive caches");
}

/// Each vol breaker trips with its event in the failed transaction's logs and its named error,
/// on the SBF build: realised vol run to ~3.6x the 80% implied (0.5% a minute), then a stale
/// surface once a feed is named and stays silent. A trade that reduces the position goes
/// through both.
#[test]
fn each_vol_breaker_trips_with_its_event_and_reducing_trades_go_through() {
    use options_amm::events::{BreakerReason, CircuitBreakerTripped};
    let (mut s, board, _, _) = funded();
    let (key, w) = s.trader(&board, 20_000 * USDC);
    let i = client::buy(&s.keys, &board, &w, ATM, CALL, 10 * CONTRACT, u64::MAX);
    s.run("buy", &[i], &[&key]).unwrap();
    zigzag(&mut s, &board, 1005);
    let tripped = |f: &options_amm_sbf_tests::Failure| {
        client::events::<CircuitBreakerTripped>(&f.logs)
            .into_iter()
            .map(|e| e.reason)
            .collect::<Vec<_>>()
    };
    let i = client::buy(&s.keys, &board, &w, ATM, CALL, CONTRACT, u64::MAX);
    let f = s.run("buy", &[i], &[&key]).unwrap_err();
    assert!(f.logs.iter().any(|l| l.contains("RealisedVolBreaker")), "{:?}", f.logs);
    assert_eq!(tripped(&f), vec![BreakerReason::RealisedVolJump]);
    let margin = s.margin_of(&w.owner);
    let i = client::sell(&s.keys, &board, &w, ATM, CALL, 4 * CONTRACT, 0, &margin);
    s.run("sell", &[i], &[&key]).unwrap();

    // A feed named, silent past its freshness limit: the surface is stale.
    let authority = s.authority.insecure_clone();
    let feed = Keypair::new();
    let i = client::propose_vol_feed(&s.keys, &authority.pubkey(), &feed.pubkey());
    s.run("propose_vol_feed", &[i], &[&authority]).unwrap();
    let late = s.market().vol_feed_eta;
    s.set_time(late);
    s.set_price(px(150), START_CONF, late);
    let payer = s.payer.pubkey();
    s.run("execute_vol_feed", &[client::execute_vol_feed(&s.keys, &payer)], &[]).unwrap();
    s.refresh(&board).unwrap();
    let i = client::buy(&s.keys, &board, &w, 3, CALL, CONTRACT, u64::MAX);
    let f = s.run("buy", &[i], &[&key]).unwrap_err();
    assert!(f.logs.iter().any(|l| l.contains("VolSurfaceStale")), "{:?}", f.logs);
    assert_eq!(tripped(&f), vec![BreakerReason::StaleVolSurface]);
    let margin = s.margin_of(&w.owner);
    let i = client::sell(&s.keys, &board, &w, ATM, CALL, 6 * CONTRACT, 0, &margin);
    s.run("sell", &[i], &[&key]).unwrap();
}

/// A buy while the realised-vol floor binds prices the series once more, at the floor: its
/// compute is measured here (`CU_REPORT_FLOOR`), apart from the typical trades. Two and a half
/// hours of prints 20 bps apart mature the estimate above the 80% listing; each buy then pays
/// at least the series' value at the realised vol (f64 Black-Scholes: the put, the capped ATM
/// call spread, the far 180 call spread).
#[test]
fn a_buy_with_the_realised_vol_floor_binding_is_measured() {
    use options_amm_reference::{black_scholes, Kind};
    let (mut s, board, _, _) = funded();
    let (key, w) = s.trader(&board, 50_000 * USDC);
    zigzag(&mut s, &board, 1002);
    let m = s.market();
    let rv = m.mature_realised_vol().expect("mature").to_num::<f64>();
    assert!(rv > 1.0, "the floor binds over the 80% listing: realised {rv}");
    let (cap, rate) = (
        f64::from(m.params.trading.call_cap_multiple_bps) / 10_000.0,
        f64::from(m.params.risk_free_rate_bps) / 10_000.0,
    );
    let secs = (EXPIRY - s.now) as f64;
    let value = |kind, k: f64| {
        let v = |k| black_scholes(kind, 150.0, k, rv, rate, secs).price;
        if kind == Kind::Call {
            v(k) - v(k * cap)
        } else {
            v(k)
        }
    };
    for (strike, kind, k, f64_kind) in
        [(ATM, PUT, 150.0, Kind::Put), (ATM, CALL, 150.0, Kind::Call), (7, CALL, 180.0, Kind::Call)]
    {
        let before = s.balance(&w.quote);
        let i = client::buy(&s.keys, &board, &w, strike, kind, CONTRACT, u64::MAX);
        s.run("buy (realised-vol floor binding)", &[i], &[&key]).unwrap();
        let paid = (before - s.balance(&w.quote)) as f64 / USDC as f64;
        assert!(
            paid >= value(f64_kind, k),
            "{kind:?} {k}: paid {paid}, worth {} at the realised {rv}",
            value(f64_kind, k)
        );
    }
    // Every buy within the trade budget, the floor's second evaluation included.
    check_budgets(&s, true);
    report(&s, "CU_REPORT_FLOOR");
}
