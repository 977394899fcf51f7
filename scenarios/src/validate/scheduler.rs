//! The scheduler section: plugins, estimators, queue, failover and descheduler settings,
//! federation mode, and member placement per cluster.

use scheduler::control::{DeschedulerConfig, PolicySet, PreemptionConfig, TimelineChange};
use scheduler::faults::FailoverConfig;
use scheduler::queue::QueueConfig;
use scheduler::registry::Registry;
use scheduler::{DirectSubmission, FeatureGates, Federation, SchedulerConfig};
use sim_core::model::{ClusterId, World};
use sim_core::{Duration, SimTime};

use super::ClusterPaths;
use crate::check::Checker;
use crate::error::Error;
use crate::spec::{self, ScenarioSpec, Text};

/// The scheduler settings of `spec`, resolved against the world.
pub(super) fn scheduler(
    ck: &Checker<'_>,
    plugins: &Registry,
    world: &World,
    spec: &ScenarioSpec,
    paths: &ClusterPaths,
    feature_gates: FeatureGates,
) -> Result<SchedulerConfig, Error> {
    let mut scheduler = scheduler_config(ck, plugins, &spec.scheduler)?;
    scheduler.feature_gates = feature_gates;
    scheduler.federation = federation(ck, world, &spec.scheduler)?;
    for (idx, cluster) in spec.clusters.iter().enumerate() {
        let Some(text) = &cluster.member_placement else {
            continue;
        };
        let Some(name) = plugins.placement_name(&text.value) else {
            return ck.at(
                text,
                format!("{}.member_placement", paths.path(idx, &cluster.name.value)),
                format!(
                    "unknown member placement policy {:?}: expected one of {}",
                    text.value,
                    plugins.placement_names().join(", ")
                ),
            );
        };
        scheduler
            .cluster_placement
            .push((ClusterId(idx as u32), name.to_owned()));
    }
    Ok(scheduler)
}

fn scheduler_config(
    ck: &Checker<'_>,
    plugins: &Registry,
    spec: &spec::SchedulerSpec,
) -> Result<SchedulerConfig, Error> {
    let defaults = SchedulerConfig::default();
    let texts = |list: &Option<Vec<Text>>, default: Vec<String>| {
        list.as_ref()
            .map_or(default, |l| l.iter().map(|t| t.value.clone()).collect())
    };
    let config = SchedulerConfig {
        gang_timeout: match &spec.gang_timeout {
            None => None,
            Some(text) => {
                let timeout = ck.duration(text, "scheduler.gang_timeout")?;
                if timeout == Duration::ZERO {
                    return ck.at(text, "scheduler.gang_timeout", "must be longer than 0");
                }
                Some(timeout)
            }
        },
        preemption: PreemptionConfig {
            member: spec.preemption.member,
            control_plane: spec.preemption.control_plane,
        },
        descheduler: descheduler(ck, spec)?,
        failover: failover(ck, spec)?,
        federation: Federation::Karmada,
        status_period: ck.optional_duration(
            spec.status_period.as_ref(),
            "scheduler.status_period",
            defaults.status_period,
        )?,
        feature_gates: FeatureGates::default(),
        plugins: texts(&spec.plugins, defaults.plugins),
        estimators: texts(&spec.estimators, defaults.estimators),
        member_placement: spec
            .member_placement
            .as_ref()
            .map_or(defaults.member_placement, |t| t.value.clone()),
        cluster_placement: Vec::new(),
        placement_target: defaults.placement_target,
        queue: queue(ck, &spec.queue)?,
        queue_sort: spec
            .queue_sort
            .as_ref()
            .map_or(defaults.queue_sort, |t| t.value.clone()),
    };
    if let Err(err) = config.resolve_with(plugins, 0, 0) {
        // Point at the entry that names the unknown plugin.
        let entries = [("plugins", &spec.plugins), ("estimators", &spec.estimators)];
        for (field, list) in entries {
            for (idx, text) in list.iter().flatten().enumerate() {
                let name = text.value.trim_start_matches('-');
                if err.to_string().contains(&format!("{name:?}")) {
                    return ck.at(text, format!("scheduler.{field}[{idx}]"), err.to_string());
                }
            }
        }
        if let Some(text) = &spec.queue_sort
            && matches!(
                &err,
                scheduler::Error::UnknownPlugin {
                    kind: "queue sort",
                    ..
                }
            )
        {
            return ck.at(text, "scheduler.queue_sort", err.to_string());
        }
        if let Some(text) = &spec.member_placement {
            return ck.at(text, "scheduler.member_placement", err.to_string());
        }
        return ck.error(0, 0, "scheduler", err.to_string());
    }
    Ok(config)
}

fn federation(
    ck: &Checker<'_>,
    world: &World,
    spec: &spec::SchedulerSpec,
) -> Result<Federation, Error> {
    match spec.federation.as_ref().map(|t| t.value.as_str()) {
        None | Some("karmada") => {
            if let Some(map) = &spec.direct_clusters {
                return ck.at(
                    map,
                    "scheduler.direct_clusters",
                    "direct_clusters needs federation: direct",
                );
            }
            Ok(Federation::Karmada)
        }
        Some("direct") => {
            let Some(map) = &spec.direct_clusters else {
                return Ok(Federation::Direct(DirectSubmission::RoundRobin));
            };
            let mut clusters = Vec::new();
            for namespace in &world.namespaces {
                let Some(name) = map.value.get(&namespace.name) else {
                    return ck.at(
                        map,
                        "scheduler.direct_clusters",
                        format!("namespace {:?} has no cluster", namespace.name),
                    );
                };
                let Some(id) = world.fleet.cluster_id(name) else {
                    return ck.at(
                        map,
                        format!("scheduler.direct_clusters.{}", namespace.name),
                        format!("unknown cluster {name:?}"),
                    );
                };
                clusters.push(id);
            }
            Ok(Federation::Direct(DirectSubmission::PerNamespace(clusters)))
        }
        Some(other) => ck.at(
            spec.federation.as_ref().expect("some"),
            "scheduler.federation",
            format!("unknown federation {other:?}; expected karmada or direct"),
        ),
    }
}

