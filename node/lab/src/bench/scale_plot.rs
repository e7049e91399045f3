//! DIR/scale.png: CPU (% of one core, median of the runs) against instances, one panel
//! per advert interval (columns) and load (rows: idle, then other core busy), lines for
//! keepalived's and vrrpd's master and backup and the floor's sender and receiver
//! (dashed), drawn as outage.png is (plotters bitmap, the font registered at run time).

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;

use super::plot::register_font;
use super::scale_report::{range, FloorRun, Load, Measured, PairRun, ScaleSample};
use crate::cpu::Scenario;

/// One line of a panel: its legend, colour, whether dashed, and how to read the figure.
struct Line {
    label: &'static str,
    colour: RGBColor,
    dashed: bool,
    value: fn(&ScaleSample) -> Option<f64>,
}

fn pair(m: &Measured<PairRun>) -> Option<&PairRun> {
    match m {
        Measured::Done(r) => Some(r),
        _ => None,
    }
}

fn floor(m: &Measured<FloorRun>) -> Option<&FloorRun> {
    match m {
        Measured::Done(f) => Some(f),
        _ => None,
    }
}

const LINES: [Line; 6] = [
    Line {
        label: "keepalived master",
        colour: RGBColor(200, 30, 30),
        dashed: false,
        value: |s| pair(&s.keepalived).map(|r| r.master_cpu),
    },
    Line {
        label: "keepalived backup",
        colour: RGBColor(240, 140, 120),
        dashed: false,
        value: |s| pair(&s.keepalived).map(|r| r.backup_cpu),
    },
    Line {
        label: "vrrpd master",
        colour: RGBColor(20, 60, 200),
        dashed: false,
        value: |s| pair(&s.vrrpd).map(|r| r.master_cpu),
    },
    Line {
        label: "vrrpd backup",
        colour: RGBColor(110, 170, 240),
        dashed: false,
        value: |s| pair(&s.vrrpd).map(|r| r.backup_cpu),
    },
    Line {
        label: "floor sender",
        colour: RGBColor(60, 60, 60),
        dashed: true,
        value: |s| floor(&s.floor).map(|f| f.sender_cpu),
    },
    Line {
        label: "floor receiver",
        colour: RGBColor(150, 150, 150),
        dashed: true,
        value: |s| floor(&s.floor).map(|f| f.receiver_cpu),
    },
];

/// The median of `line` over the runs of `scenario` under `load`.
fn median(samples: &[ScaleSample], scenario: Scenario, load: Load, line: &Line) -> Option<f64> {
    let v: Vec<f64> =
        samples.iter().filter(|s| s.scenario == scenario && s.load == load).filter_map(line.value).collect();
    range(&v).map(|r| r.median)
}

/// "10 ms adverts".
fn interval_label(cs: u16) -> String {
    let ms = u32::from(cs) * 10;
    if ms % 1000 == 0 {
        format!("{} s adverts", ms / 1000)
    } else {
        format!("{ms} ms adverts")
    }
}

