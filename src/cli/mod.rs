//! Command-line parsing: clap structs, resolved once into the library's configs.

mod inputs;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use progress::Progress;

/// fleetsim: a discrete-event simulator and capacity planner for multi-cluster GPU fleets
/// federated by Karmada.
#[derive(Debug, Parser)]
#[command(name = "fleetsim", version, about, long_about = None)]
pub struct Cli {
    /// Prints nothing but errors (and, for `conformance`, the failing cases).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--seed`, on the commands whose results depend on it.
#[derive(Debug, Args)]
pub struct SeedArg {
    /// Overrides the seed of the scenario (or of the study).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// `--threads`, on the commands that run several simulations at once.
#[derive(Debug, Args)]
pub struct ThreadsArg {
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub threads: Option<u64>,
}

/// `--progress-every`, on the commands that report progress.
#[derive(Debug, Args)]
pub struct ProgressArg {
    /// When stderr is not a terminal (a CI or batch job's log), how often to print a progress
    /// line (e.g. 30s, 5m); on a terminal a bar is drawn instead.
    #[arg(long, value_parser = parse_interval, default_value = "30s")]
    pub progress_every: std::time::Duration,
}

/// The flags of commands that run a study of many simulations (`sweep`, `plan`).
#[derive(Debug, Args)]
pub struct StudyArgs {
    #[command(flatten)]
    seed: SeedArg,
    #[command(flatten)]
    threads: ThreadsArg,
    #[command(flatten)]
    progress: ProgressArg,
}

/// The subcommands.
/// `fleetsim run`'s arguments.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario file (YAML).
    #[arg(required_unless_present = "again")]
    pub scenario: Option<PathBuf>,
    /// The output folder; written whole or not at all (with --again: default the run folder
    /// itself).
    #[arg(long, required_unless_present = "again")]
    pub out: Option<PathBuf>,
    /// Makes this run folder again from its run.json: the same scenario file (refused if it
    /// changed since), seed and overrides; every output but run.json's timings byte-identical.
    #[arg(long, value_name = "RUNDIR", conflicts_with_all = ["scenario", "check_invariants", "federation", "format", "seed", "replications"])]
    pub again: Option<PathBuf>,
    /// Runs the scenario N times with seeds s, s+1, … into --out/seed-<seed>/: the folder
    /// shape `fleetsim compare` reads as replications.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub replications: Option<u32>,
    /// Checks the model's invariants after every event (slower; on by default in debug builds).
    #[arg(long)]
    pub check_invariants: bool,
    /// Runs the scenario through Karmada (`karmada`) or as the world before federation,
    /// teams submitting round robin to member clusters (`direct`); default: the scenario's.
    #[arg(long, value_parser = ["karmada", "direct"])]
    pub federation: Option<String>,
    /// Writes the tables as Parquet (the default) or CSV.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub seed: SeedArg,
    #[command(flatten)]
    pub progress: ProgressArg,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs a scenario and writes its results into a folder.
    #[command(
        after_help = "Example:\n  fleetsim run examples/scenarios/quickstart.yaml --out out/quickstart"
    )]
    Run(RunArgs),
    /// Runs a folder of conformance cases (scheduling decisions, or timelines of a small
    /// scenario) and compares each with its expected answer.
    #[command(
        after_help = "Prints `ok NAME` or `FAIL NAME: expected ..., got ...` per case and ends with `N passed, M failed`.\nExit code 0 when all pass, 1 when one fails, 2 when a case cannot be read.\nThe case format is in docs/conformance.md.\n\nExamples:\n  fleetsim conformance tests/conformance\n  fleetsim conformance tests/conformance/timeline"
    )]
    Conformance {
        /// The folder of case files (`*.yaml`).
        dir: PathBuf,
    },
    /// Tells what happened to one job: every filter, score and estimator answer per attempt, the
    /// division, and where its pods went.
    #[command(
        after_help = "Example:\n  fleetsim explain examples/scenarios/karmada-policies.yaml --job 42 --at 2d"
    )]
    Explain {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// The job's id (its position in the workload, from 0) or its name.
        #[arg(long)]
        job: String,
        /// Show what happened up to this simulated time (e.g. 6h, 2d).
        #[arg(long, value_parser = parse_time)]
        at: Option<sim_core::SimTime>,
        #[command(flatten)]
        seed: SeedArg,
        #[command(flatten)]
        progress: ProgressArg,
    },
    /// Compares two runs metric by metric and fails on a regression: for CI.
    #[command(
        after_help = "Each folder holds one run (summary.json) or several replications (sub-folders with a summary.json each);\nwith replications on both sides, means are compared and only a significant regression fails.\nDefault thresholds: gpu_utilization.overall down > 1 point, waiting_s.p95, waiting_s.mean and jct_s.mean up > 5 % (and > 1 s),\nany new unschedulable job. Writes comparison.md (a pull-request comment) and comparison.xml (JUnit) into --out.\nExit code 0 when nothing regressed, 1 when a metric did, 2 for unreadable input.\n\nExample:\n  fleetsim compare baseline/ out/candidate --thresholds ci/thresholds.yaml --out out/compare"
    )]
    Compare {
        /// The baseline run folder.
        #[arg(required_unless_present = "list_metrics")]
        base: Option<PathBuf>,
        /// The run folder to check.
        #[arg(required_unless_present = "list_metrics")]
        new: Option<PathBuf>,
        /// Prints the names of the metrics of this run folder (what a thresholds file may
        /// name) and exits.
        #[arg(long, value_name = "RUN", conflicts_with_all = ["base", "new", "thresholds"])]
        list_metrics: Option<PathBuf>,
        /// YAML thresholds: `metrics: {waiting_s.p95: {max_worse_pct: 5, max_worse: 60}}`.
        #[arg(long)]
        thresholds: Option<PathBuf>,
        /// Where comparison.md and comparison.xml go.
        #[arg(long, default_value = "comparison")]
        out: PathBuf,
        /// Compares runs of different scenarios (by name, or by the content hash run.json
        /// records), which is otherwise refused.
        #[arg(long)]
        allow_different_scenarios: bool,
    },
    /// Runs an experiment: a grid of simulations in parallel, one folder of tables.
    #[command(subcommand)]
    Experiment(ExperimentCommand),
    /// Draws a run's figures and report.html again from its tables, without re-simulating;
    /// on an experiment folder, its policy curves; on a sweep folder, its metrics against its
    /// axes.
    #[command(
        after_help = "Reads summary.json, run.json and the tables (Parquet or CSV) of a run folder, means.csv,\nruns.csv and experiment.json of an experiment folder, or stats.csv and sweep.json of a sweep folder; writes figures/*.svg and report.html into it, each whole.\nExit code 2 when a file is missing or unreadable.\n\nExample:\n  fleetsim report out/quickstart"
    )]
    Report {
        /// The run or experiment folder.
        dir: PathBuf,
    },
    /// Runs every cell of a sweep (a base scenario and axes of changes) with several seeds, in
    /// parallel; resumes where a previous run of the same sweep stopped.
    #[command(
        after_help = "Writes into --out: sweep.json, runs/ (one file per finished run), cells.parquet (one row per cell and\nreplication), stats.csv (mean, sd and 95 % interval per cell and metric), figures/, report.html, run.json.\nRunning it again on the same folder runs only what is missing. --shard I/N runs every N-th run\n(docs/scale-out.md); `fleetsim merge` combines the shards. --threads sets the worker threads (default: all cores).\n\nExample:\n  fleetsim sweep examples/sweeps/h100-growth.yaml --out out/h100-growth"
    )]
    Sweep {
        /// The sweep file (YAML, docs/sweeps.md).
        file: PathBuf,
        /// The sweep folder: created, or resumed when it holds the same sweep.
        #[arg(long)]
        out: PathBuf,
        /// Runs only shard I of N: the runs k with k mod N = I − 1.
        #[arg(long, value_parser = parse_shard)]
        shard: Option<fleetsim::sweep::Shard>,
        /// Stops after this many runs, as an interruption would (for testing resumption).
        #[arg(long, hide = true)]
        stop_after: Option<u64>,
        #[command(flatten)]
        study: StudyArgs,
    },
    /// Combines the folders of a sweep's shards into the folder one unsharded run writes.
    #[command(
        after_help = "Every folder must hold a finished shard of the same sweep, and together they must hold every run once.\n\nExample:\n  fleetsim merge out/shard-1 out/shard-2 --out out/h100-growth"
    )]
    Merge {
        /// The shard folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The merged folder; written whole or not at all.
        #[arg(long)]
        out: PathBuf,
    },
    /// Finds the cheapest change (nodes added, quota set) that meets a service objective under
    /// every condition.
    #[command(
        after_help = "Writes into --out: plan.json (the recommendation, the objective at it and one step below it),\nrecommendation.txt (what is printed, the answer first), report.html (the same as a page), points.csv (every point evaluated), runs.parquet (every run behind them), run.json.\n\nExample:\n  fleetsim plan examples/plans/federated-quota.yaml --out out/federated-quota"
    )]
    Plan {
        /// The plan file (YAML, docs/sweeps.md).
        file: PathBuf,
        /// The output folder; written whole or not at all.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        study: StudyArgs,
    },
    /// Checks a scenario and everything it refers to, without running it.
    #[command(after_help = "Example:\n  fleetsim validate examples/scenarios/quickstart.yaml")]
    Validate {
        /// The scenario file (YAML).
        scenario: PathBuf,
    },
    /// Turns a snapshot of a real fleet (`kubectl get nodes -o yaml` per member cluster, and
    /// Karmada's `Cluster` objects) into a scenario: identical nodes become node pools.
    #[command(
        after_help = "The snapshot folder holds one sub-folder (or file) per member cluster, named after it, with its\nNode objects; a sub-folder `karmada` holds the control plane's Cluster objects. Files are YAML or JSON,\nsingle objects, several documents or Lists, as kubectl prints them (docs/import.md).\nPrints what was read, modelled and skipped per kind. The written scenario validates as it is;\nits workload is a placeholder to replace.\n\nExample:\n  fleetsim import examples/snapshots/three-clusters --out imported.yaml"
    )]
    Import {
        /// The snapshot folder.
        snapshot: PathBuf,
        /// The scenario file to write.
        #[arg(long)]
        out: PathBuf,
        /// The scenario's name (default: the snapshot folder's name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Will these jobs fit, where, and when? Submits workload manifests at time 0 into the
    /// scenario's initial state, over replications.
    #[command(
        after_help = "Prints, per job, Karmada's decision as `explain` shows it, the cluster picked, and the start time\n(p10/p50/p90 over the replications). Manifests: Deployment, StatefulSet, Job, PyTorchJob, MPIJob, TFJob,\nVolcano Job or Pod; run time from the annotation fleetsim.io/runtime, else --runtime.\n\nExample:\n  fleetsim forecast out/three-clusters.yaml examples/snapshots/new-job.yaml"
    )]
    Forecast(inputs::ForecastArgs),
    /// Measures how wall time and peak memory grow with jobs and with nodes: runs the scenario
    /// with each job count, then scaled to each node count at the same load.
    #[command(
        after_help = "Each run writes its full outputs (tables, figures, report) to a scratch folder that is then deleted.
