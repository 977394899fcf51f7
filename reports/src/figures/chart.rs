//! One chart drawn with plotters into an SVG string: lines, filled areas and shaded windows
//! over two axes (linear, or logarithmic by drawing log₁₀ of the values), with a legend to the
//! right of the plotting area, where it cannot cover data.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::Error;
use crate::figures::style::{apply_dashes, colour};

/// Pixels of a figure.
pub(crate) const WIDTH: u32 = 900;
pub(crate) const HEIGHT: u32 = 420;
/// Pixel columns of the plotting area, roughly: the resolution series are reduced to.
pub(crate) const PLOT_COLUMNS: usize = 800;
/// Pixels right of the plotting area kept for the legend, whatever it holds, so where data
/// lands never depends on the legend.
const LEGEND_WIDTH: u32 = 230;
/// Characters of a legend label that fit in [`LEGEND_WIDTH`]; longer ones are cut.
const LEGEND_CHARS: usize = 26;
/// Pixels between legend rows.
const LEGEND_ROW: i32 = 18;

/// Two linear axes of floats: data coordinates to pixels.
type Axes = Cartesian2d<RangedCoordf64, RangedCoordf64>;

/// A line of the chart; its colour and dash pattern are those of `series_idx`.
pub(crate) struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub series_idx: usize,
}

/// A filled polygon, in the colour of `series_idx`, half transparent.
pub(crate) struct Area {
    pub name: Option<String>,
    pub polygon: Vec<(f64, f64)>,
    pub series_idx: usize,
    pub opacity: f64,
}

/// A 95 % confidence interval drawn as a vertical bar with caps and a dot at the mean, in the
/// colour of `series_idx`.
pub(crate) struct Interval {
    pub x: f64,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub series_idx: usize,
}

/// A horizontal line across the chart at `y` (a target), black and dashed, labelled.
pub(crate) struct Threshold {
    pub y: f64,
    pub label: String,
}

/// What to draw.
pub(crate) struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    /// Shaded x windows (outages), grey, with one legend entry.
    pub bands: Vec<(f64, f64)>,
    pub band_label: String,
    pub areas: Vec<Area>,
    pub lines: Vec<Line>,
    /// Lines drawn dashed by plotters itself, in the colour of their series (budgets).
    pub dashed_lines: Vec<Line>,
    /// Give each line its series' dash pattern; off when colours already pair lines up.
    pub dash_by_series: bool,
    /// Intervals around means (sweeps).
    pub intervals: Vec<Interval>,
    /// Names of the x positions 0, 1, 2, ... when the x-axis is categorical.
    pub x_categories: Option<Vec<String>>,
    /// Targets drawn across the chart.
    pub thresholds: Vec<Threshold>,
    /// The x coordinates are log₁₀ of the values: ticks are labelled with powers of ten.
    pub x_log: bool,
    /// The same for y.
    pub y_log: bool,
}

/// One legend row: how its sample is drawn and its label.
enum Sample {
    Line(RGBColor),
    Dashed(RGBColor),
    Fill(RGBAColor),
}

