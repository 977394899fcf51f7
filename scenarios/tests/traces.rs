//! The trace loaders on the real trace files in `../shared/traces`, checked against the counts
//! and totals each trace's README states (never against numbers the loaders produced). On a
//! machine without the traces each test says so and passes. Reading the real traces is slow:
//! these tests run only with `FLEETSIM_SLOW=1`.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use scenarios::traces::dlrm::{DlrmInstance, DlrmInstances, DlrmRole};
use scenarios::traces::openb::{OpenbNode, OpenbNodes, OpenbPod, OpenbPods};
use scenarios::traces::pai::{PaiMachine, PaiMachines};
use scenarios::traces::philly::{
    PhillyJob, PhillyJobs, PhillyMachine, PhillyMachines, PhillyVc, PhillyVcs,
};
use scenarios::traces::spot::{SpotNode, SpotNodes};

/// The trace file, or `None` (with a message) when it is not on this machine.
fn trace(relative: &str) -> Option<PathBuf> {
    common::shared_or_skip(&format!("traces/{relative}"))
}

fn all<T, E: std::fmt::Display>(rows: impl Iterator<Item = Result<T, E>>) -> Vec<T> {
    rows.map(|row| row.unwrap_or_else(|err| panic!("{err}")))
        .collect()
}

fn histogram<K: Ord>(keys: impl Iterator<Item = K>) -> BTreeMap<K, usize> {
    let mut counts = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    counts
}

// ---------------------------------------------------------------------------------------------
// openb (alibaba-gpu-v2023)

fn openb_nodes(file: &str) -> Option<Vec<OpenbNode>> {
    let path = trace(&format!("alibaba-gpu-v2023/{file}"))?;
    Some(all(OpenbNodes::open(&path).unwrap()))
}

fn openb_pods(file: &str) -> Option<Vec<OpenbPod>> {
    let path = trace(&format!("alibaba-gpu-v2023/{file}"))?;
    Some(all(OpenbPods::open(&path).unwrap()))
}

/// GPU nodes per (model, GPUs per node), from the README's model list.
fn readme_openb_gpu_shapes() -> BTreeMap<(String, u32), usize> {
    [
        ("G2", 8, 549),
        ("T4", 2, 387),
        ("T4", 4, 17),
        ("P100", 2, 131),
        ("P100", 1, 3),
        ("V100M16", 8, 8),
        ("V100M16", 4, 28),
        ("V100M16", 1, 19),
        ("G3", 8, 39),
        ("V100M32", 8, 21),
        ("V100M32", 4, 9),
        ("A10", 1, 2),
    ]
    .into_iter()
    .map(|(model, gpus, nodes)| ((model.to_owned(), gpus), nodes))
    .collect()
}

fn gpu_shapes(nodes: &[OpenbNode]) -> BTreeMap<(String, u32), usize> {
    histogram(
        nodes
            .iter()
            .filter_map(|n| n.model.clone().map(|model| (model, n.gpus))),
    )
}

#[test]
fn openb_gpu_node_list() {
    if common::skip_slow() {
        return;
    }
    let Some(nodes) = openb_nodes("openb_node_list_gpu_node.csv") else {
        return;
    };
    assert_eq!(nodes.len(), 1213);
    assert_eq!(nodes.iter().map(|n| u64::from(n.gpus)).sum::<u64>(), 6212);
    // The total CPU is not in the README; the task's brief gives it.
    assert_eq!(nodes.iter().map(|n| n.cpu_milli).sum::<u64>(), 107_018_000);
    assert!(nodes.iter().all(|n| n.gpus > 0 && n.model.is_some()));
    assert_eq!(gpu_shapes(&nodes), readme_openb_gpu_shapes());
}

