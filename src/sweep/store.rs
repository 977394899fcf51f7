//! A sweep folder on disk: `sweep.json` (what the sweep is), one small JSON file per finished
//! run under `runs/` (written to a temporary name and renamed, so a file that exists is
//! whole), and the tables and report built from those files.
//!
//! The run files are the sweep's state: a sweep run again skips runs whose file exists, and
//! `fleetsim merge` combines the run files of shards. The tables are always rebuilt from the
//! files, so a sweep run in one go, resumed, or merged from shards writes the same bytes.

use std::path::{Path, PathBuf};

use scenarios::plan::Bound;
use scenarios::sweep::Sweep;
use serde::{Deserialize, Serialize};

use crate::RunError;

/// Which share of a sweep's runs one process takes: run `k` (cells in order, replications
/// within a cell) belongs to shard `k mod count + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based index.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Shard {
    /// Reads `I/N` with 1 ≤ I ≤ N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let parsed = text.split_once('/').and_then(|(i, n)| {
            Some((i.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?))
        });
        match parsed {
            Some((index, count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
            _ => Err(format!("{text:?}: expected I/N with 1 ≤ I ≤ N, e.g. 1/4")),
        }
    }

    /// Whether run `run_idx` is this shard's.
    pub fn owns(self, run_idx: u64) -> bool {
        run_idx % u64::from(self.count) + 1 == u64::from(self.index)
    }

    /// Everything: no sharding.
    pub const ALL: Shard = Shard { index: 1, count: 1 };
}

/// `sweep.json`: what was swept. Written once and never changed, identical for every shard
/// and for a merge, with no wall-clock value and no path as typed on the command line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepDescription {
    /// The sweep file's name.
    pub sweep: String,
    /// The base scenario's file name.
    pub scenario: String,
    /// fleetsim version.
    pub fleetsim_version: String,
    /// FNV-1a 64 of the version, the sweep file, the base scenario file and the seed: two
    /// folders with the same definition ran the same sweep.
    pub definition: String,
    /// Seed of the replication seeds.
    pub seed: u64,
    /// Runs per cell.
    pub replications: u32,
    /// Cells.
    pub n_cells: u64,
    /// Runs: cells × replications.
    pub n_runs: u64,
    /// The axes and their values.
    pub axes: Vec<AxisDescription>,
    /// Metric columns, in order.
    pub metrics: Vec<String>,
    /// Metrics the report draws.
    pub report_metrics: Vec<String>,
    /// What the sweep asks (its `target`); absent when it asks nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target: Vec<TargetDescription>,
}

/// One target in `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetDescription {
    /// The metric, as in `stats.csv`'s `metric` column.
    pub metric: String,
    /// `at_most` or `at_least`.
    pub bound: String,
    /// The target as written.
    pub value: f64,
    /// The target once the margin tightens it: what a cell is judged against.
    pub effective: f64,
}

/// One axis in `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisDescription {
    /// Name.
    pub name: String,
    /// Values in order.
    pub values: Vec<ValueDescription>,
}

/// One axis value in `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValueDescription {
    /// Its label.
    pub label: String,
    /// Its number, when it is one.
    pub number: Option<f64>,
}

