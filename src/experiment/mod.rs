//! Experiments: studies run as grids of independent cells, in parallel, each deterministic
//! from its seed. `fragmentation` reproduces the FGD paper's GPU fragmentation study.

pub mod fragmentation;
mod outputs;
pub mod tables;

pub use fragmentation::{
    Cell, CellResult, FragmentationOutcome, OpenbCluster, PodList, SeedStats, arrival_order,
    run_cell, run_cell_with, run_fragmentation,
};
