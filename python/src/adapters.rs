//! Python classes as fleetsim plugins: each adapter holds a Python object and answers the
//! plugin trait by calling it, with the GIL taken only for the call.

use std::panic::resume_unwind;

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use scheduler::member::{Choice, NodeFree, Normalization, PlacementPolicy};
use scheduler::registry::PlacementContext;
use sim_core::model::{NodeShape, PodRequest};

/// A Python plugin raised: carried by unwinding to the entry point that started the work.
pub(crate) struct PolicyFailure {
    policy: String,
    err: PyErr,
}

impl PolicyFailure {
    /// `fleetsim.PolicyError` naming the policy and carrying the Python traceback, its
    /// `__cause__` the original exception.
    pub(crate) fn into_py_err(self, py: Python<'_>) -> PyErr {
        let PolicyFailure { policy, err } = self;
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
            let value = class.call1((policy.as_str(), err.value(py).str()?, traceback))?;
            value.setattr("__cause__", err.value(py))?;
            Ok(PyErr::from_value(value))
        };
        build().unwrap_or(err)
    }
}

/// Stops the work in progress: `resume_unwind` runs no panic hook, so nothing is printed.
fn fail(policy: &str, err: PyErr) -> ! {
    resume_unwind(Box::new(PolicyFailure {
        policy: policy.to_owned(),
        err,
    }))
}

/// The factory registered for a Python placement policy class: one instance per member
/// cluster and run, built by the class's `_fleetsim_build(seed, norm_cpu, norm_gpu)`.
pub(crate) fn placement_factory(
    name: String,
    class: Py<PyAny>,
) -> impl Fn(&PlacementContext<'_>) -> Box<dyn PlacementPolicy> + Send + Sync + 'static {
    // `PlacementPolicy::name` lends a `&'static str`; one registration leaks its name once.
    let name: &'static str = Box::leak(name.into_boxed_str());
    move |context| {
        Python::attach(|py| match build_placement(py, name, &class, context) {
            Ok(policy) => Box::new(policy) as Box<dyn PlacementPolicy>,
            Err(err) => fail(name, err),
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
    let instance = class
        .bind(py)
        .call_method1("_fleetsim_build", (context.seed, norm_cpu, norm_gpu))?;
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
    Ok(PyPlacement {
        name,
        instance: instance.unbind(),
        choice,
        reads_memory,
    })
}

/// A Python placement policy instance.
struct PyPlacement {
    name: &'static str,
    instance: Py<PyAny>,
    choice: Choice,
    reads_memory: bool,
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
                fail(self.name, err)
            }
        })
    }

    fn choice(&self) -> Choice {
        self.choice
    }

    fn reads_memory(&self) -> bool {
        self.reads_memory
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
        let n_rows = candidates.len();
        let n_devices = candidates
            .iter()
            .map(|(_, free)| free.devices.len())
            .max()
            .unwrap_or(0);
        let column = |f: &dyn Fn(&NodeShape, &NodeFree) -> i64| -> Vec<i64> {
            candidates
                .iter()
                .map(|(shape, free)| f(shape, free))
                .collect()
        };
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let cpu_free = column(&|_, free| as_i64(free.cpu_milli));
        let cpu_total = column(&|shape, _| as_i64(shape.cpu_milli));
        let memory_free = column(&|_, free| as_i64(free.memory));
        let memory_total = column(&|shape, _| as_i64(shape.memory));
        let n_gpus = column(&|shape, _| i64::from(shape.gpus));
        let gpu_model = column(&|shape, _| shape.gpu_model.map_or(-1, |m| i64::from(m.0)));
        let gpu_free_total = column(&|_, free| i64::from(free.devices.total_free()));
        let mut gpu_free = vec![0i64; n_rows * n_devices];
        for (row, (_, free)) in candidates.iter().enumerate() {
            for (device, milli) in free.devices.free().iter().enumerate() {
                gpu_free[row * n_devices + device] = i64::from(*milli);
            }
        }
        let array = |values: Vec<i64>| PyArray1::from_vec(py, values);
        let gpu_free = array(gpu_free).reshape([n_rows, n_devices])?;
        let pod_fields = (
            pod.cpu_milli,
            pod.memory,
            pod.gpu.count,
            pod.gpu.milli_per_gpu,
        );
        let columns = (
            array(cpu_free),
            array(cpu_total),
            array(memory_free),
            array(memory_total),
            array(n_gpus),
            array(gpu_model),
            array(gpu_free_total),
            gpu_free,
        );
        let result = self
            .instance
            .bind(py)
            .call_method1("_fleetsim_score", (pod_fields, columns))?;
        let result: PyReadonlyArray1<'_, i64> = result.extract()?;
        let values = result.as_slice()?;
        if values.len() != n_rows {
            return Err(PyValueError::new_err(format!(
                "{} returned {} scores for {n_rows} nodes",
                self.name,
                values.len()
            )));
        }
        scores.copy_from_slice(values);
        Ok(())
    }
}
