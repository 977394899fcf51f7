//! The scenario file's shape, exactly as users write it (`docs/scenario.md`). Unknown fields
//! are errors. Values that need checking after parsing (quantities, durations, references to
//! other entries) keep their source position so that errors can point at them.
//!
//! Karmada objects (`placement`) keep Karmada's own camelCase field names, so a planner can
//! paste what `kubectl get -o yaml` prints.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

pub mod karmada;
mod workload;

pub use workload::*;

/// A text value with its position in the file.
pub type Text = Spanned<String>;

/// The whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Scenario name.
    pub name: String,
    /// Seed of every random stream (overridden by `--seed`).
    #[serde(default)]
    pub seed: u64,
    /// Simulated time after which nothing happens; absent = until the last job ends.
    pub horizon: Option<Text>,
    /// GPU models. Models a trace names and this list lacks are added (speed 1.0).
    #[serde(default)]
    pub gpu_models: Vec<GpuModelSpec>,
    /// Member clusters declared by hand.
    #[serde(default)]
    pub clusters: Vec<ClusterSpec>,
    /// Member clusters built from a trace's node list, added after `clusters`.
    pub fleet_from_trace: Option<FleetFromTraceSpec>,
    /// Priority classes.
    #[serde(default)]
    pub priority_classes: Vec<PriorityClassSpec>,
    /// Namespaces (teams).
    pub namespaces: Vec<NamespaceSpec>,
    /// Karmada policy files (`kubectl get propagationpolicy -o yaml` output).
    #[serde(default)]
    pub policies: Vec<PolicyInclude>,
    /// The Karmada placement of jobs no policy selects; without policies and without this,
    /// Divided with dynamic weights.
    pub placement: Option<karmada::PlacementSpec>,
    /// Scheduler settings.
    #[serde(default)]
    pub scheduler: SchedulerSpec,
    /// What is submitted.
    pub workload: WorkloadSpec,
    /// Jobs that exist when the run begins (a snapshot of a fleet).
    pub initial_state: Option<InitialStateSpec>,
    /// Changes to clusters and policies during the run.
    #[serde(default)]
    pub timeline: Vec<TimelineEntrySpec>,
    /// Which of each namespace's quota forms applies when it gives several:
    /// `duplicated`, `split` or `federated`.
    pub quota_mode: Option<Text>,
    /// The cluster label whose values group clusters for the balance metric (e.g. `tier`).
    #[serde(default)]
    pub balance_by: Option<String>,
    /// `spec.failover` of the scenario's own `placement` (PropagationPolicies give theirs).
    pub failover: Option<karmada::FailoverSpec>,
    /// Outages, drains and random node failures.
    #[serde(default)]
    pub faults: FaultsSpec,
    /// Regions and the carbon intensity of their grids, matched to `clusters[].region`.
    #[serde(default)]
    pub regions: Vec<RegionSpec>,
    /// Time of day at simulated time 0 (a duration below 24h; default midnight): where a
    /// 24-hour carbon intensity curve starts.
    pub start_time_of_day: Option<Text>,
}

/// A region's grid: `{name, carbon_intensity}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    /// Region name, as clusters give it in `region`.
    pub name: Text,
    /// gCO2e per kWh: a constant or `{hourly: [24 values]}` from midnight.
    pub carbon_intensity: CarbonIntensitySpec,
}

/// A carbon intensity in gCO2e/kWh: one value, or one per hour of the day.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum CarbonIntensitySpec {
    /// The same every hour.
    Constant(f64),
    /// `{hourly: [...]}`: 24 values, the first for 00:00–01:00.
    Hourly(HourlyIntensitySpec),
}

/// `{hourly: [24 values]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HourlyIntensitySpec {
    /// gCO2e/kWh per hour of the day, from midnight.
    pub hourly: Vec<f64>,
}

/// `gpu_models[].prices`: $/GPU-hour for each way of buying.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuPricesSpec {
    /// Reserved capacity, paid for the whole run.
    pub reserved: Option<Spanned<f64>>,
    /// On-demand, paid while a node is up.
    pub on_demand: Option<Spanned<f64>>,
    /// Spot, paid while a node is up.
    pub spot: Option<Spanned<f64>>,
}

