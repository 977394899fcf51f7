//! fleetsim's wiring: loads a scenario, runs the Karmada control plane over it with the
//! engine, and writes the reports. The binary (`src/main.rs`, `src/cli/`) only parses
//! arguments and calls [`run_scenario`] (or [`sweep::run_sweep`], [`plan::run_plan`], ...);
//! the simulation itself lives in the member crates.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bench;
pub mod experiment;
pub mod forecast;
mod output_dir;
pub mod plan;
pub mod plugins;
pub mod run_record;
pub mod sweep;

use std::path::{Path, PathBuf};
use std::time::Instant;

use scheduler::ControlPlane;
use scheduler::registry::Registry;
use sim_core::engine::{self, EngineConfig, Progress};
use sim_core::rng::RngStreams;

pub use output_dir::OutputDir;

/// Everything `fleetsim run` needs, resolved from the command line.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Where results go; created whole or not at all.
    pub out: PathBuf,
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Checks invariants after every event (default in debug builds).
    pub check_invariants: Option<bool>,
    /// Prints nothing but errors.
    pub quiet: bool,
    /// Overrides the scenario's federation (`karmada` or `direct`), to compare the two.
    pub federation: Option<scheduler::Federation>,
    /// Parquet (the default) or CSV tables.
    pub format: reports::TableFormat,
    /// The command-line settings behind the fields above, recorded in `run.json`.
    pub overrides: run_record::Overrides,
}

/// What a finished run reports back.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The headline metrics, as written to `summary.json`.
    pub summary: reports::Summary,
    /// Engine totals.
    pub stats: engine::RunStats,
    /// Wall-clock seconds the simulation took.
    pub wall_seconds: f64,
}

/// How far one simulation has got, for progress reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunProgress {
    /// Jobs arrived so far.
    pub arrived: u64,
    /// Jobs in the workload.
    pub total: u64,
    /// Simulated time reached.
    pub now: sim_core::SimTime,
}

/// Why a run failed; the binary maps each kind to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input: a scenario error, an unusable output path (exit code 2).
    #[error(transparent)]
    Scenario(#[from] scenarios::Error),
    /// The output folder cannot be used (exit code 2).
    #[error("{}: {message}", path.display())]
    Output {
        /// The folder.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Something that should not happen (exit code 3).
    #[error("internal error: {0}")]
    Internal(String),
}

impl RunError {
    /// The process exit code for this error, as DESIGN.md fixes them.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Scenario(_) | RunError::Output { .. } => 2,
            RunError::Internal(_) => 3,
        }
    }
}

impl From<reports::compare::CompareError> for RunError {
    fn from(err: reports::compare::CompareError) -> Self {
        match err {
            reports::compare::CompareError::NoRuns(path) => RunError::Output {
                path,
                message: "no summary.json in it or in its sub-folders".into(),
            },
            reports::compare::CompareError::Unreadable { file, message } => RunError::Output {
                path: file,
                message,
            },
        }
    }
}

/// What `fleetsim explain` needs.
#[derive(Clone, Debug)]
pub struct ExplainConfig {
    /// The scenario file.
    pub scenario: PathBuf,
    /// The job: its id (position in the workload) or its name.
    pub job: String,
    /// Show what happened up to this time only.
    pub at: Option<sim_core::SimTime>,
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
}

/// What `fleetsim explain` found.
#[derive(Clone, Debug)]
pub struct Explained {
    /// The job's story.
    pub text: String,
    /// Events simulated: the run stops once the job's story cannot change any more.
    pub n_events: u64,
}

/// Runs a scenario and tells the story of one job, `kubectl describe` style. The run stops
/// as soon as the job has ended (or was found to match no policy): nothing later can change
/// its story. `progress` is called as the run advances.
pub fn explain_job(
    config: &ExplainConfig,
    progress: &mut dyn FnMut(RunProgress),
) -> Result<Explained, RunError> {
    explain_job_with(config, Registry::builtin_ref(), progress)
}

