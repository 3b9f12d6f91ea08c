//! Throughput of the `terrace flows` evaluation (no I/O): NPV, IRR with
//! status, MIRR and payback for 120-period series, one in ten with a
//! replacement cost (two sign changes, the all-roots path). Reported as
//! series per second, on all cores (rayon) and on one.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rayon::prelude::*;
use terrace::engine::flows::{evaluate_periodic, FlowRates};
use terrace::math::tvm::irr;

const SERIES: usize = 10_000;
const PERIODS: usize = 120;

/// Deterministic series shaped like `benches/compare/gen_flows.py`
/// (an xorshift generator, so no extra dependency).
fn series() -> Vec<Vec<f64>> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..SERIES)
        .map(|i| {
            let outlay = 500.0 + 4500.0 * uniform();
            let base = outlay * (0.01 + 0.03 * uniform());
            let mut v: Vec<f64> = (0..PERIODS)
                .map(|t| {
                    let season = if t % 12 == 3 || t % 12 == 9 { 3.0 } else { 1.0 };
                    base * season * (0.5 + uniform()) - 0.5 * base
                })
                .collect();
            v[0] = -outlay;
            if i % 10 == 0 {
                v[60] -= 0.8 * outlay;
            }
            v
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let data = series();
    let rates = FlowRates {
        rate: 0.01,
        finance_rate: 0.01,
        reinvest_rate: 0.01,
    };
    let mut g = c.benchmark_group("flows_120_periods");
    g.throughput(Throughput::Elements(SERIES as u64));
    g.sample_size(10);
    g.bench_function("evaluate_all_cores", |b| {
        b.iter_batched(
            || (),
            |()| {
                data.par_iter()
                    .map(|v| evaluate_periodic(v, &rates))
                    .collect::<Vec<_>>()
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("evaluate_one_core", |b| {
        b.iter(|| {
            data.iter()
                .map(|v| evaluate_periodic(v, &rates))
                .collect::<Vec<_>>()
        })
    });
    let single: Vec<&Vec<f64>> = data.iter().skip(1).step_by(10).collect();
    g.throughput(Throughput::Elements(single.len() as u64));
    g.bench_function("irr_one_sign_change_one_core", |b| {
        b.iter(|| single.iter().map(|v| irr(v)).collect::<Vec<_>>())
    });
    let multi: Vec<&Vec<f64>> = data.iter().step_by(10).collect();
    g.throughput(Throughput::Elements(multi.len() as u64));
    g.bench_function("irr_two_sign_changes_one_core", |b| {
        b.iter(|| multi.iter().map(|v| irr(v)).collect::<Vec<_>>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