#[test]
fn openb_all_node_list() {
    if common::skip_slow() {
        return;
    }
    let Some(all_nodes) = openb_nodes("openb_node_list_all_node.csv") else {
        return;
    };
    assert_eq!(all_nodes.len(), 1523);
    let cpu_only = all_nodes.iter().filter(|n| n.gpus == 0).count();
    assert_eq!(cpu_only, 310);
    assert!(
        all_nodes
            .iter()
            .filter(|n| n.gpus == 0)
            .all(|n| n.model.is_none())
    );
    assert_eq!(
        all_nodes.iter().map(|n| u64::from(n.gpus)).sum::<u64>(),
        6212
    );
    assert_eq!(gpu_shapes(&all_nodes), readme_openb_gpu_shapes());
    // "SAME multiset of node specs as the GPU rows of all_node, but node NAMES ARE RENUMBERED
    // (only 278/1213 names coincide)".
    let Some(gpu_nodes) = openb_nodes("openb_node_list_gpu_node.csv") else {
        return;
    };
    let spec = |n: &OpenbNode| (n.cpu_milli, n.memory_mib, n.gpus, n.model.clone());
    assert_eq!(
        histogram(all_nodes.iter().filter(|n| n.gpus > 0).map(spec)),
        histogram(gpu_nodes.iter().map(spec))
    );
    // Read as: 278 rows of the GPU list name the same node (same name, same spec) in both.
    let row = |n: &OpenbNode| (n.name.clone(), spec(n));
    let all_rows: BTreeSet<_> = all_nodes.iter().map(row).collect();
    let same_node = gpu_nodes
        .iter()
        .filter(|n| all_rows.contains(&row(n)))
        .count();
    assert_eq!(same_node, 278);
}

