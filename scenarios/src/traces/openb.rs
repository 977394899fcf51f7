//! Alibaba's openb GPU trace (cluster-trace-gpu-v2023, the FGD paper's data): node lists
//! (`sn,cpu_milli,memory_mib,gpu,model`) and pod lists, in the 11-column form and the 5-column
//! form of the `multigpu*` variants.

use std::path::Path;

use super::{
    CsvRows, JobSource, JobTrace, NodeList, Records, Row, TraceFormat, TraceJob, TraceNode,
};
use crate::error::Error;

/// One node of an openb node list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenbNode {
    /// Node name (`openb-node-NNNN`).
    pub name: String,
    /// CPU capacity in milli-cores.
    pub cpu_milli: u64,
    /// Memory in MiB.
    pub memory_mib: u64,
    /// Number of GPU devices.
    pub gpus: u32,
    /// GPU model; `None` for CPU-only nodes.
    pub model: Option<String>,
}

/// One pod of an openb pod list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenbPod {
    /// Pod name (`openb-pod-NNNN`).
    pub name: String,
    /// CPU request in milli-cores.
    pub cpu_milli: u64,
    /// Memory request in MiB.
    pub memory_mib: u64,
    /// GPU devices requested.
    pub num_gpu: u32,
    /// Share of each device in milli-GPU (1..=1000); 0 for CPU-only pods.
    pub gpu_milli: u32,
    /// Allowed GPU models, `|`-separated as in the file with empty tokens dropped; empty
    /// means any.
    pub gpu_spec: String,
    /// QoS class, when the file has it.
    pub qos: Option<String>,
    /// Phase at snapshot time, when the file has it.
    pub phase: Option<String>,
    /// Creation time in seconds from the trace origin.
    pub creation_s: Option<u64>,
    /// Deletion time in seconds from the trace origin.
    pub deletion_s: Option<u64>,
    /// Scheduling time in seconds from the trace origin (absent for pods never scheduled).
    pub scheduled_s: Option<u64>,
}

impl OpenbPod {
    /// Total milli-GPU requested (`num_gpu × gpu_milli`).
    pub fn gpu_total_milli(&self) -> u64 {
        u64::from(self.num_gpu) * u64::from(self.gpu_milli)
    }

    /// The allowed models, in file order, duplicates kept.
    pub fn spec_models(&self) -> impl Iterator<Item = &str> {
        self.gpu_spec.split('|').filter(|token| !token.is_empty())
    }
}

const NODE_COLUMNS: &[&str] = &["sn", "cpu_milli", "memory_mib", "gpu", "model"];
const POD_COLUMNS: &[&str] = &[
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "qos",
    "pod_phase",
    "creation_time",
    "deletion_time",
    "scheduled_time",
];

/// Streams the nodes of an openb node list.
pub type OpenbNodes = Records<OpenbNode>;

impl OpenbNodes {
    /// Opens a node list; the header must be `sn,cpu_milli,memory_mib,gpu,model`.
    pub fn open(file: &Path) -> Result<OpenbNodes, Error> {
        Ok(Records::new(
            CsvRows::open(file, true, &[NODE_COLUMNS])?,
            parse_node,
        ))
    }
}

fn parse_node(row: &Row<'_>) -> Result<OpenbNode, Error> {
    let name = row.text(0).to_owned();
    if name.is_empty() {
        return Err(row.error(0, "empty node name".into()));
    }
    let cpu_milli = row.parse(1, "a whole number of milli-cores")?;
    let memory_mib = memory_mib(row, 2)?;
    let gpus: u32 = row.parse(3, "a whole number of GPUs")?;
    let model = Some(row.text(4).to_owned()).filter(|m| !m.is_empty());
    if gpus > 0 && model.is_none() {
        return Err(row.error(4, format!("a node with {gpus} GPUs needs a GPU model")));
    }
    if gpus == 0 && model.is_some() {
        return Err(row.error(4, "a node without GPUs has no GPU model".into()));
    }
    Ok(OpenbNode {
        name,
        cpu_milli,
        memory_mib,
        gpus,
        model,
    })
}

