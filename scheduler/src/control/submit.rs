//! A job arriving: namespace defaults, the matching propagation policy, its ResourceBinding;
//! or, without federation, straight to a member cluster.

use sim_core::engine::Context;
use sim_core::model::{ClusterId, Job, JobId};
use sim_core::record::{FaultStats, JobRecord, JobState, QueueRecord, Record};

use super::{ActiveJob, ControlEvent, ControlPlane, log_to};
use crate::binding::{BindingComponent, ResourceBinding};
use crate::config::{DirectSubmission, Federation};
use crate::explain::Entry;
use crate::policy::{PlacementId, matching_policy};

impl ControlPlane {
    /// A job arrives: it takes its namespace's defaults, and becomes a ResourceBinding queued
    /// for scheduling (or submitted straight to a member without federation), unless no
    /// policy selects it.
    pub(super) fn arrive(&mut self, mut job: Job, ctx: &mut Context<'_, ControlEvent>) {
        if let Some(defaults) = self.job_defaults.get(job.namespace.0 as usize) {
            job.checkpoint_interval = job.checkpoint_interval.or(defaults.checkpoint_interval);
            job.checkpoint_cost = job.checkpoint_cost.or(defaults.checkpoint_cost);
            job.max_restarts = job.max_restarts.or(defaults.max_restarts);
            job.max_unavailable = job.max_unavailable.or(defaults.max_unavailable);
            if !defaults.node_claims.is_empty() {
                for component in &mut job.components {
                    let claim = &mut component.request.node_claim;
                    if let Ok(idx) = defaults.node_claims.binary_search_by_key(claim, |c| c.0) {
                        *claim = defaults.node_claims[idx].1;
                    }
                }
            }
        }
        self.refresh_status(self.now);
        self.stats.n_arrived += 1;
        ctx.record(Record::Queue(QueueRecord {
            time: self.now,
            priority_class: job.priority_class,
            started: false,
        }));
        let Some((placement, schedule_priority)) = self.match_policy(&job) else {
            // Karmada's detector leaves a template no policy selects unpropagated.
            self.stats.n_recorded += 1;
            ctx.record(Record::Job(unmatched_record(&job)));
            return;
        };
        let mut binding = binding_of(&job);
        binding.priority_class = job.priority_class;
        binding.placement = placement;
        // The detector copies the policy's schedulePriority only with PriorityBasedScheduling;
        // without it every binding has priority 0 and the queue is first come, first served.
        binding.priority = if self.gates.priority_based_scheduling {
            schedule_priority
        } else {
            0
        };
        binding.uid = crate::binding::workload_uid(self.seed, job.id);
        let id = job.id;
        let under_budget_at_submit = self.quota.under_budget(job.namespace, job.n_gpus());
        let priority = binding.priority;
        let active = ActiveJob::new(job, binding, under_budget_at_submit, self.now);
        self.jobs.insert(id, Box::new(active));
        let existing = self
            .initial
            .get(id.0 as usize)
            .and_then(|i| i.cluster.map(|c| (c, i.running.clone())));
        if let Some((cluster, running)) = existing {
            self.place_existing(id, cluster, running, ctx.now());
        } else if let Federation::Direct(submission) = &self.federation {
            let submission = submission.clone();
            self.submit_directly(id, &submission);
        } else {
            self.push(id, priority, ctx.now());
        }
        self.settle(ctx);
    }

    /// Ends the run once the explained job has started: a forecast asks no more.
    pub fn stop_when_explained_job_starts(&mut self) {
        self.explain_until_start = true;
    }

    /// Whether the initial state has `job` in a member already.
    fn is_existing(&self, job: JobId) -> bool {
        self.initial
            .get(job.0 as usize)
            .is_some_and(|i| i.cluster.is_some())
    }

    /// A job the run's initial state has scheduled to `cluster` before time 0: its binding
    /// names the cluster without an attempt, its running pods are bound where they run and
    /// the rest wait in the member. Should FederatedResourceQuota admission refuse what
    /// existed (a snapshot taken while a quota was being lowered), the binding is scheduled
    /// anew instead.
    fn place_existing(
        &mut self,
        job: JobId,
        cluster: ClusterId,
        running: Vec<RunningPods>,
        now: sim_core::SimTime,
    ) {
        log_to(&mut self.explain, job, self.now, || Entry::Existing {
            cluster,
        });
        let active = &self.jobs[&job];
        let (replicas, priority) = (active.binding.replicas, active.binding.priority);
        self.pins = running;
        let applied = self.apply_assignment(job, vec![(cluster, replicas)]);
        self.pins.clear();
        if applied.is_err() {
            self.push(job, priority, now);
        }
    }

