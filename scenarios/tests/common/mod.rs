//! What the scenarios crate's integration tests share.

use std::path::{Path, PathBuf};

/// `../shared/<relative>` beside the project, or `None` with a message on a user's machine
/// without it. With `FLEETSIM_REQUIRE_TRACES=1` (as `.ci/run` sets) a missing file fails the
/// test instead: CI must never pass by skipping.
pub fn shared_or_skip(relative: &str) -> Option<PathBuf> {
    let require = std::env::var_os("FLEETSIM_REQUIRE_TRACES").is_some_and(|v| v == "1");
    shared_or_skip_with(relative, require)
}

/// [`shared_or_skip`] with the requirement given, for testing it.
pub fn shared_or_skip_with(relative: &str, require: bool) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        !require,
        "{} is missing and FLEETSIM_REQUIRE_TRACES=1 requires it",
        path.display()
    );
    eprintln!("skipped: {} not found", path.display());
    None
}

// The rule the root crate's end-to-end tests use too.
#[path = "../../../tests/e2e/slow.rs"]
mod slow_rule;
pub use slow_rule::{skip_slow, slow};
