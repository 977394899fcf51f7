//! The workload section: exactly one of a synthetic generator, an explicit job list or a
//! trace, and warnings on GPU models the fleet lacks.

use std::collections::BTreeMap;

use scheduler::{Federation, SchedulerConfig};
use serde_saphyr::Spanned;
use sim_core::SimTime;
use sim_core::model::{Cluster, Component, GpuModelSet, GpuRequest, Job, JobId, PodRequest, World};
use sim_core::quantity::Quantity;

use super::synthetic::synthetic;
use crate::check::{Checker, ClaimTable, namespace_id, priority_class_id};
use crate::error::Error;
use crate::spec::{self, Text};
use crate::workload::{TraceJobs, WORKER, Workload, number_in_submit_order, template};

/// The workload of `spec`; `trace_jobs` holds the trace read up front, if `spec` names one.
pub(super) fn workload(
    ck: &Checker<'_>,
    world: &World,
    spec: &spec::WorkloadSpec,
    trace_jobs: Option<TraceJobs>,
    claims: &mut ClaimTable,
) -> Result<Workload, Error> {
    Ok(
        match (&spec.synthetic, &spec.jobs, &spec.trace, trace_jobs) {
            (Some(synth), None, None, _) => {
                Workload::Synthetic(synthetic(ck, world, synth, claims)?)
            }
            (None, Some(list), None, _) => Workload::Jobs(job_list(ck, world, list, claims)?),
            (None, None, Some(trace), Some(jobs)) => {
                Workload::Jobs(jobs.into_jobs(ck, world, trace, claims)?)
            }
            _ => {
                return ck.error(
                    0,
                    0,
                    "workload",
                    "give exactly one of workload.synthetic, workload.jobs or workload.trace",
                );
            }
        },
    )
}

/// Warnings on jobs whose GPU models some clusters lack. A job no cluster has a model for can
/// never run. Otherwise, under Karmada's general estimator alone, which reads only a cluster's
/// resource summary, such a job may be divided onto a cluster without its models, where its
/// pods wait: Karmada does the same, so fleetsim reproduces it, and the warning says how to
/// avoid it.
pub(super) fn model_warnings(
    world: &World,
    scheduler: &SchedulerConfig,
    workload: &Workload,
) -> Vec<String> {
    let Workload::Jobs(jobs) = workload else {
        return Vec::new();
    };
    let has = |cluster: &Cluster, models: GpuModelSet| {
        cluster
            .node_pools
            .iter()
            .any(|pool| pool.count > 0 && models.allows(pool.shape.gpu_model))
    };
    let (mut nowhere, mut somewhere) = (0, 0);
    for job in jobs {
        let constrained = job
            .components
            .iter()
            .map(|c| c.request.gpu)
            .filter(|gpu| gpu.count > 0 && !gpu.models.is_any());
        let (mut any_lacks, mut one_lacks_all) = (false, false);
        for gpu in constrained {
            let with = world
                .fleet
                .clusters
                .iter()
                .filter(|c| has(c, gpu.models))
                .count();
            one_lacks_all |= with == 0;
            any_lacks |= with < world.fleet.clusters.len();
        }
        if one_lacks_all {
            nowhere += 1;
        } else if any_lacks {
            somewhere += 1;
        }
    }
    let mut warnings = Vec::new();
    if nowhere > 0 {
        warnings.push(format!(
            "workload: {nowhere} jobs ask for GPU models no cluster has; they never run"
        ));
    }
    let estimator_sees_models = scheduler.estimators.iter().any(|e| e == "accurate")
        || !matches!(scheduler.federation, Federation::Karmada);
    if somewhere > 0 && !estimator_sees_models {
        warnings.push(format!(
            "workload: {somewhere} jobs ask for GPU models that some clusters lack; the general \
             estimator does not see GPU models, so Karmada may send them to such a cluster, \
             where they wait; add `accurate` to scheduler.estimators to count only nodes with an \
             allowed model"
        ));
    }
    warnings
}

/// An explicit job list, sorted by submit time (stable, so equal times keep file order).
fn job_list(
    ck: &Checker<'_>,
    world: &World,
    specs: &[Spanned<spec::JobSpec>],
    claims: &mut ClaimTable,
) -> Result<Vec<Job>, Error> {
    let mut jobs = Vec::with_capacity(specs.len());
    for (idx, spanned) in specs.iter().enumerate() {
        let path = format!("workload.jobs[{idx}]");
        let job = &spanned.value;
        let (Some(submit), Some(runtime)) = (&job.submit, &job.runtime) else {
            let missing = if job.submit.is_none() {
                "submit"
            } else {
                "runtime"
            };
            return ck.at(
                spanned,
                format!("{path}.{missing}"),
                format!("a listed job needs `{missing}`"),
            );
        };
        if job.cluster.is_some() || !job.running.is_empty() {
            return ck.at(
                spanned,
                path,
                "`cluster` and `running` belong to initial_state.jobs: a listed job is \
                 submitted during the run and scheduled then",
            );
        }
        let submit = SimTime(ck.duration(submit, &format!("{path}.submit"))?.as_millis());
        let runtime = ck.duration(runtime, &format!("{path}.runtime"))?;
        jobs.push(listed_job(ck, world, job, &path, claims, submit, runtime)?);
    }
    number_in_submit_order(&mut jobs);
    Ok(jobs)
}