/// Most MiB whose bytes a `u64` counts (16 EiB).
const MAX_MIB: u64 = u64::MAX >> 20;

/// Field `idx` as a memory size in MiB, small enough to count in bytes.
fn memory_mib(row: &Row<'_>, idx: usize) -> Result<u64, Error> {
    let mib: u64 = row.parse(idx, "a whole number of MiB")?;
    if mib > MAX_MIB {
        return Err(row.error(
            idx,
            format!("{mib} MiB: expected at most {MAX_MIB} (16 EiB)"),
        ));
    }
    Ok(mib)
}

/// Streams the pods of an openb pod list (11 columns, or the first 5 of them).
pub type OpenbPods = Records<OpenbPod>;

impl OpenbPods {
    /// Opens a pod list; the header must be the 11 openb pod columns or their first 5.
    pub fn open(file: &Path) -> Result<OpenbPods, Error> {
        Ok(Records::new(
            CsvRows::open(file, true, &[POD_COLUMNS, &POD_COLUMNS[..5]])?,
            parse_pod,
        ))
    }
}

fn parse_pod(row: &Row<'_>) -> Result<OpenbPod, Error> {
    let name = row.text(0).to_owned();
    if name.is_empty() {
        return Err(row.error(0, "empty pod name".into()));
    }
    let cpu_milli = row.parse(1, "a whole number of milli-cores")?;
    let memory_mib = memory_mib(row, 2)?;
    let num_gpu: u32 = row.parse(3, "a whole number of GPUs")?;
    let gpu_milli: u32 = row.parse(4, "a whole number of milli-GPU")?;
    if gpu_milli > 1000 {
        return Err(row.error(
            4,
            format!("{gpu_milli} milli-GPU per device: expected at most 1000"),
        ));
    }
    if (num_gpu == 0) != (gpu_milli == 0) {
        return Err(row.error(
            4,
            format!(
                "{gpu_milli} milli-GPU with {num_gpu} GPUs: expected 0 exactly when num_gpu is 0"
            ),
        ));
    }
    if num_gpu > 1 && gpu_milli != 1000 {
        return Err(row.error(
            4,
            format!("{gpu_milli} milli-GPU on each of {num_gpu} GPUs: a multi-GPU pod takes whole devices (1000)"),
        ));
    }
    let long = row.n_fields() > 5;
    let gpu_spec = if long {
        row.text(5)
            .split('|')
            .filter(|token| !token.trim().is_empty())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("|")
    } else {
        String::new()
    };
    let optional = |idx: usize| Some(row.text(idx).to_owned()).filter(|t| long && !t.is_empty());
    let time = |idx: usize| -> Result<Option<u64>, Error> {
        if long {
            row.parse_opt(idx, "a whole number of seconds")
        } else {
            Ok(None)
        }
    };
    Ok(OpenbPod {
        name,
        cpu_milli,
        memory_mib,
        num_gpu,
        gpu_milli,
        gpu_spec,
        qos: optional(6),
        phase: optional(7),
        creation_s: time(8)?,
        deletion_s: time(9)?,
        scheduled_s: time(10)?,
    })
}

/// openb: pod lists replayed as jobs, node lists as fleets.
pub(crate) struct Openb;

impl TraceFormat for Openb {
    fn name(&self) -> &'static str {
        JOBS.name
    }

    fn job_trace(&self) -> Option<JobTrace> {
        Some(JOBS)
    }

    fn node_list(&self) -> Option<NodeList> {
        Some(NODES)
    }
}

/// The job trace, for `workload.trace`.
const JOBS: JobTrace = JobTrace {
    name: "openb",
    row: "pod",
    fields: &["qos", "phase"],
    template: ("batch/v1", "Job"),
    sizes_replicas: false,
    read: openb_jobs,
};

