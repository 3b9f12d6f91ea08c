//! Monte Carlo throughput in path-months per second on a 10-year case
//! (Honduras drip irrigation, 121 months) with 10,000 paths and one
//! product, and where the time goes:
//!
//! * `full`: sample the scenario, build the monthly flows, run the
//!   household cash account and default engine, summarise;
//! * `evaluate_only`: the cash account and default engine on fixed flows;
//! * `arithmetic_floor`: the bare recurrence cash += inflow − subsistence −
//!   instalment over the same path-months, no branches or bookkeeping: the
//!   cost of the arithmetic alone;
//! * `channels/grid_005_3_channels`: `terrace channels` on a three-channel
//!   case (Pakistan embroidery) over a 0.05 grid, 231 mixes × 10,000 paths.
//!
//! Run: `cargo bench --bench simulate` (`cargo bench --bench simulate channels`
//! for the channel grid alone).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use terrace::edge::shared::load_case;
use terrace::edge::toml_file::load_product;
use terrace::engine::cashflow::CaseFlows;
use terrace::engine::channels::{evaluate, grid};
use terrace::engine::simulate::{evaluate_scenario, simulate, Config, HouseholdBuffers, Prepared};

const PATHS: usize = 10_000;

fn bench(c: &mut Criterion) {
    let case = load_case("data/cases/honduras-drip.toml".as_ref()).unwrap();
    let product = load_product("products/upgrading-60m-grace.toml".as_ref()).unwrap();
    let prep = Prepared::new(&case, std::slice::from_ref(&product)).unwrap();
    let months = case.horizon_months() as u64 + 1;
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10);
    g.throughput(Throughput::Elements(PATHS as u64 * months));

    g.bench_function("full", |b| {
        let cfg = Config {
            paths: PATHS,
            seed: 1,
            ..Config::default()
        };
        b.iter(|| simulate(&prep, &cfg, &|_| {}))
    });

    let mut scenario = prep.model.inputs.empty();
    prep.model.inputs.sample(1, 0, &[], &mut scenario);
    let mut flows = CaseFlows::default();
    prep.model.fill(&scenario, &mut flows);
    g.bench_function("evaluate_only", |b| {
        let mut buffers = HouseholdBuffers::default();
        b.iter(|| {
            for _ in 0..PATHS {
                black_box(evaluate_scenario(&prep, black_box(&flows), &mut buffers));
            }
        })
    });

    let inflow: Vec<f64> = (0..flows.len())
        .map(|t| flows.net_with(t) + flows.household_net[t])
        .collect();
    let due = prep.loans()[0].due.clone();
    g.bench_function("arithmetic_floor", |b| {
        b.iter(|| {
            let mut total = 0.0;
            for _ in 0..PATHS {
                let mut cash = black_box(case.household.cash_buffer);
                for (t, x) in inflow.iter().enumerate() {
                    cash += x - due.get(t).copied().unwrap_or(0.0);
                }
                total += cash;
            }
            black_box(total)
        })
    });
    g.finish();

    // Channel mixes: a three-channel case (Pakistan embroidery, 8 years)
    // on a 0.05 grid, 231 mixes × 10,000 paths, one product.
    let case = load_case("data/cases/pakistan-embroidery.toml".as_ref()).unwrap();
    let prep = Prepared::new(&case, std::slice::from_ref(&product)).unwrap();
    let activity = case
        .activities
        .iter()
        .position(|a| a.channels.len() == 3)
        .unwrap();
    let mixes = grid(3, "0.05").unwrap();
    let months = case.horizon_months() as u64 + 1;
    let mut g = c.benchmark_group("channels");
    g.sample_size(10);
    g.throughput(Throughput::Elements(
        PATHS as u64 * months * mixes.len() as u64,
    ));
    g.bench_function("grid_005_3_channels", |b| {
        b.iter(|| evaluate(&prep, activity, &mixes, PATHS, 1, 0.03, &|_| {}).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
