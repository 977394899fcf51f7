//! Commands that read inputs without running a study: a scenario checked, a snapshot
//! imported, conformance cases compared with their answers, a forecast for jobs to submit.

use std::process::ExitCode;

/// `fleetsim conformance`: one line per case (only the failures with `--quiet`); exit code 1
/// when any case fails.
pub(super) fn conformance(
    dir: &std::path::Path,
    quiet: bool,
) -> Result<ExitCode, fleetsim::RunError> {
    let results = fleetsim::run_conformance(dir)?;
    for result in &results {
        if !quiet || !result.passed() {
            println!("{}", result.line());
        }
    }
    if !quiet {
        println!("{}", scenarios::conformance::summary_line(&results));
    }
    Ok(if results.iter().all(|r| r.passed()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `fleetsim validate`: the warnings, then one line on what the scenario holds.
pub(super) fn validate(scenario: &std::path::Path, quiet: bool) -> Result<(), fleetsim::RunError> {
    let s = fleetsim::validate_scenario(scenario)?;
    if !quiet {
        for warning in &s.warnings {
            eprintln!("warning: {warning}");
        }
        println!(
            "{}: ok ({} clusters, {} GPUs, {} jobs)",
            scenario.display(),
            s.world.fleet.clusters.len(),
            s.world.fleet.total_gpus(),
            s.n_jobs()
        );
    }
    Ok(())
}

/// `fleetsim import`: the warnings, what was read per kind, and where the scenario went.
pub(super) fn import(
    snapshot: &std::path::Path,
    out: &std::path::Path,
    name: Option<String>,
    quiet: bool,
) -> Result<(), fleetsim::RunError> {
    let imported = fleetsim::import_snapshot(snapshot, out, name)?;
    if !quiet {
        for warning in &imported.warnings {
            eprintln!("warning: {warning}");
        }
        for (kind, count) in &imported.counts {
            println!(
                "{kind}: {} read, {} modelled, {} skipped",
                count.read, count.modelled, count.skipped
            );
        }
        println!("scenario written to {}", out.display());
    }
    Ok(())
}

/// `fleetsim forecast`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    /// The scenario (e.g. written by `fleetsim import`).
    pub scenario: std::path::PathBuf,
    /// Files of workload manifests to submit.
    #[arg(required = true)]
    pub manifests: Vec<std::path::PathBuf>,
    /// Replications over the scenario's random draws.
    #[arg(long, short = 'n', default_value_t = 20)]
    pub replications: u32,
    /// Run time of a manifest without the fleetsim.io/runtime annotation.
    #[arg(long, default_value = "1h")]
    pub runtime: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Let the scenario's workload (new arrivals after time 0) compete too.
    #[arg(long)]
    pub arrivals: bool,
    #[command(flatten)]
    pub seed: super::SeedArg,
}

/// `fleetsim forecast`: the text (or JSON) forecast on stdout.
pub(super) fn forecast(args: ForecastArgs) -> Result<(), fleetsim::RunError> {
    let config = fleetsim::forecast::ForecastConfig {
        scenario: args.scenario,
        manifests: args.manifests,
        replications: args.replications,
        seed: args.seed.seed,
        runtime: args.runtime,
        arrivals: args.arrivals,
    };
    let forecast = fleetsim::forecast::forecast(&config, scheduler::Registry::builtin_ref())?;
    if args.json {
        let text = serde_json::to_string_pretty(&forecast)
            .map_err(|e| fleetsim::RunError::Internal(e.to_string()))?;
        println!("{text}");
    } else {
        print!("{}", fleetsim::forecast::render(&forecast));
    }
    Ok(())
}
