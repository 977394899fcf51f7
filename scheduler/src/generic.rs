//! One scheduling attempt, as Karmada's generic scheduler makes it
//! (`pkg/scheduler/core/generic_scheduler.go`): filter, score, estimate, select, assign.
//!
//! A query: it reads views and returns a [`Decision`] that records what every plugin said, so
//! `explain` can show it and the control plane can apply the outcome.

use std::collections::BTreeMap;

use sim_core::model::ClusterId;

use crate::binding::{BindingView, ClusterView};
use crate::config::Plugins;
use crate::divide::{self, Candidate, DivideError, DivideRequest, Mode, NameOrder};
use crate::filter::Verdict;
use crate::policy::{DivisionPreference, Placement, ReplicaScheduling};
use crate::spread::{self, ClusterInfo};

/// Karmada's "no opinion" ceiling for estimates (`MaxInt32`).
pub const NO_LIMIT: i64 = i32::MAX as i64;

/// The outcome of one scheduling attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new assignment (`spec.clusters`), in cluster order.
    Scheduled(Vec<(ClusterId, i64)>),
    /// No cluster passed the filters (Karmada's FitError, `NoClusterFit`); not retried.
    NoClusterFit(String),
    /// Clusters fit but lack capacity (`Unschedulable`); parked in the unschedulable set.
    Unschedulable(String),
    /// Any other failure (`SchedulerError`); retried after a backoff.
    Error(String),
}

/// Numbers a caller imposes instead of asking the plugins (as Karmada's own tests do).
#[derive(Clone, Copy, Debug, Default)]
pub struct Given<'a> {
    /// Per cluster (same order as the views): the total score, if imposed.
    pub scores: &'a [Option<i64>],
    /// Per cluster: what the estimators answered, if imposed.
    pub estimates: &'a [Option<i64>],
    /// Leave each plugin's answer out of the diagnoses (`scores` and `estimates` stay empty;
    /// totals, choices and outcome are the same): the simulation's hot path, when nobody
    /// reads them.
    pub brief: bool,
}