/// The node list, for `fleet_from_trace`.
const NODES: NodeList = NodeList {
    name: "openb-nodes",
    gives_cpu: true,
    gives_memory: true,
    read: openb_nodes,
};

fn openb_jobs(source: &JobSource<'_>, warnings: &mut Vec<String>) -> Result<Vec<TraceJob>, Error> {
    let (ck, spec, file) = (source.ck, source.spec, source.file);
    let mut jobs = Vec::new();
    let (mut total, mut unusable) = (0u64, 0u64);
    for pod in OpenbPods::open(file)? {
        let pod = pod?;
        total += 1;
        let (Some(creation), Some(deletion)) = (pod.creation_s, pod.deletion_s) else {
            unusable += 1;
            continue;
        };
        // Pending pods were never scheduled: they ran (or waited) from creation.
        let start = pod.scheduled_s.unwrap_or(creation);
        if deletion < start {
            unusable += 1;
            continue;
        }
        let mut models: Vec<String> = Vec::new();
        for model in pod.spec_models() {
            if !models.iter().any(|m| m == model) {
                models.push(model.to_owned());
            }
        }
        jobs.push(TraceJob {
            submit_ms: creation.saturating_mul(1000),
            runtime_ms: (deletion - start).saturating_mul(1000),
            replicas: 1,
            cpu_milli: pod.cpu_milli,
            memory: pod.memory_mib.saturating_mul(1 << 20),
            gpus: pod.num_gpu,
            milli_per_gpu: pod.gpu_milli,
            models,
            per_node_limit: None,
            fields: vec![pod.qos.unwrap_or_default(), pod.phase.unwrap_or_default()],
            name: pod.name,
        });
    }
    if total > 0 && unusable == total {
        return ck.at(
            &spec.file,
            "workload.trace.file",
            format!(
                "no pod of {} has a creation and a deletion time (the 5-column pod lists have no times), so none can be replayed",
                file.display()
            ),
        );
    }
    if unusable > 0 {
        warnings.push(format!(
            "workload.trace: {unusable} of {total} pods of {} have no usable times (no creation or deletion time, or deleted before they started) and are left out",
            file.display()
        ));
    }
    Ok(jobs)
}

fn openb_nodes(file: &Path) -> Result<Vec<TraceNode>, Error> {
    const MIB: u64 = 1 << 20;
    OpenbNodes::open(file)?
        .map(|node| {
            let node = node?;
            Ok(TraceNode {
                name: node.name,
                cpu_milli: Some(node.cpu_milli),
                memory: Some(node.memory_mib.saturating_mul(MIB)),
                gpus: node.gpus,
                model: node.model,
                model_memory: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_error<T>(records: Result<Records<T>, Error>) -> Error {
        records
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .err()
            .expect("an error")
    }

    #[test]
    fn memory_too_large_to_count_in_bytes_is_refused() {
        // 2^44 MiB is 2^64 bytes, one more than a u64 holds.
        let dir = tempfile::tempdir().unwrap();
        let nodes = dir.path().join("nodes.csv");
        std::fs::write(
            &nodes,
            "sn,cpu_milli,memory_mib,gpu,model\nn0,8000,17592186044415,1,A\nn1,8000,17592186044416,1,A\n",
        )
        .unwrap();
        let err = first_error(OpenbNodes::open(&nodes));
        let p = err.position().unwrap();
        assert_eq!((p.line, p.column, p.path.as_str()), (3, 9, "memory_mib"));
        assert!(
            err.to_string()
                .ends_with("17592186044416 MiB: expected at most 17592186044415 (16 EiB)"),
            "{err}"
        );
        let pods = dir.path().join("pods.csv");
        std::fs::write(
            &pods,
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,17592186044416,1,1000\n",
        )
        .unwrap();
        let err = first_error(OpenbPods::open(&pods));
        let p = err.position().unwrap();
        assert_eq!((p.line, p.column, p.path.as_str()), (2, 9, "memory_mib"));
    }
}
