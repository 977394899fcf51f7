//! The synthetic workload generator: Poisson arrivals (optionally with a daily cycle),
//! lognormal run times, and weighted mixes of job sizes and namespaces.
//!
//! Jobs are generated lazily, one per `next()`, so memory does not depend on the number of
//! jobs. Each property draws from its own named stream, so changing, say, the size mix leaves
//! the arrival times of a seed unchanged.

use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_distr::{Exp, LogNormal};
use sim_core::model::{
    Component, GpuModelSet, GpuRequest, Job, JobId, NamespaceId, PodRequest, PriorityClassId,
    Template,
};
use sim_core::rng::{RngStreams, StreamRng};
use sim_core::{Duration, SimTime};

const DAY_MS: f64 = 86_400_000.0;

/// When jobs arrive.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrivalProcess {
    /// Mean arrival rate.
    pub jobs_per_ms: f64,
    /// Relative amplitude of the daily cycle, in [0, 1]; 0 = a homogeneous Poisson process.
    pub daily_amplitude: f64,
    /// Time of day at which the rate peaks.
    pub daily_peak: Duration,
}

impl ArrivalProcess {
    /// The instantaneous rate at `t_ms`.
    pub fn rate_at(&self, t_ms: f64) -> f64 {
        let phase =
            2.0 * std::f64::consts::PI * (t_ms - self.daily_peak.as_millis() as f64) / DAY_MS;
        self.jobs_per_ms * (1.0 + self.daily_amplitude * phase.cos())
    }
}

/// One entry of the namespace mix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceMix {
    /// The namespace.
    pub namespace: NamespaceId,
    /// Relative weight.
    pub weight: u32,
    /// Priority class of its jobs.
    pub priority_class: Option<PriorityClassId>,
    /// The template its jobs are submitted as.
    pub template: Template,
    /// The node claim of its pods (index into the scenario's claims).
    pub node_claim: u16,
}

/// A validated synthetic workload description.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticWorkload {
    /// Number of jobs.
    pub n_jobs: u64,
    /// Arrival process.
    pub arrivals: ArrivalProcess,
    /// Median run time at reference speed.
    pub runtime_median: Duration,
    /// Sigma of the underlying normal.
    pub runtime_sigma: f64,
    /// Run times are clamped to at least this.
    pub runtime_min: Duration,
    /// and at most this.
    pub runtime_max: Duration,
    /// (GPUs per job, weight).
    pub gpu_mix: Vec<(u32, u32)>,
    /// Jobs larger than this are split into replicas of this many GPUs.
    pub gpus_per_replica: u32,
    /// CPU milli-cores per GPU.
    pub cpu_per_gpu: u64,
    /// Memory bytes per GPU.
    pub memory_per_gpu: u64,
    /// Allowed GPU models.
    pub gpu_models: GpuModelSet,
    /// Whether replicas start together.
    pub gang: bool,
    /// Each job's launcher (cpu milli, memory bytes): a CPU-only component before the workers.
    pub launcher: Option<(u64, u64)>,
    /// Namespace mix.
    pub namespaces: Vec<NamespaceMix>,
    /// Job templates with their weights: when given, each arrival is a copy of one drawn by
    /// weight (its own requests, namespace and object), and the size and namespace mixes are
    /// not used.
    pub templates: Vec<(u32, Job)>,
}

impl SyntheticWorkload {
    /// The job stream for a seed.
    pub fn jobs(&self, streams: RngStreams) -> SyntheticJobs {
        let rate_max = self.arrivals.jobs_per_ms * (1.0 + self.arrivals.daily_amplitude);
        SyntheticJobs {
            sizes: WeightedIndex::new(self.gpu_mix.iter().map(|(_, w)| *w)).ok(),
            namespace_weights: WeightedIndex::new(self.namespaces.iter().map(|n| n.weight)).ok(),
            template_weights: WeightedIndex::new(self.templates.iter().map(|(w, _)| *w)).ok(),
            template_rng: streams.stream("synthetic/templates"),
            interarrival: Exp::new(rate_max).expect("validated rate"),
            runtime: LogNormal::new(
                (self.runtime_median.as_millis() as f64).ln(),
                self.runtime_sigma,
            )
            .expect("validated sigma"),
            arrival_rng: streams.stream("synthetic/arrivals"),
            thinning_rng: streams.stream("synthetic/arrivals-thinning"),
            size_rng: streams.stream("synthetic/sizes"),
            runtime_rng: streams.stream("synthetic/runtimes"),
            namespace_rng: streams.stream("synthetic/namespaces"),
            rate_max,
            clock_ms: 0.0,
            next_id: 0,
            spec: self.clone(),
        }
    }
}

