//! The market: one underlying/quote pair, its vaults, oracle, tranches, books and parameters.
//! Zero-copy, with reserved space for later fields and a size assertion.

use super::params::{PricingParams, RiskParams};
use super::pod::PodFx;
use super::seeds;
use crate::constants::JUNIOR_ACCRUAL_FLOOR_SHARES;
use crate::error::OptionsAmmError;
use crate::math::realised_vol::RealisedVol;
use crate::math::safe::SafeMath;
use crate::math::tranche::{accrue_claim, split, TrancheValues};
use crate::math::value::{quote_raw, underlying_value_in_quote, Rounding};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// An LP tranche: the market's `tranches` are indexed by it (`tranche as usize`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tranche {
    /// Paid first, up to its claim (accruing at the target rate).
    Senior,
    /// The residual: first loss, every gain above the senior claim.
    Junior,
}

pub const SENIOR: Tranche = Tranche::Senior;
pub const JUNIOR: Tranche = Tranche::Junior;

/// Pause flags (bit set = paused).
pub const PAUSE_TRADING: u8 = 1;
pub const PAUSE_DEPOSITS: u8 = 1 << 1;
pub const PAUSE_WITHDRAWALS: u8 = 1 << 2;
pub const PAUSE_ALL: u8 = PAUSE_TRADING | PAUSE_DEPOSITS | PAUSE_WITHDRAWALS;

/// Most boards a market lists at once (bounds the accounts an LP flow or rebalance passes).
pub const MAX_ACTIVE_BOARDS: u8 = 12;

/// The kind of oracle account a market reads (stored as a `u8` in the zero-copy market).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OracleKind {
    /// A legacy (push) Pyth price account, owned by the Pyth oracle program.
    PythLegacy,
    /// A pull-oracle `PriceUpdateV2` account, owned by the Pyth receiver program.
    PythPull,
}

pub const ORACLE_PYTH_LEGACY: OracleKind = OracleKind::PythLegacy;
pub const ORACLE_PYTH_PULL: OracleKind = OracleKind::PythPull;

impl OracleKind {
    pub fn from_u8(v: u8) -> Result<Self> {
        match v {
            0 => Ok(OracleKind::PythLegacy),
            1 => Ok(OracleKind::PythPull),
            _ => err!(OptionsAmmError::InvalidOracleKind),
        }
    }
}

#[zero_copy]
#[derive(Debug, Default)]
pub struct TrancheState {
    /// SPL share mint; its mint authority is the market PDA.
    pub share_mint: Pubkey,
    /// Senior only: the accrued claim on pool NAV, quote units (0 for junior, which holds the
    /// residual).
    pub claim: u64,
    pub share_mint_bump: u8,
    pub padding: [u8; 7],
}

/// The market's realised-vol estimate as stored (`math::realised_vol::RealisedVol`).
#[zero_copy]
#[derive(Debug, Default)]
pub struct VolEstimate {
    pub variance: PodFx,
    pub vol: PodFx,
    pub log_price: PodFx,
    pub publish_time: i64,
    pub span_secs: i64,
    pub samples: u64,
}

impl VolEstimate {
    pub fn get(&self) -> RealisedVol {
        RealisedVol {
            variance: self.variance.get(),
            vol: self.vol.get(),
            log_price: self.log_price.get(),
            publish_time: self.publish_time,
            span_secs: self.span_secs,
            samples: self.samples,
        }
    }

    pub fn set(&mut self, v: &RealisedVol) {
        self.variance = PodFx::of(v.variance);
        self.vol = PodFx::of(v.vol);
        self.log_price = PodFx::of(v.log_price);
        self.publish_time = v.publish_time;
        self.span_secs = v.span_secs;
        self.samples = v.samples;
    }
}

