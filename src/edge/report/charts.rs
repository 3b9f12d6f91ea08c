//! Charts as SVG text, drawn with `plotters`' SVG backend.
//!
//! Each renderer takes the numbers to draw and returns the SVG as a
//! `String`: no file access, no fonts loaded (text is left to the viewer's
//! sans-serif), no clock, so the same data gives the same bytes and
//! snapshot tests can compare them. Colours are the Okabe–Ito palette,
//! which stays distinguishable under the common colour-vision deficiencies
//! (Okabe & Ito 2008, "Color Universal Design").
//!
//! Values a reader must be able to match against a table (VaR, ES, EL, the
//! ends of tornado bars) are written on the chart with [`amount`], the same
//! formatter the HTML tables use.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{Error, ErrorKind, Result};

/// Okabe–Ito: orange, sky blue, bluish green, yellow, blue, vermillion,
/// reddish purple, black.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xF0, 0xE4, 0x42),
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x00, 0x00, 0x00),
];

const ORANGE: RGBColor = PALETTE[0];
const SKY: RGBColor = PALETTE[1];
const GREEN: RGBColor = PALETTE[2];
const BLUE: RGBColor = PALETTE[4];
const VERMILLION: RGBColor = PALETTE[5];
const PURPLE: RGBColor = PALETTE[6];
const INK: RGBColor = PALETTE[7];
const GREY: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// Chart size in SVG user units (pixels at 100%).
const SIZE: (u32, u32) = (900, 480);
const FONT: &str = "sans-serif";
const TITLE_PT: u32 = 20;
const LABEL_PT: u32 = 14;
const DESC_PT: u32 = 15;

/// A number as the report prints it: thousands separated by commas, no
/// decimals for large magnitudes, two significant decimals for small ones.
#[must_use]
pub fn amount(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    if a >= 100.0 || a == 0.0 {
        let r = x.round();
        let digits = format!("{:.0}", r.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if r < 0.0 {
            format!("−{out}")
        } else {
            out
        }
    } else {
        let s = if a >= 1.0 {
            format!("{:.2}", a)
        } else {
            format!("{:.4}", a)
        };
        if x < 0.0 {
            format!("−{s}")
        } else {
            s
        }
    }
}

/// A share as a percentage with `decimals` places.
#[must_use]
pub fn percent(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{:.*}%", decimals, x * 100.0).replace('-', "−")
    } else {
        "-".into()
    }
}

fn chart_error(chart: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Invalid, format!("chart `{chart}`: {e}"))
}

/// The range [lo, hi] of the finite values, padded by 5% each side, and
/// widened when all values are equal so the axis is never empty.
fn span(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - pad, hi + pad)
}

/// Draws `draw` on a fresh SVG canvas and returns the SVG text.
fn svg(
    chart: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(chart, e))?;
        draw(&root)?;
        root.present().map_err(|e| chart_error(chart, e))?;
    }
    Ok(out)
}

fn text(pt: u32) -> TextStyle<'static> {
    (FONT, pt).into_font().color(&INK)
}

/// A legend entry: a short line of the series' colour.
fn legend_line(c: RGBColor, width: u32) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(width))
}

/// The corner of the plot with the fewest data points in a box of 40% of
/// the width and 35% of the height, so the legend hides as little as
/// possible; ties go to the earlier corner in the list.
fn quiet_corner(
    points: impl IntoIterator<Item = (f64, f64)>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    corners: &[SeriesLabelPosition],
) -> SeriesLabelPosition {
    let pts: Vec<(f64, f64)> = points
        .into_iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| ((x - x0) / (x1 - x0), (y - y0) / (y1 - y0)))
        .collect();
    let inside = |c: &SeriesLabelPosition| {
        let (left, upper) = match c {
            SeriesLabelPosition::UpperLeft => (true, true),
            SeriesLabelPosition::UpperRight => (false, true),
            SeriesLabelPosition::LowerLeft => (true, false),
            _ => (false, false),
        };
        pts.iter()
            .filter(|(x, y)| {
                (if left { *x <= 0.4 } else { *x >= 0.6 })
                    && (if upper { *y >= 0.65 } else { *y <= 0.35 })
            })
            .count()
    };
    let mut best = 0;
    for (k, c) in corners.iter().enumerate() {
        if inside(c) < inside(&corners[best]) {
            best = k;
        }
    }
    corners[best].clone()
}

