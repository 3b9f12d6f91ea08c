//! Monthly cash flows of a case, without and with the investment.
//!
//! This is the case's model turned into numbers on the monthly grid
//! (period 0 = the investment month). Everything downstream — the project
//! view, the financing view, later the Monte Carlo paths — reads these
//! vectors, so the model lives in one place.

use crate::domain::case::{
    calendar_shares, parse_year_month, Activity, Case, InvestmentItem, Path,
};

/// A case's monthly flows over `0..=horizon` months, signed from the
/// household's side. "Operating" means before investment outlays and
/// before any loan.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFlows {
    /// Calendar month (1–12) of period 0.
    pub start_month: u32,
    /// Calendar year of period 0.
    pub start_year: i32,
    /// Sales receipts without the investment.
    pub revenue_without: Vec<f64>,
    /// Operating costs without the investment (negative).
    pub cost_without: Vec<f64>,
    /// Sales receipts with the investment.
    pub revenue_with: Vec<f64>,
    /// Operating costs with the investment, including maintenance and
    /// certification audits (negative).
    pub cost_with: Vec<f64>,
    /// Investment outlays and replacements (negative) and salvage and
    /// residual values (positive).
    pub capital: Vec<f64>,
    /// Household income other than the case's activities, less subsistence
    /// consumption, every month.
    pub household_net: Vec<f64>,
}

impl CaseFlows {
    /// Builds the flows of a validated case.
    pub fn build(case: &Case) -> CaseFlows {
        let n = case.horizon_months() as usize + 1;
        let (start_year, start_month) = parse_year_month(&case.start).unwrap_or((2026, 1));
        let mut f = CaseFlows {
            start_month,
            start_year,
            revenue_without: vec![0.0; n],
            cost_without: vec![0.0; n],
            revenue_with: vec![0.0; n],
            cost_with: vec![0.0; n],
            capital: vec![0.0; n],
            household_net: vec![
                case.household.other_income_per_month
                    - case.household.subsistence_per_month;
                n
            ],
        };
        for activity in &case.activities {
            if let Some(path) = &activity.without {
                add_path(
                    &mut f.revenue_without,
                    &mut f.cost_without,
                    activity,
                    path,
                    false,
                    start_month,
                );
                add_receivables(&mut f, activity, path);
            }
            if let Some(path) = &activity.with {
                add_path(
                    &mut f.revenue_with,
                    &mut f.cost_with,
                    activity,
                    path,
                    true,
                    start_month,
                );
            }
        }
        for item in &case.investments {
            add_item(&mut f.capital, &mut f.cost_with, item);
        }
        f
    }

    /// Number of months on the grid, including period 0.
    pub fn len(&self) -> usize {
        self.capital.len()
    }

    /// Whether the grid is empty (never, for a validated case).
    pub fn is_empty(&self) -> bool {
        self.capital.is_empty()
    }

    /// Calendar month (1–12) of period `t`.
    pub fn calendar_month(&self, t: usize) -> usize {
        (self.start_month as usize - 1 + t) % 12 + 1
    }

    /// `YYYY-MM` of period `t`.
    pub fn date(&self, t: usize) -> String {
        let months = self.start_year as i64 * 12 + self.start_month as i64 - 1 + t as i64;
        format!("{:04}-{:02}", months / 12, months % 12 + 1)
    }

    /// Operating net cash of the enterprise without the investment.
    pub fn net_without(&self, t: usize) -> f64 {
        self.revenue_without[t] + self.cost_without[t]
    }

    /// Operating net cash of the enterprise with the investment.
    pub fn net_with(&self, t: usize) -> f64 {
        self.revenue_with[t] + self.cost_with[t]
    }

    /// Incremental net benefit ΔNB_t (F1): with, including capital flows,
    /// minus without.
    pub fn incremental(&self) -> Vec<f64> {
        (0..self.len())
            .map(|t| self.net_with(t) + self.capital[t] - self.net_without(t))
            .collect()
    }

    /// Cash available for debt service in month `t` with the investment
    /// (F11, in cash terms): operating net cash plus other income less
    /// family living; capital outlays excluded.
    pub fn cfads(&self, t: usize) -> f64 {
        self.net_with(t) + self.household_net[t]
    }

    /// First month in which sales with the investment exceed sales without
    /// it: when the investment starts to pay.
    pub fn first_gain_month(&self) -> Option<usize> {
        (0..self.len()).find(|&t| self.revenue_with[t] > self.revenue_without[t] + 1e-9)
    }
}

