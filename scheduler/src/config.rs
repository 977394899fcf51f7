//! The scheduler's settings, as a scenario gives them, and their resolution into plugins.

use std::sync::Arc;

use rand::Rng;
use sim_core::model::ClusterId;
use sim_core::rng::RngStreams;

use crate::Error;
use crate::estimator::ResourceQuotaEstimator;
use crate::member::{LeastAllocated, Normalization, PlacementPolicy, TargetWorkload};
use crate::queue::{PrioritySort, QueueConfig};
use crate::registry::{
    PlacementContext, Registry, SharedEstimator, SharedFilter, SharedQueueSort, SharedScore,
};

/// Scheduler settings; every default is Karmada's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// Karmada's `--plugins`: `*` enables every in-tree plugin, `-Name` disables one, `Name`
    /// enables one.
    pub plugins: Vec<String>,
    /// Estimators whose minimum gives a cluster's available replicas.
    pub estimators: Vec<String>,
    /// The member clusters' pod placement policy.
    pub member_placement: String,
    /// Clusters that use another placement policy than `member_placement`.
    pub cluster_placement: Vec<(ClusterId, String)>,
    /// The workload FGD measures fragmentation against.
    pub placement_target: Arc<TargetWorkload>,
    /// Scheduling queue timings.
    pub queue: QueueConfig,
    /// The active queue's order, a registered queue sort (Karmada's `PrioritySort`).
    pub queue_sort: String,
    /// Whether jobs go through Karmada or straight to member clusters.
    pub federation: Federation,
    /// How often member clusters publish their resource summary (Karmada's
    /// `--cluster-status-update-frequency`, 10 s); the general estimator decides on the last one.
    pub status_period: sim_core::Duration,
    /// Karmada's feature gates (`--feature-gates`), v1.19's defaults unless a scenario says.
    pub feature_gates: crate::features::FeatureGates,
    /// How cluster health is noticed and what failover does.
    pub failover: crate::faults::FailoverConfig,
    /// The karmada-descheduler, if deployed.
    pub descheduler: Option<crate::control::DeschedulerConfig>,
    /// Which preemption runs.
    pub preemption: crate::control::PreemptionConfig,
    /// Gang scheduling's timeout (as coscheduling's `scheduleTimeoutSeconds`): a gang holding
    /// some of its pods that cannot place the rest within it gives them back, and tries again
    /// after as long; `None` = it holds them until the rest arrive.
    pub gang_timeout: Option<sim_core::Duration>,
}

/// How jobs reach the member clusters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Federation {
    /// Through Karmada's control plane.
    #[default]
    Karmada,
    /// The world before federation: each team submits to member clusters itself, with no
    /// global view; a job's replicas all go to the one cluster chosen, and wait there.
    Direct(DirectSubmission),
}

/// Which cluster a team submits a job to without federation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectSubmission {
    /// Each namespace cycles through the clusters in order.
    RoundRobin,
    /// Each namespace (by index) always uses one cluster.
    PerNamespace(Vec<ClusterId>),
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            plugins: vec!["*".to_owned()],
            estimators: vec!["general".to_owned()],
            member_placement: LeastAllocated::NAME.to_owned(),
            cluster_placement: Vec::new(),
            placement_target: Arc::default(),
            queue: QueueConfig::default(),
            queue_sort: PrioritySort::NAME.to_owned(),
            federation: Federation::Karmada,
            status_period: sim_core::Duration::from_secs(10),
            feature_gates: crate::features::FeatureGates::default(),
            failover: crate::faults::FailoverConfig::default(),
            descheduler: None,
            preemption: crate::control::PreemptionConfig::default(),
            gang_timeout: None,
        }
    }
}

/// The plugins a configuration resolves to.
pub struct Plugins {
    /// Filters, in registry order.
    pub filters: Vec<SharedFilter>,
    /// Score plugins, in registry order.
    pub scores: Vec<SharedScore>,
    /// Estimators, in the order given.
    pub estimators: Vec<SharedEstimator>,
    /// Member placement, per cluster (by id).
    pub placements: Vec<Box<dyn PlacementPolicy>>,
    /// The scheduling queue's order.
    pub queue_sort: SharedQueueSort,
}

impl Plugins {
    /// The placement policy of a cluster.
    pub fn placement(&self, cluster: ClusterId) -> &dyn PlacementPolicy {
        self.placements[cluster.0 as usize].as_ref()
    }
}

impl SchedulerConfig {
    /// The estimators that run: those listed, and the ResourceQuota plugin when the
    /// `ResourceQuotaEstimate` gate is on (in Karmada it runs inside the scheduler-estimator).
    pub fn estimator_names(&self) -> impl Iterator<Item = &str> {
        let quota = ResourceQuotaEstimator::NAME;
        let add_quota = self.feature_gates.resource_quota_estimate
            && !self.estimators.iter().any(|e| e == quota);
        self.estimators
            .iter()
            .map(String::as_str)
            .chain(add_quota.then_some(quota))
    }

    /// Builds the in-tree plugins for a fleet of `n_clusters` ([`SchedulerConfig::resolve_with`]
    /// over [`Registry::builtin`], seed 0).
    pub fn resolve(&self, n_clusters: usize) -> Result<Plugins, Error> {
        self.resolve_with(Registry::builtin_ref(), n_clusters, 0)
    }

