//! Examples from the semantics reference (§3.5, §3.7) and rows of Karmada's
//! `select_clusters_test.go` and `select_groups_test.go`.

use super::*;
use crate::policy::DivisionPreference;

fn cluster(name: &str, region: &str) -> Cluster {
    Cluster {
        name: name.into(),
        region: Some(region.into()),
        zones: Vec::new(),
        provider: None,
        labels: Default::default(),
        taints: Vec::new(),
        node_pools: Vec::new(),
    }
}

fn placement(constraints: &[(SpreadField, usize, usize)]) -> Placement {
    Placement {
        spread_constraints: constraints
            .iter()
            .map(|(field, min_groups, max_groups)| SpreadConstraint {
                field: field.clone(),
                min_groups: *min_groups,
                max_groups: *max_groups,
            })
            .collect(),
        replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
        ..Placement::default()
    }
}

/// (name, region, score, available) → selected names.
fn select(
    p: &Placement,
    clusters: &[(&str, &str, i64, i64)],
    replicas: i64,
) -> Result<Vec<String>, String> {
    let owned: Vec<Cluster> = clusters.iter().map(|(n, r, _, _)| cluster(n, r)).collect();
    let infos: Vec<ClusterInfo<'_>> = clusters
        .iter()
        .zip(&owned)
        .map(|((_, _, score, available), c)| ClusterInfo {
            cluster: c,
            score: *score,
            available: *available,
            overflow_order: 0,
        })
        .collect();
    let mut order: Vec<usize> = (0..infos.len()).collect();
    sort_candidates(&infos, &mut order);
    let sorted: Vec<ClusterInfo<'_>> = order.iter().map(|&i| infos[i]).collect();
    select_best_clusters(p, &sorted, replicas).map(|picked| {
        let mut names: Vec<String> = picked
            .iter()
            .map(|&i| sorted[i].cluster.name.clone())
            .collect();
        names.sort();
        names
    })
}

#[test]
fn e3_1_swap_in_the_cluster_with_more_room() {
    let p = placement(&[(SpreadField::Cluster, 1, 2)]);
    let got = select(
        &p,
        &[("m1", "r", 100, 2), ("m2", "r", 0, 10), ("m3", "r", 0, 6)],
        14,
    );
    assert_eq!(got, Ok(vec!["m2".to_owned(), "m3".to_owned()]));
}

#[test]
fn e3_2_no_swap_can_help() {
    let p = placement(&[(SpreadField::Cluster, 1, 2)]);
    let got = select(
        &p,
        &[("m1", "r", 0, 10), ("m2", "r", 0, 5), ("m3", "r", 0, 8)],
        20,
    );
    assert_eq!(
        got,
        Err("no enough resource when selecting 2 clusters".to_owned())
    );
}

#[test]
fn top_two_by_score() {
    // select_clusters_test.go "select clusters by cluster score".
    let p = placement(&[(SpreadField::Cluster, 1, 2)]);
    let got = select(
        &p,
        &[
            ("member1", "R1", 20, 40),
            ("member2", "R1", 40, 60),
            ("member3", "R1", 30, 80),
            ("member4", "R2", 60, 50),
        ],
        100,
    );
    assert_eq!(got, Ok(vec!["member2".to_owned(), "member4".to_owned()]));
}

#[test]
fn too_few_clusters_for_min_groups() {
    let p = placement(&[(SpreadField::Cluster, 3, 3)]);
    assert!(select(&p, &[("m1", "r", 0, 10), ("m2", "r", 0, 10)], 1).is_err());
}

#[test]
fn duplicated_ignores_resources() {
    let mut p = placement(&[(SpreadField::Cluster, 1, 2)]);
    p.replica_scheduling = ReplicaScheduling::Duplicated;
    let got = select(
        &p,
        &[("m1", "r", 0, 0), ("m2", "r", 0, 0), ("m3", "r", 0, 0)],
        100,
    );
    assert_eq!(got, Ok(vec!["m1".to_owned(), "m2".to_owned()]));
}