fn descheduler(
    ck: &Checker<'_>,
    spec: &spec::SchedulerSpec,
) -> Result<Option<DeschedulerConfig>, Error> {
    Ok(match &spec.descheduler {
        None => None,
        Some(d) => {
            let defaults = DeschedulerConfig::default();
            let interval = ck.optional_duration(
                d.interval.as_ref(),
                "scheduler.descheduler.interval",
                defaults.interval,
            )?;
            if let (Some(text), true) = (&d.interval, interval == Duration::ZERO) {
                return ck.at(
                    text,
                    "scheduler.descheduler.interval",
                    "must be longer than 0",
                );
            }
            Some(DeschedulerConfig {
                interval,
                unschedulable_threshold: ck.optional_duration(
                    d.unschedulable_threshold.as_ref(),
                    "scheduler.descheduler.unschedulable_threshold",
                    defaults.unschedulable_threshold,
                )?,
            })
        }
    })
}

fn failover(ck: &Checker<'_>, spec: &spec::SchedulerSpec) -> Result<FailoverConfig, Error> {
    let failover_defaults = FailoverConfig::default();
    let f = &spec.failover;
    Ok(FailoverConfig {
        status_grace: ck.optional_duration(
            f.status_grace.as_ref(),
            "scheduler.failover.status_grace",
            failover_defaults.status_grace,
        )?,
        ready_after: ck.optional_duration(
            f.ready_after.as_ref(),
            "scheduler.failover.ready_after",
            failover_defaults.ready_after,
        )?,
        no_execute_eviction: f.no_execute_eviction,
        graceful_eviction_timeout: ck.optional_duration(
            f.graceful_eviction_timeout.as_ref(),
            "scheduler.failover.graceful_eviction_timeout",
            failover_defaults.graceful_eviction_timeout,
        )?,
    })
}

fn queue(ck: &Checker<'_>, q: &spec::QueueSpec) -> Result<QueueConfig, Error> {
    let queue_defaults = QueueConfig::default();
    Ok(QueueConfig {
        backoff_initial: ck.optional_duration(
            q.backoff_initial.as_ref(),
            "scheduler.queue.backoff_initial",
            queue_defaults.backoff_initial,
        )?,
        backoff_max: ck.optional_duration(
            q.backoff_max.as_ref(),
            "scheduler.queue.backoff_max",
            queue_defaults.backoff_max,
        )?,
        backoff_flush: ck.optional_duration(
            q.backoff_flush.as_ref(),
            "scheduler.queue.backoff_flush",
            queue_defaults.backoff_flush,
        )?,
        unschedulable_max_stay: ck.optional_duration(
            q.unschedulable_max_stay.as_ref(),
            "scheduler.queue.unschedulable_max_stay",
            queue_defaults.unschedulable_max_stay,
        )?,
        unschedulable_flush: ck.optional_duration(
            q.unschedulable_flush.as_ref(),
            "scheduler.queue.unschedulable_flush",
            queue_defaults.unschedulable_flush,
        )?,
    })
}

/// How [`direct_warning`]'s warning begins.
const DIRECT_WARNING: &str = "federation: direct: ";

/// Whether `warning` is [`direct_warning`]'s.
pub(super) fn is_direct_warning(warning: &str) -> bool {
    warning.starts_with(DIRECT_WARNING)
}

/// What the scenario sets that does nothing without federation, as one warning (`None` when
/// it sets nothing of the kind). Teams submit to member clusters themselves: no policy is
/// consulted, and none of Karmada's controllers acts, so a job stays in the cluster it was
/// submitted to, through an outage too.
pub(super) fn direct_warning(
    policies: &PolicySet,
    timeline: &[(SimTime, TimelineChange)],
    scheduler: &SchedulerConfig,
) -> Option<String> {
    let fallback_acts = policies.fallback.is_some_and(|id| {
        let placement = &policies.placements[id.0 as usize];
        placement.cluster_affinity.is_some()
            || !placement.cluster_affinities.is_empty()
            || !placement.cluster_tolerations.is_empty()
            || !placement.spread_constraints.is_empty()
            || placement.failover != Default::default()
    });
    let mut unused = Vec::new();
    if !policies.policies.is_empty() {
        unused.push("its propagation policies");
    }
    if fallback_acts {
        unused.push("its placement");
    }
    if scheduler.failover.no_execute_eviction {
        unused.push("scheduler.failover.no_execute_eviction (the taint manager)");
    }
    if scheduler.preemption.control_plane {
        unused.push("binding preemption in the control plane");
    }
    if scheduler.descheduler.is_some() {
        unused.push("scheduler.descheduler");
    }
    if scheduler.feature_gates.federated_quota_enforcement {
        unused.push("FederatedResourceQuota enforcement");
    }
    if timeline.iter().any(|(_, change)| {
        matches!(
            change,
            TimelineChange::Policies(_) | TimelineChange::Rebalance(_)
        )
    }) {
        unused.push("the timeline's policy changes and rebalancers");
    }
    if unused.is_empty() {
        return None;
    }
    Some(format!(
        "{DIRECT_WARNING}teams submit to member clusters themselves and Karmada is not in \
         the path, so {} do nothing: each job stays in the cluster it was submitted to, \
         through an outage too",
        unused.join(", ")
    ))
}