/// [`explain_job`] with the scenario's plugin names looked up in `plugins`.
pub fn explain_job_with(
    config: &ExplainConfig,
    plugins: &Registry,
    progress: &mut dyn FnMut(RunProgress),
) -> Result<Explained, RunError> {
    let scenario = scenarios::load_with(&config.scenario, plugins)?;
    let job_id = resolve_job(&scenario, &config.job).ok_or_else(|| RunError::Output {
        path: config.scenario.clone(),
        message: format!(
            "no job {:?} in the workload (give its id, 0 to {}, or its name)",
            config.job,
            scenario.n_jobs().saturating_sub(1)
        ),
    })?;
    let seed = config.seed.unwrap_or(scenario.seed);
    let internal = |err: &dyn std::fmt::Display| RunError::Internal(err.to_string());
    let mut control = control_plane(
        &scenario,
        &PlaneOptions {
            seed: Some(seed),
            explain: Some(sim_core::model::JobId(job_id)),
            ..PlaneOptions::default()
        },
    )?;
    let horizon = match (scenario.horizon, config.at) {
        (Some(h), Some(at)) => Some(h.min(at)),
        (h, at) => h.or(at),
    };
    let jobs = scenario
        .jobs(RngStreams::new(seed))
        .map(Ok::<_, std::convert::Infallible>);
    let engine_config = EngineConfig {
        horizon,
        progress_every: PROGRESS_EVERY,
    };
    let total = scenario.n_jobs();
    let stats = engine::run(
        &engine_config,
        jobs,
        &mut control,
        &mut Discard,
        &mut |p: Progress| progress(run_progress(p, total)),
    )
    .map_err(|e| internal(&e))?;
    let log = control
        .explanation()
        .ok_or_else(|| RunError::Internal("the explained job's log is missing".to_owned()))?;
    Ok(Explained {
        text: log.render(&scenario.world, config.at),
        n_events: stats.n_events,
    })
}

/// Events between two progress reports of one simulation.
const PROGRESS_EVERY: u64 = 4096;

fn run_progress(p: Progress, total: u64) -> RunProgress {
    RunProgress {
        arrived: p.n_arrived,
        total,
        now: p.now,
    }
}

/// A job by id, or by name in a listed or synthetic workload.
fn resolve_job(scenario: &scenarios::Scenario, job: &str) -> Option<u64> {
    let n_jobs = scenario.n_jobs();
    // The initial state's jobs come first; the workload's are numbered after them.
    let offset = scenario.initial.jobs.len() as u64;
    let id = match job.parse::<u64>() {
        Ok(id) => Some(id),
        Err(_) => match scenario.initial.jobs.iter().find(|j| j.name == job) {
            Some(initial) => Some(initial.id.0),
            None => match &scenario.workload {
                scenarios::Workload::Jobs(list) => {
                    list.iter().find(|j| j.name == job).map(|j| j.id.0 + offset)
                }
                scenarios::Workload::Synthetic(_) => job
                    .strip_prefix("job-")
                    .and_then(|n| n.parse::<u64>().ok())
                    .map(|n| n + offset),
            },
        },
    };
    id.filter(|id| *id < n_jobs)
}

pub use scenarios::simulate::{PlaneOptions, workload_target};

/// The control plane for a scenario, with its timeline, quotas, faults and defaults.
pub fn control_plane(
    scenario: &scenarios::Scenario,
    options: &PlaneOptions,
) -> Result<ControlPlane, RunError> {
    scenarios::simulate::control_plane(scenario, options)
        .map_err(|e| RunError::Internal(e.to_string()))
}

/// What `fleetsim compare` found.
#[derive(Clone, Debug)]
pub struct CompareOutcome {
    /// Every metric compared.
    pub comparisons: Vec<reports::compare::MetricComparison>,
    /// The terminal table.
    pub text: String,
    /// Some metric regressed.
    pub regressed: bool,
    /// What the reader must know before trusting the verdicts (seed noise).
    pub warnings: Vec<String>,
}