/// What the pipeline found out about one cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterDiagnosis {
    /// The cluster.
    pub cluster: ClusterId,
    /// The first filter that refused it, and why.
    pub refused: Option<(&'static str, String)>,
    /// Score plugins' answers.
    pub scores: Vec<(&'static str, i64)>,
    /// Total score.
    pub score: i64,
    /// Each estimator's answer (`None`: no opinion).
    pub estimates: Vec<(&'static str, Option<i64>)>,
    /// Combined estimate (`AllocatableReplicas`).
    pub allocatable: i64,
    /// `allocatable` plus the binding's replicas already there (`AvailableReplicas`).
    pub available: i64,
    /// 0 primary affinity group, i-th overflow group, 1000 none.
    pub overflow_order: u32,
}

/// The record of one scheduling attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Every cluster, in view order.
    pub clusters: Vec<ClusterDiagnosis>,
    /// Feasible clusters as indexes into `clusters`, in Karmada's candidate order.
    pub candidates: Vec<usize>,
    /// Selected clusters as indexes into `clusters`.
    pub selected: Vec<usize>,
    /// What happened.
    pub outcome: Outcome,
}

/// Karmada's FitError text: `0/N clusters are available: <count> <reason>, ....`
pub fn fit_error(n_clusters: usize, reasons: &BTreeMap<String, usize>) -> String {
    if n_clusters == 0 || reasons.is_empty() {
        return format!("0/{n_clusters} clusters are available: no cluster exists.");
    }
    let mut parts: Vec<String> = reasons
        .iter()
        .map(|(reason, count)| format!("{count} {reason}"))
        .collect();
    parts.sort();
    format!(
        "0/{n_clusters} clusters are available: {}.",
        parts.join(", ")
    )
}

/// Karmada's `getClusterOverflowOrder`.
fn overflow_order(view: &BindingView<'_>, cluster: &ClusterView<'_>) -> u32 {
    let placement = view.placement;
    if placement.cluster_affinity.is_some() || placement.cluster_affinities.is_empty() {
        return 0;
    }
    let observed = view.binding.observed_affinity.as_deref();
    let Some(term) = placement
        .cluster_affinities
        .iter()
        .find(|t| Some(t.name.as_str()) == observed)
    else {
        return 1000;
    };
    if term.affinity.matches(cluster.cluster) {
        return 0;
    }
    term.overflow
        .iter()
        .position(|a| a.matches(cluster.cluster))
        .map_or(1000, |idx| idx as u32 + 1)
}

/// Whether replicas fill the observed term's overflow tiers in turn (`enableOverflow`).
fn overflow_enabled(view: &BindingView<'_>) -> bool {
    let placement = view.placement;
    placement.cluster_affinity.is_none()
        && view
            .binding
            .observed_affinity
            .as_deref()
            .is_some_and(|observed| {
                placement
                    .cluster_affinities
                    .iter()
                    .any(|t| t.name == observed && !t.overflow.is_empty())
            })
}

/// One attempt at scheduling `view.binding` over `clusters`.
pub fn schedule(
    plugins: &Plugins,
    view: &BindingView<'_>,
    clusters: &[ClusterView<'_>],
    given: Given<'_>,
    mode: Mode,
) -> Decision {
    let binding = view.binding;
    // With components on Karmada's multi-template path, estimators count complete sets (also
    // for Duplicated, whose clusters are then sorted by them) and the selected cluster must
    // hold one; Duplicated selection ignores capacity.
    let sets_path = view.estimates_sets();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut diagnoses = Vec::with_capacity(clusters.len());
    let mut feasible = Vec::new();
    for (idx, cluster) in clusters.iter().enumerate() {
        let mut diagnosis = ClusterDiagnosis {
            cluster: cluster.id,
            refused: None,
            scores: Vec::new(),
            score: 0,
            estimates: Vec::new(),
            allocatable: 0,
            available: 0,
            overflow_order: 0,
        };
        diagnosis.refused = plugins
            .filters
            .iter()
            .find_map(|f| match f.filter(view, cluster) {
                Verdict::Fits => None,
                Verdict::Unschedulable(reason) => Some((f.name(), reason)),
            });
        if let Some((_, reason)) = &diagnosis.refused {
            *reasons.entry(reason.clone()).or_default() += 1;
        } else {
            feasible.push(idx);
        }
        diagnoses.push(diagnosis);
    }
    if feasible.is_empty() {
        let outcome = Outcome::NoClusterFit(fit_error(clusters.len(), &reasons));
        return Decision {
            clusters: diagnoses,
            candidates: Vec::new(),
            selected: Vec::new(),
            outcome,
        };
    }
    for &idx in &feasible {
        assess(
            plugins,
            view,
            &clusters[idx],
            idx,
            given,
            &mut diagnoses[idx],
        );
    }
    let infos: Vec<ClusterInfo<'_>> = feasible
        .iter()
        .map(|&idx| ClusterInfo {
            cluster: clusters[idx].cluster,
            score: diagnoses[idx].score,
            available: diagnoses[idx].available,
            overflow_order: diagnoses[idx].overflow_order,
        })
        .collect();
    let mut order: Vec<usize> = (0..infos.len()).collect();
    spread::sort_candidates(&infos, &mut order);
    let candidates: Vec<usize> = order.iter().map(|&i| feasible[i]).collect();
    let sorted_infos: Vec<ClusterInfo<'_>> = order.iter().map(|&i| infos[i]).collect();
    let need_replicas = if sets_path { 1 } else { binding.replicas };
    let selected: Vec<usize> =
        match spread::select_best_clusters(view.placement, &sorted_infos, need_replicas) {
            Ok(picked) => picked.iter().map(|&i| candidates[i]).collect(),
            Err(message) => {
                return Decision {
                    clusters: diagnoses,
                    candidates,
                    selected: Vec::new(),
                    outcome: Outcome::Error(message),
                };
            }
        };
    let outcome = assign(view, clusters, &diagnoses, &selected, mode);
    Decision {
        clusters: diagnoses,
        candidates,
        selected,
        outcome,
    }
}

/// Scores a feasible cluster and estimates the replicas it can take (or takes the `given`
/// ones), into its diagnosis.
fn assess(
    plugins: &Plugins,
    view: &BindingView<'_>,
    cluster: &ClusterView<'_>,
    idx: usize,
    given: Given<'_>,
    diagnosis: &mut ClusterDiagnosis,
) {
    let binding = view.binding;
    if !given.brief {
        diagnosis.scores = plugins
            .scores
            .iter()
            .map(|s| (s.name(), s.score(view, cluster)))
            .collect();
    }
    diagnosis.score = match given.scores.get(idx).copied().flatten() {
        Some(score) => score,
        None if given.brief => plugins.scores.iter().map(|s| s.score(view, cluster)).sum(),
        None => diagnosis.scores.iter().map(|(_, s)| s).sum(),
    };
    diagnosis.allocatable = if let Some(estimate) = given.estimates.get(idx).copied().flatten() {
        estimate
    } else if !binding.is_workload() {
        NO_LIMIT
    } else if given.brief {
        plugins
            .estimators
            .iter()
            .filter_map(|e| e.max_replicas(view, cluster))
            .min()
            .unwrap_or(binding.replicas)
    } else {
        diagnosis.estimates = plugins
            .estimators
            .iter()
            .map(|e| (e.name(), e.max_replicas(view, cluster)))
            .collect();
        diagnosis
            .estimates
            .iter()
            .filter_map(|(_, e)| *e)
            .min()
            .unwrap_or(binding.replicas)
    };
    diagnosis.available = diagnosis.allocatable + binding.previous_replicas(cluster.id);
    diagnosis.overflow_order = overflow_order(view, cluster);
}

/// A diagnosis for a cluster whose estimate is imposed, as Karmada's assignment tests give
/// their candidates: no filter ran, score 0.
pub fn given_candidate(
    view: &BindingView<'_>,
    cluster: &ClusterView<'_>,
    allocatable: i64,
) -> ClusterDiagnosis {
    ClusterDiagnosis {
        cluster: cluster.id,
        refused: None,
        scores: Vec::new(),
        score: 0,
        estimates: Vec::new(),
        allocatable,
        available: allocatable + view.binding.previous_replicas(cluster.id),
        overflow_order: overflow_order(view, cluster),
    }
}

/// `AssignReplicas` over `selected` (indexes into `clusters` and `diagnoses`, in candidate
/// order), with overflow tiers filled in turn.
pub fn assign(
    view: &BindingView<'_>,
    clusters: &[ClusterView<'_>],
    diagnoses: &[ClusterDiagnosis],
    selected: &[usize],
    mode: Mode,
) -> Outcome {
    let binding = view.binding;
    if selected.is_empty() {
        return Outcome::Error(DivideError::NoClusters.to_string());
    }
    // Karmada's `AssignReplicas`: only a binding with replicas (and at most one component) is
    // divided; one with components is listed on every selected cluster with 0 replicas.
    if binding.replicas == 0 || binding.is_multi_component() {
        let mut all: Vec<(ClusterId, i64)> =
            selected.iter().map(|&i| (clusters[i].id, 0)).collect();
        all.sort();
        return Outcome::Scheduled(all);
    }
    let candidate = |idx: usize| Candidate {
        cluster: clusters[idx].id,
        name: &clusters[idx].cluster.name,
        available: diagnoses[idx].allocatable,
        weight_rule_matches: static_rule_matches(view.placement, &clusters[idx]),
    };
    let divide_over = |members: &[usize], replicas: i64| {
        let candidates: Vec<Candidate<'_>> = members.iter().map(|&i| candidate(i)).collect();
        let request = DivideRequest {
            replicas,
            candidates: &candidates,
            previous: &binding.clusters,
            mode,
            name_order: NameOrder::for_uid(&binding.uid),
        };
        divide::assign(&view.placement.replica_scheduling, &request)
    };
    let result = if overflow_enabled(view) {
        let mut tiers: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for &idx in selected {
            tiers
                .entry(diagnoses[idx].overflow_order)
                .or_default()
                .push(idx);
        }
        let mut remaining = binding.replicas;
        let mut all = Vec::new();
        for members in tiers.values() {
            let tier_available: i64 = members.iter().map(|&i| diagnoses[i].available).sum();
            let tier_replicas = remaining.min(tier_available);
            match divide_over(members, tier_replicas) {
                Ok(part) => all.extend(part),
                Err(err) => return divide_error(err),
            }
            remaining -= tier_replicas;
            if remaining <= 0 {
                break;
            }
        }
        if remaining > 0 {
            return Outcome::Unschedulable(
                "Clusters available replicas are not enough to schedule.".to_owned(),
            );
        }
        Ok(all)
    } else {
        divide_over(selected, binding.replicas)
    };
    match result {
        Ok(mut assignment) => {
            assignment.sort();
            Outcome::Scheduled(assignment)
        }
        Err(err) => divide_error(err),
    }
}

fn divide_error(err: DivideError) -> Outcome {
    match err {
        DivideError::NotEnough { .. } => Outcome::Unschedulable(err.to_string()),
        DivideError::NoClusters | DivideError::Unsupported => Outcome::Error(err.to_string()),
    }
}

fn static_rule_matches(placement: &Placement, cluster: &ClusterView<'_>) -> Vec<bool> {
    match &placement.replica_scheduling {
        ReplicaScheduling::Divided(DivisionPreference::StaticWeight(rules)) => rules
            .iter()
            .map(|rule| rule.target.matches(cluster.cluster))
            .collect(),
        _ => Vec::new(),
    }
}