/// Adds one activity path's sales and costs to the given vectors.
// `t` is the month of sale; receipts land at `t + delay`, so an index loop
// says it more plainly than iterators.
#[allow(clippy::needless_range_loop)]
fn add_path(
    revenue: &mut [f64],
    cost: &mut [f64],
    a: &Activity,
    p: &Path,
    with: bool,
    start_month: u32,
) {
    let harvest = calendar_shares(&a.harvest_calendar);
    let spend = a
        .cost_calendar
        .as_ref()
        .map_or([1.0 / 12.0; 12], calendar_shares);
    let cert = a.certification.as_ref().filter(|_| with);
    let prices = channel_prices(a, p);
    let n = revenue.len();
    for t in 0..n {
        let cm = (start_month as usize - 1 + t) % 12;
        let year = t / 12;
        let mut annual_output =
            p.output_per_year * p.ramp_at(year) * (1.0 + p.trend_per_year).powi(year as i32);
        let converted = cert.is_none_or(|c| t as u32 >= c.conversion_months);
        if let (Some(c), false) = (cert, converted) {
            annual_output *= 1.0 - c.conversion_yield_dip;
        }
        let output = annual_output * harvest[cm];
        for (channel, units_share, unit_price) in &prices {
            let mut price = *unit_price;
            if let (Some(c), true) = (cert, converted) {
                if c.channels.iter().any(|x| x == &channel.name) {
                    price += c.premium_per_unit * channel.pass_through;
                }
            }
            let paid_at = t + channel.delay_months() as usize;
            if paid_at < n {
                revenue[paid_at] += output * units_share * price;
            }
        }
        let annual_cost = p.fixed_cost_per_year + p.unit_cost * annual_output;
        cost[t] -= annual_cost * spend[cm];
        if let Some(c) = cert {
            cost[t] -= c.audit_cost_per_year / 12.0;
        }
    }
}

/// Payments that fall due after period 0 for sales made before it. An
/// ongoing business enters the grid with receivables from its buyers'
/// payment delays; without them every case would show a spurious cash gap
/// in its first months. Those sales were made before the investment, so they
/// are the without path's and are received on both paths alike.
fn add_receivables(f: &mut CaseFlows, a: &Activity, without: &Path) {
    let harvest = calendar_shares(&a.harvest_calendar);
    let annual_output = without.output_per_year * without.ramp_at(0);
    for (channel, units_share, price) in channel_prices(a, without) {
        let delay = channel.delay_months() as usize;
        for t in 0..delay.min(f.len()) {
            // The sale was made `delay` months before period t.
            let cm = (f.start_month as usize - 1 + t + 12 * delay - delay) % 12;
            let receipt = annual_output * harvest[cm] * units_share * price;
            f.revenue_without[t] += receipt;
            f.revenue_with[t] += receipt;
        }
    }
}

/// Each channel's share of output after grade limits, with its net unit price.
fn channel_prices<'a>(
    a: &'a Activity,
    p: &Path,
) -> Vec<(&'a crate::domain::case::Channel, f64, f64)> {
    let mut shares: Vec<f64> = a
        .channels
        .iter()
        .map(|c| p.mix.get(&c.name).copied().unwrap_or(0.0))
        .collect();
    // Rejects cascade: a graded channel keeps at most g of all output and
    // passes the rest on; iterate so chains of graded channels settle.
    for _ in 0..a.channels.len() {
        for (i, c) in a.channels.iter().enumerate() {
            let excess = shares[i] - c.grade_share;
            if excess > 1e-12 {
                if let Some(j) = c
                    .rejects_to
                    .as_ref()
                    .and_then(|to| a.channels.iter().position(|x| &x.name == to))
                {
                    shares[i] -= excess;
                    shares[j] += excess;
                }
            }
        }
    }
    a.channels
        .iter()
        .zip(shares)
        .map(|(c, s)| (c, s, c.net_price()))
        .filter(|(_, s, _)| *s > 0.0)
        .collect()
}

