//! `options-amm`: the client. For now: Black-Scholes prices and greeks from the same engine
//! the program runs (`options-amm-pricing`).

use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};
use std::process::ExitCode;

mod decimal;
mod price;
mod quote;
mod simulate;

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
        Command::Simulate(args) => run_simulation(&args),
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

fn run_simulation(args: &simulate::SimArgs) -> Result<(), String> {
    // The embedded runtime logs every transaction at debug level unless told otherwise.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    // Natively, the program's `msg!` lines go straight to stdout; keep them out of the report.
    let quiet = QuietStdout::new();
    let report = runtime.block_on(simulate::run(args));
    drop(quiet);
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    } else {
        simulate::print_human(&report);
    }
    if report.invariant_violations > 0 {
        return Err(format!("{} invariant violations", report.invariant_violations));
    }
    Ok(())
}

/// Sends file descriptor 1 to /dev/null until dropped (then restores it).
struct QuietStdout(Option<i32>);

impl QuietStdout {
    fn new() -> Self {
        let _ = std::io::stdout().flush();
        // SAFETY: dup/open/dup2 on valid descriptors; the saved descriptor is restored on drop.
        unsafe {
            let saved = libc::dup(1);
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
            if saved < 0 || null < 0 || libc::dup2(null, 1) < 0 {
                return QuietStdout(None);
            }
            libc::close(null);
            QuietStdout(Some(saved))
        }
    }
}

impl Drop for QuietStdout {
    fn drop(&mut self) {
        if let Some(saved) = self.0 {
            let _ = std::io::stdout().flush();
            // SAFETY: `saved` is the descriptor `new` duplicated from stdout.
            unsafe {
                libc::dup2(saved, 1);
                libc::close(saved);
            }
        }
    }
}
