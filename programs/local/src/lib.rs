//! The local world: the options-amm program, natively compiled, in solana-program-test's bank
//! with the real SPL Token (and Token-2022) programs that solana-program-test loads itself, and
//! Pyth price accounts in their real layouts, owned by the real Pyth program ids. The client's
//! embedded runtime (`dev`, `simulate`) and the integration tests both start from here.
#![allow(deprecated)] // solana-program-test marks its API "Agave Unstable"

pub mod pyth;

use anchor_lang::solana_program::{
    account_info::AccountInfo, entrypoint::ProgramResult, pubkey::Pubkey,
};
use solana_program_test::{processor, ProgramTest};

/// Unix time a local world starts at (a default `pyth::Quote` is published then).
pub const T0: i64 = 1_800_000_000;
/// Oracle price a local world starts at: 150 quote per underlying, with 8 decimals of exponent.
pub const PRICE_EXPO: i32 = -8;
pub const START_PRICE: i64 = 150 * 100_000_000;
pub const START_CONF: u64 = 5_000_000; // 0.05

/// Anchor's generated `entry` ties all three arguments to the accounts' own lifetime `'info`,
/// while `processor!` hands shorter-lived borrows: leak copies of the program id, the account
/// slice and the data (an `AccountInfo` clone shares its lamports and data with the original,
/// so the program's writes land). Test and client processes are short; the leak is bounded.
fn process(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let program_id = Box::leak(Box::new(*program_id));
    let accounts = Box::leak(accounts.to_vec().into_boxed_slice());
    let data = Box::leak(data.to_vec().into_boxed_slice());
    options_amm::entry(program_id, accounts, data)
}

/// A ProgramTest with the options-amm program (native) and the SPL Token programs. The
/// runtime's DEBUG log (every instruction's log lines, hundreds of thousands in a test run) is
/// off unless `OPTIONS_AMM_LOG` is set: solana-program-test turns it on each time it starts.
pub fn program_test() -> ProgramTest {
    let mut pt = ProgramTest::new("options_amm", options_amm::ID, processor!(process));
    pt.prefer_bpf(false);
    if std::env::var_os("OPTIONS_AMM_LOG").is_none() {
        log::set_max_level(log::LevelFilter::Error);
    }
    pt
}
