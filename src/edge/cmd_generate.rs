//! `terrace generate-portfolio`: a synthetic loan book in the portfolio CSV
//! schema ([`crate::domain::portfolio`]), spread over the bundled case
//! templates, so that users, tests and benchmarks have realistic data at any
//! size. The same `--seed` gives a byte-identical file; rows are written as
//! they are drawn, so memory does not grow with `--rows`.
//!
//! # Distributions
//!
//! One `ChaCha8Rng` seeded with `--seed` draws every row in order. Per row:
//!
//! - **Template**, by weight (est.: the share such enterprises might have in
//!   a lender's upgrading book across these countries; smallholder crop
//!   upgrades are many and small, asset-heavy functional upgrades few):
//!   kenya-avocado 18 %, honduras-drip 15 %, mexico-coffee 15 %,
//!   indonesia-cocoa 14 %, india-leather-shoes 12 %, mozambique-oilseed 10 %,
//!   pakistan-embroidery 10 %, guatemala-truck 6 %.
//! - **upgrading**: uniform over the template's types that select it back
//!   (every type it lists, since the bundled templates do not overlap).
//! - **region**: uniform over real first-level regions of the template's
//!   country, near where the value chain is (see [`TEMPLATES`]).
//! - **owner_gender** (female/male/joint, est.): embroidery 85/5/10 (a
//!   home-based, women's trade), leather shoes 10/85/5 and truck 10/80/10
//!   (workshop and transport businesses are mostly men's), oilseed 40/35/25
//!   (processing is often women's work, many female-headed households), avocado
//!   30/50/20, drip 25/60/15, coffee 25/60/15 (land titles and co-operative
//!   membership mostly men's), cocoa 15/65/20.
//! - **investment_cost** = template month-0 investment × e^{0.35 z₁}
//!   (median at the template's value).
//! - **baseline_revenue** = template without-path sales ×
//!   e^{0.4 (0.5 z₁ + √0.75 z₂)}: larger enterprises make larger
//!   investments (log correlation 0.5).
//! - **baseline_costs** = baseline_revenue × the template's cost/sales ratio
//!   × e^{0.15 z₃}: costs move with revenue, the cost level varies little.
//! - **expected_uplift**: empty for 20 % of rows (the template's own ratio
//!   holds); otherwise (1 + template uplift) × e^{0.2 z₄} − 1, three
//!   decimals, where the template uplift is its with-path sales ÷
//!   without-path sales − 1 at its own mix.
//! - **channel_mix**, for templates whose upgraded activity has two or more
//!   channels: shares Gᵢ / ΣG with Gᵢ ~ Gamma(20 (0.9 mᵢ + 0.1 / n), 1), mᵢ the
//!   template's with-mix over its n channels (a Dirichlet around the
//!   template's mix with concentration 20 that gives every channel a
//!   little), written to 4 decimals summing exactly to 1; empty otherwise.
//! - **distance_km**, for templates with a channel that charges transport:
//!   that channel's distance × e^{0.5 z₅}, one decimal; empty otherwise.
//! - **cash_buffer** = template × e^{0.6 z₆}; **other_income_per_month** =
//!   template × e^{0.5 z₇}; **subsistence_per_month** = template × e^{0.25 z₈}.
//! - **requested_amount** = investment_cost × U(0.6, 1.0), rounded to whole
//!   currency units (at least 1).
//! - **product_id**: for 30 % of rows one bundled product, uniformly; empty
//!   (every requested product) otherwise.
//!
//! zₖ are independent standard normals. Amounts are written with two
//! decimals, none for currencies whose template has `minor_unit = 0` (IDR).
//! Ids are `MSE-00000001`, …

use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Gamma, StandardNormal};

use super::bundled;
use super::cli::{GenerateArgs, Outcome};
use super::files::Sink;
use crate::domain::case::{Case, Upgrading};
use crate::domain::portfolio::{
    month0_investment_cost, operating_costs_per_year, revenue_per_year, template_for, OwnerGender,
    PortfolioRow, Which, COLUMNS,
};
use crate::{Error, ErrorKind, Result};

/// The most rows `--rows` accepts.
pub const MAX_ROWS: u64 = 10_000_000;

