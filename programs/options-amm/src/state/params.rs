//! Risk parameters, their hard bounds and their maximum change per governance step.
//!
//! Every parameter is listed once in `FIELDS` with its bounds; `RiskParams::values` lists the
//! values in the same order. A market cannot be created, and a change cannot be proposed,
//! outside the bounds; a proposal may move each parameter by at most
//! max(|old| / 2, span / 10) per step (span = max - min), so a captured authority still needs
//! several timelocked steps to move anything far.

use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;

/// Limits an oracle price must meet for one use (trading, margin, settlement).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct OracleLimits {
    /// Oldest acceptable publish time, seconds before now.
    pub max_age_secs: u32,
    /// Widest acceptable confidence interval, basis points of the price.
    pub max_conf_bps: u32,
}

#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
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
    /// Delay between proposing a parameter change and executing it, seconds. It changes through
    /// the same timelocked path as every other parameter.
    pub timelock_secs: u32,
    pub trading: TradingParams,
    pub hedge: HedgeParams,
    pub margin: MarginParams,
}

/// Traders' margin and liquidation parameters, basis points.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct MarginParams {
    /// Spot shock (up and down) for initial and maintenance margin.
    pub im_spot_shock_bps: u32,
    pub mm_spot_shock_bps: u32,
    /// Relative vol shock (up).
    pub vol_shock_bps: u32,
    /// Floor per short contract, share of spot.
    pub min_margin_bps: u32,
    /// Share of a long's value that does not count as collateral.
    pub long_haircut_bps: u32,
    /// Liquidation penalty, share of the closed contracts' spot notional.
    pub liquidation_penalty_bps: u32,
    /// The liquidating keeper's share of the penalty; the vault gets the rest.
    pub keeper_penalty_share_bps: u32,
    pub reserved: u32,
}

/// Quoting and trading parameters. `_micro` values are millionths (1_000_000 = 1.0).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
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

/// Delta-hedging (`rebalance`) parameters.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct HedgeParams {
    /// Rebalancing is allowed only when |net delta| exceeds this (millionths of underlying).
    pub delta_band_micro: u64,
    /// Largest rebalance, underlying raw units.
    pub max_rebalance_size: u64,
    /// The keeper's price improvement on the oracle price, basis points.
    pub keeper_discount_bps: u32,
    pub reserved: u32,
}

/// (name, min, max) of every parameter, in `RiskParams::values` order.
pub const FIELDS: [(&str, u64, u64); 42] = [
    ("oracle_trade.max_age_secs", 5, 300),
    ("oracle_trade.max_conf_bps", 1, 500),
    ("oracle_margin.max_age_secs", 5, 3_600),
    ("oracle_margin.max_conf_bps", 1, 2_000),
    ("oracle_settle.max_age_secs", 60, 86_400),
    ("oracle_settle.max_conf_bps", 1, 1_000),
    ("senior_target_rate_bps", 0, 2_000),
    ("risk_free_rate_bps", 0, 2_000),
    ("max_utilisation_bps", 1_000, 9_500),
    ("timelock_secs", 3_600, 14 * 86_400),
    ("trading.vega_cap_micro", 1_000, 1_000_000_000_000_000),
    ("trading.gamma_cap_micro", 1_000, 1_000_000_000_000_000),
    ("trading.delta_cap_micro", 1_000, 1_000_000_000_000_000),
    ("trading.skew_vega_micro", 0, 2_000_000),
    ("trading.skew_gamma_micro", 0, 2_000_000),
    ("trading.max_skew_micro", 0, 900_000),
    ("trading.spread_vol_micro", 0, 200_000),
    ("trading.spread_delta_vol_micro", 0, 200_000),
    ("trading.spread_expiry_vol_micro", 0, 200_000),
    ("trading.max_trade_size", 1, u64::MAX / 4),
    ("trading.call_cap_multiple_bps", 15_000, 100_000),
    ("trading.near_expiry_secs", 0, 7 * 86_400),
    ("trading.trading_cutoff_secs", 60, 86_400),
    ("trading.min_abs_delta_bps", 0, 2_500),
    ("trading.max_abs_delta_bps", 7_500, 10_000),
    ("trading.fee_spot_bps", 0, 100),
    ("trading.fee_premium_bps", 0, 2_000),
    ("trading.protocol_fee_share_bps", 0, 5_000),
    ("trading.cache_max_age_secs", 10, 3_600),
    ("trading.cache_max_spot_move_bps", 10, 2_000),
    ("hedge.delta_band_micro", 0, 1_000_000_000_000_000),
    ("hedge.max_rebalance_size", 1, u64::MAX / 4),
    ("hedge.keeper_discount_bps", 0, 100),
    ("hedge.reserved", 0, 0),
    ("margin.im_spot_shock_bps", 500, 5_000),
    ("margin.mm_spot_shock_bps", 300, 4_000),
    ("margin.vol_shock_bps", 0, 10_000),
    ("margin.min_margin_bps", 100, 5_000),
    ("margin.long_haircut_bps", 0, 10_000),
    ("margin.liquidation_penalty_bps", 0, 1_000),
    ("margin.keeper_penalty_share_bps", 0, 10_000),
    ("margin.reserved", 0, 0),
];