/// `gpu_models[].power`: what one device draws.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuPowerSpec {
    /// Watts with no pod on the device.
    pub idle_watts: Spanned<f64>,
    /// Watts with the device held whole.
    pub busy_watts: Spanned<f64>,
}

/// Everything that goes down during a run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsSpec {
    /// Scheduled outages: of a cluster, a zone, a region, a node pool or one node.
    #[serde(default)]
    pub outages: Vec<OutageSpec>,
    /// Planned maintenance: nodes drained (pods checkpoint and leave) for a window.
    #[serde(default)]
    pub drains: Vec<DrainSpec>,
    /// Random node failures.
    #[serde(default)]
    pub node_failures: Vec<NodeFailuresSpec>,
    /// Job failures growing with job size.
    pub job_failures: Option<Spanned<JobFailuresSpec>>,
    /// Spot pools' revocations.
    #[serde(default)]
    pub spot_revocations: Vec<Spanned<SpotRevocationSpec>>,
}

/// Job failures: exactly one of `per_gpu_mtbf` or `mttf_by_size`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobFailuresSpec {
    /// Mean time between failures of one GPU: a job of n GPUs fails every MTBF / n.
    pub per_gpu_mtbf: Option<Text>,
    /// Mean time to failure measured at some job sizes.
    pub mttf_by_size: Option<Vec<Spanned<MttfRowSpec>>>,
    /// `exponential` (default) or `mean` (every failure exactly at the MTTF).
    pub draw: Option<Text>,
    /// The namespaces whose jobs fail (default all).
    pub namespaces: Option<Vec<Text>>,
}

/// `{gpus: N, mttf: DURATION}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MttfRowSpec {
    /// Job size in GPUs.
    pub gpus: Spanned<f64>,
    /// Mean time to failure at that size.
    pub mttf: Text,
}

/// Revocations of one spot pool: exactly one of `time_between` or `rate_per_hour`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotRevocationSpec {
    /// The cluster.
    pub cluster: Text,
    /// The node pool.
    pub pool: Text,
    /// Time between revocations in the pool.
    pub time_between: Option<DistributionSpec>,
    /// Revocations per hour in the pool, one value per hour of the day (24).
    pub rate_per_hour: Option<Spanned<Vec<f64>>>,
    /// From the notice to the node going down (default 30s).
    pub notice: Option<Text>,
    /// From the node going down to its return (default never).
    pub back_after: Option<DistributionSpec>,
}

/// A scheduled outage; exactly one of `cluster`, `zone` or `region`, and with `cluster`
/// optionally a `pool` and a `node` index within it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageSpec {
    /// A cluster by name.
    pub cluster: Option<Text>,
    /// Every cluster in a zone (a correlated outage).
    pub zone: Option<Text>,
    /// Every cluster in a region.
    pub region: Option<Text>,
    /// A node pool of `cluster`.
    pub pool: Option<Text>,
    /// One node of `pool`, by index from 0.
    pub node: Option<Spanned<u32>>,
    /// When it goes down.
    pub down: Text,
    /// When it comes back; absent = never.
    pub up: Option<Text>,
}

/// A planned drain of a node pool (or some of its nodes).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrainSpec {
    /// The cluster.
    pub cluster: Text,
    /// The node pool.
    pub pool: Text,
    /// How many of its nodes, from the first (default all).
    pub nodes: Option<Spanned<u32>>,
    /// When the drain starts.
    pub at: Text,
    /// How long the nodes stay out.
    pub duration: Text,
}

/// Random failures of every node of some clusters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFailuresSpec {
    /// The clusters (default all).
    pub clusters: Option<Vec<Text>>,
    /// Time between failures of one node.
    pub time_between_failures: DistributionSpec,
    /// Time to repair.
    pub repair: DistributionSpec,
}

/// A distribution of durations: exactly one field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionSpec {
    /// Always this long.
    pub constant: Option<Text>,
    /// Exponential with this mean.
    pub exponential: Option<MeanSpec>,
    /// Weibull with this shape and scale.
    pub weibull: Option<WeibullSpec>,
    /// Log-normal with this median and sigma.
    pub lognormal: Option<LognormalSpec>,
}