/// What the generator assumes per template (est.): weight in the book,
/// owner gender shares (female, male, joint) and regions.
pub struct TemplateMix {
    /// Case id of the template.
    pub id: &'static str,
    /// Share of the book's rows.
    pub weight: f64,
    /// Shares of female, male and joint owners.
    pub gender: [f64; 3],
    /// First-level regions of the template's country.
    pub regions: &'static [&'static str],
}

/// The generator's assumptions, one line per bundled template.
pub const TEMPLATES: [TemplateMix; 8] = [
    TemplateMix {
        id: "kenya-avocado",
        weight: 0.18,
        gender: [0.30, 0.50, 0.20],
        regions: &["Murang'a", "Kiambu", "Meru", "Embu", "Nyeri", "Kirinyaga"],
    },
    TemplateMix {
        id: "honduras-drip",
        weight: 0.15,
        gender: [0.25, 0.60, 0.15],
        regions: &[
            "Comayagua",
            "La Paz",
            "Intibucá",
            "El Paraíso",
            "Olancho",
            "Francisco Morazán",
        ],
    },
    TemplateMix {
        id: "mexico-coffee",
        weight: 0.15,
        gender: [0.25, 0.60, 0.15],
        regions: &["Chiapas", "Oaxaca", "Veracruz", "Puebla", "Guerrero"],
    },
    TemplateMix {
        id: "indonesia-cocoa",
        weight: 0.14,
        gender: [0.15, 0.65, 0.20],
        regions: &[
            "Central Sulawesi",
            "South Sulawesi",
            "West Sulawesi",
            "Southeast Sulawesi",
        ],
    },
    TemplateMix {
        id: "india-leather-shoes",
        weight: 0.12,
        gender: [0.10, 0.85, 0.05],
        regions: &[
            "Uttar Pradesh",
            "Tamil Nadu",
            "Maharashtra",
            "West Bengal",
            "Punjab",
        ],
    },
    TemplateMix {
        id: "mozambique-oilseed",
        weight: 0.10,
        gender: [0.40, 0.35, 0.25],
        regions: &["Niassa", "Nampula", "Cabo Delgado", "Zambezia"],
    },
    TemplateMix {
        id: "pakistan-embroidery",
        weight: 0.10,
        gender: [0.85, 0.05, 0.10],
        regions: &["Punjab", "Sindh", "Khyber Pakhtunkhwa"],
    },
    TemplateMix {
        id: "guatemala-truck",
        weight: 0.06,
        gender: [0.10, 0.80, 0.10],
        regions: &[
            "Chimaltenango",
            "Sololá",
            "Quetzaltenango",
            "Huehuetenango",
            "Sacatepéquez",
        ],
    },
];

/// A template's measures the generator draws around.
struct Profile<'a> {
    mix: &'a TemplateMix,
    case: &'a Case,
    upgrading: Vec<Upgrading>,
    investment: f64,
    revenue: f64,
    cost_ratio: f64,
    uplift: f64,
    channels: Option<(Vec<String>, Vec<f64>)>,
    distance: Option<f64>,
    decimals: usize,
}

/// Runs `terrace generate-portfolio`.
pub fn run(args: &GenerateArgs) -> Result<Outcome> {
    if !(1..=MAX_ROWS).contains(&args.rows) {
        return Err(Error::usage(format!(
            "--rows: expected 1 to {MAX_ROWS} rows, found {}",
            args.rows
        )));
    }
    let cases = bundled::cases()?;
    let products: Vec<String> = bundled::products()?.into_iter().map(|p| p.id).collect();
    let mut sink = Sink::open(Some(&args.output))?;
    generate(args.rows, args.seed, &cases, &products, sink.writer())
        .map_err(|e| e.with_file(&args.output))?;
    sink.finish()?;
    Ok(Outcome::Complete)
}

