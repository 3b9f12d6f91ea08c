//! `terrace design` throughput: candidate products evaluated per second on
//! common random numbers, and where the time goes.
//!
//! * `draw_1000_paths`: sample 1,000 scenarios of the Honduras drip case
//!   (121 months) and keep their household flows (done once per search);
//! * `search_small_space`: the whole search over `tests/data/spaces/small.toml`
//!   on those paths (every candidate's loan through the cash account on
//!   every path, constraints, frontier, knee, pricing of the knee);
//!   throughput in candidates.
//!
//! Run: `cargo bench --bench design` (the lead runs release benches; a
//! debug-profile run, `cargo bench --bench design --profile dev`, is only a
//! lower bound).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use terrace::edge::cmd_design::load_space;
use terrace::edge::shared::load_case;
use terrace::engine::design::{case_facts, design, enumerate, Scenarios};

const PATHS: usize = 1_000;

fn bench(c: &mut Criterion) {
    let case = load_case("data/cases/honduras-drip.toml".as_ref()).unwrap();
    let (space, _, instruments) = load_space("tests/data/spaces/small.toml".as_ref()).unwrap();
    let s = Scenarios::draw(&case, 10, 1).unwrap();
    let (candidates, _) =
        enumerate(&space, &case, &case_facts(&case, &s.base), &instruments).unwrap();
    let mut g = c.benchmark_group("design");
    g.sample_size(10);
    g.throughput(Throughput::Elements(PATHS as u64));
    g.bench_function("draw_1000_paths", |b| {
        b.iter(|| Scenarios::draw(&case, PATHS, 1).unwrap())
    });
    g.throughput(Throughput::Elements(candidates.len() as u64));
    g.bench_function("search_small_space", |b| {
        b.iter(|| design(&space, &case, &instruments, PATHS, 1, &|_| {}).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