const CORNERS: [SeriesLabelPosition; 4] = [
    SeriesLabelPosition::UpperLeft,
    SeriesLabelPosition::UpperRight,
    SeriesLabelPosition::LowerRight,
    SeriesLabelPosition::LowerLeft,
];

/// The household's cash month by month, with and without the investment.
#[derive(Debug, Clone)]
pub struct CashChart {
    /// Chart title.
    pub title: String,
    /// Currency code for the axis.
    pub currency: String,
    /// `YYYY-MM` of each month from 0.
    pub dates: Vec<String>,
    /// Cash at month end with the investment and the loan.
    pub with: Vec<f64>,
    /// Cash at month end without the investment (no loan).
    pub without: Vec<f64>,
    /// Instalment due each month (positive; 0 where nothing is due).
    pub instalments: Vec<f64>,
}

/// Cash balance lines with and without, instalments as outflow bars.
pub fn cash_chart(c: &CashChart) -> Result<String> {
    let id = "cash";
    let n = c.dates.len().max(1);
    let (lo, hi) = span(
        c.with
            .iter()
            .chain(&c.without)
            .copied()
            .chain(c.instalments.iter().map(|d| -d))
            .chain([0.0]),
    );
    let e = |e| chart_error(id, e);
    svg(id, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&c.title, text(TITLE_PT))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), lo..hi)
            .map_err(e)?;
        let dates = &c.dates;
        let x_fmt = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-9 && i >= 0.0 {
                dates.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let y_fmt = |y: &f64| amount(*y);
        chart
            .configure_mesh()
            .x_labels(12)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc("month")
            .y_desc(format!("cash at month end ({})", c.currency))
            .label_style(text(LABEL_PT))
            .axis_desc_style(text(DESC_PT))
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(e)?;
        chart
            .draw_series(
                c.instalments
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| **d > 0.0)
                    .map(|(t, d)| {
                        Rectangle::new(
                            [(t as f64 - 0.4, 0.0), (t as f64 + 0.4, -d)],
                            VERMILLION.mix(0.7).filled(),
                        )
                    }),
            )
            .map_err(e)?
            .label("instalment due (drawn as an outflow)")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], VERMILLION.filled()));
        chart
            .draw_series(LineSeries::new(
                c.without.iter().enumerate().map(|(t, v)| (t as f64, *v)),
                SKY.stroke_width(2),
            ))
            .map_err(e)?
            .label("without the investment")
            .legend(legend_line(SKY, 2));
        chart
            .draw_series(LineSeries::new(
                c.with.iter().enumerate().map(|(t, v)| (t as f64, *v)),
                BLUE.stroke_width(3),
            ))
            .map_err(e)?
            .label("with the investment and the loan")
            .legend(legend_line(BLUE, 3));
        chart
            .draw_series(LineSeries::new(
                [(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
                INK.stroke_width(1),
            ))
            .map_err(e)?;
        chart
            .configure_series_labels()
            .position(quiet_corner(
                c.with
                    .iter()
                    .chain(&c.without)
                    .enumerate()
                    .map(|(t, v)| ((t % n) as f64, *v)),
                (-0.5, n as f64 - 0.5),
                (lo, hi),
                &CORNERS,
            ))
            .label_font(text(LABEL_PT))
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .draw()
            .map_err(e)?;
        Ok(())
    })
}

/// One loan year's DSCR percentiles across paths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FanRow {
    /// Loan year from 1.
    pub year: usize,
    /// 10th percentile.
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
}

/// The DSCR fan: percentile bands by loan year and the lender's threshold.
#[derive(Debug, Clone)]
pub struct FanChart {
    /// Chart title.
    pub title: String,
    /// One row per loan year with dues.
    pub rows: Vec<FanRow>,
    /// The lender's minimum DSCR.
    pub threshold: f64,
}

