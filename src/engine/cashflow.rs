//! Monthly cash flows of a case, without and with the investment.
//!
//! [`CaseModel::compile`] turns a validated case into a model whose inputs
//! are slots in an [`Inputs`] registry; [`CaseModel::fill`] evaluates the
//! model on a [`Scenario`] (one Monte Carlo path, or the base scenario of
//! means) into [`CaseFlows`] on the monthly grid (period 0 = the
//! investment month). The deterministic appraisal and every simulated path
//! use this one builder, so the model lives in one place.
//!
//! Yearly draws: a random input takes one value per project year (year
//! `y` = months `12y..12y+11`); a drought year cuts each path's output by
//! the year's loss times the path's `drought_exposure`; a price process
//! multiplies its channel's price. Quantities drawn below zero count as
//! zero and shares are clamped to [0, 1].

use super::scenario::{Inputs, Scenario, Slot};
use crate::domain::case::{calendar_shares, parse_year_month, Case};
use crate::Result;

/// A case's monthly flows over `0..=horizon` months, signed from the
/// household's side. "Operating" means before investment outlays and
/// before any loan.
#[derive(Debug, Clone, PartialEq, Default)]
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
    /// Straight-line value of the investment items owned at the end of
    /// each month: what a lender could repossess.
    pub asset_value: Vec<f64>,
    /// Household income other than the case's activities, less subsistence
    /// consumption, every month.
    pub household_net: Vec<f64>,
    /// The part of `revenue_with` paid through channels that deduct the
    /// household's loan instalments at source (`deducts_repayment`), net of
    /// input advances the same buyer deducts first; already included in
    /// `revenue_with`.
    pub revenue_deducting: Vec<f64>,
}

/// A case compiled for evaluation: static structure plus input slots.
#[derive(Debug, Clone)]
pub struct CaseModel {
    start_year: i32,
    start_month: u32,
    months: usize,
    household_net: f64,
    activities: Vec<ActivityModel>,
    items: Vec<ItemModel>,
    /// The registry of the case's inputs, drought and price processes.
    pub inputs: Inputs,
}

#[derive(Debug, Clone)]
struct ActivityModel {
    harvest: [f64; 12],
    spend: [f64; 12],
    without: Option<PathModel>,
    with: Option<PathModel>,
    channels: Vec<ChannelModel>,
    cert: Option<CertModel>,
}

#[derive(Debug, Clone)]
struct PathModel {
    output: Slot,
    unit_cost: Slot,
    fixed_cost: Slot,
    ramp: Vec<f64>,
    /// (1 + trend)^year for each project year, the same on every path.
    growth: Vec<f64>,
    exposure: f64,
    /// Intended share of output per channel, in channel order.
    mix: Vec<f64>,
}

#[derive(Debug, Clone)]
struct ChannelModel {
    price: Slot,
    process: Option<usize>,
    grade: Slot,
    rejects_to: Option<usize>,
    pass_through: f64,
    /// Transport and fees per unit, subtracted from the passed-through price.
    deductions: f64,
    paid_share: f64,
    delay: usize,
    /// Units a year the channel takes at most.
    cap: Option<f64>,
    /// A guaranteed price replacing the drawn price.
    contract: Option<f64>,
    /// The spot alternative to the contract, with κ_f and κ_b (F39).
    spot: Option<usize>,
    side_selling_penalty: Option<f64>,
    renege_margin: Option<f64>,
    /// Share of the operating cost of its volume the buyer advances.
    advance_share: f64,
    /// Monthly growth factor of advances outstanding.
    advance_growth: f64,
    deducts_repayment: bool,
}

#[derive(Debug, Clone)]
struct CertModel {
    audit_per_month: f64,
    conversion_months: usize,
    dip: f64,
    premium: Slot,
    channels: Vec<bool>,
}

#[derive(Debug, Clone)]
struct ItemModel {
    cost: Slot,
    month: usize,
    life: usize,
    salvage: f64,
    maintenance_per_month: f64,
    replace: bool,
    /// The share of its cost an item is worth j months after purchase,
    /// straight-line down to the salvage share: the same on every path, so
    /// worked out once.
    value_left: Vec<f64>,
}

impl PathModel {
    /// (1 + trend)^year; the grid's last year is the horizon's, so later
    /// years never come.
    fn growth_at(&self, year: usize) -> f64 {
        by_year(&self.growth, year)
    }

    fn ramp_at(&self, year: usize) -> f64 {
        by_year(&self.ramp, year)
    }
}

/// A factor by project year: the last one given holds for the years after
/// it, and none given is 1.
fn by_year(factors: &[f64], year: usize) -> f64 {
    factors.get(year).or(factors.last()).copied().unwrap_or(1.0)
}