Prints a Markdown table: wall time, events/s, jobs/s, µs per job and peak resident memory per run,
and the time per job of each fleet size against the smallest (docs/performance.md).

Example:
  fleetsim bench examples/scenarios/fleet-1m.yaml --jobs 100000,1000000 --nodes 1000,10000"
    )]
    Bench {
        /// The base scenario (YAML) with a synthetic workload.
        #[arg(default_value = "examples/scenarios/fleet-1m.yaml")]
        scenario: PathBuf,
        /// Job counts to run on the scenario's fleet.
        #[arg(long, value_delimiter = ',', default_value = "100000,1000000,10000000")]
        jobs: Vec<u64>,
        /// Node counts to scale the fleet to (arrival rate and quotas scaled alike), with the
        /// scenario's job count.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
        nodes: Vec<u64>,
        /// Where the runs write their outputs meanwhile (default: the system's temporary folder).
        #[arg(long)]
        scratch: Option<PathBuf>,
        #[command(flatten)]
        progress: ProgressArg,
    },
}

/// Table formats of `fleetsim run`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// jobs.parquet, timeline.parquet, quota.parquet, events.parquet, queue.parquet.
    Parquet,
    /// The same tables as CSV files.
    Csv,
}

/// The experiments.
#[derive(Debug, Subcommand)]
pub enum ExperimentCommand {
    /// The GPU fragmentation study of the FGD paper (ATC '23): each pod list inflated to a
    /// share of the openb cluster's GPUs, placed by each policy with each seed.
    #[command(
        after_help = "Writes allocation.csv (workload,policy,seed,arrived_pct,gpu_allocation_pct), means.csv (over seeds),\nfragmentation.csv, runs.csv, experiment.json, tables.md (the study's tables in Markdown),\nfigures/policy-curves-WORKLOAD.svg and report.html. `--seed` runs one seed only.\n\nExample:\n  fleetsim experiment fragmentation examples/experiments/fragmentation.yaml --out out/fragmentation"
    )]
    Fragmentation {
        /// The experiment file (YAML).
        file: PathBuf,
        /// The output folder; written whole or not at all.
        #[arg(long)]
        out: PathBuf,
        /// Runs this one seed instead of the experiment's list.
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        threads: ThreadsArg,
        #[command(flatten)]
        progress: ProgressArg,
    },
}