/// The DSCR fan chart. The y axis is clipped to [−2, 10]: a year with tiny
/// dues has a huge ratio that would flatten everything else; the table
/// beside the chart carries the exact values.
pub fn fan_chart(c: &FanChart) -> Result<String> {
    let id = "dscr-fan";
    let e = |e| chart_error(id, e);
    let clip = |v: f64| v.clamp(-2.0, 10.0);
    let (lo, hi) = span(
        c.rows
            .iter()
            .flat_map(|r| [clip(r.p10), clip(r.p90)])
            .chain([c.threshold, 0.0]),
    );
    let first = c.rows.first().map_or(1, |r| r.year) as f64;
    let last = c.rows.last().map_or(1, |r| r.year) as f64;
    svg(id, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&c.title, text(TITLE_PT))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d((first - 0.5)..(last + 0.5), lo..hi)
            .map_err(e)?;
        let x_fmt = |x: &f64| {
            if (x - x.round()).abs() < 1e-9 {
                format!("{:.0}", x)
            } else {
                String::new()
            }
        };
        let y_fmt = |y: &f64| format!("{y:.1}").replace('-', "−");
        chart
            .configure_mesh()
            .x_labels((last - first) as usize + 1)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc("loan year")
            .y_desc("annual DSCR (earnings ÷ instalments, ratio)")
            .label_style(text(LABEL_PT))
            .axis_desc_style(text(DESC_PT))
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(e)?;
        let band = |lo: fn(&FanRow) -> f64, hi: fn(&FanRow) -> f64| -> Vec<(f64, f64)> {
            let upper = c.rows.iter().map(|r| (r.year as f64, clip(hi(r))));
            let lower = c.rows.iter().rev().map(|r| (r.year as f64, clip(lo(r))));
            upper.chain(lower).collect()
        };
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(|r| r.p10, |r| r.p90),
                BLUE.mix(0.18).filled(),
            )))
            .map_err(e)?
            .label("10th–90th percentile")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 20, y + 5)], BLUE.mix(0.18).filled())
            });
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(|r| r.p25, |r| r.p75),
                BLUE.mix(0.38).filled(),
            )))
            .map_err(e)?
            .label("25th–75th percentile")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 20, y + 5)], BLUE.mix(0.38).filled())
            });
        chart
            .draw_series(LineSeries::new(
                c.rows.iter().map(|r| (r.year as f64, clip(r.p50))),
                BLUE.stroke_width(3),
            ))
            .map_err(e)?
            .label("median")
            .legend(legend_line(BLUE, 3));
        // Whiskers and a dot per year: the bands alone vanish when the loan
        // has a single year with dues.
        chart
            .draw_series(c.rows.iter().flat_map(|r| {
                let x = r.year as f64;
                [
                    PathElement::new(
                        vec![(x, clip(r.p10)), (x, clip(r.p90))],
                        BLUE.stroke_width(1),
                    )
                    .into_dyn(),
                    PathElement::new(
                        vec![(x, clip(r.p25)), (x, clip(r.p75))],
                        BLUE.stroke_width(5),
                    )
                    .into_dyn(),
                    Circle::new((x, clip(r.p50)), 5, BLUE.filled()).into_dyn(),
                ]
            }))
            .map_err(e)?;
        chart
            .draw_series(DashedLineSeries::new(
                [(first - 0.5, c.threshold), (last + 0.5, c.threshold)],
                8,
                5,
                VERMILLION.stroke_width(2),
            ))
            .map_err(e)?
            .label(format!("lender's threshold {:.2}", c.threshold))
            .legend(legend_line(VERMILLION, 2));
        chart
            .configure_series_labels()
            .position(quiet_corner(
                c.rows.iter().flat_map(|r| {
                    [r.p10, r.p25, r.p50, r.p75, r.p90].map(|v| (r.year as f64, clip(v)))
                }),
                (first - 0.5, last + 0.5),
                (lo, hi),
                &CORNERS,
            ))
            .label_font(text(LABEL_PT))
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .draw()
            .map_err(e)?;
        Ok(())
    })
}

