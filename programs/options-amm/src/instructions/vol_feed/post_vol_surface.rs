use crate::error::OptionsAmmError;
use crate::events::VolSurfacePosted;
use crate::math::surface::{check_near_realised, check_no_arbitrage, check_range, check_step};
use crate::math::value::{micro, secs_until};
use crate::oracle::{self, OracleUse};
use crate::state::{Board, BoardStatus, Market, PodFx, MAX_STRIKES};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

#[derive(Accounts)]
pub struct PostVolSurface<'info> {
    pub vol_feed: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = board.load()?.market == market.key() @ OptionsAmmError::WrongMarket)]
    pub board: AccountLoader<'info, Board>,
    /// CHECK: `oracle::read` checks that it is the market's, owned by Pyth, valid for trading.
    pub oracle: UncheckedAccount<'info>,
}

/// Posts a board's surface: one vol per strike, millionths (1_000_000 = 100%). Steps: the
/// signer must be the market's vol feed; the board active and not expired; one vol per strike,
/// each in [MIN_SURFACE_VOL, MAX_SURFACE_VOL], within `vol.feed_rv_band_bps` of mature realised
/// vol (either way), and within `vol.feed_max_step_vol_micro` (no more
/// than the half-spread) of the vol it replaces, pro rata of `vol.feed_step_secs` since the
/// board's last post; the board's call
/// prices at the oracle price free of static arbitrage (`math::surface`). The time-weighted
/// vols are brought up to now at the old surface first, so marks, NAV and margins follow the
/// new one only as time passes (`vol.mark_window_secs`); trades price at it at once.
pub fn post_vol_surface_handler(ctx: Context<PostVolSurface>, vols_micro: Vec<u64>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    let mut b = ctx.accounts.board.load_mut()?;
    require!(
        m.vol_feed != Pubkey::default() && ctx.accounts.vol_feed.key() == m.vol_feed,
        OptionsAmmError::NotVolFeed
    );
    match b.status()? {
        BoardStatus::Active => {}
        BoardStatus::Settled => return err!(OptionsAmmError::BoardSettled),
        BoardStatus::Delisted => return err!(OptionsAmmError::BoardNotActive),
    }
    require!(now < b.expiry_ts, OptionsAmmError::BoardExpired);
    let n = b.num_strikes as usize;
    require!(vols_micro.len() == n, OptionsAmmError::SurfaceStrikeCount);
    let px = oracle::read(&m, &ctx.accounts.oracle, now, OracleUse::Trade)?;
    m.observe_price(clock.slot, px.publish_time, px.price)?;
    let v = m.params.vol;
    let elapsed = now.saturating_sub(b.vol_posted_ts);
    let realised = m.mature_realised_vol();
    let mut vols = [Fx::ZERO; MAX_STRIKES];
    let mut strikes = [Fx::ZERO; MAX_STRIKES];
    for i in 0..n {
        let vol = micro(vols_micro[i]);
        check_range(vol)?;
        check_near_realised(vol, realised, v.feed_rv_band_bps)?;
        check_step(
            b.strikes[i].base_vol.get(),
            vol,
            elapsed,
            micro(u64::from(v.feed_max_step_vol_micro)),
            v.feed_step_secs,
        )?;
        vols[i] = vol;
        strikes[i] = b.strikes[i].strike.get();
    }
    let rate = m.effective_params(now).risk_free_rate_bps;
    check_no_arbitrage(px.price, rate, secs_until(b.expiry_ts, now), &strikes[..n], &vols[..n])?;
    b.advance_avg_vols(now, v.mark_window_secs)?;
    for (slot, vol) in b.strikes[..n].iter_mut().zip(vols) {
        slot.base_vol = PodFx::of(vol);
    }
    b.vol_posted_ts = now;
    b.invariant()?;
    m.invariant()?;
    emit!(VolSurfacePosted {
        market: ctx.accounts.market.key(),
        board: ctx.accounts.board.key(),
        vols_micro,
        spot: px.price.to_bits(),
    });
    Ok(())
}
