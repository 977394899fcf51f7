//! The fragmentation experiment's files: `allocation.csv`, `fragmentation.csv`, `means.csv`,
//! `runs.csv`, `experiment.json`, and `tables.md` (drawn up by [`super::tables`]).

use std::path::{Path, PathBuf};

use scenarios::experiment::FragmentationExperiment;

use super::fragmentation::{
    CellResult, FragmentationOutcome, MAX_ARRIVED_PCT, OpenbCluster, PodList, SeedStats,
};
use crate::RunError;

/// Writes every file but the figures and `report.html` into `dir`; errors name `out`, where
/// the folder ends up.
pub(super) fn write_outputs(
    dir: &Path,
    experiment: &FragmentationExperiment,
    cluster: &OpenbCluster,
    lists: &[PodList],
    outcome: &FragmentationOutcome,
    out: &Path,
) -> Result<(), RunError> {
    let staging = Staging { dir, out };
    write_curves(&staging, outcome)?;
    write_means(&staging, experiment, outcome)?;
    write_runs(&staging, cluster, outcome)?;
    write_description(&staging, experiment, cluster, lists, outcome)?;
    let policies: Vec<&str> = experiment.policies.iter().map(String::as_str).collect();
    let tables = super::tables::tables_markdown(outcome, &policies, experiment.target_pct);
    std::fs::write(dir.join("tables.md"), tables).map_err(|e| staging.error(&e))
}

/// The folder the outputs are staged in, and the one errors name (where they end up).
struct Staging<'a> {
    dir: &'a Path,
    out: &'a Path,
}

impl Staging<'_> {
    fn error(&self, err: &dyn std::fmt::Display) -> RunError {
        RunError::Output {
            path: self.out.to_owned(),
            message: err.to_string(),
        }
    }

    fn csv(&self, name: &str) -> Result<csv::Writer<std::fs::File>, RunError> {
        csv::Writer::from_path(self.dir.join(name)).map_err(|e| self.error(&e))
    }
}

/// A percentage as the tables spell it; empty where there is none.
fn pct(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.4}"))
}

/// `allocation.csv` and `fragmentation.csv`: each cell's curves, one row per whole percent.
fn write_curves(staging: &Staging, outcome: &FragmentationOutcome) -> Result<(), RunError> {
    let fail = |err: csv::Error| staging.error(&err);
    let mut allocation = staging.csv("allocation.csv")?;
    let mut fragmentation = staging.csv("fragmentation.csv")?;
    allocation
        .write_record([
            "workload",
            "policy",
            "seed",
            "arrived_pct",
            "gpu_allocation_pct",
        ])
        .map_err(fail)?;
    fragmentation
        .write_record(["workload", "policy", "seed", "arrived_pct", "fragment_pct"])
        .map_err(fail)?;
    for cell in &outcome.cells {
        let stem = &outcome.workloads[cell.workload];
        for x in 0..=MAX_ARRIVED_PCT {
            let key = [
                stem.clone(),
                cell.policy.to_string(),
                cell.seed.to_string(),
                x.to_string(),
            ];
            allocation
                .write_record(key.iter().cloned().chain([pct(cell.allocation[x])]))
                .map_err(fail)?;
            fragmentation
                .write_record(key.iter().cloned().chain([pct(cell.fragmentation[x])]))
                .map_err(fail)?;
        }
    }
    allocation.flush().map_err(|e| staging.error(&e))?;
    fragmentation.flush().map_err(|e| staging.error(&e))
}