impl RiskParams {
    /// Every parameter, widened to u64, in `FIELDS` order.
    pub fn values(&self) -> [u64; 42] {
        let t = &self.trading;
        let h = &self.hedge;
        let g = &self.margin;
        [
            self.oracle_trade.max_age_secs as u64,
            self.oracle_trade.max_conf_bps as u64,
            self.oracle_margin.max_age_secs as u64,
            self.oracle_margin.max_conf_bps as u64,
            self.oracle_settle.max_age_secs as u64,
            self.oracle_settle.max_conf_bps as u64,
            self.senior_target_rate_bps as u64,
            self.risk_free_rate_bps as u64,
            self.max_utilisation_bps as u64,
            self.timelock_secs as u64,
            t.vega_cap_micro,
            t.gamma_cap_micro,
            t.delta_cap_micro,
            t.skew_vega_micro,
            t.skew_gamma_micro,
            t.max_skew_micro,
            t.spread_vol_micro,
            t.spread_delta_vol_micro,
            t.spread_expiry_vol_micro,
            t.max_trade_size,
            t.call_cap_multiple_bps as u64,
            t.near_expiry_secs as u64,
            t.trading_cutoff_secs as u64,
            t.min_abs_delta_bps as u64,
            t.max_abs_delta_bps as u64,
            t.fee_spot_bps as u64,
            t.fee_premium_bps as u64,
            t.protocol_fee_share_bps as u64,
            t.cache_max_age_secs as u64,
            t.cache_max_spot_move_bps as u64,
            h.delta_band_micro,
            h.max_rebalance_size,
            h.keeper_discount_bps as u64,
            h.reserved as u64,
            g.im_spot_shock_bps as u64,
            g.mm_spot_shock_bps as u64,
            g.vol_shock_bps as u64,
            g.min_margin_bps as u64,
            g.long_haircut_bps as u64,
            g.liquidation_penalty_bps as u64,
            g.keeper_penalty_share_bps as u64,
            g.reserved as u64,
        ]
    }