/// `{mean: DURATION}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeanSpec {
    /// The mean.
    pub mean: Text,
}

/// `{shape: K, scale: DURATION}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeibullSpec {
    /// Shape k > 0.
    pub shape: Spanned<f64>,
    /// Scale λ.
    pub scale: Text,
}

/// Karmada's cluster health and failover settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailoverSettingsSpec {
    /// `--cluster-monitor-grace-period` (default 40s).
    pub status_grace: Option<Text>,
    /// `--cluster-success-threshold` (default 30s).
    pub ready_after: Option<Text>,
    /// Gate `Failover` with `--enable-no-execute-taint-eviction` and a ClusterTaintPolicy
    /// adding the unreachable NoExecute taint (default false, as in Karmada).
    #[serde(default)]
    pub no_execute_eviction: bool,
    /// `--graceful-eviction-timeout` (default 10m).
    pub graceful_eviction_timeout: Option<Text>,
}

/// One change at one time: exactly one of the fields besides `at`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntrySpec {
    /// When (a duration since the start).
    pub at: Text,
    /// Replace a cluster's labels.
    pub cluster_labels: Option<ClusterLabelsSpec>,
    /// A WorkloadRebalancer created at `at`.
    pub rebalance: Option<RebalanceSpec>,
    /// Create or update policies from a Karmada YAML file.
    pub policies: Option<PolicyInclude>,
}

/// A WorkloadRebalancer: `spec.workloads`, each a namespace and a name; an entry without a
/// name stands for every workload of the namespace.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RebalanceSpec {
    /// The workloads.
    pub workloads: Vec<WorkloadRefSpec>,
}

/// One workload of a WorkloadRebalancer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadRefSpec {
    /// Its namespace.
    pub namespace: Text,
    /// Its name (a job's name); absent = every job of the namespace.
    pub name: Option<String>,
}

/// New labels for a cluster.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterLabelsSpec {
    /// The cluster.
    pub cluster: Text,
    /// Its labels from then on.
    pub labels: BTreeMap<String, String>,
}

/// A file of Karmada objects, relative to the scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyInclude {
    /// The file.
    pub include: Text,
}

/// The Kubernetes object jobs are submitted as.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TemplateSpec {
    /// `apiVersion` (default `batch/v1`).
    pub api_version: Option<String>,
    /// `kind` (default `Job`).
    pub kind: Option<String>,
}

/// One GPU model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuModelSpec {
    /// Name ("H100").
    pub name: Text,
    /// Device memory (a quantity, e.g. 80Gi).
    pub memory: Option<Text>,
    /// Speed relative to the reference GPU (default 1.0).
    pub speed: Option<Spanned<f64>>,
    /// $/GPU-hour per way of buying.
    pub prices: Option<GpuPricesSpec>,
    /// Idle and busy draw of one device.
    pub power: Option<GpuPowerSpec>,
}

/// One member cluster.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Unique name.
    pub name: Text,
    /// Region.
    pub region: Option<String>,
    /// Zone (Karmada's deprecated `spec.zone`; becomes `zones: [zone]`).
    pub zone: Option<Text>,
    /// Failure zones (`spec.zones`).
    pub zones: Option<Vec<Text>>,
    /// Provider.
    pub provider: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Taints.
    #[serde(default)]
    pub taints: Vec<TaintSpec>,
    /// Node pools.
    pub node_pools: Vec<NodePoolSpec>,
    /// Karmada's `spec.resourceModels`: `default` (nine cpu/memory grades) or a list of grades.
    pub resource_models: Option<ResourceModelsSpec>,
    /// This cluster's pod placement policy, when it differs from `scheduler.member_placement`.
    #[serde(default)]
    pub member_placement: Option<Text>,
    /// ResourceQuotas this member has of its own (a snapshot's), whatever the namespaces'
    /// quota forms: each holds in this cluster only.
    #[serde(default)]
    pub resource_quotas: Vec<MemberQuotaSpec>,
    /// Power usage effectiveness: facility power over IT power (default 1.0).
    pub pue: Option<Spanned<f64>>,
    /// Idle nodes powering down; absent, they never do.
    #[serde(default)]
    pub power_down: Option<Spanned<PowerDownSpec>>,
}

