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
    pub trading: TradingParams,
}

/// Quoting and trading parameters. `_micro` values are millionths (1_000_000 = 1.0).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub struct TradingParams {
    /// Normalisers of the vault's net vega (quote per 1.00 vol), gamma and |delta| (underlying).
    pub vega_cap_micro: u64,
    pub gamma_cap_micro: u64,
    pub delta_cap_micro: u64,
    /// Relative vol change per cap of vault vega / gamma; the skew stays within +-max_skew.
    pub skew_vega_micro: u64,
    pub skew_gamma_micro: u64,
    pub max_skew_micro: u64,
    /// Half-spread in vol: base, per delta cap of |net delta|, and at expiry.
    pub spread_vol_micro: u64,
    pub spread_delta_vol_micro: u64,
    pub spread_expiry_vol_micro: u64,
    /// Largest trade, underlying raw units.
    pub max_trade_size: u64,
    /// Calls pay at most (cap_multiple - 1) x strike: the vault and short traders lock exactly
    /// the maximum payoff, so every option sold is fully collateralised. Basis points of strike.
    pub call_cap_multiple_bps: u32,
    /// The expiry spread starts this long before expiry.
    pub near_expiry_secs: u32,
    /// No trading this close to expiry.
    pub trading_cutoff_secs: u32,
    /// Tradable band of |option delta|, basis points.
    pub min_abs_delta_bps: u32,
    pub max_abs_delta_bps: u32,
    /// Fees: on spot notional and on premium (bps), and the protocol's share of them (bps).
    pub fee_spot_bps: u32,
    pub fee_premium_bps: u32,
    pub protocol_fee_share_bps: u32,
    /// The greek cache is stale when older than this, or when spot moved more than
    /// `cache_max_spot_move_bps` since the refresh.
    pub cache_max_age_secs: u32,
    pub cache_max_spot_move_bps: u32,
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

pub const BOUND_CALL_CAP: Bound = (15_000, 100_000);
pub const BOUND_NEAR_EXPIRY: Bound = (0, 7 * 86_400);
pub const BOUND_CUTOFF: Bound = (60, 86_400);
pub const BOUND_MIN_DELTA: Bound = (0, 2_500);
pub const BOUND_MAX_DELTA: Bound = (7_500, 10_000);
pub const BOUND_FEE_SPOT: Bound = (0, 100);
pub const BOUND_FEE_PREMIUM: Bound = (0, 2_000);
pub const BOUND_PROTOCOL_SHARE: Bound = (0, 5_000);
pub const BOUND_CACHE_AGE: Bound = (10, 3_600);
pub const BOUND_CACHE_MOVE: Bound = (10, 2_000);

/// (min, max) of a `_micro` or size parameter.
type Bound64 = (u64, u64);
pub const BOUND_CAP_MICRO: Bound64 = (1_000, 1_000_000_000_000_000);
pub const BOUND_SKEW_MICRO: Bound64 = (0, 2_000_000);
pub const BOUND_MAX_SKEW_MICRO: Bound64 = (0, 900_000);
pub const BOUND_SPREAD_MICRO: Bound64 = (0, 200_000);
pub const BOUND_MAX_TRADE: Bound64 = (1, u64::MAX / 4);

fn within(v: u32, (lo, hi): Bound) -> bool {
    (lo..=hi).contains(&v)
}

fn within64(v: u64, (lo, hi): Bound64) -> bool {
    (lo..=hi).contains(&v)
}

