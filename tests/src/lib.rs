//! Test harness: the options-amm program in solana-program-test's bank, natively compiled, with
//! the real SPL Token program that solana-program-test loads itself.
#![allow(deprecated)] // solana-program-test marks its API "Agave Unstable"

use anchor_lang::solana_program::{
    account_info::AccountInfo, entrypoint::ProgramResult, pubkey::Pubkey,
};
use solana_program_test::{processor, ProgramTest};

/// Anchor's generated `entry` ties all three arguments to the accounts' own lifetime `'info`,
/// while `processor!` hands shorter-lived borrows: leak copies of the program id, the account
/// slice and the data (an `AccountInfo` clone shares its lamports and data with the original,
/// so the program's writes land). Tests are short processes; the leak is bounded.
fn process(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let program_id = Box::leak(Box::new(*program_id));
    let accounts = Box::leak(accounts.to_vec().into_boxed_slice());
    let data = Box::leak(data.to_vec().into_boxed_slice());
    options_amm::entry(program_id, accounts, data)
}

/// A ProgramTest with the options-amm program (native) and the SPL Token program.
pub fn program_test() -> ProgramTest {
    let mut pt = ProgramTest::new("options_amm", options_amm::ID, processor!(process));
    pt.prefer_bpf(false);
    pt
}
