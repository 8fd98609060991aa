use crate::error::OptionsAmmError;
use crate::events::BoardSettled;
use crate::math::fill::series_lock;
use crate::math::safe::SafeMath;
use crate::math::settle::{amount, payoff};
use crate::math::value::Rounding;
use crate::oracle::{self, SettlementSource};
use crate::state::{Board, BoardStatus, Market, PodFx, CALL, PUT};
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

/// Records a board's settlement price once, after expiry, from the first valid print of the
/// settlement window that any keeper submits (or, once the window has passed without one, the
/// first fresh valid print after it: the bounded fallback). Then, for every series: reserve
/// what its longs will be paid (rounded up) from the pool's quote, which the lock of their
/// maximum payoff guarantees (only bad debt can leave less: then every long is paid the same
/// share of what there is), book what trader shorts owe as a receivable (rounded down),
/// release the series' lock, and remove the board from the aggregates. Positions then settle
/// one by one, in any order (`settle_position`).
pub fn settle_board_handler(ctx: Context<SettleBoard>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    let mut b = ctx.accounts.board.load_mut()?;
    match b.status()? {
        BoardStatus::Active => {}
        BoardStatus::Settled => return err!(OptionsAmmError::BoardSettled),
        BoardStatus::Delisted => return err!(OptionsAmmError::BoardNotActive),
    }
    require!(now >= b.expiry_ts, OptionsAmmError::BoardNotExpired);
    let (px, source) = oracle::read_settlement(&m, &ctx.accounts.oracle, b.expiry_ts, now)?;
    let (ud, qd, cap) = (m.underlying_decimals, m.quote_decimals, b.cap_multiple_bps);

    let (mut payable, mut receivable, mut released) = (0u64, 0u64, 0u64);
    let n = b.num_strikes as usize;
    for s in b.strikes[..n].iter() {
        for kind in [CALL, PUT] {
            let k = kind as usize;
            let strike = s.strike.get();
            let p = payoff(kind, strike, px.price, cap)?;
            let long = s.open_interest[k];
            let short = u64::try_from(long as i128 + s.vault_position[k] as i128)
                .map_err(|_| OptionsAmmError::ShortsBelowLongs)?;
            payable = payable.safe_add(amount(long, p, ud, qd, Rounding::Up)?)?;
            receivable = receivable.safe_add(amount(short, p, ud, qd, Rounding::Down)?)?;
            released = released.safe_add(series_lock(kind, strike, cap, long, ud, qd)?)?;
        }
    }
    m.locked_quote =
        m.locked_quote.checked_sub(released).ok_or(OptionsAmmError::LockedQuoteUnderflow)?;
    // Shorts pay from their margin accounts as their positions settle; until then what they owe
    // counts in NAV as a receivable (LP withdrawals do not count it).
    m.settlement_receivable = m.settlement_receivable.safe_add(receivable)?;
    let reserved = payable.min(m.lp_quote);
    let ratio =
        if reserved < payable { Fx::from_num(reserved) / Fx::from_num(payable) } else { Fx::ONE };
    m.lp_quote = m.lp_quote.safe_sub(reserved)?;
    m.settlement_payable = m.settlement_payable.safe_add(reserved)?;
    let before = m.inventory();
    m.net_delta.replace_part(b.contrib_delta.get(), Fx::ZERO)?;
    m.net_gamma.replace_part(b.contrib_gamma.get(), Fx::ZERO)?;
    m.net_vega.replace_part(b.contrib_vega.get(), Fx::ZERO)?;
    m.options_value.replace_part(b.contrib_value.get(), Fx::ZERO)?;
    m.record_unpriced_move(now, before)?;
    b.contrib_delta = PodFx::default();
    b.contrib_gamma = PodFx::default();
    b.contrib_vega = PodFx::default();
    b.contrib_value = PodFx::default();
    b.settlement_price = PodFx::of(px.price);
    b.payout_ratio = PodFx::of(ratio);
    b.payable = reserved;
    b.receivable = receivable;
    b.status = BoardStatus::Settled as u8;
    m.active_boards =
        m.active_boards.checked_sub(1).ok_or(OptionsAmmError::ActiveBoardsUnderflow)?;
    b.invariant()?;
    m.invariant()?;
    emit!(BoardSettled {
        market: ctx.accounts.market.key(),
        board: ctx.accounts.board.key(),
        keeper: ctx.accounts.keeper.key(),
        settlement_price: px.price.to_bits(),
        publish_time: px.publish_time,
        payable: reserved,
        receivable,
        released,
        payout_ratio: ratio.to_bits(),
        fallback: source == SettlementSource::Fallback,
    });
    Ok(())
}
