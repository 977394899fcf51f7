//! Alibaba's PAI trace (cluster-trace-gpu-v2020, Weng et al., NSDI '22): the machine list
//! `pai_machine_spec.csv`, which has no header row (its columns are
//! `machine,gpu_type,cap_cpu,cap_mem,cap_gpu`, given in a separate `.header` file).

use std::path::Path;

use super::{CsvRows, NodeList, Records, Row, TraceFormat, TraceNode};
use crate::error::Error;

/// One machine of `pai_machine_spec.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaiMachine {
    /// Hashed machine id.
    pub name: String,
    /// GPU type (`P100`, `T4`, `V100`, `V100M32`, `MISC`); `None` for the `CPU` machines.
    pub gpu_type: Option<String>,
    /// CPU capacity in cores.
    pub cpu_cores: u32,
    /// Memory in GB.
    pub memory_gb: u32,
    /// Number of GPUs.
    pub gpus: u32,
}

const COLUMNS: &[&str] = &["machine", "gpu_type", "cap_cpu", "cap_mem", "cap_gpu"];

/// The `gpu_type` of machines without GPUs.
const CPU_ONLY: &str = "CPU";

/// Streams the machines of a PAI machine list.
pub type PaiMachines = Records<PaiMachine>;

impl PaiMachines {
    /// Opens a machine list; it has no header, every row is a machine.
    pub fn open(file: &Path) -> Result<PaiMachines, Error> {
        Ok(Records::new(
            CsvRows::open(file, false, &[COLUMNS])?,
            parse_machine,
        ))
    }
}

fn parse_machine(row: &Row<'_>) -> Result<PaiMachine, Error> {
    let name = row.name(0, "machine id")?;
    let gpu_type = row.name(1, "GPU type (CPU for machines without GPUs)")?;
    let cpu_cores = row.parse(2, "a whole number of CPU cores")?;
    let memory_gb = row.parse(3, "a whole number of GB")?;
    let gpus: u32 = row.parse(4, "a whole number of GPUs")?;
    let gpu_type = if gpu_type == CPU_ONLY {
        if gpus > 0 {
            return Err(row.error(4, format!("a {CPU_ONLY} machine has no GPUs, found {gpus}")));
        }
        None
    } else {
        if gpus == 0 {
            return Err(row.error(
                4,
                format!("a {gpu_type} machine needs at least one GPU; machines without GPUs have type {CPU_ONLY}"),
            ));
        }
        Some(gpu_type)
    };
    Ok(PaiMachine {
        name,
        gpu_type,
        cpu_cores,
        memory_gb,
        gpus,
    })
}

/// PAI: machine lists as fleets.
pub(crate) struct Pai;

impl TraceFormat for Pai {
    fn node_list(&self) -> Option<NodeList> {
        Some(NODES)
    }

    fn name(&self) -> &'static str {
        "pai"
    }
}

/// The node list, for `fleet_from_trace`.
const NODES: NodeList = NodeList {
    name: "pai-machines",
    gives_cpu: true,
    gives_memory: true,
    read: pai_machines,
};

fn pai_machines(file: &Path) -> Result<Vec<TraceNode>, Error> {
    const GIB: u64 = 1 << 30;
    // PAI's "GB" of machine memory are DIMM sizes, i.e. GiB.
    PaiMachines::open(file)?
        .map(|machine| {
            let machine = machine?;
            Ok(TraceNode {
                name: machine.name,
                cpu_milli: Some(u64::from(machine.cpu_cores) * 1000),
                memory: Some(u64::from(machine.memory_gb) * GIB),
                gpus: machine.gpus,
                model: machine.gpu_type,
                model_memory: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("pai_machine_spec.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn machines_without_header() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "7399a758eb02bae1a3621236,CPU,96,512,0\nab12,V100M32,96,384,8\n",
        );
        let machines: Vec<PaiMachine> = PaiMachines::open(&file)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            machines,
            vec![
                PaiMachine {
                    name: "7399a758eb02bae1a3621236".into(),
                    gpu_type: None,
                    cpu_cores: 96,
                    memory_gb: 512,
                    gpus: 0,
                },
                PaiMachine {
                    name: "ab12".into(),
                    gpu_type: Some("V100M32".into()),
                    cpu_cores: 96,
                    memory_gb: 384,
                    gpus: 8,
                },
            ]
        );
    }

    #[test]
    fn malformed_rows_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "a,T4,96,512,2\nb,T4,96c,512,2\n",
                2,
                6,
                "cap_cpu",
                "`96c` is not a whole number of CPU cores",
            ),
            (
                "a,T4,96,512,2\nb,CPU,96,512,2\n",
                2,
                14,
                "cap_gpu",
                "a CPU machine has no GPUs, found 2",
            ),
            (
                "a,T4,96,512,0\n",
                1,
                13,
                "cap_gpu",
                "a T4 machine needs at least one GPU",
            ),
            (
                "a,T4,96,512,2\nb,T4,96,512\n",
                2,
                1,
                "machine",
                "expected 5 fields (machine,gpu_type,cap_cpu,cap_mem,cap_gpu), found 4",
            ),
        ];
        for (text, line, column, name, message) in cases {
            let file = write(&dir, text);
            let err = PaiMachines::open(&file)
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap_err();
            let p = err.position().unwrap();
            assert_eq!(
                (p.file.clone(), p.line, p.column, p.path.as_str()),
                (file, line, column, name),
                "{err}"
            );
            assert!(err.to_string().contains(message), "{err}");
        }
    }
}
