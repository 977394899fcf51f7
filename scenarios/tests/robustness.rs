//! Bad input never panics. Every loader is fed mutated copies of the bundled example files
//! (numbers made negative, zero, huge, NaN or infinite; strings emptied; keys deleted; lists
//! emptied or repeated; lines cut; random bytes inserted), and every trace reader is fed
//! truncated and garbled CSV built from small hand-made samples. Each must answer `Ok` or an
//! error: a panic fails the test and prints the input that caused it.
//!
//! Runs are seeded, so a failure reproduces. By default each loader gets a few hundred inputs;
//! with `FLEETSIM_SLOW=1` (as CI sets) 10,000 per file loader and a few thousand per trace
//! reader.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Once;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use scenarios::traces::dlrm::DlrmInstances;
use scenarios::traces::openb::{OpenbNodes, OpenbPods};
use scenarios::traces::pai::PaiMachines;
use scenarios::traces::philly::{PhillyJobs, PhillyMachines, PhillyVcs};
use scenarios::traces::spot::SpotNodes;

use crate::common::slow;

/// Inputs per file loader. Each loader's inputs are split over two tests (two seeds), so the
/// test threads share the work evenly.
fn file_cases() -> u32 {
    if slow() { 10_000 } else { 500 }
}

/// The inputs of half `half` (0 or 1) of a loader's.
fn half_cases(half: u32) -> u32 {
    file_cases() / 2 + half * (file_cases() % 2)
}

/// Inputs per trace reader.
fn trace_cases() -> u32 {
    if slow() { 3_000 } else { 300 }
}

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        // A failing input is reported as generated; shrinking whole files costs more than it
        // tells.
        max_shrink_iters: 200,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Panics as failures

thread_local! {
    /// The message and place of the last panic on this thread.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
    /// Whether a loader is running under [`never_panics`] on this thread.
    static CHECKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Panics of a loader are caught and reported with their input: instead of the default
/// hook's output, where the panic happened is recorded. Other panics (a failing test) go to
/// the default hook.
fn quiet_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CHECKING.with(std::cell::Cell::get) {
                default(info);
                return;
            }
            let place = info
                .location()
                .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = format!("{message}{place}"));
        }));
    });
}

