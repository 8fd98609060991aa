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
    pub vol: VolParams,
}

/// Where quote vol comes from and how it is bounded: the realised-vol estimate, the ask floor
/// and breaker it drives, and the vol feed's limits.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct VolParams {
    /// Half-life of the realised-vol estimate's weights, seconds of prints.
    pub half_life_secs: u32,
    /// Once the estimate is mature, a trader buys at a vol of at least realised vol x this
    /// (basis points): the vault never sells vol cheap against the market.
    pub floor_ratio_bps: u32,
    /// Risk-adding trades of a series pause while mature realised vol exceeds its implied vol x
    /// this (basis points); reducing trades go on.
    pub breaker_ratio_bps: u32,
    /// A vol-feed post moves each strike's vol by at most this (millionths of vol) per
    /// `feed_step_secs` since the board's last post (pro rata, at most one step's worth). No
    /// more than the half-spread (joint rule), so no post is worth front-running.
    pub feed_max_step_vol_micro: u32,
    pub feed_step_secs: u32,
    /// With a vol feed set, a board whose surface is older than this trades reduce-only.
    pub feed_max_age_secs: u32,
    /// The window of the time-weighted vol that marks, NAV and margins use (GWAV), seconds.
    pub mark_window_secs: u32,
    /// Half-spread added per unit of vol that mature realised vol exceeds implied by (bps).
    pub spread_gap_bps: u32,
    /// Half-spread added per second of the oracle print's age (millionths of vol).
    pub spread_age_vol_micro: u32,
    /// Half-spread added to a force-close (millionths of vol).
    pub force_close_spread_vol_micro: u32,
    /// Once realised vol is mature, every posted vol lies within [rv / k, rv x k], k this
    /// (basis points): a captured feed key cannot walk the surface far from the market.
    pub feed_rv_band_bps: u32,
    pub reserved: u32,
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
    /// The inventory potential (`options_amm_pricing::quote`): the charge per unit of vega
    /// traded at one vega cap (vol), per unit of gamma at one gamma cap (x spot^2), per unit of
    /// delta at one delta cap (x spot).
    pub skew_vega_micro: u64,
    pub skew_gamma_micro: u64,
    pub skew_delta_micro: u64,
    /// Caps of inventory beyond which the potential grows linearly (its slope stays bounded).
    pub saturation_micro: u64,
    /// Half-spread in vol: base, per delta cap of |net delta|, and at expiry.
    pub spread_vol_micro: u64,
    pub spread_delta_vol_micro: u64,
    pub spread_expiry_vol_micro: u64,
    /// Largest trade, underlying raw units.
    pub max_trade_size: u64,
    /// Calls of boards listed from now pay at most (cap_multiple - 1) x strike: every long is
    /// backed by a lock of its maximum payoff. Basis points of strike. A board keeps the
    /// multiple it was listed with (`Board::cap_multiple_bps`).
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
    /// The lock charge: a buy that raises the pool's locks pays, for the time to expiry, an
    /// annual rate that grows linearly with utilisation from 0 to this at the utilisation cap
    /// (basis points a year). Pinning the pool at its cap costs in proportion to what is
    /// locked and for how long.
    pub lock_rate_at_cap_bps: u32,
    /// How long an inventory move no trade paid for (a refresh's re-mark, a liquidation, a
    /// settlement, a hedge, a delisting) takes to enter the potential's argument, seconds: it
    /// fades in linearly, so at one time nothing jumps and no trade placed around such a move
    /// gains from it.
    pub fade_secs: u32,
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
    /// Most net delta (whole underlying) a trade may leave beyond what the hedge can offset
    /// (the band, the underlying held, what free quote buys): past it risk-adding trades that
    /// add to it pause (Lyra's "can hedge").
    pub max_unhedged_delta: u32,
}

