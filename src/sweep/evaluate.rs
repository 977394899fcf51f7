//! One run of a validated scenario into its headline metrics, with no tables written: what
//! every sweep cell and plan point does.

use scenarios::Scenario;
use scenarios::metric::{Group, MetricKey, MetricKind};
use sim_core::engine::{self, EngineConfig};
use sim_core::rng::RngStreams;

use crate::RunError;

/// Runs `scenario` with `seed` and keeps only its digest.
pub(crate) fn run_digest(scenario: &Scenario, seed: u64) -> Result<reports::RunDigest, RunError> {
    let internal = |err: &dyn std::fmt::Display| RunError::Internal(err.to_string());
    let options = crate::PlaneOptions {
        seed: Some(seed),
        ..crate::PlaneOptions::default()
    };
    let mut control = crate::control_plane(scenario, &options)?;
    let mut sink = reports::DigestSink::new(&scenario.world, scenario.balance_by.as_deref());
    let jobs = scenario
        .jobs(RngStreams::new(seed))
        .map(Ok::<_, std::convert::Infallible>);
    let engine_config = EngineConfig {
        horizon: scenario.horizon,
        progress_every: u64::MAX,
    };
    let stats = engine::run(&engine_config, jobs, &mut control, &mut sink, &mut |_| {})
        .map_err(|e| internal(&e))?;
    sink.finish(&reports::RunMeta {
        scenario: scenario.name.clone(),
        seed,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        horizon: scenario.horizon,
        end: stats.end,
    })
    .map_err(|e| internal(&e))
}

/// The value of `key` in a run; `None` when it has none (no job of the group, no completed
/// job for completion times, a group the run does not have).
pub(crate) fn metric_value(key: &MetricKey, digest: &reports::RunDigest) -> Option<f64> {
    let summary = &digest.summary;
    match key.kind {
        MetricKind::GpuUtilization => match &key.group {
            Group::All => Some(summary.gpu_utilization.overall),
            Group::Cluster(name) => summary.gpu_utilization.per_cluster.get(name).copied(),
            Group::GpuModel(name) => summary.gpu_utilization.per_gpu_model.get(name).copied(),
            _ => None,
        },
        MetricKind::GpuHours => Some(summary.gpu_hours.allocated),
        MetricKind::LostGpuHours | MetricKind::Evictions | MetricKind::Preemptions => {
            let costs = match &key.group {
                Group::All => &summary.faults.total,
                Group::Namespace(name) => match summary.faults.per_namespace.get(name) {
                    Some(costs) => costs,
                    // A namespace without jobs or events lost nothing.
                    None => return Some(0.0),
                },
                _ => return None,
            };
            Some(match key.kind {
                MetricKind::LostGpuHours => costs.lost_gpu_hours,
                MetricKind::Evictions => costs.evictions as f64,
                _ => (costs.preemptions.member + costs.preemptions.control_plane) as f64,
            })
        }
        MetricKind::CostUsd
        | MetricKind::CostPerUsedGpuHour
        | MetricKind::EnergyKwh
        | MetricKind::Co2eKg => economics_metric(key, summary),
        _ => job_metric(key, digest),
    }
}

/// Cost and energy, overall or a namespace's chargeback; `None` when the scenario prices
/// nothing (or gives no power figure, or no carbon intensity).
fn economics_metric(key: &MetricKey, summary: &reports::Summary) -> Option<f64> {
    let (cost, energy) = (summary.cost.as_ref(), summary.energy.as_ref());
    match (&key.kind, &key.group) {
        (MetricKind::CostUsd, Group::All) => cost.map(|c| c.total_usd),
        (MetricKind::CostUsd, Group::Namespace(name)) => {
            cost.map(|c| c.per_namespace.get(name).map_or(0.0, |n| n.chargeback_usd))
        }
        (MetricKind::CostPerUsedGpuHour, Group::All) => cost?.per_used_gpu_hour_usd,
        (MetricKind::EnergyKwh, Group::All) => energy.map(|e| e.kwh),
        (MetricKind::EnergyKwh, Group::Namespace(name)) => {
            energy.map(|e| e.per_namespace.get(name).map_or(0.0, |n| n.kwh))
        }
        (MetricKind::Co2eKg, Group::All) => energy?.kg_co2e,
        (MetricKind::Co2eKg, Group::Namespace(name)) => {
            energy?.per_namespace.get(name).and_then(|n| n.kg_co2e)
        }
        _ => None,
    }
}

