//! Output folders that appear whole or not at all: results are written into a hidden sibling
//! folder and renamed into place only when everything succeeded.

use std::path::{Path, PathBuf};

use crate::RunError;

/// An output folder being written.
pub struct OutputDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl OutputDir {
    /// Prepares to write `target`. An existing folder is replaced only if it is empty or holds a
    /// previous fleetsim result (it has a `summary.json`, an `experiment.json`, a
    /// `sweep.json`, a `plan.json` or a `replications.json`); anything else is refused.
    pub fn begin(target: &Path) -> Result<OutputDir, RunError> {
        let refuse = |message: &str| RunError::Output {
            path: target.to_owned(),
            message: message.to_owned(),
        };
        if target.exists() {
            if !target.is_dir() {
                return Err(refuse("exists and is not a folder"));
            }
            let empty = std::fs::read_dir(target)
                .map_err(|e| refuse(&e.to_string()))?
                .next()
                .is_none();
            let marked = [
                "summary.json",
                "experiment.json",
                "sweep.json",
                "plan.json",
                "replications.json",
            ]
            .iter()
            .any(|marker| target.join(marker).is_file());
            if !empty && !marked {
                return Err(refuse(
                    "exists and is not a fleetsim output folder; refusing to overwrite it",
                ));
            }
        }
        let name = target
            .file_name()
            .ok_or_else(|| refuse("is not a folder name"))?
            .to_string_lossy();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .map_err(|e| refuse(&format!("cannot create its parent: {e}")))?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| refuse(&e.to_string()))?;
        }
        std::fs::create_dir(&staging)
            .map_err(|e| refuse(&format!("cannot create {}: {e}", staging.display())))?;
        Ok(OutputDir {
            target: target.to_owned(),
            staging,
            committed: false,
        })
    }

    /// Where files are written until [`OutputDir::commit`].
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Moves the finished folder into place, replacing a previous result.
    pub fn commit(mut self) -> Result<(), RunError> {
        let fail = |message: String| RunError::Output {
            path: self.target.clone(),
            message,
        };
        if self.target.exists() {
            let old = self.staging.with_extension("old");
            std::fs::rename(&self.target, &old)
                .map_err(|e| fail(format!("cannot move the old result aside: {e}")))?;
            std::fs::rename(&self.staging, &self.target).map_err(|e| fail(e.to_string()))?;
            std::fs::remove_dir_all(&old)
                .map_err(|e| fail(format!("cannot remove the old result: {e}")))?;
        } else {
            std::fs::rename(&self.staging, &self.target).map_err(|e| fail(e.to_string()))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for OutputDir {
    /// A run that failed leaves nothing behind.
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}
