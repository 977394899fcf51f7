//! Alibaba's spot GPU trace (cluster-trace-v2026-spot-gpu, the GFS paper, ASPLOS '26): the node
//! list `node_info_df.csv` (`gpu_model,gpu_capacity_num,cpu_num,node_name`; the column order
//! differs from the upstream README, which lists `node_name` first).

use std::path::Path;

use super::{CsvRows, NodeList, Records, Row, TraceFormat, TraceNode};
use crate::error::Error;

/// One node of `node_info_df.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpotNode {
    /// Node name (an integer id in the published file).
    pub name: String,
    /// GPU model (`A10`, `A100-SXM4-80GB`, `H800`, `GPU-series-1`, ...).
    pub gpu_model: String,
    /// Number of GPUs.
    pub gpus: u32,
    /// Number of vCPUs.
    pub cpu_cores: u32,
}

const COLUMNS: &[&str] = &["gpu_model", "gpu_capacity_num", "cpu_num", "node_name"];

/// Streams the nodes of a spot node list.
pub type SpotNodes = Records<SpotNode>;

impl SpotNodes {
    /// Opens a node list; the header must be `gpu_model,gpu_capacity_num,cpu_num,node_name`.
    pub fn open(file: &Path) -> Result<SpotNodes, Error> {
        Ok(Records::new(
            CsvRows::open(file, true, &[COLUMNS])?,
            parse_node,
        ))
    }
}

fn parse_node(row: &Row<'_>) -> Result<SpotNode, Error> {
    let gpu_model = row.name(0, "GPU model")?;
    let gpus = row.parse(1, "a whole number of GPUs")?;
    let cpu_cores = row.parse(2, "a whole number of vCPUs")?;
    let name = row.name(3, "node name")?;
    Ok(SpotNode {
        name,
        gpu_model,
        gpus,
        cpu_cores,
    })
}

/// The node list, for `fleet_from_trace`.
const NODES: NodeList = NodeList {
    name: "spot-nodes",
    gives_cpu: true,
    gives_memory: false,
    read: spot_nodes,
};

/// Spot: node lists as fleets.
pub(crate) struct Spot;

impl TraceFormat for Spot {
    fn name(&self) -> &'static str {
        "spot"
    }

    fn node_list(&self) -> Option<NodeList> {
        Some(NODES)
    }
}

fn spot_nodes(file: &Path) -> Result<Vec<TraceNode>, Error> {
    SpotNodes::open(file)?
        .map(|node| {
            let node = node?;
            Ok(TraceNode {
                name: node.name,
                cpu_milli: Some(u64::from(node.cpu_cores) * 1000),
                memory: None,
                gpus: node.gpus,
                model: (node.gpus > 0).then_some(node.gpu_model),
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
        let path = dir.path().join("node_info_df.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    const HEADER: &str = "gpu_model,gpu_capacity_num,cpu_num,node_name\n";

    #[test]
    fn nodes() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            &format!("{HEADER}GPU-series-1,4,192,0\nA100-SXM4-80GB,8,128,3\n"),
        );
        let nodes: Vec<SpotNode> = SpotNodes::open(&file)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            nodes,
            vec![
                SpotNode {
                    name: "0".into(),
                    gpu_model: "GPU-series-1".into(),
                    gpus: 4,
                    cpu_cores: 192,
                },
                SpotNode {
                    name: "3".into(),
                    gpu_model: "A100-SXM4-80GB".into(),
                    gpus: 8,
                    cpu_cores: 128,
                },
            ]
        );
    }

    #[test]
    fn malformed_rows_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "A10,1,128,2\nA10,1.5,128,3\n",
                3,
                5,
                "gpu_capacity_num",
                "`1.5` is not a whole number of GPUs",
            ),
            (
                "A10,1,128,2\n,1,128,3\n",
                3,
                1,
                "gpu_model",
                "empty GPU model",
            ),
            (
                "A10,1,lots,2\n",
                2,
                7,
                "cpu_num",
                "`lots` is not a whole number of vCPUs",
            ),
        ];
        for (rows, line, column, name, message) in cases {
            let file = write(&dir, &format!("{HEADER}{rows}"));
            let err = SpotNodes::open(&file)
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap_err();
            let p = err.position().unwrap();
            assert_eq!(
                (p.file.clone(), p.line, p.column, p.path.as_str()),
                (file, line, column, name),
                "{err}"
            );
            assert!(err.to_string().ends_with(message), "{err}");
        }
    }
}
