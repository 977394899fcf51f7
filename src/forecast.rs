//! `fleetsim forecast`: will these jobs fit, where, and when? Each job from the manifests is
//! submitted at time 0 into the scenario's initial state (a snapshot of the fleet), and the
//! run is replicated over seeds: what differs between replications is what the scenario leaves
//! to chance, above all the remaining run time of the pods already running. The scenario's
//! workload (new arrivals) competes only when asked (`arrivals`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use scheduler::explain::Entry;
use scheduler::generic::Outcome;
use scheduler::registry::Registry;
use serde::Serialize;
use sim_core::engine::{self, EngineConfig};
use sim_core::model::JobId;
use sim_core::rng::RngStreams;

use crate::{Discard, PlaneOptions, RunError, control_plane};

/// What to forecast.
#[derive(Clone, Debug)]
pub struct ForecastConfig {
    /// The scenario (an imported snapshot, or any scenario).
    pub scenario: PathBuf,
    /// Files of workload manifests to submit at time 0.
    pub manifests: Vec<PathBuf>,
    /// Replications (seeds `seed`, `seed + 1`, …).
    pub replications: u32,
    /// First seed; the scenario's own by default.
    pub seed: Option<u64>,
    /// Run time of a manifest without the `fleetsim.io/runtime` annotation.
    pub runtime: String,
    /// Whether the scenario's workload (new arrivals after time 0) competes too; without it
    /// only the initial state and the submitted jobs run, so the spread is the remaining run
    /// times'.
    pub arrivals: bool,
}

/// The forecast of every submitted job.
#[derive(Clone, Debug, Serialize)]
pub struct Forecast {
    /// The scenario file.
    pub scenario: String,
    /// Replications run.
    pub replications: u32,
    /// Seeds used, first and last.
    pub seeds: [u64; 2],
    /// One per submitted job, in manifest order.
    pub jobs: Vec<JobForecast>,
}

/// Where and when one job starts over the replications.
#[derive(Clone, Debug, Serialize)]
pub struct JobForecast {
    /// `namespace/name`.
    pub job: String,
    /// The cluster(s) its first scheduling picked in most replications (`a+b` when divided).
    pub cluster: Option<String>,
    /// How many replications picked each placement.
    pub placements: BTreeMap<String, u32>,
    /// Replications in which it started.
    pub started: u32,
    /// Start time after submission, seconds: 10th, 50th and 90th percentile over the
    /// replications in which it started (nearest rank).
    pub start_s: Option<[f64; 3]>,
    /// The first replication's story up to the start, as `fleetsim explain` tells it.
    pub why: String,
}

/// One replication's answer for one job.
struct Answer {
    placement: Option<String>,
    start_ms: Option<u64>,
    story: String,
}

/// Runs the forecast.
pub fn forecast(config: &ForecastConfig, plugins: &Registry) -> Result<Forecast, RunError> {
    // The scenario alone first, so that an error in it points into its file.
    let base = scenarios::load_with(&config.scenario, plugins)?;
    let entries = scenarios::import::manifest_jobs(&config.manifests, &config.runtime)?;
    if entries.is_empty() {
        return Err(RunError::Output {
            path: config.manifests.first().cloned().unwrap_or_default(),
            message: "no workload to submit in the manifests".to_owned(),
        });
    }
    let names: Vec<String> = entries.iter().map(|(name, _)| name.clone()).collect();
    let (scenario, ids) = scenarios::import::with_initial_jobs(
        &config.scenario,
        entries.into_iter().map(|(_, entry)| entry).collect(),
        plugins,
    )?;
    let first_seed = config.seed.unwrap_or(base.seed);
    let replications = config.replications.max(1);
    let runs: Vec<(u32, usize)> = (0..replications)
        .flat_map(|r| (0..ids.len()).map(move |j| (r, j)))
        .collect();
    let answers: Vec<Result<Answer, RunError>> = runs
        .par_iter()
        .map(|&(r, j)| {
            replicate(
                &scenario,
                ids[j],
                first_seed + u64::from(r),
                config.arrivals,
            )
        })
        .collect();
    let mut per_job: Vec<Vec<Answer>> = (0..ids.len()).map(|_| Vec::new()).collect();
    for (answer, &(_, j)) in answers.into_iter().zip(&runs) {
        per_job[j].push(answer?);
    }
    let jobs = names
        .into_iter()
        .zip(per_job)
        .map(|(job, answers)| summarize(job, answers))
        .collect();
    Ok(Forecast {
        scenario: config.scenario.display().to_string(),
        replications,
        seeds: [first_seed, first_seed + u64::from(replications) - 1],
        jobs,
    })
}

