//! A fleet-scale run: 10 clusters × 1,000 nodes × 8 GPUs and 100,000 synthetic jobs through the
//! whole control plane (queue, filters, general estimator, dynamic-weight division, member
//! placement). Throughput is reported in jobs per second.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::engine::{EngineConfig, run};
use sim_core::record::{Record, RecordSink};
use sim_core::rng::RngStreams;

struct Discard;

impl RecordSink for Discard {
    fn record(&mut self, record: Record) {
        std::hint::black_box(record);
    }
}

fn fleet_scale(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/fleet-100k.yaml");
    let scenario = scenarios::load(&path).expect("bundled scenario");
    let mut group = c.benchmark_group("fleet_scale");
    group.sample_size(10);
    group.throughput(Throughput::Elements(scenario.n_jobs()));
    group.bench_function("10x1000x8_100k_jobs", |b| {
        b.iter(|| {
            let options = fleetsim::PlaneOptions {
                check_invariants: Some(false),
                ..fleetsim::PlaneOptions::default()
            };
            let mut control = fleetsim::control_plane(&scenario, &options).expect("valid");
            let jobs = scenario
                .jobs(RngStreams::new(scenario.seed))
                .map(Ok::<_, std::convert::Infallible>);
            let config = EngineConfig {
                horizon: scenario.horizon,
                progress_every: u64::MAX,
            };
            run(&config, jobs, &mut control, &mut Discard, &mut |_| {}).expect("runs")
        })
    });
    group.finish();
}

criterion_group!(benches, fleet_scale);
criterion_main!(benches);