/// `clusters[].power_down`: a node idle for `after` powers down, and takes `wake_up` to come
/// back when pods wait for it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerDownSpec {
    /// Idle time before a node powers down (a duration above 0).
    pub after: Text,
    /// Time an asleep node takes to come back (default 0s).
    pub wake_up: Option<Text>,
}

/// One ResourceQuota of a member cluster.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberQuotaSpec {
    /// Its namespace.
    pub namespace: Text,
    /// `spec.hard`.
    pub hard: BTreeMap<String, Text>,
    /// PriorityClass scope (`scopeSelector` In), if any.
    pub priority_classes: Option<Vec<Text>>,
}

/// Resource models of a cluster.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ResourceModelsSpec {
    /// `default`.
    Named(String),
    /// Explicit grades.
    Grades(Vec<ModelGradeSpec>),
}

/// One grade: `[min, max)` per resource.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelGradeSpec {
    /// Grade number.
    pub grade: u32,
    /// Ranges.
    pub ranges: Vec<ModelRangeSpec>,
}

/// A resource range of a grade.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRangeSpec {
    /// cpu, memory or nvidia.com/gpu.
    pub name: String,
    /// Lower bound (a quantity).
    pub min: karmada::PlainValue,
    /// Upper bound (a quantity); informational.
    pub max: Option<karmada::PlainValue>,
}

/// A taint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaintSpec {
    /// Key.
    pub key: String,
    /// Value.
    #[serde(default)]
    pub value: String,
    /// NoSchedule, PreferNoSchedule or NoExecute.
    pub effect: Text,
}

/// A pool of identical nodes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePoolSpec {
    /// Name, unique in the cluster.
    pub name: Text,
    /// Number of nodes.
    pub count: u32,
    /// CPU per node (a quantity: "96", "500m").
    pub cpu: Text,
    /// Memory per node (a quantity: "1Ti").
    pub memory: Text,
    /// GPU devices per node.
    #[serde(default)]
    pub gpus: u32,
    /// Model of the GPUs; required when `gpus` > 0.
    pub gpu_model: Option<Text>,
    /// Most pods per node (Kubernetes' default 110).
    #[serde(default = "default_max_pods")]
    pub max_pods: u32,
    /// Node labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Node taints.
    #[serde(default)]
    pub taints: Vec<TaintSpec>,
    /// How the pool is bought: `reserved`, `on_demand` (default) or `spot`.
    pub pricing: Option<Text>,
    /// $ per node-hour, instead of the GPU model's price table.
    pub price_per_node_hour: Option<Spanned<f64>>,
    /// Watts one node draws besides its GPUs while up.
    pub base_watts: Option<Spanned<f64>>,
}

fn default_max_pods() -> u32 {
    110
}

/// A PriorityClass.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityClassSpec {
    /// Name.
    pub name: Text,
    /// Value.
    pub value: i32,
    /// `preemptionPolicy`: `PreemptLowerPriority` (default) or `Never`.
    pub preemption_policy: Option<Text>,
}

/// A namespace.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceSpec {
    /// Name.
    pub name: Text,
    /// GPUs the team is meant to use in total.
    pub gpu_budget: Option<Spanned<i64>>,
    /// How often the namespace's jobs checkpoint, unless a job says otherwise.
    pub checkpoint_interval: Option<Text>,
    /// How long one checkpoint takes to write, unless a job says otherwise.
    pub checkpoint_cost: Option<Text>,
    /// Tolerations added to every pod of the namespace (Kubernetes' PodTolerationRestriction
    /// default tolerations).
    #[serde(default)]
    pub tolerations: Vec<karmada::TolerationSpec>,
    /// Node labels every pod of the namespace must match (Kubernetes' PodNodeSelector).
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Restarts after which the namespace's jobs fail for good, unless a job says otherwise.
    pub max_restarts: Option<u32>,
    /// Its jobs' PodDisruptionBudget `maxUnavailable`, unless a job says otherwise.
    pub max_unavailable: Option<u32>,
    /// How its quota is given.
    pub quota: Option<QuotaSpec>,
}