/// Which scenario a run folder ran: its name and the SHA-256 of its file, when `run.json`
/// records one.
fn scenario_identity(dir: &Path, summary: &reports::Summary) -> (String, Option<String>) {
    let hash = run_record::read_record(dir)
        .ok()
        .map(|r| r.scenario_sha256)
        .filter(|h| !h.is_empty());
    (summary.scenario.clone(), hash)
}

/// Refuses to compare runs of different scenarios (by name, and by content hash where both
/// record one), on either side or across them.
fn same_scenario(
    base: &Path,
    base_runs: &[reports::Summary],
    new: &Path,
    new_runs: &[reports::Summary],
) -> Result<(), RunError> {
    let dirs = |dir: &Path| reports::compare::run_dirs(dir).map_err(RunError::from);
    let mut seen: Vec<(PathBuf, (String, Option<String>))> = Vec::new();
    for (dir, runs) in [(base, base_runs), (new, new_runs)] {
        for (run_dir, summary) in dirs(dir)?.into_iter().zip(runs) {
            seen.push((run_dir.clone(), scenario_identity(&run_dir, summary)));
        }
    }
    let (first_dir, (first_name, first_hash)) = &seen[0];
    for (dir, (name, hash)) in &seen[1..] {
        let hashes_differ = matches!((first_hash, hash), (Some(a), Some(b)) if a != b);
        if name != first_name || hashes_differ {
            let describe = |name: &str, hash: &Option<String>| match hash {
                Some(h) => format!("{name:?} (sha256 {})", run_record::short(h)),
                None => format!("{name:?}"),
            };
            return Err(RunError::Output {
                path: dir.clone(),
                message: format!(
                    "ran scenario {}, but {} ran {}: these are different scenarios; pass \
                     --allow-different-scenarios to compare them anyway",
                    describe(name, hash),
                    first_dir.display(),
                    describe(first_name, first_hash)
                ),
            });
        }
    }
    Ok(())
}

