//! Python classes as the control plane's plugins: cluster filters, cluster scores and queue
//! orders. Each is one instance, built at registration and shared by every run (and by the
//! parallel runs of a sweep), so it must answer from its arguments alone.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use scheduler::binding::{BindingView, ClusterView};
use scheduler::estimator::ResourceList;
use scheduler::filter::{FilterPlugin, Verdict};
use scheduler::queue::{QueueKey, QueueSort, QueuedBinding};
use scheduler::score::ScorePlugin;
use sim_core::model::{PodRequest, TaintEffect};

use crate::adapters::{fail, leak_name};

const FILTER: &str = "cluster filter";
const SCORE: &str = "cluster score plugin";
const QUEUE_SORT: &str = "queue sort";

/// A registered Python plugin instance.
pub(crate) struct PyPlugin {
    name: &'static str,
    instance: Py<PyAny>,
}

/// Builds the one instance of `class` (its `_fleetsim_build()`).
pub(crate) fn build(name: String, class: &Bound<'_, PyAny>) -> PyResult<PyPlugin> {
    let instance = class.call_method0("_fleetsim_build")?.unbind();
    Ok(PyPlugin {
        name: leak_name(name),
        instance,
    })
}

type Pod = (u64, u64, u32, u32);
type Resources = (i64, i64, i64, i64);

fn pod(request: &PodRequest) -> Pod {
    (
        request.cpu_milli,
        request.memory,
        request.gpu.count,
        request.gpu.milli_per_gpu,
    )
}

fn resources(list: &ResourceList) -> Resources {
    (list.cpu_milli, list.memory, list.gpus, list.pods)
}

/// The binding as Python's `fleetsim.Binding` is built from it.
#[allow(clippy::type_complexity)]
fn binding_fields(
    view: &BindingView<'_>,
) -> (
    u64,
    u32,
    Option<u32>,
    i32,
    i64,
    Pod,
    Vec<(u32, i64)>,
    String,
    Vec<(i64, Pod)>,
) {
    let binding = view.binding;
    (
        binding.job.0,
        binding.namespace.0,
        binding.priority_class.map(|p| p.0),
        binding.priority,
        binding.replicas,
        pod(&binding.request),
        binding.clusters.iter().map(|(c, n)| (c.0, *n)).collect(),
        binding.api_resource.to_string(),
        binding
            .components
            .iter()
            .map(|c| (c.replicas, pod(&c.request)))
            .collect(),
    )
}

/// The cluster as Python's `fleetsim.Cluster` is built from it.
#[allow(clippy::type_complexity)]
fn cluster_fields(
    view: &ClusterView<'_>,
) -> (
    u32,
    String,
    Option<String>,
    Option<String>,
    Vec<String>,
    std::collections::BTreeMap<String, String>,
    Vec<(String, String, &'static str)>,
    (Resources, Resources, Resources),
    u64,
) {
    let cluster = view.cluster;
    let taints = cluster
        .taints
        .iter()
        .map(|t| {
            let effect = match t.effect {
                TaintEffect::NoSchedule => "NoSchedule",
                TaintEffect::PreferNoSchedule => "PreferNoSchedule",
                TaintEffect::NoExecute => "NoExecute",
            };
            (t.key.clone(), t.value.clone(), effect)
        })
        .collect();
    (
        view.id.0,
        cluster.name.clone(),
        cluster.region.clone(),
        cluster.provider.clone(),
        cluster.zones.clone(),
        cluster.labels.clone(),
        taints,
        (
            resources(&view.summary.allocatable),
            resources(&view.summary.allocated),
            resources(&view.summary.allocating),
        ),
        cluster.n_nodes(),
    )
}

/// A Python `ClusterFilterPlugin`.
pub(crate) struct PyFilter(pub(crate) PyPlugin);

impl FilterPlugin for PyFilter {
    fn name(&self) -> &'static str {
        self.0.name
    }

    fn filter(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Verdict {
        let answer = Python::attach(|py| -> PyResult<Option<String>> {
            self.0
                .instance
                .bind(py)
                .call_method1(
                    "_fleetsim_filter",
                    (binding_fields(binding), cluster_fields(cluster)),
                )?
                .extract()
        });
        match answer {
            Ok(None) => Verdict::Fits,
            Ok(Some(reason)) => Verdict::Unschedulable(reason),
            Err(err) => fail(FILTER, self.0.name, err),
        }
    }
}

/// A Python `ClusterScorePlugin`.
pub(crate) struct PyScore(pub(crate) PyPlugin);

impl ScorePlugin for PyScore {
    fn name(&self) -> &'static str {
        self.0.name
    }

    fn score(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> i64 {
        let answer = Python::attach(|py| -> PyResult<i64> {
            let score: i64 = self
                .0
                .instance
                .bind(py)
                .call_method1(
                    "_fleetsim_score",
                    (binding_fields(binding), cluster_fields(cluster)),
                )?
                .extract()?;
            if !(0..=scheduler::score::MAX_SCORE).contains(&score) {
                return Err(PyValueError::new_err(format!(
                    "{} scored cluster {} {score}: scores are 0 to {}",
                    self.0.name,
                    cluster.cluster.name,
                    scheduler::score::MAX_SCORE
                )));
            }
            Ok(score)
        });
        answer.unwrap_or_else(|err| fail(SCORE, self.0.name, err))
    }
}

/// A Python `QueueSort`.
pub(crate) struct PyQueueSort(pub(crate) PyPlugin);

impl QueueSort for PyQueueSort {
    fn name(&self) -> &'static str {
        self.0.name
    }

    fn key(&self, entry: &QueuedBinding) -> QueueKey {
        let fields = (
            entry.job.0,
            entry.priority,
            entry.timestamp.0,
            entry.attempts,
            entry.gpu_milli,
        );
        let answer = Python::attach(|py| -> PyResult<QueueKey> {
            self.0
                .instance
                .bind(py)
                .call_method1("_fleetsim_key", (fields,))?
                .extract()
        });
        answer.unwrap_or_else(|err| fail(QUEUE_SORT, self.0.name, err))
    }
}