/// The parameters a trade's price depends on besides spreads and fees: the potential's caps,
/// scales and saturation, and the rate the marks are priced with. After a change they fade from
/// their old values to the new ones over `fade_secs` (`Market::effective_params`), so no trade
/// placed around a change gains from it.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PricingParams {
    pub vega_cap_micro: u64,
    pub gamma_cap_micro: u64,
    pub delta_cap_micro: u64,
    pub skew_vega_micro: u64,
    pub skew_gamma_micro: u64,
    pub skew_delta_micro: u64,
    pub saturation_micro: u64,
    pub risk_free_rate_bps: u32,
    pub reserved: u32,
}

impl PricingParams {
    pub fn of(p: &RiskParams) -> Self {
        let t = &p.trading;
        PricingParams {
            vega_cap_micro: t.vega_cap_micro,
            gamma_cap_micro: t.gamma_cap_micro,
            delta_cap_micro: t.delta_cap_micro,
            skew_vega_micro: t.skew_vega_micro,
            skew_gamma_micro: t.skew_gamma_micro,
            skew_delta_micro: t.skew_delta_micro,
            saturation_micro: t.saturation_micro,
            risk_free_rate_bps: p.risk_free_rate_bps,
            reserved: 0,
        }
    }

    /// `p` with these parameters `share` of the way from `self` (old) to `p`'s own (new),
    /// `share` = done / span, in integers.
    pub fn blend_into(&self, p: &RiskParams, done: i64, span: i64) -> RiskParams {
        let mix = |old: u64, new: u64| -> u64 {
            let (old, new) = (old as i128, new as i128);
            (old + (new - old) * done as i128 / span as i128) as u64
        };
        let mut out = *p;
        let t = &mut out.trading;
        t.vega_cap_micro = mix(self.vega_cap_micro, t.vega_cap_micro);
        t.gamma_cap_micro = mix(self.gamma_cap_micro, t.gamma_cap_micro);
        t.delta_cap_micro = mix(self.delta_cap_micro, t.delta_cap_micro);
        t.skew_vega_micro = mix(self.skew_vega_micro, t.skew_vega_micro);
        t.skew_gamma_micro = mix(self.skew_gamma_micro, t.skew_gamma_micro);
        t.skew_delta_micro = mix(self.skew_delta_micro, t.skew_delta_micro);
        t.saturation_micro = mix(self.saturation_micro, t.saturation_micro);
        out.risk_free_rate_bps =
            mix(self.risk_free_rate_bps as u64, p.risk_free_rate_bps as u64) as u32;
        out
    }
}

/// One table of every parameter: its path in `RiskParams`, its type and its hard bounds. The
/// field list (`FIELDS`), `values()` and `set()` all come from it, in this order.
macro_rules! params_table {
    ($( $($field:ident).+ : $ty:ty = [$lo:expr, $hi:expr] ),* $(,)?) => {
        /// Number of parameters.
        pub const NUM_PARAMS: usize = [$(stringify!($($field).+)),*].len();

        /// (name, min, max) of every parameter, in `RiskParams::values` order.
        pub const FIELDS: [(&str, u64, u64); NUM_PARAMS] = [
            $( (stringify!($($field).+), $lo, $hi) ),*
        ];

        impl RiskParams {
            /// Every parameter, widened to u64, in `FIELDS` order.
            pub fn values(&self) -> [u64; NUM_PARAMS] {
                [ $( u64::from(self.$($field).+) ),* ]
            }

            /// Sets parameter `index` (in `FIELDS` order) to `v`; a value too wide for its
            /// field is an error (`ParamOutOfBounds`). Bounds are checked by `validate`.
            pub fn set(&mut self, index: usize, v: u64) -> Result<()> {
                let mut i = 0usize;
                $(
                    if index == i {
                        self.$($field).+ = <$ty>::try_from(v)
                            .map_err(|_| error!(OptionsAmmError::ParamOutOfBounds))?;
                        return Ok(());
                    }
                    i += 1;
                )*
                let _ = i;
                err!(OptionsAmmError::ParamOutOfBounds)
            }
        }
    };
}

