//! Scenarios: the scenario file ([`spec`]), its validation into a ready-to-run [`Scenario`]
//! ([`validate`]), workload generators ([`synth`]), and the trace loaders ([`traces`]) that let
//! a real node list become the fleet and a real trace the workload. Sweep and plan files
//! ([`sweep`], [`plan`]) describe many variants of one scenario: they change the scenario's
//! YAML [`tree`] by field path ([`patch`]) before it is validated ([`variant`]), and name the
//! [`metric`]s they tabulate or constrain.
//!
//! Every input error names the file, line, column and field path ([`Error`]). Serialization
//! stops at this crate: the `sim-core` and `scheduler` types are built through their
//! constructors, never deserialized directly.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check;
pub mod conformance;
mod error;
pub mod experiment;
pub mod import;
pub mod karmada;
pub mod metric;
pub mod patch;
pub mod plan;
pub mod simulate;
pub mod spec;
pub mod sweep;
pub mod synth;
pub mod thresholds;
mod trace_fleet;
pub mod traces;
pub mod tree;
pub mod validate;
pub mod variant;
pub mod workload;

use std::path::Path;
use std::sync::Arc;

use scheduler::registry::Registry;

pub use error::{Error, Position};
pub use validate::Scenario;
pub use workload::Workload;

/// Reads, parses and validates a scenario file against the in-tree plugins.
pub fn load(file: &Path) -> Result<Scenario, Error> {
    load_shared(file, Registry::shared_builtin())
}

/// Reads, parses and validates a scenario file whose plugin names (`scheduler.plugins`,
/// `estimators`, `member_placement`, `queue_sort`, clusters' `member_placement`) are checked
/// against `plugins`; its runs use them.
pub fn load_with(file: &Path, plugins: &Registry) -> Result<Scenario, Error> {
    load_shared(file, Arc::new(plugins.clone()))
}

fn load_shared(file: &Path, plugins: Arc<Registry>) -> Result<Scenario, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        file: file.to_owned(),
        source,
    })?;
    validate::validate_with(parse(&text, file)?, file, plugins)
}

/// Parses and validates scenario text against the in-tree plugins; `file` is used in error
/// messages.
pub fn load_str(text: &str, file: &Path) -> Result<Scenario, Error> {
    validate::validate(parse(text, file)?, file)
}

/// [`load_str`] against `plugins`, as [`load_with`].
pub fn load_str_with(text: &str, file: &Path, plugins: &Registry) -> Result<Scenario, Error> {
    validate::validate_with(parse(text, file)?, file, Arc::new(plugins.clone()))
}

/// [`load_str_with`] sharing `plugins` instead of copying them.
pub(crate) fn load_str_shared(
    text: &str,
    file: &Path,
    plugins: Arc<Registry>,
) -> Result<Scenario, Error> {
    validate::validate_with(parse(text, file)?, file, plugins)
}

fn parse(text: &str, file: &Path) -> Result<spec::ScenarioSpec, Error> {
    parse_yaml(text, file)
}

/// How YAML is read. The parser's default budget (250,000 nodes, a million events) guards
/// against hostile input; fleetsim reads a user's own files, and a real fleet's
/// `kubectl get pods -A -o yaml` holds a few hundred nodes per pod, so the limits are raised
/// to what fits in memory comfortably.
fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 200_000_000;
    budget.max_events = 400_000_000;
    budget.max_total_scalar_bytes = 8 << 30;
    budget.max_documents = 10_000_000;
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    options.budget = Some(budget);
    options
}

/// Deserializes one YAML document, turning any failure into an error with line, column and
/// field path.
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &Path,
) -> Result<T, Error> {
    let options = yaml_options();
    // Tracking the field path costs more than the parse itself; the path matters only for an
    // error, so a document that reads is read untracked, and one that does not is read again
    // with the path tracked.
    if let Ok(parsed) = serde_saphyr::from_str_with_options(text, options.clone()) {
        return Ok(parsed);
    }
    let mut path = String::new();
    let parsed = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|err| {
            path = err.path().to_string();
            err.into_inner()
        })
    });
    parsed.map_err(|err| input_error(&err, path, file))
}

/// [`parse_yaml`] with a seed: for a document whose items' shapes depend on their kinds.
pub(crate) fn parse_yaml_seed<'a, S, V>(text: &'a str, file: &Path, seed: S) -> Result<V, Error>
where
    S: serde::de::DeserializeSeed<'a, Value = V> + Clone,
{
    let options = yaml_options();
    let untracked = seed.clone();
    if let Ok(parsed) =
        serde_saphyr::with_deserializer_from_str_with_options(text, options.clone(), |de| {
            untracked.deserialize(de)
        })
    {
        return Ok(parsed);
    }
    let mut track = serde_path_to_error::Track::new();
    let parsed = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        seed.deserialize(serde_path_to_error::Deserializer::new(de, &mut track))
    });
    parsed.map_err(|err| input_error(&err, track.path().to_string(), file))
}

fn input_error(err: &serde_saphyr::Error, path: String, file: &Path) -> Error {
    let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
    let mut message = err.to_string();
    // The location is reported separately.
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    if message.starts_with("invalid u32") || message.starts_with("invalid u64") {
        message = format!("{message}: expected a whole number ≥ 0");
    }
    Error::Input {
        position: Position {
            file: file.to_owned(),
            line,
            column,
            path: if path == "." { String::new() } else { path },
        },
        message,
    }
}
