//! The `fleetsim` binary: parses the command line and maps the outcome to an exit code
//! (0 success, 1 a failed check, 2 bad input or usage, 3 internal error).

#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Set to make the binary panic on purpose, so tests can check what a user sees on a bug.
const PANIC_FOR_TEST: &str = "FLEETSIM_PANIC_FOR_TEST";

fn main() -> ExitCode {
    // Any panic, on any thread, is a bug in fleetsim, never the user's input: say so in one
    // line, with where it happened, and exit 3 as documented rather than Rust's 101.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_owned());
        let location = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!(
            "error: internal error{location}: {message}. This is a bug in fleetsim {}, not in your input; please report it with this line, the command line and the input files.",
            env!("CARGO_PKG_VERSION")
        );
    }));
    let cli = cli::Cli::parse();
    match std::panic::catch_unwind(move || {
        if std::env::var_os(PANIC_FOR_TEST).is_some() {
            panic!("panic requested by {PANIC_FOR_TEST}");
        }
        cli::dispatch(cli)
    }) {
        Ok(code) => code,
        Err(_) => ExitCode::from(3),
    }
}
