//! Scenario variants: a base scenario file read as a tree, changed by [`Patch`]es, written
//! back and validated. Sweeps and plans are built from them, and so are the conditions a
//! variant is run under (nominal, or with clusters lost).
//!
//! A variant is validated like any scenario, but an error in it is reported where the change
//! was written (the sweep or plan file's line), with the field the scenario check named.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use scheduler::registry::Registry;

use rand::Rng;
use sim_core::model::WorldNames;
use sim_core::rng::RngStreams;

use serde_saphyr::Spanned;

use crate::check::Checker;
use crate::error::{Error, Position};
use crate::patch::{FieldPath, Patch, PatchOp};
use crate::spec::Text;
use crate::tree::{self, Node, NodeKind};
use crate::validate::Scenario;

/// A base scenario, read and validated once.
#[derive(Clone, Debug)]
pub struct BaseScenario {
    /// The scenario file; relative paths in the scenario resolve against it.
    pub file: PathBuf,
    /// Its text, for the fingerprint of a sweep.
    pub text: String,
    /// The file as a tree, with the study's common changes applied.
    pub tree: Node,
    /// Names in the validated base, for default metrics and condition checks.
    pub names: WorldNames,
    /// The plugins the base and every variant of it are checked against and run with.
    pub plugins: Arc<Registry>,
}

/// A patch and where it was written, for errors.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedPatch {
    /// The change.
    pub patch: Patch,
    /// Where it came from (file, line, column, field path in that file).
    pub origin: Position,
}

/// What a variant is run under.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Condition {
    /// As the scenario says.
    Nominal,
    /// These clusters are down from the start and never return.
    Loss(Vec<String>),
}

impl Condition {
    /// The condition's label in tables: `nominal`, `lose dc-01`, `lose dc-01 dc-02`.
    pub fn label(&self) -> String {
        match self {
            Condition::Nominal => "nominal".to_owned(),
            Condition::Loss(clusters) => format!("lose {}", clusters.join(" ")),
        }
    }

    /// The changes that put a scenario under this condition: an outage from time 0, without
    /// return, per lost cluster.
    pub fn patches(&self) -> Vec<Patch> {
        match self {
            Condition::Nominal => Vec::new(),
            Condition::Loss(clusters) => clusters
                .iter()
                .map(|cluster| Patch {
                    path: FieldPath::of_keys(&["faults", "outages"]),
                    op: PatchOp::Append,
                    value: Node::mapping([
                        ("cluster", Node::quoted(cluster)),
                        ("down", Node::plain("0")),
                    ]),
                })
                .collect(),
        }
    }
}

/// Reads condition names: `nominal`, `each_single_cluster_loss` (one condition per cluster of
/// the base) and `lose NAME...`. Errors are messages; the caller places them.
pub fn parse_condition(text: &str, names: &WorldNames) -> Result<Vec<Condition>, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["nominal"] => Ok(vec![Condition::Nominal]),
        ["each_single_cluster_loss"] => Ok(names
            .clusters
            .iter()
            .map(|c| Condition::Loss(vec![c.clone()]))
            .collect()),
        ["lose", clusters @ ..] if !clusters.is_empty() => {
            for cluster in clusters {
                if !names.clusters.iter().any(|c| c == cluster) {
                    return Err(format!(
                        "no cluster {cluster:?} in the scenario; it has {}",
                        names.clusters.join(", ")
                    ));
                }
            }
            let mut clusters: Vec<String> = clusters.iter().map(|c| (*c).to_owned()).collect();
            clusters.sort();
            clusters.dedup();
            Ok(vec![Condition::Loss(clusters)])
        }
        _ => Err(format!(
            "unknown condition {text:?}; expected nominal, each_single_cluster_loss or lose CLUSTER..."
        )),
    }
}

impl BaseScenario {
    /// Reads `file`, applies the study's common changes and validates the result against
    /// the in-tree plugins.
    pub fn load(file: &Path, common: &[PlacedPatch]) -> Result<BaseScenario, Error> {
        BaseScenario::load_with(file, common, Registry::shared_builtin())
    }