/// Empirical CDFs of several samples on one axis.
#[derive(Debug, Clone)]
pub struct CdfChart {
    /// Chart title.
    pub title: String,
    /// The x-axis description, with its unit.
    pub x_desc: String,
    /// (series name, sample); the first is drawn dashed (the baseline).
    pub series: Vec<(String, Vec<f64>)>,
}

/// Points drawn per CDF: enough for a smooth curve, few enough to keep the
/// SVG small whatever the number of paths.
const CDF_POINTS: usize = 200;

/// The empirical CDF of `sample` at [`CDF_POINTS`] evenly spaced ranks.
fn cdf_points(sample: &[f64]) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = sample.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return Vec::new();
    }
    let k = n.min(CDF_POINTS);
    (0..k)
        .map(|j| {
            let i = if k == 1 { n - 1 } else { j * (n - 1) / (k - 1) };
            (v[i], (i + 1) as f64 / n as f64)
        })
        .collect()
}

/// The CDF chart of household NPV with and without.
pub fn cdf_chart(c: &CdfChart) -> Result<String> {
    let id = "npv-cdf";
    let e = |e| chart_error(id, e);
    let curves: Vec<Vec<(f64, f64)>> = c.series.iter().map(|(_, s)| cdf_points(s)).collect();
    let (lo, hi) = span(curves.iter().flatten().map(|p| p.0));
    svg(id, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&c.title, text(TITLE_PT))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, 0.0..1.0)
            .map_err(e)?;
        let x_fmt = |x: &f64| amount(*x);
        let y_fmt = |y: &f64| percent(*y, 0);
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(c.x_desc.as_str())
            .y_desc("share of simulated paths at or below")
            .label_style(text(LABEL_PT))
            .axis_desc_style(text(DESC_PT))
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(e)?;
        for (k, ((name, _), pts)) in c.series.iter().zip(&curves).enumerate() {
            if k == 0 {
                chart
                    .draw_series(DashedLineSeries::new(
                        pts.iter().copied(),
                        8,
                        5,
                        INK.stroke_width(2),
                    ))
                    .map_err(e)?
                    .label(name.as_str())
                    .legend(legend_line(INK, 2));
            } else {
                let colour = PALETTE[(k - 1) % 7];
                chart
                    .draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(3)))
                    .map_err(e)?
                    .label(name.as_str())
                    .legend(legend_line(colour, 3));
            }
        }
        chart
            .configure_series_labels()
            .position(quiet_corner(
                curves.iter().flatten().copied(),
                (lo, hi),
                (0.0, 1.0),
                &[
                    SeriesLabelPosition::LowerRight,
                    SeriesLabelPosition::UpperLeft,
                ],
            ))
            .label_font(text(LABEL_PT))
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .draw()
            .map_err(e)?;
        Ok(())
    })
}

/// One tornado bar: an input and the result at its low and high values.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoBar {
    /// The input's name.
    pub input: String,
    /// The result with the input at its low value (P10).
    pub at_low: f64,
    /// The result with the input at its high value (P90).
    pub at_high: f64,
}

/// A tornado chart: widest swing on top.
#[derive(Debug, Clone)]
pub struct TornadoChart {
    /// Chart title.
    pub title: String,
    /// The x-axis description, with its unit.
    pub x_desc: String,
    /// Bars in the order to draw them, top first.
    pub bars: Vec<TornadoBar>,
}

