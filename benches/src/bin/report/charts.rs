//! The report's SVG charts, drawn with plotters from the benchmarks' output.

use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, SegmentValue, ValueFormatter};
use plotters::prelude::*;
use serde_json::Value;

use crate::inputs::Contention;
use crate::Result;

const SIZE: (u32, u32) = (900, 520);
const FONT: &str = "sans-serif";

/// One line (or set of markers) of a chart.
struct Series {
    name: String,
    color: RGBAColor,
    points: Vec<(f64, f64)>,
    /// Markers only, no line: the published simulator's figures.
    markers: bool,
}

fn color(i: usize) -> RGBAColor {
    Palette99::pick(i).to_rgba()
}

/// Work or completion time against the number of clients: staunch's port as lines, the
/// published simulator as circles of the same colour.
pub(crate) fn contention(
    path: &Path,
    port: &Contention,
    published: &Contention,
    time: bool,
) -> Result<()> {
    let schemes = [
        "None",
        "Exponential",
        "FullJitter",
        "EqualJitter",
        "Decorr",
        "DecorrStaunch",
    ];
    let pick = |v: &(f64, f64)| if time { v.1 } else { v.0 };
    let mut series = Vec::new();
    for (i, scheme) in schemes.iter().enumerate() {
        let of = |figures: &Contention| -> Vec<(f64, f64)> {
            figures
                .iter()
                .filter(|((_, s), _)| s == scheme)
                .map(|((n, _), v)| (f64::from(*n), pick(v)))
                .collect()
        };
        series.push(Series {
            name: format!("{scheme} (staunch)"),
            color: color(i),
            points: of(port),
            markers: false,
        });
        let theirs = of(published);
        if !theirs.is_empty() {
            series.push(Series {
                name: format!("{scheme} (published)"),
                color: color(i),
                points: theirs,
                markers: true,
            });
        }
    }
    let x_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(10.0, f64::max);
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(1.0, f64::max);
    if time {
        let title = "Contention: time until the last client succeeds";
        lines(
            path,
            title,
            "completion time (ms, log scale)",
            &series,
            0.0..x_max + 5.0,
            (100.0..y_max * 1.3).log_scale(),
            SeriesLabelPosition::LowerRight,
        )
    } else {
        let title = "Contention: total work (conditional writes)";
        lines(
            path,
            title,
            "write calls",
            &series,
            0.0..x_max + 5.0,
            0.0..y_max * 1.05,
            SeriesLabelPosition::UpperLeft,
        )
    }
}

fn lines<Y>(
    path: &Path,
    title: &str,
    y_desc: &str,
    series: &[Series],
    x: std::ops::Range<f64>,
    y: Y,
    legend: SeriesLabelPosition,
) -> Result<()>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc("clients")
        .y_desc(y_desc)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for s in series {
        let c = s.color;
        if s.markers {
            chart
                .draw_series(
                    s.points
                        .iter()
                        .map(|&p| Circle::new(p, 3, c.stroke_width(1))),
                )?
                .label(&s.name)
                .legend(move |(x, y)| Circle::new((x + 10, y), 3, c.stroke_width(1)));
        } else {
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))?
                .label(&s.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
        }
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 12))
        .draw()?;
    root.present()?;
    Ok(())
}

