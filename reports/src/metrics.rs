//! The summary's metrics, accumulated online as records arrive.
//!
//! Allocation is piecewise constant between records, so its integral is exact: integer
//! milli-GPU × ms summed in `u128`, divided only when the summary is made.

use std::collections::BTreeMap;

use sim_core::SimTime;
use sim_core::model::PriorityClassId;
use sim_core::record::{
    AllocationRecord, EventRecord, JobRecord, JobState, NamespaceRecord, PoolRecord,
};

use crate::budget::Budgets;
use crate::economics::{CostRate, Ledger};

use crate::error::Error;
use crate::faults::FaultTracker;
use crate::names::{NO_PRIORITY_CLASS, Names};
use crate::quantiles::Quantiles;
use crate::summary::{
    Distribution, GpuHours, JobCounts, MemberPods, RunMeta, Summary, Utilization, round6,
};

/// Milli-GPU × ms in one GPU-hour.
const MILLI_MS_PER_GPU_HOUR: u128 = 1000 * 3_600_000;

/// GPU time in millionths of a GPU-hour, rounded half up.
///
/// Integer rounding, so jobs.csv and the summary round the same way and no float is involved.
pub(crate) fn micro_gpu_hours(milli_ms: u128) -> u128 {
    (milli_ms * 1_000_000 + MILLI_MS_PER_GPU_HOUR / 2) / MILLI_MS_PER_GPU_HOUR
}

/// Everything the summary needs, kept as the records stream past.
pub(crate) struct Metrics {
    n_gpu_models: usize,
    /// One per (cluster, GPU model), at `cluster * n_gpu_models + model`.
    tracks: Vec<Track>,
    /// Every class a job used has an entry, even if none of its jobs started.
    waits_ms: BTreeMap<Option<PriorityClassId>, Quantiles>,
    all_waits_ms: Quantiles,
    jcts_ms: Quantiles,
    jobs: JobCounts,
    job_gpu_milli_ms: u128,
    member_pods: MemberPods,
    member_wait_ms: u128,
    budgets: Budgets,
    balance: crate::balance::BalanceTracker,
    faults: FaultTracker,
    /// Installed milli-GPUs per (cluster, GPU model), as `tracks`.
    installed_milli: Vec<u64>,
    /// Per namespace index.
    teams: Vec<TeamTracker>,
    /// Costs and energy, when the world prices its nodes or gives power figures.
    ledger: Ledger,
}

/// One namespace's jobs as their records arrive.
#[derive(Default)]
struct TeamTracker {
    jobs: JobCounts,
    gpu_milli_ms: u128,
    used_gpu_milli_ms: u128,
    waits_ms: Quantiles,
    jcts_ms: Quantiles,
}

/// Installed milli-GPUs of `world` per (cluster, GPU model), at `cluster * n_models + model`.
pub(crate) fn installed_milli(world: &sim_core::model::World) -> Vec<u64> {
    let n_models = world.fleet.gpu_models.len();
    let mut out = vec![0; world.fleet.clusters.len() * n_models];
    for (c, cluster) in world.fleet.clusters.iter().enumerate() {
        for pool in &cluster.node_pools {
            if let Some(model) = pool.shape.gpu_model {
                out[c * n_models + usize::from(model.0)] +=
                    u64::from(pool.count) * u64::from(pool.shape.gpus) * 1000;
            }
        }
    }
    out
}

/// The allocation of one (cluster, GPU model): current values and integrals up to `since`.
#[derive(Clone, Copy, Default)]
struct Track {
    since: u64,
    allocated_milli: u64,
    capacity_milli: u64,
    integral: GpuTime,
}

/// Integrals of allocated and capacity milli-GPU over time, in milli-GPU × ms.
#[derive(Clone, Copy, Default)]
struct GpuTime {
    allocated: u128,
    capacity: u128,
}

impl Track {
    fn integral_until(&self, time: u64) -> GpuTime {
        let dt = u128::from(time.saturating_sub(self.since));
        GpuTime {
            allocated: self.integral.allocated + dt * u128::from(self.allocated_milli),
            capacity: self.integral.capacity + dt * u128::from(self.capacity_milli),
        }
    }
}

