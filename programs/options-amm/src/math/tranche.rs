//! The loss waterfall between the senior and the junior tranche, and share pricing.
//!
//! The senior tranche has a claim on pool NAV that accrues at a governance target rate; it takes
//! min(claim, NAV), so it loses only once the junior tranche is wiped out. The junior tranche
//! holds the residual: first loss, and every gain above the senior claim.
//!
//! Rounding (all in the vault's favour): shares minted round down, tokens paid out round down,
//! accrual rounds down, and a withdrawing senior's share of the claim is removed rounding up.

use crate::constants::{BPS, SECONDS_PER_YEAR, VIRTUAL_ASSETS, VIRTUAL_SHARES};
use crate::error::OptionsAmmError;
use crate::math::safe::mul_div_floor;
use crate::math::safe::SafeMath;
use crate::state::Tranche;
use anchor_lang::prelude::*;

/// Values of the two tranches, quote units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrancheValues {
    pub senior: u64,
    pub junior: u64,
}

impl TrancheValues {
    pub fn get(&self, tranche: Tranche) -> u64 {
        match tranche {
            Tranche::Senior => self.senior,
            Tranche::Junior => self.junior,
        }
    }
}

/// Splits pool NAV (quote units; negative means liabilities exceed assets) by the waterfall.
pub fn split(nav: i128, senior_claim: u64) -> TrancheValues {
    let nav = u64::try_from(nav.max(0)).unwrap_or(u64::MAX);
    let senior = senior_claim.min(nav);
    TrancheValues { senior, junior: nav - senior }
}

/// The senior claim after `dt_secs` at `rate_bps` a year (simple accrual per step, rounded
/// down). Negative or zero elapsed time accrues nothing.
pub fn accrue_claim(claim: u64, rate_bps: u32, dt_secs: i64) -> Result<u64> {
    if dt_secs <= 0 || rate_bps == 0 || claim == 0 {
        return Ok(claim);
    }
    let num = (claim as u128) * (rate_bps as u128) * (dt_secs as u128);
    let add = num / ((BPS as u128) * (SECONDS_PER_YEAR as u128));
    let add = u64::try_from(add).map_err(|_| error!(OptionsAmmError::MathOverflow))?;
    claim.safe_add(add)
}

/// Shares minted for `amount` deposited into a tranche worth `value` with `supply` shares
/// (virtual offset; rounded down). A tranche with shares but no value refuses deposits.
pub fn shares_for_deposit(amount: u64, value: u64, supply: u64) -> Result<u64> {
    require!(!(value == 0 && supply > 0), OptionsAmmError::TrancheWipedOut);
    let supply_v = supply.safe_add(VIRTUAL_SHARES)?;
    let value_v = value.safe_add(VIRTUAL_ASSETS)?;
    mul_div_floor(amount, supply_v, value_v)
}

/// Tokens paid for burning `shares` of a tranche worth `value` with `supply` shares (virtual
/// offset; rounded down; never more than the tranche's value).
pub fn amount_for_shares(shares: u64, value: u64, supply: u64) -> Result<u64> {
    require!(shares <= supply, OptionsAmmError::MathOverflow);
    let supply_v = supply.safe_add(VIRTUAL_SHARES)?;
    let value_v = value.safe_add(VIRTUAL_ASSETS)?;
    Ok(mul_div_floor(shares, value_v, supply_v)?.min(value))
}