    /// Sets parameter `index` (in `FIELDS` order) to `v`; a value too wide for its field is an
    /// error (`ParamOutOfBounds`). Bounds are checked by `validate`, not here.
    pub fn set(&mut self, index: usize, v: u64) -> Result<()> {
        let w = |v: u64| u32::try_from(v).map_err(|_| error!(OptionsAmmError::ParamOutOfBounds));
        let (t, h, g) = (&mut self.trading, &mut self.hedge, &mut self.margin);
        match index {
            0 => self.oracle_trade.max_age_secs = w(v)?,
            1 => self.oracle_trade.max_conf_bps = w(v)?,
            2 => self.oracle_margin.max_age_secs = w(v)?,
            3 => self.oracle_margin.max_conf_bps = w(v)?,
            4 => self.oracle_settle.max_age_secs = w(v)?,
            5 => self.oracle_settle.max_conf_bps = w(v)?,
            6 => self.senior_target_rate_bps = w(v)?,
            7 => self.risk_free_rate_bps = w(v)?,
            8 => self.max_utilisation_bps = w(v)?,
            9 => self.timelock_secs = w(v)?,
            10 => t.vega_cap_micro = v,
            11 => t.gamma_cap_micro = v,
            12 => t.delta_cap_micro = v,
            13 => t.skew_vega_micro = v,
            14 => t.skew_gamma_micro = v,
            15 => t.max_skew_micro = v,
            16 => t.spread_vol_micro = v,
            17 => t.spread_delta_vol_micro = v,
            18 => t.spread_expiry_vol_micro = v,
            19 => t.max_trade_size = v,
            20 => t.call_cap_multiple_bps = w(v)?,
            21 => t.near_expiry_secs = w(v)?,
            22 => t.trading_cutoff_secs = w(v)?,
            23 => t.min_abs_delta_bps = w(v)?,
            24 => t.max_abs_delta_bps = w(v)?,
            25 => t.fee_spot_bps = w(v)?,
            26 => t.fee_premium_bps = w(v)?,
            27 => t.protocol_fee_share_bps = w(v)?,
            28 => t.cache_max_age_secs = w(v)?,
            29 => t.cache_max_spot_move_bps = w(v)?,
            30 => h.delta_band_micro = v,
            31 => h.max_rebalance_size = v,
            32 => h.keeper_discount_bps = w(v)?,
            33 => h.reserved = w(v)?,
            34 => g.im_spot_shock_bps = w(v)?,
            35 => g.mm_spot_shock_bps = w(v)?,
            36 => g.vol_shock_bps = w(v)?,
            37 => g.min_margin_bps = w(v)?,
            38 => g.long_haircut_bps = w(v)?,
            39 => g.liquidation_penalty_bps = w(v)?,
            40 => g.keeper_penalty_share_bps = w(v)?,
            41 => g.reserved = w(v)?,
            _ => return err!(OptionsAmmError::ParamOutOfBounds),
        }
        Ok(())
    }