params_table! {
    oracle_trade.max_age_secs: u32 = [5, 300],
    oracle_trade.max_conf_bps: u32 = [1, 500],
    oracle_margin.max_age_secs: u32 = [5, 3_600],
    oracle_margin.max_conf_bps: u32 = [1, 2_000],
    oracle_settle.max_age_secs: u32 = [60, 86_400],
    oracle_settle.max_conf_bps: u32 = [1, 1_000],
    senior_target_rate_bps: u32 = [0, 2_000],
    risk_free_rate_bps: u32 = [0, 2_000],
    max_utilisation_bps: u32 = [1_000, 9_500],
    timelock_secs: u32 = [3_600, 14 * 86_400],
    trading.vega_cap_micro: u64 = [1_000, 1_000_000_000_000_000],
    trading.gamma_cap_micro: u64 = [1_000, 1_000_000_000_000_000],
    trading.delta_cap_micro: u64 = [1_000, 1_000_000_000_000_000],
    trading.skew_vega_micro: u64 = [0, 1_000_000],
    trading.skew_gamma_micro: u64 = [0, 100_000],
    trading.skew_delta_micro: u64 = [0, 20_000],
    trading.saturation_micro: u64 = [100_000, 10_000_000],
    trading.spread_vol_micro: u64 = [1_000, 200_000],
    trading.spread_delta_vol_micro: u64 = [0, 200_000],
    trading.spread_expiry_vol_micro: u64 = [0, 200_000],
    trading.max_trade_size: u64 = [1, u64::MAX / 4],
    trading.call_cap_multiple_bps: u32 = [15_000, 100_000],
    trading.near_expiry_secs: u32 = [0, 7 * 86_400],
    trading.trading_cutoff_secs: u32 = [60, 86_400],
    trading.min_abs_delta_bps: u32 = [0, 2_500],
    trading.max_abs_delta_bps: u32 = [7_500, 10_000],
    trading.fee_spot_bps: u32 = [0, 100],
    trading.fee_premium_bps: u32 = [0, 2_000],
    trading.protocol_fee_share_bps: u32 = [0, 5_000],
    trading.cache_max_age_secs: u32 = [10, 3_600],
    trading.cache_max_spot_move_bps: u32 = [10, 500],
    trading.lock_rate_at_cap_bps: u32 = [100, 10_000],
    trading.fade_secs: u32 = [60, 86_400],
    hedge.delta_band_micro: u64 = [0, 1_000_000_000_000_000],
    hedge.max_rebalance_size: u64 = [1, u64::MAX / 4],
    hedge.keeper_discount_bps: u32 = [0, 100],
    hedge.max_unhedged_delta: u32 = [1, u32::MAX as u64],
    margin.im_spot_shock_bps: u32 = [500, 5_000],
    margin.mm_spot_shock_bps: u32 = [300, 4_000],
    margin.vol_shock_bps: u32 = [0, 10_000],
    margin.min_margin_bps: u32 = [100, 5_000],
    margin.long_haircut_bps: u32 = [0, 10_000],
    margin.liquidation_penalty_bps: u32 = [0, 1_000],
    margin.keeper_penalty_share_bps: u32 = [0, 10_000],
    margin.reserved: u32 = [0, 0],
    vol.half_life_secs: u32 = [60, 7 * 86_400],
    vol.floor_ratio_bps: u32 = [5_000, 20_000],
    vol.breaker_ratio_bps: u32 = [12_000, 100_000],
    vol.feed_max_step_vol_micro: u32 = [100, 200_000],
    vol.feed_step_secs: u32 = [1, 86_400],
    vol.feed_max_age_secs: u32 = [60, 7 * 86_400],
    vol.mark_window_secs: u32 = [60, 7 * 86_400],
    vol.spread_gap_bps: u32 = [0, 10_000],
    vol.spread_age_vol_micro: u32 = [0, 1_000],
    vol.force_close_spread_vol_micro: u32 = [1_000, 200_000],
    vol.feed_rv_band_bps: u32 = [12_000, 100_000],
    vol.reserved: u32 = [0, 0],
}