/// The senior claim left after `shares` of `supply` leave: the claim those shares are worth,
/// priced exactly as the leaver is paid (`amount_for_shares`, virtual shares included, rounded
/// down); the last holder out takes the whole claim with it. So the senior holders who stay
/// keep their (virtual) value per share and the junior tranche loses nothing to the rounding:
/// NAV falls by the payment, the claim by at least as much. The fuzzer checks both tranches'
/// value per share after every LP flow.
pub fn claim_after_withdraw(claim: u64, shares: u64, supply: u64) -> Result<u64> {
    if shares >= supply {
        return Ok(0);
    }
    Ok(claim - amount_for_shares(shares, claim, supply)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_goes_to_junior_above_the_senior_claim() {
        // 1,000 senior claim, NAV 1,600 after a 100 gain on 1,500 deposited.
        assert_eq!(split(1_600, 1_000), TrancheValues { senior: 1_000, junior: 600 });
    }

    #[test]
    fn small_loss_is_taken_by_junior_alone() {
        assert_eq!(split(1_400, 1_000), TrancheValues { senior: 1_000, junior: 400 });
    }

    #[test]
    fn loss_beyond_junior_reaches_senior() {
        assert_eq!(split(800, 1_000), TrancheValues { senior: 800, junior: 0 });
        assert_eq!(split(-50, 1_000), TrancheValues { senior: 0, junior: 0 });
    }

    #[test]
    fn senior_claim_accrues_at_the_target_rate() {
        // 5% a year on 1,000,000 for half a year = 25,000.
        let half_year = (SECONDS_PER_YEAR / 2) as i64;
        assert_eq!(accrue_claim(1_000_000, 500, half_year).unwrap(), 1_025_000);
        // Accrual moves value from junior to senior, NAV unchanged.
        let claim = accrue_claim(1_000_000, 500, half_year).unwrap();
        assert_eq!(split(1_500_000, claim), TrancheValues { senior: 1_025_000, junior: 475_000 });
        // No time, no rate, or time running backwards: nothing.
        assert_eq!(accrue_claim(1_000_000, 500, 0).unwrap(), 1_000_000);
        assert_eq!(accrue_claim(1_000_000, 0, half_year).unwrap(), 1_000_000);
        assert_eq!(accrue_claim(1_000_000, 500, -5).unwrap(), 1_000_000);
        // Rounds down: 1 unit at 1 bp for one second accrues nothing.
        assert_eq!(accrue_claim(1, 1, 1).unwrap(), 1);
    }

    #[test]
    fn first_deposit_mints_a_thousand_share_units_per_quote_unit() {
        assert_eq!(shares_for_deposit(1_000_000, 0, 0).unwrap(), 1_000_000_000);
    }

    #[test]
    fn wiped_out_tranche_refuses_deposits() {
        assert!(shares_for_deposit(1_000, 0, 500).is_err());
    }

    #[test]
    fn withdrawal_never_pays_more_than_the_tranche_holds() {
        assert_eq!(amount_for_shares(500, 0, 500).unwrap(), 0);
        assert_eq!(amount_for_shares(5_000, 10, 5_000).unwrap(), 9); // 5000 x 11 / 6000
        assert_eq!(amount_for_shares(10_000_000, 10_000, 10_000_000).unwrap(), 10_000);
        assert_eq!(amount_for_shares(3_333_333, 10_000, 10_000_000).unwrap(), 3_333);
        assert!(amount_for_shares(501, 10, 500).is_err());
    }

    #[test]
    fn leaving_senior_removes_the_claim_its_shares_are_paid_for() {
        // A third of the shares at a share price of 1 (shares carry 3 more decimals).
        let (claim, supply) = (1_000_000, 1_000_000_000);
        let paid = amount_for_shares(supply / 3, claim, supply).unwrap();
        assert_eq!(paid, 333_333);
        assert_eq!(claim_after_withdraw(claim, supply / 3, supply).unwrap(), claim - paid);
        assert_eq!(claim_after_withdraw(claim, supply, supply).unwrap(), 0);
        assert_eq!(claim_after_withdraw(claim, 0, supply).unwrap(), claim);
    }

    mod property {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]

            /// Deposit then withdraw all the new shares at the same NAV: never more back.
            #[test]
            fn deposit_then_withdraw_never_returns_more(
                value in 0u64..1_000_000_000_000, supply in 0u64..1_000_000_000_000,
                amount in 1u64..1_000_000_000_000) {
                prop_assume!(!(value == 0 && supply > 0));
                let shares = shares_for_deposit(amount, value, supply).unwrap();
                let back = amount_for_shares(shares, value + amount, supply + shares).unwrap();
                prop_assert!(back <= amount, "deposit {} got back {}", amount, back);
            }

            /// A depositor's share of a tranche is never worth more than they put in, and the
            /// holders before them never lose from the deposit.
            #[test]
            fn deposit_never_dilutes_existing_holders(
                value in 1u64..1_000_000_000_000, supply in 1u64..1_000_000_000_000,
                amount in 1u64..1_000_000_000_000) {
                let shares = shares_for_deposit(amount, value, supply).unwrap();
                let before = (value as u128 + VIRTUAL_ASSETS as u128) * 1_000_000_000_000
                    / (supply as u128 + VIRTUAL_SHARES as u128);
                let after = (value as u128 + amount as u128 + VIRTUAL_ASSETS as u128) * 1_000_000_000_000
                    / (supply as u128 + shares as u128 + VIRTUAL_SHARES as u128);
                prop_assert!(after >= before, "share price fell from {} to {}", before, after);
            }

            /// The split always adds up to the (non-negative) NAV.
            #[test]
            fn split_adds_up(nav in -1_000_000i128..1_000_000_000_000_000, claim in 0u64..u64::MAX) {
                let v = split(nav, claim);
                prop_assert_eq!(v.senior as i128 + v.junior as i128, nav.max(0));
                prop_assert!(v.senior <= claim);
            }
        }
    }
}
