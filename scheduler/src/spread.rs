//! Cluster selection under spread constraints (`pkg/scheduler/core/spreadconstraint`): which of
//! the feasible, ordered clusters a binding goes to.

use std::collections::BTreeMap;

use sim_core::model::Cluster;

use crate::policy::{Placement, ReplicaScheduling, SpreadConstraint, SpreadField};

/// Karmada's weight unit in group scores.
const WEIGHT_UNIT: i64 = 1000;

/// A feasible cluster as selection sees it.
#[derive(Clone, Copy, Debug)]
pub struct ClusterInfo<'a> {
    /// The cluster.
    pub cluster: &'a Cluster,
    /// Total score from the score plugins.
    pub score: i64,
    /// Estimators' answer plus the binding's own replicas there.
    pub available: i64,
    /// 0 for the primary affinity group, i for the i-th overflow group.
    pub overflow_order: u32,
}

/// Karmada's `sortClusters`: overflow order, score descending, available replicas descending,
/// then name. Sorts `order`, indexes into `infos`.
pub fn sort_candidates(infos: &[ClusterInfo<'_>], order: &mut [usize]) {
    order.sort_by(|&a, &b| {
        let (x, y) = (&infos[a], &infos[b]);
        x.overflow_order
            .cmp(&y.overflow_order)
            .then(y.score.cmp(&x.score))
            .then(y.available.cmp(&x.available))
            .then_with(|| x.cluster.name.cmp(&y.cluster.name))
    });
}

/// `SelectBestClusters`: the selected clusters as indexes into `infos`, given in Karmada's
/// candidate order (`sort_candidates`). `replicas` is the binding's `spec.replicas`.
pub fn select_best_clusters(
    placement: &Placement,
    infos: &[ClusterInfo<'_>],
    replicas: i64,
) -> Result<Vec<usize>, String> {
    let all: Vec<usize> = (0..infos.len()).collect();
    if placement.spread_constraints.is_empty() || placement.is_static_weight() {
        return Ok(all);
    }
    // Duplicated ignores resources in selection.
    let need_replicas = match placement.replica_scheduling {
        ReplicaScheduling::Duplicated => None,
        ReplicaScheduling::Divided(_) => Some(replicas),
    };
    let constraint = |field: SpreadField| {
        placement
            .spread_constraints
            .iter()
            .rev()
            .find(|c| c.field == field)
    };
    let cluster_constraint = constraint(SpreadField::Cluster);
    if let Some(region) = constraint(SpreadField::Region) {
        return by_region(placement, region, cluster_constraint, infos, replicas);
    }
    if let Some(cluster) = cluster_constraint {
        return by_cluster(cluster, infos, need_replicas);
    }
    Err("just support cluster and region spread constraint".to_owned())
}

fn by_cluster(
    constraint: &SpreadConstraint,
    infos: &[ClusterInfo<'_>],
    need_replicas: Option<i64>,
) -> Result<Vec<usize>, String> {
    let total = infos.len();
    if total < constraint.min_groups {
        return Err(
            "the number of feasible clusters is less than spreadConstraint.MinGroups".to_owned(),
        );
    }
    let need = total.min(constraint.max_groups);
    let mut picked: Vec<usize> = (0..need).collect();
    let Some(need_replicas) = need_replicas else {
        return Ok(picked);
    };
    let mut rest: Vec<usize> = (need..total).collect();
    let enough =
        |picked: &[usize]| picked.iter().map(|&i| infos[i].available).sum::<i64>() >= need_replicas;
    // Walk from the last picked slot to the first, swapping in the unpicked cluster with the
    // most available replicas when it has more than the slot's.
    let mut slot = picked.len();
    while !enough(&picked) && slot > 0 {
        slot -= 1;
        let mut best: Option<usize> = None;
        let mut best_available = infos[picked[slot]].available;
        for (pos, &idx) in rest.iter().enumerate() {
            if infos[idx].available > best_available {
                best = Some(pos);
                best_available = infos[idx].available;
            }
        }
        if let Some(pos) = best {
            std::mem::swap(&mut picked[slot], &mut rest[pos]);
        }
    }
    if !enough(&picked) || picked.is_empty() {
        return Err(format!("no enough resource when selecting {need} clusters"));
    }
    Ok(picked)
}

/// `calcGroupScore`: how well a group (region) can hold the binding.
fn group_score(
    placement: &Placement,
    members: &[usize],
    infos: &[ClusterInfo<'_>],
    replicas: i64,
    min_groups: usize,
) -> i64 {
    if matches!(placement.replica_scheduling, ReplicaScheduling::Duplicated) {
        let valid: Vec<&ClusterInfo<'_>> = members
            .iter()
            .map(|&i| &infos[i])
            .filter(|c| c.available >= replicas)
            .collect();
        if valid.is_empty() {
            return 0;
        }
        let n_valid = valid.len() as i64;
        return n_valid * WEIGHT_UNIT + valid.iter().map(|c| c.score).sum::<i64>() / n_valid;
    }
    let target = (replicas as f64 / min_groups.max(1) as f64).ceil() as i64;
    let cluster_min_groups = placement
        .spread_constraints
        .iter()
        .filter(|c| c.field == SpreadField::Cluster)
        .map(|c| c.min_groups)
        .next_back()
        .unwrap_or(0)
        .max(min_groups);
    let (mut sum_available, mut sum_score, mut n_valid) = (0i64, 0i64, 0usize);
    for &idx in members {
        sum_available += infos[idx].available;
        sum_score += infos[idx].score;
        n_valid += 1;
        if n_valid >= cluster_min_groups && sum_available >= target {
            break;
        }
    }
    if sum_available < target {
        return sum_available * WEIGHT_UNIT + sum_score / members.len() as i64;
    }
    target * WEIGHT_UNIT + sum_score / n_valid as i64
}

struct Group {
    name: String,
    n_clusters: usize,
    score: i64,
}

fn by_region(
    placement: &Placement,
    region_constraint: &SpreadConstraint,
    cluster_constraint: Option<&SpreadConstraint>,
    infos: &[ClusterInfo<'_>],
    replicas: i64,
) -> Result<Vec<usize>, String> {
    // Regions keep their clusters in candidate order.
    let mut regions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (idx, info) in infos.iter().enumerate() {
        if let Some(region) = info.cluster.region.as_deref().filter(|r| !r.is_empty()) {
            regions.entry(region).or_default().push(idx);
        }
    }
    if regions.len() < region_constraint.min_groups {
        return Err(
            "the number of feasible region is less than spreadConstraint.MinGroups".to_owned(),
        );
    }
    let groups: Vec<Group> = regions
        .iter()
        .map(|(name, members)| Group {
            name: (*name).to_owned(),
            n_clusters: members.len(),
            score: group_score(
                placement,
                members,
                infos,
                replicas,
                region_constraint.min_groups,
            ),
        })
        .collect();
    let (cluster_min, cluster_max) =
        cluster_constraint.map_or((0, 0), |c| (c.min_groups, c.max_groups));
    let chosen = select_groups(
        groups,
        region_constraint.min_groups,
        region_constraint.max_groups,
        cluster_min,
    );
    if chosen.is_empty() {
        return Err(
            "the number of clusters is less than the cluster spreadConstraint.MinGroups".to_owned(),
        );
    }
    let mut selected = Vec::new();
    let mut rest = Vec::new();
    for name in &chosen {
        let members = &regions[name.as_str()];
        selected.push(members[0]);
        rest.extend_from_slice(&members[1..]);
    }
    let need = (rest.len() + selected.len()).min(cluster_max);
    if need > selected.len() {
        sort_candidates(infos, &mut rest);
        let n_more = need - selected.len();
        selected.extend_from_slice(&rest[..n_more]);
    }
    Ok(selected)
}

/// `selectGroups`: a depth-first search over groups for a set of `min..=max` groups holding at
/// least `target` clusters; the best by total score, then cluster count, then discovery order,
/// preferring a shorter path that is a prefix of the best.
fn select_groups(mut groups: Vec<Group>, min: usize, max: usize, target: usize) -> Vec<String> {
    if groups.is_empty() {
        return Vec::new();
    }
    groups.sort_by(|a, b| {
        a.n_clusters
            .cmp(&b.n_clusters)
            .then(b.score.cmp(&a.score))
            .then_with(|| a.name.cmp(&b.name))
    });
    struct Path {
        id: usize,
        groups: Vec<usize>,
        score: i64,
        n_clusters: usize,
    }
    struct Search<'g> {
        groups: &'g [Group],
        min: usize,
        max: usize,
        target: usize,
        stack: Vec<usize>,
        n_found: usize,
        paths: Vec<Path>,
    }
    impl Search<'_> {
        fn visit(&mut self, sum: usize, begin: usize) {
            if sum >= self.target && self.stack.len() >= self.min && self.stack.len() <= self.max {
                self.n_found += 1;
                let mut ids = self.stack.clone();
                // Groups in a path are ordered by score descending, then name.
                ids.sort_by(|&a, &b| {
                    self.groups[b]
                        .score
                        .cmp(&self.groups[a].score)
                        .then_with(|| self.groups[a].name.cmp(&self.groups[b].name))
                });
                self.paths.push(Path {
                    id: self.n_found,
                    score: ids.iter().map(|&g| self.groups[g].score).sum(),
                    n_clusters: ids.iter().map(|&g| self.groups[g].n_clusters).sum(),
                    groups: ids,
                });
                return;
            }
            if self.stack.len() >= self.max {
                return;
            }
            for idx in begin..self.groups.len() {
                self.stack.push(idx);
                self.visit(sum + self.groups[idx].n_clusters, idx + 1);
                if self.groups.len() == self.min {
                    // Karmada stops widening here and keeps the group on the path.
                    break;
                }
                self.stack.pop();
            }
        }
    }
    let mut search = Search {
        groups: &groups,
        min,
        max,
        target,
        stack: Vec::new(),
        n_found: 0,
        paths: Vec::new(),
    };
    search.visit(0, 0);
    let mut paths = search.paths;
    if paths.is_empty() {
        return Vec::new();
    }
    paths.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.n_clusters.cmp(&a.n_clusters))
            .then(a.id.cmp(&b.id))
    });
    let mut best = 0;
    for idx in 1..paths.len() {
        let (candidate, current) = (&paths[idx], &paths[best]);
        if candidate.groups.len() < current.groups.len()
            && candidate
                .groups
                .iter()
                .zip(&current.groups)
                .all(|(a, b)| groups[*a].name == groups[*b].name)
        {
            best = idx;
        }
    }
    paths[best]
        .groups
        .iter()
        .map(|&g| groups[g].name.clone())
        .collect()
}

#[cfg(test)]
mod tests;
