use crate::error::OptionsAmmError;
use crate::events::BoardSettled;
use crate::math::fill::{collateral_for, max_payoff};
use crate::math::settle::{amount, payoff};
use crate::oracle;
use crate::state::{Board, Market, PodFx, CALL, PUT};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

#[derive(Accounts)]
pub struct SettleBoard<'info> {
    pub keeper: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = board.load()?.market == market.key() @ OptionsAmmError::WrongMarket)]
    pub board: AccountLoader<'info, Board>,
    /// CHECK: `oracle::read_settlement` checks identity, owner, layout and the window.
    pub oracle: UncheckedAccount<'info>,
}

/// Records a board's settlement price once, after expiry: the first valid price published at or
/// after expiry within the settlement window. Then, for every series: reserve what its longs
/// will be paid (rounded up), book what its shorts owe as a receivable (rounded down), release
/// the vault's locks, and remove the board from the aggregates.
/// Positions then settle one by one, in any order (`settle_position`).
pub fn handler(ctx: Context<SettleBoard>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    let mut b = ctx.accounts.board.load_mut()?;
    require!(b.settled == 0, OptionsAmmError::BoardSettled);
    require!(now >= b.expiry_ts, OptionsAmmError::BoardNotExpired);
    let px = oracle::read_settlement(&m, &ctx.accounts.oracle, b.expiry_ts)?;
    let (ud, qd, cap) =
        (m.underlying_decimals, m.quote_decimals, m.params.trading.call_cap_multiple_bps);

    let (mut payable, mut receivable, mut released) = (0u64, 0u64, 0u64);
    let n = b.num_strikes as usize;
    for s in b.strikes[..n].iter() {
        for kind in [CALL, PUT] {
            let k = kind as usize;
            let strike = s.strike.get();
            let p = payoff(kind, strike, px.price, cap)?;
            let long = s.open_interest[k];
            let short = u64::try_from(long as i128 + s.vault_position[k] as i128)
                .map_err(|_| OptionsAmmError::InvariantViolated)?;
            let add = |a: u64, b: u64| a.checked_add(b).ok_or(OptionsAmmError::MathOverflow);
            payable = add(payable, amount(long, p, ud, qd, true)?)?;
            receivable = add(receivable, amount(short, p, ud, qd, false)?)?;
            let vault_short =
                if s.vault_position[k] < 0 { s.vault_position[k].unsigned_abs() } else { 0 };
            released = add(
                released,
                collateral_for(vault_short, max_payoff(kind, strike, cap)?, ud, qd)?,
            )?;
        }
    }
    m.locked_quote =
        m.locked_quote.checked_sub(released).ok_or(OptionsAmmError::InvariantViolated)?;
    // Shorts pay from their margin accounts as their positions settle; until then what they owe
    // counts in NAV as a receivable.
    m.settlement_receivable =
        m.settlement_receivable.checked_add(receivable).ok_or(OptionsAmmError::MathOverflow)?;
    m.lp_quote =
        m.lp_quote.checked_sub(payable).ok_or(OptionsAmmError::InsufficientFreeLiquidity)?;
    m.settlement_payable =
        m.settlement_payable.checked_add(payable).ok_or(OptionsAmmError::MathOverflow)?;
    m.net_delta.replace_part(b.contrib_delta.get(), Fx::ZERO)?;
    m.net_gamma.replace_part(b.contrib_gamma.get(), Fx::ZERO)?;
    m.net_vega.replace_part(b.contrib_vega.get(), Fx::ZERO)?;
    m.options_value.replace_part(b.contrib_value.get(), Fx::ZERO)?;
    b.contrib_delta = PodFx::default();
    b.contrib_gamma = PodFx::default();
    b.contrib_vega = PodFx::default();
    b.contrib_value = PodFx::default();
    b.settlement_price = PodFx::of(px.price);
    b.payable = payable;
    b.receivable = receivable;
    b.settled = 1;
    m.active_boards = m.active_boards.checked_sub(1).ok_or(OptionsAmmError::InvariantViolated)?;
    b.invariant()?;
    m.invariant()?;
    emit!(BoardSettled {
        market: ctx.accounts.market.key(),
        board: ctx.accounts.board.key(),
        keeper: ctx.accounts.keeper.key(),
        settlement_price: px.price.to_bits(),
        publish_time: px.publish_time,
        payable,
        receivable,
        released,
    });
    Ok(())
}
