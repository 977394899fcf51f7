//! Idle nodes powering down and waking for waiting pods, worked by hand.

use super::*;
use sim_core::model::PowerDown;
use sim_core::record::{EventKind, Record};

const MIN: u64 = 60 * S;
const HOUR: u64 = 60 * MIN;

/// alpha alone: 2 nodes of 8 A, powering down after 30 min idle, 5 min to wake (or never).
fn alpha(power_down: bool) -> World {
    let mut w = world();
    w.fleet.clusters = vec![cluster("alpha", vec![pool(2, 0)])];
    if power_down {
        w.economics.power_down = vec![Some(PowerDown {
            after: Duration(30 * MIN),
            wake_up: Duration(5 * MIN),
        })];
    }
    w
}

/// A 1-h job of one 8-GPU pod from 0, a second one from 2 h.
fn two_jobs(power_down: bool) -> VecSink {
    let jobs = vec![
        job(0, 0, 1, 8, 3600, true),
        job(1, 2 * 3600, 1, 8, 3600, true),
    ];
    let config = SchedulerConfig {
        status_period: Duration::ZERO,
        ..SchedulerConfig::default()
    };
    run_full(
        alpha(power_down),
        PolicySet::single(Placement::default()),
        &config,
        jobs,
        Default::default(),
        Vec::new(),
    )
}

fn power_events(sink: &VecSink) -> Vec<(EventKind, u32, u64)> {
    sink.events()
        .filter(|e| matches!(e.kind, EventKind::PowerDown | EventKind::PowerUp))
        .map(|e| (e.kind, e.node.unwrap(), e.time.as_millis()))
        .collect()
}

#[test]
fn an_idle_node_sleeps_and_a_waiting_job_waits_for_its_wake_up() {
    let sink = two_jobs(true);
    // Node 1 is idle from 0: asleep at 30 min. Node 0 runs job 0 from ~0 to ~1 h, then sleeps
    // 30 min later, ~1 h 30 min. Job 1 arrives at 2 h with both asleep: Karmada still counts
    // them, the member wakes the lowest, node 0, whose 5 min wake-up delays the start to
    // ~2 h 5 min (plus the scheduler's latency of a few seconds at most).
    let events = power_events(&sink);
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0], (EventKind::PowerDown, 1, 30 * MIN));
    assert_eq!((events[1].0, events[1].1), (EventKind::PowerDown, 0));
    assert!((90 * MIN..91 * MIN).contains(&events[1].2), "{events:?}");
    assert_eq!((events[2].0, events[2].1), (EventKind::PowerUp, 0));
    assert!(
        (2 * HOUR..2 * HOUR + MIN).contains(&events[2].2),
        "{events:?}"
    );
    let start = by_id(&sink, 1).start.unwrap().as_millis();
    assert!(
        (2 * HOUR + 5 * MIN..=2 * HOUR + 6 * MIN).contains(&start),
        "job 1 started at {start} ms"
    );
    // The pool records: nodes up stay 2 (cost), nodes powered follow the sleep (energy).
    let pools: Vec<(u32, u32)> = sink
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Pool(p) => Some((p.up_nodes, p.powered_nodes)),
            _ => None,
        })
        .collect();
    assert_eq!(pools, vec![(2, 1), (2, 0), (2, 1)]);
}

#[test]
fn without_power_down_the_second_job_starts_at_once() {
    let sink = two_jobs(false);
    let start = by_id(&sink, 1).start.unwrap().as_millis();
    assert!(
        (2 * HOUR..2 * HOUR + MIN).contains(&start),
        "job 1 started at {start} ms"
    );
    assert!(power_events(&sink).is_empty());
    assert!(!sink.records.iter().any(|r| matches!(r, Record::Pool(_))));
}