impl CaseModel {
    /// Compiles a validated case.
    pub fn compile(case: &Case) -> Result<CaseModel> {
        let (start_year, start_month) = parse_year_month(&case.start)?;
        let years = case.horizon_years as usize + 1;
        let mut inputs = Inputs::new(years);
        let mut items = Vec::new();
        for (i, item) in case.investments.iter().enumerate() {
            let life = (item.life_years * 12.0).round().max(1.0) as usize;
            items.push(ItemModel {
                cost: inputs.add(format!("investment[{i}].cost"), &item.cost),
                month: item.month as usize,
                life,
                salvage: item.salvage_share,
                maintenance_per_month: item.maintenance_per_year / 12.0,
                replace: item.replace,
                value_left: (0..life)
                    .map(|j| ((life - j) as f64 / life as f64).max(item.salvage_share))
                    .collect(),
            });
        }
        let mut activities = Vec::new();
        for a in &case.activities {
            let channels = a
                .channels
                .iter()
                .map(|c| ChannelModel {
                    price: inputs.add(format!("{}.{}.price", a.name, c.name), &c.price),
                    process: c.price_process.as_ref().map(|p| inputs.add_process(p)),
                    grade: inputs.add(format!("{}.{}.grade_share", a.name, c.name), &c.grade_share),
                    rejects_to: c
                        .rejects_to
                        .as_ref()
                        .and_then(|to| a.channels.iter().position(|x| &x.name == to)),
                    pass_through: c.pass_through,
                    deductions: c.transport_cost_per_unit_km * c.distance_km + c.fee_per_unit,
                    paid_share: 1.0 - c.nonpayment_probability,
                    delay: c.delay_months() as usize,
                    cap: c.volume_cap_per_year,
                    contract: c.contract_price,
                    spot: c
                        .spot_channel
                        .as_ref()
                        .and_then(|to| a.channels.iter().position(|x| &x.name == to)),
                    side_selling_penalty: c.side_selling_penalty,
                    renege_margin: c.buyer_renege_margin,
                    advance_share: c.input_advance_share,
                    advance_growth: (1.0 + c.input_advance_rate).powf(1.0 / 12.0),
                    deducts_repayment: c.deducts_repayment,
                })
                .collect();
            let mut path = |label: &str, p: &Option<crate::domain::case::Path>| {
                p.as_ref().map(|p| PathModel {
                    output: inputs.add(
                        format!("{}.{label}.output_per_year", a.name),
                        &p.output_per_year,
                    ),
                    unit_cost: inputs.add(format!("{}.{label}.unit_cost", a.name), &p.unit_cost),
                    fixed_cost: inputs.add(
                        format!("{}.{label}.fixed_cost_per_year", a.name),
                        &p.fixed_cost_per_year,
                    ),
                    ramp: p.ramp.clone(),
                    growth: (0..years)
                        .map(|y| (1.0 + p.trend_per_year).powi(y as i32))
                        .collect(),
                    exposure: p.drought_exposure,
                    mix: a
                        .channels
                        .iter()
                        .map(|c| p.mix.get(&c.name).copied().unwrap_or(0.0))
                        .collect(),
                })
            };
            let without = path("without", &a.without);
            let with = path("with", &a.with);
            let cert = a.certification.as_ref().map(|c| CertModel {
                audit_per_month: c.audit_cost_per_year / 12.0,
                conversion_months: c.conversion_months as usize,
                dip: c.conversion_yield_dip,
                premium: inputs.add(
                    format!("{}.certification.premium_per_unit", a.name),
                    &c.premium_per_unit,
                ),
                channels: a
                    .channels
                    .iter()
                    .map(|ch| c.channels.contains(&ch.name))
                    .collect(),
            });
            activities.push(ActivityModel {
                harvest: calendar_shares(&a.harvest_calendar),
                spend: a
                    .cost_calendar
                    .as_ref()
                    .map_or([1.0 / 12.0; 12], calendar_shares),
                without,
                with,
                channels,
                cert,
            });
        }
        if let Some(d) = &case.risk.drought {
            inputs.set_drought(d);
        }
        if let Some(c) = &case.risk.correlation {
            inputs.set_correlation(&c.names, &c.matrix)?;
        }
        Ok(CaseModel {
            start_year,
            start_month,
            months: case.horizon_months() as usize + 1,
            household_net: case.household.other_income_per_month
                - case.household.subsistence_per_month,
            activities,
            items,
            inputs,
        })
    }

    /// The flows on the base scenario (every input at its mean).
    pub fn base_flows(&self) -> CaseFlows {
        let mut f = CaseFlows::default();
        self.fill(&self.inputs.base(), &mut f);
        f
    }

    /// Evaluates the model on `s` into `f`, reusing its buffers.
    pub fn fill(&self, s: &Scenario, f: &mut CaseFlows) {
        self.fill_with_mix(s, None, f);
    }

    /// As [`CaseModel::fill`], with the with-path channel mix of activity
    /// `activity` replaced by `mix` (shares in the case file's channel
    /// order): how channel-mix analysis evaluates a mix on a scenario.
    pub fn fill_with_mix(&self, s: &Scenario, mix: Option<(usize, &[f64])>, f: &mut CaseFlows) {
        self.fill_except(s, mix.map(|(k, _)| k), f);
        if let Some((k, m)) = mix {
            self.add_with_path(s, k, m, f);
        }
    }

