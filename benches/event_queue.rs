//! The raw event queue: push and pop throughput, events per second.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sim_core::SimTime;
use sim_core::queue::EventQueue;

const N_EVENTS: u64 = 1_000_000;

fn push_pop(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue");
    group.throughput(Throughput::Elements(N_EVENTS));
    // A discrete-event pattern: a working set of 10,000 pending events; each pop schedules a
    // successor a pseudo-random distance ahead.
    group.bench_function("hold_10k_pending_1m_events", |b| {
        b.iter_batched(
            || {
                let mut queue = EventQueue::new();
                for idx in 0..10_000u64 {
                    queue.push(SimTime(idx * 7919 % 100_000), idx);
                }
                queue
            },
            |mut queue| {
                let mut state: u64 = 0x9e37_79b9;
                for _ in 0..N_EVENTS {
                    let (time, event) = queue.pop().expect("never empty");
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    queue.push(SimTime(time.0 + (state >> 44)), event);
                }
                queue
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, push_pop);
criterion_main!(benches);
