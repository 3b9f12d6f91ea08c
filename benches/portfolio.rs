//! Portfolio throughput per core, on the first 600 rows of the bundled
//! sample book under three products (rows mapped to cases beforehand):
//!
//! * `deterministic`: appraisal and financing views only (`--paths 0`);
//! * `monte_carlo_1000`: plus 1,000 paths per loan with shared regional and
//!   value-chain shocks (the default `terrace portfolio` run).
//!
//! Throughput is in loan-products (rows × products). One thread, so the
//! numbers are per core; `terrace portfolio` runs rows on every core.
//! Run: `cargo bench --bench portfolio`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use terrace::domain::case::Case;
use terrace::domain::portfolio::{apply, parse_row, template_for, Header};
use terrace::edge::bundled;
use terrace::edge::toml_file::load_product;
use terrace::engine::portfolio::{evaluate_loan, BookConfig};

const ROWS: usize = 600;
const PRODUCTS: [&str; 3] = [
    "products/microloan-12m-flat.toml",
    "products/upgrading-60m-grace.toml",
    "products/orchard-84m-gestation.toml",
];

fn book() -> Vec<(Case, String, String)> {
    let templates = bundled::cases().unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path("data/portfolios/sample.csv")
        .unwrap();
    let mut records = rdr.records();
    let header = Header::new(&records.next().unwrap().unwrap()).unwrap();
    records
        .take(ROWS)
        .enumerate()
        .map(|(i, r)| {
            let row = parse_row(&header, &r.unwrap(), i as u64 + 2).unwrap();
            let case = apply(&row, template_for(&row, &templates).unwrap()).unwrap();
            (case, row.region, row.value_chain)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let book = book();
    let products: Vec<_> = PRODUCTS
        .iter()
        .map(|p| load_product(p.as_ref()).unwrap())
        .collect();
    let mut g = c.benchmark_group("portfolio");
    g.sample_size(10);
    g.throughput(Throughput::Elements((ROWS * PRODUCTS.len()) as u64));
    for (name, paths, rows) in [("deterministic", 0, ROWS), ("monte_carlo_1000", 1_000, 30)] {
        let cfg = BookConfig {
            paths,
            seed: 20_261_129,
            rho_region: 0.10,
            rho_chain: 0.05,
            pd_max: 0.03,
        };
        g.throughput(Throughput::Elements((rows * PRODUCTS.len()) as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for (i, (case, region, chain)) in book.iter().take(rows).enumerate() {
                    // A row the products cannot serve (tenor beyond the
                    // horizon) is an error the command reports; skip it.
                    let _ = black_box(evaluate_loan(
                        case, &products, i as u64, region, chain, &cfg,
                    ));
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