impl Chart {
    /// A chart with the given axes and nothing drawn yet.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Chart {
        Chart {
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            y_label: y_label.to_owned(),
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            bands: Vec::new(),
            band_label: String::new(),
            areas: Vec::new(),
            lines: Vec::new(),
            dashed_lines: Vec::new(),
            dash_by_series: true,
            intervals: Vec::new(),
            x_categories: None,
            thresholds: Vec::new(),
            x_log: false,
            y_log: false,
        }
    }

    /// Sets the y range from 0 to a little above the highest value drawn (the legend is
    /// outside the plotting area and needs no room in it).
    pub fn fit_y(&mut self, minimum_top: f64) {
        let highest = self
            .lines
            .iter()
            .chain(&self.dashed_lines)
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .chain(
                self.areas
                    .iter()
                    .flat_map(|a| a.polygon.iter().map(|p| p.1)),
            )
            .chain(self.thresholds.iter().map(|t| t.y))
            .fold(minimum_top, f64::max);
        self.y_range = (0.0, highest * 1.05);
    }

    /// Where the plotting area ends on the right, in pixels of the figure: the legend is
    /// drawn right of it.
    #[cfg(test)]
    pub fn plot_right(&self) -> Result<i32, Error> {
        let pixel = self.x_pixels()?;
        Ok(pixel(self.x_range.1))
    }

    /// The chart as SVG text.
    pub fn render(&self) -> Result<String, Error> {
        let mut svg = String::new();
        self.draw(&mut svg).map_err(|e| {
            Error::Invariant(format!("cannot draw the figure {:?}: {e}", self.title))
        })?;
        if self.dash_by_series {
            let n_series = self.lines.iter().map(|l| l.series_idx + 1).max();
            svg = apply_dashes(&svg, n_series.unwrap_or(0));
        }
        Ok(svg)
    }

    /// Where x values land, in pixel columns of the drawn figure: all a line's shape depends
    /// on along x, so data can be reduced to it before drawing without changing a byte.
    pub fn x_pixels(&self) -> Result<impl Fn(f64) -> i32 + use<>, Error> {
        let mut scratch = String::new();
        let coord = {
            let root = SVGBackend::with_string(&mut scratch, (WIDTH, HEIGHT)).into_drawing_area();
            let (plot, _) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let chart = self.layout(&plot).map_err(|e| {
                Error::Invariant(format!("cannot lay out the figure {:?}: {e}", self.title))
            })?;
            chart.as_coord_spec().clone()
        };
        Ok(move |x: f64| coord.translate(&(x, 0.0)).0)
    }

    /// The caption, axes and plotting area over the chart's ranges, on `area` (the figure
    /// less the legend's column).
    fn layout<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> Result<ChartContext<'a, DB, Axes>, DrawingAreaErrorKind<DB::ErrorType>> {
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1.max(x0 + f64::EPSILON), y0..y1.max(y0 + f64::EPSILON))
    }

    /// The legend's rows in drawing order: outages, named areas, lines, targets.
    fn legend_rows(&self) -> Vec<(Sample, String)> {
        let mut rows = Vec::new();
        if !self.bands.is_empty() {
            let grey = RGBColor(120, 120, 120).mix(0.25);
            rows.push((Sample::Fill(grey), self.band_label.clone()));
        }
        for area in &self.areas {
            if let Some(name) = &area.name {
                let fill = colour(area.series_idx).mix(area.opacity);
                rows.push((Sample::Fill(fill), name.clone()));
            }
        }
        for line in &self.lines {
            rows.push((Sample::Line(colour(line.series_idx)), line.name.clone()));
        }
        for line in &self.dashed_lines {
            rows.push((Sample::Dashed(colour(line.series_idx)), line.name.clone()));
        }
        for threshold in &self.thresholds {
            rows.push((Sample::Dashed(BLACK), threshold.label.clone()));
        }
        rows
    }

    /// The legend in its own column, top-aligned with the plotting area; rows that do not fit
    /// are counted in a last row.
    fn draw_legend<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let rows = self.legend_rows();
        let font = ("sans-serif", 13).into_font().color(&BLACK);
        let fits = ((HEIGHT as i32 - 80) / LEGEND_ROW).max(1) as usize;
        let shown = if rows.len() > fits {
            fits - 1
        } else {
            rows.len()
        };
        for (idx, (sample, label)) in rows.iter().take(shown).enumerate() {
            let y = 48 + idx as i32 * LEGEND_ROW;
            let (x, end) = (8, 30);
            match sample {
                Sample::Line(c) => {
                    area.draw(&PathElement::new(vec![(x, y), (end, y)], c.stroke_width(2)))?;
                }
                Sample::Dashed(c) => {
                    area.draw(&plotters::element::DashedPathElement::new(
                        vec![(x, y), (end, y)],
                        6,
                        3,
                        c.stroke_width(2),
                    ))?;
                }
                Sample::Fill(c) => {
                    area.draw(&Rectangle::new([(x, y - 6), (end, y + 6)], c.filled()))?;
                }
            }
            let text = if label.chars().count() > LEGEND_CHARS {
                let cut: String = label.chars().take(LEGEND_CHARS - 1).collect();
                format!("{cut}…")
            } else {
                label.clone()
            };
            area.draw(&Text::new(text, (end + 6, y - 7), font.clone()))?;
        }
        if shown < rows.len() {
            let y = 48 + shown as i32 * LEGEND_ROW;
            let more = format!("and {} more", rows.len() - shown);
            area.draw(&Text::new(more, (8, y - 7), font))?;
        }
        Ok(())
    }

    fn draw(&self, svg: &mut String) -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let (y0, y1) = self.y_range;
        let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = self.layout(&plot)?;
        let categories = self.x_categories.clone().unwrap_or_default();
        let category = |x: &f64| -> String {
            let idx = x.round();
            if (x - idx).abs() < 1e-6 && idx >= 0.0 {
                categories.get(idx as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let power_label = |v: &f64| power_of_ten(*v);
        let mut mesh = chart.configure_mesh();
        if self.x_categories.is_some() {
            mesh.x_labels(categories.len().max(2) * 4)
                .x_label_formatter(&category)
                .disable_x_mesh();
        }
        if self.x_log {
            mesh.x_labels(24).x_label_formatter(&power_label);
        }
        if self.y_log {
            mesh.y_labels(24).y_label_formatter(&power_label);
        }
        mesh.x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_desc_style(("sans-serif", 15))
            .label_style(("sans-serif", 13))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210))
            .draw()?;
        let grey = RGBColor(120, 120, 120).mix(0.25);
        for &(start, end) in &self.bands {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(start, y0), (end, y1)],
                grey.filled(),
            )))?;
        }
        for area in &self.areas {
            let fill = colour(area.series_idx).mix(area.opacity);
            chart.draw_series(std::iter::once(Polygon::new(area.polygon.clone(), fill)))?;
        }
        for line in &self.lines {
            let style = colour(line.series_idx).stroke_width(2);
            chart.draw_series(LineSeries::new(line.points.iter().copied(), style))?;
        }
        for line in &self.dashed_lines {
            let style = colour(line.series_idx).stroke_width(2);
            chart.draw_series(DashedLineSeries::new(
                line.points.iter().copied(),
                8,
                5,
                style,
            ))?;
        }
        for threshold in &self.thresholds {
            let (x0, x1) = self.x_range;
            let style = BLACK.stroke_width(2);
            chart.draw_series(DashedLineSeries::new(
                [(x0, threshold.y), (x1, threshold.y)],
                10,
                5,
                style,
            ))?;
            chart.draw_series(std::iter::once(Text::new(
                threshold.label.clone(),
                (x0, threshold.y),
                ("sans-serif", 12)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Bottom)),
            )))?;
        }
        let (x0, x1) = self.x_range;
        let cap = (x1 - x0) * 0.006;
        for interval in &self.intervals {
            let style = colour(interval.series_idx).stroke_width(2);
            let (x, low, high) = (interval.x, interval.low, interval.high);
            chart.draw_series([
                PathElement::new(vec![(x, low), (x, high)], style),
                PathElement::new(vec![(x - cap, low), (x + cap, low)], style),
                PathElement::new(vec![(x - cap, high), (x + cap, high)], style),
            ])?;
            chart.draw_series(std::iter::once(Circle::new(
                (x, interval.mean),
                3,
                colour(interval.series_idx).filled(),
            )))?;
        }
        self.draw_legend(&legend)?;
        root.present()?;
        Ok(())
    }
}

