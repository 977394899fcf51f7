//! The scenarios crate's integration tests, one module per area, built as one test binary.
//!
//! Generated-input tests run a few hundred inputs per loader by default and their full size
//! with `FLEETSIM_SLOW=1` ([`common::slow`]).

mod common;
mod conformance;
mod economics;
mod fleet_costs;
mod gates;
mod initial_state;
mod karmada_import;
mod load;
mod pastes;
mod robustness;
mod thresholds_inputs;
mod trace_scenarios;
mod traces;
mod variants;
mod zones_and_weights;
