//! `fleetsim merge`: shards of one sweep, each run in its own folder (on other machines,
//! say), combined into the folder a single run of the sweep writes.
//!
//! The shards must describe the same sweep (byte-identical `sweep.json`), be complete, and
//! together hold every run exactly once.

use std::path::{Path, PathBuf};

use super::store::{RunRecord, SweepStore, output_error, read_json, to_json, write_atomically};
use super::{SweepLog, tables};
use crate::{OutputDir, RunError};

/// What a merge did.
#[derive(Clone, Debug)]
pub struct MergeOutcome {
    /// Runs merged.
    pub n_runs: u64,
    /// Cells.
    pub n_cells: u64,
}

/// Merges the shard folders `dirs` into `out` (created whole or not at all).
pub fn merge_sweeps(dirs: &[PathBuf], out: &Path) -> Result<MergeOutcome, RunError> {
    let Some(first) = dirs.first() else {
        return Err(output_error(
            out,
            "nothing to merge: give the shard folders",
        ));
    };
    let description_bytes = std::fs::read(first.join("sweep.json"))
        .map_err(|e| output_error(&first.join("sweep.json"), format!("cannot read: {e}")))?;
    let mut shards = Vec::new();
    let mut run_seconds = 0.0;
    for dir in dirs {
        let bytes = std::fs::read(dir.join("sweep.json"))
            .map_err(|e| output_error(&dir.join("sweep.json"), format!("cannot read: {e}")))?;
        if bytes != description_bytes {
            return Err(output_error(
                dir,
                format!(
                    "is not a shard of the same sweep as {} (their sweep.json differ)",
                    first.display()
                ),
            ));
        }
        let log: SweepLog = read_json(&dir.join("run.json"))?;
        if !log.complete {
            return Err(output_error(
                dir,
                format!(
                    "shard {}/{} is not finished ({} of {} runs); run it again to complete it",
                    log.shard.index,
                    log.shard.count,
                    log.runs_executed + log.runs_reused,
                    log.runs_owned
                ),
            ));
        }
        run_seconds += log.run_seconds;
        shards.push((SweepStore::read(dir)?, log.shard));
    }
    let description = shards[0].0.description().clone();
    // Every run must come from exactly one folder.
    let owner = |run_idx: u64| -> Result<&SweepStore, RunError> {
        let mut owners = shards.iter().filter(|(_, shard)| shard.owns(run_idx));
        match (owners.next(), owners.next()) {
            (Some((store, _)), None) => Ok(store),
            (Some((a, _)), Some((b, _))) => Err(output_error(
                b.dir(),
                format!(
                    "holds run {run_idx} (cell {}) as {} does: a shard is given twice",
                    run_idx / u64::from(description.replications),
                    a.dir().display()
                ),
            )),
            (None, _) => Err(output_error(
                out,
                format!(
                    "no folder holds run {run_idx} (cell {}): a shard is missing",
                    run_idx / u64::from(description.replications)
                ),
            )),
        }
    };
    for run_idx in 0..description.n_runs {
        owner(run_idx)?;
    }
    let staged = OutputDir::begin(out)?;
    let dir = staged.path();
    write_atomically(&dir.join("sweep.json"), &description_bytes)?;
    let runs = dir.join("runs");
    std::fs::create_dir(&runs).map_err(|e| output_error(&runs, e))?;
    let store = SweepStore::read(dir)?;
    for run_idx in 0..description.n_runs {
        let from = owner(run_idx)?;
        // Read, not only copied, so a damaged run file is refused here.
        from.read_run(run_idx)?;
        std::fs::copy(from.run_path(run_idx), store.run_path(run_idx))
            .map_err(|e| output_error(&from.run_path(run_idx), e))?;
    }
    let read = |run_idx: u64| -> Result<RunRecord, RunError> { store.read_run(run_idx) };
    tables::write_tables(dir, &description, super::Shard::ALL, &read)?;
    super::render(dir)?;
    let log = SweepLog {
        shard: super::Shard::ALL,
        complete: true,
        runs_owned: description.n_runs,
        runs_executed: 0,
        runs_reused: description.n_runs,
        threads: 0,
        wall_seconds: 0.0,
        run_seconds: super::round3(run_seconds),
        merged_from: dirs.iter().map(|d| d.display().to_string()).collect(),
    };
    write_atomically(&dir.join("run.json"), &to_json(&log)?)?;
    staged.commit()?;
    Ok(MergeOutcome {
        n_runs: description.n_runs,
        n_cells: description.n_cells,
    })
}