    /// [`BaseScenario::load`] with plugin names checked against `plugins`, which the
    /// variants' runs then use.
    pub fn load_with(
        file: &Path,
        common: &[PlacedPatch],
        plugins: Arc<Registry>,
    ) -> Result<BaseScenario, Error> {
        let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
            file: file.to_owned(),
            source,
        })?;
        // Checked as written first, so a mistake in the base points at its own line.
        let as_written = crate::load_str_shared(&text, file, Arc::clone(&plugins))?;
        let mut tree = tree::parse(&text, file)?;
        for placed in common {
            apply(&mut tree, placed)?;
        }
        let scenario = if common.is_empty() {
            as_written
        } else {
            validate_tree(&tree, file, common.last().map(|p| &p.origin), &plugins)?
        };
        let names = WorldNames::new(&scenario.world);
        Ok(BaseScenario {
            file: file.to_owned(),
            text,
            tree,
            names,
            plugins,
        })
    }

    /// The base with `patches` applied, then put under `condition`, validated; errors name
    /// `origin` (where the variant was written).
    pub fn variant(
        &self,
        patches: &[&PlacedPatch],
        condition: &Condition,
        origin: &Position,
    ) -> Result<Scenario, Error> {
        let mut tree = self.tree.clone();
        for placed in patches {
            apply(&mut tree, placed)?;
        }
        for patch in condition.patches() {
            patch.apply(&mut tree).map_err(|message| Error::Input {
                position: origin.clone(),
                message: format!("cannot apply condition {}: {message}", condition.label()),
            })?;
        }
        validate_tree(&tree, &self.file, Some(origin), &self.plugins)
    }
}

/// Applies one patch, placing its error where the patch was written.
fn apply(tree: &mut Node, placed: &PlacedPatch) -> Result<(), Error> {
    placed
        .patch
        .apply(tree)
        .map(|_| ())
        .map_err(|message| Error::Input {
            position: placed.origin.clone(),
            message,
        })
}

/// Validates a changed tree as a scenario read from `file` (relative paths resolve against
/// it). An input error moves to `origin`, keeping the scenario's field path in the message,
/// because line numbers in the written-back text mean nothing to the user.
fn validate_tree(
    tree: &Node,
    file: &Path,
    origin: Option<&Position>,
    plugins: &Arc<Registry>,
) -> Result<Scenario, Error> {
    let text = tree.to_yaml();
    crate::load_str_shared(&text, file, Arc::clone(plugins)).map_err(|err| match (err, origin) {
        (Error::Input { position, message }, Some(origin)) => {
            let field = if position.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", position.path)
            };
            Error::Input {
                position: origin.clone(),
                message: format!(
                    "with this change the scenario {} is invalid: {field}{message}",
                    file.display()
                ),
            }
        }
        (err, _) => err,
    })
}

/// The seed of replication `replication` of a variant whose scenario seed is
/// `scenario_seed`, in a study seeded `study_seed`. It depends on nothing else, so every
/// variant's replication r sees the same random workload (common random numbers) unless a
/// change sets the scenario's `seed`, and no thread count or run order can move it.
pub fn replication_seed(study_seed: u64, scenario_seed: u64, replication: u32) -> u64 {
    RngStreams::new(study_seed)
        .stream(&format!(
            "replication-{replication}-scenario-seed-{scenario_seed}"
        ))
        .next_u64()
}

/// The base scenario named by `scenario` (relative to `file`), with `set` of `tree` applied.
pub(crate) fn load_base(
    ck: &Checker<'_>,
    file: &Path,
    scenario: &Text,
    tree: &Node,
    plugins: &Arc<Registry>,
) -> Result<BaseScenario, Error> {
    let base_file = file
        .parent()
        .unwrap_or(Path::new("."))
        .join(&scenario.value);
    if !base_file.is_file() {
        return ck.at(
            scenario,
            "scenario",
            format!("no file {}", base_file.display()),
        );
    }
    let common = match tree.get("set") {
        Some(node) => patches_of(node, PatchOp::Set, file, "set")?,
        None => Vec::new(),
    };
    BaseScenario::load_with(&base_file, &common, Arc::clone(plugins))
}