/// Counts one job in `counts` by its final state.
fn count_state(counts: &mut JobCounts, state: JobState) {
    counts.submitted += 1;
    *match state {
        JobState::Completed => &mut counts.completed,
        JobState::Running => &mut counts.running,
        JobState::Queued => &mut counts.queued,
        JobState::Unschedulable => &mut counts.unschedulable,
        JobState::Unmatched => &mut counts.unmatched,
        JobState::Failed => &mut counts.failed,
    } += 1;
}

impl GpuTime {
    fn add(self, other: GpuTime) -> GpuTime {
        GpuTime {
            allocated: self.allocated + other.allocated,
            capacity: self.capacity + other.capacity,
        }
    }

    fn utilization(self) -> f64 {
        if self.capacity == 0 {
            0.0
        } else {
            round6(self.allocated as f64 / self.capacity as f64)
        }
    }
}

impl Metrics {
    pub fn new(
        names: &Names,
        balance: crate::balance::BalanceTracker,
        installed_milli: Vec<u64>,
        ledger: Ledger,
    ) -> Metrics {
        let n_gpu_models = names.gpu_models.len();
        Metrics {
            n_gpu_models,
            tracks: vec![Track::default(); names.clusters.len() * n_gpu_models],
            waits_ms: BTreeMap::new(),
            all_waits_ms: Quantiles::default(),
            jcts_ms: Quantiles::default(),
            jobs: JobCounts::default(),
            job_gpu_milli_ms: 0,
            member_pods: MemberPods::default(),
            member_wait_ms: 0,
            budgets: Budgets::new(names),
            balance,
            faults: FaultTracker::new(names),
            installed_milli,
            teams: (0..names.namespaces.len())
                .map(|_| TeamTracker::default())
                .collect(),
            ledger,
        }
    }

    /// Costs and energy so far.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// A pool's nodes up changed; the new spending rate of its pricing, if that changed.
    pub fn pool(&mut self, record: &PoolRecord) -> Option<CostRate> {
        self.ledger.pool(record)
    }

    pub fn allocation(&mut self, record: &AllocationRecord) {
        let idx = record.cluster.0 as usize * self.n_gpu_models + usize::from(record.gpu_model.0);
        // A world read without its pools (a table replayed) still has the capacity it reports.
        self.installed_milli[idx] = self.installed_milli[idx].max(record.capacity_milli);
        self.ledger.allocation(record);
        let track = &mut self.tracks[idx];
        let time = record.time.as_millis();
        debug_assert!(time >= track.since, "allocation records out of time order");
        self.balance.change(
            time,
            record.cluster.0 as usize,
            i128::from(record.allocated_milli) - i128::from(track.allocated_milli),
            i128::from(record.capacity_milli) - i128::from(track.capacity_milli),
        );
        *track = Track {
            since: time.max(track.since),
            allocated_milli: record.allocated_milli,
            capacity_milli: record.capacity_milli,
            integral: track.integral_until(time),
        };
    }

    pub fn job(&mut self, record: &JobRecord) {
        let waits = self.waits_ms.entry(record.priority_class).or_default();
        let team = &mut self.teams[record.namespace.0 as usize];
        if let Some(start) = record.start {
            let wait = start.since(record.submit).as_millis();
            waits.push(wait);
            self.all_waits_ms.push(wait);
            team.waits_ms.push(wait);
        }
        if let Some(end) = record.end {
            let jct = end.since(record.submit).as_millis();
            self.jcts_ms.push(jct);
            team.jcts_ms.push(jct);
        }
        team.gpu_milli_ms += record.gpu_milli_ms;
        team.used_gpu_milli_ms += record.faults.used_gpu_milli_ms;
        count_state(&mut team.jobs, record.state);
        count_state(&mut self.jobs, record.state);
        self.job_gpu_milli_ms += record.gpu_milli_ms;
        self.faults.job(record);
        self.ledger.job(record);
        self.member_pods.sent += record.n_pods_sent;
        self.member_pods.waited += record.n_pods_waited;
        self.member_wait_ms += u128::from(record.member_wait_ms);
        if record.waited_under_budget {
            self.budgets
                .job_waited_under_budget(record.namespace.0 as usize);
        }
    }

