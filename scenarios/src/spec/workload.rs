//! The `workload` and `fleet_from_trace` sections: synthetic mixes, explicit jobs, and the
//! trace files a workload or a fleet is read from.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::karmada::TolerationSpec;
use super::{ResourceModelsSpec, TaintSpec, TemplateSpec, Text};

/// The workload: exactly one of `synthetic`, `jobs` or `trace`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// A synthetic workload.
    pub synthetic: Option<SyntheticSpec>,
    /// An explicit list of jobs.
    pub jobs: Option<Vec<Spanned<JobSpec>>>,
    /// Jobs replayed from a trace file.
    pub trace: Option<TraceWorkloadSpec>,
}

/// Clusters built from a trace's node list (`docs/scenario.md`, "Fleets from traces"): a
/// planner starts from a real fleet and asks how it behaves when federated in other ways.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetFromTraceSpec {
    /// `openb-nodes`, `pai-machines`, `spot-nodes` or `philly-machines`.
    pub format: Text,
    /// The node list, relative to the scenario file.
    pub file: Text,
    /// How the one node list becomes several clusters.
    pub split: Spanned<SplitSpec>,
    /// Attributes of the generated clusters, by cluster name.
    #[serde(default)]
    pub clusters: BTreeMap<String, TraceClusterSpec>,
    /// CPU per node (a quantity), for formats whose node list gives none.
    pub node_cpu: Option<Text>,
    /// Memory per node (a quantity), for formats whose node list gives none.
    pub node_memory: Option<Text>,
    /// Most pods per node (default 110, Kubernetes' default).
    pub max_pods: Option<Spanned<u32>>,
}

/// The rule that sends each node of a trace to a cluster: exactly one field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    /// Every node to this one cluster.
    pub all: Option<Text>,
    /// GPU model → cluster; the keys `cpu-only` (nodes without GPUs) and `default` (the rest)
    /// are special.
    pub by_model: Option<BTreeMap<String, Text>>,
    /// A stable hash of the node name picks one of these clusters.
    pub by_hash: Option<ByHashSpec>,
    /// Cluster → percent of the nodes, taken as consecutive runs of the file.
    pub by_share: Option<BTreeMap<String, Spanned<u32>>>,
    /// Philly's virtual clusters become clusters, sized by their node counts.
    pub by_philly_vc: Option<ByPhillyVcSpec>,
}

/// `split.by_hash`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByHashSpec {
    /// The clusters, in the order the hash indexes them.
    pub clusters: Vec<Text>,
}

/// `split.by_philly_vc`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByPhillyVcSpec {
    /// The VC list (`vc,node num`), relative to the scenario file.
    pub file: Text,
    /// The cluster that takes the nodes no VC claims; without it they are left out.
    pub rest: Option<Text>,
}

/// Attributes of one generated cluster (those of `clusters[]` other than its name and pools).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceClusterSpec {
    /// Region.
    pub region: Option<String>,
    /// Zone (deprecated; becomes `zones: [zone]`).
    pub zone: Option<Text>,
    /// Failure zones.
    pub zones: Option<Vec<Text>>,
    /// Provider.
    pub provider: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Taints.
    #[serde(default)]
    pub taints: Vec<TaintSpec>,
    /// Karmada's `spec.resourceModels`.
    pub resource_models: Option<ResourceModelsSpec>,
    /// This cluster's pod placement policy.
    pub member_placement: Option<Text>,
}

/// Jobs replayed from a trace (`docs/scenario.md`, "Trace workloads").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceWorkloadSpec {
    /// `openb`, `philly` or `dlrm`.
    pub format: Text,
    /// The trace file, relative to the scenario file.
    pub file: Text,
    /// Which namespace submits each job.
    pub namespace: Spanned<FieldMapSpec>,
    /// Each job's priority class (default none).
    pub priority_class: Option<Spanned<FieldMapSpec>>,
    /// Keep only the first N jobs in submit order.
    pub limit: Option<Spanned<u64>>,
    /// Arrivals this many times as dense: each submit time (since the trace's start) divided
    /// by it, runtimes unchanged, so the same jobs load the fleet this much more (default 1).
    pub time_compression: Option<Text>,
    /// `philly`: largest replica in GPUs (default 8); bigger jobs are split.
    pub gpus_per_replica: Option<Spanned<u32>>,
    /// `philly`: CPU per GPU (a quantity; default 0, the trace gives none).
    pub cpu_per_gpu: Option<Text>,
    /// `philly`: memory per GPU (a quantity; default 0, the trace gives none).
    pub memory_per_gpu: Option<Text>,
    /// Whether a job's replicas start together (default true).
    #[serde(default = "default_true")]
    pub gang: bool,
    /// The object jobs are submitted as (default `batch/v1` `Job`; `apps/v1` `Deployment`
    /// for `dlrm`).
    pub template: Option<TemplateSpec>,
    /// Labels on every job's template (what policies select).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The pods' `nodeSelector`.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// The pods' tolerations.
    #[serde(default)]
    pub tolerations: Vec<TolerationSpec>,
}