/// Writes a header and `rows` synthetic rows drawn from `seed` over the
/// templates `cases` (each must be one of [`TEMPLATES`]), naming
/// `products` in `product_id`.
pub fn generate(
    rows: u64,
    seed: u64,
    cases: &[Case],
    products: &[String],
    out: &mut dyn Write,
) -> Result<()> {
    let profiles = profiles(cases)?;
    let cumulative: Vec<f64> = profiles
        .iter()
        .scan(0.0, |acc, p| {
            *acc += p.mix.weight;
            Some(*acc)
        })
        .collect();
    let total = cumulative.last().copied().unwrap_or(1.0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w = csv::WriterBuilder::new().from_writer(out);
    let csv_err = |e: csv::Error| Error::new(ErrorKind::Io, e.to_string());
    w.write_record(COLUMNS).map_err(csv_err)?;
    let mut record: Vec<String> = Vec::with_capacity(COLUMNS.len());
    for n in 1..=rows {
        let u: f64 = rng.random::<f64>() * total;
        let k = cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or(profiles.len() - 1);
        draw_row(&mut rng, n, &profiles[k], products, &mut record);
        w.write_record(&record).map_err(csv_err)?;
    }
    w.flush()
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?;
    Ok(())
}

fn profiles(cases: &[Case]) -> Result<Vec<Profile<'_>>> {
    TEMPLATES
        .iter()
        .map(|mix| {
            let case = cases.iter().find(|c| c.id == mix.id).ok_or_else(|| {
                Error::new(
                    ErrorKind::Invalid,
                    format!("expected a bundled case template `{}`, found none", mix.id),
                )
            })?;
            let upgrading: Vec<Upgrading> = case
                .upgrading
                .iter()
                .copied()
                .filter(|u| selects(cases, case, *u))
                .collect();
            let revenue = revenue_per_year(case, Which::Without);
            if upgrading.is_empty() || revenue <= 0.0 {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "template `{}` cannot be generated: it needs without-path sales and an upgrading type that selects it",
                        case.id
                    ),
                ));
            }
            let channels = case.upgraded_activity().map(|i| {
                let a = &case.activities[i];
                let names: Vec<String> = a.channels.iter().map(|c| c.name.clone()).collect();
                let shares = names
                    .iter()
                    .map(|n| {
                        a.with
                            .as_ref()
                            .and_then(|p| p.mix.get(n).copied())
                            .unwrap_or(0.0)
                    })
                    .collect();
                (names, shares)
            });
            let distance = case
                .activities
                .iter()
                .flat_map(|a| &a.channels)
                .find(|c| c.transport_cost_per_unit_km > 0.0)
                .map(|c| c.distance_km);
            Ok(Profile {
                mix,
                case,
                upgrading,
                investment: month0_investment_cost(case),
                revenue,
                cost_ratio: operating_costs_per_year(case, Which::Without) / revenue,
                uplift: revenue_per_year(case, Which::With) / revenue - 1.0,
                channels,
                distance,
                decimals: case.financing.minor_unit.unwrap_or(2).min(2) as usize,
            })
        })
        .collect()
}

/// Whether a row of `case`'s value chain with upgrading `u` selects
/// `case`, by the reader's own rule ([`template_for`]).
fn selects(cases: &[Case], case: &Case, u: Upgrading) -> bool {
    use rust_decimal::Decimal;
    let probe = PortfolioRow {
        line: 0,
        id: String::new(),
        value_chain: case.value_chain.clone(),
        upgrading: u,
        region: String::new(),
        owner_gender: OwnerGender::Joint,
        investment_cost: Decimal::ONE,
        baseline_revenue: Decimal::ONE,
        baseline_costs: Decimal::ONE,
        expected_uplift: None,
        channel_mix: None,
        distance_km: None,
        cash_buffer: Decimal::ONE,
        other_income_per_month: Decimal::ONE,
        subsistence_per_month: Decimal::ONE,
        requested_amount: Decimal::ONE,
        product_id: None,
    };
    template_for(&probe, cases).is_ok_and(|c| c.id == case.id)
}