    /// The placement and schedule priority of the policy that selects `job`, else of the
    /// fallback placement. Without federation no policy is consulted, and a job the initial
    /// state runs in a member although no policy selects it was created there directly:
    /// neither is Karmada's, and they take the unmanaged placement. `None`: the job is left
    /// unpropagated.
    fn match_policy(&mut self, job: &Job) -> Option<(PlacementId, i32)> {
        let direct = matches!(self.federation, Federation::Direct(_));
        let policy = (!direct)
            .then(|| matching_policy(&self.policy_set.policies, job, &self.world))
            .flatten();
        let policy_name = policy.map(|p| match &p.namespace {
            Some(ns) => format!("PropagationPolicy {ns}/{}", p.name),
            None => format!("ClusterPropagationPolicy {}", p.name),
        });
        let unmanaged = direct || self.is_existing(job.id);
        let matched = policy
            .map(|policy| (policy.placement, policy.schedule_priority))
            .or(self
                .policy_set
                .fallback
                .filter(|_| !direct)
                .map(|placement| (placement, 0)))
            .or(unmanaged.then_some((self.unmanaged_placement, 0)));
        log_to(&mut self.explain, job.id, self.now, || Entry::Submitted {
            job: Box::new(job.clone()),
            policy: policy_name,
            uid: crate::binding::workload_uid(self.seed, job.id),
        });
        if matched.is_none() {
            log_to(&mut self.explain, job.id, self.now, || Entry::Unmatched);
        }
        matched
    }

    /// Submits a job straight to a member cluster, as teams do without federation.
    pub(super) fn submit_directly(&mut self, job: JobId, submission: &DirectSubmission) {
        let active = &self.jobs[&job];
        let namespace = active.job.namespace.0 as usize;
        let cluster = match submission {
            DirectSubmission::PerNamespace(clusters) => clusters[namespace],
            DirectSubmission::RoundRobin => {
                if self.round_robin.len() <= namespace {
                    self.round_robin.resize(namespace + 1, 0);
                }
                let next = self.round_robin[namespace];
                self.round_robin[namespace] = (next + 1) % self.members.len();
                ClusterId(next as u32)
            }
        };
        let replicas = active.binding.replicas;
        let active = self.jobs.get_mut(&job).expect("present");
        active.n_attempts = 1;
        // Without Karmada no FederatedResourceQuota is enforced, so nothing refuses this.
        if let Err(reason) = self.apply_assignment(job, vec![(cluster, replicas)]) {
            self.fail(job, reason);
        }
    }
}

/// The ResourceBinding of `job`: several components become `spec.components` (Karmada's
/// MultiplePodTemplatesScheduling); one is an ordinary `replicas` × `replicaRequirements`
/// binding.
fn binding_of(job: &Job) -> ResourceBinding {
    if job.components.len() > 1 {
        let components = job
            .components
            .iter()
            .map(|c| BindingComponent {
                replicas: i64::from(c.replicas),
                request: c.request,
            })
            .collect();
        ResourceBinding::with_components(job.id, components, job.namespace)
    } else {
        let component = &job.components[0];
        ResourceBinding::new(
            job.id,
            i64::from(component.replicas),
            component.request,
            job.namespace,
        )
    }
}

/// The record of a job no policy selects.
fn unmatched_record(job: &Job) -> JobRecord {
    JobRecord {
        id: job.id,
        name: job.name.clone(),
        namespace: job.namespace,
        priority_class: job.priority_class,
        submit: job.submit,
        start: None,
        end: None,
        state: JobState::Unmatched,
        n_replicas: job.n_replicas(),
        n_gpus: job.n_gpus(),
        gpu_milli_ms: 0,
        clusters: Vec::new(),
        n_attempts: 0,
        last_failure: Some(
            "no PropagationPolicy or ClusterPropagationPolicy selects the job".to_owned(),
        ),
        n_pods_sent: 0,
        n_pods_waited: 0,
        member_wait_ms: 0,
        waited_under_budget: false,
        faults: FaultStats::default(),
    }
}

/// Where a job stood when the run began: scheduled by Karmada to a cluster, some of its pods
/// perhaps already running on given nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitialPlacement {
    /// The cluster its binding names; `None`: not yet scheduled (it arrives as new).
    pub cluster: Option<ClusterId>,
    /// Its pods running there at time 0.
    pub running: Vec<RunningPods>,
}

/// Pods of one component running on one node at time 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunningPods {
    /// The component (0 for a single-template job).
    pub component: u8,
    /// The node, as an index into the cluster's nodes (pools in order).
    pub node: u32,
    /// How many.
    pub n_pods: u32,
}