/// One run with `seed`, explaining `job` until it starts.
fn replicate(
    scenario: &scenarios::Scenario,
    job: JobId,
    seed: u64,
    arrivals: bool,
) -> Result<Answer, RunError> {
    let mut control = control_plane(
        scenario,
        &PlaneOptions {
            seed: Some(seed),
            explain: Some(job),
            check_invariants: Some(false),
            ..PlaneOptions::default()
        },
    )?;
    control.stop_when_explained_job_starts();
    let streams = RngStreams::new(seed);
    let jobs: Box<dyn Iterator<Item = sim_core::model::Job> + '_> = if arrivals {
        Box::new(scenario.jobs(streams))
    } else {
        Box::new(scenario.initial.jobs(streams))
    };
    let jobs = jobs.map(Ok::<_, std::convert::Infallible>);
    let engine_config = EngineConfig {
        horizon: scenario.horizon,
        progress_every: u64::MAX,
    };
    engine::run(
        &engine_config,
        jobs,
        &mut control,
        &mut Discard,
        &mut |_| {},
    )
    .map_err(|e| RunError::Internal(e.to_string()))?;
    let log = control
        .explanation()
        .ok_or_else(|| RunError::Internal("the forecast job's log is missing".to_owned()))?;
    let mut placement = None;
    let mut start_ms = None;
    for (time, entry) in &log.entries {
        match entry {
            Entry::Attempt(attempt) if placement.is_none() => {
                if let Outcome::Scheduled(list) = &attempt.outcome {
                    let clusters: Vec<&str> = list
                        .iter()
                        .filter(|(_, replicas)| *replicas > 0)
                        .map(|(c, _)| scenario.world.fleet.cluster(*c).name.as_str())
                        .collect();
                    placement = Some(clusters.join("+"));
                }
            }
            Entry::Started => {
                start_ms = Some(time.0);
                break;
            }
            _ => {}
        }
    }
    Ok(Answer {
        placement,
        start_ms,
        story: log.render(&scenario.world, None),
    })
}

fn summarize(job: String, answers: Vec<Answer>) -> JobForecast {
    let mut placements: BTreeMap<String, u32> = BTreeMap::new();
    for answer in &answers {
        let key = answer
            .placement
            .clone()
            .unwrap_or_else(|| "(not scheduled)".to_owned());
        *placements.entry(key).or_default() += 1;
    }
    // The most frequent placement; ties to the first name.
    let cluster = placements
        .iter()
        .filter(|(k, _)| !k.starts_with('('))
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, _)| k.clone());
    let mut starts: Vec<u64> = answers.iter().filter_map(|a| a.start_ms).collect();
    starts.sort_unstable();
    let rank = |q: f64| {
        // Nearest rank: the smallest value with at least q of the values at or below it.
        let idx = ((q * starts.len() as f64).ceil() as usize).clamp(1, starts.len()) - 1;
        starts[idx] as f64 / 1000.0
    };
    JobForecast {
        job,
        cluster,
        placements,
        started: starts.len() as u32,
        start_s: (!starts.is_empty()).then(|| [rank(0.1), rank(0.5), rank(0.9)]),
        why: answers.first().map(|a| a.story.clone()).unwrap_or_default(),
    }
}

/// The forecast as text: per job, the placement and why (the first replication's story), then
/// the start quantiles and how sure they are.
pub fn render(forecast: &Forecast) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let n = forecast.replications;
    for job in &forecast.jobs {
        let _ = writeln!(out, "== {} ==", job.job);
        out.push_str(&job.why);
        let _ = writeln!(out);
        match &job.cluster {
            Some(cluster) => {
                let picked = job.placements.get(cluster).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "Cluster:  {cluster} (picked in {picked} of {n} replications)"
                );
            }
            None => {
                let _ = writeln!(out, "Cluster:  none: Karmada schedules it nowhere");
            }
        }
        if job.placements.len() > 1 {
            let all: Vec<String> = job
                .placements
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let _ = writeln!(out, "          all placements: {}", all.join(", "));
        }
        match job.start_s {
            Some([p10, p50, p90]) => {
                let t = |s: f64| sim_core::Duration((s * 1000.0) as u64).to_string();
                let _ = writeln!(
                    out,
                    "Starts:   p10 {}  p50 {}  p90 {} after submission",
                    t(p10),
                    t(p50),
                    t(p90)
                );
                let _ = writeln!(
                    out,
                    "          started in {} of {n} replications (seeds {}–{}); the spread comes \
                     from what the scenario leaves to chance, such as the remaining run time of \
                     running pods",
                    job.started, forecast.seeds[0], forecast.seeds[1]
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "Starts:   never, in any of {n} replications: no room frees for it"
                );
            }
        }
        let _ = writeln!(out);
    }
    out
}
