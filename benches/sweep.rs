//! A small sweep (the h100-growth example cut to 1,500 jobs over two days: 2 sizes × 4
//! conditions × 2 replications = 16 runs) on one and on two worker threads. The ratio of the two
//! times is the parallel speed-up; runs are independent, so it should approach the thread
//! count.

use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fleetsim::sweep::{Shard, SweepConfig, run_sweep};

fn sweep_threads(c: &mut Criterion) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let inputs = tempfile::tempdir().expect("temporary folder");
    let sweep_file = inputs.path().join("bench-sweep.yaml");
    std::fs::write(
        &sweep_file,
        format!(
            "scenario: {}
seed: 1
replications: 2
set: {{workload.synthetic.jobs: 1500, horizon: 2d}}
axes:
  - {{name: added, path: \"clusters[*].node_pools[name=h100].count\", op: add, values: [0, 8]}}
  - {{name: condition, conditions: [nominal, each_single_cluster_loss]}}
",
            examples.join("scenarios/h100-fleet.yaml").display()
        ),
    )
    .expect("sweep file written");
    let mut group = c.benchmark_group("sweep_16_runs");
    group.sample_size(10);
    for threads in [1, 2] {
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("temporary folder"),
                |out| {
                    let config = SweepConfig {
                        file: sweep_file.clone(),
                        out: out.path().join("sweep"),
                        seed: None,
                        threads: Some(threads),
                        shard: Shard::ALL,
                        stop_after: None,
                    };
                    run_sweep(&config, &|_, _| {}).expect("sweep runs");
                    out
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, sweep_threads);
criterion_main!(benches);
