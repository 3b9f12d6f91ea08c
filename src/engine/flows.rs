//! Batch cash-flow evaluation: one series in, one row of metrics out.
//!
//! `terrace flows` reads hundreds of thousands of series; this module is the
//! pure part, evaluating one series at a time so the edge can run batches
//! in parallel. Periodic series use per-period rates; dated series use
//! annual rates and actual/365 year fractions from their first date.

use chrono::NaiveDate;

use crate::math::tvm::{self, IrrResult};

/// The rates a series is evaluated at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowRates {
    /// Discount rate: per period for periodic series, annual for dated ones.
    pub rate: f64,
    /// MIRR finance rate (on negative flows), same unit as `rate`.
    pub finance_rate: f64,
    /// MIRR reinvestment rate (on positive flows), same unit as `rate`.
    pub reinvest_rate: f64,
}

/// The metrics of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowMetrics {
    /// Periodic: number of periods, last period + 1. Dated: number of flows.
    pub periods: usize,
    /// NPV (periodic, `values[0]` undiscounted) or XNPV (dated, to the
    /// first date).
    pub npv: f64,
    /// IRR per period (periodic) or XIRR per year (dated), with status.
    pub irr: IrrResult,
    /// MIRR per period (periodic) or per year (dated, see [`evaluate_dated`]).
    pub mirr: Option<f64>,
    /// Payback in periods (periodic) or years from the first date (dated).
    pub payback: Option<f64>,
    /// Discounted payback, same unit as `payback`.
    pub discounted_payback: Option<f64>,
}

/// Evaluates a periodic series: `values[t]` is the net flow of period t.
#[must_use]
pub fn evaluate_periodic(values: &[f64], rates: &FlowRates) -> FlowMetrics {
    FlowMetrics {
        periods: values.len(),
        npv: tvm::npv(rates.rate, values),
        irr: tvm::irr(values),
        mirr: tvm::mirr(values, rates.finance_rate, rates.reinvest_rate),
        payback: tvm::payback(values),
        discounted_payback: tvm::discounted_payback(rates.rate, values),
    }
}

/// Evaluates a dated series, `flows` sorted by date with distinct dates.
///
/// Time is actual/365 years from the first date. MIRR is the annual rate
/// `(FV⁺/|PV⁻|)^(1/Y) − 1`, where FV⁺ compounds the positive flows to the
/// last date at `reinvest_rate`, PV⁻ discounts the negative flows to the
/// first date at `finance_rate`, and Y is the span in years (numpy's MIRR
/// with periods replaced by years; `None` when Y = 0). Payback is in years
/// from the first date, interpolated linearly between the dates of the two
/// flows where the cumulative sum crosses zero; the discounted payback
/// discounts each flow at `rate` per year first.
#[must_use]
pub fn evaluate_dated(flows: &[(NaiveDate, f64)], rates: &FlowRates) -> FlowMetrics {
    let start = flows.first().map(|f| f.0);
    let times: Vec<f64> = flows
        .iter()
        .map(|f| start.map_or(0.0, |s| (f.0 - s).num_days() as f64 / 365.0))
        .collect();
    let disc = |t: f64| (-(1.0 + rates.rate).ln() * t).exp();
    FlowMetrics {
        periods: flows.len(),
        npv: tvm::xnpv(rates.rate, flows),
        irr: tvm::xirr(flows),
        mirr: dated_mirr(&times, flows, rates),
        payback: tvm::payback_at(times.iter().zip(flows).map(|(&t, f)| (t, f.1))),
        discounted_payback: if rates.rate > -1.0 {
            tvm::payback_at(times.iter().zip(flows).map(|(&t, f)| (t, f.1 * disc(t))))
        } else {
            None
        },
    }
}

fn dated_mirr(times: &[f64], flows: &[(NaiveDate, f64)], rates: &FlowRates) -> Option<f64> {
    let span = *times.last()?;
    let (fr, rr) = (rates.finance_rate, rates.reinvest_rate);
    if span <= 0.0 || fr <= -1.0 || rr <= -1.0 {
        return None;
    }
    // In logs, so that neither long spans nor large amounts overflow.
    let (ln_r, ln_f) = (rr.ln_1p(), fr.ln_1p());
    let pairs = || times.iter().zip(flows).map(|(&t, f)| (t, f.1));
    let ln_fv_pos = tvm::ln_sum_exp(pairs().map(|(t, a)| a.max(0.0).ln() + ln_r * (span - t)));
    let ln_pv_neg = tvm::ln_sum_exp(pairs().map(|(t, a)| (-a).max(0.0).ln() - ln_f * t));
    if ln_fv_pos == f64::NEG_INFINITY || ln_pv_neg == f64::NEG_INFINITY {
        return None;
    }
    let m = ((ln_fv_pos - ln_pv_neg) / span).exp_m1();
    m.is_finite().then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::tvm::IrrStatus;

    const RATES: FlowRates = FlowRates {
        rate: 0.1,
        finance_rate: 0.1,
        reinvest_rate: 0.1,
    };

    #[test]
    fn periodic_series_metrics() {
        // numpy_financial.npv(0.1, [-100, 60, 60]) = 4.132231404958667,
        // irr = 0.1306623862918075.
        let m = evaluate_periodic(&[-100.0, 60.0, 60.0], &RATES);
        assert_eq!(m.periods, 3);
        assert!((m.npv - 4.132231404958667).abs() < 1e-12);
        assert!((m.irr.unique().unwrap() - 0.1306623862918075).abs() < 1e-12);
        assert!((m.payback.unwrap() - (1.0 + 40.0 / 60.0)).abs() < 1e-12);
        assert!(m.discounted_payback.unwrap() > m.payback.unwrap());
    }

    #[test]
    fn dated_series_metrics() {
        // Microsoft XIRR/XNPV docs; pyxirr: 0.3733625335095556 and
        // 2086.6476020315363 at 9 %.
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let flows = [
            (d(2008, 1, 1), -10000.0),
            (d(2008, 3, 1), 2750.0),
            (d(2008, 10, 30), 4250.0),
            (d(2009, 2, 15), 3250.0),
            (d(2009, 4, 1), 2750.0),
        ];
        let rates = FlowRates {
            rate: 0.09,
            ..RATES
        };
        let m = evaluate_dated(&flows, &rates);
        assert_eq!(m.periods, 5);
        assert!((m.npv - 2086.6476020315363).abs() < 1e-8);
        assert_eq!(m.irr.status, IrrStatus::Unique);
        assert!((m.irr.unique().unwrap() - 0.3733625335095556).abs() < 1e-10);
        // Cumulative −10000, −7250, −3000, +250: crosses between 2008-10-30
        // (t = 303/365) and 2009-02-15 (t = 411/365), 3000/3250 of the way.
        let want = (303.0 + 3000.0 / 3250.0 * 108.0) / 365.0;
        assert!((m.payback.unwrap() - want).abs() < 1e-12);
        // The documented dated MIRR at 10 %/10 %, evaluated in Python from
        // the formula in `evaluate_dated`'s docs: 0.27236975312477174.
        assert!((m.mirr.unwrap() - 0.27236975312477174).abs() < 1e-12);
    }
}
