//! What-if sweeps: every cell of a sweep file's grid, each run with several seeds, on all
//! cores (`docs/sweeps.md`).
//!
//! A run is a (cell, replication) pair; its seed depends only on the sweep seed, the cell's
//! scenario seed and the replication index, so the thread count and the order runs finish in
//! change nothing. Each finished run is stored as its own file ([`store`]), which makes a sweep
//! resumable and shardable; the tables are rebuilt from those files ([`tables`]) and
//! [`merge`] combines shards into the folder a single run would have written.

pub(crate) mod evaluate;
pub mod merge;
pub mod store;
mod tables;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use scenarios::sweep::Sweep;
use scheduler::registry::Registry;
use serde::{Deserialize, Serialize};

pub use merge::{MergeOutcome, merge_sweeps};
pub use store::{Shard, SweepDescription, SweepStore};

use crate::RunError;
use store::{RunRecord, output_error, to_json, write_atomically};

/// Everything `fleetsim sweep` needs, resolved from the command line.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// The sweep file.
    pub file: PathBuf,
    /// The sweep folder: created, or resumed when it holds the same sweep.
    pub out: PathBuf,
    /// Overrides the sweep's seed.
    pub seed: Option<u64>,
    /// Worker threads; `None`: all cores.
    pub threads: Option<usize>,
    /// The share of the runs to do.
    pub shard: Shard,
    /// Stop after this many runs (to test resuming).
    pub stop_after: Option<u64>,
}

/// What a sweep did.
#[derive(Clone, Debug)]
pub struct SweepOutcome {
    /// The folder.
    pub out: PathBuf,
    /// Cells in the sweep.
    pub n_cells: u64,
    /// Runs this shard owns.
    pub n_owned: u64,
    /// Runs done by this invocation.
    pub n_executed: u64,
    /// Runs found done already.
    pub n_reused: u64,
    /// Every owned run is done and the tables are written.
    pub complete: bool,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
    /// Threads used.
    pub threads: usize,
}

/// `run.json` of a sweep folder: how this invocation went. The only file of the folder with
/// wall-clock values (run files in `runs/` hold none, so a folder's bytes depend only on the
/// sweep and its seed); `fleetsim merge` reads the shard from it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepLog {
    /// The share of runs this folder holds.
    pub shard: Shard,
    /// Every run of the shard is done.
    pub complete: bool,
    /// Runs the shard owns.
    pub runs_owned: u64,
    /// Runs done by the last invocation.
    pub runs_executed: u64,
    /// Runs found done already by the last invocation.
    pub runs_reused: u64,
    /// Worker threads.
    pub threads: usize,
    /// Wall-clock seconds of the last invocation.
    pub wall_seconds: f64,
    /// Sum of the wall-clock seconds of the runs it did; for a merged folder, the sum over the
    /// shards' `run.json`.
    pub run_seconds: f64,
    /// For a merged folder: the folders merged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// Runs the missing runs of `config.shard` of the sweep and, once all are done, writes
/// `cells.parquet`, `stats.csv`, `figures/` and `report.html`. `progress(done, total)` is
/// called as runs finish.
pub fn run_sweep(
    config: &SweepConfig,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<SweepOutcome, RunError> {
    run_sweep_with(config, &Registry::shared_builtin(), progress)
}

/// [`run_sweep`] with the plugins of `plugins`, which the sweep's scenarios may name.
pub fn run_sweep_with(
    config: &SweepConfig,
    plugins: &Arc<Registry>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<SweepOutcome, RunError> {
    let started = Instant::now();
    let sweep = scenarios::sweep::load_sweep_with(&config.file, config.seed, Arc::clone(plugins))?;
    let description = SweepDescription::of(&sweep);
    let store = SweepStore::open(&config.out, description)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads.unwrap_or(0))
        .build()
        .map_err(|e| RunError::Internal(e.to_string()))?;
    let shard = config.shard;
    let n_runs = sweep.n_runs() as u64;
    let owned = || (0..n_runs).filter(move |&k| shard.owns(k));
    let n_owned = owned().count() as u64;
    let n_reused = owned().filter(|&k| store.has_run(k)).count() as u64;
    let done = AtomicU64::new(n_reused);
    let launched = AtomicU64::new(0);
    let run_micros = AtomicU64::new(0);
    progress(n_reused, n_owned);
    let limit = config.stop_after.unwrap_or(u64::MAX);
    pool.install(|| {
        owned()
            .filter(|&k| !store.has_run(k))
            .par_bridge()
            .try_for_each(|run_idx| {
                if launched.fetch_add(1, Ordering::Relaxed) >= limit {
                    return Ok(());
                }
                let run_started = Instant::now();
                let run = run_one(&sweep, &store, run_idx)?;
                store.write_run(&run)?;
                run_micros.fetch_add(run_started.elapsed().as_micros() as u64, Ordering::Relaxed);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, n_owned);
                Ok::<(), RunError>(())
            })
    })?;
    let n_done = done.load(Ordering::Relaxed);
    let complete = n_done == n_owned;
    if complete {
        build_outputs(&store, shard)?;
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let log = SweepLog {
        shard,
        complete,
        runs_owned: n_owned,
        runs_executed: n_done - n_reused,
        runs_reused: n_reused,
        threads: pool.current_num_threads(),
        wall_seconds: round3(wall_seconds),
        run_seconds: round3(run_micros.load(Ordering::Relaxed) as f64 / 1e6),
        merged_from: Vec::new(),
    };
    write_atomically(&store.dir().join("run.json"), &to_json(&log)?)?;
    Ok(SweepOutcome {
        out: config.out.clone(),
        n_cells: sweep.n_cells() as u64,
        n_owned,
        n_executed: log.runs_executed,
        n_reused,
        complete,
        wall_seconds,
        threads: log.threads,
    })
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// One run: the cell's scenario, run with the replication's seed, reduced to the sweep's
/// metrics.
fn run_one(sweep: &Sweep, store: &SweepStore, run_idx: u64) -> Result<RunRecord, RunError> {
    let replications = u64::from(sweep.replications);
    let (cell, replication) = (run_idx / replications, (run_idx % replications) as u32);
    let scenario = sweep.cell_scenario(cell as usize)?;
    let seed = scenarios::variant::replication_seed(sweep.seed, scenario.seed, replication);
    let digest = evaluate::run_digest(&scenario, seed)?;
    Ok(RunRecord {
        definition: store.description().definition.clone(),
        cell,
        replication,
        seed,
        metrics: sweep
            .metrics
            .iter()
            .map(|key| evaluate::metric_value(key, &digest))
            .collect(),
    })
}

/// The tables (and, for a whole sweep, the report) of a folder whose runs are all done.
fn build_outputs(store: &SweepStore, shard: Shard) -> Result<(), RunError> {
    let dir = store.dir();
    tables::write_tables(dir, store.description(), shard, &|run_idx| {
        store.read_run(run_idx)
    })?;
    if shard.count == 1 {
        render(dir)?;
    }
    Ok(())
}

fn render(dir: &Path) -> Result<(), RunError> {
    reports::render_sweep(dir).map_err(|e| output_error(dir, e))?;
    Ok(())
}
