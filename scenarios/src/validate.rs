//! Turns a parsed [`ScenarioSpec`] into a [`Scenario`], checking every value up front so a run
//! never fails half way on bad input.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use scheduler::SchedulerConfig;
use scheduler::control::{PolicySet, PolicyUpdate, TimelineChange};
use scheduler::estimator::{ModelGrade, NodeClaim, PerNodeLimit, default_resource_models};
use scheduler::policy::PlacementId;
use scheduler::policy::{DivisionPreference, Placement, ReplicaScheduling};
use scheduler::queue::QueueConfig;
use scheduler::quota::{FederatedResourceQuota, Limits, Quotas, ResourceQuota};
use scheduler::{DirectSubmission, Federation};
use serde_saphyr::Spanned;
use sim_core::model::{
    Cluster, ClusterId, Component, Fleet, GpuModel, GpuModelId, GpuModelSet, GpuRequest, Job,
    JobId, Namespace, NamespaceId, NodePool, NodeShape, PodRequest, PriorityClass, PriorityClassId,
    Taint, TaintEffect, Template, World,
};
use sim_core::quantity::Quantity;
use sim_core::{Duration, SimTime};

use crate::error::{Error, Position};
use crate::spec::{self, ScenarioSpec, Text};
use crate::synth::{ArrivalProcess, NamespaceMix, SyntheticWorkload};
use crate::workload::{WORKER, Workload, number_in_submit_order, read_trace, template};
use scheduler::faults::FaultPlan;

/// A validated scenario: everything a run needs, already checked.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Scenario name.
    pub name: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// End of simulated time, if bounded.
    pub horizon: Option<SimTime>,
    /// The fleet and its tenants.
    pub world: World,
    /// Propagation policies and placements.
    pub policies: PolicySet,
    /// Karmada fields and objects read but not modelled, one line each.
    pub warnings: Vec<String>,
    /// Changes to clusters and policies during the run.
    pub timeline: Vec<(SimTime, TimelineChange)>,
    /// Quotas and budgets.
    pub quotas: Quotas,
    /// Each cluster's resource models (empty: none).
    pub resource_models: Vec<Vec<ModelGrade>>,
    /// Node claims pods refer to by index; the first is the empty claim.
    pub node_claims: Vec<NodeClaim>,
    /// Scheduler settings.
    pub scheduler: SchedulerConfig,
    /// The workload.
    pub workload: Workload,
    /// The file it was read from.
    pub source: PathBuf,
    /// Cluster label grouping clusters for the balance metric; `None`: all clusters, one group.
    pub balance_by: Option<String>,
    /// Outages, drains and random node failures.
    pub faults: FaultPlan,
    /// Per namespace: the checkpoint interval and restart limit of jobs that give none.
    pub job_defaults: Vec<scheduler::control::JobDefaults>,
}

/// Checks values and builds errors that point into one file.
pub(crate) struct Checker<'a> {
    pub(crate) file: &'a Path,
    /// Added to every line: the document's first line in a multi-document file.
    pub(crate) line_offset: u64,
}

