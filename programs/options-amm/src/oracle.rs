//! Pyth oracle reads: identity, layout and validity checks in one place.
//!
//! A market is configured with one oracle account of one kind: a legacy (push) Pyth price
//! account owned by the Pyth oracle program, or a pull-oracle `PriceUpdateV2` owned by the Pyth
//! receiver program. Both go through the same checks; each use (trading, margin, settlement)
//! brings its own limits from the market's risk parameters.

use crate::constants::{BPS, PYTH_LEGACY_PROGRAM_ID, PYTH_RECEIVER_PROGRAM_ID};
use crate::error::OptionsAmmError;
use crate::math::value::Rounding;
use crate::state::{Market, OracleKind, OracleLimits};
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;
use pyth_sdk_solana::state::{load_price_account, PriceStatus};
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};

/// What a price is read for; each use has its own limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OracleUse {
    /// Trades and LP flows: strict.
    Trade,
    /// Margin checks and liquidation: looser.
    Margin,
    /// Expiry settlement: its own confidence limit (the window is checked by the caller).
    Settlement,
}

impl OracleUse {
    pub fn limits(self, market: &Market) -> OracleLimits {
        match self {
            OracleUse::Trade => market.params.oracle_trade,
            OracleUse::Margin => market.params.oracle_margin,
            OracleUse::Settlement => market.params.oracle_settle,
        }
    }
}

/// A price as published: `price * 10^expo`, confidence in the same units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawPrice {
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
    pub publish_time: i64,
    /// Publish time of the previous valid price (so "the first price at or after t" is
    /// recognisable: prev < t <= publish_time).
    pub prev_publish_time: i64,
    pub trading: bool,
}

/// A checked price in the engine's fixed point: quote units per whole underlying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OraclePrice {
    pub price: Fx,
    pub conf: Fx,
    pub publish_time: i64,
}

/// The program that must own oracle accounts of a kind.
pub fn owner_of_kind(kind: OracleKind) -> Pubkey {
    match kind {
        OracleKind::PythLegacy => PYTH_LEGACY_PROGRAM_ID,
        OracleKind::PythPull => PYTH_RECEIVER_PROGRAM_ID,
    }
}

/// `v * 10^expo` as `Fx`, rounded down (or up for a confidence interval); `v` below 2^63.
fn scaled(v: u64, expo: i32, rounding: Rounding) -> core::result::Result<Fx, OptionsAmmError> {
    let v = i128::from(v);
    let pow = 10i128.pow(expo.unsigned_abs());
    let bits = if expo >= 0 {
        let whole = v.checked_mul(pow).filter(|w| *w < (1i128 << 63));
        whole.ok_or(OptionsAmmError::MathOverflow)? << 64
    } else if rounding == Rounding::Up {
        ((v as u128) << 64).div_ceil(pow as u128) as i128
    } else {
        (v << 64) / pow
    };
    Ok(Fx::from_bits(bits))
}

/// The validity checks, pure: trading status, positive price, exponent, age, confidence.
pub fn validate(
    raw: &RawPrice,
    now: i64,
    limits: &OracleLimits,
) -> core::result::Result<OraclePrice, OptionsAmmError> {
    if !raw.trading {
        return Err(OptionsAmmError::OracleNotTrading);
    }
    if raw.price <= 0 {
        return Err(OptionsAmmError::OracleNonPositivePrice);
    }
    if !(-18..=18).contains(&raw.expo) {
        return Err(OptionsAmmError::OracleBadExponent);
    }
    // A publish time slightly ahead of the validator's clock counts as fresh.
    if now.saturating_sub(raw.publish_time) > i64::from(limits.max_age_secs) {
        return Err(OptionsAmmError::OracleStale);
    }
    let price = raw.price as u64;
    if (raw.conf as u128) * (BPS as u128) > (price as u128) * (limits.max_conf_bps as u128) {
        return Err(OptionsAmmError::OracleConfidenceTooWide);
    }
    Ok(OraclePrice {
        // The price rounds down; its uncertainty rounds up (wider is the cautious side).
        price: scaled(price, raw.expo, Rounding::Down)?,
        conf: scaled(raw.conf, raw.expo, Rounding::Up)?,
        publish_time: raw.publish_time,
    })
}

