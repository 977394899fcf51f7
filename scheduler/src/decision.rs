//! The decision in progress: the job whose placement the plugins are being asked about, and
//! the simulated time. Plugins answer pure queries and are handed neither; one that must
//! report a failure (a Python plugin raising, for instance) reads them here, so its error can
//! say which job, at which moment, it failed on.
//!
//! The context is per thread: a run is simulated on one thread, and the runs of a sweep or
//! an experiment each set their own.

use std::cell::Cell;

use sim_core::SimTime;
use sim_core::model::JobId;

/// Which job is being decided, and when; either is `None` outside a run's events (an
/// experiment placing a pod list has no simulated time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deciding {
    /// The job (in an experiment, the pod's position in its list).
    pub job: Option<JobId>,
    /// The simulated time of the event being handled.
    pub now: Option<SimTime>,
}

thread_local! {
    static CURRENT: Cell<Deciding> = const { Cell::new(Deciding { job: None, now: None }) };
}

/// The decision in progress on this thread.
pub fn current() -> Deciding {
    CURRENT.with(Cell::get)
}

/// Starts a run on this thread: no job, no time yet.
pub fn begin_run() {
    CURRENT.with(|current| current.set(Deciding::default()));
}

/// The simulated time of the event now handled.
pub fn set_now(now: SimTime) {
    CURRENT.with(|current| {
        current.set(Deciding {
            now: Some(now),
            ..current.get()
        })
    });
}

/// Names `job` as the one decided until the guard is dropped, when the previous one returns.
pub fn for_job(job: JobId) -> JobGuard {
    let previous = CURRENT.with(|current| {
        let before = current.get();
        current.set(Deciding {
            job: Some(job),
            ..before
        });
        before.job
    });
    JobGuard { previous }
}

/// Restores the job decided before [`for_job`] when dropped.
#[must_use = "the job is named only while the guard lives"]
pub struct JobGuard {
    previous: Option<JobId>,
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        let previous = self.previous;
        CURRENT.with(|current| {
            current.set(Deciding {
                job: previous,
                ..current.get()
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guard_names_its_job_and_restores_the_outer_one() {
        begin_run();
        set_now(SimTime(5_000));
        let outer = for_job(JobId(1));
        {
            let _inner = for_job(JobId(2));
            assert_eq!(
                current(),
                Deciding {
                    job: Some(JobId(2)),
                    now: Some(SimTime(5_000))
                }
            );
        }
        assert_eq!(current().job, Some(JobId(1)));
        drop(outer);
        assert_eq!(current().job, None);
        begin_run();
        assert_eq!(current(), Deciding::default());
    }
}