fn parse_time(text: &str) -> Result<sim_core::SimTime, String> {
    sim_core::Duration::parse(text)
        .map(|d| sim_core::SimTime(d.as_millis()))
        .map_err(|e| e.to_string())
}

fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    sim_core::Duration::parse(text)
        .map(|d| std::time::Duration::from_millis(d.as_millis()))
        .map_err(|e| e.to_string())
}

/// The bar of commands that run many simulations.
const RUNS_BAR: &str = "{bar:40} {pos}/{len} runs, {elapsed}, {eta} left";

/// The bar of one simulation.
const JOBS_BAR: &str = "{prefix} {bar:40} {pos}/{len} jobs arrived, {elapsed}";

fn parse_shard(text: &str) -> Result<fleetsim::sweep::Shard, String> {
    fleetsim::sweep::Shard::parse(text)
}

/// Sets the global rayon pool's size, for commands that use it directly.
fn set_threads(threads: &ThreadsArg) {
    if let Some(threads) = threads.threads {
        // Only fails if a pool exists already, which it cannot this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads as usize)
            .build_global();
    }
}

/// The progress of a command that runs many simulations: runs done of the total.
fn runs_progress(quiet: bool, every: &ProgressArg) -> Progress {
    Progress::new(quiet, every.progress_every, RUNS_BAR, "runs")
}