    /// The first parameter outside its hard bounds, if any.
    pub fn out_of_bounds(&self) -> Option<&'static str> {
        let values = self.values();
        FIELDS
            .iter()
            .zip(values)
            .find(|((_, lo, hi), v)| !(*lo..=*hi).contains(v))
            .map(|((n, _, _), _)| *n)
    }

    /// Every parameter inside its hard bounds.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = self.out_of_bounds() {
            msg!("parameter out of bounds: {}", name);
            return err!(OptionsAmmError::ParamOutOfBounds);
        }
        Ok(())
    }

    /// The first parameter that moves by more than max(|old| / 2, span / 10), if any.
    pub fn too_large_step(&self, new: &RiskParams) -> Option<&'static str> {
        let (old, new) = (self.values(), new.values());
        FIELDS.iter().zip(old.iter().zip(new)).find_map(|((name, lo, hi), (o, n))| {
            let max_step = (o / 2).max((hi - lo) / 10);
            (o.abs_diff(n) > max_step).then_some(*name)
        })
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
            timelock_secs: 86_400,
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
            hedge: HedgeParams {
                delta_band_micro: 5_000_000,         // 5 underlying
                max_rebalance_size: 100_000_000_000, // 100 underlying at 9 decimals
                keeper_discount_bps: 10,
                reserved: 0,
            },
            margin: MarginParams {
                im_spot_shock_bps: 2_000,
                mm_spot_shock_bps: 1_200,
                vol_shock_bps: 2_500,
                min_margin_bps: 500,
                long_haircut_bps: 3_000,
                liquidation_penalty_bps: 200,
                keeper_penalty_share_bps: 5_000,
                reserved: 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_is_inside_every_bound() {
        assert_eq!(RiskParams::reference().out_of_bounds(), None);
    }

    #[test]
    fn each_parameter_outside_its_bound_is_refused_by_name() {
        let base = RiskParams::reference();
        type Case = (&'static str, fn(&mut RiskParams));
        let cases: Vec<Case> = vec![
            ("oracle_trade.max_age_secs", |p| p.oracle_trade.max_age_secs = 301),
            ("oracle_trade.max_age_secs", |p| p.oracle_trade.max_age_secs = 4),
            ("oracle_trade.max_conf_bps", |p| p.oracle_trade.max_conf_bps = 0),
            ("oracle_margin.max_age_secs", |p| p.oracle_margin.max_age_secs = 3_601),
            ("oracle_margin.max_conf_bps", |p| p.oracle_margin.max_conf_bps = 2_001),
            ("oracle_settle.max_age_secs", |p| p.oracle_settle.max_age_secs = 59),
            ("oracle_settle.max_conf_bps", |p| p.oracle_settle.max_conf_bps = 1_001),
            ("senior_target_rate_bps", |p| p.senior_target_rate_bps = 2_001),
            ("risk_free_rate_bps", |p| p.risk_free_rate_bps = 2_001),
            ("max_utilisation_bps", |p| p.max_utilisation_bps = 999),
            ("max_utilisation_bps", |p| p.max_utilisation_bps = 9_501),
            ("timelock_secs", |p| p.timelock_secs = 3_599),
            ("trading.vega_cap_micro", |p| p.trading.vega_cap_micro = 0),
            ("trading.max_skew_micro", |p| p.trading.max_skew_micro = 900_001),
            ("trading.call_cap_multiple_bps", |p| p.trading.call_cap_multiple_bps = 14_999),
            ("trading.trading_cutoff_secs", |p| p.trading.trading_cutoff_secs = 59),
            ("trading.max_abs_delta_bps", |p| p.trading.max_abs_delta_bps = 10_001),
            ("trading.fee_premium_bps", |p| p.trading.fee_premium_bps = 2_001),
            ("trading.protocol_fee_share_bps", |p| p.trading.protocol_fee_share_bps = 5_001),
            ("trading.cache_max_age_secs", |p| p.trading.cache_max_age_secs = 9),
            ("trading.max_trade_size", |p| p.trading.max_trade_size = 0),
            ("hedge.keeper_discount_bps", |p| p.hedge.keeper_discount_bps = 101),
            ("hedge.reserved", |p| p.hedge.reserved = 1),
        ];
        for (name, change) in cases {
            let mut p = base;
            change(&mut p);
            assert_eq!(p.out_of_bounds(), Some(name));
            assert!(p.validate().is_err());
        }
    }

    #[test]
    fn steps_are_limited_to_half_the_value_or_a_tenth_of_the_span() {
        let old = RiskParams::reference();
        let mut new = old;
        new.trading.fee_premium_bps = 150; // +50: within max(50, 200)
        assert_eq!(old.too_large_step(&new), None);
        new.trading.fee_premium_bps = 301; // +201 > max(50, 200)
        assert_eq!(old.too_large_step(&new), Some("trading.fee_premium_bps"));
        let mut new = old;
        new.timelock_secs = 86_400 + 120_600; // span/10 = 120,600
        assert_eq!(old.too_large_step(&new), None);
        new.timelock_secs = 86_400 + 120_601;
        assert_eq!(old.too_large_step(&new), Some("timelock_secs"));
        let mut new = old;
        new.max_utilisation_bps = 4_000; // -4,000 = half of 8,000: allowed
        assert_eq!(old.too_large_step(&new), None);
        new.max_utilisation_bps = 3_999;
        assert_eq!(old.too_large_step(&new), Some("max_utilisation_bps"));
    }

    #[test]
    fn set_changes_exactly_the_named_parameter() {
        let base = RiskParams::reference();
        for (i, v) in base.values().into_iter().enumerate() {
            let mut p = base;
            p.set(i, v ^ 1).unwrap();
            let changed: Vec<usize> =
                (0..42).filter(|&j| p.values()[j] != base.values()[j]).collect();
            assert_eq!(changed, vec![i], "{}", FIELDS[i].0);
        }
        let mut p = base;
        assert!(p.set(42, 0).is_err());
        assert!(p.set(0, u64::from(u32::MAX) + 1).is_err());
    }
}