    /// Fills everything but the with path of activity `skip` (channel-mix
    /// analysis builds the rest of a scenario once and adds that path per
    /// mix with [`CaseModel::add_with_path`]).
    pub fn fill_except(&self, s: &Scenario, skip: Option<usize>, f: &mut CaseFlows) {
        let n = self.months;
        f.start_month = self.start_month;
        f.start_year = self.start_year;
        for v in [
            &mut f.revenue_without,
            &mut f.cost_without,
            &mut f.revenue_with,
            &mut f.cost_with,
            &mut f.capital,
            &mut f.asset_value,
            &mut f.revenue_deducting,
        ] {
            v.clear();
            v.resize(n, 0.0);
        }
        f.household_net.clear();
        f.household_net.resize(n, self.household_net);
        let drought_loss = self.inputs.drought_loss();
        for (i, a) in self.activities.iter().enumerate() {
            if let Some(p) = &a.without {
                let (revenue, cost) = (&mut f.revenue_without, &mut f.cost_without);
                self.add_path(a, p, &p.mix, None, s, drought_loss, revenue, cost, None);
                self.add_receivables(a, p, s, f);
            }
            if skip != Some(i) {
                if let Some(p) = &a.with {
                    self.add_with(a, p, &p.mix, s, f);
                }
            }
        }
        for item in &self.items {
            add_item(f, item, s);
        }
    }

    /// Adds the with path of activity `k`, its output split by `mix`.
    pub fn add_with_path(&self, s: &Scenario, k: usize, mix: &[f64], f: &mut CaseFlows) {
        let a = &self.activities[k];
        if let Some(p) = &a.with {
            self.add_with(a, p, mix, s, f);
        }
    }

    fn add_with(
        &self,
        a: &ActivityModel,
        p: &PathModel,
        mix: &[f64],
        s: &Scenario,
        f: &mut CaseFlows,
    ) {
        let drought_loss = self.inputs.drought_loss();
        let (revenue, cost) = (&mut f.revenue_with, &mut f.cost_with);
        let deducting = Some(f.revenue_deducting.as_mut_slice());
        self.add_path(
            a,
            p,
            mix,
            a.cert.as_ref(),
            s,
            drought_loss,
            revenue,
            cost,
            deducting,
        );
    }

    /// The intended mix after contracts are honoured or broken in `year`
    /// (F39): a contracted channel's volume goes to its spot channel when
    /// the spot net price exceeds the contract's by more than κ_f (the
    /// farmer side-sells) or the contract's exceeds the spot's by more than
    /// κ_b (the buyer reneges). `net[k]` is channel k's net price per unit
    /// that year, premium included.
    fn honour_contracts(a: &ActivityModel, mix: &[f64], net: &[f64], intended: &mut [f64]) {
        intended.copy_from_slice(mix);
        for (k, c) in a.channels.iter().enumerate() {
            let (Some(_), Some(j)) = (c.contract, c.spot) else {
                continue;
            };
            let side_sells = c
                .side_selling_penalty
                .is_some_and(|kf| net[j] - net[k] > kf);
            let reneges = c.renege_margin.is_some_and(|kb| net[k] - net[j] > kb);
            if side_sells || reneges {
                intended[j] += intended[k];
                intended[k] = 0.0;
            }
        }
    }