/// The progress of one simulation: jobs arrived, and the simulated time.
fn jobs_progress(quiet: bool, every: &ProgressArg) -> Progress {
    Progress::new(quiet, every.progress_every, JOBS_BAR, "jobs arrived")
}

fn run_sweep(
    config: &fleetsim::sweep::SweepConfig,
    quiet: bool,
    every: &ProgressArg,
) -> Result<(), fleetsim::RunError> {
    let progress = runs_progress(quiet, every);
    let outcome =
        fleetsim::sweep::run_sweep(config, &|done, total| progress.update(done, total, None));
    progress.finish();
    let outcome = outcome?;
    if quiet {
        return Ok(());
    }
    let runs = format!(
        "{} runs: {} run now, {} done before; {} threads, {:.1} s",
        outcome.n_owned,
        outcome.n_executed,
        outcome.n_reused,
        outcome.threads,
        outcome.wall_seconds
    );
    if !outcome.complete {
        println!(
            "stopped in {} ({runs}); run the same command again to finish",
            outcome.out.display()
        );
    } else if config.shard.count > 1 {
        println!(
            "shard {}/{} in {}: cells.parquet, runs/ ({runs}); combine the shards with fleetsim merge",
            config.shard.index,
            config.shard.count,
            outcome.out.display()
        );
    } else {
        println!(
            "results in {}: cells.parquet, stats.csv, report.html, figures/ ({} cells, {runs})",
            outcome.out.display(),
            outcome.n_cells
        );
    }
    Ok(())
}

