//! Command-line parsing: clap structs, resolved once into the library's configs.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

/// fleetsim: a discrete-event simulator and capacity planner for multi-cluster GPU fleets
/// federated by Karmada.
#[derive(Debug, Parser)]
#[command(name = "fleetsim", version, about, long_about = None)]
pub struct Cli {
    /// Overrides the scenario's seed.
    #[arg(long, global = true)]
    pub seed: Option<u64>,
    /// Worker threads for commands that run several simulations at once (default: all cores).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Prints nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs a scenario and writes its results into a folder.
    #[command(
        after_help = "Example:\n  fleetsim run examples/scenarios/quickstart.yaml --out out/quickstart"
    )]
    Run {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// The output folder; written whole or not at all.
        #[arg(long)]
        out: PathBuf,
        /// Checks the model's invariants after every event (slower; on by default in debug builds).
        #[arg(long)]
        check_invariants: bool,
        /// Runs the scenario through Karmada (`karmada`) or as the world before federation,
        /// teams submitting round robin to member clusters (`direct`); default: the scenario's.
        #[arg(long, value_parser = ["karmada", "direct"])]
        federation: Option<String>,
        /// Writes the tables as Parquet (default) or CSV.
        #[arg(long, value_enum, default_value_t = Format::Parquet)]
        format: Format,
    },
    /// Runs a folder of scheduling decision cases and compares each with its expected answer.
    #[command(
        after_help = "Prints `ok NAME` or `FAIL NAME: expected ..., got ...` per case and ends with `N passed, M failed`.\nExit code 0 when all pass, 1 when one fails, 2 when a case cannot be read.\n\nExample:\n  fleetsim conformance tests/conformance"
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
    },
    /// Compares two runs metric by metric and fails on a regression: for CI.
    #[command(
        after_help = "Each folder holds one run (summary.json) or several replications (sub-folders with a summary.json each);\nwith replications on both sides, means are compared and only a significant regression fails.\nDefault thresholds: gpu_utilization.overall down > 1 point, waiting_s.p95, waiting_s.mean and jct_s.mean up > 5 % (and > 1 s),\nany new unschedulable job. Writes comparison.md (a pull-request comment) and comparison.xml (JUnit) into --out.\nExit code 0 when nothing regressed, 1 when a metric did, 2 for unreadable input.\n\nExample:\n  fleetsim compare baseline/ out/candidate --thresholds ci/thresholds.yaml --out out/compare"
    )]
    Compare {
        /// The baseline run folder.
        base: PathBuf,
        /// The run folder to check.
        new: PathBuf,
        /// YAML thresholds: `metrics: {waiting_s.p95: {max_worse_pct: 5, max_worse: 60}}`.
        #[arg(long)]
        thresholds: Option<PathBuf>,
        /// Where comparison.md and comparison.xml go.
        #[arg(long, default_value = "comparison")]
        out: PathBuf,
    },
    /// Runs an experiment: a grid of simulations in parallel, one folder of tables.
    #[command(subcommand)]
    Experiment(ExperimentCommand),
    /// Draws a run's figures and report.html again from its tables, without re-simulating;
    /// on an experiment folder, its policy curves.
    #[command(
        after_help = "Reads summary.json, run.json and the tables (Parquet or CSV) of a run folder, or means.csv and\nexperiment.json of an experiment folder; writes figures/*.svg and report.html into it, each whole.\nExit code 2 when a file is missing or unreadable.\n\nExample:\n  fleetsim report out/quickstart"
    )]
    Report {
        /// The run or experiment folder.
        dir: PathBuf,
    },
    /// Checks a scenario and everything it refers to, without running it.
    #[command(after_help = "Example:\n  fleetsim validate examples/scenarios/quickstart.yaml")]
    Validate {
        /// The scenario file (YAML).
        scenario: PathBuf,
    },
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
        after_help = "Writes allocation.csv (workload,policy,seed,arrived_pct,gpu_allocation_pct), means.csv (over seeds),\nfragmentation.csv, runs.csv, experiment.json, figures/policy-curves-WORKLOAD.svg and report.html. `--seed` runs one seed only.\n\nExample:\n  fleetsim experiment fragmentation examples/experiments/fragmentation.yaml --out out/fragmentation"
    )]
    Fragmentation {
        /// The experiment file (YAML).
        file: PathBuf,
        /// The output folder; written whole or not at all.
        #[arg(long)]
        out: PathBuf,
    },
}

fn parse_time(text: &str) -> Result<sim_core::SimTime, String> {
    sim_core::Duration::parse(text)
        .map(|d| sim_core::SimTime(d.as_millis()))
        .map_err(|e| e.to_string())
}

