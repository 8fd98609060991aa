//! `options-amm`: the client. For now: Black-Scholes prices and greeks from the same engine
//! the program runs (`options-amm-pricing`).

use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};
use std::process::ExitCode;

mod decimal;
mod price;
mod quote;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Price(args) => {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            price::run(&args, &mut stdin.lock().lines(), &mut stdout.lock())
        }
        Command::Quote(args) => quote::run(&args, &mut std::io::stdout().lock()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = std::io::stdout().flush();
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
