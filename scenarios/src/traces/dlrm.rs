//! Alibaba's GPU-disaggregated DLRM serving trace (cluster-trace-gpu-v2025, the Prism paper,
//! NSDI '25): `disaggregated_DLRM_trace.csv`, one row per long-running inference instance.
//!
//! Quantities are converted to the model's units as they are read (vCPUs to milli-cores, GiB
//! to bytes, float seconds to milliseconds), so every consumer agrees on the rounding.

use std::fmt;
use std::path::Path;

use scheduler::estimator::PerNodeLimit;
use sim_core::SimTime;

use super::{CsvRows, JobSource, JobTrace, Records, Row, TraceFormat, TraceJob};
use crate::error::Error;

/// The two kinds of instance in the disaggregated deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DlrmRole {
    /// `CN`: an instance on a CPU node (no GPU).
    Cn,
    /// `HN`: an instance on a heterogeneous GPU node.
    Hn,
}

impl DlrmRole {
    /// The role as the file writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DlrmRole::Cn => "CN",
            DlrmRole::Hn => "HN",
        }
    }
}

impl fmt::Display for DlrmRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One instance of the DLRM trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DlrmInstance {
    /// Instance name (`instance_N`).
    pub name: String,
    /// CN or HN.
    pub role: DlrmRole,
    /// The application (service) the instance belongs to (`app_N`).
    pub app: String,
    /// CPU request in milli-cores (the file gives vCPUs).
    pub cpu_request_milli: u64,
    /// CPU limit in milli-cores.
    pub cpu_limit_milli: u64,
    /// Whole GPUs requested.
    pub gpu_request: u32,
    /// Whole GPUs allowed.
    pub gpu_limit: u32,
    /// RDMA bandwidth requested, in percent of one RNIC (0..=100).
    pub rdma_request_pct: u32,
    /// RDMA bandwidth allowed, in percent of one RNIC (0..=100).
    pub rdma_limit_pct: u32,
    /// Memory request in bytes (the file gives GiB).
    pub memory_request: u64,
    /// Memory limit in bytes.
    pub memory_limit: u64,
    /// Disk request in bytes (the file gives GiB).
    pub disk_request: u64,
    /// Disk limit in bytes.
    pub disk_limit: u64,
    /// Most instances of the application on one node; `None` when unlimited (`-1`).
    pub max_per_node: Option<u32>,
    /// Creation time in milliseconds from the trace start; `None` when before the trace.
    pub creation_ms: Option<u64>,
    /// Scheduling time in milliseconds from the trace start; `None` when before the trace.
    pub scheduled_ms: Option<u64>,
    /// Deletion time in milliseconds from the trace start; `None` when after the trace.
    pub deletion_ms: Option<u64>,
}

const COLUMNS: &[&str] = &[
    "instance_sn",
    "role",
    "app_name",
    "cpu_request",
    "cpu_limit",
    "gpu_request",
    "gpu_limit",
    "rdma_request",
    "rdma_limit",
    "memory_request",
    "memory_limit",
    "disk_request",
    "disk_limit",
    "max_instance_per_node",
    "creation_time",
    "scheduled_time",
    "deletion_time",
];

const GIB: f64 = (1u64 << 30) as f64;

/// Streams the instances of a DLRM trace.
pub type DlrmInstances = Records<DlrmInstance>;

impl DlrmInstances {
    /// Opens a DLRM trace; the header must be its 17 columns.
    pub fn open(file: &Path) -> Result<DlrmInstances, Error> {
        Ok(Records::new(
            CsvRows::open(file, true, &[COLUMNS])?,
            parse_instance,
        ))
    }
}

fn percent(row: &Row<'_>, idx: usize) -> Result<u32, Error> {
    let value: u32 = row.parse(idx, "a whole percentage of one RNIC")?;
    if value > 100 {
        return Err(row.error(idx, format!("{value}% of one RNIC: expected at most 100")));
    }
    Ok(value)
}

