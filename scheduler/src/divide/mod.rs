//! Replica division (`pkg/scheduler/core/assignment.go`, `division_algorithm.go`): how a
//! binding's replicas are split over the selected clusters, for each `replicaScheduling` mode.

mod webster;

pub use webster::{NameOrder, Party, allocate};

use sim_core::model::ClusterId;

use crate::policy::{DivisionPreference, ReplicaScheduling, StaticWeightRule};

/// A selected cluster as division sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The cluster.
    pub cluster: ClusterId,
    /// Its name (Webster's last tie-break).
    pub name: &'a str,
    /// Replicas the estimators allow there (`AllocatableReplicas`), own replicas excluded.
    pub available: i64,
    /// Whether the cluster matches each static weight rule's target, in rule order.
    pub weight_rule_matches: Vec<bool>,
}

/// Steady keeps replicas where they are; Fresh recomputes from scratch (a manual reschedule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only the difference to the previous assignment is scheduled.
    Steady,
    /// Everything is recomputed from estimates plus own replicas.
    Fresh,
}

/// The inputs of one division.
pub struct DivideRequest<'a, 'b> {
    /// `spec.replicas`.
    pub replicas: i64,
    /// Selected clusters, in Karmada's candidate order (score desc, available desc, name).
    pub candidates: &'b [Candidate<'a>],
    /// The binding's current `spec.clusters`.
    pub previous: &'b [(ClusterId, i64)],
    /// Steady or Fresh.
    pub mode: Mode,
    /// Tie-break direction from the binding's UID.
    pub name_order: NameOrder,
}

/// Why a division failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DivideError {
    /// No cluster was selected.
    #[error("no clusters available to schedule")]
    NoClusters,
    /// Divided without a division preference (`assignReplicas` finds no strategy for it).
    #[error("unsupported replica scheduling strategy: Divided without replicaDivisionPreference")]
    Unsupported,
    /// The estimators' total is below what must be placed.
    #[error("Clusters available replicas {available} are not enough to schedule.")]
    NotEnough {
        /// Σ of the weights offered.
        available: i64,
    },
}

/// Divides `request.replicas` as `scheduling` says; entries with 0 replicas are removed
/// (except for Duplicated) and the result is in candidate order.
pub fn assign(
    scheduling: &ReplicaScheduling,
    request: &DivideRequest<'_, '_>,
) -> Result<Vec<(ClusterId, i64)>, DivideError> {
    if request.candidates.is_empty() {
        return Err(DivideError::NoClusters);
    }
    let result = match scheduling {
        ReplicaScheduling::Duplicated => request
            .candidates
            .iter()
            .map(|c| (c.cluster, request.replicas))
            .collect(),
        ReplicaScheduling::Divided(DivisionPreference::StaticWeight(rules)) => {
            static_weight(rules, request)
        }
        ReplicaScheduling::Divided(DivisionPreference::EmptyWeightPreference) => {
            static_weight(&[], request)
        }
        ReplicaScheduling::Divided(DivisionPreference::DynamicWeight) => {
            dynamic(Strategy::DynamicWeight, request)?
        }
        ReplicaScheduling::Divided(DivisionPreference::Aggregated) => {
            dynamic(Strategy::Aggregated, request)?
        }
        ReplicaScheduling::Divided(DivisionPreference::Unset) => {
            return Err(DivideError::Unsupported);
        }
    };
    Ok(result)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    DynamicWeight,
    Aggregated,
}

fn static_weight(
    rules: &[StaticWeightRule],
    request: &DivideRequest<'_, '_>,
) -> Vec<(ClusterId, i64)> {
    let mut weights: Vec<i64> = request
        .candidates
        .iter()
        .map(|candidate| {
            if rules.is_empty() {
                return 1;
            }
            rules
                .iter()
                .zip(&candidate.weight_rule_matches)
                .filter(|(_, matched)| **matched)
                .map(|(rule, _)| rule.weight)
                .max()
                .unwrap_or(0)
        })
        .collect();
    if weights.iter().all(|w| *w == 0) {
        weights.iter_mut().for_each(|w| *w = 1);
    }
    let votes: Vec<(usize, i64)> = weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0)
        .map(|(idx, w)| (idx, *w))
        .collect();
    let seats = webster_over(request, &votes, request.replicas);
    collect_nonzero(request, &seats)
}