fn stacks(json: &Value) -> Vec<Value> {
    json["stacks"].as_array().cloned().unwrap_or_default()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// Attempts per second reaching the dependency over time, one line per stack, the
/// outage shaded.
pub(crate) fn outage_load(path: &Path, json: &Value) -> Result<()> {
    let s = &json["scenario"];
    let bucket = num(&s["bucket_ms"]) / 1000.0;
    let start = num(&s["before_ms"]) / 1000.0;
    let end = start
        + (num(&s["refused_ms"]) + num(&s["unavailable_ms"]) + num(&s["hanging_ms"])) / 1000.0;
    let total = end + num(&s["after_ms"]) / 1000.0;
    let series: Vec<Series> = stacks(json)
        .iter()
        .enumerate()
        .map(|(i, r)| Series {
            name: r["stack"].as_str().unwrap_or("?").to_owned(),
            color: color(i),
            points: r["timeline"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .enumerate()
                        .map(|(b, n)| ((b as f64 + 0.5) * bucket, num(n) / bucket))
                        .filter(|(x, _)| *x < total)
                        .collect()
                })
                .unwrap_or_default(),
            markers: false,
        })
        .collect();
    let x_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(1.0, f64::max);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Outage: attempts reaching the dependency", (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max + bucket, 0.0..y_max * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("time (s); shaded: refused, then 503, then hanging")
        .y_desc("attempts per second")
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let third = (end - start) / 3.0;
    for (k, shade) in [0.25, 0.15, 0.08].iter().enumerate() {
        let from = start + third * k as f64;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(from, 0.0), (from + third, y_max * 1.1)],
            RED.mix(*shade).filled(),
        )))?;
    }
    for s in &series {
        let c = s.color;
        chart
            .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))?
            .label(&s.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 12))
        .draw()?;
    root.present()?;
    Ok(())
}

/// Callers' p99 latency during the outage, one bar per stack, the attempt timeout
/// marked.
pub(crate) fn outage_latency(path: &Path, json: &Value) -> Result<()> {
    let bars: Vec<(String, f64)> = stacks(json)
        .iter()
        .map(|r| {
            let name = r["stack"].as_str().unwrap_or("?").to_owned();
            (name, num(&r["latency_during"]["p99_ms"]))
        })
        .collect();
    let timeout = num(&json["scenario"]["attempt_timeout_ms"]);
    let title = format!("Outage: callers' p99 latency while the dependency is down (timeout {timeout:.0} ms dashed)");
    let marker = Some(timeout);
    hbars(path, &title, "p99 latency (ms)", &bars, marker, |v| {
        format!("{v:.0} ms")
    })
}

/// Criterion medians of one group, one bar per case.
pub(crate) fn micro(path: &Path, group: &str, cases: &[(String, f64)]) -> Result<()> {
    let title = format!("{group}: median time per call");
    hbars(
        path,
        &title,
        "ns per call",
        cases,
        None,
        crate::tables::human,
    )
}

/// Allocations per call of every case measured in a runtime, one bar each.
pub(crate) fn allocs(path: &Path, allocs: &crate::inputs::Allocs) -> Result<()> {
    let bars: Vec<(String, f64)> = allocs
        .iter()
        .filter_map(|((group, library), (a, _))| {
            let case = group.strip_prefix("runtime/")?;
            Some((format!("{case}: {library}"), *a))
        })
        .collect();
    hbars(
        path,
        "Heap allocations per call, in a tokio runtime",
        "allocations per call",
        &bars,
        None,
        |v| format!("{v:.1}"),
    )
}

fn hbars(
    path: &Path,
    title: &str,
    x_desc: &str,
    bars: &[(String, f64)],
    marker: Option<f64>,
    label: impl Fn(f64) -> String,
) -> Result<()> {
    let n = bars.len().max(1) as u32;
    let x_max = bars.iter().map(|b| b.1).chain(marker).fold(1.0, f64::max) * 1.2;
    let height = 120 + 36 * n;
    let root = SVGBackend::new(path, (SIZE.0, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(260)
        .build_cartesian_2d(0.0..x_max, (0..n - 1).into_segmented())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()?;
    for (i, (_, value)) in bars.iter().enumerate() {
        let i = i as u32;
        let c = color(i as usize);
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(i)),
                (*value, SegmentValue::Exact(i + 1)),
            ],
            c.filled(),
        );
        bar.set_margin(6, 6, 0, 0);
        chart.draw_series(std::iter::once(bar))?;
        chart.draw_series(std::iter::once(Text::new(
            label(*value),
            (*value + x_max * 0.01, SegmentValue::CenterOf(i)),
            (FONT, 13),
        )))?;
    }
    if let Some(m) = marker {
        chart.draw_series(DashedLineSeries::new(
            [(m, SegmentValue::Exact(0)), (m, SegmentValue::Exact(n))],
            6,
            4,
            BLACK.stroke_width(2),
        ))?;
    }
    root.present()?;
    Ok(())
}