fn run_plan(
    config: &fleetsim::plan::PlanConfig,
    quiet: bool,
    every: &ProgressArg,
) -> Result<(), fleetsim::RunError> {
    let progress = Progress::new(
        quiet,
        every.progress_every,
        "{spinner} {msg}, {elapsed}",
        "",
    );
    let outcome = fleetsim::plan::run_plan(config, &|points, runs| {
        progress.message(&format!("{points} points evaluated, {runs} runs"));
    });
    progress.finish();
    let outcome = outcome?;
    if !quiet {
        print!("{}", outcome.text);
        println!(
            "results in {}: plan.json, recommendation.txt, report.html, figures/plan.svg, points.csv, runs.parquet",
            config.out.display()
        );
    }
    Ok(())
}

fn run_fragmentation(
    file: &std::path::Path,
    out: &std::path::Path,
    seed: Option<u64>,
    quiet: bool,
    every: &ProgressArg,
) -> Result<(), fleetsim::RunError> {
    let experiment = scenarios::experiment::load_experiment(file)?;
    let started = std::time::Instant::now();
    let progress = runs_progress(quiet, every);
    let outcome =
        fleetsim::experiment::run_fragmentation(&experiment, out, seed, &|done, total| {
            progress.update(done, total, None)
        });
    progress.finish();
    let outcome = outcome?;
    if !quiet {
        println!(
            "results in {}: allocation.csv, means.csv, fragmentation.csv, runs.csv, tables.md, report.html, figures/ ({} runs; {:.1} s)",
            out.display(),
            outcome.cells.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn config_format_name(format: Format) -> &'static str {
    match format {
        Format::Parquet => "Parquet",
        Format::Csv => "CSV",
    }
}

/// `fleetsim compare`, or `--list-metrics`.
fn compare(
    base: Option<PathBuf>,
    new: Option<PathBuf>,
    list_metrics: Option<PathBuf>,
    thresholds: Option<PathBuf>,
    (out, allow_different_scenarios): (PathBuf, bool),
    quiet: bool,
) -> Result<ExitCode, fleetsim::RunError> {
    if let Some(run) = list_metrics {
        for name in fleetsim::list_metrics(&run)? {
            println!("{name}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    // clap requires both without --list-metrics.
    let (Some(base), Some(new)) = (base, new) else {
        return Err(fleetsim::RunError::Internal(
            "compare needs BASE and NEW".to_owned(),
        ));
    };
    let outcome = fleetsim::compare_runs(
        &base,
        &new,
        thresholds.as_deref(),
        &out,
        allow_different_scenarios,
    )?;
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    if !quiet {
        print!("{}", outcome.text);
    }
    Ok(if outcome.regressed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `fleetsim run`.
fn run(args: RunArgs, quiet: bool) -> Result<(), fleetsim::RunError> {
    let RunArgs {
        scenario,
        out,
        again,
        replications,
        check_invariants,
        federation,
        format,
        seed,
        progress: every,
    } = args;
    let progress = jobs_progress(quiet, &every);
    let mut on_progress =
        |p: fleetsim::RunProgress| progress.update(p.arrived, p.total, Some(p.now));
    if let Some(dir) = again {
        let outcome = fleetsim::run_again(&dir, out.as_deref(), quiet, &mut on_progress);
        progress.finish();
        let target = out.unwrap_or(dir);
        report_run(&target, &outcome?, quiet);
        return Ok(());
    }
    // clap requires both without --again.
    let (Some(scenario), Some(out)) = (scenario, out) else {
        return Err(fleetsim::RunError::Internal(
            "run needs SCENARIO and --out".to_owned(),
        ));
    };
    let overrides = fleetsim::run_record::Overrides {
        seed: seed.seed,
        federation: federation.clone(),
        format: format.map(|f| config_format_name(f).to_lowercase()),
        check_invariants: check_invariants.then_some(true),
    };
    let config = fleetsim::RunConfig {
        scenario,
        out,
        seed: seed.seed,
        check_invariants: check_invariants.then_some(true),
        quiet,
        federation: federation.map(|f| match f.as_str() {
            "direct" => scheduler::Federation::Direct(scheduler::DirectSubmission::RoundRobin),
            _ => scheduler::Federation::Karmada,
        }),
        format: match format.unwrap_or(Format::Parquet) {
            Format::Parquet => reports::TableFormat::Parquet,
            Format::Csv => reports::TableFormat::Csv,
        },
        overrides,
    };
    if let Some(n) = replications {
        let outcomes = fleetsim::run_replications(&config, n, &mut on_progress);
        progress.finish();
        let outcomes = outcomes?;
        if !quiet {
            println!(
                "{} replications in {}: seed-*/ (one run folder each), replications.json",
                outcomes.len(),
                config.out.display()
            );
        }
        return Ok(());
    }
    let outcome = fleetsim::run_scenario(&config, &mut on_progress);
    progress.finish();
    report_run(&config.out, &outcome?, quiet);
    Ok(())
}

/// The line `fleetsim run` prints about a finished run.
fn report_run(out: &std::path::Path, outcome: &fleetsim::RunOutcome, quiet: bool) {
    if quiet {
        return;
    }
    let jobs = &outcome.summary.jobs;
    let tables = if out.join("jobs.csv").is_file() {
        "CSV"
    } else {
        "Parquet"
    };
    println!(
        "results in {}: summary.json, report.html, figures/, {tables} tables ({} jobs: {} completed, {} running, {} queued, {} unschedulable, {} unmatched; GPU utilization {:.1}%; {:.2} s)",
        out.display(),
        jobs.submitted,
        jobs.completed,
        jobs.running,
        jobs.queued,
        jobs.unschedulable,
        jobs.unmatched,
        outcome.summary.gpu_utilization.overall * 100.0,
        outcome.wall_seconds,
    );
}

/// `fleetsim explain`: prints the job's story.
fn explain(
    config: &fleetsim::ExplainConfig,
    quiet: bool,
    every: &ProgressArg,
) -> Result<(), fleetsim::RunError> {
    let progress = jobs_progress(quiet, every);
    let explained = fleetsim::explain_job(config, &mut |p| {
        progress.update(p.arrived, p.total, Some(p.now))
    });
    progress.finish();
    explained.map(|explained| print!("{}", explained.text))
}

/// `fleetsim bench`: a line per variant on stderr as it finishes, the table on stdout.
fn bench(
    config: &fleetsim::bench::BenchConfig,
    quiet: bool,
    every: &ProgressArg,
) -> Result<(), fleetsim::RunError> {
    let progress = jobs_progress(quiet, every);
    let rows = fleetsim::bench::run_bench(
        config,
        &mut |variant| progress.set_label(variant),
        &mut |p| progress.update(p.arrived, p.total, Some(p.now)),
        &mut |row| {
            if !quiet {
                eprintln!(
                    "{}: {:.2} s, {} MiB",
                    row.variant,
                    row.wall_s,
                    row.peak_rss_mib
                        .map_or_else(|| "?".to_owned(), |m| format!("{m:.0}"))
                );
            }
        },
    );
    progress.finish();
    rows.map(|rows| print!("{}", fleetsim::bench::render_table(&rows)))
}

/// `fleetsim merge`: sweep shards into one folder.
fn merge(dirs: &[PathBuf], out: &std::path::Path, quiet: bool) -> Result<(), fleetsim::RunError> {
    let outcome = fleetsim::sweep::merge_sweeps(dirs, out)?;
    if !quiet {
        println!(
            "results in {}: cells.parquet, stats.csv, report.html, figures/ ({} cells, {} runs from {} folders)",
            out.display(),
            outcome.n_cells,
            outcome.n_runs,
            dirs.len()
        );
    }
    Ok(())
}

/// Runs the parsed command line and returns the process exit code.
pub fn dispatch(cli: Cli) -> ExitCode {
    let quiet = cli.quiet;
    let result = match cli.command {
        Command::Compare {
            base,
            new,
            list_metrics,
            thresholds,
            out,
            allow_different_scenarios,
        } => match compare(
            base,
            new,
            list_metrics,
            thresholds,
            (out, allow_different_scenarios),
            quiet,
        ) {
            Ok(code) => return code,
            Err(err) => Err(err),
        },
        Command::Experiment(ExperimentCommand::Fragmentation {
            file,
            out,
            seed,
            threads,
            progress,
        }) => {
            set_threads(&threads);
            run_fragmentation(&file, &out, seed, quiet, &progress)
        }
        Command::Explain {
            scenario,
            job,
            at,
            seed,
            progress,
        } => explain(
            &fleetsim::ExplainConfig {
                scenario,
                job,
                at,
                seed: seed.seed,
            },
            quiet,
            &progress,
        ),
        Command::Conformance { dir } => match inputs::conformance(&dir, quiet) {
            Ok(code) => return code,
            Err(err) => Err(err),
        },
        Command::Report { dir } => fleetsim::render_report(&dir).map(|rendered| {
            if !quiet {
                println!(
                    "{} and {} figures in {}",
                    rendered.report.display(),
                    rendered.figures.len(),
                    dir.join("figures").display()
                );
            }
        }),
        Command::Bench {
            scenario,
            jobs,
            nodes,
            scratch,
            progress,
        } => bench(
            &fleetsim::bench::BenchConfig {
                scenario,
                jobs,
                nodes,
                scratch: scratch.unwrap_or_else(std::env::temp_dir),
            },
            quiet,
            &progress,
        ),
        Command::Sweep {
            file,
            out,
            shard,
            stop_after,
            study,
        } => run_sweep(
            &fleetsim::sweep::SweepConfig {
                file,
                out,
                seed: study.seed.seed,
                threads: study.threads.threads.map(|t| t as usize),
                shard: shard.unwrap_or(fleetsim::sweep::Shard::ALL),
                stop_after,
            },
            quiet,
            &study.progress,
        ),
        Command::Merge { dirs, out } => merge(&dirs, &out, quiet),
        Command::Plan { file, out, study } => run_plan(
            &fleetsim::plan::PlanConfig {
                file,
                out,
                seed: study.seed.seed,
                threads: study.threads.threads.map(|t| t as usize),
            },
            quiet,
            &study.progress,
        ),
        Command::Validate { scenario } => inputs::validate(&scenario, quiet),
        Command::Import {
            snapshot,
            out,
            name,
        } => inputs::import(&snapshot, &out, name, quiet),
        Command::Forecast(args) => inputs::forecast(args),
        Command::Run(args) => run(args, quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