/// A tick of a log axis: the power of ten at integer exponents, nothing between them.
pub(crate) fn power_of_ten(exponent: f64) -> String {
    let k = exponent.round();
    if (exponent - k).abs() > 1e-6 {
        return String::new();
    }
    if k >= 0.0 {
        format!("{}", 10f64.powi(k as i32))
    } else {
        format!("{:.*}", (-k) as usize, 10f64.powi(k as i32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The x attributes of the SVG's `<text>` elements showing `label`.
    fn text_x(svg: &str, label: &str) -> Vec<i32> {
        svg.split("<text")
            .skip(1)
            .filter(|element| element.contains(&format!(">\n{label}\n</text>")))
            .map(|element| {
                let rest = &element[element.find(" x=\"").unwrap() + 4..];
                rest[..rest.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn the_legend_sits_right_of_the_plotting_area() {
        // Two lines filling the whole plotting area, corner to corner: a legend inside it, in
        // any corner, would cover them.
        let mut chart = Chart::new("full", "x", "y");
        chart.x_range = (0.0, 10.0);
        chart.y_range = (0.0, 10.0);
        for (idx, points) in [
            vec![(0.0, 0.0), (10.0, 10.0)],
            vec![(0.0, 10.0), (10.0, 0.0)],
        ]
        .into_iter()
        .enumerate()
        {
            chart.lines.push(Line {
                name: format!("series {idx}"),
                points,
                series_idx: idx,
            });
        }
        let right = chart.plot_right().unwrap();
        let svg = chart.render().unwrap();
        for label in ["series 0", "series 1"] {
            let xs = text_x(&svg, label);
            assert_eq!(xs.len(), 1, "{label}");
            assert!(
                xs[0] > right,
                "{label} at x {} inside the plot ending at {right}",
                xs[0]
            );
        }
    }

    #[test]
    fn log_ticks_are_powers_of_ten() {
        assert_eq!(power_of_ten(0.0), "1");
        assert_eq!(power_of_ten(3.0), "1000");
        assert_eq!(power_of_ten(-2.0), "0.01");
        assert_eq!(power_of_ten(0.5), "");
    }
}
