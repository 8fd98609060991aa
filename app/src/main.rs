//! `options-amm`: the client. For now: Black-Scholes prices and greeks from the same engine
//! the program runs (`options-amm-pricing`).

use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};
use std::process::ExitCode;

mod decimal;
mod price;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Price(args) => {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            price::run(&args, &mut stdin.lock().lines(), &mut stdout.lock())
        }
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
