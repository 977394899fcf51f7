//! Job failures growing with job size (`crate::job_failures`): drawn when a gang starts
//! running with all its replicas, for that run only.
//!
//! A failed job restarts in place: its pods stay on their nodes, as when a training
//! framework (torchrun's elastic agent, a job controller's restart policy) restarts the
//! processes after a GPU or software fault, which does not take the node away. The work since
//! the last checkpoint is lost, the restart is counted against `max_restarts`, and the run
//! starts again at once from the checkpoint, with a fresh draw. Only gang jobs fail this way:
//! their replicas run as one, so one fault stops them all; replicas of other jobs run on
//! their own, and faults that take them are node failures.

use sim_core::engine::Context;
use sim_core::model::JobId;
use sim_core::record::{EventKind, EventRecord, Record};
use sim_core::{Duration, SimTime};

use super::job::Loss;
use super::{ControlEvent, ControlPlane};
use crate::explain::Entry;

impl ControlPlane {
    /// A gang just started a run lasting `run`: draws its failure, if it comes first.
    pub(super) fn arm_job_failure(
        &mut self,
        job: JobId,
        now: SimTime,
        run: Duration,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let Some(failures) = &self.failover.plan.job_failures else {
            return;
        };
        let active = &self.jobs[&job];
        if !active.job.gang || !failures.applies_to(active.job.namespace) {
            return;
        }
        let gpus = active.job.gpu_milli() as f64 / 1000.0;
        let generation = active.generation;
        let Some(after) = failures.draw(gpus, &mut self.failover.job_rng) else {
            return;
        };
        // A failure drawn past the run's end never happens: the next run draws afresh, which
        // the exponential's lack of memory makes exact.
        if after < run {
            ctx.schedule(
                now.after(after),
                ControlEvent::JobFailure { job, generation },
            );
        }
    }

    /// The job fails during the run it was drawn for: it loses the work since its last
    /// checkpoint and runs again from it, on the same pods.
    pub(super) fn job_failure(
        &mut self,
        job: JobId,
        generation: u32,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let now = ctx.now();
        let Some(active) = self.jobs.get_mut(&job) else {
            return;
        };
        if active.generation != generation || !active.running {
            return;
        }
        let lost = active.stop_gang(now, Loss::Failure);
        active.faults.n_restarts += 1;
        let mut event = EventRecord::new(now, EventKind::Restart);
        event.job = Some(job);
        event.namespace = Some(active.job.namespace);
        event.lost_gpu_milli_ms = lost;
        event.reason = "job failure: resumes from its last checkpoint in place".to_owned();
        ctx.record(Record::Event(event));
        let n_restart = active.faults.n_restarts;
        super::log_to(&mut self.explain, job, now, || Entry::JobFailure {
            n_restart,
        });
        if self.failed_for_good(job, ctx) {
            return;
        }
        // Every replica is still placed: the run starts again now.
        self.try_start(job, now, ctx);
    }
}
