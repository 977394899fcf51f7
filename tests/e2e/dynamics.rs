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
