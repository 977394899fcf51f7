//! The `initial_state` section: jobs that exist when the run begins, each already scheduled to
//! a cluster or still to be scheduled, some of their replicas running on given nodes.

use scheduler::control::{InitialPlacement, RunningPods};
use sim_core::model::{ClusterId, Job, JobId, World};
use sim_core::{Duration, SimTime};

use super::synthetic::runtime;
use super::workload::listed_job;
use crate::check::{Checker, ClaimTable};
use crate::error::Error;
use crate::spec::{self, Text};
use crate::workload::{InitialState, RemainingRuntime};

const PATH: &str = "initial_state";

/// The initial state of `spec`, if the scenario gives one.
pub(super) fn initial_state(
    ck: &Checker<'_>,
    world: &World,
    spec: Option<&spec::InitialStateSpec>,
    claims: &mut ClaimTable,
) -> Result<InitialState, Error> {
    let Some(spec) = spec else {
        return Ok(InitialState::default());
    };
    let remaining = match &spec.remaining_runtime {
        Some(dist) => {
            let (median, sigma, min, max) =
                runtime(ck, dist, &format!("{PATH}.remaining_runtime"))?;
            Some(RemainingRuntime {
                median,
                sigma,
                min,
                max,
            })
        }
        None => None,
    };
    let mut state = InitialState {
        remaining,
        ..InitialState::default()
    };
    // What the running replicas hold per node, to refuse a node holding more than it has.
    let mut held: std::collections::BTreeMap<(ClusterId, u32), Held> = Default::default();
    for (idx, spanned) in spec.jobs.iter().enumerate() {
        let path = format!("{PATH}.jobs[{idx}]");
        let job = &spanned.value;
        if let Some(submit) = &job.submit {
            return ck.at(
                submit,
                format!("{path}.submit"),
                "an initial job exists at time 0 and has no `submit`",
            );
        }
        let (runtime, drawn) = match &job.runtime {
            Some(text) => (ck.duration(text, &format!("{path}.runtime"))?, false),
            None if state.remaining.is_some() => (Duration::ZERO, true),
            None => {
                return ck.at(
                    spanned,
                    format!("{path}.runtime"),
                    "give the job's remaining `runtime`, or initial_state.remaining_runtime to \
                     draw it from",
                );
            }
        };
        let built = listed_job(ck, world, job, &path, claims, SimTime::ZERO, runtime)?;
        let cluster = match &job.cluster {
            Some(text) => Some(cluster_id(ck, world, text, &format!("{path}.cluster"))?),
            None => None,
        };
        let mut running = Vec::new();
        let mut per_component = vec![0u32; built.components.len()];
        for (r_idx, entry) in job.running.iter().enumerate() {
            let r_path = format!("{path}.running[{r_idx}]");
            let Some(cluster) = cluster else {
                return ck.at(
                    entry,
                    r_path,
                    "running replicas need the job's `cluster`, where they run",
                );
            };
            let pods = running_pods(ck, world, &built, cluster, &entry.value, &r_path)?;
            let component = usize::from(pods.component);
            per_component[component] += pods.n_pods;
            if per_component[component] > built.components[component].replicas {
                return ck.at(
                    &entry.value.replicas,
                    format!("{r_path}.replicas"),
                    format!(
                        "more replicas running than the job has ({} in {:?})",
                        built.components[component].replicas, built.components[component].name
                    ),
                );
            }
            let request = &built.components[component].request;
            let on_node = held.entry((cluster, pods.node)).or_default();
            on_node.add(request, pods.n_pods);
            let shape = node_shape(world, cluster, pods.node);
            if let Some(what) = on_node.exceeds(shape) {
                return ck.at(
                    entry,
                    r_path,
                    format!(
                        "the node would hold more {what} than it has, counting the replicas \
                         placed on it before this one"
                    ),
                );
            }
            running.push(pods);
        }
        state.jobs.push(Job {
            id: JobId(idx as u64),
            ..built
        });
        state.placements.push(InitialPlacement { cluster, running });
        state.drawn.push(drawn);
    }
    // Running pods go back to their nodes before any waiting pod is placed, or a waiting pod
    // could take a node a later job is running on: jobs whose replicas all run come first,
    // then those partly running, then the rest, each group in file order.
    let group = |idx: usize| {
        let running: u32 = state.placements[idx].running.iter().map(|r| r.n_pods).sum();
        match running {
            0 => 2,
            n if u64::from(n) == state.jobs[idx].n_replicas() => 0,
            _ => 1,
        }
    };
    let mut order: Vec<usize> = (0..state.jobs.len()).collect();
    order.sort_by_key(|&idx| group(idx));
    let mut sorted = InitialState {
        remaining: state.remaining,
        ..InitialState::default()
    };
    for (id, idx) in order.into_iter().enumerate() {
        sorted.jobs.push(Job {
            id: JobId(id as u64),
            ..state.jobs[idx].clone()
        });
        sorted.placements.push(state.placements[idx].clone());
        sorted.drawn.push(state.drawn[idx]);
    }
    Ok(sorted)
}

