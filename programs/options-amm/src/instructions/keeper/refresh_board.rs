use crate::book::fill::signed_whole;
use crate::book::margin::cache_shocked_values;
use crate::error::OptionsAmmError;
use crate::events::BoardRefreshed;
use crate::math::fill::SeriesPricer;
use crate::math::safe::SafeMath;
use crate::math::value::secs_until;
use crate::oracle::{self, OracleUse};
use crate::state::{Board, BoardStatus, Market, PodFx, CALL, PUT};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

#[derive(Accounts)]
pub struct RefreshBoard<'info> {
    pub keeper: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = board.load()?.market == market.key() @ OptionsAmmError::WrongMarket)]
    pub board: AccountLoader<'info, Board>,
    /// CHECK: `oracle::read` checks that it is the market's, owned by Pyth, valid for trading.
    pub oracle: UncheckedAccount<'info>,
}

fn acc(total: &mut Fx, position: Fx, greek: Fx) -> Result<()> {
    let term = position.safe_mul(greek)?;
    *total = total.safe_add(term)?;
    Ok(())
}

/// Re-marks every strike of a board at the oracle price and the current time, stores marks and
/// greeks, and replaces the board's contribution to the market's aggregate greeks. Anyone may
/// call it. Refused after expiry, unless active, with an invalid oracle, or with a print other
/// than the one already used in this slot.
pub fn refresh_board_handler(ctx: Context<RefreshBoard>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    let mut b = ctx.accounts.board.load_mut()?;
    match b.status()? {
        BoardStatus::Active => {}
        BoardStatus::Settled => return err!(OptionsAmmError::BoardSettled),
        BoardStatus::Delisted => return err!(OptionsAmmError::BoardNotActive),
    }
    require!(now < b.expiry_ts, OptionsAmmError::BoardExpired);
    let px = oracle::read(&m, &ctx.accounts.oracle, now, OracleUse::Trade)?;
    m.observe_price(clock.slot, px.publish_time, px.price)?;
    let secs = secs_until(b.expiry_ts, now);
    let rate = m.effective_params(now).risk_free_rate_bps;
    let (cap, ud) = (b.cap_multiple_bps, m.underlying_decimals);
    let (mut d, mut g, mut v, mut value) = (Fx::ZERO, Fx::ZERO, Fx::ZERO, Fx::ZERO);
    let n = b.num_strikes as usize;
    // Marks at the time-weighted vol (GWAV): a post moves them only as time passes.
    b.advance_avg_vols(now, m.params.vol.mark_window_secs)?;
    // Every strike shares the board's spot and horizon (bit for bit the single evaluations).
    let pricer = SeriesPricer::new(px.price, rate, secs, cap)?;
    for s in b.strikes[..n].iter_mut() {
        s.mark_vol = s.avg_vol;
        let both = pricer.greeks_both(s.strike.get(), s.mark_vol.get())?;
        for kind in [CALL, PUT] {
            let k = kind as usize;
            let gk = both[k];
            s.mark[k] = PodFx::of(gk.price);
            s.delta[k] = PodFx::of(gk.delta);
            s.gamma[k] = PodFx::of(gk.gamma);
            s.vega[k] = PodFx::of(gk.vega);
            s.theta[k] = PodFx::of(gk.theta);
            let pos = signed_whole(s.vault_position[k], ud)?;
            acc(&mut d, pos, gk.delta)?;
            acc(&mut g, pos, gk.gamma)?;
            acc(&mut v, pos, gk.vega)?;
            acc(&mut value, pos, gk.price)?;
        }
    }
    let before = m.inventory();
    m.net_delta.replace_part(b.contrib_delta.get(), d)?;
    m.net_gamma.replace_part(b.contrib_gamma.get(), g)?;
    m.net_vega.replace_part(b.contrib_vega.get(), v)?;
    m.options_value.replace_part(b.contrib_value.get(), value)?;
    // The re-mark's move fades into the potential (no trade placed around it gains).
    m.record_unpriced_move(now, before)?;
    b.contrib_delta = PodFx::of(d);
    b.contrib_gamma = PodFx::of(g);
    b.contrib_vega = PodFx::of(v);
    b.contrib_value = PodFx::of(value);
    b.refreshed_ts = now;
    b.refreshed_spot = PodFx::of(px.price);
    b.refreshed_rate_bps = rate;
    cache_shocked_values(&m, &mut b, px.price, now)?;
    b.invariant()?;
    m.invariant()?;
    emit!(BoardRefreshed {
        market: ctx.accounts.market.key(),
        board: ctx.accounts.board.key(),
        keeper: ctx.accounts.keeper.key(),
        spot: px.price.to_bits(),
        board_delta: d.to_bits(),
        board_gamma: g.to_bits(),
        board_vega: v.to_bits(),
        net_delta: m.net_delta.get().to_bits(),
        net_gamma: m.net_gamma.get().to_bits(),
        net_vega: m.net_vega.get().to_bits(),
    });
    Ok(())
}