    /// Checks that the GPU time on the timeline up to `end` is the GPU time the jobs report.
    pub fn check_gpu_time(&self, end: SimTime) -> Result<(), Error> {
        let timeline = self.tracks.iter().fold(0, |sum, track| {
            sum + track.integral_until(end.as_millis()).allocated
        });
        if timeline == self.job_gpu_milli_ms {
            Ok(())
        } else {
            Err(Error::Invariant(format!(
                "the timeline holds {timeline} milli-GPU·ms up to {end} but the job records \
                 account for {} milli-GPU·ms",
                self.job_gpu_milli_ms
            )))
        }
    }

    pub fn event(&mut self, record: &EventRecord) {
        self.faults.event(record);
    }

    pub fn namespace(&mut self, record: &NamespaceRecord) {
        self.budgets.record(record);
    }

    pub fn summarize(mut self, meta: &RunMeta, names: &Names) -> Summary {
        let end = meta.end.as_millis();
        let mut per_cluster = vec![GpuTime::default(); names.clusters.len()];
        let mut per_model = vec![GpuTime::default(); self.n_gpu_models];
        for (idx, track) in self.tracks.iter().enumerate() {
            let integral = track.integral_until(end);
            let (cluster, model) = (idx / self.n_gpu_models, idx % self.n_gpu_models);
            per_cluster[cluster] = per_cluster[cluster].add(integral);
            per_model[model] = per_model[model].add(integral);
        }
        let overall = per_cluster
            .iter()
            .fold(GpuTime::default(), |a, &b| a.add(b));
        let installed: u128 = self
            .installed_milli
            .iter()
            .map(|&milli| u128::from(milli) * u128::from(end))
            .sum();
        let of_installed = GpuTime {
            allocated: overall.allocated,
            capacity: installed,
        };
        let hours = |milli_ms: u128| micro_gpu_hours(milli_ms) as f64 / 1e6;
        let (cost, energy) = self.ledger.summarize(end, names);
        let teams = std::mem::take(&mut self.teams)
            .into_iter()
            .zip(&names.namespaces)
            .map(|(mut team, name)| {
                let summary = crate::summary::Team {
                    jobs: team.jobs,
                    gpu_hours: hours(team.gpu_milli_ms),
                    goodput: (team.gpu_milli_ms > 0)
                        .then(|| team.used_gpu_milli_ms as f64 / team.gpu_milli_ms as f64),
                    waiting_s: Distribution::of(&mut team.waits_ms),
                    jct_s: Distribution::of(&mut team.jcts_ms),
                };
                (name.clone(), summary)
            })
            .collect();
        let by_name = |names: &[String], times: &[GpuTime]| -> BTreeMap<String, f64> {
            names
                .iter()
                .cloned()
                .zip(times.iter().map(|t| t.utilization()))
                .collect()
        };

        let waiting_s_per_priority_class = self
            .waits_ms
            .iter_mut()
            .map(|(&class, waits)| {
                let name = names.priority_class(class).unwrap_or(NO_PRIORITY_CLASS);
                (name.to_owned(), Distribution::of(waits))
            })
            .collect();
        Summary {
            scenario: meta.scenario.clone(),
            seed: meta.seed,
            fleetsim_version: meta.version.clone(),
            horizon_s: meta.horizon.map(SimTime::as_secs_f64),
            end_s: meta.end.as_secs_f64(),
            gpu_utilization: Utilization {
                overall: overall.utilization(),
                of_installed: of_installed.utilization(),
                per_cluster: by_name(&names.clusters, &per_cluster),
                per_gpu_model: by_name(&names.gpu_models, &per_model),
            },
            jobs: self.jobs,
            waiting_s: Distribution::of(&mut self.all_waits_ms),
            waiting_s_per_priority_class,
            jct_s: Distribution::of(&mut self.jcts_ms),
            gpu_hours: GpuHours {
                allocated: hours(self.job_gpu_milli_ms),
                installed: hours(installed),
                available: hours(overall.capacity),
                down: hours(installed.saturating_sub(overall.capacity)),
            },
            teams,
            namespaces: self.budgets.summarize(meta.end.as_millis(), names),
            balance: self
                .balance
                .summarize(meta.end.as_millis(), &names.clusters),
            faults: self.faults.summarize(names),
            member_pods: MemberPods {
                waited_share: if self.member_pods.sent == 0 {
                    0.0
                } else {
                    round6(self.member_pods.waited as f64 / self.member_pods.sent as f64)
                },
                extra_wait_s: self.member_wait_ms as f64 / 1000.0,
                ..self.member_pods
            },
            cost,
            energy,
        }
    }
}