/// The most a parameter's share-of-span step floor may be (see `too_large_step`).
pub const STEP_FLOOR_CAP: u64 = 1_000_000;

/// Rules across parameters: each names the economic loop it closes. Every parameter set
/// inside its bounds must also satisfy these (`validate`), so no in-bounds set opens a free
/// loop.
pub const JOINT_RULES: [&str; 4] = [
    // buy, rebalance, sell, rebalance at one price: the keeper's discount on the delta moved
    // must not exceed the spot fee paid to move it (|delta| <= 1 per contract).
    "hedge.keeper_discount_bps <= trading.fee_spot_bps",
    // open at initial margin, then be liquidatable at once: maintenance must be the lower bar.
    "margin.mm_spot_shock_bps <= margin.im_spot_shock_bps",
    // a liquidator paid more than the margin floor could farm its own insolvent accounts.
    "margin.liquidation_penalty_bps x margin.keeper_penalty_share_bps / 10000 <= margin.min_margin_bps",
    // buy, the vol feed posts, sell: a post may move a price by no more than a half-spread.
    "vol.feed_max_step_vol_micro <= trading.spread_vol_micro",
];

impl RiskParams {
    /// The first joint rule this set breaks, if any.
    pub fn broken_rule(&self) -> Option<&'static str> {
        let (t, h, g) = (&self.trading, &self.hedge, &self.margin);
        let keeper_reward = u64::from(g.liquidation_penalty_bps)
            * u64::from(g.keeper_penalty_share_bps)
            / crate::constants::BPS;
        let ok = [
            h.keeper_discount_bps <= t.fee_spot_bps,
            g.mm_spot_shock_bps <= g.im_spot_shock_bps,
            keeper_reward <= u64::from(g.min_margin_bps),
            u64::from(self.vol.feed_max_step_vol_micro) <= t.spread_vol_micro,
        ];
        ok.iter().position(|ok| !ok).map(|i| JOINT_RULES[i])
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

