//! `run.json`: how a run folder was made (the scenario file, the SHA-256 of its content, the
//! seed and every command-line override), so that `fleetsim run --again` can make it again
//! and `fleetsim compare` can tell whether two folders ran the same scenario.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::RunError;

/// The command-line settings that changed what a run did; absent = the scenario's own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// `--seed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// `--federation` (`karmada` or `direct`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federation: Option<String>,
    /// `--format` (`parquet` or `csv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// `--check-invariants`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_invariants: Option<bool>,
}

/// What `run.json` holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    /// The scenario file as given on the command line.
    pub scenario_file: String,
    /// The scenario's name.
    pub scenario: String,
    /// SHA-256 of the scenario file's bytes, in hex.
    pub scenario_sha256: String,
    /// The seed the run used (the scenario's, or `--seed`).
    pub seed: u64,
    /// Command-line overrides.
    #[serde(default)]
    pub overrides: Overrides,
    /// Wall-clock seconds of the simulation (the only field a rerun does not reproduce).
    pub wall_seconds: f64,
    /// Events the engine handled.
    pub events: u64,
    /// Events per wall-clock second.
    pub events_per_second: f64,
    /// Jobs that arrived.
    pub jobs: u64,
    /// Peak resident memory, when the platform tells.
    pub peak_rss_mib: Option<f64>,
    /// The scenario's validation warnings.
    pub warnings: Vec<String>,
}

/// SHA-256 of a file's bytes, in lower-case hex.
pub fn file_sha256(path: &Path) -> Result<String, RunError> {
    let bytes = std::fs::read(path).map_err(|e| RunError::Output {
        path: path.to_owned(),
        message: format!("cannot read it: {e}"),
    })?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Reads a run folder's `run.json`.
pub fn read_record(dir: &Path) -> Result<RunRecord, RunError> {
    let path = dir.join("run.json");
    let text = std::fs::read_to_string(&path).map_err(|e| RunError::Output {
        path: path.clone(),
        message: format!("cannot read it: {e}"),
    })?;
    serde_json::from_str(&text).map_err(|e| RunError::Output {
        path,
        message: format!(
            "not a run record (scenario_file, scenario_sha256, seed, overrides, ...): {e}"
        ),
    })
}

/// The scenario file a run folder was made from, checked unchanged since: the path as
/// recorded (relative paths from the current folder, as they were given), and its hash.
pub fn unchanged_scenario(dir: &Path, record: &RunRecord) -> Result<PathBuf, RunError> {
    let scenario = PathBuf::from(&record.scenario_file);
    let now = file_sha256(&scenario)?;
    if now != record.scenario_sha256 {
        return Err(RunError::Output {
            path: scenario,
            message: format!(
                "changed since {} was made (sha256 {} then, {} now); the run cannot be made again",
                dir.display(),
                short(&record.scenario_sha256),
                short(&now)
            ),
        });
    }
    Ok(scenario)
}

/// The first 12 hex digits, enough to tell scenarios apart in a message.
pub fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_text() {
        // FIPS 180-2's example: SHA-256("abc").
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("abc.txt");
        std::fs::write(&file, "abc").unwrap();
        assert_eq!(
            file_sha256(&file).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn overrides_not_given_are_not_written() {
        let given = Overrides {
            federation: Some("direct".into()),
            ..Overrides::default()
        };
        assert_eq!(
            serde_json::to_string(&given).unwrap(),
            r#"{"federation":"direct"}"#
        );
    }
}
