//! Names of the headline metrics sweeps tabulate and plans constrain: `wait_p95_s`,
//! `wait_p95_s{priority_class=high}`, `started_within_share{within=2h,namespace=llm}`,
//! `gpu_utilization{cluster=dc-01}`.
//!
//! A name is a metric and at most one group (a priority class, a namespace, a cluster or a GPU
//! model), plus `within` for the share of jobs started in time. Parsing gives the canonical
//! spelling, which is the column name in tables.

use std::fmt;

use sim_core::Duration;

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MetricKind {
    /// Allocated GPU time over capacity GPU time.
    GpuUtilization,
    /// Waiting time (start − submit) over all submitted jobs; a job that never started counts
    /// as waiting until the end of the run.
    WaitMean,
    /// Median waiting time.
    WaitP50,
    /// 90th percentile.
    WaitP90,
    /// 95th percentile.
    WaitP95,
    /// 99th percentile.
    WaitP99,
    /// Longest wait.
    WaitMax,
    /// Share of submitted jobs that started within `within` of their submission.
    StartedWithinShare,
    /// Jobs submitted.
    JobsSubmitted,
    /// Jobs completed.
    JobsCompleted,
    /// Jobs that never started by the end of the run.
    JobsNotStarted,
    /// Mean job completion time (end − submit) of completed jobs.
    JctMean,
    /// 95th percentile of the completion time of completed jobs.
    JctP95,
    /// GPU-hours held by jobs.
    GpuHours,
    /// GPU-hours of work thrown away by faults and preemptions.
    LostGpuHours,
    /// Karmada evictions.
    Evictions,
    /// Preemptions, member and control plane.
    Preemptions,
    /// What the fleet cost, in the prices' currency; per namespace, its chargeback.
    CostUsd,
    /// The fleet's cost over the GPU-hours of work kept.
    CostPerUsedGpuHour,
    /// Facility energy in kWh; per namespace, its chargeback.
    EnergyKwh,
    /// Emissions in kg CO2e; per namespace, its chargeback.
    Co2eKg,
}

/// Which kinds of group a metric can be narrowed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Groups {
    /// None: the whole run only.
    Whole,
    /// Priority class or namespace (job metrics).
    Jobs,
    /// Cluster or GPU model (capacity metrics).
    Capacity,
    /// Namespace (fault costs).
    Namespace,
}

/// How a metric moves when the fleet or a quota grows, all else equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trend {
    /// Waits and losses fall.
    FallsWithCapacity,
    /// Started and completed jobs rise.
    RisesWithCapacity,
    /// Utilization falls with nodes but rises with quota: no single direction.
    Mixed,
}

struct KindInfo {
    kind: MetricKind,
    name: &'static str,
    groups: Groups,
    trend: Trend,
}

const KINDS: [KindInfo; 21] = [
    info(
        MetricKind::GpuUtilization,
        "gpu_utilization",
        Groups::Capacity,
        Trend::Mixed,
    ),
    info(
        MetricKind::WaitMean,
        "wait_mean_s",
        Groups::Jobs,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::WaitP50,
        "wait_p50_s",
        Groups::Jobs,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::WaitP90,
        "wait_p90_s",
        Groups::Jobs,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::WaitP95,
        "wait_p95_s",
        Groups::Jobs,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::WaitP99,
        "wait_p99_s",
        Groups::Jobs,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::WaitMax,
        "wait_max_s",
        Groups::Jobs,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::StartedWithinShare,
        "started_within_share",
        Groups::Jobs,
        Trend::RisesWithCapacity,
    ),
    info(
        MetricKind::JobsSubmitted,
        "jobs_submitted",
        Groups::Jobs,
        Trend::Mixed,
    ),
    info(
        MetricKind::JobsCompleted,
        "jobs_completed",
        Groups::Jobs,
        Trend::RisesWithCapacity,
    ),
    info(
        MetricKind::JobsNotStarted,
        "jobs_not_started",
        Groups::Jobs,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::JctMean,
        "jct_mean_s",
        Groups::Jobs,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::JctP95,
        "jct_p95_s",
        Groups::Jobs,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::GpuHours,
        "gpu_hours",
        Groups::Whole,
        Trend::Mixed,
    ),
    info(
        MetricKind::LostGpuHours,
        "lost_gpu_hours",
        Groups::Namespace,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::Evictions,
        "evictions",
        Groups::Namespace,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::Preemptions,
        "preemptions",
        Groups::Namespace,
        Trend::FallsWithCapacity,
    ),
    info(
        MetricKind::CostUsd,
        "cost_usd",
        Groups::Namespace,
        Trend::RisesWithCapacity,
    ),
    info(
        MetricKind::CostPerUsedGpuHour,
        "cost_per_used_gpu_hour_usd",
        Groups::Whole,
        Trend::Mixed,
    ),
    info(
        MetricKind::EnergyKwh,
        "energy_kwh",
        Groups::Namespace,
        Trend::RisesWithCapacity,
    ),
    info(
        MetricKind::Co2eKg,
        "co2e_kg",
        Groups::Namespace,
        Trend::RisesWithCapacity,
    ),
];

