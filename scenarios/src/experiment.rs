//! Experiment files: a study run as a grid of cells rather than one scenario. The first kind is
//! the GPU fragmentation study of the FGD paper (`docs/reproductions.md`): inflate each pod list
//! to a share of the cluster's GPU capacity, with each placement policy and seed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use scheduler::registry::Registry;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::check::Checker;
use crate::error::{Error, Position};
use crate::spec::Text;
use crate::traces::openb::{OpenbNodes, OpenbPods};

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
#[derive(Clone, Debug)]
pub struct FragmentationExperiment {
    /// The file it was read from.
    pub source: PathBuf,
    /// Node list.
    pub nodes: PathBuf,
    /// Pod lists, one workload each.
    pub pod_lists: Vec<PathBuf>,
    /// Placement policies, registered names.
    pub policies: Vec<String>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Inflation target in percent of GPU capacity.
    pub target_pct: u32,
    /// FGD typical-pod coverage in percent.
    pub coverage_pct: u32,
    /// The placement policies `policies` were checked against, and that its runs use.
    pub plugins: Arc<Registry>,
}

/// Reads and checks an experiment file against the in-tree placement policies. The node list
/// is read whole here and each pod list up to its first GPU pod; the runner reads them again.
pub fn load_experiment(file: &Path) -> Result<FragmentationExperiment, Error> {
    load_experiment_with(file, Registry::builtin_ref())
}

/// [`load_experiment`] with `policies` checked against the placement policies of `plugins`,
/// which its runs then use.
pub fn load_experiment_with(
    file: &Path,
    plugins: &Registry,
) -> Result<FragmentationExperiment, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        file: file.to_owned(),
        source,
    })?;
    load_experiment_str_with(&text, file, plugins)
}

/// Parses and checks experiment text as if read from `file`: `file` names it in errors, and
/// the trace files are resolved against its folder.
pub fn load_experiment_str(text: &str, file: &Path) -> Result<FragmentationExperiment, Error> {
    load_experiment_str_with(text, file, Registry::builtin_ref())
}

