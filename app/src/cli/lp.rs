//! LP commands: deposit into and withdraw from a tranche, show holdings.

use crate::backend::Result;
use crate::quote::to_raw;
use anchor_lang::error::Error;
use clap::{Subcommand, ValueEnum};
use options_amm::client;
use options_amm::error::OptionsAmmError;
use options_amm::state::{JUNIOR, SENIOR};
use options_amm_pricing::Fx;
use serde_json::{json, Value};

use super::*;

#[derive(Clone, Copy, ValueEnum)]
pub enum Tranche {
    Senior,
    Junior,
}

impl Tranche {
    pub(crate) fn index(self) -> options_amm::Tranche {
        match self {
            Tranche::Senior => SENIOR,
            Tranche::Junior => JUNIOR,
        }
    }
}

#[derive(Subcommand)]
pub enum Lp {
    /// Deposits quote into a tranche at NAV.
    Deposit {
        #[arg(long, value_enum)]
        tranche: Tranche,
        amount: String,
        /// Refuse fewer shares (whole shares).
        #[arg(long, default_value = "0")]
        min_shares: String,
    },
    /// Burns shares (whole shares, decimals allowed; `all` for every share) for quote at NAV.
    Withdraw {
        #[arg(long, value_enum)]
        tranche: Tranche,
        shares: String,
        #[arg(long, default_value = "0")]
        min_amount: String,
    },
    /// Your shares, their value and each tranche's NAV and share price.
    Show,
}

// ---------------------------------------------------------------- LP

pub(crate) fn lp(c: &mut Ctx, cmd: Lp) -> Result<Value> {
    let (k, m) = market(c)?;
    let (w, mut ixs) = my_wallet(c, &k)?;
    let boards = active(c, &k.market)?;
    let qd = m.quote_decimals;
    match cmd {
        Lp::Deposit { tranche, amount, min_shares } => {
            let amount = to_raw(&amount, qd, "amount")?;
            let t = tranche.index();
            wallet_covers(c, &w.quote, amount, qd, "the deposit is")?;
            let before = balance(c, &w.shares[t as usize])?;
            let min_shares = if min_shares == "0" {
                0
            } else {
                to_raw(&min_shares, qd + SHARE_DECIMALS_OFFSET, "min shares")?
            };
            ixs.push(client::deposit(&k, &w, t, amount, min_shares, &boards));
            c.b.send(&ixs, &[])?;
            let got = balance(c, &w.shares[t as usize])?.saturating_sub(before);
            Ok(json!({
                "deposited": units(amount, qd),
                "shares_minted": units(got, qd + SHARE_DECIMALS_OFFSET),
            }))
        }
        Lp::Withdraw { tranche, shares, min_amount } => {
            let t = tranche.index();
            let held = balance(c, &w.shares[t as usize])?;
            let sd = qd + SHARE_DECIMALS_OFFSET;
            let shares = if shares == "all" { held } else { to_raw(&shares, sd, "shares")? };
            if shares > held {
                return Err(CliError::Input(format!(
                    "you hold {} {} shares, fewer than the {} asked",
                    units(held, sd),
                    if t == options_amm::Tranche::Senior { "senior" } else { "junior" },
                    units(shares, sd)
                )));
            }
            let min = if min_amount == "0" { 0 } else { to_raw(&min_amount, qd, "min amount")? };
            let before = balance(c, &w.quote)?;
            ixs.push(client::withdraw(&k, &w, t, shares, min, &boards));
            c.b.send(&ixs, &[])?;
            let got = balance(c, &w.quote)?.saturating_sub(before);
            Ok(json!({ "shares_burned": units(shares, sd), "received": units(got, qd) }))
        }
        Lp::Show => {
            // What a withdrawal would pay now, as the program values it: NAV less the refresh
            // band of the active boards, what expired shorts still owe and the inventory
            // potential the pool owes back.
            let now = c.b.now()?;
            let s = spot(c, &m)?;
            // The checks an LP flow makes of each active board, then its valuation, each
            // refusal the program's own by name.
            let valued = (|| -> Result<_> {
                let mut accrued = m;
                let mut band = Fx::ZERO;
                let rate = m.effective_params(now).risk_free_rate_bps;
                let t = &m.params.trading;
                for (_, b) in self::boards(c, &k.market)? {
                    if !b.is_active() {
                        continue;
                    }
                    if now >= b.expiry_ts {
                        return Err(Error::from(OptionsAmmError::BoardAwaitingSettlement).into());
                    }
                    if b.cache_is_stale(now, s, t.cache_max_age_secs, t.cache_max_spot_move_bps) {
                        return Err(Error::from(OptionsAmmError::StaleGreekCache).into());
                    }
                    let part = options_amm::book::valuation::board_band(
                        &b,
                        now,
                        s,
                        rate,
                        m.params.vol.mark_window_secs,
                        m.underlying_decimals,
                    )?;
                    band = band.checked_add(part).ok_or("band overflow")?;
                }
                let v = options_amm::book::valuation::LpValuation::new(&accrued, s, band, now)?;
                let juniors = supply(c, &k.share_mints[JUNIOR as usize])?;
                accrued.accrue(now, v.reference_nav(&accrued), juniors)?;
                Ok(v.for_withdrawal(&accrued, accrued.tranches[SENIOR as usize].claim))
            })();
            // A stale greek cache or a board awaiting settlement leaves NAV unknown until a
            // keeper's pass (as the program refuses LP flows then): the shares are still shown,
            // with why.
            let mut out = vec![];
            for t in [SENIOR, JUNIOR] {
                let supply = supply(c, &k.share_mints[t as usize])?;
                let mine = balance(c, &w.shares[t as usize])?;
                let mut row = json!({
                    "tranche": if t == SENIOR { "senior" } else { "junior" },
                    "share_supply": units(supply, qd + SHARE_DECIMALS_OFFSET),
                    "your_shares": units(mine, qd + SHARE_DECIMALS_OFFSET),
                    "nav": null,
                    "share_price": null,
                    "your_value": null,
                });
                if let Ok(values) = &valued {
                    let value = values.get(t);
                    let worth = if mine == 0 {
                        0
                    } else {
                        options_amm::math::tranche::amount_for_shares(mine, value, supply)
                            .map_err(|e| e.to_string())?
                    };
                    row["nav"] = json!(units(value, qd));
                    // Shares carry SHARE_DECIMALS_OFFSET more decimals than the quote token.
                    row["share_price"] = json!(if supply == 0 {
                        0.0
                    } else {
                        value as f64 * 1000.0 / supply as f64
                    });
                    row["your_value"] = json!(units(worth, qd));
                }
                out.push(row);
            }
            let wallet = json!({ "quote": units(balance(c, &w.quote)?, qd) });
            let mut v = json!({ "owner": w.owner.to_string(), "wallet": wallet, "tranches": out });
            if let Err(why) = valued {
                v["unknown"] = json!(format!("{why} (a keeper's pass values the pool again)"));
            }
            Ok(v)
        }
    }
}
