//! Schedules per second: 100,000 loans of 60 months with random-ish terms
//! (every amortisation, monthly/quarterly/harvest, flat and declining,
//! grace 0-12 months, fees on half of them), one thread and all threads.
//!
//! Run: `cargo bench --bench schedule`; results in `RESULTS-schedule.md`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rayon::prelude::*;
use rust_decimal::Decimal;
use terrace::domain::product::Product;
use terrace::domain::schedule::{schedule, YearMonth};

const LOANS: usize = 100_000;

/// A small deterministic generator, so every run schedules the same loans.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn loans() -> Vec<(Product, Decimal)> {
    let mut rng = Lcg(42);
    (0..LOANS)
        .map(|_| {
            let (frequency, amortisation, extra) = match rng.next(6) {
                0 => ("monthly", "annuity", ""),
                1 => ("monthly", "equal-principal", ""),
                2 => ("monthly", "balloon", "balloon_share = 0.3\n"),
                3 => ("quarterly", "annuity", ""),
                4 => ("monthly", "bullet", ""),
                _ => (
                    "harvest",
                    "harvest-weighted",
                    "harvest_months = [4, 10]\nharvest_weights = [0.6, 0.4]\n",
                ),
            };
            let basis = if rng.next(4) == 0 {
                "flat"
            } else {
                "declining"
            };
            let fees = if rng.next(2) == 0 {
                "upfront_fee_pct = 0.02\ninsurance_pct_per_year = 0.01\n"
            } else {
                ""
            };
            let text = format!(
                "id = \"b\"\nname = \"b\"\nannual_rate = \"{}\"\nrate_basis = \"{basis}\"\n\
                 tenor_months = 60\ngrace_months = {}\nfrequency = \"{frequency}\"\n\
                 amortisation = \"{amortisation}\"\n{extra}{fees}",
                Decimal::new(500 + rng.next(3500) as i64, 4),
                rng.next(13),
            );
            let product: Product = toml::from_str(&text).expect("valid bench product");
            let principal = Decimal::new(10_000 + rng.next(100_000_000) as i64, 2);
            (product, principal)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let loans = loans();
    let start = YearMonth::new(2026, 1).unwrap();
    let mut group = c.benchmark_group("schedule_100k_loans_60m");
    group.sample_size(10);
    group.throughput(Throughput::Elements(LOANS as u64));
    group.bench_function("one_thread", |b| {
        b.iter_batched(
            || (),
            |()| {
                loans
                    .iter()
                    .map(|(p, x)| schedule(p, *x, start).unwrap().summary.payments as u64)
                    .sum::<u64>()
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("rayon_all_threads", |b| {
        b.iter(|| {
            loans
                .par_iter()
                .map(|(p, x)| schedule(p, *x, start).unwrap().summary.payments as u64)
                .sum::<u64>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
