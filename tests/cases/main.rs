//! Integration tests: one binary, one module per instruction group. Every refusal asserts its
//! named error and that no watched account (balances, market, vaults, mints) changed.
#![allow(deprecated)]

mod test_adversarial;
mod test_attack_matrix;
mod test_fuzz;
mod test_governance;
mod test_lp;
mod test_margin;
mod test_program;
mod test_rebalance;
mod test_roles;
mod test_settlement;
mod test_soundness;
mod test_timelock;
mod test_trading;
mod test_vol;
