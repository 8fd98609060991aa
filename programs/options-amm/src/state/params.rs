//! Risk parameters and their hard bounds. A market cannot be created, and (later) a parameter
//! cannot be changed, outside these bounds.

use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;

/// Limits an oracle price must meet for one use (trading, margin, settlement).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub struct OracleLimits {
    /// Oldest acceptable publish time, seconds before now.
    pub max_age_secs: u32,
    /// Widest acceptable confidence interval, basis points of the price.
    pub max_conf_bps: u32,
}

#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub struct RiskParams {
    /// Trading and LP flows (strict).
    pub oracle_trade: OracleLimits,
    /// Margin checks and liquidation (looser).
    pub oracle_margin: OracleLimits,
    /// Settlement: max confidence; max_age_secs is the window after expiry in which the first
    /// valid price is taken.
    pub oracle_settle: OracleLimits,
    /// Senior tranche's target return, basis points a year.
    pub senior_target_rate_bps: u32,
    /// Risk-free rate used in pricing, basis points a year.
    pub risk_free_rate_bps: u32,
    /// Cap on locked collateral over pool assets, basis points.
    pub max_utilisation_bps: u32,
    pub reserved: u32,
}

/// (min, max) of one parameter.
type Bound = (u32, u32);

pub const BOUND_TRADE_AGE: Bound = (5, 300);
pub const BOUND_TRADE_CONF: Bound = (1, 500);
pub const BOUND_MARGIN_AGE: Bound = (5, 3_600);
pub const BOUND_MARGIN_CONF: Bound = (1, 2_000);
pub const BOUND_SETTLE_WINDOW: Bound = (60, 86_400);
pub const BOUND_SETTLE_CONF: Bound = (1, 1_000);
pub const BOUND_SENIOR_RATE: Bound = (0, 2_000);
pub const BOUND_RISK_FREE_RATE: Bound = (0, 2_000);
pub const BOUND_UTILISATION: Bound = (1_000, 9_500);

fn within(v: u32, (lo, hi): Bound) -> bool {
    (lo..=hi).contains(&v)
}

impl RiskParams {
    /// Every parameter inside its hard bounds.
    pub fn validate(&self) -> Result<()> {
        let ok = within(self.oracle_trade.max_age_secs, BOUND_TRADE_AGE)
            && within(self.oracle_trade.max_conf_bps, BOUND_TRADE_CONF)
            && within(self.oracle_margin.max_age_secs, BOUND_MARGIN_AGE)
            && within(self.oracle_margin.max_conf_bps, BOUND_MARGIN_CONF)
            && within(self.oracle_settle.max_age_secs, BOUND_SETTLE_WINDOW)
            && within(self.oracle_settle.max_conf_bps, BOUND_SETTLE_CONF)
            && within(self.senior_target_rate_bps, BOUND_SENIOR_RATE)
            && within(self.risk_free_rate_bps, BOUND_RISK_FREE_RATE)
            && within(self.max_utilisation_bps, BOUND_UTILISATION)
            && self.reserved == 0;
        require!(ok, OptionsAmmError::ParamOutOfBounds);
        Ok(())
    }

    /// A conservative default set, inside every bound.
    pub fn default_for_tests() -> Self {
        RiskParams {
            oracle_trade: OracleLimits { max_age_secs: 60, max_conf_bps: 100 },
            oracle_margin: OracleLimits { max_age_secs: 600, max_conf_bps: 500 },
            oracle_settle: OracleLimits { max_age_secs: 600, max_conf_bps: 200 },
            senior_target_rate_bps: 500,
            risk_free_rate_bps: 500,
            max_utilisation_bps: 8_000,
            reserved: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_inside_every_bound() {
        assert!(RiskParams::default_for_tests().validate().is_ok());
    }

    #[test]
    fn each_parameter_outside_its_bound_is_refused() {
        let base = RiskParams::default_for_tests();
        let cases: Vec<fn(&mut RiskParams)> = vec![
            |p| p.oracle_trade.max_age_secs = 301,
            |p| p.oracle_trade.max_age_secs = 4,
            |p| p.oracle_trade.max_conf_bps = 0,
            |p| p.oracle_margin.max_age_secs = 3_601,
            |p| p.oracle_margin.max_conf_bps = 2_001,
            |p| p.oracle_settle.max_age_secs = 59,
            |p| p.oracle_settle.max_conf_bps = 1_001,
            |p| p.senior_target_rate_bps = 2_001,
            |p| p.risk_free_rate_bps = 2_001,
            |p| p.max_utilisation_bps = 999,
            |p| p.max_utilisation_bps = 9_501,
            |p| p.reserved = 1,
        ];
        for (i, change) in cases.iter().enumerate() {
            let mut p = base;
            change(&mut p);
            assert!(p.validate().is_err(), "case {i} accepted");
        }
    }
}
