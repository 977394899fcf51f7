//! Scheduling retries in a saturated fleet: the federated-quota scenario with an outage
//! (tests/scenarios/federated-outage.yaml), where hundreds of bindings are retried on Karmada's
//! schedule, against quickstart, per job that arrives. Simulation only: no tables or report.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::record::{Record, RecordSink};

/// Counts the jobs recorded (every job that arrived ends in exactly one record).
#[derive(Default)]
struct CountJobs(u64);

impl RecordSink for CountJobs {
    fn record(&mut self, record: Record) {
        if matches!(record, Record::Job(_)) {
            self.0 += 1;
        }
    }
}

fn simulate(scenario: &scenarios::Scenario) -> u64 {
    let options = fleetsim::PlaneOptions {
        check_invariants: Some(false),
        ..fleetsim::PlaneOptions::default()
    };
    let mut sink = CountJobs::default();
    scenarios::simulate::drive(scenario, &options, scenario.horizon, &mut sink, |_| {})
        .expect("runs");
    sink.0
}

fn retries(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut group = c.benchmark_group("retries");
    group.sample_size(10);
    for (name, path) in [
        ("quickstart", "examples/scenarios/quickstart.yaml"),
        ("federated_outage", "tests/scenarios/federated-outage.yaml"),
    ] {
        let scenario = scenarios::load(&root.join(path)).expect("bundled scenario");
        group.throughput(Throughput::Elements(simulate(&scenario)));
        group.bench_function(name, |b| b.iter(|| simulate(&scenario)));
    }
    group.finish();
}

criterion_group!(benches, retries);
criterion_main!(benches);