/// Parses an oracle account's data as the market's kind.
pub fn parse(
    kind: OracleKind,
    data: &[u8],
    feed_id: &[u8; 32],
) -> core::result::Result<RawPrice, OptionsAmmError> {
    match kind {
        OracleKind::PythLegacy => {
            let acc = load_price_account::<32, ()>(data)
                .map_err(|_| OptionsAmmError::OracleInvalidData)?;
            Ok(RawPrice {
                price: acc.agg.price,
                conf: acc.agg.conf,
                expo: acc.expo,
                publish_time: acc.timestamp,
                prev_publish_time: acc.prev_timestamp,
                trading: acc.agg.status == PriceStatus::Trading,
            })
        }
        OracleKind::PythPull => {
            let upd = PriceUpdateV2::try_deserialize(&mut &data[..])
                .map_err(|_| OptionsAmmError::OracleInvalidData)?;
            if &upd.price_message.feed_id != feed_id {
                return Err(OptionsAmmError::OracleWrongFeed);
            }
            if upd.verification_level != VerificationLevel::Full {
                return Err(OptionsAmmError::OracleNotFullyVerified);
            }
            let m = upd.price_message;
            Ok(RawPrice {
                price: m.price,
                conf: m.conf,
                expo: m.exponent,
                publish_time: m.publish_time,
                prev_publish_time: m.prev_publish_time,
                trading: true,
            })
        }
    }
}

/// Identity checks (the market's account, owned by the kind's Pyth program) and layout.
fn load(market: &Market, account: &AccountInfo) -> Result<RawPrice> {
    require_keys_eq!(account.key(), market.oracle, OptionsAmmError::WrongOracleAccount);
    let kind = market.oracle_kind()?;
    let owner = owner_of_kind(kind);
    require_keys_eq!(*account.owner, owner, OptionsAmmError::OracleWrongOwner);
    let data = account.try_borrow_data()?;
    parse(kind, &data, &market.oracle_feed_id).map_err(|e| error!(e))
}

/// Identity, layout and validity for `use_` at `now`.
pub fn read(
    market: &Market,
    account: &AccountInfo,
    now: i64,
    use_: OracleUse,
) -> Result<OraclePrice> {
    let raw = load(market, account)?;
    validate(&raw, now, &use_.limits(market)).map_err(|e| error!(e))
}

/// How a settlement price was established.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettlementSource {
    /// A valid print published inside the window [expiry, expiry + window].
    Window,
    /// The window passed without one: the first valid print after it, fresh at settlement.
    Fallback,
}

/// The settlement price of an expiry from the print an oracle account holds now: any print
/// published inside the window [expiry, expiry + window] that is valid (trading, positive,
/// confidence within the settlement limit) settles, so another print, a wide print in
/// between or a keeper that lands late cannot block settlement; the first keeper to submit a
/// valid print of the window sets the price. Once the window has passed, a valid print
/// published after it, at most `fallback_max_age` seconds old, settles instead (the bounded
/// fallback). Refused: a print before expiry (`SettlementPriceOutsideWindow`: wait for one),
/// an invalid one (its own error).
pub fn check_settlement(
    raw: &RawPrice,
    expiry: i64,
    now: i64,
    limits: &OracleLimits,
    fallback_max_age: u32,
) -> core::result::Result<(OraclePrice, SettlementSource), OptionsAmmError> {
    let window_end = expiry.saturating_add(i64::from(limits.max_age_secs));
    if raw.publish_time < expiry {
        return Err(OptionsAmmError::SettlementPriceOutsideWindow);
    }
    if raw.publish_time <= window_end {
        // Age is measured from the publish time itself: the window replaces the staleness limit.
        return Ok((validate(raw, raw.publish_time, limits)?, SettlementSource::Window));
    }
    // A print after the window: only once the window is over (it is, since the print is
    // later), and fresh.
    let fallback =
        OracleLimits { max_age_secs: fallback_max_age, max_conf_bps: limits.max_conf_bps };
    Ok((validate(raw, now, &fallback)?, SettlementSource::Fallback))
}

