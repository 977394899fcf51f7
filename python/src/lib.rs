//! `fleetsim._native`, the Rust half of the `fleetsim` Python package: the library's entry
//! points (run, validate, fragmentation, sweep, compare) with the GIL released while Rust
//! works, and adapters that let Python classes act as registered plugins.
//!
//! The pure-Python half (`fleetsim/__init__.py`) gives the documented API: it turns
//! arguments into plain values, calls these functions and reads the outputs back as
//! DataFrames. Nothing here knows polars.
//!
//! A Python exception inside a plugin cannot travel through the simulator's plain-value
//! traits, so the adapter unwinds with a [`PolicyFailure`] (`resume_unwind`, which runs no
//! panic hook) and the entry point that started the work turns it back into
//! `fleetsim.PolicyError`.

// pyo3's macros expand to `unsafe` blocks, which `forbid` would reject even inside their
// expansion; this crate's own code has none.
#![deny(unsafe_code)]

mod adapters;
mod cluster;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use fleetsim::RunError;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use scheduler::registry::Registry;

pub(crate) use adapters::PolicyFailure;

/// The plugins Python code registered, on top of the built-ins; every entry point runs with a
/// snapshot of it.
static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(|| Mutex::new(Registry::builtin()));

fn registry() -> MutexGuard<'static, Registry> {
    // A poisoned lock only means a registration panicked half-way; the list is still valid.
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` without the GIL, turning a Python plugin's failure back into its exception.
fn without_gil<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> Result<T, RunError> + Send,
) -> PyResult<T> {
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(work)));
    match outcome {
        Ok(result) => result.map_err(|err| run_error(py, err)),
        Err(payload) => match payload.downcast::<PolicyFailure>() {
            Ok(failure) => Err(failure.into_py_err(py)),
            Err(payload) => resume_unwind(payload),
        },
    }
}

/// `fleetsim.ScenarioError` (with file, line, column and field) for input errors, `OSError`
/// for unusable output folders, `RuntimeError` for internal errors.
fn run_error(py: Python<'_>, err: RunError) -> PyErr {
    match err {
        RunError::Scenario(scenarios::Error::Input { position, message }) => scenario_error(
            py,
            format!("{position}: {message}"),
            Some(&position.file),
            (position.line > 0).then_some((position.line, position.column)),
            Some(position.path.as_str()).filter(|p| !p.is_empty()),
        ),
        RunError::Scenario(err @ scenarios::Error::Io { .. }) => {
            let file = match &err {
                scenarios::Error::Io { file, .. } => Some(file.clone()),
                _ => None,
            };
            scenario_error(py, err.to_string(), file.as_deref(), None, None)
        }
        err @ RunError::Output { .. } => PyOSError::new_err(err.to_string()),
        err @ RunError::Internal(_) => PyRuntimeError::new_err(err.to_string()),
    }
}

fn scenario_error(
    py: Python<'_>,
    message: String,
    file: Option<&Path>,
    line_column: Option<(u64, u64)>,
    field: Option<&str>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = py.import("fleetsim._errors")?.getattr("ScenarioError")?;
        let (line, column) = line_column.unzip();
        let value = class.call1((
            message.as_str(),
            file.map(|f| f.display().to_string()),
            line,
            column,
            field,
        ))?;
        Ok(PyErr::from_value(value))
    };
    build().unwrap_or_else(|err| err)
}

/// Calls `progress(done, total)` from Rust work running without the GIL.
fn progress_caller(progress: Option<Py<PyAny>>) -> impl Fn(u64, u64) + Sync {
    move |done, total| {
        if let Some(callback) = &progress {
            Python::attach(|py| {
                // A failing progress bar must not stop a run; its error is shown once.
                if let Err(err) = callback.call1(py, (done, total)) {
                    err.print(py);
                }
            });
        }
    }
}

/// Runs a scenario (a file, or `text` read as if it were `scenario`) into `out`; the
/// summary, tables and report are read back from there.
#[pyfunction]
#[pyo3(signature = (scenario, out, text=None, seed=None, federation=None, csv=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    scenario: PathBuf,
    out: PathBuf,
    text: Option<String>,
    seed: Option<u64>,
    federation: Option<String>,
    csv: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<()> {
    let federation_choice = match federation.as_deref() {
        None => None,
        Some("karmada") => Some(scheduler::Federation::Karmada),
        Some("direct") => Some(scheduler::Federation::Direct(
            scheduler::DirectSubmission::RoundRobin,
        )),
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "federation {other:?}: expected \"karmada\" or \"direct\""
            )));
        }
    };
    let format = if csv {
        reports::TableFormat::Csv
    } else {
        reports::TableFormat::Parquet
    };
    let config = fleetsim::RunConfig {
        scenario,
        out,
        seed,
        check_invariants: None,
        quiet: true,
        federation: federation_choice,
        format,
        overrides: fleetsim::run_record::Overrides {
            seed,
            federation,
            format: csv.then(|| "csv".to_owned()),
            check_invariants: None,
        },
    };
    let plugins = registry().clone();
    let report = progress_caller(progress);
    without_gil(py, move || {
        let scenario = load(&config.scenario, text.as_deref(), &plugins)?;
        let total = scenario.workload.n_jobs();
        report(0, total);
        fleetsim::run_loaded(&scenario, &config, &mut |p| report(p.arrived, p.total))?;
        report(total, total);
        Ok(())
    })
}

fn load(
    file: &Path,
    text: Option<&str>,
    plugins: &Registry,
) -> Result<scenarios::Scenario, RunError> {
    Ok(match text {
        Some(text) => scenarios::load_str_with(text, file, plugins)?,
        None => scenarios::load_with(file, plugins)?,
    })
}

/// Validates a scenario; returns its warnings.
#[pyfunction]
#[pyo3(signature = (scenario, text=None))]
fn validate(py: Python<'_>, scenario: PathBuf, text: Option<String>) -> PyResult<Vec<String>> {
    let plugins = registry().clone();
    without_gil(py, move || {
        let loaded = load(&scenario, text.as_deref(), &plugins)?;
        Ok(loaded.warnings.iter().map(ToString::to_string).collect())
    })
}

/// Runs a fragmentation experiment into `out`, optionally with other policies or seeds.
#[pyfunction]
#[pyo3(signature = (experiment, out, policies=None, seeds=None, progress=None))]
fn fragmentation(
    py: Python<'_>,
    experiment: PathBuf,
    out: PathBuf,
    policies: Option<Vec<String>>,
    seeds: Option<Vec<u64>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<()> {
    let plugins = registry().clone();
    let report = progress_caller(progress);
    without_gil(py, move || {
        let mut loaded = scenarios::experiment::load_experiment_with(&experiment, &plugins)?;
        if let Some(names) = policies {
            loaded.policies = names
                .iter()
                .map(|name| {
                    plugins
                        .placement_name(name)
                        .map(str::to_owned)
                        .ok_or_else(|| RunError::Output {
                            path: experiment.clone(),
                            message: format!(
                                "unknown placement policy {name:?}: expected one of {}",
                                plugins.placement_names().join(", ")
                            ),
                        })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(seeds) = seeds {
            loaded.seeds = seeds;
        }
        fleetsim::experiment::run_fragmentation(&loaded, &out, None, &report)?;
        Ok(())
    })
}

/// Runs (or resumes) a sweep into `out`.
#[pyfunction]
#[pyo3(signature = (sweep, out, seed=None, threads=None, progress=None))]
fn sweep(
    py: Python<'_>,
    sweep: PathBuf,
    out: PathBuf,
    seed: Option<u64>,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<()> {
    let plugins = Arc::new(registry().clone());
    let report = progress_caller(progress);
    let config = fleetsim::sweep::SweepConfig {
        file: sweep,
        out,
        seed,
        threads,
        shard: fleetsim::sweep::Shard::ALL,
        stop_after: None,
    };
    without_gil(py, move || {
        fleetsim::sweep::run_sweep_with(&config, &plugins, &report)?;
        Ok(())
    })
}

/// Compares two runs (or folders of replications); returns (text, regressed, warnings).
#[pyfunction]
#[pyo3(signature = (base, new, out, thresholds=None))]
fn compare(
    py: Python<'_>,
    base: PathBuf,
    new: PathBuf,
    out: PathBuf,
    thresholds: Option<PathBuf>,
) -> PyResult<(String, bool, Vec<String>)> {
    without_gil(py, move || {
        let outcome = fleetsim::compare_runs(&base, &new, thresholds.as_deref(), &out, false)?;
        Ok((outcome.text, outcome.regressed, outcome.warnings))
    })
}

/// Registers a Python placement policy class under `name`.
#[pyfunction]
fn register_placement(name: String, class: Py<PyAny>) -> PyResult<()> {
    let factory = adapters::placement_factory(name.clone(), class);
    registered(registry().register_placement(name, factory))
}

/// Registers a Python plugin class of the control plane (`kind` `filter`, `score` or
/// `queue_sort`) under `name`: one instance, built now.
#[pyfunction]
fn register_plugin(kind: &str, name: String, class: &Bound<'_, PyAny>) -> PyResult<()> {
    let plugin = cluster::build(name.clone(), class)?;
    let mut plugins = registry();
    registered(match kind {
        "filter" => plugins.register_filter(name, cluster::PyFilter(plugin)),
        "score" => plugins.register_score(name, cluster::PyScore(plugin)),
        "queue_sort" => plugins.register_queue_sort(name, cluster::PyQueueSort(plugin)),
        other => {
            return Err(PyValueError::new_err(format!(
                "plugin kind {other:?}: expected \"filter\", \"score\" or \"queue_sort\""
            )));
        }
    })
}

fn registered<T>(outcome: Result<T, scheduler::Error>) -> PyResult<()> {
    outcome
        .map(|_| ())
        .map_err(|err| PyValueError::new_err(err.to_string()))
}

/// Registered names of one kind of plugin (`placement`, `filter`, `score`, `queue_sort`),
/// built-ins first.
#[pyfunction]
fn plugin_names(kind: &str) -> PyResult<Vec<String>> {
    let plugins = registry();
    let names = match kind {
        "placement" => plugins.placement_names(),
        "filter" => plugins.filter_names(),
        "score" => plugins.score_names(),
        "queue_sort" => plugins.queue_sort_names(),
        other => return Err(PyValueError::new_err(format!("plugin kind {other:?}"))),
    };
    Ok(names.into_iter().map(str::to_owned).collect())
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(run, module)?)?;
    module.add_function(wrap_pyfunction!(validate, module)?)?;
    module.add_function(wrap_pyfunction!(fragmentation, module)?)?;
    module.add_function(wrap_pyfunction!(sweep, module)?)?;
    module.add_function(wrap_pyfunction!(compare, module)?)?;
    module.add_function(wrap_pyfunction!(register_placement, module)?)?;
    module.add_function(wrap_pyfunction!(register_plugin, module)?)?;
    module.add_function(wrap_pyfunction!(plugin_names, module)?)?;
    Ok(())
}