    /// Builds the plugins registered in `registry` for a fleet of `n_clusters` in a run seeded
    /// `seed`; an unknown name is an error listing the registered ones.
    pub fn resolve_with(
        &self,
        registry: &Registry,
        n_clusters: usize,
        seed: u64,
    ) -> Result<Plugins, Error> {
        let filter_names = registry.filter_names();
        let score_names = registry.score_names();
        let known = registry.plugin_names();
        let mut enabled: Vec<&str> = Vec::new();
        for entry in &self.plugins {
            let (disable, name) = match entry.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, entry.as_str()),
            };
            if name == "*" {
                if disable {
                    enabled.clear();
                } else {
                    enabled.extend(known.iter().copied());
                }
                continue;
            }
            if !known.contains(&name) {
                return Err(Error::UnknownPlugin {
                    kind: "plugin",
                    name: name.to_owned(),
                    known: known.join(", "),
                });
            }
            if disable {
                enabled.retain(|n| *n != name);
            } else if !enabled.contains(&name) {
                enabled.push(name);
            }
        }
        let filters = filter_names
            .iter()
            .filter(|n| enabled.contains(n))
            .map(|n| registry.filter(n))
            .collect::<Result<_, _>>()?;
        let scores = score_names
            .iter()
            .filter(|n| enabled.contains(n))
            .map(|n| registry.score(n))
            .collect::<Result<_, _>>()?;
        let streams = RngStreams::new(seed);
        let estimators = self
            .estimator_names()
            .map(|n| registry.estimator(n))
            .collect::<Result<_, _>>()?;
        Ok(Plugins {
            filters,
            scores,
            estimators,
            queue_sort: registry.queue_sort(&self.queue_sort)?,
            placements: (0..n_clusters.max(1))
                .map(|idx| {
                    let name = self
                        .cluster_placement
                        .iter()
                        .find(|(id, _)| id.0 as usize == idx)
                        .map_or(&self.member_placement, |(_, name)| name);
                    let context = PlacementContext {
                        target: &self.placement_target,
                        norm: Normalization::NodeCapacity,
                        seed: streams
                            .stream(&format!("placement/cluster-{idx}"))
                            .next_u64(),
                    };
                    registry.placement(name, &context)
                })
                .collect::<Result<_, _>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(plugins: &[&str]) -> Result<Vec<&'static str>, Error> {
        let config = SchedulerConfig {
            plugins: plugins.iter().map(|s| s.to_string()).collect(),
            ..SchedulerConfig::default()
        };
        let resolved = config.resolve(0)?;
        Ok(resolved
            .filters
            .iter()
            .map(|f| f.name())
            .chain(resolved.scores.iter().map(|s| s.name()))
            .collect())
    }

    #[test]
    fn star_enables_everything() {
        let all = [
            "APIEnablement",
            "TaintToleration",
            "ClusterAffinity",
            "SpreadConstraint",
            "ClusterEviction",
            "ClusterLocality",
        ];
        assert_eq!(names(&["*"]).unwrap(), all);
    }

    #[test]
    fn minus_disables_one() {
        assert_eq!(
            names(&["*", "-TaintToleration", "-ClusterLocality"]).unwrap(),
            vec![
                "APIEnablement",
                "ClusterAffinity",
                "SpreadConstraint",
                "ClusterEviction"
            ]
        );
        assert_eq!(
            names(&["-*", "TaintToleration"]).unwrap(),
            vec!["TaintToleration"]
        );
    }

    #[test]
    fn resource_quota_estimate_adds_the_quota_plugin() {
        // The plugin answers only with ResourceQuotaEstimate (resourcequota.go `New` and
        // `Estimate`: disabled, it returns Noopperation, which the framework ignores).
        let mut config = SchedulerConfig::default();
        let names =
            |c: &SchedulerConfig| c.estimator_names().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(names(&config), ["general"]);
        config.feature_gates.resource_quota_estimate = true;
        assert_eq!(names(&config), ["general", "resource-quota"]);
        let resolved = config.resolve(0).unwrap();
        assert_eq!(resolved.estimators.len(), 2);
        // Listed already: not twice.
        config.estimators.push("resource-quota".into());
        assert_eq!(names(&config), ["general", "resource-quota"]);
    }

    #[test]
    fn names_resolve_against_the_registry_given() {
        let config = SchedulerConfig {
            queue_sort: "Fifo".into(),
            ..SchedulerConfig::default()
        };
        let err = config.resolve(0).err().unwrap();
        assert_eq!(
            err.to_string(),
            "unknown queue sort \"Fifo\" (known: PrioritySort)"
        );
        let mut registry = Registry::builtin();
        registry
            .register_queue_sort("Fifo", PrioritySort)
            .unwrap()
            .register_score("Last", crate::score::ClusterLocality)
            .unwrap();
        let resolved = config.resolve_with(&registry, 0, 0).unwrap();
        assert_eq!(resolved.queue_sort.name(), "PrioritySort");
        // `*` enables the user's score plugin after the in-tree one.
        assert_eq!(resolved.scores.len(), 2);
        let only_last = SchedulerConfig {
            plugins: vec!["-*".into(), "Last".into()],
            ..config
        };
        assert_eq!(
            only_last
                .resolve_with(&registry, 0, 0)
                .unwrap()
                .scores
                .len(),
            1
        );
        assert!(only_last.resolve(0).is_err());
    }

    #[test]
    fn unknown_names_are_errors() {
        let err = names(&["*", "-NoSuchPlugin"]).unwrap_err();
        assert!(err.to_string().contains("NoSuchPlugin"), "{err}");
        let config = SchedulerConfig {
            member_placement: "worst-fit".into(),
            ..SchedulerConfig::default()
        };
        assert!(config.resolve(0).is_err());
    }
}