/// How a trace field becomes a namespace or priority class: the value looked up in `map`,
/// else taken as a name when one is declared, else `default`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMapSpec {
    /// The trace field (`qos`, `phase`; `cluster`; `app`, `role`); absent: every job gets
    /// `default`.
    pub from: Option<Text>,
    /// Field value → name.
    #[serde(default)]
    pub map: BTreeMap<String, Text>,
    /// The name for values neither mapped nor declared.
    pub default: Option<Text>,
}

/// One explicitly listed job.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// Job name.
    pub name: String,
    /// Submission time (a duration since the start); required in `workload.jobs`, absent in
    /// `initial_state.jobs` (they exist at time 0).
    pub submit: Option<Text>,
    /// Namespace.
    pub namespace: Text,
    /// Priority class.
    pub priority_class: Option<Text>,
    /// Replicas (default 1).
    #[serde(default = "default_one")]
    pub replicas: Spanned<u32>,
    /// GPU devices per replica (default 0).
    #[serde(default)]
    pub gpus: u32,
    /// CPU per replica (a quantity; default 0).
    pub cpu: Option<Text>,
    /// Memory per replica (a quantity; default 0).
    pub memory: Option<Text>,
    /// Allowed GPU models; empty = any.
    #[serde(default)]
    pub gpu_models: Vec<Text>,
    /// Run time at reference speed; in `initial_state.jobs` the time left, drawn from
    /// `initial_state.remaining_runtime` when absent.
    pub runtime: Option<Text>,
    /// `initial_state.jobs` only: the cluster Karmada has scheduled the job to; absent, the
    /// job is still to be scheduled.
    pub cluster: Option<Text>,
    /// `initial_state.jobs` only: replicas running at time 0, and on which nodes.
    #[serde(default)]
    pub running: Vec<Spanned<RunningSpec>>,
    /// Whether replicas start together (default true).
    #[serde(default = "default_true")]
    pub gang: bool,
    /// How often the job checkpoints (default: its namespace's setting, else never).
    pub checkpoint_interval: Option<Text>,
    /// How long one checkpoint takes to write (default: its namespace's, else instantaneous).
    pub checkpoint_cost: Option<Text>,
    /// Restarts after which it fails for good (default: its namespace's, else never).
    pub max_restarts: Option<u32>,
    /// Its PodDisruptionBudget's `maxUnavailable` (default: its namespace's, else none).
    pub max_unavailable: Option<u32>,
    /// `apiVersion` of the job's template (default `batch/v1`).
    pub api_version: Option<String>,
    /// `kind` of the job's template (default `Job`).
    pub kind: Option<String>,
    /// Labels of the job's template.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The pods' `nodeSelector`.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// The pods' tolerations.
    #[serde(default)]
    pub tolerations: Vec<TolerationSpec>,
    /// Components with different requests (a launcher and workers), scheduled as one set;
    /// exclusive with the job-level `replicas`, `gpus`, `cpu`, `memory` and `gpu_models`.
    #[serde(default)]
    pub components: Vec<Spanned<ComponentSpec>>,
}

/// Replicas of an initial job running on one node at time 0.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunningSpec {
    /// The node pool of the job's cluster.
    pub pool: Text,
    /// The node's index in the pool, from 0.
    pub node: Spanned<u32>,
    /// How many replicas run there (default 1).
    #[serde(default = "default_one")]
    pub replicas: Spanned<u32>,
    /// The component they belong to, for a job with components.
    pub component: Option<Text>,
}

/// The state the run starts from: jobs that exist at time 0, scheduled or running.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialStateSpec {
    /// What a running job's remaining run time is drawn from when it gives none.
    pub remaining_runtime: Option<RuntimeSpec>,
    /// The jobs, each as in `workload.jobs` without `submit`.
    #[serde(default)]
    pub jobs: Vec<Spanned<JobSpec>>,
}