impl SweepDescription {
    /// The description of `sweep`.
    pub fn of(sweep: &Sweep) -> SweepDescription {
        let file_name = |path: &Path| {
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        };
        let version = env!("CARGO_PKG_VERSION");
        let mut bytes = Vec::new();
        for part in [
            version.as_bytes(),
            sweep.text.as_bytes(),
            sweep.base.text.as_bytes(),
            sweep.seed.to_string().as_bytes(),
        ] {
            bytes.extend_from_slice(part);
            bytes.push(0);
        }
        SweepDescription {
            sweep: file_name(&sweep.file),
            scenario: file_name(&sweep.base.file),
            fleetsim_version: version.to_owned(),
            definition: format!("{:016x}", sim_core::rng::fnv1a64(&bytes)),
            seed: sweep.seed,
            replications: sweep.replications,
            n_cells: sweep.n_cells() as u64,
            n_runs: sweep.n_runs() as u64,
            axes: sweep
                .axes
                .iter()
                .map(|axis| AxisDescription {
                    name: axis.name.clone(),
                    values: axis
                        .values
                        .iter()
                        .map(|v| ValueDescription {
                            label: v.label.clone(),
                            number: v.number,
                        })
                        .collect(),
                })
                .collect(),
            metrics: sweep.metrics.iter().map(ToString::to_string).collect(),
            report_metrics: sweep
                .report_metrics
                .iter()
                .map(ToString::to_string)
                .collect(),
            target: sweep
                .targets
                .iter()
                .map(|t| {
                    let (bound, value) = match t.bound {
                        Bound::AtMost(v) => ("at_most", v),
                        Bound::AtLeast(v) => ("at_least", v),
                    };
                    TargetDescription {
                        metric: t.metric.to_string(),
                        bound: bound.to_owned(),
                        value,
                        effective: t.effective_target(),
                    }
                })
                .collect(),
        }
    }

    /// The labels of cell `cell_idx`, one per axis (the last axis varies fastest).
    pub fn cell_labels(&self, cell_idx: u64) -> Vec<String> {
        let mut rest = cell_idx as usize;
        let mut labels = vec![String::new(); self.axes.len()];
        for (axis_idx, axis) in self.axes.iter().enumerate().rev() {
            labels[axis_idx] = axis.values[rest % axis.values.len()].label.clone();
            rest /= axis.values.len();
        }
        labels
    }
}

/// One finished run, as stored in `runs/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The sweep's definition.
    pub definition: String,
    /// Cell index.
    pub cell: u64,
    /// Replication index.
    pub replication: u32,
    /// The run's seed.
    pub seed: u64,
    /// Metric values in `sweep.json`'s order; `null` where the run has none.
    pub metrics: Vec<Option<f64>>,
}

/// An open sweep folder.
pub struct SweepStore {
    dir: PathBuf,
    description: SweepDescription,
}

pub(crate) fn output_error(path: &Path, message: impl std::fmt::Display) -> RunError {
    RunError::Output {
        path: path.to_owned(),
        message: message.to_string(),
    }
}

/// Writes `bytes` to `path` whole or not at all: a temporary file in the same folder renamed
/// into place.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let partial = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    std::fs::write(&partial, bytes).map_err(|e| output_error(&partial, e))?;
    std::fs::rename(&partial, path).map_err(|e| output_error(path, e))
}

pub(crate) fn to_json(value: &impl Serialize) -> Result<Vec<u8>, RunError> {
    let mut bytes =
        serde_json::to_vec_pretty(value).map_err(|e| RunError::Internal(e.to_string()))?;
    bytes.push(b'\n');
    Ok(bytes)
}

pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, RunError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| output_error(path, format!("cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| output_error(path, format!("not a fleetsim file: {e}")))
}

impl SweepStore {
    /// Opens `dir` for `description`: creates it, or resumes it when it holds the same sweep.
    /// A folder holding anything else is refused.
    pub fn open(dir: &Path, description: SweepDescription) -> Result<SweepStore, RunError> {
        let marker = dir.join("sweep.json");
        if marker.is_file() {
            let found: SweepDescription = read_json(&marker)?;
            if found.definition != description.definition {
                return Err(output_error(
                    dir,
                    format!(
                        "holds another sweep ({} of {}, definition {}; this is {} of {}, definition {}); use another --out or remove it",
                        found.sweep,
                        found.scenario,
                        found.definition,
                        description.sweep,
                        description.scenario,
                        description.definition
                    ),
                ));
            }
        } else if dir.exists() {
            let empty = std::fs::read_dir(dir)
                .map_err(|e| output_error(dir, e))?
                .next()
                .is_none();
            if !empty {
                return Err(output_error(
                    dir,
                    "exists and is not a sweep folder; refusing to write into it",
                ));
            }
        }
        let runs = dir.join("runs");
        std::fs::create_dir_all(&runs).map_err(|e| output_error(&runs, e))?;
        // What an interrupted run left half written.
        for entry in std::fs::read_dir(&runs).map_err(|e| output_error(&runs, e))? {
            let entry = entry.map_err(|e| output_error(&runs, e))?;
            if entry.file_name().to_string_lossy().contains(".partial-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        if !marker.is_file() {
            write_atomically(&marker, &to_json(&description)?)?;
        }
        Ok(SweepStore {
            dir: dir.to_owned(),
            description,
        })
    }

    /// Opens an existing sweep folder to read, as `fleetsim merge` does.
    pub fn read(dir: &Path) -> Result<SweepStore, RunError> {
        let description = read_json(&dir.join("sweep.json"))?;
        Ok(SweepStore {
            dir: dir.to_owned(),
            description,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What it holds.
    pub fn description(&self) -> &SweepDescription {
        &self.description
    }

    /// Where run `run_idx`'s file goes.
    pub fn run_path(&self, run_idx: u64) -> PathBuf {
        let replications = u64::from(self.description.replications);
        self.dir.join("runs").join(format!(
            "c{}-r{}.json",
            run_idx / replications,
            run_idx % replications
        ))
    }

    /// Whether run `run_idx` has finished.
    pub fn has_run(&self, run_idx: u64) -> bool {
        self.run_path(run_idx).is_file()
    }

    /// Stores a finished run.
    pub fn write_run(&self, run: &RunRecord) -> Result<(), RunError> {
        let run_idx =
            run.cell * u64::from(self.description.replications) + u64::from(run.replication);
        write_atomically(&self.run_path(run_idx), &to_json(run)?)
    }

    /// Reads run `run_idx`, checking it belongs to this sweep.
    pub fn read_run(&self, run_idx: u64) -> Result<RunRecord, RunError> {
        let path = self.run_path(run_idx);
        let run: RunRecord = read_json(&path)?;
        let replications = u64::from(self.description.replications);
        if run.definition != self.description.definition
            || run.cell != run_idx / replications
            || u64::from(run.replication) != run_idx % replications
            || run.metrics.len() != self.description.metrics.len()
        {
            return Err(output_error(
                &path,
                "does not belong to this sweep (another definition, cell or metric list)",
            ));
        }
        Ok(run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_files_give_back_every_bit_of_their_metrics() {
        // 5939/6500 = 0.91369230769230769..., printed as 0.9136923076923077; a fast float
        // parser reads that back one unit in the last place low, and the sweep's tables
        // (rebuilt from run files) would then differ from what the run computed.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        let values: Vec<Option<f64>> = [5939.0 / 6500.0, 0.1 + 0.2, 1.0 / 3.0, 2.0f64.sqrt()]
            .into_iter()
            .map(Some)
            .collect();
        let run = RunRecord {
            definition: "d".into(),
            cell: 0,
            replication: 0,
            seed: 1,
            metrics: values.clone(),
        };
        write_atomically(&path, &to_json(&run).unwrap()).unwrap();
        let back: RunRecord = read_json(&path).unwrap();
        let bits = |v: &[Option<f64>]| v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
        assert_eq!(bits(&back.metrics), bits(&values));
    }

    #[test]
    fn shards_split_runs_round_robin() {
        let shard = Shard::parse("2/3").unwrap();
        let owned: Vec<u64> = (0..9).filter(|&k| shard.owns(k)).collect();
        assert_eq!(owned, [1, 4, 7]);
        assert!((0..9).all(|k| Shard::ALL.owns(k)));
        for bad in ["0/2", "3/2", "1", "a/b", "1/0"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
