//! One chart drawn with plotters into an SVG string: lines, filled areas and shaded windows
//! over two linear axes, with a legend.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::error::Error;
use crate::figures::style::{apply_dashes, colour};

/// Pixels of a figure.
pub(crate) const WIDTH: u32 = 900;
pub(crate) const HEIGHT: u32 = 420;
/// Pixel columns of the plotting area, roughly: the resolution series are reduced to.
pub(crate) const PLOT_COLUMNS: usize = 800;

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
        }
    }

    /// Sets the y range from 0 to above the highest value drawn, leaving room at the top for
    /// the legend, which grows with its entries.
    pub fn fit_y(&mut self, minimum_top: f64) {
        let n_entries = self.lines.len()
            + self.dashed_lines.len()
            + self.areas.iter().filter(|a| a.name.is_some()).count()
            + usize::from(!self.bands.is_empty());
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
            .fold(minimum_top, f64::max);
        let headroom = (0.07 * n_entries as f64).max(0.3);
        self.y_range = (0.0, highest * (1.0 + headroom));
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
            let chart = self.layout(&root).map_err(|e| {
                Error::Invariant(format!("cannot lay out the figure {:?}: {e}", self.title))
            })?;
            chart.as_coord_spec().clone()
        };
        Ok(move |x: f64| coord.translate(&(x, 0.0)).0)
    }

    /// The caption, axes and plotting area over the chart's ranges, on `root`.
    fn layout<'a, DB: DrawingBackend>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
    ) -> Result<ChartContext<'a, DB, Axes>, DrawingAreaErrorKind<DB::ErrorType>> {
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1.max(x0 + f64::EPSILON), y0..y1.max(y0 + f64::EPSILON))
    }

    fn draw(&self, svg: &mut String) -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let (y0, y1) = self.y_range;
        let mut chart = self.layout(&root)?;
        let categories = self.x_categories.clone().unwrap_or_default();
        let category = |x: &f64| -> String {
            let idx = x.round();
            if (x - idx).abs() < 1e-6 && idx >= 0.0 {
                categories.get(idx as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let mut mesh = chart.configure_mesh();
        if self.x_categories.is_some() {
            mesh.x_labels(categories.len().max(2) * 4)
                .x_label_formatter(&category)
                .disable_x_mesh();
        }
        mesh.x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_desc_style(("sans-serif", 15))
            .label_style(("sans-serif", 13))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210))
            .draw()?;
        let grey = RGBColor(120, 120, 120).mix(0.25);
        for (idx, &(start, end)) in self.bands.iter().enumerate() {
            let band = chart.draw_series(std::iter::once(Rectangle::new(
                [(start, y0), (end, y1)],
                grey.filled(),
            )))?;
            if idx == 0 {
                band.label(&self.band_label).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 20, y + 6)], grey.filled())
                });
            }
        }
        for area in &self.areas {
            let fill = colour(area.series_idx).mix(area.opacity);
            let drawn =
                chart.draw_series(std::iter::once(Polygon::new(area.polygon.clone(), fill)))?;
            if let Some(name) = &area.name {
                drawn.label(name).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 20, y + 6)], fill.filled())
                });
            }
        }
        for line in &self.lines {
            let style = colour(line.series_idx).stroke_width(2);
            chart
                .draw_series(LineSeries::new(line.points.iter().copied(), style))?
                .label(&line.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        for line in &self.dashed_lines {
            let style = colour(line.series_idx).stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    line.points.iter().copied(),
                    8,
                    5,
                    style,
                ))?
                .label(&line.name)
                .legend(move |(x, y)| {
                    plotters::element::DashedPathElement::new(
                        vec![(x, y), (x + 20, y)],
                        6,
                        3,
                        style,
                    )
                });
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
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .label_font(("sans-serif", 13))
            .draw()?;
        root.present()?;
        Ok(())
    }
}
