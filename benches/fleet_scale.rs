//! A fleet-scale run: 10 clusters × 1,000 nodes × 8 GPUs and 100,000 synthetic jobs through the
//! whole control plane (queue, filters, general estimator, dynamic-weight division, member
//! placement). Throughput is reported in jobs per second.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::record::{Record, RecordSink};

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
            scenarios::simulate::drive(&scenario, &options, scenario.horizon, &mut Discard, |_| {})
                .expect("runs")
        })
    });
    group.finish();
}

criterion_group!(benches, fleet_scale);
criterion_main!(benches);
