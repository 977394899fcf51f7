//! Python classes as fleetsim plugins: each adapter holds a Python object and answers the
//! plugin trait by calling it, with the GIL taken only for the call.

use std::panic::resume_unwind;

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use scheduler::decision::Deciding;
use scheduler::member::{Choice, NodeFree, Normalization, PlacementPolicy};
use scheduler::registry::PlacementContext;
use sim_core::model::{NodeShape, PodRequest};

/// A Python plugin raised: carried by unwinding to the entry point that started the work.
pub(crate) struct PolicyFailure {
    /// What kind of plugin (`placement policy`, `cluster filter`, …).
    kind: &'static str,
    policy: String,
    err: PyErr,
    /// The job and simulated time being decided when it raised.
    deciding: Deciding,
}

impl PolicyFailure {
    /// `fleetsim.PolicyError` naming the plugin, the job and the simulated time, and carrying
    /// the Python traceback, its `__cause__` the original exception.
    pub(crate) fn into_py_err(self, py: Python<'_>) -> PyErr {
        let PolicyFailure {
            kind,
            policy,
            err,
            deciding,
        } = self;
        let build = || -> PyResult<PyErr> {
            let lines = py
                .import("traceback")?
                .call_method1("format_exception", (err.value(py),))?;
            let traceback: String = py
                .import("builtins")?
                .getattr("str")?
                .getattr("join")?
                .call1(("", lines))?
                .extract()?;
            let class = py.import("fleetsim._errors")?.getattr("PolicyError")?;
            let job = deciding.job.map(|job| job.0);
            let time_ms = deciding.now.map(|now| now.0);
            let time = deciding.now.map(|now| now.to_string());
            let value = class.call1((
                policy.as_str(),
                err.value(py).str()?,
                traceback,
                kind,
                job,
                time_ms,
                time,
            ))?;
            value.setattr("__cause__", err.value(py))?;
            Ok(PyErr::from_value(value))
        };
        build().unwrap_or(err)
    }
}

/// Stops the work in progress: `resume_unwind` runs no panic hook, so nothing is printed.
pub(crate) fn fail(kind: &'static str, policy: &str, err: PyErr) -> ! {
    resume_unwind(Box::new(PolicyFailure {
        kind,
        policy: policy.to_owned(),
        err,
        deciding: scheduler::decision::current(),
    }))
}