/// A sweep or plan file: its text, its typed form and its tree (for raw values).
pub(crate) struct StudyFile<S> {
    pub text: String,
    pub spec: S,
    pub tree: Node,
}

/// Reads a sweep or plan file's text.
pub(crate) fn read_text(file: &Path) -> Result<String, Error> {
    std::fs::read_to_string(file).map_err(|source| Error::Io {
        file: file.to_owned(),
        source,
    })
}

/// Parses the text of a sweep or plan file (read from `file`) into its typed form `S` and its
/// tree.
pub(crate) fn read_study_file<S: serde::de::DeserializeOwned>(
    text: &str,
    file: &Path,
) -> Result<StudyFile<S>, Error> {
    let spec: S = crate::parse_yaml(text, file)?;
    let tree = tree::parse(text, file)?;
    Ok(StudyFile {
        text: text.to_owned(),
        spec,
        tree,
    })
}

/// The `replications` field: at least 1, `default` when absent.
pub(crate) fn replications(
    ck: &Checker<'_>,
    value: Option<&Spanned<u32>>,
    default: u32,
) -> Result<u32, Error> {
    match value {
        Some(r) if r.value == 0 => ck.at(r, "replications", "expected at least 1"),
        Some(r) => Ok(r.value),
        None => Ok(default),
    }
}

/// Reads the changes of a `set:` (or `add:`, `scale:`, `append:`) mapping of `node`: keys are
/// paths, values the new values. `field` is the mapping's path in `file`, for errors.
pub fn patches_of(
    node: &Node,
    op: PatchOp,
    file: &Path,
    field: &str,
) -> Result<Vec<PlacedPatch>, Error> {
    let NodeKind::Mapping(entries) = &node.kind else {
        return Err(Error::Input {
            position: Position {
                file: file.to_owned(),
                line: node.line,
                column: node.column,
                path: field.to_owned(),
            },
            message: "expected a mapping of field paths to values, e.g. {clusters[name=dc-01].node_pools[0].count: 24}".into(),
        });
    };
    entries
        .iter()
        .map(|entry| {
            let origin = Position {
                file: file.to_owned(),
                line: entry.line,
                column: entry.column,
                path: format!("{field}.{}", entry.key.text),
            };
            let path = FieldPath::parse(&entry.key.text).map_err(|message| Error::Input {
                position: origin.clone(),
                message,
            })?;
            Ok(PlacedPatch {
                patch: Patch {
                    path,
                    op,
                    value: entry.value.clone(),
                },
                origin,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> WorldNames {
        WorldNames {
            clusters: vec!["dc-01".into(), "dc-02".into()],
            ..WorldNames::default()
        }
    }

    #[test]
    fn conditions_expand_and_check_cluster_names() {
        assert_eq!(
            parse_condition("nominal", &names()),
            Ok(vec![Condition::Nominal])
        );
        assert_eq!(
            parse_condition("each_single_cluster_loss", &names()),
            Ok(vec![
                Condition::Loss(vec!["dc-01".into()]),
                Condition::Loss(vec!["dc-02".into()])
            ])
        );
        let both = parse_condition("lose dc-02 dc-01", &names()).unwrap();
        assert_eq!(both[0].label(), "lose dc-01 dc-02");
        assert!(
            parse_condition("lose dc-09", &names())
                .unwrap_err()
                .contains("dc-01, dc-02")
        );
        assert!(parse_condition("lose", &names()).is_err());
    }

    #[test]
    fn replication_seeds_differ_with_each_input() {
        // Each of study seed, scenario seed and replication moves the seed; none of them is
        // passed through as it is.
        assert_ne!(replication_seed(1, 5, 0), 1);
        assert_ne!(replication_seed(1, 5, 0), 5);
        assert_ne!(replication_seed(1, 5, 0), replication_seed(1, 5, 1));
        assert_ne!(replication_seed(1, 5, 0), replication_seed(2, 5, 0));
        assert_ne!(replication_seed(1, 5, 0), replication_seed(1, 6, 0));
    }
}