/// The tornado chart; each bar end carries its value.
pub fn tornado_chart(c: &TornadoChart) -> Result<String> {
    let id = "tornado";
    let e = |e| chart_error(id, e);
    let n = c.bars.len().max(1);
    let (lo, hi) = span(c.bars.iter().flat_map(|b| [b.at_low, b.at_high]));
    // Room for the value labels beyond the bar ends.
    let pad = (hi - lo) * 0.15;
    let (lo, hi) = (lo - pad, hi + pad);
    let height = (n as u32 * 34 + 130).max(260);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&c.title, text(TITLE_PT))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(250)
            .build_cartesian_2d(lo..hi, (0..n.saturating_sub(1).max(1)).into_segmented())
            .map_err(e)?;
        let names: Vec<&str> = c.bars.iter().map(|b| b.input.as_str()).collect();
        // Row 0 is drawn at the bottom; put the first bar on top.
        let row = |i: usize| n - 1 - i;
        let y_fmt = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(r) if *r < n => names.get(n - 1 - r).unwrap_or(&"").to_string(),
            _ => String::new(),
        };
        let x_fmt = |x: &f64| amount(*x);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .x_labels(8)
            .y_label_formatter(&y_fmt)
            .x_label_formatter(&x_fmt)
            .x_desc(c.x_desc.as_str())
            .label_style(text(LABEL_PT))
            .axis_desc_style(text(DESC_PT))
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(e)?;
        for (i, b) in c.bars.iter().enumerate() {
            let r = row(i);
            let mid = (b.at_low + b.at_high) / 2.0;
            for (end, colour) in [(b.at_low, SKY), (b.at_high, ORANGE)] {
                let mut rect = Rectangle::new(
                    [
                        (mid, SegmentValue::Exact(r)),
                        (end, SegmentValue::Exact(r + 1)),
                    ],
                    colour.filled(),
                );
                rect.set_margin(6, 6, 0, 0);
                chart.draw_series(std::iter::once(rect)).map_err(e)?;
            }
            let (left, right) = if b.at_low <= b.at_high {
                (b.at_low, b.at_high)
            } else {
                (b.at_high, b.at_low)
            };
            let style = text(12);
            chart
                .draw_series([
                    Text::new(
                        amount(left),
                        (left, SegmentValue::CenterOf(r)),
                        style.clone().pos(Pos::new(HPos::Right, VPos::Center)),
                    ),
                    Text::new(
                        amount(right),
                        (right, SegmentValue::CenterOf(r)),
                        style.clone().pos(Pos::new(HPos::Left, VPos::Center)),
                    ),
                ])
                .map_err(e)?;
        }
        // Legend entries without drawing anything in the plot.
        chart
            .draw_series(std::iter::empty::<Rectangle<(f64, SegmentValue<usize>)>>())
            .map_err(e)?
            .label("input at its 10th percentile")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], SKY.filled()));
        chart
            .draw_series(std::iter::empty::<Rectangle<(f64, SegmentValue<usize>)>>())
            .map_err(e)?
            .label("input at its 90th percentile")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], ORANGE.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(text(LABEL_PT))
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .draw()
            .map_err(e)?;
        root.present().map_err(e)?;
    }
    Ok(out)
}

/// A point in a scatter of options: channel mixes or product designs.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterPoint {
    /// The group it belongs to (a product); one colour per group.
    pub group: String,
    /// x value.
    pub x: f64,
    /// y value.
    pub y: f64,
    /// Drawn filled: efficient, or feasible.
    pub marked: bool,
    /// Ringed and labelled: the best or recommended option.
    pub highlight: Option<String>,
}

/// A scatter of options, efficient ones filled and the best ringed.
#[derive(Debug, Clone)]
pub struct ScatterChart {
    /// Chart id (`channel-mix`, `design-frontier`).
    pub id: String,
    /// Chart title.
    pub title: String,
    /// x-axis description with unit.
    pub x_desc: String,
    /// y-axis description with unit.
    pub y_desc: String,
    /// Whether y is a share shown as a percentage.
    pub y_percent: bool,
    /// What a filled marker means (legend text).
    pub marked_means: String,
    /// What an open marker means.
    pub unmarked_means: String,
    /// The points.
    pub points: Vec<ScatterPoint>,
}