fn parse_instance(row: &Row<'_>) -> Result<DlrmInstance, Error> {
    let name = row.name(0, "instance name")?;
    let role = match row.text(1) {
        "CN" => DlrmRole::Cn,
        "HN" => DlrmRole::Hn,
        other => {
            return Err(row.error(1, format!("`{other}` is not a role: expected CN or HN")));
        }
    };
    let app = row.name(2, "application name")?;
    let max_per_node = match row.parse::<i64>(13, "a whole number of instances (-1 = unlimited)")? {
        -1 => None,
        n if n >= 1 => Some(u32::try_from(n).map_err(|_| {
            row.error(
                13,
                format!("{n} instances per node: expected at most {}", u32::MAX),
            )
        })?),
        n => {
            return Err(row.error(
                13,
                format!("{n} instances per node: expected -1 (unlimited) or at least 1"),
            ));
        }
    };
    Ok(DlrmInstance {
        name,
        role,
        app,
        cpu_request_milli: row.scaled(3, 1000.0, "a number of vCPUs")?,
        cpu_limit_milli: row.scaled(4, 1000.0, "a number of vCPUs")?,
        gpu_request: row.parse(5, "a whole number of GPUs")?,
        gpu_limit: row.parse(6, "a whole number of GPUs")?,
        rdma_request_pct: percent(row, 7)?,
        rdma_limit_pct: percent(row, 8)?,
        memory_request: row.scaled(9, GIB, "a number of GiB")?,
        memory_limit: row.scaled(10, GIB, "a number of GiB")?,
        disk_request: row.scaled(11, GIB, "a number of GiB")?,
        disk_limit: row.scaled(12, GIB, "a number of GiB")?,
        max_per_node,
        creation_ms: row.seconds_ms(14)?,
        scheduled_ms: row.seconds_ms(15)?,
        deletion_ms: row.seconds_ms(16)?,
    })
}

/// DLRM serving: instances replayed as long-running jobs, an application's instances capped
/// per node.
pub(crate) struct Dlrm;

impl TraceFormat for Dlrm {
    fn name(&self) -> &'static str {
        JOBS.name
    }

    fn job_trace(&self) -> Option<JobTrace> {
        Some(JOBS)
    }
}

/// The job trace, for `workload.trace`.
const JOBS: JobTrace = JobTrace {
    name: "dlrm",
    row: "instance",
    fields: &["app", "role"],
    template: ("apps/v1", "Deployment"),
    sizes_replicas: false,
    read: dlrm_jobs,
};

