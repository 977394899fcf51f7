//! The `fleetsim` binary: parses the command line and maps the outcome to an exit code
//! (0 success, 1 a failed check, 2 bad input or usage, 3 internal error).

#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::dispatch(cli::Cli::parse())
}
