//! SVG line charts for RESULTS.md (plotters' SVG backend: no fonts or image libraries).

use std::path::Path;

use anyhow::anyhow;
use plotters::prelude::*;

/// One line: a name for the legend and its (x, y) points.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Draws `series` against a linear x axis and a y axis from 0 (or a log10 x axis when
/// `log_x`), with a legend, into an SVG file.
pub fn line_chart(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    log_x: bool,
    series: &[Series],
) -> anyhow::Result<()> {
    let points = || series.iter().flat_map(|s| s.points.iter().copied());
    let (x_lo, x_hi) = points().fold((f64::MAX, f64::MIN), |(lo, hi), (x, _)| (lo.min(x), hi.max(x)));
    let y_hi = points().fold(0.0f64, |hi, (_, y)| hi.max(y)) * 1.15;
    if x_lo > x_hi || y_hi <= 0.0 {
        return Err(anyhow!("{title}: nothing to plot"));
    }
    let err = |e: DrawingAreaErrorKind<_>| anyhow!("drawing {}: {e}", path.display());
    let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut builder = ChartBuilder::on(&root);
    builder.caption(title, ("sans-serif", 18)).margin(12).x_label_area_size(40).y_label_area_size(80);
    let fx = |x: f64| if log_x { x.log10() } else { x };
    let pad = (fx(x_hi) - fx(x_lo)).max(1e-9) * 0.04;
    let mut chart = builder.build_cartesian_2d((fx(x_lo) - pad)..(fx(x_hi) + pad), 0f64..y_hi).map_err(err)?;
    let x_label = |x: &f64| {
        let v = if log_x { 10f64.powf(*x) } else { *x };
        if v >= 1000.0 {
            format!("{:.0}k", v / 1000.0)
        } else {
            format!("{v:.0}")
        }
    };
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&x_label)
        .y_label_formatter(&|y| format!("{:.0}k", y / 1000.0))
        .draw()
        .map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let pts: Vec<(f64, f64)> = s.points.iter().map(|&(x, y)| (fx(x), y)).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))
            .map_err(err)?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, colour.filled()))).map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_an_svg_with_every_series_named() {
        let dir = std::env::temp_dir().join(format!("clickchain-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.svg");
        let series = vec![
            Series { name: "alpha".into(), points: vec![(1.0, 10.0), (15.0, 12.0), (60.0, 11.0)] },
            Series { name: "beta".into(), points: vec![(1.0, 5.0), (60.0, 4.0)] },
        ];
        line_chart(&path, "t", "x", "y", false, &series).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("alpha") && svg.contains("beta"));
        assert!(line_chart(&path, "t", "x", "y", true, &[]).is_err(), "an empty chart is an error");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
