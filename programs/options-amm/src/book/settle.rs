//! Settling one position of a settled board: what its longs are paid and its shorts owe at
//! the settlement price, and how the two net against each other, the owner's collateral and
//! debt before anything leaves the vault.

use crate::error::OptionsAmmError;
use crate::math::safe::mul_div_floor;
use crate::math::safe::SafeMath;
use crate::math::settle::{amount, payoff};
use crate::math::value::Rounding;
use crate::state::{Board, MarginAccount, Market, Position, CALL, PUT};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

/// A position's gross amounts at the board's settlement price, quote raw units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PositionAmounts {
    /// What its longs are paid (rounded down, times the board's payout ratio).
    pub payout: u64,
    /// What its shorts owe (rounded up).
    pub owed: u64,
    /// Series it holds, and of them short.
    pub open: u8,
    pub shorts: u8,
}

/// The position's amounts; open interest on the board falls by its longs.
pub fn position_amounts(b: &mut Board, pos: &Position, ud: u8, qd: u8) -> Result<PositionAmounts> {
    let price = b.settlement_price.get();
    let cap = b.cap_multiple_bps;
    let mut out = PositionAmounts::default();
    let add = |x: u64, y: u64| x.safe_add(y);
    let mut gross = 0u64;
    for i in 0..b.num_strikes as usize {
        for kind in [CALL, PUT] {
            let k = kind as usize;
            let size = pos.sizes[i][k];
            if size == 0 {
                continue;
            }
            out.open += 1;
            let p = payoff(kind, b.strikes[i].strike.get(), price, cap)?;
            if size > 0 {
                gross = add(gross, amount(size as u64, p, ud, qd, Rounding::Down)?)?;
                let oi = &mut b.strikes[i].open_interest[k];
                *oi = oi.checked_sub(size as u64).ok_or(OptionsAmmError::OpenInterestUnderflow)?;
            } else {
                out.shorts += 1;
                out.owed = add(out.owed, amount(size.unsigned_abs(), p, ud, qd, Rounding::Up)?)?;
            }
        }
    }
    out.payout = scale_down(gross, b.payout_ratio.get())?;
    Ok(out)
}

/// `v` x `ratio` (at most 1), rounded down.
pub fn scale_down(v: u64, ratio: Fx) -> Result<u64> {
    if ratio >= Fx::ONE {
        return Ok(v);
    }
    const SCALE: u64 = 1 << 32;
    let r = (ratio.max(Fx::ZERO) * Fx::from_num(SCALE)).to_num::<u64>();
    mul_div_floor(v, r, SCALE)
}

/// Where a settled position's money goes, quote raw units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Netting {
    /// Of the payout: what pays the position's own shorts, and what repays earlier debt (both
    /// to the pool).
    pub payout_to_shorts: u64,
    pub debt_repaid: u64,
    /// What the shorts still owe after the payout, taken from the collateral (to the pool).
    pub from_collateral: u64,
    /// The rest of the payout: kept as collateral while the account still has shorts or debt,
    /// else paid to the owner's wallet.
    pub to_collateral: u64,
    pub to_wallet: u64,
    /// What neither covered: the account's new debt while it has other positions (their
    /// payouts repay it), else bad debt for the pool, with any earlier debt left unpaid.
    pub new_debt: u64,
    pub bad_debt: u64,
    /// Of `bad_debt`, the account's earlier debt written off.
    pub debt_written_off: u64,
}

/// Nets a position's amounts against the account: payout first to its own shorts, then to
/// earlier debt; collateral for what the shorts still owe. `others` says whether the account
/// keeps other positions, `shorts_after` whether it keeps shorts, once this one is settled.
pub fn net(
    a: &PositionAmounts,
    collateral: u64,
    debt: u64,
    others: bool,
    shorts_after: bool,
) -> Netting {
    let mut n = Netting::default();
    let mut payout = a.payout;
    n.payout_to_shorts = payout.min(a.owed);
    payout -= n.payout_to_shorts;
    let owed = a.owed - n.payout_to_shorts;
    n.from_collateral = owed.min(collateral);
    let shortfall = owed - n.from_collateral;
    n.debt_repaid = payout.min(debt);
    payout -= n.debt_repaid;
    let debt_left = debt - n.debt_repaid;
    if others {
        n.new_debt = shortfall;
    } else {
        // The account's last position: what nothing can pay any more is the pool's loss.
        n.debt_written_off = debt_left;
        n.bad_debt = shortfall + debt_left;
    }
    if shorts_after || (others && debt_left + n.new_debt > 0) {
        n.to_collateral = payout;
    } else {
        n.to_wallet = payout;
    }
    n
}

/// Writes off an account's debt once it holds no open series (nothing of its own can repay it
/// any more): the pool's receivable falls by it, so NAV stops counting it. Returns the amount.
pub fn write_off_orphaned_debt(m: &mut Market, acc: &mut MarginAccount) -> Result<u64> {
    if acc.open_series > 0 || acc.debt == 0 {
        return Ok(0);
    }
    let bad = acc.debt;
    acc.debt = 0;
    m.settlement_receivable =
        m.settlement_receivable.checked_sub(bad).ok_or(OptionsAmmError::ReceivableUnderflow)?;
    Ok(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts(payout: u64, owed: u64) -> PositionAmounts {
        PositionAmounts { payout, owed, open: 2, shorts: 1 }
    }

    #[test]
    fn longs_pay_the_shorts_of_the_same_position_before_anything_leaves() {
        // 500 paid to longs, 300 owed by shorts, no collateral: 300 nets, 200 to the wallet.
        let n = net(&amounts(500, 300), 0, 0, false, false);
        assert_eq!((n.payout_to_shorts, n.from_collateral, n.to_wallet), (300, 0, 200));
        assert_eq!((n.new_debt, n.bad_debt), (0, 0));
    }

    #[test]
    fn while_shorts_remain_elsewhere_the_payout_stays_as_collateral() {
        let n = net(&amounts(500, 0), 40, 0, true, true);
        assert_eq!((n.to_collateral, n.to_wallet), (500, 0));
    }

    #[test]
    fn a_shortfall_with_other_positions_becomes_debt_and_later_payouts_repay_it() {
        // 100 owed, 30 of collateral: 70 of debt, the account keeps a position elsewhere.
        let n = net(&amounts(0, 100), 30, 0, true, false);
        assert_eq!((n.from_collateral, n.new_debt, n.bad_debt), (30, 70, 0));
        // Its next payout of 100 repays the 70 first; with nothing left, 30 to the wallet.
        let n = net(&PositionAmounts { payout: 100, ..Default::default() }, 0, 70, false, false);
        assert_eq!((n.debt_repaid, n.to_wallet, n.bad_debt), (70, 30, 0));
    }

    #[test]
    fn the_last_position_writes_off_what_nothing_can_pay() {
        let n = net(&amounts(10, 100), 30, 25, false, false);
        // 10 nets, 30 from collateral, 60 short of the 100; the 25 of old debt is unpaid too.
        assert_eq!((n.payout_to_shorts, n.from_collateral, n.bad_debt), (10, 30, 85));
        assert_eq!(n.debt_written_off, 25);
        assert_eq!((n.to_wallet, n.to_collateral, n.new_debt), (0, 0, 0));
    }

    #[test]
    fn a_payout_ratio_below_one_scales_down() {
        assert_eq!(scale_down(1_000, Fx::ONE / 2).unwrap(), 500);
        assert_eq!(scale_down(1_000, Fx::ONE).unwrap(), 1_000);
        assert_eq!(scale_down(999, Fx::ONE / 3).unwrap(), 332); // 333 - rounding down
    }
}
