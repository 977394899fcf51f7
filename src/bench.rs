//! `fleetsim bench`: how wall time and memory grow with the number of jobs and of nodes.
//!
//! Each variant is the base scenario with its synthetic job count changed, or its node pools
//! scaled together with the arrival rate and the quotas (the same load on a larger fleet). Every
//! variant runs in this process, one after the other, writing its full outputs to a scratch
//! folder; the peak resident memory is reset before each, so each figure is that run's own.

use std::path::{Path, PathBuf};
use std::time::Instant;

use scheduler::registry::Registry;

use crate::{RunConfig, RunError};

/// What `fleetsim bench` runs.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// The base scenario (a synthetic workload).
    pub scenario: PathBuf,
    /// Job counts for the jobs axis (nodes as in the scenario).
    pub jobs: Vec<u64>,
    /// Node counts for the nodes axis (jobs as in the scenario, arrivals and quotas scaled).
    pub nodes: Vec<u64>,
    /// Scratch folder for the runs' outputs (deleted after each run).
    pub scratch: PathBuf,
}

/// One variant's measurements.
#[derive(Clone, Debug)]
pub struct BenchRow {
    /// Which axis and value, e.g. `jobs=1000000`.
    pub variant: String,
    /// Jobs and nodes of the variant.
    pub jobs: u64,
    /// Nodes over all clusters.
    pub nodes: u64,
    /// Wall time of the whole run, outputs and report included, in seconds.
    pub wall_s: f64,
    /// Engine events.
    pub events: u64,
    /// Peak resident memory of the run, MiB (`None` where the OS does not say).
    pub peak_rss_mib: Option<f64>,
}

impl BenchRow {
    /// Events per second of wall time.
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall_s.max(1e-9)
    }

    /// Jobs per second of wall time.
    pub fn jobs_per_s(&self) -> f64 {
        self.jobs as f64 / self.wall_s.max(1e-9)
    }

    /// Microseconds of wall time per job.
    pub fn us_per_job(&self) -> f64 {
        self.wall_s * 1e6 / self.jobs.max(1) as f64
    }
}

/// Runs every variant; `on_variant` is told which one starts, `progress` how far it has got,
/// and `on_row` sees each result as it comes.
pub fn run_bench(
    config: &BenchConfig,
    on_variant: &mut dyn FnMut(&str),
    progress: &mut dyn FnMut(crate::RunProgress),
    on_row: &mut dyn FnMut(&BenchRow),
) -> Result<Vec<BenchRow>, RunError> {
    let callbacks = BenchCallbacks {
        on_variant,
        progress,
        on_row,
    };
    run_bench_with(config, Registry::builtin_ref(), callbacks)
}

/// What [`run_bench_with`] reports as it goes.
pub struct BenchCallbacks<'a> {
    /// Told which variant starts.
    pub on_variant: &'a mut dyn FnMut(&str),
    /// Told how far the variant has got.
    pub progress: &'a mut dyn FnMut(crate::RunProgress),
    /// Sees each result as it comes.
    pub on_row: &'a mut dyn FnMut(&BenchRow),
}