#[account(zero_copy)]
#[derive(Debug)]
pub struct Market {
    pub config: Pubkey,
    pub underlying_mint: Pubkey,
    pub quote_mint: Pubkey,
    /// PDA-owned token accounts `[UNDERLYING_VAULT, market]` and `[QUOTE_VAULT, market]`.
    pub underlying_vault: Pubkey,
    pub quote_vault: Pubkey,
    pub underlying_token_program: Pubkey,
    pub quote_token_program: Pubkey,
    /// Pyth price account (legacy) or price update account (pull) of the underlying, priced in
    /// the quote asset.
    pub oracle: Pubkey,
    /// Pull oracles: the feed id every update must carry. Zero for legacy accounts.
    pub oracle_feed_id: [u8; 32],
    pub tranches: [TrancheState; 2],
    pub params: RiskParams,
    /// Quote units the LP pool owns on its books (deposits - withdrawals + P&L). NAV is computed
    /// from the books, never from the vault's token balance, so donations cannot move it.
    pub lp_quote: u64,
    /// Underlying units (raw) the pool owns: its delta hedge.
    pub lp_underlying: u64,
    /// Quote units locked to pay the options the vault has sold.
    pub locked_quote: u64,
    /// Quote units of trader collateral (owed to traders, not the pool's).
    pub trader_collateral: u64,
    /// Accrued protocol fees, quote units (not the pool's).
    pub protocol_fees: u64,
    /// Unix time of the last senior-claim accrual.
    pub last_accrual_ts: i64,
    pub underlying_decimals: u8,
    pub quote_decimals: u8,
    pub oracle_kind: u8,
    pub paused: u8,
    pub bump: u8,
    pub underlying_vault_bump: u8,
    pub quote_vault_bump: u8,
    /// Boards listed and not yet settled (at most `MAX_ACTIVE_BOARDS`). Actions that depend on
    /// every board's cache (LP flows, rebalancing) take them all as remaining accounts.
    pub active_boards: u8,
    /// The vault's aggregate greeks over every board (its own book, + = long): net delta in
    /// underlying units, net gamma per underlying unit, net vega in quote per 1.00 vol.
    /// Refreshes replace a board's contribution; trades add theirs incrementally.
    pub net_delta: PodFx,
    pub net_gamma: PodFx,
    pub net_vega: PodFx,
    /// Value of the vault's option positions at the cached marks, quote whole units (+ = the
    /// vault is long value). Maintained like the greeks: refreshes replace a board's part,
    /// trades add theirs.
    pub options_value: PodFx,
    /// Quote reserved at settlement for expired longs not yet paid (owed to traders).
    pub settlement_payable: u64,
    /// Quote owed to the pool by expired shorts not yet settled (held in their collateral).
    pub settlement_receivable: u64,
    /// A proposed parameter change: executable from `pending_eta` until `pending_expiry`
    /// (both 0 when none is pending). A newer proposal replaces it.
    pub pending_eta: i64,
    pub pending_expiry: i64,
    pub pending_params: RiskParams,
    /// LP fees booked into the pool so far, quote raw units (for reporting): counted when paid.
    pub lp_fees: u64,
    /// The slot and publish time of the oracle print the market last priced with: within one
    /// slot every price-taking instruction must use that same print, so a stale print cannot be
    /// traded and then replaced by a newer one in the same transaction.
    pub price_slot: u64,
    pub price_publish_time: i64,
    /// Inventory moves no trade paid for (delta, gamma, vega), as they stood at `fade_start_ts`,
    /// fading linearly to zero at `fade_end_ts`. The potential prices trades at the aggregates
    /// less what is still fading (`pricing_inventory`).
    pub fade: [PodFx; 3],
    pub fade_start_ts: i64,
    pub fade_end_ts: i64,
    /// The pricing parameters in force before the last change, and when it was executed: the
    /// change fades in over `fade_secs` (`effective_params`).
    pub prev_pricing: PricingParams,
    pub params_changed_ts: i64,
    /// Realised vol from the oracle's prints, updated by every instruction that reads a new
    /// print (`observe_price`) and by the `update_vol` crank.
    pub realised_vol: VolEstimate,
    /// The key that may post this market's vol surfaces (`post_vol_surface`); default = none:
    /// the surfaces stay as listed. Changed by governance after the market's timelock
    /// (`propose_vol_feed`, `execute_vol_feed`).
    pub vol_feed: Pubkey,
    pub pending_vol_feed: Pubkey,
    /// When the pending vol feed may be executed (0: none pending).
    pub vol_feed_eta: i64,
    /// The senior target rate in force before the last `execute_params` (at
    /// `params_changed_ts`): the next accrual applies it up to the change.
    pub prev_senior_rate_bps: u64,
    /// Quote raw units the pool has absorbed as bad debt since the market opened: what
    /// liquidations, settlements and the write-off of an emptied account's debt could not
    /// collect (the sum of the `BadDebt` events), for LPs and governors to read on chain.
    pub bad_debt_total: u64,
    /// The pool's net from liquidation penalties since the market opened, quote raw units:
    /// the penalties it kept less what it paid liquidators where an account could not
    /// (negative when insolvent accounts cost it more than solvent ones paid).
    pub liquidation_penalties_net: i64,
    pub reserved: [u64; 1],
}

