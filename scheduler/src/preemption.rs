//! Binding preemption in the control plane, as Karmada's binding-priority-preemption proposal
//! describes it (`docs/proposals/scheduling/binding-priority-preemption`).
//!
//! **A PROPOSED feature**: Karmada does not implement it (the proposed gate
//! `PriorityBasedPreemptiveScheduling` does not exist in code); fleetsim models it so that its
//! effect can be studied, and callers should keep it behind a switch labelled "proposed".
//!
//! A pure query: when a pending binding cannot get all its replicas, which lower-priority
//! bindings to evict from which cluster so that it can. Only bindings of strictly lower
//! priority are victims; bindings without resource requirements never are (they free nothing
//! the estimators count). A victim frees `replicas × request` on its cluster; the pending
//! binding gains `min` over the resources it requests of `floor(freed / per-replica request)`
//! replicas, and preemption happens only if that closes the gap
//! `needed replicas − available replicas`. Otherwise nothing is preempted.
//!
//! Clusters are compared by the fewest victims, then the lowest highest victim priority, then
//! the lowest sum of victim priorities, then the lowest cluster id. On a cluster the proposal
//! picks victims "from the lowest priority upward while minimising the count": the fewest
//! victims first, and among sets of that size the one whose highest priority is lowest.
//!
//! Finding that set exactly is a covering problem, exponential in general. The search here
//! tries, for `k = 1, 2, …` victims and for each priority threshold `p` (the distinct candidate
//! priorities, ascending), the `k` candidates of priority `≤ p` that free the most
//! replicas-worth, and accepts the first `(k, p)` that closes the gap. A candidate's worth is
//! the exact fraction `min` over requested resources of `freed / request` (ties: lower priority
//! first, then lower [`JobId`]). When the pending binding requests one resource, or the victims'
//! requests are proportional to its own, worth is additive and the `k` worthiest candidates free
//! the most any `k` can, so the count and then the threshold are exact; with several resources
//! freed in other proportions it is a heuristic that may use more victims than necessary. That
//! no set at all suffices is always decided exactly: extra replicas only grow as more is freed,
//! so if evicting every candidate is not enough, nothing is.

use std::cmp::Ordering;

use sim_core::model::{ClusterId, JobId};

use crate::estimator::ResourceList;

/// The binding that waits for room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingBinding {
    /// Its `schedulePriority`; only strictly lower bindings may be evicted.
    pub priority: i32,
    /// What each replica requests (`pods` is normally 1).
    pub request: ResourceList,
    /// Replicas it needs on the cluster it is placed on.
    pub replicas: i64,
}

/// A binding's replicas running on one candidate cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindingOnCluster {
    /// The binding's job; unique within one cluster's list, and the last tie-break.
    pub job: JobId,
    /// Its `schedulePriority`.
    pub priority: i32,
    /// Its replicas on this cluster.
    pub replicas: i64,
    /// What each of its replicas requests.
    pub request: ResourceList,
}

/// One cluster the pending binding could go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterCandidate {
    /// The cluster; the last tie-break (lowest wins).
    pub cluster: ClusterId,
    /// Replicas of the pending binding the estimators allow there now.
    pub available_replicas: i64,
    /// The bindings running there.
    pub running: Vec<BindingOnCluster>,
}

/// The decision: evict `victims` from `cluster`, then the pending binding fits there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindingPreemption {
    /// The chosen cluster.
    pub cluster: ClusterId,
    /// The bindings to evict there, lowest priority first, then by job.
    pub victims: Vec<JobId>,
}

/// The cluster and victims the proposal picks for `pending`, or `None` when no eviction of
/// lower-priority bindings on any one cluster lets it have all its replicas.
///
/// Returns `None` too when some cluster already offers every replica: that is a scheduling
/// case, not a preemption one, and callers should only ask after scheduling failed.
pub fn select_binding_preemption(
    pending: &PendingBinding,
    clusters: &[ClusterCandidate],
) -> Option<BindingPreemption> {
    if clusters
        .iter()
        .any(|candidate| candidate.available_replicas >= pending.replicas)
    {
        return None;
    }
    clusters
        .iter()
        .filter_map(|candidate| {
            let victims = victims_on_cluster(pending, candidate)?;
            Some((
                rank(&victims, candidate.cluster),
                candidate.cluster,
                victims,
            ))
        })
        .min_by_key(|(rank, _, _)| *rank)
        .map(|(_, cluster, mut victims)| {
            victims.sort_by_key(|victim| (victim.priority, victim.job));
            BindingPreemption {
                cluster,
                victims: victims.iter().map(|victim| victim.job).collect(),
            }
        })
}

/// Replicas of `request` that `freed` makes room for: the scarcest requested resource decides;
/// `None` when `request` asks for nothing, since then resources never limit it.
pub fn extra_replicas(freed: &ResourceList, request: &ResourceList) -> Option<i64> {
    resource_pairs(freed, request)
        .filter(|(_, asked)| *asked > 0)
        .map(|(free, asked)| free.max(0) / asked)
        .min()
}