/// One `running` entry as pods on a node of `cluster`.
fn running_pods(
    ck: &Checker<'_>,
    world: &World,
    job: &Job,
    cluster: ClusterId,
    entry: &spec::RunningSpec,
    path: &str,
) -> Result<RunningPods, Error> {
    let pools = &world.fleet.cluster(cluster).node_pools;
    let Some(pool_idx) = pools.iter().position(|p| p.name == entry.pool.value) else {
        let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
        return ck.at(
            &entry.pool,
            format!("{path}.pool"),
            format!(
                "cluster {:?} has no node pool {:?}; it has {}",
                world.fleet.cluster(cluster).name,
                entry.pool.value,
                names.join(", ")
            ),
        );
    };
    let pool = &pools[pool_idx];
    if entry.node.value >= pool.count {
        return ck.at(
            &entry.node,
            format!("{path}.node"),
            format!(
                "pool {:?} has {} nodes, numbered from 0",
                pool.name, pool.count
            ),
        );
    }
    if entry.replicas.value == 0 {
        return ck.at(
            &entry.replicas,
            format!("{path}.replicas"),
            "at least one replica runs on a listed node",
        );
    }
    let component = match &entry.component {
        None if job.components.len() == 1 => 0,
        None => {
            return ck.error(
                0,
                0,
                format!("{path}.component"),
                "the job has components: name the one these replicas belong to",
            );
        }
        Some(name) => match job.components.iter().position(|c| c.name == name.value) {
            Some(idx) => idx,
            None => {
                return ck.at(
                    name,
                    format!("{path}.component"),
                    format!("the job has no component {:?}", name.value),
                );
            }
        },
    };
    let first: u32 = pools[..pool_idx].iter().map(|p| p.count).sum();
    Ok(RunningPods {
        component: component as u8,
        node: first + entry.node.value,
        n_pods: entry.replicas.value,
    })
}

fn cluster_id(
    ck: &Checker<'_>,
    world: &World,
    text: &Text,
    path: &str,
) -> Result<ClusterId, Error> {
    match world.fleet.cluster_id(&text.value) {
        Some(id) => Ok(id),
        None => ck.at(text, path, format!("unknown cluster {:?}", text.value)),
    }
}

fn node_shape(world: &World, cluster: ClusterId, node: u32) -> &sim_core::model::NodeShape {
    let mut first = 0;
    for pool in &world.fleet.cluster(cluster).node_pools {
        if node < first + pool.count {
            return &pool.shape;
        }
        first += pool.count;
    }
    unreachable!("node index checked against its pool")
}

/// What running replicas hold on one node.
#[derive(Default)]
struct Held {
    cpu_milli: u64,
    memory: u64,
    gpu_milli: u64,
    pods: u64,
}

impl Held {
    fn add(&mut self, request: &sim_core::model::PodRequest, n: u32) {
        let n = u64::from(n);
        self.cpu_milli += request.cpu_milli * n;
        self.memory += request.memory * n;
        self.gpu_milli += request.gpu.total_milli() * n;
        self.pods += n;
    }

    /// The first resource held beyond the node's allocatable, if any.
    fn exceeds(&self, shape: &sim_core::model::NodeShape) -> Option<&'static str> {
        if self.cpu_milli > shape.cpu_milli {
            Some("CPU")
        } else if self.memory > shape.memory {
            Some("memory")
        } else if self.gpu_milli > u64::from(shape.gpus) * 1000 {
            Some("GPUs")
        } else if self.pods > u64::from(shape.max_pods) {
            Some("pods")
        } else {
            None
        }
    }
}
