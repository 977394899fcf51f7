//! `fleetsim explain`: everything the control plane and the member cluster did with one job,
//! rendered the way `kubectl describe` shows events.

use std::fmt::Write as _;

use sim_core::SimTime;
use sim_core::model::{ClusterId, Job, JobId, World};

use crate::control::Attempt;
use crate::generic::{Decision, Outcome};

/// One thing that happened to the explained job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The job arrived; the policy that selected it, if any.
    Submitted {
        /// The job.
        job: Box<Job>,
        /// `Kind namespace/name` of the matched policy, or `None` (fallback placement).
        policy: Option<String>,
        /// The workload's UID, which breaks its Webster ties.
        uid: String,
    },
    /// No policy selected the job.
    Unmatched,
    /// The snapshot the run starts from had the job scheduled to `cluster` already.
    Existing {
        /// The cluster.
        cluster: ClusterId,
    },
    /// A scheduling attempt.
    Attempt(Attempt),
    /// The assignment an attempt chose was refused by FederatedResourceQuota admission; the
    /// previous assignment stays and the binding backs off.
    QuotaDenied {
        /// Karmada's message.
        reason: String,
    },
    /// A member cluster bound one pod to a node.
    Bound {
        /// The cluster.
        cluster: ClusterId,
        /// The node's index in the cluster.
        node: u32,
    },
    /// Pods sent to a member cluster that no node could take yet.
    Pending {
        /// The cluster.
        cluster: ClusterId,
        /// How many.
        n_pods: u32,
    },
    /// Pods lost with their node or cluster (or drained).
    PodsLost {
        /// The cluster.
        cluster: ClusterId,
        /// How many.
        n_pods: u32,
    },
    /// Karmada evicted the job's replicas from a cluster.
    Evicted {
        /// The cluster.
        cluster: ClusterId,
        /// Why (Karmada's reason).
        reason: String,
    },
    /// The job failed (a fault of its GPUs, not of a node) and restarts in place from its
    /// last checkpoint.
    JobFailure {
        /// The restart it is (from 1).
        n_restart: u32,
    },
    /// Every replica runs.
    Started,
    /// The job finished.
    Completed,
    /// The job failed for good.
    Failed {
        /// Why.
        reason: String,
    },
}

/// What happened to one job, in time order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainLog {
    /// The job.
    pub job: JobId,
    /// Entries with their times.
    pub entries: Vec<(SimTime, Entry)>,
}

impl ExplainLog {
    /// The job has ended (completed, failed, or matched no policy): nothing later can change
    /// its story.
    pub fn ended(&self) -> bool {
        matches!(
            self.entries.last(),
            Some((
                _,
                Entry::Completed | Entry::Failed { .. } | Entry::Unmatched
            ))
        )
    }
}

fn node_name(world: &World, cluster: ClusterId, node: u32) -> String {
    let mut first = 0u32;
    for pool in &world.fleet.cluster(cluster).node_pools {
        if node < first + pool.count {
            return format!(
                "{}/{}-{}",
                world.fleet.cluster(cluster).name,
                pool.name,
                node - first
            );
        }
        first += pool.count;
    }
    format!("{}/node-{node}", world.fleet.cluster(cluster).name)
}