/// Renders a [`ScatterChart`].
pub fn scatter_chart(c: &ScatterChart) -> Result<String> {
    let id = c.id.as_str();
    let e = |e| chart_error(id, e);
    let (x0, x1) = span(c.points.iter().map(|p| p.x));
    let (y0, y1) = span(c.points.iter().map(|p| p.y).chain([0.0]));
    let mut groups: Vec<&str> = Vec::new();
    for p in &c.points {
        if !groups.contains(&p.group.as_str()) {
            groups.push(&p.group);
        }
    }
    let colour = |g: &str| {
        let k = groups.iter().position(|x| *x == g).unwrap_or(0);
        [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, INK][k % 7]
    };
    svg(id, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&c.title, text(TITLE_PT))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(e)?;
        let x_fmt = |x: &f64| amount(*x);
        let y_fmt = |y: &f64| {
            if c.y_percent {
                percent(*y, 1)
            } else {
                format!("{y:.2}").replace('-', "−")
            }
        };
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(c.x_desc.as_str())
            .y_desc(c.y_desc.as_str())
            .label_style(text(LABEL_PT))
            .axis_desc_style(text(DESC_PT))
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(e)?;
        for g in &groups {
            let col = colour(g);
            chart
                .draw_series(
                    c.points
                        .iter()
                        .filter(|p| p.group == *g && p.x.is_finite() && p.y.is_finite())
                        .map(|p| {
                            let style = if p.marked {
                                col.filled()
                            } else {
                                col.stroke_width(2)
                            };
                            Circle::new((p.x, p.y), 6, style)
                        }),
                )
                .map_err(e)?
                .label(*g)
                .legend(move |(x, y)| Circle::new((x + 10, y), 6, col.filled()));
        }
        chart
            .draw_series(
                c.points
                    .iter()
                    .filter(|p| p.x.is_finite() && p.y.is_finite())
                    .filter_map(|p| p.highlight.as_ref().map(|h| (p, h)))
                    .map(|(p, h)| {
                        // Label beside the ring, towards the plot's middle so
                        // it stays inside the frame.
                        let right_half = (p.x - x0) / (x1 - x0) > 0.55;
                        let (dx, anchor) = if right_half {
                            (-16, HPos::Right)
                        } else {
                            (16, HPos::Left)
                        };
                        EmptyElement::at((p.x, p.y))
                            + Circle::new((0, 0), 12, INK.stroke_width(2))
                            + Text::new(
                                h.clone(),
                                (dx, -16),
                                text(13).pos(Pos::new(anchor, VPos::Center)),
                            )
                    }),
            )
            .map_err(e)?;
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(e)?
            .label(c.marked_means.as_str())
            .legend(|(x, y)| Circle::new((x + 10, y), 6, GREY.filled()));
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(e)?
            .label(c.unmarked_means.as_str())
            .legend(|(x, y)| Circle::new((x + 10, y), 6, GREY.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(quiet_corner(
                c.points.iter().map(|p| (p.x, p.y)),
                (x0, x1),
                (y0, y1),
                &CORNERS,
            ))
            .label_font(text(LABEL_PT))
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .draw()
            .map_err(e)?;
        Ok(())
    })
}

/// A product design on the design frontier (`terrace design` output).
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierPoint {
    /// The design's label (e.g. `60m, 12m grace, 24%`).
    pub label: String,
    /// The household's certainty-equivalent gain per month.
    pub ce_gain: f64,
    /// The lender's measure on the y axis (RAROC or annual PD).
    pub y: f64,
    /// Whether the design meets the lender's constraints.
    pub feasible: bool,
    /// Whether it is the recommended design.
    pub recommended: bool,
}

/// The design frontier: designs in CE gain × RAROC (or PD) space, feasible
/// ones filled, the recommended one ringed and labelled.
pub fn frontier_chart(
    title: &str,
    currency: &str,
    y_desc: &str,
    y_percent: bool,
    points: &[FrontierPoint],
) -> Result<String> {
    scatter_chart(&ScatterChart {
        id: "design-frontier".into(),
        title: title.into(),
        x_desc: format!("household certainty-equivalent gain ({currency} per month)"),
        y_desc: y_desc.into(),
        y_percent,
        marked_means: "feasible for the lender".into(),
        unmarked_means: "not feasible".into(),
        points: points
            .iter()
            .map(|p| ScatterPoint {
                group: "designs".into(),
                x: p.ce_gain,
                y: p.y,
                marked: p.feasible,
                highlight: p.recommended.then(|| format!("recommended: {}", p.label)),
            })
            .collect(),
    })
}

