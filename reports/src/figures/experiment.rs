//! The figures of a fragmentation experiment: per workload, the mean GPU allocation reached
//! against the GPU demand that arrived, one line per placement policy (the FGD paper's
//! Figure 7 and kin).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Error;
use crate::figures::Figure;
use crate::figures::chart::{Chart, Line};
use crate::figures::csv_input::CsvInput;

/// A policy's name and its (arrived %, allocated %) points.
type Curve = (String, Vec<(f64, f64)>);

/// Reads `means.csv` of an experiment folder and draws one figure per workload.
pub(crate) fn policy_curves(dir: &Path) -> Result<Vec<Figure>, Error> {
    let mut input = CsvInput::open(&dir.join("means.csv"))?;
    let (workload_idx, policy_idx, x_idx, y_idx) = (
        input.column("workload")?,
        input.column("policy")?,
        input.column("arrived_pct")?,
        input.column("mean_pct")?,
    );
    // Workload → policies in order of first appearance → points.
    let mut curves: BTreeMap<String, Vec<Curve>> = BTreeMap::new();
    input.for_each_row(|row| {
        let (Some(x), Some(y)) = (row.number(x_idx)?, row.number(y_idx)?) else {
            return Ok(());
        };
        let policies = curves.entry(row.text(workload_idx).to_owned()).or_default();
        let policy = row.text(policy_idx);
        match policies.iter_mut().find(|(name, _)| name == policy) {
            Some((_, points)) => points.push((x, y)),
            None => policies.push((policy.to_owned(), vec![(x, y)])),
        }
        Ok(())
    })?;
    curves
        .into_iter()
        .map(|(workload, policies)| {
            let mut chart = Chart::new(
                &format!("GPU allocation against arrived demand: {workload}"),
                "arrived GPU demand (% of cluster GPUs)",
                "GPUs allocated, mean over seeds (%)",
            );
            let x_max = policies
                .iter()
                .flat_map(|(_, p)| p.iter().map(|q| q.0))
                .fold(1.0, f64::max);
            chart.x_range = (0.0, x_max);
            chart.y_range = (0.0, 100.0);
            chart.lines = policies
                .into_iter()
                .enumerate()
                .map(|(idx, (name, points))| Line {
                    name,
                    points,
                    series_idx: idx,
                })
                .collect();
            Ok(Figure {
                stem: format!("policy-curves-{}", file_safe(&workload)),
                title: chart.title.clone(),
                svg: chart.render()?,
            })
        })
        .collect()
}

/// `name` with anything but letters, digits, `-`, `_` and `.` replaced by `_`, for a file name
/// and an element id.
pub(super) fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