/// The lazy job stream of a [`SyntheticWorkload`].
pub struct SyntheticJobs {
    spec: SyntheticWorkload,
    /// The mixes; `None` with templates.
    sizes: Option<WeightedIndex<u32>>,
    namespace_weights: Option<WeightedIndex<u32>>,
    /// `None` without templates.
    template_weights: Option<WeightedIndex<u32>>,
    template_rng: StreamRng,
    interarrival: Exp<f64>,
    runtime: LogNormal<f64>,
    arrival_rng: StreamRng,
    thinning_rng: StreamRng,
    size_rng: StreamRng,
    runtime_rng: StreamRng,
    namespace_rng: StreamRng,
    rate_max: f64,
    clock_ms: f64,
    next_id: u64,
}

impl SyntheticJobs {
    /// The next arrival time: thinning of a Poisson process at the peak rate.
    fn next_arrival(&mut self) -> f64 {
        loop {
            self.clock_ms += self.interarrival.sample(&mut self.arrival_rng);
            if self.spec.arrivals.daily_amplitude == 0.0 {
                return self.clock_ms;
            }
            let accept: f64 = rand::distr::StandardUniform.sample(&mut self.thinning_rng);
            if accept * self.rate_max <= self.spec.arrivals.rate_at(self.clock_ms) {
                return self.clock_ms;
            }
        }
    }
}

impl SyntheticJobs {
    /// A run time from the lognormal, clamped.
    fn draw_runtime(&mut self) -> Duration {
        let raw_runtime = self.runtime.sample(&mut self.runtime_rng).round();
        Duration((raw_runtime as u64).clamp(
            self.spec.runtime_min.as_millis(),
            self.spec.runtime_max.as_millis(),
        ))
    }
}

impl Iterator for SyntheticJobs {
    type Item = Job;

