//! Figures of a run and of an experiment, drawn with plotters as SVG from the tables read back
//! (so `fleetsim report` draws exactly what `fleetsim run` drew).

mod cdf;
mod chart;
mod cost;
mod csv_input;
mod experiment;
mod plan;
mod run;
mod steps;
mod style;
mod sweep;
mod waits;

pub(crate) use csv_input::CsvInput;
pub(crate) use experiment::policy_curves;
pub(crate) use plan::plan_figure;
pub use plan::{PlanFigure, PlanPoint, pareto_front};
pub(crate) use run::run_figures;
#[cfg(test)]
pub(crate) use sweep::AxisInfo;
pub(crate) use sweep::{CellStat, SweepData, load_sweep, sweep_figures};

/// One drawn figure.
pub(crate) struct Figure {
    /// File stem in `figures/` and the id of its element in `report.html`.
    pub stem: String,
    /// What it shows, for the report's caption.
    pub title: String,
    /// The SVG document.
    pub svg: String,
}