/// A namespace's quota: exactly one of `duplicated`, `split` or `federated`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSpec {
    /// The same ResourceQuota `hard` in every member cluster.
    pub duplicated: Option<BTreeMap<String, Text>>,
    /// A ResourceQuota `hard` per cluster (static shares).
    pub split: Option<BTreeMap<String, BTreeMap<String, Text>>>,
    /// A FederatedResourceQuota.
    pub federated: Option<FederatedQuotaSpec>,
    /// PriorityClass scope (`scopeSelector` In) of the member ResourceQuotas.
    pub priority_classes: Option<Vec<Text>>,
}

/// A FederatedResourceQuota spec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederatedQuotaSpec {
    /// `overall`, enforced when bindings are admitted.
    pub overall: BTreeMap<String, Text>,
    /// `staticAssignments`: member ResourceQuotas per cluster.
    #[serde(default)]
    pub static_assignments: BTreeMap<String, BTreeMap<String, Text>>,
}

/// Scheduler settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSpec {
    /// Karmada's `--plugins` list (default `["*"]`).
    pub plugins: Option<Vec<Text>>,
    /// Estimators (default `[general]`).
    pub estimators: Option<Vec<Text>>,
    /// Member placement policy (default `least-allocated`).
    pub member_placement: Option<Text>,
    /// Scheduling queue timings.
    #[serde(default)]
    pub queue: QueueSpec,
    /// The active queue's order, a registered queue sort (default `PrioritySort`).
    pub queue_sort: Option<Text>,
    /// `karmada` (default) or `direct`: teams submit to member clusters themselves.
    pub federation: Option<Text>,
    /// With `direct`: each namespace's cluster; without it, round robin over the clusters.
    pub direct_clusters: Option<Spanned<BTreeMap<String, String>>>,
    /// How often members publish their resource summary (default 10s; 0 = always current).
    pub status_period: Option<Text>,
    /// Karmada's `--feature-gates`: gate name to on or off; unnamed gates keep Karmada v1.19's
    /// defaults.
    pub feature_gates: Option<Spanned<BTreeMap<String, Spanned<bool>>>>,
    /// `true`: same as `feature_gates: {SchedulingOvercommitProtection: true}` (an older
    /// spelling).
    pub overcommit_protection: Option<Spanned<bool>>,
    /// `true`: same as `feature_gates: {ResourceQuotaEstimate: true}` (an older spelling).
    pub quota_plugin: Option<Spanned<bool>>,
    /// Cluster health and failover.
    #[serde(default)]
    pub failover: FailoverSettingsSpec,
    /// The karmada-descheduler: present = deployed.
    pub descheduler: Option<DeschedulerSpec>,
    /// Which preemption runs.
    #[serde(default)]
    pub preemption: PreemptionSpec,
    /// How long a gang may hold some of its pods waiting for the rest (default: forever).
    pub gang_timeout: Option<Text>,
}

/// Preemption at the two levels; both off unless asked for.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreemptionSpec {
    /// kube-scheduler's default preemption in member clusters. Kubernetes enables it; fleetsim
    /// leaves it to the scenario, because pod-by-pod preemption without a gang-aware
    /// scheduler churns gang jobs (see docs/scenario.md).
    #[serde(default)]
    pub member: bool,
    /// Karmada's proposed binding preemption (not in Karmada yet).
    #[serde(default)]
    pub control_plane: bool,
}

/// The karmada-descheduler's flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeschedulerSpec {
    /// `--descheduling-interval` (default 2m).
    pub interval: Option<Text>,
    /// `--unschedulable-threshold` (default 5m).
    pub unschedulable_threshold: Option<Text>,
}

/// Scheduling queue timings; each a duration, default Karmada's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// Default 1s.
    pub backoff_initial: Option<Text>,
    /// Default 10s.
    pub backoff_max: Option<Text>,
    /// Default 1s.
    pub backoff_flush: Option<Text>,
    /// Default 5m.
    pub unschedulable_max_stay: Option<Text>,
    /// Default 30s.
    pub unschedulable_flush: Option<Text>,
}