const fn info(kind: MetricKind, name: &'static str, groups: Groups, trend: Trend) -> KindInfo {
    KindInfo {
        kind,
        name,
        groups,
        trend,
    }
}

/// The part of the run a metric covers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// Everything.
    All,
    /// Jobs of one priority class.
    PriorityClass(String),
    /// Jobs (or fault costs) of one namespace.
    Namespace(String),
    /// One cluster's capacity.
    Cluster(String),
    /// One GPU model's capacity.
    GpuModel(String),
}

/// A parsed metric name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricKey {
    /// What.
    pub kind: MetricKind,
    /// Over which part of the run.
    pub group: Group,
    /// For [`MetricKind::StartedWithinShare`]: the time limit.
    pub within: Option<Duration>,
    canonical: String,
}

impl fmt::Display for MetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl MetricKey {
    /// Every metric name, for error messages and docs.
    pub fn names() -> impl Iterator<Item = &'static str> {
        KINDS.iter().map(|k| k.name)
    }

    /// Reads `name` or `name{label=value,...}`; the error says what was expected.
    pub fn parse(text: &str) -> Result<MetricKey, String> {
        let text = text.trim();
        let (name, labels) = match text.split_once('{') {
            Some((name, rest)) => {
                let Some(labels) = rest.strip_suffix('}') else {
                    return Err(format!("{text:?}: labels must end with }}"));
                };
                (name.trim(), labels)
            }
            None => (text, ""),
        };
        let info = KINDS.iter().find(|k| k.name == name).ok_or_else(|| {
            format!(
                "unknown metric {name:?}; expected one of {}",
                MetricKey::names().collect::<Vec<_>>().join(", ")
            )
        })?;
        let mut group = Group::All;
        let mut within = None;
        for label in labels.split(',').map(str::trim).filter(|l| !l.is_empty()) {
            let Some((key, value)) = label.split_once('=') else {
                return Err(format!("{text:?}: expected label=value, got {label:?}"));
            };
            let (key, value) = (key.trim(), value.trim().to_owned());
            let allowed = match (key, info.groups) {
                ("within", _) => {
                    if info.kind != MetricKind::StartedWithinShare {
                        return Err(format!("{text:?}: only started_within_share takes within"));
                    }
                    let duration = Duration::parse(&value)
                        .map_err(|e| format!("{text:?}: within: {e} (e.g. 2h)"))?;
                    within = Some(duration);
                    continue;
                }
                ("priority_class", Groups::Jobs) => Group::PriorityClass(value),
                ("namespace", Groups::Jobs | Groups::Namespace) => Group::Namespace(value),
                ("cluster", Groups::Capacity) => Group::Cluster(value),
                ("gpu_model", Groups::Capacity) => Group::GpuModel(value),
                _ => {
                    let expected = match info.groups {
                        Groups::Whole => "no labels",
                        Groups::Jobs => "priority_class or namespace",
                        Groups::Capacity => "cluster or gpu_model",
                        Groups::Namespace => "namespace",
                    };
                    return Err(format!(
                        "{text:?}: label {key:?} does not apply to {name}; expected {expected}"
                    ));
                }
            };
            if group != Group::All {
                return Err(format!("{text:?}: at most one group label"));
            }
            group = allowed;
        }
        if info.kind == MetricKind::StartedWithinShare && within.is_none() {
            return Err(format!(
                "{text:?}: started_within_share needs a time limit, e.g. started_within_share{{within=2h}}"
            ));
        }
        Ok(MetricKey::new(info.kind, group, within))
    }

    /// A key from its parts.
    pub fn new(kind: MetricKind, group: Group, within: Option<Duration>) -> MetricKey {
        let info = KINDS
            .iter()
            .find(|k| k.kind == kind)
            .expect("every kind listed");
        let mut labels = Vec::new();
        if let Some(within) = within {
            labels.push(format!("within={within}"));
        }
        match &group {
            Group::All => {}
            Group::PriorityClass(name) => labels.push(format!("priority_class={name}")),
            Group::Namespace(name) => labels.push(format!("namespace={name}")),
            Group::Cluster(name) => labels.push(format!("cluster={name}")),
            Group::GpuModel(name) => labels.push(format!("gpu_model={name}")),
        }
        let canonical = if labels.is_empty() {
            info.name.to_owned()
        } else {
            format!("{}{{{}}}", info.name, labels.join(","))
        };
        MetricKey {
            kind,
            group,
            within,
            canonical,
        }
    }

    /// How the metric moves when capacity or quota grows.
    pub fn trend(&self) -> Trend {
        KINDS
            .iter()
            .find(|k| k.kind == self.kind)
            .expect("every kind listed")
            .trend
    }

    /// Measured in seconds (targets may be given as durations).
    pub fn is_seconds(&self) -> bool {
        self.canonical
            .split('{')
            .next()
            .is_some_and(|n| n.ends_with("_s"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_to_canonical_spelling() {
        let key = MetricKey::parse(" wait_p95_s{ priority_class = high } ").unwrap();
        assert_eq!(key.kind, MetricKind::WaitP95);
        assert_eq!(key.group, Group::PriorityClass("high".into()));
        assert_eq!(key.to_string(), "wait_p95_s{priority_class=high}");
        let key = MetricKey::parse("started_within_share{namespace=llm,within=120m}").unwrap();
        assert_eq!(
            key.to_string(),
            "started_within_share{within=2h,namespace=llm}"
        );
        assert!(!key.is_seconds());
        assert!(MetricKey::parse("jct_mean_s").unwrap().is_seconds());
    }

    #[test]
    fn cost_and_energy_metrics_take_a_namespace_except_the_unit_cost() {
        let key = MetricKey::parse("cost_usd{namespace=llm}").unwrap();
        assert_eq!(key.kind, MetricKind::CostUsd);
        assert_eq!(key.group, Group::Namespace("llm".into()));
        assert_eq!(key.trend(), Trend::RisesWithCapacity);
        assert_eq!(
            MetricKey::parse("co2e_kg").unwrap().kind,
            MetricKind::Co2eKg
        );
        let err = MetricKey::parse("cost_per_used_gpu_hour_usd{namespace=llm}").unwrap_err();
        assert!(err.ends_with("expected no labels"), "{err}");
    }

    #[test]
    fn wrong_names_and_labels_say_what_is_expected() {
        let err = MetricKey::parse("wait_p96_s").unwrap_err();
        assert!(
            err.starts_with(
                "unknown metric \"wait_p96_s\"; expected one of gpu_utilization, wait_mean_s"
            ),
            "{err}"
        );
        let err = MetricKey::parse("gpu_utilization{namespace=llm}").unwrap_err();
        assert!(err.ends_with("expected cluster or gpu_model"), "{err}");
        let err = MetricKey::parse("started_within_share").unwrap_err();
        assert!(err.contains("needs a time limit"), "{err}");
        let err = MetricKey::parse("wait_p95_s{namespace=a,priority_class=b}").unwrap_err();
        assert!(err.ends_with("at most one group label"), "{err}");
        assert!(MetricKey::parse("wait_p95_s{namespace=a").is_err());
    }
}
