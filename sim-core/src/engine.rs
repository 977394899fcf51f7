//! The engine loop: pops events in (time, lateness, sequence) order and hands each to a
//! [`Handler`].
//!
//! Jobs are pulled lazily from their stream: exactly one future arrival is queued at a time, so
//! a ten-million-job trace runs in memory bounded by the jobs in flight, not the trace length.

use crate::model::Job;
use crate::queue::EventQueue;
use crate::record::{Record, RecordSink};
use crate::time::{Duration, SimTime};

/// What the engine queues: an arrival it pulled from the stream, or a handler's own event.
enum Item<E> {
    /// Boxed: every heap entry is as large as the largest variant, and the heap moves entries
    /// on every push and pop; a job is many times larger than an event.
    Arrival(Box<Job>),
    Event(E),
}

/// The handler's window on the engine while it handles one event.
pub struct Context<'a, E> {
    now: SimTime,
    /// In `on_end`: the run went on to its horizon (it did not settle or finish early).
    at_horizon: bool,
    queue: &'a mut EventQueue<Item<E>>,
    sink: &'a mut dyn RecordSink,
}

impl<E> Context<'_, E> {
    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// In `on_end`, true when the run ends at its horizon: every event up to and including
    /// that time was due to happen (the handler may owe some it skipped).
    pub fn at_horizon(&self) -> bool {
        self.at_horizon
    }

    /// Queues `event` at `time` (never earlier than now).
    pub fn schedule(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        self.queue.push(time.max(self.now), Item::Event(event));
    }

    /// Queues `event` at `time`, after every event of that time that is not late, whenever
    /// those were queued: periodic work that must see every change of its millisecond.
    pub fn schedule_late(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        self.queue.push_late(time.max(self.now), Item::Event(event));
    }

    /// Queues `event` after `delay`.
    pub fn schedule_after(&mut self, delay: Duration, event: E) {
        self.queue.push(self.now.after(delay), Item::Event(event));
    }

    /// Emits a record.
    pub fn record(&mut self, record: Record) {
        self.sink.record(record);
    }
}

/// The model driven by the engine: the control plane and the member clusters.
pub trait Handler {
    /// The handler's own events.
    type Event;

    /// The run starts (`ctx.now()` is zero): emit initial records, queue initial events.
    fn on_start(&mut self, ctx: &mut Context<'_, Self::Event>);

    /// A job arrives (at `ctx.now()`, its submit time).
    fn on_arrival(&mut self, job: Job, ctx: &mut Context<'_, Self::Event>);

    /// One of the handler's events fires.
    fn on_event(&mut self, event: Self::Event, ctx: &mut Context<'_, Self::Event>);

    /// The run is over (`ctx.now()` is the end time): emit the final records.
    fn on_end(&mut self, ctx: &mut Context<'_, Self::Event>);

    /// True when, with no more arrivals, nothing the handler has queued can change anything
    /// (only retries of work that cannot progress remain). A run without a horizon ends then,
    /// rather than retrying forever.
    fn is_settled(&self) -> bool {
        false
    }

    /// True when the run has answered what it was run for (the job being explained has
    /// ended), so the engine stops at once, horizon or not; `on_end` still runs.
    fn is_done(&self) -> bool {
        false
    }
}

/// How far a run has got; passed to the progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Simulated time of the last event handled.
    pub now: SimTime,
    /// Jobs that have arrived.
    pub n_arrived: u64,
    /// Events handled, arrivals included.
    pub n_events: u64,
}

/// Totals of a finished run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunStats {
    /// Simulated end time: the horizon, or the last event when there is none.
    pub end: SimTime,
    /// Jobs that arrived.
    pub n_arrived: u64,
    /// Events handled, arrivals included.
    pub n_events: u64,
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum EngineError<S> {
    /// The job stream failed (a malformed trace row, say).
    #[error(transparent)]
    Stream(S),
    /// The job stream went back in time.
    #[error(
        "job {name:?} is submitted at {submit} but an earlier job was submitted at {previous}; the workload must be sorted by submit time"
    )]
    Unsorted {
        /// The offending job.
        name: String,
        /// Its submit time.
        submit: SimTime,
        /// The previous job's submit time.
        previous: SimTime,
    },
}

/// The settings of one run of the engine.
pub struct EngineConfig {
    /// Events after this time are not handled; `None` runs until nothing is left.
    pub horizon: Option<SimTime>,
    /// Called every `progress_every` events.
    pub progress_every: u64,
}

/// Runs `handler` over the job stream `jobs` until the horizon or until no event is left.
pub fn run<H, S, J>(
    config: &EngineConfig,
    jobs: J,
    handler: &mut H,
    sink: &mut dyn RecordSink,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunStats, EngineError<S>>
where
    H: Handler,
    J: IntoIterator<Item = Result<Job, S>>,
{
    let mut jobs = jobs.into_iter();
    let mut queue: EventQueue<Item<H::Event>> = EventQueue::new();
    let horizon = config.horizon.unwrap_or(SimTime::NEVER);
    let mut last_submit = SimTime::ZERO;
    let mut pull =
        |queue: &mut EventQueue<Item<H::Event>>, last_submit: &mut SimTime| match jobs.next() {
            None => Ok(false),
            Some(Err(err)) => Err(EngineError::Stream(err)),
            Some(Ok(job)) if job.submit < *last_submit => Err(EngineError::Unsorted {
                name: job.name,
                submit: job.submit,
                previous: *last_submit,
            }),
            Some(Ok(job)) => {
                *last_submit = job.submit;
                queue.push(job.submit, Item::Arrival(Box::new(job)));
                Ok(true)
            }
        };
    handler.on_start(&mut Context {
        now: SimTime::ZERO,
        at_horizon: false,
        queue: &mut queue,
        sink,
    });
    let mut stream_done = !pull(&mut queue, &mut last_submit)?;
    let mut now = SimTime::ZERO;
    let mut stopped_early = false;
    let mut n_arrived = 0;
    let mut n_events = 0;
    let every = config.progress_every.max(1);
    while let Some(time) = queue.peek_time() {
        if time > horizon {
            break;
        }
        let (time, item) = queue.pop().expect("peeked");
        now = time;
        n_events += 1;
        let mut ctx = Context {
            now,
            at_horizon: false,
            queue: &mut queue,
            sink,
        };
        match item {
            Item::Arrival(job) => {
                n_arrived += 1;
                handler.on_arrival(*job, &mut ctx);
                stream_done = !pull(&mut queue, &mut last_submit)?;
            }
            Item::Event(event) => handler.on_event(event, &mut ctx),
        }
        if config.horizon.is_none() && stream_done && handler.is_settled() {
            break;
        }
        if handler.is_done() {
            stopped_early = true;
            break;
        }
        if n_events % every == 0 {
            progress(Progress {
                now,
                n_arrived,
                n_events,
            });
        }
    }
    // A last report, so that every run reports at least once, however short.
    progress(Progress {
        now,
        n_arrived,
        n_events,
    });
    let end = if config.horizon.is_some() {
        horizon
    } else {
        now
    };
    let mut ctx = Context {
        now: end,
        at_horizon: config.horizon.is_some() && !stopped_early,
        queue: &mut queue,
        sink,
    };
    handler.on_end(&mut ctx);
    Ok(RunStats {
        end,
        n_arrived,
        n_events,
    })
}