/// One job as a list gives it (`workload.jobs`, `initial_state.jobs`), submitted at `submit`
/// and running for `runtime`; `path` names it in errors.
pub(super) fn listed_job(
    ck: &Checker<'_>,
    world: &World,
    job: &spec::JobSpec,
    path: &str,
    claims: &mut ClaimTable,
    submit: SimTime,
    runtime: sim_core::Duration,
) -> Result<Job, Error> {
    let components = if job.components.is_empty() {
        let request = pod_request(
            ck,
            world,
            claims,
            path,
            RequestFields {
                replicas: &job.replicas,
                gpus: job.gpus,
                cpu: &job.cpu,
                memory: &job.memory,
                gpu_models: &job.gpu_models,
                node_selector: &job.node_selector,
                tolerations: &job.tolerations,
            },
        )?;
        vec![Component {
            name: WORKER.to_owned(),
            replicas: job.replicas.value,
            request,
        }]
    } else {
        components(ck, world, claims, job, path)?
    };
    Ok(Job {
        id: JobId(0),
        name: job.name.clone(),
        namespace: namespace_id(ck, world, &job.namespace, &format!("{path}.namespace"))?,
        priority_class: match &job.priority_class {
            Some(text) => Some(priority_class_id(
                ck,
                world,
                text,
                &format!("{path}.priority_class"),
            )?),
            None => None,
        },
        submit,
        components,
        runtime,
        gang: job.gang,
        checkpoint_interval: match &job.checkpoint_interval {
            Some(text) => Some(ck.duration(text, &format!("{path}.checkpoint_interval"))?),
            None => None,
        },
        checkpoint_cost: match &job.checkpoint_cost {
            Some(text) => Some(ck.duration(text, &format!("{path}.checkpoint_cost"))?),
            None => None,
        },
        max_restarts: job.max_restarts,
        max_unavailable: job.max_unavailable,
        template: template(
            job.api_version.as_deref(),
            job.kind.as_deref(),
            job.labels.clone(),
        ),
    })
}

/// The components of a job that lists them, each with its own request.
fn components(
    ck: &Checker<'_>,
    world: &World,
    claims: &mut ClaimTable,
    job: &spec::JobSpec,
    path: &str,
) -> Result<Vec<Component>, Error> {
    let per_replica_given = job.gpus != 0
        || job.cpu.is_some()
        || job.memory.is_some()
        || !job.gpu_models.is_empty()
        || job.replicas.value != 1;
    if per_replica_given {
        return ck.at(
            &job.components[0],
            format!("{path}.components"),
            "a job with components gives replicas, gpus, cpu, memory and gpu_models per component, not for the whole job",
        );
    }
    let mut components: Vec<Component> = Vec::with_capacity(job.components.len());
    for (c_idx, spanned) in job.components.iter().enumerate() {
        let component = &spanned.value;
        let c_path = format!("{path}.components[{c_idx}]");
        if components.iter().any(|c| c.name == component.name.value) {
            return ck.at(
                &component.name,
                format!("{c_path}.name"),
                format!("duplicate component name {:?}", component.name.value),
            );
        }
        if job.components.len() > usize::from(u8::MAX) {
            return ck.at(spanned, c_path, "a job has at most 255 components");
        }
        let request = pod_request(
            ck,
            world,
            claims,
            &c_path,
            RequestFields {
                replicas: &component.replicas,
                gpus: component.gpus,
                cpu: &component.cpu,
                memory: &component.memory,
                gpu_models: &component.gpu_models,
                node_selector: component
                    .node_selector
                    .as_ref()
                    .unwrap_or(&job.node_selector),
                tolerations: component.tolerations.as_ref().unwrap_or(&job.tolerations),
            },
        )?;
        components.push(Component {
            name: component.name.value.clone(),
            replicas: component.replicas.value,
            request,
        });
    }
    Ok(components)
}

/// The fields a replica request is read from: a job's, or one of its components'.
struct RequestFields<'a> {
    replicas: &'a Spanned<u32>,
    gpus: u32,
    cpu: &'a Option<Text>,
    memory: &'a Option<Text>,
    gpu_models: &'a [Text],
    node_selector: &'a BTreeMap<String, String>,
    tolerations: &'a [spec::karmada::TolerationSpec],
}

/// Checks a replica count and builds the per-replica request; `path` names the job or
/// component in errors.
fn pod_request(
    ck: &Checker<'_>,
    world: &World,
    claims: &mut ClaimTable,
    path: &str,
    fields: RequestFields<'_>,
) -> Result<PodRequest, Error> {
    if fields.replicas.value == 0 {
        return ck.at(
            fields.replicas,
            format!("{path}.replicas"),
            "a job needs at least one replica",
        );
    }
    let mut models = Vec::new();
    for (m_idx, text) in fields.gpu_models.iter().enumerate() {
        models.push(ck.gpu_model(&world.fleet, text, &format!("{path}.gpu_models[{m_idx}]"))?);
    }
    let quantity = |text: &Option<Text>, field: &str| {
        text.as_ref().map_or(Ok(Quantity::ZERO), |t| {
            ck.quantity(t, &format!("{path}.{field}"))
        })
    };
    Ok(PodRequest {
        cpu_milli: quantity(fields.cpu, "cpu")?.milli_value(),
        memory: quantity(fields.memory, "memory")?.value(),
        gpu: GpuRequest::whole(fields.gpus, GpuModelSet::of(models)),
        node_claim: claims.intern(
            ck,
            fields.node_selector,
            fields.tolerations,
            &format!("{path}.tolerations"),
        )?,
    })
}
