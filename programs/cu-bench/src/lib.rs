//! A measuring program, never deployed: one instruction prices one option with the engine named
//! by its first byte, so that the SBF tests can read each engine's compute units on the same
//! inputs (docs/BENCHMARKS.md). Input: `[engine, spot, strike, vol, rate (all u64 millionths),
//! seconds to expiry (u64)]`, little-endian. Output (return data): the call's and put's price,
//! the call's delta, gamma and vega as `i128`s in the engine's own scale (Q64.64 bits for
//! options-amm-pricing, 10^12 for solmath).

use options_amm_pricing::{black_scholes_pair, price, BsParams, Fx, OptionKind};
use solana_program::account_info::AccountInfo;
use solana_program::program::set_return_data;
use solana_program::program_error::ProgramError;
use solana_program::pubkey::Pubkey;

#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;

/// Parses and returns zeros: the cost every engine shares.
pub const BASELINE: u8 = 0;
/// options-amm-pricing: price and greeks of the call and the put (`black_scholes_pair`).
pub const ENGINE_PAIR: u8 = 1;
/// options-amm-pricing: the call's price only.
pub const ENGINE_PRICE: u8 = 2;
/// solmath `bs_full` (call and put prices, greeks of both).
pub const SOLMATH_BS_FULL: u8 = 3;
/// solmath `bs_full_hp` (the same at higher precision).
pub const SOLMATH_BS_FULL_HP: u8 = 4;

/// solmath's fixed-point scale.
const SCALE: u128 = 1_000_000_000_000;
const YEAR_SECS: u128 = 31_536_000;

#[cfg(not(feature = "no-entrypoint"))]
solana_program::entrypoint!(process);

fn word(data: &[u8], i: usize) -> Result<u64, ProgramError> {
    let bytes = data.get(1 + 8 * i..9 + 8 * i).ok_or(ProgramError::InvalidInstructionData)?;
    Ok(u64::from_le_bytes(bytes.try_into().map_err(|_| ProgramError::InvalidInstructionData)?))
}

fn micro(v: u64) -> Fx {
    Fx::from_num(v) / 1_000_000
}

pub fn process(_: &Pubkey, _: &[AccountInfo], data: &[u8]) -> Result<(), ProgramError> {
    let engine = *data.first().ok_or(ProgramError::InvalidInstructionData)?;
    let [spot, strike, vol, rate, secs] = [0, 1, 2, 3, 4].map(|i| word(data, i));
    let (spot, strike, vol, rate, secs) = (spot?, strike?, vol?, rate?, secs?);
    let out: [i128; 5] = match engine {
        BASELINE => [0; 5],
        ENGINE_PAIR | ENGINE_PRICE => {
            let p = BsParams {
                spot: micro(spot),
                strike: micro(strike),
                vol: micro(vol),
                rate: micro(rate),
                expiry_secs: secs,
            };
            let fail = |_| ProgramError::Custom(1);
            if engine == ENGINE_PRICE {
                [price(OptionKind::Call, &p).map_err(fail)?.to_bits(), 0, 0, 0, 0]
            } else {
                let (c, p) = black_scholes_pair(&p).map_err(fail)?;
                [c.price, p.price, c.delta, c.gamma, c.vega].map(Fx::to_bits)
            }
        }
        SOLMATH_BS_FULL | SOLMATH_BS_FULL_HP => {
            let to = |v: u64| v as u128 * (SCALE / 1_000_000);
            let t = secs as u128 * SCALE / YEAR_SECS;
            let args = (to(spot), to(strike), to(rate), to(vol), t);
            let f = if engine == SOLMATH_BS_FULL { solmath::bs_full } else { solmath::bs_full_hp };
            let r =
                f(args.0, args.1, args.2, args.3, args.4).map_err(|_| ProgramError::Custom(2))?;
            [r.call as i128, r.put as i128, r.call_delta, r.gamma, r.vega]
        }
        _ => return Err(ProgramError::InvalidInstructionData),
    };
    let mut bytes = [0u8; 80];
    for (chunk, v) in bytes.chunks_exact_mut(16).zip(out) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    set_return_data(&bytes);
    Ok(())
}
