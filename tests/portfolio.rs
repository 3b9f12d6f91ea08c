//! The book's loss distribution against known answers (methods test 5) and
//! a one-row book against `simulate`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use terrace::domain::portfolio::{apply, parse_row, template_for, Header, PortfolioRow};
use terrace::engine::portfolio::{
    evaluate_loan, loan_seed, BookConfig, BookLosses, LoanCredit, LoanResult,
};
use terrace::engine::simulate::{simulate, Config, Prepared};
use terrace::math::stats::{norm_inv, vasicek_quantile};

/// A homogeneous one-factor book: loan i defaults on path s when
/// √ρ·F_s + √(1−ρ)·e_is < Φ⁻¹(PD); each default loses 1.
fn one_factor_book(loans: usize, paths: usize, pd: f64, rho: f64) -> BookLosses {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let factors: Vec<f64> = (0..paths)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    let threshold = norm_inv(pd);
    let mut book = BookLosses::new("p", paths);
    for _ in 0..loans {
        let losses = factors
            .iter()
            .map(|f| {
                let e: f64 = StandardNormal.sample(&mut rng);
                if rho.sqrt() * f + (1.0 - rho).sqrt() * e < threshold {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        book.add(
            &LoanResult {
                product: "p".into(),
                exposure: 1.0,
                project_npv: 0.0,
                project_irr: None,
                verdict: String::new(),
                min_annual_dscr: None,
                credit: Some(LoanCredit {
                    pd_annual: pd,
                    expected_loss: pd,
                    ce_gain: 0.0,
                    viable: true,
                    losses,
                }),
            },
            1.0,
        );
    }
    book
}

#[test]
fn a_homogeneous_one_factor_book_reproduces_vasicek_quantiles() {
    // methods.md test 4/5: PD 2%, ρ 0.10 → DR₉₉ = 8.236%.
    let (loans, paths) = (1000, 4000);
    let s = one_factor_book(loans, paths, 0.02, 0.10).summary();
    let dr99 = s.var_99 / loans as f64;
    assert!(
        (dr99 - vasicek_quantile(0.02, 0.10, 0.99)).abs() < 0.012,
        "DR99 {dr99}"
    );
    assert!((vasicek_quantile(0.02, 0.10, 0.99) - 0.08236).abs() < 1e-4);
    // Mean loss = Σ PD·LGD·EAD, within Monte Carlo error.
    assert!(
        (s.expected_loss / loans as f64 - 0.02).abs() < 0.003,
        "{}",
        s.expected_loss
    );
    assert!(s.es_99 >= s.var_99 && s.es_999 >= s.var_999);
    let rho = s.implied_default_correlation.unwrap();
    assert!((rho - 0.10).abs() < 0.03, "implied ρ {rho}");
}

#[test]
fn without_correlation_the_default_count_is_binomial() {
    let (loans, paths) = (500, 4000);
    let book = one_factor_book(loans, paths, 0.05, 0.0);
    let n = paths as f64;
    let counts: Vec<f64> = book.defaults.iter().map(|d| f64::from(*d)).collect();
    let mean = counts.iter().sum::<f64>() / n;
    let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let binomial = loans as f64 * 0.05 * 0.95;
    assert!((var / binomial - 1.0).abs() < 0.08, "{var} vs {binomial}");
    let rho = book.summary().implied_default_correlation.unwrap_or(0.0);
    assert!(rho < 0.01, "{rho}");
}

/// The rows of the bundled sample book, in file order.
fn sample_rows() -> Vec<PortfolioRow> {
    let text = std::fs::read_to_string("data/portfolios/sample.csv").unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = rdr.records();
    let header = Header::new(&records.next().unwrap().unwrap()).unwrap();
    records
        .enumerate()
        .map(|(i, rec)| parse_row(&header, &rec.unwrap(), i as u64 + 2).unwrap())
        .collect()
}

#[test]
fn a_one_row_book_without_shared_shocks_is_the_simulation_of_its_case() {
    let row = sample_rows().remove(0);
    let cases: Vec<_> = terrace::edge::bundled::cases().unwrap();
    let case = apply(&row, template_for(&row, &cases).unwrap()).unwrap();
    let product: terrace::domain::product::Product =
        toml::from_str(&std::fs::read_to_string("products/orchard-84m-gestation.toml").unwrap())
            .unwrap();
    let cfg = BookConfig {
        paths: 300,
        seed: 9,
        rho_region: 0.0,
        rho_chain: 0.0,
        pd_max: 0.03,
    };
    let loan = evaluate_loan(
        &case,
        std::slice::from_ref(&product),
        0,
        &row.region,
        &row.value_chain,
        &cfg,
    )
    .unwrap()
    .remove(0);
    let prep = Prepared::new(&case, std::slice::from_ref(&product)).unwrap();
    let sim = simulate(
        &prep,
        &Config {
            paths: 300,
            seed: loan_seed(9, 0),
            ..Config::default()
        },
        &|_| {},
    );
    let s = &sim.products[0].summary;
    let credit = loan.credit.as_ref().unwrap();
    assert_eq!(credit.pd_annual, s.pd_annual);
    assert_eq!(credit.expected_loss, s.expected_loss);
    assert_eq!(credit.ce_gain, s.ce_gain);
}

#[test]
fn shared_regional_and_price_shocks_make_loans_default_together() {
    // Sixty copies of one sample loan in one region and one value chain.
    // Without shared shocks their defaults are independent draws: the
    // variance of the number of defaults on a path is binomial, n·p·(1−p).
    // Loaded on the region's weather and the chain's price factor (F29),
    // they default together and that variance must be far larger.
    let cases: Vec<_> = terrace::edge::bundled::cases().unwrap();
    let product: terrace::domain::product::Product =
        toml::from_str(&std::fs::read_to_string("products/microloan-12m-flat.toml").unwrap())
            .unwrap();
    let (loans, paths) = (60usize, 200usize);
    let counts = |row: &PortfolioRow, rho: f64| -> (f64, f64) {
        let case = apply(row, template_for(row, &cases).unwrap()).unwrap();
        let cfg = BookConfig {
            paths,
            seed: 5,
            rho_region: rho,
            rho_chain: rho,
            pd_max: 0.03,
        };
        let mut per_path = vec![0.0f64; paths];
        for i in 0..loans {
            let r = evaluate_loan(
                &case,
                std::slice::from_ref(&product),
                i as u64,
                &row.region,
                &row.value_chain,
                &cfg,
            )
            .unwrap()
            .remove(0);
            for (n, loss) in per_path.iter_mut().zip(&r.credit.unwrap().losses) {
                *n += f64::from(u8::from(*loss > 0.0));
            }
        }
        let mean = per_path.iter().sum::<f64>() / paths as f64;
        let var = per_path.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (paths - 1) as f64;
        (mean / loans as f64, var)
    };
    // The first sample loan whose microloan defaults on some paths but not
    // on most: a row with nothing to share cannot show correlation.
    let mut tried = 0;
    for row in sample_rows() {
        let (p, var0) = counts(&row, 0.0);
        if !(0.05..=0.6).contains(&p) {
            tried += 1;
            assert!(
                tried < 200,
                "no sample row with a microloan PD in [5%, 60%]"
            );
            continue;
        }
        let binomial = loans as f64 * p * (1.0 - p);
        assert!(
            var0 < 1.6 * binomial,
            "independent: {var0} vs binomial {binomial}"
        );
        let (p9, var9) = counts(&row, 0.9);
        assert!(
            var9 > 3.0 * binomial.max(loans as f64 * p9 * (1.0 - p9)),
            "shared shocks: variance {var9} vs binomial {binomial} (p {p} → {p9}); row {}",
            row.id
        );
        return;
    }
    panic!("no usable sample row");
}