impl TradingParams {
    pub fn validate(&self) -> bool {
        within64(self.vega_cap_micro, BOUND_CAP_MICRO)
            && within64(self.gamma_cap_micro, BOUND_CAP_MICRO)
            && within64(self.delta_cap_micro, BOUND_CAP_MICRO)
            && within64(self.skew_vega_micro, BOUND_SKEW_MICRO)
            && within64(self.skew_gamma_micro, BOUND_SKEW_MICRO)
            && within64(self.max_skew_micro, BOUND_MAX_SKEW_MICRO)
            && within64(self.spread_vol_micro, BOUND_SPREAD_MICRO)
            && within64(self.spread_delta_vol_micro, BOUND_SPREAD_MICRO)
            && within64(self.spread_expiry_vol_micro, BOUND_SPREAD_MICRO)
            && within64(self.max_trade_size, BOUND_MAX_TRADE)
            && within(self.call_cap_multiple_bps, BOUND_CALL_CAP)
            && within(self.near_expiry_secs, BOUND_NEAR_EXPIRY)
            && within(self.trading_cutoff_secs, BOUND_CUTOFF)
            && within(self.min_abs_delta_bps, BOUND_MIN_DELTA)
            && within(self.max_abs_delta_bps, BOUND_MAX_DELTA)
            && within(self.fee_spot_bps, BOUND_FEE_SPOT)
            && within(self.fee_premium_bps, BOUND_FEE_PREMIUM)
            && within(self.protocol_fee_share_bps, BOUND_PROTOCOL_SHARE)
            && within(self.cache_max_age_secs, BOUND_CACHE_AGE)
            && within(self.cache_max_spot_move_bps, BOUND_CACHE_MOVE)
    }
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
            && self.reserved == 0
            && self.trading.validate();
        require!(ok, OptionsAmmError::ParamOutOfBounds);
        Ok(())
    }

    /// The reference parameter set (inside every bound) used by the tests, the client and the
    /// deploy defaults.
    pub fn reference() -> Self {
        RiskParams {
            oracle_trade: OracleLimits { max_age_secs: 60, max_conf_bps: 100 },
            oracle_margin: OracleLimits { max_age_secs: 600, max_conf_bps: 500 },
            oracle_settle: OracleLimits { max_age_secs: 600, max_conf_bps: 200 },
            senior_target_rate_bps: 500,
            risk_free_rate_bps: 500,
            max_utilisation_bps: 8_000,
            reserved: 0,
            trading: TradingParams {
                vega_cap_micro: 10_000_000_000, // 10,000 quote per vol
                gamma_cap_micro: 100_000_000,   // 100 per underlying
                delta_cap_micro: 1_000_000_000, // 1,000 underlying
                skew_vega_micro: 200_000,       // 20% vol per vega cap
                skew_gamma_micro: 100_000,
                max_skew_micro: 500_000,
                spread_vol_micro: 5_000, // half a vol point
                spread_delta_vol_micro: 10_000,
                spread_expiry_vol_micro: 20_000,
                max_trade_size: 1_000_000_000_000, // 1,000 underlying at 9 decimals
                call_cap_multiple_bps: 30_000,
                near_expiry_secs: 86_400,
                trading_cutoff_secs: 3_600,
                min_abs_delta_bps: 200,
                max_abs_delta_bps: 9_800,
                fee_spot_bps: 3,
                fee_premium_bps: 100,
                protocol_fee_share_bps: 2_000,
                cache_max_age_secs: 120,
                cache_max_spot_move_bps: 100,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_inside_every_bound() {
        assert!(RiskParams::reference().validate().is_ok());
    }

    #[test]
    fn each_parameter_outside_its_bound_is_refused() {
        let base = RiskParams::reference();
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
            |p| p.trading.vega_cap_micro = 0,
            |p| p.trading.max_skew_micro = 900_001,
            |p| p.trading.call_cap_multiple_bps = 14_999,
            |p| p.trading.trading_cutoff_secs = 59,
            |p| p.trading.max_abs_delta_bps = 10_001,
            |p| p.trading.fee_premium_bps = 2_001,
            |p| p.trading.protocol_fee_share_bps = 5_001,
            |p| p.trading.cache_max_age_secs = 9,
            |p| p.trading.max_trade_size = 0,
        ];
        for (i, change) in cases.iter().enumerate() {
            let mut p = base;
            change(&mut p);
            assert!(p.validate().is_err(), "case {i} accepted");
        }
    }
}