/// Runs `load`; a panic becomes a test failure naming the panic and showing `input`.
fn never_panics<T, E>(
    what: &str,
    input: &dyn std::fmt::Display,
    load: impl FnOnce() -> Result<T, E>,
) -> Result<(), TestCaseError> {
    CHECKING.with(|c| c.set(true));
    let outcome = catch_unwind(AssertUnwindSafe(|| load().map(|_| ())));
    CHECKING.with(|c| c.set(false));
    match outcome {
        Ok(_) => Ok(()),
        Err(_) => {
            let panic = LAST_PANIC.with(|p| p.borrow().clone());
            Err(TestCaseError::fail(format!(
                "{what} panicked: {panic}\n--- input ---\n{input}\n--- end of input ---"
            )))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures: the examples beside small traces

/// A copy of `examples/` in a temporary folder, with the references to the big traces in
/// `../shared/traces` pointed at small hand-made files in `traces/`.
struct Fixture {
    dir: tempfile::TempDir,
}

const OPENB_NODES: &str = "sn,cpu_milli,memory_mib,gpu,model
openb-node-0000,96000,786432,8,G2
openb-node-0001,64000,262144,2,T4
openb-node-0002,96000,786432,8,G2
openb-node-0003,32000,131072,1,P100
openb-node-0004,64000,262144,0,
openb-node-0005,64000,262144,4,T4
";

const OPENB_PODS: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0
openb-pod-0001,6000,12288,1,460,,BE,Running,427061,12902960,427061
openb-pod-0002,8000,8192,2,1000,G2|T4,Guaranteed,Running,500000,600000,500010
openb-pod-0003,4000,4096,0,0,,BE,Succeeded,100,200,150
openb-pod-0004,16000,32768,1,500,T4,LS,Pending,700,,
";

const OPENB_PODS_SHORT: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli
openb-pod-0000,12000,16384,1,1000
openb-pod-0001,6000,12288,1,460
openb-pod-0002,8000,8192,2,1000
openb-pod-0003,4000,4096,0,0
";

const PHILLY_MACHINES: &str = "machineId, number of GPUs, single GPU mem
m0,2, 12GB
m1,8, 24GB
m2,8, 24GB
m3,2, 12GB
m4,8, 24GB
";

const PHILLY_REVISED_MACHINES: &str = ",machineId,number of GPUs
0,m0,2
1,m1,8
2,m2,0
3,m3,3
";

const PHILLY_VCS: &str = "vc,node num
6214e9,2
7f04ca,1
";

const PHILLY_JOBS: &str = "timestamp,duration,num_gpus,gpu_time,cluster
2017-10-03 14:22:01,3600,8,28800,6214e9
2017-11-05 01:30:00,60.0,16,960.0,7f04ca
2017-10-04 01:00:00,7200,1,7200,11cb48
2017-11-05 00:59:00,30.0,0,0,other
";

const PAI_MACHINES: &str = "6c1fbd28d0c9c2b6a2ba6be6,P100,64,512,2
b3f2b8a24d5e0c3bb7f2d3ad,T4,96,512,2
9a2e1c6b7d3f4a5b6c7d8e9f,CPU,96,512,0
";

const SPOT_NODES: &str = "gpu_model,gpu_capacity_num,cpu_num,node_name
GPU-series-1,4,192,0
A100-SXM4-80GB,8,128,3
H800,8,192,7
";

const DLRM: &str = "instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,rdma_request,rdma_limit,memory_request,memory_limit,disk_request,disk_limit,max_instance_per_node,creation_time,scheduled_time,deletion_time
instance_0,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,
instance_1,CN,app_1,48,48,0,0,1,1,64.5,64.5,100.0,100.0,-1,100.5,101.0,500.0
instance_2,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,200.0,200.0,
instance_3,CN,app_2,8,8,0,0,1,1,16.0,16.0,10.0,10.0,2,,,50.0
";

/// Scenarios beside the examples, for the trace formats no example uses.
const EXTRA_SCENARIOS: &[(&str, &str)] = &[
    (
        "spot-dlrm.yaml",
        "name: spot-dlrm
horizon: 1h
fleet_from_trace:
  format: spot-nodes
  file: ../../traces/spot/node_info_df.csv
  node_memory: 512Gi
  split: {by_hash: {clusters: [dc-a, dc-b]}}
namespaces: [{name: serving}, {name: app_2}, {name: other}]
workload:
  trace:
    format: dlrm
    file: ../../traces/dlrm/disaggregated_DLRM_trace.csv
    namespace: {from: app, map: {app_0: serving}, default: other}
",
    ),
    (
        "pai-openb.yaml",
        "name: pai-openb
seed: 3
fleet_from_trace:
  format: pai-machines
  file: ../../traces/pai/pai_machine_spec.csv
  split: {by_share: {dc-01: 45, dc-02: 35, dc-03: 20}}
namespaces: [{name: all}]
workload:
  trace: {format: openb, file: ../../traces/alibaba-gpu-v2023/openb_pod_list_short.csv, namespace: {default: all}}
",
    ),
];

/// Small stand-ins for the base scenarios of the example sweeps and plans, with the names
/// their changes refer to: each sweep or plan input validates its base many times over, and a
/// debug build spends that time parsing YAML.
const SMALL_BASES: &[(&str, &str)] = &[
    (
        "h100-fleet.yaml",
        "name: h100-small
seed: 11
gpu_models: [{name: H100, speed: 2.0}]
clusters:
  - {name: dc-1, zone: a, node_pools: [{name: h100, count: 2, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: H100}]}
  - {name: dc-2, zone: b, node_pools: [{name: h100, count: 2, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: H100}]}
priority_classes: [{name: high, value: 1000}, {name: low, value: 100}]
namespaces: [{name: llm}, {name: vision, checkpoint_interval: 1h}]
workload:
  synthetic:
    jobs: 10
    arrivals: {rate: 40/h}
    runtime: {lognormal: {median: 2h, sigma: 1.0}, max: 2d}
    gpus: [{gpus: 1, weight: 30}, {gpus: 16, weight: 7}]
    namespaces: [{name: llm, weight: 3, priority_class: high}, {name: vision, weight: 2, priority_class: low}]
",
    ),
    (
        "team-quotas.yaml",
        "name: team-quotas-small
seed: 21
gpu_models: [{name: A100}]
clusters:
  - {name: dc-1, node_pools: [{name: a100, count: 2, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: A100}]}
  - {name: dc-2, node_pools: [{name: a100, count: 2, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: A100}]}
namespaces:
  - {name: llm, quota: {duplicated: {requests.nvidia.com/gpu: \"16\"}}}
  - {name: vision, quota: {duplicated: {requests.nvidia.com/gpu: \"8\"}}}
  - {name: research, quota: {duplicated: {requests.nvidia.com/gpu: \"8\"}}}
quota_mode: duplicated
workload:
  synthetic:
    jobs: 10
    arrivals: {rate: 24/h}
    runtime: {lognormal: {median: 2h, sigma: 0.8}}
    gpus: [{gpus: 1, weight: 30}, {gpus: 8, weight: 25}]
    namespaces: [{name: llm, weight: 5}, {name: vision, weight: 3}, {name: research, weight: 2}]
",
    ),
];

/// Small trace files, by path under `traces/`.
const TRACES: &[(&str, &str)] = &[
    (
        "alibaba-gpu-v2023/openb_node_list_gpu_node.csv",
        OPENB_NODES,
    ),
    (
        "alibaba-gpu-v2023/openb_pod_list_short.csv",
        OPENB_PODS_SHORT,
    ),
    ("philly/cluster_machine_list", PHILLY_MACHINES),
    ("philly/revised_machine_list.csv", PHILLY_REVISED_MACHINES),
    ("philly/philly_vc.csv", PHILLY_VCS),
    ("philly/philly.csv", PHILLY_JOBS),
    ("pai/pai_machine_spec.csv", PAI_MACHINES),
    ("spot/node_info_df.csv", SPOT_NODES),
    ("dlrm/disaggregated_DLRM_trace.csv", DLRM),
    // Edge cases an example's reference may be pointed at.
    (
        "edge/header-only-nodes.csv",
        "sn,cpu_milli,memory_mib,gpu,model\n",
    ),
    (
        "edge/cpu-only-nodes.csv",
        "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,65536,0,\nn1,32000,65536,0,\n",
    ),
    (
        "edge/header-only-pods.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n",
    ),
    (
        "edge/cpu-only-pods.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,1024,0,0\n",
    ),
    ("edge/empty.csv", ""),
];

/// What a reference may be replaced with, besides the mutations of its text.
const EDGE_FILES: &[&str] = &[
    "../../traces/edge/header-only-nodes.csv",
    "../../traces/edge/cpu-only-nodes.csv",
    "../../traces/edge/header-only-pods.csv",
    "../../traces/edge/cpu-only-pods.csv",
    "../../traces/edge/empty.csv",
    "../../traces/alibaba-gpu-v2023/openb_pod_list_short.csv",
    "../../traces/alibaba-gpu-v2023/openb_node_list_gpu_node.csv",
    "../../traces",
    "../scenarios/quickstart.yaml",
    "../scenarios/team-quotas.yaml",
    "../scenarios/estimator-gap.yaml",
    "../scenarios/h100-fleet.yaml",
    "karmada/team-policies.yaml",
    "/dev/null",
    "missing.yaml",
];

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        copy_examples(&examples, &dir.path().join("examples"));
        for (name, text) in TRACES {
            let path = dir.path().join("traces").join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        for (name, text) in EXTRA_SCENARIOS {
            std::fs::write(dir.path().join("examples/scenarios").join(name), text).unwrap();
        }
        for (name, text) in SMALL_BASES {
            let small = format!("small-{name}");
            std::fs::write(dir.path().join("examples/scenarios").join(&small), text).unwrap();
            for kind in ["sweeps", "plans"] {
                for entry in std::fs::read_dir(dir.path().join("examples").join(kind)).unwrap() {
                    let path = entry.unwrap().path();
                    let text = std::fs::read_to_string(&path).unwrap();
                    let from = format!("scenario: ../scenarios/{name}");
                    let to = format!("scenario: ../scenarios/{small}");
                    std::fs::write(&path, text.replace(&from, &to)).unwrap();
                }
            }
        }
        Fixture { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// The YAML files of `examples/<kind>` (not its sub-folders), as (path, text).
    fn seeds(&self, kind: &str) -> Vec<(PathBuf, String)> {
        let mut seeds: Vec<(PathBuf, String)> = std::fs::read_dir(self.path("examples").join(kind))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                (p, text)
            })
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "no examples in {kind}");
        seeds
    }
}

/// Copies `from` to `to`, pointing references to `../shared/traces` at `traces/`. Every
/// reference the examples make to a trace must have a small stand-in.
fn copy_examples(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_examples(&path, &target);
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut out = String::new();
        // Comments and blank lines are left out: mutating them tells nothing.
        for line in text.lines() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let line = line.replace("../../../shared/traces/", "../../traces/");
            if let Some(at) = line.find("../../traces/") {
                let name = line[at + "../../traces/".len()..]
                    .split_whitespace()
                    .next()
                    .unwrap();
                let stand_in = match name {
                    n if n.contains("openb_pod_list") => {
                        Some("alibaba-gpu-v2023/openb_pod_list_short.csv")
                    }
                    n if TRACES.iter().any(|(t, _)| *t == n) => None,
                    n => panic!("no small stand-in for the trace {n}"),
                };
                let line = match stand_in {
                    Some(stand_in) => line.replace(name, stand_in),
                    None => line,
                };
                out.push_str(&line);
            } else {
                out.push_str(&line);
            }
            out.push('\n');
        }
        std::fs::write(&target, out).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations of YAML text

/// Values a scalar may be replaced with.
const SPECIAL: &[&str] = &[
    "-1",
    "0",
    "-0",
    "1e30",
    "-1e30",
    "18446744073709551616",
    "18446744073709551615",
    "4294967296",
    "4294967295",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999999999999999999",
    ".nan",
    ".inf",
    "-.inf",
    "NaN",
    "1e-300",
    "0.0000001",
    "1e308",
    "\"\"",
    "''",
    "0s",
    "0ms",
    "0m",
    "213503982334d",
    "106751991167300d",
    "5124095576030431h",
    "99999999999999999999d",
    "1.5ms",
    "0/min",
    "1e308/ms",
    "1e-320/d",
    "-1/h",
    "1000000000/ms",
    "1Ei",
    "7Ei",
    "8Ei",
    "9e18",
    "9223372036854775807k",
    "999999999999Ei",
    "1e40",
    "-1Gi",
    "0.001m",
    "[]",
    "{}",
    "[[]]",
    "null",
    "~",
    "true",
    "x",
    "\"-\"",
    "[0]",
    "[-1]",
    "clusters[-1]",
    "clusters[*].node_pools[*].count",
    "workload.synthetic.gpus[0].weight",
    "workload.synthetic.gpus[*].weight",
    "namespaces[0].quota",
    "seed",
    "nominal",
    "each_single_cluster_loss",
    "lose",
];

fn special(idx: usize) -> &'static str {
    let all = SPECIAL.len() + EDGE_FILES.len();
    let idx = idx % all;
    if idx < SPECIAL.len() {
        SPECIAL[idx]
    } else {
        EDGE_FILES[idx - SPECIAL.len()]
    }
}

/// One change to a YAML text. Line and item indices wrap around the text's.
#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the `nth` number on a line by a special value.
    Number {
        line: usize,
        nth: usize,
        value: usize,
    },
    /// Put a minus sign before the `nth` number on a line.
    Negate { line: usize, nth: usize },
    /// Replace the `nth` scalar (key or value) on a line by a special value.
    Scalar {
        line: usize,
        nth: usize,
        value: usize,
    },
    /// Replace the `nth` scalar on a line by `""`.
    Empty { line: usize, nth: usize },
    /// Replace the `nth` scalar on a line by one from another line.
    Swap {
        line: usize,
        nth: usize,
        from: usize,
        from_nth: usize,
    },
    /// Delete a line and the lines indented below it (a key and its value).
    DeleteBlock { line: usize },
    /// Empty a list: a flow list's items, or the items indented below a key.
    EmptyList { line: usize },
    /// Repeat a line and the lines indented below it (a list item with its fields).
    Repeat { line: usize, times: usize },
    /// Cut a line short.
    CutLine { line: usize, at: usize },
    /// Insert bytes into a line.
    Insert {
        line: usize,
        at: usize,
        bytes: Vec<u8>,
    },
    /// Cut the whole text short.
    CutText { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = any::<usize>;
    prop_oneof![
        4 => (n(), n(), n()).prop_map(|(line, nth, value)| Mutation::Number { line, nth, value }),
        1 => (n(), n()).prop_map(|(line, nth)| Mutation::Negate { line, nth }),
        3 => (n(), n(), n()).prop_map(|(line, nth, value)| Mutation::Scalar { line, nth, value }),
        1 => (n(), n()).prop_map(|(line, nth)| Mutation::Empty { line, nth }),
        1 => (n(), n(), n(), n()).prop_map(|(line, nth, from, from_nth)| Mutation::Swap {
            line,
            nth,
            from,
            from_nth
        }),
        2 => n().prop_map(|line| Mutation::DeleteBlock { line }),
        1 => n().prop_map(|line| Mutation::EmptyList { line }),
        1 => (n(), prop_oneof![1usize..4, 4usize..300])
            .prop_map(|(line, times)| Mutation::Repeat { line, times }),
        1 => (n(), n()).prop_map(|(line, at)| Mutation::CutLine { line, at }),
        1 => (n(), n(), proptest::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(line, at, bytes)| Mutation::Insert { line, at, bytes }),
        1 => n().prop_map(|at| Mutation::CutText { at }),
    ]
}

/// The spans of the scalars on a line: the text between YAML's flow and block punctuation,
/// comments left out.
fn scalars(line: &str) -> Vec<(usize, usize)> {
    let bytes = line.as_bytes();
    let mut spans = Vec::new();
    let mut start = None;
    let mut quote = None;
    let mut idx = 0;
    let end_span = |spans: &mut Vec<(usize, usize)>, start: usize, end: usize| {
        let text = &line[start..end];
        let trimmed = text.trim();
        if !trimmed.is_empty() {
            let lead = text.len() - text.trim_start().len();
            spans.push((start + lead, start + lead + trimmed.len()));
        }
    };
    while idx < bytes.len() {
        let b = bytes[idx];
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            idx += 1;
            continue;
        }
        let separator = matches!(b, b',' | b'[' | b']' | b'{' | b'}')
            || (b == b':' && bytes.get(idx + 1).is_none_or(|c| *c == b' '))
            || (b == b'-' && bytes.get(idx + 1) == Some(&b' ') && line[..idx].trim().is_empty());
        if b == b'#' && (idx == 0 || bytes[idx - 1] == b' ') {
            break;
        }
        if separator {
            if let Some(s) = start.take() {
                end_span(&mut spans, s, idx);
            }
        } else {
            if start.is_none() && b != b' ' {
                start = Some(idx);
            }
            if b == b'"' || b == b'\'' {
                quote = Some(b);
            }
        }
        idx += 1;
    }
    if let Some(s) = start {
        end_span(&mut spans, s, bytes.len());
    }
    spans
}

fn is_number(text: &str) -> bool {
    let t = text.trim_matches('"');
    !t.is_empty() && t.parse::<f64>().is_ok()
        || t.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// The line range of the block `line` opens: itself and the lines indented deeper below it.
fn block(lines: &[String], line: usize) -> std::ops::Range<usize> {
    let own = lines[line].len() - lines[line].trim_start_matches(' ').len();
    let mut end = line + 1;
    while end < lines.len()
        && (lines[end].trim().is_empty() || indent_of_block_line(&lines[end]) > own)
    {
        end += 1;
    }
    line..end
}

fn indent_of_block_line(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A char boundary at or below `at` in `s`.
fn boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn replace_span(lines: &mut [String], line: usize, span: (usize, usize), with: &str) {
    lines[line].replace_range(span.0..span.1, with);
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for m in mutations {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        let pick =
            |spans: &[(usize, usize)], nth: usize| spans.get(nth % spans.len().max(1)).copied();
        match m {
            Mutation::Number { line, nth, value } | Mutation::Scalar { line, nth, value } => {
                let line = line % n;
                let mut spans = scalars(&lines[line]);
                if matches!(m, Mutation::Number { .. }) {
                    spans.retain(|&(s, e)| is_number(&lines[line][s..e]));
                }
                if let Some(span) = pick(&spans, *nth) {
                    replace_span(&mut lines, line, span, special(*value));
                }
            }
            Mutation::Negate { line, nth } => {
                let line = line % n;
                let mut spans = scalars(&lines[line]);
                spans.retain(|&(s, e)| is_number(&lines[line][s..e]));
                if let Some((s, _)) = pick(&spans, *nth) {
                    lines[line].insert(s, '-');
                }
            }
            Mutation::Empty { line, nth } => {
                let line = line % n;
                let spans = scalars(&lines[line]);
                if let Some(span) = pick(&spans, *nth) {
                    replace_span(&mut lines, line, span, "\"\"");
                }
            }
            Mutation::Swap {
                line,
                nth,
                from,
                from_nth,
            } => {
                let (line, from) = (line % n, from % n);
                let from_spans = scalars(&lines[from]);
                let Some((fs, fe)) = pick(&from_spans, *from_nth) else {
                    continue;
                };
                let value = lines[from][fs..fe].to_owned();
                let spans = scalars(&lines[line]);
                if let Some(span) = pick(&spans, *nth) {
                    replace_span(&mut lines, line, span, &value);
                }
            }
            Mutation::DeleteBlock { line } => {
                let range = block(&lines, line % n);
                lines.drain(range);
            }
            Mutation::EmptyList { line } => {
                let line = line % n;
                let text = &lines[line];
                if let (Some(open), Some(close)) = (text.find('['), text.rfind(']')) {
                    if open < close {
                        lines[line].replace_range(open + 1..close, "");
                        continue;
                    }
                }
                let range = block(&lines, line);
                if range.len() > 1 {
                    lines.drain(range.start + 1..range.end);
                    let trimmed = lines[line].trim_end().to_owned();
                    lines[line] = if trimmed.ends_with(':') {
                        format!("{trimmed} []")
                    } else {
                        trimmed
                    };
                }
            }
            Mutation::Repeat { line, times } => {
                let range = block(&lines, line % n);
                let copy: Vec<String> = lines[range.clone()].to_vec();
                let at = range.end;
                let repeated: Vec<String> = (0..*times).flat_map(|_| copy.clone()).collect();
                lines.splice(at..at, repeated);
            }
            Mutation::CutLine { line, at } => {
                let line = line % n;
                let len = lines[line].len();
                let at = boundary(&lines[line], at % (len + 1));
                lines[line].truncate(at);
            }
            Mutation::Insert { line, at, bytes } => {
                let line = line % n;
                let len = lines[line].len();
                let at = boundary(&lines[line], at % (len + 1));
                let inserted = String::from_utf8_lossy(bytes).into_owned();
                lines[line].insert_str(at, &inserted);
            }
            Mutation::CutText { at } => {
                let joined = lines.join("\n");
                let at = boundary(&joined, at % (joined.len() + 1));
                lines = joined[..at].lines().map(str::to_owned).collect();
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A seed file and up to four mutations of it.
fn mutated(n_seeds: usize) -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    (0..n_seeds, proptest::collection::vec(mutation(), 1..5))
}

/// Runs `check` on `cases` mutations of the seeds.
fn fuzz_files(
    seeds: &[(PathBuf, String)],
    cases: u32,
    rng_seed: u64,
    check: impl Fn(&Path, &str) -> Result<(), TestCaseError>,
) {
    quiet_panics();
    let mut runner = TestRunner::new(config(cases, rng_seed));
    let result = runner.run(&mutated(seeds.len()), |(seed, mutations)| {
        let (path, text) = &seeds[seed];
        let text = apply(text, &mutations);
        check(path, &text)
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// File loaders

#[test]
fn scenario_loader_never_panics_a() {
    scenario_loader_never_panics(0);
}

#[test]
fn scenario_loader_never_panics_b() {
    scenario_loader_never_panics(1);
}

fn scenario_loader_never_panics(half: u32) {
    let fixture = Fixture::new();
    let seeds = fixture.seeds("scenarios");
    // Policy files a scenario includes are mutated too: a copy is written beside them and
    // the include pointed at it.
    let included = fixture.seeds("scenarios/karmada");
    let mutated_policy = fixture.path("examples/scenarios/karmada/mutated.yaml");
    let round = std::cell::Cell::new(0usize);
    fuzz_files(
        &seeds,
        half_cases(half),
        0x5ce7_a210 + u64::from(half),
        |path, text| {
            let mut text = text.to_owned();
            let policy_round = round.get() + 1;
            round.set(policy_round);
            if policy_round % 4 == 0 && text.contains("include: karmada/") {
                let (_, policy) = &included[policy_round / 4 % included.len()];
                let changes = [Mutation::Scalar {
                    line: policy_round * 7,
                    nth: policy_round / 3,
                    value: policy_round * 13,
                }];
                rewrite(&mutated_policy, apply(policy, &changes).as_bytes());
                let at = text.find("include: karmada/").unwrap() + "include: ".len();
                let end = text[at..].find(['\n', '}']).map_or(text.len(), |e| at + e);
                text.replace_range(at..end, "karmada/mutated.yaml");
            }
            never_panics("scenarios::load_str", &text, || {
                let scenario = scenarios::load_str(&text, path)?;
                // The synthetic generator is built on first use: draw a few jobs.
                let streams = sim_core::rng::RngStreams::new(scenario.seed);
                for job in scenario.jobs(streams).take(20) {
                    std::hint::black_box(job);
                }
                Ok::<_, scenarios::Error>(())
            })
        },
    );
}

#[test]
fn experiment_loader_never_panics_a() {
    experiment_loader_never_panics(0);
}

#[test]
fn experiment_loader_never_panics_b() {
    experiment_loader_never_panics(1);
}

fn experiment_loader_never_panics(half: u32) {
    let fixture = Fixture::new();
    let seeds = fixture.seeds("experiments");
    fuzz_files(
        &seeds,
        half_cases(half),
        0xe4e5_0001 + u64::from(half),
        |path, text| {
            never_panics("experiment::load_experiment_str", &text, || {
                scenarios::experiment::load_experiment_str(text, path)
            })
        },
    );
}

#[test]
fn sweep_loader_never_panics_a() {
    sweep_loader_never_panics(0);
}

#[test]
fn sweep_loader_never_panics_b() {
    sweep_loader_never_panics(1);
}

fn sweep_loader_never_panics(half: u32) {
    let fixture = Fixture::new();
    let seeds = fixture.seeds("sweeps");
    fuzz_files(
        &seeds,
        half_cases(half),
        0x5eee_0002 + u64::from(half),
        |path, text| {
            never_panics("sweep::load_sweep_str", &text, || {
                let sweep = scenarios::sweep::load_sweep_str(text, path, None)?;
                // Cells are validated as they run; the last, which combines every axis's last
                // value, stands for them.
                sweep.cell_scenario(sweep.n_cells() - 1)?;
                Ok::<_, scenarios::Error>(())
            })
        },
    );
}

#[test]
fn plan_loader_never_panics_a() {
    plan_loader_never_panics(0);
}

#[test]
fn plan_loader_never_panics_b() {
    plan_loader_never_panics(1);
}

fn plan_loader_never_panics(half: u32) {
    let fixture = Fixture::new();
    let seeds = fixture.seeds("plans");
    fuzz_files(
        &seeds,
        half_cases(half),
        0x91a4_0003 + u64::from(half),
        |path, text| {
            never_panics("plan::load_plan_str", &text, || {
                let plan = scenarios::plan::load_plan_str(text, path, None)?;
                // The search starts at the top and walks down; the bottom stands for the rest.
                let bottom: Vec<u64> = plan.dimensions.iter().map(|d| d.min).collect();
                let _ = plan.cost(&bottom);
                for dimension in &plan.dimensions {
                    let _ = dimension.value(dimension.n_steps());
                }
                plan.scenario(&bottom, &plan.conditions[0])?;
                Ok::<_, scenarios::Error>(())
            })
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Trace readers

/// One change to a CSV file's bytes.
#[derive(Clone, Debug)]
enum CsvMutation {
    /// Cut the file at a byte.
    Cut { at: usize },
    /// Set a byte to a value.
    Flip { at: usize, to: u8 },
    /// Remove a column from every row.
    DropColumn { column: usize },
    /// Add a column to one row (or, with `row` 0, the header).
    AddColumn { row: usize, value: usize },
    /// Replace a field by a special value.
    Field {
        row: usize,
        column: usize,
        value: usize,
    },
    /// Keep only the header row.
    HeaderOnly,
    /// Repeat a row.
    Repeat { row: usize, times: usize },
    /// Empty the file.
    Empty,
    /// Insert bytes that are not UTF-8.
    NotUtf8 { at: usize },
}

/// Values a CSV field may be replaced with.
const CSV_SPECIAL: &[&str] = &[
    "",
    "-1",
    "0",
    "-0",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "17592186044416",
    "17592186044415",
    "99999999999999999999",
    "1e30",
    "1e400",
    "-1e30",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "0.5",
    "1001",
    "1000",
    "2017-13-40 25:61:61",
    "9999-12-31 23:59:59",
    "0000-01-01 00:00:00",
    "-999-01-01 00:00:00",
    "2017-03-12 02:30:00",
    "1e15",
    "9.2e15",
    "\"",
    "\"a,b\"",
    "CPU",
    "CN",
    "HN",
    "G2|T4|",
    "|",
    " 12GB",
    "GB",
    "4294967296GB",
    "m0",
];

fn csv_mutation() -> impl Strategy<Value = CsvMutation> {
    let n = any::<usize>;
    prop_oneof![
        2 => n().prop_map(|at| CsvMutation::Cut { at }),
        2 => (n(), any::<u8>()).prop_map(|(at, to)| CsvMutation::Flip { at, to }),
        1 => n().prop_map(|column| CsvMutation::DropColumn { column }),
        1 => (n(), n()).prop_map(|(row, value)| CsvMutation::AddColumn { row, value }),
        4 => (n(), n(), n()).prop_map(|(row, column, value)| CsvMutation::Field { row, column, value }),
        1 => Just(CsvMutation::HeaderOnly),
        1 => (n(), 1usize..50).prop_map(|(row, times)| CsvMutation::Repeat { row, times }),
        1 => Just(CsvMutation::Empty),
        1 => n().prop_map(|at| CsvMutation::NotUtf8 { at }),
    ]
}

fn apply_csv(text: &str, mutations: &[CsvMutation]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
        // Row-wise changes work on the (lossy) text.
        let rows = |bytes: &[u8]| -> Vec<String> {
            String::from_utf8_lossy(bytes)
                .lines()
                .map(str::to_owned)
                .collect()
        };
        let join = |rows: Vec<String>| -> Vec<u8> {
            let mut text = rows.join("\n");
            text.push('\n');
            text.into_bytes()
        };
        match m {
            CsvMutation::Cut { at } => bytes.truncate(at % (bytes.len() + 1)),
            CsvMutation::Flip { at, to } => {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = *to;
                }
            }
            CsvMutation::DropColumn { column } => {
                let rows = rows(&bytes)
                    .into_iter()
                    .map(|row| {
                        let mut fields: Vec<&str> = row.split(',').collect();
                        if !fields.is_empty() {
                            fields.remove(column % fields.len());
                        }
                        fields.join(",")
                    })
                    .collect();
                bytes = join(rows);
            }
            CsvMutation::AddColumn { row, value } => {
                let mut rows = rows(&bytes);
                if !rows.is_empty() {
                    let n = rows.len();
                    rows[row % n].push(',');
                    rows[row % n].push_str(CSV_SPECIAL[value % CSV_SPECIAL.len()]);
                }
                bytes = join(rows);
            }
            CsvMutation::Field { row, column, value } => {
                let mut rows = rows(&bytes);
                if !rows.is_empty() {
                    let n = rows.len();
                    // Data rows mostly; the header now and then.
                    let row = if n > 1 && row % 8 != 0 {
                        1 + row % (n - 1)
                    } else {
                        row % n
                    };
                    let mut fields: Vec<String> = rows[row].split(',').map(str::to_owned).collect();
                    let nf = fields.len();
                    fields[column % nf] = CSV_SPECIAL[value % CSV_SPECIAL.len()].to_owned();
                    rows[row] = fields.join(",");
                }
                bytes = join(rows);
            }
            CsvMutation::HeaderOnly => {
                let end = bytes
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(bytes.len(), |e| e + 1);
                bytes.truncate(end);
            }
            CsvMutation::Repeat { row, times } => {
                let mut rows = rows(&bytes);
                if !rows.is_empty() {
                    let n = rows.len();
                    let copy = rows[row % n].clone();
                    for _ in 0..*times {
                        rows.insert(row % n, copy.clone());
                    }
                }
                bytes = join(rows);
            }
            CsvMutation::Empty => bytes.clear(),
            CsvMutation::NotUtf8 { at } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, [0xff, 0xfe, 0xc3]);
            }
        }
    }
    bytes
}

/// Reads every record of `file`, stopping at the first error.
fn read_all<T, E>(records: Result<impl Iterator<Item = Result<T, E>>, E>) -> Result<usize, E> {
    let mut n = 0;
    for record in records? {
        record?;
        n += 1;
    }
    Ok(n)
}

/// Feeds `cases` garbled copies of `sample` to `read`.
fn fuzz_trace(
    name: &str,
    sample: &str,
    rng_seed: u64,
    read: impl Fn(&Path) -> Result<usize, scenarios::Error>,
) {
    quiet_panics();
    // The sample itself reads cleanly: the mutations start from a valid file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, sample).unwrap();
    read(&file).unwrap_or_else(|err| panic!("the sample of {name} does not read: {err}"));
    let mut runner = TestRunner::new(config(trace_cases(), rng_seed));
    let strategy = proptest::collection::vec(csv_mutation(), 1..4);
    let result = runner.run(&strategy, |mutations| {
        let bytes = apply_csv(sample, &mutations);
        rewrite(&file, &bytes);
        let shown = ShownBytes(&bytes);
        never_panics(name, &shown, || read(&file))
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}

/// Writes `file` anew: removed first, since truncating a file in place makes some file
/// systems flush it to disk, which costs more than the whole test case.
fn rewrite(file: &Path, bytes: &[u8]) {
    let _ = std::fs::remove_file(file);
    std::fs::write(file, bytes).unwrap();
}

/// Bytes shown as text, with anything not UTF-8 escaped.
struct ShownBytes<'a>(&'a [u8]);

impl std::fmt::Display for ShownBytes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        for chunk in self.0.utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
        f.write_str(&out)
    }
}

#[test]
fn openb_node_reader_never_panics() {
    fuzz_trace("nodes.csv", OPENB_NODES, 0x0b01, |f| {
        read_all(OpenbNodes::open(f))
    });
}

#[test]
fn openb_pod_reader_never_panics() {
    fuzz_trace("pods.csv", OPENB_PODS, 0x0b02, |f| {
        read_all(OpenbPods::open(f))
    });
    fuzz_trace("pods-short.csv", OPENB_PODS_SHORT, 0x0b03, |f| {
        read_all(OpenbPods::open(f))
    });
}

#[test]
fn philly_readers_never_panic() {
    fuzz_trace("philly.csv", PHILLY_JOBS, 0x0c01, |f| {
        read_all(PhillyJobs::open(f))
    });
    fuzz_trace("cluster_machine_list", PHILLY_MACHINES, 0x0c02, |f| {
        read_all(PhillyMachines::open(f))
    });
    fuzz_trace(
        "revised_machine_list.csv",
        PHILLY_REVISED_MACHINES,
        0x0c03,
        |f| read_all(PhillyMachines::open(f)),
    );
    fuzz_trace("philly_vc.csv", PHILLY_VCS, 0x0c04, |f| {
        read_all(PhillyVcs::open(f))
    });
}

#[test]
fn pai_reader_never_panics() {
    fuzz_trace("pai_machine_spec.csv", PAI_MACHINES, 0x0d01, |f| {
        read_all(PaiMachines::open(f))
    });
}

#[test]
fn spot_reader_never_panics() {
    fuzz_trace("node_info_df.csv", SPOT_NODES, 0x0e01, |f| {
        read_all(SpotNodes::open(f))
    });
}

#[test]
fn dlrm_reader_never_panics() {
    fuzz_trace("disaggregated_DLRM_trace.csv", DLRM, 0x0f01, |f| {
        read_all(DlrmInstances::open(f))
    });
}

// ---------------------------------------------------------------------------------------------
// The mutator itself

#[test]
fn scalars_are_found_between_punctuation() {
    let line = "  - {name: h100, count: 24, cpu: \"96\", memory: 1Ti} # comment";
    let found: Vec<&str> = scalars(line).iter().map(|&(s, e)| &line[s..e]).collect();
    assert_eq!(
        found,
        [
            "name", "h100", "count", "24", "cpu", "\"96\"", "memory", "1Ti"
        ]
    );
    let line = "rate: 1/min";
    let found: Vec<&str> = scalars(line).iter().map(|&(s, e)| &line[s..e]).collect();
    assert_eq!(found, ["rate", "1/min"]);
}

#[test]
fn mutations_change_what_they_say() {
    let text = "a: 1\nb:\n  - {x: 2}\n  - {x: 3}\nc: [4, 5]\n";
    let number = |line, nth, value| Mutation::Number { line, nth, value };
    // SPECIAL[0] is -1.
    assert_eq!(
        apply(text, &[number(0, 0, 0)]),
        text.replace("a: 1", "a: -1")
    );
    assert_eq!(
        apply(text, &[Mutation::DeleteBlock { line: 1 }]),
        "a: 1\nc: [4, 5]\n"
    );
    assert_eq!(
        apply(text, &[Mutation::EmptyList { line: 4 }]),
        "a: 1\nb:\n  - {x: 2}\n  - {x: 3}\nc: []\n"
    );
    assert_eq!(
        apply(text, &[Mutation::EmptyList { line: 1 }]),
        "a: 1\nb: []\nc: [4, 5]\n"
    );
    assert_eq!(
        apply(text, &[Mutation::Repeat { line: 2, times: 2 }]),
        "a: 1\nb:\n  - {x: 2}\n  - {x: 2}\n  - {x: 2}\n  - {x: 3}\nc: [4, 5]\n"
    );
}