/// The cluster order: the smallest key wins.
fn rank(victims: &[BindingOnCluster], cluster: ClusterId) -> (usize, i32, i64, ClusterId) {
    let highest = victims
        .iter()
        .map(|victim| victim.priority)
        .max()
        .expect("a preemption has victims");
    let sum: i64 = victims
        .iter()
        .map(|victim| i64::from(victim.priority))
        .sum();
    (victims.len(), highest, sum, cluster)
}

/// The victim set on one cluster, or `None` when no set closes the gap.
fn victims_on_cluster(
    pending: &PendingBinding,
    candidate: &ClusterCandidate,
) -> Option<Vec<BindingOnCluster>> {
    let gap = pending.replicas - candidate.available_replicas;
    debug_assert!(gap > 0, "the caller returns early when a cluster fits");
    let mut victims: Vec<(Worth, BindingOnCluster)> = candidate
        .running
        .iter()
        .filter(|running| running.priority < pending.priority)
        .filter(|running| freed_by(running) != ResourceList::default())
        .filter_map(|running| {
            let worth = Worth::of(&freed_by(running), &pending.request)?;
            Some((worth, *running))
        })
        .collect();
    let closes = |set: &[BindingOnCluster]| {
        let mut freed = ResourceList::default();
        for victim in set {
            freed.add(&freed_by(victim));
        }
        extra_replicas(&freed, &pending.request).is_some_and(|extra| extra >= gap)
    };
    let all: Vec<BindingOnCluster> = victims.iter().map(|(_, victim)| *victim).collect();
    if !closes(&all) {
        return None;
    }
    // Worthiest first; among equals the lower priority, then the lower job.
    victims.sort_by(|(worth_a, a), (worth_b, b)| {
        worth_b
            .cmp(worth_a)
            .then(a.priority.cmp(&b.priority))
            .then(a.job.cmp(&b.job))
    });
    let mut thresholds: Vec<i32> = victims.iter().map(|(_, victim)| victim.priority).collect();
    thresholds.sort_unstable();
    thresholds.dedup();
    for n_victims in 1..=victims.len() {
        for threshold in &thresholds {
            let set: Vec<BindingOnCluster> = victims
                .iter()
                .filter(|(_, victim)| victim.priority <= *threshold)
                .take(n_victims)
                .map(|(_, victim)| *victim)
                .collect();
            if set.len() == n_victims && closes(&set) {
                return Some(set);
            }
        }
    }
    unreachable!("every candidate together closes the gap")
}

/// What evicting `victim` frees on its cluster; nothing for a binding that requests nothing, so
/// such bindings are never victims.
fn freed_by(victim: &BindingOnCluster) -> ResourceList {
    let replicas = victim.replicas.max(0);
    ResourceList {
        cpu_milli: victim.request.cpu_milli * replicas,
        memory: victim.request.memory * replicas,
        pods: victim.request.pods * replicas,
        gpus: victim.request.gpus * replicas,
    }
}

fn resource_pairs(
    freed: &ResourceList,
    request: &ResourceList,
) -> impl Iterator<Item = (i64, i64)> {
    [
        (freed.cpu_milli, request.cpu_milli),
        (freed.memory, request.memory),
        (freed.pods, request.pods),
        (freed.gpus, request.gpus),
    ]
    .into_iter()
}

/// Replicas-worth of what one victim frees, as the exact fraction `freed / request` of the
/// scarcest requested resource, so that victims freeing 1.5 replicas each rank above one
/// freeing exactly 1.
#[derive(Clone, Copy, Debug)]
struct Worth {
    freed: i64,
    asked: i64,
}

impl Worth {
    /// `None` when the request asks for nothing. A worth of 0 is kept: a victim freeing only
    /// GPUs may still help together with one freeing only CPU.
    fn of(freed: &ResourceList, request: &ResourceList) -> Option<Worth> {
        resource_pairs(freed, request)
            .filter(|(_, asked)| *asked > 0)
            .map(|(free, asked)| Worth {
                freed: free.max(0),
                asked,
            })
            .min()
    }
}

impl Ord for Worth {
    fn cmp(&self, other: &Worth) -> Ordering {
        // a/b against c/d as a·d against c·b; both denominators are positive.
        let left = i128::from(self.freed) * i128::from(other.asked);
        let right = i128::from(other.freed) * i128::from(self.asked);
        left.cmp(&right)
    }
}

impl PartialOrd for Worth {
    fn partial_cmp(&self, other: &Worth) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equal as fractions (1/2 equals 2/4), consistent with [`Ord`].
impl PartialEq for Worth {
    fn eq(&self, other: &Worth) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Worth {}

#[cfg(test)]
mod tests;
