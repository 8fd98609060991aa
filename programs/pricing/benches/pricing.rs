//! Price + greeks: the fixed-point engine beside an f64 implementation of the same formulas.
//! `cargo bench -p options-amm-pricing --bench pricing`; results in docs/BENCHMARKS.md.
#![allow(clippy::float_arithmetic)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::{params, reference_f64, Rng, YEAR};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use options_amm_pricing::{
    black_scholes, black_scholes_pair, norm_cdf, price, BsParams, Fx, OptionKind,
};

/// 1,024 inputs from the accuracy test's ranges, so no single input is favoured.
fn inputs() -> Vec<BsParams> {
    let mut rng = Rng(7);
    (0..1024)
        .map(|_| {
            let spot = rng.log_uniform(0.01, 100_000.0);
            let strike = spot / rng.log_uniform(0.2, 5.0);
            let vol = rng.log_uniform(0.01, 5.0);
            let secs = rng.log_uniform(60.0, 3.0 * YEAR) as u64;
            params(spot, strike, vol, rng.uniform(0.0, 0.2), secs)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let inputs = inputs();
    let floats: Vec<(f64, f64, f64, f64, u64)> = inputs
        .iter()
        .map(|p| {
            (p.spot.to_num(), p.strike.to_num(), p.vol.to_num(), p.rate.to_num(), p.expiry_secs)
        })
        .collect();
    let mut g = c.benchmark_group("bs");
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function("fixed price+greeks (one kind)", |b| {
        b.iter(|| {
            for p in &inputs {
                black_box(black_scholes(OptionKind::Call, black_box(p)).unwrap());
            }
        })
    });
    g.bench_function("fixed price+greeks (call and put)", |b| {
        b.iter(|| {
            for p in &inputs {
                black_box(black_scholes_pair(black_box(p)).unwrap());
            }
        })
    });
    g.bench_function("fixed price only", |b| {
        b.iter(|| {
            for p in &inputs {
                black_box(price(OptionKind::Call, black_box(p)).unwrap());
            }
        })
    });
    g.bench_function("f64 price+greeks (libm erfc)", |b| {
        b.iter(|| {
            for &(s, k, v, r, t) in &floats {
                let (s, k, v, r, t) = black_box((s, k, v, r, t));
                black_box(reference_f64(OptionKind::Call, s, k, v, r, t));
            }
        })
    });
    g.bench_function("fixed norm_cdf", |b| {
        b.iter(|| {
            for p in &inputs {
                black_box(norm_cdf(black_box(p.vol - Fx::from_num(2))));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
