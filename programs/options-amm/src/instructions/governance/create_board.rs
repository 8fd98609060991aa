use crate::error::OptionsAmmError;
use crate::events::BoardCreated;
use crate::math::safe::SafeMath;
use crate::math::surface::check_range;
use crate::math::value::{bps, micro};
use crate::state::{
    seeds, Board, BoardStatus, Config, Market, PodFx, MAX_ACTIVE_BOARDS, MAX_STRIKES,
};
use anchor_lang::prelude::*;
use options_amm_pricing::{Fx, MAX_EXPIRY_SECS, MAX_PRICE, MAX_VOL, MIN_PRICE, MIN_VOL};

/// One strike of a new board: strike and base vol in millionths (1_000_000 = 1.0).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct StrikeArgs {
    pub strike_micro: u64,
    pub base_vol_micro: u64,
}

#[derive(Accounts)]
#[instruction(expiry_ts: i64)]
pub struct CreateBoard<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub authority: Signer<'info>,
    #[account(has_one = authority @ OptionsAmmError::NotAuthority)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, has_one = config @ OptionsAmmError::WrongConfig)]
    pub market: AccountLoader<'info, Market>,
    #[account(
        init,
        payer = payer,
        space = Board::SPACE,
        seeds = [seeds::BOARD, market.key().as_ref(), &expiry_ts.to_le_bytes()],
        bump,
    )]
    pub board: AccountLoader<'info, Board>,
    pub system_program: Program<'info, System>,
}

/// Lists an expiry with its strikes. Steps: the expiry must lie beyond the trading cutoff and
/// inside the engine's horizon; 1..=MAX_STRIKES strikes, strictly increasing, each strike,
/// its cap strike (strike x the call cap multiple, which the board keeps for life) and its
/// vol inside the engine's domain (the vol also inside the surface's range, which the vol
/// feed can post to), so every refresh of the board can price it (an unpriceable
/// board would freeze LP flows, which need every board fresh); the board starts stale (never
/// refreshed); invariant; event.
pub fn create_board_handler(
    ctx: Context<CreateBoard>,
    expiry_ts: i64,
    strikes: Vec<StrikeArgs>,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    require!(m.active_boards < MAX_ACTIVE_BOARDS, OptionsAmmError::TooManyBoards);
    m.active_boards = m.active_boards.safe_add(1)?;
    m.invariant()?;
    let cutoff = m.params.trading.trading_cutoff_secs;
    let cap_bps = m.params.trading.call_cap_multiple_bps;
    drop(m);
    require!(
        expiry_ts > now.saturating_add(i64::from(cutoff)),
        OptionsAmmError::BoardExpiryTooSoon
    );
    let horizon = now.saturating_add(MAX_EXPIRY_SECS as i64);
    require!(expiry_ts <= horizon, OptionsAmmError::ListingOutsideEngineDomain);
    require!((1..=MAX_STRIKES).contains(&strikes.len()), OptionsAmmError::InvalidStrikeCount);
    let mut b = ctx.accounts.board.load_init()?;
    b.market = ctx.accounts.market.key();
    b.expiry_ts = expiry_ts;
    b.bump = ctx.bumps.board;
    b.num_strikes = strikes.len() as u8;
    b.cap_multiple_bps = cap_bps;
    b.status = BoardStatus::Active as u8;
    b.payout_ratio = PodFx::of(Fx::ONE);
    let mut previous = Fx::ZERO;
    for (slot, s) in b.strikes.iter_mut().zip(&strikes) {
        let (strike, vol) = (micro(s.strike_micro), micro(s.base_vol_micro));
        let cap_strike = strike.checked_mul(bps(cap_bps));
        let in_domain = (MIN_PRICE..=MAX_PRICE).contains(&strike)
            && cap_strike.is_some_and(|c| c <= MAX_PRICE)
            && (MIN_VOL..=MAX_VOL).contains(&vol);
        require!(in_domain, OptionsAmmError::ListingOutsideEngineDomain);
        // A vol the feed could never post to would freeze the board once a feed is set.
        check_range(vol)?;
        require!(strike > previous, OptionsAmmError::StrikesNotIncreasing);
        previous = strike;
        slot.strike = PodFx::of(strike);
        slot.base_vol = PodFx::of(vol);
        slot.avg_vol = PodFx::of(vol);
        slot.mark_vol = PodFx::of(vol);
    }
    b.vol_posted_ts = now;
    b.avg_vol_ts = now;
    b.invariant()?;
    emit!(BoardCreated {
        market: b.market,
        board: ctx.accounts.board.key(),
        expiry_ts,
        num_strikes: b.num_strikes,
    });
    Ok(())
}