    /// Each channel's share of the year's `output` after grade limits and
    /// volume caps (F36, F38): a channel keeps at most g of all output and
    /// at most `cap` units, and passes the rest on to `rejects_to`. The
    /// case validation makes every rejects chain acyclic and end at an
    /// unlimited channel, so as many passes as channels settle it.
    fn allocate(
        a: &ActivityModel,
        mix: &[f64],
        s: &Scenario,
        year: usize,
        output: f64,
        shares: &mut [f64],
    ) {
        shares.copy_from_slice(mix);
        for _ in 0..a.channels.len() {
            let mut moved = false;
            for (i, c) in a.channels.iter().enumerate() {
                let Some(j) = c.rejects_to else {
                    continue;
                };
                let mut limit = s.value(c.grade, year).clamp(0.0, 1.0);
                if let (Some(cap), true) = (c.cap, output > 0.0) {
                    limit = limit.min(cap.max(0.0) / output);
                }
                let excess = shares[i] - limit;
                if excess > 1e-12 {
                    shares[i] = limit;
                    shares[j] += excess;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
    }

    fn unit_price(c: &ChannelModel, s: &Scenario, year: usize) -> f64 {
        let price = match c.contract {
            Some(pc) => pc,
            None => {
                let mult = c.process.map_or(1.0, |k| s.multiplier(k, year));
                s.value(c.price, year).max(0.0) * mult
            }
        };
        (price * c.pass_through - c.deductions) * c.paid_share
    }

    /// The certification premium per unit channel `k` adds in `year` once
    /// the conversion is over.
    fn premium(
        cert: Option<&CertModel>,
        k: usize,
        c: &ChannelModel,
        s: &Scenario,
        year: usize,
    ) -> f64 {
        match cert {
            Some(cm) if cm.channels[k] => s.value(cm.premium, year).max(0.0) * c.pass_through,
            _ => 0.0,
        }
    }

    /// Adds one activity's path (with or without the investment) to the
    /// flows, a year at a time: each year's output, costs, prices and
    /// channel shares are drawn at its start, then its months are spread
    /// by the calendars. Sales through a channel are received `delay`
    /// months later; without input advances, each channel's months are one
    /// loop over contiguous slices, which the compiler vectorises (this
    /// runs for every activity on every Monte Carlo path).
    #[allow(clippy::needless_range_loop, clippy::too_many_arguments)]
    fn add_path(
        &self,
        a: &ActivityModel,
        p: &PathModel,
        mix: &[f64],
        cert: Option<&CertModel>,
        s: &Scenario,
        drought_loss: Option<Slot>,
        revenue: &mut [f64],
        cost: &mut [f64],
        mut deducting: Option<&mut [f64]>,
    ) {
        let n = revenue.len();
        let k_n = a.channels.len();
        // One allocation for the per-channel scratch (this runs for every
        // activity on every Monte Carlo path).
        let mut scratch = vec![0.0; 6 * k_n];
        let (allocated, rest) = scratch.split_at_mut(k_n);
        let (prices, rest) = rest.split_at_mut(k_n);
        let (net, rest) = rest.split_at_mut(k_n);
        let (intended, rest) = rest.split_at_mut(k_n);
        // The certification premium per unit once converted, this year.
        let (premiums, advances) = rest.split_at_mut(k_n);
        // Input advances outstanding with each buyer, interest included.
        let any_advance = a.channels.iter().any(|c| c.advance_share > 0.0);
        // Without contracts, grade limits or caps the shares are the mix in
        // every year (most activities): nothing to honour or allocate.
        let moves = a
            .channels
            .iter()
            .any(|c| c.rejects_to.is_some() || (c.contract.is_some() && c.spot.is_some()));
        let start = self.start_month as usize - 1;
        let rotate = |v: &[f64; 12]| std::array::from_fn::<f64, 12, _>(|m| v[(start + m) % 12]);
        let (spend, harvest) = (rotate(&a.spend), rotate(&a.harvest));
        for t0 in (0..n).step_by(12) {
            let year = t0 / 12;
            let t1 = (t0 + 12).min(n);
            for (k, c) in a.channels.iter().enumerate() {
                prices[k] = Self::unit_price(c, s, year);
                premiums[k] = Self::premium(cert, k, c, s, year);
            }
            let mut annual_output =
                s.value(p.output, year).max(0.0) * p.ramp_at(year) * p.growth_at(year);
            if let (Some(loss), true) = (drought_loss, s.is_dry(year)) {
                annual_output *= 1.0 - s.value(loss, year).clamp(0.0, 1.0) * p.exposure;
            }
            let annual_cost = s.value(p.fixed_cost, year).max(0.0)
                + s.value(p.unit_cost, year).max(0.0) * annual_output;
            let shares: &[f64] = if moves {
                let converted = cert.is_none_or(|c| t0 >= c.conversion_months);
                for k in 0..k_n {
                    net[k] = price_now(prices[k], premiums[k], converted);
                }
                Self::honour_contracts(a, mix, net, intended);
                Self::allocate(a, intended, s, year, annual_output, allocated);
                allocated
            } else {
                mix
            };
            if any_advance {
                self.advance_year(
                    a,
                    cert,
                    t0,
                    t1,
                    annual_output,
                    annual_cost,
                    &spend,
                    &harvest,
                    shares,
                    prices,
                    premiums,
                    advances,
                    revenue,
                    cost,
                    deducting.as_deref_mut(),
                );
                continue;
            }
            for (c, w) in cost[t0..t1].iter_mut().zip(&spend) {
                *c -= annual_cost * w;
            }
            // The year splits where the conversion ends.
            let conv = cert.map_or(0, |c| c.conversion_months).clamp(t0, t1);
            for (ta, tb, converted) in [(t0, conv, false), (conv, t1, true)] {
                let dip = kept_share(cert, converted);
                for (k, c) in a.channels.iter().enumerate() {
                    if shares[k] <= 0.0 {
                        continue;
                    }
                    let price = price_now(prices[k], premiums[k], converted);
                    // Sales of months ta..end are received within the horizon.
                    let end = tb.min(n.saturating_sub(c.delay));
                    if end <= ta {
                        continue;
                    }
                    let sales = harvest[ta - t0..end - t0]
                        .iter()
                        .map(|h| sale(annual_output, *h, dip, shares[k], price));
                    let paid = ta + c.delay..end + c.delay;
                    match (deducting.as_deref_mut(), c.deducts_repayment) {
                        (Some(d), true) => {
                            for ((r, d), gross) in revenue[paid.clone()]
                                .iter_mut()
                                .zip(&mut d[paid])
                                .zip(sales)
                            {
                                *r += gross;
                                *d += gross;
                            }
                        }
                        _ => {
                            for (r, gross) in revenue[paid].iter_mut().zip(sales) {
                                *r += gross;
                            }
                        }
                    }
                }
            }
            if let Some(c) = cert {
                for x in &mut cost[t0..t1] {
                    *x -= c.audit_per_month;
                }
            }
        }
        // Advances no sale repaid are settled at the horizon.
        if any_advance && n > 0 {
            cost[n - 1] -= advances.iter().sum::<f64>();
        }
    }

    /// One year of an activity whose buyers advance inputs, month by month:
    /// each month's advances, recoveries and sales depend on the last's.
    #[allow(clippy::too_many_arguments)]
    fn advance_year(
        &self,
        a: &ActivityModel,
        cert: Option<&CertModel>,
        t0: usize,
        t1: usize,
        annual_output: f64,
        annual_cost: f64,
        spend: &[f64; 12],
        harvest: &[f64; 12],
        shares: &[f64],
        prices: &[f64],
        premiums: &[f64],
        advances: &mut [f64],
        revenue: &mut [f64],
        cost: &mut [f64],
        mut deducting: Option<&mut [f64]>,
    ) {
        let n = revenue.len();
        for t in t0..t1 {
            let month_cost = annual_cost * spend[t - t0];
            let mut advanced = 0.0;
            for (k, c) in a.channels.iter().enumerate() {
                advances[k] *= c.advance_growth;
                if c.advance_share > 0.0 && shares[k] > 0.0 {
                    let x = c.advance_share * shares[k] * month_cost;
                    advances[k] += x;
                    advanced += x;
                }
            }
            cost[t] -= month_cost - advanced;
            let converted = cert.is_none_or(|c| t >= c.conversion_months);
            let dip = kept_share(cert, converted);
            for (k, c) in a.channels.iter().enumerate() {
                if shares[k] <= 0.0 {
                    continue;
                }
                let price = price_now(prices[k], premiums[k], converted);
                let gross = sale(annual_output, harvest[t - t0], dip, shares[k], price);
                let paid_at = t + c.delay;
                if gross != 0.0 && paid_at < n {
                    revenue[paid_at] += gross;
                    let recovered = advances[k].min(gross.max(0.0));
                    advances[k] -= recovered;
                    cost[paid_at] -= recovered;
                    if let (Some(d), true) = (deducting.as_deref_mut(), c.deducts_repayment) {
                        d[paid_at] += gross - recovered;
                    }
                }
            }
            if let Some(c) = cert {
                cost[t] -= c.audit_per_month;
            }
        }
    }

    /// Payments that fall due after period 0 for sales made before it. An
    /// ongoing business enters the grid with receivables from its buyers'
    /// payment delays; without them every case would show a spurious cash
    /// gap in its first months. Those sales were made before the
    /// investment, at year-0 levels of the without path, and are received
    /// on both paths alike (input advances on them are taken as settled
    /// before period 0).
    fn add_receivables(&self, a: &ActivityModel, p: &PathModel, s: &Scenario, f: &mut CaseFlows) {
        let k_n = a.channels.len();
        let mut shares = vec![0.0; k_n];
        let mut intended = vec![0.0; k_n];
        let net: Vec<f64> = a
            .channels
            .iter()
            .map(|c| Self::unit_price(c, s, 0))
            .collect();
        Self::honour_contracts(a, &p.mix, &net, &mut intended);
        let annual_output = s.value(p.output, 0).max(0.0) * p.ramp_at(0);
        Self::allocate(a, &intended, s, 0, annual_output, &mut shares);
        for (k, c) in a.channels.iter().enumerate() {
            let price = net[k];
            for t in 0..c.delay.min(f.revenue_without.len()) {
                // The sale was made `delay` months before period t.
                let cm = (self.start_month as usize - 1 + t + 12 * c.delay - c.delay) % 12;
                let receipt = annual_output * a.harvest[cm] * shares[k] * price;
                f.revenue_without[t] += receipt;
                f.revenue_with[t] += receipt;
                if c.deducts_repayment {
                    f.revenue_deducting[t] += receipt;
                }
            }
        }
    }
}

/// A channel's price per unit: its certification premium counts once the
/// conversion is over.
#[inline]
fn price_now(price: f64, premium: f64, converted: bool) -> f64 {
    price + if converted { premium } else { 0.0 }
}

/// The share of a month's output the certification's conversion leaves:
/// 1 − dip until it is over, 1 after it or without one (× 1 leaves a
/// number as it is, so one loop serves both).
#[inline]
fn kept_share(cert: Option<&CertModel>, converted: bool) -> f64 {
    match (cert, converted) {
        (Some(c), false) => 1.0 - c.dip,
        _ => 1.0,
    }
}

/// What a month's sales through one channel bring: the month's part
/// `harvest` of the year's output, times `dip` (1, or what the conversion to
/// a certification leaves), times the channel's share and price. A month
/// without output sells nothing, whatever the price.
#[inline]
fn sale(annual_output: f64, harvest: f64, dip: f64, share: f64, price: f64) -> f64 {
    let output = annual_output * harvest * dip;
    if output > 0.0 {
        output * share * price
    } else {
        0.0
    }
}

/// Adds an investment item: purchases, replacements, maintenance, salvage at
/// each end of life, the straight-line residual value at the horizon (F7),
/// and the item's value while owned.
fn add_item(f: &mut CaseFlows, item: &ItemModel, s: &Scenario) {
    let n = f.capital.len();
    let horizon = n - 1;
    let mut bought = item.month;
    loop {
        let cost = s.value(item.cost, bought / 12).max(0.0);
        f.capital[bought] -= cost;
        let end = bought + item.life;
        let owned = bought..end.min(n);
        for c in &mut f.cost_with[owned.clone()] {
            *c -= item.maintenance_per_month;
        }
        for (v, left) in f.asset_value[owned].iter_mut().zip(&item.value_left) {
            *v += cost * left;
        }
        if end > horizon {
            let remaining = (end - horizon) as f64 / item.life as f64;
            f.capital[horizon] += cost * remaining.max(item.salvage);
            break;
        }
        f.capital[end] += cost * item.salvage;
        if !item.replace || end == horizon {
            break;
        }
        bought = end;
    }
}

impl CaseFlows {
    /// Builds the base-scenario flows of a validated case.
    pub fn build(case: &Case) -> Result<CaseFlows> {
        Ok(CaseModel::compile(case)?.base_flows())
    }

    /// Copies `other` into `self`, reusing `self`'s buffers.
    pub fn copy_from(&mut self, other: &CaseFlows) {
        self.start_month = other.start_month;
        self.start_year = other.start_year;
        self.revenue_without.clone_from(&other.revenue_without);
        self.cost_without.clone_from(&other.cost_without);
        self.revenue_with.clone_from(&other.revenue_with);
        self.cost_with.clone_from(&other.cost_with);
        self.capital.clone_from(&other.capital);
        self.asset_value.clone_from(&other.asset_value);
        self.household_net.clone_from(&other.household_net);
        self.revenue_deducting.clone_from(&other.revenue_deducting);
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

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"
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

    fn case(body: &str) -> Case {
        let c: Case = toml::from_str(&format!("{HEAD}{body}")).unwrap();
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
        let f = CaseFlows::build(&case(ACTIVITY)).unwrap();
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
    fn certification_dips_before_the_conversion_month_and_pays_from_it() {
        // Conversion ends in period 9 (December), mid-year: June's harvest
        // (period 3) is still dipped 20 % and earns no premium; December's
        // is whole and earns 0.5 per unit on the certified market channel.
        let body = format!(
            "{ACTIVITY}[activity.certification]\nname = \"organic\"\n\
             audit_cost_per_year = 120\nconversion_months = 9\n\
             conversion_yield_dip = 0.2\npremium_per_unit = 0.5\n\
             channels = [\"market\"]\n"
        );
        let f = CaseFlows::build(&case(&body)).unwrap();
        // 375 kg a harvest in year 0; market 40 % at 1.0, export 60 % at
        // 0.9 paid two months later.
        assert!((f.revenue_with[3] - 375.0 * 0.8 * 0.4).abs() < 1e-9);
        assert!((f.revenue_with[5] - 375.0 * 0.8 * 0.6 * 0.9).abs() < 1e-9);
        assert!((f.revenue_with[9] - 375.0 * 0.4 * 1.5).abs() < 1e-9);
        assert!((f.revenue_with[11] - 375.0 * 0.6 * 0.9).abs() < 1e-9);
        // The audit, 10 a month, on top of the spread unit costs.
        assert!((f.cost_with[0] + 0.1 * 750.0 / 12.0 + 10.0).abs() < 1e-9);
        // The path without is not certified.
        assert!((f.revenue_without[9] - 500.0).abs() < 1e-9);
    }

    #[test]
    fn sales_made_before_period_0_are_received_on_both_paths() {
        // The market pays 60 days late; the December harvest before a
        // February start is paid in period 0.
        let body = ACTIVITY.replace("price = 1.0\n", "price = 1.0\npayment_delay_days = 60\n");
        assert_ne!(body, ACTIVITY);
        let mut c = case(&body);
        c.start = "2027-02".into();
        let f = CaseFlows::build(&c).unwrap();
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
        let f = CaseFlows::build(&c).unwrap();
        assert_eq!(f.capital[0], -1200.0);
        // End of life at month 18: salvage 120 and replacement 1200.
        assert!((f.capital[18] - (120.0 - 1200.0)).abs() < 1e-9);
        // At the horizon (24) the replacement has 12 of 18 months left.
        assert!((f.capital[24] - 1200.0 * 12.0 / 18.0).abs() < 1e-9);
        assert!((f.cost_with[1] - (-0.1 * 750.0 / 12.0 - 10.0)).abs() < 1e-9);
    }

    /// One activity, all output sold in June (period 3 from a March start),
    /// channels appended from `channels`; `mix` is the with mix.
    fn june(mix: &str, channels: &str) -> String {
        format!(
            r#"
[[activity]]
name = "fruit"
unit = "kg"
harvest_calendar = {{ "6" = 1.0 }}
[activity.with]
output_per_year = 1000
mix = {{ {mix} }}
{channels}
"#
        )
    }

    #[test]
    fn a_volume_cap_is_never_exceeded_and_its_overflow_goes_to_rejects_to() {
        // 1000 kg offered to the exporter, which takes 300 kg a year (a
        // tighter limit than its 0.5 grade share = 500 kg) at 2.0, paid a
        // month later; the 700 kg overflow sells on the market at 1.0.
        let body = june(
            r#"export = 1.0"#,
            r#"
[[activity.channel]]
name = "export"
price = 2.0
grade_share = 0.5
volume_cap_per_year = 300
rejects_to = "market"
payment_delay_days = 30
[[activity.channel]]
name = "market"
price = 1.0
"#,
        );
        let f = CaseFlows::build(&case(&body)).unwrap();
        assert!(
            (f.revenue_with[3] - 700.0).abs() < 1e-9,
            "{}",
            f.revenue_with[3]
        );
        assert!(
            (f.revenue_with[4] - 600.0).abs() < 1e-9,
            "{}",
            f.revenue_with[4]
        );
        // Where the grade share binds first (0.2 × 1000 = 200 < 300), it rules.
        let f = CaseFlows::build(&case(
            &body.replace("grade_share = 0.5", "grade_share = 0.2"),
        ))
        .unwrap();
        assert!((f.revenue_with[4] - 400.0).abs() < 1e-9);
        assert!((f.revenue_with[3] - 800.0).abs() < 1e-9);
    }

    /// The with-path shares of activity 0 in year 0 on the base scenario.
    fn allocated(c: &Case) -> Vec<f64> {
        let m = CaseModel::compile(c).unwrap();
        let a = &m.activities[0];
        let p = a.with.as_ref().unwrap();
        let mut shares = vec![0.0; a.channels.len()];
        let s = m.inputs.base();
        CaseModel::allocate(a, &p.mix, &s, 0, 1000.0, &mut shares);
        shares
    }

    proptest::proptest! {
        #[test]
        fn rejects_never_end_above_a_grade_share_or_cap(
            grades in proptest::collection::vec(0.0f64..=1.0, 3),
            caps in proptest::collection::vec(proptest::option::of(1.0f64..1500.0), 3),
            raw_mix in proptest::collection::vec(0.0f64..1.0, 4),
            targets in proptest::collection::vec(0usize..3, 3),
        ) {
            // Channels c0..c2 are limited and reject to a later channel; c3
            // is the unlimited end of every chain.
            let total: f64 = raw_mix.iter().sum::<f64>() + 1e-3;
            let mix: Vec<f64> = raw_mix.iter().map(|x| (x + 1e-3 / 4.0) / total).collect();
            let mix_text = mix
                .iter()
                .enumerate()
                .map(|(i, m)| format!("c{i} = {m:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut channels = String::new();
            for i in 0..3 {
                let to = i + 1 + targets[i] % (3 - i);
                channels += &format!(
                    "[[activity.channel]]\nname = \"c{i}\"\nprice = 1.0\ngrade_share = {:?}\nrejects_to = \"c{to}\"\n",
                    grades[i]
                );
                if let Some(cap) = caps[i] {
                    channels += &format!("volume_cap_per_year = {cap:?}\n");
                }
            }
            channels += "[[activity.channel]]\nname = \"c3\"\nprice = 1.0\n";
            let c = case(&june(&mix_text, &channels));
            let shares = allocated(&c);
            let sum: f64 = shares.iter().sum();
            proptest::prop_assert!((sum - 1.0).abs() < 1e-9, "shares {shares:?}");
            for i in 0..3 {
                let mut limit = grades[i];
                if let Some(cap) = caps[i] {
                    limit = limit.min(cap / 1000.0);
                }
                proptest::prop_assert!(shares[i] >= -1e-12);
                proptest::prop_assert!(
                    shares[i] <= limit + 1e-9,
                    "c{i} holds {} above its limit {limit}: {shares:?}",
                    shares[i]
                );
            }
        }
    }

    /// A cooperative with a contract at 10 per kg (paid a month later) and
    /// a coyote buying spot at `spot`, with κ_f and κ_b as given.
    fn contract(spot: f64, kappas: &str) -> CaseFlows {
        let body = june(
            r#"coop = 1.0"#,
            &format!(
                r#"
[[activity.channel]]
name = "coop"
price = 99.0
contract_price = 10.0
spot_channel = "coyote"
payment_delay_days = 30
{kappas}
[[activity.channel]]
name = "coyote"
price = {spot:?}
"#
            ),
        );
        CaseFlows::build(&case(&body)).unwrap()
    }

    #[test]
    fn the_farmer_side_sells_exactly_when_the_spot_margin_exceeds_kappa_f() {
        let k = "side_selling_penalty = 2.0";
        // Spot 12: a margin of exactly κ_f = 2 keeps the contract, paid in
        // July at the contract price (not the channel's `price` of 99).
        let f = contract(12.0, k);
        assert_eq!(f.revenue_with[3], 0.0);
        assert!((f.revenue_with[4] - 10_000.0).abs() < 1e-9);
        // Spot 12.5: a margin of 2.5 > 2, all 1000 kg go to the coyote in June.
        let f = contract(12.5, k);
        assert!((f.revenue_with[3] - 12_500.0).abs() < 1e-9);
        assert_eq!(f.revenue_with[4], 0.0);
        // Without κ_b the buyer honours the contract however low the spot.
        let f = contract(1.0, k);
        assert!((f.revenue_with[4] - 10_000.0).abs() < 1e-9);
    }

    #[test]
    fn the_buyer_reneges_exactly_when_the_contract_exceeds_spot_by_kappa_b() {
        let k = "buyer_renege_margin = 3.0";
        // Contract 10 − spot 7 = 3 = κ_b: honoured.
        let f = contract(7.0, k);
        assert!((f.revenue_with[4] - 10_000.0).abs() < 1e-9);
        assert_eq!(f.revenue_with[3], 0.0);
        // Spot 6.5: 3.5 > κ_b, the volume is sold spot.
        let f = contract(6.5, k);
        assert!((f.revenue_with[3] - 6_500.0).abs() < 1e-9);
        assert_eq!(f.revenue_with[4], 0.0);
        // Without κ_f the farmer never side-sells.
        let f = contract(50.0, k);
        assert!((f.revenue_with[4] - 10_000.0).abs() < 1e-9);
    }

    /// From January: costs of 0.1 × 1000 kg spread over January–June, all
    /// sold in December to a buyer that advances `share` of them at `rate`
    /// and may deduct repayment.
    fn advances(share: f64, rate: f64) -> CaseFlows {
        let body = format!(
            r#"
[[activity]]
name = "fruit"
unit = "kg"
harvest_calendar = {{ "12" = 1.0 }}
cost_calendar = {{ "1" = 0.1, "2" = 0.2, "3" = 0.1, "4" = 0.2, "5" = 0.2, "6" = 0.2 }}
[activity.with]
output_per_year = 1000
unit_cost = 0.1
mix = {{ coop = 1.0 }}
[[activity.channel]]
name = "coop"
price = 1.0
input_advance_share = {share:?}
input_advance_rate = {rate:?}
deducts_repayment = true
"#
        );
        let mut c = case(&body);
        c.start = "2026-01".into();
        CaseFlows::build(&c).unwrap()
    }

    #[test]
    fn input_advances_move_cost_to_the_sale_and_keep_the_years_total() {
        let none = advances(0.0, 0.0);
        let free = advances(0.5, 0.0);
        // January's cost 10 is half advanced; December's payment of 1000
        // carries the deduction of half the year's 100.
        assert!((none.cost_with[0] + 10.0).abs() < 1e-9);
        assert!((free.cost_with[0] + 5.0).abs() < 1e-9);
        assert!((free.cost_with[11] + 50.0).abs() < 1e-9);
        assert!((free.revenue_with[11] - 1000.0).abs() < 1e-9);
        let year = |f: &CaseFlows| f.cost_with[..12].iter().sum::<f64>();
        assert!((year(&none) + 100.0).abs() < 1e-9);
        assert!((year(&free) - year(&none)).abs() < 1e-9);
        // At 12 % a year, each month's advance grows by 1.12^(months to
        // December / 12) before it is deducted.
        let dear = advances(0.5, 0.12);
        let months = [
            (0, 10.0),
            (1, 20.0),
            (2, 10.0),
            (3, 20.0),
            (4, 20.0),
            (5, 20.0),
        ];
        let owed: f64 = months
            .iter()
            .map(|&(m, c)| 0.5 * c * 1.12f64.powf((11 - m) as f64 / 12.0))
            .sum();
        assert!(
            (dear.cost_with[11] + owed).abs() < 1e-9,
            "{}",
            dear.cost_with[11]
        );
        assert!((year(&dear) - year(&none) + (owed - 50.0)).abs() < 1e-9);
        // What reaches the household through this buyer, before any loan
        // deduction, is the payment less the advances.
        assert!((dear.revenue_deducting[11] - (1000.0 - owed)).abs() < 1e-9);
        assert_eq!(dear.revenue_deducting[10], 0.0);
        assert_eq!(none.revenue_without, vec![0.0; 25]);
    }

    #[test]
    fn unrepaid_advances_are_settled_at_the_horizon() {
        // Nothing is sold after the second December; the advances of the
        // last month (January of year 3, the horizon) are settled then.
        let f = advances(1.0, 0.0);
        let advanced: f64 = f.cost_with.iter().sum();
        let none = advances(0.0, 0.0);
        assert!((advanced - none.cost_with.iter().sum::<f64>()).abs() < 1e-9);
    }

    /// The validation error of a case body, as displayed.
    fn invalid(body: &str) -> String {
        let c: Case = toml::from_str(&format!("{HEAD}{body}")).unwrap();
        c.validate().unwrap_err().to_string()
    }

    #[test]
    fn broken_channel_links_are_rejected_naming_the_field() {
        let a = r#"
[[activity.channel]]
name = "a"
price = 1.0
grade_share = 0.5
rejects_to = "b"
[[activity.channel]]
name = "b"
price = 1.0
grade_share = 0.5
rejects_to = "a"
"#;
        let e = invalid(&june("a = 1.0", a));
        assert!(e.contains("activity[0].channel[0].rejects_to"), "{e}");
        assert!(e.contains("cycle"), "{e}");
        assert!(e.contains("`a` → `b` → `a`"), "{e}");

        let cap = r#"
[[activity.channel]]
name = "a"
price = 1.0
volume_cap_per_year = 100
"#;
        let e = invalid(&june("a = 1.0", cap));
        assert!(e.contains("activity[0].channel[0].rejects_to"), "{e}");
        assert!(e.contains("volume_cap_per_year"), "{e}");

        let spot = r#"
[[activity.channel]]
name = "a"
price = 1.0
contract_price = 1.0
spot_channel = "nowhere"
"#;
        let e = invalid(&june("a = 1.0", spot));
        assert!(e.contains("activity[0].channel[0].spot_channel"), "{e}");
        assert!(e.contains("nowhere"), "{e}");

        let kappa = r#"
[[activity.channel]]
name = "a"
price = 1.0
side_selling_penalty = 1.0
"#;
        let e = invalid(&june("a = 1.0", kappa));
        assert!(
            e.contains("activity[0].channel[0].side_selling_penalty"),
            "{e}"
        );

        // A capped channel inside a chain that ends unlimited is fine.
        let chained = r#"
[[activity.channel]]
name = "a"
price = 1.0
grade_share = 0.5
rejects_to = "b"
[[activity.channel]]
name = "b"
price = 1.0
volume_cap_per_year = 10
rejects_to = "c"
[[activity.channel]]
name = "c"
price = 1.0
"#;
        let f = CaseFlows::build(&case(&june("a = 1.0", chained))).unwrap();
        // June: 500 kg to a, 10 to b, 490 to c, all at 1.0.
        assert!((f.revenue_with[3] - 1000.0).abs() < 1e-9);
    }
}
