//! Drawing a finished run's (or experiment's) figures and `report.html` from its files, so
//! `fleetsim run` and `fleetsim report` share one path and a report never needs a re-run.
//!
//! Everything is read first; then `figures/` and `report.html` are written under temporary
//! names and renamed into place, so a failure leaves the previous report intact.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::figures::{self, Figure};
use crate::html;
use crate::load::detect_format;
use crate::summary::Summary;
use crate::tables::TableFormat;

/// What the report of a run is written from, besides its figures.
pub(crate) struct RunData {
    pub summary: Summary,
    /// The scenario's validation warnings, from `run.json` (none when it is missing).
    pub warnings: Vec<String>,
    pub format: TableFormat,
    /// Unschedulable jobs grouped by their last failure: (reason, count), most common first.
    pub unschedulable: Vec<(String, u64)>,
}

/// What [`render_run`] and [`render_experiment`] wrote.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The report.
    pub report: PathBuf,
    /// The figures' file names in `figures/`, in report order.
    pub figures: Vec<String>,
}

fn read_json(path: &Path) -> Result<serde_json::Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Input {
        path: path.to_owned(),
        message: if e.kind() == std::io::ErrorKind::NotFound {
            "missing".to_owned()
        } else {
            e.to_string()
        },
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Input {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// The summary and the validation warnings of run folder `dir`.
fn load_meta(dir: &Path) -> Result<(Summary, Vec<String>), Error> {
    let summary_path = dir.join("summary.json");
    let summary: Summary =
        serde_json::from_value(read_json(&summary_path)?).map_err(|e| Error::Input {
            path: summary_path.clone(),
            message: e.to_string(),
        })?;
    let run_path = dir.join("run.json");
    let warnings = if run_path.is_file() {
        match read_json(&run_path)?.get("warnings") {
            None => Vec::new(),
            Some(list) => serde_json::from_value(list.clone()).map_err(|e| Error::Input {
                path: run_path.clone(),
                message: format!("field warnings: {e}"),
            })?,
        }
    } else {
        Vec::new()
    };
    Ok((summary, warnings))
}

/// Draws `figures/*.svg` and `report.html` in run folder `dir` from its tables (Parquet or
/// CSV), `summary.json` and `run.json`.
///
/// The tables are streamed and reduced to what the figures show as they are read, so this
/// takes about the same memory for a run of a million jobs as for one of a hundred.
pub fn render_run(dir: &Path) -> Result<Rendered, Error> {
    let (summary, warnings) = load_meta(dir)?;
    let format = detect_format(dir)?;
    let drawn = figures::run_figures(dir, format, &summary)?;
    let data = RunData {
        summary,
        warnings,
        format,
        unschedulable: drawn.unschedulable,
    };
    let page = html::run_report(&data, &drawn.figures);
    write(dir, &drawn.figures, &page)
}

/// Draws the policy curves of experiment folder `dir` (from its `means.csv`) into
/// `figures/` and a `report.html` showing them.
pub fn render_experiment(dir: &Path) -> Result<Rendered, Error> {
    let description = read_json(&dir.join("experiment.json"))?;
    let figures = figures::policy_curves(dir)?;
    let rows = crate::experiment_summary::policy_rows(dir)?;
    let page = html::experiment_report(&description, &rows, &figures);
    write(dir, &figures, &page)
}

/// Draws the figures of sweep folder `dir` (each reported metric against each axis, from its
/// `sweep.json` and `stats.csv`) into `figures/` and a `report.html` showing them.
pub fn render_sweep(dir: &Path) -> Result<Rendered, Error> {
    let description = read_json(&dir.join("sweep.json"))?;
    let data = figures::load_sweep(dir, description)?;
    let figures = figures::sweep_figures(&data)?;
    let page = crate::html_sweep::sweep_report(&data, &figures);
    write(dir, &figures, &page)
}

/// Replaces `dir/figures/` and `dir/report.html` with the new ones, each whole.
fn write(dir: &Path, figures: &[Figure], page: &str) -> Result<Rendered, Error> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    let pid = std::process::id();
    let staged = dir.join(format!(".figures.partial-{pid}"));
    if staged.exists() {
        std::fs::remove_dir_all(&staged).map_err(io(&staged))?;
    }
    std::fs::create_dir(&staged).map_err(io(&staged))?;
    let mut names = Vec::new();
    for figure in figures {
        let name = format!("{}.svg", figure.stem);
        let path = staged.join(&name);
        std::fs::write(&path, &figure.svg).map_err(io(&path))?;
        names.push(name);
    }
    let target = dir.join("figures");
    if target.exists() {
        let old = dir.join(format!(".figures.old-{pid}"));
        std::fs::rename(&target, &old).map_err(io(&target))?;
        std::fs::rename(&staged, &target).map_err(io(&target))?;
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    } else {
        std::fs::rename(&staged, &target).map_err(io(&target))?;
    }
    let report = dir.join("report.html");
    let partial = dir.join(format!(".report.html.partial-{pid}"));
    std::fs::write(&partial, page).map_err(io(&partial))?;
    std::fs::rename(&partial, &report).map_err(io(&report))?;
    Ok(Rendered {
        report,
        figures: names,
    })
}