/// Metrics over the jobs of a group.
fn job_metric(key: &MetricKey, digest: &reports::RunDigest) -> Option<f64> {
    let position = |names: &[String], name: &str| names.iter().position(|n| n == name);
    let jobs: Vec<&reports::JobTimes> = match &key.group {
        Group::All => digest.jobs.iter().collect(),
        Group::Namespace(name) => {
            let id = position(&digest.namespaces, name)? as u32;
            digest.jobs.iter().filter(|j| j.namespace == id).collect()
        }
        Group::PriorityClass(name) => {
            let id = position(&digest.priority_classes, name)? as u32;
            digest
                .jobs
                .iter()
                .filter(|j| j.priority_class == Some(id))
                .collect()
        }
        _ => return None,
    };
    let n_jobs = jobs.len();
    match key.kind {
        MetricKind::JobsSubmitted => return Some(n_jobs as f64),
        MetricKind::JobsCompleted => {
            return Some(jobs.iter().filter(|j| j.completed_ms.is_some()).count() as f64);
        }
        MetricKind::JobsNotStarted => {
            return Some(jobs.iter().filter(|j| j.start_ms.is_none()).count() as f64);
        }
        MetricKind::StartedWithinShare => {
            let within = key.within?.as_millis();
            let n_in_time = jobs
                .iter()
                .filter(|j| j.start_ms.is_some_and(|s| s - j.submit_ms <= within))
                .count();
            return (n_jobs > 0).then(|| n_in_time as f64 / n_jobs as f64);
        }
        _ => {}
    }
    let mut millis: Vec<u64> = match key.kind {
        MetricKind::JctMean | MetricKind::JctP95 => jobs
            .iter()
            .filter_map(|j| j.completed_ms.map(|end| end - j.submit_ms))
            .collect(),
        _ => jobs.iter().map(|j| j.wait_ms(digest.end_ms)).collect(),
    };
    if millis.is_empty() {
        return None;
    }
    millis.sort_unstable();
    let secs = |ms: u64| ms as f64 / 1000.0;
    let percentile = |p: u64| secs(reports::nearest_rank(&millis, p));
    Some(match key.kind {
        MetricKind::WaitMean | MetricKind::JctMean => {
            let total: u128 = millis.iter().map(|&ms| u128::from(ms)).sum();
            total as f64 / millis.len() as f64 / 1000.0
        }
        MetricKind::WaitP50 => percentile(50),
        MetricKind::WaitP90 => percentile(90),
        MetricKind::WaitP95 | MetricKind::JctP95 => percentile(95),
        MetricKind::WaitP99 => percentile(99),
        MetricKind::WaitMax => secs(*millis.last().expect("not empty")),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(file: &str, names: &[&str]) -> Vec<Option<f64>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let scenario = scenarios::load(&path).unwrap();
        let digest = run_digest(&scenario, scenario.seed).unwrap();
        names
            .iter()
            .map(|name| metric_value(&MetricKey::parse(name).unwrap(), &digest))
            .collect()
    }

    /// tests/e2e/economics.rs works these out by hand: $232 for 20 GPU-hours kept, 49.11 kWh
    /// and 19.644 kg CO2e, all of it team's.
    #[test]
    fn cost_and_energy_metrics_read_the_digest() {
        let names = [
            "cost_usd",
            "cost_usd{namespace=team}",
            "cost_per_used_gpu_hour_usd",
            "energy_kwh",
            "energy_kwh{namespace=team}",
            "co2e_kg",
        ];
        assert_eq!(
            values("tests/scenarios/economics.yaml", &names),
            [
                Some(232.0),
                Some(232.0),
                Some(11.6),
                Some(49.11),
                Some(49.11),
                Some(19.644)
            ]
        );
        // A scenario without prices or power figures has no such values.
        assert_eq!(
            values("tests/scenarios/hand-worked.yaml", &names),
            [None; 6]
        );
    }
}