/// A registered name as the `&'static str` the plugin traits lend: one registration leaks its
/// name once.
pub(crate) fn leak_name(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

const PLACEMENT: &str = "placement policy";

/// The factory registered for a Python placement policy class: one instance per member
/// cluster and run, built by the class's `_fleetsim_build(seed, norm_cpu, norm_gpu)`.
pub(crate) fn placement_factory(
    name: String,
    class: Py<PyAny>,
) -> impl Fn(&PlacementContext<'_>) -> Box<dyn PlacementPolicy> + Send + Sync + 'static {
    let name = leak_name(name);
    move |context| {
        Python::attach(|py| match build_placement(py, name, &class, context) {
            Ok(policy) => Box::new(policy) as Box<dyn PlacementPolicy>,
            Err(err) => fail(PLACEMENT, name, err),
        })
    }
}

fn build_placement(
    py: Python<'_>,
    name: &'static str,
    class: &Py<PyAny>,
    context: &PlacementContext<'_>,
) -> PyResult<PyPlacement> {
    let (norm_cpu, norm_gpu) = match context.norm {
        Normalization::NodeCapacity => (None, None),
        Normalization::Fixed {
            cpu_milli,
            gpu_milli,
        } => (Some(cpu_milli), Some(gpu_milli)),
    };
    let target: Vec<(u64, u32, u32, Vec<u16>, f64)> = context
        .target
        .types()
        .iter()
        .map(|t| {
            let models = t.models.ids().map(|m| m.0).collect();
            (t.cpu_milli, t.gpu_milli, t.num_gpu, models, t.popularity)
        })
        .collect();
    let instance = class.bind(py).call_method1(
        "_fleetsim_build",
        (context.seed, norm_cpu, norm_gpu, target),
    )?;
    let choice: String = instance.getattr("choice")?.extract()?;
    let choice = match choice.as_str() {
        "highest" => Choice::Highest,
        "normalized" => Choice::Normalized,
        "uniform" => Choice::Uniform,
        other => {
            return Err(PyValueError::new_err(format!(
                "choice {other:?}: expected \"highest\", \"normalized\" or \"uniform\""
            )));
        }
    };
    let reads_memory: bool = instance.getattr("reads_memory")?.extract()?;
    let shares: bool = instance.getattr("_fleetsim_shares")?.extract()?;
    Ok(PyPlacement {
        name,
        instance: instance.unbind(),
        choice,
        reads_memory,
        shares,
    })
}

/// A Python placement policy instance.
struct PyPlacement {
    name: &'static str,
    instance: Py<PyAny>,
    choice: Choice,
    reads_memory: bool,
    /// The class overrides `share_device`; otherwise the tightest device, as in Rust.
    shares: bool,
}

impl PlacementPolicy for PyPlacement {
    fn name(&self) -> &'static str {
        self.name
    }

    fn score(&self, pod: &PodRequest, shape: &NodeShape, free: &NodeFree) -> i64 {
        let mut score = [0];
        self.score_batch(pod, &[(shape, free)], &mut score);
        score[0]
    }

    fn score_batch(
        &self,
        pod: &PodRequest,
        candidates: &[(&NodeShape, &NodeFree)],
        scores: &mut [i64],
    ) {
        Python::attach(|py| {
            if let Err(err) = self.call_score(py, pod, candidates, scores) {
                fail(PLACEMENT, self.name, err)
            }
        })
    }

    fn choice(&self) -> Choice {
        self.choice
    }

    fn reads_memory(&self) -> bool {
        self.reads_memory
    }

    fn share_device(
        &self,
        pod: &PodRequest,
        shape: &NodeShape,
        free: &NodeFree,
        _draw: &mut dyn FnMut(u32) -> u32,
    ) -> usize {
        if !self.shares {
            return free
                .devices
                .tightest(pod.gpu.milli_per_gpu)
                .expect("the pod fits");
        }
        Python::attach(|py| match self.call_share(py, pod, shape, free) {
            Ok(device) => device,
            Err(err) => fail(PLACEMENT, self.name, err),
        })
    }
}

impl PyPlacement {
    /// One call for the batch: the candidates as columns (NumPy arrays), int64 scores back.
    fn call_score(
        &self,
        py: Python<'_>,
        pod: &PodRequest,
        candidates: &[(&NodeShape, &NodeFree)],
        scores: &mut [i64],
    ) -> PyResult<()> {
        let result = self.instance.bind(py).call_method1(
            "_fleetsim_score",
            (pod_fields(pod), node_columns(py, candidates)?),
        )?;
        let result: PyReadonlyArray1<'_, i64> = result.extract()?;
        let values = result.as_slice()?;
        if values.len() != candidates.len() {
            return Err(PyValueError::new_err(format!(
                "{} returned {} scores for {} node states",
                self.name,
                values.len(),
                candidates.len()
            )));
        }
        scores.copy_from_slice(values);
        Ok(())
    }

    /// The device a share goes to on the chosen node, which must have room for it there.
    fn call_share(
        &self,
        py: Python<'_>,
        pod: &PodRequest,
        shape: &NodeShape,
        free: &NodeFree,
    ) -> PyResult<usize> {
        let columns = node_columns(py, &[(shape, free)])?;
        let device: i64 = self
            .instance
            .bind(py)
            .call_method1("_fleetsim_share_device", (pod_fields(pod), columns))?
            .extract()?;
        let fits = usize::try_from(device).ok().filter(|idx| {
            free.devices
                .free()
                .get(*idx)
                .is_some_and(|milli| u32::from(*milli) >= pod.gpu.milli_per_gpu)
        });
        fits.ok_or_else(|| {
            PyValueError::new_err(format!(
                "{} shared device {device}, which has no room for {} milli-GPU (free: {:?})",
                self.name,
                pod.gpu.milli_per_gpu,
                free.devices.free()
            ))
        })
    }
}

/// The pod as Python gets it: (cpu milli, memory bytes, GPU devices, milli-GPU per device).
fn pod_fields(pod: &PodRequest) -> (u64, u64, u32, u32) {
    (
        pod.cpu_milli,
        pod.memory,
        pod.gpu.count,
        pod.gpu.milli_per_gpu,
    )
}

type Column<'py> = Bound<'py, PyArray1<i64>>;

/// Node states as int64 NumPy columns, one row per candidate; `gpu_free` is rows × devices.
#[allow(clippy::type_complexity)]
fn node_columns<'py>(
    py: Python<'py>,
    candidates: &[(&NodeShape, &NodeFree)],
) -> PyResult<(
    Column<'py>,
    Column<'py>,
    Column<'py>,
    Column<'py>,
    Column<'py>,
    Column<'py>,
    Column<'py>,
    Bound<'py, PyAny>,
)> {
    let n_rows = candidates.len();
    let n_devices = candidates
        .iter()
        .map(|(_, free)| free.devices.len())
        .max()
        .unwrap_or(0);
    let column = |f: &dyn Fn(&NodeShape, &NodeFree) -> i64| -> Column<'py> {
        let values: Vec<i64> = candidates
            .iter()
            .map(|(shape, free)| f(shape, free))
            .collect();
        PyArray1::from_vec(py, values)
    };
    let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut gpu_free = vec![0i64; n_rows * n_devices];
    for (row, (_, free)) in candidates.iter().enumerate() {
        for (device, milli) in free.devices.free().iter().enumerate() {
            gpu_free[row * n_devices + device] = i64::from(*milli);
        }
    }
    let gpu_free = PyArray1::from_vec(py, gpu_free)
        .reshape([n_rows, n_devices])?
        .into_any();
    Ok((
        column(&|_, free| as_i64(free.cpu_milli)),
        column(&|shape, _| as_i64(shape.cpu_milli)),
        column(&|_, free| as_i64(free.memory)),
        column(&|shape, _| as_i64(shape.memory)),
        column(&|shape, _| i64::from(shape.gpus)),
        column(&|shape, _| shape.gpu_model.map_or(-1, |m| i64::from(m.0))),
        column(&|_, free| i64::from(free.devices.total_free())),
        gpu_free,
    ))
}
