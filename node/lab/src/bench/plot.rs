//! DIR/outage.png: the median outage against the advert interval (both axes log-scale),
//! one line per daemon × event, and the protocol floors, drawn with plotters' bitmap
//! backend and a font registered at run time (no fontconfig).

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::report::{floor, median_outage, Sample};
use super::{Config, Event};
use crate::demo::Implementation;

/// The font the plot is drawn with.
pub const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
/// The Debian package that ships [`FONT`].
pub const FONT_PACKAGE: &str = "fonts-dejavu-core";

/// Registers [`FONT`] as plotters' "sans-serif" (once per process); an error naming the
/// package to install if it is missing.
pub fn register_font() -> Result<()> {
    static DONE: std::sync::OnceLock<std::result::Result<(), String>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        let bytes = read_font(Path::new(FONT))?;
        plotters::style::register_font("sans-serif", FontStyle::Normal, Box::leak(bytes.into_boxed_slice()))
            .map_err(|_| format!("{FONT} is not a usable TrueType font (package {FONT_PACKAGE})"))
    })
    .clone()
    .map_err(|e| anyhow!(e))
}

fn read_font(path: &Path) -> std::result::Result<Vec<u8>, String> {
    std::fs::read(path)
        .map_err(|e| format!("{}: {e}; the plot needs it (Debian: apt-get install {FONT_PACKAGE})", path.display()))
}

fn ms(d: Duration) -> f64 {
    // Log scale: a 0 ms gap (never seen in practice) is drawn at 0.1 ms.
    (d.as_secs_f64() * 1000.0).max(0.1)
}

/// Draws the plot into `path` (PNG, 960 × 640).
pub fn draw(path: &Path, samples: &[Sample], configs: &[Config], events: &[Event]) -> Result<()> {
    register_font()?;
    let mut configs = configs.to_vec();
    configs.sort_by_key(|c| c.advert_cs);
    let xs = |c: &Config| f64::from(c.advert_cs) * 10.0;
    let (x_min, x_max) = (5.0_f64, 2000.0_f64);
    let mut y_max = 1.0_f64;
    let mut y_min = 1.0_f64;
    for s in samples {
        y_max = y_max.max(ms(s.outage));
        y_min = y_min.min(ms(s.outage));
    }
    for c in &configs {
        for &e in events {
            y_max = y_max.max(ms(floor(*c, e)));
            y_min = y_min.min(ms(floor(*c, e)));
        }
    }
    let (y_min, y_max) = (y_min / 2.0, y_max * 2.0);
    let root = BitMapBackend::new(path, (960, 640)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing {}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Client outage on failover (median) vs advert interval", ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d((x_min..x_max).log_scale(), (y_min..y_max).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("advert interval (ms)")
        .y_desc("longest gap between echo replies (ms)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(|e| err(&e))?;
    let floors: [(&str, &[Event], RGBColor); 2] = [
        ("floor: Master_Down_Interval (cut, SIGKILL)", &[Event::Cut, Event::Kill], RGBColor(70, 70, 70)),
        ("floor: Skew_Time (SIGTERM)", &[Event::Term], RGBColor(175, 175, 175)),
    ];
    // The floors first, broad and grey, so that a daemon on its floor shows on top.
    for (label, which, style) in floors {
        let Some(&event) = which.iter().find(|e| events.contains(e)) else { continue };
        let points: Vec<(f64, f64)> = configs.iter().map(|c| (xs(c), ms(floor(*c, event)))).collect();
        chart.draw_series(points.iter().map(|p| Cross::new(*p, 6, style.stroke_width(2)))).map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(points, style.stroke_width(5)))
            .map_err(|e| err(&e))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style.stroke_width(5)));
    }
    let palette = [RED, BLUE, GREEN, MAGENTA, CYAN, RGBColor(230, 140, 0)];
    let mut colour = palette.iter().cycle();
    for imp in [Implementation::Keepalived, Implementation::Vrrpd] {
        for &event in events {
            let points: Vec<(f64, f64)> =
                configs.iter().filter_map(|c| median_outage(samples, imp, *c, event).map(|d| (xs(c), ms(d)))).collect();
            if points.is_empty() {
                continue;
            }
            let style = colour.next().copied().unwrap_or(BLACK);
            let label = format!("{} {}", imp.name(), event.label());
            chart
                .draw_series(LineSeries::new(points.clone(), style.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style.stroke_width(2)));
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, style.filled()))).map_err(|e| err(&e))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e)).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::CONFIGS;

    #[test]
    fn a_missing_font_names_the_package() {
        let e = read_font(Path::new("/nonexistent/DejaVuSans.ttf")).unwrap_err();
        assert!(e.contains("/nonexistent/DejaVuSans.ttf") && e.contains("apt-get install fonts-dejavu-core"), "{e}");
    }

    #[test]
    fn draws_a_png_from_given_figures() {
        if !Path::new(FONT).exists() {
            eprintln!("SKIPPED: {FONT} missing (apt-get install {FONT_PACKAGE})");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outage.png");
        let mut samples = Vec::new();
        for (i, c) in CONFIGS.iter().enumerate() {
            for (imp, event, base) in [
                (Implementation::Vrrpd, Event::Term, 3),
                (Implementation::Keepalived, Event::Cut, 40),
                (Implementation::Vrrpd, Event::Cut, 36),
            ] {
                let outage = Duration::from_millis(base * 10u64.pow(i as u32));
                samples.push(Sample { imp, config: *c, event, outage, lost: 0, both_held: None });
            }
        }
        draw(&path, &samples, &CONFIGS, &[Event::Cut, Event::Term]).unwrap();
        let png = std::fs::read(&path).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5000, "{} bytes", png.len());
    }
}