/// Compares the runs in `base` and `new` (see `fleetsim compare --help`) and writes
/// `comparison.md` and `comparison.xml` into `out`.
pub fn compare_runs(
    base: &Path,
    new: &Path,
    thresholds: Option<&Path>,
    out: &Path,
    allow_different_scenarios: bool,
) -> Result<CompareOutcome, RunError> {
    use reports::compare;
    let base_runs = compare::load_runs(base)?;
    let new_runs = compare::load_runs(new)?;
    if !allow_different_scenarios {
        same_scenario(base, &base_runs, new, &new_runs)?;
    }
    let limits = match thresholds {
        None => compare::ThresholdsFile::default(),
        Some(file) => {
            let checked = scenarios::thresholds::load_thresholds(file)?;
            let known = compare::metric_names(base_runs.iter().chain(&new_runs));
            checked.check_names(known.iter().map(String::as_str))?;
            compare::ThresholdsFile {
                metrics: checked
                    .metrics
                    .into_iter()
                    .map(|m| {
                        let limit = compare::Threshold {
                            max_worse_pct: m.max_worse_pct,
                            max_worse: m.max_worse,
                        };
                        (m.name, limit)
                    })
                    .collect(),
                confidence: checked.confidence,
            }
        }
    };
    let comparisons = compare::compare(&base_runs, &new_runs, &limits);
    let fail = |e: std::io::Error| RunError::Output {
        path: out.to_owned(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(out).map_err(fail)?;
    let confidence = limits.confidence();
    let markdown =
        compare::render_markdown(&comparisons, base_runs.len(), new_runs.len(), confidence);
    for (name, text) in [
        ("comparison.md", markdown),
        ("comparison.xml", compare::render_junit(&comparisons)),
    ] {
        // Written whole or not at all: a temporary file renamed into place.
        let partial = out.join(format!(".{name}.partial"));
        std::fs::write(&partial, text).map_err(fail)?;
        std::fs::rename(&partial, out.join(name)).map_err(fail)?;
    }
    Ok(CompareOutcome {
        warnings: compare::noise_warnings(base_runs.len(), new_runs.len()),
        text: compare::render_text(&comparisons),
        regressed: comparisons.iter().any(|c| c.failed),
        comparisons,
    })
}

/// The names of the metrics `fleetsim compare` sees in a run folder (one run or
/// replications), in the order it compares them: what a thresholds file may name.
pub fn list_metrics(dir: &Path) -> Result<Vec<String>, RunError> {
    Ok(reports::compare::metric_names(
        &reports::compare::load_runs(dir)?,
    ))
}

/// Draws `figures/` and `report.html` again in a run folder (from its tables and
/// `summary.json`), an experiment folder (from its `means.csv`) or a sweep folder (from its
/// `stats.csv`), without re-simulating.
pub fn render_report(dir: &Path) -> Result<reports::Rendered, RunError> {
    if !dir.is_dir() {
        return Err(RunError::Output {
            path: dir.to_owned(),
            message: "not a folder".to_owned(),
        });
    }
    let rendered = if dir.join("experiment.json").is_file() {
        reports::render_experiment(dir)
    } else if dir.join("sweep.json").is_file() {
        reports::render_sweep(dir)
    } else {
        reports::render_run(dir)
    };
    rendered.map_err(|err| match err {
        reports::Error::Input { path, message } | reports::Error::Parquet { path, message } => {
            RunError::Output { path, message }
        }
        reports::Error::Csv { path, source } => RunError::Output {
            path,
            message: source.to_string(),
        },
        reports::Error::Io { path, source } => RunError::Output {
            path,
            message: source.to_string(),
        },
        other => RunError::Internal(other.to_string()),
    })
}

/// A sink for runs whose records nobody reads.
pub(crate) struct Discard;

impl sim_core::record::RecordSink for Discard {
    fn record(&mut self, _: sim_core::record::Record) {}
}

/// Runs every decision case in `dir` (see `fleetsim conformance --help`).
pub fn run_conformance(dir: &Path) -> Result<Vec<scenarios::conformance::CaseResult>, RunError> {
    Ok(scenarios::conformance::run_dir(dir)?)
}

/// Loads and validates a scenario without running it.
pub fn validate_scenario(path: &Path) -> Result<scenarios::Scenario, RunError> {
    validate_scenario_with(path, Registry::builtin_ref())
}

/// [`validate_scenario`] with plugin names checked against `plugins` (an unknown one is an
/// input error, exit code 2, listing the registered names).
pub fn validate_scenario_with(
    path: &Path,
    plugins: &Registry,
) -> Result<scenarios::Scenario, RunError> {
    Ok(scenarios::load_with(path, plugins)?)
}

/// Runs a scenario and writes `summary.json`, `run.json`, the tables (Parquet or CSV),
/// `figures/` and `report.html` into `config.out`. `progress` is called as the run advances.
pub fn run_scenario(
    config: &RunConfig,
    progress: &mut dyn FnMut(RunProgress),
) -> Result<RunOutcome, RunError> {
    run_scenario_with(config, Registry::builtin_ref(), progress)
}

/// [`run_scenario`] with the plugins the scenario names taken from `plugins`: the built-ins
/// and whatever a user of the library registered (see [`plugins`]).
pub fn run_scenario_with(
    config: &RunConfig,
    plugins: &Registry,
    progress: &mut dyn FnMut(RunProgress),
) -> Result<RunOutcome, RunError> {
    let scenario = scenarios::load_with(&config.scenario, plugins)?;
    run_loaded(&scenario, config, progress)
}

/// Runs a scenario `n` times with seeds `s, s + 1, …` (`s` the scenario's seed or
/// `config.seed`) into `config.out/seed-<seed>/`, each a run folder, with `replications.json`
/// beside them: the folder shape `fleetsim compare` reads as replications.
pub fn run_replications(
    config: &RunConfig,
    n: u32,
    progress: &mut dyn FnMut(RunProgress),
) -> Result<Vec<RunOutcome>, RunError> {
    run_replications_with(config, n, Registry::builtin_ref(), progress)
}

/// [`run_replications`] with the plugins the scenario names taken from `plugins`.
pub fn run_replications_with(
    config: &RunConfig,
    n: u32,
    plugins: &Registry,
    progress: &mut dyn FnMut(RunProgress),
) -> Result<Vec<RunOutcome>, RunError> {
    let scenario = scenarios::load_with(&config.scenario, plugins)?;
    let first = config.seed.unwrap_or(scenario.seed);
    let seeds: Vec<u64> = (0..u64::from(n)).map(|i| first + i).collect();
    let out = OutputDir::begin(&config.out)?;
    let mut outcomes = Vec::with_capacity(seeds.len());
    for (idx, &seed) in seeds.iter().enumerate() {
        let run = RunConfig {
            out: out.path().join(format!("seed-{seed}")),
            seed: Some(seed),
            quiet: config.quiet || idx > 0,
            overrides: run_record::Overrides {
                seed: Some(seed),
                ..config.overrides.clone()
            },
            ..config.clone()
        };
        outcomes.push(run_loaded(&scenario, &run, progress)?);
    }
    let marker = serde_json::json!({
        "scenario_file": config.scenario.display().to_string(),
        "scenario": scenario.name,
        "seeds": seeds,
    });
    let mut text =
        serde_json::to_vec_pretty(&marker).map_err(|e| RunError::Internal(e.to_string()))?;
    text.push(b'\n');
    std::fs::write(out.path().join("replications.json"), text).map_err(|e| RunError::Output {
        path: config.out.clone(),
        message: e.to_string(),
    })?;
    out.commit()?;
    Ok(outcomes)
}

/// Makes a run folder again from its `run.json`: the same scenario file (refused if its
/// content changed), seed and overrides, into `out` (the folder itself when `None`). Every
/// output is byte-identical to the first run's but `run.json`'s wall-clock figures.
pub fn run_again(
    dir: &Path,
    out: Option<&Path>,
    quiet: bool,
    progress: &mut dyn FnMut(RunProgress),
) -> Result<RunOutcome, RunError> {
    run_again_with(dir, out, quiet, Registry::builtin_ref(), progress)
}

/// [`run_again`] with the plugins of `plugins`, which the recorded scenario may name.
pub fn run_again_with(
    dir: &Path,
    out: Option<&Path>,
    quiet: bool,
    plugins: &Registry,
    progress: &mut dyn FnMut(RunProgress),
) -> Result<RunOutcome, RunError> {
    let record = run_record::read_record(dir)?;
    let scenario = run_record::unchanged_scenario(dir, &record)?;
    let overrides = record.overrides.clone();
    let config = RunConfig {
        scenario,
        out: out.unwrap_or(dir).to_owned(),
        seed: Some(record.seed),
        check_invariants: overrides.check_invariants,
        quiet,
        federation: match overrides.federation.as_deref() {
            None => None,
            Some("direct") => Some(scheduler::Federation::Direct(
                scheduler::DirectSubmission::RoundRobin,
            )),
            Some("karmada") => Some(scheduler::Federation::Karmada),
            Some(other) => {
                return Err(RunError::Output {
                    path: dir.join("run.json"),
                    message: format!(
                        "overrides.federation is {other:?}; expected karmada or direct"
                    ),
                });
            }
        },
        format: match overrides.format.as_deref() {
            None | Some("parquet") => reports::TableFormat::Parquet,
            Some("csv") => reports::TableFormat::Csv,
            Some(other) => {
                return Err(RunError::Output {
                    path: dir.join("run.json"),
                    message: format!("overrides.format is {other:?}; expected parquet or csv"),
                });
            }
        },
        overrides,
    };
    run_scenario_with(&config, plugins, progress)
}

/// [`run_scenario`] on a scenario already loaded (and possibly changed, as `fleetsim bench`
/// scales one); `config.scenario` is only reported in `run.json`.
pub fn run_loaded(
    scenario: &scenarios::Scenario,
    config: &RunConfig,
    progress: &mut dyn FnMut(RunProgress),
) -> Result<RunOutcome, RunError> {
    let federation = config
        .federation
        .as_ref()
        .unwrap_or(&scenario.scheduler.federation);
    let warnings = scenario.warnings_under(federation);
    if !config.quiet {
        for warning in &warnings {
            eprintln!("warning: {warning}");
        }
    }
    let seed = config.seed.unwrap_or(scenario.seed);
    let out = OutputDir::begin(&config.out)?;
    let internal = |err: &dyn std::fmt::Display| RunError::Internal(err.to_string());

    let mut control = control_plane(
        scenario,
        &PlaneOptions {
            federation: config.federation.clone(),
            seed: Some(seed),
            check_invariants: config.check_invariants,
            explain: None,
        },
    )?;
    let mut writer = reports::BackgroundWriter::spawn(
        reports::RunWriter::create(
            out.path(),
            &scenario.world,
            &reports::WriterConfig {
                format: config.format,
                balance_by: scenario.balance_by.as_deref(),
            },
        )
        .map_err(|e| internal(&e))?,
    );
    let jobs = scenario
        .jobs(RngStreams::new(seed))
        .map(Ok::<_, std::convert::Infallible>);
    let total = scenario.n_jobs();
    let started = Instant::now();
    let engine_config = EngineConfig {
        horizon: scenario.horizon,
        progress_every: PROGRESS_EVERY,
    };
    let stats = engine::run(
        &engine_config,
        jobs,
        &mut control,
        &mut writer,
        &mut |p: Progress| progress(run_progress(p, total)),
    )
    .map_err(|e| internal(&e))?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let summary = writer
        .finish(&reports::RunMeta {
            scenario: scenario.name.clone(),
            seed,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            horizon: scenario.horizon,
            end: stats.end,
        })
        .map_err(|e| internal(&e))?;
    let record = run_record::RunRecord {
        scenario_file: config.scenario.display().to_string(),
        scenario: scenario.name.clone(),
        // A scenario changed in memory (`fleetsim bench` scales one) has no file of its own.
        scenario_sha256: run_record::file_sha256(&config.scenario).unwrap_or_default(),
        seed,
        overrides: config.overrides.clone(),
        wall_seconds: (wall_seconds * 1000.0).round() / 1000.0,
        events: stats.n_events,
        events_per_second: (stats.n_events as f64 / wall_seconds.max(1e-9)).round(),
        jobs: stats.n_arrived,
        peak_rss_mib: bench::peak_rss_mib(),
        warnings,
    };
    let mut run_json = serde_json::to_vec_pretty(&record).map_err(|e| internal(&e))?;
    run_json.push(b'\n');
    std::fs::write(out.path().join("run.json"), run_json).map_err(|e| internal(&e))?;
    reports::render_run(out.path()).map_err(|e| internal(&e))?;
    out.commit()?;
    Ok(RunOutcome {
        summary,
        stats,
        wall_seconds,
    })
}

/// `fleetsim import`: reads the snapshot folder `snapshot` and writes its scenario to `out`,
/// only once it validates (beside `out` first, so that its includes resolve as they will).
pub fn import_snapshot(
    snapshot: &Path,
    out: &Path,
    name: Option<String>,
) -> Result<scenarios::import::Imported, RunError> {
    let name = name.unwrap_or_else(|| {
        snapshot.file_name().map_or_else(
            || "imported".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
    });
    let dir = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| RunError::Output {
        path: dir.clone(),
        message: e.to_string(),
    })?;
    let mut imported = scenarios::import::import_snapshot(snapshot, &name, &dir)?;
    let file = out
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let staged = dir.join(format!(".{file}.partial-{}", std::process::id()));
    sweep::store::write_atomically(&staged, imported.scenario.as_bytes())?;
    match validate_scenario(&staged) {
        Ok(scenario) => imported.warnings.extend(scenario.warnings),
        Err(err) => {
            let _ = std::fs::remove_file(&staged);
            return Err(err);
        }
    }
    std::fs::rename(&staged, out).map_err(|e| RunError::Output {
        path: out.to_owned(),
        message: e.to_string(),
    })?;
    Ok(imported)
}