const _: () = assert!(core::mem::size_of::<Market>() == 1_432);
const _: () = assert!(core::mem::size_of::<VolEstimate>() == 72);
const _: () = assert!(core::mem::size_of::<TrancheState>() == 48);

impl Market {
    pub const SPACE: usize = 8 + core::mem::size_of::<Market>();

    pub fn tranche(&self, tranche: Tranche) -> &TrancheState {
        &self.tranches[tranche as usize]
    }

    /// The market's oracle kind.
    pub fn oracle_kind(&self) -> Result<OracleKind> {
        OracleKind::from_u8(self.oracle_kind)
    }

    pub fn is_paused(&self, flag: u8) -> bool {
        self.paused & flag != 0
    }

    /// Quote tokens the quote vault must hold at least: the pool's, the traders' collateral,
    /// the fees and the payouts reserved for expired longs.
    pub fn quote_books(&self) -> Result<u64> {
        self.lp_quote
            .safe_add(self.trader_collateral)?
            .safe_add(self.protocol_fees)?
            .safe_add(self.settlement_payable)
    }

    /// Pool NAV in quote raw units at `price` (quote per whole underlying): pool quote, plus
    /// its underlying at the oracle, plus the vault's option positions at the cached marks
    /// (negative when it is net short), plus what expired shorts still owe it. Rounds down.
    pub fn nav(&self, price: Fx) -> Result<i128> {
        let hedge = underlying_value_in_quote(
            self.lp_underlying,
            price,
            self.underlying_decimals,
            self.quote_decimals,
        )?;
        let options = signed_quote_raw_floor(self.options_value.get(), self.quote_decimals)?;
        Ok(self.lp_quote as i128 + hedge as i128 + options + self.settlement_receivable as i128)
    }

    /// Brings the senior claim up to `now` at the target rate (the rate before a parameter
    /// change up to it, the new one after), but never past `reference` (the pool's LP reference
    /// value, quote units) less the junior floor by accrual: the target return is paid out of
    /// the junior tranche's residual, and only until the junior share price is down to
    /// [`JUNIOR_ACCRUAL_FLOOR_SHARES`] a unit (a tenth of its initial price), reckoned on the
    /// junior mint's live supply `junior_supply` (every LP flow reads the junior mint: shares a
    /// holder burns outside the program stop counting at once, so burned shares cannot lift
    /// the floor and switch the target off). So accrual alone never leaves juniors with shares
    /// and no value (which refuses every junior deposit, `TrancheWipedOut`), however few the
    /// juniors' shares (one raw unit deposited into a pool of seniors alone, say); only a loss
    /// can. Without any ceiling, a pool with seniors and no
    /// juniors would accrue a claim above its own value within seconds and refuse every junior
    /// deposit as a shortfall. A claim already above the ceiling (a loss) stays as it is.
    pub fn accrue(&mut self, now: i64, reference: i128, junior_supply: u64) -> Result<()> {
        let last = self.last_accrual_ts;
        if now <= last {
            return Ok(());
        }
        let claim = self.tranches[SENIOR as usize].claim;
        let rate = self.params.senior_target_rate_bps;
        let accrued = if self.params_changed_ts > last {
            let change = self.params_changed_ts.min(now);
            let old = u32::try_from(self.prev_senior_rate_bps)
                .map_err(|_| OptionsAmmError::MathOverflow)?;
            let at_change = accrue_claim(claim, old, change - last)?;
            accrue_claim(at_change, rate, now - change)?
        } else {
            accrue_claim(claim, rate, now - last)?
        };
        let floor = junior_supply.div_ceil(JUNIOR_ACCRUAL_FLOOR_SHARES);
        let ceiling = reference.saturating_sub(floor as i128);
        let ceiling = u64::try_from(ceiling.max(0)).unwrap_or(u64::MAX);
        self.tranches[SENIOR as usize].claim = accrued.min(ceiling.max(claim));
        self.last_accrual_ts = now;
        Ok(())
    }

    /// NAV and its waterfall split at `price`.
    pub fn tranche_values(&self, price: Fx) -> Result<(i128, TrancheValues)> {
        let nav = self.nav(price)?;
        Ok((nav, split(nav, self.tranches[SENIOR as usize].claim)))
    }

    /// The seeds the market PDA signs with.
    pub fn signer_seeds(&self) -> MarketSeeds {
        MarketSeeds {
            config: self.config.to_bytes(),
            underlying: self.underlying_mint.to_bytes(),
            quote: self.quote_mint.to_bytes(),
            bump: [self.bump],
        }
    }

