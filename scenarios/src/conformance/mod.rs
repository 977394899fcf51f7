//! Conformance cases (`fleetsim conformance DIR`): one YAML file per case with its expected
//! answer. Decision cases (`divide`, `select`, `estimate`, [`decision`]) pin one scheduling
//! decision, in the format of the shared conformance README; timeline cases (`timeline`,
//! [`timeline`]) run a small scenario through the engine and the control plane and pin the
//! events it produces. Every case runs the simulation's own code.

mod decision;
mod estimate;
mod timeline;

pub use timeline::run_events;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::check::Checker;
use crate::error::Error;
use crate::spec::Text;

/// The answer a case expects or gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Replicas per cluster name (0 omitted).
    Assignment(BTreeMap<String, i64>),
    /// Selected cluster names.
    Selected(Vec<String>),
    /// Max replicas per cluster name.
    MaxReplicas(BTreeMap<String, i64>),
    /// The decision fails.
    Unschedulable,
    /// A timeline case's events, as the case states them or as the run found them.
    Events(String),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |map: &BTreeMap<String, i64>| {
            map.iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Answer::Assignment(map) => write!(f, "assignment {{{}}}", join(map)),
            Answer::Selected(names) => write!(f, "selected [{}]", names.join(", ")),
            Answer::MaxReplicas(map) => write!(f, "max_replicas {{{}}}", join(map)),
            Answer::Unschedulable => f.write_str("error unschedulable"),
            Answer::Events(text) => f.write_str(text),
        }
    }
}

/// One case's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// What the case expects.
    pub expected: Answer,
    /// What fleetsim decided.
    pub got: Answer,
}

impl CaseResult {
    /// True when the decision matches the expectation.
    pub fn passed(&self) -> bool {
        self.expected == self.got
    }

    /// `ok NAME` or `FAIL NAME: expected …, got …`.
    pub fn line(&self) -> String {
        if self.passed() {
            format!("ok {}", self.name)
        } else {
            format!(
                "FAIL {}: expected {}, got {}",
                self.name, self.expected, self.got
            )
        }
    }
}

/// Runs every `*.yaml` case in `dir`, in file-name order.
pub fn run_dir(dir: &Path) -> Result<Vec<CaseResult>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        file: dir.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    if files.is_empty() {
        // A folder with no cases would pass vacuously: a CI step pointed at the wrong path
        // must fail, not report "0 passed, 0 failed".
        return Err(Error::Input {
            position: crate::Position {
                file: dir.to_owned(),
                line: 0,
                column: 0,
                path: String::new(),
            },
            message: "no case files (*.yaml) in this folder: expected at least one".to_owned(),
        });
    }
    files.iter().map(|file| run_file(file)).collect()
}

/// The case's kind, read before the rest of the file.
#[derive(Deserialize)]
struct KindOnly {
    kind: Option<Text>,
}

/// Runs one case file.
pub fn run_file(file: &Path) -> Result<CaseResult, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        file: file.to_owned(),
        source,
    })?;
    let ck = Checker {
        file,
        line_offset: 0,
    };
    let kind: KindOnly = crate::parse_yaml(&text, file)?;
    match kind.kind {
        None => ck.error(
            0,
            0,
            "kind",
            "missing field `kind`: expected divide, select, estimate or timeline",
        ),
        Some(kind) if kind.value == "timeline" => timeline::run(&ck, &text),
        Some(kind) if ["divide", "select", "estimate"].contains(&kind.value.as_str()) => {
            decision::run(&ck, &text)
        }
        Some(kind) => ck.at(
            &kind,
            "kind",
            format!(
                "unknown kind {:?}; expected divide, select, estimate or timeline",
                kind.value
            ),
        ),
    }
}

/// The summary line: `N passed, M failed`.
pub fn summary_line(results: &[CaseResult]) -> String {
    let passed = results.iter().filter(|r| r.passed()).count();
    let mut line = String::new();
    let _ = write!(line, "{passed} passed, {} failed", results.len() - passed);
    line
}
