//! Pyth accounts in their real layouts: legacy price accounts (pyth-sdk-solana) and pull-oracle
//! `PriceUpdateV2` accounts (pyth-solana-receiver-sdk), with every field the program checks
//! settable.

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountSerialize;
use pyth_sdk_solana::state::{
    AccountType, PriceStatus, PriceType, SolanaPriceAccount, MAGIC, VERSION_2,
};
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};

/// Owner of legacy price accounts.
pub const ORACLE_PROGRAM: Pubkey = options_amm::constants::PYTH_LEGACY_PROGRAM_ID;
/// Owner of pull-oracle price update accounts.
pub const RECEIVER_PROGRAM: Pubkey = options_amm::constants::PYTH_RECEIVER_PROGRAM_ID;

/// One published price and everything around it.
#[derive(Clone, Copy, Debug)]
pub struct Quote {
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
    pub publish_time: i64,
    /// The previous price's publish time (default: one second earlier).
    pub prev_publish_time: Option<i64>,
    /// Legacy: aggregate status Trading (else Halted).
    pub trading: bool,
    /// Pull: verification level Full (else Partial).
    pub fully_verified: bool,
    /// Pull: publish another feed's id instead of the market's.
    pub other_feed: bool,
}

impl Default for Quote {
    fn default() -> Self {
        Quote {
            price: crate::START_PRICE,
            conf: crate::START_CONF,
            expo: crate::PRICE_EXPO,
            publish_time: crate::T0,
            prev_publish_time: None,
            trading: true,
            fully_verified: true,
            other_feed: false,
        }
    }
}

/// A price of `quote` whole quote units in the oracle's units (expo -8).
pub fn px(quote: i64) -> i64 {
    quote * 100_000_000
}

/// A legacy Pyth price account (magic, version 2, type Price, 32 components).
pub fn legacy_price_account(q: &Quote) -> Vec<u8> {
    let mut a: SolanaPriceAccount = bytemuck::Zeroable::zeroed();
    a.magic = MAGIC;
    a.ver = VERSION_2;
    a.atype = AccountType::Price as u32;
    a.size = std::mem::size_of::<SolanaPriceAccount>() as u32;
    a.ptype = PriceType::Price;
    a.expo = q.expo;
    a.num = 1;
    a.num_qt = 1;
    a.timestamp = q.publish_time;
    a.prev_timestamp = q.prev_publish_time.unwrap_or(q.publish_time - 1);
    a.prev_price = q.price;
    a.prev_conf = q.conf;
    a.agg.price = q.price;
    a.agg.conf = q.conf;
    a.agg.status = if q.trading { PriceStatus::Trading } else { PriceStatus::Halted };
    a.agg.pub_slot = 1;
    bytemuck::bytes_of(&a).to_vec()
}

/// A pull-oracle price update for `feed_id` (Anchor discriminator + Borsh, as the receiver
/// program writes it).
pub fn price_update_v2(q: &Quote, feed_id: &[u8; 32]) -> Vec<u8> {
    let feed_id = if q.other_feed { [0xEE; 32] } else { *feed_id };
    let update = PriceUpdateV2 {
        write_authority: Pubkey::new_from_array([3; 32]),
        verification_level: if q.fully_verified {
            VerificationLevel::Full
        } else {
            VerificationLevel::Partial { num_signatures: 5 }
        },
        price_message: PriceFeedMessage {
            feed_id,
            price: q.price,
            conf: q.conf,
            exponent: q.expo,
            publish_time: q.publish_time,
            prev_publish_time: q.prev_publish_time.unwrap_or(q.publish_time - 1),
            ema_price: q.price,
            ema_conf: q.conf,
        },
        posted_slot: 1,
    };
    let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
    update.try_serialize(&mut data).unwrap();
    data.resize(PriceUpdateV2::LEN, 0);
    data
}