fn render_decision(out: &mut String, world: &World, term: Option<&str>, decision: &Decision) {
    let name = |id: ClusterId| world.fleet.cluster(id).name.as_str();
    if let Some(term) = term {
        let _ = writeln!(out, "    clusterAffinities term {term:?}:");
    }
    let width = decision
        .clusters
        .iter()
        .map(|d| name(d.cluster).len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        out,
        "      {:width$}  {:<8}  {:>5}  {:<24}  {:>9}  detail",
        "CLUSTER", "FILTERS", "SCORE", "ESTIMATORS", "AVAILABLE"
    );
    for diagnosis in &decision.clusters {
        let cluster = name(diagnosis.cluster);
        match &diagnosis.refused {
            Some((plugin, reason)) => {
                let _ = writeln!(
                    out,
                    "      {cluster:width$}  {:<8}  {:>5}  {:<24}  {:>9}  {plugin}: {reason}",
                    "refused", "-", "-", "-"
                );
            }
            None => {
                let estimators = if diagnosis.estimates.is_empty() {
                    "given".to_owned()
                } else {
                    diagnosis
                        .estimates
                        .iter()
                        .map(|(n, v)| {
                            format!(
                                "{n}={}",
                                v.map_or("no opinion".to_owned(), |v| v.to_string())
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let selected = decision
                    .selected
                    .iter()
                    .any(|&i| decision.clusters[i].cluster == diagnosis.cluster);
                let _ = writeln!(
                    out,
                    "      {cluster:width$}  {:<8}  {:>5}  {estimators:<24}  {:>9}  {}",
                    "passed",
                    diagnosis.score,
                    diagnosis.available,
                    if selected { "selected" } else { "not selected" }
                );
            }
        }
    }
    let _ = match &decision.outcome {
        Outcome::Scheduled(assignment) => {
            let parts: Vec<String> = assignment
                .iter()
                .map(|(id, r)| format!("{}: {r}", name(*id)))
                .collect();
            writeln!(out, "      result: Scheduled {{{}}}", parts.join(", "))
        }
        Outcome::NoClusterFit(message) => writeln!(out, "      result: NoClusterFit: {message}"),
        Outcome::Unschedulable(message) => writeln!(out, "      result: Unschedulable: {message}"),
        Outcome::Error(message) => writeln!(out, "      result: SchedulerError: {message}"),
    };
}

impl ExplainLog {
    /// Renders the log; with `at`, only entries up to that time.
    pub fn render(&self, world: &World, at: Option<SimTime>) -> String {
        let mut out = String::new();
        let entries: Vec<&(SimTime, Entry)> = self
            .entries
            .iter()
            .filter(|(t, _)| at.is_none_or(|at| *t <= at))
            .collect();
        let Some((_, Entry::Submitted { job, policy, uid })) = self.entries.first() else {
            let _ = writeln!(
                out,
                "job {} was not submitted before the end of the run",
                self.job.0
            );
            return out;
        };
        render_header(&mut out, world, job, policy.as_deref(), uid);
        let _ = writeln!(out, "Events:");
        render_events(&mut out, world, &entries);
        out
    }
}

/// The job's description above its events, `kubectl describe` style.
fn render_header(out: &mut String, world: &World, job: &Job, policy: Option<&str>, uid: &str) {
    let template = &job.template;
    let labels: Vec<String> = template
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let _ = writeln!(out, "Name:            {}", job.name);
    let _ = writeln!(out, "Job:             {}", job.id.0);
    let _ = writeln!(out, "UID:             {uid}");
    let _ = writeln!(
        out,
        "Namespace:       {}",
        world.namespace(job.namespace).name
    );
    let _ = writeln!(
        out,
        "Template:        {} {} {{{}}}",
        template.api_version,
        template.kind,
        labels.join(", ")
    );
    let _ = writeln!(
        out,
        "Priority class:  {}",
        job.priority_class
            .map_or("<none>", |c| world.priority_class(c).name.as_str())
    );
    let _ = writeln!(
        out,
        "Policy:          {}",
        policy.unwrap_or("<none: the scenario's placement>")
    );
    let describe = |c: &sim_core::model::Component| {
        format!(
            "{} × {{cpu: {}m, memory: {}Mi, nvidia.com/gpu: {}}}",
            c.replicas,
            c.request.cpu_milli,
            c.request.memory >> 20,
            c.request.gpu.count
        )
    };
    if let [component] = job.components.as_slice() {
        let _ = writeln!(out, "Replicas:        {}", describe(component));
    } else {
        let _ = writeln!(out, "Components:      (scheduled as one set)");
        for component in &job.components {
            let _ = writeln!(out, "  {:<15}{}", component.name, describe(component));
        }
    }
    let _ = writeln!(
        out,
        "Run time:        {} at reference speed{}",
        job.runtime,
        if job.gang { ", gang" } else { "" }
    );
}

/// One line per event; consecutive bindings at one time in one cluster make one line.
fn render_events(out: &mut String, world: &World, entries: &[&(SimTime, Entry)]) {
    let name = |id: ClusterId| world.fleet.cluster(id).name.as_str();
    let mut idx = 0;
    while idx < entries.len() {
        let (time, entry) = entries[idx];
        match entry {
            Entry::Submitted { .. } => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Normal   Submitted         job arrived",
                    time.to_string()
                );
            }
            Entry::Unmatched => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Warning  NoPolicy          no PropagationPolicy or ClusterPropagationPolicy selects the job",
                    time.to_string()
                );
            }
            Entry::Existing { cluster } => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Normal   Existing          scheduled to {} before the run began (initial state)",
                    time.to_string(),
                    world.fleet.cluster(*cluster).name
                );
            }
            Entry::Attempt(attempt) => render_attempt(out, world, *time, attempt),
            Entry::QuotaDenied { reason } => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Warning  QuotaExceeded     {reason}",
                    time.to_string()
                );
            }
            Entry::Bound { cluster, .. } => {
                // Consecutive bindings at one time in one cluster print as one event.
                let mut nodes = Vec::new();
                while idx < entries.len() {
                    match &entries[idx] {
                        (t, Entry::Bound { cluster: c, node }) if t == time && c == cluster => {
                            nodes.push(node_name(world, *c, *node));
                            idx += 1;
                        }
                        _ => break,
                    }
                }
                let _ = writeln!(
                    out,
                    "  {:>12}  Normal   Bound             {} pod(s) on {}",
                    time.to_string(),
                    nodes.len(),
                    nodes.join(", ")
                );
                continue;
            }
            Entry::Pending { cluster, n_pods } => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Warning  Pending           {n_pods} pod(s) wait in {}: no node fits them yet",
                    time.to_string(),
                    name(*cluster)
                );
            }
            Entry::PodsLost { cluster, n_pods } => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Warning  PodsLost          {n_pods} pod(s) lost in {}: their nodes went down",
                    time.to_string(),
                    name(*cluster)
                );
            }
            Entry::Evicted { cluster, reason } => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Warning  Evicted           replicas evicted from {} ({reason}); rescheduling",
                    time.to_string(),
                    name(*cluster)
                );
            }
            Entry::JobFailure { n_restart } => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Warning  JobFailure        the job failed (restart {n_restart}); it resumes from its last checkpoint on the same pods",
                    time.to_string()
                );
            }
            Entry::Started => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Normal   Started           every replica runs",
                    time.to_string()
                );
            }
            Entry::Completed => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Normal   Completed         job finished",
                    time.to_string()
                );
            }
            Entry::Failed { reason } => {
                let _ = writeln!(
                    out,
                    "  {:>12}  Warning  Failed            {reason}",
                    time.to_string()
                );
            }
        }
        idx += 1;
    }
}

/// A scheduling attempt's event line and the decisions of the terms it tried.
fn render_attempt(out: &mut String, world: &World, time: SimTime, attempt: &Attempt) {
    let name = |id: ClusterId| world.fleet.cluster(id).name.as_str();
    let (kind, reason, message) = match &attempt.outcome {
        Outcome::Scheduled(assignment) => {
            let parts: Vec<String> = assignment
                .iter()
                .map(|(id, r)| format!("{}: {r}", name(*id)))
                .collect();
            (
                "Normal ",
                "Scheduled        ",
                format!("replicas divided {{{}}}", parts.join(", ")),
            )
        }
        Outcome::NoClusterFit(m) => ("Warning", "FailedScheduling ", m.clone()),
        Outcome::Unschedulable(m) => ("Warning", "Unschedulable    ", m.clone()),
        Outcome::Error(m) => ("Warning", "SchedulerError   ", m.clone()),
    };
    let _ = writeln!(
        out,
        "  {:>12}  {kind}  {reason} {message}",
        time.to_string()
    );
    for (term, decision) in &attempt.decisions {
        render_decision(out, world, term.as_deref(), decision);
    }
}