/// Draws the plot into `path` (PNG, 600 × 420 per panel).
pub fn draw(path: &Path, samples: &[ScaleSample], scenarios: &[Scenario], loads: &[Load]) -> Result<()> {
    register_font()?;
    let mut intervals: Vec<u16> = scenarios.iter().map(|s| s.advert_cs).collect();
    intervals.sort_unstable();
    intervals.dedup();
    let mut loads: Vec<Load> = loads.iter().copied().filter(|l| samples.iter().any(|s| s.load == *l)).collect();
    loads.sort();
    if loads.is_empty() {
        loads.push(Load::Idle);
    }
    let (cols, rows) = (intervals.len().max(1), loads.len());
    let x_max = f64::from(scenarios.iter().map(|s| s.instances).max().unwrap_or(1020)) * 1.15;
    let mut y_max = 1.0_f64;
    for &s in scenarios {
        for &l in &loads {
            for line in &LINES {
                y_max = y_max.max(median(samples, s, l, line).unwrap_or(0.0));
            }
        }
    }
    let y_max = y_max * 1.15;
    let size = (600 * cols as u32, 40 + 420 * rows as u32);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing {}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let root =
        root.titled("CPU vs instances (median of the runs; floor dashed)", ("sans-serif", 20)).map_err(|e| err(&e))?;
    let panels = root.split_evenly((rows, cols));
    for (r, &load) in loads.iter().enumerate() {
        for (c, &cs) in intervals.iter().enumerate() {
            let Some(area) = panels.get(r * cols + c) else { continue };
            let mut chart = ChartBuilder::on(area)
                .caption(format!("{}, {}", interval_label(cs), load.label()), ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(56)
                .build_cartesian_2d(0.0..x_max, 0.0..y_max)
                .map_err(|e| err(&e))?;
            chart
                .configure_mesh()
                .x_desc("instances")
                .y_desc("CPU, % of one core")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| if y_max < 10.0 { format!("{v:.1}") } else { format!("{v:.0}") })
                .label_style(("sans-serif", 13))
                .draw()
                .map_err(|e| err(&e))?;
            let mut here: Vec<Scenario> = scenarios.iter().copied().filter(|s| s.advert_cs == cs).collect();
            here.sort_by_key(|s| s.instances);
            for line in &LINES {
                let points: Vec<(f64, f64)> = here
                    .iter()
                    .filter_map(|s| median(samples, *s, load, line).map(|v| (f64::from(s.instances), v)))
                    .collect();
                if points.is_empty() {
                    continue;
                }
                let style = line.colour.stroke_width(2);
                if line.dashed {
                    chart
                        .draw_series(DashedLineSeries::new(points.clone(), 8, 5, style))
                        .map_err(|e| err(&e))?
                        .label(line.label)
                        .legend(move |(x, y)| {
                            EmptyElement::at((x, y))
                                + PathElement::new(vec![(0, 0), (7, 0)], style)
                                + PathElement::new(vec![(13, 0), (20, 0)], style)
                        });
                } else {
                    chart
                        .draw_series(LineSeries::new(points.clone(), style))
                        .map_err(|e| err(&e))?
                        .label(line.label)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                }
                chart
                    .draw_series(points.iter().map(|p| Circle::new(*p, 4, line.colour.filled())))
                    .map_err(|e| err(&e))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 12))
                .draw()
                .map_err(|e| err(&e))?;
        }
    }
    root.present().map_err(|e| err(&e)).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::plot::{FONT, FONT_PACKAGE};

    #[test]
    fn draws_a_png_from_given_figures() {
        if !Path::new(FONT).exists() {
            eprintln!("SKIPPED: {FONT} missing (apt-get install {FONT_PACKAGE})");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scale.png");
        let scenarios: Vec<Scenario> =
            ["255x0.01", "1020x0.01", "255x0.1", "1020x0.1"].iter().map(|s| s.parse().unwrap()).collect();
        let mut samples = Vec::new();
        for (i, &scenario) in scenarios.iter().enumerate() {
            for load in [Load::Idle, Load::Busy] {
                let x = (i + 1) as f64 * 10.0;
                let p = PairRun {
                    master_cpu: x,
                    backup_cpu: x / 2.0,
                    master_rss_kib: 4096,
                    backup_rss_kib: 4096,
                    transitions: Some(0),
                    most_on_b: 0,
                    fewest_on_a: usize::from(scenario.instances),
                    instances: usize::from(scenario.instances),
                };
                samples.push(ScaleSample {
                    scenario,
                    load,
                    rep: 1,
                    keepalived: Measured::Done(PairRun { master_cpu: 2.0 * x, ..p }),
                    vrrpd: Measured::Done(p),
                    floor: Measured::Done(FloorRun { sender_cpu: x / 3.0, receiver_cpu: x / 4.0 }),
                });
            }
        }
        draw(&path, &samples, &scenarios, &[Load::Idle, Load::Busy]).unwrap();
        let png = std::fs::read(&path).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5000, "{} bytes", png.len());
    }
}