    /// Free (unlocked) pool quote: what withdrawals may take.
    pub fn free_quote(&self) -> u64 {
        self.lp_quote.saturating_sub(self.locked_quote)
    }

    /// How far the pool's quote falls short of its locks (zero unless bad debt took it there).
    pub fn lock_shortfall(&self) -> u64 {
        self.locked_quote.saturating_sub(self.lp_quote)
    }

    /// Records the oracle print (`price`, published at `publish_time`) used in `slot`; refuses
    /// (`OraclePriceChangedInSlot`) a print other than the one already used in the same slot.
    /// A print newer than the estimator's last enters the realised-vol estimate.
    pub fn observe_price(&mut self, slot: u64, publish_time: i64, price: Fx) -> Result<()> {
        if slot == self.price_slot && self.price_publish_time != 0 {
            require!(
                publish_time == self.price_publish_time,
                OptionsAmmError::OraclePriceChangedInSlot
            );
        }
        self.price_slot = slot;
        self.price_publish_time = publish_time;
        self.observe_vol(publish_time, price)
    }

    /// Enters a print newer than the estimator's last into the realised-vol estimate.
    pub fn observe_vol(&mut self, publish_time: i64, price: Fx) -> Result<()> {
        let est = self.realised_vol.get();
        if est.publish_time == 0 || publish_time > est.publish_time {
            let next = est.observe(price, publish_time, self.params.vol.half_life_secs)?;
            self.realised_vol.set(&next);
        }
        Ok(())
    }

    /// The realised vol once the estimate is mature (None before).
    pub fn mature_realised_vol(&self) -> Option<Fx> {
        let est = self.realised_vol.get();
        est.is_mature(self.params.vol.half_life_secs).then_some(est.vol)
    }

    /// What is still fading in at `now` of the unpriced inventory moves.
    pub fn fading(&self, now: i64) -> Result<options_amm_pricing::Inventory> {
        let left = self.fade_end_ts.saturating_sub(now);
        let span = self.fade_end_ts.saturating_sub(self.fade_start_ts);
        if left <= 0 || span <= 0 {
            return Ok(options_amm_pricing::Inventory::default());
        }
        // left / span by an integer division (no 128-by-128 fixed-point division).
        let share = Fx::from_num(left.min(span))
            .checked_div_int(span as i128)
            .ok_or_else(|| error!(OptionsAmmError::MathOverflow))?;
        let part = |p: &PodFx| p.get().safe_mul(share);
        Ok(options_amm_pricing::Inventory {
            net_delta: part(&self.fade[0])?,
            net_gamma: part(&self.fade[1])?,
            net_vega: part(&self.fade[2])?,
        })
    }

    /// The inventory the potential prices a trade at: the aggregates less what is still
    /// fading in. Only trades move it at a fixed time, so any closed loop of trades pays at
    /// least its spreads and fees whatever else happens in between.
    pub fn pricing_inventory(&self, now: i64) -> Result<options_amm_pricing::Inventory> {
        let f = self.fading(now)?;
        let i = self.inventory();
        let d = |a: Fx, b: Fx| a.safe_sub(b);
        Ok(options_amm_pricing::Inventory {
            net_delta: d(i.net_delta, f.net_delta)?,
            net_gamma: d(i.net_gamma, f.net_gamma)?,
            net_vega: d(i.net_vega, f.net_vega)?,
        })
    }

    /// The parameters prices are computed with at `now`: the current ones, except that the
    /// pricing parameters (`PricingParams`) of the last change are still fading in from their
    /// old values for `fade_secs` after it, so at one time a change moves no price.
    pub fn effective_params(&self, now: i64) -> RiskParams {
        let span = i64::from(self.params.trading.fade_secs);
        let done = now.saturating_sub(self.params_changed_ts);
        if self.params_changed_ts == 0 || done >= span || span <= 0 {
            return self.params;
        }
        self.prev_pricing.blend_into(&self.params, done.max(0), span)
    }

    /// Adds `amount` (quote raw units) to the bad debt the pool has absorbed. The two running
    /// totals only report: they saturate rather than fail, so no liquidation or settlement can
    /// ever be refused for them.
    pub fn record_bad_debt(&mut self, amount: u64) {
        self.bad_debt_total = self.bad_debt_total.saturating_add(amount);
    }

    /// Books a liquidation's penalty: `kept` by the pool from the account, `paid_out` to the
    /// liquidator (quote raw units); saturating, as `record_bad_debt`.
    pub fn record_liquidation_penalty(&mut self, kept: u64, paid_out: u64) {
        let net = i128::from(kept) - i128::from(paid_out);
        let total = i128::from(self.liquidation_penalties_net).saturating_add(net);
        self.liquidation_penalties_net = total.clamp(i64::MIN.into(), i64::MAX.into()) as i64;
    }

