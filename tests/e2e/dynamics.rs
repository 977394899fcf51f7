//! Karmada's dynamics on two small scenarios a new user would try: Webster ties split by
//! workload UID, and FederatedResourceQuota usage given back by an eviction.

use crate::common;

use std::path::Path;

fn jobs_of(scenario: &str) -> Vec<csv::StringRecord> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario);
    let (_run, out) = common::run_quiet(&path);
    common::rows(&out.join("jobs.csv"))
}

#[test]
fn one_replica_ties_split_between_the_clusters() {
    // Equal static weights, R = 1: the seat is a tie on priority and seats; the UID's FNV-1a
    // parity picks member-a (even) or member-b (odd), so each cluster gets about half.
    let jobs = jobs_of("tests/scenarios/webster-ties.yaml");
    assert_eq!(jobs.len(), 400);
    let on_a = jobs.iter().filter(|r| &r[13] == "member-a:1").count();
    let on_b = jobs.iter().filter(|r| &r[13] == "member-b:1").count();
    assert_eq!(on_a + on_b, 400);
    assert!((140..=260).contains(&on_a), "{on_a} of 400 on member-a");
}

#[test]
fn an_evicted_job_gives_its_federated_quota_back() {
    let jobs = jobs_of("tests/scenarios/frq-failover.yaml");
    let row = |name: &str| jobs.iter().find(|r| &r[1] == name).unwrap().clone();
    let j1 = row("j1");
    assert_eq!(&j1[13], "member-b:1");
    let j2 = row("j2");
    // Arrives at 3600 s; 8 + 8 = 16 ≤ 16, so it is admitted at its first attempt.
    assert_eq!(&j2[6], "3600.000");
    assert_eq!(&j2[13], "member-b:1");
}

/// Every record of a run of `scenario` (to `horizon`), the attempts made and the events
/// simulated; with `every_retry`, each retry decided as Karmada makes it.
fn records(
    scenario: &scenarios::Scenario,
    horizon: sim_core::SimTime,
    every_retry: bool,
) -> (Vec<String>, u64, u64) {
    let options = fleetsim::PlaneOptions {
        check_invariants: Some(false),
        ..fleetsim::PlaneOptions::default()
    };
    let mut sink = sim_core::record::VecSink::default();
    let (control, stats) =
        scenarios::simulate::drive(scenario, &options, Some(horizon), &mut sink, |control| {
            if every_retry {
                control.decide_every_retry();
            }
        })
        .unwrap();
    let lines = sink.records.iter().map(|r| format!("{r:?}")).collect();
    (lines, control.stats().n_attempts, stats.n_events)
}

#[test]
fn retries_skipped_in_a_saturated_federated_fleet_change_no_record() {
    // The first 36 hours of tests/scenarios/federated-outage.yaml (through dc-02's outage
    // from 24 h to 36 h): hundreds of bindings wait, refused by the FederatedResourceQuota
    // or short of room. Retries that can only repeat a refusal are counted (or their
    // decision shared) instead of simulated: every record and the number of attempts must
    // equal deciding each retry as Karmada makes it, with a fraction of the events.
    if common::skip_slow() {
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/federated-outage.yaml");
    let scenario = scenarios::load(&path).unwrap();
    let horizon = sim_core::SimTime(36 * 3600 * 1000);
    let (skipped, n_attempts, n_events) = records(&scenario, horizon, false);
    let (decided, n_decided, n_all_events) = records(&scenario, horizon, true);
    assert_eq!(n_attempts, n_decided);
    assert_eq!(skipped.len(), decided.len());
    if let Some(i) = (0..skipped.len()).find(|&i| skipped[i] != decided[i]) {
        panic!("record {i} differs:\n{}\n{}", skipped[i], decided[i]);
    }
    assert!(n_attempts > 100_000, "{n_attempts} attempts");
    assert!(
        n_events * 3 < n_all_events,
        "{n_events} events of {n_all_events}"
    );
}
