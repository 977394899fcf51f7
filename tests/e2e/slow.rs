//! The one rule deciding whether slow tests run, shared by the root crate's and the scenarios
//! crate's test binaries (the latter includes this file by path).

use std::io::Write as _;

/// Whether to run slow tests (the paper reproduction, real-trace runs, the release-vs-debug
/// comparison): `FLEETSIM_SLOW=1`, as `.ci/run` sets.
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
