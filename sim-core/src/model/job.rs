use std::sync::Arc;

use super::{Labels, NamespaceId, PodRequest, PriorityClassId};
use crate::time::{Duration, SimTime};

/// The Kubernetes object a job is submitted as, which propagation policies select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// `apiVersion`, e.g. `batch/v1`.
    pub api_version: Arc<str>,
    /// `kind`, e.g. `Job`.
    pub kind: Arc<str>,
    /// `metadata.labels`; shared by the jobs of one generator entry.
    pub labels: Arc<Labels>,
}

impl Default for Template {
    /// A `batch/v1` `Job` without labels.
    fn default() -> Self {
        Template {
            api_version: Arc::from("batch/v1"),
            kind: Arc::from("Job"),
            labels: Arc::new(Labels::new()),
        }
    }
}

/// Job identity: its position in the workload stream, from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u64);

/// A group of identical replicas inside a job (a launcher, the workers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    /// Component name.
    pub name: String,
    /// Number of replicas.
    pub replicas: u32,
    /// What each replica requests.
    pub request: PodRequest,
}

/// A unit of work submitted to the fleet; it becomes one ResourceBinding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Identity, in submission order.
    pub id: JobId,
    /// Name from the trace or generator.
    pub name: String,
    /// Owning namespace.
    pub namespace: NamespaceId,
    /// Priority class, if any.
    pub priority_class: Option<PriorityClassId>,
    /// Submission time.
    pub submit: SimTime,
    /// Components; at least one, each with at least one replica.
    pub components: Vec<Component>,
    /// Run time at reference GPU speed once running.
    pub runtime: Duration,
    /// All replicas run together: the job's clock starts when the last replica is placed.
    /// Without gang, each replica runs its own `runtime` from its own placement.
    pub gang: bool,
    /// How often the job checkpoints (what a restart loses), if it does.
    pub checkpoint_interval: Option<Duration>,
    /// How long writing one checkpoint takes, during which the job makes no progress; `None`
    /// = instantaneous.
    pub checkpoint_cost: Option<Duration>,
    /// Restarts after which the job fails for good (Kubernetes' `backoffLimit`); `None` =
    /// never.
    pub max_restarts: Option<u32>,
    /// Its PodDisruptionBudget's `maxUnavailable`: preemption spares its pods when evicting one
    /// would leave more than this many replicas down; `None` = no budget.
    pub max_unavailable: Option<u32>,
    /// The object it is submitted as.
    pub template: Template,
}

impl Job {
    /// Replicas over all components.
    pub fn n_replicas(&self) -> u64 {
        self.components.iter().map(|c| u64::from(c.replicas)).sum()
    }

    /// GPU devices over all replicas.
    pub fn n_gpus(&self) -> u64 {
        self.components
            .iter()
            .map(|c| u64::from(c.replicas) * u64::from(c.request.gpu.count))
            .sum()
    }

    /// Milli-GPU over all replicas.
    pub fn gpu_milli(&self) -> u64 {
        self.components
            .iter()
            .map(|c| u64::from(c.replicas) * c.request.gpu.total_milli())
            .sum()
    }
}