fn run_fragmentation(
    file: &std::path::Path,
    out: &std::path::Path,
    seed: Option<u64>,
    quiet: bool,
) -> Result<(), fleetsim::RunError> {
    let experiment = scenarios::experiment::load_experiment(file)?;
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {elapsed}, {eta} left")
                .expect("static template"),
        );
        bar
    });
    let started = std::time::Instant::now();
    let outcome =
        fleetsim::experiment::run_fragmentation(&experiment, out, seed, &|done, total| {
            if let Some(bar) = &bar {
                bar.set_length(total);
                bar.set_position(done);
            }
        });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let outcome = outcome?;
    if !quiet {
        println!(
            "results in {}: allocation.csv, means.csv, fragmentation.csv, runs.csv, report.html, figures/ ({} runs; {:.1} s)",
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

/// Runs the parsed command line and returns the process exit code.
pub fn dispatch(cli: Cli) -> ExitCode {
    let quiet = cli.quiet;
    if let Some(threads) = cli.threads {
        // Only fails if a pool exists already, which it cannot this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global();
    }
    let result = match cli.command {
        Command::Compare {
            base,
            new,
            thresholds,
            out,
        } => match fleetsim::compare_runs(&base, &new, thresholds.as_deref(), &out) {
            Ok(outcome) => {
                if !quiet {
                    print!("{}", outcome.text);
                }
                return if outcome.regressed {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                };
            }
            Err(err) => Err(err),
        },
        Command::Experiment(ExperimentCommand::Fragmentation { file, out }) => {
            run_fragmentation(&file, &out, cli.seed, quiet)
        }
        Command::Explain { scenario, job, at } => {
            let config = fleetsim::ExplainConfig {
                scenario,
                job,
                at,
                seed: cli.seed,
            };
            fleetsim::explain_job(&config).map(|text| print!("{text}"))
        }
        Command::Conformance { dir } => match fleetsim::run_conformance(&dir) {
            Ok(results) => {
                for result in &results {
                    if !quiet || !result.passed() {
                        println!("{}", result.line());
                    }
                }
                println!("{}", scenarios::conformance::summary_line(&results));
                return if results.iter().all(|r| r.passed()) {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                };
            }
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
        } => {
            let config = fleetsim::bench::BenchConfig {
                scenario,
                jobs,
                nodes,
                scratch: scratch.unwrap_or_else(std::env::temp_dir),
            };
            fleetsim::bench::run_bench(&config, &mut |row| {
                if !quiet {
                    eprintln!(
                        "{}: {:.2} s, {} MiB",
                        row.variant,
                        row.wall_s,
                        row.peak_rss_mib
                            .map_or_else(|| "?".to_owned(), |m| format!("{m:.0}"))
                    );
                }
            })
            .map(|rows| print!("{}", fleetsim::bench::render_table(&rows)))
        }
        Command::Validate { scenario } => fleetsim::validate_scenario(&scenario).map(|s| {
            if !quiet {
                for warning in &s.warnings {
                    eprintln!("warning: {warning}");
                }
                println!(
                    "{}: ok ({} clusters, {} GPUs, {} jobs)",
                    scenario.display(),
                    s.world.fleet.clusters.len(),
                    s.world.fleet.total_gpus(),
                    s.workload.n_jobs()
                );
            }
        }),
        Command::Run {
            scenario,
            out,
            check_invariants,
            federation,
            format,
        } => {
            let config = fleetsim::RunConfig {
                scenario,
                out: out.clone(),
                seed: cli.seed,
                check_invariants: check_invariants.then_some(true),
                quiet,
                federation: federation.map(|f| match f.as_str() {
                    "direct" => {
                        scheduler::Federation::Direct(scheduler::DirectSubmission::RoundRobin)
                    }
                    _ => scheduler::Federation::Karmada,
                }),
                format: match format {
                    Format::Parquet => reports::TableFormat::Parquet,
                    Format::Csv => reports::TableFormat::Csv,
                },
            };
            let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
                let bar = ProgressBar::new(0);
                bar.set_style(
                    ProgressStyle::with_template("{bar:40} {pos}/{len} jobs arrived, {elapsed}")
                        .expect("static template"),
                );
                bar
            });
            let outcome = fleetsim::run_scenario(&config, &mut |arrived, total| {
                if let Some(bar) = &bar {
                    bar.set_length(total);
                    bar.set_position(arrived);
                }
            });
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            outcome.map(|outcome| {
                if !quiet {
                    let jobs = &outcome.summary.jobs;
                    println!(
                        "results in {}: summary.json, report.html, figures/, {} tables ({} jobs: {} completed, {} running, {} queued, {} unschedulable, {} unmatched; GPU utilization {:.1}%; {:.2} s)",
                        out.display(),
                        config_format_name(format),
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
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