impl Checker<'_> {
    pub(crate) fn error<T>(
        &self,
        line: u64,
        column: u64,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<T, Error> {
        let line = if line > 0 {
            line + self.line_offset
        } else {
            line
        };
        Err(Error::Input {
            position: Position {
                file: self.file.to_owned(),
                line,
                column,
                path: path.into(),
            },
            message: message.into(),
        })
    }

    pub(crate) fn at<T, V>(
        &self,
        value: &Spanned<V>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<T, Error> {
        self.error(
            value.referenced.line(),
            value.referenced.column(),
            path,
            message,
        )
    }

    pub(crate) fn quantity(&self, text: &Text, path: &str) -> Result<Quantity, Error> {
        match Quantity::parse(&text.value) {
            Ok(q) if q.is_negative() => self.at(
                text,
                path,
                format!("{:?} is negative; expected a quantity ≥ 0", text.value),
            ),
            Ok(q) => Ok(q),
            Err(err) => self.at(text, path, err.to_string()),
        }
    }

    pub(crate) fn duration(&self, text: &Text, path: &str) -> Result<Duration, Error> {
        Duration::parse(&text.value)
            .or_else(|err| self.at(text, path, format!("{err} (e.g. 45s, 1h30m, 30d)")))
    }

    pub(crate) fn optional_duration(
        &self,
        text: Option<&Text>,
        path: &str,
        default: Duration,
    ) -> Result<Duration, Error> {
        text.map_or(Ok(default), |t| self.duration(t, path))
    }

    pub(crate) fn unique_name(
        &self,
        seen: &mut BTreeSet<String>,
        name: &Text,
        path: &str,
        what: &str,
    ) -> Result<String, Error> {
        if name.value.is_empty() {
            return self.at(name, path, format!("{what} name is empty"));
        }
        if !seen.insert(name.value.clone()) {
            return self.at(
                name,
                path,
                format!("duplicate {what} name {:?}", name.value),
            );
        }
        Ok(name.value.clone())
    }

    pub(crate) fn taints(
        &self,
        specs: &[spec::TaintSpec],
        path: &str,
    ) -> Result<Vec<Taint>, Error> {
        specs
            .iter()
            .enumerate()
            .map(|(idx, t)| {
                Ok(Taint {
                    key: t.key.clone(),
                    value: t.value.clone(),
                    effect: self.taint_effect(&t.effect, &format!("{path}[{idx}].effect"))?,
                })
            })
            .collect()
    }

    pub(crate) fn taint_effect(&self, text: &Text, path: &str) -> Result<TaintEffect, Error> {
        match text.value.as_str() {
            "NoSchedule" => Ok(TaintEffect::NoSchedule),
            "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
            "NoExecute" => Ok(TaintEffect::NoExecute),
            other => self.at(text, path, format!("unknown taint effect {other:?}; expected NoSchedule, PreferNoSchedule or NoExecute")),
        }
    }

    pub(crate) fn gpu_model(
        &self,
        fleet: &Fleet,
        text: &Text,
        path: &str,
    ) -> Result<GpuModelId, Error> {
        fleet.gpu_model_id(&text.value).map_or_else(
            || {
                let known: Vec<&str> = fleet.gpu_models.iter().map(|m| m.name.as_str()).collect();
                self.at(
                    text,
                    path,
                    format!(
                        "unknown GPU model {:?}; gpu_models declares: {}",
                        text.value,
                        known.join(", ")
                    ),
                )
            },
            Ok,
        )
    }
}

/// Checks `spec` (read from `file`) and builds the scenario.
pub fn validate(mut spec: ScenarioSpec, file: &Path) -> Result<Scenario, Error> {
    let checker = Checker {
        file,
        line_offset: 0,
    };
    let ck = &checker;

    let horizon = match &spec.horizon {
        Some(text) => Some(SimTime(ck.duration(text, "horizon")?.as_millis())),
        None => None,
    };

    // Traces: read up front, so that the clusters a node list yields are checked like
    // declared ones and the GPU models a trace names join gpu_models before ids are given.
    let base = file.parent().unwrap_or(Path::new("."));
    let mut trace_warnings = Vec::new();
    let n_declared_clusters = spec.clusters.len();
    if let Some(fleet) = spec.fleet_from_trace.take() {
        let at = fleet.file.referenced;
        let built = crate::trace_fleet::expand(ck, base, fleet)?;
        for (name, memory) in built.models {
            add_trace_model(&mut spec.gpu_models, name, memory, at);
        }
        spec.clusters.extend(built.clusters);
        trace_warnings.extend(built.warnings);
    }
    // A trace beside another workload is refused below, before anything is read.
    let only_trace = spec.workload.synthetic.is_none() && spec.workload.jobs.is_none();
    let trace_jobs = match &spec.workload.trace {
        Some(trace) if only_trace => {
            let mut jobs = read_trace(ck, base, trace, horizon)?;
            for name in jobs.model_names() {
                add_trace_model(&mut spec.gpu_models, name, None, trace.file.referenced);
            }
            trace_warnings.append(&mut jobs.warnings);
            Some(jobs)
        }
        _ => None,
    };
    // Generated clusters have no place in the file's `clusters` list.
    let cluster_path = |idx: usize, name: &str| {
        if idx < n_declared_clusters {
            format!("clusters[{idx}]")
        } else {
            format!("fleet_from_trace.clusters.{name}")
        }
    };

    // GPU models.
    let mut fleet = Fleet::default();
    let mut names = BTreeSet::new();
    if spec.gpu_models.len() > GpuModelSet::MAX_MODELS {
        return ck.error(
            0,
            0,
            "gpu_models",
            format!(
                "at most {} GPU models are supported",
                GpuModelSet::MAX_MODELS
            ),
        );
    }
    for (idx, model) in spec.gpu_models.iter().enumerate() {
        let path = format!("gpu_models[{idx}]");
        let name = ck.unique_name(
            &mut names,
            &model.name,
            &format!("{path}.name"),
            "GPU model",
        )?;
        let memory = match &model.memory {
            Some(text) => ck.quantity(text, &format!("{path}.memory"))?.value(),
            None => 0,
        };
        let speed_milli = match &model.speed {
            None => 1000,
            Some(speed) if speed.value > 0.0 && speed.value <= 1000.0 => {
                (speed.value * 1000.0).round() as u32
            }
            Some(speed) => {
                return ck.at(
                    speed,
                    format!("{path}.speed"),
                    "speed must be above 0 (1.0 = the reference GPU)",
                );
            }
        };
        fleet.gpu_models.push(GpuModel {
            name,
            memory,
            speed_milli: speed_milli.max(1),
        });
    }

    // Clusters.
    let mut cluster_names = BTreeSet::new();
    for (c_idx, c) in spec.clusters.iter().enumerate() {
        let path = cluster_path(c_idx, &c.name.value);
        let name = ck.unique_name(
            &mut cluster_names,
            &c.name,
            &format!("{path}.name"),
            "cluster",
        )?;
        let mut pool_names = BTreeSet::new();
        let mut node_pools = Vec::new();
        let mut n_nodes = 0u64;
        for (p_idx, p) in c.node_pools.iter().enumerate() {
            let pool_path = format!("{path}.node_pools[{p_idx}]");
            // A cluster numbers its nodes in u32, pool after pool.
            n_nodes += u64::from(p.count);
            if n_nodes > u64::from(u32::MAX) {
                return ck.at(
                    &p.name,
                    format!("{pool_path}.count"),
                    format!(
                        "the cluster's pools have {n_nodes} nodes up to this one: expected at \
                         most {} in a cluster",
                        u32::MAX
                    ),
                );
            }
            let pool_name = ck.unique_name(
                &mut pool_names,
                &p.name,
                &format!("{pool_path}.name"),
                "node pool",
            )?;
            let cpu_milli = ck
                .quantity(&p.cpu, &format!("{pool_path}.cpu"))?
                .milli_value();
            let memory = ck
                .quantity(&p.memory, &format!("{pool_path}.memory"))?
                .value();
            if p.gpus as usize > scheduler::member::devices::MAX_DEVICES {
                return ck.at(
                    &p.name,
                    format!("{pool_path}.gpus"),
                    format!(
                        "{} GPUs per node: at most {} are modelled",
                        p.gpus,
                        scheduler::member::devices::MAX_DEVICES
                    ),
                );
            }
            let gpu_model = match &p.gpu_model {
                Some(text) => {
                    Some(ck.gpu_model(&fleet, text, &format!("{pool_path}.gpu_model"))?)
                }
                None if p.gpus > 0 => {
                    return ck.at(
                        &p.name,
                        format!("{pool_path}.gpu_model"),
                        format!("pool has {} GPUs but no gpu_model", p.gpus),
                    );
                }
                None => None,
            };
            node_pools.push(NodePool {
                name: pool_name,
                count: p.count,
                shape: NodeShape {
                    cpu_milli,
                    memory,
                    max_pods: p.max_pods,
                    gpus: p.gpus,
                    gpu_model,
                },
                labels: p.labels.clone(),
                taints: ck.taints(&p.taints, &format!("{pool_path}.taints"))?,
            });
        }
        fleet.clusters.push(Cluster {
            name,
            region: c.region.clone(),
            zone: c.zone.clone(),
            provider: c.provider.clone(),
            labels: c.labels.clone(),
            taints: ck.taints(&c.taints, &format!("{path}.taints"))?,
            node_pools,
        });
    }
    if fleet.clusters.is_empty() {
        return ck.error(0, 0, "clusters", "a scenario needs at least one cluster");
    }

    // Tenants.
    let mut world = World {
        fleet,
        ..World::default()
    };
    let mut seen = BTreeSet::new();
    for (idx, class) in spec.priority_classes.iter().enumerate() {
        let name = ck.unique_name(
            &mut seen,
            &class.name,
            &format!("priority_classes[{idx}].name"),
            "priority class",
        )?;
        let never_preempts = match class.preemption_policy.as_ref().map(|t| t.value.as_str()) {
            None | Some("PreemptLowerPriority") => false,
            Some("Never") => true,
            Some(other) => {
                return ck.at(
                    class.preemption_policy.as_ref().expect("some"),
                    format!("priority_classes[{idx}].preemption_policy"),
                    format!("unknown preemption policy {other:?}; expected PreemptLowerPriority or Never"),
                );
            }
        };
        world.priority_classes.push(PriorityClass {
            name,
            value: class.value,
            never_preempts,
        });
    }
    let mut seen = BTreeSet::new();
    for (idx, ns) in spec.namespaces.iter().enumerate() {
        let name = ck.unique_name(
            &mut seen,
            &ns.name,
            &format!("namespaces[{idx}].name"),
            "namespace",
        )?;
        world.namespaces.push(Namespace { name });
    }
    if world.namespaces.is_empty() {
        return ck.error(
            0,
            0,
            "namespaces",
            "a scenario needs at least one namespace",
        );
    }

    let mut imported = crate::karmada::ImportedPolicies::default();
    for (idx, include) in spec.policies.iter().enumerate() {
        let policy_file = base.join(&include.include.value);
        let text = std::fs::read_to_string(&policy_file).or_else(|err| {
            ck.at(
                &include.include,
                format!("policies[{idx}].include"),
                format!("cannot read {}: {err}", policy_file.display()),
            )
        })?;
        Checker {
            file: &policy_file,
            line_offset: 0,
        }
        .import_karmada(&text, &world, &mut imported)?;
    }
    let fallback = match &spec.placement {
        Some(p) => {
            let mut placement = ck.placement(p, "placement")?;
            ck.admit_placement(p, &placement, "placement")?;
            if let Some(failover) = &spec.failover {
                placement.failover = ck.failover(failover, "failover", &mut imported.warnings)?;
            }
            Some(placement)
        }
        None if spec.policies.is_empty() => Some(Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            ..Placement::default()
        }),
        None => None,
    };
    let mut policies = PolicySet {
        placements: imported.placements,
        policies: imported.policies,
        fallback: None,
        overrides: imported.overrides,
    };
    if let Some(placement) = fallback {
        policies.placements.push(placement);
        policies.fallback = Some(PlacementId(policies.placements.len() as u32 - 1));
    }
    let quota_mode = match spec.quota_mode.as_ref().map(|t| t.value.as_str()) {
        None => None,
        Some(mode @ ("duplicated" | "split" | "federated")) => Some(mode),
        Some(other) => {
            return ck.at(
                spec.quota_mode.as_ref().expect("some"),
                "quota_mode",
                format!("unknown quota mode {other:?}; expected duplicated, split or federated"),
            );
        }
    };
    let quotas = quotas(ck, &world, &spec.namespaces, quota_mode)?;
    let resource_models = spec
        .clusters
        .iter()
        .enumerate()
        .map(|(idx, c)| {
            resource_models(
                ck,
                c,
                &format!("{}.resource_models", cluster_path(idx, &c.name.value)),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut scheduler = scheduler_config(ck, &spec.scheduler)?;
    if spec.scheduler.quota_plugin {
        scheduler.estimators.push("resource-quota".to_owned());
    }
    scheduler.federation = federation(ck, &world, &spec.scheduler)?;
    for (idx, cluster) in spec.clusters.iter().enumerate() {
        let Some(text) = &cluster.member_placement else {
            continue;
        };
        let Some(name) = scheduler::member::canonical_placement_name(&text.value) else {
            return ck.at(
                text,
                format!(
                    "{}.member_placement",
                    cluster_path(idx, &cluster.name.value)
                ),
                format!(
                    "unknown member placement policy {:?}: expected one of {}",
                    text.value,
                    scheduler::member::PLACEMENT_NAMES.join(", ")
                ),
            );
        };
        scheduler
            .cluster_placement
            .push((sim_core::model::ClusterId(idx as u32), name.to_owned()));
    }
    let mut timeline = Vec::new();
    for (idx, entry) in spec.timeline.iter().enumerate() {
        let path = format!("timeline[{idx}]");
        let at = SimTime(ck.duration(&entry.at, &format!("{path}.at"))?.as_millis());
        let change = match (&entry.cluster_labels, &entry.policies, &entry.rebalance) {
            (None, None, Some(rebalance)) => {
                let mut workloads = Vec::new();
                for (w_idx, w) in rebalance.workloads.iter().enumerate() {
                    let Some(ns) = world
                        .namespaces
                        .iter()
                        .position(|n| n.name == w.namespace.value)
                    else {
                        return ck.at(
                            &w.namespace,
                            format!("{path}.rebalance.workloads[{w_idx}].namespace"),
                            format!("unknown namespace {:?}", w.namespace.value),
                        );
                    };
                    workloads.push(scheduler::control::WorkloadRef {
                        namespace: NamespaceId(ns as u32),
                        name: w.name.clone(),
                    });
                }
                TimelineChange::Rebalance(workloads)
            }
            (Some(change), None, None) => {
                let Some(cluster) = world.fleet.cluster_id(&change.cluster.value) else {
                    return ck.at(
                        &change.cluster,
                        format!("{path}.cluster_labels.cluster"),
                        format!("unknown cluster {:?}", change.cluster.value),
                    );
                };
                TimelineChange::ClusterLabels {
                    cluster,
                    labels: change.labels.clone(),
                }
            }
            (None, Some(include), None) => {
                let policy_file = base.join(&include.include.value);
                let text = std::fs::read_to_string(&policy_file).or_else(|err| {
                    ck.at(
                        &include.include,
                        format!("{path}.policies.include"),
                        format!("cannot read {}: {err}", policy_file.display()),
                    )
                })?;
                let mut updates = crate::karmada::ImportedPolicies::default();
                Checker {
                    file: &policy_file,
                    line_offset: 0,
                }
                .import_karmada(&text, &world, &mut updates)?;
                imported.warnings.append(&mut updates.warnings);
                let placements = updates.placements;
                TimelineChange::Policies(
                    updates
                        .policies
                        .into_iter()
                        .map(|policy| PolicyUpdate {
                            placement: placements[policy.placement.0 as usize].clone(),
                            policy,
                        })
                        .collect(),
                )
            }
            _ => {
                return ck.at(
                    &entry.at,
                    path,
                    "give exactly one of cluster_labels, policies or rebalance",
                );
            }
        };
        timeline.push((at, change));
    }
    let mut claims = ClaimTable {
        claims: vec![NodeClaim::default()],
    };
    let workload = match (
        &spec.workload.synthetic,
        &spec.workload.jobs,
        &spec.workload.trace,
        trace_jobs,
    ) {
        (Some(synth), None, None, _) => {
            Workload::Synthetic(synthetic(ck, &world, synth, &mut claims)?)
        }
        (None, Some(list), None, _) => Workload::Jobs(job_list(ck, &world, list, &mut claims)?),
        (None, None, Some(trace), Some(jobs)) => {
            Workload::Jobs(jobs.into_jobs(ck, &world, trace, &mut claims)?)
        }
        _ => {
            return ck.error(
                0,
                0,
                "workload",
                "give exactly one of workload.synthetic, workload.jobs or workload.trace",
            );
        }
    };
    let faults = fault_plan(ck, &world, &spec.faults)?;
    let job_defaults = spec
        .namespaces
        .iter()
        .enumerate()
        .map(|(idx, ns)| {
            let checkpoint = match &ns.checkpoint_interval {
                Some(text) => {
                    Some(ck.duration(text, &format!("namespaces[{idx}].checkpoint_interval"))?)
                }
                None => None,
            };
            Ok(scheduler::control::JobDefaults {
                checkpoint_interval: checkpoint,
                max_restarts: ns.max_restarts,
                max_unavailable: ns.max_unavailable,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut warnings = imported.warnings;
    warnings.append(&mut trace_warnings);
    warnings.extend(model_warnings(&world, &scheduler, &workload));
    if scheduler.descheduler.is_some() && !scheduler.estimators.iter().any(|e| e == "accurate") {
        warnings.push(
            "scheduler.descheduler: only the accurate estimator reports unschedulable \
             replicas, so without `accurate` in scheduler.estimators the descheduler does nothing"
                .to_owned(),
        );
    }
    Ok(Scenario {
        name: spec.name,
        seed: spec.seed,
        horizon,
        world,
        policies,
        warnings,
        timeline,
        quotas,
        resource_models,
        node_claims: claims.into_inner(),
        scheduler,
        workload,
        source: file.to_owned(),
        balance_by: spec.balance_by,
        faults,
        job_defaults,
    })
}

/// Warnings on jobs whose GPU models some clusters lack. A job no cluster has a model for can
/// never run. Otherwise, under Karmada's general estimator alone, which reads only a cluster's
/// resource summary, such a job may be divided onto a cluster without its models, where its
/// pods wait: Karmada does the same, so fleetsim reproduces it, and the warning says how to
/// avoid it.
fn model_warnings(world: &World, scheduler: &SchedulerConfig, workload: &Workload) -> Vec<String> {
    let Workload::Jobs(jobs) = workload else {
        return Vec::new();
    };
    let has = |cluster: &Cluster, models: GpuModelSet| {
        cluster
            .node_pools
            .iter()
            .any(|pool| pool.count > 0 && models.allows(pool.shape.gpu_model))
    };
    let (mut nowhere, mut somewhere) = (0, 0);
    for job in jobs {
        let constrained = job
            .components
            .iter()
            .map(|c| c.request.gpu)
            .filter(|gpu| gpu.count > 0 && !gpu.models.is_any());
        let (mut any_lacks, mut one_lacks_all) = (false, false);
        for gpu in constrained {
            let with = world
                .fleet
                .clusters
                .iter()
                .filter(|c| has(c, gpu.models))
                .count();
            one_lacks_all |= with == 0;
            any_lacks |= with < world.fleet.clusters.len();
        }
        if one_lacks_all {
            nowhere += 1;
        } else if any_lacks {
            somewhere += 1;
        }
    }
    let mut warnings = Vec::new();
    if nowhere > 0 {
        warnings.push(format!(
            "workload: {nowhere} jobs ask for GPU models no cluster has; they never run"
        ));
    }
    let estimator_sees_models = scheduler.estimators.iter().any(|e| e == "accurate")
        || !matches!(scheduler.federation, Federation::Karmada);
    if somewhere > 0 && !estimator_sees_models {
        warnings.push(format!(
            "workload: {somewhere} jobs ask for GPU models that some clusters lack; the general \
             estimator does not see GPU models, so Karmada may send them to such a cluster, \
             where they wait; add `accurate` to scheduler.estimators to count only nodes with an \
             allowed model"
        ));
    }
    warnings
}

/// The scenario's `faults`, resolved against the fleet.
fn fault_plan(
    ck: &Checker<'_>,
    world: &World,
    spec: &spec::FaultsSpec,
) -> Result<FaultPlan, Error> {
    use scheduler::faults::{FaultTarget, Outage, RandomFailures};
    let time = |text: &Text, path: &str| -> Result<SimTime, Error> {
        Ok(SimTime(ck.duration(text, path)?.as_millis()))
    };
    let cluster_id = |text: &Text, path: &str| -> Result<ClusterId, Error> {
        world.fleet.cluster_id(&text.value).map_or_else(
            || ck.at(text, path, format!("unknown cluster {:?}", text.value)),
            Ok,
        )
    };
    // Nodes of a pool: clusters lay their nodes out pool after pool.
    let pool_nodes = |cluster: ClusterId, pool: &Text, path: &str| {
        let mut first = 0u32;
        for p in &world.fleet.cluster(cluster).node_pools {
            if p.name == pool.value {
                return Ok(first..first + p.count);
            }
            first += p.count;
        }
        ck.at(
            pool,
            path,
            format!(
                "cluster {:?} has no node pool {:?}",
                world.fleet.cluster(cluster).name,
                pool.value
            ),
        )
    };
    let mut plan = FaultPlan::default();
    for (idx, o) in spec.outages.iter().enumerate() {
        let path = format!("faults.outages[{idx}]");
        let down = time(&o.down, &format!("{path}.down"))?;
        let up = match &o.up {
            Some(text) => {
                let up = time(text, &format!("{path}.up"))?;
                if up <= down {
                    return ck.at(text, format!("{path}.up"), "must be after `down`");
                }
                Some(up)
            }
            None => None,
        };
        let outage = |target: FaultTarget, label: String| Outage {
            target,
            down,
            up,
            drain: false,
            label,
        };
        match (&o.cluster, &o.zone, &o.region) {
            (Some(name), None, None) => {
                let cluster = cluster_id(name, &format!("{path}.cluster"))?;
                let target = match (&o.pool, &o.node) {
                    (None, None) => FaultTarget::Cluster(cluster),
                    (Some(pool), node) => {
                        let nodes = pool_nodes(cluster, pool, &format!("{path}.pool"))?;
                        let nodes = match node {
                            None => nodes,
                            Some(n) if n.value < nodes.len() as u32 => {
                                nodes.start + n.value..nodes.start + n.value + 1
                            }
                            Some(n) => {
                                return ck.at(
                                    n,
                                    format!("{path}.node"),
                                    format!(
                                        "node {} of a pool of {} nodes: expected 0 to {}",
                                        n.value,
                                        nodes.len(),
                                        nodes.len().saturating_sub(1)
                                    ),
                                );
                            }
                        };
                        FaultTarget::Nodes { cluster, nodes }
                    }
                    (None, Some(n)) => {
                        return ck.at(n, format!("{path}.node"), "a node needs its `pool`");
                    }
                };
                plan.outages
                    .push(outage(target, format!("outage of {}", name.value)));
            }
            (None, Some(place), None) | (None, None, Some(place)) => {
                let zone = o.zone.is_some();
                let what = if zone { "zone" } else { "region" };
                let clusters: Vec<ClusterId> = world
                    .fleet
                    .cluster_ids()
                    .filter(|id| {
                        let c = world.fleet.cluster(*id);
                        let value = if zone { &c.zone } else { &c.region };
                        value.as_deref() == Some(place.value.as_str())
                    })
                    .collect();
                if clusters.is_empty() {
                    return ck.at(
                        place,
                        format!("{path}.{what}"),
                        format!("no cluster is in {what} {:?}", place.value),
                    );
                }
                if o.pool.is_some() || o.node.is_some() {
                    return ck.at(
                        place,
                        format!("{path}.{what}"),
                        "`pool` and `node` go with `cluster`",
                    );
                }
                for cluster in clusters {
                    plan.outages.push(outage(
                        FaultTarget::Cluster(cluster),
                        format!("outage of {what} {}", place.value),
                    ));
                }
            }
            _ => {
                return ck.at(&o.down, path, "give exactly one of cluster, zone or region");
            }
        }
    }
    for (idx, d) in spec.drains.iter().enumerate() {
        let path = format!("faults.drains[{idx}]");
        let cluster = cluster_id(&d.cluster, &format!("{path}.cluster"))?;
        let mut nodes = pool_nodes(cluster, &d.pool, &format!("{path}.pool"))?;
        if let Some(n) = &d.nodes {
            if n.value == 0 || n.value > nodes.len() as u32 {
                return ck.at(
                    n,
                    format!("{path}.nodes"),
                    format!("expected 1 to {} (the pool's nodes)", nodes.len()),
                );
            }
            nodes.end = nodes.start + n.value;
        }
        let at = time(&d.at, &format!("{path}.at"))?;
        let duration = ck.duration(&d.duration, &format!("{path}.duration"))?;
        plan.outages.push(Outage {
            target: FaultTarget::Nodes { cluster, nodes },
            down: at,
            up: Some(at.after(duration)),
            drain: true,
            label: format!("drain of {}/{}", d.cluster.value, d.pool.value),
        });
    }
    for (idx, f) in spec.node_failures.iter().enumerate() {
        let path = format!("faults.node_failures[{idx}]");
        let clusters = match &f.clusters {
            None => world.fleet.cluster_ids().collect(),
            Some(names) => names
                .iter()
                .enumerate()
                .map(|(i, n)| cluster_id(n, &format!("{path}.clusters[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
        };
        plan.random.push(RandomFailures {
            clusters,
            between_failures: distribution(
                ck,
                &f.time_between_failures,
                &format!("{path}.time_between_failures"),
            )?,
            repair: distribution(ck, &f.repair, &format!("{path}.repair"))?,
        });
    }
    Ok(plan)
}

fn distribution(
    ck: &Checker<'_>,
    spec: &spec::DistributionSpec,
    path: &str,
) -> Result<scheduler::faults::DurationDist, Error> {
    use scheduler::faults::DurationDist;
    let positive = |text: &Text, at: String| -> Result<Duration, Error> {
        let d = ck.duration(text, &at)?;
        if d.as_millis() == 0 {
            return ck.at(text, at, "must be longer than 0");
        }
        Ok(d)
    };
    match (
        &spec.constant,
        &spec.exponential,
        &spec.weibull,
        &spec.lognormal,
    ) {
        (Some(c), None, None, None) => Ok(DurationDist::Constant(positive(
            c,
            format!("{path}.constant"),
        )?)),
        (None, Some(e), None, None) => Ok(DurationDist::Exponential {
            mean: positive(&e.mean, format!("{path}.exponential.mean"))?,
        }),
        (None, None, Some(w), None) => {
            if !(w.shape.value > 0.0 && w.shape.value.is_finite()) {
                return ck.at(
                    &w.shape,
                    format!("{path}.weibull.shape"),
                    "expected a number above 0",
                );
            }
            Ok(DurationDist::Weibull {
                shape: w.shape.value,
                scale: positive(&w.scale, format!("{path}.weibull.scale"))?,
            })
        }
        (None, None, None, Some(l)) => {
            if !(l.sigma.value >= 0.0 && l.sigma.value.is_finite()) {
                return ck.at(
                    &l.sigma,
                    format!("{path}.lognormal.sigma"),
                    "expected a number of 0 or more",
                );
            }
            Ok(DurationDist::LogNormal {
                median: positive(&l.median, format!("{path}.lognormal.median"))?,
                sigma: l.sigma.value,
            })
        }
        _ => ck.error(
            0,
            0,
            path,
            "give exactly one of constant, exponential, weibull or lognormal",
        ),
    }
}

/// Adds a GPU model a trace names, unless `gpu_models` declares it: speed 1.0 (the reference),
/// so a trace runs without listing its models, and a scenario declares only those it wants to
/// make faster or slower.
fn add_trace_model(
    models: &mut Vec<spec::GpuModelSpec>,
    name: String,
    memory: Option<u64>,
    at: serde_saphyr::Location,
) {
    if models.iter().any(|m| m.name.value == name) {
        return;
    }
    models.push(spec::GpuModelSpec {
        name: Spanned::new(name, at, at),
        memory: memory.map(|bytes| Spanned::new(bytes.to_string(), at, at)),
        speed: None,
    });
}

fn scheduler_config(
    ck: &Checker<'_>,
    spec: &spec::SchedulerSpec,
) -> Result<SchedulerConfig, Error> {
    let defaults = SchedulerConfig::default();
    let texts = |list: &Option<Vec<Text>>, default: Vec<String>| {
        list.as_ref()
            .map_or(default, |l| l.iter().map(|t| t.value.clone()).collect())
    };
    let queue_defaults = QueueConfig::default();
    let q = &spec.queue;
    let failover_defaults = scheduler::faults::FailoverConfig::default();
    let f = &spec.failover;
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
        preemption: scheduler::control::PreemptionConfig {
            member: spec.preemption.member,
            control_plane: spec.preemption.control_plane,
        },
        descheduler: match &spec.descheduler {
            None => None,
            Some(d) => {
                let defaults = scheduler::control::DeschedulerConfig::default();
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
                Some(scheduler::control::DeschedulerConfig {
                    interval,
                    unschedulable_threshold: ck.optional_duration(
                        d.unschedulable_threshold.as_ref(),
                        "scheduler.descheduler.unschedulable_threshold",
                        defaults.unschedulable_threshold,
                    )?,
                })
            }
        },
        failover: scheduler::faults::FailoverConfig {
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
        },
        federation: Federation::Karmada,
        status_period: ck.optional_duration(
            spec.status_period.as_ref(),
            "scheduler.status_period",
            defaults.status_period,
        )?,
        overcommit_protection: spec.overcommit_protection,
        plugins: texts(&spec.plugins, defaults.plugins),
        estimators: texts(&spec.estimators, defaults.estimators),
        member_placement: spec
            .member_placement
            .as_ref()
            .map_or(defaults.member_placement, |t| t.value.clone()),
        cluster_placement: Vec::new(),
        placement_target: defaults.placement_target,
        queue: QueueConfig {
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
        },
    };
    if let Err(err) = config.resolve(0) {
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
        if let Some(text) = &spec.member_placement {
            return ck.at(text, "scheduler.member_placement", err.to_string());
        }
        return ck.error(0, 0, "scheduler", err.to_string());
    }
    Ok(config)
}

fn synthetic(
    ck: &Checker<'_>,
    world: &World,
    spec: &spec::SyntheticSpec,
    claims: &mut ClaimTable,
) -> Result<SyntheticWorkload, Error> {
    let path = "workload.synthetic";
    let arrivals = ArrivalProcess {
        jobs_per_ms: parse_rate(ck, &spec.arrivals.rate, &format!("{path}.arrivals.rate"))?,
        daily_amplitude: 0.0,
        daily_peak: Duration::ZERO,
    };
    let arrivals = match &spec.arrivals.daily_cycle {
        None => arrivals,
        Some(cycle) => {
            if !(0.0..=1.0).contains(&cycle.amplitude.value) {
                return ck.at(
                    &cycle.amplitude,
                    format!("{path}.arrivals.daily_cycle.amplitude"),
                    "amplitude must be between 0 and 1",
                );
            }
            ArrivalProcess {
                daily_amplitude: cycle.amplitude.value,
                daily_peak: ck
                    .duration(&cycle.peak, &format!("{path}.arrivals.daily_cycle.peak"))?,
                ..arrivals
            }
        }
    };
    let runtime_median = ck.duration(
        &spec.runtime.lognormal.median,
        &format!("{path}.runtime.lognormal.median"),
    )?;
    if runtime_median == Duration::ZERO {
        return ck.at(
            &spec.runtime.lognormal.median,
            format!("{path}.runtime.lognormal.median"),
            "median must be above 0",
        );
    }
    let sigma = &spec.runtime.lognormal.sigma;
    if !(sigma.value >= 0.0 && sigma.value.is_finite()) {
        return ck.at(
            sigma,
            format!("{path}.runtime.lognormal.sigma"),
            "sigma must be a number ≥ 0",
        );
    }
    let runtime_min = ck.optional_duration(
        spec.runtime.min.as_ref(),
        &format!("{path}.runtime.min"),
        Duration::from_mins(1),
    )?;
    let runtime_max = ck.optional_duration(
        spec.runtime.max.as_ref(),
        &format!("{path}.runtime.max"),
        Duration::from_mins(30 * 24 * 60),
    )?;
    if runtime_min > runtime_max {
        return ck.error(
            0,
            0,
            format!("{path}.runtime"),
            format!("min ({runtime_min}) is above max ({runtime_max})"),
        );
    }
    let gpus_per_replica = spec.gpus_per_replica.as_ref().map_or(8, |g| g.value);
    if gpus_per_replica == 0 {
        let g = spec.gpus_per_replica.as_ref().expect("given");
        return ck.at(g, format!("{path}.gpus_per_replica"), "must be at least 1");
    }
    if spec.gpus.is_empty() {
        return ck.error(
            0,
            0,
            format!("{path}.gpus"),
            "the GPU mix needs at least one entry",
        );
    }
    let mut gpu_mix = Vec::new();
    for (idx, entry) in spec.gpus.iter().enumerate() {
        let entry_path = format!("{path}.gpus[{idx}]");
        let gpus = entry.gpus.value;
        if gpus == 0 {
            return ck.at(
                &entry.gpus,
                format!("{entry_path}.gpus"),
                "a job needs at least one GPU",
            );
        }
        if gpus > gpus_per_replica && gpus % gpus_per_replica != 0 {
            return ck.at(
                &entry.gpus,
                format!("{entry_path}.gpus"),
                format!("{gpus} GPUs cannot be split into replicas of {gpus_per_replica}"),
            );
        }
        if entry.weight.value == 0 {
            return ck.at(
                &entry.weight,
                format!("{entry_path}.weight"),
                "weight must be at least 1",
            );
        }
        gpu_mix.push((gpus, entry.weight.value));
        check_weight_sum(ck, gpu_mix.iter().map(|m| m.1), &entry.weight, &entry_path)?;
    }
    let cpu_per_gpu = spec.cpu_per_gpu.as_ref().map_or(Ok(8000), |t| {
        ck.quantity(t, &format!("{path}.cpu_per_gpu"))
            .map(Quantity::milli_value)
    })?;
    let memory_per_gpu = spec.memory_per_gpu.as_ref().map_or(Ok(64 << 30), |t| {
        ck.quantity(t, &format!("{path}.memory_per_gpu"))
            .map(Quantity::value)
    })?;
    // A replica asks for the per-GPU amounts times its GPUs; the largest must be countable.
    let largest_replica = gpu_mix
        .iter()
        .map(|&(gpus, _)| gpus.min(gpus_per_replica))
        .max()
        .unwrap_or(1);
    for (field, text, unit, per_gpu) in [
        ("cpu_per_gpu", &spec.cpu_per_gpu, "milli-cores", cpu_per_gpu),
        (
            "memory_per_gpu",
            &spec.memory_per_gpu,
            "bytes",
            memory_per_gpu,
        ),
    ] {
        if per_gpu.checked_mul(u64::from(largest_replica)).is_none() {
            let message = format!(
                "{per_gpu} {unit} per GPU on a replica of {largest_replica} GPUs is more than \
                 {} {unit}: expected a smaller amount or smaller replicas",
                u64::MAX
            );
            return match text {
                Some(text) => ck.at(text, format!("{path}.{field}"), message),
                None => ck.error(0, 0, format!("{path}.{field}"), message),
            };
        }
    }
    let mut models = Vec::new();
    for (idx, text) in spec.gpu_models.iter().enumerate() {
        models.push(ck.gpu_model(&world.fleet, text, &format!("{path}.gpu_models[{idx}]"))?);
    }
    if spec.namespaces.is_empty() {
        return ck.error(
            0,
            0,
            format!("{path}.namespaces"),
            "the namespace mix needs at least one entry",
        );
    }
    let template = spec.template.as_ref();
    let api_version: Arc<str> = Arc::from(
        template
            .and_then(|t| t.api_version.as_deref())
            .unwrap_or("batch/v1"),
    );
    let kind: Arc<str> = Arc::from(template.and_then(|t| t.kind.as_deref()).unwrap_or("Job"));
    let mut namespaces = Vec::new();
    for (idx, entry) in spec.namespaces.iter().enumerate() {
        let entry_path = format!("{path}.namespaces[{idx}]");
        let namespace = namespace_id(ck, world, &entry.name, &format!("{entry_path}.name"))?;
        let priority_class = match &entry.priority_class {
            None => None,
            Some(text) => Some(priority_class_id(
                ck,
                world,
                text,
                &format!("{entry_path}.priority_class"),
            )?),
        };
        if entry.weight.value == 0 {
            return ck.at(
                &entry.weight,
                format!("{entry_path}.weight"),
                "weight must be at least 1",
            );
        }
        let template = Template {
            api_version: Arc::clone(&api_version),
            kind: Arc::clone(&kind),
            labels: Arc::new(entry.labels.clone()),
        };
        let node_claim = claims.intern(
            ck,
            &entry.node_selector,
            &entry.tolerations,
            &format!("{entry_path}.tolerations"),
        )?;
        namespaces.push(NamespaceMix {
            namespace,
            weight: entry.weight.value,
            priority_class,
            template,
            node_claim,
        });
        check_weight_sum(
            ck,
            namespaces.iter().map(|n| n.weight),
            &entry.weight,
            &entry_path,
        )?;
    }
    let launcher = match &spec.launcher {
        Some(launcher) => Some((
            launcher.cpu.as_ref().map_or(Ok(1000), |t| {
                ck.quantity(t, &format!("{path}.launcher.cpu"))
                    .map(Quantity::milli_value)
            })?,
            launcher.memory.as_ref().map_or(Ok(4 << 30), |t| {
                ck.quantity(t, &format!("{path}.launcher.memory"))
                    .map(Quantity::value)
            })?,
        )),
        None => None,
    };
    Ok(SyntheticWorkload {
        n_jobs: spec.jobs,
        arrivals,
        runtime_median,
        runtime_sigma: sigma.value,
        runtime_min,
        runtime_max,
        gpu_mix,
        gpus_per_replica,
        cpu_per_gpu,
        memory_per_gpu,
        gpu_models: GpuModelSet::of(models),
        gang: spec.gang,
        launcher,
        namespaces,
    })
}

/// Refuses a weighted mix whose weights so far (`weights`, the last given at `at`) add up to
/// more than the sampler counts in (`u32`).
fn check_weight_sum(
    ck: &Checker<'_>,
    weights: impl Iterator<Item = u32>,
    at: &Spanned<u32>,
    entry_path: &str,
) -> Result<(), Error> {
    let total: u64 = weights.map(u64::from).sum();
    if total > u64::from(u32::MAX) {
        return ck.at(
            at,
            format!("{entry_path}.weight"),
            format!(
                "the weights add up to {total}: expected a total of at most {}",
                u32::MAX
            ),
        );
    }
    Ok(())
}

/// The id of a declared priority class, or an error at `text`.
pub(crate) fn priority_class_id(
    ck: &Checker<'_>,
    world: &World,
    text: &Text,
    path: &str,
) -> Result<PriorityClassId, Error> {
    match world
        .priority_classes
        .iter()
        .position(|p| p.name == text.value)
    {
        Some(idx) => Ok(PriorityClassId(idx as u32)),
        None => ck.at(
            text,
            path,
            format!(
                "unknown priority class {:?}; declare it under priority_classes",
                text.value
            ),
        ),
    }
}

/// The id of a declared namespace, or an error at `text`.
pub(crate) fn namespace_id(
    ck: &Checker<'_>,
    world: &World,
    text: &Text,
    path: &str,
) -> Result<NamespaceId, Error> {
    match world.namespaces.iter().position(|n| n.name == text.value) {
        Some(idx) => Ok(NamespaceId(idx as u32)),
        None => ck.at(
            text,
            path,
            format!(
                "unknown namespace {:?}; declare it under namespaces",
                text.value
            ),
        ),
    }
}

/// An explicit job list, sorted by submit time (stable, so equal times keep file order).
fn job_list(
    ck: &Checker<'_>,
    world: &World,
    specs: &[spec::JobSpec],
    claims: &mut ClaimTable,
) -> Result<Vec<Job>, Error> {
    let mut jobs = Vec::with_capacity(specs.len());
    for (idx, job) in specs.iter().enumerate() {
        let path = format!("workload.jobs[{idx}]");
        let components = if job.components.is_empty() {
            let request = pod_request(
                ck,
                world,
                claims,
                &path,
                RequestFields {
                    replicas: &job.replicas,
                    gpus: job.gpus,
                    cpu: &job.cpu,
                    memory: &job.memory,
                    gpu_models: &job.gpu_models,
                    node_selector: &job.node_selector,
                    tolerations: &job.tolerations,
                },
            )?;
            vec![Component {
                name: WORKER.to_owned(),
                replicas: job.replicas.value,
                request,
            }]
        } else {
            let per_replica_given = job.gpus != 0
                || job.cpu.is_some()
                || job.memory.is_some()
                || !job.gpu_models.is_empty()
                || job.replicas.value != 1;
            if per_replica_given {
                return ck.at(
                    &job.components[0],
                    format!("{path}.components"),
                    "a job with components gives replicas, gpus, cpu, memory and gpu_models per component, not for the whole job",
                );
            }
            let mut components: Vec<Component> = Vec::with_capacity(job.components.len());
            for (c_idx, spanned) in job.components.iter().enumerate() {
                let component = &spanned.value;
                let c_path = format!("{path}.components[{c_idx}]");
                if components.iter().any(|c| c.name == component.name.value) {
                    return ck.at(
                        &component.name,
                        format!("{c_path}.name"),
                        format!("duplicate component name {:?}", component.name.value),
                    );
                }
                if job.components.len() > usize::from(u8::MAX) {
                    return ck.at(spanned, c_path, "a job has at most 255 components");
                }
                let request = pod_request(
                    ck,
                    world,
                    claims,
                    &c_path,
                    RequestFields {
                        replicas: &component.replicas,
                        gpus: component.gpus,
                        cpu: &component.cpu,
                        memory: &component.memory,
                        gpu_models: &component.gpu_models,
                        node_selector: component
                            .node_selector
                            .as_ref()
                            .unwrap_or(&job.node_selector),
                        tolerations: component.tolerations.as_ref().unwrap_or(&job.tolerations),
                    },
                )?;
                components.push(Component {
                    name: component.name.value.clone(),
                    replicas: component.replicas.value,
                    request,
                });
            }
            components
        };
        jobs.push(Job {
            id: JobId(0),
            name: job.name.clone(),
            namespace: namespace_id(ck, world, &job.namespace, &format!("{path}.namespace"))?,
            priority_class: match &job.priority_class {
                Some(text) => Some(priority_class_id(
                    ck,
                    world,
                    text,
                    &format!("{path}.priority_class"),
                )?),
                None => None,
            },
            submit: SimTime(
                ck.duration(&job.submit, &format!("{path}.submit"))?
                    .as_millis(),
            ),
            components,
            runtime: ck.duration(&job.runtime, &format!("{path}.runtime"))?,
            gang: job.gang,
            checkpoint_interval: match &job.checkpoint_interval {
                Some(text) => Some(ck.duration(text, &format!("{path}.checkpoint_interval"))?),
                None => None,
            },
            max_restarts: job.max_restarts,
            max_unavailable: job.max_unavailable,
            template: template(
                job.api_version.as_deref(),
                job.kind.as_deref(),
                job.labels.clone(),
            ),
        });
    }
    number_in_submit_order(&mut jobs);
    Ok(jobs)
}

/// The fields a replica request is read from: a job's, or one of its components'.
struct RequestFields<'a> {
    replicas: &'a Spanned<u32>,
    gpus: u32,
    cpu: &'a Option<Text>,
    memory: &'a Option<Text>,
    gpu_models: &'a [Text],
    node_selector: &'a BTreeMap<String, String>,
    tolerations: &'a [crate::karmada::TolerationSpec],
}

/// Checks a replica count and builds the per-replica request; `path` names the job or
/// component in errors.
fn pod_request(
    ck: &Checker<'_>,
    world: &World,
    claims: &mut ClaimTable,
    path: &str,
    fields: RequestFields<'_>,
) -> Result<PodRequest, Error> {
    if fields.replicas.value == 0 {
        return ck.at(
            fields.replicas,
            format!("{path}.replicas"),
            "a job needs at least one replica",
        );
    }
    let mut models = Vec::new();
    for (m_idx, text) in fields.gpu_models.iter().enumerate() {
        models.push(ck.gpu_model(&world.fleet, text, &format!("{path}.gpu_models[{m_idx}]"))?);
    }
    let quantity = |text: &Option<Text>, field: &str| {
        text.as_ref().map_or(Ok(Quantity::ZERO), |t| {
            ck.quantity(t, &format!("{path}.{field}"))
        })
    };
    Ok(PodRequest {
        cpu_milli: quantity(fields.cpu, "cpu")?.milli_value(),
        memory: quantity(fields.memory, "memory")?.value(),
        gpu: GpuRequest::whole(fields.gpus, GpuModelSet::of(models)),
        node_claim: claims.intern(
            ck,
            fields.node_selector,
            fields.tolerations,
            &format!("{path}.tolerations"),
        )?,
    })
}

fn resource_models(
    ck: &Checker<'_>,
    cluster: &spec::ClusterSpec,
    path: &str,
) -> Result<Vec<ModelGrade>, Error> {
    match &cluster.resource_models {
        None => Ok(Vec::new()),
        Some(spec::ResourceModelsSpec::Named(name)) if name == "default" => {
            Ok(default_resource_models())
        }
        Some(spec::ResourceModelsSpec::Named(name)) => ck.at(
            &cluster.name,
            path,
            format!("unknown resource models {name:?}; expected default or a list of grades"),
        ),
        Some(spec::ResourceModelsSpec::Grades(grades)) => grades
            .iter()
            .map(|g| {
                let minimums = g
                    .ranges
                    .iter()
                    .map(|r| {
                        let min = match &r.min {
                            crate::karmada::PlainValue::Number(n) => n.to_string(),
                            crate::karmada::PlainValue::Text(t) => t.clone(),
                        };
                        let q = Quantity::parse(&min).or_else(|e| {
                            ck.at(
                                &cluster.name,
                                format!("{path}.grade{}.{}", g.grade, r.name),
                                e.to_string(),
                            )
                        })?;
                        let value = if r.name == "cpu" {
                            q.milli_value()
                        } else {
                            q.value()
                        };
                        let value = i64::try_from(value).or_else(|_| {
                            ck.at(
                                &cluster.name,
                                format!("{path}.grade{}.{}", g.grade, r.name),
                                format!("{min:?} is too large: expected at most {}", i64::MAX),
                            )
                        })?;
                        Ok((r.name.clone(), value))
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                Ok(ModelGrade {
                    grade: g.grade,
                    minimums,
                })
            })
            .collect(),
    }
}

/// The distinct node claims of a scenario's pods; index 0 is the empty claim.
pub(crate) struct ClaimTable {
    claims: Vec<NodeClaim>,
}

impl ClaimTable {
    /// The index of the claim with this selector and these tolerations, added if new.
    pub(crate) fn intern(
        &mut self,
        ck: &Checker<'_>,
        node_selector: &BTreeMap<String, String>,
        tolerations: &[crate::karmada::TolerationSpec],
        path: &str,
    ) -> Result<u16, Error> {
        let claim = NodeClaim {
            node_selector: node_selector.clone(),
            node_affinity: Vec::new(),
            tolerations: ck.tolerations(tolerations, path)?,
            per_node_limit: None,
        };
        self.add(ck, claim, path)
    }

    /// The index of claim `base` with a per-node cap on a group's pods, added if new: serving
    /// traces cap an application's instances per node.
    pub(crate) fn with_per_node_limit(
        &mut self,
        ck: &Checker<'_>,
        base: u16,
        limit: PerNodeLimit,
        path: &str,
    ) -> Result<u16, Error> {
        let claim = NodeClaim {
            per_node_limit: Some(limit),
            ..self.claims[usize::from(base)].clone()
        };
        self.add(ck, claim, path)
    }

    fn add(&mut self, ck: &Checker<'_>, claim: NodeClaim, path: &str) -> Result<u16, Error> {
        let idx = match self.claims.iter().position(|c| *c == claim) {
            Some(idx) => idx,
            None => {
                self.claims.push(claim);
                self.claims.len() - 1
            }
        };
        u16::try_from(idx)
            .or_else(|_| ck.error(0, 0, path, "more than 65,535 distinct node claims"))
    }

    fn into_inner(self) -> Vec<NodeClaim> {
        self.claims
    }
}

/// Quota `hard` limits from Kubernetes resource names.
fn limits(ck: &Checker<'_>, map: &BTreeMap<String, Text>, path: &str) -> Result<Limits, Error> {
    let mut limits = Limits::default();
    for (name, text) in map {
        let field = format!("{path}.{name}");
        let quantity = ck.quantity(text, &field)?;
        // Limits count in i64; a CPU limit in milli-cores can pass it.
        let count = |value: u64| {
            i64::try_from(value).or_else(|_| {
                ck.at(
                    text,
                    &field,
                    format!(
                        "{:?} is too large: expected at most {}",
                        text.value,
                        i64::MAX
                    ),
                )
            })
        };
        match name.trim_start_matches("requests.") {
            "cpu" => limits.cpu_milli = Some(count(quantity.milli_value())?),
            "memory" => limits.memory = Some(count(quantity.value())?),
            "nvidia.com/gpu" => limits.gpus = Some(count(quantity.value())?),
            "pods" if !name.starts_with("requests.") => {
                limits.pods = Some(count(quantity.value())?);
            }
            _ => {
                return ck.at(text, field, format!("unsupported quota resource {name:?}; expected cpu, memory, pods or nvidia.com/gpu (optionally requests.-prefixed)"));
            }
        }
    }
    Ok(limits)
}

fn quotas(
    ck: &Checker<'_>,
    world: &World,
    specs: &[spec::NamespaceSpec],
    mode: Option<&str>,
) -> Result<Quotas, Error> {
    let mut quotas = Quotas {
        gpu_budgets: vec![None; specs.len()],
        ..Quotas::default()
    };
    let cluster_id = |name: &str, path: &str, at: &Text| match world.fleet.cluster_id(name) {
        Some(id) => Ok(id),
        None => ck.at(at, path.to_owned(), format!("unknown cluster {name:?}")),
    };
    for (idx, ns) in specs.iter().enumerate() {
        let path = format!("namespaces[{idx}]");
        let namespace = NamespaceId(idx as u32);
        if let Some(budget) = &ns.gpu_budget {
            if budget.value < 0 {
                return ck.at(
                    budget,
                    format!("{path}.gpu_budget"),
                    "a budget cannot be negative",
                );
            }
            quotas.gpu_budgets[idx] = Some(budget.value);
        }
        let Some(quota) = &ns.quota else { continue };
        let priority_classes = match &quota.priority_classes {
            None => None,
            Some(list) => Some(
                list.iter()
                    .enumerate()
                    .map(|(c_idx, text)| {
                        priority_class_id(
                            ck,
                            world,
                            text,
                            &format!("{path}.quota.priority_classes[{c_idx}]"),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let mut members = Vec::new();
        // With a quota mode, the namespace's other forms are set aside.
        let (duplicated, split, federated) = match mode {
            None => (
                quota.duplicated.as_ref(),
                quota.split.as_ref(),
                quota.federated.as_ref(),
            ),
            Some("duplicated") => (quota.duplicated.as_ref(), None, None),
            Some("split") => (None, quota.split.as_ref(), None),
            _ => (None, None, quota.federated.as_ref()),
        };
        match (duplicated, split, federated) {
            (Some(hard), None, None) => {
                let hard = limits(ck, hard, &format!("{path}.quota.duplicated"))?;
                members.extend(world.fleet.cluster_ids().map(|cluster| (cluster, hard)));
            }
            (None, Some(shares), None) => {
                for (cluster, hard) in shares {
                    let share_path = format!("{path}.quota.split.{cluster}");
                    let Some(first) = hard.values().next() else {
                        continue;
                    };
                    members.push((
                        cluster_id(cluster, &share_path, first)?,
                        limits(ck, hard, &share_path)?,
                    ));
                }
            }
            (None, None, Some(frq)) => {
                let overall = limits(ck, &frq.overall, &format!("{path}.quota.federated.overall"))?;
                for (cluster, hard) in &frq.static_assignments {
                    let share_path = format!("{path}.quota.federated.static_assignments.{cluster}");
                    let Some(first) = hard.values().next() else {
                        continue;
                    };
                    members.push((
                        cluster_id(cluster, &share_path, first)?,
                        limits(ck, hard, &share_path)?,
                    ));
                }
                quotas
                    .federated
                    .push(FederatedResourceQuota { namespace, overall });
            }
            (None, None, None) if mode.is_some() => {}
            _ => {
                return ck.at(&ns.name, format!("{path}.quota"), "give exactly one of duplicated, split or federated, or choose one with quota_mode");
            }
        }
        for (cluster, hard) in members {
            quotas.resource_quotas.push(ResourceQuota {
                cluster,
                namespace,
                hard,
                priority_classes: priority_classes.clone(),
            });
        }
    }
    Ok(quotas)
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

/// Parses `N/unit` into jobs per millisecond.
fn parse_rate(ck: &Checker<'_>, text: &Text, path: &str) -> Result<f64, Error> {
    let bad = || {
        ck.at(
            text,
            path,
            format!(
                "invalid rate {:?}; expected N/unit such as 2/min, 120/h or 0.5/s",
                text.value
            ),
        )
    };
    let Some((number, unit)) = text.value.split_once('/') else {
        return bad();
    };
    let Ok(count) = number.trim().parse::<f64>() else {
        return bad();
    };
    let unit_ms = match unit.trim() {
        "ms" => 1.0,
        "s" => 1000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return bad(),
    };
    if !(count > 0.0 && count.is_finite()) {
        return ck.at(text, path, "rate must be above 0");
    }
    Ok(count / unit_ms)
}
