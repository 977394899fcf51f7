//! What the scenarios crate's integration tests share.

use std::io::Write as _;
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

/// Whether to run slow tests, or property tests at full size: `FLEETSIM_SLOW=1` (as `.ci/run`
/// sets).
pub fn slow() -> bool {
    std::env::var_os("FLEETSIM_SLOW").is_some_and(|v| v == "1")
}

/// Whether to skip the calling slow test: yes unless [`slow`], saying so on stderr past the
/// test harness's capture, so that the skip shows in a plain `cargo test`.
pub fn skip_slow() -> bool {
    if slow() {
        return false;
    }
    let thread = std::thread::current();
    let test = thread
        .name()
        .filter(|name| *name != "main")
        .unwrap_or("a test");
    // A failed write to stderr leaves nothing better to do.
    let _ = writeln!(std::io::stderr(), "slow: set FLEETSIM_SLOW=1 to run {test}");
    true
}
