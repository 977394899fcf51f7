//! Rows of Karmada's `assignment_test.go` and `division_algorithm_test.go`, with the expected
//! answers Karmada's tables give.

use super::*;

const NAMES: [&str; 4] = ["member1", "member2", "member3", "member4"];

fn candidates(available: &[(usize, i64)]) -> Vec<Candidate<'static>> {
    available
        .iter()
        .map(|(idx, avail)| Candidate {
            cluster: ClusterId(*idx as u32),
            name: NAMES[*idx],
            available: *avail,
            weight_rule_matches: Vec::new(),
        })
        .collect()
}

fn check(
    scheduling: ReplicaScheduling,
    replicas: i64,
    available: &[(usize, i64)],
    previous: &[(usize, i64)],
    expected: Result<&[(usize, i64)], DivideError>,
) {
    let candidates = candidates(available);
    let previous: Vec<(ClusterId, i64)> = previous
        .iter()
        .map(|(i, r)| (ClusterId(*i as u32), *r))
        .collect();
    let request = DivideRequest {
        replicas,
        candidates: &candidates,
        previous: &previous,
        mode: Mode::Steady,
        name_order: NameOrder::SmallerFirst,
    };
    let mut got = assign(&scheduling, &request);
    if let Ok(list) = &mut got {
        list.sort();
    }
    let expected = expected.map(|list| {
        list.iter()
            .map(|(i, r)| (ClusterId(*i as u32), *r))
            .collect::<Vec<_>>()
    });
    assert_eq!(got, expected);
}

fn dynamic_weight() -> ReplicaScheduling {
    ReplicaScheduling::Divided(DivisionPreference::DynamicWeight)
}

fn aggregated() -> ReplicaScheduling {
    ReplicaScheduling::Divided(DivisionPreference::Aggregated)
}

#[test]
fn dynamic_first_schedule_6_8_10() {
    check(
        dynamic_weight(),
        12,
        &[(0, 6), (1, 8), (2, 10)],
        &[],
        Ok(&[(0, 3), (1, 4), (2, 5)]),
    );
}

#[test]
fn dynamic_weight_18_12_6() {
    check(
        dynamic_weight(),
        12,
        &[(0, 18), (1, 12), (2, 6)],
        &[],
        Ok(&[(0, 6), (1, 4), (2, 2)]),
    );
}

#[test]
fn dynamic_scale_down_is_proportional_to_previous() {
    check(
        dynamic_weight(),
        6,
        &[(0, 1), (1, 1), (2, 1)],
        &[(0, 2), (1, 4), (2, 6)],
        Ok(&[(0, 1), (1, 2), (2, 3)]),
    );
}

#[test]
fn dynamic_scale_up_adds_to_previous() {
    check(
        dynamic_weight(),
        24,
        &[(0, 10), (1, 10), (2, 10)],
        &[(0, 2), (1, 4), (2, 6)],
        Ok(&[(0, 6), (1, 8), (2, 10)]),
    );
}

#[test]
fn dynamic_scale_up_without_capacity_fails() {
    check(
        dynamic_weight(),
        24,
        &[(0, 1), (1, 1), (2, 1)],
        &[(0, 2), (1, 4), (2, 6)],
        Err(DivideError::NotEnough { available: 3 }),
    );
}

#[test]
fn unchanged_total_keeps_previous() {
    check(
        dynamic_weight(),
        6,
        &[(0, 0), (1, 0)],
        &[(0, 2), (1, 4)],
        Ok(&[(0, 2), (1, 4)]),
    );
}

#[test]
fn aggregated_one_cluster_holds_all() {
    check(
        aggregated(),
        12,
        &[(1, 12), (0, 6), (2, 6)],
        &[],
        Ok(&[(1, 12)]),
    );
}

#[test]
fn aggregated_scale_down_keeps_fewest_clusters() {
    check(
        aggregated(),
        6,
        &[(0, 1), (1, 1), (2, 1)],
        &[(0, 4), (1, 8)],
        Ok(&[(1, 6)]),
    );
    check(
        aggregated(),
        8,
        &[(0, 100), (1, 100)],
        &[(0, 4), (1, 8)],
        Ok(&[(1, 8)]),
    );
}

#[test]
fn aggregated_scale_up_prefers_clusters_in_use() {
    // "replica 12 -> 24, aggregated 4:6:8" → m1 7, m2 12, m3 5.
    check(
        aggregated(),
        24,
        &[(0, 4), (1, 6), (2, 8)],
        &[(0, 4), (1, 8)],
        Ok(&[(0, 7), (1, 12), (2, 5)]),
    );
    // "replica 12 -> 24, aggregated 6:6:20" → m1 10, m2 14; m3 unused.
    check(
        aggregated(),
        24,
        &[(0, 6), (1, 6), (2, 20)],
        &[(0, 4), (1, 8)],
        Ok(&[(0, 10), (1, 14)]),
    );
}

#[test]
fn aggregated_forgets_replicas_on_clusters_no_longer_candidates() {
    // "with cluster2 disappeared and cluster4 appeared" → m1 7, m3 7, m4 10.
    check(
        aggregated(),
        24,
        &[(0, 4), (2, 8), (3, 12)],
        &[(0, 4), (1, 8)],
        Ok(&[(0, 7), (2, 7), (3, 10)]),
    );
}

#[test]
fn aggregated_scale_up_without_capacity_fails() {
    check(
        aggregated(),
        24,
        &[(0, 1), (1, 1), (2, 1)],
        &[(0, 4), (1, 8)],
        Err(DivideError::NotEnough { available: 3 }),
    );
}

#[test]
fn duplicated_gives_every_cluster_all() {
    check(
        ReplicaScheduling::Duplicated,
        2,
        &[(0, 0), (1, 0)],
        &[],
        Ok(&[(0, 2), (1, 2)]),
    );
}

#[test]
fn static_weight_default_is_equal() {
    let scheduling = ReplicaScheduling::Divided(DivisionPreference::StaticWeight(Vec::new()));
    check(
        scheduling,
        12,
        &[(0, 0), (1, 0), (2, 0)],
        &[],
        Ok(&[(0, 4), (1, 4), (2, 4)]),
    );
}

#[test]
fn no_candidates_is_an_error() {
    check(dynamic_weight(), 3, &[], &[], Err(DivideError::NoClusters));
}