/// `means.csv`: per workload, policy and whole percent, the allocation's statistics over seeds.
fn write_means(
    staging: &Staging,
    experiment: &FragmentationExperiment,
    outcome: &FragmentationOutcome,
) -> Result<(), RunError> {
    let fail = |err: csv::Error| staging.error(&err);
    let mut means = staging.csv("means.csv")?;
    means
        .write_record([
            "workload",
            "policy",
            "arrived_pct",
            "n_seeds",
            "mean_pct",
            "std_pct",
            "median_pct",
            "p25_pct",
            "p75_pct",
        ])
        .map_err(fail)?;
    for (workload, stem) in outcome.workloads.iter().enumerate() {
        for policy in &experiment.policies {
            let runs: Vec<&CellResult> = outcome
                .cells
                .iter()
                .filter(|c| c.workload == workload && *c.policy == **policy)
                .collect();
            for x in 0..=MAX_ARRIVED_PCT {
                let values: Vec<f64> = runs.iter().filter_map(|c| c.allocation[x]).collect();
                let stats = SeedStats::of(&values);
                means
                    .write_record([
                        stem.clone(),
                        (*policy).to_owned(),
                        x.to_string(),
                        values.len().to_string(),
                        pct(stats.map(|s| s.mean)),
                        pct(stats.and_then(|s| s.std)),
                        pct(stats.map(|s| s.median)),
                        pct(stats.map(|s| s.p25)),
                        pct(stats.map(|s| s.p75)),
                    ])
                    .map_err(fail)?;
            }
        }
    }
    means.flush().map_err(|e| staging.error(&e))
}

/// `runs.csv`: one row per cell with its totals at the end.
fn write_runs(
    staging: &Staging,
    cluster: &OpenbCluster,
    outcome: &FragmentationOutcome,
) -> Result<(), RunError> {
    let fail = |err: csv::Error| staging.error(&err);
    let mut runs = staging.csv("runs.csv")?;
    runs.write_record([
        "workload",
        "policy",
        "seed",
        "pods",
        "pods_failed",
        "arrived_pct",
        "gpu_allocation_pct",
        "fragment_pct",
        "first_failure_gpu_allocation_pct",
    ])
    .map_err(fail)?;
    let capacity = cluster.capacity_milli as f64;
    for cell in &outcome.cells {
        runs.write_record([
            outcome.workloads[cell.workload].clone(),
            cell.policy.to_string(),
            cell.seed.to_string(),
            cell.n_pods.to_string(),
            cell.n_failed.to_string(),
            format!("{:.4}", cell.arrived_milli as f64 * 100.0 / capacity),
            format!("{:.4}", cell.allocated_milli as f64 * 100.0 / capacity),
            format!("{:.4}", cell.fragment_milli * 100.0 / capacity),
            cell.first_failure_allocated_milli
                .map_or_else(String::new, |a| {
                    format!("{:.4}", a as f64 * 100.0 / capacity)
                }),
        ])
        .map_err(fail)?;
    }
    runs.flush().map_err(|e| staging.error(&e))
}

/// `experiment.json`: what was run, on what.
fn write_description(
    staging: &Staging,
    experiment: &FragmentationExperiment,
    cluster: &OpenbCluster,
    lists: &[PodList],
    outcome: &FragmentationOutcome,
) -> Result<(), RunError> {
    let capacity = cluster.capacity_milli as f64;
    let relative = |p: &PathBuf| p.display().to_string();
    let description = serde_json::json!({
        "experiment": "fragmentation",
        "fleetsim_version": env!("CARGO_PKG_VERSION"),
        "source": relative(&experiment.source),
        "nodes": {
            "file": relative(&experiment.nodes),
            "count": cluster.nodes.len(),
            "gpus": cluster.capacity_milli / 1000,
            "gpu_models": cluster.models,
        },
        "workloads": lists.iter().zip(&experiment.pod_lists).map(|(list, file)| serde_json::json!({
            "name": list.stem,
            "file": relative(file),
            "pods": list.pods.len(),
            "gpu_demand_pct": list.gpu_milli() as f64 * 100.0 / capacity,
            "typical_pod_types": list.target.types().len(),
        })).collect::<Vec<_>>(),
        "policies": experiment.policies,
        "seeds": outcome.cells.iter().map(|c| c.seed).collect::<std::collections::BTreeSet<_>>(),
        "target_pct": experiment.target_pct,
        "typical_coverage_pct": experiment.coverage_pct,
    });
    let text = serde_json::to_string_pretty(&description).map_err(|e| staging.error(&e))?;
    std::fs::write(staging.dir.join("experiment.json"), text + "\n").map_err(|e| staging.error(&e))
}