fn dlrm_jobs(source: &JobSource<'_>, warnings: &mut Vec<String>) -> Result<Vec<TraceJob>, Error> {
    let (file, horizon) = (source.file, source.horizon);
    let rows = DlrmInstances::open(file)?.collect::<Result<Vec<DlrmInstance>, Error>>()?;
    // Instances the trace never deletes run to the horizon, or else to the trace's end.
    let trace_end = rows
        .iter()
        .flat_map(|i| [i.creation_ms, i.scheduled_ms, i.deletion_ms])
        .flatten()
        .max()
        .unwrap_or(0);
    let open_end = horizon.map_or(trace_end, SimTime::as_millis);
    let total = rows.len();
    let mut unusable = 0;
    let mut jobs = Vec::with_capacity(total);
    for instance in rows {
        // Instances created before the trace started are there from time 0.
        let submit_ms = instance.creation_ms.unwrap_or(0);
        let start = instance.scheduled_ms.or(instance.creation_ms).unwrap_or(0);
        let end = instance.deletion_ms.unwrap_or(open_end.max(start));
        if end < start {
            unusable += 1;
            continue;
        }
        jobs.push(TraceJob {
            name: instance.name,
            submit_ms,
            runtime_ms: end - start,
            replicas: 1,
            cpu_milli: instance.cpu_request_milli,
            memory: instance.memory_request,
            gpus: instance.gpu_request,
            milli_per_gpu: if instance.gpu_request == 0 { 0 } else { 1000 },
            models: Vec::new(),
            per_node_limit: instance.max_per_node.map(|max| PerNodeLimit {
                group: instance.app.clone(),
                max,
            }),
            fields: vec![instance.app, instance.role.as_str().to_owned()],
        });
    }
    if unusable > 0 {
        warnings.push(format!(
            "workload.trace: {unusable} of {total} instances of {} are deleted before they start and are left out",
            file.display()
        ));
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const HEADER: &str = "instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,rdma_request,rdma_limit,memory_request,memory_limit,disk_request,disk_limit,max_instance_per_node,creation_time,scheduled_time,deletion_time\n";

    fn write(dir: &tempfile::TempDir, rows: &str) -> PathBuf {
        let path = dir.path().join("disaggregated_DLRM_trace.csv");
        std::fs::write(&path, format!("{HEADER}{rows}")).unwrap();
        path
    }

    #[test]
    fn instances_with_missing_times_and_unlimited_caps() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "instance_0,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,\n\
             instance_9,CN,app_3,0.5,1,0,0,1,1,0.25,1.5,10,10,-1,475.25,NaN,2677541.0\n",
        );
        let instances: Vec<DlrmInstance> = DlrmInstances::open(&file)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            instances,
            vec![
                DlrmInstance {
                    name: "instance_0".into(),
                    role: DlrmRole::Hn,
                    app: "app_0".into(),
                    cpu_request_milli: 12_000,
                    cpu_limit_milli: 12_000,
                    gpu_request: 1,
                    gpu_limit: 1,
                    rdma_request_pct: 25,
                    rdma_limit_pct: 25,
                    memory_request: 120 << 30,
                    memory_limit: 120 << 30,
                    disk_request: 640 << 30,
                    disk_limit: 800 << 30,
                    max_per_node: Some(8),
                    creation_ms: None,
                    scheduled_ms: None,
                    deletion_ms: None,
                },
                DlrmInstance {
                    name: "instance_9".into(),
                    role: DlrmRole::Cn,
                    app: "app_3".into(),
                    cpu_request_milli: 500,
                    cpu_limit_milli: 1000,
                    gpu_request: 0,
                    gpu_limit: 0,
                    rdma_request_pct: 1,
                    rdma_limit_pct: 1,
                    memory_request: 1 << 28,
                    memory_limit: 3 << 29,
                    disk_request: 10 << 30,
                    disk_limit: 10 << 30,
                    max_per_node: None,
                    creation_ms: Some(475_250),
                    scheduled_ms: None,
                    deletion_ms: Some(2_677_541_000),
                },
            ]
        );
    }

    #[test]
    fn malformed_rows_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let good = "instance_0,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,\n";
        let cases = [
            (
                "instance_1,GPU,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,\n",
                12,
                "role",
                "`GPU` is not a role: expected CN or HN",
            ),
            (
                "instance_1,HN,app_0,abc,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,\n",
                21,
                "cpu_request",
                "`abc` is not a number of vCPUs ≥ 0",
            ),
            (
                "instance_1,HN,app_0,12,12,1,1,25,25,-1.0,120.0,640.0,800.0,8,,,\n",
                37,
                "memory_request",
                "`-1.0` is not a number of GiB ≥ 0",
            ),
            (
                "instance_1,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,0,,,\n",
                61,
                "max_instance_per_node",
                "0 instances per node: expected -1 (unlimited) or at least 1",
            ),
            (
                "instance_1,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,soon\n",
                65,
                "deletion_time",
                "`soon` is not a number of seconds",
            ),
            (
                "instance_1,HN,app_0,12,12,1,1,250,25,120.0,120.0,640.0,800.0,8,,,\n",
                31,
                "rdma_request",
                "250% of one RNIC: expected at most 100",
            ),
        ];
        for (bad, column, name, message) in cases {
            let file = write(&dir, &format!("{good}{bad}"));
            let err = DlrmInstances::open(&file)
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap_err();
            let p = err.position().unwrap();
            assert_eq!(
                (p.file.clone(), p.line, p.column, p.path.as_str()),
                (file, 3, column, name),
                "{err}"
            );
            assert!(err.to_string().ends_with(message), "{err}");
        }
    }

    #[test]
    fn times_past_the_millisecond_clock_are_refused() {
        // 1e16 s is 1e19 ms, more than a u64 of milliseconds (1.8e19) can be trusted to hold
        // once rounded from a float: refused rather than saturated.
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "instance_1,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,1e16\n",
        );
        let err = DlrmInstances::open(&file)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err();
        let p = err.position().unwrap();
        assert_eq!(
            (p.line, p.column, p.path.as_str()),
            (2, 65, "deletion_time")
        );
        assert!(
            err.to_string()
                .ends_with("`1e16` is not a number of seconds ≥ 0"),
            "{err}"
        );
    }
}
