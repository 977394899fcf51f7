//! [`RunWriter`]: the record sink that produces a run's output files.

use std::path::{Path, PathBuf};

use sim_core::SimTime;
use sim_core::model::World;
use sim_core::record::{Record, RecordSink};

use crate::error::Error;
use crate::metrics::Metrics;
use crate::names::Names;
use crate::queue::QueueTracker;
use crate::summary::{RunMeta, Summary};
use crate::tables::{self, Table, TableFormat};

/// How a [`RunWriter`] writes.
#[derive(Clone, Copy, Debug)]
pub struct WriterConfig<'a> {
    /// Parquet or CSV tables.
    pub format: TableFormat,
    /// Measure balance within groups of clusters that share this cluster label's value;
    /// `None`: all clusters form one group.
    pub balance_by: Option<&'a str>,
}

/// Streams a run's records into the `jobs`, `timeline`, `quota`, `events` and `queue` tables
/// (and `cost`, when the world prices its nodes) in
/// one directory and accumulates the metrics of `summary.json`, which [`RunWriter::finish`]
/// writes.
///
/// Rows go straight to buffered files (Parquet: a row group at a time); what stays in memory
/// is bounded whatever the number of jobs or records (see `Quantiles` for the percentiles).
pub struct RunWriter {
    dir: PathBuf,
    names: Names,
    jobs: Table,
    timeline: Table,
    quota: Table,
    events: Table,
    queue: Table,
    /// Spending rates over time, for runs whose world prices its nodes.
    cost: Option<Table>,
    queue_rows: QueueTracker,
    metrics: Metrics,
    /// The first write error: [`RecordSink::record`] cannot return it, so `finish` does.
    error: Option<Error>,
}

impl RunWriter {
    /// Creates `dir` if needed and the tables in it, for a run of `world`. Existing files are
    /// replaced.
    pub fn create(dir: &Path, world: &World, config: &WriterConfig) -> Result<RunWriter, Error> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let names = Names::new(world);
        let table = |stem, columns| Table::create(dir, stem, columns, config.format);
        let ledger = crate::economics::Ledger::new(world);
        let cost = if ledger.priced() {
            let mut cost = table("cost", &tables::COST)?;
            for rate in ledger.initial_rates() {
                cost.write(&tables::cost_row(&rate))?;
            }
            Some(cost)
        } else {
            None
        };
        Ok(RunWriter {
            cost,
            dir: dir.to_owned(),
            jobs: table("jobs", &tables::JOBS)?,
            timeline: table("timeline", &tables::TIMELINE)?,
            quota: table("quota", &tables::QUOTA)?,
            events: table("events", &tables::EVENTS)?,
            queue: table("queue", &tables::QUEUE)?,
            queue_rows: QueueTracker::default(),
            metrics: Metrics::new(
                &names,
                crate::balance::BalanceTracker::new(world, config.balance_by),
                crate::metrics::installed_milli(world),
                ledger,
            ),
            names,
            error: None,
        })
    }

    /// Checks that the GPU time on the timeline up to `end` (allocated milli-GPU integrated
    /// over time) equals the sum of the job records' `gpu_milli_ms`; an
    /// [`Error::Invariant`] when they differ. [`RunWriter::finish`] checks this at the run's end.
    pub fn check_gpu_time(&self, end: SimTime) -> Result<(), Error> {
        self.metrics.check_gpu_time(end)
    }

    /// Closes the tables, writes the queue table, checks the GPU-time invariant, computes the
    /// summary and writes it to `summary.json`. Returns the first error met since
    /// [`RunWriter::create`], if any.
    pub fn finish(mut self, meta: &RunMeta) -> Result<Summary, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        for row in self.queue_rows.finish(&self.names) {
            self.queue.write(&row)?;
        }
        for table in [
            self.jobs,
            self.timeline,
            self.quota,
            self.events,
            self.queue,
        ]
        .into_iter()
        .chain(self.cost)
        {
            table.finish()?;
        }
        self.metrics.check_gpu_time(meta.end)?;
        let summary = self.metrics.summarize(meta, &self.names);
        let mut json = serde_json::to_vec_pretty(&summary)?;
        json.push(b'\n');
        let path = self.dir.join("summary.json");
        std::fs::write(&path, json).map_err(|source| Error::Io { path, source })?;
        Ok(summary)
    }
}

impl RecordSink for RunWriter {
    fn record(&mut self, record: Record) {
        let written = match &record {
            Record::Allocation(allocation) => {
                self.metrics.allocation(allocation);
                let power = self
                    .metrics
                    .ledger()
                    .pair_power_milliwatts(allocation.cluster.0 as usize, allocation.gpu_model);
                self.timeline
                    .write(&tables::allocation_row(allocation, power, &self.names))
            }
            Record::Job(job) => {
                self.metrics.job(job);
                self.jobs.write(&tables::job_row(job, &self.names))
            }
            Record::Queue(change) => self
                .queue_rows
                .record(change, &self.names)
                .iter()
                .try_for_each(|row| self.queue.write(row)),
            Record::Namespace(namespace) => {
                self.metrics.namespace(namespace);
                self.quota
                    .write(&tables::namespace_row(namespace, &self.names))
            }
            Record::Event(event) => {
                self.metrics.event(event);
                self.events.write(&tables::event_row(event, &self.names))
            }
            Record::Pool(pool) => match (self.metrics.pool(pool), &mut self.cost) {
                (Some(rate), Some(cost)) => cost.write(&tables::cost_row(&rate)),
                _ => Ok(()),
            },
        };
        // Once a file has failed, later rows would only pile up errors about the same cause.
        if let (Err(error), None) = (written, &self.error) {
            self.error = Some(error);
        }
    }
}

/// Records handed over to the writer thread at a time: large enough that the channel costs
/// little per record, small enough that memory in flight stays a few megabytes.
const BATCH: usize = 2048;

/// A [`RunWriter`] on a thread of its own: the simulation hands it records in batches and goes
/// on, so building table rows and compressing Parquet overlap with simulating on a second
/// core. Records arrive in the order they were produced, so the files are byte for byte those a
/// [`RunWriter`] in the same thread writes.
pub struct BackgroundWriter {
    batch: Vec<Record>,
    sender: Option<std::sync::mpsc::SyncSender<Vec<Record>>>,
    thread: Option<std::thread::JoinHandle<RunWriter>>,
}

impl BackgroundWriter {
    /// Moves `writer` onto its own thread.
    pub fn spawn(writer: RunWriter) -> BackgroundWriter {
        // A few batches in flight: the simulation waits rather than queueing without bound
        // when the writer falls behind.
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Record>>(4);
        let thread = std::thread::spawn(move || {
            let mut writer = writer;
            for batch in receiver {
                for record in batch {
                    writer.record(record);
                }
            }
            writer
        });
        BackgroundWriter {
            batch: Vec::with_capacity(BATCH),
            sender: Some(sender),
            thread: Some(thread),
        }
    }

    /// Hands over what is left, waits for the writer and finishes it ([`RunWriter::finish`]).
    pub fn finish(mut self, meta: &RunMeta) -> Result<Summary, Error> {
        self.flush();
        self.sender = None;
        let writer = self
            .thread
            .take()
            .expect("joined once")
            .join()
            .map_err(|_| Error::Invariant("the table writer stopped".to_owned()))?;
        writer.finish(meta)
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if let Some(sender) = &self.sender {
            // A send fails only if the writer thread died; `finish` reports that.
            let _ = sender.send(batch);
        }
    }
}

impl RecordSink for BackgroundWriter {
    fn record(&mut self, record: Record) {
        self.batch.push(record);
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }
}