/// [`run_bench`] with the plugins of `plugins`, which the scenario may name.
pub fn run_bench_with(
    config: &BenchConfig,
    plugins: &Registry,
    callbacks: BenchCallbacks<'_>,
) -> Result<Vec<BenchRow>, RunError> {
    let BenchCallbacks {
        on_variant,
        progress,
        on_row,
    } = callbacks;
    let base = scenarios::load_with(&config.scenario, plugins)?;
    let scenarios::Workload::Synthetic(_) = &base.workload else {
        return Err(RunError::Output {
            path: config.scenario.clone(),
            message: "fleetsim bench needs a synthetic workload (workload.synthetic) to scale"
                .to_owned(),
        });
    };
    let base_nodes = n_nodes(&base);
    let mut variants: Vec<(String, scenarios::Scenario)> = Vec::new();
    for &jobs in &config.jobs {
        let mut scenario = base.clone();
        set_jobs(&mut scenario, jobs);
        variants.push((format!("jobs={jobs}"), scenario));
    }
    for &nodes in &config.nodes {
        // The limit a scenario file has: beyond it node state alone would need gigabytes.
        if nodes > scenarios::validate::MAX_FLEET_NODES {
            return Err(RunError::Output {
                path: config.scenario.clone(),
                message: format!(
                    "--nodes {nodes}: expected at most {} nodes in a fleet",
                    scenarios::validate::MAX_FLEET_NODES
                ),
            });
        }
        let mut scenario = base.clone();
        scale_fleet(&mut scenario, nodes as f64 / base_nodes.max(1) as f64);
        variants.push((format!("nodes={nodes}"), scenario));
    }
    let mut rows = Vec::new();
    for (idx, (variant, scenario)) in variants.into_iter().enumerate() {
        let out = config
            .scratch
            .join(format!("bench-{}-{idx}", std::process::id()));
        let run = RunConfig {
            scenario: config.scenario.clone(),
            out: out.clone(),
            seed: None,
            check_invariants: Some(false),
            quiet: true,
            federation: None,
            format: reports::TableFormat::Parquet,
            overrides: Default::default(),
        };
        on_variant(&variant);
        reset_peak_rss();
        let started = Instant::now();
        let outcome = crate::run_loaded(&scenario, &run, progress);
        let wall_s = started.elapsed().as_secs_f64();
        let peak_rss_mib = peak_rss_mib();
        // The outputs were only a realistic load; a failure to delete them is not the bench's.
        let _ = std::fs::remove_dir_all(&out);
        let outcome = outcome?;
        let row = BenchRow {
            variant,
            jobs: outcome.stats.n_arrived,
            nodes: n_nodes(&scenario),
            wall_s,
            events: outcome.stats.n_events,
            peak_rss_mib,
        };
        on_row(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// The results as a Markdown table, with the time per job of each nodes row against the
/// smallest fleet's.
pub fn render_table(rows: &[BenchRow]) -> String {
    let mut out = String::from(
        "| variant | jobs | nodes | wall s | events/s | jobs/s | µs/job | peak RSS MiB |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.0} | {:.0} | {:.2} | {} |\n",
            row.variant,
            row.jobs,
            row.nodes,
            row.wall_s,
            row.events_per_s(),
            row.jobs_per_s(),
            row.us_per_job(),
            row.peak_rss_mib
                .map_or_else(|| "n/a".to_owned(), |m| format!("{m:.0}")),
        ));
    }
    let nodes: Vec<&BenchRow> = rows
        .iter()
        .filter(|r| r.variant.starts_with("nodes="))
        .collect();
    if let Some(first) = nodes.first() {
        out.push('\n');
        for row in &nodes[1..] {
            out.push_str(&format!(
                "{:.1}× the nodes ({} → {}): {:.2}× the time per job\n",
                row.nodes as f64 / first.nodes.max(1) as f64,
                first.nodes,
                row.nodes,
                row.us_per_job() / first.us_per_job().max(1e-9)
            ));
        }
    }
    out
}

fn n_nodes(scenario: &scenarios::Scenario) -> u64 {
    scenario
        .world
        .fleet
        .clusters
        .iter()
        .flat_map(|c| &c.node_pools)
        .map(|p| u64::from(p.count))
        .sum()
}

fn set_jobs(scenario: &mut scenarios::Scenario, jobs: u64) {
    if let scenarios::Workload::Synthetic(synthetic) = &mut scenario.workload {
        synthetic.n_jobs = jobs;
    }
}

/// Multiplies every node pool, the arrival rate and every quota by `factor`: the same load on
/// a fleet `factor` times the size.
fn scale_fleet(scenario: &mut scenarios::Scenario, factor: f64) {
    let scale = |value: i64| (value as f64 * factor).round() as i64;
    for pool in scenario
        .world
        .fleet
        .clusters
        .iter_mut()
        .flat_map(|c| &mut c.node_pools)
    {
        pool.count = ((f64::from(pool.count) * factor).round() as u32).max(1);
    }
    if let scenarios::Workload::Synthetic(synthetic) = &mut scenario.workload {
        synthetic.arrivals.jobs_per_ms *= factor;
    }
    let limits = |limits: &mut scheduler::quota::Limits| {
        for value in [
            &mut limits.cpu_milli,
            &mut limits.memory,
            &mut limits.pods,
            &mut limits.gpus,
        ] {
            *value = value.map(scale);
        }
    };
    for quota in &mut scenario.quotas.resource_quotas {
        limits(&mut quota.hard);
    }
    for quota in &mut scenario.quotas.federated {
        limits(&mut quota.overall);
    }
    for budget in &mut scenario.quotas.gpu_budgets {
        *budget = budget.map(scale);
    }
}

/// This process's peak resident memory in MiB (Linux: `VmHWM`), `None` elsewhere.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kib / 1024.0 * 10.0).round() / 10.0)
}

/// Resets the peak resident memory to the current one (Linux `clear_refs` 5), so the next
/// reading is the next run's own; elsewhere it does nothing.
fn reset_peak_rss() {
    let _ = std::fs::write(Path::new("/proc/self/clear_refs"), "5");
}
