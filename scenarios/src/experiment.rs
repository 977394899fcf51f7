//! Experiment files: a study run as a grid of cells rather than one scenario. The first kind is
//! the GPU fragmentation study of the FGD paper (`docs/reproductions.md`): inflate each pod list
//! to a share of the cluster's GPU capacity, with each placement policy and seed.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::Error;
use crate::spec::Text;
use crate::validate::Checker;

/// The experiment file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    /// The kind of experiment; `fragmentation`.
    pub experiment: Text,
    /// The node list (openb format), relative to the experiment file.
    pub nodes: Text,
    /// Pod lists (openb format), relative to the experiment file; each is one workload.
    pub pod_lists: Vec<Text>,
    /// Placement policies, by registered name.
    pub policies: Vec<Text>,
    /// Seeds; each gives one arrival order and one node priority order.
    pub seeds: Vec<u64>,
    /// Arrived GPU demand to inflate (or deflate) each workload to, in percent of GPU
    /// capacity (default 130).
    #[serde(default)]
    pub target_pct: Option<Spanned<u32>>,
    /// Share of pods FGD's typical pod types must cover, in percent (default 95).
    #[serde(default)]
    pub typical_coverage_pct: Option<Spanned<u32>>,
}

/// A validated fragmentation experiment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FragmentationExperiment {
    /// The file it was read from.
    pub source: PathBuf,
    /// Node list.
    pub nodes: PathBuf,
    /// Pod lists, one workload each.
    pub pod_lists: Vec<PathBuf>,
    /// Placement policies, registered names.
    pub policies: Vec<&'static str>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Inflation target in percent of GPU capacity.
    pub target_pct: u32,
    /// FGD typical-pod coverage in percent.
    pub coverage_pct: u32,
}

/// Reads and checks an experiment file. Trace files are checked for existence here and read
/// by the runner.
pub fn load_experiment(file: &Path) -> Result<FragmentationExperiment, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        file: file.to_owned(),
        source,
    })?;
    let spec: ExperimentSpec = crate::parse_yaml(&text, file)?;
    let ck = Checker {
        file,
        line_offset: 0,
    };
    if spec.experiment.value != "fragmentation" {
        return ck.at(
            &spec.experiment,
            "experiment",
            format!(
                "unknown experiment `{}`: expected `fragmentation`",
                spec.experiment.value
            ),
        );
    }
    let base = file.parent().unwrap_or(Path::new("."));
    let existing = |text: &Text, path: String| -> Result<PathBuf, Error> {
        let resolved = base.join(&text.value);
        if resolved.is_file() {
            Ok(resolved)
        } else {
            ck.at(text, path, format!("no file {}", resolved.display()))
        }
    };
    let nodes = existing(&spec.nodes, "nodes".into())?;
    if spec.pod_lists.is_empty() {
        return ck.error(0, 0, "pod_lists", "expected at least one pod list");
    }
    let pod_lists = spec
        .pod_lists
        .iter()
        .enumerate()
        .map(|(idx, text)| existing(text, format!("pod_lists[{idx}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut policies = Vec::new();
    for (idx, text) in spec.policies.iter().enumerate() {
        match scheduler::member::canonical_placement_name(&text.value) {
            Some(name) if !policies.contains(&name) => policies.push(name),
            Some(name) => {
                return ck.at(
                    text,
                    format!("policies[{idx}]"),
                    format!("{name} is listed twice"),
                );
            }
            None => {
                return ck.at(
                    text,
                    format!("policies[{idx}]"),
                    format!(
                        "unknown placement policy `{}`: expected one of {}",
                        text.value,
                        scheduler::member::PLACEMENT_NAMES.join(", ")
                    ),
                );
            }
        }
    }
    if policies.is_empty() {
        return ck.error(0, 0, "policies", "expected at least one placement policy");
    }
    if spec.seeds.is_empty() {
        return ck.error(0, 0, "seeds", "expected at least one seed");
    }
    let mut seeds = spec.seeds.clone();
    seeds.sort_unstable();
    seeds.dedup();
    let target_pct = match &spec.target_pct {
        Some(t) if t.value == 0 || t.value > 1000 => {
            return ck.at(t, "target_pct", "expected a percentage from 1 to 1000");
        }
        Some(t) => t.value,
        None => 130,
    };
    let coverage_pct = match &spec.typical_coverage_pct {
        Some(c) if c.value == 0 || c.value > 100 => {
            return ck.at(
                c,
                "typical_coverage_pct",
                "expected a percentage from 1 to 100",
            );
        }
        Some(c) => c.value,
        None => 95,
    };
    Ok(FragmentationExperiment {
        source: file.to_owned(),
        nodes,
        pod_lists,
        policies,
        seeds,
        target_pct,
        coverage_pct,
    })
}