fn draw_row(
    rng: &mut ChaCha8Rng,
    n: u64,
    p: &Profile<'_>,
    products: &[String],
    record: &mut Vec<String>,
) {
    let mut z = || -> f64 { rng.sample(StandardNormal) };
    let z: [f64; 8] = std::array::from_fn(|_| z());
    let money = |x: f64| format!("{x:.*}", p.decimals);

    let upgrading = p.upgrading[rng.random_range(0..p.upgrading.len())];
    let region = p.mix.regions[rng.random_range(0..p.mix.regions.len())];
    let g: f64 = rng.random();
    let gender = if g < p.mix.gender[0] {
        OwnerGender::Female
    } else if g < p.mix.gender[0] + p.mix.gender[1] {
        OwnerGender::Male
    } else {
        OwnerGender::Joint
    };
    let investment = round_to(p.investment * (0.35 * z[0]).exp(), p.decimals);
    let revenue = p.revenue * (0.4 * (0.5 * z[0] + 0.75_f64.sqrt() * z[1])).exp();
    let costs = revenue * p.cost_ratio * (0.15 * z[2]).exp();
    let uplift = if rng.random::<f64>() < 0.2 {
        String::new()
    } else {
        format!("{:.3}", (1.0 + p.uplift) * (0.2 * z[3]).exp() - 1.0)
    };
    let mix = match &p.channels {
        Some((names, shares)) => draw_mix(rng, names, shares),
        None => String::new(),
    };
    let distance = p
        .distance
        .map_or(String::new(), |d| format!("{:.1}", d * (0.5 * z[4]).exp()));
    let household = &p.case.household;
    let share: f64 = rng.random_range(0.6..1.0);
    let requested = (investment * share).round().max(1.0);
    let product = if rng.random::<f64>() < 0.3 && !products.is_empty() {
        products[rng.random_range(0..products.len())].clone()
    } else {
        String::new()
    };

    record.clear();
    record.extend([
        format!("MSE-{n:08}"),
        p.case.value_chain.clone(),
        upgrading.as_str().to_owned(),
        region.to_owned(),
        gender.as_str().to_owned(),
        money(investment),
        money(revenue),
        money(costs),
        uplift,
        mix,
        distance,
        money(household.cash_buffer * (0.6 * z[5]).exp()),
        money(household.other_income_per_month * (0.5 * z[6]).exp()),
        money(household.subsistence_per_month * (0.25 * z[7]).exp()),
        format!("{requested:.0}"),
        product,
    ]);
}

fn round_to(x: f64, decimals: usize) -> f64 {
    let f = 10f64.powi(decimals as i32);
    (x * f).round() / f
}

/// A Dirichlet draw around `shares` (concentration 20, every channel at
/// least a tenth of an even split in its parameter), written as
/// `name:share` pairs with four decimals that sum exactly to 1.
fn draw_mix(rng: &mut ChaCha8Rng, names: &[String], shares: &[f64]) -> String {
    let n = names.len() as f64;
    let g: Vec<f64> = shares
        .iter()
        .map(|m| {
            let alpha = 20.0 * (0.9 * m + 0.1 / n);
            Gamma::new(alpha, 1.0).map_or(0.0, |d| rng.sample(d))
        })
        .collect();
    let total: f64 = g.iter().sum();
    // Ten-thousandths, the last channel taking what rounding leaves.
    let mut units: Vec<i64> = g
        .iter()
        .map(|x| (x / total * 10_000.0).round() as i64)
        .collect();
    let head: i64 = units[..units.len() - 1].iter().sum();
    if head > 10_000 {
        // Rounding pushed the others past 1: take the excess from the largest.
        let (k, _) = units[..units.len() - 1]
            .iter()
            .enumerate()
            .max_by_key(|(_, u)| **u)
            .unwrap_or((0, &0));
        units[k] -= head - 10_000;
    }
    let head: i64 = units[..units.len() - 1].iter().sum();
    if let Some(last) = units.last_mut() {
        *last = 10_000 - head;
    }
    names
        .iter()
        .zip(&units)
        .filter(|(_, u)| **u > 0)
        .map(|(name, u)| format!("{name}:{}.{:04}", u / 10_000, u % 10_000))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_gender_shares_sum_to_one() {
        let w: f64 = TEMPLATES.iter().map(|t| t.weight).sum();
        assert!((w - 1.0).abs() < 1e-12);
        for t in &TEMPLATES {
            assert!(
                (t.gender.iter().sum::<f64>() - 1.0).abs() < 1e-12,
                "{}",
                t.id
            );
        }
    }

    #[test]
    fn mixes_sum_exactly_to_one_in_ten_thousandths() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        for _ in 0..2000 {
            let m = draw_mix(&mut rng, &names, &[1.0, 0.0, 0.0]);
            let total: i64 = m
                .split(';')
                .map(|p| {
                    let s = p.split_once(':').unwrap().1;
                    s.replace('.', "").parse::<i64>().unwrap()
                })
                .sum();
            assert_eq!(total, 10_000, "{m}");
        }
    }
}