    /// Every parameter inside its hard bounds, and every joint rule kept.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = self.out_of_bounds() {
            msg!("parameter out of bounds: {}", name);
            return err!(OptionsAmmError::ParamOutOfBounds);
        }
        if let Some(rule) = self.broken_rule() {
            msg!("parameters break the joint rule: {}", rule);
            return err!(OptionsAmmError::ParamsInconsistent);
        }
        Ok(())
    }

    /// The first parameter that moves too far in one step, if any: down by more than
    /// max(old / 2, min(span / 100, 10^6)), up by more than max(old, min(span / 10, 10^6)). A wide-range parameter
    /// can at most halve or double per timelocked step (a timelock of a day needs four steps,
    /// each waiting out the delay then in force, to reach an hour: 86,400, 43,200, 21,600,
    /// 9,540, 3,600); one near zero moves by a small share of its span.
    pub fn too_large_step(&self, new: &RiskParams) -> Option<&'static str> {
        let (old, new) = (self.values(), new.values());
        FIELDS.iter().zip(old.iter().zip(new)).find_map(|((name, lo, hi), (o, n))| {
            let span = hi - lo;
            // The share-of-span floor lets a parameter leave zero; it is capped at 10^6 so a
            // wide-range parameter (caps, sizes, bands) only halves or doubles.
            let max_step = if n < *o {
                (o / 2).max((span / 100).min(STEP_FLOOR_CAP))
            } else {
                (*o).max((span / 10).min(STEP_FLOOR_CAP))
            };
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
                skew_vega_micro: 160_000,       // 16 vol points per vega cap
                skew_gamma_micro: 2_400,        // 0.0024 x spot^2 per gamma cap
                skew_delta_micro: 2_000,        // 0.2% of spot per delta cap
                saturation_micro: 2_000_000,    // linear beyond two caps
                spread_vol_micro: 5_000,        // half a vol point
                spread_delta_vol_micro: 10_000,
                spread_expiry_vol_micro: 20_000,
                max_trade_size: 1_000_000_000_000, // 1,000 underlying at 9 decimals
                call_cap_multiple_bps: 20_000,
                near_expiry_secs: 86_400,
                trading_cutoff_secs: 3_600,
                min_abs_delta_bps: 200,
                max_abs_delta_bps: 9_800,
                fee_spot_bps: 3,
                fee_premium_bps: 100,
                protocol_fee_share_bps: 2_000,
                cache_max_age_secs: 120,
                cache_max_spot_move_bps: 100,
                lock_rate_at_cap_bps: 2_000, // 20% a year at the utilisation cap
                fade_secs: 3_600,
            },
            hedge: HedgeParams {
                delta_band_micro: 5_000_000,         // 5 underlying
                max_rebalance_size: 100_000_000_000, // 100 underlying at 9 decimals
                keeper_discount_bps: 3,
                max_unhedged_delta: 1_000,
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
            vol: VolParams {
                half_life_secs: 3_600,
                floor_ratio_bps: 10_000,
                breaker_ratio_bps: 30_000,
                feed_max_step_vol_micro: 5_000,
                feed_step_secs: 60,
                feed_max_age_secs: 86_400,
                mark_window_secs: 3_600,
                spread_gap_bps: 1_000,
                spread_age_vol_micro: 50,
                force_close_spread_vol_micro: 20_000,
                feed_rv_band_bps: 40_000,
                reserved: 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_is_inside_every_bound_and_keeps_every_joint_rule() {
        assert_eq!(RiskParams::reference().out_of_bounds(), None);
        assert_eq!(RiskParams::reference().broken_rule(), None);
    }

    #[test]
    fn the_table_names_each_field_by_its_path() {
        // Hand-written: the names the client, the IDL and the docs use.
        assert_eq!(FIELDS[0].0, "oracle_trade.max_age_secs");
        assert_eq!(FIELDS[9].0, "timelock_secs");
        assert_eq!(FIELDS[15].0, "trading.skew_delta_micro");
        assert_eq!(FIELDS[44].0, "margin.reserved");
        assert_eq!(FIELDS[50].0, "vol.feed_max_age_secs");
        assert_eq!(FIELDS[NUM_PARAMS - 1].0, "vol.reserved");
        assert_eq!(NUM_PARAMS, 57);
        let mut p = RiskParams::default();
        p.set(9, 7_200).unwrap();
        p.set(15, 123).unwrap();
        assert_eq!((p.timelock_secs, p.trading.skew_delta_micro), (7_200, 123));
    }

    #[test]
    fn every_parameter_outside_its_bound_is_refused_by_name() {
        let base = RiskParams::reference();
        let mut refused = 0;
        for (i, (name, lo, hi)) in FIELDS.iter().enumerate() {
            let mut outside = vec![];
            if *lo > 0 {
                outside.push(lo - 1);
            }
            outside.push(hi + 1);
            for v in outside {
                let mut p = base;
                if p.set(i, v).is_err() {
                    // Wider than the field's type: refused by `set` itself.
                    assert!(v > u64::from(u32::MAX), "{name}");
                    continue;
                }
                assert_eq!(p.out_of_bounds(), Some(*name), "{name} = {v}");
                assert!(p.validate().is_err());
                refused += 1;
            }
        }
        assert!(refused >= NUM_PARAMS, "{refused}");
    }

    #[test]
    fn each_joint_rule_is_refused_by_name() {
        let base = RiskParams::reference();
        type Case = fn(&mut RiskParams);
        let cases: [(usize, Case); 4] = [
            (0, |p| {
                p.trading.fee_spot_bps = 2;
                p.hedge.keeper_discount_bps = 3;
            }),
            (1, |p| p.margin.mm_spot_shock_bps = p.margin.im_spot_shock_bps + 1),
            (2, |p| {
                // 1,000 bps x 60% = 600 bps of reward > 500 bps of margin floor.
                p.margin.liquidation_penalty_bps = 1_000;
                p.margin.keeper_penalty_share_bps = 6_000;
            }),
            (3, |p| p.vol.feed_max_step_vol_micro = p.trading.spread_vol_micro as u32 + 1),
        ];
        for (rule, change) in cases {
            let mut p = base;
            change(&mut p);
            assert_eq!(p.out_of_bounds(), None);
            assert_eq!(p.broken_rule(), Some(JOINT_RULES[rule]));
            assert!(p.validate().is_err());
        }
    }

    #[test]
    fn steps_halve_or_double_at_most_with_a_share_of_the_span_near_zero() {
        let old = RiskParams::reference();
        let mut new = old;
        new.trading.fee_premium_bps = 300; // +200: within max(100, 200)
        assert_eq!(old.too_large_step(&new), None);
        new.trading.fee_premium_bps = 301;
        assert_eq!(old.too_large_step(&new), Some("trading.fee_premium_bps"));
        new.trading.fee_premium_bps = 50; // -50: half
        assert_eq!(old.too_large_step(&new), None);
        new.trading.fee_premium_bps = 49;
        assert_eq!(old.too_large_step(&new), Some("trading.fee_premium_bps"));
        // A day's timelock falls to half a day in one step, not to an hour.
        let mut new = old;
        new.timelock_secs = 43_200;
        assert_eq!(old.too_large_step(&new), None);
        new.timelock_secs = 3_600;
        assert_eq!(old.too_large_step(&new), Some("timelock_secs"));
        // A wide-range parameter only halves or doubles: the vega cap of 10^10 (10,000 quote per
        // vol) may go to 2 x 10^10, not to 10^17 (a tenth of its span).
        let mut new = old;
        new.trading.vega_cap_micro = 20_000_000_000;
        assert_eq!(old.too_large_step(&new), None);
        new.trading.vega_cap_micro = 20_000_000_001;
        assert_eq!(old.too_large_step(&new), Some("trading.vega_cap_micro"));
        // From zero, a wide-range parameter moves by at most 10^6 (one unit of a _micro field).
        let mut zero = old;
        zero.hedge.delta_band_micro = 0;
        let mut up = zero;
        up.hedge.delta_band_micro = 1_000_000;
        assert_eq!(zero.too_large_step(&up), None);
        up.hedge.delta_band_micro = 1_000_001;
        assert_eq!(zero.too_large_step(&up), Some("hedge.delta_band_micro"));
        // From zero, a tenth of the span up: 0 -> 200 bps of senior rate, not 201; and down to
        // zero from a small value by a hundredth of the span.
        let mut zero = old;
        zero.senior_target_rate_bps = 0;
        let mut up = zero;
        up.senior_target_rate_bps = 200;
        assert_eq!(zero.too_large_step(&up), None);
        up.senior_target_rate_bps = 201;
        assert_eq!(zero.too_large_step(&up), Some("senior_target_rate_bps"));
        let mut small = old;
        small.senior_target_rate_bps = 20;
        assert_eq!(small.too_large_step(&zero), None);
    }

    #[test]
    fn set_changes_exactly_the_named_parameter() {
        let base = RiskParams::reference();
        for (i, v) in base.values().into_iter().enumerate() {
            let mut p = base;
            p.set(i, v ^ 1).unwrap();
            let changed: Vec<usize> =
                (0..NUM_PARAMS).filter(|&j| p.values()[j] != base.values()[j]).collect();
            assert_eq!(changed, vec![i], "{}", FIELDS[i].0);
        }
        let mut p = base;
        assert!(p.set(NUM_PARAMS, 0).is_err());
        assert!(p.set(0, u64::from(u32::MAX) + 1).is_err());
    }
}