/// Adds an investment item: purchases, replacements, maintenance, salvage at
/// each end of life and the straight-line residual value at the horizon (F7).
fn add_item(capital: &mut [f64], cost: &mut [f64], item: &InvestmentItem) {
    let n = capital.len();
    let horizon = n - 1;
    let life = (item.life_years * 12.0).round().max(1.0) as usize;
    let mut bought = item.month as usize;
    loop {
        capital[bought] -= item.cost;
        let end = bought + life;
        for c in cost.iter_mut().take(end.min(n)).skip(bought) {
            *c -= item.maintenance_per_year / 12.0;
        }
        if end > horizon {
            let remaining = (end - horizon) as f64 / life as f64;
            capital[horizon] += item.cost * remaining.max(item.salvage_share);
            break;
        }
        capital[end] += item.cost * item.salvage_share;
        if !item.replace || end == horizon {
            break;
        }
        bought = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(body: &str) -> Case {
        let head = r#"
id = "t"
name = "t"
country = "X"
value_chain = "x"
upgrading = ["process"]
currency = "USD"
start = "2026-03"
horizon_years = 2
discount_rate = 0.1
[household]
other_income_per_month = 100
subsistence_per_month = 80
cash_buffer = 50
"#;
        let c: Case = toml::from_str(&format!("{head}{body}")).unwrap();
        c.validate().unwrap();
        c
    }

    const ACTIVITY: &str = r#"
[[activity]]
name = "tomato"
unit = "kg"
harvest_calendar = { "6" = 0.5, "12" = 0.5 }
[activity.without]
output_per_year = 1000
unit_cost = 0.1
mix = { market = 1.0 }
[activity.with]
output_per_year = 1500
unit_cost = 0.1
ramp = [0.5, 1.0]
mix = { export = 0.8, market = 0.2 }
[[activity.channel]]
name = "market"
price = 1.0
[[activity.channel]]
name = "export"
price = 2.0
pass_through = 0.5
fee_per_unit = 0.1
grade_share = 0.6
rejects_to = "market"
payment_delay_days = 60
"#;

    #[test]
    fn harvest_months_grade_limits_and_payment_delay_follow_the_case() {
        let f = CaseFlows::build(&case(ACTIVITY));
        // Start is March: June is period 3, December period 9.
        assert_eq!(f.calendar_month(3), 6);
        assert_eq!(f.date(10), "2027-01");
        // Without: 500 kg at 1.0 in June and December.
        assert!((f.revenue_without[3] - 500.0).abs() < 1e-9);
        assert!((f.revenue_without[9] - 500.0).abs() < 1e-9);
        // With, year 0: 375 kg per harvest; export takes 60% (grade) at
        // 2.0·0.5 − 0.1 = 0.9, paid two months later; 40% sells at 1.0.
        assert!((f.revenue_with[3] - 375.0 * 0.4).abs() < 1e-9);
        assert!((f.revenue_with[5] - 375.0 * 0.6 * 0.9).abs() < 1e-9);
        // Costs: 0.1 per kg of the year's output, spread evenly.
        assert!((f.cost_with[0] + 0.1 * 750.0 / 12.0).abs() < 1e-9);
        assert!((f.cost_with[12] + 0.1 * 1500.0 / 12.0).abs() < 1e-9);
        assert_eq!(f.household_net[7], 20.0);
        // Receivables: no export sales without the investment, so nothing
        // from before period 0 arrives on either path.
        assert_eq!(f.revenue_with[0], 0.0);
        assert_eq!(f.first_gain_month(), Some(5));
    }

    #[test]
    fn sales_made_before_period_0_are_received_on_both_paths() {
        // The market pays 60 days late; the December harvest before a
        // February start is paid in period 0.
        let body = ACTIVITY.replace("price = 1.0\n", "price = 1.0\npayment_delay_days = 60\n");
        assert_ne!(body, ACTIVITY);
        let mut c = case(&body);
        c.start = "2027-02".into();
        let f = CaseFlows::build(&c);
        assert!(
            (f.revenue_without[0] - 500.0).abs() < 1e-9,
            "{}",
            f.revenue_without[0]
        );
        assert!((f.revenue_with[0] - 500.0).abs() < 1e-9);
        assert_eq!(f.revenue_without[1], 0.0);
        // Paid for June's harvest in August (period 6).
        assert!((f.revenue_without[6] - 500.0).abs() < 1e-9);
    }

    #[test]
    fn items_are_replaced_and_leave_residual_value() {
        let c = case(&format!(
            "{ACTIVITY}\n[[investment]]\nname = \"pump\"\ncost = 1200\nlife_years = 1.5\nsalvage_share = 0.1\nmaintenance_per_year = 120\n"
        ));
        let f = CaseFlows::build(&c);
        assert_eq!(f.capital[0], -1200.0);
        // End of life at month 18: salvage 120 and replacement 1200.
        assert!((f.capital[18] - (120.0 - 1200.0)).abs() < 1e-9);
        // At the horizon (24) the replacement has 12 of 18 months left.
        assert!((f.capital[24] - 1200.0 * 12.0 / 18.0).abs() < 1e-9);
        assert!((f.cost_with[1] - (-0.1 * 750.0 / 12.0 - 10.0)).abs() < 1e-9);
    }
}