    /// Records an inventory move no trade paid for (the aggregates were `before` it): it is
    /// added to what is fading in, which restarts its fade of `fade_secs`. The inventory the
    /// potential prices at does not move now.
    pub fn record_unpriced_move(
        &mut self,
        now: i64,
        before: options_amm_pricing::Inventory,
    ) -> Result<()> {
        let fading = self.fading(now)?;
        let after = self.inventory();
        // What still fades, plus the move just made.
        let moved = |f: Fx, a: Fx, b: Fx| a.safe_sub(b)?.safe_add(f);
        self.fade = [
            PodFx::of(moved(fading.net_delta, after.net_delta, before.net_delta)?),
            PodFx::of(moved(fading.net_gamma, after.net_gamma, before.net_gamma)?),
            PodFx::of(moved(fading.net_vega, after.net_vega, before.net_vega)?),
        ];
        self.fade_start_ts = now;
        self.fade_end_ts = now.safe_add(i64::from(self.params.trading.fade_secs))?;
        Ok(())
    }

    /// The vault's aggregate greeks as the pricing crate takes them.
    pub fn inventory(&self) -> options_amm_pricing::Inventory {
        options_amm_pricing::Inventory {
            net_delta: self.net_delta.get(),
            net_gamma: self.net_gamma.get(),
            net_vega: self.net_vega.get(),
        }
    }

    /// The state's own consistency: called after every change.
    pub fn invariant(&self) -> Result<()> {
        // Locks can exceed pool quote only after bad debt (liquidation and settlement must go
        // through even then); voluntary actions are held to the utilisation cap and to free
        // quote instead.
        require!(self.active_boards <= MAX_ACTIVE_BOARDS, OptionsAmmError::TooManyActiveBoards);
        require!(self.paused & !PAUSE_ALL == 0, OptionsAmmError::UnknownPauseFlag);
        OracleKind::from_u8(self.oracle_kind)?;
        require!(self.tranches[JUNIOR as usize].claim == 0, OptionsAmmError::JuniorClaim);
        require!(
            self.tranches[0].share_mint != self.tranches[1].share_mint
                && self.underlying_mint != self.quote_mint,
            OptionsAmmError::MintsNotDistinct
        );
        let params = self.params.validate().is_ok()
            && (self.pending_eta == 0 || self.pending_params.validate().is_ok());
        require!(params, OptionsAmmError::ParamsOutOfBounds);
        self.quote_books()?;
        Ok(())
    }
}

/// Owned copies of the market PDA's seeds, so a CPI can be signed after the account's data
/// borrow has been released.
pub struct MarketSeeds {
    config: [u8; 32],
    underlying: [u8; 32],
    quote: [u8; 32],
    bump: [u8; 1],
}

impl MarketSeeds {
    pub fn as_slices(&self) -> [&[u8]; 5] {
        [seeds::MARKET, &self.config, &self.underlying, &self.quote, &self.bump]
    }
}

/// A signed amount of whole quote tokens as raw units, rounded toward minus infinity.
fn signed_quote_raw_floor(v: Fx, decimals: u8) -> Result<i128> {
    if v >= 0 {
        Ok(quote_raw(v, decimals, Rounding::Down)? as i128)
    } else {
        Ok(-(quote_raw(-v, decimals, Rounding::Up)? as i128))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The running totals report and never refuse: at their ends they stay there.
    #[test]
    fn the_bad_debt_and_penalty_totals_add_up_and_saturate_instead_of_failing() {
        let mut m: Market = bytemuck::Zeroable::zeroed();
        m.record_bad_debt(7);
        m.record_liquidation_penalty(0, 300);
        m.record_liquidation_penalty(500, 200);
        assert_eq!((m.bad_debt_total, m.liquidation_penalties_net), (7, 0));
        m.record_bad_debt(u64::MAX);
        m.record_liquidation_penalty(u64::MAX, 0);
        m.record_liquidation_penalty(u64::MAX, 0);
        assert_eq!((m.bad_debt_total, m.liquidation_penalties_net), (u64::MAX, i64::MAX));
        m.record_liquidation_penalty(0, u64::MAX);
        m.record_liquidation_penalty(0, u64::MAX);
        m.record_liquidation_penalty(0, u64::MAX);
        assert_eq!(m.liquidation_penalties_net, i64::MIN);
    }
}