/// One component of an explicitly listed job.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    /// Component name, unique in the job.
    pub name: Text,
    /// Replicas (default 1).
    #[serde(default = "default_one")]
    pub replicas: Spanned<u32>,
    /// GPU devices per replica (default 0).
    #[serde(default)]
    pub gpus: u32,
    /// CPU per replica (a quantity; default 0).
    pub cpu: Option<Text>,
    /// Memory per replica (a quantity; default 0).
    pub memory: Option<Text>,
    /// Allowed GPU models; empty = any.
    #[serde(default)]
    pub gpu_models: Vec<Text>,
    /// The component's `nodeSelector` (default: the job's).
    pub node_selector: Option<BTreeMap<String, String>>,
    /// The component's tolerations (default: the job's).
    pub tolerations: Option<Vec<TolerationSpec>>,
}

fn default_one() -> Spanned<u32> {
    Spanned::new(
        1,
        serde_saphyr::Location::UNKNOWN,
        serde_saphyr::Location::UNKNOWN,
    )
}

/// A synthetic workload (`docs/scenario.md`, "Synthetic workloads").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticSpec {
    /// Number of jobs.
    pub jobs: u64,
    /// Arrival process.
    pub arrivals: ArrivalsSpec,
    /// Run time distribution at reference speed.
    pub runtime: RuntimeSpec,
    /// GPUs per job, as a weighted mix (not with `templates`).
    #[serde(default)]
    pub gpus: Vec<GpuMixSpec>,
    /// Largest replica: bigger jobs are split into replicas of this many GPUs (default 8).
    pub gpus_per_replica: Option<Spanned<u32>>,
    /// CPU per GPU (a quantity; default "8").
    pub cpu_per_gpu: Option<Text>,
    /// Memory per GPU (a quantity; default 64Gi).
    pub memory_per_gpu: Option<Text>,
    /// GPU models a job may use; empty = any.
    #[serde(default)]
    pub gpu_models: Vec<Text>,
    /// Whether replicas start together (default true).
    #[serde(default = "default_true")]
    pub gang: bool,
    /// A launcher component every job gets besides its workers (MPI style).
    pub launcher: Option<LauncherSpec>,
    /// The object jobs are submitted as (default `batch/v1` `Job`).
    pub template: Option<TemplateSpec>,
    /// Which namespace submits, as a weighted mix.
    #[serde(default)]
    pub namespaces: Vec<NamespaceMixSpec>,
    /// Job templates drawn by weight for each arrival, instead of `gpus` and `namespaces`
    /// (`fleetsim import` writes them from a snapshot's jobs).
    #[serde(default)]
    pub templates: Vec<TemplateEntrySpec>,
}

/// A job template a synthetic workload draws arrivals from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateEntrySpec {
    /// Relative weight (default 1).
    #[serde(default = "default_one")]
    pub weight: Spanned<u32>,
    /// The job, as in `workload.jobs` without `submit` and `runtime`.
    pub job: Spanned<JobSpec>,
}

/// A synthetic job's launcher: one CPU-only replica.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LauncherSpec {
    /// CPU (a quantity; default "1").
    pub cpu: Option<Text>,
    /// Memory (a quantity; default 4Gi).
    pub memory: Option<Text>,
}

fn default_true() -> bool {
    true
}

/// Poisson arrivals, optionally modulated by a daily cycle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalsSpec {
    /// Mean rate, as `N/unit` ("2/min", "120/h", "0.5/s").
    pub rate: Text,
    /// Daily cycle.
    pub daily_cycle: Option<DailyCycleSpec>,
}

/// `rate(t) = rate × (1 + amplitude × cos(2π (t − peak) / 1d))`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyCycleSpec {
    /// In [0, 1].
    pub amplitude: Spanned<f64>,
    /// Time of day of the peak (a duration since midnight, e.g. 14h).
    pub peak: Text,
}

/// A lognormal run time, clamped.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeSpec {
    /// The lognormal distribution.
    pub lognormal: LognormalSpec,
    /// Shortest run time (default 1m).
    pub min: Option<Text>,
    /// Longest run time (default 30d).
    pub max: Option<Text>,
}

/// Lognormal by median and sigma of the underlying normal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LognormalSpec {
    /// Median (a duration).
    pub median: Text,
    /// Sigma, ≥ 0.
    pub sigma: Spanned<f64>,
}

/// One entry of the GPUs-per-job mix.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuMixSpec {
    /// GPUs of a job.
    pub gpus: Spanned<u32>,
    /// Relative weight.
    pub weight: Spanned<u32>,
}

/// One entry of the namespace mix.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceMixSpec {
    /// Namespace name.
    pub name: Text,
    /// Relative weight.
    pub weight: Spanned<u32>,
    /// Priority class of this namespace's jobs.
    pub priority_class: Option<Text>,
    /// Labels on this namespace's job templates (what policies select).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The `nodeSelector` of this namespace's pods.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// The tolerations of this namespace's pods.
    #[serde(default)]
    pub tolerations: Vec<TolerationSpec>,
}