#[test]
fn zone_only_constraint_is_not_supported_for_selection() {
    let p = placement(&[(SpreadField::Zone, 1, 2)]);
    assert_eq!(
        select(&p, &[("m1", "r", 0, 10)], 1),
        Err("just support cluster and region spread constraint".to_owned())
    );
}

#[test]
fn region_path_takes_best_cluster_of_each_region_then_fills() {
    // Two regions must be used, three clusters in all: R1 {a 10, b 8}, R2 {c 6, d 1}.
    // Group scores (Divided, R=12, region minGroups 2 → target 6 per region; cluster minGroups 3):
    // R1: a 10, b 8 → 18 ≥ 6 after 2 clusters (< 3, so it takes both) → 6000 + 0 = 6000.
    // R2: c 6, d 1 → 7 ≥ 6 → 6000. Both regions chosen; best of each: a, c; then the rest by
    // available: b (8) before d (1).
    let p = placement(&[(SpreadField::Region, 2, 2), (SpreadField::Cluster, 3, 3)]);
    let got = select(
        &p,
        &[
            ("a", "R1", 0, 10),
            ("b", "R1", 0, 8),
            ("c", "R2", 0, 6),
            ("d", "R2", 0, 1),
        ],
        12,
    );
    assert_eq!(
        got,
        Ok(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()])
    );
}

#[test]
fn region_path_needs_enough_regions() {
    let p = placement(&[(SpreadField::Region, 3, 3)]);
    assert_eq!(
        select(&p, &[("a", "R1", 0, 10), ("c", "R2", 0, 6)], 2),
        Err("the number of feasible region is less than spreadConstraint.MinGroups".to_owned())
    );
}

fn groups(specs: &[(&str, usize, i64)]) -> Vec<Group> {
    specs
        .iter()
        .map(|(name, n, score)| Group {
            name: (*name).into(),
            n_clusters: *n,
            score: *score,
        })
        .collect()
}

#[test]
fn e3_3_dfs_finds_pairs_reaching_the_target() {
    // select_groups.go example: target 7 clusters, region sizes 2, 3, 6, 7, exactly 2 regions;
    // feasible [2,6], [2,7], [3,6], [3,7], [6,7]. With equal scores the most clusters win: [6,7].
    let chosen = select_groups(
        groups(&[("g2", 2, 0), ("g3", 3, 0), ("g6", 6, 0), ("g7", 7, 0)]),
        2,
        2,
        7,
    );
    let mut chosen = chosen;
    chosen.sort();
    assert_eq!(chosen, vec!["g6".to_owned(), "g7".to_owned()]);
}

#[test]
fn dfs_prefers_the_highest_total_score() {
    let chosen = select_groups(
        groups(&[("a", 2, 9000), ("b", 3, 1000), ("c", 6, 2000)]),
        1,
        2,
        2,
    );
    assert_eq!(chosen, vec!["a".to_owned()]);
}

#[test]
fn an_empty_weight_preference_keeps_the_spread_constraints() {
    // `shouldIgnoreSpreadConstraint` ignores spread constraints only for Weighted with a nil
    // `weightPreference` or a static weight list and no dynamic weight. `weightPreference: {}`
    // is neither, so a cluster constraint of at most 1 group picks one cluster (m2, the most
    // available), where static weighting takes all three.
    let clusters = [("m1", "r", 0, 4), ("m2", "r", 0, 9), ("m3", "r", 0, 6)];
    let mut p = placement(&[(SpreadField::Cluster, 1, 1)]);
    p.replica_scheduling = ReplicaScheduling::Divided(DivisionPreference::EmptyWeightPreference);
    assert_eq!(select(&p, &clusters, 5), Ok(vec!["m2".to_owned()]));
    p.replica_scheduling = ReplicaScheduling::Divided(DivisionPreference::StaticWeight(vec![]));
    assert_eq!(
        select(&p, &clusters, 5),
        Ok(vec!["m1".to_owned(), "m2".to_owned(), "m3".to_owned()])
    );
}
