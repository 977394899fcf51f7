//! What a trace format offers a scenario: a job trace for `workload.trace`, a node list for
//! `fleet_from_trace`, or both. Each format implements [`TraceFormat`] in its own file and is
//! listed once in [`super::FORMATS`].

use std::path::Path;

use scheduler::estimator::PerNodeLimit;
use sim_core::SimTime;

use super::FORMATS;
use crate::check::Checker;
use crate::error::Error;
use crate::spec::TraceWorkloadSpec;

/// A trace format, by the name scenarios give it.
pub(crate) trait TraceFormat: Sync {
    /// The name `workload.trace.format` gives its job trace, and messages give the format.
    fn name(&self) -> &'static str;

    /// How its job trace is read; `None`: the format has only a node list.
    fn job_trace(&self) -> Option<JobTrace> {
        None
    }

    /// How its node list is read; `None`: the format has no node list.
    fn node_list(&self) -> Option<NodeList> {
        None
    }
}

/// A format's job trace: rows that become jobs.
#[derive(Clone, Copy)]
pub(crate) struct JobTrace {
    /// The format's name, as [`TraceFormat::name`] gives it.
    pub(crate) name: &'static str,
    /// What one row is called in messages.
    pub(crate) row: &'static str,
    /// The fields a namespace or priority class can be mapped from, in [`TraceJob::fields`]
    /// order.
    pub(crate) fields: &'static [&'static str],
    /// The API version and kind jobs are submitted as, unless the scenario says otherwise.
    pub(crate) template: (&'static str, &'static str),
    /// Rows give whole GPUs, split into replicas by `gpus_per_replica` with `cpu_per_gpu` and
    /// `memory_per_gpu`; otherwise each row gives its own request.
    pub(crate) sizes_replicas: bool,
    /// Reads the jobs, in file order, adding a line to the warnings for rows left out.
    pub(crate) read: fn(&JobSource<'_>, &mut Vec<String>) -> Result<Vec<TraceJob>, Error>,
}

/// Where a workload's trace jobs are read from.
pub(crate) struct JobSource<'a> {
    /// Errors point into the scenario file.
    pub(crate) ck: &'a Checker<'a>,
    /// The scenario's `workload.trace`.
    pub(crate) spec: &'a TraceWorkloadSpec,
    /// The trace file.
    pub(crate) file: &'a Path,
    /// The scenario's end: services a trace never deletes run to it.
    pub(crate) horizon: Option<SimTime>,
}

/// A format's node list: rows that become nodes.
#[derive(Clone, Copy)]
pub(crate) struct NodeList {
    /// The name `fleet_from_trace.format` gives it.
    pub(crate) name: &'static str,
    /// Whether each node's CPU is given; if not, `node_cpu` is required.
    pub(crate) gives_cpu: bool,
    /// Whether each node's memory is given; if not, `node_memory` is required.
    pub(crate) gives_memory: bool,
    /// Reads the nodes in file order.
    pub(crate) read: fn(&Path) -> Result<Vec<TraceNode>, Error>,
}

/// One job of a trace, in model units, before names are resolved to ids.
pub(crate) struct TraceJob {
    pub(crate) name: String,
    pub(crate) submit_ms: u64,
    pub(crate) runtime_ms: u64,
    pub(crate) replicas: u32,
    pub(crate) cpu_milli: u64,
    pub(crate) memory: u64,
    pub(crate) gpus: u32,
    pub(crate) milli_per_gpu: u32,
    /// Allowed GPU models by name, without duplicates; empty = any.
    pub(crate) models: Vec<String>,
    /// Most replicas of the job's group (a DLRM application) on one node.
    pub(crate) per_node_limit: Option<PerNodeLimit>,
    /// The values of [`JobTrace::fields`].
    pub(crate) fields: Vec<String>,
}

/// One node as every node-list format describes it.
pub(crate) struct TraceNode {
    pub(crate) name: String,
    /// Milli-cores; `None` when the format gives no CPU.
    pub(crate) cpu_milli: Option<u64>,
    /// Bytes; `None` when the format gives no memory.
    pub(crate) memory: Option<u64>,
    pub(crate) gpus: u32,
    pub(crate) model: Option<String>,
    /// Memory of each GPU in bytes, when the trace gives it.
    pub(crate) model_memory: Option<u64>,
}

/// The job trace called `name`.
pub(crate) fn job_trace(name: &str) -> Option<JobTrace> {
    FORMATS
        .iter()
        .filter(|format| format.name() == name)
        .find_map(|format| format.job_trace())
}

/// The node list called `name`.
pub(crate) fn node_list(name: &str) -> Option<NodeList> {
    FORMATS
        .iter()
        .filter_map(|format| format.node_list())
        .find(|list| list.name == name)
}

/// The names of the job traces, for messages: `openb, philly or dlrm`.
pub(crate) fn job_trace_names() -> String {
    or_list(FORMATS.iter().filter_map(|f| f.job_trace()).map(|t| t.name))
}

/// The names of the job traces that size replicas, for messages.
pub(crate) fn replica_sizing_names() -> String {
    or_list(
        FORMATS
            .iter()
            .filter_map(|f| f.job_trace())
            .filter(|t| t.sizes_replicas)
            .map(|t| t.name),
    )
}

/// The names of the node lists, for messages: `openb-nodes, pai-machines, ...`.
pub(crate) fn node_list_names() -> String {
    or_list(FORMATS.iter().filter_map(|f| f.node_list()).map(|l| l.name))
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(names: impl Iterator<Item = &'static str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_in_messages() {
        assert_eq!(job_trace_names(), "openb, philly or dlrm");
        assert_eq!(replica_sizing_names(), "philly");
        assert_eq!(
            node_list_names(),
            "openb-nodes, pai-machines, spot-nodes or philly-machines"
        );
    }

    #[test]
    fn every_name_is_registered_once() {
        for format in FORMATS {
            if let Some(trace) = format.job_trace() {
                assert_eq!(trace.name, format.name());
            }
        }
        let jobs: Vec<&str> = FORMATS
            .iter()
            .filter_map(|f| f.job_trace())
            .map(|t| t.name)
            .collect();
        for name in &jobs {
            assert_eq!(jobs.iter().filter(|n| *n == name).count(), 1, "{name}");
            assert!(job_trace(name).is_some());
        }
        let lists: Vec<&str> = FORMATS
            .iter()
            .filter_map(|f| f.node_list())
            .map(|l| l.name)
            .collect();
        for name in &lists {
            assert_eq!(lists.iter().filter(|n| *n == name).count(), 1, "{name}");
            assert!(node_list(name).is_some());
        }
    }
}