/// [`load_experiment_str`] against the placement policies of `plugins`.
pub fn load_experiment_str_with(
    text: &str,
    file: &Path,
    plugins: &Registry,
) -> Result<FragmentationExperiment, Error> {
    let spec: ExperimentSpec = crate::parse_yaml(text, file)?;
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
    check_nodes(&ck, &spec.nodes, &nodes)?;
    if spec.pod_lists.is_empty() {
        return ck.error(0, 0, "pod_lists", "expected at least one pod list");
    }
    let pod_lists = spec
        .pod_lists
        .iter()
        .enumerate()
        .map(|(idx, text)| {
            let path = format!("pod_lists[{idx}]");
            let file = existing(text, path.clone())?;
            check_pods(&ck, text, path, &file)?;
            Ok(file)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut policies = Vec::new();
    for (idx, text) in spec.policies.iter().enumerate() {
        match plugins.placement_name(&text.value) {
            Some(name) if !policies.iter().any(|known| known == name) => {
                policies.push(name.to_owned());
            }
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
                        plugins.placement_names().join(", ")
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
        plugins: Arc::new(plugins.clone()),
    })
}

/// A node list the study can run on: readable, at least one node with a GPU, no node with more
/// GPUs than a node models. The study places pods on the nodes and measures against their GPU
/// capacity, so a list without GPUs gives nothing to measure.
fn check_nodes(ck: &Checker<'_>, text: &Text, file: &Path) -> Result<(), Error> {
    let mut nodes = OpenbNodes::open(file)?;
    let (mut n_nodes, mut n_gpus) = (0u64, 0u64);
    while let Some(node) = nodes.next() {
        let node = node?;
        if node.gpus as usize > scheduler::member::devices::MAX_DEVICES {
            return Err(Error::Input {
                position: Position {
                    file: file.to_owned(),
                    line: nodes.line(),
                    column: 0,
                    path: "gpu".into(),
                },
                message: format!(
                    "node {} has {} GPUs: at most {} per node are modelled",
                    node.name,
                    node.gpus,
                    scheduler::member::devices::MAX_DEVICES
                ),
            });
        }
        n_nodes += 1;
        n_gpus += u64::from(node.gpus);
    }
    if n_gpus == 0 {
        let found = if n_nodes == 0 {
            "no nodes"
        } else {
            "no node with a GPU"
        };
        return ck.at(
            text,
            "nodes",
            format!(
                "{} has {found}: expected an openb node list with at least one GPU node",
                file.display()
            ),
        );
    }
    Ok(())
}

/// A pod list the study can inflate: readable up to its first pod that asks for a GPU, which
/// it must have (the study inflates GPU demand).
fn check_pods(ck: &Checker<'_>, text: &Text, path: String, file: &Path) -> Result<(), Error> {
    let mut any = false;
    for pod in OpenbPods::open(file)? {
        if pod?.num_gpu > 0 {
            return Ok(());
        }
        any = true;
    }
    let found = if any {
        "no pod asking for a GPU"
    } else {
        "no pods"
    };
    ck.at(
        text,
        path,
        format!(
            "{} has {found}: expected an openb pod list with at least one GPU pod",
            file.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: &str = "sn,cpu_milli,memory_mib,gpu,model\nn0,8000,16384,2,A\n";
    const PODS: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,1024,1,500\n";

    /// Loads an experiment over `nodes` and `pods` (the file's text is fixed: `nodes` on
    /// line 2, the pod list on line 4).
    fn load(nodes: &str, pods: &str) -> Result<FragmentationExperiment, Error> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("nodes.csv"), nodes).unwrap();
        std::fs::write(dir.path().join("pods.csv"), pods).unwrap();
        let file = dir.path().join("experiment.yaml");
        let text = "experiment: fragmentation\nnodes: nodes.csv\npod_lists:\n  - pods.csv\n\
                    policies: [FGD]\nseeds: [1]\n";
        load_experiment_str(text, &file)
    }

    fn refused(nodes: &str, pods: &str) -> (Position, String) {
        match load(nodes, pods) {
            Err(Error::Input { position, message }) => (position, message),
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    #[test]
    fn loads_a_small_experiment() {
        let experiment = load(NODES, PODS).unwrap();
        assert_eq!(experiment.policies, ["FGD"]);
        assert_eq!(experiment.seeds, [1]);
    }

    #[test]
    fn an_empty_node_list_is_refused() {
        let (position, message) = refused("sn,cpu_milli,memory_mib,gpu,model\n", PODS);
        assert_eq!((position.line, position.path.as_str()), (2, "nodes"));
        assert!(
            message.ends_with(
                "nodes.csv has no nodes: expected an openb node list with at least one GPU node"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_node_list_without_gpus_is_refused() {
        let nodes = "sn,cpu_milli,memory_mib,gpu,model\nn0,8000,16384,0,\nn1,8000,16384,0,\n";
        let (position, message) = refused(nodes, PODS);
        assert_eq!((position.line, position.path.as_str()), (2, "nodes"));
        assert!(
            message.ends_with("nodes.csv has no node with a GPU: expected an openb node list with at least one GPU node"),
            "{message}"
        );
    }

    #[test]
    fn a_node_with_more_gpus_than_modelled_is_refused_at_its_line() {
        let nodes = "sn,cpu_milli,memory_mib,gpu,model\nn0,8000,16384,2,A\nn1,8000,16384,17,A\n";
        let (position, message) = refused(nodes, PODS);
        assert!(position.file.ends_with("nodes.csv"));
        assert_eq!((position.line, position.path.as_str()), (3, "gpu"));
        assert_eq!(
            message,
            "node n1 has 17 GPUs: at most 16 per node are modelled"
        );
    }

    #[test]
    fn a_pod_list_without_gpu_pods_is_refused() {
        for pods in [
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,1024,0,0\n",
        ] {
            let (position, message) = refused(NODES, pods);
            assert_eq!((position.line, position.path.as_str()), (4, "pod_lists[0]"));
            assert!(message.contains("pods.csv has no pod"), "{message}");
            assert!(
                message.ends_with(": expected an openb pod list with at least one GPU pod"),
                "{message}"
            );
        }
    }
}
