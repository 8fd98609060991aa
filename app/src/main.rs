//! `options-amm`: the client. For now: Black-Scholes prices and greeks from the same engine
//! the program runs (`options-amm-pricing`).

use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};
use std::process::ExitCode;

mod backend;
mod cli;
mod decimal;
mod error;
mod idl;
mod price;
mod price_path;
mod quote;
mod simulate;
mod stdio;

use error::CliError;

#[derive(Parser)]
#[command(name = "options-amm", version, about = "options-amm client")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Black-Scholes price and greeks (fixed-point engine; theta per year, vega per 1.00 vol).
    Price(price::PriceArgs),
    /// What the AMM charges or pays for a trade: the program's own fill, inventory-skewed,
    /// spread and fees included, to the token unit (reference parameters).
    Quote(quote::QuoteArgs),
    /// Drive a market through the real program in an embedded Solana runtime and report.
    Simulate(simulate::SimArgs),
    /// Local world only: a ready market, tokens, oracle prices and the clock.
    Dev(cli::With<cli::Dev>),
    /// The market: parameters, books, greeks, NAV, boards.
    Market(cli::With<cli::MarketCmd>),
    /// Liquidity providers: deposit, withdraw, show tranche NAV and share price.
    Lp(cli::With<cli::Lp>),
    /// Traders: margin account, collateral, quotes, buy, sell, positions and health, settle.
    Trader(cli::With<cli::Trader>),
    /// Keepers: one-shot cranks and a `run` loop.
    Keeper(cli::With<cli::Keeper>),
    /// Governance: config, markets, boards, parameters, pause, authority, vol feed.
    Gov(cli::With<cli::Gov>),
    /// The vol feed: posts a board's vol surface.
    Vol(cli::With<cli::Vol>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = match &cli.command {
        Command::Price(a) => a.json,
        Command::Quote(a) => a.json,
        Command::Simulate(a) => a.json,
        Command::Dev(w) => w.g.json,
        Command::Market(w) => w.g.json,
        Command::Lp(w) => w.g.json,
        Command::Trader(w) => w.g.json,
        Command::Keeper(w) => w.g.json,
        Command::Gov(w) => w.g.json,
        Command::Vol(w) => w.g.json,
    };
    let result = match cli.command {
        Command::Price(args) => {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            price::run(&args, &mut stdin.lock().lines(), &mut stdout.lock())
                .map_err(CliError::Input)
        }
        Command::Quote(args) => {
            quote::run(&args, &mut std::io::stdout().lock()).map_err(CliError::Input)
        }
        Command::Simulate(args) => run_simulation(&args),
        Command::Dev(w) => cli::run(&w.g, cli::Group::Dev(w.cmd)),
        Command::Market(w) => cli::run(&w.g, cli::Group::Market(w.cmd)),
        Command::Lp(w) => cli::run(&w.g, cli::Group::Lp(w.cmd)),
        Command::Trader(w) => cli::run(&w.g, cli::Group::Trader(w.cmd)),
        Command::Keeper(w) => cli::run(&w.g, cli::Group::Keeper(w.cmd)),
        Command::Gov(w) => cli::run(&w.g, cli::Group::Gov(w.cmd)),
        Command::Vol(w) => cli::run(&w.g, cli::Group::Vol(w.cmd)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                println!("{}", e.to_json());
            }
            let _ = std::io::stdout().flush();
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run_simulation(args: &simulate::SimArgs) -> Result<(), CliError> {
    // The embedded runtime logs every transaction at debug level unless told otherwise.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    // Natively, the program's `msg!` lines go straight to stdout; keep them out of the report.
    let quiet = stdio::Quiet::new();
    if let Some(file) = &args.matrix {
        let summary = simulate::matrix(args, file);
        drop(quiet);
        let summary = summary?;
        println!("{}", serde_json::to_string(&summary).map_err(|e| e.to_string())?);
        if summary["invariant_violations"].as_u64() != Some(0) {
            return Err(CliError::Invariant("invariant violations in the matrix".into()));
        }
        return Ok(());
    }
    let report = simulate::run(args);
    drop(quiet);
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    } else {
        simulate::print_human(&report);
    }
    if report.invariant_violations > 0 {
        return Err(CliError::Invariant(format!(
            "{} invariant violations in the simulation",
            report.invariant_violations
        )));
    }
    Ok(())
}