/// The portfolio loss distribution with its risk measures marked.
#[derive(Debug, Clone)]
pub struct LossChart {
    /// Chart title.
    pub title: String,
    /// Currency code.
    pub currency: String,
    /// The book loss on each path.
    pub losses: Vec<f64>,
    /// (label, value) of each vertical marker: EL, VaR, ES.
    pub markers: Vec<(String, f64)>,
}

/// Histogram bins for the loss chart.
const LOSS_BINS: usize = 40;

/// A histogram of path losses with a vertical line per risk measure; the
/// legend carries each measure's value.
pub fn loss_chart(c: &LossChart) -> Result<String> {
    let id = "loss-distribution";
    let e = |e| chart_error(id, e);
    let finite: Vec<f64> = c.losses.iter().copied().filter(|x| x.is_finite()).collect();
    let (lo, hi) = span(finite.iter().copied().chain(c.markers.iter().map(|m| m.1)));
    let width = (hi - lo) / LOSS_BINS as f64;
    let mut counts = [0usize; LOSS_BINS];
    for x in &finite {
        let b = (((x - lo) / width) as usize).min(LOSS_BINS - 1);
        counts[b] += 1;
    }
    let total = finite.len().max(1) as f64;
    let top = counts.iter().copied().max().unwrap_or(0) as f64 / total * 1.15;
    let top = if top > 0.0 { top } else { 1.0 };
    svg(id, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&c.title, text(TITLE_PT))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, 0.0..top)
            .map_err(e)?;
        let x_fmt = |x: &f64| amount(*x);
        let y_fmt = |y: &f64| percent(*y, 1);
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(format!("book loss on a simulated path ({})", c.currency))
            .y_desc("share of paths")
            .label_style(text(LABEL_PT))
            .axis_desc_style(text(DESC_PT))
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(e)?;
        chart
            .draw_series(
                counts
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| **k > 0)
                    .map(|(b, k)| {
                        let x = lo + b as f64 * width;
                        Rectangle::new([(x, 0.0), (x + width, *k as f64 / total)], SKY.filled())
                    }),
            )
            .map_err(e)?
            .label(format!("paths ({})", finite.len()))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], SKY.filled()));
        let colours = [INK, ORANGE, VERMILLION, GREEN, PURPLE, BLUE];
        for (k, (name, v)) in c.markers.iter().enumerate() {
            let col = colours[k % colours.len()];
            chart
                .draw_series(DashedLineSeries::new(
                    [(*v, 0.0), (*v, top)],
                    8,
                    4 + 2 * k as u32,
                    col.stroke_width(2),
                ))
                .map_err(e)?
                .label(format!("{name}: {}", amount(*v)))
                .legend(legend_line(col, 2));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperMiddle)
            .label_font(text(LABEL_PT))
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .draw()
            .map_err(e)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_and_signed() {
        assert_eq!(amount(1234567.4), "1,234,567");
        assert_eq!(amount(-1234.5), "−1,235");
        assert_eq!(amount(100.0), "100");
        assert_eq!(amount(0.0), "0");
        assert_eq!(amount(1.234), "1.23");
        assert_eq!(amount(-0.01234), "−0.0123");
        assert_eq!(amount(f64::NAN), "-");
    }

    #[test]
    fn span_pads_and_never_collapses() {
        assert_eq!(span([0.0, 10.0]), (-0.5, 10.5));
        let (lo, hi) = span([5.0, 5.0]);
        assert!(lo < 5.0 && hi > 5.0);
        assert_eq!(span(std::iter::empty()), (0.0, 1.0));
    }

    #[test]
    fn cdf_points_end_at_one() {
        let s: Vec<f64> = (0..1000).map(f64::from).collect();
        let p = cdf_points(&s);
        assert_eq!(p.len(), CDF_POINTS);
        assert_eq!(p.last(), Some(&(999.0, 1.0)));
        assert_eq!(p[0], (0.0, 0.001));
    }
}