#[test]
fn openb_default_pods() {
    if common::skip_slow() {
        return;
    }
    let Some(pods) = openb_pods("openb_pod_list_default.csv") else {
        return;
    };
    assert_eq!(pods.len(), 8152);
    assert_eq!(
        histogram(pods.iter().map(|p| p.num_gpu)),
        BTreeMap::from([(0, 1088), (1, 6989), (2, 16), (4, 15), (8, 44)])
    );
    let sharing = pods
        .iter()
        .filter(|p| p.num_gpu == 1 && p.gpu_milli < 1000)
        .count();
    assert_eq!(sharing, 3078);
    assert!(
        pods.iter()
            .filter(|p| p.num_gpu > 1)
            .all(|p| p.gpu_milli == 1000)
    );
    assert!(pods.iter().all(|p| p.gpu_spec.is_empty()));
    assert_eq!(
        histogram(pods.iter().map(|p| p.qos.as_deref().unwrap())),
        BTreeMap::from([
            ("BE", 3398),
            ("Burstable", 100),
            ("Guaranteed", 7),
            ("LS", 4647)
        ])
    );
    assert_eq!(
        histogram(pods.iter().map(|p| p.phase.as_deref().unwrap())),
        BTreeMap::from([
            ("Failed", 1870),
            ("Pending", 897),
            ("Running", 5193),
            ("Succeeded", 192)
        ])
    );
    // Times: creation 0 ..= 12,901,761 s, sorted; deletion never empty, 9,964,972 ..=
    // 12,902,960 s; scheduled empty for the 897 pending pods.
    let creation: Vec<u64> = pods.iter().map(|p| p.creation_s.unwrap()).collect();
    assert!(creation.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!((creation[0], creation[creation.len() - 1]), (0, 12_901_761));
    let deletion: Vec<u64> = pods.iter().map(|p| p.deletion_s.unwrap()).collect();
    assert_eq!(deletion.iter().min(), Some(&9_964_972));
    assert_eq!(deletion.iter().max(), Some(&12_902_960));
    assert_eq!(pods.iter().filter(|p| p.scheduled_s.is_none()).count(), 897);
    assert!(
        pods.iter()
            .filter(|p| p.scheduled_s.is_none())
            .all(|p| p.phase.as_deref() == Some("Pending"))
    );
    // "Total GPU demand of default trace = sum(num_gpu*gpu_milli/1000) = 6086.8 GPUs".
    assert_eq!(
        pods.iter().map(OpenbPod::gpu_total_milli).sum::<u64>(),
        6_086_800
    );
}

#[test]
fn openb_gpuspec33_pods() {
    if common::skip_slow() {
        return;
    }
    let Some(pods) = openb_pods("openb_pod_list_gpuspec33.csv") else {
        return;
    };
    assert_eq!(pods.len(), 8152);
    assert_eq!(pods.iter().filter(|p| !p.gpu_spec.is_empty()).count(), 2388);
    // "Same rows as default (byte-identical except gpu_spec)".
    let Some(default) = openb_pods("openb_pod_list_default.csv") else {
        return;
    };
    for (spec, base) in pods.iter().zip(&default) {
        assert_eq!(
            OpenbPod {
                gpu_spec: String::new(),
                ..spec.clone()
            },
            *base
        );
    }
    assert!(
        pods.iter()
            .flat_map(|p| p.spec_models().collect::<Vec<_>>())
            .all(|m| ["A10", "G2", "G3", "P100", "T4", "V100M16", "V100M32"].contains(&m))
    );
}

#[test]
fn openb_multigpu50_pods_have_five_columns() {
    if common::skip_slow() {
        return;
    }
    let Some(pods) = openb_pods("openb_pod_list_multigpu50.csv") else {
        return;
    };
    assert_eq!(pods.len(), 9061);
    assert!(pods.iter().all(|p| p.qos.is_none()
        && p.phase.is_none()
        && p.creation_s.is_none()
        && p.deletion_s.is_none()
        && p.scheduled_s.is_none()
        && p.gpu_spec.is_empty()));
}

#[test]
fn openb_pod_list_variants() {
    if common::skip_slow() {
        return;
    }
    let expected = [
        ("cpu037", 7336),
        ("cpu050", 7439),
        ("cpu072", 7608),
        ("cpu100", 7853),
        ("cpu200", 8832),
        ("cpu235", 9240),
        ("cpu250", 9420),
        ("cpu300", 10094),
        ("gpushare20", 8152),
        ("gpushare40", 8152),
        ("gpushare60", 8152),
        ("gpushare80", 8152),
        ("gpushare100", 8152),
        ("gpuspec05", 8152),
        ("gpuspec10", 8152),
        ("gpuspec20", 8152),
        ("gpuspec25", 8152),
        ("multigpu20", 8324),
        ("multigpu30", 8508),
        ("multigpu40", 8746),
    ];
    for (variant, rows) in expected {
        let Some(pods) = openb_pods(&format!("openb_pod_list_{variant}.csv")) else {
            continue;
        };
        assert_eq!(pods.len(), rows, "{variant}");
        // The 5-column form is exactly the multigpu lists.
        assert_eq!(
            pods.iter().all(|p| p.creation_s.is_none()),
            variant.starts_with("multigpu"),
            "{variant}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Philly

#[test]
fn philly_jobs() {
    if common::skip_slow() {
        return;
    }
    let Some(path) = trace("philly/philly.csv") else {
        return;
    };
    let jobs: Vec<PhillyJob> = all(PhillyJobs::open(&path).unwrap());
    assert_eq!(jobs.len(), 82_247);
    assert_eq!(
        histogram(jobs.iter().map(|j| j.num_gpus)),
        BTreeMap::from([
            (1, 76_627),
            (2, 1_818),
            (4, 1_870),
            (8, 1_643),
            (12, 7),
            (16, 199),
            (24, 7),
            (32, 67),
            (64, 6),
            (128, 3),
        ])
    );
    let vcs = histogram(jobs.iter().map(|j| j.vc.as_str()));
    assert_eq!(vcs.len(), 15);
    assert_eq!(
        [vcs["6214e9"], vcs["11cb48"], vcs["6c71a0"], vcs["b436b2"]],
        [41_226, 16_091, 9_953, 7_423]
    );
    // Range 2017-09-04 10:30:41 .. 2017-12-22 08:02:11 Pacific: PDT (UTC−7) then PST (UTC−8).
    let utc = |text: &str| text.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    assert_eq!(
        jobs.iter().map(|j| j.submit_ms).min(),
        Some(utc("2017-09-04T17:30:41Z"))
    );
    assert_eq!(
        jobs.iter().map(|j| j.submit_ms).max(),
        Some(utc("2017-12-22T16:02:11Z"))
    );
    // "rows NOT sorted".
    assert!(jobs.windows(2).any(|w| w[0].submit_ms > w[1].submit_ms));
    // duration 1 .. 4,628,226 s; gpu_time = duration × num_gpus.
    assert_eq!(jobs.iter().map(|j| j.duration_ms).min(), Some(1_000));
    assert_eq!(
        jobs.iter().map(|j| j.duration_ms).max(),
        Some(4_628_226_000)
    );
    assert!(
        jobs.iter()
            .all(|j| j.gpu_time_ms == j.duration_ms * u64::from(j.num_gpus))
    );
}

#[test]
fn philly_cluster_machine_list() {
    if common::skip_slow() {
        return;
    }
    let Some(path) = trace("philly/cluster_machine_list") else {
        return;
    };
    let machines: Vec<PhillyMachine> = all(PhillyMachines::open(&path).unwrap());
    assert_eq!(machines.len(), 552);
    assert_eq!(
        histogram(machines.iter().map(|m| (m.gpus, m.gpu_memory_gb))),
        BTreeMap::from([((2, Some(12)), 321), ((8, Some(24)), 231)])
    );
}

#[test]
fn philly_revised_machine_list() {
    if common::skip_slow() {
        return;
    }
    let Some(path) = trace("philly/revised_machine_list.csv") else {
        return;
    };
    let machines: Vec<PhillyMachine> = all(PhillyMachines::open(&path).unwrap());
    assert_eq!(machines.len(), 552);
    assert!(machines.iter().all(|m| m.gpu_memory_gb.is_none()));
    assert_eq!(
        histogram(machines.iter().map(|m| m.gpus)),
        BTreeMap::from([(0, 13), (2, 3), (3, 1), (4, 271), (8, 264)])
    );
}

#[test]
fn philly_virtual_clusters() {
    if common::skip_slow() {
        return;
    }
    let Some(path) = trace("philly/philly_vc.csv") else {
        return;
    };
    let vcs: Vec<PhillyVc> = all(PhillyVcs::open(&path).unwrap());
    assert_eq!(vcs.len(), 11);
    assert_eq!(vcs.iter().map(|vc| vc.nodes).sum::<u32>(), 352);
}

// ---------------------------------------------------------------------------------------------
// PAI (alibaba-pai-gpu-v2020)

#[test]
fn pai_machines() {
    if common::skip_slow() {
        return;
    }
    let Some(path) = trace("alibaba-pai-gpu-v2020/pai_machine_spec.csv") else {
        return;
    };
    let machines: Vec<PaiMachine> = all(PaiMachines::open(&path).unwrap());
    assert_eq!(machines.len(), 1897);
    assert_eq!(
        machines.iter().map(|m| u64::from(m.gpus)).sum::<u64>(),
        6742
    );
    // Shapes: GPU type, GPUs, cores, GB.
    assert_eq!(
        histogram(machines.iter().map(|m| (
            m.gpu_type.as_deref().unwrap_or("CPU"),
            m.gpus,
            m.cpu_cores,
            m.memory_gb
        ))),
        BTreeMap::from([
            (("CPU", 0, 96, 512), 83),
            (("MISC", 8, 96, 512), 280),
            (("P100", 2, 64, 512), 798),
            (("T4", 2, 96, 512), 497),
            (("V100", 8, 96, 384), 45),
            (("V100", 8, 96, 512), 59),
            (("V100M32", 8, 96, 384), 135),
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// Spot (alibaba-spot-gpu-v2026)

#[test]
fn spot_nodes() {
    if common::skip_slow() {
        return;
    }
    let Some(path) = trace("alibaba-spot-gpu-v2026/node_info_df.csv") else {
        return;
    };
    let nodes: Vec<SpotNode> = all(SpotNodes::open(&path).unwrap());
    assert_eq!(nodes.len(), 4278);
    assert_eq!(nodes.iter().map(|n| u64::from(n.gpus)).sum::<u64>(), 10_412);
    let mut per_model: BTreeMap<&str, u64> = BTreeMap::new();
    for node in &nodes {
        *per_model.entry(node.gpu_model.as_str()).or_default() += u64::from(node.gpus);
    }
    assert_eq!(
        per_model,
        BTreeMap::from([
            ("A10", 2494),
            ("A100-SXM4-80GB", 3456),
            ("A800-SXM4-80GB", 176),
            ("GPU-series-1", 1558),
            ("GPU-series-2", 976),
            ("H800", 1752),
        ])
    );
    assert_eq!(
        histogram(
            nodes
                .iter()
                .map(|n| (n.gpu_model.as_str(), n.gpus, n.cpu_cores))
        ),
        BTreeMap::from([
            (("A10", 1, 126), 2),
            (("A10", 1, 128), 2492),
            (("A100-SXM4-80GB", 8, 128), 432),
            (("A800-SXM4-80GB", 8, 128), 22),
            (("GPU-series-1", 1, 128), 1),
            (("GPU-series-1", 1, 192), 901),
            (("GPU-series-1", 4, 192), 10),
            (("GPU-series-1", 8, 192), 77),
            (("GPU-series-2", 8, 192), 122),
            (("H800", 8, 192), 219),
        ])
    );
    // node_name: integer ids, one per node. (The README says 0..4277; the file's ids have gaps
    // and go higher, so only their uniqueness is checked.)
    let names: BTreeSet<u32> = nodes.iter().map(|n| n.name.parse().unwrap()).collect();
    assert_eq!(names.len(), 4278);
}

// ---------------------------------------------------------------------------------------------
// DLRM (alibaba-gpu-v2025-dlrm)

#[test]
fn dlrm_instances() {
    if common::skip_slow() {
        return;
    }
    let Some(path) = trace("alibaba-gpu-v2025-dlrm/disaggregated_DLRM_trace.csv") else {
        return;
    };
    let instances: Vec<DlrmInstance> = all(DlrmInstances::open(&path).unwrap());
    assert_eq!(instances.len(), 23_871);
    assert_eq!(
        instances
            .iter()
            .map(|i| i.app.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        156
    );
    assert_eq!(
        histogram(instances.iter().map(|i| i.role)),
        BTreeMap::from([(DlrmRole::Cn, 16_485), (DlrmRole::Hn, 7_386)])
    );
    // CN instances ask for no GPU, HN for one.
    assert!(instances.iter().all(|i| i.gpu_request
        == match i.role {
            DlrmRole::Cn => 0,
            DlrmRole::Hn => 1,
        }));
    // "cpu_request/limit vCPUs (equal)".
    assert!(
        instances
            .iter()
            .all(|i| i.cpu_request_milli == i.cpu_limit_milli)
    );
    assert_eq!(
        instances.iter().filter(|i| i.creation_ms.is_none()).count(),
        7_280
    );
    assert_eq!(
        instances.iter().filter(|i| i.deletion_ms.is_none()).count(),
        8_878
    );
    // "EMPTY (NaN) if before trace start (creation/scheduled: 7,280 empty creation)".
    assert_eq!(
        instances
            .iter()
            .filter(|i| i.scheduled_ms.is_none())
            .count(),
        7_280
    );
    // "Range ~475 .. 2,677,541 s (~31 days)": creations start at 475 s, and nothing happens
    // after 2,677,541 s.
    let creation_min = instances
        .iter()
        .filter_map(|i| i.creation_ms)
        .min()
        .unwrap();
    assert!((475_000..476_000).contains(&creation_min), "{creation_min}");
    let last = instances
        .iter()
        .flat_map(|i| [i.creation_ms, i.scheduled_ms, i.deletion_ms])
        .flatten()
        .max()
        .unwrap();
    assert!((2_677_541_000..2_677_542_000).contains(&last), "{last}");
    assert!(instances.iter().all(|i| i.rdma_request_pct <= 100));
}