/// `check_settlement` on the market's oracle account at `now`.
pub fn read_settlement(
    market: &Market,
    account: &AccountInfo,
    expiry: i64,
    now: i64,
) -> Result<(OraclePrice, SettlementSource)> {
    let raw = load(market, account)?;
    let limits = OracleUse::Settlement.limits(market);
    let fallback_age = market.params.oracle_margin.max_age_secs;
    check_settlement(&raw, expiry, now, &limits, fallback_age).map_err(|e| error!(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawPrice {
        RawPrice {
            price: 150_000_000,
            conf: 50_000,
            expo: -6,
            publish_time: 1_000,
            prev_publish_time: 999,
            trading: true,
        }
    }
    const LIMITS: OracleLimits = OracleLimits { max_age_secs: 60, max_conf_bps: 100 };

    /// Drift-style validity table: each row changes one thing and names the outcome.
    #[test]
    fn validity_table() {
        type Row = (&'static str, fn(&mut RawPrice), i64, Option<OptionsAmmError>);
        let rows: Vec<Row> = vec![
            ("fresh and tight", |_| {}, 1_000, None),
            ("exactly max age", |_| {}, 1_060, None),
            ("one second too old", |_| {}, 1_061, Some(OptionsAmmError::OracleStale)),
            ("published ahead of the clock", |_| {}, 990, None),
            ("not trading", |r| r.trading = false, 1_000, Some(OptionsAmmError::OracleNotTrading)),
            ("zero price", |r| r.price = 0, 1_000, Some(OptionsAmmError::OracleNonPositivePrice)),
            (
                "negative price",
                |r| r.price = -5,
                1_000,
                Some(OptionsAmmError::OracleNonPositivePrice),
            ),
            ("confidence at the limit", |r| r.conf = 1_500_000, 1_000, None),
            (
                "confidence over the limit",
                |r| r.conf = 1_500_001,
                1_000,
                Some(OptionsAmmError::OracleConfidenceTooWide),
            ),
            (
                "exponent too small",
                |r| r.expo = -19,
                1_000,
                Some(OptionsAmmError::OracleBadExponent),
            ),
            (
                "exponent too large",
                |r| r.expo = 19,
                1_000,
                Some(OptionsAmmError::OracleBadExponent),
            ),
            (
                "positive exponent",
                |r| {
                    r.price = 150;
                    r.conf = 0;
                    r.expo = 0
                },
                1_000,
                None,
            ),
            (
                "huge price overflows",
                |r| {
                    r.price = i64::MAX;
                    r.conf = 0;
                    r.expo = 18
                },
                1_000,
                Some(OptionsAmmError::MathOverflow),
            ),
        ];
        for (name, change, now, want) in rows {
            let mut r = raw();
            change(&mut r);
            let got = validate(&r, now, &LIMITS);
            match want {
                None => assert!(got.is_ok(), "{name}: {got:?}"),
                Some(e) => {
                    assert_eq!(got.map(|_| ()).map_err(|e| e as u32), Err(e as u32), "{name}")
                }
            }
        }
    }

    #[test]
    fn limits_differ_by_use() {
        let loose = OracleLimits { max_age_secs: 600, max_conf_bps: 500 };
        let r = RawPrice { publish_time: 1_000, ..raw() };
        assert!(validate(&r, 1_300, &LIMITS).is_err());
        assert!(validate(&r, 1_300, &loose).is_ok());
    }

    #[test]
    fn exponent_is_applied_exactly() {
        let p = validate(&raw(), 1_000, &LIMITS).unwrap();
        assert_eq!(p.price, Fx::from_num(150));
        assert_eq!(p.conf, Fx::from_bits((50_000u128 << 64).div_ceil(1_000_000) as i128));
        assert!(p.conf > "0.05".parse::<Fx>().unwrap() - Fx::DELTA);
        let r = RawPrice { price: 15, conf: 0, expo: 1, ..raw() };
        assert_eq!(validate(&r, 1_000, &LIMITS).unwrap().price, Fx::from_num(150));
    }

    #[test]
    fn settlement_takes_any_valid_print_of_the_window_then_falls_back_after_it() {
        let limits = OracleLimits { max_age_secs: 600, max_conf_bps: 100 };
        let at =
            |publish_time, prev_publish_time| RawPrice { publish_time, prev_publish_time, ..raw() };
        let settle = |r: &RawPrice, now| check_settlement(r, 1_000, now, &limits, 60);
        let code = |r: core::result::Result<(OraclePrice, SettlementSource), OptionsAmmError>| {
            r.unwrap_err() as u32
        };
        // The first print at expiry, and a later print of the window (another print came in
        // between, or the keeper landed late): both settle from the window.
        assert_eq!(settle(&at(1_000, 999), 1_000).unwrap().1, SettlementSource::Window);
        assert_eq!(settle(&at(1_010, 1_000), 5_000).unwrap().1, SettlementSource::Window);
        assert_eq!(settle(&at(1_600, 1_590), 1_700).unwrap().1, SettlementSource::Window);
        // Before expiry: wait.
        assert_eq!(
            code(settle(&at(999, 998), 1_000)),
            OptionsAmmError::SettlementPriceOutsideWindow as u32
        );
        // After the window: a fresh print settles by the fallback; a stale one does not.
        assert_eq!(settle(&at(1_601, 900), 1_650).unwrap().1, SettlementSource::Fallback);
        assert_eq!(code(settle(&at(1_601, 900), 1_662)), OptionsAmmError::OracleStale as u32);
        // A wide print inside the window is refused: the next valid one settles.
        let wide = RawPrice { conf: 10_000_000, ..at(1_000, 999) };
        assert_eq!(code(settle(&wide, 1_000)), OptionsAmmError::OracleConfidenceTooWide as u32);
    }

    #[test]
    fn unknown_kind_and_bad_data_are_refused() {
        use crate::state::OracleKind;
        assert_eq!(OracleKind::from_u8(7).unwrap_err(), error!(OptionsAmmError::InvalidOracleKind));
        assert!(parse(OracleKind::PythLegacy, &[0; 16], &[0; 32]).is_err());
        assert!(parse(OracleKind::PythPull, &[0; 16], &[0; 32]).is_err());
        assert_eq!(owner_of_kind(OracleKind::PythLegacy), PYTH_LEGACY_PROGRAM_ID);
        assert_eq!(owner_of_kind(OracleKind::PythPull), PYTH_RECEIVER_PROGRAM_ID);
    }
}
