//! One inflation run of the fragmentation study: the openb GPU cluster (1,213 nodes, 6,212
//! GPUs), the default pod list shuffled and inflated to 130 % of GPU capacity (about 10,700
//! pods), placed one by one with FGD, seed 42. Target: under 0.3 s on one core. Needs the
//! traces in `../shared/traces`; without them the bench says so and does nothing.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fleetsim::experiment::{OpenbCluster, PodList, run_cell};

fn fragmentation(c: &mut Criterion) {
    let traces = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces/alibaba-gpu-v2023");
    if !traces.is_dir() {
        eprintln!("skipped: {} not found", traces.display());
        return;
    }
    let cluster =
        OpenbCluster::load(&traces.join("openb_node_list_gpu_node.csv")).expect("node list");
    let list =
        PodList::load(&traces.join("openb_pod_list_default.csv"), &cluster, 95).expect("pod list");
    let mut group = c.benchmark_group("fragmentation");
    group.sample_size(10);
    for policy in ["FGD", "BestFit", "Random"] {
        let pods = run_cell(&cluster, &list, 0, policy, 42, 130)
            .expect("runs")
            .n_pods;
        group.throughput(Throughput::Elements(pods));
        group.bench_function(format!("openb_default_{policy}_130pct"), |b| {
            b.iter(|| run_cell(&cluster, &list, 0, policy, 42, 130).expect("runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, fragmentation);
criterion_main!(benches);