/// DynamicWeight and Aggregated (`assignByDynamicStrategy`).
fn dynamic(
    strategy: Strategy,
    request: &DivideRequest<'_, '_>,
) -> Result<Vec<(ClusterId, i64)>, DivideError> {
    let n = request.candidates.len();
    // `scheduled`: previous replicas on clusters that are still candidates.
    let mut scheduled = vec![0i64; n];
    for (cluster, replicas) in request.previous {
        if let Some(idx) = request
            .candidates
            .iter()
            .position(|c| c.cluster == *cluster)
        {
            scheduled[idx] += replicas;
        }
    }
    let assigned: i64 = scheduled.iter().sum();
    let (target, mut weights, merge_into_scheduled, prior_first): (
        i64,
        Vec<(usize, i64)>,
        bool,
        bool,
    ) = match request.mode {
        Mode::Fresh => (
            request.replicas,
            (0..n)
                .map(|idx| (idx, request.candidates[idx].available + scheduled[idx]))
                .collect(),
            false,
            false,
        ),
        Mode::Steady if assigned > request.replicas => (
            request.replicas,
            (0..n)
                .filter(|idx| scheduled[*idx] > 0)
                .map(|idx| (idx, scheduled[idx]))
                .collect(),
            false,
            false,
        ),
        Mode::Steady if assigned < request.replicas => (
            request.replicas - assigned,
            (0..n)
                .map(|idx| (idx, request.candidates[idx].available))
                .collect(),
            true,
            true,
        ),
        Mode::Steady => return Ok(collect_nonzero(request, &scheduled)),
    };
    // Karmada sorts by weight descending; a stable sort keeps candidate order among equals.
    weights.sort_by_key(|(_, w)| std::cmp::Reverse(*w));
    let total: i64 = weights.iter().map(|(_, w)| *w).sum();
    if total < target {
        return Err(DivideError::NotEnough { available: total });
    }
    if strategy == Strategy::Aggregated {
        if prior_first {
            // Clusters already holding replicas first, relative order kept.
            let (mut prior, rest): (Vec<_>, Vec<_>) = weights
                .into_iter()
                .partition(|(idx, _)| scheduled[*idx] > 0);
            prior.extend(rest);
            weights = prior;
        }
        let mut cumulative = 0;
        let keep = weights
            .iter()
            .position(|(_, w)| {
                cumulative += w;
                cumulative >= target
            })
            .map_or(weights.len(), |pos| pos + 1);
        weights.truncate(keep);
    }
    let seats = webster_over(request, &weights, target);
    let result: Vec<i64> = if merge_into_scheduled {
        scheduled.iter().zip(&seats).map(|(a, b)| a + b).collect()
    } else {
        seats
    };
    Ok(collect_nonzero(request, &result))
}

/// Runs Webster over `votes` (candidate index, votes) and returns seats per candidate index.
fn webster_over(request: &DivideRequest<'_, '_>, votes: &[(usize, i64)], seats: i64) -> Vec<i64> {
    let mut parties: Vec<Party<'_>> = votes
        .iter()
        .map(|(idx, v)| Party {
            name: request.candidates[*idx].name,
            votes: *v,
            seats: 0,
        })
        .collect();
    allocate(&mut parties, seats, request.name_order);
    let mut per_candidate = vec![0i64; request.candidates.len()];
    for ((idx, _), party) in votes.iter().zip(&parties) {
        per_candidate[*idx] += party.seats;
    }
    per_candidate
}

fn collect_nonzero(request: &DivideRequest<'_, '_>, seats: &[i64]) -> Vec<(ClusterId, i64)> {
    request
        .candidates
        .iter()
        .zip(seats)
        .filter(|(_, s)| **s > 0)
        .map(|(c, s)| (c.cluster, *s))
        .collect()
}

#[cfg(test)]
mod tests;