    fn next(&mut self) -> Option<Job> {
        if self.next_id >= self.spec.n_jobs {
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        let submit = SimTime(self.next_arrival().round() as u64);
        if let Some(weights) = &self.template_weights {
            let idx = weights.sample(&mut self.template_rng);
            let runtime = self.draw_runtime();
            let template = &self.spec.templates[idx].1;
            return Some(Job {
                id: JobId(id),
                name: format!("{}-{id:07}", template.name),
                submit,
                runtime,
                ..template.clone()
            });
        }
        let sizes = self.sizes.as_ref().expect("a size mix without templates");
        let gpus = self.spec.gpu_mix[sizes.sample(&mut self.size_rng)].0;
        let runtime = self.draw_runtime();
        let namespaces = self.namespace_weights.as_ref().expect("a namespace mix");
        let mix = &self.spec.namespaces[namespaces.sample(&mut self.namespace_rng)];
        let per_replica = gpus.min(self.spec.gpus_per_replica);
        let replicas = gpus / per_replica;
        let mut components = Vec::with_capacity(2);
        if let Some((cpu_milli, memory)) = self.spec.launcher {
            components.push(Component {
                name: "launcher".to_owned(),
                replicas: 1,
                request: PodRequest {
                    cpu_milli,
                    memory,
                    gpu: GpuRequest::NONE,
                    node_claim: mix.node_claim,
                },
            });
        }
        components.push(Component {
            name: "worker".to_owned(),
            replicas,
            request: PodRequest {
                cpu_milli: self.spec.cpu_per_gpu * u64::from(per_replica),
                memory: self.spec.memory_per_gpu * u64::from(per_replica),
                gpu: GpuRequest::whole(per_replica, self.spec.gpu_models),
                node_claim: mix.node_claim,
            },
        });
        Some(Job {
            id: JobId(id),
            name: format!("job-{id:07}"),
            namespace: mix.namespace,
            priority_class: mix.priority_class,
            submit,
            components,
            runtime,
            gang: self.spec.gang,
            checkpoint_interval: None,
            checkpoint_cost: None,
            max_restarts: None,
            max_unavailable: None,
            template: mix.template.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(amplitude: f64) -> SyntheticWorkload {
        SyntheticWorkload {
            n_jobs: 20_000,
            arrivals: ArrivalProcess {
                jobs_per_ms: 1.0 / 60_000.0,
                daily_amplitude: amplitude,
                daily_peak: Duration::from_mins(14 * 60),
            },
            runtime_median: Duration::from_mins(120),
            runtime_sigma: 1.0,
            runtime_min: Duration::from_mins(1),
            runtime_max: Duration::from_mins(7 * 24 * 60),
            gpu_mix: vec![(1, 3), (16, 1)],
            gpus_per_replica: 8,
            cpu_per_gpu: 8000,
            memory_per_gpu: 64 << 30,
            gpu_models: GpuModelSet::ANY,
            gang: true,
            launcher: None,
            namespaces: vec![
                NamespaceMix {
                    namespace: NamespaceId(0),
                    weight: 1,
                    priority_class: None,
                    template: Template::default(),
                    node_claim: 0,
                },
                NamespaceMix {
                    namespace: NamespaceId(1),
                    weight: 3,
                    priority_class: Some(PriorityClassId(0)),
                    template: Template::default(),
                    node_claim: 0,
                },
            ],
            templates: Vec::new(),
        }
    }

    #[test]
    fn same_seed_same_jobs_and_other_seed_differs() {
        let a: Vec<Job> = workload(0.0).jobs(RngStreams::new(1)).take(50).collect();
        let b: Vec<Job> = workload(0.0).jobs(RngStreams::new(1)).take(50).collect();
        let c: Vec<Job> = workload(0.0).jobs(RngStreams::new(2)).take(50).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn statistics_match_the_parameters() {
        let jobs: Vec<Job> = workload(0.0).jobs(RngStreams::new(7)).collect();
        assert_eq!(jobs.len(), 20_000);
        assert!(jobs.windows(2).all(|w| w[0].submit <= w[1].submit));
        // One arrival a minute: 20,000 arrivals take about 20,000 minutes (±3%).
        let span_min = jobs.last().unwrap().submit.as_millis() as f64 / 60_000.0;
        assert!((span_min / 20_000.0 - 1.0).abs() < 0.03, "{span_min}");
        // Median run time 2 h (±5%).
        let mut runtimes: Vec<u64> = jobs.iter().map(|j| j.runtime.as_millis()).collect();
        runtimes.sort();
        let median_h = runtimes[runtimes.len() / 2] as f64 / 3_600_000.0;
        assert!((median_h / 2.0 - 1.0).abs() < 0.05, "{median_h}");
        // A quarter of the jobs are 16-GPU jobs, split into 2 replicas of 8.
        let big = jobs.iter().filter(|j| j.n_gpus() == 16).count() as f64 / 20_000.0;
        assert!((big - 0.25).abs() < 0.015, "{big}");
        assert!(
            jobs.iter()
                .filter(|j| j.n_gpus() == 16)
                .all(|j| j.components[0].replicas == 2 && j.components[0].request.gpu.count == 8)
        );
        // Three quarters of the jobs come from namespace 1, with its priority class.
        let ns1 = jobs
            .iter()
            .filter(|j| j.namespace == NamespaceId(1))
            .count() as f64
            / 20_000.0;
        assert!((ns1 - 0.75).abs() < 0.015, "{ns1}");
        assert!(
            jobs.iter()
                .filter(|j| j.namespace == NamespaceId(1))
                .all(|j| j.priority_class == Some(PriorityClassId(0)))
        );
        // cpu and memory scale with GPUs per replica.
        assert!(jobs.iter().all(|j| j.components[0].request.cpu_milli
            == 8000 * u64::from(j.components[0].request.gpu.count)));
    }

    #[test]
    fn a_launcher_comes_first_and_leaves_the_workers_and_their_draws_alone() {
        let plain: Vec<Job> = workload(0.0).jobs(RngStreams::new(5)).take(200).collect();
        let mut with = workload(0.0);
        with.launcher = Some((2000, 8 << 30));
        let launched: Vec<Job> = with.jobs(RngStreams::new(5)).take(200).collect();
        for (a, b) in plain.iter().zip(&launched) {
            assert_eq!(b.components.len(), 2);
            let launcher = &b.components[0];
            assert_eq!((launcher.name.as_str(), launcher.replicas), ("launcher", 1));
            assert_eq!(launcher.request.gpu, GpuRequest::NONE);
            assert_eq!(launcher.request.cpu_milli, 2000);
            // Same workers, sizes, times: the launcher draws nothing.
            assert_eq!(b.components[1], a.components[0]);
            assert_eq!((b.submit, b.runtime), (a.submit, a.runtime));
            assert_eq!(b.n_gpus(), a.n_gpus());
            assert_eq!(b.n_replicas(), a.n_replicas() + 1);
        }
    }

    #[test]
    fn daily_cycle_concentrates_arrivals_around_the_peak() {
        let jobs: Vec<Job> = workload(0.8).jobs(RngStreams::new(3)).collect();
        // Hours 12–16 (around the 14h peak) against hours 0–4 (around the 2h trough): the rate
        // ratio is (1 + 0.8 cos θ) averaged over each window, about 1.74 / 0.26 ≈ 6.7.
        let hour_of_day = |j: &Job| (j.submit.as_millis() % 86_400_000) / 3_600_000;
        let peak = jobs
            .iter()
            .filter(|j| (12..16).contains(&hour_of_day(j)))
            .count() as f64;
        let trough = jobs.iter().filter(|j| hour_of_day(j) < 4).count() as f64;
        assert!(
            peak / trough > 5.0 && peak / trough < 8.5,
            "{}",
            peak / trough
        );
    }
}
